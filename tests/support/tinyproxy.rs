//! A real HTTP proxy for the tests: tinyproxy (Debian's tinyproxy-bin, which
//! the test command installs), started on a free port of 127.0.0.1 with its
//! own configuration and stopped when dropped.

use std::net::{TcpListener, TcpStream};
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
    pub fn start(credentials: Option<(&str, &str)>) -> Tinyproxy {
        let port = TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let dir =
            std::env::temp_dir().join(format!("sselink-tinyproxy-{}-{port}", std::process::id()));
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
        let started = Instant::now();
        while TcpStream::connect(("127.0.0.1", port)).is_err() {
            assert!(
                started.elapsed() < PATIENCE,
                "tinyproxy did not listen on {port}"
            );
            std::thread::sleep(Duration::from_millis(10));
        }
        Tinyproxy { child, port, dir }
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
