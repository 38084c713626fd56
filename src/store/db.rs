//! One numbered database: its keys and their expiry deadlines.

use super::dict::{Dict, Rng};
use super::value::Value;

/// Keys' access bookkeeping for OBJECT IDLETIME / FREQ, as Redis keeps in each object.
#[derive(Debug)]
struct Entry {
    value: Value,
    /// Last access, in seconds of the LRU clock (24 bits, wrapping, as in Redis).
    lru: u32,
    /// Logarithmic access counter, used while an LFU maxmemory-policy is set.
    freq: u8,
    /// When `freq` last decayed, in minutes (16 bits, wrapping).
    freq_minutes: u16,
}

/// The LRU clock wraps at 24 bits, like Redis's.
pub const LRU_CLOCK_MAX: u32 = (1 << 24) - 1;
/// A new key's LFU counter (Redis's LFU_INIT_VAL), so new keys are not evicted first.
const LFU_INIT: u8 = 5;

/// The LRU clock for `now_ms`.
pub fn lru_clock(now_ms: u64) -> u32 {
    ((now_ms / 1000) as u32) & LRU_CLOCK_MAX
}

fn minutes(now_ms: u64) -> u16 {
    (now_ms / 60_000) as u16
}

/// How accesses are recorded: the clock, and the LFU parameters when an LFU policy is set.
#[derive(Clone, Copy, Debug)]
pub struct Access {
    pub now_ms: u64,
    /// `Some((log_factor, decay_minutes))` under an LFU maxmemory-policy.
    pub lfu: Option<(u32, u32)>,
}

impl Entry {
    fn new(value: Value, now_ms: u64) -> Entry {
        Entry {
            value,
            lru: lru_clock(now_ms),
            freq: LFU_INIT,
            freq_minutes: minutes(now_ms),
        }
    }

    /// The LFU counter after decay for the minutes since it was last updated.
    fn decayed_freq(&self, now_ms: u64, decay_minutes: u32) -> u8 {
        if decay_minutes == 0 {
            return self.freq;
        }
        let elapsed = minutes(now_ms).wrapping_sub(self.freq_minutes) as u32;
        let periods = elapsed / decay_minutes;
        self.freq.saturating_sub(periods.min(255) as u8)
    }

    fn touch(&mut self, access: Access, rng: &mut Rng) {
        self.lru = lru_clock(access.now_ms);
        if let Some((log_factor, decay)) = access.lfu {
            let mut counter = self.decayed_freq(access.now_ms, decay);
            if counter < 255 {
                // Redis's logarithmic increment: ever less likely as the counter grows.
                let base = f64::from(counter.saturating_sub(LFU_INIT));
                let p = 1.0 / (base * f64::from(log_factor) + 1.0);
                let r = (rng.next_u64() >> 11) as f64 / (1u64 << 53) as f64;
                if r < p {
                    counter += 1;
                }
            }
            self.freq = counter;
            self.freq_minutes = minutes(access.now_ms);
        }
    }
}

/// A database: the keyspace and, for keys with a time to live, their deadlines in Unix ms.
/// As in Redis, deadlines live in a second table, so the active expiry cycle samples only
/// keys that can expire.
#[derive(Debug)]
pub struct Db {
    keys: Dict<Entry>,
    expires: Dict<u64>,
    /// Where the active expiry cycle continues its walk of `expires`.
    pub expire_cursor: u64,
}

impl Default for Db {
    fn default() -> Self {
        Db {
            keys: Dict::guarded(),
            expires: Dict::guarded(),
            expire_cursor: 0,
        }
    }
}

impl Db {
    /// Number of keys, including expired ones not yet reclaimed.
    pub fn len(&self) -> usize {
        self.keys.len()
    }

    /// Whether the database holds no key.
    pub fn is_empty(&self) -> bool {
        self.keys.is_empty()
    }

    /// Bytes of the keyspace's and the deadlines' tables themselves (MEMORY STATS).
    pub fn overhead_bytes(&self) -> (usize, usize) {
        (self.keys.overhead_bytes(), self.expires.overhead_bytes())
    }

    /// Number of keys with a deadline.
    pub fn expires_len(&self) -> usize {
        self.expires.len()
    }

    /// The value, without any expiry check.
    pub fn get(&self, key: &[u8]) -> Option<&Value> {
        self.keys.get(key).map(|e| &e.value)
    }

    /// The value for writing, without any expiry check.
    pub(super) fn get_mut(&mut self, key: &[u8]) -> Option<&mut Value> {
        self.keys.get_mut(key).map(|e| &mut e.value)
    }

    /// The value for a command's access: records the access for IDLETIME / FREQ.
    pub(super) fn access(
        &mut self,
        key: &[u8],
        access: Access,
        rng: &mut Rng,
    ) -> Option<&mut Value> {
        let e = self.keys.get_mut(key)?;
        e.touch(access, rng);
        Some(&mut e.value)
    }

