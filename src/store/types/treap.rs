//! The large form of a sorted set's order: an order-statistic treap keyed by (score,
//! member), standing in for Redis's skiplist with spans.

use std::cmp::Ordering;

use super::zset::Score;
use crate::store::bytes::SmallBytes;

/// An order-statistic treap keyed by (score, member): O(log N) insert, remove, rank and
/// select, which is what Redis's skiplist spans give ZRANK and ranges by rank.
#[derive(Clone, Debug, Default)]
pub struct Tree {
    root: Link,
    seed: u64,
}

type Link = Option<Box<Node>>;

#[derive(Clone, Debug)]
struct Node {
    score: Score,
    /// Inline when short: the node and its member in one allocation.
    member: SmallBytes,
    prio: u64,
    size: usize,
    left: Link,
    right: Link,
}

fn size(l: &Link) -> usize {
    l.as_ref().map_or(0, |n| n.size)
}

fn fix(n: &mut Node) {
    n.size = 1 + size(&n.left) + size(&n.right);
}

fn less(n: &Node, score: f64, member: &[u8]) -> bool {
    (n.score, &*n.member) < (Score(score), member)
}

/// Splits into (elements for which `go_left` holds, the rest); `go_left` must hold on a
/// prefix of the order.
fn split(t: Link, go_left: &mut impl FnMut(&Node) -> bool) -> (Link, Link) {
    match t {
        None => (None, None),
        Some(mut n) => {
            if go_left(&n) {
                let (a, b) = split(n.right.take(), go_left);
                n.right = a;
                fix(&mut n);
                (Some(n), b)
            } else {
                let (a, b) = split(n.left.take(), go_left);
                n.left = b;
                fix(&mut n);
                (a, Some(n))
            }
        }
    }
}

fn merge(a: Link, b: Link) -> Link {
    match (a, b) {
        (None, b) => b,
        (a, None) => a,
        (Some(mut x), Some(mut y)) => {
            if x.prio > y.prio {
                x.right = merge(x.right.take(), Some(y));
                fix(&mut x);
                Some(x)
            } else {
                y.left = merge(Some(x), y.left.take());
                fix(&mut y);
                Some(y)
            }
        }
    }
}

/// Inserts `node` into the subtree at `t`: down the search path (each subtree on it grows
/// by one) to the first node of lower priority, whose subtree is split around the new
/// node. Expected O(log n), with one split of a small subtree instead of the split and
/// two merges of the whole tree.
fn insert_node(t: &mut Link, mut node: Box<Node>) {
    let goes_here = match t {
        None => true,
        Some(n) => node.prio > n.prio,
    };
    if goes_here {
        let (l, r) = split(t.take(), &mut |x| less(x, node.score.0, &node.member));
        node.left = l;
        node.right = r;
        fix(&mut node);
        *t = Some(node);
        return;
    }
    let n = t.as_mut().expect("not here, so a node");
    n.size += 1;
    if less(n, node.score.0, &node.member) {
        insert_node(&mut n.right, node);
    } else {
        insert_node(&mut n.left, node);
    }
}

/// Takes (score, member) out of the subtree at `t` if present and returns its node, with
/// no children: its place goes to the merge of its children, and the subtrees above it
/// shrink by one.
fn take_node(t: &mut Link, score: Score, member: &[u8]) -> Option<Box<Node>> {
    let n = t.as_mut()?;
    let taken = match (n.score, &*n.member).cmp(&(score, member)) {
        Ordering::Equal => {
            let mut gone = t.take().expect("matched a node");
            *t = merge(gone.left.take(), gone.right.take());
            return Some(gone);
        }
        Ordering::Less => take_node(&mut n.right, score, member),
        Ordering::Greater => take_node(&mut n.left, score, member),
    };
    if taken.is_some() {
        n.size -= 1;
    }
    taken
}

