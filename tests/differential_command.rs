//! Differential tests for COMMAND and its subcommands, which redust renders from typed
//! metadata generated from Redis 7.0.15: COMMAND INFO and DOCS of every implemented command,
//! GETKEYS / GETKEYSANDFLAGS over every implemented command (the movable-keys ones and the
//! errors included), COMMAND LIST's filters and COMMAND COUNT, in RESP2 and RESP3.
//!
//! redust lists and answers only for the commands it implements, so where Redis's answer
//! covers all its commands (LIST, COUNT) the comparison is against Redis's answer restricted
//! to those; and Redis orders subcommands by hash, so a container whose every subcommand
//! redust implements is compared line by line, unordered.

mod common;

use std::collections::BTreeSet;

use common::diff::{assert_same, case, word, Case};
use common::{Raw, Server};
use redust::commands::{spec, table};

/// Every dispatchable command and subcommand Redis 7.0 has (redust adds two of 7.2's).
fn implemented() -> Vec<&'static table::Command> {
    all_dispatchable()
        .into_iter()
        .filter(|c| spec::find(c.name).is_some())
        .collect()
}

fn all_dispatchable() -> Vec<&'static table::Command> {
    table::table()
        .commands
        .iter()
        .flat_map(|c| std::iter::once(c).chain(&c.subcommands))
        .collect()
}

fn line(words: &[&str]) -> (Vec<Vec<u8>>, bool) {
    (words.iter().map(|w| word(w)).collect(), false)
}

/// COMMAND INFO and COMMAND DOCS of each implemented command, one at a time.
fn info_docs_cases() -> Vec<Case> {
    let mut commands = Vec::new();
    for cmd in implemented() {
        if cmd.subcommands.is_empty() {
            commands.push(line(&["COMMAND", "INFO", cmd.name]));
            commands.push(line(&["COMMAND", "DOCS", cmd.name]));
        } else if spec::find(cmd.name).unwrap().subcommands.len() == cmd.subcommands.len() {
            // Every subcommand is there: the same lines, in another order.
            for sub in ["INFO", "DOCS"] {
                let (words, _) = line(&["COMMAND", sub, cmd.name]);
                commands.push((words, true));
            }
        }
    }
    let mut cases = vec![Case {
        name: "info-docs-each",
        commands,
    }];
    cases.push(case(
        "info-docs-lookup",
        &[
            "COMMAND INFO get set nosuch config|get GET Config|Get",
            "COMMAND INFO get|key",
            "COMMAND INFO config|get|key",
            "COMMAND INFO config|",
            "COMMAND INFO |get",
            "COMMAND INFO \\e",
            "COMMAND INFO client|list client|setname memory|usage object|encoding",
            "COMMAND DOCS get nosuch set config|set get|key",
            "COMMAND DOCS nosuch",
            "COMMAND DOCS \\e",
            "COMMAND DOCS client|kill client|list client|pause",
            "COMMAND INFO sort sort_ro zunionstore zinter lmpop blmpop bzmpop sintercard",
            "COMMAND INFO set bitfield getex lcs",
        ],
    ));
    cases
}

/// GETKEYS and GETKEYSANDFLAGS on every implemented command with keys, with argument counts
/// around its arity: letters (keys), then a count first (the numkeys commands).
fn getkeys_sweep_cases() -> Vec<Case> {
    let mut commands = Vec::new();
    for cmd in implemented() {
        if !cmd.subcommands.is_empty() {
            continue;
        }
        let name: Vec<&str> = cmd.name.split('|').collect();
        let fixed = cmd.arity.unsigned_abs() as usize;
        let extra = fixed.saturating_sub(name.len());
        for n in extra.saturating_sub(1)..=extra + 3 {
            for first in ["k", "2"] {
                for sub in ["GETKEYS", "GETKEYSANDFLAGS"] {
                    let mut words = vec!["COMMAND".to_string(), sub.to_string()];
                    words.extend(name.iter().map(|s| s.to_string()));
                    words.extend((0..n).map(|i| match i {
                        0 => first.to_string(),
                        _ => format!("k{i}"),
                    }));
                    commands.push((words.into_iter().map(String::into_bytes).collect(), false));
                }
            }
        }
    }
    vec![Case {
        name: "getkeys-sweep",
        commands,
    }]
}

