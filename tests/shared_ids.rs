//! A server cannot multiply its memory through the last event id
//! (docs/behaviour.md §6): an id is shared by every event that carries it,
//! never copied per event, so one 8 MiB id followed by thousands of small
//! events costs one copy, whether the body is plain or gzip (decoded even
//! without `compressed`). Peak resident memory (VmHWM) is read from /proc;
//! its own test binary, one test, so that the peak is this test's alone.

mod support;

use std::io::Write;

use flate2::write::GzEncoder;
use flate2::Compression;
use sselink::{Item, Stream};
use support::process::status_bytes;
use support::server::{Conn, Server, PATIENCE};

const ID: usize = 8 << 20;
const EVENTS: usize = 3000;

/// The body: one block setting an 8 MiB id, then EVENTS empty events that
/// carry it over.
fn body() -> (Vec<u8>, Vec<u8>) {
    let id_block = format!("id: {}\n\n", "a".repeat(ID)).into_bytes();
    let events = "data\n\n".repeat(EVENTS).into_bytes();
    (id_block, events)
}

fn server(gzip: bool) -> Server {
    Server::start(move |mut conn: Conn| {
        let (id_block, events) = body();
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
            let mut encoder = GzEncoder::new(Vec::new(), Compression::fast());
            encoder.write_all(&id_block).unwrap();
            encoder.flush().unwrap();
            let _ = conn.write(std::mem::take(encoder.get_mut()));
            encoder.write_all(&events).unwrap();
            let _ = conn.write(encoder.finish().unwrap());
        } else {
            let _ = conn.write(id_block);
            let _ = conn.write(events);
        }
        conn.client_closed_within(PATIENCE);
    })
}

/// Reads every event; each carries the one shared id.
fn read_all(url: &str) {
    let stream = Stream::builder(url).reconnect(false).connect().unwrap();
    let mut first: Option<*const u8> = None;
    let mut events = 0;
    while events < EVENTS {
        match stream.recv_timeout(PATIENCE).expect("no item in time") {
            Item::Event(event) => {
                assert_eq!(event.id().len(), ID);
                assert_eq!(event.data(), "");
                let at = *first.get_or_insert(event.id().as_ptr());
                assert_eq!(
                    event.id().as_ptr(),
                    at,
                    "event {events} has its own copy of the id"
                );
                events += 1;
            }
            Item::Closed(reason) => panic!("closed after {events} events: {reason}"),
            _ => {}
        }
    }
    stream.close();
}

#[test]
fn a_huge_id_carried_by_thousands_of_events_is_held_once() {
    let plain = server(false);
    let gzip = server(true);
    // The servers' own copies of the body, made before measuring.
    drop(body());
    let before = status_bytes("VmHWM:").max(status_bytes("VmRSS:"));
    read_all(&plain.url("/"));
    read_all(&gzip.url("/"));
    let grown = status_bytes("VmHWM:").saturating_sub(before);
    println!("peak grew by {} MiB", grown >> 20);
    // The parser's line and id buffers, the shared id, and each server's
    // body (built on its own thread) are a few copies of 8 MiB. A copy per
    // event would be 3,000 of them (23 GiB).
    assert!(grown < 160 << 20, "peak grew by {} MiB", grown >> 20);
}
