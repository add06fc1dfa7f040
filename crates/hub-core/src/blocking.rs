//! A synchronous facade over [`crate::HfApi`] (cargo feature `blocking`).
//!
//! Like `reqwest::blocking`, the async machinery runs on a dedicated thread that owns a
//! single-threaded tokio runtime; calls send their future to that thread and wait for the answer
//! on a channel. This avoids the two panics of holding a `Runtime` in the facade itself
//! (`block_on` from inside async code, and dropping a runtime inside async code): the runtime is
//! only ever driven and dropped on its own thread. Calling the facade from async code therefore
//! works (it blocks that executor thread while it waits, as any blocking call does; prefer the
//! async API there).
//!
//! ```no_run
//! # fn run() -> hub_core::Result<()> {
//! use hub_core::{RepoId, blocking::HfApi};
//! let api = HfApi::from_env()?;
//! let info = api.model_info(&RepoId::new("gpt2")?)?;
//! // Any async builder runs through `run`; any listing through `iter`.
//! let tags = api.run(api.api().list_repo_refs(&RepoId::new("gpt2")?).send())?;
//! for model in api.iter(api.api().list_models().author("openai-community").limit(3).send()) {
//!     println!("{}", model?.id);
//! }
//! # Ok(()) }
//! ```

use std::future::Future;
use std::sync::Arc;

use futures::StreamExt;
use futures::stream::BoxStream;

use crate::HubClient;
use crate::error::{Error, Result};
use crate::repo::{RepoId, RepoType};
use crate::types::{DatasetInfo, HfFileMetadata, ModelInfo, SpaceInfo, WhoAmI};

use crate::runtime_thread::RuntimeThread;

fn stopped() -> Error {
    Error::io(
        "hub-core blocking runtime",
        std::io::Error::other("the runtime thread stopped"),
    )
}

/// Blocking handle on the Hub API. Cheap to clone (the runtime thread is shared); the thread
/// stops when the last clone is dropped.
#[derive(Clone)]
pub struct HfApi {
    api: crate::HfApi,
    rt: Arc<RuntimeThread>,
}

impl std::fmt::Debug for HfApi {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("blocking::HfApi")
            .field("api", &self.api)
            .finish_non_exhaustive()
    }
}

impl HfApi {
    /// A blocking API over `client`.
    pub fn new(client: HubClient) -> Result<Self> {
        Ok(HfApi {
            api: client.api(),
            rt: Arc::new(
                RuntimeThread::start("hub-core-blocking")
                    .map_err(|e| Error::io("starting the hub-core blocking thread", e))?,
            ),
        })
    }

    /// A blocking API configured from the environment.
    pub fn from_env() -> Result<Self> {
        HfApi::new(HubClient::from_env()?)
    }

    /// The async API, to build any call and pass its `.send()` future to [`HfApi::run`].
    pub fn api(&self) -> &crate::HfApi {
        &self.api
    }

    /// Runs a future on the runtime thread and waits for its result.
    pub fn run<T, F>(&self, fut: F) -> Result<T>
    where
        F: Future<Output = Result<T>> + Send + 'static,
        T: Send + 'static,
    {
        self.rt.run(fut).map_err(|_| stopped())?
    }

    /// Turns a listing stream into a blocking iterator; each `next()` fetches as needed.
    pub fn iter<T: Send + 'static>(
        &self,
        stream: BoxStream<'static, Result<T>>,
    ) -> BlockingIter<T> {
        BlockingIter {
            api: self.clone(),
            stream: Some(stream),
        }
    }

    /// See [`crate::HfApi::whoami`].
    pub fn whoami(&self) -> Result<WhoAmI> {
        let api = self.api.clone();
        self.run(async move { api.whoami().await })
    }

    /// See [`crate::HfApi::model_info`] (default options).
    pub fn model_info(&self, repo_id: &RepoId) -> Result<ModelInfo> {
        self.run(self.api.model_info(repo_id).send())
    }

    /// See [`crate::HfApi::dataset_info`] (default options).
    pub fn dataset_info(&self, repo_id: &RepoId) -> Result<DatasetInfo> {
        self.run(self.api.dataset_info(repo_id).send())
    }

    /// See [`crate::HfApi::space_info`] (default options).
    pub fn space_info(&self, repo_id: &RepoId) -> Result<SpaceInfo> {
        self.run(self.api.space_info(repo_id).send())
    }

    /// See [`crate::HfApi::repo_exists`].
    pub fn repo_exists(&self, repo_id: &RepoId, repo_type: RepoType) -> Result<bool> {
        let (api, id) = (self.api.clone(), repo_id.clone());
        self.run(async move { api.repo_exists(&id, repo_type).await })
    }

    /// See [`crate::HfApi::file_exists`].
    pub fn file_exists(
        &self,
        repo_id: &RepoId,
        filename: &str,
        repo_type: RepoType,
        revision: Option<&str>,
    ) -> Result<bool> {
        let (api, id, f) = (self.api.clone(), repo_id.clone(), filename.to_owned());
        let rev = revision.map(str::to_owned);
        self.run(async move { api.file_exists(&id, &f, repo_type, rev.as_deref()).await })
    }

    /// See [`crate::HfApi::get_hf_file_metadata`].
    pub fn get_hf_file_metadata(
        &self,
        repo_id: &RepoId,
        filename: &str,
        repo_type: RepoType,
        revision: Option<&str>,
    ) -> Result<HfFileMetadata> {
        let mut b = self
            .api
            .get_hf_file_metadata(repo_id, filename)
            .repo_type(repo_type);
        if let Some(r) = revision {
            b = b.revision(r);
        }
        self.run(b.send())
    }

    /// See [`crate::HfApi::list_repo_files`].
    pub fn list_repo_files(
        &self,
        repo_id: &RepoId,
        repo_type: RepoType,
        revision: Option<&str>,
    ) -> Result<Vec<String>> {
        let mut b = self.api.list_repo_files(repo_id).repo_type(repo_type);
        if let Some(r) = revision {
            b = b.revision(r);
        }
        self.run(b.files())
    }
}

