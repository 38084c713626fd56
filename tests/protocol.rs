//! The wire protocol over raw sockets: protocol errors byte for byte against redis-server
//! (reply, then the connection closes), inline commands, pipelining, binary safety.

mod common;

use std::io::Write;
use std::time::Duration;

use common::{encode_words, Raw, Server};

/// Sends `input` and returns everything the server wrote until it closed the connection
/// (or stayed silent for a moment), plus whether it closed.
fn exchange(port: u16, input: &[u8]) -> (Vec<u8>, bool) {
    let mut raw = Raw::connect(port);
    raw.send(input);
    raw.stream
        .set_read_timeout(Some(Duration::from_millis(300)))
        .unwrap();
    let mut out = Vec::new();
    let mut buf = [0u8; 65536];
    let closed = loop {
        match std::io::Read::read(&mut raw.stream, &mut buf) {
            Ok(0) => break true,
            Ok(n) => out.extend_from_slice(&buf[..n]),
            Err(e)
                if e.kind() == std::io::ErrorKind::WouldBlock
                    || e.kind() == std::io::ErrorKind::TimedOut =>
            {
                break false
            }
            Err(_) => break true,
        }
    };
    (out, closed)
}

fn hostile_inputs() -> Vec<(&'static str, Vec<u8>)> {
    let mut v: Vec<(&'static str, Vec<u8>)> = vec![
        ("bad multibulk count", b"*x\r\n".to_vec()),
        ("leading zero count", b"*01\r\n$4\r\nPING\r\n".to_vec()),
        ("count over INT_MAX", b"*2147483648\r\n".to_vec()),
        ("bad bulk length", b"*1\r\n$x\r\n".to_vec()),
        ("negative bulk length", b"*1\r\n$-1\r\n".to_vec()),
        ("bulk over 512MB", b"*1\r\n$536870913\r\n".to_vec()),
        ("nested array", b"*1\r\n*1\r\n$4\r\nPING\r\n".to_vec()),
        ("integer in request", b"*1\r\n:1\r\n".to_vec()),
        ("CR instead of dollar", b"*1\r\n\r\n".to_vec()),
        ("high byte instead of dollar", b"*1\r\n\xff\r\n".to_vec()),
        ("unbalanced double quote", b"SET \"a\r\n".to_vec()),
        ("junk after closing quote", b"SET \"a\"b c\r\n".to_vec()),
        ("unbalanced single quote", b"SET 'abc\r\n".to_vec()),
        ("empty multibulk", b"*0\r\nPING\r\n".to_vec()),
        ("negative multibulk", b"*-1\r\nPING\r\n".to_vec()),
        ("inline empty lines", b"\r\n\r\n\nPING\r\n".to_vec()),
        (
            "inline quoting",
            b"ECHO \"a\\x41\\n\\\"b\" 'c\\'d'\r\nECHO \"\\xzz\"\r\n".to_vec(),
        ),
        ("inline bare LF", b"ECHO hi\nPING\n".to_vec()),
        ("inline NUL ends the line", b"ECHO a\x00b c\r\n".to_vec()),
        (
            "bulk payload CRLF not checked",
            b"*2\r\n$4\r\nECHO\r\n$2\r\nhixx*1\r\n$4\r\nPING\r\n".to_vec(),
        ),
        (
            "binary payload",
            b"*2\r\n$4\r\nECHO\r\n$5\r\n\x00\r\n\xff\x01\r\n".to_vec(),
        ),
        (
            "replies before the error",
            b"PING\r\n*1\r\n$4\r\nPING\r\n*1\r\n*1\r\n".to_vec(),
        ),
        (
            "error mid pipeline stops it",
            b"*1\r\n$4\r\nPING\r\n*1\r\n$x\r\n*1\r\n$4\r\nPING\r\n".to_vec(),
        ),
    ];
    let mut long_inline = vec![b'a'; 70 * 1024];
    long_inline.extend_from_slice(b"\r\n");
    v.push(("too big inline request", long_inline));
    let mut long_count = b"*".to_vec();
    long_count.extend(vec![b'1'; 70 * 1024]);
    v.push(("too big mbulk count string", long_count));
    let mut long_bulk = b"*1\r\n$".to_vec();
    long_bulk.extend(vec![b'1'; 70 * 1024]);
    v.push(("too big bulk count string", long_bulk));
    v
}

