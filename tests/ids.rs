//! The last event id at its edges (docs/behaviour.md §1.5, §2.2, §2.7, §4.5):
//! ids a header cannot carry, ids beyond ASCII, de-duplication of events
//! without an id of their own, the resume query parameter, a caller's own
//! `Last-Event-ID`, and a restart that cuts an event short.

mod support;

use support::items::{next_event, quick};
use support::server::{first_then_hold, Conn, Server, PATIENCE};

#[test]
fn an_id_with_a_control_byte_is_kept_but_never_sent() {
    // Connection k sends `id: a<byte k>b`; connection k+1 shows what was sent.
    let bytes: Vec<u8> = (0x01..=0x1F).chain([0x7F]).collect();
    let served = bytes.clone();
    let server = Server::start(move |mut conn: Conn| {
        let Some(&byte) = served.get(conn.request.index) else {
            let _ = conn.sse_head();
            conn.client_closed_within(PATIENCE);
            return;
        };
        let mut body = b"id: a".to_vec();
        body.extend_from_slice(&[byte, b'b']);
        body.extend_from_slice(b"\ndata: first\n\n");
        let _ = conn.sse_head().and_then(|()| conn.write(body));
        conn.end();
    });
    let stream = quick(&server.url("/events"))
        .resume_query("from")
        .connect()
        .unwrap();
    server.request();
    for &byte in &bytes {
        let event = next_event(&stream);
        let sent = server.request();
        let header = sent.header("last-event-id");
        match byte {
            // A line end inside the id: the id is `a`, the rest a new line.
            b'\n' | b'\r' => {
                assert_eq!(event.id(), "a");
                assert_eq!(header, Some("a"));
            }
            // A tab is allowed in a header value.
            b'\t' => {
                assert_eq!(event.id(), "a\tb");
                assert_eq!(header, Some("a\tb"), "{:?}", sent.headers);
            }
            _ => {
                assert_eq!(event.id().as_bytes(), [b'a', byte, b'b'], "kept as sent");
                assert_eq!(header, None, "byte {byte:#04x} went on the wire");
                assert!(
                    !sent.target.contains("from="),
                    "byte {byte:#04x} in the query: {}",
                    sent.target
                );
            }
        }
        assert!(sent.header_count("last-event-id") <= 1);
    }
    assert_eq!(stream.last_event_id().as_bytes(), [b'a', 0x7F, b'b']);
}

#[test]
fn an_id_beyond_ascii_is_sent_as_its_utf8_bytes() {
    let server = Server::start(|mut conn: Conn| {
        let body = if conn.request.index == 0 {
            "id: café-7 ✓\ndata: first\n\n"
        } else {
            "data: second\n\n"
        };
        let _ = conn.sse_head().and_then(|()| conn.write(body));
        conn.end();
    });
    let stream = quick(&server.url("/"))
        .resume_query("from")
        .connect()
        .unwrap();
    assert_eq!(next_event(&stream).id(), "café-7 ✓");
    server.request();
    let resumed = server.request();
    assert_eq!(resumed.header("last-event-id"), Some("café-7 ✓"));
    assert!(
        resumed.target.ends_with("?from=caf%C3%A9-7+%E2%9C%93"),
        "{}",
        resumed.target
    );
    assert_eq!(next_event(&stream).id(), "café-7 ✓", "carried over");
}

#[test]
fn deduplication_drops_only_events_whose_own_id_was_delivered() {
    // The first connection delivers 1..3; the resumed one replays 2 and 3,
    // then sends an event without an id (it inherits 3), then 4.
    let server = Server::start(first_then_hold(
        "id: 1\ndata: one\n\nid: 2\ndata: two\n\nid: 3\ndata: three\n\n",
        "id: 2\ndata: two again\n\nid: 3\ndata: three again\n\ndata: no id\n\nid: 4\ndata: four\n\n",
    ));
    let stream = quick(&server.url("/"))
        .deduplicate_ids(true)
        .connect()
        .unwrap();
    let data: Vec<String> = (0..5).map(|_| next_event(&stream).data().into()).collect();
    assert_eq!(data, ["one", "two", "three", "no id", "four"]);
}

#[test]
fn the_resume_parameter_changes_nothing_else_in_the_query() {
    let server = Server::start(first_then_hold("id: 5\ndata: x\n\n", ""));
    let stream = quick(&server.url("/s?a=1&b=x%20y&flag&c=1+2&from_sequence_num=0"))
        .resume_query("from_sequence_num")
        .connect()
        .unwrap();
    assert_eq!(
        server.request().target,
        "/s?a=1&b=x%20y&flag&c=1+2&from_sequence_num=0",
        "no id yet: the URL as configured"
    );
    next_event(&stream);
    assert_eq!(
        server.request().target,
        "/s?a=1&b=x%20y&flag&c=1+2&from_sequence_num=5"
    );
}

#[test]
fn a_callers_last_event_id_header_is_a_seed_the_streams_id_replaces() {
    let server = Server::start(first_then_hold("id: 7\ndata: x\n\n", ""));
    let stream = quick(&server.url("/"))
        .header("Last-Event-ID", "99")
        .connect()
        .unwrap();
    let first = server.request();
    assert_eq!(first.header("last-event-id"), Some("99"));
    assert_eq!(first.header_count("last-event-id"), 1);
    next_event(&stream);
    let second = server.request();
    assert_eq!(
        second.header("last-event-id"),
        Some("7"),
        "the stream's own id wins"
    );
    assert_eq!(second.header_count("last-event-id"), 1);
}

#[test]
fn a_restart_never_dispatches_the_event_it_cut() {
    // The body has no length, so a restart's shutdown reads as its end.
    let server = Server::start(|mut conn: Conn| {
        if conn.request.index == 0 {
            let _ = conn
                .sse_head()
                .and_then(|()| conn.write("id: 4\ndata: whole\n\nid: 5\ndata: part"));
            conn.client_closed_within(PATIENCE);
        } else {
            let _ = conn
                .sse_head()
                .and_then(|()| conn.write("id: 5\ndata: real\n\n"));
            conn.client_closed_within(PATIENCE);
        }
    });
    let stream = quick(&server.url("/"))
        .dispatch_incomplete_at_eof(true)
        .connect()
        .unwrap();
    assert_eq!(next_event(&stream).data(), "whole");
    server.request();
    assert!(stream.restart());
    let resumed = server.request();
    assert_eq!(resumed.header("last-event-id"), Some("4"), "not the cut 5");
    let event = next_event(&stream);
    assert_eq!((event.id(), event.data()), ("5", "real"));
    assert_eq!(stream.last_event_id(), "5");
}
