//! Generic key commands: DEL UNLINK EXISTS TYPE KEYS SCAN RANDOMKEY RENAME RENAMENX COPY
//! MOVE TOUCH OBJECT MEMORY USAGE.

use super::{int_arg, is, Ctx};
use crate::protocol::reply::DeferredKind;
use crate::store::{Event, RString, Ttl, Value};
use crate::util::glob;

/// DEL key [key ...]
pub fn del(ctx: &mut Ctx, argv: &[&[u8]]) {
    let mut removed = 0;
    for key in &argv[1..] {
        if ctx.store.delete(ctx.db, key) {
            removed += 1;
        }
    }
    ctx.out.int(removed);
}

/// UNLINK key [key ...]: DEL; memory is freed at once here, as values are freed in O(size)
/// by the allocator without blocking anyone else for long.
pub fn unlink(ctx: &mut Ctx, argv: &[&[u8]]) {
    del(ctx, argv);
}

/// EXISTS key [key ...]: counts repeated keys repeatedly, as Redis does. A hit or miss is
/// counted, but the keys' access time is left alone (Redis's LOOKUP_NOTOUCH).
pub fn exists(ctx: &mut Ctx, argv: &[&[u8]]) {
    let n = argv[1..]
        .iter()
        .filter(|key| ctx.store.lookup_peek(ctx.db, key).is_some())
        .count();
    ctx.out.int(n as i64);
}

/// TOUCH key [key ...]: EXISTS that is meant for its side effect (the access time).
pub fn touch(ctx: &mut Ctx, argv: &[&[u8]]) {
    let n = argv[1..]
        .iter()
        .filter(|key| ctx.store.lookup_read(ctx.db, key).is_some())
        .count();
    ctx.out.int(n as i64);
}

/// TYPE key
pub fn type_(ctx: &mut Ctx, argv: &[&[u8]]) {
    let name = ctx
        .store
        .lookup_peek(ctx.db, argv[1])
        .map_or("none", |v| v.type_name());
    ctx.out.simple(name);
}

/// KEYS pattern
pub fn keys(ctx: &mut Ctx, argv: &[&[u8]]) {
    let now = ctx.now_ms();
    let db = ctx.store.db(ctx.db);
    let all = argv[1] == b"*";
    // The length is known once every key is written, as Redis's deferred reply (which
    // output limits count whole: see Reply::list_from).
    let at = ctx.out.begin_deferred();
    let mut n = 0;
    for k in db
        .keys()
        .filter(|k| (all || glob::matches(argv[1], k)) && !db.is_expired(k, now))
    {
        ctx.out.bulk(k);
        n += 1;
    }
    ctx.out.end_deferred(at, DeferredKind::Array, n);
}

/// SCAN cursor [MATCH pattern] [COUNT count] [TYPE type]
pub fn scan(ctx: &mut Ctx, argv: &[&[u8]]) {
    let Some(cursor) = parse_cursor(argv[1]) else {
        ctx.out.err("invalid cursor");
        return;
    };
    let mut pattern: Option<&[u8]> = None;
    let mut count: i64 = 10;
    let mut type_filter: Option<Vec<u8>> = None;
    let mut i = 2;
    while i < argv.len() {
        let Some(&value) = argv.get(i + 1) else {
            return ctx.syntax_error();
        };
        if is(argv[i], "match") {
            pattern = Some(value);
        } else if is(argv[i], "count") {
            let Some(n) = int_arg(ctx.out, value) else {
                return;
            };
            if n < 1 {
                return ctx.syntax_error();
            }
            count = n;
        } else if is(argv[i], "type") {
            type_filter = Some(value.to_ascii_lowercase());
        } else {
            return ctx.syntax_error();
        }
        i += 2;
    }
    // Visit buckets until `count` keys were gathered (or ten times as many buckets as that,
    // so sparse tables do bounded work per call), like Redis.
    let db = ctx.store.db(ctx.db);
    let mut found: Vec<Vec<u8>> = Vec::new();
    let mut cursor = cursor;
    let mut max_buckets = count.saturating_mul(10);
    loop {
        cursor = db.scan(cursor, |k, v| {
            let type_ok = type_filter
                .as_deref()
                .is_none_or(|t| t == v.type_name().as_bytes());
            if type_ok {
                found.push(k.to_vec());
            }
        });
        max_buckets -= 1;
        if cursor == 0 || max_buckets <= 0 || found.len() as i64 >= count {
            break;
        }
    }
    // Filtering by pattern and expiry happens after collection, as in Redis.
    let mut keys = Vec::with_capacity(found.len());
    for k in found {
        if pattern.is_some_and(|p| !glob::matches(p, &k)) {
            continue;
        }
        if ctx.store.expire_if_needed(ctx.db, &k) {
            continue;
        }
        keys.push(k);
    }
    ctx.out.array(2);
    ctx.out.bulk(cursor.to_string().as_bytes());
    ctx.out.array(keys.len());
    for k in keys {
        ctx.out.bulk(&k);
    }
}

