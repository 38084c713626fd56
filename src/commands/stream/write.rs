//! XADD, XTRIM, XDEL, XSETID and XLEN.

use super::{id_arg, parse_id, IdRules, INVALID_ID};
use crate::commands::{is, Ctx};
use crate::store::types::stream::{Stream, StreamId, Trim, LISTPACK_MAX_SIZE};
use crate::store::Event;

/// The trimming options XADD and XTRIM share (streamAddTrimArgs).
#[derive(Default)]
struct TrimArgs {
    how: Option<Trim>,
    approx: bool,
    /// 0: no limit.
    limit: u64,
    /// Where the MAXLEN / MINID value is, for rewriting `~` trims when propagating.
    arg_at: usize,
    // XADD only.
    id: Option<(StreamId, bool)>,
    no_mkstream: bool,
}

/// Parses `[MAXLEN|MINID [=|~] x] [LIMIT n]` (and for XADD `[NOMKSTREAM] <id>`) from
/// argument 2 on, as streamParseAddOrTrimArgsOrReply does. Returns the arguments and, for
/// XADD, the ID's position; None after replying an error.
fn trim_args(ctx: &mut Ctx, argv: &[&[u8]], xadd: bool) -> Option<(TrimArgs, usize)> {
    let mut a = TrimArgs::default();
    let mut limit_given = false;
    let mut limit: i64 = 0;
    let mut i = 2;
    while i < argv.len() {
        let more = argv.len() - 1 - i;
        let opt = argv[i];
        if xadd && opt == b"*" {
            break;
        } else if (is(opt, "maxlen") || is(opt, "minid")) && more > 0 {
            if a.how.is_some() {
                ctx.out.err(
                    "syntax error, MAXLEN and MINID options at the same time are not compatible",
                );
                return None;
            }
            a.approx = false;
            let next = argv[i + 1];
            if more >= 2 && (next == b"~" || next == b"=") {
                a.approx = next == b"~";
                i += 1;
            }
            let value = argv[i + 1];
            if is(opt, "maxlen") {
                let n = crate::commands::int_arg(ctx.out, value)?;
                if n < 0 {
                    ctx.out.err("The MAXLEN argument must be >= 0.");
                    return None;
                }
                a.how = Some(Trim::MaxLen(n as u64));
            } else {
                a.how = Some(Trim::MinId(id_arg(ctx.out, value, IdRules::STRICT)?));
            }
            i += 1;
            a.arg_at = i;
        } else if is(opt, "limit") && more > 0 {
            limit = crate::commands::int_arg(ctx.out, argv[i + 1])?;
            if limit < 0 {
                ctx.out.err("The LIMIT argument must be >= 0.");
                return None;
            }
            limit_given = true;
            i += 1;
        } else if xadd && is(opt, "nomkstream") {
            a.no_mkstream = true;
        } else if xadd {
            let rules = IdRules {
                seq_star: true,
                ..IdRules::STRICT
            };
            let Some(id) = parse_id(opt, rules) else {
                ctx.out.err(INVALID_ID);
                return None;
            };
            a.id = Some(id);
            break;
        } else {
            ctx.syntax_error();
            return None;
        }
        i += 1;
    }
    if limit != 0 && a.how.is_none() {
        ctx.out
            .err("syntax error, LIMIT cannot be used without specifying a trimming strategy");
        return None;
    }
    if !xadd && a.how.is_none() {
        ctx.out
            .err("syntax error, XTRIM must be called with a trimming strategy");
        return None;
    }
    if limit_given {
        if !a.approx {
            ctx.out
                .err("syntax error, LIMIT cannot be used without the special ~ option");
            return None;
        }
        a.limit = limit as u64;
    } else if a.approx {
        // At most 100 nodes' worth of work per call, as Redis bounds it.
        let n = 100i64.saturating_mul(ctx.store.limits.stream_node.max_entries as i64);
        a.limit = if n <= 0 { 10_000 } else { n.min(1_000_000) } as u64;
    }
    Some((a, i))
}

