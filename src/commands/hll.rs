//! HyperLogLog commands: PFADD PFCOUNT PFMERGE PFDEBUG PFSELFTEST. An HLL is a string
//! value holding Redis's representation (`store/types/hll.rs`), so GET, SET, DUMP, COPY
//! and snapshots treat it as any string, and its bytes are Redis's.

use super::{is, Ctx};
use crate::protocol::reply::Reply;
use crate::store::types::hll::{self, Corrupt, Encoding, REGISTERS};
use crate::store::{Event, RString, Store, Value};

/// Redis's reply for a value that fails a walk of its registers.
const INVALID: &str = "INVALIDOBJ Corrupted HLL object detected";
/// Redis's reply for a string that is not an HLL at all.
const NOT_HLL: &str = "WRONGTYPE Key is not a valid HyperLogLog string value.";
const WRONGTYPE: &str = "WRONGTYPE Operation against a key holding the wrong kind of value";

/// The error has been replied.
struct Replied;

/// Checks that `v` is a string holding an HLL header, as isHLLObjectOrReply; replies the
/// error otherwise. An integer-encoded string never is one.
fn check<'v>(out: &mut Reply, v: &'v mut Value) -> Result<&'v mut RString, Replied> {
    let Value::Str(s) = v else {
        out.error(WRONGTYPE);
        return Err(Replied);
    };
    let valid = match s {
        RString::Int(_) => false,
        RString::Embstr(b) => hll::is_valid(b),
        RString::Raw(b) => hll::is_valid(b),
    };
    if !valid {
        out.error(NOT_HLL);
        return Err(Replied);
    }
    Ok(s)
}

/// The HLL at `key` as a buffer to change (unshared, as Redis's dbUnshareStringValue: the
/// value becomes raw), looked up for reading or writing; `Ok(None)` if absent.
fn hll_mut<'s>(
    store: &'s mut Store,
    out: &mut Reply,
    db: usize,
    key: &[u8],
    write: bool,
) -> Result<Option<&'s mut Vec<u8>>, Replied> {
    let v = if write {
        store.lookup_write(db, key)
    } else {
        store.lookup_read(db, key)
    };
    match v {
        None => Ok(None),
        Some(v) => Ok(Some(check(out, v)?.make_raw())),
    }
}

/// Creates an empty HLL at `key` (recorded as `new`) and returns its buffer.
fn create<'s>(store: &'s mut Store, db: usize, key: &[u8]) -> &'s mut Vec<u8> {
    let v = store.get_or_create(db, key, || {
        Value::Str(RString::Raw(Box::new(hll::new_sparse())))
    });
    match v {
        Value::Str(s) => s.make_raw(),
        _ => unreachable!("just created a string"),
    }
}

fn max_bytes(ctx: &Ctx) -> usize {
    ctx.srv.config.hll_sparse_max_bytes.max(0) as usize
}

/// PFADD key [element ...]
pub fn pfadd(ctx: &mut Ctx, argv: &[&[u8]]) {
    let key = argv[1];
    let max = max_bytes(ctx);
    let (s, mut updated) = match hll_mut(ctx.store, ctx.out, ctx.db, key, true) {
        Err(Replied) => return,
        Ok(Some(s)) => (s, 0u64),
        // Creating the key counts as a change: `PFADD key` alone answers 1.
        Ok(None) => (create(ctx.store, ctx.db, key), 1),
    };
    let mut corrupt = false;
    for e in &argv[2..] {
        match hll::add(s, e, max) {
            Ok(changed) => updated += u64::from(changed),
            Err(Corrupt) => {
                corrupt = true;
                break;
            }
        }
    }
    if !corrupt && updated > 0 {
        hll::invalidate_cache(s);
    }
    if corrupt {
        // As Redis: what was added before the corrupt part is kept, unannounced.
        return ctx.out.error(INVALID);
    }
    if updated > 0 {
        ctx.record(key, Event::PfAdd, updated);
    }
    ctx.out.int(i64::from(updated > 0));
}

