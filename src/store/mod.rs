//! The keyspace: sixteen (configurable) databases, owned by the event loop and lent to
//! commands as `&mut`. Lookups expire keys lazily and keep the keyspace statistics.

pub mod bytes;
pub mod db;
pub mod dict;
pub mod events;
pub mod evict;
pub mod expire;
pub mod hash;
pub mod types;
pub mod value;
pub mod watch;

use bytes::SmallBytes;
pub use db::{Access, Db, Ttl};
use dict::Rng;
use events::Events;
pub use events::{DbEvent, Event, EventClass, KeyEvent};
pub use value::{RString, Value};

/// Counters INFO reports from the keyspace.
#[derive(Debug, Default, Clone)]
pub struct KeyspaceStats {
    pub hits: u64,
    pub misses: u64,
    pub expired: u64,
    /// Keys evicted for maxmemory (INFO evicted_keys).
    pub evicted: u64,
}

/// Counts a read lookup as a hit or a miss; a miss is recorded as `keymiss` when anyone
/// reads events (it changes nothing, so WATCH and the dirty count are left alone).
fn count_lookup(
    stats: &mut KeyspaceStats,
    events: &mut Events,
    events_wanted: bool,
    db: usize,
    key: &[u8],
    hit: bool,
) {
    if hit {
        stats.hits += 1;
        return;
    }
    stats.misses += 1;
    if events_wanted {
        events.keys.push(KeyEvent {
            db,
            key: SmallBytes::new(key),
            event: Event::KeyMiss,
        });
    }
}

/// All databases plus the state every command shares: the cached clock and the dirty counter.
///
/// The store is the only writer of the databases: every change goes through its methods,
/// which record a [`KeyEvent`] (and mark WATCHed keys), so whatever reacts to writes reads
/// [`Store::take_events`] instead of each command remembering it.
#[derive(Debug)]
pub struct Store {
    dbs: Vec<Db>,
    /// The loop's cached clock (Unix ms): one "now" per event loop iteration.
    pub now_ms: u64,
    /// Writes since the last successful save; save rules and INFO read it.
    pub dirty: u64,
    pub stats: KeyspaceStats,
    /// `Some((lfu-log-factor, lfu-decay-time))` while an LFU maxmemory-policy is set.
    pub lfu: Option<(u32, u32)>,
    pub rng: Rng,
    /// The database the active expiry cycle continues with.
    pub expire_next_db: usize,
    /// maxmemory's eviction pool: the best candidates sampled so far.
    pub evict_pool: evict::Pool,
    /// Encoding thresholds for collections, from the configuration.
    pub limits: types::Limits,
    /// Who WATCHes which keys (MULTI/EXEC).
    pub watches: watch::Watches,
    /// What changed since the call path last drained.
    events: Events,
    /// Clients are paused (CLIENT PAUSE): the dataset stays as it is, so keys past their
    /// deadline read as missing but are not removed (lazily or by the active cycle) until
    /// the pause ends, as in Redis.
    pub expiry_paused: bool,
    /// Whether anyone reads the events (blocked clients waiting, propagation on): when
    /// nobody does, recording them is skipped, so the request path pays nothing for them.
    pub events_wanted: bool,
    /// The code of every FUNCTION library, as snapshots save it (the functions engine,
    /// `scripting::functions`, compiles it and keeps this in step).
    pub libraries: Vec<Vec<u8>>,
}

impl Store {
    /// A store of `databases` empty databases.
    pub fn new(databases: usize) -> Self {
        Store {
            dbs: (0..databases).map(|_| Db::default()).collect(),
            now_ms: 0,
            dirty: 0,
            stats: KeyspaceStats::default(),
            lfu: None,
            rng: Rng::seeded(),
            expire_next_db: 0,
            evict_pool: evict::Pool::default(),
            limits: types::Limits::default(),
            watches: watch::Watches::default(),
            libraries: Vec::new(),
            events: Events::default(),
            events_wanted: false,
            expiry_paused: false,
        }
    }

    /// Database `index`, for reading.
    pub fn db(&self, index: usize) -> &Db {
        &self.dbs[index]
    }

    /// Every database, for reading (INFO keyspace, snapshots).
    pub fn dbs(&self) -> &[Db] {
        &self.dbs
    }

    /// The number of databases.
    pub fn db_count(&self) -> usize {
        self.dbs.len()
    }

