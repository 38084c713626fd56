//! XPENDING, XCLAIM and XAUTOCLAIM: inspecting and moving a group's pending entries.
//!
//! Claims propagate as Redis's do: one `XCLAIM ... FORCE JUSTID LASTID` per entry claimed
//! or dropped (its stream entry was deleted), and `XGROUP SETID` when only LASTID moved
//! the group.

use super::read::xclaim_of;
use super::{id_arg, interval_arg, reply_entry, reply_id, IdRules};
use crate::commands::{int_arg, is, Ctx};
use crate::protocol::parse::parse_i64;
use crate::protocol::reply::Reply;
use crate::server::client::GroupRead;
use crate::store::types::stream::{Group, Nack, Stream, StreamId};
use crate::store::{Event, Value};

/// `NOGROUP No such key '<key>' or consumer group '<group>'`.
fn nogroup(out: &mut Reply, key: &[u8], group: &[u8]) {
    let mut msg = b"NOGROUP No such key '".to_vec();
    msg.extend_from_slice(key);
    msg.extend_from_slice(b"' or consumer group '");
    msg.extend_from_slice(group);
    msg.push(b'\'');
    out.error_bytes(&msg);
}

/// The stream at `key` if it has group `group`: None after replying WRONGTYPE or NOGROUP.
fn stream_with_group<'a>(
    ctx: &'a mut Ctx,
    key: &[u8],
    group: &[u8],
) -> Option<(&'a mut Reply, &'a mut Stream)> {
    let found = match ctx.store.lookup_read(ctx.db, key) {
        Some(Value::Stream(s)) => s.groups.contains_key(group),
        None => false,
        Some(_) => {
            ctx.wrong_type();
            return None;
        }
    };
    if !found {
        nogroup(ctx.out, key, group);
        return None;
    }
    match ctx.store.value_mut(ctx.db, key) {
        Some(Value::Stream(s)) => Some((&mut *ctx.out, &mut **s)),
        _ => unreachable!("looked up above"),
    }
}

/// An integer argument with a command's own error message.
fn int_msg(out: &mut Reply, arg: &[u8], msg: &str) -> Option<i64> {
    let v = parse_i64(arg);
    if v.is_none() {
        out.err(msg);
    }
    v
}

