//! Differential tests for the bit commands (SETBIT, GETBIT, BITCOUNT, BITPOS, BITOP,
//! BITFIELD, BITFIELD_RO) and LCS: the same commands go to a real redis-server and to
//! redust, and the reply bytes must be identical, in RESP2 and in RESP3.

mod common;

use common::{encode, Raw, Server};

/// A named sequence of commands, each given as its words.
struct Case {
    name: &'static str,
    commands: Vec<Vec<Vec<u8>>>,
}

/// Decodes one word: `\e` alone is the empty word; inside a word `\s` stands for a space and
/// `\xHH` for the byte HH (bit commands need arbitrary bytes).
fn word(w: &str) -> Vec<u8> {
    if w == "\\e" {
        return Vec::new();
    }
    let b = w.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        if b[i] == b'\\' && b.get(i + 1) == Some(&b's') {
            out.push(b' ');
            i += 2;
        } else if b[i] == b'\\' && b.get(i + 1) == Some(&b'x') && i + 4 <= b.len() {
            let hex = std::str::from_utf8(&b[i + 2..i + 4]).unwrap();
            out.push(u8::from_str_radix(hex, 16).expect("\\xHH escape"));
            i += 4;
        } else {
            out.push(b[i]);
            i += 1;
        }
    }
    out
}

/// Builds a case from lines; each line is split on spaces into [`word`]s.
fn case(name: &'static str, lines: &[&str]) -> Case {
    let commands = lines
        .iter()
        .map(|l| l.split(' ').map(word).collect())
        .collect();
    Case { name, commands }
}

/// Runs every case against both servers; returns the mismatches.
fn run(cases: &[Case], resp3: bool) -> Vec<String> {
    let redis = Server::start_redis(&[]);
    let ours = Server::start(&[]);
    let mut failures = Vec::new();
    for c in cases {
        let mut a = Raw::connect(redis.port);
        let mut b = Raw::connect(ours.port);
        for conn in [&mut a, &mut b] {
            conn.cmd(&[b"FLUSHALL"]);
            if resp3 {
                conn.cmd(&[b"HELLO", b"3"]);
            }
        }
        for cmd in &c.commands {
            let args: Vec<&[u8]> = cmd.iter().map(|a| a.as_slice()).collect();
            a.send(&encode(&args));
            b.send(&encode(&args));
            let (ra, rb) = (a.reply(), b.reply());
            if ra != rb {
                failures.push(format!(
                    "[{}] {:?}\n  redis:  {:?}\n  redust: {:?}",
                    c.name,
                    args.iter()
                        .map(|a| String::from_utf8_lossy(a))
                        .collect::<Vec<_>>(),
                    String::from_utf8_lossy(&ra),
                    String::from_utf8_lossy(&rb)
                ));
            }
        }
    }
    failures
}

fn assert_same(cases: &[Case], resp3: bool) {
    let failures = run(cases, resp3);
    assert!(
        failures.is_empty(),
        "{} mismatches:\n{}",
        failures.len(),
        failures.join("\n")
    );
}

