//! Selectors: a set of permissions (commands, key patterns, channel patterns). A user has a
//! root selector and any number of `(...)` selectors; a command is allowed when one of
//! them allows it whole (Redis 7.0's aclSelector).

use super::ids::{self, ids, WORDS};
use crate::commands::spec::{AclCategories, KeySpecFlags};
use crate::util::glob;

/// The selector allows every key.
pub const ALLKEYS: u8 = 1;
/// The selector allows every channel.
pub const ALLCHANNELS: u8 = 2;
/// The selector allows every command (its bitmap is all ones).
pub const ALLCOMMANDS: u8 = 4;
/// The user's root selector (the rules given outside parentheses).
pub const ROOT: u8 = 8;

/// A key pattern may be read (`%R~`).
pub const READ: u8 = 1;
/// A key pattern may be written (`%W~`).
pub const WRITE: u8 = 2;
/// `~pattern`: both.
pub const ALL_PERMS: u8 = READ | WRITE;

/// Why a rule was refused: Redis's errno values, each with its message.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum RuleError {
    /// ENOENT.
    UnknownCommand,
    /// EINVAL.
    Syntax,
    /// EEXIST.
    KeyAfterAll,
    /// EISDIR.
    ChannelAfterAll,
    /// ENODEV.
    NoSuchPassword,
    /// EBADMSG.
    BadHash,
    /// EALREADY.
    Duplicate,
    /// ECHILD.
    SubcommandFirstArg,
}

impl RuleError {
    /// Redis's ACLSetUserStringError text.
    pub fn message(self) -> &'static str {
        match self {
            RuleError::UnknownCommand => "Unknown command or category name in ACL",
            RuleError::Syntax => "Syntax error",
            RuleError::KeyAfterAll => {
                "Adding a pattern after the * pattern (or the 'allkeys' flag) is not valid and \
                 does not have any effect. Try 'resetkeys' to start with an empty list of \
                 patterns"
            }
            RuleError::ChannelAfterAll => {
                "Adding a pattern after the * pattern (or the 'allchannels' flag) is not valid \
                 and does not have any effect. Try 'resetchannels' to start with an empty list \
                 of channels"
            }
            RuleError::NoSuchPassword => {
                "The password you are trying to remove from the user does not exist"
            }
            RuleError::BadHash => {
                "The password hash must be exactly 64 characters and contain only lowercase \
                 hexadecimal characters"
            }
            RuleError::Duplicate => {
                "Duplicate user found. A user can only be defined once in config files"
            }
            RuleError::SubcommandFirstArg => "Allowing first-arg of a subcommand is not supported",
        }
    }
}

/// A key pattern with the access it grants.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct KeyPattern {
    pub pattern: Vec<u8>,
    pub perms: u8,
}

/// One selector.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Selector {
    pub flags: u8,
    /// Bit `id` set: command `id` (see [`ids`]) is allowed.
    pub commands: [u64; WORDS],
    /// First arguments allowed for commands whose bit is clear (`+select|0`).
    pub first_args: Vec<(usize, Vec<Vec<u8>>)>,
    pub patterns: Vec<KeyPattern>,
    pub channels: Vec<Vec<u8>>,
}

/// Whether `s` has a space or a NUL (refused in user names and patterns).
pub fn has_spaces(s: &[u8]) -> bool {
    s.iter()
        .any(|&b| b == 0 || b == b' ' || (b'\t'..=b'\r').contains(&b))
}

impl Selector {
    /// An empty selector: no commands, keys or channels (but the channels
    /// acl-pubsub-default gives).
    pub fn new(flags: u8, pubsub_all: bool) -> Selector {
        Selector {
            flags: flags | if pubsub_all { ALLCHANNELS } else { 0 },
            commands: [0; WORDS],
            first_args: Vec::new(),
            patterns: Vec::new(),
            channels: Vec::new(),
        }
    }

    /// Whether command `id`'s bit is set.
    pub fn bit(&self, id: usize) -> bool {
        self.commands[id / 64] & (1 << (id % 64)) != 0
    }

