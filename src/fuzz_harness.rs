//! Entry points for the fuzz targets in fuzz/, kept in the crate so that the normal test
//! suite replays the corpus through exactly the same code (tests/fuzz_replay.rs).
//!
//! Each function panics when it finds a bug; on any input it must otherwise return.

use crate::server::ClientId;
use std::cell::RefCell;
use std::collections::BTreeMap;

use arbitrary::Unstructured;

use crate::commands;
use crate::config::Config;
use crate::persistence::snapshot;
use crate::protocol::parse::{Limits, Parsed, ProtocolError, RequestParser};
use crate::protocol::reply::Reply;
use crate::server::{Client, ServerState};
use crate::store::Store;

// ---------------------------------------------------------------------------------------
// resp_request

/// What parsing a byte stream produced: its commands, then possibly an error.
#[derive(Debug, PartialEq, Eq)]
struct Outcome {
    commands: Vec<Vec<Vec<u8>>>,
    error: Option<ProtocolError>,
}

/// Feeds `data` in pieces ending at `cuts`, compacting the buffer between pieces exactly
/// as the event loop does.
fn parse_fed(data: &[u8], cuts: &[usize], limits: Limits) -> Outcome {
    let mut parser = RequestParser::new();
    let mut input: Vec<u8> = Vec::new();
    let mut pos = 0;
    let mut out = Outcome {
        commands: Vec::new(),
        error: None,
    };
    let mut fed = 0;
    for &cut in cuts.iter().chain(std::iter::once(&data.len())) {
        input.extend_from_slice(&data[fed..cut]);
        fed = cut;
        loop {
            match parser.next(&input, &mut pos, limits) {
                Parsed::Incomplete => break,
                Parsed::Error(e) => {
                    out.error = Some(e);
                    return out;
                }
                Parsed::Command => {
                    let mut argv = Vec::new();
                    parser.args(&input, &mut argv);
                    out.commands.push(argv.iter().map(|a| a.to_vec()).collect());
                }
            }
        }
        let keep_from = if parser.is_mid_command() {
            parser.command_start()
        } else {
            pos
        };
        input.drain(..keep_from);
        parser.rebase(keep_from);
        pos -= keep_from;
    }
    out
}

/// Cut points derived from the input itself, so a failing input reproduces.
fn cuts_for(data: &[u8]) -> Vec<usize> {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for &b in data {
        h = (h ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3);
    }
    let mut cuts = Vec::new();
    let mut at = 0;
    while at < data.len() {
        h ^= h << 13;
        h ^= h >> 7;
        h ^= h << 17;
        // Mostly tiny pieces (byte-by-byte delivery), sometimes large ones.
        let step = if h.is_multiple_of(4) {
            (h >> 8) % 4096
        } else {
            (h >> 8) % 5
        } as usize
            + 1;
        at += step;
        if at < data.len() {
            cuts.push(at);
        }
    }
    cuts
}

fn size_limited(e: &Option<ProtocolError>) -> bool {
    matches!(
        e,
        Some(
            ProtocolError::TooBigInlineRequest
                | ProtocolError::TooBigMbulkCountString
                | ProtocolError::TooBigBulkCountString
        )
    )
}

/// The request parser, fed whole and in pseudo-random pieces: the same commands and the
/// same error, whatever the read boundaries. (Redis's "too big ... request" errors depend
/// on how much is buffered when a line end is missing, so after one of those only a
/// common prefix of commands is required.)
pub fn resp_request(data: &[u8]) {
    for limits in [
        Limits::default(),
        Limits {
            authenticated: false,
            ..Limits::default()
        },
    ] {
        let whole = parse_fed(data, &[], limits);
        let pieces = parse_fed(data, &cuts_for(data), limits);
        if size_limited(&whole.error) || size_limited(&pieces.error) {
            let n = whole.commands.len().min(pieces.commands.len());
            assert_eq!(whole.commands[..n], pieces.commands[..n]);
        } else {
            assert_eq!(whole, pieces, "whole feed and pieces disagree");
        }
    }
}

