//! From a defect hunt on the security fixes of issue 31.

mod support;

use sselink::redact::redact_log_message;
use support::items::quick;
use support::proxy::{Answer, Proxy};

/// `no_proxy` promises "a name matches itself and every name below it,
/// without case". A user who lists an internationalised name (as they
/// write it, and as the URL is given) still has the stream sent through
/// the proxy: the URL's host is compared in its punycode form
/// (`xn--bcher-kva.example`), the entry in Unicode, so they never match.
/// A host the user excluded goes through the proxy (and the proxy learns
/// the name).
#[test]
fn no_proxy_with_an_internationalised_name_bypasses_the_proxy() {
    let proxy = Proxy::connect(None, Answer::Status(403));
    for (entry, url) in [
        ("bücher.example", "http://bücher.example:9/events"),
        ("BÜCHER.example", "http://bücher.example:9/events"),
        (".bücher.example", "http://api.bücher.example:9/events"),
    ] {
        let stream = quick(url)
            .proxy(&proxy.url("http", None))
            .no_proxy(entry)
            .reconnect(false)
            .connect()
            .unwrap();
        let _ = support::items::close_reason(&stream);
        let asked: Vec<String> = proxy.asked_so_far().into_iter().map(|a| a.target).collect();
        assert!(
            asked.is_empty(),
            "no_proxy({entry:?}) excluded {url}, yet the proxy was asked for {asked:?}"
        );
    }
}

/// "Nothing of a password or a query value is shown": a URL in a log
/// message loses the closers it ends with (`)` `;` `'` `,` ...) to the
/// text around it, and they are put back after the redacted URL. When they
/// belong to the last query value, its tail is logged: ureq logs the
/// request target at trace as `GET http://h/p?filter=eq(name,'bob')`.
#[test]
fn the_tail_of_the_last_query_value_is_logged_when_it_ends_in_closers() {
    for (message, tail) in [
        ("GET http://h/p?filter=eq(owner,'S3CR3T')", "')"),
        ("GET http://h/p?sig=abc;S3CR3T;", ";"),
        ("GET http://h/p?pin=12,34,", ","),
    ] {
        let shown = redact_log_message("ureq::run", message).unwrap();
        assert!(
            !shown.ends_with(&format!("***{tail}")),
            "{message:?} was logged as {shown:?}: the value's last characters {tail:?} show"
        );
    }
}
