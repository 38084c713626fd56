//! The active expiry cycle: reclaims expired keys that nobody touches.
//!
//! Lookups expire keys lazily; this cycle, run from the cron, walks each database's table
//! of deadlines with a persistent cursor (as Redis 6+ does), deletes what has expired, and
//! keeps going while more than a quarter of a sample had expired, within a time budget.

use std::time::{Duration, Instant};

use super::Store;

/// Keys with a deadline examined per round (Redis: ACTIVE_EXPIRE_CYCLE_KEYS_PER_LOOP).
const KEYS_PER_ROUND: usize = 20;
/// Buckets visited per round at most, so sparse tables cannot stall the loop.
const BUCKETS_PER_ROUND: usize = KEYS_PER_ROUND * 20;
/// Another round follows while more than this percentage of a sample had expired.
const STALE_PERCENT: usize = 25;

/// Runs the cycle over all databases for at most `budget`. Returns the keys it expired.
pub fn active_cycle(store: &mut Store, budget: Duration) -> u64 {
    if store.expiry_paused {
        return 0;
    }
    let started = Instant::now();
    let now = store.now_ms;
    let dbs = store.dbs.len();
    let mut expired_total = 0;
    for _ in 0..dbs {
        let index = store.expire_next_db % dbs;
        store.expire_next_db = (index + 1) % dbs;
        loop {
            let db = &mut store.dbs[index];
            if db.expires_len() == 0 {
                break;
            }
            let mut sampled = 0;
            let mut due: Vec<Vec<u8>> = Vec::new();
            let mut buckets = 0;
            let mut cursor = db.expire_cursor;
            loop {
                cursor = db.scan_expires(cursor, |k, &deadline| {
                    sampled += 1;
                    if deadline <= now {
                        due.push(k.to_vec());
                    }
                });
                buckets += 1;
                if cursor == 0 || sampled >= KEYS_PER_ROUND || buckets >= BUCKETS_PER_ROUND {
                    break;
                }
            }
            db.expire_cursor = cursor;
            for k in &due {
                store.delete_expired(index, k);
            }
            expired_total += due.len() as u64;
            if started.elapsed() >= budget {
                return expired_total;
            }
            if sampled == 0 || due.len() * 100 / sampled <= STALE_PERCENT {
                break;
            }
        }
    }
    expired_total
}
