//! COMMAND and its subcommands, rendered from the typed metadata of the dispatchable
//! commands in Redis 7.0.15's exact shapes (field order, sets, maps), in RESP2 and RESP3.

use super::spec::{
    Arg, BeginSearch, CommandDocs, CommandFlags, CommandMeta, FindKeys, KeySpec, KeySpecFlags,
};
use super::table::{self, Command};
use super::{is, Ctx};
use crate::protocol::reply::Reply;
use crate::util::glob;

/// The COMMAND INFO entry of `meta`: ten fields, then `subs` (the subcommands to show; a
/// plain command has none). Public so tests can render commands redust does not dispatch.
pub fn write_info(out: &mut Reply, meta: &CommandMeta, subs: &[&CommandMeta]) {
    out.array(10);
    out.bulk_str(meta.name);
    out.int(i64::from(meta.arity));
    let flags: Vec<&str> = meta.flags.shown_names().collect();
    out.set(flags.len());
    flags.iter().for_each(|f| out.simple(f));
    out.int(i64::from(meta.first_key));
    out.int(i64::from(meta.last_key));
    out.int(i64::from(meta.key_step));
    let cats: Vec<&str> = meta.acl_categories.names().collect();
    out.set(cats.len());
    for c in cats {
        out.simple(&format!("@{c}"));
    }
    out.set(meta.tips.len());
    meta.tips.iter().for_each(|t| out.bulk_str(t));
    out.set(meta.key_specs.len());
    meta.key_specs.iter().for_each(|s| write_key_spec(out, s));
    // Redis: an array of the container's subcommands, or an empty set for a plain command.
    if subs.is_empty() {
        out.set(0);
    } else {
        out.array(subs.len());
        subs.iter().for_each(|s| write_info(out, s, &[]));
    }
}

/// The metadata of a table command's implemented subcommands.
fn sub_metas(cmd: &Command) -> Vec<&'static CommandMeta> {
    cmd.subcommands.iter().map(|s| s.meta).collect()
}

fn write_key_flags(out: &mut Reply, flags: KeySpecFlags) {
    let names: Vec<&str> = flags.names().collect();
    out.set(names.len());
    names.iter().for_each(|n| out.simple(n));
}

fn write_key_spec(out: &mut Reply, spec: &KeySpec) {
    out.map(3 + usize::from(spec.notes.is_some()));
    if let Some(notes) = spec.notes {
        out.bulk_str("notes");
        out.bulk_str(notes);
    }
    out.bulk_str("flags");
    write_key_flags(out, spec.flags);
    out.bulk_str("begin_search");
    out.map(2);
    out.bulk_str("type");
    match spec.begin_search {
        BeginSearch::Index(pos) => {
            out.bulk_str("index");
            out.bulk_str("spec");
            out.map(1);
            out.bulk_str("index");
            out.int(i64::from(pos));
        }
        BeginSearch::Keyword { keyword, startfrom } => {
            out.bulk_str("keyword");
            out.bulk_str("spec");
            out.map(2);
            out.bulk_str("keyword");
            out.bulk_str(keyword);
            out.bulk_str("startfrom");
            out.int(i64::from(startfrom));
        }
        BeginSearch::Unknown => {
            out.bulk_str("unknown");
            out.bulk_str("spec");
            out.map(0);
        }
    }
    out.bulk_str("find_keys");
    out.map(2);
    out.bulk_str("type");
    let fields: [(&str, i32); 3] = match spec.find_keys {
        FindKeys::Range {
            lastkey,
            keystep,
            limit,
        } => {
            out.bulk_str("range");
            [("lastkey", lastkey), ("keystep", keystep), ("limit", limit)]
        }
        FindKeys::Keynum {
            keynumidx,
            firstkey,
            keystep,
        } => {
            out.bulk_str("keynum");
            [
                ("keynumidx", keynumidx),
                ("firstkey", firstkey),
                ("keystep", keystep),
            ]
        }
        FindKeys::Unknown => {
            out.bulk_str("unknown");
            out.bulk_str("spec");
            out.map(0);
            return;
        }
    };
    out.bulk_str("spec");
    out.map(3);
    for (name, value) in fields {
        out.bulk_str(name);
        out.int(i64::from(value));
    }
}

