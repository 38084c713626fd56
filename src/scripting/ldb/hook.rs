//! The Lua side of the debugger ([`super`]): the line hook that stops a script
//! being debugged, and the debugger commands that look into or run Lua (print, eval,
//! redis, trace) and redis.debug / redis.breakpoint.
//!
//! Like the bridge's functions these are C functions reaching the run through its slot.
//! The run's context is taken afresh after every Lua call they make (a `redis` command
//! runs redis.call, which takes it too), never held across one.

use std::ffi::{c_int, CStr};
use std::time::Instant;

use mlua::ffi;

use super::{Action, Ldb, ReplEnd};
use crate::scripting::bridge::{current_run, push_error_table, registry_slot, HOOK_PERIOD};
use crate::scripting::ldb;
use crate::scripting::run::RunCtx;

/// The debugger of the run published at `slot`.
///
/// # Safety
/// As [`current_run`]; the reference must not live across a Lua call.
unsafe fn debugger<'r>(slot: *const std::ffi::c_void) -> Option<&'r mut Ldb> {
    current_run(slot).map(|rc: &mut RunCtx| &mut rc.ctx.srv.scripting.ldb)
}

/// Installs the debugger's hook (every line, and a count to catch endless loops).
///
/// # Safety
/// `state` is a live Lua state.
pub(crate) unsafe fn set_hook(state: *mut ffi::lua_State) {
    ffi::lua_sethook(
        state,
        Some(line_hook),
        ffi::LUA_MASKLINE | ffi::LUA_MASKCOUNT,
        HOOK_PERIOD,
    );
}

/// luaLdbLineHook: stops where the session asks to, and runs the debugger's loop.
unsafe extern "C-unwind" fn line_hook(state: *mut ffi::lua_State, ar: *mut ffi::lua_Debug) {
    // SAFETY (whole function): `ar` is the hook's record; the run is taken from the slot
    // the registry holds, afresh after each Lua call.
    let slot = registry_slot(state);
    ffi::lua_getstack(state, 0, ar);
    ffi::lua_getinfo(state, c"Sl".as_ptr(), ar);
    let line = (*ar).currentline;
    let in_script = CStr::from_ptr((*ar).short_src.as_ptr())
        .to_bytes()
        .windows(11)
        .any(|w| w == b"user_script");
    let Some(rc) = current_run(slot) else {
        return;
    };
    let threshold = rc.ctx.srv.config.busy_reply_threshold;
    let started = rc
        .ctx
        .srv
        .scripting
        .running
        .as_ref()
        .map_or_else(Instant::now, |r| r.started);
    let ldb = &mut rc.ctx.srv.scripting.ldb;
    ldb.current_line = line;
    let bp = ldb.is_breakpoint(line) || ldb.lua_breakpoint;
    if !in_script {
        return;
    }
    let mut timeout = false;
    if (*ar).event == ffi::LUA_HOOKCOUNT && !ldb.step && !bp {
        let limit = if threshold > 0 { threshold } else { 5000 };
        if started.elapsed().as_millis() as i64 >= limit {
            timeout = true;
            ldb.step = true;
        } else {
            return;
        }
    }
    if !(ldb.step || bp) {
        return;
    }
    let reason = if bp {
        if ldb.lua_breakpoint {
            "redis.breakpoint() called"
        } else {
            "break point"
        }
    } else if timeout {
        "timeout reached, infinite loop?"
    } else {
        "step over"
    };
    ldb.step = false;
    ldb.lua_breakpoint = false;
    ldb.log(format!("* Stopped at {line}, stop reason = {reason}"));
    ldb.log_source_line(line);
    ldb.send_logs();
    let end = repl(state, slot);
    let raise = match end {
        ReplEnd::Raise(msg) => Some(msg),
        ReplEnd::Disconnected if timeout => {
            Some("timeout during Lua debugging with client closing connection")
        }
        _ => None,
    };
    if let Some(msg) = raise {
        let text = format!("ERR {msg}");
        // Borrowed from a frame that is left by the raise; copied by Lua first.
        push_error_table(state, text.as_bytes(), false);
        drop(text);
        ffi::lua_error(state);
    }
    if let Some(r) = current_run(slot).and_then(|rc| rc.ctx.srv.scripting.running.as_mut()) {
        r.started = Instant::now();
    }
}

