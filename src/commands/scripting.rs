//! EVAL, EVALSHA, their _RO forms, and SCRIPT: the script cache's commands (Redis's
//! eval.c). Running a script is [`crate::scripting::run`].

use super::Ctx;
use crate::protocol::parse::parse_i64;
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
    eval_generic(ctx, argv, Source::Body, Access::ReadWrite);
}

/// EVAL_RO script numkeys [key ...] [arg ...]
pub fn eval_ro(ctx: &mut Ctx, argv: &[&[u8]]) {
    eval_generic(ctx, argv, Source::Body, Access::ReadOnly);
}

/// EVALSHA sha1 numkeys [key ...] [arg ...]
pub fn evalsha(ctx: &mut Ctx, argv: &[&[u8]]) {
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

/// SCRIPT DEBUG YES|SYNC|NO
pub fn script_debug(ctx: &mut Ctx, argv: &[&[u8]]) {
    let mode = argv[2];
    if mode.eq_ignore_ascii_case(b"no") {
        ctx.out.ok()
    } else if mode.eq_ignore_ascii_case(b"yes") || mode.eq_ignore_ascii_case(b"sync") {
        ctx.out
            .err("SCRIPT DEBUG (the Lua debugger) is not available in redust")
    } else {
        ctx.out.err("Use SCRIPT DEBUG YES/SYNC/NO")
    }
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
