//! The size of a request head, and its limit (pure).
//!
//! ureq-proto writes a request head into the connection's output buffer and
//! fails when one of its lines does not fit, so each request is measured
//! before it is sent: the connection's output buffer is made that large
//! ([`crate::transport`]), and a head over [`MAX_REQUEST_HEAD`] is refused
//! with an error that says which part is too long.

use ureq::http::Request;
use url::{Position, Url};

/// The largest request head (request line and headers, as sent) a stream
/// or a post sends, in bytes. A longer one is refused: by the setter or
/// [`connect`](crate::Builder::connect) when the configuration makes it, by
/// closing the stream when a header provider does, and a server's over-long
/// last event id is left out of the request.
pub const MAX_REQUEST_HEAD: usize = 64 * 1024;

/// What ureq adds to every head besides `Host` and an `Authorization` made
/// from the URL's userinfo: `User-Agent`, `Accept-Encoding`, `Accept`,
/// `Content-Length` (at most about 120 bytes), and the blank line.
const UREQ_LINES: usize = 160;

/// An upper bound of the head ureq-proto writes for `request` to `url`: the
/// request line, `Host`, an `Authorization` from the URL's userinfo, the
/// request's headers and ureq's own.
pub(crate) fn head_size<T>(request: &Request<T>, url: &Url) -> usize {
    let fields = request
        .headers()
        .iter()
        .map(|(name, value)| field(name.as_str(), value.len()))
        .sum();
    size(request.method().as_str(), url, fields)
}

/// The bytes of one header line, `name: value` and its CR LF.
pub(crate) fn field(name: &str, value_len: usize) -> usize {
    name.len() + value_len + ": \r\n".len()
}

/// An upper bound of the head for `method` to `url` with header lines of
/// `fields` bytes in all, besides `Host`, a userinfo `Authorization` and
/// ureq's own.
pub(crate) fn size(method: &str, url: &Url, fields: usize) -> usize {
    let target = url[Position::BeforePath..Position::AfterQuery].len();
    let request_line = method.len() + target + " / HTTP/1.1\r\n".len();
    let host = field("host", url[Position::BeforeHost..Position::AfterPort].len());
    let userinfo = url.username().len() + url.password().map_or(0, |p| p.len() + 1);
    let authorization = if userinfo == 0 {
        0
    } else {
        field("authorization", "Basic ".len() + 4 * userinfo.div_ceil(3))
    };
    request_line
        .saturating_add(host)
        .saturating_add(authorization)
        .saturating_add(fields)
        .saturating_add(UREQ_LINES)
}

/// Says that a head of `size` bytes is over the limit.
pub(crate) fn too_long(size: usize) -> String {
    format!(
        "a request head of {size} bytes, more than the {MAX_REQUEST_HEAD} bytes sselink sends \
         (MAX_REQUEST_HEAD)"
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_size_covers_every_line_ureq_writes() {
        let url = Url::parse("http://user:pw@example.com:8080/events?q=1").unwrap();
        let request = Request::get(url.as_str())
            .header("accept", "text/event-stream")
            .header("x-token", "t".repeat(5000))
            .body(())
            .unwrap();
        let written = "GET /events?q=1 HTTP/1.1\r\n".len()
            + "host: example.com:8080\r\n".len()
            + "authorization: Basic dXNlcjpwdw==\r\n".len()
            + "accept: text/event-stream\r\n".len()
            + "x-token: \r\n".len()
            + 5000
            + format!("user-agent: sselink/{}\r\n", crate::VERSION).len()
            + "accept-encoding: gzip\r\n".len()
            + "content-length: 18446744073709551615\r\n".len()
            + "\r\n".len();
        let size = head_size(&request, &url);
        assert!(size >= written, "{size} < {written}");
        assert!(
            size <= written + 100,
            "{size} is a loose bound for {written}"
        );
    }

    /// Each part is counted exactly: a header line as `name: value` and CR
    /// LF, and the userinfo as the `Authorization: Basic` line ureq makes of
    /// it (base64, 4 bytes for each 3). Kills `replace + with - in field`,
    /// and in `size` `replace + with -` and `+` with `*` in the userinfo's
    /// length (user, and password plus its colon) and `replace == with !=`.
    #[test]
    fn each_part_of_the_head_is_counted_exactly() {
        assert_eq!(field("x-token", 5000), "x-token: \r\n".len() + 5000);
        let plain = Url::parse("http://example.com:8080/events?q=1").unwrap();
        let user = Url::parse("http://user:pw@example.com:8080/events?q=1").unwrap();
        assert_eq!(
            size("GET", &user, 0) - size("GET", &plain, 0),
            "authorization: Basic dXNlcjpwdw==\r\n".len()
        );
        let name_only = Url::parse("http://user@example.com:8080/events?q=1").unwrap();
        assert_eq!(
            size("GET", &name_only, 0) - size("GET", &plain, 0),
            "authorization: Basic dXNlcjo=\r\n".len()
        );
    }
}