    /// Seconds since the key was last accessed (OBJECT IDLETIME).
    pub fn idle_seconds(&self, key: &[u8], now_ms: u64) -> Option<u64> {
        let e = self.keys.get(key)?;
        let now = lru_clock(now_ms);
        let idle = if now >= e.lru {
            now - e.lru
        } else {
            (LRU_CLOCK_MAX - e.lru) + now
        };
        Some(u64::from(idle))
    }

    /// Sets the access history RESTORE's IDLETIME / FREQ give (objectSetLRUOrLFU): under an
    /// LFU policy the counter, else the last access `idle` seconds ago.
    pub fn set_access(&mut self, key: &[u8], idle: Option<u64>, freq: Option<u8>, access: Access) {
        let Some(e) = self.keys.get_mut(key) else {
            return;
        };
        if access.lfu.is_some() {
            if let Some(f) = freq {
                e.freq = f;
                e.freq_minutes = minutes(access.now_ms);
            }
        } else if let Some(idle) = idle {
            let now = u64::from(lru_clock(access.now_ms));
            let max = u64::from(LRU_CLOCK_MAX);
            e.lru = if idle <= now {
                now - idle
            } else {
                // Redis wraps around the 24-bit clock the same way.
                (max - (idle - now) % max) % max
            } as u32;
        }
    }

    /// The key's LFU counter after decay (OBJECT FREQ).
    pub fn frequency(&self, key: &[u8], now_ms: u64, decay_minutes: u32) -> Option<u8> {
        self.keys
            .get(key)
            .map(|e| e.decayed_freq(now_ms, decay_minutes))
    }

    /// The key's deadline in Unix ms, if it has one.
    pub fn deadline(&self, key: &[u8]) -> Option<u64> {
        if self.expires.is_empty() {
            return None;
        }
        self.expires.get(key).copied()
    }

    /// Whether the key has a deadline at or before `now_ms`.
    pub fn is_expired(&self, key: &[u8], now_ms: u64) -> bool {
        self.deadline(key).is_some_and(|d| d <= now_ms)
    }

    /// Stores `value` at `key`, keeping or dropping its deadline as `ttl` says: a new key
    /// starts with the access time `now_ms`, an existing one keeps its history. Returns
    /// whether the key is new.
    pub(super) fn insert_at(&mut self, key: &[u8], value: Value, ttl: Ttl, now_ms: u64) -> bool {
        self.apply_ttl(key, ttl);
        let mut value = Some(value);
        let (entry, inserted) = self
            .keys
            .get_or_insert_with(key, || Entry::new(value.take().expect("once"), now_ms));
        if !inserted {
            entry.value = value.take().expect("not consumed");
        }
        inserted
    }

    /// Stores `value` at `key` as a command's write: a new key starts with the access time
    /// of `access`, an existing one is touched as a lookup would (one hash lookup for both).
    /// Returns whether the key is new.
    #[inline]
    pub(super) fn store_touched(
        &mut self,
        key: &[u8],
        value: Value,
        ttl: Ttl,
        access: Access,
        rng: &mut Rng,
    ) -> bool {
        self.apply_ttl(key, ttl);
        let mut value = Some(value);
        let (entry, inserted) = self.keys.get_or_insert_with(key, || {
            Entry::new(value.take().expect("once"), access.now_ms)
        });
        if !inserted {
            entry.touch(access, rng);
            entry.value = value.take().expect("not consumed");
        }
        inserted
    }

    fn apply_ttl(&mut self, key: &[u8], ttl: Ttl) {
        match ttl {
            Ttl::Keep => {}
            Ttl::Clear => {
                if !self.expires.is_empty() {
                    self.expires.remove(key);
                }
            }
            Ttl::At(deadline) => {
                self.expires.insert(key, deadline);
            }
        }
    }

    /// Prepares for `keys` keys, `expires` of them with a deadline (snapshot loading).
    pub(super) fn reserve(&mut self, keys: usize, expires: usize) {
        self.keys.reserve(keys);
        self.expires.reserve(expires);
    }

    /// Sets or clears the deadline of an existing key. Returns false if the key is absent.
    pub(super) fn set_deadline(&mut self, key: &[u8], deadline: Option<u64>) -> bool {
        if !self.keys.contains_key(key) {
            return false;
        }
        match deadline {
            Some(d) => {
                self.expires.insert(key, d);
            }
            None => {
                self.expires.remove(key);
            }
        }
        true
    }

    /// Removes the key and its deadline; returns the value.
    pub(super) fn remove(&mut self, key: &[u8]) -> Option<Value> {
        let e = self.keys.remove(key)?;
        if !self.expires.is_empty() {
            self.expires.remove(key);
        }
        Some(e.value)
    }

    /// Drops every key.
    pub(super) fn clear(&mut self) {
        self.keys.clear();
        self.expires.clear();
        self.expire_cursor = 0;
    }