fn setbit_getbit_cases() -> Vec<Case> {
    vec![
        case(
            "setbit-getbit",
            &[
                "SETBIT k 7 1",
                "GET k",
                "SETBIT k 7 1",
                "SETBIT k 7 0",
                "SETBIT k 1 1",
                "GETBIT k 1",
                "GETBIT k 0",
                "GETBIT k 7",
                "GETBIT k 100",
                "GETBIT k 4294967295",
                "GETBIT missing 0",
                "SETBIT k 100 1",
                "GET k",
                "SETBIT fresh 20 0",
                "GET fresh",
                "SET n 12",
                "GETBIT n 2",
                "GETBIT n 11",
                "SETBIT n 15 0",
                "GET n",
                "SET e \\e",
                "GETBIT e 0",
                "SETBIT e 0 1",
                "GET e",
            ],
        ),
        case(
            "setbit-getbit-errors",
            &[
                "SETBIT k -1 1",
                "SETBIT k abc 1",
                "SETBIT k \\e 1",
                "SETBIT k 01 1",
                "SETBIT k 4294967296 1",
                "SETBIT k 9223372036854775807 1",
                "SETBIT k 9223372036854775808 1",
                "SETBIT k 1 2",
                "SETBIT k 1 -1",
                "SETBIT k 1 abc",
                "SETBIT k 1 01",
                "SETBIT k 1 \\e",
                "SETBIT k abc abc",
                "SETBIT k 1",
                "SETBIT k 1 1 1",
                "GETBIT k -1",
                "GETBIT k abc",
                "GETBIT k \\e",
                "GETBIT k 4294967296",
                "GETBIT k",
                "GETBIT k 1 2",
                "GET k",
            ],
        ),
        case(
            "bits-ttl-and-encoding",
            &[
                "SET k 12 EX 1000",
                "OBJECT ENCODING k",
                "BITFIELD k GET u8 0",
                "OBJECT ENCODING k",
                "GETBIT k 0",
                "BITCOUNT k",
                "OBJECT ENCODING k",
                "SETBIT k 0 0",
                "OBJECT ENCODING k",
                "TTL k",
                "SETBIT k 100 1",
                "TTL k",
                "SET j 7 EX 1000",
                "BITFIELD j OVERFLOW FAIL SET u2 0 9",
                "OBJECT ENCODING j",
                "TTL j",
                "SET d x EX 1000",
                "BITOP OR d k",
                "TTL d",
                "OBJECT ENCODING d",
                "SET short a",
                "BITOP AND d short",
                "OBJECT ENCODING d",
                "SET d x EX 1000",
                "BITOP AND d missing",
                "EXISTS d",
                "SETBIT fresh 3 1",
                "OBJECT ENCODING fresh",
                "TTL fresh",
                "LCS k j",
            ],
        ),
        case(
            "bit-offset-limit",
            &[
                "CONFIG SET proto-max-bulk-len 1mb",
                "SETBIT big 8388608 1",
                "GETBIT big 8388608",
                "SETBIT big 8388607 1",
                "GETBIT big 8388607",
                "BITCOUNT big",
                "BITPOS big 1",
                "BITPOS big 0 -1",
                "BITFIELD big GET u8 #1048576",
                "BITFIELD big GET u8 #1048575",
                "BITFIELD big SET u1 8388608 1",
                "CONFIG SET proto-max-bulk-len 512mb",
            ],
        ),
    ]
}

fn bitcount_cases() -> Vec<Case> {
    vec![
        case(
            "bitcount",
            &[
                "BITCOUNT missing",
                "BITCOUNT missing a b",
                "BITCOUNT missing 1",
                "BITCOUNT missing 0 1 foo",
                "SET s foobar",
                "BITCOUNT s",
                "BITCOUNT s 0 0",
                "BITCOUNT s 1 1",
                "BITCOUNT s 0 -1",
                "BITCOUNT s -2 -1",
                "BITCOUNT s -1 -2",
                "BITCOUNT s -100 -200",
                "BITCOUNT s -200 -100",
                "BITCOUNT s 0 -100",
                "BITCOUNT s -100 100",
                "BITCOUNT s 10 20",
                "BITCOUNT s 5 30 BIT",
                "BITCOUNT s 5 30 bit",
                "BITCOUNT s 0 -1 BIT",
                "BITCOUNT s -1 -1 bit",
                "BITCOUNT s -9 -2 bit",
                "BITCOUNT s -100 -200 bit",
                "BITCOUNT s 1 1 byte",
                "BITCOUNT s 1 1 ByTe",
                "BITCOUNT s 9223372036854775807 -9223372036854775808",
                "BITCOUNT s -9223372036854775808 9223372036854775807",
                "BITCOUNT s -9223372036854775808 9223372036854775807 bit",
                "SET n 1234",
                "BITCOUNT n",
                "BITCOUNT n 1 2",
                "SET e \\e",
                "BITCOUNT e",
                "BITCOUNT e 0 -1",
                "BITCOUNT e 0 -1 bit",
                "SET long 0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789abcdefghijklmnop\\xff\\xfe\\x80",
                "BITCOUNT long",
                "BITCOUNT long 3 77",
                "BITCOUNT long 13 700 bit",
                "BITCOUNT long 9 9 bit",
                "BITCOUNT long -30 -2 bit",
            ],
        ),
        case(
            "bitcount-errors",
            &[
                "SET s foobar",
                "BITCOUNT s a 1",
                "BITCOUNT s 1 a",
                "BITCOUNT s 1",
                "BITCOUNT s 0 1 foo",
                "BITCOUNT s 0 1 bit x",
                "BITCOUNT s a 1 foo",
                "BITCOUNT s 1 a foo",
                "BITCOUNT s -1 -2 foo",
                "BITCOUNT s -2 -1 foo",
                "BITCOUNT missing -1 -2 foo",
                "BITCOUNT s 1.5 2",
                "BITCOUNT s 99999999999999999999 1",
                "BITCOUNT",
            ],
        ),
    ]
}

