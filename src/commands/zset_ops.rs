//! Sorted set algebra: ZUNION, ZINTER, ZDIFF, their STORE forms and ZINTERCARD. Plain sets
//! are accepted as inputs with every score 1, as in Redis.

use std::collections::HashMap;

use super::zset::{reply_pairs, score_arg};
use super::{is, Ctx};
use crate::protocol::parse::parse_i64;
use crate::store::types::ZSet;
use crate::store::{Event, Ttl, Value};

#[derive(Clone, Copy, PartialEq)]
enum Op {
    Union,
    Inter,
    Diff,
}

#[derive(Clone, Copy)]
enum Agg {
    Sum,
    Min,
    Max,
}

fn aggregate(agg: Agg, target: &mut f64, v: f64) {
    match agg {
        Agg::Sum => {
            *target += v;
            if target.is_nan() {
                *target = 0.0;
            }
        }
        Agg::Min => {
            if v < *target {
                *target = v;
            }
        }
        Agg::Max => {
            if v > *target {
                *target = v;
            }
        }
    }
}

/// One input: its members with scores, and a lookup by member.
struct Input {
    items: Vec<(Vec<u8>, f64)>,
    index: HashMap<Vec<u8>, f64>,
    weight: f64,
}

/// ZUNION numkeys key [key ...] [WEIGHTS w ...] [AGGREGATE SUM|MIN|MAX] [WITHSCORES]
pub fn zunion(ctx: &mut Ctx, argv: &[&[u8]]) {
    generic(ctx, argv, 1, None, Op::Union, false);
}

/// ZINTER numkeys key [key ...] [WEIGHTS w ...] [AGGREGATE SUM|MIN|MAX] [WITHSCORES]
pub fn zinter(ctx: &mut Ctx, argv: &[&[u8]]) {
    generic(ctx, argv, 1, None, Op::Inter, false);
}

/// ZDIFF numkeys key [key ...] [WITHSCORES]
pub fn zdiff(ctx: &mut Ctx, argv: &[&[u8]]) {
    generic(ctx, argv, 1, None, Op::Diff, false);
}

/// ZUNIONSTORE dst numkeys key [key ...] [WEIGHTS w ...] [AGGREGATE SUM|MIN|MAX]
pub fn zunionstore(ctx: &mut Ctx, argv: &[&[u8]]) {
    generic(ctx, argv, 2, Some(argv[1]), Op::Union, false);
}

/// ZINTERSTORE dst numkeys key [key ...] [WEIGHTS w ...] [AGGREGATE SUM|MIN|MAX]
pub fn zinterstore(ctx: &mut Ctx, argv: &[&[u8]]) {
    generic(ctx, argv, 2, Some(argv[1]), Op::Inter, false);
}

/// ZDIFFSTORE dst numkeys key [key ...]
pub fn zdiffstore(ctx: &mut Ctx, argv: &[&[u8]]) {
    generic(ctx, argv, 2, Some(argv[1]), Op::Diff, false);
}

/// ZINTERCARD numkeys key [key ...] [LIMIT limit]
pub fn zintercard(ctx: &mut Ctx, argv: &[&[u8]]) {
    generic(ctx, argv, 1, None, Op::Inter, true);
}

