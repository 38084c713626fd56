//! COMMAND and its subcommands, driven by the command table.

use super::table::{self, Command, Doc};
use super::{is, Ctx};
use crate::util::glob;

/// Top-level commands in a stable order.
fn all_commands() -> Vec<&'static Command> {
    let mut v: Vec<&Command> = table::table().commands.values().collect();
    v.sort_by_key(|c| c.name);
    v
}

/// Every command followed by its subcommands.
fn with_subcommands() -> Vec<&'static Command> {
    let mut out = Vec::new();
    for c in all_commands() {
        out.push(c);
        let mut subs: Vec<&Command> = c.subcommands.values().collect();
        subs.sort_by_key(|s| s.name);
        out.extend(subs);
    }
    out
}

/// The COMMAND INFO entry, with the subcommands redust implements.
fn write_info(ctx: &mut Ctx, cmd: &Command) {
    let fields = cmd.info.items();
    ctx.out.array(fields.len());
    for (i, f) in fields.iter().enumerate() {
        if i == 9 {
            let mut subs: Vec<&Command> = cmd.subcommands.values().collect();
            subs.sort_by_key(|s| s.name);
            match f {
                Doc::Set(_) => ctx.out.set(subs.len()),
                _ => ctx.out.array(subs.len()),
            }
            for s in subs {
                write_info(ctx, s);
            }
        } else {
            f.write(ctx.out);
        }
    }
}

/// The COMMAND DOCS value, with the subcommands redust implements.
fn write_docs(ctx: &mut Ctx, cmd: &Command) {
    let Doc::Map(fields) = cmd.docs else {
        ctx.out.map(0);
        return;
    };
    let has_subs = !cmd.subcommands.is_empty();
    let plain: Vec<&(Doc, Doc)> = fields
        .iter()
        .filter(|(k, _)| k.as_str() != Some("subcommands"))
        .collect();
    ctx.out.map(plain.len() + usize::from(has_subs));
    for (k, v) in plain {
        k.write(ctx.out);
        v.write(ctx.out);
    }
    if has_subs {
        ctx.out.bulk_str("subcommands");
        let mut subs: Vec<&Command> = cmd.subcommands.values().collect();
        subs.sort_by_key(|s| s.name);
        ctx.out.map(subs.len());
        for s in subs {
            ctx.out.bulk_str(s.name);
            write_docs(ctx, s);
        }
    }
}

/// COMMAND
pub fn command(ctx: &mut Ctx, _argv: &[&[u8]]) {
    let cmds = all_commands();
    ctx.out.array(cmds.len());
    for c in cmds {
        write_info(ctx, c);
    }
}

/// COMMAND COUNT
pub fn count(ctx: &mut Ctx, _argv: &[&[u8]]) {
    ctx.out.int(table::table().commands.len() as i64);
}

/// COMMAND INFO [command-name ...]
pub fn info(ctx: &mut Ctx, argv: &[&[u8]]) {
    if argv.len() == 2 {
        return command(ctx, argv);
    }
    ctx.out.array(argv.len() - 2);
    for name in &argv[2..] {
        match table::lookup_full(name) {
            Some(c) => write_info(ctx, c),
            None => ctx.out.null(),
        }
    }
}

/// COMMAND DOCS [command-name ...]
pub fn docs(ctx: &mut Ctx, argv: &[&[u8]]) {
    let cmds: Vec<&Command> = if argv.len() == 2 {
        all_commands()
    } else {
        argv[2..]
            .iter()
            .filter_map(|n| table::lookup_full(n))
            .collect()
    };
    ctx.out.map(cmds.len());
    for c in cmds {
        ctx.out.bulk_str(c.name);
        write_docs(ctx, c);
    }
}

/// COMMAND LIST [FILTERBY MODULE name | ACLCAT category | PATTERN pattern]
pub fn list(ctx: &mut Ctx, argv: &[&[u8]]) {
    let cmds = with_subcommands();
    let names: Vec<&str> = match argv.len() {
        2 => cmds.iter().map(|c| c.name).collect(),
        5 if is(argv[2], "filterby") => {
            let (kind, value) = (argv[3], argv[4]);
            if is(kind, "module") {
                Vec::new()
            } else if is(kind, "aclcat") {
                let want = format!("@{}", String::from_utf8_lossy(value).to_ascii_lowercase());
                cmds.iter()
                    .filter(|c| {
                        c.info.items().get(6).is_some_and(|cats| {
                            cats.items()
                                .iter()
                                .any(|d| d.as_str() == Some(want.as_str()))
                        })
                    })
                    .map(|c| c.name)
                    .collect()
            } else if is(kind, "pattern") {
                cmds.iter()
                    .filter(|c| glob::matches_nocase(value, c.name.as_bytes()))
                    .map(|c| c.name)
                    .collect()
            } else {
                return ctx.syntax_error();
            }
        }
        _ => return ctx.syntax_error(),
    };
    ctx.out.array(names.len());
    for n in names {
        ctx.out.bulk_str(n);
    }
}