/// The options of HSCAN / SSCAN / ZSCAN after the cursor: MATCH and COUNT (TYPE belongs to
/// SCAN alone). Returns the pattern (None for none or `*`) and the count; on a bad option
/// replies Redis's error and returns None.
pub fn collection_scan_options<'a>(
    ctx: &mut Ctx,
    argv: &[&'a [u8]],
) -> Option<(Option<&'a [u8]>, i64)> {
    let mut pattern: Option<&[u8]> = None;
    let mut count: i64 = 10;
    let mut i = 3;
    while i < argv.len() {
        let Some(&value) = argv.get(i + 1) else {
            ctx.syntax_error();
            return None;
        };
        if is(argv[i], "match") {
            pattern = Some(value);
        } else if is(argv[i], "count") {
            let n = int_arg(ctx.out, value)?;
            if n < 1 {
                ctx.syntax_error();
                return None;
            }
            count = n;
        } else {
            ctx.syntax_error();
            return None;
        }
        i += 2;
    }
    Some((pattern.filter(|p| *p != b"*"), count))
}

/// The reply of a collection scan: the next cursor and the flat list of items.
pub fn scan_reply(ctx: &mut Ctx, cursor: u64, items: &[Vec<u8>]) {
    ctx.out.array(2);
    ctx.out.bulk(cursor.to_string().as_bytes());
    ctx.out.array(items.len());
    for it in items {
        ctx.out.bulk(it);
    }
}

/// A SCAN cursor as C's strtoul reads it: optional sign (a negative number wraps), digits,
/// nothing else; an empty string is 0.
pub fn parse_cursor(arg: &[u8]) -> Option<u64> {
    let (neg, digits) = match arg.split_first() {
        Some((b'-', d)) => (true, d),
        Some((b'+', d)) => (false, d),
        _ => (false, arg),
    };
    let mut v: u64 = 0;
    for &c in digits {
        if !c.is_ascii_digit() {
            return None;
        }
        v = v.checked_mul(10)?.checked_add(u64::from(c - b'0'))?;
    }
    Some(if neg { v.wrapping_neg() } else { v })
}

/// RANDOMKEY
pub fn randomkey(ctx: &mut Ctx, _argv: &[&[u8]]) {
    // Expired keys found are deleted and another is drawn; if every key has a deadline,
    // give up after a while, as Redis does.
    for _ in 0..100 {
        let db = ctx.db;
        let Some(key) = ctx.store.random_key(db) else {
            break;
        };
        if !ctx.store.expire_if_needed(db, &key) {
            ctx.out.bulk(&key);
            return;
        }
    }
    ctx.out.null();
}

/// RENAME / RENAMENX: moves a value (and its deadline) to another name.
fn rename_generic(ctx: &mut Ctx, argv: &[&[u8]], only_if_new: bool) {
    let (src, dst) = (argv[1], argv[2]);
    if ctx.store.lookup_write(ctx.db, src).is_none() {
        ctx.out.err("no such key");
        return;
    }
    if src == dst {
        if only_if_new {
            ctx.out.int(0);
        } else {
            ctx.out.ok();
        }
        return;
    }
    if only_if_new && ctx.store.exists(ctx.db, dst) {
        ctx.out.int(0);
        return;
    }
    let (value, ttl) = ctx
        .store
        .take(ctx.db, src, Event::RenameFrom)
        .expect("checked above");
    ctx.store.delete_quietly(ctx.db, dst);
    ctx.store
        .insert(ctx.db, dst, value, ttl, Event::RenameTo, 1);
    if only_if_new {
        ctx.out.int(1);
    } else {
        ctx.out.ok();
    }
}

/// RENAME key newkey
pub fn rename(ctx: &mut Ctx, argv: &[&[u8]]) {
    rename_generic(ctx, argv, false);
}

/// RENAMENX key newkey
pub fn renamenx(ctx: &mut Ctx, argv: &[&[u8]]) {
    rename_generic(ctx, argv, true);
}

/// Parses a database index argument with Redis's two errors.
fn db_index(ctx: &mut Ctx, arg: &[u8]) -> Option<usize> {
    let n = int_arg(ctx.out, arg)?;
    if n < 0 || n >= ctx.store.db_count() as i64 || i32::try_from(n).is_err() {
        ctx.out.err("DB index is out of range");
        return None;
    }
    Some(n as usize)
}

/// COPY source destination [DB destination-db] [REPLACE]
pub fn copy(ctx: &mut Ctx, argv: &[&[u8]]) {
    let (src, dst) = (argv[1], argv[2]);
    let mut target_db = ctx.db;
    let mut replace = false;
    let mut i = 3;
    while i < argv.len() {
        if is(argv[i], "replace") {
            replace = true;
        } else if is(argv[i], "db") && i + 1 < argv.len() {
            let Some(n) = db_index(ctx, argv[i + 1]) else {
                return;
            };
            target_db = n;
            i += 1;
        } else {
            return ctx.syntax_error();
        }
        i += 1;
    }
    if src == dst && target_db == ctx.db {
        ctx.out.err("source and destination objects are the same");
        return;
    }
    let Some(value) = ctx.store.lookup_write(ctx.db, src).map(|v| v.clone()) else {
        ctx.out.int(0);
        return;
    };
    let deadline = ctx.store.db(ctx.db).deadline(src);
    if ctx.store.exists(target_db, dst) {
        if !replace {
            ctx.out.int(0);
            return;
        }
        ctx.store.delete_quietly(target_db, dst);
    }
    let ttl = deadline.map_or(Ttl::Clear, Ttl::At);
    ctx.store
        .insert(target_db, dst, value, ttl, Event::CopyTo, 1);
    ctx.out.int(1);
}

