//! The command table: one static list binds each command name to its handler; the metadata
//! (arity, flags, key specs, ACL categories, documentation) comes from `meta.rs`, typed data
//! generated from Redis 7.0.15 for every command it has (tools/gen_command_meta.py).
//! Together they drive dispatch, arity errors, COMMAND, COMMAND INFO / DOCS / LIST / GETKEYS
//! and redis-cli's hints. Only commands with a handler are dispatchable or listed: the
//! others answer as unknown, and implementing one is a line in `handlers.rs`.

use std::collections::HashMap;
use std::sync::OnceLock;

use super::getkeys::KeyRef;
use super::handlers::{EXTRA_SUBCOMMANDS, HANDLERS};
use super::spec::{self, AclCategories, CommandFlags, CommandMeta, KeySpec, KeySpecFlags};
use super::Ctx;

/// What the dispatcher treats specially about a command, beyond its Redis flags. Redis
/// tests these by comparing the command's procedure (`cmd->proc == execCommand`); here they
/// are data in the table, so dispatch never tests a command's name.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Traits(u8);

impl Traits {
    /// Runs at once inside MULTI instead of being queued (MULTI EXEC DISCARD WATCH QUIT
    /// RESET).
    pub const RUNS_IN_MULTI: Traits = Traits(1 << 0);
    /// Runs a queued transaction (EXEC): refusals answer EXECABORT, a WRITE pause looks at
    /// its queue.
    pub const RUNS_TRANSACTION: Traits = Traits(1 << 1);
    /// Refused like a write while the last background save failed (PING, as in Redis).
    pub const REFUSED_ON_MISCONF: Traits = Traits(1 << 2);
    /// Allowed to a RESP2 client in subscribed mode ((P|S)(UN)SUBSCRIBE, PING, QUIT,
    /// RESET).
    pub const ALLOWED_SUBSCRIBED: Traits = Traits(1 << 3);
    /// Leaves CLIENT CACHING in force for the command after it: every CLIENT subcommand,
    /// which in Redis 7.0 share one procedure (resetClient keeps the flag after it).
    pub const KEEPS_CACHING: Traits = Traits(1 << 4);
    /// Read-only, but a tracking client remembers its keys only when its script runs a
    /// read-only command (EVAL_RO, EVALSHA_RO, FCALL_RO), as for EVAL.
    pub const TRACKED_BY_SCRIPT: Traits = Traits(1 << 5);

    /// Whether every trait of `other` is in `self`.
    pub fn contains(self, other: Traits) -> bool {
        self.0 & other.0 == other.0
    }
}

impl std::ops::BitOr for Traits {
    type Output = Traits;
    fn bitor(self, rhs: Traits) -> Traits {
        Traits(self.0 | rhs.0)
    }
}

/// The commands with [`Traits`].
pub static TRAITS: &[(&str, Traits)] = &[
    ("discard", Traits::RUNS_IN_MULTI),
    ("eval_ro", Traits::TRACKED_BY_SCRIPT),
    ("evalsha_ro", Traits::TRACKED_BY_SCRIPT),
    (
        "exec",
        Traits(Traits::RUNS_IN_MULTI.0 | Traits::RUNS_TRANSACTION.0),
    ),
    ("fcall_ro", Traits::TRACKED_BY_SCRIPT),
    ("multi", Traits::RUNS_IN_MULTI),
    (
        "ping",
        Traits(Traits::REFUSED_ON_MISCONF.0 | Traits::ALLOWED_SUBSCRIBED.0),
    ),
    ("psubscribe", Traits::ALLOWED_SUBSCRIBED),
    ("punsubscribe", Traits::ALLOWED_SUBSCRIBED),
    (
        "quit",
        Traits(Traits::RUNS_IN_MULTI.0 | Traits::ALLOWED_SUBSCRIBED.0),
    ),
    (
        "reset",
        Traits(Traits::RUNS_IN_MULTI.0 | Traits::ALLOWED_SUBSCRIBED.0),
    ),
    ("ssubscribe", Traits::ALLOWED_SUBSCRIBED),
    ("subscribe", Traits::ALLOWED_SUBSCRIBED),
    ("sunsubscribe", Traits::ALLOWED_SUBSCRIBED),
    ("unsubscribe", Traits::ALLOWED_SUBSCRIBED),
    ("watch", Traits::RUNS_IN_MULTI),
];

