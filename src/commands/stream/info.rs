//! XINFO STREAM [FULL [COUNT n]], XINFO GROUPS, XINFO CONSUMERS, XINFO HELP.

use std::collections::HashSet;

use super::{reply_entry, reply_id};
use crate::commands::server::help_reply;
use crate::commands::{int_arg, is, Ctx};
use crate::protocol::reply::Reply;
use crate::store::types::stream::{Group, Stream, StreamId, INVALID_ENTRIES_READ};
use crate::store::Value;

/// Redis's addReplySubcommandSyntaxError for XINFO.
fn subcommand_error(ctx: &mut Ctx, sub: &[u8]) {
    crate::commands::subcommand_syntax_error(ctx.out, "XINFO", sub);
}

/// The stream at `argv[2]` for reading; replies `no such key` or WRONGTYPE if not.
fn lookup<'a>(ctx: &'a mut Ctx, key: &[u8]) -> Option<(&'a mut Reply, &'a Stream)> {
    match ctx.store.lookup_read(ctx.db, key) {
        None => {
            ctx.out.err("no such key");
            None
        }
        Some(Value::Stream(s)) => Some((&mut *ctx.out, &**s)),
        Some(_) => {
            ctx.out
                .error("WRONGTYPE Operation against a key holding the wrong kind of value");
            None
        }
    }
}

/// The number of nodes Redis's radix tree would have for these node keys (XINFO's
/// radix-tree-nodes): the head, every branching point, every child of one, and every key's
/// leaf; runs without branches are one compressed node each.
fn rax_nodes(keys: impl Iterator<Item = StreamId>) -> usize {
    let keys: Vec<[u8; 16]> = keys
        .map(|id| {
            let mut k = [0u8; 16];
            k[..8].copy_from_slice(&id.ms.to_be_bytes());
            k[8..].copy_from_slice(&id.seq.to_be_bytes());
            k
        })
        .collect();
    let mut inner: HashSet<(usize, [u8; 16])> = HashSet::new();
    inner.insert((0, [0u8; 16]));
    let prefix = |k: &[u8; 16], d: usize| {
        let mut p = [0u8; 16];
        p[..d].copy_from_slice(&k[..d]);
        (d, p)
    };
    for w in keys.windows(2) {
        let d = w[0].iter().zip(&w[1]).take_while(|(a, b)| a == b).count();
        inner.insert(prefix(&w[0], d));
        if d + 1 < 16 {
            inner.insert(prefix(&w[0], d + 1));
            inner.insert(prefix(&w[1], d + 1));
        }
    }
    keys.len() + inner.len()
}

/// XINFO STREAM key [FULL [COUNT count]]
pub fn stream(ctx: &mut Ctx, argv: &[&[u8]]) {
    let opts = &argv[3..];
    let mut full = false;
    let mut count: i64 = 10;
    if !opts.is_empty() {
        if (opts.len() != 1 && opts.len() != 3) || !is(opts[0], "full") {
            return subcommand_error(ctx, argv[1]);
        }
        full = true;
        if opts.len() == 3 {
            if !is(opts[1], "count") {
                return subcommand_error(ctx, argv[1]);
            }
            let Some(n) = int_arg(ctx.out, opts[2]) else {
                return;
            };
            count = if n < 0 { 10 } else { n };
        }
    }
    let Some((out, s)) = lookup(ctx, argv[2]) else {
        return;
    };
    out.map(if full { 9 } else { 10 });
    out.bulk(b"length");
    out.int(s.length as i64);
    out.bulk(b"radix-tree-keys");
    out.int(s.node_count() as i64);
    out.bulk(b"radix-tree-nodes");
    out.int(rax_nodes(s.nodes().map(|(k, _)| k)) as i64);
    out.bulk(b"last-generated-id");
    reply_id(out, s.last_id);
    out.bulk(b"max-deleted-entry-id");
    reply_id(out, s.max_deleted_entry_id);
    out.bulk(b"entries-added");
    out.int(s.entries_added as i64);
    out.bulk(b"recorded-first-entry-id");
    reply_id(out, s.first_id);
    if !full {
        out.bulk(b"groups");
        out.int(s.groups.len() as i64);
        out.bulk(b"first-entry");
        match s.range(StreamId::MIN, StreamId::MAX, false).next() {
            Some(e) => reply_entry(out, &e),
            None => out.null(),
        }
        out.bulk(b"last-entry");
        match s.range(StreamId::MIN, StreamId::MAX, true).next() {
            Some(e) => reply_entry(out, &e),
            None => out.null(),
        }
        return;
    }
    let limit = if count == 0 {
        usize::MAX
    } else {
        count as usize
    };
    out.bulk(b"entries");
    let entries: Vec<_> = s
        .range(StreamId::MIN, StreamId::MAX, false)
        .take(limit)
        .collect();
    out.array(entries.len());
    for e in &entries {
        reply_entry(out, e);
    }
    out.bulk(b"groups");
    out.array(s.groups.len());
    for (name, g) in &s.groups {
        out.map(7);
        out.bulk(b"name");
        out.bulk(name);
        out.bulk(b"last-delivered-id");
        reply_id(out, g.last_id);
        reply_entries_read_and_lag(out, s, g);
        out.bulk(b"pel-count");
        out.int(g.pel.len() as i64);
        out.bulk(b"pending");
        let pel: Vec<_> = g.pel.iter().take(limit).collect();
        out.array(pel.len());
        for (id, nack) in pel {
            out.array(4);
            reply_id(out, *id);
            out.bulk(&nack.consumer);
            out.int(nack.delivery_time as i64);
            out.int(nack.delivery_count as i64);
        }
        out.bulk(b"consumers");
        out.array(g.consumers.len());
        for (cname, c) in &g.consumers {
            out.map(4);
            out.bulk(b"name");
            out.bulk(cname);
            out.bulk(b"seen-time");
            out.int(c.seen_time as i64);
            out.bulk(b"pel-count");
            out.int(c.pel.len() as i64);
            out.bulk(b"pending");
            let ids: Vec<_> = c.pel.iter().take(limit).collect();
            out.array(ids.len());
            for id in ids {
                let nack = &g.pel[id];
                out.array(3);
                reply_id(out, *id);
                out.int(nack.delivery_time as i64);
                out.int(nack.delivery_count as i64);
            }
        }
    }
}

