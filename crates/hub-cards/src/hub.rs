//! Cards on the Hub: [`Card::load`], [`Card::validate`], [`Card::push_to_hub`] and
//! [`metadata_update`].
//!
//! The HTTP calls are the two small functions [`download_readme`] and [`validate_content`];
//! commits go through hub-upload's `create_commit`.

use futures::future::BoxFuture;
use hub_core::SendOptions;
use hub_core::types::CommitInfo;
use hub_core::{HubClient, RepoId, RepoType};
use hub_upload::{CommitOperation, UploadExt};
use reqwest::Method;

use crate::card::Card;
use crate::data::{CardData, CardDataKind, DatasetCardData, ModelCardData};
use crate::emit_python::python_str;
use crate::error::{Error, Result};
use crate::eval::model_index_to_eval_results;
use crate::value::{Mapping, Value};

/// The file name of a repository card.
pub const REPOCARD_NAME: &str = "README.md";

/// `GET` the README of a repository at `revision` (default `main`).
async fn download_readme(
    client: &HubClient,
    repo_id: &RepoId,
    repo_type: RepoType,
    revision: Option<&str>,
) -> Result<String> {
    let url = hub_core::urls::hf_hub_url(
        client.endpoint(),
        repo_id,
        REPOCARD_NAME,
        repo_type,
        revision.unwrap_or("main"),
    );
    let resp = client
        .send_read(client.request(Method::GET, &url), SendOptions::new())
        .await?;
    String::from_utf8(resp.body.to_vec()).map_err(|e| {
        Error::Hub(hub_core::Error::decode(
            &url,
            format!("README.md is not UTF-8: {e}"),
        ))
    })
}

/// `POST /api/validate-yaml` with the card's content; a 400 answer is the Hub rejecting it.
async fn validate_content(client: &HubClient, repo_type: RepoType, content: &str) -> Result<()> {
    let url = format!("{}/api/validate-yaml", client.endpoint());
    let body = serde_json::json!({ "repoType": repo_type.as_str(), "content": content });
    let rb = client
        .request(Method::POST, &url)
        .header(reqwest::header::ACCEPT, "text/plain")
        .json(&body);
    // Validation only reads, so it is safe to repeat.
    let options = SendOptions::new().repeatable(true).pass_status(400);
    let resp = client.send_read(rb, options).await?;
    if resp.status == 400 {
        let text = String::from_utf8_lossy(&resp.body);
        return Err(Error::Rejected(rejection_message(&text)));
    }
    Ok(())
}

/// The Hub answers `{"errors": [{"message": ...}], ...}`; fall back to the raw text.
fn rejection_message(text: &str) -> String {
    let messages: Vec<String> = serde_json::from_str::<serde_json::Value>(text)
        .ok()
        .and_then(|v| v.get("errors").and_then(|e| e.as_array()).cloned())
        .map(|errs| {
            errs.iter()
                .filter_map(|e| {
                    e.get("message")
                        .and_then(|m| m.as_str())
                        .map(str::to_string)
                })
                .collect()
        })
        .unwrap_or_default();
    if messages.is_empty() {
        text.to_string()
    } else {
        messages.join("; ")
    }
}

/// Builder of [`Card::load`]; finish with `.send()` or `.await`.
#[derive(Debug, Clone)]
#[must_use = "a builder does nothing until `.send()` is awaited"]
pub struct LoadCard<D: CardDataKind> {
    client: HubClient,
    repo_id: RepoId,
    repo_type: RepoType,
    revision: Option<String>,
    ignore_metadata_errors: bool,
    _kind: std::marker::PhantomData<fn() -> D>,
}

impl<D: CardDataKind> LoadCard<D> {
    /// Repository type (default: the card's, e.g. `dataset` for a [`crate::DatasetCard`]).
    pub fn repo_type(mut self, repo_type: RepoType) -> Self {
        self.repo_type = repo_type;
        self
    }

