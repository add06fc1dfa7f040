//! Repository search: `list_models`, `list_datasets`, `list_spaces` (protocol §3.2), as lazy
//! `'static` streams following `Link: rel="next"` pages.
//!
//! `limit` is sent to the server *and* applied locally (the server may page smaller), and the
//! stream stops fetching once `limit` items were yielded.

use futures::StreamExt;
use futures::stream::BoxStream;

use crate::api::{HfApi, bool_str};
use crate::error::Result;
use crate::types::{DatasetInfo, ModelInfo, SpaceInfo};

/// Options every listing shares.
/// The sort keys of the model, dataset and space listings.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Sort {
    /// Most downloaded (`downloads`).
    Downloads,
    /// Most liked (`likes`).
    Likes,
    /// Trending (`trendingScore`).
    TrendingScore,
    /// Newest (`createdAt`).
    CreatedAt,
    /// Most recently updated (`lastModified`; Python also spells it `last_modified`).
    LastModified,
}

impl Sort {
    /// The value sent as `sort=`.
    pub fn as_str(self) -> &'static str {
        match self {
            Sort::Downloads => "downloads",
            Sort::Likes => "likes",
            Sort::TrendingScore => "trendingScore",
            Sort::CreatedAt => "createdAt",
            Sort::LastModified => "lastModified",
        }
    }
}

impl std::str::FromStr for Sort {
    type Err = crate::Error;
    /// Parses the Hub's and Python's spellings (`lastModified` and `last_modified`, ...).
    fn from_str(s: &str) -> crate::Result<Sort> {
        Ok(match s {
            "downloads" => Sort::Downloads,
            "likes" => Sort::Likes,
            "trendingScore" | "trending_score" => Sort::TrendingScore,
            "createdAt" | "created_at" => Sort::CreatedAt,
            "lastModified" | "last_modified" => Sort::LastModified,
            other => {
                return Err(crate::Error::invalid_argument(format!(
                    "unknown sort key {other:?}: use downloads, likes, trendingScore, createdAt or lastModified"
                )));
            }
        })
    }
}

#[derive(Debug, Clone, Default)]
struct Common {
    filter: Vec<String>,
    author: Option<String>,
    search: Vec<String>,
    sort: Option<Sort>,
    descending: bool,
    limit: Option<usize>,
    full: bool,
    card_data: bool,
    expand: Vec<String>,
    gated: Option<bool>,
}

impl Common {
    fn query(&self) -> Vec<(String, String)> {
        let mut q: Vec<(String, String)> = Vec::new();
        for f in &self.filter {
            q.push(("filter".into(), f.clone()));
        }
        if let Some(a) = &self.author {
            q.push(("author".into(), a.clone()));
        }
        if let Some(g) = self.gated {
            q.push(("gated".into(), bool_str(g)));
        }
        for s in &self.search {
            q.push(("search".into(), s.clone()));
        }
        if let Some(s) = self.sort {
            q.push(("sort".into(), s.as_str().to_owned()));
        }
        if self.descending {
            q.push(("direction".into(), "-1".to_owned()));
        }
        if let Some(l) = self.limit {
            q.push(("limit".into(), l.to_string()));
        }
        if self.full {
            q.push(("full".into(), bool_str(true)));
        }
        if self.card_data {
            q.push(("cardData".into(), bool_str(true)));
        }
        for e in &self.expand {
            q.push(("expand".into(), e.clone()));
        }
        q
    }
}

