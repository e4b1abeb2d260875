//! Compressed streams (docs/options.md, `compressed`): asked for only when
//! the option is on, decoded as they arrive, each event delivered as soon as
//! the server flushes it, and still bound by the size limits.

mod support;

use std::io::Write;

use crossbeam_channel::bounded;
use flate2::write::GzEncoder;
use flate2::Compression;
use sselink::{CloseReason, Error, Limit, Stream};
use support::items::{close_reason, next_event};
use support::server::{Conn, Server, PATIENCE};

/// Writes `text` through the gzip encoder and sync-flushes it: the bytes
/// sent decode to whole events without waiting for more.
fn send_flushed(conn: &mut Conn, gzip: &mut GzEncoder<Vec<u8>>, text: &str) {
    gzip.write_all(text.as_bytes()).unwrap();
    gzip.flush().unwrap(); // a sync flush: every byte so far decodes
    let bytes = std::mem::take(gzip.get_mut());
    conn.write(format!("{:x}\r\n", bytes.len())).unwrap();
    conn.write(&bytes).unwrap();
    conn.write("\r\n").unwrap();
}

#[test]
fn a_gzip_stream_delivers_each_event_when_it_is_flushed() {
    let (go, released) = bounded::<()>(0);
    let server = Server::start(move |mut conn: Conn| {
        assert_eq!(conn.request.header("accept-encoding"), Some("gzip"));
        conn.write(
            "HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\n\
             Content-Encoding: gzip\r\nTransfer-Encoding: chunked\r\n\r\n",
        )
        .unwrap();
        let mut gzip = GzEncoder::new(Vec::new(), Compression::default());
        send_flushed(&mut conn, &mut gzip, "id: 1\ndata: first\n\n");
        // The second event waits until the client has the first: a client
        // that buffered compressed input would wait forever here.
        let _ = released.recv();
        send_flushed(&mut conn, &mut gzip, "id: 2\ndata: second\n\n");
        let rest = gzip.finish().unwrap();
        conn.write(format!("{:x}\r\n", rest.len())).unwrap();
        conn.write(&rest).unwrap();
        conn.write("\r\n0\r\n\r\n").unwrap();
        conn.end();
    });
    let stream = Stream::builder(&server.url("/"))
        .compressed(true)
        .reconnect(false)
        .connect()
        .unwrap();
    assert_eq!(next_event(&stream).data(), "first");
    go.send(()).unwrap();
    assert_eq!(next_event(&stream).data(), "second");
}

#[test]
fn compression_is_not_asked_for_by_default() {
    let server = Server::start(|mut conn: Conn| {
        let _ = conn.sse_head().and_then(|()| conn.write("data: plain\n\n"));
        conn.end();
    });
    let stream = Stream::builder(&server.url("/"))
        .reconnect(false)
        .connect()
        .unwrap();
    assert_eq!(next_event(&stream).data(), "plain");
    assert_eq!(server.request().header("accept-encoding"), None);
}

#[test]
fn a_gzip_response_is_decoded_without_the_option() {
    let mut gzip = GzEncoder::new(Vec::new(), Compression::default());
    gzip.write_all(b"id: 1\ndata: unasked\n\n").unwrap();
    let body = gzip.finish().unwrap();
    let server = Server::start(move |mut conn: Conn| {
        let _ = conn.write(format!(
            "HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\n\
             Content-Encoding: gzip\r\nContent-Length: {}\r\n\r\n",
            body.len()
        ));
        let _ = conn.write(&body);
        conn.end();
    });
    let stream = Stream::builder(&server.url("/"))
        .reconnect(false)
        .connect()
        .unwrap();
    let event = next_event(&stream);
    assert_eq!((event.id(), event.data()), ("1", "unasked"));
    assert_eq!(server.request().header("accept-encoding"), None);
}

#[test]
fn a_gzip_bomb_of_many_lines_stops_at_the_event_limit() {
    // 64 MiB of 1 KiB data lines in one event, compressed to about 64 KiB:
    // no line is long, the event is.
    let mut gzip = GzEncoder::new(Vec::new(), Compression::best());
    let line = format!("data: {}\n", "0".repeat(1018)).into_bytes();
    for _ in 0..64 << 10 {
        gzip.write_all(&line).unwrap();
    }
    let bomb = gzip.finish().unwrap();
    assert!(bomb.len() < 1 << 20, "{} bytes", bomb.len());
    let server = Server::start(move |mut conn: Conn| {
        let _ = conn.write(format!(
            "HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\n\
             Content-Encoding: gzip\r\nContent-Length: {}\r\n\r\n",
            bomb.len()
        ));
        let _ = conn.write(&bomb);
        conn.client_closed_within(PATIENCE);
    });
    let stream = Stream::builder(&server.url("/"))
        .max_event_size(1 << 20)
        .connect()
        .unwrap();
    let reason = close_reason(&stream);
    assert!(
        matches!(&reason, CloseReason::Error(Error::Limit(l)) if l.limit == Limit::EventSize && l.max == 1 << 20),
        "{reason}"
    );
}

#[test]
fn a_gzip_bomb_of_one_line_stops_at_the_line_limit() {
    // 64 MiB of one data line, compressed to about 64 KiB.
    let mut gzip = GzEncoder::new(Vec::new(), Compression::best());
    gzip.write_all(b"data: ").unwrap();
    let zeros = vec![b'0'; 1 << 20];
    for _ in 0..64 {
        gzip.write_all(&zeros).unwrap();
    }
    let bomb = gzip.finish().unwrap();
    assert!(bomb.len() < 1 << 20, "{} bytes", bomb.len());
    let server = Server::start(move |mut conn: Conn| {
        let _ = conn.write(format!(
            "HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\n\
             Content-Encoding: gzip\r\nContent-Length: {}\r\n\r\n",
            bomb.len()
        ));
        let _ = conn.write(&bomb);
        conn.client_closed_within(PATIENCE);
    });
    let stream = Stream::builder(&server.url("/"))
        .compressed(true)
        .max_line_length(1 << 20)
        .connect()
        .unwrap();
    let reason = close_reason(&stream);
    assert!(
        matches!(reason, CloseReason::Error(Error::Limit(l)) if l.limit == Limit::LineLength && l.max == 1 << 20),
        "{reason}"
    );
}
