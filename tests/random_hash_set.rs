//! The random commands (HRANDFIELD, SRANDMEMBER, SPOP) and full HSCAN/SSCAN iterations
//! cannot be compared byte for byte, so their shapes, counts, distinctness and membership
//! are checked, against redis-server and redust alike (the checks hold for both).

mod common;

use std::collections::{BTreeMap, BTreeSet};

use common::{Raw, Server};

/// A parsed reply.
#[derive(Debug, Clone, PartialEq)]
enum V {
    Bulk(Vec<u8>),
    Int(i64),
    Null,
    /// Aggregate with its type byte (`*`, `~`, `%`).
    Agg(u8, Vec<V>),
    Other(Vec<u8>),
}

fn parse(b: &[u8]) -> (V, usize) {
    let line_end = b.windows(2).position(|w| w == b"\r\n").unwrap();
    let head = std::str::from_utf8(&b[1..line_end]).unwrap();
    let rest = line_end + 2;
    match b[0] {
        b'$' => {
            let n: i64 = head.parse().unwrap();
            if n < 0 {
                return (V::Null, rest);
            }
            let n = n as usize;
            (V::Bulk(b[rest..rest + n].to_vec()), rest + n + 2)
        }
        b':' => (V::Int(head.parse().unwrap()), rest),
        b'_' => (V::Null, rest),
        t @ (b'*' | b'~' | b'%') => {
            let n: i64 = head.parse().unwrap();
            if n < 0 {
                return (V::Null, rest);
            }
            let n = if t == b'%' { 2 * n } else { n } as usize;
            let mut at = rest;
            let mut items = Vec::with_capacity(n);
            for _ in 0..n {
                let (v, used) = parse(&b[at..]);
                items.push(v);
                at += used;
            }
            (V::Agg(t, items), at)
        }
        _ => (V::Other(b[..line_end].to_vec()), rest),
    }
}

fn cmd(c: &mut Raw, words: &[&str]) -> V {
    let args: Vec<&[u8]> = words.iter().map(|w| w.as_bytes()).collect();
    parse(&c.cmd(&args)).0
}

fn items(v: V, kind: u8) -> Vec<Vec<u8>> {
    match v {
        V::Agg(t, xs) if t == kind => xs
            .into_iter()
            .map(|x| match x {
                V::Bulk(b) => b,
                other => panic!("not a bulk: {other:?}"),
            })
            .collect(),
        other => panic!("expected aggregate {}: {other:?}", kind as char),
    }
}

fn distinct(xs: &[Vec<u8>]) -> bool {
    xs.iter().collect::<BTreeSet<_>>().len() == xs.len()
}

/// Both servers, each with a fresh connection.
fn both() -> (Server, Server) {
    (Server::start_redis(&[]), Server::start(&[]))
}

/// Fills `h` with `n` fields `f<i>` -> `v<i>`.
fn fill_hash(c: &mut Raw, key: &str, n: usize) -> BTreeMap<Vec<u8>, Vec<u8>> {
    let mut model = BTreeMap::new();
    let mut words: Vec<String> = vec!["HSET".into(), key.into()];
    for i in 0..n {
        words.push(format!("f{i}"));
        words.push(format!("v{i}"));
        model.insert(format!("f{i}").into_bytes(), format!("v{i}").into_bytes());
    }
    let w: Vec<&str> = words.iter().map(String::as_str).collect();
    assert_eq!(cmd(c, &w), V::Int(n as i64));
    model
}

fn check_hrandfield(c: &mut Raw, key: &str, model: &BTreeMap<Vec<u8>, Vec<u8>>, resp3: bool) {
    let size = model.len();
    for _ in 0..20 {
        match cmd(c, &["HRANDFIELD", key]) {
            V::Bulk(f) => assert!(model.contains_key(&f)),
            other => panic!("{other:?}"),
        }
    }
    for count in [1, 2, size / 2, size - 1, size, size + 5] {
        let got = items(cmd(c, &["HRANDFIELD", key, &count.to_string()]), b'*');
        assert_eq!(got.len(), count.min(size), "count {count}");
        assert!(distinct(&got), "distinct for count {count}");
        assert!(got.iter().all(|f| model.contains_key(f)));
    }
    for count in [1usize, 3, size, 2 * size + 7] {
        let got = items(cmd(c, &["HRANDFIELD", key, &format!("-{count}")]), b'*');
        assert_eq!(got.len(), count);
        assert!(got.iter().all(|f| model.contains_key(f)));
    }
    for count in [2i64, -5, size as i64, -(size as i64) * 3] {
        let reply = cmd(c, &["HRANDFIELD", key, &count.to_string(), "WITHVALUES"]);
        let want = if count < 0 {
            count.unsigned_abs() as usize
        } else {
            (count as usize).min(size)
        };
        let V::Agg(b'*', xs) = reply else {
            panic!("{reply:?}")
        };
        let pairs: Vec<(Vec<u8>, Vec<u8>)> = if resp3 {
            xs.into_iter()
                .map(|p| match p {
                    V::Agg(b'*', kv) => match &kv[..] {
                        [V::Bulk(f), V::Bulk(v)] => (f.clone(), v.clone()),
                        other => panic!("{other:?}"),
                    },
                    other => panic!("{other:?}"),
                })
                .collect()
        } else {
            items(V::Agg(b'*', xs), b'*')
                .chunks(2)
                .map(|p| (p[0].clone(), p[1].clone()))
                .collect()
        };
        assert_eq!(pairs.len(), want);
        for (f, v) in &pairs {
            assert_eq!(model.get(f), Some(v));
        }
        if count > 0 {
            let fields: Vec<Vec<u8>> = pairs.into_iter().map(|(f, _)| f).collect();
            assert!(distinct(&fields));
        }
    }
}

