//! The C libraries Redis 7.0 links into its Lua: `cjson`, `cmsgpack`, `bit` and `struct`,
//! rewritten in Rust over mlua with Redis's exact behaviour (output bytes, number formats,
//! limits and error messages).
//!
//! Two things about mlua would make these functions observably different from Redis's C
//! functions, so every library function goes through [`lib_function`]:
//!
//! * mlua (for Lua 5.1) turns a number that is within `f64::EPSILON` of an integer into
//!   `Value::Integer`, which loses `-0.0` and every number below 2.2e-16 in magnitude.
//!   `cjson.encode(-0.0)` must say `-0` and `cmsgpack.pack(1e-300)` must pack a double, so
//!   arguments reach the Rust code in a table ([`Args`]), read back with `raw_get::<f64>`,
//!   which is exact.
//! * An error returned by an mlua callback reaches Lua as a userdata. Redis's libraries
//!   raise plain strings through `luaL_error`, which prefixes the caller's position
//!   (`user_script:1: ` for a chunk named `@user_script`, as Redis names scripts); scripts
//!   see those strings under `pcall`. A small C trampoline raises the Rust error's text the
//!   same way, so an engine must not prefix these errors again.
//!
//! And one limit: every mlua reference to a Lua value (a table, a string) takes a slot in
//! an auxiliary Lua stack, which Lua 5.1 caps at 8000 values. The encoders and decoders
//! keep the containers they are inside in a Lua "work" table, and many-result functions
//! hand results over as they make them, so no input Redis accepts runs out of references.

mod bit;
mod cjson;
mod cmsgpack;
mod structlib;

use std::os::raw::c_int;

use mlua::{ffi, Error, Function, Lua, Result, Table, Value};

/// Lua 5.1's `LUAI_MAXCSTACK`: how many values a C function may hold on its stack.
/// `lua_checkstack` fails past it, and several of Redis's error messages come from there.
pub(crate) const MAX_C_STACK: usize = 8000;

/// Registers the global tables `cjson`, `cmsgpack`, `bit` and `struct`, as Redis's
/// `luaLoadLibraries` does. The tables are left writable: the engine makes every library
/// table read-only.
pub fn load(lua: &Lua) -> Result<()> {
    let globals = lua.globals();
    globals.set("cjson", cjson::module(lua)?)?;
    globals.set("cmsgpack", cmsgpack::module(lua)?)?;
    globals.set("bit", bit::module(lua)?)?;
    globals.set("struct", structlib::module(lua)?)?;
    Ok(())
}

/// A library function's arguments, as the C function would see them on its stack.
pub(crate) struct Args<'a> {
    lua: &'a Lua,
    table: Table,
    len: usize,
    /// Slots above the arguments that hold nil, as `struct.pack`'s separator does: a
    /// missing argument there is "nil" rather than "no value".
    nils_above: std::cell::Cell<usize>,
}

