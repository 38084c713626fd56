//! Configuration as redis-server takes it: a redis.conf file and `--name value` arguments,
//! and the table behind CONFIG GET / SET / REWRITE.
//!
//! One declarative table lists every parameter: its name, aliases, kind (which drives
//! validation and the exact Redis error text), flags and the typed `Config` field it lives in.

use std::fmt::Write as _;
use std::path::PathBuf;

use crate::protocol::parse::{parse_i64, split_args};

/// The Redis version redust answers as (INFO, HELLO, LOLWUT).
pub const REDIS_VERSION: &str = "7.0.15";

/// How a parameter's value is validated and shown.
#[derive(Debug)]
pub enum Kind {
    Bool,
    Int {
        min: i64,
        max: i64,
    },
    /// Bytes, with Redis's units (`1kb`, `5mb`, `1g`).
    Memory {
        min: i64,
        max: i64,
    },
    Enum(&'static [&'static str]),
    Str,
    /// `save <seconds> <changes> [...]`.
    Save,
    /// A list of addresses (`bind`).
    Addresses,
    /// `notify-keyspace-events` class letters.
    KeyspaceEvents,
}

/// A parameter that cannot be changed at run time.
pub const IMMUTABLE: u8 = 1;
/// Changing it needs `enable-protected-configs` (Redis's PROTECTED_CONFIG).
pub const PROTECTED: u8 = 2;
/// Accepted and reported so that existing redis.conf files and clients work, but redust does
/// not act on it (documented in the README).
pub const NO_EFFECT: u8 = 4;

/// One row of the table.
pub struct Param {
    pub name: &'static str,
    pub aliases: &'static [&'static str],
    pub kind: Kind,
    pub flags: u8,
    get: fn(&Config) -> String,
    set: fn(&mut Config, &[String], &Kind) -> Result<(), String>,
}

impl Param {
    /// The current value as CONFIG GET shows it.
    pub fn get(&self, c: &Config) -> String {
        (self.get)(c)
    }

    /// Validates `args` and stores them.
    pub fn set(&self, c: &mut Config, args: &[String]) -> Result<(), String> {
        (self.set)(c, args, &self.kind)
    }

    /// Whether `name` (any case) names this parameter.
    pub fn is_named(&self, name: &str) -> bool {
        self.name.eq_ignore_ascii_case(name)
            || self.aliases.iter().any(|a| a.eq_ignore_ascii_case(name))
    }

    /// Whether the parameter takes several words (save, bind).
    fn is_variadic(&self) -> bool {
        matches!(self.kind, Kind::Save | Kind::Addresses)
    }
}

/// How a Rust type reads and shows a configuration value.
trait Setting: Sized {
    fn parse(args: &[String], kind: &Kind) -> Result<Self, String>;
    fn show(&self) -> String;
}

fn one(args: &[String]) -> Result<&str, String> {
    match args {
        [a] => Ok(a),
        _ => Err("wrong number of arguments".into()),
    }
}

impl Setting for bool {
    fn parse(args: &[String], _: &Kind) -> Result<Self, String> {
        match one(args)?.to_ascii_lowercase().as_str() {
            "yes" => Ok(true),
            "no" => Ok(false),
            _ => Err("argument must be 'yes' or 'no'".into()),
        }
    }
    fn show(&self) -> String {
        if *self { "yes" } else { "no" }.into()
    }
}

impl Setting for i64 {
    fn parse(args: &[String], kind: &Kind) -> Result<Self, String> {
        let s = one(args)?;
        let (v, min, max) = match *kind {
            Kind::Int { min, max } => (
                parse_i64(s.as_bytes()).ok_or("argument couldn't be parsed into an integer")?,
                min,
                max,
            ),
            Kind::Memory { min, max } => (
                parse_memory(s).ok_or("argument must be a memory value")?,
                min,
                max,
            ),
            _ => unreachable!("i64 settings are Int or Memory"),
        };
        if v < min || v > max {
            return Err(format!(
                "argument must be between {min} and {max} inclusive"
            ));
        }
        Ok(v)
    }
    fn show(&self) -> String {
        self.to_string()
    }
}

