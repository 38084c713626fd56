//! CLIENT subcommands.

use super::connection::valid_client_name;
use super::{is, Ctx};
use crate::protocol::parse::parse_i64;
use crate::server::client::{ClientKind, ReplyMode};
use crate::server::{ClientId, Pause, PauseMode};

/// CLIENT ID
pub fn id(ctx: &mut Ctx, _argv: &[&[u8]]) {
    let id = ctx.client().id as i64;
    ctx.out.int(id);
}

/// CLIENT SETNAME name (empty clears it)
pub fn setname(ctx: &mut Ctx, argv: &[&[u8]]) {
    if !valid_client_name(argv[2]) {
        ctx.out
            .err("Client names cannot contain spaces, newlines or special characters.");
        return;
    }
    ctx.client().name = argv[2].to_vec();
    ctx.out.ok();
}

/// CLIENT GETNAME
pub fn getname(ctx: &mut Ctx, _argv: &[&[u8]]) {
    let name = ctx.client().name.clone();
    if name.is_empty() {
        ctx.out.null();
    } else {
        ctx.out.bulk(&name);
    }
}

/// CLIENT SETINFO LIB-NAME|LIB-VER value (Redis 7.2; sent by go-redis and node-redis)
pub fn setinfo(ctx: &mut Ctx, argv: &[&[u8]]) {
    let (attr, label) = if is(argv[2], "lib-name") {
        (0, "LIB-NAME")
    } else if is(argv[2], "lib-ver") {
        (1, "LIB-VER")
    } else {
        let mut msg = b"ERR Unrecognized option '".to_vec();
        msg.extend_from_slice(argv[2]);
        msg.push(b'\'');
        ctx.out.error_bytes(&msg);
        return;
    };
    if !valid_client_name(argv[3]) {
        ctx.out.err(&format!(
            "{label} cannot contain spaces, newlines or special characters."
        ));
        return;
    }
    let c = ctx.client();
    if attr == 0 {
        c.lib_name = argv[3].to_vec();
    } else {
        c.lib_ver = argv[3].to_vec();
    }
    ctx.out.ok();
}

/// CLIENT INFO
pub fn info(ctx: &mut Ctx, _argv: &[&[u8]]) {
    let now = ctx.now_ms();
    let c = &ctx.srv.clients[ctx.caller];
    let mut line = c.info_line(now, Some(ctx.out), &ctx.srv.acl.user(c.user).name);
    line.push('\n');
    ctx.out.verbatim("txt", line.as_bytes());
}

/// Parses a client type (CLIENT LIST / KILL TYPE); None after replying Redis's error.
fn client_kind(ctx: &mut Ctx, t: &[u8]) -> Option<ClientKind> {
    let kind = ClientKind::parse(t);
    if kind.is_none() {
        let mut msg = b"ERR Unknown client type '".to_vec();
        msg.extend_from_slice(t);
        msg.push(b'\'');
        ctx.out.error_bytes(&msg);
    }
    kind
}

/// CLIENT LIST [TYPE normal|master|replica|pubsub] [ID id [id ...]]
pub fn list(ctx: &mut Ctx, argv: &[&[u8]]) {
    let mut ids: Option<Vec<u64>> = None;
    let mut only_kind: Option<ClientKind> = None;
    if argv.len() == 4 && is(argv[2], "type") {
        let Some(kind) = client_kind(ctx, argv[3]) else {
            return;
        };
        only_kind = Some(kind);
    } else if argv.len() >= 4 && is(argv[2], "id") {
        let mut v = Vec::new();
        for a in &argv[3..] {
            match parse_i64(a) {
                Some(i) => v.push(i as u64),
                None => {
                    ctx.out.err("Invalid client ID");
                    return;
                }
            }
        }
        ids = Some(v);
    } else if argv.len() != 2 {
        return ctx.syntax_error();
    }
    let now = ctx.now_ms();
    let mut text = String::new();
    let me = ctx.caller;
    let mut clients: Vec<_> = ctx.srv.clients.iter().collect();
    clients.sort_by_key(|(_, c)| c.id);
    for (key, c) in clients {
        if only_kind.is_some_and(|k| c.kind() != k) {
            continue;
        }
        if ids.as_ref().is_some_and(|ids| !ids.contains(&c.id)) {
            continue;
        }
        // The caller's own replies are being written to `ctx.out`.
        let live = (key == me).then_some(&*ctx.out);
        text.push_str(&c.info_line(now, live, &ctx.srv.acl.user(c.user).name));
        text.push('\n');
    }
    ctx.out.verbatim("txt", text.as_bytes());
}

