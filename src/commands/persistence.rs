//! SAVE, BGSAVE, LASTSAVE and DEBUG RELOAD.

use super::{is, Ctx};
use crate::persistence;
use crate::store::Store;

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

/// DEBUG RELOAD: save, empty the keyspace, load the file back.
pub fn debug_reload(ctx: &mut Ctx) {
    if !save_now(ctx) {
        return ctx.out.err("Error trying to save the DB");
    }
    let mut fresh = Store::new(ctx.store.db_count());
    fresh.now_ms = ctx.store.now_ms;
    let path = ctx.srv.data_dir().join(&ctx.srv.config.dbfilename);
    match persistence::load_at_start(&mut fresh, &path) {
        Ok(_) => {
            ctx.store.replace_data(&mut fresh);
            let codes = ctx.store.libraries.clone();
            if let Err(e) = ctx.srv.scripting.functions().load_all(&codes) {
                log::warn!("DEBUG RELOAD: failed loading the functions: {e}");
            }
            ctx.out.ok();
        }
        Err(e) => {
            log::warn!("DEBUG RELOAD: {e}");
            ctx.out
                .err("Error trying to load the RDB dump, check server logs.");
        }
    }
}
