//! Differential tests for ACL: the rule grammar and its errors, ACL GETUSER / LIST / USERS
//! / CAT / DRYRUN / GENPASS / DELUSER / HELP, AUTH and HELLO against users, and the
//! permission checks (commands, subcommands, first arguments, keys with read / write
//! patterns, channels, selectors) at the top level, inside MULTI / EXEC and inside
//! scripts, compared byte for byte with redis-server in RESP2 and RESP3.

mod common;

use common::diff::{assert_same, case, Case};
use common::scenario::{assert_scenarios_match, Step::*};

fn command_cases() -> Vec<Case> {
    vec![
        case(
            "grammar",
            &[
                "ACL WHOAMI",
                "ACL SETUSER alice",
                "ACL GETUSER alice",
                "ACL SETUSER alice on >p1 >p2 <p1 #5e884898da28047151d0e56f8dc6292773603d0d6aabbdd62a11ef721d1542d8",
                "ACL GETUSER alice",
                "ACL SETUSER alice !5e884898da28047151d0e56f8dc6292773603d0d6aabbdd62a11ef721d1542d8",
                "ACL SETUSER alice !5e884898da28047151d0e56f8dc6292773603d0d6aabbdd62a11ef721d1542d8",
                "ACL SETUSER alice <nosuch",
                "ACL SETUSER alice #abc",
                "ACL SETUSER alice #5E884898DA28047151D0E56F8DC6292773603D0D6AABBDD62A11EF721D1542D8",
                "ACL SETUSER alice nopass resetpass nopass",
                "ACL SETUSER alice ~a* %R~r* %W~w* %RW~rw* %WR~x ~a*",
                "ACL GETUSER alice",
                "ACL SETUSER alice %X~a",
                "ACL SETUSER alice %RR~a",
                "ACL SETUSER alice allkeys ~b",
                "ACL SETUSER alice resetkeys ~b &ch:* &ch:*",
                "ACL SETUSER alice allchannels &x",
                "ACL SETUSER alice resetchannels &x",
                "ACL SETUSER alice +@nosuch",
                "ACL SETUSER alice +nosuch",
                "ACL SETUSER alice -nosuch",
                "ACL SETUSER alice +config|nosuch",
                "ACL SETUSER alice +config|get|x",
                "ACL SETUSER alice +select|",
                "ACL SETUSER alice bogus",
                "ACL SETUSER a\\sb",
                "ACL SETUSER alice -@all +@hash",
                "ACL GETUSER alice",
                "ACL SETUSER alice +@all -@dangerous",
                "ACL GETUSER alice",
                "ACL SETUSER alice -@all +select|0 +select|1",
                "ACL GETUSER alice",
                "ACL SETUSER alice skip-sanitize-payload",
                "ACL LIST",
                "ACL SETUSER alice reset",
                "ACL LIST",
                "ACL SETUSER alice (~s* +get) (+set ~t*)",
                "ACL GETUSER alice",
                "ACL SETUSER alice (~s* +get",
                "ACL SETUSER alice (nosuch)",
                "ACL SETUSER alice ( ~a +get )",
                "ACL LIST",
                "ACL SETUSER alice clearselectors",
                "ACL LIST",
                "ACL USERS",
                "ACL DELUSER alice nosuch",
                "ACL DELUSER default alice",
                "ACL USERS",
            ],
        ),
        case(
            "categories and help",
            &[
                "ACL CAT",
                "~ ACL CAT geo",
                "~ ACL CAT SCRIPTING",
                "ACL CAT nosuch",
                "ACL CAT a b",
                "ACL HELP",
                "ACL HELP x",
                "ACL NOSUCH",
                "ACL",
                "ACL GENPASS 0",
                "ACL GENPASS 4097",
                "ACL GENPASS x",
                "ACL LOG x",
                "ACL LOG RESET",
                "ACL LOG",
                "ACL GETUSER nosuch",
                "ACL LOAD",
                "ACL SAVE",
            ],
        ),
        case(
            "dryrun",
            &[
                "ACL SETUSER d on nopass -@all +get +publish %R~r* %W~w* ~rw* &ch",
                "ACL DRYRUN d GET r",
                "ACL DRYRUN d GET w",
                "ACL DRYRUN d SET rw v",
                "ACL DRYRUN d GET",
                "ACL DRYRUN d NOSUCH",
                "ACL DRYRUN nosuch GET r",
                "ACL DRYRUN d PUBLISH ch m",
                "ACL DRYRUN d PUBLISH other m",
                "ACL DRYRUN d MIGRATE h 1 rw 0 500",
                "ACL DRYRUN d CONFIG GET x",
                "ACL SETUSER d (+set ~w*) (+copy %R~r* %W~w*)",
                "ACL DRYRUN d SET w v",
                "ACL DRYRUN d SET x v",
                "ACL DRYRUN d COPY r w",
                "ACL DRYRUN d COPY w r",
                "ACL DELUSER d",
            ],
        ),
        case(
            "auth",
            &[
                "AUTH x",
                "AUTH a b c",
                "AUTH nosuch pw",
                "ACL SETUSER u >pw",
                "AUTH u pw",
                "ACL SETUSER u on",
                "AUTH u wrong",
                "HELLO 2 AUTH u wrong",
                "AUTH default anything",
                "ACL DELUSER u",
            ],
        ),
    ]
}

