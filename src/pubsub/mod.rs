//! Pub/Sub: who subscribes to which channel, pattern or shard channel, and delivering a
//! message to them.
//!
//! The registry keeps, per channel (or pattern), its subscribers in subscription order,
//! and each client keeps what it subscribes to ([`Subscriptions`]), in order, so both
//! directions are cheap. A published message is encoded once per protocol version and
//! copied into each subscriber's output. Keyspace notifications publish through the same
//! path ([`notify`]).

pub mod notify;
pub mod tracking;

use std::collections::HashMap;

use crate::protocol::reply::{Reply, Resp};
use crate::server::{ClientId, ServerState};
use crate::util::glob;

/// The three kinds of subscription, with the names their replies and messages carry.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kind {
    /// SUBSCRIBE / PUBLISH.
    Channel,
    /// PSUBSCRIBE: glob patterns matched against PUBLISH's channel.
    Pattern,
    /// SSUBSCRIBE / SPUBLISH (shard channels; one shard here).
    Shard,
}

impl Kind {
    /// The confirmation of a subscription.
    pub fn subscribed(self) -> &'static [u8] {
        match self {
            Kind::Channel => b"subscribe",
            Kind::Pattern => b"psubscribe",
            Kind::Shard => b"ssubscribe",
        }
    }

    /// The confirmation of an unsubscription.
    pub fn unsubscribed(self) -> &'static [u8] {
        match self {
            Kind::Channel => b"unsubscribe",
            Kind::Pattern => b"punsubscribe",
            Kind::Shard => b"sunsubscribe",
        }
    }
}

/// What one client subscribes to, each list in subscription order.
#[derive(Debug, Default)]
pub struct Subscriptions {
    channels: Vec<Vec<u8>>,
    patterns: Vec<Vec<u8>>,
    shard: Vec<Vec<u8>>,
}

impl Subscriptions {
    /// The channels, patterns or shard channels subscribed to.
    pub fn list(&self, kind: Kind) -> &Vec<Vec<u8>> {
        match kind {
            Kind::Channel => &self.channels,
            Kind::Pattern => &self.patterns,
            Kind::Shard => &self.shard,
        }
    }

    fn list_mut(&mut self, kind: Kind) -> &mut Vec<Vec<u8>> {
        match kind {
            Kind::Channel => &mut self.channels,
            Kind::Pattern => &mut self.patterns,
            Kind::Shard => &mut self.shard,
        }
    }

    /// How many of this kind (CLIENT LIST sub / psub / ssub).
    pub fn count(&self, kind: Kind) -> usize {
        self.list(kind).len()
    }

    /// The count a (un)subscription reply carries: channels and patterns together, shard
    /// channels apart, as Redis counts them.
    pub fn reply_count(&self, kind: Kind) -> usize {
        match kind {
            Kind::Channel | Kind::Pattern => self.channels.len() + self.patterns.len(),
            Kind::Shard => self.shard.len(),
        }
    }

    /// Whether the client subscribes to anything (Redis's CLIENT_PUBSUB flag: RESP2
    /// clients are then in subscribed mode).
    pub fn any(&self) -> bool {
        !(self.channels.is_empty() && self.patterns.is_empty() && self.shard.is_empty())
    }
}

/// Subscribers by channel, pattern and shard channel.
#[derive(Debug, Default)]
pub struct PubSub {
    channels: HashMap<Vec<u8>, Vec<ClientId>>,
    /// In the order patterns were first subscribed.
    patterns: Vec<(Vec<u8>, Vec<ClientId>)>,
    shard: HashMap<Vec<u8>, Vec<ClientId>>,
}

impl PubSub {
    fn subscribers_mut(&mut self, kind: Kind, name: &[u8]) -> Option<&mut Vec<ClientId>> {
        match kind {
            Kind::Channel => self.channels.get_mut(name),
            Kind::Shard => self.shard.get_mut(name),
            Kind::Pattern => self
                .patterns
                .iter_mut()
                .find(|(p, _)| p == name)
                .map(|(_, c)| c),
        }
    }

