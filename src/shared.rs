//! [`Shared`]: what a stream's handle and its reader thread share, and the
//! [`Message`]s that travel from the reader to the handle.
//!
//! Messages travel in [`Batch`]es, one per read from the network, so that
//! the channel and the wake-up it may cost are paid once per read, not once
//! per event. Receivers move a batch into [`Taken::pending`] and hand its
//! messages out one by one, under one lock, in the order they were sent.
//!
//! A small event travels as ranges of its batch's text, and the receiving
//! thread makes its strings: so they are allocated and freed on the same
//! thread. Made on the reader and freed by the caller, they cost two contended
//! heap operations per event, 45 % of the time on 64-byte events (perf).

use std::collections::VecDeque;
use std::ops::Range;
use std::sync::atomic::{AtomicBool, AtomicU64, AtomicU8, AtomicUsize, Ordering};
use std::sync::{Mutex, MutexGuard, OnceLock, PoisonError};
use std::time::Duration;

use crate::event::Event;
use crate::item::{CloseReason, Item, State};

/// A type with no values: channels of it only ever disconnect, which is how
/// close and the reader's exit are signalled.
#[derive(Debug)]
pub(crate) enum Never {}

/// One item, or an id change, on its way from the reader to the handle.
#[derive(Debug)]
pub(crate) struct Message {
    /// What the message counts against the queue's byte bound: the strings
    /// of an event or a comment, 0 for lifecycle items.
    pub(crate) bytes: usize,
    pub(crate) body: MessageBody,
}

impl Message {
    /// An event or a comment: what a drop policy counts when it drops it.
    pub(crate) fn is_counted(&self) -> bool {
        matches!(
            self.body,
            MessageBody::Item(Item::Event(_) | Item::Comment(_))
        )
    }
}

/// The content of a [`Message`].
#[derive(Debug)]
pub(crate) enum MessageBody {
    /// Any item but `Closed`, which travels through [`Shared::finish`].
    Item(Item),
    /// The last event id changed without an event (a block with only `id`).
    LastEventId(String),
}

/// What one send on the channel carries: the messages of one read, in order.
/// Emptied batches go back to the reader, to be filled again.
#[derive(Debug, Default)]
pub(crate) struct Batch {
    pub(crate) messages: Vec<Packed>,
    /// The strings of the small events among `messages`.
    pub(crate) text: String,
}

impl Batch {
    /// Adds a message, packing an event whose strings are shorter than
    /// [`PACK_BELOW`] bytes into `text`.
    pub(crate) fn push(&mut self, message: Message) {
        let Message {
            bytes,
            body: MessageBody::Item(Item::Event(event)),
        } = message
        else {
            self.messages.push(Packed::Message(message));
            return;
        };
        if event.data.len() + event.event_type.len() + event.id.len() >= PACK_BELOW {
            let body = MessageBody::Item(Item::Event(event));
            self.messages.push(Packed::Message(Message { bytes, body }));
            return;
        }
        let mut add = |text: &str| {
            let start = self.text.len();
            self.text.push_str(text);
            start..self.text.len()
        };
        let event = PackedEvent {
            event_type: add(&event.event_type),
            data: add(&event.data),
            id: add(&event.id),
            retry: event.retry,
            own_id: event.own_id,
        };
        self.messages.push(Packed::Event { bytes, event });
    }

    pub(crate) fn len(&self) -> usize {
        self.messages.len()
    }

    pub(crate) fn is_empty(&self) -> bool {
        self.messages.is_empty()
    }
}

/// Events whose strings add up to fewer bytes travel packed; larger ones
/// keep their strings (a large event's data buffer is never copied).
const PACK_BELOW: usize = 4096;

/// A message as a [`Batch`] carries it.
#[derive(Debug)]
pub(crate) enum Packed {
    Message(Message),
    /// An event whose strings are ranges of the batch's text.
    Event {
        bytes: usize,
        event: PackedEvent,
    },
}

/// An [`Event`] whose strings are ranges of a batch's text.
#[derive(Debug)]
pub(crate) struct PackedEvent {
    event_type: Range<usize>,
    data: Range<usize>,
    id: Range<usize>,
    retry: Option<Duration>,
    own_id: bool,
}

