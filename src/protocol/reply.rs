//! The typed reply writer: RESP2 or RESP3 per client, chosen with HELLO.
//!
//! Commands never write protocol bytes by hand; they call these helpers, which downgrade RESP3
//! types for RESP2 clients exactly as Redis does (maps become flat arrays, sets arrays, doubles
//! bulk strings, booleans integers, nulls `$-1` or `*-1`, verbatim strings bulk strings, pushes
//! arrays).

/// The protocol version a client speaks.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub enum Resp {
    #[default]
    Two,
    Three,
}

impl Resp {
    /// The number HELLO reports.
    pub fn number(self) -> i64 {
        match self {
            Resp::Two => 2,
            Resp::Three => 3,
        }
    }
}

/// A client's pending output, plus the bookkeeping the dispatcher needs after a command.
#[derive(Debug, Default)]
pub struct Reply {
    /// Bytes not yet written to the socket start at `sent`.
    pub buf: Vec<u8>,
    /// How much of `buf` the socket has taken.
    pub sent: usize,
    pub resp: Resp,
    /// Error codes (`ERR`, `WRONGTYPE`, ...) of the error replies written since the dispatcher
    /// last looked; they feed INFO errorstats.
    pub error_codes: Vec<String>,
}

impl Reply {
    /// Bytes written but not yet sent.
    pub fn pending(&self) -> usize {
        self.buf.len() - self.sent
    }

    fn header(&mut self, prefix: u8, n: i64) {
        self.buf.push(prefix);
        push_int(&mut self.buf, n);
        self.buf.extend_from_slice(b"\r\n");
    }

    /// `+OK`.
    pub fn ok(&mut self) {
        self.buf.extend_from_slice(b"+OK\r\n");
    }

    /// A simple string; it must not contain CR or LF.
    pub fn simple(&mut self, s: &str) {
        self.buf.push(b'+');
        self.buf.extend_from_slice(s.as_bytes());
        self.buf.extend_from_slice(b"\r\n");
    }

    /// An error reply. `msg` starts with its code (`ERR ...`, `WRONGTYPE ...`); CR and LF
    /// inside it become spaces, as Redis does, so the reply stays one line.
    pub fn error(&mut self, msg: &str) {
        self.error_bytes(msg.as_bytes());
    }

    /// [`error`](Self::error) for messages that quote client bytes verbatim.
    pub fn error_bytes(&mut self, msg: &[u8]) {
        self.buf.push(b'-');
        self.buf.extend(msg.iter().map(|&b| match b {
            b'\r' | b'\n' => b' ',
            b => b,
        }));
        self.buf.extend_from_slice(b"\r\n");
        let code_end = msg.iter().position(|&b| b == b' ').unwrap_or(msg.len());
        self.error_codes
            .push(String::from_utf8_lossy(&msg[..code_end]).into_owned());
    }

    /// `ERR <msg>`.
    pub fn err(&mut self, msg: &str) {
        self.buf.extend_from_slice(b"-ERR ");
        self.buf.extend_from_slice(msg.as_bytes());
        self.buf.extend_from_slice(b"\r\n");
        self.error_codes.push("ERR".to_string());
    }

    /// An integer.
    pub fn int(&mut self, n: i64) {
        self.header(b':', n);
    }

    /// A bulk string.
    pub fn bulk(&mut self, s: &[u8]) {
        self.header(b'$', s.len() as i64);
        self.buf.extend_from_slice(s);
        self.buf.extend_from_slice(b"\r\n");
    }

    /// An integer as a bulk string (what GET answers for an integer-encoded value).
    pub fn bulk_int(&mut self, n: i64) {
        let mut digits = Vec::with_capacity(20);
        push_int(&mut digits, n);
        self.bulk(&digits);
    }

    /// The null bulk string (`$-1`, or `_` in RESP3).
    pub fn null(&mut self) {
        match self.resp {
            Resp::Two => self.buf.extend_from_slice(b"$-1\r\n"),
            Resp::Three => self.buf.extend_from_slice(b"_\r\n"),
        }
    }

    /// The null array (`*-1`, or `_` in RESP3).
    pub fn null_array(&mut self) {
        match self.resp {
            Resp::Two => self.buf.extend_from_slice(b"*-1\r\n"),
            Resp::Three => self.buf.extend_from_slice(b"_\r\n"),
        }
    }

