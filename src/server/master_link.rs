//! This server as a replica (REPLICAOF host port): a full sync from the master, then its
//! command stream applied as a client's commands, without replies.
//!
//! The handshake and the RDB transfer are blocking network work, so a thread does them
//! (PING, AUTH with masterauth, REPLCONF listening-port and capa, PSYNC, the `$<len>` RDB)
//! and hands the loop the connected socket and the RDB. The loop loads it in place of the
//! dataset and turns the socket into the master's client (flag M): its commands run as
//! any client's, their replies dropped, and they are propagated to this server's own
//! replicas. While a master is set, normal clients may not write (replica-read-only),
//! keys do not expire here (the master's DELs do it), and maxmemory does not evict
//! (replica-ignore-maxmemory). Every second the replica acknowledges the bytes it has
//! processed (REPLCONF ACK); a lost link is synced again in full a second later.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{TcpStream, ToSocketAddrs};
use std::sync::mpsc;
use std::time::Duration;

use super::client::{Client, ReplyMode};
use super::client_io::queue_write;
use super::{ClientId, ServerState};
use crate::protocol::reply::Reply;
use crate::store::Store;

/// The master this server replicates, and the link's state.
#[derive(Debug)]
pub struct MasterLink {
    pub host: String,
    pub port: u16,
    /// The sync thread under way.
    sync: Option<mpsc::Receiver<Result<Synced, String>>>,
    /// The master's client once synced.
    pub client: Option<ClientId>,
    /// When the next sync may start (after a failure or a lost link).
    retry_ms: u64,
    /// When the link went down (or was first asked for).
    pub down_since_ms: u64,
    /// The stream's offset: where the master's FULLRESYNC started it plus what was
    /// read since (slave_repl_offset, REPLCONF ACK).
    pub offset: u64,
    pub replid: String,
    pub last_ack_ms: u64,
}

/// What the sync thread hands the loop.
#[derive(Debug)]
struct Synced {
    stream: TcpStream,
    rdb: Vec<u8>,
    /// Stream bytes read past the RDB.
    rest: Vec<u8>,
    replid: String,
    offset: u64,
}

/// READONLY's error for writes from normal clients.
pub const READONLY: &str = "READONLY You can't write against a read only replica.";

impl MasterLink {
    /// A link to `host:port`, to be synced by the loop.
    pub fn new(host: String, port: u16, now_ms: u64) -> MasterLink {
        MasterLink {
            host,
            port,
            sync: None,
            client: None,
            retry_ms: 0,
            down_since_ms: now_ms,
            offset: 0,
            replid: String::new(),
            last_ack_ms: 0,
        }
    }

    /// Whether the link is up (INFO master_link_status).
    pub fn is_up(&self) -> bool {
        self.client.is_some()
    }

    /// Whether a sync is under way (INFO master_sync_in_progress).
    pub fn syncing(&self) -> bool {
        self.sync.is_some()
    }
}

impl ServerState {
    /// REPLICAOF host port: replicate that master from now (a link already there is
    /// dropped). Replicas of this server are dropped too: they must sync again.
    pub fn replicate(&mut self, host: String, port: u16, now_ms: u64) {
        self.drop_master_link();
        log::info!("Connecting to MASTER {host}:{port}");
        self.master = Some(MasterLink::new(host, port, now_ms));
    }

    /// REPLICAOF NO ONE (or a new master): the link and the master's client go.
    pub fn drop_master_link(&mut self) {
        let Some(link) = self.master.take() else {
            return;
        };
        if let Some(key) = link.client {
            if let Some(c) = self.clients.get_mut(key) {
                c.master = false;
                c.close_asap = true;
            }
        }
        log::info!(
            "MASTER MODE enabled (previous master {}:{})",
            link.host,
            link.port
        );
    }

