//! `cmsgpack`: lua-cmsgpack 0.4.0, the MessagePack codec Redis 7.0 gives scripts.
//!
//! Packing: a number that is an exact 64-bit integer takes the smallest integer encoding,
//! any other number a float32 when that holds it exactly, else a float64; a table whose keys
//! are exactly 1..n is an array (the empty table too), any other a map; tables nested 16
//! deep are packed as nil (which is how circular tables end); functions, userdata and
//! threads are nil. Unpacking reads every MessagePack type except bin/ext (a bad format),
//! strings from fixstr, str8, str16 and str32.

use mlua::{Lua, Result, Table, Value};

use super::{c_i64, error, exact, lib_function, lib_function_n, Args, MAX_C_STACK};

/// Tables nested deeper than this pack as nil (`LUACMSGPACK_MAX_NESTING`).
const MAX_NESTING: usize = 16;

/// The `cmsgpack` table.
pub(super) fn module(lua: &Lua) -> Result<Table> {
    let t = lua.create_table()?;
    t.set("pack", lib_function(lua, pack)?)?;
    // unpack leaves all its arguments on the stack; unpack_one and unpack_limit pop all
    // but the string: the results then have that much less room.
    t.set(
        "unpack",
        lib_function_n(lua, |args| unpack_args(args, 0, 0, args.len()))?,
    )?;
    t.set(
        "unpack_one",
        lib_function_n(lua, |args| {
            let offset = args.opt_integer(2, 0)?;
            unpack_args(args, 1, offset, 1)
        })?,
    )?;
    t.set(
        "unpack_limit",
        lib_function_n(lua, |args| {
            let limit = args.check_integer(2)?;
            let offset = args.opt_integer(3, 0)?;
            unpack_args(args, limit, offset, 1)
        })?,
    )?;
    t.set("_NAME", "cmsgpack")?;
    t.set("_VERSION", "lua-cmsgpack 0.4.0")?;
    t.set("_COPYRIGHT", "Copyright (C) 2012, Salvatore Sanfilippo")?;
    t.set("_DESCRIPTION", "MessagePack C implementation for Lua")?;
    Ok(t)
}

/// `cmsgpack.pack(...)`: every argument packed, concatenated.
fn pack(args: &Args) -> Result<Vec<Value>> {
    let n = args.len();
    if n == 0 {
        return Err(args.arg_error(0, "MessagePack pack needs input."));
    }
    // The C function makes room for a copy of every argument on its stack.
    if 2 * n > MAX_C_STACK {
        return Err(args.arg_error(0, "Too many arguments for MessagePack pack."));
    }
    let mut out = Vec::new();
    for i in 1..=n {
        encode(&args.get(i), 0, &mut out)?;
    }
    Ok(vec![Value::String(args.lua().create_string(out)?)])
}

fn encode(v: &Value, level: usize, out: &mut Vec<u8>) -> Result<()> {
    match v {
        Value::String(s) => encode_bytes(&s.as_bytes(), out),
        Value::Boolean(b) => out.push(if *b { 0xc3 } else { 0xc2 }),
        Value::Number(n) => encode_number(*n, out),
        Value::Integer(i) => encode_number(*i as f64, out),
        Value::Table(t) if level < MAX_NESTING => encode_table(t, level, out)?,
        _ => out.push(0xc0),
    }
    Ok(())
}

fn encode_bytes(s: &[u8], out: &mut Vec<u8>) {
    let len = s.len();
    if len < 32 {
        out.push(0xa0 | len as u8);
    } else if len <= 0xff {
        out.extend([0xd9, len as u8]);
    } else if len <= 0xffff {
        out.push(0xda);
        out.extend((len as u16).to_be_bytes());
    } else {
        out.push(0xdb);
        out.extend((len as u32).to_be_bytes());
    }
    out.extend_from_slice(s);
}

fn encode_number(n: f64, out: &mut Vec<u8>) {
    let i = c_i64(n);
    if n.is_finite() && i as f64 == n {
        encode_int(i, out);
    } else if f64::from(n as f32) == n {
        out.push(0xca);
        out.extend((n as f32).to_be_bytes());
    } else {
        out.push(0xcb);
        out.extend(n.to_be_bytes());
    }
}

/// The smallest encoding of `n`: fixnums, then unsigned types for positive numbers and
/// signed ones for negative numbers.
fn encode_int(n: i64, out: &mut Vec<u8>) {
    if n >= 0 {
        if n <= 127 {
            out.push(n as u8);
        } else if n <= 0xff {
            out.extend([0xcc, n as u8]);
        } else if n <= 0xffff {
            out.push(0xcd);
            out.extend((n as u16).to_be_bytes());
        } else if n <= 0xffff_ffff {
            out.push(0xce);
            out.extend((n as u32).to_be_bytes());
        } else {
            out.push(0xcf);
            out.extend((n as u64).to_be_bytes());
        }
    } else if n >= -32 {
        out.push(n as i8 as u8);
    } else if n >= -128 {
        out.extend([0xd0, n as i8 as u8]);
    } else if n >= -32768 {
        out.push(0xd1);
        out.extend((n as i16).to_be_bytes());
    } else if n >= -2_147_483_648 {
        out.push(0xd2);
        out.extend((n as i32).to_be_bytes());
    } else {
        out.push(0xd3);
        out.extend(n.to_be_bytes());
    }
}

