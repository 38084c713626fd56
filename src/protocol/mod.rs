//! RESP: the request parser and the reply writer.

pub mod double;
pub mod parse;
pub mod reply;
