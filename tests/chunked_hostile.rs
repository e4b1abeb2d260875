//! Hostile chunked framing against the chunk-size rewriting (issue 27
//! point 10), from a defect hunt.

mod support;

use std::time::Duration;

use sselink::{Item, Stream};
use support::server::{Conn, Server, PATIENCE};

const HEAD: &str = "HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\n\
                    Transfer-Encoding: chunked\r\n\r\n";

/// httparse, and so ureq, skips blank lines before a status line, and
/// ureq consumes them as part of the head. sselink reads the body's framing
/// from the consumed bytes (src/chunked.rs `body_framing`); it took the
/// empty first line for the status line and never rewrote this chunked
/// body's size lines, so ureq-proto met the 80-byte extension and failed
/// for ever.
#[test]
fn a_blank_line_before_the_head_keeps_long_extensions_readable() {
    let body = format!(
        "\r\n{HEAD}{:x};name={}\r\ndata: one\n\n\r\n0\r\n\r\n",
        "data: one\n\n".len(),
        "v".repeat(80)
    );
    let server = Server::start(move |mut conn: Conn| {
        let _ = conn.write(&body);
        conn.end();
    });
    let stream = Stream::builder(&server.url("/e"))
        .reconnect_delay(Duration::from_millis(10), Duration::from_millis(80))
        .connect()
        .unwrap();
    let first = loop {
        match stream.recv_timeout(PATIENCE).expect("no item in time") {
            Item::Event(event) => break Ok(event.data().to_string()),
            Item::Retrying { error, .. } => break Err(error.to_string()),
            Item::Closed(reason) => break Err(reason.to_string()),
            _ => {}
        }
    };
    assert_eq!(first, Ok("one".to_string()));
}
