//! The checks that can refuse a command before it runs, in Redis's order
//! (processCommand): arity, authentication and protected commands; ACL; busy scripts,
//! MISCONF, NOREPLICAS and subscribed mode; maxmemory's deny-oom. Each returns the error
//! to reply, so [`super::execute`] and CLIENT PAUSE's look-ahead share them.

use crate::commands::server;
use crate::commands::spec::CommandFlags;
use crate::commands::table::{self, Command, Traits};
use crate::protocol::reply::{Reply, Resp};
use crate::server::{ClientId, ServerState};

/// The checks Redis makes before running a command, but ACL's.
#[inline(always)]
pub(super) fn check_call(
    srv: &ServerState,
    key: ClientId,
    cmd: &Command,
    argv: &[&[u8]],
) -> Option<String> {
    check_early(srv, key, cmd, argv).or_else(|| check_late(srv, key, cmd, true))
}

/// What the ACL check decided.
pub(super) enum AclVerdict {
    Allowed,
    /// Refused at dispatch: NOPERM.
    Refused(String),
    /// A queued command EXEC finds no longer allowed: that error as its reply.
    ExecDenied(String),
}

/// The ACL check at dispatch (and again for each command EXEC runs, as Redis): a denial
/// is logged in the ACL log. An unrestricted user costs one flag test, inlined here; the
/// rest is out of line so the common path stays small.
#[inline(always)]
pub(super) fn check_acl(
    srv: &mut ServerState,
    key: ClientId,
    cmd: &Command,
    argv: &[&[u8]],
    top_level: bool,
) -> AclVerdict {
    if srv.acl.unrestricted(srv.clients[key].user) {
        return AclVerdict::Allowed;
    }
    check_acl_restricted(srv, key, cmd, argv, top_level)
}

/// [`check_acl`] for a user with restrictions.
#[cold]
#[inline(never)]
fn check_acl_restricted(
    srv: &mut ServerState,
    key: ClientId,
    cmd: &Command,
    argv: &[&[u8]],
    top_level: bool,
) -> AclVerdict {
    let c = &srv.clients[key];
    let Err(denied) = srv.acl.check(c.user, cmd, argv) else {
        return AclVerdict::Allowed;
    };
    let context = if !top_level || c.tx.is_some() {
        crate::acl::Context::Multi
    } else {
        crate::acl::Context::Toplevel
    };
    // Redis names the command being refused as the client's last one (its lookup set it).
    srv.clients[key].last_command = cmd.name;
    crate::commands::acl::log_denial(srv, key, denied, context, cmd.name, argv);
    if top_level {
        AclVerdict::Refused(crate::acl::dispatch_error(denied, cmd.name))
    } else {
        AclVerdict::ExecDenied(crate::acl::exec_error(denied))
    }
}

/// Arity, authentication, protected commands: the checks Redis makes before ACL's.
#[inline(always)]
pub(super) fn check_early(
    srv: &ServerState,
    key: ClientId,
    cmd: &Command,
    argv: &[&[u8]],
) -> Option<String> {
    let argc = argv.len() as i32;
    if (cmd.arity > 0 && argc != cmd.arity) || argc < -cmd.arity {
        return Some(format!(
            "ERR wrong number of arguments for '{}' command",
            cmd.name
        ));
    }
    if !srv.clients[key].authenticated && !cmd.flags.contains(CommandFlags::NO_AUTH) {
        return Some("NOAUTH Authentication required.".into());
    }
    if cmd.flags.contains(CommandFlags::PROTECTED) && !server::debug_allowed(srv, key) {
        return Some(server::DEBUG_NOT_ALLOWED.into());
    }
    None
}

/// Busy scripts, MISCONF, subscribed mode: the checks Redis makes after ACL's.
#[inline(always)]
pub(super) fn check_late(
    srv: &ServerState,
    key: ClientId,
    cmd: &Command,
    top_level: bool,
) -> Option<String> {
    if let Some(r) = srv.scripting.running.as_ref() {
        if r.timed_out && !cmd.flags.contains(CommandFlags::ALLOW_BUSY) {
            return Some(crate::scripting::run::busy_error(r.kind).into());
        }
    }
    // An EXEC writes if its queue does (Redis's is_write_command).
    if srv.writes_refused()
        && (cmd.traits.contains(Traits::REFUSED_ON_MISCONF) || writes(srv, key, cmd))
    {
        return Some(MISCONF.into());
    }
    if !srv.enough_good_replicas() && writes(srv, key, cmd) {
        return Some(NOREPLICAS.into());
    }
    let c = &srv.clients[key];
    // A replica's normal clients may not write: checked for what they send, not again for
    // the commands EXEC runs, as Redis's processCommand.
    if top_level
        && srv.master.is_some()
        && srv.config.replica_read_only
        && !c.master
        && writes(srv, key, cmd)
    {
        return Some(crate::server::master_link::READONLY.into());
    }
    // A replica whose link is down answers only what may run on stale data, when
    // replica-serve-stale-data says so (an EXEC: if all it queued may).
    if top_level
        && srv.master.as_ref().is_some_and(|l| !l.is_up())
        && !srv.config.replica_serve_stale_data
        && !c.master
        && denied_when_stale(srv, key, cmd)
    {
        return Some(MASTERDOWN.into());
    }
    if c.resp == Resp::Two && c.subs.any() && !cmd.traits.contains(Traits::ALLOWED_SUBSCRIBED) {
        return Some(format!(
            "ERR Can't execute '{}': only (P|S)SUBSCRIBE / (P|S)UNSUBSCRIBE / PING / QUIT / \
             RESET are allowed in this context",
            cmd.name
        ));
    }
    None
}

