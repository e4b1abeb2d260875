//! The request at its edges (docs/behaviour.md §2, §4.2): what sselink sends
//! and what a caller may replace, redirects with raw bytes in Location, a
//! failed response whose body drips, and servers that ask for no delay.

mod support;

use std::time::{Duration, Instant};

use sselink::{CloseReason, Error, Item, Stream};
use support::items::{close_reason, next_event, next_retry, quick};
use support::server::{sse_then_hold, Conn, Server, PATIENCE};

#[test]
fn a_callers_header_replaces_the_built_in_one() {
    let server = Server::start(sse_then_hold("data: x\n\n"));
    let stream = Stream::builder(&server.url("/"))
        .header("Accept", "text/event-stream, application/json")
        .header("Cache-Control", "max-age=0")
        .connect()
        .unwrap();
    let request = server.request();
    assert_eq!(
        request.header("accept"),
        Some("text/event-stream, application/json")
    );
    assert_eq!(request.header("cache-control"), Some("max-age=0"));
    assert_eq!(
        (
            request.header_count("accept"),
            request.header_count("cache-control")
        ),
        (1, 1)
    );
    next_event(&stream);
}

#[test]
fn a_request_without_a_body_has_no_content_length() {
    let server = Server::start(sse_then_hold("data: x\n\n"));
    let stream = Stream::builder(&server.url("/")).connect().unwrap();
    let request = server.request();
    assert_eq!(request.method, "GET");
    assert_eq!(
        request.header("content-length"),
        None,
        "{:?}",
        request.headers
    );
    next_event(&stream);
}

