//! Geohashing as Redis does it, so that geo scores, search results and distances are the
//! same to the last bit: 26 steps of interleaved longitude/latitude bits (a 52-bit integer
//! that is a sorted set score), the nine boxes covering a search area, and haversine
//! distances on Redis's earth radius. Every float operation is done in Redis's order with
//! the same libm functions, so results print identically.

use std::f64::consts::PI;

/// Latitude and longitude limits (EPSG:900913: no geocoding at the poles).
pub const LAT_MIN: f64 = -85.051_128_78;
pub const LAT_MAX: f64 = 85.051_128_78;
pub const LONG_MIN: f64 = -180.0;
pub const LONG_MAX: f64 = 180.0;
/// Steps of a full-precision hash (52 bits).
pub const STEP_MAX: u8 = 26;

/// Earth's quadratic mean radius for WGS-84, in meters.
const EARTH_RADIUS: f64 = 6_372_797.560_856;
/// Web Mercator's half width in meters: how the step is estimated from a radius.
const MERCATOR_MAX: f64 = 20_037_726.37;
/// Degrees to radians as Redis's D_R (M_PI / 180.0).
const D_R: f64 = PI / 180.0;

fn deg_rad(a: f64) -> f64 {
    a * D_R
}

fn rad_deg(a: f64) -> f64 {
    a / D_R
}

/// A geohash: `step` bits of each coordinate, interleaved (latitude in the even bits).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct HashBits {
    pub bits: u64,
    pub step: u8,
}

impl HashBits {
    /// The "no box" value Redis uses for a neighbour it excludes.
    pub fn is_zero(self) -> bool {
        self.bits == 0 && self.step == 0
    }

    /// The hash as a 52-bit score prefix.
    pub fn align52(self) -> u64 {
        self.bits << (52 - u32::from(self.step) * 2)
    }
}

/// A closed interval of one coordinate.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct Range {
    pub min: f64,
    pub max: f64,
}

/// The box a hash stands for.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct Area {
    pub longitude: Range,
    pub latitude: Range,
}

/// The ranges scores are made in.
pub const WGS84_LONG: Range = Range {
    min: LONG_MIN,
    max: LONG_MAX,
};
pub const WGS84_LAT: Range = Range {
    min: LAT_MIN,
    max: LAT_MAX,
};

/// Interleaves the low 32 bits of `x` (even positions) and `y` (odd positions).
fn interleave64(x: u32, y: u32) -> u64 {
    fn spread(v: u32) -> u64 {
        let mut v = u64::from(v);
        v = (v | (v << 16)) & 0x0000_FFFF_0000_FFFF;
        v = (v | (v << 8)) & 0x00FF_00FF_00FF_00FF;
        v = (v | (v << 4)) & 0x0F0F_0F0F_0F0F_0F0F;
        v = (v | (v << 2)) & 0x3333_3333_3333_3333;
        (v | (v << 1)) & 0x5555_5555_5555_5555
    }
    spread(x) | (spread(y) << 1)
}

/// Splits interleaved bits: the even ones in the low half, the odd ones in the high half.
fn deinterleave64(v: u64) -> u64 {
    fn squash(mut v: u64) -> u64 {
        v &= 0x5555_5555_5555_5555;
        v = (v | (v >> 1)) & 0x3333_3333_3333_3333;
        v = (v | (v >> 2)) & 0x0F0F_0F0F_0F0F_0F0F;
        v = (v | (v >> 4)) & 0x00FF_00FF_00FF_00FF;
        v = (v | (v >> 8)) & 0x0000_FFFF_0000_FFFF;
        (v | (v >> 16)) & 0x0000_0000_FFFF_FFFF
    }
    squash(v) | (squash(v >> 1) << 32)
}

