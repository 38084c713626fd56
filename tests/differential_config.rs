//! Differential tests for CONFIG GET / SET / RESETSTAT: every kind of parameter with valid
//! and invalid values, immutable, protected and unknown names, several parameters at once
//! (all or nothing), aliases and hidden parameters, compared byte for byte with
//! redis-server, in RESP2 and RESP3. `CONFIG GET *` is compared as a name set and value
//! by value.

mod common;

use std::collections::BTreeMap;

use common::diff::{assert_same, case, Case};
use common::Server;

/// Redis answers in its hash table's order, so replies naming several parameters are
/// compared unordered (`~`).
fn get_cases() -> Vec<Case> {
    vec![
        case(
            "exact-names",
            &[
                "CONFIG GET maxmemory",
                "CONFIG GET MAXMEMORY",
                "CONFIG GET hash-max-ziplist-entries",
                "~ CONFIG GET slaveof replicaof",
                "~ CONFIG GET lua-time-limit busy-reply-threshold",
                "CONFIG GET nosuch",
                "CONFIG GET maxmemory MaxMemory maxmemory",
                "CONFIG GET client-output-buffer-limit",
                "~ CONFIG GET oom-score-adj-values latency-tracking-info-percentiles",
                "~ CONFIG GET notify-keyspace-events save",
                "~ CONFIG GET unixsocketperm shutdown-on-sigint",
                "~ CONFIG GET maxmemory-clients proto-max-bulk-len",
                "~ CONFIG GET appendfilename proc-title-template",
                "CONFIG GET \\e",
                "CONFIG GET",
            ],
        ),
        case(
            "hidden",
            &[
                "CONFIG GET key-load-delay",
                "~ CONFIG GET rdb-key-save-delay watchdog-period use-exit-on-panic",
                "CONFIG GET loading-process-events-interval-bytes",
                "~ CONFIG GET *delay*",
                "~ CONFIG GET *-delay",
            ],
        ),
        case(
            "patterns",
            &[
                "~ CONFIG GET maxmemory maxmemory* bind *of",
                "~ CONFIG GET *max*entries*",
                "~ CONFIG GET SLAVE*",
                "~ CONFIG GET hash-max-*",
                "~ CONFIG GET tls-*",
                "~ CONFIG GET *ziplist* hash-max-listpack-entries",
                "~ CONFIG GET list-max-ziplist-size *list*",
                "CONFIG GET [",
                "~ CONFIG GET lfu-?????-time",
                "~ CONFIG GET [lm]axmemory",
                "~ CONFIG GET *\\\\*",
                "CONFIG GET nomatch*",
            ],
        ),
    ]
}

