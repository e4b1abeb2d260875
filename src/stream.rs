//! [`Stream`]: the caller's handle on one event stream.

use std::fmt;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, PoisonError};
use std::thread;
use std::time::{Duration, Instant};

use crossbeam_channel::{bounded, select, unbounded, Receiver, Select, Sender};

use crate::config::{Builder, Config};
use crate::error::Error;
use crate::event::Event;
use crate::item::{CloseReason, Item, State};
use crate::post::PostResponse;
use crate::reader::{Channels, Reader};
use crate::shared::{Batch, Never, Shared};

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
    config: Arc<Config>,
    shared: Arc<Shared>,
    items: Receiver<Batch>,
    /// Dropped on close: every `select` on `closing` wakes.
    close_signal: Mutex<Option<Sender<Never>>>,
    closing: Receiver<Never>,
    restarts: Sender<()>,
    /// Tells a reader waiting under the byte bound that bytes were taken.
    room: Sender<()>,
    /// Emptied batches go back to the reader to be filled again: a batch of
    /// small events is a large allocation, and making one per read cost the
    /// reader a heap consolidation each time (measured with perf).
    spare: Sender<Batch>,
    /// Disconnects when the reader thread has exited.
    reader_exit: Receiver<Never>,
    /// The reader thread, which cannot wait for itself to exit.
    reader_thread: thread::ThreadId,
    /// `Closed` has been handed out.
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

/// What one look at the queue found.
enum Next {
    Item(Item),
    /// Nothing queued; the reader goes on.
    Empty,
    /// Nothing queued, and the reader has exited.
    ReaderGone,
    /// The stream was closed while a message was taken out: it is not
    /// handed out.
    Closing,
}

impl Stream {
    /// Starts configuring a stream of `url`.
    pub fn builder(url: &str) -> Builder {
        Builder::new(url)
    }

    /// Starts a stream of `url` with the default configuration, as
    /// `Stream::builder(url).connect()` does. Returns at once, before any
    /// connection is made: the reader thread connects in the background,
    /// and what happens arrives as items (`Connecting`, `Open`, `Retrying`,
    /// `Closed`). Fails only for a configuration that cannot work, such as
    /// a URL that does not parse or a proxy in the environment that cannot
    /// be used ([`Error::InvalidConfig`]), or when the system refuses a
    /// thread ([`Error::Resource`]); a server that cannot be reached is
    /// reported through the items.
    pub fn connect(url: &str) -> Result<Stream, Error> {
        Builder::new(url).connect()
    }

    pub(crate) fn start(config: Config) -> Result<Stream, Error> {
        let config = Arc::new(config);
        // Unbounded, so an idle stream holds no `capacity` slots; the reader
        // keeps the item and byte bounds itself.
        let (items_tx, items) = unbounded();
        let (close_signal, closing) = bounded::<Never>(0);
        let (restarts, restart_requests) = bounded(1);
        let (room, room_signals) = bounded(1);
        let (spare, spares) = bounded(1);
        let (exit_signal, reader_exit) = bounded::<Never>(0);
        let shared = Arc::new(Shared::new(config.options.last_event_id.clone()));
        let mut thread = thread::Builder::new().name("sselink-reader".into());
        if config.options.reader_stack_size > 0 {
            thread = thread.stack_size(config.options.reader_stack_size);
        }
        let channels = Channels {
            items: items_tx,
            queued: items.clone(),
            closing: closing.clone(),
            restart_requests,
            room: room_signals,
            spare: spares,
        };
        let reader = Box::new(Reader::new(
            Arc::clone(&config),
            Arc::clone(&shared),
            channels,
        ));
        let reader_thread = thread
            .spawn(move || {
                let _exit_signal = exit_signal;
                reader.run();
            })
            .map_err(|e| Error::Resource(Arc::new(e)))?
            .thread()
            .id();
        Ok(Stream {
            config,
            shared,
            items,
            close_signal: Mutex::new(Some(close_signal)),
            closing,
            restarts,
            room,
            spare,
            reader_exit,
            reader_thread,
            finished: AtomicBool::new(false),
        })
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
        self.shared.state()
    }

