//! The command handlers, one file per family, and what they share: [`Ctx`], the typed key
//! lookups, argument helpers. Dispatch and the bookkeeping every command shares live in
//! [`crate::dispatch`].
//!
//! Every handler follows one recipe: look up the key -> check its type -> parse arguments
//! (exact Redis errors) -> mutate through the store (which records the key event) -> reply.

pub mod acl;
pub mod bitfield;
pub mod bits;
pub mod blocking;
pub mod client;
pub mod config;
pub mod connection;
pub mod dump;
pub mod expire;
pub mod function;
pub mod geo;
pub mod geo_search;
pub mod getkeys;
pub mod handlers;
pub mod hash;
pub mod hll;
pub mod info;
pub mod introspection;
pub mod keys;
pub mod latency;
pub mod lcs;
pub mod list;
pub mod list_move;
pub mod memory;
pub mod meta;
pub mod migrate;
pub mod persistence;
pub mod pubsub;
pub mod replication;
pub mod scripting;
pub mod server;
pub mod set;
pub mod sort;
pub mod sort_args;
pub mod spec;
pub mod stream;
pub mod string;
pub mod table;
pub mod tracking;
pub mod transaction;
pub mod zset;
pub mod zset_args;
pub mod zset_ops;
pub mod zset_range;

use crate::protocol::parse::parse_i64;
use crate::protocol::reply::Reply;
use crate::server::{Client, ClientId, ServerState};
use crate::store::types::{Hash, List, Set, Stream, ZSet};
use crate::store::{Event, RString, Store, Value};

/// The bit of [`Ctx::redacted`] for argument `index`.
pub fn redaction_bit(index: usize) -> u64 {
    1 << index.min(63)
}

/// What a handler works with: the keyspace, the server, its own client, its reply.
pub struct Ctx<'a> {
    pub store: &'a mut Store,
    pub srv: &'a mut ServerState,
    pub out: &'a mut Reply,
    /// The calling client.
    pub caller: ClientId,
    /// The calling client's selected database.
    pub db: usize,
    /// What the call path propagates for this command instead of its arguments (Redis's
    /// rewriteClientCommandVector / alsoPropagate); `None` propagates the arguments as they
    /// came, if the command wrote anything.
    pub propagate: Option<Vec<Vec<Vec<u8>>>>,
    /// Arguments the slow log shows as `(redacted)` (secrets, as Redis's
    /// redactClientCommandArgument): bit `i` for argument `i`, the last bit for every
    /// argument from 63 on. A plain integer, so the call path pays nothing for it.
    pub redacted: u64,
}

impl Ctx<'_> {
    /// Keeps argument `index` (a secret) out of the slow log.
    pub fn redact_arg(&mut self, index: usize) {
        self.redacted |= redaction_bit(index);
    }

    /// The calling client.
    pub fn client(&mut self) -> &mut Client {
        &mut self.srv.clients[self.caller]
    }

    /// The one way a handler writes to a client: the caller's own reply buffer when
    /// `client` is the caller (so a push to oneself lands in order with the reply), else
    /// that client's output, queued for writing. None if the client is gone.
    pub fn output_to(&mut self, client: ClientId) -> Option<&mut Reply> {
        if client == self.caller {
            Some(self.out)
        } else {
            self.srv.output(client)
        }
    }

    /// The loop's cached clock (Unix ms).
    pub fn now_ms(&self) -> u64 {
        self.store.now_ms
    }

    /// Records that the command changed `key` of the selected database in place, as
    /// `event` (see [`Store::record`]), adding `dirty` to the writes since the last save.
    #[inline]
    pub fn record(&mut self, key: &[u8], event: Event, dirty: u64) {
        self.store.record(self.db, key, event, dirty);
    }

    /// [`Ctx::record`] without touching WATCH (see [`Store::record_unwatched`]).
    pub fn record_unwatched(&mut self, key: &[u8], event: Event, dirty: u64) {
        self.store.record_unwatched(self.db, key, event, dirty);
    }

    /// Propagates `argv` instead of the command's own arguments: what a replica or an
    /// append-only log needs to make the same change deterministically (SET ... PXAT for a
    /// relative expiry, SREM for SPOP...).
    pub fn rewrite_argv(&mut self, argv: &[&[u8]]) {
        self.propagate = Some(vec![argv.iter().map(|a| a.to_vec()).collect()]);
    }

    /// Propagates these commands instead of the command's own arguments (none: nothing).
    pub fn replace_propagation(&mut self, commands: Vec<Vec<Vec<u8>>>) {
        self.propagate = Some(commands);
    }

    /// `ERR syntax error`.
    pub fn syntax_error(&mut self) {
        self.out.err("syntax error");
    }

    /// `WRONGTYPE ...`.
    pub fn wrong_type(&mut self) {
        self.out
            .error("WRONGTYPE Operation against a key holding the wrong kind of value");
    }
}

/// Redis's addReplySubcommandSyntaxError: `sub` (cut at 128 bytes) is unknown to
/// `container`, or was given the wrong number of arguments.
pub fn subcommand_syntax_error(out: &mut Reply, container: &str, sub: &[u8]) {
    let mut msg = b"ERR unknown subcommand or wrong number of arguments for '".to_vec();
    msg.extend_from_slice(&sub[..sub.len().min(128)]);
    msg.extend_from_slice(format!("'. Try {container} HELP.").as_bytes());
    out.error_bytes(&msg);
}

