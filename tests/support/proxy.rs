//! Scripted proxies on 127.0.0.1 for the tests: an HTTP CONNECT proxy,
//! plain or reached over TLS, and a SOCKS5 proxy. Each records what it was
//! asked, and tunnels to the target as a real proxy does (or refuses, or
//! answers garbage, as told).

use std::io::{self, BufRead, BufReader, Read, Write};
use std::net::{Ipv4Addr, Ipv6Addr, Shutdown, SocketAddr, TcpListener, TcpStream};
use std::sync::Arc;
use std::thread;
use std::time::{Duration, Instant};

use crossbeam_channel::{unbounded, Receiver, Sender};

use super::server::PATIENCE;

/// How a proxy answers each request.
#[derive(Debug, Clone)]
pub enum Answer {
    /// Connects to the target and relays bytes both ways.
    Tunnel,
    /// Answers a CONNECT with this status and closes.
    Status(u16),
    /// Answers with bytes that are not the proxy's protocol and closes.
    Garbage,
}

/// One request a proxy received.
#[derive(Debug, Clone)]
pub struct Asked {
    /// `host:port` for CONNECT, `host:port` or `ip:port` for SOCKS.
    pub target: String,
    /// The CONNECT request's header lines, or for SOCKS the user name.
    pub headers: Vec<String>,
    /// The TLS client presented a certificate (TLS proxies only).
    pub client_certificate: bool,
}

pub struct Proxy {
    pub port: u16,
    asked: Receiver<Asked>,
}

impl Proxy {
    /// An HTTP CONNECT proxy; over TLS with `tls` (which may ask clients
    /// for a certificate: whether one came is recorded).
    pub fn connect(tls: Option<Arc<rustls::ServerConfig>>, answer: Answer) -> Proxy {
        Proxy::start(move |tcp, asked| match &tls {
            None => serve_connect(tcp, &answer, false, &asked),
            Some(config) => {
                let Ok(tls) = rustls::ServerConnection::new(Arc::clone(config)) else {
                    return;
                };
                let mut stream = rustls::StreamOwned::new(tls, tcp);
                // Finish the handshake first, so the client's certificate is known.
                while stream.conn.is_handshaking() {
                    if stream.conn.complete_io(&mut stream.sock).is_err() {
                        return;
                    }
                }
                let presented = stream.conn.peer_certificates().is_some();
                serve_connect(stream, &answer, presented, &asked)
            }
        })
    }

    /// A SOCKS5 proxy, wanting `user:password` when given.
    pub fn socks5(credentials: Option<(&'static str, &'static str)>, answer: Answer) -> Proxy {
        Proxy::start(move |tcp, asked| {
            let _ = serve_socks5(tcp, credentials, &answer, &asked);
        })
    }

    fn start(serve: impl Fn(TcpStream, Sender<Asked>) + Send + Sync + 'static) -> Proxy {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let port = listener.local_addr().unwrap().port();
        let (tx, asked) = unbounded();
        let serve = Arc::new(serve);
        thread::spawn(move || {
            for tcp in listener.incoming().flatten() {
                let (serve, tx) = (Arc::clone(&serve), tx.clone());
                thread::spawn(move || serve(tcp, tx));
            }
        });
        Proxy { port, asked }
    }

    /// `scheme://[user:password@]127.0.0.1:port`.
    pub fn url(&self, scheme: &str, credentials: Option<(&str, &str)>) -> String {
        match credentials {
            Some((user, password)) => {
                format!("{scheme}://{user}:{password}@127.0.0.1:{}", self.port)
            }
            None => format!("{scheme}://127.0.0.1:{}", self.port),
        }
    }

    /// The next request the proxy received, waiting up to [`PATIENCE`].
    pub fn asked(&self) -> Asked {
        self.asked
            .recv_timeout(PATIENCE)
            .expect("the proxy was asked nothing (more)")
    }

    /// Every request received so far, without waiting.
    pub fn asked_so_far(&self) -> Vec<Asked> {
        self.asked.try_iter().collect()
    }
}

