//! Server commands: DBSIZE, FLUSHDB, FLUSHALL, SWAPDB, TIME, MONITOR, SLOWLOG, DEBUG, WAIT,
//! SHUTDOWN.

use super::{is, Ctx};
use crate::protocol::parse::parse_i64;
use crate::server::client::{BlockReason, Blocked};
use crate::server::ShutdownRequest;

/// The reply of every `<CMD> HELP`: a title line, the given lines, then HELP's own entry.
pub fn help_reply(ctx: &mut Ctx, command: &str, lines: &[&str]) {
    ctx.out.array(lines.len() + 3);
    ctx.out.simple(&format!(
        "{command} <subcommand> [<arg> [value] [opt] ...]. Subcommands are:"
    ));
    for l in lines {
        ctx.out.simple(l);
    }
    ctx.out.simple("HELP");
    ctx.out.simple("    Prints this help.");
}

/// DBSIZE
pub fn dbsize(ctx: &mut Ctx, _argv: &[&[u8]]) {
    let n = ctx.store.db(ctx.db).len();
    ctx.out.int(n as i64);
}

/// Parses the optional ASYNC|SYNC of FLUSHDB / FLUSHALL. Both free memory at once here.
fn flush_mode_ok(ctx: &mut Ctx, argv: &[&[u8]]) -> bool {
    match argv.len() {
        1 => true,
        2 if is(argv[1], "async") || is(argv[1], "sync") => true,
        _ => {
            ctx.syntax_error();
            false
        }
    }
}

/// FLUSHDB [ASYNC|SYNC]
pub fn flushdb(ctx: &mut Ctx, argv: &[&[u8]]) {
    if !flush_mode_ok(ctx, argv) {
        return;
    }
    let removed = ctx.store.flush(Some(ctx.db)) as u64;
    ctx.store.dirty += removed + 1;
    if removed > 0 {
        crate::server::memory::release_free_memory();
    }
    ctx.out.ok();
}

/// FLUSHALL [ASYNC|SYNC]
pub fn flushall(ctx: &mut Ctx, argv: &[&[u8]]) {
    if !flush_mode_ok(ctx, argv) {
        return;
    }
    let removed = ctx.store.flush(None) as u64;
    ctx.store.dirty += removed + 1;
    if removed > 0 {
        // The memory of the keys is free now: hand it back, so RSS drops as with Redis.
        crate::server::memory::release_free_memory();
    }
    // As Redis: a running background save is stopped, and with save rules set the empty
    // dataset is saved at once so a restart does not bring the keys back.
    let dir = ctx.srv.data_dir();
    crate::persistence::kill_child(&mut ctx.srv.persistence, dir);
    if !ctx.srv.config.save.0.is_empty() {
        super::persistence::save_now(ctx);
        // FLUSHALL itself still counts as a change, as in Redis.
        ctx.store.dirty += 1;
    }
    ctx.out.ok();
}

/// SWAPDB index1 index2
pub fn swapdb(ctx: &mut Ctx, argv: &[&[u8]]) {
    let Some(a) = parse_i64(argv[1]).filter(|v| i32::try_from(*v).is_ok()) else {
        ctx.out.err("invalid first DB index");
        return;
    };
    let Some(b) = parse_i64(argv[2]).filter(|v| i32::try_from(*v).is_ok()) else {
        ctx.out.err("invalid second DB index");
        return;
    };
    let n = ctx.store.db_count() as i64;
    if a < 0 || a >= n || b < 0 || b >= n {
        ctx.out.err("DB index is out of range");
        return;
    }
    let (a, b) = (a as usize, b as usize);
    ctx.store.swap_dbs(a, b);
    ctx.store.dirty += 1;
    ctx.out.ok();
}

/// TIME
pub fn time(ctx: &mut Ctx, _argv: &[&[u8]]) {
    let us = crate::server::unix_us();
    ctx.out.array(2);
    ctx.out.bulk(format!("{}", us / 1_000_000).as_bytes());
    ctx.out.bulk(format!("{}", us % 1_000_000).as_bytes());
}

/// MONITOR
pub fn monitor(ctx: &mut Ctx, _argv: &[&[u8]]) {
    let key = ctx.caller;
    let c = ctx.client();
    if c.in_exec {
        return ctx
            .out
            .err("MONITOR isn't allowed for DENY BLOCKING client");
    }
    if !c.monitor {
        c.monitor = true;
        ctx.srv.monitors.push(key);
    }
    ctx.out.ok();
}