/// XPENDING key group [[IDLE min-idle-time] start end count [consumer]]
pub fn xpending(ctx: &mut Ctx, argv: &[&[u8]]) {
    let (key, group) = (argv[1], argv[2]);
    if argv.len() != 3 && !(6..=9).contains(&argv.len()) {
        return ctx.syntax_error();
    }
    let mut range = None;
    if argv.len() >= 6 {
        let mut at = 3;
        let mut min_idle = 0;
        if is(argv[3], "idle") {
            let Some(n) = int_arg(ctx.out, argv[4]) else {
                return;
            };
            min_idle = n;
            if argv.len() < 8 {
                return ctx.syntax_error();
            }
            at += 2;
        }
        let Some(count) = argv.get(at + 2).and_then(|c| int_arg(ctx.out, c)) else {
            if argv.get(at + 2).is_none() {
                ctx.syntax_error();
            }
            return;
        };
        let Some((mut start, ex)) = interval_arg(ctx.out, argv[at], 0) else {
            return;
        };
        if ex {
            match start.next() {
                Some(s) => start = s,
                None => return ctx.out.err("invalid start ID for the interval"),
            }
        }
        let Some((mut end, ex)) = interval_arg(ctx.out, argv[at + 1], u64::MAX) else {
            return;
        };
        if ex {
            match end.prev() {
                Some(e) => end = e,
                None => return ctx.out.err("invalid end ID for the interval"),
            }
        }
        range = Some((
            min_idle,
            start,
            end,
            count.max(0) as usize,
            argv.get(at + 3),
        ));
    }
    let now = ctx.now_ms();
    let Some((out, s)) = stream_with_group(ctx, key, group) else {
        return;
    };
    let g = &s.groups[group];
    let Some((min_idle, start, end, count, consumer)) = range else {
        out.array(4);
        out.int(g.pel.len() as i64);
        let (Some((first, _)), Some((last, _))) = (g.pel.first_key_value(), g.pel.last_key_value())
        else {
            out.null();
            out.null();
            return out.null_array();
        };
        reply_id(out, *first);
        reply_id(out, *last);
        let owners: Vec<_> = g
            .consumers
            .iter()
            .filter(|(_, c)| !c.pel.is_empty())
            .collect();
        out.array(owners.len());
        for (name, c) in owners {
            out.array(2);
            out.bulk(name);
            out.bulk(c.pel.len().to_string().as_bytes());
        }
        return;
    };
    let idle_ok =
        |n: &Nack| min_idle == 0 || (now as i64).wrapping_sub(n.delivery_time as i64) >= min_idle;
    let rows: Vec<(StreamId, &Nack)> = if start > end {
        Vec::new()
    } else {
        match consumer {
            Some(name) => match g.consumers.get(*name) {
                None => Vec::new(),
                Some(c) => c
                    .pel
                    .range(start..=end)
                    .map(|id| (*id, &g.pel[id]))
                    .filter(|(_, n)| idle_ok(n))
                    .take(count)
                    .collect(),
            },
            None => g
                .pel
                .range(start..=end)
                .map(|(id, n)| (*id, n))
                .filter(|(_, n)| idle_ok(n))
                .take(count)
                .collect(),
        }
    };
    out.array(rows.len());
    for (id, n) in rows {
        out.array(4);
        reply_id(out, id);
        out.bulk(&n.consumer);
        out.int((now as i64).wrapping_sub(n.delivery_time as i64).max(0));
        out.int(n.delivery_count as i64);
    }
}

/// Gives pending `id` to `consumer` (created if needed) as XCLAIM and XAUTOCLAIM do:
/// delivered at `time`, its count set or incremented, then replied and propagated.
#[allow(clippy::too_many_arguments)]
fn claim_one(
    out: &mut Reply,
    s: &Stream,
    g: &mut Group,
    gr: &GroupRead,
    key: &[u8],
    id: StreamId,
    time: u64,
    count: Option<u64>,
    justid: bool,
    props: &mut Vec<Vec<Vec<u8>>>,
) {
    g.reassign(id, &gr.consumer);
    let nack = g.pel.get_mut(&id).expect("pending");
    nack.delivery_time = time;
    match count {
        Some(c) => nack.delivery_count = c,
        None if !justid => nack.delivery_count = nack.delivery_count.wrapping_add(1),
        None => {}
    }
    if justid {
        reply_id(out, id);
    } else {
        reply_entry(out, &s.get(id).expect("claimed entries exist"));
    }
    props.push(xclaim_of(key, gr, g, id));
}

