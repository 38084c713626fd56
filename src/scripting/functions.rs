//! Functions (Redis 7's FUNCTION LOAD / FCALL): libraries of Lua functions, kept in the
//! dataset (snapshots save them) and run like scripts.
//!
//! As in Redis, functions have a Lua state of their own, with the scripting environment
//! plus one indirection: library code runs with an environment table whose metatable
//! `__index` points, while the library loads, to the load-time API (only
//! `redis.register_function`, `redis.log`, the log levels and the version), and otherwise
//! to the normal globals. Functions created by a library keep that environment, so they
//! see the full API when called.

use std::cell::RefCell;
use std::collections::BTreeMap;
use std::rc::Rc;
use std::time::{Duration, Instant};

use mlua::{Function, Lua, Table, Value};

use super::api::{self, err_table};
use super::engine::{self, protect_recursively, set_readonly};
use super::shebang::ScriptFlags;
use crate::protocol::parse::split_args;

/// How long FUNCTION LOAD lets a library's code run (Redis's LOAD_TIMEOUT_MS).
const LOAD_TIMEOUT: Duration = Duration::from_millis(500);

/// A function a library registered.
pub struct FunctionInfo {
    pub name: String,
    pub description: Option<Vec<u8>>,
    pub flags: ScriptFlags,
    pub callback: Function,
}

/// A loaded library.
pub struct Library {
    pub name: String,
    /// The whole payload FUNCTION LOAD got (shebang included): FUNCTION LIST WITHCODE,
    /// DUMP and the snapshot give it back.
    pub code: Vec<u8>,
    /// Its functions by name.
    pub functions: BTreeMap<String, FunctionInfo>,
}

/// What `redis.register_function` adds to while a library loads.
#[derive(Default)]
struct Loading {
    functions: BTreeMap<String, FunctionInfo>,
}

/// The functions engine: its Lua state and the libraries.
pub struct Functions {
    state: engine::State,
    /// The environment library code and functions run in.
    env: Table,
    /// Its metatable, whose `__index` switches between `globals` and `load_api`.
    env_meta: Table,
    globals: Table,
    load_api: Table,
    loading: Rc<RefCell<Option<Loading>>>,
    /// Libraries by name.
    libraries: BTreeMap<String, Library>,
    /// Which library each function belongs to, and its name there, by its name in
    /// lowercase: FCALL finds functions whatever their case, as Redis's function dict.
    owner: BTreeMap<String, (String, String)>,
}

/// Redis's rule for library and function names: letters, digits and `_`, not empty.
fn valid_name(name: &[u8]) -> bool {
    !name.is_empty() && name.iter().all(|&b| b.is_ascii_alphanumeric() || b == b'_')
}

const BAD_NAME: &str = "Library names can only contain letters, numbers, or underscores(_) and must be at least one character long";

/// The metadata of a library payload: its engine and name, and where its code starts
/// (at the shebang's line feed, so line numbers count the shebang).
struct Metadata {
    engine: Vec<u8>,
    name: Vec<u8>,
    code_start: usize,
}

/// functionExtractLibMetaData.
fn metadata(payload: &[u8]) -> Result<Metadata, String> {
    if !payload.starts_with(b"#!") {
        return Err("ERR Missing library metadata".into());
    }
    let c_str = &payload[..payload
        .iter()
        .position(|&b| b == 0)
        .unwrap_or(payload.len())];
    let Some(end) = c_str.iter().position(|&b| b == b'\n') else {
        return Err("ERR Invalid library metadata".into());
    };
    let mut scratch = Vec::new();
    let mut ranges = Vec::new();
    if !split_args(&payload[..end], &mut scratch, &mut ranges) || ranges.is_empty() {
        return Err("ERR Invalid library metadata".into());
    }
    let part = |i: usize| {
        let (s, l) = ranges[i];
        &scratch[s..s + l]
    };
    let engine = part(0)[2.min(part(0).len())..].to_vec();
    let mut name: Option<Vec<u8>> = None;
    for i in 1..ranges.len() {
        let p = part(i);
        if p.len() >= 5 && p[..5].eq_ignore_ascii_case(b"name=") {
            if name.is_some() {
                return Err(
                    "ERR Invalid metadata value, name argument was given multiple times".into(),
                );
            }
            name = Some(p[5..].to_vec());
            continue;
        }
        return Err(format!(
            "ERR Invalid metadata value given: {}",
            String::from_utf8_lossy(p)
        ));
    }
    let Some(name) = name else {
        return Err("ERR Library name was not given".into());
    };
    Ok(Metadata {
        engine,
        name,
        code_start: end,
    })
}

