//! A scriptable HTTP/1.1 server on 127.0.0.1 for the integration tests: each
//! connection runs the test's handler on its own thread, with the parsed
//! request and the raw socket, and every request is recorded in order.

use std::io::{self, BufRead, BufReader, Read, Write};
use std::net::{Shutdown, SocketAddr, TcpListener, TcpStream};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::Arc;
use std::thread;
use std::time::{Duration, Instant};

use crossbeam_channel::{unbounded, Receiver, Sender};

/// Generous bound for anything a test waits for; never reached when passing.
pub const PATIENCE: Duration = Duration::from_secs(10);

/// One request as the server read it.
#[derive(Debug, Clone)]
pub struct Request {
    pub method: String,
    /// Path and query, as sent.
    pub target: String,
    /// Names lowercase, in order.
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
    /// 0 for the first connection, then 1, 2...
    pub index: usize,
}

impl Request {
    /// How many times header `name` (lowercase) was sent.
    pub fn header_count(&self, name: &str) -> usize {
        self.headers.iter().filter(|(n, _)| n == name).count()
    }

    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.as_str())
    }
}

/// One accepted connection, handed to the handler.
pub struct Conn {
    pub request: Request,
    stream: TcpStream,
}

impl Conn {
    /// Writes raw bytes; errors are returned (the client may have gone).
    pub fn write(&mut self, bytes: impl AsRef<[u8]>) -> io::Result<()> {
        self.stream.write_all(bytes.as_ref())?;
        self.stream.flush()
    }

    /// A 200 event-stream response head; the body runs until the connection closes.
    pub fn sse_head(&mut self) -> io::Result<()> {
        self.write(
            "HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\nCache-Control: no-cache\r\n\r\n",
        )
    }

    /// A whole response with a body and extra header lines (`Name: value`).
    pub fn respond(&mut self, status: u16, headers: &[&str], body: &str) -> io::Result<()> {
        let mut head = format!(
            "HTTP/1.1 {status} Whatever\r\nContent-Length: {}\r\nConnection: close\r\n",
            body.len()
        );
        for line in headers {
            head.push_str(line);
            head.push_str("\r\n");
        }
        head.push_str("\r\n");
        head.push_str(body);
        self.write(head)
    }

    /// Ends the connection with a TCP reset (RST) instead of a clean close.
    pub fn reset(self) {
        let _ = socket2::SockRef::from(&self.stream).set_linger(Some(Duration::ZERO));
    }

    /// Ends the response by closing the connection.
    pub fn end(self) {
        let _ = self.stream.shutdown(Shutdown::Both);
    }

    /// Waits until the client closes its end (read returns EOF or an error).
    /// True if it did within `timeout`.
    pub fn client_closed_within(&mut self, timeout: Duration) -> bool {
        let deadline = Instant::now() + timeout;
        let mut buf = [0u8; 1024];
        loop {
            let left = deadline.saturating_duration_since(Instant::now());
            if left.is_zero() {
                return false;
            }
            self.stream.set_read_timeout(Some(left)).unwrap();
            match self.stream.read(&mut buf) {
                Ok(0) => return true,
                Ok(_) => continue,
                Err(e)
                    if matches!(
                        e.kind(),
                        io::ErrorKind::WouldBlock | io::ErrorKind::TimedOut
                    ) =>
                {
                    return false
                }
                Err(_) => return true,
            }
        }
    }
}

/// A running server. Dropping it stops accepting.
pub struct Server {
    addr: SocketAddr,
    requests: Receiver<Request>,
    accepted: Arc<AtomicUsize>,
    stop: Arc<AtomicBool>,
}

impl Server {
    /// Starts a server whose connections each run `handler`.
    pub fn start(handler: impl Fn(Conn) + Send + Sync + 'static) -> Server {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let addr = listener.local_addr().unwrap();
        let (tx, requests) = unbounded();
        let accepted = Arc::new(AtomicUsize::new(0));
        let stop = Arc::new(AtomicBool::new(false));
        let handler = Arc::new(handler);
        let (count, halt) = (Arc::clone(&accepted), Arc::clone(&stop));
        thread::spawn(move || {
            for stream in listener.incoming() {
                if halt.load(Ordering::Acquire) {
                    break;
                }
                let Ok(stream) = stream else { continue };
                let index = count.fetch_add(1, Ordering::AcqRel);
                let (tx, handler) = (tx.clone(), Arc::clone(&handler));
                thread::spawn(move || serve_one(stream, index, &tx, &*handler));
            }
        });
        Server {
            addr,
            requests,
            accepted,
            stop,
        }
    }

    pub fn url(&self, path: &str) -> String {
        format!("http://{}{path}", self.addr)
    }

    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// The next recorded request, waiting up to [`PATIENCE`].
    pub fn request(&self) -> Request {
        self.requests
            .recv_timeout(PATIENCE)
            .expect("the client made no (further) request")
    }

