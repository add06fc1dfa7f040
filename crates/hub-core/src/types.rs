//! Wire types of the Hub API: serde only, no behaviour. Unknown fields are ignored (or kept in
//! `extra` for the repository-info types, as Python keeps them as attributes) and optional fields
//! may be missing, so newer servers do not break older clients.
//!
//! Dates go through [`parse_hub_date`], which accepts what both the 0.26 and the newest Python
//! clients accept: RFC 3339 with or without fractional seconds (any number of digits), with `Z`
//! or an offset, and a naive `YYYY-MM-DDTHH:MM:SS[.f]` taken as UTC. A date that cannot be parsed
//! becomes `None` instead of failing the whole object: a new date format on the server must not
//! make `model_info` unusable.

use std::collections::BTreeMap;
use std::sync::LazyLock;

use chrono::{DateTime, NaiveDateTime, Utc};
use serde::{Deserialize, Deserializer, Serialize, Serializer};
use serde_json::Value;

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

impl WhoAmI {
    /// The role of the token used (`read`, `write`, `fineGrained`, ...), when the server said.
    pub fn token_role(&self) -> Option<&str> {
        self.auth
            .as_ref()
            .and_then(|a| a.access_token.as_ref())
            .and_then(|t| t.role.as_deref())
    }

    /// The display name of the token used, when the server said.
    pub fn token_name(&self) -> Option<&str> {
        self.auth
            .as_ref()
            .and_then(|a| a.access_token.as_ref())
            .and_then(|t| t.display_name.as_deref())
    }
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

// ---------------------------------------------------------------------------------------------
// Dates

static NAIVE_FORMATS: [&str; 2] = ["%Y-%m-%dT%H:%M:%S%.f", "%Y-%m-%d %H:%M:%S%.f"];

/// Parses a Hub date: RFC 3339 with or without fraction (`2024-05-01T12:34:56.789Z`,
/// `2024-05-01T12:34:56Z`, nanoseconds, offsets) or a naive date-time taken as UTC.
///
/// ```
/// use hub_core::types::parse_hub_date;
/// let a = parse_hub_date("2024-05-01T12:34:56.789Z").unwrap();
/// let b = parse_hub_date("2024-05-01T12:34:56Z").unwrap();
/// assert_eq!((a - b).num_milliseconds(), 789);
/// assert!(parse_hub_date("yesterday").is_none());
/// ```
pub fn parse_hub_date(s: &str) -> Option<DateTime<Utc>> {
    let s = s.trim();
    if let Ok(d) = DateTime::parse_from_rfc3339(s) {
        return Some(d.with_timezone(&Utc));
    }
    let naive = s.strip_suffix('Z').unwrap_or(s);
    NAIVE_FORMATS
        .iter()
        .find_map(|f| NaiveDateTime::parse_from_str(naive, f).ok())
        .map(|n| n.and_utc())
}

/// Serde helpers for optional Hub dates (lenient: unparseable → `None`).
pub mod date {
    use super::*;

    /// Deserializes an optional date; strings that are not dates, and non-strings, become `None`.
    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Option<DateTime<Utc>>, D::Error> {
        let v = Option::<Value>::deserialize(d)?;
        Ok(match v {
            Some(Value::String(s)) => parse_hub_date(&s),
            _ => None,
        })
    }

    /// Serializes as RFC 3339 with milliseconds and `Z` (what every Python version parses).
    pub fn serialize<S: Serializer>(v: &Option<DateTime<Utc>>, s: S) -> Result<S::Ok, S::Error> {
        match v {
            Some(d) => s.serialize_str(&d.to_rfc3339_opts(chrono::SecondsFormat::Millis, true)),
            None => s.serialize_none(),
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Repository info

/// Gating of a repository: `false`, `"auto"` or `"manual"` on the wire.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Gated {
    /// Not gated (`false`).
    Disabled,
    /// Access requests are accepted automatically (`"auto"`).
    Auto,
    /// Access requests are reviewed by the owners (`"manual"`).
    Manual,
    /// A value this client does not know (kept as its JSON text).
    Other(String),
}

impl Gated {
    /// Whether the repository is gated at all.
    pub fn is_gated(&self) -> bool {
        !matches!(self, Gated::Disabled)
    }
}

impl Serialize for Gated {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        match self {
            Gated::Disabled => s.serialize_bool(false),
            Gated::Auto => s.serialize_str("auto"),
            Gated::Manual => s.serialize_str("manual"),
            Gated::Other(o) => s.serialize_str(o),
        }
    }
}

impl<'de> Deserialize<'de> for Gated {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        Ok(match Value::deserialize(d)? {
            Value::Bool(false) | Value::Null => Gated::Disabled,
            Value::String(s) if s == "auto" => Gated::Auto,
            Value::String(s) if s == "manual" => Gated::Manual,
            Value::String(s) => Gated::Other(s),
            other => Gated::Other(other.to_string()),
        })
    }
}

/// LFS details of a file: in `siblings` (key `sha256`) and in tree / paths-info items (key `oid`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct BlobLfsInfo {
    /// Real size of the content in bytes.
    pub size: u64,
    /// sha256 of the content (64 hex).
    #[serde(alias = "oid")]
    pub sha256: String,
    /// Size of the git pointer file.
    pub pointer_size: u64,
}

/// A file of a repository as listed in `siblings` of the info endpoints.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct RepoSibling {
    /// Path in the repository.
    pub rfilename: String,
    /// Size in bytes (real content size for LFS files); only with `files_metadata`.
    #[serde(default)]
    pub size: Option<u64>,
    /// Git blob id; only with `files_metadata`.
    #[serde(default)]
    pub blob_id: Option<String>,
    /// LFS details for LFS files; only with `files_metadata`.
    #[serde(default)]
    pub lfs: Option<BlobLfsInfo>,
}

/// `transformersInfo` of a model.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TransformersInfo {
    /// The `AutoModel` class.
    pub auto_model: String,
    /// Custom class, if any.
    #[serde(default)]
    pub custom_class: Option<String>,
    /// Pipeline task.
    #[serde(default)]
    pub pipeline_tag: Option<String>,
    /// Processor class.
    #[serde(default)]
    pub processor: Option<String>,
}

/// `safetensors` summary of a model: parameter count per dtype and in total.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SafeTensorsInfo {
    /// Parameter count per dtype (`F32`, `BF16`, ...).
    pub parameters: BTreeMap<String, u64>,
    /// Total parameter count.
    pub total: u64,
}