    /// Branch, tag or commit to read from (default `main`).
    pub fn revision(mut self, revision: impl Into<String>) -> Self {
        self.revision = Some(revision.into());
        self
    }

    /// Drop an invalid `model-index` instead of failing (see [`Card::parse_with`]).
    pub fn ignore_metadata_errors(mut self, yes: bool) -> Self {
        self.ignore_metadata_errors = yes;
        self
    }

    /// Downloads and parses the card. A missing README is [`hub_core::Error::EntryNotFound`]
    /// inside [`Error::Hub`].
    pub fn send(self) -> BoxFuture<'static, Result<Card<D>>> {
        Box::pin(async move {
            let text = download_readme(
                &self.client,
                &self.repo_id,
                self.repo_type,
                self.revision.as_deref(),
            )
            .await?;
            Card::parse_with(&text, self.ignore_metadata_errors)
        })
    }
}

impl<D: CardDataKind> std::future::IntoFuture for LoadCard<D> {
    type Output = Result<Card<D>>;
    type IntoFuture = BoxFuture<'static, Result<Card<D>>>;
    fn into_future(self) -> Self::IntoFuture {
        self.send()
    }
}

/// Builder of [`Card::validate`]; finish with `.send()` or `.await`.
#[derive(Debug, Clone)]
#[must_use = "a builder does nothing until `.send()` is awaited"]
pub struct ValidateCard {
    client: HubClient,
    repo_type: RepoType,
    content: String,
}

impl ValidateCard {
    /// Repository type the card is validated for (default: the card's).
    pub fn repo_type(mut self, repo_type: RepoType) -> Self {
        self.repo_type = repo_type;
        self
    }

    /// Sends the card to `POST /api/validate-yaml`: [`Error::Rejected`] when the Hub finds
    /// its metadata invalid.
    pub fn send(self) -> BoxFuture<'static, Result<()>> {
        Box::pin(async move { validate_content(&self.client, self.repo_type, &self.content).await })
    }
}

impl std::future::IntoFuture for ValidateCard {
    type Output = Result<()>;
    type IntoFuture = BoxFuture<'static, Result<()>>;
    fn into_future(self) -> Self::IntoFuture {
        self.send()
    }
}

#[derive(Debug, Clone, Default)]
struct CommitParams {
    commit_message: Option<String>,
    commit_description: Option<String>,
    revision: Option<String>,
    create_pr: bool,
    parent_commit: Option<String>,
}

macro_rules! commit_setters {
    () => {
        /// Commit summary (default: `Upload README.md with huggingface_hub` for a push,
        /// `Update metadata with huggingface_hub` for a metadata update).
        pub fn commit_message(mut self, message: impl Into<String>) -> Self {
            self.commit.commit_message = Some(message.into());
            self
        }

        /// Commit description.
        pub fn commit_description(mut self, description: impl Into<String>) -> Self {
            self.commit.commit_description = Some(description.into());
            self
        }

        /// Branch to commit to (default `main`).
        pub fn revision(mut self, revision: impl Into<String>) -> Self {
            self.commit.revision = Some(revision.into());
            self
        }

        /// Open a pull request with the commit instead of committing to the branch.
        pub fn create_pr(mut self, yes: bool) -> Self {
            self.commit.create_pr = yes;
            self
        }

        /// Fail unless the branch is at this commit (or, with a PR, base the PR on it).
        pub fn parent_commit(mut self, oid: impl Into<String>) -> Self {
            self.commit.parent_commit = Some(oid.into());
            self
        }
    };
}

/// Validates `content`, then commits it as `README.md`.
async fn push_content(
    client: &HubClient,
    repo_id: &RepoId,
    repo_type: RepoType,
    content: String,
    commit: CommitParams,
    default_message: &str,
) -> Result<CommitInfo> {
    validate_content(client, repo_type, &content).await?;
    let op = CommitOperation::add_bytes(REPOCARD_NAME, content.into_bytes())?;
    let mut c = client
        .create_commit(repo_id, vec![op])
        .repo_type(repo_type)
        .commit_message(
            commit
                .commit_message
                .unwrap_or_else(|| default_message.to_string()),
        )
        .create_pr(commit.create_pr);
    if let Some(d) = commit.commit_description {
        c = c.commit_description(d);
    }
    if let Some(r) = commit.revision {
        c = c.revision(r);
    }
    if let Some(p) = commit.parent_commit {
        c = c.parent_commit(p);
    }
    Ok(c.send().await?)
}

