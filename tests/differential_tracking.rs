//! Client-side caching (CLIENT TRACKING), compared with redis-server as whole multi-client
//! transcripts: a tracking client, writers, and redirect targets (RESP2 in subscribed mode,
//! RESP3 pushes). Each tracker says its protocol with HELLO, so a scenario means the same in
//! both runs; the other clients speak the run's protocol. Ids are written `$IDn`.

mod common;

use common::scenario::{assert_scenarios_match, Step::*};

#[test]
fn default_mode() {
    assert_scenarios_match(&[
        (
            "reads are remembered, a write invalidates once",
            vec![
                CallIds(1, "HELLO 3"),
                Call(1, "CLIENT TRACKING on"),
                Call(2, "MSET a 1 b 2 c 3"),
                Call(2, "HSET h f v"),
                Call(1, "GET a"),
                Call(1, "MGET b c nokey"),
                Call(1, "HGET h f"),
                // A read that fails is tracked too; a write is not.
                Call(1, "LLEN a"),
                Call(1, "INCR w"),
                Call(2, "SET a 2"),
                Read(1),
                Call(2, "SET a 3"),
                Call(1, "PING"),
                Call(2, "DEL b c"),
                Read(1),
                Read(1),
                Call(2, "SET nokey 1"),
                Read(1),
                Call(2, "HDEL h f"),
                Read(1),
                Call(2, "INCR w"),
                Call(1, "PING"),
                Info("stats", "tracking_total_keys:"),
                Info("stats", "tracking_total_items:"),
                Info("clients", "tracking_clients:"),
                ListFields(1),
                Call(1, "CLIENT TRACKING off"),
                ListFields(1),
                Info("clients", "tracking_clients:"),
            ],
        ),
        (
            "keys of getkeys procedures and subcommands",
            vec![
                CallIds(1, "HELLO 3"),
                Call(1, "CLIENT TRACKING on"),
                Call(2, "ZADD z1 1 a"),
                Call(2, "ZADD z2 2 b"),
                Call(2, "RPUSH l x y"),
                Call(1, "ZUNION 2 z1 z2"),
                Call(1, "SORT_RO l ALPHA"),
                Call(1, "OBJECT ENCODING l"),
                Call(1, "EXISTS z1 l"),
                Call(2, "ZADD z2 3 c"),
                Read(1),
                Call(2, "DEL z1"),
                Read(1),
                Call(2, "LPUSH l z"),
                Read(1),
                Call(1, "PING"),
            ],
        ),
        (
            "expiry invalidates, lazily and in the cron",
            vec![
                CallIds(1, "HELLO 3"),
                Call(1, "CLIENT TRACKING on"),
                // One key at a time: the cron's order among keys is its table's.
                Call(2, "SET e1 v PX 30"),
                Call(1, "MGET e1 e2"),
                Sleep(400),
                Read(1),
                Call(1, "PING"),
                Call(2, "SET e2 v PX 30"),
                Read(1),
                Call(1, "GET e2"),
                Sleep(400),
                Read(1),
                Call(1, "PING"),
                Info("stats", "tracking_total_keys:"),
            ],
        ),
        (
            "own writes: the invalidation follows the reply",
            vec![
                CallIds(1, "HELLO 3"),
                Call(1, "CLIENT TRACKING on"),
                Call(1, "HSET myhash f 1"),
                Call(1, "HGET myhash f"),
                Call(1, "HDEL myhash f"),
                Read(1),
                Call(1, "MSET a 1 b 2"),
                Call(1, "GET a"),
                Call(1, "MULTI"),
                Call(1, "INCR a"),
                Call(1, "GET b"),
                Call(1, "EXEC"),
                Read(1),
                Call(1, "SET b 3"),
                Read(1),
                Call(1, "PING"),
            ],
        ),
        (
            "NOLOOP skips the client's own writes",
            vec![
                CallIds(1, "HELLO 3"),
                Call(1, "CLIENT TRACKING on NOLOOP"),
                Call(1, "MGET mine other"),
                Call(1, "SET mine 1"),
                Call(1, "PING"),
                Call(2, "SET other 1"),
                Read(1),
                Call(1, "CLIENT TRACKINGINFO"),
            ],
        ),
        (
            "a RESP2 tracker without redirection hears nothing",
            vec![
                CallIds(1, "HELLO 2"),
                Call(1, "CLIENT TRACKING on"),
                Call(1, "GET a"),
                Call(2, "SET a 1"),
                Call(1, "PING"),
                Info("stats", "tracking_total_keys:"),
                // Switching to RESP3 makes the keys read before count.
                Call(1, "GET a"),
                CallIds(1, "HELLO 3"),
                Call(2, "SET a 2"),
                Read(1),
            ],
        ),
    ]);
}