fn serve_connect(
    mut client: impl Read + Write + Relay,
    answer: &Answer,
    client_certificate: bool,
    asked: &Sender<Asked>,
) {
    let Ok(head) = read_head(&mut client) else {
        return;
    };
    let target = head
        .first()
        .and_then(|line| line.split_whitespace().nth(1))
        .unwrap_or_default()
        .to_string();
    let _ = asked.send(Asked {
        target: target.clone(),
        headers: head[1..].to_vec(),
        client_certificate,
    });
    match answer {
        Answer::Status(status) => {
            let _ = client.write_all(
                format!("HTTP/1.1 {status} No\r\nContent-Length: 0\r\nConnection: close\r\n\r\n")
                    .as_bytes(),
            );
        }
        Answer::Garbage => {
            let _ = client.write_all(b"SSH-2.0-OpenSSH_9.6\r\nnot http at all\r\n\r\n");
        }
        Answer::Tunnel => {
            let Ok(upstream) = TcpStream::connect(&target) else {
                let _ = client.write_all(b"HTTP/1.1 502 Bad Gateway\r\nContent-Length: 0\r\n\r\n");
                return;
            };
            if client
                .write_all(b"HTTP/1.1 200 Connection established\r\n\r\n")
                .and_then(|()| client.flush())
                .is_ok()
            {
                relay(client, upstream);
            }
            return;
        }
    }
    let _ = client.flush();
    client.shutdown();
}

/// The request head's lines, without line ends, read byte by byte so that
/// nothing after it is consumed.
fn read_head(client: &mut impl Read) -> io::Result<Vec<String>> {
    let mut lines = Vec::new();
    let mut line = Vec::new();
    let mut byte = [0u8];
    loop {
        client.read_exact(&mut byte)?;
        if byte[0] == b'\n' {
            let text = String::from_utf8_lossy(&line).trim_end().to_string();
            line.clear();
            if text.is_empty() {
                return Ok(lines);
            }
            lines.push(text);
        } else {
            line.push(byte[0]);
        }
    }
}

fn serve_socks5(
    mut client: TcpStream,
    credentials: Option<(&str, &str)>,
    answer: &Answer,
    asked: &Sender<Asked>,
) -> io::Result<()> {
    let mut greeting = [0u8; 2];
    client.read_exact(&mut greeting)?;
    let mut methods = vec![0u8; usize::from(greeting[1])];
    client.read_exact(&mut methods)?;
    if let Answer::Garbage = answer {
        return client.write_all(b"HTTP/1.1 400 Bad Request\r\n\r\n");
    }
    let mut user = String::new();
    match credentials {
        None => client.write_all(&[5, 0])?,
        Some(_) if !methods.contains(&2) => return client.write_all(&[5, 0xff]),
        Some((want_user, want_password)) => {
            client.write_all(&[5, 2])?;
            let mut version_and_length = [0u8; 2];
            client.read_exact(&mut version_and_length)?;
            let mut name = vec![0u8; usize::from(version_and_length[1])];
            client.read_exact(&mut name)?;
            let mut length = [0u8];
            client.read_exact(&mut length)?;
            let mut password = vec![0u8; usize::from(length[0])];
            client.read_exact(&mut password)?;
            user = String::from_utf8_lossy(&name).into_owned();
            let good = name == want_user.as_bytes() && password == want_password.as_bytes();
            client.write_all(&[1, if good { 0 } else { 1 }])?;
            if !good {
                return Ok(());
            }
        }
    }
    let mut request = [0u8; 4];
    client.read_exact(&mut request)?;
    let host = match request[3] {
        1 => {
            let mut ip = [0u8; 4];
            client.read_exact(&mut ip)?;
            Ipv4Addr::from(ip).to_string()
        }
        4 => {
            let mut ip = [0u8; 16];
            client.read_exact(&mut ip)?;
            format!("[{}]", Ipv6Addr::from(ip))
        }
        _ => {
            let mut length = [0u8];
            client.read_exact(&mut length)?;
            let mut name = vec![0u8; usize::from(length[0])];
            client.read_exact(&mut name)?;
            String::from_utf8_lossy(&name).into_owned()
        }
    };
    let mut port = [0u8; 2];
    client.read_exact(&mut port)?;
    let target = format!("{host}:{}", u16::from_be_bytes(port));
    let _ = asked.send(Asked {
        target: target.clone(),
        headers: vec![user],
        client_certificate: false,
    });
    let refused = |reply: u8| [5, reply, 0, 1, 0, 0, 0, 0, 0, 0];
    if let Answer::Status(_) = answer {
        // Connection not allowed by ruleset.
        return client.write_all(&refused(2));
    }
    let resolved: Option<SocketAddr> = std::net::ToSocketAddrs::to_socket_addrs(&target)
        .ok()
        .and_then(|mut addrs| addrs.next());
    let Some(upstream) = resolved.and_then(|addr| TcpStream::connect(addr).ok()) else {
        return client.write_all(&refused(5));
    };
    client.write_all(&[5, 0, 0, 1, 127, 0, 0, 1, 0, 0])?;
    relay(client, upstream);
    Ok(())
}