impl<'a> Args<'a> {
    /// The Lua state.
    pub(crate) fn lua(&self) -> &'a Lua {
        self.lua
    }

    /// How many arguments were passed (`lua_gettop`).
    pub(crate) fn len(&self) -> usize {
        self.len
    }

    /// Stores result `i` (1-based) of a [`lib_function_n`] function. Arguments are read
    /// from the same table: read them all before storing results.
    pub(crate) fn set_result(&self, i: usize, v: Value) -> Result<()> {
        self.table.raw_set(i, v)
    }

    /// Records that the C function pushed `n` nils right above its arguments.
    pub(crate) fn push_nils(&self, n: usize) {
        self.nils_above.set(n);
    }

    /// Whether argument `i` (1-based) is absent (`lua_isnone`).
    pub(crate) fn is_none(&self, i: usize) -> bool {
        i == 0 || i > self.len
    }

    /// Argument `i` (1-based), nil when absent; numbers exact.
    pub(crate) fn get(&self, i: usize) -> Value {
        if self.is_none(i) {
            return Value::Nil;
        }
        exact(&self.table, i, self.table.raw_get(i).unwrap_or(Value::Nil))
    }

    /// `lua_tonumber` of argument `i` when `lua_isnumber`: numbers, and strings Lua converts.
    pub(crate) fn number(&self, i: usize) -> Option<f64> {
        to_number(self.lua, &self.get(i))
    }

    /// `luaL_checknumber`.
    pub(crate) fn check_number(&self, i: usize) -> Result<f64> {
        self.number(i).ok_or_else(|| self.type_error(i, "number"))
    }

    /// `luaL_checkinteger`: the number truncated as C's cast to `ptrdiff_t` does.
    pub(crate) fn check_integer(&self, i: usize) -> Result<i64> {
        self.check_number(i).map(c_i64)
    }

    /// `luaL_optinteger`: `default` when the argument is absent or nil.
    pub(crate) fn opt_integer(&self, i: usize, default: i64) -> Result<i64> {
        match self.get(i) {
            Value::Nil => Ok(default),
            _ => self.check_integer(i),
        }
    }

    /// `luaL_checklstring`: a string's bytes, or a number as Lua prints it (`%.14g`).
    pub(crate) fn check_bytes(&self, i: usize) -> Result<Vec<u8>> {
        match self.get(i) {
            Value::String(s) => Ok(s.as_bytes().to_vec()),
            v @ (Value::Number(_) | Value::Integer(_)) => match self.lua.coerce_string(v)? {
                Some(s) => Ok(s.as_bytes().to_vec()),
                None => Err(self.type_error(i, "string")),
            },
            _ => Err(self.type_error(i, "string")),
        }
    }

    /// `luaL_typerror`: "bad argument #i to 'f' (number expected, got nil)".
    pub(crate) fn type_error(&self, i: usize, expected: &str) -> Error {
        let got = if self.is_none(i) && i > self.len + self.nils_above.get() {
            "no value"
        } else {
            type_name(&self.get(i))
        };
        self.arg_error(i as i64, &format!("{expected} expected, got {got}"))
    }

    /// `luaL_argerror`: names the function as the calling instruction does (`'decode'`, or
    /// `'?'` when called from C, as under `pcall`), and does not count `self` in a method
    /// call.
    pub(crate) fn arg_error(&self, narg: i64, msg: &str) -> Error {
        // Level 0 is the mlua callback, level 1 the trampoline the script called.
        let Some(debug) = self.lua.inspect_stack(1) else {
            return Error::RuntimeError(format!("bad argument #{narg} ({msg})"));
        };
        let names = debug.names();
        let name = names.name.as_deref().unwrap_or("?");
        let mut narg = narg;
        if names.name_what == Some("method") {
            narg -= 1;
            if narg == 0 {
                return Error::RuntimeError(format!("calling '{name}' on bad self ({msg})"));
            }
        }
        Error::RuntimeError(format!("bad argument #{narg} to '{name}' ({msg})"))
    }
}

/// A Lua error with `msg` as its text (`luaL_error`; the trampoline adds the position).
pub(crate) fn error(msg: impl Into<String>) -> Error {
    Error::RuntimeError(msg.into())
}

/// An error raised from inside the VM while a C function runs (`luaG_runerror`, as for
/// "table index is nil"): Lua adds no position to those.
pub(crate) fn raw_error(msg: impl Into<String>) -> Error {
    Error::external(Unpositioned(msg.into()))
}

/// The marker [`raw_error`] wraps its message in.
#[derive(Debug)]
struct Unpositioned(String);

impl std::fmt::Display for Unpositioned {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for Unpositioned {}

/// Lua's name for the type of `v` (`lua_typename`): light userdata is "userdata" too.
pub(crate) fn type_name(v: &Value) -> &'static str {
    match v {
        Value::Nil => "nil",
        Value::Boolean(_) => "boolean",
        Value::Integer(_) | Value::Number(_) => "number",
        Value::String(_) => "string",
        Value::Table(_) => "table",
        Value::Function(_) => "function",
        Value::Thread(_) => "thread",
        _ => "userdata",
    }
}

/// `lua_tonumber` for values `lua_isnumber` accepts.
pub(crate) fn to_number(lua: &Lua, v: &Value) -> Option<f64> {
    match v {
        Value::Number(n) => Some(*n),
        Value::Integer(i) => Some(*i as f64),
        Value::String(_) => lua.coerce_number(v.clone()).ok().flatten(),
        _ => None,
    }
}

/// `t[key]`'s value `v` (as mlua read it) with its number exact: mlua reads numbers smaller
/// than `f64::EPSILON` in magnitude, and -0.0, as integer 0, so those are read again as f64.
/// Every other number becomes `Value::Number`, the only kind Lua 5.1 has.
pub(crate) fn exact(t: &Table, key: impl mlua::IntoLua, v: Value) -> Value {
    match v {
        Value::Integer(0) => Value::Number(t.raw_get::<f64>(key).unwrap_or(0.0)),
        Value::Integer(i) => Value::Number(i as f64),
        other => other,
    }
}