#[test]
fn protocol_errors_match_redis_byte_for_byte() {
    let redis = Server::start_redis(&[]);
    let ours = Server::start(&[]);
    let mut failures = Vec::new();
    for (name, input) in hostile_inputs() {
        let want = exchange(redis.port, &input);
        let got = exchange(ours.port, &input);
        if want != got {
            failures.push(format!(
                "{name}:\n  redis:  {:?} closed={}\n  redust: {:?} closed={}",
                String::from_utf8_lossy(&want.0),
                want.1,
                String::from_utf8_lossy(&got.0),
                got.1
            ));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[test]
fn server_keeps_serving_after_protocol_errors() {
    let ours = Server::start(&[]);
    for (_, input) in hostile_inputs() {
        let _ = exchange(ours.port, &input);
    }
    let mut raw = ours.raw();
    assert_eq!(raw.cmd(&[b"PING"]), b"+PONG\r\n");
}

#[test]
fn pipelining_ten_thousand_commands_in_one_write() {
    let ours = Server::start(&[]);
    let mut raw = ours.raw();
    let mut batch = Vec::new();
    for i in 0..10_000 {
        batch.extend(encode_words(&["SET", &format!("k{i}"), &format!("v{i}")]));
        batch.extend(encode_words(&["GET", &format!("k{i}")]));
    }
    raw.send(&batch);
    for i in 0..10_000 {
        assert_eq!(raw.reply(), b"+OK\r\n");
        assert_eq!(
            raw.reply(),
            format!("${}\r\nv{i}\r\n", format!("v{i}").len()).as_bytes()
        );
    }
    assert_eq!(raw.cmd(&[b"DBSIZE"]), b":10000\r\n");
}

#[test]
fn commands_split_at_every_byte_still_parse() {
    let ours = Server::start(&[]);
    let mut raw = ours.raw();
    let cmd = encode_words(&["SET", "split-key", "a value with \r\n inside"]);
    for b in &cmd {
        raw.stream.write_all(std::slice::from_ref(b)).unwrap();
        raw.stream.flush().unwrap();
    }
    assert_eq!(raw.reply(), b"+OK\r\n");
    assert_eq!(
        raw.cmd(&[b"GET", b"split-key"]),
        b"$22\r\na value with \r\n inside\r\n"
    );
}

#[test]
fn large_values_round_trip() {
    let ours = Server::start(&[]);
    let mut raw = ours.raw();
    let value: Vec<u8> = (0..20_000_000u32).map(|i| (i % 251) as u8).collect();
    assert_eq!(raw.cmd(&[b"SET", b"big", &value]), b"+OK\r\n");
    let reply = raw.cmd(&[b"GET", b"big"]);
    let header = format!("${}\r\n", value.len());
    assert_eq!(&reply[..header.len()], header.as_bytes());
    assert_eq!(&reply[header.len()..reply.len() - 2], &value[..]);
}

#[test]
fn quit_replies_then_closes() {
    let ours = Server::start(&[]);
    let (out, closed) = exchange(ours.port, b"PING\r\nQUIT\r\nPING\r\n");
    assert_eq!(out, b"+PONG\r\n+OK\r\n");
    assert!(closed);
}

#[test]
fn declared_bulk_beyond_what_is_sent_costs_nothing() {
    let ours = Server::start(&[]);
    let before = ours.rss();
    let mut conns = Vec::new();
    for _ in 0..50 {
        let mut raw = ours.raw();
        raw.send(b"*2\r\n$3\r\nSET\r\n$536870912\r\nabc");
        conns.push(raw);
    }
    std::thread::sleep(Duration::from_millis(200));
    let mut raw = ours.raw();
    assert_eq!(raw.cmd(&[b"PING"]), b"+PONG\r\n");
    let grown = ours.rss().saturating_sub(before);
    assert!(grown < 64 * 1024 * 1024, "RSS grew by {grown} bytes");
}