    /// The loop's step for the link, each iteration while a master is set: start a sync
    /// when due, take over a finished one, acknowledge the stream each second.
    pub fn master_link_step(&mut self, store: &mut Store, now_ms: u64) {
        let Some(link) = self.master.as_mut() else {
            return;
        };
        if let Some(key) = link.client {
            if !self.clients.get(key).is_some_and(|c| c.master) {
                // The master's connection closed: sync again shortly.
                log::warn!("Connection with master lost.");
                link.client = None;
                link.down_since_ms = now_ms;
                link.retry_ms = now_ms + 1000;
            } else if now_ms.saturating_sub(link.last_ack_ms) >= 1000 {
                link.last_ack_ms = now_ms;
                let offset = link.offset.to_string();
                let mut ack = Reply::default();
                ack.array(3);
                for a in [&b"REPLCONF"[..], b"ACK", offset.as_bytes()] {
                    ack.bulk(a);
                }
                self.clients[key].reply.buf.extend_from_slice(&ack.buf);
                queue_write(self, key);
                return;
            }
        }
        let my_port = self.tcp_port();
        let Some(link) = self.master.as_mut() else {
            return;
        };
        if link.client.is_none() && link.sync.is_none() && now_ms >= link.retry_ms {
            let (tx, rx) = mpsc::channel();
            let (host, port) = (link.host.clone(), link.port);
            let auth = (
                self.config.masteruser.clone(),
                self.config.masterauth.clone(),
            );
            let timeout = Duration::from_secs(self.config.repl_timeout.max(1) as u64);
            link.sync = Some(rx);
            std::thread::spawn(move || {
                let _ = tx.send(sync_with_master(&host, port, auth, my_port, timeout));
            });
            return;
        }
        let Some(rx) = link.sync.as_ref() else {
            return;
        };
        let result = match rx.try_recv() {
            Ok(r) => r,
            Err(mpsc::TryRecvError::Empty) => return,
            Err(mpsc::TryRecvError::Disconnected) => Err("the sync thread ended".into()),
        };
        link.sync = None;
        match result.and_then(|synced| self.take_over(store, synced, now_ms)) {
            Ok(()) => log::info!("MASTER <-> REPLICA sync: Finished with success"),
            Err(e) => {
                log::warn!("MASTER <-> REPLICA sync failed: {e}");
                if let Some(link) = self.master.as_mut() {
                    link.retry_ms = now_ms + 1000;
                }
            }
        }
    }

    /// Loads a finished sync's RDB in place of the dataset and makes its socket the
    /// master's client, which then applies what followed the RDB.
    fn take_over(&mut self, store: &mut Store, synced: Synced, now_ms: u64) -> Result<(), String> {
        let mut fresh = Store::new(store.db_count());
        fresh.now_ms = now_ms;
        fresh.limits = store.limits;
        let len = synced.rdb.len() as u64;
        crate::persistence::snapshot::load(&synced.rdb[..], Some(len), &mut fresh, now_ms)
            .map_err(|e| format!("loading the master's RDB: {}", e.what))?;
        store.replace_data(&mut fresh);
        let codes = store.libraries.clone();
        if let Err(e) = self.scripting.functions().load_all(&codes) {
            log::warn!("Loading the master's functions: {e}");
        }
        log::info!("MASTER <-> REPLICA sync: Loaded {len} bytes of RDB");
        synced
            .stream
            .set_nonblocking(true)
            .map_err(|e| e.to_string())?;
        let addr = synced.stream.peer_addr().map_err(|e| e.to_string())?;
        let mut stream = mio::net::TcpStream::from_std(synced.stream);
        let slot = self.clients.next_id();
        self.registry
            .register(&mut stream, slot.token(), mio::Interest::READABLE)
            .map_err(|e| e.to_string())?;
        let id = self.next_client_id;
        self.next_client_id += 1;
        let mut client = Client::new(id, stream, addr, now_ms);
        client.authenticated = true;
        client.master = true;
        client.reply_mode = ReplyMode::Off;
        client.input = synced.rest;
        client.may_have_input = true;
        let key = self.clients.insert(client);
        let link = self.master.as_mut().expect("a link is set");
        link.client = Some(key);
        link.replid = synced.replid;
        link.offset = synced.offset;
        link.last_ack_ms = 0;
        // Its stream is read with the others'.
        self.reread.push(key);
        Ok(())
    }
}

