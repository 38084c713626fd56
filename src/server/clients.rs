//! The client table: every connected (or socketless) client, by [`ClientId`].

use std::ops::{Index, IndexMut};

use mio::Token;
use slab::Slab;

use super::client::Client;
use super::CLIENT_TOKEN_BASE;

/// A client's place in the client table. It names the client everywhere the server
/// refers to one (blocked-key queues, MONITOR, the write queue); it is not the number
/// CLIENT ID reports ([`Client::id`], never reused), and a slot is reused after its client
/// leaves, so long-lived references (deadlines) keep that number beside it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct ClientId(usize);

impl ClientId {
    /// The poll token of this client's socket.
    pub fn token(self) -> Token {
        Token(self.0 + CLIENT_TOKEN_BASE)
    }

    /// The client a poll token belongs to, if it is a client's (not a listener's).
    pub fn from_token(token: Token) -> Option<ClientId> {
        token.0.checked_sub(CLIENT_TOKEN_BASE).map(ClientId)
    }
}

/// Every client, by [`ClientId`].
#[derive(Debug, Default)]
pub struct Clients {
    slab: Slab<Client>,
    /// How many of them are script clients (not listed or counted).
    hidden: usize,
}

impl Clients {
    /// The id the next [`insert`](Self::insert) will give (to register its socket first).
    pub fn next_id(&self) -> ClientId {
        ClientId(self.slab.vacant_key())
    }

    /// Adds a client; returns its id.
    pub fn insert(&mut self, client: Client) -> ClientId {
        self.hidden += client.script as usize;
        ClientId(self.slab.insert(client))
    }

    /// Removes a client (its id may then be reused).
    pub fn remove(&mut self, id: ClientId) -> Client {
        let c = self.slab.remove(id.0);
        self.hidden -= c.script as usize;
        c
    }

    /// The client, if it is still there.
    pub fn get(&self, id: ClientId) -> Option<&Client> {
        self.slab.get(id.0)
    }

    /// The client, if it is still there.
    pub fn get_mut(&mut self, id: ClientId) -> Option<&mut Client> {
        self.slab.get_mut(id.0)
    }

    /// Whether the client is still there.
    pub fn contains(&self, id: ClientId) -> bool {
        self.slab.contains(id.0)
    }

    /// How many clients there are (the script client is not counted).
    pub fn len(&self) -> usize {
        self.slab.len() - self.hidden
    }

    /// Whether there is no client.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Every client with its id (not the script client, which Redis never lists).
    pub fn iter(&self) -> impl Iterator<Item = (ClientId, &Client)> {
        self.slab
            .iter()
            .filter(|(_, c)| !c.script)
            .map(|(k, c)| (ClientId(k), c))
    }

    /// Every client with its id, for changing (not the script client).
    pub fn iter_mut(&mut self) -> impl Iterator<Item = (ClientId, &mut Client)> {
        self.slab
            .iter_mut()
            .filter(|(_, c)| !c.script)
            .map(|(k, c)| (ClientId(k), c))
    }
}

impl Index<ClientId> for Clients {
    type Output = Client;
    fn index(&self, id: ClientId) -> &Client {
        &self.slab[id.0]
    }
}

impl IndexMut<ClientId> for Clients {
    fn index_mut(&mut self, id: ClientId) -> &mut Client {
        &mut self.slab[id.0]
    }
}