#[test]
fn hrandfield_shapes_and_membership() {
    let (redis, ours) = both();
    for server in [&redis, &ours] {
        for resp3 in [false, true] {
            let mut c = Raw::connect(server.port);
            cmd(&mut c, &["FLUSHALL"]);
            if resp3 {
                cmd(&mut c, &["HELLO", "3"]);
            }
            let small = fill_hash(&mut c, "small", 10);
            let big = fill_hash(&mut c, "big", 700);
            assert_eq!(
                cmd(&mut c, &["OBJECT", "ENCODING", "big"]),
                V::Bulk(b"hashtable".to_vec())
            );
            check_hrandfield(&mut c, "small", &small, resp3);
            check_hrandfield(&mut c, "big", &big, resp3);
        }
    }
}

fn fill_set(c: &mut Raw, key: &str, members: &[String]) -> BTreeSet<Vec<u8>> {
    let mut words: Vec<&str> = vec!["SADD", key];
    words.extend(members.iter().map(String::as_str));
    assert_eq!(cmd(c, &words), V::Int(members.len() as i64));
    members.iter().map(|m| m.clone().into_bytes()).collect()
}

fn check_srandmember(c: &mut Raw, key: &str, model: &BTreeSet<Vec<u8>>) {
    let size = model.len();
    for _ in 0..20 {
        match cmd(c, &["SRANDMEMBER", key]) {
            V::Bulk(m) => assert!(model.contains(&m)),
            other => panic!("{other:?}"),
        }
    }
    for count in [1, 2, size / 2, size - 1, size, size + 5] {
        let got = items(cmd(c, &["SRANDMEMBER", key, &count.to_string()]), b'*');
        assert_eq!(got.len(), count.min(size));
        assert!(distinct(&got));
        assert!(got.iter().all(|m| model.contains(m)));
    }
    for count in [1usize, 4, size, 3 * size + 1] {
        let got = items(cmd(c, &["SRANDMEMBER", key, &format!("-{count}")]), b'*');
        assert_eq!(got.len(), count);
        assert!(got.iter().all(|m| model.contains(m)));
    }
}

fn check_spop(c: &mut Raw, key: &str, mut model: BTreeSet<Vec<u8>>, resp3: bool) {
    let set_kind = if resp3 { b'~' } else { b'*' };
    let mut popped = Vec::new();
    match cmd(c, &["SPOP", key]) {
        V::Bulk(m) => {
            assert!(model.remove(&m));
            popped.push(m);
        }
        other => panic!("{other:?}"),
    }
    for count in [1usize, 3, model.len() / 2, 2] {
        let got = items(cmd(c, &["SPOP", key, &count.to_string()]), set_kind);
        assert_eq!(got.len(), count.min(model.len()));
        assert!(distinct(&got));
        for m in got {
            assert!(model.remove(&m), "popped a non-member");
            popped.push(m);
        }
        assert_eq!(cmd(c, &["SCARD", key]), V::Int(model.len() as i64));
    }
    let rest = items(cmd(c, &["SPOP", key, "1000000"]), set_kind);
    assert_eq!(rest.iter().cloned().collect::<BTreeSet<_>>(), model);
    assert_eq!(cmd(c, &["EXISTS", key]), V::Int(0));
    assert_eq!(cmd(c, &["SPOP", key]), V::Null);
}

