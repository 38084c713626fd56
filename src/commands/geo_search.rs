//! The geo searches: GEORADIUS, GEORADIUSBYMEMBER (and their _RO forms), GEOSEARCH and
//! GEOSEARCHSTORE, one parser and one search as Redis's georadiusGeneric: the nine
//! geohash boxes around the centre are read as score ranges of the sorted set, the
//! points in the shape kept, sorted by distance if asked, then replied or stored.

use super::geo::{distance_text, lonlat_arg, reply_point, unit_arg};
use super::zset::score_arg;
use super::{is, Ctx};
use crate::protocol::parse::parse_i64;
use crate::store::types::ZSet;
use crate::store::{Event, Ttl, Value};
use crate::util::geohash::{self, Shape, ShapeKind};
use crate::util::pqsort::partial_sort;

/// Which command it is: where the centre comes from, which options it takes.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Kind {
    /// GEORADIUS(_RO) key longitude latitude radius unit ...
    Coords { store_ok: bool },
    /// GEORADIUSBYMEMBER(_RO) key member radius unit ...
    Member { store_ok: bool },
    /// GEOSEARCH key ... / GEOSEARCHSTORE dest key ...
    Search { store: bool },
}

/// GEORADIUS key longitude latitude radius unit [options]
pub fn georadius(ctx: &mut Ctx, argv: &[&[u8]]) {
    generic(ctx, argv, 1, Kind::Coords { store_ok: true });
}

/// GEORADIUS_RO key longitude latitude radius unit [options]
pub fn georadius_ro(ctx: &mut Ctx, argv: &[&[u8]]) {
    generic(ctx, argv, 1, Kind::Coords { store_ok: false });
}

/// GEORADIUSBYMEMBER key member radius unit [options]
pub fn georadiusbymember(ctx: &mut Ctx, argv: &[&[u8]]) {
    generic(ctx, argv, 1, Kind::Member { store_ok: true });
}

/// GEORADIUSBYMEMBER_RO key member radius unit [options]
pub fn georadiusbymember_ro(ctx: &mut Ctx, argv: &[&[u8]]) {
    generic(ctx, argv, 1, Kind::Member { store_ok: false });
}

/// GEOSEARCH key FROMMEMBER m|FROMLONLAT x y BYRADIUS r unit|BYBOX w h unit [options]
pub fn geosearch(ctx: &mut Ctx, argv: &[&[u8]]) {
    generic(ctx, argv, 1, Kind::Search { store: false });
}

/// GEOSEARCHSTORE dest key FROMMEMBER ...|FROMLONLAT ... BYRADIUS ...|BYBOX ... [STOREDIST]
pub fn geosearchstore(ctx: &mut Ctx, argv: &[&[u8]]) {
    generic(ctx, argv, 2, Kind::Search { store: true });
}

/// A point found.
struct Found {
    member: Vec<u8>,
    xy: [f64; 2],
    /// In meters until the reply, then in the unit asked.
    dist: f64,
    score: f64,
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Sort {
    None,
    Asc,
    Desc,
}

/// Parses a radius and its unit: `(radius, unit in meters)`.
fn radius_arg(ctx: &mut Ctx, r: &[u8], unit: &[u8]) -> Option<(f64, f64)> {
    let Some(radius) = score_arg(r) else {
        ctx.out.err("need numeric radius");
        return None;
    };
    if radius < 0.0 {
        ctx.out.err("radius cannot be negative");
        return None;
    }
    Some((radius, unit_arg(ctx.out, unit)?))
}

/// Parses a box's width, height and unit: `(width, height, unit in meters)`.
fn box_arg(ctx: &mut Ctx, w: &[u8], h: &[u8], unit: &[u8]) -> Option<(f64, f64, f64)> {
    let Some(width) = score_arg(w) else {
        ctx.out.err("need numeric width");
        return None;
    };
    let Some(height) = score_arg(h) else {
        ctx.out.err("need numeric height");
        return None;
    };
    if width < 0.0 || height < 0.0 {
        ctx.out.err("height or width cannot be negative");
        return None;
    }
    Some((width, height, unit_arg(ctx.out, unit)?))
}

/// The point of `member` in the set at `key` (looked up already); replies Redis's error if
/// it has none.
fn member_point(ctx: &mut Ctx, key: &[u8], member: &[u8]) -> Option<[f64; 2]> {
    match zset(ctx, key).and_then(|z| z.score(member)) {
        Some(s) => Some(geohash::decode_score(s)),
        None => {
            ctx.out.err("could not decode requested zset member");
            None
        }
    }
}

/// The sorted set at `key`, already looked up by this command.
fn zset<'a>(ctx: &'a Ctx, key: &[u8]) -> Option<&'a ZSet> {
    super::zset::zset_at(ctx.store, ctx.db, key)
}

