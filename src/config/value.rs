//! How each kind of parameter reads its words, validates them and shows its value, with
//! Redis 7.0's error texts (config.c's `*ConfigSet` functions and special setters).

use std::fmt::Write as _;

use crate::protocol::parse::parse_i64;
use crate::util::strtod::strtod;

/// How a numeric parameter's text is read and shown (Redis's INTEGER / MEMORY / PERCENT /
/// OCTAL config flags).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Form {
    /// A plain integer (`string2ll`).
    Integer,
    /// Bytes with an optional unit: `1kb`, `5mb`, `1g`.
    Memory,
    /// Bytes, or a percentage (`50%`, stored negated as Redis stores it).
    MemoryOrPercent,
    /// Octal digits (`unixsocketperm 700`).
    Octal,
}

/// A numeric parameter's range, compared as the C type behind it compares: an unsigned
/// type sees `-1` as its largest value.
#[derive(Clone, Copy, Debug)]
pub enum Bounds {
    /// A signed type's range.
    Signed(i64, i64),
    /// An unsigned type's range.
    Unsigned(u64, u64),
}

/// Whether an empty string parameter is "not set" (Redis's EMPTY_STRING_IS_NULL: CONFIG
/// REWRITE then drops its line) or an ordinary value.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Empty {
    /// `""` means unset.
    IsNull,
    /// `""` is a value like any other.
    Allowed,
}

/// Parameters with a grammar of their own.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Special {
    /// `dir`: the server changes into it; CONFIG GET shows the working directory.
    Dir,
    /// `save <seconds> <changes> ...`.
    Save,
    /// `client-output-buffer-limit <class> <hard> <soft> <seconds> ...`.
    ClientOutputBufferLimit,
    /// `oom-score-adj-values <master> <replica> <bgchild>`.
    OomScoreAdjValues,
    /// `notify-keyspace-events` class letters.
    NotifyKeyspaceEvents,
    /// `bind <address> ...`.
    Bind,
    /// `replicaof <host> <port>` or `replicaof no one`.
    ReplicaOf,
    /// `latency-tracking-info-percentiles <p> ...`.
    LatencyPercentiles,
}

/// An enumeration: each name with its value (two names may share one, as `yes` and
/// `relative` do for oom-score-adj; the first is the one shown).
pub type Choices = &'static [(&'static str, u32)];

/// How a parameter's value is validated and shown.
#[derive(Debug)]
pub enum Kind {
    /// `yes` or `no`.
    Bool,
    /// An integer in a range.
    Num {
        /// How it is written.
        form: Form,
        /// Accepted values.
        bounds: Bounds,
    },
    /// One name among several.
    Enum(Choices),
    /// Several names among several, their values or-ed (shutdown-on-sigint).
    Flags(Choices),
    /// Free text.
    Str(Empty),
    /// A grammar of its own.
    Special(Special),
}

impl Kind {
    /// Whether the parameter takes several words (Redis's MULTI_ARG_CONFIG): in a config
    /// file one quoted word is split again, and CONFIG SET splits its value on spaces.
    pub fn multi_arg(&self) -> bool {
        match self {
            Kind::Flags(_) => true,
            Kind::Special(s) => !matches!(s, Special::Dir | Special::NotifyKeyspaceEvents),
            _ => false,
        }
    }
}

/// How a Rust type reads and shows a configuration value of its kinds.
pub trait Setting: Sized {
    /// Validates the words after the parameter's name.
    fn parse(args: &[String], kind: &Kind) -> Result<Self, String>;
    /// The value as CONFIG GET shows it.
    fn show(&self, kind: &Kind) -> String;
    /// The value after a directive: most replace it, some merge into it.
    fn update(&self, args: &[String], kind: &Kind) -> Result<Self, String> {
        Self::parse(args, kind)
    }
}

/// The one word a single-word parameter has (the loaders check the count first).
fn single(args: &[String]) -> Result<&str, String> {
    match args {
        [a] => Ok(a),
        _ => Err("wrong number of arguments".into()),
    }
}

impl Setting for bool {
    fn parse(args: &[String], _: &Kind) -> Result<Self, String> {
        let word = single(args)?;
        if word.eq_ignore_ascii_case("yes") {
            Ok(true)
        } else if word.eq_ignore_ascii_case("no") {
            Ok(false)
        } else {
            Err("argument must be 'yes' or 'no'".into())
        }
    }
    fn show(&self, _: &Kind) -> String {
        if *self { "yes" } else { "no" }.into()
    }
}

