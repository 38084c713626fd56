//! SORT's SQL-like options, its key patterns (`weight_*`, `obj_*->field`, `#`), and where
//! COMMAND GETKEYS finds its STORE key. The command itself is in `sort.rs`.

use super::{is, Ctx};
use crate::protocol::parse::parse_i64;
use crate::store::Value;

/// The options of one SORT / SORT_RO call, as Redis's parser leaves them.
#[derive(Debug)]
pub struct SortArgs<'a> {
    pub desc: bool,
    pub alpha: bool,
    /// LIMIT offset and count as given (0 and -1 without LIMIT); clamped later against the
    /// collection's size, never used to size anything.
    pub offset: i64,
    pub count: i64,
    pub store: Option<&'a [u8]>,
    /// The last BY pattern.
    pub by: Option<&'a [u8]>,
    /// Set by any BY pattern without `*`, and never cleared by a later BY: the elements
    /// keep their stored order.
    pub dontsort: bool,
    /// GET patterns, in order.
    pub gets: Vec<Pattern<'a>>,
}

impl<'a> SortArgs<'a> {
    /// Parses `argv[2..]`; on failure the error is replied and None returned. SORT_RO
    /// (`readonly`) does not know STORE, so it is a syntax error there.
    pub fn parse(ctx: &mut Ctx, argv: &[&'a [u8]], readonly: bool) -> Option<SortArgs<'a>> {
        let mut args = SortArgs {
            desc: false,
            alpha: false,
            offset: 0,
            count: -1,
            store: None,
            by: None,
            dontsort: false,
            gets: Vec::new(),
        };
        // BY and GET read keys no key spec names: they need read access to every key.
        let full_key_access = {
            let user = ctx.srv.clients[ctx.caller].user;
            super::table::lookup(argv).is_none_or(|(cmd, _)| {
                ctx.srv.acl.all_keys_allowed(
                    user,
                    cmd,
                    argv,
                    crate::commands::spec::KeySpecFlags::ACCESS,
                )
            })
        };
        let mut j = 2;
        while j < argv.len() {
            let (opt, left) = (argv[j], argv.len() - j - 1);
            if is(opt, "asc") {
                args.desc = false;
            } else if is(opt, "desc") {
                args.desc = true;
            } else if is(opt, "alpha") {
                args.alpha = true;
            } else if is(opt, "limit") && left >= 2 {
                // Both numbers are checked before anything else: one error for either.
                match (parse_i64(argv[j + 1]), parse_i64(argv[j + 2])) {
                    (Some(o), Some(c)) => (args.offset, args.count) = (o, c),
                    _ => {
                        ctx.out.err("value is not an integer or out of range");
                        return None;
                    }
                }
                j += 2;
            } else if !readonly && is(opt, "store") && left >= 1 {
                args.store = Some(argv[j + 1]);
                j += 1;
            } else if is(opt, "by") && left >= 1 {
                let pattern = argv[j + 1];
                args.by = Some(pattern);
                // The star is looked for as C's strchr would: up to the first NUL.
                if !c_str(pattern).contains(&b'*') {
                    args.dontsort = true;
                } else if !full_key_access {
                    ctx.out
                        .err("BY option of SORT denied due to insufficient ACL permissions.");
                    return None;
                }
                j += 1;
            } else if is(opt, "get") && left >= 1 {
                if !full_key_access {
                    ctx.out
                        .err("GET option of SORT denied due to insufficient ACL permissions.");
                    return None;
                }
                args.gets.push(Pattern::new(argv[j + 1]));
                j += 1;
            } else {
                ctx.syntax_error();
                return None;
            }
            j += 1;
        }
        Some(args)
    }
}

/// The bytes before the first NUL: what C string functions see of a Redis string.
pub fn c_str(b: &[u8]) -> &[u8] {
    b.iter().position(|&c| c == 0).map_or(b, |n| &b[..n])
}

/// A BY or GET pattern, split once so each element only costs a key build and a lookup.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Pattern<'a> {
    /// `#`: the element itself.
    Element,
    /// No `*`: names no key (a fixed key would be the same for every element).
    Nothing,
    /// `prefix*postfix`, or `prefix*postfix->field` for a hash field.
    Key {
        prefix: &'a [u8],
        postfix: &'a [u8],
        field: Option<&'a [u8]>,
    },
}

impl<'a> Pattern<'a> {
    /// Splits a pattern the way Redis reads it with C string functions: `#` is recognised
    /// by its first two bytes, `*` and `->` are searched only before the first NUL, and the
    /// field runs to the real end. `->` at the end (no field name) stays part of the key.
    pub fn new(p: &'a [u8]) -> Pattern<'a> {
        if p.first() == Some(&b'#') && p.get(1).is_none_or(|&c| c == 0) {
            return Pattern::Element;
        }
        let c = c_str(p);
        let Some(star) = c.iter().position(|&b| b == b'*') else {
            return Pattern::Nothing;
        };
        let arrow = c[star + 1..]
            .windows(2)
            .position(|w| w == b"->")
            .map(|i| star + 1 + i)
            .filter(|&f| f + 2 < c.len());
        match arrow {
            Some(f) => Pattern::Key {
                prefix: &p[..star],
                postfix: &p[star + 1..f],
                field: Some(&p[f + 2..]),
            },
            None => Pattern::Key {
                prefix: &p[..star],
                postfix: &p[star + 1..],
                field: None,
            },
        }
    }

    /// The value the pattern names for `elem`: the element, a string key's value, or a hash
    /// field; None if there is no such key or field, or the key holds another type. Keys
    /// are looked up as reads (hits, misses, lazy expiry), as Redis does.
    pub fn lookup(&self, ctx: &mut Ctx, elem: &[u8]) -> Option<Vec<u8>> {
        let (prefix, postfix, field) = match *self {
            Pattern::Element => return Some(elem.to_vec()),
            Pattern::Nothing => return None,
            Pattern::Key {
                prefix,
                postfix,
                field,
            } => (prefix, postfix, field),
        };
        let mut key = Vec::with_capacity(prefix.len() + elem.len() + postfix.len());
        key.extend_from_slice(prefix);
        key.extend_from_slice(elem);
        key.extend_from_slice(postfix);
        match (ctx.store.lookup_read(ctx.db, &key)?, field) {
            (Value::Hash(h), Some(f)) => h.get(f).map(<[u8]>::to_vec),
            (Value::Str(s), None) => Some(s.as_bytes().into_owned()),
            _ => None,
        }
    }
}

/// Where COMMAND GETKEYS finds SORT's STORE key, as Redis's sortGetKeys scans: LIMIT skips
/// two words, GET and BY one, and STORE names the next word (the last STORE wins). The
/// destination itself is scanned as a word too, as in Redis.
pub fn store_key_position(argv: &[&[u8]]) -> Option<usize> {
    let mut found = None;
    let mut i = 2;
    while i < argv.len() {
        if is(argv[i], "limit") {
            i += 2;
        } else if is(argv[i], "get") || is(argv[i], "by") {
            i += 1;
        } else if is(argv[i], "store") && i + 1 < argv.len() {
            found = Some(i + 1);
        }
        i += 1;
    }
    found
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn patterns_split_as_redis_reads_them() {
        assert_eq!(Pattern::new(b"#"), Pattern::Element);
        assert_eq!(Pattern::new(b"#\0x"), Pattern::Element);
        assert_eq!(Pattern::new(b"#x"), Pattern::Nothing);
        assert_eq!(Pattern::new(b""), Pattern::Nothing);
        assert_eq!(Pattern::new(b"a\0*"), Pattern::Nothing);
        let key = |prefix, postfix, field| Pattern::Key {
            prefix,
            postfix,
            field,
        };
        assert_eq!(Pattern::new(b"w_*"), key(b"w_", b"", None));
        assert_eq!(Pattern::new(b"o_*->f"), key(b"o_", b"", Some(b"f")));
        assert_eq!(Pattern::new(b"o_*x->a->b"), key(b"o_", b"x", Some(b"a->b")));
        assert_eq!(Pattern::new(b"o_*->"), key(b"o_", b"->", None));
        assert_eq!(Pattern::new(b"o->_*"), key(b"o->_", b"", None));
        assert_eq!(Pattern::new(b"*\0->f"), key(b"", b"\0->f", None));
        assert_eq!(Pattern::new(b"*->f\0g"), key(b"", b"", Some(b"f\0g")));
        assert_eq!(Pattern::new(b"*->\0g"), key(b"", b"->\0g", None));
    }

    #[test]
    fn store_key_like_sort_get_keys() {
        let pos = |s: &str| {
            let words: Vec<&[u8]> = s.split(' ').map(str::as_bytes).collect();
            store_key_position(&words)
        };
        assert_eq!(pos("SORT k"), None);
        assert_eq!(pos("SORT k STORE d"), Some(3));
        assert_eq!(pos("SORT k STORE d STORE e"), Some(5));
        assert_eq!(pos("SORT k STORE"), None);
        assert_eq!(pos("SORT k LIMIT STORE d 1 STORE e"), Some(7));
        assert_eq!(pos("SORT k GET STORE STORE e"), Some(5));
        assert_eq!(pos("SORT k STORE STORE"), Some(3));
        assert_eq!(pos("SORT k store x lImIt 1 2"), Some(3));
    }
}
