//! `sselink_event`: what `sselink_poll_event` fills in.

use super::{fill_terminated, sselink_result, sselink_str};
use crate::{CloseReason, Item};

/// What an event reports.
#[repr(C)]
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum sselink_event_kind {
    /// A server-sent event: `event_type`, `data`, `id`, `retry_ms`.
    SSELINK_EVENT_KIND_MESSAGE = 0,
    /// A comment line (when enabled): its text in `data`.
    SSELINK_EVENT_KIND_COMMENT = 1,
    /// A connection attempt starts: `attempt` (0 for the first).
    SSELINK_EVENT_KIND_CONNECTING = 2,
    /// The server accepted the stream: `http_status`.
    SSELINK_EVENT_KIND_OPEN = 3,
    /// A transient failure; the stream reconnects after `delay_ms`:
    /// `error`, `message`, `http_status` (0 if none), `attempt`.
    SSELINK_EVENT_KIND_ERROR = 4,
    /// The stream is finished, for `close_reason`; with an error, `error`,
    /// `message` and `http_status` say which. Later polls return
    /// `SSELINK_RESULT_CLOSED`.
    SSELINK_EVENT_KIND_CLOSED = 5,
}

/// Why a stream closed (in a `SSELINK_EVENT_KIND_CLOSED` event).
#[repr(C)]
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum sselink_close_reason {
    /// Not a closing event.
    SSELINK_CLOSE_REASON_NONE = 0,
    /// The server answered 204 No Content: it asks the client to stop.
    SSELINK_CLOSE_REASON_NO_CONTENT = 1,
    /// The connection ended and reconnecting is off.
    SSELINK_CLOSE_REASON_ENDED = 2,
    /// A terminal error: see `error`, `message`, `http_status`.
    SSELINK_CLOSE_REASON_ERROR = 3,
}

/// One item of a stream, filled in by `sselink_poll_event`. The caller owns
/// the struct (a local variable will do); sselink owns the strings it points
/// to, which stay valid until the next `sselink_poll_event` on the same
/// stream or `sselink_stream_free`, whichever comes first. Fields that do
/// not apply to a kind are zero or empty strings (never NULL pointers).
#[repr(C)]
#[derive(Debug, Clone, Copy)]
pub struct sselink_event {
    /// What this event reports; says which fields below apply.
    pub kind: sselink_event_kind,
    /// MESSAGE: the event type (`message` when the server sent none).
    pub event_type: sselink_str,
    /// MESSAGE: the data (may contain NUL bytes: use `len`). COMMENT: the text.
    pub data: sselink_str,
    /// MESSAGE: the last event id in force (empty if the server sent none).
    pub id: sselink_str,
    /// MESSAGE: the reconnection time a valid `retry` field in this event's
    /// block set, in milliseconds, or -1.
    pub retry_ms: i64,
    /// OPEN: the status. ERROR and CLOSED: the failing HTTP status, or 0.
    pub http_status: u16,
    /// ERROR and CLOSED with a reason of ERROR: the kind of error.
    /// `SSELINK_RESULT_OK` otherwise.
    pub error: sselink_result,
    /// CLOSED: why.
    pub close_reason: sselink_close_reason,
    /// ERROR and CLOSED: a sentence for people, saying what to do.
    pub message: sselink_str,
    /// ERROR: milliseconds before the next attempt.
    pub delay_ms: u64,
    /// CONNECTING and ERROR: the attempt number.
    pub attempt: u32,
}

/// Reusable storage for the strings of the event last returned by a poll.
#[derive(Debug, Default)]
pub(crate) struct EventBuffers {
    event_type: Vec<u8>,
    data: Vec<u8>,
    id: Vec<u8>,
    message: Vec<u8>,
}

const EMPTY: &str = "\0";

impl EventBuffers {
    /// Fills the buffers from `item` and returns the event pointing into
    /// them. No allocation once the buffers have grown to the stream's sizes.
    pub(crate) fn fill(&mut self, item: Item) -> sselink_event {
        use sselink_event_kind::*;
        let mut event = sselink_event {
            kind: SSELINK_EVENT_KIND_MESSAGE,
            event_type: sselink_str::of_static(EMPTY),
            data: sselink_str::of_static(EMPTY),
            id: sselink_str::of_static(EMPTY),
            retry_ms: -1,
            http_status: 0,
            error: sselink_result::SSELINK_RESULT_OK,
            close_reason: sselink_close_reason::SSELINK_CLOSE_REASON_NONE,
            message: sselink_str::of_static(EMPTY),
            delay_ms: 0,
            attempt: 0,
        };
        match item {
            Item::Event(message) => {
                event.event_type = sselink_str::of_terminated(fill_terminated(
                    &mut self.event_type,
                    message.event_type().as_bytes(),
                ));
                event.id = sselink_str::of_terminated(fill_terminated(
                    &mut self.id,
                    message.id().as_bytes(),
                ));
                event.retry_ms = message
                    .retry()
                    .map_or(-1, |r| i64::try_from(r.as_millis()).unwrap_or(i64::MAX));
                event.data = sselink_str::of_terminated(fill_terminated(
                    &mut self.data,
                    message.data().as_bytes(),
                ));
            }
            Item::Comment(text) => {
                event.kind = SSELINK_EVENT_KIND_COMMENT;
                event.data =
                    sselink_str::of_terminated(fill_terminated(&mut self.data, text.as_bytes()));
            }
            Item::Connecting { attempt } => {
                event.kind = SSELINK_EVENT_KIND_CONNECTING;
                event.attempt = attempt;
            }
            Item::Open { status } => {
                event.kind = SSELINK_EVENT_KIND_OPEN;
                event.http_status = status;
            }
            Item::Retrying {
                error,
                delay,
                attempt,
            } => {
                event.kind = SSELINK_EVENT_KIND_ERROR;
                event.error = sselink_result::of(&error);
                event.http_status = error.status().unwrap_or(0);
                event.message = sselink_str::of_terminated(fill_terminated(
                    &mut self.message,
                    error.to_string().as_bytes(),
                ));
                event.delay_ms = u64::try_from(delay.as_millis()).unwrap_or(u64::MAX);
                event.attempt = attempt;
            }
            Item::Closed(reason) => {
                event.kind = SSELINK_EVENT_KIND_CLOSED;
                event.message = sselink_str::of_terminated(fill_terminated(
                    &mut self.message,
                    reason.to_string().as_bytes(),
                ));
                event.close_reason = match &reason {
                    CloseReason::NoContent => sselink_close_reason::SSELINK_CLOSE_REASON_NO_CONTENT,
                    CloseReason::Ended => sselink_close_reason::SSELINK_CLOSE_REASON_ENDED,
                    CloseReason::Error(error) => {
                        event.error = sselink_result::of(error);
                        event.http_status = error.status().unwrap_or(0);
                        sselink_close_reason::SSELINK_CLOSE_REASON_ERROR
                    }
                    // Polls report the caller's own close as SSELINK_RESULT_CLOSED.
                    CloseReason::Caller => sselink_close_reason::SSELINK_CLOSE_REASON_NONE,
                };
            }
        }
        event
    }
}
