//! Blocking pops: BLPOP BRPOP BLMOVE BRPOPLPUSH BLMPOP BZPOPMIN BZPOPMAX BZMPOP, and the
//! serving of blocked stream readers (XREAD / XREADGROUP, `commands/stream/read.rs`).
//!
//! Each command first tries to pop at once, exactly as its non-blocking twin. When every
//! key is empty it blocks: the client joins the queue of each key
//! ([`crate::server::blocking::KeyWaiters`]) and, with a timeout, the deadline table.
//! After every write the dispatcher signals the keys it touched, and [`serve_ready`]
//! hands their data to the waiters, oldest first, before the next command runs. A waiter
//! for a list skips past a key that now holds a sorted set, and the other way round, as in
//! Redis 7.0.

use super::list::end_arg;
use super::list_move::{move_generic, multi_pop, multi_pop_args, multi_pop_first};
use super::zset::{pop as zpop, zmulti_pop, zmulti_pop_args, zmulti_pop_first};
use super::{Collection, Ctx};
use crate::protocol::reply::Reply;
use crate::server::client::{BlockOp, BlockReason, Blocked, KeyWait, Wants};
use crate::server::client_io::queue_write;
use crate::server::ServerState;
use crate::store::types::list::End;
use crate::store::types::{List, ZSet};
use crate::store::{Store, Value};
use crate::util::long_double::{LongDouble, NotFinite};

/// When a blocked command gives up: a Unix ms deadline, or never (`None`).
type Deadline = Option<u64>;

/// Parses a timeout in seconds as Redis 7.0 does (`ceill(strtold(arg) * 1000)` ms, 0 for
/// no limit); replies the error and returns None when it is not one.
fn timeout_arg(ctx: &mut Ctx, arg: &[u8]) -> Option<Deadline> {
    let ms = match LongDouble::parse(arg) {
        Ok(v) => v.millis_ceil(),
        // ceill(±inf) does not fit a long long either.
        Err(NotFinite::Infinite) => i64::MIN,
        Err(NotFinite::Invalid) => {
            ctx.out.err("timeout is not a float or out of range");
            return None;
        }
    };
    if ms < 0 {
        ctx.out.err("timeout is negative");
        return None;
    }
    // A deadline past the clock's range never comes, as in Redis.
    Some((ms > 0).then(|| ctx.now_ms().saturating_add(ms as u64)))
}

/// Blocks the calling client on `keys` until one has data for `op` or the deadline. Inside
/// EXEC nothing may wait: the command answers at once as if it had timed out (BLMOVE and
/// BRPOPLPUSH with a null bulk there, as in Redis).
pub(crate) fn block(
    ctx: &mut Ctx,
    argv: &[&[u8]],
    keys: &[&[u8]],
    deadline: Deadline,
    op: BlockOp,
) {
    if ctx.client().in_exec {
        return match op {
            BlockOp::Move { .. } => ctx.out.null(),
            _ => ctx.out.null_array(),
        };
    }
    let mut unique: Vec<Vec<u8>> = Vec::with_capacity(keys.len());
    for &k in keys {
        if !unique.iter().any(|u| u == k) {
            unique.push(k.to_vec());
        }
    }
    let (key, db) = (ctx.caller, ctx.db);
    ctx.srv.waiters.add(key, db, &unique);
    let c = ctx.client();
    let wait = KeyWait {
        db,
        keys: unique,
        op,
        command: c.last_command_id,
        argv: argv.iter().map(|a| a.to_vec()).collect(),
    };
    c.blocked = Some(Blocked {
        reason: BlockReason::Keys(Box::new(wait)),
        deadline,
    });
    let id = c.id;
    if let Some(d) = deadline {
        ctx.srv.block_deadlines.insert((d, key, id));
    }
}

/// BLPOP key [key ...] timeout
pub fn blpop(ctx: &mut Ctx, argv: &[&[u8]]) {
    pop_first_or_block::<List>(ctx, argv, BlockOp::Pop(End::Left), |l| !l.is_empty());
}

/// BRPOP key [key ...] timeout
pub fn brpop(ctx: &mut Ctx, argv: &[&[u8]]) {
    pop_first_or_block::<List>(ctx, argv, BlockOp::Pop(End::Right), |l| !l.is_empty());
}

/// `key [key ...] timeout`: pops from the first key holding data, else blocks on them all.
fn pop_first_or_block<T: Collection>(
    ctx: &mut Ctx,
    argv: &[&[u8]],
    op: BlockOp,
    has_data: fn(&T) -> bool,
) {
    let Some(deadline) = timeout_arg(ctx, argv[argv.len() - 1]) else {
        return;
    };
    let keys = &argv[1..argv.len() - 1];
    for &key in keys {
        match ctx.write_as::<T>(key) {
            Err(_) => return,
            Ok(Some(v)) if has_data(v) => return serve(ctx, key, &op),
            Ok(_) => {}
        }
    }
    block(ctx, argv, keys, deadline, op);
}

