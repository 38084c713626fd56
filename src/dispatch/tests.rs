//! The propagated stream, replayed: every write a scenario makes, propagated and run again
//! on an empty server, must rebuild the same dataset (values, encodings, deadlines).

use super::execute;
use super::propagate::Propagated;
use crate::config::Config;
use crate::protocol::reply::Reply;
use crate::server::{Client, ClientId, ServerState};
use crate::store::types::stream::StreamId;
use crate::store::{Store, Value};

/// A server without sockets, with `clients` socketless clients.
fn server(now_ms: u64, clients: usize) -> (Store, ServerState, Vec<ClientId>) {
    let poll = mio::Poll::new().expect("poll");
    let registry = poll.registry().try_clone().expect("registry");
    let mut config = Config::default();
    config.save.0.clear();
    let mut store = Store::new(16);
    store.now_ms = now_ms;
    let mut srv = ServerState::new(config, registry, Vec::new(), now_ms);
    let keys = (0..clients)
        .map(|i| srv.clients.insert(Client::socketless(i as u64 + 1, now_ms)))
        .collect();
    (store, srv, keys)
}

/// Runs one command line for `client`; returns its reply bytes.
fn run(store: &mut Store, srv: &mut ServerState, client: ClientId, line: &str) -> String {
    let words: Vec<&[u8]> = line.split(' ').map(str::as_bytes).collect();
    let mut out = std::mem::take(&mut srv.clients[client].reply);
    let start = out.buf.len();
    execute(store, srv, &mut out, client, &words);
    let reply = String::from_utf8_lossy(&out.buf[start..]).into_owned();
    srv.clients[client].reply = out;
    reply
}

/// A key with its value and deadline.
type Entry = (Vec<u8>, Value, Option<u64>);

/// Every key of every database: value and deadline.
fn dataset(store: &Store) -> Vec<Vec<Entry>> {
    store
        .dbs()
        .iter()
        .map(|db| {
            let mut keys: Vec<_> = db
                .entries()
                .map(|(k, v)| (k.to_vec(), v.clone(), db.deadline(k)))
                .collect();
            keys.sort_by(|a, b| a.0.cmp(&b.0));
            keys
        })
        .collect()
}

fn text(p: &Propagated) -> String {
    let words: Vec<String> = p
        .argv
        .iter()
        .map(|a| String::from_utf8_lossy(a).into_owned())
        .collect();
    format!("{}: {}", p.db, words.join(" "))
}

