//! ssecat: curl for Server-Sent Events. Connects, follows the stream through
//! drops, and prints each event as one JSON line. Without a URL (or with
//! `--demo`) it follows its own demo server.
//!
//! ```text
//! cargo run --release -p ssecat -- --demo
//! cargo run --release -p ssecat -- -H 'Authorization: Bearer x' https://example.com/events
//! cargo install --path ssecat
//! ```

mod demo;

use std::io::{self, Write};
use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::atomic::{AtomicI32, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use clap::{Parser, ValueEnum};
use serde::Serialize;
use sselink::{Builder, CloseReason, Error, Event, Item, Stream};

/// `ssecat --version`: this tool's version and the library's, which can differ
/// when ssecat is built against another sselink release.
static VERSION_LINE: std::sync::LazyLock<String> = std::sync::LazyLock::new(|| {
    format!(
        "{} (sselink {})",
        env!("CARGO_PKG_VERSION"),
        sselink::VERSION
    )
});

/// The exit statuses, as `--help` lists them: curl's numbers, where curl has
/// one for the same failure. A macro, for `concat!`.
macro_rules! exit_status_help {
    () => {
        "\
Exit status (curl's numbers where curl has one):
  0    ended as asked: --max-events reached, the stream ended with --no-reconnect,
       the server sent 204; or --post got a 2xx
  1    another terminal error (a response that is not an event stream, say)
  2    usage error: a bad option, file or setting
  6    the host name did not resolve
  7    the server refused the connection
  18   --post: the response's body was cut off
  22   the server answered with an HTTP error status (or --post got no 2xx)
  28   a timeout: connecting, the idle timeout with --no-reconnect, --post's deadline
  47   a redirect could not be followed (too many, or a bad Location)
  56   the connection broke, or another network failure
  60   TLS failed: the server's certificate was refused, or the handshake failed
  63   the server broke --max-event-size or the line length limit
  97   the proxy refused the connection or failed
  130  SIGINT, 143 SIGTERM (after closing the connection)
When --max-attempts runs out, the status is that of the last attempt's failure."
    };
}

/// The exit status for a terminal error: see `exit_status_help!`.
fn exit_status(error: &Error) -> u8 {
    match error {
        Error::Dns(_) => 6,
        Error::ConnectionRefused(_) => 7,
        Error::IncompleteBody { .. } => 18,
        Error::Status(_) => 22,
        Error::ConnectTimeout(_) | Error::IdleTimeout(_) | Error::Deadline { .. } => 28,
        Error::Redirect(_) => 47,
        Error::ConnectionReset(_) | Error::Network(_) | Error::EndOfStream => 56,
        Error::Tls(_) => 60,
        Error::Limit(_) => 63,
        Error::Proxy(_) => 97,
        Error::AttemptsExhausted { last, .. } | Error::TimeBudgetExhausted { last, .. } => {
            exit_status(last)
        }
        _ => 1,
    }
}

/// curl for Server-Sent Events: prints each event as a JSON line.
#[derive(Debug, Parser)]
#[command(
    name = "ssecat",
    version = VERSION_LINE.as_str(),
    after_help = concat!(
        "Events go to stdout, one JSON object a line: {\"type\":..,\"data\":..,\"id\":..} plus \"retry\" when \
the event's block set one. Connecting, open, retrying and closed go to stderr.\n\n",
        exit_status_help!()
    )
)]
struct Args {
    /// The event stream URL. Without one, ssecat follows its demo server.
    url: Option<String>,
    /// Start the built-in demo server on 127.0.0.1 and follow it.
    #[arg(long, conflicts_with = "url")]
    demo: bool,
    /// Add a request header (repeatable).
    #[arg(short = 'H', long = "header", value_name = "'NAME: VALUE'", value_parser = parse_header)]
    headers: Vec<(String, String)>,
    /// Request method (default GET, or POST with --data).
    #[arg(short = 'X', long, value_name = "METHOD")]
    method: Option<String>,
    /// Request body, or @FILE to read it from a file.
    #[arg(short = 'd', long = "data", value_name = "BODY|@FILE")]
    data: Option<String>,
    /// Resume after this event id (sent as Last-Event-ID).
    #[arg(long, value_name = "ID")]
    last_event_id: Option<String>,
    /// Connect timeout in seconds.
    #[arg(long, value_name = "SECS", value_parser = parse_seconds)]
    connect_timeout: Option<Duration>,
    /// Reconnect when no byte arrives for this long, in seconds (0: never; default 45).
    #[arg(long, value_name = "SECS", value_parser = parse_seconds)]
    idle_timeout: Option<Duration>,
    /// First reconnect delay in milliseconds (default 1000; the server's retry overrides it).
    #[arg(long, value_name = "MS")]
    reconnect_delay: Option<u64>,
    /// Cap of the doubling reconnect delay in milliseconds (default 30000).
    #[arg(long, value_name = "MS")]
    max_reconnect_delay: Option<u64>,
    /// Give up when this many reconnect attempts in a row have failed (the
    /// failure that starts an outage is not counted).
    #[arg(long, value_name = "N")]
    max_attempts: Option<u32>,
    /// Largest event accepted, in bytes (default 16 MiB).
    #[arg(long, value_name = "BYTES", value_parser = clap::value_parser!(u64).range(1..))]
    max_event_size: Option<u64>,
    /// Also trust this CA certificate (PEM or DER).
    #[arg(long, value_name = "FILE")]
    cacert: Option<PathBuf>,
    /// Client certificate for mutual TLS (PEM chain, or DER); needs --key.
    #[arg(long, value_name = "FILE", requires = "key")]
    cert: Option<PathBuf>,
    /// Private key of --cert (PEM or DER).
    #[arg(long, value_name = "FILE", requires = "cert")]
    key: Option<PathBuf>,
    /// Use this proxy: `http://[user:password@]host:port`, `https://...`,
    /// `socks5://...`, `socks5h://...`, `socks4://...`. Without it, ALL_PROXY,
    /// HTTPS_PROXY and HTTP_PROXY decide (HTTP_PROXY not in a CGI program,
    /// where REQUEST_METHOD is set).
    #[arg(short = 'x', long, value_name = "URL")]
    proxy: Option<String>,
    /// Hosts that bypass the proxy, comma-separated, matched as curl does;
    /// '*' turns proxies off. Replaces NO_PROXY.
    #[arg(long, value_name = "LIST")]
    noproxy: Option<String>,
    /// Follow redirects from https to http, which send the request and the
    /// stream in clear text (refused by default).
    #[arg(long)]
    insecure_redirects: bool,
    /// Ask for a gzip-compressed stream and decode it as it arrives.
    #[arg(long)]
    compressed: bool,
    /// Print each response's status and headers on stderr.
    #[arg(short = 'i', long)]
    include: bool,
    /// Print only events of this type (repeatable; `message` for untyped).
    #[arg(long = "type", value_name = "NAME")]
    types: Vec<String>,
    /// Post this JSON body (or @FILE) through the write path, print the
    /// outcome as one JSON line, and exit: 0 on a 2xx, 22 on another
    /// status, or the failure's status (below) when there is no response.
    #[arg(long, value_name = "JSON|@FILE")]
    post: Option<String>,
    /// Where --post sends (default: the URL without a trailing /stream).
    #[arg(long, value_name = "URL", requires = "post")]
    post_url: Option<String>,
    /// Exit after this many events (0: exit at once, printing none).
    #[arg(long, value_name = "N")]
    max_events: Option<u64>,
    /// Exit when the first connection ends instead of reconnecting.
    #[arg(long)]
    no_reconnect: bool,
    /// Also print comment lines, as {"comment":"..."}.
    #[arg(long)]
    include_comments: bool,
    /// Output format.
    #[arg(long, value_enum, default_value_t = Format::Json)]
    format: Format,
    /// Print no events (lifecycle still goes to stderr).
    #[arg(short, long)]
    quiet: bool,
    /// At exit, print events, data bytes, seconds and events/s on stderr.
    #[arg(long)]
    stats: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
enum Format {
    /// One JSON object a line.
    Json,
    /// For people.
    Text,
}

fn parse_header(text: &str) -> Result<(String, String), String> {
    let (name, value) = text.split_once(':').ok_or("expected 'Name: value'")?;
    Ok((name.trim().to_string(), value.trim_start().to_string()))
}

fn parse_seconds(text: &str) -> Result<Duration, String> {
    let seconds: f64 = text
        .parse()
        .map_err(|_| format!("`{text}` is not a number of seconds"))?;
    Duration::try_from_secs_f64(seconds)
        .map_err(|_| format!("`{text}` is not a usable number of seconds"))
}

/// An event as printed: exactly these fields, in this order.
#[derive(Serialize)]
struct EventLine<'a> {
    #[serde(rename = "type")]
    event_type: &'a str,
    data: &'a str,
    id: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    retry: Option<u128>,
}

