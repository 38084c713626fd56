//! HyperLogLog values in Redis's own representation, so that GET, DUMP and SET of an HLL
//! carry the same bytes in redust and in Redis. An HLL is a plain string value:
//!
//! ```text
//! "HYLL" | encoding (0 dense, 1 sparse) | 3 unused bytes | cached cardinality (8, LE) | data
//! ```
//!
//! The cardinality's top bit marks the cache stale. Dense data is 16384 registers of 6 bits
//! packed least significant bit first (12288 bytes). Sparse data is a run-length code:
//! `00xxxxxx` ZERO (1..64 zero registers), `01xxxxxx yyyyyyyy` XZERO (1..16384 zero
//! registers), `1vvvvvxx` VAL (1..4 registers of value 1..32). A sparse HLL turns dense
//! when a register needs a value above 32 or when the string would outgrow
//! `hll-sparse-max-bytes`, exactly where Redis's hllSparseSet does, so the bytes match.
//!
//! Values can come from clients (SETRANGE, SET of any bytes), so every walk here is
//! bounds-checked; a corrupt value is reported as [`Corrupt`], never a panic. Where Redis
//! reads one byte past the end (the sds terminator, always zero), these read a zero too.

pub use super::hll_count::{estimate, histogram, merge_into, raw_histogram, Histogram};

/// Bytes of the header.
pub const HEADER: usize = 16;
/// Registers (2^14).
pub const REGISTERS: usize = 1 << P;
/// Length of a dense HLL string.
pub const DENSE_SIZE: usize = HEADER + REGISTERS * BITS / 8;

/// Bits of the hash that choose the register.
const P: u32 = 14;
/// Bits of the hash left for the run of zeros (a pattern is at most `Q + 1` long).
pub(super) const Q: u32 = 64 - P;
/// Bits per dense register.
const BITS: usize = 6;
const REGISTER_MAX: u8 = (1 << BITS) - 1;
/// MurmurHash64A's seed in Redis.
const SEED: u64 = 0xadc8_3b19;
/// Offset of the encoding byte.
const ENCODING: usize = 4;
/// Largest value and run a sparse VAL opcode holds.
const VAL_MAX_VALUE: u8 = 32;
const VAL_MAX_LEN: usize = 4;
/// Longest run of a ZERO opcode; longer runs are XZERO.
const ZERO_MAX_LEN: usize = 64;

/// The value is not a well-formed HLL (Redis's INVALIDOBJ).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Corrupt;

/// The two encodings an HLL string can be in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Encoding {
    Dense,
    Sparse,
}

/// Whether `s` passes Redis's isHLLObjectOrReply: long enough for the header, the magic,
/// a known encoding, and the exact length when dense. The sparse data is checked lazily,
/// by the walks that read it.
pub fn is_valid(s: &[u8]) -> bool {
    s.len() >= HEADER
        && &s[..4] == b"HYLL"
        && match s[ENCODING] {
            0 => s.len() == DENSE_SIZE,
            1 => true,
            _ => false,
        }
}

/// The encoding of a valid HLL string.
pub fn encoding(s: &[u8]) -> Encoding {
    if s[ENCODING] == 0 {
        Encoding::Dense
    } else {
        Encoding::Sparse
    }
}

/// A new, empty HLL as Redis creates one: sparse, one XZERO covering every register, and
/// a valid cached cardinality of zero.
pub fn new_sparse() -> Vec<u8> {
    let mut s = Vec::with_capacity(64);
    s.extend_from_slice(b"HYLL");
    s.extend_from_slice(&[1, 0, 0, 0]);
    s.extend_from_slice(&[0; 8]);
    push_xzero(&mut s, REGISTERS);
    s
}

/// The cached cardinality, if it is valid.
pub fn cached_card(s: &[u8]) -> Option<u64> {
    let card = u64::from_le_bytes(s[8..16].try_into().expect("8 bytes"));
    (s[15] & 0x80 == 0).then_some(card)
}

/// Stores `card` as the cached cardinality (valid).
pub fn set_cached_card(s: &mut [u8], card: u64) {
    s[8..16].copy_from_slice(&card.to_le_bytes());
}

