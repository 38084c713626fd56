//! DUMP / RESTORE / FUNCTION DUMP / RESTORE against redis-server: payloads made by one
//! server restored on the other for every type and encoding, the errors byte for byte, and
//! RDB files moving both ways (redust starting on redis-server's dump.rdb).

mod common;

use common::diff::{assert_same, case};
use common::{Raw, Server};

/// A script that builds every type in each encoding Redis 7.0 has for it.
const POPULATE: &str = r#"
redis.call('set','str','hello world')
redis.call('set','int','-77')
redis.call('set','bigint','123456789012')
redis.call('set','long',string.rep('abc',100))
redis.call('set','bin','\0\1\2\255')
redis.call('set','exp','v','PX','100000000')
redis.call('pfadd','hll','a','b','c')
redis.call('rpush','smalllist','a','1','-300','70000','5000000000')
redis.call('hset','smallhash','a','1','b','x')
redis.call('sadd','intset','5','-100000','70000')
redis.call('sadd','smallset','a','b')
redis.call('zadd','smallz',1.5,'x',-3,'y','inf','z','-inf','w',0,'zero')
for i=1,1000 do
  redis.call('rpush','biglist','item'..i, i)
  redis.call('hset','bighash','f'..i,i)
  redis.call('sadd','bigset','m'..i)
  redis.call('sadd','bigintset',i)
  redis.call('zadd','bigz',i/3,'m'..i)
  redis.call('xadd','stream','*','f',i,'g','x')
end
redis.call('hset','longhash','f',string.rep('v',100))
redis.call('zadd','longz',1,string.rep('m',100))
redis.call('xgroup','create','stream','g1','0')
redis.call('xgroup','create','stream','g2','$')
redis.call('xreadgroup','group','g1','alice','count','3','streams','stream','>')
redis.call('xgroup','createconsumer','stream','g1','bob')
redis.call('xdel','stream', redis.call('xrange','stream','-','+','count','1')[1][1])
redis.call('xadd','stream','*','other','field')
redis.call('xadd','emptystream','1-1','a','b')
redis.call('xdel','emptystream','1-1')
return 1
"#;

fn populate(s: &Server) {
    let mut c = s.raw();
    let r = c.cmd(&[b"EVAL", POPULATE.as_bytes(), b"0"]);
    assert_eq!(r, b":1\r\n", "{}", String::from_utf8_lossy(&r));
}

fn keys(c: &mut Raw) -> Vec<Vec<u8>> {
    let mut ks = array(&c.cmd(&[b"KEYS", b"*"]));
    ks.sort();
    ks
}

/// The bulk strings of a flat array reply.
fn array(reply: &[u8]) -> Vec<Vec<u8>> {
    let mut out = Vec::new();
    let mut p = reply.iter().position(|&b| b == b'\n').map_or(0, |i| i + 1);
    while p < reply.len() {
        let end = p + reply[p..].iter().position(|&b| b == b'\n').unwrap();
        let n: usize = std::str::from_utf8(&reply[p + 1..end - 1])
            .unwrap()
            .parse()
            .unwrap();
        out.push(reply[end + 1..end + 1 + n].to_vec());
        p = end + 1 + n + 2;
    }
    out
}

/// Everything observable about the keyspace, in a form both servers give alike.
fn describe(s: &Server) -> Vec<String> {
    let mut c = s.raw();
    let mut out = Vec::new();
    for k in keys(&mut c) {
        let t = String::from_utf8_lossy(&c.cmd(&[b"TYPE", &k])).into_owned();
        // A loaded or restored string is encoded afresh (PFADD leaves raw what a load makes
        // embstr): only collections keep an encoding worth comparing.
        let enc = if t == "+string\r\n" {
            String::new()
        } else {
            String::from_utf8_lossy(&c.cmd(&[b"OBJECT", b"ENCODING", &k])).into_owned()
        };
        let ttl = c.cmd(&[b"PTTL", &k]);
        let has_ttl = !ttl.starts_with(b":-");
        let mut lines = |cmd: &[&[u8]], sort: bool| {
            let r = String::from_utf8_lossy(&c.cmd(cmd)).into_owned();
            let mut v: Vec<&str> = r.split("\r\n").collect();
            if sort {
                v.sort();
            }
            v.join("|")
        };
        let value = match t.as_str() {
            "+string\r\n" => lines(&[b"GET", &k], false),
            "+list\r\n" => lines(&[b"LRANGE", &k, b"0", b"-1"], false),
            "+hash\r\n" => lines(&[b"HGETALL", &k], true),
            "+set\r\n" => lines(&[b"SMEMBERS", &k], true),
            "+zset\r\n" => lines(&[b"ZRANGE", &k, b"0", b"-1", b"WITHSCORES"], false),
            _ => {
                lines(&[b"XRANGE", &k, b"-", b"+"], false)
                    + &lines(&[b"XINFO", b"STREAM", &k, b"FULL"], false)
            }
        };
        out.push(format!(
            "{} {t:?} {enc:?} ttl={has_ttl} {}",
            String::from_utf8_lossy(&k),
            &value
        ));
    }
    out
}

