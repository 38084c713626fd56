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

use mlua::{Lua, Table, Value};

use crate::protocol::reply::{DeferredKind, Reply, Resp};

/// How deep a result may nest before the reply stops with Redis's "reached lua stack
/// limit" (its Lua stack has room for about this many levels).
const MAX_REPLY_DEPTH: usize = 3998;

/// Converts one complete reply in `bytes` (as a command wrote it) to a Lua value.
pub fn reply_to_lua(lua: &Lua, bytes: &[u8]) -> mlua::Result<Value> {
    let mut pos = 0;
    parse(lua, bytes, &mut pos)
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

fn parse(lua: &Lua, bytes: &[u8], pos: &mut usize) -> mlua::Result<Value> {
    let Some(&kind) = bytes.get(*pos) else {
        return Ok(Value::Nil);
    };
    *pos += 1;
    let head = line(bytes, pos);
    Ok(match kind {
        b'+' => {
            let t = lua.create_table()?;
            t.raw_set("ok", lua.create_string(head)?)?;
            Value::Table(t)
        }
        b'-' => {
            let t = lua.create_table()?;
            let mut msg = b"-".to_vec();
            msg.extend_from_slice(head);
            t.raw_set("err", lua.create_string(super::api::error_text(&msg))?)?;
            // Counted when the command replied it.
            t.raw_set("ignore_error_stats_update", true)?;
            Value::Table(t)
        }
        b':' => Value::Number(number(head) as f64),
        b'$' | b'=' => {
            let n = number(head);
            if n < 0 {
                return Ok(Value::Boolean(false));
            }
            let start = *pos;
            let end = (start + n as usize).min(bytes.len());
            *pos = (end + 2).min(bytes.len());
            let body = &bytes[start..end];
            if kind == b'$' {
                Value::String(lua.create_string(body)?)
            } else {
                let (format, text) = if body.len() >= 4 {
                    (&body[..3], &body[4..])
                } else {
                    (&b""[..], body)
                };
                let inner = lua.create_table()?;
                inner.raw_set("string", lua.create_string(text)?)?;
                inner.raw_set("format", lua.create_string(format)?)?;
                let t = lua.create_table()?;
                t.raw_set("verbatim_string", inner)?;
                Value::Table(t)
            }
        }
        b'*' | b'>' => {
            let n = number(head);
            if n < 0 {
                return Ok(Value::Boolean(false));
            }
            let t = lua.create_table()?;
            for j in 0..n {
                let v = parse(lua, bytes, pos)?;
                t.raw_set(j + 1, v)?;
            }
            Value::Table(t)
        }
        b'%' | b'~' | b'|' => {
            let n = number(head);
            let inner = lua.create_table()?;
            for _ in 0..n {
                let k = parse(lua, bytes, pos)?;
                if kind == b'~' {
                    if !k.is_nil() {
                        inner.raw_set(k, true)?;
                    }
                    continue;
                }
                let v = parse(lua, bytes, pos)?;
                if kind == b'%' && !k.is_nil() {
                    inner.raw_set(k, v)?;
                }
            }
            if kind == b'|' {
                // Attributes are not shown to scripts: the reply that follows is.
                return parse(lua, bytes, pos);
            }
            let t = lua.create_table()?;
            t.raw_set(if kind == b'%' { "map" } else { "set" }, inner)?;
            Value::Table(t)
        }
        b'_' => Value::Nil,
        b'#' => Value::Boolean(head == b"t"),
        b',' => {
            let d = crate::util::strtod::strtod(head).value;
            let t = lua.create_table()?;
            t.raw_set("double", d)?;
            Value::Table(t)
        }
        b'(' => {
            let t = lua.create_table()?;
            t.raw_set("big_number", lua.create_string(head)?)?;
            Value::Table(t)
        }
        _ => Value::Nil,
    })
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