/// The key holds a value of another type; WRONGTYPE has been replied.
#[derive(Debug)]
pub struct WrongType;

impl Ctx<'_> {
    /// The string at `key` for reading (counts a hit or miss). On `Err` the key holds
    /// another type and WRONGTYPE was already replied.
    pub fn read_string(&mut self, key: &[u8]) -> Result<Option<&mut RString>, WrongType> {
        match self.store.lookup_read(self.db, key) {
            None => Ok(None),
            Some(Value::Str(s)) => Ok(Some(s)),
            Some(_) => Err(wrong_type(self.out)),
        }
    }

    /// The string at `key` for writing (no hit/miss counted); `Err` after WRONGTYPE.
    pub fn write_string(&mut self, key: &[u8]) -> Result<Option<&mut RString>, WrongType> {
        match self.store.lookup_write(self.db, key) {
            None => Ok(None),
            Some(Value::Str(s)) => Ok(Some(s)),
            Some(_) => Err(wrong_type(self.out)),
        }
    }

    /// The collection at `key` for reading (counts a hit or miss); `Err` after WRONGTYPE.
    pub fn read_as<T: Collection>(&mut self, key: &[u8]) -> Result<Option<&mut T>, WrongType> {
        match self.store.lookup_read(self.db, key) {
            None => Ok(None),
            Some(v) => match T::of(v) {
                Some(t) => Ok(Some(t)),
                None => Err(wrong_type(self.out)),
            },
        }
    }

    /// The collection at `key` for writing; `Err` after WRONGTYPE.
    pub fn write_as<T: Collection>(&mut self, key: &[u8]) -> Result<Option<&mut T>, WrongType> {
        match self.store.lookup_write(self.db, key) {
            None => Ok(None),
            Some(v) => match T::of(v) {
                Some(t) => Ok(Some(t)),
                None => Err(wrong_type(self.out)),
            },
        }
    }

    /// The collection at `key`, created empty if absent; `Err` after WRONGTYPE.
    pub fn write_or_create<T: Collection>(&mut self, key: &[u8]) -> Result<&mut T, WrongType> {
        let v = self
            .store
            .get_or_create(self.db, key, || T::default().into_value());
        match T::of(v) {
            Some(t) => Ok(t),
            None => Err(wrong_type(self.out)),
        }
    }

    /// Deletes `key` if it holds an empty collection (Redis never stores one). Returns
    /// whether it did.
    pub fn remove_if_empty(&mut self, key: &[u8]) -> bool {
        self.store.remove_if_empty(self.db, key)
    }
}

/// Replies WRONGTYPE.
fn wrong_type(out: &mut Reply) -> WrongType {
    out.error("WRONGTYPE Operation against a key holding the wrong kind of value");
    WrongType
}

/// A collection type commands can look up by key ([`Ctx::read_as`] and friends).
pub trait Collection: Default {
    /// The collection inside `v`, if `v` is one of these.
    fn of(v: &mut Value) -> Option<&mut Self>;
    /// Wraps the collection as a value.
    fn into_value(self) -> Value;
}

macro_rules! collection {
    ($ty:ty, $variant:ident) => {
        impl Collection for $ty {
            fn of(v: &mut Value) -> Option<&mut Self> {
                match v {
                    Value::$variant(c) => Some(c),
                    _ => None,
                }
            }
            fn into_value(self) -> Value {
                Value::$variant(Box::new(self))
            }
        }
    };
}

collection!(List, List);
collection!(Hash, Hash);
collection!(Set, Set);
collection!(ZSet, ZSet);
collection!(Stream, Stream);

/// The most elements SRANDMEMBER / HRANDFIELD / ZRANDMEMBER with a negative count (picks
/// with repetition) may return. Redis 7.0 tries to build any size and dies on a huge count;
/// redust refuses, with Redis's range error, a reply it could not send anyway.
pub const MAX_RANDOM_PICKS: u64 = 1 << 24;

/// Checks a random-sampling count against [`MAX_RANDOM_PICKS`]; replies the error if not.
pub fn random_count_ok(out: &mut Reply, count: i64) -> bool {
    if count < 0 && count.unsigned_abs() > MAX_RANDOM_PICKS {
        out.err("value is out of range");
        return false;
    }
    true
}

/// [`random_count_ok`] for a command that streams its picks: beyond the cap it may go on
/// when the client has a hard output limit, since it stops once the reply passes it (the
/// client is then closed unsent, as Redis does mid-run).
pub fn random_count_streamed_ok(out: &mut Reply, count: i64) -> bool {
    out.limit != 0 || random_count_ok(out, count)
}

/// How many picks a streaming loop makes between two looks at [`Reply::over_limit`].
pub const PICKS_PER_LIMIT_CHECK: usize = 1024;

/// Parses an integer argument; on failure replies Redis's error and returns None.
pub fn int_arg(out: &mut Reply, arg: &[u8]) -> Option<i64> {
    let v = parse_i64(arg);
    if v.is_none() {
        out.err("value is not an integer or out of range");
    }
    v
}

/// Case-insensitive comparison of an argument with an option name.
pub fn is(arg: &[u8], name: &str) -> bool {
    arg.eq_ignore_ascii_case(name.as_bytes())
}
