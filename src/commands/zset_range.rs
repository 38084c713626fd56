//! ZRANGE and its older forms (ZREVRANGE, ZRANGEBYSCORE, ZREVRANGEBYSCORE, ZRANGEBYLEX,
//! ZREVRANGEBYLEX) and ZRANGESTORE: one parser and one range walk, as Redis 7.0 has.

use super::zset::{reply_pairs_iter, zset_at, LexRange, ScoreRange, NOT_FLOAT, NOT_LEX};
use super::{int_arg, is, Ctx};
use crate::store::types::ZSet;
use crate::store::Ttl;

#[derive(Clone, Copy, PartialEq)]
enum By {
    Auto,
    Rank,
    Score,
    Lex,
}

#[derive(Clone, Copy, PartialEq)]
enum Dir {
    Auto,
    Forward,
    Reverse,
}

enum Range {
    Rank(i64, i64),
    Score(ScoreRange),
    Lex(LexRange),
}

/// ZRANGE key start stop [BYSCORE|BYLEX] [REV] [LIMIT offset count] [WITHSCORES]
pub fn zrange(ctx: &mut Ctx, argv: &[&[u8]]) {
    generic(ctx, argv, 1, None, By::Auto, Dir::Auto);
}

/// ZRANGESTORE dst src min max [BYSCORE|BYLEX] [REV] [LIMIT offset count]
pub fn zrangestore(ctx: &mut Ctx, argv: &[&[u8]]) {
    generic(ctx, argv, 2, Some(argv[1]), By::Auto, Dir::Auto);
}

/// ZREVRANGE key start stop [WITHSCORES]
pub fn zrevrange(ctx: &mut Ctx, argv: &[&[u8]]) {
    generic(ctx, argv, 1, None, By::Rank, Dir::Reverse);
}

/// ZRANGEBYSCORE key min max [WITHSCORES] [LIMIT offset count]
pub fn zrangebyscore(ctx: &mut Ctx, argv: &[&[u8]]) {
    generic(ctx, argv, 1, None, By::Score, Dir::Forward);
}

/// ZREVRANGEBYSCORE key max min [WITHSCORES] [LIMIT offset count]
pub fn zrevrangebyscore(ctx: &mut Ctx, argv: &[&[u8]]) {
    generic(ctx, argv, 1, None, By::Score, Dir::Reverse);
}

/// ZRANGEBYLEX key min max [LIMIT offset count]
pub fn zrangebylex(ctx: &mut Ctx, argv: &[&[u8]]) {
    generic(ctx, argv, 1, None, By::Lex, Dir::Forward);
}

/// ZREVRANGEBYLEX key max min [LIMIT offset count]
pub fn zrevrangebylex(ctx: &mut Ctx, argv: &[&[u8]]) {
    generic(ctx, argv, 1, None, By::Lex, Dir::Reverse);
}