    /// An array header; `n` elements follow.
    pub fn array(&mut self, n: usize) {
        self.header(b'*', n as i64);
    }

    /// A map header; `n` key/value pairs follow. RESP2: a flat array of `2n`.
    pub fn map(&mut self, n: usize) {
        match self.resp {
            Resp::Two => self.header(b'*', 2 * n as i64),
            Resp::Three => self.header(b'%', n as i64),
        }
    }

    /// A set header; `n` elements follow. RESP2: an array.
    pub fn set(&mut self, n: usize) {
        match self.resp {
            Resp::Two => self.header(b'*', n as i64),
            Resp::Three => self.header(b'~', n as i64),
        }
    }

    /// A push header (pub/sub messages, invalidations). RESP2: an array.
    pub fn push(&mut self, n: usize) {
        match self.resp {
            Resp::Two => self.header(b'*', n as i64),
            Resp::Three => self.header(b'>', n as i64),
        }
    }

    /// A double. RESP2: a bulk string in Redis 7.0's `%.17g` format.
    pub fn double(&mut self, d: f64) {
        let text = format_double(d);
        match self.resp {
            Resp::Two => self.bulk(text.as_bytes()),
            Resp::Three => {
                self.buf.push(b',');
                self.buf.extend_from_slice(text.as_bytes());
                self.buf.extend_from_slice(b"\r\n");
            }
        }
    }

    /// A boolean. RESP2: the integer 1 or 0.
    pub fn bool(&mut self, b: bool) {
        match (self.resp, b) {
            (Resp::Two, b) => self.int(i64::from(b)),
            (Resp::Three, true) => self.buf.extend_from_slice(b"#t\r\n"),
            (Resp::Three, false) => self.buf.extend_from_slice(b"#f\r\n"),
        }
    }

    /// A verbatim string with a three-letter format (`txt`, `mkd`). RESP2: a bulk string.
    pub fn verbatim(&mut self, format: &str, text: &[u8]) {
        match self.resp {
            Resp::Two => self.bulk(text),
            Resp::Three => {
                self.header(b'=', (text.len() + 4) as i64);
                self.buf.extend_from_slice(format.as_bytes());
                self.buf.push(b':');
                self.buf.extend_from_slice(text);
                self.buf.extend_from_slice(b"\r\n");
            }
        }
    }

    /// A big number given as decimal digits. RESP2: a bulk string.
    pub fn big_number(&mut self, digits: &str) {
        match self.resp {
            Resp::Two => self.bulk(digits.as_bytes()),
            Resp::Three => {
                self.buf.push(b'(');
                self.buf.extend_from_slice(digits.as_bytes());
                self.buf.extend_from_slice(b"\r\n");
            }
        }
    }

    /// A string as a bulk (convenience for `&str`).
    pub fn bulk_str(&mut self, s: &str) {
        self.bulk(s.as_bytes());
    }

    /// Starts an array whose length is known only after its elements are written; finish
    /// with [`end_deferred_array`](Self::end_deferred_array).
    pub fn begin_deferred(&mut self) -> usize {
        self.buf.len()
    }

    /// Inserts the header of a deferred aggregate begun at `at`: an array of `n`, or for
    /// [`DeferredKind::Map`] a map of `n` pairs.
    pub fn end_deferred(&mut self, at: usize, kind: DeferredKind, n: usize) {
        let mut header = Vec::with_capacity(16);
        let (prefix, count) = match (kind, self.resp) {
            (DeferredKind::Array, _) => (b'*', n),
            (DeferredKind::Map, Resp::Two) => (b'*', 2 * n),
            (DeferredKind::Map, Resp::Three) => (b'%', n),
            (DeferredKind::Set, Resp::Two) => (b'*', n),
            (DeferredKind::Set, Resp::Three) => (b'~', n),
        };
        header.push(prefix);
        push_int(&mut header, count as i64);
        header.extend_from_slice(b"\r\n");
        self.buf.splice(at..at, header);
    }
}

/// The aggregate type of a deferred header.
#[derive(Clone, Copy, Debug)]
pub enum DeferredKind {
    Array,
    Map,
    Set,
}

