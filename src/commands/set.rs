//! Set commands: SADD SREM SMEMBERS SISMEMBER SMISMEMBER SCARD SPOP SRANDMEMBER SMOVE
//! SINTER SINTERCARD SINTERSTORE SUNION SUNIONSTORE SDIFF SDIFFSTORE SSCAN.

use super::hash::distinct_indexes;
use super::keys::{collection_scan_options, parse_cursor, scan_reply};
use super::{int_arg, is, Ctx};
use crate::protocol::parse::parse_i64;
use crate::store::types::Set;
use crate::store::{Event, Ttl, Value};
use crate::util::glob;

/// Members per SREM when SPOP with a count is propagated, as Redis batches them.
const SREM_BATCH: usize = 1024;

/// SADD key member [member ...]
pub fn sadd(ctx: &mut Ctx, argv: &[&[u8]]) {
    let limits = ctx.store.limits;
    let Ok(s) = ctx.write_or_create::<Set>(argv[1]) else {
        return;
    };
    let added = argv[2..].iter().filter(|m| s.insert(m, &limits)).count();
    if added > 0 {
        ctx.record(argv[1], Event::SAdd, added as u64);
    }
    ctx.out.int(added as i64);
}

/// SREM key member [member ...]
pub fn srem(ctx: &mut Ctx, argv: &[&[u8]]) {
    let removed = match ctx.write_as::<Set>(argv[1]) {
        Err(_) => return,
        Ok(None) => 0,
        Ok(Some(s)) => argv[2..].iter().filter(|m| s.remove(m)).count(),
    };
    if removed > 0 {
        ctx.record(argv[1], Event::SRem, removed as u64);
        ctx.remove_if_empty(argv[1]);
    }
    ctx.out.int(removed as i64);
}

/// Replies a set of members (an array in RESP2).
fn reply_members(ctx: &mut Ctx, members: &[Vec<u8>]) {
    ctx.out.set(members.len());
    for m in members {
        ctx.out.bulk(m);
    }
}

/// Replies an array of members.
fn reply_array(ctx: &mut Ctx, members: &[Vec<u8>]) {
    ctx.out.array(members.len());
    for m in members {
        ctx.out.bulk(m);
    }
}

/// SMEMBERS key
pub fn smembers(ctx: &mut Ctx, argv: &[&[u8]]) {
    let members = match ctx.read_as::<Set>(argv[1]) {
        Err(_) => return,
        Ok(s) => s.map(|s| s.members()).unwrap_or_default(),
    };
    reply_members(ctx, &members);
}

/// SISMEMBER key member
pub fn sismember(ctx: &mut Ctx, argv: &[&[u8]]) {
    if let Ok(s) = ctx.read_as::<Set>(argv[1]) {
        let found = s.is_some_and(|s| s.contains(argv[2]));
        ctx.out.int(i64::from(found));
    }
}

/// SMISMEMBER key member [member ...]
pub fn smismember(ctx: &mut Ctx, argv: &[&[u8]]) {
    let found: Vec<bool> = match ctx.read_as::<Set>(argv[1]) {
        Err(_) => return,
        Ok(s) => argv[2..]
            .iter()
            .map(|m| s.as_ref().is_some_and(|s| s.contains(m)))
            .collect(),
    };
    ctx.out.array(found.len());
    for f in found {
        ctx.out.int(i64::from(f));
    }
}

/// SCARD key
pub fn scard(ctx: &mut Ctx, argv: &[&[u8]]) {
    if let Ok(s) = ctx.read_as::<Set>(argv[1]) {
        let n = s.map_or(0, |s| s.len());
        ctx.out.int(n as i64);
    }
}

