//! Pull-based streams of JSON server-sent events.
//!
//! [`JsonEventStream`] owns the HTTP response body and does all its work inside `poll_next`:
//! no task is spawned and nothing is buffered ahead of the consumer. Dropping the stream drops
//! the body, which closes the connection (or returns it to the pool), so an abandoned stream never
//! keeps generating on the server side longer than the transport needs to notice.

use std::future::Future as _;
use std::marker::PhantomData;
use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::Duration;

use bytes::Bytes;
use futures::Stream;
use serde::Deserialize;
use serde::de::DeserializeOwned;

use crate::error::{Error, Result};
use crate::sse::SseDecoder;
use crate::types::{ChatCompletionStreamOutput, TextGenerationStreamOutput};

/// The byte stream a [`JsonEventStream`] reads from.
pub type ByteStream =
    Pin<Box<dyn Stream<Item = std::result::Result<Bytes, reqwest::Error>> + Send>>;

/// Stream of [`ChatCompletionStreamOutput`] chunks, returned by
/// [`InferenceClient::chat_completion_stream`](crate::InferenceClient::chat_completion_stream).
pub type ChatCompletionStream = JsonEventStream<ChatCompletionStreamOutput>;

/// Stream of [`TextGenerationStreamOutput`] tokens, returned by
/// [`InferenceClient::text_generation_stream`](crate::InferenceClient::text_generation_stream).
pub type TextGenerationStream = JsonEventStream<TextGenerationStreamOutput>;

/// A stream of typed JSON events read from a `text/event-stream` body.
///
/// - `data: [DONE]` ends the stream; so does the end of the body.
/// - Comments, keep-alives and empty events are skipped.
/// - An event carrying an `error` key (a string, or an object with a `message`) is yielded as a
///   typed [`Error`] (mapped by its `error_type` like TGI errors), then the stream ends.
/// - A broken connection is yielded once as an error, then the stream ends.
/// - With an idle timeout, a silence longer than the timeout yields
///   [`Error::InferenceTimeout`], then the stream ends.
pub struct JsonEventStream<T> {
    body: Option<ByteStream>,
    decoder: SseDecoder,
    idle_timeout: Option<Duration>,
    idle: Option<Pin<Box<tokio::time::Sleep>>>,
    url: String,
    done: bool,
    _item: PhantomData<fn() -> T>,
}

impl<T> std::fmt::Debug for JsonEventStream<T> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("JsonEventStream")
            .field("url", &self.url)
            .field("idle_timeout", &self.idle_timeout)
            .field("done", &self.done)
            .finish_non_exhaustive()
    }
}

impl<T: DeserializeOwned> JsonEventStream<T> {
    /// Wraps a byte stream. `url` is only used in error messages; `idle_timeout` bounds the
    /// silence between two chunks.
    pub fn new(body: ByteStream, url: impl Into<String>, idle_timeout: Option<Duration>) -> Self {
        Self {
            body: Some(body),
            decoder: SseDecoder::new(),
            idle_timeout,
            idle: None,
            url: url.into(),
            done: false,
            _item: PhantomData,
        }
    }

    /// Wraps a successful HTTP response.
    pub fn from_response(response: reqwest::Response, idle_timeout: Option<Duration>) -> Self {
        let url = hub_core::error::redact_url(response.url().as_str());
        Self::new(Box::pin(response.bytes_stream()), url, idle_timeout)
    }

    /// Ends the stream and releases the connection.
    fn finish(&mut self) {
        self.done = true;
        self.body = None;
        self.idle = None;
    }

    /// Turns one event into an item; `None` means "skip".
    fn handle_event(&mut self, event: Event<T>) -> Option<Poll<Option<Result<T>>>> {
        match event {
            Event::Skip => None,
            Event::Done => {
                self.finish();
                Some(Poll::Ready(None))
            }
            Event::Item(item) => {
                if item.is_err() {
                    self.finish();
                }
                Some(Poll::Ready(Some(item)))
            }
        }
    }
}

impl<T: DeserializeOwned> Stream for JsonEventStream<T> {
    type Item = Result<T>;

    fn poll_next(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        // Every field is Unpin (the body and the timer are boxed).
        let this = self.get_mut();
        loop {
            if this.done {
                return Poll::Ready(None);
            }
            if let Some(event) = this.decoder.next_event().map(decode_event::<T>) {
                if let Some(ready) = this.handle_event(event) {
                    return ready;
                }
                continue;
            }
            let Some(body) = this.body.as_mut() else {
                // End of body: an unterminated last event still counts.
                let last = this.decoder.finish().map(decode_event::<T>);
                if let Some(event) = last
                    && let Some(ready) = this.handle_event(event)
                {
                    this.finish();
                    return ready;
                }
                this.finish();
                return Poll::Ready(None);
            };
            match body.as_mut().poll_next(cx) {
                Poll::Ready(Some(Ok(chunk))) => {
                    if let (Some(idle), Some(timeout)) = (this.idle.as_mut(), this.idle_timeout) {
                        idle.as_mut().reset(tokio::time::Instant::now() + timeout);
                    }
                    this.decoder.push(&chunk);
                }
                Poll::Ready(Some(Err(e))) => {
                    let url = this.url.clone();
                    this.finish();
                    return Poll::Ready(Some(Err(Error::Hub(hub_core::Error::transport(&url, e)))));
                }
                Poll::Ready(None) => this.body = None,
                Poll::Pending => {
                    let Some(timeout) = this.idle_timeout else {
                        return Poll::Pending;
                    };
                    let idle = this
                        .idle
                        .get_or_insert_with(|| Box::pin(tokio::time::sleep(timeout)));
                    if idle.as_mut().poll(cx).is_ready() {
                        let url = this.url.clone();
                        this.finish();
                        return Poll::Ready(Some(Err(Error::InferenceTimeout { url, timeout })));
                    }
                    return Poll::Pending;
                }
            }
        }
    }
}

