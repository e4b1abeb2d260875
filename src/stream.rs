//! [`Stream`]: the caller's handle on one event stream, and what it yields.

use std::fmt;
use std::sync::atomic::{AtomicBool, AtomicU64, AtomicU8, Ordering};
use std::sync::{Arc, Mutex, PoisonError};
use std::thread;
use std::time::{Duration, Instant};

use crossbeam_channel::{bounded, select, Receiver, Sender};

use crate::config::{Builder, Config};
use crate::reader::{Message, Never, Reader};
use crate::{Error, Event};

/// One thing that happened to a stream, in the order it happened.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Item {
    /// A connection attempt starts: 0 for the first connection and after a
    /// restart, then the number of the reconnect attempt in this outage.
    Connecting {
        /// The attempt number.
        attempt: u32,
    },
    /// The server accepted: a 2xx with `Content-Type: text/event-stream`.
    Open {
        /// The HTTP status, normally 200.
        status: u16,
    },
    /// An event.
    Event(Event),
    /// A comment line, when comments were asked for.
    Comment(String),
    /// The connection failed or dropped; the next attempt starts after `delay`.
    Retrying {
        /// What went wrong.
        error: Error,
        /// How long the stream waits before reconnecting.
        delay: Duration,
        /// The number of the coming reconnect attempt in this outage.
        attempt: u32,
    },
    /// The stream is finished; nothing follows.
    Closed(CloseReason),
}

/// Why a stream closed.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum CloseReason {
    /// [`Stream::close`] was called (or the stream was dropped).
    Caller,
    /// The server answered 204 No Content: it asks the client to stop.
    NoContent,
    /// The connection ended and reconnecting is turned off.
    Ended,
    /// A terminal error: permanent status, wrong Content-Type, limit broken,
    /// attempts or time budget exhausted, invalid header from the provider.
    Error(Error),
}

impl fmt::Display for CloseReason {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            CloseReason::Caller => f.write_str("closed by the caller"),
            CloseReason::NoContent => {
                f.write_str("the server answered 204 No Content: it asks the client to stop")
            }
            CloseReason::Ended => f.write_str("the server ended the stream (reconnecting is off)"),
            CloseReason::Error(error) => error.fmt(f),
        }
    }
}

/// Where a stream is now. See [`Stream::state`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[repr(u8)]
pub enum State {
    /// Making the first connection (or the first after a restart).
    Connecting = 0,
    /// Connected: events flow.
    Open = 1,
    /// Waiting to reconnect, or reconnecting, after a failure.
    Reconnecting = 2,
    /// Finished: closed by the caller, the server or an error.
    Closed = 3,
}

impl State {
    fn from_u8(value: u8) -> State {
        match value {
            0 => State::Connecting,
            1 => State::Open,
            2 => State::Reconnecting,
            _ => State::Closed,
        }
    }
}

/// State shared by the handle and its reader thread.
#[derive(Debug)]
pub(crate) struct Shared {
    state: AtomicU8,
    closed: AtomicBool,
    restart: AtomicBool,
    /// The agent of the connection in progress, for close and restart to
    /// shut down. `None` between connections.
    agent: Mutex<Option<ureq::Agent>>,
    dropped: AtomicU64,
}

impl Shared {
    pub(crate) fn set_state(&self, state: State) {
        // Once closed, a stream stays closed.
        let _ = self
            .state
            .fetch_update(Ordering::AcqRel, Ordering::Acquire, |now| {
                (now != State::Closed as u8).then_some(state as u8)
            });
    }

    pub(crate) fn is_closed(&self) -> bool {
        self.closed.load(Ordering::Acquire)
    }

    /// Consumes a pending restart request.
    pub(crate) fn take_restart(&self) -> bool {
        self.restart.swap(false, Ordering::AcqRel)
    }

    /// Makes `agent` the one close and restart shut down. False when the
    /// stream is closed: the reader must not use the network.
    pub(crate) fn install_agent(&self, agent: &ureq::Agent) -> bool {
        let mut slot = self.agent.lock().unwrap_or_else(PoisonError::into_inner);
        if self.is_closed() {
            return false;
        }
        *slot = Some(agent.clone());
        true
    }

    pub(crate) fn count_dropped(&self) {
        self.dropped.fetch_add(1, Ordering::Relaxed);
    }

    /// Shuts down the connection in progress, if any: a blocked read or
    /// handshake fails at once and the server sees the socket closed.
    fn interrupt(&self) {
        let agent = self
            .agent
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .take();
        if let Some(agent) = agent {
            agent.shutdown();
        }
    }
}

