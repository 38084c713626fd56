//! FUNCTION and FCALL: libraries of Lua functions (Redis's functions.c). The libraries are
//! [`crate::scripting::functions`]; a call runs through [`crate::scripting::run`].

use super::Ctx;
use crate::scripting::run::{self, Invocation, Kind};
use crate::scripting::ScriptFlags;

/// FCALL function numkeys [key ...] [arg ...]
pub fn fcall(ctx: &mut Ctx, argv: &[&[u8]]) {
    fcall_generic(ctx, argv, false);
}

/// FCALL_RO function numkeys [key ...] [arg ...]
pub fn fcall_ro(ctx: &mut Ctx, argv: &[&[u8]]) {
    fcall_generic(ctx, argv, true);
}

fn fcall_generic(ctx: &mut Ctx, argv: &[&[u8]], read_only: bool) {
    // The function's commands follow it in MONITOR.
    if !ctx.srv.monitors.is_empty() {
        crate::dispatch::feed_monitors(ctx.srv, ctx.caller, ctx.db, argv);
    }
    let Some(f) = ctx.srv.scripting.functions().function(argv[1]) else {
        return ctx.out.err("Function not found");
    };
    let (callback, name, flags) = (f.callback.clone(), f.name.clone(), f.flags);
    let Some(n) = crate::protocol::parse::parse_i64(argv[2]) else {
        return ctx.out.err("Bad number of keys provided");
    };
    if n > argv.len() as i64 - 3 {
        return ctx
            .out
            .err("Number of keys can't be greater than number of args");
    }
    if n < 0 {
        return ctx.out.err("Number of keys can't be negative");
    }
    let n = n as usize;
    ctx.replace_propagation(Vec::new());
    run::invoke(
        ctx,
        Invocation {
            function: callback,
            name,
            flags,
            read_only_command: read_only,
            kind: Kind::Function,
            keys: &argv[3..3 + n],
            args: &argv[3 + n..],
            command: argv,
        },
    );
}

/// FUNCTION LOAD [REPLACE] code
pub fn load(ctx: &mut Ctx, argv: &[&[u8]]) {
    let mut replace = false;
    let mut i = 2;
    while i < argv.len() - 1 {
        if argv[i].eq_ignore_ascii_case(b"replace") {
            replace = true;
            i += 1;
            continue;
        }
        return ctx.out.err(&format!(
            "Unknown option given: {}",
            String::from_utf8_lossy(argv[i])
        ));
    }
    if i >= argv.len() {
        return ctx.out.err("Function code is missing");
    }
    match ctx.srv.scripting.functions().load(argv[i], replace) {
        Ok(name) => {
            ctx.store.libraries = ctx.srv.scripting.functions().codes();
            ctx.store.dirty += 1;
            ctx.out.bulk(name.as_bytes());
        }
        Err(e) => ctx.out.error(&e),
    }
}

/// FUNCTION DELETE library-name
pub fn delete(ctx: &mut Ctx, argv: &[&[u8]]) {
    let name = String::from_utf8_lossy(argv[2]);
    if !ctx.srv.scripting.functions().delete(&name) {
        return ctx.out.err("Library not found");
    }
    ctx.store.libraries = ctx.srv.scripting.functions().codes();
    ctx.store.dirty += 1;
    ctx.out.ok();
}

/// FUNCTION FLUSH [ASYNC|SYNC]
pub fn flush(ctx: &mut Ctx, argv: &[&[u8]]) {
    if argv.len() > 3 {
        return super::subcommand_syntax_error(ctx.out, "FUNCTION", argv[1]);
    }
    match argv.get(2) {
        None => {}
        Some(m)
            if argv.len() == 3
                && (m.eq_ignore_ascii_case(b"sync") || m.eq_ignore_ascii_case(b"async")) => {}
        Some(_) => {
            return ctx
                .out
                .err("FUNCTION FLUSH only supports SYNC|ASYNC option")
        }
    }
    if let Err(e) = ctx.srv.scripting.functions().flush() {
        return ctx.out.err(&format!("Error flushing functions: {e}"));
    }
    ctx.store.libraries.clear();
    ctx.store.dirty += 1;
    ctx.out.ok();
}

/// FUNCTION KILL
pub fn kill(ctx: &mut Ctx, _argv: &[&[u8]]) {
    super::scripting::kill(ctx, Kind::Function);
}

