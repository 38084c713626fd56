//! EVAL, EVALSHA, their _RO forms, and SCRIPT: the script cache's commands (Redis's
//! eval.c). Running a script is [`crate::scripting::run`].

use super::Ctx;
use crate::protocol::parse::parse_i64;
use crate::scripting::ldb;
use crate::scripting::run::{self, Invocation, Kind};

/// The error for an unknown SHA-1.
const NOSCRIPT: &str = "NOSCRIPT No matching script. Please use EVAL.";

/// Where EVAL's script comes from.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Source {
    /// EVAL: the body.
    Body,
    /// EVALSHA: the SHA-1 of a cached body.
    Sha,
}

/// Whether the command is an _RO form.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Access {
    ReadWrite,
    ReadOnly,
}

/// EVAL script numkeys [key ...] [arg ...]
pub fn eval(ctx: &mut Ctx, argv: &[&[u8]]) {
    match ctx.client().lua_debug {
        Some(mode) => eval_debugging(ctx, argv, mode),
        None => eval_generic(ctx, argv, Source::Body, Access::ReadWrite),
    }
}

/// EVAL_RO script numkeys [key ...] [arg ...]
pub fn eval_ro(ctx: &mut Ctx, argv: &[&[u8]]) {
    eval_generic(ctx, argv, Source::Body, Access::ReadOnly);
}

/// EVALSHA sha1 numkeys [key ...] [arg ...]
pub fn evalsha(ctx: &mut Ctx, argv: &[&[u8]]) {
    if ctx.client().lua_debug.is_some() && argv[1].len() == 40 {
        if !ctx.srv.monitors.is_empty() {
            crate::dispatch::feed_monitors(ctx.srv, ctx.caller, ctx.db, argv);
        }
        return ctx
            .out
            .err("Please use EVAL instead of EVALSHA for debugging");
    }
    eval_generic(ctx, argv, Source::Sha, Access::ReadWrite);
}

/// EVALSHA_RO sha1 numkeys [key ...] [arg ...]
pub fn evalsha_ro(ctx: &mut Ctx, argv: &[&[u8]]) {
    eval_generic(ctx, argv, Source::Sha, Access::ReadOnly);
}

/// The number of keys of an EVAL / FCALL, checked against the arguments; None after
/// replying the error.
pub fn numkeys(ctx: &mut Ctx, argv: &[&[u8]]) -> Option<usize> {
    let Some(n) = parse_i64(argv[2]) else {
        ctx.out.err("value is not an integer or out of range");
        return None;
    };
    if n > argv.len() as i64 - 3 {
        ctx.out
            .err("Number of keys can't be greater than number of args");
        return None;
    }
    if n < 0 {
        ctx.out.err("Number of keys can't be negative");
        return None;
    }
    Some(n as usize)
}

fn eval_generic(ctx: &mut Ctx, argv: &[&[u8]], source: Source, access: Access) {
    // The script's own commands follow it in MONITOR.
    if !ctx.srv.monitors.is_empty() {
        crate::dispatch::feed_monitors(ctx.srv, ctx.caller, ctx.db, argv);
    }
    if source == Source::Sha && argv[1].len() != 40 {
        return ctx.out.error(NOSCRIPT);
    }
    let Some(nkeys) = numkeys(ctx, argv) else {
        return;
    };
    let sha = match source {
        Source::Sha => {
            if !ctx.srv.scripting.exists(argv[1]) {
                return ctx.out.error(NOSCRIPT);
            }
            argv[1].to_ascii_lowercase()
        }
        Source::Body => match ctx.srv.scripting.create(argv[1]) {
            Ok(sha) => sha.to_vec(),
            Err(e) => return ctx.out.error(&e),
        },
    };
    let script = ctx.srv.scripting.get(&sha).expect("cached");
    let inv = Invocation {
        function: script.function.clone(),
        name: String::from_utf8_lossy(&sha).into_owned(),
        flags: script.flags,
        read_only_command: access == Access::ReadOnly,
        kind: Kind::Eval,
        keys: &argv[3..3 + nkeys],
        args: &argv[3 + nkeys..],
        command: argv,
    };
    // What the script does is propagated, not the script.
    ctx.replace_propagation(Vec::new());
    run::invoke(ctx, inv);
}

/// SCRIPT LOAD script
pub fn script_load(ctx: &mut Ctx, argv: &[&[u8]]) {
    match ctx.srv.scripting.create(argv[2]) {
        Ok(sha) => ctx.out.bulk(&sha),
        Err(e) => ctx.out.error(&e),
    }
}

/// SCRIPT EXISTS sha1 [sha1 ...]
pub fn script_exists(ctx: &mut Ctx, argv: &[&[u8]]) {
    ctx.out.array(argv.len() - 2);
    for sha in &argv[2..] {
        let found = ctx.srv.scripting.exists(sha);
        ctx.out.int(found as i64);
    }
}

/// SCRIPT FLUSH [ASYNC|SYNC]
pub fn script_flush(ctx: &mut Ctx, argv: &[&[u8]]) {
    match argv.get(2) {
        None => {}
        Some(m)
            if argv.len() == 3
                && (m.eq_ignore_ascii_case(b"sync") || m.eq_ignore_ascii_case(b"async")) => {}
        Some(_) => return ctx.out.err("SCRIPT FLUSH only support SYNC|ASYNC option"),
    }
    ctx.srv.scripting.flush();
    ctx.out.ok();
}

