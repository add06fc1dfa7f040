//! Server-sent events framing, done on bytes.
//!
//! [`SseDecoder`] turns an arbitrary split of a `text/event-stream` body into the `data` payloads of
//! its events. It works on raw bytes and only hands out complete events, so a chunk boundary may
//! fall anywhere — inside a line, between `\r` and `\n`, or inside a multi-byte UTF-8 character —
//! without any special casing: bytes are only interpreted once a whole line is present.
//!
//! Rules (the WHATWG event-stream format, plus what inference servers actually send):
//! - lines end with `\n`, `\r\n` or a lone `\r`;
//! - `data:` with or without one space after the colon; several `data` lines of one event are
//!   joined with `\n`;
//! - lines starting with `:` are comments (keep-alives) and are skipped; other fields (`event`,
//!   `id`, `retry`) are ignored;
//! - a blank line ends an event; an event without `data` is not reported (a keep-alive);
//! - at end of input, data of an event that was not closed by a blank line is still reported, as
//!   Python's line-based reader does (some servers close right after the last `data:` line).

/// Incremental SSE decoder: push bytes in, pull complete event payloads out.
///
/// ```
/// use hub_inference::sse::SseDecoder;
///
/// let mut decoder = SseDecoder::new();
/// decoder.push(b"data: {\"a\"");
/// assert_eq!(decoder.next_event(), None); // the event is not complete yet
/// decoder.push(b":1}\r\n\r\n: keep-alive\n\ndata:[DONE]\n\n");
/// assert_eq!(decoder.next_event(), Some(&b"{\"a\":1}"[..]));
/// assert_eq!(decoder.next_event(), Some(&b"[DONE]"[..]));
/// assert_eq!(decoder.next_event(), None);
/// ```
#[derive(Debug, Default, Clone)]
pub struct SseDecoder {
    /// Bytes received but not yet consumed as complete lines.
    buf: Vec<u8>,
    /// Start of the unconsumed part of `buf`.
    pos: usize,
    /// Data of the event being assembled.
    data: Vec<u8>,
    /// Whether the current event has at least one `data` line (an empty `data:` line counts).
    has_data: bool,
    /// The previous line ended with `\r`: a `\n` at the start of the next chunk belongs to it.
    skip_lf: bool,
    /// `buf[pos..scanned]` is known to hold no line terminator, so a long line arriving in many
    /// small chunks is scanned once, not once per chunk.
    scanned: usize,
}

impl SseDecoder {
    /// Creates an empty decoder.
    pub fn new() -> Self {
        Self::default()
    }

    /// Appends a chunk of the body.
    pub fn push(&mut self, chunk: &[u8]) {
        // Drop consumed bytes before growing, so the buffer stays as large as one partial line.
        if self.pos > 0 {
            if self.pos == self.buf.len() {
                self.buf.clear();
            } else {
                self.buf.drain(..self.pos);
            }
            self.scanned = self.scanned.saturating_sub(self.pos);
            self.pos = 0;
        }
        self.buf.extend_from_slice(chunk);
    }

    /// Returns the data of the next complete event, if one is buffered.
    ///
    /// The slice borrows the decoder's buffer (reused for every event, so decoding allocates
    /// nothing in the steady state); it is valid until the next call.
    pub fn next_event(&mut self) -> Option<&[u8]> {
        loop {
            if self.skip_lf && self.pos < self.buf.len() {
                if self.buf[self.pos] == b'\n' {
                    self.pos += 1;
                }
                self.skip_lf = false;
            }
            let from = self.scanned.max(self.pos);
            let Some(end) = memchr::memchr2(b'\n', b'\r', &self.buf[from..]) else {
                self.scanned = self.buf.len();
                return None;
            };
            let line_start = self.pos;
            let line_end = from + end;
            if self.buf[line_end] == b'\r' {
                self.skip_lf = true;
            }
            self.pos = line_end + 1;
            if self.process_line(line_start, line_end) {
                return Some(&self.data);
            }
        }
    }

    /// Signals the end of the body and returns the data of an event left unterminated, if any.
    pub fn finish(&mut self) -> Option<&[u8]> {
        if self.pos < self.buf.len() {
            let (start, end) = (self.pos, self.buf.len());
            self.pos = end;
            if self.process_line(start, end) {
                return Some(&self.data);
            }
        }
        self.take_event().then_some(&self.data[..])
    }

    /// Handles one line (without its terminator); true when a blank line completed an event.
    fn process_line(&mut self, start: usize, end: usize) -> bool {
        if start == end {
            return self.take_event();
        }
        let line = &self.buf[start..end];
        if line[0] == b':' {
            return false;
        }
        let (field, value) = match memchr::memchr(b':', line) {
            Some(colon) => {
                let value = &line[colon + 1..];
                (&line[..colon], value.strip_prefix(b" ").unwrap_or(value))
            }
            None => (line, &b""[..]),
        };
        if field == b"data" {
            if self.has_data {
                self.data.push(b'\n');
            } else {
                // First data line of a new event: the previous event's bytes are done with.
                self.data.clear();
            }
            self.data.extend_from_slice(value);
            self.has_data = true;
        }
        false
    }

