//! The `redis` table scripts call, and `math.random`.
//!
//! Functions that need the running script (redis.call, redis.pcall, redis.setresp,
//! redis.set_repl, redis.acl_check_cmd, math.random / randomseed) are C functions of the
//! [`super::bridge`], which reach the run in progress; outside a run they raise Redis's
//! "can only be called inside a script invocation" errors. The rest need nothing from
//! the server.
//!
//! Those are C closures ([`raising`]) around their mlua callback, as Redis's are C
//! functions: the arguments reach the callback in a table (a script may pass thousands,
//! more than mlua can hold as separate references), and what it raises is raised as a real
//! Lua value (Redis's `{err=...}` tables) or a string positioned like luaL_error's. Being
//! C functions, `return redis.sha1hex(...)` keeps the script's frame, so error positions
//! are the script's line.

use std::os::raw::c_int;

use mlua::{ffi, Function, Lua, MultiValue, Table, Value};

use super::bridge::{run_function, slot_function, RunSlot};
use crate::config::REDIS_VERSION;

/// Which run function a bridge C function is (its second upvalue).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[repr(u8)]
pub enum Op {
    Call = 1,
    Pcall = 2,
    SetResp = 3,
    SetRepl = 4,
    AclCheck = 5,
    Random = 6,
    RandomSeed = 7,
}

impl Op {
    /// The op numbered `n`.
    pub fn from_number(n: i64) -> Option<Op> {
        Some(match n {
            1 => Op::Call,
            2 => Op::Pcall,
            3 => Op::SetResp,
            4 => Op::SetRepl,
            5 => Op::AclCheck,
            6 => Op::Random,
            7 => Op::RandomSeed,
            _ => return None,
        })
    }
}

/// The arguments of the call being dispatched: a table of them, and how many there are
/// (nils included). Read one at a time, so thousands cost one mlua reference.
pub struct CallArgs {
    pub table: Table,
    pub len: usize,
}

impl CallArgs {
    /// How many arguments there are.
    pub fn len(&self) -> usize {
        self.len
    }

    /// Whether there is none.
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// Argument `i` (0-based), nil when absent.
    pub fn get(&self, i: usize) -> Value {
        if i >= self.len {
            return Value::Nil;
        }
        self.table.raw_get(i + 1).unwrap_or(Value::Nil)
    }
}

/// What a callback behind [`raising`] answers: return the value...
const RETURN: i64 = 0;
/// ...raise it as it is...
const RAISE: i64 = 1;
/// ...or raise it (a string) prefixed with the caller's position, as luaL_error does.
const RAISE_AT_CALLER: i64 = 2;

/// The C side of the `redis` API's functions: passes `(count, {args...})` to the mlua
/// callback in its upvalue, which answers `(status, value)`; returns the value or raises
/// it (see [`RETURN`], [`RAISE`], [`RAISE_AT_CALLER`]).
unsafe extern "C-unwind" fn raising(state: *mut ffi::lua_State) -> c_int {
    // SAFETY (whole function): a C function has LUA_MINSTACK (20) free slots on entry and
    // at most four are pushed here. No Rust value with a destructor is alive when
    // lua_error unwinds out of this frame.
    let nargs = ffi::lua_gettop(state);
    ffi::lua_createtable(state, nargs, 0);
    for i in 1..=nargs {
        ffi::lua_pushvalue(state, i);
        ffi::lua_rawseti(state, nargs + 1, i as ffi::lua_Integer);
    }
    ffi::lua_pushvalue(state, ffi::lua_upvalueindex(1));
    ffi::lua_pushinteger(state, nargs as ffi::lua_Integer);
    ffi::lua_pushvalue(state, nargs + 1);
    ffi::lua_call(state, 2, 2);
    let status = ffi::lua_tointeger(state, -2) as i64;
    if status == RETURN {
        return 1;
    }
    if status == RAISE_AT_CALLER {
        ffi::luaL_where(state, 1);
        ffi::lua_insert(state, -2);
        ffi::lua_concat(state, 2);
    }
    ffi::lua_error(state)
}

/// An outcome of an API function: `Ok` returns the value, `Err` raises it (a string
/// positioned at the caller, anything else as it is).
pub type Outcome = Result<Value, Value>;

/// The C closure around `f` (see [`raising`]).
pub fn api_function<F>(lua: &Lua, f: F) -> mlua::Result<Function>
where
    F: Fn(&Lua, CallArgs) -> mlua::Result<Outcome> + 'static,
{
    let inner = lua.create_function(move |lua, (len, table): (usize, Table)| {
        Ok(match f(lua, CallArgs { table, len })? {
            Ok(v) => (RETURN, v),
            Err(v @ Value::String(_)) => (RAISE_AT_CALLER, v),
            Err(v) => (RAISE, v),
        })
    })?;
    // SAFETY: exec_raw runs the closure in protected mode with `inner` pushed;
    // lua_pushcclosure pops it as the closure's one upvalue and leaves the closure, which
    // exec_raw returns.
    unsafe {
        lua.exec_raw::<Function>(inner, |state| {
            ffi::lua_pushcclosure(state, raising, 1);
        })
    }
}

