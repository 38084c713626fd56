//! The command table: one static list binds each command name to its handler; the metadata
//! (arity, flags, key specs, ACL categories, documentation) comes from `meta.rs`, generated
//! from a real Redis 7.0 (tools/gen_command_meta.py). Together they drive dispatch, arity
//! errors, COMMAND, COMMAND INFO / DOCS / LIST / GETKEYS and redis-cli's hints.

use std::collections::HashMap;
use std::sync::OnceLock;

use super::{
    bits, blocking, client, config, connection, expire, hash, introspection, keys, lcs, list,
    list_move, persistence, server, set, sort, string, transaction, zset, zset_ops, zset_range,
    Ctx,
};
use crate::protocol::reply::Reply;
use crate::store::hash::FastState;

/// A command implementation: gets the context and the whole argv (name included).
pub type Handler = fn(&mut Ctx, &[&[u8]]);

/// Every implemented command and subcommand (`container|sub`), bound to its handler.
/// tools/gen_command_meta.py reads the names from here.
pub static HANDLERS: &[(&str, Handler)] = &[
    // connection
    ("auth", connection::auth),
    ("client|getname", client::getname),
    ("client|help", client::help),
    ("client|id", client::id),
    ("client|info", client::info),
    ("client|kill", client::kill),
    ("client|list", client::list),
    ("client|no-evict", client::no_evict),
    ("client|pause", client::pause),
    ("client|reply", client::reply),
    ("client|setname", client::setname),
    ("client|unblock", client::unblock),
    ("client|unpause", client::unpause),
    ("echo", connection::echo),
    ("hello", connection::hello),
    ("ping", connection::ping),
    ("quit", connection::quit),
    ("reset", connection::reset),
    ("select", connection::select),
    // server
    ("command", introspection::command),
    ("command|count", introspection::count),
    ("command|docs", introspection::docs),
    ("command|getkeys", introspection::getkeys),
    ("command|getkeysandflags", introspection::getkeysandflags),
    ("command|help", introspection::help),
    ("command|info", introspection::info),
    ("command|list", introspection::list),
    ("config|get", config::get),
    ("config|help", config::help),
    ("config|resetstat", config::resetstat),
    ("config|rewrite", config::rewrite),
    ("config|set", config::set),
    ("dbsize", server::dbsize),
    ("debug", server::debug),
    ("flushall", server::flushall),
    ("flushdb", server::flushdb),
    ("info", super::info::info),
    ("bgsave", persistence::bgsave),
    ("lastsave", persistence::lastsave),
    ("monitor", server::monitor),
    ("save", persistence::save),
    ("shutdown", server::shutdown),
    ("slowlog|get", server::slowlog_get),
    ("slowlog|help", server::slowlog_help),
    ("slowlog|len", server::slowlog_len),
    ("slowlog|reset", server::slowlog_reset),
    ("swapdb", server::swapdb),
    ("time", server::time),
    ("wait", server::wait),
    // keys
    ("copy", keys::copy),
    ("del", keys::del),
    ("exists", keys::exists),
    ("expire", expire::expire),
    ("expireat", expire::expireat),
    ("expiretime", expire::expiretime),
    ("keys", keys::keys),
    ("memory|help", keys::memory_help),
    ("memory|usage", keys::memory_usage),
    ("memory|purge", keys::memory_purge),
    ("move", keys::move_),
    ("object|encoding", keys::object_encoding),
    ("object|freq", keys::object_freq),
    ("object|help", keys::object_help),
    ("object|idletime", keys::object_idletime),
    ("object|refcount", keys::object_refcount),
    ("persist", expire::persist),
    ("pexpire", expire::pexpire),
    ("pexpireat", expire::pexpireat),
    ("pexpiretime", expire::pexpiretime),
    ("pttl", expire::pttl),
    ("randomkey", keys::randomkey),
    ("rename", keys::rename),
    ("renamenx", keys::renamenx),
    ("scan", keys::scan),
    ("touch", keys::touch),
    ("ttl", expire::ttl),
    ("type", keys::type_),
    ("unlink", keys::unlink),
    // strings
    ("append", string::append),
    ("decr", string::decr),
    ("decrby", string::decrby),
    ("get", string::get),
    ("getdel", string::getdel),
    ("getex", string::getex),
    ("getrange", string::getrange),
    ("getset", string::getset),
    ("incr", string::incr),
    ("incrby", string::incrby),
    ("incrbyfloat", string::incrbyfloat),
    ("mget", string::mget),
    ("mset", string::mset),
    ("msetnx", string::msetnx),
    ("psetex", string::psetex),
    ("set", string::set),
    ("setex", string::setex),
    ("setnx", string::setnx),
    ("setrange", string::setrange),
    ("strlen", string::strlen),
    ("substr", string::getrange),
    // hashes
    ("hdel", hash::hdel),
    ("hexists", hash::hexists),
    ("hget", hash::hget),
    ("hgetall", hash::hgetall),
    ("hincrby", hash::hincrby),
    ("hincrbyfloat", hash::hincrbyfloat),
    ("hkeys", hash::hkeys),
    ("hlen", hash::hlen),
    ("hmget", hash::hmget),
    ("hmset", hash::hmset),
    ("hrandfield", hash::hrandfield),
    ("hscan", hash::hscan),
    ("hset", hash::hset),
    ("hsetnx", hash::hsetnx),
    ("hstrlen", hash::hstrlen),
    ("hvals", hash::hvals),
    // sets
    ("sadd", set::sadd),
    ("scard", set::scard),
    ("sdiff", set::sdiff),
    ("sdiffstore", set::sdiffstore),
    ("sinter", set::sinter),
    ("sintercard", set::sintercard),
    ("sinterstore", set::sinterstore),
    ("sismember", set::sismember),
    ("smembers", set::smembers),
    ("smismember", set::smismember),
    ("smove", set::smove),
    ("spop", set::spop),
    ("srandmember", set::srandmember),
    ("srem", set::srem),
    ("sscan", set::sscan),
    ("sunion", set::sunion),
    ("sunionstore", set::sunionstore),
    // sort
    ("sort", sort::sort),
    ("sort_ro", sort::sort_ro),
    // sorted sets
    ("zadd", zset::zadd),
    ("zcard", zset::zcard),
    ("zcount", zset::zcount),
    ("zdiff", zset_ops::zdiff),
    ("zdiffstore", zset_ops::zdiffstore),
    ("zincrby", zset::zincrby),
    ("zinter", zset_ops::zinter),
    ("zintercard", zset_ops::zintercard),
    ("zinterstore", zset_ops::zinterstore),
    ("zlexcount", zset::zlexcount),
    ("zmpop", zset::zmpop),
    ("zmscore", zset::zmscore),
    ("zpopmax", zset::zpopmax),
    ("zpopmin", zset::zpopmin),
    ("zrandmember", zset::zrandmember),
    ("zrange", zset_range::zrange),
    ("zrangebylex", zset_range::zrangebylex),
    ("zrangebyscore", zset_range::zrangebyscore),
    ("zrangestore", zset_range::zrangestore),
    ("zrank", zset::zrank),
    ("zrem", zset::zrem),
    ("zremrangebylex", zset::zremrangebylex),
    ("zremrangebyrank", zset::zremrangebyrank),
    ("zremrangebyscore", zset::zremrangebyscore),
    ("zrevrange", zset_range::zrevrange),
    ("zrevrangebylex", zset_range::zrevrangebylex),
    ("zrevrangebyscore", zset_range::zrevrangebyscore),
    ("zrevrank", zset::zrevrank),
    ("zscan", zset::zscan),
    ("zscore", zset::zscore),
    ("zunion", zset_ops::zunion),
    ("zunionstore", zset_ops::zunionstore),
    // bits and LCS
    ("bitcount", bits::bitcount),
    ("bitfield", bits::bitfield),
    ("bitfield_ro", bits::bitfield_ro),
    ("bitop", bits::bitop),
    ("bitpos", bits::bitpos),
    ("getbit", bits::getbit),
    ("lcs", lcs::lcs_command),
    ("setbit", bits::setbit),
    // lists
    ("lindex", list::lindex),
    ("linsert", list::linsert),
    ("llen", list::llen),
    ("lmove", list_move::lmove),
    ("lmpop", list_move::lmpop),
    ("multi", transaction::multi),
    ("exec", transaction::exec),
    ("discard", transaction::discard),
    ("watch", transaction::watch),
    ("unwatch", transaction::unwatch),
    ("blpop", blocking::blpop),
    ("brpop", blocking::brpop),
    ("blmove", blocking::blmove),
    ("brpoplpush", blocking::brpoplpush),
    ("blmpop", blocking::blmpop),
    ("bzpopmin", blocking::bzpopmin),
    ("bzpopmax", blocking::bzpopmax),
    ("bzmpop", blocking::bzmpop),
    ("lpop", list::lpop),
    ("lpos", list::lpos),
    ("lpush", list::lpush),
    ("lpushx", list::lpushx),
    ("lrange", list::lrange),
    ("lrem", list::lrem),
    ("lset", list::lset),
    ("ltrim", list::ltrim),
    ("rpop", list::rpop),
    ("rpoplpush", list_move::rpoplpush),
    ("rpush", list::rpush),
    ("rpushx", list::rpushx),
];

