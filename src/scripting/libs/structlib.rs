//! `struct`: Roberto Ierusalimschy's struct library (0.2, as Redis 7.0 ships it), packing
//! Lua values into binary strings and back by a format string.
//!
//! Formats, as on the x86-64 Linux build Redis is: `b`/`B` 1 byte, `h`/`H` 2, `l`/`L` and
//! `T` 8, `i`/`I` 4 or `iN`/`IN` N bytes (N up to 32), `f` float, `d` double, `cN` N
//! characters (`c0`: all of the string, or when unpacking the previous result's count),
//! `s` a zero-terminated string, `x` a padding byte, `<` `>` little/big endian (little by
//! default), `!N` maximum alignment (8 by default), spaces ignored.

use mlua::{Lua, Result, Table, Value};

use super::{c_i64, c_u64, error, lib_function, lib_function_n, Args, MAX_C_STACK};

/// The `struct` table.
pub(super) fn module(lua: &Lua) -> Result<Table> {
    let t = lua.create_table()?;
    t.set("pack", lib_function(lua, pack)?)?;
    t.set("unpack", lib_function_n(lua, unpack)?)?;
    t.set("size", lib_function(lua, size)?)?;
    Ok(t)
}

/// Largest integral size (`MAXINTSIZE`).
const MAX_INT_SIZE: usize = 32;
/// Default maximum alignment (`MAXALIGN`: a double's alignment on x86-64).
const MAX_ALIGN: usize = 8;

/// The format's state: byte order and maximum alignment.
struct Header {
    little: bool,
    align: usize,
}

impl Default for Header {
    fn default() -> Self {
        Header {
            little: true,
            align: 1,
        }
    }
}

/// A format string being read. It is a C string to the library: it ends at a NUL.
struct Format {
    bytes: Vec<u8>,
    at: usize,
}

impl Format {
    fn new(mut bytes: Vec<u8>) -> Format {
        if let Some(nul) = bytes.iter().position(|&b| b == 0) {
            bytes.truncate(nul);
        }
        Format { bytes, at: 0 }
    }

    fn next_option(&mut self) -> Option<u8> {
        let c = *self.bytes.get(self.at)?;
        self.at += 1;
        Some(c)
    }

    /// A decimal count following an option, or `default` when there is none.
    fn number(&mut self, default: usize) -> Result<usize> {
        if !self.bytes.get(self.at).is_some_and(u8::is_ascii_digit) {
            return Ok(default);
        }
        let mut a: i32 = 0;
        while let Some(&c) = self.bytes.get(self.at).filter(|c| c.is_ascii_digit()) {
            let digit = i32::from(c - b'0');
            if a > i32::MAX / 10 || a * 10 > i32::MAX - digit {
                return Err(error("integral size overflow"));
            }
            a = a * 10 + digit;
            self.at += 1;
        }
        Ok(a as usize)
    }

    /// The size of option `opt` (reading its count, if it takes one); 0 for options that
    /// need no alignment.
    fn size(&mut self, opt: u8) -> Result<usize> {
        Ok(match opt {
            b'B' | b'b' | b'x' => 1,
            b'H' | b'h' => 2,
            b'L' | b'l' | b'T' | b'd' => 8,
            b'f' => 4,
            b'c' => self.number(1)?,
            b'i' | b'I' => {
                let size = self.number(4)?;
                if size > MAX_INT_SIZE {
                    return Err(error(format!(
                        "integral size {} is larger than limit of {MAX_INT_SIZE}",
                        size as i32
                    )));
                }
                size
            }
            _ => 0,
        })
    }

    /// Applies a control option (space, `<`, `>`, `!N`); anything else is an invalid
    /// option, reported against argument 1.
    fn control(&mut self, args: &Args, opt: u8, h: &mut Header) -> Result<()> {
        match opt {
            b' ' => {}
            b'>' => h.little = false,
            b'<' => h.little = true,
            b'!' => {
                let a = self.number(MAX_ALIGN)?;
                let a = a as i32;
                if a <= 0 || a & (a - 1) != 0 {
                    return Err(error(format!("alignment {a} is not a power of 2")));
                }
                h.align = a as usize;
            }
            _ => {
                let mut msg = b"invalid format option '".to_vec();
                msg.push(opt);
                msg.push(b'\'');
                return Err(args.arg_error(1, &String::from_utf8_lossy(&msg)));
            }
        }
        Ok(())
    }
}

