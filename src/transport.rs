//! The transports under every connection: ureq's own, with buffers of
//! sselink's that start small, grow, and fix what ureq-proto cannot read.
//!
//! ureq's TCP transport allocates and zeroes its whole input buffer up
//! front, and that buffer must be able to hold a whole response head
//! ([`MAX_RESPONSE_HEAD`](crate::MAX_RESPONSE_HEAD)), so every idle stream
//! kept 20 KiB resident for a head of a few hundred bytes. Here the buffer
//! starts at [`INITIAL_INPUT`] and doubles, up to the configured input buffer
//! size, when it is full or when a read filled all of it (a busy stream), so
//! a quiet stream stays small and a flood reads as much at once as before.
//!
//! The output buffer is as large as the request head being sent (measured
//! by [`crate::head`] and passed in through [`HeadSize`]), at least
//! [`OUTPUT`], and is freed once the response starts: a long header costs
//! memory only while it is written.
//!
//! A chunked response body goes through [`crate::chunked`] on its way in:
//! chunk-size lines reach ureq-proto as bare sizes, since it refuses one
//! with an extension of more than a dozen bytes.
//!
//! Direct `http://` connections are [`TcpTransport`]s. TLS and proxied
//! connections go to ureq's connector chains, shared by the stream's
//! connections ([`crate::tunnel`]), and a [`Relay`] moves the bytes of
//! their transport through the same buffers.
//!
//! One transport belongs to one connection, used by the reader or post
//! thread that runs it; close reaches it only through the shutdown handle
//! ureq holds, which shuts the socket down from any thread.

use std::fmt;
use std::io::{self, Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Weak};
use std::time::{Duration, Instant};

use ureq::unversioned::transport::{
    time, Buffers, ConnectionDetails, Connector, NextTimeout, ShutdownHandle, Transport,
};
use ureq::Timeout;

use crate::chunked::{body_framing, ChunkError, Framing};

/// The input buffer of a new connection, in bytes: a typical response head
/// and a few small events fit.
pub(crate) const INITIAL_INPUT: usize = 2 * 1024;

/// The smallest output buffer, in bytes: a request head that fits is
/// written in one piece, a body in pieces of this size.
pub(crate) const OUTPUT: usize = 2 * 1024;

/// Request bodies are read into a scratch area of at least this many bytes,
/// taken from the input buffer's free space as ureq's own buffers do.
const SCRATCH: usize = 10 * 1024;

/// The shortest time one address of several gets to connect.
const MIN_CONNECT_SHARE: Duration = Duration::from_millis(10);

/// The size of the request head an agent sends next, so that the
/// connection it opens for it has an output buffer to match. The reader
/// and the post path set it before each request; the agent's connector reads
/// it when it opens the connection, on the same thread.
#[derive(Debug, Clone, Default)]
pub(crate) struct HeadSize(Arc<AtomicUsize>);

impl HeadSize {
    /// Records the size of the next request head, in bytes.
    pub(crate) fn set(&self, bytes: usize) {
        self.0.store(bytes, Ordering::Relaxed);
    }

    /// The output buffer the next connection needs.
    fn output_buffer(&self) -> usize {
        self.0.load(Ordering::Relaxed).max(OUTPUT)
    }
}

/// Direct `http://` connections get a [`TcpTransport`]; everything else
/// (TLS, proxies) goes to the stream's connector chains, behind a [`Relay`].
#[derive(Debug)]
pub(crate) struct LeanConnector {
    chains: Arc<crate::tunnel::Chains>,
    /// The agent's settings for the TLS connection to an `https://` proxy.
    proxy_tls: Option<Arc<ureq::config::Config>>,
    head: HeadSize,
}

impl LeanConnector {
    pub(crate) fn new(
        chains: Arc<crate::tunnel::Chains>,
        proxy_tls: Option<Arc<ureq::config::Config>>,
        head: HeadSize,
    ) -> LeanConnector {
        LeanConnector {
            chains,
            proxy_tls,
            head,
        }
    }
}

impl Connector<()> for LeanConnector {
    type Out = Box<dyn Transport>;