impl Setting for String {
    fn parse(args: &[String], kind: &Kind) -> Result<Self, String> {
        let s = one(args)?;
        match kind {
            Kind::Enum(names) => names
                .iter()
                .find(|n| n.eq_ignore_ascii_case(s))
                .map(|n| n.to_string())
                .ok_or_else(|| {
                    format!(
                        "argument(s) must be one of the following: {}",
                        names.join(", ")
                    )
                }),
            Kind::KeyspaceEvents => keyspace_events_canonical(s),
            _ => Ok(s.to_string()),
        }
    }
    fn show(&self) -> String {
        self.clone()
    }
}

/// `save` rules: after `seconds`, save if at least `changes` writes happened.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct SaveRules(pub Vec<(u64, u64)>);

impl Setting for SaveRules {
    fn parse(args: &[String], _: &Kind) -> Result<Self, String> {
        // `save ""` (or `save` with one empty word) turns saving off.
        let words: Vec<&str> = args.iter().flat_map(|a| a.split_whitespace()).collect();
        if words.is_empty() {
            return Ok(SaveRules(Vec::new()));
        }
        if !words.len().is_multiple_of(2) {
            return Err("Invalid save parameters".into());
        }
        let mut rules = Vec::new();
        for pair in words.chunks(2) {
            let secs = parse_i64(pair[0].as_bytes()).filter(|&v| v > 0);
            let changes = parse_i64(pair[1].as_bytes()).filter(|&v| v >= 0);
            match (secs, changes) {
                (Some(s), Some(c)) => rules.push((s as u64, c as u64)),
                _ => return Err("Invalid save parameters".into()),
            }
        }
        Ok(SaveRules(rules))
    }
    fn show(&self) -> String {
        let mut s = String::new();
        for (i, (secs, changes)) in self.0.iter().enumerate() {
            if i > 0 {
                s.push(' ');
            }
            let _ = write!(s, "{secs} {changes}");
        }
        s
    }
}

impl Setting for Vec<String> {
    fn parse(args: &[String], _: &Kind) -> Result<Self, String> {
        let addrs: Vec<String> = args
            .iter()
            .flat_map(|a| a.split_whitespace())
            .map(str::to_string)
            .collect();
        if addrs.is_empty() || addrs.len() > 16 {
            return Err("wrong number of arguments".into());
        }
        Ok(addrs)
    }
    fn show(&self) -> String {
        self.join(" ")
    }
}

/// Redis's memtoull: digits with an optional unit (b, k, kb, m, mb, g, gb; any case).
pub fn parse_memory(s: &str) -> Option<i64> {
    let lower = s.to_ascii_lowercase();
    let split = lower
        .find(|c: char| !c.is_ascii_digit() && c != '-')
        .unwrap_or(lower.len());
    let (num, unit) = lower.split_at(split);
    let mul: i64 = match unit {
        "" | "b" => 1,
        "k" => 1000,
        "kb" => 1024,
        "m" => 1000 * 1000,
        "mb" => 1024 * 1024,
        "g" => 1000 * 1000 * 1000,
        "gb" => 1024 * 1024 * 1024,
        _ => return None,
    };
    parse_i64(num.as_bytes())?.checked_mul(mul)
}

/// Keyspace notification classes, in the order Redis prints them after `A`.
const EVENT_CLASSES: &[u8] = b"g$lshzxetd";

/// Validates `notify-keyspace-events` letters and returns them as Redis prints them back.
fn keyspace_events_canonical(s: &str) -> Result<String, String> {
    let mut set = std::collections::BTreeSet::new();
    for c in s.bytes() {
        match c {
            b'A' => set.extend(EVENT_CLASSES.iter().copied()),
            b'K' | b'E' | b'm' | b'n' => {
                set.insert(c);
            }
            c if EVENT_CLASSES.contains(&c) => {
                set.insert(c);
            }
            _ => {
                return Err("Invalid event class character. Use 'Ag$lshzxeKEtmdn'.".into());
            }
        }
    }
    let mut out = String::new();
    if EVENT_CLASSES.iter().all(|c| set.contains(c)) {
        out.push('A');
    } else {
        out.extend(
            EVENT_CLASSES
                .iter()
                .filter(|c| set.contains(c))
                .map(|&c| c as char),
        );
    }
    for c in [b'K', b'E', b'm', b'n'] {
        if set.contains(&c) {
            out.push(c as char);
        }
    }
    Ok(out)
}

