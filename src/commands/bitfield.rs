//! BITFIELD and BITFIELD_RO: several typed integer fields of a string read, set or
//! incremented in one command, on the bit helpers of `bits.rs`.

use super::bits::{
    get_signed, get_unsigned, keyword, offset_arg, parse_type, set_bits, signed_overflow,
    string_for_write, unsigned_overflow, Overflow, TYPE_ERR,
};
use super::Ctx;
use crate::store::Event;

/// One parsed BITFIELD operation.
#[derive(Clone, Copy, Debug)]
struct FieldOp {
    kind: FieldKind,
    signed: bool,
    bits: u32,
    offset: u64,
    /// SET's value or INCRBY's increment.
    value: i64,
    overflow: Overflow,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum FieldKind {
    Get,
    Set,
    Incrby,
}

/// Parses BITFIELD's operations, replying the first error as Redis does (None then).
fn parse_field_ops(ctx: &mut Ctx, argv: &[&[u8]]) -> Option<Vec<FieldOp>> {
    let mut ops = Vec::new();
    let mut overflow = Overflow::Wrap;
    let mut j = 2;
    while j < argv.len() {
        // (operation, or None for OVERFLOW; how many arguments it takes)
        let subcommands = [
            ("get", (Some(FieldKind::Get), 2)),
            ("set", (Some(FieldKind::Set), 3)),
            ("incrby", (Some(FieldKind::Incrby), 3)),
            ("overflow", (None, 1)),
        ];
        let sub = keyword(argv[j], &subcommands).filter(|&(_, n)| j + n < argv.len());
        let Some((kind, _)) = sub else {
            ctx.syntax_error();
            return None;
        };
        let Some(kind) = kind else {
            let policies = [
                ("wrap", Overflow::Wrap),
                ("sat", Overflow::Sat),
                ("fail", Overflow::Fail),
            ];
            let Some(p) = keyword(argv[j + 1], &policies) else {
                ctx.out.err("Invalid OVERFLOW type specified");
                return None;
            };
            overflow = p;
            j += 2;
            continue;
        };
        let Some((signed, bits)) = parse_type(argv[j + 1]) else {
            ctx.out.err(TYPE_ERR);
            return None;
        };
        let offset = offset_arg(ctx, argv[j + 2], bits)?;
        let value = if kind == FieldKind::Get {
            0
        } else {
            super::int_arg(ctx.out, argv[j + 3])?
        };
        ops.push(FieldOp {
            kind,
            signed,
            bits,
            offset,
            value,
            overflow,
        });
        j += if kind == FieldKind::Get { 3 } else { 4 };
    }
    Some(ops)
}

/// Runs one SET or INCRBY on `buf` (which covers it): the reply value, or None when the
/// overflow policy is FAIL and the value does not fit; and whether the bits changed.
fn apply_write(buf: &mut [u8], op: &FieldOp) -> (Option<i64>, bool) {
    // Unsigned fields are at most 63 bits wide, so every value fits an i64.
    let old = read_field(buf, op);
    let incrby = op.kind == FieldKind::Incrby;
    let (target, incr) = if incrby {
        (old, op.value)
    } else {
        (op.value, 0)
    };
    let over = if op.signed {
        signed_overflow(target, incr, op.bits, op.overflow)
    } else {
        unsigned_overflow(target as u64, incr, op.bits, op.overflow).map(|v| v as i64)
    };
    if over.is_some() && op.overflow == Overflow::Fail {
        return (None, false);
    }
    let new = over.unwrap_or(target.wrapping_add(incr));
    set_bits(buf, op.offset, op.bits, new as u64);
    (Some(if incrby { new } else { old }), old != new)
}

/// BITFIELD and BITFIELD_RO: parse everything, look the key up once, then run in order.
fn bitfield_generic(ctx: &mut Ctx, argv: &[&[u8]], read_only: bool) {
    let Some(ops) = parse_field_ops(ctx, argv) else {
        return;
    };
    let key = argv[1];
    let writes = ops.iter().filter(|o| o.kind != FieldKind::Get);
    let highest = writes.map(|o| o.offset + u64::from(o.bits) - 1).max();
    let mut replies: Vec<Option<i64>> = Vec::with_capacity(ops.len());
    let mut changes = 0;
    match highest {
        None => {
            let s = match ctx.read_string(key) {
                Err(_) => return,
                Ok(s) => s.map(|s| s.as_bytes()),
            };
            let s: &[u8] = s.as_deref().unwrap_or(&[]);
            replies.extend(ops.iter().map(|op| Some(read_field(s, op))));
        }
        Some(_) if read_only => {
            return ctx.out.err("BITFIELD_RO only supports the GET subcommand");
        }
        Some(highest) => {
            // The string grows once, up to the farthest bit any write touches.
            let Some((buf, grew)) = string_for_write(ctx, key, (highest >> 3) as usize + 1) else {
                return;
            };
            for op in &ops {
                if op.kind == FieldKind::Get {
                    replies.push(Some(read_field(buf, op)));
                    continue;
                }
                let (reply, changed) = apply_write(buf, op);
                if reply.is_some() && (grew || changed) {
                    changes += 1;
                }
                replies.push(reply);
            }
        }
    }
    if changes > 0 {
        ctx.record(key, Event::SetBit, changes);
    }
    ctx.out.array(replies.len());
    for r in replies {
        match r {
            Some(n) => ctx.out.int(n),
            None => ctx.out.null(),
        }
    }
}

/// A GET: the field's value, zero-extended past the end of the string.
fn read_field(s: &[u8], op: &FieldOp) -> i64 {
    if op.signed {
        get_signed(s, op.offset, op.bits)
    } else {
        get_unsigned(s, op.offset, op.bits) as i64
    }
}

/// BITFIELD key [GET type offset] [SET type offset value] [INCRBY type offset increment]
/// [OVERFLOW WRAP|SAT|FAIL] ...
pub fn bitfield(ctx: &mut Ctx, argv: &[&[u8]]) {
    bitfield_generic(ctx, argv, false);
}

/// BITFIELD_RO key [GET type offset] ...
pub fn bitfield_ro(ctx: &mut Ctx, argv: &[&[u8]]) {
    bitfield_generic(ctx, argv, true);
}