/// Encodes a point in the given ranges with `step` bits per coordinate; None outside the
/// WGS-84 limits or the ranges.
pub fn encode(
    long_range: Range,
    lat_range: Range,
    long: f64,
    lat: f64,
    step: u8,
) -> Option<HashBits> {
    if !(LONG_MIN..=LONG_MAX).contains(&long) || !(LAT_MIN..=LAT_MAX).contains(&lat) {
        return None;
    }
    if lat < lat_range.min || lat > lat_range.max || long < long_range.min || long > long_range.max
    {
        return None;
    }
    let scale = (1u64 << step) as f64;
    let lat_offset = (lat - lat_range.min) / (lat_range.max - lat_range.min) * scale;
    let long_offset = (long - long_range.min) / (long_range.max - long_range.min) * scale;
    // C's conversion to uint32_t truncates; the offsets are in [0, 2^step].
    Some(HashBits {
        bits: interleave64(lat_offset as u32, long_offset as u32),
        step,
    })
}

/// Encodes a point at full precision in the WGS-84 ranges.
pub fn encode_wgs84(long: f64, lat: f64) -> Option<HashBits> {
    encode(WGS84_LONG, WGS84_LAT, long, lat, STEP_MAX)
}

/// The box `hash` stands for; None for the zero hash.
pub fn decode(long_range: Range, lat_range: Range, hash: HashBits) -> Option<Area> {
    if hash.is_zero() {
        return None;
    }
    let sep = deinterleave64(hash.bits);
    let lat_scale = lat_range.max - lat_range.min;
    let long_scale = long_range.max - long_range.min;
    let (ilat, ilong) = (sep as u32, (sep >> 32) as u32);
    let div = (1u64 << hash.step) as f64;
    // `ilat + 1` is 32-bit arithmetic in C: it wraps for the bits of a score that is no
    // geohash.
    let edge = |i: u32| f64::from(i) * 1.0 / div;
    Some(Area {
        latitude: Range {
            min: lat_range.min + edge(ilat) * lat_scale,
            max: lat_range.min + edge(ilat.wrapping_add(1)) * lat_scale,
        },
        longitude: Range {
            min: long_range.min + edge(ilong) * long_scale,
            max: long_range.min + edge(ilong.wrapping_add(1)) * long_scale,
        },
    })
}

/// The centre of a box, clamped to the WGS-84 limits: `[longitude, latitude]`.
pub fn area_center(area: &Area) -> [f64; 2] {
    let long = ((area.longitude.min + area.longitude.max) / 2.0).clamp(LONG_MIN, LONG_MAX);
    let lat = ((area.latitude.min + area.latitude.max) / 2.0).clamp(LAT_MIN, LAT_MAX);
    [long, lat]
}

/// C's `(uint64_t)` of a double as x86-64 code does it: values from 2^63 up are offset
/// by 2^63 first, and anything the signed conversion cannot hold gives its "integer
/// indefinite" 2^63. A score that is no geohash (negative, huge) decodes as Redis's does.
fn c_double_to_u64(x: f64) -> u64 {
    const TWO63: f64 = 9_223_372_036_854_775_808.0;
    fn cvtt(y: f64) -> u64 {
        if y.is_nan() || !(-TWO63..TWO63).contains(&y) {
            1 << 63
        } else {
            y as i64 as u64
        }
    }
    if x >= TWO63 {
        cvtt(x - TWO63) ^ (1 << 63)
    } else {
        cvtt(x)
    }
}

/// The point a sorted set score stands for: `[longitude, latitude]`.
pub fn decode_score(score: f64) -> [f64; 2] {
    let hash = HashBits {
        bits: c_double_to_u64(score),
        step: STEP_MAX,
    };
    let area = decode(WGS84_LONG, WGS84_LAT, hash).expect("a full-step hash is never zero");
    area_center(&area)
}

/// Moves the longitude bits of `hash` one box east (`d > 0`) or west, wrapping around.
fn move_x(hash: &mut HashBits, d: i8) {
    let shift = 64 - u32::from(hash.step) * 2;
    let x = hash.bits & 0xaaaa_aaaa_aaaa_aaaa;
    let y = hash.bits & 0x5555_5555_5555_5555;
    let zz = 0x5555_5555_5555_5555u64 >> shift;
    let x = if d > 0 {
        x.wrapping_add(zz + 1)
    } else {
        (x | zz).wrapping_sub(zz + 1)
    };
    hash.bits = (x & (0xaaaa_aaaa_aaaa_aaaa >> shift)) | y;
}

