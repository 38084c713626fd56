//! Latency: the latency monitor (Redis's latency.c: per event, the last 160 seconds that
//! saw a spike over `latency-monitor-threshold`, and the all-time maximum) and the
//! per-command latency histograms behind LATENCY HISTOGRAM and INFO latencystats.

use std::collections::BTreeMap;

/// Samples kept per event (Redis's LATENCY_TS_LEN).
pub const HISTORY_LEN: usize = 160;

/// One second's worst latency of an event.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Sample {
    /// Unix seconds.
    pub time: u64,
    /// Milliseconds.
    pub latency: u64,
}

/// An event's history: a ring of one sample per second that saw it.
#[derive(Clone, Debug)]
pub struct Series {
    samples: Box<[Sample; HISTORY_LEN]>,
    next: usize,
    /// The highest latency ever recorded.
    pub max: u64,
}

impl Series {
    fn new() -> Series {
        Series {
            samples: Box::new([Sample::default(); HISTORY_LEN]),
            next: 0,
            max: 0,
        }
    }

    /// The samples, oldest first (empty slots skipped).
    pub fn history(&self) -> impl Iterator<Item = Sample> + '_ {
        (0..HISTORY_LEN)
            .map(move |j| self.samples[(self.next + j) % HISTORY_LEN])
            .filter(|s| s.time != 0)
    }

    /// The latest sample.
    pub fn latest(&self) -> Sample {
        self.samples[(self.next + HISTORY_LEN - 1) % HISTORY_LEN]
    }
}

/// The monitored events by name, in name order.
#[derive(Clone, Debug, Default)]
pub struct Monitor {
    pub events: BTreeMap<&'static str, Series>,
}

impl Monitor {
    /// Records `ms` for `event` at `now_ms` when a threshold is set and `ms` reaches it
    /// (Redis's latencyAddSampleIfNeeded).
    pub fn add_sample_if_needed(
        &mut self,
        threshold: i64,
        event: &'static str,
        ms: u64,
        now_ms: u64,
    ) {
        if threshold > 0 && ms >= threshold as u64 {
            self.add_sample(event, ms, now_ms / 1000);
        }
    }

    /// Records `ms` for `event` in the second `now_secs`: one sample per second, the worst.
    pub fn add_sample(&mut self, event: &'static str, ms: u64, now_secs: u64) {
        let ts = self.events.entry(event).or_insert_with(Series::new);
        ts.max = ts.max.max(ms);
        let prev = (ts.next + HISTORY_LEN - 1) % HISTORY_LEN;
        if ts.samples[prev].time == now_secs {
            ts.samples[prev].latency = ts.samples[prev].latency.max(ms);
            return;
        }
        ts.samples[ts.next] = Sample {
            time: now_secs,
            latency: ms,
        };
        ts.next = (ts.next + 1) % HISTORY_LEN;
    }

    /// Forgets `event`; returns whether it was known.
    pub fn reset(&mut self, event: &[u8]) -> bool {
        let name = self.events.keys().find(|k| k.as_bytes() == event).copied();
        name.is_some_and(|n| self.events.remove(n).is_some())
    }

    /// Forgets every event; returns how many there were.
    pub fn reset_all(&mut self) -> usize {
        let n = self.events.len();
        self.events.clear();
        n
    }
}

/// Sub-buckets per power of two: 16 gives every recorded value within 1/16 (6%).
const SUB_BITS: u32 = 4;
const SUB: usize = 1 << SUB_BITS;
/// Covers 0 .. 2^63 ns.
const BUCKETS: usize = (64 - SUB_BITS as usize + 1) * SUB;

/// A command's latency distribution in nanoseconds, log-linear like an HDR histogram:
/// recording is a count of leading zeros and one increment.
#[derive(Clone, Debug)]
pub struct Histogram {
    counts: Box<[u64; BUCKETS]>,
    /// Calls recorded.
    pub total: u64,
}

