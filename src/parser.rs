//! The event-stream parser: bytes in, events out, no I/O.
//!
//! [`Parser`] implements the WHATWG "interpreting an event stream" rules on raw
//! response-body bytes fed in chunks of any size. It keeps only the unfinished
//! line and the event being built between calls, and enforces [`Limits`] on
//! both before buffering more, so a hostile server cannot grow its memory past
//! the limits plus one chunk.
//!
//! ```
//! use sselink::parser::{Parsed, Parser};
//!
//! let mut parser = Parser::new();
//! let mut events = Vec::new();
//! for chunk in [&b"id: 7\ndata: hel"[..], b"lo\r", b"\n\r\n"] {
//!     parser.feed(chunk, |item| {
//!         if let Parsed::Event(event) = item {
//!             events.push(event);
//!         }
//!     }).unwrap();
//! }
//! assert_eq!(events[0].data(), "hello");
//! assert_eq!(events[0].id(), "7");
//! ```

use std::borrow::Cow;
use std::fmt;
use std::sync::Arc;
use std::time::Duration;

use memchr::{memchr, memchr2};

use crate::event::{Event, EventId};

const BOM: &[u8; 3] = b"\xEF\xBB\xBF";

/// The largest reconnection time a `retry` field can set, in milliseconds
/// (about 49.7 days). Larger values are clamped to it.
pub const MAX_RETRY_MS: u64 = u32::MAX as u64;

/// What the parser hands out, in stream order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Parsed {
    /// A dispatched event.
    Event(Event),
    /// A comment line (`:` first): the text after the colon, with one leading
    /// space removed as for field values.
    Comment(String),
    /// A valid `retry` field, reported as soon as its line is read.
    Retry(Duration),
    /// The stored last event id changed at a dispatch that delivered no event
    /// (a block with `id` but no `data`). When an event is dispatched, its
    /// [`Event::id`] carries the new id instead. The text is shared with the
    /// parser and the events that carry it over, never copied per event.
    LastEventId(Arc<str>),
}

/// Size limits the parser enforces while reading.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    /// Longest line accepted, in bytes, without its line ending. Default
    /// 16 MiB, the same as the event limit, so one data line may carry a
    /// whole event.
    pub max_line_length: usize,
    /// Largest event accepted, in bytes: data as dispatched (with its inner
    /// line feeds, without the last one), event type and id together.
    /// Default 16 MiB.
    pub max_event_size: usize,
}

impl Default for Limits {
    fn default() -> Limits {
        Limits {
            max_line_length: 16 << 20,
            max_event_size: 16 << 20,
        }
    }
}

/// Which of the [`Limits`] a stream broke.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Limit {
    /// [`Limits::max_line_length`].
    LineLength,
    /// [`Limits::max_event_size`].
    EventSize,
}

/// The stream broke one of the [`Limits`]; the parser stops there.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LimitExceeded {
    /// The limit broken.
    pub limit: Limit,
    /// Its configured value, in bytes.
    pub max: usize,
}

impl fmt::Display for LimitExceeded {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let (what, setting) = match self.limit {
            Limit::LineLength => ("a line", "max_line_length"),
            Limit::EventSize => ("an event", "max_event_size"),
        };
        write!(
            f,
            "the server sent {what} longer than {} bytes; raise `{setting}` if this is expected",
            self.max
        )
    }
}

impl std::error::Error for LimitExceeded {}

