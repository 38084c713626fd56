//! `cjson.decode`: JSON text to Lua values.
//!
//! The input is a C string to the library (it ends at the first NUL). Errors name what was
//! expected, what was found and where (1-based): "Expected value but found invalid token
//! at character 1". `null` decodes as `cjson.null`; numbers go through C's `strtod`, so
//! with `decode_invalid_numbers` on (the default) hexadecimal, `inf`, `nan` and a leading
//! `+` are numbers too.

use mlua::{Lua, Table, Value};

use super::super::{error, MAX_C_STACK};
use super::{null, Config};
use crate::util::strtod::strtod;

/// A token, and where it starts.
#[derive(Clone, Debug)]
enum Token {
    ObjBegin,
    ObjEnd,
    ArrBegin,
    ArrEnd,
    String(Vec<u8>),
    Number(f64),
    Boolean(bool),
    Null,
    Colon,
    Comma,
    End,
    /// A lexical error: what was found instead of a token.
    Error(&'static str),
}

impl Token {
    /// How error messages name what was found.
    fn found(&self) -> &'static str {
        match self {
            Token::ObjBegin => "T_OBJ_BEGIN",
            Token::ObjEnd => "T_OBJ_END",
            Token::ArrBegin => "T_ARR_BEGIN",
            Token::ArrEnd => "T_ARR_END",
            Token::String(_) => "T_STRING",
            Token::Number(_) => "T_NUMBER",
            Token::Boolean(_) => "T_BOOLEAN",
            Token::Null => "T_NULL",
            Token::Colon => "T_COLON",
            Token::Comma => "T_COMMA",
            Token::End => "T_END",
            Token::Error(what) => what,
        }
    }
}

/// A container being filled; the table at depth `d` (from 1) is `work[d]`.
enum Open {
    /// An array and the index of its next element.
    Array { next: usize },
    /// An object and the key of the value being read.
    Object { key: Vec<u8> },
}

struct Parser<'a> {
    lua: &'a Lua,
    cfg: &'a Config,
    data: &'a [u8],
    pos: usize,
    /// Where the last token started.
    index: usize,
    /// Containers being filled, outermost first: the C parser recurses, a vector keeps
    /// deep nesting off the Rust stack.
    open: Vec<Open>,
    /// Their tables: mlua references each take a slot of an auxiliary Lua stack that holds
    /// 8000 at most, so deep nesting cannot keep them in Rust.
    work: Table,
    /// Values on the C parser's Lua stack: the argument, and for each open container
    /// the table (and an object's pending key).
    slots: usize,
}

/// Decodes the JSON text `json`.
pub(super) fn decode(lua: &Lua, cfg: &Config, json: &[u8]) -> mlua::Result<Value> {
    if json.len() >= 2 && (json[0] == 0 || json[1] == 0) {
        return Err(error("JSON parser does not support UTF-16 or UTF-32"));
    }
    let end = json.iter().position(|&b| b == 0).unwrap_or(json.len());
    let mut p = Parser {
        lua,
        cfg,
        data: &json[..end],
        pos: 0,
        index: 0,
        open: Vec::new(),
        work: lua.create_table()?,
        slots: 1,
    };
    let token = p.next_token();
    let v = p.value(token)?;
    let token = p.next_token();
    if !matches!(token, Token::End) {
        return Err(p.unexpected("the end", &token));
    }
    Ok(v)
}

