//! Bounded waits: a test that waits fails with a message after PATIENCE
//! instead of hanging when the behaviour it waits for breaks.

use std::panic::{catch_unwind, resume_unwind, AssertUnwindSafe};
use std::time::{Duration, Instant};

use crossbeam_channel::{bounded, Receiver};

use super::server::PATIENCE;

/// Polls `done` every millisecond until it holds; fails the test after
/// PATIENCE, naming `what` it waited for. For conditions nothing signals.
pub fn until(what: &str, mut done: impl FnMut() -> bool) {
    let deadline = Instant::now() + PATIENCE;
    while !done() {
        assert!(Instant::now() < deadline, "timed out waiting for {what}");
        std::thread::sleep(Duration::from_millis(1));
    }
}

/// A thread whose result is awaited with a bound.
pub struct Task<T> {
    result: Receiver<std::thread::Result<T>>,
}

/// Runs `work` on a thread of its own.
pub fn spawn<T: Send + 'static>(work: impl FnOnce() -> T + Send + 'static) -> Task<T> {
    let (done, result) = bounded(1);
    std::thread::spawn(move || {
        let _ = done.send(catch_unwind(AssertUnwindSafe(work)));
    });
    Task { result }
}

impl<T> Task<T> {
    /// The thread's result; fails the test when it does not finish within
    /// PATIENCE (naming `what`), and passes its panic on.
    pub fn join(self, what: &str) -> T {
        match self.result.recv_timeout(PATIENCE) {
            Ok(Ok(value)) => value,
            Ok(Err(panic)) => resume_unwind(panic),
            Err(_) => panic!("{what} did not finish within {PATIENCE:?}"),
        }
    }
}
