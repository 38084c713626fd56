//! Connection handling: many clients, maxclients, idle timeout, a client that never reads,
//! client kill, pause, blocking WAIT, MONITOR, shutdown by signal and by command.

mod common;

use std::io::{Read, Write};
use std::net::TcpStream;
use std::time::{Duration, Instant};

use common::{encode_words, Raw, Server};

#[test]
fn two_thousand_simultaneous_connections() {
    let ours = Server::start(&[]);
    let mut conns: Vec<Raw> = (0..2000).map(|_| ours.raw()).collect();
    for (i, c) in conns.iter_mut().enumerate() {
        c.send(&encode_words(&["SET", &format!("c{i}"), "x"]));
    }
    for c in conns.iter_mut() {
        assert_eq!(c.reply(), b"+OK\r\n");
    }
    let mut raw = ours.raw();
    assert_eq!(raw.cmd(&[b"DBSIZE"]), b":2000\r\n");
    let info = raw.cmd_str(&["INFO", "clients"]);
    assert!(info.contains("connected_clients:2001\r\n"), "{info}");
}

#[test]
fn maxclients_refuses_with_redis_error() {
    let ours = Server::start(&["--maxclients", "3"]);
    let _held: Vec<Raw> = (0..3).map(|_| ours.raw()).collect();
    std::thread::sleep(Duration::from_millis(100));
    let mut extra = TcpStream::connect(("127.0.0.1", ours.port)).unwrap();
    extra
        .set_read_timeout(Some(Duration::from_secs(5)))
        .unwrap();
    let mut out = Vec::new();
    let _ = extra.read_to_end(&mut out);
    assert_eq!(out, b"-ERR max number of clients reached\r\n");
}

#[test]
fn idle_clients_are_closed_after_timeout() {
    let ours = Server::start(&["--timeout", "1"]);
    let mut idle = ours.raw();
    assert_eq!(idle.cmd(&[b"PING"]), b"+PONG\r\n");
    assert!(idle.closed_within(3500), "idle client still open");
}

#[test]
fn a_client_that_never_reads_does_not_stall_others() {
    let ours = Server::start(&[]);
    let mut setup = ours.raw();
    let value = vec![b'x'; 100_000];
    setup.cmd(&[b"SET", b"big", &value]);
    // Pipelines thousands of GETs of 100 KB and never reads a byte of the replies.
    let mut greedy = TcpStream::connect(("127.0.0.1", ours.port)).unwrap();
    greedy.set_nonblocking(true).unwrap();
    let batch: Vec<u8> = (0..5000)
        .flat_map(|_| encode_words(&["GET", "big"]))
        .collect();
    let mut offset = 0;
    let started = Instant::now();
    while offset < batch.len() && started.elapsed() < Duration::from_secs(5) {
        match greedy.write(&batch[offset..]) {
            Ok(n) => offset += n,
            Err(_) => std::thread::sleep(Duration::from_millis(1)),
        }
    }
    // Everyone else is still served promptly.
    let mut other = ours.raw();
    for _ in 0..100 {
        let t = Instant::now();
        assert_eq!(other.cmd(&[b"PING"]), b"+PONG\r\n");
        assert!(t.elapsed() < Duration::from_secs(1));
    }
    // And the server did not buffer unbounded output for the greedy client.
    assert!(ours.rss() < 400 * 1024 * 1024, "rss {}", ours.rss());
    drop(greedy);
}

#[test]
fn client_kill_by_id_and_addr() {
    let ours = Server::start(&[]);
    let mut victim = ours.raw();
    let id = victim.cmd_str(&["CLIENT", "ID"]);
    let id = id.trim().trim_start_matches(':').to_string();
    let mut admin = ours.raw();
    assert_eq!(admin.cmd_str(&["CLIENT", "KILL", "ID", &id]), ":1\r\n");
    assert!(victim.closed_within(2000));

    let mut victim = ours.raw();
    let addr = victim.stream.local_addr().unwrap().to_string();
    assert_eq!(admin.cmd_str(&["CLIENT", "KILL", &addr]), "+OK\r\n");
    assert!(victim.closed_within(2000));
    assert_eq!(
        admin.cmd_str(&["CLIENT", "KILL", &addr]),
        "-ERR No such client\r\n"
    );
}

#[test]
fn client_list_and_info_show_the_connection() {
    let ours = Server::start(&[]);
    let mut raw = ours.raw();
    raw.cmd_str(&["CLIENT", "SETNAME", "worker-1"]);
    raw.cmd_str(&["SELECT", "3"]);
    let list = raw.cmd_str(&["CLIENT", "LIST"]);
    assert!(list.contains("name=worker-1"), "{list}");
    assert!(list.contains(" db=3 "), "{list}");
    assert!(list.contains("cmd=client|list"), "{list}");
    let info = raw.cmd_str(&["CLIENT", "INFO"]);
    assert!(
        info.starts_with("$") && info.contains("name=worker-1"),
        "{info}"
    );
}

