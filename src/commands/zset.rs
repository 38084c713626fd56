//! Sorted set commands: ZADD and the single-member family, counts, rank, removal by range,
//! ZPOP*/ZMPOP, ZRANDMEMBER, ZSCAN. Ranges live in `zset_range.rs`, set algebra in
//! `zset_ops.rs`, argument parsing in `zset_args.rs`.

use std::ops::Deref;

pub use super::zset_args::{
    parse_zadd, score_arg, LexRange, ScoreRange, ZAddFlags, NOT_FLOAT, NOT_LEX,
};
use super::{int_arg, is, Ctx};
use crate::protocol::parse::parse_i64;
use crate::protocol::reply::{format_double, Reply};
use crate::store::bytes::SmallBytes;
use crate::store::types::ZSet;
use crate::store::{Event, Store, Value};

/// ZADD key [NX|XX] [GT|LT] [CH] [INCR] score member [score member ...]
pub fn zadd(ctx: &mut Ctx, argv: &[&[u8]]) {
    zadd_generic(ctx, argv, false);
}

/// ZINCRBY key increment member
pub fn zincrby(ctx: &mut Ctx, argv: &[&[u8]]) {
    zadd_generic(ctx, argv, true);
}

fn zadd_generic(ctx: &mut Ctx, argv: &[&[u8]], zincrby: bool) {
    match parse_zadd(argv, zincrby) {
        Ok((flags, pairs)) => zadd_apply(ctx, argv[1], flags, &pairs),
        Err(msg) => ctx.out.err(msg),
    }
}

/// ZADD's work once its arguments are parsed (GEOADD ends here too): adds or updates the
/// (score, member) pairs of the set at `key` and replies.
pub(super) fn zadd_apply(ctx: &mut Ctx, key: &[u8], f: ZAddFlags, pairs: &[(f64, &[u8])]) {
    let ZAddFlags {
        nx,
        xx,
        gt,
        lt,
        ch,
        incr,
    } = f;
    let limits = ctx.srv.config.encoding_limits();
    let (mut added, mut updated, mut processed) = (0u64, 0u64, 0u64);
    let mut last = 0.0;
    let mut nan = false;
    // Runs inside the one lookup of the key (a second lookup, and a third for the
    // emptiness check, had been a tenth of ZADD's instructions); returns whether the set
    // is left empty.
    let mut apply = |z: &mut ZSet| {
        for &(score, member) in pairs {
            z.upsert(member, &limits, |cur| match cur {
                Some(_) if nx => None,
                Some(cur) => {
                    let new = if incr { cur + score } else { score };
                    if new.is_nan() {
                        nan = true;
                        return None;
                    }
                    if (gt && new <= cur) || (lt && new >= cur) {
                        return None;
                    }
                    last = new;
                    processed += 1;
                    updated += u64::from(new != cur);
                    Some(new)
                }
                None if xx => None,
                None => {
                    last = score;
                    added += 1;
                    processed += 1;
                    Some(score)
                }
            });
            if nan {
                break;
            }
        }
        z.is_empty()
    };
    let emptied = match ctx.write_as::<ZSet>(key) {
        Err(_) => return,
        Ok(Some(z)) => apply(z),
        Ok(None) if xx => {
            return if incr { ctx.out.null() } else { ctx.out.int(0) };
        }
        Ok(None) => {
            // As Redis: a new set that cannot start as a listpack starts as a skiplist.
            let fresh = if limits.zset_entries == 0 || pairs[0].1.len() > limits.zset_value {
                ZSet::new_skiplist()
            } else {
                ZSet::default()
            };
            match ctx
                .store
                .get_or_create(ctx.db, key, || Value::ZSet(Box::new(fresh)))
            {
                Value::ZSet(z) => apply(z),
                _ => unreachable!("just created a sorted set"),
            }
        }
    };
    if added + updated > 0 {
        let event = if incr { Event::ZIncr } else { Event::ZAdd };
        ctx.record(key, event, added + updated);
    }
    if emptied {
        ctx.remove_if_empty(key);
    }
    if nan {
        return ctx.out.err("resulting score is not a number (NaN)");
    }
    if incr {
        if processed > 0 {
            ctx.out.double(last);
        } else {
            ctx.out.null();
        }
    } else {
        ctx.out
            .int((if ch { added + updated } else { added }) as i64);
    }
}

