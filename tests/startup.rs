//! Process start-up, end to end with the real binary: what tools and Redis's own test suite
//! rely on when they start redis-server (daemonize, pid file, version line, include,
//! stdin, the log lines they wait for, the fatal config error).

mod common;

use std::io::Write;
use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::time::{Duration, Instant};

use common::{scratch_dir, Raw, Server};

const BIN: &str = env!("CARGO_BIN_EXE_redust");

/// Starts redust in `dir` as Redis's test suite starts a server: stdout and stderr
/// appended to files there, stdin fed `stdin`.
fn spawn(dir: &Path, args: &[&str], stdin: &str) -> Child {
    let out = std::fs::File::create(dir.join("stdout")).unwrap();
    let err = std::fs::File::create(dir.join("stderr")).unwrap();
    let mut child = Command::new(BIN)
        .args(args)
        .current_dir(dir)
        .stdin(Stdio::piped())
        .stdout(out)
        .stderr(err)
        .spawn()
        .unwrap();
    let mut input = child.stdin.take().unwrap();
    input.write_all(stdin.as_bytes()).unwrap();
    child
}

fn read(path: impl AsRef<Path>) -> String {
    std::fs::read_to_string(path).unwrap_or_default()
}

/// Waits for the "port=<n>," part of the start-up line in `log` and returns the port.
fn wait_port(child: &mut Child, log: &Path) -> u16 {
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        let text = read(log);
        if let Some(port) = text
            .split("port=")
            .nth(1)
            .and_then(|rest| rest.split(',').next())
            .and_then(|p| p.parse().ok())
        {
            return port;
        }
        assert!(
            matches!(child.try_wait(), Ok(None)),
            "redust exited at start:\n{text}"
        );
        assert!(Instant::now() < deadline, "redust did not start:\n{text}");
        std::thread::sleep(Duration::from_millis(10));
    }
}

fn run(args: &[&str]) -> Output {
    Command::new(BIN)
        .args(args)
        .stdin(Stdio::null())
        .output()
        .unwrap()
}

fn config_get(raw: &mut Raw, name: &str) -> String {
    let reply = raw.cmd_str(&["CONFIG", "GET", name]);
    reply.split("\r\n").nth(4).unwrap_or_default().to_string()
}

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

fn answers_ping(port: u16) -> bool {
    let Ok(mut s) = std::net::TcpStream::connect(("127.0.0.1", port)) else {
        return false;
    };
    let _ = s.set_read_timeout(Some(Duration::from_secs(2)));
    let mut buf = [0u8; 7];
    s.write_all(b"PING\r\n").is_ok()
        && std::io::Read::read(&mut s, &mut buf).is_ok_and(|n| &buf[..n] == b"+PONG\r\n")
}

/// Whether process `pid` has exited (a zombie nobody reaped counts as exited).
fn gone(pid: u32) -> bool {
    match std::fs::read_to_string(format!("/proc/{pid}/stat")) {
        Err(_) => true,
        Ok(stat) => stat
            .rsplit(')')
            .next()
            .is_some_and(|rest| rest.trim_start().starts_with('Z')),
    }
}

fn wait_until(what: &str, mut done: impl FnMut() -> bool) {
    let deadline = Instant::now() + Duration::from_secs(20);
    while !done() {
        assert!(Instant::now() < deadline, "timed out waiting: {what}");
        std::thread::sleep(Duration::from_millis(20));
    }
}