impl PackedEvent {
    fn unpack(self, text: &str) -> Event {
        // The ranges were made by `Batch::push` on whole strings, so they
        // lie on character boundaries of `text`.
        let string = |range: Range<usize>| String::from(text.get(range).unwrap_or_default());
        Event {
            event_type: string(self.event_type),
            data: string(self.data),
            id: string(self.id),
            retry: self.retry,
            own_id: self.own_id,
        }
    }
}

/// The messages receivers have taken out of the channel and not yet handed
/// out, and the last event id of those handed out. One lock guards both, so
/// concurrent receivers hand out in the order sent and the id always belongs
/// to the last item handed out.
#[derive(Debug)]
pub(crate) struct Taken {
    pub(crate) pending: VecDeque<Message>,
    pub(crate) last_event_id: String,
}

impl Taken {
    /// Moves the messages of `batch` to the end of `pending`, unpacking its
    /// events, and leaves `batch` empty, its memory kept for reuse.
    pub(crate) fn take_batch(&mut self, batch: &mut Batch) {
        let text = &batch.text;
        self.pending
            .extend(batch.messages.drain(..).map(|packed| match packed {
                Packed::Message(message) => message,
                Packed::Event { bytes, event } => Message {
                    bytes,
                    body: MessageBody::Item(Item::Event(event.unpack(text))),
                },
            }));
        batch.text.clear();
    }

    /// Records `id` as the last event id handed out.
    pub(crate) fn note_last_event_id(&mut self, id: impl AsRef<str> + Into<String>) {
        if !same_text(&self.last_event_id, id.as_ref()) {
            self.last_event_id = id.into();
        }
    }
}

/// `a == b`, without a call to `memcmp` for the empty ids most streams
/// have: comparing them with `==` cost a sixth of the receiving thread's time
/// on 64-byte events (measured with perf).
fn same_text(a: &str, b: &str) -> bool {
    a.len() == b.len() && (a.is_empty() || a == b)
}

/// State shared by the handle and its reader thread. Every method may be
/// called from any thread.
#[derive(Debug)]
pub(crate) struct Shared {
    state: AtomicU8,
    closed: AtomicBool,
    /// The connection in progress and the restart flag, under one lock so
    /// that a restart is applied exactly once, to the connection current when
    /// it was asked for or to the next one.
    connection: Mutex<Connection>,
    dropped: AtomicU64,
    /// Messages sent and not yet handed out or dropped: in the channel or in
    /// [`Taken::pending`].
    queued_items: AtomicUsize,
    /// Bytes of the events and comments among them.
    queued_bytes: AtomicUsize,
    taken: Mutex<Taken>,
    /// The agents of posts in progress, by number, for close to shut down.
    posts: Mutex<Vec<(u64, ureq::Agent)>>,
    next_post: AtomicU64,
    /// The readiness file descriptor, made when a caller first asks for it.
    #[cfg(unix)]
    readiness: OnceLock<crate::readiness::Readiness>,
    /// Why the reader finished, set just before it exits. Receivers hand it
    /// out once the channel is drained, so `Closed` is never queued behind a
    /// full channel, never displaced by a drop policy, and never lost.
    final_reason: Mutex<Option<CloseReason>>,
}

/// A post's agent, registered with [`Shared::register_post`] until dropped.
pub(crate) struct PostRegistration<'a> {
    shared: &'a Shared,
    id: u64,
}

impl Drop for PostRegistration<'_> {
    fn drop(&mut self) {
        self.shared
            .posts
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .retain(|(id, _)| *id != self.id);
    }
}

#[derive(Debug, Default)]
struct Connection {
    /// The agent of the connection in progress, for close and restart to shut
    /// down. `None` between connections.
    agent: Option<ureq::Agent>,
    /// A restart was asked for and no connection has fulfilled it yet.
    restart: bool,
}

impl Shared {
    /// `last_event_id` is the seeded id, the last one until an item brings another.
    pub(crate) fn new(last_event_id: String) -> Shared {
        Shared {
            state: AtomicU8::new(State::Connecting as u8),
            closed: AtomicBool::new(false),
            connection: Mutex::new(Connection::default()),
            dropped: AtomicU64::new(0),
            queued_items: AtomicUsize::new(0),
            queued_bytes: AtomicUsize::new(0),
            taken: Mutex::new(Taken {
                pending: VecDeque::new(),
                last_event_id,
            }),
            posts: Mutex::new(Vec::new()),
            next_post: AtomicU64::new(0),
            #[cfg(unix)]
            readiness: OnceLock::new(),
            final_reason: Mutex::new(None),
        }
    }