/// The COMMAND DOCS value of `meta`, fields in Redis's order, with `subs` (the
/// subcommands to show). Public so tests can render commands redust does not dispatch.
pub fn write_docs(out: &mut Reply, meta: &CommandMeta, subs: &[&CommandMeta]) {
    let d: &CommandDocs = &meta.docs;
    let strings = [
        ("summary", d.summary),
        ("since", d.since),
        ("group", Some(d.group)),
        ("complexity", d.complexity),
    ];
    let late = [
        ("deprecated_since", d.deprecated_since),
        ("replaced_by", d.replaced_by),
    ];
    let present = |v: &[(&str, Option<&str>)]| v.iter().filter(|(_, s)| s.is_some()).count();
    let len = present(&strings)
        + usize::from(!d.doc_flags.is_empty())
        + present(&late)
        + usize::from(d.history.is_some())
        + usize::from(d.arguments.is_some())
        + usize::from(!subs.is_empty());
    out.map(len);
    let pairs = |out: &mut Reply, v: &[(&str, Option<&str>)]| {
        for (k, s) in v {
            if let Some(s) = s {
                out.bulk_str(k);
                out.bulk_str(s);
            }
        }
    };
    pairs(out, &strings);
    if !d.doc_flags.is_empty() {
        out.bulk_str("doc_flags");
        let names: Vec<&str> = d.doc_flags.names().collect();
        out.set(names.len());
        names.iter().for_each(|n| out.simple(n));
    }
    pairs(out, &late);
    if let Some(history) = d.history {
        out.bulk_str("history");
        out.set(history.len());
        for (version, change) in history {
            out.array(2);
            out.bulk_str(version);
            out.bulk_str(change);
        }
    }
    if let Some(args) = d.arguments {
        out.bulk_str("arguments");
        write_args(out, args);
    }
    if !subs.is_empty() {
        out.bulk_str("subcommands");
        out.map(subs.len());
        for s in subs {
            out.bulk_str(s.name);
            write_docs(out, s, &[]);
        }
    }
}

fn write_args(out: &mut Reply, args: &[Arg]) {
    out.array(args.len());
    for a in args {
        let optional = [
            ("token", a.token),
            ("summary", a.summary),
            ("since", a.since),
            ("deprecated_since", a.deprecated_since),
        ];
        let len = 2
            + usize::from(a.key_spec_index.is_some())
            + optional.iter().filter(|(_, v)| v.is_some()).count()
            + usize::from(!a.flags.is_empty())
            + usize::from(a.kind.has_subargs());
        out.map(len);
        out.bulk_str("name");
        out.bulk_str(a.name);
        out.bulk_str("type");
        out.bulk_str(a.kind.name());
        if let Some(i) = a.key_spec_index {
            out.bulk_str("key_spec_index");
            out.int(i64::from(i));
        }
        for (k, v) in optional {
            if let Some(v) = v {
                out.bulk_str(k);
                out.bulk_str(v);
            }
        }
        if !a.flags.is_empty() {
            out.bulk_str("flags");
            let names: Vec<&str> = a.flags.names().collect();
            out.set(names.len());
            names.iter().for_each(|n| out.simple(n));
        }
        if a.kind.has_subargs() {
            out.bulk_str("arguments");
            write_args(out, a.subargs);
        }
    }
}

/// COMMAND
pub fn command(ctx: &mut Ctx, _argv: &[&[u8]]) {
    let cmds = table::callable();
    ctx.out.array(cmds.len());
    for c in cmds {
        write_info(ctx.out, c.meta, &sub_metas(c));
    }
}

/// COMMAND COUNT
pub fn count(ctx: &mut Ctx, _argv: &[&[u8]]) {
    ctx.out.int(table::callable().len() as i64);
}

/// COMMAND INFO [command-name ...]
pub fn info(ctx: &mut Ctx, argv: &[&[u8]]) {
    if argv.len() == 2 {
        return command(ctx, argv);
    }
    ctx.out.array(argv.len() - 2);
    for name in &argv[2..] {
        match table::lookup_full(name) {
            Some(c) => write_info(ctx.out, c.meta, &sub_metas(c)),
            None => ctx.out.null(),
        }
    }
}

/// COMMAND DOCS [command-name ...]
pub fn docs(ctx: &mut Ctx, argv: &[&[u8]]) {
    let cmds: Vec<&Command> = if argv.len() == 2 {
        table::callable()
    } else {
        argv[2..]
            .iter()
            .filter_map(|n| table::lookup_full(n))
            .collect()
    };
    ctx.out.map(cmds.len());
    for c in cmds {
        ctx.out.bulk_str(c.name);
        write_docs(ctx.out, c.meta, &sub_metas(c));
    }
}

