//! The connection engine against real servers on 127.0.0.1 (docs/behaviour.md
//! §2 to §8): requests, redirects, statuses, reconnection, liveness, close,
//! back-pressure, de-duplication and limits.

mod support;

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use sselink::{CloseReason, Error, Event, Item, Limit, Overflow, State, Stream};
use support::items::{close_error, close_reason, next, next_event, next_retry, quick};
use support::server::{
    first_then_hold, numbered_events, sse_then_close, Conn, FullBacklog, Server, PATIENCE,
};

// behaviour §2.1: default request

#[test]
fn sends_the_default_request_headers() {
    let server = Server::start(sse_then_close("data: x\n\n"));
    let stream = quick(&server.url("/events")).connect().unwrap();
    assert_eq!(next_event(&stream).data(), "x");
    let request = server.request();
    assert_eq!(request.method, "GET");
    assert_eq!(request.target, "/events");
    assert_eq!(request.header("accept"), Some("text/event-stream"));
    assert_eq!(request.header("cache-control"), Some("no-cache"));
    assert_eq!(
        request.header("last-event-id"),
        None,
        "no id yet, no header"
    );
}

#[test]
fn seeded_last_event_id_is_sent_on_the_first_connect() {
    let server = Server::start(sse_then_close("data: x\n\n"));
    let stream = quick(&server.url("/"))
        .last_event_id("41")
        .connect()
        .unwrap();
    assert_eq!(server.request().header("last-event-id"), Some("41"));
    assert_eq!(next_event(&stream).id(), "41");
    assert_eq!(stream.last_event_id(), "41");
}

// behaviour §2.2: custom request replayed; header provider

#[test]
fn custom_headers_method_query_and_body_are_replayed_on_every_reconnect() {
    let server = Server::start(sse_then_close("id: 1\ndata: x\n\n"));
    let stream = quick(&server.url("/feed?a=1"))
        .method("REPORT")
        .header("X-Tenant", "acme")
        .query("filter", "a b")
        .body("{\"q\":1}")
        .connect()
        .unwrap();
    for _ in 0..3 {
        next_event(&stream);
    }
    for index in 0..3 {
        let request = server.request();
        assert_eq!(request.method, "REPORT");
        assert_eq!(request.target, "/feed?a=1&filter=a+b");
        assert_eq!(request.header("x-tenant"), Some("acme"));
        assert_eq!(request.body, b"{\"q\":1}");
        assert_eq!(request.header("last-event-id"), (index > 0).then_some("1"));
    }
}

#[test]
fn header_provider_is_called_before_every_connect() {
    let calls = Arc::new(AtomicUsize::new(0));
    let counter = Arc::clone(&calls);
    let server = Server::start(sse_then_close("data: x\n\n"));
    let stream = quick(&server.url("/"))
        .header("Authorization", "Bearer stale")
        .header_provider(move || {
            let n = counter.fetch_add(1, Ordering::SeqCst) + 1;
            vec![("Authorization".into(), format!("Bearer token-{n}"))]
        })
        .connect()
        .unwrap();
    next_event(&stream);
    next_event(&stream);
    assert_eq!(
        server.request().header("authorization"),
        Some("Bearer token-1")
    );
    assert_eq!(
        server.request().header("authorization"),
        Some("Bearer token-2")
    );
    assert!(calls.load(Ordering::SeqCst) >= 2);
}

// behaviour §2.3: redirects

#[test]
fn redirects_are_followed_and_reconnects_start_from_the_original_url() {
    for status in [301, 302, 303, 307, 308] {
        let server = Server::start(move |mut conn: Conn| {
            if conn.request.target == "/start" {
                let _ = conn.respond(status, &["Location: /moved"], "");
            } else {
                let _ = conn.sse_head().and_then(|()| conn.write("data: moved\n\n"));
            }
            conn.end();
        });
        let stream = quick(&server.url("/start")).connect().unwrap();
        assert_eq!(next_event(&stream).data(), "moved", "HTTP {status}");
        assert_eq!(next_event(&stream).data(), "moved", "HTTP {status}");
        let targets: Vec<String> = (0..4).map(|_| server.request().target).collect();
        assert_eq!(
            targets,
            ["/start", "/moved", "/start", "/moved"],
            "HTTP {status}"
        );
    }
}

#[test]
fn redirect_keeps_method_and_body_for_307_and_turns_303_into_get() {
    for (status, method, body) in [
        (307, "POST", &b"payload"[..]),
        (308, "POST", b"payload"),
        (303, "GET", b""),
    ] {
        let server = Server::start(move |mut conn: Conn| {
            if conn.request.target == "/start" {
                let _ = conn.respond(status, &["Location: /moved"], "");
            } else {
                let _ = conn.sse_head().and_then(|()| conn.write("data: x\n\n"));
            }
            conn.end();
        });
        let stream = quick(&server.url("/start"))
            .method("POST")
            .body("payload")
            .connect()
            .unwrap();
        next_event(&stream);
        server.request();
        let moved = server.request();
        assert_eq!(
            (moved.method.as_str(), moved.body.as_slice()),
            (method, body),
            "HTTP {status}"
        );
    }
}

#[test]
fn credentials_are_not_forwarded_to_another_origin() {
    let target = Server::start(sse_then_close("data: there\n\n"));
    let moved_to = target.url("/elsewhere");
    let origin = Server::start(move |mut conn: Conn| {
        let _ = conn.respond(302, &[&format!("Location: {moved_to}")], "");
        conn.end();
    });
    // Another port is another origin.
    let stream = quick(&origin.url("/start"))
        .header("Authorization", "Bearer secret")
        .header("Cookie", "session=secret")
        .header("Proxy-Authorization", "Basic secret")
        .sensitive_header("X-Api-Key", "key")
        .header("X-Plain", "plain")
        .header_provider(|| vec![("X-Provided".into(), "token".into())])
        .connect()
        .unwrap();
    assert_eq!(next_event(&stream).data(), "there");
    let credentials = [
        ("authorization", "Bearer secret"),
        ("cookie", "session=secret"),
        ("proxy-authorization", "Basic secret"),
        ("x-api-key", "key"),
        ("x-provided", "token"),
    ];
    let first = origin.request();
    let moved = target.request();
    for (name, value) in credentials {
        assert_eq!(first.header(name), Some(value), "{name} to the origin");
        assert_eq!(moved.header(name), None, "{name} went to another origin");
    }
    assert_eq!(moved.header("x-plain"), Some("plain"));
}