/// Marks the cached cardinality stale.
pub fn invalidate_cache(s: &mut [u8]) {
    s[15] |= 0x80;
}

/// Redis's MurmurHash64A (the endian-neutral variant): eight-byte words little endian.
pub fn murmur64a(data: &[u8], seed: u64) -> u64 {
    const M: u64 = 0xc6a4_a793_5bd1_e995;
    const R: u32 = 47;
    let mut h = seed ^ (data.len() as u64).wrapping_mul(M);
    let mut words = data.chunks_exact(8);
    for w in &mut words {
        let mut k = u64::from_le_bytes(w.try_into().expect("8 bytes"));
        k = k.wrapping_mul(M);
        k ^= k >> R;
        k = k.wrapping_mul(M);
        h ^= k;
        h = h.wrapping_mul(M);
    }
    let tail = words.remainder();
    if !tail.is_empty() {
        for (i, &b) in tail.iter().enumerate() {
            h ^= u64::from(b) << (8 * i);
        }
        h = h.wrapping_mul(M);
    }
    h ^= h >> R;
    h = h.wrapping_mul(M);
    h ^= h >> R;
    h
}

/// The register an element hashes to and the length of its `0...01` pattern (1..=51).
pub fn pattern(element: &[u8]) -> (usize, u8) {
    let hash = murmur64a(element, SEED);
    let index = (hash & (REGISTERS as u64 - 1)) as usize;
    // The sentinel bit bounds the count at Q + 1.
    let rest = (hash >> P) | (1u64 << Q);
    (index, rest.trailing_zeros() as u8 + 1)
}

/// Register `i` of dense data `regs` (the bytes after the header).
#[inline]
pub fn dense_get(regs: &[u8], i: usize) -> u8 {
    let byte = i * BITS / 8;
    let fb = (i * BITS) & 7;
    let b0 = u16::from(regs[byte]);
    let b1 = u16::from(regs.get(byte + 1).copied().unwrap_or(0));
    (((b0 >> fb) | (b1 << (8 - fb))) as u8) & REGISTER_MAX
}

/// Sets register `i` of dense data `regs` to `val` (at most 63).
#[inline]
pub fn dense_put(regs: &mut [u8], i: usize, val: u8) {
    let byte = i * BITS / 8;
    let fb = (i * BITS) & 7;
    let v = u16::from(val);
    let mask = u16::from(REGISTER_MAX);
    regs[byte] = (u16::from(regs[byte]) & !(mask << fb) | (v << fb)) as u8;
    if let Some(next) = regs.get_mut(byte + 1) {
        *next = (u16::from(*next) & !(mask >> (8 - fb)) | (v >> (8 - fb))) as u8;
    }
}

/// Raises register `i` to `count` if it is lower; returns whether it changed.
#[inline]
pub fn dense_set(regs: &mut [u8], i: usize, count: u8) -> bool {
    if count > dense_get(regs, i) {
        dense_put(regs, i, count);
        true
    } else {
        false
    }
}

/// One sparse opcode.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum Op {
    /// `n` zero registers, in one byte (ZERO) or two (XZERO).
    Zero { run: usize, wide: bool },
    /// `run` registers of value `value`.
    Val { value: u8, run: usize },
}

impl Op {
    /// The opcode at `s[p]` (`p` in bounds); a cut-off XZERO reads a zero second byte.
    #[inline]
    pub fn at(s: &[u8], p: usize) -> Op {
        let b = s[p];
        if b & 0xc0 == 0 {
            Op::Zero {
                run: usize::from(b & 0x3f) + 1,
                wide: false,
            }
        } else if b & 0x80 != 0 {
            Op::Val {
                value: ((b >> 2) & 0x1f) + 1,
                run: usize::from(b & 3) + 1,
            }
        } else {
            let low = s.get(p + 1).copied().unwrap_or(0);
            Op::Zero {
                run: ((usize::from(b & 0x3f) << 8) | usize::from(low)) + 1,
                wide: true,
            }
        }
    }

