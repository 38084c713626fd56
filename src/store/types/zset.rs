//! Sorted sets: a vector sorted by (score, member) while small (Redis's listpack), an
//! order-statistic treap plus a member index beyond the thresholds (Redis's skiplist encoding).

use std::cmp::Ordering;

use super::treap::Tree;
use super::Limits;
use crate::store::bytes::SmallBytes;
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
    /// As Redis compares scores: `-0` equals `0` (then members decide).
    fn cmp(&self, other: &Self) -> Ordering {
        self.0.partial_cmp(&other.0).unwrap_or(Ordering::Equal)
    }
}

/// A sorted set value.
#[derive(Debug)]
pub enum ZSet {
    /// Sorted by (score, member).
    Listpack(Vec<(Score, Vec<u8>)>),
    Skiplist {
        order: Tree,
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
            ZSet::Skiplist { order, scores } => {
                let mut copy = Dict::new();
                for (m, s) in scores.iter() {
                    copy.insert(m, *s);
                }
                ZSet::Skiplist {
                    order: order.clone(),
                    scores: copy,
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
    /// An empty set in the skiplist encoding (what Redis creates directly when a new set
    /// cannot be a listpack, or loads a large one).
    pub fn new_skiplist() -> ZSet {
        ZSet::Skiplist {
            order: Tree::default(),
            scores: Dict::new(),
        }
    }

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
        let mut new = false;
        self.upsert(member, limits, |old| {
            new = old.is_none();
            Some(score)
        });
        new
    }

    /// ZADD's step for one member, with one lookup of it: `decide` gets its current score
    /// (None when absent) and returns the score to give it, or None to leave the set alone.
    /// An equal score (0 and -0 included) leaves the member where it is; a new member past
    /// the listpack limits converts the set first, as Redis's zsetAdd does (so a `-0` that
    /// converts a set is kept as `-0`).
    pub fn upsert(
        &mut self,
        member: &[u8],
        limits: &Limits,
        decide: impl FnOnce(Option<f64>) -> Option<f64>,
    ) {
        match self {
            ZSet::Skiplist { order, scores } => {
                if let Some(old) = scores.get_mut(member) {
                    // An update moves the member's node in the tree, reusing it.
                    match decide(Some(*old)) {
                        Some(new) if new != *old => {
                            order.rescore(*old, new, member);
                            *old = new;
                        }
                        _ => {}
                    }
                } else if let Some(new) = decide(None) {
                    order.insert(new, member);
                    scores.insert(member, new);
                }
            }
            ZSet::Listpack(v) => {
                let at = v.iter().position(|(_, m)| m == member);
                let Some(new) = decide(at.map(|i| v[i].0 .0)) else {
                    return;
                };
                match at {
                    Some(i) if v[i].0 .0 == new => {}
                    Some(i) => {
                        let (_, m) = v.remove(i);
                        Self::listpack_insert(v, new, m);
                    }
                    None if v.len() < limits.zset_entries && member.len() <= limits.zset_value => {
                        Self::listpack_insert(v, new, member.to_vec());
                    }
                    None => {
                        self.convert();
                        if let ZSet::Skiplist { order, scores } = self {
                            order.insert(new, member);
                            scores.insert(member, new);
                        }
                    }
                }
            }
        }
    }

    /// Inserts into a listpack in (score, member) order; it keeps integral scores as
    /// integers, so `-0` comes back as `0`.
    fn listpack_insert(v: &mut Vec<(Score, Vec<u8>)>, score: f64, member: Vec<u8>) {
        let score = if score == 0.0 { 0.0 } else { score };
        let key = (Score(score), member);
        let at = v.binary_search(&key).unwrap_or_else(|e| e);
        v.insert(at, key);
    }

    /// Removes the first member (the last when `max`) and returns it with its score. The
    /// tree gives its end node up without comparing a key, and the member moves out of it.
    pub fn pop(&mut self, max: bool) -> Option<(SmallBytes, f64)> {
        match self {
            ZSet::Listpack(v) if v.is_empty() => None,
            ZSet::Listpack(v) => {
                let (s, m) = if max { v.pop()? } else { v.remove(0) };
                Some((SmallBytes::new(&m), s.0))
            }
            ZSet::Skiplist { order, scores } => {
                let (member, score) = order.pop(max)?;
                scores.remove(&member);
                // As Redis after a deletion: a sparse member table shrinks.
                scores.shrink_if_needed();
                Some((member, score))
            }
        }
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
                order.remove(s, member);
                // As Redis after a deletion: a sparse member table shrinks.
                scores.shrink_if_needed();
                Some(s)
            }
        }
    }

