//! Typed command metadata: what `meta.rs` (generated from Redis 7.0.15 by
//! tools/gen_command_meta.py) describes for every command and subcommand: arity, flags,
//! ACL categories, key specs, the procedure that finds keys the specs cannot, and the
//! documentation COMMAND DOCS reports.
//!
//! The bit sets list their members in the order Redis prints them, so COMMAND INFO can be
//! rendered from the bits and still match Redis byte for byte.

use std::fmt;
use std::ops::{BitAnd, BitOr, BitOrAssign};

/// Declares a `u64` bit-set newtype: one const per member, in the order Redis prints them,
/// with the name it prints.
macro_rules! bitset {
    (
        $(#[$meta:meta])*
        $name:ident {
            $( $(#[$fmeta:meta])* $flag:ident = $bit:literal, $text:literal; )*
        }
    ) => {
        $(#[$meta])*
        #[derive(Clone, Copy, PartialEq, Eq, Hash, Default)]
        pub struct $name(u64);

        impl $name {
            $( $(#[$fmeta])* pub const $flag: $name = $name(1 << $bit); )*

            /// No member.
            pub const EMPTY: $name = $name(0);

            /// Every member with its name, in the order Redis prints them.
            pub const ALL: &'static [($name, &'static str)] = &[$(($name::$flag, $text)),*];

            /// The union of `members` (a `const` stand-in for `|`).
            pub const fn of(members: &[$name]) -> $name {
                let mut bits = 0;
                let mut i = 0;
                while i < members.len() {
                    bits |= members[i].0;
                    i += 1;
                }
                $name(bits)
            }

            /// The raw bits.
            pub const fn bits(self) -> u64 {
                self.0
            }

            /// Whether every member of `other` is in `self`.
            pub const fn contains(self, other: $name) -> bool {
                self.0 & other.0 == other.0
            }

            /// Whether `self` and `other` share a member.
            pub const fn intersects(self, other: $name) -> bool {
                self.0 & other.0 != 0
            }

            /// Whether no member is set.
            pub const fn is_empty(self) -> bool {
                self.0 == 0
            }

            /// The member called `name` (any case), as the names Redis prints.
            pub fn from_name(name: &[u8]) -> Option<$name> {
                Self::ALL
                    .iter()
                    .find(|(_, n)| n.as_bytes().eq_ignore_ascii_case(name))
                    .map(|(f, _)| *f)
            }

            /// The names of the members set, in Redis's order.
            pub fn names(self) -> impl Iterator<Item = &'static str> {
                Self::ALL
                    .iter()
                    .filter(move |(f, _)| self.contains(*f))
                    .map(|(_, n)| *n)
            }
        }

        impl BitOr for $name {
            type Output = $name;
            fn bitor(self, rhs: $name) -> $name {
                $name(self.0 | rhs.0)
            }
        }

        impl BitOrAssign for $name {
            fn bitor_assign(&mut self, rhs: $name) {
                self.0 |= rhs.0;
            }
        }

        impl BitAnd for $name {
            type Output = $name;
            fn bitand(self, rhs: $name) -> $name {
                $name(self.0 & rhs.0)
            }
        }

        impl fmt::Debug for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.debug_set().entries(self.names()).finish()
            }
        }
    };
}

bitset! {
    /// Command flags (Redis's `CMD_*`). COMMAND INFO prints all but [`Self::HIDDEN`].
    CommandFlags {
        /// May modify the keyspace.
        WRITE = 0, "write";
        /// Only reads the keyspace.
        READONLY = 1, "readonly";
        /// May grow memory: refused when over maxmemory.
        DENYOOM = 2, "denyoom";
        /// Provided by a module.
        MODULE = 3, "module";
        /// Administrative: not fed to MONITOR, may be refused to ordinary users.
        ADMIN = 4, "admin";
        /// Pub/Sub related.
        PUBSUB = 5, "pubsub";
        /// Not allowed from scripts.
        NOSCRIPT = 6, "noscript";
        /// May block the client.
        BLOCKING = 7, "blocking";
        /// Allowed while the dataset is loading.
        LOADING = 8, "loading";
        /// Allowed on a replica with stale data.
        STALE = 9, "stale";
        /// Not fed to MONITOR.
        SKIP_MONITOR = 10, "skip_monitor";
        /// Not logged in the slow log.
        SKIP_SLOWLOG = 11, "skip_slowlog";
        /// Accepted in cluster importing state after ASKING.
        ASKING = 12, "asking";
        /// O(1) or O(log N): never delays the server.
        FAST = 13, "fast";
        /// Allowed before authentication.
        NO_AUTH = 14, "no_auth";
        /// Does not write but may cause replication (so CLIENT PAUSE WRITE holds it).
        MAY_REPLICATE = 15, "may_replicate";
        /// Its keys may all be absent (GETKEYS then answers an empty list).
        NO_MANDATORY_KEYS = 16, "no_mandatory_keys";
        /// Refused unless enabled by configuration (DEBUG, MODULE LOAD ...).
        PROTECTED = 17, "protected";
        /// Refused while loading asynchronously.
        NO_ASYNC_LOADING = 18, "no_async_loading";
        /// Not allowed inside MULTI.
        NO_MULTI = 19, "no_multi";
        /// The legacy first/last/step range does not cover its keys.
        MOVABLEKEYS = 20, "movablekeys";
        /// Allowed while a script or function runs too long.
        ALLOW_BUSY = 21, "allow_busy";
        /// May touch keys it does not name (RANDOMKEY, SCAN).
        TOUCHES_ARBITRARY_KEYS = 22, "touches_arbitrary_keys";
    }
}

impl CommandFlags {
    /// Flags Redis keeps to itself: COMMAND INFO does not print them, so the generator takes
    /// them from a list of its own.
    pub const HIDDEN: CommandFlags = CommandFlags::of(&[
        CommandFlags::MAY_REPLICATE,
        CommandFlags::PROTECTED,
        CommandFlags::TOUCHES_ARBITRARY_KEYS,
    ]);

    /// The names COMMAND INFO prints.
    pub fn shown_names(self) -> impl Iterator<Item = &'static str> {
        CommandFlags(self.0 & !Self::HIDDEN.0).names()
    }
}

