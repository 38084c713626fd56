#!/usr/bin/env python3
"""Generates src/commands/meta.rs: typed metadata for every command and subcommand of
Redis 7.0.15 (arity, flags, ACL categories, key specs, tips, documentation), from what a
real redis-server reports with COMMAND and COMMAND DOCS.

Redis 7 is redust's specification; its command metadata is data the server reports about
itself. Taking it from the reference server keeps COMMAND INFO, COMMAND DOCS, GETKEYS and
redis-cli's hints byte-for-byte identical and spares hand-copying thousands of fields. All
commands are emitted, implemented or not, so implementing one is a single line in
src/commands/table.rs (HANDLERS).

Two things COMMAND does not report are listed below by hand: the flags Redis hides from
COMMAND INFO, and which commands have a getkeys procedure (the key finder used when key
specs cannot tell).

Usage: start `redis-server --port 6400 --save ''` (7.0.15), then
    python3 tools/gen_command_meta.py [port]
The output is sorted (Redis answers in hash order), so a rerun gives the same file; it is
passed through rustfmt.
"""
import socket
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / "src" / "commands" / "meta.rs"
VERSION = "7.0.15"

# Flags COMMAND INFO never prints (Redis's flag table comments them out as "hidden on
# purpose"); which commands have them, per Redis 7.0.15's command definitions.
HIDDEN_FLAGS = {
    "eval": ["MAY_REPLICATE"],
    "evalsha": ["MAY_REPLICATE"],
    "fcall": ["MAY_REPLICATE"],
    "pfcount": ["MAY_REPLICATE"],
    "publish": ["MAY_REPLICATE"],
    "spublish": ["MAY_REPLICATE"],
    "debug": ["PROTECTED"],
    "module|load": ["PROTECTED"],
    "module|loadex": ["PROTECTED"],
    "module|unload": ["PROTECTED"],
    "randomkey": ["TOUCHES_ARBITRARY_KEYS"],
    "scan": ["TOUCHES_ARBITRARY_KEYS"],
}

# Commands with a getkeys procedure in Redis 7.0.15, as GetKeysProc variants.
def numkeys(store, count, first):
    return f"GetKeysProc::Numkeys {{ store: {store}, count: {count}, first: {first} }}"

GET_KEYS = {
    "set": "GetKeysProc::Set",
    "bitfield": "GetKeysProc::Bitfield",
    "sort": "GetKeysProc::Sort",
    "sort_ro": "GetKeysProc::SortRo",
    "migrate": "GetKeysProc::Migrate",
    "georadius": "GetKeysProc::Georadius",
    "georadiusbymember": "GetKeysProc::Georadius",
    "xread": "GetKeysProc::Xread",
    "xreadgroup": "GetKeysProc::Xread",
    "zunionstore": numkeys(1, 2, 3),
    "zinterstore": numkeys(1, 2, 3),
    "zdiffstore": numkeys(1, 2, 3),
    "zunion": numkeys(0, 1, 2),
    "zinter": numkeys(0, 1, 2),
    "zdiff": numkeys(0, 1, 2),
    "zintercard": numkeys(0, 1, 2),
    "sintercard": numkeys(0, 1, 2),
    "lmpop": numkeys(0, 1, 2),
    "zmpop": numkeys(0, 1, 2),
    "blmpop": numkeys(0, 2, 3),
    "bzmpop": numkeys(0, 2, 3),
    "eval": numkeys(0, 2, 3),
    "evalsha": numkeys(0, 2, 3),
    "eval_ro": numkeys(0, 2, 3),
    "evalsha_ro": numkeys(0, 2, 3),
    "fcall": numkeys(0, 2, 3),
    "fcall_ro": numkeys(0, 2, 3),
}

# The orders Redis prints members of each set in (spec.rs declares them the same way): the
# generator checks every reply against them, so rendering from bits is byte-identical.
COMMAND_FLAGS = [
    "write", "readonly", "denyoom", "module", "admin", "pubsub", "noscript", "blocking",
    "loading", "stale", "skip_monitor", "skip_slowlog", "asking", "fast", "no_auth",
    "no_mandatory_keys", "no_async_loading", "no_multi", "movablekeys", "allow_busy",
]
ACL_CATEGORIES = [
    "keyspace", "read", "write", "set", "sortedset", "list", "hash", "string", "bitmap",
    "hyperloglog", "geo", "stream", "pubsub", "admin", "fast", "slow", "blocking",
    "dangerous", "connection", "transaction", "scripting",
]
KEY_FLAGS = [
    "RO", "RW", "OW", "RM", "access", "update", "insert", "delete", "not_key",
    "incomplete", "variable_flags",
]
ARG_FLAGS = ["optional", "multiple", "multiple_token"]
DOC_FLAGS = ["deprecated", "syscmd"]
ARG_TYPES = {
    "string": "String", "integer": "Integer", "double": "Double", "key": "Key",
    "pattern": "Pattern", "unix-time": "UnixTime", "pure-token": "PureToken",
    "oneof": "Oneof", "block": "Block",
}
DOC_KEYS = [
    "summary", "since", "group", "complexity", "module", "doc_flags", "deprecated_since",
    "replaced_by", "history", "arguments", "subcommands",
]
# The fields of spec.rs's CommandDocs.
DOC_FIELDS = [
    "summary", "since", "group", "complexity", "doc_flags", "deprecated_since", "replaced_by",
    "history", "arguments",
]
ARG_KEYS = [
    "name", "type", "key_spec_index", "token", "summary", "since", "deprecated_since",
    "flags", "arguments",
]


