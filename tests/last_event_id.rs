//! From a defect hunt: last_event_id never goes backwards and never runs ahead of
//! an event not yet handed out; Block loses and repeats nothing; `dropped`
//! counts exactly what was dropped.

mod support;

use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use sselink::{Item, Overflow, Stream, TryRecvError};
use support::server::{Conn, Server, PATIENCE};

/// A small deterministic generator.
struct Rng(u64);
impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }
}

/// Blocks numbered 1..=n: events with their own id, id-only blocks,
/// filtered events, comments and events that carry the id over, mixed.
/// Returns the body and the ids of the kept events with an own id.
fn mixed_body(n: u64, seed: u64) -> (String, Vec<u64>) {
    let mut rng = Rng(seed);
    let mut body = String::new();
    let mut kept = Vec::new();
    for k in 1..=n {
        match rng.next() % 6 {
            0 | 1 => {
                body.push_str(&format!("id: {k}\ndata: {k}\n\n"));
                kept.push(k);
            }
            2 => body.push_str(&format!("id: {k}\n\n")),
            3 => body.push_str(&format!("event: skip\nid: {k}\ndata: {k}\n\n")),
            4 => body.push_str(&format!(": c{k}\n\ndata: carried\n\n")),
            _ => body.push_str(&format!(": c{k}\n\n")),
        }
    }
    // The final id, on a kept event.
    body.push_str(&format!("id: {}\ndata: {}\n\n", n + 1, n + 1));
    kept.push(n + 1);
    (body, kept)
}

/// Serves `body` in chunks of random size with short pauses, then ends.
fn chunked_server(body: String, seed: u64) -> Server {
    let body = Arc::new(body);
    Server::start(move |mut conn: Conn| {
        let mut rng = Rng(seed ^ 0x9e37_79b9);
        let _ = conn.sse_head();
        let bytes = body.as_bytes();
        let mut at = 0;
        while at < bytes.len() {
            let len = (1 + rng.next() % 600) as usize;
            let end = (at + len).min(bytes.len());
            if conn.write(&bytes[at..end]).is_err() {
                return;
            }
            at = end;
            if rng.next().is_multiple_of(8) {
                std::thread::sleep(Duration::from_micros(200));
            }
        }
        conn.end();
    })
}

fn id_number(id: &str) -> u64 {
    if id.is_empty() {
        0
    } else {
        id.parse().unwrap()
    }
}

/// One receiver using every receive call at random. After each item it
/// reads last_event_id: it never goes backwards, and no event handed out
/// later has an own id at or below it (the id never runs ahead of an event
/// still to come).
fn one_receiver(overflow: Overflow, capacity: usize, seed: u64) {
    let (body, kept) = mixed_body(3000, seed);
    let server = chunked_server(body, seed);
    let stream = Stream::builder(&server.url("/"))
        .reconnect(false)
        .capacity(capacity)
        .overflow(overflow)
        .filter_event_type("message")
        .comments(true)
        .connect()
        .unwrap();
    let mut rng = Rng(seed ^ 0x1234);
    let mut last = 0u64;
    let mut own_ids = Vec::new();
    let mut log = Vec::new();
    loop {
        let item = match rng.next() % 3 {
            0 => stream.recv_timeout(PATIENCE).expect("no item in time"),
            1 => match stream.try_recv() {
                Ok(item) => item,
                Err(TryRecvError::Empty) => {
                    std::thread::yield_now();
                    continue;
                }
                Err(TryRecvError::Closed) => panic!("closed twice"),
            },
            _ => stream.recv().unwrap(),
        };
        if rng.next().is_multiple_of(50) {
            std::thread::sleep(Duration::from_millis(1));
        }
        if let Item::Event(event) = &item {
            if event.data() != "carried" {
                let own = id_number(event.id());
                assert!(
                    own > last,
                    "event {own} handed out after last_event_id was already {last} ({overflow:?}, capacity {capacity}, seed {seed}); log tail {:?}",
                    &log[log.len().saturating_sub(8)..]
                );
                own_ids.push(own);
            }
        }
        let closed = matches!(item, Item::Closed(_));
        let now = id_number(&stream.last_event_id());
        assert!(now >= last, "last_event_id went back from {last} to {now}");
        log.push((
            format!("{item:?}").chars().take(40).collect::<String>(),
            now,
        ));
        last = now;
        if closed {
            break;
        }
    }
    println!(
        "{overflow:?} capacity {capacity} seed {seed}: dropped {}",
        stream.dropped()
    );
    assert_eq!(last, *kept.last().unwrap(), "final last_event_id");
    if overflow == Overflow::Block {
        assert_eq!(own_ids, kept, "Block lost or repeated events");
        assert_eq!(stream.dropped(), 0);
    }
}

