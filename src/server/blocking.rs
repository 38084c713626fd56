//! Who waits on which key: the registry behind BLPOP, BZPOPMIN and the other blocking
//! pops. Each (database, key) has a queue of the clients waiting on it, oldest first, so
//! that data is handed out first come, first served. Writes signal the keys they may have
//! filled; the dispatcher then serves the signalled keys before the next command runs
//! (`commands::blocking::serve_ready`).

use std::collections::{HashMap, HashSet, VecDeque};

use super::ClientId;

/// Clients blocked on keys, and the keys that may have data for them.
#[derive(Debug, Default)]
pub struct KeyWaiters {
    /// (db, key) -> slab keys of the clients waiting on it, oldest first. A queue is
    /// removed when its last client leaves, so `is_empty` is cheap on the hot path.
    queues: HashMap<(usize, Vec<u8>), VecDeque<ClientId>>,
    /// Keys signalled since they were last served, in signal order.
    ready: Vec<(usize, Vec<u8>)>,
    /// The same keys, so that each is queued once.
    ready_set: HashSet<(usize, Vec<u8>)>,
}

impl KeyWaiters {
    /// Whether no client waits on any key.
    pub fn is_empty(&self) -> bool {
        self.queues.is_empty()
    }

    /// The number of keys some client waits on.
    pub fn keys_waited(&self) -> usize {
        self.queues.len()
    }

    /// Queues `client` behind the clients already waiting on each of `keys`.
    pub fn add(&mut self, client: ClientId, db: usize, keys: &[Vec<u8>]) {
        for key in keys {
            self.queues
                .entry((db, key.clone()))
                .or_default()
                .push_back(client);
        }
    }

    /// Takes `client` out of the queues of `keys`.
    pub fn remove(&mut self, client: ClientId, db: usize, keys: &[Vec<u8>]) {
        for key in keys {
            let slot = (db, key.clone());
            if let Some(q) = self.queues.get_mut(&slot) {
                q.retain(|&c| c != client);
                if q.is_empty() {
                    self.queues.remove(&slot);
                }
            }
        }
    }

    /// Notes that `key` may have data now, if anyone waits on it.
    pub fn signal(&mut self, db: usize, key: &[u8]) {
        let slot = (db, key.to_vec());
        if self.queues.contains_key(&slot) && !self.ready_set.contains(&slot) {
            self.ready_set.insert(slot.clone());
            self.ready.push(slot);
        }
    }

    /// Notes every waited key of `db` as possibly filled (SWAPDB brought in another
    /// database's keys).
    pub fn signal_db(&mut self, db: usize) {
        let slots: Vec<Vec<u8>> = self
            .queues
            .keys()
            .filter(|(d, _)| *d == db)
            .map(|(_, k)| k.clone())
            .collect();
        for key in slots {
            self.signal(db, &key);
        }
    }

    /// Whether some key was signalled since the last [`KeyWaiters::take_ready`].
    pub fn has_ready(&self) -> bool {
        !self.ready.is_empty()
    }

    /// The signalled keys, oldest signal first; the set starts empty again, so serving can
    /// signal keys anew.
    pub fn take_ready(&mut self) -> Vec<(usize, Vec<u8>)> {
        self.ready_set.clear();
        std::mem::take(&mut self.ready)
    }

    /// The number of clients waiting on `key`.
    pub fn waiting(&self, db: usize, key: &[u8]) -> usize {
        self.queues
            .get(&(db, key.to_vec()))
            .map_or(0, VecDeque::len)
    }

    /// The clients waiting on `key`, oldest first.
    pub fn clients(&self, db: usize, key: &[u8]) -> Vec<ClientId> {
        self.queues
            .get(&(db, key.to_vec()))
            .map_or_else(Vec::new, |q| q.iter().copied().collect())
    }

    /// The client that has waited longest on `key`.
    pub fn first(&self, db: usize, key: &[u8]) -> Option<ClientId> {
        self.queues
            .get(&(db, key.to_vec()))
            .and_then(|q| q.front().copied())
    }

    /// Moves the longest waiter on `key` to the back: it waits for another type than the
    /// key now holds, and those behind it must not be held up (Redis does the same).
    pub fn rotate(&mut self, db: usize, key: &[u8]) {
        if let Some(q) = self.queues.get_mut(&(db, key.to_vec())) {
            q.rotate_left(1.min(q.len()));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The client in slot `n` of the table.
    fn c(n: usize) -> ClientId {
        ClientId::from_token(mio::Token(n + crate::server::CLIENT_TOKEN_BASE)).expect("a client")
    }

    fn keys(names: &[&str]) -> Vec<Vec<u8>> {
        names.iter().map(|n| n.as_bytes().to_vec()).collect()
    }

    #[test]
    fn queues_are_first_come_first_served() {
        let mut w = KeyWaiters::default();
        w.add(c(7), 0, &keys(&["a", "b"]));
        w.add(c(3), 0, &keys(&["a"]));
        assert_eq!(w.first(0, b"a"), Some(c(7)));
        assert_eq!(w.waiting(0, b"a"), 2);
        w.rotate(0, b"a");
        assert_eq!(w.first(0, b"a"), Some(c(3)));
        w.remove(c(7), 0, &keys(&["a", "b"]));
        assert_eq!(w.first(0, b"a"), Some(c(3)));
        assert_eq!(w.first(0, b"b"), None);
        assert_eq!(w.keys_waited(), 1);
        w.remove(c(3), 0, &keys(&["a"]));
        assert!(w.is_empty());
    }

    #[test]
    fn signals_only_waited_keys_once_each() {
        let mut w = KeyWaiters::default();
        w.add(c(1), 2, &keys(&["a", "b"]));
        w.signal(2, b"b");
        w.signal(0, b"a");
        w.signal(2, b"b");
        w.signal(2, b"a");
        assert_eq!(w.take_ready(), vec![(2, b"b".to_vec()), (2, b"a".to_vec())]);
        assert!(w.take_ready().is_empty());
        w.signal_db(2);
        assert_eq!(w.take_ready().len(), 2);
        w.signal_db(0);
        assert!(w.take_ready().is_empty());
    }
}
