//! List commands: LPUSH RPUSH LPUSHX RPUSHX LPOP RPOP LLEN LRANGE LINDEX LSET LREM LTRIM
//! LINSERT LPOS. The commands that move elements between keys are in `list_move.rs`.

use super::{int_arg, is, Ctx};
use crate::protocol::parse::parse_i64;
use crate::protocol::reply::Reply;
use crate::store::types::list::End;
use crate::store::types::List;
use crate::store::{Event, Value};

/// Parses LEFT / RIGHT; replies a syntax error otherwise.
pub(super) fn end_arg(ctx: &mut Ctx, arg: &[u8]) -> Option<End> {
    if is(arg, "left") {
        Some(End::Left)
    } else if is(arg, "right") {
        Some(End::Right)
    } else {
        ctx.syntax_error();
        None
    }
}

/// Parses an integer in `min..=i64::MAX`; on failure replies `msg` (as `ERR msg`).
pub(super) fn ranged_arg(out: &mut Reply, arg: &[u8], min: i64, msg: &str) -> Option<i64> {
    match parse_i64(arg) {
        Some(v) if v >= min => Some(v),
        _ => {
            out.err(msg);
            None
        }
    }
}

/// The list at `key`, already looked up and type-checked, with the reply writer beside it.
fn stored<'a>(ctx: &'a mut Ctx, key: &[u8]) -> (&'a mut List, &'a mut Reply) {
    let Ctx { store, out, db, .. } = ctx;
    match store.value_mut(*db, key) {
        Some(Value::List(l)) => (l, out),
        _ => unreachable!("looked up as a list"),
    }
}

/// The event a push at `end` records.
pub(super) fn push_event(end: End) -> Event {
    match end {
        End::Left => Event::LPush,
        End::Right => Event::RPush,
    }
}

/// The event a pop from `end` records.
pub(super) fn pop_event(end: End) -> Event {
    match end {
        End::Left => Event::LPop,
        End::Right => Event::RPop,
    }
}

/// Writes the elements as an array.
pub(super) fn reply_elements<'a>(
    out: &mut Reply,
    elems: impl ExactSizeIterator<Item = &'a Vec<u8>>,
) {
    out.array(elems.len());
    for e in elems {
        out.bulk(e);
    }
}

fn push_generic(ctx: &mut Ctx, argv: &[&[u8]], end: End, only_existing: bool) {
    let key = argv[1];
    let list = if only_existing {
        match ctx.write_as::<List>(key) {
            Err(_) => return,
            Ok(None) => return ctx.out.int(0),
            Ok(Some(l)) => l,
        }
    } else {
        match ctx.write_or_create::<List>(key) {
            Err(_) => return,
            Ok(l) => l,
        }
    };
    for e in &argv[2..] {
        list.push(end, e.to_vec());
    }
    let len = list.len() as i64;
    ctx.record(key, push_event(end), (argv.len() - 2) as u64);
    ctx.out.int(len);
}

/// LPUSH key element [element ...]
pub fn lpush(ctx: &mut Ctx, argv: &[&[u8]]) {
    push_generic(ctx, argv, End::Left, false);
}

/// RPUSH key element [element ...]
pub fn rpush(ctx: &mut Ctx, argv: &[&[u8]]) {
    push_generic(ctx, argv, End::Right, false);
}

/// LPUSHX key element [element ...]
pub fn lpushx(ctx: &mut Ctx, argv: &[&[u8]]) {
    push_generic(ctx, argv, End::Left, true);
}

/// RPUSHX key element [element ...]
pub fn rpushx(ctx: &mut Ctx, argv: &[&[u8]]) {
    push_generic(ctx, argv, End::Right, true);
}

fn pop_generic(ctx: &mut Ctx, argv: &[&[u8]], end: End, name: &str) {
    if argv.len() > 3 {
        return ctx
            .out
            .err(&format!("wrong number of arguments for '{name}' command"));
    }
    let count = match argv.get(2) {
        None => None,
        Some(raw) => {
            let Some(n) = int_arg_positive(ctx.out, raw) else {
                return;
            };
            Some(n)
        }
    };
    let key = argv[1];
    let list = match ctx.write_as::<List>(key) {
        Err(_) => return,
        Ok(None) if count.is_some() => return ctx.out.null_array(),
        Ok(None) => return ctx.out.null(),
        Ok(Some(l)) => l,
    };
    match count {
        None => {
            let v = list.pop(end).unwrap_or_default();
            ctx.out.bulk(&v);
            ctx.record(key, pop_event(end), 1);
        }
        Some(0) => return ctx.out.array(0),
        Some(n) => {
            let popped = list.pop_many(end, usize::try_from(n).unwrap_or(usize::MAX));
            reply_elements(ctx.out, popped.iter());
            ctx.record(key, pop_event(end), popped.len() as u64);
        }
    }
    ctx.remove_if_empty(key);
}

/// An integer >= 0, with the errors of Redis's getPositiveLongFromObjectOrReply.
fn int_arg_positive(out: &mut Reply, raw: &[u8]) -> Option<i64> {
    ranged_arg(out, raw, 0, "value is out of range, must be positive")
}

/// LPOP key [count]
pub fn lpop(ctx: &mut Ctx, argv: &[&[u8]]) {
    pop_generic(ctx, argv, End::Left, "lpop");
}

/// RPOP key [count]
pub fn rpop(ctx: &mut Ctx, argv: &[&[u8]]) {
    pop_generic(ctx, argv, End::Right, "rpop");
}

/// LLEN key
pub fn llen(ctx: &mut Ctx, argv: &[&[u8]]) {
    match ctx.read_as::<List>(argv[1]) {
        Err(_) => {}
        Ok(l) => {
            let n = l.map_or(0, |l| l.len()) as i64;
            ctx.out.int(n)
        }
    }
}

