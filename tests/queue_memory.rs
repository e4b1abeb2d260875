//! Memory a slow consumer holds (docs/behaviour.md §8): the byte bound plus
//! one event, whatever ids the server sends, and lifecycle items within
//! their own bound. Found by a defect hunt: ids set by id-only blocks or
//! filtered events were counted nowhere.

mod support;

use std::collections::HashSet;
use std::io::Write;
use std::time::Duration;

use flate2::write::GzEncoder;
use flate2::Compression;
use sselink::{Error, Event, Item, Stream};
use support::server::{Conn, Server, PATIENCE};
use support::wait::until;

/// The byte bound the tests configure.
const BOUND: usize = 64 << 10;

/// A server that sends `body`, then holds the connection. With `gzip` the
/// body is compressed (the client decodes it even without `compressed`).
fn server(body: Vec<u8>, gzip: bool) -> Server {
    Server::start(move |mut conn: Conn| {
        let encoding = if gzip {
            "Content-Encoding: gzip\r\n"
        } else {
            ""
        };
        let head = format!(
            "HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\n{encoding}Connection: close\r\n\r\n"
        );
        let _ = conn.write(head);
        if gzip {
            let mut encoder = GzEncoder::new(Vec::new(), Compression::best());
            encoder.write_all(&body).unwrap();
            encoder.flush().unwrap();
            let _ = conn.write(std::mem::take(encoder.get_mut()));
        } else {
            let _ = conn.write(&body);
        }
        conn.client_closed_within(PATIENCE);
    })
}

/// A distinct id of `len` bytes.
fn id(i: usize, len: usize) -> String {
    let mut id = format!("{i:08}-");
    id.push_str(&"a".repeat(len - id.len()));
    id
}

/// Takes `events` events one by one. Whenever the queue holds one, it
/// counts at least `least` bytes: each event carries an id copy of its own
/// (made by the block before it), and that copy counts against the bound in
/// the first queued event that carries it. Returns the events.
fn each_counts_its_id(stream: &Stream, events: usize, least: usize) -> Vec<Event> {
    let mut taken = Vec::new();
    while taken.len() < events {
        until("the next event to be queued", || stream.queued_bytes() > 0);
        let queued = stream.queued_bytes();
        assert!(
            queued >= least,
            "event {}: the queue counts {queued} bytes, its id copy alone is {least}",
            taken.len()
        );
        assert!(queued <= BOUND + least, "{queued} bytes queued");
        match stream.recv_timeout(PATIENCE).expect("no item in time") {
            Item::Event(event) => taken.push(event),
            Item::Closed(reason) => panic!("closed: {reason}"),
            _ => {}
        }
    }
    let distinct: HashSet<*const u8> = taken.iter().map(|e| e.id().as_ptr()).collect();
    assert_eq!(distinct.len(), events, "one id copy per event");
    taken
}

/// A stream of `server` holding up to `events` events under the byte
/// bound, with events large enough for ids of `id` bytes; no reconnect.
fn bounded(server: &Server, events: usize, id: usize) -> sselink::Builder {
    Stream::builder(&server.url("/"))
        .capacity(events)
        .max_queued_bytes(BOUND)
        .max_event_size(id + 64)
        .reconnect(false)
}

/// An id-only block sets a huge id, the next event carries it over: the
/// event counts the id, its first carrier. Counted nowhere, 64 such pairs
/// held 16 MiB of distinct ids while the queue reported 64 bytes against a
/// bound of 64 KiB.
#[test]
fn ids_set_by_id_only_blocks_count_against_the_byte_bound() {
    const EVENTS: usize = 64;
    const ID: usize = 256 << 10;
    let body: String = (0..EVENTS)
        .map(|i| format!("id: {}\n\ndata: x\n\n", id(i, ID)))
        .collect();
    let server = server(body.into_bytes(), false);
    let stream = bounded(&server, EVENTS, ID).connect().unwrap();
    each_counts_its_id(&stream, EVENTS, ID + 1);
}

