//! Long request heads (docs/behaviour.md §2.3): header values of several
//! KiB, long URLs, from the setters or a header provider, are sent by the
//! stream and by posts, over HTTP and TLS, up to MAX_REQUEST_HEAD. A head
//! over it is refused once with an error that says so, never retried; a
//! server's last event id too long to send is left out.

mod support;

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpListener;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::thread;
use std::time::Duration;

use sselink::{Builder, CloseReason, Error, Item, Stream, MAX_REQUEST_HEAD};
use support::items::{next_event, quick};
use support::server::{sse_then_close, Conn, Server, PATIENCE};
use support::tls::test_ca;

fn value(len: usize, fill: char) -> String {
    fill.to_string().repeat(len)
}

/// Why the stream closed, failing if it retried or opened first: a head
/// that is too long is refused once.
fn closed_without_retrying(stream: &Stream) -> Error {
    loop {
        match stream.recv_timeout(PATIENCE).expect("no close in time") {
            Item::Connecting { .. } => {}
            Item::Closed(CloseReason::Error(error)) => return error,
            other => panic!("expected the stream to close at once, got {other:?}"),
        }
    }
}

/// The data of the stream's first event, failing if it retries or closes
/// first.
fn first_data_without_retrying(stream: &Stream) -> String {
    loop {
        match stream.recv_timeout(PATIENCE).expect("no event in time") {
            Item::Connecting { .. } | Item::Open { .. } => {}
            Item::Event(event) => return event.data().to_string(),
            other => panic!("expected the first event, got {other:?}"),
        }
    }
}

fn assert_names_the_limit(error: &Error) {
    let text = error.to_string();
    assert!(
        text.contains("MAX_REQUEST_HEAD") && text.contains(&MAX_REQUEST_HEAD.to_string()),
        "{text}"
    );
}

#[test]
fn header_values_of_4_and_16_kib_are_sent_by_the_stream() {
    let server = Server::start(sse_then_close("data: ok\n\n"));
    let (four, sixteen) = (value(4 << 10, 'a'), value(16 << 10, 'b'));
    let stream = quick(&server.url("/events"))
        .header("X-Four", &four)
        .sensitive_header("X-Sixteen", &sixteen)
        .connect()
        .unwrap();
    let request = server.request();
    assert_eq!(request.header("x-four"), Some(four.as_str()));
    assert_eq!(request.header("x-sixteen"), Some(sixteen.as_str()));
    assert_eq!(next_event(&stream).data(), "ok");
}

#[test]
fn a_header_provider_may_return_values_of_4_and_16_kib() {
    let server = Server::start(sse_then_close("data: ok\n\n"));
    let (four, sixteen) = (value(4 << 10, 'c'), value(16 << 10, 'd'));
    let provided = vec![
        ("Authorization".to_string(), format!("Bearer {four}")),
        ("Cookie".to_string(), sixteen.clone()),
    ];
    let stream = quick(&server.url("/events"))
        .header_provider(move || provided.clone())
        .connect()
        .unwrap();
    let request = server.request();
    assert_eq!(
        request.header("authorization"),
        Some(&*format!("Bearer {four}"))
    );
    assert_eq!(request.header("cookie"), Some(sixteen.as_str()));
    assert_eq!(next_event(&stream).data(), "ok");
}

#[test]
fn an_8_kib_url_is_sent_by_the_stream() {
    let server = Server::start(sse_then_close("data: ok\n\n"));
    let target = format!("/events?token={}", value(8 << 10, 't'));
    let stream = quick(&server.url(&target)).connect().unwrap();
    assert_eq!(server.request().target, target);
    assert_eq!(next_event(&stream).data(), "ok");
}

/// A stream that never connects anywhere useful, posting to `post_url`
/// with quick retries.
fn poster(post_url: &str) -> Builder {
    Stream::builder("http://127.0.0.1:9/events/stream")
        .reconnect_delay(Duration::from_secs(30), Duration::from_secs(30))
        .post_url(post_url)
        .post_attempts(3)
        .post_delay(Duration::from_millis(10), Duration::from_millis(40))
        .jitter(0.0)
}

fn answering_200() -> Server {
    Server::start(|mut conn: Conn| {
        let _ = conn.respond(200, &[], "posted");
        conn.end();
    })
}