/// Redis's log levels, as `redis.LOG_*`.
const LOG_LEVELS: [(&str, i64); 4] = [
    ("LOG_DEBUG", 0),
    ("LOG_VERBOSE", 1),
    ("LOG_NOTICE", 2),
    ("LOG_WARNING", 3),
];

/// `REPL_*` (PROPAGATE_AOF = 1, PROPAGATE_REPL = 2).
const REPL_FLAGS: [(&str, i64); 5] = [
    ("REPL_NONE", 0),
    ("REPL_AOF", 1),
    ("REPL_SLAVE", 2),
    ("REPL_REPLICA", 2),
    ("REPL_ALL", 3),
];

/// `{err = "ERR <msg>"}`: the error table Redis's luaPushError builds.
pub fn err_table(lua: &Lua, msg: &str) -> mlua::Result<Table> {
    let t = lua.create_table()?;
    t.raw_set("err", lua.create_string(error_text(msg.as_bytes()))?)?;
    Ok(t)
}

/// The text of an error table for `msg` as luaPushErrorBuff makes it: a leading `-CODE`
/// becomes `CODE`, anything else gets `ERR `; trailing CR / LF are trimmed.
pub fn error_text(msg: &[u8]) -> Vec<u8> {
    let (code, rest): (&[u8], &[u8]) = match msg.strip_prefix(b"-") {
        Some(body) => match body.iter().position(|&b| b == b' ') {
            Some(sp) => (&body[..sp], &body[sp + 1..]),
            None => (b"ERR", body),
        },
        None => (b"ERR", msg),
    };
    let mut start = 0;
    let mut end = rest.len();
    while start < end && matches!(rest[start], b'\r' | b'\n') {
        start += 1;
    }
    while end > start && matches!(rest[end - 1], b'\r' | b'\n') {
        end -= 1;
    }
    let mut out = code.to_vec();
    out.push(b' ');
    out.extend_from_slice(&rest[start..end]);
    out
}

/// Builds the `redis` global and replaces `math.random` / `math.randomseed`.
pub fn register(lua: &Lua, globals: &Table, slot: &RunSlot) -> mlua::Result<()> {
    let redis = lua.create_table()?;
    let call_missing = Value::Table(err_table(
        lua,
        "redis.call/pcall can only be called inside a script invocation",
    )?);
    redis.set(
        "call",
        run_function(lua, slot, Op::Call, call_missing.clone())?,
    )?;
    redis.set("pcall", run_function(lua, slot, Op::Pcall, call_missing)?)?;
    for (name, op) in [
        ("setresp", Op::SetResp),
        ("set_repl", Op::SetRepl),
        ("acl_check_cmd", Op::AclCheck),
    ] {
        let missing = err_table(
            lua,
            &format!("redis.{name} can only be called inside a script invocation"),
        )?;
        redis.set(name, run_function(lua, slot, op, Value::Table(missing))?)?;
    }
    let plain =
        |f: fn(&Lua, &CallArgs) -> Outcome| api_function(lua, move |lua, args| Ok(f(lua, &args)));
    redis.set("log", plain(log)?)?;
    for (name, level) in LOG_LEVELS {
        redis.set(name, level)?;
    }
    redis.set("REDIS_VERSION_NUM", version_num())?;
    redis.set("REDIS_VERSION", REDIS_VERSION)?;
    redis.set("sha1hex", plain(sha1hex)?)?;
    redis.set("error_reply", plain(error_reply)?)?;
    redis.set("status_reply", plain(status_reply)?)?;
    for (name, level) in REPL_FLAGS {
        redis.set(name, level)?;
    }
    // They act in a debugging session (SCRIPT DEBUG); otherwise breakpoint() is false and
    // debug() does nothing.
    redis.set(
        "breakpoint",
        slot_function(lua, slot, super::ldb::hook::breakpoint)?,
    )?;
    redis.set("debug", slot_function(lua, slot, super::ldb::hook::debug)?)?;
    // replicate_commands() is always true in Redis 7.
    redis.set(
        "replicate_commands",
        lua.create_function(|_, _: MultiValue| Ok(true))?,
    )?;
    globals.set("redis", redis)?;

    let math: Table = globals.get("math")?;
    for (name, op) in [("random", Op::Random), ("randomseed", Op::RandomSeed)] {
        let missing = lua.create_string(format!(
            "math.{name} can only be called inside a script invocation"
        ))?;
        math.set(name, run_function(lua, slot, op, Value::String(missing))?)?;
    }
    Ok(())
}