/// [`one_receiver`] on a thread of its own, so that its `recv` calls,
/// which wait without a bound, fail the test after PATIENCE if the stream
/// never closes.
fn bounded_receiver(overflow: Overflow, seed: u64) {
    support::wait::spawn(move || one_receiver(overflow, 1 + (seed as usize % 3), seed))
        .join(&format!("the receiver ({overflow:?}, seed {seed})"));
}

#[test]
fn one_receiver_block() {
    for seed in 1..=6 {
        bounded_receiver(Overflow::Block, seed);
    }
}

#[test]
fn one_receiver_drop_oldest() {
    for seed in 1..=6 {
        bounded_receiver(Overflow::DropOldest, seed);
    }
}

#[test]
fn one_receiver_drop_newest() {
    for seed in 1..=6 {
        bounded_receiver(Overflow::DropNewest, seed);
    }
}

/// Three receivers and an observer: no event lost or repeated under Block,
/// last_event_id never goes backwards for any thread.
#[test]
fn many_receivers_block() {
    many_receivers(Overflow::Block);
}

/// The same while the reader drops events as the receivers take them: no
/// event repeated, last_event_id never backwards, at each step.
#[test]
fn many_receivers_drop_oldest() {
    many_receivers(Overflow::DropOldest);
}

#[test]
fn many_receivers_drop_newest() {
    many_receivers(Overflow::DropNewest);
}