    pub(crate) fn state(&self) -> State {
        State::from_u8(self.state.load(Ordering::Acquire))
    }

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

    /// Marks the stream closed by the caller. False if it already was.
    pub(crate) fn close(&self) -> bool {
        if self.closed.swap(true, Ordering::AcqRel) {
            return false;
        }
        self.set_state(State::Closed);
        let agent = self.connection().agent.take();
        if let Some(agent) = agent {
            agent.shutdown();
        }
        let posts = std::mem::take(&mut *self.posts.lock().unwrap_or_else(PoisonError::into_inner));
        for (_, agent) in posts {
            agent.shutdown();
        }
        self.wake();
        true
    }

    /// The readiness descriptor, made on first use.
    #[cfg(unix)]
    pub(crate) fn readiness(&self) -> std::io::Result<&crate::readiness::Readiness> {
        if let Some(readiness) = self.readiness.get() {
            return Ok(readiness);
        }
        let made = crate::readiness::Readiness::new()?;
        let readiness = self.readiness.get_or_init(|| made);
        // Items may already wait, or the stream may be finished.
        readiness.wake();
        Ok(readiness)
    }

    /// Makes the readiness descriptor readable, if there is one.
    pub(crate) fn wake(&self) {
        #[cfg(unix)]
        if let Some(readiness) = self.readiness.get() {
            readiness.wake();
        }
    }

    /// The channel was found empty: clears the readiness descriptor, if
    /// there is one, unless `nothing_to_hand_out` says that an item arrived
    /// or the stream finished meanwhile (a wake that came while the old byte
    /// was still pending wrote nothing, so it is made again here).
    pub(crate) fn drained(&self, nothing_to_hand_out: impl FnOnce() -> bool) {
        #[cfg(unix)]
        if let Some(readiness) = self.readiness.get() {
            readiness.clear();
            if !nothing_to_hand_out() {
                readiness.wake();
            }
        }
        #[cfg(not(unix))]
        let _ = nothing_to_hand_out;
    }