/// XCLAIM key group consumer min-idle-time id [id ...] [IDLE ms] [TIME unix-ms]
/// [RETRYCOUNT count] [FORCE] [JUSTID] [LASTID id]
pub fn xclaim(ctx: &mut Ctx, argv: &[&[u8]]) {
    let (key, group, consumer) = (argv[1], argv[2], argv[3]);
    let now = ctx.now_ms() as i64;
    if stream_with_group(ctx, key, group).is_none() {
        return;
    }
    let Some(min_idle) = int_msg(
        ctx.out,
        argv[4],
        "Invalid min-idle-time argument for XCLAIM",
    ) else {
        return;
    };
    let min_idle = min_idle.max(0);
    let mut ids = Vec::new();
    let mut j = 5;
    while j < argv.len() {
        match super::parse_id(argv[j], IdRules::STRICT) {
            Some((id, _)) => ids.push(id),
            None => break,
        }
        j += 1;
    }
    let (mut force, mut justid) = (false, false);
    let mut retry: Option<i64> = None;
    let mut time: Option<i64> = None;
    let mut last_id = StreamId::MIN;
    while j < argv.len() {
        let more = argv.len() - 1 - j;
        let opt = argv[j];
        if is(opt, "force") {
            force = true;
        } else if is(opt, "justid") {
            justid = true;
        } else if is(opt, "idle") && more > 0 {
            j += 1;
            let Some(v) = int_msg(ctx.out, argv[j], "Invalid IDLE option argument for XCLAIM")
            else {
                return;
            };
            time = Some(now.wrapping_sub(v));
        } else if is(opt, "time") && more > 0 {
            j += 1;
            let Some(v) = int_msg(ctx.out, argv[j], "Invalid TIME option argument for XCLAIM")
            else {
                return;
            };
            time = Some(v);
        } else if is(opt, "retrycount") && more > 0 {
            j += 1;
            let Some(v) = int_msg(
                ctx.out,
                argv[j],
                "Invalid RETRYCOUNT option argument for XCLAIM",
            ) else {
                return;
            };
            retry = Some(v);
        } else if is(opt, "lastid") && more > 0 {
            j += 1;
            let Some(id) = id_arg(ctx.out, argv[j], IdRules::STRICT) else {
                return;
            };
            last_id = id;
        } else {
            let mut msg = b"ERR Unrecognized XCLAIM option '".to_vec();
            msg.extend_from_slice(opt);
            msg.push(b'\'');
            return ctx.out.error_bytes(&msg);
        }
        j += 1;
    }
    let time = match time {
        Some(t) if (0..=now).contains(&t) => t as u64,
        _ => now as u64,
    };
    let Some((out, s)) = stream_with_group(ctx, key, group) else {
        unreachable!("checked above");
    };
    let mut g = s.groups.remove(group).expect("checked");
    let gr = GroupRead {
        group: group.to_vec(),
        consumer: consumer.to_vec(),
        noack: false,
    };
    let mut propagate_last_id = false;
    if last_id > g.last_id {
        g.last_id = last_id;
        propagate_last_id = true;
    }
    let mut props = Vec::new();
    let mut dirty = 0u64;
    let mut created = false;
    let at = out.begin_deferred();
    let mut n = 0;
    for id in ids {
        if s.get(id).is_none() {
            if g.pel.contains_key(&id) {
                props.push(xclaim_of(key, &gr, &g, id));
                propagate_last_id = false;
                dirty += 1;
                g.ack(id);
            }
            continue;
        }
        let fresh = force && !g.pel.contains_key(&id);
        if fresh {
            g.pel.insert(
                id,
                Nack {
                    delivery_time: 0,
                    delivery_count: 0,
                    consumer: Vec::new(),
                },
            );
        }
        let Some(nack) = g.pel.get(&id) else {
            continue;
        };
        if !fresh && min_idle > 0 && now.wrapping_sub(nack.delivery_time as i64) < min_idle {
            continue;
        }
        if !g.consumers.contains_key(consumer) {
            created |= g.create_consumer(consumer, now as u64);
        }
        if let Some(c) = g.consumers.get_mut(consumer) {
            c.seen_time = now as u64;
        }
        let count = retry.filter(|r| *r >= 0).map(|r| r as u64);
        claim_one(
            out, s, &mut g, &gr, key, id, time, count, justid, &mut props,
        );
        n += 1;
        propagate_last_id = false;
        dirty += 1;
    }
    if propagate_last_id {
        props.push(vec![
            b"XGROUP".to_vec(),
            b"SETID".to_vec(),
            key.to_vec(),
            group.to_vec(),
            g.last_id.to_bytes(),
            b"ENTRIESREAD".to_vec(),
            g.entries_read.to_string().into_bytes(),
        ]);
        dirty += 1;
    }
    out.end_deferred(at, crate::protocol::reply::DeferredKind::Array, n);
    s.groups.insert(group.to_vec(), g);
    finish(ctx, key, dirty, created, props);
}

