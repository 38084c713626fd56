//! Pub/Sub commands: SUBSCRIBE UNSUBSCRIBE PSUBSCRIBE PUNSUBSCRIBE SSUBSCRIBE SUNSUBSCRIBE
//! PUBLISH SPUBLISH PUBSUB.
//!
//! Confirmations and messages are push frames (arrays in RESP2) written through
//! [`crate::pubsub`]; those to the caller are marked as pushes, so they arrive in order with
//! its replies and even under CLIENT REPLY OFF.

use super::Ctx;
use crate::pubsub::{self, Kind, Outputs};

/// Writes one (un)subscription confirmation to the caller: `[kind, name or nil, count]`.
fn confirm(ctx: &mut Ctx, what: &[u8], name: Option<&[u8]>, kind: Kind) {
    let count = ctx.client().subs.reply_count(kind);
    let start = ctx.out.buf.len();
    ctx.out.push(3);
    ctx.out.bulk(what);
    match name {
        Some(n) => ctx.out.bulk(n),
        None => ctx.out.null(),
    }
    ctx.out.int(count as i64);
    ctx.out.mark_push(start);
}

fn subscribe_generic(ctx: &mut Ctx, argv: &[&[u8]], kind: Kind) {
    for &name in &argv[1..] {
        pubsub::subscribe(ctx.srv, ctx.caller, kind, name);
        confirm(ctx, kind.subscribed(), Some(name), kind);
    }
}

fn unsubscribe_generic(ctx: &mut Ctx, argv: &[&[u8]], kind: Kind) {
    if argv.len() > 1 {
        for &name in &argv[1..] {
            pubsub::unsubscribe(ctx.srv, ctx.caller, kind, name);
            confirm(ctx, kind.unsubscribed(), Some(name), kind);
        }
        return;
    }
    let names = pubsub::subscriptions(ctx.srv, ctx.caller, kind);
    if names.is_empty() {
        return confirm(ctx, kind.unsubscribed(), None, kind);
    }
    for name in names {
        pubsub::unsubscribe(ctx.srv, ctx.caller, kind, &name);
        confirm(ctx, kind.unsubscribed(), Some(&name), kind);
    }
}

/// SUBSCRIBE channel [channel ...]
pub fn subscribe(ctx: &mut Ctx, argv: &[&[u8]]) {
    subscribe_generic(ctx, argv, Kind::Channel);
}

/// UNSUBSCRIBE [channel ...]
pub fn unsubscribe(ctx: &mut Ctx, argv: &[&[u8]]) {
    unsubscribe_generic(ctx, argv, Kind::Channel);
}

/// PSUBSCRIBE pattern [pattern ...]
pub fn psubscribe(ctx: &mut Ctx, argv: &[&[u8]]) {
    subscribe_generic(ctx, argv, Kind::Pattern);
}

/// PUNSUBSCRIBE [pattern ...]
pub fn punsubscribe(ctx: &mut Ctx, argv: &[&[u8]]) {
    unsubscribe_generic(ctx, argv, Kind::Pattern);
}

/// SSUBSCRIBE shardchannel [shardchannel ...]
pub fn ssubscribe(ctx: &mut Ctx, argv: &[&[u8]]) {
    subscribe_generic(ctx, argv, Kind::Shard);
}

/// SUNSUBSCRIBE [shardchannel ...]
pub fn sunsubscribe(ctx: &mut Ctx, argv: &[&[u8]]) {
    unsubscribe_generic(ctx, argv, Kind::Shard);
}

fn publish_generic(ctx: &mut Ctx, argv: &[&[u8]], kind: Kind) {
    let mut outputs = Outputs {
        srv: ctx.srv,
        caller: Some((ctx.caller, ctx.out)),
    };
    let n = pubsub::publish(&mut outputs, kind, argv[1], argv[2]);
    ctx.out.int(n as i64);
    // Replicas' subscribers hear it too: propagated although nothing was written, as
    // Redis outside cluster mode.
    if ctx.srv.propagation.is_on() {
        ctx.rewrite_argv(argv);
    }
}

/// PUBLISH channel message
pub fn publish(ctx: &mut Ctx, argv: &[&[u8]]) {
    publish_generic(ctx, argv, Kind::Channel);
}

/// SPUBLISH shardchannel message
pub fn spublish(ctx: &mut Ctx, argv: &[&[u8]]) {
    publish_generic(ctx, argv, Kind::Shard);
}

/// PUBSUB CHANNELS [pattern]
pub fn channels(ctx: &mut Ctx, argv: &[&[u8]]) {
    list_channels(ctx, argv, Kind::Channel);
}

/// PUBSUB SHARDCHANNELS [pattern]
pub fn shardchannels(ctx: &mut Ctx, argv: &[&[u8]]) {
    list_channels(ctx, argv, Kind::Shard);
}

fn list_channels(ctx: &mut Ctx, argv: &[&[u8]], kind: Kind) {
    let names: Vec<Vec<u8>> = ctx
        .srv
        .pubsub
        .active(kind, argv.get(2).copied())
        .into_iter()
        .map(<[u8]>::to_vec)
        .collect();
    ctx.out.array(names.len());
    for n in &names {
        ctx.out.bulk(n);
    }
}

/// PUBSUB NUMSUB [channel ...]
pub fn numsub(ctx: &mut Ctx, argv: &[&[u8]]) {
    count_subscribers(ctx, argv, Kind::Channel);
}

/// PUBSUB SHARDNUMSUB [shardchannel ...]
pub fn shardnumsub(ctx: &mut Ctx, argv: &[&[u8]]) {
    count_subscribers(ctx, argv, Kind::Shard);
}

fn count_subscribers(ctx: &mut Ctx, argv: &[&[u8]], kind: Kind) {
    // A flat array of channel, count pairs, in RESP3 too, as Redis answers.
    ctx.out.array(2 * (argv.len() - 2));
    for &ch in &argv[2..] {
        let n = ctx.srv.pubsub.numsub(kind, ch);
        ctx.out.bulk(ch);
        ctx.out.int(n as i64);
    }
}

/// PUBSUB NUMPAT
pub fn numpat(ctx: &mut Ctx, _argv: &[&[u8]]) {
    let n = ctx.srv.pubsub.pattern_count();
    ctx.out.int(n as i64);
}

/// PUBSUB HELP
pub fn help(ctx: &mut Ctx, _argv: &[&[u8]]) {
    const LINES: &[&str] = &[
        "PUBSUB <subcommand> [<arg> [value] [opt] ...]. Subcommands are:",
        "CHANNELS [<pattern>]",
        "    Return the currently active channels matching a <pattern> (default: '*').",
        "NUMPAT",
        "    Return number of subscriptions to patterns.",
        "NUMSUB [<channel> ...]",
        "    Return the number of subscribers for the specified channels, excluding",
        "    pattern subscriptions(default: no channels).",
        "SHARDCHANNELS [<pattern>]",
        "    Return the currently active shard level channels matching a <pattern> (default: '*').",
        "SHARDNUMSUB [<shardchannel> ...]",
        "    Return the number of subscribers for the specified shard level channel(s)",
        "HELP",
        "    Prints this help.",
    ];
    ctx.out.array(LINES.len());
    for l in LINES {
        ctx.out.simple(l);
    }
}