/// REDIS_VERSION_NUM: 0x00MMmmpp.
fn version_num() -> i64 {
    let mut parts = REDIS_VERSION
        .split('.')
        .map(|p| p.parse::<i64>().unwrap_or(0));
    let (a, b, c) = (
        parts.next().unwrap_or(0),
        parts.next().unwrap_or(0),
        parts.next().unwrap_or(0),
    );
    (a << 16) | (b << 8) | c
}

/// Redis's `{err=...}` table for `msg`, to raise.
fn err_value(lua: &Lua, msg: &str) -> Value {
    err_table(lua, msg).map_or(Value::Nil, Value::Table)
}

/// redis.log(level, ...): the arguments that are strings or numbers, joined by spaces.
fn log(lua: &Lua, args: &CallArgs) -> Outcome {
    if args.len() < 2 {
        return Err(err_value(
            lua,
            "redis.log() requires two arguments or more.",
        ));
    }
    let level = match lua_number(lua, &args.get(0)) {
        Some(n) => n as i64,
        None => {
            return Err(err_value(
                lua,
                "First argument must be a number (log level).",
            ))
        }
    };
    let level = match level {
        0 => log::Level::Trace,
        1 => log::Level::Debug,
        2 => log::Level::Info,
        3 => log::Level::Warn,
        _ => return Err(err_value(lua, "Invalid debug level.")),
    };
    if !log::log_enabled!(level) {
        return Ok(Value::Nil);
    }
    let mut line = Vec::new();
    for i in 1..args.len() {
        if let Some(s) = lua_string(lua, &args.get(i)) {
            if i != 1 {
                line.push(b' ');
            }
            line.extend_from_slice(&s);
        }
    }
    log::log!(level, "{}", String::from_utf8_lossy(&line));
    Ok(Value::Nil)
}

/// redis.sha1hex(s).
fn sha1hex(lua: &Lua, args: &CallArgs) -> Outcome {
    if args.len() != 1 {
        return Err(err_value(lua, "wrong number of arguments"));
    }
    let data = lua_string(lua, &args.get(0)).unwrap_or_default();
    lua.create_string(super::sha1_hex(&data))
        .map(Value::String)
        .map_err(|_| Value::Nil)
}

/// The one string argument of redis.error_reply / status_reply; a wrong call returns
/// (does not raise) the error table, as Redis does.
fn single_string(lua: &Lua, args: &CallArgs) -> Result<Vec<u8>, Value> {
    match (args.len(), args.get(0)) {
        (1, Value::String(s)) => Ok(s.as_bytes().to_vec()),
        _ => Err(err_value(lua, "wrong number or type of arguments")),
    }
}

/// redis.error_reply(msg): `{err=msg}`, with a code (`-` optional).
fn error_reply(lua: &Lua, args: &CallArgs) -> Outcome {
    let s = match single_string(lua, args) {
        Ok(s) => s,
        Err(t) => return Ok(t),
    };
    // Only the text up to a NUL byte counts, as in C.
    let s = &s[..s.iter().position(|&b| b == 0).unwrap_or(s.len())];
    let mut with_dash = Vec::with_capacity(s.len() + 1);
    if !s.starts_with(b"-") {
        with_dash.push(b'-');
    }
    with_dash.extend_from_slice(s);
    let t = lua.create_table().map_err(|_| Value::Nil)?;
    lua.create_string(error_text(&with_dash))
        .and_then(|m| t.raw_set("err", m))
        .map_err(|_| Value::Nil)?;
    Ok(Value::Table(t))
}

/// redis.status_reply(msg): `{ok=msg}`.
fn status_reply(lua: &Lua, args: &CallArgs) -> Outcome {
    let s = match single_string(lua, args) {
        Ok(s) => s,
        Err(t) => return Ok(t),
    };
    let t = lua.create_table().map_err(|_| Value::Nil)?;
    lua.create_string(&s)
        .and_then(|m| t.raw_set("ok", m))
        .map_err(|_| Value::Nil)?;
    Ok(Value::Table(t))
}

/// `lua_isnumber` + `lua_tonumber`: numbers and strings that convert.
pub fn lua_number(lua: &Lua, v: &Value) -> Option<f64> {
    match v {
        Value::Integer(i) => Some(*i as f64),
        Value::Number(n) => Some(*n),
        Value::String(_) => lua.coerce_number(v.clone()).ok().flatten(),
        _ => None,
    }
}

/// `lua_tolstring`: strings, and numbers formatted as Lua formats them (`%.14g`).
pub fn lua_string(lua: &Lua, v: &Value) -> Option<Vec<u8>> {
    match v {
        Value::String(s) => Some(s.as_bytes().to_vec()),
        Value::Integer(_) | Value::Number(_) => lua
            .coerce_string(v.clone())
            .ok()
            .flatten()
            .map(|s| s.as_bytes().to_vec()),
        _ => None,
    }
}
