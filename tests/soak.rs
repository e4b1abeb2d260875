//! Fault-injection soak (docs/behaviour.md §1.8, §4, §5): a server that
//! honours Last-Event-ID but cuts every connection at a random byte offset
//! (mid-line, mid-event, inside a multi-byte character, between CR and LF),
//! by a close, a reset or a stall past the idle timeout, and answers some
//! attempts with 500, 503 or 429 and a Retry-After. Every event must arrive
//! exactly once and in order, no thread or descriptor may be left behind,
//! and resident memory must stay flat.
//!
//! The test command runs a reduced soak (2,000 events); the full one
//! (100,000 events, over 1,000 disconnects) runs with SSELINK_SOAK=full:
//! `SSELINK_SOAK=full cargo test --release --test soak -- --nocapture`.
//! Its own test binary: threads, descriptors and memory are counted for the
//! whole process.

mod support;

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use sselink::{Item, Stream};
use support::process::{count_entries, status_bytes};
use support::server::{Conn, Server, PATIENCE};

/// The bytes of event `n`: CRLF line ends, so a cut can fall between CR and
/// LF, and two-, three- and four-byte characters, so it can fall inside one.
fn event(n: u64) -> String {
    format!("id: {n}\r\ndata: {n} é✓😀\r\ndata: second line\r\n\r\n")
}

fn expected_data(n: u64) -> String {
    format!("{n} é✓😀\nsecond line")
}

/// What the server did to each connection, for the report.
#[derive(Default)]
struct Faults {
    closes: AtomicUsize,
    resets: AtomicUsize,
    stalls: AtomicUsize,
    statuses: AtomicUsize,
}

fn fault_server(total: u64, seed: u64, faults: Arc<Faults>) -> Server {
    let connection = AtomicUsize::new(0);
    Server::start(move |mut conn: Conn| {
        let index = connection.fetch_add(1, Ordering::Relaxed) as u64;
        let mut rng = StdRng::seed_from_u64(seed ^ index.wrapping_mul(0x9E37_79B9));
        let next = conn
            .request
            .header("last-event-id")
            .and_then(|id| id.parse::<u64>().ok())
            .map_or(1, |id| id + 1);
        if next > total {
            let _ = conn.respond(204, &[], "");
            return conn.end();
        }
        if rng.random_range(0..100) < 5 {
            faults.statuses.fetch_add(1, Ordering::Relaxed);
            let status = [500, 503, 429][rng.random_range(0..3)];
            let _ = conn.respond(status, &["Retry-After: 0"], "try again");
            return conn.end();
        }
        // Up to 100 events, cut at a random byte of the last ones.
        let count = rng.random_range(1..100).min(total - next + 1);
        let body: String = (next..next + count).map(event).collect();
        let cut = if next + count > total {
            body.len() // the end: deliver it all, then close
        } else {
            rng.random_range(body.len().saturating_sub(200)..body.len())
        };
        if conn
            .sse_head()
            .and_then(|()| conn.write(&body.as_bytes()[..cut]))
            .is_err()
        {
            return;
        }
        match rng.random_range(0..10) {
            0 => {
                faults.stalls.fetch_add(1, Ordering::Relaxed);
                conn.client_closed_within(PATIENCE); // the idle timer fires
            }
            1..=3 => {
                faults.resets.fetch_add(1, Ordering::Relaxed);
                std::thread::sleep(Duration::from_millis(2)); // let the bytes go before the RST
                conn.reset();
            }
            _ => {
                faults.closes.fetch_add(1, Ordering::Relaxed);
                conn.end();
            }
        }
    })
}

#[test]
fn every_event_exactly_once_through_cuts_resets_stalls_and_errors() {
    let full = std::env::var("SSELINK_SOAK").as_deref() == Ok("full");
    let total: u64 = if full { 100_000 } else { 2_000 };
    let (threads_before, fds_before) = (
        count_entries("/proc/self/task"),
        count_entries("/proc/self/fd"),
    );
    let faults = Arc::new(Faults::default());
    let server = fault_server(total, 0x5EED, Arc::clone(&faults));
    let stream = Stream::builder(&server.url("/events"))
        .idle_timeout(Some(Duration::from_millis(200)))
        .reconnect_delay(Duration::from_millis(1), Duration::from_millis(10))
        .connect()
        .unwrap();
    let started = Instant::now();
    let (mut expected, mut reconnects, mut rss_early) = (1u64, 0u64, 0usize);
    let mut idle_timeouts = 0u64;
    loop {
        match stream.recv_timeout(PATIENCE * 3).expect("the soak stalled") {
            Item::Event(event) => {
                assert_eq!(event.id(), expected.to_string(), "out of order or repeated");
                assert_eq!(event.data(), expected_data(expected));
                if expected == total / 10 {
                    rss_early = status_bytes("VmRSS:") / 1024;
                }
                expected += 1;
            }
            Item::Retrying { error, .. } => {
                reconnects += 1;
                if matches!(error, sselink::Error::IdleTimeout(_)) {
                    idle_timeouts += 1;
                }
            }
            Item::Closed(reason) => {
                assert_eq!(reason, sselink::CloseReason::NoContent, "{reason}");
                break;
            }
            _ => {}
        }
    }
    assert_eq!(expected, total + 1, "every event, exactly once");
    let rss_end = status_bytes("VmRSS:") / 1024;
    assert!(stream.close_and_wait(PATIENCE));
    drop(stream);
    drop(server);
    // Threads and descriptors of the stream and the server wind down.
    let deadline = Instant::now() + PATIENCE;
    let leftover = loop {
        let now = (
            count_entries("/proc/self/task"),
            count_entries("/proc/self/fd"),
        );
        if now.0 <= threads_before && now.1 <= fds_before || Instant::now() > deadline {
            break now;
        }
        std::thread::sleep(Duration::from_millis(10));
    };
    eprintln!(
        "soak: {total} events in {:.1} s through {reconnects} reconnects \
         ({} closes, {} resets, {} stalls, {} error statuses); RSS {rss_early} KiB at 10 %, \
         {rss_end} KiB at the end; threads {threads_before} -> {}, descriptors {fds_before} -> {}",
        started.elapsed().as_secs_f64(),
        faults.closes.load(Ordering::Relaxed),
        faults.resets.load(Ordering::Relaxed),
        faults.stalls.load(Ordering::Relaxed),
        faults.statuses.load(Ordering::Relaxed),
        leftover.0,
        leftover.1,
    );
    assert!(leftover.0 <= threads_before, "threads left behind");
    assert!(leftover.1 <= fds_before, "descriptors left behind");
    assert!(rss_end < rss_early + 8 * 1024, "resident memory grew");
    // Every stall the server made ended by the idle timeout, not by the
    // server giving up on it.
    let stalls = faults.stalls.load(Ordering::Relaxed) as u64;
    assert!(stalls > 0, "the soak made no stall");
    assert_eq!(
        idle_timeouts, stalls,
        "stalls not ended by the idle timeout"
    );
    if full {
        assert!(reconnects >= 1000, "only {reconnects} disconnects");
    }
}
