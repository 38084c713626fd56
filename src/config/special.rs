//! The parameters with a grammar of their own: save rules, client output buffer limits,
//! OOM score adjustments, keyspace event classes, bind addresses, replicaof, latency
//! percentiles. Each reads its words and shows its value exactly as Redis's special
//! setters and getters in config.c do.

use std::fmt::Write as _;

use super::value::{memtoull, single, strtoll, Kind, Setting};
use crate::util::strtod::strtod;

/// `save` rules: after `seconds`, save if at least `changes` writes happened.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct SaveRules(pub Vec<(u64, u64)>);

impl Setting for SaveRules {
    fn parse(args: &[String], _: &Kind) -> Result<Self, String> {
        // `save ""` turns saving off.
        let args = match args {
            [one] if one.is_empty() => &[][..],
            _ => args,
        };
        if !args.len().is_multiple_of(2) {
            return Err("Invalid save parameters".into());
        }
        let mut rules = Vec::new();
        for pair in args.chunks(2) {
            let seconds = strtoll(&pair[0], 10).filter(|&v| v >= 1);
            let changes = strtoll(&pair[1], 10).filter(|&v| v >= 0);
            match (seconds, changes) {
                // Redis keeps the count in an int.
                (Some(s), Some(c)) => rules.push((s as u64, u64::from(c as i32 as u32))),
                _ => return Err("Invalid save parameters".into()),
            }
        }
        Ok(SaveRules(rules))
    }
    fn show(&self, _: &Kind) -> String {
        let mut out = String::new();
        for (seconds, changes) in &self.0 {
            if !out.is_empty() {
                out.push(' ');
            }
            let _ = write!(out, "{seconds} {}", *changes as u32 as i32);
        }
        out
    }
}

/// One client class's output buffer limits.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct ObufLimit {
    /// Bytes past which the client is closed at once (0: none).
    pub hard: u64,
    /// Bytes past which the client is closed if it stays over for `soft_seconds`.
    pub soft: u64,
    /// See `soft`.
    pub soft_seconds: i64,
}

/// `client-output-buffer-limit` for the normal, replica and pubsub classes, in that order.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ObufLimits(pub [ObufLimit; 3]);

/// The classes as CONFIG GET names them (`slave`) and as CONFIG REWRITE writes them.
pub const OBUF_CLASSES: [(&str, &str); 3] = [
    ("normal", "normal"),
    ("slave", "replica"),
    ("pubsub", "pubsub"),
];

impl Default for ObufLimits {
    fn default() -> Self {
        ObufLimits([
            ObufLimit::default(),
            ObufLimit {
                hard: 256 << 20,
                soft: 64 << 20,
                soft_seconds: 60,
            },
            ObufLimit {
                hard: 32 << 20,
                soft: 8 << 20,
                soft_seconds: 60,
            },
        ])
    }
}

impl Setting for ObufLimits {
    fn parse(args: &[String], kind: &Kind) -> Result<Self, String> {
        ObufLimits::default().update(args, kind)
    }
    /// A directive changes only the classes it names, and all of them or none.
    fn update(&self, args: &[String], _: &Kind) -> Result<Self, String> {
        if !args.len().is_multiple_of(4) {
            return Err("Wrong number of arguments in buffer limit configuration.".into());
        }
        let mut out = *self;
        for group in args.chunks(4) {
            let class = match group[0].to_ascii_lowercase().as_str() {
                "normal" => 0,
                "slave" | "replica" => 1,
                "pubsub" => 2,
                _ => {
                    return Err(
                        "Invalid client class specified in buffer limit configuration.".into(),
                    )
                }
            };
            let hard = memtoull(&group[1]);
            let soft = memtoull(&group[2]);
            // Redis keeps the seconds in an int.
            let seconds = strtoll(&group[3], 10).map(|s| s as i32).filter(|s| *s >= 0);
            let (Some(hard), Some(soft), Some(seconds)) = (hard, soft, seconds) else {
                return Err("Error in hard, soft or soft_seconds setting in \
                            buffer limit configuration."
                    .into());
            };
            out.0[class] = ObufLimit {
                hard,
                soft,
                soft_seconds: i64::from(seconds),
            };
        }
        Ok(out)
    }
    fn show(&self, _: &Kind) -> String {
        let mut out = String::new();
        for (limit, (name, _)) in self.0.iter().zip(OBUF_CLASSES) {
            if !out.is_empty() {
                out.push(' ');
            }
            let _ = write!(
                out,
                "{name} {} {} {}",
                limit.hard, limit.soft, limit.soft_seconds
            );
        }
        out
    }
}

/// `oom-score-adj-values`: for the master, replicas and background children.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct OomScoreAdjValues(pub [i64; 3]);

impl Default for OomScoreAdjValues {
    fn default() -> Self {
        OomScoreAdjValues([0, 200, 800])
    }
}