#[test]
fn redirection() {
    assert_scenarios_match(&[
        (
            "to a RESP2 subscriber, as messages on __redis__:invalidate",
            vec![
                CallIds(3, "HELLO 2"),
                Call(3, "SUBSCRIBE __redis__:invalidate"),
                Call(1, "CLIENT TRACKING on REDIRECT $ID3"),
                CallIds(1, "CLIENT GETREDIR"),
                CallIds(1, "CLIENT TRACKINGINFO"),
                ListFields(1),
                Call(1, "GET a"),
                Call(4, "CLIENT TRACKING on REDIRECT $ID3"),
                Call(4, "GET b"),
                Call(2, "MSET a 1 b 2"),
                Read(3),
                Read(3),
                Call(1, "PING"),
                // A flush: a null, in the tracker's protocol.
                Call(1, "GET a"),
                Call(2, "FLUSHALL"),
                Read(3),
                Read(3),
                Info("stats", "tracking_total_keys:"),
            ],
        ),
        (
            "to a RESP3 client, as pushes",
            vec![
                CallIds(3, "HELLO 3"),
                CallIds(1, "HELLO 2"),
                Call(1, "CLIENT TRACKING on REDIRECT $ID3"),
                Call(1, "GET k"),
                Call(2, "SET k 1"),
                Read(3),
                Call(1, "GET k"),
                Call(2, "FLUSHDB"),
                Read(3),
                Call(3, "PING"),
            ],
        ),
        (
            "to a RESP2 client not subscribed: nothing",
            vec![
                CallIds(3, "HELLO 2"),
                CallIds(1, "HELLO 3"),
                Call(1, "CLIENT TRACKING on REDIRECT $ID3"),
                Call(1, "GET k"),
                Call(2, "SET k 1"),
                Call(3, "PING"),
                Call(1, "PING"),
            ],
        ),
        (
            "the redirect client goes away",
            vec![
                CallIds(3, "HELLO 3"),
                CallIds(1, "HELLO 3"),
                Call(1, "CLIENT TRACKING on REDIRECT $ID3"),
                Call(1, "MGET a b"),
                Close(3),
                Call(2, "SET a 1"),
                ReadIds(1),
                CallIds(1, "CLIENT TRACKINGINFO"),
                ListFields(1),
                Call(2, "SET b 1"),
                ReadIds(1),
                CallIds(1, "CLIENT GETREDIR"),
                // Turning tracking on again mends the flag.
                Call(1, "CLIENT TRACKING on"),
                ListFields(1),
            ],
        ),
        (
            "invalidations for the caller in EXEC wait for its reply",
            vec![
                CallIds(1, "HELLO 3"),
                Call(1, "CLIENT TRACKING on"),
                Call(1, "SET a 1"),
                Call(1, "GET a"),
                Call(1, "MULTI"),
                Call(1, "FLUSHDB"),
                Call(1, "SET a 2"),
                Call(1, "EXEC"),
                Read(1),
                Call(1, "PING"),
            ],
        ),
        (
            "a served blocked client gets its reply first",
            vec![
                CallIds(1, "HELLO 3"),
                Call(1, "CLIENT TRACKING on"),
                Call(2, "RPUSH list2 a"),
                Call(1, "LRANGE list2 0 -1"),
                Block(1, "BLMOVE list1 list2 LEFT LEFT 0"),
                Call(2, "RPUSH list1 foo"),
                Read(1),
                Read(1),
            ],
        ),
        (
            "CLIENT REPLY OFF keeps invalidations",
            vec![
                CallIds(1, "HELLO 3"),
                Call(1, "CLIENT TRACKING on"),
                Call(1, "GET foo"),
                Pipeline(1, &["CLIENT REPLY OFF"]),
                Call(2, "SET foo bar"),
                Read(1),
                Call(1, "CLIENT REPLY ON"),
                Call(1, "PING"),
            ],
        ),
    ]);
}

