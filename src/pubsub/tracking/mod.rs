//! Client-side caching (CLIENT TRACKING): which clients may hold which keys in a local
//! cache, and the invalidation messages that tell them a key changed.
//!
//! Two modes, as in Redis 7.0. In the default mode the keys a tracking client reads (the
//! keys of its read-only commands) are remembered in one table, key -> CLIENT ID numbers,
//! shared by all databases; when one of those keys changes, each of those clients gets one
//! invalidation and the key leaves the table until it is read again. In BCAST mode nothing
//! is remembered: a client subscribes to key prefixes, the keys changed under each prefix
//! are collected during a loop iteration and sent to its clients, one message per prefix,
//! before the loop sleeps.
//!
//! Nothing here is called by commands that write: the call path hands every key event of
//! the store ([`crate::dispatch::drain_events`]) to [`invalidate_key`] and every flush to
//! [`invalidate_on_flush`], so writes, lazy and active expiry, and (when it exists)
//! eviction all invalidate through the same hook.
//!
//! Messages go to the tracking client itself as RESP3 `invalidate` pushes, or to the client
//! it redirects to: a RESP3 push there too, or for a RESP2 client in subscribed mode a
//! `message` on `__redis__:invalidate`. Messages due to the client whose command runs wait
//! (`Tracking::pending`) until its whole reply, EXEC's included, is written, as Redis's
//! tracking_pending_keys: [`flush_pending`] sends them.

mod bcast;
mod table;

use std::collections::{BTreeMap, BTreeSet};

use bcast::Bcast;
pub use bcast::{broadcast, prefix_collision};
use table::KeyTable;

use super::Outputs;
use crate::commands::spec::{CommandFlags, CommandMeta};
use crate::protocol::reply::Resp;
use crate::server::{ClientId, ServerState};
use crate::store::dict::Rng;

/// One client's CLIENT TRACKING state (Redis's CLIENT_TRACKING_* flags).
#[derive(Clone, Debug, Default)]
pub struct ClientTracking {
    /// Tracking is on (flag `t`).
    pub on: bool,
    /// BCAST mode (flag `B`).
    pub bcast: bool,
    /// OPTIN mode.
    pub optin: bool,
    /// OPTOUT mode.
    pub optout: bool,
    /// CLIENT CACHING yes (under OPTIN) or no (under OPTOUT) was given for the next command
    /// or transaction.
    pub caching: bool,
    /// No invalidations for the client's own writes.
    pub noloop: bool,
    /// The redirect client was gone when a message was due (flag `R`).
    pub broken_redirect: bool,
    /// The CLIENT ID invalidations go to; 0 for the client itself.
    pub redirect: u64,
    /// BCAST prefixes, in Redis's (byte) order.
    pub prefixes: BTreeSet<Vec<u8>>,
}

/// The options of CLIENT TRACKING ON.
#[derive(Clone, Debug, Default)]
pub struct Options {
    /// REDIRECT: the CLIENT ID to send invalidations to (0: none given).
    pub redirect: u64,
    /// BCAST.
    pub bcast: bool,
    /// OPTIN: only reads after CLIENT CACHING yes are tracked.
    pub optin: bool,
    /// OPTOUT: reads after CLIENT CACHING no are not tracked.
    pub optout: bool,
    /// NOLOOP.
    pub noloop: bool,
    /// Each PREFIX, in the order given.
    pub prefixes: Vec<Vec<u8>>,
}

/// An invalidation waiting for the running client's reply to be complete.
#[derive(Debug)]
enum Pending {
    Key(Vec<u8>),
    /// A flush: every key.
    All,
}

/// The server's tracking state.
#[derive(Debug)]
pub struct Tracking {
    keys: KeyTable,
    /// Client ids summed over all keys (INFO tracking_total_items).
    items: usize,
    prefixes: BTreeMap<Vec<u8>, Bcast>,
    /// A BCAST prefix collected a key since the last broadcast (so the loop need not look
    /// at every prefix before each sleep).
    bcast_pending: bool,
    /// Clients with tracking on (INFO tracking_clients).
    clients: usize,
    pending: Vec<Pending>,
    /// How many cron runs in a row could not bring the table under its limit: each tries
    /// harder, as Redis's trackingLimitUsedSlots.
    over_limit_runs: u32,
    rng: Rng,
}