impl Functions {
    /// A fresh engine with no library.
    pub fn new() -> mlua::Result<Functions> {
        let state = engine::new_state()?;
        let lua = state.lua.clone();
        let globals = lua.globals();
        let loading: Rc<RefCell<Option<Loading>>> = Rc::default();
        // The load-time API: {redis = {register_function, log, LOG_*, REDIS_VERSION*}},
        // each table answering unknown names with the nonexistent-global error.
        let full_redis: Table = globals.get("redis")?;
        let redis = lua.create_table()?;
        let register = {
            let loading = loading.clone();
            api::api_function(&lua, move |lua, args| {
                Ok(register_function(lua, &loading, &args)
                    .map(|()| Value::Nil)
                    .map_err(|msg| err_value(lua, &msg)))
            })?
        };
        redis.set("register_function", register)?;
        for key in [
            "log",
            "LOG_DEBUG",
            "LOG_VERBOSE",
            "LOG_NOTICE",
            "LOG_WARNING",
            "REDIS_VERSION",
            "REDIS_VERSION_NUM",
        ] {
            redis.set(key, full_redis.get::<Value>(key)?)?;
        }
        let load_api = lua.create_table()?;
        let error_meta = globals
            .metatable()
            .expect("the globals have the nonexistent-global metatable");
        redis.set_metatable(Some(error_meta.clone()));
        load_api.set("redis", redis)?;
        load_api.set_metatable(Some(error_meta));
        protect_recursively(&lua, &Value::Table(load_api.clone()))?;
        let env = lua.create_table()?;
        let env_meta = lua.create_table()?;
        env_meta.set("__index", globals.clone())?;
        env.set_metatable(Some(env_meta.clone()));
        set_readonly(&lua, &env_meta, true)?;
        set_readonly(&lua, &env, true)?;
        Ok(Functions {
            state,
            env,
            env_meta,
            globals,
            load_api,
            loading,
            libraries: BTreeMap::new(),
            owner: BTreeMap::new(),
        })
    }

    /// The Lua state and its runners.
    pub fn state(&self) -> &engine::State {
        &self.state
    }

    /// The libraries, by name.
    pub fn libraries(&self) -> &BTreeMap<String, Library> {
        &self.libraries
    }

    /// How many functions there are.
    pub fn function_count(&self) -> usize {
        self.owner.len()
    }

    /// The function called `name`.
    pub fn function(&self, name: &[u8]) -> Option<&FunctionInfo> {
        let key = String::from_utf8_lossy(name).to_lowercase();
        let (lib, name) = self.owner.get(&key)?;
        self.libraries.get(lib)?.functions.get(name)
    }

    /// FUNCTION LOAD: compiles and runs `payload`, adding (or with `replace`, replacing)
    /// its library. Returns the library's name, or Redis's error.
    pub fn load(&mut self, payload: &[u8], replace: bool) -> Result<String, String> {
        let md = metadata(payload)?;
        if !valid_name(&md.name) {
            return Err(format!("ERR {BAD_NAME}"));
        }
        let name = String::from_utf8_lossy(&md.name).into_owned();
        if !md.engine.eq_ignore_ascii_case(b"lua") {
            return Err(format!(
                "ERR Engine '{}' not found",
                String::from_utf8_lossy(&md.engine)
            ));
        }
        if self.libraries.contains_key(&name) && !replace {
            return Err(format!("ERR Library '{name}' already exists"));
        }
        let functions = self.run_library(&payload[md.code_start..])?;
        if functions.is_empty() {
            return Err("ERR No functions registered".into());
        }
        for f in functions.keys() {
            if self
                .owner
                .get(&f.to_lowercase())
                .is_some_and(|(lib, _)| *lib != name)
            {
                return Err(format!("ERR Function {f} already exists"));
            }
        }
        self.delete(&name);
        for f in functions.keys() {
            self.owner
                .insert(f.to_lowercase(), (name.clone(), f.clone()));
        }
        self.libraries.insert(
            name.clone(),
            Library {
                name: name.clone(),
                code: payload.to_vec(),
                functions,
            },
        );
        Ok(name)
    }

