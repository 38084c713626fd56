#!/usr/bin/env python3
"""Writes the seed corpora in fuzz/corpus/ (run from the repository root).

resp_request: valid requests (multibulk, inline, pipelines, binary) and every protocol
error redust answers. command_sequence: one seed per fuzzable command, in the harness's
byte format (see src/fuzz_harness.rs), plus mixed sequences. snapshot_load seeds are
snapshots saved by redust itself (fuzz/tools/snapshot_seeds.sh).
"""
import hashlib
import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
CORPUS = ROOT / "fuzz" / "corpus"


def write(target, data):
    d = CORPUS / target
    d.mkdir(parents=True, exist_ok=True)
    (d / hashlib.sha1(data).hexdigest()).write_bytes(data)


def resp(*args):
    out = b"*%d\r\n" % len(args)
    for a in args:
        a = a if isinstance(a, bytes) else a.encode()
        out += b"$%d\r\n%s\r\n" % (len(a), a)
    return out


requests = [
    resp("PING"),
    resp("SET", "k", "v") + resp("GET", "k"),
    resp("SET", b"\x00\xff\r\n", b"bin\r\nary"),
    b"PING\r\nSET \"a b\" 'c\\'d' \"\\x41\\n\"\r\n\n\r\n",
    b"*0\r\n*-1\r\n" + resp("ECHO", "x"),
    b"*2\r\n$4\r\nECHO\r\n$2\r\nhixx",
    b"*x\r\n", b"*01\r\n", b"*2147483648\r\n", b"*1\r\n$x\r\n", b"*1\r\n$-1\r\n",
    b"*1\r\n$536870913\r\n", b"*1\r\n*1\r\n", b"*1\r\n:1\r\n", b"*1\r\n\xff\r\n",
    b"SET \"a\r\n", b"SET \"a\"b\r\n", b"SET 'abc\r\n", b"ECHO a\x00b\r\n",
    b"*20\r\n", b"*1\r\n$20000\r\n",
    b"a" * 70000,
    b"*" + b"1" * 70000,
    b"*1\r\n$" + b"1" * 70000,
    resp("SET", "big", "x" * 100000),
]
for r in requests:
    write("resp_request", r)

harness = (ROOT / "src" / "fuzz_harness.rs").read_text()
pool_src = harness[harness.index("const POOL"):]
pool_src = pool_src[: pool_src.index("];")]
pool = re.findall(r'"((?:[^"\\]|\\.)*)"', pool_src)
pool = [p.encode().decode("unicode_escape") for p in pool]
table = (ROOT / "src" / "commands" / "table.rs").read_text()
start = table.index("pub static HANDLERS")
names = re.findall(r'\(\s*"([a-z0-9_|-]+)"\s*,', table[start: table.index("];", start)])
excluded = {"save", "bgsave", "shutdown", "debug", "config|set", "config|rewrite"}
commands = sorted(n for n in names if n not in excluded)


def arg(word):
    return bytes([pool.index(word)])


for i, name in enumerate(commands):
    seed = bytes([i, 3]) + arg("k") + arg("1") + arg("EX") + b"\x00"
    write("command_sequence", seed)
    write("command_sequence", bytes([i, 0, 0]))


def cmd(name, *words, step=0):
    return bytes([commands.index(name), len(words)]) + b"".join(arg(w) for w in words) + bytes([step])


write("command_sequence", cmd("set", "k", "10", "PX", "100") + cmd("incr", "k", step=20) + cmd("get", "k"))
write("command_sequence", cmd("set", "a", "1") + cmd("rename", "a", "b") + cmd("scan", "0", "COUNT", "1") + cmd("keys", "*"))
write("command_sequence", cmd("setbit", "k", "100", "1") + cmd("bitfield", "k", "INCRBY", "u8", "#1", "100") + cmd("lcs", "k", "k2"))
write("command_sequence", cmd("rpush", "k", "10", "2", "a", "-1") + cmd("set", "k2", "1")
      + cmd("sort", "k", "BY", "k*", "GET", "#", "STORE", "b")
      + cmd("sort", "k", "ALPHA", "DESC", "LIMIT", "1", "-1"))
write("command_sequence", cmd("zadd", "k", "1", "a", "2", "b") + cmd("hset", "a", "f", "3")
      + cmd("sort_ro", "k", "BY", "nosort", "DESC", "GET", "*->f"))
print(f"{len(commands)} fuzzable commands")
