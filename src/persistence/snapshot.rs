//! The snapshot format (docs/SNAPSHOT.md): writer and loader.
//!
//! The writer streams to any `io::Write`, so SAVE, the forked BGSAVE child and DEBUG RELOAD
//! share it. The loader reads from any `io::Read` and never allocates by a length it has
//! not received: strings grow as their bytes arrive, so a truncated or hostile file costs
//! at most what it contains.

use std::io::{self, BufReader, BufWriter, Read, Write};

use crate::store::types::{Hash, Limits, List, Set, ZSet};
use crate::store::{RString, Store, Ttl, Value};

/// The file starts with these bytes...
pub const MAGIC: &[u8; 6] = b"REDUST";
/// ...then the format version as four ASCII digits.
/// Version 2 added the list, hash, set and sorted-set records, version 3 streams and
/// FUNCTION libraries; older files still load.
/// Version 4 LZF-compresses long strings.
pub const VERSION: u16 = 4;

/// Record opcodes.
const OP_SELECT_DB: u8 = 0xFE;
const OP_EXPIRE_MS: u8 = 0xFC;
const OP_RESIZE: u8 = 0xFB;
const OP_EOF: u8 = 0xFF;
/// A FUNCTION library's code (Redis's RDB_OPCODE_FUNCTION2 byte).
const OP_FUNCTION: u8 = 0xF5;
/// In place of a string's length: an LZF-compressed string follows (version 4).
const OP_LZF: u8 = 0xC3;
/// Value types.
const TYPE_STRING: u8 = 0x00;
const TYPE_INT: u8 = 0x01;
const TYPE_LIST: u8 = 0x02;
const TYPE_HASH: u8 = 0x03;
const TYPE_SET: u8 = 0x04;
const TYPE_ZSET: u8 = 0x05;
const TYPE_STREAM: u8 = 0x06;

/// A writer that keeps the CRC-32 of everything written through it.
struct Checksummed<W: Write> {
    inner: W,
    crc: crc32fast::Hasher,
    written: u64,
}

impl<W: Write> Write for Checksummed<W> {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        let n = self.inner.write(buf)?;
        self.crc.update(&buf[..n]);
        self.written += n as u64;
        Ok(n)
    }
    fn flush(&mut self) -> io::Result<()> {
        self.inner.flush()
    }
}

/// Redis-style length encoding: 6, 14, 32 or 64 bits depending on the value.
pub(super) fn write_len(w: &mut impl Write, n: u64) -> io::Result<()> {
    if n < 1 << 6 {
        w.write_all(&[n as u8])
    } else if n < 1 << 14 {
        w.write_all(&[0x40 | (n >> 8) as u8, n as u8])
    } else if n <= u64::from(u32::MAX) {
        w.write_all(&[0x80])?;
        w.write_all(&(n as u32).to_be_bytes())
    } else {
        w.write_all(&[0x81])?;
        w.write_all(&n.to_be_bytes())
    }
}

/// A string: its length then its bytes; or, when `compress` and it is over 20 bytes and
/// LZF saves at least 4 (Redis's rule for RDB strings), `0xC3 len(compressed)
/// len(original)` then the LZF bytes (version 4).
pub(super) fn write_str(w: &mut impl Write, b: &[u8], compress: bool) -> io::Result<()> {
    if compress && b.len() > 20 {
        if let Some(c) = super::rdb::lzf::compress(b, b.len() - 4) {
            w.write_all(&[OP_LZF])?;
            write_len(w, c.len() as u64)?;
            write_len(w, b.len() as u64)?;
            return w.write_all(&c);
        }
    }
    write_len(w, b.len() as u64)?;
    w.write_all(b)
}

/// Zigzag so small negative integers stay small, then the length encoding.
pub(super) fn write_int(w: &mut impl Write, n: i64) -> io::Result<()> {
    write_len(w, ((n << 1) ^ (n >> 63)) as u64)
}

