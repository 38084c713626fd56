//! ACL SETUSER / GETUSER / DELUSER / USERS / LIST / CAT / WHOAMI / GENPASS / DRYRUN / LOG /
//! SAVE / LOAD / HELP, and what AUTH, HELLO and dispatch share with them: authenticating,
//! logging denials, disconnecting the clients of users that go away.

use super::{int_arg, is, Ctx};
use crate::acl::selector::{self, describe_commands, Selector, ALLCHANNELS, ALLKEYS};
use crate::acl::user::{self, User};
use crate::acl::{self as acl_mod, ids::ids, Context, Denied, Reason, UserId, DEFAULT_USER};
use crate::commands::spec::AclCategories;
use crate::server::{ClientId, ServerState};

/// Whether acl-pubsub-default grants every channel to new users and selectors.
pub fn pubsub_all(srv: &ServerState) -> bool {
    srv.config.acl_pubsub_default == "allchannels"
}

/// Adds a denial to the ACL log: the object is the command, or the key or channel at
/// `denied.pos`. A script's denial shows its caller's CLIENT INFO.
pub fn log_denial(
    srv: &mut ServerState,
    client: ClientId,
    denied: Denied,
    context: Context,
    cmd_name: &str,
    argv: &[&[u8]],
) {
    let object = match denied.reason {
        Reason::Command => cmd_name.as_bytes().to_vec(),
        Reason::Key | Reason::Channel | Reason::Auth => {
            argv.get(denied.pos).map_or_else(Vec::new, |a| a.to_vec())
        }
    };
    let username = srv.acl.user(srv.clients[client].user).name.clone();
    add_log_entry(srv, client, denied.reason, context, object, username);
}

fn add_log_entry(
    srv: &mut ServerState,
    client: ClientId,
    reason: Reason,
    context: Context,
    object: Vec<u8>,
    username: Vec<u8>,
) {
    let shown = match srv.scripting.running.as_ref() {
        Some(r) if srv.clients[client].script => r.caller,
        _ => client,
    };
    let now = crate::server::unix_ms();
    let client_info = srv
        .clients
        .get(shown)
        .map(|c| c.info_line(now, None, &srv.acl.user(c.user).name))
        .unwrap_or_default();
    let entry = acl_mod::log::Entry {
        count: 1,
        reason,
        context,
        object,
        username,
        ctime_ms: now,
        client_info,
    };
    let max = srv.config.acllog_max_len.max(0) as usize;
    srv.acl.log.add(entry, max);
}

/// Authenticates the caller as `username` (AUTH, HELLO AUTH): on success the client runs
/// as that user; a failure is logged (reason `auth`, object the command's name).
pub fn authenticate(ctx: &mut Ctx, username: &[u8], password: &[u8], command: &[u8]) -> bool {
    let id = ctx.srv.acl.find(username);
    if let Some(id) = id.filter(|&id| ctx.srv.acl.user(id).password_ok(password)) {
        let c = ctx.client();
        c.user = id;
        c.authenticated = true;
        return true;
    }
    let context = if ctx.client().tx.is_some() {
        Context::Multi
    } else {
        Context::Toplevel
    };
    let caller = ctx.caller;
    add_log_entry(
        ctx.srv,
        caller,
        Reason::Auth,
        context,
        command.to_vec(),
        username.to_vec(),
    );
    false
}

/// Moves the clients of user `id` (deleted) to the default user, unauthenticated, and
/// closes them: the caller after its reply, the others at once.
fn kill_clients_of(ctx: &mut Ctx, id: UserId) {
    let keys: Vec<ClientId> = ctx
        .srv
        .clients
        .iter()
        .filter(|(_, c)| c.user == id && !c.script)
        .map(|(k, _)| k)
        .collect();
    for k in keys {
        let c = &mut ctx.srv.clients[k];
        c.user = DEFAULT_USER;
        c.authenticated = false;
        super::client::close_client(ctx, k);
    }
}

