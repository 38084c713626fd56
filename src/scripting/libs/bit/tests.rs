//! `bit` against redis-server 7.0.15.
//!
//! Every case ran on Redis as
//! `redis-cli -p 7391 EVAL "<PRELUDE> local ok, r = pcall(function() <case> end) return tostring(r)" 0`
//! (see [`PRELUDE`](super::super::test_util::PRELUDE)), and the expected bytes are its
//! reply: results as the prelude's `D` (count and values) or `H` (hex) print them, errors
//! with the `user_script:1: ` prefix `luaL_error` gives them.

use super::super::test_util::check;

#[test]
fn against_redis() {
    check(&[
        (
            r#"return D(bit.tobit(2^32 + 5), bit.tobit(0xffffffff), bit.tobit(2.5), bit.tobit(3.5), bit.tobit(-2.5), bit.tobit('10'), bit.tobit(1/0), bit.tobit(0/0), bit.tobit(2^53+3), bit.tobit(-2^60-7), bit.tobit(' 0x10 '))"#,
            b"11:5 -1 2 4 -2 10 0 0 2 0 16",
        ),
        (
            r#"return D(bit.bnot(0), bit.band(0xff, 0x0f, 0x3), bit.bor(1, 2, 4), bit.bxor(5, 3), bit.band(7), bit.bor(), 1)"#,
            b"user_script:1: bad argument #1 to 'bor' (number expected, got no value)",
        ),
        (
            r#"return D(bit.lshift(1, 31), bit.lshift(1, 33), bit.rshift(-1, 28), bit.arshift(-256, 4), bit.rol(0x12345678, 8), bit.ror(0x12345678, 8), bit.bswap(0x12345678), bit.lshift(1, -1), bit.rol(1,0), bit.ror(1, 32))"#,
            b"10:-2147483648 2 15 -16 878082066 2014458966 2018915346 -2147483648 1 1",
        ),
        (
            r#"return D(bit.tohex(255), bit.tohex(-1, -4), bit.tohex(0x1234, 2), bit.tohex(0x1234, 20), bit.tohex(0x1234, 0), bit.tohex(0xabcdef, -9), bit.tohex(1, 2^32 + 3))"#,
            b"7:\"000000ff\" \"FFFF\" \"34\" \"00001234\" \"\" \"00ABCDEF\" \"001\"",
        ),
        (
            r#"return bit.tobit()"#,
            b"user_script:1: bad argument #1 to 'tobit' (number expected, got no value)",
        ),
        (
            r#"return bit.band(1, 2, 'x', {})"#,
            b"user_script:1: bad argument #4 to 'band' (number expected, got table)",
        ),
        (
            r#"return bit.lshift(1)"#,
            b"user_script:1: bad argument #2 to 'lshift' (number expected, got no value)",
        ),
        (
            r#"return bit.tohex(1, nil)"#,
            b"user_script:1: bad argument #2 to 'tohex' (number expected, got nil)",
        ),
        (
            r#"return bit.tobit('0x')"#,
            b"user_script:1: bad argument #1 to 'tobit' (number expected, got string)",
        ),
        (
            r#"return bit.bor('x')"#,
            b"user_script:1: bad argument #1 to 'bor' (number expected, got string)",
        ),
        (
            r#"return bit:tobit()"#,
            b"user_script:1: calling 'tobit' on bad self (number expected, got table)",
        ),
        (
            r#"return bit.tobit({})"#,
            b"user_script:1: bad argument #1 to 'tobit' (number expected, got table)",
        ),
        (
            r#"return D(bit.tohex('255', '4'), bit.lshift('1', '4'), bit.band('0x0f', 3))"#,
            b"3:\"00ff\" 16 3",
        ),
        (
            r#"return D(bit.tobit(2^31), bit.tobit(-2^31), bit.tobit(2^31 - 0.5), bit.tobit(1e300), bit.tobit(-1e-300))"#,
            b"5:-2147483648 -2147483648 -2147483648 -2013235812 0",
        ),
        (
            r#"return D(bit.bswap(-1), bit.bnot(-1), bit.bxor(-1, 1), bit.arshift(-1, 31), bit.rshift(1, 32), bit.rol(-2, 33))"#,
            b"6:-1 0 -2 -1 1 -3",
        ),
        (r#"return D(bit.band(1.5, 3.5))"#, b"1:0"),
    ]);
}
