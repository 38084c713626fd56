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