/// SLOWLOG GET [count]
pub fn slowlog_get(ctx: &mut Ctx, argv: &[&[u8]]) {
    let count = match argv.get(2) {
        None => 10,
        Some(a) => match parse_i64(a) {
            Some(n) if n >= -1 => n,
            _ => {
                ctx.out.err("count should be greater than or equal to -1");
                return;
            }
        },
    };
    let entries = &ctx.srv.slowlog.entries;
    let n = if count < 0 {
        entries.len()
    } else {
        entries.len().min(count as usize)
    };
    let out = &mut *ctx.out;
    out.array(n);
    for e in entries.iter().take(n) {
        out.array(6);
        out.int(e.id as i64);
        out.int(e.unix_secs);
        out.int(e.micros as i64);
        out.array(e.args.len());
        for a in &e.args {
            out.bulk(a);
        }
        out.bulk_str(&e.addr);
        out.bulk(&e.name);
    }
}

/// SLOWLOG LEN
pub fn slowlog_len(ctx: &mut Ctx, _argv: &[&[u8]]) {
    let n = ctx.srv.slowlog.entries.len();
    ctx.out.int(n as i64);
}

/// SLOWLOG RESET
pub fn slowlog_reset(ctx: &mut Ctx, _argv: &[&[u8]]) {
    ctx.srv.slowlog.entries.clear();
    ctx.out.ok();
}

/// SLOWLOG HELP
pub fn slowlog_help(ctx: &mut Ctx, _argv: &[&[u8]]) {
    help_reply(
        ctx,
        "SLOWLOG",
        &[
            "GET [<count>]",
            "    Return top <count> entries from the slowlog (default: 10, -1 mean all).",
            "    Entries are made of:",
            "    id, timestamp, time in microseconds, arguments array, client IP and port,",
            "    client name",
            "LEN",
            "    Return the length of the slowlog.",
            "RESET",
            "    Reset the slowlog.",
        ],
    );
}

/// Whether DEBUG may run for this client (enable-debug-command).
/// Whether enable-debug-command lets this client run DEBUG (checked at dispatch, so a
/// refused DEBUG also aborts a transaction).
pub fn debug_allowed(srv: &crate::server::ServerState, key: crate::server::ClientId) -> bool {
    match srv.config.enable_debug_command.as_str() {
        "yes" => true,
        "local" => srv.clients[key].addr.ip().is_loopback(),
        _ => false,
    }
}

/// The refusal of a DEBUG that enable-debug-command does not allow.
pub const DEBUG_NOT_ALLOWED: &str = "ERR DEBUG command not allowed. If the \
    enable-debug-command option is set to \"local\", you can run it from a local connection, \
    otherwise you need to set this option in the configuration file, and then restart the \
    server.";

/// DEBUG SLEEP seconds | LOG message | RELOAD | CONFIG-REWRITE-FORCE-ALL |
/// SET-ACTIVE-EXPIRE 0|1 | PAUSE-CRON 0|1 | HELP
pub fn debug(ctx: &mut Ctx, argv: &[&[u8]]) {
    let sub = argv[1];
    if is(sub, "help") {
        return help_reply(
            ctx,
            "DEBUG",
            &[
                "LOG <message>",
                "    Write <message> to the server log.",
                "OBJECT <key>",
                "    Show low level info about `key` and associated value.",
                "RELOAD",
                "    Save the RDB on disk and reload it back to memory.",
                "SET-ACTIVE-EXPIRE <0|1>",
                "    Setting it to 0 disables expiring keys in background when they are not",
                "    accessed (otherwise the Redis behavior). Setting it to 1 reenables back the",
                "    default.",
                "SLEEP <seconds>",
                "    Stop the server for <seconds>. Decimals allowed.",
                "PAUSE-CRON <0|1>",
                "    Stop periodic cron job processing.",
            ],
        );
    }
    if is(sub, "sleep") && argv.len() == 3 {
        let secs = std::str::from_utf8(argv[2])
            .ok()
            .and_then(|s| s.parse::<f64>().ok())
            .filter(|s| s.is_finite() && *s >= 0.0)
            .unwrap_or(0.0);
        // DEBUG SLEEP stops the whole server, as in Redis.
        std::thread::sleep(std::time::Duration::from_secs_f64(secs));
        ctx.out.ok();
    } else if is(sub, "object") && argv.len() == 3 {
        // The key as stored, expired or not (Redis looks in the dict directly).
        let db = ctx.store.db(ctx.db);
        let Some(v) = db.get(argv[2]) else {
            return ctx.out.err("no such key");
        };
        let mut body = Vec::new();
        crate::persistence::rdb::encode::object(&mut body, v, ctx.srv.config.rdbcompression);
        let now = ctx.store.now_ms;
        let idle = db.idle_seconds(argv[2], now).unwrap_or(0);
        let lru = u64::from(crate::store::db::lru_clock(now)).wrapping_sub(idle) & 0xFF_FFFF;
        let line = format!(
            "Value at:{:p} refcount:1 encoding:{} serializedlength:{} lru:{lru} lru_seconds_idle:{idle}",
            v as *const _,
            v.encoding(),
            body.len()
        );
        ctx.out.simple(&line);
    } else if is(sub, "log") && argv.len() == 3 {
        log::warn!("DEBUG LOG: {}", String::from_utf8_lossy(argv[2]));
        ctx.out.ok();
    } else if is(sub, "reload") {
        super::persistence::debug_reload(ctx, &argv[2..]);
    } else if is(sub, "config-rewrite-force-all") && argv.len() == 2 {
        // Every parameter written, defaults included (Redis's suite checks the file loads).
        match crate::config::rewrite(&ctx.srv.config, crate::config::Force::All) {
            Ok(()) => ctx.out.ok(),
            Err(e) => {
                let why = e.strip_prefix("Rewriting config file: ").unwrap_or(&e);
                ctx.out
                    .err(&format!("CONFIG-REWRITE-FORCE-ALL failed: {why}"));
            }
        }
    } else if is(sub, "set-active-expire") && argv.len() == 3 {
        ctx.srv.active_expire = argv[2] != b"0";
        ctx.out.ok();
    } else if is(sub, "replybuffer") && argv.len() == 4 {
        if is(argv[2], "resizing") {
            // Read with atoi, as Redis.
            ctx.srv.reply_buffer_resizing = super::getkeys::atoi(argv[3]) != 0;
        } else if is(argv[2], "peak-reset-time") {
            ctx.srv.reply_buffer_peak_reset_ms = if is(argv[3], "never") {
                -1
            } else if is(argv[3], "reset") {
                crate::server::REPLY_BUFFER_PEAK_RESET_MS
            } else {
                match parse_i64(argv[3]) {
                    Some(ms) => ms,
                    None => return ctx.out.err("value is not an integer or out of range"),
                }
            };
        } else {
            return super::subcommand_syntax_error(ctx.out, "DEBUG", sub);
        }
        ctx.out.ok();
    } else if is(sub, "pause-cron") && argv.len() == 3 {
        // Read with atoi, as Redis: anything not starting with a nonzero number resumes.
        ctx.srv.cron_paused = super::getkeys::atoi(argv[2]) != 0;
        ctx.out.ok();
    } else {
        super::subcommand_syntax_error(ctx.out, "DEBUG", sub);
    }
}

