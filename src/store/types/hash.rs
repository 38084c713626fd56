//! Hashes: a small vector of pairs while small (Redis's listpack), a [`Dict`] beyond the
//! thresholds (so HSCAN keeps SCAN's guarantee).

use super::Limits;
use crate::store::dict::{Dict, Rng};

/// A hash value.
#[derive(Debug)]
pub enum Hash {
    /// Field/value pairs in insertion order.
    Listpack(Vec<(Vec<u8>, Vec<u8>)>),
    Table(Dict<Vec<u8>>),
}

impl Default for Hash {
    fn default() -> Self {
        Hash::Listpack(Vec::new())
    }
}

impl Clone for Hash {
    fn clone(&self) -> Self {
        match self {
            Hash::Listpack(v) => Hash::Listpack(v.clone()),
            Hash::Table(d) => {
                let mut t = Dict::new();
                for (k, v) in d.iter() {
                    t.insert(k, v.clone());
                }
                Hash::Table(t)
            }
        }
    }
}

impl PartialEq for Hash {
    fn eq(&self, other: &Self) -> bool {
        self.len() == other.len() && self.iter().all(|(f, v)| other.get(f) == Some(v))
    }
}

impl Eq for Hash {}

impl Hash {
    /// Number of fields.
    pub fn len(&self) -> usize {
        match self {
            Hash::Listpack(v) => v.len(),
            Hash::Table(d) => d.len(),
        }
    }

    /// Whether there are no fields.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The value of `field`.
    pub fn get(&self, field: &[u8]) -> Option<&[u8]> {
        match self {
            Hash::Listpack(v) => v
                .iter()
                .find(|(f, _)| f == field)
                .map(|(_, x)| x.as_slice()),
            Hash::Table(d) => d.get(field).map(|x| x.as_slice()),
        }
    }

    /// Sets `field`; returns true if it is new. Converts to a table past the limits.
    pub fn insert(&mut self, field: &[u8], value: &[u8], limits: &Limits) -> bool {
        if let Hash::Listpack(v) = self {
            let new = match v.iter_mut().find(|(f, _)| f == field) {
                Some(slot) => {
                    slot.1 = value.to_vec();
                    false
                }
                None => {
                    v.push((field.to_vec(), value.to_vec()));
                    true
                }
            };
            let too_big = v.len() > limits.hash_entries
                || field.len() > limits.hash_value
                || value.len() > limits.hash_value;
            if too_big {
                self.convert();
            }
            return new;
        }
        match self {
            Hash::Table(d) => d.insert(field, value.to_vec()).is_none(),
            Hash::Listpack(_) => unreachable!("handled above"),
        }
    }

    /// Removes `field`; returns whether it was there.
    pub fn remove(&mut self, field: &[u8]) -> bool {
        match self {
            Hash::Listpack(v) => match v.iter().position(|(f, _)| f == field) {
                Some(i) => {
                    v.remove(i);
                    true
                }
                None => false,
            },
            Hash::Table(d) => {
                let removed = d.remove(field).is_some();
                // As Redis after a deletion: a sparse table shrinks, which also keeps
                // random picks cheap (they draw among all buckets).
                d.shrink_if_needed();
                removed
            }
        }
    }

