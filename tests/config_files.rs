//! Config files and the command line, against redis-server: stock redis.conf files load
//! and give the same CONFIG GET values, CONFIG REWRITE writes the same file, bad
//! directives fail with the same message; rename-command, redacted secrets and
//! shutdown-on-sigterm do what they say.

mod common;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use common::{scratch_dir, Raw, Server};

/// Starts redis-server with a config file first, as redis-server wants it, and `args`.
fn start_redis_with(file: &Path, args: &[&str]) -> Server {
    let dir = scratch_dir("redis-conf");
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let child = Command::new("redis-server")
        .arg(file)
        .args(["--port", &port.to_string(), "--save", "", "--pidfile", ""])
        .args(["--daemonize", "no", "--logfile", "", "--dir"])
        .arg(&dir)
        .args(args)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("redis-server");
    let mut server = Server {
        child,
        port,
        log: Arc::new(Mutex::new(String::new())),
        dir,
    };
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        assert!(server.alive(), "redis-server exited");
        if let Ok(mut s) = std::net::TcpStream::connect(("127.0.0.1", port)) {
            use std::io::{Read, Write};
            let mut buf = [0u8; 16];
            if s.write_all(b"PING\r\n").is_ok() && s.read(&mut buf).is_ok_and(|n| n > 0) {
                return server;
            }
        }
        assert!(Instant::now() < deadline, "redis-server did not start");
        std::thread::sleep(Duration::from_millis(20));
    }
}

/// Starts redust with a config file and the same overrides as [`start_redis_with`].
fn start_redust_with(file: &Path, args: &[&str]) -> Server {
    let dir = scratch_dir("redust-conf");
    let mut all = vec![file.to_str().unwrap(), "--pidfile", "", "--daemonize", "no"];
    all.extend(["--logfile", "", "--dir", dir.to_str().unwrap()]);
    all.extend(args);
    Server::start_in(&dir, &all)
}

fn asset(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/assets")
        .join(name)
}

/// `CONFIG GET *` as a map.
fn all_params(server: &Server) -> BTreeMap<String, String> {
    let mut c = server.client();
    let pairs: Vec<(String, String)> = redis::cmd("CONFIG")
        .arg("GET")
        .arg("*")
        .query(&mut c)
        .unwrap();
    pairs.into_iter().collect()
}

/// Both servers loaded `file`: every parameter reads the same but where they listen and
/// which directory they run in.
fn assert_same_values(file: &Path) {
    let redis = start_redis_with(file, &[]);
    let ours = start_redust_with(file, &[]);
    let theirs = all_params(&redis);
    let mine = all_params(&ours);
    assert_eq!(theirs.len(), mine.len());
    for (name, value) in &theirs {
        if matches!(name.as_str(), "port" | "dir") {
            continue;
        }
        assert_eq!(mine.get(name), Some(value), "{name} in {}", file.display());
    }
}

#[test]
fn stock_redis_conf_loads_as_in_redis() {
    assert_same_values(&asset("redis-7.0.15.conf"));
}

#[test]
fn redis_test_suite_default_conf_loads_as_in_redis() {
    assert_same_values(&asset("redis-suite-default.conf"));
}

/// The line a failed start reported, and why: everything from Redis's banner on, but the
/// line saying where. Redis reads the options as lines after the file's ("at line 2" for
/// the first option without a file); redust names the piece and counts within it ("from
/// the command line, at line 1"), as include files need.
fn load_error(program: &str, args: &[&str]) -> String {
    let mut child = Command::new(program)
        .args(args)
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let deadline = Instant::now() + Duration::from_secs(10);
    while child.try_wait().unwrap().is_none() {
        if Instant::now() > deadline {
            let _ = child.kill();
            panic!("{program} {args:?} started instead of failing");
        }
        std::thread::sleep(Duration::from_millis(10));
    }
    let out = child.wait_with_output().unwrap();
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    let from_banner = match err.find("*** FATAL CONFIG FILE ERROR") {
        Some(at) => &err[at..],
        None => &err,
    };
    from_banner
        .trim_end()
        .lines()
        .filter(|l| !l.starts_with("Reading the configuration file"))
        .collect::<Vec<_>>()
        .join("\n")
}