/// Takes the first node (the last when `last`) out of the subtree at `t`: down one spine,
/// no key compared; its one child takes its place and the subtrees above shrink by one.
fn take_end(t: &mut Link, last: bool) -> Option<Box<Node>> {
    let n = t.as_mut()?;
    let towards = if last { &mut n.right } else { &mut n.left };
    if towards.is_some() {
        n.size -= 1;
        return take_end(towards, last);
    }
    let mut gone = t.take().expect("matched a node");
    *t = if last {
        gone.left.take()
    } else {
        gone.right.take()
    };
    Some(gone)
}

impl Tree {
    pub fn len(&self) -> usize {
        size(&self.root)
    }

    pub fn is_empty(&self) -> bool {
        self.root.is_none()
    }

    fn next_prio(&mut self) -> u64 {
        // splitmix64
        self.seed = self.seed.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.seed;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// Inserts (the pair must not be present).
    pub fn insert(&mut self, score: f64, member: &[u8]) {
        let prio = self.next_prio();
        let node = Box::new(Node {
            score: Score(score),
            member: SmallBytes::new(member),
            prio,
            size: 1,
            left: None,
            right: None,
        });
        insert_node(&mut self.root, node);
    }

    /// Removes the pair if present.
    pub fn remove(&mut self, score: f64, member: &[u8]) -> bool {
        take_node(&mut self.root, Score(score), member).is_some()
    }

    /// Removes the first element (the last when `last`), returning its member and score.
    pub fn pop(&mut self, last: bool) -> Option<(SmallBytes, f64)> {
        let node = take_end(&mut self.root, last)?;
        let Node { member, score, .. } = *node;
        Some((member, score.0))
    }

    /// Moves `member` (present with score `old`) to score `new`, reusing its node.
    pub fn rescore(&mut self, old: f64, new: f64, member: &[u8]) {
        let mut node = take_node(&mut self.root, Score(old), member).expect("member present");
        node.score = Score(new);
        node.size = 1;
        insert_node(&mut self.root, node);
    }

    /// How many elements satisfy `pred`, which must hold on a prefix of the order.
    pub fn partition_point(&self, mut pred: impl FnMut(&[u8], f64) -> bool) -> usize {
        let mut at = &self.root;
        let mut count = 0;
        while let Some(n) = at {
            if pred(&n.member, n.score.0) {
                count += size(&n.left) + 1;
                at = &n.right;
            } else {
                at = &n.left;
            }
        }
        count
    }

    /// The 0-based rank of (score, member), which must be present.
    pub fn rank(&self, score: f64, member: &[u8]) -> usize {
        self.partition_point(|m, s| (Score(s), m) < (Score(score), member))
    }

    /// Iterates from rank `start`, ascending, or descending when `rev`.
    pub fn iter_from(&self, start: usize, rev: bool) -> TreeIter<'_> {
        let mut stack = Vec::new();
        let mut at = &self.root;
        let mut k = start;
        while let Some(n) = at {
            let ls = size(&n.left);
            if k == ls {
                stack.push(&**n);
                break;
            }
            if k < ls {
                if !rev {
                    stack.push(&**n);
                }
                at = &n.left;
            } else {
                if rev {
                    stack.push(&**n);
                }
                k -= ls + 1;
                at = &n.right;
            }
        }
        TreeIter { stack, rev }
    }
}

/// Iterates a [`Tree`] from a rank, ascending or descending.
pub struct TreeIter<'a> {
    stack: Vec<&'a Node>,
    rev: bool,
}

impl<'a> Iterator for TreeIter<'a> {
    type Item = (&'a [u8], f64);

    fn next(&mut self) -> Option<Self::Item> {
        let n = self.stack.pop()?;
        let mut at = if self.rev { &n.left } else { &n.right };
        while let Some(c) = at {
            self.stack.push(c);
            at = if self.rev { &c.right } else { &c.left };
        }
        Some((&*n.member, n.score.0))
    }
}
