//! Differential tests for the geo commands: every command and option, the errors, RESP2 and
//! RESP3, compared byte for byte with redis-server (scores, coordinates, distances,
//! search results and their order), plus searches over a pseudo-random point set.

mod common;

use common::diff::{assert_same, case, Case};
use common::scenario::{assert_scenarios_match, Step::*};

fn leak(s: String) -> &'static str {
    Box::leak(s.into_boxed_str())
}

const NYC: &str = "GEOADD nyc -73.9454966 40.747533 lic -73.9733487 40.7648057 central -73.9903085 40.7362513 union -74.0131604 40.7126674 wtc -73.7858139 40.6428986 jfk -73.9375699 40.7498929 q4 -73.9564142 40.7480973 4545";

fn cases() -> Vec<Case> {
    vec![
        case(
            "geoadd",
            &[
                "GEOADD nyc -73.9454966 40.747533 lic",
                "GEOADD nyc -73.9454966 40.747533 lic",
                "GEOADD nyc CH 40.747533 -73.9454966 lic",
                "GEOADD nyc NX -73.9454966 40.747533 lic",
                "GEOADD nyc XX -83.9454966 40.747533 lic",
                "GEOADD nyc CH NX -73.9454966 40.747533 lic",
                "GEOADD nyc CH XX -73.9454966 40.747533 lic",
                "GEOADD nyc XX -73 40 newone",
                "GEOADD nyc xx nx -73.9454966 40.747533 lic",
                "GEOADD nyc ch xx foo -73.9454966 40.747533 lic",
                "GEOADD nyc -73.9454966 40.747533 lic foo bar luck",
                "GEOADD nyc 200 40 bad",
                "GEOADD nyc 10 86 bad",
                "GEOADD nyc -180.0001 0 bad",
                "GEOADD nyc inf 0 bad",
                "GEOADD nyc 0 -inf bad",
                "GEOADD nyc 1e400 0 bad",
                "GEOADD nyc \\e 0 bad",
                "GEOADD nyc 0x10 0 hex",
                "GEOADD nyc 180 85.05112878 corner -180 -85.05112878 corner2 0 0 origin",
                "GEOADD nyc ch ch ch",
                "GEOADD nyc 1 2",
                "GEOADD nyc nx 1 2",
                "GEOADD nyc GT 1 2 x",
                "GEOADD",
                NYC,
                "ZRANGE nyc 0 -1 WITHSCORES",
                "TYPE nyc",
                "OBJECT ENCODING nyc",
                "SET str x",
                "GEOADD str 1 2 m",
            ],
        ),
        case(
            "geopos-geohash-geodist",
            &[
                NYC,
                "GEOADD Sicily 13.361389 38.115556 Palermo 15.087269 37.502669 Catania",
                "GEOPOS Sicily Palermo Catania NonExisting",
                "GEOPOS Sicily",
                "GEOPOS nokey a b",
                "GEOHASH Sicily Palermo Catania nope",
                "GEOHASH nokey a",
                "GEOHASH Sicily",
                "GEOPOS nyc lic central union wtc jfk q4 4545",
                "GEOHASH nyc lic central union wtc jfk q4 4545",
                "GEODIST Sicily Palermo Catania",
                "GEODIST Sicily Palermo Catania km",
                "GEODIST Sicily Palermo Catania MI",
                "GEODIST Sicily Palermo Catania ft",
                "GEODIST Sicily Palermo Catania M",
                "GEODIST Sicily Palermo Catania yards",
                "GEODIST Sicily Palermo Catania km extra",
                "GEODIST Sicily Palermo nope",
                "GEODIST nokey a b",
                "GEODIST nokey a b furlongs",
                "GEODIST Sicily Palermo Palermo",
                "GEODIST nyc wtc jfk km",
                "SET str x",
                "GEOPOS str a",
                "GEOHASH str a",
                "GEODIST str a b",
                // Scores that are no geohash decode as Redis's C conversions do.
                "ZADD odd -1 neg 0 zero 4503599627370496 big 1e300 huge -inf ninf inf pinf 0.5 half",
                "GEOPOS odd neg zero big huge ninf pinf half",
                "GEOHASH odd neg zero big huge ninf pinf half",
                "GEODIST odd neg huge",
                "GEORADIUS odd 0 0 50000 km WITHCOORD WITHHASH WITHDIST",
                "GEOADD edge 180 85.05112878 ne -180 -85.05112878 sw 0 0 o",
                "GEOPOS edge ne sw o",
                "GEOHASH edge ne sw o",
            ],
        ),
        case(
            "georadius",
            &[
                NYC,
                "GEORADIUS nyc -73.9798091 40.7598464 3 km asc",
                "GEORADIUS nyc -73.9798091 40.7598464 3 km",
                "GEORADIUS nyc -73.9798091 40.7598464 3 km desc",
                "GEORADIUS nyc -73.9798091 40.7598464 3 km withdist asc",
                "GEORADIUS nyc -73.9798091 40.7598464 3000 m withdist withcoord withhash",
                "GEORADIUS nyc -73.9798091 40.7598464 10 km COUNT 3",
                "GEORADIUS nyc -73.9798091 40.7598464 10 km COUNT 2 DESC",
                "GEORADIUS nyc -73.9798091 40.7598464 10 km COUNT 3 ANY",
                "GEORADIUS nyc -73.9798091 40.7598464 10 km COUNT 3 ANY ASC",
                "GEORADIUS nyc -73.9798091 40.7598464 10 km COUNT 100",
                "GEORADIUS nyc -73.9798091 40.7598464 10 km ANY",
                "GEORADIUS nyc -73.9798091 40.7598464 10 km COUNT",
                "GEORADIUS nyc -73.9798091 40.7598464 10 km COUNT 0",
                "GEORADIUS nyc -73.9798091 40.7598464 10 km COUNT -1",
                "GEORADIUS nyc -73.9798091 40.7598464 10 km COUNT x",
                "GEORADIUS nyc -73.9798091 40.7598464 10 km bogus",
                "GEORADIUS nyc -73.9798091 40.7598464 -1 km",
                "GEORADIUS nyc -73.9798091 40.7598464 x km",
                "GEORADIUS nyc -73.9798091 40.7598464 10 parsecs",
                "GEORADIUS nyc 200 40 10 km",
                "GEORADIUS nyc abc 40 10 km",
                "GEORADIUS nyc -73.9798091 40.7598464 0 km",
                "GEORADIUS nyc -73.9798091 40.7598464 10 mi withdist",
                "GEORADIUS nyc -73.9798091 40.7598464 10000 ft withdist desc",
                "GEORADIUS nyc -73.9798091 40.7598464 10 km frommember wtc",
                "GEORADIUS_RO nyc -73.9798091 40.7598464 10 km withdist asc",
                "GEORADIUS_RO nyc -73.9798091 40.7598464 10 km store dst",
                "GEORADIUS nokey 0 0 10 km",
                "GEORADIUS nokey 200 0 10 km",
                "GEORADIUSBYMEMBER nyc wtc 7 km",
                "GEORADIUSBYMEMBER nyc wtc 7 km withdist",
                "GEORADIUSBYMEMBER nyc wtc 7 km withdist withcoord count 2 desc",
                "GEORADIUSBYMEMBER nyc nope 7 km",
                "GEORADIUSBYMEMBER nyc wtc -7 km",
                "GEORADIUSBYMEMBER nokey wtc 7 km",
                "GEORADIUSBYMEMBER nokey wtc x y",
                "GEORADIUSBYMEMBER nokey wtc x y store dst",
                "GEORADIUSBYMEMBER_RO nyc wtc 7 km asc",
                "GEOADD users -47.271613776683807 -54.534504198047678 user_000000",
                "GEORADIUS users 0 0 50000 km WITHCOORD",
                "SET str x",
                "GEORADIUS str 0 0 10 km",
                "GEORADIUSBYMEMBER str a 10 km",
            ],
        ),
        case(
            "georadius-store",
            &[
                NYC,
                "GEORADIUS nyc -73.9798091 40.7598464 10 km STORE dst",
                "ZRANGE dst 0 -1 WITHSCORES",
                "GEORADIUS nyc -73.9798091 40.7598464 10 km STOREDIST dst",
                "ZRANGE dst 0 -1 WITHSCORES",
                "GEORADIUS nyc -73.9798091 40.7598464 10 km COUNT 2 DESC STOREDIST dst",
                "ZRANGE dst 0 -1 WITHSCORES",
                "GEORADIUS nyc -73.9798091 40.7598464 10 km ASC COUNT 3 STORE dst",
                "ZRANGE dst 0 -1 WITHSCORES",
                "OBJECT ENCODING dst",
                "GEORADIUS nyc -73.9798091 40.7598464 10 km STORE dst WITHDIST",
                "GEORADIUS nyc -73.9798091 40.7598464 10 km STORE",
                "GEORADIUS nyc 0 0 1 km STORE dst",
                "EXISTS dst",
                "GEORADIUSBYMEMBER nyc wtc 7 km STORE dst2 STOREDIST dst3",
                "EXISTS dst2 dst3",
                "ZRANGE dst3 0 -1 WITHSCORES",
                "SET s v EX 100",
                "GEORADIUS nyc -73.9798091 40.7598464 10 km STORE s",
                "TTL s",
                "GEORADIUS nokey 0 0 1 km STORE s",
                "EXISTS s",
                "GEORADIUS nokey 0 0 1 km STORE s",
            ],
        ),
        case(
            "geosearch",
            &[
                NYC,
                "GEOSEARCH nyc FROMLONLAT -73.9798091 40.7598464 BYBOX 6 6 km ASC",
                "GEOSEARCH nyc FROMLONLAT -73.9798091 40.7598464 BYRADIUS 3 km ASC",
                "GEOSEARCH nyc FROMMEMBER wtc BYBOX 14 14 km",
                "GEOSEARCH nyc FROMMEMBER wtc BYBOX 14 14 km WITHDIST WITHHASH WITHCOORD DESC",
                "GEOSEARCH nyc FROMMEMBER wtc BYRADIUS 7 km COUNT 2 ANY",
                "GEOSEARCH nyc FROMMEMBER wtc BYRADIUS 7 km COUNT 2",
                "geosearch nyc fromlonlat -73.9798091 40.7598464 frommember wtc bybox 6 6 km asc",
                "GEOSEARCH nyc FROMMEMBER wtc FROMLONLAT -73.9798091 40.7598464 BYBOX 6 6 km",
                "GEOSEARCH nyc BYBOX 6 6 km",
                "geosearch nyc BYBOX 6 6 km",
                "GEOSEARCH nyc FROMMEMBER wtc",
                "GeoSearch nyc FROMMEMBER wtc",
                "GEOSEARCH nyc FROMMEMBER wtc BYBOX 6 6 km BYRADIUS 3 km",
                "GEOSEARCH nyc FROMMEMBER wtc BYRADIUS 3 km BYBOX 6 6 km",
                "GEOSEARCH nyc FROMMEMBER nope BYRADIUS 3 km",
                "GEOSEARCH nyc FROMLONLAT 200 0 BYRADIUS 3 km",
                "GEOSEARCH nyc FROMMEMBER wtc BYBOX -1 6 km",
                "GEOSEARCH nyc FROMMEMBER wtc BYBOX x 6 km",
                "GEOSEARCH nyc FROMMEMBER wtc BYBOX 6 y km",
                "GEOSEARCH nyc FROMMEMBER wtc BYBOX 6 6 lightyears",
                "GEOSEARCH nyc FROMMEMBER wtc BYRADIUS 3 km STORE dst",
                "GEOSEARCH nyc FROMMEMBER wtc BYRADIUS 3 km STOREDIST",
                "GEOSEARCH nyc FROMMEMBER wtc BYRADIUS 3 km ANY",
                "GEOSEARCH nokey FROMMEMBER wtc BYRADIUS 3 km",
                "GEOSEARCH nokey FROMLONLAT 0 0 BYRADIUS 3 km",
                "GEOSEARCH nokey FROMMEMBER wtc",
                "GEOSEARCHSTORE dst nyc FROMMEMBER wtc BYBOX 14 14 km",
                "ZRANGE dst 0 -1 WITHSCORES",
                "GEOSEARCHSTORE dst nyc FROMMEMBER wtc BYBOX 14 14 km STOREDIST",
                "ZRANGE dst 0 -1 WITHSCORES",
                "GEOSEARCHSTORE dst nyc FROMMEMBER wtc BYBOX 14 14 km COUNT 2 DESC STOREDIST",
                "ZRANGE dst 0 -1 WITHSCORES",
                "GEOSEARCHSTORE dst nyc FROMMEMBER wtc BYBOX 14 14 km WITHDIST",
                "GEOSEARCHSTORE dst nyc FROMMEMBER wtc BYBOX 14 14 km STORE x",
                "GEOSEARCHSTORE dst nyc FROMLONLAT 0 0 BYRADIUS 1 km",
                "EXISTS dst",
                "GEOSEARCHSTORE dst nokey FROMLONLAT 0 0 BYRADIUS 1 km",
                "GEOADD Sicily 13.361389 38.115556 Palermo 15.087269 37.502669 Catania 12.758489 38.788135 edge1 17.241510 38.788135 eage2",
                "GEORADIUS Sicily 15 37 200 km asc",
                "GEOSEARCH Sicily FROMLONLAT 15 37 BYBOX 400 400 km ASC",
                "DEL Sicily",
                "GEOADD Sicily 12.758489 38.788135 edge1 17.241510 38.788135 edge2 17.250000 35.202000 edge3 12.750000 35.202000 edge4 12.748489955781654 37 edge5 15 38.798135872540925 edge6 17.251510044218346 37 edge7 15 35.201864127459075 edge8 12.692799634687903 38.798135872540925 corner1 12.692799634687903 38.798135872540925 corner2 17.200560937451133 35.201864127459075 corner3 12.799439062548865 35.201864127459075 corner4",
                "GEOSEARCH Sicily FROMLONLAT 15 37 BYBOX 400 400 km ASC WITHDIST",
                "GEOADD k1 -0.15307903289794921875 85 n1 0.3515625 85.00019260486917005437 n2",
                "GEORADIUSBYMEMBER k1 n1 4891.94 m",
                "GEOADD k2 45 65 n1 -135 85.05 n2",
                "GEORADIUSBYMEMBER k2 n1 5009431 m WITHDIST",
                "GEOADD wrap 179.9 0 e -179.9 0 w",
                "GEOSEARCH wrap FROMLONLAT 180 0 BYBOX 100 100 km WITHDIST ASC",
                "GEOSEARCH wrap FROMLONLAT -180 0 BYRADIUS 50 km WITHDIST ASC",
            ],
        ),
    ]
}

