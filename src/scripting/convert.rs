//! Conversions between Redis replies and Lua values, both ways, as Redis's script_lua.c
//! makes them.
//!
//! - A command's reply (RESP2 or RESP3 bytes, from the script client's buffer) becomes a
//!   Lua value: integers numbers, bulks strings, nulls `false` (RESP3's null `nil`),
//!   arrays tables, status `{ok=...}`, errors `{err=...}`, and RESP3's maps `{map=...}`,
//!   sets `{set=...}`, doubles `{double=...}`, big numbers `{big_number=...}`, verbatim
//!   strings `{verbatim_string={format=..., string=...}}`, booleans.
//! - A script's result becomes the caller's reply: the reverse, with numbers truncated to
//!   integers and anything else (nil, functions...) a null.

use std::ffi::c_int;

use mlua::{ffi, Lua, Table, Value};

use crate::protocol::reply::{DeferredKind, Reply, Resp};

/// How deep a result may nest before the reply stops with Redis's "reached lua stack
/// limit" (its Lua stack has room for about this many levels).
const MAX_REPLY_DEPTH: usize = 3998;

/// Pushes the reply at `bytes[*pos..]` (one complete reply, as a command wrote it) as a
/// Lua value, advancing `*pos` past it: redisProtocolToLuaType's rules.
///
/// # Safety
/// `state` is a live Lua state inside a C function call. Any push may raise (longjmp):
/// the frames of this function hold only references and numbers.
pub unsafe fn push_reply(state: *mut ffi::lua_State, bytes: &[u8], pos: &mut usize, depth: usize) {
    // Each level holds at most a table, a key and a value.
    if depth > MAX_REPLY_DEPTH || ffi::lua_checkstack(state, 4) == 0 {
        ffi::lua_pushnil(state);
        return;
    }
    let Some(&kind) = bytes.get(*pos) else {
        ffi::lua_pushnil(state);
        return;
    };
    *pos += 1;
    let head = line(bytes, pos);
    let push_str = |s: &[u8]| ffi::lua_pushlstring(state, s.as_ptr() as *const _, s.len());
    match kind {
        b'+' => {
            ffi::lua_createtable(state, 0, 1);
            push_str(head);
            ffi::lua_setfield(state, -2, c"ok".as_ptr());
        }
        b'-' => {
            // The table luaPushError makes of "-CODE msg" (a message without a code gets
            // ERR); counted when the command replied it.
            ffi::lua_createtable(state, 0, 2);
            if head.contains(&b' ') {
                push_str(head);
            } else {
                push_str(b"ERR ");
                push_str(head);
                ffi::lua_concat(state, 2);
            }
            ffi::lua_setfield(state, -2, c"err".as_ptr());
            ffi::lua_pushboolean(state, 1);
            ffi::lua_setfield(state, -2, c"ignore_error_stats_update".as_ptr());
        }
        b':' => ffi::lua_pushnumber(state, number(head) as f64),
        b'$' | b'=' => {
            let n = number(head);
            if n < 0 {
                ffi::lua_pushboolean(state, 0);
                return;
            }
            let start = *pos;
            let end = (start + n as usize).min(bytes.len());
            *pos = (end + 2).min(bytes.len());
            let body = &bytes[start..end];
            if kind == b'$' {
                push_str(body);
            } else {
                let (format, text) = if body.len() >= 4 {
                    (&body[..3], &body[4..])
                } else {
                    (&b""[..], body)
                };
                ffi::lua_createtable(state, 0, 1);
                ffi::lua_createtable(state, 0, 2);
                push_str(text);
                ffi::lua_setfield(state, -2, c"string".as_ptr());
                push_str(format);
                ffi::lua_setfield(state, -2, c"format".as_ptr());
                ffi::lua_setfield(state, -2, c"verbatim_string".as_ptr());
            }
        }
        b'*' | b'>' => {
            let n = number(head);
            if n < 0 {
                ffi::lua_pushboolean(state, 0);
                return;
            }
            ffi::lua_createtable(state, n.min(1024) as c_int, 0);
            for j in 0..n {
                push_reply(state, bytes, pos, depth + 1);
                ffi::lua_rawseti(state, -2, (j + 1) as _);
            }
        }
        b'%' | b'~' | b'|' => {
            let n = number(head);
            if kind != b'|' {
                ffi::lua_createtable(state, 0, 1);
            }
            ffi::lua_createtable(state, 0, n.min(1024) as c_int);
            for _ in 0..n {
                push_reply(state, bytes, pos, depth + 1);
                if kind == b'~' {
                    ffi::lua_pushboolean(state, 1);
                } else {
                    push_reply(state, bytes, pos, depth + 1);
                }
                // A nil key (a null in the reply) is dropped, as Lua cannot index by nil.
                if ffi::lua_type(state, -2) == ffi::LUA_TNIL || kind == b'|' {
                    ffi::lua_pop(state, 2);
                } else {
                    ffi::lua_rawset(state, -3);
                }
            }
            match kind {
                // Attributes are not shown to scripts: the reply that follows is.
                b'|' => {
                    ffi::lua_pop(state, 1);
                    push_reply(state, bytes, pos, depth);
                }
                b'%' => ffi::lua_setfield(state, -2, c"map".as_ptr()),
                _ => ffi::lua_setfield(state, -2, c"set".as_ptr()),
            }
        }
        b'_' => ffi::lua_pushnil(state),
        b'#' => ffi::lua_pushboolean(state, (head == b"t") as c_int),
        b',' => {
            let d = crate::util::strtod::strtod(head).value;
            ffi::lua_createtable(state, 0, 1);
            ffi::lua_pushnumber(state, d);
            ffi::lua_setfield(state, -2, c"double".as_ptr());
        }
        b'(' => {
            ffi::lua_createtable(state, 0, 1);
            push_str(head);
            ffi::lua_setfield(state, -2, c"big_number".as_ptr());
        }
        _ => ffi::lua_pushnil(state),
    }
}

