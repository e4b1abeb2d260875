//! HTTPS against a local server whose certificate a test CA signed: refused
//! with the bundled roots alone, accepted once the CA is added; client
//! certificates, checked against their key when set; redirects from https
//! to http refused unless allowed.

mod support;

use std::sync::Arc;
use std::time::Duration;

use sselink::{CloseReason, Error, Event, Stream};
use support::server::{sse_then_close, Server};
use support::tls::{https_server, https_server_answering, test_ca};

#[test]
fn a_server_signed_by_an_unknown_ca_is_rejected() {
    let ca = test_ca();
    let url = https_server(ca.server_config);
    let stream = Stream::builder(&url).reconnect(false).connect().unwrap();
    match first_data(&stream) {
        Err(CloseReason::Error(error @ Error::Tls(_))) => {
            let cause = std::error::Error::source(&error).expect("the TLS error is kept");
            let text = cause.to_string().to_lowercase();
            assert!(
                text.contains("certificate") || text.contains("unknownissuer"),
                "{cause}"
            )
        }
        other => panic!("expected a certificate error, got {other:?}"),
    }
}

#[test]
fn the_same_server_is_accepted_with_the_test_ca_in_pem_or_der() {
    let ca = test_ca();
    let url = https_server(Arc::clone(&ca.server_config));
    for root in [ca.ca_pem.clone().into_bytes(), ca.ca_der.clone()] {
        let stream = Stream::builder(&url)
            .reconnect(false)
            .root_certificate(root)
            .connect()
            .unwrap();
        assert_eq!(first_data(&stream), Ok("secure".to_string()));
    }
}

#[test]
fn platform_roots_do_not_trust_the_test_ca() {
    let ca = test_ca();
    let url = https_server(ca.server_config);
    let stream = Stream::builder(&url)
        .reconnect(false)
        .platform_roots(true)
        .connect()
        .unwrap();
    match first_data(&stream) {
        Err(CloseReason::Error(Error::Tls(_))) => {}
        other => panic!("expected a certificate error, got {other:?}"),
    }
}

#[test]
fn a_server_that_requires_a_client_certificate_refuses_without_and_accepts_with() {
    let ca = test_ca();
    let url = https_server(Arc::clone(&ca.mutual_config));
    let without = Stream::builder(&url)
        .reconnect(false)
        .root_certificate(ca.ca_pem.clone())
        .connect()
        .unwrap();
    match first_data(&without) {
        Err(CloseReason::Error(Error::Tls(_) | Error::ConnectionReset(_))) => {}
        other => panic!("expected a refused handshake, got {other:?}"),
    }
    for key in [
        ca.client_key_pem.clone().into_bytes(),
        ca.client_key_der.clone(),
    ] {
        let with = Stream::builder(&url)
            .reconnect(false)
            .root_certificate(ca.ca_pem.clone())
            .client_certificate(ca.client_pem.clone(), key)
            .connect()
            .unwrap();
        assert_eq!(first_data(&with), Ok("secure".to_string()));
    }
}

#[test]
fn a_client_key_that_does_not_match_its_use_is_refused_when_set() {
    let ca = test_ca();
    let builder = Stream::builder("https://127.0.0.1:1/").client_certificate(
        ca.client_pem.clone(),
        b"-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n".to_vec(),
    );
    assert!(
        matches!(builder.error(), Some(Error::InvalidConfig(m)) if m.contains("client key")),
        "{:?}",
        builder.error()
    );
}

#[test]
fn a_key_that_does_not_belong_to_the_certificate_is_refused_when_set() {
    let ca = test_ca();
    let url = https_server(Arc::clone(&ca.mutual_config));
    let builder = Stream::builder(&url)
        .root_certificate(ca.ca_pem.clone())
        .client_certificate(ca.client_pem.clone(), ca.other_key_pem.clone())
        .reconnect(false);
    match builder.error() {
        Some(Error::InvalidConfig(m)) => assert!(
            m.contains("client key") && m.contains("does not belong to the certificate"),
            "{m}"
        ),
        other => panic!("accepted a key of another certificate: {other:?}"),
    }
    // And so connect refuses it, before a reader could stumble on it.
    assert!(matches!(builder.connect(), Err(Error::InvalidConfig(_))));
}

#[test]
fn a_redirect_from_https_to_http_is_refused_unless_allowed() {
    let plain = Server::start(sse_then_close("data: clear text\n\n"));
    let ca = test_ca();
    let url = https_server_answering(
        Arc::clone(&ca.server_config),
        format!(
            "HTTP/1.1 307 Temporary Redirect\r\nLocation: {}\r\nContent-Length: 0\r\n\r\n",
            plain.url("/events?token=SECRET")
        ),
    );
    let refused = Stream::builder(&url)
        .root_certificate(ca.ca_pem.clone())
        .method("POST")
        .body("the body")
        .reconnect(false)
        .connect()
        .unwrap();
    match first_data(&refused) {
        Err(CloseReason::Error(Error::Redirect(m))) => assert!(
            m.contains("clear text") && m.contains("insecure_redirects") && !m.contains("SECRET"),
            "{m}"
        ),
        other => panic!("expected a refused redirect, got {other:?}"),
    }
    assert!(
        plain.request_within(Duration::from_millis(100)).is_none(),
        "the http server was reached"
    );
    let allowed = Stream::builder(&url)
        .root_certificate(ca.ca_pem.clone())
        .insecure_redirects(true)
        .reconnect(false)
        .connect()
        .unwrap();
    assert_eq!(first_data(&allowed), Ok("clear text".to_string()));
}

/// The data of the next event, or why the stream closed first.
fn first_data(stream: &Stream) -> Result<String, CloseReason> {
    support::items::first_event(stream).map(Event::into_data)
}
