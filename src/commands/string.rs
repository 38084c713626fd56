//! String commands: GET SET (all options) SETNX SETEX PSETEX GETSET GETDEL GETEX MGET MSET
//! MSETNX APPEND STRLEN GETRANGE SUBSTR SETRANGE INCR DECR INCRBY DECRBY INCRBYFLOAT.

use super::{int_arg, is, Ctx};
use crate::store::{Event, RString, Ttl, Value};
use crate::util::long_double::{LongDouble, NotFinite};

/// GET key
pub fn get(ctx: &mut Ctx, argv: &[&[u8]]) {
    match ctx.read_string(argv[1]) {
        Err(_) => {}
        Ok(None) => ctx.out.null(),
        Ok(Some(RString::Int(n))) => {
            let n = *n;
            ctx.out.bulk_int(n)
        }
        Ok(Some(s)) => {
            let bytes = s.as_bytes().into_owned();
            ctx.out.bulk(&bytes)
        }
    }
}

/// The unit of an expire option.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Unit {
    Seconds,
    Millis,
    UnixSeconds,
    UnixMillis,
}

impl Unit {
    fn from_option(opt: &[u8]) -> Option<Unit> {
        if is(opt, "ex") {
            Some(Unit::Seconds)
        } else if is(opt, "px") {
            Some(Unit::Millis)
        } else if is(opt, "exat") {
            Some(Unit::UnixSeconds)
        } else if is(opt, "pxat") {
            Some(Unit::UnixMillis)
        } else {
            None
        }
    }
}

/// Parses an expire amount into a Unix ms deadline, with Redis's errors.
fn deadline(ctx: &mut Ctx, raw: &[u8], unit: Unit, command: &str) -> Option<u64> {
    let v = int_arg(ctx.out, raw)?;
    let now = ctx.now_ms() as i64;
    let at = match unit {
        _ if v <= 0 => None,
        Unit::Seconds => v.checked_mul(1000).and_then(|ms| ms.checked_add(now)),
        Unit::Millis => v.checked_add(now),
        Unit::UnixSeconds => v.checked_mul(1000),
        Unit::UnixMillis => Some(v),
    };
    match at {
        Some(at) if at > 0 => Some(at as u64),
        _ => {
            ctx.out
                .err(&format!("invalid expire time in '{command}' command"));
            None
        }
    }
}

/// The expire options SET and GETEX share, as parsed so far.
#[derive(Default)]
struct ExpireOptions<'a> {
    /// EX / PX / EXAT / PXAT with its raw amount.
    at: Option<(Unit, &'a [u8])>,
    /// KEEPTTL (SET) or PERSIST (GETEX): excludes the others.
    keep_or_persist: bool,
}

