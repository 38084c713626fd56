//! Hashes: a small vector of pairs while small (Redis's listpack), a [`Dict`] beyond the
//! thresholds (so HSCAN keeps SCAN's guarantee).

use super::Limits;
use crate::store::dict::Dict;

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
            if let Some(slot) = v.iter_mut().find(|(f, _)| f == field) {
                slot.1 = value.to_vec();
            } else {
                v.push((field.to_vec(), value.to_vec()));
            }
            let too_big = v.len() > limits.hash_entries
                || field.len() > limits.hash_value
                || value.len() > limits.hash_value;
            let new = v.last().is_some_and(|(f, _)| f == field);
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
            Hash::Table(d) => d.remove(field).is_some(),
        }
    }

    /// Every field and value.
    pub fn iter(&self) -> Box<dyn Iterator<Item = (&[u8], &[u8])> + '_> {
        match self {
            Hash::Listpack(v) => Box::new(v.iter().map(|(f, x)| (f.as_slice(), x.as_slice()))),
            Hash::Table(d) => Box::new(d.iter().map(|(f, x)| (f, x.as_slice()))),
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
