//! Pub/Sub and keyspace notifications, compared with redis-server as whole multi-client
//! transcripts, in RESP2 and RESP3: confirmations, messages and pattern messages in order,
//! RESP2's subscribed mode, PUBSUB introspection, shard channels, publishing to oneself,
//! CLIENT REPLY OFF, and the notifications writes and lookups produce.

mod common;

use common::scenario::{assert_scenarios_match, Step::*};

#[test]
fn channels_and_patterns() {
    assert_scenarios_match(&[
        (
            "subscribe, publish, unsubscribe",
            vec![
                Call(1, "SUBSCRIBE a b"),
                Read(1),
                Call(1, "SUBSCRIBE a"),
                Call(2, "PUBLISH a hello"),
                Read(1),
                Call(2, "PUBLISH b world"),
                Read(1),
                Call(2, "PUBLISH c nobody"),
                Call(1, "PING"),
                Call(1, "PING hi"),
                Call(1, "GET k"),
                Call(1, "CLIENT ID x"),
                Call(1, "UNSUBSCRIBE b nope"),
                Read(1),
                Call(1, "UNSUBSCRIBE"),
                Call(1, "UNSUBSCRIBE"),
                Call(1, "PING"),
                Call(2, "PUBLISH a gone"),
            ],
        ),
        (
            "patterns and channels together",
            vec![
                Call(1, "PSUBSCRIBE h* x?"),
                Read(1),
                Call(1, "SUBSCRIBE hello"),
                Call(3, "PSUBSCRIBE *llo"),
                Call(2, "PUBLISH hello 1"),
                Read(1),
                Read(1),
                Read(3),
                Call(2, "PUBLISH xy 2"),
                Read(1),
                Call(2, "PUBSUB NUMPAT"),
                Call(2, "PUBSUB NUMSUB hello nope"),
                Call(2, "PUBSUB NUMSUB"),
                Call(2, "PUBSUB CHANNELS"),
                Call(2, "PUBSUB CHANNELS h*"),
                Call(2, "PUBSUB CHANNELS z*"),
                Call(1, "PUNSUBSCRIBE x? nothere"),
                Read(1),
                Call(1, "PUNSUBSCRIBE"),
                Call(2, "PUBLISH hello 3"),
                Read(1),
                Read(3),
                Call(1, "UNSUBSCRIBE"),
                Call(3, "PUNSUBSCRIBE"),
                Call(2, "PUBSUB NUMPAT"),
                Call(2, "PUBSUB HELP"),
            ],
        ),
        (
            "shard channels",
            vec![
                Call(1, "SSUBSCRIBE s1 s2"),
                Read(1),
                Call(2, "SPUBLISH s1 m"),
                Read(1),
                Call(2, "PUBLISH s1 not-shard"),
                Call(2, "PUBSUB SHARDNUMSUB s1 s3"),
                Call(2, "PUBSUB SHARDCHANNELS s1"),
                // Without arguments, in Redis's hash order: one left, so the order is known.
                Call(1, "SUNSUBSCRIBE s2"),
                Call(1, "SUNSUBSCRIBE"),
                Call(2, "PUBSUB SHARDCHANNELS"),
            ],
        ),
        (
            "publish to oneself, and binary channels",
            vec![
                Call(1, "SUBSCRIBE self"),
                Call(1, "PUBLISH self me"),
                Call(2, "SUBSCRIBE \x00bin\r\n"),
                Call(3, "PUBLISH \x00bin\r\n \x01\x02"),
                Read(2),
            ],
        ),
        (
            "messages reach a client with CLIENT REPLY OFF",
            vec![
                Pipeline(1, &["CLIENT REPLY OFF"]),
                Call(1, "SUBSCRIBE ch"),
                Call(2, "PUBLISH ch hello"),
                Read(1),
            ],
        ),
    ]);
}

#[test]
fn keyspace_notifications() {
    assert_scenarios_match(&[
        (
            "keyspace and keyevent for writes",
            vec![
                Call(9, "CONFIG SET notify-keyspace-events KEA"),
                Call(1, "PSUBSCRIBE __key*__:*"),
                Call(2, "SET foo bar EX 100"),
                Read(1),
                Read(1),
                Read(1),
                Read(1),
                Call(2, "LPUSH l a b"),
                Read(1),
                Read(1),
                Call(2, "RPOP l 2"),
                Read(1),
                Read(1),
                Read(1),
                Read(1),
                Call(2, "RENAME foo bar"),
                Read(1),
                Read(1),
                Read(1),
                Read(1),
                Call(2, "DEL bar nokey"),
                Read(1),
                Read(1),
                Call(9, "CONFIG SET notify-keyspace-events \\e"),
            ],
        ),
        (
            "masks select the classes",
            vec![
                Call(9, "CONFIG SET notify-keyspace-events El"),
                Call(1, "PSUBSCRIBE *"),
                Call(2, "SET s 1"),
                Call(2, "SADD set x"),
                Call(2, "RPUSH l x"),
                Read(1),
                Call(9, "CONFIG SET notify-keyspace-events Ex"),
                Call(2, "SET e v PX 1"),
                Sleep(20),
                Call(2, "GET e"),
                Read(1),
                Call(9, "CONFIG SET notify-keyspace-events Em"),
                Call(2, "GET missing"),
                Read(1),
                Call(9, "CONFIG SET notify-keyspace-events Kn"),
                Call(2, "SET fresh 1"),
                Read(1),
                Call(9, "CONFIG SET notify-keyspace-events \\e"),
            ],
        ),
    ]);
}