#[test]
fn srandmember_and_spop_shapes_and_membership() {
    let (redis, ours) = both();
    let ints: Vec<String> = (0..50).map(|i| (i * 7 - 100).to_string()).collect();
    let words: Vec<String> = (0..700).map(|i| format!("m{i}")).collect();
    for server in [&redis, &ours] {
        for resp3 in [false, true] {
            let mut c = Raw::connect(server.port);
            cmd(&mut c, &["FLUSHALL"]);
            if resp3 {
                cmd(&mut c, &["HELLO", "3"]);
            }
            let a = fill_set(&mut c, "ints", &ints);
            let b = fill_set(&mut c, "words", &words);
            assert_eq!(
                cmd(&mut c, &["OBJECT", "ENCODING", "ints"]),
                V::Bulk(b"intset".to_vec())
            );
            assert_eq!(
                cmd(&mut c, &["OBJECT", "ENCODING", "words"]),
                V::Bulk(b"hashtable".to_vec())
            );
            check_srandmember(&mut c, "ints", &a);
            check_srandmember(&mut c, "words", &b);
            check_spop(&mut c, "ints", a, resp3);
            check_spop(&mut c, "words", b, resp3);
        }
    }
}

/// Iterates a whole HSCAN / SSCAN, returning every item the cursor loop gave.
fn full_scan(c: &mut Raw, command: &str, key: &str, extra: &[&str]) -> Vec<Vec<u8>> {
    let mut cursor = "0".to_string();
    let mut all = Vec::new();
    let mut calls = 0;
    loop {
        let mut words = vec![command, key, cursor.as_str()];
        words.extend_from_slice(extra);
        let V::Agg(b'*', parts) = cmd(c, &words) else {
            panic!("bad scan reply")
        };
        let [V::Bulk(next), list] = &parts[..] else {
            panic!("bad scan reply")
        };
        all.extend(items(list.clone(), b'*'));
        cursor = String::from_utf8(next.clone()).unwrap();
        calls += 1;
        assert!(calls < 10_000);
        if cursor == "0" {
            return all;
        }
    }
}

#[test]
fn hscan_and_sscan_return_every_element() {
    let (redis, ours) = both();
    let words: Vec<String> = (0..1000).map(|i| format!("m{i}")).collect();
    for server in [&redis, &ours] {
        let mut c = Raw::connect(server.port);
        cmd(&mut c, &["FLUSHALL"]);
        let h = fill_hash(&mut c, "h", 1000);
        let s = fill_set(&mut c, "s", &words);
        let got = full_scan(&mut c, "HSCAN", "h", &["COUNT", "7"]);
        let pairs: BTreeMap<Vec<u8>, Vec<u8>> = got
            .chunks(2)
            .map(|p| (p[0].clone(), p[1].clone()))
            .collect();
        assert_eq!(pairs, h);
        let got: BTreeSet<Vec<u8>> = full_scan(&mut c, "SSCAN", "s", &[]).into_iter().collect();
        assert_eq!(got, s);
        let got = full_scan(&mut c, "SSCAN", "s", &["MATCH", "m1*", "COUNT", "50"]);
        let want: BTreeSet<Vec<u8>> = s.iter().filter(|m| m.starts_with(b"m1")).cloned().collect();
        assert_eq!(got.into_iter().collect::<BTreeSet<_>>(), want);
        let got = full_scan(&mut c, "HSCAN", "h", &["MATCH", "f99*"]);
        let fields: BTreeSet<Vec<u8>> = got.chunks(2).map(|p| p[0].clone()).collect();
        let want: BTreeSet<Vec<u8>> = h
            .keys()
            .filter(|f| f.starts_with(b"f99"))
            .cloned()
            .collect();
        assert_eq!(fields, want);
    }
}

/// Sends `commands` pipelined, in chunks small enough that neither side's buffers fill,
/// and returns their replies.
fn pipeline(c: &mut Raw, commands: &[Vec<String>]) -> Vec<V> {
    let mut replies = Vec::with_capacity(commands.len());
    for chunk in commands.chunks(500) {
        let mut bytes = Vec::new();
        for words in chunk {
            let args: Vec<&[u8]> = words.iter().map(|w| w.as_bytes()).collect();
            bytes.extend(common::encode(&args));
        }
        c.send(&bytes);
        for _ in chunk {
            replies.push(parse(&c.reply()).0);
        }
    }
    replies
}

/// `n` copies of one command.
fn times(n: usize, words: &[&str]) -> Vec<Vec<String>> {
    vec![words.iter().map(|w| w.to_string()).collect(); n]
}

/// The picks in some replies: a bulk is one pick, an array (RESP2) or set (RESP3) its
/// elements; anything else (COPY's integer) is skipped.
fn picks(replies: Vec<V>) -> Vec<Vec<u8>> {
    let mut out = Vec::new();
    for r in replies {
        match r {
            V::Bulk(b) => out.push(b),
            V::Agg(t @ (b'*' | b'~'), _) => out.extend(items(r, t)),
            _ => {}
        }
    }
    out
}

