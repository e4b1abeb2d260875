//! A test certificate authority and an HTTPS event-stream server on
//! 127.0.0.1 whose certificate it signed.

use std::io::{BufRead, BufReader, Write};
use std::net::TcpListener;
use std::sync::Arc;
use std::thread;
use std::time::Duration;

use rcgen::{BasicConstraints, CertificateParams, CertifiedIssuer, IsCa, KeyPair};
use rustls::pki_types::{CertificateDer, PrivateKeyDer, PrivatePkcs8KeyDer};

pub struct TestCa {
    pub ca_pem: String,
    pub ca_der: Vec<u8>,
    pub server_config: Arc<rustls::ServerConfig>,
    /// The same server, asking every client for a certificate the CA signed.
    pub mutual_config: Arc<rustls::ServerConfig>,
    /// A server whose certificate the CA signed for another name.
    pub wrong_name_config: Arc<rustls::ServerConfig>,
    /// A client certificate the CA signed, PEM, and its key, PEM and DER.
    pub client_pem: String,
    pub client_key_pem: String,
    pub client_key_der: Vec<u8>,
    /// A key of the same kind that belongs to no certificate here, PEM.
    pub other_key_pem: String,
    /// A proxy's server side: the server's certificate, asking clients for
    /// one of theirs without requiring it.
    pub proxy_config: Arc<rustls::ServerConfig>,
}

pub fn test_ca() -> TestCa {
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
    let wrong_key = KeyPair::generate().unwrap();
    let wrong_cert = CertificateParams::new(vec!["wrong.example".to_string()])
        .unwrap()
        .signed_by(&wrong_key, &ca)
        .unwrap();
    let wrong_name_config = rustls::ServerConfig::builder_with_provider(Arc::clone(&provider))
        .with_safe_default_protocol_versions()
        .unwrap()
        .with_no_client_auth()
        .with_single_cert(
            vec![CertificateDer::from(wrong_cert.der().to_vec())],
            PrivateKeyDer::Pkcs8(PrivatePkcs8KeyDer::from(wrong_key.serialize_der())),
        )
        .unwrap();
    let mut roots = rustls::RootCertStore::empty();
    roots.add(CertificateDer::from(ca.der().to_vec())).unwrap();
    let verifier = rustls::server::WebPkiClientVerifier::builder_with_provider(
        Arc::new(roots),
        Arc::clone(&provider),
    )
    .build()
    .unwrap();
    let mutual_config = rustls::ServerConfig::builder_with_provider(Arc::clone(&provider))
        .with_safe_default_protocol_versions()
        .unwrap()
        .with_client_cert_verifier(verifier)
        .with_single_cert(chain(), key())
        .unwrap();
    let mut roots = rustls::RootCertStore::empty();
    roots.add(CertificateDer::from(ca.der().to_vec())).unwrap();
    let asks = rustls::server::WebPkiClientVerifier::builder_with_provider(
        Arc::new(roots),
        Arc::clone(&provider),
    )
    .allow_unauthenticated()
    .build()
    .unwrap();
    let proxy_config = rustls::ServerConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .unwrap()
        .with_client_cert_verifier(asks)
        .with_single_cert(chain(), key())
        .unwrap();
    TestCa {
        ca_pem: ca.pem(),
        ca_der: ca.der().to_vec(),
        server_config: Arc::new(server_config),
        mutual_config: Arc::new(mutual_config),
        wrong_name_config: Arc::new(wrong_name_config),
        client_pem: client_cert.pem(),
        client_key_pem: client_key.serialize_pem(),
        client_key_der: client_key.serialize_der(),
        other_key_pem: KeyPair::generate().unwrap().serialize_pem(),
        proxy_config: Arc::new(proxy_config),
    }
}

/// An HTTPS event-stream server on 127.0.0.1; returns its URL.
pub fn https_server(config: Arc<rustls::ServerConfig>) -> String {
    https_server_answering(
        config,
        "HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\n\r\ndata: secure\n\n".into(),
    )
}

/// An HTTPS server on 127.0.0.1 that answers every request with `response`
/// (a whole HTTP response); returns its URL.
pub fn https_server_answering(config: Arc<rustls::ServerConfig>, response: String) -> String {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("https://{}/events", listener.local_addr().unwrap());
    thread::spawn(move || {
        for tcp in listener.incoming().flatten() {
            let (config, response) = (Arc::clone(&config), response.clone());
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
                let _ = stream.write_all(response.as_bytes());
                let _ = stream.flush();
                thread::sleep(Duration::from_millis(500));
            });
        }
    });
    url
}

/// Servers whose certificates fail verification, each in its own way, and
/// the CA to trust so that the way is the only fault.
pub struct BadCertificates {
    pub ca_pem: String,
    /// A server presenting the self-signed CA certificate itself, issued
    /// for 127.0.0.1.
    pub ca_as_server: Arc<rustls::ServerConfig>,
    /// A server whose certificate, signed by the CA, expired in 2000.
    pub expired: Arc<rustls::ServerConfig>,
}

pub fn bad_certificates() -> BadCertificates {
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let config = |certificate: &[u8], key: &KeyPair| {
        let config = rustls::ServerConfig::builder_with_provider(Arc::clone(&provider))
            .with_safe_default_protocol_versions()
            .unwrap()
            .with_no_client_auth()
            .with_single_cert(
                vec![CertificateDer::from(certificate.to_vec())],
                PrivateKeyDer::Pkcs8(PrivatePkcs8KeyDer::from(key.serialize_der())),
            )
            .unwrap();
        Arc::new(config)
    };
    let mut ca_params = CertificateParams::new(vec!["127.0.0.1".to_string()]).unwrap();
    ca_params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    let ca_key = KeyPair::generate().unwrap();
    let ca = CertifiedIssuer::self_signed(ca_params, ca_key).unwrap();
    let ca_as_server = config(ca.der(), ca.key());
    let expired_key = KeyPair::generate().unwrap();
    let mut expired_params = CertificateParams::new(vec!["127.0.0.1".to_string()]).unwrap();
    expired_params.not_before = rcgen::date_time_ymd(1999, 1, 1);
    expired_params.not_after = rcgen::date_time_ymd(2000, 1, 1);
    let expired_cert = expired_params.signed_by(&expired_key, &ca).unwrap();
    BadCertificates {
        ca_pem: ca.pem(),
        ca_as_server,
        expired: config(expired_cert.der(), &expired_key),
    }
}