/// A live event stream: a handle on one reader thread.
///
/// Receive with [`recv`](Stream::recv), [`recv_timeout`](Stream::recv_timeout),
/// [`try_recv`](Stream::try_recv) or by iterating over `&stream`; the items
/// come in order and end with one [`Item::Closed`]. Every method takes `&self`
/// and may be called from any thread; a `Stream` is `Send + Sync` and can be
/// shared through an `Arc`. Dropping it closes it.
///
/// ```no_run
/// let stream = sselink::Stream::builder("http://127.0.0.1:8080/events").connect()?;
/// for item in &stream {
///     match item {
///         sselink::Item::Event(event) => println!("{}: {}", event.event_type(), event.data()),
///         sselink::Item::Closed(reason) => println!("closed: {reason}"),
///         _ => {}
///     }
/// }
/// # Ok::<(), sselink::Error>(())
/// ```
pub struct Stream {
    shared: Arc<Shared>,
    items: Receiver<Message>,
    /// Dropped on close: every `select` on `closing` wakes.
    close_signal: Mutex<Option<Sender<Never>>>,
    closing: Receiver<Never>,
    restarts: Sender<()>,
    /// Disconnects when the reader thread has exited.
    reader_exit: Receiver<Never>,
    /// The last event id of the items the caller has received.
    last_event_id: Mutex<String>,
    /// The caller has received `Closed`.
    finished: AtomicBool,
}

impl fmt::Debug for Stream {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Stream")
            .field("state", &self.state())
            .finish_non_exhaustive()
    }
}

/// [`Stream::recv`] found the stream finished: `Closed` was already received.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("the stream is closed and its last item was received")]
pub struct RecvError;

/// Why [`Stream::recv_timeout`] returned no item.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum RecvTimeoutError {
    /// Nothing arrived in time; the stream goes on.
    #[error("no item arrived in time")]
    Timeout,
    /// The stream is finished: `Closed` was already received.
    #[error("the stream is closed and its last item was received")]
    Closed,
}

/// Why [`Stream::try_recv`] returned no item.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum TryRecvError {
    /// No item is waiting; the stream goes on.
    #[error("no item is waiting")]
    Empty,
    /// The stream is finished: `Closed` was already received.
    #[error("the stream is closed and its last item was received")]
    Closed,
}

enum Wait {
    Forever,
    Until(Instant),
    No,
}

impl Stream {
    /// Starts configuring a stream of `url`.
    pub fn builder(url: &str) -> Builder {
        Builder::new(url)
    }

    /// Connects to `url` with the default configuration.
    pub fn connect(url: &str) -> Result<Stream, Error> {
        Builder::new(url).connect()
    }

    pub(crate) fn start(config: Config) -> Stream {
        let (items_tx, items) = bounded(config.capacity);
        let (close_signal, closing) = bounded::<Never>(0);
        let (restarts, restart_requests) = bounded(1);
        let (exit_signal, reader_exit) = bounded::<Never>(0);
        let shared = Arc::new(Shared {
            state: AtomicU8::new(State::Connecting as u8),
            closed: AtomicBool::new(false),
            restart: AtomicBool::new(false),
            agent: Mutex::new(None),
            dropped: AtomicU64::new(0),
        });
        let last_event_id = Mutex::new(config.last_event_id.clone());
        let reader = Reader::new(
            config,
            Arc::clone(&shared),
            items_tx,
            items.clone(),
            closing.clone(),
            restart_requests,
        );
        thread::Builder::new()
            .name("sselink-reader".into())
            .spawn(move || {
                let _exit_signal = exit_signal;
                reader.run();
            })
            .expect("the OS refused to start the sselink reader thread");
        Stream {
            shared,
            items,
            close_signal: Mutex::new(Some(close_signal)),
            closing,
            restarts,
            reader_exit,
            last_event_id,
            finished: AtomicBool::new(false),
        }
    }

    /// Blocks until the next item. After `Closed` was received, returns
    /// `Err(RecvError)` at once.
    pub fn recv(&self) -> Result<Item, RecvError> {
        self.next_item(Wait::Forever).map_err(|_| RecvError)
    }

    /// Waits up to `timeout` for the next item.
    pub fn recv_timeout(&self, timeout: Duration) -> Result<Item, RecvTimeoutError> {
        let wait = match Instant::now().checked_add(timeout) {
            Some(deadline) => Wait::Until(deadline),
            None => Wait::Forever,
        };
        self.next_item(wait).map_err(|finished| {
            if finished {
                RecvTimeoutError::Closed
            } else {
                RecvTimeoutError::Timeout
            }
        })
    }