/// An incremental event-stream parser for one stream of response bodies.
///
/// Feed each body's bytes with [`feed`](Parser::feed) and end each body with
/// [`finish`](Parser::finish); the last event id survives from one body to
/// the next, as it must across reconnects. A parser is owned by one thread at
/// a time (it is `Send`, not shared).
#[derive(Debug, Clone)]
pub struct Parser {
    limits: Limits,
    dispatch_at_eof: bool,
    /// Bytes of the line not yet ended by CR or LF.
    line: Vec<u8>,
    /// The previous chunk ended with CR: a LF first in the next one belongs to it.
    skip_lf: bool,
    /// No byte of this body has been seen yet past a possible BOM prefix.
    at_body_start: bool,
    /// How many bytes of a BOM have been matched at the start of this body.
    bom_matched: usize,
    /// The data buffer, as raw bytes: decoded once, at dispatch.
    data: Vec<u8>,
    /// The unfinished line is a `data` line whose value goes straight into
    /// `data` instead of `line`, so long chunked lines are copied once.
    in_data_line: bool,
    /// Length of the unfinished data line so far, for the line limit.
    data_line_length: usize,
    event_type: String,
    /// The last event id buffer of the spec; copied to `last_event_id` at
    /// dispatch when it differs.
    id_buffer: String,
    /// Shared by every event dispatched while it is in force.
    last_event_id: EventId,
    /// An `id` field was read since the last dispatch.
    id_seen: bool,
    retry: Option<Duration>,
    failed: Option<LimitExceeded>,
}

impl Default for Parser {
    fn default() -> Parser {
        Parser::new()
    }
}

impl Parser {
    /// A parser with the default [`Limits`].
    pub fn new() -> Parser {
        Parser::with_limits(Limits::default())
    }

    /// A parser enforcing `limits`.
    pub fn with_limits(limits: Limits) -> Parser {
        Parser {
            limits,
            dispatch_at_eof: false,
            line: Vec::new(),
            skip_lf: false,
            at_body_start: true,
            bom_matched: 0,
            data: Vec::new(),
            in_data_line: false,
            data_line_length: 0,
            event_type: String::new(),
            id_buffer: String::new(),
            last_event_id: EventId::default(),
            id_seen: false,
            retry: None,
            failed: None,
        }
    }

    /// Dispatch an unfinished event at the end of a body instead of
    /// discarding it, for servers that end without a final blank line.
    /// Off by default, as the spec requires.
    pub fn dispatch_incomplete_at_eof(mut self, yes: bool) -> Parser {
        self.dispatch_at_eof = yes;
        self
    }

    /// Seeds the stored last event id, as a caller resuming a stream does.
    pub fn set_last_event_id(&mut self, id: impl Into<String>) {
        self.id_buffer = id.into();
        self.last_event_id = EventId::new(&self.id_buffer);
    }

    /// The stored last event id: the id in force at the latest dispatch.
    pub fn last_event_id(&self) -> &str {
        self.last_event_id.as_str()
    }

    /// The limits this parser enforces.
    pub fn limits(&self) -> Limits {
        self.limits
    }

    /// Parses `bytes`, the next chunk of the current body, handing each
    /// complete item to `sink` in order.
    ///
    /// A line ended by CR is processed at once. On a broken limit the items
    /// before it have been handed out, the error is returned, and every later
    /// call returns it again until [`finish`](Parser::finish) starts a new body.
    pub fn feed(
        &mut self,
        bytes: &[u8],
        mut sink: impl FnMut(Parsed),
    ) -> Result<(), LimitExceeded> {
        if let Some(error) = self.failed {
            return Err(error);
        }
        let result = self.feed_inner(bytes, &mut sink);
        if let Err(error) = result {
            self.failed = Some(error);
        }
        result
    }

    /// Ends the current body: the unfinished event is discarded (or
    /// dispatched, see [`dispatch_incomplete_at_eof`](Parser::dispatch_incomplete_at_eof)),
    /// and the parser is ready for the next body, keeping the last event id.
    pub fn finish(&mut self, mut sink: impl FnMut(Parsed)) -> Result<(), LimitExceeded> {
        let result = match self.failed {
            Some(error) => Err(error),
            None if self.dispatch_at_eof => self.flush_at_eof(&mut sink),
            None => Ok(()),
        };
        self.start_body();
        result
    }

    /// Abandons the current body after a failed read: its unfinished line
    /// and event are dropped (never dispatched, whatever
    /// [`dispatch_incomplete_at_eof`](Parser::dispatch_incomplete_at_eof)
    /// says), and the parser is ready for the next body, keeping the last
    /// event id.
    pub fn abort(&mut self) {
        self.start_body();
    }

