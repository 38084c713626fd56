//! Counting with HyperLogLogs: the register histogram of a sparse or dense HLL (or of
//! plain byte registers, the union PFCOUNT builds over several keys), merging registers,
//! and Redis's estimator (Otmar Ertl's improved one, arXiv:1702.01284), computed in Redis's
//! order of operations so the estimate is the same to the last unit.

use super::hll::{encoding, Corrupt, Encoding, Op, HEADER, Q, REGISTERS};

/// Histogram of register values for the estimator (64 slots: a corrupt dense register
/// can hold up to 63).
pub type Histogram = [u32; 64];

/// The histogram of a valid HLL's registers; Err for sparse data that does not cover
/// exactly every register.
pub fn histogram(s: &[u8]) -> Result<Histogram, Corrupt> {
    let mut h = [0u32; 64];
    match encoding(s) {
        Encoding::Dense => {
            // Four registers in every three bytes.
            for c in s[HEADER..].chunks_exact(3) {
                let (a, b, d) = (c[0], c[1], c[2]);
                h[usize::from(a & 63)] += 1;
                h[usize::from((a >> 6 | b << 2) & 63)] += 1;
                h[usize::from((b >> 4 | d << 4) & 63)] += 1;
                h[usize::from(d >> 2)] += 1;
            }
        }
        Encoding::Sparse => {
            let (mut p, mut idx) = (HEADER, 0usize);
            while p < s.len() {
                let op = Op::at(s, p);
                let slot = match op {
                    Op::Zero { .. } => 0,
                    Op::Val { value, .. } => usize::from(value),
                };
                h[slot] = h[slot].wrapping_add(op.run() as u32);
                idx += op.run();
                p += op.bytes();
            }
            if idx != REGISTERS {
                return Err(Corrupt);
            }
        }
    }
    Ok(h)
}

/// The histogram of plain byte registers (the union PFCOUNT builds over several keys).
pub fn raw_histogram(regs: &[u8; REGISTERS]) -> Histogram {
    let mut h = [0u32; 64];
    for &r in regs {
        h[usize::from(r & 63)] += 1;
    }
    h
}

/// Raises each of `max`'s registers to the HLL `s`'s where that is higher (PFMERGE, PFCOUNT
/// of several keys). Err for a sparse HLL that does not cover every register.
pub fn merge_into(max: &mut [u8; REGISTERS], s: &[u8]) -> Result<(), Corrupt> {
    match encoding(s) {
        Encoding::Dense => {
            // Four registers in every three bytes.
            for (c, m) in s[HEADER..].chunks_exact(3).zip(max.chunks_exact_mut(4)) {
                let (a, b, d) = (c[0], c[1], c[2]);
                let regs = [
                    a & 63,
                    (a >> 6 | b << 2) & 63,
                    (b >> 4 | d << 4) & 63,
                    d >> 2,
                ];
                for (m, r) in m.iter_mut().zip(regs) {
                    *m = (*m).max(r);
                }
            }
        }
        Encoding::Sparse => {
            let (mut p, mut idx) = (HEADER, 0usize);
            while p < s.len() {
                let op = Op::at(s, p);
                if let Op::Val { value, run } = op {
                    if idx + run > REGISTERS {
                        break;
                    }
                    for m in &mut max[idx..idx + run] {
                        if value > *m {
                            *m = value;
                        }
                    }
                }
                idx += op.run();
                p += op.bytes();
            }
            if idx != REGISTERS {
                return Err(Corrupt);
            }
        }
    }
    Ok(())
}

/// Ertl's sigma, as Redis computes it (the loop runs until the sum stops changing).
fn sigma(mut x: f64) -> f64 {
    if x == 1.0 {
        return f64::INFINITY;
    }
    let mut y = 1.0;
    let mut z = x;
    loop {
        x *= x;
        let before = z;
        z += x * y;
        y += y;
        if before == z {
            return z;
        }
    }
}

/// Ertl's tau, as Redis computes it.
fn tau(mut x: f64) -> f64 {
    if x == 0.0 || x == 1.0 {
        return 0.0;
    }
    let mut y = 1.0;
    let mut z = 1.0 - x;
    loop {
        x = x.sqrt();
        let before = z;
        y *= 0.5;
        let d = 1.0 - x;
        z -= d * d * y;
        if before == z {
            return z / 3.0;
        }
    }
}

/// The cardinality estimate from a register histogram: Ertl's improved estimator, with
/// Redis's operation order so the result is the same to the last unit.
pub fn estimate(h: &Histogram) -> u64 {
    const ALPHA_INF: f64 = 0.721_347_520_444_481_7;
    let m = REGISTERS as f64;
    let mut z = m * tau((m - f64::from(h[Q as usize + 1])) / m);
    for j in (1..=Q as usize).rev() {
        z += f64::from(h[j]);
        z *= 0.5;
    }
    z += m * sigma(f64::from(h[0]) / m);
    (ALPHA_INF * m * m / z).round() as u64
}