fn many_receivers(overflow: Overflow) {
    for seed in 1..=4u64 {
        let (body, kept) = mixed_body(4000, seed);
        let server = chunked_server(body, seed);
        let stream = Arc::new(
            Stream::builder(&server.url("/"))
                .reconnect(false)
                .capacity(2)
                .overflow(overflow)
                .filter_event_type("message")
                .comments(true)
                .connect()
                .unwrap(),
        );
        let got = Arc::new(Mutex::new(Vec::new()));
        let done = Arc::new(AtomicBool::new(false));
        let observer = {
            let (stream, done) = (Arc::clone(&stream), Arc::clone(&done));
            support::wait::spawn(move || {
                let mut last = 0;
                while !done.load(Ordering::Acquire) {
                    let now = id_number(&stream.last_event_id());
                    assert!(
                        now >= last,
                        "{overflow:?} observer: went back from {last} to {now}"
                    );
                    last = now;
                }
            })
        };
        let closed = Arc::new(AtomicUsize::new(0));
        let receivers: Vec<_> = (0..3u64)
            .map(|r| {
                let (stream, got, closed) =
                    (Arc::clone(&stream), Arc::clone(&got), Arc::clone(&closed));
                support::wait::spawn(move || {
                    let mut rng = Rng(seed * 31 + r + 1);
                    let mut last = 0;
                    loop {
                        let item = match rng.next() % 3 {
                            0 => match stream.recv_timeout(Duration::from_millis(5)) {
                                Ok(item) => item,
                                Err(sselink::RecvTimeoutError::Timeout) => continue,
                                Err(sselink::RecvTimeoutError::Closed) => return,
                            },
                            1 => match stream.try_recv() {
                                Ok(item) => item,
                                Err(TryRecvError::Empty) => continue,
                                Err(TryRecvError::Closed) => return,
                            },
                            _ => match stream.recv() {
                                Ok(item) => item,
                                Err(_) => return,
                            },
                        };
                        match &item {
                            Item::Event(event) if event.data() != "carried" => {
                                got.lock().unwrap().push(id_number(event.id()))
                            }
                            Item::Closed(_) => {
                                closed.fetch_add(1, Ordering::AcqRel);
                            }
                            _ => {}
                        }
                        let now = id_number(&stream.last_event_id());
                        assert!(
                            now >= last,
                            "{overflow:?} receiver {r}: went back from {last} to {now}"
                        );
                        last = now;
                    }
                })
            })
            .collect();
        for (r, task) in receivers.into_iter().enumerate() {
            task.join(&format!("receiver {r}"));
        }
        done.store(true, Ordering::Release);
        observer.join("observer");
        let mut got = got.lock().unwrap().clone();
        got.sort_unstable();
        if overflow == Overflow::Block {
            assert_eq!(got, kept, "seed {seed}: lost or repeated events");
        } else {
            let handed = got.len();
            got.dedup();
            assert_eq!(
                got.len(),
                handed,
                "{overflow:?} seed {seed}: repeated events"
            );
            assert!(
                got.iter().all(|id| kept.binary_search(id).is_ok()),
                "{overflow:?} seed {seed}: an event never sent"
            );
        }
        assert_eq!(closed.load(Ordering::Acquire), 1, "Closed handed out once");
        assert_eq!(id_number(&stream.last_event_id()), *kept.last().unwrap());
    }
}

/// A consumer that reads nothing until the server is done: `dropped` plus
/// what is handed out is what was sent, and the survivors are the first
/// (drop-newest) or the last (drop-oldest) `capacity` events.
#[test]
fn dropped_counts_exactly() {
    for overflow in [Overflow::DropNewest, Overflow::DropOldest] {
        for capacity in [1usize, 3, 64] {
            for comments in [false, true] {
                const N: u64 = 500;
                let body: String = (1..=N)
                    .map(|k| {
                        if comments && k % 2 == 0 {
                            format!(": {k}\n\n")
                        } else {
                            format!("id: {k}\ndata: {k}\n\n")
                        }
                    })
                    .collect();
                let (sent_tx, sent_rx) = crossbeam_channel::bounded::<()>(1);
                let server = Server::start(move |mut conn: Conn| {
                    let _ = conn.sse_head().and_then(|()| conn.write(&body));
                    let _ = sent_tx.send(());
                    conn.client_closed_within(PATIENCE);
                });
                let stream = Stream::builder(&server.url("/"))
                    .capacity(capacity)
                    .overflow(overflow)
                    .comments(comments)
                    .connect()
                    .unwrap();
                sent_rx.recv_timeout(PATIENCE).unwrap();
                // The reader has parsed all when dropped + queued = N.
                support::wait::until("the reader to parse everything", || {
                    stream.dropped() + capacity as u64 == N
                });
                std::thread::sleep(Duration::from_millis(50));
                let dropped = stream.dropped();
                let mut survivors = Vec::new();
                while let Ok(item) = stream.try_recv() {
                    match item {
                        Item::Event(event) => survivors.push(event.data().to_string()),
                        Item::Comment(text) => survivors.push(text),
                        _ => {}
                    }
                }
                let what = format!("{overflow:?} capacity {capacity} comments {comments}");
                assert_eq!(dropped + survivors.len() as u64, N, "{what}");
                let expected: Vec<String> = match overflow {
                    Overflow::DropNewest => (1..=capacity as u64).map(|k| k.to_string()).collect(),
                    _ => (N - capacity as u64 + 1..=N)
                        .map(|k| k.to_string())
                        .collect(),
                };
                let survivors: Vec<String> = survivors
                    .into_iter()
                    .map(|s| s.trim().to_string())
                    .collect();
                assert_eq!(survivors, expected, "{what}");
                let last = stream.last_event_id();
                let want = match (overflow, comments) {
                    (Overflow::DropNewest, false) => N,
                    (Overflow::DropNewest, true) => N - 1,
                    (_, false) => N,
                    (_, true) => N - 1,
                };
                assert_eq!(last, want.to_string(), "{what}");
                stream.close();
            }
        }
    }
}

