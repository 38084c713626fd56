//! The older compact encodings an RDB file can hold: ziplists (lists, hashes and sorted
//! sets before Redis 7.0, quicklist nodes before RDB 10), zipmaps (hashes before 2.6) and
//! intsets (integer sets, still written by 7.0; built here too). Each parser checks every
//! length against the blob, so a corrupt file is refused, never trusted.

use super::listpack::Elem;

/// Parses a ziplist: `zlbytes zltail zllen entry* 0xFF`, each entry
/// `prevlen encoding data`.
pub fn ziplist(zl: &[u8]) -> Option<Vec<Elem<'_>>> {
    if zl.len() < 11 {
        return None;
    }
    let total = u32::from_le_bytes(zl[..4].try_into().ok()?) as usize;
    let tail = u32::from_le_bytes(zl[4..8].try_into().ok()?) as usize;
    let count = u16::from_le_bytes([zl[8], zl[9]]);
    if total != zl.len() || zl[total - 1] != 0xFF {
        return None;
    }
    let end = total - 1;
    let mut p = 10;
    let mut prev_size = 0usize;
    let mut last_start = 10;
    let mut out = Vec::new();
    let take = |p: usize, n: usize| -> Option<&[u8]> { zl.get(p..p.checked_add(n)?) };
    while p < end {
        let start = p;
        let (prevlen, plen) = if zl[p] < 254 {
            (usize::from(zl[p]), 1)
        } else if zl[p] == 254 {
            (
                u32::from_le_bytes(take(p + 1, 4)?.try_into().ok()?) as usize,
                5,
            )
        } else {
            return None;
        };
        if prevlen != prev_size {
            return None;
        }
        p += plen;
        let b = *zl.get(p)?;
        let (elem, size) = match b >> 6 {
            0 => {
                let n = usize::from(b & 0x3F);
                (Elem::Str(take(p + 1, n)?), 1 + n)
            }
            1 => {
                let n = (usize::from(b & 0x3F) << 8) | usize::from(*zl.get(p + 1)?);
                (Elem::Str(take(p + 2, n)?), 2 + n)
            }
            2 => {
                if b != 0x80 {
                    return None;
                }
                let n = u32::from_be_bytes(take(p + 1, 4)?.try_into().ok()?) as usize;
                (Elem::Str(take(p + 5, n)?), 5 + n)
            }
            _ => match b {
                0xC0 => {
                    let v = i16::from_le_bytes(take(p + 1, 2)?.try_into().ok()?);
                    (Elem::Int(i64::from(v)), 3)
                }
                0xD0 => {
                    let v = i32::from_le_bytes(take(p + 1, 4)?.try_into().ok()?);
                    (Elem::Int(i64::from(v)), 5)
                }
                0xE0 => {
                    let v = i64::from_le_bytes(take(p + 1, 8)?.try_into().ok()?);
                    (Elem::Int(v), 9)
                }
                0xF0 => {
                    let t = take(p + 1, 3)?;
                    let v = i32::from_le_bytes([0, t[0], t[1], t[2]]) >> 8;
                    (Elem::Int(i64::from(v)), 4)
                }
                0xFE => (Elem::Int(i64::from(*zl.get(p + 1)? as i8)), 2),
                0xF1..=0xFD => (Elem::Int(i64::from(b & 0x0F) - 1), 1),
                _ => return None,
            },
        };
        p = p.checked_add(size)?;
        if p > end {
            return None;
        }
        prev_size = p - start;
        last_start = start;
        out.push(elem);
    }
    if p != end || (count != u16::MAX && usize::from(count) != out.len()) {
        return None;
    }
    if !out.is_empty() && tail != last_start {
        return None;
    }
    Some(out)
}

/// Parses an intset: `encoding(u32: 2, 4 or 8) length(u32) values`, little-endian, sorted
/// and distinct.
pub fn intset(is: &[u8]) -> Option<Vec<i64>> {
    if is.len() < 8 {
        return None;
    }
    let width = u32::from_le_bytes(is[..4].try_into().ok()?) as usize;
    let len = u32::from_le_bytes(is[4..8].try_into().ok()?) as usize;
    if !matches!(width, 2 | 4 | 8) || len.checked_mul(width)? != is.len() - 8 || len == 0 {
        return None;
    }
    let values: Vec<i64> = is[8..]
        .chunks_exact(width)
        .map(|c| match width {
            2 => i64::from(i16::from_le_bytes([c[0], c[1]])),
            4 => i64::from(i32::from_le_bytes([c[0], c[1], c[2], c[3]])),
            _ => i64::from_le_bytes(c.try_into().expect("8 bytes")),
        })
        .collect();
    values.windows(2).all(|w| w[0] < w[1]).then_some(values)
}