/// Writes every database of `store` to `out`. Keys already expired at `now_ms` are left
/// out. Returns the number of bytes written.
/// Strings over 20 bytes are LZF-compressed when `compress` (rdbcompression) and it saves
/// space.
pub fn write(store: &Store, out: impl Write, now_ms: u64, compress: bool) -> io::Result<u64> {
    let mut w = Checksummed {
        inner: BufWriter::with_capacity(1 << 16, out),
        crc: crc32fast::Hasher::new(),
        written: 0,
    };
    w.write_all(MAGIC)?;
    w.write_all(format!("{VERSION:04}").as_bytes())?;
    for code in &store.libraries {
        w.write_all(&[OP_FUNCTION])?;
        write_str(&mut w, code, compress)?;
    }
    for (index, db) in store.dbs().iter().enumerate() {
        if db.is_empty() {
            continue;
        }
        w.write_all(&[OP_SELECT_DB])?;
        write_len(&mut w, index as u64)?;
        w.write_all(&[OP_RESIZE])?;
        write_len(&mut w, db.len() as u64)?;
        write_len(&mut w, db.expires_len() as u64)?;
        for (key, value) in db.entries() {
            if let Some(deadline) = db.deadline(key) {
                if deadline <= now_ms {
                    continue;
                }
                w.write_all(&[OP_EXPIRE_MS])?;
                w.write_all(&deadline.to_le_bytes())?;
            }
            write_value_with_key(&mut w, key, value, compress)?;
        }
    }
    w.write_all(&[OP_EOF])?;
    let crc = w.crc.clone().finalize();
    let total = w.written + 4;
    let mut inner = w.inner;
    inner.write_all(&crc.to_le_bytes())?;
    inner.flush()?;
    Ok(total)
}

/// A record is its type byte, the key, then the value's payload.
fn write_value_with_key(w: &mut impl Write, key: &[u8], v: &Value, c: bool) -> io::Result<()> {
    match v {
        Value::Str(RString::Int(n)) => {
            w.write_all(&[TYPE_INT])?;
            write_str(w, key, c)?;
            write_int(w, *n)
        }
        Value::Str(s) => {
            w.write_all(&[TYPE_STRING])?;
            write_str(w, key, c)?;
            write_str(w, &s.as_bytes(), c)
        }
        Value::List(l) => {
            w.write_all(&[TYPE_LIST])?;
            write_str(w, key, c)?;
            write_len(w, l.len() as u64)?;
            l.items.iter().try_for_each(|e| write_str(w, e, c))
        }
        Value::Hash(h) => {
            w.write_all(&[TYPE_HASH])?;
            write_str(w, key, c)?;
            write_len(w, h.len() as u64)?;
            h.iter().try_for_each(|(f, v)| {
                write_str(w, f, c)?;
                write_str(w, v, c)
            })
        }
        Value::Set(s) => {
            w.write_all(&[TYPE_SET])?;
            write_str(w, key, c)?;
            write_len(w, s.len() as u64)?;
            s.members().iter().try_for_each(|m| write_str(w, m, c))
        }
        Value::ZSet(z) => {
            w.write_all(&[TYPE_ZSET])?;
            write_str(w, key, c)?;
            write_len(w, z.len() as u64)?;
            z.iter().try_for_each(|(m, score)| {
                write_str(w, m, c)?;
                w.write_all(&score.to_bits().to_le_bytes())
            })
        }
        Value::Stream(s) => {
            w.write_all(&[TYPE_STREAM])?;
            write_str(w, key, c)?;
            super::snapshot_stream::write_stream(w, s, c)
        }
    }
}

/// Why a snapshot cannot be loaded, and where.
#[derive(Debug, PartialEq, Eq)]
pub struct LoadError {
    /// Byte offset in the file where the problem was found.
    pub offset: u64,
    pub what: String,
}

impl std::fmt::Display for LoadError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{} at offset {}", self.what, self.offset)
    }
}

/// What a successful load found.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct Loaded {
    pub keys: u64,
    /// Keys whose deadline had passed; not loaded.
    pub expired: u64,
}

