//! `struct` against redis-server 7.0.15.
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
            r#"return H(struct.pack('>i', 1)) .. ' ' .. H(struct.pack('<i', 1)) .. ' ' .. H(struct.pack('i', -2))"#,
            b"00000001 01000000 feffffff",
        ),
        (
            r#"return H(struct.pack('bBhHlLT', -1, 255, -2, 65535, -3, 2^53, 7))"#,
            b"fffffefffffffdffffffffffffff00000000000020000700000000000000",
        ),
        (
            r#"return H(struct.pack('>bBhHlLT', -1, 255, -2, 65535, -3, 2^53, 7))"#,
            b"fffffffefffffffffffffffffffd00200000000000000000000000000007",
        ),
        (
            r#"return H(struct.pack('>i3I5i16', -1, 2^33+1, -5))"#,
            b"ffffff02000000010000000000000000fffffffffffffffb",
        ),
        (
            r#"return H(struct.pack('<i3I5i16i0', -1, 2^33+1, -5, 9))"#,
            b"ffffff0100000002fbffffffffffffff0000000000000000",
        ),
        (
            r#"return H(struct.pack('fd>fd', 1.5, 0.1, -2.25, 1/0))"#,
            b"0000c03f9a9999999999b93fc01000007ff0000000000000",
        ),
        (
            r#"return H(struct.pack('c3c0sxc', 'abcdef', 'xyz', 'hi', 'q'))"#,
            b"61626378797a6869000071",
        ),
        (
            r#"return H(struct.pack('!4 b i b d', 1, 2, 3, 4))"#,
            b"0100000002000000030000000000000000001040",
        ),
        (
            r#"return H(struct.pack('!b i b d', 1, 2, 3, 4))"#,
            b"010000000200000003000000000000000000000000001040",
        ),
        (
            r#"return H(struct.pack('!2 b i b h c1 i', 1, 2, 3, 4, 'z', 5))"#,
            b"010002000000030004007a0005000000",
        ),
        (r#"return H(struct.pack('!8bi3', 1, 2))"#, b"010000020000"),
        (
            r#"return H(struct.pack('>L', 0/0)) .. H(struct.pack('>L', 2^64)) .. H(struct.pack('>l', -2^70)) .. H(struct.pack('b', 300)) .. H(struct.pack('B', -1.7)) .. H(struct.pack('b', 2.9))"#,
            b"8000000000000000000000000000000080000000000000002cff02",
        ),
        (
            r#"return H(struct.pack('i', '12')) .. H(struct.pack('c2', 12))"#,
            b"0c0000003132",
        ),
        (
            r#"return struct.pack('c5','ab')"#,
            b"user_script:1: bad argument #3 to 'pack' (string too short)",
        ),
        (
            r#"return struct.pack('i')"#,
            b"user_script:1: bad argument #2 to 'pack' (number expected, got nil)",
        ),
        (
            r#"return struct.pack('i', 'x')"#,
            b"user_script:1: bad argument #2 to 'pack' (number expected, got string)",
        ),
        (
            r#"return struct.pack('s', {})"#,
            b"user_script:1: bad argument #2 to 'pack' (string expected, got table)",
        ),
        (
            r#"return struct.pack('z')"#,
            b"user_script:1: bad argument #1 to 'pack' (invalid format option 'z')",
        ),
        (
            r#"return struct.pack('b5', 1)"#,
            b"user_script:1: bad argument #1 to 'pack' (invalid format option '5')",
        ),
        (
            r#"return struct.pack('i33', 1)"#,
            b"user_script:1: integral size 33 is larger than limit of 32",
        ),
        (
            r#"return struct.pack('i99999999999', 1)"#,
            b"user_script:1: integral size overflow",
        ),
        (
            r#"return struct.pack('!3')"#,
            b"user_script:1: alignment 3 is not a power of 2",
        ),
        (
            r#"return struct.pack('!0')"#,
            b"user_script:1: alignment 0 is not a power of 2",
        ),
        (
            r#"return struct.pack()"#,
            b"user_script:1: bad argument #1 to 'pack' (string expected, got no value)",
        ),
        (
            r#"return struct.pack(12)"#,
            b"user_script:1: bad argument #1 to 'pack' (invalid format option '1')",
        ),
        (r#"return H(struct.pack('b\0b', 1, 2))"#, b"01"),
        (
            r#"return D(struct.unpack('>i', struct.pack('>i', -5)))"#,
            b"2:-5 5",
        ),
        (
            r#"return D(struct.unpack('bBhHlLTiI', struct.pack('bBhHlLTiI', -1, 255, -2, 65535, -3, 2^53, 7, -9, 9)))"#,
            b"10:-1 255 -2 65535 -3 9007199254740992 7 -9 9 39",
        ),
        (
            r#"return D(struct.unpack('>i3I5i16', struct.pack('>i3I5i16', -1, 2^33+1, -5)))"#,
            b"4:-1 8589934593 -5 25",
        ),
        (
            r#"return D(struct.unpack('<i3I5i16I16i0', struct.pack('<i3I5i16I16', -1, 2^33+1, -5, 7)))"#,
            b"6:-1 8589934593 -5 7 0 41",
        ),
        (
            r#"return D(struct.unpack('fd', struct.pack('fd', 1.5, 0.1)))"#,
            b"3:1.5 0.10000000000000001 13",
        ),
        (
            r#"return D(struct.unpack('>fd', struct.pack('>fd', 1.1, -0.1)))"#,
            b"3:1.1000000238418579 -0.10000000000000001 13",
        ),
        (
            r#"return D(struct.unpack('c3 s c2', 'abchello\0xy'))"#,
            b"4:\"abc\" \"hello\" \"xy\" 12",
        ),
        (
            r#"return D(struct.unpack('bc0', '\3abcd'))"#,
            b"2:\"abc\" 5",
        ),
        (
            r#"return D(struct.unpack('c1c0', '3abcd'))"#,
            b"2:\"abc\" 5",
        ),
        (
            r#"return D(struct.unpack('c0', 'abc'))"#,
            b"user_script:1: format 'c0' needs a previous size",
        ),
        (
            r#"return D(struct.unpack('bc0', '\9abcd'))"#,
            b"user_script:1: bad argument #2 to 'unpack' (data string too short)",
        ),
        (
            r#"return D(struct.unpack('s', 'abc'))"#,
            b"user_script:1: unfinished string in data",
        ),
        (r#"return D(struct.unpack('b', 'abc', 2))"#, b"2:98 3"),
        (r#"return D(struct.unpack('b', 'abc', 3))"#, b"2:99 4"),
        (
            r#"return D(struct.unpack('b', 'abc', 4))"#,
            b"user_script:1: bad argument #2 to 'unpack' (data string too short)",
        ),
        (
            r#"return D(struct.unpack('b', 'abc', 0))"#,
            b"user_script:1: bad argument #3 to 'unpack' (offset must be 1 or greater)",
        ),
        (
            r#"return D(struct.unpack('b', 'abc', -1))"#,
            b"user_script:1: bad argument #2 to 'unpack' (data string too short)",
        ),
        (
            r#"return D(struct.unpack('!4 b i', '\1\0\0\0\2\0\0\0'))"#,
            b"3:1 2 9",
        ),
        (
            r#"return D(struct.unpack('!4 b i', '\1\0\0\0\2\0\0'))"#,
            b"user_script:1: bad argument #2 to 'unpack' (data string too short)",
        ),
        (r#"return D(struct.unpack('x b x', 'abc'))"#, b"2:98 4"),
        (
            r#"return D(struct.unpack('i', 'abc'))"#,
            b"user_script:1: bad argument #2 to 'unpack' (data string too short)",
        ),
        (
            r#"return D(struct.unpack('z', 'abc'))"#,
            b"user_script:1: bad argument #1 to 'unpack' (invalid format option 'z')",
        ),
        (
            r#"return D(struct.unpack('b'))"#,
            b"user_script:1: bad argument #2 to 'unpack' (string expected, got no value)",
        ),
        (
            r#"return D(struct.unpack())"#,
            b"user_script:1: bad argument #1 to 'unpack' (string expected, got no value)",
        ),
        (
            r#"return D(struct.unpack('b', 'a', 'x'))"#,
            b"user_script:1: bad argument #3 to 'unpack' (number expected, got string)",
        ),
        (
            r#"return select('#', struct.unpack(string.rep('b', 7997), string.rep('a', 7997)))"#,
            b"7998",
        ),
        (
            r#"return select('#', struct.unpack(string.rep('b', 7998), string.rep('a', 7998)))"#,
            b"user_script:1: stack overflow (too many results)",
        ),
        (
            r#"return select('#', struct.unpack(string.rep('x', 9000), string.rep('a', 9000)))"#,
            b"1",
        ),
        (
            r#"return D(struct.size('bhilTfdxc3i7'), struct.size('!bhilTfdxc3i7'), struct.size('!4 b d'), struct.size(''), struct.size('zq'), struct.size('<>'))"#,
            b"6:46 53 12 0 0 0",
        ),
        (
            r#"return struct.size('s')"#,
            b"user_script:1: bad argument #1 to 'size' (option 's' has no fixed size)",
        ),
        (
            r#"return struct.size('c0')"#,
            b"user_script:1: bad argument #1 to 'size' (option 'c0' has no fixed size)",
        ),
        (
            r#"return struct.size('b?')"#,
            b"user_script:1: bad argument #1 to 'size' (invalid format option '?')",
        ),
        (
            r#"return struct.size('!5')"#,
            b"user_script:1: alignment 5 is not a power of 2",
        ),
        (
            r#"return struct.size('i40')"#,
            b"user_script:1: integral size 40 is larger than limit of 32",
        ),
        (
            r#"return struct.size()"#,
            b"user_script:1: bad argument #1 to 'size' (string expected, got no value)",
        ),
        (
            r#"return select('#', struct.unpack(string.rep('c1', 7997), string.rep('a', 7997)))"#,
            b"7998",
        ),
        (
            r#"return H(struct.pack('dd', -0.0 * 1, 1e-300))"#,
            b"000000000000008059f3f8c21f6ea501",
        ),
    ]);
}
