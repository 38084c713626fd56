//! Hash commands: HSET HSETNX HMSET HGET HMGET HGETALL HKEYS HVALS HDEL HEXISTS HLEN
//! HSTRLEN HINCRBY HINCRBYFLOAT HRANDFIELD HSCAN.

use super::keys::{collection_scan_options, parse_cursor, scan_reply};
use super::{int_arg, is, Ctx};
use crate::protocol::parse::parse_i64;
use crate::protocol::reply::{Reply, Resp};
use crate::store::dict::Rng;
use crate::store::types::Hash;
use crate::store::{Event, Value};
use crate::util::glob;
use crate::util::long_double::{LongDouble, NotFinite};

/// HSET / HMSET: sets field/value pairs; returns how many fields were new, or None after an
/// error reply.
fn set_pairs(ctx: &mut Ctx, argv: &[&[u8]], name: &str) -> Option<i64> {
    if argv.len() % 2 == 1 {
        ctx.out
            .err(&format!("wrong number of arguments for '{name}' command"));
        return None;
    }
    let limits = ctx.store.limits;
    let h = ctx.write_or_create::<Hash>(argv[1]).ok()?;
    let mut created = 0;
    for pair in argv[2..].chunks(2) {
        if h.insert(pair[0], pair[1], &limits) {
            created += 1;
        }
    }
    ctx.record(argv[1], Event::HSet, (argv.len() as u64 - 2) / 2);
    Some(created)
}

/// HSET key field value [field value ...]
pub fn hset(ctx: &mut Ctx, argv: &[&[u8]]) {
    if let Some(n) = set_pairs(ctx, argv, "hset") {
        ctx.out.int(n);
    }
}

/// HMSET key field value [field value ...]
pub fn hmset(ctx: &mut Ctx, argv: &[&[u8]]) {
    if set_pairs(ctx, argv, "hmset").is_some() {
        ctx.out.ok();
    }
}

/// HSETNX key field value
pub fn hsetnx(ctx: &mut Ctx, argv: &[&[u8]]) {
    let limits = ctx.store.limits;
    let Ok(h) = ctx.write_or_create::<Hash>(argv[1]) else {
        return;
    };
    if h.get(argv[2]).is_some() {
        return ctx.out.int(0);
    }
    h.insert(argv[2], argv[3], &limits);
    ctx.record(argv[1], Event::HSet, 1);
    ctx.out.int(1);
}

/// HGET key field
pub fn hget(ctx: &mut Ctx, argv: &[&[u8]]) {
    let v = match ctx.read_as::<Hash>(argv[1]) {
        Err(_) => return,
        Ok(h) => h.and_then(|h| h.get(argv[2])).map(<[u8]>::to_vec),
    };
    match v {
        Some(v) => ctx.out.bulk(&v),
        None => ctx.out.null(),
    }
}

/// HMGET key field [field ...]
pub fn hmget(ctx: &mut Ctx, argv: &[&[u8]]) {
    let values: Vec<Option<Vec<u8>>> = match ctx.read_as::<Hash>(argv[1]) {
        Err(_) => return,
        Ok(h) => argv[2..]
            .iter()
            .map(|f| h.as_ref().and_then(|h| h.get(f)).map(<[u8]>::to_vec))
            .collect(),
    };
    ctx.out.array(values.len());
    for v in values {
        match v {
            Some(v) => ctx.out.bulk(&v),
            None => ctx.out.null(),
        }
    }
}

/// What HGETALL / HKEYS / HVALS reply.
#[derive(Clone, Copy, PartialEq)]
enum Part {
    All,
    Keys,
    Values,
}

fn get_all(ctx: &mut Ctx, key: &[u8], part: Part) {
    let entries: Vec<(Vec<u8>, Vec<u8>)> = match ctx.read_as::<Hash>(key) {
        Err(_) => return,
        Ok(None) => Vec::new(),
        Ok(Some(h)) => h.iter().map(|(f, v)| (f.to_vec(), v.to_vec())).collect(),
    };
    if part == Part::All {
        ctx.out.map(entries.len());
    } else {
        ctx.out.array(entries.len());
    }
    for (f, v) in entries {
        if part != Part::Values {
            ctx.out.bulk(&f);
        }
        if part != Part::Keys {
            ctx.out.bulk(&v);
        }
    }
}

/// HGETALL key
pub fn hgetall(ctx: &mut Ctx, argv: &[&[u8]]) {
    get_all(ctx, argv[1], Part::All);
}

/// HKEYS key
pub fn hkeys(ctx: &mut Ctx, argv: &[&[u8]]) {
    get_all(ctx, argv[1], Part::Keys);
}

/// HVALS key
pub fn hvals(ctx: &mut Ctx, argv: &[&[u8]]) {
    get_all(ctx, argv[1], Part::Values);
}

