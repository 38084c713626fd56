//! x87 80-bit `long double` arithmetic in software, for INCRBYFLOAT and HINCRBYFLOAT: Redis
//! parses both operands with `strtold`, adds them in extended precision (64-bit mantissa)
//! and prints the sum with `%.17Lf`, trailing zeros trimmed. Doubles cannot reproduce
//! that (`1e18 + 0.1` prints `1000000000000000000.125` in Redis), so values are exact
//! binary numbers `m * 2^e` with a 64-bit `m`, and every step (decimal to binary, the sum,
//! binary to decimal) is done exactly on big integers, then rounded half-to-even.

/// Largest binary exponent of a finite long double (its values stay below 2^16384).
const MAX_EXP: i64 = 16384;
/// Smallest normal long double is 2^-16382; below, values count as underflow.
const MIN_EXP: i64 = -16382;

use crate::util::bignum::Big;

/// A finite long double: `(-1)^neg * m * 2^e`, `m` normalized (top bit set) unless zero.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct LongDouble {
    neg: bool,
    m: u64,
    e: i64,
}

/// Why a value is not a finite long double.
#[derive(Debug, PartialEq)]
pub enum NotFinite {
    /// Not a number as `strtold` reads it, out of range, or NaN.
    Invalid,
    /// `inf` / `-inf` (valid input, but no finite value).
    Infinite,
}

impl LongDouble {
    /// Rounds the exact value `(-1)^neg * n * 2^e` to a 64-bit mantissa, half to even.
    fn round(neg: bool, n: &Big, e: i64, sticky_in: bool) -> Option<LongDouble> {
        if n.is_zero() {
            return Some(LongDouble { neg, m: 0, e: 0 });
        }
        let bits = n.bits();
        let (m, e) = if bits <= 64 {
            (n.shl(64 - bits).low_u64(), e - (64 - bits as i64))
        } else {
            let shift = bits - 64;
            let (q, _) = n.shr(shift);
            let half = n.bit(shift - 1);
            let (_, below) = n.shr(shift - 1);
            let sticky = below || sticky_in;
            let mut q = q;
            let mut e = e + shift as i64;
            if half && (sticky || q.bit(0)) {
                q.add_small(1);
                if q.bits() > 64 {
                    q = q.shr(1).0;
                    e += 1;
                }
            }
            (q.low_u64(), e)
        };
        // Exponent of the leading bit: m is in [2^63, 2^64).
        let top = e + 63;
        if top >= MAX_EXP {
            return None;
        }
        if top < MIN_EXP {
            return Some(LongDouble { neg, m: 0, e: 0 });
        }
        Some(LongDouble { neg, m, e })
    }

