//! RDB files (rdb.c's rdbSaveRio / rdbLoadRio): `REDIS` + 4-digit version, aux fields,
//! function libraries, then per database SELECTDB, RESIZEDB and the keys (each optionally
//! preceded by its expiry and LRU / LFU hints), EOF and the CRC-64.
//!
//! Loading reads versions 1 to 10 and never modifies the file; module data and unknown
//! opcodes are refused by name. Writing produces version 10 as Redis 7.0.15 does, so
//! redis-server and redis-check-rdb accept it.

use std::io::{self, BufReader, BufWriter, Read, Write};

use super::decode::{self, Error, Reader};
use super::{encode, types, RDB_VERSION};
use crate::persistence::snapshot::Loaded;
use crate::store::Store;

pub const OP_FUNCTION2: u8 = 245;
pub const OP_FUNCTION: u8 = 246;
const OP_MODULE_AUX: u8 = 247;
const OP_IDLE: u8 = 248;
const OP_FREQ: u8 = 249;
const OP_AUX: u8 = 250;
const OP_RESIZEDB: u8 = 251;
const OP_EXPIRETIME_MS: u8 = 252;
const OP_EXPIRETIME: u8 = 253;
const OP_SELECTDB: u8 = 254;
const OP_EOF: u8 = 255;

/// What loading an RDB file may be told about its origin (logged).
#[derive(Debug, Default)]
pub struct Aux {
    pub redis_ver: Option<String>,
    pub ctime: Option<u64>,
}

/// Loads an RDB file into `store` (empty), dropping keys whose deadline is at or before
/// `now_ms`. `input_len`, when known, bounds the size hints. On error the store may hold
/// part of the data; discard it.
pub fn load(
    input: impl Read,
    input_len: Option<u64>,
    store: &mut Store,
    now_ms: u64,
) -> Result<Loaded, Error> {
    let mut rd = Reader::new(BufReader::with_capacity(1 << 16, input), true);
    let header: [u8; 9] = rd.array()?;
    if &header[..5] != b"REDIS" {
        return rd.fail("wrong signature trying to load an RDB file");
    }
    let version = std::str::from_utf8(&header[5..])
        .ok()
        .and_then(|s| s.parse::<u16>().ok());
    let version = match version {
        Some(v) if (1..=RDB_VERSION).contains(&v) => v,
        Some(v) => {
            return rd.fail(format!(
                "can't handle RDB format version {v} (this reads versions 1 to {RDB_VERSION}, Redis 7.0's)"
            ))
        }
        None => return rd.fail("unreadable RDB format version"),
    };
    let mut loaded = Loaded::default();
    let mut aux = Aux::default();
    let mut db = 0usize;
    let mut deadline: Option<u64> = None;
    let limits = store.limits;
    loop {
        let at = rd.offset;
        let op = rd.byte()?;
        match op {
            OP_EOF => break,
            OP_SELECTDB => {
                let n = rd.length()?;
                if n >= store.db_count() as u64 {
                    return rd.fail(format!(
                        "database {n} does not exist (databases is {})",
                        store.db_count()
                    ));
                }
                db = n as usize;
            }
            OP_RESIZEDB => {
                let (keys, expires) = (rd.length()?, rd.length()?);
                if let Some(len) = input_len {
                    let cap = len / 3;
                    store.reserve(db, keys.min(cap) as usize, expires.min(cap) as usize);
                }
            }
            OP_EXPIRETIME => {
                let secs = u32::from_le_bytes(rd.array()?);
                deadline = Some(u64::from(secs) * 1000);
            }
            OP_EXPIRETIME_MS => deadline = Some(u64::from_le_bytes(rd.array()?)),
            OP_FREQ => {
                rd.byte()?;
            }
            OP_IDLE => {
                rd.length()?;
            }
            OP_AUX => {
                let key = rd.string()?;
                let value = rd.string()?;
                let text = String::from_utf8_lossy(&value).into_owned();
                match &key[..] {
                    b"redis-ver" => aux.redis_ver = Some(text),
                    b"ctime" => aux.ctime = text.parse().ok(),
                    _ => {}
                }
            }
            OP_MODULE_AUX => {
                let id = rd.length()?;
                return Err(Error {
                    offset: at,
                    what: format!(
                        "the RDB file holds auxiliary data of a Redis module (module id {id:#x}); redust has no modules"
                    ),
                });
            }
            OP_FUNCTION | OP_FUNCTION2 => {
                let code = super::read_function(&mut rd, op).map_err(|e| Error {
                    offset: at,
                    what: format!("failed loading a function library: {e}"),
                })?;
                store.libraries.push(code);
            }
            t if types::is_object(t) => {
                let key = rd.string()?;
                let value = match decode::object(&mut rd, t, &limits) {
                    Ok(v) => v,
                    // Redis 7.0 skips empty collections (older versions could write them).
                    Err(e) if e.what.starts_with("empty ") => {
                        log::warn!(
                            "rdbLoadObject skipping empty key: {}",
                            String::from_utf8_lossy(&key)
                        );
                        deadline = None;
                        continue;
                    }
                    Err(e) => {
                        return Err(Error {
                            offset: e.offset,
                            what: format!("key '{}': {}", String::from_utf8_lossy(&key), e.what),
                        })
                    }
                };
                if store.db(db).get(&key).is_some() {
                    return Err(Error {
                        offset: at,
                        what: format!("duplicate key '{}'", String::from_utf8_lossy(&key)),
                    });
                }
                loaded.store(store, db, &key, value, deadline.take(), now_ms);
            }
            other => {
                return Err(Error {
                    offset: at,
                    what: format!("unknown RDB opcode or object type {other} (0x{other:02x})"),
                })
            }
        }
    }
    if version >= 5 {
        let computed = rd.crc();
        let stored = u64::from_le_bytes(rd.array()?);
        if stored != 0 && stored != computed {
            return Err(Error {
                offset: rd.offset - 8,
                what: format!(
                    "wrong RDB checksum (file says {stored:016x}, contents give {computed:016x})"
                ),
            });
        }
    }
    if let Some(v) = &aux.redis_ver {
        log::info!("Loading RDB produced by version {v}");
    }
    Ok(loaded)
}

