//! The plain-TCP transport under every direct `http://` connection: ureq's
//! own, but with an input buffer that starts small and grows.
//!
//! ureq's TCP transport allocates and zeroes its whole input buffer up
//! front, and that buffer must be able to hold a whole response head
//! ([`MAX_RESPONSE_HEAD`](crate::MAX_RESPONSE_HEAD)), so every idle stream
//! kept 20 KiB resident for a head of a few hundred bytes. Here the buffer
//! starts at [`INITIAL_INPUT`] and doubles, up to the configured input buffer
//! size, when it is full or when a read filled all of it (a busy stream), so
//! a quiet stream stays small and a flood reads as much at once as before.
//!
//! TLS and proxied connections go to ureq's own connector chains, shared by
//! the stream's connections ([`crate::tunnel`]).
//!
//! One transport belongs to one connection, used by the reader or post
//! thread that runs it; close reaches it only through the shutdown handle
//! ureq holds, which shuts the socket down from any thread.

use std::fmt;
use std::io::{self, Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::sync::{Arc, Weak};
use std::time::{Duration, Instant};

use ureq::unversioned::transport::{
    Buffers, ConnectionDetails, Connector, NextTimeout, ShutdownHandle, Transport,
};
use ureq::Timeout;

/// The input buffer of a new connection, in bytes: a typical response head
/// and a few small events fit.
pub(crate) const INITIAL_INPUT: usize = 2 * 1024;

/// Request bodies are read into a scratch area of at least this many bytes,
/// taken from the input buffer's free space as ureq's own buffers do.
const SCRATCH: usize = 10 * 1024;

/// The shortest time one address of several gets to connect.
const MIN_CONNECT_SHARE: Duration = Duration::from_millis(10);

/// Direct `http://` connections get a [`TcpTransport`]; everything else
/// (TLS, proxies) goes to the stream's connector chains.
#[derive(Debug)]
pub(crate) struct LeanConnector {
    chains: Arc<crate::tunnel::Chains>,
    /// The agent's settings for the TLS connection to an `https://` proxy.
    proxy_tls: Option<Arc<ureq::config::Config>>,
}

impl LeanConnector {
    pub(crate) fn new(
        chains: Arc<crate::tunnel::Chains>,
        proxy_tls: Option<Arc<ureq::config::Config>>,
    ) -> LeanConnector {
        LeanConnector { chains, proxy_tls }
    }
}

impl Connector<()> for LeanConnector {
    type Out = Box<dyn Transport>;

    fn connect(
        &self,
        details: &ConnectionDetails,
        chained: Option<()>,
    ) -> Result<Option<Self::Out>, ureq::Error> {
        let plain = details.uri.scheme_str() == Some("http") && details.config.proxy().is_none();
        if !plain {
            return crate::tunnel::connect(&self.chains, self.proxy_tls.as_ref(), details, chained);
        }
        let stream = connect_any(details)?;
        if details.config.no_delay() {
            stream.set_nodelay(true)?;
        }
        let transport = TcpTransport {
            stream: Arc::new(stream),
            buffers: GrowingBuffers::new(
                details.config.input_buffer_size(),
                details.config.output_buffer_size(),
            ),
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
    Err(last_error.unwrap_or_else(|| {
        ureq::Error::Io(io::Error::new(
            io::ErrorKind::ConnectionRefused,
            "the host name resolved to no address",
        ))
    }))
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

/// A socket error as ureq reports it: a timed-out read or write (which
/// Linux reports as `WouldBlock`) is a timeout for `reason`.
fn io_error(error: io::Error, reason: Timeout) -> ureq::Error {
    match error.kind() {
        io::ErrorKind::TimedOut | io::ErrorKind::WouldBlock => ureq::Error::Timeout(reason),
        _ => ureq::Error::Io(error),
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
        Ok(amount > 0)
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

/// ureq's buffers for one connection. Input lives in `input[start..end]`;
/// the vector starts at [`INITIAL_INPUT`] bytes and doubles, up to
/// `max_input`, when it has no free space left or when the last read filled
/// all it was offered and that was at least half of it. Output is allocated at its full size on first use.
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
            output: Vec::new(),
            output_size: output_size.max(1),
        }
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
        &self.input[self.start..self.end]
    }

    fn input_append_buf(&mut self) -> &mut [u8] {
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
    }

    fn input_consume(&mut self, amount: usize) {
        self.progress = amount > 0;
        self.start = (self.start + amount).min(self.end);
        if self.start == self.end {
            self.start = 0;
            self.end = 0;
        }
    }

    fn tmp_and_output(&mut self) -> (&mut [u8], &mut [u8]) {
        self.allocate_output();
        self.compact();
        self.grow_to(self.end + SCRATCH);
        (&mut self.input[self.end..], &mut self.output)
    }

    fn can_use_input(&self) -> bool {
        self.start < self.end && self.progress
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
}
