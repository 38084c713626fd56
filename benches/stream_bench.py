"""The streams section of benches/compare.py: XADD, XRANGE and XREADGROUP throughput and
CPU per request through redis-benchmark, and memory per stream entry.

Kept apart from compare.py (already long); compare.py passes itself in as `c`, so this file
uses its Conn, servers, statistics and table helpers rather than copies of them.
"""
from __future__ import annotations

import csv
import io
import resource
import shlex
import subprocess
import time

# (label, redis-benchmark command). The keys are prepared before each round: `bench:r`
# holds RANGE_ENTRIES entries, `bench:g` one entry per XREADGROUP request, in group `g`.
COMMANDS = [
    ("XADD", ["XADD", "bench:s", "*", "field", "__rand_int__"]),
    ("XRANGE COUNT 10", ["XRANGE", "bench:r", "-", "+", "COUNT", "10"]),
    ("XREADGROUP COUNT 1", ["XREADGROUP", "GROUP", "g", "c", "COUNT", "1", "STREAMS",
                            "bench:g", ">"]),
]
RANGE_ENTRIES = 1000
# The entry the memory test adds: three fields, short values, as event or sensor data.
MEMORY_FIELDS = [b"sensor", b"temperature", b"status"]

NOTES = """\
Throughput: one `redis-benchmark -c 50 -r 100000 -P <p> -n <n> --csv <command>` per command
and server, alternating redust / Redis, rounds repeating the list; before each round the
servers are flushed and given `bench:r` (1,000 entries, read 10 at a time from the start)
and `bench:g` with one entry per XREADGROUP request, in a group `g` created at 0 (so every
XREADGROUP delivers one new entry and adds it to the pending list). CPU is the server's
utime + stime per million requests. Memory: RSS and `used_memory` of a fresh server before
and after `--stream-entries` XADDs with explicit IDs `<i>-1` and three field-value pairs
(`sensor <i % 1000> temperature <20..34>.<0..9> status ok`), sent by this script in
pipelined batches of 1,000; RSS per entry is the growth divided by the entries. Both
servers cut nodes at 100 entries / 4 KB (Redis's defaults)."""


def fill(c, conn, key: str, entries: int, fields=None) -> None:
    """XADDs `entries` entries `<i>-1` to `key` in pipelined batches (replies read per
    batch, so neither side buffers much)."""
    batch = 1000
    for lo in range(1, entries + 1, batch):
        buf = []
        hi = min(lo + batch, entries + 1)
        for i in range(lo, hi):
            if fields is None:
                args = [b"XADD", key.encode(), b"%d-1" % i, b"f", b"v%d" % i]
            else:
                args = [b"XADD", key.encode(), b"%d-1" % i] + fields(i)
            buf.append(c.encode(*args))
        conn.sock.sendall(b"".join(buf))
        for _ in range(lo, hi):
            conn.read()


def memory_fields(i: int) -> list[bytes]:
    a, b, s = MEMORY_FIELDS
    return [a, b"%d" % (i % 1000), b, b"%d.%d" % (20 + i % 15, i % 10), s, b"ok"]


def run_custom(c, srv, args, pipeline: int, n: int) -> dict:
    cmd = ["redis-benchmark", "-p", str(srv.port), "-c", str(c.CLIENTS), "-P", str(pipeline),
           "-n", str(n), "-r", str(c.KEYSPACE), "--csv"] + args
    ru0 = resource.getrusage(resource.RUSAGE_CHILDREN)
    before, t0 = srv.cpu_ticks(), time.perf_counter()
    r = subprocess.run(cmd, capture_output=True, text=True, timeout=3600)
    after, wall = srv.cpu_ticks(), time.perf_counter() - t0
    ru1 = resource.getrusage(resource.RUSAGE_CHILDREN)
    srv.check_alive()
    rows = [row for row in csv.reader(io.StringIO(r.stdout)) if row]
    if r.returncode != 0 or len(rows) < 2:
        c.die(f"{shlex.join(cmd)} against {srv.name} failed ({r.returncode}):\n"
              f"{r.stdout}\n{r.stderr}")
    rec = dict(zip(rows[0], rows[1]))
    client_cpu = (ru1.ru_utime - ru0.ru_utime) + (ru1.ru_stime - ru0.ru_stime)
    return {"rps": float(rec["rps"]), "p50": float(rec["p50_latency_ms"]),
            "cpu_s_per_m": (after - before) / c.CLK_TCK / n * 1e6,
            "client_busy": client_cpu / wall}


def prepare(c, srv, n: int) -> None:
    conn = c.Conn(srv.port)
    conn.cmd("FLUSHALL")
    fill(c, conn, "bench:r", RANGE_ENTRIES)
    fill(c, conn, "bench:g", n)
    conn.cmd("XGROUP", "CREATE", "bench:g", "g", "0")
    conn.close()


