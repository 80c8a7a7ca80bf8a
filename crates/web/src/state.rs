//! What every handler can reach.

use std::sync::Arc;

use newsdesk_core::Store;
use newsdesk_core::site::SiteSettings;
use newsdesk_media::MediaStore;

use crate::cache::PageCache;

#[derive(Clone, Debug)]
pub struct AppState {
    pub store: Arc<dyn Store>,
    pub site: Arc<SiteSettings>,
    /// Where uploaded and demo photos live (a directory or S3); served under `/uploads/`.
    pub media: MediaStore,
    /// Rendered public pages, keyed by path and query.
    pub cache: PageCache,
    /// Site-wide facts (navigation, content stamp), recomputed when content changes.
    pub facts: Arc<crate::facts::Facts>,
    /// "You may also like" from somewhere other than the store's tag query (a search index).
    pub related: Option<Arc<dyn newsdesk_core::pages::RelatedSource>>,
    /// This process's search index (`None`: search is off or the index could not be opened).
    pub search: Option<Arc<dyn newsdesk_search::Search>>,
    /// Whether each request writes an access-log line (config `access_log`).
    pub access_log: bool,
    /// Newsroom keys and settings (CSRF secret, webhook address policy).
    pub newsroom: Arc<crate::auth::Newsroom>,
    /// The newsletter's link-signing key, loaded from the store on first use.
    pub newsletter_key: Arc<tokio::sync::OnceCell<newsdesk_core::newsletter::TokenKey>>,
    /// Every Argon2 computation goes through this bounded pool (see `newsdesk_core::hasher`).
    pub hasher: Arc<newsdesk_core::hasher::PasswordHasher>,
    /// Feed discovery for `POST /api/v1/sources` (the ingest pipeline; `None`: not checked).
    pub discovery: Option<Arc<dyn newsdesk_core::ingest::FeedDiscovery>>,
    /// Node id, metrics token and request statistics (`/healthz`, `/readyz`, `/metrics`).
    pub ops: Arc<crate::ops::Ops>,
}

impl AppState {
    pub fn new(store: Arc<dyn Store>, site: SiteSettings, media: MediaStore) -> Self {
        AppState {
            store,
            site: Arc::new(site),
            media,
            cache: PageCache::default(),
            facts: Arc::default(),
            related: None,
            search: None,
            access_log: true,
            newsroom: Arc::new(crate::auth::Newsroom::default()),
            newsletter_key: Arc::new(tokio::sync::OnceCell::new()),
            hasher: Arc::new(newsdesk_core::hasher::PasswordHasher::for_this_machine()),
            discovery: None,
            ops: Arc::default(),
        }
    }
}