fn generic(
    ctx: &mut Ctx,
    argv: &[&[u8]],
    numkeys_idx: usize,
    dst: Option<&[u8]>,
    op: Op,
    card_only: bool,
) {
    let Some(setnum) = super::int_arg(ctx.out, argv[numkeys_idx]) else {
        return;
    };
    if setnum < 1 {
        let name = String::from_utf8_lossy(argv[0]).to_ascii_lowercase();
        return ctx.out.err(&format!(
            "at least 1 input key is needed for '{name}' command"
        ));
    }
    if setnum as u64 > (argv.len() - numkeys_idx - 1) as u64 {
        return ctx.syntax_error();
    }
    let setnum = setnum as usize;
    let keys = &argv[numkeys_idx + 1..numkeys_idx + 1 + setnum];
    let mut inputs: Vec<Input> = Vec::with_capacity(setnum);
    for &k in keys {
        let v = if dst.is_some() {
            ctx.store.lookup_write(ctx.db, k)
        } else {
            ctx.store.lookup_read(ctx.db, k)
        };
        let items: Vec<(Vec<u8>, f64)> = match v {
            None => Vec::new(),
            Some(Value::ZSet(z)) => z.iter().map(|(m, s)| (m.to_vec(), s)).collect(),
            Some(Value::Set(s)) => s.members().into_iter().map(|m| (m, 1.0)).collect(),
            Some(_) => return ctx.wrong_type(),
        };
        let index = if op == Op::Union && setnum == 1 {
            HashMap::new()
        } else {
            items.iter().cloned().collect()
        };
        inputs.push(Input {
            items,
            index,
            weight: 1.0,
        });
    }
    let mut agg = Agg::Sum;
    let mut withscores = false;
    let mut limit: u64 = 0;
    let mut j = numkeys_idx + 1 + setnum;
    while j < argv.len() {
        let remaining = argv.len() - j;
        if op != Op::Diff && !card_only && remaining > setnum && is(argv[j], "weights") {
            for input in inputs.iter_mut() {
                j += 1;
                let Some(w) = score_arg(argv[j]) else {
                    return ctx.out.err("weight value is not a float");
                };
                input.weight = w;
            }
        } else if op != Op::Diff && !card_only && remaining >= 2 && is(argv[j], "aggregate") {
            j += 1;
            agg = if is(argv[j], "sum") {
                Agg::Sum
            } else if is(argv[j], "min") {
                Agg::Min
            } else if is(argv[j], "max") {
                Agg::Max
            } else {
                return ctx.syntax_error();
            };
        } else if dst.is_none() && !card_only && is(argv[j], "withscores") {
            withscores = true;
        } else if card_only && remaining >= 2 && is(argv[j], "limit") {
            j += 1;
            match parse_i64(argv[j]) {
                Some(n) if n >= 0 => limit = n as u64,
                _ => return ctx.out.err("LIMIT can't be negative"),
            }
        } else {
            return ctx.syntax_error();
        }
        j += 1;
    }

    let weighted = |v: f64, w: f64| {
        let s = v * w;
        if s.is_nan() {
            0.0
        } else {
            s
        }
    };
    let mut result: Vec<(Vec<u8>, f64)> = Vec::new();
    match op {
        Op::Inter => {
            inputs.sort_by_key(|i| i.items.len());
            let (first, rest) = inputs.split_first().expect("at least one input");
            let mut card: u64 = 0;
            'outer: for (m, v) in &first.items {
                let mut score = weighted(*v, first.weight);
                for other in rest {
                    let Some(&ov) = other.index.get(m) else {
                        continue 'outer;
                    };
                    // Only the first set's product has NaN turned into 0, as in Redis.
                    aggregate(agg, &mut score, ov * other.weight);
                }
                if card_only {
                    card += 1;
                    if limit > 0 && card >= limit {
                        break;
                    }
                } else {
                    result.push((m.clone(), score));
                }
            }
            if card_only {
                return ctx.out.int(card as i64);
            }
        }
        Op::Union => {
            inputs.sort_by_key(|i| i.items.len());
            let mut acc: HashMap<Vec<u8>, f64> = HashMap::new();
            let mut order: Vec<Vec<u8>> = Vec::new();
            for input in &inputs {
                for (m, v) in &input.items {
                    let s = weighted(*v, input.weight);
                    match acc.get_mut(m) {
                        Some(t) => aggregate(agg, t, s),
                        None => {
                            acc.insert(m.clone(), s);
                            order.push(m.clone());
                        }
                    }
                }
            }
            result = order
                .into_iter()
                .map(|m| {
                    let s = acc[&m];
                    (m, s)
                })
                .collect();
        }
        Op::Diff => {
            let (first, rest) = inputs.split_first().expect("at least one input");
            for (m, v) in &first.items {
                if rest.iter().all(|o| !o.index.contains_key(m)) {
                    result.push((m.clone(), *v));
                }
            }
        }
    }
    result.sort_by(|a, b| {
        a.1.partial_cmp(&b.1)
            .unwrap_or(std::cmp::Ordering::Equal)
            .then_with(|| a.0.cmp(&b.0))
    });
    match dst {
        Some(dst) => {
            let n = result.len();
            if n == 0 {
                ctx.store.delete(ctx.db, dst);
            } else {
                let limits = ctx.srv.config.encoding_limits();
                // Built as a skiplist, kept so unless it fits a listpack (as Redis).
                let longest = result.iter().map(|(m, _)| m.len()).max().unwrap_or(0);
                let mut z = if n > limits.zset_entries || longest > limits.zset_value {
                    ZSet::new_skiplist()
                } else {
                    ZSet::default()
                };
                for (m, s) in &result {
                    z.insert(m, *s, &limits);
                }
                let event = match op {
                    Op::Union => Event::ZUnionStore,
                    Op::Inter => Event::ZInterStore,
                    Op::Diff => Event::ZDiffStore,
                };
                let value = Value::ZSet(Box::new(z));
                ctx.store.insert(ctx.db, dst, value, Ttl::Clear, event, 1);
            }
            ctx.out.int(n as i64);
        }
        None if withscores => reply_pairs(ctx, &result, false),
        None => {
            ctx.out.array(result.len());
            for (m, _) in &result {
                ctx.out.bulk(m);
            }
        }
    }
}
