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

/// A client whose pipeline is longer than one read (64 KB) yields its turn after each
/// read so its replies go out first; while a script is busy its later reads must still
/// come, or a SCRIPT KILL at the end of its pipeline would never be seen.
#[test]
fn script_kill_behind_a_long_pipeline() {
    use std::io::{Read, Write};
    let server = Server::start(&["--busy-reply-threshold", "50"]);
    let mut other = Raw::connect(server.port);
    let mut runner = Raw::connect(server.port);
    runner.send_cmd(&[b"EVAL", b"while true do end", b"0"]);
    assert_eq!(wait_busy(&mut other), BUSY_EVAL);

    let pings = 20_000;
    let mut pipeline = b"*1\r\n$4\r\nPING\r\n".repeat(pings);
    pipeline.extend_from_slice(b"*2\r\n$6\r\nSCRIPT\r\n$4\r\nKILL\r\n");
    let mut stream = std::net::TcpStream::connect(("127.0.0.1", server.port)).unwrap();
    stream
        .set_read_timeout(Some(Duration::from_secs(20)))
        .unwrap();
    let mut writer = stream.try_clone().unwrap();
    let sender = std::thread::spawn(move || writer.write_all(&pipeline).unwrap());
    let expected = BUSY_EVAL.len() * pings + "+OK\r\n".len();
    let mut got = Vec::new();
    let mut buf = [0u8; 65536];
    while got.len() < expected {
        let n = stream
            .read(&mut buf)
            .expect("every reply, then SCRIPT KILL's");
        assert!(n > 0, "closed after {} bytes", got.len());
        got.extend_from_slice(&buf[..n]);
    }
    sender.join().unwrap();
    assert!(got.starts_with(BUSY_EVAL.as_bytes()));
    assert!(got.ends_with(b"+OK\r\n"), "{}", got.len());
    assert!(String::from_utf8_lossy(&runner.reply()).contains("Script killed by user"));
}
