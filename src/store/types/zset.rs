//! Sorted sets: a vector sorted by (score, member) while small (Redis's listpack), an
//! ordered tree plus a member index beyond the thresholds (Redis's skiplist encoding).

use std::cmp::Ordering;
use std::collections::BTreeSet;

use super::Limits;
use crate::store::dict::Dict;

/// A score with a total order (NaN never gets in: commands reject it).
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Score(pub f64);

impl Eq for Score {}

impl PartialOrd for Score {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

impl Ord for Score {
    fn cmp(&self, other: &Self) -> Ordering {
        self.0.total_cmp(&other.0)
    }
}

/// A sorted set value.
#[derive(Debug)]
pub enum ZSet {
    /// Sorted by (score, member).
    Listpack(Vec<(Score, Vec<u8>)>),
    Skiplist {
        order: BTreeSet<(Score, Vec<u8>)>,
        scores: Dict<f64>,
    },
}

impl Default for ZSet {
    fn default() -> Self {
        ZSet::Listpack(Vec::new())
    }
}

impl Clone for ZSet {
    fn clone(&self) -> Self {
        match self {
            ZSet::Listpack(v) => ZSet::Listpack(v.clone()),
            ZSet::Skiplist { order, .. } => {
                let mut scores = Dict::new();
                for (s, m) in order {
                    scores.insert(m, s.0);
                }
                ZSet::Skiplist {
                    order: order.clone(),
                    scores,
                }
            }
        }
    }
}

impl PartialEq for ZSet {
    fn eq(&self, other: &Self) -> bool {
        self.len() == other.len() && self.iter().zip(other.iter()).all(|(a, b)| a == b)
    }
}

impl Eq for ZSet {}

impl ZSet {
    /// Number of members.
    pub fn len(&self) -> usize {
        match self {
            ZSet::Listpack(v) => v.len(),
            ZSet::Skiplist { scores, .. } => scores.len(),
        }
    }

    /// Whether there are no members.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The score of `member`.
    pub fn score(&self, member: &[u8]) -> Option<f64> {
        match self {
            ZSet::Listpack(v) => v.iter().find(|(_, m)| m == member).map(|(s, _)| s.0),
            ZSet::Skiplist { scores, .. } => scores.get(member).copied(),
        }
    }

    /// Sets `member`'s score; returns true if it is new. Converts past the limits.
    pub fn insert(&mut self, member: &[u8], score: f64, limits: &Limits) -> bool {
        let new = self.remove(member).is_none();
        match self {
            ZSet::Listpack(v) => {
                let key = (Score(score), member.to_vec());
                let at = v.binary_search(&key).unwrap_or_else(|e| e);
                v.insert(at, key);
                if v.len() > limits.zset_entries || member.len() > limits.zset_value {
                    self.convert();
                }
            }
            ZSet::Skiplist { order, scores } => {
                order.insert((Score(score), member.to_vec()));
                scores.insert(member, score);
            }
        }
        new
    }

    /// Removes `member`; returns its score if it was there.
    pub fn remove(&mut self, member: &[u8]) -> Option<f64> {
        match self {
            ZSet::Listpack(v) => {
                let at = v.iter().position(|(_, m)| m == member)?;
                Some(v.remove(at).0 .0)
            }
            ZSet::Skiplist { order, scores } => {
                let s = scores.remove(member)?;
                order.remove(&(Score(s), member.to_vec()));
                Some(s)
            }
        }
    }

    /// Members with their scores, in ascending (score, member) order.
    pub fn iter(&self) -> Box<dyn Iterator<Item = (&[u8], f64)> + '_> {
        match self {
            ZSet::Listpack(v) => Box::new(v.iter().map(|(s, m)| (m.as_slice(), s.0))),
            ZSet::Skiplist { order, .. } => {
                Box::new(order.iter().map(|(s, m)| (m.as_slice(), s.0)))
            }
        }
    }

    fn convert(&mut self) {
        if let ZSet::Listpack(v) = self {
            let mut scores = Dict::new();
            let mut order = BTreeSet::new();
            for (s, m) in v.drain(..) {
                scores.insert(&m, s.0);
                order.insert((s, m));
            }
            *self = ZSet::Skiplist { order, scores };
        }
    }

    /// OBJECT ENCODING.
    pub fn encoding(&self) -> &'static str {
        match self {
            ZSet::Listpack(_) => "listpack",
            ZSet::Skiplist { .. } => "skiplist",
        }
    }
}