/// A pseudo-random point set (several thousand points, skiplist-encoded) and searches of
/// every shape around many centres, poles and the antimeridian included.
fn random_case() -> Case {
    let mut seed: u64 = 0x2545_f491_4f6c_dd1d;
    let mut next = move || {
        seed ^= seed << 13;
        seed ^= seed >> 7;
        seed ^= seed << 17;
        (seed >> 11) as f64 / (1u64 << 53) as f64
    };
    let mut lines: Vec<&'static str> = Vec::new();
    for chunk in 0..20 {
        let mut cmd = String::from("GEOADD pts");
        for i in 0..150 {
            let lon = next() * 360.0 - 180.0;
            let lat = next() * 170.0 - 85.0;
            cmd.push_str(&format!(" {lon:.6} {lat:.6} p{chunk}_{i}"));
        }
        lines.push(leak(cmd));
    }
    // A dense cluster, with equal points (ties in distance keep Redis's order).
    let mut cmd = String::from("GEOADD pts");
    for i in 0..200 {
        let lon = 2.35 + (next() - 0.5) * 0.2;
        let lat = 48.85 + (next() - 0.5) * 0.2;
        cmd.push_str(&format!(
            " {lon:.5} {lat:.5} c{i} {lon:.5} {lat:.5} twin{i}"
        ));
    }
    lines.push(leak(cmd));
    let centers = [
        (2.35, 48.85),
        (0.0, 0.0),
        (180.0, 0.0),
        (-179.99, 10.0),
        (10.0, 84.9),
        (-45.0, -84.9),
        (120.0, 67.0),
        (-70.0, -30.0),
    ];
    for (x, y) in centers {
        for r in ["1", "50", "500", "2500", "9000"] {
            lines.push(leak(format!(
                "GEOSEARCH pts FROMLONLAT {x} {y} BYRADIUS {r} km WITHDIST WITHCOORD WITHHASH ASC"
            )));
            lines.push(leak(format!(
                "GEOSEARCH pts FROMLONLAT {x} {y} BYBOX {r} {r} km DESC"
            )));
            lines.push(leak(format!(
                "GEORADIUS pts {x} {y} {r} km COUNT 7 WITHDIST"
            )));
            lines.push(leak(format!("GEORADIUS pts {x} {y} {r} km COUNT 5 ANY")));
        }
        lines.push(leak(format!(
            "GEOSEARCH pts FROMLONLAT {x} {y} BYBOX 3000 200 km"
        )));
    }
    lines.push("GEOSEARCH pts FROMLONLAT 2.35 48.85 BYRADIUS 15 km ASC COUNT 40 WITHDIST");
    lines.push("GEOSEARCH pts FROMLONLAT 2.35 48.85 BYRADIUS 15 km DESC COUNT 40");
    lines.push("GEOSEARCH pts FROMLONLAT 2.35 48.85 BYRADIUS 15 km ASC");
    lines.push("GEORADIUSBYMEMBER pts c7 5 km WITHDIST DESC");
    lines.push("GEOSEARCHSTORE out pts FROMMEMBER c3 BYBOX 20 20 km STOREDIST");
    lines.push("ZRANGE out 0 -1 WITHSCORES");
    lines.push("OBJECT ENCODING out");
    lines.push("GEOPOS pts c1 c2 twin3 p3_7 p19_149");
    lines.push("GEOHASH pts c1 c2 twin3 p3_7 p19_149");
    lines.push("GEODIST pts p0_0 p19_149 km");
    lines.push("GEODIST pts c1 twin1");
    case("random-points", &lines)
}