fn bitpos_cases() -> Vec<Case> {
    vec![
        case(
            "bitpos-missing",
            &[
                "BITPOS missing 0",
                "BITPOS missing 1",
                "BITPOS missing 1 a",
                "BITPOS missing 0 1 2 foo",
                "BITPOS missing 2",
                "BITPOS missing a",
            ],
        ),
        case(
            "bitpos",
            &[
                "SET ff \\xff\\xf0\\x00",
                "BITPOS ff 0",
                "BITPOS ff 1",
                "BITPOS ff 0 1",
                "BITPOS ff 0 1 1",
                "BITPOS ff 0 0 0",
                "BITPOS ff 1 2",
                "BITPOS ff 1 2 -1",
                "BITPOS ff 0 2 2",
                "BITPOS ff 0 0 7 bit",
                "BITPOS ff 0 0 11 bit",
                "BITPOS ff 0 0 12 bit",
                "BITPOS ff 0 4 12 bit",
                "BITPOS ff 1 12 23 bit",
                "BITPOS ff 1 -3 -1 bit",
                "BITPOS ff 1 3 5 BIT",
                "BITPOS ff 1 9 9 bit",
                "BITPOS ff 0 9 9 bit",
                "BITPOS ff 0 -100 -200",
                "BITPOS ff 1 -100 -200",
                "BITPOS ff 1 100",
                "BITPOS ff 0 5",
                "BITPOS ff 1 5 10",
                "BITPOS ff 1 0 -1 BYTE",
                "BITPOS ff 1 -9223372036854775808 9223372036854775807 bit",
                "SET ones \\xff\\xff\\xff",
                "BITPOS ones 0",
                "BITPOS ones 0 1",
                "BITPOS ones 0 0 -1",
                "BITPOS ones 0 0 23 bit",
                "BITPOS ones 1 0 0 bit",
                "BITPOS ones 1 3",
                "SET z \\x00\\x00",
                "BITPOS z 1",
                "BITPOS z 0",
                "BITPOS z 1 0 -1 bit",
                "BITPOS z 0 3 9 bit",
                "SET e \\e",
                "BITPOS e 0",
                "BITPOS e 1",
                "BITPOS e 0 0 -1 bit",
                "BITPOS e 0 0",
                "SET n 7",
                "BITPOS n 0",
                "BITPOS n 1",
                "SETBIT zz 803 1",
                "BITPOS zz 1",
                "BITPOS zz 1 5",
                "BITPOS zz 1 -1",
                "BITPOS zz 0",
                "BITPOS zz 1 0 99",
                "BITPOS zz 1 17 803 bit",
                "BITPOS zz 1 17 802 bit",
                "BITOP NOT nz zz",
                "BITPOS nz 0",
                "BITPOS nz 0 0 -1",
                "BITPOS nz 1 0 -1",
                "BITPOS nz 0 100 -1 bit",
                "SETBIT nz 803 1",
                "BITPOS nz 0",
                "BITPOS nz 0 0 -1",
            ],
        ),
        case(
            "bitpos-errors",
            &[
                "SET s foobar",
                "BITPOS s 0 a",
                "BITPOS s 0 1 a",
                "BITPOS s 0 1 2 foo",
                "BITPOS s 0 a 2 foo",
                "BITPOS s 0 1 b foo",
                "BITPOS s 0 1 2 bit x",
                "BITPOS s 0 1 bit",
                "BITPOS s 2",
                "BITPOS s -1",
                "BITPOS s 01",
                "BITPOS s a",
                "BITPOS s \\e",
                "BITPOS s 2 a b c d",
                "BITPOS s",
            ],
        ),
    ]
}