/// What COMMAND LIST keeps.
enum ListFilter<'a> {
    All,
    /// Commands of a module: redust loads none.
    Module,
    /// Commands in an ACL category; an unknown category matches nothing.
    AclCat(Option<super::spec::AclCategories>),
    /// Full names matching a glob pattern, any case.
    Pattern(&'a [u8]),
}

impl ListFilter<'_> {
    fn keeps(&self, cmd: &Command) -> bool {
        match self {
            ListFilter::All => true,
            ListFilter::Module => false,
            ListFilter::AclCat(cat) => cat.is_some_and(|c| cmd.acl_categories.intersects(c)),
            ListFilter::Pattern(p) => glob::matches_nocase(p, cmd.name.as_bytes()),
        }
    }
}

/// COMMAND LIST [FILTERBY MODULE name | ACLCAT category | PATTERN pattern]
pub fn list(ctx: &mut Ctx, argv: &[&[u8]]) {
    let filter = match argv.len() {
        2 => ListFilter::All,
        5 if is(argv[2], "filterby") => {
            let (kind, value) = (argv[3], argv[4]);
            if is(kind, "module") {
                ListFilter::Module
            } else if is(kind, "aclcat") {
                // Redis compares the category as a C string, any case.
                let name = value.split(|&b| b == 0).next().unwrap_or_default();
                ListFilter::AclCat(super::spec::AclCategories::from_name(name))
            } else if is(kind, "pattern") {
                ListFilter::Pattern(value)
            } else {
                return ctx.syntax_error();
            }
        }
        _ => return ctx.syntax_error(),
    };
    // Each command, then its subcommands, whether or not the command itself matched.
    let names: Vec<&str> = table::callable()
        .into_iter()
        .flat_map(|c| std::iter::once(c).chain(&c.subcommands))
        .filter(|c| filter.keeps(c))
        .map(|c| c.name)
        .collect();
    ctx.out.array(names.len());
    for n in names {
        ctx.out.bulk_str(n);
    }
}

/// The answer of COMMAND GETKEYS (or GETKEYSANDFLAGS, `with_flags`) for `call`, a call of
/// the command `meta` (None: no such command), after Redis's checks: a command that cannot
/// name keys, a wrong argument count, a call that names none (an empty list if the
/// command's keys are optional). Public so tests can ask about commands redust does not
/// dispatch.
pub fn write_getkeys(
    out: &mut Reply,
    meta: Option<&CommandMeta>,
    call: &[&[u8]],
    with_flags: bool,
) {
    let Some(meta) = meta else {
        return out.err("Invalid command specified");
    };
    if !meta.has_keys() {
        return out.err("The command has no key arguments");
    }
    let argc = call.len() as i32;
    if (meta.arity > 0 && meta.arity != argc) || argc < -meta.arity {
        return out.err("Invalid number of arguments specified for command");
    }
    let keys = meta.get_keys(call);
    if keys.is_empty() {
        if meta.flags.contains(CommandFlags::NO_MANDATORY_KEYS) {
            out.array(0);
        } else {
            out.err("Invalid arguments specified for command");
        }
        return;
    }
    out.array(keys.len());
    for k in keys {
        if with_flags {
            out.array(2);
            out.bulk(call[k.pos]);
            write_key_flags(out, k.flags);
        } else {
            out.bulk(call[k.pos]);
        }
    }
}

/// COMMAND GETKEYS / GETKEYSANDFLAGS, for the commands redust dispatches.
fn getkeys_reply(ctx: &mut Ctx, argv: &[&[u8]], with_flags: bool) {
    let call = &argv[2..];
    let meta = table::lookup(call).map(|(c, _)| c.meta);
    write_getkeys(ctx.out, meta, call, with_flags);
}

/// COMMAND GETKEYS command [arg ...]
pub fn getkeys(ctx: &mut Ctx, argv: &[&[u8]]) {
    getkeys_reply(ctx, argv, false);
}

/// COMMAND GETKEYSANDFLAGS command [arg ...]
pub fn getkeysandflags(ctx: &mut Ctx, argv: &[&[u8]]) {
    getkeys_reply(ctx, argv, true);
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