/// ZREM key member [member ...]
pub fn zrem(ctx: &mut Ctx, argv: &[&[u8]]) {
    let key = argv[1];
    let Ok(z) = ctx.write_as::<ZSet>(key) else {
        return;
    };
    let Some(z) = z else {
        return ctx.out.int(0);
    };
    let mut n = 0;
    for m in &argv[2..] {
        if z.remove(m).is_some() {
            n += 1;
        }
    }
    if n > 0 {
        ctx.record(key, Event::ZRem, n);
    }
    ctx.remove_if_empty(key);
    ctx.out.int(n as i64);
}

/// ZSCORE key member
pub fn zscore(ctx: &mut Ctx, argv: &[&[u8]]) {
    let Ok(z) = ctx.read_as::<ZSet>(argv[1]) else {
        return;
    };
    match z.and_then(|z| z.score(argv[2])) {
        Some(s) => ctx.out.double(s),
        None => ctx.out.null(),
    }
}

/// ZMSCORE key member [member ...]
pub fn zmscore(ctx: &mut Ctx, argv: &[&[u8]]) {
    let Ok(z) = ctx.read_as::<ZSet>(argv[1]) else {
        return;
    };
    let scores: Vec<Option<f64>> = argv[2..]
        .iter()
        .map(|m| z.as_ref().and_then(|z| z.score(m)))
        .collect();
    ctx.out.array(scores.len());
    for s in scores {
        match s {
            Some(s) => ctx.out.double(s),
            None => ctx.out.null(),
        }
    }
}

/// ZCARD key
pub fn zcard(ctx: &mut Ctx, argv: &[&[u8]]) {
    let Ok(z) = ctx.read_as::<ZSet>(argv[1]) else {
        return;
    };
    let n = z.map_or(0, |z| z.len());
    ctx.out.int(n as i64);
}

/// ZCOUNT key min max
pub fn zcount(ctx: &mut Ctx, argv: &[&[u8]]) {
    let Some(range) = ScoreRange::parse(argv[2], argv[3]) else {
        return ctx.out.err(NOT_FLOAT);
    };
    let Ok(z) = ctx.read_as::<ZSet>(argv[1]) else {
        return;
    };
    let n = z.map_or(0, |z| {
        let (a, b) = range.ranks(z);
        b - a
    });
    ctx.out.int(n as i64);
}

/// ZLEXCOUNT key min max
pub fn zlexcount(ctx: &mut Ctx, argv: &[&[u8]]) {
    let Some(range) = LexRange::parse(argv[2], argv[3]) else {
        return ctx.out.err(NOT_LEX);
    };
    let Ok(z) = ctx.read_as::<ZSet>(argv[1]) else {
        return;
    };
    let n = z.map_or(0, |z| {
        let (a, b) = range.ranks(z, false);
        b - a
    });
    ctx.out.int(n as i64);
}

/// ZRANK key member
pub fn zrank(ctx: &mut Ctx, argv: &[&[u8]]) {
    rank_generic(ctx, argv, false);
}

/// ZREVRANK key member
pub fn zrevrank(ctx: &mut Ctx, argv: &[&[u8]]) {
    rank_generic(ctx, argv, true);
}

fn rank_generic(ctx: &mut Ctx, argv: &[&[u8]], rev: bool) {
    let Ok(z) = ctx.read_as::<ZSet>(argv[1]) else {
        return;
    };
    let r = z.and_then(|z| {
        z.rank(argv[2])
            .map(|(r, _)| if rev { z.len() - 1 - r } else { r })
    });
    match r {
        Some(r) => ctx.out.int(r as i64),
        None => ctx.out.null(),
    }
}

/// ZREMRANGEBYRANK key start stop
pub fn zremrangebyrank(ctx: &mut Ctx, argv: &[&[u8]]) {
    let Some(start) = int_arg(ctx.out, argv[2]) else {
        return;
    };
    let Some(end) = int_arg(ctx.out, argv[3]) else {
        return;
    };
    remrange(ctx, argv[1], Event::ZRemRangeByRank, |z| {
        super::zset_args::rank_range(start, end, z.len()).unwrap_or((0, 0))
    });
}

/// ZREMRANGEBYSCORE key min max
pub fn zremrangebyscore(ctx: &mut Ctx, argv: &[&[u8]]) {
    let Some(range) = ScoreRange::parse(argv[2], argv[3]) else {
        return ctx.out.err(NOT_FLOAT);
    };
    remrange(ctx, argv[1], Event::ZRemRangeByScore, |z| range.ranks(z));
}