/// HDEL key field [field ...]
pub fn hdel(ctx: &mut Ctx, argv: &[&[u8]]) {
    let deleted = match ctx.write_as::<Hash>(argv[1]) {
        Err(_) => return,
        Ok(None) => 0,
        Ok(Some(h)) => argv[2..].iter().filter(|f| h.remove(f)).count() as i64,
    };
    if deleted > 0 {
        ctx.record(argv[1], Event::HDel, deleted as u64);
        ctx.remove_if_empty(argv[1]);
    }
    ctx.out.int(deleted);
}

/// HEXISTS key field
pub fn hexists(ctx: &mut Ctx, argv: &[&[u8]]) {
    match ctx.read_as::<Hash>(argv[1]) {
        Err(_) => {}
        Ok(h) => {
            let found = h.is_some_and(|h| h.get(argv[2]).is_some());
            ctx.out.int(i64::from(found));
        }
    }
}

/// HLEN key
pub fn hlen(ctx: &mut Ctx, argv: &[&[u8]]) {
    if let Ok(h) = ctx.read_as::<Hash>(argv[1]) {
        let n = h.map_or(0, |h| h.len());
        ctx.out.int(n as i64);
    }
}

/// HSTRLEN key field
pub fn hstrlen(ctx: &mut Ctx, argv: &[&[u8]]) {
    if let Ok(h) = ctx.read_as::<Hash>(argv[1]) {
        let n = h.and_then(|h| h.get(argv[2])).map_or(0, |v| v.len());
        ctx.out.int(n as i64);
    }
}

/// HINCRBY key field increment
pub fn hincrby(ctx: &mut Ctx, argv: &[&[u8]]) {
    let Some(incr) = int_arg(ctx.out, argv[3]) else {
        return;
    };
    let limits = ctx.store.limits;
    let Ok(h) = ctx.write_or_create::<Hash>(argv[1]) else {
        return;
    };
    let current = match h.get(argv[2]) {
        None => 0,
        Some(v) => match parse_i64(v) {
            Some(n) => n,
            None => return ctx.out.err("hash value is not an integer"),
        },
    };
    let Some(n) = current.checked_add(incr) else {
        return ctx.out.err("increment or decrement would overflow");
    };
    h.insert(argv[2], n.to_string().as_bytes(), &limits);
    ctx.record(argv[1], Event::HIncrBy, 1);
    ctx.out.int(n);
}

/// HINCRBYFLOAT key field increment
pub fn hincrbyfloat(ctx: &mut Ctx, argv: &[&[u8]]) {
    let incr = match LongDouble::parse(argv[3]) {
        Ok(v) => v,
        Err(NotFinite::Invalid) => return ctx.out.err("value is not a valid float"),
        Err(NotFinite::Infinite) => return ctx.out.err("value is NaN or Infinity"),
    };
    let limits = ctx.store.limits;
    let Ok(h) = ctx.write_or_create::<Hash>(argv[1]) else {
        return;
    };
    let current = match h.get(argv[2]).map(LongDouble::parse) {
        None => LongDouble::parse(b"0").expect("zero"),
        Some(Ok(v)) => v,
        // An infinite value parses, but no finite sum comes of it.
        Some(Err(NotFinite::Infinite)) => {
            return ctx.out.err("increment would produce NaN or Infinity")
        }
        Some(Err(NotFinite::Invalid)) => return ctx.out.err("hash value is not a float"),
    };
    let Some(sum) = current.plus(incr) else {
        return ctx.out.err("increment would produce NaN or Infinity");
    };
    let text = sum.to_human();
    h.insert(argv[2], text.as_bytes(), &limits);
    ctx.record(argv[1], Event::HIncrByFloat, 1);
    // A replica must not redo the float arithmetic: it gets the result.
    ctx.rewrite_argv(&[b"HSET", argv[1], argv[2], text.as_bytes()]);
    ctx.out.bulk(text.as_bytes());
}

/// `count` distinct indexes below `n`, in random order (a partial Fisher-Yates shuffle).
pub(crate) fn distinct_indexes(n: usize, count: usize, rng: &mut Rng) -> Vec<usize> {
    let mut idx: Vec<usize> = (0..n).collect();
    let count = count.min(n);
    for i in 0..count {
        let j = i + (rng.next_u64() % (n - i) as u64) as usize;
        idx.swap(i, j);
    }
    idx.truncate(count);
    idx
}

