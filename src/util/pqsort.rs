//! The partial quicksort Redis uses for `SORT ... BY pattern LIMIT`: Bentley and McIlroy's
//! "Engineering a Sort Function" (three-way partitioning, ninther pivot, insertion sort for
//! small or already-ordered runs) that only descends into the parts overlapping the wanted
//! range. With equal weights (ALPHA with missing or equal BY values) the order of equal
//! elements is whatever this algorithm leaves, so redust runs the same algorithm to give
//! the same answer, not just a correct one. Expected O(N + M log M) for M wanted elements.

use std::cmp::Ordering;

/// Reorders `v` so that positions `lo..=hi` hold exactly what the algorithm puts there
/// (those of a full sort, ties aside); elements outside the range are partitioned only.
pub fn partial_sort<T>(
    v: &mut [T],
    lo: usize,
    hi: usize,
    cmp: &mut impl FnMut(&T, &T) -> Ordering,
) {
    sort_range(v, 0, lo, hi, cmp);
}

/// Whether the block of `len` elements starting at absolute index `start` meets `lo..=hi`.
fn overlaps(start: usize, len: usize, lo: usize, hi: usize) -> bool {
    !(hi < start || lo >= start + len)
}

/// `v` starts at absolute index `base`. Loops on one side and recurses into the other,
/// always the smaller, so the stack stays O(log N) even on adversarial input (the sides
/// are disjoint, so the order they are done in changes nothing).
fn sort_range<T>(
    mut v: &mut [T],
    mut base: usize,
    lo: usize,
    hi: usize,
    cmp: &mut impl FnMut(&T, &T) -> Ordering,
) {
    loop {
        let n = v.len();
        if n < 7 {
            insertion_sort(v, cmp);
            return;
        }
        let mut m = n / 2;
        if n > 7 {
            let (mut l, mut r) = (0, n - 1);
            if n > 40 {
                let d = n / 8;
                l = median_of_three(v, l, l + d, l + 2 * d, cmp);
                m = median_of_three(v, m - d, m, m + d, cmp);
                r = median_of_three(v, r - 2 * d, r - d, r, cmp);
            }
            m = median_of_three(v, l, m, r, cmp);
        }
        v.swap(0, m);
        // Invariant: [1, pa) equal to the pivot, [pa, pb) less, (pc, pd] greater,
        // (pd, n) equal.
        let (mut pa, mut pb, mut pc, mut pd) = (1, 1, n - 1, n - 1);
        let mut moved = false;
        loop {
            while pb <= pc {
                match cmp(&v[pb], &v[0]) {
                    Ordering::Greater => break,
                    Ordering::Equal => {
                        moved = true;
                        v.swap(pa, pb);
                        pa += 1;
                    }
                    Ordering::Less => {}
                }
                pb += 1;
            }
            while pb <= pc {
                match cmp(&v[pc], &v[0]) {
                    Ordering::Less => break,
                    Ordering::Equal => {
                        moved = true;
                        v.swap(pc, pd);
                        pd -= 1;
                    }
                    Ordering::Greater => {}
                }
                pc -= 1;
            }
            if pb > pc {
                break;
            }
            v.swap(pb, pc);
            moved = true;
            pb += 1;
            pc -= 1;
        }
        if !moved {
            // Nothing was out of place around the pivot: likely nearly sorted.
            insertion_sort(v, cmp);
            return;
        }
        // Bring the runs equal to the pivot from both ends to the middle.
        let r = pa.min(pb - pa);
        swap_blocks(v, 0, pb - r, r);
        let r = (pd - pc).min(n - pd - 1);
        swap_blocks(v, pb, n - r, r);
        let (less, greater) = (pb - pa, pd - pc);
        let go_less = less > 1 && overlaps(base, less, lo, hi);
        let go_greater = greater > 1 && overlaps(base + n - greater, greater, lo, hi);
        let whole = std::mem::take(&mut v);
        let (left, rest) = whole.split_at_mut(less);
        let skip = rest.len() - greater;
        let right = &mut rest[skip..];
        let right_base = base + n - greater;
        match (go_less, go_greater) {
            (false, false) => return,
            (true, false) => v = left,
            (false, true) => (v, base) = (right, right_base),
            (true, true) if less <= greater => {
                sort_range(left, base, lo, hi, cmp);
                (v, base) = (right, right_base);
            }
            (true, true) => {
                sort_range(right, right_base, lo, hi, cmp);
                v = left;
            }
        }
    }
}

fn insertion_sort<T>(v: &mut [T], cmp: &mut impl FnMut(&T, &T) -> Ordering) {
    for m in 1..v.len() {
        let mut l = m;
        while l > 0 && cmp(&v[l - 1], &v[l]) == Ordering::Greater {
            v.swap(l, l - 1);
            l -= 1;
        }
    }
}

fn median_of_three<T>(
    v: &[T],
    a: usize,
    b: usize,
    c: usize,
    cmp: &mut impl FnMut(&T, &T) -> Ordering,
) -> usize {
    use Ordering::{Greater, Less};
    if cmp(&v[a], &v[b]) == Less {
        if cmp(&v[b], &v[c]) == Less {
            b
        } else if cmp(&v[a], &v[c]) == Less {
            c
        } else {
            a
        }
    } else if cmp(&v[b], &v[c]) == Greater {
        b
    } else if cmp(&v[a], &v[c]) == Less {
        a
    } else {
        c
    }
}

/// Swaps the `n` elements at `i` with the `n` at `j` (the blocks do not overlap).
fn swap_blocks<T>(v: &mut [T], i: usize, j: usize, n: usize) {
    for k in 0..n {
        v.swap(i + k, j + k);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// splitmix64.
    fn rng(seed: &mut u64) -> u64 {
        *seed = seed.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = *seed;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }

    #[test]
    fn the_range_matches_a_full_sort() {
        let mut seed = 7;
        for round in 0..400 {
            let n = (rng(&mut seed) % 300) as usize + 1;
            let spread = [2, 10, 1000][round % 3];
            let mut v: Vec<u64> = (0..n).map(|_| rng(&mut seed) % spread).collect();
            let mut sorted = v.clone();
            sorted.sort_unstable();
            let lo = (rng(&mut seed) % n as u64) as usize;
            let hi = lo + (rng(&mut seed) % (n - lo) as u64) as usize;
            partial_sort(&mut v, lo, hi, &mut |a, b| a.cmp(b));
            assert_eq!(v[lo..=hi], sorted[lo..=hi], "n={n} lo={lo} hi={hi}");
            v.sort_unstable();
            assert_eq!(v, sorted, "a permutation");
        }
    }

    #[test]
    fn sorted_and_reversed_inputs() {
        let mut v: Vec<u32> = (0..5000).rev().collect();
        partial_sort(&mut v, 10, 19, &mut |a, b| a.cmp(b));
        assert_eq!(v[10..20], (10..20).collect::<Vec<_>>()[..]);
        let mut v: Vec<u32> = (0..5000).collect();
        partial_sort(&mut v, 0, 4999, &mut |a, b| a.cmp(b));
        assert!(v.windows(2).all(|w| w[0] <= w[1]));
    }
}
