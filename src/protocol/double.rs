//! Doubles as Redis 7.0 writes them in replies: `inf`, `-inf`, `nan`, else C's `%.17g`,
//! formatted on the stack with glibc's rounding.

/// Formats a double as Redis 7.0 replies it: `inf`, `-inf`, `nan`, else C's `%.17g`.
pub fn format_double(d: f64) -> String {
    String::from_utf8_lossy(DoubleText::new(d).as_bytes()).into_owned()
}

/// A double as Redis 7.0 replies it (`inf`, `-inf`, `nan`, else C's `%.17g`), formatted on
/// the stack.
///
/// Replies of many scores (ZRANGE ... WITHSCORES) spend most of their time here: formatting
/// through `format!` twice, as an earlier `%.17g` did, cost about 4,100 instructions and three
/// allocations per score. Here the 17 digits come from exact 128-bit integer arithmetic for
/// every double from 1e-11 to 1e38; outside that range, from the standard library's exact
/// `{:.16e}` written into a stack buffer. Both round the exact binary value half to even, as
/// glibc's printf does.
#[derive(Clone, Copy)]
pub struct DoubleText {
    buf: [u8; 32],
    len: usize,
}

impl DoubleText {
    /// Formats `d`.
    pub fn new(d: f64) -> DoubleText {
        let mut t = DoubleText {
            buf: [0; 32],
            len: 0,
        };
        if d.is_nan() {
            t.push(b"nan");
        } else if d.is_infinite() {
            t.push(if d > 0.0 { b"inf" } else { b"-inf" });
        } else {
            if d.is_sign_negative() {
                t.push(b"-");
            }
            if d == 0.0 {
                t.push(b"0");
            } else {
                let (digits, exp) = digits17(d.abs());
                t.layout_g17(digits, exp);
            }
        }
        t
    }

    /// The text.
    pub fn as_bytes(&self) -> &[u8] {
        &self.buf[..self.len]
    }

    fn push(&mut self, bytes: &[u8]) {
        self.buf[self.len..self.len + bytes.len()].copy_from_slice(bytes);
        self.len += bytes.len();
    }

    /// Lays out `digits` (17 of them, the first nonzero) times `10^(exp - 16)` as `%.17g`
    /// does: plain notation for exponents from -4 to 16, else `d.ddde±XX`; trailing zeros
    /// of the fraction dropped, and the point with them.
    fn layout_g17(&mut self, digits: u64, exp: i32) {
        let ascii = digits_ascii(digits);
        let significant = 17 - ascii.iter().rev().take_while(|&&c| c == b'0').count();
        let ascii = &ascii[..significant];
        if (-4..17).contains(&exp) {
            if exp < 0 {
                self.push(b"0.");
                for _ in 0..-exp - 1 {
                    self.push(b"0");
                }
                self.push(ascii);
            } else {
                let int_len = exp as usize + 1;
                if significant <= int_len {
                    self.push(ascii);
                    for _ in significant..int_len {
                        self.push(b"0");
                    }
                } else {
                    self.push(&ascii[..int_len]);
                    self.push(b".");
                    self.push(&ascii[int_len..]);
                }
            }
        } else {
            self.push(&ascii[..1]);
            if significant > 1 {
                self.push(b".");
                self.push(&ascii[1..]);
            }
            self.push(if exp < 0 { b"e-" } else { b"e+" });
            let e = exp.unsigned_abs();
            if e >= 100 {
                self.push(&[b'0' + (e / 100) as u8]);
            }
            self.push(&[b'0' + (e / 10 % 10) as u8, b'0' + (e % 10) as u8]);
        }
    }
}

/// "00" to "99": two digits per division.
const PAIRS: [u8; 200] = {
    let mut t = [0u8; 200];
    let mut i = 0;
    while i < 100 {
        t[2 * i] = b'0' + (i / 10) as u8;
        t[2 * i + 1] = b'0' + (i % 10) as u8;
        i += 1;
    }
    t
};

/// The 17 decimal digits of `v < 10^17`, zero-padded. Two 32-bit halves, two digits at a
/// time: a division of the u64 per digit had been a third of a score's formatting.
fn digits_ascii(v: u64) -> [u8; 17] {
    let mut out = [b'0'; 17];
    let (mut hi, mut lo) = ((v / 100_000_000) as u32, (v % 100_000_000) as u32);
    for i in 0..4 {
        let pair = 2 * (lo % 100) as usize;
        out[15 - 2 * i..17 - 2 * i].copy_from_slice(&PAIRS[pair..pair + 2]);
        lo /= 100;
    }
    for i in 0..4 {
        let pair = 2 * (hi % 100) as usize;
        out[7 - 2 * i..9 - 2 * i].copy_from_slice(&PAIRS[pair..pair + 2]);
        hi /= 100;
    }
    out[0] = b'0' + hi as u8;
    out
}