#[derive(Serialize)]
struct CommentLine<'a> {
    comment: &'a str,
}

/// A failure before the stream starts: bad arguments or configuration.
struct UsageError(String);

fn main() -> ExitCode {
    let args = Args::parse();
    match run(args) {
        Ok(code) => code,
        Err(UsageError(message)) => {
            eprintln!("ssecat: {message}");
            ExitCode::from(2)
        }
    }
}

/// The bytes of a `BODY|@FILE` argument.
fn body_of(text: &str) -> Result<Vec<u8>, UsageError> {
    match text.strip_prefix('@') {
        Some(path) => {
            std::fs::read(path).map_err(|e| UsageError(format!("cannot read {path}: {e}")))
        }
        None => Ok(text.as_bytes().to_vec()),
    }
}

fn read_file(path: &PathBuf) -> Result<Vec<u8>, UsageError> {
    std::fs::read(path).map_err(|e| UsageError(format!("cannot read {}: {e}", path.display())))
}

fn builder(args: &Args, url: &str) -> Result<Builder, UsageError> {
    let mut builder = Stream::builder(url)
        .comments(args.include_comments)
        .compressed(args.compressed)
        .insecure_redirects(args.insecure_redirects);
    for name in &args.types {
        builder = builder.filter_event_type(name);
    }
    if let Some(proxy) = &args.proxy {
        builder = builder.proxy(proxy);
    }
    if let Some(hosts) = &args.noproxy {
        builder = builder.no_proxy(hosts);
    }
    if let (Some(cert), Some(key)) = (&args.cert, &args.key) {
        builder = builder.client_certificate(read_file(cert)?, read_file(key)?);
    }
    if let Some(url) = &args.post_url {
        builder = builder.post_url(url);
    }
    for (name, value) in &args.headers {
        builder = builder.header(name, value);
    }
    if let Some(data) = &args.data {
        builder = builder.body(body_of(data)?).method("POST");
    }
    if let Some(method) = &args.method {
        builder = builder.method(method);
    }
    if let Some(id) = &args.last_event_id {
        builder = builder.last_event_id(id);
    }
    if let Some(timeout) = args.connect_timeout {
        builder = builder.connect_timeout(timeout);
    }
    if let Some(timeout) = args.idle_timeout {
        builder = builder.idle_timeout((!timeout.is_zero()).then_some(timeout));
    }
    if args.reconnect_delay.is_some() || args.max_reconnect_delay.is_some() {
        let initial = Duration::from_millis(args.reconnect_delay.unwrap_or(1000));
        let max = Duration::from_millis(args.max_reconnect_delay.unwrap_or(30_000));
        builder = builder.reconnect_delay(initial, max);
    }
    if let Some(attempts) = args.max_attempts {
        builder = builder.max_attempts(attempts);
    }
    if let Some(bytes) = args.max_event_size {
        builder = builder.max_event_size(usize::try_from(bytes).unwrap_or(usize::MAX));
    }
    if let Some(path) = &args.cacert {
        builder = builder.root_certificate(read_file(path)?);
    }
    if args.no_reconnect {
        builder = builder.reconnect(false);
    }
    Ok(builder)
}