/// Commands redust has that Redis 7.0 does not (CLIENT SETINFO and NO-TOUCH arrived in 7.2;
/// clients such as go-redis send SETINFO on every connection). Their metadata is written
/// here by hand in Redis 7.2's shape.
pub static EXTRA_SUBCOMMANDS: &[(&str, Handler, i64, &str)] = &[
    (
        "client|setinfo",
        client::setinfo,
        4,
        "Sets information specific to the client or connection.",
    ),
    (
        "client|no-touch",
        client::no_touch,
        3,
        "Controls whether commands sent by the client affect the LRU/LFU of accessed keys.",
    ),
];

/// A reply tree, as stored for COMMAND INFO and COMMAND DOCS.
#[derive(Debug)]
pub enum Doc {
    Simple(&'static str),
    Bulk(&'static str),
    Int(i64),
    Null,
    Array(&'static [Doc]),
    Set(&'static [Doc]),
    Map(&'static [(Doc, Doc)]),
}

impl Doc {
    /// Writes the tree, downgraded for RESP2 clients.
    pub fn write(&self, out: &mut Reply) {
        match self {
            Doc::Simple(s) => out.simple(s),
            Doc::Bulk(s) => out.bulk_str(s),
            Doc::Int(i) => out.int(*i),
            Doc::Null => out.null(),
            Doc::Array(v) => {
                out.array(v.len());
                v.iter().for_each(|d| d.write(out));
            }
            Doc::Set(v) => {
                out.set(v.len());
                v.iter().for_each(|d| d.write(out));
            }
            Doc::Map(v) => {
                out.map(v.len());
                for (k, d) in v.iter() {
                    k.write(out);
                    d.write(out);
                }
            }
        }
    }

    /// The value under `key` in a map.
    pub fn get(&self, key: &str) -> Option<&'static Doc> {
        match self {
            Doc::Map(v) => v.iter().find_map(|(k, d)| match k {
                Doc::Bulk(s) | Doc::Simple(s) if *s == key => Some(d),
                _ => None,
            }),
            _ => None,
        }
    }

    /// The elements of an array or set.
    pub fn items(&self) -> &'static [Doc] {
        match self {
            Doc::Array(v) | Doc::Set(v) => v,
            _ => &[],
        }
    }

    pub fn as_int(&self) -> Option<i64> {
        match self {
            Doc::Int(i) => Some(*i),
            _ => None,
        }
    }

    pub fn as_str(&self) -> Option<&'static str> {
        match self {
            Doc::Bulk(s) | Doc::Simple(s) => Some(s),
            _ => None,
        }
    }
}

// Command flags, as COMMAND INFO names them.
pub const WRITE: u32 = 1 << 0;
pub const READONLY: u32 = 1 << 1;
pub const DENYOOM: u32 = 1 << 2;
pub const ADMIN: u32 = 1 << 3;
pub const PUBSUB: u32 = 1 << 4;
pub const NOSCRIPT: u32 = 1 << 5;
pub const BLOCKING: u32 = 1 << 6;
pub const LOADING: u32 = 1 << 7;
pub const STALE: u32 = 1 << 8;
pub const SKIP_MONITOR: u32 = 1 << 9;
pub const SKIP_SLOWLOG: u32 = 1 << 10;
pub const FAST: u32 = 1 << 11;
pub const NO_AUTH: u32 = 1 << 12;
pub const MAY_REPLICATE: u32 = 1 << 13;
pub const NO_MANDATORY_KEYS: u32 = 1 << 14;
pub const PROTECTED: u32 = 1 << 15;
pub const NO_MULTI: u32 = 1 << 16;
pub const MOVABLEKEYS: u32 = 1 << 17;
pub const ALLOW_BUSY: u32 = 1 << 18;

fn flag_bit(name: &str) -> u32 {
    match name {
        "write" => WRITE,
        "readonly" => READONLY,
        "denyoom" => DENYOOM,
        "admin" => ADMIN,
        "pubsub" => PUBSUB,
        "noscript" => NOSCRIPT,
        "blocking" => BLOCKING,
        "loading" => LOADING,
        "stale" => STALE,
        "skip_monitor" => SKIP_MONITOR,
        "skip_slowlog" => SKIP_SLOWLOG,
        "fast" => FAST,
        "no_auth" => NO_AUTH,
        "may_replicate" => MAY_REPLICATE,
        "no_mandatory_keys" => NO_MANDATORY_KEYS,
        "protected" => PROTECTED,
        "no_multi" => NO_MULTI,
        "movablekeys" => MOVABLEKEYS,
        "allow_busy" => ALLOW_BUSY,
        _ => 0,
    }
}

/// One dispatchable command.
#[derive(Debug)]
pub struct Command {
    /// Full lowercase name: `get`, `client|list`.
    pub name: &'static str,
    /// Index of the command's counters in `Stats::commandstats` and of its name in
    /// `Table::names`.
    pub id: usize,
    pub arity: i32,
    pub flags: u32,
    /// The COMMAND INFO entry.
    pub info: &'static Doc,
    /// The COMMAND DOCS value.
    pub docs: &'static Doc,
    pub handler: Handler,
    /// Subcommands by lowercase name (without the container prefix).
    pub subcommands: HashMap<&'static [u8], Command, FastState>,
}

impl Command {
    /// Keys (with their key-spec flags) this call would touch, from the key specs.
    pub fn keys<'a>(&self, argv: &[&'a [u8]]) -> Vec<(&'a [u8], &'static Doc)> {
        let mut out = Vec::new();
        let specs = self.info.items().get(8).map(Doc::items).unwrap_or(&[]);
        if self.name == "sort" {
            // SORT's STORE spec is "unknown" (the keyword may be anywhere); Redis finds it
            // with a procedure of its own, and so does redust. Its BY/GET spec names keys
            // that only the data can tell, so GETKEYS leaves them out.
            let flags = |i: usize| specs.get(i).and_then(|s| s.get("flags"));
            if let (Some(&key), Some(f)) = (argv.get(1), flags(0)) {
                out.push((key, f));
            }
            if let (Some(i), Some(f)) = (super::sort_args::store_key_position(argv), flags(2)) {
                out.push((argv[i], f));
            }
            return out;
        }
        for spec in specs {
            let flags = spec.get("flags").unwrap_or(&Doc::Null);
            let Some(begin) = spec.get("begin_search") else {
                continue;
            };
            let Some(find) = spec.get("find_keys") else {
                continue;
            };
            let bspec = begin.get("spec").unwrap_or(&Doc::Null);
            let start = match begin.get("type").and_then(Doc::as_str) {
                Some("index") => bspec.get("index").and_then(Doc::as_int).unwrap_or(0),
                Some("keyword") => {
                    let kw = bspec.get("keyword").and_then(Doc::as_str).unwrap_or("");
                    let from = bspec.get("startfrom").and_then(Doc::as_int).unwrap_or(1);
                    let n = argv.len() as i64;
                    let positions: Vec<i64> = if from >= 0 {
                        (from..n).collect()
                    } else {
                        (1..=(n + from)).rev().collect()
                    };
                    match positions
                        .into_iter()
                        .find(|&i| super::is(argv[i as usize], kw))
                    {
                        Some(i) => i + 1,
                        None => continue,
                    }
                }
                _ => continue,
            };
            let fspec = find.get("spec").unwrap_or(&Doc::Null);
            let field =
                |name: &str, default: i64| fspec.get(name).and_then(Doc::as_int).unwrap_or(default);
            let n = argv.len() as i64;
            let (begin_at, last, step) = match find.get("type").and_then(Doc::as_str) {
                Some("range") => {
                    let (lastkey, limit) = (field("lastkey", 0), field("limit", 0));
                    let last = if lastkey >= 0 {
                        start + lastkey
                    } else if limit == 0 {
                        n + lastkey
                    } else {
                        start + ((n - start) / limit + lastkey)
                    };
                    (start, last, field("keystep", 1).max(1))
                }
                Some("keynum") => {
                    let count = argv
                        .get((start + field("keynumidx", 0)) as usize)
                        .and_then(|a| crate::protocol::parse::parse_i64(a))
                        .unwrap_or(0)
                        .max(0);
                    let step = field("keystep", 1).max(1);
                    let first_at = start + field("firstkey", 1);
                    (first_at, first_at + (count - 1) * step, step)
                }
                _ => continue,
            };
            let mut i = begin_at;
            while i <= last && i < n && i >= 1 {
                out.push((argv[i as usize], flags));
                i += step;
            }
        }
        out
    }
}