    /// Parses as Redis's `string2ld`: `strtold` on the whole string (decimal, with an
    /// optional exponent; `inf`/`infinity`), no leading space, no trailing bytes; NaN,
    /// overflow and underflow to zero are invalid.
    pub fn parse(s: &[u8]) -> Result<LongDouble, NotFinite> {
        let (neg, body) = match s.split_first() {
            Some((b'-', r)) => (true, r),
            Some((b'+', r)) => (false, r),
            _ => (false, s),
        };
        let lower = body.to_ascii_lowercase();
        if lower == b"inf" || lower == b"infinity" {
            return Err(NotFinite::Infinite);
        }
        let mut digits = Big(Vec::new());
        let mut exp10: i64 = 0;
        let (mut seen_digit, mut seen_dot) = (false, false);
        let mut nonzero = false;
        let mut i = 0;
        while i < body.len() {
            match body[i] {
                c @ b'0'..=b'9' => {
                    seen_digit = true;
                    nonzero |= c != b'0';
                    digits.mul_small(10);
                    digits.add_small(u32::from(c - b'0'));
                    if seen_dot {
                        exp10 -= 1;
                    }
                }
                b'.' if !seen_dot => seen_dot = true,
                _ => break,
            }
            i += 1;
        }
        if !seen_digit {
            return Err(NotFinite::Invalid);
        }
        if i < body.len() && (body[i] == b'e' || body[i] == b'E') {
            let rest = &body[i + 1..];
            let (eneg, edigits) = match rest.split_first() {
                Some((b'-', r)) => (true, r),
                Some((b'+', r)) => (false, r),
                _ => (false, rest),
            };
            if edigits.is_empty() || !edigits.iter().all(u8::is_ascii_digit) {
                return Err(NotFinite::Invalid);
            }
            let mut e: i64 = 0;
            for &c in edigits {
                e = (e * 10 + i64::from(c - b'0')).min(1_000_000);
            }
            exp10 += if eneg { -e } else { e };
            i = body.len();
        }
        if i != body.len() {
            return Err(NotFinite::Invalid);
        }
        if !nonzero {
            return Ok(LongDouble { neg, m: 0, e: 0 });
        }
        // Far outside the range: overflow or underflow, both invalid for string2ld.
        if !(-5000..=5000).contains(&exp10) {
            return Err(NotFinite::Invalid);
        }
        let v = if exp10 >= 0 {
            let mut n = digits;
            for _ in 0..exp10 {
                n.mul_small(10);
            }
            Self::round(neg, &n, 0, false)
        } else {
            let mut den = Big::from_u64(1);
            for _ in 0..-exp10 {
                den.mul_small(10);
            }
            // Scale so that the quotient has at least 66 bits, then divide bit by bit.
            let k = (66 + den.bits() as i64 - digits.bits() as i64).max(0) as u64;
            let num = digits.shl(k);
            let qbits = num.bits().saturating_sub(den.bits()) + 1;
            let mut rem = num;
            let mut q = Big(Vec::new());
            for b in (0..qbits).rev() {
                let d = den.shl(b);
                if rem.cmp(&d) != std::cmp::Ordering::Less {
                    rem = rem.sub(&d);
                    q = q.add(&Big::from_u64(1).shl(b));
                }
            }
            Self::round(neg, &q, -(k as i64), !rem.is_zero())
        };
        match v {
            Some(v) if v.m != 0 => Ok(v),
            _ => Err(NotFinite::Invalid),
        }
    }

    /// The exactly rounded sum; None when it overflows.
    pub fn plus(self, o: LongDouble) -> Option<LongDouble> {
        if self.m == 0 {
            return Some(if o.m == 0 {
                LongDouble {
                    neg: self.neg && o.neg,
                    ..o
                }
            } else {
                o
            });
        }
        if o.m == 0 {
            return Some(self);
        }
        let e = self.e.min(o.e);
        let a = Big::from_u64(self.m).shl((self.e - e) as u64);
        let b = Big::from_u64(o.m).shl((o.e - e) as u64);
        let (neg, n) = if self.neg == o.neg {
            (self.neg, a.add(&b))
        } else {
            match a.cmp(&b) {
                std::cmp::Ordering::Less => (o.neg, b.sub(&a)),
                _ => (self.neg, a.sub(&b)),
            }
        };
        Self::round(neg && !n.is_zero(), &n, e, false)
    }

    /// `(long long) ceill(self * 1000.0L)` as an x86-64 build of Redis computes a blocking
    /// command's timeout in milliseconds: the product rounded to a 64-bit mantissa, rounded
    /// up to an integer, and `i64::MIN` (the x87 "integer indefinite") when that does not
    /// fit, which Redis then reports as a negative timeout.
    pub fn millis_ceil(self) -> i64 {
        if self.m == 0 {
            return 0;
        }
        let mut product = Big::from_u64(self.m);
        product.mul_small(1000);
        let Some(p) = Self::round(self.neg, &product, self.e, false) else {
            return i64::MIN;
        };
        if p.e > 0 {
            return i64::MIN;
        }
        let shift = (-p.e) as u32;
        let (whole, fraction) = if shift >= 64 {
            (0u128, true)
        } else {
            (u128::from(p.m >> shift), p.m & ((1u64 << shift) - 1) != 0)
        };
        if p.neg {
            // Toward zero is up for negatives; -0 is 0.
            i64::try_from(-(whole as i128)).unwrap_or(i64::MIN)
        } else {
            i64::try_from(whole + u128::from(fraction)).unwrap_or(i64::MIN)
        }
    }

