//! HTTPS against a local server whose certificate a test CA signed: refused
//! with the bundled roots alone, accepted once the CA is added; client
//! certificates, checked against their key when set; redirects from https
//! to http refused unless allowed.

mod support;

use std::sync::Arc;
use std::time::Duration;

use sselink::{CloseReason, Error, Item, Stream};
use support::items::first_data;
use support::server::{sse_then_close, Server};
use support::tls::{bad_certificates, https_server, https_server_answering, test_ca};

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

/// The first item that is a retry or the close, skipping the rest.
fn retry_or_close(stream: &Stream) -> Item {
    loop {
        let item = support::items::next(stream);
        if matches!(item, Item::Retrying { .. } | Item::Closed(_)) {
            return item;
        }
    }
}

#[test]
fn a_certificate_failure_closes_the_stream_at_once_by_default() {
    let ca = test_ca();
    let url = https_server(ca.server_config);
    // Reconnecting is on, quickly: only the certificate's failure being
    // final makes the stream close.
    let stream = support::items::quick(&url).connect().unwrap();
    match retry_or_close(&stream) {
        Item::Closed(CloseReason::Error(Error::Tls(_))) => {}
        other => panic!("expected a final TLS error, got {other:?}"),
    }
}

#[test]
fn retry_tls_errors_keeps_retrying_certificate_failures() {
    let ca = test_ca();
    let url = https_server(ca.server_config);
    let stream = support::items::quick(&url)
        .retry_tls_errors(true)
        .max_attempts(2)
        .connect()
        .unwrap();
    for _ in 0..2 {
        match retry_or_close(&stream) {
            Item::Retrying {
                error: Error::Tls(_),
                ..
            } => {}
            other => panic!("expected a retried TLS error, got {other:?}"),
        }
    }
    match retry_or_close(&stream) {
        Item::Closed(CloseReason::Error(Error::AttemptsExhausted { last, .. })) => {
            assert!(matches!(*last, Error::Tls(_)), "{last}")
        }
        other => panic!("expected the attempts to run out, got {other:?}"),
    }
}

#[test]
fn a_post_meeting_a_certificate_failure_ends_at_once() {
    let ca = test_ca();
    let url = https_server(Arc::clone(&ca.server_config));
    let stream = Stream::builder("http://127.0.0.1:9/events")
        .reconnect(false)
        .post_url(&url)
        .post_delay(Duration::from_millis(10), Duration::from_millis(10))
        .connect()
        .unwrap();
    match stream.post("{}") {
        Err(Error::Tls(cause)) => assert!(cause.to_string().contains("root_certificate")),
        other => panic!("expected a final TLS error, got {other:?}"),
    }
    let retrying = Stream::builder("http://127.0.0.1:9/events")
        .reconnect(false)
        .post_url(&url)
        .post_attempts(2)
        .post_delay(Duration::from_millis(10), Duration::from_millis(10))
        .retry_tls_errors(true)
        .connect()
        .unwrap();
    match retrying.post("{}") {
        Err(Error::AttemptsExhausted { attempts: 2, last }) => {
            assert!(matches!(*last, Error::Tls(_)), "{last}")
        }
        other => panic!("expected the attempts to run out, got {other:?}"),
    }
}

/// The message of the TLS error a stream of `url` closes with.
fn tls_message(url: &str, root: Option<&str>) -> String {
    let mut builder = Stream::builder(url);
    if let Some(root) = root {
        builder = builder.root_certificate(root);
    }
    let stream = builder.connect().unwrap();
    match support::items::close_error(&stream) {
        error @ Error::Tls(_) => error.to_string(),
        other => panic!("expected a TLS error, got {other:?}"),
    }
}

#[test]
fn certificate_failures_read_as_sentences_that_say_what_to_do() {
    let ca = test_ca();
    let unknown = tls_message(&https_server(Arc::clone(&ca.server_config)), None);
    assert!(
        unknown.contains("not issued by an authority sselink trusts")
            && unknown.contains("root_certificate"),
        "{unknown}"
    );
    let wrong_name = tls_message(
        &https_server(Arc::clone(&ca.wrong_name_config)),
        Some(&ca.ca_pem),
    );
    assert!(
        wrong_name.contains("is for wrong.example, not for 127.0.0.1"),
        "{wrong_name}"
    );
    let bad = bad_certificates();
    let ca_as_server = tls_message(
        &https_server(Arc::clone(&bad.ca_as_server)),
        Some(&bad.ca_pem),
    );
    assert!(
        ca_as_server.contains("is a CA certificate") && !ca_as_server.contains("CaUsedAsEndEntity"),
        "{ca_as_server}"
    );
    let expired = tls_message(&https_server(Arc::clone(&bad.expired)), Some(&bad.ca_pem));
    assert!(
        expired.contains("expired") && expired.contains("renew"),
        "{expired}"
    );
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
