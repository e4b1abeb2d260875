//! `sselink_item`: what `sselink_stream_poll` fills in, mirroring the Rust
//! `Item`.

use sselink_core::{CloseReason, Item};

use super::{fill_terminated, sselink_result, sselink_str};

/// What an item reports; the Rust `Item` variant of the same name.
#[repr(C)]
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum sselink_item_kind {
    /// A connection attempt starts: `attempt` (0 for the first).
    SSELINK_ITEM_KIND_CONNECTING = 0,
    /// The server accepted the stream: `http_status`.
    SSELINK_ITEM_KIND_OPEN = 1,
    /// A server-sent event: `event_type`, `data`, `id`, `retry_ms`.
    SSELINK_ITEM_KIND_EVENT = 2,
    /// A comment line (when enabled): its text in `data`.
    SSELINK_ITEM_KIND_COMMENT = 3,
    /// A transient failure; the stream reconnects after `delay_ms`:
    /// `error`, `message`, `http_status` (0 if none), `attempt`.
    SSELINK_ITEM_KIND_RETRYING = 4,
    /// The stream is finished, for `close_reason`; with an error, `error`,
    /// `message` and `http_status` say which. Later polls return
    /// `SSELINK_RESULT_CLOSED`.
    SSELINK_ITEM_KIND_CLOSED = 5,
}

/// Why a stream closed (in a `SSELINK_ITEM_KIND_CLOSED` item); the Rust
/// `CloseReason` of the same name. A close by the caller is no item: polls
/// return `SSELINK_RESULT_CLOSED`.
#[repr(C)]
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum sselink_close_reason {
    /// Not a closing item.
    SSELINK_CLOSE_REASON_NONE = 0,
    /// The server answered 204 No Content: it asks the client to stop.
    SSELINK_CLOSE_REASON_NO_CONTENT = 1,
    /// The connection ended and reconnecting is off.
    SSELINK_CLOSE_REASON_ENDED = 2,
    /// A terminal error: see `error`, `message`, `http_status`.
    SSELINK_CLOSE_REASON_ERROR = 3,
}

/// One item of a stream, filled in by `sselink_stream_poll`. The caller
/// owns the struct (a local variable will do); sselink owns the strings it
/// points to, which stay valid until the next `sselink_stream_poll` on the
/// same stream or `sselink_stream_free`, whichever comes first. Fields that
/// do not apply to a kind are zero or empty strings (never NULL pointers).
#[repr(C)]
#[derive(Debug, Clone, Copy)]
pub struct sselink_item {
    /// What this item reports; says which fields below apply.
    pub kind: sselink_item_kind,
    /// EVENT: the event type (`message` when the server sent none).
    pub event_type: sselink_str,
    /// EVENT: the data (may contain NUL bytes: use `len`). COMMENT: the text.
    pub data: sselink_str,
    /// EVENT: the last event id in force (empty if the server sent none).
    pub id: sselink_str,
    /// EVENT: the reconnection time a valid `retry` field in this event's
    /// block set, in milliseconds, or -1 when it set none. 0 for other kinds.
    pub retry_ms: i64,
    /// OPEN: the status. RETRYING and CLOSED: the failing HTTP status, or 0.
    pub http_status: u16,
    /// RETRYING, and CLOSED with a reason of ERROR: the kind of error.
    /// `SSELINK_RESULT_OK` otherwise.
    pub error: sselink_result,
    /// CLOSED: why.
    pub close_reason: sselink_close_reason,
    /// RETRYING and CLOSED: a sentence for people, saying what to do.
    pub message: sselink_str,
    /// RETRYING: milliseconds before the next attempt.
    pub delay_ms: u64,
    /// CONNECTING and RETRYING: the attempt number.
    pub attempt: u32,
}