bitset! {
    /// Redis 7.0's ACL categories; COMMAND INFO prints them with an `@`.
    AclCategories {
        /// Generic key commands.
        KEYSPACE = 0, "keyspace";
        /// Reads keys' values.
        READ = 1, "read";
        /// Writes keys' values.
        WRITE = 2, "write";
        /// Sets.
        SET = 3, "set";
        /// Sorted sets.
        SORTEDSET = 4, "sortedset";
        /// Lists.
        LIST = 5, "list";
        /// Hashes.
        HASH = 6, "hash";
        /// Strings.
        STRING = 7, "string";
        /// Bitmaps.
        BITMAP = 8, "bitmap";
        /// HyperLogLogs.
        HYPERLOGLOG = 9, "hyperloglog";
        /// Geospatial indexes.
        GEO = 10, "geo";
        /// Streams.
        STREAM = 11, "stream";
        /// Pub/Sub.
        PUBSUB = 12, "pubsub";
        /// Administration.
        ADMIN = 13, "admin";
        /// O(1) / O(log N) commands.
        FAST = 14, "fast";
        /// Everything not fast.
        SLOW = 15, "slow";
        /// May block.
        BLOCKING = 16, "blocking";
        /// Potentially dangerous.
        DANGEROUS = 17, "dangerous";
        /// Connection handling.
        CONNECTION = 18, "connection";
        /// MULTI / EXEC and friends.
        TRANSACTION = 19, "transaction";
        /// Lua scripts and functions.
        SCRIPTING = 20, "scripting";
    }
}

bitset! {
    /// How a command uses the keys of a key spec (Redis's `CMD_KEY_*`).
    KeySpecFlags {
        /// Reads the value.
        RO = 0, "RO";
        /// Reads and modifies the value.
        RW = 1, "RW";
        /// Overwrites the value.
        OW = 2, "OW";
        /// Deletes the key.
        RM = 3, "RM";
        /// Returns, copies or uses the user data.
        ACCESS = 4, "access";
        /// Updates data in the value.
        UPDATE = 5, "update";
        /// Adds data to the value.
        INSERT = 6, "insert";
        /// Deletes data from the value.
        DELETE = 7, "delete";
        /// A channel or other name that is not a key (routed like one in a cluster).
        NOT_KEY = 8, "not_key";
        /// The spec may miss keys: a procedure must find them.
        INCOMPLETE = 9, "incomplete";
        /// The flags depend on the arguments: a procedure must tell them.
        VARIABLE_FLAGS = 10, "variable_flags";
    }
}

