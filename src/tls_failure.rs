//! TLS failures in words a person can act on: the cause of an
//! [`Error::Tls`](crate::Error::Tls) says what was wrong with the server's
//! certificate or the handshake, and what to do about it, and keeps the
//! error rustls reported as its own source.

use std::error::Error as StdError;
use std::fmt;
use std::io;

use rustls::{AlertDescription, CertificateError};

/// A TLS failure and what to do about it.
#[derive(Debug)]
pub(crate) struct TlsFailure {
    explanation: String,
    /// Trying again changes nothing until someone fixes a certificate, the
    /// trusted roots or a TLS setting.
    lasting: bool,
    original: Box<dyn StdError + Send + Sync>,
}

impl TlsFailure {
    /// Explains `original`, a TLS error as ureq or rustls reported it.
    pub(crate) fn new(original: impl StdError + Send + Sync + 'static) -> TlsFailure {
        let (explanation, lasting) = match rustls_in(&original) {
            Some(error) => (
                explain(error).unwrap_or_else(|| match error {
                    rustls::Error::AlertReceived(alert) => format!(
                        "the server ended the TLS handshake with the alert {alert:?}, a fault on \
                         its side; the stream retries"
                    ),
                    _ => original.to_string(),
                }),
                is_lasting(error),
            ),
            // ureq's own TLS errors are about the configured certificates.
            None => (
                format!("{original}; check the server's certificate and the trusted roots"),
                true,
            ),
        };
        TlsFailure {
            explanation,
            lasting,
            original: Box::new(original),
        }
    }

    /// True when trying again cannot help: a certificate refused, a
    /// server that does not speak TLS or shares no version or suite with
    /// sselink. A fault the server reports on its side (an `internal_error`
    /// alert, say) is not.
    pub(crate) fn is_lasting(&self) -> bool {
        self.lasting
    }
}

/// Whether `error` lasts until someone changes a certificate or a setting.
fn is_lasting(error: &rustls::Error) -> bool {
    use rustls::Error as E;
    use AlertDescription as A;
    match error {
        E::InvalidCertificate(_)
        | E::NoCertificatesPresented
        | E::PeerIncompatible(_)
        | E::InvalidMessage(_)
        | E::InappropriateMessage { .. }
        | E::InappropriateHandshakeMessage { .. } => true,
        E::AlertReceived(alert) => matches!(
            alert,
            A::CertificateRequired
                | A::BadCertificate
                | A::UnknownCA
                | A::CertificateUnknown
                | A::CertificateExpired
                | A::CertificateRevoked
                | A::UnsupportedCertificate
                | A::AccessDenied
                | A::HandshakeFailure
                | A::ProtocolVersion
                | A::InsufficientSecurity
        ),
        _ => false,
    }
}

impl fmt::Display for TlsFailure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.explanation)
    }
}

impl StdError for TlsFailure {
    fn source(&self) -> Option<&(dyn StdError + 'static)> {
        Some(&*self.original)
    }
}