fn getkeys_cases() -> Vec<Case> {
    vec![
        case(
            "getkeys-errors",
            &[
                "COMMAND GETKEYS nosuch a",
                "COMMAND GETKEYS eval\\x00 a",
                "COMMAND GETKEYS client nosuch",
                "COMMAND GETKEYS client list",
                "COMMAND GETKEYS config",
                "COMMAND GETKEYS config get maxmemory",
                "COMMAND GETKEYS ping x",
                "COMMAND GETKEYS get",
                "COMMAND GETKEYS get a b",
                "COMMAND GETKEYS mset a",
                "COMMAND GETKEYS lmpop 0 a LEFT",
                "COMMAND GETKEYSANDFLAGS lmpop 0 a LEFT",
                "COMMAND GETKEYS zunion 0 a",
                "COMMAND GETKEYS zunion -1 a",
                "COMMAND GETKEYS zunion x a",
                "COMMAND GETKEYS zunionstore d 5 a b",
                "COMMAND GETKEYS",
                "COMMAND GETKEYSANDFLAGS",
                "COMMAND GETKEYS memory usage",
                "COMMAND GETKEYS memory",
                "COMMAND GETKEYS object encoding",
            ],
        ),
        case(
            "getkeys-plain",
            &[
                "COMMAND GETKEYS get key",
                "COMMAND GETKEYSANDFLAGS set k1 v1",
                "COMMAND GETKEYSANDFLAGS set k1 v1 GET",
                "COMMAND GETKEYSANDFLAGS set k1 v1 EX 10 get",
                "COMMAND GETKEYSANDFLAGS set k1 v1 getx",
                "COMMAND GETKEYSANDFLAGS set k1 v1 get\\x00x",
                "COMMAND GETKEYSANDFLAGS mset k1 v1 k2 v2",
                "COMMAND GETKEYSANDFLAGS mset k1 v1 k2",
                "COMMAND GETKEYSANDFLAGS msetnx k1 v1 k2 v2",
                "COMMAND GETKEYSANDFLAGS LMOVE k1 k2 left right",
                "COMMAND GETKEYSANDFLAGS BLMOVE k1 k2 left right 0",
                "COMMAND GETKEYSANDFLAGS rpoplpush a b",
                "COMMAND GETKEYSANDFLAGS brpoplpush a b 0",
                "COMMAND GETKEYSANDFLAGS blpop a b c 0",
                "COMMAND GETKEYSANDFLAGS bzpopmin a b 0",
                "COMMAND GETKEYSANDFLAGS memory usage key",
                "COMMAND GETKEYSANDFLAGS object encoding key",
                "COMMAND GETKEYSANDFLAGS lcs key1 key2",
                "COMMAND GETKEYSANDFLAGS del a b c",
                "COMMAND GETKEYSANDFLAGS unlink a b",
                "COMMAND GETKEYSANDFLAGS exists a b",
                "COMMAND GETKEYSANDFLAGS touch a b",
                "COMMAND GETKEYSANDFLAGS watch a b",
                "COMMAND GETKEYSANDFLAGS rename a b",
                "COMMAND GETKEYSANDFLAGS renamenx a b",
                "COMMAND GETKEYSANDFLAGS copy a b DB 1 REPLACE",
                "COMMAND GETKEYSANDFLAGS move a 1",
                "COMMAND GETKEYSANDFLAGS smove a b m",
                "COMMAND GETKEYSANDFLAGS sinterstore d a b",
                "COMMAND GETKEYSANDFLAGS sdiffstore d a b",
                "COMMAND GETKEYSANDFLAGS sunion a b",
                "COMMAND GETKEYSANDFLAGS zrangestore d s 0 -1",
                "COMMAND GETKEYSANDFLAGS getex k PERSIST",
                "COMMAND GETKEYSANDFLAGS getdel k",
                "COMMAND GETKEYSANDFLAGS bitop and d a b",
                "COMMAND GETKEYSANDFLAGS bitop not d a",
                "COMMAND GETKEYSANDFLAGS hset h f v",
                "COMMAND GETKEYSANDFLAGS expire k 10",
            ],
        ),
        case(
            "getkeys-variable-flags",
            &[
                "COMMAND GETKEYSANDFLAGS bitfield k GET u8 0",
                "COMMAND GETKEYSANDFLAGS bitfield k GET u8 0 OVERFLOW SAT GET i4 1",
                "COMMAND GETKEYSANDFLAGS bitfield k SET u8 0 1",
                "COMMAND GETKEYSANDFLAGS bitfield k INCRBY u8 0 1",
                "COMMAND GETKEYSANDFLAGS bitfield k GET u8",
                "COMMAND GETKEYSANDFLAGS bitfield k FOO",
                "COMMAND GETKEYSANDFLAGS bitfield k",
                "COMMAND GETKEYSANDFLAGS bitfield_ro k GET u8 0",
            ],
        ),
        case(
            "getkeys-movable",
            &[
                "COMMAND GETKEYSANDFLAGS sort k1 store k2",
                "COMMAND GETKEYSANDFLAGS sort k",
                "COMMAND GETKEYSANDFLAGS sort k STORE d STORE e",
                "COMMAND GETKEYSANDFLAGS sort k STORE",
                "COMMAND GETKEYSANDFLAGS sort k LIMIT STORE d 1 STORE e",
                "COMMAND GETKEYSANDFLAGS sort k BY STORE GET STORE store x",
                "COMMAND GETKEYSANDFLAGS sort k store\\x00x d",
                "COMMAND GETKEYSANDFLAGS sort_ro k STORE d",
                "COMMAND GETKEYSANDFLAGS zunionstore d 2 a b WEIGHTS 1 2",
                "COMMAND GETKEYSANDFLAGS zinterstore d 1 a",
                "COMMAND GETKEYSANDFLAGS zdiffstore d 2 a b",
                "COMMAND GETKEYSANDFLAGS zdiffstore d 3 a b",
                "COMMAND GETKEYSANDFLAGS zdiffstore d 2x a b",
                "COMMAND GETKEYSANDFLAGS zunion 2 a b WITHSCORES",
                "COMMAND GETKEYSANDFLAGS zunion 2x a b",
                "COMMAND GETKEYSANDFLAGS zunion \\s2 a b",
                "COMMAND GETKEYSANDFLAGS zunion 02 a b",
                "COMMAND GETKEYSANDFLAGS zunion 4294967297 a",
                "COMMAND GETKEYSANDFLAGS zunion 4294967298 a b",
                "COMMAND GETKEYSANDFLAGS zunion 99999999999999999999 a",
                "COMMAND GETKEYSANDFLAGS zinter 1 a",
                "COMMAND GETKEYSANDFLAGS zdiff 2 a b",
                "COMMAND GETKEYSANDFLAGS zintercard 2 a b LIMIT 1",
                "COMMAND GETKEYSANDFLAGS sintercard 2 a b",
                "COMMAND GETKEYSANDFLAGS sintercard 3 a b",
                "COMMAND GETKEYSANDFLAGS lmpop 2 a b LEFT COUNT 2",
                "COMMAND GETKEYSANDFLAGS lmpop 3 a b LEFT",
                "COMMAND GETKEYSANDFLAGS lmpop 4 a b LEFT",
                "COMMAND GETKEYSANDFLAGS blmpop 0 2 a b LEFT",
                "COMMAND GETKEYSANDFLAGS blmpop 0 0 a LEFT",
                "COMMAND GETKEYSANDFLAGS zmpop 1 a MIN",
                "COMMAND GETKEYSANDFLAGS bzmpop 1.5 2 a b MAX COUNT 3",
            ],
        ),
        {
            let mut keys = vec![
                "COMMAND".to_string(),
                "GETKEYS".into(),
                "ZUNIONSTORE".into(),
            ];
            keys.push("target".into());
            keys.push("260".into());
            keys.extend((1..=260).map(|i| format!("key{i}")));
            Case {
                name: "getkeys-many",
                commands: vec![(keys.into_iter().map(String::into_bytes).collect(), false)],
            }
        },
    ]
}

