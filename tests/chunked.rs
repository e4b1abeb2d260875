//! Chunked response bodies whose chunk-size lines carry extensions
//! (RFC 9112 §7.1.1, docs/behaviour.md §6.1): read whatever their length up
//! to the limit, split across reads anywhere, over HTTP and TLS; an endless
//! one is an error that says so.

mod support;

use std::io::{BufRead, BufReader, Write};
use std::net::TcpListener;
use std::sync::Arc;
use std::thread;

use crossbeam_channel::bounded;
use sselink::{CloseReason, Error, Item, Stream};
use support::items::{close_reason, next_event, quick};
use support::server::{Conn, Server, PATIENCE};
use support::tls::test_ca;

const HEAD: &str = "HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\n\
                    Transfer-Encoding: chunked\r\n\r\n";

/// One chunk carrying `data` with `extension` after its size.
fn chunk(data: &str, extension: &str) -> String {
    format!("{:x}{extension}\r\n{data}\r\n", data.len())
}

/// An extension of about `len` bytes: a quoted value, a token value and a
/// bare name, as RFC 9112 allows.
fn extension(len: usize) -> String {
    let quoted = "q \\\" ; = v".repeat(len / 10);
    format!(";quoted=\"{quoted}\" ; token=abc;bare")
}

#[test]
fn chunk_extensions_of_any_length_up_to_the_limit_are_read() {
    let server = Server::start(|mut conn: Conn| {
        let limit = format!(";{}", "e".repeat(16 * 1024));
        let mut body = String::from(HEAD);
        body += &chunk("data: short\n\n", ";a=b");
        body += &chunk("data: fifty-one\n\n", &format!(";{}", "x".repeat(50)));
        body += &chunk("data: quoted\n\n", &extension(300));
        body += &chunk("data: ten-kib\n\n", &extension(10 * 1024));
        body += &chunk("data: at-the-limit\n\n", &limit);
        body += "0;last=chunk\r\nx-trailer: t\r\n\r\n";
        let _ = conn.write(body);
        conn.end();
    });
    let stream = Stream::builder(&server.url("/events"))
        .reconnect(false)
        .connect()
        .unwrap();
    for expected in ["short", "fifty-one", "quoted", "ten-kib", "at-the-limit"] {
        assert_eq!(next_event(&stream).data(), expected);
    }
    assert_eq!(close_reason(&stream), CloseReason::Ended);
}

#[test]
fn chunk_size_lines_split_across_reads_anywhere_are_read() {
    // Each round sends a whole event and the start of the next chunk, waits
    // until the event is delivered (so the client read what was sent), then
    // sends the rest: the next chunk's size line is cut at a new place.
    let ext = extension(100);
    let next = chunk("data: the next one\n\n", &ext);
    let cuts = [
        1,                              // inside the size
        4,                              // inside the extension
        next.find("\r\n").unwrap() + 1, // between CR and LF
        next.len() - 1,                 // between the data's CR and LF
    ];
    let (delivered, proceed) = bounded::<()>(0);
    let server = Server::start(move |mut conn: Conn| {
        let mut pending = format!("{HEAD}{}", chunk("data: start\n\n", ""));
        for cut in cuts {
            let _ = conn.write(format!("{pending}{}", &next[..cut]));
            if proceed.recv_timeout(PATIENCE).is_err() {
                return;
            }
            pending = next[cut..].to_string();
        }
        let _ = conn.write(format!("{pending}0\r\n\r\n"));
        conn.end();
    });
    let stream = Stream::builder(&server.url("/events"))
        .reconnect(false)
        .connect()
        .unwrap();
    assert_eq!(next_event(&stream).data(), "start");
    for _ in cuts {
        delivered.send_timeout((), PATIENCE).unwrap();
        assert_eq!(next_event(&stream).data(), "the next one");
    }
    assert_eq!(close_reason(&stream), CloseReason::Ended);
}

#[test]
fn an_endless_extension_is_an_error_that_says_so() {
    let server = Server::start(|mut conn: Conn| {
        let _ = conn.write(format!("{HEAD}{}1;", chunk("data: before\n\n", "")));
        let flood = "e".repeat(64 * 1024);
        for _ in 0..16 {
            if conn.write(&flood).is_err() {
                return;
            }
        }
        conn.end();
    });
    let stream = quick(&server.url("/events")).connect().unwrap();
    assert_eq!(next_event(&stream).data(), "before");
    let error = loop {
        match stream.recv_timeout(PATIENCE).expect("no retry in time") {
            Item::Retrying { error, .. } => break error,
            Item::Closed(reason) => panic!("closed instead of retrying: {reason}"),
            _ => {}
        }
    };
    assert!(matches!(error, Error::Network(_)), "{error:?}");
    let text = error.to_string();
    assert!(
        text.contains("chunk extension longer than 16384 bytes"),
        "{text}"
    );
}

#[test]
fn chunk_extensions_are_read_over_tls() {
    let ca = test_ca();
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("https://{}/events", listener.local_addr().unwrap());
    let config = Arc::clone(&ca.server_config);
    thread::spawn(move || {
        let Some(tcp) = listener.incoming().flatten().next() else {
            return;
        };
        let tls = rustls::ServerConnection::new(config).unwrap();
        let mut stream = rustls::StreamOwned::new(tls, tcp);
        let mut reader = BufReader::new(&mut stream);
        let mut line = String::new();
        while reader.read_line(&mut line).is_ok_and(|n| n > 0) && line != "\r\n" {
            line.clear();
        }
        let mut body = String::from(HEAD);
        body += &chunk("data: one\n\n", &extension(60));
        body += &chunk("data: two\n\n", &extension(5000));
        body += "0\r\n\r\n";
        let _ = stream.write_all(body.as_bytes());
        stream.conn.send_close_notify();
        let _ = stream.flush();
    });
    let stream = Stream::builder(&url)
        .reconnect(false)
        .root_certificate(ca.ca_pem.clone())
        .connect()
        .unwrap();
    assert_eq!(next_event(&stream).data(), "one");
    assert_eq!(next_event(&stream).data(), "two");
    assert_eq!(close_reason(&stream), CloseReason::Ended);
}
