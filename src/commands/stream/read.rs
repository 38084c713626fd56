//! XRANGE, XREVRANGE, XREAD and XREADGROUP, and serving the readers blocked on a stream.
//!
//! XREADGROUP changes its group (last ID, read counter, pending entries), so what it
//! propagates is not itself but what a replica needs to reach the same state, as Redis
//! does: an `XCLAIM ... FORCE JUSTID LASTID` per delivered entry, `XGROUP SETID` after a
//! NOACK read, `XGROUP CREATECONSUMER` for a consumer a NOACK read created.

use super::{id_arg, interval_arg, reply_entry, reply_id, IdRules};
use crate::commands::{int_arg, is, Ctx};
use crate::protocol::reply::{DeferredKind, Reply, Resp};
use crate::server::client::{BlockOp, GroupRead, StreamWait};
use crate::store::types::stream::{Group, Stream, StreamId, INVALID_ENTRIES_READ};

/// How many entries a blocked XREAD without COUNT gets when served.
const BLOCKED_DEFAULT_COUNT: usize = 1000;

/// XRANGE key start end [COUNT count]
pub fn xrange(ctx: &mut Ctx, argv: &[&[u8]]) {
    range(ctx, argv, false);
}

/// XREVRANGE key end start [COUNT count]
pub fn xrevrange(ctx: &mut Ctx, argv: &[&[u8]]) {
    range(ctx, argv, true);
}

fn range(ctx: &mut Ctx, argv: &[&[u8]], rev: bool) {
    let (start_arg, end_arg) = if rev {
        (argv[3], argv[2])
    } else {
        (argv[2], argv[3])
    };
    let Some((mut start, start_ex)) = interval_arg(ctx.out, start_arg, 0) else {
        return;
    };
    if start_ex {
        match start.next() {
            Some(s) => start = s,
            None => return ctx.out.err("invalid start ID for the interval"),
        }
    }
    let Some((mut end, end_ex)) = interval_arg(ctx.out, end_arg, u64::MAX) else {
        return;
    };
    if end_ex {
        match end.prev() {
            Some(e) => end = e,
            None => return ctx.out.err("invalid end ID for the interval"),
        }
    }
    let mut count: i64 = -1;
    let mut j = 4;
    while j < argv.len() {
        if is(argv[j], "count") && j + 1 < argv.len() {
            let Some(n) = int_arg(ctx.out, argv[j + 1]) else {
                return;
            };
            count = n.max(0);
            j += 2;
        } else {
            return ctx.syntax_error();
        }
    }
    let s = match ctx.store.lookup_read(ctx.db, argv[1]) {
        None => return ctx.out.array(0),
        Some(crate::store::Value::Stream(s)) => s,
        Some(_) => return ctx.wrong_type(),
    };
    let out = &mut *ctx.out;
    if count == 0 {
        return out.null_array();
    }
    let limit = if count < 0 {
        usize::MAX
    } else {
        count as usize
    };
    let at = out.begin_deferred();
    let mut n = 0;
    for e in s.range(start, end, rev).take(limit) {
        reply_entry(out, &e);
        n += 1;
    }
    out.end_deferred(at, DeferredKind::Array, n);
}

/// The options of XREAD / XREADGROUP.
struct ReadArgs<'a> {
    block: Option<Option<u64>>,
    count: usize,
    group: Option<(&'a [u8], &'a [u8])>,
    noack: bool,
    keys: &'a [&'a [u8]],
    ids: &'a [&'a [u8]],
}

