//! Running a script or a library function: Redis's scriptPrepareForRun, luaCallFunction
//! and scriptCall.
//!
//! A run publishes its context in the Lua state's run slot for its duration (see
//! [`bridge`]), through which `redis.call` and friends reach the server. Commands run as the script client, a client without a socket that
//! never blocks (it is marked as inside EXEC), through [`crate::dispatch::call`]: stats,
//! the slow log, MONITOR, key events and propagation happen as for any command.

use std::time::Instant;

use mlua::{Function, Lua, Value};

use super::api::{self, Op};
use super::bridge::{self, Arg, Panic};
use super::convert::{self, ReplyNotes};
use super::ScriptFlags;
use crate::commands::spec::CommandFlags;
use crate::commands::table::{self, Command};
use crate::commands::Ctx;
use crate::protocol::reply::{Reply, Resp};
use crate::server::{Client, ClientId};

/// Which kind of script runs: it decides error texts, how KEYS / ARGV are passed and which
/// KILL may stop it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kind {
    /// EVAL / EVALSHA: KEYS and ARGV are globals.
    Eval,
    /// FCALL: the function gets (keys, args).
    Function,
}

/// What to run.
pub struct Invocation<'a> {
    pub function: Function,
    /// The SHA-1 (EVAL) or the function's name (FCALL), for errors and logs.
    pub name: String,
    pub flags: ScriptFlags,
    /// Called as EVAL_RO / EVALSHA_RO / FCALL_RO.
    pub read_only_command: bool,
    pub kind: Kind,
    pub keys: &'a [&'a [u8]],
    pub args: &'a [&'a [u8]],
    /// The whole command line (FUNCTION STATS shows it).
    pub command: &'a [&'a [u8]],
}

/// The script running now (SCRIPT KILL / FUNCTION KILL and BUSY replies look at it).
#[derive(Debug)]
pub struct Running {
    pub kind: Kind,
    pub name: String,
    pub started: Instant,
    /// It ran a write command: it can no longer be killed.
    pub wrote: bool,
    /// SCRIPT KILL / FUNCTION KILL asked it to stop.
    pub killed: bool,
    /// It passed busy-reply-threshold: other clients get BUSY.
    pub timed_out: bool,
    /// The client that called it.
    pub caller: ClientId,
    /// Its command line.
    pub command: Vec<Vec<u8>>,
    /// Serving other clients has begun (and read every client once).
    pub swept: bool,
}

/// The refusal other clients get while a script of `kind` is busy.
pub fn busy_error(kind: Kind) -> &'static str {
    match kind {
        Kind::Eval => {
            "BUSY Redis is busy running a script. You can only call SCRIPT KILL or SHUTDOWN NOSAVE."
        }
        Kind::Function => {
            "BUSY Redis is busy running a script. You can only call FUNCTION KILL or SHUTDOWN NOSAVE."
        }
    }
}

/// MISCONF for scripts that may write.
const MISCONF_SCRIPT: &str = "MISCONF Redis is configured to save RDB snapshots, but it's currently unable to persist to disk. Writable scripts are blocked. Use 'no-writes' flag for read only scripts.";

/// MISCONF for a write command inside a script (writeCommandsGetDiskErrorMessage).
const MISCONF_COMMAND: &str = "-MISCONF Redis is configured to save RDB snapshots, but it's currently unable to persist to disk. Commands that may modify the data set are disabled, because this instance is configured to report errors during writes if RDB snapshotting fails (stop-writes-on-bgsave-error option). Please check the Redis logs for details about the RDB error.";

/// How many runs between two incremental steps of Lua's collector (Redis's
/// LUA_GC_CYCLE_PERIOD), and the step's size in KB.
const GC_PERIOD: u32 = 50;

/// What a run borrows while the script executes.
pub struct RunCtx<'c, 'a> {
    pub(super) ctx: &'c mut Ctx<'a>,
    /// The script client.
    client: ClientId,
    /// Its reply buffer: each command's reply, converted to Lua.
    pub(super) reply: Reply,
    read_only: bool,
    /// The script declared `allow-oom`: its writes are not refused over maxmemory.
    allow_oom: bool,
    /// redis.set_repl's flags (REPL_ALL = 3).
    repl: i64,
    /// What the last run function answered, for the bridge to push.
    pub(super) answer: Answer,
    /// A panic caught in a run function, resumed when the run is over.
    pub(super) panic: Option<Panic>,
    /// What runs, with what: read by the bridge's entry function.
    pub(super) kind: Kind,
    pub(super) keys: &'c [&'c [u8]],
    pub(super) args: &'c [&'c [u8]],
    /// The whole command line, kept in [`Running`] once the script is busy.
    command: &'c [&'c [u8]],
}