#[test]
fn redirect_without_location_is_an_error() {
    let server = Server::start(|mut conn: Conn| {
        let _ = conn.respond(302, &[], "");
        conn.end();
    });
    let stream = quick(&server.url("/")).connect().unwrap();
    let error = close_error(&stream);
    assert!(
        matches!(error, Error::Redirect(ref m) if m.contains("without a Location")),
        "{error}"
    );
    assert!(server.request_within(Duration::from_millis(200)).is_some());
    assert!(
        server.request_within(Duration::from_millis(200)).is_none(),
        "not retried"
    );
}

#[test]
fn redirects_are_followed_only_up_to_the_limit() {
    let server = Server::start(|mut conn: Conn| {
        let _ = conn.respond(302, &["Location: /again"], "");
        conn.end();
    });
    let stream = quick(&server.url("/")).max_redirects(3).connect().unwrap();
    let error = close_error(&stream);
    assert!(
        matches!(&error, Error::Redirect(m) if m.contains("more than 3 redirects")),
        "{error}"
    );
    for _ in 0..4 {
        server.request();
    }
    assert!(
        server.request_within(Duration::from_millis(200)).is_none(),
        "1 request + 3 redirects"
    );
}

// behaviour §2.4: Content-Type

#[test]
fn wrong_or_missing_content_type_fails_without_reconnecting() {
    for content_type in [Some("text/html"), Some("application/json"), None] {
        let server = Server::start(move |mut conn: Conn| {
            let head = match content_type {
                Some(t) => format!("HTTP/1.1 200 OK\r\nContent-Type: {t}\r\n\r\ndata: x\n\n"),
                None => "HTTP/1.1 200 OK\r\n\r\ndata: x\n\n".to_string(),
            };
            let _ = conn.write(head);
            conn.end();
        });
        let stream = quick(&server.url("/")).connect().unwrap();
        let error = close_error(&stream);
        assert_eq!(
            error,
            Error::ContentType {
                found: content_type.map(String::from)
            }
        );
        assert!(error.to_string().contains("text/event-stream"));
        server.request();
        assert!(
            server.request_within(Duration::from_millis(200)).is_none(),
            "{content_type:?} retried"
        );
    }
}

#[test]
fn content_type_essence_is_case_insensitive_with_parameters_ignored() {
    let server = Server::start(|mut conn: Conn| {
        let _ = conn.write(b"HTTP/1.1 200 OK\r\nContent-Type: Text/Event-Stream; charset=latin1\r\n\r\ndata: \xC3\xA9\n\n");
        conn.end();
    });
    let stream = quick(&server.url("/")).connect().unwrap();
    assert_eq!(
        next_event(&stream).data(),
        "é",
        "UTF-8 whatever the charset says"
    );
}

// behaviour §3: statuses

#[test]
fn no_content_stops_after_exactly_one_request() {
    let server = Server::start(|mut conn: Conn| {
        let _ = conn.write("HTTP/1.1 204 No Content\r\n\r\n");
        conn.end();
    });
    let stream = quick(&server.url("/")).connect().unwrap();
    assert_eq!(close_reason(&stream), CloseReason::NoContent);
    assert_eq!(stream.state(), State::Closed);
    server.request();
    assert!(server.request_within(Duration::from_millis(300)).is_none());
    assert_eq!(server.connections(), 1);
}

#[test]
fn client_errors_are_permanent_and_reach_the_caller_with_body_and_headers() {
    for status in [401, 403, 404, 410] {
        let server = Server::start(move |mut conn: Conn| {
            let _ = conn.respond(status, &["X-Reason: nope"], "{\"error\":\"denied\"}");
            conn.end();
        });
        let stream = quick(&server.url("/")).connect().unwrap();
        let Error::Status(failure) = close_error(&stream) else {
            panic!("not a status error")
        };
        assert_eq!(failure.status, status);
        assert!(failure.permanent);
        assert_eq!(failure.body, "{\"error\":\"denied\"}");
        assert_eq!(failure.header("x-reason"), Some("nope"));
        server.request();
        assert!(
            server.request_within(Duration::from_millis(200)).is_none(),
            "{status} retried"
        );
    }
}

#[test]
fn server_errors_are_retried_until_the_stream_opens() {
    let server = Server::start(|mut conn: Conn| {
        if conn.request.index < 2 {
            let status = [500, 503][conn.request.index];
            let _ = conn.respond(status, &[], "busy");
        } else {
            let _ = conn.sse_head().and_then(|()| conn.write("data: up\n\n"));
        }
        conn.end();
    });
    let stream = quick(&server.url("/")).connect().unwrap();
    let (first, _) = next_retry(&stream);
    let (second, _) = next_retry(&stream);
    assert_eq!((first.status(), second.status()), (Some(500), Some(503)));
    assert_eq!(next_event(&stream).data(), "up");
}

#[test]
fn the_permanent_set_is_configurable() {
    // 404 retried (a stream not created yet), 500 permanent.
    let server = Server::start(|mut conn: Conn| {
        let status = if conn.request.index == 0 { 404 } else { 500 };
        let _ = conn.respond(status, &[], "");
        conn.end();
    });
    let stream = quick(&server.url("/"))
        .retry_status(404)
        .permanent_status(500)
        .connect()
        .unwrap();
    assert_eq!(next_retry(&stream).0.status(), Some(404));
    assert_eq!(close_error(&stream).status(), Some(500));
}

#[test]
fn strict_mode_makes_every_non_2xx_permanent() {
    let server = Server::start(|mut conn: Conn| {
        let _ = conn.respond(503, &[], "");
        conn.end();
    });
    let stream = quick(&server.url("/"))
        .strict_status(true)
        .connect()
        .unwrap();
    assert_eq!(close_error(&stream).status(), Some(503));
    server.request();
    assert!(server.request_within(Duration::from_millis(200)).is_none());
}

#[test]
fn retry_after_sets_a_floor_for_429_and_503() {
    for status in [429, 503] {
        let server = Server::start(move |mut conn: Conn| {
            if conn.request.index == 0 {
                let _ = conn.respond(status, &["Retry-After: 1"], "");
            } else {
                let _ = conn.sse_head().and_then(|()| conn.write("data: x\n\n"));
            }
            conn.end();
        });
        let stream = quick(&server.url("/")).connect().unwrap();
        let (_, delay) = next_retry(&stream);
        assert_eq!(delay, Duration::from_secs(1), "HTTP {status}");
        server.request();
        let start = Instant::now();
        next_event(&stream);
        server.request();
        assert!(
            start.elapsed() >= Duration::from_millis(950),
            "HTTP {status}: waited {:?}",
            start.elapsed()
        );
    }
}

