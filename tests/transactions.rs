//! MULTI / EXEC / DISCARD / WATCH / UNWATCH, compared with redis-server: one connection
//! through the differential harness, several through multi-client scenarios.

mod common;

use common::diff::{assert_same, case, Case};
use common::scenario::{assert_scenarios_match, Step::*};
use common::Server;

fn cases() -> Vec<Case> {
    vec![
        case(
            "queue and exec",
            &[
                "EXEC",
                "DISCARD",
                "MULTI",
                "MULTI",
                "SET k v",
                "INCR n",
                "GET k",
                "LPUSH k x",
                "PING",
                "EXEC",
                "GET k",
                "MULTI",
                "EXEC",
                "MULTI",
                "DISCARD",
                "EXEC",
                "GET n",
            ],
        ),
        case(
            "refused while queueing",
            &[
                "MULTI",
                "SET k v",
                "SET k",
                "NOPE x",
                "PING",
                "EXEC",
                "EXISTS k",
                "MULTI",
                "SAVE",
                "EXEC",
                "MULTI",
                "SHUTDOWN ABORT",
                "EXEC",
                "MULTI",
                "DEBUG SLEEP 0",
                "EXEC",
                "MULTI",
                "DISCARD x",
                "EXEC",
                "MULTI",
                "WATCH k",
                "MULTI",
                "SET k 1",
                "EXEC",
                "MULTI x",
                "WATCH",
                "UNWATCH x",
                "DISCARD x",
            ],
        ),
        case(
            "exec refused",
            &["EXEC x", "MULTI", "SET a 1", "EXEC x", "EXEC", "EXISTS a"],
        ),
        case(
            "inside exec",
            &[
                "MULTI",
                "SELECT 2",
                "SET in2 x",
                "SELECT x",
                "SELECT 99",
                "EXEC",
                "DBSIZE",
                "SELECT 0",
                "DBSIZE",
                "MULTI",
                "BLPOP q 0",
                "BRPOP q q2 10",
                "BLMOVE q r LEFT LEFT 0",
                "BRPOPLPUSH q r 0",
                "BZPOPMIN z 0",
                "BZMPOP 0 1 z MIN",
                "BLMPOP 0 1 q LEFT",
                "WAIT 1 100",
                "WAIT 0 0",
                "MONITOR",
                "UNWATCH",
                "CLIENT REPLY ON",
                "EXEC",
                "RPUSH q a b",
                "MULTI",
                "BLPOP q 0",
                "BRPOP q 0",
                "BLPOP q 0",
                "EXEC",
            ],
        ),
        case(
            "watch",
            &[
                "WATCH w",
                "MULTI",
                "SET w 1",
                "EXEC",
                "WATCH w",
                "SET w own",
                "MULTI",
                "GET w",
                "EXEC",
                "WATCH w",
                "UNWATCH",
                "SET w again",
                "MULTI",
                "GET w",
                "EXEC",
                "WATCH w x y w",
                "DEL nothing",
                "MULTI",
                "EXEC",
                "WATCH w",
                "MULTI",
                "DISCARD",
                "SET w 2",
                "MULTI",
                "EXEC",
                "WATCH missing",
                "DEL missing",
                "MULTI",
                "EXEC",
                "WATCH missing",
                "FLUSHALL",
                "MULTI",
                "EXEC",
                "SET present 1",
                "WATCH present",
                "FLUSHDB",
                "MULTI",
                "EXEC",
                "SELECT 1",
                "SET s1 x",
                "SELECT 0",
                "WATCH s1",
                "SWAPDB 0 1",
                "MULTI",
                "EXEC",
            ],
        ),
    ]
}

#[test]
fn single_connection_transactions_match_redis() {
    let cases = cases();
    assert_same(&cases, false);
    assert_same(&cases, true);
}

#[test]
fn watch_sees_other_clients_expiry_and_exec_wakes_waiters() {
    assert_scenarios_match(&[
        (
            "another client's write fails the transaction",
            vec![
                Call(1, "WATCH k"),
                Call(2, "SET k theirs"),
                Call(1, "MULTI"),
                Call(1, "SET k mine"),
                Call(1, "EXEC"),
                Call(1, "GET k"),
                Call(1, "WATCH k"),
                Call(2, "GET k"),
                Call(1, "MULTI"),
                Call(1, "SET k mine"),
                Call(1, "EXEC"),
                Call(1, "GET k"),
            ],
        ),
        (
            "a watched key that expires fails the transaction",
            vec![
                // Deadlines far enough apart that a loaded machine cannot reorder them.
                Call(1, "SET e 1 PX 300"),
                Call(1, "WATCH e"),
                Sleep(400),
                Call(1, "MULTI"),
                Call(1, "PING"),
                Call(1, "EXEC"),
                Call(1, "SET e2 1 PX 300"),
                Call(1, "WATCH e2"),
                Sleep(400),
                Call(2, "GET e2"),
                Call(1, "MULTI"),
                Call(1, "EXEC"),
                Call(1, "SET gone 1 PX 1"),
                Sleep(50),
                Call(1, "WATCH gone"),
                Call(1, "MULTI"),
                Call(1, "EXEC"),
            ],
        ),
        (
            "exec serves blocked clients after the whole transaction",
            vec![
                Block(2, "BLPOP q 0"),
                Call(1, "MULTI"),
                Call(1, "RPUSH q a b"),
                Call(1, "LLEN q"),
                Call(1, "LPOP q"),
                Call(1, "EXEC"),
                Read(2),
                Call(1, "LLEN q"),
                Block(3, "BZPOPMAX z 0"),
                Call(1, "MULTI"),
                Call(1, "ZADD z 1 a 2 b"),
                Call(1, "ZCARD z"),
                Call(1, "EXEC"),
                Read(3),
                Calls("exec"),
                Calls("rpush"),
                Calls("blpop"),
            ],
        ),
        (
            "discarded and disconnected transactions leave no trace",
            vec![
                Call(1, "WATCH k"),
                Call(1, "MULTI"),
                Call(1, "SET k 1"),
                Close(1),
                Call(2, "SET k 2"),
                Call(2, "WATCH k"),
                Call(2, "MULTI"),
                Call(2, "GET k"),
                Call(2, "EXEC"),
                Call(3, "MULTI"),
                Call(3, "SET k 3"),
                Call(3, "RESET"),
                Call(3, "EXEC"),
                Call(3, "GET k"),
            ],
        ),
    ]);
}

/// A redis-crate pipeline in atomic mode (MULTI/EXEC), as apps use it.
#[test]
fn redis_crate_atomic_pipeline() {
    let server = Server::start(&[]);
    let mut con = server.client();
    let (a, b, n): (String, String, i64) = redis::pipe()
        .atomic()
        .set("a", "1")
        .ignore()
        .set("b", "2")
        .ignore()
        .get("a")
        .get("b")
        .incr("n", 5)
        .query(&mut con)
        .unwrap();
    assert_eq!((a.as_str(), b.as_str(), n), ("1", "2", 5));

    // WATCH / MULTI / EXEC retry loop: the transaction fails once another client writes.
    let mut other = server.client();
    let _: () = redis::cmd("WATCH").arg("a").query(&mut con).unwrap();
    let _: () = redis::cmd("SET")
        .arg("a")
        .arg("x")
        .query(&mut other)
        .unwrap();
    let result: Option<(String,)> = redis::pipe().atomic().get("a").query(&mut con).unwrap();
    assert_eq!(result, None);
}
