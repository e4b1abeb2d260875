//! [`Readiness`]: a file descriptor that is readable while a stream has
//! items waiting, for programs that wait on many streams with poll, epoll,
//! kqueue, libuv, Go's runtime poller or a DispatchSource instead of a
//! blocked thread each.
//!
//! It is one end of a Unix socket pair, made only when a caller asks for it
//! ([`Stream::readiness`](crate::Stream::readiness)). The reader writes a
//! byte when the channel goes from empty to holding an item (and when the
//! stream finishes or is closed), and only if no byte is pending, so a
//! stream that is read without it costs nothing and one that is read with it
//! costs at most a system call per burst of items. A receive that finds the
//! channel empty consumes the pending byte.

use std::io::{ErrorKind, Read, Write};
use std::os::fd::{AsFd, AsRawFd, BorrowedFd, RawFd};
use std::os::unix::net::UnixStream;
use std::sync::atomic::{AtomicBool, Ordering};

/// The readable end of a stream's readiness signal. Borrowed from the
/// [`Stream`](crate::Stream); never read from it or close it yourself: wait
/// until it is readable, then call [`try_recv`](crate::Stream::try_recv)
/// until it says the channel is empty (or closed), which makes the
/// descriptor unreadable again until the next item.
#[derive(Debug)]
pub struct Readiness {
    readable: UnixStream,
    writable: UnixStream,
    /// A byte is pending in the socket pair.
    signalled: AtomicBool,
}

impl Readiness {
    pub(crate) fn new() -> std::io::Result<Readiness> {
        let (readable, writable) = UnixStream::pair()?;
        readable.set_nonblocking(true)?;
        writable.set_nonblocking(true)?;
        Ok(Readiness {
            readable,
            writable,
            signalled: AtomicBool::new(false),
        })
    }

    /// Makes the descriptor readable unless it already is.
    pub(crate) fn wake(&self) {
        if !self.signalled.swap(true, Ordering::AcqRel) {
            // A full socket buffer means it is readable already.
            let _ = (&self.writable).write(&[1]);
        }
    }

    /// Makes the descriptor unreadable. The pending byte is read before the
    /// flag is reset, so that a wake in between cannot write a byte that
    /// this drain swallows; the caller then checks for work again and wakes
    /// if there is some.
    pub(crate) fn clear(&self) {
        let mut sink = [0u8; 64];
        loop {
            match (&self.readable).read(&mut sink) {
                Ok(0) => break,
                Ok(_) => continue,
                Err(e) if e.kind() == ErrorKind::Interrupted => continue,
                Err(_) => break,
            }
        }
        self.signalled.store(false, Ordering::Release);
    }
}

impl AsFd for Readiness {
    fn as_fd(&self) -> BorrowedFd<'_> {
        self.readable.as_fd()
    }
}

impl AsRawFd for Readiness {
    fn as_raw_fd(&self) -> RawFd {
        self.readable.as_raw_fd()
    }
}