#[test]
fn a_303_after_a_post_drops_the_body_and_its_content_type() {
    let server = Server::start(|mut conn: Conn| {
        if conn.request.index == 0 {
            let _ = conn.respond(303, &["Location: /next"], "");
            conn.end();
        } else {
            let _ = conn.sse_head().and_then(|()| conn.write("data: x\n\n"));
            conn.client_closed_within(PATIENCE);
        }
    });
    let stream = Stream::builder(&server.url("/"))
        .method("POST")
        .header("Content-Type", "application/json")
        .body(r#"{"q":1}"#)
        .connect()
        .unwrap();
    let post = server.request();
    assert_eq!(
        (post.method.as_str(), post.body.as_slice()),
        ("POST", &br#"{"q":1}"#[..])
    );
    assert_eq!(post.header("content-type"), Some("application/json"));
    let get = server.request();
    assert_eq!(get.method, "GET");
    assert_eq!(get.header("content-type"), None, "{:?}", get.headers);
    assert_eq!(get.header("content-length"), None);
    assert!(get.body.is_empty());
    next_event(&stream);
}

#[test]
fn a_location_with_raw_utf8_is_followed_percent_encoded() {
    let server = Server::start(|mut conn: Conn| {
        if conn.request.index == 0 {
            let _ = conn.respond(302, &["Location: /café"], "");
            conn.end();
        } else {
            let _ = conn.sse_head().and_then(|()| conn.write("data: x\n\n"));
            conn.client_closed_within(PATIENCE);
        }
    });
    let stream = Stream::builder(&server.url("/")).connect().unwrap();
    server.request();
    assert_eq!(server.request().target, "/caf%C3%A9");
    next_event(&stream);
}

#[test]
fn framing_headers_from_a_provider_close_the_stream_with_its_own_error() {
    let server = Server::start(sse_then_hold(""));
    let stream = quick(&server.url("/"))
        .header_provider(|| vec![("Content-Length".into(), "5".into())])
        .connect()
        .unwrap();
    let reason = close_reason(&stream);
    assert!(
        matches!(&reason, CloseReason::Error(Error::HeaderProvider(m)) if m.contains("frames the request")),
        "{reason}"
    );
    assert!(
        server.request_within(Duration::from_millis(100)).is_none(),
        "nothing sent"
    );
    assert!(
        stream.close_and_wait(PATIENCE),
        "the reader is not spinning"
    );
}

#[test]
fn a_slow_failed_body_does_not_hold_the_retry_back() {
    // 503 with Retry-After: 1 and a body that drips a byte a second without
    // end. The idle timeout is 45 s; the excerpt may take one second.
    let server = Server::start(|mut conn: Conn| {
        if conn.request.index == 0 {
            let _ =
                conn.write("HTTP/1.1 503 Busy\r\nRetry-After: 1\r\nContent-Length: 1000\r\n\r\nx");
            while conn.write("y").is_ok() && !conn.client_closed_within(Duration::from_secs(1)) {}
        } else {
            let _ = conn.sse_head().and_then(|()| conn.write("data: back\n\n"));
            conn.client_closed_within(PATIENCE);
        }
    });
    let started = Instant::now();
    let stream = Stream::builder(&server.url("/"))
        .idle_timeout(Some(Duration::from_secs(45)))
        .jitter(0.0)
        .connect()
        .unwrap();
    let (error, delay) = next_retry(&stream);
    assert_eq!(error.status(), Some(503));
    assert_eq!(delay, Duration::from_secs(1), "Retry-After is the floor");
    // The excerpt is read for one second: a deadline of 8 s, or the idle
    // timeout, would pass this bound.
    let took = started.elapsed();
    assert!(
        took < Duration::from_secs(3),
        "the excerpt held the retry back for {took:?}"
    );
    assert_eq!(next_event(&stream).data(), "back");
}

#[test]
fn a_failed_body_is_kept_to_8_kib() {
    let server = Server::start(|mut conn: Conn| {
        let _ = conn.respond(404, &[], &"e".repeat(100 * 1024));
        conn.end();
    });
    let stream = Stream::builder(&server.url("/")).connect().unwrap();
    let Error::Status(failure) = support::items::close_error(&stream) else {
        panic!("not a status error")
    };
    assert_eq!(failure.status, 404);
    assert_eq!(failure.body.len(), 8 * 1024, "the excerpt is cut at 8 KiB");
    assert!(failure.body.bytes().all(|b| b == b'e'));
}

#[test]
fn retry_zero_allows_one_immediate_reconnect_then_backs_off() {
    // Every connection is an empty 200 after `retry: 0`: no event, so every
    // drop is a failure. Without a floor this was thousands of requests a
    // second; with it the delays double from 10 ms.
    let server = Server::start(|mut conn: Conn| {
        let _ = conn.sse_head().and_then(|()| conn.write("retry: 0\n\n"));
        conn.end();
    });
    let stream = Stream::builder(&server.url("/"))
        .jitter(0.0)
        .connect()
        .unwrap();
    let delays: Vec<Duration> = (0..6).map(|_| next_retry(&stream).1).collect();
    assert_eq!(delays, [0, 20, 40, 80, 160, 320].map(Duration::from_millis));
    stream.close();
    assert!(
        server.connections() <= 7,
        "{} connections",
        server.connections()
    );
}

#[test]
fn zero_reconnect_settings_still_back_off() {
    let server = Server::start(|mut conn: Conn| {
        let _ = conn.respond(503, &[], "");
        conn.end();
    });
    let stream = Stream::builder(&server.url("/"))
        .reconnect_delay(Duration::ZERO, Duration::ZERO)
        .jitter(0.0)
        .connect()
        .unwrap();
    let delays: Vec<Duration> = (0..8).map(|_| next_retry(&stream).1).collect();
    assert_eq!(
        delays,
        [0, 20, 40, 80, 160, 320, 640, 1000].map(Duration::from_millis)
    );
}

#[test]
fn many_provided_headers_replace_configured_ones_in_linear_time() {
    // 6,000 configured headers (as many short ones as MAX_REQUEST_HEAD
    // allows) and 20,000 provided ones, 6,000 of them of the same names (an
    // HTTP header map holds at most 32,768). Replacing them one by one took
    // seconds. The provided headers are replaced before the request head is
    // measured, and make it too long: the time until the stream closes is
    // the time spent on headers.
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let names: Vec<String> = (0..20_000).map(|i| format!("h{i}")).collect();
    let mut builder = quick(&format!("http://127.0.0.1:{port}/"));
    for name in &names[..6_000] {
        builder = builder.header(name, "");
    }
    let provided: Vec<(String, String)> = names
        .iter()
        .map(|n| (n.clone(), "provided".into()))
        .collect();
    let started = Instant::now();
    let stream = builder
        .header_provider(move || provided.clone())
        .connect()
        .unwrap();
    loop {
        match stream.recv_timeout(PATIENCE).unwrap() {
            Item::Closed(CloseReason::Error(error)) => {
                assert!(matches!(error, Error::HeaderProvider(_)), "{error}");
                assert!(error.to_string().contains("MAX_REQUEST_HEAD"), "{error}");
                break;
            }
            Item::Connecting { .. } => {}
            other => panic!("expected the provider's headers to be refused, got {other:?}"),
        }
    }
    // A sanity bound a thousand times the linear cost, not a benchmark.
    assert!(
        started.elapsed() < Duration::from_secs(5),
        "{:?}",
        started.elapsed()
    );
}

/// A response head of exactly `size` bytes (status line, headers, blank
/// line), followed by one event.
fn head_of(size: usize) -> String {
    let start = "HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\nX-Big: ";
    let end = "\r\n\r\n";
    format!(
        "{start}{}{end}data: after the head\n\n",
        "b".repeat(size - start.len() - end.len())
    )
}

#[test]
fn a_response_head_at_the_limit_fits() {
    // sselink sizes ureq's buffers down for idle memory; a head of
    // MAX_RESPONSE_HEAD bytes must still be read whole.
    let server = Server::start(|mut conn: Conn| {
        let _ = conn.write(head_of(sselink::MAX_RESPONSE_HEAD));
        conn.client_closed_within(PATIENCE);
    });
    let stream = Stream::builder(&server.url("/")).connect().unwrap();
    loop {
        match stream.recv_timeout(PATIENCE).unwrap() {
            Item::Open { headers, .. } => {
                assert!(headers
                    .iter()
                    .any(|(n, v)| n == "x-big" && v.len() > 16_000))
            }
            Item::Event(event) => {
                assert_eq!(event.data(), "after the head");
                break;
            }
            Item::Closed(reason) => panic!("{reason}"),
            _ => {}
        }
    }
}

#[test]
fn a_response_head_over_the_limit_is_an_error_not_a_stall() {
    // One byte over, a head that fills ureq's input buffer exactly, and far over.
    let limit = sselink::MAX_RESPONSE_HEAD;
    for size in [limit + 1, limit + 4 * 1024, 70 * 1024, 1024 * 1024] {
        let server = Server::start(move |mut conn: Conn| {
            let _ = conn.write(head_of(size));
            conn.client_closed_within(PATIENCE);
        });
        let stream = Stream::builder(&server.url("/"))
            .max_attempts(1)
            .reconnect_delay(Duration::from_millis(10), Duration::from_millis(10))
            .connect()
            .unwrap();
        let started = Instant::now();
        let reason = loop {
            match stream.recv_timeout(PATIENCE).expect("an item, not a stall") {
                Item::Closed(reason) => break reason,
                Item::Event(event) => panic!("{size}: an event after an oversized head: {event:?}"),
                _ => {}
            }
        };
        // The one attempt failed on the head's size, not on anything after.
        match &reason {
            CloseReason::Error(Error::AttemptsExhausted { last, .. }) => assert!(
                matches!(**last, Error::Network(_))
                    && last.to_string().contains("response header is too big")
                    && last.to_string().contains("> 16384"),
                "{size}: {last}"
            ),
            other => panic!("{size}: closed with {other}"),
        }
        assert!(started.elapsed() < PATIENCE, "{size}");
        eprintln!("{size}: {reason}");
    }
}
