//! Lua scripting (EVAL, FUNCTION): the Lua 5.1 environment Redis 7.0 gives scripts.
//!
//! [`libs`] holds the C libraries Redis links into that environment (`cjson`, `cmsgpack`,
//! `bit`, `struct`), rewritten in Rust over mlua.

pub mod libs;
