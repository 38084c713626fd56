//! `bit`: LuaBitOp 1.0.2, the 32-bit operations Redis 7.0 gives scripts.
//!
//! Every operand is a Lua number (a double) mapped to 32 bits as LuaBitOp does: adding
//! 2^52 + 2^51 and keeping the low word of the result, which rounds to the nearest integer
//! (ties to even) and wraps modulo 2^32. Results are signed 32-bit values.

use mlua::{Lua, Result, Table, Value};

use super::{lib_function, Args};

/// The `bit` table.
pub(super) fn module(lua: &Lua) -> Result<Table> {
    let t = lua.create_table()?;
    unary(lua, &t, "tobit", |b| b)?;
    unary(lua, &t, "bnot", |b| !b)?;
    unary(lua, &t, "bswap", u32::swap_bytes)?;
    fold(lua, &t, "band", |a, b| a & b)?;
    fold(lua, &t, "bor", |a, b| a | b)?;
    fold(lua, &t, "bxor", |a, b| a ^ b)?;
    shift(lua, &t, "lshift", |b, n| b << n)?;
    shift(lua, &t, "rshift", |b, n| b >> n)?;
    shift(lua, &t, "arshift", |b, n| ((b as i32) >> n) as u32)?;
    shift(lua, &t, "rol", u32::rotate_left)?;
    shift(lua, &t, "ror", u32::rotate_right)?;
    t.set(
        "tohex",
        lib_function(lua, |args| {
            let b = bits(args, 1)?;
            let n = if args.is_none(2) {
                8
            } else {
                bits(args, 2)? as i32
            };
            Ok(vec![Value::String(args.lua().create_string(tohex(b, n))?)])
        })?,
    )?;
    Ok(t)
}

/// Argument `i` as 32 bits; "number expected" unless it is a number or numeric string.
fn bits(args: &Args, i: usize) -> Result<u32> {
    match args.number(i) {
        Some(n) => Ok(to_bits(n)),
        None => Err(args.type_error(i, "number")),
    }
}

/// LuaBitOp's mapping of a double to 32 bits: the low word of `n + 2^52 + 2^51`.
fn to_bits(n: f64) -> u32 {
    (n + 6_755_399_441_055_744.0).to_bits() as u32
}

/// A result: the 32 bits as a signed number.
fn ret(b: u32) -> Result<Vec<Value>> {
    Ok(vec![Value::Number(b as i32 as f64)])
}

fn unary(lua: &Lua, t: &Table, name: &str, op: fn(u32) -> u32) -> Result<()> {
    t.set(
        name,
        lib_function(lua, move |args| ret(op(bits(args, 1)?)))?,
    )
}

/// `band`/`bor`/`bxor`: the first argument, then the others from the last one down (the
/// order decides which bad argument is reported).
fn fold(lua: &Lua, t: &Table, name: &str, op: fn(u32, u32) -> u32) -> Result<()> {
    let f = lib_function(lua, move |args| {
        let mut b = bits(args, 1)?;
        for i in (2..=args.len()).rev() {
            b = op(b, bits(args, i)?);
        }
        ret(b)
    })?;
    t.set(name, f)
}

/// Shifts and rotations: the count is the second argument's low five bits.
fn shift(lua: &Lua, t: &Table, name: &str, op: fn(u32, u32) -> u32) -> Result<()> {
    let f = lib_function(lua, move |args| {
        let b = bits(args, 1)?;
        let n = bits(args, 2)? & 31;
        ret(op(b, n))
    })?;
    t.set(name, f)
}

/// `bit.tohex`: the low `|n|` hex digits of `b` (at most 8), upper case when `n < 0`.
fn tohex(b: u32, n: i32) -> Vec<u8> {
    let (digits, n) = if n < 0 {
        (b"0123456789ABCDEF", n.unsigned_abs())
    } else {
        (b"0123456789abcdef", n as u32)
    };
    let n = n.min(8) as usize;
    (0..n)
        .rev()
        .map(|i| digits[((b >> (4 * i)) & 15) as usize])
        .collect()
}

#[cfg(test)]
mod tests;