/// Disconnects the Pub/Sub clients of a changed user whose subscriptions its new channel
/// permissions no longer cover (Redis's ACLKillPubsubClientsIfNeeded).
fn kill_pubsub_clients(ctx: &mut Ctx, id: UserId, new: &User, old: &User) {
    if new.selectors.iter().any(|s| s.flags & ALLCHANNELS != 0) {
        return;
    }
    let upcoming: Vec<Vec<u8>> = new
        .selectors
        .iter()
        .flat_map(|s| s.channels.iter().cloned())
        .collect();
    let superset = old
        .selectors
        .iter()
        .all(|s| s.flags & ALLCHANNELS == 0 && s.channels.iter().all(|c| upcoming.contains(c)));
    if superset {
        return;
    }
    use crate::pubsub::Kind;
    let doomed: Vec<ClientId> = ctx
        .srv
        .clients
        .iter()
        .filter(|(_, c)| c.user == id && c.subs.any())
        .filter(|(_, c)| {
            c.subs
                .list(Kind::Pattern)
                .iter()
                .any(|p| !selector::channel_in(&upcoming, p, true))
                || [Kind::Channel, Kind::Shard].iter().any(|&k| {
                    c.subs
                        .list(k)
                        .iter()
                        .any(|ch| !selector::channel_in(&upcoming, ch, false))
                })
        })
        .map(|(k, _)| k)
        .collect();
    for k in doomed {
        super::client::close_client(ctx, k);
    }
}

/// ACL SETUSER username [rule ...]
pub fn setuser(ctx: &mut Ctx, argv: &[&[u8]]) {
    for i in 2..argv.len() {
        ctx.redact_arg(i);
    }
    let name = argv[2];
    if !user::valid_name(name) {
        ctx.out
            .err("Usernames can't contain spaces or null characters");
        return;
    }
    let all = pubsub_all(ctx.srv);
    let existing = ctx.srv.acl.find(name);
    let base = existing.map(|id| ctx.srv.acl.user(id).clone());
    match user::set_user(base.as_ref(), name, &argv[3..], all) {
        Err(e) => ctx.out.err(&e.replace(['\r', '\n'], " ")),
        Ok(new) => {
            match existing {
                Some(id) => {
                    let old = base.expect("existing");
                    kill_pubsub_clients(ctx, id, &new, &old);
                    *ctx.srv.acl.user_mut(id) = new;
                }
                None => {
                    ctx.srv.acl.insert(new);
                }
            }
            ctx.out.ok();
        }
    }
}

/// ACL DELUSER username [username ...]
pub fn deluser(ctx: &mut Ctx, argv: &[&[u8]]) {
    if argv[2..].iter().any(|n| *n == b"default") {
        ctx.out.err("The 'default' user cannot be removed");
        return;
    }
    let mut deleted = 0;
    for name in &argv[2..] {
        if let Some(id) = ctx.srv.acl.remove(name) {
            kill_clients_of(ctx, id);
            deleted += 1;
        }
    }
    ctx.out.int(deleted);
}

fn selector_fields(ctx: &mut Ctx, s: &Selector) {
    ctx.out.bulk_str("commands");
    ctx.out.bulk_str(&describe_commands(s));
    ctx.out.bulk_str("keys");
    if s.flags & ALLKEYS != 0 {
        ctx.out.bulk(b"~*");
    } else {
        let parts: Vec<Vec<u8>> = s.patterns.iter().map(selector::pattern_text).collect();
        ctx.out.bulk(&parts.join(&b' '));
    }
    ctx.out.bulk_str("channels");
    if s.flags & ALLCHANNELS != 0 {
        ctx.out.bulk(b"&*");
    } else {
        let parts: Vec<Vec<u8>> = s
            .channels
            .iter()
            .map(|c| [b"&".as_slice(), c].concat())
            .collect();
        ctx.out.bulk(&parts.join(&b' '));
    }
}

/// ACL GETUSER username
pub fn getuser(ctx: &mut Ctx, argv: &[&[u8]]) {
    let Some(id) = ctx.srv.acl.find(argv[2]) else {
        ctx.out.null();
        return;
    };
    let u = ctx.srv.acl.user(id).clone();
    ctx.out.map(6);
    ctx.out.bulk_str("flags");
    let flags: Vec<&str> = u.flag_names().collect();
    ctx.out.set(flags.len());
    for f in flags {
        ctx.out.bulk_str(f);
    }
    ctx.out.bulk_str("passwords");
    ctx.out.array(u.passwords.len());
    for p in &u.passwords {
        ctx.out.bulk(p);
    }
    selector_fields(ctx, &u.selectors[0]);
    ctx.out.bulk_str("selectors");
    ctx.out.array(u.selectors.len() - 1);
    for s in &u.selectors[1..] {
        ctx.out.map(3);
        selector_fields(ctx, s);
    }
}