    fn set_bit(&mut self, id: usize, on: bool) {
        if on {
            self.commands[id / 64] |= 1 << (id % 64);
        } else {
            self.commands[id / 64] &= !(1 << (id % 64));
            self.flags &= !ALLCOMMANDS;
        }
    }

    /// Allows or denies a command and, for a container, all its subcommands.
    fn change_perm(&mut self, id: usize, allow: bool) {
        self.set_bit(id, allow);
        self.first_args.retain(|(c, _)| *c != id);
        for &sub in &ids().children[id] {
            self.set_bit(sub, allow);
        }
    }

    fn set_category(&mut self, cat: AclCategories, allow: bool) {
        let ids = ids();
        for (id, meta) in ids.metas.iter().enumerate() {
            if meta.acl_categories.intersects(cat) {
                self.change_perm(id, allow);
            }
        }
    }

    /// Applies one selector rule (Redis's ACLSetSelector).
    pub fn apply(&mut self, op: &[u8]) -> Result<(), RuleError> {
        let is = |s: &str| op.eq_ignore_ascii_case(s.as_bytes());
        if op.is_empty() {
            // An empty word inside a selector (`("" +get)`), as Redis: not a rule.
            return Err(RuleError::Syntax);
        }
        if is("allkeys") || op == b"~*" {
            self.flags |= ALLKEYS;
            self.patterns.clear();
        } else if is("resetkeys") {
            self.flags &= !ALLKEYS;
            self.patterns.clear();
        } else if is("allchannels") || op == b"&*" {
            self.flags |= ALLCHANNELS;
            self.channels.clear();
        } else if is("resetchannels") {
            self.flags &= !ALLCHANNELS;
            self.channels.clear();
        } else if is("allcommands") || is("+@all") {
            self.commands = [u64::MAX; WORDS];
            self.flags |= ALLCOMMANDS;
            self.first_args.clear();
        } else if is("nocommands") || is("-@all") {
            self.commands = [0; WORDS];
            self.flags &= !ALLCOMMANDS;
            self.first_args.clear();
        } else if op[0] == b'~' || op[0] == b'%' {
            self.add_key_pattern(op)?;
        } else if op[0] == b'&' {
            if self.flags & ALLCHANNELS != 0 {
                return Err(RuleError::ChannelAfterAll);
            }
            if has_spaces(&op[1..]) {
                return Err(RuleError::Syntax);
            }
            if !self.channels.iter().any(|c| c[..] == op[1..]) {
                self.channels.push(op[1..].to_vec());
            }
            self.flags &= !ALLCHANNELS;
        } else if op.len() >= 2 && (op[0] == b'+' || op[0] == b'-') && op[1] == b'@' {
            let cat = std::str::from_utf8(&op[2..])
                .ok()
                .and_then(|n| AclCategories::from_name(n.as_bytes()))
                .ok_or(RuleError::UnknownCommand)?;
            self.set_category(cat, op[0] == b'+');
        } else if op[0] == b'+' {
            self.allow_command(&op[1..])?;
        } else if op[0] == b'-' {
            let id = ids().lookup(&op[1..]).ok_or(RuleError::UnknownCommand)?;
            self.change_perm(id, false);
        } else {
            return Err(RuleError::Syntax);
        }
        Ok(())
    }

    fn add_key_pattern(&mut self, op: &[u8]) -> Result<(), RuleError> {
        if self.flags & ALLKEYS != 0 {
            return Err(RuleError::KeyAfterAll);
        }
        let mut perms = 0;
        let mut offset = 1;
        if op[0] == b'%' {
            while let Some(&b) = op.get(offset) {
                offset += 1;
                match b.to_ascii_uppercase() {
                    b'R' if perms & READ == 0 => perms |= READ,
                    b'W' if perms & WRITE == 0 => perms |= WRITE,
                    b'~' => break,
                    _ => return Err(RuleError::Syntax),
                }
            }
        } else {
            perms = ALL_PERMS;
        }
        let pattern = &op[offset.min(op.len())..];
        if has_spaces(pattern) {
            return Err(RuleError::Syntax);
        }
        match self.patterns.iter_mut().find(|p| p.pattern == pattern) {
            Some(p) => p.perms |= perms,
            None => self.patterns.push(KeyPattern {
                pattern: pattern.to_vec(),
                perms,
            }),
        }
        self.flags &= !ALLKEYS;
        Ok(())
    }

