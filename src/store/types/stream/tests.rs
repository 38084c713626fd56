//! The stream index against a `BTreeMap` model under random appends, deletions, trims and
//! range reads, plus Redis's node cutting rules.

use std::collections::BTreeMap;

use super::*;
use crate::store::dict::Rng;

type Model = BTreeMap<StreamId, Vec<Vec<u8>>>;

fn limits(entries: u64, bytes: u64) -> NodeLimits {
    NodeLimits {
        max_entries: entries,
        max_bytes: bytes,
    }
}

fn fields_of(e: &Entry<'_>) -> Vec<Vec<u8>> {
    e.fields()
        .flat_map(|(f, v)| [f.to_vec(), v.to_vec()])
        .collect()
}

fn check(s: &Stream, m: &Model, rng: &mut Rng) {
    assert_eq!(s.len() as usize, m.len());
    let all: Vec<(StreamId, Vec<Vec<u8>>)> = s
        .range(StreamId::MIN, StreamId::MAX, false)
        .map(|e| (e.id, fields_of(&e)))
        .collect();
    let want: Vec<(StreamId, Vec<Vec<u8>>)> = m.iter().map(|(k, v)| (*k, v.clone())).collect();
    assert_eq!(all, want);
    let ids: Vec<StreamId> = m.keys().copied().collect();
    assert_eq!(s.first_live(), ids.first().copied());
    assert_eq!(s.last_live(), ids.last().copied());
    if !m.is_empty() {
        assert_eq!(s.first_id, ids[0]);
    }
    for _ in 0..4 {
        let a = StreamId::new(rng.next_u64() % 300, rng.next_u64() % 4);
        let b = StreamId::new(rng.next_u64() % 300, rng.next_u64() % 4);
        let fwd: Vec<StreamId> = s.range(a, b, false).map(|e| e.id).collect();
        let want: Vec<StreamId> = if a <= b {
            m.range(a..=b).map(|(k, _)| *k).collect()
        } else {
            Vec::new()
        };
        assert_eq!(fwd, want);
        let mut rev: Vec<StreamId> = s.range(a, b, true).map(|e| e.id).collect();
        rev.reverse();
        assert_eq!(rev, want);
    }
}

#[test]
fn index_matches_a_model() {
    for seed in 1..40u64 {
        let mut rng = Rng::from_seed(seed * 7919);
        let lim = limits(rng.next_u64() % 6, [0, 60, 200][(seed % 3) as usize]);
        let mut s = Stream::default();
        let mut m = Model::new();
        let mut next = StreamId::new(1, 0);
        for _ in 0..400 {
            match rng.next_u64() % 10 {
                0..=4 => {
                    let n = 1 + rng.next_u64() % 3;
                    let mut pairs = Vec::new();
                    for i in 0..n {
                        let f = if rng.next_u64().is_multiple_of(3) {
                            i + 7
                        } else {
                            i
                        };
                        pairs.push(format!("f{f}").into_bytes());
                        pairs.push(format!("{}", rng.next_u64() % 1000).into_bytes());
                    }
                    let refs: Vec<&[u8]> = pairs.iter().map(Vec::as_slice).collect();
                    s.append(next, &refs, lim);
                    m.insert(next, pairs);
                    next = if rng.next_u64().is_multiple_of(2) {
                        next.next().unwrap()
                    } else {
                        StreamId::new(next.ms + 1 + rng.next_u64() % 3, 0)
                    };
                }
                5..=6 => {
                    let id = StreamId::new(rng.next_u64() % 300, rng.next_u64() % 3);
                    assert_eq!(s.delete(id), m.remove(&id).is_some());
                    if s.is_empty() {
                        s.first_id = StreamId::MIN;
                    } else {
                        s.refresh_first_id();
                    }
                }
                7 => {
                    let max = rng.next_u64() % 40;
                    let approx = rng.next_u64().is_multiple_of(2);
                    let before = m.len() as u64;
                    let n = s.trim(Trim::MaxLen(max), approx, 0);
                    while m.len() as u64 > s.len() {
                        let k = *m.keys().next().unwrap();
                        m.remove(&k);
                    }
                    assert_eq!(before - n, s.len());
                    if !approx {
                        assert_eq!(s.len(), before.min(max));
                    }
                }
                8 => {
                    let min = StreamId::new(rng.next_u64() % 300, 0);
                    let approx = rng.next_u64().is_multiple_of(2);
                    s.trim(Trim::MinId(min), approx, 0);
                    while m.len() as u64 > s.len() {
                        let k = *m.keys().next().unwrap();
                        assert!(k < min);
                        m.remove(&k);
                    }
                    if !approx {
                        assert!(m.keys().all(|k| *k >= min));
                    }
                }
                _ => check(&s, &m, &mut rng),
            }
        }
        check(&s, &m, &mut rng);
        // Rebuilding node by node (as a snapshot load does) gives the same stream.
        let mut copy = Stream::default();
        for (master, node) in s.nodes() {
            let entries: Vec<(StreamId, bool, Vec<Vec<u8>>)> = node
                .offsets(master)
                .iter()
                .map(|&at| {
                    let e = node.entry_at(master, at as usize);
                    (e.id, e.deleted, fields_of(&e))
                })
                .collect();
            copy.load_node(&entries);
        }
        assert_eq!(copy.length, s.length);
        assert_eq!(copy.node_sizes(), s.node_sizes());
    }
}

#[test]
fn nodes_are_cut_by_entries_and_bytes() {
    let mut s = Stream::default();
    for i in 1..=250 {
        s.append(StreamId::new(i, 0), &[b"f", b"v"], limits(100, 4096));
    }
    assert_eq!(s.node_sizes(), vec![(100, 0), (100, 0), (50, 0)]);
    // Approximate trimming removes whole nodes only.
    assert_eq!(s.trim(Trim::MaxLen(120), true, 0), 100);
    assert_eq!(s.trim(Trim::MaxLen(120), true, 0), 0);
    assert_eq!(s.trim(Trim::MaxLen(120), false, 0), 30);
    assert_eq!(s.node_sizes(), vec![(70, 30), (50, 0)]);
    let mut b = Stream::default();
    let big = [b'x'; 1000];
    for i in 1..=10 {
        b.append(StreamId::new(i, 0), &[b"f", &big], limits(100, 4096));
    }
    assert!(b.node_count() >= 3);
}