    fn flush_at_eof(&mut self, sink: &mut impl FnMut(Parsed)) -> Result<(), LimitExceeded> {
        if self.bom_matched > 0 {
            // A body that was only a BOM prefix: those bytes are line content.
            let prefix = &BOM[..self.bom_matched];
            self.bom_matched = 0;
            self.append_partial(prefix)?;
        }
        if self.in_data_line {
            self.end_data_line(&[])?;
        } else if !self.line.is_empty() {
            let line = std::mem::take(&mut self.line);
            self.process_line(&line, sink)?;
        }
        self.dispatch(sink)
    }

    /// Forgets everything of the current body but the last event id.
    fn start_body(&mut self) {
        self.line.clear();
        self.skip_lf = false;
        self.at_body_start = true;
        self.bom_matched = 0;
        self.data.clear();
        self.in_data_line = false;
        self.data_line_length = 0;
        self.event_type.clear();
        self.id_buffer.clear();
        self.id_buffer.push_str(self.last_event_id.as_str());
        self.id_seen = false;
        self.retry = None;
        self.failed = None;
    }

    fn feed_inner(
        &mut self,
        mut bytes: &[u8],
        sink: &mut impl FnMut(Parsed),
    ) -> Result<(), LimitExceeded> {
        if bytes.is_empty() {
            return Ok(());
        }
        if self.skip_lf {
            self.skip_lf = false;
            if bytes[0] == b'\n' {
                bytes = &bytes[1..];
            }
        }
        if self.at_body_start {
            bytes = match self.strip_bom(bytes, sink)? {
                Some(rest) => rest,
                None => return Ok(()),
            };
        }
        self.feed_lines(bytes, sink)
    }

