//! Chunk-size lines made plain for ureq-proto (pure, no I/O).
//!
//! ureq-proto 0.7 refuses a chunk-size line longer than 20 bytes, so a
//! chunk extension (RFC 9112 §7.1.1: `1a;name=value`) of a few dozen bytes
//! failed every response that carried one. The transport
//! ([`crate::transport`]) runs the bytes of a chunked body through
//! [`Chunked::normalise`] before ureq-proto sees them: every chunk-size line
//! becomes its bare size in lowercase hex (`1a\r\n`), extensions dropped as
//! they arrive, and everything else passes unchanged. So an extension costs
//! no memory however long it is; one longer than [`MAX_CHUNK_EXTENSION`] is
//! an error all the same, as is framing that is not chunked framing.
//!
//! Whether a body is chunked is read from its response head with the rules
//! ureq-proto applies ([`body_framing`]), so both agree on where chunk-size
//! lines are.

use std::fmt;

/// The longest chunk extension accepted on one chunk-size line, in bytes
/// after its `;`. Its
/// bytes are dropped as they arrive, so the bound only stops a server that
/// sends an endless extension instead of data. It is the response head limit
/// ([`MAX_RESPONSE_HEAD`](crate::MAX_RESPONSE_HEAD)).
pub(crate) const MAX_CHUNK_EXTENSION: usize = 16 * 1024;

/// The most bytes a chunk size may take before its extension or line end,
/// blanks and leading zeros included.
const MAX_SIZE_FIELD: usize = 64;

/// How a response body is framed, as far as the transport needs to know.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Framing {
    /// No final response head yet: bytes pass unchanged.
    Head,
    /// A chunked body, where its framing stands.
    Chunked(Chunked),
    /// Any other body: bytes pass unchanged.
    Unchanged,
}

/// Where a chunked body's framing stands between two reads.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Chunked {
    /// At a chunk-size line; `extension` bytes of its extension were dropped
    /// in earlier reads.
    Size { extension: usize },
    /// Inside a chunk's data, with this many bytes to come.
    Data(u64),
    /// After a chunk's data, before its CR (`false`) or its LF (`true`).
    DataEnd(bool),
    /// After the last chunk: the trailer section, which ureq-proto reads as
    /// sent.
    Trailers,
}

impl Chunked {
    /// A chunked body before its first byte.
    pub(crate) const START: Chunked = Chunked::Size { extension: 0 };
}

/// Why a chunked body cannot be read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum ChunkError {
    /// A chunk-size line whose extension is longer than [`MAX_CHUNK_EXTENSION`].
    LongExtension,
    /// A chunk-size line that is not a hex size, optionally followed by an
    /// extension, ended by CR LF.
    BadSizeLine,
    /// A chunk size beyond 64 bits.
    HugeSize,
    /// A chunk's data not followed by CR LF.
    NoCrlfAfterData,
}

impl fmt::Display for ChunkError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ChunkError::LongExtension => write!(
                f,
                "the server sent a chunk extension longer than {MAX_CHUNK_EXTENSION} bytes; \
                 its chunked framing is broken or hostile"
            ),
            ChunkError::BadSizeLine => write!(
                f,
                "the server sent a malformed chunk-size line; its chunked framing is broken"
            ),
            ChunkError::HugeSize => {
                write!(
                    f,
                    "the server sent a chunk size beyond 64 bits; its chunked framing is broken"
                )
            }
            ChunkError::NoCrlfAfterData => write!(
                f,
                "the server sent a chunk whose data was not followed by CR LF; \
                 its chunked framing is broken"
            ),
        }
    }
}

impl std::error::Error for ChunkError {}