/// FUNCTION LIST [LIBRARYNAME pattern] [WITHCODE]
pub fn list(ctx: &mut Ctx, argv: &[&[u8]]) {
    let mut with_code = false;
    let mut pattern: Option<&[u8]> = None;
    let mut i = 2;
    while i < argv.len() {
        let a = argv[i];
        if !with_code && a.eq_ignore_ascii_case(b"withcode") {
            with_code = true;
        } else if pattern.is_none() && a.eq_ignore_ascii_case(b"libraryname") {
            if i >= argv.len() - 1 {
                return ctx.out.err("library name argument was not given");
            }
            i += 1;
            pattern = Some(argv[i]);
        } else {
            return ctx
                .out
                .err(&format!("Unknown argument {}", String::from_utf8_lossy(a)));
        }
        i += 1;
    }
    let libs: Vec<_> = ctx
        .srv
        .scripting
        .functions()
        .libraries()
        .values()
        .filter(|l| pattern.is_none_or(|p| crate::util::glob::matches_nocase(p, l.name.as_bytes())))
        .collect();
    let out = &mut *ctx.out;
    out.array(libs.len());
    for lib in libs {
        out.map(if with_code { 4 } else { 3 });
        out.bulk(b"library_name");
        out.bulk(lib.name.as_bytes());
        out.bulk(b"engine");
        out.bulk(b"LUA");
        out.bulk(b"functions");
        out.array(lib.functions.len());
        for f in lib.functions.values() {
            out.map(3);
            out.bulk(b"name");
            out.bulk(f.name.as_bytes());
            out.bulk(b"description");
            match &f.description {
                Some(d) => out.bulk(d),
                None => out.null(),
            }
            out.bulk(b"flags");
            let named: Vec<&str> = ScriptFlags::NAMED
                .iter()
                .filter(|(flag, _)| f.flags.contains(*flag))
                .map(|&(_, n)| n)
                .collect();
            out.set(named.len());
            for n in named {
                out.simple(n);
            }
        }
        if with_code {
            out.bulk(b"library_code");
            out.bulk(&lib.code);
        }
    }
}

/// FUNCTION STATS
pub fn stats(ctx: &mut Ctx, _argv: &[&[u8]]) {
    if let Some(r) = &ctx.srv.scripting.running {
        if r.kind == Kind::Eval {
            return ctx.out.error(run::busy_error(Kind::Eval));
        }
    }
    let f = ctx.srv.scripting.functions();
    let (libs, funcs) = (f.libraries().len(), f.function_count());
    ctx.out.map(2);
    ctx.out.bulk(b"running_script");
    match &ctx.srv.scripting.running {
        None => ctx.out.null(),
        Some(r) => {
            let (name, ms) = (r.name.clone(), r.started.elapsed().as_millis() as i64);
            let command = r.command.clone();
            ctx.out.map(3);
            ctx.out.bulk(b"name");
            ctx.out.bulk(name.as_bytes());
            ctx.out.bulk(b"command");
            ctx.out.array(command.len());
            for a in &command {
                ctx.out.bulk(a);
            }
            ctx.out.bulk(b"duration_ms");
            ctx.out.int(ms);
        }
    }
    ctx.out.bulk(b"engines");
    ctx.out.map(1);
    ctx.out.bulk(b"LUA");
    ctx.out.map(2);
    ctx.out.bulk(b"libraries_count");
    ctx.out.int(libs as i64);
    ctx.out.bulk(b"functions_count");
    ctx.out.int(funcs as i64);
}

/// FUNCTION HELP
pub fn help(ctx: &mut Ctx, _argv: &[&[u8]]) {
    super::server::help_reply(
        ctx,
        "FUNCTION",
        &[
            "LOAD [REPLACE] <FUNCTION CODE>",
            "    Create a new library with the given library name and code.",
            "DELETE <LIBRARY NAME>",
            "    Delete the given library.",
            "LIST [LIBRARYNAME PATTERN] [WITHCODE]",
            "    Return general information on all the libraries:",
            "    * Library name",
            "    * The engine used to run the Library",
            "    * Library description",
            "    * Functions list",
            "    * Library code (if WITHCODE is given)",
            "    It also possible to get only function that matches a pattern using LIBRARYNAME argument.",
            "STATS",
            "    Return information about the current function running:",
            "    * Function name",
            "    * Command used to run the function",
            "    * Duration in MS that the function is running",
            "    If no function is running, return nil",
            "    In addition, returns a list of available engines.",
            "KILL",
            "    Kill the current running function.",
            "FLUSH [ASYNC|SYNC]",
            "    Delete all the libraries.",
            "    When called without the optional mode argument, the behavior is determined by the",
            "    lazyfree-lazy-user-flush configuration directive. Valid modes are:",
            "    * ASYNC: Asynchronously flush the libraries.",
            "    * SYNC: Synchronously flush the libraries.",
            "DUMP",
            "    Return a serialized payload representing the current libraries, can be restored using FUNCTION RESTORE command",
            "RESTORE <PAYLOAD> [FLUSH|APPEND|REPLACE]",
            "    Restore the libraries represented by the given payload, it is possible to give a restore policy to",
            "    control how to handle existing libraries (default APPEND):",
            "    * FLUSH: delete all existing libraries.",
            "    * APPEND: appends the restored libraries to the existing libraries. On collision, abort.",
            "    * REPLACE: appends the restored libraries to the existing libraries, On collision, replace the old",
            "      libraries with the new libraries (notice that even on this option there is a chance of failure",
            "      in case of functions name collision with another library).",
        ],
    );
}