#[test]
fn client_reply_off_and_skip() {
    let ours = Server::start(&[]);
    let mut raw = ours.raw();
    raw.send(&encode_words(&["CLIENT", "REPLY", "OFF"]));
    raw.send(&encode_words(&["SET", "a", "1"]));
    raw.send(&encode_words(&["CLIENT", "REPLY", "ON"]));
    assert_eq!(raw.reply(), b"+OK\r\n");
    raw.send(&encode_words(&["CLIENT", "REPLY", "SKIP"]));
    raw.send(&encode_words(&["GET", "a"]));
    raw.send(&encode_words(&["PING"]));
    assert_eq!(raw.reply(), b"+PONG\r\n");
    assert_eq!(raw.cmd(&[b"GET", b"a"]), b"$1\r\n1\r\n");
}

#[test]
fn client_pause_holds_commands_until_it_ends() {
    let ours = Server::start(&[]);
    let mut admin = ours.raw();
    assert_eq!(
        admin.cmd_str(&["CLIENT", "PAUSE", "300", "WRITE"]),
        "+OK\r\n"
    );
    let mut writer = ours.raw();
    let t = Instant::now();
    // Reads go through during a WRITE pause; writes wait.
    assert_eq!(writer.cmd(&[b"GET", b"x"]), b"$-1\r\n");
    assert!(t.elapsed() < Duration::from_millis(200));
    assert_eq!(writer.cmd(&[b"SET", b"x", b"1"]), b"+OK\r\n");
    assert!(
        t.elapsed() >= Duration::from_millis(250),
        "{:?}",
        t.elapsed()
    );

    // ALL holds reads too (CLIENT UNPAUSE included, as in Redis).
    assert_eq!(admin.cmd_str(&["CLIENT", "PAUSE", "300", "ALL"]), "+OK\r\n");
    let t = Instant::now();
    assert_eq!(writer.cmd(&[b"GET", b"x"]), b"$1\r\n1\r\n");
    assert!(
        t.elapsed() >= Duration::from_millis(250),
        "{:?}",
        t.elapsed()
    );

    // UNPAUSE ends a WRITE pause at once.
    assert_eq!(
        admin.cmd_str(&["CLIENT", "PAUSE", "100000", "WRITE"]),
        "+OK\r\n"
    );
    writer.send(&encode_words(&["SET", "x", "2"]));
    std::thread::sleep(Duration::from_millis(100));
    assert_eq!(admin.cmd_str(&["CLIENT", "UNPAUSE"]), "+OK\r\n");
    assert_eq!(writer.reply(), b"+OK\r\n");
}

#[test]
fn wait_blocks_until_its_timeout_and_can_be_unblocked() {
    let ours = Server::start(&[]);
    let mut raw = ours.raw();
    let t = Instant::now();
    assert_eq!(raw.cmd(&[b"WAIT", b"1", b"200"]), b":0\r\n");
    assert!(t.elapsed() >= Duration::from_millis(190));

    let mut blocked = ours.raw();
    let id = blocked.cmd_str(&["CLIENT", "ID"]);
    let id = id.trim().trim_start_matches(':').to_string();
    blocked.send(&encode_words(&["WAIT", "1", "0"]));
    std::thread::sleep(Duration::from_millis(100));
    let mut admin = ours.raw();
    assert!(admin
        .cmd_str(&["INFO", "clients"])
        .contains("blocked_clients:1\r\n"));
    assert_eq!(
        admin.cmd_str(&["CLIENT", "UNBLOCK", &id, "ERROR"]),
        ":1\r\n"
    );
    assert_eq!(
        blocked.reply(),
        b"-UNBLOCKED client unblocked via CLIENT UNBLOCK\r\n"
    );
}

#[test]
fn monitor_streams_commands_in_redis_format() {
    let ours = Server::start(&[]);
    let mut mon = ours.raw();
    assert_eq!(mon.cmd(&[b"MONITOR"]), b"+OK\r\n");
    let mut raw = ours.raw();
    raw.cmd(&[b"SET", b"k", b"a \"q\"\n"]);
    let line = String::from_utf8(mon.reply()).unwrap();
    // +1700000000.123456 [0 127.0.0.1:50000] "SET" "k" "a \"q\"\n"
    assert!(line.starts_with('+'), "{line}");
    let (ts, rest) = line[1..].split_once(' ').unwrap();
    assert!(ts.len() == 17 && ts.as_bytes()[10] == b'.', "{line}");
    assert!(rest.starts_with("[0 127.0.0.1:"), "{line}");
    assert!(
        rest.ends_with("] \"SET\" \"k\" \"a \\\"q\\\"\\n\"\r\n"),
        "{line}"
    );
}