impl Loaded {
    /// Stores a key read from a file, or counts it as expired if its deadline has passed
    /// (both formats load the same way).
    pub(super) fn store(
        &mut self,
        store: &mut Store,
        db: usize,
        key: &[u8],
        value: Value,
        deadline: Option<u64>,
        now_ms: u64,
    ) {
        let ttl = match deadline {
            Some(d) if d <= now_ms => {
                self.expired += 1;
                return;
            }
            Some(d) => Ttl::At(d),
            None => Ttl::Clear,
        };
        store.load(db, key, value, ttl, now_ms);
        self.keys += 1;
    }
}

/// A reader that counts bytes and keeps the CRC-32 of what it returned.
pub(super) struct Source<R: Read> {
    inner: BufReader<R>,
    offset: u64,
    crc: crc32fast::Hasher,
    /// The file's version has LZF strings (4 and later).
    lzf: bool,
}

impl<R: Read> Source<R> {
    pub(super) fn fail<T>(&self, what: impl Into<String>) -> Result<T, LoadError> {
        Err(LoadError {
            offset: self.offset,
            what: what.into(),
        })
    }

    pub(super) fn exact(&mut self, buf: &mut [u8]) -> Result<(), LoadError> {
        match self.inner.read_exact(buf) {
            Ok(()) => {
                self.crc.update(buf);
                self.offset += buf.len() as u64;
                Ok(())
            }
            Err(e) if e.kind() == io::ErrorKind::UnexpectedEof => {
                self.fail("unexpected end of file (truncated snapshot)")
            }
            Err(e) => self.fail(format!("read error: {e}")),
        }
    }

    pub(super) fn byte(&mut self) -> Result<u8, LoadError> {
        let mut b = [0u8; 1];
        self.exact(&mut b)?;
        Ok(b[0])
    }

    pub(super) fn len(&mut self) -> Result<u64, LoadError> {
        let first = self.byte()?;
        self.len_from(first)
    }

    fn len_from(&mut self, first: u8) -> Result<u64, LoadError> {
        match first >> 6 {
            0 => Ok(u64::from(first & 0x3f)),
            1 => Ok(u64::from(first & 0x3f) << 8 | u64::from(self.byte()?)),
            _ if first == 0x80 => {
                let mut b = [0u8; 4];
                self.exact(&mut b)?;
                Ok(u64::from(u32::from_be_bytes(b)))
            }
            _ if first == 0x81 => {
                let mut b = [0u8; 8];
                self.exact(&mut b)?;
                Ok(u64::from_be_bytes(b))
            }
            _ => self.fail(format!("invalid length encoding 0x{first:02x}")),
        }
    }

    /// A length-prefixed string into `out` (cleared first), read in chunks so that the
    /// declared length is never allocated before the bytes are there.
    pub(super) fn bytes_into(&mut self, out: &mut Vec<u8>) -> Result<(), LoadError> {
        let first = self.byte()?;
        if first == OP_LZF && self.lzf {
            let clen = self.len()?;
            let ulen = self.len()?;
            // LZF expands at most 88 times: a larger claim is corruption, refused before
            // anything is allocated for it.
            let max = clen.saturating_mul(super::rdb::lzf::MAX_RATIO as u64);
            if ulen == 0 || ulen > max {
                return self.fail("invalid compressed string length");
            }
            let mut c = Vec::new();
            self.read_chunks(&mut c, clen)?;
            return match super::rdb::lzf::decompress(&c, ulen as usize) {
                Some(v) => {
                    *out = v;
                    Ok(())
                }
                None => self.fail("invalid compressed string"),
            };
        }
        let n = self.len_from(first)?;
        self.read_chunks(out, n)
    }

    /// `n` bytes into `out` (cleared first), in chunks as they arrive.
    fn read_chunks(&mut self, out: &mut Vec<u8>, n: u64) -> Result<(), LoadError> {
        out.clear();
        let mut left = n;
        while left > 0 {
            let take = left.min(8192) as usize;
            let start = out.len();
            out.resize(start + take, 0);
            self.exact(&mut out[start..])?;
            left -= take as u64;
        }
        Ok(())
    }
}