impl Setting for i64 {
    fn parse(args: &[String], kind: &Kind) -> Result<Self, String> {
        let Kind::Num { form, bounds } = *kind else {
            unreachable!("i64 parameters are numeric");
        };
        let value = parse_number(single(args)?, form)?;
        check_bounds(value, form, bounds)?;
        Ok(value)
    }
    fn show(&self, kind: &Kind) -> String {
        let Kind::Num { form, .. } = *kind else {
            unreachable!("i64 parameters are numeric");
        };
        match form {
            Form::MemoryOrPercent if *self < 0 => format!("{}%", self.unsigned_abs()),
            Form::Memory | Form::MemoryOrPercent => (*self as u64).to_string(),
            Form::Octal => format!("{:o}", *self),
            Form::Integer => self.to_string(),
        }
    }
}

/// Redis's numericParseString: the forms a parameter allows, tried in order.
fn parse_number(s: &str, form: Form) -> Result<i64, String> {
    if matches!(form, Form::Memory | Form::MemoryOrPercent) {
        if let Some(v) = memtoull(s) {
            // Stored in a long long, as Redis does: the largest values wrap negative.
            return Ok(v as i64);
        }
    }
    if form == Form::MemoryOrPercent && s.len() > 1 && s.ends_with('%') {
        if let Some(v) = parse_i64(&s.as_bytes()[..s.len() - 1]).filter(|v| *v >= 0) {
            return Ok(-v);
        }
    }
    match form {
        Form::Octal => strtoll(s, 8)
            .ok_or_else(|| "argument couldn't be parsed as an octal number".to_string()),
        Form::Integer => parse_i64(s.as_bytes())
            .ok_or_else(|| "argument couldn't be parsed into an integer".to_string()),
        Form::Memory => Err("argument must be a memory value".into()),
        Form::MemoryOrPercent => Err("argument must be a memory or percent value".into()),
    }
}

/// Redis's numericBoundaryCheck, with its messages.
fn check_bounds(v: i64, form: Form, bounds: Bounds) -> Result<(), String> {
    match bounds {
        Bounds::Unsigned(min, max) => {
            let u = v as u64;
            if u < min || u > max {
                return Err(if form == Form::Octal {
                    format!("argument must be between {min:o} and {max:o} inclusive")
                } else {
                    format!("argument must be between {min} and {max} inclusive")
                });
            }
        }
        Bounds::Signed(min, max) => {
            if form == Form::MemoryOrPercent && v < 0 {
                if v < min {
                    return Err(format!(
                        "percentage argument must be less or equal to {}",
                        min.unsigned_abs()
                    ));
                }
            } else if v < min || v > max {
                return Err(format!(
                    "argument must be between {min} and {max} inclusive"
                ));
            }
        }
    }
    Ok(())
}

/// Redis's memtoull: digits and an optional unit (b, k, kb, m, mb, g, gb; any case). As in
/// C, no digits read as 0, an overflow saturates and the unit multiplies with wrap-around.
pub fn memtoull(s: &str) -> Option<u64> {
    if s.starts_with('-') {
        return None;
    }
    let digits = s.bytes().take_while(u8::is_ascii_digit).count();
    let mul: u64 = match s[digits..].to_ascii_lowercase().as_str() {
        "" | "b" => 1,
        "k" => 1000,
        "kb" => 1024,
        "m" => 1000 * 1000,
        "mb" => 1024 * 1024,
        "g" => 1000 * 1000 * 1000,
        "gb" => 1024 * 1024 * 1024,
        _ => return None,
    };
    // Redis copies the digits into a 128-byte buffer first.
    if digits >= 128 {
        return None;
    }
    let value = if digits == 0 {
        0
    } else {
        s[..digits].parse::<u64>().unwrap_or(u64::MAX)
    };
    Some(value.wrapping_mul(mul))
}

