//! XGROUP (CREATE, SETID, DESTROY, CREATECONSUMER, DELCONSUMER, HELP) and XACK.

use super::{id_arg, IdRules};
use crate::commands::server::help_reply;
use crate::commands::{int_arg, is, Ctx};
use crate::store::types::stream::{Group, Stream, StreamId, INVALID_ENTRIES_READ};
use crate::store::Event;

/// Redis's addReplySubcommandSyntaxError for XGROUP.
fn subcommand_error(ctx: &mut Ctx, sub: &[u8]) {
    crate::commands::subcommand_syntax_error(ctx.out, "XGROUP", sub);
}

/// What every subcommand but HELP checks first, in Redis's order: the options of CREATE
/// and SETID, the key's type and existence, the group's existence. Returns the options
/// (MKSTREAM, ENTRIESREAD) and whether the key holds a stream; None after an error.
fn prelude(ctx: &mut Ctx, argv: &[&[u8]], needs_group: bool) -> Option<(bool, i64, bool)> {
    let sub = argv[1];
    let (create, setid) = (is(sub, "create"), is(sub, "setid"));
    let mut mkstream = false;
    let mut entries_read = INVALID_ENTRIES_READ;
    let mut i = 5;
    while i < argv.len() {
        if create && is(argv[i], "mkstream") {
            mkstream = true;
            i += 1;
        } else if (create || setid) && is(argv[i], "entriesread") && i + 1 < argv.len() {
            entries_read = int_arg(ctx.out, argv[i + 1])?;
            if entries_read < 0 && entries_read != INVALID_ENTRIES_READ {
                ctx.out.err("value for ENTRIESREAD must be positive or -1");
                return None;
            }
            i += 2;
        } else {
            subcommand_error(ctx, sub);
            return None;
        }
    }
    let (key, name) = (argv[2], argv[3]);
    let exists = match ctx.write_as::<Stream>(key) {
        Err(_) => return None,
        Ok(s) => s.map(|s| s.groups.contains_key(name)),
    };
    if !mkstream {
        let Some(has_group) = exists else {
            ctx.out.err(
                "The XGROUP subcommand requires the key to exist. Note that for CREATE you may \
                 want to use the MKSTREAM option to create an empty stream automatically.",
            );
            return None;
        };
        if needs_group && !has_group {
            nogroup(ctx, key, name);
            return None;
        }
    }
    Some((mkstream, entries_read, exists.is_some()))
}

/// `NOGROUP No such consumer group '<group>' for key name '<key>'`.
fn nogroup(ctx: &mut Ctx, key: &[u8], group: &[u8]) {
    let mut msg = b"NOGROUP No such consumer group '".to_vec();
    msg.extend_from_slice(group);
    msg.extend_from_slice(b"' for key name '");
    msg.extend_from_slice(key);
    msg.push(b'\'');
    ctx.out.error_bytes(&msg);
}

/// The stream at `key`, which the prelude found.
fn stream<'a>(ctx: &'a mut Ctx, key: &[u8]) -> &'a mut Stream {
    match ctx.write_as::<Stream>(key) {
        Ok(Some(s)) => s,
        _ => unreachable!("the prelude checked the key"),
    }
}

/// XGROUP CREATE key group id|$ [MKSTREAM] [ENTRIESREAD n]
pub fn create(ctx: &mut Ctx, argv: &[&[u8]]) {
    let Some((_, entries_read, exists)) = prelude(ctx, argv, false) else {
        return;
    };
    if argv.len() > 8 {
        return subcommand_error(ctx, argv[1]);
    }
    let (key, name) = (argv[2], argv[3]);
    let id = if argv[4] == b"$" {
        if exists {
            stream(ctx, key).last_id
        } else {
            StreamId::MIN
        }
    } else {
        let Some(id) = id_arg(ctx.out, argv[4], IdRules::STRICT) else {
            return;
        };
        id
    };
    let s = ctx
        .write_or_create::<Stream>(key)
        .expect("checked the type");
    if s.groups.contains_key(name) {
        return ctx
            .out
            .error("BUSYGROUP Consumer Group name already exists");
    }
    s.groups.insert(name.to_vec(), Group::new(id, entries_read));
    ctx.out.ok();
    ctx.record_unwatched(key, Event::XGroupCreate, 1);
}

