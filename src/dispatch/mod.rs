//! Dispatch: the one way every command runs.
//!
//! [`execute`] takes a command from a client (the network, or EXEC's queue): it looks the
//! command up, makes the checks that can refuse it (arity, authentication, MISCONF, MULTI
//! queueing) and hands it to [`call`]. [`call`] is the one place a command executes, for
//! every source (network, EXEC, a blocked client being served, and later scripts and log
//! replay): it runs the handler, then does the bookkeeping every command shares:
//! statistics, errorstats, the slow log, MONITOR, CLIENT REPLY, draining the store's key
//! events ([`drain_events`]: blocked clients woken, keyspace notifications, tracked keys
//! invalidated), the keys a tracking client read, and propagation ([`propagate`]).

mod checks;
mod events;
pub mod propagate;

pub use checks::NOREPLICAS;
pub use events::{after_command, drain_events, events_wanted, Effects};

use checks::{
    check_acl, check_call, check_early, check_late, refused_on_oom, reject_unknown, AclVerdict,
};

use crate::server::ClientId;
use std::time::Instant;

use crate::commands::spec::CommandFlags;
use crate::commands::table::{self, Command, Traits};
use crate::commands::{blocking, transaction, Ctx};
use crate::protocol::reply::Reply;
use crate::pubsub;
use crate::pubsub::tracking::{self, Timing};
use crate::server::client::{BlockReason, ReplyMode};
use crate::server::{PauseMode, ServerState};
use crate::store::Store;

/// Whether CLIENT PAUSE holds back this command of the client at slab `key` now. As in
/// Redis, a command that will be refused (unknown, wrong arity, NOAUTH, MISCONF ...) is
/// answered at once instead; under a WRITE pause the commands that may write or replicate
/// wait, and so does an EXEC whose queue holds one (it runs as a whole or not at
/// all). A command queued inside MULTI is held back like the same command outside.
pub fn must_postpone(state: &ServerState, key: ClientId, argv: &[&[u8]]) -> bool {
    let Some(p) = state.pause else {
        return false;
    };
    if p.until_ms <= crate::server::unix_ms() {
        return false;
    }
    let Some((cmd, _)) = table::lookup(argv) else {
        return false;
    };
    let tx = state.clients[key].tx.as_ref();
    let queueing = tx.is_some() && !cmd.traits.contains(Traits::RUNS_IN_MULTI);
    if check_call(state, key, cmd, argv).is_some()
        || (queueing && cmd.flags.contains(CommandFlags::NO_MULTI))
        || state.acl.check(state.clients[key].user, cmd, argv).is_err()
    {
        return false;
    }
    match p.mode {
        PauseMode::All => true,
        PauseMode::Write => {
            may_replicate(cmd)
                || (cmd.traits.contains(Traits::RUNS_TRANSACTION)
                    && tx.is_some_and(|t| {
                        t.queued.iter().any(|q| {
                            let args: Vec<&[u8]> = q.iter().map(Vec::as_slice).collect();
                            table::lookup(&args).is_some_and(|(c, _)| may_replicate(c))
                        })
                    }))
        }
    }
}

/// Whether a command may change the dataset or feed the replication stream: what a WRITE
/// pause holds back.
fn may_replicate(cmd: &Command) -> bool {
    cmd.flags
        .intersects(CommandFlags::WRITE | CommandFlags::MAY_REPLICATE)
}

/// Runs one command the client at slab `key` sent (from its socket or EXEC's queue),
/// writing its reply to `out`: refused, queued inside MULTI, or called.
pub fn execute(
    store: &mut Store,
    srv: &mut ServerState,
    out: &mut Reply,
    key: ClientId,
    argv: &[&[u8]],
) {
    let top_level = !srv.clients[key].in_exec;
    let cmd = execute_command(store, srv, out, key, argv, top_level);
    if top_level {
        end_caching_window(srv, key, cmd);
    }
}

/// CLIENT CACHING applies to the next command, or to the next transaction: it ends after a
/// command that is neither another CLIENT subcommand nor run while the client is in MULTI
/// (Redis clears the flag in resetClient, after each command from the network).
fn end_caching_window(srv: &mut ServerState, key: ClientId, cmd: Option<&Command>) {
    let Some(c) = srv.clients.get_mut(key) else {
        return;
    };
    if c.tracking.caching
        && c.tx.is_none()
        && !cmd.is_some_and(|c| c.traits.contains(Traits::KEEPS_CACHING))
    {
        c.tracking.caching = false;
    }
}