/// CLIENT KILL ip:port | CLIENT KILL [ID id] [TYPE t] [ADDR a] [LADDR a] [SKIPME yes|no] [USER u]
pub fn kill(ctx: &mut Ctx, argv: &[&[u8]]) {
    let me = ctx.caller;
    if argv.len() == 3 {
        let target = ctx
            .srv
            .clients
            .iter()
            .find(|(_, c)| c.addr.to_string().as_bytes() == argv[2])
            .map(|(k, _)| k);
        match target {
            Some(k) => {
                close_client(ctx, k);
                ctx.out.ok();
            }
            None => ctx.out.err("No such client"),
        }
        return;
    }
    if !argv.len().is_multiple_of(2) {
        return ctx.syntax_error();
    }
    let mut id: Option<u64> = None;
    let mut addr: Option<&[u8]> = None;
    let mut user: Option<crate::acl::UserId> = None;
    let mut laddr: Option<&[u8]> = None;
    let mut only_kind: Option<ClientKind> = None;
    let mut skipme = true;
    for pair in argv[2..].chunks(2) {
        let (opt, val) = (pair[0], pair[1]);
        if is(opt, "id") {
            match parse_i64(val).filter(|&i| i > 0) {
                Some(i) => id = Some(i as u64),
                None => {
                    ctx.out.err("client-id should be greater than 0");
                    return;
                }
            }
        } else if is(opt, "type") {
            let Some(kind) = client_kind(ctx, val) else {
                return;
            };
            only_kind = Some(kind);
        } else if is(opt, "addr") {
            addr = Some(val);
        } else if is(opt, "laddr") {
            laddr = Some(val);
        } else if is(opt, "user") {
            let Some(u) = ctx.srv.acl.find(val) else {
                let mut msg = b"ERR No such user '".to_vec();
                msg.extend_from_slice(val);
                msg.push(b'\'');
                ctx.out.error_bytes(&msg);
                return;
            };
            user = Some(u);
        } else if is(opt, "skipme") {
            if is(val, "yes") {
                skipme = true;
            } else if is(val, "no") {
                skipme = false;
            } else {
                return ctx.syntax_error();
            }
        } else {
            return ctx.syntax_error();
        }
    }
    let targets: Vec<ClientId> = ctx
        .srv
        .clients
        .iter()
        .filter(|(k, c)| {
            id.is_none_or(|i| c.id == i)
                && addr.is_none_or(|a| c.addr.to_string().as_bytes() == a)
                && laddr.is_none_or(|a| c.local_addr.to_string().as_bytes() == a)
                && only_kind.is_none_or(|k| c.kind() == k)
                && user.is_none_or(|u| c.user == u)
                && !(skipme && *k == me)
        })
        .map(|(k, _)| k)
        .collect();
    for &k in &targets {
        close_client(ctx, k);
    }
    ctx.out.int(targets.len() as i64);
}

/// Closes a client from a command: the caller itself after this reply, others at once
/// (before the loop sleeps).
pub(crate) fn close_client(ctx: &mut Ctx, key: ClientId) {
    let c = &mut ctx.srv.clients[key];
    if key == ctx.caller {
        c.close_after_reply = true;
    } else {
        c.close_asap = true;
        crate::server::client_io::queue_write(ctx.srv, key);
    }
}

/// CLIENT REPLY ON|OFF|SKIP
pub fn reply(ctx: &mut Ctx, argv: &[&[u8]]) {
    if is(argv[2], "on") {
        ctx.client().reply_mode = ReplyMode::On;
        ctx.out.ok();
    } else if is(argv[2], "off") {
        ctx.client().reply_mode = ReplyMode::Off;
    } else if is(argv[2], "skip") {
        if ctx.client().reply_mode != ReplyMode::Off {
            ctx.client().reply_mode = ReplyMode::SkipNext;
        }
    } else {
        ctx.syntax_error();
    }
}

fn on_off(ctx: &mut Ctx, arg: &[u8]) -> Option<bool> {
    if is(arg, "on") {
        Some(true)
    } else if is(arg, "off") {
        Some(false)
    } else {
        ctx.syntax_error();
        None
    }
}

/// CLIENT NO-EVICT ON|OFF
pub fn no_evict(ctx: &mut Ctx, argv: &[&[u8]]) {
    if let Some(v) = on_off(ctx, argv[2]) {
        ctx.client().no_evict = v;
        // Counted (or no longer) from now on.
        ctx.srv.clients_mem_stale = true;
        ctx.out.ok();
    }
}

/// CLIENT NO-TOUCH ON|OFF (Redis 7.2)
pub fn no_touch(ctx: &mut Ctx, argv: &[&[u8]]) {
    if let Some(v) = on_off(ctx, argv[2]) {
        ctx.client().no_touch = v;
        ctx.out.ok();
    }
}

