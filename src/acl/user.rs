//! Users: flags, password hashes and selectors, and the rules that change them (Redis's
//! ACLSetUser, with the whole grammar).

use super::selector::{self, has_spaces, RuleError, Selector, ALLCHANNELS, ALLCOMMANDS, ALLKEYS};
use crate::util::sha256;

/// The user may authenticate.
pub const ENABLED: u8 = 1;
/// The user may not authenticate.
pub const DISABLED: u8 = 2;
/// Any password works.
pub const NOPASS: u8 = 4;
/// RESTORE payloads are not sanitized for this user.
pub const SKIP_SANITIZE: u8 = 8;
/// RESTORE payloads are sanitized for this user.
pub const SANITIZE: u8 = 16;

/// The user flags in the order Redis prints them.
const FLAG_NAMES: &[(u8, &str)] = &[
    (ENABLED, "on"),
    (DISABLED, "off"),
    (NOPASS, "nopass"),
    (SKIP_SANITIZE, "skip-sanitize-payload"),
    (SANITIZE, "sanitize-payload"),
];

/// A user.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct User {
    pub name: Vec<u8>,
    pub flags: u8,
    /// SHA-256 hex digests of the passwords; the cleartext is never kept.
    pub passwords: Vec<[u8; 64]>,
    /// The root selector first, then the `(...)` ones.
    pub selectors: Vec<Selector>,
    /// One selector allowing every command, key and channel: the check at dispatch is
    /// skipped (kept up to date by [`User::refresh`]).
    pub unrestricted: bool,
}

/// The hex SHA-256 of a password, as Redis stores it.
pub fn hash_password(clear: &[u8]) -> [u8; 64] {
    let mut out = [0u8; 64];
    out.copy_from_slice(sha256::hex(clear).as_bytes());
    out
}

fn valid_hash(h: &[u8]) -> Option<[u8; 64]> {
    if h.len() != 64
        || !h
            .iter()
            .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(b))
    {
        return None;
    }
    let mut out = [0u8; 64];
    out.copy_from_slice(h);
    Some(out)
}

impl User {
    /// A new user: disabled, no password, no permissions (but the channels
    /// acl-pubsub-default grants).
    pub fn new(name: &[u8], pubsub_all: bool) -> User {
        let mut u = User {
            name: name.to_vec(),
            flags: DISABLED,
            passwords: Vec::new(),
            selectors: vec![Selector::new(selector::ROOT, pubsub_all)],
            unrestricted: false,
        };
        u.refresh();
        u
    }

    /// The default user: every permission, no password.
    pub fn default_user() -> User {
        let mut u = User::new(b"default", false);
        for op in ["+@all", "~*", "&*", "on", "nopass"] {
            let _ = u.apply(op.as_bytes(), false);
        }
        u
    }

    /// Recomputes the cached [`User::unrestricted`].
    pub fn refresh(&mut self) {
        let all = ALLKEYS | ALLCHANNELS | ALLCOMMANDS;
        self.unrestricted = self.selectors.iter().any(|s| s.flags & all == all);
    }

    /// Applies one rule (Redis's ACLSetUser). `pubsub_all`: acl-pubsub-default is
    /// allchannels (new selectors and `reset` start with every channel).
    pub fn apply(&mut self, op: &[u8], pubsub_all: bool) -> Result<(), RuleError> {
        let r = self.apply_rule(op, pubsub_all);
        self.refresh();
        r
    }

    fn apply_rule(&mut self, op: &[u8], pubsub_all: bool) -> Result<(), RuleError> {
        if op.is_empty() {
            return Ok(());
        }
        let is = |s: &str| op.eq_ignore_ascii_case(s.as_bytes());
        if is("on") {
            self.flags = (self.flags | ENABLED) & !DISABLED;
        } else if is("off") {
            self.flags = (self.flags | DISABLED) & !ENABLED;
        } else if is("skip-sanitize-payload") {
            self.flags = (self.flags | SKIP_SANITIZE) & !SANITIZE;
        } else if is("sanitize-payload") {
            self.flags = (self.flags | SANITIZE) & !SKIP_SANITIZE;
        } else if is("nopass") {
            self.flags |= NOPASS;
            self.passwords.clear();
        } else if is("resetpass") {
            self.flags &= !NOPASS;
            self.passwords.clear();
        } else if op[0] == b'>' || op[0] == b'#' {
            let hash = if op[0] == b'>' {
                hash_password(&op[1..])
            } else {
                valid_hash(&op[1..]).ok_or(RuleError::BadHash)?
            };
            if !self.passwords.contains(&hash) {
                self.passwords.push(hash);
            }
            self.flags &= !NOPASS;
        } else if op[0] == b'<' || op[0] == b'!' {
            let hash = if op[0] == b'<' {
                hash_password(&op[1..])
            } else {
                valid_hash(&op[1..]).ok_or(RuleError::BadHash)?
            };
            let at = self
                .passwords
                .iter()
                .position(|p| *p == hash)
                .ok_or(RuleError::NoSuchPassword)?;
            self.passwords.remove(at);
        } else if op[0] == b'(' && op[op.len() - 1] == b')' {
            let mut s = Selector::new(0, pubsub_all);
            let inner = &op[1..op.len() - 1];
            let words = split_words(inner).ok_or(RuleError::Syntax)?;
            for w in words {
                s.apply(&w)?;
            }
            self.selectors.push(s);
        } else if is("clearselectors") {
            self.selectors.truncate(1);
        } else if is("reset") {
            for r in ["resetpass", "resetkeys", "resetchannels"] {
                self.apply_rule(r.as_bytes(), pubsub_all)?;
            }
            if pubsub_all {
                self.apply_rule(b"allchannels", pubsub_all)?;
            }
            for r in ["off", "sanitize-payload", "clearselectors", "-@all"] {
                self.apply_rule(r.as_bytes(), pubsub_all)?;
            }
        } else {
            self.selectors[0].apply(op)?;
        }
        Ok(())
    }

