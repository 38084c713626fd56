//! Lists: a ring buffer of byte strings, O(1) push and pop at both ends.

use std::collections::VecDeque;

/// A list value. Redis 7.0 reports every list as `quicklist`.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct List {
    pub items: VecDeque<Vec<u8>>,
}

impl List {
    /// An empty list.
    pub fn new() -> Self {
        List::default()
    }

    /// Number of elements.
    pub fn len(&self) -> usize {
        self.items.len()
    }

    /// Whether the list is empty (an empty list is never stored).
    pub fn is_empty(&self) -> bool {
        self.items.is_empty()
    }

    /// OBJECT ENCODING.
    pub fn encoding(&self) -> &'static str {
        "quicklist"
    }
}