impl Default for Histogram {
    fn default() -> Self {
        Histogram {
            counts: Box::new([0; BUCKETS]),
            total: 0,
        }
    }
}

/// The bucket of `v`: values under 16 have their own, larger ones share one with every
/// value with the same top five bits.
#[inline(always)]
fn bucket(v: u64) -> usize {
    if v < SUB as u64 {
        return v as usize;
    }
    let msb = 63 - v.leading_zeros();
    let shift = msb - SUB_BITS;
    ((shift as usize + 1) << SUB_BITS) + ((v >> shift) as usize & (SUB - 1))
}

/// The highest value bucket `i` holds.
fn bucket_high(i: usize) -> u64 {
    if i < SUB {
        return i as u64;
    }
    let shift = (i >> SUB_BITS) as u32 - 1;
    let low = ((SUB + (i & (SUB - 1))) as u64) << shift;
    low + ((1u64 << shift) - 1)
}

impl Histogram {
    /// Records one call of `nanos`.
    #[inline]
    pub fn record(&mut self, nanos: u64) {
        self.counts[bucket(nanos.max(1))] += 1;
        self.total += 1;
    }

    /// The value under which `p` percent of the calls fall, in microseconds.
    pub fn percentile_us(&self, p: f64) -> f64 {
        if self.total == 0 {
            return 0.0;
        }
        let wanted = ((p / 100.0) * self.total as f64).ceil().max(1.0) as u64;
        let mut seen = 0;
        for (i, &c) in self.counts.iter().enumerate() {
            seen += c;
            if seen >= wanted {
                return bucket_high(i) as f64 / 1000.0;
            }
        }
        0.0
    }

    /// The cumulative distribution LATENCY HISTOGRAM shows: (bucket ceiling in
    /// microseconds, calls up to it) for buckets doubling from 1024 ns, those that add
    /// calls only.
    pub fn cumulative_us(&self) -> Vec<(u64, u64)> {
        let mut out = Vec::new();
        let mut limit: u64 = 1024;
        let mut seen = 0;
        let mut previous = 0;
        let mut i = 0;
        while seen < self.total {
            while i < BUCKETS && bucket_high(i) < limit {
                seen += self.counts[i];
                i += 1;
            }
            if seen > previous {
                out.push((limit / 1000, seen));
            }
            previous = seen;
            match limit.checked_mul(2) {
                Some(l) => limit = l,
                None => break,
            }
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn buckets_cover_their_values() {
        for v in [1u64, 15, 16, 17, 31, 32, 1000, 1024, 123_456, u64::MAX >> 1] {
            let b = bucket(v);
            assert!(bucket_high(b) >= v, "{v}");
            assert!(b == 0 || bucket_high(b - 1) < v, "{v}");
        }
    }

    #[test]
    fn percentiles_and_cdf() {
        let mut h = Histogram::default();
        for _ in 0..99 {
            h.record(1000);
        }
        h.record(1_000_000);
        let p50 = h.percentile_us(50.0);
        assert!((1.0..1.07).contains(&p50), "{p50}");
        assert!(h.percentile_us(100.0) >= 1000.0);
        assert_eq!(h.cumulative_us()[0], (1, 99));
        assert_eq!(h.cumulative_us().last().unwrap().1, 100);
    }

    #[test]
    fn one_sample_per_second_keeps_the_worst() {
        let mut m = Monitor::default();
        m.add_sample("command", 300, 10);
        m.add_sample("command", 500, 10);
        m.add_sample("command", 400, 11);
        let s = &m.events["command"];
        let h: Vec<Sample> = s.history().collect();
        assert_eq!(h.len(), 2);
        assert_eq!(h[0].latency, 500);
        assert_eq!(s.latest().latency, 400);
        assert_eq!(s.max, 500);
        assert!(m.reset(b"command"));
        assert_eq!(m.reset_all(), 0);
    }
}