/// DUMPs every key of `from` and RESTOREs it (with its TTL) on `to`.
/// Compares two descriptions key by key, naming only what differs.
fn assert_same_data(a: &[String], b: &[String]) {
    let short = |s: &str| s.chars().take(300).collect::<String>();
    let diffs: Vec<String> = a
        .iter()
        .zip(b)
        .filter(|(x, y)| x != y)
        .map(|(x, y)| format!("  {}\n  {}", short(x), short(y)))
        .collect();
    assert!(
        diffs.is_empty() && a.len() == b.len(),
        "{} vs {} keys; differences:\n{}",
        a.len(),
        b.len(),
        diffs.join("\n")
    );
}

fn transfer(from: &Server, to: &Server) {
    let (mut a, mut b) = (from.raw(), to.raw());
    for k in keys(&mut a) {
        let dump = a.cmd(&[b"DUMP", &k]);
        let body = bulk(&dump);
        let ttl = String::from_utf8_lossy(&a.cmd(&[b"PTTL", &k])).trim()[1..].to_string();
        let ttl = if ttl.starts_with('-') {
            "0".to_string()
        } else {
            ttl
        };
        let r = b.cmd(&[b"RESTORE", &k, ttl.as_bytes(), &body, b"REPLACE"]);
        assert_eq!(
            r,
            b"+OK\r\n",
            "{}: {}",
            String::from_utf8_lossy(&k),
            String::from_utf8_lossy(&r)
        );
    }
}

fn bulk(reply: &[u8]) -> Vec<u8> {
    let end = reply.iter().position(|&b| b == b'\n').unwrap();
    let n: usize = std::str::from_utf8(&reply[1..end - 1])
        .unwrap()
        .parse()
        .unwrap();
    reply[end + 1..end + 1 + n].to_vec()
}

#[test]
fn redis_payloads_restore_on_redust_and_back() {
    let redis = Server::start_redis(&[]);
    let ours = Server::start(&[]);
    populate(&redis);
    transfer(&redis, &ours);
    assert_same_data(&describe(&redis), &describe(&ours));
    // And the reverse, into a fresh redis-server.
    let again = Server::start_redis(&[]);
    transfer(&ours, &again);
    assert_same_data(&describe(&again), &describe(&ours));
}

#[test]
fn dump_payloads_are_redis_s_bytes() {
    let redis = Server::start_redis(&[]);
    let ours = Server::start(&[]);
    populate(&redis);
    populate(&ours);
    let (mut a, mut b) = (redis.raw(), ours.raw());
    // Hash tables come out in each server's hash order; all else is identical.
    for k in keys(&mut a) {
        if a.cmd(&[b"OBJECT", b"ENCODING", &k]) == b"$9\r\nhashtable\r\n" {
            continue;
        }
        let (ra, rb) = (a.cmd(&[b"DUMP", &k]), b.cmd(&[b"DUMP", &k]));
        if k.starts_with(b"stream") || k == b"emptystream" || k == b"hll" {
            // IDs and HLL registers depend on the clock and hashing: compared by restore.
            continue;
        }
        assert_eq!(ra, rb, "DUMP {}", String::from_utf8_lossy(&k));
    }
}

