//! The Lua state scripts run in, built as Redis 7.0 builds it: the libraries it loads
//! (base, table, string, math, cjson, struct, cmsgpack, bit), the `redis` API table, its
//! `pcall`, its deterministic `math.random`, the error handler that records where an error
//! happened, and the sandbox: only Redis's globals exist, reading an undeclared global is
//! an error, and the globals and every table reachable from them are read-only (the
//! patched Lua in vendor/lua-src raises `Attempt to modify a readonly table`).
//!
//! Functions written in Rust raise what Redis's C functions raise: Redis's `{err=...}`
//! tables or strings positioned like `luaL_error`'s (`api::api_function`, the libraries'
//! trampolines). Errors raised from mlua callbacks and hooks (FUNCTION LOAD's timeout)
//! reach Lua as mlua's opaque values; `pcall` and the error handler turn them into their
//! message (`internal.describe`).

use std::rc::Rc;

use mlua::{Function, Lua, LuaOptions, StdLib, Table, Value};

use super::api;
use super::bridge::{self, RunSlot};

/// The chunk name of redust's own Lua code; frames from it are invisible in error positions.
pub const INTERNAL_CHUNK: &str = "=redust";

/// The globals a script sees (Redis 7.0's allow list); everything else the libraries
/// define is removed.
const GLOBALS: &[&str] = &[
    "_G",
    "_VERSION",
    "__redis__err__handler",
    "assert",
    "bit",
    "cjson",
    "cmsgpack",
    "collectgarbage",
    "coroutine",
    "error",
    "gcinfo",
    "getmetatable",
    "ipairs",
    "load",
    "loadstring",
    "math",
    "next",
    "pairs",
    "pcall",
    "rawequal",
    "rawget",
    "rawset",
    "redis",
    "select",
    "setmetatable",
    "string",
    "struct",
    "table",
    "tonumber",
    "tostring",
    "type",
    "unpack",
    "xpcall",
];

/// The Lua half of the environment: shims, pcall, the error handler, the globals
/// metatable. Runs once, before the globals are made read-only.
const PRELUDE: &str = r#"
local internal, dbg = ...
local error, type, tostring = error, type, tostring
local describe = internal.describe

-- Redis 7's pcall: an error table from redis.call reaches the caller as its message.
local stock_pcall = pcall
local function pcall_result(ok, ...)
  if ok then return true, ... end
  local e = ...
  if type(e) == 'userdata' then e = describe(e) end
  if type(e) == 'table' then
    local m = e.err
    if type(m) == 'string' or type(m) == 'number' then return false, m end
  end
  return false, e
end
pcall = function(f, ...) return pcall_result(stock_pcall(f, ...)) end

-- Records where the error happened: the script's frame, past the C functions (error,
-- redis.call ...) and redust's own frames.
function __redis__err__handler(err)
  local level = 2
  local i = dbg.getinfo(level, 'nSl')
  while i and (i.what == 'C' or i.what == 'tail' or i.source == '=redust') do
    level = level + 1
    i = dbg.getinfo(level, 'nSl')
  end
  if type(err) == 'userdata' then
    err = describe(err)
  end
  if type(err) ~= 'table' then
    err = {err = 'ERR ' .. tostring(err)}
  end
  if i then
    err['source'] = i.source
    err['line'] = i.currentline
  end
  return err
end

-- Runs a chunk without the handler (FUNCTION LOAD): ok, or false and the error value.
function internal.protected(f)
  local ok, e = stock_pcall(f)
  if ok then return true end
  if type(e) == 'userdata' then e = describe(e) end
  return false, e
end


setmetatable(_G, {__index = function(_, name)
  error("Script attempted to access nonexistent global variable '" .. tostring(name) .. "'", 2)
end})
"#;

/// What [`new_state`] hands back besides the state: redust's private table (the shims'
/// run functions and the per-run dispatcher slot).
pub struct State {
    pub lua: Lua,
    /// Runs a script or library function for the run published in `slot` (see
    /// [`super::bridge::entry_function`]).
    pub enter: Function,
    /// Where the run in progress is published for the `redis.*` functions (see
    /// [`super::bridge`]).
    pub slot: Rc<RunSlot>,
    /// `internal.protected(f)`: `pcall(f)` with errors made Redis values.
    pub protected: Function,
}

