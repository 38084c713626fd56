//! Glob-style matching as Redis 7.0 does it for KEYS, SCAN MATCH, CONFIG GET and PSUBSCRIBE:
//! `*`, `?`, `[abc]`, `[^a-z]`, `\x` escapes. Byte-oriented; ranges compare bytes as C's
//! signed `char`, so `[a-\xff]` behaves as on Redis.

/// Whether `string` matches `pattern`.
pub fn matches(pattern: &[u8], string: &[u8]) -> bool {
    let mut give_up = false;
    match_from(pattern, string, Case::Sensitive, &mut give_up, 0)
}

/// Case-insensitive match (CONFIG GET, COMMAND LIST FILTERBY PATTERN).
pub fn matches_nocase(pattern: &[u8], string: &[u8]) -> bool {
    let mut give_up = false;
    match_from(pattern, string, Case::Insensitive, &mut give_up, 0)
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Case {
    Sensitive,
    Insensitive,
}

impl Case {
    fn eq(self, a: u8, b: u8) -> bool {
        match self {
            Case::Sensitive => a == b,
            Case::Insensitive => a.eq_ignore_ascii_case(&b),
        }
    }
}

/// Patterns nest one level per `*`; Redis stops abusive ones at this depth.
const MAX_NESTING: usize = 1000;

/// `give_up` is set once the rest of the pattern after some `*` failed against every suffix:
/// earlier stars trying longer matches cannot succeed either, which keeps `*a*a*a*b` linear.
fn match_from(mut p: &[u8], mut s: &[u8], case: Case, give_up: &mut bool, depth: usize) -> bool {
    if depth > MAX_NESTING {
        return false;
    }
    while let Some(&pc) = p.first() {
        match pc {
            b'*' => {
                while p.len() > 1 && p[1] == b'*' {
                    p = &p[1..];
                }
                if p.len() == 1 {
                    return true;
                }
                while !s.is_empty() {
                    if match_from(&p[1..], s, case, give_up, depth + 1) {
                        return true;
                    }
                    if *give_up {
                        return false;
                    }
                    s = &s[1..];
                }
                *give_up = true;
                return false;
            }
            b'?' => {
                if s.is_empty() {
                    return false;
                }
                s = &s[1..];
            }
            b'[' => {
                let Some(&c) = s.first() else {
                    return false;
                };
                let (matched, class_len) = match_class(&p[1..], c, case);
                if !matched {
                    return false;
                }
                // Leave `p` on the class's last byte; the common step below passes it.
                p = &p[class_len..];
                s = &s[1..];
            }
            _ => {
                if pc == b'\\' && p.len() >= 2 {
                    p = &p[1..];
                }
                match s.first() {
                    Some(&c) if case.eq(p[0], c) => s = &s[1..],
                    _ => return false,
                }
            }
        }
        p = &p[1..];
        if s.is_empty() {
            while p.first() == Some(&b'*') {
                p = &p[1..];
            }
            break;
        }
    }
    p.is_empty() && s.is_empty()
}

/// Matches byte `c` against the class whose body starts at `body` (just after `[`). Returns
/// whether it matched and how many pattern bytes after the `[` the class spans, up to and
/// including its `]` or, for an unterminated class, its last byte.
fn match_class(body: &[u8], c: u8, case: Case) -> (bool, usize) {
    let negate = body.first() == Some(&b'^');
    let mut i = usize::from(negate);
    let mut matched = false;
    loop {
        let rest = &body[i.min(body.len())..];
        if rest.first() == Some(&b'\\') && rest.len() >= 2 {
            i += 1;
            if rest[1] == c {
                matched = true;
            }
        } else if rest.first() == Some(&b']') {
            break;
        } else if rest.is_empty() {
            // Unterminated: the class ends with the pattern's last byte.
            return (matched != negate, body.len());
        } else if rest.len() >= 3 && rest[1] == b'-' {
            // C compares signed chars.
            let (mut lo, mut hi) = (rest[0] as i8, rest[2] as i8);
            if lo > hi {
                std::mem::swap(&mut lo, &mut hi);
            }
            let mut x = c as i8;
            if case == Case::Insensitive {
                lo = (lo as u8).to_ascii_lowercase() as i8;
                hi = (hi as u8).to_ascii_lowercase() as i8;
                x = c.to_ascii_lowercase() as i8;
            }
            if lo <= x && x <= hi {
                matched = true;
            }
            i += 2;
        } else if case.eq(rest[0], c) {
            matched = true;
        }
        i += 1;
    }
    (matched != negate, i + 1)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn basics() {
        assert!(matches(b"*", b""));
        assert!(matches(b"*", b"anything"));
        assert!(matches(b"h?llo", b"hello"));
        assert!(!matches(b"h?llo", b"hllo"));
        assert!(matches(b"h*llo", b"heeeello"));
        assert!(matches(b"h[ae]llo", b"hallo"));
        assert!(!matches(b"h[ae]llo", b"hillo"));
        assert!(matches(b"h[^e]llo", b"hallo"));
        assert!(!matches(b"h[^e]llo", b"hello"));
        assert!(matches(b"h[a-b]llo", b"hbllo"));
        assert!(matches(b"h[b-a]llo", b"hallo"));
        assert!(matches(b"h\\*llo", b"h*llo"));
        assert!(!matches(b"h\\*llo", b"hello"));
        assert!(matches(b"[\\]]", b"]"));
        assert!(matches(b"a*", b"a"));
        assert!(!matches(b"?", b""));
        assert!(matches(b"", b""));
        assert!(!matches(b"", b"a"));
    }

    #[test]
    fn unterminated_class_ends_with_the_pattern() {
        assert!(matches(b"[ab", b"a"));
        assert!(matches(b"[ab", b"b"));
        assert!(!matches(b"[ab", b"c"));
        assert!(!matches(b"[", b"a"));
        assert!(matches(b"[^", b"a"));
    }

    #[test]
    fn nocase() {
        assert!(matches_nocase(b"MAXMEMORY*", b"maxmemory-policy"));
        assert!(matches_nocase(b"[A-C]x", b"bX"));
    }

    #[test]
    fn pathological_patterns_are_fast() {
        let s = vec![b'a'; 10_000];
        let p = b"*a*a*a*a*a*a*a*a*a*a*a*a*a*a*a*a*a*a*a*a*b";
        assert!(!matches(p, &s));
    }

    /// A token of a well-formed pattern, for the reference matcher.
    enum Tok {
        Star,
        Any,
        Lit(u8),
        Class(bool, Vec<(u8, u8)>),
    }

    /// Tokenizes patterns without unterminated classes or dangling escapes.
    fn tokens(p: &[u8]) -> Option<Vec<Tok>> {
        let mut out = Vec::new();
        let mut i = 0;
        while i < p.len() {
            match p[i] {
                b'*' => out.push(Tok::Star),
                b'?' => out.push(Tok::Any),
                b'\\' => {
                    i += 1;
                    out.push(Tok::Lit(*p.get(i)?));
                }
                b'[' => {
                    i += 1;
                    let negate = p.get(i) == Some(&b'^');
                    if negate {
                        i += 1;
                    }
                    let mut items = Vec::new();
                    loop {
                        match *p.get(i)? {
                            b']' => break,
                            b'\\' => {
                                i += 1;
                                let c = *p.get(i)?;
                                items.push((c, c));
                            }
                            c if p.get(i + 1) == Some(&b'-') && i + 2 < p.len() => {
                                let d = p[i + 2];
                                items.push((c.min(d), c.max(d)));
                                i += 2;
                            }
                            c => items.push((c, c)),
                        }
                        i += 1;
                    }
                    out.push(Tok::Class(negate, items));
                }
                c => out.push(Tok::Lit(c)),
            }
            i += 1;
        }
        Some(out)
    }

    fn reference(t: &[Tok], s: &[u8]) -> bool {
        match t.split_first() {
            None => s.is_empty(),
            Some((Tok::Star, rest)) => (0..=s.len()).any(|k| reference(rest, &s[k..])),
            Some((tok, rest)) => {
                let Some((&c, tail)) = s.split_first() else {
                    return false;
                };
                let ok = match tok {
                    Tok::Any => true,
                    Tok::Lit(l) => *l == c,
                    Tok::Class(neg, items) => {
                        items.iter().any(|&(lo, hi)| lo <= c && c <= hi) != *neg
                    }
                    Tok::Star => unreachable!(),
                };
                ok && reference(rest, tail)
            }
        }
    }

    /// Random patterns and strings over a small alphabet, against the model.
    #[test]
    fn matches_a_simple_model() {
        let mut seed = 0x9e37_79b9_7f4a_7c15u64;
        let mut next = || {
            seed ^= seed << 13;
            seed ^= seed >> 7;
            seed ^= seed << 17;
            seed
        };
        let pattern_alphabet = b"ab*?[]^-\\c";
        let string_alphabet = b"abc-]";
        let mut checked = 0;
        while checked < 20_000 {
            let plen = (next() % 7) as usize;
            let p: Vec<u8> = (0..plen)
                .map(|_| pattern_alphabet[(next() % pattern_alphabet.len() as u64) as usize])
                .collect();
            let Some(toks) = tokens(&p) else { continue };
            let slen = (next() % 6) as usize;
            let s: Vec<u8> = (0..slen)
                .map(|_| string_alphabet[(next() % string_alphabet.len() as u64) as usize])
                .collect();
            assert_eq!(
                matches(&p, &s),
                reference(&toks, &s),
                "pattern {:?} string {:?}",
                String::from_utf8_lossy(&p),
                String::from_utf8_lossy(&s)
            );
            checked += 1;
        }
    }
}