// ---------------------------------------------------------------------------------------
// snapshot_load

/// One database's keys with their value's debug form and deadline.
type DbDump = BTreeMap<Vec<u8>, (String, Option<u64>)>;

/// Every key of every database with its value's debug form and deadline.
fn dump(store: &Store) -> Vec<DbDump> {
    store
        .dbs()
        .iter()
        .map(|db| {
            db.entries()
                .map(|(k, v)| (k.to_vec(), (format!("{v:?}"), db.deadline(k))))
                .collect()
        })
        .collect()
}

/// The snapshot loader on arbitrary bytes: never panics; anything it accepts survives
/// save -> load unchanged.
pub fn snapshot_load(data: &[u8]) {
    let mut store = Store::new(16);
    if snapshot::load(data, Some(data.len() as u64), &mut store, 0).is_err() {
        return;
    }
    let mut saved = Vec::new();
    snapshot::write(&store, &mut saved, 0, true).expect("writing to a Vec cannot fail");
    let mut again = Store::new(16);
    snapshot::load(&saved[..], Some(saved.len() as u64), &mut again, 0)
        .expect("a snapshot we wrote must load");
    assert_eq!(dump(&store), dump(&again), "save -> load changed the data");
}

/// RESTORE's payload decoder on arbitrary bytes (the 10-byte trailer is added with a
/// correct CRC, so the fuzzer reaches the decoder): never panics, never allocates beyond
/// what the input justifies; anything it accepts survives DUMP -> RESTORE unchanged.
pub fn restore_payload(data: &[u8]) {
    use crate::persistence::rdb;
    let limits = crate::store::types::Limits::default();
    let payload = rdb::encode::finish_payload(data.to_vec());
    let Ok(value) = rdb::restore_payload(&payload, &limits) else {
        return;
    };
    let again = rdb::restore_payload(&rdb::encode::dump_payload(&value, true), &limits)
        .expect("a payload we dumped must restore");
    assert_eq!(value, again, "DUMP -> RESTORE changed the value");
    assert_eq!(value.encoding(), again.encoding());
}

// ---------------------------------------------------------------------------------------
// command_sequence

/// Commands the sequence fuzzer leaves out: they touch the disk, fork, sleep, stop the
/// process or rebind sockets.
const EXCLUDED: &[&str] = &[
    "save",
    "bgsave",
    "shutdown",
    "debug",
    "config|set",
    "config|rewrite",
    // A self-test running millions of operations: seconds per call in a debug build.
    "pfselftest",
    // Scripts are code the user runs: an input may be an endless loop, which only SCRIPT
    // KILL from another client stops, and a harness without sockets has no other client.
    "eval",
    "eval_ro",
    "evalsha",
    "evalsha_ro",
    "fcall",
    "fcall_ro",
    "function|load",
    // FUNCTION RESTORE runs library code like FUNCTION LOAD.
    "function|restore",
    // They connect to other servers, or fork a child that writes to a socket.
    "migrate",
    "sync",
    "psync",
];

