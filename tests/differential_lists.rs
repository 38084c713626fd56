//! Differential tests for the list family: every command's happy paths and errors,
//! compared byte for byte with redis-server, in RESP2 and RESP3.

mod common;

use common::diff::{assert_same, case, Case};
use common::{Raw, Server};

fn list_cases() -> Vec<Case> {
    vec![
        case(
            "push",
            &[
                "LPUSH l a b c",
                "RPUSH l d e",
                "LRANGE l 0 -1",
                "LPUSHX l x",
                "RPUSHX l y z",
                "LPUSHX nope x",
                "RPUSHX nope x",
                "EXISTS nope",
                "LPUSH l",
                "RPUSHX l",
                "LPUSH \\e \\e",
                "LRANGE \\e 0 -1",
                "RPUSH bin \\x00\\xff a\\sb \\n",
                "LRANGE bin 0 -1",
                "LLEN l",
                "LLEN nope",
                "TYPE l",
                "OBJECT ENCODING l",
                "SET s v",
                "LPUSH s a",
                "RPUSH s a",
                "LPUSHX s a",
                "RPUSHX s a",
                "LLEN s",
                "LLEN",
            ],
        ),
        case(
            "pop",
            &[
                "RPUSH l a b c d e f",
                "LPOP l",
                "RPOP l",
                "LPOP l 2",
                "RPOP l 1",
                "LPOP l 0",
                "LPOP l 10",
                "EXISTS l",
                "LPOP l",
                "RPOP l",
                "LPOP l 0",
                "RPOP l 3",
                "RPUSH l a",
                "LPOP l -1",
                "LPOP l abc",
                "LPOP l 1.5",
                "LPOP l 1 2",
                "RPOP l 1 2",
                "RPOP l 99999999999999999999",
                "RPOP l 9223372036854775807",
                "EXISTS l",
                "SET s v",
                "LPOP s",
                "RPOP s 2",
                "LPOP s 0",
                "LPOP s -1",
                "LPOP nope -1",
                "LPOP nope 0",
            ],
        ),
        case(
            "range-index",
            &[
                "RPUSH l a b c d e",
                "LRANGE l 0 -1",
                "LRANGE l 1 3",
                "LRANGE l -2 -1",
                "LRANGE l -100 100",
                "LRANGE l 3 1",
                "LRANGE l 5 10",
                "LRANGE l -1 -5",
                "LRANGE l 0 0",
                "LRANGE l -9223372036854775808 9223372036854775807",
                "LRANGE l a 1",
                "LRANGE l 0 b",
                "LRANGE nope 0 -1",
                "LRANGE nope a 1",
                "LINDEX l 0",
                "LINDEX l -1",
                "LINDEX l 4",
                "LINDEX l 5",
                "LINDEX l -6",
                "LINDEX l abc",
                "LINDEX nope abc",
                "LINDEX nope 0",
                "SET s v",
                "LRANGE s 0 -1",
                "LRANGE s a 0",
                "LINDEX s 0",
                "LINDEX s abc",
            ],
        ),
        case(
            "lset",
            &[
                "RPUSH l a b c",
                "LSET l 0 x",
                "LSET l -1 z",
                "LSET l 1 \\e",
                "LRANGE l 0 -1",
                "LSET l 3 q",
                "LSET l -4 q",
                "LSET l abc q",
                "LSET nope 0 q",
                "LSET nope abc q",
                "SET s v",
                "LSET s 0 q",
                "LSET s abc q",
            ],
        ),
        case(
            "lrem",
            &[
                "RPUSH l a b a c a b a",
                "LREM l 2 a",
                "LRANGE l 0 -1",
                "LREM l -1 a",
                "LRANGE l 0 -1",
                "LREM l 0 b",
                "LRANGE l 0 -1",
                "LREM l 0 zz",
                "LREM l -9223372036854775808 a",
                "LREM l 0 c",
                "EXISTS l",
                "LREM nope 1 a",
                "LREM nope x a",
                "LREM l x a",
                "SET s v",
                "LREM s 1 a",
                "LREM s x a",
            ],
        ),
        case(
            "ltrim",
            &[
                "RPUSH l a b c d e f",
                "LTRIM l 1 -2",
                "LRANGE l 0 -1",
                "LTRIM l -3 100",
                "LRANGE l 0 -1",
                "LTRIM l 0 0",
                "LRANGE l 0 -1",
                "LTRIM l 5 10",
                "EXISTS l",
                "RPUSH l a b",
                "LTRIM l 1 0",
                "EXISTS l",
                "LTRIM nope 0 1",
                "LTRIM nope a 1",
                "LTRIM l 0 b",
                "SET s v",
                "LTRIM s 0 1",
                "LTRIM s a 1",
            ],
        ),
        case(
            "linsert",
            &[
                "RPUSH l a b c b",
                "LINSERT l BEFORE b x",
                "LINSERT l after b y",
                "LINSERT l AFTER c z",
                "LINSERT l before a first",
                "LRANGE l 0 -1",
                "LINSERT l BEFORE nope x",
                "LINSERT l MIDDLE a x",
                "LINSERT nope BEFORE a x",
                "LINSERT nope middle a x",
                "EXISTS nope",
                "SET s v",
                "LINSERT s BEFORE a x",
                "LINSERT s middle a x",
            ],
        ),
        case(
            "lpos",
            &[
                "RPUSH l a b c a b c a",
                "LPOS l a",
                "LPOS l c",
                "LPOS l zz",
                "LPOS l a RANK 2",
                "LPOS l a RANK -1",
                "LPOS l a RANK -2",
                "LPOS l a RANK 4",
                "LPOS l a RANK -4",
                "LPOS l a COUNT 0",
                "LPOS l a COUNT 2",
                "LPOS l a COUNT 10",
                "LPOS l a RANK -1 COUNT 2",
                "LPOS l a RANK 2 COUNT 0",
                "LPOS l a RANK 2 COUNT 0 MAXLEN 4",
                "LPOS l a RANK -1 COUNT 0 MAXLEN 1",
                "LPOS l a MAXLEN 1",
                "LPOS l b MAXLEN 1",
                "LPOS l b MAXLEN 0",
                "LPOS l zz COUNT 0",
                "LPOS l a RANK 9223372036854775807",
                "LPOS l a RANK -9223372036854775808",
                "LPOS l a RANK -9223372036854775808 COUNT 2",
                "LPOS l a RANK -9223372036854775807 COUNT 2",
                "LPOS l a rank 1 rank 2",
                "LPOS l a count 1 count 0",
                "LPOS l a RANK 0",
                "LPOS l a RANK abc",
                "LPOS l a COUNT -1",
                "LPOS l a COUNT abc",
                "LPOS l a MAXLEN -1",
                "LPOS l a MAXLEN abc",
                "LPOS l a RANK",
                "LPOS l a COUNT",
                "LPOS l a FOO 1",
                "LPOS l a RANK 0 FOO",
                "LPOS l a FOO RANK 0",
                "LPOS nope a",
                "LPOS nope a COUNT 1",
                "LPOS nope a COUNT 0",
                "LPOS nope a RANK 0",
                "SET s v",
                "LPOS s a",
                "LPOS s a COUNT 1",
                "LPOS s a RANK 0",
                "LPOS l",
            ],
        ),
        case(
            "lmove",
            &[
                "RPUSH src a b c",
                "LMOVE src dst LEFT RIGHT",
                "LMOVE src dst right left",
                "LRANGE src 0 -1",
                "LRANGE dst 0 -1",
                "LMOVE src dst LEFT LEFT",
                "EXISTS src",
                "LRANGE dst 0 -1",
                "LMOVE dst dst LEFT RIGHT",
                "LRANGE dst 0 -1",
                "LMOVE dst dst RIGHT RIGHT",
                "LRANGE dst 0 -1",
                "RPUSH one x",
                "LMOVE one one LEFT RIGHT",
                "LRANGE one 0 -1",
                "LMOVE nope dst LEFT LEFT",
                "LMOVE src dst MIDDLE LEFT",
                "LMOVE src dst LEFT MIDDLE",
                "LMOVE nope dst LEFT MIDDLE",
                "SET s v",
                "LMOVE s dst LEFT LEFT",
                "LMOVE dst s LEFT LEFT",
                "LRANGE dst 0 -1",
                "LMOVE nope s LEFT LEFT",
                "LMOVE s s LEFT LEFT",
                "RPOPLPUSH dst other",
                "RPOPLPUSH dst other",
                "RPOPLPUSH dst other",
                "EXISTS dst",
                "LRANGE other 0 -1",
                "RPOPLPUSH other other",
                "LRANGE other 0 -1",
                "RPOPLPUSH nope other",
                "RPOPLPUSH s other",
                "RPOPLPUSH other s",
                "RPOPLPUSH nope s",
                "LMOVE src dst LEFT",
                "RPOPLPUSH src",
            ],
        ),
        case(
            "lmpop",
            &[
                "RPUSH a 1 2 3",
                "RPUSH b x y",
                "LMPOP 2 nope a LEFT",
                "LMPOP 2 a b RIGHT COUNT 10",
                "EXISTS a",
                "LMPOP 2 a b left count 1",
                "LMPOP 1 b RIGHT",
                "LMPOP 3 nope a b LEFT",
                "LMPOP 1 nope LEFT COUNT 5",
                "RPUSH a 1 2 3",
                "LMPOP 1 a LEFT COUNT 9223372036854775807",
                "RPUSH a 1 2 3",
                "LMPOP 0 a LEFT",
                "LMPOP -1 a LEFT",
                "LMPOP abc a LEFT",
                "LMPOP 2 a LEFT",
                "LMPOP 5 a LEFT",
                "LMPOP 9223372036854775807 a LEFT",
                "LMPOP 1 a MIDDLE",
                "LMPOP 1 a LEFT COUNT 0",
                "LMPOP 1 a LEFT COUNT -1",
                "LMPOP 1 a LEFT COUNT abc",
                "LMPOP 1 a LEFT COUNT",
                "LMPOP 1 a LEFT COUNT 1 COUNT 1",
                "LMPOP 1 a LEFT FOO",
                "LMPOP 1 a LEFT 1",
                "LMPOP 1 nope MIDDLE",
                "SET s v",
                "LMPOP 1 s LEFT",
                "LMPOP 2 a s LEFT",
                "LMPOP 2 nope s LEFT",
                "LMPOP 2 s a LEFT",
                "LMPOP 1 s MIDDLE",
                "LRANGE a 0 -1",
                "LMPOP 1 a",
            ],
        ),
        case(
            "ttl-and-deleted",
            &[
                "RPUSH l a b",
                "LPUSHX l a",
                "DEL l",
                "LPOP l",
                "RPUSH l a b c",
                "EXPIRE l 100",
                "LPUSH l z",
                "TTL l",
                "LRANGE l 0 -1",
            ],
        ),
        case(
            "metadata-and-reload",
            &[
                "COMMAND INFO lpush rpush lpushx rpushx lpop rpop llen lrange lindex",
                "COMMAND INFO lset lrem ltrim linsert lpos lmove rpoplpush lmpop",
                "COMMAND DOCS lpos lmpop lmove",
                "COMMAND GETKEYS LMPOP 2 a b LEFT COUNT 2",
                "COMMAND GETKEYS LMOVE a b LEFT RIGHT",
                "COMMAND GETKEYS RPOPLPUSH a b",
                "COMMAND GETKEYS LMPOP 0 a LEFT",
                "COMMAND GETKEYSANDFLAGS LMPOP 0 a LEFT",
                "COMMAND GETKEYSANDFLAGS LMPOP 2 a b RIGHT",
                "COMMAND GETKEYS LMPOP 3 a b RIGHT",
                "COMMAND GETKEYS LPUSH a",
                "COMMAND GETKEYS TIME x",
                "RPUSH l a \\x00 \\e c",
                "DEBUG RELOAD",
                "LRANGE l 0 -1",
                "OBJECT ENCODING l",
            ],
        ),
    ]
}

