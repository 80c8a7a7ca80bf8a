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