    /// Consumes a leading BOM, which may arrive split across chunks. Returns
    /// what is left to parse, or `None` when every byte was part of a BOM
    /// prefix and more are needed to decide.
    fn strip_bom<'b>(
        &mut self,
        bytes: &'b [u8],
        sink: &mut impl FnMut(Parsed),
    ) -> Result<Option<&'b [u8]>, LimitExceeded> {
        let wanted = &BOM[self.bom_matched..];
        let n = wanted.len().min(bytes.len());
        if bytes[..n] == wanted[..n] {
            self.bom_matched += n;
            if self.bom_matched < BOM.len() {
                return Ok(None);
            }
            self.at_body_start = false;
            self.bom_matched = 0;
            return Ok(Some(&bytes[n..]));
        }
        // Not a BOM: the bytes matched so far are ordinary content.
        self.at_body_start = false;
        let prefix = &BOM[..self.bom_matched];
        self.bom_matched = 0;
        self.feed_lines(prefix, sink)?;
        Ok(Some(bytes))
    }

    fn feed_lines(
        &mut self,
        chunk: &[u8],
        sink: &mut impl FnMut(Parsed),
    ) -> Result<(), LimitExceeded> {
        // One pass settles the common case of a small chunk inside a line.
        let Some(first_end) = memchr2(b'\n', b'\r', chunk) else {
            return self.append_partial(chunk);
        };
        let mut start = 0;
        // The next CR is found once and kept until passed, so a stream of
        // LF-ended lines pays one CR scan a chunk and finds each line end with
        // the faster one-byte search.
        let mut next_cr = memchr(b'\r', &chunk[first_end..]).map(|cr| cr + first_end);
        loop {
            let rest = &chunk[start..];
            let end = match next_cr {
                None => memchr(b'\n', rest),
                Some(cr) => memchr(b'\n', &chunk[start..cr]).or(Some(cr - start)),
            };
            let Some(end) = end else { break };
            self.end_line(&rest[..end], sink)?;
            let at = start + end;
            if chunk[at] == b'\r' {
                next_cr = memchr(b'\r', &chunk[at + 1..]).map(|cr| cr + at + 1);
                match chunk.get(at + 1) {
                    Some(b'\n') => start = at + 2,
                    Some(_) => start = at + 1,
                    None => {
                        self.skip_lf = true;
                        return Ok(());
                    }
                }
            } else {
                start = at + 1;
            }
        }
        self.append_partial(&chunk[start..])
    }

    /// Processes the line that `tail` ends: `tail` alone, or appended to the
    /// unfinished line.
    fn end_line(
        &mut self,
        tail: &[u8],
        sink: &mut impl FnMut(Parsed),
    ) -> Result<(), LimitExceeded> {
        if self.in_data_line {
            return self.end_data_line(tail);
        }
        if self.line.is_empty() {
            self.check_line_length(tail.len())?;
            return self.process_line(tail, sink);
        }
        self.check_line_length(self.line.len() + tail.len())?;
        self.line.extend_from_slice(tail);
        let line = std::mem::take(&mut self.line);
        let result = self.process_line(&line, sink);
        self.line = line;
        self.line.clear();
        result
    }

    fn check_line_length(&self, length: usize) -> Result<(), LimitExceeded> {
        if length > self.limits.max_line_length {
            return Err(LimitExceeded {
                limit: Limit::LineLength,
                max: self.limits.max_line_length,
            });
        }
        Ok(())
    }

    /// Adds bytes of an unfinished line, refusing to grow past the limit.
    fn append_partial(&mut self, bytes: &[u8]) -> Result<(), LimitExceeded> {
        if self.in_data_line {
            self.check_line_length(self.data_line_length + bytes.len())?;
            self.data_line_length += bytes.len();
            self.data.extend_from_slice(bytes);
            return Ok(());
        }
        self.check_line_length(self.line.len() + bytes.len())?;
        self.line.extend_from_slice(bytes);
        // Once "data:" and the byte after it are in, the rest of the line is
        // data: move it to the data buffer. The event size is checked when the
        // line ends, as for a line that arrives whole.
        if self.line.len() > b"data:".len() && self.line.starts_with(b"data:") {
            self.data_line_length = self.line.len();
            self.data
                .extend_from_slice(strip_space(&self.line[b"data:".len()..]));
            self.line.clear();
            self.in_data_line = true;
        }
        Ok(())
    }

    /// Ends a data line whose start went straight into the data buffer.
    fn end_data_line(&mut self, rest: &[u8]) -> Result<(), LimitExceeded> {
        self.check_line_length(self.data_line_length + rest.len())?;
        self.in_data_line = false;
        self.data_line_length = 0;
        self.data.extend_from_slice(rest);
        // The line feed after this line counts only once another data line
        // makes it an inner one: it is already in `data` by then.
        self.check_event_size(0, 0)?;
        self.data.push(b'\n');
        Ok(())
    }

    fn check_event_size(&self, adding: usize, replacing: usize) -> Result<(), LimitExceeded> {
        let size =
            self.data.len() + self.event_type.len() + self.id_buffer.len() - replacing + adding;
        if size > self.limits.max_event_size {
            return Err(LimitExceeded {
                limit: Limit::EventSize,
                max: self.limits.max_event_size,
            });
        }
        Ok(())
    }

    fn process_line(
        &mut self,
        line: &[u8],
        sink: &mut impl FnMut(Parsed),
    ) -> Result<(), LimitExceeded> {
        if line.is_empty() {
            return self.dispatch(sink);
        }
        let (name, value) = match find_colon(line) {
            Some(0) => {
                sink(Parsed::Comment(
                    decode(strip_space(&line[1..])).into_owned(),
                ));
                return Ok(());
            }
            Some(colon) => (&line[..colon], strip_space(&line[colon + 1..])),
            None => (line, &b""[..]),
        };
        match name {
            b"data" => {
                self.check_event_size(value.len(), 0)?;
                self.data.extend_from_slice(value);
                self.data.push(b'\n');
            }
            b"event" => {
                let value = decode(value);
                self.check_event_size(value.len(), self.event_type.len())?;
                self.event_type.clear();
                self.event_type.push_str(&value);
            }
            // An id containing NUL is ignored, as the spec says.
            b"id" if memchr(0, value).is_none() => {
                let value = decode(value);
                self.check_event_size(value.len(), self.id_buffer.len())?;
                self.id_buffer.clear();
                self.id_buffer.push_str(&value);
                self.id_seen = true;
            }
            b"retry" => {
                if let Some(ms) = parse_retry(value) {
                    let retry = Duration::from_millis(ms);
                    self.retry = Some(retry);
                    sink(Parsed::Retry(retry));
                }
            }
            _ => {}
        }
        Ok(())
    }

    /// Hands out the event being built. Invalid UTF-8 in the data grows when
    /// replaced (one byte becomes the three of U+FFFD), so the limit is
    /// checked again on the text as dispatched.
    fn dispatch(&mut self, sink: &mut impl FnMut(Parsed)) -> Result<(), LimitExceeded> {
        let own_id = std::mem::take(&mut self.id_seen);
        let id_changed = own_id && self.id_buffer != self.last_event_id.as_str();
        if id_changed {
            self.last_event_id = EventId::new(&self.id_buffer);
        }
        let retry = self.retry.take();
        if self.data.is_empty() {
            self.event_type.clear();
            if id_changed {
                sink(Parsed::LastEventId(self.last_event_id.to_shared()));
            }
            return Ok(());
        }
        let data = self.take_data();
        if data.len() + self.event_type.len() + self.id_buffer.len() > self.limits.max_event_size {
            self.event_type.clear();
            return Err(LimitExceeded {
                limit: Limit::EventSize,
                max: self.limits.max_event_size,
            });
        }
        sink(Parsed::Event(Event {
            event_type: std::mem::take(&mut self.event_type),
            data,
            id: self.last_event_id.clone(),
            retry,
            own_id,
        }));
        Ok(())
    }
}

