//! Command dispatch: table lookup, arity, authentication, then the family handler; and the
//! bookkeeping every command shares (stats, slow log, MONITOR, CLIENT REPLY).
//!
//! Every handler follows one recipe: look up the key -> check its type -> parse arguments
//! (exact Redis errors) -> mutate -> [`Ctx::signal_modified`] -> reply.

pub mod bits;
pub mod blocking;
pub mod client;
pub mod config;
pub mod connection;
pub mod expire;
pub mod hash;
pub mod info;
pub mod introspection;
pub mod keys;
pub mod lcs;
pub mod list;
pub mod list_move;
pub mod meta;
pub mod persistence;
pub mod server;
pub mod set;
pub mod sort;
pub mod sort_args;
pub mod string;
pub mod table;
pub mod transaction;
pub mod zset;
pub mod zset_args;
pub mod zset_ops;
pub mod zset_range;

use std::time::Instant;

use crate::protocol::parse::parse_i64;
use crate::protocol::reply::Reply;
use crate::server::client::ReplyMode;
use crate::server::{Client, PauseMode, ServerState};
use crate::store::types::{Hash, List, Set, ZSet};
use crate::store::{RString, Store, Value};
use table::{Command, ADMIN, MAY_REPLICATE, NO_AUTH, NO_MULTI, SKIP_MONITOR, SKIP_SLOWLOG, WRITE};

/// What a handler works with: the keyspace, the server, its own client, its reply.
pub struct Ctx<'a> {
    pub store: &'a mut Store,
    pub srv: &'a mut ServerState,
    pub out: &'a mut Reply,
    /// The calling client's slab key.
    pub key: usize,
    /// The calling client's selected database.
    pub db: usize,
}