/// Builder of [`Card::push_to_hub`]; finish with `.send()` or `.await`.
#[derive(Debug, Clone)]
#[must_use = "a builder does nothing until `.send()` is awaited"]
pub struct PushCard {
    client: HubClient,
    repo_id: RepoId,
    repo_type: RepoType,
    content: String,
    commit: CommitParams,
}

impl PushCard {
    /// Repository type (default: the card's).
    pub fn repo_type(mut self, repo_type: RepoType) -> Self {
        self.repo_type = repo_type;
        self
    }

    commit_setters!();

    /// Validates the card with the Hub, then commits it as `README.md`.
    pub fn send(self) -> BoxFuture<'static, Result<CommitInfo>> {
        Box::pin(async move {
            push_content(
                &self.client,
                &self.repo_id,
                self.repo_type,
                self.content,
                self.commit,
                "Upload README.md with huggingface_hub",
            )
            .await
        })
    }
}

impl std::future::IntoFuture for PushCard {
    type Output = Result<CommitInfo>;
    type IntoFuture = BoxFuture<'static, Result<CommitInfo>>;
    fn into_future(self) -> Self::IntoFuture {
        self.send()
    }
}

impl<D: CardDataKind> Card<D> {
    /// Reads the card of a Hub repository (`README.md` at `main` unless
    /// [`LoadCard::revision`] is set), as Python's `RepoCard.load(repo_id)`.
    pub fn load(client: &HubClient, repo_id: &RepoId) -> LoadCard<D> {
        LoadCard {
            client: client.clone(),
            repo_id: repo_id.clone(),
            repo_type: D::REPO_TYPE,
            revision: None,
            ignore_metadata_errors: false,
            _kind: std::marker::PhantomData,
        }
    }

    /// Checks the card with the Hub's validator (`POST /api/validate-yaml`).
    pub fn validate(&self, client: &HubClient) -> ValidateCard {
        ValidateCard {
            client: client.clone(),
            repo_type: D::REPO_TYPE,
            content: self.content(),
        }
    }

    /// Validates the card, then commits it as the repository's `README.md` (Python's
    /// `push_to_hub`); returns the commit (with the PR's URL when `create_pr` is set).
    pub fn push_to_hub(&self, client: &HubClient, repo_id: &RepoId) -> PushCard {
        PushCard {
            client: client.clone(),
            repo_id: repo_id.clone(),
            repo_type: D::REPO_TYPE,
            content: self.content(),
            commit: CommitParams::default(),
        }
    }
}

/// Access to eval results for metadata updates: only model cards have them.
trait EvalResultsSlot {
    fn eval_slot(&mut self) -> Option<(&mut Option<Vec<crate::EvalResult>>, &mut Option<Value>)>;
}

impl EvalResultsSlot for ModelCardData {
    fn eval_slot(&mut self) -> Option<(&mut Option<Vec<crate::EvalResult>>, &mut Option<Value>)> {
        Some((&mut self.eval_results, &mut self.model_name))
    }
}

impl EvalResultsSlot for DatasetCardData {
    fn eval_slot(&mut self) -> Option<(&mut Option<Vec<crate::EvalResult>>, &mut Option<Value>)> {
        None
    }
}

impl EvalResultsSlot for CardData {
    fn eval_slot(&mut self) -> Option<(&mut Option<Vec<crate::EvalResult>>, &mut Option<Value>)> {
        None
    }
}

