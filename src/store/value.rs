//! The values a key can hold.

use std::borrow::Cow;

use crate::protocol::parse::parse_i64;
use crate::protocol::reply::push_int;

use super::bytes::SmallBytes;
use super::types::{Hash, List, Set, Stream, ZSet};

/// Strings up to this long are "embstr" in OBJECT ENCODING, as in Redis.
const EMBSTR_MAX: usize = 44;

/// A string value in the encoding Redis would report: integers are stored as integers,
/// short strings immutable (inline up to 22 bytes), strings that were modified in place as
/// growable buffers. The buffer is boxed so that a string, and so a value, is 24 bytes.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum RString {
    Int(i64),
    Embstr(SmallBytes),
    Raw(Box<Vec<u8>>),
}

impl RString {
    /// Encodes bytes as Redis's tryObjectEncoding would: an integer if they are the canonical
    /// form of one (at most 20 chars), embstr up to 44 bytes, else raw.
    pub fn from_bytes(b: &[u8]) -> RString {
        if b.len() <= 20 {
            if let Some(n) = parse_i64(b) {
                return RString::Int(n);
            }
        }
        if b.len() <= EMBSTR_MAX {
            RString::Embstr(SmallBytes::new(b))
        } else {
            RString::Raw(Box::new(b.to_vec()))
        }
    }

    /// Bytes kept as a string even if they look like an integer (INCRBYFLOAT's result).
    pub fn plain(b: &[u8]) -> RString {
        if b.len() <= EMBSTR_MAX {
            RString::Embstr(SmallBytes::new(b))
        } else {
            RString::Raw(Box::new(b.to_vec()))
        }
    }

    /// The bytes (integers formatted).
    pub fn as_bytes(&self) -> Cow<'_, [u8]> {
        match self {
            RString::Int(n) => {
                let mut v = Vec::with_capacity(20);
                push_int(&mut v, *n);
                Cow::Owned(v)
            }
            RString::Embstr(b) => Cow::Borrowed(b),
            RString::Raw(v) => Cow::Borrowed(v),
        }
    }

    /// Length in bytes.
    pub fn len(&self) -> usize {
        match self {
            RString::Int(n) => {
                let mut v = Vec::with_capacity(20);
                push_int(&mut v, *n);
                v.len()
            }
            RString::Embstr(b) => b.len(),
            RString::Raw(v) => v.len(),
        }
    }

    /// Whether the string is empty.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The value as an integer, if it is one (INCR and friends).
    pub fn as_int(&self) -> Option<i64> {
        match self {
            RString::Int(n) => Some(*n),
            RString::Embstr(b) => parse_i64(b),
            RString::Raw(v) => parse_i64(v),
        }
    }

    /// A growable buffer for in-place edits (APPEND, SETRANGE, SETBIT): the value becomes
    /// raw, as Redis unshares it.
    pub fn make_raw(&mut self) -> &mut Vec<u8> {
        if !matches!(self, RString::Raw(_)) {
            *self = RString::Raw(Box::new(self.as_bytes().into_owned()));
        }
        match self {
            RString::Raw(v) => v,
            _ => unreachable!("just made raw"),
        }
    }

    /// OBJECT ENCODING's name.
    pub fn encoding(&self) -> &'static str {
        match self {
            RString::Int(_) => "int",
            RString::Embstr(_) => "embstr",
            RString::Raw(_) => "raw",
        }
    }
}

/// A key's value. Collections are boxed so that a value (and so every string key's
/// entry) stays as small as a string.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Value {
    /// A binary-safe string.
    Str(RString),
    List(Box<List>),
    Hash(Box<Hash>),
    Set(Box<Set>),
    ZSet(Box<ZSet>),
    Stream(Box<Stream>),
}

impl Value {
    /// A string value from bytes, encoded as Redis would.
    pub fn string(b: &[u8]) -> Value {
        Value::Str(RString::from_bytes(b))
    }

    /// The name TYPE reports.
    pub fn type_name(&self) -> &'static str {
        match self {
            Value::Str(_) => "string",
            Value::List(_) => "list",
            Value::Hash(_) => "hash",
            Value::Set(_) => "set",
            Value::ZSet(_) => "zset",
            Value::Stream(_) => "stream",
        }
    }

    /// The name OBJECT ENCODING reports.
    pub fn encoding(&self) -> &'static str {
        match self {
            Value::Str(s) => s.encoding(),
            Value::List(l) => l.encoding(),
            Value::Hash(h) => h.encoding(),
            Value::Set(s) => s.encoding(),
            Value::ZSet(z) => z.encoding(),
            Value::Stream(s) => s.encoding(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn encodings_follow_redis() {
        assert_eq!(RString::from_bytes(b"12345").encoding(), "int");
        assert_eq!(RString::from_bytes(b"-7").encoding(), "int");
        assert_eq!(RString::from_bytes(b"007").encoding(), "embstr");
        assert_eq!(RString::from_bytes(&[b'a'; 44]).encoding(), "embstr");
        assert_eq!(RString::from_bytes(&[b'a'; 45]).encoding(), "raw");
        let mut s = RString::from_bytes(b"12");
        s.make_raw().push(b'3');
        assert_eq!(s, RString::Raw(Box::new(b"123".to_vec())));
    }
}
