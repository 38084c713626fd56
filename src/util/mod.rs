//! Building blocks with no server state: Redis's number formats and parsing, its partial
//! quicksort, its glob matcher, its geohashing, and SHA-256 (how Redis shows a password).

pub mod bignum;
pub mod geohash;
pub mod glob;
pub mod long_double;
pub mod pqsort;
pub mod sha256;
pub mod strtod;

/// Where a C number parser (strtol, strtod, atoi) starts reading `s`: past the leading
/// white space C's `isspace` skips, and past an optional sign. Returns that position and
/// whether the sign was `-`.
pub fn c_number_start(s: &[u8]) -> (usize, bool) {
    let i = s
        .iter()
        .position(|c| !matches!(c, b' ' | b'\t' | b'\n' | 0x0b | 0x0c | b'\r'))
        .unwrap_or(s.len());
    match s.get(i) {
        Some(b'-') => (i + 1, true),
        Some(b'+') => (i + 1, false),
        _ => (i, false),
    }
}

/// C's `%.<precision>g` (glibc's, which rounds the exact binary value half to even, as
/// Rust's exponent formatting does): `precision` significant digits, plain notation for
/// exponents from -4 to below the precision, else `d.ddde+XX`; trailing zeros dropped.
pub fn format_g(n: f64, precision: usize) -> String {
    if n.is_nan() {
        return if n.is_sign_negative() { "-nan" } else { "nan" }.to_string();
    }
    if n.is_infinite() {
        return if n < 0.0 { "-inf" } else { "inf" }.to_string();
    }
    let p = precision.max(1);
    let sign = if n.is_sign_negative() { "-" } else { "" };
    if n == 0.0 {
        return format!("{sign}0");
    }
    let sci = format!("{:.*e}", p - 1, n.abs());
    let (mantissa, exp) = sci.split_once('e').expect("exponent notation");
    let exp: i32 = exp.parse().expect("an exponent");
    let digits: String = mantissa.chars().filter(|c| *c != '.').collect();
    if exp < -4 || exp >= p as i32 {
        let digits = digits.trim_end_matches('0');
        let (first, rest) = digits.split_at(1);
        let point = if rest.is_empty() { "" } else { "." };
        let esign = if exp < 0 { '-' } else { '+' };
        format!(
            "{sign}{first}{point}{rest}e{esign}{:02}",
            exp.unsigned_abs()
        )
    } else if exp < 0 {
        let zeros = "0".repeat(exp.unsigned_abs() as usize - 1);
        format!("{sign}0.{zeros}{}", digits.trim_end_matches('0'))
    } else {
        let (int, frac) = digits.split_at(exp as usize + 1);
        let frac = frac.trim_end_matches('0');
        let point = if frac.is_empty() { "" } else { "." };
        format!("{sign}{int}{point}{frac}")
    }
}
