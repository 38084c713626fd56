//! C's `strtod` as glibc implements it, for the places where Redis hands user bytes to it
//! and checks `errno`: SORT's numeric weights. Redis accepts what strtod accepts (leading
//! whitespace, hexadecimal floats, `inf`, `infinity`) and refuses what it flags (ERANGE on
//! overflow and on inexact underflow), so an approximation would sort differently.

use std::cmp::Ordering;

use crate::util::bignum::Big;

/// What strtod made of a C string.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Strtod {
    /// The converted value (0 when nothing was converted).
    pub value: f64,
    /// Bytes consumed; 0 when no number was recognised (C's `endptr == nptr`).
    pub end: usize,
    /// Whether errno would be ERANGE: overflow, or an underflow that lost precision.
    pub erange: bool,
}

/// Parses the longest prefix of `s` strtod would. `s` is taken as a C string: it should not
/// contain NUL (callers cut at the first one, as C would stop there).
pub fn strtod(s: &[u8]) -> Strtod {
    const NONE: Strtod = Strtod {
        value: 0.0,
        end: 0,
        erange: false,
    };
    let (i, neg) = super::c_number_start(s);
    let sign = |v: f64| if neg { -v } else { v };
    let rest = &s[i..];
    if starts_with_ci(rest, b"inf") {
        let n = if starts_with_ci(rest, b"infinity") {
            8
        } else {
            3
        };
        return Strtod {
            value: sign(f64::INFINITY),
            end: i + n,
            erange: false,
        };
    }
    if starts_with_ci(rest, b"nan") {
        // `nan` or `nan(chars)`: NaN either way, and every caller refuses NaN.
        let mut n = 3;
        if rest.get(3) == Some(&b'(') {
            if let Some(close) = rest[4..].iter().position(|&c| c == b')') {
                if rest[4..4 + close]
                    .iter()
                    .all(|c| c.is_ascii_alphanumeric() || *c == b'_')
                {
                    n = 4 + close + 1;
                }
            }
        }
        return Strtod {
            value: f64::NAN,
            end: i + n,
            erange: false,
        };
    }
    let hex = rest.len() > 2
        && rest[0] == b'0'
        && (rest[1] | 0x20) == b'x'
        && (rest[2].is_ascii_hexdigit()
            || (rest[2] == b'.' && rest.get(3).is_some_and(u8::is_ascii_hexdigit)));
    let parsed = if hex {
        hex_float(&rest[2..]).map(|(v, n, erange)| (v, n + 2, erange))
    } else {
        decimal(rest)
    };
    match parsed {
        None => NONE,
        Some((v, n, erange)) => Strtod {
            value: sign(v),
            end: i + n,
            erange,
        },
    }
}

fn starts_with_ci(s: &[u8], word: &[u8]) -> bool {
    s.len() >= word.len() && s[..word.len()].eq_ignore_ascii_case(word)
}

/// Length of the run of bytes matching `f` at the start of `s`.
fn run(s: &[u8], f: impl Fn(&u8) -> bool) -> usize {
    s.iter().position(|c| !f(c)).unwrap_or(s.len())
}

/// Length of an exponent (`e-12`, `p+3`) at the start of `s`, 0 if there is none: the
/// marker counts only when digits follow it.
fn exponent_len(s: &[u8], marker: u8) -> usize {
    if s.first().map(|c| c | 0x20) != Some(marker) {
        return 0;
    }
    let signed = usize::from(matches!(s.get(1), Some(b'+' | b'-')));
    let digits = run(&s[1 + signed..], u8::is_ascii_digit);
    if digits == 0 {
        0
    } else {
        1 + signed + digits
    }
}

