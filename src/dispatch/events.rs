//! After every command: the store's key events drained once, for everyone who reacts to
//! writes (blocked clients, keyspace notifications, client-side caching, propagation).

use crate::protocol::reply::Reply;
use crate::pubsub;
use crate::pubsub::tracking::{self, Timing};
use crate::server::{ClientId, ServerState};
use crate::store::{DbEvent, Event, KeyEvent, Store};

/// Whether anything will read the key events of the next command: blocked clients wait
/// on keys, propagation is recorded, or keyspace notifications are configured.
pub fn events_wanted(srv: &ServerState) -> bool {
    !srv.waiters.is_empty()
        || srv.propagation.is_on()
        || !srv.config.notify_keyspace_events.is_empty()
        || srv.tracking.wants_events()
}

/// Drains the store's key events once: the keys blocked clients wait on are signalled,
/// expiries are propagated as deletions, and keyspace notifications are published (to the
/// caller through the reply buffer lent to it). Called after every command, and after the
/// cron's active expiry (no caller).
pub fn drain_events(
    store: &mut Store,
    srv: &mut ServerState,
    caller: Option<(ClientId, &mut Reply)>,
) {
    if !store.has_events() {
        return;
    }
    let (keys, dbs) = store.take_events();
    let flags = srv.notify_flags();
    let mut outputs = pubsub::Outputs { srv, caller };
    if flags.enabled() {
        for ev in &keys {
            pubsub::notify::notify(&mut outputs, flags, ev);
        }
    }
    invalidate_tracked(&mut outputs, &keys, &dbs);
    let srv = outputs.srv;
    for ev in &keys {
        if !srv.waiters.is_empty() {
            srv.waiters.signal(ev.db, &ev.key);
        }
        if matches!(ev.event, Event::Expired | Event::Evicted) && srv.propagation.is_on() {
            let del = srv.deletion_command().to_vec();
            srv.propagation.push(ev.db, vec![del, ev.key.to_vec()]);
        }
    }
    for ev in &dbs {
        match *ev {
            DbEvent::Swapped(a, b) => {
                srv.waiters.signal_db(a);
                srv.waiters.signal_db(b);
            }
            // Readers of a consumer group learn that their stream is gone, as Redis's
            // signalFlushedDb tells them.
            DbEvent::Flushed(Some(db)) => srv.waiters.signal_db(db),
            DbEvent::Flushed(None) => {
                (0..store.db_count()).for_each(|db| srv.waiters.signal_db(db))
            }
        }
    }
    store.recycle_events(keys, dbs);
}

/// Client-side caching: every key a command (or expiry, or eviction) changed is
/// invalidated, and a flush invalidates every key.
fn invalidate_tracked(out: &mut pubsub::Outputs, keys: &[KeyEvent], dbs: &[DbEvent]) {
    if !out.srv.tracking.wants_events() {
        return;
    }
    let caller_number = out
        .caller
        .as_ref()
        .and_then(|(c, _)| out.srv.clients.get(*c))
        .map(|c| c.id);
    for ev in keys {
        // The change recorded by whoever made it; the server's own deletions (expiry,
        // eviction) have no client, which BCAST's NOLOOP tells apart.
        let modifier = match ev.event {
            Event::KeyMiss => continue,
            Event::Expired | Event::Evicted => None,
            _ => caller_number,
        };
        tracking::invalidate_key(out, &ev.key, modifier, true, Timing::InCommand);
    }
    // A swap changes every key of two databases, but Redis 7.0 sends nothing for it.
    for ev in dbs {
        if matches!(ev, DbEvent::Flushed(_)) {
            tracking::invalidate_on_flush(out);
        }
    }
}

/// What a command did, for what follows it.
pub struct Effects<'a> {
    /// The database it ran in (the one it ended in, after a SELECT).
    pub db: usize,
    pub argv: &'a [&'a [u8]],
    /// It is a write and changed the dataset: propagated as it came unless `propagate`.
    pub wrote: bool,
    /// What the handler asked to propagate instead ([`Ctx::rewrite_argv`]).
    pub propagate: Option<Vec<Vec<Vec<u8>>>>,
}

/// After a command (or a served blocked client): drains the store's key events
/// ([`drain_events`]), then propagates the command itself.
pub fn after_command(
    store: &mut Store,
    srv: &mut ServerState,
    caller: (ClientId, &mut Reply),
    effects: Effects,
) {
    drain_events(store, srv, Some(caller));
    if !srv.propagation.is_on() {
        return;
    }
    match effects.propagate {
        Some(commands) => {
            for argv in commands {
                srv.propagation.push(effects.db, argv);
            }
        }
        None if effects.wrote => {
            let argv = effects.argv.iter().map(|a| a.to_vec()).collect();
            srv.propagation.push(effects.db, argv);
        }
        None => {}
    }
}