#[test]
fn daemonize_returns_at_once_and_the_daemon_serves_until_sigterm() {
    // The port is picked before the start; another process may take it first, so a start
    // that could not listen is retried on another.
    for _ in 0..5 {
        let dir = scratch_dir("daemon");
        let pidfile = dir.join("redust.pid");
        let logfile = dir.join("redust.log");
        let port = free_port().to_string();
        let started = Instant::now();
        let out = run(&[
            "--port",
            &port,
            "--save",
            "",
            "--dir",
            dir.to_str().unwrap(),
            "--daemonize",
            "yes",
            "--pidfile",
            pidfile.to_str().unwrap(),
            "--logfile",
            logfile.to_str().unwrap(),
        ]);
        // The parent leaves as soon as it forked: status 0, nothing printed.
        assert!(out.status.success(), "{out:?}");
        assert!(out.stdout.is_empty() && out.stderr.is_empty(), "{out:?}");
        assert!(started.elapsed() < Duration::from_secs(5));
        let port: u16 = port.parse().unwrap();
        wait_until("the daemon answers or fails", || {
            answers_ping(port) || read(&logfile).contains("Failed listening")
        });
        if read(&logfile).contains("Failed listening") {
            continue;
        }
        let pid: u32 = read(&pidfile)
            .trim()
            .parse()
            .expect("a pid in the pid file");
        assert_eq!(read(&pidfile), format!("{pid}\n"));
        let mut raw = Raw::connect(port);
        assert!(raw
            .cmd_str(&["INFO", "server"])
            .contains(&format!("process_id:{pid}\r\n")));
        // Detached: a session of its own, the standard streams on /dev/null.
        let stat = read(format!("/proc/{pid}/stat"));
        let fields: Vec<&str> = stat
            .rsplit(')')
            .next()
            .unwrap()
            .split_whitespace()
            .collect();
        assert_eq!(fields[3], pid.to_string(), "session id: {stat}");
        for fd in 0..3 {
            let target = std::fs::read_link(format!("/proc/{pid}/fd/{fd}")).unwrap();
            assert_eq!(target, PathBuf::from("/dev/null"));
        }
        drop(raw);
        Command::new("kill")
            .args(["-TERM", &pid.to_string()])
            .status()
            .unwrap();
        wait_until("the daemon exits", || gone(pid));
        assert!(!pidfile.exists(), "SIGTERM removes the pid file");
        let log = read(&logfile);
        assert!(log.contains(&format!(" PID: {pid}")), "{log}");
        assert!(log.contains("Removing the pid file."), "{log}");
        return;
    }
    panic!("no free port for the daemon after 5 tries");
}

#[test]
fn pidfile_without_daemonize_is_written_and_removed_at_clean_exit() {
    let dir = scratch_dir("pidfile");
    // Relative to `dir`, as in Redis.
    let mut ours = Server::start_in(&dir, &["--pidfile", "my.pid"]);
    let pidfile = dir.join("my.pid");
    assert_eq!(read(&pidfile), format!("{}\n", ours.child.id()));
    // Redis 7.0 sets these at start only.
    let mut raw = ours.raw();
    assert!(raw
        .cmd_str(&["CONFIG", "SET", "pidfile", "x"])
        .contains("immutable"));
    ours.signal("TERM");
    assert!(ours.wait_exit(10).expect("exit").success());
    assert!(!pidfile.exists());

    // SHUTDOWN is a clean exit too; an unwritable pid file is logged, not fatal.
    let mut ours = Server::start_in(&dir, &["--pidfile", "/nonexistent-dir/x.pid"]);
    let mut raw = ours.raw();
    raw.send(&common::encode_words(&["SHUTDOWN", "NOSAVE"]));
    assert!(ours.wait_exit(10).expect("exit").success());
    assert!(
        ours.log()
            .contains("Failed to write PID file: No such file or directory"),
        "{}",
        ours.log()
    );
}

