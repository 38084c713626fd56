//! BCAST mode: clients subscribed to key prefixes get, once per loop iteration, the keys
//! changed under each prefix.

use std::collections::{BTreeMap, BTreeSet};

use super::{send, Payload};
use crate::pubsub::Outputs;
use crate::server::{ClientId, ServerState};

/// One BCAST prefix: its clients, and the keys under it changed in this loop iteration.
#[derive(Debug, Default)]
pub(super) struct Bcast {
    /// Each changed key with the CLIENT ID of the client that changed it last (None: the
    /// server, an expiry or eviction), for NOLOOP.
    pub(super) keys: BTreeMap<Vec<u8>, Option<u64>>,
    pub(super) clients: BTreeSet<ClientId>,
}

/// The first prefix among `prefixes` that overlaps `new` (one is a prefix of the other):
/// both would invalidate the same keys.
fn overlapping<'a>(
    new: &[u8],
    prefixes: impl IntoIterator<Item = &'a Vec<u8>>,
) -> Option<&'a [u8]> {
    prefixes.into_iter().map(Vec::as_slice).find(|p| {
        let n = p.len().min(new.len());
        p[..n] == new[..n]
    })
}

/// The bytes `%s` prints: up to the first NUL.
fn c_str(s: &[u8]) -> &[u8] {
    s.iter().position(|&b| b == 0).map_or(s, |n| &s[..n])
}

/// Redis's checkPrefixCollisionsOrReply: the error for the first new prefix that overlaps
/// one the client has, or a later new one. Redis reports the error for a collision between
/// two new prefixes but, past the first, goes on to enable tracking anyway (its function
/// returns the index, which is then true): `proceed` says so, and the caller replies OK
/// after the error as Redis does.
pub fn prefix_collision(existing: &BTreeSet<Vec<u8>>, new: &[Vec<u8>]) -> Option<(Vec<u8>, bool)> {
    for (i, p) in new.iter().enumerate() {
        if let Some(old) = overlapping(p, existing) {
            let mut msg = b"ERR Prefix '".to_vec();
            msg.extend_from_slice(c_str(p));
            msg.extend_from_slice(b"' overlaps with an existing prefix '");
            msg.extend_from_slice(c_str(old));
            msg.extend_from_slice(b"'. Prefixes for a single client must not overlap.");
            return Some((msg, false));
        }
        if let Some(other) = overlapping(p, &new[i + 1..]) {
            let mut msg = b"ERR Prefix '".to_vec();
            msg.extend_from_slice(c_str(p));
            msg.extend_from_slice(b"' overlaps with another provided prefix '");
            msg.extend_from_slice(c_str(other));
            msg.extend_from_slice(b"'. Prefixes for a single client must not overlap.");
            return Some((msg, i > 0));
        }
    }
    None
}

/// The array of `keys` a BCAST client gets, leaving out those it changed itself when
/// `noloop_for` names it; None when nothing is left.
fn broadcast_reply(
    keys: &BTreeMap<Vec<u8>, Option<u64>>,
    noloop_for: Option<u64>,
) -> Option<Vec<u8>> {
    let mut r = crate::protocol::reply::Reply::default();
    let kept = |m: &Option<u64>| noloop_for.is_none() || *m != noloop_for;
    let count = keys.values().filter(|m| kept(m)).count();
    if count == 0 {
        return None;
    }
    r.array(count);
    for (k, _) in keys.iter().filter(|(_, m)| kept(m)) {
        r.bulk(k);
    }
    Some(r.buf)
}

/// Before the loop sleeps: each BCAST prefix's clients get the keys changed under it since
/// the last time, one message per prefix (Redis's trackingBroadcastInvalidationMessages).
pub fn broadcast(srv: &mut ServerState) {
    if !std::mem::take(&mut srv.tracking.bcast_pending) || srv.tracking.clients == 0 {
        return;
    }
    let prefixes: Vec<Vec<u8>> = srv.tracking.prefixes.keys().cloned().collect();
    let mut out = Outputs { srv, caller: None };
    for p in prefixes {
        let Some(bs) = out.srv.tracking.prefixes.get_mut(&p) else {
            continue;
        };
        let keys = std::mem::take(&mut bs.keys);
        if keys.is_empty() {
            continue;
        }
        let clients = bs.clients.clone();
        let common = broadcast_reply(&keys, None);
        for client in clients {
            let Some(c) = out.srv.clients.get(client) else {
                continue;
            };
            if c.tracking.noloop {
                if let Some(own) = broadcast_reply(&keys, Some(c.id)) {
                    send(&mut out, client, Payload::Encoded(&own));
                }
            } else if let Some(common) = &common {
                send(&mut out, client, Payload::Encoded(common));
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn prefix_collisions_as_redis_reports_them() {
        let none = BTreeSet::new();
        let v = |s: &[&str]| s.iter().map(|p| p.as_bytes().to_vec()).collect::<Vec<_>>();
        let (msg, go_on) = prefix_collision(&none, &v(&["FOOBAR", "FOO"])).unwrap();
        assert!(msg.starts_with(b"ERR Prefix 'FOOBAR' overlaps with another provided prefix 'FOO'"));
        assert!(!go_on);
        // A collision between later prefixes is reported, and Redis enables tracking anyway.
        let (_, go_on) = prefix_collision(&none, &v(&["a", "b", "bc"])).unwrap();
        assert!(go_on);
        let existing: BTreeSet<Vec<u8>> = v(&["FOO", "BAR"]).into_iter().collect();
        let (msg, _) = prefix_collision(&existing, &v(&["BARB"])).unwrap();
        assert!(msg.starts_with(b"ERR Prefix 'BARB' overlaps with an existing prefix 'BAR'"));
        assert!(prefix_collision(&existing, &v(&["BAZ", "QUX"])).is_none());
    }

    #[test]
    fn broadcast_reply_leaves_out_the_noloop_client_s_own_keys() {
        let mut keys = BTreeMap::new();
        keys.insert(b"b".to_vec(), Some(7));
        keys.insert(b"a".to_vec(), None);
        assert_eq!(
            broadcast_reply(&keys, None).unwrap(),
            b"*2\r\n$1\r\na\r\n$1\r\nb\r\n"
        );
        assert_eq!(
            broadcast_reply(&keys, Some(7)).unwrap(),
            b"*1\r\n$1\r\na\r\n"
        );
        keys.remove(b"a".as_slice());
        assert_eq!(broadcast_reply(&keys, Some(7)), None);
    }
}
