//! hub-cards: repository cards (model, dataset, Space) and their YAML metadata, read and
//! written exactly as Python's `huggingface_hub` (0.26) does.
//!
//! A card is a `README.md` whose YAML front matter holds metadata (license, tags, datasets,
//! evaluation results...) followed by Markdown. [`ModelCard`], [`DatasetCard`], [`SpaceCard`]
//! and [`RepoCard`] parse one, give typed access to the metadata ([`ModelCardData`], ...), and
//! write it back:
//!
//! ```
//! use hub_cards::{ModelCard, Value};
//!
//! let mut card = ModelCard::parse("---\nlicense: mit\ntags:\n- vision\n---\n# My model\n")?;
//! card.data.language = Some("en".into());
//! card.data.tags = Some(Value::from(vec!["vision", "resnet"]));
//! assert_eq!(
//!     card.content(),
//!     "---\nlicense: mit\ntags:\n- vision\n- resnet\nlanguage: en\n---\n# My model\n"
//! );
//! # Ok::<(), hub_cards::Error>(())
//! ```
//!
//! # Same bytes as Python
//!
//! The design decision of this crate is that Python and Rust must agree on every card: the
//! same text reads to the same data, and the same data writes the same bytes. Both halves need
//! PyYAML's rules, which differ from YAML 1.2 libraries:
//!
//! * Reading ([`yaml::parse_yaml`]) uses `granit-parser` events (the parser under serde-saphyr)
//!   so that plain and quoted scalars can be told apart, then types plain scalars with PyYAML's
//!   YAML 1.1 resolver: `yes`/`off` are booleans, `0777` octal, `1e5` a string,
//!   `2023-01-31` a date. Mappings keep their key order ([`Mapping`]).
//! * Writing ([`yaml::to_yaml_string`]) is a port of PyYAML's emitter for the block style that
//!   `yaml.dump(sort_keys=False, allow_unicode=True)` produces: unindented lists under keys,
//!   quoting only where a plain scalar would read back differently, folding at column 80.
//! * The card layer reproduces `huggingface_hub`'s own rules: the front-matter pattern, the
//!   line-ending detection, key order (the card's, then new keys; `model-index` and
//!   `train-eval-index` last), `None` removal, and tag de-duplication.
//!
//! The test-suite checks all of it against Python 0.26.5 at run time over a corpus of cards.
//!
//! # On the Hub
//!
//! [`Card::load`] reads a repository's card, [`Card::push_to_hub`] validates
//! (`POST /api/validate-yaml`) and commits it through hub-upload, and [`metadata_update`]
//! merges metadata (and evaluation results) into a repository's card:
//!
//! ```no_run
//! # async fn run() -> Result<(), hub_cards::Error> {
//! use hub_cards::{Mapping, ModelCard, metadata_update};
//! use hub_core::{HubClient, RepoId};
//!
//! let client = HubClient::from_env()?;
//! let repo = RepoId::new("me/my-model")?;
//! let mut card = ModelCard::load(&client, &repo).await?;
//! card.data.license = Some("apache-2.0".into());
//! card.push_to_hub(&client, &repo).create_pr(true).await?;
//!
//! let mut metadata = Mapping::new();
//! metadata.insert("pipeline_tag", "text-classification");
//! metadata_update(&client, &repo, metadata).overwrite(true).await?;
//! # Ok(()) }
//! ```
//!
//! Evaluation results are [`EvalResult`]s, converted to and from the `model-index` with
//! [`eval_results_to_model_index`] and [`model_index_to_eval_results`]. New cards come from
//! templates ([`Card::from_template`], rendered with minijinja like Jinja2 renders them).

#![cfg_attr(test, allow(clippy::unwrap_used))]

mod card;
mod data;
mod emit_python;
mod error;
mod eval;
mod hub;
mod metadata;
mod template;
mod value;
pub mod yaml;

pub use card::{
    Card, DatasetCard, ModelCard, RepoCard, SpaceCard, detect_line_ending, front_matter,
};
pub use data::{
    CardData, CardDataKind, DatasetCardData, LoadOptions, ModelCardData, SpaceCardData,
};
pub use error::{Error, Result};
pub use eval::{EvalResult, eval_results_to_model_index, model_index_to_eval_results};
pub use hub::{LoadCard, MetadataUpdate, PushCard, REPOCARD_NAME, ValidateCard, metadata_update};
pub use metadata::{EvalResultMetadata, metadata_eval_result, metadata_load, metadata_save};
pub use template::{DATASET_CARD_TEMPLATE, FromTemplate, MODEL_CARD_TEMPLATE, render_template};
pub use value::{Mapping, Value};