#[test]
fn the_propagated_stream_rebuilds_the_dataset() {
    let now = 1_700_000_000_000;
    let (mut store, mut srv, clients) = server(now, 2);
    let (a, b) = (clients[0], clients[1]);
    srv.propagation.start();
    let script = [
        "SET plain v",
        "SET rel v EX 100",
        "SET relp v PX 5000 GET",
        "SETEX sx 50 v",
        "PSETEX psx 50000 v",
        "MSET m1 1 m2 2",
        "INCRBYFLOAT f 1.1",
        "INCRBYFLOAT f 2.25",
        "HINCRBYFLOAT h x 0.1",
        "HSET h y 1 z 2",
        "HINCRBY h y 5",
        "APPEND plain more",
        "SETRANGE sr 3 abc",
        "SETBIT bits 77 1",
        "BITOP OR bor bits sr",
        "SADD s a b c d e f g h i j k l m n o p q r",
        "SPOP s",
        "SPOP s 3",
        "SADD small x y",
        "SPOP small 10",
        "SMOVE s s2 a",
        "EXPIRE plain 1000",
        "PEXPIRE m1 100000 NX",
        "EXPIREAT m2 1",
        "PERSIST rel",
        "GETEX sx EX 999",
        "RPUSH l a b c d e",
        "LPOP l",
        "LMPOP 1 l RIGHT COUNT 2",
        "LMOVE l l2 LEFT RIGHT",
        "ZADD z 1 a 2 b 3 c 4 d",
        "ZADD z INCR 5 a",
        "ZPOPMIN z",
        "ZMPOP 1 z MAX COUNT 2",
        "ZUNIONSTORE zu 2 z z WEIGHTS 2 3",
        "SORT l2 ALPHA STORE sorted",
        "GEOADD geo CH 13.361389 38.115556 Palermo 15.087269 37.502669 Catania",
        "GEORADIUS geo 15 37 200 km STOREDIST gdist",
        "GEOSEARCHSTORE gbox geo FROMMEMBER Palermo BYBOX 400 400 km",
        "PFADD hll a b c",
        "PFCOUNT hll",
        "PFMERGE hll2 hll",
        "MULTI",
        "INCR counter",
        "RPUSH q1 x",
        "EXEC",
        "RENAME counter counter2",
        "COPY l2 l3 DB 2",
        "MOVE sorted 3",
        "SELECT 3",
        "SET in3 v",
        "SELECT 0",
        "SWAPDB 2 4",
        "SET short v PX 1",
        "DEL m1",
    ];
    for line in script {
        run(&mut store, &mut srv, a, line);
    }
    // A blocked client served later: its pop propagates as the non-blocking twin.
    assert_eq!(run(&mut store, &mut srv, b, "BLPOP waited 0"), "");
    run(&mut store, &mut srv, a, "RPUSH waited one two");
    run(&mut store, &mut srv, b, "BLMOVE src dst RIGHT LEFT 0");
    run(&mut store, &mut srv, a, "LPUSH src e");
    run(&mut store, &mut srv, b, "BZPOPMAX zw 0");
    run(&mut store, &mut srv, a, "ZADD zw 1 x 2 y");
    // A key that expires while the clock moves on, reclaimed lazily: propagated as DEL.
    store.now_ms += 10;
    run(&mut store, &mut srv, a, "GET short");

    let stream = srv.propagation.take();
    let lines: Vec<String> = stream.iter().map(text).collect();
    let has = |l: &str| lines.iter().any(|x| x == l);
    let at = |ms: u64| (now + ms).to_string();
    assert!(
        has(&format!("0: SET rel v PXAT {}", at(100_000))),
        "{lines:#?}"
    );
    assert!(has(&format!("0: SET sx v PXAT {}", at(50_000))));
    assert!(has("0: SET f 3.35 KEEPTTL"));
    assert!(has("0: HSET h x 0.1"));
    assert!(has("0: DEL small"));
    assert!(has(&format!("0: PEXPIREAT m1 {} NX", at(100_000))));
    assert!(has("0: DEL m2"));
    assert!(has("0: LPOP waited"));
    assert!(has("0: LMOVE src dst RIGHT LEFT"));
    assert!(has("0: ZPOPMAX zw"));
    assert!(has("0: DEL short"));
    assert!(has("0: RPOP l 2"));
    assert!(lines.iter().any(|l| l.starts_with("0: SREM s ")));
    assert!(!lines
        .iter()
        .any(|l| l.contains("SPOP") || l.contains("BLPOP")));
    let multi = lines
        .iter()
        .position(|l| l == "0: MULTI")
        .expect("EXEC wrapped");
    assert_eq!(
        lines[multi + 1..multi + 4],
        ["0: INCR counter", "0: RPUSH q1 x", "0: EXEC"]
    );
    assert!(has("3: SET in3 v"));
    // GEOADD is propagated as the ZADD it does, with its options.
    assert!(has(
        "0: zadd geo CH 3479099956230698 Palermo 3479447370796909 Catania"
    ));

    let (mut replica, mut rsrv, rclients) = server(store.now_ms, 1);
    let r = rclients[0];
    for p in &stream {
        let select = format!("SELECT {}", p.db);
        run(&mut replica, &mut rsrv, r, &select);
        let words: Vec<&[u8]> = p.argv.iter().map(Vec::as_slice).collect();
        let mut out = Reply::default();
        execute(&mut replica, &mut rsrv, &mut out, r, &words);
        assert!(
            !out.buf.starts_with(b"-"),
            "{} failed: {}",
            text(p),
            String::from_utf8_lossy(&out.buf)
        );
    }
    assert_eq!(dataset(&replica), dataset(&store));
}

/// A stream's logical content: entries, counters and groups, without node layout (a
/// replica cuts its own nodes), consumers' seen-times and groups' read counters (Redis
/// propagates neither with XCLAIM ... LASTID: a replica estimates the counter again).
fn logical(v: &Value) -> String {
    let Value::Stream(s) = v else {
        return format!("{v:?}");
    };
    let entries: Vec<String> = s
        .range(StreamId::MIN, StreamId::MAX, false)
        .map(|e| format!("{:?} {:?}", e.id, e.fields().collect::<Vec<_>>()))
        .collect();
    let mut groups = s.groups.clone();
    for g in groups.values_mut() {
        g.entries_read = 0;
        for c in g.consumers.values_mut() {
            c.seen_time = 0;
        }
    }
    format!(
        "{entries:?} {} {:?} {:?} {:?} {} {groups:?}",
        s.length, s.last_id, s.first_id, s.max_deleted_entry_id, s.entries_added
    )
}

