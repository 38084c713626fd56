//! The keyspace: sixteen (configurable) databases, owned by the event loop and lent to
//! commands as `&mut`. Lookups expire keys lazily and keep the keyspace statistics.

pub mod db;
pub mod glob;
pub mod value;

pub use db::{Db, Ttl};
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
}

impl Store {
    /// A store of `databases` empty databases.
    pub fn new(databases: usize) -> Self {
        Store {
            dbs: (0..databases).map(|_| Db::default()).collect(),
            now_ms: 0,
            dirty: 0,
            stats: KeyspaceStats::default(),
        }
    }

    /// Removes `key` from `db` if its deadline has passed. Returns true if it did.
    pub fn expire_if_needed(&mut self, db: usize, key: &[u8]) -> bool {
        let d = &mut self.dbs[db];
        if d.is_expired(key, self.now_ms) {
            d.remove(key);
            self.stats.expired += 1;
            true
        } else {
            false
        }
    }

    /// A key read by a command: expires it lazily and counts a hit or a miss.
    pub fn lookup_read(&mut self, db: usize, key: &[u8]) -> Option<&mut Value> {
        self.expire_if_needed(db, key);
        let v = self.dbs[db].get_mut(key);
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
        self.dbs[db].get_mut(key)
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
