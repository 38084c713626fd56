//! The request parser: a resumable state machine over a client's input buffer.
//!
//! It accepts what Redis accepts: RESP multibulk requests (`*2\r\n$3\r\nGET\r\n$1\r\nk\r\n`)
//! and inline requests (`GET k\r\n`, with sdssplitargs' quoting rules). A partially received
//! command is never re-scanned from its start: the parser remembers how far it got (how many
//! arguments remain, the length of the bulk it waits for) and resumes from there.
//!
//! Multibulk arguments are not copied: they are `(start, len)` ranges into the input buffer.
//! Inline arguments need unescaping, so they are written into a scratch buffer owned by the
//! parser. [`RequestParser::args`] hides the difference.
//!
//! Every error text is Redis's, byte for byte (networking.c). After an error the connection is
//! to be closed once the reply is flushed; the parser does not recover.

use memchr::{memchr, memchr2};

/// The longest inline request, and the longest `*<count>` / `$<len>` header line, Redis waits
/// for before giving up (PROTO_INLINE_MAX_SIZE).
pub const INLINE_MAX_SIZE: usize = 64 * 1024;

/// At most this many argument slots are preallocated, whatever count the client declares, so
/// that `*2147483647\r\n` costs nothing until the arguments actually arrive.
pub const MAX_PREALLOCATED_ARGS: usize = 1024;

/// The largest multibulk count Redis accepts (INT_MAX).
const MAX_MULTIBULK_COUNT: i64 = i32::MAX as i64;

/// Before AUTH, Redis caps a request at this many arguments...
const UNAUTH_MAX_MULTIBULK: i64 = 10;
/// ...and each bulk at this many bytes.
const UNAUTH_MAX_BULK: i64 = 16384;

/// Limits the parser enforces, from the configuration and the client's state.
#[derive(Clone, Copy, Debug)]
pub struct Limits {
    /// `proto-max-bulk-len`.
    pub max_bulk_len: i64,
    /// Whether the client has authenticated (or no password is required).
    pub authenticated: bool,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            max_bulk_len: 512 * 1024 * 1024,
            authenticated: true,
        }
    }
}

/// A request the client sent that cannot be parsed. The connection closes after the reply.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ProtocolError {
    InvalidMultibulkLength,
    InvalidBulkLength,
    /// More than 10 arguments before AUTH.
    UnauthenticatedMultibulkLength,
    /// A bulk over 16 KB before AUTH.
    UnauthenticatedBulkLength,
    /// A request array may only hold bulk strings; this is the byte found instead of `$`.
    ExpectedDollar(u8),
    UnbalancedQuotes,
    TooBigInlineRequest,
    TooBigMbulkCountString,
    TooBigBulkCountString,
}

impl ProtocolError {
    /// The error reply, without the leading `-` and trailing CRLF.
    pub fn message(&self) -> String {
        match self {
            ProtocolError::InvalidMultibulkLength => {
                "ERR Protocol error: invalid multibulk length".into()
            }
            ProtocolError::InvalidBulkLength => "ERR Protocol error: invalid bulk length".into(),
            ProtocolError::UnauthenticatedMultibulkLength => {
                "ERR Protocol error: unauthenticated multibulk length".into()
            }
            ProtocolError::UnauthenticatedBulkLength => {
                "ERR Protocol error: unauthenticated bulk length".into()
            }
            ProtocolError::ExpectedDollar(b) => {
                // Redis formats the byte with %c, then turns CR and LF into spaces so the
                // error line stays one line.
                let c = match *b {
                    b'\r' | b'\n' => ' ',
                    b => b as char,
                };
                format!("ERR Protocol error: expected '$', got '{c}'")
            }
            ProtocolError::UnbalancedQuotes => {
                "ERR Protocol error: unbalanced quotes in request".into()
            }
            ProtocolError::TooBigInlineRequest => {
                "ERR Protocol error: too big inline request".into()
            }
            ProtocolError::TooBigMbulkCountString => {
                "ERR Protocol error: too big mbulk count string".into()
            }
            ProtocolError::TooBigBulkCountString => {
                "ERR Protocol error: too big bulk count string".into()
            }
        }
    }

    /// The message's bytes as they go on the wire (non-UTF-8 bytes kept as they were).
    pub fn wire_message(&self) -> Vec<u8> {
        match self {
            ProtocolError::ExpectedDollar(b) if *b >= 0x80 => {
                let mut m = b"ERR Protocol error: expected '$', got '".to_vec();
                m.push(*b);
                m.push(b'\'');
                m
            }
            _ => self.message().into_bytes(),
        }
    }
}