    /// The last event id of the items handed out so far, in the order they
    /// were handed out (or the seeded one): what a new client must resume
    /// from to get exactly the events this one has not handed out. Any
    /// thread, any time; with several receivers it never goes backwards.
    pub fn last_event_id(&self) -> String {
        let mut taken = self.shared.taken();
        let channel_empty = self.items.is_empty();
        taken.last_event_id(channel_empty).to_owned()
    }

    /// A file descriptor that is readable while items wait, made on the
    /// first call (each later call returns the same): for programs that wait
    /// on many streams with poll, epoll or an event loop. Wait until it is
    /// readable, then [`try_recv`](Stream::try_recv) until it returns
    /// [`TryRecvError::Empty`] (or [`TryRecvError::Closed`]); that makes it
    /// unreadable until the next item. It is also readable once the stream
    /// is finished or closed. Fails only when the system refuses a socket
    /// pair.
    #[cfg(unix)]
    pub fn readiness(&self) -> std::io::Result<&crate::readiness::Readiness> {
        self.shared.readiness()
    }

    /// The bytes of the events and comments waiting in the channel (see
    /// [`Builder::max_queued_bytes`]). Any thread, any time.
    pub fn queued_bytes(&self) -> usize {
        self.shared.queued_bytes()
    }

    /// Events discarded by an [`Overflow`](crate::Overflow) drop policy so far.
    pub fn dropped(&self) -> u64 {
        self.shared.dropped()
    }

    /// Closes the stream, from any thread. Returns at once: the connection in
    /// progress is shut down (the server sees it closed), a reader blocked in
    /// a read, a backoff or a full channel stops, and a connect in progress is
    /// abandoned when it completes. After `close` returns no event is
    /// delivered and no request is made: receivers get
    /// `Closed(CloseReason::Caller)` once, then `Err`. Closing twice is harmless.
    pub fn close(&self) {
        if !self.shared.close() {
            return;
        }
        self.close_signal
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .take();
    }

    /// [`close`](Stream::close)s the stream, then waits up to `timeout` for
    /// its reader thread to exit. True if it has. The reader can only be
    /// late while it is inside a TCP connect (bounded by the connect timeout)
    /// or inside the header provider (bounded by the provider).
    ///
    /// Called on the stream's own reader thread (from the header provider or
    /// a logger), it closes and returns false at once: the thread cannot
    /// wait for itself, and exits once the provider or logger returns.
    pub fn close_and_wait(&self, timeout: Duration) -> bool {
        self.close();
        if thread::current().id() == self.reader_thread {
            return false;
        }
        select! {
            recv(self.reader_exit) -> _ => true,
            default(timeout) => false,
        }
    }

    /// Posts `body` (JSON) back to the server and waits for the outcome: the
    /// write path. It goes to [`Builder::post_url`] (by default the stream
    /// URL without a trailing `/stream`), with the stream's headers
    /// (the provider's fetched afresh for every attempt) and
    /// `Content-Type: application/json` unless a header sets another. 429,
    /// 5xx and network errors are retried with backoff
    /// ([`Builder::post_attempts`], [`Builder::post_delay`]), honouring
    /// `Retry-After`; other statuses are final. A post never follows a
    /// redirect: a 3xx is its final response (a write that moved should be
    /// sent again on purpose, not replayed elsewhere by a library). Runs on
    /// the calling thread, for at most [`Builder::post_timeout`]; any thread
    /// may post, also while another receives.
    ///
    /// `Ok` carries the final response, whatever its status (check
    /// [`PostResponse::is_success`]), with its whole body (up to
    /// [`POST_BODY_LIMIT`](crate::POST_BODY_LIMIT)); `Err` says why there
    /// was none: [`Error::AttemptsExhausted`] after network errors,
    /// [`Error::Deadline`] (with the last attempt's error, and the server's
    /// `Retry-After` when that is what lies beyond the deadline),
    /// [`Error::IncompleteBody`] when the response was cut off before its
    /// whole body arrived, [`Error::Tls`] (final unless
    /// [`Builder::retry_tls_errors`]), [`Error::Proxy`] at once when the
    /// proxy refuses for good (a 407), [`Error::Closed`] when the stream is
    /// closed before or during the post (close interrupts it at once).
    pub fn post(&self, body: impl AsRef<[u8]>) -> Result<PostResponse, Error> {
        self.post_within(body, self.config.options.post_timeout)
    }