/// Reusable storage for the strings of the item last returned by a poll.
#[derive(Debug)]
pub(crate) struct ItemBuffers {
    event_type: Vec<u8>,
    data: Vec<u8>,
    id: Vec<u8>,
    message: Vec<u8>,
    /// The response headers of an OPEN item, or of the failed response
    /// behind a RETRYING or CLOSED item: names and values, each followed by
    /// a NUL.
    headers: Vec<(Vec<u8>, Vec<u8>)>,
    /// The body excerpt of a failed response, followed by a NUL.
    body: Vec<u8>,
    /// The kind of the last attempt's error behind an item whose error is
    /// `AttemptsExhausted` or `TimeBudgetExhausted`; OK otherwise.
    cause: sselink_result,
}

/// Before the first item (and after polls that returned none) every string
/// is empty and NUL-terminated, as after an item without them.
impl Default for ItemBuffers {
    fn default() -> ItemBuffers {
        ItemBuffers {
            event_type: Vec::new(),
            data: Vec::new(),
            id: Vec::new(),
            message: Vec::new(),
            headers: Vec::new(),
            body: vec![0],
            cause: sselink_result::SSELINK_RESULT_OK,
        }
    }
}

const EMPTY: &str = "\0";

impl ItemBuffers {
    /// Fills the buffers from `item` and returns the C item pointing into
    /// them. No allocation once the buffers have grown to the stream's sizes.
    pub(crate) fn fill(&mut self, item: Item) -> sselink_item {
        use sselink_item_kind::*;
        let mut out = sselink_item {
            kind: SSELINK_ITEM_KIND_EVENT,
            event_type: sselink_str::of_static(EMPTY),
            data: sselink_str::of_static(EMPTY),
            id: sselink_str::of_static(EMPTY),
            retry_ms: 0,
            http_status: 0,
            error: sselink_result::SSELINK_RESULT_OK,
            close_reason: sselink_close_reason::SSELINK_CLOSE_REASON_NONE,
            message: sselink_str::of_static(EMPTY),
            delay_ms: 0,
            attempt: 0,
        };
        self.headers.clear();
        fill_terminated(&mut self.body, b"");
        self.cause = sselink_result::SSELINK_RESULT_OK;
        match item {
            Item::Event(event) => {
                out.event_type = self.text(Field::EventType, event.event_type().as_bytes());
                out.id = self.text(Field::Id, event.id().as_bytes());
                out.retry_ms = event
                    .retry()
                    .map_or(-1, |r| i64::try_from(r.as_millis()).unwrap_or(i64::MAX));
                out.data = self.text(Field::Data, event.data().as_bytes());
            }
            Item::Comment(text) => {
                out.kind = SSELINK_ITEM_KIND_COMMENT;
                out.data = self.text(Field::Data, text.as_bytes());
            }
            Item::Connecting { attempt } => {
                out.kind = SSELINK_ITEM_KIND_CONNECTING;
                out.attempt = attempt;
            }
            Item::Open { status, headers } => {
                out.kind = SSELINK_ITEM_KIND_OPEN;
                out.http_status = status;
                self.keep_headers(&headers);
            }
            Item::Retrying {
                error,
                delay,
                attempt,
            } => {
                out.kind = SSELINK_ITEM_KIND_RETRYING;
                self.keep_failure(&error);
                out.error = sselink_result::of(&error);
                out.http_status = error.status().unwrap_or(0);
                out.message = self.text(Field::Message, error.to_string().as_bytes());
                out.delay_ms = u64::try_from(delay.as_millis()).unwrap_or(u64::MAX);
                out.attempt = attempt;
            }
            Item::Closed(reason) => {
                out.kind = SSELINK_ITEM_KIND_CLOSED;
                out.message = self.text(Field::Message, reason.to_string().as_bytes());
                out.close_reason = match &reason {
                    CloseReason::NoContent => sselink_close_reason::SSELINK_CLOSE_REASON_NO_CONTENT,
                    CloseReason::Ended => sselink_close_reason::SSELINK_CLOSE_REASON_ENDED,
                    CloseReason::Error(error) => {
                        self.keep_failure(error);
                        out.error = sselink_result::of(error);
                        out.http_status = error.status().unwrap_or(0);
                        sselink_close_reason::SSELINK_CLOSE_REASON_ERROR
                    }
                    // Polls report the caller's own close as SSELINK_RESULT_CLOSED.
                    _ => sselink_close_reason::SSELINK_CLOSE_REASON_NONE,
                };
            }
            // `Item` is non-exhaustive for other crates; this crate is built
            // with the core and names every kind, so no item reaches here.
            _ => out.kind = SSELINK_ITEM_KIND_CONNECTING,
        }
        out
    }