#[test]
fn broadcast_mode() {
    assert_scenarios_match(&[
        (
            "one message per prefix",
            vec![
                CallIds(1, "HELLO 3"),
                Call(1, "CLIENT TRACKING on BCAST PREFIX a: PREFIX b:"),
                Call(2, "MULTI"),
                Call(2, "INCR a:1"),
                Call(2, "INCR a:2"),
                Call(2, "INCR b:1"),
                Call(2, "INCR c:1"),
                Call(2, "EXEC"),
                Read(1),
                Read(1),
                Call(1, "CLIENT TRACKING on BCAST PREFIX c:"),
                Call(2, "INCR c:1"),
                Read(1),
                CallIds(1, "CLIENT TRACKINGINFO"),
                ListFields(1),
                Info("stats", "tracking_total_prefixes:"),
                Info("stats", "tracking_total_keys:"),
            ],
        ),
        (
            "every key with the empty prefix, NOLOOP",
            vec![
                CallIds(1, "HELLO 3"),
                Call(1, "CLIENT TRACKING on BCAST NOLOOP"),
                Call(2, "SET x 1"),
                Read(1),
                Call(1, "SET mine 1"),
                Call(1, "PING"),
                Call(2, "MSET z 1 y 2"),
                Read(1),
                // An expiry has no client behind it: the client hears of its own key.
                Call(1, "SET mine 2 PX 20"),
                Sleep(400),
                Read(1),
                Call(2, "FLUSHALL"),
                Read(1),
            ],
        ),
        (
            "a RESP2 subscriber as target",
            vec![
                CallIds(3, "HELLO 2"),
                Call(3, "SUBSCRIBE __redis__:invalidate"),
                Call(1, "CLIENT TRACKING on BCAST REDIRECT $ID3 PREFIX user:"),
                Call(2, "MSET user:1 a user:2 b other c"),
                Read(3),
            ],
        ),
        (
            "keys read before BCAST are not invalidated",
            vec![
                CallIds(1, "HELLO 3"),
                Call(1, "CLIENT TRACKING on"),
                Call(1, "GET key1"),
                Call(1, "CLIENT TRACKING off"),
                Call(1, "CLIENT TRACKING on BCAST"),
                Call(2, "INCR key1"),
                Read(1),
                Call(1, "PING"),
            ],
        ),
    ]);
}