macro_rules! common_setters {
    () => {
        /// Adds tag filters (`filter=...` repeated; all must match).
        pub fn filter<I, S>(mut self, filters: I) -> Self
        where
            I: IntoIterator<Item = S>,
            S: Into<String>,
        {
            self.common
                .filter
                .extend(filters.into_iter().map(Into::into));
            self
        }
        /// Only repositories of this user or organisation.
        pub fn author(mut self, author: impl Into<String>) -> Self {
            self.common.author = Some(author.into());
            self
        }
        /// Substring search on the repository id.
        pub fn search(mut self, search: impl Into<String>) -> Self {
            self.common.search.push(search.into());
            self
        }
        /// Sort key (Python's `sort`).
        pub fn sort(mut self, sort: Sort) -> Self {
            self.common.sort = Some(sort);
            self
        }
        /// Sorts in descending order (Python's `direction=-1`, the only direction the Hub
        /// takes).
        pub fn descending(mut self) -> Self {
            self.common.descending = true;
            self
        }
        /// At most this many items (sent to the server and enforced locally).
        pub fn limit(mut self, limit: usize) -> Self {
            self.common.limit = Some(limit);
            self
        }
        /// Asks for all fields, including `siblings` (`full=true`). Default false.
        pub fn full(mut self, yes: bool) -> Self {
            self.common.full = yes;
            self
        }
        /// Asks for the card metadata (`cardData=true`). Default false.
        pub fn card_data(mut self, yes: bool) -> Self {
            self.common.card_data = yes;
            self
        }
        /// Asks for exactly these properties (`expand=...` repeated).
        pub fn expand<I, S>(mut self, properties: I) -> Self
        where
            I: IntoIterator<Item = S>,
            S: Into<String>,
        {
            self.common
                .expand
                .extend(properties.into_iter().map(Into::into));
            self
        }
        /// Only gated (`true`) or non-gated (`false`) repositories.
        pub fn gated(mut self, gated: bool) -> Self {
            self.common.gated = Some(gated);
            self
        }
    };
}

fn stream<T: serde::de::DeserializeOwned + Send + 'static>(
    api: &HfApi,
    kind: &str,
    query: Vec<(String, String)>,
    limit: Option<usize>,
) -> BoxStream<'static, Result<T>> {
    let url = format!("{}/api/{kind}", api.client().endpoint());
    let s = api.client().paginate::<T>(&url, query);
    match limit {
        Some(n) => s.take(n).boxed(),
        None => s.boxed(),
    }
}

/// Builder of [`HfApi::list_models`].
#[must_use = "a builder does nothing until `.send()` is called"]
#[derive(Debug, Clone)]
pub struct ModelListBuilder {
    api: HfApi,
    common: Common,
    task: Vec<String>,
    library: Vec<String>,
    language: Vec<String>,
    trained_dataset: Vec<String>,
    tags: Vec<String>,
    model_name: Option<String>,
    pipeline_tag: Option<String>,
    inference: Option<String>,
    fetch_config: bool,
}

impl ModelListBuilder {
    common_setters!();

    /// Only models for this task (a tag filter, e.g. `text-classification`).
    pub fn task(mut self, task: impl Into<String>) -> Self {
        self.task.push(task.into());
        self
    }
    /// Only models of this library (a tag filter, e.g. `pytorch`).
    pub fn library(mut self, library: impl Into<String>) -> Self {
        self.library.push(library.into());
        self
    }
    /// Only models for this language (a tag filter, e.g. `en`).
    pub fn language(mut self, language: impl Into<String>) -> Self {
        self.language.push(language.into());
        self
    }
    /// Only models trained on this dataset (`dataset:` is prefixed when missing).
    pub fn trained_dataset(mut self, dataset: impl Into<String>) -> Self {
        self.trained_dataset.push(dataset.into());
        self
    }
    /// Only models with this tag.
    pub fn tags(mut self, tag: impl Into<String>) -> Self {
        self.tags.push(tag.into());
        self
    }
    /// Substring search on the model name (sent as another `search`).
    pub fn model_name(mut self, name: impl Into<String>) -> Self {
        self.model_name = Some(name.into());
        self
    }
    /// Only models with this `pipeline_tag`.
    pub fn pipeline_tag(mut self, tag: impl Into<String>) -> Self {
        self.pipeline_tag = Some(tag.into());
        self
    }
    /// Only models with this inference status (`warm`, `cold`, `frozen`).
    pub fn inference(mut self, status: impl Into<String>) -> Self {
        self.inference = Some(status.into());
        self
    }
    /// Asks for each model's config (`config=true`). Default false.
    pub fn fetch_config(mut self, yes: bool) -> Self {
        self.fetch_config = yes;
        self
    }

    /// The query this builder sends (for inspection and tests).
    pub fn query(&self) -> Vec<(String, String)> {
        let mut common = self.common.clone();
        // Python's order: filter, library, task, trained_dataset, language, tags.
        let mut filters = std::mem::take(&mut common.filter);
        filters.extend(self.library.iter().cloned());
        filters.extend(self.task.iter().cloned());
        filters.extend(self.trained_dataset.iter().map(|d| {
            if d.starts_with("dataset:") {
                d.clone()
            } else {
                format!("dataset:{d}")
            }
        }));
        filters.extend(self.language.iter().cloned());
        filters.extend(self.tags.iter().cloned());
        common.filter = filters;
        let mut search: Vec<String> = self.model_name.iter().cloned().collect();
        search.append(&mut common.search);
        common.search = search;
        let mut q = common.query();
        if let Some(p) = &self.pipeline_tag {
            q.push(("pipeline_tag".into(), p.clone()));
        }
        if let Some(i) = &self.inference {
            q.push(("inference".into(), i.clone()));
        }
        if self.fetch_config {
            q.push(("config".into(), bool_str(true)));
        }
        q
    }