bitset! {
    /// Flags of a documented argument.
    ArgFlags {
        /// May be left out.
        OPTIONAL = 0, "optional";
        /// May be repeated.
        MULTIPLE = 1, "multiple";
        /// Its token is repeated with each repetition.
        MULTIPLE_TOKEN = 2, "multiple_token";
    }
}

bitset! {
    /// Documentation flags of a command.
    DocFlags {
        /// Replaced by another command.
        DEPRECATED = 0, "deprecated";
        /// For internal use (replication, cluster).
        SYSCMD = 1, "syscmd";
    }
}

/// Where a key spec's keys start.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum BeginSearch {
    /// At this argument index.
    Index(i32),
    /// After the first argument equal (any case) to `keyword`, searched from `startfrom`
    /// (negative: counted from the end, searching backwards).
    Keyword {
        /// The keyword.
        keyword: &'static str,
        /// Where the search starts.
        startfrom: i32,
    },
    /// Only a procedure can tell.
    Unknown,
}

/// Which arguments, from where [`BeginSearch`] landed, are keys.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum FindKeys {
    /// Keys up to `lastkey` (relative; negative counts from the end of the arguments, or with
    /// `limit` > 0 stops after 1/limit of the remaining arguments), every `keystep`.
    Range {
        /// The last key, relative to the first one (or from the end when negative).
        lastkey: i32,
        /// Distance between keys.
        keystep: i32,
        /// With a negative `lastkey`: only the first (remaining / limit) arguments.
        limit: i32,
    },
    /// The argument at `keynumidx` tells how many keys follow, starting at `firstkey`.
    Keynum {
        /// Where the key count is, relative to the begin-search position.
        keynumidx: i32,
        /// Where the first key is, relative to the begin-search position.
        firstkey: i32,
        /// Distance between keys.
        keystep: i32,
    },
    /// Only a procedure can tell.
    Unknown,
}

/// One key spec: where some of a command's keys are and how it uses them.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct KeySpec {
    /// A remark COMMAND INFO shows.
    pub notes: Option<&'static str>,
    /// How the keys are used.
    pub flags: KeySpecFlags,
    /// Where the search starts.
    pub begin_search: BeginSearch,
    /// Which arguments are keys from there.
    pub find_keys: FindKeys,
}

/// Redis's getkeys procedures: they find keys (or key flags) the specs cannot, and are
/// used when a spec is unknown, incomplete, has variable flags or fails on the arguments.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum GetKeysProc {
    /// `[store] numkeys key ...` (ZUNIONSTORE, EVAL, LMPOP ...): positions of the store key
    /// (0: none), of the key count and of the first key.
    Numkeys {
        /// Position of the destination key, 0 for none.
        store: usize,
        /// Position of the key count.
        count: usize,
        /// Position of the first key.
        first: usize,
    },
    /// SET: reads the old value with GET.
    Set,
    /// BITFIELD: read-only unless SET / INCRBY.
    Bitfield,
    /// SORT: the last STORE's key.
    Sort,
    /// SORT_RO: only the sorted key.
    SortRo,
    /// MIGRATE: the key, or the keys after KEYS.
    Migrate,
    /// GEORADIUS and GEORADIUSBYMEMBER: the last STORE / STOREDIST key.
    Georadius,
    /// XREAD and XREADGROUP: the keys after STREAMS.
    Xread,
}

/// The kind of a documented argument.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ArgType {
    /// Any string.
    String,
    /// An integer.
    Integer,
    /// A floating-point number.
    Double,
    /// A key name.
    Key,
    /// A glob-style pattern.
    Pattern,
    /// A Unix time.
    UnixTime,
    /// A token alone.
    PureToken,
    /// One of the sub-arguments.
    Oneof,
    /// All the sub-arguments, in order.
    Block,
}

impl ArgType {
    /// The name COMMAND DOCS prints.
    pub fn name(self) -> &'static str {
        match self {
            ArgType::String => "string",
            ArgType::Integer => "integer",
            ArgType::Double => "double",
            ArgType::Key => "key",
            ArgType::Pattern => "pattern",
            ArgType::UnixTime => "unix-time",
            ArgType::PureToken => "pure-token",
            ArgType::Oneof => "oneof",
            ArgType::Block => "block",
        }
    }

    /// Whether the argument has sub-arguments (COMMAND DOCS always prints them).
    pub fn has_subargs(self) -> bool {
        matches!(self, ArgType::Oneof | ArgType::Block)
    }
}

