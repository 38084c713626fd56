//! Sets: a sorted vector of integers while every member is an integer and the set is small
//! (Redis's intset), a [`Dict`] otherwise.

use super::Limits;
use crate::protocol::parse::parse_i64;
use crate::protocol::reply::push_int;
use crate::store::dict::{Dict, Rng};

/// A set value.
#[derive(Debug)]
pub enum Set {
    /// Sorted, distinct.
    Intset(Vec<i64>),
    Table(Dict<()>),
}

impl Default for Set {
    fn default() -> Self {
        Set::Intset(Vec::new())
    }
}

impl Clone for Set {
    fn clone(&self) -> Self {
        match self {
            Set::Intset(v) => Set::Intset(v.clone()),
            Set::Table(d) => {
                let mut t = Dict::new();
                for (k, _) in d.iter() {
                    t.insert(k, ());
                }
                Set::Table(t)
            }
        }
    }
}

impl PartialEq for Set {
    fn eq(&self, other: &Self) -> bool {
        self.len() == other.len() && self.members().iter().all(|m| other.contains(m))
    }
}

impl Eq for Set {}

impl Set {
    /// Number of members.
    pub fn len(&self) -> usize {
        match self {
            Set::Intset(v) => v.len(),
            Set::Table(d) => d.len(),
        }
    }

    /// Whether there are no members.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Whether `m` is a member.
    pub fn contains(&self, m: &[u8]) -> bool {
        match self {
            Set::Intset(v) => intset_value(m).is_some_and(|n| v.binary_search(&n).is_ok()),
            Set::Table(d) => d.contains_key(m),
        }
    }

    /// Adds `m`; returns true if it is new. Converts past the intset limits.
    pub fn insert(&mut self, m: &[u8], limits: &Limits) -> bool {
        if let Set::Intset(v) = self {
            if let Some(n) = intset_value(m) {
                match v.binary_search(&n) {
                    Ok(_) => return false,
                    Err(at) => v.insert(at, n),
                }
                if v.len() > limits.set_intset_entries {
                    self.convert();
                }
                return true;
            }
            self.convert();
        }
        match self {
            Set::Table(d) => d.insert(m, ()).is_none(),
            Set::Intset(_) => unreachable!("converted above"),
        }
    }

    /// Removes `m`; returns whether it was a member.
    pub fn remove(&mut self, m: &[u8]) -> bool {
        match self {
            Set::Intset(v) => match intset_value(m).map(|n| v.binary_search(&n)) {
                Some(Ok(at)) => {
                    v.remove(at);
                    true
                }
                _ => false,
            },
            Set::Table(d) => {
                let removed = d.remove(m).is_some();
                // As Redis after a deletion: a sparse table shrinks, which also keeps
                // random picks cheap (they draw among all buckets).
                d.shrink_if_needed();
                removed
            }
        }
    }

    /// Every member as bytes.
    pub fn members(&self) -> Vec<Vec<u8>> {
        match self {
            Set::Intset(v) => v
                .iter()
                .map(|n| {
                    let mut b = Vec::new();
                    push_int(&mut b, *n);
                    b
                })
                .collect(),
            Set::Table(d) => d.iter().map(|(k, _)| k.to_vec()).collect(),
        }
    }

    /// One SSCAN step: an intset gives everything at once (cursor 0); a table visits the
    /// bucket(s) `cursor` names.
    pub fn scan(&self, cursor: u64, mut f: impl FnMut(&[u8])) -> u64 {
        match self {
            Set::Intset(v) => {
                let mut b = Vec::with_capacity(20);
                for n in v {
                    b.clear();
                    push_int(&mut b, *n);
                    f(&b);
                }
                0
            }
            Set::Table(d) => d.scan(cursor, |k, _| f(k)),
        }
    }

    /// A random member, every member equally likely, or None if empty.
    pub fn random(&mut self, rng: &mut Rng) -> Option<Vec<u8>> {
        match self {
            Set::Intset(v) if v.is_empty() => None,
            Set::Intset(v) => {
                let n = v[(rng.next_u64() % v.len() as u64) as usize];
                let mut b = Vec::with_capacity(20);
                push_int(&mut b, n);
                Some(b)
            }
            Set::Table(d) => d.random(rng).map(|(k, _)| k.to_vec()),
        }
    }

    fn convert(&mut self) {
        if let Set::Intset(_) = self {
            let members = self.members();
            let mut d = Dict::new();
            for m in members {
                d.insert(&m, ());
            }
            *self = Set::Table(d);
        }
    }

    /// OBJECT ENCODING.
    pub fn encoding(&self) -> &'static str {
        match self {
            Set::Intset(_) => "intset",
            Set::Table(_) => "hashtable",
        }
    }
}

/// The integer an intset can hold for `m`: canonical decimal form only.
fn intset_value(m: &[u8]) -> Option<i64> {
    if m.len() > 20 {
        return None;
    }
    parse_i64(m)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::BTreeSet;

    /// Random operations against a BTreeSet model, with a small intset limit so that sets
    /// leave the intset form (by count and by non-integer members) and never come back.
    #[test]
    fn behaves_like_a_set_across_encodings() {
        let limits = Limits {
            set_intset_entries: 8,
            ..Limits::default()
        };
        let odd: [&[u8]; 7] = [
            b"a",
            b"007",
            b"-0",
            b"+1",
            b"99999999999999999999",
            b"",
            b"9223372036854775807",
        ];
        let mut rng = Rng::from_seed(11);
        for round in 0..300 {
            let mut s = Set::default();
            let mut model: BTreeSet<Vec<u8>> = BTreeSet::new();
            let mut converted = false;
            let pool = 4 + round % 16;
            for _ in 0..200 {
                let m: Vec<u8> = if rng.next_u64().is_multiple_of(25) {
                    odd[(rng.next_u64() % odd.len() as u64) as usize].to_vec()
                } else {
                    format!("{}", (rng.next_u64() % pool) as i64 - 5).into_bytes()
                };
                if rng.next_u64() % 3 < 2 {
                    let new = model.insert(m.clone());
                    assert_eq!(s.insert(&m, &limits), new);
                    converted |=
                        model.len() > limits.set_intset_entries || intset_value(&m).is_none();
                } else {
                    assert_eq!(s.remove(&m), model.remove(&m));
                }
                assert_eq!(s.len(), model.len());
                assert_eq!(s.contains(&m), model.contains(&m));
                let want = if converted { "hashtable" } else { "intset" };
                assert_eq!(s.encoding(), want);
            }
            let members = s.members();
            assert_eq!(members.iter().cloned().collect::<BTreeSet<_>>(), model);
            assert_eq!(members.len(), model.len());
            if let Set::Intset(v) = &s {
                assert!(v.windows(2).all(|w| w[0] < w[1]));
            }
            let mut scanned = BTreeSet::new();
            let mut cursor = 0;
            loop {
                cursor = s.scan(cursor, |m| {
                    scanned.insert(m.to_vec());
                });
                if cursor == 0 {
                    break;
                }
            }
            assert_eq!(scanned, model);
            for _ in 0..10 {
                match s.random(&mut rng) {
                    Some(m) => assert!(model.contains(&m)),
                    None => assert!(model.is_empty()),
                }
            }
        }
    }
}