fn aux(out: &mut Vec<u8>, key: &str, value: &[u8]) {
    out.push(OP_AUX);
    encode::string(out, key.as_bytes(), false);
    encode::string(out, value, false);
}

/// Writes `store` as an RDB version 10 file, as Redis 7.0.15 lays it out. Keys already
/// expired at `now_ms` are left out. Returns the number of bytes written.
pub fn write(store: &Store, out: impl Write, now_ms: u64, compress: bool) -> io::Result<u64> {
    let mut w = BufWriter::with_capacity(1 << 16, out);
    let mut crc = super::CRC64.digest();
    let mut total = 0u64;
    let mut buf = Vec::with_capacity(1 << 12);
    let mut emit = |w: &mut BufWriter<_>, buf: &mut Vec<u8>| -> io::Result<()> {
        crc.update(buf);
        total += buf.len() as u64;
        w.write_all(buf)?;
        buf.clear();
        Ok(())
    };
    buf.extend_from_slice(format!("REDIS{RDB_VERSION:04}").as_bytes());
    aux(
        &mut buf,
        "redis-ver",
        crate::config::REDIS_VERSION.as_bytes(),
    );
    aux(&mut buf, "redis-bits", b"64");
    aux(&mut buf, "ctime", (now_ms / 1000).to_string().as_bytes());
    let used = crate::server::memory::used_memory();
    aux(&mut buf, "used-mem", used.to_string().as_bytes());
    aux(&mut buf, "aof-base", b"0");
    for code in &store.libraries {
        buf.push(OP_FUNCTION2);
        encode::string(&mut buf, code, false);
    }
    emit(&mut w, &mut buf)?;
    for (index, db) in store.dbs().iter().enumerate() {
        if db.is_empty() {
            continue;
        }
        buf.push(OP_SELECTDB);
        encode::len(&mut buf, index as u64);
        buf.push(OP_RESIZEDB);
        encode::len(&mut buf, db.len() as u64);
        encode::len(&mut buf, db.expires_len() as u64);
        for (key, value) in db.entries() {
            if let Some(deadline) = db.deadline(key) {
                if deadline <= now_ms {
                    continue;
                }
                buf.push(OP_EXPIRETIME_MS);
                buf.extend_from_slice(&deadline.to_le_bytes());
            }
            buf.push(encode::object_type(value));
            encode::string(&mut buf, key, compress);
            encode::object(&mut buf, value, compress);
            emit(&mut w, &mut buf)?;
        }
    }
    buf.push(OP_EOF);
    emit(&mut w, &mut buf)?;
    let sum = crc.finalize();
    w.write_all(&sum.to_le_bytes())?;
    w.flush()?;
    Ok(total + 8)
}
