//! ssecat end to end: the built binary against loopback servers, checking
//! its output, exit codes and signal handling. Cargo builds the binary
//! before running this.

/// The helpers of the library's integration tests: a scriptable loopback
/// server, a test CA with an HTTPS server, and tinyproxy.
#[path = "../../tests/support/mod.rs"]
mod support;
use support::server;

use std::io::{BufRead, BufReader, Write};
use std::path::PathBuf;
use std::process::{Child, Command, Output, Stdio};
use std::time::{Duration, Instant};

use crossbeam_channel::{unbounded, Receiver};
use server::{sse_then_close, Conn, Server, PATIENCE};

fn ssecat_path() -> PathBuf {
    // Cargo builds the binary of this package before its tests.
    PathBuf::from(env!("CARGO_BIN_EXE_ssecat"))
}

fn ssecat(args: &[&str]) -> Command {
    let mut command = Command::new(ssecat_path());
    command.args(args).stdin(Stdio::null());
    command
}

/// Runs ssecat to completion, with a generous bound.
fn run(args: &[&str]) -> Output {
    let mut child = ssecat(args)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let deadline = Instant::now() + PATIENCE;
    while child.try_wait().unwrap().is_none() {
        if Instant::now() > deadline {
            child.kill().unwrap();
            panic!("ssecat {args:?} did not exit");
        }
        std::thread::sleep(Duration::from_millis(5));
    }
    child.wait_with_output().unwrap()
}

fn stdout(output: &Output) -> String {
    String::from_utf8(output.stdout.clone()).unwrap()
}

fn stderr(output: &Output) -> String {
    String::from_utf8(output.stderr.clone()).unwrap()
}

/// Spawns ssecat and streams its stdout lines into a channel.
fn spawn_lines(args: &[&str]) -> (Child, Receiver<String>) {
    let mut child = ssecat(args)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let out = BufReader::new(child.stdout.take().unwrap());
    let (tx, rx) = unbounded();
    std::thread::spawn(move || {
        for line in out.lines().map_while(Result::ok) {
            let _ = tx.send(line);
        }
    });
    (child, rx)
}

#[test]
fn prints_each_event_as_one_json_line() {
    let server = Server::start(sse_then_close(
        "id: 1\nevent: greet\ndata: hello\ndata: \"world\"\nretry: 1500\n\n: note\ndata: plain\n\n",
    ));
    let output = run(&["--no-reconnect", &server.url("/")]);
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    assert_eq!(
        stdout(&output),
        "{\"type\":\"greet\",\"data\":\"hello\\n\\\"world\\\"\",\"id\":\"1\",\"retry\":1500}\n\
         {\"type\":\"message\",\"data\":\"plain\",\"id\":\"1\"}\n"
    );
    let err = stderr(&output);
    let lines: Vec<&str> = err.lines().collect();
    assert!(
        lines[0].starts_with("connecting to http://127.0.0.1:"),
        "{err}"
    );
    assert_eq!(lines[1], "open: HTTP 200");
    assert!(lines[2].starts_with("closed: "), "{err}");
}

#[test]
fn include_comments_and_text_format() {
    let server = Server::start(sse_then_close(": keepalive\nid: 7\ndata: a\ndata: b\n\n"));
    let output = run(&["--no-reconnect", "--include-comments", &server.url("/")]);
    assert_eq!(
        stdout(&output),
        "{\"comment\":\"keepalive\"}\n{\"type\":\"message\",\"data\":\"a\\nb\",\"id\":\"7\"}\n"
    );
    let output = run(&[
        "--no-reconnect",
        "--include-comments",
        "--format",
        "text",
        &server.url("/"),
    ]);
    assert_eq!(stdout(&output), ": keepalive\nmessage #7:\n  a\n  b\n");
}

#[test]
fn max_events_exits_zero_after_that_many() {
    let server = Server::start(|mut conn: Conn| {
        let body: String = (0..10).map(|i| format!("id: {i}\ndata: {i}\n\n")).collect();
        let _ = conn.sse_head().and_then(|()| conn.write(body));
        conn.client_closed_within(PATIENCE);
    });
    let output = run(&["--max-events", "3", &server.url("/")]);
    assert_eq!(output.status.code(), Some(0));
    assert_eq!(stdout(&output).lines().count(), 3);
    let output = run(&["--max-events", "0", &server.url("/")]);
    assert_eq!(output.status.code(), Some(0));
    assert_eq!(stdout(&output), "", "zero events: none printed");
}