/// A container header: fix form up to 15 entries, then 16 and 32 bits.
fn encode_header(n: usize, fix: u8, h16: u8, out: &mut Vec<u8>) {
    if n <= 15 {
        out.push(fix | n as u8);
    } else if n <= 0xffff {
        out.push(h16);
        out.extend((n as u16).to_be_bytes());
    } else {
        out.push(h16 + 1);
        out.extend((n as u32).to_be_bytes());
    }
}

fn encode_table(t: &Table, level: usize, out: &mut Vec<u8>) -> Result<()> {
    if is_array(t)? {
        let len = t.raw_len();
        encode_header(len, 0x90, 0xdc, out);
        for j in 1..=len {
            // Elements are read with metamethods (`lua_gettable`), as the C library does.
            let v = match t.get::<Value>(j)? {
                Value::Integer(0) => Value::Number(t.get::<f64>(j).unwrap_or(0.0)),
                v => v,
            };
            encode(&v, level + 1, out)?;
        }
    } else {
        let mut len = 0;
        t.for_each::<Value, Value>(|_, _| {
            len += 1;
            Ok(())
        })?;
        encode_header(len, 0x80, 0xde, out);
        for pair in t.pairs::<Value, Value>() {
            let (k, v) = pair?;
            let v = exact(t, k.clone(), v);
            encode(&k, level + 1, out)?;
            encode(&v, level + 1, out)?;
        }
    }
    Ok(())
}

/// Whether the keys are exactly 1..n: all positive numbers that are C `int`s, as many as
/// the largest of them. The empty table is an array.
fn is_array(t: &Table) -> Result<bool> {
    let (mut count, mut max) = (0i64, 0i64);
    for pair in t.pairs::<Value, Value>() {
        let n = match pair?.0 {
            Value::Integer(i) => i as f64,
            Value::Number(n) => n,
            _ => return Ok(false),
        };
        if n <= 0.0 || n > f64::from(i32::MAX) || n.fract() != 0.0 {
            return Ok(false);
        }
        max = max.max(n as i64);
        count += 1;
    }
    Ok(max == count)
}

/// Why decoding stopped.
enum DecodeError {
    /// The input ended inside a value.
    Eof,
    /// A type byte the library does not read.
    BadFormat,
    /// A Lua error (stack exhausted, a nil or NaN map key), raised as is.
    Lua(mlua::Error),
}

impl From<mlua::Error> for DecodeError {
    fn from(e: mlua::Error) -> Self {
        DecodeError::Lua(e)
    }
}

/// A MessagePack reader building Lua values. `slots` counts the values the C function
/// would hold on its Lua stack at this point, so that deep or long input fails where
/// Redis's does (its stack is limited to [`MAX_C_STACK`]).
///
/// The C code recurses into arrays and maps; this reader keeps the containers being
/// filled in a vector instead, so that nesting thousands deep cannot exhaust the Rust
/// stack. The tables themselves (and map keys that are strings or tables) wait in the Lua
/// table `work`, not in Rust: every mlua reference takes a slot of an auxiliary Lua stack
/// that, like any in Lua 5.1, holds 8000 values at most.
struct Decoder<'a> {
    lua: &'a Lua,
    data: &'a [u8],
    pos: usize,
    slots: usize,
    work: Table,
}

/// `luaL_checkstack`'s error.
fn stack_overflow(what: &str) -> DecodeError {
    DecodeError::Lua(error(format!("stack overflow ({what})")))
}

/// What one type byte (with its header) starts.
enum Item {
    Value(Value),
    Array(usize),
    Map(usize),
}

/// A container being filled; the table at depth `d` (from 1) is `work[2d - 1]`.
enum Open {
    /// An array and the index of its next element.
    Array { next: usize, len: usize },
    /// A map, the entries still to read, and the key read for the next entry.
    Map { left: usize, key: Option<Key> },
}

/// A map key waiting for its value: numbers as they are (mlua would read a number back
/// from a table inexactly), others in `work[2d]`.
enum Key {
    Plain(Value),
    Stored,
}

type Decoded<T> = std::result::Result<T, DecodeError>;

