//! The wire desk: agency sources, their feed items, the article-fetch queue, and story clusters.
//!
//! The item table is also the work queue: an item is `queued` until its page has been fetched,
//! extracted and clustered. Workers claim items with a lease (`claim_items`); a claim bumps the
//! item's `attempts`, and completing or failing needs that same attempt number, so a worker whose
//! lease ran out (or a process killed mid-pass) can never complete an item twice.
//! Completing an item, joining or creating its cluster and creating the cluster's one article
//! happen in one transaction, and the cluster row holds a unique `article_id`: publishing is
//! idempotent.

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::model::{Id, NewArticle};
use crate::store::StoreResult;

/// Never poll a source more often than this, whatever the feed's pace.
pub const MIN_INTERVAL_SECONDS: i64 = 60;

/// Parses an interval such as `15m`, `1h`, `90s` or `2d` (a bare number is seconds).
pub fn parse_interval(s: &str) -> Result<i64, String> {
    let s = s.trim();
    let (num, unit) = match s.find(|c: char| !c.is_ascii_digit()) {
        Some(i) => (&s[..i], &s[i..]),
        None => (s, "s"),
    };
    let n: i64 = num
        .parse()
        .map_err(|_| format!("{s:?} is not an interval like 15m, 1h or 90s"))?;
    let mult = match unit.trim() {
        "s" => 1,
        "m" => 60,
        "h" => 3600,
        "d" => 86400,
        _ => return Err(format!("{s:?}: unit must be s, m, h or d")),
    };
    let secs = n.saturating_mul(mult);
    if secs < MIN_INTERVAL_SECONDS {
        return Err(format!(
            "interval {s:?} is shorter than {MIN_INTERVAL_SECONDS}s"
        ));
    }
    Ok(secs)
}

/// A feed the wire desk follows.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Source {
    pub id: Id,
    pub feed_url: String,
    /// The site's home page, from the feed.
    pub site_url: Option<String>,
    /// Display name: the agency name shown in "also reported by".
    pub name: String,
    /// Whether `name` still follows the feed's title (no name was given).
    pub name_from_feed: bool,
    /// Publish new clusters straight away; otherwise they wait as drafts for review.
    pub auto_publish: bool,
    /// The polling interval the operator asked for.
    pub interval_seconds: i64,
    /// The interval in use: shorter for busy feeds, longer for quiet ones, within bounds.
    pub current_interval_seconds: i64,
    pub paused: bool,
    pub etag: Option<String>,
    pub last_modified: Option<String>,
    pub next_poll_at: DateTime<Utc>,
    pub last_polled_at: Option<DateTime<Utc>>,
    pub last_success_at: Option<DateTime<Utc>>,
    /// Failed polls in a row; drives the back-off.
    pub consecutive_errors: i32,
    /// Why the last poll failed (cleared by a successful poll).
    pub last_error: Option<String>,
    pub created_at: DateTime<Utc>,
    /// What becomes of the lead photos of this source's stories.
    #[serde(default)]
    pub lead_photos: LeadPhotos,
}

/// What the wire desk does with the lead photo the extractor found on an agency's page.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum LeadPhotos {
    /// Fetch it once and keep a re-encoded copy among our uploads (caption and credit kept).
    #[default]
    Import,
    /// Leave photos out (e.g. when the agency's licence does not cover them).
    Off,
}

impl LeadPhotos {
    pub fn as_str(self) -> &'static str {
        match self {
            LeadPhotos::Import => "import",
            LeadPhotos::Off => "off",
        }
    }

    pub fn parse(s: &str) -> Result<Self, String> {
        match s.trim().to_ascii_lowercase().as_str() {
            "import" => Ok(LeadPhotos::Import),
            "off" | "none" => Ok(LeadPhotos::Off),
            other => Err(format!("lead photos {other:?}: expected import or off")),
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct NewSource {
    pub feed_url: String,
    /// `None`: take the feed's title on the first poll.
    pub name: Option<String>,
    pub auto_publish: bool,
    pub interval_seconds: i64,
}

/// A change to a source; `None` leaves a field as it is.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct SourcePatch {
    pub name: Option<String>,
    pub auto_publish: Option<bool>,
    pub interval_seconds: Option<i64>,
    pub paused: Option<bool>,
}

/// What a successful poll (200 or 304) records on the source.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PollSuccess {
    pub source_id: Id,
    pub polled_at: DateTime<Utc>,
    pub next_poll_at: DateTime<Utc>,
    pub current_interval_seconds: i64,
    pub etag: Option<String>,
    pub last_modified: Option<String>,
    /// The feed moved permanently (or was discovered from a home page): follow it from now on.
    pub new_feed_url: Option<String>,
    /// The feed's title, used as the name while `name_from_feed`.
    pub feed_title: Option<String>,
    pub site_url: Option<String>,
}

