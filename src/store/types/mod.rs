//! The collection types a key can hold, one file each: [`List`], [`Hash`], [`Set`],
//! [`ZSet`]. Each reports the encoding Redis 7.0 would use (OBJECT ENCODING) and converts
//! between its compact and its large form at Redis's thresholds ([`Limits`]). `hll` is
//! Redis's HyperLogLog representation, which lives inside a string value.

pub mod hash;
pub mod hll;
pub mod hll_count;
pub mod list;
pub mod set;
pub mod stream;
pub mod treap;
pub mod zset;

pub use hash::Hash;
pub use list::List;
pub use set::Set;
pub use stream::Stream;
pub use zset::ZSet;

/// The encoding thresholds of the configuration (`hash-max-listpack-entries` and friends).
#[derive(Clone, Copy, Debug)]
pub struct Limits {
    pub hash_entries: usize,
    pub hash_value: usize,
    pub set_intset_entries: usize,
    pub zset_entries: usize,
    pub zset_value: usize,
    /// `stream-node-max-entries` and `stream-node-max-bytes`.
    pub stream_node: stream::NodeLimits,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            hash_entries: 512,
            hash_value: 64,
            set_intset_entries: 512,
            zset_entries: 128,
            zset_value: 64,
            stream_node: stream::NodeLimits {
                max_entries: 100,
                max_bytes: 4096,
            },
        }
    }
}