#[test]
fn sigterm_stops_the_server_cleanly() {
    let mut ours = Server::start(&[]);
    let mut raw = ours.raw();
    raw.cmd(&[b"SET", b"a", b"1"]);
    ours.signal("TERM");
    let status = ours.wait_exit(10).expect("exit after SIGTERM");
    assert!(status.success(), "{status:?}");
    // The log is read by another thread: give it a moment to catch the last lines.
    let deadline = Instant::now() + Duration::from_secs(5);
    while !ours.log().contains("ready to exit") && Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(20));
    }
    assert!(ours.log().contains("ready to exit"), "{}", ours.log());
}

#[test]
fn shutdown_command_exits_zero_without_reply() {
    let mut ours = Server::start(&[]);
    let mut raw = ours.raw();
    raw.send(&encode_words(&["SHUTDOWN", "NOSAVE"]));
    assert_eq!(raw.read_to_close(), b"");
    let status = ours.wait_exit(10).expect("exit after SHUTDOWN");
    assert!(status.success());
}

#[test]
fn requirepass_gates_commands() {
    let ours = Server::start(&["--requirepass", "s3cret"]);
    let mut raw = ours.raw();
    assert_eq!(
        raw.cmd_str(&["GET", "a"]),
        "-NOAUTH Authentication required.\r\n"
    );
    assert_eq!(
        raw.cmd_str(&["AUTH", "nope"]),
        "-WRONGPASS invalid username-password pair or user is disabled.\r\n"
    );
    assert_eq!(raw.cmd_str(&["AUTH", "s3cret"]), "+OK\r\n");
    assert_eq!(raw.cmd_str(&["GET", "a"]), "$-1\r\n");
    // Before AUTH, requests are capped as in Redis.
    let mut fresh = ours.raw();
    fresh.send(b"*20\r\n");
    assert_eq!(
        fresh.read_to_close(),
        b"-ERR Protocol error: unauthenticated multibulk length\r\n"
    );
    let mut fresh = ours.raw();
    fresh.send(b"*1\r\n$20000\r\n");
    assert_eq!(
        fresh.read_to_close(),
        b"-ERR Protocol error: unauthenticated bulk length\r\n"
    );
    // AUTH lifts the limits for the very next command of the same pipeline.
    let mut piped = ours.raw();
    let mut batch = b"AUTH s3cret\r\n".to_vec();
    batch.extend(common::encode(&[b"SET", b"big", &vec![b'x'; 20000]]));
    piped.send(&batch);
    assert_eq!(piped.reply(), b"+OK\r\n");
    assert_eq!(piped.reply(), b"+OK\r\n");
    let mut hello = ours.raw();
    let reply = hello.cmd_str(&["HELLO", "3", "AUTH", "default", "s3cret"]);
    assert!(reply.starts_with("%7\r\n"), "{reply}");
}

#[test]
fn bad_config_stops_startup_with_file_and_line() {
    let dir = common::scratch_dir("badconf");
    let conf = dir.join("bad.conf");
    std::fs::write(&conf, "port 7000\nnosuch-directive 1\n").unwrap();
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_redust"))
        .arg(&conf)
        .output()
        .unwrap();
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("FATAL CONFIG FILE ERROR"), "{err}");
    assert!(err.contains("bad.conf, at line 2"), "{err}");
    assert!(err.contains(">>> 'nosuch-directive 1'"), "{err}");
    assert!(
        err.contains("Bad directive or wrong number of arguments"),
        "{err}"
    );

    let out = std::process::Command::new(env!("CARGO_BIN_EXE_redust"))
        .args(["--port", "99999"])
        .output()
        .unwrap();
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("argument must be between 0 and 65535 inclusive"),
        "{err}"
    );
}

#[test]
fn config_file_is_loaded_and_rewritten() {
    let dir = common::scratch_dir("conf");
    let conf = dir.join("redis.conf");
    std::fs::write(&conf, "# my settings\ntimeout 7\nmaxmemory 2mb\n").unwrap();
    let ours = Server::start_in(&dir, &[conf.to_str().unwrap()]);
    let mut raw = ours.raw();
    assert_eq!(
        raw.cmd_str(&["CONFIG", "GET", "timeout"]),
        "*2\r\n$7\r\ntimeout\r\n$1\r\n7\r\n"
    );
    assert_eq!(raw.cmd_str(&["CONFIG", "SET", "timeout", "9"]), "+OK\r\n");
    assert_eq!(
        raw.cmd_str(&["CONFIG", "SET", "maxmemory-policy", "allkeys-lru"]),
        "+OK\r\n"
    );
    assert_eq!(raw.cmd_str(&["CONFIG", "REWRITE"]), "+OK\r\n");
    let text = std::fs::read_to_string(&conf).unwrap();
    assert!(text.starts_with("# my settings\n"), "{text}");
    // Numbers and enumerations unquoted, as Redis writes them.
    assert!(text.contains("\ntimeout 9\n"), "{text}");
    assert!(text.contains("\nmaxmemory 2mb\n"), "{text}");
    assert!(text.contains("\nmaxmemory-policy allkeys-lru\n"), "{text}");
}

