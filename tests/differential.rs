//! Differential tests: the same commands go to a real redis-server and to redust, and the
//! reply bytes must be identical.

mod common;

use common::diff::{assert_same, case, Case};

fn connection_cases() -> Vec<Case> {
    vec![
        case("ping", &["PING", "PING hello", "PING a b", "ping \\e"]),
        case("echo", &["ECHO hi", "ECHO", "ECHO a b", "echo \\e"]),
        case(
            "select",
            &["SELECT 1", "SELECT 15", "SELECT 16", "SELECT -1", "SELECT abc", "SELECT 99999999999", "SELECT 0"],
        ),
        case(
            "hello-errors",
            &[
                "HELLO 4",
                "HELLO abc",
                "HELLO 1",
                "HELLO 3 FOO",
                "HELLO 2 AUTH default",
                "HELLO 2 SETNAME a\\sb",
                "HELLO 2 AUTH bob pw",
            ],
        ),
        case(
            "auth",
            &["AUTH x", "AUTH a b c", "AUTH default anything", "AUTH bob x"],
        ),
        case(
            "unknown",
            &[
                "FOO",
                "FOO a b c",
                "foo 0123456789012345678901234567890123456789012345678901234567890123456789 0123456789012345678901234567890123456789012345678901234567890123456789 x",
                "CLIENT FOO",
                "CLIENT",
                "CONFIG nosuch x",
                "COMMAND FOO",
                "GET",
                "GET a b",
                "SET a",
            ],
        ),
    ]
}

fn keyspace_cases() -> Vec<Case> {
    vec![
        case(
            "set-get-del",
            &[
                "GET k",
                "SET k v",
                "GET k",
                "SET k \\e",
                "GET k",
                "DEL k",
                "DEL k",
                "SET a 1",
                "SET b 2",
                "DEL a b c",
                "DBSIZE",
            ],
        ),
        case(
            "set-options",
            &[
                "SET k v NX",
                "SET k v NX",
                "SET k w XX",
                "GET k",
                "SET n v XX",
                "SET k v2 GET",
                "SET k v3 NX GET",
                "SET missing v GET",
                "SET k v EX 100",
                "SET k v PX 100000",
                "SET k v EXAT 99999999999",
                "SET k v PXAT 99999999999999",
                "SET k v KEEPTTL",
                "SET k v ex 100 ex 200",
                "SET k v nx xx",
                "SET k v xx nx",
                "SET k v EX 10 PX 10",
                "SET k v KEEPTTL EX 10",
                "SET k v EX 10 KEEPTTL",
                "SET k v EX",
                "SET k v EX 0",
                "SET k v EX -1",
                "SET k v EX abc",
                "SET k v PX 0",
                "SET k v EX 9223372036854775807",
                "SET k v PXAT 9223372036854775807",
                "SET k v FOO",
                "SET k v GET GET",
            ],
        ),
        case(
            "dbs",
            &[
                "SET k v",
                "DBSIZE",
                "SWAPDB 0 1",
                "DBSIZE",
                "SELECT 1",
                "GET k",
                "SWAPDB a 1",
                "SWAPDB 0 b",
                "SWAPDB 0 99",
                "SWAPDB -1 0",
                "FLUSHDB FOO",
                "FLUSHDB ASYNC",
                "DBSIZE",
                "FLUSHALL SYNC",
                "FLUSHALL async",
                "FLUSHALL a b",
            ],
        ),
    ]
}

