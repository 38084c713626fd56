//! Reading RDB values (rdb.c's rdbLoadObject): every object type of RDB versions 1 to 10,
//! legacy encodings included, into redust's types. Used by RESTORE (a payload in memory)
//! and by the file loader (a stream), through one reader that never allocates by a length
//! it has not received: strings arrive in chunks, collections grow element by element.

use std::io::Read;

use super::listpack::{self, Elem};
use super::{legacy, lzf, stream, types};
use crate::store::types::{Hash, Limits, List, Set, ZSet};
use crate::store::Value;

/// Why RDB data cannot be read, and where.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Error {
    /// Byte offset in the input where the problem was found.
    pub offset: u64,
    pub what: String,
}

impl std::fmt::Display for Error {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{} at offset {}", self.what, self.offset)
    }
}

/// Reads RDB primitives from any `io::Read`, counting bytes and, for files, keeping the
/// CRC-64 of what it read.
pub struct Reader<R: Read> {
    inner: R,
    /// Bytes read so far.
    pub offset: u64,
    crc: Option<crc::Digest<'static, u64>>,
}

impl<R: Read> Reader<R> {
    /// A reader; `checksum` keeps the CRC-64 of every byte read.
    pub fn new(inner: R, checksum: bool) -> Reader<R> {
        Reader {
            inner,
            offset: 0,
            crc: checksum.then(|| super::CRC64.digest()),
        }
    }

    /// The CRC-64 of what was read (0 without `checksum`).
    pub fn crc(&self) -> u64 {
        self.crc.clone().map_or(0, |d| d.finalize())
    }

    /// An error at the current offset.
    pub fn fail<T>(&self, what: impl Into<String>) -> Result<T, Error> {
        Err(Error {
            offset: self.offset,
            what: what.into(),
        })
    }

    /// Reads exactly `buf.len()` bytes.
    pub fn exact(&mut self, buf: &mut [u8]) -> Result<(), Error> {
        match self.inner.read_exact(buf) {
            Ok(()) => {
                if let Some(d) = &mut self.crc {
                    d.update(buf);
                }
                self.offset += buf.len() as u64;
                Ok(())
            }
            Err(e) if e.kind() == std::io::ErrorKind::UnexpectedEof => {
                self.fail("unexpected end of data (truncated)")
            }
            Err(e) => self.fail(format!("read error: {e}")),
        }
    }

    /// One byte.
    pub fn byte(&mut self) -> Result<u8, Error> {
        let mut b = [0u8; 1];
        self.exact(&mut b)?;
        Ok(b[0])
    }

    /// `N` bytes.
    pub fn array<const N: usize>(&mut self) -> Result<[u8; N], Error> {
        let mut b = [0u8; N];
        self.exact(&mut b)?;
        Ok(b)
    }

    /// A length, or `Err(encoding)` for the special string encodings (`11xxxxxx`).
    fn len_or_enc(&mut self) -> Result<Result<u64, u8>, Error> {
        let first = self.byte()?;
        Ok(match first >> 6 {
            0 => Ok(u64::from(first & 0x3f)),
            1 => Ok(u64::from(first & 0x3f) << 8 | u64::from(self.byte()?)),
            3 => Err(first & 0x3f),
            _ if first == 0x80 => Ok(u64::from(u32::from_be_bytes(self.array()?))),
            _ if first == 0x81 => Ok(u64::from_be_bytes(self.array()?)),
            _ => return self.fail(format!("invalid length encoding 0x{first:02x}")),
        })
    }

    /// A length (rdbLoadLen).
    pub fn length(&mut self) -> Result<u64, Error> {
        match self.len_or_enc()? {
            Ok(n) => Ok(n),
            Err(_) => self.fail("unexpected encoded length"),
        }
    }

    /// `n` raw bytes, read in chunks so a declared length is never allocated up front.
    pub fn raw(&mut self, n: u64) -> Result<Vec<u8>, Error> {
        let mut out = Vec::new();
        let mut left = n;
        while left > 0 {
            let take = left.min(1 << 16) as usize;
            let start = out.len();
            out.resize(start + take, 0);
            self.exact(&mut out[start..])?;
            left -= take as u64;
        }
        Ok(out)
    }

    /// A string in any of its encodings: plain, integer (8/16/32 bits) or LZF.
    pub fn string(&mut self) -> Result<Vec<u8>, Error> {
        match self.len_or_enc()? {
            Ok(n) => self.raw(n),
            Err(0) => Ok((self.byte()? as i8).to_string().into_bytes()),
            Err(1) => Ok(i16::from_le_bytes(self.array()?).to_string().into_bytes()),
            Err(2) => Ok(i32::from_le_bytes(self.array()?).to_string().into_bytes()),
            Err(3) => {
                let clen = self.length()?;
                let ulen = self.length()?;
                let most = clen
                    .saturating_mul(lzf::MAX_RATIO as u64)
                    .saturating_add(64);
                if ulen == 0 || ulen > most {
                    return self.fail("invalid LZF string length");
                }
                let c = self.raw(clen)?;
                match lzf::decompress(&c, ulen as usize) {
                    Some(v) => Ok(v),
                    None => self.fail("invalid LZF compressed string"),
                }
            }
            Err(e) => self.fail(format!("unknown string encoding {e}")),
        }
    }

