//! A real HTTP proxy for the tests: tinyproxy (Debian's tinyproxy-bin, which
//! the test command installs), started on a free port of 127.0.0.1 with its
//! own configuration and stopped when dropped.

use std::net::TcpListener;
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use super::server::PATIENCE;

pub struct Tinyproxy {
    child: Child,
    pub port: u16,
    dir: PathBuf,
}

impl Tinyproxy {
    /// Starts tinyproxy, asking for `user:password` when given.
    ///
    /// The port is one the system had free a moment before, so another
    /// test's proxy may take it first: this one then fails to listen and
    /// exits, and it is started again on another port. The proxy counts as
    /// started once the socket listening on its port is its own, not merely
    /// once something answers there.
    pub fn start(credentials: Option<(&str, &str)>) -> Tinyproxy {
        let started = Instant::now();
        loop {
            let port = TcpListener::bind("127.0.0.1:0")
                .unwrap()
                .local_addr()
                .unwrap()
                .port();
            let dir = std::env::temp_dir()
                .join(format!("sselink-tinyproxy-{}-{port}", std::process::id()));
            std::fs::create_dir_all(&dir).unwrap();
            let mut conf = format!(
                "Port {port}\nListen 127.0.0.1\nTimeout 60\nMaxClients 100\nAllow 127.0.0.1\nLogLevel Critical\n"
            );
            if let Some((user, password)) = credentials {
                conf.push_str(&format!("BasicAuth {user} {password}\n"));
            }
            let path = dir.join("tinyproxy.conf");
            std::fs::write(&path, conf).unwrap();
            let child = Command::new("tinyproxy")
                .arg("-d")
                .arg("-c")
                .arg(&path)
                .stdin(Stdio::null())
                .stdout(Stdio::null())
                .stderr(Stdio::null())
                .spawn()
                .unwrap_or_else(|e| {
                    panic!("cannot start tinyproxy ({e}): `bash .ci/test` installs it (Debian's tinyproxy-bin)")
                });
            let mut proxy = Tinyproxy { child, port, dir };
            loop {
                assert!(
                    started.elapsed() < PATIENCE,
                    "tinyproxy did not listen on 127.0.0.1"
                );
                if listens(proxy.child.id(), port) {
                    return proxy;
                }
                if proxy.child.try_wait().unwrap().is_some() {
                    break; // it could not listen: another port (drop cleans up)
                }
                std::thread::sleep(Duration::from_millis(10));
            }
        }
    }

    /// The proxy's URL, with `user:password` when given.
    pub fn url(&self, credentials: Option<(&str, &str)>) -> String {
        match credentials {
            Some((user, password)) => format!("http://{user}:{password}@127.0.0.1:{}", self.port),
            None => format!("http://127.0.0.1:{}", self.port),
        }
    }
}

impl Drop for Tinyproxy {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

/// True when the socket listening on 127.0.0.1:`port` is one of process
/// `pid`'s descriptors (/proc/net/tcp names it by inode, /proc/PID/fd links
/// to `socket:[inode]`).
fn listens(pid: u32, port: u16) -> bool {
    const LISTEN: &str = "0A";
    let local = format!("0100007F:{port:04X}");
    let tcp = std::fs::read_to_string("/proc/net/tcp").unwrap_or_default();
    let sockets: Vec<String> = tcp
        .lines()
        .skip(1)
        .filter_map(|line| {
            let fields: Vec<&str> = line.split_whitespace().collect();
            let listening =
                fields.get(1) == Some(&local.as_str()) && fields.get(3) == Some(&LISTEN);
            let inode = fields.get(9).filter(|_| listening)?;
            Some(format!("socket:[{inode}]"))
        })
        .collect();
    let Ok(descriptors) = std::fs::read_dir(format!("/proc/{pid}/fd")) else {
        return false;
    };
    descriptors.flatten().any(|entry| {
        std::fs::read_link(entry.path())
            .is_ok_and(|target| sockets.iter().any(|s| target.as_os_str() == s.as_str()))
    })
}