    /// Returns the next item if one is waiting.
    pub fn try_recv(&self) -> Result<Item, TryRecvError> {
        self.next_item(Wait::No).map_err(|finished| {
            if finished {
                TryRecvError::Closed
            } else {
                TryRecvError::Empty
            }
        })
    }

    /// A blocking iterator over the items; it ends after `Closed`.
    pub fn iter(&self) -> Iter<'_> {
        Iter { stream: self }
    }

    /// A blocking iterator over the events alone: lifecycle items are
    /// skipped, a terminal error comes as one `Err`, and it ends after close.
    ///
    /// ```no_run
    /// # fn main() -> Result<(), sselink::Error> {
    /// let stream = sselink::Stream::connect("http://127.0.0.1:8080/events")?;
    /// for event in stream.events() {
    ///     println!("{}", event?.data());
    /// }
    /// # Ok(())
    /// # }
    /// ```
    pub fn events(&self) -> Events<'_> {
        Events { stream: self }
    }

    /// The current state. Any thread, any time.
    pub fn state(&self) -> State {
        State::from_u8(self.shared.state.load(Ordering::Acquire))
    }

    /// The last event id of the items received so far by the caller (or the
    /// seeded one): what a new client must resume from to get exactly the
    /// events this one has not handed out.
    pub fn last_event_id(&self) -> String {
        self.last_event_id
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .clone()
    }

    /// Events discarded by an [`Overflow`](crate::Overflow) drop policy so far.
    pub fn dropped(&self) -> u64 {
        self.shared.dropped.load(Ordering::Relaxed)
    }

    /// Closes the stream, from any thread. Returns at once: the connection in
    /// progress is shut down (the server sees it closed), a reader blocked in
    /// a read, a backoff or a full channel stops, and a connect in progress is
    /// abandoned when it completes. After `close` returns no event is
    /// delivered and no request is made: receivers get
    /// `Closed(CloseReason::Caller)` once, then `Err`. Closing twice is harmless.
    pub fn close(&self) {
        if self.shared.closed.swap(true, Ordering::AcqRel) {
            return;
        }
        self.shared.set_state(State::Closed);
        self.shared.interrupt();
        self.close_signal
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .take();
    }

    /// [`close`](Stream::close)s the stream, then waits up to `timeout` for
    /// its reader thread to exit. True if it has. The reader can only be
    /// late when it is inside a TCP connect, bounded by the connect timeout.
    pub fn close_and_wait(&self, timeout: Duration) -> bool {
        self.close();
        select! {
            recv(self.reader_exit) -> _ => true,
            default(timeout) => false,
        }
    }

    /// Drops the current connection and reconnects at once with the last
    /// event id, from any thread; also cuts a backoff wait short. Events
    /// already received stay queued: nothing is lost or repeated.
    pub fn restart(&self) {
        if self.shared.is_closed() {
            return;
        }
        self.shared.restart.store(true, Ordering::Release);
        self.shared.interrupt();
        let _ = self.restarts.try_send(());
    }

    fn next_item(&self, wait: Wait) -> Result<Item, bool> {
        loop {
            if self.finished.load(Ordering::Acquire) {
                return Err(true);
            }
            if self.shared.is_closed() {
                return self.finish(Item::Closed(CloseReason::Caller));
            }
            let received = match wait {
                Wait::No => match self.items.try_recv() {
                    Err(crossbeam_channel::TryRecvError::Empty) => return Err(false),
                    other => other.ok(),
                },
                Wait::Forever => select! {
                    recv(self.items) -> message => message.ok(),
                    recv(self.closing) -> _ => continue,
                },
                Wait::Until(deadline) => select! {
                    recv(self.items) -> message => message.ok(),
                    recv(self.closing) -> _ => continue,
                    default(deadline.saturating_duration_since(Instant::now())) => return Err(false),
                },
            };
            // The reader dropped its end: after a close (checked at the top
            // of the loop), or because it died without saying `Closed`.
            let Some(message) = received else {
                if self.shared.is_closed() {
                    continue;
                }
                let gone = Error::Network(
                    "sselink's reader thread stopped unexpectedly; please report this bug".into(),
                );
                return self.finish(Item::Closed(CloseReason::Error(gone)));
            };
            // A close that raced with this receive wins: nothing after close.
            if self.shared.is_closed() {
                continue;
            }
            match message {
                Message::LastEventId(id) => {
                    *self
                        .last_event_id
                        .lock()
                        .unwrap_or_else(PoisonError::into_inner) = id
                }
                Message::Item(Item::Event(event)) => {
                    let mut last = self
                        .last_event_id
                        .lock()
                        .unwrap_or_else(PoisonError::into_inner);
                    if *last != event.id {
                        last.clone_from(&event.id);
                    }
                    return Ok(Item::Event(event));
                }
                Message::Item(closed @ Item::Closed(_)) => return self.finish(closed),
                Message::Item(item) => return Ok(item),
            }
        }
    }

    fn finish(&self, closed: Item) -> Result<Item, bool> {
        if self.finished.swap(true, Ordering::AcqRel) {
            return Err(true);
        }
        Ok(closed)
    }
}