/// What a failed poll records: the back-off and the reason, for the operator.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PollFailure {
    pub source_id: Id,
    pub polled_at: DateTime<Utc>,
    pub next_poll_at: DateTime<Utc>,
    pub error: String,
}

/// An entry read from a feed, before its page is fetched.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct NewItem {
    pub source_id: Id,
    /// The feed's id for the entry, or its link when it has none.
    pub guid: String,
    pub url: String,
    /// `url` with tracking parameters and fragments removed: one item per canonical URL.
    pub canonical_url: String,
    pub title: String,
    pub summary: String,
    pub published_at: Option<DateTime<Utc>>,
    /// The entry's categories as the feed names them; they become the article's tags.
    pub categories: Vec<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum ItemState {
    /// Waiting for (another attempt at) its page fetch.
    Queued,
    /// Fetched but not published: the page is not an article (see `hold_reason`).
    Held,
    /// Stored as a story in a cluster that has its article.
    Clustered,
    /// Gave up after too many failed attempts; `last_error` says why.
    Failed,
}

impl ItemState {
    pub fn as_str(self) -> &'static str {
        match self {
            ItemState::Queued => "queued",
            ItemState::Held => "held",
            ItemState::Clustered => "clustered",
            ItemState::Failed => "failed",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "queued" => Some(ItemState::Queued),
            "held" => Some(ItemState::Held),
            "clustered" => Some(ItemState::Clustered),
            "failed" => Some(ItemState::Failed),
            _ => None,
        }
    }
}

/// An item as the operator sees it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Item {
    pub id: Id,
    pub source_id: Id,
    pub guid: String,
    pub url: String,
    pub canonical_url: String,
    pub title: String,
    pub state: ItemState,
    pub attempts: i32,
    pub next_attempt_at: DateTime<Utc>,
    pub last_error: Option<String>,
    pub hold_reason: Option<String>,
    pub headline: Option<String>,
    pub cluster_id: Option<Id>,
    pub has_raw_page: bool,
    pub created_at: DateTime<Utc>,
}

/// An item leased to one worker until `lease_until`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ClaimedItem {
    pub id: Id,
    pub source_id: Id,
    pub url: String,
    pub title: String,
    pub summary: String,
    pub published_at: Option<DateTime<Utc>>,
    /// The attempt this claim is; completing or failing must name it.
    pub attempt: i32,
    pub lease_until: DateTime<Utc>,
    /// The feed entry's categories.
    pub categories: Vec<String>,
}

/// The fetched page, kept so that the story can be extracted again later.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RawPage {
    pub final_url: String,
    pub content_type: String,
    pub body: Vec<u8>,
}

/// An extracted, sanitized story.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Story {
    pub headline: String,
    pub standfirst: String,
    pub body_text: String,
    /// Sanitized (ammonia) HTML of the body.
    pub body_html: String,
    pub raw: RawPage,
}