fn list_cases() -> Vec<Case> {
    vec![case(
        "list-exact",
        &[
            "COMMAND LIST bad_arg",
            "COMMAND LIST filterby bad_arg",
            "COMMAND LIST filterby bad_arg bad_arg2",
            "COMMAND LIST FILTERBY PATTERN x y",
            "COMMAND LIST FILTERBY PATTERN x FILTERBY ACLCAT read",
            "COMMAND LIST FILTERBY aclcat non_existing_category",
            "COMMAND LIST FILTERBY ACLCAT \\e",
            "COMMAND LIST FILTERBY MODULE non_existing_module",
            "COMMAND LIST FILTERBY PATTERN set",
            "COMMAND LIST FILTERBY PATTERN get",
            "COMMAND LIST FILTERBY PATTERN GET",
            "COMMAND LIST FILTERBY PATTERN config|get",
            "COMMAND LIST FILTERBY PATTERN non_exists",
            "COMMAND LIST FILTERBY PATTERN non_exists*",
            "COMMAND LIST FILTERBY PATTERN [",
            "COMMAND LIST FILTERBY PATTERN zunionstore",
        ],
    )]
}

#[test]
fn command_info_and_docs_match_redis() {
    let cases = info_docs_cases();
    assert_same(&cases, false);
    assert_same(&cases, true);
}