#[test]
fn quiet_and_stats() {
    let server = Server::start(sse_then_close("data: 12345\n\ndata: 678\n\n"));
    let output = run(&["--no-reconnect", "--quiet", "--stats", &server.url("/")]);
    assert_eq!(stdout(&output), "");
    let err = stderr(&output);
    assert!(
        err.contains("stats: 2 events, 8 bytes, ") && err.contains("events/s"),
        "{err}"
    );
}

#[test]
fn no_content_exits_zero() {
    let server = Server::start(|mut conn: Conn| {
        let _ = conn.write("HTTP/1.1 204 No Content\r\n\r\n");
        conn.end();
    });
    let output = run(&[&server.url("/")]);
    assert_eq!(output.status.code(), Some(0));
    assert!(stderr(&output).contains("204"));
}

#[test]
fn terminal_errors_exit_with_their_kind_and_a_one_line_message() {
    let unauthorized = Server::start(|mut conn: Conn| {
        let _ = conn.respond(401, &[], "{\"error\":\"bad token\"}");
        conn.end();
    });
    let html = Server::start(|mut conn: Conn| {
        let _ = conn.write("HTTP/1.1 200 OK\r\nContent-Type: text/html\r\n\r\n<html>");
        conn.end();
    });
    let failing = Server::start(|mut conn: Conn| {
        let _ = conn.respond(503, &[], "");
        conn.end();
    });
    let cases = [
        (vec![unauthorized.url("/")], "HTTP 401", 22),
        (vec![html.url("/")], "text/html", 1),
        (
            vec![
                "--max-attempts".into(),
                "1".into(),
                "--reconnect-delay".into(),
                "5".into(),
                failing.url("/"),
            ],
            "gave up after 1",
            22,
        ),
    ];
    for (args, expected, code) in &cases {
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        let output = run(&args);
        assert_eq!(output.status.code(), Some(*code), "{args:?}");
        let last = stderr(&output)
            .lines()
            .last()
            .unwrap_or_default()
            .to_string();
        assert!(
            last.starts_with("ssecat: ") && last.contains(expected),
            "{args:?}: {last}"
        );
    }
    let big = Server::start(sse_then_close("data: 0123456789\n\n"));
    let output = run(&["--max-event-size", "4", &big.url("/")]);
    assert_eq!(output.status.code(), Some(63));
    assert!(
        stderr(&output).contains("max_event_size"),
        "{}",
        stderr(&output)
    );
}

#[test]
fn the_exit_status_tells_the_kind_of_failure_as_curls_does() {
    let refused_port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let refused = format!("http://127.0.0.1:{refused_port}/");
    let untrusted = support::tls::https_server(support::tls::test_ca().server_config);
    let unauthorized = Server::start(|mut conn: Conn| {
        let _ = conn.respond(401, &[], "");
        conn.end();
    });
    let silent = Server::start(|mut conn: Conn| {
        let _ = conn.sse_head();
        conn.client_closed_within(PATIENCE);
    });
    let backlog = server::FullBacklog::new();
    let blackhole = format!("http://{}/", backlog.addr);
    let cut = Server::start(|mut conn: Conn| {
        let _ = conn.write("HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\n0123456789");
        conn.end();
    });
    let cases: [(&[&str], i32); 7] = [
        (&["--no-reconnect", "http://nothing.invalid/"], 6),
        (&["--no-reconnect", &refused], 7),
        // Final by default: no --no-reconnect needed.
        (&[&untrusted], 60),
        (&[&unauthorized.url("/")], 22),
        (
            &["--no-reconnect", "--connect-timeout", "0.2", &blackhole],
            28,
        ),
        (
            &["--no-reconnect", "--idle-timeout", "0.2", &silent.url("/")],
            28,
        ),
        (&["--post", "{}", &cut.url("/events")], 18),
    ];
    for (args, code) in cases {
        let output = run(args);
        assert_eq!(
            output.status.code(),
            Some(code),
            "{args:?}: {}",
            stderr(&output)
        );
        let last = stderr(&output)
            .lines()
            .last()
            .unwrap_or_default()
            .to_string();
        assert!(last.starts_with("ssecat: "), "{args:?}: {last}");
    }
    let help = run(&["--help"]);
    let help = stdout(&help);
    for line in [
        "6    the host name did not resolve",
        "7    the server refused the connection",
        "22   the server answered with an HTTP error status",
        "28   a timeout",
        "60   TLS failed",
    ] {
        assert!(help.contains(line), "--help lacks `{line}`: {help}");
    }
}

