//! Sorted set argument parsing: scores as Redis reads them (strtod), score ranges with `(`
//! exclusive bounds, lex ranges (`[a`, `(a`, `-`, `+`), and how a range maps to ranks.

use super::is;
use crate::store::types::ZSet;

/// C's strtod over the whole argument, as Redis parses range bounds: leading whitespace is
/// skipped, an empty string is 0, NaN is refused.
pub fn strtod(b: &[u8]) -> Option<f64> {
    let s = std::str::from_utf8(b).ok()?;
    if s.is_empty() {
        return Some(0.0);
    }
    let s = s.trim_start_matches([' ', '\t', '\n', '\r', '\x0b', '\x0c']);
    if s.is_empty() {
        return None;
    }
    let (neg, body) = match s.as_bytes()[0] {
        b'-' => (true, &s[1..]),
        b'+' => (false, &s[1..]),
        _ => (false, s),
    };
    let v = if body.len() > 2 && (body.starts_with("0x") || body.starts_with("0X")) {
        let mut v = 0f64;
        for c in body[2..].chars() {
            v = v * 16.0 + f64::from(c.to_digit(16)?);
        }
        v
    } else {
        if body.starts_with(['+', '-']) || body.is_empty() {
            return None;
        }
        body.parse::<f64>().ok()?
    };
    let v = if neg { -v } else { v };
    (!v.is_nan()).then_some(v)
}

/// ZADD's options (GEOADD sets NX, XX and CH).
#[derive(Clone, Copy, Default)]
pub struct ZAddFlags {
    /// Only add new members.
    pub nx: bool,
    /// Only update existing members.
    pub xx: bool,
    /// Only raise scores.
    pub gt: bool,
    /// Only lower scores.
    pub lt: bool,
    /// Count changed members, not only added ones.
    pub ch: bool,
    /// Add to the score (ZINCRBY's form); the reply is the new score.
    pub incr: bool,
}

/// A score with its member, as ZADD takes them.
pub type ScorePair<'a> = (f64, &'a [u8]);

