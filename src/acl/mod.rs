//! Access control lists as Redis 7.0 has them: users ([`user`]), their selectors and rule
//! grammar ([`selector`]), the command ids rules refer to ([`ids`]), the ACL log ([`log`])
//! and the ACL file ([`file`]).
//!
//! [`Acl::check`] is what dispatch, EXEC and scripts call before running a command. A user
//! with one selector allowing everything (the default user, unless configured otherwise)
//! is [`user::User::unrestricted`]: the check is then one flag test.

pub mod file;
pub mod ids;
pub mod log;
pub mod selector;
pub mod user;

use std::collections::BTreeMap;

use crate::commands::spec::CommandMeta;
use crate::commands::table::Command;
use ids::ChannelSpec;
pub use log::{AclLog, Context, Reason};
use selector::channel_in;
use user::User;

/// A user's index in [`Acl`]'s table; clients hold one.
pub type UserId = usize;

/// The default user is always at this index.
pub const DEFAULT_USER: UserId = 0;

/// A refusal: why, and the argument (key or channel) at fault.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Denied {
    pub reason: Reason,
    /// Index in argv of the key or channel refused (0 for a command).
    pub pos: usize,
}

/// The users and the ACL log.
#[derive(Debug)]
pub struct Acl {
    users: Vec<Option<User>>,
    by_name: BTreeMap<Vec<u8>, UserId>,
    /// Indexes of deleted users, reused.
    free: Vec<UserId>,
    pub log: AclLog,
}

/// What a check needs to know of a command.
pub struct CheckedCommand<'a> {
    pub acl_id: usize,
    pub meta: &'static CommandMeta,
    /// `no_auth` commands (AUTH, HELLO) need no command permission.
    pub no_auth: bool,
    /// A subcommand: its first argument is argv[2].
    pub is_sub: bool,
    pub channels: Option<ChannelSpec>,
    pub argv: &'a [&'a [u8]],
}

impl<'a> CheckedCommand<'a> {
    /// The check data of any Redis command (ACL DRYRUN names commands redust may lack).
    pub fn of_meta(meta: &'static CommandMeta, argv: &'a [&'a [u8]]) -> CheckedCommand<'a> {
        CheckedCommand {
            acl_id: ids::ids().of(meta.name).unwrap_or(ids::FUTURE_BIT),
            meta,
            no_auth: meta
                .flags
                .contains(crate::commands::spec::CommandFlags::NO_AUTH),
            is_sub: meta.name.contains('|'),
            channels: ids::channel_spec(meta.name),
            argv,
        }
    }

    /// The check data of a dispatchable command.
    pub fn of(cmd: &Command, argv: &'a [&'a [u8]]) -> CheckedCommand<'a> {
        CheckedCommand {
            acl_id: cmd.acl_id,
            meta: cmd.meta,
            no_auth: cmd
                .flags
                .contains(crate::commands::spec::CommandFlags::NO_AUTH),
            is_sub: cmd.name.contains('|'),
            channels: cmd.channels,
            argv,
        }
    }
}

impl Acl {
    /// The default user alone, with `requirepass` as its password if set.
    pub fn new(requirepass: &[u8]) -> Acl {
        let mut acl = Acl {
            users: vec![Some(User::default_user())],
            by_name: BTreeMap::from([(b"default".to_vec(), DEFAULT_USER)]),
            free: Vec::new(),
            log: AclLog::default(),
        };
        acl.set_default_password(requirepass);
        acl
    }

    /// requirepass: the default user's only password, or nopass when empty (Redis's
    /// ACLUpdateDefaultUserPassword).
    pub fn set_default_password(&mut self, password: &[u8]) {
        let u = self.user_mut(DEFAULT_USER);
        let _ = u.apply(b"resetpass", false);
        if password.is_empty() {
            let _ = u.apply(b"nopass", false);
        } else {
            let mut op = b">".to_vec();
            op.extend_from_slice(password);
            let _ = u.apply(&op, false);
        }
    }

    /// The user at `id`; a client's user always exists (deleting one moves its clients
    /// to the default user).
    pub fn user(&self, id: UserId) -> &User {
        self.users
            .get(id)
            .and_then(Option::as_ref)
            .unwrap_or_else(|| self.users[DEFAULT_USER].as_ref().expect("default user"))
    }

    /// The user at `id`, to change it.
    pub fn user_mut(&mut self, id: UserId) -> &mut User {
        let id = if matches!(self.users.get(id), Some(Some(_))) {
            id
        } else {
            DEFAULT_USER
        };
        self.users[id].as_mut().expect("user")
    }

    /// The user called `name`.
    pub fn find(&self, name: &[u8]) -> Option<UserId> {
        self.by_name.get(name).copied()
    }

    /// Every user id, by name (Redis's rax order).
    pub fn ids_by_name(&self) -> Vec<UserId> {
        self.by_name.values().copied().collect()
    }

    /// Adds a user (whose name is not taken) and returns its id.
    pub fn insert(&mut self, u: User) -> UserId {
        let name = u.name.clone();
        let id = match self.free.pop() {
            Some(id) => {
                self.users[id] = Some(u);
                id
            }
            None => {
                self.users.push(Some(u));
                self.users.len() - 1
            }
        };
        self.by_name.insert(name, id);
        id
    }

    /// Removes the user called `name` (never the default user); its id, to move its
    /// clients off it.
    pub fn remove(&mut self, name: &[u8]) -> Option<UserId> {
        let id = self.by_name.remove(name)?;
        debug_assert_ne!(id, DEFAULT_USER);
        self.users[id] = None;
        self.free.push(id);
        Some(id)
    }