/// BLMOVE source destination LEFT|RIGHT LEFT|RIGHT timeout
pub fn blmove(ctx: &mut Ctx, argv: &[&[u8]]) {
    let Some(from) = end_arg(ctx, argv[3]) else {
        return;
    };
    let Some(to) = end_arg(ctx, argv[4]) else {
        return;
    };
    move_or_block(ctx, argv, from, to, argv[5]);
}

/// BRPOPLPUSH source destination timeout
pub fn brpoplpush(ctx: &mut Ctx, argv: &[&[u8]]) {
    move_or_block(ctx, argv, End::Right, End::Left, argv[3]);
}

fn move_or_block(ctx: &mut Ctx, argv: &[&[u8]], from: End, to: End, timeout: &[u8]) {
    let Some(deadline) = timeout_arg(ctx, timeout) else {
        return;
    };
    let (src, dst) = (argv[1], argv[2]);
    let op = BlockOp::Move {
        from,
        to,
        dst: dst.to_vec(),
    };
    match ctx.write_as::<List>(src) {
        Err(_) => {}
        Ok(Some(l)) if !l.is_empty() => serve(ctx, src, &op),
        Ok(_) => block(ctx, argv, &[src], deadline, op),
    }
}

/// BLMPOP timeout numkeys key [key ...] LEFT|RIGHT [COUNT count]
pub fn blmpop(ctx: &mut Ctx, argv: &[&[u8]]) {
    let Some(args) = multi_pop_args(ctx, &argv[2..]) else {
        return;
    };
    let Some(deadline) = timeout_arg(ctx, argv[1]) else {
        return;
    };
    if !multi_pop_first(ctx, args.keys, args.end, args.count) {
        let op = BlockOp::MultiPop {
            end: args.end,
            count: args.count,
        };
        block(ctx, argv, args.keys, deadline, op);
    }
}

/// BZPOPMIN key [key ...] timeout
pub fn bzpopmin(ctx: &mut Ctx, argv: &[&[u8]]) {
    pop_first_or_block::<ZSet>(ctx, argv, BlockOp::ZPop { max: false }, |z| !z.is_empty());
}

/// BZPOPMAX key [key ...] timeout
pub fn bzpopmax(ctx: &mut Ctx, argv: &[&[u8]]) {
    pop_first_or_block::<ZSet>(ctx, argv, BlockOp::ZPop { max: true }, |z| !z.is_empty());
}

/// BZMPOP timeout numkeys key [key ...] MIN|MAX [COUNT count]
pub fn bzmpop(ctx: &mut Ctx, argv: &[&[u8]]) {
    let Some(args) = zmulti_pop_args(ctx, &argv[2..]) else {
        return;
    };
    let Some(deadline) = timeout_arg(ctx, argv[1]) else {
        return;
    };
    if !zmulti_pop_first(ctx, args.keys, args.max, args.count) {
        let op = BlockOp::ZMultiPop {
            max: args.max,
            count: args.count,
        };
        block(ctx, argv, args.keys, deadline, op);
    }
}

/// Performs `op` on `key`, which holds a non-empty value of the type `op` pops from, and
/// replies as the command does when it does not block.
fn serve(ctx: &mut Ctx, key: &[u8], op: &BlockOp) {
    match *op {
        BlockOp::Pop(end) => {
            let Ok(Some(list)) = ctx.write_as::<List>(key) else {
                unreachable!("served keys hold lists");
            };
            let value = list.pop(end).unwrap_or_default();
            ctx.out.array(2);
            ctx.out.bulk(key);
            ctx.out.bulk(&value);
            ctx.record(key, super::list::pop_event(end), 1);
            ctx.remove_if_empty(key);
            let name: &[u8] = if end == End::Left { b"LPOP" } else { b"RPOP" };
            ctx.rewrite_argv(&[name, key]);
        }
        BlockOp::Move { from, to, ref dst } => {
            move_generic(ctx, key, dst, from, to);
            ctx.rewrite_argv(&[b"LMOVE", key, dst, from.name(), to.name()]);
        }
        BlockOp::MultiPop { end, count } => multi_pop(ctx, key, end, count),
        BlockOp::ZPop { max } => {
            let items = zpop(ctx, key, max, 1);
            let (member, score) = items.first().expect("a non-empty set");
            ctx.out.array(3);
            ctx.out.bulk(key);
            ctx.out.bulk(member);
            ctx.out.double(*score);
            let name: &[u8] = if max { b"ZPOPMAX" } else { b"ZPOPMIN" };
            ctx.rewrite_argv(&[name, key]);
        }
        BlockOp::ZMultiPop { max, count } => zmulti_pop(ctx, key, max, count),
        BlockOp::Stream(ref wait) => super::stream::read::serve_blocked(ctx, key, wait),
    }
}