/// What one [`Chunked::normalise`] call made of its bytes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Normalised {
    /// `bytes[..visible]` is framing ureq-proto can parse.
    pub(crate) visible: usize,
    /// `bytes[visible..len]` is the start of an unfinished chunk-size line,
    /// kept for the next call (at most [`MAX_SIZE_FIELD`] plus 2 bytes);
    /// bytes past `len` are left over.
    pub(crate) len: usize,
    /// The framing is broken after `visible` bytes.
    pub(crate) error: Option<ChunkError>,
}

/// A chunk-size line read from the start of some bytes.
enum SizeLine {
    /// The line is whole: the size, and the line's length with its CR LF.
    Whole { size: u64, len: usize },
    /// The line goes on past the bytes: keep `field` bytes (size, blanks
    /// and a `;`), plus a CR when `cr`; `extension` counts every extension
    /// byte seen so far.
    Unfinished {
        field: usize,
        cr: bool,
        extension: usize,
    },
}

impl Chunked {
    /// Rewrites `bytes`, the body bytes not yet seen, in place, as
    /// [`Normalised`] describes; `self` moves on to where the framing stands
    /// after them. When `self` is at a chunk-size line, `bytes` starts at
    /// that line (with what an earlier call kept of it).
    pub(crate) fn normalise(&mut self, bytes: &mut [u8]) -> Normalised {
        let mut read = 0;
        let mut written = 0;
        let error = loop {
            match *self {
                Chunked::Data(left) => {
                    let take = usize::try_from(left)
                        .unwrap_or(usize::MAX)
                        .min(bytes.len() - read);
                    if take == 0 {
                        break None;
                    }
                    // Data moves only behind a line that got shorter.
                    if written != read {
                        bytes.copy_within(read..read + take, written);
                    }
                    read += take;
                    written += take;
                    *self = match left - take as u64 {
                        0 => Chunked::DataEnd(false),
                        left => Chunked::Data(left),
                    };
                }
                Chunked::DataEnd(lf) => {
                    let Some(&byte) = bytes.get(read) else {
                        break None;
                    };
                    if byte != if lf { b'\n' } else { b'\r' } {
                        break Some(ChunkError::NoCrlfAfterData);
                    }
                    bytes[written] = byte;
                    read += 1;
                    written += 1;
                    *self = if lf {
                        Chunked::START
                    } else {
                        Chunked::DataEnd(true)
                    };
                }
                Chunked::Trailers => {
                    let rest = bytes.len() - read;
                    if written != read {
                        bytes.copy_within(read.., written);
                    }
                    written += rest;
                    break None;
                }
                Chunked::Size { extension } => match size_line(&bytes[read..], extension) {
                    Err(error) => break Some(error),
                    Ok(SizeLine::Whole { size, len }) => {
                        // The size in hex never takes more bytes than the
                        // line's own digits, so this stays behind `read`.
                        let mut line = [0u8; 18];
                        let hex = hex_line(size, &mut line);
                        bytes[written..written + hex.len()].copy_from_slice(hex);
                        read += len;
                        written += hex.len();
                        *self = if size == 0 {
                            Chunked::Trailers
                        } else {
                            Chunked::Data(size)
                        };
                    }
                    Ok(SizeLine::Unfinished {
                        field,
                        cr,
                        extension,
                    }) => {
                        bytes.copy_within(read..read + field, written);
                        let mut kept = field;
                        if cr {
                            bytes[written + kept] = b'\r';
                            kept += 1;
                        }
                        *self = Chunked::Size { extension };
                        return Normalised {
                            visible: written,
                            len: written + kept,
                            error: None,
                        };
                    }
                },
            }
        };
        Normalised {
            visible: written,
            len: written,
            error,
        }
    }
}