    /// The next recorded request if one comes within `timeout`.
    pub fn request_within(&self, timeout: Duration) -> Option<Request> {
        self.requests.recv_timeout(timeout).ok()
    }

    /// Connections accepted so far.
    pub fn connections(&self) -> usize {
        self.accepted.load(Ordering::Acquire)
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Release);
        let _ = TcpStream::connect(self.addr);
    }
}

fn serve_one(
    stream: TcpStream,
    index: usize,
    requests: &Sender<Request>,
    handler: &(dyn Fn(Conn) + Send + Sync),
) {
    let Ok(request) = read_request(&stream, index) else {
        return;
    };
    let _ = requests.send(request.clone());
    handler(Conn { request, stream });
}

fn read_request(stream: &TcpStream, index: usize) -> io::Result<Request> {
    let mut reader = BufReader::new(stream.try_clone()?);
    let mut line = String::new();
    reader.read_line(&mut line)?;
    let mut parts = line.split_whitespace();
    let method = parts.next().unwrap_or_default().to_string();
    let target = parts.next().unwrap_or_default().to_string();
    let mut headers = Vec::new();
    loop {
        line.clear();
        if reader.read_line(&mut line)? == 0 {
            return Err(io::ErrorKind::UnexpectedEof.into());
        }
        let trimmed = line.trim_end();
        if trimmed.is_empty() {
            break;
        }
        if let Some((name, value)) = trimmed.split_once(':') {
            headers.push((name.trim().to_ascii_lowercase(), value.trim().to_string()));
        }
    }
    let length = headers
        .iter()
        .find(|(n, _)| n == "content-length")
        .and_then(|(_, v)| v.parse().ok())
        .unwrap_or(0);
    let mut body = vec![0; length];
    reader.read_exact(&mut body)?;
    Ok(Request {
        method,
        target,
        headers,
        body,
        index,
    })
}

/// A handler that serves an event stream of `body` on every connection, then
/// closes it.
pub fn sse_then_close(body: &'static str) -> impl Fn(Conn) + Send + Sync {
    move |mut conn: Conn| {
        let _ = conn.sse_head().and_then(|()| conn.write(body));
        conn.end();
    }
}

/// A handler that serves an event stream of `body` on every connection, then
/// holds it open until the client closes it (at most PATIENCE).
pub fn sse_then_hold(body: &'static str) -> impl Fn(Conn) + Send + Sync {
    move |mut conn: Conn| {
        let _ = conn.sse_head().and_then(|()| conn.write(body));
        conn.client_closed_within(PATIENCE);
    }
}

/// A server that sends the events numbered `numbers` (`id: n`, `data: n`)
/// at once on every connection, then ends the response, or with `hold`
/// keeps it open until the client closes.
pub fn numbered_events(numbers: std::ops::RangeInclusive<u32>, hold: bool) -> Server {
    let body: String = numbers.map(|i| format!("id: {i}\ndata: {i}\n\n")).collect();
    Server::start(move |mut conn: Conn| {
        let _ = conn.sse_head().and_then(|()| conn.write(&body));
        if hold {
            conn.client_closed_within(PATIENCE);
        } else {
            conn.end();
        }
    })
}

/// A listener on 127.0.0.1 whose accept queue is full: the kernel drops
/// further SYNs, so a connect to it blocks until the client's timeout.
pub struct FullBacklog {
    pub addr: SocketAddr,
    _listener: socket2::Socket,
    _fillers: Vec<socket2::Socket>,
}

impl FullBacklog {
    pub fn new() -> FullBacklog {
        use socket2::{Domain, Socket, Type};
        let listener = Socket::new(Domain::IPV4, Type::STREAM, None).unwrap();
        let any_port: SocketAddr = "127.0.0.1:0".parse().unwrap();
        listener.bind(&any_port.into()).unwrap();
        listener.listen(0).unwrap();
        let addr = listener.local_addr().unwrap().as_socket().unwrap();
        let fillers = (0..8)
            .map(|_| {
                let filler = Socket::new(Domain::IPV4, Type::STREAM, None).unwrap();
                filler.set_nonblocking(true).unwrap();
                let _ = filler.connect(&addr.into());
                filler
            })
            .collect();
        FullBacklog {
            addr,
            _listener: listener,
            _fillers: fillers,
        }
    }
}

/// A handler whose first connection serves `first` and ends; every later
/// connection serves `later` and holds until the client leaves.
pub fn first_then_hold(first: &'static str, later: &'static str) -> impl Fn(Conn) + Send + Sync {
    move |mut conn: Conn| {
        let body = if conn.request.index == 0 {
            first
        } else {
            later
        };
        let _ = conn.sse_head().and_then(|()| conn.write(body));
        if conn.request.index == 0 {
            conn.end();
        } else {
            conn.client_closed_within(PATIENCE);
        }
    }
}