/// C's `strtoll(s, &end, base)` followed by Redis's `*end == '\0'` check: leading blanks
/// and a sign are allowed, an empty string is 0 (nothing was read, and the end is the
/// end). Octal (base 8) also fails on overflow, as Redis checks errno there; base 10
/// saturates, as Redis does not check.
pub fn strtoll(s: &str, base: u32) -> Option<i64> {
    let b = s.as_bytes();
    let mut i = b
        .iter()
        .position(|c| !matches!(c, b' ' | b'\t' | b'\n' | 0x0b | 0x0c | b'\r'))
        .unwrap_or(b.len());
    let neg = match b.get(i) {
        Some(b'-') => {
            i += 1;
            true
        }
        Some(b'+') => {
            i += 1;
            false
        }
        _ => false,
    };
    let start = i;
    let mut value: i128 = 0;
    let mut overflow = false;
    while let Some(d) = b.get(i).and_then(|&c| (c as char).to_digit(base)) {
        value = value * i128::from(base) + i128::from(d);
        if value > i128::from(u64::MAX) {
            value = i128::from(u64::MAX);
            overflow = true;
        }
        i += 1;
    }
    if i == start {
        // Nothing converted: C leaves the end at the very start of the string.
        return s.is_empty().then_some(0);
    }
    if i != b.len() {
        return None;
    }
    let signed = if neg { -value } else { value };
    let clamped = signed.clamp(i128::from(i64::MIN), i128::from(i64::MAX));
    if (overflow || clamped != signed) && base != 10 {
        return None;
    }
    Some(clamped as i64)
}

/// The enumeration error Redis builds, cut to its 256-byte buffer.
fn enum_error(choices: Choices) -> String {
    let names: Vec<&str> = choices.iter().map(|(n, _)| *n).collect();
    let mut msg = format!(
        "argument(s) must be one of the following: {}",
        names.join(", ")
    );
    msg.truncate(255);
    msg
}

/// Redis's configEnumGetName: the first name whose value is exactly `value`, else (for
/// flags) the names covering its bits, else `unknown`.
fn enum_name(choices: Choices, value: u32, flags: bool) -> String {
    let mut names: Vec<&str> = Vec::new();
    let mut unmatched = value;
    for &(name, v) in choices {
        if v == value {
            return name.to_string();
        }
        if flags && v != 0 && v == unmatched & v {
            names.push(name);
            unmatched &= !v;
        }
    }
    if names.is_empty() || unmatched != 0 {
        return "unknown".into();
    }
    names.join(" ")
}

/// The value of one enumeration word, any case.
fn enum_value(choices: Choices, word: &str) -> Option<u32> {
    choices
        .iter()
        .find(|(n, _)| n.eq_ignore_ascii_case(word))
        .map(|&(_, v)| v)
}

impl Setting for String {
    fn parse(args: &[String], kind: &Kind) -> Result<Self, String> {
        match kind {
            Kind::Enum(choices) => match args {
                [word] => enum_value(choices, word)
                    .map(|v| enum_name(choices, v, false))
                    .ok_or_else(|| enum_error(choices)),
                _ => Err(enum_error(choices)),
            },
            Kind::Flags(choices) => {
                let mut value = 0;
                for word in args {
                    value |= enum_value(choices, word).ok_or_else(|| enum_error(choices))?;
                }
                if args.is_empty() {
                    return Err(enum_error(choices));
                }
                Ok(enum_name(choices, value, true))
            }
            Kind::Str(_) => Ok(single(args)?.to_string()),
            Kind::Special(Special::Dir) => change_dir(single(args)?),
            _ => unreachable!("String parameters are enums, flags, strings or dir"),
        }
    }
    fn show(&self, kind: &Kind) -> String {
        match kind {
            // Redis reports the directory it is in, whatever was asked.
            Kind::Special(Special::Dir) => std::env::current_dir()
                .map(|d| d.display().to_string())
                .unwrap_or_default(),
            _ => self.clone(),
        }
    }
}

/// `dir`: changes the working directory, as Redis does the moment it reads the directive
/// (later relative paths are then relative to it); keeps the absolute path.
fn change_dir(path: &str) -> Result<String, String> {
    std::env::set_current_dir(path).map_err(|e| os_error_text(&e))?;
    Ok(std::env::current_dir()
        .map(|d| d.display().to_string())
        .unwrap_or_else(|_| path.to_string()))
}

/// An OS error as C's strerror words it ("No such file or directory"), as Redis prints it.
pub fn os_error_text(e: &std::io::Error) -> String {
    match e.raw_os_error() {
        // SAFETY: strerror returns a pointer to a NUL-terminated message that stays valid
        // until the next strerror call; it is copied at once on this one thread.
        Some(code) => unsafe { std::ffi::CStr::from_ptr(libc::strerror(code)) }
            .to_string_lossy()
            .into_owned(),
        None => e.to_string(),
    }
}

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