const LOGLEVELS: &[&str] = &["debug", "verbose", "notice", "warning"];
const MAXMEMORY_POLICIES: &[&str] = &[
    "volatile-lru",
    "volatile-lfu",
    "volatile-random",
    "volatile-ttl",
    "allkeys-lru",
    "allkeys-lfu",
    "allkeys-random",
    "noeviction",
];
const INT_MAX: i64 = i32::MAX as i64;
const UINT_MAX: i64 = u32::MAX as i64;

/// Declares the `Config` struct and the `PARAMS` table from one list, so a parameter cannot
/// exist in one and be missing from the other.
macro_rules! config_table {
    ($( $field:ident : $ty:ty = $default:expr, $name:literal $(| $alias:literal)*, $kind:expr, $flags:expr; )*) => {
        /// Every configuration value, typed.
        #[derive(Clone, Debug)]
        pub struct Config {
            $( pub $field: $ty, )*
            /// The config file the server started with (CONFIG REWRITE writes it back).
            pub file: Option<PathBuf>,
        }

        impl Default for Config {
            fn default() -> Self {
                Config { $( $field: $default, )* file: None }
            }
        }

        /// The table behind the config file, `--args` and CONFIG GET / SET.
        pub static PARAMS: &[Param] = &[ $(
            Param {
                name: $name,
                aliases: &[$($alias),*],
                kind: $kind,
                flags: $flags,
                get: |c| Setting::show(&c.$field),
                set: |c, args, kind| { c.$field = <$ty as Setting>::parse(args, kind)?; Ok(()) },
            },
        )* ];
    };
}

