//! The proxy the environment names (docs/behaviour.md §11.1): `ALL_PROXY`,
//! `HTTPS_PROXY` or `HTTP_PROXY` (or their lowercase forms), the first set
//! winning whatever the stream's scheme; `HTTP_PROXY` ignored in a CGI
//! program; a variable that does not parse an error. Through real proxies
//! on 127.0.0.1 that record what they were asked. Its own test binary, one
//! test: the environment is the process's, so nothing else may read it
//! while a case sets it.

mod support;

use sselink::{Error, Stream};
use support::items::next_event;
use support::proxy::{Answer, Proxy};
use support::server::{Conn, Server, PATIENCE};

const VARIABLES: [&str; 9] = [
    "ALL_PROXY",
    "all_proxy",
    "HTTPS_PROXY",
    "https_proxy",
    "HTTP_PROXY",
    "http_proxy",
    "NO_PROXY",
    "no_proxy",
    "REQUEST_METHOD",
];

/// Sets exactly `env` of the proxy variables, unsetting the others.
fn set_env(env: &[(&str, &str)]) {
    for name in VARIABLES {
        std::env::remove_var(name);
    }
    for (name, value) in env {
        std::env::set_var(name, value);
    }
}

#[test]
fn the_environments_proxy_variables_in_their_order() {
    let server = Server::start(|mut conn: Conn| {
        let _ = conn.sse_head().and_then(|()| conn.write("data: x\n\n"));
        conn.client_closed_within(PATIENCE);
    });
    let proxies = [
        ("socks", Proxy::socks5(None, Answer::Tunnel)),
        ("https", Proxy::connect(None, Answer::Tunnel)),
        ("http", Proxy::connect(None, Answer::Tunnel)),
    ];
    let socks = proxies[0].1.url("socks5", None);
    let https = proxies[1].1.url("http", None);
    let http = proxies[2].1.url("http", None);
    let (socks, https, http) = (socks.as_str(), https.as_str(), http.as_str());
    // Which proxy a stream made under `env` went through, if any.
    let through = |env: &[(&str, &str)]| -> Option<&str> {
        set_env(env);
        let stream = Stream::builder(&server.url("/events"))
            .reconnect(false)
            .connect()
            .unwrap_or_else(|e| panic!("{env:?}: {e}"));
        assert_eq!(next_event(&stream).data(), "x", "{env:?}");
        assert!(stream.close_and_wait(PATIENCE));
        assert_eq!(server.request().target, "/events", "{env:?}");
        let used: Vec<&str> = proxies
            .iter()
            .filter(|(_, proxy)| !proxy.asked_so_far().is_empty())
            .map(|(name, _)| *name)
            .collect();
        assert!(used.len() <= 1, "{env:?}: {used:?}");
        used.first().copied()
    };

    assert_eq!(through(&[]), None);
    assert_eq!(through(&[("ALL_PROXY", socks)]), Some("socks"));
    assert_eq!(through(&[("all_proxy", socks)]), Some("socks"));
    // HTTPS_PROXY counts for an http stream too: whatever the scheme.
    assert_eq!(through(&[("HTTPS_PROXY", https)]), Some("https"));
    assert_eq!(through(&[("HTTP_PROXY", http)]), Some("http"));
    assert_eq!(through(&[("http_proxy", http)]), Some("http"));
    let all = [
        ("HTTP_PROXY", http),
        ("HTTPS_PROXY", https),
        ("ALL_PROXY", socks),
    ];
    assert_eq!(through(&all), Some("socks"), "ALL_PROXY comes first");
    assert_eq!(
        through(&[("HTTP_PROXY", http), ("HTTPS_PROXY", https)]),
        Some("https"),
        "HTTPS_PROXY comes before HTTP_PROXY"
    );
    assert_eq!(
        through(&[("https_proxy", https), ("all_proxy", socks)]),
        Some("socks")
    );
    assert_eq!(
        through(&[("ALL_PROXY", ""), ("HTTP_PROXY", http)]),
        Some("http"),
        "an empty variable counts as unset"
    );
    assert_eq!(
        through(&[("ALL_PROXY", socks), ("NO_PROXY", "127.0.0.1")]),
        None,
        "NO_PROXY bypasses it"
    );
    // httpoxy: in a CGI program a request's Proxy header arrives as
    // HTTP_PROXY; lowercase http_proxy, which no header sets, still counts.
    assert_eq!(
        through(&[("REQUEST_METHOD", "GET"), ("HTTP_PROXY", http)]),
        None
    );
    assert_eq!(
        through(&[
            ("REQUEST_METHOD", "GET"),
            ("HTTP_PROXY", https),
            ("http_proxy", http)
        ]),
        Some("http")
    );

    // A variable that does not parse is an error naming it, never a
    // direct connection.
    set_env(&[("ALL_PROXY", "gopher://127.0.0.1:1"), ("HTTP_PROXY", http)]);
    let refused = Stream::builder(&server.url("/events")).connect();
    set_env(&[]);
    match refused {
        Err(Error::InvalidConfig(message)) => assert!(message.contains("ALL_PROXY"), "{message}"),
        other => panic!("expected the environment's ALL_PROXY refused, got {other:?}"),
    }
    assert!(server
        .request_within(std::time::Duration::from_millis(100))
        .is_none());
}
