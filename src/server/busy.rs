//! Serving other clients while a script runs past busy-reply-threshold (Redis's
//! processEventsWhileBlocked): the script's hook calls [`serve_while_busy`] every so
//! often, which polls the sockets once without waiting, accepts connections, reads and
//! answers commands (dispatch refuses all but the few Redis allows with `-BUSY`, see
//! `dispatch::checks::check_call`), and writes replies. The script's caller is left alone: its
//! buffers are in use by the running command.

use std::time::Duration;

use mio::Events;

use super::client_io::Io;
use super::{ClientId, ServerState};
use crate::store::Store;

/// One pass of the event loop without timers, for a busy script.
pub fn serve_while_busy(store: &mut Store, state: &mut ServerState) {
    let Some(caller) = state.scripting.running.as_ref().map(|r| r.caller) else {
        return;
    };
    let Some(mut poll) = state.poll.take() else {
        return;
    };
    let mut events = Events::with_capacity(256);
    let polled = poll.poll(&mut events, Some(Duration::ZERO));
    state.poll = Some(poll);
    if polled.is_err() {
        return;
    }
    store.now_ms = super::unix_ms();
    let first_pass = state
        .scripting
        .running
        .as_mut()
        .is_some_and(|r| !std::mem::replace(&mut r.swept, true));
    let mut io = Io { store, state };
    if first_pass {
        // Readiness the loop polled before the script started is in its own event list,
        // not ours (edge-triggered): read every client and listener once.
        let keys: Vec<ClientId> = io.state.clients.iter().map(|(k, _)| k).collect();
        for key in keys.into_iter().filter(|&k| k != caller) {
            io.read_client(key);
        }
        for index in 0..io.state.listeners.len() {
            io.accept(index);
        }
    }
    // Readers that yielded with bytes left in their socket (see `ServerState::reread`),
    // as the loop does: a SCRIPT KILL queued behind their pipeline must reach us.
    for key in std::mem::take(&mut io.state.reread) {
        if key == caller {
            io.state.reread.push(key);
        } else if io.state.clients.get(key).is_some_and(|c| c.may_have_input) {
            io.read_client(key);
        }
    }
    for event in events.iter() {
        let Some(key) = ClientId::from_token(event.token()) else {
            io.accept(event.token().0);
            continue;
        };
        if key == caller {
            // Its readiness is consumed here: read it again once the script is done.
            if let Some(c) = io.state.clients.get_mut(key) {
                c.may_have_input = true;
                if event.is_read_closed() || event.is_error() {
                    c.peer_closed = true;
                }
            }
            io.state.resume.push(key);
            continue;
        }
        if event.is_read_closed() || event.is_error() {
            if let Some(c) = io.state.clients.get_mut(key) {
                c.peer_closed = true;
            }
        }
        if event.is_readable() || event.is_read_closed() || event.is_error() {
            io.read_client(key);
        }
        if event.is_writable() && io.state.clients.contains(key) {
            io.write_client(key);
        }
    }
    let pending = std::mem::take(&mut io.state.pending_writes);
    for key in pending {
        if key == caller {
            io.state.pending_writes.push(key);
            continue;
        }
        if let Some(c) = io.state.clients.get_mut(key) {
            c.write_queued = false;
            io.write_client(key);
        }
    }
}
