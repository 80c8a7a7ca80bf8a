//! Reads of the public render path that are not plain content lookups: the facts that identify
//! what readers can see right now, so that a page can be validated (ETag, Last-Modified) and the
//! site-wide parts of every page (the section navigation) recomputed only when content changes.
//! Every query behind this trait is bounded — a one-row lookup or an index range scan that stops
//! early — whatever the size of the archive; the store tests check their plans on both backends.

use async_trait::async_trait;
use chrono::{DateTime, Utc};

use crate::store::StoreResult;

/// What identifies the public content at an instant.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ContentStamp {
    /// Bumped (by the database itself) on every write to something a public page shows.
    pub version: i64,
    /// When the last such write happened, by the database's clock.
    pub changed_at: DateTime<Utc>,
    /// The newest publication time that is visible: it moves when a scheduled article goes live,
    /// which no write announces.
    pub latest_visible: Option<DateTime<Utc>>,
    /// The next scheduled publication after the instant asked about: the stamp is good until then.
    pub next_scheduled: Option<DateTime<Utc>>,
}

#[async_trait]
pub trait PageStore {
    /// The content's stamp as seen at `now`: one round trip.
    async fn content_stamp(&self, now: DateTime<Utc>) -> StoreResult<ContentStamp>;

    /// The visible article at `slug` with its tags, authors, photo renditions and cluster
    /// members: one round trip.
    async fn article_page(
        &self,
        slug: &crate::Slug,
        now: DateTime<Utc>,
    ) -> StoreResult<Option<ArticlePageData>>;

    /// Up to `limit` visible articles sharing the most tags with `article`, then the newest:
    /// among each tag's most recent articles only ([`RELATED_WINDOW`] per tag), so the cost
    /// does not grow with the archive. One round trip.
    async fn related_by_tags(
        &self,
        article: &crate::Article,
        now: DateTime<Utc>,
        limit: u32,
    ) -> StoreResult<Vec<crate::Article>>;
}

/// How many of each tag's newest articles [`PageStore::related_by_tags`] considers.
pub const RELATED_WINDOW: u32 = 64;

/// An article page's data, read in one round trip.
#[derive(Debug, Clone)]
pub struct ArticlePageData {
    pub article: crate::Article,
    /// Resized copies of the lead photo, narrowest first.
    pub renditions: Vec<crate::editorial::PhotoRendition>,
    /// The agencies whose versions of the story were clustered into this article.
    pub cluster_members: Vec<crate::ingest::ClusterMember>,
}

/// Where "You may also like" comes from. The store answers with a bounded tag-based query
/// ([`PageStore::related_by_tags`]); a search index with more-like-this can take its place.
#[async_trait]
pub trait RelatedSource: Send + Sync + std::fmt::Debug {
    async fn related(
        &self,
        article: &crate::Article,
        now: DateTime<Utc>,
        limit: u32,
    ) -> StoreResult<Vec<crate::Article>>;
}
