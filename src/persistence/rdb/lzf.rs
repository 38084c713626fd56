//! LZF, the compression Redis applies to RDB strings (liblzf 3.6 as Redis builds it:
//! HLOG 16, VERY_FAST). Written here rather than taken from the `lzf` crate because that
//! crate is deprecated and does not promise Redis's exact output; this compressor makes
//! the same choices as Redis's (same hash, same match search, same give-up points), so a
//! DUMP payload is byte-identical to redis-server's, and the decompressor checks every
//! reference, so a hostile payload is an error, never a panic.

use std::cell::RefCell;

const HLOG: u32 = 16;
const HSIZE: usize = 1 << HLOG;
const MAX_LIT: usize = 1 << 5;
const MAX_OFF: usize = 1 << 13;
const MAX_REF: usize = (1 << 8) + (1 << 3);

/// The hash table of positions, reused between calls: an entry belongs to the current call
/// only if its generation matches, so no call pays for clearing 64K slots (Redis leaves its
/// table uninitialised on the stack for the same reason).
struct Table {
    slots: Vec<u64>,
    generation: u32,
}

thread_local! {
    static TABLE: RefCell<Table> = const { RefCell::new(Table { slots: Vec::new(), generation: 0 }) };
}

impl Table {
    fn start(&mut self) {
        if self.slots.is_empty() {
            self.slots = vec![0; HSIZE];
        }
        self.generation = self.generation.wrapping_add(1);
        if self.generation == 0 {
            self.slots.iter_mut().for_each(|s| *s = 0);
            self.generation = 1;
        }
    }
    fn get(&self, slot: usize) -> Option<usize> {
        let v = self.slots[slot];
        ((v >> 32) as u32 == self.generation).then_some(v as u32 as usize)
    }
    fn set(&mut self, slot: usize, pos: usize) {
        self.slots[slot] = (u64::from(self.generation) << 32) | pos as u64;
    }
}

fn first(input: &[u8], ip: usize) -> u32 {
    (u32::from(input[ip]) << 8) | u32::from(input[ip + 1])
}

fn next(h: u32, input: &[u8], ip: usize) -> u32 {
    (h << 8) | u32::from(input[ip + 2])
}

fn idx(h: u32) -> usize {
    ((h >> (3 * 8 - HLOG)).wrapping_sub(h.wrapping_mul(5)) as usize) & (HSIZE - 1)
}

/// Compresses `input` into at most `out_len` bytes, or `None` when it does not fit (as
/// liblzf returns 0). Inputs over 4 GB are not compressed.
pub fn compress(input: &[u8], out_len: usize) -> Option<Vec<u8>> {
    if input.is_empty() || out_len == 0 || input.len() > u32::MAX as usize {
        return None;
    }
    TABLE.with(|t| compress_with(&mut t.borrow_mut(), input, out_len))
}

/// Copies one literal byte to `out[op]`; a run of MAX_LIT literals is closed (its length
/// written in the header byte before it) and room is left for the next run's header.
#[inline(always)]
fn copy_literal(out: &mut [u8], op: &mut usize, lit: &mut usize, byte: u8) {
    *lit += 1;
    out[*op] = byte;
    *op += 1;
    if *lit == MAX_LIT {
        out[*op - *lit - 1] = (*lit - 1) as u8;
        *lit = 0;
        *op += 1;
    }
}