/// Read timeouts for a client connection, plain or TLS, so that one thread
/// can relay both ways.
pub trait Relay {
    fn set_read_timeout(&self, timeout: Option<Duration>) -> io::Result<()>;
    fn shutdown(&mut self);
}

impl Relay for TcpStream {
    fn set_read_timeout(&self, timeout: Option<Duration>) -> io::Result<()> {
        TcpStream::set_read_timeout(self, timeout)
    }
    fn shutdown(&mut self) {
        let _ = TcpStream::shutdown(self, Shutdown::Both);
    }
}

impl Relay for rustls::StreamOwned<rustls::ServerConnection, TcpStream> {
    fn set_read_timeout(&self, timeout: Option<Duration>) -> io::Result<()> {
        self.sock.set_read_timeout(timeout)
    }
    fn shutdown(&mut self) {
        self.conn.send_close_notify();
        let _ = self.conn.complete_io(&mut self.sock);
        let _ = self.sock.shutdown(Shutdown::Both);
    }
}

/// Copies bytes both ways until either side ends, for at most a minute.
fn relay(mut client: impl Read + Write + Relay, mut upstream: TcpStream) {
    let tick = Some(Duration::from_millis(5));
    if client.set_read_timeout(tick).is_err() || upstream.set_read_timeout(tick).is_err() {
        return;
    }
    let started = Instant::now();
    let mut buffer = [0u8; 16 * 1024];
    let quiet = |e: &io::Error| {
        matches!(
            e.kind(),
            io::ErrorKind::WouldBlock | io::ErrorKind::TimedOut
        )
    };
    while started.elapsed() < Duration::from_secs(60) {
        match client.read(&mut buffer) {
            Ok(0) => break,
            Ok(n) => {
                if upstream.write_all(&buffer[..n]).is_err() {
                    break;
                }
            }
            Err(e) if quiet(&e) => {}
            Err(_) => break,
        }
        match upstream.read(&mut buffer) {
            Ok(0) => break,
            Ok(n) => {
                if client
                    .write_all(&buffer[..n])
                    .and_then(|()| client.flush())
                    .is_err()
                {
                    break;
                }
            }
            Err(e) if quiet(&e) => {}
            Err(_) => break,
        }
    }
    client.shutdown();
    let _ = upstream.shutdown(Shutdown::Both);
}

/// Listens on [::1] and serves every connection an event stream of `body`
/// held open until the client leaves; returns the port.
pub fn ipv6_sse_server(body: &'static str) -> Option<u16> {
    let listener = TcpListener::bind("[::1]:0").ok()?;
    let port = listener.local_addr().ok()?.port();
    thread::spawn(move || {
        for mut tcp in listener.incoming().flatten() {
            thread::spawn(move || {
                let mut reader = BufReader::new(tcp.try_clone().unwrap());
                let mut line = String::new();
                while reader.read_line(&mut line).map(|n| n > 0).unwrap_or(false) {
                    if line == "\r\n" {
                        break;
                    }
                    line.clear();
                }
                let _ = tcp.write_all(
                    format!("HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\n\r\n{body}")
                        .as_bytes(),
                );
                let _ = tcp.set_read_timeout(Some(PATIENCE));
                let _ = tcp.read(&mut [0u8; 64]);
            });
        }
    });
    Some(port)
}