// behaviour §4: reconnection

#[test]
fn last_event_id_is_sent_on_reconnect_and_partial_event_discarded() {
    let server = Server::start(|mut conn: Conn| {
        let body = if conn.request.index == 0 {
            "id: 7\ndata: a\n\nid: 8\ndata: partial"
        } else {
            "data: b\n\n"
        };
        let _ = conn.sse_head().and_then(|()| conn.write(body));
        conn.end();
    });
    let stream = quick(&server.url("/")).connect().unwrap();
    let a = next_event(&stream);
    let b = next_event(&stream);
    assert_eq!((a.data(), a.id()), ("a", "7"));
    assert_eq!(
        (b.data(), b.id()),
        ("b", "7"),
        "the partial event and its id are gone"
    );
    server.request();
    assert_eq!(server.request().header("last-event-id"), Some("7"));
}

#[test]
fn empty_id_means_no_last_event_id_header() {
    let server = Server::start(|mut conn: Conn| {
        let body = if conn.request.index == 0 {
            "id: 5\ndata: a\n\nid\ndata: b\n\n"
        } else {
            "data: c\n\n"
        };
        let _ = conn.sse_head().and_then(|()| conn.write(body));
        conn.end();
    });
    let stream = quick(&server.url("/")).connect().unwrap();
    assert_eq!(next_event(&stream).id(), "5");
    assert_eq!(next_event(&stream).id(), "");
    next_event(&stream);
    server.request();
    assert_eq!(server.request().header("last-event-id"), None);
    assert_eq!(stream.last_event_id(), "");
}

#[test]
fn retry_field_changes_the_reconnect_delay() {
    let server = Server::start(sse_then_close("retry: 20\ndata: x\n\n"));
    let stream = Stream::builder(&server.url("/"))
        .reconnect_delay(Duration::from_secs(30), Duration::from_secs(30))
        .jitter(0.0)
        .connect()
        .unwrap();
    let event = next_event(&stream);
    assert_eq!(event.retry(), Some(Duration::from_millis(20)));
    let (_, delay) = next_retry(&stream);
    assert_eq!(
        delay,
        Duration::from_millis(20),
        "the server's retry, not the 30 s default"
    );
    next_event(&stream);
}

#[test]
fn failures_double_the_delay_and_an_event_resets_the_count() {
    let server = Server::start(|mut conn: Conn| {
        if conn.request.index < 3 {
            let _ = conn.respond(500, &[], "");
        } else {
            let _ = conn.sse_head().and_then(|()| conn.write("data: x\n\n"));
        }
        conn.end();
    });
    let stream = quick(&server.url("/")).connect().unwrap();
    let delays: Vec<Duration> = (0..3).map(|_| next_retry(&stream).1).collect();
    assert_eq!(delays, [10, 20, 40].map(Duration::from_millis));
    next_event(&stream);
    let (_, after_event) = next_retry(&stream);
    assert_eq!(
        after_event,
        Duration::from_millis(10),
        "a productive connection resets the backoff"
    );
}

#[test]
fn a_connection_that_stays_up_long_enough_resets_the_backoff() {
    // Every connection fails; the third stays open 150 ms (past
    // healthy_after = 100 ms) without sending an event before it drops.
    let server = Server::start(|mut conn: Conn| {
        if conn.request.index == 2 {
            let _ = conn.sse_head();
            std::thread::sleep(Duration::from_millis(150));
        } else {
            let _ = conn.respond(500, &[], "");
        }
        conn.end();
    });
    let stream = Stream::builder(&server.url("/"))
        .reconnect_delay(Duration::from_millis(10), Duration::from_secs(1))
        .jitter(0.0)
        .healthy_after(Duration::from_millis(100))
        .connect()
        .unwrap();
    let delays: Vec<Duration> = (0..4).map(|_| next_retry(&stream).1).collect();
    assert_eq!(
        delays,
        [10, 20, 10, 20].map(Duration::from_millis),
        "the long connection reset the count"
    );
}

#[test]
fn max_attempts_closes_with_its_own_error() {
    let server = Server::start(|mut conn: Conn| {
        let _ = conn.respond(500, &[], "");
        conn.end();
    });
    let stream = quick(&server.url("/")).max_attempts(2).connect().unwrap();
    let error = close_error(&stream);
    let Error::AttemptsExhausted { attempts, last } = &error else {
        panic!("{error}")
    };
    assert_eq!((*attempts, last.status()), (2, Some(500)));
    assert!(error.to_string().contains("max_attempts"));
    for _ in 0..3 {
        server.request();
    }
    assert!(
        server.request_within(Duration::from_millis(200)).is_none(),
        "1 + 2 attempts, no more"
    );
}

#[test]
fn max_attempts_counts_the_reconnects_after_a_dropped_connection_too() {
    // A healthy connection (it delivers an event) ends; every reconnect then
    // fails. The drop starts the outage and is not counted: two reconnect
    // attempts follow it, as after a failed first connect.
    let server = Server::start(|mut conn: Conn| {
        if conn.request.index == 0 {
            let _ = conn.sse_head().and_then(|()| conn.write("data: x\n\n"));
        } else {
            let _ = conn.respond(500, &[], "");
        }
        conn.end();
    });
    let stream = quick(&server.url("/")).max_attempts(2).connect().unwrap();
    assert_eq!(next_event(&stream).data(), "x");
    let mut retries = Vec::new();
    let error = loop {
        match next(&stream) {
            Item::Retrying { attempt, .. } => retries.push(attempt),
            Item::Closed(CloseReason::Error(error)) => break error,
            Item::Closed(other) => panic!("{other}"),
            _ => {}
        }
    };
    assert!(
        matches!(error, Error::AttemptsExhausted { attempts: 2, .. }),
        "{error}"
    );
    assert_eq!(retries, [1, 2], "one retry before each reconnect attempt");
    assert_eq!(server.connections(), 3, "the healthy one, then 2 attempts");
}

#[test]
fn time_budget_closes_with_its_own_error() {
    let server = Server::start(|mut conn: Conn| {
        let _ = conn.respond(503, &[], "");
        conn.end();
    });
    let stream = quick(&server.url("/"))
        .time_budget(Duration::from_millis(100))
        .connect()
        .unwrap();
    let error = close_error(&stream);
    assert!(
        matches!(error, Error::TimeBudgetExhausted { budget, .. } if budget == Duration::from_millis(100)),
        "{error}"
    );
    assert_eq!(error.status(), Some(503));
}