/// PFCOUNT key [key ...]
pub fn pfcount(ctx: &mut Ctx, argv: &[&[u8]]) {
    if argv.len() > 2 {
        // The union of several: merged into plain byte registers, nothing cached.
        let mut max = [0u8; REGISTERS];
        if merge_sources(ctx, &argv[1..], &mut max).is_err() {
            return;
        }
        let card = hll::estimate(&hll::raw_histogram(&max));
        return ctx.out.int(card as i64);
    }
    let key = argv[1];
    let s = match hll_mut(ctx.store, ctx.out, ctx.db, key, false) {
        Err(Replied) => return,
        Ok(None) => return ctx.out.int(0),
        Ok(Some(s)) => s,
    };
    if let Some(card) = hll::cached_card(s) {
        return ctx.out.int(card as i64);
    }
    let Ok(h) = hll::histogram(s) else {
        return ctx.out.error(INVALID);
    };
    let card = hll::estimate(&h);
    hll::set_cached_card(s, card);
    // The cache is part of the string: a change for WATCH and propagation, but no
    // notification, as in Redis.
    ctx.record(key, Event::Modified, 1);
    ctx.out.int(card as i64);
}

/// Merges the HLLs at `keys` (missing ones count as empty) into `max`; returns whether
/// any was dense. On error (WRONGTYPE, not an HLL, corrupt) it has been replied.
fn merge_sources(
    ctx: &mut Ctx,
    keys: &[&[u8]],
    max: &mut [u8; REGISTERS],
) -> Result<bool, Replied> {
    let mut dense = false;
    for &key in keys {
        let Some(v) = ctx.store.lookup_read(ctx.db, key) else {
            continue;
        };
        let s = check(ctx.out, v)?;
        let bytes = s.as_bytes();
        dense |= hll::encoding(&bytes) == Encoding::Dense;
        if hll::merge_into(max, &bytes).is_err() {
            ctx.out.error(INVALID);
            return Err(Replied);
        }
    }
    Ok(dense)
}

/// PFMERGE destkey [sourcekey ...]
pub fn pfmerge(ctx: &mut Ctx, argv: &[&[u8]]) {
    let mut max = [0u8; REGISTERS];
    // The destination is merged too: its registers are kept.
    let Ok(any_dense) = merge_sources(ctx, &argv[1..], &mut max) else {
        return;
    };
    let key = argv[1];
    let limit = max_bytes(ctx);
    let s = match hll_mut(ctx.store, ctx.out, ctx.db, key, true) {
        Err(Replied) => return,
        Ok(Some(s)) => s,
        Ok(None) => create(ctx.store, ctx.db, key),
    };
    // A dense input makes the result dense at once, saving the conversion later.
    if any_dense && hll::to_dense(s).is_err() {
        return ctx.out.error(INVALID);
    }
    for (i, &m) in max.iter().enumerate() {
        if m != 0 {
            // The destination was validated by the merge: this cannot fail.
            let _ = hll::set(s, i, m, limit);
        }
    }
    hll::invalidate_cache(s);
    // Redis announces a merge as `pfadd`: in effect a mass add.
    ctx.record(key, Event::PfAdd, 1);
    ctx.out.ok();
}