/// The 17 significant decimal digits of a finite `d > 0`, correctly rounded (half to even),
/// as an integer in `10^16..10^17`, and the decimal exponent of the first digit.
fn digits17(d: f64) -> (u64, i32) {
    digits17_exact(d).unwrap_or_else(|| digits17_std(d))
}

/// 5^0 ..= 5^28: the powers [`digits17_exact`] scales by (a loop of multiplications had
/// cost a tenth of ZRANGE ... WITHSCORES).
const POW5: [u128; 29] = {
    let mut t = [1u128; 29];
    let mut i = 1;
    while i < t.len() {
        t[i] = t[i - 1] * 5;
        i += 1;
    }
    t
};

/// [`digits17`] in 128-bit integer arithmetic, for `1e-11 <= d < 1e38`; None outside.
fn digits17_exact(d: f64) -> Option<(u64, i32)> {
    const TEN16: u64 = 10_000_000_000_000_000;
    let bits = d.to_bits();
    let biased = ((bits >> 52) & 0x7ff) as i32;
    let fraction = bits & ((1 << 52) - 1);
    if biased == 0 {
        return None; // subnormal: far below the range
    }
    // d = m * 2^e exactly.
    let m = u128::from(fraction | (1 << 52));
    let e = biased - 1075;
    // About log10(2^(e + 52)) (78913 / 2^18 is log10(2) rounded down): the decimal
    // exponent is within one or two of it, and the loop below corrects it.
    let mut exp = ((e + 52) * 78913) >> 18;
    loop {
        if !(-12..=37).contains(&exp) {
            return None;
        }
        // The 17 digits are d * 10^scale = m * 5^scale * 2^(e + scale), as num / den.
        // Within the exponent bounds every operand stays under 2^127: m * 5^28 < 2^119;
        // d < 10^38 < 2^127 bounds m << e; and den is the smaller the closer num / den is
        // to the 17 digits it stands for.
        let scale = 16 - exp;
        let five = POW5[scale.unsigned_abs() as usize];
        let (mut num, mut den) = if scale >= 0 { (m * five, 1) } else { (m, five) };
        let bin = e + scale;
        if bin >= 0 {
            num <<= bin;
        } else {
            den <<= -bin;
        }
        // A power-of-two divisor (every d under 10^17) needs no 128-bit division.
        let (q, r) = if den.is_power_of_two() {
            (num >> den.trailing_zeros(), num & (den - 1))
        } else {
            (num / den, num % den)
        };
        if q >= u128::from(TEN16) * 10 {
            exp += 1;
            continue;
        }
        if q < u128::from(TEN16) {
            exp -= 1;
            continue;
        }
        let mut q = q as u64;
        if 2 * r > den || (2 * r == den && q % 2 == 1) {
            q += 1;
        }
        if q == TEN16 * 10 {
            // 99999999999999999.5 rounds up to the next power of ten.
            return Some((TEN16, exp + 1));
        }
        return Some((q, exp));
    }
}

