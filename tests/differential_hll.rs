//! Differential tests for HyperLogLog: every command and its errors, RESP2 and RESP3,
//! and the raw bytes (GET) of sparse and dense HLLs after each kind of change, compared
//! byte for byte with redis-server. HLL strings made by one server are loaded into the
//! other.

mod common;

use common::diff::{assert_same, case, Case};
use common::scenario::{assert_scenarios_match, Step::*};
use common::Server;

fn leak(s: String) -> &'static str {
    Box::leak(s.into_boxed_str())
}

/// `PFADD <key> <prefix>0 <prefix>1 ...` with `n` elements.
fn pfadd_many(key: &str, prefix: &str, from: usize, n: usize) -> &'static str {
    let mut s = format!("PFADD {key}");
    for i in from..from + n {
        s.push_str(&format!(" {prefix}{i}"));
    }
    leak(s)
}

fn cases() -> Vec<Case> {
    vec![
        case(
            "pfadd-sparse-bytes",
            &[
                "PFADD h",
                "GET h",
                "PFADD h",
                "PFADD h a",
                "GET h",
                "PFADD h a",
                "PFADD h b c d e f g",
                "GET h",
                "PFADD h \\e",
                "GET h",
                "PFCOUNT h",
                "GET h",
                "PFCOUNT h",
                "TYPE h",
                "OBJECT ENCODING h",
                "STRLEN h",
                // Element lengths 0..17 exercise every tail of MurmurHash64A.
                "PFADD t \\e x xy xyz xyzw xyzwv xyzwvu xyzwvut xyzwvuts xyzwvutsr xyzwvutsrq xyzwvutsrqp xyzwvutsrqpo xyzwvutsrqpon xyzwvutsrqponm xyzwvutsrqponml xyzwvutsrqponmlk",
                "GET t",
                "PFDEBUG DECODE t",
                "PFADD bin \\x00 \\xff\\xfe \\x80\\x81\\x82\\x83\\x84\\x85\\x86\\x87\\x88",
                "GET bin",
            ],
        ),
        case(
            "sparse-growth-and-merges",
            &[
                pfadd_many("s", "el", 0, 50),
                "GET s",
                "PFDEBUG DECODE s",
                pfadd_many("s", "el", 50, 300),
                "GET s",
                "PFDEBUG ENCODING s",
                "PFCOUNT s",
                "GET s",
                pfadd_many("s", "more", 0, 5),
                "GET s",
                "PFDEBUG DECODE s",
            ],
        ),
        case(
            "promotion-by-size",
            &[
                "CONFIG SET hll-sparse-max-bytes 200",
                pfadd_many("p", "x", 0, 40),
                "PFDEBUG ENCODING p",
                "GET p",
                pfadd_many("p", "x", 40, 40),
                "PFDEBUG ENCODING p",
                "GET p",
                "PFCOUNT p",
                "GET p",
                "CONFIG SET hll-sparse-max-bytes 0",
                "PFADD z one",
                "PFDEBUG ENCODING z",
                "GET z",
                "CONFIG SET hll-sparse-max-bytes 3000",
                pfadd_many("big", "y", 0, 3000),
                "PFDEBUG ENCODING big",
                "PFCOUNT big",
                "GET big",
            ],
        ),
        case(
            "dense",
            &[
                "PFADD d a b c",
                "PFDEBUG TODENSE d",
                "PFDEBUG TODENSE d",
                "PFDEBUG ENCODING d",
                "GET d",
                pfadd_many("d", "q", 0, 100),
                "GET d",
                "PFCOUNT d",
                "GET d",
                "PFDEBUG DECODE d",
                "PFADD g 1 2 3",
                "PFDEBUG GETREG g",
                "PFDEBUG ENCODING g",
                "GET g",
            ],
        ),
        case(
            "pfcount-and-pfmerge",
            &[
                "PFADD a{t} a b c",
                "PFADD b{t} b c d",
                "PFADD c{t} c d e",
                "PFCOUNT a{t} b{t} c{t}",
                "PFCOUNT a{t} nokey{t}",
                "PFCOUNT nokey{t}",
                "PFCOUNT nokey{t} nokey2{t}",
                "PFMERGE m{t} a{t} b{t} c{t}",
                "GET m{t}",
                "PFCOUNT m{t}",
                "PFMERGE m{t}",
                "GET m{t}",
                "PFMERGE e{t}",
                "GET e{t}",
                "PFMERGE e{t} nokey{t}",
                "GET e{t}",
                pfadd_many("dd{t}", "w", 0, 200),
                "PFDEBUG TODENSE dd{t}",
                "PFMERGE md{t} a{t} dd{t}",
                "PFDEBUG ENCODING md{t}",
                "GET md{t}",
                "PFCOUNT md{t} a{t}",
                "PFMERGE a{t} b{t}",
                "GET a{t}",
                "PFMERGE a{t} dd{t}",
                "GET a{t}",
            ],
        ),
        case(
            "errors",
            &[
                "SET str{t} bar",
                "PFADD str{t} 1",
                "PFCOUNT str{t}",
                "PFCOUNT str{t} other{t}",
                "PFMERGE dest{t} str{t}",
                "PFMERGE str{t} dest{t}",
                "EXISTS dest{t}",
                "LPUSH list{t} a",
                "PFADD list{t} a",
                "PFCOUNT list{t}",
                "PFMERGE list{t}",
                "PFDEBUG ENCODING list{t}",
                "SET int{t} 1234567890123456",
                "PFADD int{t} a",
                "SET short{t} HYLL",
                "PFCOUNT short{t}",
                "PFADD",
                "PFCOUNT",
                "PFMERGE",
                "PFDEBUG ENCODING",
                "PFDEBUG ENCODING nokey{t}",
                "PFADD h{t} a",
                "PFDEBUG NOPE h{t}",
                "PFDEBUG nope\\x00tail h{t}",
                "PFDEBUG ENCODING h{t} extra",
            ],
        ),
        case(
            "corruption",
            &[
                "PFADD h a b c",
                "APPEND h hello",
                "PFCOUNT h",
                "PFADD h x y z",
                "PFMERGE h2 h",
                "PFCOUNT h h2",
                "PFDEBUG TODENSE h",
                "PFDEBUG GETREG h",
                "DEL h",
                "PFADD h a b c",
                "SETRANGE h 0 0123",
                "PFCOUNT h",
                "DEL h",
                "PFADD h a b c",
                "SETRANGE h 4 x",
                "PFCOUNT h",
                "DEL h",
                "PFADD h a b c",
                "SETRANGE h 4 \\x00",
                "PFCOUNT h",
                "DEL h",
                // A cut-off XZERO as the last opcode.
                "SET h HYLL\\x01\\x00\\x00\\x00\\x00\\x00\\x00\\x00\\x00\\x00\\x00\\x80\\x7f",
                "PFCOUNT h",
                "PFADD h a",
                "GET h",
                // Short runs that do not cover the registers.
                "SET h HYLL\\x01\\x00\\x00\\x00\\x00\\x00\\x00\\x00\\x00\\x00\\x00\\x80\\x00\\x84",
                "PFCOUNT h",
                "PFADD h a b",
                "GET h",
                "PFDEBUG DECODE h",
                // A stale cache on a dense string of the right length is recomputed.
                "PFADD dd a",
                "PFDEBUG TODENSE dd",
                "SETRANGE dd 15 \\x80",
                "PFCOUNT dd",
                "GET dd",
                "SETRANGE dd 100 \\xff\\xff\\xff",
                "SETRANGE dd 15 \\x80",
                "PFCOUNT dd",
            ],
        ),
        case(
            "as-strings",
            &[
                "PFADD h a b c",
                "COPY h h2",
                "GET h2",
                "PFCOUNT h2",
                "RENAME h2 h3",
                "PFADD h3 d",
                "GET h3",
                "PFADD e",
                "OBJECT ENCODING e",
                "SET small HYLL\\x01\\x00\\x00\\x00\\x00\\x00\\x00\\x00\\x00\\x00\\x00\\x00\\x7f\\xff",
                "OBJECT ENCODING small",
                "PFCOUNT small",
                "OBJECT ENCODING small",
                "PFADD small x",
                "GET small",
            ],
        ),
    ]
}