/// `GET /api/models/{repo_id}[/revision/{rev}]`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ModelInfo {
    /// Repository id.
    pub id: String,
    /// Author (namespace).
    #[serde(default)]
    pub author: Option<String>,
    /// Commit of the requested revision.
    #[serde(default)]
    pub sha: Option<String>,
    /// Creation date.
    #[serde(default, with = "date")]
    pub created_at: Option<DateTime<Utc>>,
    /// Date of the last commit.
    #[serde(default, with = "date")]
    pub last_modified: Option<DateTime<Utc>>,
    /// Whether the repository is private.
    #[serde(default)]
    pub private: Option<bool>,
    /// Whether the repository is disabled.
    #[serde(default)]
    pub disabled: Option<bool>,
    /// Gating.
    #[serde(default)]
    pub gated: Option<Gated>,
    /// Downloads in the last 30 days.
    #[serde(default)]
    pub downloads: Option<u64>,
    /// Downloads since creation.
    #[serde(default)]
    pub downloads_all_time: Option<u64>,
    /// Number of likes.
    #[serde(default)]
    pub likes: Option<u64>,
    /// Library (`transformers`, `diffusers`, ...).
    #[serde(default, rename = "library_name")]
    pub library_name: Option<String>,
    /// GGUF metadata.
    #[serde(default)]
    pub gguf: Option<Value>,
    /// Inference status (`warm`, `cold`, `frozen`).
    #[serde(default)]
    pub inference: Option<String>,
    /// Tags.
    #[serde(default)]
    pub tags: Option<Vec<String>>,
    /// Pipeline task.
    #[serde(default, rename = "pipeline_tag")]
    pub pipeline_tag: Option<String>,
    /// Mask token.
    #[serde(default, rename = "mask_token")]
    pub mask_token: Option<String>,
    /// Model card metadata (README front matter).
    #[serde(default)]
    pub card_data: Option<Value>,
    /// Widget examples.
    #[serde(default)]
    pub widget_data: Option<Value>,
    /// Evaluation results (`model-index`).
    #[serde(default, rename = "model-index")]
    pub model_index: Option<Value>,
    /// `config.json` summary.
    #[serde(default)]
    pub config: Option<Value>,
    /// Transformers details.
    #[serde(default)]
    pub transformers_info: Option<TransformersInfo>,
    /// Trending score.
    #[serde(default)]
    pub trending_score: Option<f64>,
    /// Files (`None` when the server did not list them).
    #[serde(default)]
    pub siblings: Option<Vec<RepoSibling>>,
    /// Spaces using this model.
    #[serde(default)]
    pub spaces: Option<Vec<String>>,
    /// Safetensors parameter counts.
    #[serde(default)]
    pub safetensors: Option<SafeTensorsInfo>,
    /// Storage used, in bytes.
    #[serde(default)]
    pub used_storage: Option<u64>,
    /// Every other key of the answer.
    #[serde(flatten)]
    pub extra: BTreeMap<String, Value>,
}

/// `GET /api/datasets/{repo_id}[/revision/{rev}]`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct DatasetInfo {
    /// Repository id.
    pub id: String,
    /// Author (namespace).
    #[serde(default)]
    pub author: Option<String>,
    /// Commit of the requested revision.
    #[serde(default)]
    pub sha: Option<String>,
    /// Creation date.
    #[serde(default, with = "date")]
    pub created_at: Option<DateTime<Utc>>,
    /// Date of the last commit.
    #[serde(default, with = "date")]
    pub last_modified: Option<DateTime<Utc>>,
    /// Whether the repository is private.
    #[serde(default)]
    pub private: Option<bool>,
    /// Gating.
    #[serde(default)]
    pub gated: Option<Gated>,
    /// Whether the repository is disabled.
    #[serde(default)]
    pub disabled: Option<bool>,
    /// Downloads in the last 30 days.
    #[serde(default)]
    pub downloads: Option<u64>,
    /// Downloads since creation.
    #[serde(default)]
    pub downloads_all_time: Option<u64>,
    /// Number of likes.
    #[serde(default)]
    pub likes: Option<u64>,
    /// Papers with Code id.
    #[serde(default, rename = "paperswithcode_id")]
    pub paperswithcode_id: Option<String>,
    /// Tags.
    #[serde(default)]
    pub tags: Option<Vec<String>>,
    /// Trending score.
    #[serde(default)]
    pub trending_score: Option<f64>,
    /// Dataset card metadata.
    #[serde(default)]
    pub card_data: Option<Value>,
    /// Files (`None` when the server did not list them).
    #[serde(default)]
    pub siblings: Option<Vec<RepoSibling>>,
    /// Citation text.
    #[serde(default)]
    pub citation: Option<String>,
    /// Description.
    #[serde(default)]
    pub description: Option<String>,
    /// Storage used, in bytes.
    #[serde(default)]
    pub used_storage: Option<u64>,
    /// Every other key of the answer.
    #[serde(flatten)]
    pub extra: BTreeMap<String, Value>,
}

/// Stage of a Space.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum SpaceStage {
    /// No app file yet.
    NoAppFile,
    /// Invalid configuration.
    ConfigError,
    /// Building.
    Building,
    /// Build failed.
    BuildError,
    /// Running.
    Running,
    /// Running while a new version builds.
    RunningBuilding,
    /// Crashed at runtime.
    RuntimeError,
    /// Being deleted.
    Deleting,
    /// Stopped.
    Stopped,
    /// Paused by its owner.
    Paused,
    /// Sleeping after inactivity.
    Sleeping,
    /// A stage this version does not know.
    Unknown(String),
}

impl From<&str> for SpaceStage {
    fn from(s: &str) -> Self {
        match s {
            "NO_APP_FILE" => Self::NoAppFile,
            "CONFIG_ERROR" => Self::ConfigError,
            "BUILDING" => Self::Building,
            "BUILD_ERROR" => Self::BuildError,
            "RUNNING" => Self::Running,
            "RUNNING_BUILDING" => Self::RunningBuilding,
            "RUNTIME_ERROR" => Self::RuntimeError,
            "DELETING" => Self::Deleting,
            "STOPPED" => Self::Stopped,
            "PAUSED" => Self::Paused,
            "SLEEPING" => Self::Sleeping,
            other => Self::Unknown(other.to_owned()),
        }
    }
}