    fn add(&mut self, kind: Kind, name: &[u8], client: ClientId) {
        if let Some(list) = self.subscribers_mut(kind, name) {
            list.push(client);
            return;
        }
        match kind {
            Kind::Channel => {
                self.channels.insert(name.to_vec(), vec![client]);
            }
            Kind::Shard => {
                self.shard.insert(name.to_vec(), vec![client]);
            }
            Kind::Pattern => self.patterns.push((name.to_vec(), vec![client])),
        }
    }

    fn remove(&mut self, kind: Kind, name: &[u8], client: ClientId) {
        let Some(list) = self.subscribers_mut(kind, name) else {
            return;
        };
        list.retain(|&c| c != client);
        if !list.is_empty() {
            return;
        }
        match kind {
            Kind::Channel => {
                self.channels.remove(name);
            }
            Kind::Shard => {
                self.shard.remove(name);
            }
            Kind::Pattern => self.patterns.retain(|(p, _)| p != name),
        }
    }

    /// Channels (or shard channels) with at least one subscriber, matching `pattern` if
    /// given (PUBSUB CHANNELS / SHARDCHANNELS).
    pub fn active(&self, kind: Kind, pattern: Option<&[u8]>) -> Vec<&[u8]> {
        let table = match kind {
            Kind::Shard => &self.shard,
            _ => &self.channels,
        };
        table
            .keys()
            .map(Vec::as_slice)
            .filter(|c| pattern.is_none_or(|p| glob::matches(p, c)))
            .collect()
    }

    /// Subscribers of a channel (or shard channel) (PUBSUB NUMSUB / SHARDNUMSUB).
    pub fn numsub(&self, kind: Kind, channel: &[u8]) -> usize {
        let table = match kind {
            Kind::Shard => &self.shard,
            _ => &self.channels,
        };
        table.get(channel).map_or(0, Vec::len)
    }

    /// Patterns with subscribers (PUBSUB NUMPAT, INFO pubsub_patterns).
    pub fn pattern_count(&self) -> usize {
        self.patterns.len()
    }

    /// Channels with subscribers (INFO pubsub_channels).
    pub fn channel_count(&self) -> usize {
        self.channels.len()
    }

    /// Shard channels with subscribers (INFO pubsubshard_channels).
    pub fn shard_count(&self) -> usize {
        self.shard.len()
    }
}

/// The output a pub/sub frame goes to: the running client's own reply buffer (lent to
/// the call path) or another client's output.
pub struct Outputs<'a> {
    pub srv: &'a mut ServerState,
    /// The client whose command runs, with its reply buffer; None outside a command.
    pub caller: Option<(ClientId, &'a mut Reply)>,
}

impl Outputs<'_> {
    /// Appends to `client`'s output with `write` (in that client's protocol); what goes to
    /// the caller is marked as a push, as [`Outputs::send`] does.
    pub fn write_to(&mut self, client: ClientId, write: impl FnOnce(&mut Reply)) {
        match &mut self.caller {
            Some((me, out)) if *me == client => {
                let start = out.buf.len();
                write(out);
                out.mark_push(start);
            }
            _ => {
                if let Some(out) = self.srv.output(client) {
                    write(out);
                }
            }
        }
    }

    /// Writes `frame` (encoded for the client's protocol by `encode`) to `client`. Frames to
    /// the caller are marked as pushes, so CLIENT REPLY OFF does not drop them (Redis's
    /// CLIENT_PUSHING).
    fn send(&mut self, client: ClientId, frame: &mut Frames) {
        match &mut self.caller {
            Some((me, out)) if *me == client => {
                let start = out.buf.len();
                frame.write(out);
                out.mark_push(start);
            }
            _ => {
                if let Some(out) = self.srv.output(client) {
                    frame.write(out);
                }
            }
        }
    }
}

/// One message frame for `recipients` clients, encoded at most once per protocol version:
/// the last recipient (often the only one) gets it encoded straight into its output.
struct Frames<'a> {
    parts: &'a [&'a [u8]],
    recipients: usize,
    two: Option<Vec<u8>>,
    three: Option<Vec<u8>>,
}

