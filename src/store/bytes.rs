//! `SmallBytes`: an immutable byte string that keeps up to 22 bytes inline.
//!
//! Most keys (`user:1000`, `session:ab12...`) and most small string values fit, so the
//! keyspace stores them inside its table nodes instead of in allocations of their own:
//! one allocation per key instead of three, which is most of the difference between a
//! key's footprint here and in Redis (where key, object and embstr value share little).

use std::fmt;
use std::ops::Deref;

/// The most bytes kept inline: 24 bytes in all, with the length and the variant's tag.
pub const INLINE_MAX: usize = 22;

/// An immutable byte string, inline when short.
#[derive(Clone)]
pub enum SmallBytes {
    Inline { len: u8, buf: [u8; INLINE_MAX] },
    Heap(Box<[u8]>),
}

impl SmallBytes {
    /// A copy of `b`.
    pub fn new(b: &[u8]) -> SmallBytes {
        if b.len() <= INLINE_MAX {
            let mut buf = [0u8; INLINE_MAX];
            buf[..b.len()].copy_from_slice(b);
            SmallBytes::Inline {
                len: b.len() as u8,
                buf,
            }
        } else {
            SmallBytes::Heap(b.into())
        }
    }

    /// Heap bytes owned beyond the value itself (for MEMORY USAGE).
    pub fn heap_size(&self) -> usize {
        match self {
            SmallBytes::Inline { .. } => 0,
            SmallBytes::Heap(b) => b.len(),
        }
    }
}

impl Deref for SmallBytes {
    type Target = [u8];

    fn deref(&self) -> &[u8] {
        match self {
            SmallBytes::Inline { len, buf } => &buf[..*len as usize],
            SmallBytes::Heap(b) => b,
        }
    }
}

impl From<&[u8]> for SmallBytes {
    fn from(b: &[u8]) -> SmallBytes {
        SmallBytes::new(b)
    }
}

impl PartialEq for SmallBytes {
    fn eq(&self, other: &SmallBytes) -> bool {
        **self == **other
    }
}

impl Eq for SmallBytes {}

impl fmt::Debug for SmallBytes {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:?}", String::from_utf8_lossy(self))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn short_strings_are_inline_and_all_round_trip() {
        assert_eq!(std::mem::size_of::<SmallBytes>(), 24);
        for len in [0, 1, 21, 22, 23, 100] {
            let data: Vec<u8> = (0..len as u8).collect();
            let s = SmallBytes::new(&data);
            assert_eq!(&*s, &data[..]);
            assert_eq!(matches!(s, SmallBytes::Inline { .. }), len <= INLINE_MAX);
            assert_eq!(s.clone(), s);
        }
        assert_ne!(SmallBytes::new(b"ab"), SmallBytes::new(b"abc"));
    }
}