    fn connect(
        &self,
        details: &ConnectionDetails,
        chained: Option<()>,
    ) -> Result<Option<Self::Out>, ureq::Error> {
        let buffers = GrowingBuffers::new(
            details.config.input_buffer_size(),
            self.head.output_buffer(),
        );
        let plain = details.uri.scheme_str() == Some("http") && details.config.proxy().is_none();
        if !plain {
            let made =
                crate::tunnel::connect(&self.chains, self.proxy_tls.as_ref(), details, chained)?;
            return Ok(made.map(|inner| Box::new(Relay { inner, buffers }) as Box<dyn Transport>));
        }
        let stream = connect_any(details)?;
        if details.config.no_delay() {
            stream.set_nodelay(true)?;
        }
        let transport = TcpTransport {
            stream: Arc::new(stream),
            buffers,
            read_timeout: None,
            write_timeout: None,
        };
        let handle: Weak<dyn ShutdownHandle> = Arc::downgrade(&transport.stream) as _;
        (details.register_shutdown)(handle)?;
        Ok(Some(Box::new(transport)))
    }
}

/// Tries the resolved addresses in order. Each but the last gets half of the
/// time left (at least [`MIN_CONNECT_SHARE`]), so one address that never
/// answers cannot use up the whole budget; the last gets all of it.
fn connect_any(details: &ConnectionDetails) -> Result<TcpStream, ureq::Error> {
    let budget = details.timeout.not_zero().map(|t| *t);
    let started = Instant::now();
    let count = details.addrs.len();
    let mut last_error = None;
    for (index, addr) in details.addrs.iter().enumerate() {
        let share = match budget {
            None => None,
            Some(budget) => {
                let left = budget.saturating_sub(started.elapsed());
                if left.is_zero() {
                    return Err(ureq::Error::Timeout(details.timeout.reason));
                }
                Some(if index + 1 == count {
                    left
                } else {
                    (left / 2).max(MIN_CONNECT_SHARE).min(left)
                })
            }
        };
        match connect_one(*addr, share) {
            Ok(stream) => return Ok(stream),
            Err(error) => last_error = Some(error),
        }
    }
    if let (Some(budget), Some(ureq::Error::Timeout(_))) = (budget, &last_error) {
        if started.elapsed() >= budget {
            return Err(ureq::Error::Timeout(details.timeout.reason));
        }
    }
    // No address to try: the name did not resolve.
    Err(last_error.unwrap_or(ureq::Error::HostNotFound))
}

fn connect_one(addr: SocketAddr, timeout: Option<Duration>) -> Result<TcpStream, ureq::Error> {
    let connected = match timeout {
        Some(timeout) => TcpStream::connect_timeout(&addr, timeout),
        None => TcpStream::connect(addr),
    };
    connected.map_err(|error| match error.kind() {
        io::ErrorKind::TimedOut | io::ErrorKind::WouldBlock => {
            ureq::Error::Timeout(Timeout::Connect)
        }
        _ => ureq::Error::Io(error),
    })
}

/// One direct TCP connection and its buffers.
struct TcpTransport {
    /// Shared (weakly) with the shutdown handle ureq keeps for close.
    stream: Arc<TcpStream>,
    buffers: GrowingBuffers,
    /// The socket's timeouts as last set, to skip a system call when unchanged.
    read_timeout: Option<Duration>,
    write_timeout: Option<Duration>,
}

impl fmt::Debug for TcpTransport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TcpTransport")
            .field("peer", &self.stream.peer_addr().ok())
            .finish()
    }
}

/// The timeout `next` gives one read or write, or the error when its budget
/// is already spent.
fn io_timeout(next: NextTimeout) -> Result<Option<Duration>, ureq::Error> {
    if !next.after.is_not_happening() && next.after.is_zero() {
        return Err(ureq::Error::Timeout(next.reason));
    }
    Ok(next.not_zero().map(|t| *t))
}

/// `timeout` less the time since `started`: one budget for the several
/// reads or writes a call may take. A per-read or per-write limit still
/// applies to each of them afresh.
fn remaining(timeout: NextTimeout, started: Instant) -> NextTimeout {
    let after = match timeout.after {
        time::Duration::Exact(left) => {
            time::Duration::Exact(left.saturating_sub(started.elapsed()))
        }
        time::Duration::NotHappening => time::Duration::NotHappening,
    };
    NextTimeout { after, ..timeout }
}

