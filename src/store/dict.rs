//! The keyspace hash table.
//!
//! SCAN promises that every key present for the whole iteration is returned at least once,
//! even if the table grows or shrinks between calls, and that each call does bounded work.
//! `std::collections::HashMap` cannot keep that promise (its iteration order changes on
//! resize and it has no cursor), so this is a table in Redis's design:
//!
//! - power-of-two bucket arrays with chaining; a key lives in bucket `hash & mask`;
//! - growth and shrinking by powers of two, done incrementally: while a resize is in
//!   progress two tables exist and each operation (and the cron) moves a few buckets, so no
//!   single command pays for rehashing millions of keys;
//! - the SCAN cursor counts with its bits reversed. Because sizes are powers of two, the
//!   buckets of a smaller table map onto contiguous groups of the larger one's under
//!   reversed counting, so a cursor taken before a resize still visits every bucket whose
//!   keys it has not returned yet.

use super::bytes::SmallBytes;
use super::hash::{hash_bytes, random_seed};

struct Node<V> {
    /// Short keys live inline in the node: one allocation per entry.
    key: SmallBytes,
    value: V,
    next: Option<Box<Node<V>>>,
}

struct Table<V> {
    buckets: Vec<Option<Box<Node<V>>>>,
    used: usize,
    /// No chain of this table has ever been longer: an upper bound on every chain's
    /// length, which [`Dict::random`] needs to sample uniformly. Removals do not lower it;
    /// it starts afresh with the table after each resize.
    max_chain: usize,
}

impl<V> Table<V> {
    fn empty() -> Self {
        Table {
            buckets: Vec::new(),
            used: 0,
            max_chain: 0,
        }
    }

    fn with_size(size: usize) -> Self {
        let mut buckets = Vec::with_capacity(size);
        buckets.resize_with(size, || None);
        Table {
            buckets,
            used: 0,
            max_chain: 0,
        }
    }

    fn size(&self) -> usize {
        self.buckets.len()
    }

    /// `size - 1`; only meaningful for a non-empty table.
    fn mask(&self) -> u64 {
        (self.buckets.len() as u64).wrapping_sub(1)
    }

    fn bucket_of(&self, hash: u64) -> usize {
        (hash & self.mask()) as usize
    }

    fn find(&self, hash: u64, key: &[u8]) -> Option<&Node<V>> {
        if self.buckets.is_empty() {
            return None;
        }
        let mut cur = self.buckets[self.bucket_of(hash)].as_deref();
        while let Some(n) = cur {
            if &*n.key == key {
                return Some(n);
            }
            cur = n.next.as_deref();
        }
        None
    }

    /// How far down its chain `key` is, if present: with [`Table::nth_mut`], a lookup for
    /// writing compares keys once (returning the `&mut` from inside the search loop is
    /// what the borrow checker refuses).
    #[inline]
    fn position(&self, hash: u64, key: &[u8]) -> Option<usize> {
        if self.buckets.is_empty() {
            return None;
        }
        let mut cur = self.buckets[self.bucket_of(hash)].as_deref();
        let mut depth = 0;
        while let Some(n) = cur {
            if &*n.key == key {
                return Some(depth);
            }
            depth += 1;
            cur = n.next.as_deref();
        }
        None
    }

    /// The node `depth` links down the chain of `hash`, which [`Table::position`] found.
    #[inline]
    fn nth_mut(&mut self, hash: u64, depth: usize) -> &mut Node<V> {
        let b = self.bucket_of(hash);
        let mut node = self.buckets[b].as_deref_mut().expect("position found it");
        for _ in 0..depth {
            node = node.next.as_deref_mut().expect("position found it");
        }
        node
    }

    fn find_mut(&mut self, hash: u64, key: &[u8]) -> Option<&mut Node<V>> {
        if self.buckets.is_empty() {
            return None;
        }
        let b = self.bucket_of(hash);
        let mut cur = self.buckets[b].as_deref_mut();
        while let Some(n) = cur {
            if &*n.key == key {
                return Some(n);
            }
            cur = n.next.as_deref_mut();
        }
        None
    }

    fn push(&mut self, hash: u64, mut node: Box<Node<V>>) {
        let b = self.bucket_of(hash);
        node.next = self.buckets[b].take();
        // The chain was just walked by the lookup that found the key absent (or is being
        // rebuilt by a rehash), and chains average under one node: counting it is cheap.
        let mut len = 1;
        let mut cur = node.next.as_deref();
        while let Some(n) = cur {
            len += 1;
            cur = n.next.as_deref();
        }
        self.max_chain = self.max_chain.max(len);
        self.buckets[b] = Some(node);
        self.used += 1;
    }

