//! One node of a stream: a run of consecutive entries stored as compact bytes, the way
//! Redis keeps them in one listpack under one radix-tree key.
//!
//! The first entry added to a node gives it its *master fields*; later entries with exactly
//! those field names store only their values (Redis's SAMEFIELDS flag). IDs are stored as
//! deltas from the node's master ID, so most entries cost a few bytes beyond their values.
//! Deleted entries stay as tombstones (a flag) until the whole node goes, as in Redis:
//! they count towards the node's size limits, which decide where approximate trimming
//! (`MAXLEN ~`) can cut, so the node keeps the byte size Redis's listpack would have
//! ([`Node::lp_bytes`]) to take the same decisions.
//!
//! Entry layout in `data`, after the master fields:
//! `flags(u8) varint(ms delta) varint(zigzag seq delta) [varint(nfields) (field)*] (value)*`
//! with strings as `varint(len) bytes`; field/value pairs interleave when the entry does
//! not share the master fields.

use super::StreamId;

/// The entry was deleted (a tombstone).
const FLAG_DELETED: u8 = 1;
/// The entry has the master fields; only its values are stored.
const FLAG_SAMEFIELDS: u8 = 2;

/// A node of consecutive entries (see the module documentation).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Node {
    /// Master fields, then the entries.
    data: Vec<u8>,
    /// Where the first entry starts in `data`.
    entries_at: u32,
    /// Entries not deleted.
    pub live: u32,
    /// Tombstones.
    pub deleted: u32,
    /// Redis's listpack size of everything but the live and deleted counters.
    lp_rest: u32,
}

/// An entry as stored: its ID and where its fields are.
#[derive(Clone, Copy, Debug)]
pub struct Entry<'a> {
    /// The entry's ID.
    pub id: StreamId,
    /// A tombstone (only iterations that ask for them see these).
    pub deleted: bool,
    /// Offset in the node's data of the flags byte.
    pub at: usize,
    node: &'a Node,
    /// Offset of the first stored string of the entry (field or value).
    body: usize,
    same: bool,
    nfields: usize,
    /// Offset just past the entry.
    pub end: usize,
}

impl<'a> Entry<'a> {
    /// The number of field-value pairs.
    pub fn len(&self) -> usize {
        self.nfields
    }

    /// Whether the entry has no fields (never, for entries XADD made).
    pub fn is_empty(&self) -> bool {
        self.nfields == 0
    }

    /// The field-value pairs in order.
    pub fn fields(&self) -> impl Iterator<Item = (&'a [u8], &'a [u8])> + 'a {
        let data: &'a [u8] = &self.node.data;
        let same = self.same;
        let mut pos = self.body;
        let mut master = self.node.master_start();
        (0..self.nfields).map(move |_| {
            let field = if same {
                read_str(data, &mut master)
            } else {
                read_str(data, &mut pos)
            };
            let value = read_str(data, &mut pos);
            (field, value)
        })
    }
}

/// Appends `v` as a LEB128 varint.
fn put_varint(buf: &mut Vec<u8>, mut v: u64) {
    while v >= 0x80 {
        buf.push((v as u8) | 0x80);
        v >>= 7;
    }
    buf.push(v as u8);
}

/// Reads a LEB128 varint at `*pos`, advancing it.
fn get_varint(data: &[u8], pos: &mut usize) -> u64 {
    let mut v = 0u64;
    let mut shift = 0;
    loop {
        let b = data[*pos];
        *pos += 1;
        v |= u64::from(b & 0x7f) << shift;
        if b < 0x80 {
            return v;
        }
        shift += 7;
    }
}

fn put_str(buf: &mut Vec<u8>, s: &[u8]) {
    put_varint(buf, s.len() as u64);
    buf.extend_from_slice(s);
}

fn read_str<'a>(data: &'a [u8], pos: &mut usize) -> &'a [u8] {
    let n = get_varint(data, pos) as usize;
    let s = &data[*pos..*pos + n];
    *pos += n;
    s
}

fn skip_str(data: &[u8], pos: &mut usize) {
    let n = get_varint(data, pos) as usize;
    *pos += n;
}

/// Bytes a listpack element takes for an integer (encoding plus back length).
pub fn lp_int_size(v: i64) -> usize {
    let enc = match v {
        0..=127 => 1,
        -4096..=4095 => 2,
        -32768..=32767 => 3,
        -8_388_608..=8_388_607 => 4,
        -2_147_483_648..=2_147_483_647 => 5,
        _ => 9,
    };
    enc + 1
}

