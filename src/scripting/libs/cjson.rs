//! `cjson`: Lua CJSON 2.1.0 as Redis 7.0 ships it: `cjson.encode`, `cjson.decode`, their
//! settings, `cjson.null` and `cjson.new` (a table with settings of its own).
//!
//! The encoder and the decoder are in [`encode`] and [`decode`]; this file holds the
//! module table and the settings functions.

mod decode;
mod encode;

use std::cell::RefCell;
use std::rc::Rc;

use mlua::{Function, LightUserData, Lua, Result, Table, Value};

use super::{lib_function, Args};

/// The settings one cjson table's functions share (`json_config_t`).
#[derive(Clone, Debug)]
pub(crate) struct Config {
    /// Encode excessively sparse arrays as objects instead of failing.
    sparse_convert: bool,
    /// An array is excessively sparse when its largest index is above this many times its
    /// number of elements (0: never)...
    sparse_ratio: i32,
    /// ... and above this.
    sparse_safe: i32,
    encode_max_depth: i32,
    decode_max_depth: i32,
    /// NaN and infinities: 0 refuses them, 1 writes `nan`/`inf`, 2 writes `null`.
    encode_invalid_numbers: usize,
    /// Accept hexadecimal numbers, `inf`, `nan` and a leading `+` when decoding.
    decode_invalid_numbers: bool,
    /// Reuse one encoding buffer. Only reported back: Rust's buffers are the allocator's.
    encode_keep_buffer: bool,
    /// Significant digits of numbers (`%.14g`).
    number_precision: i32,
}

impl Default for Config {
    fn default() -> Self {
        Config {
            sparse_convert: false,
            sparse_ratio: 2,
            sparse_safe: 10,
            encode_max_depth: 1000,
            decode_max_depth: 1000,
            encode_invalid_numbers: 0,
            decode_invalid_numbers: true,
            encode_keep_buffer: true,
            number_precision: 14,
        }
    }
}

type Shared = Rc<RefCell<Config>>;

/// `cjson.null`: a NULL light userdata, which decoding gives for JSON null.
pub(crate) fn null() -> Value {
    Value::LightUserData(LightUserData(std::ptr::null_mut()))
}

/// A new cjson table with default settings (the global one, and what `cjson.new` gives).
pub(super) fn module(lua: &Lua) -> Result<Table> {
    let cfg: Shared = Rc::default();
    let t = lua.create_table()?;
    let reg = |name: &str, f: fn(&Args, &Shared) -> Result<Vec<Value>>| -> Result<()> {
        let cfg = cfg.clone();
        t.set(name, lib_function(lua, move |args| f(args, &cfg))?)
    };
    let step: Function = lua.load(encode::STEP).set_name("=cjson").call(())?;
    let encode_cfg = cfg.clone();
    let encode = lib_function(lua, move |args| {
        if args.len() != 1 {
            return Err(args.arg_error(1, "expected 1 argument"));
        }
        let cfg = encode_cfg.borrow().clone();
        let json = encode::encode(args.lua(), &cfg, &step, &args.get(1))?;
        Ok(vec![Value::String(args.lua().create_string(json)?)])
    })?;
    t.set("encode", encode)?;
    reg("decode", |args, cfg| {
        if args.len() != 1 {
            return Err(args.arg_error(1, "expected 1 argument"));
        }
        let cfg = cfg.borrow().clone();
        let json = args.check_bytes(1)?;
        Ok(vec![decode::decode(args.lua(), &cfg, &json)?])
    })?;
    reg("encode_sparse_array", |args, cfg| {
        arg_count(args, 3)?;
        let c = &mut *cfg.borrow_mut();
        Ok(vec![
            bool_option(args, 1, &mut c.sparse_convert)?,
            integer_option(args, 2, &mut c.sparse_ratio, 0, i32::MAX)?,
            integer_option(args, 3, &mut c.sparse_safe, 0, i32::MAX)?,
        ])
    })?;
    reg("encode_max_depth", |args, cfg| {
        arg_count(args, 1)?;
        let v = integer_option(args, 1, &mut cfg.borrow_mut().encode_max_depth, 1, i32::MAX)?;
        Ok(vec![v])
    })?;
    reg("decode_max_depth", |args, cfg| {
        arg_count(args, 1)?;
        let v = integer_option(args, 1, &mut cfg.borrow_mut().decode_max_depth, 1, i32::MAX)?;
        Ok(vec![v])
    })?;
    reg("encode_number_precision", |args, cfg| {
        arg_count(args, 1)?;
        let v = integer_option(args, 1, &mut cfg.borrow_mut().number_precision, 1, 14)?;
        Ok(vec![v])
    })?;
    reg("encode_keep_buffer", |args, cfg| {
        arg_count(args, 1)?;
        Ok(vec![bool_option(
            args,
            1,
            &mut cfg.borrow_mut().encode_keep_buffer,
        )?])
    })?;
    reg("encode_invalid_numbers", |args, cfg| {
        arg_count(args, 1)?;
        let setting = &mut cfg.borrow_mut().encode_invalid_numbers;
        Ok(vec![enum_option(args, 1, setting, &["off", "on", "null"])?])
    })?;
    reg("decode_invalid_numbers", |args, cfg| {
        arg_count(args, 1)?;
        Ok(vec![bool_option(
            args,
            1,
            &mut cfg.borrow_mut().decode_invalid_numbers,
        )?])
    })?;
    t.set(
        "new",
        lib_function(lua, |args| Ok(vec![Value::Table(module(args.lua())?)]))?,
    )?;
    t.set("null", null())?;
    t.set("_NAME", "cjson")?;
    t.set("_VERSION", "2.1.0")?;
    Ok(t)
}