#[test]
fn a_reset_connection_is_its_own_kind_and_is_retried() {
    let server = Server::start(|mut conn: Conn| {
        if conn.request.index == 0 {
            // Chunked, so that the reset cannot pass for the end of the body.
            let _ = conn.write(
                "HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\n\
                 Transfer-Encoding: chunked\r\n\r\n17\r\ndata: before\n\ndata: cut\r\n",
            );
            std::thread::sleep(Duration::from_millis(50));
            conn.reset();
        } else {
            let _ = conn.sse_head().and_then(|()| conn.write("data: after\n\n"));
            conn.end();
        }
    });
    let stream = quick(&server.url("/")).connect().unwrap();
    assert_eq!(next_event(&stream).data(), "before");
    let (error, _) = next_retry(&stream);
    assert!(matches!(error, Error::ConnectionReset(_)), "{error}");
    assert!(std::error::Error::source(&error).is_some());
    assert_eq!(
        next_event(&stream).data(),
        "after",
        "the cut event never arrives"
    );
}

#[test]
fn network_errors_are_retried() {
    // A port with nothing listening: connection refused, again and again.
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let stream = quick(&format!("http://127.0.0.1:{port}/"))
        .max_attempts(1)
        .connect()
        .unwrap();
    let (error, _) = next_retry(&stream);
    assert!(matches!(error, Error::ConnectionRefused(_)), "{error}");
    assert!(
        std::error::Error::source(&error).is_some(),
        "the I/O error is kept as the cause"
    );
    assert!(matches!(
        close_error(&stream),
        Error::AttemptsExhausted { .. }
    ));
}

#[test]
fn no_reconnect_closes_when_the_response_ends() {
    let server = Server::start(sse_then_close("data: only\n\n"));
    let stream = quick(&server.url("/")).reconnect(false).connect().unwrap();
    assert_eq!(next_event(&stream).data(), "only");
    assert_eq!(close_reason(&stream), CloseReason::Ended);
    assert!(matches!(stream.recv(), Err(sselink::RecvError)));
}

#[test]
fn deduplication_drops_replayed_ids_and_resume_query_carries_the_id() {
    let server = Server::start(first_then_hold(
        "id: 1\ndata: a\n\nid: 2\ndata: b\n\nid: 3\ndata: c\n\n",
        // A replay from 2, then new events; the id-less one carries 4.
        "id: 2\ndata: b\n\nid: 3\ndata: c\n\nid: 4\ndata: d\n\ndata: d-continued\n\n",
    ));
    let stream = quick(&server.url("/s?x=1"))
        .deduplicate_ids(true)
        .resume_query("from_sequence_num")
        .connect()
        .unwrap();
    let got: Vec<String> = (0..5)
        .map(|_| next_event(&stream).data().to_string())
        .collect();
    assert_eq!(got, ["a", "b", "c", "d", "d-continued"]);
    assert_eq!(server.request().target, "/s?x=1");
    let resumed = server.request();
    assert_eq!(resumed.target, "/s?x=1&from_sequence_num=3");
    assert_eq!(resumed.header("last-event-id"), Some("3"));
}

#[test]
fn last_event_id_follows_what_the_caller_received() {
    let server = Server::start(|mut conn: Conn| {
        let _ = conn
            .sse_head()
            .and_then(|()| conn.write("id: 1\ndata: a\n\nid: 2\ndata: b\n\nid: 3\n\n"));
        conn.client_closed_within(PATIENCE);
    });
    let stream = quick(&server.url("/")).capacity(16).connect().unwrap();
    assert_eq!(next_event(&stream).id(), "1");
    assert_eq!(
        stream.last_event_id(),
        "1",
        "b is parsed but not received yet"
    );
    assert_eq!(next_event(&stream).id(), "2");
    // The id-only block after b takes effect once b is handed out and the
    // reader has read it: nothing before it is left, and it takes no item
    // of its own.
    let deadline = Instant::now() + PATIENCE;
    while stream.last_event_id() != "3" {
        assert_eq!(stream.last_event_id(), "2", "an id-only block moves it too");
        assert!(
            Instant::now() < deadline,
            "the id-only block never took effect"
        );
        std::thread::sleep(Duration::from_millis(1));
    }
    assert_eq!(
        stream.recv_timeout(Duration::from_millis(100)),
        Err(sselink::RecvTimeoutError::Timeout)
    );
    assert_eq!(stream.last_event_id(), "3");
}

#[test]
fn a_broken_connection_never_dispatches_its_partial_event() {
    let server = Server::start(|mut conn: Conn| {
        if conn.request.index == 0 {
            // An unfinished event, then silence until the idle timeout.
            let _ = conn.sse_head().and_then(|()| conn.write("data: partial"));
            conn.client_closed_within(PATIENCE);
        } else {
            let _ = conn.sse_head().and_then(|()| conn.write("data: whole\n\n"));
            conn.end();
        }
    });
    let stream = quick(&server.url("/"))
        .dispatch_incomplete_at_eof(true)
        .idle_timeout(Some(Duration::from_millis(200)))
        .connect()
        .unwrap();
    assert_eq!(
        next_event(&stream).data(),
        "whole",
        "the timed-out connection's partial event leaked"
    );
    // The second connection ended cleanly, after a whole event.
    let (error, _) = next_retry(&stream);
    assert_eq!(error, Error::EndOfStream);
}

#[test]
fn a_panicking_header_provider_closes_the_stream_with_a_clear_error() {
    let server = Server::start(sse_then_close("data: x\n\n"));
    let stream = quick(&server.url("/"))
        .header_provider(|| panic!("token service down"))
        .connect()
        .unwrap();
    let error = close_error(&stream);
    assert!(
        matches!(&error, Error::HeaderProvider(m) if m.contains("panicked")),
        "{error}"
    );
    assert_eq!(server.connections(), 0, "no request without its headers");
}