/// Hands the data of signalled keys to the clients blocked on them, oldest first, until no
/// signalled key has data for its waiters. Serving BLMOVE fills its destination, which is
/// served in the same pass.
pub fn serve_ready(store: &mut Store, srv: &mut ServerState) {
    while srv.waiters.has_ready() {
        let ready = srv.waiters.take_ready();
        for (db, key) in ready {
            serve_key(store, srv, db, &key);
        }
    }
}

/// Serves the clients waiting on one key, as long as it has data.
fn serve_key(store: &mut Store, srv: &mut ServerState, db: usize, key: &[u8]) {
    let holds = match store.lookup_peek(db, key) {
        Some(Value::List(_)) => Some(Wants::List),
        Some(Value::ZSet(_)) => Some(Wants::ZSet),
        Some(Value::Stream(_)) => Some(Wants::Stream),
        _ => None,
    };
    if let Some(holds @ (Wants::List | Wants::ZSet)) = holds {
        serve_pops(store, srv, db, key, holds);
    }
    // Stream readers are all looked at: each has its own start, and group readers learn
    // that their stream or group is gone (Redis 7.0 unblocks them with an error, also when
    // the key now holds another type).
    serve_stream_readers(store, srv, db, key);
}

/// Serves the blocking pops waiting on `key`, which holds a list or a sorted set, as long
/// as it has data.
fn serve_pops(store: &mut Store, srv: &mut ServerState, db: usize, key: &[u8], holds: Wants) {
    // Each waiter is looked at once: those wanting another type go to the back.
    for _ in 0..srv.waiters.waiting(db, key) {
        let has_data = match store.db(db).get(key) {
            Some(Value::List(l)) => !l.is_empty(),
            Some(Value::ZSet(z)) => !z.is_empty(),
            _ => false,
        };
        let Some(client) = srv.waiters.first(db, key).filter(|_| has_data) else {
            return;
        };
        if wait_of(srv, client).op.wants() != holds {
            srv.waiters.rotate(db, key);
            continue;
        }
        serve_client(store, srv, client, db, key, None);
    }
}

/// The key wait of a queued client.
fn wait_of(srv: &ServerState, client: crate::server::ClientId) -> &KeyWait {
    match srv.clients.get(client).and_then(|c| c.blocked.as_ref()) {
        Some(Blocked {
            reason: BlockReason::Keys(wait),
            ..
        }) => wait,
        _ => unreachable!("queued clients are blocked on keys"),
    }
}

/// Serves, oldest first, the XREAD / XREADGROUP clients waiting on `key` that it now has
/// entries for, and ends the wait of group readers whose stream or group is gone.
fn serve_stream_readers(store: &mut Store, srv: &mut ServerState, db: usize, key: &[u8]) {
    for client in srv.waiters.clients(db, key) {
        let BlockOp::Stream(wait) = &wait_of(srv, client).op else {
            continue;
        };
        let s = match store.db(db).get(key) {
            Some(Value::Stream(s)) => Some(&**s),
            _ => None,
        };
        match super::stream::read::blocked_ready(s, key, wait) {
            Ok(false) => {}
            Ok(true) => serve_client(store, srv, client, db, key, None),
            Err(e) => serve_client(store, srv, client, db, key, Some(e)),
        }
    }
}

/// Unblocks `client` and runs its pop on `key` through the call path, accounted as Redis
/// 7.0 accounts a served blocked command.
fn serve_client(
    store: &mut Store,
    srv: &mut ServerState,
    client: crate::server::ClientId,
    db: usize,
    key: &[u8],
    error: Option<&str>,
) {
    let Some(Blocked {
        reason: BlockReason::Keys(wait),
        ..
    }) = srv.end_block(client)
    else {
        unreachable!("queued clients are blocked on keys");
    };
    let mut out: Reply = std::mem::take(&mut srv.clients[client].reply);
    let served = crate::dispatch::Served {
        client,
        db,
        command: wait.command,
        argv: &wait.argv,
    };
    crate::dispatch::call_served(store, srv, &mut out, served, |ctx| match error {
        Some(e) => ctx.out.error(e),
        None => serve(ctx, key, &wait.op),
    });
    std::mem::swap(&mut srv.clients[client].reply, &mut out);
    srv.resume.push(client);
    queue_write(srv, client);
}
