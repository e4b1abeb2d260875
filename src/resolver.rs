//! Name lookups for every connection: ureq's resolver, with its failures
//! marked as DNS failures so that they reach the caller as
//! [`Error::Dns`](crate::Error::Dns).
//!
//! ureq's resolver reports a failed system lookup as a plain I/O error,
//! which says nothing of where it came from. Here every failure of the
//! lookup becomes a [`NameNotResolved`], carried in `ureq::Error::Other`
//! and recognised by [`Error::from_ureq`](crate::Error).
//!
//! Names under `.invalid` never resolve (RFC 6761, §6.4): they fail at once,
//! without asking the system.

use std::fmt;
use std::io;

use ureq::config::Config;
use ureq::http::Uri;
use ureq::unversioned::resolver::{DefaultResolver, ResolvedSocketAddrs, Resolver};
use ureq::unversioned::transport::NextTimeout;

/// ureq's [`DefaultResolver`] with its lookup failures marked.
#[derive(Debug, Default)]
pub(crate) struct MarkingResolver {
    system: DefaultResolver,
}

impl Resolver for MarkingResolver {
    fn resolve(
        &self,
        uri: &Uri,
        config: &Config,
        timeout: NextTimeout,
    ) -> Result<ResolvedSocketAddrs, ureq::Error> {
        let host = uri.host().unwrap_or_default();
        if is_reserved_invalid(host) {
            let why = io::Error::new(
                io::ErrorKind::NotFound,
                "names under .invalid never resolve",
            );
            return Err(NameNotResolved::new(host, why).into());
        }
        marked(host, self.system.resolve(uri, config, timeout))
    }
}

/// The system's answer for `host`, its failures marked. A timeout stays a
/// timeout: it is the connect timeout's to report.
fn marked(
    host: &str,
    resolved: Result<ResolvedSocketAddrs, ureq::Error>,
) -> Result<ResolvedSocketAddrs, ureq::Error> {
    match resolved {
        Err(ureq::Error::Io(error)) => Err(NameNotResolved::new(host, error).into()),
        Err(ureq::Error::HostNotFound) => {
            let why = io::Error::new(io::ErrorKind::NotFound, "no address of a usable family");
            Err(NameNotResolved::new(host, why).into())
        }
        other => other,
    }
}

/// True for `invalid` and the names under it, in any case, with or without
/// the final dot.
fn is_reserved_invalid(host: &str) -> bool {
    let host = host.strip_suffix('.').unwrap_or(host);
    let bytes = host.as_bytes();
    let suffix = b"invalid";
    bytes.len() >= suffix.len()
        && bytes[bytes.len() - suffix.len()..].eq_ignore_ascii_case(suffix)
        && (bytes.len() == suffix.len() || bytes[bytes.len() - suffix.len() - 1] == b'.')
}

/// A host name the lookup could not turn into an address: the cause of an
/// [`Error::Dns`](crate::Error::Dns).
#[derive(Debug)]
pub(crate) struct NameNotResolved {
    host: String,
    cause: io::Error,
}

impl NameNotResolved {
    fn new(host: &str, cause: io::Error) -> NameNotResolved {
        NameNotResolved {
            host: host.to_string(),
            cause,
        }
    }
}

impl From<NameNotResolved> for ureq::Error {
    fn from(error: NameNotResolved) -> ureq::Error {
        ureq::Error::Other(Box::new(error))
    }
}

impl fmt::Display for NameNotResolved {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "`{}`: {}", self.host, self.cause)
    }
}

impl std::error::Error for NameNotResolved {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        Some(&self.cause)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_invalid_and_the_names_under_it_are_reserved() {
        for host in ["invalid", "x.invalid", "a.b.INVALID", "x.invalid."] {
            assert!(is_reserved_invalid(host), "{host}");
        }
        for host in [
            "",
            "xinvalid",
            "invalid.example",
            "example.com",
            "127.0.0.1",
        ] {
            assert!(!is_reserved_invalid(host), "{host}");
        }
    }

    #[test]
    fn a_failed_system_lookup_is_marked_with_its_host_and_cause() {
        let failed = io::Error::other("failed to lookup address information");
        for answer in [ureq::Error::Io(failed), ureq::Error::HostNotFound] {
            let error = marked("db.example", Err(answer)).unwrap_err();
            let ureq::Error::Other(inner) = error else {
                panic!("not marked: {error:?}");
            };
            let marked = inner.downcast::<NameNotResolved>().unwrap();
            assert_eq!(marked.host, "db.example");
            assert!(marked.to_string().starts_with("`db.example`: "), "{marked}");
        }
        let timeout = marked(
            "db.example",
            Err(ureq::Error::Timeout(ureq::Timeout::Resolve)),
        );
        assert!(matches!(timeout, Err(ureq::Error::Timeout(_))));
    }
}
