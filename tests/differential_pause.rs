//! CLIENT PAUSE, compared with redis-server: which commands a WRITE or ALL pause holds back
//! (transactions included), which are answered at once (refusals come first), and that the
//! clients it holds count as blocked (INFO blocked_clients, the `b` flag that the scenario's
//! Block step waits for), as Redis's pause tests expect.

mod common;

use common::scenario::{assert_scenarios_match, Step::*};

#[test]
fn paused_clients_count_as_blocked() {
    assert_scenarios_match(&[
        (
            "write pause holds writes",
            vec![
                Call(1, "CLIENT PAUSE 100000 WRITE"),
                Call(2, "GET foo"),
                Call(2, "PING"),
                BlockedClients,
                Block(2, "SET foo bar"),
                BlockedClients,
                Calls("set"),
                Block(3, "INCR n"),
                Block(4, "DEL foo"),
                BlockedClients,
                Call(5, "GET foo"),
                Call(1, "CLIENT UNPAUSE"),
                BlockedClients,
                Read(2),
                Read(3),
                Read(4),
                Calls("set"),
                Call(5, "GET foo"),
            ],
        ),
        (
            "refusals are answered at once",
            vec![
                Call(1, "CLIENT PAUSE 100000 WRITE"),
                Call(2, "SET foo"),
                Call(2, "NOSUCHCOMMAND x"),
                Call(2, "INCR"),
                Call(2, "MULTI"),
                Call(2, "SET"),
                Call(2, "DISCARD"),
                BlockedClients,
                Calls("set"),
                Call(1, "CLIENT UNPAUSE"),
            ],
        ),
        (
            "a transaction with a write waits at EXEC",
            vec![
                Call(2, "MULTI"),
                Call(2, "SET a 1"),
                Call(3, "MULTI"),
                Call(3, "GET a"),
                Call(3, "PING"),
                Call(1, "CLIENT PAUSE 100000 WRITE"),
                // Read-only: runs.
                Call(3, "EXEC"),
                Block(2, "EXEC"),
                BlockedClients,
                // Queueing a write inside MULTI waits too.
                Call(4, "MULTI"),
                Block(4, "INCR a"),
                BlockedClients,
                Call(1, "CLIENT UNPAUSE"),
                Read(2),
                Read(4),
                Call(4, "EXEC"),
                BlockedClients,
            ],
        ),
        (
            "a pause inside a transaction starts after EXEC",
            vec![
                Call(2, "MULTI"),
                Call(2, "SET f1 bar"),
                Call(2, "CLIENT PAUSE 100000 WRITE"),
                Call(2, "SET f2 bar"),
                Call(2, "EXEC"),
                Block(3, "SET f3 bar"),
                Call(2, "GET f1"),
                Call(2, "GET f2"),
                Call(2, "GET f3"),
                Call(2, "CLIENT UNPAUSE"),
                Read(3),
                Call(2, "GET f3"),
            ],
        ),
        (
            "an all pause holds reads but not refusals",
            vec![
                Call(1, "CLIENT PAUSE 300 ALL"),
                Call(2, "SET foo"),
                Call(2, "NOSUCHCOMMAND"),
                Pipeline(2, &["GET foo", "PING"]),
                Read(2),
                Read(2),
                BlockedClients,
            ],
        ),
    ]);
}

/// Redis keeps the dataset constant while clients are paused: a key past its deadline reads
/// as missing but stays (DBSIZE counts it) until the pause ends.
#[test]
fn keys_do_not_expire_during_a_pause() {
    assert_scenarios_match(&[(
        "expiry waits for the pause to end",
        vec![
            Call(1, "SET foo bar PX 150"),
            Call(1, "CLIENT PAUSE 100000 WRITE"),
            Sleep(400),
            Call(1, "GET foo"),
            Call(1, "EXISTS foo"),
            Call(1, "DBSIZE"),
            Call(1, "CLIENT UNPAUSE"),
            Call(1, "GET foo"),
            Call(1, "DBSIZE"),
        ],
    )]);
}
