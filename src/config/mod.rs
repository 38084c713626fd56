//! Configuration as redis-server takes it: a redis.conf file and `--name value` arguments,
//! and the table behind CONFIG GET / SET / REWRITE.
//!
//! - `table`: every Redis 7.0.15 parameter (name, alias, kind, flags, default) and the typed
//!   [`Config`] the server reads directly (nothing is parsed per command).
//! - `value`: how each kind reads, validates and shows a value, with Redis's error texts;
//!   `special` for the parameters with a grammar of their own, `check` for the extra
//!   validation some have.
//! - `load`: redis.conf's grammar, `rename-command`, `include` and the other directives
//!   that are not parameters (start-up, `server/startup.rs`, reads the file, stdin and the
//!   command line and loads each piece here).
//! - `rewrite`: CONFIG REWRITE, keeping the file's comments and order as Redis does.

mod check;
mod load;
mod rewrite;
pub mod special;
mod table;
mod value;

pub use load::{ConfigError, IncludeError, Loading};
pub use rewrite::{rewrite, Force};
pub use special::{
    BindAddrs, KeyspaceEvents, ObufLimit, ObufLimits, OomScoreAdjValues, Percentiles, ReplicaOf,
    SaveRules,
};
pub use table::{Config, Param, HIDDEN, IMMUTABLE, NO_EFFECT, PARAMS, PROTECTED, SENSITIVE};
pub use value::{memtoull, os_error_text, repr};

/// The Redis version redust answers as (INFO, HELLO, LOLWUT).
pub const REDIS_VERSION: &str = "7.0.15";

/// Looks a parameter up by name or alias, any case.
pub fn find_param(name: &str) -> Option<&'static Param> {
    PARAMS
        .iter()
        .find(|p| p.names().any(|n| n.eq_ignore_ascii_case(name)))
}

/// Where Redis listens when `bind` is empty: every IPv4 and (if there is one) IPv6
/// address, as with its default.
const BIND_EVERYWHERE: [&str; 2] = ["*", "-::*"];

impl Config {
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
            stream_node: crate::store::types::stream::NodeLimits {
                max_entries: self.stream_node_max_entries.max(0) as u64,
                max_bytes: self.stream_node_max_bytes.max(0) as u64,
            },
        }
    }

    /// The addresses to listen on: `bind`, or every address when it is empty (`bind ""`),
    /// as Redis does.
    pub fn listen_addresses(&self) -> Vec<String> {
        if self.bind.0.is_empty() {
            BIND_EVERYWHERE.iter().map(|a| a.to_string()).collect()
        } else {
            self.bind.0.clone()
        }
    }

    /// Brings values into the ranges Redis silently clamps them to (`hz` to 1..=500: it
    /// is a hint, so out-of-range values are accepted and capped).
    pub fn clamp(&mut self) {
        self.hz = self.hz.clamp(1, 500);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_name_is_unique_and_lowercase() {
        let mut names: Vec<&str> = PARAMS.iter().flat_map(|p| p.names()).collect();
        assert!(names.iter().all(|n| *n == n.to_ascii_lowercase()));
        let count = names.len();
        names.sort_unstable();
        names.dedup();
        assert_eq!(names.len(), count);
        // Redis 7.0.15 (built with TLS) has 178 parameters, 192 names shown by
        // CONFIG GET * and 5 hidden ones; redust adds one hidden parameter of its own,
        // snapshot-format.
        assert_eq!(PARAMS.len(), 179);
        let hidden = PARAMS.iter().filter(|p| p.has(HIDDEN)).count();
        assert_eq!(hidden, 6);
        assert_eq!(count - hidden, 192);
    }

    #[test]
    fn defaults_read_back() {
        let mut c = Config::default();
        for p in PARAMS {
            // `dir` changes directory; an empty replicaof is not a value (as in Redis).
            if matches!(p.name, "dir" | "replicaof") {
                continue;
            }
            let shown = p.get(&c);
            let args = if p.kind.multi_arg() {
                let words: Vec<String> = shown.split(' ').map(str::to_string).collect();
                if shown.is_empty() {
                    vec![String::new()]
                } else {
                    words
                }
            } else {
                vec![shown.clone()]
            };
            p.set(&mut c, &args)
                .unwrap_or_else(|e| panic!("{}: {shown:?}: {e}", p.name));
            assert_eq!(p.get(&c), shown, "{}", p.name);
        }
    }

    /// The README's table of parameters without effect names exactly the NO_EFFECT rows,
    /// so it stays true when a parameter starts to work.
    #[test]
    fn readme_lists_the_parameters_without_effect() {
        let readme = include_str!("../../README.md");
        let start = readme
            .find("<!-- no-effect: start -->")
            .expect("start marker");
        let end = readme.find("<!-- no-effect: end -->").expect("end marker");
        let mut listed: Vec<&str> = readme[start..end]
            .lines()
            .filter(|l| {
                l.starts_with("| ") && !l.starts_with("| parameters") && !l.starts_with("| ---")
            })
            .flat_map(|l| l[2..].split(" | ").next().unwrap_or("").split(", "))
            .map(|name| name.split(" (").next().unwrap_or(name))
            .collect();
        listed.sort_unstable();
        let mut expected: Vec<&str> = PARAMS
            .iter()
            .filter(|p| p.has(NO_EFFECT))
            .map(|p| p.name)
            .collect();
        expected.sort_unstable();
        assert_eq!(listed, expected);
    }

    #[test]
    fn lookup_by_alias_any_case() {
        assert_eq!(
            find_param("SLAVE-READ-ONLY").unwrap().name,
            "replica-read-only"
        );
        assert_eq!(
            find_param("lua-time-limit").unwrap().name,
            "busy-reply-threshold"
        );
        assert!(find_param("nosuch").is_none());
    }
}
