//! ACL command ids: every Redis 7.0.15 command and subcommand (implemented by redust or
//! not) gets a bit in a selector's command bitmap, as Redis's ACLGetCommandID. Rules name
//! commands by their Redis names, so a rule for a command redust lacks is still valid, and
//! categories count exactly the commands Redis counts (ACL GETUSER's category choice
//! depends on those counts).

use std::collections::HashMap;
use std::sync::OnceLock;

use crate::commands::spec::{self, CommandMeta};

/// Words in a command bitmap: room for every command plus the reserved "future commands"
/// bit `+@all` sets (checked at start-up).
pub const WORDS: usize = 6;
/// The bit `+@all` / `allcommands` sets besides every command's: the user may run commands
/// added later. ACL GETUSER starts its description from `+@all` when it is set.
pub const FUTURE_BIT: usize = WORDS * 64 - 1;

/// The id space.
pub struct Ids {
    /// Every command and subcommand, each container followed by its subcommands.
    pub metas: Vec<&'static CommandMeta>,
    /// Id by full lowercase name (`config|get`).
    by_name: HashMap<&'static str, usize>,
    /// The container of each subcommand.
    pub parent: Vec<Option<usize>>,
    /// The subcommands of each container.
    pub children: Vec<Vec<usize>>,
}

static IDS: OnceLock<Ids> = OnceLock::new();

/// The id space, built on first use.
pub fn ids() -> &'static Ids {
    IDS.get_or_init(|| {
        let metas = spec::all_commands();
        assert!(metas.len() < FUTURE_BIT, "ACL bitmap too small");
        let by_name: HashMap<&'static str, usize> =
            metas.iter().enumerate().map(|(i, m)| (m.name, i)).collect();
        let mut parent = vec![None; metas.len()];
        let mut children = vec![Vec::new(); metas.len()];
        for (i, m) in metas.iter().enumerate() {
            if let Some((top, _)) = m.name.split_once('|') {
                let p = by_name[top];
                parent[i] = Some(p);
                children[p].push(i);
            }
        }
        Ids {
            metas,
            by_name,
            parent,
            children,
        }
    })
}

impl Ids {
    /// The id of `name` (`get`, `config|get`; any case), as Redis's ACLLookupCommand: a
    /// `container|sub` name must be a real subcommand.
    pub fn lookup(&self, name: &[u8]) -> Option<usize> {
        let lower = std::str::from_utf8(name).ok()?.to_ascii_lowercase();
        self.by_name.get(lower.as_str()).copied()
    }

    /// The id of a command by its exact full name.
    pub fn of(&self, full_name: &str) -> Option<usize> {
        self.by_name.get(full_name).copied()
    }
}

/// Where a command names Pub/Sub channels (Redis's commands_with_channels table).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ChannelSpec {
    /// First argument that is a channel.
    pub start: usize,
    /// How many (`None`: all the rest).
    pub count: Option<usize>,
    /// The channels are patterns (PSUBSCRIBE): matched literally against the user's.
    pub pattern: bool,
    /// Checked by ACL: publishing or subscribing (unsubscribing never is).
    pub checked: bool,
}

/// The channel arguments of the commands that have them.
static CHANNEL_SPECS: &[(&str, ChannelSpec)] = &[
    ("subscribe", spec_of(None, false, true)),
    ("ssubscribe", spec_of(None, false, true)),
    ("unsubscribe", spec_of(None, false, false)),
    ("sunsubscribe", spec_of(None, false, false)),
    ("psubscribe", spec_of(None, true, true)),
    ("punsubscribe", spec_of(None, true, false)),
    ("publish", spec_of(Some(1), false, true)),
    ("spublish", spec_of(Some(1), false, true)),
];

const fn spec_of(count: Option<usize>, pattern: bool, checked: bool) -> ChannelSpec {
    ChannelSpec {
        start: 1,
        count,
        pattern,
        checked,
    }
}

/// The channel spec of the command named `full_name`, if it has channels ACL checks.
pub fn channel_spec(full_name: &str) -> Option<ChannelSpec> {
    CHANNEL_SPECS
        .iter()
        .find(|(n, s)| *n == full_name && s.checked)
        .map(|(_, s)| *s)
}