#[test]
fn version_help_and_refused_modes() {
    for flag in ["--version", "-v"] {
        let out = run(&[flag]);
        assert!(out.status.success());
        let line = String::from_utf8(out.stdout).unwrap();
        // redis-server's shape, which scripts split on spaces and `=`.
        let words: Vec<&str> = line.trim_end_matches('\n').split(' ').collect();
        assert_eq!(words.len(), 7, "{line:?}");
        assert_eq!(words[..2], ["redust", "server"]);
        assert_eq!(words[2], "v=7.0.15");
        let sha = words[3].strip_prefix("sha=").unwrap();
        let (hex, dirty) = sha.split_once(':').unwrap();
        assert!(hex.len() == 8 && hex.bytes().all(|b| b.is_ascii_hexdigit()));
        assert!(dirty == "0" || dirty == "1");
        assert!(words[4].starts_with("malloc=") && words[4].len() > 7);
        assert_eq!(words[5], "bits=64");
        assert!(words[6].starts_with("build="), "{line:?}");
        assert!(line.ends_with('\n') && line.lines().count() == 1);
    }
    // --help: usage on stderr, status 1, as redis-server.
    let out = run(&["--help"]);
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stderr).starts_with("Usage: "));
    for args in [
        &["--test-memory", "1"][..],
        &["--test-memory"],
        &["--check-system"],
    ] {
        let out = run(args);
        assert_eq!(out.status.code(), Some(1), "{args:?}");
        assert!(out.stdout.is_empty());
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(err.contains(args[0]), "{err}");
    }
}

#[test]
fn include_applies_a_second_file_and_arguments_win() {
    let dir = scratch_dir("include");
    std::fs::create_dir_all(dir.join("conf.d")).unwrap();
    std::fs::write(
        dir.join("main.conf"),
        "timeout 5\nsave 900 1\ninclude extra.conf\ninclude conf.d/*.conf\n",
    )
    .unwrap();
    std::fs::write(dir.join("extra.conf"), "hz 42\ntimeout 6\nmaxclients 77\n").unwrap();
    std::fs::write(
        dir.join("conf.d/1.conf"),
        "slowlog-max-len 11\nsave 300 3\n",
    )
    .unwrap();
    // Relative paths in include are relative to the working directory, as in Redis.
    let ours = Server::start_in(&dir, &["main.conf", "--maxclients", "88", "--save", "60 1"]);
    let mut raw = ours.raw();
    assert_eq!(config_get(&mut raw, "hz"), "42");
    assert_eq!(config_get(&mut raw, "timeout"), "6");
    assert_eq!(config_get(&mut raw, "slowlog-max-len"), "11");
    assert_eq!(config_get(&mut raw, "maxclients"), "88");
    // One load: the first save line replaces the defaults, the others add.
    assert_eq!(config_get(&mut raw, "save"), "900 1 300 3 60 1");
}

#[test]
fn config_from_stdin_first_or_last() {
    let dir = scratch_dir("stdin");
    let mut child = spawn(
        &dir,
        &["-", "--port", "0", "--save", ""],
        "hz 33\ntimeout 4\n",
    );
    let port = wait_port(&mut child, &dir.join("stdout"));
    let mut raw = Raw::connect(port);
    assert_eq!(config_get(&mut raw, "hz"), "33");
    assert_eq!(config_get(&mut raw, "timeout"), "4");
    let _ = child.kill();
    let _ = child.wait();

    // A file, options, then `-`: stdin comes after the file, the options after both.
    std::fs::write(dir.join("r.conf"), "hz 20\ntimeout 9\n").unwrap();
    let mut child = spawn(
        &dir,
        &["r.conf", "--port", "0", "--save", "", "--hz", "25", "-"],
        "hz 30\ntimeout 8\nmaxclients 99\n",
    );
    let port = wait_port(&mut child, &dir.join("stdout"));
    let mut raw = Raw::connect(port);
    assert_eq!(config_get(&mut raw, "hz"), "25");
    assert_eq!(config_get(&mut raw, "timeout"), "8");
    assert_eq!(config_get(&mut raw, "maxclients"), "99");
    let _ = child.kill();
    let _ = child.wait();
}