    /// Compiles and runs a library's code with the load-time API; the functions it
    /// registered.
    fn run_library(&mut self, code: &[u8]) -> Result<BTreeMap<String, FunctionInfo>, String> {
        let lua = self.state.lua.clone();
        let chunk = lua
            .load(code)
            .set_name("@user_function")
            .set_environment(self.env.clone())
            .into_function()
            .map_err(|e| {
                format!(
                    "ERR Error compiling function: {}",
                    engine::error_message(&e)
                )
            })?;
        self.set_env_index(&self.load_api.clone())
            .map_err(|e| e.to_string())?;
        *self.loading.borrow_mut() = Some(Loading::default());
        let started = Instant::now();
        lua.set_hook(
            mlua::HookTriggers::new().every_nth_instruction(100_000),
            move |_, _| {
                if started.elapsed() > LOAD_TIMEOUT {
                    return Err(mlua::Error::RuntimeError("FUNCTION LOAD timeout".into()));
                }
                Ok(mlua::VmState::Continue)
            },
        );
        let outcome = self.state.protected.call::<(bool, Value)>(chunk);
        lua.remove_hook();
        // Back to the runs' count hook (busy functions, FUNCTION KILL).
        let _ = super::bridge::set_hook(&lua);
        let loaded = self.loading.borrow_mut().take();
        self.set_env_index(&self.globals.clone())
            .map_err(|e| e.to_string())?;
        match outcome {
            Ok((true, _)) => Ok(loaded.unwrap_or_default().functions),
            Ok((false, err)) => {
                let msg = match &err {
                    Value::Table(t) => t
                        .get::<Value>("err")
                        .ok()
                        .and_then(|v| api::lua_string(&lua, &v))
                        .unwrap_or_default(),
                    other => {
                        let mut m = b"ERR ".to_vec();
                        m.extend(api::lua_string(&lua, other).unwrap_or_default());
                        m
                    }
                };
                Err(format!(
                    "ERR Error registering functions: {}",
                    String::from_utf8_lossy(&msg)
                ))
            }
            Err(e) => Err(format!(
                "ERR Error registering functions: {}",
                engine::error_message(&e)
            )),
        }
    }

    /// Points the environment's `__index` at `table`.
    fn set_env_index(&self, table: &Table) -> mlua::Result<()> {
        let lua = &self.state.lua;
        set_readonly(lua, &self.env_meta, false)?;
        self.env_meta.raw_set("__index", table.clone())?;
        set_readonly(lua, &self.env_meta, true)
    }

    /// FUNCTION DELETE: removes a library and its functions; whether it existed.
    pub fn delete(&mut self, name: &str) -> bool {
        let Some(lib) = self.libraries.remove(name) else {
            return false;
        };
        for f in lib.functions.keys() {
            self.owner.remove(&f.to_lowercase());
        }
        true
    }

    /// The name a library's code declares in its `#!` line, if it reads.
    pub fn library_name(code: &[u8]) -> Option<String> {
        metadata(code)
            .ok()
            .map(|md| String::from_utf8_lossy(&md.name).into_owned())
    }

    /// The code of every library, as the snapshot saves it.
    pub fn codes(&self) -> Vec<Vec<u8>> {
        self.libraries.values().map(|l| l.code.clone()).collect()
    }

    /// Replaces every library with those of `codes` (a loaded snapshot's); Redis's error
    /// for the first that fails to load.
    pub fn load_all(&mut self, codes: &[Vec<u8>]) -> Result<(), String> {
        self.flush().map_err(|e| e.to_string())?;
        for code in codes {
            self.load(code, false)?;
        }
        Ok(())
    }

    /// FUNCTION FLUSH: no library left, a fresh Lua state.
    pub fn flush(&mut self) -> mlua::Result<()> {
        *self = Functions::new()?;
        Ok(())
    }

    /// Memory the functions' Lua state uses.
    pub fn lua_memory(&self) -> usize {
        self.state.lua.used_memory()
    }
}

/// An error table for `msg` (a message that gets `ERR`).
fn err_value(lua: &Lua, msg: &str) -> Value {
    err_table(lua, msg).map_or(Value::Nil, Value::Table)
}

