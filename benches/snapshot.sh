#!/usr/bin/env bash
# Snapshot cost, redust vs redis-server in the same run: 1M keys `key:N` -> 16-byte values
# loaded through redis-cli --pipe, then SAVE time, file size, and load time at start.
# Usage: benches/snapshot.sh [keys] [rounds]   (builds release first)
set -euo pipefail
cd "$(dirname "$0")/.."
KEYS=${1:-1000000}
ROUNDS=${2:-3}
cargo build --release -q
BIN=$PWD/target/release/redust
WORK=$(mktemp -d)
trap 'pkill -P $$ || true; rm -rf "$WORK"' EXIT

python3 - "$KEYS" > "$WORK/load.resp" <<'PY'
import sys
n = int(sys.argv[1]); out = sys.stdout
v = "v" * 16
for i in range(n):
    k = f"key:{i}"
    out.write(f"*3\r\n$3\r\nSET\r\n${len(k)}\r\n{k}\r\n$16\r\n{v}\r\n")
PY

now_ms() { date +%s%3N; }
wait_up() { for _ in $(seq 2000); do [ "$(redis-cli -p "$1" ping 2>/dev/null)" = PONG ] && return 0; sleep 0.01; done; return 1; }

run() { # name port command...
    local name=$1 port=$2; shift 2
    local dir="$WORK/$name"; mkdir -p "$dir"
    "$@" --port "$port" --save "" --dir "$dir" >"$dir/log1" 2>&1 &
    local pid=$!; wait_up "$port"
    redis-cli -p "$port" --pipe < "$WORK/load.resp" >/dev/null
    local t0; t0=$(now_ms); redis-cli -p "$port" save >/dev/null; local t1; t1=$(now_ms)
    local size; size=$(stat -c %s "$dir/dump.rdb")
    kill "$pid"; wait "$pid" 2>/dev/null || true
    local s0; s0=$(now_ms)
    "$@" --port "$port" --save "" --dir "$dir" >"$dir/log2" 2>&1 &
    pid=$!; wait_up "$port"; local s1; s1=$(now_ms)
    local keys; keys=$(redis-cli -p "$port" dbsize)
    kill "$pid"; wait "$pid" 2>/dev/null || true
    echo "$name save_ms=$((t1 - t0)) load_ms=$((s1 - s0)) size=$size keys=$keys"
}

for r in $(seq "$ROUNDS"); do
    run redust 7301 "$BIN"
    run redis 7302 redis-server --appendonly no
done