#[test]
fn the_log_lines_redis_test_suite_waits_for_are_on_stdout() {
    let dir = scratch_dir("loglines");
    let mut child = spawn(&dir, &["--port", "0", "--save", ""], "");
    let port = wait_port(&mut child, &dir.join("stdout"));
    wait_until("Ready to accept", || {
        read(dir.join("stdout")).contains("Ready to accept connections")
    });
    let out = read(dir.join("stdout"));
    let pid_at = out
        .find(&format!(" PID: {}", child.id()))
        .unwrap_or_else(|| panic!("no PID line:\n{out}"));
    assert!(pid_at < out.find("Ready to accept connections").unwrap());
    assert!(answers_ping(port));
    let _ = child.kill();
    let _ = child.wait();

    // A port in use: "Failed listening on port" (the suite then retries another port).
    let taken = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = taken.local_addr().unwrap().port().to_string();
    let mut child = spawn(
        &dir,
        &["--port", &port, "--save", "", "--bind", "127.0.0.1"],
        "",
    );
    let status = child.wait().unwrap();
    assert_eq!(status.code(), Some(1));
    let out = read(dir.join("stdout"));
    assert!(
        out.contains(&format!("Failed listening on port {port} (TCP), aborting.")),
        "{out}"
    );
    assert!(!out.contains(" PID: "), "{out}");
}

#[test]
fn bad_directives_fail_with_redis_message() {
    let dir = scratch_dir("badinclude");
    std::fs::write(dir.join("inner.conf"), "hz 5\nnosuch-directive 1\n").unwrap();
    std::fs::write(dir.join("outer.conf"), "port 7000\ninclude inner.conf\n").unwrap();
    let expect = |out: &Output, source: &str, line: usize, text: &str, reason: &str| {
        assert_eq!(out.status.code(), Some(1), "{out:?}");
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(err.contains("*** FATAL CONFIG FILE ERROR ("), "{err}");
        assert!(
            err.contains(&format!(
                "Reading the configuration file {source}, at line {line}\n"
            )),
            "{err}"
        );
        assert!(err.contains(&format!(">>> '{text}'\n{reason}")), "{err}");
    };
    let in_dir = |args: &[&str], stdin: &str| {
        let mut child = spawn(&dir, args, stdin);
        Output {
            status: child.wait().unwrap(),
            stdout: std::fs::read(dir.join("stdout")).unwrap(),
            stderr: std::fs::read(dir.join("stderr")).unwrap(),
        }
    };
    // In an included file: that file and its line.
    expect(
        &in_dir(&["outer.conf"], ""),
        "inner.conf",
        2,
        "nosuch-directive 1",
        "Bad directive or wrong number of arguments",
    );
    expect(
        &in_dir(&["-"], "port 1\nport 2 3\n"),
        "from stdin",
        2,
        "port 2 3",
        "wrong number of arguments",
    );
    expect(
        &in_dir(&["--hz", "5", "--no-such", "x"], ""),
        "from the command line",
        2,
        "no-such \"x\"",
        "Bad directive or wrong number of arguments",
    );
    expect(
        &in_dir(&["--port"], ""),
        "from the command line",
        1,
        "port",
        "wrong number of arguments",
    );
    let out = in_dir(&["missing.conf"], "");
    assert_eq!(out.status.code(), Some(1));
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(
        err.trim_end(),
        format!(
            "Fatal error, can't open config file '{}': No such file or directory",
            std::fs::canonicalize(&dir)
                .unwrap()
                .join("missing.conf")
                .display()
        )
    );
}

#[test]
fn argument_rules_match_redis_server() {
    // A value may start with `--` right after its name; `--save` before another option
    // means `save ""`; save lines after the first add rules.
    let args = [
        "--dbfilename",
        "--odd.rdb",
        "--maxclients 50",
        "--save",
        "--slowlog-max-len",
        "3",
        "--save",
        "100 10",
        "--save",
        "200 20",
    ];
    let redis = Server::start_redis(&args);
    let ours = Server::start(&args);
    for name in ["dbfilename", "maxclients", "save", "slowlog-max-len"] {
        assert_eq!(
            config_get(&mut ours.raw(), name),
            config_get(&mut redis.raw(), name),
            "{name}"
        );
    }
    assert_eq!(config_get(&mut ours.raw(), "dbfilename"), "--odd.rdb");
    assert_eq!(config_get(&mut ours.raw(), "save"), "100 10 200 20");
}
