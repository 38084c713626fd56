//! The bridge between a running script and the server: the C functions behind the
//! `redis.*` functions that need the run (redis.call, redis.pcall, redis.setresp,
//! redis.set_repl, redis.acl_check_cmd, math.random, math.randomseed) and the count hook
//! that lets a busy script serve other clients.
//!
//! Why plain C functions rather than mlua callbacks: `redis.call` is the hot path of
//! every script, and mlua's callback machinery (a protected call, a reference slot per
//! argument, boxed app data) cost several times the command itself: 8,700 instructions
//! per `redis.call` through mlua against 1,850 for Redis's whole scriptCall (callgrind,
//! EVALSHA of a 10-command script). Here the arguments are read where they lie on the Lua
//! stack and the reply is pushed straight from its RESP bytes, as Redis does.
//!
//! How they reach the server: while a run is in progress its context is published in the
//! Lua state's [`RunSlot`] (see [`RunSlot::publish`]); outside a run the slot is empty and
//! the functions raise Redis's "can only be called inside a script invocation" errors.
//!
//! Lua raises errors with `longjmp`, and any Lua allocation may raise (it may run the
//! collector, and a script's `__gc` metamethod may raise). So the Rust work happens first,
//! in frames that touch no Lua API that can raise, and leaves what to push in the run's
//! context; the frames that then push (and possibly raise) hold only references and
//! numbers, nothing with a destructor.

use std::any::Any;
use std::cell::Cell;
use std::ffi::{c_int, c_void};
use std::panic::{catch_unwind, AssertUnwindSafe};

use mlua::{ffi, Function, LightUserData, Lua, Value};

use super::api::Op;
use super::convert;
use super::run::{self, Answer, RunCtx};
use crate::protocol::reply::format_double;

/// The registry key the hooks find the slot under (a hook has no upvalues).
const SLOT_KEY: &std::ffi::CStr = c"redust.run_slot";

/// Instructions between two checks of a running script (Redis's 100,000).
pub const HOOK_PERIOD: c_int = 100_000;

/// Where a Lua state finds the run in progress: a pointer to its [`RunCtx`] while a run
/// executes, null otherwise. Boxed by the engine so its address is stable; the C
/// functions hold that address.
#[derive(Debug, Default)]
pub struct RunSlot {
    current: Cell<*mut c_void>,
}

/// Publishes a run for as long as it lives; empties the slot when dropped.
pub struct Published<'s> {
    slot: &'s RunSlot,
}

impl Drop for Published<'_> {
    fn drop(&mut self) {
        self.slot.current.set(std::ptr::null_mut());
    }
}

impl RunSlot {
    /// Makes `rc` the run the state's functions act on until the guard drops. The caller
    /// does not touch `rc` while the guard lives: the Lua code it calls meanwhile is the
    /// only user of the context (through this slot).
    pub fn publish<'s>(&'s self, rc: &mut RunCtx) -> Published<'s> {
        self.current.set(rc as *mut RunCtx as *mut c_void);
        Published { slot: self }
    }

    /// Registers the slot where the count hook looks for it.
    pub fn register(&self, lua: &Lua) -> mlua::Result<()> {
        let key = SLOT_KEY.to_str().expect("ASCII");
        lua.set_named_registry_value(key, LightUserData(self.address()))
    }

    fn address(&self) -> *mut c_void {
        self as *const RunSlot as *mut c_void
    }
}

/// A function for `op` that acts on the run published in `slot`; outside a run it raises
/// `missing` (a string is positioned at the caller, as luaL_error does).
pub fn run_function(lua: &Lua, slot: &RunSlot, op: Op, missing: Value) -> mlua::Result<Function> {
    let upvalues = (LightUserData(slot.address()), op as u8 as i64, missing);
    // SAFETY: exec_raw runs the closure in protected mode with the three upvalues pushed;
    // lua_pushcclosure pops them and leaves the closure, which exec_raw returns.
    unsafe {
        lua.exec_raw::<Function>(upvalues, |state| {
            ffi::lua_pushcclosure(state, run_op, 3);
        })
    }
}

/// `enter(f)`: runs `f` (a compiled script, or a library function) for the run published
/// in `slot`, with its keys and arguments (the globals KEYS and ARGV for a script, its two
/// arguments for a function) under the error handler `handler`, as Redis's
/// luaCallFunction does. Returns `true, result` or `false, error`.
pub fn entry_function(lua: &Lua, slot: &RunSlot, handler: Function) -> mlua::Result<Function> {
    let upvalues = (LightUserData(slot.address()), handler, "KEYS", "ARGV");
    // SAFETY: as in run_function, with four upvalues.
    unsafe {
        lua.exec_raw::<Function>(upvalues, |state| {
            ffi::lua_pushcclosure(state, enter, 4);
        })
    }
}

