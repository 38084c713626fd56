//! `cjson.encode`: Lua values to JSON text.
//!
//! A table is an array when all its keys are integers from 1 (its length is the largest
//! one, holes are `null`) unless that is excessively sparse; the empty table is `{}`. Other
//! tables are objects with string and number keys, in the order Lua's `next` gives. Numbers
//! are `%.14g` (or the configured precision); `/` is escaped as `\/`.

use crate::util::format_g;
use mlua::{Function, Lua, Table, Value};

use super::super::{error, exact, type_name, MAX_C_STACK};
use super::Config;

/// A table being written. The table at depth `d` (from 1) is `work[2d - 1]`; an object's
/// iteration key is `work[2d]`.
#[derive(Clone, Copy)]
enum Open {
    /// An array and the index of its next element.
    Array { next: usize, len: usize },
    /// An object, and whether an entry has been written.
    Object { started: bool },
}

/// The Lua function that steps an object's iteration for the encoder: `next` on
/// `work[d]` from the key in `work[d + 1]`, keeping the new key there (in Lua, where
/// numbers stay exact). It returns nothing at the end, else `true`, the key, the value,
/// and each of them again when it is a number (read as `f64`, which mlua reads exactly).
pub(super) const STEP: &str = "local next, type = next, type
return function(work, d)
  local k, v = next(work[d], work[d + 1])
  work[d + 1] = k
  if k == nil then return end
  return true, k, v, type(k) == 'number' and k or nil, type(v) == 'number' and v or nil
end";

impl Open {
    /// The values the C encoder keeps on its Lua stack for a table being written: the
    /// element for an array, the key and the value for an object.
    fn slots(&self) -> usize {
        match self {
            Open::Array { .. } => 1,
            Open::Object { .. } => 2,
        }
    }
}

struct Encoder<'a> {
    cfg: &'a Config,
    out: Vec<u8>,
    /// Tables being written, outermost first. The C encoder recurses; a vector keeps deep
    /// nesting off the Rust stack.
    open: Vec<Open>,
    /// Where the open tables wait: mlua references each take a slot of an auxiliary Lua
    /// stack that holds 8000 at most, so deep nesting cannot keep them in Rust.
    work: Table,
    /// [`STEP`].
    step: &'a Function,
    /// Values on the C encoder's Lua stack: the argument, and each open table's [`slots`].
    ///
    /// [`slots`]: Open::slots
    slots: usize,
}

/// Encodes `v` as JSON. `step` is [`STEP`], loaded.
pub(super) fn encode(lua: &Lua, cfg: &Config, step: &Function, v: &Value) -> mlua::Result<Vec<u8>> {
    let mut e = Encoder {
        cfg,
        out: Vec::new(),
        open: Vec::new(),
        work: lua.create_table()?,
        step,
        slots: 1,
    };
    e.value(v.clone())?;
    while let Some(&top) = e.open.last() {
        let depth = e.open.len();
        let next_value = match top {
            Open::Array { next, len } => {
                if next > len {
                    None
                } else {
                    if next > 1 {
                        e.out.push(b',');
                    }
                    e.open[depth - 1] = Open::Array {
                        next: next + 1,
                        len,
                    };
                    let t: Table = e.work.raw_get(2 * depth - 1)?;
                    Some(exact(&t, next, t.raw_get::<Value>(next)?))
                }
            }
            Open::Object { started } => {
                type Step = (Option<bool>, Value, Value, Option<f64>, Option<f64>);
                let (more, k, v, kn, vn): Step = e.step.call((&e.work, 2 * depth - 1))?;
                if more.is_none() {
                    None
                } else {
                    if started {
                        e.out.push(b',');
                    }
                    e.open[depth - 1] = Open::Object { started: true };
                    e.key(&kn.map_or(k, Value::Number))?;
                    Some(vn.map_or(v, Value::Number))
                }
            }
        };
        match next_value {
            Some(v) => e.value(v)?,
            None => {
                let done = e.open.pop().expect("an open table");
                e.slots -= done.slots();
                e.work.raw_set(2 * depth - 1, Value::Nil)?;
                e.work.raw_set(2 * depth, Value::Nil)?;
                e.out.push(match done {
                    Open::Array { .. } => b']',
                    Open::Object { .. } => b'}',
                });
            }
        }
    }
    Ok(e.out)
}

