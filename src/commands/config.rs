//! CONFIG GET / SET / RESETSTAT / REWRITE / HELP.

use std::collections::HashSet;

use super::Ctx;
use crate::config::{self, Param, IMMUTABLE, PARAMS, PROTECTED};
use crate::server::ServerState;
use crate::store::KeyspaceStats;
use crate::util::glob;

/// CONFIG GET parameter [parameter ...]
pub fn get(ctx: &mut Ctx, argv: &[&[u8]]) {
    let mut seen = HashSet::new();
    let mut pairs: Vec<(String, String)> = Vec::new();
    for pattern in &argv[2..] {
        // A plain name is looked up directly and echoed as typed, as Redis does.
        if !pattern.iter().any(|b| b"*?[\\".contains(b)) {
            let exact = std::str::from_utf8(pattern)
                .ok()
                .and_then(config::find_param);
            if let Some(p) = exact {
                if seen.insert(p.name) {
                    let typed = String::from_utf8_lossy(pattern).into_owned();
                    pairs.push((typed, shown_value(ctx.srv, p)));
                }
            }
            continue;
        }
        for p in PARAMS {
            for name in std::iter::once(&p.name).chain(p.aliases.iter()) {
                if glob::matches_nocase(pattern, name.as_bytes()) && seen.insert(*name) {
                    pairs.push((name.to_string(), shown_value(ctx.srv, p)));
                }
            }
        }
    }
    ctx.out.map(pairs.len());
    for (name, value) in pairs {
        ctx.out.bulk_str(&name);
        ctx.out.bulk_str(&value);
    }
}

/// A parameter's value as CONFIG GET shows it.
fn shown_value(srv: &ServerState, p: &Param) -> String {
    match p.name {
        // Redis reports the working directory it changed into.
        "dir" => std::env::current_dir()
            .map(|d| d.display().to_string())
            .unwrap_or_else(|_| p.get(&srv.config)),
        // With `port 0` the kernel picked one.
        "port" => srv.tcp_port().to_string(),
        _ => p.get(&srv.config),
    }
}

fn set_failed(ctx: &mut Ctx, name: &[u8], why: &str) {
    let mut msg = b"ERR CONFIG SET failed (possibly related to argument '".to_vec();
    msg.extend_from_slice(name);
    msg.extend_from_slice(b"') - ");
    msg.extend_from_slice(why.as_bytes());
    ctx.out.error_bytes(&msg);
}

/// CONFIG SET parameter value [parameter value ...]: all or nothing.
pub fn set(ctx: &mut Ctx, argv: &[&[u8]]) {
    if !argv.len().is_multiple_of(2) {
        return ctx.syntax_error();
    }
    let mut chosen: Vec<(&'static Param, &[u8], String)> = Vec::new();
    for pair in argv[2..].chunks(2) {
        let name = pair[0];
        let param = std::str::from_utf8(name).ok().and_then(config::find_param);
        let Some(param) = param else {
            let mut msg = b"ERR Unknown option or number of arguments for CONFIG SET - '".to_vec();
            msg.extend_from_slice(name);
            msg.push(b'\'');
            ctx.out.error_bytes(&msg);
            return;
        };
        if param.flags & IMMUTABLE != 0 {
            return set_failed(ctx, name, "can't set immutable config");
        }
        if param.flags & PROTECTED != 0 && ctx.srv.config.enable_protected_configs == "no" {
            return set_failed(ctx, name, "can't set protected config");
        }
        if chosen.iter().any(|(p, _, _)| std::ptr::eq(*p, param)) {
            return set_failed(ctx, name, "duplicate parameter");
        }
        chosen.push((param, name, String::from_utf8_lossy(pair[1]).into_owned()));
    }
    let before = ctx.srv.config.clone();
    for (param, name, value) in &chosen {
        if let Err(why) = param.set(&mut ctx.srv.config, std::slice::from_ref(value)) {
            ctx.srv.config = before;
            return set_failed(ctx, name, &why);
        }
    }
    if let Err((name, why)) = apply(ctx.srv, &before) {
        ctx.srv.config = before;
        let _ = apply(ctx.srv, &ctx.srv.config.clone());
        return set_failed(ctx, name.as_bytes(), &why);
    }
    // Encoding thresholds apply to the very next command, as in Redis.
    ctx.store.limits = ctx.srv.config.encoding_limits();
    ctx.out.ok();
}

/// Puts changed settings into effect. On failure names the parameter and why.
fn apply(srv: &mut ServerState, before: &config::Config) -> Result<(), (String, String)> {
    srv.config.clamp();
    // The store picks up LFU settings at the next cron tick; OBJECT FREQ checks the policy
    // itself.
    let now = &srv.config;
    if now.loglevel != before.loglevel {
        log::set_max_level(crate::level_filter(&now.loglevel));
    }
    if now.maxclients != before.maxclients {
        let mut c = srv.config.clone();
        crate::server::event_loop::adjust_open_files_limit(&mut c);
        srv.config.maxclients = c.maxclients;
    }
    if srv.config.port != before.port || srv.config.bind != before.bind {
        let name = if srv.config.bind != before.bind {
            "bind"
        } else {
            "port"
        };
        for l in &mut srv.listeners {
            let _ = srv.registry.deregister(&mut l.socket);
        }
        srv.listeners.clear();
        match ServerState::bind_all(&srv.registry, &srv.config.bind, srv.config.port as u16) {
            Ok(ls) if !ls.is_empty() => srv.listeners = ls,
            _ => {
                srv.listeners =
                    ServerState::bind_all(&srv.registry, &before.bind, before.port as u16)
                        .unwrap_or_default();
                return Err((name.into(), "Unable to listen on this port".into()));
            }
        }
    }
    Ok(())
}

/// CONFIG RESETSTAT
pub fn resetstat(ctx: &mut Ctx, _argv: &[&[u8]]) {
    ctx.srv.stats.reset();
    ctx.store.stats = KeyspaceStats::default();
    ctx.out.ok();
}

/// CONFIG REWRITE
pub fn rewrite(ctx: &mut Ctx, _argv: &[&[u8]]) {
    match config::rewrite(&ctx.srv.config) {
        Ok(()) => ctx.out.ok(),
        Err(e) => ctx.out.err(&e),
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