/// What a run function answers (see [`answer`]); the bridge pushes it.
#[derive(Debug)]
pub enum Answer {
    Nil,
    Bool(bool),
    /// The reply in the run's reply buffer, converted; raised when `raise`.
    Reply {
        raise: bool,
    },
    /// Redis's error table `{err = text}`, raised or returned; `uncounted` marks it
    /// `ignore_error_stats_update` (counted already).
    Error {
        text: Vec<u8>,
        raise: bool,
        uncounted: bool,
    },
    /// A string raised as it is.
    Raise(Vec<u8>),
}

/// Runs `inv` for the caller of `ctx`, replying its result or error.
pub fn invoke(ctx: &mut Ctx, inv: Invocation) {
    if let Err(e) = check_before_run(ctx, &inv) {
        return ctx.out.error(&e);
    }
    let state = match inv.kind {
        Kind::Eval => ctx.srv.scripting.state(),
        Kind::Function => ctx.srv.scripting.functions().state(),
    };
    let (lua, enter, slot) = (state.lua.clone(), state.enter.clone(), state.slot.clone());
    let client = script_client(ctx);
    let read_only = inv.read_only_command
        || (!inv.flags.contains(ScriptFlags::EVAL_COMPAT_MODE)
            && inv.flags.contains(ScriptFlags::NO_WRITES));
    ctx.srv.scripting.running = Some(Running {
        kind: inv.kind,
        name: inv.name.clone(),
        started: Instant::now(),
        wrote: false,
        killed: false,
        timed_out: false,
        caller: ctx.caller,
        // Needed while the script runs only by client tracking (the keys its caller named)
        // and, once the script turns busy, by FUNCTION STATS (filled then).
        command: if ctx.srv.clients[ctx.caller].tracking.on {
            inv.command.iter().map(|a| a.to_vec()).collect()
        } else {
            Vec::new()
        },
        swept: false,
    });
    let mut rc = RunCtx {
        ctx,
        client,
        reply: Reply::default(),
        read_only,
        allow_oom: !inv.flags.contains(ScriptFlags::EVAL_COMPAT_MODE)
            && inv.flags.contains(ScriptFlags::ALLOW_OOM),
        repl: 3,
        answer: Answer::Nil,
        panic: None,
        kind: inv.kind,
        keys: inv.keys,
        args: inv.args,
        command: inv.command,
    };
    let debugging = rc.ctx.srv.scripting.ldb.active;
    if debugging {
        let _ = bridge::set_debug_hook(&lua);
    }
    let published = slot.publish(&mut rc);
    let outcome = enter.call::<(bool, Value)>(inv.function.clone());
    drop(published);
    if debugging {
        let _ = bridge::set_hook(&lua);
    }
    if let Some(payload) = rc.panic.take() {
        std::panic::resume_unwind(payload);
    }
    let script_resp = rc.reply.resp;
    let ctx = rc.ctx;
    ctx.srv.propagation.muted = false;
    let running = ctx.srv.scripting.running.take();
    if running.as_ref().is_some_and(|r| r.timed_out) {
        log::warn!("Script {} finished after the busy threshold", inv.name);
    }
    if running.as_ref().is_some_and(|r| r.killed) {
        // The hook fired on every line to stop it: back to counting.
        let _ = bridge::set_hook(&lua);
    }
    let sc = &mut ctx.srv.scripting;
    sc.runs_since_gc += 1;
    if sc.runs_since_gc >= GC_PERIOD {
        sc.runs_since_gc = 0;
        let _ = lua.gc_step_kbytes(GC_PERIOD as i32);
    }
    match outcome {
        Ok((true, value)) => {
            let mut notes = ReplyNotes::default();
            if let Err(e) = convert::lua_to_reply(&lua, &value, ctx.out, script_resp, &mut notes) {
                ctx.out
                    .err(&format!("Error converting the script's reply: {e}"));
            }
            uncount(ctx.out, notes.uncounted_errors);
        }
        Ok((false, err)) => reply_error(ctx, &lua, &inv.name, &err),
        Err(e) => ctx.out.err(&format!(
            "Error running script {}, {:.100}",
            inv.name,
            super::engine::error_message(&e)
        )),
    }
}