#[test]
fn close_and_wait_on_the_readers_own_thread_returns_at_once() {
    use std::sync::{mpsc, Mutex, OnceLock, Weak};
    let server = Server::start(sse_then_close("data: x\n\n"));
    let slot: Arc<OnceLock<Weak<Stream>>> = Arc::default();
    let in_provider = Arc::clone(&slot);
    let (go, wait) = mpsc::channel::<()>();
    let (report, reports) = mpsc::channel();
    let (wait, report) = (Mutex::new(wait), Mutex::new(report));
    let stream = Arc::new(
        quick(&server.url("/"))
            .header_provider(move || {
                // The first connect waits until the test has put the stream
                // where the provider finds it.
                let _ = wait.lock().unwrap().recv_timeout(PATIENCE);
                if let Some(stream) = in_provider.get().and_then(Weak::upgrade) {
                    let start = Instant::now();
                    let exited = stream.close_and_wait(Duration::from_secs(5));
                    let _ = report.lock().unwrap().send((exited, start.elapsed()));
                }
                Vec::new()
            })
            .connect()
            .unwrap(),
    );
    slot.set(Arc::downgrade(&stream)).unwrap();
    go.send(()).unwrap();
    let (exited, took) = reports.recv_timeout(PATIENCE).expect("the provider ran");
    assert!(
        !exited,
        "the reader cannot have exited while it runs the provider"
    );
    assert!(
        took < Duration::from_secs(1),
        "close_and_wait waited {took:?} for its own thread"
    );
    assert!(
        stream.close_and_wait(PATIENCE),
        "the reader exits once the provider returns"
    );
}

// behaviour §5: liveness and close

#[test]
fn idle_timeout_reconnects_and_every_byte_resets_it() {
    let (done_tx, done_rx) = crossbeam_channel::bounded(1);
    let server = Server::start(move |mut conn: Conn| {
        if conn.request.index == 0 {
            let _ = conn.sse_head();
            // Comments every 50 ms for 1 s: never idle for the 400 ms timer.
            for _ in 0..20 {
                let _ = conn.write(": keepalive\n");
                std::thread::sleep(Duration::from_millis(50));
            }
            let _ = done_tx.send(());
            // Then silence, with the connection open.
            conn.client_closed_within(PATIENCE);
        } else {
            let _ = conn.sse_head().and_then(|()| conn.write("data: again\n\n"));
            conn.client_closed_within(PATIENCE);
        }
    });
    let stream = quick(&server.url("/"))
        .idle_timeout(Some(Duration::from_millis(400)))
        .connect()
        .unwrap();
    let (error, _) = next_retry(&stream);
    assert!(
        done_rx.try_recv().is_ok(),
        "timed out while comments were still arriving"
    );
    assert!(matches!(error, Error::IdleTimeout(_)), "{error}");
    assert_eq!(next_event(&stream).data(), "again");
}

#[test]
fn close_while_blocked_in_read_is_prompt_and_the_server_sees_eof() {
    let (conn_tx, conn_rx) = crossbeam_channel::bounded(1);
    let server = Server::start(move |mut conn: Conn| {
        let _ = conn.sse_head().and_then(|()| conn.write("data: first\n\n"));
        let _ = conn_tx.send(conn);
    });
    let stream = quick(&server.url("/")).connect().unwrap();
    next_event(&stream);
    let mut conn: Conn = conn_rx.recv_timeout(PATIENCE).unwrap();
    let start = Instant::now();
    stream.close();
    let took = start.elapsed();
    assert!(took < Duration::from_millis(100), "close took {took:?}");
    assert!(
        conn.client_closed_within(Duration::from_secs(2)),
        "server did not see the connection closed"
    );
    assert_eq!(next(&stream), Item::Closed(CloseReason::Caller));
    assert!(
        stream.close_and_wait(Duration::from_secs(2)),
        "reader thread still running"
    );
    assert!(server.request_within(Duration::from_millis(100)).is_some());
    assert!(
        server.request_within(Duration::from_millis(200)).is_none(),
        "a request after close"
    );
}

#[test]
fn close_from_another_thread_wakes_a_blocked_receiver() {
    let server = Server::start(|mut conn: Conn| {
        let _ = conn.sse_head();
        conn.client_closed_within(PATIENCE);
    });
    let stream = Arc::new(quick(&server.url("/")).connect().unwrap());
    assert!(matches!(next(&stream), Item::Connecting { .. }));
    assert!(matches!(next(&stream), Item::Open { status: 200, .. }));
    let receiver = {
        let stream = Arc::clone(&stream);
        support::wait::spawn(move || stream.recv())
    };
    server.request();
    stream.close();
    assert_eq!(
        receiver.join("the receiver"),
        Ok(Item::Closed(CloseReason::Caller))
    );
    assert_eq!(stream.recv(), Err(sselink::RecvError));
}

#[test]
fn a_receiver_racing_close_always_gets_closed_by_caller() {
    // A stress test: the reader exits and drops its end while close wakes
    // the receiver; whichever it sees first, it must report Closed(Caller).
    // (The window is narrow; the unit test in src/stream.rs pins the logic.)
    let server = Server::start(|mut conn: Conn| {
        let _ = conn.sse_head();
        conn.client_closed_within(PATIENCE);
    });
    for round in 0..200 {
        let stream = Arc::new(quick(&server.url("/")).connect().unwrap());
        assert!(matches!(next(&stream), Item::Connecting { .. }));
        let receiver = {
            let stream = Arc::clone(&stream);
            support::wait::spawn(move || loop {
                match stream.recv() {
                    Ok(Item::Open { .. }) => continue,
                    other => return other,
                }
            })
        };
        stream.close();
        assert_eq!(
            receiver.join("the receiver"),
            Ok(Item::Closed(CloseReason::Caller)),
            "round {round}"
        );
    }
}

#[test]
fn the_connect_timeout_bounds_a_connect_that_hangs() {
    let backlog = FullBacklog::new();
    let stream = quick(&format!("http://{}/", backlog.addr))
        .connect_timeout(Duration::from_millis(200))
        .max_attempts(1)
        .connect()
        .unwrap();
    let error = close_error(&stream);
    let Error::AttemptsExhausted { last, .. } = &error else {
        panic!("{error}")
    };
    assert_eq!(**last, Error::ConnectTimeout(Duration::from_millis(200)));
}