/// The C function behind [`entry_function`]: upvalues (slot, handler, "KEYS", "ARGV"),
/// argument the function to run.
unsafe extern "C-unwind" fn enter(state: *mut ffi::lua_State) -> c_int {
    // SAFETY (whole function): the upvalues are what entry_function set; the frame holds
    // only references (the keys and arguments are borrowed from the caller's command line).
    let Some(rc) = current_run(ffi::lua_touserdata(state, ffi::lua_upvalueindex(1))) else {
        return 0;
    };
    ffi::lua_settop(state, 1);
    ffi::lua_pushvalue(state, ffi::lua_upvalueindex(2));
    ffi::lua_pushvalue(state, 1);
    let nargs = if rc.kind == run::Kind::Eval {
        ffi::lua_pushvalue(state, ffi::LUA_GLOBALSINDEX);
        super::engine::lua_setreadonly(state, -1, 0);
        for (name, items) in [(3, rc.keys), (4, rc.args)] {
            ffi::lua_pushvalue(state, ffi::lua_upvalueindex(name));
            push_strings(state, items);
            ffi::lua_rawset(state, -3);
        }
        super::engine::lua_setreadonly(state, -1, 1);
        ffi::lua_pop(state, 1);
        0
    } else {
        push_strings(state, rc.keys);
        push_strings(state, rc.args);
        2
    };
    let status = ffi::lua_pcall(state, nargs, 1, 2);
    ffi::lua_pushboolean(state, (status == 0) as c_int);
    ffi::lua_insert(state, -2);
    2
}

/// Pushes a sequence of `items`.
unsafe fn push_strings(state: *mut ffi::lua_State, items: &[&[u8]]) {
    ffi::lua_createtable(state, items.len().min(1 << 20) as c_int, 0);
    for (i, item) in items.iter().enumerate() {
        ffi::lua_pushlstring(state, item.as_ptr() as *const _, item.len());
        ffi::lua_rawseti(state, -2, (i + 1) as _);
    }
}

/// Installs the count hook on `lua`'s main thread (coroutines a script creates inherit it).
pub fn set_hook(lua: &Lua) -> mlua::Result<()> {
    // SAFETY: lua_sethook only stores the hook in the state.
    unsafe {
        lua.exec_raw::<()>((), |state| {
            ffi::lua_sethook(state, Some(interrupt_hook), ffi::LUA_MASKCOUNT, HOOK_PERIOD);
        })
    }
}

/// Installs the debugger's line hook instead of the count hook, for a debugging session.
pub fn set_debug_hook(lua: &Lua) -> mlua::Result<()> {
    // SAFETY: lua_sethook only stores the hook in the state.
    unsafe {
        lua.exec_raw::<()>((), |state| {
            super::ldb::hook::set_hook(state);
        })
    }
}

/// Removes the count hook.
pub fn remove_hook(lua: &Lua) -> mlua::Result<()> {
    // SAFETY: as in set_hook.
    unsafe {
        lua.exec_raw::<()>((), |state| {
            ffi::lua_sethook(state, None, 0, 0);
        })
    }
}

/// One argument of a run function, read from the Lua stack.
#[derive(Clone, Copy, Debug)]
pub enum Arg<'a> {
    /// A string (and its value as a number when Lua would convert it, for the functions
    /// that take numbers).
    Str(&'a [u8], Option<f64>),
    Num(f64),
    /// Anything else: its type name.
    Other(&'static str),
}

/// The string at stack index `i`.
///
/// # Safety
/// Index `i` holds a string, on the stack of the C function call running; the slice
/// lives while that call does (the string stays on its stack).
unsafe fn string_at<'a>(state: *mut ffi::lua_State, i: c_int) -> &'a [u8] {
    let mut len = 0;
    // Never allocates for a string (only numbers are converted in place).
    let p = ffi::lua_tolstring(state, i, &mut len) as *const u8;
    std::slice::from_raw_parts(p, len)
}

/// The command line a redis.call passes: strings as they are, numbers as `%.17g`
/// (written to `numbers`); None if an argument is neither.
///
/// # Safety
/// As [`string_at`], for the C function call running on `state`.
unsafe fn command_line(state: *mut ffi::lua_State, numbers: &mut Vec<u8>) -> Option<Vec<&[u8]>> {
    let n = ffi::lua_gettop(state);
    // The numbers' text first, NUL-separated: slices of it are taken once it is complete.
    for i in 1..=n {
        match ffi::lua_type(state, i) {
            ffi::LUA_TSTRING => {}
            ffi::LUA_TNUMBER => {
                numbers.extend_from_slice(format_double(ffi::lua_tonumber(state, i)).as_bytes());
                numbers.push(0);
            }
            _ => return None,
        }
    }
    let mut texts = numbers.split(|&b| b == 0);
    let mut line = Vec::with_capacity(n as usize);
    for i in 1..=n {
        line.push(if ffi::lua_type(state, i) == ffi::LUA_TSTRING {
            string_at(state, i)
        } else {
            texts.next().unwrap_or_default()
        });
    }
    Some(line)
}

/// The arguments of the C function running on `state`.
///
/// # Safety
/// As [`string_at`].
unsafe fn arguments<'a>(state: *mut ffi::lua_State) -> Vec<Arg<'a>> {
    let n = ffi::lua_gettop(state);
    let mut args = Vec::with_capacity(n as usize);
    for i in 1..=n {
        args.push(match ffi::lua_type(state, i) {
            ffi::LUA_TSTRING => {
                let number =
                    (ffi::lua_isnumber(state, i) != 0).then(|| ffi::lua_tonumber(state, i));
                Arg::Str(string_at(state, i), number)
            }
            ffi::LUA_TNUMBER => Arg::Num(ffi::lua_tonumber(state, i)),
            t => Arg::Other(type_name(t)),
        });
    }
    args
}

/// lua_typename's names.
fn type_name(t: c_int) -> &'static str {
    match t {
        ffi::LUA_TNIL => "nil",
        ffi::LUA_TBOOLEAN => "boolean",
        ffi::LUA_TLIGHTUSERDATA | ffi::LUA_TUSERDATA => "userdata",
        ffi::LUA_TNUMBER => "number",
        ffi::LUA_TSTRING => "string",
        ffi::LUA_TTABLE => "table",
        ffi::LUA_TFUNCTION => "function",
        ffi::LUA_TTHREAD => "thread",
        _ => "no value",
    }
}

