//! `newsdesk serve`: open the store, load demo content on first run, serve until SIGTERM/Ctrl-C.

use std::net::SocketAddr;
use std::time::Duration;

use clap::Args;
use newsdesk_web::AppState;
use newsdesk_web::cache::PageCache;

use crate::config::{Config, Overrides};

#[derive(Args, Debug)]
pub struct ServeArgs {
    /// Address to listen on.
    #[arg(long, env = "NEWSDESK_LISTEN", value_name = "ADDR")]
    listen: Option<SocketAddr>,
    /// Database URL: sqlite://PATH (default: in the data directory) or postgres://...
    #[arg(long, env = "NEWSDESK_DATABASE_URL", value_name = "URL")]
    database_url: Option<String>,
    /// Do not load demo content into an empty store.
    #[arg(long)]
    no_demo: bool,
    /// Print the effective configuration (secrets redacted) and exit.
    #[arg(long)]
    pub print_config: bool,
}

impl ServeArgs {
    pub fn apply(&self, o: &mut Overrides) {
        o.listen = self.listen;
        o.database_url = self.database_url.clone();
        if self.no_demo {
            o.demo = Some(false);
        }
    }
}

pub async fn serve(config: Config) -> anyhow::Result<()> {
    let store = crate::open_store(&config).await?;
    if config.demo && store.count_articles().await? == 0 {
        let summary =
            newsdesk_demo::load(store.as_ref(), &config.uploads_dir(), chrono::Utc::now()).await?;
        tracing::info!(
            articles = summary.articles,
            authors = summary.authors,
            "loaded demo content"
        );
    }
    crate::newsletter::spawn_background(config.clone(), store.clone()).await?;
    let mut state = AppState::new(store, config.site.clone(), config.uploads_dir());
    state.cache = PageCache::new(Duration::from_secs(config.page_cache_seconds));
    state.access_log = config.access_log;
    // Stops the ingest loop when dropped, at the end of serve.
    let cache = state.cache.clone();
    let _ingest = crate::ingest::spawn_background(
        &config,
        state.store.clone(),
        std::sync::Arc::new(move || cache.invalidate_all()),
    )?;
    state.discovery = Some(std::sync::Arc::new(crate::ingest::pipeline(
        &config,
        state.store.clone(),
    )?));
    state.newsroom = std::sync::Arc::new(newsdesk_web::auth::Newsroom::new(
        config.fetch.allow_private,
    ));
    // Webhook deliveries run on the shared job queue ("webhook") until the process ends.
    let hooks = newsdesk_web::webhooks::WebhookHandler::new(
        state.store.clone(),
        config.fetch.allow_private,
    )?;
    // Scheduled articles go live on the same queue ("publish"), which fires their webhooks then.
    let cache = state.cache.clone();
    let publisher = newsdesk_core::publishing::ScheduledPublisher::new(
        state.store.clone(),
        config.site.base_url.clone(),
        std::sync::Arc::new(move || cache.invalidate_all()),
    );
    let scheduled = newsdesk_core::publishing::enqueue_scheduled(state.store.as_ref()).await?;
    tracing::info!(
        scheduled,
        "scheduler: publishing scheduled articles on time"
    );
    let jobs: std::sync::Arc<dyn newsdesk_core::jobs::JobStore> = state.store.clone();
    let worker = newsdesk_core::jobs::Worker::new(jobs, format!("webhooks-{}", std::process::id()))
        .handle(newsdesk_web::webhooks::QUEUE, std::sync::Arc::new(hooks))
        .handle(
            newsdesk_core::publishing::QUEUE,
            std::sync::Arc::new(publisher),
        );
    tokio::spawn(async move {
        worker.run_until(std::future::pending::<()>()).await;
    });
    let listener = tokio::net::TcpListener::bind(config.listen)
        .await
        .map_err(|e| anyhow::anyhow!("cannot listen on {}: {e}", config.listen))?;
    tracing::info!(
        "newsdesk serving http://{} (data in {}, {} store)",
        listener.local_addr()?,
        config.data_dir.display(),
        state.store.backend()
    );
    newsdesk_web::serve(listener, state, shutdown_signal()).await?;
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
    tracing::info!("shutting down: finishing requests in flight");
}