/// What one event means.
pub(crate) enum Event<T> {
    /// Nothing to report (empty data).
    Skip,
    /// `[DONE]`.
    Done,
    /// A value or an error event.
    Item(Result<T>),
}

#[derive(Deserialize)]
struct ErrorEvent {
    #[serde(default)]
    error: Option<serde_json::Value>,
    #[serde(default)]
    error_type: Option<String>,
}

/// Searcher for the `"error"` key, built once (building a SIMD searcher per event was a
/// measurable part of the per-chunk cost).
static ERROR_KEY: std::sync::LazyLock<memchr::memmem::Finder<'static>> =
    std::sync::LazyLock::new(|| memchr::memmem::Finder::new(b"\"error\""));

/// Decodes the data of one event.
pub(crate) fn decode_event<T: DeserializeOwned>(data: &[u8]) -> Event<T> {
    let trimmed = data.trim_ascii();
    if trimmed.is_empty() {
        return Event::Skip;
    }
    if trimmed == b"[DONE]" {
        return Event::Done;
    }
    // Error events are checked first: the item types are lenient enough that an error object
    // would otherwise parse as an empty item. The substring test keeps the common path to one parse.
    if ERROR_KEY.find(trimmed).is_some()
        && let Ok(ErrorEvent {
            error: Some(error),
            error_type,
        }) = serde_json::from_slice::<ErrorEvent>(trimmed)
    {
        return Event::Item(Err(error_from_value(&error, error_type.as_deref(), None)));
    }
    Event::Item(
        serde_json::from_slice(trimmed).map_err(|source| Error::Decode {
            what: "stream event".into(),
            source,
        }),
    )
}

/// Builds an error from a JSON `error` value: a string, or an OpenAI-style object
/// `{"message", "type"}`.
pub(crate) fn error_from_value(
    error: &serde_json::Value,
    error_type: Option<&str>,
    status: Option<u16>,
) -> Error {
    match error {
        serde_json::Value::String(message) => Error::from_tgi(error_type, message.clone(), status),
        serde_json::Value::Object(obj) => {
            let message = obj
                .get("message")
                .and_then(|m| m.as_str())
                .map(str::to_owned)
                .unwrap_or_else(|| error.to_string());
            let kind = error_type.or_else(|| obj.get("type").and_then(|t| t.as_str()));
            Error::from_tgi(kind, message, status)
        }
        other => Error::from_tgi(error_type, other.to_string(), status),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use futures::StreamExt;

    fn stream_of(chunks: Vec<&'static [u8]>) -> JsonEventStream<serde_json::Value> {
        let body = futures::stream::iter(chunks.into_iter().map(|c| Ok(Bytes::from_static(c))));
        JsonEventStream::new(Box::pin(body), "http://x", None)
    }

    #[tokio::test]
    async fn done_ends_the_stream() {
        let items: Vec<_> = stream_of(vec![
            b"data: {\"a\":1}\n\ndata: [DONE]\n\ndata: {\"a\":2}\n\n",
        ])
        .collect()
        .await;
        assert_eq!(items.len(), 1);
        assert_eq!(items[0].as_ref().unwrap()["a"], 1);
    }

    #[tokio::test]
    async fn string_error_event_becomes_typed_error_and_ends() {
        let items: Vec<_> = stream_of(vec![
            b"data: {\"a\":1}\n\n",
            b"data: {\"error\":\"Input validation error\",\"error_type\":\"validation\"}\n\n",
            b"data: {\"a\":2}\n\n",
        ])
        .collect()
        .await;
        assert_eq!(items.len(), 2);
        match &items[1] {
            Err(Error::Validation {
                message,
                status: None,
            }) => assert_eq!(message, "Input validation error"),
            other => panic!("unexpected {other:?}"),
        }
    }

    #[tokio::test]
    async fn object_error_event_uses_message() {
        let items: Vec<_> = stream_of(vec![
            b"data: {\"error\":{\"message\":\"boom\",\"type\":\"overloaded\"}}\n\n",
        ])
        .collect()
        .await;
        assert!(matches!(&items[0], Err(Error::Overloaded { message }) if message == "boom"));
    }

    #[tokio::test]
    async fn content_mentioning_error_is_not_an_error() {
        let items: Vec<_> = stream_of(vec![b"data: {\"text\":\"\\\"error\\\" is a word\"}\n\n"])
            .collect()
            .await;
        assert!(items[0].is_ok());
    }

    #[tokio::test]
    async fn invalid_json_is_a_decode_error() {
        let items: Vec<_> = stream_of(vec![b"data: {not json\n\n"]).collect().await;
        assert!(matches!(&items[0], Err(Error::Decode { .. })));
        assert_eq!(items.len(), 1);
    }
}
