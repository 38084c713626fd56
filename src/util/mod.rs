//! Building blocks with no server state: Redis's number formats and parsing, its partial
//! quicksort, its glob matcher, and SHA-256 (how Redis shows a password).

pub mod bignum;
pub mod glob;
pub mod long_double;
pub mod pqsort;
pub mod sha256;
pub mod strtod;
