//! WATCH bookkeeping: which clients watch which keys, and which of those clients saw a
//! watched key change since. It lives with the keyspace because the keyspace's own writes
//! count too: a key that expires or is flushed invalidates its watchers like a command.

use std::collections::{HashMap, HashSet};

/// Watchers by key, and the clients whose transaction must fail.
#[derive(Debug, Default)]
pub struct Watches {
    /// (db, key) -> ids of the clients watching it.
    by_key: HashMap<(usize, Vec<u8>), Vec<u64>>,
    /// Clients with a watched key touched since they watched it (Redis's DIRTY_CAS).
    dirty: HashSet<u64>,
}

impl Watches {
    /// Whether nobody watches anything (the check on every write).
    pub fn is_empty(&self) -> bool {
        self.by_key.is_empty()
    }

    /// Client `id` watches `key` of `db`.
    pub fn watch(&mut self, id: u64, db: usize, key: &[u8]) {
        let ids = self.by_key.entry((db, key.to_vec())).or_default();
        if !ids.contains(&id) {
            ids.push(id);
        }
    }

    /// Client `id` stops watching `keys`, and its transaction is clean again.
    pub fn unwatch<'a>(&mut self, id: u64, keys: impl Iterator<Item = (usize, &'a [u8])>) {
        for (db, key) in keys {
            let slot = (db, key.to_vec());
            if let Some(ids) = self.by_key.get_mut(&slot) {
                ids.retain(|&w| w != id);
                if ids.is_empty() {
                    self.by_key.remove(&slot);
                }
            }
        }
        self.dirty.remove(&id);
    }

    /// `key` of `db` changed: its watchers' transactions will fail.
    pub fn touch(&mut self, db: usize, key: &[u8]) {
        if self.by_key.is_empty() {
            return;
        }
        if let Some(ids) = self.by_key.get(&(db, key.to_vec())) {
            self.dirty.extend(ids.iter().copied());
        }
    }

    /// Touches every watched key of `db` for which `exists` holds (FLUSHDB, SWAPDB: a key
    /// that was missing and stays missing is not a change).
    pub fn touch_db(&mut self, db: usize, mut exists: impl FnMut(&[u8]) -> bool) {
        for ((d, key), ids) in &self.by_key {
            if *d == db && exists(key) {
                self.dirty.extend(ids.iter().copied());
            }
        }
    }

    /// Whether a key client `id` watches was touched.
    pub fn is_dirty(&self, id: u64) -> bool {
        self.dirty.contains(&id)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn touching_a_watched_key_dirties_only_its_watchers() {
        let mut w = Watches::default();
        w.watch(1, 0, b"a");
        w.watch(2, 0, b"b");
        w.watch(2, 1, b"a");
        w.touch(0, b"a");
        assert!(w.is_dirty(1));
        assert!(!w.is_dirty(2));
        w.touch_db(1, |k| k == b"a");
        assert!(w.is_dirty(2));
        w.unwatch(2, [(0, &b"b"[..]), (1, &b"a"[..])].into_iter());
        assert!(!w.is_dirty(2));
        w.unwatch(1, [(0, &b"a"[..])].into_iter());
        assert!(w.is_empty());
    }
}