impl Ctx<'_> {
    /// The calling client.
    pub fn client(&mut self) -> &mut Client {
        &mut self.srv.clients[self.key]
    }

    /// The loop's cached clock (Unix ms).
    pub fn now_ms(&self) -> u64 {
        self.store.now_ms
    }

    /// The one bookkeeping call after a write: bumps the dirty counter that save rules and
    /// INFO read, and fails the transactions of the clients WATCHing the key. Keyspace
    /// notifications will hook in here.
    pub fn signal_modified(&mut self, key: &[u8], changes: u64) {
        self.store.dirty += changes;
        self.store.watches.touch(self.db, key);
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
        if self.store.lookup_write(self.db, key).is_none() {
            self.store.insert(
                self.db,
                key,
                T::default().into_value(),
                crate::store::Ttl::Clear,
            );
        }
        let v = self.store.dbs[self.db].get_mut(key).expect("present");
        match T::of(v) {
            Some(t) => Ok(t),
            None => Err(wrong_type(self.out)),
        }
    }

    /// Deletes `key` if it holds an empty collection (Redis never stores one). Returns
    /// whether it did.
    pub fn remove_if_empty(&mut self, key: &[u8]) -> bool {
        let empty = match self.store.dbs[self.db].get(key) {
            Some(Value::List(l)) => l.is_empty(),
            Some(Value::Hash(h)) => h.is_empty(),
            Some(Value::Set(s)) => s.is_empty(),
            Some(Value::ZSet(z)) => z.is_empty(),
            _ => false,
        };
        if empty {
            self.store.dbs[self.db].remove(key);
        }
        empty
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

/// Whether CLIENT PAUSE holds back this command of the client at slab `key` now. As in
/// Redis, a command that will be refused (unknown, wrong arity, NOAUTH, MISCONF ...) is
/// answered at once instead; under a WRITE pause the commands that may write or replicate
/// wait, and so does an EXEC whose queue holds one (it runs as a whole or not at
/// all). A command queued inside MULTI is held back like the same command outside.
pub fn must_postpone(state: &ServerState, key: usize, argv: &[&[u8]]) -> bool {
    let Some(p) = state.pause else {
        return false;
    };
    if p.until_ms <= crate::server::unix_ms() {
        return false;
    }
    let Some((cmd, _)) = table::lookup(argv) else {
        return false;
    };
    let tx = state.clients[key].tx.as_ref();
    let queueing = tx.is_some() && !transaction::runs_inside_multi(cmd.name);
    if check_call(state, key, cmd, argv).is_some() || (queueing && cmd.flags & NO_MULTI != 0) {
        return false;
    }
    match p.mode {
        PauseMode::All => true,
        PauseMode::Write => {
            may_replicate(cmd)
                || (cmd.name == "exec"
                    && tx.is_some_and(|t| {
                        t.queued.iter().any(|q| {
                            let args: Vec<&[u8]> = q.iter().map(Vec::as_slice).collect();
                            table::lookup(&args).is_some_and(|(c, _)| may_replicate(c))
                        })
                    }))
        }
    }
}

/// Whether a command may change the dataset or feed the replication stream: what a WRITE
/// pause holds back.
fn may_replicate(cmd: &Command) -> bool {
    cmd.flags & (WRITE | MAY_REPLICATE) != 0
}

/// Runs one command for the client at slab `key`, writing its reply to `out`.
pub fn execute(
    store: &mut Store,
    srv: &mut ServerState,
    out: &mut Reply,
    key: usize,
    argv: &[&[u8]],
) {
    let started = Instant::now();
    let reply_start = out.buf.len();
    let cmd = match table::lookup(argv) {
        Some((cmd, _)) => cmd,
        None => {
            reject_unknown(out, argv);
            abort_transaction(srv, key);
            srv.stats.count_errors(&mut out.error_codes);
            finish_reply_mode(srv, key, out, reply_start);
            return;
        }
    };
    let queueing = srv.clients[key].tx.is_some() && !transaction::runs_inside_multi(cmd.name);
    let refusal = check_call(srv, key, cmd, argv).or_else(|| {
        (queueing && cmd.flags & NO_MULTI != 0)
            .then(|| "ERR Command not allowed inside a transaction".to_string())
    });
    if let Some(err) = refusal {
        refuse(store, srv, out, key, cmd, &err);
        finish_reply_mode(srv, key, out, reply_start);
        return;
    }
    if queueing {
        let limit = srv.config.client_query_buffer_limit;
        let c = &mut srv.clients[key];
        let tx = c.tx.as_mut().expect("queueing");
        tx.bytes += argv.iter().map(|a| a.len()).sum::<usize>();
        if tx.bytes as i64 > limit {
            log::warn!(
                "Closing client whose queued transaction passed client-query-buffer-limit: {}",
                c.addr
            );
            c.close_asap = true;
            srv.stats.client_qbuf_limit_disconnections += 1;
            return;
        }
        tx.queued.push(argv.iter().map(|a| a.to_vec()).collect());
        out.simple("QUEUED");
        finish_reply_mode(srv, key, out, reply_start);
        return;
    }
    let db = srv.clients[key].db;
    let c = &mut srv.clients[key];
    c.last_command = cmd.name;
    c.last_command_id = cmd.id;
    let mut ctx = Ctx {
        store,
        srv,
        out,
        key,
        db,
    };
    (cmd.handler)(&mut ctx, argv);
    let Ctx {
        store,
        srv,
        out,
        db,
        ..
    } = ctx;
    let micros = started.elapsed().as_micros() as u64;

    let failed = !out.error_codes.is_empty();
    srv.stats.count_errors(&mut out.error_codes);
    srv.stats.total_commands += 1;
    let stat = srv.stats.command(cmd.id);
    stat.calls += 1;
    stat.usec += micros;
    if failed {
        stat.failed_calls += 1;
    }
    // A command that blocked goes to the slow log when it is served, if ever.
    let blocked_on_keys = matches!(
        srv.clients.get(key).and_then(|c| c.blocked.as_ref()),
        Some(b) if matches!(b.reason, crate::server::client::BlockReason::Keys(_))
    );
    if cmd.flags & SKIP_SLOWLOG == 0 && !blocked_on_keys {
        log_if_slow(srv, key, argv, micros);
    }
    if !srv.monitors.is_empty() && cmd.flags & (SKIP_MONITOR | ADMIN) == 0 {
        feed_monitors(srv, key, db, argv);
    }
    if let Some(c) = srv.clients.get_mut(key) {
        c.db = db;
    }
    finish_reply_mode(srv, key, out, reply_start);
    blocking::signal_written_keys(srv, cmd, argv, db);
    // Inside EXEC, waiters are served once the whole transaction has run.
    if !srv.clients.get(key).is_some_and(|c| c.in_exec) {
        blocking::serve_ready(store, srv);
    }
}

/// Replies a dispatch-time refusal and counts it. A refusal inside MULTI aborts the
/// transaction; a refused EXEC ends it, saying why, as Redis's execCommandAbort.
fn refuse(
    store: &mut Store,
    srv: &mut ServerState,
    out: &mut Reply,
    key: usize,
    cmd: &Command,
    err: &str,
) {
    if cmd.name == "exec" {
        let why = err.strip_prefix("ERR ").unwrap_or(err);
        out.error(&format!(
            "EXECABORT Transaction discarded because of: {why}"
        ));
        let c = &mut srv.clients[key];
        c.tx = None;
        transaction::forget_watches(&mut store.watches, c);
    } else {
        out.error(err);
        abort_transaction(srv, key);
    }
    srv.stats.count_errors(&mut out.error_codes);
    srv.stats.command(cmd.id).rejected_calls += 1;
}

/// A command was refused while the client is inside MULTI: EXEC will answer EXECABORT.
fn abort_transaction(srv: &mut ServerState, key: usize) {
    if let Some(tx) = srv.clients.get_mut(key).and_then(|c| c.tx.as_mut()) {
        tx.aborted = true;
    }
}

/// Adds the call to the slow log if it took at least `slowlog-log-slower-than`.
fn log_if_slow(srv: &mut ServerState, key: usize, argv: &[&[u8]], micros: u64) {
    let threshold = srv.config.slowlog_log_slower_than;
    if threshold < 0 || micros < threshold as u64 {
        return;
    }
    let c = &srv.clients[key];
    let who = (c.addr.to_string(), c.name.clone());
    let max = srv.config.slowlog_max_len as usize;
    let now_secs = store_now_secs() as i64;
    srv.slowlog.push(argv, micros, now_secs, who, max);
}

fn store_now_secs() -> u64 {
    crate::server::unix_ms() / 1000
}

/// Arity, authentication: the checks Redis makes before running a command.
fn check_call(srv: &ServerState, key: usize, cmd: &Command, argv: &[&[u8]]) -> Option<String> {
    let argc = argv.len() as i32;
    if (cmd.arity > 0 && argc != cmd.arity) || argc < -cmd.arity {
        return Some(format!(
            "ERR wrong number of arguments for '{}' command",
            cmd.name
        ));
    }
    if !srv.clients[key].authenticated && cmd.flags & NO_AUTH == 0 {
        return Some("NOAUTH Authentication required.".into());
    }
    if cmd.name == "debug" && !server::debug_allowed(srv, key) {
        return Some(server::DEBUG_NOT_ALLOWED.into());
    }
    if (cmd.flags & WRITE != 0 || cmd.name == "ping") && srv.writes_refused() {
        return Some(MISCONF.into());
    }
    None
}

const MISCONF: &str = "MISCONF Redis is configured to save RDB snapshots, but it's currently unable to persist to disk. Commands that may modify the data set are disabled, because this instance is configured to report errors during writes if RDB snapshotting fails (stop-writes-on-bgsave-error option). Please check the Redis logs for details about the RDB error.";

/// `ERR unknown command` / `ERR unknown subcommand`, quoting arguments as Redis does.
fn reject_unknown(out: &mut Reply, argv: &[&[u8]]) {
    if let Some(parent) = table::lookup_name(argv[0]) {
        if !parent.subcommands.is_empty() {
            let mut msg = b"ERR unknown subcommand '".to_vec();
            msg.extend(truncated(argv[1], 128));
            msg.extend_from_slice(
                format!("'. Try {} HELP.", parent.name.to_ascii_uppercase()).as_bytes(),
            );
            out.error_bytes(&msg);
            return;
        }
    }
    // As Redis: each argument quoted and cut so that the list stays near 128 bytes.
    let mut args: Vec<u8> = Vec::new();
    for a in &argv[1..] {
        if args.len() >= 128 {
            break;
        }
        let room = 128 - args.len();
        args.push(b'\'');
        args.extend(truncated(a, room));
        args.extend_from_slice(b"' ");
    }
    let mut msg = b"ERR unknown command '".to_vec();
    msg.extend(truncated(argv[0], 128));
    msg.extend_from_slice(b"', with args beginning with: ");
    msg.extend(args);
    out.error_bytes(&msg);
}

fn truncated(a: &[u8], max: usize) -> Vec<u8> {
    a[..a.len().min(max)].to_vec()
}

/// Applies CLIENT REPLY OFF / SKIP to the reply just written.
fn finish_reply_mode(srv: &mut ServerState, key: usize, out: &mut Reply, reply_start: usize) {
    let Some(c) = srv.clients.get_mut(key) else {
        return;
    };
    match c.reply_mode {
        ReplyMode::On => {}
        ReplyMode::Off => out.buf.truncate(reply_start),
        ReplyMode::Skip => {
            out.buf.truncate(reply_start);
            c.reply_mode = ReplyMode::On;
        }
        ReplyMode::SkipNext => c.reply_mode = ReplyMode::Skip,
    }
}

/// Sends `+<time> [<db> <addr>] "arg" ...` to every MONITOR client but the caller.
fn feed_monitors(srv: &mut ServerState, key: usize, db: usize, argv: &[&[u8]]) {
    let us = crate::server::unix_us();
    let mut line = format!(
        "+{}.{:06} [{} {}]",
        us / 1_000_000,
        us % 1_000_000,
        db,
        srv.clients[key].addr
    );
    for a in argv {
        line.push(' ');
        line.push_str(&repr(a));
    }
    line.push_str("\r\n");
    for &m in &srv.monitors {
        if m == key {
            continue;
        }
        if let Some(c) = srv.clients.get_mut(m) {
            c.reply.buf.extend_from_slice(line.as_bytes());
        }
    }
    for m in srv.monitors.clone() {
        crate::server::client_io::queue_write(srv, m);
    }
}

/// Redis's sdscatrepr: a double-quoted string with C escapes and `\xhh` for the rest.
pub fn repr(s: &[u8]) -> String {
    let mut out = String::with_capacity(s.len() + 2);
    out.push('"');
    for &b in s {
        match b {
            b'\\' => out.push_str("\\\\"),
            b'"' => out.push_str("\\\""),
            b'\n' => out.push_str("\\n"),
            b'\r' => out.push_str("\\r"),
            b'\t' => out.push_str("\\t"),
            0x07 => out.push_str("\\a"),
            0x08 => out.push_str("\\b"),
            0x20..=0x7e => out.push(b as char),
            _ => out.push_str(&format!("\\x{b:02x}")),
        }
    }
    out.push('"');
    out
}
