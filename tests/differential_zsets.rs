//! Differential tests for the sorted set family: every command's happy paths and errors,
//! both encodings, RESP2 and RESP3, compared byte for byte with redis-server.

mod common;

use common::diff::{assert_same, case, Case};

/// `ZADD <key> 0 m000 1 m001 ...` with `n` members (past 128 makes a skiplist).
fn big_zadd(key: &str, n: usize) -> String {
    let mut s = format!("ZADD {key}");
    for i in 0..n {
        s.push_str(&format!(" {} m{:03}", i % 37, i));
    }
    s
}

/// `ZADD <key> 0 a 0 b ...` with equal scores for the lex commands.
fn lex_zadd(key: &str, n: usize) -> String {
    let mut s = format!("ZADD {key}");
    for i in 0..n {
        s.push_str(&format!(" 0 w{:03}", i));
    }
    s
}

fn leak(s: String) -> &'static str {
    Box::leak(s.into_boxed_str())
}

fn cases() -> Vec<Case> {
    let big = leak(big_zadd("big", 200));
    let lexbig = leak(lex_zadd("lexbig", 150));
    let mut v = vec![
        case(
            "zadd-flags",
            &[
                "ZADD z 1 a 2 b 3 c",
                "ZADD z 1 a",
                "ZADD z CH 5 a 2 b 9 d",
                "ZADD z NX 10 a 11 e",
                "ZADD z XX CH 20 a 21 f",
                "ZADD z GT CH 1 a 30 b",
                "ZADD z LT CH 100 c 0 d",
                "ZADD z INCR 1.5 a",
                "ZADD z INCR NX 1 a",
                "ZADD z INCR XX 1 nope",
                "ZADD z INCR GT -1 a",
                "ZADD z INCR LT -1 a",
                "ZADD z INCR 0 a",
                "ZADD z INCR 1 newone",
                "ZRANGE z 0 -1 WITHSCORES",
                "ZADD z nx xx 1 a",
                "ZADD z gt lt 1 a",
                "ZADD z nx gt 1 a",
                "ZADD z nx lt 1 a",
                "ZADD z incr 1 a 2 b",
                "ZADD z 1",
                "ZADD z",
                "ZADD z 1 a 2",
                "ZADD z abc a",
                "ZADD z nan a",
                "ZADD z \\e a",
                "ZADD z \\s1 a",
                "ZADD z 1\\s a",
                "ZADD z 0x10 hex",
                "ZADD z inf pinf -inf ninf +inf pinf2",
                "ZADD z 1e3 e 1.5E-2 f 5. g .5 h",
                "ZADD z INCR inf pinf",
                "ZADD z INCR -inf pinf",
                "ZSCORE z pinf",
                "ZADD missing XX 1 a",
                "ZADD missing XX INCR 1 a",
                "EXISTS missing",
                "ZADD z 3.14159265358979 pi 0.1 tenth -0.0001 small 1e300 huge 123456789012345678 bigint",
                "ZRANGE z 0 -1 WITHSCORES",
                "ZCARD z",
            ],
        ),
        case(
            "single-member",
            &[
                "ZADD z 1 a 2 b 3 c",
                "ZSCORE z a",
                "ZSCORE z nope",
                "ZSCORE nokey a",
                "ZMSCORE z a nope c",
                "ZMSCORE nokey a b",
                "ZINCRBY z 2.5 a",
                "ZINCRBY z 1 new",
                "ZINCRBY z abc a",
                "ZINCRBY z inf a",
                "ZINCRBY z -inf a",
                "ZINCRBY nk 5 x",
                "ZREM z a nope b",
                "ZREM z nope",
                "ZREM nokey a",
                "ZCARD z",
                "ZCARD nokey",
                "ZREM z c new",
                "EXISTS z",
                "ZADD r 1 a 2 b 3 c 3 d",
                "ZRANK r a",
                "ZRANK r d",
                "ZRANK r nope",
                "ZRANK nokey a",
                "ZREVRANK r a",
                "ZREVRANK r d",
                "ZREVRANK r nope",
            ],
        ),
        case(
            "counts",
            &[
                "ZADD z 1 a 2 b 3 c 4 d 5 e",
                "ZCOUNT z -inf +inf",
                "ZCOUNT z (1 (5",
                "ZCOUNT z 2 4",
                "ZCOUNT z (2 2",
                "ZCOUNT z 5 1",
                "ZCOUNT z \\e 3",
                "ZCOUNT z \\s2 3",
                "ZCOUNT z ( 10",
                "ZCOUNT z a 1",
                "ZCOUNT z 1 b",
                "ZCOUNT z nan 1",
                "ZCOUNT z (inf +inf",
                "ZCOUNT nokey 0 1",
                "ZADD l 0 a 0 b 0 c 0 d 0 e",
                "ZLEXCOUNT l - +",
                "ZLEXCOUNT l [b (d",
                "ZLEXCOUNT l (b [d",
                "ZLEXCOUNT l + -",
                "ZLEXCOUNT l a c",
                "ZLEXCOUNT l [a c",
                "ZLEXCOUNT l -x +",
                "ZLEXCOUNT l [\\e +",
                "ZLEXCOUNT nokey - +",
            ],
        ),
        case(
            "zrange-rank",
            &[
                "ZADD z 1 a 2 b 3 c 4 d 5 e",
                "ZRANGE z 0 -1",
                "ZRANGE z 0 -1 WITHSCORES",
                "ZRANGE z 1 2 withscores",
                "ZRANGE z -2 -1",
                "ZRANGE z -100 100",
                "ZRANGE z 3 1",
                "ZRANGE z 10 20",
                "ZRANGE z 0 -1 REV",
                "ZRANGE z 0 1 REV WITHSCORES",
                "ZREVRANGE z 0 1",
                "ZREVRANGE z 0 -1 WITHSCORES",
                "ZREVRANGE z -2 -1",
                "ZRANGE z a 1",
                "ZRANGE z 0 b",
                "ZRANGE z 0 1 LIMIT 0 1",
                "ZRANGE z 0 1 WITHSCORES foo",
                "ZRANGE z 0 1 LIMIT 0",
                "ZREVRANGE z 0 1 REV",
                "ZREVRANGE z 0 1 BYSCORE",
                "ZREVRANGE z 0 1 LIMIT 0 1",
                "ZRANGE nokey 0 -1",
                "ZRANGE nokey 0 -1 WITHSCORES",
            ],
        ),
        case(
            "zrange-score",
            &[
                "ZADD z 1 a 2 b 3 c 4 d 5 e -inf ninf +inf pinf",
                "ZRANGE z -inf +inf BYSCORE",
                "ZRANGE z (1 5 BYSCORE WITHSCORES",
                "ZRANGE z 5 (1 BYSCORE REV WITHSCORES",
                "ZRANGE z 1 5 BYSCORE REV",
                "ZRANGE z -inf +inf BYSCORE LIMIT 1 3",
                "ZRANGE z -inf +inf BYSCORE LIMIT 1 -1",
                "ZRANGE z -inf +inf BYSCORE LIMIT 1 0",
                "ZRANGE z -inf +inf BYSCORE LIMIT -1 2",
                "ZRANGE z -inf +inf BYSCORE LIMIT 100 2",
                "ZRANGE z +inf -inf BYSCORE REV LIMIT 2 2 WITHSCORES",
                "ZRANGE z -inf +inf BYSCORE LIMIT x 2",
                "ZRANGE z -inf +inf BYSCORE LIMIT 0 x",
                "ZRANGE z x 1 BYSCORE",
                "ZRANGE z 1 nan BYSCORE",
                "ZRANGE z 1 5 BYSCORE BYLEX",
                "ZRANGEBYSCORE z 2 4",
                "ZRANGEBYSCORE z 2 4 WITHSCORES",
                "ZRANGEBYSCORE z -inf +inf WITHSCORES LIMIT 2 2",
                "ZRANGEBYSCORE z -inf +inf LIMIT 2 2 WITHSCORES",
                "ZRANGEBYSCORE z (2 (4",
                "ZRANGEBYSCORE z 4 2",
                "ZRANGEBYSCORE z 2 4 REV",
                "ZRANGEBYSCORE z 2 4 BYSCORE",
                "ZRANGEBYSCORE z 2 4 LIMIT 1",
                "ZRANGEBYSCORE z a 4",
                "ZREVRANGEBYSCORE z 4 2",
                "ZREVRANGEBYSCORE z +inf -inf WITHSCORES",
                "ZREVRANGEBYSCORE z (4 (2",
                "ZREVRANGEBYSCORE z +inf -inf LIMIT 1 2",
                "ZREVRANGEBYSCORE z 2 4",
                "ZRANGEBYSCORE nokey 0 1",
            ],
        ),
        case(
            "zrange-lex",
            &[
                "ZADD l 0 a 0 b 0 c 0 d 0 e 0 f",
                "ZRANGE l - + BYLEX",
                "ZRANGE l [b (e BYLEX",
                "ZRANGE l (e [b BYLEX REV",
                "ZRANGE l + - BYLEX REV LIMIT 1 2",
                "ZRANGE l - + BYLEX WITHSCORES",
                "ZRANGE l a c BYLEX",
                "ZRANGEBYLEX l - +",
                "ZRANGEBYLEX l [c +",
                "ZRANGEBYLEX l - (c",
                "ZRANGEBYLEX l - + LIMIT 2 3",
                "ZRANGEBYLEX l - + LIMIT -1 3",
                "ZRANGEBYLEX l - + WITHSCORES",
                "ZRANGEBYLEX l + -",
                "ZRANGEBYLEX l b c",
                "ZRANGEBYLEX l ++ -",
                "ZREVRANGEBYLEX l + -",
                "ZREVRANGEBYLEX l [d (a",
                "ZREVRANGEBYLEX l + - LIMIT 1 1",
                "ZREVRANGEBYLEX l - +",
                "ZRANGEBYLEX nokey - +",
            ],
        ),
        case(
            "zrangestore",
            &[
                "ZADD src 1 a 2 b 3 c 4 d",
                "ZRANGESTORE dst src 0 1",
                "ZRANGE dst 0 -1 WITHSCORES",
                "OBJECT ENCODING dst",
                "ZRANGESTORE dst src 2 +inf BYSCORE",
                "ZRANGE dst 0 -1 WITHSCORES",
                "ZRANGESTORE dst src +inf 2 BYSCORE REV LIMIT 0 1",
                "ZRANGE dst 0 -1 WITHSCORES",
                "ZRANGESTORE dst src 5 10",
                "EXISTS dst",
                "ZRANGESTORE dst src 0 -1 WITHSCORES",
                "ZRANGESTORE dst nokey 0 -1",
                "SET str x",
                "ZRANGESTORE str src 0 0",
                "TYPE str",
                "ZRANGESTORE dst str 0 0",
                "ZADD l 0 a 0 b 0 c",
                "ZRANGESTORE dst l [b + BYLEX",
                "ZRANGE dst 0 -1",
                "ZRANGESTORE dst src 0 -1 LIMIT 0 1",
            ],
        ),
        case(
            "remrange",
            &[
                "ZADD z 1 a 2 b 3 c 4 d 5 e 6 f",
                "ZREMRANGEBYRANK z 0 0",
                "ZREMRANGEBYRANK z -1 -1",
                "ZREMRANGEBYRANK z 5 10",
                "ZREMRANGEBYRANK z 2 1",
                "ZRANGE z 0 -1",
                "ZREMRANGEBYRANK z a 1",
                "ZREMRANGEBYSCORE z (2 3",
                "ZREMRANGEBYSCORE z x 3",
                "ZRANGE z 0 -1",
                "ZREMRANGEBYSCORE z -inf +inf",
                "EXISTS z",
                "ZADD l 0 a 0 b 0 c 0 d",
                "ZREMRANGEBYLEX l [b (d",
                "ZREMRANGEBYLEX l x y",
                "ZRANGE l 0 -1",
                "ZREMRANGEBYLEX l - +",
                "EXISTS l",
                "ZREMRANGEBYRANK nokey 0 -1",
                "ZREMRANGEBYSCORE nokey 0 1",
                "ZREMRANGEBYLEX nokey - +",
            ],
        ),
        case(
            "pop",
            &[
                "ZADD z 1 a 2 b 3 c 4 d 5 e",
                "ZPOPMIN z",
                "ZPOPMAX z",
                "ZPOPMIN z 2",
                "ZPOPMAX z 0",
                "ZPOPMIN z -1",
                "ZPOPMIN z x",
                "ZPOPMIN z 1 2",
                "ZPOPMAX z 10",
                "EXISTS z",
                "ZPOPMIN z",
                "ZPOPMAX nokey 3",
                "ZADD a 1 x 2 y 3 z",
                "ZADD b 10 p",
                "ZMPOP 2 nokey a MIN",
                "ZMPOP 2 nokey a MAX COUNT 5",
                "ZMPOP 2 a b MIN COUNT 2",
                "ZMPOP 1 nokey MIN",
                "ZMPOP 0 a MIN",
                "ZMPOP -1 a MIN",
                "ZMPOP x a MIN",
                "ZMPOP 1 a",
                "ZMPOP 2 a MIN",
                "ZMPOP 1 a LEFT",
                "ZMPOP 1 a MIN COUNT 0",
                "ZMPOP 1 a MIN COUNT x",
                "ZMPOP 1 a MIN COUNT 1 COUNT 2",
                "ZMPOP 1 a MIN COUNT",
                "ZMPOP 1 a MIN foo",
                "EXISTS b",
            ],
        ),
        case(
            "algebra",
            &[
                "ZADD a 1 x 2 y 3 z",
                "ZADD b 10 y 20 z 30 w",
                "ZUNION 2 a b",
                "ZUNION 2 a b WITHSCORES",
                "ZUNION 2 a b WEIGHTS 2 3 WITHSCORES",
                "ZUNION 2 a b AGGREGATE MIN WITHSCORES",
                "ZUNION 2 a b AGGREGATE max WITHSCORES",
                "ZUNION 2 a nokey WITHSCORES",
                "ZUNION 2 a b WEIGHTS 1",
                "ZUNION 2 a b WEIGHTS 1 x",
                "ZUNION 2 a b AGGREGATE avg",
                "ZUNION 2 a b AGGREGATE",
                "ZUNION 0 a",
                "ZUNION -1 a",
                "ZUNION x a",
                "ZUNION 3 a b",
                "ZUNION 1 a foo",
                "ZUNION 2 a b WEIGHTS inf -inf WITHSCORES",
                "ZINTER 2 a b",
                "ZINTER 2 a b WITHSCORES",
                "ZINTER 2 a b WEIGHTS 1 -1 AGGREGATE SUM WITHSCORES",
                "ZINTER 2 a nokey",
                "ZADD ia 1 x 2 y inf z",
                "ZADD ib 1 x -inf z",
                "ZINTER 2 ia ib WEIGHTS 0 1 WITHSCORES",
                "ZINTER 2 ia ib WEIGHTS 1 0 WITHSCORES",
                "ZINTER 2 ia ib WEIGHTS 0 1 AGGREGATE MIN WITHSCORES",
                "ZUNION 2 ia ib WEIGHTS 0 1 WITHSCORES",
                "ZUNION 2 ia ib WEIGHTS 1 0 AGGREGATE MAX WITHSCORES",
                "ZADD ia 1e400 big",
                "ZUNION 2 ia ib WEIGHTS 1e400 1",
                "ZINCRBY ia 1e400 x",
                "ZCOUNT ia 1e400 +inf",
                "ZCOUNT ia \\s 1",
                "ZINTER 0 a",
                "ZDIFF 2 b a WITHSCORES",
                "ZDIFF 1 a WITHSCORES",
                "ZDIFF 2 a b WEIGHTS 1 1",
                "ZDIFF 2 a b AGGREGATE SUM",
                "ZDIFF 0 a",
                "ZUNIONSTORE d 2 a b",
                "ZRANGE d 0 -1 WITHSCORES",
                "OBJECT ENCODING d",
                "ZUNIONSTORE d 2 a b WITHSCORES",
                "ZINTERSTORE d 2 a b AGGREGATE MAX",
                "ZRANGE d 0 -1 WITHSCORES",
                "ZINTERSTORE d 2 a nokey",
                "EXISTS d",
                "ZINTERSTORE d 0 a",
                "ZDIFFSTORE d 2 b a",
                "ZRANGE d 0 -1 WITHSCORES",
                "ZDIFFSTORE d 2 a a",
                "EXISTS d",
                "ZUNIONSTORE a 2 a b",
                "ZRANGE a 0 -1 WITHSCORES",
                "ZINTERCARD 2 a b",
                "ZINTERCARD 2 a b LIMIT 1",
                "ZINTERCARD 2 a b LIMIT 0",
                "ZINTERCARD 2 a b LIMIT -1",
                "ZINTERCARD 2 a b LIMIT x",
                "ZINTERCARD 2 a b WITHSCORES",
                "ZINTERCARD 0 a",
                "ZINTERCARD 3 a b",
                "ZINTERCARD 1 nokey",
            ],
        ),
        case(
            "wrongtype",
            &[
                "SET s x",
                "ZADD s 1 a",
                "ZADD s abc a",
                "ZINCRBY s 1 a",
                "ZREM s a",
                "ZSCORE s a",
                "ZMSCORE s a",
                "ZCARD s",
                "ZCOUNT s 0 1",
                "ZCOUNT s x 1",
                "ZLEXCOUNT s - +",
                "ZRANGE s 0 -1",
                "ZRANGE s 0 -1 LIMIT 0 1",
                "ZRANGEBYSCORE s 0 1",
                "ZREVRANGEBYSCORE s 1 0",
                "ZRANGEBYLEX s - +",
                "ZREVRANGEBYLEX s + -",
                "ZREVRANGE s 0 1",
                "ZRANK s a",
                "ZREVRANK s a",
                "ZREMRANGEBYRANK s 0 1",
                "ZREMRANGEBYSCORE s 0 1",
                "ZREMRANGEBYLEX s - +",
                "ZPOPMIN s",
                "ZPOPMAX s 2",
                // The type is checked before a zero count is honoured; a negative count is
                // refused before the lookup.
                "ZPOPMIN s 0",
                "ZPOPMAX s 0",
                "ZPOPMIN s -1",
                "ZPOPMAX s x",
                "ZPOPMIN nokey 0",
                "ZPOPMIN nokey -1",
                "ZMPOP 1 s MIN",
                "ZMPOP 1 s MAX COUNT 200",
                "ZMPOP 1 s MIN COUNT 0",
                "ZMPOP 2 nokey s MIN",
                "ZMPOP 2 s nokey MAX COUNT 1",
                "BZPOPMIN s 0.01",
                "BZPOPMAX nokey s 0.01",
                "BZMPOP 0.01 1 s MIN",
                "BZMPOP 0.01 2 nokey s MAX COUNT 0",
                "BZMPOP 0.01 2 nokey s MAX COUNT 3",
                "ZRANDMEMBER s",
                "ZRANDMEMBER s 2",
                "ZUNION 2 s nokey",
                "ZUNION 2 s nokey foo",
                "ZINTER 1 s",
                "ZDIFF 1 s",
                "ZUNIONSTORE d 1 s",
                "ZINTERCARD 1 s",
                "ZSCAN s 0",
                "ZSCAN s 0 foo",
                "ZRANGESTORE d s 0 -1",
                "ZADD z 1 a",
                "ZSCAN nokey 0 foo",
            ],
        ),
        case(
            "arity",
            &[
                "ZADD z",
                "ZSCORE z",
                "ZRANGE z 0",
                "ZPOPMIN",
                "ZMPOP 1",
                "ZUNION",
                "ZINTERCARD",
                "ZRANDMEMBER",
                "ZSCAN z",
            ],
        ),
        case(
            "scan-listpack",
            &[
                "ZADD z 1 a 2.5 b inf c -3 d",
                "ZSCAN z 0",
                "ZSCAN z 0 COUNT 1",
                "ZSCAN z 0 MATCH [ab]",
                "ZSCAN z 0 COUNT 0",
                "ZSCAN z 0 COUNT x",
                "ZSCAN z 0 TYPE zset",
                "ZSCAN z 0 MATCH",
                "ZSCAN z x",
                "ZSCAN nokey 0",
                "ZADD n -0 a 0 b 1e17 c 0.1 d 1e300 e 123456789012345678 f 3.0 g -inf h",
                "ZSCAN n 0",
                "ZRANGE n 0 -1 WITHSCORES",
                "ZSCORE n a",
                "ZINCRBY n 0.2 d",
                "ZINCRBY n -0 b",
                "ZSCORE n b",
                "ZADD n -1.5e-7 t 4611686018427387904 u",
                "ZSCAN n 0 MATCH [tu]",
            ],
        ),
        case(
            // Score text is C's %.17g in both encodings, and the shortest round-trip form
            // is not it (0.1 is 0.10000000000000001). Ties at the 17th digit round to even:
            // 0.00953769683837890625 (10001 / 2^20) and 0.00953960418701171875.
            "score-text",
            &[
                "ZADD t 0.1 a 1e-7 b 1e21 c 123456789012345678 d -0.0 e inf f -inf g 1.1 h",
                "ZADD t 0.00953769683837890625 i 0.00953960418701171875 j 5e-324 k 1e308 l",
                "ZADD t 99999999999999999 m 9.9999999999999999e-5 n 0.0001 o 1e16 p 1e17 q",
                "ZADD t 2.2250738585072014e-308 r 1e-12 s 1e37 u 1e38 v -1.5e-7 w 4.5e15 x",
                "ZRANGE t 0 -1 WITHSCORES",
                "ZSCORE t a",
                "ZMSCORE t b c d e f",
                "ZINCRBY t 0.2 a",
                "ZPOPMAX t 3",
                "CONFIG SET zset-max-listpack-entries 0",
                "ZADD s 0.1 a 1e-7 b 1e21 c 123456789012345678 d -0.0 e inf f -inf g 1.1 h",
                "ZADD s 0.00953769683837890625 i 0.00953960418701171875 j 5e-324 k 1e308 l",
                "ZADD s 99999999999999999 m 9.9999999999999999e-5 n 0.0001 o 1e16 p 1e17 q",
                "ZADD s 2.2250738585072014e-308 r 1e-12 s 1e37 u 1e38 v -1.5e-7 w 4.5e15 x",
                "OBJECT ENCODING s",
                "ZRANGE s 0 -1 WITHSCORES",
                "ZREVRANGE s 0 4 WITHSCORES",
                "ZRANGEBYSCORE s -inf 1 WITHSCORES LIMIT 2 5",
                "ZINCRBY s 0.2 a",
                "ZPOPMIN s 3",
                // A -0 that converts a listpack is stored as -0 (the conversion comes
                // first); one added to a listpack becomes 0.
                "CONFIG SET zset-max-listpack-entries 2",
                "ZADD c 1 a 2 b",
                "ZADD c -0 z",
                "ZSCORE c z",
                "ZADD d -0 z",
                "ZSCORE d z",
                "ZADD d 1 aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa",
                "ZADD d -0 z",
                "ZSCORE d z",
                "ZADD e 1 a",
                "ZADD e -0 zzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzz",
                "ZRANGE e 0 -1 WITHSCORES",
                "CONFIG SET zset-max-listpack-entries 128",
                // Only a new member converts: an update of one longer than a since-lowered
                // zset-max-listpack-value does not.
                "ZADD f 1 mmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmm",
                "CONFIG SET zset-max-listpack-value 10",
                "ZADD f 2 mmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmm",
                "ZINCRBY f 1 mmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmm",
                "OBJECT ENCODING f",
                "ZADD f 1 x",
                "OBJECT ENCODING f",
                "ZADD f 1 xxxxxxxxxxx",
                "OBJECT ENCODING f",
                "CONFIG SET zset-max-listpack-value 64",
            ],
        ),
        case(
            "encoding-config",
            &[
                "config set zset-max-listpack-entries 4",
                "zadd z 1 a 2 b 3 c 4 d",
                "object encoding z",
                "zadd z 5 e",
                "object encoding z",
                "zrem z a b c",
                "object encoding z",
                "config set zset-max-ziplist-entries 128",
                "zadd w 1 a -0 b 3.5 c",
                "debug reload",
                "object encoding z",
                "object encoding w",
                "zrange w 0 -1 withscores",
                "zrange z 0 -1 withscores",
                "config set zset-max-listpack-value 3",
                "zadd v 1 abcd",
                "object encoding v",
                "zadd v2 1 abc",
                "object encoding v2",
                "config set zset-max-listpack-value 64",
                "config set zset-max-listpack-entries 0",
                "zadd v3 1 a",
                "object encoding v3",
                "zrangestore v4 v3 0 -1",
                "object encoding v4",
                "zunionstore v5 1 v3",
                "object encoding v5",
                "config set zset-max-listpack-entries 128",
                "zunionstore v6 1 v3",
                "object encoding v6",
                "config set zset-max-listpack-value 64",
            ],
        ),
        case(
            "mixed",
            &[
                "zadd z 1 a 2 a",
                "zscore z a",
                "zadd z CH 1 a 1 a",
                "zadd z CH 5 a 1 a",
                "zscore z a",
                "zadd z NX 7 b 8 b",
                "zscore z b",
                "zadd z XX CH INCR 1 a",
                "zrem z a a a",
                "zmscore z b b nope",
                "zadd x 0 \\xff 0 \\x00 0 a 0 \\e",
                "zrangebylex x - +",
                "zrangebylex x [\\x00 (\\xff",
                "zrangebylex x (\\e +",
                "zpopmin nokey",
                "zmpop 1 nokey max",
                "zrangestore d x 0 -1",
                "zadd z2 1 a 2 b 3 c",
                "zrange z2 0 -1 withscores rev limit 0 1 byscore",
                "zrange z2 (3 -inf byscore rev withscores",
                "zrange z2 +inf -inf byscore limit 1 1 rev withscores",
                "zrevrangebyscore z2 +inf -inf limit 0 1 withscores",
                "zrevrangebyscore z2 (3 1",
                "zrangebyscore z2 (1 +inf WITHSCORES",
                "zremrangebyscore z2 (1 (3",
                "zrange z2 0 -1",
                "zadd z3 1 a",
                "zrandmember z3 -3 withscores",
                "zrandmember z3 5 withscores",
                "zrandmember z3",
                "zscan z2 0 match * count 1",
                "zscan z2 18446744073709551615",
                "zscan z2 -1",
                "zscan z2 00",
                "zincrby z3 -inf a",
                "zincrby z3 inf a",
                "zadd z3 incr 1 a",
                "zscore z3 a",
                "zunionstore z3 2 z3 z2 weights -1 2",
                "zrange z3 0 -1 withscores",
                "zinterstore out 2 z2 z3 aggregate min",
                "zrange out 0 -1 withscores",
                "zinter 2 z2 z3 withscores aggregate sum weights 1 1",
                "zdiff 2 z2 nokey withscores",
                "zdiffstore z2 1 z2",
                "zrange z2 0 -1",
            ],
        ),
        case(
            "lex-mixed-scores",
            &[
                "zadd m 1 b 2 a 3 d 4 c 5 e",
                "zrangebylex m - +",
                "zrangebylex m [b +",
                "zrangebylex m [c +",
                "zrangebylex m - [b",
                "zrangebylex m - (d",
                "zrangebylex m [a [c",
                "zrevrangebylex m + [b",
                "zrevrangebylex m (d -",
                "zrevrangebylex m [c [a",
                "zlexcount m [b [c",
                "zlexcount m [a [d",
                "zlexcount m [c +",
                "zrange m [b [d bylex limit 1 5",
                "zrangestore dd m [c + bylex",
                "zrange dd 0 -1",
                "zremrangebylex m [c +",
                "zrange m 0 -1",
                "zadd q 3 a 1 z 2 m",
                "zrangebylex q [b [y",
                "zrangebylex q - [a",
                "zrevrangebylex q [y [b",
                "zrangebylex q (a (a",
                "zrangebylex q [b [a",
                "zrangebylex q + +",
                "zrangebylex q - -",
                "zrangebylex q [a [a",
                "zlexcount q - +",
                "zlexcount q [m [m",
                "zrevrangebylex q + - limit 1 1",
                "zremrangebylex q [b [y",
                "zrange q 0 -1",
            ],
        ),
        case(
            "randmember-errors",
            &[
                "ZADD z 1 a",
                "ZRANDMEMBER z",
                "ZRANDMEMBER z 1",
                "ZRANDMEMBER z 1 WITHSCORES",
                "ZRANDMEMBER z -3 WITHSCORES",
                "ZRANDMEMBER z 0",
                "ZRANDMEMBER z x",
                "ZRANDMEMBER z 1 foo",
                "ZRANDMEMBER z 1 WITHSCORES foo",
                "ZRANDMEMBER z -9223372036854775807 WITHSCORES",
                "ZRANDMEMBER z -9223372036854775808",
                "ZRANDMEMBER nokey",
                "ZRANDMEMBER nokey 5",
                "ZRANDMEMBER nokey 5 WITHSCORES",
            ],
        ),
    ];
    v.push(case(
        "skiplist",
        &[
            big,
            "OBJECT ENCODING big",
            "ZCARD big",
            "ZRANGE big 0 9 WITHSCORES",
            "ZRANGE big -5 -1 WITHSCORES",
            "ZREVRANGE big 10 20",
            "ZRANK big m150",
            "ZREVRANK big m150",
            "ZSCORE big m199",
            "ZCOUNT big 3 (10",
            "ZRANGEBYSCORE big 35 +inf WITHSCORES",
            "ZREVRANGEBYSCORE big 2 1 LIMIT 3 4",
            "ZRANGE big 5 (7 BYSCORE LIMIT 2 5",
            "ZADD big XX CH 100 m000 NX",
            "ZADD big XX CH 100 m000",
            "ZINCRBY big 1 m001",
            "ZRANGE big -3 -1 WITHSCORES",
            "ZREM big m000 m001 nope",
            "ZPOPMIN big 3",
            "ZPOPMAX big",
            "ZREMRANGEBYRANK big 0 9",
            "ZREMRANGEBYSCORE big 30 32",
            "ZCARD big",
            "OBJECT ENCODING big",
            "ZRANGESTORE small big 0 9",
            "OBJECT ENCODING small",
            "ZRANGESTORE large big 0 -1",
            "OBJECT ENCODING large",
            "ZUNIONSTORE u 1 big",
            "OBJECT ENCODING u",
            "ZINTERSTORE i 2 big small",
            "OBJECT ENCODING i",
            "ZRANGE i 0 -1 WITHSCORES",
            "ZDIFF 2 big large",
            "ZINTERCARD 2 big small LIMIT 3",
            "ZREMRANGEBYRANK big 0 -50",
            "ZCARD big",
            "OBJECT ENCODING big",
            "ZADD long 1 aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa",
            "OBJECT ENCODING long",
            "ZADD edge 1 aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa",
            "OBJECT ENCODING edge",
            lexbig,
            "OBJECT ENCODING lexbig",
            "ZRANGEBYLEX lexbig [w100 (w110",
            "ZREVRANGEBYLEX lexbig + - LIMIT 5 3",
            "ZLEXCOUNT lexbig (w010 +",
            "ZREMRANGEBYLEX lexbig - [w100",
            "ZCARD lexbig",
            "~ ZSCAN lexbig 0 COUNT 1000",
            "ZRANDMEMBER big 0",
            "ZADD big -0 zneg 0 zpos 1e17 zbig",
            "ZSCORE big zneg",
            "ZRANGEBYSCORE big 0 0 WITHSCORES",
            "ZSCAN big 0 MATCH zneg COUNT 1000",
            "ZSCAN big 0 MATCH zbig COUNT 1000",
        ],
    ));
    v
}