/// Appends the decimal digits of `n`.
pub fn push_int(buf: &mut Vec<u8>, n: i64) {
    let mut tmp = [0u8; 20];
    let mut i = tmp.len();
    let mut v = n.unsigned_abs();
    loop {
        i -= 1;
        tmp[i] = b'0' + (v % 10) as u8;
        v /= 10;
        if v == 0 {
            break;
        }
    }
    if n < 0 {
        buf.push(b'-');
    }
    buf.extend_from_slice(&tmp[i..]);
}

/// Formats a double as Redis 7.0 replies it: `inf`, `-inf`, `nan`, else C's `%.17g`.
pub fn format_double(d: f64) -> String {
    if d.is_infinite() {
        return if d > 0.0 { "inf".into() } else { "-inf".into() };
    }
    if d.is_nan() {
        return "nan".into();
    }
    format_g(d, 17)
}

/// C's `%.<precision>g`.
pub fn format_g(d: f64, precision: usize) -> String {
    if d == 0.0 {
        return if d.is_sign_negative() {
            "-0".into()
        } else {
            "0".into()
        };
    }
    let p = precision.max(1);
    // Scientific form with p significant digits tells the exponent after rounding.
    let sci = format!("{:.*e}", p - 1, d);
    let (mantissa, exp) = sci.split_once('e').expect("{:e} always has an exponent");
    let exp: i32 = exp.parse().expect("{:e} exponent is an integer");
    if exp < -4 || exp >= p as i32 {
        let mantissa = trim_fraction_zeros(mantissa);
        let sign = if exp < 0 { '-' } else { '+' };
        format!("{mantissa}e{sign}{:02}", exp.unsigned_abs())
    } else {
        let decimals = (p as i32 - 1 - exp).max(0) as usize;
        trim_fraction_zeros(&format!("{:.*}", decimals, d)).to_string()
    }
}

fn trim_fraction_zeros(s: &str) -> &str {
    if s.contains('.') {
        s.trim_end_matches('0').trim_end_matches('.')
    } else {
        s
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn resp2_downgrades() {
        let mut r = Reply::default();
        r.map(2);
        r.set(1);
        r.null();
        r.null_array();
        r.bool(true);
        r.double(1.5);
        r.verbatim("txt", b"hi");
        assert_eq!(
            r.buf,
            b"*4\r\n*1\r\n$-1\r\n*-1\r\n:1\r\n$3\r\n1.5\r\n$2\r\nhi\r\n"
        );
    }

    #[test]
    fn resp3_types() {
        let mut r = Reply {
            resp: Resp::Three,
            ..Reply::default()
        };
        r.map(2);
        r.set(1);
        r.null();
        r.bool(false);
        r.double(f64::INFINITY);
        r.verbatim("txt", b"hi");
        r.push(3);
        assert_eq!(
            r.buf,
            b"%2\r\n~1\r\n_\r\n#f\r\n,inf\r\n=6\r\ntxt:hi\r\n>3\r\n"
        );
    }

    #[test]
    fn errors_stay_on_one_line_and_are_counted() {
        let mut r = Reply::default();
        r.error("ERR bad\r\nthing");
        r.error("WRONGTYPE x");
        assert_eq!(r.buf, b"-ERR bad  thing\r\n-WRONGTYPE x\r\n");
        assert_eq!(r.error_codes, vec!["ERR", "WRONGTYPE"]);
    }

    #[test]
    fn deferred_headers() {
        let mut r = Reply::default();
        let at = r.begin_deferred();
        r.int(1);
        r.int(2);
        r.end_deferred(at, DeferredKind::Array, 2);
        assert_eq!(r.buf, b"*2\r\n:1\r\n:2\r\n");
    }

    #[test]
    fn percent_g() {
        assert_eq!(format_g(1.1, 17), "1.1000000000000001");
        assert_eq!(format_g(1.5, 17), "1.5");
        assert_eq!(format_g(100.0, 17), "100");
        assert_eq!(format_g(1e20, 17), "1e+20");
        assert_eq!(format_g(1.25e-5, 17), "1.2500000000000001e-05");
        assert_eq!(format_g(0.0001, 17), "0.0001");
        assert_eq!(format_g(-3.0, 17), "-3");
        assert_eq!(format_g(123456789012345678.0, 17), "1.2345678901234568e+17");
    }

    #[test]
    fn integers() {
        for n in [0, 7, -7, i64::MAX, i64::MIN, 1000] {
            let mut v = Vec::new();
            push_int(&mut v, n);
            assert_eq!(v, n.to_string().as_bytes());
        }
    }
}
