//! The newsdesk binary: the command line and the wiring between the library crates.

#[macro_use]
mod output;
mod cluster_cmd;
mod config;
mod extract_cmd;
mod ingest;
mod media;
mod newsletter;
mod nodes;
mod quotes_cmd;
mod reindex;
mod serve;
mod sources;
mod user;

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand};

use crate::config::{Config, Overrides};

/// newsdesk: a self-hosted news platform.
#[derive(Parser, Debug)]
#[command(name = "newsdesk", version, about, long_about = None)]
struct Cli {
    /// Data directory (SQLite file, uploads); created and migrated if missing.
    #[arg(long, global = true, env = "NEWSDESK_DATA_DIR", value_name = "DIR")]
    data_dir: Option<PathBuf>,

    /// TOML config file (default: newsdesk.toml in the data directory, if present).
    #[arg(long, global = true, env = "NEWSDESK_CONFIG", value_name = "FILE")]
    config: Option<PathBuf>,

    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand, Debug)]
enum Command {
    /// Serve the site (creates the data directory, migrates, loads demo content on first run).
    Serve(serve::ServeArgs),
    /// Create or upgrade the database schema, then exit.
    Migrate {
        /// Database URL: sqlite://PATH (default: in the data directory) or postgres://...
        #[arg(long, env = "NEWSDESK_DATABASE_URL", value_name = "URL")]
        database_url: Option<String>,
    },
    /// Extract articles from saved web pages (files, .gz, or - for stdin) as JSON Lines.
    Extract(extract_cmd::ExtractArgs),
    /// Who said what: the quotations in articles (.txt, HTML, or - for stdin) as JSON Lines.
    Quotes(quotes_cmd::QuotesArgs),
    /// Place stories (JSON Lines, - for stdin) into story clusters as ingest would; prints {"id","cluster"} lines.
    Cluster(cluster_cmd::ClusterArgs),
    /// The wire desk's sources: add, list, edit, pause, resume, remove.
    #[command(subcommand)]
    Sources(sources::SourcesCommand),
    /// Run the ingest pipeline: poll due sources, fetch, extract, cluster, publish.
    Ingest(ingest::IngestArgs),
    /// The newsletter: send the next digest now, show delivery status, preview.
    #[command(subcommand)]
    Newsletter(newsletter::NewsletterCommand),
    /// Newsroom accounts: add users, API tokens, list, disable.
    #[command(subcommand)]
    User(user::UserCommand),
    /// The nodes serving this database: id, version, last heartbeat, what each leads.
    Nodes(nodes::NodesArgs),
    /// Write a consistent copy of the SQLite database to PATH (VACUUM INTO) while serving.
    Backup(nodes::BackupArgs),
    /// The media store: copy photos to another store (`media migrate --to s3://bucket/prefix`).
    #[command(subcommand)]
    Media(media::MediaCommand),
    /// Rebuild the search index from the store (with a progress bar).
    Reindex(reindex::ReindexArgs),
    /// Fill the data directory with N generated articles (for benchmarks).
    BenchFixture {
        /// How many articles to generate.
        #[arg(long, default_value_t = 10_000)]
        articles: usize,
        /// Seed for the generator; the same seed gives the same articles.
        #[arg(long, default_value_t = 1)]
        seed: u64,
        #[arg(long, env = "NEWSDESK_DATABASE_URL", value_name = "URL")]
        database_url: Option<String>,
    },
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    // Flushes buffered log lines when main returns.
    let _log_guard = init_tracing();
    match run(cli) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("newsdesk: {e:#}");
            ExitCode::FAILURE
        }
    }
}

/// Logs to stderr through a buffered writer on its own thread: a request formats its line and
/// hands it over, never waiting for the terminal or a pipe. Under a flood the writer's queue
/// drops lines rather than stall requests (and reports how many were lost).
fn init_tracing() -> tracing_appender::non_blocking::WorkerGuard {
    let filter = tracing_subscriber::EnvFilter::try_from_env("NEWSDESK_LOG")
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info,sqlx=warn"));
    let (writer, guard) = tracing_appender::non_blocking::NonBlockingBuilder::default()
        .buffered_lines_limit(64 * 1024)
        .finish(std::io::BufWriter::with_capacity(
            64 * 1024,
            std::io::stderr(),
        ));
    tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(writer)
        .with_ansi(std::io::IsTerminal::is_terminal(&std::io::stderr()))
        .compact()
        .init();
    guard
}

