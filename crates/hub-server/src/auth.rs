//! Users, organisations and tokens, persisted in `DATA/auth.json` (written atomically).
//!
//! Tokens are stored as sha256 hashes only, so the file never holds a usable secret.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::Mutex;
use std::time::SystemTime;

use serde::{Deserialize, Serialize};

use crate::util;

/// Errors of the admin operations.
#[derive(Debug, thiserror::Error)]
pub enum AdminError {
    /// Disk I/O failed.
    #[error("i/o error on {path}: {source}")]
    Io {
        /// File involved.
        path: PathBuf,
        /// Cause.
        source: std::io::Error,
    },
    /// The auth file is not valid JSON.
    #[error("corrupt auth database {path}: {source}")]
    Corrupt {
        /// File involved.
        path: PathBuf,
        /// Cause.
        source: serde_json::Error,
    },
    /// Invalid name or argument.
    #[error("invalid argument: {0}")]
    Invalid(String),
}

/// A user account.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct User {
    /// Stable object id (24 hex chars, like the Hub's).
    pub id: String,
    /// Display name.
    pub fullname: String,
    /// E-mail address, if any.
    pub email: Option<String>,
    /// Creation date.
    pub created_at: String,
}

/// An organisation.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Org {
    /// Stable object id.
    pub id: String,
    /// Display name.
    pub fullname: String,
    /// Member user names.
    pub members: Vec<String>,
    /// Creation date.
    pub created_at: String,
}

/// An access token (only its hash is stored).
#[derive(Clone, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct TokenRecord {
    /// sha256 hex of the token.
    pub sha256: String,
    /// Owner user name.
    pub user: String,
    /// `read` or `write`.
    pub role: String,
    /// Display name of the token.
    pub display_name: String,
    /// Creation date.
    pub created_at: String,
}

impl std::fmt::Debug for TokenRecord {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TokenRecord")
            .field("user", &self.user)
            .field("role", &self.role)
            .finish_non_exhaustive()
    }
}

/// The whole auth database.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct AuthData {
    /// Users by name.
    #[serde(default)]
    pub users: BTreeMap<String, User>,
    /// Orgs by name.
    #[serde(default)]
    pub orgs: BTreeMap<String, Org>,
    /// Tokens.
    #[serde(default)]
    pub tokens: Vec<TokenRecord>,
}

impl AuthData {
    /// Looks a raw token up.
    pub fn token(&self, raw: &str) -> Option<&TokenRecord> {
        let h = util::sha256_hex(raw.as_bytes());
        self.tokens.iter().find(|t| util::ct_eq(&t.sha256, &h))
    }
    /// Orgs `user` belongs to.
    pub fn orgs_of(&self, user: &str) -> Vec<(&String, &Org)> {
        self.orgs
            .iter()
            .filter(|(_, o)| o.members.iter().any(|m| m == user))
            .collect()
    }
    /// Whether `user` may write into namespace `ns` (own name or org membership).
    pub fn can_write_namespace(&self, user: &str, ns: &str) -> bool {
        user.eq_ignore_ascii_case(ns)
            || self.orgs.iter().any(|(name, o)| {
                name.eq_ignore_ascii_case(ns) && o.members.iter().any(|m| m == user)
            })
    }
    /// Canonical spelling of a namespace (user or org), if it exists.
    pub fn namespace(&self, ns: &str) -> Option<String> {
        self.users
            .keys()
            .chain(self.orgs.keys())
            .find(|n| n.eq_ignore_ascii_case(ns))
            .cloned()
    }
}

/// Path of the auth file inside a data dir.
pub fn auth_path(data_dir: &Path) -> PathBuf {
    data_dir.join("auth.json")
}

/// Loads the auth database (empty when the file does not exist yet).
pub fn load(data_dir: &Path) -> Result<AuthData, AdminError> {
    let path = auth_path(data_dir);
    match std::fs::read(&path) {
        Ok(bytes) => {
            serde_json::from_slice(&bytes).map_err(|source| AdminError::Corrupt { path, source })
        }
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(AuthData::default()),
        Err(source) => Err(AdminError::Io { path, source }),
    }
}

fn save(data_dir: &Path, data: &AuthData) -> Result<(), AdminError> {
    let path = auth_path(data_dir);
    let bytes = serde_json::to_vec_pretty(data).map_err(|source| AdminError::Corrupt {
        path: path.clone(),
        source,
    })?;
    util::atomic_write(&path, &bytes).map_err(|source| AdminError::Io { path, source })
}

