//! The event loop: one `mio::Poll` owning the listeners and every client.
//!
//! Each iteration: wait for readiness (the timeout is the next due timer), read each ready
//! client until `WouldBlock` while executing every complete command it sent, run the timers
//! (cron, blocked-client deadlines), then the before-sleep phase writes pending replies and
//! closes clients marked for closing. WRITABLE interest is registered only while a client
//! has output the socket did not take.

use crate::server::ClientId;
use std::io;
use std::mem;
use std::time::Duration;

use mio::{Events, Poll};

use super::client::Resize;
use super::client_io::queue_write;
use super::client_io::Io;
use super::signals;
use super::{unix_ms, ServerState, ShutdownRequest};
use crate::config::Config;
use crate::persistence;
use crate::store::Store;

/// The server: the poll, the keyspace and the shared state.
pub struct Server {
    pub store: Store,
    pub state: ServerState,
    next_cron_ms: u64,
}

impl Server {
    /// Binds the listeners and prepares an empty store.
    pub fn new(config: Config, mut store: Store) -> io::Result<Server> {
        // Before anything looks a command up: dispatch names are fixed from then on.
        if !config.renamed_commands.is_empty() {
            crate::commands::table::rename_commands(&config.renamed_commands)
                .map_err(io::Error::other)?;
        }
        let poll = Poll::new()?;
        let registry = poll.registry().try_clone()?;
        let listeners = ServerState::bind_all(
            &registry,
            &config.listen_addresses(),
            config.port as u16,
            config.tcp_backlog as i32,
        )?;
        if listeners.is_empty() {
            return Err(io::Error::new(
                io::ErrorKind::AddrNotAvailable,
                "Failed listening on any address",
            ));
        }
        let now = unix_ms();
        store.lfu = config.lfu_params();
        store.limits = config.encoding_limits();
        let mut state = ServerState::new(config, registry, listeners, now);
        state.poll = Some(poll);
        state.memory_startup = super::memory::used_memory();
        if let Some((host, port)) = state.config.replicaof.0.clone() {
            state.replicate(host, port, now);
        }
        crate::store::dict::GROWTH_LIMIT.store(
            state.config.maxmemory as u64,
            std::sync::atomic::Ordering::Relaxed,
        );
        Ok(Server {
            store,
            state,
            next_cron_ms: now,
        })
    }

    /// The addresses actually listened on.
    pub fn local_addrs(&self) -> Vec<std::net::SocketAddr> {
        self.state.listeners.iter().map(|l| l.addr).collect()
    }

    /// Runs until SHUTDOWN or SIGINT/SIGTERM.
    pub fn run(&mut self) -> io::Result<()> {
        let mut events = Events::with_capacity(1024);
        loop {
            self.store.now_ms = unix_ms();
            let timeout = self.poll_timeout();
            let poll = self
                .state
                .poll
                .as_mut()
                .expect("a listening server has a poll");
            match poll.poll(&mut events, Some(timeout)) {
                Ok(()) => {}
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(e) => return Err(e),
            }
            self.store.now_ms = unix_ms();
            // Readers that yielded last time (their replies were written since).
            for key in mem::take(&mut self.state.reread) {
                if self
                    .state
                    .clients
                    .get(key)
                    .is_some_and(|c| c.may_have_input)
                {
                    self.io().read_client(key);
                }
            }
            for event in events.iter() {
                let Some(key) = ClientId::from_token(event.token()) else {
                    self.io().accept(event.token().0);
                    continue;
                };
                if event.is_read_closed() || event.is_error() {
                    if let Some(c) = self.state.clients.get_mut(key) {
                        c.peer_closed = true;
                    }
                }
                if event.is_readable() || event.is_read_closed() || event.is_error() {
                    self.io().read_client(key);
                }
                if event.is_writable() && self.state.clients.contains(key) {
                    self.io().write_client(key);
                }
            }
            if self.store.now_ms >= self.next_cron_ms {
                self.cron();
            }
            if !self.state.replicas.is_empty() {
                self.state.reap_sync_children();
            }
            // An eviction run that ran out of time goes on (Redis's evictionTimeProc).
            if self.state.eviction_running {
                super::maxmemory::perform_evictions(&mut self.store, &mut self.state, None);
            }
            self.expire_blocked();
            self.resume_clients();
            if let Some(sig) = signals::take() {
                log::warn!("Received {} scheduling shutdown...", signals::name(sig));
                let on_signal = if sig == libc::SIGINT {
                    &self.state.config.shutdown_on_sigint
                } else {
                    &self.state.config.shutdown_on_sigterm
                };
                // shutdown-on-sig*: `save` / `nosave` override the save rules; redust has
                // no replicas to wait for, so it always stops `now`.
                let request = match on_signal.split(' ').find(|f| f.ends_with("save")) {
                    Some("save") => ShutdownRequest::Save,
                    Some(_) => ShutdownRequest::NoSave,
                    None => ShutdownRequest::Default,
                };
                self.state.shutdown.get_or_insert(request);
            }
            self.before_sleep();
            if let Some(request) = self.state.shutdown {
                if self.prepare_shutdown(request) {
                    self.finish_shutdown();
                    return Ok(());
                }
                self.state.shutdown = None;
                if let Some(key) = self.state.shutdown_requester.take() {
                    if let Some(out) = self.state.output(key) {
                        out.err("Errors trying to SHUTDOWN. Check logs.");
                    }
                    self.before_sleep();
                }
            }
        }
    }

