//! Logging in and out: `login`, `logout`, `auth_switch`, `auth_list`, and the git credential
//! helper integration, with the same files as the Python library (`$HF_HOME/token` holds the
//! active token, `$HF_HOME/stored_tokens` every named token; see [`crate::token`]).
//!
//! The library never prints: each function returns what happened and the front end (the CLI)
//! words it (`Token is valid (permission: write).`, `Login successful.`, ...).
//!
//! [`login`] is async (it validates the token with `whoami`); the others only touch small local
//! files or run `git`, and are synchronous: from async code call them through
//! `tokio::task::spawn_blocking`.

use std::io::Write;
use std::path::Path;
use std::process::{Command, Stdio};

use crate::config::Config;
use crate::error::{Error, Result};
use crate::token::{self, Token};

/// The user name the Python library stores with the git credential.
pub const GIT_CREDENTIAL_USERNAME: &str = "hf_user";

/// What [`login`] did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LoginInfo {
    /// The account the token belongs to.
    pub user: String,
    /// The name the token was stored under (its `displayName` on the Hub).
    pub token_name: String,
    /// The token's role (`read`, `write`, `fineGrained`), as in
    /// `Token is valid (permission: write).`.
    pub role: Option<String>,
    /// What happened with the git credential store.
    pub git_credential: GitCredentialOutcome,
    /// `HF_TOKEN` is set and keeps overriding the token just stored.
    pub env_token_overrides: bool,
}

/// Outcome of saving a token as a git credential.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum GitCredentialOutcome {
    /// Not asked for.
    NotRequested,
    /// Saved with `git credential approve`.
    Saved,
    /// Asked for, but git has no credential helper configured (nothing saved).
    NoHelperConfigured,
}

/// Logs in with `token`: validates it with `whoami`, stores it in `stored_tokens` under its
/// display name, makes it the active token (`$HF_HOME/token`) and, if asked, saves it as a git
/// credential for the endpoint.
///
/// Organisation tokens (`api_org…`) are refused with [`Error::InvalidArgument`]; a token the Hub
/// rejects is [`Error::Unauthenticated`] (`Invalid user token.`). Network errors are returned
/// as they are; validation needs the Hub, so in offline mode this fails with
/// [`Error::OfflineModeIsEnabled`] and nothing is written.
///
/// ```no_run
/// # async fn run() -> hub_core::Result<()> {
/// use hub_core::{Config, Token, auth};
/// let info = auth::login(&Config::from_env(), &Token::new("hf_xxx"), false).await?;
/// println!("Token is valid (permission: {}).", info.role.as_deref().unwrap_or("unknown"));
/// # Ok(()) }
/// ```
pub async fn login(
    config: &Config,
    token: &Token,
    add_to_git_credential: bool,
) -> Result<LoginInfo> {
    let client = crate::HubClient::builder()
        .config(config.clone())
        .token(token.expose())
        .build()?;
    login_with_client(&client, token, add_to_git_credential).await
}

/// [`login`] through an existing client (its endpoint, user-agent, retry policy and config,
/// whose token paths are written); `token` replaces the client's token for the validation.
pub async fn login_with_client(
    client: &crate::HubClient,
    token: &Token,
    add_to_git_credential: bool,
) -> Result<LoginInfo> {
    if token.is_org_token() {
        return Err(Error::invalid_argument(
            "You must use your personal account token, not an organization token.",
        ));
    }
    let config = client.config();
    let client = client.with_token(Some(token.clone()));
    let me = match client.api().whoami().await {
        Ok(me) => me,
        Err(e) if matches!(e.status(), Some(401 | 403)) => {
            return Err(Error::Unauthenticated(format!(
                "Invalid user token. The token from {} was rejected by the Hub.",
                config.endpoint
            )));
        }
        Err(e) => return Err(e),
    };
    let token_name = me
        .token_name()
        .filter(|n| !n.trim().is_empty())
        .unwrap_or(&me.name)
        .to_owned();
    let role = me.token_role().map(str::to_owned);
    let config2 = config.clone();
    let token2 = token.clone();
    let name2 = token_name.clone();
    let git_credential = tokio::task::spawn_blocking(move || {
        save_token(&config2, &name2, &token2)?;
        set_active(&config2, &token2, add_to_git_credential)
    })
    .await
    .map_err(|e| Error::io("saving the token", std::io::Error::other(e.to_string())))??;
    Ok(LoginInfo {
        user: me.name,
        token_name,
        role,
        git_credential,
        env_token_overrides: config.env_token.as_ref().is_some_and(|t| t != token),
    })
}