/// A socket error as ureq reports it: a timed-out read or write (which
/// Linux reports as `WouldBlock`) is a timeout for `reason`.
fn io_error(error: io::Error, reason: Timeout) -> ureq::Error {
    match error.kind() {
        io::ErrorKind::TimedOut | io::ErrorKind::WouldBlock => ureq::Error::Timeout(reason),
        _ => ureq::Error::Io(error),
    }
}

impl TcpTransport {
    /// One read from the socket into the input buffer: the bytes read.
    fn read_once(&mut self, timeout: NextTimeout) -> Result<usize, ureq::Error> {
        let next = timeout.for_read();
        let wanted = io_timeout(next)?;
        if wanted != self.read_timeout {
            self.stream.set_read_timeout(wanted)?;
            self.read_timeout = wanted;
        }
        let started = Instant::now();
        let input = self.buffers.input_append_buf();
        let read = loop {
            match (&*self.stream).read(input) {
                // A signal ends a read with a timeout early (Linux does not
                // restart those): read again for the time left. Without a
                // timeout the interruption is the caller's to see.
                Err(error) if error.kind() == io::ErrorKind::Interrupted => {
                    let Some(limit) = wanted else {
                        break Err(error);
                    };
                    let left = limit.saturating_sub(started.elapsed());
                    if left.is_zero() {
                        break Err(io::ErrorKind::TimedOut.into());
                    }
                    self.stream.set_read_timeout(Some(left))?;
                    self.read_timeout = Some(left);
                }
                other => break other,
            }
        };
        let amount = read.map_err(|error| io_error(error, next.reason))?;
        self.buffers.input_appended(amount);
        Ok(amount)
    }
}

impl Transport for TcpTransport {
    fn buffers(&mut self) -> &mut dyn Buffers {
        &mut self.buffers
    }

    fn transmit_output(&mut self, amount: usize, timeout: NextTimeout) -> Result<(), ureq::Error> {
        let next = timeout.for_write();
        let wanted = io_timeout(next)?;
        if wanted != self.write_timeout {
            self.stream.set_write_timeout(wanted)?;
            self.write_timeout = wanted;
        }
        let output = &self.buffers.output()[..amount];
        (&*self.stream)
            .write_all(output)
            .map_err(|error| io_error(error, next.reason))
    }

    fn await_input(&mut self, timeout: NextTimeout) -> Result<bool, ureq::Error> {
        let started = Instant::now();
        loop {
            self.buffers.check_framing()?;
            let before = self.buffers.visible();
            if self.read_once(remaining(timeout, started))? == 0 {
                return Ok(false);
            }
            if self.buffers.visible() > before {
                return Ok(true);
            }
            // The bytes went into an unfinished chunk-size line: read on.
        }
    }

    fn is_open(&mut self) -> bool {
        // Connections are never pooled (`max_idle_connections(0)`), but a
        // pooled one would be open when nothing is waiting to be read and
        // the peer has not closed: a non-blocking peek would block.
        let probe = || -> io::Result<bool> {
            self.stream.set_nonblocking(true)?;
            let peeked = self.stream.peek(&mut [0u8]);
            self.stream.set_nonblocking(false)?;
            Ok(matches!(peeked, Err(e) if e.kind() == io::ErrorKind::WouldBlock))
        };
        probe().unwrap_or(false)
    }
}

/// A connection made by ureq's connectors (TLS, proxies), whose bytes pass
/// through a [`GrowingBuffers`] of sselink's: what ureq's transport received
/// (and decrypted) is moved into it, and what ureq writes into it is handed
/// to ureq's transport in pieces its own output buffer takes. So chunked
/// bodies and long request heads work as on direct connections, for the
/// price of one copy.
struct Relay {
    inner: Box<dyn Transport>,
    buffers: GrowingBuffers,
}

impl fmt::Debug for Relay {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Relay").field("inner", &self.inner).finish()
    }
}

impl Transport for Relay {
    fn buffers(&mut self) -> &mut dyn Buffers {
        &mut self.buffers
    }

    fn transmit_output(&mut self, amount: usize, timeout: NextTimeout) -> Result<(), ureq::Error> {
        let started = Instant::now();
        let mut sent = 0;
        while sent < amount {
            let piece = self.inner.buffers().output();
            let n = piece.len().min(amount - sent);
            if n == 0 {
                return Err(ureq::Error::Io(io::Error::other(
                    "the connection offers no output buffer",
                )));
            }
            piece[..n].copy_from_slice(&self.buffers.output[sent..sent + n]);
            self.inner.transmit_output(n, remaining(timeout, started))?;
            sent += n;
        }
        Ok(())
    }

