//! Redis's RDB format (RDB version 10, as Redis 7.0 writes it): the value serialisation
//! behind DUMP / RESTORE / MIGRATE / FUNCTION DUMP, and whole RDB files (loading what any
//! Redis from RDB version 1 on wrote, writing what redis-server and redis-check-rdb read).
//!
//! - `encode`: values as Redis 7.0 writes them (listpacks, intsets, quicklists, streams).
//! - `decode`: every object type of RDB 1 to 10, legacy encodings included, into redust's
//!   types; hostile input is refused, never trusted.
//! - `listpack`, `legacy`: the compact encodings (listpack; ziplist, zipmap, intset).
//! - `stream`: stream nodes and consumer groups.
//! - `lzf`: Redis's string compression.
//! - `file`: the file layout (header, aux fields, databases, checksum).

pub mod decode;
pub mod encode;
pub mod file;
pub mod legacy;
pub mod listpack;
pub mod lzf;
pub mod stream;

/// The RDB version Redis 7.0 writes and the newest this reads.
pub const RDB_VERSION: u16 = 10;

/// CRC-64 as Redis computes it (Jones polynomial, reflected, no final xor): the `crc`
/// crate's CRC_64_REDIS, the catalogue entry for exactly this variant, is used rather than
/// a hand-written table.
pub static CRC64: crc::Crc<u64> = crc::Crc::<u64>::new(&crc::CRC_64_REDIS);

/// The CRC-64 of `data`.
pub fn crc64(data: &[u8]) -> u64 {
    CRC64.checksum(data)
}

/// RDB object type bytes (rdb.h).
pub mod types {
    pub const STRING: u8 = 0;
    pub const LIST: u8 = 1;
    pub const SET: u8 = 2;
    pub const ZSET: u8 = 3;
    pub const HASH: u8 = 4;
    pub const ZSET_2: u8 = 5;
    pub const MODULE: u8 = 6;
    pub const MODULE_2: u8 = 7;
    pub const HASH_ZIPMAP: u8 = 9;
    pub const LIST_ZIPLIST: u8 = 10;
    pub const SET_INTSET: u8 = 11;
    pub const ZSET_ZIPLIST: u8 = 12;
    pub const HASH_ZIPLIST: u8 = 13;
    pub const LIST_QUICKLIST: u8 = 14;
    pub const STREAM_LISTPACKS: u8 = 15;
    pub const HASH_LISTPACK: u8 = 16;
    pub const ZSET_LISTPACK: u8 = 17;
    pub const LIST_QUICKLIST_2: u8 = 18;
    pub const STREAM_LISTPACKS_2: u8 = 19;

    /// Whether `t` is an object type (rdbIsObjectType).
    pub fn is_object(t: u8) -> bool {
        t <= 7 || (9..=19).contains(&t)
    }
}

/// Why a DUMP payload is refused, as RESTORE words it.
#[derive(Debug, PartialEq, Eq)]
pub enum PayloadError {
    /// `DUMP payload version or checksum are wrong`
    VersionOrChecksum,
    /// `Bad data format`
    BadData,
}

/// Checks a DUMP payload's trailer (verifyDumpPayload): at least 10 bytes, an RDB version
/// this reads, and the CRC-64 (unless `skip_checksum`). Returns the body and its version.
pub fn verify_payload(p: &[u8], skip_checksum: bool) -> Result<(&[u8], u16), PayloadError> {
    if p.len() < 10 {
        return Err(PayloadError::VersionOrChecksum);
    }
    let footer = &p[p.len() - 10..];
    let version = u16::from_le_bytes([footer[0], footer[1]]);
    if version > RDB_VERSION {
        return Err(PayloadError::VersionOrChecksum);
    }
    if !skip_checksum {
        let crc = crc64(&p[..p.len() - 8]);
        if crc.to_le_bytes() != footer[2..] {
            return Err(PayloadError::VersionOrChecksum);
        }
    }
    Ok((&p[..p.len() - 10], version))
}

/// Decodes a whole DUMP payload into a value.
pub fn restore_payload(
    p: &[u8],
    limits: &crate::store::types::Limits,
) -> Result<crate::store::Value, PayloadError> {
    let (body, _) = verify_payload(p, false)?;
    decode::payload(body, limits).map_err(|_| PayloadError::BadData)
}

/// A FUNCTION DUMP payload: each library's code as an RDB_OPCODE_FUNCTION2 record, then the
/// version and CRC-64 trailer.
pub fn function_dump(libraries: &[Vec<u8>]) -> Vec<u8> {
    let mut out = Vec::new();
    for code in libraries {
        out.push(file::OP_FUNCTION2);
        encode::string(&mut out, code, false);
    }
    encode::finish_payload(out)
}

/// Reads one function record after its opcode (rdbFunctionLoad): FUNCTION2 is the code
/// as FUNCTION LOAD got it; the 7.0 release candidates' FUNCTION has the name, engine and
/// description apart, and becomes the same code with its `#!` line.
pub fn read_function<R: std::io::Read>(
    rd: &mut decode::Reader<R>,
    opcode: u8,
) -> Result<Vec<u8>, String> {
    if opcode == file::OP_FUNCTION2 {
        return rd
            .string()
            .map_err(|_| "Failed loading library payload".to_string());
    }
    let name = rd
        .string()
        .map_err(|_| "Failed loading library name".to_string())?;
    let engine = rd
        .string()
        .map_err(|_| "Failed loading engine name".to_string())?;
    let has_desc = rd
        .length()
        .map_err(|_| "Failed loading library description indicator".to_string())?;
    if has_desc != 0 {
        rd.string()
            .map_err(|_| "Failed loading library description".to_string())?;
    }
    let blob = rd
        .string()
        .map_err(|_| "Failed loading library blob".to_string())?;
    let mut code = b"#!".to_vec();
    code.extend_from_slice(&engine);
    code.extend_from_slice(b" name=");
    code.extend_from_slice(&name);
    code.push(b'\n');
    code.extend_from_slice(&blob);
    Ok(code)
}

/// The libraries' code in a FUNCTION RESTORE payload (already verified), or Redis's error.
pub fn function_restore(body: &[u8]) -> Result<Vec<Vec<u8>>, String> {
    let mut rd = decode::Reader::new(body, false);
    let mut codes = Vec::new();
    while (rd.offset as usize) < body.len() {
        let t = rd
            .byte()
            .map_err(|_| "can not read data type".to_string())?;
        if t != file::OP_FUNCTION2 && t != file::OP_FUNCTION {
            return Err("given type is not a function".into());
        }
        codes.push(read_function(&mut rd, t)?);
    }
    Ok(codes)
}

#[cfg(test)]
mod tests;