/// Runtime information of a Space (`runtime` of `space_info`, and the answer of the Space
/// runtime API). Deserialized from the Hub's JSON, whose whole object is kept in `raw`.
#[derive(Debug, Clone, PartialEq)]
pub struct SpaceRuntime {
    /// Current stage.
    pub stage: SpaceStage,
    /// Hardware in use (`None` while building or for static Spaces).
    pub hardware: Option<SpaceHardware>,
    /// Hardware requested.
    pub requested_hardware: Option<SpaceHardware>,
    /// Seconds of inactivity before the Space sleeps (`gcTimeout`).
    pub sleep_time: Option<u64>,
    /// Persistent storage tier.
    pub storage: Option<String>,
    /// The whole JSON object.
    pub raw: Value,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct RuntimeWire {
    stage: String,
    #[serde(default)]
    hardware: Option<HardwareWire>,
    #[serde(default)]
    gc_timeout: Option<u64>,
    #[serde(default)]
    storage: Option<Value>,
}

#[derive(Deserialize)]
struct HardwareWire {
    #[serde(default)]
    current: Option<String>,
    #[serde(default)]
    requested: Option<String>,
}

impl SpaceRuntime {
    /// Parses the runtime object that `url` answered.
    pub fn from_value(raw: Value, url: &str) -> crate::Result<Self> {
        SpaceRuntime::parse(raw)
            .map_err(|e| crate::Error::decode(url, format!("invalid Space runtime: {e}")))
    }

    fn parse(raw: Value) -> std::result::Result<Self, serde_json::Error> {
        let wire: RuntimeWire = serde_json::from_value(raw.clone())?;
        let (hardware, requested_hardware) = match wire.hardware {
            Some(h) => (
                h.current.map(SpaceHardware::from),
                h.requested.map(SpaceHardware::from),
            ),
            None => (None, None),
        };
        // `storage` is null, a tier name, or an object with the tier.
        let storage = match wire.storage {
            Some(Value::String(s)) => Some(s),
            Some(Value::Object(o)) => o
                .get("requested")
                .or_else(|| o.get("current"))
                .and_then(|v| v.as_str())
                .map(str::to_owned),
            _ => None,
        };
        Ok(Self {
            stage: SpaceStage::from(wire.stage.as_str()),
            hardware,
            requested_hardware,
            sleep_time: wire.gc_timeout,
            storage,
            raw,
        })
    }
}

impl<'de> Deserialize<'de> for SpaceRuntime {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> std::result::Result<Self, D::Error> {
        let raw = Value::deserialize(d)?;
        SpaceRuntime::parse(raw).map_err(serde::de::Error::custom)
    }
}

impl Serialize for SpaceRuntime {
    fn serialize<S: serde::Serializer>(&self, s: S) -> std::result::Result<S::Ok, S::Error> {
        self.raw.serialize(s)
    }
}

/// `GET /api/spaces/{repo_id}[/revision/{rev}]`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SpaceInfo {
    /// Repository id.
    pub id: String,
    /// Author (namespace).
    #[serde(default)]
    pub author: Option<String>,
    /// Commit of the requested revision.
    #[serde(default)]
    pub sha: Option<String>,
    /// Creation date.
    #[serde(default, with = "date")]
    pub created_at: Option<DateTime<Utc>>,
    /// Date of the last commit.
    #[serde(default, with = "date")]
    pub last_modified: Option<DateTime<Utc>>,
    /// Whether the repository is private.
    #[serde(default)]
    pub private: Option<bool>,
    /// Gating.
    #[serde(default)]
    pub gated: Option<Gated>,
    /// Whether the repository is disabled.
    #[serde(default)]
    pub disabled: Option<bool>,
    /// Host serving the Space.
    #[serde(default)]
    pub host: Option<String>,
    /// Subdomain of the Space.
    #[serde(default)]
    pub subdomain: Option<String>,
    /// Number of likes.
    #[serde(default)]
    pub likes: Option<u64>,
    /// SDK (`gradio`, `streamlit`, `docker`, `static`).
    #[serde(default)]
    pub sdk: Option<String>,
    /// Tags.
    #[serde(default)]
    pub tags: Option<Vec<String>>,
    /// Trending score.
    #[serde(default)]
    pub trending_score: Option<f64>,
    /// Space card metadata.
    #[serde(default)]
    pub card_data: Option<Value>,
    /// Files (`None` when the server did not list them).
    #[serde(default)]
    pub siblings: Option<Vec<RepoSibling>>,
    /// Runtime state.
    #[serde(default)]
    pub runtime: Option<SpaceRuntime>,
    /// Models used by the Space.
    #[serde(default)]
    pub models: Option<Vec<String>>,
    /// Datasets used by the Space.
    #[serde(default)]
    pub datasets: Option<Vec<String>>,
    /// Storage used, in bytes.
    #[serde(default)]
    pub used_storage: Option<u64>,
    /// Every other key of the answer.
    #[serde(flatten)]
    pub extra: BTreeMap<String, Value>,
}

/// The info of a repository of any type (what `repo_info` returns).
#[derive(Debug, Clone, PartialEq)]
pub enum RepoInfo {
    /// A model.
    Model(ModelInfo),
    /// A dataset.
    Dataset(DatasetInfo),
    /// A Space.
    Space(SpaceInfo),
}