/// A settings function takes at most `n` arguments.
fn arg_count(args: &Args, n: usize) -> Result<()> {
    if args.len() > n {
        return Err(args.arg_error(n as i64 + 1, "found too many arguments"));
    }
    Ok(())
}

/// An integer setting: argument `i` (when not nil) must be in `min..=max`; the setting is
/// returned. Out of range is always reported against argument 1, as Redis does.
fn integer_option(args: &Args, i: usize, setting: &mut i32, min: i32, max: i32) -> Result<Value> {
    if !matches!(args.get(i), Value::Nil) {
        // luaL_checkinteger's result lands in a C int.
        let value = args.check_integer(i)? as i32;
        if !(min <= value && value <= max) {
            let msg = format!("expected integer between {min} and {max}");
            return Err(args.arg_error(1, &msg));
        }
        *setting = value;
    }
    Ok(Value::Number(f64::from(*setting)))
}

/// An on/off setting: a boolean, or "off"/"on".
fn bool_option(args: &Args, i: usize, setting: &mut bool) -> Result<Value> {
    let mut index = usize::from(*setting);
    enum_option(args, i, &mut index, &["off", "on"])?;
    *setting = index == 1;
    Ok(Value::Boolean(*setting))
}

/// A setting chosen among `options` by name, or by a boolean (false is the first option,
/// true the second). It is returned as a boolean when it is one of the first two.
fn enum_option(args: &Args, i: usize, setting: &mut usize, options: &[&str]) -> Result<Value> {
    match args.get(i) {
        Value::Nil => {}
        Value::Boolean(b) => *setting = usize::from(b),
        _ => {
            // luaL_checkoption
            let name = args.check_bytes(i)?;
            match options.iter().position(|o| o.as_bytes() == name) {
                Some(index) => *setting = index,
                None => {
                    let msg = format!("invalid option '{}'", String::from_utf8_lossy(&name));
                    return Err(args.arg_error(i as i64, &msg));
                }
            }
        }
    }
    if *setting <= 1 {
        Ok(Value::Boolean(*setting == 1))
    } else {
        Ok(Value::String(args.lua().create_string(options[*setting])?))
    }
}

#[cfg(test)]
mod tests;
