//! The channel is bounded in bytes as well as items (docs/behaviour.md §8):
//! a slow consumer of 4 MiB events holds at most `max_queued_bytes` of them,
//! under each overflow policy. Peak resident memory (VmHWM) is read from
//! /proc and printed; without the byte bound the 256-item channel would hold
//! all 120 MiB. Its own test binary, one test, so that the peak is this
//! test's alone.

mod support;

use std::sync::OnceLock;
use std::time::Duration;

use sselink::{Item, Overflow, State, Stream};
use support::process::status_bytes;
use support::server::{Conn, Server, PATIENCE};

const EVENT: usize = 4 << 20;
const COUNT: usize = 30;
const BOUND: usize = 16 << 20;

/// A server that sends COUNT events of EVENT bytes, ids 0.., then closes.
fn flood() -> Server {
    static DATA: OnceLock<Vec<u8>> = OnceLock::new();
    let data = DATA.get_or_init(|| format!("data: {}\n\n", "x".repeat(EVENT)).into_bytes());
    Server::start(move |mut conn: Conn| {
        let _ = conn.sse_head();
        for i in 0..COUNT {
            if conn
                .write(format!("id: {i}\n"))
                .and_then(|()| conn.write(data))
                .is_err()
            {
                return;
            }
        }
        conn.end();
    })
}

/// The ids of the events received until the stream closes.
fn drain(stream: &Stream) -> Vec<usize> {
    let mut ids = Vec::new();
    while let Ok(item) = stream.recv_timeout(PATIENCE) {
        match item {
            Item::Event(event) => {
                assert_eq!(event.data().len(), EVENT);
                ids.push(event.id().parse().unwrap());
            }
            Item::Closed(_) => break,
            _ => {}
        }
    }
    ids
}

fn stream(server: &Server, overflow: Overflow) -> Stream {
    Stream::builder(&server.url("/"))
        .max_queued_bytes(BOUND)
        .overflow(overflow)
        .reconnect(false)
        .connect()
        .unwrap()
}

#[test]
fn a_slow_consumer_holds_at_most_the_byte_bound_under_every_policy() {
    let baseline = status_bytes("VmRSS:");
    drop(flood()); // the server's one copy of the event, made before measuring
    let baseline = baseline.max(status_bytes("VmRSS:"));

    // Block: the reader stops at the bound; nothing is lost.
    let server = flood();
    let blocked = stream(&server, Overflow::Block);
    support::wait::until("the queue to fill", || {
        blocked.queued_bytes() >= BOUND - EVENT
    });
    // The reader is now waiting for room; give it every chance to overfill.
    std::thread::sleep(Duration::from_millis(100));
    assert!(
        blocked.queued_bytes() <= BOUND,
        "{}",
        blocked.queued_bytes()
    );
    let at_the_bound = status_bytes("VmRSS:");
    assert_eq!(drain(&blocked), (0..COUNT).collect::<Vec<_>>());
    assert_eq!(blocked.dropped(), 0);

    // Drop oldest: the newest events stay, the count says what went.
    let server = flood();
    let oldest = stream(&server, Overflow::DropOldest);
    support::wait::until("the reader to finish", || oldest.state() == State::Closed);
    assert!(oldest.queued_bytes() <= BOUND);
    let kept = drain(&oldest);
    assert_eq!(kept.len() as u64 + oldest.dropped(), COUNT as u64);
    assert!(oldest.dropped() > 0);
    assert_eq!(kept.last(), Some(&(COUNT - 1)), "the newest is kept");

    // Drop newest: the oldest events stay.
    let server = flood();
    let newest = stream(&server, Overflow::DropNewest);
    support::wait::until("the reader to finish", || newest.state() == State::Closed);
    assert!(newest.queued_bytes() <= BOUND);
    let kept = drain(&newest);
    assert_eq!(kept.len() as u64 + newest.dropped(), COUNT as u64);
    assert!(newest.dropped() > 0);
    assert_eq!(kept.first(), Some(&0), "the oldest is kept");

    let peak = status_bytes("VmHWM:");
    eprintln!(
        "resident: {} MiB before, {} MiB with the queue at the bound, peak {} MiB \
         ({COUNT} events of {} MiB, bound {} MiB)",
        baseline >> 20,
        at_the_bound >> 20,
        peak >> 20,
        EVENT >> 20,
        BOUND >> 20
    );
    // The bound, the event being parsed, decoded and sent, and the
    // allocator's slack: well below the 120 MiB that an item bound alone
    // would let the queue hold.
    assert!(
        peak.saturating_sub(baseline) < 96 << 20,
        "peak {} MiB over a baseline of {} MiB",
        peak >> 20,
        baseline >> 20
    );
}