/// Forgets the last `n` error codes of `out` (errors counted already), still failing the
/// command.
fn uncount(out: &mut Reply, n: usize) {
    let keep = out.error_codes.len().saturating_sub(n);
    out.error_codes.truncate(keep);
    // The command still failed (afterErrorReply counts it for the command itself).
    if n > 0 {
        out.failed_uncounted = true;
    }
}

/// scriptPrepareForRun's refusals.
fn check_before_run(ctx: &Ctx, inv: &Invocation) -> Result<(), String> {
    if inv.flags.contains(ScriptFlags::EVAL_COMPAT_MODE)
        || inv.flags.contains(ScriptFlags::NO_WRITES)
    {
        return Ok(());
    }
    if ctx.srv.writes_refused() {
        return Err(MISCONF_SCRIPT.into());
    }
    // A script that may write is a deny-oom command (Redis's scriptFlagsToCmdFlags), so
    // over maxmemory it is refused as one, unless it allows OOM.
    if ctx.srv.config.maxmemory > 0
        && ctx.srv.pre_command_oom
        && !inv.flags.contains(ScriptFlags::ALLOW_OOM)
    {
        return Err(crate::server::maxmemory::OOM_ERROR.into());
    }
    if inv.read_only_command {
        return Err("ERR Can not execute a script with write flag using *_ro command.".into());
    }
    if !ctx.srv.enough_good_replicas() {
        return Err(crate::dispatch::NOREPLICAS.into());
    }
    Ok(())
}

/// The script client (created on first use), in the caller's database, speaking RESP2.
fn script_client(ctx: &mut Ctx) -> ClientId {
    let db = ctx.db;
    let now = ctx.now_ms();
    let id = match ctx.srv.scripting.client {
        Some(id) if ctx.srv.clients.contains(id) => id,
        _ => {
            let client_id = ctx.srv.next_client_id;
            ctx.srv.next_client_id += 1;
            let mut c = Client::socketless(client_id, now);
            c.script = true;
            // Commands never block in a script and waiters are served after it.
            c.in_exec = true;
            let id = ctx.srv.clients.insert(c);
            ctx.srv.scripting.client = Some(id);
            id
        }
    };
    // Scripts run as their caller's user: redis.call is checked against its permissions.
    let user = ctx.srv.clients[ctx.caller].user;
    let c = &mut ctx.srv.clients[id];
    c.db = db;
    c.resp = Resp::Two;
    c.user = user;
    id
}

/// Answers redis.call, redis.pcall or redis.acl_check_cmd called with the command line
/// `argv` (None: an argument was neither a string nor a number).
pub(super) fn command(rc: &mut RunCtx, op: Op, argv: Option<&[&[u8]]>) -> Answer {
    match op {
        Op::AclCheck => acl_check(rc, argv),
        Op::Pcall => script_call(rc, argv, Raise::No),
        _ => script_call(rc, argv, Raise::Yes),
    }
}

/// Answers redis.setresp and redis.set_repl called with `args`.
pub(super) fn answer(rc: &mut RunCtx, op: Op, args: &[Arg]) -> Answer {
    let number = |i: usize| match args.get(i) {
        Some(Arg::Num(n)) | Some(Arg::Str(_, Some(n))) => Some(*n),
        _ => None,
    };
    match op {
        Op::SetResp => {
            if args.len() != 1 {
                return raised("redis.setresp() requires one argument.");
            }
            match number(0).map(|n| n as i64) {
                Some(2) => rc.reply.resp = Resp::Two,
                Some(3) => rc.reply.resp = Resp::Three,
                _ => return raised("RESP version must be 2 or 3."),
            }
            rc.ctx.srv.clients[rc.client].resp = rc.reply.resp;
            Answer::Nil
        }
        Op::SetRepl => {
            if args.len() != 1 {
                return raised("redis.set_repl() requires two arguments.");
            }
            let flags = number(0).unwrap_or(0.0) as i64;
            if flags & !3 != 0 {
                return raised(
                    "Invalid replication flags. Use REPL_AOF, REPL_REPLICA, REPL_ALL or REPL_NONE.",
                );
            }
            rc.repl = flags;
            Answer::Nil
        }
        Op::Call | Op::Pcall | Op::AclCheck | Op::Random | Op::RandomSeed => Answer::Nil,
    }
}