#[test]
fn acl_commands_match_resp2() {
    assert_same(&command_cases(), false);
}

#[test]
fn acl_commands_match_resp3() {
    assert_same(&command_cases(), true);
}

#[test]
fn permission_checks_match() {
    assert_scenarios_match(&[
        (
            "commands, subcommands, first arguments, keys",
            vec![
                Call(9, "ACL SETUSER p on >pw -@all +acl|whoami +get +client|id +select|0 %R~r* ~k*"),
                Call(1, "AUTH p pw"),
                Call(1, "ACL WHOAMI"),
                Call(1, "GET r1"),
                Call(1, "GET k1"),
                Call(1, "GET x"),
                Call(1, "SET k1 v"),
                Call(1, "CLIENT ID x"),
                Call(1, "CLIENT SETNAME n"),
                Call(1, "SELECT 0"),
                Call(1, "SELECT 1"),
                Call(1, "PING"),
                Call(1, "NOSUCH"),
                Call(1, "GET"),
                Call(9, "ACL SETUSER p +set +mget"),
                Call(1, "SET r1 v"),
                Call(1, "SET k1 v"),
                Call(1, "MGET k1 r1 x"),
                Call(1, "AUTH default x"),
                Call(1, "ACL WHOAMI"),
                Call(9, "ACL DELUSER p"),
            ],
        ),
        (
            "channels",
            vec![
                Call(9, "ACL SETUSER c on nopass +@all allkeys resetchannels &news.* &exact"),
                Call(1, "AUTH c x"),
                Call(1, "PUBLISH news.1 m"),
                Call(1, "PUBLISH other m"),
                Call(1, "SPUBLISH exact m"),
                Call(1, "PSUBSCRIBE news.*"),
                Call(1, "PSUBSCRIBE news.1"),
                Call(1, "SUBSCRIBE exact other"),
                Call(1, "SUBSCRIBE news.2"),
                Call(1, "UNSUBSCRIBE"),
                Call(1, "PUNSUBSCRIBE"),
                Call(9, "ACL DELUSER c"),
            ],
        ),
        (
            "MULTI and EXEC",
            vec![
                Call(9, "ACL SETUSER m on nopass -@all +multi +exec +discard +incr +get ~*"),
                Call(1, "AUTH m x"),
                Call(1, "MULTI"),
                Call(1, "SET a b"),
                Call(1, "EXEC"),
                Call(1, "MULTI"),
                Call(1, "INCR n"),
                Call(1, "GET n"),
                Call(9, "ACL SETUSER m -incr"),
                Call(1, "EXEC"),
                Call(9, "ACL SETUSER m -exec"),
                Call(1, "MULTI"),
                Call(1, "GET n"),
                Call(1, "EXEC"),
                Call(1, "DISCARD"),
                Call(9, "ACL DELUSER m"),
            ],
        ),
        (
            "scripts",
            vec![
                Call(9, "ACL SETUSER s on nopass -@all +eval +get ~k*"),
                Call(1, "AUTH s x"),
                Call(1, "EVAL return\\sredis.call('get','k1') 0"),
                Call(1, "EVAL return\\sredis.call('set','k1','v') 0"),
                Call(1, "EVAL return\\sredis.pcall('get','x') 0"),
                Call(
                    1,
                    "EVAL return\\s{redis.acl_check_cmd('get','k'),redis.acl_check_cmd('get','x'),redis.acl_check_cmd('set','k','v')} 0",
                ),
                Call(1, "EVAL return\\sredis.acl_check_cmd('nosuch') 0"),
                Call(9, "ACL DELUSER s"),
            ],
        ),
        (
            "sort BY and GET need every key",
            vec![
                Call(9, "RPUSH l 2 1"),
                Call(9, "ACL SETUSER so on nopass +sort ~l"),
                Call(1, "AUTH so x"),
                Call(1, "SORT l"),
                Call(1, "SORT l BY w*"),
                Call(1, "SORT l BY nosort"),
                Call(1, "SORT l GET #"),
                Call(9, "ACL SETUSER so %R~*"),
                Call(1, "SORT l BY w* GET #"),
                Call(9, "ACL DELUSER so"),
            ],
        ),
    ]);
}
