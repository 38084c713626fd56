//! Running a script or a library function: Redis's scriptPrepareForRun, luaCallFunction
//! and scriptCall.
//!
//! A run installs one dispatcher in the Lua state for its duration (`internal.dispatch`,
//! a scoped function that borrows the server), through which `redis.call` and friends
//! reach the server. Commands run as the script client, a client without a socket that
//! never blocks (it is marked as inside EXEC), through [`crate::dispatch::call`]: stats,
//! the slow log, MONITOR, key events and propagation happen as for any command.

use std::time::Instant;

use mlua::{Function, Lua, Table, Value};

use super::api::{self, CallArgs, Op};
use super::convert::{self, ReplyNotes};
use super::ScriptFlags;
use crate::commands::spec::CommandFlags;
use crate::commands::{table, Ctx};
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
struct RunCtx<'c, 'a> {
    ctx: &'c mut Ctx<'a>,
    /// The script client.
    client: ClientId,
    /// Its reply buffer: each command's reply, converted to Lua and cleared.
    reply: Reply,
    read_only: bool,
    /// The script declared `allow-oom`: its writes are not refused over maxmemory.
    allow_oom: bool,
    /// redis.set_repl's flags (REPL_ALL = 3).
    repl: i64,
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
    let (lua, run, run_with, internal) = (
        state.lua.clone(),
        state.run.clone(),
        state.run_with.clone(),
        state.internal.clone(),
    );
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
        command: inv.command.iter().map(|a| a.to_vec()).collect(),
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
    };
    let outcome = execute(&lua, &mut rc, &inv, &run, &run_with, &internal);
    let script_resp = rc.reply.resp;
    let ctx = rc.ctx;
    ctx.srv.propagation.muted = false;
    let running = ctx.srv.scripting.running.take();
    if running.as_ref().is_some_and(|r| r.timed_out) {
        log::warn!("Script {} finished after the busy threshold", inv.name);
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

/// Forgets the last `n` error codes of `out` (errors counted already).
fn uncount(out: &mut Reply, n: usize) {
    let keep = out.error_codes.len().saturating_sub(n);
    out.error_codes.truncate(keep);
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
    let c = &mut ctx.srv.clients[id];
    c.db = db;
    c.resp = Resp::Two;
    id
}

/// Sets KEYS / ARGV (EVAL) or builds the tables (FCALL), installs the dispatcher and the
/// busy hook, and runs the function under the error handler.
fn execute(
    lua: &Lua,
    rc: &mut RunCtx,
    inv: &Invocation,
    run: &Function,
    run_with: &Function,
    internal: &Table,
) -> mlua::Result<(bool, Value)> {
    let keys = lua.create_sequence_from(
        inv.keys
            .iter()
            .map(|k| lua.create_string(k))
            .collect::<mlua::Result<Vec<_>>>()?,
    )?;
    let args = lua.create_sequence_from(
        inv.args
            .iter()
            .map(|a| lua.create_string(a))
            .collect::<mlua::Result<Vec<_>>>()?,
    )?;
    if inv.kind == Kind::Eval {
        let globals = lua.globals();
        super::engine::set_readonly(lua, &globals, false)?;
        globals.raw_set("KEYS", keys.clone())?;
        globals.raw_set("ARGV", args.clone())?;
        super::engine::set_readonly(lua, &globals, true)?;
    }
    let threshold = rc.ctx.srv.config.busy_reply_threshold;
    lua.scope(|scope| {
        let dispatch = scope.create_function_mut(|lua, op: i64| {
            let args = match lua.remove_app_data::<api::CallArgs>() {
                Some(a) => a,
                None => api::CallArgs {
                    table: lua.create_table()?,
                    len: 0,
                },
            };
            match Op::from_number(op) {
                Some(op) => dispatch(lua, rc, op, args),
                None => Ok((true, Value::Nil)),
            }
        })?;
        internal.raw_set("dispatch", dispatch)?;
        if threshold > 0 {
            lua.set_hook(
                mlua::HookTriggers::new().every_nth_instruction(HOOK_PERIOD),
                interrupt_hook(internal.clone()),
            );
        }
        let result = match inv.kind {
            Kind::Eval => run.call::<(bool, Value)>(inv.function.clone()),
            Kind::Function => run_with.call::<(bool, Value)>((inv.function.clone(), keys, args)),
        };
        lua.remove_hook();
        internal.raw_set("dispatch", Value::Nil)?;
        result
    })
}

/// The count hook: asks the run whether to go on (and lets it serve other clients once
/// past the busy threshold).
/// Once killed, the hook fires on every line too, so a script catching the error with
/// pcall meets it again on its next line and cannot go on (Redis does the same).
type Hook = Box<dyn Fn(&Lua, mlua::Debug) -> mlua::Result<mlua::VmState>>;

/// Instructions between two checks of a running script (Redis's 100,000).
const HOOK_PERIOD: u32 = 100_000;

fn interrupt_hook(internal: Table) -> Hook {
    Box::new(move |lua, _| {
        if let Ok(Value::Function(d)) = internal.raw_get::<Value>("dispatch") {
            let (go_on, _): (bool, Value) = d.call(Op::Interrupt as u8)?;
            if !go_on {
                lua.set_hook(
                    mlua::HookTriggers::new()
                        .every_line()
                        .every_nth_instruction(HOOK_PERIOD),
                    interrupt_hook(internal.clone()),
                );
                return Err(mlua::Error::RuntimeError(
                    "Script killed by user with SCRIPT KILL...".into(),
                ));
            }
        }
        Ok(mlua::VmState::Continue)
    })
}

/// One dispatcher call.
fn dispatch(lua: &Lua, rc: &mut RunCtx, op: Op, args: CallArgs) -> mlua::Result<(bool, Value)> {
    match op {
        Op::Call => script_call(lua, rc, args, Raise::Yes),
        Op::Pcall => script_call(lua, rc, args, Raise::No),
        Op::SetResp => {
            if args.len() != 1 {
                return raise(lua, "redis.setresp() requires one argument.");
            }
            match api::lua_number(lua, &args.get(0)).map(|n| n as i64) {
                Some(2) => rc.reply.resp = Resp::Two,
                Some(3) => rc.reply.resp = Resp::Three,
                _ => return raise(lua, "RESP version must be 2 or 3."),
            }
            rc.ctx.srv.clients[rc.client].resp = rc.reply.resp;
            Ok((true, Value::Nil))
        }
        Op::SetRepl => {
            if args.len() != 1 {
                return raise(lua, "redis.set_repl() requires two arguments.");
            }
            let flags = api::lua_number(lua, &args.get(0)).unwrap_or(0.0) as i64;
            if flags & !3 != 0 {
                return raise(
                    lua,
                    "Invalid replication flags. Use REPL_AOF, REPL_REPLICA, REPL_ALL or REPL_NONE.",
                );
            }
            rc.repl = flags;
            Ok((true, Value::Nil))
        }
        Op::AclCheck => acl_check(lua, rc, args),
        Op::Random => random(lua, rc, args),
        Op::RandomSeed => {
            let seed = match api::lua_number(lua, &args.get(0)) {
                Some(n) => n as i32,
                None => {
                    return Ok((
                        false,
                        Value::String(lua.create_string(bad_argument(&args, 1))?),
                    ))
                }
            };
            rc.ctx.srv.scripting.rand.seed(seed);
            Ok((true, Value::Nil))
        }
        Op::Interrupt => Ok((check_interrupt(rc), Value::Nil)),
    }
}

/// Whether the script goes on: past busy-reply-threshold the script is marked timed out
/// (other clients get BUSY); a SCRIPT KILL / FUNCTION KILL stops it.
fn check_interrupt(rc: &mut RunCtx) -> bool {
    let threshold = rc.ctx.srv.config.busy_reply_threshold;
    let Some(r) = rc.ctx.srv.scripting.running.as_mut() else {
        return true;
    };
    if !r.timed_out && r.started.elapsed().as_millis() as i64 >= threshold {
        r.timed_out = true;
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

/// Lua's message for a bad argument (luaL_argerror), raised at the caller.
fn bad_argument(args: &CallArgs, n: usize) -> String {
    let got = if n > args.len() {
        "no value".to_string()
    } else {
        args.get(n - 1).type_name().to_string()
    };
    format!(
        "bad argument #{n} to '{}' (number expected, got {got})",
        api::FUNCTION_NAME_STR
    )
}

/// math.random([m [, n]]) with Redis's generator.
fn random(lua: &Lua, rc: &mut RunCtx, args: CallArgs) -> mlua::Result<(bool, Value)> {
    let r = (rc.ctx.srv.scripting.rand.next_value() % super::rand48::RAND48_MAX) as f64
        / super::rand48::RAND48_MAX as f64;
    let int_arg = |i: usize| -> Result<i32, String> {
        match api::lua_number(lua, &args.get(i)) {
            Some(n) => Ok(n as i32),
            None => Err(bad_argument(&args, i + 1)),
        }
    };
    let fail = |msg: String| -> mlua::Result<(bool, Value)> {
        Ok((false, Value::String(lua.create_string(msg)?)))
    };
    let v = match args.len() {
        0 => r,
        1 => {
            let u = match int_arg(0) {
                Ok(u) => u,
                Err(m) => return fail(m),
            };
            if u < 1 {
                return fail(format!(
                    "bad argument #1 to '{}' (interval is empty)",
                    api::FUNCTION_NAME_STR
                ));
            }
            (r * u as f64).floor() + 1.0
        }
        2 => {
            let (l, u) = match (int_arg(0), int_arg(1)) {
                (Ok(l), Ok(u)) => (l, u),
                (Err(m), _) | (_, Err(m)) => return fail(m),
            };
            if l > u {
                return fail(format!(
                    "bad argument #2 to '{}' (interval is empty)",
                    api::FUNCTION_NAME_STR
                ));
            }
            (r * (u as f64 - l as f64 + 1.0)).floor() + l as f64
        }
        _ => return fail("wrong number of arguments".into()),
    };
    Ok((true, Value::Number(v)))
}

/// Whether a failed redis.call raises (redis.call) or returns its error (redis.pcall).
#[derive(Clone, Copy, PartialEq, Eq)]
enum Raise {
    Yes,
    No,
}

/// An error table for `msg`, raised.
fn raise(lua: &Lua, msg: &str) -> mlua::Result<(bool, Value)> {
    Ok((false, Value::Table(api::err_table(lua, msg)?)))
}

/// An error table for `msg`: raised by redis.call, returned by redis.pcall.
fn fail(lua: &Lua, msg: &str, how: Raise) -> mlua::Result<(bool, Value)> {
    let t = api::err_table(lua, msg)?;
    Ok((how == Raise::No, Value::Table(t)))
}

/// The command line a redis.call passes: strings as they are, numbers as `%.17g`.
fn command_argv(args: &CallArgs) -> Option<Vec<Vec<u8>>> {
    (0..args.len())
        .map(|i| match &args.get(i) {
            Value::String(s) => Some(s.as_bytes().to_vec()),
            Value::Integer(i) => {
                Some(crate::protocol::reply::format_double(*i as f64).into_bytes())
            }
            Value::Number(n) => Some(crate::protocol::reply::format_double(*n).into_bytes()),
            _ => None,
        })
        .collect()
}

/// redis.call / redis.pcall: scriptCall's checks, then the one call path.
fn script_call(
    lua: &Lua,
    rc: &mut RunCtx,
    args: CallArgs,
    how: Raise,
) -> mlua::Result<(bool, Value)> {
    if args.is_empty() {
        return fail(
            lua,
            "Please specify at least one argument for this redis lib call",
            how,
        );
    }
    let Some(argv) = command_argv(&args) else {
        return fail(
            lua,
            "Lua redis lib command arguments must be strings or integers",
            how,
        );
    };
    drop(args);
    let argv: Vec<&[u8]> = argv.iter().map(Vec::as_slice).collect();
    if let Err(msg) = check_command(rc, &argv) {
        let t = api::err_table(lua, &msg)?;
        t.raw_set("ignore_error_stats_update", true)?;
        let text = api::error_text(msg.as_bytes());
        let code = String::from_utf8_lossy(text.split(|&b| b == b' ').next().unwrap_or(b"ERR"))
            .into_owned();
        rc.ctx.srv.stats.count_errors(&mut vec![code]);
        if let Some((cmd, _)) = table::lookup(&argv) {
            rc.ctx.srv.stats.command(cmd.id).rejected_calls += 1;
        }
        return Ok((how == Raise::No, Value::Table(t)));
    }
    let (cmd, _) = table::lookup(&argv).expect("checked");
    let ctx = &mut *rc.ctx;
    ctx.srv.propagation.muted = rc.repl == 0;
    rc.reply.buf.clear();
    crate::dispatch::call(ctx.store, ctx.srv, &mut rc.reply, rc.client, cmd, &argv);
    ctx.srv.propagation.muted = false;
    rc.reply.push_spans.clear();
    rc.reply.error_codes.clear();
    let is_error = rc.reply.buf.first() == Some(&b'-');
    let v = convert::reply_to_lua(lua, &rc.reply.buf)?;
    rc.reply.buf.clear();
    Ok((!(is_error && how == Raise::Yes), v))
}

/// scriptCall's refusals, as luaPushError takes them (`-CODE msg`, or a message that
/// gets `ERR`).
fn check_command(rc: &mut RunCtx, argv: &[&[u8]]) -> Result<(), String> {
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
    if rc.read_only
        && cmd
            .flags
            .intersects(CommandFlags::WRITE | CommandFlags::MAY_REPLICATE)
    {
        return Err("Write commands are not allowed from read-only scripts.".into());
    }
    if !cmd.flags.contains(CommandFlags::WRITE) {
        return Ok(());
    }
    let running = rc.ctx.srv.scripting.running.as_mut();
    let wrote = running.as_ref().is_some_and(|r| r.wrote);
    if !wrote && rc.ctx.srv.writes_refused() {
        return Err(
            String::from_utf8_lossy(&api::error_text(MISCONF_COMMAND.as_bytes())).into_owned(),
        );
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
    Ok(())
}

/// redis.acl_check_cmd(cmd, ...): whether the caller's user may run it (every user may run
/// everything until ACLs exist).
fn acl_check(lua: &Lua, _rc: &mut RunCtx, args: CallArgs) -> mlua::Result<(bool, Value)> {
    if args.is_empty() {
        return raise(
            lua,
            "Please specify at least one argument for this redis lib call",
        );
    }
    let Some(argv) = command_argv(&args) else {
        return raise(
            lua,
            "Lua redis lib command arguments must be strings or integers",
        );
    };
    let argv: Vec<&[u8]> = argv.iter().map(Vec::as_slice).collect();
    if table::lookup(&argv).is_none() {
        return raise(lua, "Invalid command passed to redis.acl_check_cmd()");
    }
    Ok((true, Value::Boolean(true)))
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