impl RepoInfo {
    /// Repository id.
    pub fn id(&self) -> &str {
        match self {
            RepoInfo::Model(i) => &i.id,
            RepoInfo::Dataset(i) => &i.id,
            RepoInfo::Space(i) => &i.id,
        }
    }
    /// Commit of the requested revision.
    pub fn sha(&self) -> Option<&str> {
        match self {
            RepoInfo::Model(i) => i.sha.as_deref(),
            RepoInfo::Dataset(i) => i.sha.as_deref(),
            RepoInfo::Space(i) => i.sha.as_deref(),
        }
    }
    /// Files, when listed.
    pub fn siblings(&self) -> Option<&[RepoSibling]> {
        match self {
            RepoInfo::Model(i) => i.siblings.as_deref(),
            RepoInfo::Dataset(i) => i.siblings.as_deref(),
            RepoInfo::Space(i) => i.siblings.as_deref(),
        }
    }
    /// Whether private (when the server said).
    pub fn private(&self) -> Option<bool> {
        match self {
            RepoInfo::Model(i) => i.private,
            RepoInfo::Dataset(i) => i.private,
            RepoInfo::Space(i) => i.private,
        }
    }
    /// Gating (when the server said).
    pub fn gated(&self) -> Option<&Gated> {
        match self {
            RepoInfo::Model(i) => i.gated.as_ref(),
            RepoInfo::Dataset(i) => i.gated.as_ref(),
            RepoInfo::Space(i) => i.gated.as_ref(),
        }
    }
    /// Date of the last commit.
    pub fn last_modified(&self) -> Option<DateTime<Utc>> {
        match self {
            RepoInfo::Model(i) => i.last_modified,
            RepoInfo::Dataset(i) => i.last_modified,
            RepoInfo::Space(i) => i.last_modified,
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Tree

/// `lastCommit` of a tree item (only with `expand`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct LastCommitInfo {
    /// Commit id.
    #[serde(rename = "id")]
    pub oid: String,
    /// Commit title.
    pub title: String,
    /// Commit date.
    #[serde(default, with = "date")]
    pub date: Option<DateTime<Utc>>,
}

/// Security scan of a file (`security`, or `securityFileStatus` for newer servers).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct BlobSecurityInfo {
    /// Whether the file is considered safe.
    #[serde(default)]
    pub safe: Option<bool>,
    /// `status` (`safe`, `unsafe`, ...), as newer servers send it.
    #[serde(default)]
    pub status: Option<String>,
    /// Antivirus scan result.
    #[serde(default)]
    pub av_scan: Option<Value>,
    /// Pickle import scan result.
    #[serde(default)]
    pub pickle_import_scan: Option<Value>,
}

/// A file of a tree listing or paths-info answer.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct RepoFile {
    /// Path in the repository.
    pub path: String,
    /// Size in bytes (real content size for LFS files).
    pub size: u64,
    /// Git blob id.
    #[serde(rename = "oid")]
    pub blob_id: String,
    /// LFS details, for LFS files.
    #[serde(default)]
    pub lfs: Option<BlobLfsInfo>,
    /// Xet hash, for Xet-backed files (newer servers).
    #[serde(default)]
    pub xet_hash: Option<String>,
    /// Last commit touching the file (only with `expand`).
    #[serde(default)]
    pub last_commit: Option<LastCommitInfo>,
    /// Security scan as 0.26 reads it (`security`, only with `expand`).
    #[serde(default)]
    pub security: Option<Box<BlobSecurityInfo>>,
    /// Security scan as newer clients read it (`securityFileStatus`, only with `expand`).
    #[serde(default)]
    pub security_file_status: Option<Box<BlobSecurityInfo>>,
}

/// A folder of a tree listing or paths-info answer.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct RepoFolder {
    /// Path in the repository.
    pub path: String,
    /// Git tree id.
    #[serde(rename = "oid")]
    pub tree_id: String,
    /// Last commit touching the folder (only with `expand`).
    #[serde(default)]
    pub last_commit: Option<LastCommitInfo>,
}

/// An item of a tree listing: a file or a folder. As in Python, `type == "file"` means a file
/// and anything else a folder.
#[derive(Debug, Clone, PartialEq)]
pub enum RepoEntry {
    /// A file.
    File(RepoFile),
    /// A folder.
    Folder(RepoFolder),
}

impl RepoEntry {
    /// Path in the repository.
    pub fn path(&self) -> &str {
        match self {
            RepoEntry::File(f) => &f.path,
            RepoEntry::Folder(f) => &f.path,
        }
    }
    /// Whether this is a file.
    pub fn is_file(&self) -> bool {
        matches!(self, RepoEntry::File(_))
    }
    /// The file, if this is one.
    pub fn as_file(&self) -> Option<&RepoFile> {
        match self {
            RepoEntry::File(f) => Some(f),
            RepoEntry::Folder(_) => None,
        }
    }
    /// Last commit touching the entry (only with `expand`).
    pub fn last_commit(&self) -> Option<&LastCommitInfo> {
        match self {
            RepoEntry::File(f) => f.last_commit.as_ref(),
            RepoEntry::Folder(f) => f.last_commit.as_ref(),
        }
    }
}

impl Serialize for RepoEntry {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        #[derive(Serialize)]
        struct Tagged<'a, T> {
            #[serde(rename = "type")]
            kind: &'static str,
            #[serde(flatten)]
            inner: &'a T,
        }
        match self {
            RepoEntry::File(f) => Tagged {
                kind: "file",
                inner: f,
            }
            .serialize(s),
            RepoEntry::Folder(f) => Tagged {
                kind: "directory",
                inner: f,
            }
            .serialize(s),
        }
    }
}

impl<'de> Deserialize<'de> for RepoEntry {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let v = Value::deserialize(d)?;
        let is_file = v.get("type").and_then(Value::as_str) == Some("file");
        if is_file {
            RepoFile::deserialize(v)
                .map(RepoEntry::File)
                .map_err(serde::de::Error::custom)
        } else {
            RepoFolder::deserialize(v)
                .map(RepoEntry::Folder)
                .map_err(serde::de::Error::custom)
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Refs and commits

/// One ref of [`GitRefs`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct GitRefInfo {
    /// Short name (`main`, `v1`, `parquet`, PR title).
    pub name: String,
    /// Full ref (`refs/heads/main`, `refs/tags/v1`, `refs/pr/1`).
    #[serde(rename = "ref")]
    pub git_ref: String,
    /// Commit the ref points at.
    pub target_commit: String,
}

/// `GET /api/{type}s/{repo_id}/refs`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct GitRefs {
    /// Branches.
    #[serde(default)]
    pub branches: Vec<GitRefInfo>,
    /// Conversion refs (`refs/convert/parquet`, ...).
    #[serde(default)]
    pub converts: Vec<GitRefInfo>,
    /// Tags.
    #[serde(default)]
    pub tags: Vec<GitRefInfo>,
    /// Pull requests (only when asked for).
    #[serde(default)]
    pub pull_requests: Option<Vec<GitRefInfo>>,
}

/// An author of a [`GitCommitInfo`] as sent on the wire.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CommitAuthor {
    /// User name.
    #[serde(default)]
    pub user: Option<String>,
    /// Avatar URL.
    #[serde(default)]
    pub avatar: Option<String>,
}

/// `formatted` part of a commit (HTML), only with `formatted`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FormattedCommit {
    /// Title as HTML.
    #[serde(default)]
    pub title: Option<String>,
    /// Message as HTML.
    #[serde(default)]
    pub message: Option<String>,
}

