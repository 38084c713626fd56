//! RESP: the request parser and the reply writer.

pub mod parse;
pub mod reply;