    /// `+cmd`, `+container|sub` or `+cmd|first-arg`.
    fn allow_command(&mut self, name: &[u8]) -> Result<(), RuleError> {
        let ids = ids();
        let Some(bar) = name.iter().rposition(|&b| b == b'|') else {
            let id = ids.lookup(name).ok_or(RuleError::UnknownCommand)?;
            self.change_perm(id, true);
            return Ok(());
        };
        let (cmd, sub) = (&name[..bar], &name[bar + 1..]);
        let id = ids.lookup(cmd).ok_or(RuleError::UnknownCommand)?;
        if ids.parent[id].is_some() {
            return Err(RuleError::SubcommandFirstArg);
        }
        if sub.is_empty() {
            return Err(RuleError::Syntax);
        }
        if !ids.children[id].is_empty() || !ids.metas[id].subcommands.is_empty() {
            let sub_id = ids.lookup(name).ok_or(RuleError::UnknownCommand)?;
            self.change_perm(sub_id, true);
        } else {
            log::warn!(
                "Deprecation warning: Allowing a first arg of an otherwise blocked command is a \
                 misuse of ACL and may get disabled in the future (offender: +{})",
                String::from_utf8_lossy(name)
            );
            let sub = sub.to_vec();
            match self.first_args.iter_mut().find(|(c, _)| *c == id) {
                Some((_, args)) => {
                    if !args.iter().any(|a| a.eq_ignore_ascii_case(&sub)) {
                        args.push(sub);
                    }
                }
                None => self.first_args.push((id, vec![sub])),
            }
        }
        Ok(())
    }

    /// Whether the selector lets `key` be used as `flags` say (ACLSelectorCheckKey).
    pub fn key_allowed(&self, key: &[u8], flags: KeySpecFlags) -> bool {
        if self.flags & ALLKEYS != 0 {
            return true;
        }
        let need = needed_perms(flags);
        self.patterns
            .iter()
            .any(|p| p.perms & need == need && glob::matches(&p.pattern, key))
    }

    /// Whether the selector has `flags` access to every key (`~*`, `%R~*` ...).
    pub fn all_keys_allowed(&self, flags: KeySpecFlags) -> bool {
        if self.flags & ALLKEYS != 0 {
            return true;
        }
        let need = needed_perms(flags);
        self.patterns
            .iter()
            .any(|p| p.perms & need == need && p.pattern == b"*")
    }

    /// Whether the selector allows `channel` (a pattern itself when `is_pattern`).
    pub fn channel_allowed(&self, channel: &[u8], is_pattern: bool) -> bool {
        self.flags & ALLCHANNELS != 0 || channel_in(&self.channels, channel, is_pattern)
    }

    /// Whether command `id` may run with `argv`, ignoring keys and channels: its bit, or
    /// an allowed first argument (`arg_index` is where that argument is).
    pub fn command_allowed(&self, id: usize, argv: &[&[u8]], arg_index: usize) -> bool {
        if self.flags & ALLCOMMANDS != 0 || self.bit(id) {
            return true;
        }
        let Some(arg) = argv.get(arg_index) else {
            return false;
        };
        self.first_args
            .iter()
            .find(|(c, _)| *c == id)
            .is_some_and(|(_, args)| args.iter().any(|a| a.eq_ignore_ascii_case(arg)))
    }
}

/// Whether `channel` is allowed by the channel patterns `list` (ACLCheckChannelAgainstList):
/// a pattern subscription must appear literally, a channel must match.
pub fn channel_in(list: &[Vec<u8>], channel: &[u8], is_pattern: bool) -> bool {
    list.iter().any(|p| {
        if is_pattern {
            p[..] == *channel
        } else {
            glob::matches(p, channel)
        }
    })
}