config_table! {
    port: i64 = 6379, "port", Kind::Int { min: 0, max: 65535 }, 0;
    bind: Vec<String> = vec!["127.0.0.1".into(), "-::1".into()], "bind", Kind::Addresses, 0;
    dir: String = ".".into(), "dir", Kind::Str, PROTECTED;
    dbfilename: String = "dump.rdb".into(), "dbfilename", Kind::Str, PROTECTED;
    save: SaveRules = SaveRules(vec![(60, 1)]), "save", Kind::Save, 0;
    stop_writes_on_bgsave_error: bool = true, "stop-writes-on-bgsave-error", Kind::Bool, 0;
    loglevel: String = "notice".into(), "loglevel", Kind::Enum(LOGLEVELS), 0;
    logfile: String = String::new(), "logfile", Kind::Str, IMMUTABLE;
    databases: i64 = 16, "databases", Kind::Int { min: 1, max: INT_MAX }, IMMUTABLE;
    maxclients: i64 = 10000, "maxclients", Kind::Int { min: 1, max: UINT_MAX }, 0;
    timeout: i64 = 0, "timeout", Kind::Int { min: 0, max: INT_MAX }, 0;
    protected_mode: bool = true, "protected-mode", Kind::Bool, 0;
    requirepass: String = String::new(), "requirepass", Kind::Str, 0;
    proto_max_bulk_len: i64 = 512 * 1024 * 1024, "proto-max-bulk-len",
        Kind::Memory { min: 1024 * 1024, max: i64::MAX }, 0;
    client_query_buffer_limit: i64 = 1024 * 1024 * 1024, "client-query-buffer-limit",
        Kind::Memory { min: 1024 * 1024, max: i64::MAX }, 0;
    hz: i64 = 10, "hz", Kind::Int { min: 0, max: INT_MAX }, 0;
    slowlog_log_slower_than: i64 = 10000, "slowlog-log-slower-than",
        Kind::Int { min: -1, max: i64::MAX }, 0;
    slowlog_max_len: i64 = 128, "slowlog-max-len", Kind::Int { min: 0, max: i64::MAX }, 0;
    maxmemory: i64 = 0, "maxmemory", Kind::Memory { min: 0, max: i64::MAX }, 0;
    maxmemory_policy: String = "noeviction".into(), "maxmemory-policy",
        Kind::Enum(MAXMEMORY_POLICIES), 0;
    notify_keyspace_events: String = String::new(), "notify-keyspace-events",
        Kind::KeyspaceEvents, 0;
    enable_protected_configs: String = "no".into(), "enable-protected-configs",
        Kind::Enum(&["no", "yes", "local"]), IMMUTABLE;
    enable_debug_command: String = "no".into(), "enable-debug-command",
        Kind::Enum(&["no", "yes", "local"]), IMMUTABLE;
    appendonly: bool = false, "appendonly", Kind::Bool, NO_EFFECT;
    daemonize: bool = false, "daemonize", Kind::Bool, IMMUTABLE;
    pidfile: String = String::new(), "pidfile", Kind::Str, IMMUTABLE;
    tcp_backlog: i64 = 511, "tcp-backlog", Kind::Int { min: 0, max: INT_MAX }, IMMUTABLE | NO_EFFECT;
    tcp_keepalive: i64 = 300, "tcp-keepalive", Kind::Int { min: 0, max: INT_MAX }, NO_EFFECT;
    supervised: String = "no".into(), "supervised",
        Kind::Enum(&["upstart", "systemd", "auto", "no"]), IMMUTABLE;
    always_show_logo: bool = false, "always-show-logo", Kind::Bool, IMMUTABLE | NO_EFFECT;
    set_proc_title: bool = true, "set-proc-title", Kind::Bool, IMMUTABLE | NO_EFFECT;
    rdbcompression: bool = true, "rdbcompression", Kind::Bool, NO_EFFECT;
    rdbchecksum: bool = true, "rdbchecksum", Kind::Bool, IMMUTABLE;
    maxmemory_samples: i64 = 5, "maxmemory-samples", Kind::Int { min: 1, max: 64 }, NO_EFFECT;
    lazyfree_lazy_user_flush: bool = false, "lazyfree-lazy-user-flush", Kind::Bool, NO_EFFECT;
    lazyfree_lazy_user_del: bool = false, "lazyfree-lazy-user-del", Kind::Bool, NO_EFFECT;
    hash_max_listpack_entries: i64 = 512, "hash-max-listpack-entries" | "hash-max-ziplist-entries",
        Kind::Int { min: 0, max: i64::MAX }, 0;
    hash_max_listpack_value: i64 = 64, "hash-max-listpack-value" | "hash-max-ziplist-value",
        Kind::Int { min: 0, max: i64::MAX }, 0;
    list_max_listpack_size: i64 = -2, "list-max-listpack-size" | "list-max-ziplist-size",
        Kind::Int { min: i32::MIN as i64, max: INT_MAX }, 0;
    set_max_intset_entries: i64 = 512, "set-max-intset-entries",
        Kind::Int { min: 0, max: i64::MAX }, 0;
    zset_max_listpack_entries: i64 = 128, "zset-max-listpack-entries" | "zset-max-ziplist-entries",
        Kind::Int { min: 0, max: i64::MAX }, 0;
    zset_max_listpack_value: i64 = 64, "zset-max-listpack-value" | "zset-max-ziplist-value",
        Kind::Int { min: 0, max: i64::MAX }, 0;
    lfu_log_factor: i64 = 10, "lfu-log-factor", Kind::Int { min: 0, max: INT_MAX }, 0;
    lfu_decay_time: i64 = 1, "lfu-decay-time", Kind::Int { min: 0, max: INT_MAX }, 0;
    latency_monitor_threshold: i64 = 0, "latency-monitor-threshold",
        Kind::Int { min: 0, max: i64::MAX }, NO_EFFECT;
    replicaof: String = String::new(), "replicaof" | "slaveof", Kind::Str, IMMUTABLE | NO_EFFECT;
    cluster_enabled: bool = false, "cluster-enabled", Kind::Bool, IMMUTABLE | NO_EFFECT;
}

/// Looks a parameter up by name or alias, any case.
pub fn find_param(name: &str) -> Option<&'static Param> {
    PARAMS.iter().find(|p| p.is_named(name))
}

