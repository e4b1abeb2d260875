//! The write path (docs/behaviour.md §10): a JSON body posted back with the
//! stream's headers, retried on 429, 5xx and network errors, final on other
//! statuses, bounded by a timeout and interrupted by close.

mod support;

use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use sselink::{Builder, Error, Stream};
use support::server::{Conn, Server, PATIENCE};
use support::wait::spawn;

/// What "at once" allows: far below any timeout or backoff a post could
/// be waiting out, yet room for a loaded two-core machine.
const AT_ONCE: Duration = Duration::from_millis(500);

/// A stream that never connects anywhere useful (its reader retries in the
/// background), posting to `post_url` with quick retries.
fn poster(post_url: &str) -> Builder {
    Stream::builder("http://127.0.0.1:9/events/stream")
        .reconnect_delay(Duration::from_secs(30), Duration::from_secs(30))
        .post_url(post_url)
        .post_delay(Duration::from_millis(10), Duration::from_millis(40))
        .jitter(0.0)
}

/// A server answering each post with the next status of `statuses`.
fn answering(statuses: &'static [u16]) -> Server {
    Server::start(move |mut conn: Conn| {
        let status = statuses[conn.request.index.min(statuses.len() - 1)];
        let _ = conn.respond(status, &[], &format!("answer {}", conn.request.index));
        conn.end();
    })
}