#[test]
fn close_while_blocked_in_connect_is_prompt_and_makes_no_request() {
    let backlog = FullBacklog::new();
    let addr = backlog.addr;
    let stream = quick(&format!("http://{addr}/"))
        .connect_timeout(Duration::from_secs(30))
        .connect()
        .unwrap();
    assert!(matches!(next(&stream), Item::Connecting { attempt: 0 }));
    assert_eq!(stream.state(), State::Connecting);
    // The reader is (or is about to be) inside the TCP connect.
    assert_eq!(
        stream.recv_timeout(Duration::from_millis(300)),
        Err(sselink::RecvTimeoutError::Timeout)
    );
    let start = Instant::now();
    stream.close();
    assert_eq!(next(&stream), Item::Closed(CloseReason::Caller));
    let took = start.elapsed();
    assert!(took < Duration::from_millis(100), "close took {took:?}");
    assert_eq!(stream.state(), State::Closed);
}

#[test]
fn close_during_a_long_backoff_is_prompt() {
    let server = Server::start(|mut conn: Conn| {
        let _ = conn.respond(503, &["Retry-After: 30"], "");
        conn.end();
    });
    let stream = quick(&server.url("/")).connect().unwrap();
    let (_, delay) = next_retry(&stream);
    assert_eq!(delay, Duration::from_secs(30));
    assert_eq!(stream.state(), State::Reconnecting);
    let start = Instant::now();
    assert!(
        stream.close_and_wait(Duration::from_secs(1)),
        "reader still sleeping"
    );
    let took = start.elapsed();
    assert!(took < Duration::from_millis(100), "close took {took:?}");
    server.request();
    assert!(server.request_within(Duration::from_millis(200)).is_none());
}

#[test]
fn restart_reconnects_at_once_with_the_last_event_id() {
    let server = Server::start(|mut conn: Conn| {
        let body = if conn.request.index == 0 {
            "id: 9\ndata: one\n\n"
        } else {
            "data: two\n\n"
        };
        let _ = conn.sse_head().and_then(|()| conn.write(body));
        conn.client_closed_within(PATIENCE);
    });
    // A 30 s reconnect delay: only a restart can reconnect in time.
    let stream = Stream::builder(&server.url("/"))
        .reconnect_delay(Duration::from_secs(30), Duration::from_secs(30))
        .connect()
        .unwrap();
    assert_eq!(next_event(&stream).data(), "one");
    stream.restart();
    let two = next_event(&stream);
    assert_eq!((two.data(), two.id()), ("two", "9"));
    server.request();
    assert_eq!(server.request().header("last-event-id"), Some("9"));
}

#[test]
fn restart_cuts_a_backoff_short() {
    let server = Server::start(|mut conn: Conn| {
        if conn.request.index == 0 {
            let _ = conn.respond(503, &["Retry-After: 30"], "");
        } else {
            let _ = conn.sse_head().and_then(|()| conn.write("data: back\n\n"));
        }
        conn.end();
    });
    let stream = quick(&server.url("/")).connect().unwrap();
    next_retry(&stream);
    stream.restart();
    assert_eq!(next_event(&stream).data(), "back");
}

#[test]
fn a_restart_starts_a_new_outage_for_the_time_budget() {
    let server = Server::start(|mut conn: Conn| {
        let _ = conn.respond(503, &["Retry-After: 1"], "");
        conn.end();
    });
    let stream = quick(&server.url("/"))
        .time_budget(Duration::from_millis(1500))
        .connect()
        .unwrap();
    next_retry(&stream);
    // 600 ms of the outage pass in the 1 s wait; then the caller restarts.
    assert_eq!(
        stream.recv_timeout(Duration::from_millis(600)),
        Err(sselink::RecvTimeoutError::Timeout)
    );
    stream.restart();
    // Counted from the first failure, 0.6 s + 1 s would break the 1.5 s budget.
    let (_, delay) = next_retry(&stream);
    assert_eq!(delay, Duration::from_secs(1));
}

// behaviour §8: back-pressure

#[test]
fn a_slow_consumer_loses_nothing_by_default() {
    const COUNT: usize = 20_000;
    let server = Server::start(|mut conn: Conn| {
        let _ = conn.sse_head();
        let mut body = String::new();
        for i in 0..COUNT {
            body.push_str(&format!("id: {i}\ndata: {i} {}\n\n", "x".repeat(100)));
        }
        let _ = conn.write(body);
        conn.client_closed_within(PATIENCE);
    });
    let stream = quick(&server.url("/")).capacity(4).connect().unwrap();
    for i in 0..COUNT {
        let event = next_event(&stream);
        assert_eq!(event.id(), i.to_string());
        if i % 2000 == 0 {
            std::thread::sleep(Duration::from_millis(20)); // the consumer falls behind
        }
    }
    assert_eq!(stream.dropped(), 0);
}

/// Connects with a 4-item channel and `overflow`, and waits (bounded) until
/// `dropped` events were dropped.
fn overflowing(server: &Server, overflow: Overflow, dropped: u64) -> Stream {
    let stream = quick(&server.url("/"))
        .capacity(4)
        .overflow(overflow)
        .connect()
        .unwrap();
    let deadline = Instant::now() + PATIENCE;
    while stream.dropped() < dropped && Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(2));
    }
    assert_eq!(stream.dropped(), dropped);
    stream
}

#[test]
fn drop_oldest_keeps_the_newest_and_counts_its_drops() {
    let server = numbered_events(0..=99, true);
    let stream = overflowing(&server, Overflow::DropOldest, 96);
    // Lifecycle items are never dropped, and take no event's place.
    assert!(matches!(next(&stream), Item::Connecting { .. }));
    assert!(matches!(next(&stream), Item::Open { .. }));
    let kept: Vec<String> = (0..4)
        .map(|_| next_event(&stream).data().to_string())
        .collect();
    assert_eq!(kept, ["96", "97", "98", "99"]);
}

#[test]
fn drop_newest_keeps_the_oldest_and_counts_its_drops() {
    let server = numbered_events(0..=99, true);
    let stream = overflowing(&server, Overflow::DropNewest, 96);
    assert!(matches!(next(&stream), Item::Connecting { .. }));
    assert!(matches!(next(&stream), Item::Open { .. }));
    let kept: Vec<String> = (0..4)
        .map(|_| next_event(&stream).data().to_string())
        .collect();
    assert_eq!(kept, ["0", "1", "2", "3"]);
}

/// Everything a stream hands out once its reader has finished: the reader
/// has parsed the whole body and closed before the first item is taken.
fn items_after_the_reader_finished(stream: &Stream) -> Vec<Item> {
    support::wait::until("the reader to finish", || stream.state() == State::Closed);
    stream.iter().collect()
}