fn set_cases() -> Vec<Case> {
    vec![
        case(
            "bool",
            &[
                "CONFIG SET activerehashing no",
                "CONFIG GET activerehashing",
                "CONFIG SET activerehashing YES",
                "CONFIG SET activerehashing maybe",
                "CONFIG SET activerehashing \\e",
                "CONFIG SET activerehashing 1",
                "CONFIG SET slave-read-only no",
                "CONFIG GET replica-read-only",
                "CONFIG SET slave-read-only yes",
                "CONFIG SET activedefrag yes",
                "CONFIG SET activedefrag no",
                "CONFIG GET activedefrag",
                "CONFIG SET lazyfree-lazy-user-del yes",
                "CONFIG SET lazyfree-lazy-user-del no",
            ],
        ),
        case(
            "integers",
            &[
                "CONFIG SET timeout abc",
                "CONFIG SET timeout -1",
                "CONFIG SET timeout 007",
                "CONFIG SET timeout +5",
                "CONFIG SET timeout \\s5",
                "CONFIG SET timeout 2147483648",
                "CONFIG SET timeout 9999999999999999999999",
                "CONFIG SET timeout 1.5",
                "CONFIG SET timeout \\e",
                "CONFIG SET timeout 5",
                "CONFIG GET timeout",
                "CONFIG SET timeout 0",
                "CONFIG SET maxclients 0",
                "CONFIG SET maxclients -1",
                "CONFIG SET maxclients 4294967296",
                "CONFIG SET list-max-ziplist-size abc",
                "CONFIG SET list-max-ziplist-size -2147483649",
                "CONFIG SET list-max-listpack-size -5",
                "CONFIG GET list-max-ziplist-size",
                "CONFIG SET list-max-listpack-size -2",
                "CONFIG SET list-compress-depth 2",
                "CONFIG GET list-compress-depth",
                "CONFIG SET list-compress-depth -1",
                "CONFIG SET list-compress-depth 0",
                "CONFIG SET slowlog-max-len -1",
                "CONFIG SET slowlog-log-slower-than -2",
                "CONFIG SET active-expire-effort 11",
                "CONFIG SET active-expire-effort 0",
                "CONFIG SET maxmemory-eviction-tenacity 101",
                "CONFIG SET hash-max-ziplist-entries -1",
                "CONFIG SET set-max-intset-entries 9223372036854775808",
                "CONFIG SET hz 0",
                "CONFIG GET hz",
                "CONFIG SET hz 100000",
                "CONFIG GET hz",
                "CONFIG SET hz 10",
                "CONFIG SET lua-time-limit 6000",
                "CONFIG GET busy-reply-threshold",
                "CONFIG SET busy-reply-threshold 5000",
            ],
        ),
        case(
            "memory",
            &[
                "CONFIG SET maxmemory 1zz",
                "CONFIG SET maxmemory 1.5gb",
                "CONFIG SET maxmemory -1",
                "CONFIG SET maxmemory +1",
                "CONFIG SET maxmemory 1Kb",
                "CONFIG GET maxmemory",
                "CONFIG SET maxmemory 1K",
                "CONFIG GET maxmemory",
                "CONFIG SET maxmemory 1GB",
                "CONFIG GET maxmemory",
                "CONFIG SET maxmemory mb",
                "CONFIG GET maxmemory",
                "CONFIG SET maxmemory \\e",
                "CONFIG GET maxmemory",
                "CONFIG SET maxmemory 99999999999999999999",
                "CONFIG GET maxmemory",
                "CONFIG SET maxmemory 0",
                "CONFIG SET proto-max-bulk-len 10",
                "CONFIG SET proto-max-bulk-len 99999999999999999999",
                "CONFIG SET client-query-buffer-limit 1kb",
                "CONFIG SET hash-max-listpack-value 1kb",
                "CONFIG GET hash-max-listpack-value",
                "CONFIG SET hash-max-listpack-value 64",
                "CONFIG SET repl-backlog-size 0",
                "CONFIG SET repl-backlog-size 10mb",
                "CONFIG GET repl-backlog-size",
                "CONFIG SET active-defrag-ignore-bytes 0",
                "CONFIG SET maxmemory-clients 200%",
                "CONFIG SET maxmemory-clients 50%",
                "CONFIG GET maxmemory-clients",
                "CONFIG SET maxmemory-clients -5%",
                "CONFIG SET maxmemory-clients %",
                "CONFIG SET maxmemory-clients abc",
                "CONFIG SET maxmemory-clients 1mb",
                "CONFIG GET maxmemory-clients",
                "CONFIG SET maxmemory-clients 0",
            ],
        ),
        case(
            "enums-and-flags",
            &[
                "CONFIG SET loglevel foo",
                "CONFIG SET loglevel WARNING",
                "CONFIG GET loglevel",
                "CONFIG SET loglevel notice",
                "CONFIG SET maxmemory-policy foo",
                "CONFIG SET maxmemory-policy ALLKEYS-LFU",
                "CONFIG GET maxmemory-policy",
                "CONFIG SET maxmemory-policy noeviction",
                "CONFIG SET oom-score-adj relative",
                "CONFIG GET oom-score-adj",
                "CONFIG SET oom-score-adj absolute",
                "CONFIG GET oom-score-adj",
                "CONFIG SET oom-score-adj no",
                "CONFIG SET appendfsync sometimes",
                "CONFIG SET acl-pubsub-default allchannels",
                "CONFIG GET acl-pubsub-default",
                "CONFIG SET acl-pubsub-default resetchannels",
                "CONFIG SET shutdown-on-sigint nosave\\sforce\\snow",
                "CONFIG GET shutdown-on-sigint",
                "CONFIG SET shutdown-on-sigint save\\snosave",
                "CONFIG SET shutdown-on-sigint bogus",
                "CONFIG SET shutdown-on-sigint \\e",
                "CONFIG SET shutdown-on-sigint default\\snow",
                "CONFIG GET shutdown-on-sigint",
                "CONFIG SET shutdown-on-sigint default",
                "CONFIG SET shutdown-on-sigterm save",
                "CONFIG GET shutdown-on-sigterm",
                "CONFIG SET shutdown-on-sigterm default",
                "CONFIG SET repl-diskless-load swapdb",
                "CONFIG SET repl-diskless-load disabled",
                "CONFIG SET sanitize-dump-payload maybe",
                "CONFIG SET propagation-error-behavior panic-on-replicas",
                "CONFIG SET propagation-error-behavior ignore",
                "CONFIG SET cluster-preferred-endpoint-type x",
                "CONFIG SET tls-auth-clients optional",
                "CONFIG SET tls-auth-clients yes",
            ],
        ),
        case(
            "strings",
            &[
                "CONFIG SET masterauth secret",
                "CONFIG GET masterauth",
                "CONFIG SET masterauth \\e",
                "CONFIG SET replica-announce-ip 10.0.0.1",
                "CONFIG GET slave-announce-ip",
                "CONFIG SET replica-announce-ip \\e",
                "CONFIG SET ignore-warnings ARM64-COW-BUG",
                "CONFIG SET ignore-warnings \\e",
                "CONFIG SET cluster-announce-hostname a_b",
                "CONFIG SET cluster-announce-hostname host-1.example",
                "CONFIG GET cluster-announce-hostname",
                "CONFIG SET cluster-announce-hostname \\e",
                "CONFIG SET proc-title-template {title}",
                "CONFIG SET proc-title-template {nosuch}",
                "CONFIG SET proc-title-template {title",
                "CONFIG SET proc-title-template {{literal}}\\s{port}",
                "CONFIG GET proc-title-template",
                "CONFIG SET proc-title-template {title}\\s{listen-addr}\\s{server-mode}",
                "CONFIG SET bind-source-addr 127.0.0.1",
                "CONFIG SET bind-source-addr \\e",
                "CONFIG SET tls-ciphers DEFAULT",
                "CONFIG GET tls-ciphers",
                "CONFIG SET tls-ciphers \\e",
            ],
        ),
        case(
            "specials",
            &[
                "CONFIG SET save 60",
                "CONFIG SET save 60\\s1\\s2",
                "CONFIG SET save 0\\s1",
                "CONFIG SET save 60\\s-1",
                "CONFIG SET save 60\\s\\s1",
                "CONFIG SET save abc\\s1",
                "CONFIG SET save 100\\s1\\s200\\s2",
                "CONFIG GET save",
                "CONFIG SET save 60\\s4294967297",
                "CONFIG GET save",
                "CONFIG SET save \\e",
                "CONFIG GET save",
                "CONFIG SET client-output-buffer-limit pubsub\\s1mb\\s2kb\\s3",
                "CONFIG GET client-output-buffer-limit",
                "CONFIG SET client-output-buffer-limit replica\\s1\\s1\\s1\\snormal\\s2\\s2\\s2",
                "CONFIG GET client-output-buffer-limit",
                "CONFIG SET client-output-buffer-limit master\\s0\\s0\\s0",
                "CONFIG SET client-output-buffer-limit normal\\s0\\s0",
                "CONFIG SET client-output-buffer-limit normal\\sx\\s0\\s0",
                "CONFIG SET client-output-buffer-limit normal\\s0\\s0\\s-1",
                "CONFIG SET client-output-buffer-limit \\e",
                "CONFIG SET client-output-buffer-limit normal\\s0\\s0\\s0\\sslave\\s268435456\\s67108864\\s60\\spubsub\\s33554432\\s8388608\\s60",
                "CONFIG GET client-output-buffer-limit",
                "CONFIG SET oom-score-adj-values 1\\s2",
                "CONFIG SET oom-score-adj-values 1\\s2\\s3000",
                "CONFIG SET oom-score-adj-values 1\\s2\\sx",
                "CONFIG SET oom-score-adj-values 10\\s20\\s30",
                "CONFIG GET oom-score-adj-values",
                "CONFIG SET oom-score-adj-values 0\\s200\\s800",
                "CONFIG SET notify-keyspace-events KEA",
                "CONFIG GET notify-keyspace-events",
                "CONFIG SET notify-keyspace-events Anm",
                "CONFIG GET notify-keyspace-events",
                "CONFIG SET notify-keyspace-events g$lshzxetdn",
                "CONFIG GET notify-keyspace-events",
                "CONFIG SET notify-keyspace-events Zq",
                "CONFIG SET notify-keyspace-events \\e",
                "CONFIG GET notify-keyspace-events",
                "CONFIG SET latency-tracking-info-percentiles 50\\s99.99\\s1e1",
                "CONFIG GET latency-tracking-info-percentiles",
                "CONFIG SET latency-tracking-info-percentiles 101",
                "CONFIG SET latency-tracking-info-percentiles abc",
                "CONFIG SET latency-tracking-info-percentiles nan",
                "CONFIG SET latency-tracking-info-percentiles \\e",
                "CONFIG GET latency-tracking-info-percentiles",
                "CONFIG SET latency-tracking-info-percentiles 50\\s99\\s99.9",
                "CONFIG SET bind a\\sb\\sc\\sd\\se\\sf\\sg\\sh\\si\\sj\\sk\\sl\\sm\\sn\\so\\sp\\sq",
                "CONFIG SET replicaof no\\sone",
                "CONFIG SET slaveof 127.0.0.1\\s6379",
            ],
        ),
        case(
            "names-and-refusals",
            &[
                "CONFIG SET nosuch 1",
                "CONFIG SET NoSuch 1 timeout 1",
                "CONFIG SET timeout",
                "CONFIG SET timeout 1 maxmemory",
                "CONFIG SET daemonize yes",
                "CONFIG SET Daemonize no",
                "CONFIG SET databases 5",
                "CONFIG SET unixsocketperm 700",
                "CONFIG SET io-threads 2",
                "CONFIG SET dir /tmp",
                "CONFIG SET DBFILENAME x.rdb",
                "CONFIG SET enable-debug-command yes",
                "CONFIG SET requirepass x requirepass y",
                "CONFIG SET requirepass x REQUIREPASS y",
                "CONFIG SET timeout 5 timeout 6",
                "CONFIG SET timeout 1 nosuch 2 daemonize yes",
                "CONFIG SET timeout 1 daemonize yes nosuch 2",
                "CONFIG SET daemonize yes dir /tmp",
                "CONFIG SET dir /tmp daemonize yes",
                "CONFIG SET timeout 1 timeout 2 nosuch 3",
                "CONFIG GET timeout",
            ],
        ),
        case(
            "atomic-rollback",
            &[
                "CONFIG SET maxmemory 10000002",
                "CONFIG SET maxmemory 10000001 maxmemory-clients 200% client-query-buffer-limit invalid",
                "CONFIG GET maxmemory",
                "CONFIG GET maxmemory-clients",
                "CONFIG GET client-query-buffer-limit",
                "CONFIG SET timeout 7 hz 20 save 10\\s10 maxmemory-policy bogus",
                "CONFIG GET timeout",
                "CONFIG GET hz",
                "CONFIG GET save",
                "CONFIG SET timeout 7 hz 20 save 10\\s10 maxmemory 1mb",
                "CONFIG GET timeout",
                "CONFIG GET hz",
                "CONFIG GET save",
                "CONFIG GET maxmemory",
                "CONFIG SET maxmemory 10000001 repl-backlog-size 10000002 save 3000\\s5",
                "CONFIG GET repl-backlog-size",
                "CONFIG SET list-max-ziplist-size 5 hash-max-ziplist-entries x",
                "CONFIG GET list-max-listpack-size",
                "CONFIG SET timeout 0 hz 10 save \\e maxmemory 0 repl-backlog-size 1mb",
            ],
        ),
        case(
            "encodings-apply-at-once",
            &[
                "CONFIG SET hash-max-ziplist-entries 2",
                "HSET h a 1 b 2",
                "OBJECT ENCODING h",
                "HSET h c 3",
                "OBJECT ENCODING h",
                "CONFIG SET set-max-intset-entries 1",
                "SADD s 1",
                "OBJECT ENCODING s",
                "SADD s 2",
                "OBJECT ENCODING s",
                "CONFIG SET zset-max-ziplist-value 3",
                "ZADD z 1 abc",
                "OBJECT ENCODING z",
                "ZADD z 2 abcd",
                "OBJECT ENCODING z",
                "CONFIG SET list-compress-depth 1 list-max-ziplist-size 4",
                "RPUSH l a b c d e f g h i",
                "OBJECT ENCODING l",
                "LRANGE l 0 -1",
                "CONFIG SET hash-max-ziplist-entries 512 set-max-intset-entries 512 zset-max-ziplist-value 64",
                "CONFIG SET list-compress-depth 0 list-max-ziplist-size -2",
            ],
        ),
        case(
            "resetstat",
            &[
                "SET k v",
                "GET k",
                "GET nope",
                "FOO",
                "CONFIG RESETSTAT",
                "CONFIG RESETSTAT x",
                "INFO errorstats",
            ],
        ),
    ]
}

