//! Replicas of this server: connections that asked for a full synchronisation (SYNC,
//! PSYNC) and then receive the command stream, as Redis's replicationFeedSlaves.
//!
//! A full sync forks a child that writes the RDB straight to the replica's socket; until
//! the child exits nothing else may be written there, so the stream collects in the
//! replica's reply buffer (under the replica class's output limit) and goes out once the
//! loop has reaped the child. The stream is what dispatch propagates
//! ([`crate::dispatch::propagate`]): it is recorded only while a replica is attached, and
//! each replica is sent a SELECT whenever the next command is for another database. Every
//! `repl-ping-replica-period` seconds a PING keeps the link alive (a redis-server replica
//! gives up on a master silent for `repl-timeout`).

use super::client_io::queue_write;
use super::{ClientId, ServerState};
use crate::dispatch::propagate::Propagated;
use crate::protocol::reply::Reply;

/// What the master knows of one replica (on its client).
#[derive(Debug)]
pub struct Replica {
    /// The child still writing the RDB to the socket.
    pub sync_child: Option<libc::pid_t>,
    /// The database the stream last selected for it.
    pub db: Option<usize>,
    /// When it last acknowledged the stream (REPLCONF ACK): its lag, for
    /// min-replicas-to-write.
    pub ack_ms: u64,
}

impl ServerState {
    /// Client `key` becomes a replica whose RDB the child `pid` is writing.
    pub fn attach_replica(&mut self, key: ClientId, pid: libc::pid_t) {
        let c = &mut self.clients[key];
        c.replica = Some(Replica {
            sync_child: Some(pid),
            db: None,
            ack_ms: c.last_interaction_ms,
        });
        if self.replicas.is_empty() {
            // The first PING comes a whole period after the first replica.
            self.replica_pinged_ms = c.last_interaction_ms;
        }
        self.replicas.push(key);
        self.propagation.start();
    }

    /// Replica `key` goes away; a child still writing its RDB is stopped. The stream is
    /// no longer recorded once no replica is left.
    pub fn detach_replica(&mut self, key: ClientId, replica: Replica) {
        self.replicas.retain(|&r| r != key);
        if let Some(pid) = replica.sync_child {
            // SAFETY: our own child: stopped, then reaped at once (it cannot outlive SIGKILL).
            unsafe {
                libc::kill(pid, libc::SIGKILL);
                libc::waitpid(pid, std::ptr::null_mut(), 0);
            }
        }
        if self.replicas.is_empty() {
            self.propagation.stop();
        }
    }

    /// Replicas whose RDB child has exited start receiving the stream held for them; one
    /// whose child failed is closed. Called each loop iteration while replicas exist.
    pub fn reap_sync_children(&mut self) {
        for i in 0..self.replicas.len() {
            let key = self.replicas[i];
            let Some(c) = self.clients.get_mut(key) else {
                continue;
            };
            let Some(pid) = c.replica.as_ref().and_then(|r| r.sync_child) else {
                continue;
            };
            let mut status = 0;
            // SAFETY: waitpid on our own child's pid, non-blocking, into a local.
            if unsafe { libc::waitpid(pid, &mut status, libc::WNOHANG) } != pid {
                continue;
            }
            if let Some(r) = c.replica.as_mut() {
                r.sync_child = None;
            }
            if libc::WIFEXITED(status) && libc::WEXITSTATUS(status) == 0 {
                log::info!("Synchronization with replica {} succeeded", c.addr);
                queue_write(self, key);
            } else {
                log::warn!("Synchronization with replica {} failed", c.addr);
                c.close_asap = true;
            }
        }
    }

    /// Sends what was propagated since the last call to every replica.
    pub fn feed_replicas(&mut self) {
        let stream = self.propagation.take();
        if stream.is_empty() {
            return;
        }
        let encoded: Vec<(usize, Vec<u8>)> = stream
            .iter()
            .map(|Propagated { db, argv }| (*db, encode(argv.iter().map(Vec::as_slice))))
            .collect();
        for i in 0..self.replicas.len() {
            let key = self.replicas[i];
            let Some(c) = self.clients.get_mut(key) else {
                continue;
            };
            let Some(r) = c.replica.as_mut() else {
                continue;
            };
            for (db, bytes) in &encoded {
                if r.db != Some(*db) {
                    let n = db.to_string();
                    c.reply
                        .buf
                        .extend(encode([&b"SELECT"[..], n.as_bytes()].into_iter()));
                    r.db = Some(*db);
                }
                c.reply.buf.extend_from_slice(bytes);
            }
            queue_write(self, key);
        }
    }

    /// The cron's keep-alive: a PING in every replica's stream each
    /// `repl-ping-replica-period` seconds.
    pub fn ping_replicas(&mut self, now_ms: u64) {
        let period_ms = self.config.repl_ping_replica_period.max(1) as u64 * 1000;
        if self.replicas.is_empty() || now_ms.saturating_sub(self.replica_pinged_ms) < period_ms {
            return;
        }
        self.replica_pinged_ms = now_ms;
        for i in 0..self.replicas.len() {
            let key = self.replicas[i];
            if let Some(c) = self.clients.get_mut(key) {
                c.reply.buf.extend(encode([&b"PING"[..]].into_iter()));
                queue_write(self, key);
            }
        }
    }

    /// Replicas that are online and acknowledged the stream within
    /// `min-replicas-max-lag` seconds (Redis's repl_good_slaves_count).
    pub fn good_replicas(&self, now_ms: u64) -> usize {
        let max_lag_ms = self.config.min_replicas_max_lag.max(0) as u64 * 1000;
        self.replicas
            .iter()
            .filter_map(|&k| self.clients.get(k)?.replica.as_ref())
            .filter(|r| r.sync_child.is_none() && now_ms.saturating_sub(r.ack_ms) <= max_lag_ms)
            .count()
    }

    /// The bytes replicas' output buffers hold from the allocator, which maxmemory does
    /// not count (Redis's freeMemoryGetNotCountedMemory).
    pub fn replica_output_bytes(&self) -> usize {
        self.replicas
            .iter()
            .filter_map(|&k| self.clients.get(k))
            .map(|c| c.reply.buf.capacity())
            .sum()
    }
}

/// A command as RESP, as replicas read it: an array of bulk strings.
fn encode<'a>(argv: impl ExactSizeIterator<Item = &'a [u8]>) -> Vec<u8> {
    let mut out = Reply::default();
    out.array(argv.len());
    for a in argv {
        out.bulk(a);
    }
    out.buf
}