/// The table, built once from HANDLERS and META.
pub struct Table {
    /// By name, as bytes: lookups use the lowercased argument without a UTF-8 check.
    pub commands: HashMap<&'static [u8], Command, FastState>,
    /// Full command names by [`Command::id`].
    pub names: Vec<&'static str>,
}

static TABLE: OnceLock<Table> = OnceLock::new();

/// The command table.
pub fn table() -> &'static Table {
    TABLE.get_or_init(build)
}

fn command_from_info(
    names: &mut Vec<&'static str>,
    name: &'static str,
    info: &'static Doc,
    docs: &'static Doc,
    handler: Handler,
) -> Command {
    let fields = info.items();
    let arity = fields.get(1).and_then(Doc::as_int).unwrap_or(-1) as i32;
    let flags = fields
        .get(2)
        .map(|f| {
            f.items()
                .iter()
                .filter_map(Doc::as_str)
                .map(flag_bit)
                .fold(0, |a, b| a | b)
        })
        .unwrap_or(0);
    names.push(name);
    Command {
        name,
        id: names.len() - 1,
        arity,
        flags,
        info,
        docs,
        handler,
        subcommands: HashMap::default(),
    }
}

fn build() -> Table {
    let handler_of = |name: &str| HANDLERS.iter().find(|(n, _)| *n == name).map(|(_, h)| *h);
    let mut commands = HashMap::default();
    let mut names = Vec::new();
    for (name, info, docs) in super::meta::META {
        let handler = handler_of(name).unwrap_or(no_subcommand);
        let mut cmd = command_from_info(&mut names, name, info, docs, handler);
        let sub_docs = docs.get("subcommands");
        if let Some(subs) = info.items().get(9) {
            for sub in subs.items() {
                let full = sub.items()[0].as_str().expect("subcommand name");
                let short = &full[full.find('|').map_or(0, |i| i + 1)..];
                let doc = sub_docs.and_then(|d| d.get(full)).unwrap_or(&Doc::Null);
                let handler = handler_of(full).unwrap_or_else(|| panic!("no handler for {full}"));
                cmd.subcommands.insert(
                    short.as_bytes(),
                    command_from_info(&mut names, full, sub, doc, handler),
                );
            }
        }
        commands.insert(name.as_bytes(), cmd);
    }
    for (full, handler, arity, summary) in EXTRA_SUBCOMMANDS {
        let (top, short) = full.split_once('|').expect("container|sub");
        let info: &'static Doc = Box::leak(Box::new(extra_info(full, *arity)));
        let docs: &'static Doc = Box::leak(Box::new(extra_docs(summary)));
        if let Some(parent) = commands.get_mut(top.as_bytes()) {
            let mut cmd = command_from_info(&mut names, full, info, docs, *handler);
            cmd.flags = NOSCRIPT | LOADING | STALE;
            parent.subcommands.insert(short.as_bytes(), cmd);
        }
    }
    Table { commands, names }
}

