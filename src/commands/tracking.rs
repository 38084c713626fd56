//! The client-side caching subcommands of CLIENT: TRACKING, CACHING, GETREDIR,
//! TRACKINGINFO. The tables and the invalidations are [`crate::pubsub::tracking`]'s.

use super::{is, Ctx};
use crate::protocol::parse::parse_i64;
use crate::pubsub::tracking::{self, Options};

/// CLIENT TRACKING ON|OFF [REDIRECT id] [PREFIX prefix ...] [BCAST] [OPTIN] [OPTOUT]
/// [NOLOOP]
pub fn tracking(ctx: &mut Ctx, argv: &[&[u8]]) {
    // Every option is parsed (and refused) before ON or OFF is looked at, as in Redis.
    let mut opts = Options::default();
    let mut j = 3;
    while j < argv.len() {
        let more = j + 1 < argv.len();
        let a = argv[j];
        if is(a, "redirect") && more {
            j += 1;
            if opts.redirect != 0 {
                ctx.out
                    .err("A client can only redirect to a single other client");
                return;
            }
            let Some(id) = parse_i64(argv[j]) else {
                ctx.out.err("value is not an integer or out of range");
                return;
            };
            // The target must exist now, though it may go away later.
            if ctx.srv.clients.by_number(id as u64).is_none() {
                ctx.out
                    .err("The client ID you want redirect to does not exist");
                return;
            }
            opts.redirect = id as u64;
        } else if is(a, "bcast") {
            opts.bcast = true;
        } else if is(a, "optin") {
            opts.optin = true;
        } else if is(a, "optout") {
            opts.optout = true;
        } else if is(a, "noloop") {
            opts.noloop = true;
        } else if is(a, "prefix") && more {
            j += 1;
            opts.prefixes.push(argv[j].to_vec());
        } else {
            return ctx.syntax_error();
        }
        j += 1;
    }
    if is(argv[2], "off") {
        tracking::disable(ctx.srv, ctx.caller);
        return ctx.out.ok();
    }
    if !is(argv[2], "on") {
        return ctx.syntax_error();
    }
    let current = &ctx.srv.clients[ctx.caller].tracking;
    let refusal = if !opts.bcast && !opts.prefixes.is_empty() {
        Some("PREFIX option requires BCAST mode to be enabled")
    } else if current.on && current.bcast != opts.bcast {
        Some(
            "You can't switch BCAST mode on/off before disabling tracking for this client, \
             and then re-enabling it with a different mode.",
        )
    } else if opts.bcast && (opts.optin || opts.optout) {
        Some("OPTIN and OPTOUT are not compatible with BCAST")
    } else if opts.optin && opts.optout {
        Some("You can't specify both OPTIN mode and OPTOUT mode")
    } else if (opts.optin && current.optout) || (opts.optout && current.optin) {
        Some(
            "You can't switch OPTIN/OPTOUT mode before disabling tracking for this client, \
             and then re-enabling it with a different mode.",
        )
    } else {
        None
    };
    if let Some(msg) = refusal {
        return ctx.out.err(msg);
    }
    if opts.bcast {
        if let Some((msg, proceed)) = tracking::prefix_collision(&current.prefixes, &opts.prefixes)
        {
            ctx.out.error_bytes(&msg);
            // Redis 7.0 goes on after a collision between two later new prefixes, and then
            // replies OK as well: two replies to one command, reproduced as it is.
            if !proceed {
                return;
            }
        }
    }
    tracking::enable(ctx.srv, ctx.caller, opts);
    ctx.out.ok();
}

/// CLIENT CACHING YES|NO: whether the next command (or transaction) is tracked under OPTIN
/// (YES) or OPTOUT (NO).
pub fn caching(ctx: &mut Ctx, argv: &[&[u8]]) {
    let t = &mut ctx.srv.clients[ctx.caller].tracking;
    if !t.on {
        return ctx.out.err(
            "CLIENT CACHING can be called only when the client is in tracking mode with OPTIN \
             or OPTOUT mode enabled",
        );
    }
    if is(argv[2], "yes") {
        if !t.optin {
            return ctx
                .out
                .err("CLIENT CACHING YES is only valid when tracking is enabled in OPTIN mode.");
        }
    } else if is(argv[2], "no") {
        if !t.optout {
            return ctx
                .out
                .err("CLIENT CACHING NO is only valid when tracking is enabled in OPTOUT mode.");
        }
    } else {
        return ctx.syntax_error();
    }
    t.caching = true;
    ctx.out.ok();
}

/// CLIENT GETREDIR: the client invalidations go to (0: itself), -1 when not tracking.
pub fn getredir(ctx: &mut Ctx, _argv: &[&[u8]]) {
    let t = &ctx.srv.clients[ctx.caller].tracking;
    let redirect = if t.on { t.redirect as i64 } else { -1 };
    ctx.out.int(redirect);
}

/// CLIENT TRACKINGINFO: flags, redirect and prefixes, as a map.
pub fn trackinginfo(ctx: &mut Ctx, _argv: &[&[u8]]) {
    let t = ctx.srv.clients[ctx.caller].tracking.clone();
    let mut flags: Vec<&str> = vec![if t.on { "on" } else { "off" }];
    if t.bcast {
        flags.push("bcast");
    }
    if t.optin {
        flags.push("optin");
        if t.caching {
            flags.push("caching-yes");
        }
    }
    if t.optout {
        flags.push("optout");
        if t.caching {
            flags.push("caching-no");
        }
    }
    if t.noloop {
        flags.push("noloop");
    }
    if t.broken_redirect {
        flags.push("broken_redirect");
    }
    let out = &mut *ctx.out;
    out.map(3);
    out.bulk(b"flags");
    out.set(flags.len());
    for f in flags {
        out.bulk(f.as_bytes());
    }
    out.bulk(b"redirect");
    out.int(if t.on { t.redirect as i64 } else { -1 });
    out.bulk(b"prefixes");
    out.array(t.prefixes.len());
    for p in &t.prefixes {
        out.bulk(p);
    }
}
