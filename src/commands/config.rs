//! CONFIG GET / SET / RESETSTAT / REWRITE / HELP, answered as Redis 7.0's config.c does.

use std::collections::HashSet;

use super::Ctx;
use crate::config::{self, Force, Param, HIDDEN, IMMUTABLE, PARAMS, PROTECTED, SENSITIVE};
use crate::server::ServerState;
use crate::store::KeyspaceStats;
use crate::util::glob;

/// CONFIG GET parameter [parameter ...]: exact names (aliases and hidden parameters
/// included) are echoed as typed; patterns match every name and alias but hidden ones.
/// A name is returned once however many arguments match it.
pub fn get(ctx: &mut Ctx, argv: &[&[u8]]) {
    let mut seen: HashSet<Vec<u8>> = HashSet::new();
    let mut pairs: Vec<(Vec<u8>, &'static Param)> = Vec::new();
    for arg in &argv[2..] {
        // As Redis's strpbrk(name, "[*?"): only these make a pattern.
        if !arg.iter().any(|b| b"[*?".contains(b)) {
            let param = std::str::from_utf8(arg).ok().and_then(config::find_param);
            if let Some(p) = param {
                if seen.insert(arg.to_ascii_lowercase()) {
                    pairs.push((arg.to_vec(), p));
                }
            }
            continue;
        }
        for p in PARAMS.iter().filter(|p| !p.has(HIDDEN)) {
            for name in p.names() {
                if !seen.contains(name.as_bytes()) && glob::matches_nocase(arg, name.as_bytes()) {
                    seen.insert(name.as_bytes().to_vec());
                    pairs.push((name.as_bytes().to_vec(), p));
                }
            }
        }
    }
    ctx.out.map(pairs.len());
    for (name, p) in pairs {
        ctx.out.bulk(&name);
        ctx.out.bulk_str(&shown_value(ctx.srv, p));
    }
}

/// A parameter's value as CONFIG GET shows it.
fn shown_value(srv: &ServerState, p: &Param) -> String {
    match p.name {
        // With `port 0` the kernel picked one.
        "port" => srv.tcp_port().to_string(),
        _ => p.get(&srv.config),
    }
}

/// Why CONFIG SET refused, in the order Redis checks.
enum Refusal<'a> {
    /// No such parameter: named as typed.
    Unknown(&'a [u8]),
    /// A parameter that cannot be set (immutable, protected, given twice, bad value, or
    /// failing to take effect): named, and why.
    Failed(&'a [u8], String),
}

impl Refusal<'_> {
    fn reply(self, ctx: &mut Ctx) {
        let mut msg = Vec::new();
        match self {
            Refusal::Unknown(name) => {
                msg.extend_from_slice(
                    b"ERR Unknown option or number of arguments for CONFIG SET - '",
                );
                msg.extend_from_slice(name);
                msg.push(b'\'');
            }
            Refusal::Failed(name, why) => {
                msg.extend_from_slice(b"ERR CONFIG SET failed (possibly related to argument '");
                msg.extend_from_slice(name);
                msg.extend_from_slice(b"') - ");
                msg.extend_from_slice(why.as_bytes());
            }
        }
        ctx.out.error_bytes(&msg);
    }
}

/// Whether enable-protected-configs lets this client change protected parameters.
fn protected_allowed(ctx: &mut Ctx) -> bool {
    match ctx.srv.config.enable_protected_configs.as_str() {
        "yes" => true,
        "local" => ctx.client().addr.ip().is_loopback(),
        _ => false,
    }
}

/// CONFIG SET parameter value [parameter value ...]: all or nothing. Every name is
/// checked first (unknown, immutable, protected, given twice: the first problem is the
/// answer), then every value is set, then what changed takes effect; a failure at any step
/// restores every value.
pub fn set(ctx: &mut Ctx, argv: &[&[u8]]) {
    if !argv.len().is_multiple_of(2) {
        return ctx.syntax_error();
    }
    let mut refusal = None;
    let mut chosen: Vec<(&'static Param, &[u8], &[u8])> = Vec::new();
    for (i, pair) in argv[2..].chunks(2).enumerate() {
        let (name, value) = (pair[0], pair[1]);
        let param = std::str::from_utf8(name).ok().and_then(config::find_param);
        let Some(param) = param else {
            refusal.get_or_insert(Refusal::Unknown(name));
            continue;
        };
        // Every secret is kept out of the slow log, even after a refusal.
        if param.has(SENSITIVE) {
            ctx.redact_arg(2 + 2 * i + 1);
        }
        if refusal.is_some() {
            continue;
        }
        let why = if param.has(IMMUTABLE) {
            "can't set immutable config"
        } else if param.has(PROTECTED) && !protected_allowed(ctx) {
            "can't set protected config"
        } else if chosen.iter().any(|(p, _, _)| std::ptr::eq(*p, param)) {
            "duplicate parameter"
        } else {
            chosen.push((param, name, value));
            continue;
        };
        refusal = Some(Refusal::Failed(name, why.into()));
    }
    if let Some(refusal) = refusal {
        return refusal.reply(ctx);
    }
    let before = ctx.srv.config.clone();
    let cwd = std::env::current_dir().ok();
    let restore = |ctx: &mut Ctx| {
        ctx.srv.config = before.clone();
        if let Some(dir) = &cwd {
            let _ = std::env::set_current_dir(dir);
        }
    };
    for &(param, name, value) in &chosen {
        if let Err(why) = param.set(&mut ctx.srv.config, &set_words(param, value)) {
            restore(ctx);
            // Redis names the table entry here (its own name, or the alias used).
            let entry = param
                .names()
                .find(|n| n.as_bytes().eq_ignore_ascii_case(name))
                .unwrap_or(param.name);
            return Refusal::Failed(entry.as_bytes(), why).reply(ctx);
        }
    }
    let order: Vec<&'static str> = chosen.iter().map(|(p, _, _)| p.name).collect();
    if let Err((name, why)) = apply(ctx, &before, &order) {
        restore(ctx);
        // Back to the old values, effects included (listeners, limits).
        let _ = apply(ctx, &before, &order);
        return Refusal::Failed(name.as_bytes(), why).reply(ctx);
    }
    ctx.out.ok();
}

/// The words of a CONFIG SET value: multi-word parameters split it on single spaces, as
/// Redis does (so `""` is no words at all), the others take it whole.
fn set_words(param: &Param, value: &[u8]) -> Vec<String> {
    let value = String::from_utf8_lossy(value);
    if !param.kind.multi_arg() {
        return vec![value.into_owned()];
    }
    if value.is_empty() {
        return Vec::new();
    }
    value.split(' ').map(str::to_string).collect()
}

/// Puts the values that changed since `before` into effect, in the order the parameters
/// were given (`order`). On failure, names the parameter and says why, in Redis's words.
fn apply(
    ctx: &mut Ctx,
    before: &config::Config,
    order: &[&'static str],
) -> Result<(), (&'static str, String)> {
    let srv = &mut *ctx.srv;
    srv.config.clamp();
    // The directory was checked when set; the server moves into it first, as Redis's
    // setter does, so the other effects see it.
    if srv.config.dir != before.dir {
        if let Err(e) = std::env::set_current_dir(&srv.config.dir) {
            return Err(("dir", config::os_error_text(&e)));
        }
    }
    if srv.config.loglevel != before.loglevel {
        log::set_max_level(crate::level_filter(&srv.config.loglevel));
    }
    // The collection thresholds and LFU apply to the very next command, as in Redis.
    ctx.store.limits = srv.config.encoding_limits();
    ctx.store.lfu = srv.config.lfu_params();
    crate::store::dict::GROWTH_LIMIT.store(
        srv.config.maxmemory as u64,
        std::sync::atomic::Ordering::Relaxed,
    );
    let mut rebound = false;
    for &name in order {
        match name {
            "maxclients" if srv.config.maxclients != before.maxclients => {
                let wanted = srv.config.maxclients;
                crate::server::event_loop::adjust_open_files_limit(&mut srv.config);
                if srv.config.maxclients != wanted {
                    return Err((
                        name,
                        format!(
                            "The operating system is not able to handle the specified number \
                             of clients, try with {}",
                            srv.config.maxclients
                        ),
                    ));
                }
            }
            "maxmemory-clients" => srv.clients_mem_stale = true,
            // A lower limit applies at once: the loop starts evicting in this iteration
            // (Redis's startEvictionTimeProc), after this reply.
            "maxmemory" if srv.config.maxmemory > 0 => {
                let used = crate::server::memory::used_memory();
                if (srv.config.maxmemory as u64) < used {
                    log::warn!(
                        "WARNING: the new maxmemory value set via CONFIG SET ({}) is smaller \
                         than the current memory usage ({used}). This will result in key \
                         eviction and/or the inability to accept new write commands depending \
                         on the maxmemory-policy.",
                        srv.config.maxmemory
                    );
                }
                srv.eviction_running = true;
                // A percentage limit follows maxmemory.
                srv.clients_mem_stale = true;
            }
            "port" if !rebound && srv.config.port != before.port => {
                rebound = true;
                if !rebind(srv, before) {
                    let why = "Unable to listen on this port. Check server logs.";
                    return Err((name, why.into()));
                }
            }
            "bind" if !rebound && srv.config.bind != before.bind => {
                rebound = true;
                if !rebind(srv, before) {
                    return Err((name, "Failed to bind to specified addresses.".into()));
                }
            }
            _ => {}
        }
    }
    // requirepass is the default user's password (last: nothing after it can fail).
    if srv.config.requirepass != before.requirepass {
        let password = srv.config.requirepass.clone();
        srv.acl.set_default_password(password.as_bytes());
    }
    Ok(())
}

/// Listens on the configured addresses and port instead of the old ones; on failure
/// listens on the old ones again and returns false.
fn rebind(srv: &mut ServerState, before: &config::Config) -> bool {
    for l in &mut srv.listeners {
        let _ = srv.registry.deregister(&mut l.socket);
    }
    srv.listeners.clear();
    let now = srv.config.listen_addresses();
    let backlog = srv.config.tcp_backlog as i32;
    match ServerState::bind_all(&srv.registry, &now, srv.config.port as u16, backlog) {
        Ok(ls) if !ls.is_empty() => {
            srv.listeners = ls;
            true
        }
        result => {
            if let Err(e) = result {
                log::warn!("{e}");
            }
            let old = before.listen_addresses();
            srv.listeners = ServerState::bind_all(&srv.registry, &old, before.port as u16, backlog)
                .unwrap_or_default();
            false
        }
    }
}

/// CONFIG RESETSTAT: what Redis's resetServerStats, command and error tables reset.
pub fn resetstat(ctx: &mut Ctx, _argv: &[&[u8]]) {
    ctx.srv.stats.reset();
    ctx.store.stats = KeyspaceStats::default();
    let p = &mut ctx.srv.persistence;
    p.saves = 0;
    p.latest_fork_usec = 0;
    p.total_forks = 0;
    ctx.out.ok();
}

/// CONFIG REWRITE
pub fn rewrite(ctx: &mut Ctx, _argv: &[&[u8]]) {
    let mut config = ctx.srv.config.clone();
    config.acl_lines = Some(
        ctx.srv
            .acl
            .lines()
            .into_iter()
            .map(|l| String::from_utf8_lossy(&l).into_owned())
            .collect(),
    );
    match config::rewrite(&config, Force::Changed) {
        Ok(()) => {
            log::warn!("CONFIG REWRITE executed with success.");
            ctx.out.ok()
        }
        Err(e) => {
            log::warn!("CONFIG REWRITE failed: {e}");
            ctx.out.err(&e)
        }
    }
}

/// CONFIG HELP
pub fn help(ctx: &mut Ctx, _argv: &[&[u8]]) {
    super::server::help_reply(
        ctx,
        "CONFIG",
        &[
            "GET <pattern>",
            "    Return parameters matching the glob-like <pattern> and their values.",
            "SET <directive> <value>",
            "    Set the configuration <directive> to <value>.",
            "RESETSTAT",
            "    Reset statistics reported by the INFO command.",
            "REWRITE",
            "    Rewrite the configuration file.",
        ],
    );
}
