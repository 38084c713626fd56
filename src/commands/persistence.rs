//! SAVE, BGSAVE, LASTSAVE and DEBUG RELOAD.

use super::{is, Ctx};
use crate::persistence;
use crate::store::{Store, Ttl};

/// SAVE: a blocking save, as in Redis.
pub fn save(ctx: &mut Ctx, _argv: &[&[u8]]) {
    if ctx.srv.persistence.child.is_some() {
        return ctx.out.err("Background save already in progress");
    }
    if save_now(ctx) {
        ctx.out.ok();
    } else {
        // Redis answers a failed SAVE with a bare "-ERR".
        ctx.out.error("ERR");
    }
}

/// Saves synchronously and records the outcome (INFO; a success ends MISCONF, a failure
/// does not start it). Returns success.
pub fn save_now(ctx: &mut Ctx) -> bool {
    let dir = ctx.srv.data_dir();
    let dirty = ctx.store.dirty;
    let result = persistence::save(ctx.store, dir, &ctx.srv.config);
    if let Err(e) = &result {
        // The error names the failed step, as Redis's log line does.
        log::warn!("{e}");
    } else {
        log::info!("DB saved on disk");
    }
    ctx.srv
        .persistence
        .record_save(result.is_ok(), ctx.store, dirty);
    result.is_ok()
}

/// BGSAVE [SCHEDULE]
pub fn bgsave(ctx: &mut Ctx, argv: &[&[u8]]) {
    let schedule = match argv.get(1) {
        None => false,
        Some(a) if is(a, "schedule") => true,
        Some(_) => return ctx.syntax_error(),
    };
    let dir = ctx.srv.data_dir();
    let srv = &mut *ctx.srv;
    let p = &mut srv.persistence;
    if p.child.is_some() {
        if schedule {
            p.scheduled = true;
            return ctx.out.simple("Background saving scheduled");
        }
        return ctx.out.err("Background save already in progress");
    }
    match persistence::start_background_save(p, ctx.store, dir, &srv.config) {
        Ok(()) => ctx.out.simple("Background saving started"),
        Err(e) => {
            log::warn!("Can't save in background: fork: {e}");
            p.last_bgsave_ok = false;
            ctx.out.error("ERR");
        }
    }
}

/// LASTSAVE
pub fn lastsave(ctx: &mut Ctx, _argv: &[&[u8]]) {
    let t = ctx.srv.persistence.last_save_unix;
    ctx.out.int(t as i64);
}

/// DEBUG RELOAD [MERGE] [NOFLUSH] [NOSAVE]: save (unless NOSAVE), empty the keyspace
/// (unless NOFLUSH), load the file back. Without a flush, a key or library the file also
/// holds is an error, unless MERGE, where the file's copy wins (Redis's RDBFLAGS_ALLOW_DUP).
pub fn debug_reload(ctx: &mut Ctx, options: &[&[u8]]) {
    let (mut merge, mut flush, mut save) = (false, true, true);
    for opt in options {
        if opt.eq_ignore_ascii_case(b"merge") {
            merge = true;
        } else if opt.eq_ignore_ascii_case(b"noflush") {
            flush = false;
        } else if opt.eq_ignore_ascii_case(b"nosave") {
            save = false;
        } else {
            return ctx
                .out
                .err("DEBUG RELOAD only supports the MERGE, NOFLUSH and NOSAVE options.");
        }
    }
    if save && !save_now(ctx) {
        return ctx.out.err("Error trying to save the DB");
    }
    let mut fresh = Store::new(ctx.store.db_count());
    fresh.now_ms = ctx.store.now_ms;
    fresh.limits = ctx.store.limits;
    let path = ctx.srv.data_dir().join(&ctx.srv.config.dbfilename);
    const LOAD_ERROR: &str = "Error trying to load the RDB dump, check server logs.";
    if let Err(e) = persistence::load_at_start(&mut fresh, &path) {
        log::warn!("DEBUG RELOAD: {e}");
        return ctx.out.err(LOAD_ERROR);
    }
    if flush {
        ctx.store.replace_data(&mut fresh);
    } else {
        let name = crate::scripting::functions::Functions::library_name;
        let current: Vec<Option<String>> = ctx.store.libraries.iter().map(|c| name(c)).collect();
        let clash_lib = fresh.libraries.iter().any(|c| current.contains(&name(c)));
        let clash_key = (0..fresh.db_count())
            .any(|i| fresh.db(i).keys().any(|k| ctx.store.db(i).get(k).is_some()));
        if !merge && (clash_lib || clash_key) {
            log::warn!("DEBUG RELOAD: duplicate keys or libraries without MERGE");
            return ctx.out.err(LOAD_ERROR);
        }
        for i in 0..fresh.db_count() {
            let db = fresh.db(i);
            for (k, v) in db.entries() {
                let ttl = db.deadline(k).map_or(Ttl::Clear, Ttl::At);
                let now = ctx.store.now_ms;
                ctx.store.load(i, k, v.clone(), ttl, now);
            }
        }
        let loaded: Vec<Option<String>> = fresh.libraries.iter().map(|c| name(c)).collect();
        let mut libs: Vec<Vec<u8>> = ctx
            .store
            .libraries
            .iter()
            .filter(|c| !loaded.contains(&name(c)))
            .cloned()
            .collect();
        libs.append(&mut fresh.libraries);
        ctx.store.libraries = libs;
    }
    let codes = ctx.store.libraries.clone();
    if let Err(e) = ctx.srv.scripting.functions().load_all(&codes) {
        log::warn!("DEBUG RELOAD: failed loading the functions: {e}");
    }
    log::warn!("DB reloaded by DEBUG RELOAD");
    ctx.out.ok();
}