/// Reads as many bytes as `buf` holds, or fewer at the end of the input.
fn read_up_to(input: &mut impl Read, buf: &mut [u8]) -> usize {
    let mut got = 0;
    while got < buf.len() {
        match input.read(&mut buf[got..]) {
            Ok(0) => break,
            Ok(n) => got += n,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(_) => break,
        }
    }
    got
}

/// Reads a collection's elements. The declared count is never used to preallocate: each
/// element must actually arrive. Duplicates and empty collections are corruption.
fn read_collection<R: Read>(
    src: &mut Source<R>,
    op: u8,
    limits: &Limits,
) -> Result<Value, LoadError> {
    let count = src.len()?;
    if count == 0 {
        return src.fail("empty collection");
    }
    let (mut a, mut b) = (Vec::new(), Vec::new());
    let duplicate = |src: &Source<R>| src.fail::<Value>("duplicate element in a collection");
    match op {
        TYPE_LIST => {
            let mut l = List::new();
            for _ in 0..count {
                src.bytes_into(&mut a)?;
                l.items.push_back(a.clone());
            }
            Ok(Value::List(Box::new(l)))
        }
        TYPE_HASH => {
            let mut h = Hash::default();
            for _ in 0..count {
                src.bytes_into(&mut a)?;
                src.bytes_into(&mut b)?;
                if !h.insert(&a, &b, limits) {
                    return duplicate(src);
                }
            }
            Ok(Value::Hash(Box::new(h)))
        }
        TYPE_SET => {
            let mut s = Set::default();
            for _ in 0..count {
                src.bytes_into(&mut a)?;
                if !s.insert(&a, limits) {
                    return duplicate(src);
                }
            }
            Ok(Value::Set(Box::new(s)))
        }
        _ => {
            // As Redis: loaded into a skiplist, then made a listpack if it fits one.
            let mut z = ZSet::new_skiplist();
            for _ in 0..count {
                src.bytes_into(&mut a)?;
                let mut bits = [0u8; 8];
                src.exact(&mut bits)?;
                let score = f64::from_bits(u64::from_le_bytes(bits));
                if score.is_nan() {
                    return src.fail("NaN score in a sorted set");
                }
                if !z.insert(&a, score, limits) {
                    return duplicate(src);
                }
            }
            z.to_listpack_if_fits(limits);
            Ok(Value::ZSet(Box::new(z)))
        }
    }
}

