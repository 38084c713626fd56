//! Key events: what each write did to which key, named as Redis's notify.c names it.
//!
//! The store records one [`KeyEvent`] per change as it makes it (a command's write, a lazy
//! or active expiry, a flush). After every command the call path drains them once: blocked
//! clients waiting on those keys are signalled, and keyspace notifications, client-side
//! caching and propagation read the same list. Nothing else needs to remember bookkeeping.

use super::bytes::SmallBytes;

/// The classes `notify-keyspace-events` selects events by (its letters).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub struct EventClass(pub u16);

impl EventClass {
    /// `g`: DEL, EXPIRE, RENAME... commands that work on any type.
    pub const GENERIC: EventClass = EventClass(1 << 0);
    /// `$`: string commands.
    pub const STRING: EventClass = EventClass(1 << 1);
    /// `l`: list commands.
    pub const LIST: EventClass = EventClass(1 << 2);
    /// `s`: set commands.
    pub const SET: EventClass = EventClass(1 << 3);
    /// `h`: hash commands.
    pub const HASH: EventClass = EventClass(1 << 4);
    /// `z`: sorted-set commands.
    pub const ZSET: EventClass = EventClass(1 << 5);
    /// `x`: a key reached its deadline.
    pub const EXPIRED: EventClass = EventClass(1 << 6);
    /// `e`: a key was evicted for maxmemory.
    pub const EVICTED: EventClass = EventClass(1 << 7);
    /// `t`: stream commands.
    pub const STREAM: EventClass = EventClass(1 << 8);
    /// `m`: a key was looked up and not found.
    pub const KEY_MISS: EventClass = EventClass(1 << 9);
    /// `n`: a key was created.
    pub const NEW: EventClass = EventClass(1 << 10);
    /// `d`: module events.
    pub const MODULE: EventClass = EventClass(1 << 11);
    /// No class: a change Redis signals to WATCH (signalModifiedKey) without publishing a
    /// notification, such as PFCOUNT refreshing an HLL's cached cardinality.
    pub const NONE: EventClass = EventClass(0);

    /// Whether every class of `other` is in `self`.
    pub fn contains(self, other: EventClass) -> bool {
        self.0 & other.0 == other.0
    }

    /// Whether `self` and `other` share a class.
    pub fn intersects(self, other: EventClass) -> bool {
        self.0 & other.0 != 0
    }
}

impl std::ops::BitOr for EventClass {
    type Output = EventClass;
    fn bitor(self, rhs: EventClass) -> EventClass {
        EventClass(self.0 | rhs.0)
    }
}

macro_rules! events {
    ($($variant:ident => $name:literal, $class:ident;)*) => {
        /// A change to one key, by the name Redis's keyspace notifications give it.
        #[derive(Clone, Copy, Debug, PartialEq, Eq)]
        pub enum Event {
            $(
                #[doc = concat!("`", $name, "`")]
                $variant,
            )*
        }

        impl Event {
            /// The event's name, as in `__keyevent@0__:<name>`.
            pub fn name(self) -> &'static str {
                match self {
                    $(Event::$variant => $name,)*
                }
            }

            /// The class `notify-keyspace-events` selects it by.
            pub fn class(self) -> EventClass {
                match self {
                    $(Event::$variant => EventClass::$class,)*
                }
            }
        }
    };
}