    /// Records that `key` of `db` changed as `event` says, and adds `dirty` to the count of
    /// writes since the last save. Commands that change a value in place (LPUSH, HSET,
    /// APPEND...) call this once they did; the store's own writes call it themselves.
    #[inline]
    pub fn record(&mut self, db: usize, key: &[u8], event: Event, dirty: u64) {
        self.dirty += dirty;
        if !self.watches.is_empty() {
            let exists = self.dbs[db].get(key).is_some();
            self.watches.touch(db, key, exists);
        }
        if !self.events_wanted {
            return;
        }
        self.events.keys.push(KeyEvent {
            db,
            key: SmallBytes::new(key),
            event,
        });
    }

    /// Records `event` on `key` like [`Store::record`] but leaves WATCH alone: Redis notifies
    /// and counts these changes without signalling the key as modified (consumer-group
    /// bookkeeping such as XGROUP CREATECONSUMER, and XSETID), so a transaction WATCHing the
    /// stream still runs.
    pub fn record_unwatched(&mut self, db: usize, key: &[u8], event: Event, dirty: u64) {
        self.dirty += dirty;
        if self.events_wanted {
            self.events.keys.push(KeyEvent {
                db,
                key: SmallBytes::new(key),
                event,
            });
        }
    }

    /// The events recorded since the last call, oldest first; the list starts empty again.
    pub fn take_events(&mut self) -> (Vec<KeyEvent>, Vec<DbEvent>) {
        (
            std::mem::take(&mut self.events.keys),
            std::mem::take(&mut self.events.dbs),
        )
    }

    /// Whether any event waits to be drained.
    pub fn has_events(&self) -> bool {
        !self.events.is_empty()
    }

    /// Gives back the (emptied) vectors from [`take_events`](Self::take_events), so the next
    /// command records into the same allocations.
    pub fn recycle_events(&mut self, mut keys: Vec<KeyEvent>, mut dbs: Vec<DbEvent>) {
        if self.events.keys.is_empty() {
            keys.clear();
            self.events.keys = keys;
        }
        if self.events.dbs.is_empty() {
            dbs.clear();
            self.events.dbs = dbs;
        }
    }

    /// Whether `key` of `db` has passed its deadline; if so it is removed, unless clients
    /// are paused ([`Store::expiry_paused`]): then the key only reads as missing.
    #[inline]
    pub fn expire_if_needed(&mut self, db: usize, key: &[u8]) -> bool {
        if !self.dbs[db].is_expired(key, self.now_ms) {
            return false;
        }
        if !self.expiry_paused {
            self.delete_expired(db, key);
        }
        true
    }

    /// The one way an expired key goes (lazily on lookup, or from the active cycle): it is
    /// removed, counted, and recorded as `expired`. (Out of line: inlined, it kept every
    /// lookup's expiry check from being inlined.)
    #[cold]
    #[inline(never)]
    pub(crate) fn delete_expired(&mut self, db: usize, key: &[u8]) {
        self.dbs[db].remove(key);
        self.stats.expired += 1;
        self.record(db, key, Event::Expired, 0);
    }

    /// A key read by a command: expires it lazily and counts a hit or a miss (a miss is
    /// also a `keymiss` event).
    pub fn lookup_read(&mut self, db: usize, key: &[u8]) -> Option<&mut Value> {
        let expired = self.expire_if_needed(db, key);
        let access = self.access();
        let Store {
            dbs,
            rng,
            stats,
            events,
            events_wanted,
            ..
        } = self;
        let v = if expired {
            None
        } else {
            dbs[db].access(key, access, rng)
        };
        count_lookup(stats, events, *events_wanted, db, key, v.is_some());
        v
    }

    /// A key inspected without being used (TYPE, OBJECT): expires it lazily and counts a hit
    /// or a miss, but leaves its access time alone, as Redis's LOOKUP_NOTOUCH does.
    pub fn lookup_peek(&mut self, db: usize, key: &[u8]) -> Option<&Value> {
        let expired = self.expire_if_needed(db, key);
        let Store {
            dbs,
            stats,
            events,
            events_wanted,
            ..
        } = self;
        let v = if expired { None } else { dbs[db].get(key) };
        count_lookup(stats, events, *events_wanted, db, key, v.is_some());
        v
    }