#[test]
fn optin_optout_and_errors() {
    assert_scenarios_match(&[
        (
            "OPTIN tracks after CLIENT CACHING yes",
            vec![
                CallIds(1, "HELLO 3"),
                Call(1, "CLIENT TRACKING on OPTIN"),
                Call(1, "GET a"),
                Call(1, "CLIENT CACHING yes"),
                CallIds(1, "CLIENT TRACKINGINFO"),
                Call(1, "GET b"),
                Call(1, "GET c"),
                // Another CLIENT subcommand keeps it for the next command.
                Call(1, "CLIENT CACHING yes"),
                CallIds(1, "CLIENT ID"),
                Call(1, "GET d"),
                // A transaction is one command for it.
                Call(1, "CLIENT CACHING yes"),
                Call(1, "MULTI"),
                Call(1, "GET e"),
                Call(1, "GET f"),
                Call(1, "EXEC"),
                Call(1, "GET g"),
                Call(2, "MSET a 1 b 1 c 1 d 1 e 1 f 1 g 1"),
                Read(1),
                Read(1),
                Read(1),
                Read(1),
                Call(1, "PING"),
            ],
        ),
        (
            "OPTOUT tracks unless CLIENT CACHING no",
            vec![
                CallIds(1, "HELLO 3"),
                Call(1, "CLIENT TRACKING on OPTOUT"),
                Call(1, "CLIENT CACHING no"),
                Call(1, "GET a"),
                Call(1, "GET b"),
                Call(2, "MSET a 1 b 1"),
                Read(1),
                Call(1, "PING"),
            ],
        ),
        (
            "option errors",
            vec![
                Call(1, "CLIENT TRACKING on BCAST PREFIX c PREFIX c"),
                Call(1, "CLIENT TRACKING on BCAST PREFIX FOOBAR PREFIX FOO"),
                Call(1, "CLIENT TRACKING on REDIRECT 999999"),
                Call(1, "CLIENT TRACKING on REDIRECT x"),
                Call(1, "CLIENT TRACKING on REDIRECT $ID2 REDIRECT $ID2"),
                Call(1, "CLIENT TRACKING on foo"),
                Call(1, "CLIENT TRACKING maybe"),
                Call(1, "CLIENT TRACKING on PREFIX"),
                Call(1, "CLIENT TRACKING off garbage"),
                Call(1, "CLIENT TRACKING on PREFIX x"),
                Call(1, "CLIENT TRACKING on OPTIN OPTOUT"),
                Call(1, "CLIENT TRACKING on BCAST OPTIN"),
                Call(1, "CLIENT CACHING yes"),
                Call(1, "CLIENT GETREDIR"),
                Call(1, "CLIENT TRACKING on OPTIN"),
                Call(1, "CLIENT CACHING maybe"),
                Call(1, "CLIENT CACHING no"),
                Call(1, "CLIENT TRACKING on OPTOUT"),
                Call(1, "CLIENT TRACKING on BCAST"),
                Call(1, "CLIENT TRACKING off"),
                Call(1, "CLIENT TRACKING on BCAST PREFIX FOO PREFIX BAR"),
                Call(1, "CLIENT TRACKING on BCAST PREFIX FO"),
                Call(1, "CLIENT TRACKING on BCAST PREFIX BARB"),
                Call(1, "CLIENT TRACKING on"),
                Call(1, "CLIENT TRACKING off"),
                // Redis replies an error and then OK when two later prefixes collide.
                Call(1, "CLIENT TRACKING on BCAST PREFIX a PREFIX b PREFIX bc"),
                Call(1, "PING"),
                Call(1, "CLIENT TRACKINGINFO"),
                Call(1, "CLIENT CACHING"),
                Call(1, "CLIENT TRACKINGINFO x"),
            ],
        ),
    ]);
}