/// A configuration that cannot be loaded: where, and why, in Redis's words.
#[derive(Debug)]
pub struct ConfigError {
    /// The file (or "the command line") the bad line came from.
    pub source: String,
    pub line: usize,
    pub text: String,
    pub reason: String,
}

impl std::fmt::Display for ConfigError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "\n*** FATAL CONFIG FILE ERROR (redust {}) ***\n\
             Reading the configuration file {}, at line {}\n>>> '{}'\n{}",
            env!("CARGO_PKG_VERSION"),
            self.source,
            self.line,
            self.text,
            self.reason
        )
    }
}

/// What the pieces of one start-up load share (see [`Config::load_text`]).
#[derive(Debug, Default)]
pub struct Loading {
    /// A `save` line was seen: later ones add rules instead of replacing the defaults.
    pub saw_save: bool,
    /// How many `include`s deep the current piece is.
    pub depth: usize,
}

/// Why an `include` line failed: a fault of the line itself, or of a line in the file it
/// included (reported where it is).
#[derive(Debug)]
pub enum IncludeError {
    /// The `include` line itself: the reason, reported at that line.
    Here(String),
    /// A line of the included file, reported in that file.
    Nested(ConfigError),
}

impl Config {
    /// Applies redis.conf text on its own. `source` names it in errors.
    pub fn apply_text(&mut self, text: &str, source: &str) -> Result<(), ConfigError> {
        self.load_text(text, source, &mut Loading::default())
    }

    /// Applies one piece of a start-up load (a file, stdin, the command line, an included
    /// file). `loading` carries what the pieces share: as in Redis, the first `save` line of
    /// the whole load replaces the default rules and later ones add to them.
    pub fn load_text(
        &mut self,
        text: &str,
        source: &str,
        loading: &mut Loading,
    ) -> Result<(), ConfigError> {
        for (i, raw) in text.lines().enumerate() {
            let line = raw.trim();
            if line.is_empty() || line.starts_with('#') {
                continue;
            }
            let fail = |reason: &str| ConfigError {
                source: source.to_string(),
                line: i + 1,
                text: line.to_string(),
                reason: reason.to_string(),
            };
            let mut scratch = Vec::new();
            let mut ranges = Vec::new();
            if !split_args(line.as_bytes(), &mut scratch, &mut ranges) {
                return Err(fail("Unbalanced quotes in configuration line"));
            }
            let words: Vec<String> = ranges
                .iter()
                .map(|&(s, l)| String::from_utf8_lossy(&scratch[s..s + l]).into_owned())
                .collect();
            let Some((name, args)) = words.split_first() else {
                continue;
            };
            if name.eq_ignore_ascii_case("include") && args.len() == 1 {
                crate::server::startup::include(self, &args[0], loading).map_err(|e| match e {
                    IncludeError::Nested(e) => e,
                    IncludeError::Here(reason) => fail(&reason),
                })?;
                continue;
            }
            let Some(param) = find_param(name) else {
                return Err(fail("Bad directive or wrong number of arguments"));
            };
            if !param.is_variadic() && args.len() != 1 {
                return Err(fail("wrong number of arguments"));
            }
            if param.name == "save" {
                let mut rules =
                    <SaveRules as Setting>::parse(args, &param.kind).map_err(|e| fail(&e))?;
                if loading.saw_save && !rules.0.is_empty() {
                    let mut all = self.save.0.clone();
                    all.append(&mut rules.0);
                    rules.0 = all;
                }
                self.save = rules;
                loading.saw_save = true;
                continue;
            }
            param.set(self, args).map_err(|e| fail(&e))?;
        }
        Ok(())
    }

    /// `(lfu-log-factor, lfu-decay-time)` while an LFU maxmemory-policy is set.
    pub fn lfu_params(&self) -> Option<(u32, u32)> {
        self.maxmemory_policy
            .ends_with("-lfu")
            .then_some((self.lfu_log_factor as u32, self.lfu_decay_time as u32))
    }