/// The run published in the slot at `slot` (an upvalue or registry value), if any.
///
/// # Safety
/// `slot` is null or the address of a live [`RunSlot`]; a non-null `current` points to
/// the [`RunCtx`] of the run executing now, which nothing else touches meanwhile (see
/// [`RunSlot::publish`]).
pub(super) unsafe fn current_run<'r>(slot: *const c_void) -> Option<&'r mut RunCtx<'r, 'r>> {
    let slot = (slot as *const RunSlot).as_ref()?;
    (slot.current.get() as *mut RunCtx).as_mut()
}

/// The C function behind every run function: upvalues (slot, op, missing).
unsafe extern "C-unwind" fn run_op(state: *mut ffi::lua_State) -> c_int {
    // SAFETY (whole function): the upvalues are what run_function set. Frames that may
    // raise (push_answer, the luaL_* checks) hold nothing with a destructor.
    let Some(rc) = current_run(ffi::lua_touserdata(state, ffi::lua_upvalueindex(1))) else {
        ffi::lua_pushvalue(state, ffi::lua_upvalueindex(3));
        if ffi::lua_type(state, -1) == ffi::LUA_TSTRING {
            ffi::luaL_where(state, 1);
            ffi::lua_insert(state, -2);
            ffi::lua_concat(state, 2);
        }
        ffi::lua_error(state)
    };
    let op = Op::from_number(ffi::lua_tointeger(state, ffi::lua_upvalueindex(2)) as i64);
    match op {
        Some(Op::Random) => return random(state, rc),
        Some(Op::RandomSeed) => {
            // luaL_checkint: a C int of the integer.
            let seed = ffi::luaL_checkinteger(state, 1) as i32;
            rc.ctx.srv.scripting.rand.seed(seed);
            return 0;
        }
        Some(op) => compute(state, rc, op),
        None => return 0,
    }
    // The arguments are no longer needed (nothing borrows them now), and a call with
    // thousands of them leaves no room for the answer (Lua allows 8,000 slots a call).
    ffi::lua_settop(state, 0);
    push_answer(state, rc)
}

/// Runs `op` for the run `rc` with the arguments on `state`, leaving the answer in `rc`
/// (a panic is kept there, to resume once Lua has unwound).
unsafe fn compute(state: *mut ffi::lua_State, rc: &mut RunCtx, op: Op) {
    let answer = if matches!(op, Op::Call | Op::Pcall | Op::AclCheck) {
        let mut numbers = Vec::new();
        let line = command_line(state, &mut numbers);
        catch_unwind(AssertUnwindSafe(|| run::command(rc, op, line.as_deref())))
    } else {
        let args = arguments(state);
        catch_unwind(AssertUnwindSafe(|| run::answer(rc, op, &args)))
    };
    rc.answer = match answer {
        Ok(a) => a,
        Err(payload) => {
            rc.panic = Some(payload);
            Answer::Raise(b"internal error".to_vec())
        }
    };
}