    /// Ends the current event; true if it had data.
    fn take_event(&mut self) -> bool {
        std::mem::replace(&mut self.has_data, false)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn decode_all(chunks: &[&[u8]]) -> Vec<String> {
        let mut decoder = SseDecoder::new();
        let mut out = Vec::new();
        for chunk in chunks {
            decoder.push(chunk);
            while let Some(event) = decoder.next_event() {
                out.push(String::from_utf8(event.to_vec()).unwrap());
            }
        }
        if let Some(event) = decoder.finish() {
            out.push(String::from_utf8(event.to_vec()).unwrap());
        }
        out
    }

    #[test]
    fn data_with_and_without_space() {
        let events = decode_all(&[b"data:{\"x\":1}\n\ndata: {\"x\":2}\n\n"]);
        assert_eq!(events, vec!["{\"x\":1}", "{\"x\":2}"]);
    }

    #[test]
    fn only_one_space_is_stripped() {
        assert_eq!(decode_all(&[b"data:  two\n\n"]), vec![" two"]);
    }

    #[test]
    fn comments_keepalives_and_other_fields_are_skipped() {
        let body = b": ping\n\nevent: message\nid: 3\nretry: 10\ndata: a\n\n:\n\n";
        assert_eq!(decode_all(&[body]), vec!["a"]);
    }

    #[test]
    fn multi_line_data_is_joined() {
        assert_eq!(decode_all(&[b"data: a\ndata: b\ndata\n\n"]), vec!["a\nb\n"]);
    }

    #[test]
    fn crlf_and_cr_line_endings() {
        assert_eq!(
            decode_all(&[b"data: a\r\n\r\ndata: b\r\rdata: c\n\n"]),
            vec!["a", "b", "c"]
        );
    }

    #[test]
    fn every_split_point_gives_the_same_events() {
        let body = "data: {\"t\":\"caf\u{e9} \u{1f980}\"}\r\n\r\n: keep\r\n\r\ndata:[DONE]\r\n\r\n"
            .as_bytes();
        let expected = decode_all(&[body]);
        assert_eq!(expected, vec!["{\"t\":\"caf\u{e9} \u{1f980}\"}", "[DONE]"]);
        for i in 0..=body.len() {
            for j in i..=body.len() {
                assert_eq!(
                    decode_all(&[&body[..i], &body[i..j], &body[j..]]),
                    expected,
                    "split {i} {j}"
                );
            }
        }
    }

    #[test]
    fn byte_by_byte() {
        let body = b"data:{\"a\":1}\n\ndata:{\"a\":2}\n\n";
        let chunks: Vec<&[u8]> = body.chunks(1).collect();
        assert_eq!(decode_all(&chunks), vec!["{\"a\":1}", "{\"a\":2}"]);
    }

    #[test]
    fn unterminated_last_event_is_reported_at_finish() {
        assert_eq!(decode_all(&[b"data: a\n\ndata: b"]), vec!["a", "b"]);
        assert_eq!(decode_all(&[b"data: a\ndata: b\n"]), vec!["a\nb"]);
    }

    proptest::proptest! {
        /// Any events, any line endings, comments anywhere, any chunking: same payloads out.
        #[test]
        fn random_events_survive_random_chunking(
            events in proptest::collection::vec(("[^\r\n]{0,40}", 0usize..3, proptest::bool::ANY, proptest::bool::ANY), 0..8),
            cuts in proptest::collection::vec(0usize..400, 0..12),
        ) {
            let mut body = String::new();
            let mut expected = Vec::new();
            for (data, eol, space, comment) in &events {
                let eol = ["\n", "\r\n", "\r"][*eol];
                if *comment {
                    body.push_str(&format!(": ping{eol}{eol}"));
                }
                body.push_str(&format!("data:{}{data}{eol}{eol}", if *space { " " } else { "" }));
                // With no space after the colon, a leading space belongs to the value and the
                // first one is stripped by the parser; mirror that.
                let value = if *space { data.as_str() } else { data.strip_prefix(' ').unwrap_or(data) };
                expected.push(value.to_owned());
            }
            let bytes = body.as_bytes();
            let mut points: Vec<usize> = cuts.into_iter().map(|c| c.min(bytes.len())).collect();
            points.sort_unstable();
            let mut chunks: Vec<&[u8]> = Vec::new();
            let mut last = 0;
            for p in points {
                chunks.push(&bytes[last..p]);
                last = p;
            }
            chunks.push(&bytes[last..]);
            proptest::prop_assert_eq!(decode_all(&chunks), expected);
        }
    }

    #[test]
    fn long_line_in_tiny_chunks_is_linear() {
        // 200 kB in 1-byte chunks: quadratic rescanning would take minutes in debug builds.
        let line = format!("data: {}\n\n", "x".repeat(200_000));
        let mut decoder = SseDecoder::new();
        let mut events = Vec::new();
        for b in line.as_bytes() {
            decoder.push(std::slice::from_ref(b));
            events.extend(decoder.next_event().map(<[u8]>::to_vec));
        }
        assert_eq!(events.len(), 1);
        assert_eq!(events[0].len(), 200_000);
    }

    #[test]
    fn empty_events_are_not_reported() {
        assert!(decode_all(&[b"\n\n\n\r\n"]).is_empty());
    }
}