#[test]
fn config_get_glob_returns_every_match() {
    let ours = Server::start(&[]);
    let mut c = ours.client();
    let pairs: Vec<(String, String)> = redis::cmd("CONFIG")
        .arg("GET")
        .arg("slowlog-*")
        .query(&mut c)
        .unwrap();
    let mut names: Vec<&str> = pairs.iter().map(|(n, _)| n.as_str()).collect();
    names.sort();
    assert_eq!(names, ["slowlog-log-slower-than", "slowlog-max-len"]);
}

#[test]
fn config_set_port_rebinds() {
    let ours = Server::start(&[]);
    let mut raw = ours.raw();
    let new_port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    assert_eq!(
        raw.cmd_str(&["CONFIG", "SET", "port", &new_port.to_string()]),
        "+OK\r\n"
    );
    let mut moved = Raw::connect(new_port);
    assert_eq!(moved.cmd(&[b"PING"]), b"+PONG\r\n");
    assert!(TcpStream::connect(("127.0.0.1", ours.port)).is_err());
}

#[test]
fn slowlog_records_slow_commands() {
    let ours = Server::start(&[
        "--slowlog-log-slower-than",
        "0",
        "--enable-debug-command",
        "yes",
    ]);
    let mut raw = ours.raw();
    raw.cmd_str(&["SLOWLOG", "RESET"]);
    raw.cmd_str(&["DEBUG", "SLEEP", "0.01"]);
    let log = raw.cmd_str(&["SLOWLOG", "GET", "1"]);
    assert!(log.contains("$5\r\nDEBUG\r\n$5\r\nSLEEP\r\n"), "{log}");
    // RESET, DEBUG and GET were all logged (each after it ran, as in Redis).
    assert_eq!(raw.cmd_str(&["SLOWLOG", "LEN"]), ":3\r\n");
}

#[test]
fn info_reports_redis_fields() {
    let ours = Server::start(&[]);
    let mut raw = ours.raw();
    raw.cmd(&[b"SET", b"a", b"1"]);
    raw.cmd(&[b"SET", b"b", b"1", b"EX", b"100"]);
    raw.cmd(&[b"GET", b"a"]);
    raw.cmd(&[b"GET", b"nope"]);
    let info = raw.cmd_str(&["INFO"]);
    for field in [
        "redis_version:7.0.15\r\n",
        "redis_mode:standalone\r\n",
        &format!("tcp_port:{}\r\n", ours.port),
        "connected_clients:1\r\n",
        "maxmemory_policy:noeviction\r\n",
        "keyspace_hits:1\r\n",
        "keyspace_misses:1\r\n",
        "rdb_bgsave_in_progress:0\r\n",
        "db0:keys=2,expires=1,avg_ttl=",
        "# Errorstats\r\n",
    ] {
        assert!(info.contains(field), "missing {field:?} in\n{info}");
    }
    assert!(!info.contains("# Commandstats"));
    let all = raw.cmd_str(&["INFO", "all"]);
    assert!(all.contains("cmdstat_set:calls=2,"), "{all}");
    let one = raw.cmd_str(&["INFO", "keyspace"]);
    assert!(
        one.contains("# Keyspace\r\ndb0:") && !one.contains("# Server"),
        "{one}"
    );
}

/// A client that sends its commands and shuts down its writing side (`nc -N`, scripts
/// piping into a socket) gets every reply, and the server then closes its end: reads stop
/// early on short reads, but not past a close the poll reported with the data.
#[test]
fn half_closed_client_gets_replies_then_is_closed() {
    let server = Server::start(&[]);
    for _ in 0..20 {
        let mut c = server.raw();
        c.send(b"PING\r\nECHO hello\r\n");
        c.stream.shutdown(std::net::Shutdown::Write).unwrap();
        let got = c.read_to_close();
        assert_eq!(got, b"+PONG\r\n$5\r\nhello\r\n");
    }
    let mut ctl = server.raw();
    let list = ctl.cmd_str(&["CLIENT", "LIST"]);
    let open = list.lines().filter(|l| l.contains("id=")).count();
    assert_eq!(open, 1, "{list}");
}