    /// [`post`](Stream::post) with its own timeout instead of
    /// [`Builder::post_timeout`].
    pub fn post_within(
        &self,
        body: impl AsRef<[u8]>,
        timeout: Duration,
    ) -> Result<PostResponse, Error> {
        if self.shared.is_closed() {
            return Err(Error::Closed);
        }
        let timeout = timeout.min(crate::config::MAX_DURATION);
        crate::post::post(
            &self.config,
            &self.shared,
            &self.closing,
            body.as_ref(),
            timeout,
        )
    }

    /// Drops the current connection and reconnects at once with the last
    /// event id, from any thread; also cuts a backoff wait short. Events
    /// already received stay queued: nothing is lost or repeated. The restart
    /// applies once, to the connection current when it was asked for or to
    /// the next one. False, doing nothing, when the stream is finished.
    pub fn restart(&self) -> bool {
        if !self.shared.request_restart() {
            return false;
        }
        let _ = self.restarts.try_send(());
        true
    }

    fn next_item(&self, wait: Wait) -> Result<Item, bool> {
        loop {
            if self.finished.load(Ordering::Acquire) {
                return Err(true);
            }
            if self.shared.is_closed() {
                return self.finish(Item::Closed(CloseReason::Caller));
            }
            match self.take() {
                Next::Item(item) => return Ok(item),
                Next::Closing => continue,
                // The reader has exited and the queue is drained: hand out
                // why, once. Without a recorded reason the reader died.
                Next::ReaderGone => {
                    if self.shared.is_closed() {
                        continue;
                    }
                    let reason = self
                        .shared
                        .final_reason()
                        .unwrap_or(CloseReason::Error(Error::ReaderDied));
                    return self.finish(Item::Closed(reason));
                }
                Next::Empty => {}
            }
            let deadline = match wait {
                Wait::No => {
                    self.shared
                        .drained(|| self.shared.queued_items() == 0 && !self.shared.is_done());
                    return Err(false);
                }
                Wait::Forever => None,
                Wait::Until(deadline) => Some(deadline),
            };
            // Wait for a batch, the reader's exit or close, without taking
            // anything: batches are taken only under the queue's lock, so
            // that concurrent receivers keep their order.
            let mut ready = Select::new();
            ready.recv(&self.items);
            ready.recv(&self.closing);
            match deadline {
                None => {
                    ready.ready();
                }
                Some(deadline) => {
                    if ready.ready_deadline(deadline).is_err() {
                        return Err(false);
                    }
                }
            }
        }
    }

