//! LATENCY: the latency monitor's events (LATEST, HISTORY, RESET, GRAPH, DOCTOR) and the
//! per-command latency histograms (HISTOGRAM); the data lives in `server::latency`.

use std::fmt::Write as _;

use super::table::{self, Command};
use super::Ctx;
use crate::server::latency::{Histogram, Series};

/// LATENCY LATEST: each event with its latest sample's time and latency, and its maximum.
pub fn latest(ctx: &mut Ctx, _argv: &[&[u8]]) {
    let rows: Vec<(&str, u64, u64, u64)> = ctx
        .srv
        .latency
        .events
        .iter()
        .map(|(name, ts)| {
            let last = ts.latest();
            (*name, last.time, last.latency, ts.max)
        })
        .collect();
    ctx.out.array(rows.len());
    for (name, time, latency, max) in rows {
        ctx.out.array(4);
        ctx.out.bulk(name.as_bytes());
        ctx.out.int(time as i64);
        ctx.out.int(latency as i64);
        ctx.out.int(max as i64);
    }
}

fn series<'a>(ctx: &'a Ctx, event: &[u8]) -> Option<(&'static str, &'a Series)> {
    ctx.srv
        .latency
        .events
        .iter()
        .find(|(name, _)| name.as_bytes() == event)
        .map(|(name, ts)| (*name, ts))
}

/// LATENCY HISTORY event: its samples, oldest first, as (time, latency) pairs.
pub fn history(ctx: &mut Ctx, argv: &[&[u8]]) {
    let samples: Vec<_> =
        series(ctx, argv[2]).map_or_else(Vec::new, |(_, ts)| ts.history().collect());
    ctx.out.array(samples.len());
    for s in samples {
        ctx.out.array(2);
        ctx.out.int(s.time as i64);
        ctx.out.int(s.latency as i64);
    }
}

/// LATENCY RESET [event ...]: forgets the events named (all without names); replies how
/// many there were.
pub fn reset(ctx: &mut Ctx, argv: &[&[u8]]) {
    let monitor = &mut ctx.srv.latency;
    let n = if argv.len() == 2 {
        monitor.reset_all()
    } else {
        argv[2..].iter().filter(|e| monitor.reset(e)).count()
    };
    ctx.out.int(n as i64);
}

/// LATENCY GRAPH event: an ASCII chart of the event's samples.
pub fn graph(ctx: &mut Ctx, argv: &[&[u8]]) {
    let Some((name, ts)) = series(ctx, argv[2]) else {
        let msg = format!(
            "No samples available for event '{}'",
            String::from_utf8_lossy(argv[2])
        );
        return ctx.out.err(&msg);
    };
    let text = render_graph(name, ts, crate::server::unix_ms() / 1000);
    ctx.out.verbatim("txt", text.as_bytes());
}

/// Columns of the chart (Redis's LATENCY_GRAPH_COLS) and its bar height in rows.
const GRAPH_COLS: usize = 80;
const GRAPH_ROWS: u64 = 4;

/// The chart: a title with the range, a rule, then one column per sample (the most recent
/// 80), bars of `#` scaled between the lowest and highest sample, and under each column
/// how long ago it was, written downwards.
fn render_graph(name: &str, ts: &Series, now_secs: u64) -> String {
    let samples: Vec<_> = ts.history().collect();
    let samples = &samples[samples.len().saturating_sub(GRAPH_COLS)..];
    let max = samples.iter().map(|s| s.latency).max().unwrap_or(0);
    let min = samples.iter().map(|s| s.latency).min().unwrap_or(0);
    let mut out = format!(
        "{name} - high {max} ms, low {min} ms (all time high {} ms)\n{}\n",
        ts.max,
        "-".repeat(GRAPH_COLS)
    );
    let height = |v: u64| {
        if max == min {
            GRAPH_ROWS
        } else {
            1 + (v - min) * (GRAPH_ROWS - 1) / (max - min)
        }
    };
    for row in (1..=GRAPH_ROWS).rev() {
        let line: String = samples
            .iter()
            .map(|s| if height(s.latency) >= row { '#' } else { ' ' })
            .collect();
        out.push_str(line.trim_end());
        out.push('\n');
    }
    let labels: Vec<String> = samples
        .iter()
        .map(|s| ago(now_secs.saturating_sub(s.time)))
        .collect();
    let depth = labels.iter().map(String::len).max().unwrap_or(0);
    for i in 0..depth {
        let line: String = labels
            .iter()
            .map(|l| l.as_bytes().get(i).map_or(' ', |&b| b as char))
            .collect();
        out.push_str(line.trim_end());
        out.push('\n');
    }
    out
}

/// `12s`, `5m`, `3h`, `2d`: how long ago.
fn ago(secs: u64) -> String {
    match secs {
        s if s < 60 => format!("{s}s"),
        s if s < 3600 => format!("{}m", s / 60),
        s if s < 86400 => format!("{}h", s / 3600),
        s => format!("{}d", s / 86400),
    }
}