#[test]
fn a_429_is_retried_then_200_is_the_answer() {
    let server = answering(&[429, 200]);
    let stream = poster(&server.url("/events"))
        .header("Authorization", "Bearer t")
        .connect()
        .unwrap();
    let response = stream.post(r#"{"n":1}"#).unwrap();
    assert!(response.is_success());
    assert_eq!((response.status, response.attempts), (200, 2));
    assert_eq!(response.body, b"answer 1");
    for _ in 0..2 {
        let request = server.request();
        assert_eq!(request.method, "POST");
        assert_eq!(request.target, "/events");
        assert_eq!(request.body, br#"{"n":1}"#);
        assert_eq!(request.header("content-type"), Some("application/json"));
        assert_eq!(request.header("authorization"), Some("Bearer t"));
    }
}

#[test]
fn three_500s_then_201() {
    let server = answering(&[500, 502, 503, 201]);
    let stream = poster(&server.url("/p")).connect().unwrap();
    let response = stream.post("{}").unwrap();
    assert_eq!((response.status, response.attempts), (201, 4));
    assert_eq!(server.connections(), 4);
}

#[test]
fn a_400_is_final_and_not_retried() {
    let server = answering(&[400, 200]);
    let stream = poster(&server.url("/p")).connect().unwrap();
    let response = stream.post("{}").unwrap();
    assert!(!response.is_success());
    assert_eq!((response.status, response.attempts), (400, 1));
    assert_eq!(response.body, b"answer 0");
    assert!(server.request_within(Duration::from_millis(100)).is_some());
    assert!(
        server.request_within(Duration::from_millis(100)).is_none(),
        "not retried"
    );
}

#[test]
fn the_last_retried_status_is_the_answer_once_attempts_run_out() {
    let server = answering(&[503]);
    let stream = poster(&server.url("/p"))
        .post_attempts(3)
        .connect()
        .unwrap();
    let response = stream.post("{}").unwrap();
    assert_eq!((response.status, response.attempts), (503, 3));
    assert_eq!(server.connections(), 3);
}

#[test]
fn a_refused_connection_is_retried() {
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let stream = poster(&format!("http://127.0.0.1:{port}/p"))
        .post_attempts(3)
        .connect()
        .unwrap();
    match stream.post("{}") {
        Err(Error::AttemptsExhausted { attempts: 3, last }) => {
            assert!(matches!(*last, Error::ConnectionRefused(_)), "{last}")
        }
        other => panic!("{other:?}"),
    }
}

#[test]
fn retry_after_sets_the_floor_of_the_wait() {
    let server = Server::start(|mut conn: Conn| {
        if conn.request.index == 0 {
            let _ = conn.respond(429, &["Retry-After: 1"], "");
        } else {
            let _ = conn.respond(200, &[], "");
        }
        conn.end();
    });
    let stream = poster(&server.url("/p")).connect().unwrap();
    let started = Instant::now();
    assert_eq!(stream.post("{}").unwrap().status, 200);
    assert!(
        started.elapsed() >= Duration::from_secs(1),
        "{:?}",
        started.elapsed()
    );
}

#[test]
fn close_during_a_backoff_returns_at_once() {
    let server = Server::start(|mut conn: Conn| {
        let _ = conn.respond(503, &["Retry-After: 3600"], "");
        conn.end();
    });
    let stream = Arc::new(
        poster(&server.url("/p"))
            .post_timeout(Duration::from_secs(7200))
            .connect()
            .unwrap(),
    );
    let posting = {
        let stream = Arc::clone(&stream);
        spawn(move || stream.post("{}"))
    };
    server.request();
    // The post now waits out the hour; close must end the wait.
    std::thread::sleep(Duration::from_millis(50));
    let closed = Instant::now();
    stream.close();
    let outcome = posting.join("the post waiting out its backoff");
    let took = closed.elapsed();
    assert!(matches!(outcome, Err(Error::Closed)), "{outcome:?}");
    assert!(took < AT_ONCE, "the post returned {took:?} after close");
    assert!(
        matches!(stream.post("{}"), Err(Error::Closed)),
        "after close"
    );
}

#[test]
fn close_during_a_request_in_flight_returns_at_once() {
    let server = Server::start(|mut conn: Conn| {
        conn.client_closed_within(PATIENCE); // never answers
    });
    let stream = Arc::new(poster(&server.url("/p")).connect().unwrap());
    let posting = {
        let stream = Arc::clone(&stream);
        spawn(move || stream.post("{}"))
    };
    server.request();
    let closed = Instant::now();
    stream.close();
    let outcome = posting.join("the post in flight");
    let took = closed.elapsed();
    assert!(matches!(outcome, Err(Error::Closed)), "{outcome:?}");
    assert!(took < AT_ONCE, "the post returned {took:?} after close");
}

/// A response body with neither a length nor chunks runs to the
/// connection's end, and close's shutdown of the connection ended it
/// cleanly: the post returned the part read so far as the whole answer
/// (200, with an empty or partial body) instead of `Error::Closed`.
#[test]
fn close_during_a_body_that_runs_to_the_connections_end_is_closed_not_a_shorter_answer() {
    let server = Server::start(|mut conn: Conn| {
        let _ = conn.write("HTTP/1.1 200 OK\r\nConnection: close\r\n\r\npart");
        conn.client_closed_within(PATIENCE); // the rest never comes
    });
    let stream = Arc::new(poster(&server.url("/p")).connect().unwrap());
    let posting = {
        let stream = Arc::clone(&stream);
        spawn(move || stream.post("{}"))
    };
    server.request();
    // Room for the client to read the head and start on the body: nothing
    // signals it (closing earlier ends the post with Error::Closed too).
    std::thread::sleep(Duration::from_millis(100));
    stream.close();
    let outcome = posting.join("the post reading its body");
    assert!(matches!(outcome, Err(Error::Closed)), "{outcome:?}");
}

#[test]
fn the_timeout_bounds_every_attempt_and_wait() {
    let server = Server::start(|mut conn: Conn| {
        conn.client_closed_within(PATIENCE); // never answers
    });
    let stream = poster(&server.url("/p")).connect().unwrap();
    let started = Instant::now();
    match stream.post_within("{}", Duration::from_millis(200)) {
        Err(Error::Deadline { last: None, .. }) => {}
        other => panic!("{other:?}"),
    }
    assert!(started.elapsed() < PATIENCE);
}

#[test]
fn a_body_cut_off_by_the_server_is_an_error_never_a_shorter_success() {
    let server = Server::start(|mut conn: Conn| {
        let _ = conn.write("HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\n0123456789");
        conn.end();
    });
    let stream = poster(&server.url("/p")).connect().unwrap();
    match stream.post("{}") {
        Err(
            error @ Error::IncompleteBody {
                status: 200,
                received: 10,
                expected: Some(100),
                ..
            },
        ) => {
            assert_eq!(error.status(), Some(200));
            let text = error.to_string();
            assert!(
                text.contains("cut off after 10 of 100 bytes")
                    && text.contains("may have acted on it"),
                "{text}"
            );
        }
        other => panic!("expected a cut-off body, got {other:?}"),
    }
    server.request();
    assert!(
        server.request_within(Duration::from_millis(100)).is_none(),
        "the server answered: the post is not sent again"
    );
}

#[test]
fn a_retried_status_whose_body_is_cut_off_is_retried() {
    let server = Server::start(|mut conn: Conn| {
        if conn.request.index == 0 {
            let _ = conn.write("HTTP/1.1 503 Busy\r\nContent-Length: 100\r\n\r\nbusy");
        } else {
            let _ = conn.respond(200, &[], "done");
        }
        conn.end();
    });
    let stream = poster(&server.url("/p")).connect().unwrap();
    let response = stream.post("{}").unwrap();
    assert_eq!((response.status, response.attempts), (200, 2));
    assert_eq!(response.body, b"done");
}

#[test]
fn a_body_cut_off_by_the_deadline_is_a_deadline_error_with_the_status() {
    let server = Server::start(|mut conn: Conn| {
        let _ = conn.write("HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\n0123456789");
        conn.client_closed_within(PATIENCE); // the rest never comes
    });
    let stream = poster(&server.url("/p")).connect().unwrap();
    let error = stream
        .post_within("{}", Duration::from_millis(300))
        .expect_err("a body cut off is no success");
    match &error {
        Error::Deadline {
            last: Some(last), ..
        } => assert!(
            matches!(
                **last,
                Error::IncompleteBody {
                    status: 200,
                    received: 10,
                    ..
                }
            ),
            "{last:?}"
        ),
        other => panic!("expected the deadline with the cut-off response, got {other:?}"),
    }
    assert_eq!(error.status(), Some(200));
    assert!(error.to_string().contains("HTTP 200"), "{error}");
}

#[test]
fn a_retry_after_beyond_the_deadline_is_reported_with_the_last_status() {
    let server = Server::start(|mut conn: Conn| {
        let _ = conn.respond(503, &["Retry-After: 2"], "");
        conn.end();
    });
    let stream = poster(&server.url("/p")).connect().unwrap();
    let error = stream
        .post_within("{}", Duration::from_millis(1500))
        .expect_err("the wait the server asks for passes the deadline");
    match &error {
        Error::Deadline {
            timeout,
            last: Some(last),
            retry_after,
        } => {
            assert_eq!(*timeout, Duration::from_millis(1500));
            assert_eq!(*retry_after, Some(Duration::from_secs(2)));
            assert_eq!(last.status(), Some(503));
        }
        other => panic!("expected the deadline with the 503, got {other:?}"),
    }
    assert_eq!(error.status(), Some(503));
    let text = error.to_string();
    assert!(
        text.contains("the last attempt got HTTP 503")
            && text.contains("asked to wait 2s (Retry-After), which lies beyond the deadline"),
        "{text}"
    );
    assert_eq!(server.connections(), 1, "no attempt that could not finish");
}

#[test]
fn the_default_url_drops_a_trailing_stream_and_headers_are_fresh_per_attempt() {
    // The stream's own GET gets the first 500; the post the second, then 200.
    let server = answering(&[500, 500, 200]);
    let calls = Arc::new(AtomicU32::new(0));
    let counter = Arc::clone(&calls);
    let stream = Stream::builder(&server.url("/v2/session/7/events/stream"))
        .reconnect(false)
        .post_delay(Duration::from_millis(10), Duration::from_millis(10))
        .header_provider(move || {
            let n = counter.fetch_add(1, Ordering::SeqCst);
            vec![("Authorization".into(), format!("Bearer token-{n}"))]
        })
        .connect()
        .unwrap();
    let mut tokens = Vec::new();
    // The stream's own GET comes first (it gets a 500 and stops).
    let get = server.request();
    assert_eq!(get.method, "GET");
    let response = stream.post("{}").unwrap();
    assert_eq!(response.status, 200);
    for _ in 0..2 {
        let post = server.request();
        assert_eq!(post.target, "/v2/session/7/events");
        tokens.push(post.header("authorization").unwrap().to_string());
    }
    assert_ne!(tokens[0], tokens[1], "refreshed: {tokens:?}");
}

#[test]
fn a_redirect_is_the_final_answer_and_is_not_followed() {
    for status in [301, 302, 303, 307, 308] {
        let server = Server::start(move |mut conn: Conn| {
            let _ = conn.respond(status, &["Location: /elsewhere"], "moved");
            conn.end();
        });
        let stream = poster(&server.url("/events")).connect().unwrap();
        let response = stream.post("{}").unwrap();
        assert_eq!((response.status, response.attempts), (status, 1));
        assert_eq!(response.header("location"), Some("/elsewhere"));
        assert_eq!(server.request().target, "/events");
        assert!(
            server.request_within(Duration::from_millis(50)).is_none(),
            "{status} was followed"
        );
    }
}

#[test]
fn a_response_body_is_kept_to_1_mib() {
    let server = Server::start(|mut conn: Conn| {
        let _ = conn.respond(200, &[], &"b".repeat(3 << 20));
        conn.end();
    });
    let stream = poster(&server.url("/p")).connect().unwrap();
    let response = stream.post("{}").unwrap();
    assert_eq!(response.status, 200);
    assert_eq!(response.body.len(), 1 << 20, "the body is cut at 1 MiB");
    assert!(response.body.iter().all(|&b| b == b'b'));
}

#[test]
fn a_content_type_from_the_caller_replaces_the_json_one() {
    let server = answering(&[200]);
    let configured = poster(&server.url("/p"))
        .header("Content-Type", "application/merge-patch+json")
        .connect()
        .unwrap();
    assert_eq!(configured.post("{}").unwrap().status, 200);
    let provided = poster(&server.url("/p"))
        .header_provider(|| vec![("Content-Type".into(), "text/plain".into())])
        .connect()
        .unwrap();
    assert_eq!(provided.post("{}").unwrap().status, 200);
    for want in ["application/merge-patch+json", "text/plain"] {
        let request = server.request();
        assert_eq!(request.header_count("content-type"), 1, "{want}");
        assert_eq!(request.header("content-type"), Some(want));
    }
}

#[test]
fn a_posts_backoff_stops_growing_at_its_own_maximum_not_the_streams() {
    // Ten retried statuses, then the answer. The post's delays double from
    // 10 ms up to its own maximum (40 ms, raised to the 1 s every backoff
    // may grow to): 4.27 s in all. With the stream's 30 s maximum instead
    // they would double on to 5.12 s, past the 7 s deadline. Kills the
    // mutant that deletes the `max_delay` field of the post's
    // ReconnectPolicy.
    static STATUSES: [u16; 11] = [503, 503, 503, 503, 503, 503, 503, 503, 503, 503, 200];
    let server = answering(&STATUSES);
    let stream = poster(&server.url("/p"))
        .post_attempts(11)
        .connect()
        .unwrap();
    match stream.post_within("{}", Duration::from_secs(7)) {
        Ok(response) => assert_eq!((response.status, response.attempts), (200, 11)),
        Err(error) => panic!("the post's own maximum delay was not kept: {error:?}"),
    }
}

#[test]
fn close_during_the_last_attempt_is_closed_not_attempts_exhausted() {
    // With one attempt allowed, the close's own error is the answer: the
    // failed request it causes is no attempt that ran out. Kills the mutant
    // that makes attempt_once's `shared.is_closed()` guard false.
    let server = Server::start(|mut conn: Conn| {
        conn.client_closed_within(PATIENCE); // never answers
    });
    let stream = Arc::new(
        poster(&server.url("/p"))
            .post_attempts(1)
            .connect()
            .unwrap(),
    );
    let posting = {
        let stream = Arc::clone(&stream);
        spawn(move || stream.post("{}"))
    };
    server.request();
    stream.close();
    let outcome = posting.join("the post in flight");
    assert!(matches!(outcome, Err(Error::Closed)), "{outcome:?}");
}
