//! What a stream yields ([`Item`]), why it closed ([`CloseReason`]) and where
//! it stands ([`State`]): the vocabulary the reader and the handle share.

use std::fmt;
use std::time::Duration;

use crate::error::Error;
use crate::event::Event;

/// One thing that happened to a stream, in the order it happened.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Item {
    /// A connection attempt starts: 0 for the first connection and after a
    /// restart, then the number of the reconnect attempt in this outage.
    Connecting {
        /// The attempt number.
        attempt: u32,
    },
    /// The server accepted: a 2xx with `Content-Type: text/event-stream`.
    Open {
        /// The HTTP status, normally 200.
        status: u16,
        /// The response headers, names lowercase, in the order received.
        headers: Vec<(String, String)>,
    },
    /// An event.
    Event(Event),
    /// A comment line, when comments were asked for.
    Comment(String),
    /// The connection failed or dropped; the next attempt starts after `delay`.
    Retrying {
        /// What went wrong.
        error: Error,
        /// How long the stream waits before reconnecting.
        delay: Duration,
        /// The number of the coming reconnect attempt in this outage.
        attempt: u32,
    },
    /// The stream is finished; nothing follows.
    Closed(CloseReason),
}

/// Why a stream closed.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum CloseReason {
    /// [`Stream::close`](crate::Stream::close) was called (or the stream was
    /// dropped).
    Caller,
    /// The server answered 204 No Content: it asks the client to stop.
    NoContent,
    /// The connection ended and reconnecting is turned off.
    Ended,
    /// A terminal error: permanent status, wrong Content-Type, limit broken,
    /// attempts or time budget exhausted, a failing header provider.
    Error(Error),
}

impl fmt::Display for CloseReason {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            CloseReason::Caller => f.write_str("closed by the caller"),
            CloseReason::NoContent => {
                f.write_str("the server answered 204 No Content: it asks the client to stop")
            }
            CloseReason::Ended => f.write_str("the server ended the stream (reconnecting is off)"),
            CloseReason::Error(error) => error.fmt(f),
        }
    }
}

/// Where a stream is now. See [`Stream::state`](crate::Stream::state).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[repr(u8)]
pub enum State {
    /// Making the first connection (or the first after a restart).
    Connecting = 0,
    /// Connected: events flow.
    Open = 1,
    /// Waiting to reconnect, or reconnecting, after a failure.
    Reconnecting = 2,
    /// Finished: closed by the caller, the server or an error.
    Closed = 3,
}

impl State {
    pub(crate) fn from_u8(value: u8) -> State {
        match value {
            0 => State::Connecting,
            1 => State::Open,
            2 => State::Reconnecting,
            _ => State::Closed,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    // The close reason's text is what a C caller reads in a CLOSED item's
    // message (capi/src/item.rs): each reason says its own words, and an
    // error says the error's. Kills the mutant of
    // `<impl fmt::Display for CloseReason>::fmt` that writes nothing.
    #[test]
    fn close_reasons_display_their_own_text() {
        assert_eq!(CloseReason::Caller.to_string(), "closed by the caller");
        assert_eq!(
            CloseReason::NoContent.to_string(),
            "the server answered 204 No Content: it asks the client to stop"
        );
        assert_eq!(
            CloseReason::Ended.to_string(),
            "the server ended the stream (reconnecting is off)"
        );
        let error = Error::IdleTimeout(Duration::from_secs(45));
        assert_eq!(
            CloseReason::Error(error.clone()).to_string(),
            error.to_string()
        );
        assert!(!error.to_string().is_empty());
    }
}