#[test]
fn zsets_resp2() {
    assert_same(&cases(), false);
}

#[test]
fn zsets_resp3() {
    assert_same(&cases(), true);
}

/// Fills `key` with `n` members `m<i>` scored `i`.
fn fill(c: &mut redis::Connection, key: &str, n: usize) {
    let mut cmd = redis::cmd("ZADD");
    cmd.arg(key);
    for i in 0..n {
        cmd.arg(i).arg(format!("m{i}"));
    }
    let _: i64 = cmd.query(c).unwrap();
}

#[test]
fn zrandmember_rules() {
    use std::collections::HashSet;
    let ours = common::Server::start(&[]);
    let mut c = ours.client();
    for (key, n) in [("small", 5usize), ("large", 200)] {
        fill(&mut c, key, n);
        let all: HashSet<String> = (0..n).map(|i| format!("m{i}")).collect();
        for _ in 0..20 {
            let one: String = redis::cmd("ZRANDMEMBER").arg(key).query(&mut c).unwrap();
            assert!(all.contains(&one));
            let three: Vec<String> = redis::cmd("ZRANDMEMBER")
                .arg(key)
                .arg(3)
                .query(&mut c)
                .unwrap();
            let distinct: HashSet<&String> = three.iter().collect();
            assert_eq!(distinct.len(), 3, "{three:?}");
            assert!(three.iter().all(|m| all.contains(m)));
            let many: Vec<String> = redis::cmd("ZRANDMEMBER")
                .arg(key)
                .arg(-50)
                .query(&mut c)
                .unwrap();
            assert_eq!(many.len(), 50);
            assert!(many.iter().all(|m| all.contains(m)));
            let pairs: Vec<String> = redis::cmd("ZRANDMEMBER")
                .arg(key)
                .arg(-4)
                .arg("WITHSCORES")
                .query(&mut c)
                .unwrap();
            assert_eq!(pairs.len(), 8);
            for p in pairs.chunks(2) {
                assert_eq!(format!("m{}", p[1]), p[0]);
            }
        }
        let everything: Vec<String> = redis::cmd("ZRANDMEMBER")
            .arg(key)
            .arg(n + 10)
            .query(&mut c)
            .unwrap();
        assert_eq!(everything.len(), n);
        assert_eq!(everything.into_iter().collect::<HashSet<_>>(), all);
        let lots: Vec<String> = redis::cmd("ZRANDMEMBER")
            .arg(key)
            .arg(-200)
            .query(&mut c)
            .unwrap();
        assert!(lots.iter().collect::<HashSet<_>>().len() > 1);
    }
    // RESP3: WITHSCORES gives [member, double] pairs.
    let mut raw = ours.raw();
    raw.cmd(&[b"HELLO", b"3"]);
    let r = raw.cmd(&[b"ZRANDMEMBER", b"small", b"-2", b"WITHSCORES"]);
    let text = String::from_utf8_lossy(&r);
    assert!(text.starts_with("*2\r\n*2\r\n$2\r\nm"), "{text}");
    assert!(text.contains("\r\n,"), "{text}");
}