    fn await_input(&mut self, timeout: NextTimeout) -> Result<bool, ureq::Error> {
        let started = Instant::now();
        loop {
            self.buffers.check_framing()?;
            if self.inner.buffers().input().is_empty()
                && !self.inner.await_input(remaining(timeout, started))?
            {
                return Ok(false);
            }
            let before = self.buffers.visible();
            let held = self.inner.buffers().input();
            if held.is_empty() {
                continue;
            }
            let free = self.buffers.input_append_buf();
            if free.is_empty() {
                return Ok(false);
            }
            let n = held.len().min(free.len());
            free[..n].copy_from_slice(&held[..n]);
            self.inner.buffers().input_consume(n);
            self.buffers.input_appended(n);
            if self.buffers.visible() > before {
                return Ok(true);
            }
        }
    }

    fn is_open(&mut self) -> bool {
        self.inner.is_open()
    }

    fn is_tls(&self) -> bool {
        self.inner.is_tls()
    }
}

/// ureq's buffers for one connection. Input lives in `input[start..end]`;
/// the vector starts at [`INITIAL_INPUT`] bytes and doubles, up to
/// `max_input`, when it has no free space left or when the last read filled
/// all it was offered and that was at least half of it.
///
/// In a chunked body ureq sees only `input[start..checked]`: the bytes up to
/// `checked` went through [`crate::chunked`], and those after it are the
/// start of an unfinished chunk-size line. The response head is recognised
/// by ureq consuming it whole.
///
/// Output is allocated at its full size on first use and freed when the
/// response starts.
struct GrowingBuffers {
    input: Vec<u8>,
    start: usize,
    end: usize,
    max_input: usize,
    /// The length of the free space last handed out for a read.
    offered: usize,
    /// The last read filled all of `offered`: more is likely waiting.
    filled_offer: bool,
    /// The last consume took bytes (ureq's `can_use_input` rule).
    progress: bool,
    /// How the response's body is framed, once its head is consumed.
    framing: Framing,
    /// In a chunked body, the end of what ureq may read.
    checked: usize,
    /// The chunked framing is broken: the next wait for input fails.
    broken: Option<ChunkError>,
    output: Vec<u8>,
    output_size: usize,
}

impl GrowingBuffers {
    fn new(max_input: usize, output_size: usize) -> GrowingBuffers {
        GrowingBuffers {
            input: Vec::new(),
            start: 0,
            end: 0,
            max_input: max_input.max(1),
            offered: 0,
            filled_offer: false,
            progress: false,
            framing: Framing::Head,
            checked: 0,
            broken: None,
            output: Vec::new(),
            output_size: output_size.max(1),
        }
    }

    /// The end of the input ureq may read.
    fn visible_end(&self) -> usize {
        match self.framing {
            Framing::Chunked(_) => self.checked,
            Framing::Head | Framing::Unchanged => self.end,
        }
    }

    /// How many bytes ureq may read.
    fn visible(&self) -> usize {
        self.visible_end() - self.start
    }

    /// The error of broken chunked framing, if it is.
    fn check_framing(&self) -> Result<(), ureq::Error> {
        match &self.broken {
            None => Ok(()),
            Some(error) => Err(ureq::Error::Io(io::Error::new(
                io::ErrorKind::InvalidData,
                error.clone(),
            ))),
        }
    }

    /// Runs the bytes after `checked` through the chunked framing.
    fn normalise(&mut self) {
        let Framing::Chunked(state) = &mut self.framing else {
            return;
        };
        if self.broken.is_some() {
            return;
        }
        let done = state.normalise(&mut self.input[self.checked..self.end]);
        self.end = self.checked + done.len;
        self.checked += done.visible;
        self.broken = done.error;
    }

    /// Allocates the output buffer at its full size, on first use.
    fn allocate_output(&mut self) {
        if self.output.is_empty() {
            self.output = vec![0; self.output_size];
        }
    }

    /// Moves the unconsumed input to the front of the vector.
    fn compact(&mut self) {
        if self.start > 0 {
            self.input.copy_within(self.start..self.end, 0);
            self.end -= self.start;
            self.checked = self.checked.saturating_sub(self.start);
            self.start = 0;
        }
    }