/// A blocking iterator over a listing (see [`HfApi::iter`]).
pub struct BlockingIter<T> {
    api: HfApi,
    stream: Option<BoxStream<'static, Result<T>>>,
}

impl<T> std::fmt::Debug for BlockingIter<T> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("BlockingIter").finish_non_exhaustive()
    }
}

impl<T: Send + 'static> Iterator for BlockingIter<T> {
    type Item = Result<T>;

    fn next(&mut self) -> Option<Result<T>> {
        let mut stream = self.stream.take()?;
        // The stream travels to the runtime thread for one item and comes back with it.
        let step = self.api.run(async move {
            let item = stream.next().await;
            Ok((item, stream))
        });
        match step {
            Ok((item, stream)) => {
                if item.is_some() {
                    self.stream = Some(stream);
                }
                item
            }
            Err(e) => Some(Err(e)),
        }
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    fn offline() -> HfApi {
        let config = crate::Config::builder().offline(true).build();
        HfApi::new(
            HubClient::builder()
                .config(config)
                .token("hf_x")
                .build()
                .unwrap(),
        )
        .unwrap()
    }

    #[test]
    fn sync_calls_and_iterators() {
        let api = HfApi::new(
            HubClient::builder()
                .config(crate::Config::default())
                .token("hf_x")
                .retry_policy(crate::RetryPolicy::none())
                .build()
                .unwrap(),
        )
        .unwrap();
        // A tiny Hub served by the facade's own runtime.
        let server = api
            .run(async {
                let app = axum::Router::new()
                    .route(
                        "/api/models/ns/m",
                        axum::routing::get(|| async { r#"{"id":"ns/m","sha":"abc"}"# }),
                    )
                    .route(
                        "/api/models",
                        axum::routing::get(|| async { r#"[{"id":"a/1"},{"id":"b/2"}]"# }),
                    );
                Ok(test_support::MockServer::start(app).await?)
            })
            .unwrap();
        let url = server.url();
        let config = crate::Config::builder().endpoint(&url).build();
        let api = HfApi {
            api: HubClient::builder()
                .config(config)
                .token("hf_x")
                .build()
                .unwrap()
                .api(),
            rt: api.rt.clone(),
        };
        let info = api.model_info(&RepoId::new("ns/m").unwrap()).unwrap();
        assert_eq!(info.sha.as_deref(), Some("abc"));
        let ids: Vec<String> = api
            .iter(api.api().list_models().send())
            .map(|m| m.unwrap().id)
            .collect();
        assert_eq!(ids, ["a/1", "b/2"]);
        let e = api
            .model_info(&RepoId::new("ns/missing").unwrap())
            .unwrap_err();
        assert_eq!(e.status(), Some(404));
    }

    #[test]
    fn offline_errors_and_parallel_threads() {
        let api = offline();
        let handles: Vec<_> = (0..4)
            .map(|_| {
                let api = api.clone();
                std::thread::spawn(move || api.whoami().unwrap_err())
            })
            .collect();
        for h in handles {
            assert!(matches!(h.join().unwrap(), Error::OfflineModeIsEnabled(_)));
        }
    }

    #[tokio::test(flavor = "current_thread")]
    async fn usable_and_droppable_inside_async_code() {
        // Neither the call nor the drop may panic, even on a current-thread runtime.
        let api = offline();
        let e = api.model_info(&RepoId::new("a/b").unwrap()).unwrap_err();
        assert!(matches!(e, Error::OfflineModeIsEnabled(_)));
        drop(api);
    }
}