/// The same through a filter: a filtered-out event sets the id, a kept
/// event carries it.
#[test]
fn ids_set_by_filtered_events_count_against_the_byte_bound() {
    const EVENTS: usize = 64;
    const ID: usize = 256 << 10;
    let body: String = (0..EVENTS)
        .map(|i| {
            format!(
                "event: skip\nid: {}\ndata: s\n\nevent: keep\ndata: x\n\n",
                id(i, ID)
            )
        })
        .collect();
    let server = server(body.into_bytes(), false);
    let stream = bounded(&server, EVENTS, ID)
        .filter_event_type("keep")
        .connect()
        .unwrap();
    // "keep" counts 4 bytes of type besides the 1 byte of data.
    each_counts_its_id(&stream, EVENTS, ID + 5);
}

/// Gzip makes it cheap for the server: a body of a few hundred KiB on the
/// wire makes the client hold 64 MiB of ids against a 64 KiB bound.
#[test]
fn gzip_bodies_of_new_ids_count_each_id() {
    const EVENTS: usize = 64;
    const ID: usize = 1 << 20;
    let body: String = (0..EVENTS)
        .map(|i| format!("id: {}\n\ndata: x\n\n", id(i, ID)))
        .collect();
    let server = server(body.into_bytes(), true);
    let stream = bounded(&server, EVENTS, ID).connect().unwrap();
    each_counts_its_id(&stream, EVENTS, ID + 1);
}

/// Lifecycle items are bounded apart from the events: a server that opens
/// with 14 KiB of headers and ends at once makes a consumer that does not
/// read hold 21 `Open` items of 14 KiB each (300 KiB) with capacity 1,
/// max_queued_bytes 1 KiB and max_event_size 1 KiB, within the documented
/// bound of 64 items of a response head and a body excerpt each.
#[test]
fn lifecycle_items_hold_at_most_64_heads_and_excerpts() {
    const SMALL: usize = 1024;
    let server = Server::start(|mut conn: Conn| {
        let mut head = String::from(
            "HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\nContent-Length: 0\r\n",
        );
        for i in 0..14 {
            head.push_str(&format!("X-Pad-{i}: {}\r\n", "h".repeat(1000)));
        }
        head.push_str("\r\n");
        let _ = conn.write(head);
        conn.end();
    });
    let stream = Stream::builder(&server.url("/"))
        .capacity(1)
        .max_queued_bytes(SMALL)
        .max_event_size(SMALL)
        .healthy_after(Duration::ZERO)
        .reconnect_delay(Duration::from_millis(10), Duration::from_millis(10))
        .jitter(0.0)
        .connect()
        .unwrap();
    // Connecting, Open, Retrying per connection: the reader stops at the
    // lifecycle bound, before its 22nd connection.
    until("21 connections", || server.connections() >= 21);
    std::thread::sleep(Duration::from_millis(500));
    let connections = server.connections();
    // The reader waits: 21 connections and the 22nd's Connecting are queued.
    assert_eq!(connections, 22, "the reader did not wait at the bound");
    // What was queued at once: the first 64 items (taking one makes room,
    // and the reader goes on behind them).
    let mut held = Vec::new();
    while held.len() < 64 {
        match stream.try_recv() {
            Ok(item) => held.push(item),
            Err(e) => panic!("{} items queued: {e:?}", held.len()),
        }
    }
    let bytes: usize = held
        .iter()
        .map(|item| match item {
            Item::Retrying {
                error: Error::Status(failure),
                ..
            } => {
                failure.body.len()
                    + failure
                        .headers
                        .iter()
                        .map(|(n, v)| n.len() + v.len())
                        .sum::<usize>()
            }
            Item::Open { headers, .. } => headers.iter().map(|(n, v)| n.len() + v.len()).sum(),
            _ => 0,
        })
        .sum();
    println!(
        "{connections} connections; {} items queued at once holding {bytes} bytes",
        held.len()
    );
    stream.close();
    // The documented bound (docs/behaviour.md §8.2): at most 64 lifecycle
    // items, each with at most a response head's headers and a failed
    // body's excerpt, beside the byte bound.
    assert!(held.len() <= 64, "{} items", held.len());
    let each = sselink::MAX_RESPONSE_HEAD + sselink::HttpFailure::BODY_LIMIT;
    assert!(
        bytes <= 64 * each,
        "a consumer that did not read held {bytes} bytes in {} items",
        held.len()
    );
}