/// LRANGE key start stop
pub fn lrange(ctx: &mut Ctx, argv: &[&[u8]]) {
    let Some(start) = int_arg(ctx.out, argv[2]) else {
        return;
    };
    let Some(stop) = int_arg(ctx.out, argv[3]) else {
        return;
    };
    match ctx.read_as::<List>(argv[1]) {
        Err(_) => return,
        Ok(None) => return ctx.out.array(0),
        Ok(Some(_)) => {}
    }
    let (list, out) = stored(ctx, argv[1]);
    match list.range(start, stop) {
        None => out.array(0),
        Some((a, b)) => reply_elements(out, list.items.range(a..=b)),
    }
}

/// LINDEX key index
pub fn lindex(ctx: &mut Ctx, argv: &[&[u8]]) {
    match ctx.read_as::<List>(argv[1]) {
        Err(_) => return,
        Ok(None) => return ctx.out.null(),
        Ok(Some(_)) => {}
    }
    let (list, out) = stored(ctx, argv[1]);
    let Some(index) = int_arg(out, argv[2]) else {
        return;
    };
    match list.position(index) {
        None => out.null(),
        Some(i) => out.bulk(&list.items[i]),
    }
}

/// LSET key index element
pub fn lset(ctx: &mut Ctx, argv: &[&[u8]]) {
    match ctx.write_as::<List>(argv[1]) {
        Err(_) => return,
        Ok(None) => return ctx.out.err("no such key"),
        Ok(Some(_)) => {}
    }
    let (list, out) = stored(ctx, argv[1]);
    let Some(index) = int_arg(out, argv[2]) else {
        return;
    };
    match list.position(index) {
        None => out.err("index out of range"),
        Some(i) => {
            list.items[i] = argv[3].to_vec();
            ctx.record(argv[1], Event::LSet, 1);
            ctx.out.ok();
        }
    }
}

/// LREM key count element
pub fn lrem(ctx: &mut Ctx, argv: &[&[u8]]) {
    let Some(count) = int_arg(ctx.out, argv[2]) else {
        return;
    };
    let list = match ctx.write_as::<List>(argv[1]) {
        Err(_) => return,
        Ok(None) => return ctx.out.int(0),
        Ok(Some(l)) => l,
    };
    let removed = list.remove(count, argv[3]);
    if removed > 0 {
        ctx.record(argv[1], Event::LRem, removed as u64);
        ctx.remove_if_empty(argv[1]);
    }
    ctx.out.int(removed as i64);
}

/// LTRIM key start stop
pub fn ltrim(ctx: &mut Ctx, argv: &[&[u8]]) {
    let Some(start) = int_arg(ctx.out, argv[2]) else {
        return;
    };
    let Some(stop) = int_arg(ctx.out, argv[3]) else {
        return;
    };
    let list = match ctx.write_as::<List>(argv[1]) {
        Err(_) => return,
        Ok(None) => return ctx.out.ok(),
        Ok(Some(l)) => l,
    };
    let before = list.len();
    list.trim(start, stop);
    let removed = before - list.len();
    ctx.record(argv[1], Event::LTrim, removed as u64);
    ctx.remove_if_empty(argv[1]);
    ctx.out.ok();
}

/// LINSERT key BEFORE|AFTER pivot element
pub fn linsert(ctx: &mut Ctx, argv: &[&[u8]]) {
    let before = if is(argv[2], "after") {
        false
    } else if is(argv[2], "before") {
        true
    } else {
        return ctx.syntax_error();
    };
    let list = match ctx.write_as::<List>(argv[1]) {
        Err(_) => return,
        Ok(None) => return ctx.out.int(0),
        Ok(Some(l)) => l,
    };
    if list.insert(before, argv[3], argv[4].to_vec()) {
        let len = list.len() as i64;
        ctx.record(argv[1], Event::LInsert, 1);
        ctx.out.int(len);
    } else {
        ctx.out.int(-1);
    }
}

/// LPOS key element [RANK rank] [COUNT num-matches] [MAXLEN len]
pub fn lpos(ctx: &mut Ctx, argv: &[&[u8]]) {
    let (mut rank, mut count, mut maxlen) = (1i64, None, 0i64);
    let mut j = 3;
    while j < argv.len() {
        let (opt, more) = (argv[j], j + 1 < argv.len());
        if is(opt, "rank") && more {
            j += 1;
            let Some(r) = int_arg(ctx.out, argv[j]) else {
                return;
            };
            if r == 0 {
                return ctx.out.err(
                    "RANK can't be zero: use 1 to start from the first match, 2 from the \
                     second ... or use negative to start from the end of the list",
                );
            }
            rank = r;
        } else if is(opt, "count") && more {
            j += 1;
            let Some(c) = ranged_arg(ctx.out, argv[j], 0, "COUNT can't be negative") else {
                return;
            };
            count = Some(c);
        } else if is(opt, "maxlen") && more {
            j += 1;
            let Some(m) = ranged_arg(ctx.out, argv[j], 0, "MAXLEN can't be negative") else {
                return;
            };
            maxlen = m;
        } else {
            return ctx.syntax_error();
        }
        j += 1;
    }
    let list = match ctx.read_as::<List>(argv[1]) {
        Err(_) => return,
        Ok(None) if count.is_some() => return ctx.out.array(0),
        Ok(None) => return ctx.out.null(),
        Ok(Some(l)) => l,
    };
    let found = list.positions(argv[2], rank, count, maxlen);
    if count.is_some() {
        ctx.out.array(found.len());
        found.iter().for_each(|&p| ctx.out.int(p as i64));
    } else {
        match found.first() {
            Some(&p) => ctx.out.int(p as i64),
            None => ctx.out.null(),
        }
    }
}
