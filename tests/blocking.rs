//! Blocking pops (BLPOP BRPOP BLMOVE BRPOPLPUSH BLMPOP BZPOPMIN BZPOPMAX BZMPOP), compared
//! with redis-server: single-connection cases (immediate pops, errors, timeouts) through
//! the differential harness, and multi-client scenarios whose whole transcript must match.

mod common;

use std::time::{Duration, Instant};

use common::diff::{assert_same, case, Case};
use common::scenario::{assert_scenarios_match, Step::*};
use common::Server;

fn single_connection_cases() -> Vec<Case> {
    vec![
        case(
            "immediate",
            &[
                "RPUSH l a b c",
                "BLPOP l 0",
                "BRPOP l 0",
                "BLPOP missing l 0",
                "RPUSH l2 x",
                "BRPOP missing l2 l 1",
                "EXISTS l2",
                "RPUSH src 1 2 3",
                "BLMOVE src dst LEFT RIGHT 0",
                "BLMOVE src dst RIGHT LEFT 0.5",
                "BRPOPLPUSH src dst 0",
                "LRANGE dst 0 -1",
                "EXISTS src",
                "RPUSH m 1 2 3 4 5",
                "BLMPOP 0 2 nope m LEFT",
                "BLMPOP 0 1 m RIGHT COUNT 2",
                "BLMPOP 0 1 m LEFT COUNT 10",
                "EXISTS m",
                "ZADD z 1 a 2 b 3 c 4 d",
                "BZPOPMIN z 0",
                "BZPOPMAX nope z 0",
                "BZMPOP 0 1 z MIN",
                "BZMPOP 0 2 nope z MAX COUNT 5",
                "EXISTS z",
                "ZADD z2 1.5 a inf b",
                "BZPOPMAX z2 0",
                "BZPOPMIN z2 0",
            ],
        ),
        case(
            "timeouts",
            &[
                "BLPOP k 0.01",
                "BRPOP k k2 0.02",
                "BLMOVE a b LEFT LEFT 0.01",
                "BRPOPLPUSH a b 0.01",
                "BLMPOP 0.01 1 a LEFT",
                "BLMPOP 0.01 2 a b RIGHT COUNT 3",
                "BZPOPMIN z 0.01",
                "BZPOPMAX z 0.001",
                "BZMPOP 0.01 1 z MIN",
                "BLPOP k 0.0001",
                "BLPOP k 1e-3",
                "EXISTS a b k z",
                "PING",
            ],
        ),
        case(
            "errors",
            &[
                "BLPOP k",
                "BLPOP",
                "BLPOP k abc",
                "BLPOP k -1",
                "BLPOP k -0.5",
                "BLPOP k \\e",
                "BLPOP k \\s1",
                "BLPOP k 1x",
                "BLPOP k nan",
                "BLPOP k inf",
                "BLPOP k -inf",
                "BLPOP k 1e30",
                "BLPOP k 9223372036854775807",
                "BLPOP k 9223372036854775.808",
                "BRPOP k -1",
                "BLMOVE a b LEFT UP 0",
                "BLMOVE a b UP LEFT -1",
                "BLMOVE a b LEFT LEFT x",
                "BLMOVE a b LEFT LEFT",
                "BRPOPLPUSH a b x",
                "BRPOPLPUSH a b",
                "BLMPOP 0 0 a LEFT",
                "BLMPOP 0 -1 a LEFT",
                "BLMPOP 0 x a LEFT",
                "BLMPOP 0 99999999999999999999 a LEFT",
                "BLMPOP 0 2 a LEFT",
                "BLMPOP 0 1 a UP",
                "BLMPOP 0 1 a LEFT COUNT",
                "BLMPOP 0 1 a LEFT COUNT 0",
                "BLMPOP 0 1 a LEFT COUNT x",
                "BLMPOP 0 1 a LEFT COUNT 1 COUNT 2",
                "BLMPOP 0 1 a LEFT FOO 1",
                "BLMPOP x 1 a LEFT",
                "BLMPOP -1 1 a LEFT",
                "BLMPOP -1 1 a LEFT COUNT 0",
                "BLMPOP -1 0 a LEFT",
                "BLMPOP 0 1",
                "BZPOPMIN z x",
                "BZPOPMAX z -2",
                "BZPOPMIN z",
                "BZMPOP 0 0 z MIN",
                "BZMPOP 0 1 z MINX",
                "BZMPOP 0 1 z MIN COUNT 0",
                "BZMPOP 0 1 z MIN COUNT -3",
                "BZMPOP 0 1 z MIN COUNT 2 COUNT 3",
                "BZMPOP x 1 z MIN",
                "BZMPOP -1 1 z MIN",
                "BZMPOP -1 1 z MAXX",
                "BZMPOP 0 3 z MIN",
            ],
        ),
        case(
            "wrong types",
            &[
                "SET s v",
                "RPUSH l a",
                "ZADD z 1 m",
                "BLPOP s 0",
                "BLPOP z 0",
                "BLPOP l z 0",
                "BLPOP z l 0",
                "BLPOP s -1",
                "BRPOP nope s 0",
                "BLMOVE s d LEFT LEFT 0",
                "RPUSH l a b c d",
                "BLMOVE l s LEFT LEFT 0",
                "BRPOPLPUSH l z 0",
                "LRANGE l 0 -1",
                "BLMPOP 0 2 s l LEFT",
                "BLMPOP 0 2 nope l LEFT",
                "BZPOPMIN s 0",
                "BZPOPMAX l 0",
                "BZPOPMIN z l 0",
                "BZMPOP 0 2 nope s MIN",
                "BZMPOP 0 1 l MAX",
            ],
        ),
    ]
}