#[test]
fn command_getkeys_matches_redis() {
    let mut cases = getkeys_cases();
    cases.extend(list_cases());
    assert_same(&cases, false);
    assert_same(&cases, true);
}

#[test]
fn command_getkeys_sweep_matches_redis() {
    let cases = getkeys_sweep_cases();
    assert_same(&cases, false);
    assert_same(&cases, true);
}

/// The bulk strings of an array reply.
fn strings(reply: &[u8]) -> Vec<String> {
    let text = String::from_utf8_lossy(reply);
    let mut lines = text.split("\r\n");
    let head = lines.next().unwrap();
    assert!(head.starts_with('*'), "not an array: {text}");
    let mut out = Vec::new();
    while let Some(l) = lines.next() {
        if l.starts_with('$') {
            out.push(lines.next().unwrap().to_string());
        }
    }
    out
}

fn list(conn: &mut Raw, filter: &[&str]) -> Vec<String> {
    let mut words = vec!["COMMAND", "LIST"];
    if !filter.is_empty() {
        words.push("FILTERBY");
        words.extend(filter);
    }
    let args: Vec<&[u8]> = words.iter().map(|w| w.as_bytes()).collect();
    strings(&conn.cmd(&args))
}

/// COMMAND LIST with each filter answers Redis's list restricted to what redust implements,
/// each name once, commands before their subcommands.
#[test]
fn command_list_filters_match_redis() {
    let redis = Server::start_redis(&[]);
    let ours = Server::start(&[]);
    let (mut a, mut b) = (redis.raw(), ours.raw());
    let all_ours = list(&mut b, &[]);
    let all_redis: BTreeSet<String> = list(&mut a, &[]).into_iter().collect();
    let listed: BTreeSet<String> = all_ours.iter().cloned().collect();
    assert_eq!(listed.len(), all_ours.len(), "duplicates in {all_ours:?}");
    let expected: BTreeSet<String> = all_dispatchable().iter().map(|c| c.name.into()).collect();
    assert_eq!(listed, expected);
    // What Redis 7.0 has of it: all but the two 7.2 subcommands.
    let listed: BTreeSet<String> = implemented().iter().map(|c| c.name.into()).collect();
    assert!(listed.is_subset(&all_redis));
    assert_eq!(listed.len() + 2, all_ours.len());
    for (i, name) in all_ours.iter().enumerate() {
        if let Some((top, _)) = name.split_once('|') {
            assert!(
                all_ours[..i].iter().any(|n| n == top),
                "{name} before {top}"
            );
        }
    }

    let mut filters: Vec<Vec<String>> = Vec::new();
    for (_, cat) in spec::AclCategories::ALL {
        filters.push(vec!["ACLCAT".into(), cat.to_string()]);
        filters.push(vec!["aclcat".into(), cat.to_uppercase()]);
    }
    for p in [
        "*",
        "config*",
        "config|*re*",
        "cl*help",
        "*|*",
        "z*store",
        "?et",
        "*[lr]pop",
        "CLIENT|*",
        "s[^e]*",
        "*o*",
        "x*",
        "*\\|*",
    ] {
        filters.push(vec!["PATTERN".into(), p.into()]);
    }
    filters.push(vec!["MODULE".into(), "x".into()]);
    for f in &filters {
        let words: Vec<&str> = f.iter().map(String::as_str).collect();
        let theirs: BTreeSet<String> = list(&mut a, &words)
            .into_iter()
            .filter(|n| listed.contains(n))
            .collect();
        let mine = list(&mut b, &words);
        let mine_set: BTreeSet<String> = mine.iter().cloned().collect();
        assert_eq!(mine_set.len(), mine.len(), "duplicates for {f:?}");
        let mine_set: BTreeSet<String> = mine_set.intersection(&listed).cloned().collect();
        assert_eq!(mine_set, theirs, "COMMAND LIST FILTERBY {f:?}");
    }
    // The suite's checks: a category, and patterns that reach subcommands.
    let scripting = list(&mut b, &["ACLCAT", "scripting"]);
    assert!(!scripting.contains(&"set".to_string()));
    let config = list(&mut b, &["PATTERN", "config|*re*"]);
    assert_eq!(config, ["config|resetstat", "config|rewrite"]);
    let help = list(&mut b, &["PATTERN", "cl*help"]);
    assert_eq!(help, ["client|help", "cluster|help"]);
}

