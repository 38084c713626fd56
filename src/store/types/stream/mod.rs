//! The stream type: entries ordered by ID in nodes of consecutive entries ([`node::Node`],
//! Redis's listpacks), indexed by each node's first ID in a `BTreeMap` (Redis's radix
//! tree), so seeking an ID is O(log N) plus a walk of one node; and the consumer groups
//! ([`group::Group`]).
//!
//! Nodes are cut where Redis cuts its listpacks (`stream-node-max-entries`,
//! `stream-node-max-bytes`, with the byte size Redis's listpack would have), deleted entries
//! stay as tombstones until their node empties, and trimming removes whole nodes first: so
//! approximate trimming (`MAXLEN ~`) leaves exactly the entries Redis leaves.

pub mod group;
pub mod node;

use std::collections::BTreeMap;

pub use group::{Consumer, Group, Nack};
pub use node::{Entry, Node};

/// `SCG_INVALID_ENTRIES_READ`: a group's read counter is not known.
pub const INVALID_ENTRIES_READ: i64 = -1;

/// The largest listpack Redis builds (`STREAM_LISTPACK_MAX_SIZE`): the node byte limit
/// when `stream-node-max-bytes` is 0 or more, and the most bytes one entry may hold.
pub const LISTPACK_MAX_SIZE: usize = 1 << 30;

/// An entry ID: milliseconds and a sequence number, ordered as a pair.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct StreamId {
    pub ms: u64,
    pub seq: u64,
}

impl StreamId {
    /// `0-0`.
    pub const MIN: StreamId = StreamId { ms: 0, seq: 0 };
    /// The largest ID.
    pub const MAX: StreamId = StreamId {
        ms: u64::MAX,
        seq: u64::MAX,
    };

    /// An ID.
    pub const fn new(ms: u64, seq: u64) -> StreamId {
        StreamId { ms, seq }
    }

    /// The next ID, or None past the largest.
    pub fn next(self) -> Option<StreamId> {
        match (self.ms, self.seq) {
            (u64::MAX, u64::MAX) => None,
            (ms, u64::MAX) => Some(StreamId::new(ms + 1, 0)),
            (ms, seq) => Some(StreamId::new(ms, seq + 1)),
        }
    }

    /// The previous ID, or None before `0-0`.
    pub fn prev(self) -> Option<StreamId> {
        match (self.ms, self.seq) {
            (0, 0) => None,
            (ms, 0) => Some(StreamId::new(ms - 1, u64::MAX)),
            (ms, seq) => Some(StreamId::new(ms, seq - 1)),
        }
    }

    /// Whether the ID is `0-0`.
    pub fn is_zero(self) -> bool {
        self == StreamId::MIN
    }

    /// Appends `<ms>-<seq>`.
    pub fn write_to(self, buf: &mut Vec<u8>) {
        push_u64(buf, self.ms);
        buf.push(b'-');
        push_u64(buf, self.seq);
    }

    /// `<ms>-<seq>` as bytes.
    pub fn to_bytes(self) -> Vec<u8> {
        let mut v = Vec::with_capacity(41);
        self.write_to(&mut v);
        v
    }
}

/// Appends the decimal digits of `n`.
fn push_u64(buf: &mut Vec<u8>, mut n: u64) {
    let mut tmp = [0u8; 20];
    let mut i = tmp.len();
    loop {
        i -= 1;
        tmp[i] = b'0' + (n % 10) as u8;
        n /= 10;
        if n == 0 {
            break;
        }
    }
    buf.extend_from_slice(&tmp[i..]);
}

/// The node limits of the configuration (`stream-node-max-entries`, `-max-bytes`).
#[derive(Clone, Copy, Debug)]
pub struct NodeLimits {
    /// 0: no limit.
    pub max_entries: u64,
    /// 0: [`LISTPACK_MAX_SIZE`].
    pub max_bytes: u64,
}

/// How a trim decides what goes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Trim {
    /// Keep at most this many entries.
    MaxLen(u64),
    /// Remove entries below this ID.
    MinId(StreamId),
}

