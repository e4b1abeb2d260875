//! HTTPS against a local server whose certificate a test CA signed: refused
//! with the bundled roots alone, accepted once the CA is added.

use std::io::{BufRead, BufReader, Write};
use std::net::TcpListener;
use std::sync::Arc;
use std::thread;
use std::time::Duration;

use rcgen::{BasicConstraints, CertificateParams, CertifiedIssuer, IsCa, KeyPair};
use rustls::pki_types::{CertificateDer, PrivateKeyDer, PrivatePkcs8KeyDer};
use sselink::{CloseReason, Error, Item, Stream};

struct TestCa {
    ca_pem: String,
    ca_der: Vec<u8>,
    server_config: Arc<rustls::ServerConfig>,
    /// The same server, asking every client for a certificate the CA signed.
    mutual_config: Arc<rustls::ServerConfig>,
    /// A client certificate the CA signed, PEM, and its key, PEM and DER.
    client_pem: String,
    client_key_pem: String,
    client_key_der: Vec<u8>,
}

fn test_ca() -> TestCa {
    let mut ca_params = CertificateParams::new(Vec::<String>::new()).unwrap();
    ca_params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    let ca = CertifiedIssuer::self_signed(ca_params, KeyPair::generate().unwrap()).unwrap();
    let server_key = KeyPair::generate().unwrap();
    let server_cert = CertificateParams::new(vec!["127.0.0.1".to_string()])
        .unwrap()
        .signed_by(&server_key, &ca)
        .unwrap();
    let client_key = KeyPair::generate().unwrap();
    let client_cert = CertificateParams::new(vec!["client".to_string()])
        .unwrap()
        .signed_by(&client_key, &ca)
        .unwrap();
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let chain = || vec![CertificateDer::from(server_cert.der().to_vec())];
    let key = || PrivateKeyDer::Pkcs8(PrivatePkcs8KeyDer::from(server_key.serialize_der()));
    let server_config = rustls::ServerConfig::builder_with_provider(Arc::clone(&provider))
        .with_safe_default_protocol_versions()
        .unwrap()
        .with_no_client_auth()
        .with_single_cert(chain(), key())
        .unwrap();
    let mut roots = rustls::RootCertStore::empty();
    roots.add(CertificateDer::from(ca.der().to_vec())).unwrap();
    let verifier =
        rustls::server::WebPkiClientVerifier::builder_with_provider(Arc::new(roots), Arc::clone(&provider))
            .build()
            .unwrap();
    let mutual_config = rustls::ServerConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .unwrap()
        .with_client_cert_verifier(verifier)
        .with_single_cert(chain(), key())
        .unwrap();
    TestCa {
        ca_pem: ca.pem(),
        ca_der: ca.der().to_vec(),
        server_config: Arc::new(server_config),
        mutual_config: Arc::new(mutual_config),
        client_pem: client_cert.pem(),
        client_key_pem: client_key.serialize_pem(),
        client_key_der: client_key.serialize_der(),
    }
}

/// An HTTPS event-stream server on 127.0.0.1; returns its URL.
fn https_server(config: Arc<rustls::ServerConfig>) -> String {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("https://{}/events", listener.local_addr().unwrap());
    thread::spawn(move || {
        for tcp in listener.incoming().flatten() {
            let config = Arc::clone(&config);
            thread::spawn(move || {
                let tls = rustls::ServerConnection::new(config).unwrap();
                let mut stream = rustls::StreamOwned::new(tls, tcp);
                let mut reader = BufReader::new(&mut stream);
                let mut line = String::new();
                // Read the request head; a failed handshake ends here.
                while reader.read_line(&mut line).map(|n| n > 0).unwrap_or(false) {
                    if line == "\r\n" {
                        break;
                    }
                    line.clear();
                }
                let _ = stream.write_all(
                    b"HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\n\r\ndata: secure\n\n",
                );
                let _ = stream.flush();
                thread::sleep(Duration::from_millis(500));
            });
        }
    });
    url
}

fn first_event_or_close(stream: &Stream) -> Result<String, CloseReason> {
    loop {
        match stream
            .recv_timeout(Duration::from_secs(10))
            .expect("no item in time")
        {
            Item::Event(event) => return Ok(event.into_data()),
            Item::Closed(reason) => return Err(reason),
            _ => {}
        }
    }
}

#[test]
fn a_server_signed_by_an_unknown_ca_is_rejected() {
    let ca = test_ca();
    let url = https_server(ca.server_config);
    let stream = Stream::builder(&url).reconnect(false).connect().unwrap();
    match first_event_or_close(&stream) {
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
        assert_eq!(first_event_or_close(&stream), Ok("secure".to_string()));
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
    match first_event_or_close(&stream) {
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
    match first_event_or_close(&without) {
        Err(CloseReason::Error(Error::Tls(_) | Error::ConnectionReset(_))) => {}
        other => panic!("expected a refused handshake, got {other:?}"),
    }
    for key in [ca.client_key_pem.clone().into_bytes(), ca.client_key_der.clone()] {
        let with = Stream::builder(&url)
            .reconnect(false)
            .root_certificate(ca.ca_pem.clone())
            .client_certificate(ca.client_pem.clone(), key)
            .connect()
            .unwrap();
        assert_eq!(first_event_or_close(&with), Ok("secure".to_string()));
    }
}

#[test]
fn a_client_key_that_does_not_match_its_use_is_refused_when_set() {
    let ca = test_ca();
    let builder = Stream::builder("https://127.0.0.1:1/")
        .client_certificate(ca.client_pem.clone(), b"-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n".to_vec());
    assert!(
        matches!(builder.error(), Some(Error::InvalidConfig(m)) if m.contains("client key")),
        "{:?}",
        builder.error()
    );
}