#[test]
fn config_get_matches_redis() {
    assert_same(&get_cases(), false);
}

#[test]
fn config_get_matches_redis_resp3() {
    assert_same(&get_cases(), true);
}

#[test]
fn config_set_matches_redis() {
    assert_same(&set_cases(), false);
}

#[test]
fn config_set_matches_redis_resp3() {
    assert_same(&set_cases(), true);
}

/// `CONFIG GET *` as a map.
fn all_params(server: &Server) -> BTreeMap<String, String> {
    let mut c = server.client();
    let pairs: Vec<(String, String)> = redis::cmd("CONFIG")
        .arg("GET")
        .arg("*")
        .query(&mut c)
        .unwrap();
    pairs.into_iter().collect()
}

/// Parameters whose value differs between the two servers the harness starts, and why.
const DIFFERENT: &[(&str, &str)] = &[
    // Each server listens on its own port.
    ("port", "the test servers' ports"),
    // Each runs in its own scratch directory.
    ("dir", "the test servers' directories"),
];

#[test]
fn config_get_star_has_every_redis_name_and_default() {
    let redis = Server::start_redis(&[]);
    let ours = Server::start(&[]);
    let theirs = all_params(&redis);
    let mine = all_params(&ours);
    assert_eq!(
        theirs.len(),
        192,
        "redis-server 7.0.15 (with TLS) lists 192 names"
    );
    let missing: Vec<&String> = theirs.keys().filter(|k| !mine.contains_key(*k)).collect();
    let extra: Vec<&String> = mine.keys().filter(|k| !theirs.contains_key(*k)).collect();
    assert!(missing.is_empty(), "missing: {missing:?}");
    assert!(extra.is_empty(), "extra: {extra:?}");
    for (name, value) in &theirs {
        if DIFFERENT.iter().any(|(n, _)| n == name) {
            continue;
        }
        assert_eq!(&mine[name], value, "{name}");
    }
}
