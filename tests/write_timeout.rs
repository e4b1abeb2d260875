//! Writing a request is bounded (docs/behaviour.md §5.1): a server that
//! accepts the connection and never reads a large request body holds a
//! stream or a post for at most the connect timeout per stalled write; then
//! the stream reconnects and the post tries again. Plain HTTP and TLS.

mod support;

use std::net::{TcpListener, TcpStream};
use std::sync::Arc;
use std::thread;
use std::time::Duration;

use crossbeam_channel::{unbounded, Receiver};
use sselink::{Error, Item, Stream};
use support::items::quick;
use support::server::PATIENCE;
use support::tls::test_ca;

/// Larger than what the kernel buffers on loopback, so writing it stalls.
const BODY: usize = 16 << 20;

const CONNECT_TIMEOUT: Duration = Duration::from_millis(300);

/// A listener on 127.0.0.1 whose connections are accepted and never read;
/// with `tls`, each first completes a TLS handshake. Each accepted
/// connection is announced, and held until the test ends.
fn never_reading(tls: Option<Arc<rustls::ServerConfig>>) -> (String, Receiver<()>) {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    // A small receive window, so that little of the body is buffered.
    socket2::SockRef::from(&listener)
        .set_recv_buffer_size(4096)
        .unwrap();
    let scheme = if tls.is_some() { "https" } else { "http" };
    let url = format!("{scheme}://{}/events", listener.local_addr().unwrap());
    let (accepted, announced) = unbounded();
    thread::spawn(move || {
        let mut held: Vec<TcpStream> = Vec::new();
        for mut tcp in listener.incoming().flatten() {
            if let Some(config) = &tls {
                let mut server = rustls::ServerConnection::new(Arc::clone(config)).unwrap();
                while server.is_handshaking() {
                    if server.complete_io(&mut tcp).is_err() {
                        break;
                    }
                }
                // The connection state is dropped: the socket is never read again.
            }
            held.push(tcp);
            if accepted.send(()).is_err() {
                return;
            }
        }
    });
    (url, announced)
}

/// The next retry's error, failing if the stream opens or closes first.
fn retry_error(stream: &Stream) -> Error {
    loop {
        match stream.recv_timeout(PATIENCE).expect("no retry in time") {
            Item::Retrying { error, .. } => return error,
            Item::Connecting { .. } => {}
            other => panic!("expected a retry, got {other:?}"),
        }
    }
}

/// The stalled write's error: a network error that says what happened.
fn assert_stalled_write(error: &Error) {
    assert!(matches!(error, Error::Network(_)), "{error:?}");
    let text = error.to_string();
    assert!(
        text.contains("took no bytes of the request") && text.contains("connect timeout"),
        "{text}"
    );
}

fn stream_with_a_large_body(url: &str, root: Option<String>) -> Stream {
    let mut builder = quick(url)
        .method("POST")
        .body(vec![b'x'; BODY])
        .connect_timeout(CONNECT_TIMEOUT);
    if let Some(root) = root {
        builder = builder.root_certificate(root);
    }
    builder.connect().unwrap()
}

#[test]
fn a_stream_whose_body_is_never_read_reconnects_over_http() {
    let (url, accepted) = never_reading(None);
    let stream = stream_with_a_large_body(&url, None);
    accepted
        .recv_timeout(PATIENCE)
        .expect("the first connection");
    assert_stalled_write(&retry_error(&stream));
    accepted
        .recv_timeout(PATIENCE)
        .expect("the stream reconnects after the stalled write");
    assert_stalled_write(&retry_error(&stream));
}

#[test]
fn a_stream_whose_body_is_never_read_reconnects_over_tls() {
    let ca = test_ca();
    let (url, accepted) = never_reading(Some(Arc::clone(&ca.server_config)));
    let stream = stream_with_a_large_body(&url, Some(ca.ca_pem.clone()));
    accepted
        .recv_timeout(PATIENCE)
        .expect("the first connection");
    assert_stalled_write(&retry_error(&stream));
    accepted
        .recv_timeout(PATIENCE)
        .expect("the stream reconnects after the stalled write");
}

/// A stream whose reader retries a refused port in the background, posting
/// to `post_url` twice at most, each attempt's writes bounded by the connect
/// timeout, the whole post by PATIENCE.
fn post_unread(post_url: &str, root: Option<String>) -> Result<sselink::PostResponse, Error> {
    let mut builder = Stream::builder("http://127.0.0.1:9/events/stream")
        .reconnect_delay(Duration::from_secs(30), Duration::from_secs(30))
        .post_url(post_url)
        .post_attempts(2)
        .post_delay(Duration::from_millis(10), Duration::from_millis(10))
        .post_timeout(PATIENCE)
        .connect_timeout(CONNECT_TIMEOUT);
    if let Some(root) = root {
        builder = builder.root_certificate(root);
    }
    let stream = builder.connect().unwrap();
    stream.post(vec![b'1'; BODY])
}

fn assert_attempts_stalled(result: Result<sselink::PostResponse, Error>) {
    match result {
        Err(Error::AttemptsExhausted { attempts, last }) => {
            assert_eq!(attempts, 2);
            assert_stalled_write(&last);
        }
        other => panic!("expected both attempts to stall, got {other:?}"),
    }
}

fn assert_one_connection_per_attempt(accepted: &Receiver<()>) {
    for attempt in 1..=2 {
        accepted
            .recv_timeout(PATIENCE)
            .unwrap_or_else(|_| panic!("no connection for attempt {attempt}"));
    }
    assert!(accepted.try_recv().is_err(), "a third connection");
}

#[test]
fn a_post_whose_body_is_never_read_is_retried_over_http() {
    let (url, accepted) = never_reading(None);
    assert_attempts_stalled(post_unread(&url, None));
    assert_one_connection_per_attempt(&accepted);
}

#[test]
fn a_post_whose_body_is_never_read_is_retried_over_tls() {
    let ca = test_ca();
    let (url, accepted) = never_reading(Some(Arc::clone(&ca.server_config)));
    assert_attempts_stalled(post_unread(&url, Some(ca.ca_pem.clone())));
    assert_one_connection_per_attempt(&accepted);
}