#[test]
fn hll_matches_redis_resp2() {
    assert_same(&cases(), false);
}

#[test]
fn hll_matches_redis_resp3() {
    assert_same(&cases(), true);
}

/// HLL strings travel both ways: bytes Redis made work in redust and the reverse, and
/// both servers then change them into the same bytes.
#[test]
fn hll_bytes_cross_between_servers() {
    let redis = Server::start_redis(&[]);
    let ours = Server::start(&[]);
    let (mut r, mut o) = (redis.raw(), ours.raw());
    let adds: [(&str, usize); 3] = [("sparse", 30), ("mid", 600), ("dense", 5000)];
    for (key, n) in adds {
        let mut cmd: Vec<Vec<u8>> = vec![b"PFADD".to_vec(), key.as_bytes().to_vec()];
        cmd.extend((0..n).map(|i| format!("e{i}").into_bytes()));
        let args: Vec<&[u8]> = cmd.iter().map(|a| a.as_slice()).collect();
        for redis_first in [true, false] {
            let (from, to) = if redis_first {
                (&mut r, &mut o)
            } else {
                (&mut o, &mut r)
            };
            from.cmd(&[b"FLUSHALL"]);
            to.cmd(&[b"FLUSHALL"]);
            from.cmd(&args);
            let bytes = from.cmd(&[b"GET", key.as_bytes()]);
            let body = &bytes[bytes.iter().position(|&b| b == b'\n').unwrap() + 1..bytes.len() - 2];
            // Both get the bytes the source made; then both must change them alike.
            assert_eq!(to.cmd(&[b"SET", b"copy", body]), b"+OK\r\n");
            from.cmd(&[b"SET", b"copy", body]);
            for step in [
                &[b"PFCOUNT".as_slice(), b"copy"][..],
                &[b"GET", b"copy"],
                &[b"PFADD", b"copy", b"extra1", b"extra2", b"extra3"],
                &[b"GET", b"copy"],
                &[b"PFMERGE", b"copy", key.as_bytes()],
                &[b"PFCOUNT", b"copy"],
                &[b"GET", b"copy"],
            ] {
                assert_eq!(from.cmd(step), to.cmd(step), "{key}: {:?}", step);
            }
        }
    }
}

