//! How the debugger shows things: strings quoted as sdscatrepr does, replies as
//! ldbRedisProtocolToHuman, Lua values as ldbCatStackValue.

use std::io::Write as _;

use mlua::ffi;

use super::{atoi, find_crlf};
use crate::util::format_g;

/// Nesting shown of a table before giving up (LDB_MAX_VALUES_DEPTH: LUA_MINSTACK / 2).
const MAX_VALUE_DEPTH: usize = 10;

/// sdscatrepr: a quoted string with C escapes.
pub fn repr(out: &mut Vec<u8>, s: &[u8]) {
    out.push(b'"');
    for &b in s {
        match b {
            b'\\' | b'"' => out.extend_from_slice(&[b'\\', b]),
            b'\n' => out.extend_from_slice(b"\\n"),
            b'\r' => out.extend_from_slice(b"\\r"),
            b'\t' => out.extend_from_slice(b"\\t"),
            7 => out.extend_from_slice(b"\\a"),
            8 => out.extend_from_slice(b"\\b"),
            b if b.is_ascii_graphic() || b == b' ' => out.push(b),
            b => {
                let _ = write!(out, "\\x{b:02x}");
            }
        }
    }
    out.push(b'"');
}

/// ldbRedisProtocolToHuman: a reply as the debugger shows it.
pub(super) fn reply_to_human(out: &mut Vec<u8>, reply: &[u8], pos: &mut usize) {
    let Some(&kind) = reply.get(*pos) else {
        return;
    };
    let start = *pos;
    let eol = find_crlf(reply, start + 1).unwrap_or(reply.len());
    let head = &reply[start + 1..eol];
    *pos = (eol + 2).min(reply.len());
    let count = || atoi(head);
    match kind {
        b':' => out.extend_from_slice(head),
        b'$' => {
            let n = count();
            if n < 0 {
                out.extend_from_slice(b"NULL");
            } else {
                let end = (*pos + n as usize).min(reply.len());
                repr(out, &reply[*pos..end]);
                *pos = (end + 2).min(reply.len());
            }
        }
        b'+' | b'-' => repr(out, &reply[start..eol]),
        b'*' => {
            let n = count();
            if n < 0 {
                out.extend_from_slice(b"NULL");
                return;
            }
            elements(out, reply, pos, n, b"[", b"]");
        }
        b'~' => elements(out, reply, pos, count(), b"~(", b")"),
        b'%' => {
            let n = count();
            out.push(b'{');
            for j in 0..n {
                reply_to_human(out, reply, pos);
                out.extend_from_slice(b" => ");
                reply_to_human(out, reply, pos);
                if j != n - 1 {
                    out.push(b',');
                }
            }
            out.push(b'}');
        }
        b'_' => out.extend_from_slice(b"(null)"),
        b'#' => out.extend_from_slice(if head == b"t" { b"#true" } else { b"#false" }),
        b',' => {
            out.extend_from_slice(b"(double) ");
            out.extend_from_slice(head);
        }
        _ => {}
    }
}

/// `n` replies at `*pos`, comma-separated between `open` and `close`.
fn elements(out: &mut Vec<u8>, reply: &[u8], pos: &mut usize, n: i64, open: &[u8], close: &[u8]) {
    out.extend_from_slice(open);
    for j in 0..n {
        reply_to_human(out, reply, pos);
        if j != n - 1 {
            out.push(b',');
        }
    }
    out.extend_from_slice(close);
}

/// Appends the Lua value at `idx` as the debugger shows values (ldbCatStackValueRec).
///
/// # Safety
/// `state` is a live state with the value at `idx` (negative indexes relative to the top)
/// and room for two more values.
pub unsafe fn cat_value(out: &mut Vec<u8>, state: *mut ffi::lua_State, idx: i32, level: usize) {
    if level == MAX_VALUE_DEPTH {
        out.extend_from_slice(b"<max recursion level reached! Nested table?>");
        return;
    }
    let level = level + 1;
    match ffi::lua_type(state, idx) {
        ffi::LUA_TSTRING => {
            let mut len = 0;
            let p = ffi::lua_tolstring(state, idx, &mut len) as *const u8;
            repr(out, std::slice::from_raw_parts(p, len));
        }
        ffi::LUA_TBOOLEAN => out.extend_from_slice(if ffi::lua_toboolean(state, idx) != 0 {
            b"true"
        } else {
            b"false"
        }),
        ffi::LUA_TNUMBER => {
            out.extend_from_slice(format_g(ffi::lua_tonumber(state, idx), 6).as_bytes())
        }
        ffi::LUA_TNIL => out.extend_from_slice(b"nil"),
        ffi::LUA_TTABLE => {
            if ffi::lua_checkstack(state, 3) == 0 {
                out.extend_from_slice(b"<max recursion level reached! Nested table?>");
                return;
            }
            let mut expected = 1.0;
            let mut is_array = true;
            let (mut as_array, mut as_map) = (Vec::new(), Vec::new());
            ffi::lua_pushnil(state);
            let table = if idx < 0 { idx - 1 } else { idx };
            while ffi::lua_next(state, table) != 0 {
                if is_array
                    && (ffi::lua_type(state, -2) != ffi::LUA_TNUMBER
                        || ffi::lua_tonumber(state, -2) != expected)
                {
                    is_array = false;
                }
                cat_value(&mut as_array, state, -1, level);
                as_array.extend_from_slice(b"; ");
                as_map.push(b'[');
                cat_value(&mut as_map, state, -2, level);
                as_map.extend_from_slice(b"]=");
                cat_value(&mut as_map, state, -1, level);
                as_map.extend_from_slice(b"; ");
                ffi::lua_pop(state, 1);
                expected += 1.0;
            }
            let chosen = if is_array { as_array } else { as_map };
            out.push(b'{');
            out.extend_from_slice(&chosen[..chosen.len().saturating_sub(2)]);
            out.push(b'}');
        }
        t => {
            let name = match t {
                ffi::LUA_TFUNCTION => "function",
                ffi::LUA_TUSERDATA => "userdata",
                ffi::LUA_TTHREAD => "thread",
                ffi::LUA_TLIGHTUSERDATA => "light-userdata",
                _ => {
                    out.extend_from_slice(b"\"<unknown-lua-type>\"");
                    return;
                }
            };
            let p = ffi::lua_topointer(state, idx);
            let _ = write!(out, "\"{name}@{p:p}\"");
        }
    }
}