/// C's conversion of a double to a 64-bit integer on x86-64 (`cvttsd2si`): truncation,
/// and `i64::MIN` for NaN and out-of-range values.
pub(crate) fn c_i64(d: f64) -> i64 {
    const TWO63: f64 = 9_223_372_036_854_775_808.0;
    if (-TWO63..TWO63).contains(&d) {
        d as i64
    } else {
        i64::MIN
    }
}

/// C's conversion of a double to `uint64_t`/`size_t` as gcc emits it on x86-64: values
/// below 2^63 convert as signed, larger ones with 2^63 subtracted and the top bit set.
pub(crate) fn c_u64(d: f64) -> u64 {
    const TWO63: f64 = 9_223_372_036_854_775_808.0;
    if d >= TWO63 {
        (c_i64(d - TWO63) as u64) ^ (1 << 63)
    } else {
        c_i64(d) as u64
    }
}

/// The text of an error for Lua (a runtime error's message as is), and whether Lua would
/// prefix the caller's position to it.
fn message(e: &Error) -> (String, bool) {
    match e {
        Error::RuntimeError(m) => (m.clone(), true),
        Error::CallbackError { cause, .. } => message(cause),
        Error::ExternalError(inner) => match inner.downcast_ref::<Unpositioned>() {
            Some(Unpositioned(m)) => (m.clone(), false),
            None => (inner.to_string(), true),
        },
        other => (other.to_string(), true),
    }
}

/// What the mlua callback tells the trampoline: results are in the table.
const STATUS_OK: i64 = 0;
/// The second value is an error message to raise with the caller's position.
const STATUS_ERROR: i64 = 1;
/// The second value is an error message to raise as is.
const STATUS_RAW_ERROR: i64 = 2;

/// A library function as Lua sees it: a C closure ([`trampoline`]) around the mlua callback
/// running `f`, which returns the function's results.
pub(crate) fn lib_function<F>(lua: &Lua, f: F) -> Result<Function>
where
    F: Fn(&Args) -> Result<Vec<Value>> + 'static,
{
    lib_function_n(lua, move |args| {
        let results = f(args)?;
        let count = results.len();
        for (i, v) in results.into_iter().enumerate() {
            args.set_result(i + 1, v)?;
        }
        Ok(count)
    })
}

/// [`lib_function`] for functions with many results: `f` stores them with
/// [`Args::set_result`] as it makes them, and returns how many there are. mlua's
/// references to Lua values live in one auxiliary Lua stack, which Lua 5.1 limits to 8000
/// slots as it does every C function's: holding thousands of results in a vector would
/// run out of them where Redis does not.
pub(crate) fn lib_function_n<F>(lua: &Lua, f: F) -> Result<Function>
where
    F: Fn(&Args) -> Result<usize> + 'static,
{
    let inner = lua.create_function(move |lua, (len, table): (usize, Table)| {
        let args = Args {
            lua,
            table,
            len,
            nils_above: std::cell::Cell::new(0),
        };
        match f(&args) {
            // The arguments' table carries the results back: the trampoline pushes them,
            // so they count against its stack as the C function's did.
            Ok(count) => Ok((STATUS_OK, Value::Integer(count as i64))),
            Err(e) => {
                let (msg, positioned) = message(&e);
                let status = if positioned {
                    STATUS_ERROR
                } else {
                    STATUS_RAW_ERROR
                };
                Ok((status, Value::String(lua.create_string(msg)?)))
            }
        }
    })?;
    // SAFETY: `exec_raw` runs the closure in protected mode with `inner` pushed on the
    // stack; `lua_pushcclosure` pops it as the closure's one upvalue and leaves the closure,
    // which `exec_raw` returns.
    unsafe {
        lua.exec_raw::<Function>(inner, |state| {
            ffi::lua_pushcclosure(state, trampoline, 1);
        })
    }
}

