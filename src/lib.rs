//! redust: a Redis 7-compatible server for local development.
//!
//! One thread owns everything: a mio poll loop ([`server`]) reads requests, the resumable
//! parser ([`protocol::parse`]) turns bytes into argument lists, [`commands`] dispatches them
//! through one declarative table to per-family handlers working on the [`store`], and the
//! typed writer ([`protocol::reply`]) answers in RESP2 or RESP3.

pub mod acl;
pub mod commands;
pub mod config;
pub mod dispatch;
#[doc(hidden)]
pub mod fuzz_harness;
pub mod persistence;
pub mod protocol;
pub mod pubsub;
pub mod scripting;
pub mod server;
pub mod store;
pub mod util;

/// Maps a Redis loglevel to a `log` filter.
pub fn level_filter(loglevel: &str) -> log::LevelFilter {
    match loglevel {
        "debug" => log::LevelFilter::Trace,
        "verbose" => log::LevelFilter::Debug,
        "notice" => log::LevelFilter::Info,
        _ => log::LevelFilter::Warn,
    }
}