    fn keep_headers(&mut self, headers: &[(String, String)]) {
        self.headers.extend(headers.iter().map(|(name, value)| {
            let mut name = name.as_bytes().to_vec();
            name.push(0);
            let mut value = value.as_bytes().to_vec();
            value.push(0);
            (name, value)
        }));
    }

    /// The headers and body excerpt of the failed response behind `error`,
    /// and the kind of the last attempt's error when `error` gave up.
    fn keep_failure(&mut self, error: &sselink_core::Error) {
        let mut error = error;
        while let sselink_core::Error::AttemptsExhausted { last, .. }
        | sselink_core::Error::TimeBudgetExhausted { last, .. } = error
        {
            error = last;
            self.cause = sselink_result::of(error);
        }
        if let sselink_core::Error::Status(failure) = error {
            self.keep_headers(&failure.headers);
            fill_terminated(&mut self.body, failure.body.as_bytes());
        }
    }

    /// The number of headers the last item carries.
    pub(crate) fn header_count(&self) -> usize {
        self.headers.len()
    }

    /// The header at `index`, as views into the buffers.
    pub(crate) fn header_at(&self, index: usize) -> Option<(sselink_str, sselink_str)> {
        self.headers.get(index).map(|(name, value)| {
            (
                sselink_str::of_terminated(name),
                sselink_str::of_terminated(value),
            )
        })
    }

    /// The value of the first header named `name` (case-insensitive).
    pub(crate) fn header_value(&self, name: &str) -> Option<sselink_str> {
        self.headers
            .iter()
            .find(|(n, _)| n[..n.len() - 1].eq_ignore_ascii_case(name.as_bytes()))
            .map(|(_, value)| sselink_str::of_terminated(value))
    }

    /// The body excerpt of the failed response behind the last item.
    pub(crate) fn body(&self) -> sselink_str {
        sselink_str::of_terminated(&self.body)
    }

    /// The kind of the last attempt's error behind the last item's error.
    pub(crate) fn cause(&self) -> sselink_result {
        self.cause
    }

    fn text(&mut self, field: Field, bytes: &[u8]) -> sselink_str {
        let buffer = match field {
            Field::EventType => &mut self.event_type,
            Field::Data => &mut self.data,
            Field::Id => &mut self.id,
            Field::Message => &mut self.message,
        };
        sselink_str::of_terminated(fill_terminated(buffer, bytes))
    }
}

#[derive(Clone, Copy)]
enum Field {
    EventType,
    Data,
    Id,
    Message,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_body_is_an_empty_terminated_string_before_any_item() {
        let buffers = ItemBuffers::default();
        let body = buffers.body();
        assert_eq!(body.len, 0);
        // SAFETY: `body` points into `buffers`, which is alive.
        assert_eq!(unsafe { *body.ptr }, 0);
    }

    #[test]
    fn fields_that_do_not_apply_are_zero() {
        let mut buffers = ItemBuffers::default();
        for item in [
            Item::Connecting { attempt: 3 },
            Item::Open {
                status: 200,
                headers: vec![],
            },
            Item::Comment("c".into()),
            Item::Closed(CloseReason::Ended),
        ] {
            let out = buffers.fill(item);
            assert_eq!(out.retry_ms, 0);
            assert_eq!(out.delay_ms, 0);
            assert_eq!(out.id.len, 0);
        }
        let event = buffers.fill(Item::Event(sselink_core::Event::new("", "x")));
        assert_eq!(event.retry_ms, -1, "an event without retry");
        let event = buffers.fill(Item::Event(
            sselink_core::Event::new("", "x").with_retry(std::time::Duration::from_millis(7)),
        ));
        assert_eq!(event.retry_ms, 7);
    }
}