    /// The user as rules, as ACL LIST and ACL SAVE write it (without `user <name>`).
    pub fn describe(&self) -> Vec<u8> {
        let mut out = Vec::new();
        for (f, name) in FLAG_NAMES {
            if self.flags & f != 0 {
                out.extend_from_slice(name.as_bytes());
                out.push(b' ');
            }
        }
        for p in &self.passwords {
            out.push(b'#');
            out.extend_from_slice(p);
            out.push(b' ');
        }
        for (i, s) in self.selectors.iter().enumerate() {
            let text = selector::describe(s);
            if i == 0 {
                out.extend(text);
            } else {
                out.extend_from_slice(b" (");
                out.extend(text);
                out.push(b')');
            }
        }
        out
    }

    /// The names of the flags set, in Redis's order.
    pub fn flag_names(&self) -> impl Iterator<Item = &'static str> + '_ {
        FLAG_NAMES
            .iter()
            .filter(|(f, _)| self.flags & f != 0)
            .map(|(_, n)| *n)
    }

    /// Whether `password` authenticates this user (disabled users never do). The
    /// comparison of digests does not stop at the first difference.
    pub fn password_ok(&self, password: &[u8]) -> bool {
        if self.flags & DISABLED != 0 {
            return false;
        }
        if self.flags & NOPASS != 0 {
            return true;
        }
        let hash = hash_password(password);
        self.passwords
            .iter()
            .any(|p| p.iter().zip(hash.iter()).fold(0, |d, (a, b)| d | (a ^ b)) == 0)
    }
}

/// Joins selector rules spread over several arguments (`(~a` `+get)`) into one, as Redis's
/// ACLMergeSelectorArguments; `Err(i)`: argument `i` opens a parenthesis never closed.
pub fn merge_selector_args(args: &[&[u8]]) -> Result<Vec<Vec<u8>>, usize> {
    let mut out = Vec::with_capacity(args.len());
    let mut open: Option<(usize, Vec<u8>)> = None;
    for (j, op) in args.iter().enumerate() {
        if let Some((_, sel)) = open.as_mut() {
            sel.push(b' ');
            sel.extend_from_slice(op);
            if op.last() == Some(&b')') {
                out.push(open.take().expect("open").1);
            }
            continue;
        }
        if op.first() == Some(&b'(') && op.last() != Some(&b')') {
            open = Some((j, op.to_vec()));
            continue;
        }
        out.push(op.to_vec());
    }
    match open {
        Some((j, _)) => Err(j),
        None => Ok(out),
    }
}

/// Applies `args` to a copy of `base` (or a new user `name`), all or nothing (Redis's
/// ACLStringSetUser): the updated user, or the error ACL SETUSER answers.
pub fn set_user(
    base: Option<&User>,
    name: &[u8],
    args: &[&[u8]],
    pubsub_all: bool,
) -> Result<User, String> {
    let merged = merge_selector_args(args).map_err(|i| {
        format!(
            "Unmatched parenthesis in acl selector starting at '{}'.",
            String::from_utf8_lossy(args[i])
        )
    })?;
    let mut u = match base {
        Some(b) => b.clone(),
        None => User::new(name, pubsub_all),
    };
    for op in &merged {
        u.apply(op, pubsub_all).map_err(|e| {
            format!(
                "Error in ACL SETUSER modifier '{}': {}",
                String::from_utf8_lossy(op),
                e.message()
            )
        })?;
    }
    Ok(u)
}

/// Whether a user name is acceptable (no spaces or NUL bytes).
pub fn valid_name(name: &[u8]) -> bool {
    !has_spaces(name)
}

/// sdssplitargs: the words of a selector's inside, quotes and escapes as in redis.conf.
fn split_words(text: &[u8]) -> Option<Vec<Vec<u8>>> {
    let (mut buf, mut ranges) = (Vec::new(), Vec::new());
    if !crate::protocol::parse::split_args(text, &mut buf, &mut ranges) {
        return None;
    }
    Some(
        ranges
            .iter()
            .map(|&(s, l)| buf[s..s + l].to_vec())
            .collect(),
    )
}