/// Moves the latitude bits of `hash` one box north (`d > 0`) or south, wrapping around.
fn move_y(hash: &mut HashBits, d: i8) {
    let shift = 64 - u32::from(hash.step) * 2;
    let x = hash.bits & 0xaaaa_aaaa_aaaa_aaaa;
    let y = hash.bits & 0x5555_5555_5555_5555;
    let zz = 0xaaaa_aaaa_aaaa_aaaau64 >> shift;
    let y = if d > 0 {
        y.wrapping_add(zz + 1)
    } else {
        (y | zz).wrapping_sub(zz + 1)
    };
    hash.bits = x | (y & (0x5555_5555_5555_5555 >> shift));
}

/// The eight boxes around a hash, in Redis's search order after the centre: north,
/// south, east, west, north-east, north-west, south-east, south-west.
fn neighbors(hash: HashBits) -> [HashBits; 8] {
    let at = |dx: i8, dy: i8| {
        let mut h = hash;
        if dx != 0 {
            move_x(&mut h, dx);
        }
        if dy != 0 {
            move_y(&mut h, dy);
        }
        h
    };
    [
        at(0, 1),
        at(0, -1),
        at(1, 0),
        at(-1, 0),
        at(1, 1),
        at(-1, 1),
        at(1, -1),
        at(-1, -1),
    ]
}

/// How many steps the nine boxes of a search of `radius` meters around latitude `lat`
/// need.
fn estimate_steps(mut radius: f64, lat: f64) -> u8 {
    if radius == 0.0 {
        return 26;
    }
    let mut step: i32 = 1;
    while radius < MERCATOR_MAX {
        radius *= 2.0;
        step += 1;
    }
    // Make sure the range is included in most of the base cases.
    step -= 2;
    // Wider boxes towards the poles.
    if !(-66.0..=66.0).contains(&lat) {
        step -= 1;
        if !(-80.0..=80.0).contains(&lat) {
            step -= 1;
        }
    }
    step.clamp(1, 26) as u8
}

/// What a search covers.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum ShapeKind {
    /// BYRADIUS radius.
    Circle { radius: f64 },
    /// BYBOX width height.
    Box { width: f64, height: f64 },
}

/// A search area: its centre, its size in the unit given, and that unit in meters.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Shape {
    pub center: [f64; 2],
    pub kind: ShapeKind,
    pub conversion: f64,
    /// The centre in radians and the cosine of its latitude: the same values Redis's
    /// haversine computes for every point, computed once.
    rad: [f64; 2],
    cos_lat: f64,
}

impl Shape {
    /// The shape around `center` (longitude, latitude), sized in a unit of `conversion`
    /// meters.
    pub fn new(center: [f64; 2], kind: ShapeKind, conversion: f64) -> Shape {
        let rad = [deg_rad(center[0]), deg_rad(center[1])];
        Shape {
            center,
            kind,
            conversion,
            rad,
            cos_lat: rad[1].cos(),
        }
    }

    /// [`distance`] from the centre to the point at longitude `lon` (degrees) and latitude
    /// `lat_r` (radians, with its cosine): the same operations in the same order, fewer.
    fn distance_from_center(&self, lon: f64, lat_r: f64, cos_lat: f64) -> f64 {
        let v = ((deg_rad(lon) - self.rad[0]) / 2.0).sin();
        if v == 0.0 {
            return EARTH_RADIUS * (lat_r - self.rad[1]).abs();
        }
        let u = ((lat_r - self.rad[1]) / 2.0).sin();
        let a = u * u + self.cos_lat * cos_lat * v * v;
        2.0 * EARTH_RADIUS * a.sqrt().asin()
    }

    /// The bounding box `[min_long, min_lat, max_long, max_lat]`, with longitudes taken at
    /// the edge nearer the pole, as Redis's geohashBoundingBox.
    fn bounds(&self) -> [f64; 4] {
        let [long, lat] = self.center;
        let (half_h, half_w) = match self.kind {
            ShapeKind::Circle { radius } => (radius, radius),
            ShapeKind::Box { width, height } => (height / 2.0, width / 2.0),
        };
        let height = self.conversion * half_h;
        let width = self.conversion * half_w;
        let lat_delta = rad_deg(height / EARTH_RADIUS);
        let long_delta_top = rad_deg(width / EARTH_RADIUS / deg_rad(lat + lat_delta).cos());
        let long_delta_bottom = rad_deg(width / EARTH_RADIUS / deg_rad(lat - lat_delta).cos());
        let long_delta = if lat < 0.0 {
            long_delta_bottom
        } else {
            long_delta_top
        };
        [
            long - long_delta,
            lat - lat_delta,
            long + long_delta,
            lat + lat_delta,
        ]
    }

