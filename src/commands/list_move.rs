//! List commands that take elements from one key: LMOVE RPOPLPUSH LMPOP.

use super::list::{end_arg, ranged_arg, reply_elements};
use super::Ctx;
use crate::store::types::list::End;
use crate::store::types::List;
use crate::store::Value;

/// Moves one element from `src` to `dst`; replies it, or null when `src` is missing.
fn move_generic(ctx: &mut Ctx, src: &[u8], dst: &[u8], from: End, to: End) {
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
    // One change, as Redis counts it, but both keys are touched.
    ctx.signal_modified(src, 1);
    ctx.signal_modified(dst, 0);
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

/// LMPOP numkeys key [key ...] LEFT|RIGHT [COUNT count]
pub fn lmpop(ctx: &mut Ctx, argv: &[&[u8]]) {
    let Some(numkeys) = ranged_arg(ctx.out, argv[1], 1, "numkeys should be greater than 0") else {
        return;
    };
    let where_idx = match usize::try_from(numkeys).ok().and_then(|n| n.checked_add(2)) {
        Some(i) if i < argv.len() => i,
        _ => return ctx.syntax_error(),
    };
    let Some(end) = end_arg(ctx, argv[where_idx]) else {
        return;
    };
    let mut count = None;
    let mut j = where_idx + 1;
    while j < argv.len() {
        if count.is_none() && super::is(argv[j], "count") && j + 1 < argv.len() {
            j += 1;
            let Some(c) = ranged_arg(ctx.out, argv[j], 1, "count should be greater than 0") else {
                return;
            };
            count = Some(c);
        } else {
            return ctx.syntax_error();
        }
        j += 1;
    }
    let count = usize::try_from(count.unwrap_or(1)).unwrap_or(usize::MAX);
    for &key in &argv[2..where_idx] {
        let list = match ctx.write_as::<List>(key) {
            Err(_) => return,
            Ok(None) => continue,
            Ok(Some(l)) if l.is_empty() => continue,
            Ok(Some(l)) => l,
        };
        let popped = list.pop_many(end, count);
        ctx.out.array(2);
        ctx.out.bulk(key);
        reply_elements(ctx.out, popped.iter());
        ctx.signal_modified(key, popped.len() as u64);
        ctx.remove_if_empty(key);
        return;
    }
    ctx.out.null_array();
}
