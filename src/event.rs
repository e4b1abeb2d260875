//! The [`Event`] type: one dispatched server-sent event.

use std::fmt;
use std::sync::Arc;
use std::time::Duration;

/// One event dispatched by the server: its type, its data and the last event
/// id in force when it was dispatched.
///
/// An `Event` owns its strings; it is `Send` and cheap to move between threads.
/// The data may contain any character, U+0000 included.
///
/// Two events are equal when every accessor gives the same answer: an empty
/// type and `message` are the same type.
#[derive(Debug, Clone, Default)]
pub struct Event {
    /// The `event` field; empty means the default type `message`.
    pub(crate) event_type: String,
    pub(crate) data: String,
    pub(crate) id: EventId,
    pub(crate) retry: Option<Duration>,
    /// The event's block had an `id` field of its own (the id is not carried
    /// over from an earlier event).
    pub(crate) own_id: bool,
}

impl PartialEq for Event {
    fn eq(&self, other: &Event) -> bool {
        self.event_type() == other.event_type()
            && self.data == other.data
            && self.id == other.id
            && self.retry == other.retry
    }
}

impl Eq for Event {}

impl Event {
    /// Builds an event of type `event_type` (empty means `message`) carrying
    /// `data`, as a server would dispatch it. Useful in tests of code that
    /// consumes events.
    pub fn new(event_type: impl Into<String>, data: impl Into<String>) -> Event {
        Event {
            event_type: event_type.into(),
            data: data.into(),
            id: EventId::default(),
            retry: None,
            own_id: false,
        }
    }

    /// Sets the last event id this event carries (builder style).
    pub fn with_id(mut self, id: impl Into<String>) -> Event {
        self.id = EventId::new(&id.into());
        self.own_id = true;
        self
    }

    /// Sets the reconnection time the event's block carried (builder style).
    pub fn with_retry(mut self, retry: Duration) -> Event {
        self.retry = Some(retry);
        self
    }

    /// The event type: the value of the block's `event` field, or `message`
    /// when the block had none (or an empty one).
    pub fn event_type(&self) -> &str {
        if self.event_type.is_empty() {
            "message"
        } else {
            &self.event_type
        }
    }

    /// True when [`event_type`](Event::event_type) equals `event_type`
    /// (case-sensitive, as field values are).
    pub fn is(&self, event_type: &str) -> bool {
        self.event_type() == event_type
    }

    /// The event data: the block's `data` lines joined with LF, without a
    /// trailing LF.
    pub fn data(&self) -> &str {
        &self.data
    }

    /// Takes the data out of the event without copying it.
    pub fn into_data(self) -> String {
        self.data
    }

    /// The last event id in force when this event was dispatched: set by this
    /// block's `id` field or carried over from an earlier one (also across
    /// reconnects). Empty when the server never sent an id.
    pub fn id(&self) -> &str {
        self.id.as_str()
    }

    /// True when this event's block had an `id` field of its own, false when
    /// its id was carried over from an earlier event.
    pub(crate) fn has_own_id(&self) -> bool {
        self.own_id
    }

    /// The reconnection time a valid `retry` field in this event's block set,
    /// if any. The stream applies it as soon as the line is read.
    pub fn retry(&self) -> Option<Duration> {
        self.retry
    }

    /// Decodes the data as JSON into `T`.
    ///
    /// ```
    /// #[derive(serde::Deserialize)]
    /// struct Delta { text: String }
    ///
    /// let event = sselink::Event::new("delta", r#"{"text":"hi"}"#);
    /// let delta: Delta = event.json().unwrap();
    /// assert_eq!(delta.text, "hi");
    /// ```
    pub fn json<'a, T: serde::Deserialize<'a>>(&'a self) -> Result<T, serde_json::Error> {
        serde_json::from_str(&self.data)
    }
}

/// A last event id, shared by every event that carries it. A server may send
/// an id as large as an event and then any number of events that carry it
/// over: each holds the one copy, never a copy of its own. Empty ids, the
/// common case, cost no allocation.
#[derive(Clone, Default, PartialEq, Eq)]
pub(crate) struct EventId(Option<Arc<str>>);

impl EventId {
    pub(crate) fn new(id: &str) -> EventId {
        EventId((!id.is_empty()).then(|| Arc::from(id)))
    }

    pub(crate) fn as_str(&self) -> &str {
        self.0.as_deref().unwrap_or_default()
    }

    /// The same id, by identity or by value: a cheap test for the common
    /// cases (both empty, or both the one shared copy) before comparing text.
    pub(crate) fn same(&self, other: &EventId) -> bool {
        match (&self.0, &other.0) {
            (None, None) => true,
            (Some(a), Some(b)) => Arc::ptr_eq(a, b) || (a.len() == b.len() && a == b),
            _ => false,
        }
    }

