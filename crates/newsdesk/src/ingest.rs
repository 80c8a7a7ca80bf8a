//! `newsdesk ingest` and the ingest loop `serve` runs in the background. The `[fetch]` and
//! `[ingest]` config tables are `newsdesk_ingest::config`.

use std::sync::Arc;
use std::time::Duration;

use clap::Args;
use newsdesk_core::Store;
use newsdesk_ingest::{FetchOptions, Fetcher, Pipeline};

use crate::config::Config;

/// The story clustering settings of the configuration: ingest and `newsdesk cluster` share them.
pub fn clustering(config: &Config) -> newsdesk_cluster::Settings {
    config.ingest.clustering()
}

pub fn fetch_options(config: &Config) -> FetchOptions {
    config.fetch.options(&config.site.base_url)
}

/// `media`: where lead photos go; `None` imports none (feed discovery needs no photos).
pub fn pipeline(
    config: &Config,
    store: Arc<dyn Store>,
    media: Option<newsdesk_media::MediaStore>,
) -> anyhow::Result<Pipeline> {
    let fetcher = Fetcher::new(fetch_options(config))?;
    let mut options = config.ingest.options();
    options.media = media;
    let hook = published_hook(store.clone(), config.site.base_url.clone());
    Ok(Pipeline::new(store, fetcher, options).on_article_published(hook))
}

/// The one place auto-published wire articles are announced: the `article.published` webhook,
/// as the newsroom fires it when an editor publishes.
fn published_hook(
    store: Arc<dyn Store>,
    base_url: String,
) -> newsdesk_ingest::pipeline::PublishedHook {
    Arc::new(move |id| {
        let store = store.clone();
        let base_url = base_url.clone();
        Box::pin(async move {
            match store.article(id).await {
                Ok(Some(a)) => {
                    newsdesk_web::webhooks::notify_from(
                        store.as_ref(),
                        &base_url,
                        "article.published",
                        &a,
                    )
                    .await;
                }
                Ok(None) => {}
                Err(e) => tracing::error!(error = %e, article = id, "published article not loaded"),
            }
        })
    })
}

#[derive(Args, Debug)]
pub struct IngestArgs {
    /// Run one full pass (due sources, then every queued item) and exit.
    #[arg(long)]
    once: bool,
}

pub async fn run(args: IngestArgs, config: Config) -> anyhow::Result<()> {
    let media = crate::media::open(&config).await?;
    let store = crate::open_store(&config).await?;
    let pipeline = Arc::new(pipeline(&config, store.clone(), Some(media))?);
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

/// Starts the loop unless `ingest.enabled` is off; it polls only while `leading` (this node
/// holds the ingest lease); `on_publish` runs after passes that stored
/// stories (serve drops its page cache there, so new articles show at once).
pub fn spawn_background(
    config: &Config,
    store: Arc<dyn Store>,
    media: newsdesk_media::MediaStore,
    on_publish: Arc<dyn Fn() + Send + Sync>,
    leading: Arc<std::sync::atomic::AtomicBool>,
) -> anyhow::Result<Option<BackgroundIngest>> {
    if !config.ingest.enabled {
        return Ok(None);
    }
    let pipeline = Arc::new(
        pipeline(config, store, Some(media))?
            .on_publish(on_publish)
            .only_while(leading),
    );
    let (tx, rx) = tokio::sync::watch::channel(false);
    let tick = Duration::from_secs(config.ingest.tick_seconds.max(1));
    tokio::spawn(pipeline.run_forever(tick, rx));
    tracing::info!("ingest loop running every {}s", tick.as_secs());
    Ok(Some(BackgroundIngest { stop: tx }))
}