#[test]
fn restore_errors_match() {
    // A valid payload of "bar" (redis-server 7.0.15's DUMP) and damaged copies.
    assert_same(
        &[
            case(
                "restore",
                &[
                    "SET foo bar",
                    "RESTORE foo 0 \\x00\\x03bar\\n\\x00\\xfb\\x11\\x0f\\x11\\xd1\\xec\\xa7\\x8a",
                    "RESTORE foo 0 ...",
                    "RESTORE foo 0 ... invalid-option",
                    "RESTORE foo 0 ... IDLETIME",
                    "RESTORE foo 0 ... IDLETIME -1",
                    "RESTORE foo 0 ... IDLETIME x",
                    "RESTORE foo 0 ... FREQ 256",
                    "RESTORE foo 0 ... FREQ 1 IDLETIME 1",
                    "RESTORE new -1 ...",
                    "RESTORE new abc ...",
                    "RESTORE new 0 ...",
                    "RESTORE new 0 \\x00\\x03bar\\n\\x00\\xfb\\x11\\x0f\\x11\\xd1\\xec\\xa7\\x8b",
                    "RESTORE new 0 \\x00\\x03bar\\x0b\\x00\\xfb\\x11\\x0f\\x11\\xd1\\xec\\xa7\\x8a",
                    "RESTORE new 0 \\x00\\x04bar\\n\\x00\\x00\\x00\\x00\\x00\\x00\\x00\\x00\\x00",
                    "CONFIG SET rdbchecksum no",
                    "DUMP nokey",
                    "DUMP foo",
                    "RESTORE foo 0 \\x00\\x03bar\\n\\x00\\xfb\\x11\\x0f\\x11\\xd1\\xec\\xa7\\x8a REPLACE",
                    "GET foo",
                    "RESTORE foo 1 \\x00\\x03bar\\n\\x00\\xfb\\x11\\x0f\\x11\\xd1\\xec\\xa7\\x8a REPLACE ABSTTL",
                    "EXISTS foo",
                    "RESTORE-ASKING foo 0 \\x00\\x03bar\\n\\x00\\xfb\\x11\\x0f\\x11\\xd1\\xec\\xa7\\x8a",
                    "GET foo",
                    "FUNCTION DUMP",
                    "FUNCTION RESTORE bad_payload",
                    "FUNCTION RESTORE a b c",
                    "FUNCTION RESTORE \\xf5\\n\\x00 WRONG",
                    "FUNCTION RESTORE \\x00\\x03bar\\n\\x00\\xfb\\x11\\x0f\\x11\\xd1\\xec\\xa7\\x8a",
                ],
            ),
        ],
        false,
    );
}

#[test]
fn function_dump_restores_on_the_other_server() {
    let redis = Server::start_redis(&[]);
    let ours = Server::start(&[]);
    let code =
        b"#!lua name=mylib\nredis.register_function('myfunc', function(keys, args) return 'x' end)";
    let mut a = redis.raw();
    assert_eq!(a.cmd(&[b"FUNCTION", b"LOAD", code]), b"$5\r\nmylib\r\n");
    let payload = bulk(&a.cmd(&[b"FUNCTION", b"DUMP"]));
    let mut b = ours.raw();
    // No library: both dump the bare trailer.
    assert_eq!(
        b.cmd(&[b"FUNCTION", b"DUMP"]),
        Server::start_redis(&[]).raw().cmd(&[b"FUNCTION", b"DUMP"])
    );
    assert_eq!(b.cmd(&[b"FUNCTION", b"RESTORE", &payload]), b"+OK\r\n");
    assert_eq!(b.cmd(&[b"FCALL", b"myfunc", b"0"]), b"$1\r\nx\r\n");
    // Byte-identical dumps: one library, the same code.
    assert_eq!(bulk(&b.cmd(&[b"FUNCTION", b"DUMP"])), payload);
    assert_eq!(
        b.cmd(&[b"FUNCTION", b"RESTORE", &payload]),
        b"-ERR Library mylib already exists\r\n"
    );
    let again = Server::start_redis(&[]);
    let mut c = again.raw();
    assert_eq!(c.cmd(&[b"FUNCTION", b"RESTORE", &payload]), b"+OK\r\n");
    assert_eq!(c.cmd(&[b"FCALL", b"myfunc", b"0"]), b"$1\r\nx\r\n");
}

#[test]
fn redust_starts_on_redis_server_s_dump_rdb() {
    let redis = Server::start_redis(&[]);
    populate(&redis);
    let mut a = redis.raw();
    let code =
        b"#!lua name=mylib\nredis.register_function('myfunc', function(keys, args) return 'x' end)";
    a.cmd(&[b"FUNCTION", b"LOAD", code]);
    a.cmd(&[b"SELECT", b"5"]);
    a.cmd(&[b"SET", b"indb5", b"x"]);
    assert_eq!(a.cmd(&[b"SAVE"]), b"+OK\r\n");
    let file = redis.dir.join("dump.rdb");
    let before = std::fs::read(&file).unwrap();
    let dir = common::scratch_dir("rdbload");
    std::fs::copy(&file, dir.join("dump.rdb")).unwrap();
    let ours = Server::start_in(&dir, &["--dir", dir.to_str().unwrap()]);
    assert_same_data(&describe(&redis), &describe(&ours));
    let mut b = ours.raw();
    assert_eq!(b.cmd(&[b"FCALL", b"myfunc", b"0"]), b"$1\r\nx\r\n");
    b.cmd(&[b"SELECT", b"5"]);
    assert_eq!(b.cmd(&[b"GET", b"indb5"]), b"$1\r\nx\r\n");
    // Loading never modifies the file.
    assert_eq!(std::fs::read(dir.join("dump.rdb")).unwrap(), before);
}