/// A story ready to be stored: where it goes and what its cluster's article would be.
#[derive(Debug, Clone, PartialEq)]
pub struct CompletedItem {
    pub item_id: Id,
    pub attempt: i32,
    pub story: Story,
    /// MinHash signature of the body's shingles.
    pub signature: Vec<u32>,
    /// LSH band keys of `signature`: the index near-duplicates are found by.
    pub band_keys: Vec<i64>,
    /// Join this cluster, or start a new one when `None`.
    pub join_cluster: Option<Id>,
    /// The article to create if the cluster has none yet. The store keeps its slug, or makes
    /// it unique by appending the cluster id when another article has it.
    pub article: NewArticle,
    /// The agency's byline: each name becomes (or finds) an author profile of the article.
    pub byline: Vec<String>,
    /// Tag names (the feed's categories): each becomes (or finds) a tag of the article.
    pub tags: Vec<String>,
    /// The lead photo, already imported into the uploads, for a new article.
    pub lead_photo: Option<crate::model::NewPhoto>,
    /// Mark the cluster's article important once this many sources carry the story.
    pub important_at_sources: u32,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CompleteOutcome {
    pub cluster_id: Id,
    pub article_id: Id,
    /// This completion created the cluster's article.
    pub created_article: bool,
    /// Distinct sources now in the cluster.
    pub sources_in_cluster: u32,
}

/// A stored story that may be a near-duplicate of a new one.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Candidate {
    pub item_id: Id,
    pub cluster_id: Id,
    pub signature: Vec<u32>,
}

/// Where to look for the clusters of independently written reports of a story's event.
#[derive(Debug, Clone, PartialEq)]
pub struct EventQuery {
    /// The story's rare keys (hashed headline terms, names, numbers, heaviest body terms) with
    /// their weight in thousandths (idf × 1000): candidates are ranked by the weight they share.
    pub keys: Vec<(i64, i64)>,
    /// The story's time: the index is read within `window_seconds` of it.
    pub at: DateTime<Utc>,
    pub window_seconds: i64,
    /// Candidate clusters handed to the placer.
    pub limit: u32,
}

/// A cluster that may hold the same event, with its stored summary.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EventCandidate {
    pub cluster_id: Id,
    /// Opaque to the store: the clustering library's encoding of the cluster's centroid.
    pub summary: Vec<u8>,
}

/// What a [`Placer`] decided.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PlacementChoice {
    /// The cluster to join; `None` starts a new one.
    pub join_cluster: Option<Id>,
    /// The summary of the cluster the story ends up in, the story included.
    pub summary: Vec<u8>,
}

/// Decides a story's cluster inside the store's placement transaction, so that two pipelines
/// (two nodes) placing reports of one event at the same instant see each other's clusters.
/// Pure and quick: no I/O.
pub trait Placer: Send + Sync {
    /// `copies`: stored stories sharing MinHash bands; `events`: candidate clusters (those of
    /// `copies` included) with their summaries.
    fn place(&self, copies: &[Candidate], events: &[EventCandidate]) -> PlacementChoice;
}

/// One agency's version of a clustered story, for "also reported by".
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ClusterMember {
    pub agency: String,
    pub url: String,
    /// The story (cluster) id: its full coverage page is `/stories/{story_id}`.
    #[serde(default)]
    pub story_id: Id,
}

/// Counts by item state, for summaries.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct IngestCounts {
    pub queued: u64,
    pub held: u64,
    pub clustered: u64,
    pub failed: u64,
    pub clusters: u64,
}

/// Finds the feed a URL stands for: itself when it is a feed, else the first feed its HTML
/// page advertises. Implemented by the ingest pipeline; the web API takes it as a trait so it
/// does not depend on the fetcher. Errors are operator text.
#[async_trait]
pub trait FeedDiscovery: Send + Sync + std::fmt::Debug {
    async fn discover(&self, url: &str) -> Result<String, String>;
}

/// The source already following `feed` (a URL reached through discovery), if any: adding
/// another would only fail at every poll. `sources add` and `POST /api/v1/sources` refuse it.
pub fn already_following<'a>(sources: &'a [Source], feed: &str) -> Option<&'a Source> {
    sources.iter().find(|s| s.feed_url == feed)
}

/// Why a URL whose discovered feed is followed was not added (one wording for CLI and API).
pub fn already_followed_message(url: &str, feed: &str, other: &Source) -> String {
    format!(
        "{url} advertises the feed {feed}, which is already followed as source {} ({}); not added",
        other.id, other.name
    )
}