    /// Makes `agent`, a post's, one that close shuts down, until the
    /// returned guard is dropped. `None` when the stream is closed.
    pub(crate) fn register_post(&self, agent: &ureq::Agent) -> Option<PostRegistration<'_>> {
        let mut posts = self.posts.lock().unwrap_or_else(PoisonError::into_inner);
        if self.is_closed() {
            return None;
        }
        let id = self.next_post.fetch_add(1, Ordering::Relaxed);
        posts.push((id, agent.clone()));
        Some(PostRegistration { shared: self, id })
    }

    /// Asks for a restart: the connection in progress, if any, is shut down
    /// and the reader reconnects. False when the stream is finished.
    pub(crate) fn request_restart(&self) -> bool {
        if self.state() == State::Closed {
            return false;
        }
        let mut connection = self.connection();
        connection.restart = true;
        if let Some(agent) = connection.agent.take() {
            agent.shutdown();
        }
        true
    }

    /// Consumes a pending restart request.
    pub(crate) fn take_restart(&self) -> bool {
        std::mem::take(&mut self.connection().restart)
    }

    /// True while a restart is asked for and not yet taken.
    pub(crate) fn restart_pending(&self) -> bool {
        self.connection().restart
    }

    /// Makes `agent` the one close and restart shut down; the connection it
    /// makes fulfils every restart asked for until now. False when the stream
    /// is closed: the reader must not use the network.
    pub(crate) fn install_agent(&self, agent: &ureq::Agent) -> bool {
        let mut connection = self.connection();
        if self.is_closed() {
            return false;
        }
        connection.restart = false;
        connection.agent = Some(agent.clone());
        true
    }

    /// Forgets the agent of a finished connection.
    pub(crate) fn clear_agent(&self) {
        self.connection().agent = None;
    }

    pub(crate) fn count_dropped(&self) {
        self.dropped.fetch_add(1, Ordering::Relaxed);
    }

    pub(crate) fn dropped(&self) -> u64 {
        self.dropped.load(Ordering::Relaxed)
    }

    /// Counts `items` messages of `bytes` in all going into the channel.
    /// Returns how many were queued before.
    pub(crate) fn add_queued(&self, items: usize, bytes: usize) -> usize {
        self.queued_bytes.fetch_add(bytes, Ordering::AcqRel);
        self.queued_items.fetch_add(items, Ordering::AcqRel)
    }

    /// Counts one message of `bytes` handed out or dropped.
    pub(crate) fn remove_queued(&self, bytes: usize) {
        if bytes > 0 {
            self.queued_bytes.fetch_sub(bytes, Ordering::AcqRel);
        }
        self.queued_items.fetch_sub(1, Ordering::AcqRel);
    }

    pub(crate) fn queued_items(&self) -> usize {
        self.queued_items.load(Ordering::Acquire)
    }

    /// The messages taken out of the channel, and the last event id.
    pub(crate) fn taken(&self) -> MutexGuard<'_, Taken> {
        self.taken.lock().unwrap_or_else(PoisonError::into_inner)
    }

    pub(crate) fn queued_bytes(&self) -> usize {
        self.queued_bytes.load(Ordering::Acquire)
    }

    /// Records why the stream finished; the reader calls it once, last.
    pub(crate) fn finish(&self, reason: CloseReason) {
        self.set_state(State::Closed);
        *self
            .final_reason
            .lock()
            .unwrap_or_else(PoisonError::into_inner) = Some(reason);
        self.wake();
    }

    /// True once the stream is closed or its reader has recorded why it
    /// finished: a receiver has something to hand out even with an empty
    /// channel.
    pub(crate) fn is_done(&self) -> bool {
        self.is_closed() || self.state() == State::Closed
    }

    /// Why the reader finished, if it said.
    pub(crate) fn final_reason(&self) -> Option<CloseReason> {
        self.final_reason
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .clone()
    }

    fn connection(&self) -> MutexGuard<'_, Connection> {
        self.connection
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn event_message(event: Event) -> Message {
        Message {
            bytes: 11,
            body: MessageBody::Item(Item::Event(event)),
        }
    }

    #[test]
    fn a_batch_hands_back_every_message_as_sent_and_in_order() {
        let small = Event::new("tick", "données\0\u{FFFD}\n2")
            .with_id("7")
            .with_retry(Duration::from_millis(3));
        let carried = Event {
            own_id: false,
            ..Event::new("", "x").with_id("7")
        };
        let empty = Event::new("", "");
        let large = Event::new("", "y".repeat(PACK_BELOW));
        let sent = vec![
            event_message(small.clone()),
            Message {
                bytes: 0,
                body: MessageBody::LastEventId("8".into()),
            },
            event_message(carried.clone()),
            event_message(empty.clone()),
            event_message(large.clone()),
        ];
        let mut batch = Batch::default();
        for message in sent {
            batch.push(message);
        }
        let packed = |b: &Batch| {
            b.messages
                .iter()
                .map(|p| matches!(p, Packed::Event { .. }))
                .collect::<Vec<_>>()
        };
        // The large event keeps its own strings; the small ones are packed.
        assert_eq!(packed(&batch), [true, false, true, true, false]);
        let mut taken = Taken {
            pending: VecDeque::new(),
            last_event_id: String::new(),
        };
        taken.take_batch(&mut batch);
        assert!(batch.is_empty() && batch.text.is_empty());
        let got: Vec<Message> = taken.pending.drain(..).collect();
        assert_eq!(got.len(), 5);
        let event = |m: &Message| match &m.body {
            MessageBody::Item(Item::Event(e)) => e.clone(),
            other => panic!("not an event: {other:?}"),
        };
        for (message, expected) in [(0, &small), (2, &carried), (3, &empty), (4, &large)] {
            assert_eq!(got[message].bytes, 11);
            let got = event(&got[message]);
            assert_eq!(&got, expected);
            assert_eq!(got.has_own_id(), expected.has_own_id());
            assert_eq!(got.event_type, expected.event_type);
        }
        assert!(matches!(&got[1].body, MessageBody::LastEventId(id) if id == "8"));
    }
}
