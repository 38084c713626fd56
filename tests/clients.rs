//! Real clients: the `redis` crate (RESP2 and RESP3) and redis-cli.

mod common;

use std::process::Command;
use std::time::Duration;

use common::{redis_cli, Server};

#[test]
fn redis_crate_basic_round_trips() {
    let ours = Server::start(&[]);
    let mut c = ours.client();
    let _: () = redis::cmd("SET")
        .arg("greeting")
        .arg("hello")
        .query(&mut c)
        .unwrap();
    let v: String = redis::cmd("GET").arg("greeting").query(&mut c).unwrap();
    assert_eq!(v, "hello");
    let missing: Option<String> = redis::cmd("GET").arg("nope").query(&mut c).unwrap();
    assert_eq!(missing, None);
    let n: i64 = redis::cmd("DEL")
        .arg("greeting")
        .arg("nope")
        .query(&mut c)
        .unwrap();
    assert_eq!(n, 1);
    let pong: String = redis::cmd("PING").query(&mut c).unwrap();
    assert_eq!(pong, "PONG");
    let _: () = redis::cmd("SELECT").arg(2).query(&mut c).unwrap();
    let _: () = redis::cmd("SET").arg("in2").arg("x").query(&mut c).unwrap();
    let size: i64 = redis::cmd("DBSIZE").query(&mut c).unwrap();
    assert_eq!(size, 1);
    let err = redis::cmd("SELECT")
        .arg(99)
        .query::<()>(&mut c)
        .unwrap_err();
    assert!(
        err.to_string().contains("DB index is out of range"),
        "{err}"
    );
}

#[test]
fn redis_crate_resp3_connection() {
    let ours = Server::start(&[]);
    let client =
        redis::Client::open(format!("redis://127.0.0.1:{}/?protocol=resp3", ours.port)).unwrap();
    let mut c = client.get_connection().unwrap();
    let _: () = redis::cmd("SET").arg("k").arg("v").query(&mut c).unwrap();
    let v: String = redis::cmd("GET").arg("k").query(&mut c).unwrap();
    assert_eq!(v, "v");
    let cfg: std::collections::HashMap<String, String> = redis::cmd("CONFIG")
        .arg("GET")
        .arg("maxmemory-policy")
        .query(&mut c)
        .unwrap();
    assert_eq!(cfg["maxmemory-policy"], "noeviction");
}

#[test]
fn redis_crate_pipeline() {
    let ours = Server::start(&[]);
    let mut c = ours.client();
    let mut p = redis::pipe();
    for i in 0..1000 {
        p.cmd("SET").arg(format!("p{i}")).arg(i).ignore();
    }
    p.cmd("DBSIZE");
    let (n,): (i64,) = p.query(&mut c).unwrap();
    assert_eq!(n, 1000);
}

#[test]
fn client_setinfo_as_go_redis_sends_it() {
    let ours = Server::start(&[]);
    let mut raw = ours.raw();
    assert!(raw.cmd_str(&["HELLO", "3"]).starts_with("%7\r\n"));
    assert_eq!(
        raw.cmd_str(&["CLIENT", "SETINFO", "LIB-NAME", "go-redis(,go1.22)"]),
        "+OK\r\n"
    );
    assert_eq!(
        raw.cmd_str(&["CLIENT", "SETINFO", "LIB-VER", "9.5.1"]),
        "+OK\r\n"
    );
    assert_eq!(
        raw.cmd_str(&["CLIENT", "SETINFO", "LIB-FOO", "x"]),
        "-ERR Unrecognized option 'LIB-FOO'\r\n"
    );
}

#[test]
fn redis_cli_pipe_hundred_thousand_commands() {
    let ours = Server::start(&[]);
    let mut input = Vec::new();
    for i in 0..100_000 {
        input.extend_from_slice(&common::encode_words(&[
            "SET",
            &format!("key:{i}"),
            "value",
        ]));
    }
    let (ok, out) = redis_cli(ours.port, &["--pipe"], &input);
    assert!(ok, "{out}");
    assert!(out.contains("errors: 0, replies: 100000"), "{out}");
    let mut raw = ours.raw();
    assert_eq!(raw.cmd(&[b"DBSIZE"]), b":100000\r\n");
}

