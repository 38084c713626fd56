//! Streams in RDB (RDB_TYPE_STREAM_LISTPACKS and _2): each node as the listpack Redis keeps
//! it under its master ID (master entry, then entries as deltas, SAMEFIELDS when an entry
//! has the master fields), the stream's counters, then the consumer groups with their
//! pending entries and consumers.
//!
//! Reading checks what Redis's deep sanitisation checks: the master entry's counts, each
//! entry's flags and element count, IDs increasing across the stream, the length, and that
//! every pending entry has a consumer (redust keeps the owner in each entry).

use std::io::Read;

use super::decode::{Error, Reader};
use super::encode::{len, string};
use super::listpack::{self, Elem, Writer};
use crate::store::types::stream::{Group, Nack, Stream, StreamId};
use crate::store::Value;

const FLAG_DELETED: i64 = 1;
const FLAG_SAMEFIELDS: i64 = 2;

fn raw_id(out: &mut Vec<u8>, id: StreamId) {
    out.extend_from_slice(&id.ms.to_be_bytes());
    out.extend_from_slice(&id.seq.to_be_bytes());
}

/// The node listpack of `master`.
fn node_listpack(master: StreamId, node: &crate::store::types::stream::node::Node) -> Vec<u8> {
    let mut w = Writer::new();
    w.push_int(i64::from(node.live));
    w.push_int(i64::from(node.deleted));
    let fields: Vec<&[u8]> = node.master_fields().collect();
    w.push_int(fields.len() as i64);
    for f in &fields {
        w.push(f);
    }
    w.push_int(0);
    for at in node.offsets(master) {
        let e = node.entry_at(master, at as usize);
        let pairs: Vec<(&[u8], &[u8])> = e.fields().collect();
        let same = pairs.len() == fields.len() && pairs.iter().zip(&fields).all(|(p, f)| p.0 == *f);
        let flags =
            if e.deleted { FLAG_DELETED } else { 0 } | if same { FLAG_SAMEFIELDS } else { 0 };
        w.push_int(flags);
        w.push_int(e.id.ms.wrapping_sub(master.ms) as i64);
        w.push_int(e.id.seq.wrapping_sub(master.seq) as i64);
        if same {
            for (_, v) in &pairs {
                w.push(v);
            }
        } else {
            w.push_int(pairs.len() as i64);
            for (f, v) in &pairs {
                w.push(f);
                w.push(v);
            }
        }
        let count = 3 + pairs.len() + if same { 0 } else { pairs.len() + 1 };
        w.push_int(count as i64);
    }
    w.finish()
}

/// Writes a stream's payload (RDB_TYPE_STREAM_LISTPACKS_2).
pub fn write(out: &mut Vec<u8>, s: &Stream, compress: bool) {
    len(out, s.node_count() as u64);
    for (master, node) in s.nodes() {
        let mut key = Vec::with_capacity(16);
        raw_id(&mut key, master);
        string(out, &key, compress);
        string(out, &node_listpack(master, node), compress);
    }
    len(out, s.length);
    for id in [s.last_id, s.first_id, s.max_deleted_entry_id] {
        len(out, id.ms);
        len(out, id.seq);
    }
    len(out, s.entries_added);
    len(out, s.groups.len() as u64);
    for (name, g) in &s.groups {
        string(out, name, compress);
        len(out, g.last_id.ms);
        len(out, g.last_id.seq);
        len(out, g.entries_read as u64);
        len(out, g.pel.len() as u64);
        for (id, nack) in &g.pel {
            raw_id(out, *id);
            out.extend_from_slice(&nack.delivery_time.to_le_bytes());
            len(out, nack.delivery_count);
        }
        len(out, g.consumers.len() as u64);
        for (cname, c) in &g.consumers {
            string(out, cname, compress);
            out.extend_from_slice(&c.seen_time.to_le_bytes());
            len(out, c.pel.len() as u64);
            for id in &c.pel {
                raw_id(out, *id);
            }
        }
    }
}

fn read_raw_id<R: Read>(rd: &mut Reader<R>) -> Result<StreamId, Error> {
    let b: [u8; 16] = rd.array()?;
    Ok(StreamId::new(
        u64::from_be_bytes(b[..8].try_into().expect("8")),
        u64::from_be_bytes(b[8..].try_into().expect("8")),
    ))
}

type Entries = Vec<(StreamId, bool, Vec<Vec<u8>>)>;

