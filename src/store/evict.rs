//! Choosing and removing keys for maxmemory, as Redis's evict.c does: the policies, the
//! sampling of `maxmemory-samples` keys per database into a pool of the 16 best
//! candidates seen so far (kept across calls, so each eviction profits from earlier
//! samples), and the deletion loop that stops once enough memory was freed or its time
//! is up. How much memory the process uses is the caller's business: it passes a function.

use std::time::Instant;

use super::db::Score;
use super::{Event, Store};

/// The eight `maxmemory-policy` values.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Policy {
    VolatileLru,
    VolatileLfu,
    VolatileRandom,
    VolatileTtl,
    AllKeysLru,
    AllKeysLfu,
    AllKeysRandom,
    NoEviction,
}

impl Policy {
    /// The policy named `name` (the configuration has validated it; anything else is
    /// noeviction).
    pub fn parse(name: &str) -> Policy {
        match name {
            "volatile-lru" => Policy::VolatileLru,
            "volatile-lfu" => Policy::VolatileLfu,
            "volatile-random" => Policy::VolatileRandom,
            "volatile-ttl" => Policy::VolatileTtl,
            "allkeys-lru" => Policy::AllKeysLru,
            "allkeys-lfu" => Policy::AllKeysLfu,
            "allkeys-random" => Policy::AllKeysRandom,
            _ => Policy::NoEviction,
        }
    }

    /// Whether only keys with a deadline may go.
    fn volatile(self) -> bool {
        matches!(
            self,
            Policy::VolatileLru
                | Policy::VolatileLfu
                | Policy::VolatileRandom
                | Policy::VolatileTtl
        )
    }

    fn random(self) -> bool {
        matches!(self, Policy::VolatileRandom | Policy::AllKeysRandom)
    }
}

/// Entries of the eviction pool (Redis's EVPOOL_SIZE).
const POOL_SIZE: usize = 16;

/// A candidate for eviction: its score (higher goes first), database and key.
#[derive(Debug)]
struct Candidate {
    score: u64,
    db: usize,
    key: Vec<u8>,
}

/// The best candidates sampled so far, by ascending score. Entries may have been deleted
/// or touched since: a deleted one is skipped when picked, as Redis's "ghosts".
#[derive(Debug, Default)]
pub struct Pool {
    entries: Vec<Candidate>,
    /// Where the random policies start looking (they visit the databases in turn).
    next_db: usize,
}

impl Pool {
    /// Offers a sampled key: kept if the pool has room or it beats the worst candidate.
    fn offer(&mut self, db: usize, key: &[u8], score: u64) {
        let k = self.entries.partition_point(|c| c.score < score);
        if self.entries.len() == POOL_SIZE {
            if k == 0 {
                return;
            }
            // Full: the worst candidate makes room, and the new one goes just before the
            // first better one.
            self.entries.remove(0);
            self.entries.insert(k - 1, candidate(db, key, score));
        } else {
            self.entries.insert(k, candidate(db, key, score));
        }
    }

    /// Forgets every candidate (FLUSHALL, a policy change).
    pub fn clear(&mut self) {
        self.entries.clear();
    }
}

fn candidate(db: usize, key: &[u8], score: u64) -> Candidate {
    Candidate {
        score,
        db,
        key: key.to_vec(),
    }
}

/// How an eviction run ended (Redis's EVICT_OK / EVICT_RUNNING / EVICT_FAIL).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Outcome {
    /// Enough memory was freed.
    Done,
    /// The time limit ran out first: the caller should go on later.
    TimedOut,
    /// Nothing (more) can be evicted.
    Failed,
}

/// One eviction run's parameters.
#[derive(Clone, Copy, Debug)]
pub struct Run {
    pub policy: Policy,
    /// maxmemory-samples.
    pub samples: usize,
    /// Bytes to free.
    pub to_free: u64,
    /// Stop after this many microseconds (checked every 16 keys, as Redis does).
    pub time_limit_us: u64,
    /// lfu-decay-time, for the LFU scores.
    pub lfu_decay_minutes: u32,
}

impl Store {
    /// Evicts keys until `run.to_free` bytes were freed by the deletions, as `used`
    /// measures the process's memory before and after each one, or until the time is up or
    /// nothing is left to evict. Each evicted key is counted and recorded as `evicted`
    /// (WATCH, keyspace notifications, tracking invalidation and propagation follow from
    /// the event). Returns how the run ended and how many keys went.
    pub fn evict(&mut self, run: Run, used: impl Fn() -> u64) -> (Outcome, u64) {
        if run.policy == Policy::NoEviction {
            return (Outcome::Failed, 0);
        }
        let started = Instant::now();
        let mut freed: i64 = 0;
        let mut keys = 0u64;
        let to_free = run.to_free.min(i64::MAX as u64) as i64;
        while freed < to_free {
            let Some((db, key)) = self.pick_victim(run) else {
                return (Outcome::Failed, keys);
            };
            let before = used() as i64;
            self.dbs[db].remove(&key);
            freed += before - used() as i64;
            self.stats.evicted += 1;
            self.record(db, &key, Event::Evicted, 0);
            keys += 1;
            if keys.is_multiple_of(16) && started.elapsed().as_micros() as u64 > run.time_limit_us {
                return (Outcome::TimedOut, keys);
            }
        }
        (Outcome::Done, keys)
    }