impl Setting for OomScoreAdjValues {
    fn parse(args: &[String], _: &Kind) -> Result<Self, String> {
        if args.len() != 3 {
            return Err("wrong number of arguments".into());
        }
        let mut values = [0; 3];
        for (slot, word) in values.iter_mut().zip(args) {
            *slot = strtoll(word, 10)
                .filter(|v| (-2000..=2000).contains(v))
                .ok_or("Invalid oom-score-adj-values, elements must be between -2000 and 2000.")?;
        }
        Ok(OomScoreAdjValues(values))
    }
    fn show(&self, _: &Kind) -> String {
        let words: Vec<String> = self.0.iter().map(i64::to_string).collect();
        words.join(" ")
    }
}

/// Keyspace notification classes (Redis's NOTIFY_* bits).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct KeyspaceEvents(pub u32);

/// Each class letter and its bit, in the order Redis prints them after `A`.
const EVENT_LETTERS: [(u8, u32); 11] = [
    (b'g', 1 << 2),
    (b'$', 1 << 3),
    (b'l', 1 << 4),
    (b's', 1 << 5),
    (b'h', 1 << 6),
    (b'z', 1 << 7),
    (b'x', 1 << 8),
    (b'e', 1 << 9),
    (b't', 1 << 10),
    (b'd', 1 << 13),
    (b'n', 1 << 14),
];
const NOTIFY_KEYSPACE: u32 = 1 << 0;
const NOTIFY_KEYEVENT: u32 = 1 << 1;
const NOTIFY_KEY_MISS: u32 = 1 << 11;
/// `A`: every class but key misses and new keys.
const NOTIFY_ALL: u32 = (1 << 2)
    | (1 << 3)
    | (1 << 4)
    | (1 << 5)
    | (1 << 6)
    | (1 << 7)
    | (1 << 8)
    | (1 << 9)
    | (1 << 10)
    | (1 << 13);

impl KeyspaceEvents {
    /// Whether no class is selected (no notification is ever published).
    pub fn is_empty(self) -> bool {
        self.0 == 0
    }

    /// Whether `letter` (`K`, `E`, `m` or a class letter such as `$` or `n`) is selected.
    pub fn has(self, letter: u8) -> bool {
        let bit = match letter {
            b'K' => NOTIFY_KEYSPACE,
            b'E' => NOTIFY_KEYEVENT,
            b'm' => NOTIFY_KEY_MISS,
            c => EVENT_LETTERS
                .iter()
                .find(|(l, _)| *l == c)
                .map_or(0, |&(_, bit)| bit),
        };
        self.0 & bit != 0
    }
}

impl Setting for KeyspaceEvents {
    fn parse(args: &[String], _: &Kind) -> Result<Self, String> {
        let mut flags = 0;
        // A C string: the letters end at a NUL byte.
        for c in single(args)?.bytes().take_while(|&c| c != 0) {
            flags |= match c {
                b'A' => NOTIFY_ALL,
                b'K' => NOTIFY_KEYSPACE,
                b'E' => NOTIFY_KEYEVENT,
                b'm' => NOTIFY_KEY_MISS,
                c => EVENT_LETTERS
                    .iter()
                    .find(|(l, _)| *l == c)
                    .map(|&(_, bit)| bit)
                    .ok_or("Invalid event class character. Use 'Ag$lshzxeKEtmdn'.")?,
            };
        }
        Ok(KeyspaceEvents(flags))
    }
    fn show(&self, _: &Kind) -> String {
        let flags = self.0;
        let mut out = String::new();
        if flags & NOTIFY_ALL == NOTIFY_ALL {
            // As in Redis, `n` is not printed next to `A` (though it stays set).
            out.push('A');
        } else {
            out.extend(
                EVENT_LETTERS
                    .iter()
                    .filter(|(_, bit)| flags & bit != 0)
                    .map(|&(l, _)| l as char),
            );
        }
        for (bit, letter) in [
            (NOTIFY_KEYSPACE, 'K'),
            (NOTIFY_KEYEVENT, 'E'),
            (NOTIFY_KEY_MISS, 'm'),
        ] {
            if flags & bit != 0 {
                out.push(letter);
            }
        }
        out
    }
}

/// `bind`: the addresses to listen on (none: every address).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct BindAddrs(pub Vec<String>);

impl Setting for BindAddrs {
    fn parse(args: &[String], _: &Kind) -> Result<Self, String> {
        if args.len() > 16 {
            return Err("Too many bind addresses specified.".into());
        }
        Ok(BindAddrs(match args {
            [one] if one.is_empty() => Vec::new(),
            _ => args.to_vec(),
        }))
    }
    fn show(&self, _: &Kind) -> String {
        self.0.join(" ")
    }
}

/// `replicaof <host> <port>`; `None` for `replicaof no one`.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ReplicaOf(pub Option<(String, u16)>);

