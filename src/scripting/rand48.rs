//! Redis's `redisLrand48`: the 48-bit linear congruential generator (drand48's) behind
//! scripts' `math.random`, so a seeded script draws the same numbers on every machine.

/// The generator's state.
#[derive(Clone, Copy, Debug)]
pub struct Rand48 {
    x: u64,
}

const MULTIPLIER: u64 = 0x5_DEEC_E66D;
const INCREMENT: u64 = 0xB;
const MASK: u64 = (1 << 48) - 1;
/// The low 16 bits every seed gets (drand48's).
const SEED_LOW: u64 = 0x330E;

impl Default for Rand48 {
    /// The state before any seed: 0x1234_ABCD_330E.
    fn default() -> Self {
        Rand48 {
            x: 0x1234_ABCD_330E,
        }
    }
}

/// The largest value `next` returns, plus one (REDIS_LRAND48_MAX is INT32_MAX).
pub const RAND48_MAX: i32 = i32::MAX;

impl Rand48 {
    /// `redisSrand48(seed)`.
    pub fn seed(&mut self, seed: i32) {
        self.x = ((seed as u32 as u64) << 16 | SEED_LOW) & MASK;
    }

    /// `redisLrand48()`: the next 31-bit value.
    pub fn next_value(&mut self) -> i32 {
        self.x = (self.x.wrapping_mul(MULTIPLIER).wrapping_add(INCREMENT)) & MASK;
        (self.x >> 17) as i32
    }

    /// math.random's draw in [0, 1): `(redisLrand48() % REDIS_LRAND48_MAX) / REDIS_LRAND48_MAX`.
    pub fn unit(&mut self) -> f64 {
        (self.next_value() % RAND48_MAX) as f64 / RAND48_MAX as f64
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn matches_lrand48() {
        // glibc's lrand48 after srand48(0) (the same generator).
        let mut r = Rand48::default();
        r.seed(0);
        assert_eq!(
            [r.next_value(), r.next_value(), r.next_value()],
            [366850414, 1610402240, 206956554]
        );
    }
}