/// PFDEBUG subcommand key: GETREG, DECODE, ENCODING, TODENSE.
pub fn pfdebug(ctx: &mut Ctx, argv: &[&[u8]]) {
    let (sub, key) = (argv[1], argv[2]);
    let s = match hll_mut(ctx.store, ctx.out, ctx.db, key, true) {
        Err(Replied) => return,
        Ok(None) => return ctx.out.err("The specified key does not exist"),
        Ok(Some(s)) => s,
    };
    let sparse = hll::encoding(s) == Encoding::Sparse;
    if is(sub, "getreg") || is(sub, "todense") {
        if sparse && hll::to_dense(s).is_err() {
            return ctx.out.error(INVALID);
        }
        let regs: Vec<u8> = if is(sub, "getreg") {
            let data = &s[hll::HEADER..];
            (0..REGISTERS).map(|i| hll::dense_get(data, i)).collect()
        } else {
            Vec::new()
        };
        if sparse {
            // A new encoding is a change to propagate; Redis signals nothing else.
            ctx.store.dirty += 1;
        }
        if is(sub, "todense") {
            return ctx.out.int(i64::from(sparse));
        }
        ctx.out.array(REGISTERS);
        for r in regs {
            ctx.out.int(i64::from(r));
        }
    } else if is(sub, "decode") {
        if !sparse {
            return ctx.out.err("HLL encoding is not sparse");
        }
        let text = hll::decode(s);
        ctx.out.bulk(text.as_bytes());
    } else if is(sub, "encoding") {
        ctx.out.simple(if sparse { "sparse" } else { "dense" });
    } else {
        let mut msg = b"ERR Unknown PFDEBUG subcommand '".to_vec();
        msg.extend_from_slice(c_string(sub));
        msg.push(b'\'');
        ctx.out.error_bytes(&msg);
    }
}

/// The bytes `%s` prints of an argument: up to its first NUL.
fn c_string(b: &[u8]) -> &[u8] {
    &b[..b.iter().position(|&c| c == 0).unwrap_or(b.len())]
}

/// PFSELFTEST: Redis's self test of the register layout and of the estimator's error, on
/// a dense and a sparse HLL fed the same ten million elements.
pub fn pfselftest(ctx: &mut Ctx, _argv: &[&[u8]]) {
    let limit = max_bytes(ctx);
    let rng = &mut ctx.store.rng;
    let mut dense = vec![0u8; hll::DENSE_SIZE - hll::HEADER];
    let mut bytes = [0u8; REGISTERS];
    for _ in 0..1000 {
        for (i, b) in bytes.iter_mut().enumerate() {
            *b = (rng.next_u64() & 63) as u8;
            hll::dense_put(&mut dense, i, *b);
        }
        for (i, &b) in bytes.iter().enumerate() {
            let got = hll::dense_get(&dense, i);
            if got != b {
                return ctx.out.err(&format!(
                    "TESTFAILED Register {i} should be {b} but is {got}"
                ));
            }
        }
    }
    dense.fill(0);
    let mut full = hll::new_sparse();
    full.truncate(hll::HEADER);
    full[4] = 0;
    full.extend_from_slice(&dense);
    let mut sparse = hll::new_sparse();
    let relerr = 1.04 / (REGISTERS as f64).sqrt();
    let seed = rng.next_u64();
    let mut checkpoint = 1u64;
    for j in 1..=10_000_000u64 {
        let e = (j ^ seed).to_le_bytes();
        let _ = hll::add(&mut full, &e, limit);
        let _ = hll::add(&mut sparse, &e, limit);
        if j != checkpoint {
            continue;
        }
        if j < (limit / 2) as u64 && hll::encoding(&sparse) != Encoding::Sparse {
            return ctx.out.err("TESTFAILED sparse encoding not used");
        }
        let card = |s: &[u8]| hll::histogram(s).map(|h| hll::estimate(&h)).unwrap_or(0);
        let c = card(&full);
        if c != card(&sparse) {
            return ctx.out.err("TESTFAILED dense/sparse disagree");
        }
        let abserr = checkpoint.abs_diff(c);
        // Cardinality 10 may err by one from a collision now and then.
        let maxerr = if j == 10 {
            1
        } else {
            (relerr * 6.0 * checkpoint as f64).ceil() as u64
        };
        if abserr > maxerr {
            return ctx.out.err(&format!(
                "TESTFAILED Too big error. card:{checkpoint} abserr:{abserr}"
            ));
        }
        checkpoint *= 10;
    }
    ctx.out.ok();
}