impl Drop for Stream {
    fn drop(&mut self) {
        self.close();
    }
}

/// Iterator over a stream's items, from [`Stream::iter`] or `&stream`.
#[derive(Debug)]
pub struct Iter<'a> {
    stream: &'a Stream,
}

impl Iterator for Iter<'_> {
    type Item = Item;

    fn next(&mut self) -> Option<Item> {
        self.stream.recv().ok()
    }
}

impl std::iter::FusedIterator for Iter<'_> {}

impl<'a> IntoIterator for &'a Stream {
    type Item = Item;
    type IntoIter = Iter<'a>;

    fn into_iter(self) -> Iter<'a> {
        self.iter()
    }
}

/// Iterator over a stream's events, from [`Stream::events`].
#[derive(Debug)]
pub struct Events<'a> {
    stream: &'a Stream,
}

impl Iterator for Events<'_> {
    type Item = Result<Event, Error>;

    fn next(&mut self) -> Option<Result<Event, Error>> {
        loop {
            match self.stream.recv().ok()? {
                Item::Event(event) => return Some(Ok(event)),
                Item::Closed(CloseReason::Error(error)) => return Some(Err(error)),
                _ => continue,
            }
        }
    }
}

impl std::iter::FusedIterator for Events<'_> {}

#[cfg(test)]
mod tests {
    use super::*;

    /// A handle whose reader has already gone, with `items` as its channel.
    fn orphan(items: Receiver<Message>) -> (Stream, Sender<Never>) {
        let (close_signal, closing) = bounded::<Never>(0);
        let (restarts, _) = bounded(1);
        let (exit_signal, reader_exit) = bounded::<Never>(0);
        drop(exit_signal);
        let shared = Arc::new(Shared {
            state: AtomicU8::new(State::Open as u8),
            closed: AtomicBool::new(false),
            restart: AtomicBool::new(false),
            agent: Mutex::new(None),
            dropped: AtomicU64::new(0),
        });
        let stream = Stream {
            shared,
            items,
            close_signal: Mutex::new(None),
            closing,
            restarts,
            reader_exit,
            last_event_id: Mutex::new(String::new()),
            finished: AtomicBool::new(false),
        };
        (stream, close_signal)
    }

    #[test]
    fn a_reader_that_vanishes_without_closed_gives_a_closed_error() {
        for wait in [
            Wait::Forever,
            Wait::No,
            Wait::Until(Instant::now() + Duration::from_secs(5)),
        ] {
            let (sender, items) = bounded::<Message>(4);
            sender
                .send(Message::Item(Item::Open { status: 200 }))
                .unwrap();
            drop(sender); // the reader died, as a panic would leave it
            let (stream, _keep_open) = orphan(items);
            assert_eq!(stream.next_item(wait), Ok(Item::Open { status: 200 }));
            let wait = Wait::Forever;
            match stream.next_item(wait) {
                Ok(Item::Closed(CloseReason::Error(Error::Network(message)))) => {
                    assert!(message.contains("reader thread stopped"), "{message}")
                }
                other => panic!("{other:?}"),
            }
            assert_eq!(stream.recv(), Err(RecvError));
        }
    }

    #[test]
    fn after_close_a_vanished_reader_means_closed_by_caller() {
        let (sender, items) = bounded::<Message>(4);
        drop(sender);
        let (stream, _keep_open) = orphan(items);
        stream.shared.closed.store(true, Ordering::Release);
        assert_eq!(stream.recv(), Ok(Item::Closed(CloseReason::Caller)));
        assert_eq!(stream.recv(), Err(RecvError));
    }
}
