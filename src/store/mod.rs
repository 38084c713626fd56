//! The keyspace: sixteen (configurable) databases, owned by the event loop and lent to
//! commands as `&mut`. Lookups expire keys lazily and keep the keyspace statistics.

pub mod bytes;
pub mod db;
pub mod dict;
pub mod expire;
pub mod hash;
pub mod types;
pub mod value;
pub mod watch;

pub use db::{Access, Db, Ttl};
use dict::Rng;
pub use value::{RString, Value};

/// Counters INFO reports from the keyspace.
#[derive(Debug, Default, Clone)]
pub struct KeyspaceStats {
    pub hits: u64,
    pub misses: u64,
    pub expired: u64,
}

/// All databases plus the state every command shares: the cached clock and the dirty counter.
#[derive(Debug)]
pub struct Store {
    pub dbs: Vec<Db>,
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
    /// Encoding thresholds for collections, from the configuration.
    pub limits: types::Limits,
    /// Who WATCHes which keys (MULTI/EXEC).
    pub watches: watch::Watches,
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
            limits: types::Limits::default(),
            watches: watch::Watches::default(),
        }
    }

    /// Removes `key` from `db` if its deadline has passed. Returns true if it did.
    pub fn expire_if_needed(&mut self, db: usize, key: &[u8]) -> bool {
        let d = &mut self.dbs[db];
        if d.is_expired(key, self.now_ms) {
            d.remove(key);
            self.stats.expired += 1;
            self.watches.touch(db, key);
            true
        } else {
            false
        }
    }

    /// A key read by a command: expires it lazily and counts a hit or a miss.
    pub fn lookup_read(&mut self, db: usize, key: &[u8]) -> Option<&mut Value> {
        self.expire_if_needed(db, key);
        let access = self.access();
        let v = self.dbs[db].access(key, access, &mut self.rng);
        if v.is_some() {
            self.stats.hits += 1;
        } else {
            self.stats.misses += 1;
        }
        v
    }

    /// A key inspected without being used (TYPE, OBJECT): expires it lazily and counts a hit
    /// or a miss, but leaves its access time alone, as Redis's LOOKUP_NOTOUCH does.
    pub fn lookup_peek(&mut self, db: usize, key: &[u8]) -> Option<&Value> {
        self.expire_if_needed(db, key);
        let v = self.dbs[db].get(key);
        if v.is_some() {
            self.stats.hits += 1;
        } else {
            self.stats.misses += 1;
        }
        v
    }

    /// A key about to be written: expires it lazily, counts nothing.
    pub fn lookup_write(&mut self, db: usize, key: &[u8]) -> Option<&mut Value> {
        self.expire_if_needed(db, key);
        let access = self.access();
        self.dbs[db].access(key, access, &mut self.rng)
    }

    fn access(&self) -> Access {
        Access {
            now_ms: self.now_ms,
            lfu: self.lfu,
        }
    }

    /// Stores a value for a command: a new key starts with the current access time.
    pub fn insert(&mut self, db: usize, key: &[u8], value: Value, ttl: Ttl) {
        let now = self.now_ms;
        self.dbs[db].insert_at(key, value, ttl, now);
    }

    /// Overwrites or creates `key` as plain SET does: an expired key is reclaimed first (and
    /// counted), an existing one is touched, in one lookup of the keyspace.
    pub fn overwrite(&mut self, db: usize, key: &[u8], value: Value, ttl: Ttl) {
        self.expire_if_needed(db, key);
        let access = self.access();
        self.dbs[db].store_touched(key, value, ttl, access, &mut self.rng);
    }

    /// Whether a live key exists (no hit or miss counted).
    pub fn exists(&mut self, db: usize, key: &[u8]) -> bool {
        self.lookup_write(db, key).is_some()
    }

    /// Deletes a live key. Returns whether it existed.
    pub fn delete(&mut self, db: usize, key: &[u8]) -> bool {
        self.expire_if_needed(db, key);
        self.dbs[db].remove(key).is_some()
    }

    /// Total keys over all databases.
    pub fn total_keys(&self) -> usize {
        self.dbs.iter().map(Db::len).sum()
    }
}