fn needed_perms(flags: KeySpecFlags) -> u8 {
    let mut need = 0;
    if flags.contains(KeySpecFlags::ACCESS) {
        need |= READ;
    }
    if flags.intersects(KeySpecFlags::INSERT | KeySpecFlags::DELETE | KeySpecFlags::UPDATE) {
        need |= WRITE;
    }
    need
}

/// How a key pattern is written back (`~`, `%R~`, `%W~`).
pub fn pattern_text(p: &KeyPattern) -> Vec<u8> {
    let mut out = match p.perms {
        READ => b"%R~".to_vec(),
        WRITE => b"%W~".to_vec(),
        _ => b"~".to_vec(),
    };
    out.extend_from_slice(&p.pattern);
    out
}

/// Commands allowed / denied among those of category `cat`.
fn count_category(s: &Selector, cat: AclCategories) -> (usize, usize) {
    let (mut on, mut off) = (0, 0);
    for (id, meta) in ids().metas.iter().enumerate() {
        if meta.acl_categories.intersects(cat) {
            if s.bit(id) {
                on += 1;
            } else {
                off += 1;
            }
        }
    }
    (on, off)
}

/// The command rules that rebuild the selector's bitmap: `+@all` or `-@all`, the
/// categories that fit best, then single commands (Redis's
/// ACLDescribeSelectorCommandRules, the same greedy choice so the text is the same).
pub fn describe_commands(s: &Selector) -> String {
    let mut fake = Selector::new(0, false);
    let additive = !s.bit(ids::FUTURE_BIT);
    let mut rules = String::new();
    if additive {
        rules.push_str("-@all ");
        let _ = fake.apply(b"-@all");
    } else {
        rules.push_str("+@all ");
        let _ = fake.apply(b"+@all");
    }
    let mut temp = s.clone();
    let mut applied = [false; 32];
    loop {
        let mut best = None;
        let (mut mindiff, mut maxsame) = (usize::MAX, 0);
        for (j, (cat, _)) in AclCategories::ALL.iter().enumerate() {
            if applied[j] {
                continue;
            }
            let (on, off) = count_category(&temp, *cat);
            let (diff, same) = if additive { (off, on) } else { (on, off) };
            if same > diff && (diff < mindiff || (diff == mindiff && same > maxsame)) {
                best = Some(j);
                mindiff = diff;
                maxsame = same;
            }
        }
        let Some(j) = best else {
            break;
        };
        let (cat, name) = AclCategories::ALL[j];
        fake.set_category(cat, additive);
        temp.set_category(cat, !additive);
        rules.push_str(if additive { "+@" } else { "-@" });
        rules.push_str(name);
        rules.push(' ');
        applied[j] = true;
    }
    let ids = ids();
    for (id, meta) in ids.metas.iter().enumerate() {
        let user = s.bit(id);
        if user != fake.bit(id) {
            rules.push(if user { '+' } else { '-' });
            rules.push_str(meta.name);
            rules.push(' ');
            fake.change_perm(id, user);
        }
        if !user {
            if let Some((_, args)) = s.first_args.iter().find(|(c, _)| *c == id) {
                for a in args {
                    rules.push('+');
                    rules.push_str(meta.name);
                    rules.push('|');
                    rules.push_str(&String::from_utf8_lossy(a));
                    rules.push(' ');
                }
            }
        }
    }
    rules.pop();
    rules
}

/// The selector as rules (keys, channels, commands), as ACL LIST shows it.
pub fn describe(s: &Selector) -> Vec<u8> {
    let mut out = Vec::new();
    if s.flags & ALLKEYS != 0 {
        out.extend_from_slice(b"~* ");
    } else {
        for p in &s.patterns {
            out.extend(pattern_text(p));
            out.push(b' ');
        }
    }
    if s.flags & ALLCHANNELS != 0 {
        out.extend_from_slice(b"&* ");
    } else {
        out.extend_from_slice(b"resetchannels ");
        for c in &s.channels {
            out.push(b'&');
            out.extend_from_slice(c);
            out.push(b' ');
        }
    }
    out.extend(describe_commands(s).into_bytes());
    out
}
