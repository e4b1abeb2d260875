//! Fuzz target: the response path as the reader sees it from a socket.
//!
//! Input: one control byte, then the bytes a server sends after reading the
//! request: status line, headers, chunked or sized framing, compressed or
//! plain body. A loopback server thread, started once, answers each
//! connection with the current input and closes. The stream (reconnecting
//! off, no redirects followed, options picked by the control byte) must end
//! with `Closed` within a few seconds, every event within the limits.

use std::sync::{Mutex, OnceLock};
use std::time::Duration;

use sselink::{Item, Stream};

#[path = "loopback.rs"]
mod loopback;

/// What the server answers with next.
static SCRIPT: Mutex<Vec<u8>> = Mutex::new(Vec::new());

/// The loopback server's URL, started on first use.
fn server_url() -> &'static str {
    static URL: OnceLock<String> = OnceLock::new();
    URL.get_or_init(|| {
        let base = loopback::start(|| SCRIPT.lock().unwrap().clone());
        format!("{base}/events?x=1")
    })
}

fn check(input: &[u8]) {
    let Some((&control, script)) = input.split_first() else {
        return;
    };
    *SCRIPT.lock().unwrap() = script.to_vec();
    let max_event = if control & 8 != 0 { 64 } else { 1 << 20 };
    let stream = Stream::builder(server_url())
        .reconnect(false)
        .max_redirects(0)
        .connect_timeout(Duration::from_secs(2))
        .idle_timeout(Some(Duration::from_secs(2)))
        .compressed(control & 1 != 0)
        .comments(control & 2 != 0)
        .any_content_type(control & 4 != 0)
        .max_event_size(max_event)
        .max_line_length(max_event)
        .strict_status(control & 16 != 0)
        .dispatch_incomplete_at_eof(control & 32 != 0)
        .connect()
        .expect("a valid configuration");
    loop {
        match stream.recv_timeout(Duration::from_secs(10)) {
            Ok(Item::Closed(_)) => break,
            Ok(Item::Event(event)) => assert!(event.data().len() <= max_event),
            Ok(_) => {}
            Err(error) => panic!("the stream did not close: {error:?}"),
        }
    }
}

fn main() {
    afl::fuzz!(|data: &[u8]| check(data));
}