/// Arguments real clients send, and the edge values that break servers.
const POOL: &[&str] = &[
    "k",
    "k2",
    "a",
    "b",
    "{tag}x",
    "",
    "0",
    "1",
    "-1",
    "2",
    "10",
    "100",
    "-100",
    "3.5",
    "-0",
    "9223372036854775807",
    "-9223372036854775808",
    "18446744073709551616",
    "inf",
    "-inf",
    "nan",
    "abc",
    "1e3",
    "*",
    "k*",
    "?",
    "[a-z]",
    "\\",
    "NX",
    "XX",
    "GT",
    "LT",
    "EX",
    "PX",
    "EXAT",
    "PXAT",
    "KEEPTTL",
    "GET",
    "PERSIST",
    "COUNT",
    "MATCH",
    "TYPE",
    "string",
    "REPLACE",
    "DB",
    "LEN",
    "IDX",
    "MINMATCHLEN",
    "WITHMATCHLEN",
    "BYTE",
    "BIT",
    "AND",
    "OR",
    "XOR",
    "NOT",
    "OVERFLOW",
    "WRAP",
    "SAT",
    "FAIL",
    "INCRBY",
    "SET",
    "u8",
    "i64",
    "u63",
    "#1",
    "ON",
    "OFF",
    "SKIP",
    "ALL",
    "WRITE",
    "ID",
    "ADDR",
    "SAMPLES",
    "FILTERBY",
    "PATTERN",
    "ACLCAT",
    "3",
    "ASYNC",
    "SYNC",
    "SETNAME",
    "AUTH",
    "default",
    "WITHSCORES",
    "BYSCORE",
    "BYLEX",
    "REV",
    "LIMIT",
    "LEFT",
    "RIGHT",
    "BEFORE",
    "AFTER",
    "RANK",
    "MAXLEN",
    "WEIGHTS",
    "AGGREGATE",
    "SUM",
    "MIN",
    "MAX",
    "WITHVALUES",
    "CH",
    "INCR",
    "(1",
    "[a",
    "-",
    "+",
    "f",
    "m",
    "BY",
    "ALPHA",
    "DESC",
    "ASC",
    "STORE",
    "#",
    "nosort",
    "w_*",
    "*->f",
];

/// The commands the sequence fuzzer draws from, as argv prefixes (`client|list` is
/// `CLIENT LIST`), in a fixed order so that seed files keep their meaning.
pub fn fuzzable_commands() -> Vec<Vec<&'static str>> {
    let mut names: Vec<&str> = commands::handlers::HANDLERS
        .iter()
        .map(|(n, _)| *n)
        .filter(|n| !EXCLUDED.contains(n))
        .collect();
    names.sort_unstable();
    names.iter().map(|n| n.split('|').collect()).collect()
}

/// A poll registry, made once per thread, from which each run's state is cloned.
struct Plumbing {
    poll: mio::Poll,
}

thread_local! {
    static PLUMBING: RefCell<Option<Plumbing>> = const { RefCell::new(None) };
}

fn with_plumbing<T>(f: impl FnOnce(&Plumbing) -> T) -> T {
    PLUMBING.with(|p| {
        let mut p = p.borrow_mut();
        let p = p.get_or_insert_with(|| Plumbing {
            poll: mio::Poll::new().expect("poll"),
        });
        f(p)
    })
}

/// Keys and their types over all databases.
fn types(store: &Store) -> Vec<BTreeMap<Vec<u8>, &'static str>> {
    store
        .dbs()
        .iter()
        .map(|db| {
            db.entries()
                .map(|(k, v)| (k.to_vec(), v.type_name()))
                .collect()
        })
        .collect()
}