/// A command implementation: gets the context and the whole argv (name included).
pub type Handler = fn(&mut Ctx, &[&[u8]]);

/// One dispatchable command: its metadata bound to its handler. The hot fields are copied
/// out of the metadata so dispatch reads one struct.
#[derive(Debug)]
pub struct Command {
    /// Full lowercase name: `get`, `client|list`.
    pub name: &'static str,
    /// Index of the command's counters in `Stats::commandstats` and of its name in
    /// `Table::names`.
    pub id: usize,
    /// Argument count including the name; negative: at least that many.
    pub arity: i32,
    /// Command flags.
    pub flags: CommandFlags,
    /// ACL categories.
    pub acl_categories: AclCategories,
    /// Where its keys are.
    pub key_specs: &'static [KeySpec],
    /// Everything Redis says about it (COMMAND INFO and DOCS are rendered from this).
    pub meta: &'static CommandMeta,
    /// The implementation.
    pub handler: Handler,
    /// What dispatch treats specially about it.
    pub traits: Traits,
    /// The implemented subcommands, sorted by name.
    pub subcommands: Vec<Command>,
    /// Its bit in ACL command bitmaps (see `acl::ids`).
    pub acl_id: usize,
    /// The channels it names, for ACL checks (PUBLISH, SUBSCRIBE ...).
    pub channels: Option<crate::acl::ids::ChannelSpec>,
}

impl Command {
    /// The keys of a call (argv with the name, and subcommand if any), with how they are
    /// used, found by Redis's rules (key specs, else the command's getkeys procedure).
    pub fn get_keys(&self, argv: &[&[u8]]) -> Vec<KeyRef> {
        self.meta.get_keys(argv)
    }

    /// [`Self::get_keys`] as the key bytes themselves.
    pub fn keys<'a>(&self, argv: &[&'a [u8]]) -> Vec<(&'a [u8], KeySpecFlags)> {
        self.get_keys(argv)
            .into_iter()
            .map(|k| (argv[k.pos], k.flags))
            .collect()
    }

    /// Whether the command can name keys (COMMAND GETKEYS refuses those that cannot).
    pub fn has_keys(&self) -> bool {
        self.meta.has_keys()
    }

    /// The implemented subcommand `name` (any case).
    pub fn subcommand(&self, name: &[u8]) -> Option<&Command> {
        let skip = self.name.len() + 1;
        self.subcommands
            .binary_search_by(|s| {
                let short = &s.name.as_bytes()[skip..];
                short
                    .iter()
                    .copied()
                    .cmp(name.iter().map(u8::to_ascii_lowercase))
            })
            .ok()
            .map(|i| &self.subcommands[i])
    }
}

/// The table, built once from HANDLERS and the generated metadata.
pub struct Table {
    /// The dispatchable top-level commands, sorted by name: those with a handler and the
    /// containers with an implemented subcommand.
    pub commands: Vec<Command>,
    /// Full command names by [`Command::id`].
    pub names: Vec<&'static str>,
}

static TABLE: OnceLock<Table> = OnceLock::new();

/// The command table.
pub fn table() -> &'static Table {
    TABLE.get_or_init(build)
}

fn bind(names: &mut Vec<&'static str>, meta: &'static CommandMeta, handler: Handler) -> Command {
    names.push(meta.name);
    Command {
        name: meta.name,
        id: names.len() - 1,
        arity: meta.arity,
        flags: meta.flags,
        acl_categories: meta.acl_categories,
        key_specs: meta.key_specs,
        meta,
        handler,
        traits: TRAITS
            .iter()
            .find(|(n, _)| *n == meta.name)
            .map_or(Traits::default(), |(_, t)| *t)
            | if meta.name.starts_with("client|") {
                Traits::KEEPS_CACHING
            } else {
                Traits::default()
            },
        subcommands: Vec::new(),
        acl_id: crate::acl::ids::ids()
            .of(meta.name)
            .unwrap_or(crate::acl::ids::FUTURE_BIT),
        channels: crate::acl::ids::channel_spec(meta.name),
    }
}

