//! Blocked stream readers against redis-server: XREAD and XREADGROUP with BLOCK are served
//! by XADD oldest first, `$` is resolved when the reader blocks, deleted streams and
//! destroyed groups end group readers' waits with Redis's errors, timeouts and CLIENT
//! UNBLOCK answer as Redis does, and nothing blocks inside MULTI.

mod common;

use common::scenario::{assert_scenarios_match, Step::*};

#[test]
fn stream_readers_block_and_are_served_like_redis() {
    assert_scenarios_match(&[
        (
            "xread fifo and dollar",
            vec![
                Call(0, "XADD s 1-1 f v"),
                Block(1, "XREAD BLOCK 0 STREAMS s $"),
                Block(2, "XREAD BLOCK 0 COUNT 1 STREAMS other s 0 1-1"),
                Block(3, "XREAD BLOCK 0 STREAMS s 5-0"),
                BlockedClients,
                Call(0, "XADD s 2-1 a b"),
                Read(1),
                Read(2),
                BlockedClients,
                Call(0, "XADD s 6-1 c d"),
                Read(3),
                BlockedClients,
                Calls("xread"),
            ],
        ),
        (
            "xread on a missing key, then deleted and recreated",
            vec![
                Block(1, "XREAD BLOCK 0 STREAMS s $"),
                Call(0, "SET s x"),
                Call(0, "DEL s"),
                Call(0, "XADD s 3-3 k v"),
                Read(1),
            ],
        ),
        (
            "xreadgroup served in order, new entries only",
            vec![
                Call(0, "XGROUP CREATE s g $ MKSTREAM"),
                Block(1, "XREADGROUP GROUP g alice BLOCK 0 STREAMS s >"),
                Block(2, "XREADGROUP GROUP g bob BLOCK 0 COUNT 1 STREAMS s >"),
                Call(0, "XADD s 1-1 a 1"),
                Read(1),
                BlockedClients,
                Call(0, "XADD s 2-1 b 2"),
                Call(0, "XADD s 3-1 c 3"),
                Read(2),
                Call(0, "XPENDING s g"),
                Call(1, "XREADGROUP GROUP g alice BLOCK 0 NOACK STREAMS s >"),
                Block(1, "XREADGROUP GROUP g alice BLOCK 0 NOACK STREAMS s >"),
                Call(0, "XADD s 4-1 d 4"),
                Read(1),
                Call(0, "XPENDING s g"),
                Call(0, "XINFO GROUPS s"),
                Calls("xreadgroup"),
            ],
        ),
        (
            "group readers released with errors",
            vec![
                Call(0, "XGROUP CREATE s g $ MKSTREAM"),
                Block(1, "XREADGROUP GROUP g alice BLOCK 0 STREAMS s >"),
                Call(0, "XGROUP DESTROY s g"),
                Read(1),
                Call(0, "XGROUP CREATE s g $"),
                Block(2, "XREADGROUP GROUP g alice BLOCK 0 STREAMS s >"),
                Call(0, "DEL s"),
                Read(2),
                Call(0, "XGROUP CREATE s g $ MKSTREAM"),
                Block(3, "XREADGROUP GROUP g alice BLOCK 0 STREAMS s >"),
                Call(0, "SET s x"),
                Read(3),
                Calls("xreadgroup"),
            ],
        ),
        (
            "timeouts, unblock and multi",
            vec![
                Call(0, "XADD s 1-1 f v"),
                Call(1, "XREAD BLOCK 50 STREAMS s $"),
                Block(2, "XREAD BLOCK 0 STREAMS s $"),
                Unblock(2, ""),
                Read(2),
                Block(3, "XREAD BLOCK 0 STREAMS s $"),
                Unblock(3, "ERROR"),
                Read(3),
                Call(1, "MULTI"),
                Call(1, "XREAD BLOCK 0 STREAMS s $"),
                Call(1, "EXEC"),
                BlockedClients,
                Calls("xread"),
            ],
        ),
    ]);
}