fn save_token(config: &Config, name: &str, token: &Token) -> Result<()> {
    let mut stored = token::read_stored_tokens(&config.stored_tokens_path)?;
    stored.insert(name.to_owned(), token.clone());
    token::write_stored_tokens(&config.stored_tokens_path, &stored)
}

fn set_active(
    config: &Config,
    token: &Token,
    add_to_git_credential: bool,
) -> Result<GitCredentialOutcome> {
    let outcome = if add_to_git_credential {
        if list_credential_helpers(None)?.is_empty() {
            GitCredentialOutcome::NoHelperConfigured
        } else {
            set_git_credential(&config.endpoint, token, GIT_CREDENTIAL_USERNAME, None)?;
            GitCredentialOutcome::Saved
        }
    } else {
        GitCredentialOutcome::NotRequested
    };
    token::write_token_file(&config.token_path, token)?;
    Ok(outcome)
}

/// What [`logout`] did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum LogoutOutcome {
    /// There was no token file and no stored token (`Not logged in!`).
    NotLoggedIn,
    /// Every stored token and the active token file were deleted.
    LoggedOutAll,
    /// The named token was removed (and the active token file, if it held that token).
    LoggedOut(String),
}

/// Logs out: with `None`, deletes the active token file and every stored token; with a name,
/// removes that token (and the active token file if it is the active one).
///
/// Errors: an unknown name is [`Error::InvalidArgument`]. When `HF_TOKEN` is set, the files are
/// still cleaned but the result is [`Error::EnvironmentToken`], saying to unset `HF_TOKEN`:
/// the environment variable keeps the session alive and cannot be removed from here.
///
/// The git credential is not touched; call [`unset_git_credential`] too for Python's full
/// behaviour.
pub fn logout(config: &Config, token_name: Option<&str>) -> Result<LogoutOutcome> {
    let stored = token::read_stored_tokens(&config.stored_tokens_path)?;
    let active = token::read_token_file(&config.token_path)?;
    let outcome = if active.is_none() && stored.is_empty() {
        // Nothing on disk; with HF_TOKEN set this still ends in the error below, as in Python.
        LogoutOutcome::NotLoggedIn
    } else {
        match token_name {
            None => {
                remove_if_exists(&config.token_path)?;
                remove_if_exists(&config.stored_tokens_path)?;
                LogoutOutcome::LoggedOutAll
            }
            Some(name) => {
                let mut stored = stored;
                let Some(removed) = stored.remove(name) else {
                    return Err(Error::invalid_argument(format!(
                        "Access token {name} not found in {}",
                        config.stored_tokens_path.display()
                    )));
                };
                token::write_stored_tokens(&config.stored_tokens_path, &stored)?;
                if active.as_ref() == Some(&removed) {
                    remove_if_exists(&config.token_path)?;
                }
                LogoutOutcome::LoggedOut(name.to_owned())
            }
        }
    };
    if config.env_token.is_some() {
        return Err(Error::EnvironmentToken(
            "Token has been deleted from your machine but you are still logged in using an environment variable. To log out from the environment, unset the `HF_TOKEN` environment variable."
                .to_owned(),
        ));
    }
    Ok(outcome)
}