class Resp3:
    """A minimal RESP3 reader that keeps maps, sets and arrays apart."""

    def __init__(self, sock):
        self.f = sock.makefile("rb")

    def line(self):
        return self.f.readline()[:-2]

    def read(self):
        t = self.f.read(1)
        if t == b"+":
            return ("simple", self.line().decode())
        if t == b"-":
            raise RuntimeError(self.line().decode())
        if t == b":":
            return ("int", int(self.line()))
        if t in (b"$", b"="):
            n = int(self.line())
            s = self.f.read(n + 2)[:-2]
            if t == b"=":
                s = s[4:]  # a verbatim string's "txt:" format prefix
            return ("bulk", s.decode())
        if t == b"_":
            self.line()
            return ("null", None)
        if t in (b"*", b"~"):
            n = int(self.line())
            kind = "array" if t == b"*" else "set"
            return (kind, [self.read() for _ in range(n)])
        if t == b"%":
            n = int(self.line())
            return ("map", [(self.read(), self.read()) for _ in range(n)])
        raise RuntimeError(f"unexpected type {t!r}")


def command(sock, reader, *args):
    out = b"*%d\r\n" % len(args)
    for a in args:
        a = a.encode()
        out += b"$%d\r\n%s\r\n" % (len(a), a)
    sock.sendall(out)
    return reader.read()


def rust_str(s):
    out = []
    for ch in s:
        if ch in "\\\"":
            out.append("\\" + ch)
        elif ch == "\n":
            out.append("\\n")
        elif 32 <= ord(ch) < 127:
            out.append(ch)
        else:
            out.append("\\u{%x}" % ord(ch))
    return '"' + "".join(out) + '"'


def opt_str(s):
    return "None" if s is None else f"Some({rust_str(s)})"


def expect(kind, node, what):
    if node[0] != kind:
        raise SystemExit(f"{what}: expected {kind}, got {node[0]}")
    return node[1]


def as_map(node, what):
    return [(k[1], v) for k, v in expect("map", node, what)]


def ordered_names(node, order, what):
    """The names in a reply set, checked to come in Redis's print order."""
    names = [x[1] for x in expect("set", node, what)]
    for n in names:
        if n not in order:
            raise SystemExit(f"{what}: unknown member {n}")
    if names != sorted(names, key=order.index):
        raise SystemExit(f"{what}: {names} not in print order")
    return names


def check_keys(keys, order, what):
    for k in keys:
        if k not in order:
            raise SystemExit(f"{what}: unknown field {k}")
    if keys != sorted(keys, key=order.index):
        raise SystemExit(f"{what}: fields {keys} not in print order")


def bitset(ty, names, upper=True):
    if not names:
        return f"{ty}::EMPTY"
    members = ", ".join(f"{ty}::{n.upper() if upper else n}" for n in names)
    return f"{ty}::of(&[{members}])"