    /// Every field and value.
    pub fn iter(&self) -> Box<dyn Iterator<Item = (&[u8], &[u8])> + '_> {
        match self {
            Hash::Listpack(v) => Box::new(v.iter().map(|(f, x)| (f.as_slice(), x.as_slice()))),
            Hash::Table(d) => Box::new(d.iter().map(|(f, x)| (f, x.as_slice()))),
        }
    }

    /// The value of `field`, for updating in place (the caller keeps it within the
    /// listpack limits or calls [`Hash::insert`] instead).
    pub fn get_mut(&mut self, field: &[u8]) -> Option<&mut Vec<u8>> {
        match self {
            Hash::Listpack(v) => v.iter_mut().find(|(f, _)| f == field).map(|(_, x)| x),
            Hash::Table(d) => d.get_mut(field),
        }
    }

    /// One HSCAN step: a listpack gives everything at once (cursor 0); a table visits the
    /// bucket(s) `cursor` names.
    pub fn scan(&self, cursor: u64, mut f: impl FnMut(&[u8], &[u8])) -> u64 {
        match self {
            Hash::Listpack(v) => {
                for (k, x) in v {
                    f(k, x);
                }
                0
            }
            Hash::Table(d) => d.scan(cursor, |k, x| f(k, x)),
        }
    }

    /// A random field and value, every field equally likely, or None if empty.
    pub fn random(&mut self, rng: &mut Rng) -> Option<(Vec<u8>, Vec<u8>)> {
        match self {
            Hash::Listpack(v) if v.is_empty() => None,
            Hash::Listpack(v) => {
                let (f, x) = &v[(rng.next_u64() % v.len() as u64) as usize];
                Some((f.clone(), x.clone()))
            }
            Hash::Table(d) => d.random(rng).map(|(f, x)| (f.to_vec(), x.clone())),
        }
    }

    fn convert(&mut self) {
        if let Hash::Listpack(v) = self {
            let mut d = Dict::new();
            for (f, x) in v.drain(..) {
                d.insert(&f, x);
            }
            *self = Hash::Table(d);
        }
    }

    /// OBJECT ENCODING.
    pub fn encoding(&self) -> &'static str {
        match self {
            Hash::Listpack(_) => "listpack",
            Hash::Table(_) => "hashtable",
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::BTreeMap;

    /// Random operations against a BTreeMap model, with small limits so that hashes cross
    /// from listpack to table (by count and by length) and never convert back.
    #[test]
    fn behaves_like_a_map_across_encodings() {
        let limits = Limits {
            hash_entries: 8,
            hash_value: 10,
            ..Limits::default()
        };
        let mut rng = Rng::from_seed(7);
        for round in 0..300 {
            let mut h = Hash::default();
            let mut model: BTreeMap<Vec<u8>, Vec<u8>> = BTreeMap::new();
            let mut converted = false;
            let pool = 4 + round % 20;
            for _ in 0..200 {
                let f = format!("f{}", rng.next_u64() % pool as u64).into_bytes();
                match rng.next_u64() % 6 {
                    0..=2 => {
                        let long = rng.next_u64().is_multiple_of(15);
                        let v = if long {
                            vec![b'x'; 11]
                        } else {
                            format!("{}", rng.next_u64() % 1000).into_bytes()
                        };
                        let new = model.insert(f.clone(), v.clone()).is_none();
                        assert_eq!(h.insert(&f, &v, &limits), new);
                        converted |= model.len() > limits.hash_entries || v.len() > 10;
                    }
                    3 | 4 => assert_eq!(h.remove(&f), model.remove(&f).is_some()),
                    _ => {
                        if let Some(v) = h.get_mut(&f) {
                            v.push(b'!');
                            v.truncate(10);
                            let m = model.get_mut(&f).expect("in model");
                            m.push(b'!');
                            m.truncate(10);
                        } else {
                            assert!(!model.contains_key(&f));
                        }
                    }
                }
                assert_eq!(h.len(), model.len());
                assert_eq!(h.get(&f), model.get(&f).map(Vec::as_slice));
                let want = if converted { "hashtable" } else { "listpack" };
                assert_eq!(h.encoding(), want);
            }
            let all: BTreeMap<Vec<u8>, Vec<u8>> =
                h.iter().map(|(f, v)| (f.to_vec(), v.to_vec())).collect();
            assert_eq!(all, model);
            // A full scan returns everything; random picks are members.
            let mut scanned = BTreeMap::new();
            let mut cursor = 0;
            loop {
                cursor = h.scan(cursor, |f, v| {
                    scanned.insert(f.to_vec(), v.to_vec());
                });
                if cursor == 0 {
                    break;
                }
            }
            assert_eq!(scanned, model);
            for _ in 0..10 {
                match h.random(&mut rng) {
                    Some((f, v)) => assert_eq!(model.get(&f), Some(&v)),
                    None => assert!(model.is_empty()),
                }
            }
        }
    }
}