/// The line at `*pos` (without CRLF), advancing past it.
fn line<'a>(bytes: &'a [u8], pos: &mut usize) -> &'a [u8] {
    let start = *pos;
    let end = memchr::memmem::find(&bytes[start..], b"\r\n").map_or(bytes.len(), |i| start + i);
    *pos = (end + 2).min(bytes.len());
    &bytes[start..end]
}

fn number(s: &[u8]) -> i64 {
    std::str::from_utf8(s)
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(0)
}

/// `(long long)` of a double as x86-64 computes it: out of range and NaN give i64::MIN.
pub fn c_long_long(n: f64) -> i64 {
    const LIMIT: f64 = 9_223_372_036_854_775_808.0; // 2^63
    if !(-LIMIT..LIMIT).contains(&n) {
        i64::MIN
    } else {
        n as i64
    }
}

/// Whether an error reply written by [`lua_to_reply`] should be left out of errorstats
/// (the command that produced it counted it already).
#[derive(Debug, Default)]
pub struct ReplyNotes {
    pub uncounted_errors: usize,
}

/// Writes a script's result `v` to `out` as luaReplyToRedisReply does. `script_resp` is
/// the protocol the script last chose with redis.setresp (it decides how booleans go to
/// a RESP2 script's caller).
pub fn lua_to_reply(
    lua: &Lua,
    v: &Value,
    out: &mut Reply,
    script_resp: Resp,
    notes: &mut ReplyNotes,
) -> mlua::Result<()> {
    write(lua, v, out, script_resp, notes, 0)
}

fn write(
    lua: &Lua,
    v: &Value,
    out: &mut Reply,
    script_resp: Resp,
    notes: &mut ReplyNotes,
    depth: usize,
) -> mlua::Result<()> {
    if depth > MAX_REPLY_DEPTH {
        out.err("reached lua stack limit");
        return Ok(());
    }
    match v {
        Value::String(s) => out.bulk(&s.as_bytes()),
        Value::Boolean(b) => match script_resp {
            Resp::Two if *b => out.int(1),
            Resp::Two => out.null(),
            Resp::Three => out.bool(*b),
        },
        Value::Integer(i) => out.int(*i),
        Value::Number(n) => out.int(c_long_long(*n)),
        Value::Table(t) => write_table(lua, t, out, script_resp, notes, depth)?,
        _ => out.null(),
    }
    Ok(())
}