#[test]
fn redis_cli_one_shot_commands() {
    let ours = Server::start(&[]);
    let (_, out) = redis_cli(ours.port, &["SET", "a", "1"], b"");
    assert_eq!(out.trim(), "OK");
    let (_, out) = redis_cli(ours.port, &["--no-raw", "GET", "a"], b"");
    assert_eq!(out.trim(), "\"1\"");
    let (_, out) = redis_cli(ours.port, &["INFO", "server"], b"");
    assert!(out.contains("redis_version:7.0.15"), "{out}");
    let (_, out) = redis_cli(ours.port, &["-3", "HELLO", "3"], b"");
    assert!(out.contains("proto"), "{out}");
}

/// tmux on a server of this test process's own, so parallel runs cannot collide.
fn tmux() -> Command {
    let mut c = Command::new("tmux");
    c.args(["-L", &format!("redust-tests-{}", std::process::id())]);
    c
}

fn capture(session: &str) -> String {
    let out = tmux()
        .args(["capture-pane", "-p", "-t", session])
        .output()
        .unwrap();
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// Polls the pane until `done` holds (or 5 s pass); returns the last screen.
fn wait_screen(session: &str, done: impl Fn(&str) -> bool) -> String {
    let deadline = std::time::Instant::now() + Duration::from_secs(5);
    loop {
        let screen = capture(session);
        if done(&screen) || std::time::Instant::now() > deadline {
            return screen;
        }
        std::thread::sleep(Duration::from_millis(50));
    }
}

/// Runs redis-cli interactively in tmux, types `typed`, and returns the screen once the
/// hint has been drawn after it.
fn tmux_screen(port: u16, typed: &str) -> String {
    static NEXT: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);
    let n = NEXT.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
    let session = format!("redust-hints-{}-{}-{}", std::process::id(), port, n);
    // Starting the tmux server can fail transiently on a loaded machine: try again.
    let mut last_error = String::new();
    let started = (0..5).any(|attempt| {
        if attempt > 0 {
            std::thread::sleep(Duration::from_millis(200));
        }
        let out = tmux()
            .args(["new-session", "-d", "-s", &session, "-x", "200", "-y", "20"])
            .arg(format!("redis-cli -p {port}"))
            .output()
            .expect("tmux must be installed");
        last_error = String::from_utf8_lossy(&out.stderr).into_owned();
        out.status.success()
    });
    assert!(started, "tmux new-session failed: {last_error}");
    let prompt = format!("127.0.0.1:{port}> ");
    // capture-pane trims trailing spaces.
    wait_screen(&session, |s| s.contains(prompt.trim_end()));
    tmux()
        .args(["send-keys", "-t", &session, "-l", typed])
        .status()
        .unwrap();
    let typed_line = format!("{prompt}{typed}");
    let screen = wait_screen(&session, |s| {
        s.lines()
            .any(|l| l.starts_with(&typed_line) && l.trim_end().len() > typed_line.trim_end().len())
    });
    let _ = tmux().args(["kill-session", "-t", &session]).status();
    screen
}

/// The hint line redis-cli shows after `typed`, without the prompt.
fn hint(port: u16, typed: &str) -> String {
    let screen = tmux_screen(port, typed);
    let line = screen
        .lines()
        .find(|l| l.contains("> "))
        .unwrap_or("")
        .to_string();
    line.split_once("> ")
        .map(|(_, h)| h.trim_end().to_string())
        .unwrap_or_default()
}

#[test]
fn redis_cli_shows_the_same_hints_as_with_redis() {
    let redis = Server::start_redis(&[]);
    let ours = Server::start(&[]);
    let set = hint(ours.port, "set ");
    assert!(
        set.starts_with("set key value [NX|XX] [GET] [EX seconds|PX milliseconds"),
        "no hint: {set:?}"
    );
    for typed in [
        "set ",
        "client kill ",
        "config get ",
        "hello ",
        "command getkeys ",
    ] {
        assert_eq!(
            hint(ours.port, typed),
            hint(redis.port, typed),
            "hint for {typed:?}"
        );
    }
}
