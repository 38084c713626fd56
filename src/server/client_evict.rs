//! Client eviction (maxmemory-clients): when the clients that may be evicted hold more
//! than the limit together, the largest are closed until they hold less, as Redis's
//! evictClients. Each client's figure is updated where its buffers change (after its
//! reads and commands, after writes to it); the total is recounted in full only when it
//! says the limit is reached, so the common case costs one subtraction and addition.

use super::{ClientId, ServerState};
use crate::config::Config;

/// The limit in bytes, 0 for none: `maxmemory-clients` as bytes, or as a percentage of
/// maxmemory (stored negative), never under 128 KB so that the server stays reachable
/// (Redis's getClientEvictionLimit).
pub fn limit(config: &Config) -> usize {
    let mc = config.maxmemory_clients;
    let bytes = if mc < 0 && config.maxmemory > 0 {
        (config.maxmemory as f64 * -(mc as f64) / 100.0) as usize
    } else if mc > 0 {
        mc as usize
    } else {
        return 0;
    };
    bytes.max(128 * 1024)
}

/// Whether client eviction may close `c`: a normal or pub/sub connection without
/// CLIENT NO-EVICT, not already being closed.
fn evictable(c: &super::Client) -> bool {
    c.stream.is_some() && !c.no_evict && !c.monitor && !c.script && !c.close_asap && !c.master
}

impl ServerState {
    /// Counts client `key`'s memory again (its buffers in place), for client eviction.
    /// Without maxmemory-clients this is one comparison, inlined into the I/O path.
    #[inline(always)]
    pub fn note_client_memory(&mut self, key: ClientId) {
        if self.config.maxmemory_clients != 0 {
            self.recount_client_memory(key);
        }
    }

    #[inline(never)]
    fn recount_client_memory(&mut self, key: ClientId) {
        let Some(c) = self.clients.get_mut(key) else {
            return;
        };
        let now = if evictable(c) {
            c.memory_usage(None)
        } else {
            0
        };
        self.clients_mem = self.clients_mem - c.mem_tracked + now;
        c.mem_tracked = now;
    }

    /// A client leaves: its memory no longer counts.
    pub fn forget_client_memory(&mut self, key: ClientId) {
        if let Some(c) = self.clients.get_mut(key) {
            self.clients_mem -= c.mem_tracked;
            c.mem_tracked = 0;
        }
    }

    /// Closes the largest evictable clients while together they hold the limit or more
    /// (they are marked to close, and are closed before the loop sleeps). Returns whether
    /// any was. Without maxmemory-clients this is one comparison, inlined into the I/O
    /// path (the eviction itself is out of line: its frame would cost every caller).
    #[inline(always)]
    pub fn evict_clients(&mut self) -> bool {
        self.config.maxmemory_clients != 0 && self.evict_clients_over_limit()
    }

    #[inline(never)]
    fn evict_clients_over_limit(&mut self) -> bool {
        let limit = limit(&self.config);
        if limit == 0 || (self.clients_mem < limit && !self.clients_mem_stale) {
            return false;
        }
        // The running total may be stale or count clients since closed: recount.
        self.clients_mem_stale = false;
        let mut sizes: Vec<(usize, ClientId)> = Vec::new();
        let mut total = 0;
        for (key, c) in self.clients.iter_mut() {
            c.mem_tracked = if evictable(c) {
                c.memory_usage(None)
            } else {
                0
            };
            total += c.mem_tracked;
            if c.mem_tracked > 0 {
                sizes.push((c.mem_tracked, key));
            }
        }
        self.clients_mem = total;
        if total < limit {
            return false;
        }
        // Largest first, by powers of two as Redis's buckets; oldest first within one.
        sizes.sort_by_key(|&(m, key)| (std::cmp::Reverse(usize::BITS - m.leading_zeros()), key));
        let now = super::unix_ms();
        let mut evicted = false;
        for (m, key) in sizes {
            if self.clients_mem < limit {
                break;
            }
            let c = &mut self.clients[key];
            log::info!(
                "Evicting client: {}",
                c.info_line(now, None, &self.acl.user(c.user).name)
            );
            c.close_asap = true;
            c.mem_tracked = 0;
            self.clients_mem -= m;
            self.stats.evicted_clients += 1;
            evicted = true;
        }
        if self.clients_mem >= limit {
            log::warn!("Over client maxmemory after evicting all evictable clients");
        }
        evicted
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn limits() {
        let mut c = Config::default();
        assert_eq!(limit(&c), 0);
        c.maxmemory_clients = 1;
        assert_eq!(limit(&c), 128 * 1024);
        c.maxmemory_clients = 3_000_000;
        assert_eq!(limit(&c), 3_000_000);
        c.maxmemory_clients = -7;
        assert_eq!(limit(&c), 0, "a percentage of no maxmemory");
        c.maxmemory = 6 << 20;
        assert_eq!(limit(&c), (6 << 20) * 7 / 100);
    }
}
