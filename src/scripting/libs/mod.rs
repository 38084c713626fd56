//! The C libraries Redis loads into Lua (cjson, struct, cmsgpack, bit), written in Rust.

/// Registers the libraries' global tables.
pub fn load(_lua: &mlua::Lua) -> mlua::Result<()> {
    Ok(())
}
