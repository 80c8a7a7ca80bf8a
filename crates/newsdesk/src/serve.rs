//! `newsdesk serve`: open the store, load demo content on first run, serve until SIGTERM/Ctrl-C.

use std::net::SocketAddr;
use std::sync::Arc;
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
    if let Some(warning) = crate::config::base_url_mismatch(&config) {
        tracing::warn!("{warning}");
    }
    // Before the database: a wrong media endpoint or bucket stops the node here, not at the
    // first upload.
    let media = crate::media::open(&config).await?;
    let store = crate::open_store(&config).await?;
    if config.demo && store.count_articles().await? == 0 {
        let summary = newsdesk_demo::load(store.as_ref(), &media, chrono::Utc::now()).await?;
        tracing::info!(
            articles = summary.articles,
            authors = summary.authors,
            "loaded demo content"
        );
    }
    let schedule = crate::newsletter::spawn_background(config.clone(), store.clone()).await?;
    let node_id = newsdesk_core::nodes::node_id();
    let mut state = AppState::new(store, config.site.clone(), media.clone());
    state.cache = PageCache::new(Duration::from_secs(config.page_cache_seconds));
    let database_url = config.database_url();
    if state.store.backend() == "postgres" {
        // Other nodes share this database: tell them of every change, and hear theirs.
        let changes = newsdesk_store::changes::PgChanges::connect(&database_url, &node_id)?;
        state.cache = state.cache.with_peers(Arc::new(changes));
        let cache = state.cache.clone();
        let url = database_url.clone();
        let id = node_id.clone();
        tokio::spawn(async move {
            let on_notice = Arc::new(move |_: &newsdesk_store::changes::Notice| {
                // Every notice today is "all": the cache keeps no index by article.
                cache.invalidate_local();
            });
            if let Err(e) = newsdesk_store::changes::listen(&url, &id, on_notice).await {
                tracing::error!(error = %e, "change listener stopped");
            }
        });
    }
    // Each process keeps its own index, following the store's change log.
    if let Some(index) = newsdesk_search::follow::spawn(
        &config.search_dir(),
        state.store.clone(),
        config.site.language.clone(),
    ) {
        state.related = Some(Arc::new(newsdesk_search::follow::IndexRelated {
            search: index.clone(),
            store: state.store.clone(),
        }));
        state.search = Some(index);
    }
    state.access_log = config.access_log;
    state.ops = Arc::new(newsdesk_web::ops::Ops::new(
        node_id.clone(),
        config.metrics.token(),
    ));
    // Scheduled work is started by the one node holding its lease.
    let leadership = newsdesk_core::nodes::Leadership::default();
    let ingest_lead = leadership.flag(newsdesk_core::nodes::LEASE_INGEST);
    let _ = leadership.flag(newsdesk_core::nodes::LEASE_SCHEDULER);
    // Stops the ingest loop when dropped, at the end of serve.
    let cache = state.cache.clone();
    let _ingest = crate::ingest::spawn_background(
        &config,
        state.store.clone(),
        media.clone(),
        Arc::new(move || cache.invalidate_all()),
        ingest_lead,
    )?;
    state.discovery = Some(std::sync::Arc::new(crate::ingest::pipeline(
        &config,
        state.store.clone(),
        None,
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
    let scheduler_store = state.store.clone();
    let on_acquire: newsdesk_core::nodes::OnAcquire = Arc::new(move |lease| {
        if lease != newsdesk_core::nodes::LEASE_SCHEDULER {
            return;
        }
        let store = scheduler_store.clone();
        tokio::spawn(async move {
            match newsdesk_core::publishing::enqueue_scheduled(store.as_ref()).await {
                Ok(scheduled) => tracing::info!(
                    scheduled,
                    "scheduler: publishing scheduled articles on time"
                ),
                Err(e) => tracing::error!(error = %e, "scheduler: scheduled articles not queued"),
            }
            if let Err(e) = crate::newsletter::queue_startup(store.as_ref(), schedule).await {
                tracing::error!(error = format!("{e:#}"), "scheduler");
            }
        });
    });
    let node =
        crate::nodes::Node::start(state.store.clone(), node_id.clone(), leadership, on_acquire)
            .await;
    tracing::info!(node = %node.id, leads = %node.leads(), "node registered");
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
        "newsdesk serving http://{} (data in {}, {} store; links use {})",
        listener.local_addr()?,
        config.data_dir.display(),
        state.store.backend(),
        config.site.base_url
    );
    tracing::info!("running: {}", running_loops(&config));
    newsdesk_web::serve(listener, state, shutdown_signal()).await?;
    node.stop().await;
    tracing::info!("stopped");
    Ok(())
}

/// What `serve` runs beside the site, for the start-up line: an operator should not have to
/// guess that the wire desk and the newsletter are live.
pub fn running_loops(config: &Config) -> String {
    let ingest = if config.ingest.enabled {
        format!("ingest loop (every {}s)", config.ingest.tick_seconds.max(1))
    } else {
        "ingest loop off (ingest.enabled = false)".to_owned()
    };
    let digests = if config.mail.schedule {
        format!(
            "daily/weekly digests from {:02}:00 UTC",
            config.mail.send_hour_utc.min(23)
        )
    } else {
        "scheduled digests off (mail.schedule = false)".to_owned()
    };
    format!("{ingest}; newsletter sender ({digests}); webhook deliveries")
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
