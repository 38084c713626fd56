//! Consumer groups: the last delivered ID, the read counter, the pending entries list (PEL)
//! ordered by ID, and the consumers by name, each with its own pending IDs.
//!
//! Redis shares one NACK between the group's PEL and its owner's; here the group's PEL owns
//! the NACK (with the owner's name) and each consumer keeps the set of IDs it owns, which
//! answers the same questions (XPENDING by consumer, history reads) in the same order.

use std::collections::{BTreeMap, BTreeSet};

use super::StreamId;

/// A delivered, not yet acknowledged entry.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Nack {
    /// When it was last delivered (Unix ms).
    pub delivery_time: u64,
    /// How many times it was delivered (XPENDING's fourth field).
    pub delivery_count: u64,
    /// The consumer it was last delivered to.
    pub consumer: Vec<u8>,
}

/// A consumer of a group.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Consumer {
    /// When it last read or claimed (Unix ms).
    pub seen_time: u64,
    /// The IDs pending for it.
    pub pel: BTreeSet<StreamId>,
}

/// A consumer group.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Group {
    /// The last entry delivered to the group: `>` reads after it.
    pub last_id: StreamId,
    /// Entries read in the stream's logical order, or `INVALID_ENTRIES_READ`.
    pub entries_read: i64,
    /// The pending entries list: delivered, not yet acknowledged, by ID.
    pub pel: BTreeMap<StreamId, Nack>,
    /// By name, in byte order as Redis lists them.
    pub consumers: BTreeMap<Vec<u8>, Consumer>,
}

impl Group {
    /// A group starting after `last_id`.
    pub fn new(last_id: StreamId, entries_read: i64) -> Group {
        Group {
            last_id,
            entries_read,
            ..Group::default()
        }
    }

    /// Gives `id` to `consumer` (which exists) as delivered now, once: a new NACK, or one
    /// taken over from whoever had it, with its count reset (as XREADGROUP does after
    /// XGROUP SETID moved the group back).
    pub fn deliver(&mut self, id: StreamId, consumer: &[u8], now: u64) {
        let nack = Nack {
            delivery_time: now,
            delivery_count: 1,
            consumer: consumer.to_vec(),
        };
        if let Some(old) = self.pel.insert(id, nack) {
            if let Some(c) = self.consumers.get_mut(&old.consumer) {
                c.pel.remove(&id);
            }
        }
        if let Some(c) = self.consumers.get_mut(consumer) {
            c.pel.insert(id);
        }
    }

    /// Moves pending `id` to `consumer` (which exists), keeping the NACK's counters.
    pub fn reassign(&mut self, id: StreamId, consumer: &[u8]) {
        let Some(nack) = self.pel.get_mut(&id) else {
            return;
        };
        if nack.consumer != consumer {
            let old = std::mem::replace(&mut nack.consumer, consumer.to_vec());
            if let Some(c) = self.consumers.get_mut(&old) {
                c.pel.remove(&id);
            }
        }
        if let Some(c) = self.consumers.get_mut(consumer) {
            c.pel.insert(id);
        }
    }

    /// Acknowledges `id`. Returns whether it was pending.
    pub fn ack(&mut self, id: StreamId) -> bool {
        let Some(nack) = self.pel.remove(&id) else {
            return false;
        };
        if let Some(c) = self.consumers.get_mut(&nack.consumer) {
            c.pel.remove(&id);
        }
        true
    }

    /// Creates consumer `name`, seen now. Returns false if it exists.
    pub fn create_consumer(&mut self, name: &[u8], now: u64) -> bool {
        if self.consumers.contains_key(name) {
            return false;
        }
        self.consumers.insert(
            name.to_vec(),
            Consumer {
                seen_time: now,
                pel: BTreeSet::new(),
            },
        );
        true
    }

    /// Deletes consumer `name` and its pending entries. Returns how many it had, or None if
    /// there was no such consumer.
    pub fn delete_consumer(&mut self, name: &[u8]) -> Option<usize> {
        let c = self.consumers.remove(name)?;
        for id in &c.pel {
            self.pel.remove(id);
        }
        Some(c.pel.len())
    }

    /// Heap bytes held, roughly (MEMORY USAGE).
    pub fn heap_bytes(&self) -> usize {
        let pel: usize = self.pel.values().map(|n| 48 + n.consumer.len()).sum();
        let consumers: usize = self
            .consumers
            .iter()
            .map(|(k, c)| 64 + k.len() + 24 * c.pel.len())
            .sum();
        pel + consumers
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pending_entries_follow_their_owner() {
        let mut g = Group::new(StreamId::MIN, 0);
        assert!(g.create_consumer(b"a", 1));
        assert!(g.create_consumer(b"b", 1));
        assert!(!g.create_consumer(b"a", 2));
        let id = StreamId::new(1, 0);
        g.deliver(id, b"a", 5);
        g.deliver(id, b"b", 6);
        assert!(g.consumers[&b"a".to_vec()].pel.is_empty());
        assert_eq!(g.pel[&id].consumer, b"b");
        g.reassign(id, b"a");
        assert_eq!(g.consumers[&b"a".to_vec()].pel.len(), 1);
        assert_eq!(g.delete_consumer(b"a"), Some(1));
        assert!(g.pel.is_empty());
        assert!(!g.ack(id));
    }
}