/// A close that races with a receive discards the message the receiver took
/// out (`Next::Closing`): that event is never handed out. Yet the id change
/// published after it (an id-only block) then settles, so last_event_id
/// names an id past an event that was never handed out: a client resuming
/// from it loses the event.
#[test]
fn a_close_racing_a_receive_never_moves_last_event_id_past_the_discarded_event() {
    let server = Server::start(|mut conn: Conn| {
        let _ = conn
            .sse_head()
            .and_then(|()| conn.write("id: 1\ndata: a\n\nid: 2\n\n"));
        conn.client_closed_within(PATIENCE);
    });
    let mut raced = 0;
    for trial in 0..3000 {
        let stream = Arc::new(Stream::builder(&server.url("/")).connect().unwrap());
        // Connecting and Open first.
        for _ in 0..2 {
            let item = stream.recv_timeout(PATIENCE).unwrap();
            assert!(matches!(item, Item::Connecting { .. } | Item::Open { .. }));
        }
        // The event is queued and the id change published with it.
        support::wait::until("the event", || stream.queued_bytes() > 0);
        let barrier = Arc::new(std::sync::Barrier::new(2));
        let closer = {
            let (stream, barrier) = (Arc::clone(&stream), Arc::clone(&barrier));
            support::wait::spawn(move || {
                barrier.wait();
                for _ in 0..(trial % 50) {
                    std::hint::spin_loop();
                }
                stream.close();
            })
        };
        barrier.wait();
        let item = stream.try_recv();
        closer.join("closer");
        let handed_out_event = matches!(item, Ok(Item::Event(_)));
        let last = stream.last_event_id();
        if !handed_out_event {
            // Either close came first (the event stays queued) or it raced
            // with the receive (the event was taken out and discarded).
            if stream.queued_bytes() == 0 {
                raced += 1;
            }
            assert_eq!(
                last, "",
                "trial {trial}: the event with id 1 was never handed out ({item:?}), yet last_event_id is {last:?}"
            );
        }
    }
    println!("{raced} races hit");
}

/// Restarts asked for while the reader waits for room (Block, capacity 1)
/// and while it reads: every event arrives once, in order, and
/// last_event_id never goes backwards. The server resumes after
/// Last-Event-ID; between events it sends id-only blocks and comments.
#[test]
fn restarts_under_block_lose_and_repeat_nothing() {
    const N: u64 = 1500;
    let server = Server::start(|mut conn: Conn| {
        let from: u64 = conn
            .request
            .header("last-event-id")
            .map_or(0, |v| v.parse().unwrap());
        if conn.sse_head().is_err() {
            return;
        }
        let mut k = from + 1;
        while k <= N {
            let block = if k.is_multiple_of(5) {
                format!("id: {k}\n\n: c\n\n")
            } else {
                format!("id: {k}\ndata: {k}\n\n")
            };
            if conn.write(block).is_err() {
                return;
            }
            if k.is_multiple_of(16) {
                std::thread::sleep(Duration::from_micros(300));
            }
            k += 1;
        }
        conn.client_closed_within(PATIENCE);
    });
    let stream = Arc::new(
        support::items::quick(&server.url("/"))
            .capacity(1)
            .comments(true)
            .connect()
            .unwrap(),
    );
    let stop = Arc::new(AtomicBool::new(false));
    let restarter = {
        let (stream, stop) = (Arc::clone(&stream), Arc::clone(&stop));
        support::wait::spawn(move || {
            let mut n = 0;
            while !stop.load(Ordering::Acquire) {
                std::thread::sleep(Duration::from_millis(3));
                stream.restart();
                n += 1;
            }
            n
        })
    };
    let mut got = Vec::new();
    let mut last = 0;
    let mut rng = Rng(77);
    let want: Vec<u64> = (1..=N).filter(|k| k % 5 != 0).collect();
    while got.len() < want.len() {
        let item = stream.recv_timeout(PATIENCE).expect("stalled");
        if rng.next().is_multiple_of(64) {
            std::thread::sleep(Duration::from_millis(2));
        }
        if let Item::Event(event) = &item {
            let id = id_number(event.id());
            assert!(id > last, "event {id} after last_event_id {last}");
            got.push(id);
        }
        let now = id_number(&stream.last_event_id());
        assert!(now >= last, "went back from {last} to {now}");
        last = now;
    }
    stop.store(true, Ordering::Release);
    let restarts = restarter.join("restarter");
    println!("{restarts} restarts, {} connections", server.connections());
    assert_eq!(got, want);
}