def key_spec(node, what, pad):
    fields = as_map(node, what)
    keys = [k for k, _ in fields]
    if keys not in (["flags", "begin_search", "find_keys"], ["notes", "flags", "begin_search", "find_keys"]):
        raise SystemExit(f"{what}: key spec fields {keys}")
    d = dict(fields)
    notes = d["notes"][1] if "notes" in d else None
    flags = ordered_names(d["flags"], KEY_FLAGS, what)
    bs = dict(as_map(d["begin_search"], what))
    bs_type, bs_spec = bs["type"][1], dict(as_map(bs["spec"], what))
    if bs_type == "index":
        begin = f"BeginSearch::Index({bs_spec['index'][1]})"
    elif bs_type == "keyword":
        begin = (
            f"BeginSearch::Keyword {{ keyword: {rust_str(bs_spec['keyword'][1])}, "
            f"startfrom: {bs_spec['startfrom'][1]} }}"
        )
    elif bs_type == "unknown" and not bs_spec:
        begin = "BeginSearch::Unknown"
    else:
        raise SystemExit(f"{what}: begin_search {bs_type}")
    fk = dict(as_map(d["find_keys"], what))
    fk_type, fk_spec = fk["type"][1], as_map(fk["spec"], what)
    spec = dict(fk_spec)
    if fk_type == "range" and [k for k, _ in fk_spec] == ["lastkey", "keystep", "limit"]:
        find = (
            f"FindKeys::Range {{ lastkey: {spec['lastkey'][1]}, keystep: {spec['keystep'][1]}, "
            f"limit: {spec['limit'][1]} }}"
        )
    elif fk_type == "keynum" and [k for k, _ in fk_spec] == ["keynumidx", "firstkey", "keystep"]:
        find = (
            f"FindKeys::Keynum {{ keynumidx: {spec['keynumidx'][1]}, "
            f"firstkey: {spec['firstkey'][1]}, keystep: {spec['keystep'][1]} }}"
        )
    elif fk_type == "unknown" and not fk_spec:
        find = "FindKeys::Unknown"
    else:
        raise SystemExit(f"{what}: find_keys {fk_type}")
    inner = pad + "    "
    return [
        f"{pad}KeySpec {{",
        f"{inner}notes: {opt_str(notes)},",
        f"{inner}flags: {bitset('K', flags)},",
        f"{inner}begin_search: {begin},",
        f"{inner}find_keys: {find},",
        f"{pad}}},",
    ]


def arg(node, what, pad):
    """One argument per line; sub-arguments indented on the lines below."""
    fields = as_map(node, what)
    check_keys([k for k, _ in fields], ARG_KEYS, what)
    d = dict(fields)
    kind = d["type"][1]
    if kind not in ARG_TYPES:
        raise SystemExit(f"{what}: argument type {kind}")
    if ("arguments" in d) != (kind in ("oneof", "block")):
        raise SystemExit(f"{what}: sub-arguments of a {kind}")
    out = f"{pad}Arg::new({rust_str(d['name'][1])}, {ARG_TYPES[kind]})"
    if "key_spec_index" in d:
        out += f".key_spec({d['key_spec_index'][1]})"
    for field in ("token", "summary", "since", "deprecated_since"):
        if field in d:
            out += f".{field}({rust_str(d[field][1])})"
    if "flags" in d:
        names = ordered_names(d["flags"], ARG_FLAGS, what)
        if not names:
            raise SystemExit(f"{what}: empty argument flags are not printed")
        out += f".flags({bitset('AF', names)})"
    if "arguments" in d:
        subs = expect("array", d["arguments"], what)
        out += ".args(&[\n" + arg_list(subs, what, pad + "    ") + f"{pad}])"
    return out


def arg_list(args, what, pad):
    return "".join(arg(a, what, pad) + ",\n" for a in args)


def docs(node, what, pad):
    fields = as_map(node, what)
    check_keys([k for k, _ in fields], DOC_KEYS, what)
    d = dict(fields)
    if "module" in d:
        raise SystemExit(f"{what}: a module command")
    inner = pad + "    "
    out = [f"{pad}docs: CommandDocs {{", f"{inner}group: {rust_str(d['group'][1])},"]
    for field in ("summary", "since", "complexity", "deprecated_since", "replaced_by"):
        if field in d:
            out.append(f"{inner}{field}: Some({rust_str(d[field][1])}),")
    if "doc_flags" in d:
        names = ordered_names(d["doc_flags"], DOC_FLAGS, what)
        if not names:
            raise SystemExit(f"{what}: empty doc flags are not printed")
        out.append(f"{inner}doc_flags: {bitset('D', names)},")
    if "history" in d:
        out.append(f"{inner}history: Some(&[")
        for h in expect("set", d["history"], what):
            v, change = [x[1] for x in expect("array", h, what)]
            out.append(f"{inner}    ({rust_str(v)}, {rust_str(change)}),")
        out.append(f"{inner}]),")
    if "arguments" in d:
        args = expect("array", d["arguments"], what)
        out.append(f"{inner}arguments: Some(&[")
        out.append(arg_list(args, what, inner + "    ").rstrip("\n"))
        out.append(f"{inner}]),")
    # The defaults fill the rest (clippy rejects an update with nothing left to fill).
    fields_set = sum(1 for k in d if k in DOC_FIELDS)
    if fields_set < len(DOC_FIELDS):
        out.append(f"{inner}..CommandDocs::EMPTY")
    out.append(f"{pad}}},")
    sub_names = sorted(k[1] for k, _ in d["subcommands"][1]) if "subcommands" in d else []
    return out, sub_names