/// Bytes a listpack element takes for a string: listpack stores strings that read as
/// integers (string2ll) as integers.
pub fn lp_str_size(s: &[u8]) -> usize {
    if s.len() <= 20 {
        if let Some(v) = crate::protocol::parse::parse_i64(s) {
            return lp_int_size(v);
        }
    }
    let l = s.len();
    let enc = l + if l < 64 {
        1
    } else if l < 4096 {
        2
    } else {
        5
    };
    let back = match enc {
        0..=127 => 1,
        128..=16382 => 2,
        16383..=2_097_150 => 3,
        2_097_151..=268_435_454 => 4,
        _ => 5,
    };
    enc + back
}

/// A listpack's header and end byte.
const LP_OVERHEAD: usize = 7;

impl Node {
    /// A node whose first entry is `id` with `pairs` (field, value, field, value...).
    pub fn new(id: StreamId, pairs: &[&[u8]]) -> Node {
        let nfields = pairs.len() / 2;
        let mut data = Vec::new();
        put_varint(&mut data, nfields as u64);
        let mut lp_rest = LP_OVERHEAD + lp_int_size(nfields as i64) + lp_int_size(0);
        for f in pairs.iter().step_by(2) {
            put_str(&mut data, f);
            lp_rest += lp_str_size(f);
        }
        let mut node = Node {
            entries_at: data.len() as u32,
            data,
            live: 0,
            deleted: 0,
            lp_rest: lp_rest as u32,
        };
        node.push(id, id, pairs);
        node
    }

    fn master_start(&self) -> usize {
        let mut pos = 0;
        get_varint(&self.data, &mut pos);
        pos
    }

    /// The master fields (the first entry's field names; RDB writes them in the node's
    /// master entry).
    pub fn master_fields(&self) -> impl Iterator<Item = &[u8]> {
        let mut pos = 0;
        let n = get_varint(&self.data, &mut pos);
        let data = &self.data;
        (0..n).map(move |_| read_str(data, &mut pos))
    }

    /// Whether `pairs` has exactly the master fields.
    fn same_fields(&self, pairs: &[&[u8]]) -> bool {
        let mut pos = 0;
        let n = get_varint(&self.data, &mut pos) as usize;
        n == pairs.len() / 2
            && self
                .master_fields()
                .zip(pairs.iter().step_by(2))
                .all(|(a, b)| a == *b)
    }

    /// Appends entry `id` (greater than every ID in the node) to the node whose master ID
    /// is `master`.
    pub fn push(&mut self, master: StreamId, id: StreamId, pairs: &[&[u8]]) {
        let same = self.same_fields(pairs);
        let ms_delta = id.ms.wrapping_sub(master.ms);
        let seq_delta = id.seq.wrapping_sub(master.seq) as i64;
        self.data.push(if same { FLAG_SAMEFIELDS } else { 0 });
        put_varint(&mut self.data, ms_delta);
        put_varint(
            &mut self.data,
            ((seq_delta << 1) ^ (seq_delta >> 63)) as u64,
        );
        let nfields = pairs.len() / 2;
        let mut lp = lp_int_size(0) + lp_int_size(ms_delta as i64) + lp_int_size(seq_delta);
        if same {
            for v in pairs.iter().skip(1).step_by(2) {
                put_str(&mut self.data, v);
                lp += lp_str_size(v);
            }
        } else {
            put_varint(&mut self.data, nfields as u64);
            lp += lp_int_size(nfields as i64);
            for s in pairs {
                put_str(&mut self.data, s);
                lp += lp_str_size(s);
            }
        }
        let lp_count = 3 + nfields + if same { 0 } else { nfields + 1 };
        lp += lp_int_size(lp_count as i64);
        self.lp_rest += lp as u32;
        self.live += 1;
    }

    /// The size Redis's listpack for this node would have (`lpBytes`).
    pub fn lp_bytes(&self) -> usize {
        self.lp_rest as usize + lp_int_size(self.live.into()) + lp_int_size(self.deleted.into())
    }