/// Reads a chunk-size line: blanks, hex digits, blanks, then CR LF or a `;`
/// and an extension up to CR LF. `extension` extension bytes were seen in
/// earlier reads.
fn size_line(bytes: &[u8], extension: usize) -> Result<SizeLine, ChunkError> {
    let blank = |b: &u8| *b == b' ' || *b == b'\t';
    let mut at = bytes.iter().take_while(|b| blank(b)).count();
    let mut size: u64 = 0;
    let mut digits = 0;
    while let Some(digit) = bytes.get(at).and_then(|b| (*b as char).to_digit(16)) {
        size = size
            .checked_mul(16)
            .and_then(|s| s.checked_add(u64::from(digit)))
            .ok_or(ChunkError::HugeSize)?;
        digits += 1;
        at += 1;
    }
    at += bytes[at..].iter().take_while(|b| blank(b)).count();
    if at > MAX_SIZE_FIELD {
        return Err(ChunkError::BadSizeLine);
    }
    let unfinished = |field, cr, extension| {
        Ok(SizeLine::Unfinished {
            field,
            cr,
            extension,
        })
    };
    let (field, extension) = match bytes.get(at) {
        None => return unfinished(at, false, extension),
        Some(b';') if digits > 0 => {
            let field = at + 1;
            let length = bytes[field..]
                .iter()
                .take_while(|b| **b != b'\r' && **b != b'\n')
                .count();
            let extension = extension.saturating_add(length);
            if extension > MAX_CHUNK_EXTENSION {
                return Err(ChunkError::LongExtension);
            }
            at = field + length;
            (field, extension)
        }
        Some(_) => (at, extension),
    };
    match bytes.get(at..at + 2) {
        _ if digits == 0 => Err(ChunkError::BadSizeLine),
        Some(b"\r\n") => Ok(SizeLine::Whole { size, len: at + 2 }),
        None if bytes.len() == at => unfinished(field, false, extension),
        None if bytes[at] == b'\r' => unfinished(field, true, extension),
        _ => Err(ChunkError::BadSizeLine),
    }
}

/// `size` in lowercase hex followed by CR LF, written into `line`.
fn hex_line(size: u64, line: &mut [u8; 18]) -> &[u8] {
    let digits = (16 - size.leading_zeros() as usize / 4).max(1);
    for (i, slot) in line[..digits].iter_mut().enumerate() {
        let nibble = (size >> (4 * (digits - 1 - i))) & 0xf;
        *slot = b"0123456789abcdef"[nibble as usize];
    }
    line[digits] = b'\r';
    line[digits + 1] = b'\n';
    &line[..digits + 2]
}