/// A parameter's extra validation (Redis's `is_valid_fn`), given the value as shown.
pub type Check = fn(&str) -> Result<(), &'static str>;

/// `activedefrag`: Redis built without its own jemalloc (as Debian's 7.0.15, the
/// reference) refuses it, and redust has nothing to defragment.
pub fn check_defrag(v: &str) -> Result<(), &'static str> {
    if v == "yes" {
        return Err(
            "Active defragmentation cannot be enabled: it requires a Redis server \
                    compiled with a modified Jemalloc like the one shipped by default with the \
                    Redis source distribution",
        );
    }
    Ok(())
}

/// `dbfilename`: a name, not a path.
pub fn check_dbfilename(v: &str) -> Result<(), &'static str> {
    if v.contains(['/', '\\']) {
        return Err("dbfilename can't be a path, just a filename");
    }
    Ok(())
}

/// `appendfilename`: a non-empty name, not a path.
pub fn check_appendfilename(v: &str) -> Result<(), &'static str> {
    if v.is_empty() {
        return Err("appendfilename can't be empty");
    }
    if v.contains(['/', '\\']) {
        return Err("appendfilename can't be a path, just a filename");
    }
    Ok(())
}

/// `appenddirname`: a non-empty name, not a path.
pub fn check_appenddirname(v: &str) -> Result<(), &'static str> {
    if v.is_empty() {
        return Err("appenddirname can't be empty");
    }
    if v.contains(['/', '\\']) {
        return Err("appenddirname can't be a path, just a dirname");
    }
    Ok(())
}

/// `shutdown-on-sigint` / `-sigterm`: SAVE and NOSAVE contradict each other.
pub fn check_shutdown_flags(v: &str) -> Result<(), &'static str> {
    let words: Vec<&str> = v.split(' ').collect();
    if words.contains(&"save") && words.contains(&"nosave") {
        return Err("shutdown options SAVE and NOSAVE can't be used simultaneously");
    }
    Ok(())
}

/// `cluster-announce-hostname`: a short hostname of letters, digits, hyphens and dots.
pub fn check_hostname(v: &str) -> Result<(), &'static str> {
    if v.len() >= 256 {
        return Err("Hostnames must be less than 256 characters");
    }
    if !v
        .bytes()
        .all(|c| c.is_ascii_alphanumeric() || c == b'-' || c == b'.')
    {
        return Err("Hostnames may only contain alphanumeric characters, hyphens or dots");
    }
    Ok(())
}

/// `proc-title-template`: only known `{variables}`, balanced braces, and something left
/// once expanded for an empty title (Redis's validateProcTitleTemplate).
pub fn check_proc_title(v: &str) -> Result<(), &'static str> {
    const BAD: &str = "template format is invalid or contains unknown variables";
    let mut out = String::new();
    let mut rest = v;
    while let Some(open) = rest.find('{') {
        out.push_str(&rest[..open]);
        let after = &rest[open + 1..];
        if after.is_empty() {
            return Err(BAD);
        }
        if let Some(quoted) = after.strip_prefix('{') {
            out.push('{');
            rest = quoted;
            continue;
        }
        let close = after.find('}').ok_or(BAD)?;
        // What each variable expands to when validating: only whether the result is
        // empty matters.
        out.push_str(match &after[..close] {
            "title" | "server-mode" | "unixsocket" => "",
            "listen-addr" | "config-file" | "port" | "tls-port" => "x",
            _ => return Err(BAD),
        });
        rest = &after[close + 1..];
    }
    out.push_str(rest);
    if out.trim_matches(' ').is_empty() {
        return Err(BAD);
    }
    Ok(())
}

