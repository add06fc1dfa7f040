//! `huggingface-cli webhooks {list,create,delete}` and `huggingface-cli collections list`: thin
//! terminal front-ends over `HfApi`'s webhook and collection calls (the Python 0.26 CLI has no
//! such commands; these follow the house style of `tag`: a table or one line on stdout, errors
//! on stderr with what to do next).

use std::process::ExitCode;

use anyhow::Context as _;
use clap::{Args, Subcommand, ValueEnum};
use futures::TryStreamExt;
use hub_core::api::CollectionSort;
use hub_core::types_community::{WatchedType, WebhookDomain, WebhookWatchedItem};

use crate::context::Context;
use crate::output::{Cell, Lines, Style, emit, say, tabulate};
use crate::prompt;

/// Arguments of `webhooks`.
#[derive(Debug, Args)]
pub(crate) struct WebhooksArgs {
    /// Webhook commands.
    #[command(subcommand)]
    pub(crate) command: WebhooksCommand,
}

/// `webhooks` subcommands.
#[derive(Debug, Subcommand)]
pub(crate) enum WebhooksCommand {
    /// List your webhooks.
    List(WebhookListArgs),
    /// Create a webhook.
    Create(WebhookCreateArgs),
    /// Delete a webhook.
    Delete(WebhookDeleteArgs),
}

/// Arguments of `webhooks list`.
#[derive(Debug, Args)]
pub(crate) struct WebhookListArgs {
    /// A User Access Token generated from https://huggingface.co/settings/tokens.
    #[arg(long)]
    pub(crate) token: Option<String>,
}

/// Event domains accepted by `--domain`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub(crate) enum DomainArg {
    /// Commits, refs and repo settings.
    Repo,
    /// Discussions, pull requests and comments.
    Discussion,
}

impl From<DomainArg> for WebhookDomain {
    fn from(d: DomainArg) -> Self {
        match d {
            DomainArg::Repo => WebhookDomain::Repo,
            DomainArg::Discussion => WebhookDomain::Discussion,
        }
    }
}

/// Arguments of `webhooks create`.
#[derive(Debug, Args)]
pub(crate) struct WebhookCreateArgs {
    /// Where the Hub POSTs events (http or https).
    #[arg(long)]
    pub(crate) url: String,
    /// What to watch, as TYPE:NAME with TYPE one of model, dataset, space, user, org (e.g.
    /// `model:me/my-model`, `org:acme`). Repeat for several.
    #[arg(long = "watch", value_name = "TYPE:NAME", required = true)]
    pub(crate) watch: Vec<String>,
    /// Which events to receive (repeat for several; default: all).
    #[arg(long = "domain", value_enum)]
    pub(crate) domains: Vec<DomainArg>,
    /// Secret sent back in the X-Webhook-Secret header of every event.
    #[arg(long)]
    pub(crate) secret: Option<String>,
    /// A User Access Token generated from https://huggingface.co/settings/tokens.
    #[arg(long)]
    pub(crate) token: Option<String>,
}

/// Arguments of `webhooks delete`.
#[derive(Debug, Args)]
pub(crate) struct WebhookDeleteArgs {
    /// Id of the webhook (see `webhooks list`).
    pub(crate) id: String,
    /// Answer Yes to prompts automatically.
    #[arg(short = 'y', long)]
    pub(crate) yes: bool,
    /// A User Access Token generated from https://huggingface.co/settings/tokens.
    #[arg(long)]
    pub(crate) token: Option<String>,
}

/// `TYPE:NAME` → a watched item; the type must be one the Hub knows.
fn parse_watch(spec: &str) -> anyhow::Result<WebhookWatchedItem> {
    let (kind, name) = spec
        .split_once(':')
        .filter(|(_, n)| !n.is_empty())
        .with_context(|| {
            format!("--watch {spec:?}: expected TYPE:NAME, e.g. model:me/my-model or org:acme")
        })?;
    let kind = match WatchedType::from(kind.to_owned()) {
        WatchedType::Other(k) => anyhow::bail!(
            "--watch {spec:?}: unknown type {k:?}; use one of model, dataset, space, user, org"
        ),
        k => k,
    };
    Ok(WebhookWatchedItem::new(kind, name))
}