impl Decoder<'_> {
    fn left(&self) -> usize {
        self.data.len() - self.pos
    }

    /// The next `n` bytes, consumed.
    fn take(&mut self, n: usize) -> Decoded<&[u8]> {
        if self.left() < n {
            return Err(DecodeError::Eof);
        }
        let bytes = &self.data[self.pos..self.pos + n];
        self.pos += n;
        Ok(bytes)
    }

    /// `N` bytes after the type byte, both consumed.
    fn after_type<const N: usize>(&mut self) -> Decoded<[u8; N]> {
        Ok(self.take(1 + N)?[1..].try_into().expect("N bytes"))
    }

    /// A string of `len` bytes after a header of `header` bytes (already consumed when 0).
    fn string(&mut self, header: usize, len: usize) -> Decoded<Item> {
        let lua = self.lua;
        let bytes = &self.take(header + len)?[header..];
        Ok(Item::Value(Value::String(lua.create_string(bytes)?)))
    }

    /// Reads the item at the cursor: a whole scalar, or a container's header.
    fn item(&mut self) -> Decoded<Item> {
        if self.left() < 1 {
            return Err(DecodeError::Eof);
        }
        if self.slots + 1 > MAX_C_STACK {
            return Err(stack_overflow(
                "too many return values at once; use unpack_one or unpack_limit instead.",
            ));
        }
        let b = self.data[self.pos];
        let num = |n: f64| Ok(Item::Value(Value::Number(n)));
        match b {
            // Fixnums: positive below 0x80, negative from 0xe0.
            0x00..=0x7f | 0xe0..=0xff => {
                self.pos += 1;
                num(f64::from(b as i8))
            }
            0xc0 => {
                self.pos += 1;
                Ok(Item::Value(Value::Nil))
            }
            0xc2 | 0xc3 => {
                self.pos += 1;
                Ok(Item::Value(Value::Boolean(b == 0xc3)))
            }
            0x80..=0x8f => {
                self.pos += 1;
                Ok(Item::Map(usize::from(b & 0x0f)))
            }
            0x90..=0x9f => {
                self.pos += 1;
                Ok(Item::Array(usize::from(b & 0x0f)))
            }
            0xa0..=0xbf => self.string(1, usize::from(b & 0x1f)),
            0xca => num(f64::from(f32::from_be_bytes(self.after_type()?))),
            0xcb => num(f64::from_be_bytes(self.after_type()?)),
            0xcc => num(f64::from(self.after_type::<1>()?[0])),
            0xcd => num(f64::from(u16::from_be_bytes(self.after_type()?))),
            0xce => num(f64::from(u32::from_be_bytes(self.after_type()?))),
            // Pushed as a signed lua_Integer: values from 2^63 come out negative.
            0xcf => num(u64::from_be_bytes(self.after_type()?) as i64 as f64),
            0xd0 => num(f64::from(self.after_type::<1>()?[0] as i8)),
            0xd1 => num(f64::from(i16::from_be_bytes(self.after_type()?))),
            0xd2 => num(f64::from(i32::from_be_bytes(self.after_type()?))),
            0xd3 => num(i64::from_be_bytes(self.after_type()?) as f64),
            0xd9 => {
                let len = self.data.get(self.pos + 1).ok_or(DecodeError::Eof)?;
                self.string(2, usize::from(*len))
            }
            0xda => {
                let len = self
                    .data
                    .get(self.pos + 1..self.pos + 3)
                    .ok_or(DecodeError::Eof)?;
                self.string(3, usize::from(u16::from_be_bytes([len[0], len[1]])))
            }
            0xdb => {
                let len = u32::from_be_bytes(self.after_type()?);
                self.string(0, len as usize)
            }
            0xdc => Ok(Item::Array(usize::from(u16::from_be_bytes(
                self.after_type()?,
            )))),
            0xdd => Ok(Item::Array(u32::from_be_bytes(self.after_type()?) as usize)),
            0xde => Ok(Item::Map(usize::from(u16::from_be_bytes(
                self.after_type()?,
            )))),
            0xdf => Ok(Item::Map(u32::from_be_bytes(self.after_type()?) as usize)),
            _ => Err(DecodeError::BadFormat),
        }
    }

    /// The table of the container at `depth`.
    fn table(&self, depth: usize) -> mlua::Result<Table> {
        self.work.raw_get(2 * depth - 1)
    }

    /// The value at the cursor, counted as one more slot on the stack.
    fn value(&mut self) -> Decoded<Value> {
        let mut open: Vec<Open> = Vec::new();
        loop {
            let (t, frame) = match self.item()? {
                Item::Value(v) => {
                    self.slots += 1;
                    match self.store(&mut open, v)? {
                        Some(v) => return Ok(v),
                        None => continue,
                    }
                }
                Item::Array(len) => {
                    let t = self.lua.create_table()?;
                    self.slots += 1;
                    if self.slots + 1 > MAX_C_STACK {
                        return Err(stack_overflow("in function mp_decode_to_lua_array"));
                    }
                    (t, Open::Array { next: 1, len })
                }
                Item::Map(len) => {
                    let t = self.lua.create_table()?;
                    self.slots += 1;
                    (
                        t,
                        Open::Map {
                            left: len,
                            key: None,
                        },
                    )
                }
            };
            let empty = matches!(
                frame,
                Open::Array { len: 0, .. } | Open::Map { left: 0, .. }
            );
            if empty {
                match self.store(&mut open, Value::Table(t))? {
                    Some(v) => return Ok(v),
                    None => continue,
                }
            }
            if matches!(frame, Open::Array { .. }) {
                self.slots += 1; // the first index
            }
            self.work.raw_set(2 * open.len() + 1, t)?;
            open.push(frame);
        }
    }

    /// Stores a finished value in the innermost open container, closing each container
    /// that completes (it is in turn a value for the one around it). Returns the value
    /// when no container is open: it is the top-level one.
    fn store(&mut self, open: &mut Vec<Open>, mut value: Value) -> Decoded<Option<Value>> {
        loop {
            let depth = open.len();
            match open.last_mut() {
                None => return Ok(Some(value)),
                Some(Open::Array { next, len }) => {
                    self.table(depth)?.raw_set(*next, value)?;
                    self.slots -= 2; // the index and the value
                    if *next < *len {
                        *next += 1;
                        self.slots += 1;
                        return Ok(None);
                    }
                }
                Some(Open::Map { left, key }) => {
                    let Some(k) = key.take() else {
                        *key = Some(match value {
                            Value::String(_) | Value::Table(_) => {
                                self.work.raw_set(2 * depth, value)?;
                                Key::Stored
                            }
                            plain => Key::Plain(plain),
                        });
                        return Ok(None);
                    };
                    let k = match k {
                        Key::Plain(k) => k,
                        Key::Stored => self.work.raw_get(2 * depth)?,
                    };
                    match k {
                        Value::Nil => return Err(raw_error("table index is nil")),
                        Value::Number(n) if n.is_nan() => {
                            return Err(raw_error("table index is NaN"))
                        }
                        k => self.table(depth)?.raw_set(k, value)?,
                    }
                    self.slots -= 2;
                    *left -= 1;
                    if *left > 0 {
                        return Ok(None);
                    }
                }
            }
            open.pop();
            value = Value::Table(self.table(depth)?);
            self.work.raw_set(2 * depth - 1, Value::Nil)?;
            self.work.raw_set(2 * depth, Value::Nil)?;
        }
    }
}