/// Redis's shared.masterdownerr.
const MASTERDOWN: &str =
    "MASTERDOWN Link with MASTER is down and replica-serve-stale-data is set to 'no'.";

/// Redis's shared.noreplicaserr.
pub const NOREPLICAS: &str = "NOREPLICAS Not enough good replicas to write.";

const MISCONF: &str = "MISCONF Redis is configured to save RDB snapshots, but it's currently unable to persist to disk. Commands that may modify the data set are disabled, because this instance is configured to report errors during writes if RDB snapshotting fails (stop-writes-on-bgsave-error option). Please check the Redis logs for details about the RDB error.";

/// `ERR unknown command` / `ERR unknown subcommand`, quoting arguments as Redis does.
pub(super) fn reject_unknown(out: &mut Reply, argv: &[&[u8]]) {
    if let Some(parent) = table::lookup_name(argv[0]) {
        if !parent.subcommands.is_empty() {
            let mut msg = b"ERR unknown subcommand '".to_vec();
            msg.extend(truncated(argv[1], 128));
            msg.extend_from_slice(
                format!("'. Try {} HELP.", parent.name.to_ascii_uppercase()).as_bytes(),
            );
            out.error_bytes(&msg);
            return;
        }
    }
    // As Redis: each argument quoted and cut so that the list stays near 128 bytes.
    let mut args: Vec<u8> = Vec::new();
    for a in &argv[1..] {
        if args.len() >= 128 {
            break;
        }
        let room = 128 - args.len();
        args.push(b'\'');
        args.extend(truncated(a, room));
        args.extend_from_slice(b"' ");
    }
    let mut msg = b"ERR unknown command '".to_vec();
    msg.extend(truncated(argv[0], 128));
    msg.extend_from_slice(b"', with args beginning with: ");
    msg.extend(args);
    out.error_bytes(&msg);
}

fn truncated(a: &[u8], max: usize) -> Vec<u8> {
    a[..a.len().min(max)].to_vec()
}

/// Whether `cmd` is refused while over maxmemory with nothing to evict: a deny-oom
/// command, an EXEC whose queue holds one, and inside MULTI anything that would be queued
/// (queueing grows memory too), as Redis's processCommand.
pub(super) fn refused_on_oom(srv: &ServerState, key: ClientId, cmd: &Command) -> bool {
    if cmd.flags.contains(CommandFlags::DENYOOM) {
        return true;
    }
    let Some(tx) = srv.clients[key].tx.as_ref() else {
        return false;
    };
    if cmd.traits.contains(Traits::RUNS_TRANSACTION) {
        return queued_with(tx, CommandFlags::DENYOOM);
    }
    !cmd.traits.contains(Traits::RUNS_IN_MULTI)
}

/// Whether `cmd` writes: a write command, or an EXEC whose queue holds one.
fn writes(srv: &ServerState, key: ClientId, cmd: &Command) -> bool {
    cmd.flags.contains(CommandFlags::WRITE)
        || (cmd.traits.contains(Traits::RUNS_TRANSACTION)
            && srv.clients[key]
                .tx
                .as_ref()
                .is_some_and(|tx| queued_with(tx, CommandFlags::WRITE)))
}

/// Whether `cmd` may not run on a stale replica: it lacks the STALE flag, or is an EXEC
/// with a queued command that does.
fn denied_when_stale(srv: &ServerState, key: ClientId, cmd: &Command) -> bool {
    if !cmd.flags.contains(CommandFlags::STALE) {
        return true;
    }
    cmd.traits.contains(Traits::RUNS_TRANSACTION)
        && srv.clients[key]
            .tx
            .as_ref()
            .is_some_and(|tx| queued_matching(tx, |c| !c.flags.contains(CommandFlags::STALE)))
}

/// Whether a command queued in `tx` has `flag` (EXEC is judged by its queue).
fn queued_with(tx: &crate::server::client::Transaction, flag: CommandFlags) -> bool {
    queued_matching(tx, |c| c.flags.contains(flag))
}

fn queued_matching(
    tx: &crate::server::client::Transaction,
    test: impl Fn(&Command) -> bool,
) -> bool {
    tx.queued.iter().any(|q| {
        let args: Vec<&[u8]> = q.iter().map(Vec::as_slice).collect();
        table::lookup(&args).is_some_and(|(c, _)| test(c))
    })
}