fn read_args<'a>(ctx: &mut Ctx, argv: &'a [&'a [u8]], xreadgroup: bool) -> Option<ReadArgs<'a>> {
    let mut a = ReadArgs {
        block: None,
        count: 0,
        group: None,
        noack: false,
        keys: &[],
        ids: &[],
    };
    let mut streams_at = 0;
    let mut i = 1;
    while i < argv.len() {
        let more = argv.len() - i - 1;
        let o = argv[i];
        if is(o, "block") && more > 0 {
            if ctx.client().script {
                let mut msg = b"ERR ".to_vec();
                msg.extend_from_slice(argv[0]);
                msg.extend_from_slice(b" command is not allowed with BLOCK option from scripts");
                ctx.out.error_bytes(&msg);
                return None;
            }
            i += 1;
            let ms = int_arg_msg(ctx, argv[i], "timeout is not an integer or out of range")?;
            if ms < 0 {
                ctx.out.err("timeout is negative");
                return None;
            }
            a.block = Some((ms > 0).then(|| ctx.now_ms().saturating_add(ms as u64)));
        } else if is(o, "count") && more > 0 {
            i += 1;
            a.count = int_arg(ctx.out, argv[i])?.max(0) as usize;
        } else if is(o, "streams") && more > 0 {
            streams_at = i + 1;
            let n = argv.len() - streams_at;
            if !n.is_multiple_of(2) {
                ctx.out.err(
                    "Unbalanced XREAD list of streams: for each stream key an ID or '$' must be \
                     specified.",
                );
                return None;
            }
            a.keys = &argv[streams_at..streams_at + n / 2];
            a.ids = &argv[streams_at + n / 2..];
            break;
        } else if is(o, "group") && more >= 2 {
            if !xreadgroup {
                ctx.out.err(
                    "The GROUP option is only supported by XREADGROUP. You called XREAD instead.",
                );
                return None;
            }
            a.group = Some((argv[i + 1], argv[i + 2]));
            i += 2;
        } else if is(o, "noack") {
            if !xreadgroup {
                ctx.out.err(
                    "The NOACK option is only supported by XREADGROUP. You called XREAD instead.",
                );
                return None;
            }
            a.noack = true;
        } else {
            ctx.syntax_error();
            return None;
        }
        i += 1;
    }
    if streams_at == 0 {
        ctx.syntax_error();
        return None;
    }
    if xreadgroup && a.group.is_none() {
        ctx.out.err("Missing GROUP option for XREADGROUP");
        return None;
    }
    Some(a)
}

fn int_arg_msg(ctx: &mut Ctx, arg: &[u8], msg: &str) -> Option<i64> {
    let v = crate::protocol::parse::parse_i64(arg);
    if v.is_none() {
        ctx.out.err(msg);
    }
    v
}

/// `>` as an ID: the group's next undelivered entries.
const NEW_ENTRIES: StreamId = StreamId::MAX;

/// XREAD [COUNT count] [BLOCK ms] STREAMS key [key ...] id [id ...]
pub fn xread(ctx: &mut Ctx, argv: &[&[u8]]) {
    read(ctx, argv, false);
}

/// XREADGROUP GROUP group consumer [COUNT count] [BLOCK ms] [NOACK] STREAMS key ... id ...
pub fn xreadgroup(ctx: &mut Ctx, argv: &[&[u8]]) {
    read(ctx, argv, true);
}

fn read(ctx: &mut Ctx, argv: &[&[u8]], xreadgroup: bool) {
    let Some(a) = read_args(ctx, argv, xreadgroup) else {
        return;
    };
    let mut ids = Vec::with_capacity(a.keys.len());
    for (key, arg) in a.keys.iter().zip(a.ids) {
        let s = match ctx.store.lookup_read(ctx.db, key) {
            None => None,
            Some(crate::store::Value::Stream(s)) => Some(&**s),
            Some(_) => return ctx.wrong_type(),
        };
        if let Some((group, _)) = a.group {
            if !s.is_some_and(|s| s.groups.contains_key(group)) {
                let mut msg = b"NOGROUP No such key '".to_vec();
                msg.extend_from_slice(key);
                msg.extend_from_slice(b"' or consumer group '");
                msg.extend_from_slice(group);
                msg.extend_from_slice(b"' in XREADGROUP with GROUP option");
                return ctx.out.error_bytes(&msg);
            }
        }
        let id = if *arg == b"$" {
            if xreadgroup {
                return ctx.out.err(
                    "The $ ID is meaningless in the context of XREADGROUP: you want to read the \
                     history of this consumer by specifying a proper ID, or use the > ID to get \
                     new messages. The $ ID would just return an empty result set.",
                );
            }
            s.map_or(StreamId::MIN, |s| s.last_id)
        } else if *arg == b">" {
            if !xreadgroup {
                return ctx.out.err(
                    "The > ID can be specified only when calling XREADGROUP using the GROUP \
                     <group> <consumer> option.",
                );
            }
            NEW_ENTRIES
        } else {
            let Some(id) = id_arg(ctx.out, arg, IdRules::STRICT) else {
                return;
            };
            id
        };
        ids.push(id);
    }
    let group = a.group.map(|(g, c)| GroupRead {
        group: g.to_vec(),
        consumer: c.to_vec(),
        noack: a.noack,
    });
    let mut props = Vec::new();
    let mut served = 0;
    let mut at = 0;
    let now = ctx.store.now_ms;
    for (i, key) in a.keys.iter().enumerate() {
        let Some(crate::store::Value::Stream(s)) = ctx.store.lookup_read(ctx.db, key) else {
            continue;
        };
        let Some(from) = ready_from(s, ids[i], group.as_ref()) else {
            continue;
        };
        if served == 0 {
            at = ctx.out.begin_deferred();
        }
        served += 1;
        if ctx.out.resp == Resp::Two {
            ctx.out.array(2);
        }
        ctx.out.bulk(key);
        let events = serve_stream(
            ctx.out,
            s,
            key,
            from,
            a.count,
            group.as_ref(),
            now,
            &mut props,
        );
        if group.is_some() {
            ctx.store.dirty += 1;
        }
        if events {
            ctx.record_unwatched(key, crate::store::Event::XGroupCreateConsumer, 1);
        }
    }
    if xreadgroup || !props.is_empty() {
        ctx.replace_propagation(props);
    }
    if served > 0 {
        let kind = if ctx.out.resp == Resp::Two {
            DeferredKind::Array
        } else {
            DeferredKind::Map
        };
        return ctx.out.end_deferred(at, kind, served);
    }
    if let Some(deadline) = a.block {
        let streams = a
            .keys
            .iter()
            .zip(ids)
            .map(|(k, id)| (k.to_vec(), id))
            .collect();
        let wait = StreamWait {
            streams,
            count: if a.count == 0 {
                BLOCKED_DEFAULT_COUNT
            } else {
                a.count
            },
            group,
        };
        return crate::commands::blocking::block(
            ctx,
            argv,
            a.keys,
            deadline,
            BlockOp::Stream(Box::new(wait)),
        );
    }
    ctx.out.null_array();
}

/// Where to read `s` from for a reader that asked for entries after `id`: None when it
/// has nothing for it now. A group reader with `>` reads after the group's last ID; with
/// any other ID it reads its own history, which is always answered.
fn ready_from(s: &Stream, id: StreamId, group: Option<&GroupRead>) -> Option<Read> {
    match group {
        Some(_) if id != NEW_ENTRIES => Some(Read::History(id)),
        Some(gr) => {
            let last = s.groups.get(&gr.group)?.last_id;
            (s.length > 0 && s.last_live().is_some_and(|m| m > last)).then_some(Read::New(last))
        }
        None => (s.length > 0 && s.last_live().is_some_and(|m| m > id)).then_some(Read::New(id)),
    }
}

/// What a reader gets from a stream.
#[derive(Clone, Copy)]
enum Read {
    /// Entries after this ID.
    New(StreamId),
    /// The consumer's pending entries after this ID.
    History(StreamId),
}

/// Replies the entries of `s` a reader gets (the array after the key), updating the group
/// and collecting what to propagate. Returns whether a consumer was created.
#[allow(clippy::too_many_arguments)]
fn serve_stream(
    out: &mut Reply,
    s: &mut Stream,
    key: &[u8],
    from: Read,
    count: usize,
    group: Option<&GroupRead>,
    now: u64,
    props: &mut Vec<Vec<Vec<u8>>>,
) -> bool {
    let limit = if count == 0 { usize::MAX } else { count };
    let Some(gr) = group else {
        let Read::New(after) = from else {
            unreachable!("plain readers read new entries")
        };
        let at = out.begin_deferred();
        let mut n = 0;
        if let Some(start) = after.next() {
            for e in s.range(start, StreamId::MAX, false).take(limit) {
                reply_entry(out, &e);
                n += 1;
            }
        }
        out.end_deferred(at, DeferredKind::Array, n);
        return false;
    };
    let mut g = s
        .groups
        .remove(&gr.group)
        .expect("the caller checked the group");
    let created = g.create_consumer(&gr.consumer, now);
    if let Some(c) = g.consumers.get_mut(&gr.consumer) {
        c.seen_time = now;
    }
    if created && gr.noack {
        props.push(vec![
            b"XGROUP".to_vec(),
            b"CREATECONSUMER".to_vec(),
            key.to_vec(),
            gr.group.clone(),
            gr.consumer.clone(),
        ]);
    }
    match from {
        Read::History(after) => history(out, s, &mut g, &gr.consumer, after, limit, now),
        Read::New(after) => deliver(out, s, &mut g, key, gr, after, limit, now, props),
    }
    s.groups.insert(gr.group.clone(), g);
    created
}

/// The consumer's pending entries after `after`: each entry still in the stream is
/// delivered again (time and count updated), a deleted one shows as `[id, nil]`.
fn history(
    out: &mut Reply,
    s: &Stream,
    g: &mut Group,
    consumer: &[u8],
    after: StreamId,
    limit: usize,
    now: u64,
) {
    let ids: Vec<StreamId> = match (g.consumers.get(consumer), after.next()) {
        (Some(c), Some(start)) => c.pel.range(start..).take(limit).copied().collect(),
        _ => Vec::new(),
    };
    out.array(ids.len());
    for id in ids {
        match s.get(id) {
            Some(e) => {
                reply_entry(out, &e);
                if let Some(n) = g.pel.get_mut(&id) {
                    n.delivery_time = now;
                    n.delivery_count = n.delivery_count.wrapping_add(1);
                }
            }
            None => {
                out.array(2);
                reply_id(out, id);
                out.null_array();
            }
        }
    }
}

/// New entries after `after` for a group consumer: the group's last ID and read counter
/// advance, and unless NOACK each entry becomes pending for the consumer.
#[allow(clippy::too_many_arguments)]
fn deliver(
    out: &mut Reply,
    s: &Stream,
    g: &mut Group,
    key: &[u8],
    gr: &GroupRead,
    after: StreamId,
    limit: usize,
    now: u64,
    props: &mut Vec<Vec<Vec<u8>>>,
) {
    let at = out.begin_deferred();
    let mut n = 0;
    let mut moved = false;
    let start = after.next().unwrap_or(StreamId::MAX);
    for e in s.range(start, StreamId::MAX, false).take(limit) {
        if e.id > g.last_id {
            if g.entries_read != INVALID_ENTRIES_READ
                && !s.range_has_tombstones(e.id, StreamId::MAX)
            {
                g.entries_read = g.entries_read.wrapping_add(1);
            } else if s.entries_added > 0 {
                g.entries_read = s.estimate_distance(e.id);
            }
            g.last_id = e.id;
            moved |= gr.noack;
        }
        reply_entry(out, &e);
        n += 1;
        if !gr.noack {
            g.deliver(e.id, &gr.consumer, now);
            props.push(xclaim_of(key, gr, g, e.id));
        }
    }
    out.end_deferred(at, DeferredKind::Array, n);
    if moved {
        props.push(vec![
            b"XGROUP".to_vec(),
            b"SETID".to_vec(),
            key.to_vec(),
            gr.group.clone(),
            g.last_id.to_bytes(),
            b"ENTRIESREAD".to_vec(),
            g.entries_read.to_string().into_bytes(),
        ]);
    }
}

/// The XCLAIM that recreates pending entry `id` of `g` on a replica
/// (streamPropagateXCLAIM).
pub fn xclaim_of(key: &[u8], gr: &GroupRead, g: &Group, id: StreamId) -> Vec<Vec<u8>> {
    let nack = &g.pel[&id];
    vec![
        b"XCLAIM".to_vec(),
        key.to_vec(),
        gr.group.clone(),
        nack.consumer.clone(),
        b"0".to_vec(),
        id.to_bytes(),
        b"TIME".to_vec(),
        nack.delivery_time.to_string().into_bytes(),
        b"RETRYCOUNT".to_vec(),
        nack.delivery_count.to_string().into_bytes(),
        b"FORCE".to_vec(),
        b"JUSTID".to_vec(),
        b"LASTID".to_vec(),
        g.last_id.to_bytes(),
    ]
}

/// What a blocked reader of `key` gets now, if anything: `Ok(None)` to keep waiting,
/// `Err` with the error that ends its wait (its group or stream is gone).
pub fn blocked_ready(
    s: Option<&Stream>,
    key: &[u8],
    wait: &StreamWait,
) -> Result<bool, &'static str> {
    let gt = wait
        .streams
        .iter()
        .find(|(k, _)| k == key)
        .map_or(StreamId::MAX, |(_, id)| *id);
    match (&wait.group, s) {
        (Some(_), None) => Err("UNBLOCKED the stream key no longer exists"),
        (None, None) => Ok(false),
        (Some(gr), Some(s)) => match s.groups.get(&gr.group) {
            None => Err("NOGROUP the consumer group this client was blocked on no longer exists"),
            Some(g) => Ok(s.last_id > g.last_id),
        },
        (None, Some(s)) => Ok(s.last_id > gt),
    }
}

