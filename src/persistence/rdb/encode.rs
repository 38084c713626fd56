//! Values in Redis's RDB object encoding (rdb.c's rdbSaveObject, RDB version 10): what
//! DUMP returns, MIGRATE sends and an RDB file holds for each key. Each type is written in
//! the encoding Redis 7.0 would use for it (listpack, intset, quicklist of listpacks,
//! stream listpacks), strings integer-encoded or LZF-compressed as Redis decides.

use super::listpack::Writer;
use super::{legacy, lzf, stream, types};
use crate::store::types::set::Set;
use crate::store::types::zset::ZSet;
use crate::store::types::Hash;
use crate::store::{RString, Value};

/// How a quicklist node is cut: Redis's default `list-max-listpack-size -2`, 8 KB, with its
/// estimate of 8 bytes of overhead per element (_quicklistNodeAllowInsert).
const LIST_NODE_BYTES: usize = 8192;

/// Redis's length encoding (rdbSaveLen): 6, 14, 32 or 64 bits.
pub fn len(out: &mut Vec<u8>, n: u64) {
    if n < 1 << 6 {
        out.push(n as u8);
    } else if n < 1 << 14 {
        out.extend_from_slice(&[0x40 | (n >> 8) as u8, n as u8]);
    } else if n <= u64::from(u32::MAX) {
        out.push(0x80);
        out.extend_from_slice(&(n as u32).to_be_bytes());
    } else {
        out.push(0x81);
        out.extend_from_slice(&n.to_be_bytes());
    }
}

/// The integer encodings of a string (rdbEncodeInteger): 8, 16 or 32 bits.
fn int_encoding(out: &mut Vec<u8>, v: i64) -> bool {
    if let Ok(b) = i8::try_from(v) {
        out.extend_from_slice(&[0xC0, b as u8]);
    } else if let Ok(h) = i16::try_from(v) {
        out.push(0xC1);
        out.extend_from_slice(&h.to_le_bytes());
    } else if let Ok(w) = i32::try_from(v) {
        out.push(0xC2);
        out.extend_from_slice(&w.to_le_bytes());
    } else {
        return false;
    }
    true
}

/// A string as rdbSaveRawString writes it: integer-encoded when it is the canonical form
/// of a 32-bit integer (11 bytes at most), LZF-compressed when `compress` and it is over
/// 20 bytes and compression saves at least 4, else plain.
pub fn string(out: &mut Vec<u8>, s: &[u8], compress: bool) {
    if s.len() <= 11 {
        if let Some(v) = crate::protocol::parse::parse_i64(s) {
            if int_encoding(out, v) {
                return;
            }
        }
    }
    if compress && s.len() > 20 {
        if let Some(c) = lzf::compress(s, s.len() - 4) {
            out.push(0xC3);
            len(out, c.len() as u64);
            len(out, s.len() as u64);
            out.extend_from_slice(&c);
            return;
        }
    }
    len(out, s.len() as u64);
    out.extend_from_slice(s);
}

/// An integer string value (rdbSaveLongLongAsStringObject).
fn int_string(out: &mut Vec<u8>, v: i64) {
    if !int_encoding(out, v) {
        let digits = v.to_string();
        len(out, digits.len() as u64);
        out.extend_from_slice(digits.as_bytes());
    }
}

/// The RDB type byte Redis 7.0 writes for `v` in its current encoding.
pub fn object_type(v: &Value) -> u8 {
    match v {
        Value::Str(_) => types::STRING,
        Value::List(_) => types::LIST_QUICKLIST_2,
        Value::Set(s) => match **s {
            Set::Intset(_) => types::SET_INTSET,
            Set::Table(_) => types::SET,
        },
        Value::ZSet(z) => match **z {
            ZSet::Listpack(_) => types::ZSET_LISTPACK,
            ZSet::Skiplist { .. } => types::ZSET_2,
        },
        Value::Hash(h) => match **h {
            Hash::Listpack(_) => types::HASH_LISTPACK,
            Hash::Table(_) => types::HASH,
        },
        Value::Stream(_) => types::STREAM_LISTPACKS_2,
    }
}

/// A score as a sorted set's listpack holds it: an integer when the double is one
/// (double2ll), else its `%.17g` text.
fn lp_score(w: &mut Writer, score: f64) {
    let limit = (i64::MAX / 2) as f64;
    if (-limit..=limit).contains(&score) && score == (score as i64) as f64 {
        w.push_int(score as i64);
    } else {
        w.push(crate::protocol::reply::format_double(score).as_bytes());
    }
}

/// Writes `v`'s payload (after its type byte).
pub fn object(out: &mut Vec<u8>, v: &Value, compress: bool) {
    match v {
        Value::Str(RString::Int(n)) => int_string(out, *n),
        Value::Str(s) => string(out, &s.as_bytes(), compress),
        Value::List(l) => {
            let mut nodes: Vec<Vec<u8>> = Vec::new();
            let mut w = Writer::new();
            for item in &l.items {
                if !w.is_empty() && w.bytes() + item.len() + 8 > LIST_NODE_BYTES {
                    nodes.push(std::mem::take(&mut w).finish());
                }
                w.push(item);
            }
            if !w.is_empty() {
                nodes.push(w.finish());
            }
            len(out, nodes.len() as u64);
            for n in nodes {
                len(out, 2); // QUICKLIST_NODE_CONTAINER_PACKED
                string(out, &n, compress);
            }
        }
        Value::Set(s) => match &**s {
            Set::Intset(v) => string(out, &legacy::build_intset(v), compress),
            Set::Table(_) => {
                let members = s.members();
                len(out, members.len() as u64);
                for m in members {
                    string(out, &m, compress);
                }
            }
        },
        Value::ZSet(z) => match &**z {
            ZSet::Listpack(v) => {
                let mut w = Writer::new();
                for (score, m) in v {
                    w.push(m);
                    lp_score(&mut w, score.0);
                }
                string(out, &w.finish(), compress);
            }
            ZSet::Skiplist { .. } => {
                // Redis writes the skiplist from the greatest element down, so loading
                // inserts each at the head.
                let items: Vec<(&[u8], f64)> = z.iter().collect();
                len(out, items.len() as u64);
                for (m, score) in items.into_iter().rev() {
                    string(out, m, compress);
                    out.extend_from_slice(&score.to_le_bytes());
                }
            }
        },
        Value::Hash(h) => match &**h {
            Hash::Listpack(pairs) => {
                let mut w = Writer::new();
                for (f, v) in pairs {
                    w.push(f);
                    w.push(v);
                }
                string(out, &w.finish(), compress);
            }
            Hash::Table(_) => {
                len(out, h.len() as u64);
                for (f, v) in h.iter() {
                    string(out, f, compress);
                    string(out, v, compress);
                }
            }
        },
        Value::Stream(s) => stream::write(out, s, compress),
    }
}

/// A DUMP payload: type, value, RDB version (2 bytes LE), CRC-64 of all that (8 bytes LE).
pub fn dump_payload(v: &Value, compress: bool) -> Vec<u8> {
    let mut out = vec![object_type(v)];
    object(&mut out, v, compress);
    finish_payload(out)
}

/// Appends the RDB version and the CRC-64 trailer DUMP and FUNCTION DUMP end with.
pub fn finish_payload(mut out: Vec<u8>) -> Vec<u8> {
    out.extend_from_slice(&super::RDB_VERSION.to_le_bytes());
    let crc = super::crc64(&out);
    out.extend_from_slice(&crc.to_le_bytes());
    out
}