/// Runs `webhooks ...`.
pub(crate) fn execute(args: WebhooksArgs, ctx: &Context) -> anyhow::Result<ExitCode> {
    let style = Style::new(ctx.ansi);
    match args.command {
        WebhooksCommand::List(a) => {
            let api = ctx.client(a.token.as_deref())?.api();
            let hooks = ctx.block_on(api.list_webhooks())??;
            if hooks.is_empty() {
                say("No webhooks found")?;
                return Ok(ExitCode::SUCCESS);
            }
            let rows: Vec<Vec<Cell>> = hooks
                .iter()
                .map(|h| {
                    let watched: Vec<String> = h
                        .watched
                        .iter()
                        .map(|w| format!("{}:{}", w.item_type.as_str(), w.name))
                        .collect();
                    let domains: Vec<&str> = h
                        .domains
                        .iter()
                        .map(|d| match d {
                            WebhookDomain::Repo => "repo",
                            WebhookDomain::Discussion => "discussion",
                        })
                        .collect();
                    vec![
                        Cell::Text(h.id.clone()),
                        Cell::Text(h.url.clone()),
                        Cell::Text(watched.join(",")),
                        Cell::Text(domains.join(",")),
                        Cell::Text(if h.disabled { "disabled" } else { "enabled" }.into()),
                    ]
                })
                .collect();
            let lines = tabulate(&["ID", "URL", "WATCHED", "DOMAINS", "STATUS"], &rows);
            emit(&Lines(lines), style)?;
        }
        WebhooksCommand::Create(a) => {
            let api = ctx.client(a.token.as_deref())?.api();
            let mut builder = api.create_webhook().url(&a.url);
            for spec in &a.watch {
                builder = builder.watch(parse_watch(spec)?);
            }
            if !a.domains.is_empty() {
                builder = builder.domains(a.domains.iter().map(|d| WebhookDomain::from(*d)));
            }
            if let Some(secret) = &a.secret {
                builder = builder.secret(secret);
            }
            let hook = ctx.block_on(builder.send())??;
            say(&format!(
                "Webhook {} created: events go to {}",
                style.bold(&hook.id),
                hook.url
            ))?;
        }
        WebhooksCommand::Delete(a) => {
            let api = ctx.client(a.token.as_deref())?.api();
            say(&format!(
                "You are about to delete webhook {}",
                style.bold(&a.id)
            ))?;
            if !a.yes && !prompt::proceed()? {
                say("Abort")?;
                return Ok(ExitCode::SUCCESS);
            }
            match ctx.block_on(api.delete_webhook(&a.id))? {
                Ok(()) => {}
                Err(e) if e.is_not_found() => anyhow::bail!(
                    "Webhook {} not found. List yours with `huggingface-cli webhooks list`.",
                    a.id
                ),
                Err(e) => return Err(e.into()),
            }
            say(&format!("Webhook {} deleted", style.bold(&a.id)))?;
        }
    }
    Ok(ExitCode::SUCCESS)
}

/// Arguments of `collections`.
#[derive(Debug, Args)]
pub(crate) struct CollectionsArgs {
    /// Collection commands.
    #[command(subcommand)]
    pub(crate) command: CollectionsCommand,
}

/// `collections` subcommands.
#[derive(Debug, Subcommand)]
pub(crate) enum CollectionsCommand {
    /// List collections.
    List(CollectionListArgs),
}

/// Orders accepted by `--sort`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub(crate) enum SortArg {
    /// Most recently changed first.
    LastModified,
    /// Trending first.
    Trending,
    /// Most upvoted first.
    Upvotes,
}

impl From<SortArg> for CollectionSort {
    fn from(s: SortArg) -> Self {
        match s {
            SortArg::LastModified => CollectionSort::LastModified,
            SortArg::Trending => CollectionSort::Trending,
            SortArg::Upvotes => CollectionSort::Upvotes,
        }
    }
}

/// Arguments of `collections list`.
#[derive(Debug, Args)]
pub(crate) struct CollectionListArgs {
    /// Only collections of this user or organization (repeat for several).
    #[arg(long)]
    pub(crate) owner: Vec<String>,
    /// Only collections containing this item, as `models/ID`, `datasets/ID`, `spaces/ID` or
    /// `papers/ID` (repeat for several).
    #[arg(long)]
    pub(crate) item: Vec<String>,
    /// Order of the listing.
    #[arg(long, value_enum)]
    pub(crate) sort: Option<SortArg>,
    /// At most this many collections.
    #[arg(long)]
    pub(crate) limit: Option<usize>,
    /// A User Access Token generated from https://huggingface.co/settings/tokens.
    #[arg(long)]
    pub(crate) token: Option<String>,
}

/// Runs `collections ...`.
pub(crate) fn execute_collections(
    args: CollectionsArgs,
    ctx: &Context,
) -> anyhow::Result<ExitCode> {
    let style = Style::new(ctx.ansi);
    let CollectionsCommand::List(a) = args.command;
    let api = ctx.client(a.token.as_deref())?.api();
    let mut builder = api.list_collections();
    for owner in &a.owner {
        builder = builder.owner(owner);
    }
    for item in &a.item {
        builder = builder.item(item);
    }
    if let Some(sort) = a.sort {
        builder = builder.sort(sort.into());
    }
    if let Some(limit) = a.limit {
        builder = builder.limit(limit);
    }
    let found: Vec<_> = ctx.block_on(builder.send().try_collect())??;
    if found.is_empty() {
        say("No collections found")?;
        return Ok(ExitCode::SUCCESS);
    }
    let rows: Vec<Vec<Cell>> = found
        .iter()
        .map(|c| {
            vec![
                Cell::Text(c.slug.clone()),
                Cell::Text(c.title.clone()),
                Cell::Num(c.items.len() as u64),
                Cell::Num(c.upvotes),
                Cell::Text(if c.private { "private" } else { "public" }.into()),
            ]
        })
        .collect();
    let lines = tabulate(&["SLUG", "TITLE", "ITEMS", "UPVOTES", "VISIBILITY"], &rows);
    emit(&Lines(lines), style)?;
    Ok(ExitCode::SUCCESS)
}