#[test]
fn single_connection_replies_match_redis() {
    let cases = single_connection_cases();
    assert_same(&cases, false);
    assert_same(&cases, true);
}

#[test]
fn waiters_are_served_first_come_first_served() {
    assert_scenarios_match(&[
        (
            "fifo on one key",
            vec![
                Block(1, "BLPOP q 0"),
                Block(2, "BLPOP q 0"),
                Block(3, "BRPOP q 0"),
                BlockedClients,
                Call(0, "LPUSH q a b"),
                Read(1),
                Read(2),
                BlockedClients,
                Call(0, "EXISTS q"),
                Call(0, "RPUSH q z y"),
                Read(3),
                Call(0, "LRANGE q 0 -1"),
                BlockedClients,
                Calls("blpop"),
                Calls("brpop"),
            ],
        ),
        (
            "several keys",
            vec![
                Block(1, "BLPOP k1 k2 k3 0"),
                Block(2, "BRPOP k3 k2 0"),
                Call(0, "RPUSH k2 x"),
                Read(1),
                Call(0, "RPUSH k3 y z"),
                Read(2),
                Call(0, "LRANGE k3 0 -1"),
                BlockedClients,
            ],
        ),
        (
            "one push serves many",
            vec![
                Block(1, "BLPOP q 0"),
                Block(2, "BLMPOP 0 1 q LEFT COUNT 2"),
                Block(3, "BLPOP q 0"),
                Call(0, "RPUSH q 1 2 3 4 5"),
                Read(1),
                Read(2),
                Read(3),
                Call(0, "LRANGE q 0 -1"),
            ],
        ),
        (
            "sorted sets",
            vec![
                Block(1, "BZPOPMIN z 0"),
                Block(2, "BZPOPMAX z 0"),
                Block(3, "BZMPOP 0 2 other z MAX COUNT 2"),
                Call(0, "ZADD z 1 a 2 b 3 c 4 d 5.5 e"),
                Read(1),
                Read(2),
                Read(3),
                Call(0, "ZRANGE z 0 -1 WITHSCORES"),
                Calls("bzmpop"),
            ],
        ),
    ]);
}

#[test]
fn moves_renames_and_types_wake_the_right_waiters() {
    assert_scenarios_match(&[
        (
            "blmove chains into a waiter on its destination",
            vec![
                Block(1, "BLMOVE s1 s2 LEFT RIGHT 0"),
                Block(2, "BRPOP s2 0"),
                Call(0, "RPUSH s1 v1 v2"),
                Read(1),
                Read(2),
                Call(0, "LRANGE s1 0 -1"),
                Call(0, "EXISTS s2"),
            ],
        ),
        (
            "brpoplpush and rotation",
            vec![
                Block(1, "BRPOPLPUSH src dst 0"),
                Block(2, "BLMOVE r r RIGHT LEFT 0"),
                Call(0, "RPUSH src a b"),
                Read(1),
                Call(0, "RPUSH r x y"),
                Read(2),
                Call(0, "LRANGE r 0 -1"),
                Call(0, "LRANGE dst 0 -1"),
            ],
        ),
        (
            "blmove onto a wrong-type destination",
            vec![
                Call(0, "SET dst str"),
                Block(1, "BLMOVE src dst LEFT RIGHT 0"),
                Call(0, "RPUSH src v"),
                Read(1),
                Call(0, "LRANGE src 0 -1"),
                Calls("blmove"),
            ],
        ),
        (
            "list waiter and zset waiter on one key",
            vec![
                Block(1, "BZPOPMIN k 0"),
                Block(2, "BLPOP k 0"),
                Call(0, "RPUSH k a"),
                Read(2),
                Call(0, "EXISTS k"),
                Call(0, "ZADD k 1 m"),
                Read(1),
                Call(0, "SET k v"),
                Call(0, "DEL k"),
                BlockedClients,
            ],
        ),
        (
            "rename, copy, move and lmove fill waited keys",
            vec![
                Call(0, "RPUSH tmp q"),
                Block(1, "BLPOP target 0"),
                Call(0, "RENAME tmp target"),
                Read(1),
                Call(0, "RPUSH a 1"),
                Block(2, "BLPOP b 0"),
                Call(0, "COPY a b"),
                Read(2),
                Call(2, "SELECT 3"),
                Block(2, "BLPOP a 0"),
                Call(0, "MOVE a 3"),
                Read(2),
                Call(0, "RPUSH m1 x"),
                Block(3, "BLPOP m2 0"),
                Call(0, "LMOVE m1 m2 LEFT LEFT"),
                Read(3),
                Call(0, "ZADD zs 1 a"),
                Block(4, "BZPOPMIN zu 0"),
                Call(0, "ZUNIONSTORE zu 1 zs"),
                Read(4),
                Block(4, "BZPOPMAX zr 0"),
                Call(0, "ZRANGESTORE zr zs 0 -1"),
                Read(4),
                Call(0, "RPUSH unsorted 3 1 2"),
                Block(5, "BRPOP sorted 0"),
                Call(0, "SORT unsorted STORE sorted"),
                Read(5),
                Call(0, "LRANGE sorted 0 -1"),
                BlockedClients,
            ],
        ),
        (
            "swapdb brings data to waiters",
            vec![
                Call(0, "SELECT 1"),
                Call(0, "RPUSH k from-db-1"),
                Call(0, "ZADD z 1 m"),
                Block(1, "BLPOP k 0"),
                Block(2, "BZPOPMIN z 0"),
                Call(0, "SWAPDB 0 1"),
                Read(1),
                Read(2),
                BlockedClients,
            ],
        ),
        (
            "databases are separate",
            vec![
                Call(1, "SELECT 1"),
                Block(1, "BLPOP k 0"),
                Call(0, "RPUSH k in-db-0"),
                BlockedClients,
                Call(0, "SELECT 1"),
                Call(0, "RPUSH k in-db-1"),
                Read(1),
                Call(0, "SELECT 0"),
                Call(0, "LRANGE k 0 -1"),
            ],
        ),
    ]);
}