impl Default for Tracking {
    fn default() -> Self {
        Tracking {
            keys: KeyTable::default(),
            items: 0,
            prefixes: BTreeMap::new(),
            bcast_pending: false,
            clients: 0,
            pending: Vec::new(),
            over_limit_runs: 0,
            rng: Rng::seeded(),
        }
    }
}

impl Tracking {
    /// Clients with tracking on (INFO tracking_clients).
    pub fn clients(&self) -> usize {
        self.clients
    }

    /// Keys in the tracking table (INFO tracking_total_keys).
    pub fn total_keys(&self) -> usize {
        self.keys.len()
    }

    /// Client entries over all keys (INFO tracking_total_items).
    pub fn total_items(&self) -> usize {
        self.items
    }

    /// BCAST prefixes with clients (INFO tracking_total_prefixes).
    pub fn total_prefixes(&self) -> usize {
        self.prefixes.len()
    }

    /// Whether key events matter to tracking: someone tracks, or the table still holds keys
    /// (entries of clients that stopped tracking leave lazily, when their key changes).
    pub fn wants_events(&self) -> bool {
        self.clients > 0 || self.keys.len() > 0
    }
}

/// Turns tracking on for `client` with `opts` (already checked), or changes its options:
/// the mode flags are replaced, BCAST prefixes are added to those it has.
pub fn enable(srv: &mut ServerState, client: ClientId, opts: Options) {
    let t = &mut srv.clients[client].tracking;
    if !t.on {
        srv.tracking.clients += 1;
    }
    t.on = true;
    t.broken_redirect = false;
    t.redirect = opts.redirect;
    t.bcast = opts.bcast;
    t.optin = opts.optin;
    t.optout = opts.optout;
    t.noloop = opts.noloop;
    if !opts.bcast {
        return;
    }
    let empty = [Vec::new()];
    let prefixes = if opts.prefixes.is_empty() {
        &empty[..]
    } else {
        &opts.prefixes[..]
    };
    for p in prefixes {
        let bs = srv.tracking.prefixes.entry(p.clone()).or_default();
        // The client's own set and the prefix's clients are kept in step.
        if srv.clients[client].tracking.prefixes.insert(p.clone()) {
            bs.clients.insert(client);
        }
    }
}

/// Turns tracking off for `client` (CLIENT TRACKING OFF, RESET, disconnection). The keys it
/// read stay in the table until they change, as in Redis: dropping them now would cost a
/// walk of the table.
pub fn disable(srv: &mut ServerState, client: ClientId) {
    let Some(c) = srv.clients.get_mut(client) else {
        return;
    };
    let t = &mut c.tracking;
    if t.bcast {
        for p in std::mem::take(&mut t.prefixes) {
            if let Some(bs) = srv.tracking.prefixes.get_mut(&p) {
                bs.clients.remove(&client);
                if bs.clients.is_empty() {
                    srv.tracking.prefixes.remove(&p);
                }
            }
        }
    }
    if t.on {
        srv.tracking.clients -= 1;
        *t = ClientTracking {
            redirect: t.redirect,
            prefixes: std::mem::take(&mut t.prefixes),
            ..ClientTracking::default()
        };
    }
}

/// After a read-only command (Redis's call): a client tracking in the default mode
/// remembers the keys it read. A script's read-only command makes the script's caller
/// remember the keys the script declared, as Redis does for EVAL and FCALL.
pub fn after_read(srv: &mut ServerState, client: ClientId, meta: &CommandMeta, argv: &[&[u8]]) {
    let Some(c) = srv.clients.get(client) else {
        return;
    };
    if !c.script {
        if c.tracking.on && !c.tracking.bcast {
            // Shard channels are keys only for routing.
            if !meta.flags.contains(CommandFlags::PUBSUB) {
                let keys: Vec<&[u8]> = meta
                    .tracked_keys(argv)
                    .into_iter()
                    .map(|p| argv[p])
                    .collect();
                remember_keys(srv, client, &keys);
            }
        }
        return;
    }
    let Some(run) = srv.scripting.running.as_ref() else {
        return;
    };
    let caller = run.caller;
    let t = &srv.clients[caller].tracking;
    if !t.on || t.bcast {
        return;
    }
    // The keys of the caller's own command (EVAL / FCALL ... numkeys key ...).
    let argv: Vec<&[u8]> = run.command.iter().map(Vec::as_slice).collect();
    let Some((cmd, _)) = crate::commands::table::lookup(&argv) else {
        return;
    };
    let keys: Vec<Vec<u8>> = cmd
        .meta
        .tracked_keys(&argv)
        .into_iter()
        .map(|p| argv[p].to_vec())
        .collect();
    let keys: Vec<&[u8]> = keys.iter().map(Vec::as_slice).collect();
    remember_keys(srv, caller, &keys);
}