impl<'a> Frames<'a> {
    fn new(parts: &'a [&'a [u8]], recipients: usize) -> Self {
        Frames {
            parts,
            recipients,
            two: None,
            three: None,
        }
    }

    /// Appends the frame to `out`, in `out`'s protocol.
    fn write(&mut self, out: &mut Reply) {
        self.recipients = self.recipients.saturating_sub(1);
        let slot = match out.resp {
            Resp::Two => &mut self.two,
            Resp::Three => &mut self.three,
        };
        if let Some(bytes) = slot {
            out.buf.extend_from_slice(bytes);
            return;
        }
        let start = out.buf.len();
        out.push(self.parts.len());
        for p in self.parts {
            out.bulk(p);
        }
        if self.recipients > 0 {
            *slot = Some(out.buf[start..].to_vec());
        }
    }
}

/// Delivers `message` on `channel` to its subscribers (and, for [`Kind::Channel`], to the
/// subscribers of every matching pattern): `message` / `pmessage` / `smessage` frames, in
/// subscription order. Returns how many clients received it (PUBLISH's reply).
pub fn publish(outputs: &mut Outputs, kind: Kind, channel: &[u8], message: &[u8]) -> usize {
    let mut receivers = 0;
    // The subscriber lists are lent out while the frames are written (writing touches
    // only outputs) and put back after, so a PUBLISH copies no list.
    let table = match kind {
        Kind::Shard => &mut outputs.srv.pubsub.shard,
        _ => &mut outputs.srv.pubsub.channels,
    };
    if let Some(clients) = table.get_mut(channel).map(std::mem::take) {
        let name: &[u8] = if kind == Kind::Shard {
            b"smessage"
        } else {
            b"message"
        };
        let parts = [name, channel, message];
        let mut frame = Frames::new(&parts, clients.len());
        for &c in &clients {
            outputs.send(c, &mut frame);
        }
        receivers += clients.len();
        let table = match kind {
            Kind::Shard => &mut outputs.srv.pubsub.shard,
            _ => &mut outputs.srv.pubsub.channels,
        };
        if let Some(slot) = table.get_mut(channel) {
            *slot = clients;
        }
    }
    if kind == Kind::Shard || outputs.srv.pubsub.patterns.is_empty() {
        return receivers;
    }
    let patterns = std::mem::take(&mut outputs.srv.pubsub.patterns);
    for (pattern, clients) in &patterns {
        if !glob::matches(pattern, channel) {
            continue;
        }
        let parts: [&[u8]; 4] = [b"pmessage", pattern, channel, message];
        let mut frame = Frames::new(&parts, clients.len());
        for &c in clients {
            outputs.send(c, &mut frame);
        }
        receivers += clients.len();
    }
    outputs.srv.pubsub.patterns = patterns;
    receivers
}

/// Subscribes the caller to `name`; false if it already was.
pub fn subscribe(srv: &mut ServerState, client: ClientId, kind: Kind, name: &[u8]) -> bool {
    let subs = &mut srv.clients[client].subs;
    if subs.list(kind).iter().any(|n| n == name) {
        return false;
    }
    subs.list_mut(kind).push(name.to_vec());
    srv.pubsub.add(kind, name, client);
    true
}

/// Unsubscribes the client from `name`; false if it was not subscribed.
pub fn unsubscribe(srv: &mut ServerState, client: ClientId, kind: Kind, name: &[u8]) -> bool {
    let list = srv.clients[client].subs.list_mut(kind);
    let Some(i) = list.iter().position(|n| n == name) else {
        return false;
    };
    list.remove(i);
    srv.pubsub.remove(kind, name, client);
    true
}

/// What the client subscribes to of `kind`, in subscription order.
pub fn subscriptions(srv: &ServerState, client: ClientId, kind: Kind) -> Vec<Vec<u8>> {
    srv.clients[client].subs.list(kind).clone()
}

/// Drops every subscription of a client (RESET, disconnect).
pub fn forget(srv: &mut ServerState, client: ClientId) {
    let Some(c) = srv.clients.get_mut(client) else {
        return;
    };
    let subs = std::mem::take(&mut c.subs);
    for (kind, list) in [
        (Kind::Channel, subs.channels),
        (Kind::Pattern, subs.patterns),
        (Kind::Shard, subs.shard),
    ] {
        for name in list {
            srv.pubsub.remove(kind, &name, client);
        }
    }
}
