//! Streams through a real proxy (tinyproxy on 127.0.0.1): plain HTTP
//! forwarded with the proxy's credentials, TLS through CONNECT, the
//! credentials' absence refused by the proxy, and `no_proxy` bypassing it.
//! The environment variables are tested through ssecat (ssecat/tests).

mod support;

use std::sync::Arc;
use std::time::Duration;

use sselink::{CloseReason, Error, Event, Stream};
use support::server::{Conn, Server, PATIENCE};
use support::tinyproxy::Tinyproxy;
use support::tls::{https_server, test_ca};

const CREDENTIALS: Option<(&str, &str)> = Some(("user", "proxy-secret"));

fn held_open() -> Server {
    Server::start(|mut conn: Conn| {
        let _ = conn
            .sse_head()
            .and_then(|()| conn.write("data: through\n\n"));
        conn.client_closed_within(PATIENCE);
    })
}

#[test]
fn a_plain_stream_goes_through_the_proxy_with_its_credentials() {
    let proxy = Tinyproxy::start(CREDENTIALS);
    let server = held_open();
    let stream = Stream::builder(&server.url("/events"))
        .proxy(&proxy.url(CREDENTIALS))
        .reconnect(false)
        .connect()
        .unwrap();
    assert_eq!(first_data(&stream), Ok("through".to_string()));
    let request = server.request();
    assert_eq!(
        request.header("proxy-authorization"),
        None,
        "the proxy's alone"
    );
    // ureq tunnels plain HTTP through CONNECT too, so the server sees no Via:
    // the proof that the stream needs the proxy is that without it, it fails.
    let url = proxy.url(CREDENTIALS);
    drop(proxy);
    let gone = Stream::builder(&server.url("/events"))
        .proxy(&url)
        .reconnect(false)
        .connect()
        .unwrap();
    assert!(
        matches!(
            first_data(&gone),
            Err(CloseReason::Error(Error::ConnectionRefused(_)))
        ),
        "the proxy's port refuses"
    );
}

#[test]
fn without_credentials_the_proxy_refuses_and_the_stream_says_so() {
    let proxy = Tinyproxy::start(CREDENTIALS);
    let server = held_open();
    let stream = Stream::builder(&server.url("/events"))
        .proxy(&proxy.url(None))
        .reconnect(false)
        .connect()
        .unwrap();
    match first_data(&stream) {
        Err(CloseReason::Error(Error::Proxy(cause))) => {
            assert!(cause.to_string().contains("407"), "{cause}")
        }
        other => panic!("{other:?}"),
    }
    assert!(server.request_within(Duration::from_millis(200)).is_none());
}

#[test]
fn a_tls_stream_goes_through_connect() {
    let proxy = Tinyproxy::start(CREDENTIALS);
    let ca = test_ca();
    let url = https_server(Arc::clone(&ca.server_config));
    let through = Stream::builder(&url)
        .proxy(&proxy.url(CREDENTIALS))
        .root_certificate(ca.ca_pem.clone())
        .reconnect(false)
        .connect()
        .unwrap();
    assert_eq!(first_data(&through), Ok("secure".to_string()));
    // The same without credentials: the proxy refuses the CONNECT.
    let refused = Stream::builder(&url)
        .proxy(&proxy.url(None))
        .root_certificate(ca.ca_pem.clone())
        .reconnect(false)
        .connect()
        .unwrap();
    assert!(
        matches!(
            first_data(&refused),
            Err(CloseReason::Error(Error::Proxy(_)))
        ),
        "the proxy refuses the CONNECT"
    );
}

#[test]
fn no_proxy_bypasses_the_proxy() {
    let proxy = Tinyproxy::start(CREDENTIALS);
    let server = held_open();
    // Without credentials the proxy refuses, so success means it was bypassed.
    for hosts in ["*", "127.0.0.1", "localhost,127.0.0.1"] {
        let stream = Stream::builder(&server.url("/events"))
            .proxy(&proxy.url(None))
            .no_proxy(hosts)
            .reconnect(false)
            .connect()
            .unwrap();
        assert_eq!(first_data(&stream), Ok("through".to_string()), "{hosts}");
    }
}

/// The data of the next event, or why the stream closed first.
fn first_data(stream: &Stream) -> Result<String, CloseReason> {
    support::items::first_event(stream).map(Event::into_data)
}
