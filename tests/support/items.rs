//! Reading a stream in tests: the next item of a kind, waiting at most
//! PATIENCE for each item and SEARCH in all, and a builder that reconnects
//! fast and exactly.

use std::time::{Duration, Instant};

use sselink::{Builder, CloseReason, Error, Event, Item, Stream};

use super::server::PATIENCE;

/// Reconnects after 10 ms, doubling up to 80 ms, without jitter.
pub fn quick(url: &str) -> Builder {
    Stream::builder(url)
        .reconnect_delay(Duration::from_millis(10), Duration::from_millis(80))
        .jitter(0.0)
}

/// How long a search for an item of a kind may take in all: a stream that
/// keeps retrying where it should close, or closing where it should deliver,
/// fails the test instead of hanging it.
pub const SEARCH: Duration = Duration::from_secs(30);

/// The next item.
pub fn next(stream: &Stream) -> Item {
    stream.recv_timeout(PATIENCE).expect("no item in time")
}

/// The next item of a search for `what` that started `SEARCH` before
/// `deadline`.
fn next_before(stream: &Stream, deadline: Instant, what: &str) -> Item {
    let left = deadline
        .checked_duration_since(Instant::now())
        .filter(|left| !left.is_zero())
        .unwrap_or_else(|| panic!("no {what} within {SEARCH:?}"));
    stream.recv_timeout(left.min(PATIENCE)).unwrap_or_else(|e| {
        if Instant::now() >= deadline {
            panic!("no {what} within {SEARCH:?}")
        }
        panic!("no item in time while waiting for {what}: {e:?}")
    })
}

/// The next event; panics if the stream closes first.
pub fn next_event(stream: &Stream) -> Event {
    first_event(stream).unwrap_or_else(|reason| panic!("closed before the next event: {reason}"))
}

/// The next event, or why the stream closed first.
pub fn first_event(stream: &Stream) -> Result<Event, CloseReason> {
    let deadline = Instant::now() + SEARCH;
    loop {
        match next_before(stream, deadline, "event or close") {
            Item::Event(event) => return Ok(event),
            Item::Closed(reason) => return Err(reason),
            _ => {}
        }
    }
}

/// The data of the next event, or why the stream closed first.
pub fn first_data(stream: &Stream) -> Result<String, CloseReason> {
    first_event(stream).map(Event::into_data)
}

/// Why the stream closes, skipping every item before.
pub fn close_reason(stream: &Stream) -> CloseReason {
    let deadline = Instant::now() + SEARCH;
    loop {
        if let Item::Closed(reason) = next_before(stream, deadline, "close") {
            return reason;
        }
    }
}

/// The error the stream closes with; panics if it closes without one.
pub fn close_error(stream: &Stream) -> Error {
    match close_reason(stream) {
        CloseReason::Error(error) => error,
        other => panic!("closed without an error: {other}"),
    }
}

/// The error and delay of the next retry; panics if the stream closes first.
pub fn next_retry(stream: &Stream) -> (Error, Duration) {
    let deadline = Instant::now() + SEARCH;
    loop {
        match next_before(stream, deadline, "retry") {
            Item::Retrying { error, delay, .. } => return (error, delay),
            Item::Closed(reason) => panic!("closed instead of retrying: {reason}"),
            _ => {}
        }
    }
}