/// ldbRepl: runs the client's debugger commands until one resumes the script.
unsafe fn repl(state: *mut ffi::lua_State, slot: *const std::ffi::c_void) -> ReplEnd {
    loop {
        let Some(ldb) = debugger(slot) else {
            return ReplEnd::Resume;
        };
        let action = match ldb::next_action(ldb) {
            Ok(action) => action,
            Err(end) => return end,
        };
        match action {
            Action::Next => {}
            Action::Resume => return ReplEnd::Resume,
            Action::Raise(msg) => return ReplEnd::Raise(msg),
            Action::Print(name) => print(state, slot, name.as_deref()),
            Action::Eval(code) => eval(state, slot, &code),
            Action::Redis(argv) => redis(state, slot, &argv),
            Action::Trace => trace(state, slot),
        }
        if let Some(ldb) = debugger(slot) {
            ldb.send_logs();
        }
    }
}

/// Logs the value on top of the stack with `prefix` (ldbLogStackValue).
unsafe fn log_top(state: *mut ffi::lua_State, slot: *const std::ffi::c_void, prefix: &[u8]) {
    let mut line = prefix.to_vec();
    ldb::cat_value(&mut line, state, -1, 0);
    if let Some(ldb) = debugger(slot) {
        ldb.log_with_maxlen(line);
    }
}

/// Calls `f` with the name of each local of the frame `ar` describes, its value pushed
/// on top of the stack meanwhile; stops early when `f` says so. Whether it stopped.
unsafe fn each_local(
    state: *mut ffi::lua_State,
    ar: &ffi::lua_Debug,
    mut f: impl FnMut(&[u8]) -> bool,
) -> bool {
    let mut i = 1;
    loop {
        let local = ffi::lua_getlocal(state, ar, i);
        if local.is_null() {
            return false;
        }
        i += 1;
        let stop = f(CStr::from_ptr(local).to_bytes());
        ffi::lua_pop(state, 1);
        if stop {
            return true;
        }
    }
}

/// `print [var]`: a local (searched from the current frame outwards), KEYS or ARGV, or
/// every local of the current frame.
unsafe fn print(state: *mut ffi::lua_State, slot: *const std::ffi::c_void, name: Option<&[u8]>) {
    let mut ar: ffi::lua_Debug = std::mem::zeroed();
    let Some(wanted) = name else {
        let mut vars = 0;
        if ffi::lua_getstack(state, 0, &mut ar) != 0 {
            each_local(state, &ar, |local| {
                if !local.windows(12).any(|w| w == b"(*temporary)") {
                    let mut prefix = b"<value> ".to_vec();
                    prefix.extend_from_slice(local);
                    prefix.extend_from_slice(b" = ");
                    log_top(state, slot, &prefix);
                    vars += 1;
                }
                false
            });
        }
        if vars == 0 {
            if let Some(ldb) = debugger(slot) {
                ldb.log("No local variables in the current context.");
            }
        }
        return;
    };
    let mut level = 0;
    while ffi::lua_getstack(state, level, &mut ar) != 0 {
        level += 1;
        let found = each_local(state, &ar, |local| {
            let found = local == wanted;
            if found {
                log_top(state, slot, b"<value> ");
            }
            found
        });
        if found {
            return;
        }
    }
    if wanted == b"KEYS" || wanted == b"ARGV" {
        let global = if wanted == b"KEYS" { c"KEYS" } else { c"ARGV" };
        ffi::lua_getfield(state, ffi::LUA_GLOBALSINDEX, global.as_ptr());
        log_top(state, slot, b"<value> ");
        ffi::lua_pop(state, 1);
    } else if let Some(ldb) = debugger(slot) {
        ldb.log("No such variable.");
    }
}

/// Logs the error message on top of the stack and pops it.
unsafe fn log_error_top(state: *mut ffi::lua_State, slot: *const std::ffi::c_void) {
    let mut line = b"<error> ".to_vec();
    let mut len = 0;
    let p = ffi::lua_tolstring(state, -1, &mut len) as *const u8;
    if !p.is_null() {
        line.extend_from_slice(std::slice::from_raw_parts(p, len));
    }
    ffi::lua_pop(state, 1);
    if let Some(ldb) = debugger(slot) {
        ldb.log(line);
    }
}

