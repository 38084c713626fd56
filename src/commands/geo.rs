//! Geospatial commands on points kept in a sorted set (its scores are 52-bit geohashes,
//! `util/geohash.rs`): GEOADD GEODIST GEOHASH GEOPOS, and what the searches in
//! `geo_search.rs` share: coordinate, unit and distance arguments and Redis's number
//! formats.

use super::zset::{score_arg, zadd_apply, ZAddFlags};
use super::{is, Ctx};
use crate::protocol::reply::Reply;
use crate::store::types::ZSet;
use crate::util::geohash::{self, Range, LAT_MAX, LAT_MIN, LONG_MAX, LONG_MIN};

/// Parses a longitude and a latitude, refusing points outside what a geohash encodes;
/// replies Redis's error on failure.
pub(super) fn lonlat_arg(out: &mut Reply, long: &[u8], lat: &[u8]) -> Option<[f64; 2]> {
    let (Some(x), Some(y)) = (score_arg(long), score_arg(lat)) else {
        out.err("value is not a valid float");
        return None;
    };
    if !(LONG_MIN..=LONG_MAX).contains(&x) || !(LAT_MIN..=LAT_MAX).contains(&y) {
        // `%f`: six decimals, `inf` as C prints it.
        out.err(&format!("invalid longitude,latitude pair {x:.6},{y:.6}"));
        return None;
    }
    Some([x, y])
}

/// A unit's size in meters (m, km, ft, mi, any case); replies Redis's error otherwise.
pub(super) fn unit_arg(out: &mut Reply, unit: &[u8]) -> Option<f64> {
    // Compared as C strings: up to a NUL byte.
    let unit = &unit[..unit.iter().position(|&b| b == 0).unwrap_or(unit.len())];
    let meters = [("m", 1.0), ("km", 1000.0), ("ft", 0.3048), ("mi", 1609.34)]
        .into_iter()
        .find(|(name, _)| is(unit, name))
        .map(|(_, m)| m);
    if meters.is_none() {
        out.err("unsupported unit provided. please use M, KM, FT, MI");
    }
    meters
}

/// A distance as Redis replies it: four decimals (fixedpoint_d2string), rounded to nearest
/// even like `llrint`. Written into a stack buffer: a search replies one per result, and
/// `format!` had been a quarter of GEOSEARCH's time.
pub(super) fn distance_text(d: f64) -> DistanceText {
    let mut t = DistanceText {
        buf: [0; 32],
        len: 0,
    };
    if d == 0.0 {
        t.push(b"0.0000");
        return t;
    }
    let scaled = (d * 10000.0).round_ties_even();
    let v = if scaled.is_finite() && scaled.abs() < 9.2e18 {
        scaled as i64
    } else {
        // llrint's answer for what a long long cannot hold.
        i64::MIN
    };
    if v < 0 {
        t.push(b"-");
    }
    let u = v.unsigned_abs();
    let (mut int, mut digits, mut at) = (u / 10000, [0u8; 20], 20);
    loop {
        at -= 1;
        digits[at] = b'0' + (int % 10) as u8;
        int /= 10;
        if int == 0 {
            break;
        }
    }
    t.push(&digits[at..]);
    let frac = u % 10000;
    t.push(&[
        b'.',
        b'0' + (frac / 1000) as u8,
        b'0' + (frac / 100 % 10) as u8,
        b'0' + (frac / 10 % 10) as u8,
        b'0' + (frac % 10) as u8,
    ]);
    t
}

/// A distance's text, as [`distance_text`] makes it.
pub(super) struct DistanceText {
    buf: [u8; 32],
    len: usize,
}

impl DistanceText {
    fn push(&mut self, b: &[u8]) {
        self.buf[self.len..self.len + b.len()].copy_from_slice(b);
        self.len += b.len();
    }

    /// The text.
    pub fn as_bytes(&self) -> &[u8] {
        &self.buf[..self.len]
    }
}

/// A coordinate as Redis's addReplyHumanLongDouble prints it: `%.17Lf` of the exact
/// value with trailing zeros (and a bare point) dropped, `-0` as `0`.
pub(super) fn human_text(x: f64) -> String {
    if x.is_infinite() {
        return if x > 0.0 { "inf" } else { "-inf" }.into();
    }
    let mut s = format!("{x:.17}");
    let trimmed = s.trim_end_matches('0').trim_end_matches('.').len();
    s.truncate(trimmed);
    if s == "-0" {
        s = "0".into();
    }
    s
}

/// Replies a point as `[longitude, latitude]`.
pub(super) fn reply_point(out: &mut Reply, xy: [f64; 2]) {
    out.array(2);
    out.double_text(human_text(xy[0]).as_bytes());
    out.double_text(human_text(xy[1]).as_bytes());
}

