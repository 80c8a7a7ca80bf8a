//! Keeping a process's own index current: open it in the data directory (a new one when it is
//! missing or unreadable), rebuild it when new, then apply the change log every
//! [`TAIL_EVERY`], so it is well under a second behind the store.

use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use newsdesk_core::Store;

use crate::feed::Follower;
use crate::{OpenOptions, Opened, TantivySearch};

/// How often the change log is read.
pub const TAIL_EVERY: Duration = Duration::from_millis(200);

/// Opens the index in `dir` and starts following the store into it. `None` (logged) when the
/// index cannot be opened at all (say, held by another process): the site runs without search.
pub fn spawn(
    dir: &Path,
    store: Arc<dyn Store>,
    site_language: String,
) -> Option<Arc<TantivySearch>> {
    let (search, opened) = match TantivySearch::open(dir, &OpenOptions::default()) {
        Ok(pair) => pair,
        Err(e) => {
            tracing::error!(dir = %dir.display(), error = %e, "search disabled: cannot open the index");
            return None;
        }
    };
    let search = Arc::new(search);
    let index = search.clone();
    tokio::spawn(async move {
        let mut rebuild = matches!(opened, Opened::Created { .. });
        let mut follower = loop {
            match Follower::start(store.as_ref(), &index, &site_language, rebuild).await {
                Ok(f) => break f,
                Err(e) => {
                    tracing::error!(error = %e, "search index: catching up failed; retrying");
                    rebuild = true;
                    tokio::time::sleep(Duration::from_secs(2)).await;
                }
            }
        };
        loop {
            if let Err(e) = follower.step(store.as_ref(), &index).await {
                tracing::warn!(error = %e, "search index: applying changes failed; retrying");
                tokio::time::sleep(Duration::from_secs(1)).await;
            }
            tokio::time::sleep(TAIL_EVERY).await;
        }
    });
    Some(search)
}

/// "You may also like" from the index (more-like-this: never the article itself nor another of
/// its story cluster, one per cluster), topped up with the store's tag-and-recency list when the
/// index has too few.
#[derive(Debug)]
pub struct IndexRelated {
    pub search: Arc<TantivySearch>,
    pub store: Arc<dyn Store>,
}

#[async_trait::async_trait]
impl newsdesk_core::pages::RelatedSource for IndexRelated {
    async fn related(
        &self,
        article: &newsdesk_core::Article,
        now: chrono::DateTime<chrono::Utc>,
        limit: u32,
    ) -> newsdesk_core::StoreResult<Vec<newsdesk_core::Article>> {
        use crate::Search as _;
        let search = self.search.clone();
        let id = article.id.max(0).unsigned_abs();
        let want = limit as usize;
        let hits = tokio::task::spawn_blocking(move || {
            search.related(id, &crate::Scope::Public { at: now }, want)
        })
        .await
        .ok()
        .and_then(|r| {
            r.map_err(|e| tracing::warn!(error = %e, "related from the index failed"))
                .ok()
        })
        .unwrap_or_default();
        let mut out = Vec::with_capacity(want);
        for h in hits {
            let Ok(hid) = i64::try_from(h.id) else {
                continue;
            };
            if hid == article.id {
                continue;
            }
            if let Some(a) = self.store.article(hid).await?
                && a.is_visible_at(now)
            {
                out.push(a);
            }
        }
        if out.len() < want {
            for a in self.store.related_by_tags(article, now, limit).await? {
                if out.len() >= want {
                    break;
                }
                if a.id != article.id && !out.iter().any(|o| o.id == a.id) {
                    out.push(a);
                }
            }
        }
        Ok(out)
    }
}