/// COMMAND COUNT counts the top-level commands COMMAND and COMMAND LIST report, on both
/// servers.
#[test]
fn command_count_counts_what_command_lists() {
    let redis = Server::start_redis(&[]);
    let ours = Server::start(&[]);
    for server in [&redis, &ours] {
        let mut conn = server.raw();
        let count: usize = conn
            .cmd_str(&["COMMAND", "COUNT"])
            .trim_start_matches(':')
            .trim()
            .parse()
            .unwrap();
        let tops = list(&mut conn, &[])
            .iter()
            .filter(|n| !n.contains('|'))
            .count();
        assert_eq!(count, tops);
        let all = conn.cmd(&[b"COMMAND"]);
        assert!(all.starts_with(format!("*{count}\r\n").as_bytes()));
        let info = conn.cmd(&[b"COMMAND", b"INFO"]);
        assert_eq!(info, all);
    }
    let mut conn = ours.raw();
    let count = conn.cmd_str(&["COMMAND", "COUNT"]);
    assert_eq!(count, format!(":{}\r\n", table::table().commands.len()));
}

/// Lines of a reply, sorted: for containers, whose subcommands Redis sends in hash order.
fn sorted_lines(reply: &[u8]) -> Vec<String> {
    let mut lines: Vec<String> = String::from_utf8_lossy(reply)
        .split("\r\n")
        .map(String::from)
        .collect();
    lines.sort();
    lines
}

