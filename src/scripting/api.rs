//! The `redis` table scripts call, and `math.random`.
//!
//! Functions that need the running script (redis.call, redis.pcall, redis.setresp,
//! redis.set_repl, redis.acl_check_cmd, math.random / randomseed) go through one dispatcher
//! that the run installs for its duration (`internal.dispatch`, see `run.rs`); outside a
//! run they raise Redis's "can only be called inside a script invocation" errors. The rest
//! need nothing from the server.

use mlua::{Function, Lua, MultiValue, Table, Value};

use crate::config::REDIS_VERSION;

/// What a dispatcher call asks for (the first argument of `internal.dispatch`).
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
    /// The count hook's periodic check (busy scripts, SCRIPT KILL).
    Interrupt = 8,
}

impl Op {
    /// The op a dispatcher's first argument names.
    pub fn from_number(n: i64) -> Option<Op> {
        Some(match n {
            1 => Op::Call,
            2 => Op::Pcall,
            3 => Op::SetResp,
            4 => Op::SetRepl,
            5 => Op::AclCheck,
            6 => Op::Random,
            7 => Op::RandomSeed,
            8 => Op::Interrupt,
            _ => return None,
        })
    }
}

/// The arguments of the redis.call (or other function needing the run) being dispatched.
pub struct CallArgs(pub MultiValue);

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
pub fn register(lua: &Lua, globals: &Table, internal: &Table) -> mlua::Result<()> {
    let redis = lua.create_table()?;
    let call_missing = Value::Table(err_table(
        lua,
        "redis.call/pcall can only be called inside a script invocation",
    )?);
    redis.set(
        "call",
        needs_run(lua, internal, Op::Call, call_missing.clone())?,
    )?;
    redis.set("pcall", needs_run(lua, internal, Op::Pcall, call_missing)?)?;
    for (name, op) in [
        ("setresp", Op::SetResp),
        ("set_repl", Op::SetRepl),
        ("acl_check_cmd", Op::AclCheck),
    ] {
        let missing = err_table(
            lua,
            &format!("redis.{name} can only be called inside a script invocation"),
        )?;
        redis.set(name, needs_run(lua, internal, op, Value::Table(missing))?)?;
    }
    let plain = |f: fn(&Lua, MultiValue) -> Result<Value, Value>| {
        let internal = internal.clone();
        lua.create_function(move |lua, args: MultiValue| {
            f(lua, args).map_err(|v| raise_value(lua, &internal, v))
        })
    };
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
    // No debugging session exists outside SCRIPT DEBUG: breakpoint() is false, debug() a
    // no-op; replicate_commands() is always true in Redis 7.
    redis.set(
        "breakpoint",
        lua.create_function(|_, _: MultiValue| Ok(false))?,
    )?;
    redis.set("debug", lua.create_function(|_, _: MultiValue| Ok(()))?)?;
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
        math.set(name, needs_run(lua, internal, op, Value::String(missing))?)?;
    }
    Ok(())
}

/// A function that asks the running script's dispatcher for `op`; outside a run it
/// raises `missing`. The dispatcher answers `ok, value`: a value to return, or one to raise.
fn needs_run(lua: &Lua, internal: &Table, op: Op, missing: Value) -> mlua::Result<Function> {
    let internal = internal.clone();
    lua.create_function(move |lua, mut args: MultiValue| {
        let Value::Function(dispatch) = internal.raw_get::<Value>("dispatch")? else {
            return Err(raise_value(lua, &internal, missing.clone()));
        };
        // The arguments go by the side: passing thousands of them through a second Lua
        // call would overflow Lua's C stack (LUAI_MAXCSTACK), which the script's own
        // call to this function fits in.
        lua.set_app_data(CallArgs(std::mem::take(&mut args)));
        let (ok, v): (bool, Value) = dispatch.call(op as u8)?;
        if ok {
            return Ok(v);
        }
        // Argument errors name the function as the caller called it ('?' through pcall).
        if let Value::String(s) = &v {
            if s.as_bytes().contains(&FUNCTION_NAME[0]) {
                let name = lua
                    .inspect_stack(0)
                    .and_then(|d| d.names().name.map(|n| n.into_owned()))
                    .unwrap_or_else(|| "?".into());
                let text = s.to_string_lossy().replace(FUNCTION_NAME_STR, &name);
                return Err(super::engine::raise_message(lua, &text));
            }
        }
        Err(raise_value(lua, &internal, v))
    })
}

/// Stands for the called function's name in a dispatcher's error message (luaL_argerror
/// names the function as its caller called it).
pub const FUNCTION_NAME_STR: &str = "\u{1}";
const FUNCTION_NAME: &[u8] = FUNCTION_NAME_STR.as_bytes();

/// Raises `v`: a string as luaL_error would (positioned), anything else as it is.
fn raise_value(lua: &Lua, internal: &Table, v: Value) -> mlua::Error {
    match &v {
        Value::String(s) => super::engine::raise_message(lua, &s.to_string_lossy()),
        _ => super::engine::raise(internal, v),
    }
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
fn log(lua: &Lua, args: MultiValue) -> Result<Value, Value> {
    if args.len() < 2 {
        return Err(err_value(
            lua,
            "redis.log() requires two arguments or more.",
        ));
    }
    let level = match lua_number(lua, &args[0]) {
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
    for (i, v) in args.iter().enumerate().skip(1) {
        if let Some(s) = lua_string(lua, v) {
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
fn sha1hex(lua: &Lua, args: MultiValue) -> Result<Value, Value> {
    if args.len() != 1 {
        return Err(err_value(lua, "wrong number of arguments"));
    }
    let data = lua_string(lua, &args[0]).unwrap_or_default();
    lua.create_string(super::sha1_hex(&data))
        .map(Value::String)
        .map_err(|_| Value::Nil)
}

/// The one string argument of redis.error_reply / status_reply; a wrong call returns
/// (does not raise) the error table, as Redis does.
fn single_string(lua: &Lua, args: &MultiValue) -> Result<Vec<u8>, Value> {
    match (args.len(), args.front()) {
        (1, Some(Value::String(s))) => Ok(s.as_bytes().to_vec()),
        _ => Err(err_value(lua, "wrong number or type of arguments")),
    }
}

/// redis.error_reply(msg): `{err=msg}`, with a code (`-` optional).
fn error_reply(lua: &Lua, args: MultiValue) -> Result<Value, Value> {
    let s = match single_string(lua, &args) {
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
fn status_reply(lua: &Lua, args: MultiValue) -> Result<Value, Value> {
    let s = match single_string(lua, &args) {
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
