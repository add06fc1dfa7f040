//! Repository kinds, per-repo settings and discussions as stored on disk.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::git::GitRepo;

/// Kind of Hub repository.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum RepoType {
    /// Model repo (no URL prefix).
    Model,
    /// Dataset repo (`datasets/`).
    Dataset,
    /// Space repo (`spaces/`).
    Space,
}

impl RepoType {
    /// Plural API form (`models`).
    pub fn plural(self) -> &'static str {
        match self {
            RepoType::Model => "models",
            RepoType::Dataset => "datasets",
            RepoType::Space => "spaces",
        }
    }
    /// Singular form (`model`).
    pub fn singular(self) -> &'static str {
        match self {
            RepoType::Model => "model",
            RepoType::Dataset => "dataset",
            RepoType::Space => "space",
        }
    }
    /// URL prefix for non-API URLs (`""`, `datasets/`, `spaces/`).
    pub fn url_prefix(self) -> &'static str {
        match self {
            RepoType::Model => "",
            RepoType::Dataset => "datasets/",
            RepoType::Space => "spaces/",
        }
    }
    /// Parses the plural form.
    pub fn from_plural(s: &str) -> Option<Self> {
        Some(match s {
            "models" => RepoType::Model,
            "datasets" => RepoType::Dataset,
            "spaces" => RepoType::Space,
            _ => return None,
        })
    }
    /// Parses the singular form (as sent in create/delete/move bodies).
    pub fn from_singular(s: &str) -> Option<Self> {
        Some(match s {
            "model" => RepoType::Model,
            "dataset" => RepoType::Dataset,
            "space" => RepoType::Space,
            _ => return None,
        })
    }
}

/// Persistent per-repo settings (`hub.json`).
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct RepoMeta {
    /// Object id (24 hex), like the Hub's `_id`.
    pub id: String,
    /// Private repos are invisible to non-members.
    #[serde(default)]
    pub private: bool,
    /// `false`, `"auto"` or `"manual"`.
    #[serde(default = "gated_false")]
    pub gated: serde_json::Value,
    /// Space SDK.
    #[serde(default)]
    pub sdk: Option<String>,
    /// Creation date.
    pub created_at: String,
    /// Gated-repo access requests by user name.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub access: BTreeMap<String, AccessRequest>,
    /// Users who liked the repo.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub likers: Vec<String>,
    /// Namespace (user or org) whose members may write a canonical repository (one whose id has
    /// no namespace, like `gpt2`); unused for namespaced repositories.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub owner: Option<String>,
    /// Space runtime settings (spaces only; nothing actually runs).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub space: Option<SpaceState>,
    /// New discussions, pull requests and comments are refused (`discussionsDisabled` setting).
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub discussions_disabled: bool,
}

/// Simulated Space runtime state.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SpaceState {
    /// `RUNNING`, `PAUSED`, ...
    #[serde(default)]
    pub stage: Option<String>,
    /// Requested hardware flavor.
    #[serde(default)]
    pub hardware: Option<String>,
    /// Sleep time in seconds.
    #[serde(default)]
    pub sleep_time: Option<i64>,
    /// Persistent storage tier.
    #[serde(default)]
    pub storage: Option<String>,
    /// Variables: key → `{"value", "description"?, "updatedAt"}`.
    #[serde(default)]
    pub variables: BTreeMap<String, serde_json::Value>,
    /// Secret keys (values are write-only and not kept): key → `{"description"?, "updatedAt"}`.
    #[serde(default)]
    pub secrets: BTreeMap<String, serde_json::Value>,
}

/// One user's access request to a gated repo.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct AccessRequest {
    /// `pending`, `accepted` or `rejected`.
    pub status: String,
    /// Last change.
    pub timestamp: String,
    /// The requester's e-mail as shared with the repo's authors when asking; none when access
    /// was granted by an owner without a request (the Hub shows no e-mail then).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub email: Option<String>,
    /// What the requester filled in the gate form's extra fields.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub fields: Option<serde_json::Map<String, serde_json::Value>>,
}

pub(super) fn gated_false() -> serde_json::Value {
    serde_json::Value::Bool(false)
}

/// A located repository.
#[derive(Debug, Clone)]
pub struct Repo {
    /// Type.
    pub ty: RepoType,
    /// Canonical namespace; empty for a canonical repository without one (`gpt2`).
    pub ns: String,
    /// Canonical name.
    pub name: String,
    /// Settings.
    pub meta: RepoMeta,
    /// The bare git repo.
    pub git: GitRepo,
}

impl Repo {
    /// `ns/name`, or `name` for a repository without a namespace.
    pub fn id(&self) -> String {
        if self.ns.is_empty() {
            self.name.clone()
        } else {
            format!("{}/{}", self.ns, self.name)
        }
    }
    /// The namespace whose members may write the repo: its own namespace, or for a repository
    /// without one the owner recorded at creation (nobody when none was).
    pub fn owner(&self) -> &str {
        if self.ns.is_empty() {
            self.meta.owner.as_deref().unwrap_or("")
        } else {
            &self.ns
        }
    }
    /// Key for per-repo locks.
    pub fn lock_key(&self) -> String {
        self.git.dir().display().to_string()
    }
}
/// A discussion or pull request.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Discussion {
    /// Number (also the `refs/pr/N` number).
    pub num: u64,
    /// Title.
    pub title: String,
    /// `open`, `closed`, `merged`, `draft`.
    pub status: String,
    /// Author user name.
    pub author: String,
    /// Creation date.
    pub created_at: String,
    /// Whether this is a PR.
    pub is_pull_request: bool,
    /// Events (comments, commits, status changes) in Hub JSON shape.
    #[serde(default)]
    pub events: Vec<serde_json::Value>,
}
