//! Listpacks, Redis 7.0's compact encoding (listpack.c): what RDB stores for small hashes,
//! sorted sets, quicklist nodes and stream nodes. Built here as Redis builds them (strings
//! that read as integers stored as integers), and parsed with every length, back-length,
//! count and the terminator checked, so a hostile payload is refused, never trusted.

/// One element: listpacks store integers and strings.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Elem<'a> {
    Int(i64),
    Str(&'a [u8]),
}

impl Elem<'_> {
    /// The element as bytes (integers in decimal, as Redis reads them back).
    pub fn to_vec(self) -> Vec<u8> {
        match self {
            Elem::Int(n) => n.to_string().into_bytes(),
            Elem::Str(s) => s.to_vec(),
        }
    }

    /// The element as an integer, if it is one or a string that reads as one.
    pub fn as_int(self) -> Option<i64> {
        match self {
            Elem::Int(n) => Some(n),
            Elem::Str(s) => crate::protocol::parse::parse_i64(s),
        }
    }
}

const HEADER: usize = 6;
const EOF: u8 = 0xFF;
/// The header's count when the listpack holds 65535 elements or more.
const COUNT_UNKNOWN: u16 = u16::MAX;

/// Builds a listpack element by element.
#[derive(Debug)]
pub struct Writer {
    buf: Vec<u8>,
    count: usize,
}

impl Default for Writer {
    fn default() -> Self {
        Writer::new()
    }
}

fn backlen(buf: &mut Vec<u8>, l: usize) {
    let l = l as u64;
    let bytes: &[u64] = if l <= 127 {
        &[0]
    } else if l < 16383 {
        &[7, 0]
    } else if l < 2_097_151 {
        &[14, 7, 0]
    } else if l < 268_435_455 {
        &[21, 14, 7, 0]
    } else {
        &[28, 21, 14, 7, 0]
    };
    for (i, shift) in bytes.iter().enumerate() {
        let b = ((l >> shift) & 127) as u8;
        buf.push(if i == 0 { b } else { b | 128 });
    }
}

impl Writer {
    /// An empty listpack.
    pub fn new() -> Writer {
        Writer {
            buf: vec![0; HEADER],
            count: 0,
        }
    }

    /// The size the listpack would have if finished now.
    pub fn bytes(&self) -> usize {
        self.buf.len() + 1
    }

    /// Number of elements.
    pub fn len(&self) -> usize {
        self.count
    }

    /// Whether nothing was pushed.
    pub fn is_empty(&self) -> bool {
        self.count == 0
    }

    /// Appends an integer in the smallest encoding that holds it.
    pub fn push_int(&mut self, v: i64) {
        let start = self.buf.len();
        let b = &mut self.buf;
        if (0..=127).contains(&v) {
            b.push(v as u8);
        } else if (-4096..=4095).contains(&v) {
            let u = if v < 0 { (1 << 13) + v } else { v } as u64;
            b.extend_from_slice(&[((u >> 8) as u8) | 0xC0, u as u8]);
        } else if (-32768..=32767).contains(&v) {
            b.push(0xF1);
            b.extend_from_slice(&(v as i16).to_le_bytes());
        } else if (-8_388_608..=8_388_607).contains(&v) {
            b.push(0xF2);
            b.extend_from_slice(&(v as i32).to_le_bytes()[..3]);
        } else if i64::from(i32::MIN) <= v && v <= i64::from(i32::MAX) {
            b.push(0xF3);
            b.extend_from_slice(&(v as i32).to_le_bytes());
        } else {
            b.push(0xF4);
            b.extend_from_slice(&v.to_le_bytes());
        }
        let l = self.buf.len() - start;
        backlen(&mut self.buf, l);
        self.count += 1;
    }

    /// Appends a string, stored as an integer when it reads as one (as lpAppend does).
    pub fn push(&mut self, s: &[u8]) {
        if s.len() <= 20 {
            if let Some(v) = crate::protocol::parse::parse_i64(s) {
                return self.push_int(v);
            }
        }
        let start = self.buf.len();
        let len = s.len();
        if len < 64 {
            self.buf.push(0x80 | len as u8);
        } else if len < 4096 {
            self.buf
                .extend_from_slice(&[0xE0 | (len >> 8) as u8, len as u8]);
        } else {
            self.buf.push(0xF0);
            self.buf.extend_from_slice(&(len as u32).to_le_bytes());
        }
        self.buf.extend_from_slice(s);
        let l = self.buf.len() - start;
        backlen(&mut self.buf, l);
        self.count += 1;
    }