#[test]
fn its_own_output_never_shows_credentials() {
    // A redirect with a secret in its Location's query, then a 401: every
    // lifecycle line and the final error on stderr.
    let server = Server::start(|mut conn: Conn| {
        if conn.request.index == 0 {
            let _ = conn.respond(302, &["Location: /next?token=LOCATIONSECRET"], "");
        } else {
            let _ = conn.respond(401, &[], "");
        }
        conn.end();
    });
    let url = format!(
        "http://user:USERSECRET@{}/events?api_key=QUERYSECRET",
        server.addr()
    );
    let output = run(&[
        "-H",
        "Authorization: Bearer HEADERSECRET",
        "--last-event-id",
        "7",
        &url,
    ]);
    assert_eq!(output.status.code(), Some(22));
    let err = stderr(&output);
    assert!(err.contains("connecting to http://127.0.0.1:"), "{err}");
    assert!(err.contains("/events?api_key=***"), "{err}");
    for secret in [
        "USERSECRET",
        "QUERYSECRET",
        "HEADERSECRET",
        "LOCATIONSECRET",
    ] {
        assert!(!err.contains(secret), "{secret} shown: {err}");
    }
}

#[test]
fn usage_errors_exit_two() {
    for args in [
        &["--no-such-option"][..],
        &["-H", "no colon here", "http://127.0.0.1:1/"],
        &["ftp://127.0.0.1/"],
        &["--idle-timeout", "-3", "http://127.0.0.1:1/"],
        &["-d", "@/no/such/file", "http://127.0.0.1:1/"],
        // A timeout too large for any clock, rejected before connecting.
        &["--connect-timeout", "1e19", "http://127.0.0.1:1/"],
        &["--idle-timeout", "1e19", "http://127.0.0.1:1/"],
        &["--connect-timeout", "0", "http://127.0.0.1:1/"],
        // An id a header cannot carry.
        &["--last-event-id", "a\u{1}b", "http://127.0.0.1:1/"],
        &["-H", "Content-Length: 5", "http://127.0.0.1:1/"],
    ] {
        let output = run(args);
        assert_eq!(
            output.status.code(),
            Some(2),
            "{args:?}: {}",
            stderr(&output)
        );
        assert!(!stderr(&output).is_empty());
    }
}

#[test]
fn headers_method_body_and_last_event_id_are_sent() {
    let server = Server::start(sse_then_close("data: x\n\n"));
    let file = TempFile::with(b"{\"from\":\"file\"}");
    let body_arg = format!("@{}", file.0.display());
    let output = run(&[
        "--no-reconnect",
        "-H",
        "X-One: 1",
        "-H",
        "Authorization: Bearer t",
        "-X",
        "REPORT",
        "-d",
        &body_arg,
        "--last-event-id",
        "41",
        &server.url("/"),
    ]);
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    let request = server.request();
    assert_eq!(request.method, "REPORT");
    assert_eq!(request.header("x-one"), Some("1"));
    assert_eq!(request.header("authorization"), Some("Bearer t"));
    assert_eq!(request.header("last-event-id"), Some("41"));
    assert_eq!(request.body, b"{\"from\":\"file\"}");
    let output = run(&["--no-reconnect", "-d", "inline", &server.url("/")]);
    assert_eq!(output.status.code(), Some(0));
    let request = server.request();
    assert_eq!(
        (request.method.as_str(), request.body.as_slice()),
        ("POST", &b"inline"[..]),
        "-d implies POST"
    );
    drop(file);
}

