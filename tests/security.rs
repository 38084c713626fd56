//! Hardening: secrets redacted in MONITOR and the slow log exactly as Redis shows them,
//! the output limit of clients that have not authenticated, SIGHUP ignored, tcp-backlog
//! honoured, protected mode, clients of deleted users disconnected, the ACL log, and
//! users from the configuration and the ACL file.

mod common;

use std::time::Duration;

use common::{scratch_dir, Raw, Server};

/// MONITOR lines without their timestamp and client address (they differ per server).
fn monitor_lines(raw: &mut Raw, n: usize) -> Vec<String> {
    (0..n)
        .map(|_| {
            let line = String::from_utf8_lossy(&raw.reply()).into_owned();
            // +1700000000.123456 [0 127.0.0.1:5555] "AUTH" "(redacted)"
            match line.find("] ") {
                Some(at) => line[at + 2..].to_string(),
                None => line,
            }
        })
        .collect()
}

fn monitored(server: &Server) -> Vec<String> {
    let mut admin = server.raw();
    assert!(admin.cmd_str(&["AUTH", "s3cret"]).starts_with("+OK"));
    let mut mon = server.raw();
    mon.cmd_str(&["AUTH", "s3cret"]);
    assert!(mon.cmd_str(&["MONITOR"]).starts_with("+OK"));
    let mut c = server.raw();
    for cmd in [
        &["AUTH", "s3cret"][..],
        &["AUTH", "default", "s3cret"],
        &["AUTH", "default", "wrong"],
        &["HELLO", "2", "AUTH", "default", "s3cret", "SETNAME", "n"],
        &["ACL", "SETUSER", "u", "on", ">pw", "+@all", "~*"],
        &["AUTH", "u", "pw"],
        &["SET", "k", "v"],
    ] {
        c.cmd_str(cmd);
    }
    monitor_lines(&mut mon, 6)
}

/// redis-server and redust, both with `s3cret` as the default user's password (set once
/// started: the harness checks the servers before any AUTH).
fn password_pair() -> (Server, Server) {
    let redis = Server::start_redis(&[]);
    let ours = Server::start(&[]);
    for s in [&redis, &ours] {
        assert_eq!(
            s.raw().cmd_str(&["CONFIG", "SET", "requirepass", "s3cret"]),
            "+OK\r\n"
        );
    }
    (redis, ours)
}

#[test]
fn monitor_redacts_secrets_as_redis() {
    let (redis, ours) = password_pair();
    let expected = monitored(&redis);
    assert!(
        expected.iter().all(|l| !l.contains("s3cret")),
        "{expected:?}"
    );
    assert_eq!(monitored(&ours), expected);
}

fn slowlog_args(server: &Server) -> String {
    let mut c = server.raw();
    c.cmd_str(&["AUTH", "s3cret"]);
    c.cmd_str(&["CONFIG", "SET", "slowlog-log-slower-than", "0"]);
    c.cmd_str(&["SLOWLOG", "RESET"]);
    for cmd in [
        &["AUTH", "s3cret"][..],
        &["HELLO", "2", "AUTH", "default", "s3cret"],
        &[
            "ACL",
            "SETUSER",
            "u",
            "on",
            ">pw",
            "#5e884898da28047151d0e56f8dc6292773603d0d6aabbdd62a11ef721d1542d8",
        ],
        &["CONFIG", "SET", "requirepass", "n3w", "maxclients", "100"],
    ] {
        c.cmd_str(cmd);
    }
    let log = c.cmd_str(&["SLOWLOG", "GET", "10"]);
    // Keep only the argument arrays (ids, times, durations and addresses differ).
    log.split("\r\n")
        .filter(|l| !l.starts_with(':') && !l.starts_with('*') && !l.contains("127.0.0.1"))
        .collect::<Vec<_>>()
        .join("|")
}

#[test]
fn slowlog_redacts_secrets_as_redis() {
    let (redis, ours) = password_pair();
    let expected = slowlog_args(&redis);
    assert!(
        !expected.contains("s3cret") && !expected.contains("n3w"),
        "{expected}"
    );
    assert_eq!(slowlog_args(&ours), expected);
}