#[test]
fn list_commands_match_redis() {
    assert_same(&list_cases(), false);
}

#[test]
fn list_commands_match_redis_in_resp3() {
    assert_same(&list_cases(), true);
}

/// Each write counts as many changes as in Redis (what save rules see).
#[test]
fn list_writes_count_changes_as_redis_does() {
    let redis = Server::start_redis(&[]);
    let ours = Server::start(&[]);
    let script = [
        "RPUSH l a b c d e f g",
        "LPUSHX l x y",
        "LPUSHX nope x",
        "LPOP l",
        "LPOP l 3",
        "LPOP l 0",
        "RPOP l 100",
        "RPUSH l a a b a c",
        "LMPOP 1 l RIGHT COUNT 2",
        "LMOVE l l LEFT RIGHT",
        "LMOVE l m LEFT RIGHT",
        "RPOPLPUSH nope m",
        "RPUSH l a a b a c",
        "LREM l 0 a",
        "LREM l 0 zz",
        "LINSERT l BEFORE b q",
        "LINSERT l BEFORE zz q",
        "LSET l 0 z",
        "LTRIM l 1 -2",
        "LTRIM l 0 100",
        "LTRIM l 5 1",
    ];
    let mut a = Raw::connect(redis.port);
    let mut b = Raw::connect(ours.port);
    for line in script {
        let words: Vec<&str> = line.split(' ').collect();
        let (da, db) = (common::dirty(&mut a), common::dirty(&mut b));
        a.cmd_str(&words);
        b.cmd_str(&words);
        assert_eq!(
            common::dirty(&mut a) - da,
            common::dirty(&mut b) - db,
            "{line}"
        );
    }
}