/// Closes the stream on SIGINT or SIGTERM and remembers which arrived.
fn watch_signals(stream: &Arc<Stream>) -> Result<Arc<AtomicI32>, UsageError> {
    use signal_hook::consts::{SIGINT, SIGTERM};
    let caught = Arc::new(AtomicI32::new(0));
    let mut signals = signal_hook::iterator::Signals::new([SIGINT, SIGTERM])
        .map_err(|e| UsageError(format!("cannot watch signals: {e}")))?;
    let (stream, flag) = (Arc::clone(stream), Arc::clone(&caught));
    std::thread::spawn(move || {
        if let Some(signal) = signals.forever().next() {
            flag.store(signal, Ordering::SeqCst);
            stream.close();
        }
    });
    Ok(caught)
}

struct Stats {
    started: Instant,
    events: u64,
    bytes: u64,
}

impl Stats {
    fn print(&self) {
        let seconds = self.started.elapsed().as_secs_f64();
        let rate = if seconds > 0.0 {
            self.events as f64 / seconds
        } else {
            0.0
        };
        eprintln!(
            "stats: {} events, {} bytes, {seconds:.3} s, {rate:.1} events/s",
            self.events, self.bytes
        );
    }
}

fn run(args: Args) -> Result<ExitCode, UsageError> {
    let url = match (&args.url, args.demo) {
        (Some(url), false) => url.clone(),
        _ => {
            let url = demo::start()
                .map_err(|e| UsageError(format!("cannot start the demo server: {e}")))?;
            eprintln!("demo server at {url}");
            url
        }
    };
    if args.max_events == Some(0) {
        return Ok(ExitCode::SUCCESS);
    }
    let stream = builder(&args, &url)?.connect().map_err(|e| match e {
        Error::InvalidConfig(message) => UsageError(message),
        other => UsageError(other.to_string()),
    })?;
    if let Some(body) = &args.post {
        return post(&stream, &body_of(body)?);
    }
    let stream = Arc::new(stream);
    let caught = watch_signals(&stream)?;
    let mut stats = Stats {
        started: Instant::now(),
        events: 0,
        bytes: 0,
    };
    let mut out = io::stdout().lock();
    let code = loop {
        let Ok(item) = stream.recv() else {
            break ExitCode::SUCCESS;
        };
        let printed = match item {
            Item::Event(event) => {
                stats.events += 1;
                stats.bytes += event.data().len() as u64;
                let printed = if args.quiet {
                    Ok(())
                } else {
                    print_event(&mut out, &event, args.format)
                };
                if args.max_events.is_some_and(|max| stats.events >= max) {
                    stream.close();
                    break ExitCode::SUCCESS;
                }
                printed
            }
            Item::Comment(text) if !args.quiet => print_comment(&mut out, &text, args.format),
            Item::Closed(reason) => break closed(&reason, &caught, args.include),
            other => {
                report(&other, &url, args.include);
                Ok(())
            }
        };
        if printed.is_err() {
            // stdout is gone (a closed pipe): stop quietly.
            stream.close();
            break ExitCode::SUCCESS;
        }
    };
    if args.stats {
        stats.print();
    }
    Ok(code)
}

