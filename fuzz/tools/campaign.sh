#!/usr/bin/env bash
# Fuzzes one target for SECONDS, growing a scratch corpus seeded from fuzz/corpus/<target>.
# Usage: fuzz/tools/campaign.sh <target> <seconds> [asan]
# With "asan", builds with AddressSanitizer on stable through RUSTC_BOOTSTRAP=1; otherwise
# `-s none` (coverage-guided, no sanitizer). Crashes land in fuzz/artifacts/<target>/.
set -euo pipefail
cd "$(dirname "$0")/.."
target=$1; seconds=$2; mode=${3:-none}
work=${FUZZ_WORK:-/tmp/redust-fuzz}/$target
mkdir -p "$work"
if [ "$mode" = asan ]; then
    export RUSTC_BOOTSTRAP=1
    flags=()
else
    flags=(-s none)
fi
cargo fuzz run "${flags[@]}" "$target" "$work" "corpus/$target" -- \
    -max_total_time="$seconds" -print_final_stats=1 -rss_limit_mb=2048 -timeout=10