/// MOVE key db
pub fn move_(ctx: &mut Ctx, argv: &[&[u8]]) {
    let key = argv[1];
    let Some(target) = db_index(ctx, argv[2]) else {
        return;
    };
    if target == ctx.db {
        ctx.out.err("source and destination objects are the same");
        return;
    }
    if ctx.store.lookup_write(ctx.db, key).is_none() || ctx.store.exists(target, key) {
        ctx.out.int(0);
        return;
    }
    let (value, ttl) = ctx
        .store
        .take(ctx.db, key, Event::MoveFrom)
        .expect("checked above");
    ctx.store.insert(target, key, value, ttl, Event::MoveTo, 1);
    ctx.out.int(1);
}

const LFU_SELECTED: &str = "An LFU maxmemory policy is selected, idle time not tracked. Please note that when switching between policies at runtime LRU and LFU data will take some time to adjust.";
const LFU_NOT_SELECTED: &str = "An LFU maxmemory policy is not selected, access frequency not tracked. Please note that when switching between policies at runtime LRU and LFU data will take some time to adjust.";

/// The value at `key` for OBJECT: counted as a hit or miss, the access time left alone.
fn peek<'a>(ctx: &'a mut Ctx, key: &[u8]) -> Option<&'a Value> {
    ctx.store.lookup_peek(ctx.db, key)
}

/// OBJECT ENCODING key
pub fn object_encoding(ctx: &mut Ctx, argv: &[&[u8]]) {
    match peek(ctx, argv[2]).map(Value::encoding) {
        Some(e) => ctx.out.bulk_str(e),
        None => ctx.out.null(),
    }
}

/// OBJECT REFCOUNT key: small integers are shared objects in Redis (refcount INT_MAX),
/// except under maxmemory with an LRU or LFU policy, where each key needs its own access
/// data. redust keeps that data per key in any case, so it answers by the configuration
/// in force now (Redis: the one in force when the value was stored).
pub fn object_refcount(ctx: &mut Ctx, argv: &[&[u8]]) {
    let policy = &ctx.srv.config.maxmemory_policy;
    let sharing =
        ctx.srv.config.maxmemory == 0 || !(policy.ends_with("-lru") || policy.ends_with("-lfu"));
    let shared =
        |v: &Value| sharing && matches!(v, Value::Str(RString::Int(n)) if (0..10_000).contains(n));
    match peek(ctx, argv[2]).map(shared) {
        Some(true) => ctx.out.int(i64::from(i32::MAX)),
        Some(false) => ctx.out.int(1),
        None => ctx.out.null(),
    }
}

/// OBJECT IDLETIME key
pub fn object_idletime(ctx: &mut Ctx, argv: &[&[u8]]) {
    if peek(ctx, argv[2]).is_none() {
        return ctx.out.null();
    }
    if ctx.srv.config.lfu_params().is_some() {
        return ctx.out.err(LFU_SELECTED);
    }
    let idle = ctx.store.db(ctx.db).idle_seconds(argv[2], ctx.store.now_ms);
    ctx.out.int(idle.unwrap_or(0) as i64);
}

/// OBJECT FREQ key
pub fn object_freq(ctx: &mut Ctx, argv: &[&[u8]]) {
    if peek(ctx, argv[2]).is_none() {
        return ctx.out.null();
    }
    let Some((_, decay)) = ctx.srv.config.lfu_params() else {
        return ctx.out.err(LFU_NOT_SELECTED);
    };
    let f = ctx
        .store
        .db(ctx.db)
        .frequency(argv[2], ctx.store.now_ms, decay);
    ctx.out.int(i64::from(f.unwrap_or(0)));
}

/// OBJECT HELP
pub fn object_help(ctx: &mut Ctx, _argv: &[&[u8]]) {
    super::server::help_reply(
        ctx,
        "OBJECT",
        &[
            "ENCODING <key>",
            "    Return the kind of internal representation used in order to store the value",
            "    associated with a <key>.",
            "FREQ <key>",
            "    Return the access frequency index of the <key>. The returned integer is",
            "    proportional to the logarithm of the recent access frequency of the key.",
            "IDLETIME <key>",
            "    Return the idle time of the <key>, that is the approximated number of",
            "    seconds elapsed since the last access to the key.",
            "REFCOUNT <key>",
            "    Return the number of references of the value associated with the specified",
            "    <key>.",
        ],
    );
}
