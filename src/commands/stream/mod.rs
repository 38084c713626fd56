//! The stream commands, by concern: `write` (XADD XTRIM XDEL XSETID XLEN), `read` (XRANGE
//! XREVRANGE XREAD XREADGROUP, and serving blocked readers), `group` (XGROUP XACK),
//! `pending` (XPENDING XCLAIM XAUTOCLAIM), `info` (XINFO). This file holds what they
//! share: ID parsing with Redis's exact rules and errors, and entry replies.

pub mod group;
pub mod info;
pub mod pending;
pub mod read;
pub mod write;

use crate::protocol::reply::Reply;
use crate::store::types::stream::{Entry, StreamId};

/// Redis's error for an ID it cannot parse.
pub const INVALID_ID: &str = "Invalid stream ID specified as stream command argument";

/// How an ID argument is read.
#[derive(Clone, Copy)]
pub struct IdRules {
    /// The sequence of an ID given as milliseconds only.
    pub missing_seq: u64,
    /// `-` and `+` are refused.
    pub strict: bool,
    /// `<ms>-*` is accepted (XADD): the sequence is then to be generated.
    pub seq_star: bool,
}

impl IdRules {
    /// `-` and `+` allowed, a missing sequence is `missing_seq`.
    pub const fn loose(missing_seq: u64) -> IdRules {
        IdRules {
            missing_seq,
            strict: false,
            seq_star: false,
        }
    }

    /// `-` and `+` refused, a missing sequence is 0.
    pub const STRICT: IdRules = IdRules {
        missing_seq: 0,
        strict: true,
        seq_star: false,
    };
}

/// C's `strtoull` in base 10 over the whole string, as Redis's string2ull falls back to:
/// leading spaces and a sign are accepted (a minus negates modulo 2^64), overflow is not.
fn strtoull_whole(s: &[u8]) -> Option<u64> {
    let mut i = 0;
    while i < s.len() && matches!(s[i], b' ' | b'\t' | b'\n' | b'\x0b' | b'\x0c' | b'\r') {
        i += 1;
    }
    let neg = match s.get(i) {
        Some(b'-') => {
            i += 1;
            true
        }
        Some(b'+') => {
            i += 1;
            false
        }
        _ => false,
    };
    let digits = &s[i..];
    if digits.is_empty() || !digits.iter().all(u8::is_ascii_digit) {
        return None;
    }
    let mut v: u64 = 0;
    for &d in digits {
        v = v.checked_mul(10)?.checked_add(u64::from(d - b'0'))?;
    }
    Some(if neg { v.wrapping_neg() } else { v })
}

/// Redis's string2ull: string2ll's strict form first (negative numbers refused), else
/// strtoull's.
fn string2ull(s: &[u8]) -> Option<u64> {
    if let Some(v) = crate::protocol::parse::parse_i64(s) {
        return u64::try_from(v).ok();
    }
    strtoull_whole(s)
}

/// Parses a stream ID as streamGenericParseIDOrReply does. Returns the ID and whether its
/// sequence was given (false only for `<ms>-*` under [`IdRules::seq_star`]).
pub fn parse_id(arg: &[u8], rules: IdRules) -> Option<(StreamId, bool)> {
    if arg.len() > 127 {
        return None;
    }
    // Redis copies the argument into a C string: a NUL byte ends it.
    let arg = arg.iter().position(|&b| b == 0).map_or(arg, |n| &arg[..n]);
    match arg {
        b"-" if !rules.strict => return Some((StreamId::MIN, true)),
        b"+" if !rules.strict => return Some((StreamId::MAX, true)),
        b"-" | b"+" => return None,
        _ => {}
    }
    let (ms_part, seq_part) = match arg.iter().position(|&b| b == b'-') {
        Some(i) => (&arg[..i], Some(&arg[i + 1..])),
        None => (arg, None),
    };
    let ms = string2ull(ms_part)?;
    match seq_part {
        None => Some((StreamId::new(ms, rules.missing_seq), true)),
        Some(b"*") if rules.seq_star => Some((StreamId::new(ms, 0), false)),
        Some(seq) => Some((StreamId::new(ms, string2ull(seq)?), true)),
    }
}

/// [`parse_id`], replying Redis's error when it fails.
pub fn id_arg(out: &mut Reply, arg: &[u8], rules: IdRules) -> Option<StreamId> {
    match parse_id(arg, rules) {
        Some((id, _)) => Some(id),
        None => {
            out.err(INVALID_ID);
            None
        }
    }
}

/// A range bound as streamParseIntervalIDOrReply reads it: `(` makes it exclusive (and the
/// rest strict). Returns the ID and whether it is exclusive.
pub fn interval_arg(out: &mut Reply, arg: &[u8], missing_seq: u64) -> Option<(StreamId, bool)> {
    if arg.len() > 1 && arg[0] == b'(' {
        let rules = IdRules {
            missing_seq,
            ..IdRules::STRICT
        };
        id_arg(out, &arg[1..], rules).map(|id| (id, true))
    } else {
        id_arg(out, arg, IdRules::loose(missing_seq)).map(|id| (id, false))
    }
}

/// An ID as a bulk string.
pub fn reply_id(out: &mut Reply, id: StreamId) {
    out.bulk(&id.to_bytes());
}

/// An entry as Redis replies it: `[id, [field, value, ...]]`.
pub fn reply_entry(out: &mut Reply, e: &Entry<'_>) {
    out.array(2);
    reply_id(out, e.id);
    out.array(2 * e.len());
    for (f, v) in e.fields() {
        out.bulk(f);
        out.bulk(v);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn p(s: &str) -> Option<(StreamId, bool)> {
        parse_id(
            s.as_bytes(),
            IdRules {
                seq_star: true,
                ..IdRules::STRICT
            },
        )
    }

    #[test]
    fn ids_parse_as_redis_does() {
        assert_eq!(p("5"), Some((StreamId::new(5, 0), true)));
        assert_eq!(p("5-*"), Some((StreamId::new(5, 0), false)));
        assert_eq!(p("5-3"), Some((StreamId::new(5, 3), true)));
        assert_eq!(p("-"), None);
        assert_eq!(p("-5"), None);
        assert_eq!(p("5--1"), None);
        assert_eq!(p(" 5-+3"), Some((StreamId::new(5, 3), true)));
        assert_eq!(p("007-1"), Some((StreamId::new(7, 1), true)));
        assert_eq!(p("5- 01"), Some((StreamId::new(5, 1), true)));
        assert_eq!(p("18446744073709551616"), None);
        assert_eq!(p("1-2\0junk"), Some((StreamId::new(1, 2), true)));
        assert_eq!(p("1-2-3"), None);
        assert_eq!(p(""), None);
    }
}
