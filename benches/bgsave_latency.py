#!/usr/bin/env python3
"""PING latency of the parent while a background save of N keys runs, redust vs Redis.

Usage: benches/bgsave_latency.py [keys]   (needs target/release/redust, redis-server,
redis-cli). Prints p50 / p99 / max in ms, idle and during BGSAVE, for each server.
"""
import os, socket, subprocess, sys, tempfile, time

KEYS = int(sys.argv[1]) if len(sys.argv) > 1 else 1_000_000
ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def resp(*args):
    out = b"*%d\r\n" % len(args)
    for a in args:
        out += b"$%d\r\n%s\r\n" % (len(a), a)
    return out


def pings(sock, n):
    lat = []
    for _ in range(n):
        t = time.perf_counter()
        sock.sendall(b"PING\r\n")
        assert sock.recv(64) == b"+PONG\r\n"
        lat.append((time.perf_counter() - t) * 1000)
    return lat


def info(sock, field):
    sock.sendall(resp(b"INFO", b"persistence"))
    data = b""
    while not data.endswith(b"\r\n") or data.count(b"\r\n") < 3:
        data += sock.recv(65536)
        if b"rdb_bgsave_in_progress" in data and data.endswith(b"\r\n"):
            break
    for line in data.decode().split("\r\n"):
        if line.startswith(field + ":"):
            return line.split(":")[1]


def summary(lat):
    lat = sorted(lat)
    return "p50 %.3f  p99 %.3f  max %.3f  (n=%d)" % (
        lat[len(lat) // 2], lat[len(lat) * 99 // 100], lat[-1], len(lat))


def run(name, cmd, port):
    d = tempfile.mkdtemp()
    p = subprocess.Popen(cmd + ["--port", str(port), "--save", "", "--dir", d],
                         stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        for _ in range(200):
            try:
                s = socket.create_connection(("127.0.0.1", port)); break
            except OSError:
                time.sleep(0.05)
        load = b"".join(resp(b"SET", b"key:%d" % i, b"v" * 16) for i in range(KEYS))
        subprocess.run(["redis-cli", "-p", str(port), "--pipe"], input=load,
                       stdout=subprocess.DEVNULL, check=True)
        idle = pings(s, 2000)
        s.sendall(b"BGSAVE\r\n"); s.recv(64)
        during = []
        while info(s, "rdb_bgsave_in_progress") == "1":
            during += pings(s, 200)
        print(f"{name:7} idle:   {summary(idle)}")
        print(f"{name:7} bgsave: {summary(during)}")
    finally:
        p.kill()


run("redust", [os.path.join(ROOT, "target/release/redust")], 7311)
run("redis", ["redis-server", "--appendonly", "no"], 7312)