    /// A key about to be written: expires it lazily, counts nothing.
    pub fn lookup_write(&mut self, db: usize, key: &[u8]) -> Option<&mut Value> {
        if self.expire_if_needed(db, key) {
            return None;
        }
        let access = self.access();
        self.dbs[db].access(key, access, &mut self.rng)
    }

    fn access(&self) -> Access {
        Access {
            now_ms: self.now_ms,
            lfu: self.lfu,
        }
    }

    /// Stores `value` at `key` (a new key starts with the current access time, an existing
    /// one keeps its history), with the deadline `ttl` says; records `event` and adds `dirty`.
    pub fn insert(
        &mut self,
        db: usize,
        key: &[u8],
        value: Value,
        ttl: Ttl,
        event: Event,
        dirty: u64,
    ) {
        let now = self.now_ms;
        let created = self.dbs[db].insert_at(key, value, ttl, now);
        self.record_stored(db, key, created, event, dirty);
    }

    /// Overwrites or creates `key` as plain SET does: an expired key is reclaimed first (and
    /// counted), an existing one is touched, in one lookup of the keyspace. Records `event`.
    pub fn overwrite(
        &mut self,
        db: usize,
        key: &[u8],
        value: Value,
        ttl: Ttl,
        event: Event,
        dirty: u64,
    ) {
        self.expire_if_needed(db, key);
        let access = self.access();
        let created = self.dbs[db].store_touched(key, value, ttl, access, &mut self.rng);
        self.record_stored(db, key, created, event, dirty);
    }

    /// What storing a value records: `new` for a key that did not exist (only when anyone
    /// reads events: it is the one event with no other effect), then `event`.
    #[inline]
    fn record_stored(&mut self, db: usize, key: &[u8], created: bool, event: Event, dirty: u64) {
        if created && self.events_wanted {
            self.record(db, key, Event::New, 0);
        }
        self.record(db, key, event, dirty);
    }

    /// The value at `key` for writing, created with `make` if absent (recorded as `new`; the
    /// caller records what it then does to it).
    pub fn get_or_create(
        &mut self,
        db: usize,
        key: &[u8],
        make: impl FnOnce() -> Value,
    ) -> &mut Value {
        if self.lookup_write(db, key).is_none() {
            let now = self.now_ms;
            self.dbs[db].insert_at(key, make(), Ttl::Clear, now);
            self.record(db, key, Event::New, 0);
        }
        self.dbs[db].get_mut(key).expect("present")
    }

    /// The value at `key` for an in-place change, after the command looked it up (no
    /// expiry check, no access recorded); the command records what it did.
    pub fn value_mut(&mut self, db: usize, key: &[u8]) -> Option<&mut Value> {
        self.dbs[db].get_mut(key)
    }

    /// [`value_mut`](Self::value_mut) with the store's random generator beside it, for
    /// commands that sample a value (HRANDFIELD, SRANDMEMBER...).
    pub fn value_with_rng(&mut self, db: usize, key: &[u8]) -> (Option<&mut Value>, &mut Rng) {
        (self.dbs[db].get_mut(key), &mut self.rng)
    }

    /// Whether a live key exists: expires it lazily, counts nothing, leaves its access time
    /// alone.
    pub fn exists(&mut self, db: usize, key: &[u8]) -> bool {
        !self.expire_if_needed(db, key) && self.dbs[db].get(key).is_some()
    }

    /// Deletes a live key, recorded as `del` with one write. Returns whether it existed.
    pub fn delete(&mut self, db: usize, key: &[u8]) -> bool {
        if self.expire_if_needed(db, key) {
            return false;
        }
        let existed = self.dbs[db].remove(key).is_some();
        if existed {
            self.record(db, key, Event::Del, 1);
        }
        existed
    }

    /// Removes `key` that is about to be stored again (RENAME or COPY over an existing
    /// key): the store that follows records the change, so this records nothing, as in
    /// Redis, where the overwritten key gets no `del`.
    pub fn delete_quietly(&mut self, db: usize, key: &[u8]) {
        self.dbs[db].remove(key);
    }

    /// Deletes `key` if it holds an empty collection (Redis never keeps one), recorded as
    /// `del` (the write that emptied it was counted already). Returns whether it did.
    pub fn remove_if_empty(&mut self, db: usize, key: &[u8]) -> bool {
        let empty = match self.dbs[db].get(key) {
            Some(Value::List(l)) => l.is_empty(),
            Some(Value::Hash(h)) => h.is_empty(),
            Some(Value::Set(s)) => s.is_empty(),
            Some(Value::ZSet(z)) => z.is_empty(),
            _ => false,
        };
        if empty {
            self.dbs[db].remove(key);
            self.record(db, key, Event::Del, 0);
        }
        empty
    }

