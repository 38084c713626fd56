//! WATCH bookkeeping: which clients watch which keys, and which of those clients saw a
//! watched key change since. It lives with the keyspace because the keyspace's own writes
//! count too: a key that expires or is flushed invalidates its watchers like a command.

use std::collections::{HashMap, HashSet};

/// One client watching one key.
#[derive(Debug, Clone, Copy)]
struct Watcher {
    id: u64,
    /// The key had already expired (but was not yet deleted) when watched: its deletion
    /// is then no change, as Redis's watchedKey.expired.
    expired: bool,
}

/// Watchers by key, and the clients whose transaction must fail.
#[derive(Debug, Default)]
pub struct Watches {
    /// (db, key) -> the clients watching it.
    by_key: HashMap<(usize, Vec<u8>), Vec<Watcher>>,
    /// Clients with a watched key touched since they watched it (Redis's DIRTY_CAS).
    dirty: HashSet<u64>,
}

impl Watches {
    /// Whether nobody watches anything (the check on every write).
    pub fn is_empty(&self) -> bool {
        self.by_key.is_empty()
    }

    /// Client `id` watches `key` of `db`, which had `expired` already.
    pub fn watch(&mut self, id: u64, db: usize, key: &[u8], expired: bool) {
        let watchers = self.by_key.entry((db, key.to_vec())).or_default();
        if !watchers.iter().any(|w| w.id == id) {
            watchers.push(Watcher { id, expired });
        }
    }

    /// Client `id` stops watching `keys`, and its transaction is clean again.
    pub fn unwatch<'a>(&mut self, id: u64, keys: impl Iterator<Item = (usize, &'a [u8])>) {
        for (db, key) in keys {
            let slot = (db, key.to_vec());
            if let Some(watchers) = self.by_key.get_mut(&slot) {
                watchers.retain(|w| w.id != id);
                if watchers.is_empty() {
                    self.by_key.remove(&slot);
                }
            }
        }
        self.dirty.remove(&id);
    }

    /// `key` of `db` changed (`exists`: whether it is there now): its watchers'
    /// transactions will fail, but for those that watched it already expired and see it
    /// deleted, which is no change to them (Redis's touchWatchedKey).
    pub fn touch(&mut self, db: usize, key: &[u8], exists: bool) {
        if self.by_key.is_empty() {
            return;
        }
        if let Some(watchers) = self.by_key.get_mut(&(db, key.to_vec())) {
            for w in watchers {
                if w.expired {
                    if !exists {
                        w.expired = false;
                    }
                    continue;
                }
                self.dirty.insert(w.id);
            }
        }
    }

    /// FLUSHDB or SWAPDB emptied `db` (Redis's touchAllWatchedKeysInDb): a watched key
    /// that was there (`emptied_has`) or that the replacing database holds (`replacement`:
    /// `Some(expired)` when it has the key) changed, unless it was expired and is gone or
    /// still expired, or was missing and is replaced by an expired one.
    pub fn touch_db(
        &mut self,
        db: usize,
        emptied_has: impl Fn(&[u8]) -> bool,
        replacement: impl Fn(&[u8]) -> Option<bool>,
    ) {
        for ((d, key), watchers) in &mut self.by_key {
            if *d != db {
                continue;
            }
            let existed = emptied_has(key);
            let replaced = replacement(key);
            if !existed && replaced.is_none() {
                continue;
            }
            for w in watchers {
                if w.expired {
                    match replaced {
                        None => {
                            w.expired = false;
                            continue;
                        }
                        Some(true) => continue,
                        Some(false) => {}
                    }
                } else if !existed && replaced == Some(true) {
                    w.expired = true;
                    continue;
                }
                self.dirty.insert(w.id);
            }
        }
    }

    /// Whether a key client `id` watches was touched.
    pub fn is_dirty(&self, id: u64) -> bool {
        self.dirty.contains(&id)
    }

    /// Whether client `id` watched `key` of `db` when it had already expired (and it was
    /// not deleted since).
    pub fn watched_expired(&self, id: u64, db: usize, key: &[u8]) -> bool {
        self.by_key
            .get(&(db, key.to_vec()))
            .is_some_and(|ws| ws.iter().any(|w| w.id == id && w.expired))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn touching_a_watched_key_dirties_only_its_watchers() {
        let mut w = Watches::default();
        w.watch(1, 0, b"a", false);
        w.watch(2, 0, b"b", false);
        w.watch(2, 1, b"a", false);
        w.touch(0, b"a", true);
        assert!(w.is_dirty(1));
        assert!(!w.is_dirty(2));
        w.touch_db(1, |k| k == b"a", |_| None);
        assert!(w.is_dirty(2));
        w.unwatch(2, [(0, &b"b"[..]), (1, &b"a"[..])].into_iter());
        assert!(!w.is_dirty(2));
        w.unwatch(1, [(0, &b"a"[..])].into_iter());
        assert!(w.is_empty());
    }

    #[test]
    fn deleting_a_key_watched_expired_is_no_change() {
        let mut w = Watches::default();
        w.watch(1, 0, b"stale", true);
        w.touch(0, b"stale", false);
        assert!(!w.is_dirty(1));
        assert!(!w.watched_expired(1, 0, b"stale"));
        // Deleted, it is watched as missing now: a new value is a change.
        w.touch(0, b"stale", true);
        assert!(w.is_dirty(1));
    }
}
