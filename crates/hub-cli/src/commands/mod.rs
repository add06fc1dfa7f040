//! One module per subcommand: a clap `Args` struct and an `execute` function that calls the
//! libraries and returns data for [`crate::output`] to render.

use std::process::ExitCode;

use crate::cli::Command;
use crate::context::Context;

pub(crate) mod auth;
pub(crate) mod common;
pub(crate) mod completion;
pub(crate) mod delete_cache;
pub(crate) mod download;
pub(crate) mod env;
pub(crate) mod lfs;
pub(crate) mod login;
pub(crate) mod logout;
pub(crate) mod repo;
pub(crate) mod repo_files;
pub(crate) mod scan_cache;
pub(crate) mod tag;
pub(crate) mod upload;
pub(crate) mod upload_large_folder;
pub(crate) mod version;
pub(crate) mod webhooks;
pub(crate) mod whoami;

/// Runs `command`; the exit code is non-zero when the command reports a partial failure.
pub(crate) fn dispatch(command: Command, ctx: &Context) -> anyhow::Result<ExitCode> {
    match command {
        Command::Env(a) => env::execute(a, ctx),
        Command::Login(a) => login::execute(a, ctx),
        Command::Whoami(a) => whoami::execute(a, ctx),
        Command::Logout(a) => logout::execute(a, ctx),
        Command::Auth(a) => auth::execute(a, ctx),
        Command::Repo(a) => repo::execute(a, ctx),
        Command::Upload(a) => upload::execute(a, ctx),
        Command::UploadLargeFolder(a) => upload_large_folder::execute(a, ctx),
        Command::Download(a) => download::execute(a, ctx),
        Command::RepoFiles(a) => repo_files::execute(a, ctx),
        Command::ScanCache(a) => scan_cache::execute(a, ctx),
        Command::DeleteCache(a) => delete_cache::execute(a, ctx),
        Command::Tag(a) => tag::execute(a, ctx),
        Command::Webhooks(a) => webhooks::execute(a, ctx),
        Command::Collections(a) => webhooks::execute_collections(a, ctx),
        Command::Version(a) => version::execute(a, ctx),
        Command::Completion(a) => completion::execute(a),
        Command::LfsEnableLargefiles(a) => lfs::enable(a, ctx),
        Command::LfsMultipartUpload(a) => lfs::upload_agent(a, ctx),
    }
}