fn write_table(
    lua: &Lua,
    t: &Table,
    out: &mut Reply,
    script_resp: Resp,
    notes: &mut ReplyNotes,
    depth: usize,
) -> mlua::Result<()> {
    if let Value::String(msg) = t.raw_get::<Value>("err")? {
        let mut text = b"-".to_vec();
        text.extend_from_slice(&msg.as_bytes());
        write_error(out, &text);
        if matches!(
            t.raw_get::<Value>("ignore_error_stats_update")?,
            Value::Boolean(true)
        ) {
            notes.uncounted_errors += 1;
        }
        return Ok(());
    }
    if let Value::String(ok) = t.raw_get::<Value>("ok")? {
        let text: Vec<u8> = ok.as_bytes().iter().map(|&b| no_crlf(b)).collect();
        out.buf.push(b'+');
        out.buf.extend_from_slice(&text);
        out.buf.extend_from_slice(b"\r\n");
        return Ok(());
    }
    let double = match t.raw_get::<Value>("double")? {
        Value::Number(d) => Some(d),
        Value::Integer(i) => Some(i as f64),
        _ => None,
    };
    if let Some(d) = double {
        out.double(d);
        return Ok(());
    }
    if let Value::String(n) = t.raw_get::<Value>("big_number")? {
        let text: Vec<u8> = n.as_bytes().iter().map(|&b| no_crlf(b)).collect();
        out.big_number(&String::from_utf8_lossy(&text));
        return Ok(());
    }
    if let Value::Table(vt) = t.raw_get::<Value>("verbatim_string")? {
        if let (Value::String(format), Value::String(s)) = (
            vt.raw_get::<Value>("format")?,
            vt.raw_get::<Value>("string")?,
        ) {
            let format = format.as_bytes();
            let ext: String = (0..3)
                .map(|i| *format.get(i).unwrap_or(&0) as char)
                .collect();
            out.verbatim(&ext, &s.as_bytes());
            return Ok(());
        }
    }
    if let Value::Table(map) = t.raw_get::<Value>("map")? {
        let at = out.begin_deferred();
        let mut n = 0;
        for pair in map.pairs::<Value, Value>() {
            let (k, v) = pair?;
            write(lua, &k, out, script_resp, notes, depth + 1)?;
            write(lua, &v, out, script_resp, notes, depth + 1)?;
            n += 1;
        }
        out.end_deferred(at, DeferredKind::Map, n);
        return Ok(());
    }
    if let Value::Table(set) = t.raw_get::<Value>("set")? {
        let at = out.begin_deferred();
        let mut n = 0;
        for pair in set.pairs::<Value, Value>() {
            let (k, _) = pair?;
            write(lua, &k, out, script_resp, notes, depth + 1)?;
            n += 1;
        }
        out.end_deferred(at, DeferredKind::Set, n);
        return Ok(());
    }
    let at = out.begin_deferred();
    let mut n = 0;
    loop {
        let v = t.raw_get::<Value>(n + 1)?;
        if v.is_nil() {
            break;
        }
        write(lua, &v, out, script_resp, notes, depth + 1)?;
        n += 1;
        if depth + 1 > MAX_REPLY_DEPTH {
            // The nested write replied the stack error; Redis stops the array there too.
            break;
        }
    }
    out.end_deferred(at, DeferredKind::Array, n as usize);
    Ok(())
}

fn no_crlf(b: u8) -> u8 {
    if b == b'\r' || b == b'\n' {
        b' '
    } else {
        b
    }
}

/// Writes `-<text>` as addReplyErrorLength does (a leading `-` in the text is not doubled;
/// CR / LF become spaces), recording its code for errorstats.
pub fn write_error(out: &mut Reply, text: &[u8]) {
    let body = text.strip_prefix(b"-").unwrap_or(text);
    let body = body.strip_prefix(b"-").unwrap_or(body);
    out.error_bytes(body);
}