fn build() -> Table {
    let handlers: HashMap<&str, Handler> = HANDLERS.iter().copied().collect();
    for name in handlers.keys() {
        assert!(
            spec::find(name).is_some(),
            "{name} is not a Redis 7.0 command"
        );
    }
    let mut commands = Vec::new();
    let mut names = Vec::new();
    for meta in super::meta::COMMANDS {
        let subs: Vec<(&'static CommandMeta, Handler)> = meta
            .subcommands
            .iter()
            .filter_map(|s| handlers.get(s.name).map(|h| (s, *h)))
            .chain(
                EXTRA_SUBCOMMANDS
                    .iter()
                    .filter(|(s, _)| s.name.split('|').next() == Some(meta.name))
                    .map(|(s, h)| (*s, *h)),
            )
            .collect();
        let own = handlers.get(meta.name).copied();
        if own.is_none() && subs.is_empty() {
            continue;
        }
        let mut cmd = bind(&mut names, meta, own.unwrap_or(no_subcommand));
        cmd.subcommands = subs
            .into_iter()
            .map(|(s, h)| bind(&mut names, s, h))
            .collect();
        cmd.subcommands.sort_by_key(|s| s.name);
        commands.push(cmd);
    }
    Table { commands, names }
}

/// Never reached: a container's arity requires a subcommand, and unknown subcommands are
/// rejected before dispatch.
fn no_subcommand(ctx: &mut Ctx, argv: &[&[u8]]) {
    let _ = argv;
    ctx.out.err("unknown subcommand");
}

/// Names are at most this long; longer ones cannot be commands.
const MAX_NAME: usize = 32;

/// Top-level commands grouped by name length and first letter: a lookup compares a
/// handful of names in place, without lowercasing a copy and hashing it. Each entry is the
/// name the command answers to (its own, or the one `rename-command` gave it).
struct Shapes(Vec<Vec<(&'static str, &'static Command)>>);

fn shape_of(name: &[u8]) -> Option<usize> {
    let first = *name.first()?;
    (name.len() <= MAX_NAME).then(|| name.len() * 32 + usize::from(first.to_ascii_lowercase() % 32))
}

static SHAPES: OnceLock<Shapes> = OnceLock::new();
/// `rename-command` directives, set once at start, before the first lookup.
static RENAMES: OnceLock<Vec<(String, String)>> = OnceLock::new();

/// The top-level commands clients can call, with the names they call them by: every
/// command under its own name, then the renames applied in order (an empty new name
/// removes the command, as in Redis; renaming a command redust does not implement changes
/// nothing it can dispatch).
fn dispatch_names() -> Vec<(&'static str, &'static Command)> {
    let mut names: Vec<(&'static str, &'static Command)> =
        table().commands.iter().map(|c| (c.name, c)).collect();
    for (from, to) in RENAMES.get().map(Vec::as_slice).unwrap_or_default() {
        let Some(at) = names.iter().position(|(n, _)| n.eq_ignore_ascii_case(from)) else {
            continue;
        };
        let (_, cmd) = names.remove(at);
        if !to.is_empty() {
            // Once per directive, at start: the names live as long as the table.
            names.push((Box::leak(to.to_ascii_lowercase().into_boxed_str()), cmd));
        }
    }
    names
}

fn shapes() -> &'static Shapes {
    SHAPES.get_or_init(|| {
        let mut by_shape = vec![Vec::new(); (MAX_NAME + 1) * 32];
        for (name, cmd) in dispatch_names() {
            if let Some(i) = shape_of(name.as_bytes()) {
                by_shape[i].push((name, cmd));
            }
        }
        Shapes(by_shape)
    })
}

/// Applies `rename-command` directives (old name, new name or ""), already validated by
/// the config loader. Must come before the first command lookup: the dispatch names are
/// built once.
pub fn rename_commands(renames: &[(String, String)]) -> Result<(), String> {
    if SHAPES.get().is_some() {
        return Err("rename-command must be applied before the first command".into());
    }
    RENAMES
        .set(renames.to_vec())
        .map_err(|_| "rename-command was already applied".to_string())
}

