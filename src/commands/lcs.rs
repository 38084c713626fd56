//! LCS: the longest common subsequence of two strings, as Redis 7.0 computes it.
//!
//! Redis fills the classic dynamic-programming table and walks it back from the end; which
//! subsequence it reports when several are equally long, and how it splits it into matching
//! ranges, follow from that walk, so redust walks the same way.

use super::{is, Ctx};
use crate::protocol::parse::parse_i64;
use crate::store::Value;

/// One run of consecutive matching bytes: inclusive byte ranges in the first and second string.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Match {
    pub a: (usize, usize),
    pub b: (usize, usize),
}

impl Match {
    /// Number of bytes in the run.
    pub fn len(&self) -> usize {
        self.a.1 - self.a.0 + 1
    }

    /// Always false: a run holds at least one byte.
    pub fn is_empty(&self) -> bool {
        false
    }
}

/// The result of comparing two strings.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct Lcs {
    /// The common subsequence itself.
    pub seq: Vec<u8>,
    /// Its matching runs, from the end of the strings backwards (Redis's order).
    pub matches: Vec<Match>,
}

/// Why the LCS table was not built.
#[derive(Debug, PartialEq, Eq)]
pub enum LcsError {
    /// The table would take more bytes than the caller allows.
    OverLimit,
    /// Allocating the table failed (or its size overflows).
    NoMemory,
}

/// Computes the LCS of `a` and `b` and its matching runs. The table takes
/// `(a.len()+1) * (b.len()+1)` u32 cells; like Redis, it refuses a table of more than
/// `max_bytes` (proto-max-bulk-len) and reports rather than aborts a failed allocation.
pub fn lcs(a: &[u8], b: &[u8], max_bytes: u64) -> Result<Lcs, LcsError> {
    let width = b.len() + 1;
    let cells = (a.len() + 1)
        .checked_mul(width)
        .filter(|c| c.checked_mul(4).is_some())
        .ok_or(LcsError::NoMemory)?;
    if cells as u64 * 4 > max_bytes {
        return Err(LcsError::OverLimit);
    }
    let mut table: Vec<u32> = Vec::new();
    table
        .try_reserve_exact(cells)
        .map_err(|_| LcsError::NoMemory)?;
    table.resize(cells, 0);
    // table[i * width + j]: LCS length of a[..i] and b[..j].
    for i in 1..=a.len() {
        for j in 1..=b.len() {
            table[i * width + j] = if a[i - 1] == b[j - 1] {
                table[(i - 1) * width + j - 1] + 1
            } else {
                table[(i - 1) * width + j].max(table[i * width + j - 1])
            };
        }
    }
    let total = table[a.len() * width + b.len()] as usize;
    let mut seq = vec![0u8; total];
    let mut matches = Vec::new();
    let mut run: Option<Match> = None;
    let (mut i, mut j, mut k) = (a.len(), b.len(), total);
    while i > 0 && j > 0 {
        if a[i - 1] == b[j - 1] {
            k -= 1;
            seq[k] = a[i - 1];
            // Consecutive matches of the walk are always diagonal neighbours, so a match
            // either starts a run or extends the current one backwards.
            let m = match run {
                Some(m) => Match {
                    a: (i - 1, m.a.1),
                    b: (j - 1, m.b.1),
                },
                None => Match {
                    a: (i - 1, i - 1),
                    b: (j - 1, j - 1),
                },
            };
            i -= 1;
            j -= 1;
            // A run touching the start of either string cannot grow further.
            if m.a.0 == 0 || m.b.0 == 0 {
                matches.push(m);
                run = None;
            } else {
                run = Some(m);
            }
        } else {
            // Ties go to the second string, as in Redis.
            if table[(i - 1) * width + j] > table[i * width + j - 1] {
                i -= 1;
            } else {
                j -= 1;
            }
            if let Some(m) = run.take() {
                matches.push(m);
            }
        }
    }
    Ok(Lcs { seq, matches })
}

/// The bytes of a string key for LCS (a missing key is empty), or None if it holds another
/// type: LCS reports that with its own error instead of WRONGTYPE.
#[allow(unreachable_patterns)] // Other value types arrive with the data-types work.
fn operand(ctx: &mut Ctx, key: &[u8]) -> Option<Vec<u8>> {
    match ctx.store.lookup_read(ctx.db, key) {
        None => Some(Vec::new()),
        Some(Value::Str(s)) => Some(s.as_bytes().into_owned()),
        Some(_) => None,
    }
}