    /// A score as RDB_TYPE_ZSET writes it: a length byte then `%.17g` text (253 NaN, 254
    /// +inf, 255 -inf).
    pub fn text_double(&mut self) -> Result<f64, Error> {
        let n = self.byte()?;
        match n {
            253 => Ok(f64::NAN),
            254 => Ok(f64::INFINITY),
            255 => Ok(f64::NEG_INFINITY),
            _ => {
                let b = self.raw(u64::from(n))?;
                match std::str::from_utf8(&b)
                    .ok()
                    .and_then(|s| s.trim().parse().ok())
                {
                    Some(d) => Ok(d),
                    None => self.fail("invalid double"),
                }
            }
        }
    }

    /// A binary double, little-endian.
    pub fn binary_double(&mut self) -> Result<f64, Error> {
        Ok(f64::from_le_bytes(self.array()?))
    }
}

fn elems_to_vecs(v: &[Elem<'_>]) -> Vec<Vec<u8>> {
    v.iter().map(|e| e.to_vec()).collect()
}

/// A score stored in a listpack or ziplist (an integer or its text).
fn elem_score(e: Elem<'_>) -> Option<f64> {
    match e {
        Elem::Int(n) => Some(n as f64),
        Elem::Str(s) => {
            let r = crate::util::strtod::strtod(s);
            (r.end == s.len() && r.end > 0 && !r.value.is_nan()).then_some(r.value)
        }
    }
}

fn hash_from_pairs<R: Read>(
    rd: &Reader<R>,
    pairs: impl Iterator<Item = (Vec<u8>, Vec<u8>)>,
    limits: &Limits,
) -> Result<Value, Error> {
    let mut h = Hash::default();
    for (f, v) in pairs {
        if !h.insert(&f, &v, limits) {
            return rd.fail("duplicate hash field");
        }
    }
    if h.is_empty() {
        return rd.fail("empty hash");
    }
    Ok(Value::Hash(Box::new(h)))
}

fn zset_from_pairs<R: Read>(
    rd: &Reader<R>,
    pairs: impl Iterator<Item = (Vec<u8>, f64)>,
    limits: &Limits,
) -> Result<Value, Error> {
    let mut z = ZSet::new_skiplist();
    for (m, score) in pairs {
        if score.is_nan() {
            return rd.fail("NaN score in a sorted set");
        }
        if !z.insert(&m, score, limits) {
            return rd.fail("duplicate sorted set member");
        }
    }
    if z.is_empty() {
        return rd.fail("empty sorted set");
    }
    z.to_listpack_if_fits(limits);
    Ok(Value::ZSet(Box::new(z)))
}

fn set_from<R: Read>(
    rd: &Reader<R>,
    members: impl Iterator<Item = Vec<u8>>,
    limits: &Limits,
) -> Result<Value, Error> {
    let mut s = Set::default();
    for m in members {
        if !s.insert(&m, limits) {
            return rd.fail("duplicate set member");
        }
    }
    if s.is_empty() {
        return rd.fail("empty set");
    }
    Ok(Value::Set(Box::new(s)))
}

fn pairs_of(v: Vec<Vec<u8>>) -> Option<Vec<(Vec<u8>, Vec<u8>)>> {
    if !v.len().is_multiple_of(2) {
        return None;
    }
    let mut out = Vec::with_capacity(v.len() / 2);
    let mut it = v.into_iter();
    while let (Some(a), Some(b)) = (it.next(), it.next()) {
        out.push((a, b));
    }
    Some(out)
}

/// Reads the value of RDB type `kind` and converts it to redust's representation, in the
/// encoding Redis would give it after loading (thresholds from `limits`).
pub fn object<R: Read>(rd: &mut Reader<R>, kind: u8, limits: &Limits) -> Result<Value, Error> {
    let bad = |rd: &Reader<R>, what: &str| rd.fail::<Value>(format!("invalid {what}"));
    match kind {
        types::STRING => Ok(Value::string(&rd.string()?)),
        types::LIST => {
            let n = rd.length()?;
            let mut l = List::new();
            for _ in 0..n {
                l.items.push_back(rd.string()?);
            }
            if l.is_empty() {
                return rd.fail("empty list");
            }
            Ok(Value::List(Box::new(l)))
        }
        types::SET => {
            let n = rd.length()?;
            let mut members = Vec::new();
            for _ in 0..n {
                members.push(rd.string()?);
            }
            set_from(rd, members.into_iter(), limits)
        }
        types::ZSET | types::ZSET_2 => {
            let n = rd.length()?;
            let mut pairs = Vec::new();
            for _ in 0..n {
                let m = rd.string()?;
                let s = if kind == types::ZSET {
                    rd.text_double()?
                } else {
                    rd.binary_double()?
                };
                pairs.push((m, s));
            }
            zset_from_pairs(rd, pairs.into_iter(), limits)
        }
        types::HASH => {
            let n = rd.length()?;
            let mut pairs = Vec::new();
            for _ in 0..n {
                let f = rd.string()?;
                let v = rd.string()?;
                pairs.push((f, v));
            }
            hash_from_pairs(rd, pairs.into_iter(), limits)
        }
        types::HASH_ZIPMAP => {
            let blob = rd.string()?;
            let Some(pairs) = legacy::zipmap(&blob) else {
                return bad(rd, "zipmap");
            };
            let owned: Vec<_> = pairs
                .iter()
                .map(|(f, v)| (f.to_vec(), v.to_vec()))
                .collect();
            hash_from_pairs(rd, owned.into_iter(), limits)
        }
        types::LIST_ZIPLIST => {
            let blob = rd.string()?;
            let Some(items) = legacy::ziplist(&blob) else {
                return bad(rd, "ziplist");
            };
            if items.is_empty() {
                return rd.fail("empty list");
            }
            let mut l = List::new();
            l.items.extend(elems_to_vecs(&items));
            Ok(Value::List(Box::new(l)))
        }
        types::SET_INTSET => {
            let blob = rd.string()?;
            let Some(values) = legacy::intset(&blob) else {
                return bad(rd, "intset");
            };
            let members = values.into_iter().map(|v| v.to_string().into_bytes());
            set_from(rd, members, limits)
        }
        types::ZSET_ZIPLIST | types::ZSET_LISTPACK => {
            let blob = rd.string()?;
            let items = if kind == types::ZSET_ZIPLIST {
                legacy::ziplist(&blob)
            } else {
                listpack::parse(&blob)
            };
            let Some(items) = items.filter(|v| v.len() % 2 == 0) else {
                return bad(rd, "sorted set listpack");
            };
            let mut pairs = Vec::new();
            for pair in items.chunks_exact(2) {
                let Some(score) = elem_score(pair[1]) else {
                    return bad(rd, "sorted set score");
                };
                pairs.push((pair[0].to_vec(), score));
            }
            zset_from_pairs(rd, pairs.into_iter(), limits)
        }
        types::HASH_ZIPLIST | types::HASH_LISTPACK => {
            let blob = rd.string()?;
            let items = if kind == types::HASH_ZIPLIST {
                legacy::ziplist(&blob)
            } else {
                listpack::parse(&blob)
            };
            let Some(pairs) = items.and_then(|v| pairs_of(elems_to_vecs(&v))) else {
                return bad(rd, "hash listpack");
            };
            hash_from_pairs(rd, pairs.into_iter(), limits)
        }
        types::LIST_QUICKLIST | types::LIST_QUICKLIST_2 => {
            let nodes = rd.length()?;
            let mut l = List::new();
            for _ in 0..nodes {
                let container = if kind == types::LIST_QUICKLIST_2 {
                    rd.length()?
                } else {
                    2
                };
                let blob = rd.string()?;
                match container {
                    // A plain node: one large element as it is.
                    1 => l.items.push_back(blob),
                    2 => {
                        let items = if kind == types::LIST_QUICKLIST {
                            legacy::ziplist(&blob)
                        } else {
                            listpack::parse(&blob)
                        };
                        // Redis skips empty nodes rather than failing.
                        let Some(items) = items else {
                            return bad(rd, "quicklist node");
                        };
                        l.items.extend(elems_to_vecs(&items));
                    }
                    _ => return bad(rd, "quicklist container"),
                }
            }
            if l.is_empty() {
                return rd.fail("empty list");
            }
            Ok(Value::List(Box::new(l)))
        }
        types::STREAM_LISTPACKS | types::STREAM_LISTPACKS_2 => {
            stream::read(rd, kind == types::STREAM_LISTPACKS_2)
        }
        types::MODULE | types::MODULE_2 => {
            rd.fail("module data types are not supported (a key holds a Redis module type)")
        }
        other => rd.fail(format!("unknown object type {other}")),
    }
}

/// Decodes a DUMP payload's value (type byte then value, the 10-byte trailer already
/// checked and cut off). Trailing bytes are an error.
pub fn payload(body: &[u8], limits: &Limits) -> Result<Value, Error> {
    let mut rd = Reader::new(body, false);
    let kind = rd.byte()?;
    let v = object(&mut rd, kind, limits)?;
    if rd.offset as usize != body.len() {
        return rd.fail("trailing bytes in the payload");
    }
    Ok(v)
}