/// The top-level commands clients can call (those `rename-command` removed are not),
/// sorted by their own names, as COMMAND lists them.
pub fn callable() -> Vec<&'static Command> {
    if RENAMES.get().is_none() {
        return table().commands.iter().collect();
    }
    let mut cmds: Vec<&'static Command> = shapes().0.iter().flatten().map(|&(_, c)| c).collect();
    cmds.sort_by_key(|c| c.name);
    cmds
}

/// The top-level command named `name` (any case).
pub fn lookup_name(name: &[u8]) -> Option<&'static Command> {
    let bucket = &shapes().0[shape_of(name)?];
    bucket
        .iter()
        .find(|(n, _)| n.as_bytes().eq_ignore_ascii_case(name))
        .map(|&(_, c)| c)
}

/// The command (or subcommand) argv calls, and whether it is a subcommand. A container
/// called with an unknown subcommand gives None.
pub fn lookup(argv: &[&[u8]]) -> Option<(&'static Command, bool)> {
    let cmd = lookup_name(argv.first()?)?;
    if cmd.subcommands.is_empty() || argv.len() < 2 {
        return Some((cmd, false));
    }
    cmd.subcommand(argv[1]).map(|c| (c, true))
}

/// Looks up `name` or `container|sub` (COMMAND INFO / DOCS / GETKEYS take either).
pub fn lookup_full(name: &[u8]) -> Option<&'static Command> {
    match name.iter().position(|&b| b == b'|') {
        Some(i) => lookup(&[&name[..i], &name[i + 1..]])
            .filter(|(_, sub)| *sub)
            .map(|(c, _)| c),
        None => lookup_name(name),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_handler_has_metadata() {
        let t = table();
        for (name, _) in HANDLERS {
            let cmd = lookup_full(name.as_bytes()).unwrap_or_else(|| panic!("{name}"));
            assert_eq!(cmd.name, *name);
        }
        assert!(t.commands.windows(2).all(|w| w[0].name < w[1].name));
        // Ids are unique, and only containers have no handler of their own.
        let mut names = t.names.clone();
        names.sort();
        names.dedup();
        assert_eq!(names.len(), t.names.len());
        for c in &t.commands {
            let bound = HANDLERS.iter().any(|(n, _)| *n == c.name);
            assert!(bound || !c.subcommands.is_empty(), "{}", c.name);
        }
    }

    #[test]
    fn only_implemented_commands_dispatch() {
        // Commands without a handler do not dispatch.
        assert!(lookup_name(b"failover").is_none());
        // Cluster mode is out of redust's scope: CLUSTER answers as when it is disabled.
        let (cluster, sub) = lookup(&[b"cluster", b"info"]).unwrap();
        assert!(sub && cluster.name == "cluster|info");
        let (cmd, sub) = lookup(&[b"CLIENT", b"SetInfo", b"lib-name", b"x"]).unwrap();
        assert!(sub);
        assert_eq!(cmd.name, "client|setinfo");
        let (config, sub) = lookup(&[b"config"]).unwrap();
        assert!(!sub && config.subcommands.len() == 5);
        assert!(lookup_full(b"config|get").is_some());
        assert!(lookup_full(b"config|get|x").is_none());
        assert!(lookup_full(b"get|x").is_none());
    }

    #[test]
    fn keys_from_specs() {
        let set = lookup_name(b"set").unwrap();
        let keys = set.keys(&[b"set", b"k", b"v"]);
        assert_eq!(keys, [(&b"k"[..], KeySpecFlags::OW | KeySpecFlags::UPDATE)]);
        let del = lookup_name(b"del").unwrap();
        assert_eq!(del.keys(&[b"del", b"a", b"b"]).len(), 2);
        assert!(set
            .flags
            .contains(CommandFlags::WRITE | CommandFlags::DENYOOM));
        assert!(set.acl_categories.contains(AclCategories::STRING));
    }
}