impl Setting for ReplicaOf {
    fn parse(args: &[String], _: &Kind) -> Result<Self, String> {
        let [host, port] = args else {
            return Err("wrong number of arguments".into());
        };
        if host.eq_ignore_ascii_case("no") && port.eq_ignore_ascii_case("one") {
            return Ok(ReplicaOf(None));
        }
        let port = strtoll(port, 10)
            .and_then(|p| u16::try_from(p).ok())
            .ok_or("Invalid master port")?;
        Ok(ReplicaOf(Some((host.clone(), port))))
    }
    fn show(&self, _: &Kind) -> String {
        match &self.0 {
            Some((host, port)) => format!("{host} {port}"),
            None => String::new(),
        }
    }
}

/// `latency-tracking-info-percentiles`: the percentiles INFO latencystats reports.
#[derive(Clone, Debug, PartialEq)]
pub struct Percentiles(pub Vec<f64>);

impl Default for Percentiles {
    fn default() -> Self {
        Percentiles(vec![50.0, 99.0, 99.9])
    }
}

impl Setting for Percentiles {
    fn parse(args: &[String], _: &Kind) -> Result<Self, String> {
        let args = match args {
            [one] if one.is_empty() => &[][..],
            _ => args,
        };
        let mut out = Vec::with_capacity(args.len());
        for word in args {
            let p = string2d(word).ok_or("Invalid latency-tracking-info-percentiles parameters")?;
            if !(0.0..=100.0).contains(&p) {
                return Err(
                    "latency-tracking-info-percentiles parameters should sit between [0.0,100.0]"
                        .into(),
                );
            }
            out.push(p);
        }
        Ok(Percentiles(out))
    }
    fn show(&self, _: &Kind) -> String {
        let words: Vec<String> = self.0.iter().map(|p| trim_double(*p)).collect();
        words.join(" ")
    }
}

/// Redis's string2d: the whole string is one strtod number, not NaN, no leading blank, no
/// overflow.
fn string2d(s: &str) -> Option<f64> {
    let b = s.as_bytes();
    if b.is_empty() || b[0].is_ascii_whitespace() || b.contains(&0) {
        return None;
    }
    let r = strtod(b);
    let overflowed = r.erange && (r.value.is_infinite() || r.value == 0.0);
    (r.end == b.len() && !overflowed && !r.value.is_nan()).then_some(r.value)
}

/// `%f` with trailing zeros (and a trailing dot) trimmed, as Redis prints percentiles.
pub fn trim_double(v: f64) -> String {
    let mut s = format!("{v:.6}");
    if s.contains('.') {
        let kept = s.trim_end_matches('0').trim_end_matches('.').len();
        s.truncate(kept);
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::value::Special;

    fn words(s: &[&str]) -> Vec<String> {
        s.iter().map(|w| w.to_string()).collect()
    }

    #[test]
    fn keyspace_events_as_redis_prints_them() {
        let show = |s: &str| {
            KeyspaceEvents::parse(&words(&[s]), &Kind::Bool)
                .unwrap()
                .show(&Kind::Bool)
        };
        assert_eq!(show("KEA"), "AKE");
        assert_eq!(show("Ex"), "xE");
        assert_eq!(show("Anm"), "Am");
        assert_eq!(show("ng$"), "g$n");
        assert!(KeyspaceEvents::parse(&words(&["Zq"]), &Kind::Bool).is_err());
        // `n` is kept beside `A` though not shown.
        let an = KeyspaceEvents::parse(&words(&["AnK"]), &Kind::Bool).unwrap();
        assert!(an.has(b'n') && an.has(b'$') && an.has(b'K') && !an.has(b'E'));
        assert!(!an.has(b'm') && KeyspaceEvents(0).is_empty());
    }

    #[test]
    fn special_grammars() {
        let k = Kind::Special(Special::Save);
        assert_eq!(
            SaveRules::parse(&words(&["900", "1", "300", "10"]), &k).unwrap(),
            SaveRules(vec![(900, 1), (300, 10)])
        );
        assert_eq!(SaveRules::parse(&words(&[""]), &k).unwrap().0, vec![]);
        assert!(SaveRules::parse(&words(&["0", "1"]), &k).is_err());
        assert!(SaveRules::parse(&words(&["60"]), &k).is_err());
        let k = Kind::Special(Special::ClientOutputBufferLimit);
        let limits = ObufLimits::default()
            .update(&words(&["pubsub", "1mb", "2kb", "3"]), &k)
            .unwrap();
        assert_eq!(
            limits.show(&k),
            "normal 0 0 0 slave 268435456 67108864 60 pubsub 1048576 2048 3"
        );
        assert!(ObufLimits::parse(&words(&["master", "0", "0", "0"]), &k).is_err());
        let k = Kind::Special(Special::LatencyPercentiles);
        let p = Percentiles::parse(&words(&["50", "99.9", "1e2"]), &k).unwrap();
        assert_eq!(p.show(&k), "50 99.9 100");
        assert!(Percentiles::parse(&words(&["101"]), &k).is_err());
        assert!(Percentiles::parse(&words(&["nan"]), &k).is_err());
    }
}
