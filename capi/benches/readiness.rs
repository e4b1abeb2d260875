//! What the readiness descriptor costs: events per second of 64-byte events
//! from a loopback flood, received with blocking `recv` (no descriptor)
//! against an event loop that waits in poll(2) on the descriptor and drains
//! with `try_recv`. Run with `cargo bench -p sselink-capi --bench readiness`;
//! results in benches/README.md. (It lives in the C ABI crate because
//! calling poll(2) takes `unsafe`, which the core crate forbids.)

use std::io::{Read, Write};
use std::net::TcpListener;
use std::os::fd::AsRawFd;
use std::time::Instant;

use sselink_core::{Item, Stream, TryRecvError};

const EVENTS: usize = 2_000_000;
const RUNS: usize = 5;

/// A server that sends EVENTS events of 64 bytes of data, then ends.
fn flood() -> String {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}/", listener.local_addr().unwrap());
    std::thread::spawn(move || {
        for socket in listener.incoming() {
            let mut socket = socket.unwrap();
            let _ = socket.read(&mut [0u8; 4096]);
            let event = format!("data: {}\n\n", "x".repeat(64));
            let batch: String = (0..1000).map(|_| event.as_str()).collect();
            let _ = socket.write_all(b"HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\n\r\n");
            for _ in 0..EVENTS / 1000 {
                if socket.write_all(batch.as_bytes()).is_err() {
                    break;
                }
            }
        }
    });
    url
}

fn stream(url: &str) -> Stream {
    Stream::builder(url).reconnect(false).connect().unwrap()
}

/// Events per second, receiving with blocking `recv`.
fn blocking(url: &str) -> f64 {
    let stream = stream(url);
    let started = Instant::now();
    let mut events = 0;
    while let Ok(item) = stream.recv() {
        if let Item::Event(_) = item {
            events += 1;
        }
    }
    assert_eq!(events, EVENTS);
    events as f64 / started.elapsed().as_secs_f64()
}

/// Events per second, waiting in poll(2) on the readiness descriptor.
fn event_loop(url: &str) -> f64 {
    let stream = stream(url);
    let fd = stream.readiness().unwrap().as_raw_fd();
    let started = Instant::now();
    let mut events = 0;
    'outer: loop {
        let mut pollfd = libc::pollfd {
            fd,
            events: libc::POLLIN,
            revents: 0,
        };
        // SAFETY: `pollfd` is a valid array of one entry for the call.
        let ready = unsafe { libc::poll(&mut pollfd, 1, 10_000) };
        assert!(ready > 0, "no wakeup within 10 s");
        loop {
            match stream.try_recv() {
                Ok(Item::Event(_)) => events += 1,
                Ok(_) => {}
                Err(TryRecvError::Empty) => break,
                Err(TryRecvError::Closed) => break 'outer,
            }
        }
    }
    assert_eq!(events, EVENTS);
    events as f64 / started.elapsed().as_secs_f64()
}

fn median(mut samples: Vec<f64>) -> f64 {
    samples.sort_by(f64::total_cmp);
    samples[samples.len() / 2]
}

fn main() {
    let url = flood();
    let (mut plain, mut polled) = (Vec::new(), Vec::new());
    for _ in 0..RUNS {
        plain.push(blocking(&url));
        polled.push(event_loop(&url));
    }
    let (plain, polled) = (median(plain), median(polled));
    println!("| receiving 64 B events | events/s (median of {RUNS}) |");
    println!("|---|---:|");
    println!("| blocking recv, no descriptor | {:.0} |", plain);
    println!(
        "| poll(2) on the readiness descriptor, then try_recv | {:.0} |",
        polled
    );
    println!(
        "\nthe descriptor costs {:.1} % of the blocking throughput",
        (1.0 - polled / plain) * 100.0
    );
}
