//! A deliberately simple event-stream parser written straight from the WHATWG
//! text, for differential tests: decode the whole body, split it into lines,
//! interpret each line. No chunking, no limits, no cleverness.

use std::time::Duration;

use sselink::{Event, Parsed};

/// Parses whole bodies, one after another, keeping the last event id.
#[derive(Default)]
pub struct Reference {
    pub last_event_id: String,
    data: String,
    event_type: String,
    id_buffer: String,
    retry: Option<Duration>,
    out: Vec<Parsed>,
}

impl Reference {
    pub fn parse_body(&mut self, body: &[u8], dispatch_at_eof: bool) -> Vec<Parsed> {
        // "UTF-8 decode": one leading BOM removed, errors replaced by U+FFFD.
        let text = String::from_utf8_lossy(body);
        let text = text.strip_prefix('\u{FEFF}').unwrap_or(&text);

        // CRLF, LF or CR end a line; a last line with no end is unfinished.
        let mut lines = Vec::new();
        let mut current = String::new();
        let mut chars = text.chars().peekable();
        while let Some(c) = chars.next() {
            match c {
                '\r' => {
                    lines.push(std::mem::take(&mut current));
                    chars.next_if_eq(&'\n');
                }
                '\n' => lines.push(std::mem::take(&mut current)),
                c => current.push(c),
            }
        }
        if dispatch_at_eof && !current.is_empty() {
            lines.push(current);
        }

        self.data.clear();
        self.event_type.clear();
        self.id_buffer = self.last_event_id.clone();
        self.retry = None;
        for line in &lines {
            self.line(line);
        }
        if dispatch_at_eof {
            self.dispatch();
        }
        std::mem::take(&mut self.out)
    }

    fn line(&mut self, line: &str) {
        if line.is_empty() {
            return self.dispatch();
        }
        if let Some(comment) = line.strip_prefix(':') {
            let comment = comment.strip_prefix(' ').unwrap_or(comment);
            return self.out.push(Parsed::Comment(comment.to_string()));
        }
        let (name, value) = match line.split_once(':') {
            Some((name, value)) => (name, value.strip_prefix(' ').unwrap_or(value)),
            None => (line, ""),
        };
        match name {
            "event" => self.event_type = value.to_string(),
            "data" => {
                self.data.push_str(value);
                self.data.push('\n');
            }
            "id" if !value.contains('\0') => self.id_buffer = value.to_string(),
            "retry" if !value.is_empty() && value.chars().all(|c| c.is_ascii_digit()) => {
                let ms = value
                    .parse::<u64>()
                    .unwrap_or(u64::MAX)
                    .min(sselink::parser::MAX_RETRY_MS);
                self.retry = Some(Duration::from_millis(ms));
                self.out.push(Parsed::Retry(Duration::from_millis(ms)));
            }
            _ => {}
        }
    }

    fn dispatch(&mut self) {
        let changed = self.last_event_id != self.id_buffer;
        self.last_event_id = self.id_buffer.clone();
        let retry = self.retry.take();
        if self.data.is_empty() {
            self.event_type.clear();
            if changed {
                self.out
                    .push(Parsed::LastEventId(self.last_event_id.as_str().into()));
            }
            return;
        }
        self.data.pop(); // the data buffer always ends with LF here
        let mut event = Event::new(
            std::mem::take(&mut self.event_type),
            std::mem::take(&mut self.data),
        )
        .with_id(self.last_event_id.clone());
        if let Some(retry) = retry {
            event = event.with_retry(retry);
        }
        self.out.push(Parsed::Event(event));
    }
}