/// Decodes commands from `data` and runs them through the real dispatch on a fresh store,
/// checking invariants after each: DBSIZE equals what a full SCAN returns, TTL answers -2,
/// -1 or a positive number, and a command without the write flag changes no key's type
/// and creates no key.
///
/// Format (bytes): per command, `[command index][argc]`, then per argument either
/// `[0..=127: index into a pool of plausible values]` or `[128 + len][len raw bytes]`,
/// then `[clock advance in 10 ms steps]`.
pub fn command_sequence(data: &[u8]) {
    let commands = fuzzable_commands();
    let mut u = Unstructured::new(data);
    let registry = with_plumbing(|p| p.poll.registry().try_clone().expect("dup registry"));
    let mut config = Config::default();
    config.save.0.clear();
    let mut store = Store::new(16);
    store.now_ms = 1_700_000_000_000;
    let mut srv = ServerState::new(config, registry, Vec::new(), store.now_ms);
    // A client without a socket, as scripts and log replay use.
    let key = srv.clients.insert(Client::socketless(1, store.now_ms));
    let mut reply = Reply::default();

    for _ in 0..64 {
        if u.is_empty() {
            break;
        }
        let Ok(which) = u.arbitrary::<u8>() else {
            break;
        };
        let Ok(argc) = u.arbitrary::<u8>() else { break };
        let mut argv: Vec<Vec<u8>> = commands[which as usize % commands.len()]
            .iter()
            .map(|w| w.as_bytes().to_vec())
            .collect();
        for _ in 0..argc % 8 {
            let Ok(kind) = u.arbitrary::<u8>() else { break };
            if kind < 128 {
                argv.push(POOL[kind as usize % POOL.len()].as_bytes().to_vec());
            } else {
                let len = (kind - 128) as usize;
                let Ok(raw) = u.bytes(len.min(u.len())) else {
                    break;
                };
                argv.push(raw.to_vec());
            }
        }
        let argv: Vec<&[u8]> = argv.iter().map(|a| a.as_slice()).collect();
        // EXEC runs whatever was queued, writes included.
        let writes = commands::table::lookup(&argv).is_some_and(|(c, _)| {
            c.flags.contains(commands::spec::CommandFlags::WRITE)
                || c.traits.contains(commands::table::Traits::RUNS_TRANSACTION)
        });
        let before = types(&store);
        crate::dispatch::execute(&mut store, &mut srv, &mut reply, key, &argv);
        if !writes {
            let after = types(&store);
            for (db, (b, a)) in before.iter().zip(&after).enumerate() {
                for (k, t) in a {
                    assert_eq!(
                        b.get(k),
                        Some(t),
                        "read-only {argv:?} changed {k:?} in db {db}"
                    );
                }
            }
        }
        check_invariants(&mut store, &mut srv, key);
        reply.buf.clear();
        reply.error_codes.clear();
        // A command that blocked (WAIT, BLPOP, ...) is given up at once: the harness has
        // no second client to serve it, and the next command must run.
        srv.end_block(key);
        assert!(
            srv.waiters.is_empty(),
            "a waiter outlived its client's block"
        );
        let step = u.arbitrary::<u8>().unwrap_or(0);
        store.now_ms += u64::from(step) * 10;
    }
}

fn check_invariants(store: &mut Store, srv: &mut ServerState, key: ClientId) {
    for (i, db) in store.dbs().iter().enumerate() {
        let mut seen = std::collections::HashSet::new();
        let mut cursor = 0;
        loop {
            cursor = db.scan(cursor, |k, _| {
                seen.insert(k.to_vec());
            });
            if cursor == 0 {
                break;
            }
        }
        assert_eq!(seen.len(), db.len(), "db{i}: SCAN and DBSIZE disagree");
    }
    let db = srv.clients[key].db;
    let keys: Vec<Vec<u8>> = store.db(db).keys().map(|k| k.to_vec()).collect();
    // The probes must see their replies whatever CLIENT REPLY the sequence set; the
    // client's mode is restored afterwards (found by the fuzzer:
    // fuzz/regressions/command_sequence/invariant-ttl-under-client-reply-off).
    // Likewise outside a transaction the sequence may have opened, or they would be queued,
    // and outside RESP2's subscribed mode, or they would be refused.
    let mode = std::mem::take(&mut srv.clients[key].reply_mode);
    let tx = srv.clients[key].tx.take();
    let subs = std::mem::take(&mut srv.clients[key].subs);
    for k in keys.iter().take(16) {
        let mut out = Reply::default();
        crate::dispatch::execute(store, srv, &mut out, key, &[b"TTL", k]);
        let text = String::from_utf8_lossy(&out.buf).into_owned();
        let n: i64 = text
            .strip_prefix(':')
            .and_then(|t| t.trim_end().parse().ok())
            .unwrap_or_else(|| panic!("TTL replied {text:?}"));
        assert!(n == -1 || n == -2 || n >= 0, "TTL {k:?} = {n}");
    }
    srv.clients[key].reply_mode = mode;
    srv.clients[key].tx = tx;
    srv.clients[key].subs = subs;
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn harnesses_accept_simple_inputs() {
        resp_request(b"*2\r\n$3\r\nGET\r\n$1\r\nk\r\nPING\r\n*1\r\n$x\r\n");
        snapshot_load(b"REDUST0001\xff\0\0\0\0");
        command_sequence(&[0, 2, 0, 1, 5, 3, 1, 0, 0]);
    }
}