/// An unsigned decimal number: (value, length, ERANGE).
fn decimal(s: &[u8]) -> Option<(f64, usize, bool)> {
    let int = run(s, u8::is_ascii_digit);
    let mut n = int;
    let mut frac = 0;
    if s.get(n) == Some(&b'.') {
        frac = run(&s[n + 1..], u8::is_ascii_digit);
        if int + frac > 0 {
            n += 1 + frac;
        }
    }
    if int + frac == 0 {
        return None;
    }
    n += exponent_len(&s[n..], b'e');
    let text = std::str::from_utf8(&s[..n]).ok()?;
    // Rust's parser rounds correctly, as glibc does; it just says nothing about range.
    let v: f64 = text.parse().ok()?;
    let erange =
        v.is_infinite() || (v.abs() <= f64::MIN_POSITIVE && underflows(s, int, frac, n, v));
    Some((v, n, erange))
}

/// glibc's ERANGE for a decimal near the bottom of the range: the exact value is nonzero
/// and tiny after rounding (below the normal range when rounded to 53 bits), and the
/// result is inexact. Decided exactly, with big integers, from at most 800 significant
/// digits: the thresholds have fewer, so the digits beyond can only act as a sticky bit.
/// (glibc forgets the round bit of a subnormal, see [`round_like_glibc`]; for decimals
/// that only shows on exact dyadic values spelled out in some 750 digits, which this does
/// not mimic.)
fn underflows(s: &[u8], int: usize, frac: usize, n: usize, v: f64) -> bool {
    const KEEP: usize = 800;
    let dot = usize::from(s.get(int) == Some(&b'.'));
    let mut all = s[..int]
        .iter()
        .chain(&s[int + dot..int + dot + frac])
        .map(|c| c - b'0')
        .skip_while(|&d| d == 0);
    let digits: Vec<u8> = all.by_ref().take(KEEP).collect();
    if digits.is_empty() {
        return false;
    }
    if v == 0.0 {
        return true;
    }
    // The digits past KEEP: how many (they scale the kept ones) and whether any is nonzero.
    let (mut dropped, mut sticky) = (0i64, false);
    for d in all {
        dropped += 1;
        sticky |= d != 0;
    }
    let exp_at = int + dot + frac;
    let exp: i64 = if exp_at < n {
        // A longer exponent than i64 would have made the value 0 or infinite.
        std::str::from_utf8(&s[exp_at + 1..n])
            .ok()
            .and_then(|t| t.parse().ok())
            .unwrap_or(0)
    } else {
        0
    };
    let e10 = exp - frac as i64 + dropped;
    if v < f64::MIN_POSITIVE {
        // A subnormal result: bits * 2^-1074, exact or not.
        sticky || compare(&digits, e10, v.to_bits(), 1074) != Ordering::Equal
    } else {
        // The result is the smallest normal: tiny only below 2^-1022 - 2^-1076, the point
        // from which 53-bit rounding reaches 2^-1022.
        compare(&digits, e10, (1 << 54) - 1, 1076) == Ordering::Less
    }
}

/// Compares `digits * 10^e10` with `k * 2^-q` exactly.
fn compare(digits: &[u8], e10: i64, k: u64, q: u32) -> Ordering {
    if e10 >= 0 {
        return Ordering::Greater; // at least 1, far above anything this is asked about
    }
    let mut lhs = Big(Vec::new());
    for &d in digits {
        lhs.mul_small(10);
        lhs.add_small(u32::from(d));
    }
    let lhs = lhs.shl(u64::from(q));
    let mut rhs = Big::from_u64(k);
    let mut p = -e10;
    while p > 0 {
        let step = p.min(9);
        rhs.mul_small(10u32.pow(step as u32));
        p -= step;
    }
    lhs.cmp(&rhs)
}