/// A temporary file holding some bytes, removed on drop.
struct TempFile(PathBuf);

impl TempFile {
    fn with(bytes: &[u8]) -> TempFile {
        let path = std::env::temp_dir().join(format!("ssecat-body-{}", std::process::id()));
        std::fs::File::create(&path)
            .and_then(|mut f| f.write_all(bytes))
            .unwrap();
        TempFile(path)
    }
}

impl Drop for TempFile {
    fn drop(&mut self) {
        let _ = std::fs::remove_file(&self.0);
    }
}

fn signal_exits_promptly(signal: &str, code: i32) {
    let (conn_tx, conn_rx) = crossbeam_channel::bounded::<Conn>(1);
    let server = Server::start(move |mut conn: Conn| {
        let _ = conn.sse_head().and_then(|()| conn.write("data: first\n\n"));
        let _ = conn_tx.send(conn);
    });
    let (mut child, lines) = spawn_lines(&[&server.url("/")]);
    assert_eq!(
        lines.recv_timeout(PATIENCE).unwrap(),
        "{\"type\":\"message\",\"data\":\"first\",\"id\":\"\"}"
    );
    let mut conn = conn_rx.recv_timeout(PATIENCE).unwrap();
    let start = Instant::now();
    let killed = Command::new("kill")
        .args([signal, &child.id().to_string()])
        .status()
        .unwrap();
    assert!(killed.success());
    let status = loop {
        if let Some(status) = child.try_wait().unwrap() {
            break status;
        }
        assert!(start.elapsed() < PATIENCE, "ssecat ignored {signal}");
        std::thread::sleep(Duration::from_millis(1));
    };
    let took = start.elapsed();
    let mut err = String::new();
    std::io::Read::read_to_string(&mut child.stderr.take().unwrap(), &mut err).unwrap();
    assert_eq!(status.code(), Some(code), "{err}");
    assert!(
        took < Duration::from_millis(500),
        "{signal} took {took:?} (contract: 100 ms; see benches)"
    );
    assert!(
        conn.client_closed_within(Duration::from_secs(2)),
        "the server did not see the connection closed"
    );
}

#[test]
fn sigint_closes_the_stream_and_exits_130() {
    signal_exits_promptly("-INT", 130);
}

#[test]
fn sigterm_closes_the_stream_and_exits_143() {
    signal_exits_promptly("-TERM", 143);
}

#[test]
fn demo_drops_once_resumes_and_ends() {
    let output = run(&["--demo"]);
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    let ids: Vec<u64> = stdout(&output)
        .lines()
        .map(|line| {
            let value: serde_json::Value = serde_json::from_str(line).unwrap();
            assert_eq!(value["type"], "tick");
            value["id"].as_str().unwrap().parse().unwrap()
        })
        .collect();
    assert_eq!(
        ids,
        (1..=12).collect::<Vec<u64>>(),
        "every event once, in order"
    );
    let err = stderr(&output);
    assert!(err.contains("retrying in"), "{err}");
    assert_eq!(err.matches("open: HTTP 200").count(), 2, "{err}");
    assert!(
        err.trim_end().ends_with("it asks the client to stop"),
        "{err}"
    );
}

