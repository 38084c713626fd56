//! DUMP, RESTORE, RESTORE-ASKING (cluster.c) and FUNCTION DUMP / RESTORE (functions.c):
//! values and function libraries in Redis's RDB serialisation, so payloads move between
//! redust and redis-server in both directions.

use super::{int_arg, is, Ctx};
use crate::persistence::rdb::{self, PayloadError};
use crate::store::{Event, Ttl};

/// DUMP key
pub fn dump(ctx: &mut Ctx, argv: &[&[u8]]) {
    let compress = ctx.srv.config.rdbcompression;
    match ctx.store.lookup_read(ctx.db, argv[1]) {
        Some(v) => {
            let payload = rdb::encode::dump_payload(v, compress);
            ctx.out.bulk(&payload);
        }
        None => ctx.out.null(),
    }
}

fn payload_error(ctx: &mut Ctx, e: PayloadError) {
    match e {
        PayloadError::VersionOrChecksum => {
            ctx.out.err("DUMP payload version or checksum are wrong")
        }
        PayloadError::BadData => ctx.out.err("Bad data format"),
    }
}

/// RESTORE key ttl serialized-value [REPLACE] [ABSTTL] [IDLETIME seconds] [FREQ frequency]
/// (RESTORE-ASKING is the same command for cluster migrations.)
pub fn restore(ctx: &mut Ctx, argv: &[&[u8]]) {
    let key = argv[1];
    let (mut replace, mut absttl) = (false, false);
    let (mut idle, mut freq): (Option<i64>, Option<i64>) = (None, None);
    let mut j = 4;
    while j < argv.len() {
        let more = argv.len() - j - 1;
        if is(argv[j], "replace") {
            replace = true;
        } else if is(argv[j], "absttl") {
            absttl = true;
        } else if is(argv[j], "idletime") && more >= 1 && freq.is_none() {
            let Some(v) = int_arg(ctx.out, argv[j + 1]) else {
                return;
            };
            if v < 0 {
                return ctx.out.err("Invalid IDLETIME value, must be >= 0");
            }
            idle = Some(v);
            j += 1;
        } else if is(argv[j], "freq") && more >= 1 && idle.is_none() {
            let Some(v) = int_arg(ctx.out, argv[j + 1]) else {
                return;
            };
            if !(0..=255).contains(&v) {
                return ctx.out.err("Invalid FREQ value, must be >= 0 and <= 255");
            }
            freq = Some(v);
            j += 1;
        } else {
            return ctx.syntax_error();
        }
        j += 1;
    }
    if !replace && ctx.store.lookup_write(ctx.db, key).is_some() {
        return ctx.out.error("BUSYKEY Target key name already exists.");
    }
    let Some(mut ttl) = int_arg(ctx.out, argv[2]) else {
        return;
    };
    if ttl < 0 {
        return ctx.out.err("Invalid TTL value, must be >= 0");
    }
    let value = match rdb::restore_payload(argv[3], &ctx.store.limits) {
        Ok(v) => v,
        Err(e) => return payload_error(ctx, e),
    };
    let deleted = replace && ctx.store.exists(ctx.db, key);
    let now = ctx.store.now_ms as i64;
    if ttl != 0 && !absttl {
        ttl = ttl.saturating_add(now);
    }
    if ttl != 0 && ttl <= now {
        // Already expired: nothing is stored; a replaced key is deleted.
        if deleted {
            ctx.store.delete(ctx.db, key);
            ctx.rewrite_argv(&[b"DEL", key]);
        } else {
            ctx.replace_propagation(Vec::new());
        }
        return ctx.out.ok();
    }
    if deleted {
        ctx.store.delete_quietly(ctx.db, key);
    }
    let deadline = if ttl != 0 {
        Ttl::At(ttl as u64)
    } else {
        Ttl::Clear
    };
    ctx.store
        .insert(ctx.db, key, value, deadline, Event::Restore, 1);
    ctx.store
        .set_access(ctx.db, key, idle.map(|v| v as u64), freq.map(|v| v as u8));
    if ttl != 0 && !absttl {
        // Propagated with the absolute deadline, as Redis rewrites it.
        let at = ttl.to_string();
        let mut args: Vec<&[u8]> = argv.to_vec();
        args[2] = at.as_bytes();
        args.push(b"ABSTTL");
        ctx.rewrite_argv(&args);
    }
    ctx.out.ok();
}

/// FUNCTION DUMP
pub fn function_dump(ctx: &mut Ctx, _argv: &[&[u8]]) {
    let payload = rdb::function_dump(&ctx.store.libraries);
    ctx.out.bulk(&payload);
}

/// FUNCTION RESTORE serialized-value [FLUSH|APPEND|REPLACE]
pub fn function_restore(ctx: &mut Ctx, argv: &[&[u8]]) {
    if argv.len() > 4 {
        return super::subcommand_syntax_error(ctx.out, "FUNCTION", argv[1]);
    }
    #[derive(PartialEq)]
    enum Policy {
        Append,
        Replace,
        Flush,
    }
    let policy = match argv.get(3) {
        None => Policy::Append,
        Some(p) if is(p, "append") => Policy::Append,
        Some(p) if is(p, "replace") => Policy::Replace,
        Some(p) if is(p, "flush") => Policy::Flush,
        Some(_) => {
            return ctx.out.err(
                "Wrong restore policy given, value should be either FLUSH, APPEND or REPLACE.",
            )
        }
    };
    let Ok((body, _)) = rdb::verify_payload(argv[2], false) else {
        return ctx.out.err("DUMP payload version or checksum are wrong");
    };
    let codes = match rdb::function_restore(body) {
        Ok(c) => c,
        Err(e) => return ctx.out.err(&e),
    };
    let engine = ctx.srv.scripting.functions();
    let old = engine.codes();
    let mut merged: Vec<Vec<u8>> = Vec::new();
    if policy != Policy::Flush {
        let new_names: Vec<Option<String>> = codes
            .iter()
            .map(|c| crate::scripting::functions::Functions::library_name(c))
            .collect();
        for code in &old {
            let name = crate::scripting::functions::Functions::library_name(code);
            if name.is_some() && new_names.contains(&name) {
                if policy == Policy::Append {
                    let name = name.unwrap_or_default();
                    return ctx.out.err(&format!("Library {name} already exists"));
                }
                continue;
            }
            merged.push(code.clone());
        }
    }
    merged.extend(codes);
    if let Err(e) = engine.load_all(&merged) {
        // Put back what was there; it loaded before, so it loads again.
        let _ = engine.load_all(&old);
        return ctx.out.error(&e);
    }
    ctx.store.libraries = engine.codes();
    ctx.store.dirty += 1;
    ctx.out.ok();
}