fn server_cases() -> Vec<Case> {
    vec![
        case(
            "min-replicas-to-write",
            &[
                "SET x before",
                "CONFIG SET min-replicas-to-write 1",
                "SET x 1",
                "GET x",
                "EVAL \"return redis.call('get','x')\" 0",
                "EVAL \"return redis.call('set','x','1')\" 0",
                "EVAL \"return redis.pcall('set','x','1')\" 0",
                "EVAL \"#!lua\nreturn redis.call('get','x')\" 0",
                "EVAL \"#!lua flags=no-writes\nreturn redis.call('get','x')\" 0",
                "CONFIG SET min-replicas-max-lag 0",
                "SET x 2",
                "CONFIG SET min-replicas-max-lag 10",
                "CONFIG SET min-replicas-to-write 0",
                "SET x 3",
            ],
        ),
        case(
            "cluster-disabled",
            &[
                "CLUSTER INFO",
                "CLUSTER HELP",
                "CLUSTER RESET HARD",
                "CLUSTER KEYSLOT foo",
                "CLUSTER",
                "CLUSTER nosuch",
                "CLUSTER INFO extra",
                "READONLY",
                "READWRITE",
                "ASKING",
                "READONLY extra",
                "EVAL \"return redis.call('cluster','reset','hard')\" 0",
                "EVAL \"return redis.call('cluster','info')\" 0",
                "EVAL \"return redis.call('readonly')\" 0",
            ],
        ),
        case(
            "config-set-errors",
            &[
                "CONFIG SET nosuch 1",
                "CONFIG SET timeout abc",
                "CONFIG SET timeout -1",
                "CONFIG SET loglevel foo",
                "CONFIG SET maxmemory-policy foo",
                "CONFIG SET protected-mode maybe",
                "CONFIG SET maxmemory 1zz",
                "CONFIG SET databases 5",
                "CONFIG SET dir /tmp",
                "CONFIG SET timeout 5 timeout 6",
                "CONFIG SET save 60",
                "CONFIG SET save 60 1 2",
                "CONFIG SET proto-max-bulk-len 10",
                "CONFIG SET slowlog-log-slower-than -5",
                "CONFIG SET maxclients 0",
                "CONFIG SET notify-keyspace-events Zq",
                "CONFIG SET timeout",
            ],
        ),
        case(
            "config-set-get",
            &[
                "CONFIG SET timeout 5 maxmemory 1kb",
                "CONFIG GET timeout",
                "CONFIG GET maxmemory",
                "CONFIG SET maxmemory 0",
                "CONFIG SET save 100\\s1\\s200\\s2",
                "CONFIG GET save",
                "CONFIG SET save \\e",
                "CONFIG GET save",
                "CONFIG SET notify-keyspace-events KEA",
                "CONFIG GET notify-keyspace-events",
                "CONFIG SET notify-keyspace-events Ex",
                "CONFIG GET notify-keyspace-events",
                "CONFIG SET notify-keyspace-events \\e",
                "CONFIG SET loglevel WARNING",
                "CONFIG GET loglevel",
                "CONFIG SET loglevel notice",
                "CONFIG SET hz 0",
                "CONFIG GET hz",
                "CONFIG SET hz 1000",
                "CONFIG GET hz",
                "CONFIG SET hz 10",
                "CONFIG GET maxmemory-policy",
                "CONFIG GET MAXMEMORY-POLICY",
                "CONFIG GET databases",
                "CONFIG GET nosuch",
                "CONFIG GET slowlog-max*",
                "CONFIG SET timeout 0",
                "CONFIG GET appendonly",
                "CONFIG GET proto-max-bulk-len",
                "CONFIG GET hash-max-ziplist-entries",
                "CONFIG GET stop-writes-on-bgsave-error",
            ],
        ),
        case(
            "client",
            &[
                "CLIENT GETNAME",
                "CLIENT SETNAME myname",
                "CLIENT GETNAME",
                "CLIENT SETNAME a\\sb",
                "CLIENT SETNAME \\e",
                "CLIENT GETNAME",
                "CLIENT REPLY FOO",
                "CLIENT NO-EVICT maybe",
                "CLIENT NO-EVICT on",
                "CLIENT NO-EVICT off",
                "CLIENT PAUSE abc",
                "CLIENT PAUSE -1",
                "CLIENT PAUSE 10 FOO",
                "CLIENT KILL 1.2.3.4:5",
                "CLIENT KILL ID 0",
                "CLIENT KILL ID abc",
                "CLIENT KILL TYPE foo",
                "CLIENT KILL USER bob",
                "CLIENT KILL SKIPME maybe",
                "CLIENT KILL ID 1 TYPE",
                "CLIENT KILL ID 99999 SKIPME yes",
                "CLIENT KILL FOO bar",
                "CLIENT UNBLOCK 999999",
                "CLIENT UNBLOCK abc",
                "CLIENT UNBLOCK 1 FOO",
                "CLIENT LIST TYPE foo",
                "CLIENT LIST ID abc",
                "CLIENT LIST ID 0",
                "CLIENT LIST FOO",
                "CLIENT UNPAUSE",
                "CLIENT REPLY ON",
            ],
        ),
        case(
            "command",
            &[
                "COMMAND INFO get set del",
                "COMMAND INFO nosuch",
                "COMMAND INFO GET",
                "COMMAND INFO config|get",
                "COMMAND DOCS get",
                "COMMAND DOCS set ping",
                "COMMAND DOCS nosuch",
                "COMMAND DOCS config|set",
                "COMMAND GETKEYS set a b",
                "COMMAND GETKEYS del a b c",
                "COMMAND GETKEYS nosuch a",
                "COMMAND GETKEYS get",
                "COMMAND GETKEYS get a b",
                "COMMAND GETKEYS ping x",
                "COMMAND GETKEYSANDFLAGS set a b",
                "COMMAND GETKEYSANDFLAGS del a b",
                "COMMAND LIST FILTERBY foo x",
                "COMMAND LIST FILTERBY MODULE x",
                "COMMAND LIST FILTERBY",
                "COMMAND HELP",
            ],
        ),
        case(
            "slowlog-wait-shutdown",
            &[
                "SLOWLOG RESET",
                "SLOWLOG GET -5",
                "SLOWLOG GET abc",
                "SLOWLOG HELP",
                "SLOWLOG LEN",
                "WAIT 0 0",
                "WAIT abc 0",
                "WAIT 0 abc",
                "WAIT 0 -1",
                "WAIT 1 10",
                "SHUTDOWN ABORT",
                "SHUTDOWN FOO",
                "SHUTDOWN NOSAVE ABORT",
                "DEBUG SLEEP 0",
                "CONFIG REWRITE",
                "CONFIG HELP",
            ],
        ),
    ]
}

#[test]
fn connection_commands_match_redis() {
    assert_same(&connection_cases(), false);
}

#[test]
fn keyspace_commands_match_redis() {
    assert_same(&keyspace_cases(), false);
}

#[test]
fn server_commands_match_redis() {
    assert_same(&server_cases(), false);
}

#[test]
fn resp3_replies_match_redis() {
    let mut cases = keyspace_cases();
    cases.extend(server_cases());
    cases.push(case(
        "hello-3",
        &[
            "HELLO 3 FOO",
            "CONFIG GET timeout",
            "GET nothing",
            "COMMAND INFO get",
        ],
    ));
    assert_same(&cases, true);
}