/// The rustls error inside `error`, however ureq and the standard library
/// wrapped it. An I/O error's `source` skips the error it wraps, so that one
/// is looked at directly.
fn rustls_in<'a>(error: &'a (dyn StdError + 'static)) -> Option<&'a rustls::Error> {
    let mut next = Some(error);
    while let Some(error) = next {
        if let Some(found) = error.downcast_ref::<rustls::Error>() {
            return Some(found);
        }
        if let Some(io) = error.downcast_ref::<io::Error>() {
            if let Some(inner) = io.get_ref() {
                next = Some(inner);
                continue;
            }
        }
        match error.downcast_ref::<ureq::Error>() {
            Some(ureq::Error::Rustls(found)) => return Some(found),
            Some(ureq::Error::Io(io)) => next = Some(io),
            _ => next = error.source(),
        }
    }
    None
}

const TRUST: &str = "trust the CA that issued it with the root_certificate option, or use \
                     platform_roots if this system's certificate store trusts it";
const RENAME: &str = "connect with a name the certificate lists, or have the certificate \
                      reissued for this name";
const NOT_TLS: &str = "check that the port serves https, or use an http:// URL";

/// What `error` means and what to do, where sselink knows better than the
/// error's own text.
fn explain(error: &rustls::Error) -> Option<String> {
    use rustls::Error as E;
    Some(match error {
        E::InvalidCertificate(problem) => certificate(problem),
        E::NoCertificatesPresented => {
            "the server presented no certificate; the server must be given one".into()
        }
        E::AlertReceived(AlertDescription::CertificateRequired) => {
            "the server asks for a client certificate; give one with the client_certificate option"
                .into()
        }
        E::AlertReceived(
            alert @ (AlertDescription::BadCertificate
            | AlertDescription::UnknownCA
            | AlertDescription::CertificateUnknown
            | AlertDescription::CertificateExpired
            | AlertDescription::CertificateRevoked
            | AlertDescription::UnsupportedCertificate
            | AlertDescription::AccessDenied),
        ) => format!(
            "the server refused the client certificate (TLS alert {alert:?}); give one issued by \
             a CA the server trusts with the client_certificate option"
        ),
        E::AlertReceived(
            alert @ (AlertDescription::HandshakeFailure
            | AlertDescription::ProtocolVersion
            | AlertDescription::InsufficientSecurity),
        ) => format!(
            "the server ended the handshake (TLS alert {alert:?}): it shares no TLS version or \
             cipher suite with sselink (TLS 1.2 and 1.3), or it wants a client certificate \
             (the client_certificate option)"
        ),
        E::PeerIncompatible(why) => format!(
            "the server shares no TLS version or cipher suite with sselink, which speaks TLS 1.2 \
             and 1.3 ({why:?}); the server's TLS settings must allow them"
        ),
        E::InvalidMessage(_)
        | E::InappropriateMessage { .. }
        | E::InappropriateHandshakeMessage { .. } => {
            format!("the server did not answer in TLS ({error}); {NOT_TLS}")
        }
        _ => return None,
    })
}

/// What is wrong with the server's certificate, and what to do.
fn certificate(problem: &CertificateError) -> String {
    use CertificateError as C;
    match problem {
        C::UnknownIssuer => format!(
            "the server's certificate was not issued by an authority sselink trusts; {TRUST}"
        ),
        C::NotValidForName => {
            format!("the server's certificate is not valid for this host name; {RENAME}")
        }
        C::NotValidForNameContext {
            expected,
            presented,
        } => {
            let names: Vec<String> = presented.iter().map(|n| plain_name(n)).collect();
            let listed = if names.is_empty() {
                "no name".to_string()
            } else {
                names.join(", ")
            };
            format!(
                "the server's certificate is for {listed}, not for {}; {RENAME}",
                expected.to_str()
            )
        }
        C::Expired => "the server's certificate has expired; the server must renew it (or this \
                       machine's clock is wrong)"
            .into(),
        C::ExpiredContext { time, not_after } => format!(
            "the server's certificate expired {} ago; the server must renew it (or this \
             machine's clock is wrong)",
            days(time.as_secs().saturating_sub(not_after.as_secs()))
        ),
        C::NotValidYet => "the server's certificate is not valid yet; check this machine's clock \
                           (or the server must use a certificate valid now)"
            .into(),
        C::NotValidYetContext { time, not_before } => format!(
            "the server's certificate becomes valid only in {}; check this machine's clock (or \
             the server must use a certificate valid now)",
            days(not_before.as_secs().saturating_sub(time.as_secs()))
        ),
        C::Revoked => {
            "the server's certificate was revoked; the server needs a new certificate".into()
        }
        C::BadSignature => "the server's certificate is not signed by the key of the authority \
                            it names; the server's certificate chain is wrong"
            .into(),
        C::BadEncoding => {
            "the server's certificate does not parse; the server's certificate is broken".into()
        }
        C::InvalidPurpose | C::InvalidPurposeContext { .. } => {
            "the server's certificate is not meant for TLS servers (its extended key usage); the \
             server needs a certificate issued for server authentication"
                .into()
        }
        C::UnsupportedSignatureAlgorithmContext { .. }
        | C::UnsupportedSignatureAlgorithmForPublicKeyContext { .. } => {
            "the server's certificate is signed with an algorithm sselink does not support; the \
             server needs one signed with RSA, ECDSA or Ed25519"
                .into()
        }
        C::Other(other) => match other.0.downcast_ref::<webpki::Error>() {
            Some(webpki::Error::CaUsedAsEndEntity) => {
                "the server's certificate is a CA certificate (marked to issue other \
                 certificates), which cannot identify a server; give the server a certificate \
                 for its host name issued by a CA, and trust that CA with the root_certificate \
                 option"
                    .into()
            }
            Some(webpki::Error::EndEntityUsedAsCa) => {
                "the server's certificate chain has a server certificate where an issuing \
                 authority should be; the server must send its own certificate, then the \
                 intermediates that issued it"
                    .into()
            }
            _ => format!("the server's certificate was refused ({other}); {TRUST}"),
        },
        other => format!(
            "the server's certificate was refused ({}); check the server's certificate and the \
             trusted roots",
            rustls::Error::InvalidCertificate(other.clone())
        ),
    }
}

/// A certificate name as webpki lists it (`DnsName("a.example")`), plain.
fn plain_name(name: &str) -> String {
    let inner = name
        .strip_prefix("DnsName(\"")
        .and_then(|rest| rest.strip_suffix("\")"))
        .or_else(|| {
            name.strip_prefix("IpAddress(")
                .and_then(|rest| rest.strip_suffix(')'))
        });
    inner.unwrap_or(name).to_string()
}

/// `seconds` as whole days, or hours under two days.
fn days(seconds: u64) -> String {
    let hours = seconds / 3600;
    match hours {
        0..=1 => "an hour or less".into(),
        2..=47 => format!("{hours} hours"),
        _ => format!("{} days", hours / 24),
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use rustls::pki_types::{DnsName, ServerName, UnixTime};
    use rustls::OtherError;

    use super::*;

    /// The explanation of a rustls error wrapped as a handshake reports it.
    fn explained(error: rustls::Error) -> String {
        let io = io::Error::new(io::ErrorKind::InvalidData, error);
        TlsFailure::new(ureq::Error::Io(io)).to_string()
    }

    fn certificate_error(problem: CertificateError) -> String {
        explained(rustls::Error::InvalidCertificate(problem))
    }

    #[test]
    fn certificate_problems_read_as_sentences_that_say_what_to_do() {
        let unknown = certificate_error(CertificateError::UnknownIssuer);
        assert!(
            unknown.contains("not issued by an authority") && unknown.contains("root_certificate"),
            "{unknown}"
        );
        let name = certificate_error(CertificateError::NotValidForNameContext {
            expected: ServerName::DnsName(DnsName::try_from("api.example").unwrap()),
            presented: vec![r#"DnsName("other.example")"#.into()],
        });
        assert!(
            name.contains("is for other.example, not for api.example"),
            "{name}"
        );
        let day = 24 * 3600;
        let expired = certificate_error(CertificateError::ExpiredContext {
            time: UnixTime::since_unix_epoch(std::time::Duration::from_secs(10 * day)),
            not_after: UnixTime::since_unix_epoch(std::time::Duration::from_secs(7 * day)),
        });
        assert!(
            expired.contains("expired 3 days ago") && expired.contains("renew"),
            "{expired}"
        );
        let ca = certificate_error(CertificateError::Other(OtherError(Arc::new(
            webpki::Error::CaUsedAsEndEntity,
        ))));
        assert!(
            ca.contains("is a CA certificate") && !ca.contains("OtherError"),
            "{ca}"
        );
    }

    #[test]
    fn handshake_failures_say_what_to_do_and_others_keep_their_text() {
        let required = explained(rustls::Error::AlertReceived(
            AlertDescription::CertificateRequired,
        ));
        assert!(required.contains("client_certificate"), "{required}");
        let garbage = explained(rustls::Error::InvalidMessage(
            rustls::InvalidMessage::InvalidContentType,
        ));
        assert!(garbage.contains("http:// URL"), "{garbage}");
        let other = TlsFailure::new(ureq::Error::Tls("Rustls invalid dns name error"));
        assert_eq!(
            other.to_string(),
            "Rustls invalid dns name error; check the server's certificate and the trusted roots"
        );
        assert!(other.source().is_some(), "the original is kept");
    }

    // Each failure the handshake can meet reads as its own sentence. Kills
    // the mutants that delete the arms of explain for NoCertificatesPresented,
    // the client-certificate alerts, the handshake alerts and
    // PeerIncompatible, and the arm of certificate for EndEntityUsedAsCa.
    #[test]
    fn each_handshake_failure_has_its_own_explanation() {
        let none = explained(rustls::Error::NoCertificatesPresented);
        assert!(none.contains("presented no certificate"), "{none}");
        for alert in [
            AlertDescription::BadCertificate,
            AlertDescription::UnknownCA,
            AlertDescription::AccessDenied,
        ] {
            let refused = explained(rustls::Error::AlertReceived(alert));
            assert!(
                refused.contains("refused the client certificate")
                    && refused.contains(&format!("{alert:?}")),
                "{refused}"
            );
        }
        for alert in [
            AlertDescription::HandshakeFailure,
            AlertDescription::ProtocolVersion,
        ] {
            let ended = explained(rustls::Error::AlertReceived(alert));
            assert!(
                ended.contains("ended the handshake") && ended.contains(&format!("{alert:?}")),
                "{ended}"
            );
        }
        let incompatible = explained(rustls::Error::PeerIncompatible(
            rustls::PeerIncompatible::NoCipherSuitesInCommon,
        ));
        assert!(
            incompatible.contains("speaks TLS 1.2 and 1.3")
                && incompatible.contains("NoCipherSuitesInCommon"),
            "{incompatible}"
        );
        let chain = certificate_error(CertificateError::Other(OtherError(Arc::new(
            webpki::Error::EndEntityUsedAsCa,
        ))));
        assert!(
            chain.contains("where an issuing authority should be"),
            "{chain}"
        );
    }

    // A rustls error ureq reports as its own variant is found and
    // explained. Kills the mutant that deletes the
    // `Some(ureq::Error::Rustls(found))` arm of rustls_in.
    #[test]
    fn a_rustls_error_in_ureqs_own_variant_is_explained() {
        let failure = TlsFailure::new(ureq::Error::Rustls(rustls::Error::NoCertificatesPresented));
        assert!(
            failure.to_string().contains("presented no certificate"),
            "{failure}"
        );
        assert!(failure.is_lasting());
    }

    // A refused certificate or a refusing alert lasts until someone changes
    // something; a fault on the server's side does not. Kills the mutants
    // that make TlsFailure::is_lasting and is_lasting always true, and the
    // one that deletes the AlertReceived arm of is_lasting.
    #[test]
    fn only_failures_that_need_a_change_are_lasting() {
        let lasting = |error: rustls::Error| {
            let io = io::Error::new(io::ErrorKind::InvalidData, error);
            TlsFailure::new(ureq::Error::Io(io)).is_lasting()
        };
        assert!(lasting(rustls::Error::InvalidCertificate(
            CertificateError::UnknownIssuer
        )));
        assert!(lasting(rustls::Error::AlertReceived(
            AlertDescription::UnknownCA
        )));
        assert!(lasting(rustls::Error::AlertReceived(
            AlertDescription::HandshakeFailure
        )));
        assert!(!lasting(rustls::Error::AlertReceived(
            AlertDescription::InternalError
        )));
    }

    // Kills the mutants that delete the first two arms of days.
    #[test]
    fn durations_read_in_hours_under_two_days() {
        assert_eq!(days(0), "an hour or less");
        assert_eq!(days(3599 + 3600), "an hour or less");
        assert_eq!(days(2 * 3600), "2 hours");
        assert_eq!(days(47 * 3600 + 3599), "47 hours");
        assert_eq!(days(48 * 3600), "2 days");
    }

    #[test]
    fn names_are_shown_plain() {
        assert_eq!(plain_name(r#"DnsName("a.example")"#), "a.example");
        assert_eq!(plain_name("IpAddress(127.0.0.1)"), "127.0.0.1");
        assert_eq!(plain_name("DirectoryName"), "DirectoryName");
    }
}