    /// Makes the vector `len` bytes long (never shorter than its content).
    fn grow_to(&mut self, len: usize) {
        if len > self.input.len() {
            self.input.resize(len, 0);
        }
    }

    /// The growth rule: see the type's documentation.
    fn make_room(&mut self) {
        if self.input.is_empty() {
            self.grow_to(INITIAL_INPUT.min(self.max_input));
        }
        if self.end == self.input.len() {
            self.compact();
        }
        let full = self.end == self.input.len();
        if (full || self.filled_offer) && self.input.len() < self.max_input {
            let doubled = self.input.len().saturating_mul(2);
            self.grow_to(doubled.min(self.max_input));
        }
        self.filled_offer = false;
    }
}

impl Buffers for GrowingBuffers {
    fn output(&mut self) -> &mut [u8] {
        self.allocate_output();
        &mut self.output
    }

    fn input(&self) -> &[u8] {
        &self.input[self.start..self.visible_end()]
    }

    fn input_append_buf(&mut self) -> &mut [u8] {
        // The request is written: its buffer is not needed any more (a
        // later write, as after a 100 Continue, allocates it again).
        self.output = Vec::new();
        self.make_room();
        self.offered = self.input.len() - self.end;
        &mut self.input[self.end..]
    }

    fn input_appended(&mut self, amount: usize) {
        debug_assert!(amount <= self.input.len() - self.end);
        self.end = (self.end + amount).min(self.input.len());
        // Only a read that filled at least half the buffer says the peer is
        // sending faster than it is read; a few bytes into a nearly full
        // buffer say nothing.
        self.filled_offer = amount > 0 && amount == self.offered && amount * 2 >= self.input.len();
        self.normalise();
    }

    fn input_consume(&mut self, amount: usize) {
        self.progress = amount > 0;
        let amount = amount.min(self.visible());
        if amount > 0 && self.framing == Framing::Head {
            // ureq consumes a response head whole, once it has parsed it.
            let head = &self.input[self.start..self.start + amount];
            self.framing = body_framing(head);
            self.checked = self.start + amount;
            self.start += amount;
            self.normalise();
        } else {
            self.start += amount;
        }
        if self.start == self.end {
            self.start = 0;
            self.end = 0;
            self.checked = 0;
        }
    }

    fn tmp_and_output(&mut self) -> (&mut [u8], &mut [u8]) {
        self.allocate_output();
        self.compact();
        self.grow_to(self.end + SCRATCH);
        (&mut self.input[self.end..], &mut self.output)
    }