/// The metadata of every Redis 7.0.15 command, implemented or not, renders exactly as
/// Redis's own COMMAND INFO and COMMAND DOCS: what a new handler will answer with.
#[test]
fn all_generated_metadata_renders_as_redis() {
    use redust::commands::introspection::{write_docs, write_info};
    use redust::protocol::reply::{Reply, Resp};

    let redis = Server::start_redis(&[]);
    let mut failures = Vec::new();
    for resp in [Resp::Two, Resp::Three] {
        let mut conn = redis.raw();
        if resp == Resp::Three {
            conn.cmd(&[b"HELLO", b"3"]);
        }
        let metas = spec::all_commands();
        assert_eq!(metas.len(), 366);
        for meta in metas {
            let subs: Vec<&spec::CommandMeta> = meta.subcommands.iter().collect();
            let mut info = Reply {
                resp,
                ..Reply::default()
            };
            info.array(1);
            write_info(&mut info, meta, &subs);
            let mut docs = Reply {
                resp,
                ..Reply::default()
            };
            docs.map(1);
            docs.bulk_str(meta.name);
            write_docs(&mut docs, meta, &subs);
            for (sub, ours) in [("INFO", info.buf), ("DOCS", docs.buf)] {
                let theirs = conn.cmd(&[b"COMMAND", sub.as_bytes(), meta.name.as_bytes()]);
                let same = if subs.is_empty() {
                    theirs == ours
                } else {
                    sorted_lines(&theirs) == sorted_lines(&ours)
                };
                if !same {
                    failures.push(format!(
                        "{resp:?} COMMAND {sub} {}\n  redis:  {:?}\n  redust: {:?}",
                        meta.name,
                        String::from_utf8_lossy(&theirs),
                        String::from_utf8_lossy(&ours)
                    ));
                }
            }
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

/// GETKEYS and GETKEYSANDFLAGS answered from the metadata of any Redis command, implemented
/// or not (EVAL, FCALL, XREAD, MIGRATE, GEORADIUS ... and their getkeys procedures), match
/// Redis: a sweep over every command plus the movable-keys forms.
#[test]
fn getkeys_from_all_generated_metadata_matches_redis() {
    use redust::commands::introspection::write_getkeys;
    use redust::protocol::reply::{Reply, Resp};

    let mut calls: Vec<Vec<Vec<u8>>> = Vec::new();
    for meta in spec::all_commands() {
        let name: Vec<&str> = meta.name.split('|').collect();
        let fixed = meta.arity.unsigned_abs() as usize;
        let extra = fixed.saturating_sub(name.len());
        for n in extra.saturating_sub(1)..=extra + 3 {
            for first in ["k", "2", "STREAMS"] {
                let mut words: Vec<Vec<u8>> = name.iter().map(|s| s.as_bytes().to_vec()).collect();
                words.extend((0..n).map(|i| match i {
                    0 => first.as_bytes().to_vec(),
                    _ => format!("k{i}").into_bytes(),
                }));
                calls.push(words);
            }
        }
    }
    for l in [
        "EVAL s 1 key",
        "EVAL s 0",
        "EVAL s 2 a b c d",
        "EVAL s 3 a b",
        "EVAL s -1 a",
        "EVAL s 1x a",
        "EVALSHA sha 2 a b",
        "EVAL_RO s 1 a",
        "EVALSHA_RO sha 1 a",
        "FCALL f 2 a b x",
        "FCALL f 0",
        "FCALL_RO f 1 a",
        "XREAD STREAMS a 0",
        "XREAD COUNT 2 BLOCK 0 STREAMS a b 0 0",
        "XREAD STREAMS a b c",
        "XREAD STREAMS streams 0",
        "XREAD COUNT STREAMS STREAMS a 0",
        "XREADGROUP GROUP g c STREAMS s >",
        "XREADGROUP GROUP streams streams COUNT 1 NOACK STREAMS s t > >",
        "XREADGROUP GROUP g c STREAMS",
        "MIGRATE h 1 k 0 5",
        "MIGRATE h 1 \\e 0 5 KEYS a b",
        "MIGRATE h 1 \\e 0 5 COPY REPLACE AUTH keys KEYS a",
        "MIGRATE h 1 \\e 0 5 AUTH2 u keys KEYS a b c",
        "MIGRATE h 1 k 0 5 KEYS a",
        "MIGRATE h 1 \\e 0 5 KEYS",
        "MIGRATE h 1 \\e 0 5 AUTH KEYS",
        "GEORADIUS k 0 0 1 km",
        "GEORADIUS k 0 0 1 km STORE d",
        "GEORADIUS k 0 0 1 km STOREDIST d",
        "GEORADIUS k 0 0 1 km STORE d STOREDIST e",
        "GEORADIUS k 0 0 1 km ASC STORE",
        "GEORADIUSBYMEMBER k m 1 km STORE d",
        "GEORADIUS_RO k 0 0 1 km STORE d",
        "GEOSEARCHSTORE d s FROMMEMBER m BYRADIUS 1 km",
        "XGROUP CREATE key groupname $",
        "XINFO STREAM key",
        "OBJECT ENCODING key",
        "PFCOUNT a b",
        "PFMERGE d a b",
        "SPUBLISH ch m",
        "PUBLISH ch m",
        "SUBSCRIBE a",
        "SSUBSCRIBE a",
        "SUNSUBSCRIBE a",
        "BITFIELD k GET u8 0",
        "BITFIELD k GET u8 0 INCRBY u8 0 1",
        "SET k v get",
        "SORT k BY w GET # STORE d",
        "SORT_RO k BY w",
        "LMPOP 0 a LEFT",
        "ZMPOP 2 a b MIN",
        "BZMPOP 0 2 a b MIN",
        "BLMPOP 0 1 a LEFT",
        "ZINTERCARD 1 a",
        "SINTERCARD 2 a b LIMIT 0",
        "WAITAOF 0 0 0",
        "RESTORE-ASKING k 0 x",
        "CLUSTER COUNTKEYSINSLOT 1",
        "CLUSTER KEYSLOT k",
    ] {
        calls.push(l.split(' ').map(word).collect());
    }

    let redis = Server::start_redis(&[]);
    let mut failures = Vec::new();
    for resp in [Resp::Two, Resp::Three] {
        let mut conn = redis.raw();
        if resp == Resp::Three {
            conn.cmd(&[b"HELLO", b"3"]);
        }
        for call in &calls {
            let call: Vec<&[u8]> = call.iter().map(Vec::as_slice).collect();
            for (sub, with_flags) in [("GETKEYS", false), ("GETKEYSANDFLAGS", true)] {
                // Too short for COMMAND GETKEYS itself: dispatch refuses it first.
                let own = spec::find(&format!("command|{}", sub.to_lowercase())).unwrap();
                if ((call.len() + 2) as i32) < -own.arity {
                    continue;
                }
                let mut args: Vec<&[u8]> = vec![b"COMMAND", sub.as_bytes()];
                args.extend(&call);
                let theirs = conn.cmd(&args);
                let mut ours = Reply {
                    resp,
                    ..Reply::default()
                };
                write_getkeys(&mut ours, spec::find_call(&call), &call, with_flags);
                if theirs != ours.buf {
                    failures.push(format!(
                        "{resp:?} COMMAND {sub} {:?}\n  redis:  {:?}\n  redust: {:?}",
                        call.iter()
                            .map(|a| String::from_utf8_lossy(a))
                            .collect::<Vec<_>>(),
                        String::from_utf8_lossy(&theirs),
                        String::from_utf8_lossy(&ours.buf)
                    ));
                }
            }
        }
    }
    assert!(
        failures.is_empty(),
        "{} mismatches:\n{}",
        failures.len(),
        failures.join("\n")
    );
}