/// Parses ZADD's (or ZINCRBY's) options and score/member pairs; Err is the error message
/// to reply (after `ERR `).
pub fn parse_zadd<'a>(
    argv: &[&'a [u8]],
    zincrby: bool,
) -> Result<(ZAddFlags, Vec<ScorePair<'a>>), &'static str> {
    let mut f = ZAddFlags {
        incr: zincrby,
        ..ZAddFlags::default()
    };
    let mut i = 2;
    if !zincrby {
        while i < argv.len() {
            let a = argv[i];
            if is(a, "nx") {
                f.nx = true;
            } else if is(a, "xx") {
                f.xx = true;
            } else if is(a, "gt") {
                f.gt = true;
            } else if is(a, "lt") {
                f.lt = true;
            } else if is(a, "ch") {
                f.ch = true;
            } else if is(a, "incr") {
                f.incr = true;
            } else {
                break;
            }
            i += 1;
        }
    }
    let elements = argv.len() - i;
    if elements == 0 || elements % 2 == 1 {
        return Err("syntax error");
    }
    if f.nx && f.xx {
        return Err("XX and NX options at the same time are not compatible");
    }
    if ((f.gt || f.lt) && f.nx) || (f.gt && f.lt) {
        return Err("GT, LT, and/or NX options at the same time are not compatible");
    }
    if f.incr && elements > 2 {
        return Err("INCR option supports a single increment-element pair");
    }
    let mut pairs = Vec::with_capacity(elements / 2);
    for p in argv[i..].chunks(2) {
        let Some(s) = score_arg(p[0]) else {
            return Err("value is not a valid float");
        };
        pairs.push((s, p[1]));
    }
    Ok((f, pairs))
}

/// A score argument as ZADD and ZINCRBY read it (no surrounding whitespace, not empty).
/// Out-of-range values (strtod's ERANGE: overflow to infinity, underflow to zero) are
/// refused too.
pub fn score_arg(b: &[u8]) -> Option<f64> {
    if b.is_empty() || b[0].is_ascii_whitespace() {
        return None;
    }
    let v = strtod(b)?;
    let unsigned = b.strip_prefix(b"-").or(b.strip_prefix(b"+")).unwrap_or(b);
    if v.is_infinite()
        && !unsigned
            .first()
            .is_some_and(|c| c.eq_ignore_ascii_case(&b'i'))
    {
        return None;
    }
    let mantissa = unsigned
        .split(|&c| c == b'e' || c == b'E')
        .next()
        .unwrap_or(b"");
    if v == 0.0 && mantissa.iter().any(|c| (b'1'..=b'9').contains(c)) {
        return None;
    }
    Some(v)
}

/// A score range bound: `(` makes it exclusive.
#[derive(Clone, Copy, Debug)]
pub struct ScoreRange {
    pub min: f64,
    pub max: f64,
    pub minex: bool,
    pub maxex: bool,
}

impl ScoreRange {
    pub fn parse(min: &[u8], max: &[u8]) -> Option<ScoreRange> {
        fn bound(b: &[u8]) -> Option<(f64, bool)> {
            match b.split_first() {
                Some((b'(', rest)) => Some((strtod(rest)?, true)),
                _ => Some((strtod(b)?, false)),
            }
        }
        let (min, minex) = bound(min)?;
        let (max, maxex) = bound(max)?;
        Some(ScoreRange {
            min,
            max,
            minex,
            maxex,
        })
    }

    /// Whether `s` is below the range's start.
    pub fn below(&self, s: f64) -> bool {
        if self.minex {
            s <= self.min
        } else {
            s < self.min
        }
    }

    /// Whether `s` is within the range's end.
    pub fn within_max(&self, s: f64) -> bool {
        if self.maxex {
            s < self.max
        } else {
            s <= self.max
        }
    }

    /// Ranks `start..end` of the members in range.
    pub fn ranks(&self, z: &ZSet) -> (usize, usize) {
        let start = z.partition_point(|_, s| self.below(s));
        let end = z.partition_point(|_, s| self.within_max(s));
        (start, end.max(start))
    }
}

/// A lex range bound.
#[derive(Clone, Debug)]
pub enum Lex {
    Min,
    Max,
    Incl(Vec<u8>),
    Excl(Vec<u8>),
}

#[derive(Clone, Debug)]
pub struct LexRange {
    pub min: Lex,
    pub max: Lex,
}

impl LexRange {
    pub fn parse(min: &[u8], max: &[u8]) -> Option<LexRange> {
        fn item(b: &[u8]) -> Option<Lex> {
            match b.split_first() {
                Some((b'+', [])) => Some(Lex::Max),
                Some((b'-', [])) => Some(Lex::Min),
                Some((b'(', r)) => Some(Lex::Excl(r.to_vec())),
                Some((b'[', r)) => Some(Lex::Incl(r.to_vec())),
                _ => None,
            }
        }
        Some(LexRange {
            min: item(min)?,
            max: item(max)?,
        })
    }

    fn below(&self, m: &[u8]) -> bool {
        match &self.min {
            Lex::Min => false,
            Lex::Max => true,
            Lex::Incl(b) => m < b.as_slice(),
            Lex::Excl(b) => m <= b.as_slice(),
        }
    }

    fn within_max(&self, m: &[u8]) -> bool {
        match &self.max {
            Lex::Min => false,
            Lex::Max => true,
            Lex::Incl(b) => m <= b.as_slice(),
            Lex::Excl(b) => m < b.as_slice(),
        }
    }

    /// Whether the range cannot hold anything (min above max, or equal and exclusive).
    fn is_empty_range(&self) -> bool {
        fn key(l: &Lex) -> (u8, &[u8]) {
            match l {
                Lex::Min => (0, b""),
                Lex::Incl(b) | Lex::Excl(b) => (1, b),
                Lex::Max => (2, b""),
            }
        }
        let exclusive = matches!(self.min, Lex::Excl(_)) || matches!(self.max, Lex::Excl(_));
        match key(&self.min).cmp(&key(&self.max)) {
            std::cmp::Ordering::Greater => true,
            std::cmp::Ordering::Equal => exclusive,
            std::cmp::Ordering::Less => false,
        }
    }

    /// Ranks `start..end` of the members in range, walked forwards (or backwards when
    /// `rev`). Members are meant to share one score; when they do not, a listpack answers as
    /// Redis's does (the first member at or above min, then on while at or below max), and
    /// a skiplist answers by binary descent (Redis's answer then depends on its layout).
    pub fn ranks(&self, z: &ZSet, rev: bool) -> (usize, usize) {
        if self.is_empty_range() || z.is_empty() {
            return (0, 0);
        }
        let gte_min = |m: &[u8]| !self.below(m);
        let lte_max = |m: &[u8]| self.within_max(m);
        match z {
            ZSet::Listpack(v) => {
                let m = |i: usize| v[i].1.as_slice();
                if !gte_min(m(v.len() - 1)) || !lte_max(m(0)) {
                    return (0, 0);
                }
                if rev {
                    let Some(last) = v.iter().rposition(|(_, x)| lte_max(x)) else {
                        return (0, 0);
                    };
                    let n = v[..=last]
                        .iter()
                        .rev()
                        .take_while(|(_, x)| gte_min(x))
                        .count();
                    (last + 1 - n, last + 1)
                } else {
                    let Some(first) = v.iter().position(|(_, x)| gte_min(x)) else {
                        return (0, 0);
                    };
                    let n = v[first..].iter().take_while(|(_, x)| lte_max(x)).count();
                    (first, first + n)
                }
            }
            ZSet::Skiplist { .. } => {
                let start = z.partition_point(|m, _| self.below(m));
                let end = z.partition_point(|m, _| self.within_max(m));
                (start, end.max(start))
            }
        }
    }
}

pub const NOT_FLOAT: &str = "min or max is not a float";
pub const NOT_LEX: &str = "min or max not valid string range item";

/// Redis's rank range `start..=end` (negative counts from the end) clamped to a set of
/// `len` members, as a half-open `(from, to)`; None when it selects nothing.
pub fn rank_range(start: i64, end: i64, len: usize) -> Option<(usize, usize)> {
    let len = len as i64;
    let s = if start < 0 { start + len } else { start }.max(0);
    let e = if end < 0 { end + len } else { end };
    if s > e || s >= len {
        return None;
    }
    Some((s as usize, e.min(len - 1) as usize + 1))
}

#[cfg(test)]
mod tests {
    use super::rank_range;

    #[test]
    fn rank_ranges_clamp_like_redis() {
        assert_eq!(rank_range(0, -1, 5), Some((0, 5)));
        assert_eq!(rank_range(-2, -1, 5), Some((3, 5)));
        assert_eq!(rank_range(-100, 1, 5), Some((0, 2)));
        assert_eq!(rank_range(3, 100, 5), Some((3, 5)));
        assert_eq!(rank_range(5, 10, 5), None);
        assert_eq!(rank_range(3, 2, 5), None);
        assert_eq!(rank_range(0, -1, 0), None);
        assert_eq!(rank_range(i64::MIN, i64::MAX, 3), Some((0, 3)));
    }
}