/// ZREMRANGEBYLEX key min max
pub fn zremrangebylex(ctx: &mut Ctx, argv: &[&[u8]]) {
    let Some(range) = LexRange::parse(argv[2], argv[3]) else {
        return ctx.out.err(NOT_LEX);
    };
    remrange(ctx, argv[1], Event::ZRemRangeByLex, |z| {
        range.ranks(z, false)
    });
}

fn remrange(ctx: &mut Ctx, key: &[u8], event: Event, ranks: impl FnOnce(&ZSet) -> (usize, usize)) {
    let Ok(z) = ctx.write_as::<ZSet>(key) else {
        return;
    };
    let Some(z) = z else {
        return ctx.out.int(0);
    };
    let (a, b) = ranks(z);
    let n = z.remove_ranks(a, b);
    if n > 0 {
        ctx.record(key, event, n as u64);
    }
    ctx.remove_if_empty(key);
    ctx.out.int(n as i64);
}

/// Writes member/score pairs: flat in RESP2 (or when `flat`), an array of pairs in RESP3.
pub fn reply_pairs<M: Deref<Target = [u8]>>(ctx: &mut Ctx, items: &[(M, f64)], flat: bool) {
    let resp3 = ctx.out.resp == crate::protocol::reply::Resp::Three;
    reply_pairs_nested(ctx, items, resp3 && !flat);
}

/// Writes member/score pairs as an array of pairs when `nested`, else flat.
pub fn reply_pairs_nested<M: Deref<Target = [u8]>>(
    ctx: &mut Ctx,
    items: &[(M, f64)],
    nested: bool,
) {
    let items = items.iter().map(|(m, s)| (&**m, *s));
    reply_pairs_iter(ctx.out, items.len(), items, nested);
}

/// Writes the `n` member/score pairs of `items` as an array of pairs when `nested`, else
/// flat.
pub fn reply_pairs_iter<'a>(
    out: &mut Reply,
    n: usize,
    items: impl Iterator<Item = (&'a [u8], f64)>,
    nested: bool,
) {
    out.array(if nested { n } else { 2 * n });
    for (m, s) in items {
        if nested {
            out.array(2);
        }
        out.bulk(m);
        out.double(s);
    }
}

/// Pops up to `count` members from one end of the set at `key` (which must hold a set).
pub(super) fn pop(ctx: &mut Ctx, key: &[u8], max: bool, count: usize) -> Vec<(SmallBytes, f64)> {
    let Ok(Some(z)) = ctx.write_as::<ZSet>(key) else {
        return Vec::new();
    };
    let popped = pop_from(z, max, count);
    after_pop(ctx, key, max, popped)
}

/// Members popped from a set, and whether that emptied it.
type Popped = (Vec<(SmallBytes, f64)>, bool);

/// Pops up to `count` members from one end of `z`. The members move out of the set: no
/// copy, no allocation for a short one.
fn pop_from(z: &mut ZSet, max: bool, count: usize) -> Popped {
    let n = count.min(z.len());
    let items = (0..n).map_while(|_| z.pop(max)).collect();
    (items, z.is_empty())
}

/// The bookkeeping after popping from the set at `key`; returns the members.
fn after_pop(
    ctx: &mut Ctx,
    key: &[u8],
    max: bool,
    (items, emptied): Popped,
) -> Vec<(SmallBytes, f64)> {
    if !items.is_empty() {
        let event = if max { Event::ZPopMax } else { Event::ZPopMin };
        ctx.record(key, event, items.len() as u64);
    }
    if emptied {
        ctx.remove_if_empty(key);
    }
    items
}

/// ZPOPMIN key [count]
pub fn zpopmin(ctx: &mut Ctx, argv: &[&[u8]]) {
    zpop_generic(ctx, argv, false);
}

/// ZPOPMAX key [count]
pub fn zpopmax(ctx: &mut Ctx, argv: &[&[u8]]) {
    zpop_generic(ctx, argv, true);
}

fn zpop_generic(ctx: &mut Ctx, argv: &[&[u8]], max: bool) {
    if argv.len() > 3 {
        return ctx.syntax_error();
    }
    let mut count = 1;
    if argv.len() == 3 {
        match parse_i64(argv[2]) {
            Some(n) if n >= 0 => count = n as usize,
            _ => return ctx.out.err("value is out of range, must be positive"),
        }
    }
    // The type is checked before a zero count is honoured: `ZPOPMIN str 0` is WRONGTYPE.
    let popped = match ctx.write_as::<ZSet>(argv[1]) {
        Err(_) => return,
        Ok(None) => return ctx.out.array(0),
        Ok(Some(_)) if count == 0 => return ctx.out.array(0),
        Ok(Some(z)) => pop_from(z, max, count),
    };
    let items = after_pop(ctx, argv[1], max, popped);
    reply_pairs(ctx, &items, argv.len() == 2);
}