/// The C side of every library function: passes the arguments to the mlua callback in its
/// upvalue as `(count, {args...})`, then returns the results it left in that table, or
/// raises its error message as a string, prefixed by the caller's position as `luaL_error`
/// does unless it is a [`raw_error`].
unsafe extern "C-unwind" fn trampoline(state: *mut ffi::lua_State) -> c_int {
    // SAFETY (whole function): Lua guarantees a C function LUA_MINSTACK (20) free slots on
    // entry, and at most four are used before the call below consumes them; after it, the
    // stack is checked before pushing the results. No Rust value with a destructor is alive
    // when `lua_error` unwinds out of this frame.
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
    let status = ffi::lua_tointeger(state, -2);
    if status != STATUS_OK {
        if status == STATUS_ERROR {
            ffi::luaL_where(state, 1);
            ffi::lua_insert(state, -2);
            ffi::lua_concat(state, 2);
        }
        ffi::lua_error(state);
    }
    let count = ffi::lua_tointeger(state, -1) as c_int;
    // Keep only the table, at the bottom.
    ffi::lua_settop(state, nargs + 1);
    ffi::lua_insert(state, 1);
    ffi::lua_settop(state, 1);
    if ffi::lua_checkstack(state, count) == 0 {
        ffi::lua_pushstring(state, c"stack overflow".as_ptr());
        ffi::lua_error(state);
    }
    for i in 1..=count {
        ffi::lua_rawgeti(state, 1, i as ffi::lua_Integer);
    }
    count
}

#[cfg(test)]
pub(crate) mod test_util {
    use mlua::{Lua, LuaOptions, StdLib};

    /// What every test case runs first, on one line (error positions are `:1:`): `D(...)`
    /// prints its arguments' count and values (tables sorted by key, numbers `%.17g`,
    /// strings `%q`, `cjson.null` as NULL), `H(s)` prints a string in hex; then cjson's
    /// settings go back to their defaults, as each case starts from them on Redis too.
    pub(crate) const PRELUDE: &str = concat!(
        "local DV DV = function(v, depth) depth = depth or 0 ",
        "if depth > 20 then return '...' end local ty = type(v) ",
        "if v == cjson.null then return 'NULL' elseif ty == 'table' then ",
        "local keys = {} for k in pairs(v) do keys[#keys+1] = k end ",
        "table.sort(keys, function(a, b) return tostring(a) < tostring(b) end) ",
        "local out = {} for _, k in ipairs(keys) do ",
        "out[#out+1] = DV(k, depth+1) .. '=' .. DV(v[k], depth+1) end ",
        "return '{' .. table.concat(out, ',') .. '}' ",
        "elseif ty == 'number' then return string.format('%.17g', v) ",
        "elseif ty == 'string' then return string.format('%q', v) ",
        "else return ty .. ':' .. tostring(v and true) end end ",
        "local function D(...) local out = {} for i = 1, select('#', ...) do ",
        "out[#out+1] = DV((select(i, ...))) end ",
        "return select('#', ...) .. ':' .. table.concat(out, ' ') end ",
        "local function H(s) return (s:gsub('.', function(c) ",
        "return string.format('%02x', c:byte()) end)) end ",
        "cjson.encode_number_precision(14) cjson.encode_sparse_array(false, 2, 10) ",
        "cjson.encode_max_depth(1000) cjson.decode_max_depth(1000) ",
        "cjson.encode_invalid_numbers(false) cjson.decode_invalid_numbers(true) ",
        "cjson.encode_keep_buffer(true)",
    );

    /// A Lua with the standard libraries Redis loads (base, table, string, math) and these.
    pub(crate) fn lua() -> Lua {
        let lua = Lua::new_with(
            StdLib::TABLE | StdLib::STRING | StdLib::MATH,
            LuaOptions::default(),
        )
        .unwrap();
        super::load(&lua).unwrap();
        lua
    }

    /// Runs each case (a function body) after [`PRELUDE`] as Redis ran it, in a chunk
    /// named `user_script` as Redis names scripts, and compares `tostring` of its result,
    /// or its error under `pcall`, with what Redis replied. Reports every mismatch.
    pub(crate) fn check(cases: &[(&str, &[u8])]) {
        let lua = lua();
        let mut failures = Vec::new();
        for (code, want) in cases {
            let chunk =
                format!("local ok, r = pcall(function() {PRELUDE} {code} end) return tostring(r)");
            let got: mlua::Result<mlua::String> = lua.load(&chunk).set_name("=user_script").eval();
            let got = match got {
                Ok(s) => s.as_bytes().to_vec(),
                Err(e) => format!("Rust error: {e}").into_bytes(),
            };
            if got != *want {
                failures.push(format!(
                    "{code}\n   redis: {}\n    here: {}",
                    String::from_utf8_lossy(want),
                    String::from_utf8_lossy(&got)
                ));
            }
        }
        assert!(failures.is_empty(), "{}", failures.join("\n"));
    }
}