/// The `entries-read` and `lag` fields of a group.
fn reply_entries_read_and_lag(out: &mut Reply, s: &Stream, g: &Group) {
    out.bulk(b"entries-read");
    if g.entries_read != INVALID_ENTRIES_READ {
        out.int(g.entries_read);
    } else {
        out.null();
    }
    out.bulk(b"lag");
    match s.lag(g) {
        Some(lag) => out.int(lag),
        None => out.null(),
    }
}

/// XINFO GROUPS key
pub fn groups(ctx: &mut Ctx, argv: &[&[u8]]) {
    let Some((out, s)) = lookup(ctx, argv[2]) else {
        return;
    };
    out.array(s.groups.len());
    for (name, g) in &s.groups {
        out.map(6);
        out.bulk(b"name");
        out.bulk(name);
        out.bulk(b"consumers");
        out.int(g.consumers.len() as i64);
        out.bulk(b"pending");
        out.int(g.pel.len() as i64);
        out.bulk(b"last-delivered-id");
        reply_id(out, g.last_id);
        reply_entries_read_and_lag(out, s, g);
    }
}

/// XINFO CONSUMERS key group
pub fn consumers(ctx: &mut Ctx, argv: &[&[u8]]) {
    let now = ctx.now_ms();
    let (key, group) = (argv[2], argv[3]);
    let Some((out, s)) = lookup(ctx, key) else {
        return;
    };
    let Some(g) = s.groups.get(group) else {
        let mut msg = b"NOGROUP No such consumer group '".to_vec();
        msg.extend_from_slice(group);
        msg.extend_from_slice(b"' for key name '");
        msg.extend_from_slice(key);
        msg.push(b'\'');
        return out.error_bytes(&msg);
    };
    out.array(g.consumers.len());
    for (name, c) in &g.consumers {
        out.map(3);
        out.bulk(b"name");
        out.bulk(name);
        out.bulk(b"pending");
        out.int(c.pel.len() as i64);
        out.bulk(b"idle");
        out.int(now.saturating_sub(c.seen_time) as i64);
    }
}

/// XINFO HELP
pub fn help(ctx: &mut Ctx, _argv: &[&[u8]]) {
    help_reply(
        ctx,
        "XINFO",
        &[
            "CONSUMERS <key> <groupname>",
            "    Show consumers of <groupname>.",
            "GROUPS <key>",
            "    Show the stream consumer groups.",
            "STREAM <key> [FULL [COUNT <count>]",
            "    Show information about the stream.",
        ],
    );
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn radix_tree_node_counts() {
        assert_eq!(rax_nodes(std::iter::empty()), 1);
        assert_eq!(rax_nodes([StreamId::new(1, 1)].into_iter()), 2);
    }
}