fn bitop_cases() -> Vec<Case> {
    vec![
        case(
            "bitop",
            &[
                "SET a \\x0f\\xf0\\x55",
                "SET b \\xff",
                "SET c \\x01\\x02\\x03\\x04\\x05",
                "BITOP AND d a b",
                "GET d",
                "BITOP OR d a b",
                "GET d",
                "BITOP XOR d a b",
                "GET d",
                "BITOP NOT d a",
                "GET d",
                "BITOP and d a b c",
                "GET d",
                "BITOP or d a b c",
                "GET d",
                "BITOP xor d a b c",
                "GET d",
                "BITOP xOr d a a",
                "GET d",
                "BITOP AND d a",
                "GET d",
                "BITOP AND d a missing",
                "GET d",
                "BITOP AND d missing a",
                "GET d",
                "BITOP OR d missing a missing2",
                "GET d",
                "BITOP AND a a b",
                "GET a",
                "SET n 12",
                "BITOP AND d n",
                "GET d",
                "BITOP NOT d n",
                "GET d",
                "BITOP OR d missing missing2",
                "GET d",
                "BITOP OR d missing",
                "SET e \\e",
                "BITOP NOT d e",
                "GET d",
                "GET e",
                "SET x v",
                "BITOP NOT x missing",
                "GET x",
                "BITOP NOT missing missing",
            ],
        ),
        case(
            "bitop-errors",
            &[
                "SET a x",
                "BITOP NOT d a b",
                "BITOP NOT d",
                "BITOP FOO d a",
                "BITOP an d a",
                "BITOP andx d a",
                "BITOP \\e d a",
                "BITOP AND d",
                "BITOP",
                "GET d",
            ],
        ),
    ]
}