/// HRANDFIELD key [count [WITHVALUES]]
pub fn hrandfield(ctx: &mut Ctx, argv: &[&[u8]]) {
    if argv.len() == 2 {
        let mut rng = ctx.store.rng.clone();
        let Ok(h) = ctx.read_as::<Hash>(argv[1]) else {
            return;
        };
        let pick = h.and_then(|h| h.random(&mut rng));
        ctx.store.rng = rng;
        return match pick {
            Some((f, _)) => ctx.out.bulk(&f),
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
    if argv.len() > 4 || (argv.len() == 4 && !is(argv[3], "withvalues")) {
        return ctx.syntax_error();
    }
    let with_values = argv.len() == 4;
    if with_values && !(-(i64::MAX / 2)..=i64::MAX / 2).contains(&l) {
        return ctx.out.err("value is out of range");
    }
    if !super::random_count_streamed_ok(ctx.out, l) {
        return;
    }
    match ctx.read_as::<Hash>(argv[1]) {
        Err(_) => return,
        Ok(None) => return ctx.out.array(0),
        Ok(Some(_)) => {}
    }
    let resp3 = ctx.out.resp == Resp::Three;
    let (value, rng) = ctx.store.value_with_rng(ctx.db, argv[1]);
    let Some(Value::Hash(h)) = value else {
        return;
    };
    let out = &mut *ctx.out;
    let pairs = with_values && !resp3;
    if l < 0 {
        // Repetitions allowed: streamed, as a huge count is the client's to ask for.
        let n = l.unsigned_abs() as usize;
        out.array(if pairs { 2 * n } else { n });
        if n >= h.len() {
            // At least one pick per field: indexing a list of them costs less than sampling
            // the table each time, and is as uniform.
            let all: Vec<(&[u8], &[u8])> = h.iter().collect();
            for i in 0..n {
                if i % super::PICKS_PER_LIMIT_CHECK == 0 && out.over_limit() {
                    return;
                }
                let (f, v) = all[(rng.next_u64() % all.len() as u64) as usize];
                emit_field(out, f, v, with_values);
            }
            return;
        }
        for i in 0..n {
            if i % super::PICKS_PER_LIMIT_CHECK == 0 && out.over_limit() {
                return;
            }
            let (f, v) = h.random(rng).expect("not empty");
            emit_field(out, &f, &v, with_values);
        }
        return;
    }
    let count = l as usize;
    let picked: Vec<(Vec<u8>, Vec<u8>)> = if count >= h.len() {
        h.iter().map(|(f, v)| (f.to_vec(), v.to_vec())).collect()
    } else if count.saturating_mul(3) <= h.len() {
        // Few of many: sample until enough distinct fields (O(count), as Redis).
        let mut seen = std::collections::HashSet::new();
        let mut picked = Vec::with_capacity(count);
        while picked.len() < count {
            let (f, v) = h.random(rng).expect("not empty");
            if seen.insert(f.clone()) {
                picked.push((f, v));
            }
        }
        picked
    } else {
        let all: Vec<(&[u8], &[u8])> = h.iter().collect();
        distinct_indexes(all.len(), l as usize, rng)
            .into_iter()
            .map(|i| (all[i].0.to_vec(), all[i].1.to_vec()))
            .collect()
    };
    let n = picked.len();
    out.array(if pairs { 2 * n } else { n });
    for (f, v) in picked {
        emit_field(out, &f, &v, with_values);
    }
}

/// One HRANDFIELD element: the field, or with values the pair (a 2-array in RESP3).
fn emit_field(out: &mut Reply, f: &[u8], v: &[u8], with_values: bool) {
    if with_values && out.resp == Resp::Three {
        out.array(2);
    }
    out.bulk(f);
    if with_values {
        out.bulk(v);
    }
}

/// HSCAN key cursor [MATCH pattern] [COUNT count]
pub fn hscan(ctx: &mut Ctx, argv: &[&[u8]]) {
    let Some(cursor) = parse_cursor(argv[2]) else {
        return ctx.out.err("invalid cursor");
    };
    match ctx.read_as::<Hash>(argv[1]) {
        Err(_) => return,
        Ok(None) => return scan_reply(ctx, 0, &[]),
        Ok(Some(_)) => {}
    }
    let Some((pattern, count)) = collection_scan_options(ctx, argv) else {
        return;
    };
    let Some(Value::Hash(h)) = ctx.store.db(ctx.db).get(argv[1]) else {
        return;
    };
    // As Redis: visit buckets until `count` items (fields and values) were gathered or ten
    // times `count` buckets were seen; filter by pattern afterwards.
    let mut items: Vec<Vec<u8>> = Vec::new();
    let mut cursor = cursor;
    let mut budget = count.saturating_mul(10);
    loop {
        cursor = h.scan(cursor, |f, v| {
            items.push(f.to_vec());
            items.push(v.to_vec());
        });
        budget -= 1;
        if cursor == 0 || budget <= 0 || items.len() as i64 >= count {
            break;
        }
    }
    if let Some(p) = pattern {
        let mut kept = Vec::with_capacity(items.len());
        let mut it = items.into_iter();
        while let (Some(f), Some(v)) = (it.next(), it.next()) {
            if glob::matches(p, &f) {
                kept.push(f);
                kept.push(v);
            }
        }
        items = kept;
    }
    scan_reply(ctx, cursor, &items);
}