/// WAIT numreplicas timeout: with no replicas, 0 at once when none are asked for, else 0
/// after the timeout (forever for 0), exactly as a replica-less Redis does.
pub fn wait(ctx: &mut Ctx, argv: &[&[u8]]) {
    let Some(replicas) = parse_i64(argv[1]) else {
        ctx.out.err("value is not an integer or out of range");
        return;
    };
    let Some(timeout) = parse_i64(argv[2]) else {
        ctx.out.err("timeout is not an integer or out of range");
        return;
    };
    if timeout < 0 {
        ctx.out.err("timeout is negative");
        return;
    }
    // Inside EXEC nothing waits: the acknowledgements so far (none) are the answer.
    if replicas <= 0 || ctx.client().in_exec {
        ctx.out.int(0);
        return;
    }
    let deadline = (timeout > 0).then(|| ctx.now_ms().saturating_add(timeout as u64));
    let key = ctx.caller;
    let c = ctx.client();
    c.blocked = Some(Blocked {
        reason: BlockReason::Wait,
        deadline,
    });
    let id = c.id;
    if let Some(d) = deadline {
        ctx.srv.block_deadlines.insert((d, key, id));
    }
}

/// SHUTDOWN [NOSAVE|SAVE] [NOW] [FORCE] [ABORT]
pub fn shutdown(ctx: &mut Ctx, argv: &[&[u8]]) {
    let mut request = ShutdownRequest::Default;
    let mut abort = false;
    for a in &argv[1..] {
        if is(a, "nosave") {
            request = ShutdownRequest::NoSave;
        } else if is(a, "save") {
            request = ShutdownRequest::Save;
        } else if is(a, "now") || is(a, "force") {
        } else if is(a, "abort") {
            abort = true;
        } else {
            return ctx.syntax_error();
        }
    }
    if abort {
        if argv.len() > 2 {
            return ctx.syntax_error();
        }
        ctx.out.err("No shutdown in progress.");
        return;
    }
    // Past its busy threshold a script blocks shutdowns that would save (the dataset may
    // be half-changed); NOSAVE stops the server, abandoning the script.
    if let Some(r) = ctx.srv.scripting.running.as_ref().filter(|r| r.timed_out) {
        if request != ShutdownRequest::NoSave {
            return ctx.out.error(crate::scripting::run::busy_error(r.kind));
        }
    }
    ctx.srv.shutdown = Some(request);
    ctx.srv.shutdown_requester = Some(ctx.caller);
    // Like Redis, no reply: the connection closes when the server exits.
}

/// CLUSTER (any subcommand), ASKING, READONLY, READWRITE: redust runs as a Redis with
/// `cluster-enabled no`, which answers them all this way.
pub fn cluster_disabled(ctx: &mut Ctx, _argv: &[&[u8]]) {
    ctx.out.err("This instance has cluster support disabled");
}