    /// Bytes the opcode takes.
    #[inline]
    pub fn bytes(self) -> usize {
        match self {
            Op::Zero { wide: true, .. } => 2,
            _ => 1,
        }
    }

    /// Registers the opcode covers.
    #[inline]
    pub fn run(self) -> usize {
        match self {
            Op::Zero { run, .. } | Op::Val { run, .. } => run,
        }
    }
}

fn val_byte(value: u8, run: usize) -> u8 {
    0x80 | ((value - 1) << 2) | (run as u8 - 1)
}

fn push_xzero(out: &mut Vec<u8>, run: usize) {
    let l = run - 1;
    out.push(0x40 | (l >> 8) as u8);
    out.push((l & 0xff) as u8);
}

/// A run of zeros as ZERO, or XZERO when longer than ZERO holds.
fn push_zeros(out: &mut Vec<u8>, run: usize) {
    if run > ZERO_MAX_LEN {
        push_xzero(out, run);
    } else {
        out.push(run as u8 - 1);
    }
}

/// Converts a sparse HLL to dense in place (the header, cached cardinality included, is
/// kept); a dense one is left alone. Fails, changing nothing, if the opcodes do not cover
/// exactly every register.
pub fn to_dense(s: &mut Vec<u8>) -> Result<(), Corrupt> {
    if encoding(s) == Encoding::Dense {
        return Ok(());
    }
    let mut dense = vec![0u8; DENSE_SIZE];
    dense[..HEADER].copy_from_slice(&s[..HEADER]);
    dense[ENCODING] = 0;
    let regs = &mut dense[HEADER..];
    let (mut p, mut idx) = (HEADER, 0usize);
    while p < s.len() {
        let op = Op::at(s, p);
        if let Op::Val { value, run } = op {
            if idx + run > REGISTERS {
                break;
            }
            for i in idx..idx + run {
                dense_put(regs, i, value);
            }
        }
        idx += op.run();
        p += op.bytes();
    }
    if idx != REGISTERS {
        return Err(Corrupt);
    }
    *s = dense;
    Ok(())
}

/// Raises register `index` of the HLL `s` to `count` if lower, in either encoding; returns
/// whether it changed. A sparse HLL is promoted to dense as Redis's hllSparseSet does (a
/// value above 32, or growth past `max_bytes`).
pub fn set(s: &mut Vec<u8>, index: usize, count: u8, max_bytes: usize) -> Result<bool, Corrupt> {
    match encoding(s) {
        Encoding::Dense => Ok(dense_set(&mut s[HEADER..], index, count)),
        Encoding::Sparse => sparse_set(s, index, count, max_bytes),
    }
}

/// Adds `element` to the HLL `s`; returns whether a register changed.
pub fn add(s: &mut Vec<u8>, element: &[u8], max_bytes: usize) -> Result<bool, Corrupt> {
    let (index, count) = pattern(element);
    set(s, index, count, max_bytes)
}

fn promote(s: &mut Vec<u8>, index: usize, count: u8) -> Result<bool, Corrupt> {
    to_dense(s)?;
    Ok(dense_set(&mut s[HEADER..], index, count))
}

/// Registers covered by each one-byte opcode (ZERO, VAL); 0 marks XZERO's first byte.
const SPAN: [u16; 256] = {
    let mut t = [0u16; 256];
    let mut b = 0;
    while b < 256 {
        t[b] = if b & 0xc0 == 0 {
            (b & 0x3f) as u16 + 1
        } else if b & 0x80 != 0 {
            (b & 3) as u16 + 1
        } else {
            0
        };
        b += 1;
    }
    t
};