/// Remembers that `client` read `keys` (Redis's trackingRememberKeys), unless OPTIN without
/// CLIENT CACHING yes or OPTOUT with CLIENT CACHING no.
fn remember_keys(srv: &mut ServerState, client: ClientId, keys: &[&[u8]]) {
    let c = &srv.clients[client];
    let t = &c.tracking;
    if (t.optin && !t.caching) || (t.optout && t.caching) {
        return;
    }
    let id = c.id;
    for key in keys {
        if srv.tracking.keys.add(key, id) {
            srv.tracking.items += 1;
        }
    }
}

/// What an invalidation carries after its header.
pub(super) enum Payload<'a> {
    /// One key: an array of one.
    Key(&'a [u8]),
    /// Every key: a null, in the tracking client's protocol (as Redis).
    All,
    /// BCAST's array of keys, already encoded.
    Encoded(&'a [u8]),
}

/// Sends one invalidation for `tracker` (Redis's sendTrackingMessage): to the client it
/// redirects to, or to itself. A gone redirect client marks the redirection broken and
/// tells a RESP3 tracker with a `tracking-redir-broken` push. A RESP2 client gets nothing
/// unless it is a redirect target in subscribed mode.
pub(super) fn send(out: &mut Outputs, tracker: ClientId, payload: Payload) {
    let Some(c) = out.srv.clients.get(tracker) else {
        return;
    };
    let tracker_resp = c.resp;
    let redirect = c.tracking.redirect;
    let mut target = tracker;
    if redirect != 0 {
        match out.srv.clients.by_number(redirect) {
            Some(r) => target = r,
            None => {
                out.srv.clients[tracker].tracking.broken_redirect = true;
                if tracker_resp == Resp::Three {
                    out.write_to(tracker, |r| {
                        r.push(2);
                        r.bulk(b"tracking-redir-broken");
                        r.int(redirect as i64);
                    });
                }
                return;
            }
        }
    }
    let t = &out.srv.clients[target];
    let as_message = if t.resp == Resp::Three {
        false
    } else if redirect != 0 && t.subs.any() {
        true
    } else {
        return;
    };
    out.write_to(target, |r| {
        if as_message {
            r.push(3);
            r.bulk(b"message");
            r.bulk(b"__redis__:invalidate");
        } else {
            r.push(2);
            r.bulk(b"invalidate");
        }
        match payload {
            Payload::Key(k) => {
                r.array(1);
                r.bulk(k);
            }
            Payload::All => r.buf.extend_from_slice(match tracker_resp {
                Resp::Two => b"$-1\r\n",
                Resp::Three => b"_\r\n",
            }),
            Payload::Encoded(bytes) => r.buf.extend_from_slice(bytes),
        }
    });
}

/// Who is running while keys are invalidated: `out.caller`, and whether it is inside its
/// command (messages due to it then wait until its reply is complete).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Timing {
    /// During or right after the caller's command: its own messages wait.
    InCommand,
    /// Before a command runs (the table's limit checked first): sent at once.
    BeforeCommand,
}

