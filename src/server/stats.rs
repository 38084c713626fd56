//! Counters behind INFO stats, commandstats and errorstats, and the slow log.

use std::collections::{BTreeMap, VecDeque};

/// Per-command counters (INFO commandstats).
#[derive(Clone, Debug, Default)]
pub struct CommandStat {
    pub calls: u64,
    pub usec: u64,
    pub rejected_calls: u64,
    pub failed_calls: u64,
    /// The calls' latency distribution (latency-tracking; LATENCY HISTOGRAM, INFO
    /// latencystats), made on the first call measured.
    pub histogram: Option<super::latency::Histogram>,
}

impl CommandStat {
    /// Feeds one call's duration to the latency histogram (latency-tracking), making it on
    /// the first call measured.
    #[inline]
    pub fn record_latency(&mut self, nanos: u64) {
        self.histogram
            .get_or_insert_with(Default::default)
            .record(nanos);
    }
}

/// How many samples the instantaneous metrics average over (Redis: 16, one per 100 ms).
const SAMPLES: usize = 16;

/// A metric sampled from cron, averaged like Redis's `instantaneous_*`.
#[derive(Clone, Debug, Default)]
pub struct Instantaneous {
    last_value: u64,
    last_ms: u64,
    samples: [f64; SAMPLES],
    next: usize,
}

impl Instantaneous {
    /// Records the counter's current `value` at `now_ms`.
    pub fn sample(&mut self, value: u64, now_ms: u64) {
        let dt = now_ms.saturating_sub(self.last_ms);
        if self.last_ms != 0 && dt > 0 {
            let per_sec = (value.saturating_sub(self.last_value)) as f64 * 1000.0 / dt as f64;
            self.samples[self.next] = per_sec;
            self.next = (self.next + 1) % SAMPLES;
        }
        self.last_value = value;
        self.last_ms = now_ms;
    }

    /// The average rate per second.
    pub fn per_second(&self) -> f64 {
        self.samples.iter().sum::<f64>() / SAMPLES as f64
    }
}

/// Server-wide counters.
#[derive(Clone, Debug, Default)]
pub struct Stats {
    pub total_connections: u64,
    pub rejected_connections: u64,
    pub total_commands: u64,
    pub net_input_bytes: u64,
    pub net_output_bytes: u64,
    pub total_error_replies: u64,
    pub errorstats: BTreeMap<String, u64>,
    /// By command id (`Command::id`): indexing, not a lookup by name, on every call.
    pub commandstats: Vec<CommandStat>,
    pub ops: Instantaneous,
    pub input_kbps: Instantaneous,
    pub output_kbps: Instantaneous,
    /// Clients refused or closed because the query buffer passed its limit.
    pub client_qbuf_limit_disconnections: u64,
    /// Clients closed for passing their output buffer limit.
    pub client_obuf_limit_disconnections: u64,
    /// Clients closed by client eviction (maxmemory-clients).
    pub evicted_clients: u64,
    /// Reply buffers the cron shrank / grew (reply_buffer_shrinks / _expands).
    pub reply_buffer_shrinks: u64,
    pub reply_buffer_expands: u64,
    /// Microseconds spent over maxmemory in finished spells (total_eviction_exceeded_time).
    pub eviction_exceeded_us: u64,
    /// When the current spell over maxmemory began, if one is under way.
    pub eviction_exceeded_since: Option<std::time::Instant>,
}

impl Stats {
    /// Notes whether the last eviction run left the server over maxmemory, timing the
    /// spells over it (INFO total_eviction_exceeded_time / current_eviction_exceeded_time).
    pub fn track_eviction_exceeded(&mut self, over: bool) {
        match (over, self.eviction_exceeded_since) {
            (true, None) => self.eviction_exceeded_since = Some(std::time::Instant::now()),
            (false, Some(since)) => {
                self.eviction_exceeded_us += since.elapsed().as_micros() as u64;
                self.eviction_exceeded_since = None;
            }
            _ => {}
        }
    }

    /// Milliseconds of the current spell over maxmemory (0 when under it).
    pub fn current_eviction_exceeded_ms(&self) -> u64 {
        self.eviction_exceeded_since
            .map_or(0, |s| s.elapsed().as_millis() as u64)
    }

    /// The counters of the command with `id`.
    #[inline]
    pub fn command(&mut self, id: usize) -> &mut CommandStat {
        if id >= self.commandstats.len() {
            self.commandstats.resize(id + 1, CommandStat::default());
        }
        &mut self.commandstats[id]
    }

    /// Counts error replies by code.
    pub fn count_errors(&mut self, codes: &mut Vec<String>) {
        for code in codes.drain(..) {
            self.total_error_replies += 1;
            *self.errorstats.entry(code).or_default() += 1;
        }
    }

    /// CONFIG RESETSTAT.
    pub fn reset(&mut self) {
        *self = Stats::default();
    }
}

/// One slow log entry.
#[derive(Clone, Debug)]
pub struct SlowEntry {
    pub id: u64,
    pub unix_secs: i64,
    pub micros: u64,
    pub args: Vec<Vec<u8>>,
    pub addr: String,
    pub name: Vec<u8>,
}

/// The slow log: newest first, bounded by slowlog-max-len.
#[derive(Clone, Debug, Default)]
pub struct SlowLog {
    pub entries: VecDeque<SlowEntry>,
    pub next_id: u64,
}

/// Redis keeps at most this many arguments of a slow command...
const SLOWLOG_MAX_ARGC: usize = 32;
/// ...each cut to this many bytes.
const SLOWLOG_MAX_ARG_LEN: usize = 128;

impl SlowLog {
    /// Records a command that took `micros`, trimming its arguments as Redis does.
    pub fn push(
        &mut self,
        args: &[&[u8]],
        micros: u64,
        unix_secs: i64,
        who: (String, Vec<u8>),
        max_len: usize,
    ) {
        let mut kept: Vec<Vec<u8>> = Vec::new();
        let shown = args.len().min(SLOWLOG_MAX_ARGC);
        for (i, a) in args.iter().take(shown).enumerate() {
            if i == SLOWLOG_MAX_ARGC - 1 && args.len() > SLOWLOG_MAX_ARGC {
                kept.push(
                    format!("... ({} more arguments)", args.len() - SLOWLOG_MAX_ARGC + 1)
                        .into_bytes(),
                );
                break;
            }
            if a.len() > SLOWLOG_MAX_ARG_LEN {
                let mut v = a[..SLOWLOG_MAX_ARG_LEN].to_vec();
                v.extend_from_slice(
                    format!("... ({} more bytes)", a.len() - SLOWLOG_MAX_ARG_LEN).as_bytes(),
                );
                kept.push(v);
            } else {
                kept.push(a.to_vec());
            }
        }
        self.entries.push_front(SlowEntry {
            id: self.next_id,
            unix_secs,
            micros,
            args: kept,
            addr: who.0,
            name: who.1,
        });
        self.next_id += 1;
        self.entries.truncate(max_len);
    }
}
