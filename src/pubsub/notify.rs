//! Keyspace notifications: the store's key events, published on `__keyspace@<db>__:<key>`
//! (the event's name as message) and `__keyevent@<db>__:<event>` (the key as message), for
//! the classes `notify-keyspace-events` selects.

use super::{publish, Kind, Outputs};
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
    /// Parses the letters (already validated by the configuration): `A` stands for
    /// `g$lshzxetd`, as in Redis 7.0.
    pub fn parse(letters: &str) -> NotifyFlags {
        let mut f = NotifyFlags::default();
        for ch in letters.chars() {
            let class = match ch {
                'K' => {
                    f.keyspace = true;
                    continue;
                }
                'E' => {
                    f.keyevent = true;
                    continue;
                }
                'A' => {
                    EventClass::GENERIC
                        | EventClass::STRING
                        | EventClass::LIST
                        | EventClass::SET
                        | EventClass::HASH
                        | EventClass::ZSET
                        | EventClass::EXPIRED
                        | EventClass::EVICTED
                        | EventClass::STREAM
                        | EventClass::MODULE
                }
                'g' => EventClass::GENERIC,
                '$' => EventClass::STRING,
                'l' => EventClass::LIST,
                's' => EventClass::SET,
                'h' => EventClass::HASH,
                'z' => EventClass::ZSET,
                'x' => EventClass::EXPIRED,
                'e' => EventClass::EVICTED,
                't' => EventClass::STREAM,
                'm' => EventClass::KEY_MISS,
                'd' => EventClass::MODULE,
                'n' => EventClass::NEW,
                _ => continue,
            };
            f.classes = f.classes | class;
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

    #[test]
    fn letters_select_classes() {
        let f = NotifyFlags::parse("KEA");
        assert!(f.keyspace && f.keyevent);
        assert!(f
            .classes
            .contains(EventClass::EXPIRED | EventClass::GENERIC));
        assert!(!f.classes.intersects(EventClass::KEY_MISS | EventClass::NEW));
        let f = NotifyFlags::parse("Elm");
        assert!(!f.keyspace && f.enabled());
        assert!(f.classes.contains(EventClass::LIST | EventClass::KEY_MISS));
        assert!(!NotifyFlags::parse("g").enabled());
        assert!(!NotifyFlags::parse("K").enabled());
    }
}
