//! Building blocks with no server state: Redis's number formats and parsing, its partial
//! quicksort and its glob matcher.

pub mod bignum;
pub mod glob;
pub mod long_double;
pub mod pqsort;
pub mod strtod;