fn bitfield_cases() -> Vec<Case> {
    vec![
        case(
            "bitfield-get",
            &[
                "BITFIELD k",
                "BITFIELD missing GET u8 0",
                "BITFIELD missing GET i64 0 GET u63 100",
                "SET k hello",
                "BITFIELD k",
                "BITFIELD k GET u8 0 GET i8 0 GET u4 4 GET i64 0 GET u63 1 GET i5 #3 GET u8 100",
                "BITFIELD k GET i64 1 GET i64 7 GET i64 9 GET u63 #1 GET i3 37 GET u8 35",
                "BITFIELD k get U8 0",
                "BITFIELD k gEt u8 0",
                "SET n 255",
                "BITFIELD n GET u8 0 GET u16 0 GET i8 8",
                "BITFIELD k GET u8 #536870911",
            ],
        ),
        case(
            "bitfield-write",
            &[
                "BITFIELD b SET u8 0 255 GET u8 0",
                "GET b",
                "BITFIELD b INCRBY u8 0 10",
                "BITFIELD b OVERFLOW SAT INCRBY u8 0 300",
                "BITFIELD b OVERFLOW FAIL INCRBY u8 0 10",
                "BITFIELD b OVERFLOW WRAP INCRBY u8 0 -300",
                "BITFIELD b overflow sat INCRBY u8 0 -300",
                "BITFIELD b OVERFLOW fail INCRBY u8 0 -300 INCRBY u8 0 1",
                "GET b",
                "BITFIELD c SET i8 0 127 INCRBY i8 0 1 OVERFLOW SAT INCRBY i8 0 100 INCRBY i8 0 -300 OVERFLOW FAIL INCRBY i8 0 -1000 GET i8 0",
                "BITFIELD c OVERFLOW SAT SET u8 0 -1 SET i8 8 200 SET i8 16 -200 SET u8 24 256",
                "BITFIELD c OVERFLOW WRAP SET u8 0 -1 SET i8 8 200 SET i8 16 -200 SET u8 24 256",
                "BITFIELD c OVERFLOW FAIL SET u8 0 -1 SET i8 8 200 SET i8 16 -200 SET u8 24 256 SET u8 24 3",
                "GET c",
                "BITFIELD d SET i64 0 9223372036854775807 INCRBY i64 0 1",
                "BITFIELD d OVERFLOW SAT INCRBY i64 0 -1 INCRBY i64 0 9223372036854775807 INCRBY i64 0 9223372036854775807",
                "BITFIELD d SET i64 0 -9223372036854775808 OVERFLOW SAT INCRBY i64 0 -1 OVERFLOW FAIL INCRBY i64 0 -1 OVERFLOW WRAP INCRBY i64 0 -1",
                "BITFIELD d SET u63 0 9223372036854775807 INCRBY u63 0 1 OVERFLOW SAT INCRBY u63 0 -1 SET u63 0 -1 INCRBY u63 0 -9223372036854775808",
                "BITFIELD d OVERFLOW SAT SET i8 0 -9223372036854775808 SET i8 0 9223372036854775807 SET u8 0 -9223372036854775808",
                "BITFIELD d OVERFLOW WRAP SET i8 0 -9223372036854775808 SET i8 0 9223372036854775807 SET i1 0 1 GET i1 0 SET u1 0 3",
                "BITFIELD d OVERFLOW SAT SET i1 0 1 GET i1 0 INCRBY i1 0 -5 INCRBY u1 0 5",
                "BITFIELD d OVERFLOW SAT INCRBY i64 0 -9223372036854775808 INCRBY i64 0 -9223372036854775808",
                "BITFIELD e SET u4 #1 15 GET u8 0 GET u4 #2 INCRBY u4 #1 1",
                "BITFIELD e SET i13 5 -1000 GET i13 5 GET u16 4 INCRBY i13 5 -4096",
                "GET e",
                "BITFIELD g SET u8 #10 1",
                "GET g",
                "BITFIELD g GET u8 #100",
                "GET g",
                "BITFIELD h OVERFLOW FAIL SET u2 0 10",
                "GET h",
                "BITFIELD h GET u2 0 SET u2 0 1 GET u2 0 SET u2 0 1",
                "SET n 255",
                "BITFIELD n SET u8 0 50",
                "GET n",
                "BITFIELD n INCRBY u8 8 7",
                "GET n",
            ],
        ),
        case(
            "bitfield-errors",
            &[
                "SET k hello",
                "BITFIELD k FOO",
                "BITFIELD k GET u8",
                "BITFIELD k GET",
                "BITFIELD k SET u8 0",
                "BITFIELD k INCRBY u8 0",
                "BITFIELD k OVERFLOW",
                "BITFIELD k OVERFLOW foo",
                "BITFIELD k OVERFLOW foo GET x 0",
                "BITFIELD k GET x8 0",
                "BITFIELD k GET u64 0",
                "BITFIELD k GET i65 0",
                "BITFIELD k GET i0 0",
                "BITFIELD k GET u 0",
                "BITFIELD k GET u-1 0",
                "BITFIELD k GET u08 0",
                "BITFIELD k GET \\e 0",
                "BITFIELD k GET u8\\x00z 0",
                "BITFIELD k GET u8 -1",
                "BITFIELD k GET u8 abc",
                "BITFIELD k GET u8 #",
                "BITFIELD k GET u8 #-1",
                "BITFIELD k GET u8 ##1",
                "BITFIELD k GET u8 4294967296",
                "BITFIELD k GET u8 #536870912",
                "BITFIELD k GET u8 #9223372036854775807",
                "BITFIELD k GET i64 #144115188075855872",
                "BITFIELD k SET u8 0 abc",
                "BITFIELD k INCRBY u8 0 1.5",
                "BITFIELD k SET u8 0 99999999999999999999",
                "BITFIELD k SET u8 0 1 GET x8 0",
                "BITFIELD k SET u8 0 1 GET u8 0 FOO",
                "BITFIELD k SET u8 0 1 OVERFLOW",
                "GET k",
                "BITFIELD",
            ],
        ),
        case(
            "bitfield-ro",
            &[
                "SET k hello",
                "BITFIELD_RO k GET u8 0 GET i16 4",
                "BITFIELD_RO k",
                "BITFIELD_RO missing GET i8 0",
                "BITFIELD_RO k OVERFLOW SAT GET u8 0",
                "BITFIELD_RO k SET u8 0 1",
                "BITFIELD_RO k GET u8 0 INCRBY u8 0 1",
                "BITFIELD_RO k SET u8 0 abc",
                "BITFIELD_RO k SET x8 0 1",
                "BITFIELD_RO k FOO",
                "BITFIELD_RO k GET u64 0",
                "BITFIELD_RO missing SET u8 0 1",
                "bitfield_ro k get u8 0",
                "GET k",
                "GET missing",
                "BITFIELD_RO",
            ],
        ),
    ]
}