/// Finds the opcode of the sparse HLL `s` covering register `index`: its offset, the first
/// register it covers, and the offset of the opcode before it. This walk is PFADD's cost
/// on a sparse HLL, so it goes eight bytes at a time while they are all one-byte opcodes
/// (no XZERO among them), adding their spans from a table without a dependency from one
/// opcode to the next; the block holding the register is then walked opcode by opcode.
#[inline]
fn locate(s: &[u8], index: usize) -> Option<(usize, usize, Option<usize>)> {
    const LOW6: u64 = 0x4040_4040_4040_4040;
    let (mut p, mut first, mut prev) = (HEADER, 0usize, None);
    while p < s.len() {
        if let Some(block) = s.get(p..p + 8) {
            let w = u64::from_le_bytes(block.try_into().expect("8 bytes"));
            // An XZERO's first byte is 01xxxxxx: bit 6 set, bit 7 clear.
            if w & LOW6 & !((w >> 1) & LOW6) == 0 {
                let span: usize = block
                    .iter()
                    .map(|&b| usize::from(SPAN[usize::from(b)]))
                    .sum();
                if index >= first + span {
                    first += span;
                    p += 8;
                    prev = Some(p - 1);
                    continue;
                }
            }
        }
        // The block holds the register, an XZERO, or the end: one opcode.
        let op = Op::at(s, p);
        if index < first + op.run() {
            return Some((p, first, prev));
        }
        prev = Some(p);
        p += op.bytes();
        first += op.run();
    }
    None
}

/// The sparse case of [`set`]: finds the opcode covering `index`, splits it around the
/// register if needed, then merges equal neighbouring VALs, byte for byte as Redis.
fn sparse_set(s: &mut Vec<u8>, index: usize, count: u8, max_bytes: usize) -> Result<bool, Corrupt> {
    if count > VAL_MAX_VALUE {
        return promote(s, index, count);
    }
    // Step 1: the opcode covering `index`, with the first register it covers.
    let Some((p, first, prev)) = locate(s, index) else {
        return Err(Corrupt);
    };
    let op = Op::at(s, p);
    let last = first + op.run() - 1;
    // Step 2: the cheap cases change one byte in place.
    let in_place = match op {
        Op::Val { value, .. } if value >= count => return Ok(false),
        Op::Val { run: 1, .. }
        | Op::Zero {
            run: 1,
            wide: false,
        } => true,
        _ => false,
    };
    if in_place {
        s[p] = val_byte(count, 1);
    } else {
        // The general case: the opcode becomes up to three (XZERO-VAL-XZERO is 5 bytes).
        let mut seq = Vec::with_capacity(5);
        match op {
            Op::Zero { .. } => {
                if index != first {
                    push_zeros(&mut seq, index - first);
                }
                seq.push(val_byte(count, 1));
                if index != last {
                    push_zeros(&mut seq, last - index);
                }
            }
            Op::Val { value, .. } => {
                if index != first {
                    seq.push(val_byte(value, index - first));
                }
                seq.push(val_byte(count, 1));
                if index != last {
                    seq.push(val_byte(value, last - index));
                }
            }
        }
        let old_len = s.len();
        let grown = old_len + seq.len() - op.bytes();
        if seq.len() > op.bytes() && grown > max_bytes {
            return promote(s, index, count);
        }
        // A cut-off XZERO at the very end has one byte where two are replaced; the
        // string still ends at the length Redis gives it.
        let end = (p + op.bytes()).min(old_len);
        s.splice(p..end, seq);
        s.truncate(grown);
    }
    // Step 4: merge adjacent VALs of one value, scanning up to 5 opcodes from `prev`.
    let mut p = prev.unwrap_or(HEADER);
    let mut scan = 5;
    while p < s.len() && scan > 0 {
        scan -= 1;
        let op = Op::at(s, p);
        let Op::Val { value, run } = op else {
            p += op.bytes();
            continue;
        };
        if p + 1 < s.len() && s[p + 1] & 0x80 != 0 {
            if let Op::Val { value: v2, run: r2 } = Op::at(s, p + 1) {
                if v2 == value && run + r2 <= VAL_MAX_LEN {
                    s[p + 1] = val_byte(value, run + r2);
                    s.remove(p);
                    // Try the merged opcode with its right neighbour too.
                    continue;
                }
            }
        }
        p += 1;
    }
    invalidate_cache(s);
    Ok(true)
}

