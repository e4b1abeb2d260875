//! TLS and proxied connections: ureq's own connector chains, with three
//! rules of sselink's on top.
//!
//! - One stream's connections share one set of chains, so its trust roots
//!   and client key are parsed once, at its first TLS connection, not at
//!   every connect: ureq's TLS connector keeps what it built.
//! - The TLS connection to an `https://` proxy never presents the client
//!   certificate: that is the origin's, and a proxy must not see it (curl
//!   keeps `--cert` and `--proxy-cert` apart the same way). The proxy is
//!   verified against the same roots.
//! - A proxy that refuses the tunnel, or answers with something that is not
//!   its protocol, is a [`ProxyFailure`]: an [`Error::Proxy`](crate::Error::Proxy),
//!   permanent when asking again cannot help (a 4xx but 408 and 429, such as
//!   407 for credentials; a SOCKS proxy refusing the credentials or the
//!   destination).

use std::io;
use std::sync::Arc;

use ureq::unversioned::transport::{ConnectionDetails, Connector, DefaultConnector, Transport};
use ureq::ProxyProtocol;

use crate::error::ProxyFailure;

/// The connector chains of one stream.
#[derive(Debug, Default)]
pub(crate) struct Chains {
    /// Servers, and proxies reached over TCP (HTTP and SOCKS).
    servers: DefaultConnector,
    /// The TLS connection to `https://` proxies.
    proxies: DefaultConnector,
}

/// Connects as ureq would, through `chains`. `proxy_tls` is the agent
/// configuration used for the TLS connection to an `https://` proxy: the
/// request's own, less the client certificate.
pub(crate) fn connect(
    chains: &Arc<Chains>,
    proxy_tls: Option<&Arc<ureq::config::Config>>,
    details: &ConnectionDetails,
    chained: Option<()>,
) -> Result<Option<Box<dyn Transport>>, ureq::Error> {
    let Some(protocol) = details.config.proxy().map(ureq::Proxy::protocol) else {
        return chains.servers.connect(details, chained);
    };
    let result = match (protocol, proxy_tls) {
        (ProxyProtocol::Https, Some(proxy_tls)) => {
            // ureq reaches the proxy through `run_connector`: this one uses
            // the proxy's own TLS settings and chain.
            let (own, proxy_tls) = (Arc::clone(chains), Arc::clone(proxy_tls));
            let to_proxy = move |leg: &ConnectionDetails| {
                let leg = ConnectionDetails {
                    config: &proxy_tls,
                    ..copy(leg)
                };
                own.proxies
                    .connect(&leg, None)?
                    .ok_or(ureq::Error::ConnectionFailed)
            };
            let details = ConnectionDetails {
                run_connector: Arc::new(to_proxy),
                ..copy(details)
            };
            chains.servers.connect(&details, chained)
        }
        _ => chains.servers.connect(details, chained),
    };
    result.map_err(|error| proxy_failure(protocol, error))
}

/// `details` field by field: the type is not `Clone`.
fn copy<'a>(details: &ConnectionDetails<'a>) -> ConnectionDetails<'a> {
    ConnectionDetails {
        uri: details.uri,
        addrs: details.addrs.clone(),
        config: details.config,
        request_level: details.request_level,
        resolver: details.resolver,
        now: details.now,
        timeout: details.timeout,
        current_time: Arc::clone(&details.current_time),
        run_connector: Arc::clone(&details.run_connector),
        register_shutdown: Arc::clone(&details.register_shutdown),
    }
}

/// A failure of the proxy itself as a [`ProxyFailure`]; every other error
/// (the proxy's port refusing, the server's TLS) as it was.
fn proxy_failure(protocol: ProxyProtocol, error: ureq::Error) -> ureq::Error {
    let failure = match error {
        ureq::Error::ConnectProxyFailed(message) => connect_refused(&message),
        ureq::Error::Protocol(e) => ProxyFailure {
            message: format!("the proxy's answer to CONNECT is not HTTP ({e})"),
            permanent: false,
        },
        ureq::Error::Io(io) if is_socks(protocol) && is_socks_failure(&io) => {
            let permanent = io.kind() == io::ErrorKind::PermissionDenied
                || io.kind() == io::ErrorKind::InvalidInput
                || ["no acceptable auth methods", "not allowed by ruleset"]
                    .iter()
                    .any(|reason| io.to_string().contains(reason));
            ProxyFailure {
                message: format!("the {protocol} proxy refused: {io}"),
                permanent,
            }
        }
        other => return other,
    };
    ureq::Error::Other(Box::new(failure))
}