/// Applies `metadata` to `card` with `metadata_update`'s rules.
fn apply_update<D: CardDataKind + EvalResultsSlot>(
    card: &mut Card<D>,
    repo_id: &RepoId,
    metadata: &Mapping,
    overwrite: bool,
) -> Result<()> {
    for (key, value) in metadata.iter() {
        let key = key.key_text();
        if key != "model-index" {
            if let Some(existing) = card.data.get(&key)
                && !overwrite
                && !existing.python_eq(value)
            {
                return Err(Error::Conflict(format!(
                    "You passed a new value for the existing meta data field '{key}'."
                )));
            }
            card.data.set(&key, value.clone());
            continue;
        }
        let mut value = value.clone();
        // A model-index without a name is named after the repository (Python looks the name
        // up on the card object, which never has one).
        if let Some(Value::Map(first)) = value.as_list().and_then(|l| l.first()).cloned()
            && !first.contains_key("name")
            && let Value::List(items) = &mut value
            && let Some(Value::Map(m)) = items.first_mut()
        {
            m.insert("name", repo_id.to_string());
        }
        let (model_name, new_results) = model_index_to_eval_results(&value)?;
        let Some((results, name)) = card.data.eval_slot() else {
            return Err(Error::InvalidArgument(
                "`model-index` can only be updated on model cards (repo type `model`)".into(),
            ));
        };
        let Some(existing) = results.as_mut() else {
            *results = Some(new_results);
            *name = Some(model_name).filter(|n| !n.is_null());
            continue;
        };
        for new in new_results {
            let mut found = false;
            for old in existing.iter_mut() {
                if new.is_equal_except_value(old) {
                    if !new.python_eq(old) && !overwrite {
                        return Err(Error::Conflict(format!(
                            "You passed a new value for the existing metric 'name: {}, type: {}'.",
                            python_str(new.metric_name.as_ref().unwrap_or(&Value::Null)),
                            python_str(&new.metric_type)
                        )));
                    }
                    found = true;
                    old.metric_value = new.metric_value.clone();
                    if old.verified == Some(Value::Bool(true)) {
                        old.verify_token = new.verify_token.clone();
                    }
                }
            }
            if !found {
                existing.push(new);
            }
        }
    }
    Ok(())
}

/// Builder of [`metadata_update`]; finish with `.send()` or `.await`.
#[derive(Debug, Clone)]
#[must_use = "a builder does nothing until `.send()` is awaited"]
pub struct MetadataUpdate {
    client: HubClient,
    repo_id: RepoId,
    metadata: Mapping,
    repo_type: RepoType,
    overwrite: bool,
    commit: CommitParams,
}

impl MetadataUpdate {
    /// Repository type (default `model`).
    pub fn repo_type(mut self, repo_type: RepoType) -> Self {
        self.repo_type = repo_type;
        self
    }

    /// Replace existing values (and metric values) instead of failing with
    /// [`Error::Conflict`] (default false).
    pub fn overwrite(mut self, yes: bool) -> Self {
        self.overwrite = yes;
        self
    }

    commit_setters!();

    /// Reads the card (or starts one from the default template when the repository has no
    /// README; a Space must have one), applies the metadata, validates and commits it.
    pub fn send(self) -> BoxFuture<'static, Result<CommitInfo>> {
        Box::pin(async move {
            match self.repo_type {
                RepoType::Model => self.run::<ModelCardData>().await,
                RepoType::Dataset => self.run::<DatasetCardData>().await,
                RepoType::Space => self.run::<CardData>().await,
            }
        })
    }

    async fn run<D: CardDataKind + EvalResultsSlot>(self) -> Result<CommitInfo> {
        // Python reads the card at the default branch whatever `revision` is.
        let loaded = download_readme(&self.client, &self.repo_id, self.repo_type, None).await;
        let mut card: Card<D> = match loaded {
            Ok(text) => Card::parse(&text)?,
            Err(Error::Hub(hub_core::Error::EntryNotFound(_))) => {
                if self.repo_type == RepoType::Space {
                    return Err(Error::InvalidArgument(
                        "Cannot update metadata on a Space that doesn't contain a `README.md` file."
                            .into(),
                    ));
                }
                let content = crate::template::render_template(
                    D::default_template(),
                    "{}",
                    &Mapping::new(),
                    &Mapping::new(),
                )?;
                Card::parse(&content)?
            }
            Err(e) => return Err(e),
        };
        apply_update(&mut card, &self.repo_id, &self.metadata, self.overwrite)?;
        push_content(
            &self.client,
            &self.repo_id,
            self.repo_type,
            card.content(),
            self.commit,
            "Update metadata with huggingface_hub",
        )
        .await
    }
}