/// What one call to [`RequestParser::next`] found.
#[derive(Debug, PartialEq, Eq)]
pub enum Parsed {
    /// A whole command; its arguments are available through [`RequestParser::args`] until the
    /// next call. It may have zero arguments (an empty inline line or `*0`), which Redis
    /// silently skips.
    Command,
    /// More bytes are needed.
    Incomplete,
    /// The request is malformed.
    Error(ProtocolError),
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum State {
    /// Between commands.
    Idle,
    /// Inside a multibulk: `remaining` arguments to go; `bulk_len` is the length of the next
    /// argument once its `$<len>` header has been read.
    Multibulk {
        remaining: u32,
        bulk_len: Option<usize>,
    },
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum ArgSource {
    Input,
    Scratch,
}

/// The resumable parser; one per client.
#[derive(Debug)]
pub struct RequestParser {
    state: State,
    /// Argument ranges of the current command, into the input buffer or `scratch`.
    ranges: Vec<(usize, usize)>,
    source: ArgSource,
    /// Unescaped inline arguments.
    scratch: Vec<u8>,
    /// Where the command being parsed starts in the input buffer.
    command_start: usize,
}

impl Default for RequestParser {
    fn default() -> Self {
        Self::new()
    }
}

impl RequestParser {
    /// A parser between commands.
    pub fn new() -> Self {
        RequestParser {
            state: State::Idle,
            ranges: Vec::new(),
            source: ArgSource::Input,
            scratch: Vec::new(),
            command_start: 0,
        }
    }

    /// Whether the parser is in the middle of a command.
    pub fn is_mid_command(&self) -> bool {
        self.state != State::Idle
    }

    /// The length of the argument whose bytes are awaited, once its `$<len>` header is
    /// read: the reader sizes the query buffer for a big one exactly, as Redis does.
    pub fn pending_bulk(&self) -> Option<usize> {
        match self.state {
            State::Multibulk { bulk_len, .. } => bulk_len,
            State::Idle => None,
        }
    }

    /// Where in the input buffer the command being parsed starts: bytes before it are no
    /// longer needed once the current command has been executed.
    pub fn command_start(&self) -> usize {
        self.command_start
    }

    /// The number of arguments of the last complete command.
    pub fn argc(&self) -> usize {
        self.ranges.len()
    }

    /// The arguments of the command [`next`](Self::next) just returned, appended to `out`.
    pub fn args<'a>(&'a self, input: &'a [u8], out: &mut Vec<&'a [u8]>) {
        let buf = match self.source {
            ArgSource::Input => input,
            ArgSource::Scratch => &self.scratch[..],
        };
        out.extend(self.ranges.iter().map(|&(s, l)| &buf[s..s + l]));
    }

    /// The input buffer dropped its first `n` bytes: shift the ranges that point into it.
    /// Dropping bytes of the command in progress is a caller bug; dropping those of a command
    /// already returned forgets its arguments.
    pub fn rebase(&mut self, n: usize) {
        if n > self.command_start {
            debug_assert!(!self.is_mid_command());
            self.ranges.clear();
            self.command_start = 0;
            return;
        }
        self.command_start -= n;
        if self.source == ArgSource::Input {
            for r in &mut self.ranges {
                r.0 -= n;
            }
        }
    }

    /// Parses the next command from `input[*pos..]`, advancing `*pos` past what it consumed.
    pub fn next(&mut self, input: &[u8], pos: &mut usize, limits: Limits) -> Parsed {
        if self.state == State::Idle {
            if *pos >= input.len() {
                return Parsed::Incomplete;
            }
            self.ranges.clear();
            self.command_start = *pos;
            if input[*pos] != b'*' {
                return self.inline(input, pos);
            }
            match self.multibulk_header(input, pos, limits) {
                Ok(None) => return Parsed::Incomplete,
                Ok(Some(0)) => return Parsed::Command,
                Ok(Some(n)) => {
                    self.source = ArgSource::Input;
                    self.ranges.reserve(n.min(MAX_PREALLOCATED_ARGS));
                    self.state = State::Multibulk {
                        remaining: n as u32,
                        bulk_len: None,
                    };
                }
                Err(e) => return Parsed::Error(e),
            }
        }
        self.bulks(input, pos, limits)
    }

    /// Reads `*<count>\r\n`. `Ok(None)`: not all there yet.
    fn multibulk_header(
        &mut self,
        input: &[u8],
        pos: &mut usize,
        limits: Limits,
    ) -> Result<Option<usize>, ProtocolError> {
        let rest = &input[*pos..];
        let Some(cr) = c_strchr(rest, b'\r') else {
            if rest.len() > INLINE_MAX_SIZE {
                return Err(ProtocolError::TooBigMbulkCountString);
            }
            return Ok(None);
        };
        if cr + 1 >= rest.len() {
            return Ok(None); // the '\n' after '\r' has not arrived
        }
        let count = match parse_i64(&rest[1..cr]) {
            Some(n) if n <= MAX_MULTIBULK_COUNT => n,
            _ => return Err(ProtocolError::InvalidMultibulkLength),
        };
        if !limits.authenticated && count > UNAUTH_MAX_MULTIBULK {
            return Err(ProtocolError::UnauthenticatedMultibulkLength);
        }
        *pos += cr + 2;
        Ok(Some(count.max(0) as usize))
    }

    fn bulks(&mut self, input: &[u8], pos: &mut usize, limits: Limits) -> Parsed {
        let State::Multibulk {
            mut remaining,
            mut bulk_len,
        } = self.state
        else {
            unreachable!("bulks is only entered inside a multibulk")
        };
        while remaining > 0 {
            let len = match bulk_len {
                Some(len) => len,
                None => {
                    let rest = &input[*pos..];
                    let Some(cr) = c_strchr(rest, b'\r') else {
                        if rest.len() > INLINE_MAX_SIZE {
                            return Parsed::Error(ProtocolError::TooBigBulkCountString);
                        }
                        break;
                    };
                    if cr + 1 >= rest.len() {
                        break;
                    }
                    if rest[0] != b'$' {
                        return Parsed::Error(ProtocolError::ExpectedDollar(rest[0]));
                    }
                    let len = match parse_i64(&rest[1..cr]) {
                        Some(n) if n >= 0 && n <= limits.max_bulk_len => n,
                        _ => return Parsed::Error(ProtocolError::InvalidBulkLength),
                    };
                    if !limits.authenticated && len > UNAUTH_MAX_BULK {
                        return Parsed::Error(ProtocolError::UnauthenticatedBulkLength);
                    }
                    let len = len as usize;
                    *pos += cr + 2;
                    bulk_len = Some(len);
                    len
                }
            };
            // Like Redis, the two bytes after the payload are skipped, not checked.
            if input.len() - *pos < len + 2 {
                break;
            }
            self.ranges.push((*pos, len));
            *pos += len + 2;
            remaining -= 1;
            bulk_len = None;
        }
        if remaining == 0 {
            self.state = State::Idle;
            Parsed::Command
        } else {
            self.state = State::Multibulk {
                remaining,
                bulk_len,
            };
            Parsed::Incomplete
        }
    }

    fn inline(&mut self, input: &[u8], pos: &mut usize) -> Parsed {
        let rest = &input[*pos..];
        let Some(nl) = c_strchr(rest, b'\n') else {
            if rest.len() > INLINE_MAX_SIZE {
                return Parsed::Error(ProtocolError::TooBigInlineRequest);
            }
            return Parsed::Incomplete;
        };
        let mut line = &rest[..nl];
        if line.last() == Some(&b'\r') {
            line = &line[..line.len() - 1];
        }
        self.scratch.clear();
        self.source = ArgSource::Scratch;
        if !split_args(line, &mut self.scratch, &mut self.ranges) {
            return Parsed::Error(ProtocolError::UnbalancedQuotes);
        }
        *pos += nl + 1;
        Parsed::Command
    }
}

/// Redis finds line ends with C's `strchr`, which stops at a NUL byte: a line with a NUL
/// before its end is never complete. Matching that keeps the replies identical.
fn c_strchr(haystack: &[u8], needle: u8) -> Option<usize> {
    // Protocol lines (`*3`, `$5`) are a few bytes: a plain loop finds their end before the
    // vector search would have set up.
    const SHORT: usize = 16;
    for (i, &b) in haystack.iter().take(SHORT).enumerate() {
        if b == needle {
            return Some(i);
        }
        if b == 0 {
            return None;
        }
    }
    let rest = haystack.get(SHORT..)?;
    memchr2(needle, 0, rest)
        .map(|i| i + SHORT)
        .filter(|&i| haystack[i] == needle)
}

/// Redis's `string2ll`: an optional `-`, then digits without leading zeros, fitting an i64.
pub fn parse_i64(s: &[u8]) -> Option<i64> {
    let (neg, digits) = match s.split_first() {
        Some((b'-', d)) => (true, d),
        _ => (false, s),
    };
    if digits.is_empty() || digits.len() > 19 || (digits[0] == b'0' && s.len() > 1) {
        return None;
    }
    let mut v: u64 = 0;
    for &c in digits {
        if !c.is_ascii_digit() {
            return None;
        }
        v = v * 10 + u64::from(c - b'0');
    }
    if neg {
        if v > i64::MAX as u64 + 1 {
            None
        } else {
            Some((v as i64).wrapping_neg())
        }
    } else {
        i64::try_from(v).ok()
    }
}

/// C's `isspace` in the C locale.
fn is_space(c: u8) -> bool {
    matches!(c, b' ' | b'\t' | b'\n' | b'\x0b' | b'\x0c' | b'\r')
}

fn hex_value(c: u8) -> Option<u8> {
    (c as char).to_digit(16).map(|d| d as u8)
}

/// Splits an inline request line the way sdssplitargs does, unescaping into `out` and
/// recording `(start, len)` ranges. Returns false on unbalanced quotes.
///
/// sdssplitargs works on a C string, so a NUL byte ends the line.
pub fn split_args(line: &[u8], out: &mut Vec<u8>, ranges: &mut Vec<(usize, usize)>) -> bool {
    let line = match memchr(0, line) {
        Some(nul) => &line[..nul],
        None => line,
    };
    let at = |i: usize| line.get(i).copied().unwrap_or(0);
    let mut p = 0;
    loop {
        while p < line.len() && is_space(line[p]) {
            p += 1;
        }
        if p >= line.len() {
            return true;
        }
        let start = out.len();
        let (mut in_dq, mut in_sq) = (false, false);
        loop {
            let c = at(p);
            if in_dq {
                if c == b'\\' && at(p + 1) == b'x' {
                    if let (Some(h), Some(l)) = (hex_value(at(p + 2)), hex_value(at(p + 3))) {
                        out.push(h * 16 + l);
                        p += 4;
                        continue;
                    }
                }
                if c == b'\\' && at(p + 1) != 0 {
                    out.push(match at(p + 1) {
                        b'n' => b'\n',
                        b'r' => b'\r',
                        b't' => b'\t',
                        b'b' => 0x08,
                        b'a' => 0x07,
                        other => other,
                    });
                    p += 2;
                } else if c == b'"' {
                    // The closing quote must be followed by a space or the end.
                    if at(p + 1) != 0 && !is_space(at(p + 1)) {
                        return false;
                    }
                    p += 1;
                    break;
                } else if c == 0 {
                    return false;
                } else {
                    out.push(c);
                    p += 1;
                }
            } else if in_sq {
                if c == b'\\' && at(p + 1) == b'\'' {
                    out.push(b'\'');
                    p += 2;
                } else if c == b'\'' {
                    if at(p + 1) != 0 && !is_space(at(p + 1)) {
                        return false;
                    }
                    p += 1;
                    break;
                } else if c == 0 {
                    return false;
                } else {
                    out.push(c);
                    p += 1;
                }
            } else {
                match c {
                    b' ' | b'\n' | b'\r' | b'\t' | 0 => break,
                    b'"' => in_dq = true,
                    b'\'' => in_sq = true,
                    _ => out.push(c),
                }
                p += 1;
            }
        }
        ranges.push((start, out.len() - start));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse_all(input: &[u8]) -> (Vec<Vec<Vec<u8>>>, Option<ProtocolError>) {
        let mut p = RequestParser::new();
        let mut pos = 0;
        let mut cmds = Vec::new();
        loop {
            match p.next(input, &mut pos, Limits::default()) {
                Parsed::Command => {
                    let mut v = Vec::new();
                    p.args(input, &mut v);
                    cmds.push(v.iter().map(|a| a.to_vec()).collect());
                }
                Parsed::Incomplete => return (cmds, None),
                Parsed::Error(e) => return (cmds, Some(e)),
            }
        }
    }

    fn words(v: &[&str]) -> Vec<Vec<u8>> {
        v.iter().map(|s| s.as_bytes().to_vec()).collect()
    }

    #[test]
    fn multibulk_and_pipelining() {
        let (cmds, err) = parse_all(b"*2\r\n$3\r\nGET\r\n$1\r\nk\r\n*1\r\n$4\r\nPING\r\n");
        assert_eq!(err, None);
        assert_eq!(cmds, vec![words(&["GET", "k"]), words(&["PING"])]);
    }

    #[test]
    fn resumes_byte_by_byte() {
        let input = b"*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$5\r\nhe\r\no\r\n";
        let mut p = RequestParser::new();
        let mut pos = 0;
        for end in 1..input.len() {
            assert_eq!(
                p.next(&input[..end], &mut pos, Limits::default()),
                Parsed::Incomplete
            );
        }
        assert_eq!(p.next(input, &mut pos, Limits::default()), Parsed::Command);
        let mut v = Vec::new();
        p.args(input, &mut v);
        assert_eq!(v, vec![&b"SET"[..], b"k", b"he\r\no"]);
        assert_eq!(pos, input.len());
    }

    #[test]
    fn inline_quoting() {
        let (cmds, _) = parse_all(b"SET \"a b\" 'c\\'d' \"\\x41\\n\"\r\n  PING  \n\r\n");
        assert_eq!(
            cmds,
            vec![
                words(&["SET", "a b", "c'd", "A\n"]),
                words(&["PING"]),
                vec![]
            ]
        );
        assert_eq!(
            parse_all(b"SET \"a\r\n").1,
            Some(ProtocolError::UnbalancedQuotes)
        );
        assert_eq!(
            parse_all(b"SET \"a\"b\r\n").1,
            Some(ProtocolError::UnbalancedQuotes)
        );
        // A quote mid-token opens a quoted section, as in sdssplitargs.
        assert_eq!(parse_all(b"a\"b c\"\n").0, vec![words(&["ab c"])]);
    }

    #[test]
    fn protocol_errors() {
        let cases: &[(&[u8], ProtocolError)] = &[
            (b"*x\r\n", ProtocolError::InvalidMultibulkLength),
            (b"*01\r\n", ProtocolError::InvalidMultibulkLength),
            (b"*2147483648\r\n", ProtocolError::InvalidMultibulkLength),
            (b"*1\r\n$-1\r\n", ProtocolError::InvalidBulkLength),
            (b"*1\r\n$536870913\r\n", ProtocolError::InvalidBulkLength),
            (b"*1\r\n*1\r\n", ProtocolError::ExpectedDollar(b'*')),
            (b"*1\r\n:1\r\n", ProtocolError::ExpectedDollar(b':')),
        ];
        for (input, want) in cases {
            assert_eq!(parse_all(input).1.as_ref(), Some(want), "{input:?}");
        }
        let long = vec![b'a'; INLINE_MAX_SIZE + 1];
        assert_eq!(parse_all(&long).1, Some(ProtocolError::TooBigInlineRequest));
        let mut long = b"*1".to_vec();
        long.extend(vec![b'1'; INLINE_MAX_SIZE]);
        assert_eq!(
            parse_all(&long).1,
            Some(ProtocolError::TooBigMbulkCountString)
        );
    }

    #[test]
    fn huge_counts_do_not_preallocate() {
        let mut p = RequestParser::new();
        let mut pos = 0;
        let input = b"*2147483647\r\n";
        assert_eq!(
            p.next(input, &mut pos, Limits::default()),
            Parsed::Incomplete
        );
        assert!(p.ranges.capacity() <= MAX_PREALLOCATED_ARGS);
    }

    #[test]
    fn empty_commands() {
        assert_eq!(
            parse_all(b"*0\r\n*-5\r\n").0,
            vec![Vec::<Vec<u8>>::new(), vec![]]
        );
    }

    #[test]
    fn string2ll() {
        assert_eq!(parse_i64(b"0"), Some(0));
        assert_eq!(parse_i64(b"-0"), None);
        assert_eq!(parse_i64(b"-9223372036854775808"), Some(i64::MIN));
        assert_eq!(parse_i64(b"9223372036854775808"), None);
        assert_eq!(parse_i64(b"+1"), None);
        assert_eq!(parse_i64(b""), None);
        assert_eq!(parse_i64(b"-"), None);
    }
}
