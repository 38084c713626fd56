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
