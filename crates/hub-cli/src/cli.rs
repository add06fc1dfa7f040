//! The command line grammar: the top-level [`Cli`] and the [`Command`] enum. Each subcommand's
//! flags live in its own module under [`crate::commands`], next to the code that uses them.

use clap::{Args, Parser, Subcommand};

use crate::commands::{
    auth, completion, delete_cache, download, env, lfs, login, logout, repo, repo_files,
    scan_cache, tag, upload, upload_large_folder, version, webhooks, whoami,
};

/// huggingface-cli command helpers
#[derive(Debug, Parser)]
#[command(
    name = "huggingface-cli",
    bin_name = "huggingface-cli",
    override_usage = "huggingface-cli <command> [<args>]",
    disable_version_flag = true,
    about = "The Hugging Face Hub command line: log in, upload, download and manage your cache."
)]
pub(crate) struct Cli {
    /// Options that apply to every command.
    #[command(flatten)]
    pub(crate) global: GlobalArgs,
    /// The subcommand to run.
    #[command(subcommand)]
    pub(crate) command: Command,
}

/// Options accepted before the subcommand.
#[derive(Debug, Args)]
pub(crate) struct GlobalArgs {
    /// Log what the libraries do (to stderr): -v info, -vv debug, -vvv trace. HF_HUB_VERBOSITY
    /// sets the level too.
    #[arg(short = 'v', long = "verbose", action = clap::ArgAction::Count)]
    pub(crate) verbose: u8,
}

/// Every subcommand of `huggingface-cli`.
#[derive(Debug, Subcommand)]
pub(crate) enum Command {
    /// Print information about the environment.
    Env(env::EnvArgs),
    /// Log in using a token from huggingface.co/settings/tokens
    Login(login::LoginArgs),
    /// Find out which huggingface.co account you are logged in as.
    Whoami(whoami::WhoamiArgs),
    /// Log out
    Logout(logout::LogoutArgs),
    /// Other authentication related commands
    Auth(auth::AuthArgs),
    /// {create} Commands to interact with your huggingface.co repos.
    Repo(repo::RepoArgs),
    /// Upload a file or a folder to a repo on the Hub
    Upload(upload::UploadArgs),
    /// Upload a large folder to a repo on the Hub
    UploadLargeFolder(upload_large_folder::UploadLargeFolderArgs),
    /// Download files from the Hub
    Download(download::DownloadArgs),
    /// Manage files in a repo on the Hub
    RepoFiles(repo_files::RepoFilesArgs),
    /// Scan cache directory.
    ScanCache(scan_cache::ScanCacheArgs),
    /// Delete revisions from the cache directory.
    DeleteCache(delete_cache::DeleteCacheArgs),
    /// (create, list, delete) tags for a repo in the hub
    Tag(tag::TagArgs),
    /// (list, create, delete) your webhooks
    Webhooks(webhooks::WebhooksArgs),
    /// (list) collections on the hub
    Collections(webhooks::CollectionsArgs),
    /// Print information about the huggingface-cli version.
    Version(version::VersionArgs),
    /// Print a shell completion script (bash, zsh, fish, elvish, powershell).
    Completion(completion::CompletionArgs),
    /// Configure your repository to enable upload of files > 5GB.
    LfsEnableLargefiles(lfs::LfsEnableArgs),
    /// git-lfs custom transfer agent for multipart uploads (called by git-lfs, not by you).
    #[command(hide = true)]
    LfsMultipartUpload(lfs::LfsUploadArgs),
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::CommandFactory;

    #[test]
    fn grammar_is_consistent() {
        Cli::command().debug_assert();
    }
}