/// Starts redis-server on `file` (copied into a fresh directory) and checks redis-check-rdb
/// accepts it.
fn redis_on_file(file: &std::path::Path) -> Server {
    let out = std::process::Command::new("redis-check-rdb")
        .arg(file)
        .output()
        .expect("redis-check-rdb (apt-get install redis-tools)");
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success() && text.contains("RDB looks OK"),
        "{text}"
    );
    let dir = common::scratch_dir("redis-rdb");
    std::fs::copy(file, dir.join("dump.rdb")).unwrap();
    Server::start_redis(&["--dir", dir.to_str().unwrap(), "--dbfilename", "dump.rdb"])
}

#[test]
fn redis_server_starts_on_redust_s_rdb_save() {
    let ours = Server::start(&["--snapshot-format", "rdb", "--enable-debug-command", "yes"]);
    populate(&ours);
    let mut b = ours.raw();
    let code =
        b"#!lua name=mylib\nredis.register_function('myfunc', function(keys, args) return 'x' end)";
    b.cmd(&[b"FUNCTION", b"LOAD", code]);
    assert_eq!(b.cmd(&[b"SAVE"]), b"+OK\r\n");
    let redis = redis_on_file(&ours.dir.join("dump.rdb"));
    assert_same_data(&describe(&redis), &describe(&ours));
    assert_eq!(
        redis.raw().cmd(&[b"FCALL", b"myfunc", b"0"]),
        b"$1\r\nx\r\n"
    );
    // And redust reads its own RDB back.
    assert_eq!(b.cmd(&[b"DEBUG", b"RELOAD"]), b"+OK\r\n");
    assert_same_data(&describe(&redis), &describe(&ours));
}

#[test]
fn redis_cli_rdb_fetches_a_file_redis_server_starts_on() {
    let ours = Server::start(&[]);
    populate(&ours);
    let file = ours.dir.join("fetched.rdb");
    let out = std::process::Command::new("redis-cli")
        .args(["-p", &ours.port.to_string(), "--rdb"])
        .arg(&file)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let redis = redis_on_file(&file);
    assert_same_data(&describe(&redis), &describe(&ours));
    // The connection that synced still serves nothing else; the server goes on.
    assert_eq!(ours.raw().cmd(&[b"PING"]), b"+PONG\r\n");
}

#[test]
fn migrate_moves_keys_both_ways() {
    let redis = Server::start_redis(&[]);
    let ours = Server::start(&[]);
    populate(&ours);
    let before = describe(&ours);
    let mut b = ours.raw();
    let all = keys(&mut b);
    let port = redis.port.to_string();
    let mut args: Vec<&[u8]> = vec![
        b"MIGRATE",
        b"127.0.0.1",
        port.as_bytes(),
        b"",
        b"0",
        b"5000",
        b"KEYS",
    ];
    args.extend(all.iter().map(|k| k.as_slice()));
    assert_eq!(b.cmd(&args), b"+OK\r\n");
    assert_eq!(b.cmd(&[b"DBSIZE"]), b":0\r\n");
    assert_same_data(&describe(&redis), &before);
    assert!(b
        .cmd(&[b"INFO", b"stats"])
        .windows(25)
        .any(|w| w == b"migrate_cached_sockets:1\r"));
    // Back from redis-server, one key at a time, COPY and REPLACE.
    let mut a = redis.raw();
    let port = ours.port.to_string();
    for k in &all {
        let r = a.cmd(&[
            b"MIGRATE",
            b"127.0.0.1",
            port.as_bytes(),
            k,
            b"0",
            b"5000",
            b"COPY",
        ]);
        assert_eq!(r, b"+OK\r\n", "{}", String::from_utf8_lossy(k));
    }
    assert_same_data(&describe(&ours), &before);
    let r = a.cmd(&[
        b"MIGRATE",
        b"127.0.0.1",
        port.as_bytes(),
        b"str",
        b"0",
        b"5000",
    ]);
    assert_eq!(
        r,
        b"-ERR Target instance replied with error: BUSYKEY Target key name already exists.\r\n"
    );
    // Errors as Redis words them.
    let closed = common::scratch_dir("closed");
    drop(closed);
    assert_eq!(
        b.cmd(&[b"MIGRATE", b"127.0.0.1", b"1", b"str", b"0", b"100"]),
        b"-IOERR error or timeout connecting to the client\r\n"
    );
    assert_eq!(
        b.cmd(&[
            b"MIGRATE",
            b"127.0.0.1",
            port.as_bytes(),
            b"nokey",
            b"0",
            b"100"
        ]),
        b"+NOKEY\r\n"
    );
    assert_eq!(
        b.cmd(&[b"MIGRATE", b"h", b"1", b"k", b"0", b"100", b"KEYS", b"a"]),
        b"-ERR When using MIGRATE KEYS option, the key argument must be set to the empty string\r\n"
    );
    assert_eq!(
        b.cmd(&[b"MIGRATE", b"h", b"1", b"k", b"0", b"100", b"AUTH"]),
        b"-ERR syntax error\r\n"
    );
}