/// [`execute`]'s work; returns the command, if it exists. `top_level`: the command came
/// from the client, not from EXEC's queue.
fn execute_command(
    store: &mut Store,
    srv: &mut ServerState,
    out: &mut Reply,
    key: ClientId,
    argv: &[&[u8]],
    top_level: bool,
) -> Option<&'static Command> {
    let reply_start = out.buf.len();
    let cmd = match table::lookup(argv) {
        Some((cmd, _)) => cmd,
        None => {
            reject_unknown(out, argv);
            abort_transaction(srv, key);
            srv.stats.count_errors(&mut out.error_codes);
            finish_reply_mode(srv, key, out, reply_start);
            return None;
        }
    };
    let queueing = srv.clients[key].tx.is_some() && !cmd.traits.contains(Traits::RUNS_IN_MULTI);
    let refusal = check_early(srv, key, cmd, argv).or_else(|| {
        (queueing && cmd.flags.contains(CommandFlags::NO_MULTI))
            .then(|| "ERR Command not allowed inside a transaction".to_string())
    });
    let refusal = match refusal {
        Some(r) => Some(r),
        None => match check_acl(srv, key, cmd, argv, top_level) {
            AclVerdict::Allowed => check_late(srv, key, cmd, top_level),
            AclVerdict::Refused(err) => Some(err),
            AclVerdict::ExecDenied(err) => {
                out.error(&err);
                srv.stats.count_errors(&mut out.error_codes);
                finish_reply_mode(srv, key, out, reply_start);
                return Some(cmd);
            }
        },
    };
    if let Some(err) = refusal {
        refuse(store, srv, out, key, cmd, &err);
        finish_reply_mode(srv, key, out, reply_start);
        return Some(cmd);
    }
    // maxmemory: keys are evicted before each command from a client; a command that may
    // grow memory is refused if that could not bring memory under the limit.
    if top_level && srv.config.maxmemory > 0 {
        let outcome = crate::server::maxmemory::perform_evictions(store, srv, Some((key, out)));
        let out_of_memory = outcome == crate::store::evict::Outcome::Failed;
        if out_of_memory && refused_on_oom(srv, key, cmd) {
            refuse(
                store,
                srv,
                out,
                key,
                cmd,
                crate::server::maxmemory::OOM_ERROR,
            );
            finish_reply_mode(srv, key, out, reply_start);
            return Some(cmd);
        }
        srv.pre_command_oom = out_of_memory;
    }
    // Before each command from a client that passed the checks, as Redis's processCommand:
    // the tracking table is brought back within tracking-table-max-keys (the cron does it
    // too), its messages sent at once, so before this command's reply.
    if top_level && srv.tracking.clients() > 0 {
        let max = srv.config.tracking_table_max_keys as u64;
        let mut outputs = pubsub::Outputs {
            srv,
            caller: Some((key, out)),
        };
        tracking::limit_table(&mut outputs, max, Timing::BeforeCommand);
    }
    if queueing {
        let limit = srv.config.client_query_buffer_limit;
        let c = &mut srv.clients[key];
        let tx = c.tx.as_mut().expect("queueing");
        tx.bytes += argv.iter().map(|a| a.len()).sum::<usize>();
        if tx.bytes as i64 > limit {
            log::warn!(
                "Closing client whose queued transaction passed client-query-buffer-limit: {}",
                c.addr
            );
            c.close_asap = true;
            srv.stats.client_qbuf_limit_disconnections += 1;
            return Some(cmd);
        }
        tx.queued.push(argv.iter().map(|a| a.to_vec()).collect());
        out.simple("QUEUED");
        finish_reply_mode(srv, key, out, reply_start);
        return Some(cmd);
    }
    call(store, srv, out, key, cmd, argv);
    Some(cmd)
}