#[test]
fn geo_matches_redis_resp2() {
    let mut all = cases();
    all.push(random_case());
    assert_same(&all, false);
}

#[test]
fn geo_matches_redis_resp3() {
    let mut all = cases();
    all.push(random_case());
    assert_same(&all, true);
}

/// GEOADD is a `zadd`; the stores announce georadiusstore / geosearchstore, or `del`
/// when nothing is found.
#[test]
fn geo_keyspace_events() {
    assert_scenarios_match(&[(
        "geo events",
        vec![
            Call(9, "CONFIG SET notify-keyspace-events KEA"),
            Call(1, "PSUBSCRIBE __keyevent*"),
            Call(
                2,
                "GEOADD g 13.361389 38.115556 Palermo 15.087269 37.502669 Catania",
            ),
            Read(1),
            Call(2, "GEOADD g NX 13.361389 38.115556 Palermo"),
            Call(2, "GEORADIUS g 15 37 200 km STORE d1"),
            Read(1),
            Call(2, "GEOSEARCHSTORE d2 g FROMLONLAT 15 37 BYRADIUS 200 km"),
            Read(1),
            Call(2, "GEOSEARCHSTORE d2 g FROMLONLAT 0 0 BYRADIUS 1 km"),
            Read(1),
            Call(2, "GEORADIUS nokey 0 0 1 km STORE d1"),
            Read(1),
            Call(2, "SET marker 1"),
            Read(1),
            Call(9, "CONFIG SET notify-keyspace-events \\e"),
        ],
    )]);
}

/// A geo index is a sorted set: a snapshot (DEBUG RELOAD), COPY and RENAME keep its points.
/// Needs DEBUG on both servers.
#[test]
fn geo_survives_debug_reload() {
    let args = ["--enable-debug-command", "yes"];
    let redis = common::Server::start_redis(&args);
    let ours = common::Server::start(&args);
    let script = [
        "FLUSHALL",
        NYC,
        "DEBUG RELOAD",
        "GEOPOS nyc wtc jfk 4545",
        "COPY nyc nyc2",
        "RENAME nyc nyc3",
        "DEBUG RELOAD",
        "GEOSEARCH nyc2 FROMMEMBER wtc BYRADIUS 10 km WITHDIST WITHCOORD ASC",
        "GEORADIUSBYMEMBER nyc3 wtc 10 km WITHHASH DESC",
        "OBJECT ENCODING nyc3",
    ];
    let (mut a, mut b) = (redis.raw(), ours.raw());
    for line in script {
        let words: Vec<&str> = line.split(' ').collect();
        assert_eq!(a.cmd_str(&words), b.cmd_str(&words), "{line}");
    }
}