/// Loads a snapshot into `store` (which must be empty), dropping keys whose deadline is at
/// or before `now_ms`. On error the store may hold part of the data; discard it.
///
/// `input_len`, when known, bounds the size hints the file gives (a key takes at least
/// three bytes), so a hostile hint cannot make the loader preallocate more than the input
/// justifies.
pub fn load(
    input: impl Read,
    input_len: Option<u64>,
    store: &mut Store,
    now_ms: u64,
) -> Result<Loaded, LoadError> {
    let mut input = input;
    let mut magic = [0u8; 5];
    let got = read_up_to(&mut input, &mut magic);
    if got == 5 && &magic == b"REDIS" {
        // A Redis RDB file: its own loader, from the first byte.
        return super::rdb::file::load(
            io::Read::chain(&magic[..], input),
            input_len,
            store,
            now_ms,
        )
        .map_err(|e| LoadError {
            offset: e.offset,
            what: format!("RDB file: {}", e.what),
        });
    }
    let input = io::Read::chain(&magic[..got], input);
    let mut src = Source {
        inner: BufReader::with_capacity(1 << 16, input),
        offset: 0,
        crc: crc32fast::Hasher::new(),
        lzf: false,
    };
    let mut header = [0u8; 10];
    src.exact(&mut header)
        .or_else(|_| src.fail("file too short for a snapshot header"))?;
    if &header[..6] != MAGIC {
        return Err(LoadError {
            offset: 0,
            what: "not a redust snapshot (bad magic)".into(),
        });
    }
    let version = std::str::from_utf8(&header[6..])
        .ok()
        .and_then(|s| s.parse::<u16>().ok());
    let version = match version {
        Some(v) if (1..=VERSION).contains(&v) => v,
        Some(v) => {
            return Err(LoadError {
                offset: 6,
                what: format!(
                    "snapshot format version {v} is newer than this redust reads ({VERSION})"
                ),
            })
        }
        None => {
            return Err(LoadError {
                offset: 6,
                what: "unreadable snapshot format version".into(),
            })
        }
    };
    src.lzf = version >= 4;
    let mut loaded = Loaded::default();
    // Scratch buffers reused for every key and value: the stored copies are made once.
    let (mut key, mut raw) = (Vec::new(), Vec::new());
    let mut db_index: Option<usize> = None;
    let mut deadline: Option<u64> = None;
    loop {
        let at = src.offset;
        let op = src.byte()?;
        match op {
            OP_EOF => break,
            OP_SELECT_DB => {
                let n = src.len()?;
                if n >= store.db_count() as u64 {
                    return src.fail(format!(
                        "database {n} does not exist (databases is {})",
                        store.db_count()
                    ));
                }
                db_index = Some(n as usize);
            }
            OP_RESIZE => {
                let (keys, expires) = (src.len()?, src.len()?);
                if let (Some(index), Some(len)) = (db_index, input_len) {
                    let cap = len / 3;
                    store.reserve(index, keys.min(cap) as usize, expires.min(cap) as usize);
                }
            }
            OP_FUNCTION if version >= 3 => {
                let mut code = Vec::new();
                src.bytes_into(&mut code)?;
                store.libraries.push(code);
            }
            OP_EXPIRE_MS => {
                let mut b = [0u8; 8];
                src.exact(&mut b)?;
                deadline = Some(u64::from_le_bytes(b));
            }
            TYPE_STRING | TYPE_INT | TYPE_LIST | TYPE_HASH | TYPE_SET | TYPE_ZSET | TYPE_STREAM => {
                let Some(index) = db_index else {
                    return src.fail("key before any database selector");
                };
                if (op > TYPE_INT && version < 2) || (op == TYPE_STREAM && version < 3) {
                    return Err(LoadError {
                        offset: at,
                        what: format!("unknown record type 0x{op:02x}"),
                    });
                }
                src.bytes_into(&mut key)?;
                let value = match op {
                    TYPE_INT => {
                        let z = src.len()?;
                        Value::Str(RString::Int(((z >> 1) as i64) ^ -((z & 1) as i64)))
                    }
                    TYPE_STRING => {
                        src.bytes_into(&mut raw)?;
                        Value::string(&raw)
                    }
                    TYPE_STREAM => super::snapshot_stream::read_stream(&mut src)?,
                    _ => read_collection(&mut src, op, &store.limits)?,
                };
                loaded.store(store, index, &key, value, deadline.take(), now_ms);
            }
            other => {
                return Err(LoadError {
                    offset: at,
                    what: format!("unknown record type 0x{other:02x}"),
                })
            }
        }
    }
    let computed = src.crc.clone().finalize();
    let mut stored = [0u8; 4];
    let at = src.offset;
    match src.inner.read_exact(&mut stored) {
        Ok(()) => {}
        Err(_) => {
            return Err(LoadError {
                offset: at,
                what: "unexpected end of file (missing checksum)".into(),
            })
        }
    }
    if u32::from_le_bytes(stored) != computed {
        return Err(LoadError {
            offset: at,
            what: format!(
                "checksum mismatch (file says {:08x}, contents give {computed:08x})",
                u32::from_le_bytes(stored)
            ),
        });
    }
    let mut extra = [0u8; 1];
    if matches!(src.inner.read(&mut extra), Ok(n) if n > 0) {
        return Err(LoadError {
            offset: at + 4,
            what: "trailing bytes after the checksum".into(),
        });
    }
    Ok(loaded)
}

#[cfg(test)]
#[path = "snapshot_tests.rs"]
mod tests;
