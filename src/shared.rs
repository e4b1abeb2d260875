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

use crate::event::{Event, EventId};
use crate::item::{CloseReason, Item, State};

/// A type with no values: channels of it only ever disconnect, which is how
/// close and the reader's exit are signalled.
#[derive(Debug)]
pub(crate) enum Never {}

/// One item on its way from the reader to the handle: any item but
/// `Closed`, which travels through [`Shared::finish`].
#[derive(Debug)]
pub(crate) struct Message {
    /// The reader numbers its messages from 0, in the order sent, so that an
    /// id change that no message carries takes effect in its place (see
    /// [`Taken::next_id`]).
    pub(crate) seq: u64,
    /// What the message counts against the queue's byte bound: the strings
    /// of an event or a comment, 0 for lifecycle items.
    pub(crate) bytes: usize,
    pub(crate) item: Item,
}

impl Message {
    /// An event or a comment: what a drop policy may drop, and counts.
    /// Lifecycle items are never dropped.
    pub(crate) fn is_droppable(&self) -> bool {
        matches!(self.item, Item::Event(_) | Item::Comment(_))
    }
}

/// What one send on the channel carries: the messages of one read, in order.
/// Emptied batches go back to the reader, to be filled again.
#[derive(Debug, Default)]
pub(crate) struct Batch {
    pub(crate) messages: Vec<Packed>,
    /// The strings of the small events among `messages`.
    pub(crate) text: String,
    /// An id change that no message carries, made while this batch was
    /// filled: it travels with the messages it may precede, so no receiver
    /// can hand one of them out before it knows of the change.
    pub(crate) id_change: Option<IdChange>,
}

/// An id change that no message carries (an id-only block, a filtered or
/// dropped event): it takes effect before the message numbered `before`.
/// The reader numbers its changes in `version`, so a receiver keeps the
/// newest when an older one reaches it later.
#[derive(Debug)]
pub(crate) struct IdChange {
    pub(crate) before: u64,
    pub(crate) version: u64,
    pub(crate) id: EventId,
}

impl Batch {
    /// Adds a message, packing an event whose strings are shorter than
    /// [`PACK_BELOW`] bytes into `text`.
    pub(crate) fn push(&mut self, message: Message) {
        let Message {
            seq,
            bytes,
            item: Item::Event(event),
        } = message
        else {
            self.messages.push(Packed::Message(message));
            return;
        };
        if event.data.len() + event.event_type.len() >= PACK_BELOW {
            let item = Item::Event(event);
            self.messages
                .push(Packed::Message(Message { seq, bytes, item }));
            return;
        }
        let mut add = |text: &str| {
            let start = self.text.len();
            self.text.push_str(text);
            start..self.text.len()
        };
        let packed = PackedEvent {
            event_type: add(&event.event_type),
            data: add(&event.data),
            retry: event.retry,
            own_id: event.own_id,
            seq,
        };
        self.messages.push(Packed::Event {
            bytes,
            event: packed,
            id: event.id,
        });
    }

    pub(crate) fn len(&self) -> usize {
        self.messages.len()
    }

    pub(crate) fn is_empty(&self) -> bool {
        self.messages.is_empty()
    }

    /// How many lifecycle items the batch holds.
    #[cfg(test)]
    pub(crate) fn lifecycle(&self) -> usize {
        self.messages
            .iter()
            .filter(|p| matches!(p, Packed::Message(m) if !m.is_droppable()))
            .count()
    }
}

/// Events whose type and data add up to fewer bytes travel packed; larger
/// ones keep their strings (a large event's data buffer is never copied).
/// The id is never packed: it is shared, not copied (see [`EventId`]).
const PACK_BELOW: usize = 4096;

/// A message as a [`Batch`] carries it.
#[derive(Debug)]
pub(crate) enum Packed {
    Message(Message),
    /// An event whose type and data are ranges of the batch's text.
    Event {
        bytes: usize,
        event: PackedEvent,
        id: EventId,
    },
}

/// An [`Event`] whose type and data are ranges of a batch's text.
#[derive(Debug)]
pub(crate) struct PackedEvent {
    event_type: Range<usize>,
    data: Range<usize>,
    retry: Option<Duration>,
    own_id: bool,
    seq: u64,
}