impl Parser {
    /// The data buffer as text, without its last line feed. A small event's
    /// data is copied out and the buffer kept for the next event; a large
    /// one's buffer is handed over whole, saving a copy of the bytes.
    fn take_data(&mut self) -> String {
        self.data.pop(); // the data buffer always ends with LF here
        if self.data.len() < HAND_OVER_AT {
            let data = decode(&self.data).into_owned();
            self.data.clear();
            return data;
        }
        // The next event is likely as large: reserve that much for it.
        let reserve = self.data.len() + 1;
        let mut bytes = std::mem::replace(&mut self.data, Vec::with_capacity(reserve));
        // Growth by doubling may have left up to twice the length reserved.
        if bytes.capacity() > bytes.len() + bytes.len() / 4 {
            bytes.shrink_to_fit();
        }
        String::from_utf8(bytes)
            .unwrap_or_else(|invalid| String::from_utf8_lossy(invalid.as_bytes()).into_owned())
    }
}

/// Data of this many bytes or more is handed over in its buffer, not copied.
const HAND_OVER_AT: usize = 4096;

/// Field names are short: look at the first bytes before a full search.
fn find_colon(line: &[u8]) -> Option<usize> {
    let head = &line[..line.len().min(8)];
    match head.iter().position(|&b| b == b':') {
        Some(at) => Some(at),
        None if line.len() > head.len() => {
            memchr(b':', &line[head.len()..]).map(|at| at + head.len())
        }
        None => None,
    }
}

fn strip_space(value: &[u8]) -> &[u8] {
    match value.first() {
        Some(b' ') => &value[1..],
        _ => value,
    }
}

/// UTF-8 with U+FFFD for invalid sequences. Decoding a line, or data lines
/// joined by LF, gives what decoding the whole body would: CR, LF and `:` are
/// ASCII and can neither occur inside nor continue a multi-byte sequence.
fn decode(bytes: &[u8]) -> Cow<'_, str> {
    // `from_utf8` has a fast path for valid text that `from_utf8_lossy` lacks.
    match std::str::from_utf8(bytes) {
        Ok(text) => Cow::Borrowed(text),
        Err(_) => String::from_utf8_lossy(bytes),
    }
}

