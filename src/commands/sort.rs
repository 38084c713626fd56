//! SORT and SORT_RO: the elements of a list, set or sorted set, ordered by themselves or by
//! weights looked up through a BY pattern, windowed by LIMIT, optionally mapped through GET
//! patterns, replied or STOREd as a list. Options are parsed in `sort_args.rs`.
//!
//! Ordering follows Redis 7.0 to the tie: a full sort there is glibc's qsort, a stable
//! merge sort, so equal weights keep the loaded order (here: a total order with the loaded
//! position as last key); BY with a LIMIT window uses Redis's partial quicksort, which
//! `pqsort.rs` reproduces. Loaded order is the list's order, the intset's ascending order,
//! or, where Redis walks a hash table (large sets, sorted sets), redust's own order: ties
//! between those may come out differently, as they do between two Redis processes.

use std::cmp::Ordering;

use super::sort_args::{c_str, Pattern, SortArgs};
use super::Ctx;
use crate::store::types::List;
use crate::store::{Event, Ttl, Value};
use crate::util::pqsort::partial_sort;
use crate::util::strtod::strtod;

/// SORT key [BY pattern] [LIMIT offset count] [GET pattern ...] [ASC|DESC] [ALPHA]
/// [STORE destination]
pub fn sort(ctx: &mut Ctx, argv: &[&[u8]]) {
    sort_generic(ctx, argv, false);
}

/// SORT_RO key [BY pattern] [LIMIT offset count] [GET pattern ...] [ASC|DESC] [ALPHA]
pub fn sort_ro(ctx: &mut Ctx, argv: &[&[u8]]) {
    sort_generic(ctx, argv, true);
}

/// One element with its weight.
struct Item {
    elem: Vec<u8>,
    /// The numeric weight: the element's or its BY value's (0 when that is missing).
    score: f64,
    /// ALPHA with BY: the BY value (None when missing, which sorts first).
    by: Option<Vec<u8>>,
    /// Position in the loaded order, the last sort key.
    pos: usize,
}

fn sort_generic(ctx: &mut Ctx, argv: &[&[u8]], readonly: bool) {
    let Some(mut args) = SortArgs::parse(ctx, argv, readonly) else {
        return;
    };
    let key = argv[1];
    let is_set = match ctx.store.lookup_read(ctx.db, key) {
        None | Some(Value::List(_)) => false,
        Some(Value::Set(_)) => true,
        Some(Value::ZSet(z)) => {
            // Redis converts any sorted set it sorts, for good: OBJECT ENCODING shows it.
            z.to_skiplist();
            false
        }
        Some(_) => return ctx.wrong_type(),
    };
    // A set's own order is its hash table's, which a replica or AOF replay would not
    // share: when the result is stored, or a script reads it, Redis sorts the members
    // instead of keeping it.
    if args.dontsort && is_set && (args.store.is_some() || ctx.client().script) {
        args.dontsort = false;
        args.alpha = true;
        args.by = None;
    }
    let (items, start, end) = load(ctx, key, &args);
    let by = args.by.filter(|_| !args.dontsort).map(Pattern::new);
    let Some(items) = weigh_and_order(ctx, items, start, end, by, &args) else {
        return ctx
            .out
            .err("One or more scores can't be converted into double");
    };
    let window = if end >= start {
        &items[start as usize..=end as usize]
    } else {
        &[]
    };
    let outputlen = window.len() * args.gets.len().max(1);
    match args.store {
        None => {
            ctx.out.array(outputlen);
            for item in window {
                if args.gets.is_empty() {
                    ctx.out.bulk(&item.elem);
                }
                for get in &args.gets {
                    match get.lookup(ctx, &item.elem) {
                        Some(v) => ctx.out.bulk(&v),
                        None => ctx.out.null(),
                    }
                }
            }
        }
        Some(dst) => {
            let mut list = List::new();
            for item in window {
                if args.gets.is_empty() {
                    list.items.push_back(item.elem.clone());
                }
                for get in &args.gets {
                    // A missing value is stored as an empty string: a list has no nil.
                    list.items
                        .push_back(get.lookup(ctx, &item.elem).unwrap_or_default());
                }
            }
            if outputlen > 0 {
                let value = Value::List(Box::new(list));
                let (event, dirty) = (Event::SortStore, outputlen as u64);
                ctx.store
                    .insert(ctx.db, dst, value, Ttl::Clear, event, dirty);
            } else {
                ctx.store.delete(ctx.db, dst);
            }
            ctx.out.int(outputlen as i64);
        }
    }
}

/// Redis's LIMIT window over `len` elements: inclusive (start, end), empty when end <
/// start. Offsets below 0 count from 0, counts below 0 mean "to the end", and both are
/// clamped to the size first so that nothing overflows or allocates by a hostile number.
fn limit_window(offset: i64, count: i64, len: i64) -> (i64, i64) {
    let mut start = offset.clamp(0, len);
    let count = count.clamp(-1, len);
    let mut end = if count < 0 {
        len - 1
    } else {
        start + count - 1
    };
    if start >= len {
        start = len - 1;
        end = len - 2;
    }
    (start, end.min(len - 1))
}