def section(c, cfg, tmp) -> dict:
    servers = c.make_servers(cfg, tmp)
    for s in servers:
        s.start()
    results = {f"{label}|{p}": {s.name: [] for s in servers}
               for label, _ in COMMANDS for p in c.PIPELINES}
    for rnd in range(cfg.rounds):
        for p in c.PIPELINES:
            n = cfg.n_p1 if p == 1 else cfg.n_p16
            for s in servers:
                prepare(c, s, n)
            for label, args in COMMANDS:
                for s in servers:
                    results[f"{label}|{p}"][s.name].append(run_custom(c, s, args, p, n))
                a, b = (results[f"{label}|{p}"][s.name][-1] for s in servers)
                c.log(f"round {rnd + 1}/{cfg.rounds} {label} P{p}: "
                      f"redust {a['rps']:,.0f} rps {a['cpu_s_per_m']:.2f} cpu-s/M | "
                      f"redis {b['rps']:,.0f} rps {b['cpu_s_per_m']:.2f} cpu-s/M")
    for s in servers:
        s.stop()
    memory = {"entries": cfg.stream_entries}
    for s in c.make_servers(cfg, tmp):
        s.start()
        time.sleep(0.3)
        conn = c.Conn(s.port)
        base_rss, base_used = s.rss(), int(conn.info("memory")["used_memory"])
        t0 = time.perf_counter()
        fill(c, conn, "events", cfg.stream_entries, memory_fields)
        load_s = time.perf_counter() - t0
        time.sleep(0.3)
        if conn.cmd("XLEN", "events") != cfg.stream_entries:
            c.die(f"{s.name}: XLEN after loading is not {cfg.stream_entries}")
        rss, used = s.rss(), int(conn.info("memory")["used_memory"])
        conn.close()
        s.stop()
        memory[s.name] = {"rss_base": base_rss, "rss": rss, "used_base": base_used,
                          "used": used, "load_s": load_s}
        c.log(f"streams memory {s.name}: RSS +{rss - base_rss:,} B "
              f"({(rss - base_rss) / cfg.stream_entries:.1f} B/entry), load {load_s:.2f} s")
    return {"rounds": cfg.rounds, "n_p1": cfg.n_p1, "n_p16": cfg.n_p16,
            "results": results, "memory": memory}


def stats(c, d, label, p):
    res = d["results"][f"{label}|{p}"]
    a, b = res["redust"], res["redis"]
    return {
        "rps": (c.med([r["rps"] for r in a]), c.med([r["rps"] for r in b])),
        "cpu": (c.med([r["cpu_s_per_m"] for r in a]), c.med([r["cpu_s_per_m"] for r in b])),
        "rps_ratio": c.ratio_stats([(x["rps"], y["rps"]) for x, y in zip(a, b)]),
        "cpu_ratio": c.ratio_stats([(x["cpu_s_per_m"], y["cpu_s_per_m"])
                                    for x, y in zip(a, b)]),
    }


def per_entry(d) -> tuple[float, float]:
    m = d["memory"]
    return tuple((m[x]["rss"] - m[x]["rss_base"]) / m["entries"] for x in ("redust", "redis"))


def render(c, d) -> str:
    rows = []
    for p in c.PIPELINES:
        for label, _ in COMMANDS:
            st = stats(c, d, label, p)
            rows.append([f"{label}, P{p}", c.f_int(st["rps"][0]), c.f_int(st["rps"][1]),
                         c.f_ratio(st["rps_ratio"]), f"{st['cpu'][0]:.2f}",
                         f"{st['cpu'][1]:.2f}", c.f_ratio(st["cpu_ratio"])])
    out = (f"{d['rounds']} round(s), -n {d['n_p1']:,} at P1 and {d['n_p16']:,} at P16.\n\n"
           + c.table(["command", "redust rps", "Redis rps", "rps ratio",
                      "redust CPU s/M", "Redis CPU s/M", "CPU ratio"], rows))
    m = d["memory"]
    a, b = m["redust"], m["redis"]
    ea, eb = per_entry(d)
    mrows = [
        ["RSS growth", c.f_mb(a["rss"] - a["rss_base"]), c.f_mb(b["rss"] - b["rss_base"]),
         f"{(a['rss'] - a['rss_base']) / (b['rss'] - b['rss_base']):.2f}"],
        ["RSS per entry", f"{ea:.1f} B", f"{eb:.1f} B", f"**{ea / eb:.2f}**"],
        ["used_memory growth", c.f_mb(a["used"] - a["used_base"]),
         c.f_mb(b["used"] - b["used_base"]), ""],
        ["load time (pipelined XADDs)", f"{a['load_s']:.2f} s", f"{b['load_s']:.2f} s",
         f"{a['load_s'] / b['load_s']:.2f}"],
    ]
    return (out + f"\n\nMemory, {m['entries']:,} entries:\n\n"
            + c.table(["", "redust", "Redis", "ratio (lower is better)"], mrows))
