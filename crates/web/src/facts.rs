//! Site-wide facts that every public page needs — the section navigation and the stamp of the
//! visible content — kept in memory and recomputed only when the content changes.
//!
//! Without this every render would ask for the navigation (a count over the whole archive) and
//! no request could be validated without rendering. Here a render costs a look at an in-memory
//! value; at most once per [`CHECK_EVERY`] (or at once after a write on this node, or when a
//! scheduled article is due) one request asks the store for the stamp, a one-row read, and only
//! when the stamp moved are the sections recomputed. Pages take their ETag from the stamp, so a
//! conditional request is answered before anything is rendered.

use std::sync::{Arc, RwLock};
use std::time::{Duration, Instant, SystemTime};

use axum::http::HeaderValue;
use chrono::{DateTime, Utc};
use newsdesk_core::pages::ContentStamp;
use newsdesk_core::site::SiteSettings;
use newsdesk_core::{Store, StoreResult, Tag};
use sha2::{Digest, Sha256};

/// How stale the facts may be when content changes on another node (a write on this node is
/// seen at once). Page-cache entries already allow more than this.
pub const CHECK_EVERY: Duration = Duration::from_secs(1);
/// Sections in the navigation bar.
pub const NAV_SECTIONS: u32 = 8;
/// A write commits a little after its trigger stamps `changed_at`; a copy rendered within this
/// margin after a change may predate it, so `If-Modified-Since` only vouches for older changes.
const COMMIT_MARGIN: Duration = Duration::from_secs(2);

#[derive(Debug)]
pub struct SiteFacts {
    /// The navigation's sections, most used first.
    pub sections: Vec<Tag>,
    pub stamp: ContentStamp,
    /// Hash of everything a page depends on besides its own address.
    seed: [u8; 32],
    checked_at: Instant,
    /// The page cache's generation when checked (a local write bumps it).
    generation: u64,
}

impl SiteFacts {
    /// The strong validator of the page at `key` as of these facts.
    pub fn etag(&self, key: &str) -> HeaderValue {
        let digest = Sha256::new()
            .chain_update(self.seed)
            .chain_update(key.as_bytes())
            .finalize();
        let hex: String = digest.iter().take(12).map(|b| format!("{b:02x}")).collect();
        HeaderValue::from_str(&format!("\"p{hex}\""))
            .unwrap_or_else(|_| HeaderValue::from_static("\"p\""))
    }

    /// Whether a copy the client says it got at `since` (If-Modified-Since) is still current.
    pub fn unchanged_since(&self, since: SystemTime) -> bool {
        let changed: SystemTime = self.stamp.changed_at.into();
        changed + COMMIT_MARGIN <= since
    }

    fn fresh(&self, generation: u64, now: DateTime<Utc>) -> bool {
        self.generation == generation
            && self.checked_at.elapsed() < CHECK_EVERY
            && self.stamp.next_scheduled.is_none_or(|t| t > now)
    }
}

#[derive(Debug, Default)]
pub struct Facts {
    current: RwLock<Option<Arc<SiteFacts>>>,
    /// One refresh at a time; the others use the facts they have.
    refreshing: tokio::sync::Mutex<()>,
}

impl Facts {
    /// The current facts: from memory, or refreshed from the store when they are due.
    pub async fn get(
        &self,
        store: &dyn Store,
        site: &SiteSettings,
        generation: u64,
    ) -> StoreResult<Arc<SiteFacts>> {
        let now = Utc::now();
        let held = self.current.read().ok().and_then(|c| c.clone());
        if let Some(f) = held.as_ref().filter(|f| f.fresh(generation, now)) {
            return Ok(f.clone());
        }
        // Someone else is refreshing: time-based staleness may be served meanwhile, but not
        // across a local write (that reader expects to see its own change).
        let guard = match (self.refreshing.try_lock(), &held) {
            (Ok(g), _) => g,
            (Err(_), Some(f)) if f.generation == generation => return Ok(f.clone()),
            (Err(_), _) => self.refreshing.lock().await,
        };
        let held = self.current.read().ok().and_then(|c| c.clone());
        if let Some(f) = held.as_ref().filter(|f| f.fresh(generation, now)) {
            return Ok(f.clone());
        }
        let stamp = store.content_stamp(now).await?;
        let sections = match held.as_ref().filter(|f| f.stamp == stamp) {
            Some(f) => f.sections.clone(),
            None => store.list_sections(now, NAV_SECTIONS).await?,
        };
        let fresh = Arc::new(SiteFacts {
            seed: seed(&stamp, site),
            sections,
            stamp,
            checked_at: Instant::now(),
            generation,
        });
        if let Ok(mut c) = self.current.write() {
            *c = Some(fresh.clone());
        }
        drop(guard);
        Ok(fresh)
    }
}

/// Distinguishes this process's validators from another's (templates are in the binary).
static PROCESS_NONCE: std::sync::LazyLock<[u8; 16]> = std::sync::LazyLock::new(rand::random);

fn seed(stamp: &ContentStamp, site: &SiteSettings) -> [u8; 32] {
    let t = |d: Option<DateTime<Utc>>| d.map_or(i64::MIN, |d| d.timestamp_micros());
    Sha256::new()
        // Another process may run another build, which may render differently.
        .chain_update(*PROCESS_NONCE)
        .chain_update(format!("{site:?}"))
        .chain_update(stamp.version.to_le_bytes())
        .chain_update(stamp.changed_at.timestamp_micros().to_le_bytes())
        .chain_update(t(stamp.latest_visible).to_le_bytes())
        .finalize()
        .into()
}