/// PFDEBUG DECODE's text for sparse data: `z:N`, `Z:N` and `v:value,N` separated by
/// spaces.
pub fn decode(s: &[u8]) -> String {
    let mut out = String::new();
    let mut p = HEADER;
    while p < s.len() {
        let op = Op::at(s, p);
        if !out.is_empty() {
            out.push(' ');
        }
        match op {
            Op::Zero { run, wide: false } => out.push_str(&format!("z:{run}")),
            Op::Zero { run, wide: true } => out.push_str(&format!("Z:{run}")),
            Op::Val { value, run } => out.push_str(&format!("v:{value},{run}")),
        }
        p += op.bytes();
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn patterns_match_redis() {
        // Register and run length of single elements, read from Redis's PFDEBUG DECODE
        // (`Z:12711 v:2,1 Z:3672` for "a"): several tail lengths of the hash are covered.
        assert_eq!(pattern(b"a"), (12711, 2));
        assert_eq!(pattern(b"hello"), (9216, 1));
        assert_eq!(pattern(b""), (5938, 2));
        assert_eq!(pattern(b"0123456789abcdef"), (5949, 1));
        let mut s = new_sparse();
        assert!(add(&mut s, b"a", 3000).unwrap());
        assert_eq!(decode(&s), "Z:12711 v:2,1 Z:3672");
    }

    #[test]
    fn dense_registers_round_trip() {
        let mut regs = vec![0u8; REGISTERS * BITS / 8];
        for i in 0..REGISTERS {
            dense_put(&mut regs, i, (i * 7 % 64) as u8);
        }
        for i in 0..REGISTERS {
            assert_eq!(dense_get(&regs, i), (i * 7 % 64) as u8, "register {i}");
        }
    }

    #[test]
    fn sparse_and_dense_agree() {
        let mut sparse = new_sparse();
        let mut dense = new_sparse();
        to_dense(&mut dense).unwrap();
        for n in 0..5000u32 {
            let e = n.to_le_bytes();
            let a = add(&mut sparse, &e, 3000).unwrap();
            let b = add(&mut dense, &e, 3000).unwrap();
            assert_eq!(a, b, "element {n}");
            if n % 97 == 0 {
                assert_eq!(
                    estimate(&histogram(&sparse).unwrap()),
                    estimate(&histogram(&dense).unwrap())
                );
            }
        }
        assert_eq!(encoding(&sparse), Encoding::Dense);
        assert_eq!(sparse[HEADER..], dense[HEADER..]);
        let mut max = [0u8; REGISTERS];
        merge_into(&mut max, &dense).unwrap();
        for (i, &m) in max.iter().enumerate() {
            assert_eq!(m, dense_get(&dense[HEADER..], i), "register {i}");
        }
        let card = estimate(&histogram(&dense).unwrap());
        assert!((4700..5300).contains(&card), "{card}");
    }

    #[test]
    fn locate_matches_a_walk_of_every_opcode() {
        let naive = |s: &[u8], index: usize| {
            let (mut p, mut first, mut prev) = (HEADER, 0usize, None);
            while p < s.len() {
                let op = Op::at(s, p);
                if index < first + op.run() {
                    return Some((p, first, prev));
                }
                prev = Some(p);
                p += op.bytes();
                first += op.run();
            }
            None
        };
        let mut s = new_sparse();
        for n in 0..400u32 {
            add(&mut s, &n.to_be_bytes(), 3000).unwrap();
            if n % 40 == 0 {
                for index in (0..REGISTERS).step_by(7) {
                    assert_eq!(locate(&s, index), naive(&s, index), "{n} {index}");
                }
            }
        }
        assert_eq!(encoding(&s), Encoding::Sparse);
        assert_eq!(locate(&s, REGISTERS), None);
    }

    #[test]
    fn corrupt_sparse_is_detected() {
        let mut s = new_sparse();
        s.extend_from_slice(b"hello");
        assert_eq!(histogram(&s), Err(Corrupt));
        let mut max = [0u8; REGISTERS];
        assert_eq!(merge_into(&mut max, &s), Err(Corrupt));
        assert_eq!(to_dense(&mut s), Err(Corrupt));
    }
}