#[test]
fn table_limit_reset_and_disconnect() {
    assert_scenarios_match(&[
        (
            "tracking-table-max-keys drops keys, telling their clients",
            vec![
                CallIds(1, "HELLO 3"),
                Call(1, "CLIENT TRACKING on"),
                Call(1, "MGET k1 k2 k3"),
                Info("stats", "tracking_total_keys:"),
                Call(2, "CONFIG SET tracking-table-max-keys 1"),
                // Which keys go is random; two of them do, before the next command's reply
                // (or from the cron, if it came first).
                Skip(1),
                Skip(1),
                Info("stats", "tracking_total_keys:"),
                Call(2, "CONFIG SET tracking-table-max-keys 1000000"),
                Call(1, "PING"),
            ],
        ),
        (
            "RESET and disconnection end tracking",
            vec![
                CallIds(1, "HELLO 3"),
                Call(1, "CLIENT TRACKING on BCAST PREFIX p"),
                Call(3, "CLIENT TRACKING on"),
                Info("clients", "tracking_clients:"),
                Info("stats", "tracking_total_prefixes:"),
                Call(1, "RESET"),
                Call(1, "CLIENT TRACKINGINFO"),
                Info("clients", "tracking_clients:"),
                Info("stats", "tracking_total_prefixes:"),
                Call(3, "GET z"),
                Close(3),
                Info("clients", "tracking_clients:"),
                // The closed client's key stays until it changes.
                Info("stats", "tracking_total_keys:"),
                Call(2, "SET z 1"),
                Info("stats", "tracking_total_keys:"),
            ],
        ),
        (
            "SWAPDB invalidates nothing (Redis 7.0 tells no one)",
            vec![
                CallIds(1, "HELLO 3"),
                Call(1, "CLIENT TRACKING on"),
                Call(1, "GET a"),
                Call(2, "SWAPDB 0 1"),
                Call(1, "PING"),
                Info("stats", "tracking_total_keys:"),
                Call(2, "SELECT 1"),
                Call(2, "SET a 1"),
                Read(1),
            ],
        ),
    ]);
}

#[test]
fn scripts() {
    assert_scenarios_match(&[
        (
            "a script's read makes its caller remember the declared keys",
            vec![
                CallIds(1, "HELLO 3"),
                Call(1, "CLIENT TRACKING on"),
                Call(2, "MSET k1 1 k2 1"),
                // No read in the script: nothing remembered.
                Call(1, "EVAL redis.call('set','k3','bar') 2 k1 k2"),
                Call(2, "MSET k2 2 k1 2"),
                Call(1, "PING"),
                Call(1, "EVAL redis.call('get','k3') 2 k1 k2"),
                Call(2, "MSET k2 3 k1 3"),
                Read(1),
                Read(1),
                // EVAL_RO is read-only itself, but only its script's reads count.
                Call(1, "EVAL_RO redis.call('ping') 2 k1 k2"),
                Call(2, "MSET k2 4 k1 4"),
                Call(1, "PING"),
                Call(1, "EVAL_RO return\\sredis.call('get','k1') 2 k1 k2"),
                Call(2, "MSET k2 5 k1 5"),
                Read(1),
                Read(1),
                // The caller's own write in a script: the invalidation follows the reply.
                Call(1, "GET k1"),
                Call(1, "EVAL return\\sredis.call('incr','k1') 0"),
                Read(1),
                Call(1, "PING"),
            ],
        ),
        (
            "FCALL_RO remembers the keys when its function reads",
            vec![
                CallIds(1, "HELLO 3"),
                Call(
                    2,
                    "FUNCTION LOAD REPLACE #!lua\\sname=tlib\\nredis.register_function{function_name='tget',callback=function(keys)return\\sredis.call('get',keys[1])end,flags={'no-writes'}}",
                ),
                Call(1, "CLIENT TRACKING on"),
                Call(1, "FCALL_RO tget 1 fk"),
                Call(2, "SET fk 1"),
                Read(1),
                Call(1, "PING"),
                Call(2, "FUNCTION DELETE tlib"),
            ],
        ),
        (
            "NOLOOP covers the caller's scripts",
            vec![
                CallIds(1, "HELLO 3"),
                Call(1, "CLIENT TRACKING on NOLOOP"),
                Call(1, "SET key1 1"),
                Call(1, "GET key1"),
                Call(1, "EVAL return\\sredis.call('set','key1','2') 1 key1"),
                Call(1, "GET key1"),
                Call(2, "SET key1 3"),
                Read(1),
            ],
        ),
    ]);
}