/// Pushes the answer `compute` left (and raises it when it says so).
unsafe fn push_answer(state: *mut ffi::lua_State, rc: &mut RunCtx) -> c_int {
    let raise = match &rc.answer {
        Answer::Nil => {
            ffi::lua_pushnil(state);
            false
        }
        Answer::Bool(b) => {
            ffi::lua_pushboolean(state, *b as c_int);
            false
        }
        Answer::Reply { raise } => {
            let mut pos = 0;
            convert::push_reply(state, &rc.reply.buf, &mut pos, 0);
            *raise
        }
        Answer::Error {
            text,
            raise,
            uncounted,
        } => {
            push_error_table(state, text, *uncounted);
            *raise
        }
        Answer::Raise(msg) => {
            ffi::lua_pushlstring(state, msg.as_ptr() as *const _, msg.len());
            true
        }
    };
    if raise {
        ffi::lua_error(state)
    }
    1
}

/// Pushes `{err = text}` (with `ignore_error_stats_update = true` when `uncounted`).
///
/// # Safety
/// `state` has room for three values; may raise.
pub unsafe fn push_error_table(state: *mut ffi::lua_State, text: &[u8], uncounted: bool) {
    ffi::lua_createtable(state, 0, 2);
    ffi::lua_pushlstring(state, text.as_ptr() as *const _, text.len());
    ffi::lua_setfield(state, -2, c"err".as_ptr());
    if uncounted {
        ffi::lua_pushboolean(state, 1);
        ffi::lua_setfield(state, -2, c"ignore_error_stats_update".as_ptr());
    }
}

/// math.random([m [, n]]) with Redis's generator, as Lua's math.random checks its
/// arguments.
unsafe fn random(state: *mut ffi::lua_State, rc: &mut RunCtx) -> c_int {
    let r = rc.ctx.srv.scripting.rand.unit();
    let v = match ffi::lua_gettop(state) {
        0 => r,
        1 => {
            let u = ffi::luaL_checkinteger(state, 1) as i32;
            if u < 1 {
                ffi::luaL_argerror(state, 1, c"interval is empty".as_ptr());
            }
            (r * u as f64).floor() + 1.0
        }
        2 => {
            let l = ffi::luaL_checkinteger(state, 1) as i32;
            let u = ffi::luaL_checkinteger(state, 2) as i32;
            if l > u {
                ffi::luaL_argerror(state, 2, c"interval is empty".as_ptr());
            }
            (r * (u as f64 - l as f64 + 1.0)).floor() + l as f64
        }
        _ => {
            ffi::luaL_where(state, 1);
            ffi::lua_pushstring(state, c"wrong number of arguments".as_ptr());
            ffi::lua_concat(state, 2);
            ffi::lua_error(state)
        }
    };
    ffi::lua_pushnumber(state, v);
    1
}

/// The slot `RunSlot::register` left in the registry of `state` (null if none).
///
/// # Safety
/// `state` is a live Lua state with a free stack slot.
pub(super) unsafe fn registry_slot(state: *mut ffi::lua_State) -> *const c_void {
    ffi::lua_getfield(state, ffi::LUA_REGISTRYINDEX, SLOT_KEY.as_ptr());
    let slot = ffi::lua_touserdata(state, -1);
    ffi::lua_pop(state, 1);
    slot
}

/// A C function with the slot as its one upvalue (redis.debug, redis.breakpoint).
pub fn slot_function(
    lua: &Lua,
    slot: &RunSlot,
    f: unsafe extern "C-unwind" fn(*mut ffi::lua_State) -> c_int,
) -> mlua::Result<Function> {
    // SAFETY: as in run_function, with one upvalue.
    unsafe {
        lua.exec_raw::<Function>(LightUserData(slot.address()), |state| {
            ffi::lua_pushcclosure(state, f, 1);
        })
    }
}

/// The count hook: asks the run whether to go on (serving other clients once past the
/// busy threshold). Once the script is killed the hook fires on every line too, so a
/// script that catches the error with pcall meets it again on its next line (as in Redis).
unsafe extern "C-unwind" fn interrupt_hook(state: *mut ffi::lua_State, _: *mut ffi::lua_Debug) {
    // SAFETY (whole function): the registry value is the slot `RunSlot::register` set.
    let Some(rc) = current_run(registry_slot(state)) else {
        return;
    };
    let go_on = match catch_unwind(AssertUnwindSafe(|| run::check_interrupt(rc))) {
        Ok(go_on) => go_on,
        Err(payload) => {
            rc.panic = Some(payload);
            false
        }
    };
    if !go_on {
        ffi::lua_sethook(
            state,
            Some(interrupt_hook),
            ffi::LUA_MASKCOUNT | ffi::LUA_MASKLINE,
            HOOK_PERIOD,
        );
        ffi::lua_pushstring(state, c"Script killed by user with SCRIPT KILL...".as_ptr());
        ffi::lua_error(state);
    }
}

/// A panic caught in a run function, resumed once the run is over.
pub type Panic = Box<dyn Any + Send>;