#[test]
fn posts_send_long_headers_from_the_setters_and_the_provider_and_long_urls() {
    let server = answering_200();
    let target = format!("/posts?token={}", value(8 << 10, 'u'));
    let (four, sixteen) = (value(4 << 10, 'e'), value(16 << 10, 'f'));
    let provided = value(16 << 10, 'g');
    let stream = poster(&server.url(&target))
        .header("X-Four", &four)
        .header("X-Sixteen", &sixteen)
        .header_provider({
            let provided = provided.clone();
            move || vec![("X-Provided".to_string(), provided.clone())]
        })
        .connect()
        .unwrap();
    let response = stream.post(r#"{"n":1}"#).unwrap();
    assert_eq!((response.status, response.attempts), (200, 1));
    let request = server.request();
    assert_eq!(request.target, target);
    assert_eq!(request.header("x-four"), Some(four.as_str()));
    assert_eq!(request.header("x-sixteen"), Some(sixteen.as_str()));
    assert_eq!(request.header("x-provided"), Some(provided.as_str()));
    assert_eq!(request.body, br#"{"n":1}"#);
}

#[test]
fn a_head_just_under_the_limit_is_sent_whole_by_the_stream_and_posts() {
    let server = Server::start(|mut conn: Conn| {
        if conn.request.method == "POST" {
            let _ = conn.respond(200, &[], "posted");
        } else {
            let _ = conn.sse_head().and_then(|()| conn.write("data: ok\n\n"));
        }
        conn.end();
    });
    let big = value(MAX_REQUEST_HEAD - 512, 'w');
    let stream = quick(&server.url("/events"))
        .header("X-Big", &big)
        .post_url(&server.url("/posts"))
        .connect()
        .unwrap();
    let request = server.request();
    assert_eq!(request.header("x-big"), Some(big.as_str()));
    assert_eq!(next_event(&stream).data(), "ok");
    assert_eq!(stream.post("{}").unwrap().status, 200);
    let posted = std::iter::from_fn(|| Some(server.request()))
        .find(|request| request.method == "POST")
        .unwrap();
    assert_eq!(posted.header("x-big"), Some(big.as_str()));
}

#[test]
fn a_configured_head_over_the_limit_is_refused_when_set_or_at_connect() {
    let url = "http://127.0.0.1:9/events";
    // One header too long on its own: refused by the setter.
    let builder = Stream::builder(url).header("X-Huge", value(MAX_REQUEST_HEAD, 'h'));
    let error = builder.error().expect("the setter refuses it").clone();
    assert!(matches!(error, Error::InvalidConfig(_)), "{error:?}");
    assert_names_the_limit(&error);
    // Headers, a URL or a post URL that are too long together: refused by connect.
    let third = value(MAX_REQUEST_HEAD / 3, 'x');
    let long_url = format!("{url}?q={}", value(MAX_REQUEST_HEAD, 'q'));
    let cases = [
        Stream::builder(url)
            .header("X-A", &third)
            .header("X-B", &third)
            .header("X-C", &third),
        Stream::builder(&long_url),
        Stream::builder(url).query("q", value(MAX_REQUEST_HEAD, 'q')),
        Stream::builder(url).post_url(&long_url),
    ];
    for builder in cases {
        assert!(builder.error().is_none());
        match builder.connect() {
            Err(error @ Error::InvalidConfig(_)) => assert_names_the_limit(&error),
            Err(other) => panic!("expected a configuration error, got {other:?}"),
            Ok(_) => panic!("a head over MAX_REQUEST_HEAD was accepted"),
        }
    }
    // Just under the limit is accepted.
    let under = Stream::builder(url).header("X-Big", value(MAX_REQUEST_HEAD - 1024, 'b'));
    assert!(under.error().is_none());
    under.connect().unwrap().close();
}

#[test]
fn a_header_provider_over_the_limit_closes_the_stream_and_fails_the_post_at_once() {
    let server = answering_200();
    let half = value(MAX_REQUEST_HEAD / 2, 'p');
    let provider = move || {
        vec![
            ("X-One".to_string(), half.clone()),
            ("X-Two".to_string(), half.clone()),
        ]
    };
    let stream = quick(&server.url("/events"))
        .header_provider(provider.clone())
        .connect()
        .unwrap();
    let error = closed_without_retrying(&stream);
    assert!(matches!(error, Error::HeaderProvider(_)), "{error:?}");
    assert_names_the_limit(&error);

    let poster = poster(&server.url("/posts"))
        .header_provider(provider)
        .connect()
        .unwrap();
    match poster.post("{}") {
        Err(error @ Error::HeaderProvider(_)) => assert_names_the_limit(&error),
        other => panic!("expected the provider's error, got {other:?}"),
    }
    assert_eq!(server.connections(), 0, "nothing was sent");
}

#[test]
fn a_server_id_too_long_to_send_is_left_out_of_the_reconnect() {
    let long_id = value(MAX_REQUEST_HEAD + 100, 'i');
    let first_body = format!("id: {long_id}\ndata: first\n\n");
    let server = Server::start(move |mut conn: Conn| {
        let body = if conn.request.index == 0 {
            first_body.as_str()
        } else {
            "data: second\n\n"
        };
        let _ = conn.sse_head().and_then(|()| conn.write(body));
        conn.end();
    });
    let stream = quick(&server.url("/events"))
        .resume_query("from")
        .connect()
        .unwrap();
    let first = next_event(&stream);
    assert_eq!((first.data(), first.id()), ("first", long_id.as_str()));
    assert_eq!(server.request().index, 0);
    let again = server.request();
    assert_eq!(again.header("last-event-id"), None);
    assert_eq!(again.target, "/events");
    let second = next_event(&stream);
    assert_eq!((second.data(), second.id()), ("second", long_id.as_str()));
}

#[test]
fn a_redirect_that_makes_the_head_too_long_closes_the_stream() {
    let server = Server::start(|mut conn: Conn| {
        let location = format!("Location: /moved?{}", value(8 << 10, 'l'));
        let _ = conn.respond(307, &[&location], "");
        conn.end();
    });
    let stream = quick(&server.url("/events"))
        .header("X-Big", value(MAX_REQUEST_HEAD - 4096, 'r'))
        .connect()
        .unwrap();
    let error = closed_without_retrying(&stream);
    assert!(matches!(error, Error::Redirect(_)), "{error:?}");
    assert_names_the_limit(&error);
    assert_eq!(server.request().target, "/events");
}

/// An HTTPS server answering every request (a stream's or a post's) with an
/// event whose data is the length of its `x-token` header.
fn https_echoing_token_length(config: Arc<rustls::ServerConfig>) -> String {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("https://{}/events", listener.local_addr().unwrap());
    thread::spawn(move || {
        for tcp in listener.incoming().flatten() {
            let config = Arc::clone(&config);
            thread::spawn(move || {
                let tls = rustls::ServerConnection::new(config).unwrap();
                let mut stream = rustls::StreamOwned::new(tls, tcp);
                let mut reader = BufReader::new(&mut stream);
                let (mut token, mut length) = (0, 0);
                let mut line = String::new();
                while reader.read_line(&mut line).is_ok_and(|n| n > 0) && line != "\r\n" {
                    let lower = line.to_ascii_lowercase();
                    if let Some(value) = lower.strip_prefix("x-token: ") {
                        token = value.trim_end().len();
                    }
                    if let Some(value) = lower.strip_prefix("content-length: ") {
                        length = value.trim_end().parse().unwrap_or(0);
                    }
                    line.clear();
                }
                let mut body = vec![0; length];
                let _ = reader.read_exact(&mut body);
                let _ = write!(
                    stream,
                    "HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\n\
                     Connection: close\r\n\r\ndata: {token}\n\n"
                );
                let _ = stream.flush();
                stream.conn.send_close_notify();
                let _ = stream.flush();
            });
        }
    });
    url
}

#[test]
fn long_heads_work_over_tls_for_the_stream_and_posts() {
    let ca = test_ca();
    let url = https_echoing_token_length(Arc::clone(&ca.server_config));
    let stream = quick(&url)
        .root_certificate(ca.ca_pem.clone())
        .header("X-Token", value(16 << 10, 's'))
        .post_url(&url)
        .connect()
        .unwrap();
    assert_eq!(first_data_without_retrying(&stream), (16 << 10).to_string());
    let response = stream.post("{}").unwrap();
    assert_eq!(response.status, 200);
    assert_eq!(
        response.body,
        format!("data: {}\n\n", 16 << 10).into_bytes()
    );
}

#[test]
fn a_post_head_of_exactly_max_request_head_is_sent() {
    // The size a post's head would have is found from the error of one too
    // long (it names the size); then a head of exactly MAX_REQUEST_HEAD
    // bytes is sent, and one byte more is refused. The post URL's long
    // query keeps the stream's own head (to a port that refuses) shorter.
    // Kills the mutant that makes attempt_once's `size > MAX_REQUEST_HEAD`
    // a `>=`.
    let server = answering_200();
    let len = Arc::new(AtomicUsize::new(MAX_REQUEST_HEAD - 1000));
    let provider = {
        let len = Arc::clone(&len);
        move || vec![("X-Big".to_string(), value(len.load(Ordering::SeqCst), 'b'))]
    };
    let post_url = server.url(&format!("/posts?pad={}", value(2000, 'p')));
    let stream = poster(&post_url)
        .header_provider(provider)
        .connect()
        .unwrap();
    let too_long = match stream.post("{}") {
        Err(error @ Error::HeaderProvider(_)) => error.to_string(),
        other => panic!("expected the provider's error, got {other:?}"),
    };
    let size: usize = too_long
        .split("a request head of ")
        .nth(1)
        .and_then(|rest| rest.split(' ').next())
        .and_then(|number| number.parse().ok())
        .unwrap_or_else(|| panic!("no size in: {too_long}"));
    let rest_of_head = size - len.load(Ordering::SeqCst);
    len.store(MAX_REQUEST_HEAD - rest_of_head, Ordering::SeqCst);
    match stream.post("{}") {
        Ok(response) => assert_eq!(response.status, 200),
        Err(error) => panic!("a head of exactly MAX_REQUEST_HEAD was refused: {error}"),
    }
    len.fetch_add(1, Ordering::SeqCst);
    assert!(
        matches!(stream.post("{}"), Err(Error::HeaderProvider(_))),
        "a head one byte over MAX_REQUEST_HEAD was sent"
    );
}