/// A hexadecimal float after its `0x`: (value, length, ERANGE), rounded to nearest even as
/// glibc does, ERANGE on overflow or on an inexact subnormal result.
fn hex_float(s: &[u8]) -> Option<(f64, usize, bool)> {
    let int = run(s, u8::is_ascii_hexdigit);
    let mut n = int;
    let mut digits: Vec<u8> = s[..int].to_vec();
    if s.get(n) == Some(&b'.') {
        let frac = run(&s[n + 1..], u8::is_ascii_hexdigit);
        digits.extend_from_slice(&s[n + 1..n + 1 + frac]);
        n += 1 + frac;
    }
    if digits.is_empty() {
        return None;
    }
    let exp_len = exponent_len(&s[n..], b'p');
    let exp2: i64 = if exp_len > 0 {
        let text = std::str::from_utf8(&s[n + 1..n + exp_len]).ok()?;
        n += exp_len;
        // Huge exponents saturate: the value is 0 or infinite either way.
        const HUGE: i64 = 1 << 40;
        text.parse::<i64>()
            .map_or(if text.starts_with('-') { -HUGE } else { HUGE }, |e| {
                e.clamp(-HUGE, HUGE)
            })
    } else {
        0
    };
    let first = match digits.iter().position(|&c| c != b'0') {
        Some(f) => f,
        None => return Some((0.0, n, false)),
    };
    // The significand as glibc keeps it: 53 bits from the leading one, the next bit (the
    // round bit) and whether anything below that is nonzero.
    let mut mant: u64 = 0;
    let mut nbits: u32 = 0;
    let (mut round, mut sticky) = (false, false);
    for &c in &digits[first..] {
        let d = (c as char).to_digit(16).expect("hex digit");
        for i in (0..4).rev() {
            let bit = d >> i & 1 == 1;
            match nbits {
                0 if !bit => continue,
                0..=52 => mant = mant << 1 | u64::from(bit),
                53 => round = bit,
                _ => sticky |= bit,
            }
            nbits = (nbits + 1).min(54);
        }
        if nbits > 53 && sticky {
            break;
        }
    }
    mant <<= 53 - nbits.min(53);
    let lead = 32
        - i64::from(
            (digits[first] as char)
                .to_digit(16)
                .expect("hex digit")
                .leading_zeros(),
        );
    let top = 4 * (int as i64 - 1 - first as i64) + lead - 1 + exp2;
    let (v, erange) = round_like_glibc(mant, top, round, sticky);
    Some((v, n, erange))
}

/// glibc's rounding of a 53-bit significand (leading bit set) whose leading bit weighs
/// 2^top, to a double: (value, ERANGE). Normal results round to nearest even. Subnormal
/// ones are tiny unless their 53-bit rounding reaches 2^-1022, and glibc then rounds them
/// from the shifted significand and the bits below the old round bit, but forgets that
/// round bit itself, for the value as for ERANGE; redust forgets it too.
fn round_like_glibc(mant: u64, top: i64, round: bool, sticky: bool) -> (f64, bool) {
    let nearest =
        |kept: u64, half: bool, more: bool| kept + u64::from(half && (more || kept & 1 == 1));
    if top > 1023 {
        return (f64::INFINITY, true);
    }
    if top < -1022 - 53 {
        return (0.0, true);
    }
    if top >= -1022 {
        let kept = nearest(mant, round, sticky);
        let v = scale(kept as f64, top - 52);
        return (v, v.is_infinite());
    }
    let shift = (-1022 - top) as u32; // 1..=53
    let tiny = !(shift == 1 && nearest(mant, round, sticky) == 1 << 53);
    let half = mant >> (shift - 1) & 1 == 1;
    let below = mant & ((1 << (shift - 1)) - 1) != 0;
    let kept = if shift == 53 { 0 } else { mant >> shift };
    let erange = tiny && (half || sticky || below);
    (
        scale(nearest(kept, half, sticky || below) as f64, -1074),
        erange,
    )
}

/// `v * 2^exp2`, exactly: `v` is an integer of at most 54 bits already rounded to the
/// precision the result has, so every intermediate step is representable.
fn scale(mut v: f64, mut exp2: i64) -> f64 {
    while exp2 != 0 && v != 0.0 {
        let step = exp2.clamp(-1000, 1000);
        v *= f64::powi(2.0, step as i32);
        exp2 -= step;
    }
    v
}

#[cfg(test)]
mod tests {
    use super::*;

    fn full(s: &str) -> Option<f64> {
        let r = strtod(s.as_bytes());
        (r.end == s.len() && !r.erange && !r.value.is_nan()).then_some(r.value)
    }