fn extra_info(full: &'static str, arity: i64) -> Doc {
    Doc::Array(Box::leak(Box::new([
        Doc::Bulk(full),
        Doc::Int(arity),
        Doc::Set(&[
            Doc::Simple("noscript"),
            Doc::Simple("loading"),
            Doc::Simple("stale"),
        ]),
        Doc::Int(0),
        Doc::Int(0),
        Doc::Int(0),
        Doc::Set(&[Doc::Simple("@slow"), Doc::Simple("@connection")]),
        Doc::Set(&[]),
        Doc::Array(&[]),
        Doc::Array(&[]),
    ])))
}

fn extra_docs(summary: &'static str) -> Doc {
    Doc::Map(Box::leak(Box::new([
        (Doc::Bulk("summary"), Doc::Bulk(summary)),
        (Doc::Bulk("since"), Doc::Bulk("7.2.0")),
        (Doc::Bulk("group"), Doc::Bulk("connection")),
        (Doc::Bulk("complexity"), Doc::Bulk("O(1)")),
    ])))
}

/// Never reached: a container's arity requires a subcommand, and unknown subcommands are
/// rejected before dispatch.
fn no_subcommand(ctx: &mut Ctx, argv: &[&[u8]]) {
    let _ = argv;
    ctx.out.err("unknown subcommand");
}