#[test]
fn type_filters_include_and_compressed() {
    let server = Server::start(|mut conn: Conn| {
        let gzip = conn.request.header("accept-encoding") == Some("gzip");
        let body = "event: a\ndata: 1\n\nevent: b\ndata: 2\n\ndata: 3\n\n";
        if gzip {
            use std::io::Write as _;
            let mut encoder =
                flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
            encoder.write_all(body.as_bytes()).unwrap();
            let bytes = encoder.finish().unwrap();
            let _ = conn.write(format!(
                "HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\nContent-Encoding: gzip\r\n\
                 X-Seen: gzip\r\nContent-Length: {}\r\n\r\n",
                bytes.len()
            ));
            let _ = conn.write(bytes);
        } else {
            let _ = conn.sse_head().and_then(|()| conn.write(body));
        }
        conn.end();
    });
    let output = run(&[
        "--no-reconnect",
        "--type",
        "b",
        "--type",
        "message",
        &server.url("/"),
    ]);
    assert_eq!(output.status.code(), Some(0));
    let lines: Vec<String> = stdout(&output).lines().map(String::from).collect();
    assert_eq!(
        lines,
        [
            r#"{"type":"b","data":"2","id":""}"#,
            r#"{"type":"message","data":"3","id":""}"#
        ]
    );
    assert!(
        !stderr(&output).contains("< content-type"),
        "no -i, no headers"
    );

    let output = run(&["--no-reconnect", "--compressed", "-i", &server.url("/")]);
    assert_eq!(output.status.code(), Some(0));
    assert_eq!(stdout(&output).lines().count(), 3);
    let err = stderr(&output);
    assert!(err.contains("open: HTTP 200"), "{err}");
    // The server answers gzip only when asked (ureq drops Content-Encoding
    // once it decodes), and says so in X-Seen.
    assert!(err.contains("< x-seen: gzip"), "{err}");
}

#[test]
fn include_shows_a_failed_responses_headers() {
    let server = Server::start(|mut conn: Conn| {
        let _ = conn.respond(403, &["X-Reason: expired"], "no");
        conn.end();
    });
    let output = run(&["-i", &server.url("/")]);
    assert_eq!(output.status.code(), Some(22));
    assert!(
        stderr(&output).contains("< x-reason: expired"),
        "{}",
        stderr(&output)
    );
}