/// ACL USERS
pub fn users(ctx: &mut Ctx, _argv: &[&[u8]]) {
    let ids = ctx.srv.acl.ids_by_name();
    ctx.out.array(ids.len());
    for id in ids {
        let name = ctx.srv.acl.user(id).name.clone();
        ctx.out.bulk(&name);
    }
}

/// ACL LIST
pub fn list(ctx: &mut Ctx, _argv: &[&[u8]]) {
    let lines = ctx.srv.acl.lines();
    ctx.out.array(lines.len());
    for l in lines {
        ctx.out.bulk(&l);
    }
}

/// ACL WHOAMI
pub fn whoami(ctx: &mut Ctx, _argv: &[&[u8]]) {
    let id = ctx.client().user;
    let name = ctx.srv.acl.user(id).name.clone();
    ctx.out.bulk(&name);
}

/// ACL CAT [category]
pub fn cat(ctx: &mut Ctx, argv: &[&[u8]]) {
    match argv.len() {
        2 => {
            ctx.out.array(AclCategories::ALL.len());
            for (_, name) in AclCategories::ALL {
                ctx.out.bulk_str(name);
            }
        }
        3 => {
            let Some(cat) = AclCategories::from_name(argv[2]) else {
                let mut msg = b"ERR Unknown category '".to_vec();
                msg.extend_from_slice(&argv[2][..argv[2].len().min(128)]);
                msg.push(b'\'');
                ctx.out.error_bytes(&msg);
                return;
            };
            let names: Vec<&str> = ids()
                .metas
                .iter()
                .filter(|m| m.acl_categories.intersects(cat))
                .map(|m| m.name)
                .collect();
            ctx.out.array(names.len());
            for n in names {
                ctx.out.bulk_str(n);
            }
        }
        _ => super::subcommand_syntax_error(ctx.out, "ACL", argv[1]),
    }
}

/// ACL GENPASS [bits]
pub fn genpass(ctx: &mut Ctx, argv: &[&[u8]]) {
    const MAX_BITS: i64 = 4096;
    let mut bits = 256;
    if argv.len() == 3 {
        let Some(b) = int_arg(ctx.out, argv[2]) else {
            return;
        };
        bits = b;
    } else if argv.len() > 3 {
        return super::subcommand_syntax_error(ctx.out, "ACL", argv[1]);
    }
    if bits <= 0 || bits > MAX_BITS {
        ctx.out.err(&format!(
            "ACL GENPASS argument must be the number of bits for the output password, a \
             positive number up to {MAX_BITS}"
        ));
        return;
    }
    let chars = ((bits + 3) / 4) as usize;
    let mut random = vec![0u8; chars.div_ceil(2)];
    if random_bytes(&mut random).is_err() {
        ctx.out.err("Unable to read random bytes");
        return;
    }
    let hex: String = random.iter().map(|b| format!("{b:02x}")).collect();
    ctx.out.bulk(&hex.as_bytes()[..chars]);
}

/// Bytes from the kernel's CSPRNG.
fn random_bytes(buf: &mut [u8]) -> std::io::Result<()> {
    use std::io::Read;
    std::fs::File::open("/dev/urandom")?.read_exact(buf)
}

/// ACL LOG [count | RESET]
pub fn log(ctx: &mut Ctx, argv: &[&[u8]]) {
    let mut count = 10;
    match argv.len() {
        2 => {}
        3 if is(argv[2], "reset") => {
            ctx.srv.acl.log.clear();
            ctx.out.ok();
            return;
        }
        3 => {
            let Some(n) = int_arg(ctx.out, argv[2]) else {
                return;
            };
            count = n.max(0);
        }
        _ => return super::subcommand_syntax_error(ctx.out, "ACL", argv[1]),
    }
    let now = crate::server::unix_ms();
    ctx.srv.acl.log.reply(ctx.out, count as usize, now);
}

