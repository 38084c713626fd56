//! The keyspace end to end: active expiry, SCAN's guarantee while the keyspace changes,
//! keyspace statistics, and redis-cli's key tools (--scan, --bigkeys, --memkeys).

mod common;

use std::collections::HashSet;
use std::time::{Duration, Instant};

use common::{encode_words, redis_cli, Server};

fn fill(raw: &mut common::Raw, n: usize, prefix: &str, extra: &[&str]) {
    let mut batch = Vec::new();
    for i in 0..n {
        let key = format!("{prefix}{i}");
        let mut words = vec!["SET", key.as_str(), "v"];
        words.extend_from_slice(extra);
        batch.extend(encode_words(&words));
    }
    raw.send(&batch);
    for _ in 0..n {
        assert_eq!(raw.reply(), b"+OK\r\n");
    }
}

#[test]
fn active_expiry_reclaims_untouched_keys() {
    let ours = Server::start(&[]);
    let mut raw = ours.raw();
    fill(&mut raw, 10_000, "ttl:", &["PX", "200"]);
    fill(&mut raw, 100, "keep:", &[]);
    assert_eq!(raw.cmd(&[b"DBSIZE"]), b":10100\r\n");
    let started = Instant::now();
    loop {
        if raw.cmd(&[b"DBSIZE"]) == b":100\r\n" {
            break;
        }
        assert!(
            started.elapsed() < Duration::from_secs(5),
            "keys not reclaimed"
        );
        std::thread::sleep(Duration::from_millis(50));
    }
    let info = raw.cmd_str(&["INFO", "stats"]);
    assert!(info.contains("expired_keys:10000\r\n"), "{info}");
}

#[test]
fn active_expiry_can_be_switched_off_for_tests() {
    let ours = Server::start(&["--enable-debug-command", "yes"]);
    let mut raw = ours.raw();
    assert_eq!(raw.cmd_str(&["DEBUG", "SET-ACTIVE-EXPIRE", "0"]), "+OK\r\n");
    fill(&mut raw, 100, "t:", &["PX", "50"]);
    std::thread::sleep(Duration::from_millis(400));
    // Still counted: nothing touched them and the cycle is off...
    assert_eq!(raw.cmd(&[b"DBSIZE"]), b":100\r\n");
    // ...but a read expires lazily.
    assert_eq!(raw.cmd(&[b"GET", b"t:1"]), b"$-1\r\n");
    assert_eq!(raw.cmd(&[b"DBSIZE"]), b":99\r\n");
    assert_eq!(raw.cmd_str(&["DEBUG", "SET-ACTIVE-EXPIRE", "1"]), "+OK\r\n");
    std::thread::sleep(Duration::from_millis(400));
    assert_eq!(raw.cmd(&[b"DBSIZE"]), b":0\r\n");
}

#[test]
fn keyspace_hits_and_misses() {
    let ours = Server::start(&[]);
    let mut raw = ours.raw();
    raw.cmd(&[b"SET", b"a", b"1"]);
    for _ in 0..3 {
        raw.cmd(&[b"GET", b"a"]);
    }
    raw.cmd(&[b"GET", b"b"]);
    raw.cmd(&[b"EXISTS", b"a", b"b"]);
    // As in Redis 7.0: TYPE and OBJECT count, MEMORY USAGE does not.
    raw.cmd(&[b"TYPE", b"a"]);
    raw.cmd(&[b"TYPE", b"b"]);
    raw.cmd(&[b"OBJECT", b"ENCODING", b"a"]);
    raw.cmd(&[b"MEMORY", b"USAGE", b"a"]);
    let info = raw.cmd_str(&["INFO", "stats"]);
    assert!(info.contains("keyspace_hits:6\r\n"), "{info}");
    assert!(info.contains("keyspace_misses:3\r\n"), "{info}");
}

/// Parses a SCAN reply into (cursor, keys).
fn scan_reply(reply: &[u8]) -> (u64, Vec<String>) {
    let text = String::from_utf8_lossy(reply);
    let lines: Vec<&str> = text.split("\r\n").collect();
    let cursor = lines[2].parse().unwrap();
    let keys = lines[4..]
        .chunks(2)
        .filter(|c| c.len() == 2)
        .map(|c| c[1].to_string())
        .collect();
    (cursor, keys)
}

#[test]
fn scan_returns_every_stable_key_while_the_keyspace_changes() {
    let ours = Server::start(&[]);
    let mut raw = ours.raw();
    fill(&mut raw, 2000, "stable:", &[]);
    let mut seen = HashSet::new();
    let mut cursor = 0u64;
    let mut round = 0;
    loop {
        let reply = raw.cmd(&[b"SCAN", cursor.to_string().as_bytes(), b"COUNT", b"50"]);
        let (next, keys) = scan_reply(&reply);
        // COUNT bounds the work: a call returns about COUNT keys, never the whole table.
        assert!(keys.len() < 500, "{} keys in one call", keys.len());
        seen.extend(keys);
        // Grow the keyspace a lot (forcing resizes), then shrink it, between calls.
        if round % 2 == 0 {
            fill(&mut raw, 3000, &format!("churn{round}:"), &[]);
        } else {
            let mut batch = Vec::new();
            for i in 0..3000 {
                batch.extend(encode_words(&["DEL", &format!("churn{}:{i}", round - 1)]));
            }
            raw.send(&batch);
            for _ in 0..3000 {
                raw.reply();
            }
        }
        round += 1;
        cursor = next;
        if cursor == 0 {
            break;
        }
    }
    for i in 0..2000 {
        assert!(
            seen.contains(&format!("stable:{i}")),
            "stable:{i} never returned"
        );
    }
}

#[test]
fn redis_cli_scan_bigkeys_memkeys() {
    let ours = Server::start(&[]);
    let mut raw = ours.raw();
    fill(&mut raw, 300, "user:", &[]);
    fill(&mut raw, 50, "order:", &[]);
    raw.cmd(&[b"SET", b"huge", &vec![b'x'; 10_000]]);

    let (ok, out) = redis_cli(ours.port, &["--scan", "--pattern", "order:*"], b"");
    assert!(ok, "{out}");
    let keys: HashSet<&str> = out.lines().collect();
    assert_eq!(keys.len(), 50, "{out}");
    assert!(keys.iter().all(|k| k.starts_with("order:")));

    let (ok, out) = redis_cli(ours.port, &["--bigkeys"], b"");
    assert!(ok, "{out}");
    assert!(
        out.contains("Biggest string found '\"huge\"' has 10000 bytes"),
        "{out}"
    );
    assert!(out.contains("351 strings with"), "{out}");

    let (ok, out) = redis_cli(ours.port, &["--memkeys"], b"");
    assert!(ok, "{out}");
    assert!(out.contains("Biggest string found '\"huge\"'"), "{out}");
}