/// Validates a user/org/repo name component.
pub fn valid_name(name: &str) -> bool {
    !name.is_empty()
        && name.len() <= 96
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.'))
        && !name.starts_with(['-', '.'])
        && !name.ends_with('.')
        && !name.contains("..")
        && !name.ends_with(".git")
}

fn new_id() -> String {
    hex::encode(rand::random::<[u8; 12]>())
}

/// Adds the user if missing (updating fullname/email when given) and registers `token` for it.
pub fn add_user(
    data_dir: &Path,
    name: &str,
    token: &str,
    read_only: bool,
    fullname: Option<&str>,
    email: Option<&str>,
) -> Result<(), AdminError> {
    if !valid_name(name) {
        return Err(AdminError::Invalid(format!("invalid user name {name:?}")));
    }
    if token.is_empty() {
        return Err(AdminError::Invalid("empty token".into()));
    }
    std::fs::create_dir_all(data_dir).map_err(|source| AdminError::Io {
        path: data_dir.into(),
        source,
    })?;
    let mut data = load(data_dir)?;
    if data.orgs.contains_key(name) {
        return Err(AdminError::Invalid(format!("{name} is an organization")));
    }
    let user = data.users.entry(name.to_string()).or_insert_with(|| User {
        id: new_id(),
        fullname: name.to_string(),
        email: None,
        created_at: util::now_date(),
    });
    if let Some(f) = fullname {
        user.fullname = f.to_string();
    }
    if let Some(e) = email {
        user.email = Some(e.to_string());
    }
    let sha = util::sha256_hex(token.as_bytes());
    data.tokens.retain(|t| t.sha256 != sha);
    let n = data.tokens.iter().filter(|t| t.user == name).count();
    data.tokens.push(TokenRecord {
        sha256: sha,
        user: name.to_string(),
        role: if read_only { "read" } else { "write" }.into(),
        display_name: format!("token-{}", n + 1),
        created_at: util::now_date(),
    });
    save(data_dir, &data)
}

/// Creates the org if missing and adds the given members (which must be existing users).
pub fn add_org(
    data_dir: &Path,
    org: &str,
    members: &[String],
    fullname: Option<&str>,
) -> Result<(), AdminError> {
    if !valid_name(org) {
        return Err(AdminError::Invalid(format!("invalid org name {org:?}")));
    }
    std::fs::create_dir_all(data_dir).map_err(|source| AdminError::Io {
        path: data_dir.into(),
        source,
    })?;
    let mut data = load(data_dir)?;
    if data.users.contains_key(org) {
        return Err(AdminError::Invalid(format!("{org} is a user")));
    }
    for m in members {
        if !data.users.contains_key(m) {
            return Err(AdminError::Invalid(format!("unknown user {m:?}")));
        }
    }
    let entry = data.orgs.entry(org.to_string()).or_insert_with(|| Org {
        id: new_id(),
        fullname: org.to_string(),
        members: vec![],
        created_at: util::now_date(),
    });
    if let Some(f) = fullname {
        entry.fullname = f.to_string();
    }
    for m in members {
        if !entry.members.contains(m) {
            entry.members.push(m.clone());
        }
    }
    save(data_dir, &data)
}

/// Modification time and length of a file (None when missing).
type FileStamp = Option<(SystemTime, u64)>;

/// Read-through cache of the auth file, reloaded when its mtime/length changes, so that
/// `hub-server user add` works while a server is running.
#[derive(Debug)]
pub struct AuthCache {
    data_dir: PathBuf,
    cached: Mutex<Option<(FileStamp, std::sync::Arc<AuthData>)>>,
}

impl AuthCache {
    /// Creates a cache for `data_dir`.
    pub fn new(data_dir: &Path) -> Self {
        AuthCache {
            data_dir: data_dir.to_path_buf(),
            cached: Mutex::new(None),
        }
    }

    /// Current auth data (blocking file I/O is tiny: a stat, rarely a read).
    pub async fn get(&self) -> Result<std::sync::Arc<AuthData>, AdminError> {
        let path = auth_path(&self.data_dir);
        let stamp = tokio::fs::metadata(&path)
            .await
            .ok()
            .and_then(|m| Some((m.modified().ok()?, m.len())));
        if let Ok(guard) = self.cached.lock()
            && let Some((s, d)) = guard.as_ref()
            && *s == stamp
        {
            return Ok(d.clone());
        }
        let dir = self.data_dir.clone();
        let data = tokio::task::spawn_blocking(move || load(&dir))
            .await
            .map_err(|e| AdminError::Invalid(e.to_string()))??;
        let data = std::sync::Arc::new(data);
        if let Ok(mut guard) = self.cached.lock() {
            *guard = Some((stamp, data.clone()));
        }
        Ok(data)
    }
}
