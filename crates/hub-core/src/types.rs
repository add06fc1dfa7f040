//! Wire types of the Hub API: serde only, no behaviour. Unknown fields are ignored and optional
//! fields may be missing, so newer servers do not break older clients.

use serde::{Deserialize, Serialize};

/// `GET /api/whoami-v2` answer.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct WhoAmI {
    /// `user`, `org` or `app`.
    #[serde(rename = "type", default)]
    pub kind: Option<String>,
    /// Account name (the default namespace).
    pub name: String,
    /// Display name.
    #[serde(default)]
    pub fullname: Option<String>,
    /// E-mail, when visible.
    #[serde(default)]
    pub email: Option<String>,
    /// Organisations the user belongs to.
    #[serde(default)]
    pub orgs: Vec<WhoAmIOrg>,
    /// Details of the token used.
    #[serde(default)]
    pub auth: Option<WhoAmIAuth>,
}

/// An organisation in [`WhoAmI::orgs`].
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct WhoAmIOrg {
    /// Organisation name.
    pub name: String,
    /// Display name.
    #[serde(default)]
    pub fullname: Option<String>,
    /// Role of the user in the organisation.
    #[serde(default)]
    pub role_in_org: Option<String>,
}

/// `auth` part of [`WhoAmI`].
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct WhoAmIAuth {
    /// `access_token`, ...
    #[serde(rename = "type", default)]
    pub kind: Option<String>,
    /// The token's description.
    #[serde(default)]
    pub access_token: Option<AccessTokenInfo>,
}

/// Description of the token in use.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct AccessTokenInfo {
    /// Name given to the token (login stores the token under it).
    #[serde(default)]
    pub display_name: Option<String>,
    /// `read`, `write`, `fineGrained`, ...
    #[serde(default)]
    pub role: Option<String>,
}