    /// The next key to evict under `run.policy`, if any.
    fn pick_victim(&mut self, run: Run) -> Option<(usize, Vec<u8>)> {
        let volatile = run.policy.volatile();
        let n = self.dbs.len();
        if run.policy.random() {
            for _ in 0..n {
                self.evict_pool.next_db = (self.evict_pool.next_db + 1) % n;
                let db = self.evict_pool.next_db;
                if let Some(key) = self.dbs[db].random_candidate(&mut self.rng, volatile) {
                    return Some((db, key));
                }
            }
            return None;
        }
        let score = match run.policy {
            Policy::VolatileTtl => Score::Ttl,
            Policy::VolatileLfu | Policy::AllKeysLfu => Score::Lfu {
                now_ms: self.now_ms,
                decay_minutes: run.lfu_decay_minutes,
            },
            _ => Score::Lru {
                now_ms: self.now_ms,
            },
        };
        loop {
            // Sample every database before choosing, so no database is favoured.
            let mut total = 0;
            let Store {
                dbs,
                rng,
                evict_pool,
                ..
            } = self;
            for (i, db) in dbs.iter_mut().enumerate() {
                let size = if volatile { db.expires_len() } else { db.len() };
                if size == 0 {
                    continue;
                }
                total += size;
                db.sample_for_eviction(rng, run.samples, volatile, score, |k, s| {
                    evict_pool.offer(i, k, s)
                });
            }
            if total == 0 {
                return None;
            }
            // The best candidate that still exists; deleted ones are dropped on the way.
            while let Some(c) = self.evict_pool.entries.pop() {
                if self.dbs[c.db].has_candidate(&c.key, volatile) {
                    return Some((c.db, c.key));
                }
            }
        }
    }
}

/// How long one eviction run may take, by maxmemory-eviction-tenacity (0..=100): up to
/// 500 us linearly to 10, then 15% more per step, unlimited at 100 (Redis's curve).
pub fn time_limit_us(tenacity: i64) -> u64 {
    let t = tenacity.clamp(0, 100);
    if t <= 10 {
        50 * t as u64
    } else if t < 100 {
        (500.0 * 1.15f64.powi((t - 10) as i32)) as u64
    } else {
        u64::MAX
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::{Ttl, Value};

    fn run(policy: Policy) -> Run {
        Run {
            policy,
            samples: 5,
            to_free: u64::MAX,
            time_limit_us: u64::MAX,
            lfu_decay_minutes: 1,
        }
    }

    fn filled(n: usize) -> Store {
        let mut s = Store::new(2);
        for i in 0..n {
            let ttl = if i % 2 == 1 {
                Ttl::At(1 << 50)
            } else {
                Ttl::Clear
            };
            s.load(
                i % 2,
                format!("k{i}").as_bytes(),
                Value::string(b"v"),
                ttl,
                0,
            );
        }
        s
    }

    #[test]
    fn volatile_policies_keep_keys_without_deadline() {
        for p in [
            Policy::VolatileLru,
            Policy::VolatileRandom,
            Policy::VolatileTtl,
            Policy::VolatileLfu,
        ] {
            let mut s = filled(100);
            let (outcome, keys) = s.evict(run(p), || 1);
            assert_eq!(outcome, Outcome::Failed);
            assert_eq!(keys, 50, "{p:?}");
            assert_eq!(s.total_keys(), 50);
            assert_eq!(s.dbs[1].len(), 0);
        }
    }

    #[test]
    fn allkeys_policies_can_empty_the_store() {
        for p in [
            Policy::AllKeysLru,
            Policy::AllKeysRandom,
            Policy::AllKeysLfu,
        ] {
            let mut s = filled(100);
            let (outcome, keys) = s.evict(run(p), || 1);
            assert_eq!((outcome, keys), (Outcome::Failed, 100), "{p:?}");
            assert_eq!(s.total_keys(), 0);
        }
    }

    #[test]
    fn noeviction_evicts_nothing() {
        let mut s = filled(10);
        assert_eq!(s.evict(run(Policy::NoEviction), || 1), (Outcome::Failed, 0));
        assert_eq!(s.total_keys(), 10);
    }

    #[test]
    fn stops_once_enough_is_freed() {
        let mut s = filled(100);
        let used = std::cell::Cell::new(1000u64);
        let mut r = run(Policy::AllKeysRandom);
        r.to_free = 30;
        let (outcome, keys) = s.evict(r, || {
            // Each measurement is 5 bytes lower: each deletion frees 5.
            let u = used.get();
            used.set(u - 5);
            u
        });
        assert_eq!((outcome, keys), (Outcome::Done, 6));
    }

    #[test]
    fn pool_keeps_the_best_sixteen_in_order() {
        let mut p = Pool::default();
        for i in 0..40u64 {
            p.offer(0, &i.to_le_bytes(), (i * 7) % 40);
        }
        let scores: Vec<u64> = p.entries.iter().map(|c| c.score).collect();
        assert_eq!(scores, (24..40).collect::<Vec<_>>());
    }

    #[test]
    fn tenacity_curve() {
        assert_eq!(time_limit_us(0), 0);
        assert_eq!(time_limit_us(10), 500);
        assert_eq!(time_limit_us(11), 575);
        assert_eq!(time_limit_us(100), u64::MAX);
    }
}