fn generic(
    ctx: &mut Ctx,
    argv: &[&[u8]],
    key_idx: usize,
    store: Option<&[u8]>,
    mut by: By,
    mut dir: Dir,
) {
    let src = argv[key_idx];
    let (mut min_idx, mut max_idx) = (key_idx + 1, key_idx + 2);
    let mut withscores = false;
    let mut limit: Option<(i64, i64)> = None;
    let mut j = key_idx + 3;
    while j < argv.len() {
        let left = argv.len() - j - 1;
        let a = argv[j];
        if store.is_none() && is(a, "withscores") {
            withscores = true;
        } else if is(a, "limit") && left >= 2 {
            let Some(off) = int_arg(ctx.out, argv[j + 1]) else {
                return;
            };
            let Some(cnt) = int_arg(ctx.out, argv[j + 2]) else {
                return;
            };
            limit = Some((off, cnt));
            j += 2;
        } else if dir == Dir::Auto && is(a, "rev") {
            dir = Dir::Reverse;
        } else if by == By::Auto && is(a, "bylex") {
            by = By::Lex;
        } else if by == By::Auto && is(a, "byscore") {
            by = By::Score;
        } else {
            return ctx.syntax_error();
        }
        j += 1;
    }
    if by == By::Auto {
        by = By::Rank;
    }
    let rev = dir == Dir::Reverse;
    if limit.is_some() && by == By::Rank {
        return ctx.out.err(
            "syntax error, LIMIT is only supported in combination with either BYSCORE or BYLEX",
        );
    }
    if withscores && by == By::Lex {
        return ctx
            .out
            .err("syntax error, WITHSCORES not supported in combination with BYLEX");
    }
    if rev && by != By::Rank {
        std::mem::swap(&mut min_idx, &mut max_idx);
    }
    let range = match by {
        By::Score => match ScoreRange::parse(argv[min_idx], argv[max_idx]) {
            Some(r) => Range::Score(r),
            None => return ctx.out.err(NOT_FLOAT),
        },
        By::Lex => match LexRange::parse(argv[min_idx], argv[max_idx]) {
            Some(r) => Range::Lex(r),
            None => return ctx.out.err(NOT_LEX),
        },
        _ => {
            let Some(s) = int_arg(ctx.out, argv[min_idx]) else {
                return;
            };
            let Some(e) = int_arg(ctx.out, argv[max_idx]) else {
                return;
            };
            Range::Rank(s, e)
        }
    };
    let (first, n) = match ctx.read_as::<ZSet>(src) {
        Err(_) => return,
        Ok(None) => (0, 0),
        Ok(Some(z)) => select(z, &range, rev, limit),
    };
    let Some(dst) = store else {
        // The reply is written straight from the set: copying a million members out
        // first had cost an allocation and a free each.
        let Some(z) = zset_at(ctx.store, ctx.db, src).filter(|_| n > 0) else {
            return ctx.out.array(0);
        };
        let items = z.iter_from(first, rev).take(n);
        if withscores {
            let nested = ctx.out.resp == crate::protocol::reply::Resp::Three;
            reply_pairs_iter(ctx.out, n, items, nested);
        } else {
            ctx.out.array(n);
            for (m, _) in items {
                ctx.out.bulk(m);
            }
        }
        return;
    };
    // Copied out first: the destination may be the source.
    let items: Vec<(Vec<u8>, f64)> = zset_at(ctx.store, ctx.db, src).map_or(Vec::new(), |z| {
        z.iter_from(first, rev)
            .take(n)
            .map(|(m, s)| (m.to_vec(), s))
            .collect()
    });
    if items.is_empty() {
        ctx.store.delete(ctx.db, dst);
    } else {
        let limits = ctx.srv.config.encoding_limits();
        let mut z = ZSet::default();
        for (m, s) in &items {
            z.insert(m, *s, &limits);
        }
        let value = crate::store::Value::ZSet(Box::new(z));
        let event = crate::store::Event::ZRangeStore;
        ctx.store.insert(ctx.db, dst, value, Ttl::Clear, event, 1);
    }
    ctx.out.int(items.len() as i64);
}

/// The members the range selects, in reply order: how many, from which rank on (walking
/// towards rank 0 when `rev`).
fn select(z: &ZSet, range: &Range, rev: bool, limit: Option<(i64, i64)>) -> (usize, usize) {
    const NONE: (usize, usize) = (0, 0);
    let len = z.len();
    let (start, end) = match range {
        Range::Rank(s, e) => {
            let Some((from, to)) = super::zset_args::rank_range(*s, *e, len) else {
                return NONE;
            };
            // Ranks counted from the chosen end.
            if rev {
                (len - to, len - from)
            } else {
                (from, to)
            }
        }
        Range::Score(r) => r.ranks(z),
        Range::Lex(r) => r.ranks(z, rev),
    };
    let mut n = end - start;
    let mut skip = 0usize;
    if let Some((off, cnt)) = limit {
        if off < 0 {
            return NONE;
        }
        skip = (off as u64).min(n as u64) as usize;
        n -= skip;
        if cnt >= 0 {
            n = n.min(cnt as usize);
        }
    }
    if n == 0 {
        return NONE;
    }
    (if rev { end - 1 - skip } else { start + skip }, n)
}