#[test]
fn zscan_visits_every_member_of_a_skiplist() {
    use std::collections::HashMap;
    let ours = common::Server::start(&[]);
    let mut c = ours.client();
    fill(&mut c, "z", 300);
    let enc: String = redis::cmd("OBJECT")
        .arg("ENCODING")
        .arg("z")
        .query(&mut c)
        .unwrap();
    assert_eq!(enc, "skiplist");
    for pattern in [None, Some("m1*")] {
        let mut seen: HashMap<String, String> = HashMap::new();
        let mut cursor = 0u64;
        let mut calls = 0;
        loop {
            let mut cmd = redis::cmd("ZSCAN");
            cmd.arg("z").arg(cursor).arg("COUNT").arg(7);
            if let Some(p) = pattern {
                cmd.arg("MATCH").arg(p);
            }
            let (next, items): (u64, Vec<String>) = cmd.query(&mut c).unwrap();
            for p in items.chunks(2) {
                seen.insert(p[0].clone(), p[1].clone());
            }
            calls += 1;
            cursor = next;
            if cursor == 0 {
                break;
            }
        }
        assert!(calls > 5, "ZSCAN of a skiplist is incremental");
        let expected: Vec<usize> = (0..300)
            .filter(|i| pattern.is_none() || format!("m{i}").starts_with("m1"))
            .collect();
        assert_eq!(seen.len(), expected.len());
        for i in expected {
            assert_eq!(seen[&format!("m{i}")], i.to_string());
        }
    }
}