/// A CONNECT answered with something other than 200. ureq words it
/// "proxy server responded 407/407"; the status decides.
fn connect_refused(message: &str) -> ProxyFailure {
    let status = message
        .strip_prefix("proxy server responded ")
        .and_then(|rest| rest.split('/').next())
        .and_then(|code| code.parse::<u16>().ok());
    let Some(status) = status else {
        return ProxyFailure {
            message: message.to_string(),
            permanent: false,
        };
    };
    let message = match status {
        407 => "the proxy answered CONNECT with HTTP 407: it wants credentials, or other ones \
                than the proxy URL holds"
            .to_string(),
        _ => format!("the proxy answered CONNECT with HTTP {status}"),
    };
    ProxyFailure {
        message,
        permanent: (400..500).contains(&status) && status != 408 && status != 429,
    }
}

fn is_socks(protocol: ProxyProtocol) -> bool {
    !matches!(protocol, ProxyProtocol::Http | ProxyProtocol::Https)
}

/// True for the errors ureq's SOCKS handshake makes: the proxy's refusals
/// and answers that break the protocol. TLS errors and timeouts, which ureq
/// wraps in I/O errors of the same kinds, are not.
fn is_socks_failure(io: &io::Error) -> bool {
    let wrapped = io
        .get_ref()
        .is_some_and(|inner| inner.is::<rustls::Error>() || inner.is::<ureq::Error>());
    !wrapped
        && matches!(
            io.kind(),
            io::ErrorKind::InvalidData
                | io::ErrorKind::PermissionDenied
                | io::ErrorKind::InvalidInput
                | io::ErrorKind::Other
        )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_refused_connect_is_permanent_for_4xx_but_408_and_429() {
        for (status, permanent) in [
            (407, true),
            (403, true),
            (400, true),
            (408, false),
            (429, false),
            (502, false),
            (503, false),
        ] {
            let failure = connect_refused(&format!("proxy server responded {status}/{status}"));
            assert_eq!(failure.permanent, permanent, "{status}");
            assert!(failure.message.contains(&status.to_string()));
        }
        // A 407 says what the proxy wants. Kills the mutant that deletes
        // the 407 arm of connect_refused.
        let credentials = connect_refused("proxy server responded 407/407");
        assert!(
            credentials.message.contains("it wants credentials"),
            "{}",
            credentials.message
        );
        let odd = connect_refused("proxy server did not respond");
        assert!(!odd.permanent && odd.message.contains("did not respond"));
    }

    #[test]
    fn socks_refusals_are_proxy_failures_and_tls_errors_are_not() {
        let socks = ProxyProtocol::Socks5;
        let failure = |e: io::Error| match proxy_failure(socks, ureq::Error::Io(e)) {
            ureq::Error::Other(inner) => inner.downcast::<ProxyFailure>().ok().map(|f| *f),
            _ => None,
        };
        let denied = io::Error::new(
            io::ErrorKind::PermissionDenied,
            "password authentication failed",
        );
        assert!(failure(denied).is_some_and(|f| f.permanent));
        // Refusals ureq words as plain errors are permanent by their text.
        // Kills the mutant that makes the second `||` of the permanence an
        // `&&` (text alone would no longer count).
        for refusal in ["no acceptable auth methods", "not allowed by ruleset"] {
            let refused = io::Error::other(format!("socks5: {refusal}"));
            assert!(failure(refused).is_some_and(|f| f.permanent), "{refusal}");
        }
        let garbage = io::Error::new(io::ErrorKind::InvalidData, "invalid response version");
        assert!(failure(garbage).is_some_and(|f| !f.permanent));
        let tls = io::Error::new(
            io::ErrorKind::InvalidData,
            rustls::Error::General("x".into()),
        );
        assert!(failure(tls).is_none());
        let reset = io::Error::new(io::ErrorKind::ConnectionReset, "reset");
        assert!(failure(reset).is_none());
        let http = ProxyProtocol::Http;
        let garbage = io::Error::new(io::ErrorKind::InvalidData, "x");
        assert!(matches!(
            proxy_failure(http, ureq::Error::Io(garbage)),
            ureq::Error::Io(_)
        ));
    }
}
