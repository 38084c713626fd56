//! List commands that take elements from one key: LMOVE RPOPLPUSH LMPOP.

use super::list::{end_arg, pop_event, push_event, ranged_arg, reply_elements};
use super::Ctx;
use crate::store::types::list::End;
use crate::store::types::List;
use crate::store::Value;

/// Moves one element from `src` to `dst`; replies it, or null when `src` is missing or
/// empty.
pub(super) fn move_generic(ctx: &mut Ctx, src: &[u8], dst: &[u8], from: End, to: End) {
    match ctx.write_as::<List>(src) {
        Err(_) => return,
        Ok(None) => return ctx.out.null(),
        Ok(Some(l)) if l.is_empty() => return ctx.out.null(),
        Ok(Some(_)) => {}
    }
    // The destination's type is checked before anything is popped.
    if let Some(v) = ctx.store.lookup_write(ctx.db, dst) {
        if !matches!(v, Value::List(_)) {
            return ctx.wrong_type();
        }
    }
    let value = match ctx.write_as::<List>(src) {
        Ok(Some(l)) => l.pop(from).expect("non-empty"),
        _ => unreachable!("checked above"),
    };
    match ctx.write_or_create::<List>(dst) {
        Ok(l) => l.push(to, value.clone()),
        Err(_) => unreachable!("checked above"),
    }
    // One change, as Redis counts it; the push is reported before the pop, as in Redis.
    ctx.record(dst, push_event(to), 0);
    ctx.record(src, pop_event(from), 1);
    ctx.remove_if_empty(src);
    ctx.out.bulk(&value);
}

/// LMOVE source destination LEFT|RIGHT LEFT|RIGHT
pub fn lmove(ctx: &mut Ctx, argv: &[&[u8]]) {
    let Some(from) = end_arg(ctx, argv[3]) else {
        return;
    };
    let Some(to) = end_arg(ctx, argv[4]) else {
        return;
    };
    move_generic(ctx, argv[1], argv[2], from, to);
}

/// RPOPLPUSH source destination
pub fn rpoplpush(ctx: &mut Ctx, argv: &[&[u8]]) {
    move_generic(ctx, argv[1], argv[2], End::Right, End::Left);
}

/// The arguments of LMPOP / BLMPOP from `numkeys` on: the keys, the end and the count.
pub(super) struct MultiPopArgs<'a> {
    pub keys: &'a [&'a [u8]],
    pub end: End,
    pub count: usize,
}

/// Parses `numkeys key [key ...] LEFT|RIGHT [COUNT count]` (`args` starts at numkeys);
/// replies Redis's error on failure.
pub(super) fn multi_pop_args<'a>(ctx: &mut Ctx, args: &'a [&'a [u8]]) -> Option<MultiPopArgs<'a>> {
    let numkeys = ranged_arg(ctx.out, args[0], 1, "numkeys should be greater than 0")?;
    let where_idx = match usize::try_from(numkeys).ok().and_then(|n| n.checked_add(1)) {
        Some(i) if i < args.len() => i,
        _ => {
            ctx.syntax_error();
            return None;
        }
    };
    let end = end_arg(ctx, args[where_idx])?;
    let mut count = None;
    let mut j = where_idx + 1;
    while j < args.len() {
        if count.is_none() && super::is(args[j], "count") && j + 1 < args.len() {
            j += 1;
            count = Some(ranged_arg(
                ctx.out,
                args[j],
                1,
                "count should be greater than 0",
            )?);
        } else {
            ctx.syntax_error();
            return None;
        }
        j += 1;
    }
    Some(MultiPopArgs {
        keys: &args[1..where_idx],
        end,
        count: usize::try_from(count.unwrap_or(1)).unwrap_or(usize::MAX),
    })
}

/// Pops up to `count` elements from the first non-empty list among `keys` and replies
/// `[key, [elements]]`. Returns false, having replied nothing, when all are empty; true
/// after a reply (WRONGTYPE included).
pub(super) fn multi_pop_first(ctx: &mut Ctx, keys: &[&[u8]], end: End, count: usize) -> bool {
    for &key in keys {
        match ctx.write_as::<List>(key) {
            Err(_) => return true,
            Ok(Some(l)) if !l.is_empty() => {}
            Ok(_) => continue,
        }
        multi_pop(ctx, key, end, count);
        return true;
    }
    false
}

/// Pops up to `count` elements from the non-empty list at `key`; replies `[key, [elements]]`.
pub(super) fn multi_pop(ctx: &mut Ctx, key: &[u8], end: End, count: usize) {
    let Ok(Some(list)) = ctx.write_as::<List>(key) else {
        unreachable!("a non-empty list");
    };
    let popped = list.pop_many(end, count);
    ctx.out.array(2);
    ctx.out.bulk(key);
    reply_elements(ctx.out, popped.iter());
    ctx.record(key, pop_event(end), popped.len() as u64);
    ctx.remove_if_empty(key);
    // Propagated as the single-key pop it was, as Redis does.
    let name: &[u8] = if end == End::Left { b"LPOP" } else { b"RPOP" };
    let count = count.to_string();
    ctx.rewrite_argv(&[name, key, count.as_bytes()]);
}

/// LMPOP numkeys key [key ...] LEFT|RIGHT [COUNT count]
pub fn lmpop(ctx: &mut Ctx, argv: &[&[u8]]) {
    let Some(args) = multi_pop_args(ctx, &argv[1..]) else {
        return;
    };
    if !multi_pop_first(ctx, args.keys, args.end, args.count) {
        ctx.out.null_array();
    }
}