/// DEBUG RELOAD: a snapshot loads a sorted set as Redis does (a skiplist, made a listpack
/// only if it fits, so `-0` survives in a skiplist). Needs DEBUG on both servers.
#[test]
fn zsets_survive_debug_reload_as_redis() {
    const BIG: &str = "";
    let big = big_zadd_neg();
    let script = [
        "zadd z 1 a -0 b inf c -inf d 0.1 e",
        "debug reload",
        "zrange z 0 -1 withscores",
        "object encoding z",
        BIG,
        "debug reload",
        "object encoding big",
        "zrange big 0 -1 withscores",
        "zremrangebyrank big 10 -1",
        "debug reload",
        "object encoding big",
        "zrange big 0 -1 withscores",
        "zscan big 0",
        "config set zset-max-listpack-entries 0",
        "zadd e0 -0 a 1 b",
        "zrange e0 0 -1 withscores",
        "object encoding e0",
        "config set zset-max-listpack-entries 128",
        "zadd e1 1 aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa -0 b",
        "zrange e1 0 -1 withscores",
        "zadd e2 -0 b 1 aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa",
        "zrange e2 0 -1 withscores",
        "zunionstore u 2 big e1",
        "zrange u 0 3 withscores",
        "zunionstore u2 1 e1",
        "zrange u2 0 -1 withscores",
        "zrangestore r big 0 -1",
        "zrange r 0 3 withscores",
        "debug reload",
        "zrange e1 0 -1 withscores",
        "zrange u 0 3 withscores",
    ];
    let args = ["--enable-debug-command", "yes"];
    let redis = common::Server::start_redis(&args);
    let ours = common::Server::start(&args);
    for resp3 in [false, true] {
        let mut a = redis.raw();
        let mut b = ours.raw();
        let mut failures = Vec::new();
        for conn in [&mut a, &mut b] {
            conn.cmd(&[b"FLUSHALL"]);
            if resp3 {
                conn.cmd(&[b"HELLO", b"3"]);
            }
        }
        for line in script {
            let line = if line.is_empty() { big.as_str() } else { line };
            let ra = a.cmd_str(&line.split(' ').collect::<Vec<_>>());
            let rb = b.cmd_str(&line.split(' ').collect::<Vec<_>>());
            if ra != rb {
                failures.push(format!("{line}\n  redis:  {ra:?}\n  redust: {rb:?}"));
            }
        }
        assert!(failures.is_empty(), "{}", failures.join("\n"));
    }
}

fn big_zadd_neg() -> String {
    let mut s = String::from("zadd big");
    for i in 0..150 {
        s.push_str(&format!(" {i} m{i}"));
    }
    s.push_str(" -0 neg");
    s
}