/// splitmix64, for the random command streams.
struct Gen(u64);

impl Gen {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }
    fn pick<'a>(&mut self, from: &[&'a str]) -> &'a str {
        from[(self.next() % from.len() as u64) as usize]
    }
    fn int(&mut self) -> String {
        ((self.next() % 15) as i64 - 7).to_string()
    }
}

/// A random stream of list commands over a few keys (one of them a string).
fn random_case(seed: u64, n: usize) -> Case {
    let mut g = Gen(seed);
    let keys = ["l1", "l2", "l3", "s"];
    let elems = ["a", "b", "c"];
    let ends = ["LEFT", "RIGHT"];
    let mut commands = vec![(vec![b"SET".to_vec(), b"s".to_vec(), b"v".to_vec()], false)];
    for _ in 0..n {
        let (k, k2, e, e2) = (g.pick(&keys), g.pick(&keys), g.pick(&elems), g.pick(&elems));
        let line = match g.next() % 17 {
            0 => format!("LPUSH {k} {e} {e2}"),
            1 => format!("RPUSH {k} {e}"),
            2 => format!("LPUSHX {k} {e}"),
            3 => format!("RPUSHX {k} {e} {e2}"),
            4 => format!("LPOP {k}"),
            5 => format!("RPOP {k} {}", g.int()),
            6 => format!("LRANGE {k} {} {}", g.int(), g.int()),
            7 => format!("LINDEX {k} {}", g.int()),
            8 => format!("LSET {k} {} {e}", g.int()),
            9 => format!("LREM {k} {} {e}", g.int()),
            10 => format!("LTRIM {k} {} {}", g.int(), g.int()),
            11 => format!("LINSERT {k} {} {e} {e2}", g.pick(&["BEFORE", "AFTER"])),
            12 => format!(
                "LPOS {k} {e} RANK {} COUNT {} MAXLEN {}",
                g.int(),
                g.int(),
                g.int()
            ),
            13 => format!("LMOVE {k} {k2} {} {}", g.pick(&ends), g.pick(&ends)),
            14 => format!("RPOPLPUSH {k} {k2}"),
            15 => format!("LMPOP 2 {k} {k2} {} COUNT {}", g.pick(&ends), g.int()),
            _ => format!("LLEN {k}"),
        };
        let words = line.split(' ').map(|w| w.as_bytes().to_vec()).collect();
        commands.push((words, false));
        // Check the whole list now and then.
        let check = format!("LRANGE {k} 0 -1");
        commands.push((
            check.split(' ').map(|w| w.as_bytes().to_vec()).collect(),
            false,
        ));
    }
    Case {
        name: "random",
        commands,
    }
}

#[test]
fn random_list_command_streams_match_redis() {
    let cases: Vec<Case> = (1..=4).map(|seed| random_case(seed, 1500)).collect();
    assert_same(&cases, false);
    assert_same(&[random_case(99, 1500)], true);
}