#[test]
fn unauthenticated_clients_cannot_pile_up_output() {
    let server = Server::start(&["--requirepass", "s3cret"]);
    let mut c = server.raw();
    // 20,000 PINGs never read: 700 KB of NOAUTH errors if the server kept them.
    let pings = b"*1\r\n$4\r\nPING\r\n".repeat(20_000);
    // The server may close the connection before it has read everything.
    let _ = std::io::Write::write_all(&mut c.stream, &pings);
    assert!(
        c.closed_within(5000),
        "an unauthenticated client was not closed"
    );
    // An authenticated client pipelining the same is served.
    let mut ok = server.raw();
    ok.cmd_str(&["AUTH", "s3cret"]);
    ok.send(&pings);
    for _ in 0..20_000 {
        assert_eq!(ok.reply(), b"+PONG\r\n");
    }
}

#[test]
fn sighup_is_ignored() {
    let mut server = Server::start(&[]);
    server.signal("HUP");
    std::thread::sleep(Duration::from_millis(200));
    assert!(server.alive(), "SIGHUP killed the server");
    assert_eq!(server.raw().cmd_str(&["PING"]), "+PONG\r\n");
}

/// The backlog of the listening socket, as `ss` shows it (Send-Q of a listener).
fn listen_backlog(port: u16) -> Option<u32> {
    let out = std::process::Command::new("ss")
        .args(["-ltnH", &format!("sport = :{port}")])
        .output()
        .ok()?;
    let text = String::from_utf8_lossy(&out.stdout);
    text.lines().next()?.split_whitespace().nth(2)?.parse().ok()
}

#[test]
fn tcp_backlog_is_the_listen_backlog() {
    let somaxconn: u32 = std::fs::read_to_string("/proc/sys/net/core/somaxconn")
        .ok()
        .and_then(|s| s.trim().parse().ok())
        .unwrap_or(4096);
    let server = Server::start(&["--tcp-backlog", "300"]);
    let Some(backlog) = listen_backlog(server.port) else {
        eprintln!("ss is not available: skipped");
        return;
    };
    assert_eq!(backlog, 300.min(somaxconn));
    let default = Server::start(&[]);
    assert_eq!(listen_backlog(default.port), Some(511.min(somaxconn)));
}

/// An address of this machine other than loopback, if it has one.
fn external_address() -> Option<std::net::IpAddr> {
    let s = std::net::UdpSocket::bind("0.0.0.0:0").ok()?;
    s.connect("192.0.2.1:9").ok()?;
    let ip = s.local_addr().ok()?.ip();
    (!ip.is_loopback() && !ip.is_unspecified()).then_some(ip)
}

#[test]
fn protected_mode_refuses_remote_clients_without_a_password() {
    let Some(ip) = external_address() else {
        eprintln!("no non-loopback address: skipped");
        return;
    };
    let server = Server::start(&["--bind", "*"]);
    let mut remote = std::net::TcpStream::connect((ip, server.port)).unwrap();
    remote
        .set_read_timeout(Some(Duration::from_secs(5)))
        .unwrap();
    let mut text = String::new();
    use std::io::Read;
    let _ = remote.read_to_string(&mut text);
    assert!(
        text.starts_with("-DENIED Redis is running in protected mode"),
        "{text}"
    );
    // With a password for the default user, remote clients may connect (and must AUTH).
    let mut local = server.raw();
    local.cmd_str(&["CONFIG", "SET", "requirepass", "pw"]);
    let mut remote = Raw::connect_to(ip, server.port);
    assert!(remote.cmd_str(&["PING"]).starts_with("-NOAUTH"));
    assert_eq!(remote.cmd_str(&["AUTH", "pw"]), "+OK\r\n");
}

#[test]
fn clients_of_deleted_users_are_disconnected() {
    let server = Server::start(&[]);
    let mut admin = server.raw();
    admin.cmd_str(&["ACL", "SETUSER", "gone", "on", ">pw", "+@all", "~*"]);
    let mut victim = server.raw();
    assert_eq!(victim.cmd_str(&["AUTH", "gone", "pw"]), "+OK\r\n");
    assert_eq!(admin.cmd_str(&["ACL", "DELUSER", "gone"]), ":1\r\n");
    assert!(victim.closed_within(2000));
    // Deleting oneself answers, then closes.
    admin.cmd_str(&["ACL", "SETUSER", "self", "on", "nopass", "+@all"]);
    admin.cmd_str(&["AUTH", "self", "x"]);
    assert_eq!(admin.cmd_str(&["ACL", "DELUSER", "self"]), ":1\r\n");
    assert!(admin.closed_within(2000));
}