/// The arguments of ZMPOP / BZMPOP from `numkeys` on: the keys, the end and the count.
pub(super) struct ZMultiPopArgs<'a> {
    pub keys: &'a [&'a [u8]],
    pub max: bool,
    pub count: usize,
}

/// Parses `numkeys key [key ...] MIN|MAX [COUNT count]` (`args` starts at numkeys);
/// replies Redis's error on failure.
pub(super) fn zmulti_pop_args<'a>(
    ctx: &mut Ctx,
    args: &'a [&'a [u8]],
) -> Option<ZMultiPopArgs<'a>> {
    let numkeys = match parse_i64(args[0]) {
        Some(n) if n > 0 => n as usize,
        _ => {
            ctx.out.err("numkeys should be greater than 0");
            return None;
        }
    };
    let where_idx = 1 + numkeys;
    if where_idx >= args.len() {
        ctx.syntax_error();
        return None;
    }
    let max = if is(args[where_idx], "min") {
        false
    } else if is(args[where_idx], "max") {
        true
    } else {
        ctx.syntax_error();
        return None;
    };
    let mut count = 1usize;
    let mut seen = false;
    let mut j = where_idx + 1;
    while j < args.len() {
        if !seen && is(args[j], "count") && j + 1 < args.len() {
            match parse_i64(args[j + 1]) {
                Some(n) if n > 0 => count = n as usize,
                _ => {
                    ctx.out.err("count should be greater than 0");
                    return None;
                }
            }
            seen = true;
            j += 2;
        } else {
            ctx.syntax_error();
            return None;
        }
    }
    Some(ZMultiPopArgs {
        keys: &args[1..where_idx],
        max,
        count,
    })
}

/// Pops up to `count` members from the first non-empty set among `keys` and replies
/// `[key, [[member, score] ...]]`. Returns false, having replied nothing, when all are
/// missing; true after a reply (WRONGTYPE included).
pub(super) fn zmulti_pop_first(ctx: &mut Ctx, keys: &[&[u8]], max: bool, count: usize) -> bool {
    for &key in keys {
        match ctx.write_as::<ZSet>(key) {
            Err(_) => return true,
            Ok(None) => continue,
            Ok(Some(_)) => {}
        }
        zmulti_pop(ctx, key, max, count);
        return true;
    }
    false
}

/// Pops up to `count` members of the set at `key`; replies `[key, [[member, score] ...]]`.
pub(super) fn zmulti_pop(ctx: &mut Ctx, key: &[u8], max: bool, count: usize) {
    let items = pop(ctx, key, max, count);
    ctx.out.array(2);
    ctx.out.bulk(key);
    // Nested pairs in RESP2 too.
    reply_pairs_nested(ctx, &items, true);
    // Propagated as the single-key pop it was, as Redis does.
    let name: &[u8] = if max { b"ZPOPMAX" } else { b"ZPOPMIN" };
    let count = count.to_string();
    ctx.rewrite_argv(&[name, key, count.as_bytes()]);
}

/// ZMPOP numkeys key [key ...] MIN|MAX [COUNT count]
pub fn zmpop(ctx: &mut Ctx, argv: &[&[u8]]) {
    let Some(args) = zmulti_pop_args(ctx, &argv[1..]) else {
        return;
    };
    if !zmulti_pop_first(ctx, args.keys, args.max, args.count) {
        ctx.out.null_array();
    }
}

/// The set at `key` without touching the access statistics again.
fn peek_zset<'a>(ctx: &'a Ctx, key: &[u8]) -> Option<&'a ZSet> {
    zset_at(ctx.store, ctx.db, key)
}

/// The set at `key` in database `db`, without expiry checks or access statistics (for after
/// a lookup that did those). Taking the store alone leaves the reply writable meanwhile.
pub(super) fn zset_at<'a>(store: &'a Store, db: usize, key: &[u8]) -> Option<&'a ZSet> {
    match store.db(db).get(key) {
        Some(Value::ZSet(z)) => Some(z),
        _ => None,
    }
}

