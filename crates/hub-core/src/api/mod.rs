//! [`HfApi`]: the repository surface of the Hub (whoami, repos, info, listings, refs, commits).
//!
//! `HfApi` is a thin handle on a [`HubClient`]; get one with [`HubClient::api`]. Wire types live
//! in [`crate::types`] (serde only, no behaviour).

use reqwest::Method;

use crate::client::{HubClient, json_body};
use crate::error::Result;
use crate::types::WhoAmI;

/// The Hub's repository API, bound to a [`HubClient`].
#[derive(Debug, Clone)]
pub struct HfApi {
    client: HubClient,
}

impl HubClient {
    /// The repository API on this client.
    pub fn api(&self) -> HfApi {
        HfApi {
            client: self.clone(),
        }
    }
}

impl HfApi {
    /// The underlying client.
    pub fn client(&self) -> &HubClient {
        &self.client
    }

    /// `GET /api/whoami-v2`: the account behind the token (a token is required).
    pub async fn whoami(&self) -> Result<WhoAmI> {
        let url = format!("{}/api/whoami-v2", self.client.endpoint());
        let rb = self.client.authed_request(Method::GET, &url)?;
        json_body(self.client.send(rb).await?).await
    }
}
