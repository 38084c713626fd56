//! String commands.

use super::{is, Ctx};
use crate::protocol::parse::parse_i64;
use crate::store::{Ttl, Value};

/// GET key
pub fn get(ctx: &mut Ctx, argv: &[&[u8]]) {
    match ctx.store.lookup_read(ctx.db, argv[1]) {
        None => ctx.out.null(),
        Some(Value::Str(s)) => ctx.out.bulk(&s.as_bytes()),
    }
}

/// Which existing-key condition a SET carries.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Condition {
    Always,
    /// NX: only if absent.
    IfAbsent,
    /// XX: only if present.
    IfPresent,
}

/// How a SET sets the time to live.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Expiry {
    /// No option: the key loses any TTL.
    Clear,
    Keep,
    /// EX / PX / EXAT / PXAT, already converted to a Unix ms deadline.
    At(u64),
}

/// The unit of an expire option.
#[derive(Clone, Copy)]
enum Unit {
    Seconds,
    Millis,
    UnixSeconds,
    UnixMillis,
}

/// Parses an expire amount into a Unix ms deadline, with Redis's errors.
fn deadline(ctx: &mut Ctx, raw: &[u8], unit: Unit, command: &str) -> Option<u64> {
    let Some(v) = parse_i64(raw) else {
        ctx.out.err("value is not an integer or out of range");
        return None;
    };
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

/// SET key value [NX|XX] [GET] [EX s|PX ms|EXAT ts|PXAT ts-ms|KEEPTTL]
pub fn set(ctx: &mut Ctx, argv: &[&[u8]]) {
    let (key, value) = (argv[1], argv[2]);
    let mut condition = Condition::Always;
    let mut get = false;
    let mut expiry_opt: Option<(Unit, &[u8])> = None;
    let mut keep_ttl = false;
    let mut i = 3;
    while i < argv.len() {
        let opt = argv[i];
        let next = argv.get(i + 1).copied();
        let unit = if is(opt, "ex") {
            Some(Unit::Seconds)
        } else if is(opt, "px") {
            Some(Unit::Millis)
        } else if is(opt, "exat") {
            Some(Unit::UnixSeconds)
        } else if is(opt, "pxat") {
            Some(Unit::UnixMillis)
        } else {
            None
        };
        if is(opt, "nx") && condition != Condition::IfPresent {
            condition = Condition::IfAbsent;
        } else if is(opt, "xx") && condition != Condition::IfAbsent {
            condition = Condition::IfPresent;
        } else if is(opt, "get") {
            get = true;
        } else if is(opt, "keepttl") && expiry_opt.is_none() {
            keep_ttl = true;
        } else if let (Some(unit), Some(amount)) = (unit, next) {
            let same_kind = match expiry_opt {
                None => true,
                Some((u, _)) => std::mem::discriminant(&u) == std::mem::discriminant(&unit),
            };
            if keep_ttl || !same_kind {
                return ctx.syntax_error();
            }
            expiry_opt = Some((unit, amount));
            i += 1;
        } else {
            return ctx.syntax_error();
        }
        i += 1;
    }
    let expiry = match expiry_opt {
        Some((unit, raw)) => match deadline(ctx, raw, unit, "set") {
            Some(at) => Expiry::At(at),
            None => return,
        },
        None if keep_ttl => Expiry::Keep,
        None => Expiry::Clear,
    };
    let existing = ctx.store.lookup_write(ctx.db, key);
    let found = existing.is_some();
    if get {
        match existing {
            None => ctx.out.null(),
            Some(Value::Str(s)) => ctx.out.bulk(&s.as_bytes()),
        }
    }
    if (condition == Condition::IfAbsent && found) || (condition == Condition::IfPresent && !found)
    {
        if !get {
            ctx.out.null();
        }
        return;
    }
    let ttl = match expiry {
        Expiry::Clear => Ttl::Clear,
        Expiry::Keep => Ttl::Keep,
        Expiry::At(at) => Ttl::At(at),
    };
    ctx.store.dbs[ctx.db].insert(key, Value::string(value), ttl);
    ctx.signal_modified(key, 1);
    if !get {
        ctx.out.ok();
    }
}