/// After an approximate trim, what a replica must apply to end with the same entries: the
/// resulting length or first ID, exactly (`=`).
fn rewrite_approx(argv: &mut [Vec<u8>], a: &TrimArgs, s: &Stream) {
    argv[a.arg_at - 1] = b"=".to_vec();
    argv[a.arg_at] = match a.how {
        Some(Trim::MaxLen(_)) => s.length.to_string().into_bytes(),
        _ => s.first_any().unwrap_or_default().to_bytes(),
    };
}

/// XADD key [NOMKSTREAM] [MAXLEN|MINID [=|~] threshold [LIMIT count]] *|id field value ...
pub fn xadd(ctx: &mut Ctx, argv: &[&[u8]]) {
    let Some((a, idpos)) = trim_args(ctx, argv, true) else {
        return;
    };
    let fields = argv.get(idpos + 1..).unwrap_or(&[]);
    if fields.len() < 2 || fields.len() % 2 == 1 {
        return ctx.out.err("wrong number of arguments for 'xadd' command");
    }
    if a.id == Some((StreamId::MIN, true)) {
        return ctx
            .out
            .err("The ID specified in XADD must be greater than 0-0");
    }
    let key = argv[1];
    let exists = match ctx.write_as::<Stream>(key) {
        Err(_) => return,
        Ok(s) => s.is_some(),
    };
    if !exists && a.no_mkstream {
        return ctx.out.null();
    }
    let total: usize = fields.iter().map(|f| f.len()).sum();
    let now = ctx.now_ms();
    let limits = ctx.store.limits.stream_node;
    let s = ctx
        .write_or_create::<Stream>(key)
        .expect("checked the type");
    if s.last_id == StreamId::MAX {
        return ctx
            .out
            .err("The stream has exhausted the last possible ID, unable to add more items");
    }
    let id = match a.id {
        Some((id, true)) => Some(id),
        Some((want, false)) if want.ms == s.last_id.ms => {
            // `ms-*` continues the sequence of the last ID in that millisecond.
            s.last_id.next().filter(|_| s.last_id.seq != u64::MAX)
        }
        Some((want, false)) => Some(want),
        // `*`: the clock, or the last ID's successor when the clock went backwards.
        None if now > s.last_id.ms => Some(StreamId::new(now, 0)),
        None => s.last_id.next(),
    };
    let id = match id {
        Some(id) if id > s.last_id => id,
        _ => {
            return ctx.out.err(
                "The ID specified in XADD is equal or smaller than the target stream top item",
            )
        }
    };
    if total > LISTPACK_MAX_SIZE {
        ctx.out.err("Elements are too large to be stored");
        return;
    }
    s.append(id, fields, limits);
    let trimmed = match a.how {
        Some(how) => s.trim(how, a.approx, a.limit),
        None => 0,
    };
    let mut prop: Vec<Vec<u8>> = argv.iter().map(|x| x.to_vec()).collect();
    if a.how.is_some() && a.approx {
        rewrite_approx(&mut prop, &a, s);
    }
    if a.id.is_none_or(|(_, given)| !given) {
        prop[idpos] = id.to_bytes();
    }
    super::reply_id(ctx.out, id);
    ctx.record(key, Event::XAdd, 1);
    if trimmed > 0 {
        ctx.record(key, Event::XTrim, 0);
    }
    ctx.replace_propagation(vec![prop]);
}

/// XTRIM key MAXLEN|MINID [=|~] threshold [LIMIT count]
pub fn xtrim(ctx: &mut Ctx, argv: &[&[u8]]) {
    let Some((a, _)) = trim_args(ctx, argv, false) else {
        return;
    };
    let key = argv[1];
    let s = match ctx.write_as::<Stream>(key) {
        Err(_) => return,
        Ok(None) => return ctx.out.int(0),
        Ok(Some(s)) => s,
    };
    let how = a.how.expect("XTRIM has a strategy");
    let deleted = s.trim(how, a.approx, a.limit);
    if deleted > 0 {
        if a.approx {
            let mut prop: Vec<Vec<u8>> = argv.iter().map(|x| x.to_vec()).collect();
            rewrite_approx(&mut prop, &a, s);
            ctx.replace_propagation(vec![prop]);
        }
        ctx.record(key, Event::XTrim, deleted);
    }
    ctx.out.int(deleted as i64);
}