/// A redis-server replica of redust: a full sync, then the command stream (writes in
/// several databases, a transaction, a script's effects, expiry, eviction), until its
/// dataset is redust's.
#[test]
fn a_redis_server_replica_gets_a_full_sync_and_the_stream() {
    let ours = Server::start(&[]);
    populate(&ours);
    let port = ours.port.to_string();
    let replica = Server::start_redis(&["--replicaof", "127.0.0.1", &port]);
    let mut r = replica.raw();
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(20);
    while !String::from_utf8_lossy(&r.cmd(&[b"INFO", b"replication"]))
        .contains("master_link_status:up")
    {
        assert!(
            std::time::Instant::now() < deadline,
            "the replica never synced"
        );
        std::thread::sleep(std::time::Duration::from_millis(50));
    }
    assert_same_data(&describe(&replica), &describe(&ours));

    let mut o = ours.raw();
    o.cmd_str(&["SET", "after-sync", "1"]);
    o.cmd_str(&["SELECT", "5"]);
    o.cmd_str(&["RPUSH", "list", "a", "b", "c"]);
    o.cmd_str(&["MULTI"]);
    o.cmd_str(&["INCR", "counter"]);
    o.cmd_str(&["SADD", "set", "x", "y"]);
    o.cmd_str(&["EXEC"]);
    o.cmd_str(&[
        "EVAL",
        "redis.call('set', KEYS[1], ARGV[1]) redis.call('lpop', 'list')",
        "1",
        "scripted",
        "v",
    ]);
    o.cmd_str(&["SET", "short", "v", "PX", "50"]);
    o.cmd_str(&["SELECT", "0"]);
    o.cmd_str(&["DEL", "str"]);
    std::thread::sleep(std::time::Duration::from_millis(200));
    // The expired key is deleted (and DEL propagated) once touched.
    o.cmd_str(&["SELECT", "5"]);
    assert_eq!(o.cmd_str(&["GET", "short"]), "$-1\r\n");
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(20);
    loop {
        let (theirs, mine) = (describe(&replica), describe(&ours));
        if theirs == mine {
            break;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "the replica never caught up"
        );
        std::thread::sleep(std::time::Duration::from_millis(50));
    }
    // Database 5 as well (describe reads database 0).
    let mut r5 = replica.raw();
    r5.cmd_str(&["SELECT", "5"]);
    for (cmd, want) in [
        (
            &["LRANGE", "list", "0", "-1"][..],
            "*2\r\n$1\r\nb\r\n$1\r\nc\r\n",
        ),
        (&["GET", "counter"][..], "$1\r\n1\r\n"),
        (&["SCARD", "set"][..], ":2\r\n"),
        (&["GET", "scripted"][..], "$1\r\nv\r\n"),
        (&["EXISTS", "short"][..], ":0\r\n"),
    ] {
        assert_eq!(r5.cmd_str(cmd), want, "{cmd:?}");
    }
    // The replica acknowledges the stream every second: one good replica, not two.
    o.cmd_str(&["CONFIG", "SET", "min-replicas-to-write", "1"]);
    assert_eq!(o.cmd_str(&["SET", "guarded", "1"]), "+OK\r\n");
    o.cmd_str(&["CONFIG", "SET", "min-replicas-to-write", "2"]);
    assert_eq!(
        o.cmd_str(&["SET", "guarded", "2"]),
        "-NOREPLICAS Not enough good replicas to write.\r\n"
    );
    o.cmd_str(&["CONFIG", "SET", "min-replicas-to-write", "0"]);
    let info = o.cmd_str(&["INFO", "replication"]);
    assert!(
        info.contains("connected_slaves:1\r\nslave0:ip=127.0.0.1,port="),
        "{info}"
    );
    assert!(info.contains(",state=online,"), "{info}");
}