#[test]
fn timeouts_unblock_and_disconnects() {
    assert_scenarios_match(&[
        (
            "timeouts",
            vec![
                Block(1, "BLPOP k 0.05"),
                Block(2, "BZMPOP 0.05 1 z MIN"),
                Block(3, "BLMOVE a b LEFT LEFT 0.05"),
                Read(1),
                Read(2),
                Read(3),
                BlockedClients,
                Calls("blpop"),
                Calls("bzmpop"),
                Calls("blmove"),
                Call(0, "RPUSH k late"),
                Call(0, "LLEN k"),
            ],
        ),
        (
            "client unblock",
            vec![
                Block(1, "BLPOP k 0"),
                Unblock(1, ""),
                Read(1),
                Block(1, "BZPOPMIN z 0"),
                Unblock(1, "TIMEOUT"),
                Read(1),
                Block(1, "BLMOVE a b LEFT LEFT 0"),
                Unblock(1, "ERROR"),
                Read(1),
                Unblock(1, "ERROR"),
                Unblock(1, "NOPE"),
                Calls("blpop"),
                Calls("bzpopmin"),
                Calls("blmove"),
                Calls("client|unblock"),
                Call(0, "RPUSH k v"),
                Call(0, "LLEN k"),
            ],
        ),
        (
            "a disconnected waiter is forgotten",
            vec![
                Block(1, "BLPOP k 0"),
                Block(2, "BLPOP k 0"),
                Close(1),
                BlockedClients,
                Call(0, "RPUSH k a b"),
                Read(2),
                Call(0, "LRANGE k 0 -1"),
                BlockedClients,
            ],
        ),
        (
            "commands behind a blocked one wait for it",
            vec![
                Pipeline(1, &["BLPOP pk 0", "PING", "ECHO hi", "LLEN pk"]),
                Block(2, "BLPOP other 0"),
                Call(0, "RPUSH pk v"),
                Read(1),
                Read(1),
                Read(1),
                Read(1),
                Unblock(2, ""),
                Read(2),
            ],
        ),
    ]);
}

/// The `redis` crate's blocking calls work across threads, as an app's worker would.
#[test]
fn redis_crate_worker_gets_jobs_pushed_later() {
    let server = Server::start(&[]);
    let port = server.port;
    let worker = std::thread::spawn(move || {
        let client = redis::Client::open(format!("redis://127.0.0.1:{port}/")).unwrap();
        let mut con = client.get_connection().unwrap();
        let mut got = Vec::new();
        for _ in 0..3 {
            let (_, job): (String, String) = redis::cmd("BLPOP")
                .arg("jobs")
                .arg(5)
                .query(&mut con)
                .unwrap();
            got.push(job);
        }
        got
    });
    let mut con = server.client();
    let mut ctl = server.raw();
    // Push only once the worker waits, so the jobs reach it through the wait queue.
    let deadline = Instant::now() + Duration::from_secs(5);
    while !String::from_utf8_lossy(&ctl.cmd(&[b"INFO", b"clients"])).contains("blocked_clients:1") {
        assert!(Instant::now() < deadline, "worker never blocked");
        std::thread::sleep(Duration::from_millis(2));
    }
    for job in ["one", "two", "three"] {
        let _: i64 = redis::cmd("RPUSH")
            .arg("jobs")
            .arg(job)
            .query(&mut con)
            .unwrap();
    }
    assert_eq!(worker.join().unwrap(), ["one", "two", "three"]);
}