    /// The time until the next timer is due.
    fn poll_timeout(&self) -> Duration {
        if !self.state.reread.is_empty() || self.state.eviction_running {
            return Duration::ZERO;
        }
        let now = self.store.now_ms;
        let mut due = self.next_cron_ms;
        if let Some(&(deadline, _, _)) = self.state.block_deadlines.first() {
            due = due.min(deadline);
        }
        if let Some(p) = self.state.pause {
            due = due.min(p.until_ms);
        }
        Duration::from_millis(due.saturating_sub(now))
    }

    /// The loop's I/O handlers, over the store and the state.
    pub(super) fn io(&mut self) -> Io<'_> {
        Io {
            store: &mut self.store,
            state: &mut self.state,
        }
    }

    /// Periodic work, `hz` times a second.
    fn cron(&mut self) {
        let now = self.store.now_ms;
        let period = 1000 / self.state.config.hz as u64;
        self.next_cron_ms = now + period.max(1);
        if self.state.cron_paused {
            return;
        }
        self.state.memory_peak = self.state.memory_peak.max(super::memory::used_memory());
        self.state.ping_replicas(now);
        if self.state.master.is_some() {
            self.state.master_link_step(&mut self.store, now);
        }
        let stats = &mut self.state.stats;
        stats.ops.sample(stats.total_commands, now);
        stats.input_kbps.sample(stats.net_input_bytes, now);
        stats.output_kbps.sample(stats.net_output_bytes, now);

        // Idle clients past `timeout` (blocked clients and monitors are exempt, as in Redis).
        let timeout = self.state.config.timeout;
        if timeout > 0 {
            let limit = timeout as u64 * 1000;
            let idle: Vec<ClientId> = self
                .state
                .clients
                .iter()
                .filter(|(_, c)| {
                    !c.is_blocked()
                        && !c.monitor
                        && now.saturating_sub(c.last_interaction_ms) > limit
                })
                .map(|(k, _)| k)
                .collect();
            for key in idle {
                log::debug!("Closing idle client");
                self.io().close_client(key);
            }
        }

        // MIGRATE connections unused for 10 s are closed.
        self.state.migrate.close_idle(now);

        // Query buffers give back room they no longer need.
        // Reply buffers kept between replies follow what each client uses.
        let resizing = self.state.reply_buffer_resizing;
        let peak_reset = self.state.reply_buffer_peak_reset_ms;
        let stats = &mut self.state.stats;
        for (_, c) in self.state.clients.iter_mut() {
            c.resize_query_buffer(now);
            if resizing {
                match c.resize_reply_buffer(now, peak_reset) {
                    Some(Resize::Shrink) => stats.reply_buffer_shrinks += 1,
                    Some(Resize::Expand) => stats.reply_buffer_expands += 1,
                    None => {}
                }
            }
        }
        // The soft output limit passes with time alone: a client that stopped reading
        // while nothing more is sent to it is closed once its seconds are up.
        let limits = &self.state.config.client_output_buffer_limit;
        let over: Vec<ClientId> = self
            .state
            .clients
            .iter_mut()
            .filter_map(|(k, c)| {
                let over =
                    !c.close_asap && c.reply.pending() > 0 && c.output_limit_reached(limits, now);
                over.then_some(k)
            })
            .collect();
        for key in over {
            super::client_io::close_over_output_limit(&mut self.state, key, now, None);
        }
        // Buffers shrank or grew outside reads and writes: recount before evicting.
        if self.state.config.maxmemory_clients != 0 {
            self.state.clients_mem_stale = true;
        }

        if let Some(p) = self.state.pause {
            if p.until_ms <= now {
                self.unpause();
            }
        }

        self.persistence_cron();

        // Reclaim expired keys nobody reads, within a quarter of the cron period.
        if self.state.active_expire {
            let budget = Duration::from_micros(period * 1000 / 4);
            self.store.events_wanted = crate::dispatch::events_wanted(&self.state);
            self.store.expiry_paused = self.state.expiry_held(now);
            let started = std::time::Instant::now();
            crate::store::expire::active_cycle(&mut self.store, budget);
            self.state.latency.add_sample_if_needed(
                self.state.config.latency_monitor_threshold,
                "expire-cycle",
                started.elapsed().as_millis() as u64,
                now,
            );
            crate::dispatch::drain_events(&mut self.store, &mut self.state, None);
            crate::commands::blocking::serve_ready(&mut self.store, &mut self.state);
        }
        // The tracking table back within tracking-table-max-keys even when no command
        // comes (after a CONFIG SET lowered it, say).
        if self.state.tracking.clients() > 0 {
            let max = self.state.config.tracking_table_max_keys as u64;
            let mut outputs = crate::pubsub::Outputs {
                srv: &mut self.state,
                caller: None,
            };
            crate::pubsub::tracking::limit_table(
                &mut outputs,
                max,
                crate::pubsub::tracking::Timing::BeforeCommand,
            );
        }
        // Shrink sparse tables and advance resizes a little (Redis's activerehashing).
        self.store.housekeeping(100);
        self.store.lfu = self.state.config.lfu_params();
        self.store.limits = self.state.config.encoding_limits();
    }

    /// Reaps a finished background save, then starts one if a save rule (or a BGSAVE
    /// SCHEDULE) calls for it.
    fn persistence_cron(&mut self) {
        let state = &mut self.state;
        let dir = state.data_dir();
        persistence::reap(&mut state.persistence, &mut self.store, dir);
        state.scripting.ldb.reap_children();
        if state.persistence.child.is_some() {
            return;
        }
        let p = &mut state.persistence;
        if p.scheduled || p.rules_due(&state.config.save.0, &self.store) {
            p.scheduled = false;
            let result = persistence::start_background_save(p, &self.store, dir, &state.config);
            state.latency.add_sample_if_needed(
                state.config.latency_monitor_threshold,
                "fork",
                state.persistence.latest_fork_usec / 1000,
                self.store.now_ms,
            );
            let p = &mut state.persistence;
            if let Err(e) = result {
                log::warn!("Can't save in background: fork: {e}");
                p.last_bgsave_ok = false;
                p.last_attempt_ms = self.store.now_ms;
            }
        }
    }

    /// Ends CLIENT PAUSE: clients holding a postponed command run it.
    pub fn unpause(&mut self) {
        self.state.end_pause();
    }

    /// Answers blocked clients whose deadline passed.
    fn expire_blocked(&mut self) {
        let now = self.store.now_ms;
        if self.state.pause.is_some_and(|p| p.until_ms <= now) {
            self.unpause();
        }
        while let Some(&(deadline, key, id)) = self.state.block_deadlines.first() {
            if deadline > now {
                break;
            }
            self.state.block_deadlines.pop_first();
            if self.state.clients.get(key).is_some_and(|c| c.id == id) {
                self.state.end_block_unserved(key, None, false);
            }
        }
    }

    /// Runs the buffered commands of clients that were unblocked or unpaused.
    fn resume_clients(&mut self) {
        while let Some(key) = self.state.resume.pop() {
            if let Some(c) = self.state.clients.get(key) {
                if c.may_have_input {
                    self.io().read_client(key);
                } else {
                    self.io().process_input(key);
                }
                queue_write(&mut self.state, key);
            }
        }
    }

    /// Before waiting again: send BCAST invalidations, write pending replies, close clients
    /// marked for closing.
    fn before_sleep(&mut self) {
        // Replicas get what this iteration's commands propagated.
        if !self.state.replicas.is_empty() {
            self.state.feed_replicas();
        }
        // BCAST clients get the keys changed under their prefixes in this iteration.
        crate::pubsub::tracking::broadcast(&mut self.state);
        let pending = mem::take(&mut self.state.pending_writes);
        for key in pending {
            if let Some(c) = self.state.clients.get_mut(key) {
                c.write_queued = false;
                self.io().write_client(key);
            }
        }
        // Client eviction once the output of this iteration is written (the writes
        // updated each client's figure).
        self.state.evict_clients();
        let closing: Vec<ClientId> = self
            .state
            .clients
            .iter()
            .filter(|(_, c)| c.close_asap)
            .map(|(k, _)| k)
            .collect();
        for key in closing {
            self.io().close_client(key);
        }
    }

    /// Stops a background save and, when asked or when save rules are set, saves. Returns
    /// false (and stays up) if that save fails, as Redis does.
    fn prepare_shutdown(&mut self, request: ShutdownRequest) -> bool {
        let dir = self.state.data_dir();
        persistence::kill_child(&mut self.state.persistence, dir);
        let wants_save = match request {
            ShutdownRequest::Save => true,
            ShutdownRequest::NoSave => false,
            ShutdownRequest::Default => !self.state.config.save.0.is_empty(),
        };
        if !wants_save {
            return true;
        }
        log::info!("Saving the final snapshot before exiting.");
        match persistence::save(&self.store, dir, &self.state.config) {
            Ok(_) => {
                log::info!("DB saved on disk");
                true
            }
            Err(e) => {
                log::warn!("Error trying to save the DB, can't exit: {e}");
                false
            }
        }
    }

    /// Flushes what can be flushed and logs the goodbye.
    fn finish_shutdown(&mut self) {
        log::warn!("User requested shutdown...");
        let keys: Vec<ClientId> = self.state.clients.iter().map(|(k, _)| k).collect();
        for key in keys {
            self.io().write_client(key);
        }
        for l in &mut self.state.listeners {
            let _ = self.state.registry.deregister(&mut l.socket);
        }
        self.state.process.exiting();
        log::warn!("redust is now ready to exit, bye bye...");
    }
}