#[test]
fn id_changes_never_take_the_place_of_wanted_events() {
    // Five wanted events, then a hundred id changes: filtered events in one
    // case, id-only blocks in the other. Nobody reads until the reader is
    // done; the 8-item queue must keep all five under either drop policy.
    let wanted: String = (1..=5)
        .map(|i| format!("event: a\nid: {i}\ndata: {i}\n\n"))
        .collect();
    let filtered: String = (6..=105)
        .map(|i| format!("event: b\nid: {i}\ndata: {i}\n\n"))
        .collect();
    let id_only: String = (6..=105).map(|i| format!("id: {i}\n\n")).collect();
    for tail in [filtered, id_only] {
        for overflow in [Overflow::DropOldest, Overflow::DropNewest] {
            let body: &'static str = Box::leak(format!("{wanted}{tail}").into_boxed_str());
            let server = Server::start(sse_then_close(body));
            let stream = quick(&server.url("/"))
                .capacity(8)
                .filter_event_type("a")
                .overflow(overflow)
                .reconnect(false)
                .connect()
                .unwrap();
            let items = items_after_the_reader_finished(&stream);
            let events: Vec<(String, String)> = items
                .iter()
                .filter_map(|item| match item {
                    Item::Event(e) => Some((e.id().to_string(), e.data().to_string())),
                    _ => None,
                })
                .collect();
            let expected: Vec<(String, String)> =
                (1..=5).map(|i| (i.to_string(), i.to_string())).collect();
            assert_eq!(events, expected, "{overflow:?}");
            assert_eq!(stream.dropped(), 0, "{overflow:?}");
            assert_eq!(stream.last_event_id(), "105", "{overflow:?}");
            assert!(matches!(items[0], Item::Connecting { .. }), "{overflow:?}");
            assert!(matches!(items[1], Item::Open { .. }), "{overflow:?}");
        }
    }
}

#[test]
fn a_dropped_events_id_still_counts_for_resuming_from_the_handle() {
    // Drop-newest keeps 0 to 3 of the hundred; the handle's id is the last
    // one the stream read, so a new stream resuming from it does not get
    // the dropped events again (they were dropped, as asked).
    let server = numbered_events(0..=99, false);
    let stream = quick(&server.url("/"))
        .capacity(4)
        .overflow(Overflow::DropNewest)
        .reconnect(false)
        .connect()
        .unwrap();
    let items = items_after_the_reader_finished(&stream);
    let ids: Vec<&str> = items
        .iter()
        .filter_map(|item| match item {
            Item::Event(e) => Some(e.id()),
            _ => None,
        })
        .collect();
    assert_eq!(ids, ["0", "1", "2", "3"]);
    assert_eq!(stream.dropped(), 96);
    assert_eq!(stream.last_event_id(), "99");
}

#[test]
fn lifecycle_items_wait_apart_and_are_never_dropped() {
    // A server that ends every response at once, and a consumer that reads
    // nothing: each connection queues Connecting, Open and Retrying. Under
    // drop-oldest they are neither dropped nor counted; past their own
    // bound (64) the reader waits instead of reconnecting for ever.
    let server = Server::start(sse_then_close("data: x\n\n"));
    let stream = quick(&server.url("/"))
        .capacity(1)
        .overflow(Overflow::DropOldest)
        .reconnect_delay(Duration::from_millis(1), Duration::from_millis(1))
        .connect()
        .unwrap();
    let deadline = Instant::now() + PATIENCE;
    while server.connections() < 21 {
        assert!(Instant::now() < deadline, "the reader stalled early");
        std::thread::sleep(Duration::from_millis(2));
    }
    // 64 lifecycle items are 21 connections and the 22nd's Connecting: it
    // stops there, at the 22nd's Open.
    std::thread::sleep(Duration::from_millis(300));
    let stalled_at = server.connections();
    assert_eq!(stalled_at, 22, "the reader did not wait");
    // 21 connections delivered their event, each displacing the one before:
    // the last one is kept, no lifecycle item was dropped or counted.
    assert_eq!(stream.dropped(), 20);
    // Reading makes room, and the reader goes on meanwhile.
    let mut lifecycle = 0;
    while lifecycle < 64 {
        match next(&stream) {
            Item::Event(_) => {}
            Item::Connecting { .. } | Item::Open { .. } | Item::Retrying { .. } => lifecycle += 1,
            other => panic!("unexpected {other:?}"),
        }
    }
    // With room again, the reader goes on.
    while server.connections() <= stalled_at {
        assert!(
            Instant::now() < deadline + PATIENCE,
            "the reader did not resume"
        );
        let _ = stream.try_recv();
        std::thread::sleep(Duration::from_millis(2));
    }
    stream.close();
}

#[test]
fn the_close_reason_survives_every_overflow_policy() {
    // A hundred events, then one over the event limit. Nobody reads until
    // the reader is done: the drop policies drop 96 events, never the
    // reason the stream closed for, which comes last and once.
    let body: String = (1..=100)
        .map(|i| format!("id: {i}\ndata: {i}\n\n"))
        .chain([format!("data: {}\n\n", "x".repeat(2000))])
        .collect();
    let body: &'static str = Box::leak(body.into_boxed_str());
    for (overflow, capacity, dropped) in [
        (Overflow::Block, 128, 0),
        (Overflow::DropOldest, 4, 96),
        (Overflow::DropNewest, 4, 96),
    ] {
        let server = Server::start(move |mut conn: Conn| {
            let _ = conn.sse_head().and_then(|()| conn.write(body));
            conn.client_closed_within(PATIENCE);
        });
        let stream = quick(&server.url("/"))
            .capacity(capacity)
            .overflow(overflow)
            .max_event_size(1024)
            .connect()
            .unwrap();
        let items = items_after_the_reader_finished(&stream);
        match items.last() {
            Some(Item::Closed(CloseReason::Error(Error::Limit(limit)))) => {
                assert_eq!((limit.limit, limit.max), (Limit::EventSize, 1024))
            }
            other => panic!("{overflow:?}: the stream closed with {other:?}"),
        }
        let closes = items
            .iter()
            .filter(|item| matches!(item, Item::Closed(_)))
            .count();
        assert_eq!(closes, 1, "{overflow:?}");
        assert_eq!(stream.dropped(), dropped, "{overflow:?}");
        let events = items
            .iter()
            .filter(|item| matches!(item, Item::Event(_)))
            .count();
        assert_eq!(events as u64 + dropped, 100, "{overflow:?}");
    }
}