#[test]
fn acl_log_records_denials_with_their_context() {
    let server = Server::start(&[]);
    let mut admin = server.raw();
    admin.cmd_str(&[
        "ACL", "SETUSER", "l", "on", ">pw", "-@all", "+get", "+multi", "+exec", "+eval", "~k*",
    ]);
    let mut c = server.raw();
    c.cmd_str(&["AUTH", "l", "wrong"]);
    c.cmd_str(&["AUTH", "l", "pw"]);
    assert!(c
        .cmd_str(&["SET", "k", "v"])
        .starts_with("-NOPERM this user has no permissions to run the 'set' command"));
    assert!(c
        .cmd_str(&["GET", "x"])
        .starts_with("-NOPERM this user has no permissions to access one of the keys"));
    c.cmd_str(&["MULTI"]);
    c.cmd_str(&["INCR", "k"]);
    c.cmd_str(&["EXEC"]);
    c.cmd_str(&["EVAL", "return redis.call('get','x')", "0"]);
    let log = admin.cmd_str(&["ACL", "LOG"]);
    let fields: Vec<&str> = log.split("\r\n").collect();
    // Each field is `$len name $len value`.
    let after = |name: &str| -> Vec<String> {
        fields
            .windows(4)
            .filter(|w| w[1] == name)
            .map(|w| w[3].to_string())
            .collect()
    };
    assert_eq!(
        after("reason"),
        ["key", "command", "key", "command", "auth"]
    );
    assert_eq!(
        after("context"),
        ["lua", "multi", "toplevel", "toplevel", "toplevel"]
    );
    assert_eq!(after("object"), ["x", "incr", "x", "set", "AUTH"]);
    assert!(log.contains("user=l "), "{log}");
    assert_eq!(admin.cmd_str(&["ACL", "LOG", "RESET"]), "+OK\r\n");
    assert_eq!(admin.cmd_str(&["ACL", "LOG"]), "*0\r\n");
}

#[test]
fn users_from_config_and_acl_file() {
    let dir = scratch_dir("aclfile");
    std::fs::write(
        dir.join("users.acl"),
        "user default on nopass ~* &* +@all\nuser ro on >pw ~* -@all +get (+set ~w*)\n",
    )
    .unwrap();
    let server = Server::start_in(&dir, &["--aclfile", "users.acl"]);
    let mut c = server.raw();
    assert_eq!(c.cmd_str(&["AUTH", "ro", "pw"]), "+OK\r\n");
    assert!(c.cmd_str(&["SET", "x", "v"]).starts_with("-NOPERM"));
    assert_eq!(c.cmd_str(&["SET", "w1", "v"]), "+OK\r\n");
    let mut admin = server.raw();
    admin.cmd_str(&["ACL", "SETUSER", "new", "on", "nopass", "+ping"]);
    assert_eq!(admin.cmd_str(&["ACL", "SAVE"]), "+OK\r\n");
    let saved = std::fs::read_to_string(dir.join("users.acl")).unwrap();
    assert!(
        saved.contains("user new on nopass resetchannels -@all +ping\n"),
        "{saved}"
    );
    assert!(saved.contains("(~w* resetchannels -@all +set)"), "{saved}");
    // ACL LOAD replaces the users and disconnects the clients of the old ones.
    std::fs::write(dir.join("users.acl"), "user other on nopass +@all\n").unwrap();
    assert_eq!(admin.cmd_str(&["ACL", "LOAD"]), "+OK\r\n");
    assert!(c.closed_within(2000));
    assert_eq!(
        admin.cmd_str(&["ACL", "USERS"]),
        "*2\r\n$7\r\ndefault\r\n$5\r\nother\r\n"
    );
    std::fs::write(dir.join("users.acl"), "user a on\nuser a off\nnope\n").unwrap();
    let err = admin.cmd_str(&["ACL", "LOAD"]);
    assert!(
        err.contains("Duplicate user 'a' found on line 2")
            && err.contains("users.acl:3 should start with user keyword"),
        "{err}"
    );

    // `user` directives; and both sources at once are refused, as in Redis.
    let server = Server::start(&[
        "--user", "cfg", "on", ">pw", "+@all", "~*", "--user", "default", "off",
    ]);
    let mut c = server.raw();
    assert!(c.cmd_str(&["PING"]).starts_with("-NOAUTH"));
    assert_eq!(c.cmd_str(&["AUTH", "cfg", "pw"]), "+OK\r\n");
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_redust"))
        .args(["--port", "0", "--user", "foo", "--user", "foo"])
        .output()
        .unwrap();
    assert!(!out.status.success());
    let text = [out.stdout, out.stderr].concat();
    assert!(String::from_utf8_lossy(&text).contains("Duplicate user"));
}
