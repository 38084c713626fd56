//! Scripts past busy-reply-threshold: other clients (connected before or during the
//! script, their commands sent at the same time as it) get -BUSY, SCRIPT KILL / FUNCTION
//! KILL stop a script that has not written, even one that catches the error with pcall,
//! UNKILLABLE protects one that wrote, SHUTDOWN NOSAVE stops the server. Each reply is the
//! text redis-server gives.

mod common;

use std::time::{Duration, Instant};

use common::{Raw, Server};

/// Sends PING until it is refused with BUSY (the script passed the threshold).
fn wait_busy(c: &mut Raw) -> String {
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        let r = c.cmd_str(&["PING"]);
        if r.starts_with("-BUSY") || Instant::now() > deadline {
            return r;
        }
        std::thread::sleep(Duration::from_millis(20));
    }
}

const BUSY_EVAL: &str =
    "-BUSY Redis is busy running a script. You can only call SCRIPT KILL or SHUTDOWN NOSAVE.\r\n";
const BUSY_FUNCTION: &str =
    "-BUSY Redis is busy running a script. You can only call FUNCTION KILL or SHUTDOWN NOSAVE.\r\n";

#[test]
fn script_kill_and_busy_replies() {
    let server = Server::start(&["--busy-reply-threshold", "50"]);
    let mut other = Raw::connect(server.port);
    let mut runner = Raw::connect(server.port);
    runner.send_cmd(&[b"EVAL", b"while true do end", b"0"]);
    assert_eq!(wait_busy(&mut other), BUSY_EVAL);
    // A client that connects while the script runs is served too.
    let mut late = Raw::connect(server.port);
    assert_eq!(wait_busy(&mut late), BUSY_EVAL);
    assert_eq!(other.cmd_str(&["FUNCTION", "KILL"]), BUSY_EVAL);
    assert_eq!(other.cmd_str(&["FUNCTION", "STATS"]), BUSY_EVAL);
    assert_eq!(other.cmd_str(&["SHUTDOWN"]), BUSY_EVAL);
    assert_eq!(other.cmd_str(&["SCRIPT", "KILL"]), "+OK\r\n");
    let reply = String::from_utf8_lossy(&runner.reply()).into_owned();
    assert!(
        reply.starts_with("-ERR Script killed by user with SCRIPT KILL... script: "),
        "{reply}"
    );
    assert_eq!(other.cmd_str(&["PING"]), "+PONG\r\n");
    assert_eq!(
        other.cmd_str(&["SCRIPT", "KILL"]),
        "-NOTBUSY No scripts in execution right now.\r\n"
    );

    // pcall cannot keep a killed script alive.
    runner.send_cmd(&[
        b"EVAL",
        b"local f = function() while 1 do redis.call('ping') end end while 1 do pcall(f) end",
        b"0",
    ]);
    assert_eq!(wait_busy(&mut other), BUSY_EVAL);
    assert_eq!(other.cmd_str(&["SCRIPT", "KILL"]), "+OK\r\n");
    assert!(String::from_utf8_lossy(&runner.reply()).contains("Script killed by user"));

    // A function is stopped by FUNCTION KILL, not SCRIPT KILL.
    let lib = "#!lua name=busy\nredis.register_function('spin', function() while true do end end)";
    assert_eq!(other.cmd_str(&["FUNCTION", "LOAD", lib]), "$4\r\nbusy\r\n");
    runner.send_cmd(&[b"FCALL", b"spin", b"0"]);
    assert_eq!(wait_busy(&mut other), BUSY_FUNCTION);
    assert_eq!(other.cmd_str(&["SCRIPT", "KILL"]), BUSY_FUNCTION);
    let stats = other.cmd_str(&["FUNCTION", "STATS"]);
    assert!(
        stats.contains("$4\r\nspin\r\n") && stats.contains("duration_ms"),
        "{stats}"
    );
    assert_eq!(other.cmd_str(&["FUNCTION", "KILL"]), "+OK\r\n");
    assert!(String::from_utf8_lossy(&runner.reply()).contains("Script killed by user"));

    // A script that wrote cannot be killed; SHUTDOWN NOSAVE stops the server.
    runner.send_cmd(&[
        b"EVAL",
        b"redis.call('set', 'k', 'v') while true do end",
        b"0",
    ]);
    assert_eq!(wait_busy(&mut other), BUSY_EVAL);
    assert!(other
        .cmd_str(&["SCRIPT", "KILL"])
        .starts_with("-UNKILLABLE Sorry the script already executed write commands"));
    other.send_cmd(&[b"SHUTDOWN", b"NOSAVE"]);
    let mut server = server;
    assert!(
        server.wait_exit(10).is_some(),
        "SHUTDOWN NOSAVE stops a busy server"
    );
}