/// A documented argument, as COMMAND DOCS reports it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Arg {
    /// Its name.
    pub name: &'static str,
    /// Its kind.
    pub kind: ArgType,
    /// The key spec that covers it (keys only).
    pub key_spec_index: Option<u32>,
    /// The token that introduces it.
    pub token: Option<&'static str>,
    /// A summary.
    pub summary: Option<&'static str>,
    /// The version that added it.
    pub since: Option<&'static str>,
    /// The version that deprecated it.
    pub deprecated_since: Option<&'static str>,
    /// Optional, multiple ...
    pub flags: ArgFlags,
    /// Sub-arguments of a oneof or block.
    pub subargs: &'static [Arg],
}

impl Arg {
    /// An argument with just a name and a kind; the builders below add the rest (they are
    /// `const`, so generated statics stay one line per argument).
    pub const fn new(name: &'static str, kind: ArgType) -> Arg {
        Arg {
            name,
            kind,
            key_spec_index: None,
            token: None,
            summary: None,
            since: None,
            deprecated_since: None,
            flags: ArgFlags::EMPTY,
            subargs: &[],
        }
    }

    /// With the key spec that covers it.
    pub const fn key_spec(self, index: u32) -> Arg {
        Arg {
            key_spec_index: Some(index),
            ..self
        }
    }

    /// With its token.
    pub const fn token(self, token: &'static str) -> Arg {
        Arg {
            token: Some(token),
            ..self
        }
    }

    /// With a summary.
    pub const fn summary(self, summary: &'static str) -> Arg {
        Arg {
            summary: Some(summary),
            ..self
        }
    }

    /// With the version that added it.
    pub const fn since(self, since: &'static str) -> Arg {
        Arg {
            since: Some(since),
            ..self
        }
    }

    /// With the version that deprecated it.
    pub const fn deprecated_since(self, version: &'static str) -> Arg {
        Arg {
            deprecated_since: Some(version),
            ..self
        }
    }

    /// With flags.
    pub const fn flags(self, flags: ArgFlags) -> Arg {
        Arg { flags, ..self }
    }

    /// With sub-arguments.
    pub const fn args(self, subargs: &'static [Arg]) -> Arg {
        Arg { subargs, ..self }
    }
}

/// What COMMAND DOCS reports about a command (its subcommands aside).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct CommandDocs {
    /// One line about it.
    pub summary: Option<&'static str>,
    /// The version that added it.
    pub since: Option<&'static str>,
    /// Its group (`string`, `server` ...).
    pub group: &'static str,
    /// Its time complexity.
    pub complexity: Option<&'static str>,
    /// Deprecated, internal.
    pub doc_flags: DocFlags,
    /// The version that deprecated it.
    pub deprecated_since: Option<&'static str>,
    /// What replaces it.
    pub replaced_by: Option<&'static str>,
    /// (version, change) pairs.
    pub history: Option<&'static [(&'static str, &'static str)]>,
    /// Its arguments.
    pub arguments: Option<&'static [Arg]>,
}

impl CommandDocs {
    /// Nothing documented (the base generated entries fill in).
    pub const EMPTY: CommandDocs = CommandDocs {
        summary: None,
        since: None,
        group: "",
        complexity: None,
        doc_flags: DocFlags::EMPTY,
        deprecated_since: None,
        replaced_by: None,
        history: None,
        arguments: None,
    };
}

/// Everything Redis 7.0.15 says about one command or subcommand.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct CommandMeta {
    /// Full lowercase name: `get`, `client|list`.
    pub name: &'static str,
    /// Argument count including the name (subcommand included); negative: at least that.
    pub arity: i32,
    /// Command flags.
    pub flags: CommandFlags,
    /// The legacy key range COMMAND INFO prints: first key, last key, step.
    pub first_key: i32,
    /// See `first_key`.
    pub last_key: i32,
    /// See `first_key`.
    pub key_step: i32,
    /// ACL categories.
    pub acl_categories: AclCategories,
    /// Hints for clients and proxies (`nondeterministic_output` ...).
    pub tips: &'static [&'static str],
    /// Where its keys are.
    pub key_specs: &'static [KeySpec],
    /// The procedure for keys the specs cannot find.
    pub get_keys_proc: Option<GetKeysProc>,
    /// COMMAND DOCS.
    pub docs: CommandDocs,
    /// Subcommands, sorted by name.
    pub subcommands: &'static [CommandMeta],
}

