//! Tests of the keyspace hash table (`dict.rs`).

use super::*;
use std::collections::{BTreeMap, BTreeSet};

fn key(i: u64) -> Vec<u8> {
    format!("key:{i}").into_bytes()
}

#[test]
fn behaves_like_a_map() {
    let mut d = Dict::new();
    let mut model = BTreeMap::new();
    let mut rng = Rng(42);
    for _ in 0..20_000 {
        let k = key(rng.next_u64() % 3000);
        if rng.next_u64() % 3 < 2 {
            let v = rng.next_u64();
            assert_eq!(d.insert(&k, v), model.insert(k.clone(), v));
        } else {
            assert_eq!(d.remove(&k), model.remove(&k));
        }
        if rng.next_u64().is_multiple_of(50) {
            d.shrink_if_needed();
        }
    }
    assert_eq!(d.len(), model.len());
    for (k, v) in &model {
        assert_eq!(d.get(k), Some(v));
    }
    assert_eq!(d.iter().count(), model.len());
}

#[test]
fn insert_returns_old_value() {
    let mut d = Dict::new();
    assert_eq!(d.insert(b"a", 1), None);
    assert_eq!(d.insert(b"a", 2), Some(1));
    assert_eq!(d.get(b"a"), Some(&2));
    assert_eq!(d.remove(b"a"), Some(2));
    assert_eq!(d.remove(b"a"), None);
    assert!(d.is_empty());
}

/// SCAN's guarantee, against a model: keys present for the whole iteration are all
/// returned while the table grows, shrinks and rehashes between calls.
#[test]
fn scan_returns_every_stable_key_across_resizes() {
    let mut rng = Rng(7);
    for round in 0..30 {
        let mut d = Dict::new();
        let stable: Vec<Vec<u8>> = (0..(50 + round * 37)).map(|i| key(i as u64)).collect();
        for k in &stable {
            d.insert(k, ());
        }
        let mut churn: Vec<Vec<u8>> = Vec::new();
        let mut next_churn = 1_000_000u64;
        let mut seen = BTreeSet::new();
        let mut cursor = 0;
        let mut calls = 0;
        loop {
            cursor = d.scan(cursor, |k, _| {
                seen.insert(k.to_vec());
            });
            calls += 1;
            // Between calls: grow, or shrink, or rehash a little.
            match rng.next_u64() % 4 {
                0 if churn.len() < 5000 => {
                    for _ in 0..(rng.next_u64() % 200) {
                        next_churn += 1;
                        let k = key(next_churn);
                        d.insert(&k, ());
                        churn.push(k);
                    }
                }
                1 => {
                    let n = (rng.next_u64() as usize % 300).min(churn.len());
                    for k in churn.drain(..n) {
                        d.remove(&k);
                    }
                    d.shrink_if_needed();
                }
                2 => {
                    d.rehash(3);
                }
                _ => {}
            }
            if cursor == 0 {
                break;
            }
            assert!(calls < 100_000, "scan does not terminate");
        }
        for k in &stable {
            assert!(
                seen.contains(k),
                "round {round}: {:?} never returned",
                String::from_utf8_lossy(k)
            );
        }
    }
}

#[test]
fn random_finds_entries() {
    let mut d = Dict::new();
    let mut rng = Rng::seeded();
    assert!(d.random(&mut rng).is_none());
    for i in 0..100 {
        d.insert(&key(i), i);
    }
    let mut seen = BTreeSet::new();
    for _ in 0..2000 {
        let (k, _) = d.random(&mut rng).unwrap();
        seen.insert(k.to_vec());
    }
    assert!(seen.len() > 90, "{}", seen.len());
}

/// A table with a fixed hash seed, so its chains are the same on every run.
fn seeded_dict(seed: u64) -> Dict<u64> {
    Dict {
        tables: [Table::empty(), Table::empty()],
        rehash_idx: None,
        seed,
        guarded: false,
    }
}

/// Pearson's chi-square statistic of `draws` random picks from `d` against the uniform
/// distribution over its entries.
fn chi_square(d: &mut Dict<u64>, rng: &mut Rng, draws: usize) -> f64 {
    let mut counts: BTreeMap<Vec<u8>, usize> = d.iter().map(|(k, _)| (k.to_vec(), 0)).collect();
    for _ in 0..draws {
        let (k, _) = d.random(rng).expect("not empty");
        *counts.get_mut(k).expect("a live entry") += 1;
    }
    let expected = draws as f64 / counts.len() as f64;
    counts
        .values()
        .map(|&c| (c as f64 - expected).powi(2) / expected)
        .sum()
}

/// The statistic a uniform sampler stays under but for a chance of about one in ten
/// million: the mean (the degrees of freedom) plus seven standard deviations.
fn chi_square_bound(entries: usize) -> f64 {
    let df = (entries - 1) as f64;
    df + 7.0 * (2.0 * df).sqrt()
}

/// Every entry is equally likely to be picked, whatever the chains look like: settled,
/// in the middle of a resize, and sparse after removals (the chain bound then stale).
/// Picking a random bucket then a random chain entry fails each of these by far.
#[test]
fn random_is_uniform() {
    let mut rng = Rng::from_seed(0x5eed);
    for seed in [1u64, 2, 3] {
        // Settled: 300 entries in 512 buckets, chains of 1 to several.
        let mut d = seeded_dict(seed);
        for i in 0..300 {
            d.insert(&key(i), i);
        }
        while d.rehash(100) {}
        let x2 = chi_square(&mut d, &mut rng, 300 * 300);
        assert!(x2 < chi_square_bound(300), "settled, seed {seed}: {x2}");

        // Growing: the 513th entry starts a resize; picks move one bucket each.
        let mut d = seeded_dict(seed);
        for i in 0..513 {
            d.insert(&key(i), i);
        }
        assert!(d.is_rehashing());
        let x2 = chi_square(&mut d, &mut rng, 513 * 200);
        assert!(x2 < chi_square_bound(513), "rehashing, seed {seed}: {x2}");

        // Sparse: 4000 entries removed down to 100, no shrink.
        let mut d = seeded_dict(seed);
        for i in 0..4000 {
            d.insert(&key(i), i);
        }
        while d.rehash(100) {}
        for i in 100..4000 {
            d.remove(&key(i));
        }
        let x2 = chi_square(&mut d, &mut rng, 100 * 300);
        assert!(x2 < chi_square_bound(100), "sparse, seed {seed}: {x2}");
    }
}

#[test]
fn grows_and_shrinks() {
    let mut d = Dict::new();
    for i in 0..10_000 {
        d.insert(&key(i), ());
    }
    while d.rehash(100) {}
    assert_eq!(d.buckets(), 16384);
    for i in 0..9_990 {
        d.remove(&key(i));
    }
    d.shrink_if_needed();
    while d.rehash(100) {}
    assert!(d.buckets() <= 16, "{}", d.buckets());
    assert_eq!(d.len(), 10);
}