def entry(info, all_docs, pad):
    """The CommandMeta literal of one COMMAND INFO entry, as indented lines."""
    fields = expect("array", info, "info")
    if len(fields) != 10:
        raise SystemExit(f"COMMAND INFO entry of {len(fields)} fields")
    name = fields[0][1]
    arity, first, last, step = (fields[i][1] for i in (1, 3, 4, 5))
    flags = [f.upper() for f in ordered_names(fields[2], COMMAND_FLAGS, name)]
    flags += HIDDEN_FLAGS.pop(name, [])
    cats = [c[1] for c in expect("set", fields[6], name)]
    if any(not c.startswith("@") for c in cats):
        raise SystemExit(f"{name}: category without @")
    cats = ordered_names(("set", [("simple", c[1:]) for c in cats]), ACL_CATEGORIES, name)
    tips = [t[1] for t in expect("set", fields[7], name)]
    sub_infos = fields[9][1]
    if fields[9][0] != ("array" if sub_infos else "set"):
        raise SystemExit(f"{name}: subcommands as {fields[9][0]}")
    subs = sorted(sub_infos, key=lambda s: s[1][0][1])
    inner = pad + "    "
    out = [
        f"{pad}CommandMeta {{",
        f"{inner}name: {rust_str(name)},",
        f"{inner}arity: {arity},",
        f"{inner}flags: {bitset('F', flags)},",
        f"{inner}first_key: {first},",
        f"{inner}last_key: {last},",
        f"{inner}key_step: {step},",
        f"{inner}acl_categories: {bitset('A', cats)},",
    ]
    if tips:
        out.append(f"{inner}tips: &[" + ", ".join(rust_str(t) for t in tips) + "],")
    specs = expect("set", fields[8], name)
    if specs:
        out.append(f"{inner}key_specs: &[")
        for spec in specs:
            out += key_spec(spec, name, inner + "    ")
        out.append(f"{inner}],")
    if name in GET_KEYS:
        out.append(f"{inner}get_keys_proc: Some({GET_KEYS.pop(name)}),")
    doc_lines, doc_subs = docs(all_docs[name], name, inner)
    out += doc_lines
    if [s[1][0][1] for s in subs] != doc_subs:
        raise SystemExit(f"{name}: INFO and DOCS disagree on subcommands")
    if subs:
        sub_docs = {k[1]: v for k, v in dict(as_map(all_docs[name], name))["subcommands"][1]}
        out.append(f"{inner}subcommands: &[")
        for s in subs:
            out += entry(s, sub_docs, inner + "    ")
        out.append(f"{inner}],")
    out.append(f"{inner}..CommandMeta::EMPTY")
    out.append(f"{pad}}},")
    return out


def main():
    port = int(sys.argv[1]) if len(sys.argv) > 1 else 6400
    sock = socket.create_connection(("127.0.0.1", port))
    reader = Resp3(sock)
    command(sock, reader, "HELLO", "3")
    server = command(sock, reader, "INFO", "server")[1]
    if f"redis_version:{VERSION}\r\n" not in server:
        raise SystemExit(f"expected redis-server {VERSION}")
    infos = sorted(command(sock, reader, "COMMAND")[1], key=lambda e: e[1][0][1])
    all_docs = {k[1]: v for k, v in command(sock, reader, "COMMAND", "DOCS")[1]}
    entries = [entry(info, all_docs, "    ") for info in infos]
    if GET_KEYS or HIDDEN_FLAGS:
        raise SystemExit(f"no such commands: {sorted(GET_KEYS) + sorted(HIDDEN_FLAGS)}")

    lines = [
        f"//! Generated by tools/gen_command_meta.py from redis-server {VERSION}'s COMMAND and",
        "//! COMMAND DOCS (plus the hidden flags and getkeys procedures it lists): every command",
        "//! and subcommand, sorted by name. Do not edit by hand.",
        "",
        "use super::spec::ArgType::*;",
        "use super::spec::{",
        "    AclCategories as A, Arg, ArgFlags as AF, BeginSearch, CommandDocs, CommandFlags as F,",
        "    CommandMeta, DocFlags as D, FindKeys, GetKeysProc, KeySpec, KeySpecFlags as K,",
        "};",
        "",
        f"/// Every command of Redis {VERSION}, sorted by name.",
        "pub static COMMANDS: &[CommandMeta] = &[",
    ]
    for e in entries:
        lines += e
    lines.append("];")
    OUT.write_text("\n".join(lines) + "\n")
    subprocess.run(["rustfmt", "--edition", "2021", str(OUT)], check=True)
    print(f"wrote {OUT} ({len(entries)} commands)")


if __name__ == "__main__":
    main()
