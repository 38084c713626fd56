//! client-output-buffer-limit: a subscriber that stops reading is closed once its output
//! passes its class's limit (with Redis's log line), and the publisher and everyone else go
//! on unaffected; a normal client under the same load is not limited by the pubsub class.

mod common;

use common::{encode_words, Raw, Server};

/// How many clients CLIENT LIST shows.
fn clients(conn: &mut Raw) -> usize {
    conn.cmd_str(&["CLIENT", "LIST"]).matches("id=").count()
}

#[test]
fn a_subscriber_that_stops_reading_is_closed_at_the_pubsub_hard_limit() {
    let server = Server::start(&["--client-output-buffer-limit", "pubsub 1mb 0 0"]);
    let mut sub = server.raw();
    sub.cmd_str(&["SUBSCRIBE", "news"]);
    // The subscriber reads nothing more; its socket buffer and then its output fill.
    let mut publisher = server.raw();
    let payload = "x".repeat(4096);
    let mut batch = Vec::new();
    for _ in 0..64 {
        batch.extend(encode_words(&["PUBLISH", "news", &payload]));
    }
    let mut closed = false;
    for _ in 0..400 {
        publisher.send(&batch);
        for _ in 0..64 {
            publisher.reply();
        }
        if clients(&mut publisher) == 1 {
            closed = true;
            break;
        }
    }
    assert!(closed, "the subscriber was never closed");
    assert!(
        server
            .log()
            .contains("scheduled to be closed ASAP for overcoming of output buffer limits"),
        "{}",
        server.log()
    );
    // The publisher, and a newcomer, are served as before.
    assert_eq!(publisher.cmd_str(&["PUBLISH", "news", "late"]), ":0\r\n");
    assert_eq!(server.raw().cmd_str(&["PING"]), "+PONG\r\n");
}

#[test]
fn the_soft_limit_closes_only_after_its_seconds() {
    let server = Server::start(&["--client-output-buffer-limit", "pubsub 0 256kb 1"]);
    let mut sub = server.raw();
    sub.cmd_str(&["SUBSCRIBE", "news"]);
    let mut publisher = server.raw();
    // Large messages: the kernel's socket buffers (several MB on loopback) fill first,
    // and only then does the server's output grow past the soft limit.
    let payload = "x".repeat(64 * 1024);
    let started = std::time::Instant::now();
    let mut closed_after = None;
    while started.elapsed() < std::time::Duration::from_secs(15) {
        publisher.cmd_str(&["PUBLISH", "news", &payload]);
        if clients(&mut publisher) == 1 {
            closed_after = Some(started.elapsed());
            break;
        }
        std::thread::sleep(std::time::Duration::from_millis(5));
    }
    let after = closed_after.expect("the subscriber was never closed");
    assert!(
        after >= std::time::Duration::from_secs(1),
        "closed after {after:?}"
    );
}
