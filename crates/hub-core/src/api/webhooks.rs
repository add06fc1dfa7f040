//! Webhooks of the caller (protocol §8.3).
//!
//! | Python | Rust |
//! |---|---|
//! | `create_webhook` | [`HfApi::create_webhook`] |
//! | `get_webhook` / `list_webhooks` | [`HfApi::get_webhook`] / [`HfApi::list_webhooks`] |
//! | `update_webhook` | [`HfApi::update_webhook`] |
//! | `enable_webhook` / `disable_webhook` | [`HfApi::enable_webhook`] / [`HfApi::disable_webhook`] |
//! | `delete_webhook` | [`HfApi::delete_webhook`] |
//!
//! Python 0.26 sends these to the global endpoint; here they go to the client's. All of them
//! need a token: webhooks belong to a user.

use futures::future::BoxFuture;
use reqwest::Method;
use serde::Deserialize;
use serde_json::{Value, json};

use crate::api::HfApi;
use crate::client::SendOptions;
use crate::error::Result;
use crate::types_community::{WebhookDomain, WebhookInfo, WebhookWatchedItem};
use crate::urls::quote_segment;

#[derive(Deserialize)]
struct WebhookAnswer {
    webhook: WebhookInfo,
}

/// Builder of [`HfApi::create_webhook`] and [`HfApi::update_webhook`].
#[must_use = "a builder does nothing until `.send()` is awaited"]
#[derive(Debug, Clone)]
pub struct WebhookBuilder {
    api: HfApi,
    /// `None` = create.
    id: Option<String>,
    url: Option<String>,
    watched: Vec<WebhookWatchedItem>,
    domains: Option<Vec<WebhookDomain>>,
    secret: Option<String>,
}

impl WebhookBuilder {
    /// Where events are POSTed (required to create).
    pub fn url(mut self, url: impl Into<String>) -> Self {
        self.url = Some(url.into());
        self
    }
    /// Watch one more item (at least one is required to create; on update, the list given
    /// replaces the current one, and none keeps it).
    pub fn watch(mut self, item: WebhookWatchedItem) -> Self {
        self.watched.push(item);
        self
    }
    /// Which events to receive (default on create: all domains; on update: unchanged).
    pub fn domains(mut self, domains: impl IntoIterator<Item = WebhookDomain>) -> Self {
        self.domains = Some(domains.into_iter().collect());
        self
    }
    /// Secret the Hub sends in `X-Webhook-Secret` with each event.
    pub fn secret(mut self, secret: impl Into<String>) -> Self {
        self.secret = Some(secret.into());
        self
    }
    /// Sends the request; returns the webhook as stored.
    pub fn send(self) -> BoxFuture<'static, Result<WebhookInfo>> {
        Box::pin(async move {
            let base = format!("{}/api/settings/webhooks", self.api.client().endpoint());
            let url = match &self.id {
                Some(id) => format!("{base}/{}", quote_segment(id)),
                None => base,
            };
            let body = json!({"watched": self.watched, "url": self.url,
                "domains": self.domains, "secret": self.secret});
            let client = self.api.client();
            let rb = client.authed_request(Method::POST, &url)?.json(&body);
            // An update sets the same fields again on a retry; a create would make a second hook.
            let options = SendOptions::new().repeatable(self.id.is_some());
            let a: WebhookAnswer = client.send_json(rb, options).await?;
            Ok(a.webhook)
        })
    }
}

crate::api::into_future!(WebhookBuilder, WebhookInfo);

impl HfApi {
    fn webhook_url(&self, id: &str, action: &str) -> String {
        format!(
            "{}/api/settings/webhooks/{}{action}",
            self.client().endpoint(),
            quote_segment(id)
        )
    }

    /// `POST /api/settings/webhooks`: a new webhook; set `.url()` and at least one `.watch()`.
    pub fn create_webhook(&self) -> WebhookBuilder {
        WebhookBuilder {
            api: self.clone(),
            id: None,
            url: None,
            watched: Vec::new(),
            domains: None,
            secret: None,
        }
    }

    /// `POST /api/settings/webhooks/{id}`: changes the fields set on the builder.
    pub fn update_webhook(&self, id: &str) -> WebhookBuilder {
        WebhookBuilder {
            id: Some(id.to_owned()),
            ..self.create_webhook()
        }
    }

    /// `GET /api/settings/webhooks/{id}`.
    pub async fn get_webhook(&self, id: &str) -> Result<WebhookInfo> {
        let rb = self
            .client()
            .authed_request(Method::GET, &self.webhook_url(id, ""))?;
        let a: WebhookAnswer = self.client().send_json(rb, SendOptions::new()).await?;
        Ok(a.webhook)
    }

    /// `GET /api/settings/webhooks`: all webhooks of the caller.
    pub async fn list_webhooks(&self) -> Result<Vec<WebhookInfo>> {
        let url = format!("{}/api/settings/webhooks", self.client().endpoint());
        let rb = self.client().authed_request(Method::GET, &url)?;
        self.client().send_json(rb, SendOptions::new()).await
    }

    async fn toggle_webhook(&self, id: &str, action: &str) -> Result<WebhookInfo> {
        let rb = self
            .client()
            .authed_request(Method::POST, &self.webhook_url(id, action))?;
        let options = SendOptions::new().repeatable(true);
        let a: WebhookAnswer = self.client().send_json(rb, options).await?;
        Ok(a.webhook)
    }

    /// `POST /api/settings/webhooks/{id}/enable`: resumes deliveries.
    pub async fn enable_webhook(&self, id: &str) -> Result<WebhookInfo> {
        self.toggle_webhook(id, "/enable").await
    }

    /// `POST /api/settings/webhooks/{id}/disable`: pauses deliveries.
    pub async fn disable_webhook(&self, id: &str) -> Result<WebhookInfo> {
        self.toggle_webhook(id, "/disable").await
    }

    /// `DELETE /api/settings/webhooks/{id}`.
    pub async fn delete_webhook(&self, id: &str) -> Result<()> {
        let rb = self
            .client()
            .authed_request(Method::DELETE, &self.webhook_url(id, ""))?;
        let _: Value = self.client().send_json(rb, SendOptions::new()).await?;
        Ok(())
    }
}
