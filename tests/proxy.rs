//! Streams through a real proxy (tinyproxy on 127.0.0.1): plain HTTP
//! forwarded with the proxy's credentials, TLS through CONNECT, the
//! credentials' absence refused by the proxy, and `no_proxy` bypassing it
//! as curl's rules say. Scripted proxies (tests/support/proxy.rs) for what
//! tinyproxy cannot do: TLS to the proxy, SOCKS5, a final 407, garbage.
//! The environment variables are tested through ssecat (ssecat/tests).

mod support;

use std::sync::Arc;
use std::time::Duration;

use sselink::{CloseReason, Error, Item, Stream};
use support::items::{close_error, first_data, quick};
use support::proxy::{ipv6_sse_server, Answer, Proxy};
use support::server::{sse_then_hold, Server, PATIENCE};
use support::tinyproxy::Tinyproxy;
use support::tls::{https_server, test_ca};

const CREDENTIALS: Option<(&str, &str)> = Some(("user", "proxy-secret"));

/// A server that sends one event, `through`, and holds the stream open.
fn through() -> Server {
    Server::start(sse_then_hold("data: through\n\n"))
}

#[test]
fn a_plain_stream_goes_through_the_proxy_with_its_credentials() {
    let proxy = Tinyproxy::start(CREDENTIALS);
    let server = through();
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
    let server = through();
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
fn no_proxy_bypasses_the_proxy_as_curl_matches_hosts() {
    let proxy = Tinyproxy::start(CREDENTIALS);
    let server = through();
    // Without credentials the proxy refuses, so success means it was bypassed.
    for hosts in [
        "*",
        " * ",
        "127.0.0.1",
        "localhost,127.0.0.1",
        "localhost, 127.0.0.1",
        "example.com 127.0.0.1",
        "127.0.0.0/8",
        "127.0.0.1/32",
    ] {
        let stream = Stream::builder(&server.url("/events"))
            .proxy(&proxy.url(None))
            .no_proxy(hosts)
            .reconnect(false)
            .connect()
            .unwrap();
        assert_eq!(first_data(&stream), Ok("through".to_string()), "{hosts:?}");
    }
    // Hosts not listed go through the proxy, which refuses.
    for hosts in ["127.0.0.2", "10.0.0.0/8", "localhost", "*,localhost", ""] {
        let stream = Stream::builder(&server.url("/events"))
            .proxy(&proxy.url(None))
            .no_proxy(hosts)
            .reconnect(false)
            .connect()
            .unwrap();
        assert!(
            matches!(
                first_data(&stream),
                Err(CloseReason::Error(Error::Proxy(_)))
            ),
            "{hosts:?} sent the stream direct"
        );
    }
}

#[test]
fn no_proxy_matches_an_ipv6_host_with_or_without_brackets() {
    let Some(port) = ipv6_sse_server("data: six\n\n") else {
        eprintln!("skipped: no IPv6 loopback");
        return;
    };
    let proxy = Proxy::connect(None, Answer::Status(403));
    for hosts in ["::1", "[::1]", "::1/128", "::/0"] {
        let stream = Stream::builder(&format!("http://[::1]:{port}/events"))
            .proxy(&proxy.url("http", None))
            .no_proxy(hosts)
            .reconnect(false)
            .connect()
            .unwrap();
        assert_eq!(first_data(&stream), Ok("six".to_string()), "{hosts:?}");
    }
    assert!(proxy.asked_so_far().is_empty(), "the proxy was bypassed");
}

#[test]
fn a_proxy_that_answers_407_is_asked_once_and_the_stream_closes() {
    let proxy = Proxy::connect(None, Answer::Status(407));
    let server = through();
    let stream = quick(&server.url("/events"))
        .proxy(&proxy.url("http", Some(("user", "wrong"))))
        .connect()
        .unwrap();
    let error = loop {
        match stream.recv_timeout(PATIENCE).unwrap() {
            Item::Retrying { error, .. } => panic!("a 407 was retried: {error}"),
            Item::Closed(CloseReason::Error(error)) => break error,
            Item::Closed(other) => panic!("{other}"),
            _ => {}
        }
    };
    assert!(matches!(&error, Error::Proxy(_)), "{error:?}");
    assert!(error.to_string().contains("407"), "{error}");
    // The reader has exited: whatever the proxy saw, it saw already.
    proxy.asked();
    assert!(proxy.asked_so_far().is_empty(), "credentials sent again");
    assert!(server.request_within(Duration::from_millis(100)).is_none());
}

#[test]
fn a_post_stops_at_a_407_from_the_proxy() {
    let proxy = Proxy::connect(None, Answer::Status(407));
    let server = through();
    let stream = quick(&server.url("/stream"))
        .proxy(&proxy.url("http", None))
        .max_attempts(2)
        .post_attempts(5)
        .post_delay(Duration::from_millis(1), Duration::from_millis(1))
        .connect()
        .unwrap();
    // The stream closes on its 407 (one CONNECT); the post stops at its own.
    assert!(matches!(close_error(&stream), Error::Proxy(_)));
    let result = stream.post(b"{}");
    assert!(matches!(result, Err(Error::Proxy(_))), "{result:?}");
    assert_eq!(proxy.asked_so_far().len(), 2, "the post asked again");
}

#[test]
fn a_proxy_that_answers_garbage_is_a_proxy_error() {
    let server = through();
    let connect = Proxy::connect(None, Answer::Garbage);
    let socks = Proxy::socks5(None, Answer::Garbage);
    for url in [connect.url("http", None), socks.url("socks5", None)] {
        let stream = Stream::builder(&server.url("/events"))
            .proxy(&url)
            .reconnect(false)
            .connect()
            .unwrap();
        let error = close_error(&stream);
        assert!(matches!(error, Error::Proxy(_)), "{url}: {error:?}");
    }
}

#[test]
fn an_https_proxy_never_sees_the_client_certificate() {
    let ca = test_ca();
    // The server requires the client's certificate; the proxy asks for one.
    let url = https_server(Arc::clone(&ca.mutual_config));
    let proxy = Proxy::connect(Some(Arc::clone(&ca.proxy_config)), Answer::Tunnel);
    let stream = Stream::builder(&url)
        .proxy(&proxy.url("https", Some(("user", "pw"))))
        .root_certificate(ca.ca_pem.clone())
        .client_certificate(ca.client_pem.clone(), ca.client_key_pem.clone())
        .reconnect(false)
        .connect()
        .unwrap();
    assert_eq!(
        first_data(&stream),
        Ok("secure".to_string()),
        "the server got the certificate through the tunnel"
    );
    let asked = proxy.asked();
    assert!(asked.target.starts_with("127.0.0.1:"), "{asked:?}");
    assert!(
        asked
            .headers
            .iter()
            .any(|h| h.starts_with("Proxy-Authorization: Basic ")),
        "{asked:?}"
    );
    assert!(
        !asked.client_certificate,
        "the proxy saw the origin's client certificate"
    );
}

#[test]
fn a_socks5_proxy_carries_plain_and_tls_streams() {
    let server = through();
    let proxy = Proxy::socks5(Some(("user", "pw")), Answer::Tunnel);
    for scheme in ["socks5", "socks5h", "socks"] {
        let stream = Stream::builder(&server.url("/events"))
            .proxy(&proxy.url(scheme, Some(("user", "pw"))))
            .reconnect(false)
            .connect()
            .unwrap();
        assert_eq!(first_data(&stream), Ok("through".to_string()), "{scheme}");
        let asked = proxy.asked();
        assert_eq!(asked.headers, vec!["user".to_string()], "{scheme}");
        assert_eq!(asked.target, server.addr().to_string(), "{scheme}");
    }
    let ca = test_ca();
    let url = https_server(Arc::clone(&ca.server_config));
    let secure = Stream::builder(&url)
        .proxy(&proxy.url("socks5h", Some(("user", "pw"))))
        .root_certificate(ca.ca_pem.clone())
        .reconnect(false)
        .connect()
        .unwrap();
    assert_eq!(first_data(&secure), Ok("secure".to_string()));
    // Wrong credentials: refused for good, not retried.
    let refused = quick(&server.url("/events"))
        .proxy(&proxy.url("socks5", Some(("user", "wrong"))))
        .max_attempts(2)
        .connect()
        .unwrap();
    let error = close_error(&refused);
    assert!(matches!(error, Error::Proxy(_)), "{error:?}");
}