/// ACL DRYRUN username command [arg ...]
pub fn dryrun(ctx: &mut Ctx, argv: &[&[u8]]) {
    let Some(id) = ctx.srv.acl.find(argv[2]) else {
        let mut msg = b"ERR User '".to_vec();
        msg.extend_from_slice(argv[2]);
        msg.extend_from_slice(b"' not found");
        return ctx.out.error_bytes(&msg);
    };
    let call = &argv[3..];
    let Some(cmd) = crate::commands::spec::find_call(call) else {
        let mut msg = b"ERR Command '".to_vec();
        msg.extend_from_slice(argv[3]);
        msg.extend_from_slice(b"' not found");
        return ctx.out.error_bytes(&msg);
    };
    let argc = call.len() as i32;
    if (cmd.arity > 0 && cmd.arity != argc) || argc < -cmd.arity {
        ctx.out.err(&format!(
            "wrong number of arguments for '{}' command",
            cmd.name
        ));
        return;
    }
    let u = ctx.srv.acl.user(id);
    let verdict = if u.unrestricted {
        Ok(())
    } else {
        acl_mod::check_user(u, &acl_mod::CheckedCommand::of_meta(cmd, call))
    };
    match verdict {
        Ok(()) => ctx.out.ok(),
        Err(d) => {
            let mut msg = match d.reason {
                Reason::Command => format!(
                    "This user has no permissions to run the '{}' command",
                    cmd.name
                )
                .into_bytes(),
                Reason::Key | Reason::Channel | Reason::Auth => {
                    let mut m = b"This user has no permissions to access the '".to_vec();
                    m.extend_from_slice(call[d.pos]);
                    m
                }
            };
            match d.reason {
                Reason::Key => msg.extend_from_slice(b"' key"),
                Reason::Channel | Reason::Auth => msg.extend_from_slice(b"' channel"),
                Reason::Command => {}
            }
            ctx.out.bulk(&msg);
        }
    }
}

const NO_ACL_FILE: &str = "This Redis instance is not configured to use an ACL file. You may \
                           want to specify users via the ACL SETUSER command and then issue a \
                           CONFIG REWRITE (assuming you have a Redis configuration file set) in \
                           order to store users in the Redis configuration.";

/// ACL LOAD: replaces every user with the ACL file's; the clients of the users replaced
/// are disconnected.
pub fn load(ctx: &mut Ctx, _argv: &[&[u8]]) {
    let path = ctx.srv.config.aclfile.clone();
    if path.is_empty() {
        return ctx.out.err(NO_ACL_FILE);
    }
    let all = pubsub_all(ctx.srv);
    match ctx.srv.acl.load_file(&path, all) {
        Ok(removed) => {
            for id in removed {
                kill_clients_of(ctx, id);
            }
            ctx.out.ok();
        }
        Err(e) => ctx.out.err(&e),
    }
}

/// ACL SAVE
pub fn save(ctx: &mut Ctx, _argv: &[&[u8]]) {
    let path = ctx.srv.config.aclfile.clone();
    if path.is_empty() {
        return ctx.out.err(NO_ACL_FILE);
    }
    match ctx.srv.acl.save_file(&path) {
        Ok(()) => ctx.out.ok(),
        Err(_) => ctx.out.err(
            "There was an error trying to save the ACLs. Please check the server logs for more \
             information",
        ),
    }
}

/// ACL HELP
pub fn help(ctx: &mut Ctx, _argv: &[&[u8]]) {
    super::server::help_reply(
        ctx,
        "ACL",
        &[
            "CAT [<category>]",
            "    List all commands that belong to <category>, or all command categories",
            "    when no category is specified.",
            "DELUSER <username> [<username> ...]",
            "    Delete a list of users.",
            "DRYRUN <username> <command> [<arg> ...]",
            "    Returns whether the user can execute the given command without executing the command.",
            "GETUSER <username>",
            "    Get the user's details.",
            "GENPASS [<bits>]",
            "    Generate a secure 256-bit user password. The optional `bits` argument can",
            "    be used to specify a different size.",
            "LIST",
            "    Show users details in config file format.",
            "LOAD",
            "    Reload users from the ACL file.",
            "LOG [<count> | RESET]",
            "    Show the ACL log entries.",
            "SAVE",
            "    Save the current config to the ACL file.",
            "SETUSER <username> <attribute> [<attribute> ...]",
            "    Create or modify a user with the specified attributes.",
            "USERS",
            "    List all the registered usernames.",
            "WHOAMI",
            "    Return the current connection username.",
        ],
    );
}