/// XGROUP SETID key group id|$ [ENTRIESREAD n]
pub fn setid(ctx: &mut Ctx, argv: &[&[u8]]) {
    if argv.len() != 5 && argv.len() != 7 {
        // Redis parses the options (and checks the key and group) before the count.
        if prelude(ctx, argv, true).is_some() {
            subcommand_error(ctx, argv[1]);
        }
        return;
    }
    let Some((_, entries_read, _)) = prelude(ctx, argv, true) else {
        return;
    };
    let (key, name) = (argv[2], argv[3]);
    let id = if argv[4] == b"$" {
        stream(ctx, key).last_id
    } else {
        let Some(id) = id_arg(ctx.out, argv[4], IdRules::loose(0)) else {
            return;
        };
        id
    };
    let g = stream(ctx, key).groups.get_mut(name).expect("checked");
    g.last_id = id;
    g.entries_read = entries_read;
    ctx.out.ok();
    ctx.record_unwatched(key, Event::XGroupSetId, 1);
}

/// XGROUP DESTROY key group
pub fn destroy(ctx: &mut Ctx, argv: &[&[u8]]) {
    if prelude(ctx, argv, false).is_none() {
        return;
    }
    let (key, name) = (argv[2], argv[3]);
    if stream(ctx, key).groups.remove(name).is_some() {
        ctx.out.int(1);
        // The event also wakes XREADGROUP clients blocked on the group (NOGROUP).
        ctx.record_unwatched(key, Event::XGroupDestroy, 1);
    } else {
        ctx.out.int(0);
    }
}

/// XGROUP CREATECONSUMER key group consumer
pub fn createconsumer(ctx: &mut Ctx, argv: &[&[u8]]) {
    if prelude(ctx, argv, true).is_none() {
        return;
    }
    let (key, name) = (argv[2], argv[3]);
    let now = ctx.now_ms();
    let g = stream(ctx, key).groups.get_mut(name).expect("checked");
    if g.create_consumer(argv[4], now) {
        ctx.out.int(1);
        ctx.record_unwatched(key, Event::XGroupCreateConsumer, 1);
    } else {
        ctx.out.int(0);
    }
}

/// XGROUP DELCONSUMER key group consumer
pub fn delconsumer(ctx: &mut Ctx, argv: &[&[u8]]) {
    if prelude(ctx, argv, true).is_none() {
        return;
    }
    let (key, name) = (argv[2], argv[3]);
    let g = stream(ctx, key).groups.get_mut(name).expect("checked");
    match g.delete_consumer(argv[4]) {
        Some(pending) => {
            ctx.out.int(pending as i64);
            ctx.record_unwatched(key, Event::XGroupDelConsumer, 1);
        }
        None => ctx.out.int(0),
    }
}

/// XGROUP HELP
pub fn help(ctx: &mut Ctx, _argv: &[&[u8]]) {
    help_reply(
        ctx,
        "XGROUP",
        &[
            "CREATE <key> <groupname> <id|$> [option]",
            "    Create a new consumer group. Options are:",
            "    * MKSTREAM",
            "      Create the empty stream if it does not exist.",
            "    * ENTRIESREAD entries_read",
            "      Set the group's entries_read counter (internal use).",
            "CREATECONSUMER <key> <groupname> <consumer>",
            "    Create a new consumer in the specified group.",
            "DELCONSUMER <key> <groupname> <consumer>",
            "    Remove the specified consumer.",
            "DESTROY <key> <groupname>",
            "    Remove the specified group.",
            "SETID <key> <groupname> <id|$> [ENTRIESREAD entries_read]",
            "    Set the current group ID and entries_read counter.",
        ],
    );
}

/// XACK key group id [id ...]
pub fn xack(ctx: &mut Ctx, argv: &[&[u8]]) {
    let (key, name) = (argv[1], argv[2]);
    let has_group = match ctx.read_as::<Stream>(key) {
        Err(_) => return,
        Ok(s) => s.is_some_and(|s| s.groups.contains_key(name)),
    };
    if !has_group {
        return ctx.out.int(0);
    }
    let mut ids = Vec::with_capacity(argv.len() - 3);
    for arg in &argv[3..] {
        let Some(id) = id_arg(ctx.out, arg, IdRules::STRICT) else {
            return;
        };
        ids.push(id);
    }
    let Ok(Some(s)) = ctx.write_as::<Stream>(key) else {
        unreachable!("looked up above");
    };
    let g = s.groups.get_mut(name).expect("checked");
    let acked = ids.into_iter().filter(|id| g.ack(*id)).count();
    // Redis counts the change but signals nothing: no event, WATCH untouched.
    ctx.store.dirty += acked as u64;
    ctx.out.int(acked as i64);
}