/// Executes `cmd` for the client at slab `key` and does everything that follows a command.
#[inline]
pub fn call(
    store: &mut Store,
    srv: &mut ServerState,
    out: &mut Reply,
    key: ClientId,
    cmd: &'static Command,
    argv: &[&[u8]],
) {
    srv.propagation.enter();
    let reply_start = out.buf.len();
    let dirty_before = store.dirty;
    let c = &mut srv.clients[key];
    let db = c.db;
    c.last_command = cmd.name;
    c.last_command_id = cmd.id;
    let Ran {
        db,
        propagate,
        nanos,
        failed,
        redacted,
    } = run(store, srv, out, key, db, |ctx| (cmd.handler)(ctx, argv));
    let micros = nanos / 1000;
    let blocked = srv.clients.get(key).and_then(|c| c.blocked.as_ref());
    // A command that blocked goes to the slow log when it is served, if ever.
    let blocked_on_keys = matches!(blocked, Some(b) if matches!(b.reason, BlockReason::Keys(_)));
    // ... and is measured for the latency histogram and monitor then (call_served).
    let measured = blocked.is_none();
    srv.stats.total_commands += 1;
    let tracking = srv.config.latency_tracking;
    let stat = srv.stats.command(cmd.id);
    stat.calls += 1;
    stat.usec += micros;
    if failed {
        stat.failed_calls += 1;
    }
    if measured {
        if tracking {
            stat.record_latency(nanos);
        }
        monitor_latency(srv, cmd, nanos, store.now_ms);
    }
    // Secrets the handler redacted (AUTH's password ...) show as `(redacted)` in the slow
    // log and MONITOR, as in Redis.
    let shown: Vec<&[u8]>;
    let logged = if redacted == 0 {
        argv
    } else {
        shown = (0..argv.len())
            .map(|i| {
                if redacted & crate::commands::redaction_bit(i) != 0 {
                    &b"(redacted)"[..]
                } else {
                    argv[i]
                }
            })
            .collect();
        &shown
    };
    if !cmd.flags.contains(CommandFlags::SKIP_SLOWLOG) && !blocked_on_keys {
        log_if_slow(srv, key, logged, micros);
    }
    if !srv.monitors.is_empty()
        && !cmd
            .flags
            .intersects(CommandFlags::SKIP_MONITOR | CommandFlags::ADMIN)
    {
        feed_monitors(srv, key, db, logged);
    }
    if let Some(c) = srv.clients.get_mut(key) {
        c.db = db;
    }
    finish_reply_mode(srv, key, out, reply_start);
    // (Checked here so that the common case, nothing to drain or record, costs nothing.)
    if store.has_events() || srv.propagation.is_on() {
        let wrote = store.dirty != dirty_before
            && cmd
                .flags
                .intersects(CommandFlags::WRITE | CommandFlags::MAY_REPLICATE);
        let effects = Effects {
            db,
            argv,
            wrote,
            propagate,
        };
        after_command(store, srv, (key, out), effects);
    }
    if cmd.flags.contains(CommandFlags::READONLY)
        && !cmd.traits.contains(Traits::TRACKED_BY_SCRIPT)
        && (srv.tracking.clients() > 0)
    {
        tracking::after_read(srv, key, cmd.meta, argv);
    }
    // Invalidations due to the caller follow its whole reply: EXEC's, once it is complete.
    if !srv.clients.get(key).is_some_and(|c| c.in_exec) {
        let mut outputs = pubsub::Outputs {
            srv,
            caller: Some((key, out)),
        };
        tracking::flush_pending(&mut outputs);
    }
    srv.propagation.leave();
    // Inside EXEC, waiters are served once the whole transaction has run.
    if srv.waiters.has_ready() && !srv.clients.get(key).is_some_and(|c| c.in_exec) {
        blocking::serve_ready(store, srv);
    }
}

/// Feeds a call's duration, past latency-monitor-threshold, to the latency monitor's
/// `command` or `fast-command` event.
#[inline]
fn monitor_latency(srv: &mut ServerState, cmd: &Command, nanos: u64, now_ms: u64) {
    let threshold = srv.config.latency_monitor_threshold;
    if threshold > 0 {
        let event = if cmd.flags.contains(CommandFlags::FAST) {
            "fast-command"
        } else {
            "command"
        };
        srv.latency
            .add_sample_if_needed(threshold, event, nanos / 1_000_000, now_ms);
    }
}