    /// Starts the listing: a lazy stream of [`ModelInfo`].
    pub fn send(self) -> BoxStream<'static, Result<ModelInfo>> {
        stream(&self.api, "models", self.query(), self.common.limit)
    }
}

/// Builder of [`HfApi::list_datasets`].
#[must_use = "a builder does nothing until `.send()` is called"]
#[derive(Debug, Clone)]
pub struct DatasetListBuilder {
    api: HfApi,
    common: Common,
    keyed: Vec<String>,
    dataset_name: Option<String>,
}

impl DatasetListBuilder {
    common_setters!();

    fn keyed(mut self, key: &str, value: impl Into<String>) -> Self {
        self.keyed.push(format!("{key}:{}", value.into()));
        self
    }
    /// Only datasets in this benchmark (`benchmark:...` filter).
    pub fn benchmark(self, v: impl Into<String>) -> Self {
        self.keyed("benchmark", v)
    }
    /// `language_creators:...` filter.
    pub fn language_creators(self, v: impl Into<String>) -> Self {
        self.keyed("language_creators", v)
    }
    /// `language:...` filter.
    pub fn language(self, v: impl Into<String>) -> Self {
        self.keyed("language", v)
    }
    /// `multilinguality:...` filter.
    pub fn multilinguality(self, v: impl Into<String>) -> Self {
        self.keyed("multilinguality", v)
    }
    /// `size_categories:...` filter.
    pub fn size_categories(self, v: impl Into<String>) -> Self {
        self.keyed("size_categories", v)
    }
    /// `task_categories:...` filter.
    pub fn task_categories(self, v: impl Into<String>) -> Self {
        self.keyed("task_categories", v)
    }
    /// `task_ids:...` filter.
    pub fn task_ids(self, v: impl Into<String>) -> Self {
        self.keyed("task_ids", v)
    }
    /// Substring search on the dataset name (sent as another `search`).
    pub fn dataset_name(mut self, name: impl Into<String>) -> Self {
        self.dataset_name = Some(name.into());
        self
    }

    /// The query this builder sends.
    pub fn query(&self) -> Vec<(String, String)> {
        let mut common = self.common.clone();
        common.filter.extend(self.keyed.iter().cloned());
        let mut search: Vec<String> = self.dataset_name.iter().cloned().collect();
        search.append(&mut common.search);
        common.search = search;
        common.query()
    }

    /// Starts the listing: a lazy stream of [`DatasetInfo`].
    pub fn send(self) -> BoxStream<'static, Result<DatasetInfo>> {
        stream(&self.api, "datasets", self.query(), self.common.limit)
    }
}

/// Builder of [`HfApi::list_spaces`].
#[must_use = "a builder does nothing until `.send()` is called"]
#[derive(Debug, Clone)]
pub struct SpaceListBuilder {
    api: HfApi,
    common: Common,
    datasets: Vec<String>,
    models: Vec<String>,
    linked: bool,
}

impl SpaceListBuilder {
    common_setters!();

    /// Only Spaces using this dataset.
    pub fn datasets(mut self, dataset: impl Into<String>) -> Self {
        self.datasets.push(dataset.into());
        self
    }
    /// Only Spaces using this model.
    pub fn models(mut self, model: impl Into<String>) -> Self {
        self.models.push(model.into());
        self
    }
    /// Only Spaces linked to a model or dataset (`linked=true`). Default false.
    pub fn linked(mut self, yes: bool) -> Self {
        self.linked = yes;
        self
    }

    /// The query this builder sends.
    pub fn query(&self) -> Vec<(String, String)> {
        let mut q = self.common.query();
        for d in &self.datasets {
            q.push(("datasets".into(), d.clone()));
        }
        for m in &self.models {
            q.push(("models".into(), m.clone()));
        }
        if self.linked {
            q.push(("linked".into(), bool_str(true)));
        }
        q
    }