    fn remove(&mut self, hash: u64, key: &[u8]) -> Option<Box<Node<V>>> {
        if self.buckets.is_empty() {
            return None;
        }
        let b = self.bucket_of(hash);
        let mut link = &mut self.buckets[b];
        loop {
            match link {
                None => return None,
                Some(n) if &*n.key == key => {
                    let mut node = link.take().expect("matched Some");
                    *link = node.next.take();
                    self.used -= 1;
                    return Some(node);
                }
                Some(n) => link = &mut n.next,
            }
        }
    }
}

impl<V> Drop for Table<V> {
    fn drop(&mut self) {
        // Unlink chains iteratively so a long chain cannot overflow the stack.
        for slot in &mut self.buckets {
            let mut cur = slot.take();
            while let Some(mut n) = cur {
                cur = n.next.take();
            }
        }
    }
}

/// A map from byte strings to `V` with incremental rehashing and a SCAN cursor.
pub struct Dict<V> {
    /// `tables[1]` is non-empty only while rehashing from `tables[0]` into it.
    tables: [Table<V>; 2],
    /// The next bucket of `tables[0]` to move, while rehashing.
    rehash_idx: Option<usize>,
    /// This table's random hash seed.
    seed: u64,
    /// A keyspace table: it does not grow past [`GROWTH_LIMIT`] (see there).
    guarded: bool,
}

/// maxmemory, for the keyspace tables (0: none). A full keyspace table doubles its bucket
/// array; when that allocation would take the process over the limit it keeps chaining
/// instead (up to 1.618 entries per bucket, then it grows anyway), so that one insert does
/// not set off the eviction of many keys, as Redis's dictExpandAllowed.
pub static GROWTH_LIMIT: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);

impl<V> Default for Dict<V> {
    fn default() -> Self {
        Self::new()
    }
}

impl<V> std::fmt::Debug for Dict<V> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Dict(len={})", self.len())
    }
}

/// The smallest table.
const INITIAL_SIZE: usize = 4;
/// A rehash step visits at most this many empty buckets per bucket it should move.
const EMPTY_VISITS: usize = 10;

impl<V> Dict<V> {
    /// An empty table (no allocation until the first insert).
    pub fn new() -> Self {
        Dict {
            tables: [Table::empty(), Table::empty()],
            rehash_idx: None,
            seed: random_seed(),
            guarded: false,
        }
    }

    /// An empty keyspace table, whose growth respects [`GROWTH_LIMIT`].
    pub fn guarded() -> Self {
        Dict {
            guarded: true,
            ..Dict::new()
        }
    }

    fn hash(&self, key: &[u8]) -> u64 {
        hash_bytes(self.seed, key)
    }

    /// Number of entries.
    pub fn len(&self) -> usize {
        self.tables[0].used + self.tables[1].used
    }

    /// Whether there are no entries.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Whether a resize is in progress.
    pub fn is_rehashing(&self) -> bool {
        self.rehash_idx.is_some()
    }

    /// Total buckets (both tables), for MEMORY-style accounting and tests.
    pub fn buckets(&self) -> usize {
        self.tables[0].size() + self.tables[1].size()
    }

    /// Bytes of the table's own structure: its bucket arrays and one node per entry (not
    /// what the keys and values own): the hashtable overhead MEMORY STATS reports.
    pub fn overhead_bytes(&self) -> usize {
        self.buckets() * std::mem::size_of::<Option<Box<Node<V>>>>()
            + self.len() * std::mem::size_of::<Node<V>>()
    }

    /// The value at `key`.
    pub fn get(&self, key: &[u8]) -> Option<&V> {
        if self.is_empty() {
            return None;
        }
        let h = self.hash(key);
        self.tables[0]
            .find(h, key)
            .or_else(|| self.tables[1].find(h, key))
            .map(|n| &n.value)
    }

    /// The value at `key`, for writing.
    pub fn get_mut(&mut self, key: &[u8]) -> Option<&mut V> {
        if self.is_empty() {
            return None;
        }
        self.rehash_step();
        let h = self.hash(key);
        if let Some(depth) = self.tables[0].position(h, key) {
            return Some(&mut self.tables[0].nth_mut(h, depth).value);
        }
        self.tables[1].find_mut(h, key).map(|n| &mut n.value)
    }

    /// Whether `key` is present.
    pub fn contains_key(&self, key: &[u8]) -> bool {
        self.get(key).is_some()
    }

    /// Inserts or replaces; returns the previous value.
    pub fn insert(&mut self, key: &[u8], value: V) -> Option<V> {
        self.rehash_step();
        let h = self.hash(key);
        for t in 0..2 {
            if let Some(n) = self.tables[t].find_mut(h, key) {
                return Some(std::mem::replace(&mut n.value, value));
            }
        }
        self.expand_if_needed();
        let node = Box::new(Node {
            key: key.into(),
            value,
            next: None,
        });
        let target = if self.is_rehashing() { 1 } else { 0 };
        self.tables[target].push(h, node);
        None
    }

