//! Several threads on one stream (docs/behaviour.md §4.6, §5.4, §7): the
//! close reason is handed out exactly once and is the true one, the last
//! event id never goes backwards, and a restart applies exactly once. Each
//! race is run in a loop long enough to have shown it before its fix.

mod support;

use std::sync::{Arc, Mutex};

use crossbeam_channel::{bounded, Receiver};
use std::time::{Duration, Instant};

use sselink::{CloseReason, Item, Stream};
use support::server::{numbered_events, Conn, Server, PATIENCE};

const EVENTS: usize = 100;

#[test]
fn two_receivers_see_every_event_once_the_true_close_once_and_the_last_id() {
    let server = numbered_events(1..=EVENTS as u32, false);
    for round in 0..2000 {
        let stream = Arc::new(
            Stream::builder(&server.url("/"))
                .reconnect(false)
                .connect()
                .unwrap(),
        );
        let receiver = |stream: Arc<Stream>| {
            support::wait::spawn(move || {
                let (mut events, mut closes) = (Vec::new(), Vec::new());
                while let Ok(item) = stream.recv_timeout(PATIENCE) {
                    match item {
                        Item::Event(event) => events.push(event.id().parse::<usize>().unwrap()),
                        Item::Closed(reason) => closes.push(reason),
                        _ => {}
                    }
                }
                (events, closes)
            })
        };
        let a = receiver(Arc::clone(&stream));
        let b = receiver(Arc::clone(&stream));
        let (mut events, mut closes) = a.join("receiver a");
        let (more_events, more_closes) = b.join("receiver b");
        events.extend(more_events);
        closes.extend(more_closes);
        events.sort_unstable();
        assert_eq!(events, (1..=EVENTS).collect::<Vec<_>>(), "round {round}");
        assert_eq!(closes, [CloseReason::Ended], "round {round}");
        assert_eq!(stream.last_event_id(), EVENTS.to_string(), "round {round}");
    }
}

#[test]
fn a_restart_asked_for_as_a_connection_starts_applies_once() {
    // Each connection sends its head, waits until the round's restart has
    // returned, then sends one event and ends. A restart that reached a
    // connection kills it before its event; a restart asked before the
    // connection started is fulfilled by it. Either way, the connection that
    // delivers the event then drops as an ordinary failure: `Retrying` with
    // backoff. A restart that was lost and fired late shows instead as an
    // immediate `Connecting { attempt: 0 }` after the event.
    let go: Arc<Mutex<Receiver<Never>>> = Arc::new(Mutex::new(bounded(0).1));
    let gate = Arc::clone(&go);
    let server = Server::start(move |mut conn: Conn| {
        let released = gate.lock().unwrap().clone();
        let _ = conn.sse_head();
        let _ = released.recv();
        let _ = conn.write("data: x\n\n");
        conn.end();
    });
    for round in 0..2000u32 {
        let (release, released) = bounded::<Never>(0);
        *go.lock().unwrap() = released;
        let stream = Stream::builder(&server.url("/"))
            .reconnect_delay(Duration::from_millis(1), Duration::from_millis(1))
            .jitter(0.0)
            .connect()
            .unwrap();
        // Sweep the moment of the restart across the start of the connection.
        let spin = Instant::now();
        while spin.elapsed() < Duration::from_micros(u64::from(round % 200)) {
            std::hint::spin_loop();
        }
        assert!(stream.restart(), "round {round}");
        drop(release);
        let mut seen_event = false;
        loop {
            match stream.recv_timeout(PATIENCE).expect("an item") {
                Item::Event(_) => seen_event = true,
                Item::Retrying { .. } if seen_event => break,
                Item::Connecting { attempt: 0 } if seen_event => {
                    panic!("round {round}: a late restart after the connection ended")
                }
                _ => {}
            }
        }
        assert!(stream.close_and_wait(PATIENCE));
    }
}

/// A type with no values: a channel of it only ever disconnects.
enum Never {}

#[test]
fn restart_on_a_finished_stream_says_so() {
    let server = numbered_events(1..=EVENTS as u32, false);
    let stream = Stream::builder(&server.url("/"))
        .reconnect(false)
        .connect()
        .unwrap();
    while !matches!(stream.recv_timeout(PATIENCE), Ok(Item::Closed(_)) | Err(_)) {}
    assert!(!stream.restart());
    stream.close();
    assert!(!stream.restart());
}