/// Padding needed before an item of `size` at offset `len` (C's arithmetic, which also
/// serves sizes that are not powers of 2).
fn to_align(len: usize, h: &Header, opt: u8, size: usize) -> usize {
    if size == 0 || opt == b'c' {
        return 0;
    }
    let size = size.min(h.align);
    size.wrapping_sub(len & (size - 1)) & (size - 1)
}

/// Orders `bytes` (little-endian) as the header says.
fn ordered(mut bytes: Vec<u8>, h: &Header) -> Vec<u8> {
    if !h.little {
        bytes.reverse();
    }
    bytes
}

/// `struct.pack(fmt, ...)`.
fn pack(args: &Args) -> Result<Vec<Value>> {
    let mut fmt = Format::new(args.check_bytes(1)?);
    // The C code pushes a nil to separate the arguments from its buffer: one argument
    // too few reads as nil.
    args.push_nils(1);
    let mut h = Header::default();
    let mut arg = 2;
    let mut out = Vec::new();
    while let Some(opt) = fmt.next_option() {
        let mut size = fmt.size(opt)?;
        let pad = to_align(out.len(), &h, opt, size);
        out.resize(out.len() + pad, 0);
        match opt {
            b'b' | b'B' | b'h' | b'H' | b'l' | b'L' | b'T' | b'i' | b'I' => {
                let n = args.check_number(arg)?;
                arg += 1;
                let mut value = if n < 0.0 { c_i64(n) as u64 } else { c_u64(n) };
                let mut bytes = Vec::with_capacity(size);
                for _ in 0..size {
                    bytes.push(value as u8);
                    value = value.checked_shr(8).unwrap_or(0);
                }
                out.extend(ordered(bytes, &h));
            }
            b'x' => out.push(0),
            b'f' => {
                let f = args.check_number(arg)? as f32;
                arg += 1;
                out.extend(ordered(f.to_le_bytes().to_vec(), &h));
            }
            b'd' => {
                let d = args.check_number(arg)?;
                arg += 1;
                out.extend(ordered(d.to_le_bytes().to_vec(), &h));
            }
            b'c' | b's' => {
                let s = args.check_bytes(arg)?;
                arg += 1;
                if size == 0 {
                    size = s.len();
                }
                if s.len() < size {
                    // Redis reports the argument after the string: its counter has moved on.
                    return Err(args.arg_error(arg as i64, "string too short"));
                }
                out.extend_from_slice(&s[..size]);
                if opt == b's' {
                    out.push(0);
                }
            }
            _ => fmt.control(args, opt, &mut h)?,
        }
    }
    Ok(vec![Value::String(args.lua().create_string(out)?)])
}

/// Reads a `size`-byte integer at the start of `bytes`; sizes past 8 bytes keep the low 64
/// bits, as the C library's 64-bit accumulator does.
fn read_integer(bytes: &[u8], h: &Header, signed: bool, size: usize) -> f64 {
    let mut l: u64 = 0;
    let mut push = |b: u8| l = (l << 8) | u64::from(b);
    if h.little {
        bytes[..size].iter().rev().for_each(|&b| push(b));
    } else {
        bytes[..size].iter().for_each(|&b| push(b));
    }
    if !signed {
        return l as f64;
    }
    // The sign bit's mask, with x86's shift count taken modulo 64 as the C code gets it.
    let mask = u64::MAX.wrapping_shl((size * 8).wrapping_sub(1) as u32);
    if l & mask != 0 {
        l |= mask;
    }
    l as i64 as f64
}

/// `struct.unpack`'s results so far.
struct Results<'a, 'lua> {
    args: &'a Args<'lua>,
    /// How many.
    n: usize,
    /// The last one: `c0` takes its count from it.
    last: Value,
}