/// An error Lua raises from inside the VM (`luaG_runerror` in a C function): no position.
fn raw_error(msg: &str) -> DecodeError {
    DecodeError::Lua(super::raw_error(msg))
}

/// `mp_unpack_full`: decodes up to `limit` values (all when limit and offset are both 0)
/// from byte `offset` of the first argument. Unless decoding all, the first result is the
/// offset after them, or -1 at the end of the input.
/// `slots` is how many arguments stay on the C function's stack.
fn unpack_args(args: &Args, limit: i64, offset: i64, slots: usize) -> Result<usize> {
    let data = args.check_bytes(1)?;
    let len = data.len();
    if offset < 0 || limit < 0 {
        // Redis prints the input's length where it means the limit.
        return Err(error(format!(
            "Invalid request to unpack with offset of {} and limit of {}.",
            offset as i32, len as i32
        )));
    }
    if offset as u64 > len as u64 {
        return Err(error(format!(
            "Start offset {} greater than input length {}.",
            offset as i32, len as i32
        )));
    }
    let decode_all = limit == 0 && offset == 0;
    let limit = if decode_all {
        i64::from(i32::MAX)
    } else {
        limit
    };
    let mut d = Decoder {
        lua: args.lua(),
        data: &data,
        pos: offset as usize,
        slots,
        work: args.lua().create_table()?,
    };
    // Values go straight to the caller (see `lib_function_n`), after the offset when
    // there is one.
    let first = if decode_all { 1 } else { 2 };
    let mut count = 0;
    while d.left() > 0 && (count as i64) < limit {
        match d.value() {
            Ok(v) => {
                args.set_result(first + count, v)?;
                count += 1;
            }
            Err(DecodeError::Eof) => return Err(error("Missing bytes in input.")),
            Err(DecodeError::BadFormat) => return Err(error("Bad data format in input.")),
            Err(DecodeError::Lua(e)) => return Err(e),
        }
    }
    if !decode_all {
        if d.slots + 1 > MAX_C_STACK {
            return Err(error("stack overflow (in function mp_unpack_full)"));
        }
        let next = if d.left() == 0 { -1 } else { d.pos as i64 };
        args.set_result(1, Value::Number(next as f64))?;
        count += 1;
    }
    Ok(count)
}

#[cfg(test)]
mod tests;
