//! `text_generation` (TGI `generate` API) with the non-TGI fallback of protocol §9.4.

use crate::client::{InferenceClient, Payload};
use crate::error::{Error, Result};
use crate::stream::TextGenerationStream;
use crate::types::{
    TextGenerationInput, TextGenerationInputGenerateParameters, TextGenerationOutput,
};

const TASK: &str = "text-generation";

/// Parameters only a TGI server understands; dropped for models known not to be served by TGI.
const TGI_ONLY: &[&str] = &[
    "details",
    "decoder_input_details",
    "best_of",
    "top_n_tokens",
];

/// Extracts the parameter list of a "The following `model_kwargs` are not used by the model:
/// ['a', 'b']" message (the answer of transformers pipelines to TGI-only parameters).
pub(crate) fn unused_model_kwargs(message: &str) -> Option<Vec<String>> {
    const MARKER: &str = "The following `model_kwargs` are not used by the model: [";
    let start = message.find(MARKER)? + MARKER.len();
    let end = start + message[start..].find(']')?;
    let names: Vec<String> = message[start..end]
        .split(',')
        .map(|s| {
            s.trim_matches(|c| c == '\'' || c == '"' || c == ' ')
                .to_owned()
        })
        .filter(|s| !s.is_empty())
        .collect();
    (!names.is_empty()).then_some(names)
}

impl InferenceClient {
    fn unsupported_kwargs_for(&self, url: &str) -> Option<Vec<String>> {
        // Never held across an await.
        let map = self
            .inner
            .unsupported_kwargs
            .lock()
            .unwrap_or_else(|p| p.into_inner());
        map.get(url).cloned()
    }

    fn remember_unsupported_kwargs(&self, url: &str, names: Vec<String>) {
        let mut map = self
            .inner
            .unsupported_kwargs
            .lock()
            .unwrap_or_else(|p| p.into_inner());
        let entry = map.entry(url.to_owned()).or_default();
        for n in names {
            if !entry.contains(&n) {
                entry.push(n);
            }
        }
    }

    /// Body of a generate request, with the seed's defaults (`details`, `do_sample`,
    /// `return_full_text`: false; `stop`: empty) and the non-TGI filtering. Streaming sends
    /// `details` as given too: the finish reason then only comes with `details: true`.
    fn text_generation_payload(
        &self,
        url: &str,
        prompt: &str,
        params: Option<TextGenerationInputGenerateParameters>,
        stream: bool,
    ) -> Result<(Payload, bool)> {
        let mut p = params.unwrap_or_default();
        p.details.get_or_insert(false);
        p.do_sample.get_or_insert(false);
        p.return_full_text.get_or_insert(false);
        p.stop.get_or_insert_with(Vec::new);
        if p.decoder_input_details == Some(true) && p.details != Some(true) {
            p.decoder_input_details = Some(false);
        }
        let input = TextGenerationInput {
            inputs: prompt.to_owned(),
            parameters: Some(p),
            stream,
        };
        let mut value = serde_json::to_value(&input).map_err(|e| {
            Error::InvalidArgument(format!("generate request is not serialisable: {e}"))
        })?;
        let unsupported = self.unsupported_kwargs_for(url);
        let is_tgi = unsupported.is_none();
        if let (Some(names), Some(params)) = (
            unsupported,
            value.get_mut("parameters").and_then(|p| p.as_object_mut()),
        ) {
            for name in names
                .iter()
                .map(String::as_str)
                .chain(TGI_ONLY.iter().copied())
            {
                params.remove(name);
            }
        }
        Ok((Payload::Json(value), is_tgi))
    }

    /// Generates text (`POST {model}` with `{"inputs", "parameters", "stream": false}`).
    ///
    /// With `details: Some(true)` a TGI server also returns token details. Models served by plain
    /// transformers pipelines reject TGI-only parameters with a 400 listing them; the client then
    /// remembers them for that model, retries once without them, and returns the text alone.
    ///
    /// ```no_run
    /// # async fn run() -> hub_inference::Result<()> {
    /// use hub_inference::InferenceClient;
    /// use hub_inference::types::TextGenerationInputGenerateParameters as Params;
    /// let client = InferenceClient::new("google/flan-t5-xxl")?;
    /// let params = Params { max_new_tokens: Some(12), details: Some(true), ..Params::default() };
    /// let out = client.text_generation("The huggingface_hub library is ", Some(params)).await?;
    /// println!("{} ({:?})", out.generated_text, out.details.map(|d| d.finish_reason));
    /// # Ok(()) }
    /// ```
    pub async fn text_generation(
        &self,
        prompt: &str,
        params: Option<TextGenerationInputGenerateParameters>,
    ) -> Result<TextGenerationOutput> {
        let url = self.resolve_url(None, Some(TASK)).await?;
        let mut retried = false;
        loop {
            let (payload, _) = self.text_generation_payload(&url, prompt, params.clone(), false)?;
            match self.send_bytes(&url, &payload, Some(TASK), &[]).await {
                Ok(raw) => {
                    let value: serde_json::Value = raw.json("text generation")?;
                    // The serverless API wraps the answer in a one-element list.
                    let first = match value {
                        serde_json::Value::Array(mut items) if !items.is_empty() => {
                            items.swap_remove(0)
                        }
                        other => other,
                    };
                    return serde_json::from_value(first).map_err(|source| Error::Decode {
                        what: "text generation".into(),
                        source,
                    });
                }
                Err(err @ Error::Hub(hub_core::Error::BadRequest(_))) if !retried => {
                    match err.server_message().and_then(unused_model_kwargs) {
                        Some(names) => {
                            tracing::debug!(%url, ?names, "model is not served by TGI; retrying without them");
                            self.remember_unsupported_kwargs(&url, names);
                            retried = true;
                        }
                        None => return Err(err),
                    }
                }
                Err(err) => return Err(err),
            }
        }
    }

    /// Streams generated tokens (`"stream": true`; TGI only). Each item carries `token.text`;
    /// the last one also `generated_text` and `details`.
    pub async fn text_generation_stream(
        &self,
        prompt: &str,
        params: Option<TextGenerationInputGenerateParameters>,
    ) -> Result<TextGenerationStream> {
        let url = self.resolve_url(None, Some(TASK)).await?;
        let (payload, is_tgi) = self.text_generation_payload(&url, prompt, params, true)?;
        if !is_tgi {
            return Err(Error::Unsupported(format!(
                "{url} is not served by text-generation-inference; streaming needs a TGI server"
            )));
        }
        self.send_stream(&url, &payload, Some(TASK)).await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_model_kwargs_message() {
        let msg = "The following `model_kwargs` are not used by the model: ['watermark', 'stop', 'decoder_input_details'] (note: typos in the generate arguments will also show up in this list)";
        assert_eq!(
            unused_model_kwargs(msg).unwrap(),
            vec!["watermark", "stop", "decoder_input_details"]
        );
        assert_eq!(unused_model_kwargs("something else"), None);
    }
}