/// An item of `GET /api/{type}s/{repo_id}/commits/{rev}` (newest first).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct GitCommitInfo {
    /// Commit id.
    #[serde(rename = "id")]
    pub commit_id: String,
    /// Authors.
    #[serde(default)]
    pub authors: Vec<CommitAuthor>,
    /// Commit date.
    #[serde(default, rename = "date", with = "date")]
    pub created_at: Option<DateTime<Utc>>,
    /// Summary line.
    #[serde(default)]
    pub title: String,
    /// Full message.
    #[serde(default)]
    pub message: String,
    /// HTML forms (only with `formatted`).
    #[serde(default)]
    pub formatted: Option<FormattedCommit>,
}

impl GitCommitInfo {
    /// Author user names, as Python's `GitCommitInfo.authors`.
    pub fn author_names(&self) -> Vec<&str> {
        self.authors
            .iter()
            .filter_map(|a| a.user.as_deref())
            .collect()
    }
}

/// What the commit endpoint (`POST /api/{type}s/{repo_id}/commit/{rev}`) answers.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct CommitResponse {
    /// URL of the commit.
    pub commit_url: String,
    /// Commit id.
    pub commit_oid: String,
    /// URL of the pull request (with `create_pr`).
    #[serde(default)]
    pub pull_request_url: Option<String>,
}

static PR_URL_REGEX: LazyLock<Option<regex::Regex>> =
    LazyLock::new(|| regex::Regex::new(r".*/discussions/(\d+)$").ok());

/// The result of a write that creates a commit (`create_commit`, `upload_file`, `super_squash`...).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CommitInfo {
    /// URL of the commit.
    pub commit_url: String,
    /// Commit message (summary) given by the caller.
    pub commit_message: String,
    /// Commit description given by the caller.
    pub commit_description: String,
    /// Commit id.
    pub oid: String,
    /// URL of the pull request, when one was opened.
    pub pr_url: Option<String>,
    /// `refs/pr/N` of that pull request.
    pub pr_revision: Option<String>,
    /// `N` of that pull request.
    pub pr_num: Option<u64>,
    /// URL of the repository (the commit URL cut at `/commit/`).
    pub repo_url: String,
}

impl CommitInfo {
    /// Builds the info as Python's `CommitInfo.__post_init__`: the repository URL is the part
    /// of `commit_url` before `/commit/`, and `pr_revision`/`pr_num` come from a PR URL ending
    /// in `/discussions/N`.
    pub fn new(
        commit_url: impl Into<String>,
        oid: impl Into<String>,
        commit_message: impl Into<String>,
        commit_description: impl Into<String>,
        pr_url: Option<String>,
    ) -> Self {
        let commit_url = commit_url.into();
        let repo_url = commit_url
            .split("/commit/")
            .next()
            .unwrap_or(&commit_url)
            .to_owned();
        let pr_num = pr_url.as_deref().and_then(|u| {
            PR_URL_REGEX
                .as_ref()
                .and_then(|re| re.captures(u))
                .and_then(|c| c.get(1))
                .and_then(|m| m.as_str().parse::<u64>().ok())
        });
        CommitInfo {
            commit_url,
            commit_message: commit_message.into(),
            commit_description: commit_description.into(),
            oid: oid.into(),
            pr_revision: pr_num.map(|n| format!("refs/pr/{n}")),
            pr_num,
            pr_url,
            repo_url,
        }
    }

    /// Builds the info from the commit endpoint's answer and the caller's message.
    pub fn from_response(
        resp: CommitResponse,
        commit_message: impl Into<String>,
        commit_description: impl Into<String>,
    ) -> Self {
        CommitInfo::new(
            resp.commit_url,
            resp.commit_oid,
            commit_message,
            commit_description,
            resp.pull_request_url,
        )
    }

    /// The page to show a user for this commit: the pull request's URL when one was opened,
    /// else the commit URL. (`Display` stays the commit URL, as Python's `str(CommitInfo)`;
    /// hub-upload's former own `CommitInfo` displayed this value instead.)
    pub fn url(&self) -> &str {
        self.pr_url.as_deref().unwrap_or(&self.commit_url)
    }
}

impl std::fmt::Display for CommitInfo {
    /// Shows the commit URL, as Python's `CommitInfo` (a `str` subclass) does.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.commit_url)
    }
}

// ---------------------------------------------------------------------------------------------
// File metadata

/// What the metadata HEAD of a file says (`get_hf_file_metadata`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct HfFileMetadata {
    /// Commit the revision resolved to (`X-Repo-Commit`).
    pub commit_hash: String,
    /// Normalised etag: `X-Linked-Etag` else `ETag`, without `W/` and quotes. For LFS files
    /// it is the sha256 of the content, otherwise the git blob sha1. It names the cache blob.
    pub etag: String,
    /// Where to download from: the absolute `Location` of a redirect (a CDN or another host),
    /// else the URL that answered (after relative redirects).
    pub location: String,
    /// Size in bytes (`X-Linked-Size` else `Content-Length`).
    pub size: u64,
}

// ---------------------------------------------------------------------------------------------
// Repository CRUD

/// SDK of a Space.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum SpaceSdk {
    /// Gradio.
    Gradio,
    /// Streamlit.
    Streamlit,
    /// Docker.
    Docker,
    /// Static HTML.
    Static,
}

impl SpaceSdk {
    /// The wire name.
    pub fn as_str(self) -> &'static str {
        match self {
            SpaceSdk::Gradio => "gradio",
            SpaceSdk::Streamlit => "streamlit",
            SpaceSdk::Docker => "docker",
            SpaceSdk::Static => "static",
        }
    }
}

impl std::str::FromStr for SpaceSdk {
    type Err = crate::Error;
    fn from_str(s: &str) -> crate::Result<Self> {
        match s {
            "gradio" => Ok(SpaceSdk::Gradio),
            "streamlit" => Ok(SpaceSdk::Streamlit),
            "docker" => Ok(SpaceSdk::Docker),
            "static" => Ok(SpaceSdk::Static),
            other => Err(crate::Error::invalid_argument(format!(
                "Invalid space_sdk '{other}'. Please choose among gradio, streamlit, docker, static."
            ))),
        }
    }
}

/// Persistent storage tier of a Space.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum SpaceStorage {
    /// 20 GB.
    Small,
    /// 150 GB.
    Medium,
    /// 1 TB.
    Large,
}