fn lcs_cases() -> Vec<Case> {
    vec![
        case(
            "lcs",
            &[
                "SET a ohmytext",
                "SET b mynewtext",
                "LCS a b",
                "LCS a b LEN",
                "LCS a b len",
                "LCS a b IDX",
                "LCS a b IDX MINMATCHLEN 4",
                "LCS a b IDX MINMATCHLEN 4 WITHMATCHLEN",
                "LCS a b IDX WITHMATCHLEN",
                "LCS a b idx withmatchlen minmatchlen -5",
                "LCS a b IDX MINMATCHLEN 100",
                "LCS a b IDX MINMATCHLEN 1 MINMATCHLEN 3",
                "LCS a b WITHMATCHLEN",
                "LCS a b MINMATCHLEN 3",
                "LCS a b LEN LEN",
                "LCS a b IDX IDX",
                "LCS b a IDX WITHMATCHLEN",
                "LCS a a IDX WITHMATCHLEN",
                "LCS a missing",
                "LCS missing a LEN",
                "LCS missing missing2 IDX",
                "LCS missing missing2",
                "SET n 12345",
                "SET m 92345",
                "LCS n m",
                "LCS n m IDX",
                "SET x ab",
                "SET y ba",
                "LCS x y IDX",
                "LCS y x IDX",
                "SET e \\e",
                "LCS e a",
                "LCS e a IDX",
                "SET p thequickbrownfoxjumpsoverthelazydog",
                "SET q packmyboxwithfivedozenliquorjugs",
                "LCS p q",
                "LCS p q IDX WITHMATCHLEN",
                "LCS q p IDX MINMATCHLEN 2 WITHMATCHLEN",
                "SET r \\x00\\xff\\x00abc\\xffz",
                "SET t \\xffab\\x00\\x00c",
                "LCS r t",
                "LCS r t IDX",
                "CONFIG SET proto-max-bulk-len 1mb",
                "SETBIT big1 4087 1",
                "SETBIT big2 4087 1",
                "LCS big1 big2 LEN",
                "SETBIT big2 4095 1",
                "LCS big1 big2 LEN",
                "LCS big1 big2 IDX LEN",
                "LCS big1 big2 FOO",
                "CONFIG SET proto-max-bulk-len 512mb",
            ],
        ),
        case(
            "lcs-errors",
            &[
                "SET a ohmytext",
                "SET b mynewtext",
                "LCS a b FOO",
                "LCS a b LEN IDX",
                "LCS a b IDX LEN",
                "LCS a b MINMATCHLEN",
                "LCS a b MINMATCHLEN x",
                "LCS a b MINMATCHLEN 1.5 IDX",
                "LCS a b MINMATCHLEN x IDX LEN",
                "LCS a b IDX LEN FOO",
                "LCS a b LEN FOO",
                "LCS a b \\e",
                "LCS a",
                "LCS",
            ],
        ),
    ]
}

fn all_cases() -> Vec<Case> {
    let mut cases = setbit_getbit_cases();
    cases.extend(bitcount_cases());
    cases.extend(bitpos_cases());
    cases.extend(bitop_cases());
    cases.extend(bitfield_cases());
    cases.extend(lcs_cases());
    cases
}

#[test]
fn bit_commands_match_redis() {
    let mut cases = setbit_getbit_cases();
    cases.extend(bitcount_cases());
    cases.extend(bitpos_cases());
    cases.extend(bitop_cases());
    assert_same(&cases, false);
}

#[test]
fn bitfield_matches_redis() {
    assert_same(&bitfield_cases(), false);
}

#[test]
fn lcs_matches_redis() {
    assert_same(&lcs_cases(), false);
}

#[test]
fn resp3_replies_match_redis() {
    assert_same(&all_cases(), true);
}

#[test]
fn command_metadata_matches_redis() {
    assert_same(
        &[case(
            "command-info",
            &[
                "COMMAND INFO setbit getbit bitcount bitpos bitop bitfield bitfield_ro lcs",
                "COMMAND DOCS lcs bitfield",
                "COMMAND GETKEYS bitop and d a b",
                "COMMAND GETKEYS lcs a b",
                "COMMAND GETKEYS bitfield k get u8 0",
            ],
        )],
        false,
    );
}
