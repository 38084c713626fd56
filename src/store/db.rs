//! One numbered database: its keys and their expiry deadlines.

use std::collections::HashMap;

use super::value::Value;

/// A database: the keyspace and, for keys with a time to live, their deadlines in Unix ms.
#[derive(Debug, Default)]
pub struct Db {
    keys: HashMap<Vec<u8>, Value>,
    expires: HashMap<Vec<u8>, u64>,
}

impl Db {
    /// Number of keys, including expired ones not yet reclaimed.
    pub fn len(&self) -> usize {
        self.keys.len()
    }

    /// Whether the database holds no key.
    pub fn is_empty(&self) -> bool {
        self.keys.is_empty()
    }

    /// Number of keys with a deadline.
    pub fn expires_len(&self) -> usize {
        self.expires.len()
    }

    /// The value, without any expiry check.
    pub fn get(&self, key: &[u8]) -> Option<&Value> {
        self.keys.get(key)
    }

    /// The value for writing, without any expiry check.
    pub fn get_mut(&mut self, key: &[u8]) -> Option<&mut Value> {
        self.keys.get_mut(key)
    }

    /// The key's deadline in Unix ms, if it has one.
    pub fn deadline(&self, key: &[u8]) -> Option<u64> {
        self.expires.get(key).copied()
    }

    /// Whether the key has a deadline at or before `now_ms`.
    pub fn is_expired(&self, key: &[u8], now_ms: u64) -> bool {
        self.expires.get(key).is_some_and(|&d| d <= now_ms)
    }

    /// Stores `value` at `key`, keeping or dropping its deadline as `ttl` says.
    pub fn insert(&mut self, key: &[u8], value: Value, ttl: Ttl) {
        match ttl {
            Ttl::Keep => {}
            Ttl::Clear => {
                self.expires.remove(key);
            }
            Ttl::At(deadline) => {
                self.expires.insert(key.to_vec(), deadline);
            }
        }
        match self.keys.get_mut(key) {
            Some(slot) => *slot = value,
            None => {
                self.keys.insert(key.to_vec(), value);
            }
        }
    }

    /// Sets or clears the deadline of an existing key. Returns false if the key is absent.
    pub fn set_deadline(&mut self, key: &[u8], deadline: Option<u64>) -> bool {
        if !self.keys.contains_key(key) {
            return false;
        }
        match deadline {
            Some(d) => {
                self.expires.insert(key.to_vec(), d);
            }
            None => {
                self.expires.remove(key);
            }
        }
        true
    }

    /// Removes the key and its deadline; returns the value.
    pub fn remove(&mut self, key: &[u8]) -> Option<Value> {
        let v = self.keys.remove(key)?;
        self.expires.remove(key);
        Some(v)
    }

    /// Drops every key.
    pub fn clear(&mut self) {
        self.keys = HashMap::new();
        self.expires = HashMap::new();
    }

    /// Every key (expired ones included).
    pub fn keys(&self) -> impl Iterator<Item = &[u8]> {
        self.keys.keys().map(|k| k.as_slice())
    }

    /// Every deadline.
    pub fn deadlines(&self) -> impl Iterator<Item = (&[u8], u64)> {
        self.expires.iter().map(|(k, &d)| (k.as_slice(), d))
    }
}

/// What a write does to the key's time to live.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Ttl {
    /// Keep the current deadline (SET KEEPTTL, SETRANGE, APPEND...).
    Keep,
    /// Remove any deadline (a plain SET).
    Clear,
    /// Expire at this Unix time in ms.
    At(u64),
}