fn compress_with(table: &mut Table, input: &[u8], out_len: usize) -> Option<Vec<u8>> {
    table.start();
    let in_end = input.len();
    let out_end = out_len;
    let mut out = vec![0u8; out_len];
    let (mut ip, mut op, mut lit) = (0usize, 1usize, 0usize);
    if in_end >= 3 {
        let mut hval = first(input, ip);
        while ip < in_end - 2 {
            hval = next(hval, input, ip);
            let slot = idx(hval);
            let found = table.get(slot);
            table.set(slot, ip);
            let matched = found.and_then(|r| {
                let off = ip.checked_sub(r + 1)?;
                (off < MAX_OFF
                    && r > 0
                    && input[r + 2] == input[ip + 2]
                    && input[r] == input[ip]
                    && input[r + 1] == input[ip + 1])
                    .then_some((r, off))
            });
            if let Some((r, off)) = matched {
                let mut len = 2usize;
                let maxlen = (in_end - ip - len).min(MAX_REF);
                if op + 3 + 1 >= out_end && op - usize::from(lit == 0) + 3 + 1 >= out_end {
                    return None;
                }
                out[op - lit - 1] = (lit as u8).wrapping_sub(1);
                op -= usize::from(lit == 0);
                // liblzf compares 16 bytes unrolled when the match may be long, without
                // the bound inside; its lengths follow from that, so this does the same.
                let mut done = false;
                if maxlen > 16 {
                    for _ in 0..16 {
                        len += 1;
                        if input[r + len] != input[ip + len] {
                            done = true;
                            break;
                        }
                    }
                }
                if !done {
                    loop {
                        len += 1;
                        if !(len < maxlen && input[r + len] == input[ip + len]) {
                            break;
                        }
                    }
                }
                len -= 2;
                ip += 1;
                if len < 7 {
                    out[op] = ((off >> 8) + (len << 5)) as u8;
                    op += 1;
                } else {
                    out[op] = ((off >> 8) + (7 << 5)) as u8;
                    out[op + 1] = (len - 7) as u8;
                    op += 2;
                }
                out[op] = off as u8;
                op += 1;
                lit = 0;
                op += 1;
                ip += len + 1;
                if ip >= in_end - 2 {
                    break;
                }
                ip -= 2;
                hval = first(input, ip);
                hval = next(hval, input, ip);
                table.set(idx(hval), ip);
                ip += 1;
                hval = next(hval, input, ip);
                table.set(idx(hval), ip);
                ip += 1;
            } else {
                if op >= out_end {
                    return None;
                }
                copy_literal(&mut out, &mut op, &mut lit, input[ip]);
                ip += 1;
            }
        }
    }
    if op + 3 > out_end {
        return None;
    }
    while ip < in_end {
        copy_literal(&mut out, &mut op, &mut lit, input[ip]);
        ip += 1;
    }
    out[op - lit - 1] = (lit as u8).wrapping_sub(1);
    op -= usize::from(lit == 0);
    out.truncate(op);
    Some(out)
}

/// The largest expansion LZF can encode: a 3-byte back reference stands for 264 bytes.
pub const MAX_RATIO: usize = 88;

/// Decompresses `input`, which must give exactly `out_len` bytes. The caller bounds
/// `out_len` (by [`MAX_RATIO`] times the input) before calling, so a hostile length
/// cannot make this allocate more than the input justifies.
pub fn decompress(input: &[u8], out_len: usize) -> Option<Vec<u8>> {
    let mut out: Vec<u8> = Vec::with_capacity(out_len);
    let mut ip = 0usize;
    while ip < input.len() {
        let ctrl = usize::from(input[ip]);
        ip += 1;
        if ctrl < 1 << 5 {
            let n = ctrl + 1;
            if out.len() + n > out_len || ip + n > input.len() {
                return None;
            }
            out.extend_from_slice(&input[ip..ip + n]);
            ip += n;
        } else {
            let mut len = ctrl >> 5;
            let back = (ctrl & 0x1f) << 8;
            if ip >= input.len() {
                return None;
            }
            if len == 7 {
                len += usize::from(input[ip]);
                ip += 1;
                if ip >= input.len() {
                    return None;
                }
            }
            let back = back + usize::from(input[ip]) + 1;
            ip += 1;
            if out.len() + len + 2 > out_len || back > out.len() {
                return None;
            }
            let start = out.len() - back;
            // Overlapping references repeat bytes just written: copy one at a time.
            for i in 0..len + 2 {
                let b = out[start + i];
                out.push(b);
            }
        }
    }
    (out.len() == out_len).then_some(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trips_and_refuses_what_does_not_fit() {
        let data: Vec<u8> = b"hello hello hello hello hello world, hello world!"
            .iter()
            .copied()
            .cycle()
            .take(5000)
            .collect();
        let c = compress(&data, data.len() - 4).unwrap();
        assert!(c.len() < 200, "{}", c.len());
        assert_eq!(decompress(&c, data.len()).unwrap(), data);
        let noise: Vec<u8> = (0..100u32)
            .map(|i| (i.wrapping_mul(2654435761) >> 13) as u8)
            .collect();
        assert!(compress(&noise, noise.len() - 4).is_none());
        // Truncated or corrupt input is refused.
        assert!(decompress(&c[..c.len() - 1], data.len()).is_none());
        assert!(decompress(&[0xe0, 0xff, 0xff], 300).is_none());
        assert!(decompress(&c, data.len() + 1).is_none());
    }

    #[test]
    fn matches_redis_output_for_a_known_input() {
        // redis-server 7.0.15: SET k <30 x 'a'>, DUMP k carries this LZF block.
        let data = [b'a'; 30];
        let c = compress(&data, 26).unwrap();
        assert_eq!(c, b"\x01aa\xe0\x11\x00\x01aa".to_vec());
    }
}