/// What running a handler left behind.
struct Ran {
    /// The database the client ended in (after a SELECT).
    db: usize,
    /// What the handler asked to propagate instead of its arguments.
    propagate: Option<Vec<Vec<Vec<u8>>>>,
    nanos: u64,
    /// It replied an error (counted in errorstats already).
    failed: bool,
    /// Arguments the slow log must not show (see `Ctx::redact_arg`).
    redacted: u64,
}

/// Runs `handler` as client `caller` in database `db`: the store is told what this call
/// needs (events read? clients paused?), the time is taken and the errors the reply holds
/// are counted. `call` and `call_served` do the rest, each with its own accounting.
#[inline]
fn run(
    store: &mut Store,
    srv: &mut ServerState,
    out: &mut Reply,
    caller: ClientId,
    db: usize,
    handler: impl FnOnce(&mut Ctx),
) -> Ran {
    store.events_wanted = events_wanted(srv);
    store.expiry_paused = srv.expiry_held(store.now_ms);
    let started = Instant::now();
    let mut ctx = Ctx {
        store,
        srv,
        out,
        caller,
        db,
        propagate: None,
        redacted: 0,
    };
    handler(&mut ctx);
    let Ctx {
        db,
        propagate,
        redacted,
        ..
    } = ctx;
    let nanos = started.elapsed().as_nanos() as u64;
    let failed = !out.error_codes.is_empty() || std::mem::take(&mut out.failed_uncounted);
    srv.stats.count_errors(&mut out.error_codes);
    Ran {
        db,
        propagate,
        nanos,
        failed,
        redacted,
    }
}

/// A blocked client being served: who, and the command it blocked in.
pub struct Served<'a> {
    pub client: ClientId,
    /// The database it blocked in.
    pub db: usize,
    /// The blocked command's id, for its statistics.
    pub command: usize,
    /// The blocked command line, for the slow log.
    pub argv: &'a [Vec<u8>],
}

/// Serves a blocked client: runs `serve` (its pop) as the command it blocked in. Redis 7.0
/// counted the call when it blocked; serving adds its time and any failure, and the slow
/// log sees the original command line. What it popped is propagated as the non-blocking
/// twin the pop asks for.
pub fn call_served(
    store: &mut Store,
    srv: &mut ServerState,
    out: &mut Reply,
    served: Served,
    serve: impl FnOnce(&mut Ctx),
) {
    srv.propagation.enter();
    let reply_start = out.buf.len();
    let Ran {
        db,
        propagate,
        nanos,
        failed,
        ..
    } = run(store, srv, out, served.client, served.db, serve);
    let micros = nanos / 1000;
    let tracking = srv.config.latency_tracking;
    let stat = srv.stats.command(served.command);
    stat.usec += micros;
    if failed {
        stat.failed_calls += 1;
    }
    if tracking {
        stat.record_latency(nanos);
    }
    if let Some(cmd) = table::table()
        .names
        .get(served.command)
        .and_then(|n| table::lookup_full(n.as_bytes()))
    {
        monitor_latency(srv, cmd, nanos, store.now_ms);
    }
    if srv.clients[served.client].reply_mode == ReplyMode::Off {
        drop_reply(out, reply_start);
    }
    out.push_spans.clear();
    let argv: Vec<&[u8]> = served.argv.iter().map(Vec::as_slice).collect();
    log_if_slow(srv, served.client, &argv, micros);
    let effects = Effects {
        db,
        argv: &[],
        wrote: false,
        propagate,
    };
    after_command(store, srv, (served.client, out), effects);
    let mut outputs = pubsub::Outputs {
        srv,
        caller: Some((served.client, out)),
    };
    tracking::flush_pending(&mut outputs);
    srv.propagation.leave();
}

/// Replies a dispatch-time refusal and counts it. A refusal inside MULTI aborts the
/// transaction; a refused EXEC ends it, saying why, as Redis's execCommandAbort.
fn refuse(
    store: &mut Store,
    srv: &mut ServerState,
    out: &mut Reply,
    key: ClientId,
    cmd: &Command,
    err: &str,
) {
    if cmd.traits.contains(Traits::RUNS_TRANSACTION) {
        let why = err.strip_prefix("ERR ").unwrap_or(err);
        out.error(&format!(
            "EXECABORT Transaction discarded because of: {why}"
        ));
        let c = &mut srv.clients[key];
        c.tx = None;
        transaction::forget_watches(&mut store.watches, c);
    } else {
        out.error(err);
        abort_transaction(srv, key);
    }
    srv.stats.count_errors(&mut out.error_codes);
    srv.stats.command(cmd.id).rejected_calls += 1;
}