    /// Decodes the entry starting at `at`.
    pub fn entry_at(&self, master: StreamId, at: usize) -> Entry<'_> {
        let data = &self.data;
        let mut pos = at;
        let flags = data[pos];
        pos += 1;
        let ms = master.ms.wrapping_add(get_varint(data, &mut pos));
        let z = get_varint(data, &mut pos);
        let seq_delta = ((z >> 1) as i64) ^ -((z & 1) as i64);
        let seq = master.seq.wrapping_add(seq_delta as u64);
        let same = flags & FLAG_SAMEFIELDS != 0;
        let nfields = if same {
            let mut m = 0;
            get_varint(data, &mut m) as usize
        } else {
            get_varint(data, &mut pos) as usize
        };
        let body = pos;
        for _ in 0..if same { nfields } else { 2 * nfields } {
            skip_str(data, &mut pos);
        }
        Entry {
            id: StreamId { ms, seq },
            deleted: flags & FLAG_DELETED != 0,
            at,
            node: self,
            body,
            same,
            nfields,
            end: pos,
        }
    }

    /// The offset of the first entry.
    pub fn first_at(&self) -> usize {
        self.entries_at as usize
    }

    /// Whether `at` is past the last entry.
    pub fn is_end(&self, at: usize) -> bool {
        at >= self.data.len()
    }

    /// Offsets of every entry, tombstones included, in order (for walking backwards).
    pub fn offsets(&self, master: StreamId) -> Vec<u32> {
        let mut v = Vec::with_capacity((self.live + self.deleted) as usize);
        let mut at = self.first_at();
        while !self.is_end(at) {
            v.push(at as u32);
            at = self.entry_at(master, at).end;
        }
        v
    }

    /// Marks the entry at `at` deleted (it is live).
    pub fn mark_deleted(&mut self, at: usize) {
        self.data[at] |= FLAG_DELETED;
        self.live -= 1;
        self.deleted += 1;
    }

    /// The last entry's ID, tombstones included.
    pub fn last_id(&self, master: StreamId) -> StreamId {
        let mut at = self.first_at();
        let mut last = master;
        while !self.is_end(at) {
            let e = self.entry_at(master, at);
            last = e.id;
            at = e.end;
        }
        last
    }

    /// The offset of the last entry (tombstones included).
    pub fn last_offset(&self, master: StreamId) -> usize {
        let mut at = self.first_at();
        loop {
            let end = self.entry_at(master, at).end;
            if self.is_end(end) {
                return at;
            }
            at = end;
        }
    }

    /// Gives back spare capacity once no more entries will be appended.
    pub fn shrink(&mut self) {
        self.data.shrink_to_fit();
    }

    /// Heap bytes held (MEMORY USAGE).
    pub fn heap_bytes(&self) -> usize {
        self.data.capacity()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn id(ms: u64, seq: u64) -> StreamId {
        StreamId { ms, seq }
    }

    #[test]
    fn entries_round_trip_with_and_without_master_fields() {
        let m = id(5, 3);
        let mut n = Node::new(m, &[b"a", b"1", b"b", b"2"]);
        n.push(m, id(5, 4), &[b"a", b"x", b"b", b"y"]);
        n.push(m, id(9, 0), &[b"c", b"z"]);
        type Pairs = Vec<(Vec<u8>, Vec<u8>)>;
        let got: Vec<(StreamId, Pairs)> = n
            .offsets(m)
            .iter()
            .map(|&at| {
                let e = n.entry_at(m, at as usize);
                (
                    e.id,
                    e.fields().map(|(f, v)| (f.to_vec(), v.to_vec())).collect(),
                )
            })
            .collect();
        assert_eq!(got[0].0, id(5, 3));
        assert_eq!(got[1].1[1], (b"b".to_vec(), b"y".to_vec()));
        assert_eq!(got[2].0, id(9, 0));
        assert_eq!(got[2].1, vec![(b"c".to_vec(), b"z".to_vec())]);
        assert_eq!(n.last_id(m), id(9, 0));
    }

    #[test]
    fn listpack_sizes_follow_redis() {
        // XADD s 1-1 a 1: header 7, count 2, deleted 2, nfields 2, "a" 3, terminator 2,
        // flags 2, ms 2, seq 2, value 2, lp-count 2 = 28.
        let n = Node::new(id(1, 1), &[b"a", b"1"]);
        assert_eq!(n.lp_bytes(), 28);
        assert_eq!(lp_str_size(b"-0"), 4);
        assert_eq!(lp_str_size(&[b'x'; 64]), 67);
        assert_eq!(lp_int_size(128), 3);
    }
}