/// LATENCY DOCTOR: a report in words on each event seen, with advice.
pub fn doctor(ctx: &mut Ctx, _argv: &[&[u8]]) {
    let threshold = ctx.srv.config.latency_monitor_threshold;
    let mut report = String::new();
    if ctx.srv.latency.events.is_empty() {
        if threshold == 0 {
            report.push_str(
                "The latency monitor is disabled (latency-monitor-threshold is 0), so no \
                 latency spike was recorded. Enable it with CONFIG SET \
                 latency-monitor-threshold <milliseconds>.\n",
            );
        } else {
            report.push_str(
                "No latency spike was observed since the monitor was enabled or reset: \
                 every monitored event stayed under latency-monitor-threshold.\n",
            );
        }
    } else {
        report.push_str("Latency spikes were observed for these events:\n\n");
        for (i, (name, ts)) in ctx.srv.latency.events.iter().enumerate() {
            let samples: Vec<_> = ts.history().collect();
            let n = samples.len().max(1) as u64;
            let avg = samples.iter().map(|s| s.latency).sum::<u64>() / n;
            let _ = writeln!(
                report,
                "{}. {name}: {} latency spikes (average {avg}ms, worst {}ms).",
                i + 1,
                samples.len(),
                ts.max
            );
            if let Some(advice) = advice(name) {
                let _ = writeln!(report, "   {advice}");
            }
        }
    }
    ctx.out.verbatim("txt", report.as_bytes());
}

/// What usually causes spikes of `event`.
fn advice(event: &str) -> Option<&'static str> {
    Some(match event {
        "command" => {
            "Slow commands: check SLOWLOG GET for O(N) commands over large values (KEYS, \
             SMEMBERS, LRANGE 0 -1 ...) and prefer their incremental forms (SCAN ...)."
        }
        "fast-command" => {
            "O(1) commands were slow: the process may be starved of CPU, or swapping."
        }
        "expire-cycle" => {
            "The active expiry cycle was slow: many keys expiring at once, or large values \
             freed when they expire."
        }
        "eviction-cycle" | "eviction-del" => {
            "Evicting keys for maxmemory was slow: large values evicted, or a limit lowered \
             far below the memory in use."
        }
        "fork" => "fork() for a background save was slow: the larger the dataset, the longer.",
        _ => return None,
    })
}

/// LATENCY HISTOGRAM [command ...]: for each command called since the last CONFIG
/// RESETSTAT (or those named; a container stands for its subcommands), its calls and their
/// cumulative distribution in microseconds.
pub fn histogram(ctx: &mut Ctx, argv: &[&[u8]]) {
    let mut chosen: Vec<&'static Command> = Vec::new();
    if argv.len() == 2 {
        for cmd in &table::table().commands {
            chosen.push(cmd);
            chosen.extend(cmd.subcommands.iter());
        }
    } else {
        for name in &argv[2..] {
            let Some(cmd) = table::lookup_full(name) else {
                continue;
            };
            chosen.push(cmd);
            chosen.extend(cmd.subcommands.iter());
        }
    }
    let with_data: Vec<(&'static str, &Histogram)> = chosen
        .into_iter()
        .filter_map(|c| {
            let h = ctx.srv.stats.commandstats.get(c.id)?.histogram.as_ref()?;
            (h.total > 0).then_some((c.name, h))
        })
        .collect();
    type Row<'a> = (&'a str, u64, Vec<(u64, u64)>);
    let rows: Vec<Row> = with_data
        .iter()
        .map(|(name, h)| (*name, h.total, h.cumulative_us()))
        .collect();
    ctx.out.map(rows.len());
    for (name, total, cdf) in rows {
        ctx.out.bulk(name.as_bytes());
        ctx.out.map(2);
        ctx.out.bulk(b"calls");
        ctx.out.int(total as i64);
        ctx.out.bulk(b"histogram_usec");
        ctx.out.map(cdf.len());
        for (us, count) in cdf {
            ctx.out.int(us as i64);
            ctx.out.int(count as i64);
        }
    }
}

/// LATENCY HELP
pub fn help(ctx: &mut Ctx, _argv: &[&[u8]]) {
    super::server::help_reply(
        ctx,
        "LATENCY",
        &[
            "DOCTOR",
            "    Return a human readable latency analysis report.",
            "GRAPH <event>",
            "    Return an ASCII latency graph for the <event> class.",
            "HISTORY <event>",
            "    Return time-latency samples for the <event> class.",
            "LATEST",
            "    Return the latest latency samples for all events.",
            "RESET [<event> ...]",
            "    Reset latency data of one or more <event> classes.",
            "    (default: reset all data for all event classes)",
            "HISTOGRAM [COMMAND ...]",
            "    Return a cumulative distribution of latencies in the format of a histogram for the specified command names.",
            "    If no commands are specified then all histograms are replied.",
        ],
    );
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::server::latency::Monitor;

    #[test]
    fn graph_scales_bars_and_labels_columns() {
        let mut m = Monitor::default();
        m.add_sample("command", 100, 1000);
        m.add_sample("command", 400, 1010);
        let text = render_graph("command", &m.events["command"], 1070);
        let lines: Vec<&str> = text.lines().collect();
        assert_eq!(
            lines[0],
            "command - high 400 ms, low 100 ms (all time high 400 ms)"
        );
        assert_eq!(lines[2], " #", "only the high sample reaches the top row");
        assert_eq!(lines[5], "##");
        assert_eq!(lines[6], "11", "70s and 60s ago: 1m each");
        assert_eq!(lines[7], "mm");
    }
}
