//! Connection commands: PING, ECHO, QUIT, RESET, SELECT, AUTH, HELLO.

use super::{is, Ctx};
use crate::config::REDIS_VERSION;
use crate::protocol::parse::parse_i64;
use crate::protocol::reply::Resp;
use crate::server::client::ReplyMode;

/// PING [message]
pub fn ping(ctx: &mut Ctx, argv: &[&[u8]]) {
    // A RESP2 client in subscribed mode gets PING's answer as a pub/sub style array.
    let c = ctx.client();
    if c.subs.any() && c.resp == Resp::Two && argv.len() <= 2 {
        ctx.out.array(2);
        ctx.out.bulk(b"pong");
        ctx.out.bulk(argv.get(1).copied().unwrap_or(b""));
        return;
    }
    match argv.len() {
        1 => ctx.out.simple("PONG"),
        2 => ctx.out.bulk(argv[1]),
        _ => ctx.out.err("wrong number of arguments for 'ping' command"),
    }
}

/// ECHO message
pub fn echo(ctx: &mut Ctx, argv: &[&[u8]]) {
    ctx.out.bulk(argv[1]);
}

/// QUIT: answers OK and closes once it is written.
pub fn quit(ctx: &mut Ctx, _argv: &[&[u8]]) {
    ctx.out.ok();
    ctx.client().close_after_reply = true;
}

/// RESET: back to a fresh connection's state.
pub fn reset(ctx: &mut Ctx, _argv: &[&[u8]]) {
    let auth_required = ctx.srv.auth_required();
    let key = ctx.caller;
    ctx.srv.monitors.retain(|&m| m != key);
    crate::pubsub::forget(ctx.srv, key);
    crate::pubsub::tracking::disable(ctx.srv, key);
    ctx.client().tx = None;
    super::transaction::unwatch_all(ctx);
    ctx.db = 0;
    ctx.out.resp = Resp::Two;
    let c = ctx.client();
    c.resp = Resp::Two;
    c.db = 0;
    c.name.clear();
    c.reply_mode = ReplyMode::On;
    c.monitor = false;
    c.no_evict = false;
    c.no_touch = false;
    // Back to the default user, authenticated only if it needs no password.
    c.user = crate::acl::DEFAULT_USER;
    c.authenticated = !auth_required;
    ctx.out.simple("RESET");
}

/// SELECT index
pub fn select(ctx: &mut Ctx, argv: &[&[u8]]) {
    let Some(index) = parse_i64(argv[1]) else {
        ctx.out.err("value is not an integer or out of range");
        return;
    };
    if i32::try_from(index).is_err() {
        ctx.out
            .err("value is out of range, value must between -2147483648 and 2147483647");
        return;
    }
    if index < 0 || index as usize >= ctx.store.db_count() {
        ctx.out.err("DB index is out of range");
        return;
    }
    ctx.db = index as usize;
    ctx.out.ok();
}

const WRONGPASS: &str = "WRONGPASS invalid username-password pair or user is disabled.";

/// AUTH [username] password
pub fn auth(ctx: &mut Ctx, argv: &[&[u8]]) {
    let (user, pass): (&[u8], &[u8]) = match argv.len() {
        2 => (b"default", argv[1]),
        3 => (argv[1], argv[2]),
        _ => return ctx.syntax_error(),
    };
    // The password never shows in the slow log or MONITOR.
    ctx.redact_arg(1);
    if argv.len() == 3 {
        ctx.redact_arg(2);
    }
    let default_nopass =
        ctx.srv.acl.user(crate::acl::DEFAULT_USER).flags & crate::acl::user::NOPASS != 0;
    if argv.len() == 2 && default_nopass {
        ctx.out.err(
            "AUTH <password> called without any password configured for the default user. \
             Are you sure your configuration is correct?",
        );
        return;
    }
    if super::acl::authenticate(ctx, user, pass, argv[0]) {
        ctx.out.ok();
    } else {
        ctx.out.error(WRONGPASS);
    }
}

/// Whether a client name is acceptable: no spaces, newlines or non-printable bytes.
pub fn valid_client_name(name: &[u8]) -> bool {
    name.iter().all(|&b| (b'!'..=b'~').contains(&b))
}

/// HELLO [protover [AUTH username password] [SETNAME clientname]]
pub fn hello(ctx: &mut Ctx, argv: &[&[u8]]) {
    let mut resp = ctx.out.resp;
    if argv.len() >= 2 {
        match parse_i64(argv[1]) {
            None => {
                ctx.out
                    .err("Protocol version is not an integer or out of range");
                return;
            }
            Some(2) => resp = Resp::Two,
            Some(3) => resp = Resp::Three,
            Some(_) => {
                ctx.out.error("NOPROTO unsupported protocol version");
                return;
            }
        }
    }
    let mut auth: Option<(&[u8], &[u8])> = None;
    let mut name: Option<&[u8]> = None;
    let mut i = 2;
    while i < argv.len() {
        let more = argv.len() - i - 1;
        if is(argv[i], "auth") && more >= 2 {
            ctx.redact_arg(i + 1);
            ctx.redact_arg(i + 2);
            auth = Some((argv[i + 1], argv[i + 2]));
            i += 3;
        } else if is(argv[i], "setname") && more >= 1 {
            name = Some(argv[i + 1]);
            i += 2;
        } else {
            let mut msg = b"ERR Syntax error in HELLO option '".to_vec();
            msg.extend_from_slice(argv[i]);
            msg.push(b'\'');
            ctx.out.error_bytes(&msg);
            return;
        }
    }
    if let Some((user, pass)) = auth {
        if !super::acl::authenticate(ctx, user, pass, argv[0]) {
            ctx.out.error(WRONGPASS);
            return;
        }
    }
    if !ctx.client().authenticated {
        ctx.out.error(
            "NOAUTH HELLO must be called with the client already authenticated, otherwise the \
             HELLO <proto> AUTH <user> <pass> option can be used to authenticate the client and \
             select the RESP protocol version at the same time",
        );
        return;
    }
    if let Some(n) = name {
        if !valid_client_name(n) {
            ctx.out
                .err("Client names cannot contain spaces, newlines or special characters.");
            return;
        }
        ctx.client().name = n.to_vec();
    }
    ctx.out.resp = resp;
    ctx.client().resp = resp;
    let id = ctx.client().id as i64;
    let out = &mut *ctx.out;
    out.map(7);
    out.bulk_str("server");
    out.bulk_str("redis");
    out.bulk_str("version");
    out.bulk_str(REDIS_VERSION);
    out.bulk_str("proto");
    out.int(resp.number());
    out.bulk_str("id");
    out.int(id);
    out.bulk_str("mode");
    out.bulk_str("standalone");
    out.bulk_str("role");
    out.bulk_str("master");
    out.bulk_str("modules");
    out.array(0);
}