/// Decodes one node listpack into its entries.
fn node_entries(master: StreamId, lp: &[Elem<'_>]) -> Option<Entries> {
    let mut it = lp.iter().copied();
    let int = |it: &mut dyn Iterator<Item = Elem<'_>>| it.next()?.as_int();
    let live = int(&mut it)?;
    let deleted = int(&mut it)?;
    let nmaster = usize::try_from(int(&mut it)?).ok()?;
    let mut fields = Vec::new();
    for _ in 0..nmaster {
        fields.push(it.next()?.to_vec());
    }
    if int(&mut it)? != 0 {
        return None;
    }
    let mut out: Entries = Vec::new();
    let (mut seen_live, mut seen_deleted) = (0i64, 0i64);
    while let Some(flags) = it.next() {
        let flags = flags.as_int()?;
        if !(0..=3).contains(&flags) {
            return None;
        }
        let ms = master.ms.wrapping_add(int(&mut it)? as u64);
        let seq = master.seq.wrapping_add(int(&mut it)? as u64);
        let mut pairs = Vec::new();
        let n = if flags & FLAG_SAMEFIELDS != 0 {
            for f in &fields {
                pairs.push(f.clone());
                pairs.push(it.next()?.to_vec());
            }
            fields.len()
        } else {
            let n = usize::try_from(int(&mut it)?).ok()?;
            for _ in 0..2 * n {
                pairs.push(it.next()?.to_vec());
            }
            n
        };
        let count = 3
            + n
            + if flags & FLAG_SAMEFIELDS != 0 {
                0
            } else {
                n + 1
            };
        if int(&mut it)? != count as i64 || n == 0 {
            return None;
        }
        let deleted = flags & FLAG_DELETED != 0;
        if deleted {
            seen_deleted += 1;
        } else {
            seen_live += 1;
        }
        out.push((StreamId::new(ms, seq), deleted, pairs));
    }
    (seen_live == live && seen_deleted == deleted && !out.is_empty()).then_some(out)
}

/// Reads a stream's payload; `v2` for RDB_TYPE_STREAM_LISTPACKS_2 (Redis 7.0), which adds
/// the first and max-deleted IDs, entries-added and each group's read counter.
pub fn read<R: Read>(rd: &mut Reader<R>, v2: bool) -> Result<Value, Error> {
    let mut s = Stream::default();
    let nodes = rd.length()?;
    let mut prev: Option<StreamId> = None;
    for _ in 0..nodes {
        let key = rd.string()?;
        if key.len() != 16 {
            return rd.fail("stream node key is not the size of a stream ID");
        }
        let master = StreamId::new(
            u64::from_be_bytes(key[..8].try_into().expect("8")),
            u64::from_be_bytes(key[8..].try_into().expect("8")),
        );
        let blob = rd.string()?;
        let entries = listpack::parse(&blob).and_then(|lp| node_entries(master, &lp));
        let Some(entries) = entries else {
            return rd.fail("stream listpack integrity check failed");
        };
        for (id, ..) in &entries {
            if prev.is_some_and(|p| *id <= p) || *id < master {
                return rd.fail("stream IDs out of order");
            }
            prev = Some(*id);
        }
        s.load_node(&entries);
    }
    let length = rd.length()?;
    if length != s.length {
        return rd.fail("stream length inconsistent with its entries");
    }
    s.last_id = StreamId::new(rd.length()?, rd.length()?);
    if prev.is_some_and(|p| p > s.last_id) {
        return rd.fail("stream last ID below its entries");
    }
    if v2 {
        // The first ID is recomputed from the entries; Redis's must agree.
        let _first = StreamId::new(rd.length()?, rd.length()?);
        s.max_deleted_entry_id = StreamId::new(rd.length()?, rd.length()?);
        s.entries_added = rd.length()?;
    } else {
        s.entries_added = s.length;
    }
    s.refresh_first_id();
    let groups = rd.length()?;
    for _ in 0..groups {
        let name = rd.string()?;
        let last_id = StreamId::new(rd.length()?, rd.length()?);
        let entries_read = if v2 {
            rd.length()? as i64
        } else {
            s.estimate_distance(last_id)
        };
        let mut g = Group::new(last_id, entries_read);
        let pending = rd.length()?;
        let mut nacks = std::collections::BTreeMap::new();
        for _ in 0..pending {
            let id = read_raw_id(rd)?;
            let delivery_time = u64::from_le_bytes(rd.array()?);
            let delivery_count = rd.length()?;
            if nacks.insert(id, (delivery_time, delivery_count)).is_some() {
                return rd.fail("duplicated global PEL entry");
            }
        }
        let consumers = rd.length()?;
        for _ in 0..consumers {
            let cname = rd.string()?;
            let seen = u64::from_le_bytes(rd.array()?);
            if !g.create_consumer(&cname, seen) {
                return rd.fail("duplicate stream consumer");
            }
            let owned = rd.length()?;
            for _ in 0..owned {
                let id = read_raw_id(rd)?;
                let Some((delivery_time, delivery_count)) = nacks.remove(&id) else {
                    return rd.fail("consumer entry not found in the group's PEL");
                };
                let c = g.consumers.get_mut(&cname).expect("just created");
                c.pel.insert(id);
                let nack = Nack {
                    delivery_time,
                    delivery_count,
                    consumer: cname.clone(),
                };
                g.pel.insert(id, nack);
            }
        }
        if !nacks.is_empty() {
            return rd.fail("stream group PEL entry without consumer");
        }
        if s.groups.insert(name, g).is_some() {
            return rd.fail("duplicated consumer group name");
        }
    }
    Ok(Value::Stream(Box::new(s)))
}
