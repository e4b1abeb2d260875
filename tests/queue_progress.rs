//! From a defect hunt: the reader never stalls for good at the lifecycle bound,
//! close stops it wherever it waits, and the readiness descriptor follows
//! the queue.

#![cfg(unix)]

mod support;

use std::io::{ErrorKind, Read};
use std::os::fd::AsFd;
use std::os::unix::net::UnixStream;
use std::time::{Duration, Instant};

use sselink::{Item, Overflow, Stream, TryRecvError};
use support::server::{Conn, Server, PATIENCE};
use support::wait::until;

/// A server that sends `events` events then ends, every connection; the
/// connection numbered `last` answers 204.
fn flapping(events: u32, last: usize) -> Server {
    Server::start(move |mut conn: Conn| {
        if conn.request.index >= last {
            let _ = conn.respond(204, &[], "");
            return;
        }
        let body: String = (0..events)
            .map(|i| format!("id: {}-{i}\ndata: {i}\n\n", conn.request.index))
            .collect();
        let _ = conn.sse_head().and_then(|()| conn.write(body));
        conn.end();
    })
}

/// At the lifecycle bound the reader waits; once the consumer reads it goes
/// on to the end, under every policy.
#[test]
fn the_lifecycle_bound_holds_the_reader_only_until_the_consumer_reads() {
    for overflow in [Overflow::Block, Overflow::DropOldest, Overflow::DropNewest] {
        let server = flapping(0, 60);
        let stream = support::items::quick(&server.url("/"))
            .capacity(1)
            .healthy_after(Duration::ZERO)
            .reconnect_delay(Duration::from_millis(10), Duration::from_millis(10))
            .overflow(overflow)
            .connect()
            .unwrap();
        until("the reader to connect a few times", || {
            server.connections() >= 3
        });
        std::thread::sleep(Duration::from_millis(600));
        let held = server.connections();
        assert!(held < 60, "{overflow:?}: the reader did not wait ({held})");
        let mut events = 0;
        loop {
            match stream.recv_timeout(PATIENCE).expect("stalled") {
                Item::Event(_) => events += 1,
                Item::Closed(reason) => {
                    println!(
                        "{overflow:?}: held at {held}, {events} events, {reason}, dropped {}",
                        stream.dropped()
                    );
                    break;
                }
                _ => {}
            }
        }
        assert_eq!(server.connections(), 61, "{overflow:?}");
    }
}

/// close_and_wait returns at once whether the reader waits for event room
/// (Block) or for lifecycle room (any policy).
#[test]
fn close_stops_a_reader_waiting_for_room() {
    for overflow in [Overflow::Block, Overflow::DropOldest, Overflow::DropNewest] {
        // Waiting for lifecycle room.
        let server = flapping(0, usize::MAX);
        let stream = support::items::quick(&server.url("/"))
            .healthy_after(Duration::ZERO)
            .reconnect_delay(Duration::from_millis(10), Duration::from_millis(10))
            .overflow(overflow)
            .connect()
            .unwrap();
        until("the lifecycle bound", || server.connections() >= 21);
        std::thread::sleep(Duration::from_millis(200));
        let started = Instant::now();
        assert!(
            stream.close_and_wait(Duration::from_secs(3)),
            "{overflow:?}"
        );
        assert!(started.elapsed() < Duration::from_secs(1));
        assert_eq!(
            stream.recv().unwrap(),
            Item::Closed(sselink::CloseReason::Caller)
        );
    }
    // Waiting for event room under Block.
    let server = support::server::numbered_events(1..=100, true);
    let stream = Stream::builder(&server.url("/"))
        .capacity(1)
        .connect()
        .unwrap();
    until("a queued event", || stream.queued_bytes() > 0);
    std::thread::sleep(Duration::from_millis(100));
    assert!(stream.close_and_wait(Duration::from_secs(3)));
}

fn readable(fd: &UnixStream) -> bool {
    let mut byte = [0u8; 1];
    match (&*fd).read(&mut byte) {
        Ok(n) => n > 0,
        Err(e) if e.kind() == ErrorKind::WouldBlock => false,
        Err(e) => panic!("{e}"),
    }
}

/// A consumer that waits on the descriptor alone, then drains with
/// try_recv, under every policy, through reconnects, id-only blocks and
/// filtered events: it reaches Closed, and with the server silent and the
/// queue drained the descriptor is not readable.
#[test]
fn a_descriptor_driven_consumer_never_stalls() {
    for overflow in [Overflow::Block, Overflow::DropOldest, Overflow::DropNewest] {
        let server = Server::start(|mut conn: Conn| {
            if conn.request.index >= 30 {
                let _ = conn.respond(204, &[], "");
                return;
            }
            let _ = conn.sse_head();
            for k in 0..50 {
                let block = match k % 4 {
                    0 => format!("id: {k}\n\n"),
                    1 => format!("event: skip\nid: {k}\ndata: s\n\n"),
                    _ => format!("id: {k}\ndata: {k}\n\n"),
                };
                if conn.write(block).is_err() {
                    return;
                }
            }
            // Silence with nothing queued but id changes.
            let _ = conn.write("id: last\n\n");
            std::thread::sleep(Duration::from_millis(30));
            conn.end();
        });
        let stream = support::items::quick(&server.url("/"))
            .capacity(2)
            .healthy_after(Duration::ZERO)
            .reconnect_delay(Duration::from_millis(10), Duration::from_millis(10))
            .filter_event_type("message")
            .overflow(overflow)
            .connect()
            .unwrap();
        let fd = UnixStream::from(
            stream
                .readiness()
                .unwrap()
                .as_fd()
                .try_clone_to_owned()
                .unwrap(),
        );
        let deadline = Instant::now() + PATIENCE;
        let mut spurious = 0;
        let mut wakes = 0;
        'outer: loop {
            while !readable(&fd) {
                assert!(Instant::now() < deadline, "{overflow:?}: stalled");
                std::thread::sleep(Duration::from_micros(500));
            }
            wakes += 1;
            let mut got = 0;
            loop {
                match stream.try_recv() {
                    Ok(Item::Closed(_)) => break 'outer,
                    Ok(_) => got += 1,
                    Err(TryRecvError::Empty) => break,
                    Err(TryRecvError::Closed) => break 'outer,
                }
            }
            if got == 0 {
                spurious += 1;
            }
        }
        println!("{overflow:?}: {wakes} wakes, {spurious} with nothing to hand out");
    }
}