fn run(cli: Cli) -> anyhow::Result<()> {
    let mut overrides = Overrides {
        data_dir: cli.data_dir.clone(),
        ..Overrides::default()
    };
    match cli.command {
        Command::Serve(args) => {
            args.apply(&mut overrides);
            let config = config::load(cli.config.as_deref(), &overrides)?;
            if args.print_config {
                print!("{}", config.to_redacted_toml()?);
                return Ok(());
            }
            runtime()?.block_on(serve::serve(config))
        }
        Command::Extract(args) => extract_cmd::run(args),
        Command::Quotes(args) if args.reindex => {
            overrides.database_url = args.database_url.clone();
            let config = config::load(cli.config.as_deref(), &overrides)?;
            runtime()?.block_on(quotes_cmd::reindex(config))
        }
        Command::Quotes(args) => quotes_cmd::run(args),
        Command::Cluster(args) => {
            // Read only: the configuration's clustering settings; no data directory is created.
            let config = config::load(cli.config.as_deref(), &overrides)?;
            cluster_cmd::run(args, ingest::clustering(&config))
        }
        Command::Sources(cmd) => {
            let config = config::load(cli.config.as_deref(), &overrides)?;
            runtime()?.block_on(sources::run(cmd, config))
        }
        Command::Ingest(args) => {
            let config = config::load(cli.config.as_deref(), &overrides)?;
            runtime()?.block_on(ingest::run(args, config))
        }
        Command::Newsletter(cmd) => {
            let config = config::load(cli.config.as_deref(), &overrides)?;
            runtime()?.block_on(newsletter::run(cmd, config))
        }
        Command::User(cmd) => {
            let config = config::load(cli.config.as_deref(), &overrides)?;
            runtime()?.block_on(user::run(cmd, config))
        }
        Command::Migrate { database_url } => {
            overrides.database_url = database_url;
            let config = config::load(cli.config.as_deref(), &overrides)?;
            runtime()?.block_on(async {
                let store = open_store(&config).await?;
                println!("database is up to date ({})", store.backend());
                Ok(())
            })
        }
        Command::Nodes(args) => {
            overrides.database_url = args.database_url.clone();
            let config = config::load(cli.config.as_deref(), &overrides)?;
            runtime()?.block_on(nodes::list(args, config))
        }
        Command::Backup(args) => {
            overrides.database_url = args.database_url.clone();
            let config = config::load(cli.config.as_deref(), &overrides)?;
            runtime()?.block_on(nodes::backup(args, config))
        }
        Command::Media(cmd) => {
            let config = config::load(cli.config.as_deref(), &overrides)?;
            runtime()?.block_on(media::run(cmd, config))
        }
        Command::Reindex(args) => {
            overrides.database_url = args.database_url;
            let config = config::load(cli.config.as_deref(), &overrides)?;
            runtime()?.block_on(reindex::run(config))
        }
        Command::BenchFixture {
            articles,
            seed,
            database_url,
        } => {
            overrides.database_url = database_url;
            let config = config::load(cli.config.as_deref(), &overrides)?;
            runtime()?.block_on(async {
                let media = media::open(&config).await?;
                let store = open_store(&config).await?;
                let started = std::time::Instant::now();
                let summary = newsdesk_demo::generate(
                    store.as_ref(),
                    &media,
                    articles,
                    seed,
                    chrono::Utc::now(),
                )
                .await?;
                println!(
                    "generated {} articles ({} authors, {} tags) in {:.1}s into {}",
                    summary.articles,
                    summary.authors,
                    summary.tags,
                    started.elapsed().as_secs_f64(),
                    config.data_dir.display()
                );
                Ok(())
            })
        }
    }
}

fn runtime() -> anyhow::Result<tokio::runtime::Runtime> {
    Ok(tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?)
}

/// Creates the data directory if needed and opens (and migrates) the configured store.
pub(crate) async fn open_store(
    config: &Config,
) -> anyhow::Result<std::sync::Arc<dyn newsdesk_core::Store>> {
    std::fs::create_dir_all(config.uploads_dir()).map_err(|e| {
        anyhow::anyhow!(
            "cannot create data directory {}: {e}",
            config.data_dir.display()
        )
    })?;
    let url = config.database_url();
    let store = newsdesk_store::open(&url).await.map_err(|e| {
        anyhow::anyhow!(
            "cannot open database {}: {e}",
            newsdesk_store::redact_url(&url)
        )
    })?;
    Ok(store)
}