events! {
    // Any type.
    Del => "del", GENERIC;
    Expire => "expire", GENERIC;
    Persist => "persist", GENERIC;
    RenameFrom => "rename_from", GENERIC;
    RenameTo => "rename_to", GENERIC;
    MoveFrom => "move_from", GENERIC;
    MoveTo => "move_to", GENERIC;
    CopyTo => "copy_to", GENERIC;
    Restore => "restore", GENERIC;
    SortStore => "sortstore", GENERIC;
    Expired => "expired", EXPIRED;
    Evicted => "evicted", EVICTED;
    New => "new", NEW;
    KeyMiss => "keymiss", KEY_MISS;
    // Strings and bits.
    Set => "set", STRING;
    SetRange => "setrange", STRING;
    Append => "append", STRING;
    IncrBy => "incrby", STRING;
    IncrByFloat => "incrbyfloat", STRING;
    SetBit => "setbit", STRING;
    PfAdd => "pfadd", STRING;
    // A value's bytes changed with no notification (PFCOUNT's cached cardinality).
    Modified => "modified", NONE;
    // Lists.
    LPush => "lpush", LIST;
    RPush => "rpush", LIST;
    LPop => "lpop", LIST;
    RPop => "rpop", LIST;
    LInsert => "linsert", LIST;
    LSet => "lset", LIST;
    LRem => "lrem", LIST;
    LTrim => "ltrim", LIST;
    // Hashes.
    HSet => "hset", HASH;
    HDel => "hdel", HASH;
    HIncrBy => "hincrby", HASH;
    HIncrByFloat => "hincrbyfloat", HASH;
    // Sets.
    SAdd => "sadd", SET;
    SRem => "srem", SET;
    SPop => "spop", SET;
    SInterStore => "sinterstore", SET;
    SUnionStore => "sunionstore", SET;
    SDiffStore => "sdiffstore", SET;
    // Sorted sets.
    ZAdd => "zadd", ZSET;
    ZIncr => "zincr", ZSET;
    ZRem => "zrem", ZSET;
    ZRemRangeByRank => "zremrangebyrank", ZSET;
    ZRemRangeByScore => "zremrangebyscore", ZSET;
    ZRemRangeByLex => "zremrangebylex", ZSET;
    ZPopMin => "zpopmin", ZSET;
    ZPopMax => "zpopmax", ZSET;
    ZInterStore => "zinterstore", ZSET;
    ZUnionStore => "zunionstore", ZSET;
    ZDiffStore => "zdiffstore", ZSET;
    ZRangeStore => "zrangestore", ZSET;
    GeoRadiusStore => "georadiusstore", ZSET;
    GeoSearchStore => "geosearchstore", ZSET;
    // Streams.
    XAdd => "xadd", STREAM;
    XTrim => "xtrim", STREAM;
    XDel => "xdel", STREAM;
    XSetId => "xsetid", STREAM;
    XGroupCreate => "xgroup-create", STREAM;
    XGroupCreateConsumer => "xgroup-createconsumer", STREAM;
    XGroupDelConsumer => "xgroup-delconsumer", STREAM;
    XGroupDestroy => "xgroup-destroy", STREAM;
    XGroupSetId => "xgroup-setid", STREAM;
}

/// One change to one key.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct KeyEvent {
    pub db: usize,
    /// Inline for short keys, so recording an event on the hot path allocates nothing.
    pub key: SmallBytes,
    pub event: Event,
}

/// A change to whole databases, which has no per-key events.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum DbEvent {
    /// FLUSHDB (`Some(db)`) or FLUSHALL (`None`).
    Flushed(Option<usize>),
    /// SWAPDB a b: every key of both may now hold something else.
    Swapped(usize, usize),
}

/// The events recorded since the last drain.
#[derive(Debug, Default)]
pub struct Events {
    pub keys: Vec<KeyEvent>,
    pub dbs: Vec<DbEvent>,
}

impl Events {
    /// Whether nothing happened.
    pub fn is_empty(&self) -> bool {
        self.keys.is_empty() && self.dbs.is_empty()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_and_classes_are_redis_s() {
        assert_eq!(Event::RenameFrom.name(), "rename_from");
        assert_eq!(Event::Expired.class(), EventClass::EXPIRED);
        assert_eq!(Event::ZIncr.name(), "zincr");
        assert!((EventClass::LIST | EventClass::SET).contains(EventClass::SET));
        assert!(!EventClass::LIST.intersects(EventClass::SET));
    }
}
