//! Publishing on time, and telling webhooks about it.
//!
//! A scheduled article is one job on the "publish" queue, due at its publish time; when it runs,
//! the article becomes `published` in the store and `article.published` fires then, not when it
//! was scheduled. Jobs are idempotent: a job finds the article's current state and does nothing
//! when it was unpublished, rescheduled later (a job for the new time exists) or already
//! published. [`enqueue_scheduled`] re-creates missing jobs at start, so articles scheduled by a
//! store write that queued no job (an older version, a restore) still go out.
//!
//! [`enqueue_article_event`] is the one way to fire an article webhook: the admin, the API, the
//! scheduler and the wire desk's auto-publishing all use it.

use std::sync::Arc;

use async_trait::async_trait;
use chrono::{DateTime, Utc};

use crate::editorial::AdminArticleQuery;
use crate::jobs::{Job, JobError, JobHandler, NewJob};
use crate::model::{Article, ArticleStatus, Id};
use crate::store::{Store, StoreResult};

/// The queue of scheduled publications.
pub const QUEUE: &str = "publish";
/// The queue of webhook deliveries (run by the web crate's handler).
pub const WEBHOOK_QUEUE: &str = "webhook";
const WEBHOOK_MAX_ATTEMPTS: u32 = 8;

/// Records one delivery of `event` about `a` per webhook and queues it; returns how many.
pub async fn enqueue_article_event(
    store: &dyn Store,
    base_url: &str,
    event: &str,
    a: &Article,
) -> StoreResult<usize> {
    let hooks = store.list_webhooks().await?;
    if hooks.is_empty() {
        return Ok(0);
    }
    let now = Utc::now();
    let payload = serde_json::json!({
        "event": event,
        "sent_at": now.to_rfc3339(),
        "article": {
            "id": a.id,
            "slug": a.slug.as_str(),
            "headline": a.headline,
            "status": a.status.as_str(),
            "published_at": a.published_at.map(|t| t.to_rfc3339()),
            "updated_at": a.updated_at.to_rfc3339(),
            "url": format!("{}/articles/{}", base_url.trim_end_matches('/'), a.slug),
        }
    })
    .to_string();
    for hook in &hooks {
        let d = store
            .create_webhook_delivery(hook.id, event, &payload, now)
            .await?;
        store
            .enqueue(
                &NewJob::new(WEBHOOK_QUEUE, serde_json::json!({ "delivery_id": d.id }))
                    .max_attempts(WEBHOOK_MAX_ATTEMPTS),
            )
            .await?;
    }
    Ok(hooks.len())
}

/// Queues the publication of a scheduled article at its publish time. Queuing the same
/// article and time twice queues one job.
pub async fn schedule(store: &dyn Store, article_id: Id, at: DateTime<Utc>) -> StoreResult<()> {
    store
        .enqueue(
            &NewJob::new(QUEUE, serde_json::json!({ "article_id": article_id }))
                .run_at(at)
                .dedupe_key(format!("article:{article_id}:{}", at.timestamp())),
        )
        .await?;
    Ok(())
}

/// Queues a job for every scheduled article (due ones run at once); returns how many articles.
pub async fn enqueue_scheduled(store: &dyn Store) -> StoreResult<usize> {
    const PAGE: u32 = 100;
    let mut offset = 0;
    let mut n = 0;
    loop {
        let page = store
            .admin_list_articles(&AdminArticleQuery {
                status: Some(ArticleStatus::Scheduled),
                offset,
                limit: PAGE,
                ..Default::default()
            })
            .await?;
        for a in &page {
            if let Some(at) = a.published_at {
                schedule(store, a.id, at).await?;
                n += 1;
            }
        }
        if page.len() < PAGE as usize {
            return Ok(n);
        }
        offset += PAGE;
    }
}

/// Runs the "publish" queue.
pub struct ScheduledPublisher {
    store: Arc<dyn Store>,
    base_url: String,
    /// Called after an article went live (the web server empties its page cache).
    on_publish: Arc<dyn Fn() + Send + Sync>,
}

impl ScheduledPublisher {
    pub fn new(
        store: Arc<dyn Store>,
        base_url: impl Into<String>,
        on_publish: Arc<dyn Fn() + Send + Sync>,
    ) -> Self {
        ScheduledPublisher {
            store,
            base_url: base_url.into(),
            on_publish,
        }
    }
}

#[async_trait]
impl JobHandler for ScheduledPublisher {
    async fn run(&self, job: &Job) -> Result<(), JobError> {
        let id = job
            .payload
            .get("article_id")
            .and_then(serde_json::Value::as_i64)
            .ok_or_else(|| JobError::permanent("job has no article_id"))?;
        let Some(a) = self.store.article(id).await? else {
            return Ok(());
        };
        let now = Utc::now();
        let Some(at) = a
            .published_at
            .filter(|_| a.status == ArticleStatus::Scheduled)
        else {
            return Ok(());
        };
        if at > now {
            // Rescheduled to later since this job was queued; make sure that time has a job.
            schedule(self.store.as_ref(), id, at).await?;
            return Ok(());
        }
        let published = self
            .store
            .set_article_status(id, ArticleStatus::Published, Some(at), now)
            .await?;
        tracing::info!(article = id, "scheduled article published");
        (self.on_publish)();
        enqueue_article_event(
            self.store.as_ref(),
            &self.base_url,
            "article.published",
            &published,
        )
        .await?;
        Ok(())
    }
}
