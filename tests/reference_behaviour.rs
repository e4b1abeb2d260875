//! The options that reproduce the two reference clients exactly
//! (docs/reference-clients.md): R1 resets its failure count when a
//! connection opens and handles five event types; R2 ignores `retry:`,
//! retries every status but 401, 403 and 404, and resumes from its highest
//! sequence number. Jitter shapes are unit-tested in backoff.rs.

mod support;

use std::time::Duration;

use sselink::{CloseReason, Error, Item, JitterShape, Stream};
use support::items::{close_reason, next_event, next_retry};
use support::server::{first_then_hold, Conn, Server, PATIENCE};

#[test]
fn reset_on_open_restarts_the_doubling_after_any_open() {
    // Connections alternate: 500, then an empty 200 that ends at once.
    let server = Server::start(|mut conn: Conn| {
        if conn.request.index.is_multiple_of(2) {
            let _ = conn.respond(500, &[], "");
        } else {
            let _ = conn.sse_head();
        }
        conn.end();
    });
    let delays = |reset: bool| -> Vec<Duration> {
        let stream = Stream::builder(&server.url("/"))
            .reconnect_delay(Duration::from_millis(10), Duration::from_secs(1))
            .jitter(0.0)
            .reset_on_open(reset)
            .connect()
            .unwrap();
        (0..4).map(|_| next_retry(&stream).1).collect()
    };
    let ms = |v: [u64; 4]| v.map(Duration::from_millis).to_vec();
    assert_eq!(
        delays(false),
        ms([10, 20, 40, 80]),
        "an empty open is no success"
    );
    // R1: an open resets the count, so the drop after it is a first failure
    // again, and the 500 after that a second.
    assert_eq!(
        delays(true),
        ms([10, 10, 20, 10]),
        "each open starts afresh"
    );
}

#[test]
fn server_retry_off_ignores_the_retry_field() {
    let server = Server::start(|mut conn: Conn| {
        let _ = conn
            .sse_head()
            .and_then(|()| conn.write("retry: 5000\ndata: x\n\n"));
        conn.end();
    });
    let stream = Stream::builder(&server.url("/"))
        .reconnect_delay(Duration::from_millis(10), Duration::from_secs(1))
        .jitter(0.0)
        .server_retry(false)
        .connect()
        .unwrap();
    let event = next_event(&stream);
    assert_eq!(
        event.retry(),
        Some(Duration::from_millis(5000)),
        "still reported"
    );
    assert_eq!(next_retry(&stream).1, Duration::from_millis(10));
}

#[test]
fn retry_all_statuses_keeps_only_the_permanent_list() {
    let statuses = [400, 409, 500, 404];
    let server = Server::start(move |mut conn: Conn| {
        let _ = conn.respond(statuses[conn.request.index.min(3)], &[], "");
        conn.end();
    });
    let stream = Stream::builder(&server.url("/"))
        .reconnect_delay(Duration::from_millis(10), Duration::from_millis(10))
        .retry_all_statuses(true)
        .permanent_status(401)
        .permanent_status(403)
        .permanent_status(404)
        .connect()
        .unwrap();
    for _ in 0..3 {
        next_retry(&stream);
    }
    match close_reason(&stream) {
        CloseReason::Error(error) => assert_eq!(error.status(), Some(404)),
        other => panic!("{other}"),
    }
}

#[test]
fn any_content_type_accepts_a_2xx_whatever_it_says() {
    let server = Server::start(|mut conn: Conn| {
        let _ = conn.write("HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n\r\ndata: x\n\n");
        conn.end();
    });
    let strict = Stream::builder(&server.url("/")).connect().unwrap();
    assert!(matches!(
        close_reason(&strict),
        CloseReason::Error(Error::ContentType { .. })
    ));
    let lenient = Stream::builder(&server.url("/"))
        .any_content_type(true)
        .reconnect(false)
        .connect()
        .unwrap();
    assert_eq!(next_event(&lenient).data(), "x");
}

#[test]
fn resume_from_highest_id_sends_the_high_water_mark() {
    // Ids arrive out of order: 5, 9, 7. The last is 7, the highest 9.
    let server = Server::start(first_then_hold(
        "id: 5\ndata: a\n\nid: 9\ndata: b\n\nid: 7\ndata: c\n\n",
        "",
    ));
    let stream = Stream::builder(&server.url("/s"))
        .reconnect_delay(Duration::from_millis(10), Duration::from_millis(10))
        .resume_from_highest_id(true)
        .resume_query("from_sequence_num")
        .last_event_id("3")
        .connect()
        .unwrap();
    let first = server.request();
    assert_eq!(
        first.header("last-event-id"),
        Some("3"),
        "the handed-over start"
    );
    assert_eq!(first.target, "/s?from_sequence_num=3");
    for _ in 0..3 {
        next_event(&stream);
    }
    let resumed = server.request();
    assert_eq!(resumed.header("last-event-id"), Some("9"));
    assert_eq!(resumed.target, "/s?from_sequence_num=9");
    assert_eq!(
        stream.last_event_id(),
        "7",
        "the caller still sees the last id"
    );
}

#[test]
fn filtered_event_types_never_cross_the_channel_but_move_the_id() {
    let server = Server::start(|mut conn: Conn| {
        let body = "event: snapshot\nid: 1\ndata: s\n\n\
                    event: noise\nid: 2\ndata: n\n\n\
                    id: 3\ndata: m\n\n\
                    event: noise\nid: 4\ndata: n\n\n";
        let _ = conn.sse_head().and_then(|()| conn.write(body));
        conn.end();
    });
    let stream = Stream::builder(&server.url("/"))
        .filter_event_type("snapshot")
        .filter_event_type("message")
        .reconnect(false)
        .connect()
        .unwrap();
    let mut seen = Vec::new();
    loop {
        match stream.recv_timeout(PATIENCE).unwrap() {
            Item::Event(event) => {
                seen.push((event.event_type().to_string(), event.id().to_string()))
            }
            Item::Closed(_) => break,
            _ => {}
        }
    }
    assert_eq!(
        seen,
        [
            ("snapshot".to_string(), "1".to_string()),
            ("message".into(), "3".into())
        ]
    );
    assert_eq!(
        stream.last_event_id(),
        "4",
        "a filtered event's id still counts"
    );
}

#[test]
fn jitter_shapes_reach_the_delays_the_stream_reports() {
    let server = Server::start(|mut conn: Conn| {
        let _ = conn.respond(503, &[], "");
        conn.end();
    });
    let stream = Stream::builder(&server.url("/"))
        .reconnect_delay(Duration::from_millis(100), Duration::from_secs(1))
        .jitter_shape(JitterShape::Scale)
        .connect()
        .unwrap();
    for n in 0..4u32 {
        let delay = next_retry(&stream).1;
        let full = Duration::from_millis(100 * 2u64.pow(n));
        assert!(
            delay >= full / 2 && delay < full,
            "attempt {}: {delay:?} not in [{:?}, {full:?})",
            n + 1,
            full / 2
        );
    }
}