/// SPOP key [count]
pub fn spop(ctx: &mut Ctx, argv: &[&[u8]]) {
    if argv.len() > 3 {
        return ctx.syntax_error();
    }
    if argv.len() == 2 {
        let mut rng = ctx.store.rng.clone();
        let popped = match ctx.write_as::<Set>(argv[1]) {
            Err(_) => return,
            Ok(None) => None,
            Ok(Some(s)) => {
                let m = s.random(&mut rng).expect("sets are never empty");
                s.remove(&m);
                Some(m)
            }
        };
        ctx.store.rng = rng;
        let Some(m) = popped else {
            return ctx.out.null();
        };
        ctx.record(argv[1], Event::SPop, 1);
        ctx.remove_if_empty(argv[1]);
        // The member was drawn at random: a replica must remove the same one.
        ctx.rewrite_argv(&[b"SREM", argv[1], &m]);
        return ctx.out.bulk(&m);
    }
    let count = match parse_i64(argv[2]) {
        Some(n) if n >= 0 => n as u64,
        _ => return ctx.out.err("value is out of range, must be positive"),
    };
    let mut rng = ctx.store.rng.clone();
    let popped = match ctx.write_as::<Set>(argv[1]) {
        Err(_) => return,
        Ok(None) => Vec::new(),
        Ok(Some(_)) if count == 0 => Vec::new(),
        Ok(Some(s)) if count.saturating_mul(5) <= s.len() as u64 => {
            // Few of many: pop random members one by one (O(count), as Redis).
            let mut chosen = Vec::with_capacity(count as usize);
            for _ in 0..count {
                let m = s.random(&mut rng).expect("not empty");
                s.remove(&m);
                chosen.push(m);
            }
            chosen
        }
        Ok(Some(s)) => {
            let all = s.members();
            let chosen: Vec<Vec<u8>> = if count >= all.len() as u64 {
                all
            } else {
                distinct_indexes(all.len(), count as usize, &mut rng)
                    .into_iter()
                    .map(|i| all[i].clone())
                    .collect()
            };
            for m in &chosen {
                s.remove(m);
            }
            chosen
        }
    };
    ctx.store.rng = rng;
    if !popped.is_empty() {
        // Redis counts the writes asked for, not the members found.
        ctx.record(argv[1], Event::SPop, count);
        let emptied = ctx.remove_if_empty(argv[1]);
        // The members were drawn at random: a replica removes the same ones.
        if emptied {
            ctx.rewrite_argv(&[ctx.srv.deletion_command(), argv[1]]);
        } else {
            let batches = popped.chunks(SREM_BATCH).map(|chunk| {
                let mut cmd = vec![b"SREM".to_vec(), argv[1].to_vec()];
                cmd.extend(chunk.iter().cloned());
                cmd
            });
            ctx.replace_propagation(batches.collect());
        }
    }
    reply_members(ctx, &popped);
}

/// SRANDMEMBER key [count]
pub fn srandmember(ctx: &mut Ctx, argv: &[&[u8]]) {
    if argv.len() > 3 {
        return ctx.syntax_error();
    }
    let mut rng = ctx.store.rng.clone();
    if argv.len() == 2 {
        let pick = match ctx.read_as::<Set>(argv[1]) {
            Err(_) => return,
            Ok(s) => s.and_then(|s| s.random(&mut rng)),
        };
        ctx.store.rng = rng;
        return match pick {
            Some(m) => ctx.out.bulk(&m),
            None => ctx.out.null(),
        };
    }
    let Some(l) = int_arg(ctx.out, argv[2]) else {
        return;
    };
    if l == i64::MIN {
        return ctx.out.err(
            "value is out of range, value must between -9223372036854775807 and 9223372036854775807",
        );
    }
    if !super::random_count_streamed_ok(ctx.out, l) {
        return;
    }
    let picked: Vec<Vec<u8>> = match ctx.read_as::<Set>(argv[1]) {
        Err(_) => return,
        Ok(None) => Vec::new(),
        Ok(Some(_)) if l == 0 => Vec::new(),
        Ok(Some(_)) if l < 0 => {
            // Repetitions allowed: streamed, as a huge count is the client's to ask for.
            let (value, rng) = ctx.store.value_with_rng(ctx.db, argv[1]);
            let Some(Value::Set(s)) = value else {
                return;
            };
            let n = l.unsigned_abs() as usize;
            ctx.out.array(n);
            if n >= s.len() {
                // At least one pick per member: indexing a list of them costs less than
                // sampling the table each time, and is as uniform.
                let all = s.members();
                for i in 0..n {
                    if i % super::PICKS_PER_LIMIT_CHECK == 0 && ctx.out.over_limit() {
                        return;
                    }
                    ctx.out
                        .bulk(&all[(rng.next_u64() % all.len() as u64) as usize]);
                }
                return;
            }
            for i in 0..n {
                if i % super::PICKS_PER_LIMIT_CHECK == 0 && ctx.out.over_limit() {
                    return;
                }
                ctx.out.bulk(&s.random(rng).expect("not empty"));
            }
            return;
        }
        Ok(Some(s)) if (l as u64).saturating_mul(3) <= s.len() as u64 => {
            // Few of many: sample until enough distinct members (O(count), as Redis).
            let mut seen = std::collections::HashSet::new();
            while seen.len() < l as usize {
                seen.insert(s.random(&mut rng).expect("not empty"));
            }
            seen.into_iter().collect()
        }
        Ok(Some(s)) => {
            let all = s.members();
            if l as u64 >= all.len() as u64 {
                all
            } else {
                distinct_indexes(all.len(), l as usize, &mut rng)
                    .into_iter()
                    .map(|i| all[i].clone())
                    .collect()
            }
        }
    };
    ctx.store.rng = rng;
    reply_array(ctx, &picked);
}