/// redis.register_function(name, callback) or redis.register_function{function_name=...,
/// callback=..., flags={...}, description=...}.
fn register_function(
    lua: &Lua,
    loading: &Rc<RefCell<Option<Loading>>>,
    args: &api::CallArgs,
) -> Result<(), String> {
    if loading.borrow().is_none() {
        return Err("redis.register_function can only be called on FUNCTION LOAD command".into());
    }
    let info = match args.len() {
        1 => named_arguments(lua, &args.get(0))?,
        2 => {
            let name = match &args.get(0) {
                v @ (Value::String(_) | Value::Integer(_) | Value::Number(_)) => {
                    api::lua_string(lua, v).unwrap_or_default()
                }
                _ => {
                    return Err("first argument to redis.register_function must be a string".into())
                }
            };
            let Value::Function(callback) = args.get(1) else {
                return Err("second argument to redis.register_function must be a function".into());
            };
            (name, None, ScriptFlags::default(), callback)
        }
        _ => return Err("wrong number of arguments to redis.register_function".into()),
    };
    let (name, description, flags, callback) = info;
    if !valid_name(&name) {
        return Err(BAD_NAME.into());
    }
    let name = String::from_utf8_lossy(&name).into_owned();
    let mut guard = loading.borrow_mut();
    let lib = guard.as_mut().expect("checked above");
    if lib.functions.contains_key(&name) {
        return Err("Function already exists in the library".into());
    }
    lib.functions.insert(
        name.clone(),
        FunctionInfo {
            name,
            description,
            flags,
            callback,
        },
    );
    Ok(())
}

type Registration = (Vec<u8>, Option<Vec<u8>>, ScriptFlags, Function);

/// The named-arguments form of register_function.
fn named_arguments(lua: &Lua, arg: &Value) -> Result<Registration, String> {
    let Value::Table(t) = arg else {
        return Err("calling redis.register_function with a single argument is only applicable to Lua table (representing named arguments).".into());
    };
    let mut name = None;
    let mut description = None;
    let mut callback = None;
    let mut flags = ScriptFlags::default();
    for pair in t.clone().pairs::<Value, Value>() {
        let (k, v) = pair.map_err(|e| e.to_string())?;
        let key = match &k {
            Value::String(_) | Value::Integer(_) | Value::Number(_) => {
                api::lua_string(lua, &k).unwrap_or_default()
            }
            _ => {
                return Err(
                    "named argument key given to redis.register_function is not a string".into(),
                )
            }
        };
        let as_string = |v: &Value| match v {
            Value::String(_) | Value::Integer(_) | Value::Number(_) => api::lua_string(lua, v),
            _ => None,
        };
        if key.eq_ignore_ascii_case(b"function_name") {
            name = Some(as_string(&v).ok_or(
                "function_name argument given to redis.register_function must be a string",
            )?);
        } else if key.eq_ignore_ascii_case(b"description") {
            description =
                Some(as_string(&v).ok_or(
                    "description argument given to redis.register_function must be a string",
                )?);
        } else if key.eq_ignore_ascii_case(b"callback") {
            let Value::Function(f) = v else {
                return Err(
                    "callback argument given to redis.register_function must be a function".into(),
                );
            };
            callback = Some(f);
        } else if key.eq_ignore_ascii_case(b"flags") {
            let Value::Table(list) = v else {
                return Err("flags argument to redis.register_function must be a table representing function flags".into());
            };
            flags = read_flags(lua, &list).ok_or("unknown flag given")?;
        } else {
            return Err("unknown argument given to redis.register_function".into());
        }
    }
    let Some(name) = name else {
        return Err("redis.register_function must get a function name argument".into());
    };
    let Some(callback) = callback else {
        return Err("redis.register_function must get a callback argument".into());
    };
    Ok((name, description, flags, callback))
}

/// The flags of a `flags={...}` list (names compared without case); None on an unknown
/// one.
fn read_flags(lua: &Lua, list: &Table) -> Option<ScriptFlags> {
    let mut flags = ScriptFlags::default();
    for i in 1.. {
        let v: Value = list.get(i).ok()?;
        if v.is_nil() {
            break;
        }
        let name = match &v {
            Value::String(_) | Value::Integer(_) | Value::Number(_) => api::lua_string(lua, &v)?,
            _ => return None,
        };
        let f = ScriptFlags::NAMED
            .iter()
            .find(|(_, n)| n.as_bytes().eq_ignore_ascii_case(&name))?
            .0;
        flags |= f;
    }
    Some(flags)
}

impl std::fmt::Debug for Functions {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Functions")
            .field("libraries", &self.libraries.keys().collect::<Vec<_>>())
            .finish()
    }
}