#[test]
fn drop_policies_never_stall_the_reader_across_reconnects() {
    for overflow in [Overflow::DropNewest, Overflow::DropOldest] {
        let server = Server::start(sse_then_close(
            "data: 0\n\ndata: 1\n\ndata: 2\n\ndata: 3\n\ndata: 4\n\ndata: 5\n\ndata: 6\n\ndata: 7\n\ndata: 8\n\ndata: 9\n\n",
        ));
        // Nobody reads: were lifecycle items to wait for room, the reader
        // would stop at the first Retrying and drop nothing more.
        let stream = quick(&server.url("/"))
            .capacity(2)
            .overflow(overflow)
            .connect()
            .unwrap();
        let deadline = Instant::now() + PATIENCE;
        while server.connections() < 4 && Instant::now() < deadline {
            std::thread::sleep(Duration::from_millis(2));
        }
        assert!(
            server.connections() >= 4,
            "{overflow:?}: the reader stalled"
        );
        assert!(
            stream.dropped() >= 28,
            "{overflow:?}: dropped {}",
            stream.dropped()
        );
        stream.close();
    }
}

// behaviour §6: limits

#[test]
fn an_event_over_the_limit_closes_with_the_limit_error() {
    let server = Server::start(|mut conn: Conn| {
        let _ = conn.sse_head();
        let _ = conn.write(format!("data: ok\n\ndata: {}\n\n", "x".repeat(5000)));
        conn.client_closed_within(PATIENCE);
    });
    let stream = quick(&server.url("/"))
        .max_event_size(1024)
        .connect()
        .unwrap();
    assert_eq!(next_event(&stream).data(), "ok");
    let error = close_error(&stream);
    assert!(
        matches!(error, Error::Limit(l) if l.limit == Limit::EventSize && l.max == 1024),
        "{error}"
    );
    assert!(error.to_string().contains("max_event_size"));
}

// behaviour §7: lifecycle

#[test]
fn lifecycle_arrives_in_order() {
    let server = Server::start(|mut conn: Conn| {
        if conn.request.index == 0 {
            let _ = conn.respond(500, &[], "");
        } else {
            let _ = conn
                .sse_head()
                .and_then(|()| conn.write(": hello\ndata: x\n\n"));
        }
        conn.end();
    });
    let stream = quick(&server.url("/"))
        .comments(true)
        .reconnect(false)
        .connect()
        .unwrap();
    let items = items_after_the_reader_finished(&stream);
    assert_eq!(items.len(), 2, "{items:?}");
    assert_eq!(items[0], Item::Connecting { attempt: 0 });
    assert!(matches!(&items[1], Item::Closed(CloseReason::Error(e)) if e.status() == Some(500)));

    let stream = quick(&server.url("/")).comments(true).connect().unwrap();
    let first: Vec<Item> = (0..4).map(|_| next(&stream)).collect();
    let Item::Open { status, headers } = &first[1] else {
        panic!("{first:?}")
    };
    assert_eq!(*status, 200);
    assert!(
        headers.contains(&("content-type".into(), "text/event-stream".into())),
        "the response headers come with Open: {headers:?}"
    );
    assert_eq!(
        [&first[0], &first[2], &first[3]],
        [
            &Item::Connecting { attempt: 0 },
            &Item::Comment("hello".into()),
            &Item::Event(Event::new("", "x")),
        ]
    );
    assert!(matches!(next(&stream), Item::Retrying { attempt: 1, .. }));
    assert!(matches!(next(&stream), Item::Connecting { attempt: 1 }));
}

#[test]
fn events_iterator_yields_events_then_the_terminal_error() {
    let server = Server::start(|mut conn: Conn| {
        if conn.request.index == 0 {
            let _ = conn
                .sse_head()
                .and_then(|()| conn.write("data: a\n\ndata: b\n\n"));
        } else {
            let _ = conn.respond(404, &[], "gone");
        }
        conn.end();
    });
    let stream = quick(&server.url("/")).connect().unwrap();
    // The iterator ends: the reader has finished before it starts.
    support::wait::until("the reader to finish", || stream.state() == State::Closed);
    let got: Vec<Result<String, Option<u16>>> = stream
        .events()
        .map(|r| r.map(Event::into_data).map_err(|e| e.status()))
        .collect();
    assert_eq!(got, [Ok("a".into()), Ok("b".into()), Err(Some(404))]);
}

#[test]
fn a_stream_debugs_as_its_state() {
    // Kills the mutant of `<impl fmt::Debug for Stream>::fmt` that writes
    // nothing.
    let stream = Stream::builder("http://127.0.0.1:9/")
        .reconnect_delay(Duration::from_secs(30), Duration::from_secs(30))
        .connect()
        .unwrap();
    let shown = format!("{stream:?}");
    assert!(
        shown.starts_with("Stream {") && shown.contains("state: "),
        "{shown}"
    );
}

#[test]
fn the_reader_thread_gets_the_configured_stack() {
    // A thread's stack is mapped when the thread is made, before connect
    // returns: with 1 GiB asked for, this process's virtual size grows by
    // about that much (the default stack is 2 MiB). Kills the mutant that
    // makes Stream::start's `reader_stack_size > 0` a `<` (the size never
    // applied).
    let before = support::process::status_bytes("VmSize");
    let stream = Stream::builder("http://127.0.0.1:9/")
        .reconnect_delay(Duration::from_secs(30), Duration::from_secs(30))
        .reader_stack_size(1 << 30)
        .connect()
        .unwrap();
    let grown = support::process::status_bytes("VmSize").saturating_sub(before);
    drop(stream);
    assert!(
        grown >= 900 << 20,
        "the virtual size grew by {} MiB, not by the 1 GiB stack",
        grown >> 20
    );
}

#[test]
fn dropping_a_stream_closes_its_connection_at_once() {
    // Dropping is closing: the reader leaves its read of the connection at
    // once, not when the server next writes. Kills the mutant of
    // `<impl Drop for Stream>::drop` that does nothing.
    let (closed_tx, closed) = crossbeam_channel::bounded(1);
    let server = Server::start(move |mut conn: Conn| {
        let _ = conn.sse_head().and_then(|()| conn.write("data: one\n\n"));
        let _ = closed_tx.send(conn.client_closed_within(Duration::from_secs(2)));
    });
    let stream = quick(&server.url("/")).connect().unwrap();
    assert_eq!(next_event(&stream).data(), "one");
    drop(stream);
    let closed = closed
        .recv_timeout(PATIENCE)
        .expect("the server never answered");
    assert!(closed, "the connection was still open 2 s after the drop");
}