/// An outcome of --post, as printed.
#[derive(Serialize)]
struct PostLine<'a> {
    status: u16,
    attempts: u32,
    body: &'a str,
}

/// Posts once, prints the outcome as one JSON line, and says how it went.
fn post(stream: &Stream, body: &[u8]) -> Result<ExitCode, UsageError> {
    match stream.post(body) {
        Ok(response) => {
            let line = PostLine {
                status: response.status,
                attempts: response.attempts,
                body: &String::from_utf8_lossy(&response.body),
            };
            println!("{}", serde_json::to_string(&line).unwrap_or_default());
            Ok(if response.is_success() {
                ExitCode::SUCCESS
            } else {
                ExitCode::from(22)
            })
        }
        Err(error) => {
            eprintln!("ssecat: the post failed: {error}");
            Ok(ExitCode::from(exit_status(&error)))
        }
    }
}

/// Lifecycle on stderr, one line each; with --include, each response's
/// status and headers too.
fn report(item: &Item, url: &str, include: bool) {
    match item {
        Item::Connecting { attempt: 0 } => {
            eprintln!("connecting to {}", sselink::redact::url_for_logs(url))
        }
        Item::Connecting { attempt } => eprintln!("reconnecting (attempt {attempt})"),
        Item::Open { status, headers } => {
            eprintln!("open: HTTP {status}");
            if include {
                print_headers(headers);
            }
        }
        Item::Retrying { error, delay, .. } => {
            eprintln!("retrying in {:.2} s: {error}", delay.as_secs_f64());
            if let (true, Error::Status(failure)) = (include, error) {
                print_headers(&failure.headers);
            }
        }
        _ => {}
    }
}

fn print_headers(headers: &[(String, String)]) {
    for (name, value) in headers {
        eprintln!("< {name}: {value}");
    }
}

fn closed(reason: &CloseReason, caught: &AtomicI32, include: bool) -> ExitCode {
    match reason {
        CloseReason::Caller => {
            let signal = caught.load(Ordering::SeqCst);
            eprintln!("closed: signal {signal}");
            ExitCode::from(u8::try_from(128 + signal).unwrap_or(1))
        }
        CloseReason::Error(error) => {
            eprintln!("ssecat: {error}");
            if let (true, Error::Status(failure)) = (include, error) {
                print_headers(&failure.headers);
            }
            ExitCode::from(exit_status(error))
        }
        reason => {
            eprintln!("closed: {reason}");
            ExitCode::SUCCESS
        }
    }
}

fn print_event(out: &mut impl Write, event: &Event, format: Format) -> io::Result<()> {
    match format {
        Format::Json => {
            let line = EventLine {
                event_type: event.event_type(),
                data: event.data(),
                id: event.id(),
                retry: event.retry().map(|r| r.as_millis()),
            };
            serde_json::to_writer(&mut *out, &line).map_err(io::Error::other)?;
            out.write_all(b"\n")?;
        }
        Format::Text => {
            let id = if event.id().is_empty() {
                String::new()
            } else {
                format!(" #{}", event.id())
            };
            writeln!(out, "{}{id}:", event.event_type())?;
            for line in event.data().split('\n') {
                writeln!(out, "  {line}")?;
            }
        }
    }
    out.flush()
}

fn print_comment(out: &mut impl Write, text: &str, format: Format) -> io::Result<()> {
    match format {
        Format::Json => {
            serde_json::to_writer(&mut *out, &CommentLine { comment: text })
                .map_err(io::Error::other)?;
            out.write_all(b"\n")?;
        }
        Format::Text => writeln!(out, ": {text}")?,
    }
    out.flush()
}