/// The command GETKEYS is asked about, after Redis's checks; None when an error was sent.
fn keys_target<'a>(
    ctx: &mut Ctx,
    argv: &'a [&'a [u8]],
) -> Option<(&'static Command, &'a [&'a [u8]])> {
    let call = &argv[2..];
    let Some((cmd, _)) = table::lookup(call) else {
        ctx.out.err("Invalid command specified");
        return None;
    };
    if !has_key_specs(cmd) {
        ctx.out.err("The command has no key arguments");
        return None;
    }
    let argc = call.len() as i32;
    if (cmd.arity > 0 && cmd.arity != argc) || argc < -cmd.arity {
        ctx.out
            .err("Invalid number of arguments specified for command");
        return None;
    }
    Some((cmd, call))
}

/// Whether the command declares key specs (Redis's doesCommandHaveKeys).
fn has_key_specs(cmd: &Command) -> bool {
    cmd.info
        .items()
        .get(8)
        .is_some_and(|specs| !specs.items().is_empty())
}

/// A command with key specs whose arguments name no key (LMPOP 0 ...): an empty list if
/// its keys are optional, else Redis's error.
fn no_keys_found(ctx: &mut Ctx, cmd: &Command) {
    if cmd.flags & table::NO_MANDATORY_KEYS != 0 {
        ctx.out.array(0);
    } else {
        ctx.out.err("Invalid arguments specified for command");
    }
}

/// COMMAND GETKEYS command [arg ...]
pub fn getkeys(ctx: &mut Ctx, argv: &[&[u8]]) {
    let Some((cmd, call)) = keys_target(ctx, argv) else {
        return;
    };
    let keys = cmd.keys(call);
    if keys.is_empty() {
        return no_keys_found(ctx, cmd);
    }
    ctx.out.array(keys.len());
    for (k, _) in keys {
        ctx.out.bulk(k);
    }
}

/// COMMAND GETKEYSANDFLAGS command [arg ...]
pub fn getkeysandflags(ctx: &mut Ctx, argv: &[&[u8]]) {
    let Some((cmd, call)) = keys_target(ctx, argv) else {
        return;
    };
    let keys = cmd.keys(call);
    if keys.is_empty() {
        return no_keys_found(ctx, cmd);
    }
    ctx.out.array(keys.len());
    for (k, flags) in keys {
        ctx.out.array(2);
        ctx.out.bulk(k);
        variable_flags(cmd, call).unwrap_or(flags).write(ctx.out);
    }
}

/// Key flags of commands whose key spec says `variable_flags`: they depend on the
/// arguments (SET overwrites unless GET also reads the old value).
fn variable_flags(cmd: &Command, call: &[&[u8]]) -> Option<&'static Doc> {
    static OVERWRITE: Doc = Doc::Set(&[Doc::Simple("OW"), Doc::Simple("update")]);
    static READ_WRITE: Doc = Doc::Set(&[
        Doc::Simple("RW"),
        Doc::Simple("access"),
        Doc::Simple("update"),
    ]);
    match cmd.name {
        "set" if call[3..].iter().any(|a| is(a, "get")) => Some(&READ_WRITE),
        "set" => Some(&OVERWRITE),
        _ => None,
    }
}

/// COMMAND HELP
pub fn help(ctx: &mut Ctx, _argv: &[&[u8]]) {
    super::server::help_reply(
        ctx,
        "COMMAND",
        &[
            "(no subcommand)",
            "    Return details about all Redis commands.",
            "COUNT",
            "    Return the total number of commands in this Redis server.",
            "LIST",
            "    Return a list of all commands in this Redis server.",
            "INFO [<command-name> ...]",
            "    Return details about multiple Redis commands.",
            "    If no command names are given, documentation details for all",
            "    commands are returned.",
            "DOCS [<command-name> ...]",
            "    Return documentation details about multiple Redis commands.",
            "    If no command names are given, documentation details for all",
            "    commands are returned.",
            "GETKEYS <full-command>",
            "    Return the keys from a full Redis command.",
            "GETKEYSANDFLAGS <full-command>",
            "    Return the keys and the access flags from a full Redis command.",
        ],
    );
}