/// SMOVE source destination member
pub fn smove(ctx: &mut Ctx, argv: &[&[u8]]) {
    let (src, dst, member) = (argv[1], argv[2], argv[3]);
    let in_src = match ctx.write_as::<Set>(src) {
        Err(_) => return,
        Ok(None) => return ctx.out.int(0),
        Ok(Some(s)) => s.contains(member),
    };
    if ctx.write_as::<Set>(dst).is_err() {
        return;
    }
    if src == dst {
        return ctx.out.int(i64::from(in_src));
    }
    if !in_src {
        return ctx.out.int(0);
    }
    if let Ok(Some(s)) = ctx.write_as::<Set>(src) {
        s.remove(member);
    }
    ctx.record(src, Event::SRem, 1);
    ctx.remove_if_empty(src);
    let limits = ctx.store.limits;
    // The destination changes only if it did not have the member yet.
    if let Ok(d) = ctx.write_or_create::<Set>(dst) {
        if d.insert(member, &limits) {
            ctx.record(dst, Event::SAdd, 1);
        }
    }
    ctx.out.int(1);
}

/// The set stored at `key` (already looked up and type-checked).
fn stored<'a>(ctx: &'a Ctx, key: &[u8]) -> Option<&'a Set> {
    match ctx.store.db(ctx.db).get(key) {
        Some(Value::Set(s)) => Some(s),
        _ => None,
    }
}

/// Stores `result` at `dst` (replacing any value, clearing its TTL), or deletes `dst` when
/// the result is empty; replies the size.
fn store_result(ctx: &mut Ctx, dst: &[u8], result: Set, event: Event) {
    let n = result.len();
    if n == 0 {
        ctx.store.delete(ctx.db, dst);
    } else {
        let value = Value::Set(Box::new(result));
        ctx.store.insert(ctx.db, dst, value, Ttl::Clear, event, 1);
    }
    ctx.out.int(n as i64);
}

/// What to do with an intersection.
enum InterMode<'a> {
    Reply,
    Store(&'a [u8]),
    /// SINTERCARD with its limit (0: none).
    Card(usize),
}

/// SINTER / SINTERSTORE / SINTERCARD over `keys`.
fn inter(ctx: &mut Ctx, keys: &[&[u8]], mode: InterMode) {
    let mut missing = false;
    for key in keys {
        // Sources are read (a hit or miss each) even when the result is stored, as in Redis.
        match ctx.read_as::<Set>(key).map(|s| s.is_some()) {
            Err(_) => return,
            Ok(found) => missing |= !found,
        }
    }
    // A missing key makes the intersection empty (after every key was type-checked).
    if missing {
        return match mode {
            InterMode::Reply => ctx.out.set(0),
            InterMode::Store(dst) => store_result(ctx, dst, Set::default(), Event::SInterStore),
            InterMode::Card(_) => ctx.out.int(0),
        };
    }
    let mut sets: Vec<&Set> = keys.iter().filter_map(|k| stored(ctx, k)).collect();
    sets.sort_by_key(|s| s.len());
    let (first, rest) = sets.split_first().expect("at least one key");
    if let InterMode::Card(limit) = mode {
        let mut n = 0;
        for m in first.members() {
            if rest.iter().all(|s| s.contains(&m)) {
                n += 1;
                if limit != 0 && n >= limit {
                    break;
                }
            }
        }
        return ctx.out.int(n as i64);
    }
    let found: Vec<Vec<u8>> = first
        .members()
        .into_iter()
        .filter(|m| rest.iter().all(|s| s.contains(m)))
        .collect();
    match mode {
        InterMode::Store(dst) => {
            let limits = ctx.store.limits;
            let mut result = Set::default();
            for m in &found {
                result.insert(m, &limits);
            }
            store_result(ctx, dst, result, Event::SInterStore);
        }
        _ => reply_members(ctx, &found),
    }
}

/// SINTER key [key ...]
pub fn sinter(ctx: &mut Ctx, argv: &[&[u8]]) {
    inter(ctx, &argv[1..], InterMode::Reply);
}