/// Names are at most this long; longer ones cannot be commands.
const MAX_NAME: usize = 32;

fn lowercase(name: &[u8], buf: &mut [u8; MAX_NAME]) -> Option<usize> {
    if name.len() > MAX_NAME {
        return None;
    }
    for (d, s) in buf.iter_mut().zip(name) {
        *d = s.to_ascii_lowercase();
    }
    Some(name.len())
}

/// Top-level commands grouped by name length and first letter: a lookup compares a
/// handful of names in place, without lowercasing a copy and hashing it.
struct Shapes(Vec<Vec<&'static Command>>);

fn shape_of(name: &[u8]) -> Option<usize> {
    let first = *name.first()?;
    (name.len() <= MAX_NAME).then(|| name.len() * 32 + usize::from(first.to_ascii_lowercase() % 32))
}

fn shapes() -> &'static Shapes {
    static SHAPES: OnceLock<Shapes> = OnceLock::new();
    SHAPES.get_or_init(|| {
        let mut by_shape = vec![Vec::new(); (MAX_NAME + 1) * 32];
        for cmd in table().commands.values() {
            if let Some(i) = shape_of(cmd.name.as_bytes()) {
                by_shape[i].push(cmd);
            }
        }
        Shapes(by_shape)
    })
}

/// The top-level command named `name` (any case).
pub fn lookup_name(name: &[u8]) -> Option<&'static Command> {
    let bucket = &shapes().0[shape_of(name)?];
    bucket
        .iter()
        .find(|c| c.name.as_bytes().eq_ignore_ascii_case(name))
        .copied()
}