/// CLIENT PAUSE timeout [WRITE|ALL]
pub fn pause(ctx: &mut Ctx, argv: &[&[u8]]) {
    let Some(ms) = parse_i64(argv[2]) else {
        ctx.out.err("timeout is not an integer or out of range");
        return;
    };
    if ms < 0 {
        ctx.out.err("timeout is negative");
        return;
    }
    let mode = match argv.get(3) {
        None => PauseMode::All,
        Some(m) if is(m, "all") => PauseMode::All,
        Some(m) if is(m, "write") => PauseMode::Write,
        Some(_) => {
            ctx.out.err("CLIENT PAUSE mode must be WRITE or ALL");
            return;
        }
    };
    if argv.len() > 4 {
        return ctx.syntax_error();
    }
    let until_ms = ctx.now_ms().saturating_add(ms as u64);
    // A second pause extends the first and can only make it stricter.
    let pause = match ctx.srv.pause {
        Some(p) => Pause {
            mode: if p.mode == PauseMode::All || mode == PauseMode::All {
                PauseMode::All
            } else {
                PauseMode::Write
            },
            until_ms: p.until_ms.max(until_ms),
        },
        None => Pause { mode, until_ms },
    };
    ctx.srv.pause = Some(pause);
    ctx.out.ok();
}

/// CLIENT UNPAUSE
pub fn unpause(ctx: &mut Ctx, _argv: &[&[u8]]) {
    // At once, as Redis: the held clients stop counting as blocked before the next
    // command, and run theirs in this loop iteration.
    ctx.srv.end_pause();
    ctx.out.ok();
}

/// CLIENT UNBLOCK client-id [TIMEOUT|ERROR]
pub fn unblock(ctx: &mut Ctx, argv: &[&[u8]]) {
    let Some(id) = parse_i64(argv[2]) else {
        ctx.out.err("value is not an integer or out of range");
        return;
    };
    let as_error = match argv.get(3) {
        None => false,
        Some(m) if is(m, "timeout") => false,
        Some(m) if is(m, "error") => true,
        Some(_) => {
            ctx.out
                .err("CLIENT UNBLOCK reason should be TIMEOUT or ERROR");
            return;
        }
    };
    let target = ctx
        .srv
        .clients
        .iter()
        .find(|(_, c)| c.id as i64 == id && c.blocked.is_some())
        .map(|(k, _)| k);
    let Some(key) = target else {
        ctx.out.int(0);
        return;
    };
    let error = as_error.then_some("UNBLOCKED client unblocked via CLIENT UNBLOCK");
    ctx.srv.end_block_unserved(key, error, true);
    // The error is counted against this call, as Redis counts errors sent during it.
    let codes = std::mem::take(&mut ctx.srv.clients[key].reply.error_codes);
    ctx.out.error_codes.extend(codes);
    ctx.out.int(1);
}

/// CLIENT HELP
pub fn help(ctx: &mut Ctx, _argv: &[&[u8]]) {
    super::server::help_reply(
        ctx,
        "CLIENT",
        &[
            "CACHING (YES|NO)",
            "    Enable/disable tracking of the keys for next command in OPTIN/OPTOUT modes.",
            "GETREDIR",
            "    Return the client ID we are redirecting to when tracking is enabled.",
            "GETNAME",
            "    Return the name of the current connection.",
            "ID",
            "    Return the ID of the current connection.",
            "INFO",
            "    Return information about the current client connection.",
            "KILL <ip:port>",
            "    Kill connection made from <ip:port>.",
            "KILL <option> <value> [<option> <value> [...]]",
            "    Kill connections. Options are:",
            "    * ADDR (<ip:port>|<unixsocket>:0)",
            "      Kill connections made from the specified address",
            "    * LADDR (<ip:port>|<unixsocket>:0)",
            "      Kill connections made to specified local address",
            "    * TYPE (NORMAL|MASTER|REPLICA|PUBSUB)",
            "      Kill connections by type.",
            "    * USER <username>",
            "      Kill connections authenticated by <username>.",
            "    * SKIPME (YES|NO)",
            "      Skip killing current connection (default: yes).",
            "    * ID <client-id>",
            "      Kill connections by client id.",
            "LIST [options ...]",
            "    Return information about client connections. Options:",
            "    * TYPE (NORMAL|MASTER|REPLICA|PUBSUB)",
            "      Return clients of specified type.",
            "UNPAUSE",
            "    Stop the current client pause, resuming traffic.",
            "PAUSE <timeout> [WRITE|ALL]",
            "    Suspend all, or just write, clients for <timeout> milliseconds.",
            "REPLY (ON|OFF|SKIP)",
            "    Control the replies sent to the current connection.",
            "SETNAME <name>",
            "    Assign the name <name> to the current connection.",
            "SETINFO <option> <value>",
            "    Set client meta attr. Options are:",
            "    * LIB-NAME: the client lib name.",
            "    * LIB-VER: the client lib version.",
            "UNBLOCK <clientid> [TIMEOUT|ERROR]",
            "    Unblock the specified blocked client.",
            "TRACKING (ON|OFF) [REDIRECT <id>] [BCAST] [PREFIX <prefix> [...]]",
            "         [OPTIN] [OPTOUT] [NOLOOP]",
            "    Control server assisted client side caching.",
            "TRACKINGINFO",
            "    Report tracking status for the current connection.",
            "NO-EVICT (ON|OFF)",
            "    Protect current client connection from eviction.",
            "NO-TOUCH (ON|OFF)",
            "    Will not touch LRU/LFU stats when this mode is on.",
        ],
    );
}