fn generic(ctx: &mut Ctx, argv: &[&[u8]], src_idx: usize, kind: Kind) {
    let src = argv[src_idx];
    let exists = match ctx.read_as::<ZSet>(src) {
        Err(_) => return,
        Ok(z) => z.is_some(),
    };
    let mut center: Option<[f64; 2]> = None;
    let mut size: Option<(ShapeKind, f64)> = None;
    let mut store: Option<&[u8]> = None;
    let mut storedist = false;
    let base = match kind {
        Kind::Coords { .. } => {
            let Some(xy) = lonlat_arg(ctx.out, argv[2], argv[3]) else {
                return;
            };
            center = Some(xy);
            let Some((radius, unit)) = radius_arg(ctx, argv[4], argv[5]) else {
                return;
            };
            size = Some((ShapeKind::Circle { radius }, unit));
            6
        }
        // Without the key the member and radius are not read: the reply is empty anyway.
        Kind::Member { .. } if !exists => 5,
        Kind::Member { .. } => {
            let Some(xy) = member_point(ctx, src, argv[2]) else {
                return;
            };
            center = Some(xy);
            let Some((radius, unit)) = radius_arg(ctx, argv[3], argv[4]) else {
                return;
            };
            size = Some((ShapeKind::Circle { radius }, unit));
            5
        }
        Kind::Search { store: s } => {
            if s {
                store = Some(argv[1]);
            }
            src_idx + 1
        }
    };
    let (search, search_store) = match kind {
        Kind::Search { store } => (true, store),
        _ => (false, false),
    };
    let store_ok = matches!(
        kind,
        Kind::Coords { store_ok: true } | Kind::Member { store_ok: true }
    );
    let (mut withdist, mut withhash, mut withcoord, mut any) = (false, false, false, false);
    let (mut frommember, mut fromloc, mut byradius, mut bybox) = (false, false, false, false);
    let mut sort = Sort::None;
    let mut count: i64 = 0;
    let mut i = base;
    while i < argv.len() {
        let a = argv[i];
        let left = argv.len() - i - 1;
        if is(a, "withdist") {
            withdist = true;
        } else if is(a, "withhash") {
            withhash = true;
        } else if is(a, "withcoord") {
            withcoord = true;
        } else if is(a, "any") {
            any = true;
        } else if is(a, "asc") {
            sort = Sort::Asc;
        } else if is(a, "desc") {
            sort = Sort::Desc;
        } else if is(a, "count") && left >= 1 {
            let Some(n) = parse_i64(argv[i + 1]) else {
                return ctx.out.err("value is not an integer or out of range");
            };
            if n <= 0 {
                return ctx.out.err("COUNT must be > 0");
            }
            count = n;
            i += 1;
        } else if (is(a, "store") || is(a, "storedist")) && left >= 1 && store_ok {
            store = Some(argv[i + 1]);
            storedist = is(a, "storedist");
            i += 1;
        } else if is(a, "storedist") && search_store {
            storedist = true;
        } else if is(a, "frommember") && left >= 1 && search && !fromloc {
            // Without the key, parsing goes on and the reply is empty.
            if exists {
                let Some(xy) = member_point(ctx, src, argv[i + 1]) else {
                    return;
                };
                center = Some(xy);
            }
            frommember = true;
            i += 1;
        } else if is(a, "fromlonlat") && left >= 2 && search && !frommember {
            let Some(xy) = lonlat_arg(ctx.out, argv[i + 1], argv[i + 2]) else {
                return;
            };
            center = Some(xy);
            fromloc = true;
            i += 2;
        } else if is(a, "byradius") && left >= 2 && search && !bybox {
            let Some((radius, unit)) = radius_arg(ctx, argv[i + 1], argv[i + 2]) else {
                return;
            };
            size = Some((ShapeKind::Circle { radius }, unit));
            byradius = true;
            i += 2;
        } else if is(a, "bybox") && left >= 3 && search && !byradius {
            let Some((width, height, unit)) = box_arg(ctx, argv[i + 1], argv[i + 2], argv[i + 3])
            else {
                return;
            };
            size = Some((ShapeKind::Box { width, height }, unit));
            bybox = true;
            i += 3;
        } else {
            return ctx.syntax_error();
        }
        i += 1;
    }
    if store.is_some() && (withdist || withhash || withcoord) {
        let what = if search_store {
            "GEOSEARCHSTORE"
        } else {
            "STORE option in GEORADIUS"
        };
        return ctx.out.err(&format!(
            "{what} is not compatible with WITHDIST, WITHHASH and WITHCOORD options"
        ));
    }
    let name = String::from_utf8_lossy(argv[0]).into_owned();
    if search && !(frommember || fromloc) {
        return ctx.out.err(&format!(
            "exactly one of FROMMEMBER or FROMLONLAT can be specified for {name}"
        ));
    }
    if search && !(byradius || bybox) {
        return ctx.out.err(&format!(
            "exactly one of BYRADIUS and BYBOX can be specified for {name}"
        ));
    }
    if any && count == 0 {
        return ctx.out.err("the ANY argument requires COUNT argument");
    }
    let (Some(center), Some((kind, conversion)), true) = (center, size, exists) else {
        // No source key: an empty result (a STORE removes its destination).
        return match store {
            Some(dst) => {
                ctx.store.delete(ctx.db, dst);
                ctx.out.int(0)
            }
            None => ctx.out.array(0),
        };
    };
    // COUNT without an order means the nearest ones (unless ANY).
    if count != 0 && sort == Sort::None && !any {
        sort = Sort::Asc;
    }
    let shape = Shape::new(center, kind, conversion);
    let limit = if any { count as usize } else { 0 };
    let mut found = search_points(zset(ctx, src).expect("looked up"), &shape, limit);
    if found.is_empty() && store.is_none() {
        return ctx.out.array(0);
    }
    let total = found.len();
    let returned = if count == 0 {
        total
    } else {
        total.min(count as usize)
    };
    if sort != Sort::None {
        // f64::total_cmp orders the (non-negative) distances as Redis's comparator, and
        // stays a total order should a distance be NaN.
        let mut cmp = |a: &Found, b: &Found| {
            let o = a.dist.total_cmp(&b.dist);
            if sort == Sort::Desc {
                o.reverse()
            } else {
                o
            }
        };
        if returned == total {
            // glibc's qsort is a merge sort: stable, as this one.
            found.sort_by(&mut cmp);
        } else {
            partial_sort(&mut found, 0, returned - 1, &mut cmp);
        }
    }
    found.truncate(returned);
    for f in &mut found {
        f.dist /= conversion;
    }
    match store {
        None => reply(ctx, &found, withdist, withhash, withcoord),
        Some(dst) => store_found(ctx, dst, found, storedist, search),
    }
}