    /// Whether a new connection must authenticate: the default user has a password or is
    /// disabled (Redis's authRequired).
    pub fn default_requires_auth(&self) -> bool {
        let d = self.user(DEFAULT_USER);
        d.flags & user::NOPASS == 0 || d.flags & user::DISABLED != 0
    }

    /// Whether user `id` may do anything (the check at dispatch is then skipped).
    #[inline(always)]
    pub fn unrestricted(&self, id: UserId) -> bool {
        matches!(self.users.get(id), Some(Some(u)) if u.unrestricted)
    }

    /// Whether user `id` may run this command with these arguments (Redis's
    /// ACLCheckAllUserCommandPerm). An unrestricted user costs one flag test.
    #[inline]
    pub fn check(&self, id: UserId, cmd: &Command, argv: &[&[u8]]) -> Result<(), Denied> {
        let u = self.user(id);
        if u.unrestricted {
            return Ok(());
        }
        check_user(u, &CheckedCommand::of(cmd, argv))
    }

    /// Whether user `id` may use `key` as `flags` say, whatever the command.
    pub fn key_allowed(
        &self,
        id: UserId,
        key: &[u8],
        flags: crate::commands::spec::KeySpecFlags,
    ) -> bool {
        let u = self.user(id);
        u.unrestricted || u.selectors.iter().any(|s| s.key_allowed(key, flags))
    }

    /// Whether one selector of user `id` runs `cmd` and reaches every key with `flags`
    /// access (SORT's BY and GET: ACLUserCheckCmdWithUnrestrictedKeyAccess).
    pub fn all_keys_allowed(
        &self,
        id: UserId,
        cmd: &Command,
        argv: &[&[u8]],
        flags: crate::commands::spec::KeySpecFlags,
    ) -> bool {
        let u = self.user(id);
        if u.unrestricted {
            return true;
        }
        let c = CheckedCommand::of(cmd, argv);
        u.selectors
            .iter()
            .any(|s| check_selector(s, &c, &mut None).is_ok() && s.all_keys_allowed(flags))
    }
}

/// [`Acl::check`] for a user with restrictions: the command passes if one selector
/// allows it; otherwise the denial reported is the "greatest" (channel, key, command),
/// the last argument among equals.
pub fn check_user(u: &User, c: &CheckedCommand) -> Result<(), Denied> {
    let mut keys: Option<Vec<crate::commands::getkeys::KeyRef>> = None;
    let mut worst = Denied {
        reason: Reason::Command,
        pos: 0,
    };
    for s in &u.selectors {
        match check_selector(s, c, &mut keys) {
            Ok(()) => return Ok(()),
            Err(d) => {
                if d.reason > worst.reason || (d.reason == worst.reason && d.pos > worst.pos) {
                    worst = d;
                }
            }
        }
    }
    Err(worst)
}

/// One selector's verdict (Redis's ACLSelectorCheckCmd); the keys are found once for all
/// selectors.
fn check_selector(
    s: &selector::Selector,
    c: &CheckedCommand,
    keys: &mut Option<Vec<crate::commands::getkeys::KeyRef>>,
) -> Result<(), Denied> {
    let denied = |reason, pos| Err(Denied { reason, pos });
    if !c.no_auth && !s.command_allowed(c.acl_id, c.argv, if c.is_sub { 2 } else { 1 }) {
        return denied(Reason::Command, 0);
    }
    if s.flags & selector::ALLKEYS == 0 && c.meta.has_keys() {
        let keys = keys.get_or_insert_with(|| c.meta.get_keys(c.argv));
        for k in keys.iter() {
            if !s.key_allowed(c.argv[k.pos], k.flags) {
                return denied(Reason::Key, k.pos);
            }
        }
    }
    if let Some(spec) = c.channels {
        if s.flags & selector::ALLCHANNELS == 0 {
            let end = spec
                .count
                .map_or(c.argv.len(), |n| (spec.start + n).min(c.argv.len()));
            for pos in spec.start..end {
                if !channel_in(&s.channels, c.argv[pos], spec.pattern) {
                    return denied(Reason::Channel, pos);
                }
            }
        }
    }
    Ok(())
}

/// The NOPERM error a refused command gets at dispatch.
pub fn dispatch_error(d: Denied, cmd_name: &str) -> String {
    match d.reason {
        Reason::Command => {
            format!("NOPERM this user has no permissions to run the '{cmd_name}' command")
        }
        Reason::Key => {
            "NOPERM this user has no permissions to access one of the keys used as arguments".into()
        }
        Reason::Channel => "NOPERM this user has no permissions to access one of the channels \
                            used as arguments"
            .into(),
        Reason::Auth => "no permission".into(),
    }
}

/// The error a queued command gets when EXEC finds it no longer allowed.
pub fn exec_error(d: Denied) -> String {
    let why = match d.reason {
        Reason::Command => "no permission to execute the command or subcommand",
        Reason::Key => "no permission to touch the specified keys",
        Reason::Channel => "no permission to access one of the channels used as arguments",
        Reason::Auth => "no permission",
    };
    format!(
        "NOPERM ACLs rules changed between the moment the transaction was accumulated and the \
         EXEC call. This command is no longer allowed for the following reason: {why}"
    )
}

/// The error a script's redis.call gets (Redis's getAclErrorMessage).
pub fn script_error(d: Denied) -> String {
    let why = match d.reason {
        Reason::Command => "can't run this command or subcommand",
        Reason::Key => "can't access at least one of the keys mentioned in the command arguments",
        Reason::Channel => "can't publish to the channel mentioned in the command",
        Reason::Auth => "lacking the permissions for the command",
    };
    format!("The user executing the script {why}")
}