/// Quotes bytes as Redis's sdscatrepr does (CONFIG REWRITE's string values).
pub fn repr(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 2);
    out.push('"');
    for &c in s.as_bytes() {
        match c {
            b'\\' => out.push_str("\\\\"),
            b'"' => out.push_str("\\\""),
            b'\n' => out.push_str("\\n"),
            b'\r' => out.push_str("\\r"),
            b'\t' => out.push_str("\\t"),
            0x07 => out.push_str("\\a"),
            0x08 => out.push_str("\\b"),
            c if c.is_ascii_graphic() || c == b' ' => out.push(c as char),
            c => {
                let _ = write!(out, "\\x{c:02x}");
            }
        }
    }
    out.push('"');
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn words(s: &[&str]) -> Vec<String> {
        s.iter().map(|w| w.to_string()).collect()
    }

    #[test]
    fn memory_units_as_memtoull() {
        assert_eq!(memtoull("1kb"), Some(1024));
        assert_eq!(memtoull("1K"), Some(1000));
        assert_eq!(memtoull("5"), Some(5));
        assert_eq!(memtoull(""), Some(0));
        assert_eq!(memtoull("gb"), Some(0));
        assert_eq!(memtoull("99999999999999999999"), Some(u64::MAX));
        assert_eq!(memtoull("1.5gb"), None);
        assert_eq!(memtoull("-1"), None);
        assert_eq!(memtoull("+1"), None);
        assert_eq!(memtoull("1zz"), None);
    }

    #[test]
    fn strtoll_as_c() {
        assert_eq!(strtoll("", 10), Some(0));
        assert_eq!(strtoll(" +12", 10), Some(12));
        assert_eq!(strtoll("007", 10), Some(7));
        assert_eq!(strtoll("12 ", 10), None);
        assert_eq!(strtoll("-", 10), None);
        assert_eq!(strtoll("99999999999999999999", 10), Some(i64::MAX));
        assert_eq!(strtoll("777", 8), Some(511));
        assert_eq!(strtoll("8", 8), None);
        assert_eq!(strtoll("7777777777777777777777777", 8), None);
    }

    #[test]
    fn numbers_and_their_errors() {
        let percent = Kind::Num {
            form: Form::MemoryOrPercent,
            bounds: Bounds::Signed(-100, i64::MAX),
        };
        assert_eq!(i64::parse(&words(&["50%"]), &percent), Ok(-50));
        assert_eq!((-50i64).show(&percent), "50%");
        assert_eq!(
            i64::parse(&words(&["200%"]), &percent).unwrap_err(),
            "percentage argument must be less or equal to 100"
        );
        assert_eq!(
            i64::parse(&words(&["x"]), &percent).unwrap_err(),
            "argument must be a memory or percent value"
        );
        let unsigned = Kind::Num {
            form: Form::Integer,
            bounds: Bounds::Unsigned(1, u64::from(u32::MAX)),
        };
        assert_eq!(
            i64::parse(&words(&["-1"]), &unsigned).unwrap_err(),
            "argument must be between 1 and 4294967295 inclusive"
        );
        let octal = Kind::Num {
            form: Form::Octal,
            bounds: Bounds::Unsigned(0, 0o777),
        };
        assert_eq!(i64::parse(&words(&["700"]), &octal), Ok(0o700));
        assert_eq!(0o700i64.show(&octal), "700");
        assert_eq!(
            i64::parse(&words(&["1000"]), &octal).unwrap_err(),
            "argument must be between 0 and 777 inclusive"
        );
        let memory = Kind::Num {
            form: Form::Memory,
            bounds: Bounds::Unsigned(0, u64::MAX),
        };
        assert_eq!((-1i64).show(&memory), "18446744073709551615");
    }

    #[test]
    fn enums_and_flags() {
        const OOM: Choices = &[("no", 0), ("yes", 1), ("relative", 1), ("absolute", 2)];
        assert_eq!(
            String::parse(&words(&["RELATIVE"]), &Kind::Enum(OOM)).unwrap(),
            "yes"
        );
        assert_eq!(
            String::parse(&words(&["x"]), &Kind::Enum(OOM)).unwrap_err(),
            "argument(s) must be one of the following: no, yes, relative, absolute"
        );
        const SIG: Choices = &[
            ("default", 0),
            ("save", 1),
            ("nosave", 2),
            ("now", 4),
            ("force", 8),
        ];
        let flags = Kind::Flags(SIG);
        assert_eq!(
            String::parse(&words(&["nosave", "force", "now"]), &flags).unwrap(),
            "nosave now force"
        );
        assert_eq!(
            String::parse(&words(&["default"]), &flags).unwrap(),
            "default"
        );
        assert!(String::parse(&[], &flags).is_err());
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

    #[test]
    fn repr_quotes_as_sdscatrepr() {
        assert_eq!(
            repr("a \"b\"\\\n\x01é"),
            "\"a \\\"b\\\"\\\\\\n\\x01\\xc3\\xa9\""
        );
    }
}
