//! Multi-client scenarios played against redis-server and redust: each step's reply (or
//! a piece of INFO) goes into a transcript, and the two transcripts must be equal.

use std::time::{Duration, Instant};

use super::diff::word;
use super::{encode, Raw, Server};

/// One step of a multi-client scenario. Clients are numbered from 1.
pub enum Step {
    /// Send a command and read its reply now.
    Call(usize, &'static str),
    /// Send a command that blocks, and wait until the server has the client blocked.
    Block(usize, &'static str),
    /// Send commands in one write without reading (a pipeline behind a blocking command).
    Pipeline(usize, &'static [&'static str]),
    /// Read the next reply of a client (served, timed out or unblocked).
    Read(usize),
    /// Close a client's connection.
    Close(usize),
    /// CLIENT UNBLOCK the client, with an optional TIMEOUT / ERROR, from the controller.
    Unblock(usize, &'static str),
    /// Record the blocked_clients line of INFO clients.
    BlockedClients,
    /// Record calls and failed_calls of a command's commandstats (not its time).
    Calls(&'static str),
    /// Let this many milliseconds pass (for deadlines and expiry).
    Sleep(u64),
    /// [`Call`] whose reply names clients by CLIENT ID: each connected client's id is
    /// written `$IDn` in the transcript (the two servers number connections differently).
    CallIds(usize, &'static str),
    /// [`Read`] with ids written `$IDn`, as [`CallIds`].
    ReadIds(usize),
    /// Read a client's next reply, recording only that it came (its content is random).
    Skip(usize),
    /// Record a line of INFO: the section and the field's prefix.
    Info(&'static str, &'static str),
    /// Record the `flags=` and `redir=` fields of a client's CLIENT LIST line, with ids
    /// written `$IDn`.
    ListFields(usize),
}

use Step::*;

fn words(line: &str) -> Vec<Vec<u8>> {
    line.split(' ').map(word).collect()
}

/// A command line with each `$IDn` word replaced by client n's CLIENT ID.
fn with_ids(line: &str, ids: &[(usize, String)]) -> String {
    line.split(' ')
        .map(|w| {
            w.strip_prefix("$ID")
                .and_then(|n| n.parse::<usize>().ok())
                .and_then(|n| ids.iter().find(|(m, _)| *m == n))
                .map_or(w.to_string(), |(_, id)| id.clone())
        })
        .collect::<Vec<_>>()
        .join(" ")
}

/// The reply with each client id written `:$IDn`: a reply that is only an id (CLIENT
/// ID, GETREDIR), and ids after the names that introduce them (HELLO's `id`,
/// TRACKINGINFO's `redirect`, the `tracking-redir-broken` push). Other integers stay as
/// they are, even when one happens to equal an id.
fn ids_named(reply: &[u8], ids: &[(usize, String)]) -> String {
    let mut text = String::from_utf8_lossy(reply).into_owned();
    for (n, id) in ids {
        if text == format!(":{id}\r\n") {
            return format!(":$ID{n}\r\n");
        }
        for intro in [
            "$2\r\nid\r\n",
            "$8\r\nredirect\r\n",
            "$21\r\ntracking-redir-broken\r\n",
        ] {
            text = text.replace(&format!("{intro}:{id}\r\n"), &format!("{intro}:$ID{n}\r\n"));
        }
    }
    text
}

fn send_line(conn: &mut Raw, line: &str) {
    let w = words(line);
    let args: Vec<&[u8]> = w.iter().map(Vec::as_slice).collect();
    conn.send(&encode(&args));
}

fn info_field(ctl: &mut Raw, section: &str, prefix: &str) -> String {
    let info = String::from_utf8_lossy(&ctl.cmd(&[b"INFO", section.as_bytes()])).into_owned();
    info.lines()
        .find(|l| l.starts_with(prefix))
        .map(|l| {
            // Keep the counters, drop the timings.
            l.split(',')
                .filter(|f| !f.contains("usec"))
                .collect::<Vec<_>>()
                .join(",")
        })
        .unwrap_or_default()
}

/// Waits until the client with `id` shows the `b` flag in CLIENT LIST (among others, such
/// as `x` inside MULTI).
fn wait_blocked(ctl: &mut Raw, id: &str) {
    let deadline = Instant::now() + Duration::from_secs(5);
    let needle = format!("id={id} ");
    loop {
        let list = String::from_utf8_lossy(&ctl.cmd(&[b"CLIENT", b"LIST"])).into_owned();
        let blocked = list.lines().any(|l| {
            l.starts_with(&needle)
                && l.split(' ')
                    .find_map(|f| f.strip_prefix("flags="))
                    .is_some_and(|f| f.contains('b'))
        });
        if blocked {
            return;
        }
        assert!(Instant::now() < deadline, "client {id} never blocked");
        std::thread::sleep(Duration::from_millis(2));
    }
}

/// Runs the steps against the server on `port`; returns the transcript.
fn play(port: u16, resp3: bool, steps: &[Step]) -> Vec<String> {
    let mut ctl = Raw::connect(port);
    ctl.cmd(&[b"FLUSHALL"]);
    ctl.cmd(&[b"CONFIG", b"RESETSTAT"]);
    let mut clients: Vec<Option<(Raw, String)>> = Vec::new();
    let mut out = Vec::new();
    let client = |clients: &mut Vec<Option<(Raw, String)>>, n: usize| -> usize {
        while clients.len() <= n {
            let mut c = Raw::connect(port);
            if resp3 {
                c.cmd(&[b"HELLO", b"3"]);
            }
            let id = String::from_utf8_lossy(&c.cmd(&[b"CLIENT", b"ID"])).into_owned();
            let id = id.trim().trim_start_matches(':').to_string();
            clients.push(Some((c, id)));
        }
        n
    };
    // Clients closed so far keep their ids: replies may still name them.
    let mut closed: Vec<(usize, String)> = Vec::new();
    // The CLIENT ID of every client, open or closed.
    let ids_of = |clients: &Vec<Option<(Raw, String)>>, closed: &Vec<(usize, String)>| {
        let mut ids: Vec<(usize, String)> = clients
            .iter()
            .enumerate()
            .filter_map(|(n, c)| c.as_ref().map(|(_, id)| (n, id.clone())))
            .collect();
        ids.extend(closed.iter().cloned());
        ids
    };
    for step in steps {
        let entry = match step {
            Call(n, line) | CallIds(n, line) => {
                for w in line.split(' ') {
                    if let Some(m) = w.strip_prefix("$ID").and_then(|m| m.parse().ok()) {
                        client(&mut clients, m);
                    }
                }
                let i = client(&mut clients, *n);
                let ids = ids_of(&clients, &closed);
                let (c, _) = clients[i].as_mut().expect("open");
                send_line(c, &with_ids(line, &ids));
                let reply = c.reply();
                if matches!(step, CallIds(..)) {
                    format!("{n}: {line} -> {:?}", ids_named(&reply, &ids))
                } else {
                    format!("{n}: {line} -> {:?}", String::from_utf8_lossy(&reply))
                }
            }
            ReadIds(n) => {
                let ids = ids_of(&clients, &closed);
                let (c, _) = clients[*n].as_mut().expect("open");
                format!("{n} <- {:?}", ids_named(&c.reply(), &ids))
            }
            Skip(n) => {
                let (c, _) = clients[*n].as_mut().expect("open");
                c.reply();
                format!("{n} <- (a reply)")
            }
            Info(section, prefix) => info_field(&mut ctl, section, prefix),
            ListFields(n) => {
                let ids = ids_of(&clients, &closed);
                let id = clients[*n].as_ref().expect("open").1.clone();
                let list = ctl.cmd(&[b"CLIENT", b"LIST", b"ID", id.as_bytes()]);
                let list = String::from_utf8_lossy(&list).into_owned();
                let mut fields: Vec<String> = list
                    .split([' ', '\n', '\r'])
                    .filter(|f| f.starts_with("flags=") || f.starts_with("redir="))
                    .map(str::to_string)
                    .collect();
                for f in &mut fields {
                    for (m, id) in &ids {
                        if *f == format!("redir={id}") {
                            *f = format!("redir=$ID{m}");
                        }
                    }
                }
                format!("{n} list: {}", fields.join(" "))
            }
            Block(n, line) => {
                let i = client(&mut clients, *n);
                let (c, id) = clients[i].as_mut().expect("open");
                send_line(c, line);
                let id = id.clone();
                wait_blocked(&mut ctl, &id);
                format!("{n}> {line}")
            }
            Pipeline(n, lines) => {
                let i = client(&mut clients, *n);
                let (c, _) = clients[i].as_mut().expect("open");
                for line in *lines {
                    send_line(c, line);
                }
                format!("{n}>> {lines:?}")
            }
            Read(n) => {
                let (c, _) = clients[*n].as_mut().expect("open");
                format!("{n} <- {:?}", String::from_utf8_lossy(&c.reply()))
            }
            Close(n) => {
                let (_, id) = clients[*n].take().expect("open");
                closed.push((*n, id.clone()));
                // The next step must see the server after it noticed.
                let deadline = Instant::now() + Duration::from_secs(5);
                let needle = format!("id={id} ");
                while String::from_utf8_lossy(&ctl.cmd(&[b"CLIENT", b"LIST"]))
                    .lines()
                    .any(|l| l.starts_with(&needle))
                {
                    assert!(Instant::now() < deadline, "client {id} never went away");
                    std::thread::sleep(Duration::from_millis(2));
                }
                format!("{n} closed")
            }
            Unblock(n, how) => {
                let id = clients[*n].as_ref().expect("open").1.clone();
                let line = format!("CLIENT UNBLOCK {id} {how}");
                let args: Vec<&[u8]> = line.trim().split(' ').map(str::as_bytes).collect();
                format!(
                    "unblock {n} {how} -> {:?}",
                    String::from_utf8_lossy(&ctl.cmd(&args))
                )
            }
            BlockedClients => info_field(&mut ctl, "clients", "blocked_clients:"),
            Sleep(ms) => {
                std::thread::sleep(Duration::from_millis(*ms));
                format!("slept {ms} ms")
            }
            Calls(name) => info_field(&mut ctl, "commandstats", &format!("cmdstat_{name}:")),
        };
        out.push(entry);
    }
    out
}

/// Plays every scenario on redis-server and on redust, in RESP2 and RESP3, and compares.
pub fn assert_scenarios_match(scenarios: &[(&str, Vec<Step>)]) {
    let redis = Server::start_redis(&[]);
    let ours = Server::start(&[]);
    let mut failures = Vec::new();
    for resp3 in [false, true] {
        for (name, steps) in scenarios {
            let want = play(redis.port, resp3, steps);
            let got = play(ours.port, resp3, steps);
            if want != got {
                failures.push(format!(
                    "[{name}, resp3={resp3}]\n  redis:  {want:#?}\n  redust: {got:#?}"
                ));
            }
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}