    /// Members with their scores, in ascending (score, member) order.
    pub fn iter(&self) -> Box<dyn Iterator<Item = (&[u8], f64)> + '_> {
        self.iter_from(0, false)
    }

    /// Members from rank `start` (0-based, ascending order) on: ascending, or towards rank 0
    /// when `rev`. O(log N) to start.
    pub fn iter_from(
        &self,
        start: usize,
        rev: bool,
    ) -> Box<dyn Iterator<Item = (&[u8], f64)> + '_> {
        match self {
            ZSet::Listpack(v) => {
                if rev {
                    let end = (start + 1).min(v.len());
                    Box::new(v[..end].iter().rev().map(|(s, m)| (m.as_slice(), s.0)))
                } else {
                    let start = start.min(v.len());
                    Box::new(v[start..].iter().map(|(s, m)| (m.as_slice(), s.0)))
                }
            }
            ZSet::Skiplist { order, .. } => {
                if start >= order.len() {
                    if rev && !order.is_empty() {
                        return Box::new(order.iter_from(order.len() - 1, true));
                    }
                    return Box::new(std::iter::empty());
                }
                Box::new(order.iter_from(start, rev))
            }
        }
    }

    /// The 0-based ascending rank of `member` with its score.
    pub fn rank(&self, member: &[u8]) -> Option<(usize, f64)> {
        match self {
            ZSet::Listpack(v) => v
                .iter()
                .position(|(_, m)| m == member)
                .map(|i| (i, v[i].0 .0)),
            ZSet::Skiplist { order, scores } => {
                let s = *scores.get(member)?;
                Some((order.rank(s, member), s))
            }
        }
    }

    /// How many members satisfy `pred`, which must hold on a prefix of the order.
    pub fn partition_point(&self, mut pred: impl FnMut(&[u8], f64) -> bool) -> usize {
        match self {
            ZSet::Listpack(v) => v.partition_point(|(s, m)| pred(m, s.0)),
            ZSet::Skiplist { order, .. } => order.partition_point(pred),
        }
    }

    /// Removes the members of ranks `start..end`; returns how many.
    pub fn remove_ranks(&mut self, start: usize, end: usize) -> usize {
        if start >= end {
            return 0;
        }
        match self {
            ZSet::Listpack(v) => {
                let end = end.min(v.len());
                v.drain(start..end).count()
            }
            ZSet::Skiplist { .. } => {
                let doomed: Vec<Vec<u8>> = self
                    .iter_from(start, false)
                    .take(end - start)
                    .map(|(m, _)| m.to_vec())
                    .collect();
                for m in &doomed {
                    self.remove(m);
                }
                doomed.len()
            }
        }
    }

    /// Converts to the skiplist encoding whatever the size, as Redis's SORT does to every
    /// sorted set it reads (OBJECT ENCODING says so afterwards).
    pub fn to_skiplist(&mut self) {
        self.convert();
    }

    fn convert(&mut self) {
        if let ZSet::Listpack(v) = self {
            let mut scores = Dict::new();
            let mut order = Tree::default();
            for (s, m) in v.drain(..) {
                scores.insert(&m, s.0);
                order.insert(s.0, &m);
            }
            *self = ZSet::Skiplist { order, scores };
        }
    }

    /// Turns a skiplist that fits the listpack limits into a listpack (`-0` becomes `0`, as
    /// a listpack stores it), as Redis does after loading a snapshot.
    pub fn to_listpack_if_fits(&mut self, limits: &Limits) {
        if let ZSet::Skiplist { order, .. } = self {
            let fits = order.len() <= limits.zset_entries
                && order
                    .iter_from(0, false)
                    .all(|(m, _)| m.len() <= limits.zset_value);
            if fits {
                let v = order
                    .iter_from(0, false)
                    .map(|(m, s)| (Score(if s == 0.0 { 0.0 } else { s }), m.to_vec()))
                    .collect();
                *self = ZSet::Listpack(v);
            }
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

#[cfg(test)]
mod tests {
    use super::*;

    struct Gen(u64);

    impl Gen {
        fn next(&mut self) -> u64 {
            self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
            let mut z = self.0;
            z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
            z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
            z ^ (z >> 31)
        }

        fn below(&mut self, n: u64) -> u64 {
            self.next() % n
        }
    }

    type Model = Vec<(Score, Vec<u8>)>;

    fn check(z: &ZSet, model: &Model, g: &mut Gen) {
        assert_eq!(z.len(), model.len());
        let got: Vec<(Vec<u8>, f64)> = z.iter().map(|(m, s)| (m.to_vec(), s)).collect();
        let want: Vec<(Vec<u8>, f64)> = model.iter().map(|(s, m)| (m.clone(), s.0)).collect();
        assert_eq!(got, want);
        if model.is_empty() {
            return;
        }
        for _ in 0..5 {
            let i = g.below(model.len() as u64) as usize;
            let (s, m) = &model[i];
            assert_eq!(z.rank(m), Some((i, s.0)));
            assert_eq!(z.score(m), Some(s.0));
            let n = g.below(10) as usize;
            let fwd: Vec<_> = z
                .iter_from(i, false)
                .take(n)
                .map(|(m, s)| (m.to_vec(), s))
                .collect();
            assert_eq!(fwd, want[i..(i + n).min(want.len())].to_vec());
            let rev: Vec<_> = z
                .iter_from(i, true)
                .take(n)
                .map(|(m, s)| (m.to_vec(), s))
                .collect();
            let lo = (i + 1).saturating_sub(n);
            let mut exp = want[lo..=i].to_vec();
            exp.reverse();
            assert_eq!(rev, exp);
            let bound = Score(g.below(40) as f64);
            assert_eq!(
                z.partition_point(|_, s| Score(s) < bound),
                model.partition_point(|(s, _)| *s < bound)
            );
        }
        assert_eq!(z.rank(b"absent-member"), None);
    }

    #[test]
    fn zset_matches_a_sorted_vec_model_across_encodings() {
        let limits = Limits {
            zset_entries: 16,
            ..Limits::default()
        };
        let mut converted = 0;
        for seed in 0..40u64 {
            let mut g = Gen(seed);
            let mut z = ZSet::default();
            let mut model: Model = Vec::new();
            let mut was_skiplist = false;
            for step in 0..400 {
                let member = format!("m{}", g.below(60)).into_bytes();
                match g.below(10) {
                    0..=5 => {
                        let score = match g.below(20) {
                            0 => f64::INFINITY,
                            1 => f64::NEG_INFINITY,
                            _ => g.below(30) as f64 / 2.0,
                        };
                        let new = z.insert(&member, score, &limits);
                        let old = model.iter().position(|(_, m)| *m == member);
                        assert_eq!(new, old.is_none());
                        if let Some(i) = old {
                            model.remove(i);
                        }
                        let key = (Score(score), member);
                        let at = model.binary_search(&key).unwrap_or_else(|e| e);
                        model.insert(at, key);
                    }
                    6 | 7 => {
                        let got = z.remove(&member);
                        let old = model.iter().position(|(_, m)| *m == member);
                        assert_eq!(got, old.map(|i| model.remove(i).0 .0));
                    }
                    8 => {
                        let max = g.below(2) == 1;
                        let got = z.pop(max).map(|(m, s)| (m.to_vec(), s));
                        let want = if max || model.is_empty() {
                            model.pop()
                        } else {
                            Some(model.remove(0))
                        };
                        assert_eq!(got, want.map(|(s, m)| (m, s.0)));
                    }
                    _ => {
                        let a = g.below(model.len() as u64 + 1) as usize;
                        let b = a + g.below(5) as usize;
                        let n = z.remove_ranks(a, b);
                        let b = b.min(model.len());
                        assert_eq!(n, b.saturating_sub(a));
                        if a < b {
                            model.drain(a..b);
                        }
                    }
                }
                if z.encoding() == "skiplist" {
                    was_skiplist = true;
                } else {
                    // Never converts back.
                    assert!(!was_skiplist, "seed {seed} step {step}");
                }
                assert_eq!(z.encoding() == "skiplist", was_skiplist);
                check(&z, &model, &mut g);
                let copy = z.clone();
                assert_eq!(copy, z);
            }
            converted += usize::from(was_skiplist);
        }
        assert!(converted > 30, "{converted} runs reached the skiplist form");
    }

    #[test]
    fn long_member_converts() {
        let mut z = ZSet::default();
        z.insert(b"a", 1.0, &Limits::default());
        assert_eq!(z.encoding(), "listpack");
        z.insert(&[b'x'; 65], 2.0, &Limits::default());
        assert_eq!(z.encoding(), "skiplist");
        assert_eq!(z.rank(&[b'x'; 65]), Some((1, 2.0)));
    }
}