/// Whether the script goes on: past busy-reply-threshold the script is marked timed out
/// (other clients get BUSY); a SCRIPT KILL / FUNCTION KILL stops it.
pub(super) fn check_interrupt(rc: &mut RunCtx) -> bool {
    let threshold = rc.ctx.srv.config.busy_reply_threshold;
    // busy-reply-threshold 0: Redis installs no hook at all.
    if threshold <= 0 {
        return true;
    }
    let Some(r) = rc.ctx.srv.scripting.running.as_mut() else {
        return true;
    };
    if !r.timed_out && r.started.elapsed().as_millis() as i64 >= threshold {
        r.timed_out = true;
        if r.command.is_empty() {
            r.command = rc.command.iter().map(|a| a.to_vec()).collect();
        }
        log::warn!(
            "Slow script detected: still in execution after {} milliseconds. You can try killing the script using the {} command. Script name is: {}.",
            r.started.elapsed().as_millis(),
            if r.kind == Kind::Eval { "SCRIPT KILL" } else { "FUNCTION KILL" },
            r.name
        );
    }
    if r.timed_out {
        crate::server::busy::serve_while_busy(rc.ctx.store, rc.ctx.srv);
        // SHUTDOWN NOSAVE arrived: the script stops here and the loop shuts down.
        if rc.ctx.srv.shutdown.is_some() {
            return false;
        }
    }
    !rc.ctx
        .srv
        .scripting
        .running
        .as_ref()
        .is_some_and(|r| r.killed)
}

/// Whether a failed redis.call raises (redis.call) or returns its error (redis.pcall).
#[derive(Clone, Copy, PartialEq, Eq)]
enum Raise {
    Yes,
    No,
}

/// The error table for `msg`, raised.
fn raised(msg: &str) -> Answer {
    failed(msg, Raise::Yes)
}

/// The error table for `msg`: raised by redis.call, returned by redis.pcall.
fn failed(msg: &str, how: Raise) -> Answer {
    Answer::Error {
        text: api::error_text(msg.as_bytes()),
        raise: how == Raise::Yes,
        uncounted: false,
    }
}

/// redis.call / redis.pcall: scriptCall's checks, then the one call path.
fn script_call(rc: &mut RunCtx, argv: Option<&[&[u8]]>, how: Raise) -> Answer {
    let argv = match argv {
        Some([]) => {
            return failed(
                "Please specify at least one argument for this redis lib call",
                how,
            )
        }
        Some(argv) => argv,
        None => {
            return failed(
                "Lua redis lib command arguments must be strings or integers",
                how,
            )
        }
    };
    let debugging = rc.ctx.srv.scripting.ldb.logging();
    if debugging {
        rc.ctx.srv.scripting.ldb.log_command(argv);
    }
    let cmd = match check_command(rc, argv) {
        Ok(cmd) => cmd,
        Err(msg) => {
            if debugging {
                rc.ctx.srv.scripting.ldb.log(format!("<error> {msg}"));
            }
            let text = api::error_text(msg.as_bytes());
            let code = String::from_utf8_lossy(text.split(|&b| b == b' ').next().unwrap_or(b"ERR"))
                .into_owned();
            rc.ctx.srv.stats.count_errors(&mut vec![code]);
            if let Some((cmd, _)) = table::lookup(argv) {
                rc.ctx.srv.stats.command(cmd.id).rejected_calls += 1;
            }
            return Answer::Error {
                text,
                raise: how == Raise::Yes,
                uncounted: true,
            };
        }
    };
    let ctx = &mut *rc.ctx;
    ctx.srv.propagation.muted = rc.repl == 0;
    rc.reply.buf.clear();
    crate::dispatch::call(ctx.store, ctx.srv, &mut rc.reply, rc.client, cmd, argv);
    ctx.srv.propagation.muted = false;
    rc.reply.push_spans.clear();
    rc.reply.error_codes.clear();
    let is_error = rc.reply.buf.first() == Some(&b'-');
    // The reply may have switched logging on or off (the debugger's own `redis` command).
    if rc.ctx.srv.scripting.ldb.logging() {
        let ldb = &mut rc.ctx.srv.scripting.ldb;
        if is_error {
            let end = memchr::memmem::find(&rc.reply.buf, b"\r\n").unwrap_or(rc.reply.buf.len());
            let mut line = b"<error> ".to_vec();
            line.extend_from_slice(&rc.reply.buf[..end]);
            ldb.log(line);
        }
        ldb.log_reply(&rc.reply.buf);
    }
    Answer::Reply {
        raise: is_error && how == Raise::Yes,
    }
}