fn remove_if_exists(path: &Path) -> Result<()> {
    match std::fs::remove_file(path) {
        Ok(()) => Ok(()),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(()),
        Err(e) => Err(Error::io(format!("deleting {}", path.display()), e)),
    }
}

/// What [`auth_switch`] did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SwitchInfo {
    /// The now active token name.
    pub token_name: String,
    /// What happened with the git credential store.
    pub git_credential: GitCredentialOutcome,
    /// `HF_TOKEN` is set (to another token) and keeps overriding the active token.
    pub env_token_overrides: bool,
}

/// Makes the stored token `token_name` the active one (writes `$HF_HOME/token`). An unknown name
/// is [`Error::InvalidArgument`].
pub fn auth_switch(
    config: &Config,
    token_name: &str,
    add_to_git_credential: bool,
) -> Result<SwitchInfo> {
    let stored = token::read_stored_tokens(&config.stored_tokens_path)?;
    let Some(tok) = stored.get(token_name) else {
        return Err(Error::invalid_argument(format!(
            "Access token {token_name} not found in {}",
            config.stored_tokens_path.display()
        )));
    };
    let git_credential = set_active(config, tok, add_to_git_credential)?;
    Ok(SwitchInfo {
        token_name: token_name.to_owned(),
        git_credential,
        env_token_overrides: config.env_token.as_ref().is_some_and(|t| t != tok),
    })
}

/// The stored tokens and which one is active ([`auth_list`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TokenList {
    /// Name of the active token: the stored token equal to the token in use (`HF_TOKEN`, else
    /// the token file), if any.
    pub active: Option<String>,
    /// Every stored token name, sorted.
    pub names: Vec<String>,
    /// Whether `HF_TOKEN` is set (it overrides the files).
    pub env_token_set: bool,
}

/// Lists stored token names and the active one, as `huggingface-cli auth list`.
pub fn auth_list(config: &Config) -> Result<TokenList> {
    let stored = token::read_stored_tokens(&config.stored_tokens_path)?;
    let current = match &config.env_token {
        Some(t) => Some(t.clone()),
        None => token::read_token_file(&config.token_path)?,
    };
    let active = current.and_then(|cur| {
        stored
            .iter()
            .find(|(_, t)| **t == cur)
            .map(|(n, _)| n.clone())
    });
    Ok(TokenList {
        active,
        names: stored.keys().cloned().collect(),
        env_token_set: config.env_token.is_some(),
    })
}

// ---------------------------------------------------------------------------------------------
// git credential helpers

fn git(folder: Option<&Path>) -> Command {
    let mut cmd = Command::new("git");
    if let Some(f) = folder {
        cmd.current_dir(f);
    }
    cmd
}

/// The configured git credential helpers (`git config --get-all credential.helper`), named
/// as Python names them: the helper's first word when it is a plain name (`store --file=x` →
/// `store`), sorted and deduplicated; helpers given as paths or shell snippets are left out,
/// as Python's regex leaves them out. None configured → empty list; git missing →
/// [`Error::Io`].
pub fn list_credential_helpers(folder: Option<&Path>) -> Result<Vec<String>> {
    let out = git(folder)
        .args(["config", "--get-all", "credential.helper"])
        .stdin(Stdio::null())
        .stderr(Stdio::null())
        .output()
        .map_err(|e| Error::io("running `git config --get-all credential.helper`", e))?;
    // Exit status 1 means "no such key": no helper.
    Ok(parse_helpers(&String::from_utf8_lossy(&out.stdout)))
}

/// Helper names from `git config --get-all credential.helper` output (see
/// [`list_credential_helpers`]).
fn parse_helpers(output: &str) -> Vec<String> {
    let mut names: Vec<String> = output
        .lines()
        .filter_map(|line| {
            let line = line.trim();
            let name_len = line
                .find(|c: char| !(c.is_alphanumeric() || c == '_'))
                .unwrap_or(line.len());
            let (name, rest) = line.split_at(name_len);
            (!name.is_empty() && (rest.is_empty() || rest.starts_with(char::is_whitespace)))
                .then(|| name.to_owned())
        })
        .collect();
    names.sort();
    names.dedup();
    names
}