impl CommandMeta {
    /// A command with nothing but a name (generated entries fill in the rest).
    pub const EMPTY: CommandMeta = CommandMeta {
        name: "",
        arity: 0,
        flags: CommandFlags::EMPTY,
        first_key: 0,
        last_key: 0,
        key_step: 0,
        acl_categories: AclCategories::EMPTY,
        tips: &[],
        key_specs: &[],
        get_keys_proc: None,
        docs: CommandDocs::EMPTY,
        subcommands: &[],
    };

    /// The subcommand `name` (lowercase, without the container prefix).
    pub fn subcommand(&self, name: &str) -> Option<&'static CommandMeta> {
        let subs = self.subcommands;
        subs.binary_search_by(|s| short_name(s.name).cmp(name))
            .ok()
            .map(|i| &subs[i])
    }
}

/// A subcommand's name without its container: `list` for `client|list`.
pub fn short_name(full: &str) -> &str {
    full.split_once('|').map_or(full, |(_, s)| s)
}

/// The metadata of any Redis 7.0.15 command, implemented by redust or not: `name` is a
/// lowercase command or `container|subcommand`.
pub fn find(name: &str) -> Option<&'static CommandMeta> {
    let (top, sub) = match name.split_once('|') {
        Some((t, s)) => (t, Some(s)),
        None => (name, None),
    };
    let all = super::meta::COMMANDS;
    let cmd = &all[all.binary_search_by(|c| c.name.cmp(top)).ok()?];
    match sub {
        Some(s) => cmd.subcommand(s),
        None => Some(cmd),
    }
}

/// The Redis 7.0.15 command a call (argv, name first) is for, implemented by redust or not,
/// found as Redis's lookupCommand does: the subcommand when the command is a container
/// and a second argument is there.
pub fn find_call(argv: &[&[u8]]) -> Option<&'static CommandMeta> {
    let lower = |a: &[u8]| String::from_utf8(a.to_ascii_lowercase()).ok();
    let name = lower(argv.first()?)?;
    // `a|b` names a subcommand only in COMMAND INFO and the like, never as argv[0].
    if name.contains('|') {
        return None;
    }
    let cmd = find(&name)?;
    match argv.get(1) {
        Some(sub) if !cmd.subcommands.is_empty() => cmd.subcommand(&lower(sub)?),
        _ => Some(cmd),
    }
}

/// Every Redis 7.0.15 command, each followed by its subcommands.
pub fn all_commands() -> Vec<&'static CommandMeta> {
    super::meta::COMMANDS
        .iter()
        .flat_map(|c| std::iter::once(c).chain(c.subcommands))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bit_sets_name_their_members_in_order() {
        let f = CommandFlags::of(&[CommandFlags::FAST, CommandFlags::WRITE]);
        assert_eq!(f.names().collect::<Vec<_>>(), ["write", "fast"]);
        assert!(f.contains(CommandFlags::WRITE));
        assert!(!f.contains(CommandFlags::WRITE | CommandFlags::ADMIN));
        assert!(f.intersects(CommandFlags::WRITE | CommandFlags::ADMIN));
        assert_eq!(
            AclCategories::from_name(b"SortedSet"),
            Some(AclCategories::SORTEDSET)
        );
        assert_eq!(AclCategories::ALL.len(), 21);
        let hidden = CommandFlags::WRITE | CommandFlags::MAY_REPLICATE;
        assert_eq!(hidden.shown_names().collect::<Vec<_>>(), ["write"]);
    }

    #[test]
    fn every_redis_command_is_there_sorted() {
        let all = super::super::meta::COMMANDS;
        assert_eq!(all.len(), 240);
        let total: usize = all.iter().map(|c| 1 + c.subcommands.len()).sum();
        assert_eq!(total, 366);
        assert!(all.windows(2).all(|w| w[0].name < w[1].name));
        for c in all {
            assert!(c.subcommands.windows(2).all(|w| w[0].name < w[1].name));
        }
        assert_eq!(find("client|list").unwrap().name, "client|list");
        assert_eq!(find("eval").unwrap().arity, -3);
        assert!(find("get|x").is_none());
        assert!(find("nosuch").is_none());
        assert!(find("eval")
            .unwrap()
            .flags
            .contains(CommandFlags::MAY_REPLICATE));
    }
}