#[test]
fn bad_command_lines_fail_as_in_redis() {
    let cases: &[&[&str]] = &[
        &["--port"],
        &["--port", "abc"],
        &["--port", "6379", "6380"],
        &["--port", "--loglevel", "verbose"],
        &["--port", "--bla", "--loglevel", "verbose"],
        &["--logfile", "--my--log--file", "--loglevel", "--bla"],
        &["--shutdown-on-sigint"],
        &["--shutdown-on-sigint", "now force", "--shutdown-on-sigterm"],
        &["--shutdown-on-sigint", "save", "nosave"],
        &["--replicaof", "127.0.0.1", "abc"],
        &["--replicaof", "--127.0.0.1", "abc"],
        &["--replicaof", "--127.0.0.1", "--abc"],
        &["--maxmemory", "1zz"],
        &["--maxmemory-clients", "200%"],
        &["--save", "60"],
        &["--save", "0 1"],
        &["--bind", "a b c d e f g h i j k l m n o p q"],
        &["--client-output-buffer-limit", "master 0 0 0"],
        &["--client-output-buffer-limit", "normal 0 0"],
        &["--oom-score-adj-values", "1 2"],
        &["--notify-keyspace-events", "Zq"],
        &["--latency-tracking-info-percentiles", "101"],
        &["--dbfilename", "a/b"],
        &["--appendfilename", ""],
        &["--activedefrag", "yes"],
        &["--proc-title-template", "{nosuch}"],
        &["--cluster-announce-hostname", "a_b"],
        &["--unixsocketperm", "999"],
        &["--hz", "1.5"],
        &["--nosuch", "1"],
        &["--loglevel", "\"unbalanced"],
        &["--rename-command", "nosuch", "x"],
        &["--rename-command", "get", "set"],
        &["--cluster-enabled", "yes", "--replicaof", "h", "1"],
        &["--dir", "/nonexistent/redust"],
        &["--some.module"],
    ];
    let mut failures = Vec::new();
    for args in cases {
        let theirs = load_error("redis-server", args);
        let ours = load_error(env!("CARGO_BIN_EXE_redust"), args);
        if theirs != ours {
            failures.push(format!(
                "{args:?}\n  redis:  {theirs:?}\n  redust: {ours:?}"
            ));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

/// A config file with comments, blank lines, aliases, repeated and quoted directives.
const REWRITE_ME: &str = "# A hand-written config\n\
\n\
\n\
# network\n\
timeout 100\n\
   tcp-keepalive 60\n\
slave-read-only no\n\
hash-max-ziplist-entries 20\n\
hash-max-listpack-entries 21\n\
save 900 1\n\
save 300 10\n\
maxmemory 1gb\n\
maxmemory 2gb\n\
notify-keyspace-events \"KEA\"\n\
client-output-buffer-limit pubsub 64mb 16mb 90\n\
rename-command flushdb badger\n\
# the end\n\
loglevel verbose\n";

/// The file after CONFIG REWRITE on a server started with `REWRITE_ME` and changed by
/// `changes`, without the lines naming the server's own port and directory.
fn rewritten_by(start: fn(&Path, &[&str]) -> Server, changes: &[&[&str]]) -> String {
    let dir = scratch_dir("rewrite");
    let file = dir.join("redis.conf");
    std::fs::write(&file, REWRITE_ME).unwrap();
    let server = start(&file, &[]);
    let mut raw = server.raw();
    for change in changes {
        let mut cmd = vec!["CONFIG", "SET"];
        cmd.extend(*change);
        assert_eq!(raw.cmd_str(&cmd), "+OK\r\n", "{change:?}");
    }
    assert_eq!(raw.cmd_str(&["CONFIG", "REWRITE"]), "+OK\r\n");
    let text = std::fs::read_to_string(&file).unwrap();
    text.lines()
        .filter(|l| !l.starts_with("port ") && !l.starts_with("dir "))
        .map(|l| format!("{l}\n"))
        .collect()
}

/// Lines after the signature come in each server's own table order.
fn normalized(text: &str) -> (String, Vec<String>) {
    match text.find("# Generated by CONFIG REWRITE") {
        Some(at) => {
            let mut tail: Vec<String> = text[at..].lines().map(str::to_string).collect();
            tail.sort();
            (text[..at].to_string(), tail)
        }
        None => (text.to_string(), Vec::new()),
    }
}

#[test]
fn config_rewrite_writes_what_redis_writes() {
    let changes: &[&[&str]] = &[
        &["timeout", "0"],
        &["hash-max-listpack-entries", "100"],
        &["save", "3600 1 300 100"],
        &["maxmemory-policy", "allkeys-lru"],
        &["maxmemory", "1536mb"],
        &["client-output-buffer-limit", "replica 1gb 512mb 30"],
        &["notify-keyspace-events", ""],
        &["requirepass", "s3cret"],
        &["masterauth", "x\"y z"],
        &["shutdown-on-sigterm", "nosave now"],
        &["maxmemory-clients", "10%"],
        &["oom-score-adj-values", "0 300 900"],
        &["latency-tracking-info-percentiles", ""],
        &["proto-max-bulk-len", "1000000000"],
    ];
    let theirs = rewritten_by(start_redis_with, changes);
    let ours = rewritten_by(start_redust_with, changes);
    if std::env::var_os("SHOW_REWRITE").is_some() {
        println!("{ours}");
    }
    assert_eq!(
        normalized(&ours),
        normalized(&theirs),
        "redust:\n{ours}\nredis:\n{theirs}"
    );
    // And a rewritten file loads back with the same values.
    let theirs = rewritten_by(start_redis_with, &[]);
    let ours = rewritten_by(start_redust_with, &[]);
    assert_eq!(normalized(&ours), normalized(&theirs));
}

#[test]
fn rewritten_file_restarts_with_the_same_values() {
    let dir = scratch_dir("rewrite-restart");
    let file = dir.join("redis.conf");
    std::fs::copy(asset("redis-7.0.15.conf"), &file).unwrap();
    let before = {
        let server = start_redust_with(&file, &[]);
        let mut raw = server.raw();
        for (k, v) in [
            ("maxmemory", "100mb"),
            ("save", "10 10"),
            ("notify-keyspace-events", "Ex"),
            ("slave-read-only", "no"),
            ("hash-max-ziplist-value", "1kb"),
            ("requirepass", "pw"),
        ] {
            assert_eq!(raw.cmd_str(&["CONFIG", "SET", k, v]), "+OK\r\n");
        }
        assert_eq!(raw.cmd_str(&["CONFIG", "REWRITE"]), "+OK\r\n");
        let mut c = redis::Client::open(format!("redis://:pw@127.0.0.1:{}/", server.port))
            .unwrap()
            .get_connection()
            .unwrap();
        let pairs: Vec<(String, String)> = redis::cmd("CONFIG")
            .arg("GET")
            .arg("*")
            .query(&mut c)
            .unwrap();
        pairs.into_iter().collect::<BTreeMap<_, _>>()
    };
    let text = std::fs::read_to_string(&file).unwrap();
    assert!(
        text.starts_with("# Redis configuration file example."),
        "comments kept"
    );
    assert!(text.contains("\nmaxmemory 100mb\n"), "{text}");
    // Restarted from its own rewritten file. A `--save` is needed to keep the harness from
    // adding `--save ""`; as in Redis it adds a rule to the file's.
    let server = Server::start_in(&dir, &[file.to_str().unwrap(), "--save", "10 10"]);
    let mut c = redis::Client::open(format!("redis://:pw@127.0.0.1:{}/", server.port))
        .unwrap()
        .get_connection()
        .unwrap();
    let pairs: Vec<(String, String)> = redis::cmd("CONFIG")
        .arg("GET")
        .arg("*")
        .query(&mut c)
        .unwrap();
    let after: BTreeMap<String, String> = pairs.into_iter().collect();
    assert_eq!(after["save"], "10 10 10 10");
    for (name, value) in &before {
        let own = ["port", "dir", "pidfile", "logfile", "daemonize", "save"];
        if !own.contains(&name.as_str()) {
            assert_eq!(after.get(name), Some(value), "{name}");
        }
    }
}

#[test]
fn rename_command_renames_and_removes_and_survives_rewrite() {
    let dir = scratch_dir("rename");
    let file = dir.join("redis.conf");
    std::fs::write(
        &file,
        "rename-command flushdb badger\nrename-command keys \"\"\n",
    )
    .unwrap();
    let check = |raw: &mut Raw| {
        assert!(raw
            .cmd_str(&["FLUSHDB"])
            .starts_with("-ERR unknown command 'FLUSHDB'"));
        assert_eq!(raw.cmd_str(&["BADGER"]), "+OK\r\n");
        assert!(raw
            .cmd_str(&["KEYS", "*"])
            .starts_with("-ERR unknown command 'KEYS'"));
        assert_eq!(
            raw.cmd_str(&["COMMAND", "INFO", "flushdb"]),
            "*1\r\n$-1\r\n"
        );
        assert!(raw
            .cmd_str(&["COMMAND", "INFO", "badger"])
            .contains("flushdb"));
    };
    {
        let server = Server::start_in(&dir, &[file.to_str().unwrap()]);
        let mut raw = server.raw();
        check(&mut raw);
        let redis = start_redis_with(&file, &[]);
        let count = |r: &mut Raw| {
            let mut lines: Vec<String> = r
                .cmd_str(&["COMMAND", "LIST", "FILTERBY", "PATTERN", "*db"])
                .split("\r\n")
                .map(str::to_string)
                .collect();
            lines.sort();
            lines
        };
        // Renamed commands keep their own name in COMMAND; removed ones are gone.
        assert_eq!(count(&mut raw), count(&mut redis.raw()));
        assert_eq!(raw.cmd_str(&["CONFIG", "REWRITE"]), "+OK\r\n");
    }
    let text = std::fs::read_to_string(&file).unwrap();
    assert!(text.starts_with("rename-command flushdb badger\nrename-command keys \"\"\n"));
    let server = Server::start_in(&dir, &[file.to_str().unwrap()]);
    check(&mut server.raw());
}

#[test]
fn secrets_set_by_config_set_are_redacted_from_the_slow_log() {
    let redis = Server::start_redis(&[]);
    let ours = Server::start(&[]);
    for server in [&redis, &ours] {
        let mut raw = server.raw();
        raw.cmd_str(&["CONFIG", "SET", "slowlog-log-slower-than", "0"]);
        raw.cmd_str(&["CONFIG", "SET", "masterauth", "hunter2", "timeout", "0"]);
        let entry = raw.cmd_str(&["SLOWLOG", "GET", "1"]);
        assert!(
            entry.contains("$10\r\n(redacted)\r\n$7\r\ntimeout\r\n$1\r\n0\r\n"),
            "{entry}"
        );
        assert!(!entry.contains("hunter2"), "{entry}");
    }
}

#[test]
fn shutdown_on_sigterm_decides_whether_to_save() {
    for (flags, saved) in [("save", true), ("default", false)] {
        let dir = scratch_dir("sigterm");
        let mut server = Server::start_in(&dir, &["--shutdown-on-sigterm", flags]);
        server.raw().cmd_str(&["SET", "k", "v"]);
        server.signal("TERM");
        assert!(server.wait_exit(10).is_some());
        // The harness turned the save rules off: only the flag can ask for a save.
        assert_eq!(dir.join("dump.rdb").exists(), saved, "{flags}");
    }
}

#[test]
fn config_set_loglevel_takes_effect_at_once() {
    let ours = Server::start(&["--loglevel", "notice"]);
    let mut raw = ours.raw();
    drop(ours.raw());
    assert_eq!(
        raw.cmd_str(&["CONFIG", "SET", "loglevel", "verbose"]),
        "+OK\r\n"
    );
    drop(ours.raw());
    let deadline = Instant::now() + Duration::from_secs(5);
    // Verbose logs each connection; notice did not.
    while ours.log().matches("Accepted").count() < 1 {
        assert!(Instant::now() < deadline, "{}", ours.log());
        std::thread::sleep(Duration::from_millis(20));
    }
    assert_eq!(ours.log().matches("Accepted").count(), 1, "{}", ours.log());
}

#[test]
fn protected_parameters_when_allowed_answer_as_in_redis() {
    let file = scratch_dir("protected").join("redis.conf");
    std::fs::write(&file, "enable-protected-configs yes\n").unwrap();
    let redis = start_redis_with(&file, &[]);
    let ours = start_redust_with(&file, &[]);
    let (mut a, mut b) = (redis.raw(), ours.raw());
    let target = scratch_dir("protected-target");
    let target = target.to_str().unwrap();
    for cmd in [
        &["CONFIG", "SET", "dir", "/nonexistent/redust"][..],
        &["CONFIG", "SET", "dir", "/etc/passwd"],
        &["CONFIG", "SET", "dbfilename", "a/b.rdb"],
        &["CONFIG", "SET", "dbfilename", "x.rdb"],
        &["CONFIG", "GET", "dbfilename"],
        &["CONFIG", "SET", "dir", target, "maxmemory", "bad"],
        &["CONFIG", "SET", "dir", target, "timeout", "3"],
        &["CONFIG", "GET", "dir"],
        &["CONFIG", "SET", "dbfilename", "dump.rdb"],
    ] {
        assert_eq!(a.cmd_str(cmd), b.cmd_str(cmd), "{cmd:?}");
    }
}