    /// Starts the listing: a lazy stream of [`SpaceInfo`].
    pub fn send(self) -> BoxStream<'static, Result<SpaceInfo>> {
        stream(&self.api, "spaces", self.query(), self.common.limit)
    }
}

impl HfApi {
    /// `GET /api/models` (paginated): search models. Filters: `.filter()`, `.author()`,
    /// `.search()`, `.task()`, `.library()`, `.language()`, `.model_name()`,
    /// `.trained_dataset()`, `.tags()`, `.pipeline_tag()`, `.gated()`, `.inference()`; output:
    /// `.sort()`, `.descending()`, `.limit()`, `.full()`, `.card_data()`, `.fetch_config()`,
    /// `.expand()`.
    ///
    /// ```no_run
    /// # async fn run(api: hub_core::HfApi) -> hub_core::Result<()> {
    /// use futures::TryStreamExt;
    /// use hub_core::api::Sort;
    /// let top: Vec<_> = api.list_models().task("text-classification").sort(Sort::Downloads)
    ///     .descending().limit(5).send().try_collect().await?;
    /// # Ok(()) }
    /// ```
    pub fn list_models(&self) -> ModelListBuilder {
        ModelListBuilder {
            api: self.clone(),
            common: Common::default(),
            task: Vec::new(),
            library: Vec::new(),
            language: Vec::new(),
            trained_dataset: Vec::new(),
            tags: Vec::new(),
            model_name: None,
            pipeline_tag: None,
            inference: None,
            fetch_config: false,
        }
    }

    /// `GET /api/datasets` (paginated): search datasets (options as [`HfApi::list_models`]
    /// plus the `key:value` filters `.benchmark()`, `.language()`, `.task_categories()`, ...).
    pub fn list_datasets(&self) -> DatasetListBuilder {
        DatasetListBuilder {
            api: self.clone(),
            common: Common::default(),
            keyed: Vec::new(),
            dataset_name: None,
        }
    }

    /// `GET /api/spaces` (paginated): search Spaces (options as [`HfApi::list_models`] plus
    /// `.datasets()`, `.models()`, `.linked()`).
    pub fn list_spaces(&self) -> SpaceListBuilder {
        SpaceListBuilder {
            api: self.clone(),
            common: Common::default(),
            datasets: Vec::new(),
            models: Vec::new(),
            linked: false,
        }
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    fn api() -> HfApi {
        crate::HubClient::builder()
            .config(crate::Config::default())
            .build()
            .unwrap()
            .api()
    }

    #[test]
    fn model_query_matches_python() {
        let q = api()
            .list_models()
            .filter(["f1"])
            .library("pytorch")
            .task("text-classification")
            .trained_dataset("imdb")
            .trained_dataset("dataset:squad")
            .language("en")
            .tags("t")
            .author("a")
            .model_name("bert")
            .search("base")
            .sort(Sort::LastModified)
            .descending()
            .limit(3)
            .full(true)
            .card_data(true)
            .fetch_config(true)
            .expand(["sha", "likes"])
            .query();
        let s: Vec<String> = q.iter().map(|(k, v)| format!("{k}={v}")).collect();
        assert_eq!(
            s,
            [
                "filter=f1",
                "filter=pytorch",
                "filter=text-classification",
                "filter=dataset:imdb",
                "filter=dataset:squad",
                "filter=en",
                "filter=t",
                "author=a",
                "search=bert",
                "search=base",
                "sort=lastModified",
                "direction=-1",
                "limit=3",
                "full=true",
                "cardData=true",
                "expand=sha",
                "expand=likes",
                "config=true"
            ]
        );
    }

    #[test]
    fn dataset_and_space_queries() {
        let q = api()
            .list_datasets()
            .language("fr")
            .task_categories("qa")
            .dataset_name("squad")
            .query();
        assert!(q.contains(&("filter".into(), "language:fr".into())));
        assert!(q.contains(&("filter".into(), "task_categories:qa".into())));
        assert!(q.contains(&("search".into(), "squad".into())));
        let q = api()
            .list_spaces()
            .models("m")
            .datasets("d")
            .linked(true)
            .query();
        assert!(q.contains(&("models".into(), "m".into())));
        assert!(q.contains(&("datasets".into(), "d".into())));
        assert!(q.contains(&("linked".into(), "true".into())));
    }
}