/// SINTERSTORE destination key [key ...]
pub fn sinterstore(ctx: &mut Ctx, argv: &[&[u8]]) {
    inter(ctx, &argv[2..], InterMode::Store(argv[1]));
}

/// SINTERCARD numkeys key [key ...] [LIMIT limit]
pub fn sintercard(ctx: &mut Ctx, argv: &[&[u8]]) {
    let numkeys = match parse_i64(argv[1]) {
        Some(n) if n >= 1 => n as u64,
        _ => return ctx.out.err("numkeys should be greater than 0"),
    };
    if numkeys > (argv.len() - 2) as u64 {
        return ctx
            .out
            .err("Number of keys can't be greater than number of args");
    }
    let numkeys = numkeys as usize;
    let mut limit = 0usize;
    let mut i = 2 + numkeys;
    while i < argv.len() {
        if is(argv[i], "limit") && i + 1 < argv.len() {
            match parse_i64(argv[i + 1]) {
                Some(n) if n >= 0 => limit = n as usize,
                _ => return ctx.out.err("LIMIT can't be negative"),
            }
            i += 2;
        } else {
            return ctx.syntax_error();
        }
    }
    inter(ctx, &argv[2..2 + numkeys], InterMode::Card(limit));
}

/// SUNION / SDIFF and their STORE forms.
fn union_or_diff(ctx: &mut Ctx, keys: &[&[u8]], dst: Option<&[u8]>, diff: bool) {
    for key in keys {
        // Sources are read (a hit or miss each) even when the result is stored, as in Redis.
        if ctx.read_as::<Set>(key).is_err() {
            return;
        }
    }
    let limits = ctx.store.limits;
    let mut result = Set::default();
    if diff {
        if let Some(first) = stored(ctx, keys[0]) {
            let others: Vec<&Set> = keys[1..].iter().filter_map(|k| stored(ctx, k)).collect();
            for m in first.members() {
                if !others.iter().any(|s| s.contains(&m)) {
                    result.insert(&m, &limits);
                }
            }
        }
    } else {
        for key in keys {
            if let Some(s) = stored(ctx, key) {
                for m in s.members() {
                    result.insert(&m, &limits);
                }
            }
        }
    }
    match dst {
        Some(dst) => {
            let event = if diff {
                Event::SDiffStore
            } else {
                Event::SUnionStore
            };
            store_result(ctx, dst, result, event)
        }
        None => reply_members(ctx, &result.members()),
    }
}

/// SUNION key [key ...]
pub fn sunion(ctx: &mut Ctx, argv: &[&[u8]]) {
    union_or_diff(ctx, &argv[1..], None, false);
}

/// SUNIONSTORE destination key [key ...]
pub fn sunionstore(ctx: &mut Ctx, argv: &[&[u8]]) {
    union_or_diff(ctx, &argv[2..], Some(argv[1]), false);
}

/// SDIFF key [key ...]
pub fn sdiff(ctx: &mut Ctx, argv: &[&[u8]]) {
    union_or_diff(ctx, &argv[1..], None, true);
}

/// SDIFFSTORE destination key [key ...]
pub fn sdiffstore(ctx: &mut Ctx, argv: &[&[u8]]) {
    union_or_diff(ctx, &argv[2..], Some(argv[1]), true);
}

/// SSCAN key cursor [MATCH pattern] [COUNT count]
pub fn sscan(ctx: &mut Ctx, argv: &[&[u8]]) {
    let Some(cursor) = parse_cursor(argv[2]) else {
        return ctx.out.err("invalid cursor");
    };
    match ctx.read_as::<Set>(argv[1]) {
        Err(_) => return,
        Ok(None) => return scan_reply(ctx, 0, &[]),
        Ok(Some(_)) => {}
    }
    let Some((pattern, count)) = collection_scan_options(ctx, argv) else {
        return;
    };
    let Some(s) = stored(ctx, argv[1]) else {
        return;
    };
    let mut items: Vec<Vec<u8>> = Vec::new();
    let mut cursor = cursor;
    let mut budget = count.saturating_mul(10);
    loop {
        cursor = s.scan(cursor, |m| items.push(m.to_vec()));
        budget -= 1;
        if cursor == 0 || budget <= 0 || items.len() as i64 >= count {
            break;
        }
    }
    if let Some(p) = pattern {
        items.retain(|m| glob::matches(p, m));
    }
    scan_reply(ctx, cursor, &items);
}