    /// Whether the point at `xy` is in the shape, and its distance from the centre in
    /// meters (Redis's geoWithinShape).
    pub fn contains(&self, xy: [f64; 2]) -> Option<f64> {
        let [x2, y2] = xy;
        let lat_r = deg_rad(y2);
        match self.kind {
            ShapeKind::Circle { radius } => {
                let d = self.distance_from_center(x2, lat_r, lat_r.cos());
                // Rejected only when farther, as Redis: a NaN distance is kept.
                match d.partial_cmp(&(radius * self.conversion)) {
                    Some(std::cmp::Ordering::Greater) => None,
                    _ => Some(d),
                }
            }
            ShapeKind::Box { width, height } => {
                // The latitude distance is cheaper: checked first.
                if EARTH_RADIUS * (self.rad[1] - lat_r).abs() > height * self.conversion / 2.0 {
                    return None;
                }
                // Along the point's parallel to the centre's longitude (Redis's
                // distance(x2, y2, x1, y2), whose latitude terms vanish).
                let cos_lat = lat_r.cos();
                let v = ((self.rad[0] - deg_rad(x2)) / 2.0).sin();
                let along = if v == 0.0 {
                    0.0
                } else {
                    let u = 0.0f64;
                    let a = u * u + cos_lat * cos_lat * v * v;
                    2.0 * EARTH_RADIUS * a.sqrt().asin()
                };
                if along > width * self.conversion / 2.0 {
                    return None;
                }
                Some(self.distance_from_center(x2, lat_r, cos_lat))
            }
        }
    }
}

/// The boxes a search reads, in order: the centre box, then its neighbours that can
/// hold matches (zero hashes for the ones Redis leaves out).
pub fn search_boxes(shape: &Shape) -> [HashBits; 9] {
    let [min_lon, min_lat, max_lon, max_lat] = shape.bounds();
    let [long, lat] = shape.center;
    let radius = match shape.kind {
        ShapeKind::Circle { radius } => radius,
        ShapeKind::Box { width, height } => {
            ((width / 2.0) * (width / 2.0) + (height / 2.0) * (height / 2.0)).sqrt()
        }
    } * shape.conversion;
    let mut steps = estimate_steps(radius, lat);
    let boxes_at = |steps: u8| {
        let hash = encode(WGS84_LONG, WGS84_LAT, long, lat, steps).unwrap_or(HashBits {
            bits: 0,
            step: steps,
        });
        let area = decode(WGS84_LONG, WGS84_LAT, hash).unwrap_or_default();
        (hash, neighbors(hash), area)
    };
    let (mut hash, mut around, mut area) = boxes_at(steps);
    // Near the edge of the centre box a neighbour may not reach the whole area: one step
    // coarser then.
    let reach = |h: HashBits| decode(WGS84_LONG, WGS84_LAT, h).unwrap_or_default();
    let decrease = reach(around[0]).latitude.max < max_lat
        || reach(around[1]).latitude.min > min_lat
        || reach(around[2]).longitude.max < max_lon
        || reach(around[3]).longitude.min > min_lon;
    if steps > 1 && decrease {
        steps -= 1;
        (hash, around, area) = boxes_at(steps);
    }
    // Leave out the neighbours on the sides the area does not reach.
    if steps >= 2 {
        let zero = HashBits::default();
        let clear = |around: &mut [HashBits; 8], idx: [usize; 3]| {
            for i in idx {
                around[i] = zero;
            }
        };
        if area.latitude.min < min_lat {
            clear(&mut around, [1, 7, 6]);
        }
        if area.latitude.max > max_lat {
            clear(&mut around, [0, 4, 5]);
        }
        if area.longitude.min < min_lon {
            clear(&mut around, [3, 7, 5]);
        }
        if area.longitude.max > max_lon {
            clear(&mut around, [2, 6, 4]);
        }
    }
    let mut all = [hash; 9];
    all[1..].copy_from_slice(&around);
    all
}