/// A command was refused while the client is inside MULTI: EXEC will answer EXECABORT.
fn abort_transaction(srv: &mut ServerState, key: ClientId) {
    if let Some(tx) = srv.clients.get_mut(key).and_then(|c| c.tx.as_mut()) {
        tx.aborted = true;
    }
}

/// Adds the call to the slow log if it took at least `slowlog-log-slower-than`.
pub(crate) fn log_if_slow(srv: &mut ServerState, key: ClientId, argv: &[&[u8]], micros: u64) {
    let threshold = srv.config.slowlog_log_slower_than;
    if threshold < 0 || micros < threshold as u64 {
        return;
    }
    let c = &srv.clients[key];
    let who = (c.addr.to_string(), c.name.clone());
    let max = srv.config.slowlog_max_len as usize;
    let now_secs = store_now_secs() as i64;
    srv.slowlog.push(argv, micros, now_secs, who, max);
}

fn store_now_secs() -> u64 {
    crate::server::unix_ms() / 1000
}

/// Applies CLIENT REPLY OFF / SKIP to the reply just written.
pub(crate) fn finish_reply_mode(
    srv: &mut ServerState,
    key: ClientId,
    out: &mut Reply,
    reply_start: usize,
) {
    let Some(c) = srv.clients.get_mut(key) else {
        return;
    };
    match c.reply_mode {
        ReplyMode::On => {}
        ReplyMode::Off => drop_reply(out, reply_start),
        ReplyMode::Skip => {
            drop_reply(out, reply_start);
            c.reply_mode = ReplyMode::On;
        }
        ReplyMode::SkipNext => c.reply_mode = ReplyMode::Skip,
    }
    out.push_spans.clear();
}

/// Drops what the command replied since `reply_start`, but not its pushes (pub/sub frames
/// reach a client even with CLIENT REPLY OFF, as in Redis).
fn drop_reply(out: &mut Reply, reply_start: usize) {
    let mut kept = Vec::new();
    for &(a, b) in &out.push_spans {
        if a >= reply_start {
            kept.extend_from_slice(&out.buf[a..b]);
        }
    }
    out.buf.truncate(reply_start);
    out.buf.extend_from_slice(&kept);
}

/// Sends `+<time> [<db> <addr>] "arg" ...` to every MONITOR client but the caller.
pub fn feed_monitors(srv: &mut ServerState, key: ClientId, db: usize, argv: &[&[u8]]) {
    let us = crate::server::unix_us();
    let c = &srv.clients[key];
    let mut line = if c.script {
        format!("+{}.{:06} [{} lua]", us / 1_000_000, us % 1_000_000, db)
    } else {
        format!(
            "+{}.{:06} [{} {}]",
            us / 1_000_000,
            us % 1_000_000,
            db,
            c.addr
        )
    };
    for a in argv {
        line.push(' ');
        line.push_str(&repr(a));
    }
    line.push_str("\r\n");
    for i in 0..srv.monitors.len() {
        let m = srv.monitors[i];
        if m == key {
            continue;
        }
        if let Some(out) = srv.output(m) {
            out.buf.extend_from_slice(line.as_bytes());
        }
    }
}

/// Redis's sdscatrepr: a double-quoted string with C escapes and `\xhh` for the rest.
pub fn repr(s: &[u8]) -> String {
    let mut out = String::with_capacity(s.len() + 2);
    out.push('"');
    for &b in s {
        match b {
            b'\\' => out.push_str("\\\\"),
            b'"' => out.push_str("\\\""),
            b'\n' => out.push_str("\\n"),
            b'\r' => out.push_str("\\r"),
            b'\t' => out.push_str("\\t"),
            0x07 => out.push_str("\\a"),
            0x08 => out.push_str("\\b"),
            0x20..=0x7e => out.push(b as char),
            _ => out.push_str(&format!("\\x{b:02x}")),
        }
    }
    out.push('"');
    out
}

#[cfg(test)]
mod tests;