/// One or more ASCII digits, base 10, saturating at [`MAX_RETRY_MS`].
fn parse_retry(value: &[u8]) -> Option<u64> {
    if value.is_empty() || !value.iter().all(u8::is_ascii_digit) {
        return None;
    }
    let ms = value.iter().fold(0u64, |ms, digit| {
        ms.saturating_mul(10)
            .saturating_add(u64::from(digit - b'0'))
    });
    Some(ms.min(MAX_RETRY_MS))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Once `data:` and one more byte are in, the unfinished line goes
    /// straight into the data buffer (one copy of a long chunked line).
    /// Kills `replace > with < in Parser::append_partial`, which no output
    /// shows: the line would be buffered and copied at its end instead.
    #[test]
    fn an_unfinished_data_line_goes_straight_into_the_data_buffer() {
        let mut parser = Parser::new();
        parser.feed(b"data: hel", |_| {}).unwrap();
        assert!(parser.in_data_line);
        assert!(parser.line.is_empty(), "{:?}", parser.line);
        assert_eq!(parser.data, b"hel");
        parser.feed(b"lo", |_| {}).unwrap();
        assert_eq!(parser.data, b"hello");
        assert_eq!(parser.data_line_length, "data: hello".len());
    }

    /// A parser whose data buffer holds `len` bytes and a final LF, in a
    /// buffer of `capacity` bytes (as it has before `take_data`).
    fn with_data(len: usize, capacity: usize) -> Parser {
        let mut parser = Parser::new();
        parser.data = Vec::with_capacity(capacity);
        parser.data.resize(len, b'x');
        parser.data.push(b'\n');
        parser
    }

    /// Data under `HAND_OVER_AT` bytes is copied out and the buffer kept;
    /// from `HAND_OVER_AT` up the buffer itself is handed over, and the
    /// next one reserved as large. Kills `replace < with ==`, `<` with `>`
    /// and `<` with `<=` in `Parser::take_data`, and `replace + with -` and
    /// `+` with `*` in its reserve.
    #[test]
    fn small_data_is_copied_and_large_data_handed_over() {
        let mut parser = with_data(HAND_OVER_AT - 1, HAND_OVER_AT);
        let buffer = parser.data.as_ptr();
        let data = parser.take_data();
        assert_eq!(data.len(), HAND_OVER_AT - 1);
        assert_ne!(data.as_ptr(), buffer, "small data must be copied");
        assert_eq!(parser.data.as_ptr(), buffer, "the buffer is kept");

        let mut parser = with_data(HAND_OVER_AT, HAND_OVER_AT + 1);
        let buffer = parser.data.as_ptr();
        let data = parser.take_data();
        assert_eq!(data.len(), HAND_OVER_AT);
        assert_eq!(data.as_ptr(), buffer, "large data must be handed over");
        assert!(
            parser.data.capacity() > HAND_OVER_AT,
            "the next buffer holds as much and its LF: {}",
            parser.data.capacity()
        );
    }

    /// A handed-over buffer with more than a quarter of its length to spare
    /// is shrunk; one with a quarter exactly is not. Kills, in
    /// `Parser::take_data`'s shrink test, `replace > with ==`, `<` and `>=`,
    /// `+` with `-` and `*`, and `/` with `%` and `*`.
    #[test]
    fn a_handed_over_buffer_is_shrunk_past_a_quarter_to_spare() {
        let len = 2 * HAND_OVER_AT;
        let data = with_data(len, 2 * len).take_data();
        assert_eq!(data.capacity(), len, "twice the length is shrunk");
        let data = with_data(len, len + len / 4).take_data();
        assert_eq!(data.capacity(), len + len / 4, "a quarter to spare is kept");
    }

    /// The limit is checked again on the data as decoded: one invalid byte
    /// becomes the three of U+FFFD. Kills `replace + with * in
    /// Parser::dispatch` (data + type * id).
    #[test]
    fn the_event_limit_counts_the_decoded_data_and_the_id() {
        let mut parser = Parser::with_limits(Limits {
            max_line_length: 64,
            max_event_size: 5,
        });
        let mut items = Vec::new();
        let error = parser
            .feed(b"id: abc\ndata: \xFF\n\n", |item| items.push(item))
            .expect_err("3 bytes of U+FFFD and a 3-byte id are over 5");
        assert_eq!(error.limit, Limit::EventSize);
        assert!(items.is_empty(), "{items:?}");
    }
}