    /// The value at `key`, inserting `make()` first if absent; says whether it inserted.
    /// One hash for both cases (a get_mut then insert would hash and walk twice).
    pub fn get_or_insert_with(&mut self, key: &[u8], make: impl FnOnce() -> V) -> (&mut V, bool) {
        self.rehash_step();
        let h = self.hash(key);
        for t in 0..2 {
            if let Some(depth) = self.tables[t].position(h, key) {
                return (&mut self.tables[t].nth_mut(h, depth).value, false);
            }
        }
        self.expand_if_needed();
        let target = usize::from(self.is_rehashing());
        let node = Box::new(Node {
            key: key.into(),
            value: make(),
            next: None,
        });
        self.tables[target].push(h, node);
        let b = self.tables[target].bucket_of(h);
        let head = self.tables[target].buckets[b]
            .as_mut()
            .expect("just pushed");
        (&mut head.value, true)
    }

    /// Sizes an empty table for `n` entries up front (loading a snapshot), so it is not
    /// rehashed while it fills.
    pub fn reserve(&mut self, n: usize) {
        if self.is_empty() && !self.is_rehashing() && n > self.tables[0].size() {
            self.tables[0] = Table::with_size(n.next_power_of_two().max(INITIAL_SIZE));
        }
    }

    /// Removes `key`; returns its value.
    pub fn remove(&mut self, key: &[u8]) -> Option<V> {
        if self.is_empty() {
            return None;
        }
        self.rehash_step();
        let h = self.hash(key);
        let node = self.tables[0]
            .remove(h, key)
            .or_else(|| self.tables[1].remove(h, key))?;
        Some(node.value)
    }

    /// Drops every entry and frees the tables.
    pub fn clear(&mut self) {
        self.tables = [Table::empty(), Table::empty()];
        self.rehash_idx = None;
    }

    fn expand_if_needed(&mut self) {
        if self.is_rehashing() {
            return;
        }
        let t0 = &self.tables[0];
        if t0.size() == 0 {
            self.tables[0] = Table::with_size(INITIAL_SIZE);
        } else if t0.used >= t0.size() {
            self.grow();
        }
    }

    /// Doubles a full table, unless it is a keyspace table whose growth would pass
    /// [`GROWTH_LIMIT`] (out of line: it runs once per doubling, and inlined its body
    /// kept every insert from being inlined).
    #[cold]
    #[inline(never)]
    fn grow(&mut self) {
        let t0 = &self.tables[0];
        let size = (t0.used + 1).next_power_of_two();
        if self.guarded && t0.used * 1000 <= t0.size() * 1618 {
            let limit = GROWTH_LIMIT.load(std::sync::atomic::Ordering::Relaxed);
            let bytes = size * std::mem::size_of::<Option<Box<Node<V>>>>();
            if limit > 0 && (crate::server::alloc::used() + bytes) as u64 > limit {
                return;
            }
        }
        self.start_resize(size);
    }

    fn start_resize(&mut self, size: usize) {
        let size = size.max(INITIAL_SIZE).next_power_of_two();
        if self.is_rehashing() || size == self.tables[0].size() {
            return;
        }
        self.tables[1] = Table::with_size(size);
        self.rehash_idx = Some(0);
    }

    /// Shrinks a table that is less than 10% full (called from the cron, as Redis does).
    pub fn shrink_if_needed(&mut self) {
        let t0 = &self.tables[0];
        if !self.is_rehashing() && t0.size() > INITIAL_SIZE && t0.used * 100 / t0.size() < 10 {
            self.start_resize(t0.used.max(INITIAL_SIZE));
        }
    }

    /// Moves up to `n` buckets to the new table. Returns true if rehashing continues.
    pub fn rehash(&mut self, n: usize) -> bool {
        let Some(mut idx) = self.rehash_idx else {
            return false;
        };
        let mut empty_visits = n * EMPTY_VISITS;
        let mut moved = 0;
        while moved < n && self.tables[0].used > 0 {
            while self.tables[0].buckets[idx].is_none() {
                idx += 1;
                empty_visits -= 1;
                if empty_visits == 0 {
                    self.rehash_idx = Some(idx);
                    return true;
                }
            }
            let mut chain = self.tables[0].buckets[idx].take();
            while let Some(mut node) = chain {
                chain = node.next.take();
                let h = self.hash(&node.key);
                self.tables[0].used -= 1;
                self.tables[1].push(h, node);
            }
            idx += 1;
            moved += 1;
        }
        if self.tables[0].used == 0 {
            self.tables.swap(0, 1);
            self.tables[1] = Table::empty();
            self.rehash_idx = None;
            return false;
        }
        self.rehash_idx = Some(idx);
        true
    }