/// Storage for this area; part of [`crate::Store`].
#[async_trait]
pub trait IngestStore: Send + Sync {
    /// Adds a source, due for its first poll at `now`. `Conflict("feed_url")` if already followed.
    async fn create_source(&self, new: &NewSource, now: DateTime<Utc>) -> StoreResult<Source>;
    async fn source(&self, id: Id) -> StoreResult<Option<Source>>;
    /// All sources, by id.
    async fn list_sources(&self) -> StoreResult<Vec<Source>>;
    async fn update_source(&self, id: Id, patch: &SourcePatch) -> StoreResult<Source>;
    /// Sets what becomes of the lead photos of a source's stories.
    async fn set_source_lead_photos(&self, id: Id, mode: LeadPhotos) -> StoreResult<Source>;
    /// Removes a source and its items (articles already published stay).
    async fn delete_source(&self, id: Id) -> StoreResult<()>;
    /// Unpaused sources whose next poll is due at `now`, soonest first.
    async fn due_sources(&self, now: DateTime<Utc>, limit: u32) -> StoreResult<Vec<Source>>;
    async fn record_poll_success(&self, poll: &PollSuccess) -> StoreResult<()>;
    async fn record_poll_failure(&self, poll: &PollFailure) -> StoreResult<()>;

    /// Queues new items; exact duplicates (same source and GUID, or same canonical URL) are
    /// skipped. Returns how many were new.
    async fn add_items(&self, items: &[NewItem], now: DateTime<Utc>) -> StoreResult<u64>;
    /// Leases up to `limit` queued items that are due and not leased, until `lease_until`.
    async fn claim_items(
        &self,
        now: DateTime<Utc>,
        lease_until: DateTime<Utc>,
        limit: u32,
    ) -> StoreResult<Vec<ClaimedItem>>;
    /// Records a failed attempt. The item stays queued until `retry_at`, or becomes `failed`
    /// when `retry_at` is `None`. A stale attempt (lease lost) changes nothing.
    async fn fail_item(
        &self,
        item_id: Id,
        attempt: i32,
        error: &str,
        retry_at: Option<DateTime<Utc>>,
    ) -> StoreResult<()>;
    /// Keeps the page but holds the item out of the site, with the reason.
    async fn hold_item(
        &self,
        item_id: Id,
        attempt: i32,
        reason: &str,
        raw: &RawPage,
    ) -> StoreResult<()>;
    /// Stored stories sharing any of these LSH band keys (at most `limit`).
    async fn cluster_candidates(
        &self,
        band_keys: &[i64],
        limit: u32,
    ) -> StoreResult<Vec<Candidate>>;
    /// Stores the story, places it in its cluster and creates the cluster's article if it has
    /// none, all at once. `NotFound` if the claim is stale (the item was done by someone else).
    async fn complete_item(&self, done: &CompletedItem) -> StoreResult<CompleteOutcome>;
    /// [`IngestStore::complete_item`] with the cluster chosen by `placer` inside the same
    /// serialised transaction (`done.join_cluster` is ignored), and the chosen cluster's summary
    /// and the story's keys written to the event index.
    async fn place_item(
        &self,
        done: &CompletedItem,
        events: &EventQuery,
        placer: &dyn Placer,
    ) -> StoreResult<CompleteOutcome>;
    /// Headline and body text of the latest stored stories, newest first: what a starting
    /// pipeline counts its document frequencies from.
    async fn recent_story_texts(&self, limit: u32) -> StoreResult<Vec<(String, String)>>;

    /// The agencies carrying the story this article was made from, first reporter first.
    async fn cluster_members_for_article(&self, article_id: Id) -> StoreResult<Vec<ClusterMember>>;
    /// Items, newest first, optionally of one source.
    async fn list_items(&self, source_id: Option<Id>, limit: u32) -> StoreResult<Vec<Item>>;
    /// The kept raw page of an item.
    async fn raw_page(&self, item_id: Id) -> StoreResult<Option<RawPage>>;
    async fn ingest_counts(&self) -> StoreResult<IngestCounts>;
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn intervals_parse_with_units() {
        assert_eq!(parse_interval("15m"), Ok(900));
        assert_eq!(parse_interval("2h"), Ok(7200));
        assert_eq!(parse_interval("120"), Ok(120));
        assert!(parse_interval("5s").is_err());
        assert!(parse_interval("soon").is_err());
    }
}
