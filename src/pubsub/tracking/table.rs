//! The tracking table: the keys clients in the default mode read, each with the CLIENT ID
//! numbers of those clients.

use std::collections::HashMap;

use crate::store::dict::Rng;

/// The keys tracked for clients in the default mode: each key with the CLIENT ID numbers
/// that may cache it. Keys sit in a vector beside the index so that the table can drop a
/// random key in O(1) when it is over `tracking-table-max-keys`.
#[derive(Debug, Default)]
pub(super) struct KeyTable {
    index: HashMap<Box<[u8]>, usize>,
    /// (key, ids in Redis's order, see [`id_order`]).
    entries: Vec<(Box<[u8]>, Vec<u64>)>,
}

/// Redis keeps a key's clients in a radix tree keyed by the id's in-memory (little-endian)
/// bytes, and sends in that order; comparing the byte-swapped ids orders them the same way.
fn id_order(id: u64) -> u64 {
    id.swap_bytes()
}

impl KeyTable {
    pub(super) fn len(&self) -> usize {
        self.entries.len()
    }

    /// Adds `id` to `key`'s clients; true if it was not there.
    pub(super) fn add(&mut self, key: &[u8], id: u64) -> bool {
        let i = match self.index.get(key) {
            Some(&i) => i,
            None => {
                self.index.insert(key.into(), self.entries.len());
                self.entries.push((key.into(), Vec::new()));
                self.entries.len() - 1
            }
        };
        let ids = &mut self.entries[i].1;
        match ids.binary_search_by_key(&id_order(id), |&x| id_order(x)) {
            Ok(_) => false,
            Err(at) => {
                ids.insert(at, id);
                true
            }
        }
    }

    /// Removes `key` and returns its clients.
    pub(super) fn remove(&mut self, key: &[u8]) -> Option<Vec<u64>> {
        let i = self.index.remove(key)?;
        let (_, ids) = self.entries.swap_remove(i);
        if let Some((moved, _)) = self.entries.get(i) {
            *self.index.get_mut(moved).expect("indexed") = i;
        }
        Some(ids)
    }

    /// A random tracked key.
    pub(super) fn random(&self, rng: &mut Rng) -> Option<Vec<u8>> {
        if self.entries.is_empty() {
            return None;
        }
        let i = (rng.next_u64() % self.entries.len() as u64) as usize;
        Some(self.entries[i].0.to_vec())
    }

    pub(super) fn clear(&mut self) {
        self.index = HashMap::new();
        self.entries = Vec::new();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn table_removes_and_samples_keys() {
        let mut t = KeyTable::default();
        assert!(t.add(b"a", 1));
        assert!(!t.add(b"a", 1));
        assert!(t.add(b"a", 256));
        assert!(t.add(b"b", 2));
        assert!(t.add(b"c", 3));
        // Ids in the order of their little-endian bytes: 256 is 00 01 ..., before 1.
        assert_eq!(t.remove(b"a"), Some(vec![256, 1]));
        assert_eq!(t.remove(b"a"), None);
        assert_eq!(t.len(), 2);
        // The key moved into the freed place is still found.
        assert_eq!(t.remove(b"c"), Some(vec![3]));
        let mut rng = Rng::from_seed(7);
        assert_eq!(t.random(&mut rng), Some(b"b".to_vec()));
        t.remove(b"b");
        assert_eq!(t.random(&mut rng), None);
    }
}