/// The points of `z` in `shape`, in the order Redis finds them: box by box (skipping
/// excluded boxes and a box equal to the one read before it), each in score order. With
/// `limit` (ANY), the search stops once that many are found.
fn search_points(z: &ZSet, shape: &Shape, limit: usize) -> Vec<Found> {
    let boxes = geohash::search_boxes(shape);
    let mut found = Vec::new();
    let full = |found: &Vec<Found>| limit != 0 && found.len() >= limit;
    let mut last = 0usize;
    for (i, b) in boxes.iter().enumerate() {
        if b.is_zero() {
            continue;
        }
        // Redis compares with the last box read unless that was the centre (index 0).
        if last != 0 && *b == boxes[last] {
            continue;
        }
        if full(&found) {
            break;
        }
        let min = b.align52() as f64;
        let max = geohash::HashBits {
            bits: b.bits + 1,
            step: b.step,
        }
        .align52() as f64;
        let first = z.partition_point(|_, s| s < min);
        for (member, score) in z.iter_from(first, false) {
            if score >= max {
                break;
            }
            let xy = geohash::decode_score(score);
            if let Some(dist) = shape.contains(xy) {
                found.push(Found {
                    member: member.to_vec(),
                    xy,
                    dist,
                    score,
                });
            }
            if full(&found) {
                break;
            }
        }
        last = i;
    }
    found
}

fn reply(ctx: &mut Ctx, found: &[Found], withdist: bool, withhash: bool, withcoord: bool) {
    let extra = usize::from(withdist) + usize::from(withhash) + usize::from(withcoord);
    ctx.out.array(found.len());
    for f in found {
        if extra > 0 {
            ctx.out.array(extra + 1);
        }
        ctx.out.bulk(&f.member);
        if withdist {
            ctx.out.bulk(distance_text(f.dist).as_bytes());
        }
        if withhash {
            ctx.out.int(f.score as i64);
        }
        if withcoord {
            reply_point(ctx.out, f.xy);
        }
    }
}

/// STORE / STOREDIST / GEOSEARCHSTORE: the results as a sorted set (scored by geohash or
/// by distance) replacing `dst`; none removes it.
fn store_found(ctx: &mut Ctx, dst: &[u8], found: Vec<Found>, storedist: bool, search: bool) {
    let n = found.len();
    if n == 0 {
        ctx.store.delete(ctx.db, dst);
        return ctx.out.int(0);
    }
    let limits = ctx.srv.config.encoding_limits();
    // Built as a skiplist and converted if it fits, as Redis: the same encoding as
    // inserting with the limits.
    let mut z = ZSet::default();
    for f in &found {
        let score = if storedist { f.dist } else { f.score };
        z.insert(&f.member, score, &limits);
    }
    let event = if search {
        Event::GeoSearchStore
    } else {
        Event::GeoRadiusStore
    };
    let value = Value::ZSet(Box::new(z));
    ctx.store
        .insert(ctx.db, dst, value, Ttl::Clear, event, n as u64);
    ctx.out.int(n as i64);
}