    /// The finished listpack: header (total bytes, count) and terminator.
    pub fn finish(mut self) -> Vec<u8> {
        self.buf.push(EOF);
        let total = self.buf.len() as u32;
        self.buf[..4].copy_from_slice(&total.to_le_bytes());
        let count = if self.count < usize::from(COUNT_UNKNOWN) {
            self.count as u16
        } else {
            COUNT_UNKNOWN
        };
        self.buf[4..6].copy_from_slice(&count.to_le_bytes());
        self.buf
    }
}

/// Parses and validates a whole listpack.
pub fn parse(lp: &[u8]) -> Option<Vec<Elem<'_>>> {
    if lp.len() < HEADER + 1 {
        return None;
    }
    let total = u32::from_le_bytes(lp[..4].try_into().ok()?) as usize;
    let count = u16::from_le_bytes([lp[4], lp[5]]);
    if total != lp.len() || lp[total - 1] != EOF {
        return None;
    }
    let mut out = Vec::new();
    let mut p = HEADER;
    let end = total - 1;
    while p < end {
        let start = p;
        let b = lp[p];
        let take = |p: usize, n: usize| -> Option<&[u8]> { lp.get(p..p.checked_add(n)?) };
        let (elem, size) = if b & 0x80 == 0 {
            (Elem::Int(i64::from(b)), 1)
        } else if b & 0xC0 == 0x80 {
            let n = usize::from(b & 0x3F);
            (Elem::Str(take(p + 1, n)?), 1 + n)
        } else if b & 0xE0 == 0xC0 {
            let u = (u64::from(b & 0x1F) << 8) | u64::from(*lp.get(p + 1)?);
            let v = if u >= 1 << 12 {
                u as i64 - (1 << 13)
            } else {
                u as i64
            };
            (Elem::Int(v), 2)
        } else if b & 0xF0 == 0xE0 {
            let n = (usize::from(b & 0x0F) << 8) | usize::from(*lp.get(p + 1)?);
            (Elem::Str(take(p + 2, n)?), 2 + n)
        } else {
            match b {
                0xF0 => {
                    let n = u32::from_le_bytes(take(p + 1, 4)?.try_into().ok()?) as usize;
                    (Elem::Str(take(p + 5, n)?), 5 + n)
                }
                0xF1 => {
                    let v = i16::from_le_bytes(take(p + 1, 2)?.try_into().ok()?);
                    (Elem::Int(i64::from(v)), 3)
                }
                0xF2 => {
                    let t = take(p + 1, 3)?;
                    let v = i32::from_le_bytes([0, t[0], t[1], t[2]]) >> 8;
                    (Elem::Int(i64::from(v)), 4)
                }
                0xF3 => {
                    let v = i32::from_le_bytes(take(p + 1, 4)?.try_into().ok()?);
                    (Elem::Int(i64::from(v)), 5)
                }
                0xF4 => {
                    let v = i64::from_le_bytes(take(p + 1, 8)?.try_into().ok()?);
                    (Elem::Int(v), 9)
                }
                _ => return None,
            }
        };
        p = start.checked_add(size)?;
        let mut expect = Vec::with_capacity(5);
        backlen(&mut expect, size);
        if take(p, expect.len())? != expect.as_slice() {
            return None;
        }
        p += expect.len();
        out.push(elem);
    }
    if p != end || (count != COUNT_UNKNOWN && usize::from(count) != out.len()) {
        return None;
    }
    Some(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_encoding_round_trips() {
        let mut w = Writer::new();
        let ints = [
            0,
            127,
            128,
            -1,
            -4096,
            4095,
            4096,
            -32768,
            32767,
            40000,
            -8_388_608,
            8_388_607,
            1 << 30,
            -(1 << 31),
            i64::MAX,
            i64::MIN,
        ];
        for v in ints {
            w.push_int(v);
        }
        let long = vec![b'x'; 5000];
        for s in [&b""[..], b"abc", &[b'y'; 100], &long, b"007", b"-0"] {
            w.push(s);
        }
        w.push(b"12");
        let lp = w.finish();
        let got = parse(&lp).unwrap();
        for (i, v) in ints.iter().enumerate() {
            assert_eq!(got[i], Elem::Int(*v));
        }
        assert_eq!(got[ints.len() + 3], Elem::Str(&long));
        assert_eq!(got.last(), Some(&Elem::Int(12)));
        for n in 0..lp.len() {
            assert!(parse(&lp[..n]).is_none());
        }
    }
}