    /// Takes the next item out of the queue, moving a batch out of the
    /// channel when none is pending. Id changes on the way are recorded, not
    /// handed out.
    fn take(&self) -> Next {
        let mut taken = self.shared.taken();
        loop {
            let Some(message) = taken.pending.pop_front() else {
                match self.items.try_recv() {
                    Ok(mut batch) => {
                        taken.take_batch(&mut batch);
                        let _ = self.spare.try_send(batch);
                        continue;
                    }
                    Err(crossbeam_channel::TryRecvError::Empty) => {
                        taken.settle();
                        return Next::Empty;
                    }
                    Err(crossbeam_channel::TryRecvError::Disconnected) => {
                        taken.settle();
                        return Next::ReaderGone;
                    }
                }
            };
            // A close that raced with this receive wins: nothing after close.
            // The message stays queued, never handed out, so the id changes
            // after it never take effect.
            if self.shared.is_closed() {
                taken.pending.push_front(message);
                return Next::Closing;
            }
            self.shared.remove_queued(&message);
            // A reader waiting for room rechecks (a no-op when it is not).
            let _ = self.room.try_send(());
            taken.note_left(&message);
            return Next::Item(message.item);
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

impl Builder {
    /// Checks the configuration and starts the stream's reader thread. Returns
    /// at once: the connection is made in the background, and its progress
    /// arrives as items. Fails with [`Error::InvalidConfig`] for a setting
    /// that cannot work and [`Error::Resource`] when the system refuses a
    /// thread; never panics.
    pub fn connect(self) -> Result<Stream, Error> {
        Stream::start(self.build()?)
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
    fn orphan(items: Receiver<Batch>) -> (Stream, Sender<Never>) {
        let (close_signal, closing) = bounded::<Never>(0);
        let (restarts, _) = bounded(1);
        let (room, _) = bounded(1);
        let (spare, _) = bounded(1);
        let (exit_signal, reader_exit) = bounded::<Never>(0);
        drop(exit_signal);
        let stream = Stream {
            config: Arc::new(Builder::new("http://127.0.0.1:1/").build().unwrap()),
            shared: Arc::new(Shared::new(String::new())),
            items,
            close_signal: Mutex::new(None),
            closing,
            restarts,
            room,
            spare,
            reader_exit,
            reader_thread: thread::spawn(|| {}).thread().id(),
            finished: AtomicBool::new(false),
        };
        (stream, close_signal)
    }

    /// Queues `items` as one batch, numbered from `first`, counted as the
    /// reader counts them.
    fn queue(stream: &Stream, sender: &Sender<Batch>, first: u64, items: Vec<Item>) {
        let mut batch = Batch::default();
        for (seq, item) in (first..).zip(items) {
            batch.push(crate::shared::Message {
                seq,
                bytes: 0,
                item,
            });
        }
        let lifecycle = batch.lifecycle();
        stream.shared.add_queued(batch.len(), lifecycle, 0);
        sender.send(batch).unwrap();
    }

    fn open() -> Item {
        Item::Open {
            status: 200,
            headers: vec![],
        }
    }

    #[test]
    fn a_reader_that_vanishes_without_a_reason_gives_reader_died() {
        for wait in [
            Wait::Forever,
            Wait::No,
            Wait::Until(Instant::now() + Duration::from_secs(5)),
        ] {
            let (sender, items) = unbounded();
            let (stream, _keep_open) = orphan(items);
            queue(&stream, &sender, 0, vec![open()]);
            drop(sender); // the reader died, as a panic would leave it
            assert_eq!(
                stream.next_item(wait),
                Ok(Item::Open {
                    status: 200,
                    headers: vec![]
                })
            );
            assert_eq!(
                stream.next_item(Wait::Forever),
                Ok(Item::Closed(CloseReason::Error(Error::ReaderDied)))
            );
            assert_eq!(stream.recv(), Err(RecvError));
        }
    }

    #[test]
    fn the_recorded_reason_is_handed_out_once_after_the_queue() {
        let (sender, items) = unbounded();
        let (stream, _keep_open) = orphan(items);
        queue(&stream, &sender, 0, vec![open()]);
        stream.shared.finish(CloseReason::Ended);
        drop(sender);
        assert_eq!(
            stream.recv(),
            Ok(Item::Open {
                status: 200,
                headers: vec![]
            })
        );
        assert_eq!(stream.recv(), Ok(Item::Closed(CloseReason::Ended)));
        assert_eq!(stream.recv(), Err(RecvError));
    }

    #[test]
    fn after_close_a_vanished_reader_means_closed_by_caller() {
        let (sender, items) = unbounded::<Batch>();
        drop(sender);
        let (stream, _keep_open) = orphan(items);
        stream.shared.close();
        assert_eq!(stream.recv(), Ok(Item::Closed(CloseReason::Caller)));
        assert_eq!(stream.recv(), Err(RecvError));
    }

    fn change(before: u64, version: u64, id: &str) -> crate::shared::IdChange {
        crate::shared::IdChange {
            before,
            version,
            id: crate::event::EventId::new(id),
        }
    }

    #[test]
    fn a_batch_is_handed_out_in_order_and_its_id_changes_are_recorded() {
        let (sender, items) = unbounded();
        let (stream, _keep_open) = orphan(items);
        let comment = |text: &str| Item::Comment(text.into());
        // "7" came between a and b, "8" after c, "9" after "8": "8" is
        // replaced in place, and neither takes a slot of the queue.
        queue(&stream, &sender, 0, vec![comment("a"), comment("b")]);
        stream.shared.taken().set_next_id(change(1, 1, "7"));
        queue(&stream, &sender, 2, vec![comment("c")]);
        stream.shared.taken().set_next_id(change(3, 2, "8"));
        assert_eq!(stream.shared.queued_items(), 3);
        assert_eq!(stream.try_recv(), Ok(comment("a")));
        assert_eq!(stream.last_event_id(), "");
        assert_eq!(stream.try_recv(), Ok(comment("b")));
        // "7" was replaced by "8" before b was handed out: it is passed over.
        assert_eq!(stream.last_event_id(), "");
        assert_eq!(stream.try_recv(), Ok(comment("c")));
        // Every message sent before "8" has left the queue.
        assert_eq!(stream.last_event_id(), "8");
        stream.shared.taken().set_next_id(change(3, 3, "9"));
        assert_eq!(stream.try_recv(), Err(TryRecvError::Empty));
        assert_eq!(stream.last_event_id(), "9");
        assert_eq!(stream.shared.queued_items(), 0);
    }

    #[test]
    fn an_id_change_takes_effect_only_after_every_earlier_message() {
        let (sender, items) = unbounded();
        let (stream, _keep_open) = orphan(items);
        let event = |data: &str, id: &str| Item::Event(crate::Event::new("", data).with_id(id));
        queue(&stream, &sender, 0, vec![event("a", "1"), event("b", "2")]);
        stream.shared.taken().set_next_id(change(2, 1, "3"));
        // A batch waits in the channel: the change waits for it.
        assert_eq!(stream.last_event_id(), "");
        assert_eq!(stream.try_recv(), Ok(event("a", "1")));
        assert_eq!(stream.last_event_id(), "1");
        assert_eq!(stream.try_recv(), Ok(event("b", "2")));
        assert_eq!(stream.last_event_id(), "3");
        queue(&stream, &sender, 2, vec![event("c", "4")]);
        assert_eq!(stream.try_recv(), Ok(event("c", "4")));
        assert_eq!(stream.last_event_id(), "4");
    }

    #[test]
    fn a_change_that_travels_with_its_batch_precedes_the_events_after_it() {
        let (sender, items) = unbounded();
        let (stream, _keep_open) = orphan(items);
        let event = |data: &str, id: &str| Item::Event(crate::Event::new("", data).with_id(id));
        // The batch holds event 0 (id 1), then the change to 2, then event 1
        // (id 3): the change applies once event 0 is handed out, and never
        // after event 1.
        let mut batch = Batch::default();
        for (seq, item) in [(0, event("a", "1")), (1, event("b", "3"))] {
            batch.push(crate::shared::Message {
                seq,
                bytes: 0,
                item,
            });
        }
        batch.id_change = Some(change(1, 2, "2"));
        stream.shared.add_queued(2, 0, 0);
        sender.send(batch).unwrap();
        // An older change, published after the batch was sent, is ignored.
        stream.shared.taken().set_next_id(change(1, 1, "0"));
        assert_eq!(stream.last_event_id(), "", "the change waits for a");
        assert_eq!(stream.try_recv(), Ok(event("a", "1")));
        assert_eq!(
            stream.last_event_id(),
            "2",
            "only b is left, after the change"
        );
        assert_eq!(stream.try_recv(), Ok(event("b", "3")));
        assert_eq!(stream.last_event_id(), "3");
        assert_eq!(stream.try_recv(), Err(TryRecvError::Empty));
        assert_eq!(stream.last_event_id(), "3");
    }

    #[test]
    fn a_message_taken_as_the_stream_closes_stays_queued() {
        let (sender, items) = unbounded();
        let (stream, _keep_open) = orphan(items);
        let event = |data: &str, id: &str| Item::Event(crate::Event::new("", data).with_id(id));
        queue(&stream, &sender, 0, vec![event("a", "1")]);
        stream.shared.taken().set_next_id(change(1, 1, "2"));
        stream.shared.close();
        assert_eq!(stream.try_recv(), Ok(Item::Closed(CloseReason::Caller)));
        // a was never handed out: the id stays before it, and so before 2.
        assert_eq!(stream.last_event_id(), "");
    }
}