/// `protocol=` and `host=` (with port) of an endpoint URL, for `git credential`.
fn credential_target(endpoint: &str) -> Result<(String, String)> {
    let url = url::Url::parse(endpoint)
        .map_err(|e| Error::invalid_argument(format!("invalid endpoint {endpoint:?}: {e}")))?;
    let host = url
        .host_str()
        .ok_or_else(|| Error::invalid_argument(format!("endpoint {endpoint:?} has no host")))?;
    let host = match url.port() {
        Some(p) => format!("{host}:{p}"),
        None => host.to_owned(),
    };
    Ok((url.scheme().to_owned(), host))
}

fn run_credential(folder: Option<&Path>, action: &str, input: &str) -> Result<()> {
    let ctx = || format!("running `git credential {action}`");
    let mut child = git(folder)
        .args(["credential", action])
        .stdin(Stdio::piped())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .map_err(|e| Error::io(ctx(), e))?;
    if let Some(mut stdin) = child.stdin.take() {
        stdin
            .write_all(input.as_bytes())
            .map_err(|e| Error::io(ctx(), e))?;
    }
    let status = child.wait().map_err(|e| Error::io(ctx(), e))?;
    if status.success() {
        Ok(())
    } else {
        Err(Error::io(
            ctx(),
            std::io::Error::other(format!("git exited with {status}")),
        ))
    }
}

/// Saves `token` as the git password of `username` (Python uses `hf_user`) for `endpoint`, with
/// `git credential approve`, so `git push` to the Hub works without a prompt.
pub fn set_git_credential(
    endpoint: &str,
    token: &Token,
    username: &str,
    folder: Option<&Path>,
) -> Result<()> {
    let (protocol, host) = credential_target(endpoint)?;
    let input = format!(
        "protocol={protocol}\nhost={host}\nusername={}\npassword={}\n\n",
        username.to_lowercase(),
        token.expose()
    );
    run_credential(folder, "approve", &input)
}