/// Builds a Lua state with Redis's scripting environment.
pub fn new_state() -> mlua::Result<State> {
    let libs = StdLib::TABLE | StdLib::STRING | StdLib::MATH | StdLib::DEBUG;
    // SAFETY: `unsafe_new_with` only lifts mlua's refusal to load the `debug` library,
    // which the error handler needs; scripts never see it (the global is removed below
    // and the handler keeps its own reference).
    let lua = unsafe { Lua::unsafe_new_with(libs, LuaOptions::new().catch_rust_panics(false)) };
    super::libs::load(&lua)?;
    let globals = lua.globals();
    let internal = lua.create_table()?;
    internal.set("describe", lua.create_function(describe)?)?;
    let dbg: Table = globals.get("debug")?;
    lua.load(PRELUDE)
        .set_name(INTERNAL_CHUNK)
        .call::<()>((internal.clone(), dbg))?;
    // The libraries (libs) raise their errors as plain strings positioned as luaL_error
    // positions them, and name the function in "bad argument" errors from the calling
    // instruction: they need no wrapper (one would also turn -0.0 into 0 on the way in).
    let slot = Rc::new(RunSlot::default());
    slot.register(&lua)?;
    // The bridge's C functions hold the slot's address: it lives as long as the state.
    lua.set_app_data(slot.clone());
    api::register(&lua, &globals, &slot)?;
    bridge::set_hook(&lua)?;
    let keep: Vec<Value> = globals
        .pairs::<Value, Value>()
        .filter_map(|kv| kv.ok().map(|(k, _)| k))
        .collect();
    for k in keep {
        if let Value::String(s) = &k {
            if GLOBALS.contains(&&*s.to_string_lossy()) {
                continue;
            }
        }
        globals.raw_remove(k)?;
    }
    let enter = bridge::entry_function(&lua, &slot, globals.get("__redis__err__handler")?)?;
    let protected = internal.get("protected")?;
    protect_recursively(&lua, &Value::Table(globals))?;
    Ok(State {
        lua,
        enter,
        slot,
        protected,
    })
}

/// `internal.describe(e)`: the message of an error mlua carries as a value (what a Rust
/// hook raised: SCRIPT KILL, FUNCTION LOAD's timeout).
fn describe(lua: &Lua, v: Value) -> mlua::Result<Value> {
    Ok(match v {
        Value::Error(e) => Value::String(lua.create_string(error_message(&e))?),
        other => other,
    })
}

/// The message of an error a Rust library function returned, as a C library would have
/// raised it.
pub fn error_message(e: &mlua::Error) -> String {
    match e {
        mlua::Error::CallbackError { cause, .. } => error_message(cause),
        mlua::Error::RuntimeError(m) => m.clone(),
        mlua::Error::SyntaxError { message, .. } => message.clone(),
        mlua::Error::WithContext { cause, .. } => error_message(cause),
        mlua::Error::ExternalError(e) => e.to_string(),
        other => other.to_string(),
    }
}

/// Makes `value` (a table), every table reachable from it and their metatables read-only.
pub fn protect_recursively(lua: &Lua, value: &Value) -> mlua::Result<()> {
    let Value::Table(t) = value else {
        return Ok(());
    };
    if is_readonly(lua, t)? {
        return Ok(());
    }
    set_readonly(lua, t, true)?;
    for (_, v) in t.clone().pairs::<Value, Value>().flatten() {
        protect_recursively(lua, &v)?;
    }
    if let Some(mt) = t.metatable() {
        protect_recursively(lua, &Value::Table(mt))?;
    }
    Ok(())
}

extern "C-unwind" {
    pub(super) fn lua_setreadonly(state: *mut mlua::ffi::lua_State, idx: i32, readonly: i32);
    fn lua_isreadonly(state: *mut mlua::ffi::lua_State, idx: i32) -> i32;
}

/// Sets or clears a table's read-only flag (the patched Lua's `lua_setreadonly`).
pub fn set_readonly(lua: &Lua, t: &Table, readonly: bool) -> mlua::Result<()> {
    // SAFETY: exec_raw pushes `t` as the only argument, so index 1 is a table, which is
    // all lua_setreadonly requires; it neither raises nor touches the stack.
    unsafe {
        lua.exec_raw::<()>(t.clone(), |state| {
            lua_setreadonly(state, 1, readonly as i32);
        })
    }
}

/// Whether a table is read-only.
fn is_readonly(lua: &Lua, t: &Table) -> mlua::Result<bool> {
    // SAFETY: as in `set_readonly`; the answer is pushed as the only result.
    unsafe {
        lua.exec_raw::<bool>(t.clone(), |state| {
            let ro = lua_isreadonly(state, 1);
            mlua::ffi::lua_settop(state, 0);
            mlua::ffi::lua_pushboolean(state, ro);
        })
    }
}