/// scriptCall's refusals, as luaPushError takes them (`-CODE msg`, or a message that
/// gets `ERR`).
fn check_command(rc: &mut RunCtx, argv: &[&[u8]]) -> Result<&'static Command, String> {
    let Some((cmd, _)) = table::lookup(argv) else {
        return Err("Unknown Redis command called from script".into());
    };
    let argc = argv.len() as i32;
    if (cmd.arity > 0 && cmd.arity != argc) || argc < -cmd.arity {
        return Err("Wrong number of args calling Redis command from script".into());
    }
    if cmd.flags.contains(CommandFlags::NOSCRIPT) {
        return Err("This Redis command is not allowed from script".into());
    }
    let srv = &mut *rc.ctx.srv;
    if let Err(denied) = srv.acl.check(srv.clients[rc.client].user, cmd, argv) {
        let context = crate::acl::Context::Lua;
        crate::commands::acl::log_denial(srv, rc.client, denied, context, cmd.name, argv);
        return Err(crate::acl::script_error(denied));
    }
    if rc.read_only
        && cmd
            .flags
            .intersects(CommandFlags::WRITE | CommandFlags::MAY_REPLICATE)
    {
        return Err("Write commands are not allowed from read-only scripts.".into());
    }
    if !cmd.flags.contains(CommandFlags::WRITE) {
        return Ok(cmd);
    }
    let running = rc.ctx.srv.scripting.running.as_mut();
    let wrote = running.as_ref().is_some_and(|r| r.wrote);
    if !wrote && rc.ctx.srv.writes_refused() {
        return Err(MISCONF_COMMAND.into());
    }
    if !wrote && !rc.ctx.srv.enough_good_replicas() {
        return Err(format!("-{}", crate::dispatch::NOREPLICAS));
    }
    // Over maxmemory when the script started, its first deny-oom write is refused (later
    // ones are not: a script is not stopped half way), as Redis's scriptVerifyOOM.
    if !wrote
        && !rc.allow_oom
        && rc.ctx.srv.config.maxmemory > 0
        && rc.ctx.srv.pre_command_oom
        && cmd.flags.contains(CommandFlags::DENYOOM)
    {
        return Err(format!("-{}", crate::server::maxmemory::OOM_ERROR));
    }
    if let Some(r) = rc.ctx.srv.scripting.running.as_mut() {
        r.wrote = true;
    }
    Ok(cmd)
}

/// redis.acl_check_cmd(cmd, ...): whether the caller's user may run it (its permissions on
/// the command, keys and channels; nothing is logged).
fn acl_check(rc: &mut RunCtx, argv: Option<&[&[u8]]>) -> Answer {
    let argv = match argv {
        Some([]) => return raised("Please specify at least one argument for this redis lib call"),
        Some(argv) => argv,
        None => return raised("Lua redis lib command arguments must be strings or integers"),
    };
    let Some((cmd, _)) = table::lookup(argv) else {
        return raised("Invalid command passed to redis.acl_check_cmd()");
    };
    let srv = &*rc.ctx.srv;
    Answer::Bool(
        srv.acl
            .check(srv.clients[rc.client].user, cmd, argv)
            .is_ok(),
    )
}

/// Replies the error a script raised: `-<err> script: <name>, on <source>:<line>.`
fn reply_error(ctx: &mut Ctx, lua: &Lua, name: &str, err: &Value) {
    let Value::Table(t) = err else {
        let msg = api::lua_string(lua, err).unwrap_or_else(|| b"execution failure".to_vec());
        let msg = String::from_utf8_lossy(&msg);
        return ctx
            .out
            .err(&format!("Error running script {name}, {msg:.100}"));
    };
    let field = |k: &str| -> Option<Vec<u8>> {
        t.get::<Value>(k)
            .ok()
            .and_then(|v| api::lua_string(lua, &v))
    };
    let mut text = b"-".to_vec();
    text.extend_from_slice(&field("err").unwrap_or_default());
    if let (Some(line), Some(source)) = (field("line"), field("source")) {
        text.extend_from_slice(format!(" script: {name}, on ").as_bytes());
        text.extend_from_slice(&source);
        text.push(b':');
        text.extend_from_slice(&line);
        text.push(b'.');
    }
    convert::write_error(ctx.out, &text);
    if matches!(
        t.get::<Value>("ignore_error_stats_update"),
        Ok(Value::Boolean(true))
    ) {
        uncount(ctx.out, 1);
    }
}
