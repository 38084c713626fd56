//! Keyspace notifications: the store's key events, published on `__keyspace@<db>__:<key>`
//! (the event's name as message) and `__keyevent@<db>__:<event>` (the key as message), for
//! the classes `notify-keyspace-events` selects.

use super::{publish, Kind, Outputs};
use crate::config::KeyspaceEvents;
use crate::store::{EventClass, KeyEvent};

/// What `notify-keyspace-events` asks for.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct NotifyFlags {
    /// `K`: publish on `__keyspace@...`.
    pub keyspace: bool,
    /// `E`: publish on `__keyevent@...`.
    pub keyevent: bool,
    /// The classes of events to publish.
    pub classes: EventClass,
}

impl NotifyFlags {
    /// What the configured classes select (validated by the configuration, where `A` is
    /// `g$lshzxetd` as in Redis 7.0).
    pub fn from_config(events: KeyspaceEvents) -> NotifyFlags {
        const CLASSES: [(u8, EventClass); 12] = [
            (b'g', EventClass::GENERIC),
            (b'$', EventClass::STRING),
            (b'l', EventClass::LIST),
            (b's', EventClass::SET),
            (b'h', EventClass::HASH),
            (b'z', EventClass::ZSET),
            (b'x', EventClass::EXPIRED),
            (b'e', EventClass::EVICTED),
            (b't', EventClass::STREAM),
            (b'm', EventClass::KEY_MISS),
            (b'd', EventClass::MODULE),
            (b'n', EventClass::NEW),
        ];
        let mut f = NotifyFlags {
            keyspace: events.has(b'K'),
            keyevent: events.has(b'E'),
            classes: EventClass::default(),
        };
        for (letter, class) in CLASSES {
            if events.has(letter) {
                f.classes = f.classes | class;
            }
        }
        f
    }

    /// Whether any notification can be published at all.
    pub fn enabled(self) -> bool {
        (self.keyspace || self.keyevent) && self.classes.0 != 0
    }
}

/// Publishes the notifications of one key event, if its class is selected.
pub fn notify(outputs: &mut Outputs, flags: NotifyFlags, ev: &KeyEvent) {
    if !flags.classes.intersects(ev.event.class()) {
        return;
    }
    let name = ev.event.name().as_bytes();
    if flags.keyspace {
        let mut channel = format!("__keyspace@{}__:", ev.db).into_bytes();
        channel.extend_from_slice(&ev.key);
        publish(outputs, Kind::Channel, &channel, name);
    }
    if flags.keyevent {
        let mut channel = format!("__keyevent@{}__:", ev.db).into_bytes();
        channel.extend_from_slice(name);
        publish(outputs, Kind::Channel, &channel, &ev.key);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(letters: &str) -> NotifyFlags {
        let mut c = crate::config::Config::default();
        c.apply_text(&format!("notify-keyspace-events {letters}"), "test")
            .unwrap();
        NotifyFlags::from_config(c.notify_keyspace_events)
    }

    #[test]
    fn letters_select_classes() {
        let f = parse("KEA");
        assert!(f.keyspace && f.keyevent);
        assert!(f
            .classes
            .contains(EventClass::EXPIRED | EventClass::GENERIC));
        assert!(!f.classes.intersects(EventClass::KEY_MISS | EventClass::NEW));
        let f = parse("Elm");
        assert!(!f.keyspace && f.enabled());
        assert!(f.classes.contains(EventClass::LIST | EventClass::KEY_MISS));
        assert!(!parse("g").enabled());
        assert!(!parse("K").enabled());
        // `n` beside `A` still selects new keys, though CONFIG GET does not show it.
        assert!(parse("KAn").classes.contains(EventClass::NEW));
    }
}