    /// `%.17Lf` with trailing zeros (and a bare dot) trimmed, `-0` as `0`: Redis's
    /// `ld2string(LD_STR_HUMAN)`.
    pub fn to_human(self) -> String {
        let mut scaled = Big::from_u64(self.m);
        for _ in 0..17 {
            scaled.mul_small(10);
        }
        let r = if self.e >= 0 {
            scaled.shl(self.e as u64)
        } else {
            let shift = (-self.e) as u64;
            let (mut q, _) = scaled.shr(shift);
            let half = scaled.bit(shift - 1);
            let (_, below) = scaled.shr(shift - 1);
            if half && (below || q.bit(0)) {
                q.add_small(1);
            }
            q
        };
        let digits = r.to_decimal();
        let digits = format!("{digits:0>18}");
        let (int, frac) = digits.split_at(digits.len() - 17);
        let frac = frac.trim_end_matches('0');
        let mut s = String::new();
        if self.neg {
            s.push('-');
        }
        s.push_str(int);
        if !frac.is_empty() {
            s.push('.');
            s.push_str(frac);
        }
        if s == "-0" {
            s = "0".into();
        }
        s
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sum(a: &str, b: &str) -> String {
        let a = LongDouble::parse(a.as_bytes()).unwrap();
        let b = LongDouble::parse(b.as_bytes()).unwrap();
        a.plus(b).unwrap().to_human()
    }

    #[test]
    fn sums_print_like_redis() {
        assert_eq!(sum("10.5", "0.1"), "10.6");
        assert_eq!(sum("0.1", "0.2"), "0.3");
        assert_eq!(sum("5", "-5"), "0");
        assert_eq!(sum("1e18", "0.1"), "1000000000000000000.125");
        assert_eq!(sum("300", "0.1"), "300.10000000000000001");
        assert_eq!(sum("-0.1", "1e-5"), "-0.09999");
        assert_eq!(sum("3e-5", "0"), "0.00003");
        assert_eq!(sum("1e20", "0"), "100000000000000000000");
        assert_eq!(sum("5.0e3", "0"), "5000");
        assert_eq!(
            sum("1", "1e308"),
            "99999999999999999996685879655845645660560099847415567207797047994921734868838061872100126921888539320446747225054013223152134749593960583597420814430196418767959100019603190778663109604507106667939153395788938914560543563061268364901618630217086589253444881623791300855757318142424510452728255046343928578048"
        );
    }

    #[test]
    fn timeouts_convert_like_ceill_times_1000() {
        let ms = |s: &str| LongDouble::parse(s.as_bytes()).unwrap().millis_ceil();
        assert_eq!(ms("0"), 0);
        assert_eq!(ms("1"), 1000);
        assert_eq!(ms("0.0001"), 1);
        assert_eq!(ms("0.0015"), 2);
        assert_eq!(ms("1.5"), 1500);
        assert_eq!(ms("-0.0001"), 0);
        assert_eq!(ms("-1"), -1000);
        assert_eq!(ms("1e30"), i64::MIN);
        assert_eq!(ms("9223372036854775807"), i64::MIN);
        assert_eq!(ms("9223372036854775.807"), i64::MAX);
        assert_eq!(ms("9223372036854775.808"), i64::MIN);
    }

    #[test]
    fn parses_like_string2ld() {
        assert!(LongDouble::parse(b"1.5").is_ok());
        assert!(LongDouble::parse(b".5").is_ok());
        assert!(LongDouble::parse(b"5.").is_ok());
        assert_eq!(LongDouble::parse(b"inf"), Err(NotFinite::Infinite));
        assert_eq!(LongDouble::parse(b"-Infinity"), Err(NotFinite::Infinite));
        assert_eq!(LongDouble::parse(b"nan"), Err(NotFinite::Invalid));
        assert_eq!(LongDouble::parse(b"1e5000"), Err(NotFinite::Invalid));
        assert_eq!(LongDouble::parse(b"1e-5000"), Err(NotFinite::Invalid));
        assert_eq!(LongDouble::parse(b"1x"), Err(NotFinite::Invalid));
        assert_eq!(LongDouble::parse(b""), Err(NotFinite::Invalid));
        assert_eq!(LongDouble::parse(b"."), Err(NotFinite::Invalid));
        assert_eq!(LongDouble::parse(b"1e"), Err(NotFinite::Invalid));
    }
}
