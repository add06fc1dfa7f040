//! Flags and helpers several subcommands share.

use clap::ValueEnum;
use hub_core::RepoType;

/// `--repo-type {model,dataset,space}`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, ValueEnum)]
pub(crate) enum RepoTypeArg {
    /// A model repository (the default).
    #[default]
    Model,
    /// A dataset repository.
    Dataset,
    /// A Space.
    Space,
}

impl From<RepoTypeArg> for RepoType {
    fn from(value: RepoTypeArg) -> Self {
        match value {
            RepoTypeArg::Model => RepoType::Model,
            RepoTypeArg::Dataset => RepoType::Dataset,
            RepoTypeArg::Space => RepoType::Space,
        }
    }
}

/// `Model`, `Dataset`, `Space`: Python's `repo_type.capitalize()`.
pub(crate) fn capitalized(repo_type: RepoType) -> &'static str {
    match repo_type {
        RepoType::Model => "Model",
        RepoType::Dataset => "Dataset",
        RepoType::Space => "Space",
    }
}

/// Python's `str(float)` for the timeouts of `env`: `10` stays `10`, `1.5` stays `1.5`.
pub(crate) fn seconds(d: std::time::Duration) -> String {
    let s = d.as_secs_f64();
    if s.fract() == 0.0 {
        format!("{}", s as u64)
    } else {
        format!("{s}")
    }
}