/// A stream value.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Stream {
    /// Nodes by the ID of their first entry (tombstones included).
    nodes: BTreeMap<StreamId, Node>,
    /// Live entries.
    pub length: u64,
    /// The last ID added (zero for a stream that never had one).
    pub last_id: StreamId,
    /// The first live entry's ID, zero when empty.
    pub first_id: StreamId,
    /// The largest ID deleted by XDEL.
    pub max_deleted_entry_id: StreamId,
    /// Entries ever added.
    pub entries_added: u64,
    /// Consumer groups by name (in byte order, as Redis's radix tree lists them).
    pub groups: BTreeMap<Vec<u8>, Group>,
}

impl Stream {
    /// OBJECT ENCODING's name.
    pub fn encoding(&self) -> &'static str {
        "stream"
    }

    /// Live entries.
    pub fn len(&self) -> u64 {
        self.length
    }

    /// Whether no entry is live.
    pub fn is_empty(&self) -> bool {
        self.length == 0
    }

    /// The number of nodes (XINFO's radix-tree-keys).
    pub fn node_count(&self) -> usize {
        self.nodes.len()
    }

    /// The nodes with their master IDs (snapshots).
    pub fn nodes(&self) -> impl Iterator<Item = (StreamId, &Node)> {
        self.nodes.iter().map(|(k, n)| (*k, n))
    }

    /// Appends `pairs` (field, value, ...) as entry `id`, which the caller made sure is
    /// greater than [`Stream::last_id`], starting a new node when the last one is full by
    /// Redis's rules.
    pub fn append(&mut self, id: StreamId, pairs: &[&[u8]], limits: NodeLimits) {
        let total: usize = pairs.iter().map(|p| p.len()).sum();
        let max_bytes = match limits.max_bytes as usize {
            0 => LISTPACK_MAX_SIZE,
            b => b.min(LISTPACK_MAX_SIZE),
        };
        let mut appended = false;
        if let Some(mut last) = self.nodes.last_entry() {
            let node = last.get_mut();
            let full = node.lp_bytes() + total >= max_bytes
                || (limits.max_entries != 0
                    && u64::from(node.live + node.deleted) >= limits.max_entries);
            if full {
                node.shrink();
            } else {
                let master = *last.key();
                last.get_mut().push(master, id, pairs);
                appended = true;
            }
        }
        if !appended {
            self.nodes.insert(id, Node::new(id, pairs));
        }
        self.length += 1;
        self.entries_added += 1;
        self.last_id = id;
        if self.length == 1 {
            self.first_id = id;
        }
    }

    /// Puts back a node as a snapshot holds it (tombstones included): `entries` in order,
    /// each `(id, deleted, pairs)`. The caller checks the IDs increase across nodes.
    pub fn load_node(&mut self, entries: &[(StreamId, bool, Vec<Vec<u8>>)]) {
        let Some((first, ..)) = entries.first() else {
            return;
        };
        let master = *first;
        let mut node: Option<Node> = None;
        for (id, deleted, pairs) in entries {
            let refs: Vec<&[u8]> = pairs.iter().map(Vec::as_slice).collect();
            let n = node.get_or_insert_with(|| Node::new(master, &refs));
            if *id != master {
                n.push(master, *id, &refs);
            }
            if *deleted {
                n.mark_deleted(n.last_offset(master));
            } else {
                self.length += 1;
            }
        }
        if let Some(mut n) = node {
            n.shrink();
            self.nodes.insert(master, n);
        }
    }

    /// Recomputes the first live ID after loading.
    pub fn refresh_first_id(&mut self) {
        self.first_id = self.first_live().unwrap_or_default();
    }

    /// Live entries from `start` to `end` inclusive, in order or reversed.
    pub fn range(&self, start: StreamId, end: StreamId, rev: bool) -> Range<'_> {
        let lower = self
            .nodes
            .range(..=start)
            .next_back()
            .map_or(start, |(k, _)| *k);
        let nodes = if start <= end {
            Some(self.nodes.range(lower..=end))
        } else {
            None
        };
        Range {
            nodes,
            cur: None,
            pos: 0,
            offsets: Vec::new(),
            start,
            end,
            rev,
            tombstones: false,
        }
    }

    /// Every entry, tombstones included, in order (snapshots).
    pub fn all_entries(&self) -> Range<'_> {
        let mut r = self.range(StreamId::MIN, StreamId::MAX, false);
        r.tombstones = true;
        r
    }

    /// The live entry `id`.
    pub fn get(&self, id: StreamId) -> Option<Entry<'_>> {
        self.range(id, id, false).next()
    }

    /// The first live entry's ID.
    pub fn first_live(&self) -> Option<StreamId> {
        self.range(StreamId::MIN, StreamId::MAX, false)
            .next()
            .map(|e| e.id)
    }

    /// The last live entry's ID.
    pub fn last_live(&self) -> Option<StreamId> {
        self.range(StreamId::MIN, StreamId::MAX, true)
            .next()
            .map(|e| e.id)
    }

    /// The first entry's ID, tombstones included (`streamGetEdgeID(s,1,0)`).
    pub fn first_any(&self) -> Option<StreamId> {
        self.all_entries().next().map(|e| e.id)
    }

    /// Deletes live entry `id`; its node goes once it has no live entry. Returns whether it
    /// was there. The caller keeps `first_id` and `max_deleted_entry_id`.
    pub fn delete(&mut self, id: StreamId) -> bool {
        let Some((&master, node)) = self.nodes.range_mut(..=id).next_back() else {
            return false;
        };
        let mut at = node.first_at();
        let mut found = None;
        while !node.is_end(at) {
            let e = node.entry_at(master, at);
            if e.id == id && !e.deleted {
                found = Some(at);
                break;
            }
            if e.id >= id {
                break;
            }
            at = e.end;
        }
        let Some(at) = found else {
            return false;
        };
        if node.live == 1 {
            self.nodes.remove(&master);
        } else {
            node.mark_deleted(at);
        }
        self.length -= 1;
        true
    }

    /// Trims from the head as Redis's streamTrim: whole nodes while that keeps enough,
    /// then (unless `approx`) entries inside the next node; at most `limit` entries (0: no
    /// limit) when whole nodes go. Returns the number of entries removed.
    pub fn trim(&mut self, how: Trim, approx: bool, limit: u64) -> u64 {
        let mut deleted = 0u64;
        while let Some(mut first) = self.nodes.first_entry() {
            if let Trim::MaxLen(max) = how {
                if self.length <= max {
                    break;
                }
            }
            let master = *first.key();
            let entries = u64::from(first.get().live);
            if limit != 0 && deleted + entries > limit {
                break;
            }
            let remove_node = match how {
                Trim::MaxLen(max) => self.length - entries >= max,
                Trim::MinId(min) => first.get().last_id(master) < min,
            };
            if remove_node {
                first.remove();
                self.length -= entries;
                deleted += entries;
                continue;
            }
            if approx {
                break;
            }
            let node = first.get_mut();
            let mut at = node.first_at();
            while !node.is_end(at) {
                let e = node.entry_at(master, at);
                let (id, was_deleted, end) = (e.id, e.deleted, e.end);
                let stop = match how {
                    Trim::MaxLen(max) => self.length <= max,
                    Trim::MinId(min) => id >= min,
                };
                if stop {
                    break;
                }
                if !was_deleted {
                    node.mark_deleted(at);
                    self.length -= 1;
                    deleted += 1;
                }
                at = end;
            }
            break;
        }
        if self.length == 0 {
            self.first_id = StreamId::MIN;
        } else if deleted > 0 {
            self.refresh_first_id();
        }
        deleted
    }

    /// Whether a tombstone may lie in `start..=end` (`streamRangeHasTombstones`).
    pub fn range_has_tombstones(&self, start: StreamId, end: StreamId) -> bool {
        if self.length == 0 || self.max_deleted_entry_id.is_zero() {
            return false;
        }
        if self.first_id > self.max_deleted_entry_id {
            return false;
        }
        start <= self.max_deleted_entry_id && self.max_deleted_entry_id <= end
    }

    /// The logical read counter of `id` when it can be known
    /// (`streamEstimateDistanceFromFirstEverEntry`), else [`INVALID_ENTRIES_READ`].
    pub fn estimate_distance(&self, id: StreamId) -> i64 {
        if self.entries_added == 0 {
            return 0;
        }
        let added = self.entries_added as i64;
        if self.length == 0 && id <= self.last_id {
            return added;
        }
        if id == self.last_id {
            return added;
        } else if id > self.last_id {
            return INVALID_ENTRIES_READ;
        }
        if self.max_deleted_entry_id.is_zero() || self.max_deleted_entry_id < self.first_id {
            if id < self.first_id {
                return added - self.length as i64;
            } else if id == self.first_id {
                return added - self.length as i64 + 1;
            }
        }
        INVALID_ENTRIES_READ
    }

    /// A group's lag, if it can be known (`streamReplyWithCGLag`).
    pub fn lag(&self, g: &Group) -> Option<i64> {
        if self.entries_added == 0 {
            return Some(0);
        }
        if g.entries_read != INVALID_ENTRIES_READ
            && !self.range_has_tombstones(g.last_id, StreamId::MAX)
        {
            return Some(self.entries_added as i64 - g.entries_read);
        }
        let read = self.estimate_distance(g.last_id);
        (read != INVALID_ENTRIES_READ).then(|| self.entries_added as i64 - read)
    }

    /// Heap bytes held, roughly (MEMORY USAGE).
    pub fn heap_bytes(&self) -> usize {
        let nodes: usize = self.nodes.values().map(|n| n.heap_bytes() + 64).sum();
        let groups: usize = self.groups.values().map(Group::heap_bytes).sum();
        nodes + groups
    }
}

