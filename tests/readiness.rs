//! The readiness descriptor (docs/behaviour.md §8): readable while items
//! wait, unreadable once a receive finds the channel empty, readable again
//! for the next item and when the stream finishes.

#![cfg(unix)]

mod support;

use std::io::{ErrorKind, Read};
use std::os::fd::AsFd;
use std::os::unix::net::UnixStream;
use std::time::{Duration, Instant};

use sselink::{Item, Stream, TryRecvError};
use support::server::{Conn, Server, PATIENCE};

/// True when a byte is pending on (a duplicate of) the descriptor, which it
/// consumes; the descriptor is non-blocking, so an empty one answers
/// WouldBlock. The test drains the channel after every true answer, as a
/// program must.
fn readable(fd: &UnixStream) -> bool {
    let mut byte = [0u8; 1];
    match (&*fd).read(&mut byte) {
        Ok(n) => n > 0,
        Err(e) if e.kind() == ErrorKind::WouldBlock => false,
        Err(e) => panic!("{e}"),
    }
}

/// Polls `readable` every millisecond, for at most PATIENCE.
fn wait_readable(fd: &UnixStream) {
    let deadline = Instant::now() + PATIENCE;
    while !readable(fd) {
        assert!(Instant::now() < deadline, "never readable");
        std::thread::sleep(Duration::from_millis(1));
    }
}

#[test]
fn readable_while_items_wait_and_when_the_stream_finishes() {
    let (go, released) = crossbeam_channel::bounded::<()>(0);
    let server = Server::start(move |mut conn: Conn| {
        let _ = conn.sse_head().and_then(|()| conn.write("data: one\n\n"));
        let _ = released.recv();
        let _ = conn.write("data: two\n\n");
        conn.end();
    });
    let stream = Stream::builder(&server.url("/"))
        .reconnect(false)
        .connect()
        .unwrap();
    let readiness = stream.readiness().unwrap();
    let same = stream.readiness().unwrap();
    assert_eq!(
        std::os::fd::AsRawFd::as_raw_fd(readiness),
        std::os::fd::AsRawFd::as_raw_fd(same)
    );
    // The raw descriptor (what the C interface hands out) is the one this
    // test waits on through AsFd. Kills the mutant of
    // `<impl AsRawFd for Readiness>::as_raw_fd` that returns 0.
    assert_eq!(
        std::os::fd::AsRawFd::as_raw_fd(readiness),
        std::os::fd::AsRawFd::as_raw_fd(&readiness.as_fd())
    );
    let fd = UnixStream::from(readiness.as_fd().try_clone_to_owned().unwrap());

    // Wait, then drain until empty, until the first event has come.
    let mut items = Vec::new();
    while !items
        .iter()
        .any(|i| matches!(i, Item::Event(e) if e.data() == "one"))
    {
        wait_readable(&fd);
        loop {
            match stream.try_recv() {
                Ok(item) => items.push(item),
                Err(TryRecvError::Empty) => break,
                Err(TryRecvError::Closed) => panic!("closed early"),
            }
        }
    }
    assert!(!readable(&fd), "an empty channel is not readable");

    go.send(()).unwrap();
    wait_readable(&fd);
    let mut rest = Vec::new();
    loop {
        match stream.try_recv() {
            Ok(item) => rest.push(item),
            Err(TryRecvError::Empty) => wait_readable(&fd),
            Err(TryRecvError::Closed) => break,
        }
    }
    assert!(rest
        .iter()
        .any(|i| matches!(i, Item::Event(e) if e.data() == "two")));
    assert!(matches!(rest.last(), Some(Item::Closed(_))));
}