/// XDEL key id [id ...]
pub fn xdel(ctx: &mut Ctx, argv: &[&[u8]]) {
    let key = argv[1];
    match ctx.write_as::<Stream>(key) {
        Err(_) => return,
        Ok(None) => return ctx.out.int(0),
        Ok(Some(_)) => {}
    }
    let mut ids = Vec::with_capacity(argv.len() - 2);
    for arg in &argv[2..] {
        let Some(id) = id_arg(ctx.out, arg, IdRules::STRICT) else {
            return;
        };
        ids.push(id);
    }
    let Ok(Some(s)) = ctx.write_as::<Stream>(key) else {
        unreachable!("looked up above");
    };
    let mut deleted = 0u64;
    let mut first = false;
    for id in ids {
        if s.delete(id) {
            first |= id == s.first_id;
            if id > s.max_deleted_entry_id {
                s.max_deleted_entry_id = id;
            }
            deleted += 1;
        }
    }
    if deleted > 0 {
        if s.length == 0 {
            s.first_id = StreamId::MIN;
        } else if first {
            s.refresh_first_id();
        }
        ctx.record(key, Event::XDel, deleted);
    }
    ctx.out.int(deleted as i64);
}

/// XSETID key last-id [ENTRIESADDED entries-added] [MAXDELETEDID max-deleted-id]
pub fn xsetid(ctx: &mut Ctx, argv: &[&[u8]]) {
    let Some(id) = id_arg(ctx.out, argv[2], IdRules::STRICT) else {
        return;
    };
    let mut entries_added: i64 = -1;
    let mut max_deleted = StreamId::MIN;
    let mut i = 3;
    while i < argv.len() {
        let more = argv.len() - 1 - i;
        if is(argv[i], "entriesadded") && more > 0 {
            let Some(n) = crate::commands::int_arg(ctx.out, argv[i + 1]) else {
                return;
            };
            if n < 0 {
                return ctx.out.err("entries_added must be positive");
            }
            entries_added = n;
        } else if is(argv[i], "maxdeletedid") && more > 0 {
            let Some(m) = id_arg(ctx.out, argv[i + 1], IdRules::STRICT) else {
                return;
            };
            if id < m {
                return ctx.out.err(
                    "The ID specified in XSETID is smaller than the provided max_deleted_entry_id",
                );
            }
            max_deleted = m;
        } else {
            return ctx.syntax_error();
        }
        i += 2;
    }
    let key = argv[1];
    let s = match ctx.write_as::<Stream>(key) {
        Err(_) => return,
        Ok(None) => return ctx.out.err("no such key"),
        Ok(Some(s)) => s,
    };
    if s.length > 0 {
        let top = s.last_live().unwrap_or_default();
        if id < top {
            return ctx
                .out
                .err("The ID specified in XSETID is smaller than the target stream top item");
        }
        if entries_added != -1 && s.length > entries_added as u64 {
            return ctx.out.err(
                "The entries_added specified in XSETID is smaller than the target stream length",
            );
        }
    }
    s.last_id = id;
    if entries_added != -1 {
        s.entries_added = entries_added as u64;
    }
    if !max_deleted.is_zero() {
        s.max_deleted_entry_id = max_deleted;
    }
    ctx.out.ok();
    ctx.record_unwatched(key, Event::XSetId, 1);
}

/// XLEN key
pub fn xlen(ctx: &mut Ctx, argv: &[&[u8]]) {
    if let Ok(s) = ctx.read_as::<Stream>(argv[1]) {
        let n = s.map_or(0, |s| s.length as i64);
        ctx.out.int(n);
    }
}
