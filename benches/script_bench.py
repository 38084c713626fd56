"""The scripting section of benches/compare.py: EVALSHA and FCALL throughput and CPU per
request through redis-benchmark, against redis-server in the same run.

Kept apart from compare.py (already long); compare.py passes itself in as `c` and this
file reuses stream_bench's redis-benchmark runner and statistics.
"""
from __future__ import annotations

import stream_bench

# One INCR, and ten commands (five INCRs, five GETs) per call.
INCR = "return redis.call('incr', KEYS[1])"
TEN = ("local n = 0 for i = 1, 5 do n = n + redis.call('incr', KEYS[1]) "
       "redis.call('get', KEYS[1]) end return n")
LIBRARY = ("#!lua name=bench\n"
           "redis.register_function('incr1', function(keys) return redis.call('incr', keys[1]) end)\n"
           "redis.register_function('incr10', function(keys) local n = 0 for i = 1, 5 do "
           "n = n + redis.call('incr', keys[1]) redis.call('get', keys[1]) end return n end)")

NOTES = """\
One `redis-benchmark -c 50 -r 100000 -P <p> -n <n> --csv <command>` per command and server,
alternating redust / Redis, rounds repeating the list. The scripts are loaded first (SCRIPT
LOAD, FUNCTION LOAD): `EVALSHA <incr> 1 key:__rand_int__` runs
`return redis.call('incr', KEYS[1])`; the 10-command script does five INCRs and five GETs of
its key; FCALL runs the same two bodies as functions. CPU is the server's utime + stime per
million requests."""


def commands(sha_incr: str, sha_ten: str) -> list[tuple[str, list[str]]]:
    key = "key:__rand_int__"
    return [
        ("EVALSHA incr", ["EVALSHA", sha_incr, "1", key]),
        ("EVALSHA 10 commands", ["EVALSHA", sha_ten, "1", key]),
        ("FCALL incr", ["FCALL", "incr1", "1", key]),
        ("FCALL 10 commands", ["FCALL", "incr10", "1", key]),
    ]


def prepare(c, srv) -> tuple[str, str]:
    conn = c.Conn(srv.port)
    conn.cmd("FLUSHALL")
    shas = (conn.cmd("SCRIPT", "LOAD", INCR), conn.cmd("SCRIPT", "LOAD", TEN))
    conn.cmd("FUNCTION", "LOAD", "REPLACE", LIBRARY)
    conn.close()
    return tuple(s.decode() if isinstance(s, bytes) else s for s in shas)


def section(c, cfg, tmp) -> dict:
    servers = c.make_servers(cfg, tmp)
    for s in servers:
        s.start()
    labels = [label for label, _ in commands("", "")]
    results = {f"{label}|{p}": {s.name: [] for s in servers}
               for label in labels for p in c.PIPELINES}
    for rnd in range(cfg.rounds):
        for p in c.PIPELINES:
            n = cfg.n_p1 if p == 1 else cfg.n_p16
            shas = {s.name: prepare(c, s) for s in servers}
            for i, label in enumerate(labels):
                for s in servers:
                    args = commands(*shas[s.name])[i][1]
                    results[f"{label}|{p}"][s.name].append(
                        stream_bench.run_custom(c, s, args, p, n))
                a, b = (results[f"{label}|{p}"][s.name][-1] for s in servers)
                c.log(f"round {rnd + 1}/{cfg.rounds} {label} P{p}: "
                      f"redust {a['rps']:,.0f} rps {a['cpu_s_per_m']:.2f} cpu-s/M | "
                      f"redis {b['rps']:,.0f} rps {b['cpu_s_per_m']:.2f} cpu-s/M")
    for s in servers:
        s.stop()
    return {"rounds": cfg.rounds, "n_p1": cfg.n_p1, "n_p16": cfg.n_p16, "results": results}


def render(c, d) -> str:
    rows = []
    for p in c.PIPELINES:
        for label, _ in commands("", ""):
            st = stream_bench.stats(c, d, label, p)
            rows.append([f"{label}, P{p}", c.f_int(st["rps"][0]), c.f_int(st["rps"][1]),
                         c.f_ratio(st["rps_ratio"]), f"{st['cpu'][0]:.2f}",
                         f"{st['cpu'][1]:.2f}", c.f_ratio(st["cpu_ratio"])])
    return (f"{d['rounds']} round(s), -n {d['n_p1']:,} at P1 and {d['n_p16']:,} at P16.\n\n"
            + c.table(["command", "redust rps", "Redis rps", "rps ratio",
                       "redust CPU s/M", "Redis CPU s/M", "CPU ratio"], rows))