/// Hardware flavor of a Space (Python's `SpaceHardware`): every flavor Python 0.26.5 and 2.4
/// name, and [`SpaceHardware::Other`] for one the Hub adds later, so a runtime never fails to
/// parse. Converts from and to the wire string (`"t4-medium"`).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum SpaceHardware {
    /// `cpu-basic`: 2 vCPU, 16 GB, free.
    CpuBasic,
    /// `cpu-upgrade`: 8 vCPU, 32 GB.
    CpuUpgrade,
    /// `zero-a10g`: ZeroGPU: A10G shared on demand.
    ZeroA10g,
    /// `t4-small`: Nvidia T4, 4 vCPU, 15 GB.
    T4Small,
    /// `t4-medium`: Nvidia T4, 8 vCPU, 30 GB.
    T4Medium,
    /// `l4x1`: One Nvidia L4.
    L4x1,
    /// `l4x4`: Four Nvidia L4.
    L4x4,
    /// `l40sx1`: One Nvidia L40S.
    L40sx1,
    /// `l40sx4`: Four Nvidia L40S.
    L40sx4,
    /// `l40sx8`: Eight Nvidia L40S.
    L40sx8,
    /// `a10g-small`: Nvidia A10G, small.
    A10gSmall,
    /// `a10g-large`: Nvidia A10G, large.
    A10gLarge,
    /// `a10g-largex2`: Two Nvidia A10G, large.
    A10gLargex2,
    /// `a10g-largex4`: Four Nvidia A10G, large.
    A10gLargex4,
    /// `a100-large`: Nvidia A100, large.
    A100Large,
    /// `a100x4`: Four Nvidia A100.
    A100x4,
    /// `a100x8`: Eight Nvidia A100.
    A100x8,
    /// `v5e-1x1`: Google TPU v5e 1×1.
    V5e1x1,
    /// `v5e-2x2`: Google TPU v5e 2×2.
    V5e2x2,
    /// `v5e-2x4`: Google TPU v5e 2×4.
    V5e2x4,
    /// `rtx-pro-6000`: One Nvidia RTX PRO 6000.
    RtxPro6000,
    /// `rtx-pro-6000x2`: Two Nvidia RTX PRO 6000.
    RtxPro6000x2,
    /// `rtx-pro-6000x4`: Four Nvidia RTX PRO 6000.
    RtxPro6000x4,
    /// `rtx-pro-6000x8`: Eight Nvidia RTX PRO 6000.
    RtxPro6000x8,
    /// A flavor this version does not know, kept verbatim.
    Other(String),
}

impl SpaceHardware {
    const KNOWN: &'static [(SpaceHardware, &'static str)] = &[
        (SpaceHardware::CpuBasic, "cpu-basic"),
        (SpaceHardware::CpuUpgrade, "cpu-upgrade"),
        (SpaceHardware::ZeroA10g, "zero-a10g"),
        (SpaceHardware::T4Small, "t4-small"),
        (SpaceHardware::T4Medium, "t4-medium"),
        (SpaceHardware::L4x1, "l4x1"),
        (SpaceHardware::L4x4, "l4x4"),
        (SpaceHardware::L40sx1, "l40sx1"),
        (SpaceHardware::L40sx4, "l40sx4"),
        (SpaceHardware::L40sx8, "l40sx8"),
        (SpaceHardware::A10gSmall, "a10g-small"),
        (SpaceHardware::A10gLarge, "a10g-large"),
        (SpaceHardware::A10gLargex2, "a10g-largex2"),
        (SpaceHardware::A10gLargex4, "a10g-largex4"),
        (SpaceHardware::A100Large, "a100-large"),
        (SpaceHardware::A100x4, "a100x4"),
        (SpaceHardware::A100x8, "a100x8"),
        (SpaceHardware::V5e1x1, "v5e-1x1"),
        (SpaceHardware::V5e2x2, "v5e-2x2"),
        (SpaceHardware::V5e2x4, "v5e-2x4"),
        (SpaceHardware::RtxPro6000, "rtx-pro-6000"),
        (SpaceHardware::RtxPro6000x2, "rtx-pro-6000x2"),
        (SpaceHardware::RtxPro6000x4, "rtx-pro-6000x4"),
        (SpaceHardware::RtxPro6000x8, "rtx-pro-6000x8"),
    ];

    /// The flavor as the Hub spells it.
    pub fn as_str(&self) -> &str {
        match self {
            SpaceHardware::Other(s) => s,
            known => Self::KNOWN
                .iter()
                .find(|(k, _)| k == known)
                .map_or("", |(_, wire)| wire),
        }
    }
}

impl From<&str> for SpaceHardware {
    fn from(s: &str) -> Self {
        Self::KNOWN
            .iter()
            .find(|(_, wire)| *wire == s)
            .map_or_else(|| SpaceHardware::Other(s.to_owned()), |(k, _)| k.clone())
    }
}

impl From<String> for SpaceHardware {
    fn from(s: String) -> Self {
        SpaceHardware::from(s.as_str())
    }
}

impl std::fmt::Display for SpaceHardware {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

impl Serialize for SpaceHardware {
    fn serialize<S: serde::Serializer>(&self, s: S) -> std::result::Result<S::Ok, S::Error> {
        s.serialize_str(self.as_str())
    }
}

impl<'de> Deserialize<'de> for SpaceHardware {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> std::result::Result<Self, D::Error> {
        Ok(SpaceHardware::from(String::deserialize(d)?))
    }
}

impl SpaceStorage {
    /// The tier as the Hub spells it (`"small"`, `"medium"`, `"large"`).
    pub fn as_str(self) -> &'static str {
        match self {
            SpaceStorage::Small => "small",
            SpaceStorage::Medium => "medium",
            SpaceStorage::Large => "large",
        }
    }
}

/// A secret or variable of a Space (`{"key", "value", "description"}`).
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SpaceKeyValue {
    /// Name.
    pub key: String,
    /// Value.
    pub value: String,
    /// Optional description.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
}

impl SpaceKeyValue {
    /// A key/value without description.
    pub fn new(key: impl Into<String>, value: impl Into<String>) -> Self {
        SpaceKeyValue {
            key: key.into(),
            value: value.into(),
            description: None,
        }
    }
}

impl std::fmt::Debug for SpaceKeyValue {
    /// Never shows the value: secrets travel in this type.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SpaceKeyValue")
            .field("key", &self.key)
            .field("description", &self.description)
            .finish_non_exhaustive()
    }
}