/// The replica's side of the handshake and the transfer, blocking (run on a thread).
fn sync_with_master(
    host: &str,
    port: u16,
    (user, pass): (String, String),
    my_port: u16,
    timeout: Duration,
) -> Result<Synced, String> {
    let addr = (host, port)
        .to_socket_addrs()
        .map_err(|e| format!("resolving {host}: {e}"))?
        .next()
        .ok_or_else(|| format!("no address for {host}"))?;
    let stream = TcpStream::connect_timeout(&addr, timeout).map_err(|e| e.to_string())?;
    stream
        .set_read_timeout(Some(timeout))
        .map_err(|e| e.to_string())?;
    let _ = stream.set_nodelay(true);
    let mut writer = stream.try_clone().map_err(|e| e.to_string())?;
    let mut reader = BufReader::with_capacity(1 << 16, stream);
    let mut ask = |words: &[&str], reader: &mut BufReader<TcpStream>| -> Result<String, String> {
        let mut req = Reply::default();
        req.array(words.len());
        for w in words {
            req.bulk(w.as_bytes());
        }
        writer.write_all(&req.buf).map_err(|e| e.to_string())?;
        read_line(reader)
    };
    let pong = ask(&["PING"], &mut reader)?;
    // An error other than NOAUTH (which AUTH answers next) ends the attempt.
    if pong.starts_with('-') && !pong.starts_with("-NOAUTH") {
        return Err(format!("PING: {pong}"));
    }
    if !pass.is_empty() {
        let mut words = vec!["AUTH"];
        if !user.is_empty() {
            words.push(&user);
        }
        words.push(&pass);
        let r = ask(&words, &mut reader)?;
        if let Some(e) = r.strip_prefix('-') {
            // Redis's words, which its tests look for in the log.
            log::warn!("Unable to AUTH to MASTER: {e}");
            return Err(format!("AUTH: {r}"));
        }
    }
    let port = my_port.to_string();
    ask(&["REPLCONF", "listening-port", &port], &mut reader)?;
    ask(&["REPLCONF", "capa", "psync2"], &mut reader)?;
    let full = ask(&["PSYNC", "?", "-1"], &mut reader)?;
    let mut words = full.split(' ');
    if words.next() != Some("+FULLRESYNC") {
        return Err(format!("PSYNC: {full}"));
    }
    let replid = words.next().unwrap_or("").to_string();
    let offset = words.next().and_then(|o| o.parse().ok()).unwrap_or(0);
    let header = read_line(&mut reader)?;
    let len: usize = header
        .strip_prefix('$')
        .and_then(|n| n.parse().ok())
        .ok_or_else(|| format!("unexpected RDB header: {header}"))?;
    let mut rdb = vec![0u8; len];
    reader.read_exact(&mut rdb).map_err(|e| e.to_string())?;
    let rest = reader.buffer().to_vec();
    let stream = reader.into_inner();
    stream.set_read_timeout(None).map_err(|e| e.to_string())?;
    Ok(Synced {
        stream,
        rdb,
        rest,
        replid,
        offset,
    })
}

/// One reply line, without its CRLF; the empty lines a master sends to keep the link
/// alive while it prepares the RDB are skipped.
fn read_line(reader: &mut BufReader<TcpStream>) -> Result<String, String> {
    loop {
        let mut line = String::new();
        let n = reader.read_line(&mut line).map_err(|e| e.to_string())?;
        if n == 0 {
            return Err("the master closed the connection".into());
        }
        let line = line.trim_end_matches(['\r', '\n']);
        if !line.is_empty() {
            return Ok(line.to_string());
        }
    }
}