#[test]
fn post_sends_one_write_and_prints_its_outcome() {
    let server = Server::start(|mut conn: Conn| {
        match (conn.request.method.as_str(), conn.request.index) {
            ("POST", _) if conn.request.header("x-try") == Some("1") => {
                let _ = conn.respond(201, &[], "created");
            }
            ("POST", _) => {
                let _ = conn.respond(503, &[], "busy");
            }
            _ => {
                let _ = conn.sse_head();
                conn.client_closed_within(PATIENCE);
                return;
            }
        }
        conn.end();
    });
    let url = server.url("/v1/events/stream");
    let output = run(&["-H", "X-Try: 1", "--post", r#"{"a":1}"#, &url]);
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    assert_eq!(
        stdout(&output).trim(),
        r#"{"status":201,"attempts":1,"body":"created"}"#
    );
    let posted = loop {
        let request = server.request();
        if request.method == "POST" {
            break request;
        }
    };
    assert_eq!(posted.target, "/v1/events");
    assert_eq!(posted.body, br#"{"a":1}"#);
}

#[test]
fn proxies_from_the_option_and_from_the_environment() {
    let proxy = support::tinyproxy::Tinyproxy::start(Some(("user", "pw")));
    let server = Server::start(|mut conn: Conn| {
        let _ = conn.sse_head().and_then(|()| conn.write("data: x\n\n"));
        conn.end();
    });
    let good = proxy.url(Some(("user", "pw")));
    let bad = proxy.url(None); // refused: the proxy wants credentials
    let output = run(&["--no-reconnect", "--proxy", &good, &server.url("/")]);
    assert_eq!(
        (output.status.code(), stdout(&output).lines().count()),
        (Some(0), 1)
    );
    let output = run(&["--no-reconnect", "--proxy", &bad, &server.url("/")]);
    assert_eq!(output.status.code(), Some(97));
    assert!(
        stderr(&output).contains("the proxy failed"),
        "{}",
        stderr(&output)
    );
    assert!(!stderr(&output).contains("pw"));

    // The environment: HTTPS_PROXY (read whatever the scheme), then
    // NO_PROXY and --noproxy bypassing it.
    let url = server.url("/");
    let args = ["--no-reconnect", url.as_str()];
    let through = with_env(&[("HTTPS_PROXY", good.as_str())], &args);
    assert_eq!(
        through.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&through.stderr)
    );
    let refused = with_env(&[("HTTPS_PROXY", bad.as_str())], &args);
    assert_eq!(
        refused.status.code(),
        Some(97),
        "the environment's proxy was used"
    );
    let bypassed = with_env(
        &[("HTTPS_PROXY", bad.as_str()), ("NO_PROXY", "127.0.0.1")],
        &args,
    );
    assert_eq!(bypassed.status.code(), Some(0), "NO_PROXY");
    let off = with_env(
        &[("HTTPS_PROXY", bad.as_str())],
        &["--no-reconnect", "--noproxy", "*", url.as_str()],
    );
    assert_eq!(off.status.code(), Some(0), "--noproxy '*'");
}

/// Runs ssecat with `env` and no other proxy variable.
fn with_env(env: &[(&str, &str)], args: &[&str]) -> Output {
    let mut command = ssecat(args);
    for name in [
        "ALL_PROXY",
        "all_proxy",
        "HTTPS_PROXY",
        "https_proxy",
        "HTTP_PROXY",
        "http_proxy",
        "NO_PROXY",
        "no_proxy",
        "REQUEST_METHOD",
    ] {
        command.env_remove(name);
    }
    for (name, value) in env {
        command.env(name, value);
    }
    command.output().unwrap()
}

#[test]
fn http_proxy_is_ignored_in_a_cgi_program() {
    // The proxy refuses without credentials: exit 97 (a proxy failure)
    // means it was used.
    let proxy = support::tinyproxy::Tinyproxy::start(Some(("user", "pw")));
    let server = Server::start(sse_then_close("data: x\n\n"));
    let url = server.url("/");
    let args = ["--no-reconnect", url.as_str()];
    let bad = proxy.url(None);
    let used = with_env(&[("HTTP_PROXY", &bad)], &args);
    assert_eq!(used.status.code(), Some(97), "{}", stderr(&used));
    // In a CGI program a request's `Proxy:` header arrives as HTTP_PROXY.
    let cgi = with_env(&[("HTTP_PROXY", &bad), ("REQUEST_METHOD", "GET")], &args);
    assert_eq!(cgi.status.code(), Some(0), "{}", stderr(&cgi));
    let lower = with_env(&[("http_proxy", &bad), ("REQUEST_METHOD", "GET")], &args);
    assert_eq!(lower.status.code(), Some(97), "http_proxy still counts");
}

#[test]
fn no_proxy_from_the_environment_applies_to_an_explicit_proxy_too() {
    let proxy = support::tinyproxy::Tinyproxy::start(Some(("user", "pw")));
    let server = Server::start(sse_then_close("data: x\n\n"));
    let url = server.url("/");
    let bad = proxy.url(None);
    let args = ["--no-reconnect", "--proxy", bad.as_str(), url.as_str()];
    let used = with_env(&[], &args);
    assert_eq!(used.status.code(), Some(97), "{}", stderr(&used));
    for list in ["127.0.0.1", "localhost, 127.0.0.1", "127.0.0.0/8"] {
        let bypassed = with_env(&[("NO_PROXY", list)], &args);
        assert_eq!(
            bypassed.status.code(),
            Some(0),
            "NO_PROXY={list}: {}",
            stderr(&bypassed)
        );
    }
    let replaced = with_env(
        &[("NO_PROXY", "127.0.0.1")],
        &["--no-reconnect", "--proxy", &bad, "--noproxy", "", &url],
    );
    assert_eq!(
        replaced.status.code(),
        Some(97),
        "--noproxy replaces NO_PROXY"
    );
}

#[test]
fn a_socks_proxy_from_the_environment_is_used_never_bypassed() {
    use support::proxy::{Answer, Proxy};
    let socks = Proxy::socks5(None, Answer::Tunnel);
    let server = Server::start(sse_then_close("data: x\n\n"));
    let url = server.url("/");
    for scheme in ["socks5", "socks5h"] {
        let all_proxy = socks.url(scheme, None);
        for extra in [&[][..], &["--noproxy", "example.com"][..]] {
            let mut args = vec!["--no-reconnect"];
            args.extend_from_slice(extra);
            args.push(&url);
            let output = with_env(&[("ALL_PROXY", &all_proxy)], &args);
            assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
            assert_eq!(stdout(&output).lines().count(), 1);
            assert_eq!(
                socks.asked().target,
                server.addr().to_string(),
                "{scheme} {extra:?}"
            );
            server.request();
        }
    }
    // A proxy variable that does not parse is an error that names it, never
    // a direct connection, and never shows its password.
    let output = with_env(
        &[("ALL_PROXY", "gopher://user:SECRET@127.0.0.1:1")],
        &["--no-reconnect", &url],
    );
    assert_eq!(output.status.code(), Some(2), "{}", stderr(&output));
    assert!(stderr(&output).contains("ALL_PROXY"), "{}", stderr(&output));
    assert!(!stderr(&output).contains("SECRET"));
    assert!(server.request_within(Duration::from_millis(50)).is_none());
}

#[test]
fn a_redirect_from_https_to_http_needs_insecure_redirects() {
    let ca = support::tls::test_ca();
    let server = Server::start(sse_then_close("data: clear\n\n"));
    let url = support::tls::https_server_answering(
        std::sync::Arc::clone(&ca.server_config),
        format!(
            "HTTP/1.1 302 Found\r\nLocation: {}\r\nContent-Length: 0\r\n\r\n",
            server.url("/")
        ),
    );
    let dir = std::env::temp_dir().join(format!("ssecat-redirect-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let cacert = dir.join("ca.pem");
    std::fs::write(&cacert, ca.ca_pem.as_bytes()).unwrap();
    let cacert = cacert.to_string_lossy().into_owned();
    let refused = run(&["--no-reconnect", "--cacert", &cacert, &url]);
    // 47: a redirect not followed.
    assert_eq!(refused.status.code(), Some(47));
    assert!(
        stderr(&refused).contains("insecure_redirects"),
        "{}",
        stderr(&refused)
    );
    let followed = run(&[
        "--no-reconnect",
        "--insecure-redirects",
        "--cacert",
        &cacert,
        &url,
    ]);
    assert_eq!(followed.status.code(), Some(0), "{}", stderr(&followed));
    assert!(stdout(&followed).contains("clear"));
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn client_certificates_from_files() {
    let ca = support::tls::test_ca();
    let url = support::tls::https_server(std::sync::Arc::clone(&ca.mutual_config));
    let dir = std::env::temp_dir().join(format!("ssecat-mtls-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let write = |name: &str, bytes: &[u8]| {
        let path = dir.join(name);
        std::fs::write(&path, bytes).unwrap();
        path.to_string_lossy().into_owned()
    };
    let cacert = write("ca.pem", ca.ca_pem.as_bytes());
    let cert = write("client.pem", ca.client_pem.as_bytes());
    let key = write("client.key", ca.client_key_pem.as_bytes());
    let without = run(&["--no-reconnect", "--cacert", &cacert, &url]);
    // Refused in the handshake (60), or by a reset right after it (56).
    assert!(
        matches!(without.status.code(), Some(60 | 56)),
        "{:?}: {}",
        without.status.code(),
        stderr(&without)
    );
    let with = run(&[
        "--no-reconnect",
        "--cacert",
        &cacert,
        "--cert",
        &cert,
        "--key",
        &key,
        &url,
    ]);
    assert_eq!(with.status.code(), Some(0), "{}", stderr(&with));
    assert_eq!(
        stdout(&with).trim(),
        r#"{"type":"message","data":"secure","id":""}"#
    );
    // A key that does not belong to the certificate: a usage error, for the
    // stream and for --post alike, before anything connects.
    let other = write("other.key", ca.other_key_pem.as_bytes());
    for post in [&[][..], &["--post", "{}"][..]] {
        let mut args = vec![
            "--no-reconnect",
            "--cacert",
            &cacert,
            "--cert",
            &cert,
            "--key",
            &other,
        ];
        args.extend_from_slice(post);
        args.push(&url);
        let output = run(&args);
        assert_eq!(
            output.status.code(),
            Some(2),
            "{post:?}: {}",
            stderr(&output)
        );
        assert!(
            stderr(&output).contains("does not belong"),
            "{}",
            stderr(&output)
        );
    }
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn version_names_ssecat_and_sselink() {
    let output = run(&["--version"]);
    assert!(output.status.success());
    assert_eq!(
        stdout(&output).trim_end(),
        format!(
            "ssecat {} (sselink {})",
            env!("CARGO_PKG_VERSION"),
            sselink::VERSION
        )
    );
}