/// Builds an intset of sorted, distinct values in the narrowest width that holds them.
pub fn build_intset(values: &[i64]) -> Vec<u8> {
    let width: usize = if values.iter().all(|v| i16::try_from(*v).is_ok()) {
        2
    } else if values.iter().all(|v| i32::try_from(*v).is_ok()) {
        4
    } else {
        8
    };
    let mut out = Vec::with_capacity(8 + width * values.len());
    out.extend_from_slice(&(width as u32).to_le_bytes());
    out.extend_from_slice(&(values.len() as u32).to_le_bytes());
    for v in values {
        out.extend_from_slice(&v.to_le_bytes()[..width]);
    }
    out
}

/// Parses a zipmap (hashes in RDB files before Redis 2.6): `zmlen (len key len free value
/// free-bytes)* 0xFF`.
pub fn zipmap(zm: &[u8]) -> Option<Vec<(&[u8], &[u8])>> {
    let mut p = 1;
    let mut out = Vec::new();
    let len_at = |p: &mut usize| -> Option<usize> {
        let b = *zm.get(*p)?;
        if b < 254 {
            *p += 1;
            Some(usize::from(b))
        } else if b == 254 {
            let n = u32::from_le_bytes(zm.get(*p + 1..*p + 5)?.try_into().ok()?) as usize;
            *p += 5;
            Some(n)
        } else {
            None
        }
    };
    loop {
        if *zm.get(p)? == 0xFF {
            p += 1;
            break;
        }
        let klen = len_at(&mut p)?;
        let key = zm.get(p..p.checked_add(klen)?)?;
        p += klen;
        let vlen = len_at(&mut p)?;
        let free = usize::from(*zm.get(p)?);
        p += 1;
        let value = zm.get(p..p.checked_add(vlen)?)?;
        p += vlen + free;
        out.push((key, value));
    }
    (p == zm.len()).then_some(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ziplist_of_every_encoding() {
        // Made by redis 6.2 (RPUSH l a 1 300 70000 5000000000 -2 "hello"), a ziplist node.
        let mut zl = vec![0u8; 10];
        let mut entries: Vec<Vec<u8>> = vec![
            vec![0x01, b'a'],
            vec![0xF2],
            vec![0xC0, 0x2C, 0x01],
            vec![0xF0, 0x70, 0x11, 0x01],
        ];
        let mut e = vec![0xE0];
        e.extend_from_slice(&5_000_000_000i64.to_le_bytes());
        entries.push(e);
        entries.push(vec![0xFE, 0xFE]);
        let mut prev = 0usize;
        let mut last = 0;
        for e in &entries {
            last = zl.len();
            zl.push(prev as u8);
            zl.extend_from_slice(e);
            prev = e.len() + 1;
        }
        zl.push(0xFF);
        let total = zl.len() as u32;
        zl[..4].copy_from_slice(&total.to_le_bytes());
        zl[4..8].copy_from_slice(&(last as u32).to_le_bytes());
        zl[8..10].copy_from_slice(&(entries.len() as u16).to_le_bytes());
        let got = ziplist(&zl).unwrap();
        assert_eq!(
            got,
            vec![
                Elem::Str(b"a"),
                Elem::Int(1),
                Elem::Int(300),
                Elem::Int(70000),
                Elem::Int(5_000_000_000),
                Elem::Int(-2)
            ]
        );
        for n in 0..zl.len() {
            assert!(ziplist(&zl[..n]).is_none());
        }
    }

    #[test]
    fn intsets_round_trip() {
        for vals in [vec![1, 2, 3], vec![-70000, 5], vec![i64::MIN, 0, i64::MAX]] {
            assert_eq!(intset(&build_intset(&vals)).unwrap(), vals);
        }
        assert!(intset(&build_intset(&[3, 2])).is_none());
    }
}