impl std::future::IntoFuture for MetadataUpdate {
    type Output = Result<CommitInfo>;
    type IntoFuture = BoxFuture<'static, Result<CommitInfo>>;
    fn into_future(self) -> Self::IntoFuture {
        self.send()
    }
}

/// Updates the metadata of a repository's README (Python's `metadata_update`).
///
/// Keys other than `model-index` are set on the card; an existing different value is an
/// [`Error::Conflict`] unless [`MetadataUpdate::overwrite`] is set. A `model-index` is merged
/// into the card's eval results: a result for the same metric replaces the value (only with
/// `overwrite`), others are appended. Without a README, models and datasets start from the
/// default template; Spaces fail.
pub fn metadata_update(client: &HubClient, repo_id: &RepoId, metadata: Mapping) -> MetadataUpdate {
    MetadataUpdate {
        client: client.clone(),
        repo_id: repo_id.clone(),
        metadata,
        repo_type: RepoType::Model,
        overwrite: false,
        commit: CommitParams::default(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ModelCard;

    #[test]
    fn update_rules() {
        let repo = RepoId::new("me/m").unwrap();
        let mut card = ModelCard::parse("---\nlicense: mit\n---\nbody").unwrap();
        let mut md = Mapping::new();
        md.insert("license", "apache-2.0");
        assert!(matches!(
            apply_update(&mut card, &repo, &md, false),
            Err(Error::Conflict(_))
        ));
        apply_update(&mut card, &repo, &md, true).unwrap();
        assert_eq!(card.data.license, Some(Value::from("apache-2.0")));
        // Python's == decides conflicts: 3 == 3.0, so no conflict, and the new value is set.
        let mut n = Mapping::new();
        n.insert("epochs", 3);
        apply_update(&mut card, &repo, &n, false).unwrap();
        n.insert("epochs", 3.0);
        apply_update(&mut card, &repo, &n, false).unwrap();
        assert_eq!(card.data.get("epochs"), Some(Value::Float(3.0)));

        let mi = crate::yaml::parse_yaml(
            "model-index:\n- results:\n  - task: {type: t}\n    dataset: {type: d, name: D}\n    metrics:\n    - {type: acc, value: 0.5}\n",
        )
        .unwrap()
        .value
        .unwrap();
        let mi = mi.as_map().unwrap().clone();
        apply_update(&mut card, &repo, &mi, false).unwrap();
        assert_eq!(card.data.model_name, Some(Value::from("me/m")));
        // Same metric, new value: conflict unless overwrite.
        let mut again = mi.clone();
        let text =
            crate::yaml::to_yaml_string(&Value::Map(again.clone()), "\n").replace("0.5", "0.7");
        again = crate::yaml::parse_yaml(&text)
            .unwrap()
            .value
            .unwrap()
            .as_map()
            .unwrap()
            .clone();
        assert!(matches!(
            apply_update(&mut card, &repo, &again, false),
            Err(Error::Conflict(_))
        ));
        apply_update(&mut card, &repo, &again, true).unwrap();
        let results = card.data.eval_results.as_ref().unwrap();
        assert_eq!(results.len(), 1);
        assert_eq!(results[0].metric_value, Value::Float(0.7));
    }

    #[test]
    fn rejection_messages() {
        assert_eq!(
            rejection_message(r#"{"errors":[{"message":"a"},{"message":"b"}]}"#),
            "a; b"
        );
        assert_eq!(rejection_message("plain"), "plain");
    }
}