/// SCRIPT KILL
pub fn script_kill(ctx: &mut Ctx, _argv: &[&[u8]]) {
    kill(ctx, Kind::Eval);
}

/// SCRIPT KILL / FUNCTION KILL: stops the running script of that kind unless it wrote.
pub fn kill(ctx: &mut Ctx, kind: Kind) {
    let Some(r) = ctx.srv.scripting.running.as_mut() else {
        return ctx.out.error("NOTBUSY No scripts in execution right now.");
    };
    if r.wrote {
        return ctx.out.error(
            "UNKILLABLE Sorry the script already executed write commands against the dataset. You can either wait the script termination or kill the server in a hard way using the SHUTDOWN NOSAVE command.",
        );
    }
    if r.kind != kind {
        // The running script is of the other kind: name the KILL that stops it.
        return ctx.out.error(run::busy_error(r.kind));
    }
    r.killed = true;
    ctx.out.ok();
}

/// SCRIPT DEBUG YES|SYNC|NO: whether the client's next EVAL runs in the Lua debugger
/// (see [`crate::scripting::ldb`]).
pub fn script_debug(ctx: &mut Ctx, argv: &[&[u8]]) {
    if ctx.out.pending() > 0 {
        return ctx
            .out
            .err("SCRIPT DEBUG must be called outside a pipeline");
    }
    let mode = argv[2];
    let mode = if mode.eq_ignore_ascii_case(b"no") {
        None
    } else if mode.eq_ignore_ascii_case(b"yes") {
        Some(ldb::Mode::Forked)
    } else if mode.eq_ignore_ascii_case(b"sync") {
        Some(ldb::Mode::Sync)
    } else {
        return ctx.out.err("Use SCRIPT DEBUG YES/SYNC/NO");
    };
    if mode.is_some() {
        ctx.srv.scripting.ldb.enable();
    }
    ctx.client().lua_debug = mode;
    ctx.out.ok();
}

/// EVAL in a debugging session (evalGenericCommandWithDebugging): YES forks, the child
/// runs the session and exits; SYNC runs it here. The connection closes after the reply.
fn eval_debugging(ctx: &mut Ctx, argv: &[&[u8]], mode: ldb::Mode) {
    use std::os::fd::AsRawFd;
    let Some(fd) = ctx.client().stream.as_ref().map(|s| s.as_raw_fd()) else {
        return eval_generic(ctx, argv, Source::Body, Access::ReadWrite);
    };
    if mode == ldb::Mode::Forked {
        // SAFETY: fork; the child only runs this session on the client's socket and
        // leaves with _exit, never returning to the event loop.
        match unsafe { libc::fork() } {
            -1 => {
                let e = std::io::Error::last_os_error();
                ctx.client().lua_debug = None;
                return ctx.out.err(&format!(
                    "Fork() failed: can't run EVAL in debugging mode: {e}"
                ));
            }
            0 => {
                log::warn!("Redis forked for debugging eval");
                ctx.srv.scripting.ldb.start(fd, argv[1]);
                eval_generic(ctx, argv, Source::Body, Access::ReadWrite);
                ctx.srv.scripting.ldb.end();
                let _ = ldb::write_all(fd, &ctx.out.buf);
                log::warn!("Lua debugging session child exiting");
                // SAFETY: leaving the child without running the parent's destructors.
                unsafe { libc::_exit(0) }
            }
            pid => {
                ctx.srv.scripting.ldb.children.push(pid);
                ctx.client().lua_debug = None;
                ctx.client().close_asap = true;
                return;
            }
        }
    }
    log::warn!("Redis synchronous debugging eval session started");
    ctx.srv.scripting.ldb.start(fd, argv[1]);
    eval_generic(ctx, argv, Source::Body, Access::ReadWrite);
    ctx.srv.scripting.ldb.end();
    log::warn!("Redis synchronous debugging eval session ended");
    let c = ctx.client();
    c.lua_debug = None;
    c.close_after_reply = true;
}

/// SCRIPT HELP
pub fn script_help(ctx: &mut Ctx, _argv: &[&[u8]]) {
    super::server::help_reply(
        ctx,
        "SCRIPT",
        &[
            "DEBUG (YES|SYNC|NO)",
            "    Set the debug mode for subsequent scripts executed.",
            "EXISTS <sha1> [<sha1> ...]",
            "    Return information about the existence of the scripts in the script cache.",
            "FLUSH [ASYNC|SYNC]",
            "    Flush the Lua scripts cache. Very dangerous on replicas.",
            "    When called without the optional mode argument, the behavior is determined by the",
            "    lazyfree-lazy-user-flush configuration directive. Valid modes are:",
            "    * ASYNC: Asynchronously flush the scripts cache.",
            "    * SYNC: Synchronously flush the scripts cache.",
            "KILL",
            "    Kill the currently executing Lua script.",
            "LOAD <script>",
            "    Load a script into the scripts cache without executing it.",
        ],
    );
}