    fn rehash_step(&mut self) {
        if self.is_rehashing() {
            self.rehash(1);
        }
    }

    /// One SCAN step from `cursor`: calls `f` for every entry of the bucket(s) the cursor
    /// names, returns the next cursor (0 when the iteration is complete).
    pub fn scan(&self, cursor: u64, mut f: impl FnMut(&[u8], &V)) -> u64 {
        if self.is_empty() {
            return 0;
        }
        let mut v = cursor;
        let emit = |t: &Table<V>, b: u64, f: &mut dyn FnMut(&[u8], &V)| {
            let mut cur = t.buckets[(b & t.mask()) as usize].as_deref();
            while let Some(n) = cur {
                f(&n.key, &n.value);
                cur = n.next.as_deref();
            }
        };
        if !self.is_rehashing() {
            let t = &self.tables[0];
            let m = t.mask();
            emit(t, v, &mut f);
            v = next_cursor(v, m);
        } else {
            let (small, big) = if self.tables[0].size() <= self.tables[1].size() {
                (&self.tables[0], &self.tables[1])
            } else {
                (&self.tables[1], &self.tables[0])
            };
            let (m0, m1) = (small.mask(), big.mask());
            emit(small, v, &mut f);
            // Then every bucket of the larger table that expands the small one's bucket.
            loop {
                emit(big, v, &mut f);
                v = next_cursor(v, m1);
                if v & (m0 ^ m1) == 0 {
                    break;
                }
            }
        }
        v
    }

    /// A random entry, every entry equally likely (RANDOMKEY, SRANDMEMBER, HRANDFIELD,
    /// SPOP), or None if empty.
    ///
    /// Picking a random non-empty bucket and then a random entry of its chain (Redis's
    /// dictGetRandomKey) favours entries in short chains: one alone in its bucket comes up
    /// twice as often as each of two sharing one. Instead this is rejection sampling over
    /// a grid of every live bucket times `max_chain` chain positions: a cell is drawn
    /// uniformly and accepted when its bucket's chain reaches that position. Each entry
    /// owns exactly one cell, so each is equally likely; a draw succeeds with probability
    /// `len / (buckets * max_chain)`, a few draws with the load factor the resizes keep.
    pub fn random(&mut self, rng: &mut Rng) -> Option<(&[u8], &V)> {
        if self.is_empty() {
            return None;
        }
        self.rehash_step();
        let (s0, s1) = (self.tables[0].size(), self.tables[1].size());
        let start = self.rehash_idx.unwrap_or(0);
        // Buckets of tables[0] below rehash_idx are empty while rehashing.
        let span = (s0 + s1 - start) as u64;
        let depth = self.tables[0].max_chain.max(self.tables[1].max_chain) as u64;
        debug_assert!(depth > 0, "entries were pushed");
        loop {
            let i = start + (rng.next_u64() % span) as usize;
            let pos = rng.next_u64() % depth;
            let (t, b) = if i < s0 { (0, i) } else { (1, i - s0) };
            let mut cur = self.tables[t].buckets[b].as_deref();
            for _ in 0..pos {
                cur = cur.and_then(|n| n.next.as_deref());
            }
            if let Some(n) = cur {
                return Some((&n.key, &n.value));
            }
        }
    }

    /// Every entry, in table order.
    pub fn iter(&self) -> impl Iterator<Item = (&[u8], &V)> {
        self.tables.iter().flat_map(|t| {
            t.buckets.iter().flat_map(|slot| {
                let mut cur = slot.as_deref();
                std::iter::from_fn(move || {
                    let n = cur?;
                    cur = n.next.as_deref();
                    Some((&*n.key, &n.value))
                })
            })
        })
    }
}

/// The cursor after the bucket `v` of a table with mask `m`: increment the bits under the
/// mask in reverse order (high bits first).
fn next_cursor(v: u64, m: u64) -> u64 {
    let v = v | !m;
    v.reverse_bits().wrapping_add(1).reverse_bits()
}

/// A small xorshift64* generator for sampling (not for anything security-related).
#[derive(Debug, Clone)]
pub struct Rng(u64);

impl Rng {
    /// A generator seeded from the clock and the process id.
    pub fn seeded() -> Rng {
        let t = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_nanos() as u64)
            .unwrap_or(1);
        Rng((t ^ (u64::from(std::process::id()) << 32)) | 1)
    }

    /// A generator with a fixed seed (reproducible tests).
    pub fn from_seed(seed: u64) -> Rng {
        Rng(seed | 1)
    }

    /// The next pseudo-random number.
    pub fn next_u64(&mut self) -> u64 {
        let mut x = self.0;
        x ^= x >> 12;
        x ^= x << 25;
        x ^= x >> 27;
        self.0 = x;
        x.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }
}

#[cfg(test)]
#[path = "dict_tests.rs"]
mod tests;