/// LCS key1 key2 [LEN] [IDX] [MINMATCHLEN len] [WITHMATCHLEN]
pub fn lcs_command(ctx: &mut Ctx, argv: &[&[u8]]) {
    // Both keys are looked up (and counted) before any check, as in Redis.
    let a = operand(ctx, argv[1]);
    let b = operand(ctx, argv[2]);
    let (Some(a), Some(b)) = (a, b) else {
        return ctx.out.err("The specified keys must contain string values");
    };
    let (mut want_len, mut want_idx, mut with_len) = (false, false, false);
    let mut min_len: i64 = 0;
    let mut i = 3;
    while i < argv.len() {
        let opt = argv[i];
        if is(opt, "idx") {
            want_idx = true;
        } else if is(opt, "len") {
            want_len = true;
        } else if is(opt, "withmatchlen") {
            with_len = true;
        } else if is(opt, "minmatchlen") && i + 1 < argv.len() {
            let Some(n) = parse_i64(argv[i + 1]) else {
                return ctx.out.err("value is not an integer or out of range");
            };
            min_len = n.max(0);
            i += 1;
        } else {
            return ctx.syntax_error();
        }
        i += 1;
    }
    if want_idx && want_len {
        return ctx
            .out
            .err("If you want both the length and indexes, please just use IDX.");
    }
    // The table holds u32 lengths (only reachable with a raised proto-max-bulk-len).
    if a.len().max(b.len()) >= u32::MAX as usize - 1 {
        return ctx.out.err("String too long for LCS");
    }
    let limit = ctx.srv.config.proto_max_bulk_len.max(0) as u64;
    let result = match lcs(&a, &b, limit) {
        Ok(r) => r,
        Err(LcsError::OverLimit) => {
            return ctx
                .out
                .err("Insufficient memory, transient memory for LCS exceeds proto-max-bulk-len")
        }
        Err(LcsError::NoMemory) => {
            return ctx
                .out
                .err("Insufficient memory, failed allocating transient memory for LCS")
        }
    };
    if want_idx {
        let shown: Vec<&Match> = result
            .matches
            .iter()
            .filter(|m| m.len() as u64 >= min_len as u64)
            .collect();
        let out = &mut *ctx.out;
        out.map(2);
        out.bulk(b"matches");
        out.array(shown.len());
        for m in shown {
            out.array(if with_len { 3 } else { 2 });
            for (start, end) in [m.a, m.b] {
                out.array(2);
                out.int(start as i64);
                out.int(end as i64);
            }
            if with_len {
                out.int(m.len() as i64);
            }
        }
        out.bulk(b"len");
        out.int(result.seq.len() as i64);
    } else if want_len {
        ctx.out.int(result.seq.len() as i64);
    } else {
        ctx.out.bulk(&result.seq);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const LIMIT: u64 = 512 * 1024 * 1024;

    fn m(a: (usize, usize), b: (usize, usize)) -> Match {
        Match { a, b }
    }

    #[test]
    fn redis_doc_example() {
        let r = lcs(b"ohmytext", b"mynewtext", LIMIT).unwrap();
        assert_eq!(r.seq, b"mytext");
        assert_eq!(r.matches, vec![m((4, 7), (5, 8)), m((2, 3), (0, 1))]);
    }

    #[test]
    fn empty_and_disjoint() {
        assert_eq!(lcs(b"", b"abc", LIMIT).unwrap(), Lcs::default());
        assert_eq!(lcs(b"abc", b"xyz", LIMIT).unwrap(), Lcs::default());
    }

    #[test]
    fn identical_strings_are_one_run() {
        let r = lcs(b"hello", b"hello", LIMIT).unwrap();
        assert_eq!(r.seq, b"hello");
        assert_eq!(r.matches, vec![m((0, 4), (0, 4))]);
        assert_eq!(r.matches[0].len(), 5);
    }

    #[test]
    fn ties_prefer_the_second_string() {
        // "ab" vs "ba": both "a" and "b" are longest; the walk steps back in the second
        // string first and so keeps "b".
        let r = lcs(b"ab", b"ba", LIMIT).unwrap();
        assert_eq!(r.seq, b"b");
        assert_eq!(r.matches, vec![m((1, 1), (0, 0))]);
    }

    #[test]
    fn table_size_is_bounded() {
        // (3+1) * (4+1) cells of 4 bytes = 80 bytes.
        assert!(lcs(b"abc", b"abcd", 80).is_ok());
        assert_eq!(lcs(b"abc", b"abcd", 79), Err(LcsError::OverLimit));
    }
}