/// Pearson's chi-square statistic of `picks` against the uniform distribution over
/// `universe` (a pick outside it fails the test).
fn chi_square(picks: &[Vec<u8>], universe: &BTreeSet<Vec<u8>>) -> f64 {
    let mut counts: BTreeMap<&[u8], usize> = universe.iter().map(|m| (&m[..], 0)).collect();
    for p in picks {
        *counts
            .get_mut(&p[..])
            .unwrap_or_else(|| panic!("picked a non-member {p:?}")) += 1;
    }
    let expected = picks.len() as f64 / universe.len() as f64;
    counts
        .values()
        .map(|&c| (c as f64 - expected).powi(2) / expected)
        .sum()
}

/// Every random command draws each element equally often, on the hash-table encodings too,
/// by every one of Redis's code paths: negative count (independent picks), a count past a
/// third of the size (copy and remove), a small count (picks with dedup), no count. Like
/// Redis's own histogram tests (10 elements, df = 9), with 10,000 picks per path and a
/// bound of 60 (a uniform sampler exceeds it about once in a billion runs; the bucket-then-
/// chain sampler this replaced scored in the hundreds or thousands).
#[test]
fn random_picks_are_uniform_on_both_servers() {
    let (redis, ours) = both();
    let long = "x".repeat(80);
    let names: Vec<String> = (0..10).map(|i| format!("e{i}")).collect();
    let mut universe: BTreeSet<Vec<u8>> = names.iter().map(|m| m.clone().into_bytes()).collect();
    universe.remove(&b"e9"[..]);
    universe.insert(long.clone().into_bytes());
    let mut hset: Vec<&str> = vec!["HSET", "h"];
    let mut sadd: Vec<&str> = vec!["SADD", "s"];
    let mut zadd: Vec<&str> = vec!["ZADD", "z"];
    for m in &universe {
        let m = std::str::from_utf8(m).unwrap();
        hset.extend([m, "v"]);
        sadd.push(m);
        zadd.extend(["1", m]);
    }
    for server in [&redis, &ours] {
        for resp3 in [false, true] {
            let mut c = Raw::connect(server.port);
            cmd(&mut c, &["FLUSHALL"]);
            if resp3 {
                cmd(&mut c, &["HELLO", "3"]);
            }
            cmd(&mut c, &hset);
            cmd(&mut c, &sadd);
            cmd(&mut c, &zadd);
            for (key, enc) in [("h", "hashtable"), ("s", "hashtable"), ("z", "skiplist")] {
                assert_eq!(
                    cmd(&mut c, &["OBJECT", "ENCODING", key]),
                    V::Bulk(enc.as_bytes().to_vec())
                );
            }
            let mut paths: Vec<(String, Vec<Vec<String>>)> = Vec::new();
            for command in ["HRANDFIELD h", "SRANDMEMBER s", "ZRANDMEMBER z"] {
                let words: Vec<&str> = command.split(' ').collect();
                let with = |count: &'static str| [&words[..], &[count]].concat();
                paths.push((format!("{command} -10000"), times(1, &with("-10000"))));
                paths.push((format!("{command} 8"), times(1250, &with("8"))));
                paths.push((format!("{command} 2"), times(5000, &with("2"))));
                paths.push((command.to_string(), times(10000, &words)));
            }
            // SPOP from a fresh copy of the set each time.
            for count in [None, Some("2"), Some("8")] {
                let mut pop = vec!["SPOP", "t"];
                pop.extend(count);
                let n = 10000 / count.map_or(1, |c| c.parse::<usize>().unwrap());
                let mut commands = Vec::new();
                for _ in 0..n {
                    commands.extend(times(1, &["COPY", "s", "t", "REPLACE"]));
                    commands.extend(times(1, &pop));
                }
                paths.push((pop.join(" "), commands));
            }
            for (name, commands) in &paths {
                let got = picks(pipeline(&mut c, commands));
                assert_eq!(got.len(), 10000, "{name}");
                let x2 = chi_square(&got, &universe);
                assert!(
                    x2 < 60.0,
                    "port {} resp3={resp3} {name}: chi-square {x2}",
                    server.port
                );
            }
            // RANDOMKEY draws from the keyspace table the same way.
            cmd(&mut c, &["SELECT", "9"]);
            for m in &universe {
                let m = std::str::from_utf8(m).unwrap();
                cmd(&mut c, &["SET", m, "1"]);
            }
            let got = picks(pipeline(&mut c, &times(10000, &["RANDOMKEY"])));
            let x2 = chi_square(&got, &universe);
            assert!(x2 < 60.0, "port {} RANDOMKEY: chi-square {x2}", server.port);
        }
    }
}
