//! Stream records of the snapshot (docs/SNAPSHOT.md, type 0x06): the nodes entry by entry
//! (tombstones included, so a reloaded stream has the same nodes and trims as before), the
//! stream's counters, then the consumer groups with their consumers and pending entries.
//!
//! The loader trusts nothing: IDs must increase, every node and entry must be complete,
//! names must be unique, and a pending entry must name an existing consumer. Nothing is
//! preallocated from a declared count.

use std::io::{self, Read, Write};

use super::snapshot::{write_int, write_len, write_str, LoadError, Source};
use crate::store::types::stream::{Group, Nack, Stream, StreamId, INVALID_ENTRIES_READ};
use crate::store::Value;

fn write_id(w: &mut impl Write, id: StreamId) -> io::Result<()> {
    write_len(w, id.ms)?;
    write_len(w, id.seq)
}

/// Writes a stream's payload (after the record type and key).
pub(super) fn write_stream(w: &mut impl Write, s: &Stream, c: bool) -> io::Result<()> {
    write_len(w, s.node_count() as u64)?;
    for (master, node) in s.nodes() {
        let offsets = node.offsets(master);
        write_len(w, offsets.len() as u64)?;
        for at in offsets {
            let e = node.entry_at(master, at as usize);
            write_id(w, e.id)?;
            w.write_all(&[u8::from(e.deleted)])?;
            write_len(w, e.len() as u64)?;
            for (f, v) in e.fields() {
                write_str(w, f, c)?;
                write_str(w, v, c)?;
            }
        }
    }
    write_id(w, s.last_id)?;
    write_id(w, s.max_deleted_entry_id)?;
    write_len(w, s.entries_added)?;
    write_len(w, s.groups.len() as u64)?;
    for (name, g) in &s.groups {
        write_str(w, name, c)?;
        write_id(w, g.last_id)?;
        write_int(w, g.entries_read)?;
        write_len(w, g.consumers.len() as u64)?;
        for (cname, consumer) in &g.consumers {
            write_str(w, cname, c)?;
            write_len(w, consumer.seen_time)?;
        }
        write_len(w, g.pel.len() as u64)?;
        for (id, nack) in &g.pel {
            write_id(w, *id)?;
            write_len(w, nack.delivery_time)?;
            write_len(w, nack.delivery_count)?;
            write_str(w, &nack.consumer, c)?;
        }
    }
    Ok(())
}

fn read_id<R: Read>(src: &mut Source<R>) -> Result<StreamId, LoadError> {
    Ok(StreamId::new(src.len()?, src.len()?))
}

fn read_name<R: Read>(src: &mut Source<R>) -> Result<Vec<u8>, LoadError> {
    let mut v = Vec::new();
    src.bytes_into(&mut v)?;
    Ok(v)
}

/// Reads a stream's payload, checking it as the module documentation says.
pub(super) fn read_stream<R: Read>(src: &mut Source<R>) -> Result<Value, LoadError> {
    let mut s = Stream::default();
    let nodes = src.len()?;
    let mut prev: Option<StreamId> = None;
    for _ in 0..nodes {
        let count = src.len()?;
        if count == 0 {
            return src.fail("empty stream node");
        }
        let mut entries = Vec::new();
        for _ in 0..count {
            let id = read_id(src)?;
            if prev.is_some_and(|p| id <= p) {
                return src.fail("stream IDs out of order");
            }
            prev = Some(id);
            let deleted = match src.byte()? {
                0 => false,
                1 => true,
                _ => return src.fail("bad stream entry flags"),
            };
            let pairs = src.len()?;
            if pairs == 0 {
                return src.fail("stream entry without fields");
            }
            let mut fields = Vec::new();
            for _ in 0..pairs {
                fields.push(read_name(src)?);
                fields.push(read_name(src)?);
            }
            entries.push((id, deleted, fields));
        }
        s.load_node(&entries);
    }
    s.last_id = read_id(src)?;
    if prev.is_some_and(|p| p > s.last_id) {
        return src.fail("stream last ID below its entries");
    }
    s.max_deleted_entry_id = read_id(src)?;
    s.entries_added = src.len()?;
    if s.entries_added < s.length {
        return src.fail("stream entries-added below its length");
    }
    s.refresh_first_id();
    let groups = src.len()?;
    for _ in 0..groups {
        let name = read_name(src)?;
        let last_id = read_id(src)?;
        let z = src.len()?;
        let entries_read = ((z >> 1) as i64) ^ -((z & 1) as i64);
        if entries_read < INVALID_ENTRIES_READ {
            return src.fail("bad consumer group read counter");
        }
        let mut g = Group::new(last_id, entries_read);
        let consumers = src.len()?;
        for _ in 0..consumers {
            let cname = read_name(src)?;
            let seen = src.len()?;
            if !g.create_consumer(&cname, seen) {
                return src.fail("duplicate consumer");
            }
        }
        let pending = src.len()?;
        for _ in 0..pending {
            let id = read_id(src)?;
            let delivery_time = src.len()?;
            let delivery_count = src.len()?;
            let owner = read_name(src)?;
            let Some(c) = g.consumers.get_mut(&owner) else {
                return src.fail("pending entry of an unknown consumer");
            };
            if !c.pel.insert(id) {
                return src.fail("duplicate pending entry");
            }
            let nack = Nack {
                delivery_time,
                delivery_count,
                consumer: owner,
            };
            if g.pel.insert(id, nack).is_some() {
                return src.fail("duplicate pending entry");
            }
        }
        if s.groups.insert(name, g).is_some() {
            return src.fail("duplicate consumer group");
        }
    }
    Ok(Value::Stream(Box::new(s)))
}

#[cfg(test)]
pub(super) mod tests {
    use super::*;
    use crate::store::types::stream::{NodeLimits, Trim};
    use crate::store::{Store, Ttl};

    /// A stream with two nodes, a tombstone, a trimmed head, a group with a consumer that
    /// has a pending entry and one that has none.
    pub fn sample_stream() -> Stream {
        let mut s = Stream::default();
        let limits = NodeLimits {
            max_entries: 2,
            max_bytes: 4096,
        };
        for i in 1..=5u64 {
            s.append(StreamId::new(i, 0), &[b"f", b"v", b"n", &[i as u8]], limits);
        }
        s.trim(Trim::MaxLen(4), false, 0);
        s.delete(StreamId::new(3, 0));
        s.max_deleted_entry_id = StreamId::new(3, 0);
        let mut g = Group::new(StreamId::new(4, 0), 3);
        g.create_consumer(b"alice", 77);
        g.create_consumer(b"bob", 78);
        g.deliver(StreamId::new(4, 0), b"alice", 99);
        s.groups.insert(b"grp".to_vec(), g);
        s.groups
            .insert(b"empty".to_vec(), Group::new(StreamId::MIN, -1));
        s
    }

    #[test]
    fn streams_round_trip_with_nodes_groups_and_pending_entries() {
        let mut store = Store::new(4);
        let s = sample_stream();
        store.load(1, b"s", Value::Stream(Box::new(s.clone())), Ttl::Clear, 0);
        let mut buf = Vec::new();
        super::super::snapshot::write(&store, &mut buf, 0, true).unwrap();
        let mut back = Store::new(4);
        super::super::snapshot::load(&buf[..], None, &mut back, 0).unwrap();
        let Some(Value::Stream(t)) = back.db(1).get(b"s") else {
            panic!("the stream is back");
        };
        assert_eq!(**t, s);
        assert_eq!(t.first_id, StreamId::new(2, 0));
        assert_eq!(t.node_count(), s.node_count());
    }
}