    /// Removes a live key to put it elsewhere (RENAME, MOVE), recorded as `event`: its value
    /// and deadline.
    pub fn take(&mut self, db: usize, key: &[u8], event: Event) -> Option<(Value, Ttl)> {
        if self.expire_if_needed(db, key) {
            return None;
        }
        let deadline = self.dbs[db].deadline(key);
        let value = self.dbs[db].remove(key)?;
        self.record(db, key, event, 0);
        Some((value, deadline.map_or(Ttl::Clear, Ttl::At)))
    }

    /// Sets (`Some`, recorded as `expire`) or removes (`None`, recorded as `persist`) the
    /// deadline of an existing key, adding `dirty`. Returns false if the key is absent.
    pub fn set_deadline(
        &mut self,
        db: usize,
        key: &[u8],
        deadline: Option<u64>,
        dirty: u64,
    ) -> bool {
        if !self.dbs[db].set_deadline(key, deadline) {
            return false;
        }
        let event = if deadline.is_some() {
            Event::Expire
        } else {
            Event::Persist
        };
        self.record(db, key, event, dirty);
        true
    }

    /// Empties database `db`, or all of them (FLUSHDB / FLUSHALL). WATCHed keys that existed
    /// are touched. Returns the number of keys removed.
    pub fn flush(&mut self, db: Option<usize>) -> usize {
        let range = match db {
            Some(i) => i..i + 1,
            None => 0..self.dbs.len(),
        };
        let mut removed = 0;
        for i in range {
            let d = &mut self.dbs[i];
            self.watches.touch_db(i, |k| d.get(k).is_some(), |_| None);
            removed += d.len();
            d.clear();
        }
        self.events.dbs.push(DbEvent::Flushed(db));
        removed
    }

    /// SWAPDB: exchanges two databases. WATCHed keys of either that exist in either are
    /// touched, as Redis does.
    pub fn swap_dbs(&mut self, a: usize, b: usize) {
        let now = self.now_ms;
        for (x, y) in [(a, b), (b, a)] {
            let (dx, dy) = (&self.dbs[x], &self.dbs[y]);
            self.watches.touch_db(
                x,
                |k| dx.get(k).is_some(),
                |k| dy.get(k).is_some().then(|| dy.is_expired(k, now)),
            );
        }
        self.dbs.swap(a, b);
        self.events.dbs.push(DbEvent::Swapped(a, b));
    }

    /// Replaces every database (DEBUG RELOAD): the keys of `other`, with this store's state.
    pub fn replace_data(&mut self, other: &mut Store) {
        std::mem::swap(&mut self.dbs, &mut other.dbs);
        std::mem::swap(&mut self.libraries, &mut other.libraries);
        self.events.dbs.push(DbEvent::Flushed(None));
    }

    /// A random key of `db` (which may have expired: the caller checks).
    pub fn random_key(&mut self, db: usize) -> Option<Vec<u8>> {
        self.dbs[db].random_key(&mut self.rng)
    }

    /// Loads a key as a snapshot holds it, accessed at `now_ms`: no event, no write counted.
    pub fn load(&mut self, db: usize, key: &[u8], value: Value, ttl: Ttl, now_ms: u64) {
        self.dbs[db].insert_at(key, value, ttl, now_ms);
    }

    /// Sets a key's access history (RESTORE IDLETIME / FREQ).
    pub fn set_access(&mut self, db: usize, key: &[u8], idle: Option<u64>, freq: Option<u8>) {
        let access = self.access();
        self.dbs[db].set_access(key, idle, freq, access);
    }

    /// Prepares `db` for `keys` keys, `expires` with a deadline (snapshot loading).
    pub fn reserve(&mut self, db: usize, keys: usize, expires: usize) {
        self.dbs[db].reserve(keys, expires);
    }

    /// Cron housekeeping for every database (see [`Db::housekeeping`]).
    pub fn housekeeping(&mut self, buckets: usize) {
        for db in &mut self.dbs {
            db.housekeeping(buckets);
        }
    }

    /// Total keys over all databases.
    pub fn total_keys(&self) -> usize {
        self.dbs.iter().map(Db::len).sum()
    }
}