impl Encoder<'_> {
    /// Writes a scalar, or opens a table (its elements are written by [`encode`]'s loop).
    fn value(&mut self, v: Value) -> mlua::Result<()> {
        match v {
            Value::String(s) => self.string(&s.as_bytes()),
            Value::Number(n) => self.number(n)?,
            Value::Integer(i) => self.number(i as f64)?,
            Value::Boolean(b) => self
                .out
                .extend_from_slice(if b { b"true" } else { b"false" }),
            Value::Nil => self.out.extend_from_slice(b"null"),
            Value::LightUserData(p) if p.0.is_null() => self.out.extend_from_slice(b"null"),
            Value::Table(t) => self.table(t)?,
            other => return Err(cannot_serialise(&other, "type not supported")),
        }
        Ok(())
    }

    fn table(&mut self, t: Table) -> mlua::Result<()> {
        let depth = self.open.len() + 1;
        // The C encoder also needs three free slots on its Lua stack.
        if depth > self.cfg.encode_max_depth as usize || self.slots + 3 > MAX_C_STACK {
            return Err(error(format!(
                "Cannot serialise, excessive nesting ({depth})"
            )));
        }
        let open = match self.array_length(&t)? {
            Some(len) if len > 0 => {
                self.out.push(b'[');
                Open::Array { next: 1, len }
            }
            _ => {
                self.out.push(b'{');
                Open::Object { started: false }
            }
        };
        self.slots += open.slots();
        self.work.raw_set(2 * self.open.len() + 1, t)?;
        self.open.push(open);
        Ok(())
    }

    /// The array length of `t`: its largest key when every key is an integer from 1,
    /// `None` when it is an object. The largest key is kept in a C `int`, so a key from
    /// 2^31 makes it negative and the table an object, as in Redis.
    fn array_length(&self, t: &Table) -> mlua::Result<Option<usize>> {
        let (mut max, mut items) = (0i32, 0i32);
        for pair in t.pairs::<Value, Value>() {
            let k = match pair?.0 {
                Value::Number(k) => k,
                Value::Integer(k) => k as f64,
                _ => return Ok(None),
            };
            if k == 0.0 || k.floor() != k || k < 1.0 {
                return Ok(None);
            }
            if k > f64::from(max) {
                max = if k < 2_147_483_648.0 {
                    k as i32
                } else {
                    i32::MIN
                };
            }
            items = items.wrapping_add(1);
        }
        let cfg = self.cfg;
        if cfg.sparse_ratio > 0
            && max > items.wrapping_mul(cfg.sparse_ratio)
            && max > cfg.sparse_safe
        {
            if !cfg.sparse_convert {
                return Err(error("Cannot serialise table: excessively sparse array"));
            }
            return Ok(None);
        }
        Ok(usize::try_from(max).ok())
    }

    /// An object key and its colon: strings as they are, numbers quoted.
    fn key(&mut self, k: &Value) -> mlua::Result<()> {
        match k {
            Value::String(s) => self.string(&s.as_bytes()),
            Value::Number(_) | Value::Integer(_) => {
                let n = match k {
                    Value::Number(n) => *n,
                    Value::Integer(i) => *i as f64,
                    _ => unreachable!("a number"),
                };
                self.out.push(b'"');
                self.number(n)?;
                self.out.push(b'"');
            }
            other => {
                return Err(cannot_serialise(
                    other,
                    "table key must be a number or string",
                ))
            }
        }
        self.out.push(b':');
        Ok(())
    }

    fn string(&mut self, s: &[u8]) {
        self.out.push(b'"');
        for &b in s {
            match b {
                b'"' => self.out.extend_from_slice(b"\\\""),
                b'\\' => self.out.extend_from_slice(b"\\\\"),
                b'/' => self.out.extend_from_slice(b"\\/"),
                b'\x08' => self.out.extend_from_slice(b"\\b"),
                b'\t' => self.out.extend_from_slice(b"\\t"),
                b'\n' => self.out.extend_from_slice(b"\\n"),
                b'\x0c' => self.out.extend_from_slice(b"\\f"),
                b'\r' => self.out.extend_from_slice(b"\\r"),
                0..=0x1f | 0x7f => {
                    self.out.extend_from_slice(format!("\\u{b:04x}").as_bytes());
                }
                _ => self.out.push(b),
            }
        }
        self.out.push(b'"');
    }

    fn number(&mut self, n: f64) -> mlua::Result<()> {
        if !n.is_finite() {
            match self.cfg.encode_invalid_numbers {
                0 => {
                    return Err(cannot_serialise(
                        &Value::Number(n),
                        "must not be NaN or Inf",
                    ))
                }
                // "nan" whatever its sign; infinities as printf writes them.
                1 if n.is_nan() => {
                    self.out.extend_from_slice(b"nan");
                    return Ok(());
                }
                1 => {}
                _ => {
                    self.out.extend_from_slice(b"null");
                    return Ok(());
                }
            }
        }
        self.out
            .extend_from_slice(format_g(n, self.cfg.number_precision as usize).as_bytes());
        Ok(())
    }
}

/// "Cannot serialise <type>: <reason>".
fn cannot_serialise(v: &Value, reason: &str) -> mlua::Error {
    error(format!("Cannot serialise {}: {reason}", type_name(v)))
}