/// The distance between two latitudes on a meridian.
fn lat_distance(lat1: f64, lat2: f64) -> f64 {
    EARTH_RADIUS * (deg_rad(lat2) - deg_rad(lat1)).abs()
}

/// The haversine great-circle distance in meters between two points (degrees).
pub fn distance(lon1: f64, lat1: f64, lon2: f64, lat2: f64) -> f64 {
    let lon1r = deg_rad(lon1);
    let lon2r = deg_rad(lon2);
    let v = ((lon2r - lon1r) / 2.0).sin();
    // The same longitude: the distance is along the meridian.
    if v == 0.0 {
        return lat_distance(lat1, lat2);
    }
    let lat1r = deg_rad(lat1);
    let lat2r = deg_rad(lat2);
    let u = ((lat2r - lat1r) / 2.0).sin();
    let a = u * u + lat1r.cos() * lat2r.cos() * v * v;
    2.0 * EARTH_RADIUS * a.sqrt().asin()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn interleaving_round_trips() {
        for (x, y) in [
            (0u32, 0u32),
            (1, 0),
            (0, 1),
            (0xdead_beef, 0x1234_5678),
            (u32::MAX, 7),
        ] {
            let v = deinterleave64(interleave64(x, y));
            assert_eq!((v as u32, (v >> 32) as u32), (x, y));
        }
    }

    #[test]
    fn scores_match_redis() {
        // GEOADD k 13.361389 38.115556 Palermo gives the score 3479099956230698 in Redis,
        // and GEOPOS reads it back as 13.36138933897018433 38.11555639549629859.
        let h = encode_wgs84(13.361389, 38.115556).unwrap();
        assert_eq!(h.align52(), 3_479_099_956_230_698);
        let [x, y] = decode_score(3_479_099_956_230_698.0);
        assert_eq!(
            format!("{x:.17} {y:.17}"),
            "13.36138933897018433 38.11555639549629859"
        );
        // GEODIST Palermo Catania is 166274.1516 m.
        let [cx, cy] = decode_score(3_479_447_370_796_909.0);
        assert_eq!(format!("{:.4}", distance(x, y, cx, cy)), "166274.1516");
    }

    #[test]
    fn shape_distances_are_the_plain_haversine() {
        let mut seed = 88172645463325252u64;
        let mut next = || {
            seed ^= seed << 13;
            seed ^= seed >> 7;
            seed ^= seed << 17;
            (seed >> 11) as f64 / (1u64 << 53) as f64
        };
        for _ in 0..2000 {
            let c = [next() * 360.0 - 180.0, next() * 170.0 - 85.0];
            let p = [next() * 360.0 - 180.0, next() * 170.0 - 85.0];
            let circle = Shape::new(c, ShapeKind::Circle { radius: 1e9 }, 1.0);
            let d = distance(c[0], c[1], p[0], p[1]);
            assert_eq!(circle.contains(p).map(f64::to_bits), Some(d.to_bits()));
            let (w, h) = (next() * 1e7, next() * 1e7);
            let boxed = Shape::new(
                c,
                ShapeKind::Box {
                    width: w,
                    height: h,
                },
                1.0,
            );
            let inside =
                lat_distance(p[1], c[1]) <= h / 2.0 && distance(p[0], p[1], c[0], p[1]) <= w / 2.0;
            let want = inside.then_some(d.to_bits());
            assert_eq!(boxed.contains(p).map(f64::to_bits), want);
        }
        // The same longitude: along the meridian.
        let s = Shape::new([10.0, 20.0], ShapeKind::Circle { radius: 1e9 }, 1.0);
        assert_eq!(
            s.contains([10.0, 25.0]),
            Some(distance(10.0, 20.0, 10.0, 25.0))
        );
    }

    #[test]
    fn odd_scores_decode_as_x86_conversions_do() {
        assert_eq!(c_double_to_u64(-1.5), u64::MAX);
        assert_eq!(c_double_to_u64(f64::INFINITY), 0);
        assert_eq!(c_double_to_u64(f64::NEG_INFINITY), 1 << 63);
        assert_eq!(c_double_to_u64(1e19), 10_000_000_000_000_000_000);
    }
}