/// How the body after a response head is framed, by the rules ureq-proto
/// applies: `Transfer-Encoding` listing `chunked` (any case) on an HTTP/1.1
/// response. An informational head (1xx other than 101) is followed by
/// another head.
pub(crate) fn body_framing(head: &[u8]) -> Framing {
    // Empty lines before the status line are skipped, as httparse skips
    // them (a server may send a stray CR LF first, or after a 1xx head).
    let mut lines = head
        .split(|b| *b == b'\n')
        .map(|line| line.strip_suffix(b"\r").unwrap_or(line))
        .skip_while(|line| line.is_empty());
    let status_line = lines.next().unwrap_or_default();
    let mut words = status_line.split(|b| *b == b' ').filter(|w| !w.is_empty());
    let version = words.next().unwrap_or_default();
    let status = words.next().unwrap_or_default();
    if status.len() == 3 && status[0] == b'1' && status != b"101" {
        return Framing::Head;
    }
    if version != b"HTTP/1.1" {
        return Framing::Unchanged;
    }
    let chunked = lines
        .filter_map(|line| {
            let colon = line.iter().position(|b| *b == b':')?;
            let (name, value) = (&line[..colon], &line[colon + 1..]);
            name.eq_ignore_ascii_case(b"transfer-encoding")
                .then(|| std::str::from_utf8(value).ok())
                .flatten()
        })
        // ureq-proto reads a value only when it is visible ASCII.
        .filter(|value| value.bytes().all(|b| b == b'\t' || (32..127).contains(&b)))
        .flat_map(|value| value.split(','))
        .any(|coding| coding.trim().eq_ignore_ascii_case("chunked"));
    if chunked {
        Framing::Chunked(Chunked::START)
    } else {
        Framing::Unchanged
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Feeds `reads` one after the other as a transport would, keeping
    /// unfinished lines; returns what ureq-proto would see, or the error.
    fn through(reads: &[&[u8]]) -> Result<Vec<u8>, ChunkError> {
        let mut state = Chunked::START;
        let mut held: Vec<u8> = Vec::new();
        let mut seen = Vec::new();
        for read in reads {
            held.extend_from_slice(read);
            let out = state.normalise(&mut held);
            seen.extend_from_slice(&held[..out.visible]);
            if let Some(error) = out.error {
                return Err(error);
            }
            held.copy_within(out.visible..out.len, 0);
            held.truncate(out.len - out.visible);
        }
        Ok(seen)
    }

    /// `body` split into reads of `size` bytes.
    fn split(body: &[u8], size: usize) -> Vec<&[u8]> {
        body.chunks(size).collect()
    }

    #[test]
    fn plain_chunks_pass_unchanged_in_any_split() {
        let body = b"5\r\nhello\r\n1a\r\nabcdefghijklmnopqrstuvwxyz\r\n0\r\n\r\n";
        for size in 1..body.len() {
            assert_eq!(
                through(&split(body, size)).unwrap(),
                body,
                "reads of {size}"
            );
        }
    }

    #[test]
    fn extensions_are_dropped_in_any_split() {
        let extension = format!(";name=\"{}\";flag", "v".repeat(300));
        let body = format!("5{extension}\r\nhello\r\n0{extension}\r\ntrailer: t\r\n\r\n");
        let expected = b"5\r\nhello\r\n0\r\ntrailer: t\r\n\r\n";
        for size in [1, 2, 3, 7, 50, 301, body.len()] {
            let reads = split(body.as_bytes(), size);
            assert_eq!(through(&reads).unwrap(), expected, "reads of {size}");
        }
    }

    #[test]
    fn sizes_are_written_bare_in_lowercase_hex() {
        let body = b"  00001A \t;x\r\nabcdefghijklmnopqrstuvwxyz\r\n0\r\n\r\n";
        let expected = b"1a\r\nabcdefghijklmnopqrstuvwxyz\r\n0\r\n\r\n";
        assert_eq!(through(&[body]).unwrap(), expected);
        let mut line = [0u8; 18];
        assert_eq!(hex_line(0, &mut line), b"0\r\n");
        assert_eq!(hex_line(u64::MAX, &mut line), b"ffffffffffffffff\r\n");
    }

    #[test]
    fn an_extension_up_to_the_limit_is_read_and_one_past_it_is_an_error() {
        let at_limit = format!("1;{}\r\nx\r\n0\r\n\r\n", "e".repeat(MAX_CHUNK_EXTENSION));
        let reads = split(at_limit.as_bytes(), 1000);
        assert_eq!(through(&reads).unwrap(), b"1\r\nx\r\n0\r\n\r\n");
        let past = format!("1;{}", "e".repeat(MAX_CHUNK_EXTENSION + 1));
        let reads = split(past.as_bytes(), 1000);
        assert_eq!(through(&reads), Err(ChunkError::LongExtension));
    }

    #[test]
    fn an_unfinished_line_keeps_at_most_its_size_field() {
        let mut state = Chunked::START;
        let mut bytes = format!("ff;{}", "e".repeat(5000)).into_bytes();
        let out = state.normalise(&mut bytes);
        assert_eq!((out.visible, out.len, out.error), (0, 3, None));
        assert_eq!(&bytes[..3], b"ff;");
        assert_eq!(state, Chunked::Size { extension: 5000 });
        let mut bytes = b"ff;\r".to_vec();
        let out = state.normalise(&mut bytes);
        assert_eq!((out.visible, out.len), (0, 4));
        let mut bytes = b"ff;\r\nab".to_vec();
        let out = state.normalise(&mut bytes);
        assert_eq!(&bytes[..out.visible], b"ff\r\nab");
        assert_eq!(state, Chunked::Data(0xff - 2));
    }

    #[test]
    fn broken_framing_is_an_error_after_the_good_bytes() {
        let cases: [(&[u8], ChunkError); 7] = [
            (b"xyz\r\n", ChunkError::BadSizeLine),
            (b";ext\r\n", ChunkError::BadSizeLine),
            (b"5\nhello\r\n", ChunkError::BadSizeLine),
            (b"5;ext\nhello", ChunkError::BadSizeLine),
            (b"5\r\nhelloX\r\n", ChunkError::NoCrlfAfterData),
            (b"10000000000000000\r\n", ChunkError::HugeSize),
            (
                b"0000000000000000000000000000000000000000000000000000000000000000001\r\n",
                ChunkError::BadSizeLine,
            ),
        ];
        for (body, expected) in cases {
            assert_eq!(
                through(&[body]),
                Err(expected),
                "{:?}",
                String::from_utf8_lossy(body)
            );
        }
        let mut state = Chunked::START;
        let mut bytes = b"2\r\nok\r\nzz\r\n".to_vec();
        let out = state.normalise(&mut bytes);
        assert_eq!(&bytes[..out.visible], b"2\r\nok\r\n");
        assert_eq!(out.error, Some(ChunkError::BadSizeLine));
    }

    #[test]
    fn the_body_framing_follows_ureq_protos_rules() {
        let chunked = Framing::Chunked(Chunked::START);
        let head = |text: &str| body_framing(text.as_bytes());
        assert_eq!(
            head("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n"),
            chunked
        );
        assert_eq!(
            head("HTTP/1.1 200 OK\r\ntransfer-encoding:gzip, Chunked \r\n\r\n"),
            chunked
        );
        assert_eq!(
            head("HTTP/1.1 200 OK\nTransfer-Encoding: chunked\n\n"),
            chunked
        );
        // Empty lines before the status line are skipped, as httparse does:
        // a stray CR LF first, or after a 1xx head.
        assert_eq!(
            head("\r\n\nHTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n"),
            chunked
        );
        assert_eq!(head("\r\nHTTP/1.1 100 Continue\r\n\r\n"), Framing::Head);
        assert_eq!(
            head("HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\n"),
            Framing::Unchanged
        );
        assert_eq!(
            head("HTTP/1.0 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n"),
            Framing::Unchanged
        );
        assert_eq!(
            head("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunkedx\r\n\r\n"),
            Framing::Unchanged
        );
        assert_eq!(head("HTTP/1.1 100 Continue\r\n\r\n"), Framing::Head);
        assert_eq!(
            head("HTTP/1.1 103 Early Hints\r\nLink: x\r\n\r\n"),
            Framing::Head
        );
        assert_eq!(
            head("HTTP/1.1 101 Switching\r\nTransfer-Encoding: chunked\r\n\r\n"),
            chunked
        );
    }

    /// `body` cut at the `cuts` (any order, any values).
    fn cut<'a>(body: &'a [u8], cuts: &[usize]) -> Vec<&'a [u8]> {
        let mut at: Vec<usize> = cuts.iter().map(|c| c % (body.len() + 1)).collect();
        at.push(0);
        at.push(body.len());
        at.sort_unstable();
        at.windows(2).map(|w| &body[w[0]..w[1]]).collect()
    }

    proptest::proptest! {
        #[test]
        fn any_bytes_in_any_split_never_panic_nor_grow(
            body in proptest::collection::vec(proptest::prelude::any::<u8>(), 0..600),
            cuts in proptest::collection::vec(0usize..600, 0..8),
        ) {
            let mut state = Chunked::START;
            let mut held: Vec<u8> = Vec::new();
            for read in cut(&body, &cuts) {
                held.extend_from_slice(read);
                let before = held.len();
                let out = state.normalise(&mut held);
                proptest::prop_assert!(out.visible <= out.len && out.len <= before);
                proptest::prop_assert!(out.len - out.visible <= MAX_SIZE_FIELD + 2);
                if out.error.is_some() {
                    break;
                }
                held.copy_within(out.visible..out.len, 0);
                held.truncate(out.len - out.visible);
            }
        }

        #[test]
        fn chunks_with_any_extensions_in_any_split_come_out_bare(
            chunks in proptest::collection::vec(
                (
                    proptest::collection::vec(proptest::prelude::any::<u8>(), 1..40),
                    "[ \t]{0,2}(;[ -~]{0,60})?",
                    0usize..3,
                ),
                0..6,
            ),
            cuts in proptest::collection::vec(0usize..2000, 0..10),
        ) {
            let mut body = Vec::new();
            let mut expected = Vec::new();
            for (data, extension, zeros) in &chunks {
                let size = format!("{}{:X}", "0".repeat(*zeros), data.len());
                body.extend_from_slice(format!("{size}{extension}\r\n").as_bytes());
                body.extend_from_slice(data);
                body.extend_from_slice(b"\r\n");
                expected.extend_from_slice(format!("{:x}\r\n", data.len()).as_bytes());
                expected.extend_from_slice(data);
                expected.extend_from_slice(b"\r\n");
            }
            body.extend_from_slice(b"0;end\r\n\r\n");
            expected.extend_from_slice(b"0\r\n\r\n");
            proptest::prop_assert_eq!(through(&cut(&body, &cuts)), Ok(expected));
        }
    }

    /// A size field may take `MAX_SIZE_FIELD` bytes, not one more. Kills
    /// `replace > with >= in size_line`.
    #[test]
    fn a_size_field_of_the_maximum_length_is_read() {
        let line = format!("{}5\r\n", "0".repeat(MAX_SIZE_FIELD - 1));
        assert!(matches!(
            size_line(line.as_bytes(), 0),
            Ok(SizeLine::Whole { size: 5, len }) if len == MAX_SIZE_FIELD + 2
        ));
        let line = format!("{}5\r\n", "0".repeat(MAX_SIZE_FIELD));
        assert!(matches!(
            size_line(line.as_bytes(), 0),
            Err(ChunkError::BadSizeLine)
        ));
    }

    /// A `;` with no size before it is a malformed line, however long what
    /// follows: never read as an extension. Kills `replace match guard
    /// digits > 0 with true` and `replace > with >=` in it, in `size_line`.
    #[test]
    fn an_extension_without_a_size_is_a_bad_size_line() {
        let line = format!(";{}", "x".repeat(MAX_CHUNK_EXTENSION + 1));
        assert!(matches!(
            size_line(line.as_bytes(), 0),
            Err(ChunkError::BadSizeLine)
        ));
    }

    /// A line without a size is malformed, even a bare CR LF; a byte that
    /// is neither CR nor a size byte ends the line as malformed at once, not
    /// read as an unfinished CR LF. Kills `replace match guard digits == 0
    /// with false` and `replace match guard bytes[at] == b'\r' with true` in
    /// `size_line`.
    #[test]
    fn a_line_without_a_size_or_with_a_stray_byte_is_bad() {
        for line in [&b"\r\n"[..], b" \r\n", b"5x"] {
            assert!(
                matches!(size_line(line, 0), Err(ChunkError::BadSizeLine)),
                "{line:?}"
            );
        }
    }

    /// A tab is allowed in a Transfer-Encoding value (ureq-proto reads
    /// visible ASCII and tabs). Kills `replace == with != in body_framing`.
    #[test]
    fn a_tab_in_the_transfer_encoding_value_is_read() {
        assert_eq!(
            body_framing(b"HTTP/1.1 200 OK\r\nTransfer-Encoding:\tchunked\r\n\r\n"),
            Framing::Chunked(Chunked::START)
        );
    }
}