/// `eval <code>`: as an expression (`return <code>`), else as a statement.
unsafe fn eval(state: *mut ffi::lua_State, slot: *const std::ffi::c_void, code: &[u8]) {
    let mut expr = b"return ".to_vec();
    expr.extend_from_slice(code);
    let name = c"@ldb_eval".as_ptr();
    if ffi::luaL_loadbuffer(state, expr.as_ptr().cast(), expr.len(), name) != 0 {
        ffi::lua_pop(state, 1);
        if ffi::luaL_loadbuffer(state, code.as_ptr().cast(), code.len(), name) != 0 {
            return log_error_top(state, slot);
        }
    }
    if ffi::lua_pcall(state, 0, 1, 0) != 0 {
        return log_error_top(state, slot);
    }
    log_top(state, slot, b"<retval> ");
    ffi::lua_pop(state, 1);
}

/// `redis <cmd>`: runs it through redis.call with logging on, so the command and its
/// reply are logged; the result is dropped.
unsafe fn redis(state: *mut ffi::lua_State, slot: *const std::ffi::c_void, argv: &[Vec<u8>]) {
    if ffi::lua_checkstack(state, argv.len() as c_int + 2) == 0 {
        if let Some(ldb) = debugger(slot) {
            ldb.log_reply(b"max lua stack reached");
        }
        return;
    }
    ffi::lua_getfield(state, ffi::LUA_GLOBALSINDEX, c"redis".as_ptr());
    ffi::lua_getfield(state, -1, c"call".as_ptr());
    for a in argv {
        ffi::lua_pushlstring(state, a.as_ptr().cast(), a.len());
    }
    if let Some(ldb) = debugger(slot) {
        ldb.step = true;
    }
    ffi::lua_pcall(state, argv.len() as c_int, 1, 0);
    if let Some(ldb) = debugger(slot) {
        ldb.step = false;
    }
    ffi::lua_pop(state, 2);
}

/// `trace`: the script's frames, innermost first.
unsafe fn trace(state: *mut ffi::lua_State, slot: *const std::ffi::c_void) {
    let mut ar: ffi::lua_Debug = std::mem::zeroed();
    let mut level = 0;
    while ffi::lua_getstack(state, level, &mut ar) != 0 {
        ffi::lua_getinfo(state, c"Snl".as_ptr(), &mut ar);
        let src = CStr::from_ptr(ar.short_src.as_ptr()).to_bytes();
        if src.windows(11).any(|w| w == b"user_script") {
            let name = if ar.name.is_null() {
                "top level".to_string()
            } else {
                CStr::from_ptr(ar.name).to_string_lossy().into_owned()
            };
            if let Some(ldb) = debugger(slot) {
                ldb.log(format!(
                    "{} {name}:",
                    if level == 0 { "In" } else { "From" }
                ));
                ldb.log_source_line(ar.currentline);
            }
        }
        level += 1;
    }
    if level == 0 {
        if let Some(ldb) = debugger(slot) {
            ldb.log("<error> Can't retrieve Lua stack.");
        }
    }
}

/// redis.breakpoint(): true, and a stop at the next line, in a debugging session.
pub(crate) unsafe extern "C-unwind" fn breakpoint(state: *mut ffi::lua_State) -> c_int {
    // SAFETY: the upvalue is the slot bridge::run_function set.
    let slot = ffi::lua_touserdata(state, ffi::lua_upvalueindex(1));
    let active = match debugger(slot) {
        Some(ldb) if ldb.active => {
            ldb.lua_breakpoint = true;
            true
        }
        _ => false,
    };
    ffi::lua_pushboolean(state, active as c_int);
    1
}

/// redis.debug(...): logs its arguments in a debugging session.
pub(crate) unsafe extern "C-unwind" fn debug(state: *mut ffi::lua_State) -> c_int {
    // SAFETY: as in breakpoint; the arguments are on this call's stack.
    let slot = ffi::lua_touserdata(state, ffi::lua_upvalueindex(1));
    let Some(line_no) = debugger(slot).filter(|l| l.active).map(|l| l.current_line) else {
        return 0;
    };
    let argc = ffi::lua_gettop(state);
    let mut line = format!("<debug> line {line_no}: ").into_bytes();
    for i in 1..=argc {
        ldb::cat_value(&mut line, state, i, 0);
        if i != argc {
            line.extend_from_slice(b", ");
        }
    }
    if let Some(ldb) = debugger(slot) {
        ldb.log(line);
    }
    0
}
