//! maxmemory: before each command (and at once when CONFIG SET lowers the limit) keys are
//! evicted under `maxmemory-policy` until the memory the allocator holds is back under
//! the limit, as Redis's performEvictions. A run that uses up its time
//! (`maxmemory-eviction-tenacity`) leaves the rest to the event loop, which continues
//! every iteration until done.

use crate::protocol::reply::Reply;
use crate::pubsub;
use crate::pubsub::tracking;
use crate::server::memory::used_memory;
use crate::server::{ClientId, ServerState};
use crate::store::evict::{self, Outcome, Policy, Run};
use crate::store::Store;

/// Redis's reply to a deny-oom command while over the limit with nothing to evict.
pub const OOM_ERROR: &str = "OOM command not allowed when used memory > 'maxmemory'.";

/// Whether the memory used passes maxmemory; if so, by how much.
pub fn over_limit(srv: &ServerState) -> Option<u64> {
    let max = srv.config.maxmemory as u64;
    if max == 0 {
        return None;
    }
    // Redis leaves the replicas' output buffers out (and AOF's, which redust has not).
    let used = used_memory().saturating_sub(srv.replica_output_bytes() as u64);
    (used > max).then(|| used - max)
}

/// Evicts keys until the memory used is within maxmemory (or the run's time is up, or
/// nothing can go), then tells everyone who reacts to the evicted keys (WATCH, keyspace
/// `evicted` notifications, tracking invalidations, propagated DELs) before anything
/// else runs; `caller`, if the eviction precedes its command, hears of them first.
/// Returns how it ended: `Failed` means over the limit with nothing left to evict.
pub fn perform_evictions(
    store: &mut Store,
    srv: &mut ServerState,
    mut caller: Option<(ClientId, &mut Reply)>,
) -> Outcome {
    let ignored = srv.master.is_some() && srv.config.replica_ignore_maxmemory;
    if srv.config.maxmemory == 0 || ignored || !safe_to_evict(store, srv) {
        return Outcome::Done;
    }
    let outcome = match over_limit(srv) {
        None => Outcome::Done,
        Some(to_free) => {
            let started = std::time::Instant::now();
            let run = Run {
                policy: Policy::parse(&srv.config.maxmemory_policy),
                samples: srv.config.maxmemory_samples.max(1) as usize,
                to_free,
                time_limit_us: evict::time_limit_us(srv.config.maxmemory_eviction_tenacity),
                lfu_decay_minutes: srv.config.lfu_decay_time as u32,
            };
            store.events_wanted = crate::dispatch::events_wanted(srv);
            let (outcome, _) = store.evict(run, used_memory);
            if run.policy != Policy::NoEviction {
                let ms = started.elapsed().as_millis() as u64;
                srv.latency.add_sample_if_needed(
                    srv.config.latency_monitor_threshold,
                    "eviction-cycle",
                    ms,
                    store.now_ms,
                );
            }
            outcome
        }
    };
    srv.eviction_running = outcome == Outcome::TimedOut;
    srv.stats.track_eviction_exceeded(outcome != Outcome::Done);
    if store.has_events() {
        let lent = caller.as_mut().map(|(k, out)| (*k, &mut **out));
        crate::dispatch::drain_events(store, srv, lent);
    }
    let mut outputs = pubsub::Outputs { srv, caller };
    tracking::flush_pending(&mut outputs);
    outcome
}

/// Redis's isSafeToPerformEvictions: not while a busy script serves other clients, nor
/// while clients are paused (the dataset stays as it is, as for expiry).
fn safe_to_evict(store: &Store, srv: &ServerState) -> bool {
    if srv.scripting.running.as_ref().is_some_and(|r| r.timed_out) {
        return false;
    }
    !srv.clients_paused(store.now_ms)
}
