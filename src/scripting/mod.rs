//! Lua scripting: EVAL's script cache, FUNCTION's libraries ([`functions`]), and what
//! both run on.
//!
//! One Lua state (as Redis's), built once by [`engine`] with Redis's environment. Scripts
//! are compiled once and kept by the SHA-1 of their body (Redis's `f_<sha>` functions); a
//! run ([`run`]) executes one with KEYS and ARGV, its `redis.call`s going through the one
//! call path ([`crate::dispatch::call`]) as a client without a socket, and converts the
//! result ([`convert`]). [`api`] is the `redis` table.

pub mod api;
pub mod bridge;
pub mod convert;
pub mod engine;
pub mod functions;
pub mod ldb;
pub mod libs;
pub mod rand48;
pub mod run;
pub mod shebang;

use std::collections::HashMap;

use mlua::Function;

use crate::server::ClientId;

pub use shebang::ScriptFlags;

/// A script in the cache.
pub struct Script {
    /// The body as sent (replication and SCRIPT LOAD's answer need nothing else).
    pub body: Vec<u8>,
    /// Its shebang flags (`EVAL_COMPAT_MODE` when it has none).
    pub flags: ScriptFlags,
    /// The compiled chunk.
    pub function: Function,
}

/// The scripting engine's state: the Lua state, the cached scripts, the script client.
pub struct Scripting {
    /// Built on first use (a server that never runs a script never pays for Lua).
    state: Option<engine::State>,
    /// Scripts by their SHA-1 (40 lowercase hex digits).
    scripts: HashMap<[u8; 40], Script>,
    /// Bytes of the cached bodies (INFO used_memory_scripts_eval).
    pub scripts_bytes: usize,
    /// The client scripts' commands run as, created on first use.
    pub client: Option<ClientId>,
    /// math.random's generator (Redis's redisLrand48, never reseeded by Redis itself).
    pub rand: rand48::Rand48,
    /// Runs since the last incremental GC step.
    pub runs_since_gc: u32,
    /// The script running now, if any (SCRIPT KILL, BUSY).
    pub running: Option<run::Running>,
    /// The Lua debugger (SCRIPT DEBUG).
    pub ldb: ldb::Ldb,
    /// FUNCTION's libraries and their Lua state, built on first use.
    functions: Option<functions::Functions>,
}

impl Scripting {
    /// A fresh engine.
    pub fn new() -> Scripting {
        Scripting {
            state: None,
            scripts: HashMap::new(),
            scripts_bytes: 0,
            client: None,
            rand: rand48::Rand48::default(),
            runs_since_gc: 0,
            running: None,
            ldb: ldb::Ldb::default(),
            functions: None,
        }
    }

    /// The Lua state and its runners.
    pub fn state(&mut self) -> &engine::State {
        self.state
            .get_or_insert_with(|| engine::new_state().expect("building the Lua environment"))
    }

    /// The functions engine.
    pub fn functions(&mut self) -> &mut functions::Functions {
        self.functions.get_or_insert_with(|| {
            functions::Functions::new().expect("building the functions' Lua environment")
        })
    }

    /// The cached script with this SHA-1 (any case).
    pub fn get(&self, sha: &[u8]) -> Option<&Script> {
        let key = sha_key(sha)?;
        self.scripts.get(&key)
    }

    /// Whether a script with this SHA-1 is cached.
    pub fn exists(&self, sha: &[u8]) -> bool {
        self.get(sha).is_some()
    }

    /// How many scripts are cached.
    pub fn len(&self) -> usize {
        self.scripts.len()
    }

    /// Whether no script is cached.
    pub fn is_empty(&self) -> bool {
        self.scripts.is_empty()
    }

    /// Compiles and caches `body` (or finds it cached); returns its SHA-1. The error is
    /// the reply Redis gives (shebang errors, `Error compiling script ...`).
    pub fn create(&mut self, body: &[u8]) -> Result<[u8; 40], String> {
        let sha = sha1_hex(body);
        let mut key = [0u8; 40];
        key.copy_from_slice(sha.as_bytes());
        if self.scripts.contains_key(&key) {
            return Ok(key);
        }
        let (flags, shebang_len) = shebang::parse(body)?;
        // The shebang line is skipped but its line feed kept, so line numbers stay.
        let code = &body[shebang_len..];
        let function = self
            .state()
            .lua
            .load(code)
            .set_name("@user_script")
            .into_function()
            .map_err(|e| {
                format!(
                    "ERR Error compiling script (new function): {}",
                    engine::error_message(&e)
                )
            })?;
        self.scripts_bytes += body.len() + 40;
        self.scripts.insert(
            key,
            Script {
                body: body.to_vec(),
                flags,
                function,
            },
        );
        Ok(key)
    }

    /// SCRIPT FLUSH: forgets every script and starts a fresh Lua state.
    pub fn flush(&mut self) {
        self.scripts.clear();
        self.scripts_bytes = 0;
        self.state = None;
    }

    /// Memory EVAL's Lua state uses (INFO used_memory_lua): what a fresh state would use
    /// until one is built, as Redis always has one.
    pub fn lua_memory(&self) -> usize {
        self.state
            .as_ref()
            .map_or_else(fresh_state_memory, |s| s.lua.used_memory())
    }

    /// Memory the functions' Lua state uses (INFO used_memory_vm_functions).
    pub fn functions_lua_memory(&self) -> usize {
        self.functions
            .as_ref()
            .map_or_else(fresh_state_memory, |f| f.lua_memory())
    }

    /// How many function libraries and functions there are.
    pub fn function_counts(&self) -> (usize, usize) {
        self.functions
            .as_ref()
            .map_or((0, 0), |f| (f.libraries().len(), f.function_count()))
    }

    /// Bytes of the libraries' code (INFO used_memory_functions).
    pub fn functions_bytes(&self) -> usize {
        self.functions.as_ref().map_or(0, |f| {
            f.libraries()
                .values()
                .map(|l| l.code.len() + l.name.len())
                .sum()
        })
    }
}

impl std::fmt::Debug for Scripting {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Scripting")
            .field("scripts", &self.scripts.len())
            .field("running", &self.running)
            .finish()
    }
}

impl Default for Scripting {
    fn default() -> Self {
        Scripting::new()
    }
}

/// What a freshly built scripting Lua state uses, measured once.
fn fresh_state_memory() -> usize {
    static FRESH: std::sync::OnceLock<usize> = std::sync::OnceLock::new();
    *FRESH.get_or_init(|| engine::new_state().map_or(0, |s| s.lua.used_memory()))
}

/// The cache key for a SHA-1 given in any case; None unless it has 40 characters.
fn sha_key(sha: &[u8]) -> Option<[u8; 40]> {
    let mut key = [0u8; 40];
    if sha.len() != 40 {
        return None;
    }
    for (k, &b) in key.iter_mut().zip(sha) {
        *k = b.to_ascii_lowercase();
    }
    Some(key)
}

/// The SHA-1 of `data` in lowercase hex (script names, redis.sha1hex).
pub fn sha1_hex(data: &[u8]) -> String {
    sha1_smol::Sha1::from(data).digest().to_string()
}