/// PFADD and PFMERGE announce `pfadd`; PFCOUNT's cache refresh announces nothing.
#[test]
fn hll_keyspace_events() {
    assert_scenarios_match(&[(
        "pfadd events",
        vec![
            Call(9, "CONFIG SET notify-keyspace-events KEA"),
            Call(1, "PSUBSCRIBE __keyevent*"),
            Call(2, "PFADD h a b"),
            Read(1),
            Call(2, "PFADD h a"),
            Call(2, "PFCOUNT h"),
            Call(2, "PFMERGE m h"),
            Read(1),
            Call(2, "SET marker 1"),
            Read(1),
            Call(9, "CONFIG SET notify-keyspace-events \\e"),
        ],
    )]);
}

/// A snapshot keeps an HLL's bytes (DEBUG RELOAD), and COPY / RENAME move them like any
/// string. Needs DEBUG on both servers.
#[test]
fn hll_survives_debug_reload() {
    let args = ["--enable-debug-command", "yes"];
    let redis = Server::start_redis(&args);
    let ours = Server::start(&args);
    let script = [
        "FLUSHALL",
        pfadd_many("s", "a", 0, 20),
        pfadd_many("d", "b", 0, 2000),
        "PFCOUNT d",
        "DEBUG RELOAD",
        "GET s",
        "GET d",
        "PFCOUNT s",
        "PFDEBUG ENCODING d",
        "COPY d d2",
        "RENAME s s2",
        "DEBUG RELOAD",
        "GET d2",
        "GET s2",
        "PFCOUNT s2 d2",
    ];
    let (mut a, mut b) = (redis.raw(), ours.raw());
    for line in script {
        let words: Vec<&str> = line.split(' ').collect();
        assert_eq!(a.cmd_str(&words), b.cmd_str(&words), "{line}");
    }
}