/// Answer of `POST /api/repos/create` and `POST /api/spaces/{id}/duplicate` (also the body of
/// their 409).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CreateRepoResponse {
    /// URL of the repository.
    pub url: String,
    /// `ns/name`, when sent.
    #[serde(default)]
    pub name: Option<String>,
    /// Object id, when sent.
    #[serde(default)]
    pub id: Option<String>,
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn dates_with_and_without_fraction() {
        let a = parse_hub_date("2024-05-01T12:34:56.789Z").unwrap();
        let b = parse_hub_date("2024-05-01T12:34:56Z").unwrap();
        let c = parse_hub_date("2024-05-01T12:34:56.789123456Z").unwrap();
        let d = parse_hub_date("2024-05-01T14:34:56.789+02:00").unwrap();
        let e = parse_hub_date("2024-05-01T12:34:56.789").unwrap();
        assert_eq!((a - b).num_milliseconds(), 789);
        assert_eq!(a, d);
        assert_eq!(a, e);
        assert_eq!(c.timestamp_subsec_nanos(), 789_123_456);
        assert!(parse_hub_date("").is_none());
        assert!(parse_hub_date("2024-13-01T00:00:00Z").is_none());
    }

    #[test]
    fn model_info_recorded_like() {
        let json = r#"{
            "_id": "621ffdc036468d709f174338", "id": "openai-community/gpt2",
            "modelId": "openai-community/gpt2", "author": "openai-community",
            "sha": "607a30d783dfa663caf39e06633721c8d4cfcd7e",
            "lastModified": "2024-02-19T10:57:45.000Z", "createdAt": "2022-03-02T23:29:04Z",
            "private": false, "gated": false, "disabled": false, "downloads": 17000000,
            "likes": 2300, "library_name": "transformers", "pipeline_tag": "text-generation",
            "tags": ["transformers", "pytorch"], "mask_token": null,
            "cardData": {"language": "en"}, "widgetData": [{"text": "Hello"}],
            "model-index": null, "config": {"model_type": "gpt2"},
            "transformersInfo": {"auto_model": "AutoModelForCausalLM", "pipeline_tag": "text-generation", "processor": "AutoTokenizer"},
            "safetensors": {"parameters": {"F32": 137022720}, "total": 137022720},
            "siblings": [
                {"rfilename": ".gitattributes"},
                {"rfilename": "model.safetensors", "size": 548105171, "blobId": "a7a9d5", "lfs": {"sha256": "248dfc", "size": 548105171, "pointerSize": 135}}
            ],
            "spaces": ["a/b"], "usedStorage": 12, "brandNewField": {"x": 1}
        }"#;
        let m: ModelInfo = serde_json::from_str(json).unwrap();
        assert_eq!(m.id, "openai-community/gpt2");
        assert_eq!(
            m.sha.as_deref(),
            Some("607a30d783dfa663caf39e06633721c8d4cfcd7e")
        );
        assert_eq!(m.gated, Some(Gated::Disabled));
        assert_eq!(
            m.created_at.unwrap().to_rfc3339(),
            "2022-03-02T23:29:04+00:00"
        );
        assert!(m.last_modified.is_some());
        assert_eq!(m.library_name.as_deref(), Some("transformers"));
        assert_eq!(
            m.transformers_info.unwrap().auto_model,
            "AutoModelForCausalLM"
        );
        assert_eq!(m.safetensors.unwrap().total, 137022720);
        let sib = m.siblings.unwrap();
        assert_eq!(sib[1].lfs.as_ref().unwrap().pointer_size, 135);
        assert_eq!(sib[0].size, None);
        assert_eq!(m.extra["brandNewField"]["x"], 1);
        assert_eq!(m.extra["modelId"], "openai-community/gpt2");
        // Only `id` is required.
        let m: ModelInfo = serde_json::from_str(r#"{"id":"x"}"#).unwrap();
        assert!(m.siblings.is_none() && m.sha.is_none() && m.tags.is_none());
        assert!(serde_json::from_str::<ModelInfo>(r#"{"sha":"x"}"#).is_err());
        // Unparseable dates do not fail the object.
        let m: ModelInfo =
            serde_json::from_str(r#"{"id":"x","lastModified":"soon","createdAt":5}"#).unwrap();
        assert!(m.last_modified.is_none() && m.created_at.is_none());
    }

    #[test]
    fn dataset_and_space_info() {
        let d: DatasetInfo = serde_json::from_str(
            r#"{"id":"ns/d","gated":"manual","paperswithcode_id":"squad","downloads":3,
                "lastModified":"2024-01-01T00:00:00.000Z","citation":"@x","x":1}"#,
        )
        .unwrap();
        assert_eq!(d.gated, Some(Gated::Manual));
        assert_eq!(d.paperswithcode_id.as_deref(), Some("squad"));
        assert!(d.last_modified.is_some());
        let s: SpaceInfo = serde_json::from_str(
            r#"{"id":"ns/s","sdk":"gradio","gated":"auto","subdomain":"ns-s",
                "runtime":{"stage":"RUNNING","hardware":{"current":"cpu-basic","requested":"cpu-basic"},"gcTimeout":172800,"replicas":{"current":1}},
                "models":["m"],"datasets":[]}"#,
        )
        .unwrap();
        let rt = s.runtime.unwrap();
        assert_eq!(rt.stage, SpaceStage::Running);
        assert_eq!(rt.hardware, Some(SpaceHardware::CpuBasic));
        assert_eq!(rt.requested_hardware, Some(SpaceHardware::CpuBasic));
        assert_eq!(rt.sleep_time, Some(172800));
        assert!(rt.raw.get("replicas").is_some());
        assert_eq!(s.gated, Some(Gated::Auto));
        let g: Gated = serde_json::from_str("\"weird\"").unwrap();
        assert_eq!(g, Gated::Other("weird".into()));
        assert_eq!(serde_json::to_string(&Gated::Disabled).unwrap(), "false");
    }

    #[test]
    fn tree_entries() {
        let items: Vec<RepoEntry> = serde_json::from_str(
            r#"[
              {"type":"file","path":"a/model.bin","oid":"abc","size":10,
               "lfs":{"oid":"e3b0","size":10,"pointerSize":134},
               "lastCommit":{"id":"c1","title":"init","date":"2024-01-01T00:00:00Z"},
               "security":{"safe":true,"avScan":{"virusFound":false},"pickleImportScan":null}},
              {"type":"directory","path":"a","oid":"tree1","size":0},
              {"type":"something-new","path":"b","oid":"tree2"},
              {"type":"file","path":"c.txt","oid":"d","size":3,"securityFileStatus":{"status":"safe"}},
              {"type":"file","path":"e.txt","oid":"e","size":3,"security":{"safe":true},"securityFileStatus":{"status":"safe"}}
            ]"#,
        )
        .unwrap();
        let f = items[0].as_file().unwrap();
        assert_eq!(f.lfs.as_ref().unwrap().sha256, "e3b0");
        assert_eq!(f.last_commit.as_ref().unwrap().oid, "c1");
        assert!(f.last_commit.as_ref().unwrap().date.is_some());
        assert_eq!(f.security.as_ref().unwrap().safe, Some(true));
        assert!(matches!(&items[1], RepoEntry::Folder(d) if d.tree_id == "tree1"));
        assert!(!items[2].is_file());
        let status = |i: usize| {
            items[i]
                .as_file()
                .unwrap()
                .security_file_status
                .as_ref()
                .unwrap()
                .status
                .clone()
        };
        assert_eq!(status(3).as_deref(), Some("safe"));
        // Servers speaking to both client generations send both keys.
        assert_eq!(status(4).as_deref(), Some("safe"));
        assert_eq!(
            items[4].as_file().unwrap().security.as_ref().unwrap().safe,
            Some(true)
        );
        // A file without its required keys is an error, not a folder.
        assert!(serde_json::from_str::<RepoEntry>(r#"{"type":"file","path":"x"}"#).is_err());
        // Round trip keeps the type tag.
        let v = serde_json::to_value(&items[1]).unwrap();
        assert_eq!(v["type"], "directory");
        assert_eq!(serde_json::from_value::<RepoEntry>(v).unwrap(), items[1]);
    }

    #[test]
    fn refs_and_commits() {
        let r: GitRefs = serde_json::from_str(
            r#"{"branches":[{"name":"main","ref":"refs/heads/main","targetCommit":"aa"}],
                "converts":[],"tags":[{"name":"v1","ref":"refs/tags/v1","targetCommit":"bb"}]}"#,
        )
        .unwrap();
        assert_eq!(r.branches[0].git_ref, "refs/heads/main");
        assert_eq!(r.tags[0].target_commit, "bb");
        assert!(r.pull_requests.is_none());
        let c: GitCommitInfo = serde_json::from_str(
            r#"{"id":"aa","authors":[{"user":"alice","avatar":"x"},{}],"date":"2024-01-01T00:00:00.123Z",
                "title":"t","message":"t\n\nbody","formatted":{"title":"<p>t</p>"}}"#,
        )
        .unwrap();
        assert_eq!(c.author_names(), vec!["alice"]);
        assert_eq!(c.created_at.unwrap().timestamp_subsec_millis(), 123);
        assert_eq!(c.formatted.unwrap().title.as_deref(), Some("<p>t</p>"));
    }

    #[test]
    fn commit_info_derivations() {
        let resp: CommitResponse = serde_json::from_str(
            r#"{"commitUrl":"http://h/ns/r/commit/abc","commitOid":"abc","pullRequestUrl":"http://h/ns/r/discussions/12","success":true}"#,
        )
        .unwrap();
        let ci = CommitInfo::from_response(resp, "msg", "");
        assert_eq!(ci.repo_url, "http://h/ns/r");
        assert_eq!(ci.pr_num, Some(12));
        assert_eq!(ci.pr_revision.as_deref(), Some("refs/pr/12"));
        assert_eq!(ci.to_string(), "http://h/ns/r/commit/abc");
        assert_eq!(ci.url(), "http://h/ns/r/discussions/12");
        let ci = CommitInfo::new("http://h/datasets/ns/r/commit/x", "x", "m", "d", None);
        assert_eq!(ci.repo_url, "http://h/datasets/ns/r");
        assert!(ci.pr_num.is_none() && ci.pr_revision.is_none());
        assert_eq!(ci.url(), "http://h/datasets/ns/r/commit/x");
    }

    #[test]
    fn create_repo_answers() {
        let r: CreateRepoResponse = serde_json::from_str(
            r#"{"error":"You already created this model repo","url":"http://h/ns/x","name":"ns/x","id":"65f"}"#,
        )
        .unwrap();
        assert_eq!(r.url, "http://h/ns/x");
        assert_eq!(r.name.as_deref(), Some("ns/x"));
        let r: CreateRepoResponse = serde_json::from_str(r#"{"url":"u"}"#).unwrap();
        assert!(r.name.is_none() && r.id.is_none());
        assert!(serde_json::from_str::<CreateRepoResponse>(r#"{"name":"x"}"#).is_err());
    }

    #[test]
    fn whoami_helpers_and_secret_debug() {
        let w: WhoAmI = serde_json::from_str(
            r#"{"type":"user","name":"alice","orgs":[{"name":"acme","roleInOrg":"admin"}],
                "auth":{"type":"access_token","accessToken":{"displayName":"laptop","role":"write","createdAt":"x"}},"isPro":false}"#,
        )
        .unwrap();
        assert_eq!(w.token_role(), Some("write"));
        assert_eq!(w.token_name(), Some("laptop"));
        assert_eq!(w.orgs[0].role_in_org.as_deref(), Some("admin"));
        let kv = SpaceKeyValue::new("K", "supersecret");
        assert!(!format!("{kv:?}").contains("supersecret"));
        assert_eq!(
            serde_json::to_string(&kv).unwrap(),
            r#"{"key":"K","value":"supersecret"}"#
        );
    }

    #[test]
    fn space_hardware_round_trips_known_and_new_flavors() {
        for (known, wire) in SpaceHardware::KNOWN {
            assert_eq!(known.as_str(), *wire);
            assert_eq!(&SpaceHardware::from(*wire), known);
            assert_eq!(
                serde_json::to_value(known).unwrap(),
                serde_json::json!(wire)
            );
        }
        let new: SpaceHardware = serde_json::from_value(serde_json::json!("h100x8")).unwrap();
        assert_eq!(new, SpaceHardware::Other("h100x8".into()));
        assert_eq!(new.to_string(), "h100x8");
        assert_eq!(SpaceStorage::Large.as_str(), "large");
    }
}