/// [`digits17`] from the standard library's exact `{:.16e}` (exact for every double),
/// written into a stack buffer.
fn digits17_std(d: f64) -> (u64, i32) {
    use std::io::Write;
    let mut buf = [0u8; 40];
    let mut cursor = std::io::Cursor::new(&mut buf[..]);
    write!(cursor, "{d:.16e}").expect("a double's {:.16e} fits 40 bytes");
    let len = cursor.position() as usize;
    let text = &buf[..len];
    let e_at = text
        .iter()
        .position(|&c| c == b'e')
        .expect("{:e} has an exponent");
    let digits = text[..e_at]
        .iter()
        .filter(|c| c.is_ascii_digit())
        .fold(0u64, |v, &c| v * 10 + u64::from(c - b'0'));
    let exp = std::str::from_utf8(&text[e_at + 1..])
        .ok()
        .and_then(|s| s.parse().ok())
        .expect("{:e} exponent is an integer");
    (digits, exp)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn percent_g() {
        assert_eq!(format_double(1.1), "1.1000000000000001");
        assert_eq!(format_double(1.5), "1.5");
        assert_eq!(format_double(100.0), "100");
        assert_eq!(format_double(1e20), "1e+20");
        assert_eq!(format_double(1.25e-5), "1.2500000000000001e-05");
        assert_eq!(format_double(0.0001), "0.0001");
        assert_eq!(format_double(-3.0), "-3");
        assert_eq!(
            format_double(123456789012345678.0),
            "1.2345678901234568e+17"
        );
        assert_eq!(format_double(1e300), "1.0000000000000001e+300");
        assert_eq!(format_double(-0.0), "-0");
    }

    /// glibc's `%.17g`, the reference Redis 7.0 replies with.
    fn libc_g17(d: f64) -> String {
        let mut buf = [0u8; 64];
        // SAFETY: FFI call; the buffer is writable for its whole length, which bounds the
        // write, the format is a NUL-terminated literal that takes exactly one double.
        let n = unsafe { libc::snprintf(buf.as_mut_ptr().cast(), buf.len(), c"%.17g".as_ptr(), d) };
        String::from_utf8(buf[..n as usize].to_vec()).expect("ASCII")
    }

    fn fast(d: f64) -> String {
        String::from_utf8(DoubleText::new(d).as_bytes().to_vec()).expect("ASCII")
    }

    #[test]
    fn doubles_match_glibc_printf() {
        let tricky = [
            0.1,
            -0.1,
            1.1,
            1e-7,
            1e21,
            123456789012345678.0,
            0.0,
            -0.0,
            1.0,
            1e-4,
            9.9999999999999e-5,
            1e-5,
            1e16,
            1e17,
            99999999999999999.0,
            9.999999999999999e16,
            1e37,
            1e-6,
            9.99999999999999e-7,
            f64::MAX,
            f64::MIN_POSITIVE,
            5e-324,
            2.5e-300,
            // Exactly halfway at the 17th digit (18 digits ending in 5): 10001 / 2^20 is
            // 0.00953769683837890625 and rounds down to even, 10003 / 2^20 up.
            10001.0 / 1048576.0,
            10003.0 / 1048576.0,
            (1u64 << 53) as f64,
            9007199254740993.0,
            0.30000000000000004,
            2.0f64.powi(-20),
            2.0f64.powi(100),
            2.0f64.powi(123),
            2.0f64.powi(-24),
        ];
        for d in tricky {
            assert_eq!(fast(d), libc_g17(d), "{d:e}");
            assert_eq!(fast(-d), libc_g17(-d), "{:e}", -d);
        }
        assert_eq!(fast(f64::INFINITY), "inf");
        assert_eq!(fast(f64::NEG_INFINITY), "-inf");
        assert_eq!(fast(f64::NAN), "nan");
        // Every power of ten and its neighbours, where the exponent estimate is closest.
        for p in -320..=308 {
            let d: f64 = format!("1e{p}").parse().expect("a double");
            for x in [
                d,
                f64::from_bits(d.to_bits() + 1),
                f64::from_bits(d.to_bits() - 1),
            ] {
                assert_eq!(fast(x), libc_g17(x), "{x:e}");
            }
        }
        // Random bit patterns (every exponent) and random values in the fast range.
        let mut seed = 0x1234_5678_9abc_def0u64;
        let mut next = || {
            seed = seed.wrapping_add(0x9E37_79B9_7F4A_7C15);
            let mut z = seed;
            z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
            z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
            z ^ (z >> 31)
        };
        for i in 0..200_000 {
            let r = next();
            let d = if i % 2 == 0 {
                f64::from_bits(r)
            } else {
                (r >> 11) as f64 / (1u64 << 53) as f64 * 10f64.powi((r % 52) as i32 - 12)
            };
            if d.is_finite() {
                assert_eq!(fast(d), libc_g17(d), "{d:e}");
            }
        }
    }

    #[test]
    fn exact_digits_agree_with_the_standard_library() {
        let mut x = 1.001e-11f64;
        while x < 9e37 {
            for d in [x, f64::from_bits(x.to_bits() + 7), x * 1.2345678901] {
                if d < 1e38 {
                    assert_eq!(digits17_exact(d), Some(digits17_std(d)), "{d:e}");
                }
            }
            x *= 1.37;
        }
        assert_eq!(digits17_exact(1e-13), None);
        assert_eq!(digits17_exact(1e39), None);
    }

    #[test]
    fn seventeen_digits() {
        assert_eq!(&digits_ascii(12_345_678_901_234_567), b"12345678901234567");
        assert_eq!(&digits_ascii(10_000_000_000_000_000), b"10000000000000000");
        assert_eq!(&digits_ascii(99_999_999_999_999_999), b"99999999999999999");
        assert_eq!(&digits_ascii(90_807_060_504_030_201), b"90807060504030201");
    }
}
