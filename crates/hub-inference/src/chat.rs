//! Chat completion: `chat_completion`, `chat_completion_stream` and the OpenAI-style
//! `client.chat().completions().create(..)` aliases.

use crate::client::{InferenceClient, Payload, chat_url, is_url};
use crate::error::{Error, Result};
use crate::stream::ChatCompletionStream;
use crate::types::{ChatCompletionInput, ChatCompletionOutput};

impl InferenceClient {
    /// URL and body model name of a chat request (protocol §9.1/§9.5).
    ///
    /// URL: the client's model/base URL, else the request's `model`, else the recommended
    /// text-generation model; ids resolve to `{endpoint}/models/{id}`; then the chat suffix rule.
    /// Body `model`: the request's model, else the client's, with URLs replaced by `"tgi"`.
    pub(crate) async fn chat_target(
        &self,
        input: &ChatCompletionInput,
    ) -> Result<(String, String)> {
        let base = match self.inner.model.as_deref().or(input.model.as_deref()) {
            Some(m) => self.model_url(m, Some("text-generation")),
            None => self.resolve_url(None, Some("text-generation")).await?,
        };
        let body_model = input
            .model
            .as_deref()
            .or(self.inner.model.as_deref())
            .filter(|m| !is_url(m))
            .unwrap_or("tgi")
            .to_owned();
        Ok((chat_url(&base), body_model))
    }

    fn chat_payload(input: &ChatCompletionInput, model: String, stream: bool) -> Result<Payload> {
        let mut body = input.clone();
        body.model = Some(model);
        body.stream = stream;
        let value = serde_json::to_value(&body).map_err(|e| {
            Error::InvalidArgument(format!("chat request is not serialisable: {e}"))
        })?;
        Ok(Payload::Json(value))
    }

    /// Non-streamed chat completion (`POST …/v1/chat/completions` with `stream: false`).
    ///
    /// ```no_run
    /// # async fn run() -> hub_inference::Result<()> {
    /// use hub_inference::InferenceClient;
    /// use hub_inference::types::{ChatCompletionInput, ChatCompletionInputMessage as Msg};
    /// let client = InferenceClient::new("HuggingFaceH4/zephyr-7b-beta")?;
    /// let input = ChatCompletionInput::new([Msg::system("You are helpful."), Msg::user("What is deep learning?")])
    ///     .with_max_tokens(20);
    /// let out = client.chat_completion(&input).await?;
    /// println!("{}", out.choices[0].message.content.as_deref().unwrap_or(""));
    /// # Ok(()) }
    /// ```
    pub async fn chat_completion(
        &self,
        input: &ChatCompletionInput,
    ) -> Result<ChatCompletionOutput> {
        let (url, model) = self.chat_target(input).await?;
        let payload = Self::chat_payload(input, model, false)?;
        let raw = self
            .send_bytes(&url, &payload, Some("text-generation"), &[])
            .await?;
        raw.json("chat completion")
    }

    /// Streamed chat completion: sends `stream: true` and returns the chunks as they arrive.
    ///
    /// The stream is pull-based: nothing is read ahead of the consumer, and dropping it closes
    /// the response. See [`JsonEventStream`](crate::stream::JsonEventStream) for the rules.
    ///
    /// ```no_run
    /// # async fn run() -> hub_inference::Result<()> {
    /// use futures::StreamExt;
    /// use hub_inference::InferenceClient;
    /// use hub_inference::types::{ChatCompletionInput, ChatCompletionInputMessage as Msg};
    /// let client = InferenceClient::builder().base_url("http://localhost:8080/v1").api_key("-").build()?;
    /// let mut stream = client.chat_completion_stream(&ChatCompletionInput::new([Msg::user("Count to 10")])).await?;
    /// while let Some(chunk) = stream.next().await {
    ///     print!("{}", chunk?.content().unwrap_or(""));
    /// }
    /// # Ok(()) }
    /// ```
    pub async fn chat_completion_stream(
        &self,
        input: &ChatCompletionInput,
    ) -> Result<ChatCompletionStream> {
        let (url, model) = self.chat_target(input).await?;
        let payload = Self::chat_payload(input, model, true)?;
        self.send_stream(&url, &payload, Some("text-generation"))
            .await
    }

    /// OpenAI-style namespace: `client.chat().completions().create(&input)`.
    pub fn chat(&self) -> Chat<'_> {
        Chat { client: self }
    }
}

/// `client.chat()` (OpenAI-compatible alias namespace).
#[derive(Debug, Clone, Copy)]
pub struct Chat<'a> {
    client: &'a InferenceClient,
}

impl<'a> Chat<'a> {
    /// `client.chat().completions()`.
    pub fn completions(&self) -> Completions<'a> {
        Completions {
            client: self.client,
        }
    }
}

/// `client.chat().completions()` (OpenAI-compatible alias namespace).
#[derive(Debug, Clone, Copy)]
pub struct Completions<'a> {
    client: &'a InferenceClient,
}

impl Completions<'_> {
    /// Same as [`InferenceClient::chat_completion`].
    pub async fn create(&self, input: &ChatCompletionInput) -> Result<ChatCompletionOutput> {
        self.client.chat_completion(input).await
    }

    /// Same as [`InferenceClient::chat_completion_stream`].
    pub async fn create_stream(&self, input: &ChatCompletionInput) -> Result<ChatCompletionStream> {
        self.client.chat_completion_stream(input).await
    }
}