/// The command (or subcommand) argv calls, and whether it is a subcommand. A container
/// called with an unknown subcommand gives None.
pub fn lookup(argv: &[&[u8]]) -> Option<(&'static Command, bool)> {
    let cmd = lookup_name(argv[0])?;
    if cmd.subcommands.is_empty() || argv.len() < 2 {
        return Some((cmd, false));
    }
    let mut buf = [0u8; MAX_NAME];
    let n = lowercase(argv[1], &mut buf)?;
    cmd.subcommands.get(&buf[..n]).map(|c| (c, true))
}

/// Looks up `name` or `container|sub` (COMMAND INFO / DOCS / GETKEYS take either).
pub fn lookup_full(name: &[u8]) -> Option<&'static Command> {
    match name.iter().position(|&b| b == b'|') {
        Some(i) => lookup(&[&name[..i], &name[i + 1..]])
            .filter(|(_, sub)| *sub)
            .map(|(c, _)| c),
        None => lookup_name(name),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_handler_has_metadata() {
        let t = table();
        for (name, _) in HANDLERS {
            assert!(
                lookup_full(name.as_bytes()).is_some(),
                "{name} has no metadata"
            );
        }
        assert!(t.commands.contains_key(&b"get"[..]));
    }

    #[test]
    fn keys_from_specs() {
        let set = lookup_name(b"set").unwrap();
        let keys = set.keys(&[b"set", b"k", b"v"]);
        assert_eq!(keys.len(), 1);
        assert_eq!(keys[0].0, b"k");
        let del = lookup_name(b"del").unwrap();
        assert_eq!(del.keys(&[b"del", b"a", b"b"]).len(), 2);
    }
}