impl PackedEvent {
    fn unpack(self, text: &str, id: EventId, bytes: usize) -> Message {
        // The ranges were made by `Batch::push` on whole strings, so they
        // lie on character boundaries of `text`.
        let string = |range: Range<usize>| String::from(text.get(range).unwrap_or_default());
        let event = Event {
            event_type: string(self.event_type),
            data: string(self.data),
            id,
            retry: self.retry,
            own_id: self.own_id,
        };
        Message {
            seq: self.seq,
            bytes,
            item: Item::Event(event),
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
    last_event_id: EventId,
    /// An id change that no queued message carries: it takes effect once
    /// every message before it has left the queue. A newer change replaces
    /// it in place, so id changes never take a slot of the queue, and never
    /// displace an item.
    next_id: Option<IdChange>,
}

impl Taken {
    /// `last_event_id` is the seeded id.
    pub(crate) fn new(last_event_id: &str) -> Taken {
        Taken {
            pending: VecDeque::new(),
            last_event_id: EventId::new(last_event_id),
            next_id: None,
        }
    }

    /// Moves the messages of `batch` to the end of `pending`, unpacking its
    /// events, and leaves `batch` empty, its memory kept for reuse.
    pub(crate) fn take_batch(&mut self, batch: &mut Batch) {
        if let Some(change) = batch.id_change.take() {
            self.set_next_id(change);
        }
        let text = &batch.text;
        self.pending
            .extend(batch.messages.drain(..).map(|packed| match packed {
                Packed::Message(message) => message,
                Packed::Event { bytes, event, id } => event.unpack(text, id, bytes),
            }));
        batch.text.clear();
    }

    /// Records that `message` left the queue, handed out or dropped: the id
    /// change before it, if any, then its own id.
    pub(crate) fn note_left(&mut self, message: &Message) {
        if self
            .next_id
            .as_ref()
            .is_some_and(|c| c.before <= message.seq)
        {
            self.apply_next_id();
        }
        if let Item::Event(event) = &message.item {
            self.note_last_event_id(&event.id);
        }
    }

    /// Records an id change that no message carries, unless a newer one is
    /// recorded already. The reader calls it when no message after the
    /// change has been sent, and receivers for a change that came with a
    /// batch; receivers apply it.
    pub(crate) fn set_next_id(&mut self, change: IdChange) {
        if self
            .next_id
            .as_ref()
            .is_none_or(|c| c.version < change.version)
        {
            self.next_id = Some(change);
        }
    }

    /// The last event id handed out, once a pending id change whose earlier
    /// messages have all left the queue has taken effect. `channel_empty`
    /// says whether the channel holds no batch.
    pub(crate) fn last_event_id(&mut self, channel_empty: bool) -> &str {
        if channel_empty {
            self.settle();
        }
        self.last_event_id.as_str()
    }

    /// Applies the pending id change when no message sent before it waits in
    /// `pending` (whose front is its oldest). The caller has checked that
    /// none waits in the channel.
    pub(crate) fn settle(&mut self) {
        let Some(change) = &self.next_id else {
            return;
        };
        if self.pending.front().is_none_or(|m| m.seq >= change.before) {
            self.apply_next_id();
        }
    }

    fn apply_next_id(&mut self) {
        if let Some(change) = self.next_id.take() {
            self.note_last_event_id(&change.id);
        }
    }

    fn note_last_event_id(&mut self, id: &EventId) {
        if !self.last_event_id.same(id) {
            self.last_event_id = id.clone();
        }
    }

    /// Removes the oldest message a drop policy may drop (an event or a
    /// comment), taking batches out of `channel` until one is found.
    pub(crate) fn remove_oldest_droppable(
        &mut self,
        channel: &crossbeam_channel::Receiver<Batch>,
    ) -> Option<Message> {
        let mut from = 0;
        loop {
            if let Some(at) = self.pending.range(from..).position(Message::is_droppable) {
                return self.pending.remove(from + at);
            }
            from = self.pending.len();
            let mut batch = channel.try_recv().ok()?;
            self.take_batch(&mut batch);
        }
    }
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
    /// Lifecycle items among them, bounded apart from events and comments.
    queued_lifecycle: AtomicUsize,
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
            queued_lifecycle: AtomicUsize::new(0),
            queued_bytes: AtomicUsize::new(0),
            taken: Mutex::new(Taken::new(&last_event_id)),
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

    /// Counts `items` messages, `lifecycle` of them lifecycle items, of
    /// `bytes` in all going into the channel. Returns how many were queued
    /// before.
    pub(crate) fn add_queued(&self, items: usize, lifecycle: usize, bytes: usize) -> usize {
        self.queued_bytes.fetch_add(bytes, Ordering::AcqRel);
        if lifecycle > 0 {
            self.queued_lifecycle.fetch_add(lifecycle, Ordering::AcqRel);
        }
        self.queued_items.fetch_add(items, Ordering::AcqRel)
    }

    /// Counts `message` handed out or dropped.
    pub(crate) fn remove_queued(&self, message: &Message) {
        if message.bytes > 0 {
            self.queued_bytes.fetch_sub(message.bytes, Ordering::AcqRel);
        }
        if !message.is_droppable() {
            self.queued_lifecycle.fetch_sub(1, Ordering::AcqRel);
        }
        self.queued_items.fetch_sub(1, Ordering::AcqRel);
    }

    /// Messages queued: in the channel or taken and not yet handed out.
    pub(crate) fn queued_items(&self) -> usize {
        self.queued_items.load(Ordering::Acquire)
    }

    /// Lifecycle items among [`queued_items`](Shared::queued_items).
    pub(crate) fn queued_lifecycle(&self) -> usize {
        self.queued_lifecycle.load(Ordering::Acquire)
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

    fn message(seq: u64, item: Item) -> Message {
        Message {
            seq,
            bytes: 11,
            item,
        }
    }

    #[test]
    fn a_batch_hands_back_every_message_as_sent_and_in_order() {
        let small = Event::new("tick", "données\0\u{FFFD}\n2")
            .with_id("7")
            .with_retry(Duration::from_millis(3));
        let carried = Event {
            own_id: false,
            ..small.clone()
        };
        let empty = Event::new("", "");
        let large = Event::new("", "y".repeat(PACK_BELOW));
        let sent = vec![
            message(0, Item::Event(small.clone())),
            message(1, Item::Comment("c".into())),
            message(2, Item::Event(carried.clone())),
            message(3, Item::Event(empty.clone())),
            message(4, Item::Event(large.clone())),
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
        // Ids are shared, never copied into the batch's text.
        assert!(!batch.text.contains('7'));
        let mut taken = Taken::new("");
        taken.take_batch(&mut batch);
        assert!(batch.is_empty() && batch.text.is_empty());
        let got: Vec<Message> = taken.pending.drain(..).collect();
        assert_eq!(got.len(), 5);
        let event = |m: &Message| match &m.item {
            Item::Event(e) => e.clone(),
            other => panic!("not an event: {other:?}"),
        };
        for (at, expected) in [(0, &small), (2, &carried), (3, &empty), (4, &large)] {
            assert_eq!((got[at].seq, got[at].bytes), (at as u64, 11));
            let got = event(&got[at]);
            assert_eq!(&got, expected);
            assert_eq!(got.has_own_id(), expected.has_own_id());
            assert_eq!(got.event_type, expected.event_type);
        }
        assert_eq!(event(&got[0]).id().as_ptr(), small.id().as_ptr());
        assert_eq!(got[1].item, Item::Comment("c".into()));
    }

    #[test]
    fn drop_oldest_takes_events_and_comments_never_lifecycle() {
        let (sender, channel) = crossbeam_channel::unbounded();
        let mut taken = Taken::new("");
        let connecting = Item::Connecting { attempt: 0 };
        let mut batch = Batch::default();
        batch.push(message(0, connecting.clone()));
        batch.push(message(1, Item::Event(Event::new("", "a"))));
        taken.take_batch(&mut batch);
        let mut second = Batch::default();
        second.push(message(2, Item::Comment("b".into())));
        sender.send(second).unwrap();
        let first = taken.remove_oldest_droppable(&channel).unwrap();
        assert_eq!(first.item, Item::Event(Event::new("", "a")));
        // The next droppable one waits in the channel, behind Connecting.
        let next = taken.remove_oldest_droppable(&channel).unwrap();
        assert_eq!(next.item, Item::Comment("b".into()));
        assert!(taken.remove_oldest_droppable(&channel).is_none());
        assert_eq!(taken.pending.len(), 1);
        assert_eq!(taken.pending[0].item, connecting);
    }
}