    /// Every key (expired ones included).
    pub fn keys(&self) -> impl Iterator<Item = &[u8]> {
        self.keys.iter().map(|(k, _)| k)
    }

    /// Every key with its value.
    pub fn entries(&self) -> impl Iterator<Item = (&[u8], &Value)> {
        self.keys.iter().map(|(k, e)| (k, &e.value))
    }

    /// Every deadline.
    pub fn deadlines(&self) -> impl Iterator<Item = (&[u8], u64)> {
        self.expires.iter().map(|(k, &d)| (k, d))
    }

    /// One SCAN step over the keys (see [`Dict::scan`]).
    pub fn scan(&self, cursor: u64, mut f: impl FnMut(&[u8], &Value)) -> u64 {
        self.keys.scan(cursor, |k, e| f(k, &e.value))
    }

    /// One step of the walk over keys with deadlines (the active expiry cycle).
    pub fn scan_expires(&self, cursor: u64, f: impl FnMut(&[u8], &u64)) -> u64 {
        self.expires.scan(cursor, f)
    }

    /// A random key, or None if empty.
    pub(super) fn random_key(&mut self, rng: &mut Rng) -> Option<Vec<u8>> {
        self.keys.random(rng).map(|(k, _)| k.to_vec())
    }

    /// Draws `count` keys at random (with replacement, as Redis's sampling may repeat) from
    /// every key, or with `volatile` from the keys with a deadline, and hands each to `f`
    /// with its eviction score under `score` (a higher score is a better candidate).
    pub(super) fn sample_for_eviction(
        &mut self,
        rng: &mut Rng,
        count: usize,
        volatile: bool,
        score: Score,
        mut f: impl FnMut(&[u8], u64),
    ) {
        // More draws than keys would only repeat them (and a huge maxmemory-samples would
        // spin).
        let size = if volatile {
            self.expires.len()
        } else {
            self.keys.len()
        };
        for _ in 0..count.min(size) {
            if volatile {
                let Some((key, &deadline)) = self.expires.random(rng) else {
                    return;
                };
                let value = match score {
                    // The sooner the deadline, the better.
                    Score::Ttl => u64::MAX - deadline,
                    _ => match self.keys.get(key) {
                        Some(e) => e.eviction_score(score),
                        None => continue,
                    },
                };
                f(key, value);
            } else {
                let Some((key, e)) = self.keys.random(rng) else {
                    return;
                };
                f(key, e.eviction_score(score));
            }
        }
    }

    /// A random key, from the keys with a deadline with `volatile`, or None if there is
    /// none (the random eviction policies).
    pub(super) fn random_candidate(&mut self, rng: &mut Rng, volatile: bool) -> Option<Vec<u8>> {
        if volatile {
            self.expires.random(rng).map(|(k, _)| k.to_vec())
        } else {
            self.keys.random(rng).map(|(k, _)| k.to_vec())
        }
    }

    /// Whether `key` is present, among the keys with a deadline with `volatile`.
    pub(super) fn has_candidate(&self, key: &[u8], volatile: bool) -> bool {
        if volatile {
            self.expires.contains_key(key)
        } else {
            self.keys.contains_key(key)
        }
    }

    /// Cron housekeeping: shrink sparse tables and move some buckets of ongoing resizes.
    pub(super) fn housekeeping(&mut self, buckets: usize) {
        self.keys.shrink_if_needed();
        self.expires.shrink_if_needed();
        self.keys.rehash(buckets);
        self.expires.rehash(buckets);
    }
}

/// How an eviction policy scores a sampled key (Redis's "idle" in the eviction pool).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Score {
    /// Milliseconds since the last access (the LRU clock has a resolution of one second).
    Lru { now_ms: u64 },
    /// 255 minus the access counter after decay.
    Lfu { now_ms: u64, decay_minutes: u32 },
    /// `u64::MAX` minus the deadline.
    Ttl,
}

impl Entry {
    fn eviction_score(&self, score: Score) -> u64 {
        match score {
            Score::Lru { now_ms } => {
                let now = lru_clock(now_ms);
                let idle = if now >= self.lru {
                    now - self.lru
                } else {
                    (LRU_CLOCK_MAX - self.lru) + now
                };
                u64::from(idle) * 1000
            }
            Score::Lfu {
                now_ms,
                decay_minutes,
            } => 255 - u64::from(self.decayed_freq(now_ms, decay_minutes)),
            // Only sampled from the deadlines (sample_for_eviction).
            Score::Ttl => 0,
        }
    }
}

/// What a write does to the key's time to live.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Ttl {
    /// Keep the current deadline (SET KEEPTTL, SETRANGE, APPEND...).
    Keep,
    /// Remove any deadline (a plain SET).
    Clear,
    /// Expire at this Unix time in ms.
    At(u64),
}