/// The elements to sort, with the LIMIT window over them. With nothing to sort (BY
/// without `*`), a list or sorted set yields only the window, in stored order or reversed
/// for DESC, and the window is then all of it.
fn load(ctx: &Ctx, key: &[u8], args: &SortArgs) -> (Vec<Item>, i64, i64) {
    let value = ctx.store.db(ctx.db).get(key);
    let len = match value {
        Some(Value::List(l)) => l.len(),
        Some(Value::Set(s)) => s.len(),
        Some(Value::ZSet(z)) => z.len(),
        _ => 0,
    };
    let (start, end) = limit_window(args.offset, args.count, len as i64);
    let direct = args.dontsort && !matches!(value, Some(Value::Set(_)));
    let elems: Vec<Vec<u8>> = match value {
        _ if direct && end < start => Vec::new(),
        Some(Value::List(l)) if direct => {
            let (s, n) = (start as usize, (end - start + 1) as usize);
            if args.desc {
                let top = len - s;
                l.items.range(top - n..top).rev().cloned().collect()
            } else {
                l.items.range(s..s + n).cloned().collect()
            }
        }
        Some(Value::ZSet(z)) if direct => {
            let (s, n) = (start as usize, (end - start + 1) as usize);
            let from = if args.desc { len - 1 - s } else { s };
            z.iter_from(from, args.desc)
                .take(n)
                .map(|(m, _)| m.to_vec())
                .collect()
        }
        Some(Value::List(l)) => l.items.iter().cloned().collect(),
        Some(Value::Set(s)) => s.members(),
        Some(Value::ZSet(z)) => z.iter().map(|(m, _)| m.to_vec()).collect(),
        _ => Vec::new(),
    };
    let items = elems
        .into_iter()
        .enumerate()
        .map(|(pos, elem)| Item {
            elem,
            score: 0.0,
            by: None,
            pos,
        })
        .collect::<Vec<_>>();
    if direct && !items.is_empty() {
        return (items, 0, end - start);
    }
    (items, start, end)
}

/// Looks up the weights and orders `items` (unless BY asked for no sorting); None when a
/// numeric weight is not a number.
fn weigh_and_order(
    ctx: &mut Ctx,
    mut items: Vec<Item>,
    start: i64,
    end: i64,
    by: Option<Pattern>,
    args: &SortArgs,
) -> Option<Vec<Item>> {
    if args.dontsort {
        return Some(items);
    }
    let mut bad = false;
    for item in &mut items {
        let found = match &by {
            Some(p) => p.lookup(ctx, &item.elem),
            None => None,
        };
        if args.alpha {
            item.by = found;
            continue;
        }
        let weight: &[u8] = match (&by, &found) {
            (None, _) => &item.elem,
            (Some(_), Some(v)) => v,
            // A missing BY value weighs 0.
            (Some(_), None) => continue,
        };
        // As Redis checks strtod: the whole C string (up to a NUL) must be the number.
        let text = c_str(weight);
        let parsed = strtod(text);
        bad |= parsed.end != text.len() || parsed.erange || parsed.value.is_nan();
        item.score = parsed.value;
    }
    if bad {
        // The reply is the error; nothing is sorted, so no comparison meets a NaN.
        return None;
    }
    let (alpha, store, desc, with_by) = (args.alpha, args.store.is_some(), args.desc, by.is_some());
    // Redis's sortCompare. Without STORE, ALPHA compares as strcoll() does: as C strings,
    // byte order (the C and C.UTF-8 locales). With STORE it compares binary-safely.
    let mut cmp = |a: &Item, b: &Item| -> Ordering {
        let text = |x: &[u8], y: &[u8]| {
            if store {
                x.cmp(y)
            } else {
                c_str(x).cmp(c_str(y))
            }
        };
        let c = if !alpha {
            match a.score.partial_cmp(&b.score) {
                Some(Ordering::Equal) | None => a.elem.cmp(&b.elem),
                Some(o) => o,
            }
        } else if with_by {
            match (&a.by, &b.by) {
                (None, None) => Ordering::Equal,
                (None, Some(_)) => Ordering::Less,
                (Some(_), None) => Ordering::Greater,
                (Some(x), Some(y)) => text(x, y),
            }
        } else {
            text(&a.elem, &b.elem)
        };
        if desc {
            c.reverse()
        } else {
            c
        }
    };
    let whole = start == 0 && end == items.len() as i64 - 1;
    if end < start {
        // An empty window: nothing of the order is seen.
    } else if whole {
        items.sort_by(&mut cmp);
    } else if with_by {
        partial_sort(&mut items, start as usize, end as usize, &mut cmp);
    } else {
        // Redis sorts everything here; with the loaded position as last key the order is
        // total, so selecting the window and sorting only it gives the same elements.
        let mut total = |a: &Item, b: &Item| cmp(a, b).then(a.pos.cmp(&b.pos));
        let (s, e) = (start as usize, end as usize);
        if s > 0 {
            items.select_nth_unstable_by(s, &mut total);
        }
        let tail = &mut items[s..];
        if e - s + 1 < tail.len() {
            tail.select_nth_unstable_by(e - s, &mut total);
        }
        tail[..=e - s].sort_unstable_by(&mut total);
    }
    Some(items)
}

#[cfg(test)]
mod tests {
    use super::limit_window as window;

    #[test]
    fn limit_window_as_redis_clamps_it() {
        assert_eq!(window(0, -1, 3), (0, 2));
        assert_eq!(window(1, 1, 3), (1, 1));
        assert_eq!(window(-5, -5, 3), (0, 2));
        assert_eq!(window(0, 0, 3), (0, -1));
        assert_eq!(window(5, 1, 3), (2, 1));
        assert_eq!(window(1, i64::MAX, 3), (1, 2));
        assert_eq!(window(i64::MAX, i64::MAX, 3), (2, 1));
        assert_eq!(window(i64::MIN, i64::MIN, 3), (0, 2));
        assert_eq!(window(0, -1, 0), (-1, -2));
    }
}
