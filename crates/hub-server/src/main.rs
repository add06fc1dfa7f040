//! `hub-server` binary: account administration and the server itself.

use std::io::Write;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand};

#[derive(Parser)]
#[command(
    name = "hub-server",
    version,
    about = "A local, durable Hugging Face Hub-compatible server"
)]
struct Cli {
    #[command(subcommand)]
    cmd: Cmd,
}

#[derive(Subcommand)]
enum Cmd {
    /// Manage users.
    User {
        #[command(subcommand)]
        cmd: UserCmd,
    },
    /// Manage organizations.
    Org {
        #[command(subcommand)]
        cmd: OrgCmd,
    },
    /// Manage repositories whose id has no namespace (`gpt2`).
    Repo {
        #[command(subcommand)]
        cmd: RepoCmd,
    },
    /// Run the server.
    Serve {
        /// Root of all persistent state.
        #[arg(long)]
        data_dir: PathBuf,
        /// Address to listen on (port 0 picks a free port).
        #[arg(long, default_value = "127.0.0.1:8080")]
        listen: SocketAddr,
        /// Base URL used in returned URLs (default http://HOST:PORT).
        #[arg(long)]
        public_url: Option<String>,
        /// Base URL of signed LFS download URLs (default: the public URL).
        #[arg(long)]
        blob_url: Option<String>,
        /// Fault injection: drop=P,error=P,ratelimit=P,throttle=BYTES_PER_SEC,seed=N.
        #[arg(long)]
        chaos: Option<String>,
        /// Page size of paginated listings.
        #[arg(long)]
        page_size: Option<usize>,
        /// LFS uploads of at least this many bytes use multipart.
        #[arg(long)]
        multipart_threshold: Option<u64>,
        /// Part size of multipart LFS uploads.
        #[arg(long)]
        multipart_chunk_size: Option<u64>,
        /// Where LFS contents live: `s3://BUCKET[/PREFIX]` for an S3-compatible service
        /// (credentials from AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY); default DATA/lfs.
        #[arg(long)]
        blob_store: Option<String>,
        /// Endpoint URL of the S3-compatible service (default: AWS, or AWS_ENDPOINT_URL).
        #[arg(long)]
        s3_endpoint: Option<String>,
        /// Region of the bucket (default: AWS_REGION, else us-east-1).
        #[arg(long)]
        s3_region: Option<String>,
        /// Redirect LFS downloads to presigned store URLs (when clients can reach the store).
        #[arg(long)]
        s3_presign: bool,
        /// PEM file of extra CA certificates to trust when delivering webhooks over https
        /// (Mozilla's roots, from webpki-roots, are always trusted).
        #[arg(long)]
        webhook_ca_file: Option<std::path::PathBuf>,
    },
}

#[derive(Subcommand)]
enum UserCmd {
    /// Create a user if missing and add a token.
    Add {
        /// User name.
        name: String,
        /// Access token to register.
        #[arg(long)]
        token: String,
        /// Register a read-only token.
        #[arg(long)]
        read_only: bool,
        /// Display name.
        #[arg(long)]
        fullname: Option<String>,
        /// E-mail address.
        #[arg(long)]
        email: Option<String>,
        /// Root of all persistent state.
        #[arg(long)]
        data_dir: PathBuf,
    },
}

#[derive(Subcommand)]
enum RepoCmd {
    /// Create a repository without a namespace (safe while the server runs).
    Create {
        /// Repository name (`gpt2`).
        name: String,
        /// `model`, `dataset` or `space`.
        #[arg(long = "type", default_value = "model")]
        repo_type: String,
        /// User or organization whose members may write to it.
        #[arg(long)]
        owner: Option<String>,
        /// Root of all persistent state.
        #[arg(long)]
        data_dir: PathBuf,
    },
}

#[derive(Subcommand)]
enum OrgCmd {
    /// Create an organization if missing and add members.
    Add {
        /// Organization name.
        org: String,
        /// Member user name (repeatable).
        #[arg(long = "member")]
        members: Vec<String>,
        /// Display name.
        #[arg(long)]
        fullname: Option<String>,
        /// Root of all persistent state.
        #[arg(long)]
        data_dir: PathBuf,
    },
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    match run(cli) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("hub-server: {e:#}");
            ExitCode::FAILURE
        }
    }
}

fn run(cli: Cli) -> anyhow::Result<()> {
    match cli.cmd {
        Cmd::User {
            cmd:
                UserCmd::Add {
                    name,
                    token,
                    read_only,
                    fullname,
                    email,
                    data_dir,
                },
        } => {
            hub_server::admin::add_user(
                &data_dir,
                &name,
                &token,
                read_only,
                fullname.as_deref(),
                email.as_deref(),
            )?;
            Ok(())
        }
        Cmd::Org {
            cmd:
                OrgCmd::Add {
                    org,
                    members,
                    fullname,
                    data_dir,
                },
        } => {
            hub_server::admin::add_org(&data_dir, &org, &members, fullname.as_deref())?;
            Ok(())
        }
        Cmd::Repo {
            cmd:
                RepoCmd::Create {
                    name,
                    repo_type,
                    owner,
                    data_dir,
                },
        } => {
            let ty = hub_server::repo::RepoType::from_singular(&repo_type).ok_or_else(|| {
                anyhow::anyhow!("--type {repo_type:?}: expected model, dataset or space")
            })?;
            let rt = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()?;
            rt.block_on(hub_server::admin::create_canonical_repo(
                &data_dir,
                ty,
                &name,
                owner.as_deref(),
            ))?;
            Ok(())
        }
        Cmd::Serve {
            data_dir,
            listen,
            public_url,
            blob_url,
            chaos,
            page_size,
            multipart_threshold,
            multipart_chunk_size,
            blob_store,
            s3_endpoint,
            s3_region,
            s3_presign,
            webhook_ca_file,
        } => {
            tracing_subscriber::fmt()
                .with_env_filter(
                    tracing_subscriber::EnvFilter::try_from_default_env()
                        .unwrap_or_else(|_| "hub_server=info".into()),
                )
                .with_writer(std::io::stderr)
                .init();
            let mut config = hub_server::ServerConfig::new(data_dir);
            config.listen = listen;
            config.public_url = public_url;
            config.blob_url = blob_url;
            config.chaos = chaos;
            config.page_size = page_size;
            config.multipart_threshold = multipart_threshold;
            config.multipart_chunk_size = multipart_chunk_size;
            config.blob_store = blob_store;
            config.s3_endpoint = s3_endpoint;
            config.s3_region = s3_region;
            config.s3_presign = s3_presign;
            config.webhook_ca_file = webhook_ca_file;
            let rt = tokio::runtime::Builder::new_multi_thread()
                .enable_all()
                .build()?;
            rt.block_on(serve(config))
        }
    }
}

async fn serve(config: hub_server::ServerConfig) -> anyhow::Result<()> {
    let server = hub_server::start(config).await?;
    {
        let mut out = std::io::stdout().lock();
        writeln!(out, "listening on http://{}", server.addr())?;
        out.flush()?;
    }
    shutdown_signal().await;
    tracing::info!("shutting down");
    server.shutdown().await;
    tracing::info!("stopped");
    Ok(())
}

async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let term = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! {
        _ = ctrl_c => {},
        _ = term => {},
    }
}
