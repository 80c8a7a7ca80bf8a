//! `newsdesk ingest` and the ingest loop `serve` runs in the background; the `[fetch]` and
//! `[ingest]` config tables.

use std::sync::Arc;
use std::time::Duration;

use clap::Args;
use newsdesk_core::Store;
use newsdesk_ingest::{FetchOptions, Fetcher, IngestOptions, Pipeline};
use serde::{Deserialize, Serialize};

use crate::config::Config;

/// `[fetch]`: limits for every feed, robots.txt and page fetch.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct FetchConfig {
    /// Allow private, loopback and link-local destinations (env NEWSDESK_FETCH_ALLOW_PRIVATE).
    pub allow_private: bool,
    /// Largest body accepted, after decompression.
    pub max_bytes: u64,
    pub timeout_seconds: u64,
    pub connect_timeout_seconds: u64,
    pub max_redirects: u32,
    /// Empty: `newsdesk/<version> (+<site.base_url>)`.
    pub user_agent: String,
}

impl Default for FetchConfig {
    fn default() -> Self {
        let d = FetchOptions::default();
        FetchConfig {
            allow_private: d.allow_private,
            max_bytes: d.max_bytes,
            timeout_seconds: d.timeout.as_secs(),
            connect_timeout_seconds: d.connect_timeout.as_secs(),
            max_redirects: d.max_redirects,
            user_agent: String::new(),
        }
    }
}

/// `[ingest]`: the background loop and the pipeline's defaults.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct IngestConfig {
    /// Run the ingest loop inside `serve`.
    pub enabled: bool,
    /// Polling interval for sources added without `--interval` (e.g. `15m`).
    pub default_interval: String,
    /// Seconds between passes of the background loop.
    pub tick_seconds: u64,
    /// Page fetches in flight at once, overall and per host.
    pub concurrency: usize,
    pub per_host_concurrency: usize,
    /// How long a claimed item is leased before another pass may take it again.
    pub lease_seconds: u64,
    /// Clusters carried by this many sources make their article important.
    pub important_at_sources: u32,
    pub respect_robots: bool,
    /// A story joins only story clusters with a member within this many hours of it.
    pub cluster_window_hours: i64,
}

impl Default for IngestConfig {
    fn default() -> Self {
        let d = IngestOptions::default();
        IngestConfig {
            enabled: true,
            default_interval: "15m".into(),
            tick_seconds: 30,
            concurrency: d.concurrency,
            per_host_concurrency: d.per_host_concurrency,
            lease_seconds: d.lease.as_secs(),
            important_at_sources: d.important_at_sources,
            respect_robots: d.respect_robots,
            cluster_window_hours: d.clustering.window_hours,
        }
    }
}

/// The story clustering settings of the configuration: ingest and `newsdesk cluster` share them.
pub fn clustering(config: &Config) -> newsdesk_cluster::Settings {
    newsdesk_cluster::Settings {
        window_hours: config.ingest.cluster_window_hours.max(1),
        ..newsdesk_cluster::Settings::default()
    }
}

pub fn fetch_options(config: &Config) -> FetchOptions {
    let f = &config.fetch;
    FetchOptions {
        allow_private: f.allow_private,
        max_bytes: f.max_bytes,
        timeout: Duration::from_secs(f.timeout_seconds.max(1)),
        connect_timeout: Duration::from_secs(f.connect_timeout_seconds.max(1)),
        max_redirects: f.max_redirects,
        user_agent: if f.user_agent.is_empty() {
            FetchOptions::default_user_agent(&config.site.base_url)
        } else {
            f.user_agent.clone()
        },
    }
}

pub fn pipeline(config: &Config, store: Arc<dyn Store>) -> anyhow::Result<Pipeline> {
    let i = &config.ingest;
    let fetcher = Fetcher::new(fetch_options(config))?;
    Ok(Pipeline::new(
        store,
        fetcher,
        IngestOptions {
            concurrency: i.concurrency.max(1),
            per_host_concurrency: i.per_host_concurrency.max(1),
            lease: Duration::from_secs(i.lease_seconds.max(1)),
            important_at_sources: i.important_at_sources.max(1),
            respect_robots: i.respect_robots,
            clustering: clustering(config),
            ..IngestOptions::default()
        },
    ))
}

#[derive(Args, Debug)]
pub struct IngestArgs {
    /// Run one full pass (due sources, then every queued item) and exit.
    #[arg(long)]
    once: bool,
}

pub async fn run(args: IngestArgs, config: Config) -> anyhow::Result<()> {
    let store = crate::open_store(&config).await?;
    let pipeline = Arc::new(pipeline(&config, store.clone())?);
    if args.once {
        let started = std::time::Instant::now();
        let summary = pipeline.run_pass().await?;
        println!(
            "ingest pass done in {:.1}s: {summary}",
            started.elapsed().as_secs_f64()
        );
        return Ok(());
    }
    let (tx, rx) = tokio::sync::watch::channel(false);
    let tick = Duration::from_secs(config.ingest.tick_seconds.max(1));
    let task = tokio::spawn(pipeline.run_forever(tick, rx));
    let _ = tokio::signal::ctrl_c().await;
    let _ = tx.send(true);
    let _ = task.await;
    Ok(())
}

/// The ingest loop running beside the web server; dropping it asks the loop to stop.
pub struct BackgroundIngest {
    stop: tokio::sync::watch::Sender<bool>,
}

impl Drop for BackgroundIngest {
    fn drop(&mut self) {
        let _ = self.stop.send(true);
    }
}

/// Starts the loop unless `ingest.enabled` is off; `on_publish` runs after passes that stored
/// stories (serve drops its page cache there, so new articles show at once).
pub fn spawn_background(
    config: &Config,
    store: Arc<dyn Store>,
    on_publish: Arc<dyn Fn() + Send + Sync>,
) -> anyhow::Result<Option<BackgroundIngest>> {
    if !config.ingest.enabled {
        return Ok(None);
    }
    let pipeline = Arc::new(pipeline(config, store)?.on_publish(on_publish));
    let (tx, rx) = tokio::sync::watch::channel(false);
    let tick = Duration::from_secs(config.ingest.tick_seconds.max(1));
    tokio::spawn(pipeline.run_forever(tick, rx));
    tracing::info!("ingest loop running every {}s", tick.as_secs());
    Ok(Some(BackgroundIngest { stop: tx }))
}