impl Parser<'_> {
    /// The byte at `i`, or NUL past the end (the C string's terminator).
    fn byte(&self, i: usize) -> u8 {
        self.data.get(i).copied().unwrap_or(0)
    }

    fn unexpected(&self, expected: &str, found: &Token) -> mlua::Error {
        error(format!(
            "Expected {expected} but found {} at character {}",
            found.found(),
            self.index + 1
        ))
    }

    /// A lexical error at the current position.
    fn lex_error(&mut self, what: &'static str) -> Token {
        self.index = self.pos;
        Token::Error(what)
    }

    fn next_token(&mut self) -> Token {
        while matches!(self.byte(self.pos), b' ' | b'\t' | b'\n' | b'\r') {
            self.pos += 1;
        }
        self.index = self.pos;
        let c = self.byte(self.pos);
        let single = match c {
            b'{' => Some(Token::ObjBegin),
            b'}' => Some(Token::ObjEnd),
            b'[' => Some(Token::ArrBegin),
            b']' => Some(Token::ArrEnd),
            b',' => Some(Token::Comma),
            b':' => Some(Token::Colon),
            0 => return Token::End,
            _ => None,
        };
        if let Some(token) = single {
            self.pos += 1;
            return token;
        }
        let rest = &self.data[self.pos..];
        match c {
            b'"' => self.string(),
            b'-' | b'0'..=b'9' => {
                if !self.cfg.decode_invalid_numbers && self.is_invalid_number() {
                    return self.lex_error("invalid number");
                }
                self.number()
            }
            _ if rest.starts_with(b"true") => {
                self.pos += 4;
                Token::Boolean(true)
            }
            _ if rest.starts_with(b"false") => {
                self.pos += 5;
                Token::Boolean(false)
            }
            _ if rest.starts_with(b"null") => {
                self.pos += 4;
                Token::Null
            }
            // Only what cannot be JSON (inf, nan, hexadecimal, '+'), so that other bad
            // tokens are reported as invalid tokens.
            b'f' | b'i' | b'I' | b'n' | b'N' | b't' | b'+'
                if self.cfg.decode_invalid_numbers && self.is_invalid_number() =>
            {
                self.number()
            }
            _ => self.lex_error("invalid token"),
        }
    }

    /// Whether the number at the cursor is not valid JSON: a leading `+`, a leading zero,
    /// hexadecimal, `inf` or `nan`.
    fn is_invalid_number(&self) -> bool {
        let mut i = self.pos;
        match self.byte(i) {
            b'+' => return true,
            b'-' => i += 1,
            _ => {}
        }
        let c = self.byte(i);
        if c == b'0' {
            let c2 = self.byte(i + 1);
            return c2 | 0x20 == b'x' || c2.is_ascii_digit();
        }
        // C compares a signed char: bytes from 0x80 count as "below '9'".
        if c <= b'9' || c >= 0x80 {
            return false;
        }
        let word = &self.data[i.min(self.data.len())..];
        let starts = |w: &[u8]| word.len() >= 3 && word[..3].eq_ignore_ascii_case(w);
        starts(b"inf") || starts(b"nan")
    }

    fn number(&mut self) -> Token {
        let parsed = strtod(&self.data[self.pos..]);
        if parsed.end == 0 {
            return self.lex_error("invalid number");
        }
        let mut value = parsed.value;
        // glibc's strtod keeps the sign of "-nan" (Lua then prints it "-nan").
        if value.is_nan() && self.byte(self.pos) == b'-' {
            value = -f64::NAN;
        }
        self.pos += parsed.end;
        Token::Number(value)
    }

    /// A string token; the cursor is on its opening quote.
    fn string(&mut self) -> Token {
        self.pos += 1;
        let mut out = Vec::new();
        loop {
            let c = self.byte(self.pos);
            match c {
                b'"' => break,
                0 => return self.lex_error("unexpected end of string"),
                b'\\' => {
                    let unescaped = match self.byte(self.pos + 1) {
                        b'"' => b'"',
                        b'\\' => b'\\',
                        b'/' => b'/',
                        b'b' => b'\x08',
                        b'f' => b'\x0c',
                        b'n' => b'\n',
                        b'r' => b'\r',
                        b't' => b'\t',
                        b'u' => match self.unicode_escape(&mut out) {
                            Some(()) => continue,
                            None => return self.lex_error("invalid unicode escape code"),
                        },
                        _ => return self.lex_error("invalid escape code"),
                    };
                    out.push(unescaped);
                    self.pos += 2;
                }
                _ => {
                    out.push(c);
                    self.pos += 1;
                }
            }
        }
        self.pos += 1;
        Token::String(out)
    }

    /// Four hex digits at `i` (a NUL or any other character fails).
    fn hex4(&self, i: usize) -> Option<u32> {
        (i..i + 4).try_fold(0, |acc, j| {
            let d = (self.byte(j) as char).to_digit(16)?;
            Some(acc << 4 | d)
        })
    }

    /// Appends the UTF-8 of the `\uXXXX` escape at the cursor (with its low surrogate's
    /// escape, for a high surrogate) and moves past it; `None` when it is invalid.
    fn unicode_escape(&mut self, out: &mut Vec<u8>) -> Option<()> {
        let mut cp = self.hex4(self.pos + 2)?;
        let mut len = 6;
        if cp & 0xF800 == 0xD800 {
            // A surrogate: it must be a high one, followed by an escaped low one.
            if cp & 0x400 != 0 {
                return None;
            }
            if self.byte(self.pos + 6) != b'\\' || self.byte(self.pos + 7) != b'u' {
                return None;
            }
            let low = self.hex4(self.pos + 8)?;
            if low & 0xFC00 != 0xDC00 {
                return None;
            }
            cp = (((cp & 0x3FF) << 10) | (low & 0x3FF)) + 0x10000;
            len = 12;
        }
        let ch = char::from_u32(cp)?;
        out.extend_from_slice(ch.encode_utf8(&mut [0; 4]).as_bytes());
        self.pos += len;
        Some(())
    }

    /// Enters an array or object: fails past the configured depth, or when the C parser's
    /// Lua stack could not take `need` more values.
    fn descend(&mut self, need: usize) -> mlua::Result<()> {
        let depth = self.open.len() + 1;
        if depth > self.cfg.decode_max_depth as usize || self.slots + need > MAX_C_STACK {
            return Err(error(format!(
                "Found too many nested data structures ({depth}) at character {}",
                self.pos
            )));
        }
        Ok(())
    }

    /// Reads an object key and its colon, and the token after them.
    fn key(&mut self, token: Token) -> mlua::Result<(Vec<u8>, Token)> {
        let Token::String(key) = token else {
            return Err(self.unexpected("object key string", &token));
        };
        let colon = self.next_token();
        if !matches!(colon, Token::Colon) {
            return Err(self.unexpected("colon", &colon));
        }
        Ok((key, self.next_token()))
    }

    /// The value starting with `token`.
    fn value(&mut self, mut token: Token) -> mlua::Result<Value> {
        loop {
            let mut v = match token {
                Token::String(s) => Value::String(self.lua.create_string(s)?),
                Token::Number(n) => Value::Number(n),
                Token::Boolean(b) => Value::Boolean(b),
                Token::Null => null(),
                Token::ObjBegin => {
                    self.descend(3)?;
                    let t = self.lua.create_table()?;
                    let first = self.next_token();
                    if matches!(first, Token::ObjEnd) {
                        Value::Table(t)
                    } else {
                        let (key, next) = self.key(first)?;
                        self.slots += 2;
                        self.work.raw_set(self.open.len() + 1, t)?;
                        self.open.push(Open::Object { key });
                        token = next;
                        continue;
                    }
                }
                Token::ArrBegin => {
                    self.descend(2)?;
                    let t = self.lua.create_table()?;
                    let first = self.next_token();
                    if matches!(first, Token::ArrEnd) {
                        Value::Table(t)
                    } else {
                        self.slots += 1;
                        self.work.raw_set(self.open.len() + 1, t)?;
                        self.open.push(Open::Array { next: 1 });
                        token = first;
                        continue;
                    }
                }
                other => return Err(self.unexpected("value", &other)),
            };
            // Store the value in the innermost container, and close each container
            // that ends here (it is in turn a value for the one around it).
            loop {
                let depth = self.open.len();
                let t: Table = match depth {
                    0 => return Ok(v),
                    _ => self.work.raw_get(depth)?,
                };
                match self.open.last_mut() {
                    None => return Ok(v),
                    Some(Open::Array { next }) => {
                        t.raw_set(*next, v)?;
                        *next += 1;
                        let after = self.next_token();
                        match after {
                            Token::ArrEnd => {}
                            Token::Comma => {
                                token = self.next_token();
                                break;
                            }
                            other => return Err(self.unexpected("comma or array end", &other)),
                        }
                    }
                    Some(Open::Object { key }) => {
                        t.raw_set(self.lua.create_string(&*key)?, v)?;
                        let after = self.next_token();
                        match after {
                            Token::ObjEnd => {}
                            Token::Comma => {
                                let first = self.next_token();
                                let (k, next) = self.key(first)?;
                                if let Some(Open::Object { key, .. }) = self.open.last_mut() {
                                    *key = k;
                                }
                                token = next;
                                break;
                            }
                            other => return Err(self.unexpected("comma or object end", &other)),
                        }
                    }
                }
                self.slots -= match self.open.pop() {
                    Some(Open::Object { .. }) => 2,
                    _ => 1,
                };
                self.work.raw_set(depth, Value::Nil)?;
                v = Value::Table(t);
            }
        }
    }
}
