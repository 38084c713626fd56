//! Generic key commands.

use super::Ctx;

/// DEL key [key ...]
pub fn del(ctx: &mut Ctx, argv: &[&[u8]]) {
    let mut removed = 0;
    for key in &argv[1..] {
        if ctx.store.delete(ctx.db, key) {
            ctx.signal_modified(key, 1);
            removed += 1;
        }
    }
    ctx.out.int(removed);
}