    /// The same text in memory: both empty, or one shared copy. Identity,
    /// not equality: what the byte bound counts is allocations.
    pub(crate) fn is_same_copy(&self, other: &EventId) -> bool {
        match (&self.0, &other.0) {
            (None, None) => true,
            (Some(a), Some(b)) => Arc::ptr_eq(a, b),
            _ => false,
        }
    }

    /// The id as shared, for [`crate::parser::Parsed::LastEventId`].
    pub(crate) fn to_shared(&self) -> Arc<str> {
        self.0.clone().unwrap_or_else(|| Arc::from(""))
    }
}

impl From<Arc<str>> for EventId {
    fn from(id: Arc<str>) -> EventId {
        EventId((!id.is_empty()).then_some(id))
    }
}

impl fmt::Debug for EventId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(self.as_str(), f)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn events_that_carry_one_id_share_its_text() {
        let id = EventId::new(&"i".repeat(1000));
        let a = Event {
            id: id.clone(),
            ..Event::new("", "a")
        };
        let b = Event {
            id: id.clone(),
            ..Event::new("", "b")
        };
        assert_eq!(a.id().as_ptr(), b.id().as_ptr());
        assert!(a.id.same(&b.id) && a.id.same(&EventId::new(a.id())));
        assert!(!a.id.same(&EventId::default()) && EventId::new("").same(&EventId::default()));
        assert_eq!(Event::new("", "x").with_id("").id(), "");
    }

    #[test]
    fn equality_follows_the_accessors() {
        assert_eq!(Event::new("", "hi"), Event::new("message", "hi"));
        assert_ne!(Event::new("", "hi"), Event::new("other", "hi"));
        assert_ne!(Event::new("", "hi"), Event::new("", "hi").with_id("1"));
        assert_ne!(
            Event::new("", "hi"),
            Event::new("", "hi").with_retry(Duration::from_millis(1))
        );
        assert_eq!(
            Event::new("message", "hi").with_id("1"),
            Event::new("", "hi").with_id("1")
        );
    }

    /// Each accessor gives its own field. Kills, with the restricted test
    /// set of the mutation run, `replace Event::is -> bool with true`,
    /// `Event::into_data` with `String::new()` and `"xyzzy".into()`,
    /// `Event::has_own_id` with `true` and `false`, and `Event::retry` with
    /// `None` and `Some(Default::default())`.
    #[test]
    fn the_accessors_give_the_fields() {
        let event = Event::new("delta", "hi");
        assert!(event.is("delta") && !event.is("message"));
        assert!(Event::new("", "hi").is("message") && !Event::new("", "hi").is("delta"));
        assert_eq!(event.clone().into_data(), "hi");
        assert!(!event.has_own_id());
        assert!(event.clone().with_id("7").has_own_id());
        assert_eq!(event.retry(), None);
        let retry = Duration::from_millis(1500);
        assert_eq!(event.with_retry(retry).retry(), Some(retry));

        // Parsed: the block's own id, then an id carried over.
        let mut parser = crate::Parser::new();
        let mut events = Vec::new();
        parser
            .feed(b"id: 1\ndata: a\n\ndata: b\n\n", |item| {
                if let crate::Parsed::Event(event) = item {
                    events.push(event);
                }
            })
            .unwrap();
        assert_eq!(events.len(), 2);
        assert!(events[0].has_own_id() && !events[1].has_own_id());
        assert_eq!(events[1].id(), "1");
    }

    /// `is_same_copy` is identity: both empty, or one shared text; equal
    /// text in two copies is not. `From<Arc<str>>` keeps the text, an empty
    /// one as no id; Debug shows the text. Kills `replace
    /// EventId::is_same_copy -> bool with true` and `false`, `delete match
    /// arm (None, None)` and `(Some(a), Some(b))` in it, `replace <impl
    /// From<Arc<str>> for EventId>::from -> EventId with Default::default()`,
    /// `delete !` in it, and `replace <impl fmt::Debug for EventId>::fmt ->
    /// fmt::Result with Ok(Default::default())`.
    #[test]
    fn event_ids_compare_by_copy_and_convert() {
        let shared: Arc<str> = Arc::from("42");
        let a = EventId::from(shared.clone());
        assert_eq!(a.as_str(), "42");
        assert!(a.is_same_copy(&EventId::from(shared)));
        assert!(
            !a.is_same_copy(&EventId::new("42")),
            "equal text, two copies"
        );
        assert!(!a.is_same_copy(&EventId::default()));
        assert!(EventId::default().is_same_copy(&EventId::new("")));
        assert!(EventId::from(Arc::<str>::from("")) == EventId::default());
        assert_eq!(format!("{a:?}"), "\"42\"");
    }
}