    /// The collection encoding thresholds.
    pub fn encoding_limits(&self) -> crate::store::types::Limits {
        let n = |v: i64| v.max(0) as usize;
        crate::store::types::Limits {
            hash_entries: n(self.hash_max_listpack_entries),
            hash_value: n(self.hash_max_listpack_value),
            set_intset_entries: n(self.set_max_intset_entries),
            zset_entries: n(self.zset_max_listpack_entries),
            zset_value: n(self.zset_max_listpack_value),
        }
    }

    /// Brings values into the ranges Redis silently clamps them to (`hz` to 1..=500).
    pub fn clamp(&mut self) {
        self.hz = self.hz.clamp(1, 500);
    }
}

/// Quotes a word so that [`split_args`] reads it back unchanged.
pub fn quote(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 2);
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

/// Rewrites the config file with the current values: lines of known parameters are
/// replaced in place (comments and order kept), parameters that differ from their default
/// but had no line are appended.
pub fn rewrite(config: &Config) -> Result<(), String> {
    let Some(path) = &config.file else {
        return Err("The server is running without a config file".into());
    };
    let old = std::fs::read_to_string(path).unwrap_or_default();
    let defaults = Config::default();
    let mut written = std::collections::HashSet::new();
    let mut out = String::new();
    let line_for = |p: &Param| {
        let v = p.get(config);
        if matches!(p.kind, Kind::Save | Kind::Addresses) && !v.is_empty() {
            format!("{} {}", p.name, v)
        } else {
            format!("{} {}", p.name, quote(&v))
        }
    };
    for raw in old.lines() {
        let first = raw.split_whitespace().next().unwrap_or("");
        match find_param(first).filter(|_| !raw.trim_start().starts_with('#')) {
            Some(p) => {
                if written.insert(p.name) {
                    out.push_str(&line_for(p));
                    out.push('\n');
                }
            }
            None => {
                out.push_str(raw);
                out.push('\n');
            }
        }
    }
    let mut header = false;
    for p in PARAMS {
        if written.contains(p.name) || p.get(config) == p.get(&defaults) {
            continue;
        }
        if !header {
            out.push_str("# Generated by CONFIG REWRITE\n");
            header = true;
        }
        out.push_str(&line_for(p));
        out.push('\n');
    }
    let tmp = path.with_extension("rewrite.tmp");
    std::fs::write(&tmp, out)
        .and_then(|_| std::fs::rename(&tmp, path))
        .map_err(|e| format!("Rewriting config file: {e}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn file_grammar() {
        let mut c = Config::default();
        c.apply_text(
            "# comment\nport 7000\n  save 900 1\nsave \"300 10\"\nmaxmemory 1gb\nloglevel WARNING\n",
            "t.conf",
        )
        .unwrap();
        assert_eq!(c.port, 7000);
        assert_eq!(c.save, SaveRules(vec![(900, 1), (300, 10)]));
        assert_eq!(c.maxmemory, 1 << 30);
        assert_eq!(c.loglevel, "warning");
    }

    #[test]
    fn errors_name_the_line() {
        let mut c = Config::default();
        let e = c.apply_text("port 1\nfoo bar\n", "x.conf").unwrap_err();
        assert_eq!(e.line, 2);
        assert_eq!(e.reason, "Bad directive or wrong number of arguments");
        let e = c.apply_text("port abc", "x.conf").unwrap_err();
        assert_eq!(e.reason, "argument couldn't be parsed into an integer");
        let e = c.apply_text("port 99999", "x.conf").unwrap_err();
        assert_eq!(e.reason, "argument must be between 0 and 65535 inclusive");
        let e = c.apply_text("save 60", "x.conf").unwrap_err();
        assert_eq!(e.reason, "Invalid save parameters");
    }

    #[test]
    fn events_canonical() {
        assert_eq!(keyspace_events_canonical("KEA").unwrap(), "AKE");
        assert_eq!(keyspace_events_canonical("Ex").unwrap(), "xE");
        assert!(keyspace_events_canonical("Zq").is_err());
    }

    #[test]
    fn memory_units() {
        assert_eq!(parse_memory("1kb"), Some(1024));
        assert_eq!(parse_memory("1K"), Some(1000));
        assert_eq!(parse_memory("5"), Some(5));
        assert_eq!(parse_memory("1.5gb"), None);
        assert_eq!(parse_memory("1zz"), None);
    }
}