/// `key` changed (Redis's trackingInvalidateKey): every client that may cache it gets an
/// invalidation and the key leaves the table; with `bcast`, the key is also collected for
/// the BCAST prefixes it falls under. `modifier` is the CLIENT ID of the client that
/// changed it (None for the server's own expiry or eviction), for BCAST's NOLOOP; in the
/// default mode NOLOOP skips the running client, whatever changed the key.
pub fn invalidate_key(
    out: &mut Outputs,
    key: &[u8],
    modifier: Option<u64>,
    bcast: bool,
    timing: Timing,
) {
    let tracking = &mut out.srv.tracking;
    if bcast {
        for (prefix, bs) in tracking.prefixes.iter_mut() {
            if key.starts_with(prefix) {
                bs.keys.insert(key.to_vec(), modifier);
                tracking.bcast_pending = true;
            }
        }
    }
    let Some(ids) = tracking.keys.remove(key) else {
        return;
    };
    tracking.items -= ids.len();
    let current = out.caller.as_ref().map(|(c, _)| out.srv.on_behalf_of(*c));
    for id in ids {
        let Some(target) = out.srv.clients.by_number(id) else {
            continue;
        };
        let t = &out.srv.clients[target].tracking;
        // A client that switched to BCAST since it read the key is not told.
        if !t.on || t.bcast {
            continue;
        }
        let is_current = current == Some(target);
        if t.noloop && is_current {
            continue;
        }
        if is_current && timing == Timing::InCommand {
            out.srv.tracking.pending.push(Pending::Key(key.to_vec()));
        } else {
            send(out, target, Payload::Key(key));
        }
    }
}

/// A database was flushed (FLUSHDB, FLUSHALL, DEBUG RELOAD): every tracking client gets a null
/// invalidation, meaning every key, and the table is emptied (Redis's
/// trackingInvalidateKeysOnFlush; the table is shared by all databases).
pub fn invalidate_on_flush(out: &mut Outputs) {
    if out.srv.tracking.clients > 0 {
        let current = out.caller.as_ref().map(|(c, _)| out.srv.on_behalf_of(*c));
        // Redis walks its clients in connection order.
        let mut trackers: Vec<(u64, ClientId)> = out
            .srv
            .clients
            .iter()
            .filter(|(_, c)| c.tracking.on)
            .map(|(k, c)| (c.id, k))
            .collect();
        trackers.sort_unstable();
        for (_, client) in trackers {
            if Some(client) == current {
                out.srv.tracking.pending.push(Pending::All);
            } else {
                send(out, client, Payload::All);
            }
        }
    }
    let tracking = &mut out.srv.tracking;
    tracking.keys.clear();
    tracking.items = 0;
}

/// Sends the invalidations that waited for the running client's reply (Redis's
/// trackingHandlePendingKeyInvalidations).
pub fn flush_pending(out: &mut Outputs) {
    if out.srv.tracking.pending.is_empty() {
        return;
    }
    let pending = std::mem::take(&mut out.srv.tracking.pending);
    let Some(current) = out.caller.as_ref().map(|(c, _)| *c) else {
        return;
    };
    for p in &pending {
        match p {
            Pending::Key(k) => send(out, current, Payload::Key(k)),
            Pending::All => send(out, current, Payload::All),
        }
    }
}

/// Keeps the table within `tracking-table-max-keys` (Redis's trackingLimitUsedSlots): while
/// it is over, random keys are dropped, their clients told as if the keys had changed, up to
/// 100 keys per run, 100 more for each run in a row that ended still over the limit.
pub fn limit_table(out: &mut Outputs, max_keys: u64, timing: Timing) {
    let tracking = &mut out.srv.tracking;
    if max_keys == 0 || tracking.clients == 0 {
        return;
    }
    let max_keys = usize::try_from(max_keys).unwrap_or(usize::MAX);
    if tracking.keys.len() <= max_keys {
        tracking.over_limit_runs = 0;
        return;
    }
    let effort = 100 * (u64::from(tracking.over_limit_runs) + 1);
    for _ in 0..effort {
        let tracking = &mut out.srv.tracking;
        let Some(key) = tracking.keys.random(&mut tracking.rng) else {
            break;
        };
        invalidate_key(out, &key, None, false, timing);
        let tracking = &mut out.srv.tracking;
        if tracking.keys.len() <= max_keys {
            tracking.over_limit_runs = 0;
            return;
        }
    }
    out.srv.tracking.over_limit_runs += 1;
}