/// Counts the writes, records a consumer's creation and sets what propagates.
fn finish(ctx: &mut Ctx, key: &[u8], dirty: u64, created: bool, props: Vec<Vec<Vec<u8>>>) {
    ctx.store.dirty += dirty;
    if created {
        ctx.record_unwatched(key, Event::XGroupCreateConsumer, 1);
    }
    ctx.replace_propagation(props);
}

/// XAUTOCLAIM key group consumer min-idle-time start [COUNT count] [JUSTID]
pub fn xautoclaim(ctx: &mut Ctx, argv: &[&[u8]]) {
    let (key, group, consumer) = (argv[1], argv[2], argv[3]);
    let Some(min_idle) = int_msg(
        ctx.out,
        argv[4],
        "Invalid min-idle-time argument for XAUTOCLAIM",
    ) else {
        return;
    };
    let min_idle = min_idle.max(0);
    let Some((mut start, ex)) = interval_arg(ctx.out, argv[5], 0) else {
        return;
    };
    if ex {
        match start.next() {
            Some(s) => start = s,
            None => return ctx.out.err("invalid start ID for the interval"),
        }
    }
    let mut count: i64 = 100;
    let mut justid = false;
    let mut j = 6;
    while j < argv.len() {
        let more = argv.len() - 1 - j;
        if is(argv[j], "count") && more > 0 {
            // LONG_MAX / 16: the bound Redis sets so its ID buffer cannot overflow.
            let max = i64::MAX / 16;
            match parse_i64(argv[j + 1]) {
                Some(c) if (1..=max).contains(&c) => count = c,
                _ => return ctx.out.err("COUNT must be > 0"),
            }
            j += 1;
        } else if is(argv[j], "justid") {
            justid = true;
        } else {
            return ctx.syntax_error();
        }
        j += 1;
    }
    let now = ctx.now_ms();
    let Some((out, s)) = stream_with_group(ctx, key, group) else {
        return;
    };
    let mut g = s.groups.remove(group).expect("checked");
    let gr = GroupRead {
        group: group.to_vec(),
        consumer: consumer.to_vec(),
        noack: false,
    };
    let mut attempts = count.saturating_mul(10);
    let mut left = count;
    let mut props = Vec::new();
    let mut deleted = Vec::new();
    let mut dirty = 0u64;
    let mut created = false;
    // The entries are written after the cursor (the first pending entry not examined, or
    // 0-0), which is known only at the end: they go to a buffer of their own.
    let mut entries = Reply {
        resp: out.resp,
        ..Reply::default()
    };
    let mut claimed = 0;
    let mut cursor = StreamId::MIN;
    let pending: Vec<StreamId> = g.pel.range(start..).map(|(id, _)| *id).collect();
    for id in pending {
        if attempts == 0 || left == 0 {
            cursor = id;
            break;
        }
        attempts -= 1;
        if s.get(id).is_none() {
            props.push(xclaim_of(key, &gr, &g, id));
            dirty += 1;
            g.ack(id);
            deleted.push(id);
            left -= 1;
            continue;
        }
        let idle = (now as i64).wrapping_sub(g.pel[&id].delivery_time as i64);
        if min_idle > 0 && idle < min_idle {
            continue;
        }
        if !g.consumers.contains_key(consumer) {
            created |= g.create_consumer(consumer, now);
        }
        if let Some(c) = g.consumers.get_mut(consumer) {
            c.seen_time = now;
        }
        claim_one(
            &mut entries,
            s,
            &mut g,
            &gr,
            key,
            id,
            now,
            None,
            justid,
            &mut props,
        );
        claimed += 1;
        left -= 1;
        dirty += 1;
    }
    out.array(3);
    reply_id(out, cursor);
    out.array(claimed);
    out.buf.extend_from_slice(&entries.buf);
    out.array(deleted.len());
    for id in deleted {
        reply_id(out, id);
    }
    s.groups.insert(group.to_vec(), g);
    finish(ctx, key, dirty, created, props);
}