impl<'a> ExpireOptions<'a> {
    /// Tries `argv[*i]` as an expire option (`flag` is KEEPTTL or PERSIST). Returns
    /// Some(true) if it was one (advancing past its amount), Some(false) if it is not an
    /// expire option, None on a conflict (a syntax error, as in Redis).
    fn take(&mut self, argv: &[&'a [u8]], i: &mut usize, flag: &str) -> Option<bool> {
        let opt = argv[*i];
        if is(opt, flag) {
            if self.at.is_some() {
                return None;
            }
            self.keep_or_persist = true;
            return Some(true);
        }
        match (Unit::from_option(opt), argv.get(*i + 1)) {
            (Some(unit), Some(&amount)) => {
                // The same option may repeat (the last wins); different ones conflict.
                if self.keep_or_persist || self.at.is_some_and(|(u, _)| u != unit) {
                    return None;
                }
                self.at = Some((unit, amount));
                *i += 1;
                Some(true)
            }
            _ => Some(false),
        }
    }
}

/// The bytes of a string value, for replies that need them owned.
fn bytes_of(s: &RString) -> Vec<u8> {
    s.as_bytes().into_owned()
}

/// SET key value [NX|XX] [GET] [EX s|PX ms|EXAT ts|PXAT ts-ms|KEEPTTL]
pub fn set(ctx: &mut Ctx, argv: &[&[u8]]) {
    let (key, value) = (argv[1], argv[2]);
    let (mut nx, mut xx, mut get) = (false, false, false);
    let mut expire = ExpireOptions::default();
    let mut i = 3;
    while i < argv.len() {
        let opt = argv[i];
        if is(opt, "nx") && !xx {
            nx = true;
        } else if is(opt, "xx") && !nx {
            xx = true;
        } else if is(opt, "get") {
            get = true;
        } else if expire.take(argv, &mut i, "keepttl") != Some(true) {
            return ctx.syntax_error();
        }
        i += 1;
    }
    let ttl = match expire.at {
        Some((unit, raw)) => match deadline(ctx, raw, unit, "set") {
            Some(at) => Ttl::At(at),
            None => return,
        },
        None if expire.keep_or_persist => Ttl::Keep,
        None => Ttl::Clear,
    };
    if !(nx || xx || get) {
        ctx.store
            .overwrite(ctx.db, key, Value::string(value), ttl, Event::Set, 1);
        record_deadline(ctx, key, value, ttl);
        return ctx.out.ok();
    }
    // Without GET, SET replaces a value of any type; only GET needs the old one a string.
    let exists = if get {
        let old = match ctx.write_string(key) {
            Err(_) => return,
            Ok(old) => old.map(|s| bytes_of(s)),
        };
        match &old {
            None => ctx.out.null(),
            Some(b) => ctx.out.bulk(b),
        }
        old.is_some()
    } else {
        ctx.store.lookup_write(ctx.db, key).is_some()
    };
    if (nx && exists) || (xx && !exists) {
        if !get {
            ctx.out.null();
        }
        return;
    }
    store_string(ctx, key, value, ttl);
    if !get {
        ctx.out.ok();
    }
}

/// Stores a string as the SET family does: recorded as `set` (and `expire` with a
/// deadline), one write.
fn store_string(ctx: &mut Ctx, key: &[u8], value: &[u8], ttl: Ttl) {
    ctx.store
        .insert(ctx.db, key, Value::string(value), ttl, Event::Set, 1);
    record_deadline(ctx, key, value, ttl);
}

/// A SET with a deadline also reports `expire`, as Redis does, and is propagated with the
/// absolute deadline (`SET key value PXAT ms`), so a replica or a replayed log expires the
/// key when the original did, however late it runs.
#[inline]
fn record_deadline(ctx: &mut Ctx, key: &[u8], value: &[u8], ttl: Ttl) {
    if let Ttl::At(at) = ttl {
        record_expiry(ctx, key, value, at);
    }
}

/// The slow half of [`record_deadline`], kept out of line so a plain SET pays one test.
#[inline(never)]
fn record_expiry(ctx: &mut Ctx, key: &[u8], value: &[u8], at: u64) {
    ctx.record(key, Event::Expire, 0);
    let at = at.to_string();
    ctx.rewrite_argv(&[b"SET", key, value, b"PXAT", at.as_bytes()]);
}

/// SETNX key value
pub fn setnx(ctx: &mut Ctx, argv: &[&[u8]]) {
    if ctx.store.exists(ctx.db, argv[1]) {
        ctx.out.int(0);
        return;
    }
    store_string(ctx, argv[1], argv[2], Ttl::Clear);
    ctx.out.int(1);
}

fn setex_generic(ctx: &mut Ctx, argv: &[&[u8]], unit: Unit, name: &str) {
    let Some(at) = deadline(ctx, argv[2], unit, name) else {
        return;
    };
    store_string(ctx, argv[1], argv[3], Ttl::At(at));
    ctx.out.ok();
}

/// SETEX key seconds value
pub fn setex(ctx: &mut Ctx, argv: &[&[u8]]) {
    setex_generic(ctx, argv, Unit::Seconds, "setex");
}

/// PSETEX key milliseconds value
pub fn psetex(ctx: &mut Ctx, argv: &[&[u8]]) {
    setex_generic(ctx, argv, Unit::Millis, "psetex");
}

/// GETSET key value
pub fn getset(ctx: &mut Ctx, argv: &[&[u8]]) {
    let old = match ctx.write_string(argv[1]) {
        Err(_) => return,
        Ok(old) => old.map(|s| bytes_of(s)),
    };
    store_string(ctx, argv[1], argv[2], Ttl::Clear);
    match old {
        None => ctx.out.null(),
        Some(b) => ctx.out.bulk(&b),
    }
}

/// GETDEL key
pub fn getdel(ctx: &mut Ctx, argv: &[&[u8]]) {
    let old = match ctx.read_string(argv[1]) {
        Err(_) => return,
        Ok(old) => old.map(|s| bytes_of(s)),
    };
    match old {
        None => ctx.out.null(),
        Some(b) => {
            ctx.store.delete(ctx.db, argv[1]);
            // Replicas delete it: as DEL, or UNLINK under lazyfree-lazy-user-del.
            let del: &[u8] = if ctx.srv.config.lazyfree_lazy_user_del {
                b"UNLINK"
            } else {
                b"DEL"
            };
            ctx.rewrite_argv(&[del, argv[1]]);
            ctx.out.bulk(&b);
        }
    }
}

/// GETEX key [EX s|PX ms|EXAT ts|PXAT ts-ms|PERSIST]
pub fn getex(ctx: &mut Ctx, argv: &[&[u8]]) {
    let key = argv[1];
    let mut expire = ExpireOptions::default();
    let mut i = 2;
    while i < argv.len() {
        if expire.take(argv, &mut i, "persist") != Some(true) {
            return ctx.syntax_error();
        }
        i += 1;
    }
    let persist = expire.keep_or_persist;
    let at = match expire.at {
        Some((unit, raw)) => match deadline(ctx, raw, unit, "getex") {
            Some(at) => Some(at),
            None => return,
        },
        None => None,
    };
    let value = match ctx.read_string(key) {
        Err(_) => return,
        Ok(None) => return ctx.out.null(),
        Ok(Some(s)) => bytes_of(s),
    };
    // Propagated as what it did, with an absolute deadline, as Redis does.
    if let Some(at) = at {
        if at <= ctx.now_ms() {
            ctx.store.delete(ctx.db, key);
            ctx.rewrite_argv(&[ctx.srv.deletion_command(), key]);
        } else {
            ctx.store.set_deadline(ctx.db, key, Some(at), 1);
            let at = at.to_string();
            ctx.rewrite_argv(&[b"PEXPIREAT", key, at.as_bytes()]);
        }
    } else if persist && ctx.store.db(ctx.db).deadline(key).is_some() {
        ctx.store.set_deadline(ctx.db, key, None, 1);
        ctx.rewrite_argv(&[b"PERSIST", key]);
    }
    ctx.out.bulk(&value);
}

/// MGET key [key ...]: nil for missing keys and keys of other types.
pub fn mget(ctx: &mut Ctx, argv: &[&[u8]]) {
    ctx.out.array(argv.len() - 1);
    for key in &argv[1..] {
        match ctx.store.lookup_read(ctx.db, key) {
            Some(Value::Str(s)) => {
                let b = bytes_of(s);
                ctx.out.bulk(&b);
            }
            _ => ctx.out.null(),
        }
    }
}

/// MSET key value [key value ...]
pub fn mset(ctx: &mut Ctx, argv: &[&[u8]]) {
    if argv.len().is_multiple_of(2) {
        return ctx.out.err("wrong number of arguments for 'mset' command");
    }
    for pair in argv[1..].chunks(2) {
        store_string(ctx, pair[0], pair[1], Ttl::Clear);
    }
    ctx.out.ok();
}

/// MSETNX key value [key value ...]: all or none.
pub fn msetnx(ctx: &mut Ctx, argv: &[&[u8]]) {
    if argv.len().is_multiple_of(2) {
        return ctx
            .out
            .err("wrong number of arguments for 'msetnx' command");
    }
    if argv[1..].chunks(2).any(|p| ctx.store.exists(ctx.db, p[0])) {
        return ctx.out.int(0);
    }
    for pair in argv[1..].chunks(2) {
        store_string(ctx, pair[0], pair[1], Ttl::Clear);
    }
    ctx.out.int(1);
}

/// Whether a string of `len` bytes is allowed (proto-max-bulk-len); replies the error if not.
fn check_length(ctx: &mut Ctx, len: u64) -> bool {
    if len > ctx.srv.config.proto_max_bulk_len as u64 {
        ctx.out
            .err("string exceeds maximum allowed size (proto-max-bulk-len)");
        return false;
    }
    true
}

/// APPEND key value
pub fn append(ctx: &mut Ctx, argv: &[&[u8]]) {
    let (key, tail) = (argv[1], argv[2]);
    let current_len = match ctx.write_string(key) {
        Err(_) => return,
        Ok(s) => s.map(|s| s.len()),
    };
    let Some(current_len) = current_len else {
        ctx.store.insert(
            ctx.db,
            key,
            Value::string(tail),
            Ttl::Keep,
            Event::Append,
            1,
        );
        return ctx.out.int(tail.len() as i64);
    };
    if !check_length(ctx, (current_len + tail.len()) as u64) {
        return;
    }
    let Ok(Some(s)) = ctx.write_string(key) else {
        unreachable!("checked above")
    };
    let buf = s.make_raw();
    buf.extend_from_slice(tail);
    let n = buf.len() as i64;
    ctx.record(key, Event::Append, 1);
    ctx.out.int(n);
}

/// STRLEN key
pub fn strlen(ctx: &mut Ctx, argv: &[&[u8]]) {
    match ctx.read_string(argv[1]) {
        Err(_) => {}
        Ok(s) => {
            let n = s.map_or(0, |s| s.len());
            ctx.out.int(n as i64)
        }
    }
}

/// GETRANGE key start end (and SUBSTR)
pub fn getrange(ctx: &mut Ctx, argv: &[&[u8]]) {
    let Some(mut start) = int_arg(ctx.out, argv[2]) else {
        return;
    };
    let Some(mut end) = int_arg(ctx.out, argv[3]) else {
        return;
    };
    let value = match ctx.read_string(argv[1]) {
        Err(_) => return,
        Ok(None) => return ctx.out.bulk(b""),
        Ok(Some(s)) => bytes_of(s),
    };
    let len = value.len() as i64;
    if start < 0 && end < 0 && start > end {
        return ctx.out.bulk(b"");
    }
    if start < 0 {
        start += len;
    }
    if end < 0 {
        end += len;
    }
    start = start.max(0);
    end = end.max(0);
    if end >= len {
        end = len - 1;
    }
    if start > end || len == 0 {
        return ctx.out.bulk(b"");
    }
    ctx.out.bulk(&value[start as usize..=end as usize]);
}

/// SETRANGE key offset value
pub fn setrange(ctx: &mut Ctx, argv: &[&[u8]]) {
    let (key, patch) = (argv[1], argv[3]);
    let Some(offset) = int_arg(ctx.out, argv[2]) else {
        return;
    };
    if offset < 0 {
        return ctx.out.err("offset is out of range");
    }
    let current_len = match ctx.write_string(key) {
        Err(_) => return,
        Ok(s) => s.map(|s| s.len()),
    };
    if patch.is_empty() {
        return ctx.out.int(current_len.unwrap_or(0) as i64);
    }
    let Some(end) = (offset as u64).checked_add(patch.len() as u64) else {
        return ctx
            .out
            .err("string exceeds maximum allowed size (proto-max-bulk-len)");
    };
    if !check_length(ctx, end) {
        return;
    }
    let s = match ctx
        .store
        .get_or_create(ctx.db, key, || Value::Str(RString::Raw(Box::default())))
    {
        Value::Str(s) => s,
        _ => unreachable!("checked above"),
    };
    let buf = s.make_raw();
    let (offset, end) = (offset as usize, end as usize);
    if buf.len() < end {
        buf.resize(end, 0);
    }
    buf[offset..end].copy_from_slice(patch);
    let n = buf.len() as i64;
    ctx.record(key, Event::SetRange, 1);
    ctx.out.int(n);
}

/// INCR / DECR / INCRBY / DECRBY on a key.
fn incr_by(ctx: &mut Ctx, key: &[u8], delta: i64) {
    let current = match ctx.write_string(key) {
        Err(_) => return,
        Ok(None) => 0,
        Ok(Some(s)) => match s.as_int() {
            Some(n) => n,
            None => return ctx.out.err("value is not an integer or out of range"),
        },
    };
    let Some(n) = current.checked_add(delta) else {
        return ctx.out.err("increment or decrement would overflow");
    };
    match ctx.write_string(key) {
        Ok(Some(s)) => {
            *s = RString::Int(n);
            ctx.record(key, Event::IncrBy, 1);
        }
        _ => ctx.store.insert(
            ctx.db,
            key,
            Value::Str(RString::Int(n)),
            Ttl::Keep,
            Event::IncrBy,
            1,
        ),
    }
    ctx.out.int(n);
}

/// INCR key
pub fn incr(ctx: &mut Ctx, argv: &[&[u8]]) {
    incr_by(ctx, argv[1], 1);
}

/// DECR key
pub fn decr(ctx: &mut Ctx, argv: &[&[u8]]) {
    incr_by(ctx, argv[1], -1);
}

/// INCRBY key increment
pub fn incrby(ctx: &mut Ctx, argv: &[&[u8]]) {
    if let Some(d) = int_arg(ctx.out, argv[2]) {
        incr_by(ctx, argv[1], d);
    }
}

/// DECRBY key decrement
pub fn decrby(ctx: &mut Ctx, argv: &[&[u8]]) {
    let Some(d) = int_arg(ctx.out, argv[2]) else {
        return;
    };
    if d == i64::MIN {
        return ctx.out.err("decrement would overflow");
    }
    incr_by(ctx, argv[1], -d);
}

/// INCRBYFLOAT key increment: in `long double`, as Redis (see [`LongDouble`]).
pub fn incrbyfloat(ctx: &mut Ctx, argv: &[&[u8]]) {
    let key = argv[1];
    let current = match ctx.write_string(key) {
        Err(_) => return,
        Ok(None) => b"0".to_vec(),
        Ok(Some(s)) => bytes_of(s),
    };
    // Infinite operands parse, but give no finite sum.
    let mut operands = [None, None];
    for (slot, raw) in operands.iter_mut().zip([&current[..], argv[2]]) {
        match LongDouble::parse(raw) {
            Ok(v) => *slot = Some(v),
            Err(NotFinite::Infinite) => {}
            Err(NotFinite::Invalid) => return ctx.out.err("value is not a valid float"),
        }
    }
    let sum = match operands {
        [Some(a), Some(b)] => a.plus(b),
        _ => None,
    };
    let Some(sum) = sum else {
        return ctx.out.err("increment would produce NaN or Infinity");
    };
    let text = sum.to_human();
    match ctx.write_string(key) {
        Ok(Some(s)) => {
            *s = RString::plain(text.as_bytes());
            ctx.record(key, Event::IncrByFloat, 1);
        }
        _ => ctx.store.insert(
            ctx.db,
            key,
            Value::Str(RString::plain(text.as_bytes())),
            Ttl::Keep,
            Event::IncrByFloat,
            1,
        ),
    }
    // A replica must not redo the float arithmetic: it gets the result.
    ctx.rewrite_argv(&[b"SET", key, text.as_bytes(), b"KEEPTTL"]);
    ctx.out.bulk(text.as_bytes());
}

/// Parses a float as Redis's string2ld: no surrounding spaces, no trailing junk, not NaN.
pub fn parse_float(b: &[u8]) -> Option<f64> {
    let s = std::str::from_utf8(b).ok()?;
    if s.is_empty() || s.starts_with(char::is_whitespace) || s.ends_with(char::is_whitespace) {
        return None;
    }
    let v: f64 = s.parse().ok()?;
    (!v.is_nan()).then_some(v)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn floats_parse_like_string2ld() {
        assert_eq!(parse_float(b"1.5"), Some(1.5));
        assert_eq!(parse_float(b" 1"), None);
        assert_eq!(parse_float(b"1x"), None);
        assert_eq!(parse_float(b"nan"), None);
        assert_eq!(parse_float(b""), None);
        assert_eq!(parse_float(b"inf"), Some(f64::INFINITY));
    }
}