#[test]
fn propagated_stream_commands_rebuild_streams_and_groups() {
    let now = 1_700_000_000_000;
    let (mut store, mut srv, clients) = server(now, 2);
    let (a, b) = (clients[0], clients[1]);
    srv.propagation.start();
    let script = [
        "CONFIG SET stream-node-max-entries 2",
        "XADD s * f 1",
        "XADD s * f 2",
        "XADD s 1700000000000-* f 3",
        "XADD s * f 4",
        "XADD s * f 5",
        "XADD s MAXLEN ~ 3 * f 6",
        "XGROUP CREATE s g 0",
        "XGROUP CREATE s h $",
        "XREADGROUP GROUP g alice COUNT 2 STREAMS s >",
        "XREADGROUP GROUP g bob NOACK COUNT 1 STREAMS s >",
        "XREADGROUP GROUP g carol STREAMS s >",
        "XCLAIM s g dave 0 1700000000000-1 LASTID 1700000000001-0",
        "XAUTOCLAIM s g erin 0 0 COUNT 1",
        "XACK s g 1700000000000-1",
        "XGROUP CREATECONSUMER s h frank",
        "XGROUP DELCONSUMER s g alice",
        "XGROUP SETID s h 0 ENTRIESREAD 0",
        "XDEL s 1700000000000-3",
        "XTRIM s MINID ~ 0",
        "XSETID s 1800000000000-0 ENTRIESADDED 99 MAXDELETEDID 1700000000000-3",
        "XGROUP CREATE t g $ MKSTREAM",
    ];
    for line in script {
        let reply = run(&mut store, &mut srv, a, line);
        assert!(!reply.starts_with('-'), "{line}: {reply}");
    }
    // A blocked group reader served by a later XADD propagates its delivery.
    assert_eq!(
        run(
            &mut store,
            &mut srv,
            b,
            "XREADGROUP GROUP g zed BLOCK 0 STREAMS t >"
        ),
        ""
    );
    run(&mut store, &mut srv, a, "XADD t 1-1 k v");
    let stream = srv.propagation.take();
    let lines: Vec<String> = stream.iter().map(text).collect();
    assert!(!lines
        .iter()
        .any(|l| l.contains("XREADGROUP") || l.contains("XAUTOCLAIM")));
    assert!(
        lines.iter().any(|l| l.contains("XADD s MAXLEN = ")),
        "{lines:#?}"
    );

    let (mut replica, mut rsrv, rclients) = server(store.now_ms, 1);
    let r = rclients[0];
    for p in &stream {
        let words: Vec<&[u8]> = p.argv.iter().map(Vec::as_slice).collect();
        let mut out = Reply::default();
        execute(&mut replica, &mut rsrv, &mut out, r, &words);
        assert!(!out.buf.starts_with(b"-"), "{} failed", text(p));
    }
    for key in [&b"s"[..], b"t"] {
        let (x, y) = (store.db(0).get(key), replica.db(0).get(key));
        assert_eq!(x.map(logical), y.map(logical), "{key:?}");
    }
}

#[test]
fn nothing_is_propagated_while_recording_is_off() {
    let (mut store, mut srv, clients) = server(1_700_000_000_000, 1);
    run(&mut store, &mut srv, clients[0], "SET k v EX 10");
    srv.propagation.start();
    assert!(srv.propagation.take().is_empty());
}

#[test]
fn output_to_reaches_the_caller_in_order_and_others_through_their_buffers() {
    let (mut store, mut srv, clients) = server(1_700_000_000_000, 2);
    let (a, b) = (clients[0], clients[1]);
    let mut out = std::mem::take(&mut srv.clients[a].reply);
    let mut ctx = crate::commands::Ctx {
        store: &mut store,
        srv: &mut srv,
        out: &mut out,
        caller: a,
        db: 0,
        propagate: None,
        redacted: 0,
    };
    ctx.out.simple("first");
    ctx.output_to(a).expect("caller").push(1);
    ctx.output_to(a).expect("caller").bulk(b"pushed");
    ctx.out.simple("last");
    ctx.output_to(b).expect("other").simple("hello");
    assert!(ctx
        .output_to(crate::server::ClientId::from_token(mio::Token(usize::MAX)).expect("an id"))
        .is_none());
    assert_eq!(out.buf, b"+first\r\n*1\r\n$6\r\npushed\r\n+last\r\n");
    assert_eq!(srv.clients[b].reply.buf, b"+hello\r\n");
    assert!(srv.pending_writes.contains(&b), "queued for writing");
}