impl Results<'_, '_> {
    fn push(&mut self, v: Value) -> Result<()> {
        self.n += 1;
        self.args.set_result(self.n, v.clone())?;
        self.last = v;
        Ok(())
    }
}

/// `struct.unpack(fmt, data [, pos])`: the values, then the position after them.
fn unpack(args: &Args) -> Result<usize> {
    let lua = args.lua();
    let mut fmt = Format::new(args.check_bytes(1)?);
    let data = args.check_bytes(2)?;
    let ld = data.len();
    let pos = args.opt_integer(3, 1)? as u64 as usize;
    if pos == 0 {
        return Err(args.arg_error(3, "offset must be 1 or greater"));
    }
    let mut pos = pos - 1;
    let mut h = Header::default();
    // Results go straight to the caller (see `lib_function_n`).
    let mut out = Results {
        args,
        n: 0,
        last: Value::Nil,
    };
    let too_short = || args.arg_error(2, "data string too short");
    while let Some(opt) = fmt.next_option() {
        let mut size = fmt.size(opt)?;
        pos = pos.wrapping_add(to_align(pos, &h, opt, size));
        if size > ld || pos > ld - size {
            return Err(too_short());
        }
        // The C function keeps its arguments and results on its stack, and checks for
        // room for one more result and the final position.
        if args.len() + out.n + 2 > MAX_C_STACK {
            return Err(error("stack overflow (too many results)"));
        }
        match opt {
            b'b' | b'B' | b'h' | b'H' | b'l' | b'L' | b'T' | b'i' | b'I' => {
                let signed = opt.is_ascii_lowercase();
                let n = read_integer(&data[pos..], &h, signed, size);
                out.push(Value::Number(n))?;
            }
            b'x' => {}
            b'f' => {
                let b: [u8; 4] = ordered(data[pos..pos + 4].to_vec(), &h)
                    .try_into()
                    .expect("four bytes");
                out.push(Value::Number(f64::from(f32::from_le_bytes(b))))?;
            }
            b'd' => {
                let b: [u8; 8] = ordered(data[pos..pos + 8].to_vec(), &h)
                    .try_into()
                    .expect("eight bytes");
                out.push(Value::Number(f64::from_le_bytes(b)))?;
            }
            b'c' => {
                if size == 0 {
                    let previous = match out.n {
                        0 => None,
                        _ => super::to_number(lua, &out.last),
                    };
                    let Some(count) = previous else {
                        return Err(error("format 'c0' needs a previous size"));
                    };
                    size = c_u64(count) as usize;
                    out.n -= 1;
                    if size > ld || pos > ld - size {
                        return Err(too_short());
                    }
                }
                out.push(Value::String(lua.create_string(&data[pos..pos + size])?))?;
            }
            b's' => {
                let Some(len) = data[pos..].iter().position(|&b| b == 0) else {
                    return Err(error("unfinished string in data"));
                };
                out.push(Value::String(lua.create_string(&data[pos..pos + len])?))?;
                size = len + 1;
            }
            _ => fmt.control(args, opt, &mut h)?,
        }
        pos += size;
    }
    out.push(Value::Number((pos as i64).wrapping_add(1) as f64))?;
    Ok(out.n)
}

/// `struct.size(fmt)`: the packed size of a format without variable-length items.
fn size(args: &Args) -> Result<Vec<Value>> {
    let mut fmt = Format::new(args.check_bytes(1)?);
    let mut h = Header::default();
    let mut pos: usize = 0;
    while let Some(opt) = fmt.next_option() {
        let size = fmt.size(opt)?;
        pos = pos.wrapping_add(to_align(pos, &h, opt, size));
        if opt == b's' {
            return Err(args.arg_error(1, "option 's' has no fixed size"));
        } else if opt == b'c' && size == 0 {
            return Err(args.arg_error(1, "option 'c0' has no fixed size"));
        }
        // Letters and digits are never control options: unknown ones count for nothing.
        if !opt.is_ascii_alphanumeric() {
            fmt.control(args, opt, &mut h)?;
        }
        pos = pos.wrapping_add(size);
    }
    Ok(vec![Value::Number(pos as i64 as f64)])
}

#[cfg(test)]
mod tests;
