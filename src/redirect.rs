//! Following a redirect: where the next request goes and what it carries. A
//! pure function of the response; the reader does the I/O.

use ureq::http::Method;
use url::Url;

use crate::error::Error;

/// The next request after a redirect.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Hop {
    /// Where it goes.
    pub(crate) url: Url,
    /// Its method: GET after a 303, and after a 301 or 302 that answered a
    /// POST, as browsers do; the original method otherwise.
    pub(crate) method: Method,
    /// False when the method became GET: the body and its Content-Type are
    /// left out.
    pub(crate) keeps_body: bool,
}

/// True for the statuses sselink follows: 301, 302, 303, 307 and 308.
pub(crate) fn is_redirect(status: u16) -> bool {
    matches!(status, 301 | 302 | 303 | 307 | 308)
}

/// The request that follows a redirect `status` with `location` (the raw
/// header value, if any) in answer to `method` on `from`.
///
/// A Location holding raw non-ASCII bytes (UTF-8 or not) is followed with
/// those bytes percent-encoded, as browsers do. A missing or empty Location,
/// one with control bytes, one that does not parse, a scheme other than
/// http and https, or a step down from https to http (unless `insecure`) is
/// an [`Error::Redirect`] that says which.
pub(crate) fn next_hop(
    from: &Url,
    status: u16,
    location: Option<&[u8]>,
    method: &Method,
    insecure: bool,
) -> Result<Hop, Error> {
    let raw = location.map(<[u8]>::trim_ascii).unwrap_or_default();
    if raw.is_empty() {
        return Err(Error::Redirect(format!(
            "HTTP {status} came without a Location header; the server is misconfigured"
        )));
    }
    let location = encode_location(raw).ok_or_else(|| {
        Error::Redirect(format!(
            "the Location of HTTP {status} holds control bytes; the server is misconfigured"
        ))
    })?;
    // Messages show the Location without its query values: they may be logged.
    let url = from.join(&location).map_err(|e| {
        Error::Redirect(format!(
            "the Location `{}` of HTTP {status} is not a URL ({e})",
            crate::redact::url_for_logs(&location)
        ))
    })?;
    if !matches!(url.scheme(), "http" | "https") {
        return Err(Error::Redirect(format!(
            "the Location of HTTP {status} leads to a {} URL, not http or https",
            url.scheme()
        )));
    }
    if from.scheme() == "https" && url.scheme() == "http" && !insecure {
        return Err(Error::Redirect(format!(
            "HTTP {status} leads from https to `{}`, which would carry the request and the \
             stream in clear text; fix the server, or allow it with insecure_redirects",
            crate::redact::redacted(&url)
        )));
    }
    let becomes_get = status == 303 || (matches!(status, 301 | 302) && *method == Method::POST);
    Ok(Hop {
        url,
        method: if becomes_get {
            Method::GET
        } else {
            method.clone()
        },
        keeps_body: !becomes_get,
    })
}

/// `raw` as text, bytes from 0x80 up percent-encoded; `None` when it holds
/// a control byte.
fn encode_location(raw: &[u8]) -> Option<String> {
    let mut text = String::with_capacity(raw.len());
    for &byte in raw {
        match byte {
            0x00..=0x1F | 0x7F => return None,
            0x80.. => text.push_str(&format!("%{byte:02X}")),
            _ => text.push(char::from(byte)),
        }
    }
    Some(text)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn from() -> Url {
        Url::parse("http://a.example/events?x=1").unwrap()
    }

    fn hop(status: u16, location: &[u8], method: Method) -> Result<Hop, Error> {
        next_hop(&from(), status, Some(location), &method, false)
    }

    #[test]
    fn follows_relative_and_absolute_locations() {
        let h = hop(302, b"/other", Method::GET).unwrap();
        assert_eq!(h.url.as_str(), "http://a.example/other");
        assert_eq!((h.method, h.keeps_body), (Method::GET, true));
        let h = hop(307, b" https://b.example/s ", Method::GET).unwrap();
        assert_eq!(h.url.as_str(), "https://b.example/s");
        assert!(is_redirect(308) && is_redirect(301) && !is_redirect(304) && !is_redirect(300));
    }

    #[test]
    fn method_and_body_follow_the_status() {
        for status in [307, 308] {
            let h = hop(status, b"/n", Method::POST).unwrap();
            assert_eq!((h.method, h.keeps_body), (Method::POST, true), "{status}");
        }
        for status in [301, 302, 303] {
            let h = hop(status, b"/n", Method::POST).unwrap();
            assert_eq!((h.method, h.keeps_body), (Method::GET, false), "{status}");
        }
        let report = Method::from_bytes(b"REPORT").unwrap();
        let h = hop(303, b"/n", report.clone()).unwrap();
        assert_eq!((h.method, h.keeps_body), (Method::GET, false));
        let h = hop(302, b"/n", report.clone()).unwrap();
        assert_eq!((h.method, h.keeps_body), (report, true));
    }

    #[test]
    fn raw_utf8_and_other_high_bytes_are_percent_encoded() {
        let h = hop(302, "/café".as_bytes(), Method::GET).unwrap();
        assert_eq!(h.url.as_str(), "http://a.example/caf%C3%A9");
        let h = hop(302, b"/x\xff", Method::GET).unwrap();
        assert_eq!(h.url.as_str(), "http://a.example/x%FF");
    }

    #[test]
    fn bad_locations_say_what_is_wrong() {
        let message = |r: Result<Hop, Error>| match r {
            Err(Error::Redirect(m)) => m,
            other => panic!("{other:?}"),
        };
        assert!(message(next_hop(&from(), 302, None, &Method::GET, false))
            .contains("without a Location"));
        assert!(message(hop(302, b"  ", Method::GET)).contains("without a Location"));
        assert!(message(hop(302, b"/a\x01b", Method::GET)).contains("control bytes"));
        assert!(message(hop(302, b"http://[::1", Method::GET)).contains("is not a URL"));
        assert!(message(hop(302, b"ftp://h/", Method::GET)).contains("ftp URL"));
    }

    #[test]
    fn https_to_http_is_refused_unless_allowed() {
        let secure = Url::parse("https://a.example/events").unwrap();
        for status in [301, 302, 303, 307, 308] {
            let refused = next_hop(
                &secure,
                status,
                Some(b"http://a.example/e?k=SECRET"),
                &Method::GET,
                false,
            );
            match refused {
                Err(Error::Redirect(m)) => assert!(
                    m.contains("clear text")
                        && m.contains("insecure_redirects")
                        && !m.contains("SECRET"),
                    "{m}"
                ),
                other => panic!("{other:?}"),
            }
            let allowed = next_hop(
                &secure,
                status,
                Some(b"http://a.example/e"),
                &Method::GET,
                true,
            );
            assert_eq!(allowed.unwrap().url.as_str(), "http://a.example/e");
        }
        let up = next_hop(
            &from(),
            302,
            Some(b"https://a.example/"),
            &Method::GET,
            false,
        );
        assert!(up.is_ok(), "http to https is an upgrade");
        let same = next_hop(&secure, 302, Some(b"/other"), &Method::GET, false);
        assert_eq!(same.unwrap().url.as_str(), "https://a.example/other");
    }
}