/// Raises RLIMIT_NOFILE to maxclients + 32 as Redis does; if the system refuses, lowers
/// maxclients to what fits and says so.
pub fn adjust_open_files_limit(config: &mut Config) {
    const RESERVED_FDS: u64 = 32;
    let wanted = config.maxclients as u64 + RESERVED_FDS;
    let mut limit = libc::rlimit {
        rlim_cur: 0,
        rlim_max: 0,
    };
    // SAFETY: getrlimit writes into the struct we pass.
    if unsafe { libc::getrlimit(libc::RLIMIT_NOFILE, &mut limit) } != 0 {
        return;
    }
    if limit.rlim_cur >= wanted {
        return;
    }
    let target = if limit.rlim_max == libc::RLIM_INFINITY {
        wanted
    } else {
        wanted.min(limit.rlim_max)
    };
    let new = libc::rlimit {
        rlim_cur: target,
        rlim_max: limit.rlim_max.max(target),
    };
    // SAFETY: setrlimit reads the struct we pass.
    let ok = unsafe { libc::setrlimit(libc::RLIMIT_NOFILE, &new) } == 0;
    let got = if ok { target } else { limit.rlim_cur };
    if got < wanted {
        let clients = got.saturating_sub(RESERVED_FDS).max(1);
        log::warn!(
            "You requested maxclients of {} requiring at least {} max file descriptors. \
             Server can't set maximum open files to {} because of OS error. \
             Current maximum open files is {}. maxclients has been reduced to {} to \
             compensate for low ulimit.",
            config.maxclients,
            wanted,
            wanted,
            got,
            clients
        );
        config.maxclients = clients as i64;
    }
}
