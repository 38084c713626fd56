//! Time to live: EXPIRE PEXPIRE EXPIREAT PEXPIREAT (NX XX GT LT), TTL PTTL EXPIRETIME
//! PEXPIRETIME PERSIST.

use super::{is, Ctx};
use crate::protocol::parse::parse_i64;

/// How an EXPIRE-family command reads its number.
#[derive(Clone, Copy)]
enum When {
    RelativeSeconds,
    RelativeMillis,
    UnixSeconds,
    UnixMillis,
}

/// EXPIRE's options. A key without a deadline counts as expiring infinitely late.
#[derive(Clone, Copy, Default)]
struct Conditions {
    /// NX: only keys without a deadline.
    nx: bool,
    /// XX: only keys with one.
    xx: bool,
    /// GT: only later than the current deadline.
    gt: bool,
    /// LT: only earlier than the current deadline.
    lt: bool,
}

impl Conditions {
    fn allow(self, current: Option<i64>, new: i64) -> bool {
        !(self.nx && current.is_some()
            || self.xx && current.is_none()
            || self.gt && current.is_none_or(|c| new <= c)
            || self.lt && current.is_some_and(|c| new >= c))
    }
}

fn parse_conditions(ctx: &mut Ctx, opts: &[&[u8]]) -> Option<Conditions> {
    let mut c = Conditions::default();
    for o in opts {
        if is(o, "nx") {
            c.nx = true;
        } else if is(o, "xx") {
            c.xx = true;
        } else if is(o, "gt") {
            c.gt = true;
        } else if is(o, "lt") {
            c.lt = true;
        } else {
            let mut msg = b"ERR Unsupported option ".to_vec();
            msg.extend_from_slice(o);
            ctx.out.error_bytes(&msg);
            return None;
        }
    }
    if c.nx && (c.xx || c.gt || c.lt) {
        ctx.out
            .err("NX and XX, GT or LT options at the same time are not compatible");
        return None;
    }
    if c.gt && c.lt {
        ctx.out
            .err("GT and LT options at the same time are not compatible");
        return None;
    }
    Some(c)
}

fn expire_generic(ctx: &mut Ctx, argv: &[&[u8]], when: When, name: &str) {
    let key = argv[1];
    let Some(conditions) = parse_conditions(ctx, &argv[3..]) else {
        return;
    };
    let Some(amount) = parse_i64(argv[2]) else {
        ctx.out.err("value is not an integer or out of range");
        return;
    };
    let now = ctx.now_ms() as i64;
    let deadline = match when {
        When::RelativeSeconds => amount.checked_mul(1000).and_then(|ms| ms.checked_add(now)),
        When::RelativeMillis => amount.checked_add(now),
        When::UnixSeconds => amount.checked_mul(1000),
        When::UnixMillis => Some(amount),
    };
    let Some(deadline) = deadline else {
        ctx.out
            .err(&format!("invalid expire time in '{name}' command"));
        return;
    };
    if ctx.store.lookup_write(ctx.db, key).is_none() {
        ctx.out.int(0);
        return;
    }
    let current = ctx.store.db(ctx.db).deadline(key).map(|d| d as i64);
    if !conditions.allow(current, deadline) {
        ctx.out.int(0);
        return;
    }
    if deadline <= now {
        // Already in the past: the key goes now, and goes as a deletion everywhere.
        ctx.store.delete(ctx.db, key);
        ctx.rewrite_argv(&[ctx.srv.deletion_command(), key]);
    } else {
        ctx.store
            .set_deadline(ctx.db, key, Some(deadline as u64), 1);
        // Relative times would drift on a replica or in a replayed log.
        // (Redis keeps the condition arguments that follow.)
        let at = deadline.to_string();
        let mut rewritten = argv.to_vec();
        rewritten[0] = b"PEXPIREAT";
        rewritten[2] = at.as_bytes();
        ctx.rewrite_argv(&rewritten);
    }
    ctx.out.int(1);
}

/// EXPIRE key seconds [NX|XX|GT|LT]
pub fn expire(ctx: &mut Ctx, argv: &[&[u8]]) {
    expire_generic(ctx, argv, When::RelativeSeconds, "expire");
}

/// PEXPIRE key milliseconds [NX|XX|GT|LT]
pub fn pexpire(ctx: &mut Ctx, argv: &[&[u8]]) {
    expire_generic(ctx, argv, When::RelativeMillis, "pexpire");
}

/// EXPIREAT key unix-time-seconds [NX|XX|GT|LT]
pub fn expireat(ctx: &mut Ctx, argv: &[&[u8]]) {
    expire_generic(ctx, argv, When::UnixSeconds, "expireat");
}

/// PEXPIREAT key unix-time-milliseconds [NX|XX|GT|LT]
pub fn pexpireat(ctx: &mut Ctx, argv: &[&[u8]]) {
    expire_generic(ctx, argv, When::UnixMillis, "pexpireat");
}

/// What TTL-style commands report.
#[derive(Clone, Copy)]
enum Report {
    RemainingSeconds,
    RemainingMillis,
    DeadlineSeconds,
    DeadlineMillis,
}

fn ttl_generic(ctx: &mut Ctx, argv: &[&[u8]], report: Report) {
    // Counted as a hit or miss, but not an access (Redis's LOOKUP_NOTOUCH).
    if ctx.store.lookup_peek(ctx.db, argv[1]).is_none() {
        ctx.out.int(-2);
        return;
    }
    let Some(deadline) = ctx.store.db(ctx.db).deadline(argv[1]) else {
        ctx.out.int(-1);
        return;
    };
    let remaining = deadline.saturating_sub(ctx.now_ms()) as i64;
    let n = match report {
        Report::RemainingSeconds => (remaining + 500) / 1000,
        Report::RemainingMillis => remaining,
        Report::DeadlineSeconds => (deadline as i64 + 500) / 1000,
        Report::DeadlineMillis => deadline as i64,
    };
    ctx.out.int(n);
}

/// TTL key
pub fn ttl(ctx: &mut Ctx, argv: &[&[u8]]) {
    ttl_generic(ctx, argv, Report::RemainingSeconds);
}

/// PTTL key
pub fn pttl(ctx: &mut Ctx, argv: &[&[u8]]) {
    ttl_generic(ctx, argv, Report::RemainingMillis);
}

/// EXPIRETIME key
pub fn expiretime(ctx: &mut Ctx, argv: &[&[u8]]) {
    ttl_generic(ctx, argv, Report::DeadlineSeconds);
}

/// PEXPIRETIME key
pub fn pexpiretime(ctx: &mut Ctx, argv: &[&[u8]]) {
    ttl_generic(ctx, argv, Report::DeadlineMillis);
}

/// PERSIST key
pub fn persist(ctx: &mut Ctx, argv: &[&[u8]]) {
    let key = argv[1];
    if ctx.store.lookup_write(ctx.db, key).is_none() || ctx.store.db(ctx.db).deadline(key).is_none()
    {
        ctx.out.int(0);
        return;
    }
    ctx.store.set_deadline(ctx.db, key, None, 1);
    ctx.out.int(1);
}
