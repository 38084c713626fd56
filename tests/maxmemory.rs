//! maxmemory: what each policy keeps and evicts, the OOM refusals (byte for byte against
//! redis-server where Redis is deterministic), a limit that holds while far more is
//! written, and what eviction tells WATCH, tracking clients and keyspace subscribers.

mod common;

use common::diff::{case, run};
use common::{encode_words, Raw, Server};

const OOM: &str = "-OOM command not allowed when used memory > 'maxmemory'.\r\n";

/// With maxmemory at 1 byte Redis is deterministic: every key the policy may evict goes,
/// and every deny-oom command is refused. The same script under each policy.
#[test]
fn each_policy_at_one_byte_matches_redis() {
    let mut cases = Vec::new();
    for policy in [
        "noeviction",
        "allkeys-lru",
        "allkeys-lfu",
        "allkeys-random",
        "volatile-lru",
        "volatile-lfu",
        "volatile-random",
        "volatile-ttl",
    ] {
        let set_policy: &'static str =
            Box::leak(format!("CONFIG SET maxmemory-policy {policy}").into_boxed_str());
        cases.push(case(
            "one byte",
            &[
                "CONFIG SET maxmemory 0",
                "SET a 1",
                "RPUSH l x y",
                "SET v1 x EX 1000",
                "SET v2 y EX 2000",
                set_policy,
                "CONFIG SET maxmemory 1",
                "DBSIZE",
                "EXISTS a",
                "EXISTS l",
                "EXISTS v1",
                "EXISTS v2",
                "SET c 3",
                "SETBIT far 4294967295 1",
                "APPEND a more",
                "INCR a",
                "GET a",
                "LRANGE l 0 -1",
                "TTL v1",
                "DEL a",
                "MULTI",
                "GET l",
                "EXEC",
                "MULTI",
                "EXEC",
                "EVAL #!lua\nreturn\\s1 0",
                "EVAL #!lua\\sflags=no-writes\nreturn\\s1 0",
                "EVAL return\\s1 0",
                "CONFIG SET maxmemory 0",
                "SET c 3",
                "CONFIG SET maxmemory-policy noeviction",
            ],
        ));
    }
    let failures = run(&cases, false, &[]);
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

/// Fills a server whose limit is `headroom` bytes above what it uses empty with keys of
/// `size` bytes, `volatile` saying which get a TTL; returns the replies that were errors.
fn fill(conn: &mut Raw, keys: usize, size: usize, volatile: impl Fn(usize) -> bool) -> Vec<String> {
    let value = "v".repeat(size);
    let mut errors = Vec::new();
    for i in 0..keys {
        let key = format!("key:{i}");
        let reply = if volatile(i) {
            conn.cmd_str(&["SET", &key, &value, "EX", "100000"])
        } else {
            conn.cmd_str(&["SET", &key, &value])
        };
        if reply.starts_with('-') {
            errors.push(reply);
        }
    }
    errors
}

fn limited(policy: &str, headroom: u64) -> (Server, Raw) {
    let server = Server::start(&["--maxmemory-policy", policy]);
    let mut conn = server.raw();
    // Each command's first call allocates its latency histogram: call those the checks
    // use once first, so they do not move used_memory once the limit is reached.
    for cmd in [
        &["DBSIZE"][..],
        &["EXISTS", "x"],
        &["DEL", "x"],
        &["GET", "x"],
    ] {
        conn.cmd_str(cmd);
    }
    let used = conn.info_u64("used_memory");
    let limit = (used + headroom).to_string();
    assert_eq!(
        conn.cmd_str(&["CONFIG", "SET", "maxmemory", &limit]),
        "+OK\r\n"
    );
    (server, conn)
}

#[test]
fn volatile_policies_evict_only_keys_with_a_ttl_then_refuse() {
    for policy in [
        "volatile-lru",
        "volatile-lfu",
        "volatile-random",
        "volatile-ttl",
    ] {
        let (_server, mut conn) = limited(policy, 512 * 1024);
        // 2 MB of 1 KB values, every other one volatile: the limit is passed four times.
        let errors = fill(&mut conn, 2000, 1000, |i| i % 2 == 1);
        // Every key without a TTL written before the limit is still there...
        let evicted = conn.info_u64("evicted_keys");
        assert!(evicted > 0, "{policy}: nothing evicted");
        for i in (0..2000).step_by(2) {
            let key = format!("key:{i}");
            let reply = conn.cmd_str(&["EXISTS", &key]);
            // ... unless its own SET was refused.
            assert!(
                reply == ":1\r\n" || !errors.is_empty(),
                "{policy}: {key} gone"
            );
        }
        // Once no volatile key is left, writes are refused with Redis's error.
        assert!(!errors.is_empty(), "{policy}: never refused");
        assert!(errors.iter().all(|e| e == OOM), "{policy}: {errors:?}");
        // Past the limit by at most what cannot be evicted: the keyspace table may still
        // double once its chains reach 1.618 keys a bucket (16 KB at 2,048 buckets), as
        // Redis's dictExpandAllowed lets it.
        let (used, max) = (conn.info_u64("used_memory"), conn.info_u64("maxmemory"));
        assert!(used < max + 16384 + 4096, "{policy}: {used} > {max}");
    }
}

#[test]
fn allkeys_policies_hold_the_limit() {
    for policy in ["allkeys-lru", "allkeys-lfu", "allkeys-random"] {
        let (_server, mut conn) = limited(policy, 512 * 1024);
        let errors = fill(&mut conn, 3000, 1000, |_| false);
        assert!(errors.is_empty(), "{policy}: {errors:?}");
        let used = conn.info_u64("used_memory");
        let max = conn.info_u64("maxmemory");
        assert!(used <= max + 4096, "{policy}: {used} > {max}");
        let dbsize: u64 = conn.cmd_str(&["DBSIZE"])[1..].trim().parse().unwrap();
        assert!(dbsize < 3000 && dbsize > 100, "{policy}: {dbsize}");
        assert_eq!(conn.info_u64("evicted_keys"), 3000 - dbsize);
    }
}

#[test]
fn noeviction_refuses_writes_but_serves_reads_and_deletes() {
    let (_server, mut conn) = limited("noeviction", 256 * 1024);
    let errors = fill(&mut conn, 1000, 1000, |_| false);
    assert!(!errors.is_empty());
    assert!(errors.iter().all(|e| e == OOM));
    // A far SETBIT (512 MB) is refused like any other write.
    assert_eq!(conn.cmd_str(&["SETBIT", "far", "4294967295", "1"]), OOM);
    assert_eq!(conn.cmd_str(&["EXISTS", "far"]), ":0\r\n");
    assert_eq!(
        conn.cmd_str(&["GET", "key:0"]),
        format!("$1000\r\n{}\r\n", "v".repeat(1000))
    );
    assert_eq!(conn.info_u64("evicted_keys"), 0);
    // Deleting makes room again.
    for i in 0..1000 {
        conn.cmd_str(&["DEL", &format!("key:{i}")]);
    }
    assert_eq!(conn.cmd_str(&["SET", "again", "1"]), "+OK\r\n");
}

/// allkeys-lru evicts the keys idle longest: keys read after a pause survive a fill that
/// evicts a part of those never read again.
#[test]
fn allkeys_lru_keeps_recently_used_keys() {
    let server = Server::start(&[
        "--maxmemory-policy",
        "allkeys-lru",
        "--maxmemory-samples",
        "10",
    ]);
    let mut conn = server.raw();
    let value = "v".repeat(1000);
    for i in 0..2000 {
        conn.cmd_str(&["SET", &format!("cold:{i}"), &value]);
    }
    // The LRU clock counts seconds.
    std::thread::sleep(std::time::Duration::from_millis(2100));
    for i in 0..50 {
        conn.cmd_str(&["SET", &format!("hot:{i}"), &value]);
    }
    let used = conn.info_u64("used_memory");
    conn.cmd_str(&["CONFIG", "SET", "maxmemory", &used.to_string()]);
    for i in 0..200 {
        assert_eq!(
            conn.cmd_str(&["SET", &format!("new:{i}"), &value]),
            "+OK\r\n"
        );
    }
    assert!(conn.info_u64("evicted_keys") >= 150);
    for i in 0..50 {
        assert_eq!(
            conn.cmd_str(&["EXISTS", &format!("hot:{i}")]),
            ":1\r\n",
            "hot:{i}"
        );
    }
}

/// The case: 200 MB written under a 50 MB limit; used_memory stays near 50 MB.
#[test]
fn fifty_megabytes_hold_while_two_hundred_are_written() {
    let server = Server::start(&["--maxmemory", "50mb", "--maxmemory-policy", "allkeys-lru"]);
    let mut conn = server.raw();
    let value = "x".repeat(1024);
    let limit = 50 * 1024 * 1024;
    let mut highest = 0;
    for batch in 0..2000 {
        let mut bytes = Vec::new();
        for i in 0..100 {
            bytes.extend(encode_words(&["SET", &format!("k:{batch}:{i}"), &value]));
        }
        conn.send(&bytes);
        for _ in 0..100 {
            assert_eq!(conn.reply(), b"+OK\r\n");
        }
        if batch % 50 == 0 {
            highest = highest.max(conn.info_u64("used_memory"));
        }
    }
    let used = conn.info_u64("used_memory");
    assert!(highest <= limit + 1024 * 1024, "{highest}");
    assert!(used > limit * 9 / 10, "{used}");
    assert!(conn.info_u64("evicted_keys") > 100_000);
}

/// An evicted key is a change like any other: a WATCHing transaction fails, a tracking
/// client is told (before the reply to the command the eviction preceded), and keyspace
/// subscribers see `evicted`.
#[test]
fn eviction_invalidates_watch_tracking_and_notifies() {
    let server = Server::start(&["--maxmemory-policy", "allkeys-random"]);
    let mut watcher = server.raw();
    let mut tracker = server.raw();
    let mut sub = server.raw();
    let mut admin = server.raw();
    admin.cmd_str(&["CONFIG", "SET", "notify-keyspace-events", "Ee"]);
    admin.cmd_str(&["SET", "k", "v"]);
    sub.cmd_str(&["SUBSCRIBE", "__keyevent@0__:evicted"]);
    tracker.cmd_str(&["HELLO", "3"]);
    tracker.cmd_str(&["CLIENT", "TRACKING", "on"]);
    tracker.cmd_str(&["GET", "k"]);
    watcher.cmd_str(&["WATCH", "k"]);
    watcher.cmd_str(&["MULTI"]);
    watcher.cmd_str(&["PING"]);
    admin.cmd_str(&["CONFIG", "SET", "maxmemory", "1"]);
    assert_eq!(admin.cmd_str(&["DBSIZE"]), ":0\r\n");
    admin.cmd_str(&["CONFIG", "SET", "maxmemory", "0"]);
    assert_eq!(watcher.cmd_str(&["EXEC"]), "*-1\r\n");
    assert_eq!(
        tracker.reply(),
        b">2\r\n$10\r\ninvalidate\r\n*1\r\n$1\r\nk\r\n"
    );
    let msg = String::from_utf8(sub.reply()).unwrap();
    assert!(
        msg.contains("__keyevent@0__:evicted") && msg.ends_with("$1\r\nk\r\n"),
        "{msg}"
    );
    assert_eq!(admin.info_u64("evicted_keys"), 1);
}

/// Tracking invalidations for evicted keys fill the tracking clients' output buffers; once
/// written, that room is given back, so it does not set off more eviction (Redis's
/// "client tracking don't cause eviction feedback loop").
#[test]
fn tracking_invalidations_do_not_feed_eviction() {
    let server = Server::start(&[]);
    let mut conn = server.raw();
    conn.cmd_str(&["CONFIG", "SET", "maxmemory-policy", "allkeys-lru"]);
    conn.cmd_str(&["CONFIG", "SET", "maxmemory-eviction-tenacity", "100"]);
    let mut trackers: Vec<Raw> = (0..10).map(|_| server.raw()).collect();
    for t in &mut trackers {
        t.cmd_str(&["HELLO", "3"]);
        t.cmd_str(&["CLIENT", "TRACKING", "on"]);
    }
    for j in 0..300 {
        let key = format!("{j}{}", "x".repeat(1000));
        conn.cmd_str(&["SET", &key, "x"]);
        for t in &mut trackers {
            t.cmd_str(&["GET", &key]);
        }
    }
    let used = conn.info_u64("used_memory");
    conn.cmd_str(&["CONFIG", "SET", "maxmemory", &(used - 40_000).to_string()]);
    let evicted = conn.info_u64("evicted_keys");
    let dbsize: u64 = conn.cmd_str(&["DBSIZE"])[1..].trim().parse().unwrap();
    assert!((200..300).contains(&dbsize), "dbsize {dbsize}");
    assert!((10..=50).contains(&evicted), "evicted {evicted}");
}