/// Serves a blocked reader from `key`, which [`blocked_ready`] found ready: a one-stream
/// reply, as Redis gives.
pub fn serve_blocked(ctx: &mut Ctx, key: &[u8], wait: &StreamWait) {
    let now = ctx.store.now_ms;
    let Some(crate::store::Value::Stream(s)) = ctx.store.lookup_write(ctx.db, key) else {
        unreachable!("served keys hold streams");
    };
    let from = match &wait.group {
        Some(gr) => Read::New(s.groups[&gr.group].last_id),
        None => Read::New(
            wait.streams
                .iter()
                .find(|(k, _)| k == key)
                .map_or(StreamId::MAX, |(_, id)| *id),
        ),
    };
    if ctx.out.resp == Resp::Two {
        ctx.out.array(1);
        ctx.out.array(2);
    } else {
        ctx.out.map(1);
    }
    ctx.out.bulk(key);
    let mut props = Vec::new();
    let created = serve_stream(
        ctx.out,
        s,
        key,
        from,
        wait.count,
        wait.group.as_ref(),
        now,
        &mut props,
    );
    if wait.group.is_some() {
        ctx.store.dirty += 1;
        ctx.replace_propagation(props);
    }
    if created {
        ctx.record_unwatched(key, crate::store::Event::XGroupCreateConsumer, 1);
    }
}