    fn can_use_input(&self) -> bool {
        self.start < self.visible_end() && self.progress
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Appends `bytes` as one read would.
    fn read_into(buffers: &mut GrowingBuffers, bytes: &[u8]) -> usize {
        let free = buffers.input_append_buf();
        let n = bytes.len().min(free.len());
        free[..n].copy_from_slice(&bytes[..n]);
        buffers.input_appended(n);
        n
    }

    #[test]
    fn a_quiet_connection_keeps_the_initial_input_buffer() {
        let mut buffers = GrowingBuffers::new(20 * 1024, 2048);
        for _ in 0..100 {
            assert_eq!(read_into(&mut buffers, b"data: x\n\n"), 9);
            assert_eq!(buffers.input(), b"data: x\n\n");
            buffers.input_consume(9);
        }
        assert_eq!(buffers.input.len(), INITIAL_INPUT);
    }

    #[test]
    fn an_unfinished_head_grows_the_buffer_up_to_the_limit_and_no_further() {
        let max = 20 * 1024;
        let mut buffers = GrowingBuffers::new(max, 2048);
        let head = vec![b'h'; 64 * 1024];
        let mut held = 0;
        // ureq consumes nothing until the head is whole.
        loop {
            let n = read_into(&mut buffers, &head[held..]);
            if n == 0 {
                break;
            }
            held += n;
        }
        assert_eq!(held, max);
        assert_eq!(buffers.input().len(), max);
        assert_eq!(buffers.input.len(), max);
    }

    #[test]
    fn reads_that_fill_the_buffer_grow_it_and_consumed_bytes_are_reused() {
        let mut buffers = GrowingBuffers::new(20 * 1024, 2048);
        let flood = vec![b'd'; 1 << 20];
        let mut sent = Vec::new();
        let mut seen = Vec::new();
        let mut at = 0;
        while at < flood.len() {
            let n = read_into(&mut buffers, &flood[at..]);
            sent.extend_from_slice(&flood[at..at + n]);
            at += n;
            // Consume all but a partial line, as a body reader would.
            let keep = buffers.input().len().min(7);
            let take = buffers.input().len() - keep;
            seen.extend_from_slice(&buffers.input()[..take]);
            buffers.input_consume(take);
        }
        seen.extend_from_slice(buffers.input());
        assert_eq!(seen, sent);
        assert_eq!(buffers.input.len(), 20 * 1024);
    }

    #[test]
    fn unconsumed_input_survives_compaction_in_order() {
        let mut buffers = GrowingBuffers::new(INITIAL_INPUT, 2048);
        let first: Vec<u8> = (0..INITIAL_INPUT).map(|i| i as u8).collect();
        assert_eq!(read_into(&mut buffers, &first), INITIAL_INPUT);
        buffers.input_consume(INITIAL_INPUT - 3);
        assert_eq!(read_into(&mut buffers, b"abc"), 3);
        let mut expected = first[INITIAL_INPUT - 3..].to_vec();
        expected.extend_from_slice(b"abc");
        assert_eq!(buffers.input(), &expected[..]);
        assert_eq!(buffers.input.len(), INITIAL_INPUT);
    }

    #[test]
    fn the_scratch_area_for_request_bodies_is_at_least_its_minimum() {
        let mut buffers = GrowingBuffers::new(4096, 2048);
        read_into(&mut buffers, b"kept");
        let (scratch, output) = buffers.tmp_and_output();
        assert!(scratch.len() >= SCRATCH);
        assert_eq!(output.len(), 2048);
        assert_eq!(buffers.input(), b"kept");
    }

    #[test]
    fn a_chunked_body_reaches_ureq_with_bare_chunk_sizes() {
        let mut buffers = GrowingBuffers::new(20 * 1024, OUTPUT);
        let head = b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n";
        let mut bytes = head.to_vec();
        bytes.extend_from_slice(b"5;name=\"a long value\"\r\nhello\r\n3;");
        read_into(&mut buffers, &bytes);
        // The head is shown as it came, and so is what follows, until ureq
        // has consumed the head.
        assert_eq!(buffers.input(), &bytes[..]);
        buffers.input_consume(head.len());
        assert_eq!(buffers.input(), b"5\r\nhello\r\n");
        buffers.input_consume(10);
        // The unfinished size line is held back, then shown bare.
        assert!(buffers.input().is_empty() && !buffers.can_use_input());
        read_into(&mut buffers, b"more\r\nabc\r\n");
        assert_eq!(buffers.input(), b"3\r\nabc\r\n");
        assert!(buffers.check_framing().is_ok());
        buffers.input_consume(8);
        read_into(&mut buffers, b"zz\r\n");
        assert!(buffers.input().is_empty());
        assert!(buffers.check_framing().is_err());
    }

    #[test]
    fn bodies_that_are_not_chunked_pass_unchanged() {
        let mut buffers = GrowingBuffers::new(20 * 1024, OUTPUT);
        let head = b"HTTP/1.1 200 OK\r\nContent-Length: 20\r\n\r\n";
        read_into(&mut buffers, head);
        buffers.input_consume(head.len());
        read_into(&mut buffers, b"5;ext\r\nhello\r\n0\r\n\r\n");
        assert_eq!(buffers.input(), b"5;ext\r\nhello\r\n0\r\n\r\n");
    }

    #[test]
    fn the_output_buffer_fits_the_head_and_is_freed_when_the_response_starts() {
        let head = HeadSize::default();
        assert_eq!(head.output_buffer(), OUTPUT);
        head.set(40 * 1024);
        let mut buffers = GrowingBuffers::new(20 * 1024, head.output_buffer());
        assert_eq!(buffers.output().len(), 40 * 1024);
        read_into(&mut buffers, b"HTTP/1.1 200 OK\r\n");
        assert_eq!(buffers.output.capacity(), 0);
        // A later write (after a 100 Continue) has it again.
        assert_eq!(buffers.output().len(), 40 * 1024);
    }
}
