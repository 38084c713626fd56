//! Transactions: MULTI EXEC DISCARD WATCH UNWATCH.
//!
//! Between MULTI and EXEC the dispatcher ([`crate::dispatch::execute`]) queues commands instead of
//! running them, after the checks that can refuse them (unknown command, arity, NOAUTH,
//! commands not allowed in a transaction); a refusal marks the transaction aborted. EXEC
//! runs the queue through the dispatcher with the client marked `in_exec`: nothing else
//! runs in between, blocking commands answer as if timed out, and clients blocked on keys
//! the transaction filled are served once it is over. WATCHed keys live in the keyspace's
//! [`crate::store::watch::Watches`]; any change to one (a command, an expiry, a flush)
//! makes EXEC answer a null array.

use super::Ctx;
use crate::server::client::{Client, Transaction, WatchedKey};
use crate::store::watch::Watches;

/// MULTI
pub fn multi(ctx: &mut Ctx, _argv: &[&[u8]]) {
    let c = ctx.client();
    if c.tx.is_some() {
        return ctx.out.err("MULTI calls can not be nested");
    }
    c.tx = Some(Transaction::default());
    ctx.out.ok();
}

/// DISCARD
pub fn discard(ctx: &mut Ctx, _argv: &[&[u8]]) {
    if ctx.client().tx.take().is_none() {
        return ctx.out.err("DISCARD without MULTI");
    }
    unwatch_all(ctx);
    ctx.out.ok();
}

/// EXEC
pub fn exec(ctx: &mut Ctx, _argv: &[&[u8]]) {
    let Some(tx) = ctx.client().tx.take() else {
        return ctx.out.err("EXEC without MULTI");
    };
    if tx.aborted {
        unwatch_all(ctx);
        return ctx
            .out
            .error("EXECABORT Transaction discarded because of previous errors.");
    }
    if watched_key_changed(ctx) {
        unwatch_all(ctx);
        return ctx.out.null_array();
    }
    unwatch_all(ctx);
    ctx.out.array(tx.queued.len());
    ctx.client().in_exec = true;
    for command in &tx.queued {
        let argv: Vec<&[u8]> = command.iter().map(Vec::as_slice).collect();
        crate::dispatch::execute(ctx.store, ctx.srv, ctx.out, ctx.caller, &argv);
    }
    let c = ctx.client();
    c.in_exec = false;
    // A SELECT inside the transaction stays in effect after it.
    ctx.db = c.db;
}

/// Whether a key the client watches changed since: touched (by a command, an expiry or a
/// flush), or expired since it was watched and not yet reclaimed.
fn watched_key_changed(ctx: &mut Ctx) -> bool {
    let id = ctx.client().id;
    if ctx.store.watches.is_dirty(id) {
        return true;
    }
    let now = ctx.now_ms();
    let c = &ctx.srv.clients[ctx.caller];
    let watches = &ctx.store.watches;
    c.watching.iter().any(|w| {
        !watches.watched_expired(id, w.db, &w.key) && ctx.store.db(w.db).is_expired(&w.key, now)
    })
}

/// Forgets every key the calling client watches.
pub fn unwatch_all(ctx: &mut Ctx) {
    forget_watches(&mut ctx.store.watches, &mut ctx.srv.clients[ctx.caller]);
}

/// Forgets every key `c` watches (also when it disconnects).
pub fn forget_watches(watches: &mut Watches, c: &mut Client) {
    let watching = std::mem::take(&mut c.watching);
    watches.unwatch(c.id, watching.iter().map(|w| (w.db, w.key.as_slice())));
}

/// WATCH key [key ...]
pub fn watch(ctx: &mut Ctx, argv: &[&[u8]]) {
    if ctx.client().tx.is_some() {
        return ctx.out.err("WATCH inside MULTI is not allowed");
    }
    let (db, now) = (ctx.db, ctx.now_ms());
    for &key in &argv[1..] {
        let c = &mut ctx.srv.clients[ctx.caller];
        if c.watching.iter().any(|w| w.db == db && w.key == key) {
            continue;
        }
        let expired = ctx.store.db(db).is_expired(key, now);
        c.watching.push(WatchedKey {
            db,
            key: key.to_vec(),
        });
        ctx.store.watches.watch(c.id, db, key, expired);
    }
    ctx.out.ok();
}

/// UNWATCH
pub fn unwatch(ctx: &mut Ctx, _argv: &[&[u8]]) {
    unwatch_all(ctx);
    ctx.out.ok();
}