/// GEOADD key [NX|XX] [CH] longitude latitude member [longitude latitude member ...]
pub fn geoadd(ctx: &mut Ctx, argv: &[&[u8]]) {
    let mut f = ZAddFlags::default();
    let mut i = 2;
    while i < argv.len() {
        if is(argv[i], "nx") {
            f.nx = true;
        } else if is(argv[i], "xx") {
            f.xx = true;
        } else if is(argv[i], "ch") {
            f.ch = true;
        } else {
            break;
        }
        i += 1;
    }
    let rest = argv.len() - i;
    if rest == 0 || !rest.is_multiple_of(3) || (f.xx && f.nx) {
        return ctx.syntax_error();
    }
    let mut pairs = Vec::with_capacity(rest / 3);
    for t in argv[i..].chunks(3) {
        let Some([x, y]) = lonlat_arg(ctx.out, t[0], t[1]) else {
            return;
        };
        let bits = geohash::encode_wgs84(x, y)
            .expect("checked coordinates encode")
            .align52();
        pairs.push((bits as f64, t[2]));
    }
    zadd_apply(ctx, argv[1], f, &pairs);
    // Replicas and logs get the ZADD it is, as Redis rewrites the command.
    if ctx.srv.propagation.is_on() {
        let scores: Vec<String> = pairs.iter().map(|(s, _)| (*s as u64).to_string()).collect();
        let mut args: Vec<&[u8]> = vec![b"zadd", argv[1]];
        args.extend_from_slice(&argv[2..i]);
        for ((_, member), score) in pairs.iter().zip(&scores) {
            args.push(score.as_bytes());
            args.push(member);
        }
        ctx.rewrite_argv(&args);
    }
}

/// The points of `members` in the set at `key` (None for a missing member, or when the
/// key is missing); `Err` after WRONGTYPE.
fn points(ctx: &mut Ctx, key: &[u8], members: &[&[u8]]) -> Result<Vec<Option<f64>>, ()> {
    let z = ctx.read_as::<ZSet>(key).map_err(|_| ())?;
    Ok(members
        .iter()
        .map(|m| z.as_ref().and_then(|z| z.score(m)))
        .collect())
}

/// GEOPOS key [member ...]
pub fn geopos(ctx: &mut Ctx, argv: &[&[u8]]) {
    let Ok(scores) = points(ctx, argv[1], &argv[2..]) else {
        return;
    };
    ctx.out.array(scores.len());
    for s in scores {
        match s {
            Some(s) => reply_point(ctx.out, geohash::decode_score(s)),
            None => ctx.out.null_array(),
        }
    }
}

/// GEOHASH key [member ...]: standard 11-character geohashes (re-encoded over latitudes
/// -90..90, the last character always `0`).
pub fn geohash(ctx: &mut Ctx, argv: &[&[u8]]) {
    const ALPHABET: &[u8; 32] = b"0123456789bcdefghjkmnpqrstuvwxyz";
    let Ok(scores) = points(ctx, argv[1], &argv[2..]) else {
        return;
    };
    ctx.out.array(scores.len());
    for s in scores {
        let Some(s) = s else {
            ctx.out.null();
            continue;
        };
        let [x, y] = geohash::decode_score(s);
        let long = Range {
            min: -180.0,
            max: 180.0,
        };
        let lat = Range {
            min: -90.0,
            max: 90.0,
        };
        let bits = geohash::encode(long, lat, x, y, 26).map_or(0, |h| h.bits);
        let mut text = [b'0'; 11];
        for (i, c) in text.iter_mut().take(10).enumerate() {
            *c = ALPHABET[((bits >> (52 - (i + 1) * 5)) & 0x1f) as usize];
        }
        ctx.out.bulk(&text);
    }
}

/// GEODIST key member1 member2 [M|KM|FT|MI]
pub fn geodist(ctx: &mut Ctx, argv: &[&[u8]]) {
    let to_meters = match argv.len() {
        5 => match unit_arg(ctx.out, argv[4]) {
            Some(u) => u,
            None => return,
        },
        4 => 1.0,
        _ => return ctx.syntax_error(),
    };
    let Ok(scores) = points(ctx, argv[1], &argv[2..4]) else {
        return;
    };
    let (Some(a), Some(b)) = (scores[0], scores[1]) else {
        return ctx.out.null();
    };
    let [x1, y1] = geohash::decode_score(a);
    let [x2, y2] = geohash::decode_score(b);
    let d = geohash::distance(x1, y1, x2, y2) / to_meters;
    ctx.out.bulk(distance_text(d).as_bytes());
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_print_as_redis() {
        let dist = |d: f64| String::from_utf8(distance_text(d).as_bytes().to_vec()).unwrap();
        assert_eq!(dist(0.0), "0.0000");
        assert_eq!(dist(166_274.151_57), "166274.1516");
        assert_eq!(dist(0.00005), "0.0000");
        assert_eq!(dist(12.5), "12.5000");
        assert_eq!(dist(1e300), "-922337203685477.5808");
        assert_eq!(human_text(13.361389338970184), "13.36138933897018433");
        assert_eq!(human_text(-0.0), "0");
        assert_eq!(human_text(2.5), "2.5");
        assert_eq!(human_text(180.0), "180");
    }
}