/// Removes the git credential of `username` for `endpoint` (`git credential reject`).
pub fn unset_git_credential(endpoint: &str, username: &str, folder: Option<&Path>) -> Result<()> {
    let (protocol, host) = credential_target(endpoint)?;
    let input = format!(
        "protocol={protocol}\nhost={host}\nusername={}\n\n",
        username.to_lowercase()
    );
    run_credential(folder, "reject", &input)
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    fn config(dir: &Path) -> Config {
        Config::builder().home(dir).build()
    }

    #[test]
    fn list_switch_logout_cycle() {
        let dir = tempfile::tempdir().unwrap();
        let c = config(dir.path());
        assert_eq!(logout(&c, None).unwrap(), LogoutOutcome::NotLoggedIn);
        save_token(&c, "a", &Token::new("hf_aaaaaaaaaaaa")).unwrap();
        save_token(&c, "b", &Token::new("hf_bbbbbbbbbbbb")).unwrap();
        let l = auth_list(&c).unwrap();
        assert_eq!(l.names, ["a", "b"]);
        assert_eq!(l.active, None);
        let s = auth_switch(&c, "b", false).unwrap();
        assert_eq!(s.git_credential, GitCredentialOutcome::NotRequested);
        assert_eq!(
            std::fs::read_to_string(&c.token_path).unwrap(),
            "hf_bbbbbbbbbbbb"
        );
        assert_eq!(auth_list(&c).unwrap().active.as_deref(), Some("b"));
        assert!(matches!(
            auth_switch(&c, "zz", false),
            Err(Error::InvalidArgument(_))
        ));
        // Logging out from a non-active token keeps the active file.
        assert_eq!(
            logout(&c, Some("a")).unwrap(),
            LogoutOutcome::LoggedOut("a".into())
        );
        assert!(c.token_path.exists());
        assert!(matches!(
            logout(&c, Some("a")),
            Err(Error::InvalidArgument(_))
        ));
        // Logging out from the active token removes the file.
        logout(&c, Some("b")).unwrap();
        assert!(!c.token_path.exists());
        save_token(&c, "a", &Token::new("hf_aaaaaaaaaaaa")).unwrap();
        auth_switch(&c, "a", false).unwrap();
        assert_eq!(logout(&c, None).unwrap(), LogoutOutcome::LoggedOutAll);
        assert!(!c.token_path.exists() && !c.stored_tokens_path.exists());
    }

    #[test]
    fn env_token_cannot_be_logged_out() {
        let dir = tempfile::tempdir().unwrap();
        let c = config(dir.path())
            .to_builder()
            .env_token(Some(Token::new("hf_envenvenvenv")))
            .build();
        save_token(&c, "a", &Token::new("hf_aaaaaaaaaaaa")).unwrap();
        token::write_token_file(&c.token_path, &Token::new("hf_aaaaaaaaaaaa")).unwrap();
        let l = auth_list(&c).unwrap();
        assert!(l.env_token_set);
        assert_eq!(
            l.active, None,
            "the env token is in use, and it is not stored"
        );
        let e = logout(&c, None).unwrap_err();
        assert!(matches!(e, Error::EnvironmentToken(_)));
        assert!(e.to_string().contains("unset the `HF_TOKEN`"));
        assert!(!c.token_path.exists(), "files are still cleaned");
        assert!(!format!("{e:?}").contains("envenvenv"));
    }

    #[test]
    fn git_credential_round_trip_in_a_local_store() {
        let outside = tempfile::tempdir().unwrap();
        // Never write into a developer's global credential helpers.
        if !list_credential_helpers(Some(outside.path()))
            .unwrap_or_default()
            .is_empty()
        {
            return;
        }
        let dir = tempfile::tempdir().unwrap();
        let store = dir.path().join("creds");
        let git_ok = Command::new("git")
            .arg("init")
            .arg("-q")
            .current_dir(dir.path())
            .status()
            .map(|s| s.success())
            .unwrap_or(false);
        if !git_ok {
            return; // git is not installed: nothing to test.
        }
        let helper = format!("store --file={}", store.display());
        assert!(
            Command::new("git")
                .args(["config", "credential.helper", &helper])
                .current_dir(dir.path())
                .status()
                .unwrap()
                .success()
        );
        assert_eq!(
            list_credential_helpers(Some(dir.path())).unwrap(),
            ["store"]
        );
        let token = Token::new("hf_gitcredentialtoken");
        set_git_credential("http://127.0.0.1:9999", &token, "HF_USER", Some(dir.path())).unwrap();
        let saved = std::fs::read_to_string(&store).unwrap();
        assert!(
            saved.contains("hf_user:hf_gitcredentialtoken@127.0.0.1"),
            "{saved}"
        );
        unset_git_credential("http://127.0.0.1:9999", "hf_user", Some(dir.path())).unwrap();
        let saved = std::fs::read_to_string(&store).unwrap();
        assert!(!saved.contains("hf_gitcredentialtoken"), "{saved}");
    }

    #[test]
    fn helper_names_as_python_parses_them() {
        assert_eq!(
            parse_helpers(
                "store --file=/x\ncache\nstore\n/usr/bin/helper\n!f() { x; }\nosxkeychain\n"
            ),
            ["cache", "osxkeychain", "store"]
        );
        assert!(parse_helpers("").is_empty());
    }

    #[test]
    fn credential_targets() {
        assert_eq!(
            credential_target("http://127.0.0.1:8080").unwrap(),
            ("http".into(), "127.0.0.1:8080".into())
        );
        assert_eq!(
            credential_target("https://huggingface.co").unwrap(),
            ("https".into(), "huggingface.co".into())
        );
        assert!(credential_target("not a url").is_err());
    }
}
