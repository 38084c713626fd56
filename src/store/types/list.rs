//! Lists: a ring buffer of byte strings, O(1) push and pop at both ends.

use std::collections::VecDeque;

/// A list value. Redis 7.0 reports every list as `quicklist`.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct List {
    pub items: VecDeque<Vec<u8>>,
}

/// An end of a list: LEFT is the head, RIGHT the tail.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum End {
    Left,
    Right,
}

impl End {
    /// The argument naming this end (`LEFT` / `RIGHT`), as LMOVE takes it.
    pub fn name(self) -> &'static [u8] {
        match self {
            End::Left => b"LEFT",
            End::Right => b"RIGHT",
        }
    }
}

impl List {
    /// An empty list.
    pub fn new() -> Self {
        List::default()
    }

    /// Number of elements.
    pub fn len(&self) -> usize {
        self.items.len()
    }

    /// Whether the list is empty (an empty list is never stored).
    pub fn is_empty(&self) -> bool {
        self.items.is_empty()
    }

    /// OBJECT ENCODING.
    pub fn encoding(&self) -> &'static str {
        "quicklist"
    }

    /// Pushes one element at `end`.
    pub fn push(&mut self, end: End, elem: Vec<u8>) {
        match end {
            End::Left => self.items.push_front(elem),
            End::Right => self.items.push_back(elem),
        }
    }

    /// Pops one element from `end`.
    pub fn pop(&mut self, end: End) -> Option<Vec<u8>> {
        match end {
            End::Left => self.items.pop_front(),
            End::Right => self.items.pop_back(),
        }
    }

    /// Pops up to `n` elements from `end`, in pop order.
    pub fn pop_many(&mut self, end: End, n: usize) -> Vec<Vec<u8>> {
        let n = n.min(self.len());
        (0..n).filter_map(|_| self.pop(end)).collect()
    }

    /// The position of a Redis index (negative counts from the tail), if in range.
    pub fn position(&self, index: i64) -> Option<usize> {
        let len = self.len() as i64;
        let i = if index < 0 { len + index } else { index };
        (0..len).contains(&i).then_some(i as usize)
    }

    /// The inclusive range `start..=stop` of Redis indexes clamped as LRANGE does; None
    /// when it is empty.
    pub fn range(&self, start: i64, stop: i64) -> Option<(usize, usize)> {
        let len = self.len() as i64;
        let mut start = if start < 0 { len + start } else { start };
        let mut stop = if stop < 0 { len + stop } else { stop };
        if start < 0 {
            start = 0;
        }
        if start > stop || start >= len {
            return None;
        }
        if stop >= len {
            stop = len - 1;
        }
        Some((start as usize, stop as usize))
    }

    /// Keeps only `start..=stop` (LTRIM).
    pub fn trim(&mut self, start: i64, stop: i64) {
        match self.range(start, stop) {
            None => self.items.clear(),
            Some((a, b)) => {
                self.items.truncate(b + 1);
                self.items.drain(..a);
            }
        }
    }

    /// Removes elements equal to `elem`: the first `count` from the head when positive,
    /// from the tail when negative, all when zero. Returns how many were removed.
    pub fn remove(&mut self, count: i64, elem: &[u8]) -> usize {
        let limit = match count.unsigned_abs() {
            0 => usize::MAX,
            n => usize::try_from(n).unwrap_or(usize::MAX),
        };
        let len = self.len();
        let mut hits: Vec<usize> = Vec::new();
        if count >= 0 {
            for (i, e) in self.items.iter().enumerate() {
                if hits.len() == limit {
                    break;
                }
                if e.as_slice() == elem {
                    hits.push(i);
                }
            }
        } else {
            for (i, e) in self.items.iter().enumerate().rev() {
                if hits.len() == limit {
                    break;
                }
                if e.as_slice() == elem {
                    hits.push(i);
                }
            }
            hits.reverse();
        }
        if hits.is_empty() {
            return 0;
        }
        let mut keep = VecDeque::with_capacity(len - hits.len());
        let mut next = hits.iter().peekable();
        for (i, e) in std::mem::take(&mut self.items).into_iter().enumerate() {
            if next.peek() == Some(&&i) {
                next.next();
            } else {
                keep.push_back(e);
            }
        }
        self.items = keep;
        hits.len()
    }

    /// Inserts `elem` before (or after) the first element equal to `pivot`. Returns
    /// whether the pivot was found.
    pub fn insert(&mut self, before: bool, pivot: &[u8], elem: Vec<u8>) -> bool {
        match self.items.iter().position(|e| e.as_slice() == pivot) {
            None => false,
            Some(i) => {
                self.items.insert(if before { i } else { i + 1 }, elem);
                true
            }
        }
    }

    /// LPOS: the positions (from the head) of the matches of `elem`. `rank` is non-zero:
    /// negative scans from the tail. `count` None returns at most one position; Some(0)
    /// all. `maxlen` 0 scans the whole list. Arithmetic wraps as Redis's C does, so
    /// RANK -9223372036854775808 behaves as it does there.
    pub fn positions(&self, elem: &[u8], rank: i64, count: Option<i64>, maxlen: i64) -> Vec<usize> {
        let from_tail = rank < 0;
        let rank = if from_tail { rank.wrapping_neg() } else { rank };
        let len = self.len();
        let mut out = Vec::new();
        let mut matches: i64 = 0;
        for idx in 0..len {
            if maxlen != 0 && idx as i64 >= maxlen {
                break;
            }
            let pos = if from_tail { len - 1 - idx } else { idx };
            if self.items[pos].as_slice() != elem {
                continue;
            }
            matches += 1;
            if matches >= rank {
                out.push(pos);
                match count {
                    None => break,
                    Some(c) => {
                        if c != 0 && matches.wrapping_sub(rank).wrapping_add(1) >= c {
                            break;
                        }
                    }
                }
            }
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// splitmix64: a deterministic generator for the property test.
    struct Gen(u64);

    impl Gen {
        fn next(&mut self) -> u64 {
            self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
            let mut z = self.0;
            z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
            z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
            z ^ (z >> 31)
        }
        fn below(&mut self, n: u64) -> u64 {
            self.next() % n
        }
        /// An index around the list's bounds, negative ones included.
        fn index(&mut self, len: usize) -> i64 {
            let span = len as i64 + 3;
            self.below(2 * span as u64 + 1) as i64 - span
        }
        fn elem(&mut self) -> Vec<u8> {
            vec![b'a' + self.below(4) as u8]
        }
        fn end(&mut self) -> End {
            if self.below(2) == 0 {
                End::Left
            } else {
                End::Right
            }
        }
    }

    /// A Redis index made absolute (it may stay negative or pass the end).
    fn abs(len: usize, i: i64) -> i64 {
        if i < 0 {
            len as i64 + i
        } else {
            i
        }
    }

    /// The model's LRANGE: the positions between the clamped bounds.
    fn model_range(m: &[Vec<u8>], start: i64, stop: i64) -> Vec<Vec<u8>> {
        let (lo, hi) = (abs(m.len(), start).max(0), abs(m.len(), stop));
        (0..m.len())
            .filter(|&i| i as i64 >= lo && i as i64 <= hi)
            .map(|i| m[i].clone())
            .collect()
    }

    /// The model's LPOS for ranks other than i64::MIN.
    fn model_lpos(
        m: &[Vec<u8>],
        e: &[u8],
        rank: i64,
        count: Option<i64>,
        maxlen: i64,
    ) -> Vec<usize> {
        let order: Vec<usize> = if rank > 0 {
            (0..m.len()).collect()
        } else {
            (0..m.len()).rev().collect()
        };
        let scanned = if maxlen == 0 {
            order.len()
        } else {
            (maxlen as usize).min(order.len())
        };
        let hits = order[..scanned].iter().copied().filter(|&i| m[i] == e);
        let hits = hits.skip(rank.unsigned_abs() as usize - 1);
        match count {
            None => hits.take(1).collect(),
            Some(0) => hits.collect(),
            Some(c) => hits.take(c as usize).collect(),
        }
    }

    fn check(seed: u64) {
        let mut g = Gen(seed);
        let mut list = List::new();
        let mut model: Vec<Vec<u8>> = Vec::new();
        for step in 0..3000 {
            let len = model.len();
            match g.below(10) {
                0 | 1 => {
                    let (end, e) = (g.end(), g.elem());
                    list.push(end, e.clone());
                    match end {
                        End::Left => model.insert(0, e),
                        End::Right => model.push(e),
                    }
                }
                2 => {
                    let (end, n) = (g.end(), g.below(4) as usize);
                    let got = list.pop_many(end, n);
                    let n = n.min(model.len());
                    let want: Vec<Vec<u8>> = match end {
                        End::Left => model.drain(..n).collect(),
                        End::Right => model.drain(model.len() - n..).rev().collect(),
                    };
                    assert_eq!(got, want, "seed {seed} step {step}: pop");
                }
                3 => {
                    let i = g.index(len);
                    let want = (0..len as i64)
                        .contains(&abs(len, i))
                        .then(|| abs(len, i) as usize);
                    assert_eq!(list.position(i), want, "seed {seed} step {step}: index {i}");
                }
                4 => {
                    let (a, b) = (g.index(len), g.index(len));
                    let got: Vec<Vec<u8>> = match list.range(a, b) {
                        None => Vec::new(),
                        Some((x, y)) => list.items.range(x..=y).cloned().collect(),
                    };
                    assert_eq!(
                        got,
                        model_range(&model, a, b),
                        "seed {seed} step {step}: range"
                    );
                }
                5 if g.below(4) == 0 => {
                    let (a, b) = (g.index(len), g.index(len));
                    list.trim(a, b);
                    model = model_range(&model, a, b);
                }
                6 => {
                    let (count, e) = (g.below(7) as i64 - 3, g.elem());
                    let limit = if count == 0 {
                        usize::MAX
                    } else {
                        count.unsigned_abs() as usize
                    };
                    let mut removed = 0;
                    let mut keep: Vec<Option<Vec<u8>>> = model.drain(..).map(Some).collect();
                    let order: Vec<usize> = if count >= 0 {
                        (0..keep.len()).collect()
                    } else {
                        (0..keep.len()).rev().collect()
                    };
                    for i in order {
                        if removed < limit && keep[i].as_deref() == Some(e.as_slice()) {
                            keep[i] = None;
                            removed += 1;
                        }
                    }
                    model = keep.into_iter().flatten().collect();
                    assert_eq!(
                        list.remove(count, &e),
                        removed,
                        "seed {seed} step {step}: rem"
                    );
                }
                7 => {
                    let (before, pivot, e) = (g.below(2) == 0, g.elem(), g.elem());
                    let found = model.iter().position(|x| *x == pivot);
                    if let Some(i) = found {
                        model.insert(if before { i } else { i + 1 }, e.clone());
                    }
                    assert_eq!(list.insert(before, &pivot, e), found.is_some());
                }
                8 => {
                    let e = g.elem();
                    let mut rank = g.below(7) as i64 - 3;
                    if rank == 0 {
                        rank = 1;
                    }
                    let count = match g.below(4) {
                        0 => None,
                        n => Some(n as i64 - 1),
                    };
                    let maxlen = g.below(len as u64 + 2) as i64;
                    assert_eq!(
                        list.positions(&e, rank, count, maxlen),
                        model_lpos(&model, &e, rank, count, maxlen),
                        "seed {seed} step {step}: lpos {rank} {count:?} {maxlen}"
                    );
                }
                _ => {
                    if let Some(i) = list.position(g.index(len)) {
                        let e = g.elem();
                        list.items[i] = e.clone();
                        model[i] = e;
                    }
                }
            }
            assert_eq!(
                list.items.iter().cloned().collect::<Vec<_>>(),
                model,
                "seed {seed} step {step}"
            );
            assert_eq!(list.len(), model.len());
        }
    }

    #[test]
    fn operations_match_a_vec_model() {
        for seed in 1..=20 {
            check(seed);
        }
    }

    #[test]
    fn lpos_rank_min_scans_from_the_tail_as_redis_does() {
        let mut l = List::new();
        for e in ["a", "b", "a", "c", "a"] {
            l.push(End::Right, e.as_bytes().to_vec());
        }
        assert_eq!(l.positions(b"a", i64::MIN, None, 0), vec![4]);
        assert_eq!(l.positions(b"a", i64::MIN, Some(1), 0), vec![4, 2, 0]);
        assert_eq!(l.positions(b"a", i64::MAX, None, 0), Vec::<usize>::new());
    }
}