/// ZRANDMEMBER key [count [WITHSCORES]]
pub fn zrandmember(ctx: &mut Ctx, argv: &[&[u8]]) {
    let key = argv[1];
    let mut count = 1;
    let mut withscores = false;
    if argv.len() > 2 {
        let Some(c) = int_arg(ctx.out, argv[2]) else {
            return;
        };
        count = c;
        withscores = match argv.len() {
            3 => false,
            4 if is(argv[3], "withscores") => true,
            _ => return ctx.syntax_error(),
        };
        if count == i64::MIN {
            return ctx.out.err("value is out of range, value must between -9223372036854775807 and 9223372036854775807");
        }
        if withscores && count < -(i64::MAX / 2) {
            return ctx.out.err("value is out of range");
        }
        if !super::random_count_ok(ctx.out, count) {
            return;
        }
    }
    let len = match ctx.read_as::<ZSet>(key) {
        Err(_) => return,
        Ok(None) => {
            return if argv.len() == 2 {
                ctx.out.null()
            } else {
                ctx.out.array(0)
            }
        }
        Ok(Some(z)) => z.len(),
    };
    let rng = &mut ctx.store.rng;
    let mut picks: Vec<usize> = Vec::new();
    if count < 0 {
        for _ in 0..count.unsigned_abs() {
            picks.push((rng.next_u64() % len as u64) as usize);
        }
    } else if count as usize >= len {
        picks.extend(0..len);
    } else if (count as usize) * 3 < len {
        // Few of many: draw distinct ranks.
        let mut seen = std::collections::HashSet::new();
        while picks.len() < count as usize {
            let r = (rng.next_u64() % len as u64) as usize;
            if seen.insert(r) {
                picks.push(r);
            }
        }
    } else {
        // A partial Fisher-Yates shuffle of the ranks.
        let mut all: Vec<usize> = (0..len).collect();
        for i in 0..count as usize {
            let j = i + (rng.next_u64() % (len - i) as u64) as usize;
            all.swap(i, j);
        }
        all.truncate(count as usize);
        picks = all;
    }
    let z = peek_zset(ctx, key).expect("looked up");
    let items: Vec<(Vec<u8>, f64)> = picks
        .iter()
        .map(|&i| {
            let (m, s) = z.iter_from(i, false).next().expect("rank in range");
            (m.to_vec(), s)
        })
        .collect();
    if argv.len() == 2 {
        ctx.out.bulk(&items[0].0);
    } else if withscores {
        reply_pairs(ctx, &items, false);
    } else {
        ctx.out.array(items.len());
        for (m, _) in &items {
            ctx.out.bulk(m);
        }
    }
}

/// ZSCAN key cursor [MATCH pattern] [COUNT count]
pub fn zscan(ctx: &mut Ctx, argv: &[&[u8]]) {
    let Some(cursor) = super::keys::parse_cursor(argv[2]) else {
        return ctx.out.err("invalid cursor");
    };
    match ctx.read_as::<ZSet>(argv[1]) {
        Err(_) => return,
        Ok(None) => {
            ctx.out.array(2);
            ctx.out.bulk(b"0");
            return ctx.out.array(0);
        }
        Ok(Some(_)) => {}
    }
    let Some((pattern, count)) = super::keys::collection_scan_options(ctx, argv) else {
        return;
    };
    let mut found: Vec<(Vec<u8>, f64)> = Vec::new();
    let mut cursor = cursor;
    let mut listpack = false;
    match peek_zset(ctx, argv[1]).expect("looked up") {
        z @ ZSet::Listpack(_) => {
            found = z.iter().map(|(m, s)| (m.to_vec(), s)).collect();
            cursor = 0;
            listpack = true;
        }
        ZSet::Skiplist { scores, .. } => {
            let mut max_buckets = count.saturating_mul(10);
            loop {
                cursor = scores.scan(cursor, |m, s| found.push((m.to_vec(), *s)));
                max_buckets -= 1;
                if cursor == 0 || max_buckets <= 0 || found.len() as i64 >= count {
                    break;
                }
            }
        }
    }
    if let Some(p) = pattern {
        found.retain(|(m, _)| crate::util::glob::matches(p, m));
    }
    ctx.out.array(2);
    ctx.out.bulk(cursor.to_string().as_bytes());
    ctx.out.array(found.len() * 2);
    for (m, s) in &found {
        ctx.out.bulk(m);
        // A listpack holds integral scores as integers; the skiplist's are printed %.17g.
        let text = if listpack && s.fract() == 0.0 && s.abs() <= (i64::MAX / 2) as f64 {
            (*s as i64).to_string()
        } else {
            format_double(*s)
        };
        ctx.out.bulk(text.as_bytes());
    }
}