    #[test]
    fn decimal_forms() {
        assert_eq!(full("3"), Some(3.0));
        assert_eq!(full(" \t5"), Some(5.0));
        assert_eq!(full("+.5"), Some(0.5));
        assert_eq!(full("5."), Some(5.0));
        assert_eq!(full("-1e3"), Some(-1000.0));
        assert_eq!(full("1e"), None);
        assert_eq!(full("."), None);
        assert_eq!(full("5 "), None);
        assert_eq!(strtod(b"   ").end, 0);
        assert_eq!(strtod(b"1e+").end, 1);
    }

    #[test]
    fn range_errors_as_glibc() {
        assert_eq!(full("1e308"), Some(1e308));
        assert_eq!(full("1e400"), None);
        assert_eq!(full("1e-310"), None);
        assert_eq!(full("2.2250738585072014e-308"), Some(f64::MIN_POSITIVE));
        assert_eq!(full("0e-999"), Some(0.0));
        assert_eq!(full("1e-999999"), None);
        // Rounds to the smallest normal, but is tiny after 53-bit rounding: ERANGE.
        assert_eq!(full("2.2250738585072012e-308"), None);
        assert_eq!(full("2.22507385850720138e-308"), Some(f64::MIN_POSITIVE));
        // 2^-1074 spelled out exactly is no underflow; one digit less is.
        let exact = format!("{:.1074}", f64::from_bits(1));
        assert_eq!(full(&exact), Some(f64::from_bits(1)));
        assert_eq!(full(&exact[..exact.len() - 1]), None);
        assert_eq!(full("0x1.fffffffffffffffp-1023"), Some(f64::MIN_POSITIVE));
        assert_eq!(
            full("0x1.ffffffffffffep-1023"),
            Some(f64::from_bits((1 << 52) - 1))
        );
        // glibc forgets the round bit of a subnormal: only its lower bits make it inexact.
        assert_eq!(
            full("0x1.ffffffffffffe8p-1023"),
            Some(f64::from_bits((1 << 52) - 1))
        );
        assert_eq!(full("0x1.ffffffffffffe4p-1023"), None);
        assert_eq!(full("0x1.fffffffffffff8p-1023"), Some(f64::MIN_POSITIVE));
        assert_eq!(full("0x1.fffffffffffff7p-1023"), None);
        assert_eq!(full("0x1.fffffffffffffp-1023"), None);
        assert_eq!(full("0x1.8p-1074"), None);
        assert_eq!(full("0x2p-1075"), Some(f64::from_bits(1)));
    }

    #[test]
    fn special_values() {
        assert_eq!(full("inf"), Some(f64::INFINITY));
        assert_eq!(full("-Infinity"), Some(f64::NEG_INFINITY));
        assert_eq!(strtod(b"infinit").end, 3);
        assert!(strtod(b"nan").value.is_nan());
        assert_eq!(strtod(b"nan(x1)").end, 7);
    }

    #[test]
    fn hex_floats() {
        assert_eq!(full("0x10"), Some(16.0));
        assert_eq!(full("0x1p4"), Some(16.0));
        assert_eq!(full("0x1.8p1"), Some(3.0));
        assert_eq!(full("0X.8"), Some(0.5));
        assert_eq!(full("0x1p-1074"), Some(f64::from_bits(1)));
        assert_eq!(full("0x1p-1080"), None);
        assert_eq!(full("0x1p1024"), None);
        assert_eq!(full("0x1.fffffffffffff8p1023"), None);
        assert_eq!(full("0x1.fffffffffffffp1023"), Some(f64::MAX));
        assert_eq!(full("0x1.00000000000008p0"), Some(1.0));
        assert_eq!(full("0x1.00000000000018p0"), Some(1.0 + 2.0 * f64::EPSILON));
        assert_eq!(strtod(b"0x").end, 1);
        assert_eq!(strtod(b"0xg").end, 1);
        assert_eq!(strtod(b"0x1p").end, 3);
    }
}
