#!/usr/bin/env bash
# Saves a few snapshots with redust and adds them to fuzz/corpus/snapshot_load.
set -euo pipefail
cd "$(dirname "$0")/../.."
cargo build --release -q
out=fuzz/corpus/snapshot_load
mkdir -p "$out"
work=$(mktemp -d)
port=7399
./target/release/redust --port $port --save "" --dir "$work" >/dev/null 2>&1 &
pid=$!
trap 'kill $pid 2>/dev/null; rm -rf "$work"' EXIT
for _ in $(seq 100); do [ "$(redis-cli -p $port ping 2>/dev/null)" = PONG ] && break; sleep 0.05; done
cli() { redis-cli -p $port "$@" >/dev/null; }
snap() { cli save; cp "$work/dump.rdb" "$out/$(sha1sum "$work/dump.rdb" | cut -c1-40)"; }
snap                                   # empty
cli set k v; snap                      # one string
cli set n -42; cli set big "$(head -c 20000 /dev/zero | tr '\0' x)"; snap
cli set t x ex 1000; cli select 3; cli -n 3 set other y; cli -n 15 set last z px 500000; snap
cli setbit bits 1000 1; cli set "$(printf 'bin\001\377')" "$(printf 'v\r\n')"; snap