/// The reader sends a batch and only then publishes the id change that
/// precedes the batch's first message (flush: `items.send`, then
/// `publish_next_id`). A receiver that takes the batch in between hands out
/// the event and records its id, then the older id change arrives and
/// settles over it: last_event_id goes back, and stays back when that
/// event was the last. Each read here is an id-only block followed by an
/// event with an id of its own.
#[test]
fn an_id_change_before_an_event_in_the_same_batch_never_sends_the_id_back() {
    const PAIRS: u64 = 2000;
    let server = Server::start(|mut conn: Conn| {
        let _ = conn.sse_head();
        for k in 0..PAIRS {
            let (a, b) = (2 * k + 1, 2 * k + 2);
            if conn
                .write(format!("id: {a}\n\nid: {b}\ndata: x\n\n"))
                .is_err()
            {
                return;
            }
            std::thread::sleep(Duration::from_micros(300));
        }
        conn.client_closed_within(PATIENCE);
    });
    let stream = Stream::builder(&server.url("/")).connect().unwrap();
    let mut last_event = 0u64;
    let deadline = std::time::Instant::now() + PATIENCE;
    while last_event < 2 * PAIRS {
        assert!(
            std::time::Instant::now() < deadline,
            "stalled at {last_event}"
        );
        match stream.try_recv() {
            Ok(Item::Event(event)) => last_event = id_number(event.id()),
            Ok(Item::Closed(reason)) => panic!("closed: {reason}"),
            Ok(_) => {}
            Err(_) => {}
        }
        let now = id_number(&stream.last_event_id());
        assert!(
            now >= last_event,
            "event {last_event} was handed out, then last_event_id went back to {now}"
        );
    }
}

/// The same race, last event of the stream: once the older id change has
/// settled over it, last_event_id stays one event behind for good, and a
/// client resuming from it gets event 2 again.
#[test]
fn the_last_event_handed_out_is_always_in_last_event_id() {
    let server = Server::start(|mut conn: Conn| {
        let _ = conn
            .sse_head()
            .and_then(|()| conn.write("id: 1\n\nid: 2\ndata: x\n\n"));
        conn.client_closed_within(PATIENCE);
    });
    for trial in 0..500 {
        let stream = Stream::builder(&server.url("/")).connect().unwrap();
        let deadline = std::time::Instant::now() + PATIENCE;
        loop {
            assert!(std::time::Instant::now() < deadline, "no event");
            if let Ok(Item::Event(event)) = stream.try_recv() {
                assert_eq!(event.id(), "2");
                break;
            }
        }
        std::thread::sleep(Duration::from_millis(5));
        assert_eq!(
            stream.last_event_id(),
            "2",
            "trial {trial}: event 2 was handed out and nothing followed"
        );
    }
}