/// Iterates a stream's entries between two IDs (see [`Stream::range`]).
pub struct Range<'a> {
    nodes: Option<std::collections::btree_map::Range<'a, StreamId, Node>>,
    cur: Option<(StreamId, &'a Node)>,
    /// Forwards: the next entry's offset in the current node.
    pos: usize,
    /// Backwards: the offsets of the current node's entries not yet seen.
    offsets: Vec<u32>,
    start: StreamId,
    end: StreamId,
    rev: bool,
    tombstones: bool,
}

impl<'a> Iterator for Range<'a> {
    type Item = Entry<'a>;

    fn next(&mut self) -> Option<Entry<'a>> {
        loop {
            let (master, node) = match self.cur {
                Some(c) => c,
                None => {
                    let nodes = self.nodes.as_mut()?;
                    let next = if self.rev {
                        nodes.next_back()
                    } else {
                        nodes.next()
                    };
                    let Some((&master, node)) = next else {
                        self.nodes = None;
                        return None;
                    };
                    if self.rev {
                        self.offsets = node.offsets(master);
                    } else {
                        self.pos = node.first_at();
                    }
                    self.cur = Some((master, node));
                    (master, node)
                }
            };
            let at = if self.rev {
                self.offsets.pop().map(|a| a as usize)
            } else {
                (!node.is_end(self.pos)).then_some(self.pos)
            };
            let Some(at) = at else {
                self.cur = None;
                continue;
            };
            let e = node.entry_at(master, at);
            self.pos = e.end;
            let past = if self.rev {
                e.id < self.start
            } else {
                e.id > self.end
            };
            if past {
                self.nodes = None;
                self.cur = None;
                return None;
            }
            if e.id < self.start || e.id > self.end || (e.deleted && !self.tombstones) {
                continue;
            }
            return Some(e);
        }
    }
}

impl Stream {
    /// Each node's live and deleted counts, for tests.
    #[cfg(test)]
    fn node_sizes(&self) -> Vec<(u32, u32)> {
        self.nodes.values().map(|n| (n.live, n.deleted)).collect()
    }
}

#[cfg(test)]
mod tests;
