//! One ingest pass: poll the due sources, queue their new items, then drain the queue — fetch
//! each page, extract it, sanitize it, fingerprint it, place it in its story cluster and publish
//! (or hold) the cluster's article.
//!
//! The queue is the item table with leases (see `newsdesk_core::ingest`): a process killed
//! mid-pass leaves its items leased; once the lease runs out, the next pass takes them again.
//! Page fetches run concurrently (bounded overall and per host); placing a story in a cluster is
//! serialised in-process so that two versions of one story fetched at the same moment still meet.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use chrono::Utc;
use futures::StreamExt as _;
use newsdesk_core::ingest::{
    ClaimedItem, CompletedItem, LeadPhotos, NewItem, PollFailure, PollSuccess, RawPage, Source,
    Story,
};
use newsdesk_core::{ArticleStatus, Id, NewArticle, NewPhoto, Slug, Store, StoreError};
use tokio::sync::Semaphore;
use url::Url;

use crate::canon::canonical_url;
use crate::events::{EventPlacement, StoryPlacer};
use crate::feeds::{self, FeedError};
use crate::fetch::{FetchOutcome, Fetcher, Validators};
use crate::fingerprint::{self, SAME_STORY_THRESHOLD};
use crate::robots::Robots;
use crate::schedule;
use newsdesk_cluster::StoryText;

/// How long a host's robots.txt is trusted before it is fetched again.
const ROBOTS_TTL: Duration = Duration::from_secs(3600);

/// Knobs of the pipeline (the fetch limits are in [`crate::FetchOptions`]).
#[derive(Debug, Clone, PartialEq)]
pub struct IngestOptions {
    /// Page fetches in flight at once.
    pub concurrency: usize,
    /// Page fetches in flight at once to one host.
    pub per_host_concurrency: usize,
    /// How long a claimed item stays leased to this process.
    pub lease: Duration,
    /// Attempts at an item's page before it is marked failed.
    pub max_attempts: i32,
    /// A cluster carried by this many sources makes its article important.
    pub important_at_sources: u32,
    /// Honour robots.txt for article pages.
    pub respect_robots: bool,
    /// User-agent token matched against robots.txt groups.
    pub robots_agent: String,
    /// Event clustering (window, threshold, weights): the settings `newsdesk cluster` uses.
    pub clustering: newsdesk_cluster::Settings,
    /// Where imported lead photos are written (the site's media store); `None` imports none.
    pub media: Option<newsdesk_media::MediaStore>,
}

impl Default for IngestOptions {
    fn default() -> Self {
        IngestOptions {
            concurrency: 8,
            per_host_concurrency: 2,
            lease: Duration::from_secs(120),
            max_attempts: 8,
            important_at_sources: 3,
            respect_robots: true,
            robots_agent: "newsdesk".into(),
            clustering: newsdesk_cluster::Settings::default(),
            media: None,
        }
    }
}

/// What one pass did.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize)]
pub struct PassSummary {
    pub sources_polled: u64,
    pub sources_not_modified: u64,
    pub sources_failed: u64,
    pub new_items: u64,
    pub stories_stored: u64,
    pub articles_created: u64,
    pub items_held: u64,
    pub items_retrying: u64,
    pub items_failed: u64,
}

impl std::fmt::Display for PassSummary {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "sources polled {} (not modified {}, failed {}); new items {}; stories stored {} \
             (new articles {}); held {}; retrying {}; failed {}",
            self.sources_polled,
            self.sources_not_modified,
            self.sources_failed,
            self.new_items,
            self.stories_stored,
            self.articles_created,
            self.items_held,
            self.items_retrying,
            self.items_failed
        )
    }
}

enum ItemResult {
    Stored {
        created_article: bool,
    },
    Held,
    Retrying,
    Failed,
    /// The lease was lost (another worker finished it): nothing to count.
    Stale,
}

/// The wire desk's engine. Share it in an `Arc`.
pub struct Pipeline {
    store: Arc<dyn Store>,
    fetcher: Fetcher,
    options: IngestOptions,
    hosts: Mutex<HashMap<String, Arc<Semaphore>>>,
    /// robots.txt per host, with when it was fetched.
    robots: Mutex<HashMap<String, (std::time::Instant, Arc<Robots>)>>,
    /// Placement runs one story at a time in this process (the store serialises it across
    /// processes) and holds the document frequencies event placement weighs words by.
    placing: tokio::sync::Mutex<EventPlacement>,
    /// Called after a pass that stored stories (e.g. to drop cached public pages).
    on_publish: Option<Arc<dyn Fn() + Send + Sync>>,
    /// Called with each article a pass published (auto-publishing sources).
    on_article_published: Option<PublishedHook>,
    /// When set, [`Pipeline::run_forever`] runs a pass only while this is true: the node holds
    /// the ingest lease (issue 17), so one node polls the sources at a time.
    leading: Option<Arc<std::sync::atomic::AtomicBool>>,
}

/// What runs when ingest publishes an article: serve and `ingest` fire the `article.published`
/// webhook there.
pub type PublishedHook = Arc<dyn Fn(Id) -> futures::future::BoxFuture<'static, ()> + Send + Sync>;

impl std::fmt::Debug for Pipeline {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Pipeline")
            .field("options", &self.options)
            .finish_non_exhaustive()
    }
}

fn host_key(url: &Url) -> String {
    format!(
        "{}://{}:{}",
        url.scheme(),
        url.host_str().unwrap_or_default(),
        url.port_or_known_default().unwrap_or(0)
    )
}

impl Pipeline {
    pub fn new(store: Arc<dyn Store>, fetcher: Fetcher, options: IngestOptions) -> Self {
        let events = EventPlacement::new(options.clustering.clone());
        Pipeline {
            store,
            fetcher,
            options,
            hosts: Mutex::new(HashMap::new()),
            robots: Mutex::new(HashMap::new()),
            placing: tokio::sync::Mutex::new(events),
            on_publish: None,
            leading: None,
            on_article_published: None,
        }
    }

    /// Runs `hook` (and waits for it) for every article an item's completion published.
    pub fn on_article_published(mut self, hook: PublishedHook) -> Self {
        self.on_article_published = Some(hook);
        self
    }

    /// Makes [`Pipeline::run_forever`] skip its passes while `leading` is false.
    pub fn only_while(mut self, leading: Arc<std::sync::atomic::AtomicBool>) -> Self {
        self.leading = Some(leading);
        self
    }

    /// Runs `f` after every pass of [`Pipeline::run_forever`] that stored stories.
    pub fn on_publish(mut self, f: Arc<dyn Fn() + Send + Sync>) -> Self {
        self.on_publish = Some(f);
        self
    }

    pub fn store(&self) -> &Arc<dyn Store> {
        &self.store
    }

    /// Polls every due source, then drains the queue of items due now.
    pub async fn run_pass(&self) -> Result<PassSummary, StoreError> {
        let mut summary = PassSummary::default();
        self.poll_due_sources(&mut summary).await?;
        self.drain_queue(&mut summary).await?;
        Ok(summary)
    }

    /// Runs passes until `shutdown` turns true, waiting `tick` between passes.
    pub async fn run_forever(
        self: Arc<Self>,
        tick: Duration,
        mut shutdown: tokio::sync::watch::Receiver<bool>,
    ) {
        loop {
            let leads = self
                .leading
                .as_ref()
                .is_none_or(|l| l.load(std::sync::atomic::Ordering::Acquire));
            let pass = if leads {
                self.run_pass().await
            } else {
                Ok(PassSummary::default())
            };
            match pass {
                Ok(s) if s != PassSummary::default() => {
                    tracing::info!(summary = %s, "ingest pass");
                    if s.stories_stored > 0
                        && let Some(f) = &self.on_publish
                    {
                        f();
                    }
                }
                Ok(_) => {}
                Err(e) => tracing::error!(error = %e, "ingest pass failed"),
            }
            tokio::select! {
                _ = tokio::time::sleep(tick) => {}
                _ = shutdown.changed() => {}
            }
            if *shutdown.borrow() {
                return;
            }
        }
    }

    async fn poll_due_sources(&self, summary: &mut PassSummary) -> Result<(), StoreError> {
        let due = self.store.due_sources(Utc::now(), 1000).await?;
        let results: Vec<Result<PollResult, StoreError>> = futures::stream::iter(due)
            .map(|s| async move { self.poll_source(&s).await })
            .buffer_unordered(self.options.concurrency.max(1))
            .collect()
            .await;
        for r in results {
            // One source's failure is that source's (recorded on it by `poll_source`); the
            // pass goes on for the others.
            let r = match r {
                Ok(r) => r,
                Err(e) => {
                    tracing::error!(error = %e, "a source's poll could not be recorded");
                    PollResult::Failed
                }
            };
            match r {
                PollResult::Fetched { new_items } => {
                    summary.sources_polled += 1;
                    summary.new_items += new_items;
                }
                PollResult::NotModified => {
                    summary.sources_polled += 1;
                    summary.sources_not_modified += 1;
                }
                PollResult::Failed => {
                    summary.sources_polled += 1;
                    summary.sources_failed += 1;
                }
            }
        }
        Ok(())
    }

    /// Polls one source now and records the result on it: a failure of the source (including
    /// a store refusal such as a feed URL another source already follows) is recorded as its
    /// error, shown on it, and does not fail the pass.
    pub async fn poll_source(&self, source: &Source) -> Result<PollResult, StoreError> {
        match self.poll_source_inner(source).await {
            Err(StoreError::Conflict(what)) => {
                let error = format!("the store refused this poll's result ({what})");
                self.record_failure(source, error).await
            }
            other => other,
        }
    }

    async fn record_failure(
        &self,
        source: &Source,
        error: String,
    ) -> Result<PollResult, StoreError> {
        let now = Utc::now();
        tracing::warn!(source = source.id, feed = %source.feed_url, %error, "feed poll failed");
        let next = schedule::backoff(
            source.current_interval_seconds,
            source.consecutive_errors.saturating_add(1),
            now,
        );
        self.store
            .record_poll_failure(&PollFailure {
                source_id: source.id,
                polled_at: now,
                next_poll_at: next,
                error,
            })
            .await?;
        Ok(PollResult::Failed)
    }

    /// Another source that already follows `feed_url`, if any.
    async fn followed_by_other(
        &self,
        source_id: i64,
        feed_url: &str,
    ) -> Result<Option<Source>, StoreError> {
        Ok(self
            .store
            .list_sources()
            .await?
            .into_iter()
            .find(|s| s.id != source_id && s.feed_url == feed_url))
    }

    async fn poll_source_inner(&self, source: &Source) -> Result<PollResult, StoreError> {
        let now = Utc::now();
        let polled = self.fetch_feed(source).await;
        // A home page whose feed another source already follows: this source's error.
        let polled = match polled {
            Ok(p) => match &p.new_feed_url {
                Some(u) if *u != source.feed_url => {
                    match self.followed_by_other(source.id, u).await? {
                        Some(other) => Err(format!(
                            "its feed {u} is already followed by source {} ({}); remove this one",
                            other.id, other.name
                        )),
                        None => Ok(p),
                    }
                }
                _ => Ok(p),
            },
            Err(e) => Err(e),
        };
        match polled {
            Ok(polled) => {
                let Some(feed) = polled.feed else {
                    // 304: nothing new; the feed counts as quiet for the adaptive interval.
                    let interval = schedule::next_interval(
                        source.interval_seconds,
                        source.current_interval_seconds,
                        0,
                    );
                    self.store
                        .record_poll_success(&PollSuccess {
                            source_id: source.id,
                            polled_at: now,
                            next_poll_at: now + chrono::Duration::seconds(interval),
                            current_interval_seconds: interval,
                            etag: source.etag.clone(),
                            last_modified: source.last_modified.clone(),
                            new_feed_url: polled.new_feed_url,
                            feed_title: None,
                            site_url: None,
                        })
                        .await?;
                    return Ok(PollResult::NotModified);
                };
                let items: Vec<NewItem> = feed
                    .entries
                    .into_iter()
                    .filter_map(|e| {
                        Some(NewItem {
                            source_id: source.id,
                            canonical_url: canonical_url(&e.url)?,
                            guid: e.guid,
                            url: e.url,
                            title: e.title,
                            summary: e.summary,
                            published_at: e.published,
                            categories: e.categories,
                        })
                    })
                    .collect();
                let added = self.store.add_items(&items, now).await?;
                let interval = schedule::next_interval(
                    source.interval_seconds,
                    source.current_interval_seconds,
                    added,
                );
                self.store
                    .record_poll_success(&PollSuccess {
                        source_id: source.id,
                        polled_at: now,
                        next_poll_at: now + chrono::Duration::seconds(interval),
                        current_interval_seconds: interval,
                        etag: polled.validators.etag,
                        last_modified: polled.validators.last_modified,
                        new_feed_url: polled.new_feed_url,
                        feed_title: feed.title,
                        site_url: feed.site_url,
                    })
                    .await?;
                tracing::debug!(source = source.id, added, "feed polled");
                Ok(PollResult::Fetched { new_items: added })
            }
            Err(error) => self.record_failure(source, error).await,
        }
    }

    /// The feed a URL stands for: itself when it is a feed, or the first feed an HTML page
    /// advertises. For `sources add` and the API, to refuse a page whose feed is followed.
    pub async fn discover(&self, url: &str) -> Result<String, String> {
        let outcome = self
            .fetcher
            .get(url, &Validators::default())
            .await
            .map_err(|e| format!("fetching {url}: {e}"))?;
        let FetchOutcome::Fetched(f) = outcome else {
            return Ok(url.to_owned());
        };
        match feeds::parse_feed(&f.body, f.content_type.as_deref(), &f.final_url) {
            Err(FeedError::Html) => {
                feeds::discover_feeds(&f.body, f.content_type.as_deref(), &f.final_url)
                    .into_iter()
                    .next()
                    .map(|u| u.to_string())
                    .ok_or_else(|| "an HTML page that advertises no feed".to_owned())
            }
            _ => Ok(f.final_url.to_string()),
        }
    }

    /// Fetches and parses a source's feed; `feed` is `None` on 304. Errors are operator text.
    async fn fetch_feed(&self, source: &Source) -> Result<PolledFeed, String> {
        let validators = Validators {
            etag: source.etag.clone(),
            last_modified: source.last_modified.clone(),
        };
        let outcome = self
            .fetcher
            .get(&source.feed_url, &validators)
            .await
            .map_err(|e| format!("fetching the feed: {e}"))?;
        let fetched = match outcome {
            FetchOutcome::NotModified {
                moved_permanently_to,
            } => {
                return Ok(PolledFeed {
                    feed: None,
                    validators,
                    new_feed_url: moved_permanently_to.map(String::from),
                });
            }
            FetchOutcome::Fetched(f) => f,
        };
        let mut new_feed_url = fetched.moved_permanently_to.as_ref().map(Url::to_string);
        match feeds::parse_feed(
            &fetched.body,
            fetched.content_type.as_deref(),
            &fetched.final_url,
        ) {
            Ok(feed) => Ok(PolledFeed {
                feed: Some(feed),
                validators: fetched.validators,
                new_feed_url,
            }),
            Err(FeedError::Html) => {
                // A home page: follow the feed it advertises, and keep that as the feed URL.
                let found = feeds::discover_feeds(
                    &fetched.body,
                    fetched.content_type.as_deref(),
                    &fetched.final_url,
                );
                let Some(feed_url) = found.into_iter().next() else {
                    return Err(
                        "an HTML page that advertises no feed (<link rel=\"alternate\">)".into(),
                    );
                };
                let outcome = self
                    .fetcher
                    .get(feed_url.as_str(), &Validators::default())
                    .await
                    .map_err(|e| format!("fetching the discovered feed {feed_url}: {e}"))?;
                let FetchOutcome::Fetched(f) = outcome else {
                    return Err(format!("the discovered feed {feed_url} answered 304"));
                };
                let feed = feeds::parse_feed(&f.body, f.content_type.as_deref(), &f.final_url)
                    .map_err(|e| format!("the discovered feed {feed_url}: {e}"))?;
                new_feed_url = Some(f.final_url.to_string());
                Ok(PolledFeed {
                    feed: Some(feed),
                    validators: f.validators,
                    new_feed_url,
                })
            }
            Err(e) => Err(format!("parsing the feed: {e}")),
        }
    }

    async fn drain_queue(&self, summary: &mut PassSummary) -> Result<(), StoreError> {
        let sources: HashMap<i64, Source> = self
            .store
            .list_sources()
            .await?
            .into_iter()
            .map(|s| (s.id, s))
            .collect();
        let sources = &sources;
        let batch = u32::try_from(self.options.concurrency.max(1) * 4).unwrap_or(32);
        loop {
            let now = Utc::now();
            let lease_until = now
                + chrono::Duration::from_std(self.options.lease)
                    .unwrap_or(chrono::Duration::seconds(120));
            let claimed = self.store.claim_items(now, lease_until, batch).await?;
            if claimed.is_empty() {
                return Ok(());
            }
            let results: Vec<Result<ItemResult, StoreError>> = futures::stream::iter(claimed)
                .map(|item| async move {
                    let source = sources.get(&item.source_id);
                    let auto_publish = source.is_some_and(|s| s.auto_publish);
                    let photos = source.map_or(LeadPhotos::Off, |s| s.lead_photos);
                    let agency = source.map(|s| s.name.clone()).unwrap_or_default();
                    self.process_item(item, auto_publish, photos, &agency).await
                })
                .buffer_unordered(self.options.concurrency.max(1))
                .collect()
                .await;
            for r in results {
                match r? {
                    ItemResult::Stored { created_article } => {
                        summary.stories_stored += 1;
                        newsdesk_core::nodes::count(
                            &newsdesk_core::nodes::COUNTERS.ingest_items,
                            1,
                        );
                        summary.articles_created += u64::from(created_article);
                    }
                    ItemResult::Held => summary.items_held += 1,
                    ItemResult::Retrying => summary.items_retrying += 1,
                    ItemResult::Failed => summary.items_failed += 1,
                    ItemResult::Stale => {}
                }
            }
        }
    }

    fn host_permit(&self, url: &Url) -> Arc<Semaphore> {
        let mut hosts = self.hosts.lock().unwrap_or_else(|p| p.into_inner());
        hosts
            .entry(host_key(url))
            .or_insert_with(|| Arc::new(Semaphore::new(self.options.per_host_concurrency.max(1))))
            .clone()
    }

    async fn robots_for(&self, url: &Url) -> Arc<Robots> {
        let key = host_key(url);
        if let Some((at, r)) = self
            .robots
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .get(&key)
            && at.elapsed() < ROBOTS_TTL
        {
            return r.clone();
        }
        let robots = match url.join("/robots.txt") {
            Ok(robots_url) => match self
                .fetcher
                .get(robots_url.as_str(), &Validators::default())
                .await
            {
                Ok(FetchOutcome::Fetched(f)) => Robots::parse(
                    &String::from_utf8_lossy(&f.body),
                    &self.options.robots_agent,
                ),
                // No robots.txt (404 and the like) or unreadable: no rules.
                _ => Robots::allow_all(),
            },
            Err(_) => Robots::allow_all(),
        };
        let robots = Arc::new(robots);
        self.robots
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .insert(key, (std::time::Instant::now(), robots.clone()));
        robots
    }

    async fn process_item(
        &self,
        item: ClaimedItem,
        auto_publish: bool,
        photos: LeadPhotos,
        agency: &str,
    ) -> Result<ItemResult, StoreError> {
        let Ok(url) = Url::parse(&item.url) else {
            return self.fail(&item, "invalid URL", false).await;
        };
        let permit = self.host_permit(&url);
        let _permit = permit.acquire_owned().await;
        if self.options.respect_robots {
            let robots = self.robots_for(&url).await;
            let path = match url.query() {
                Some(q) => format!("{}?{q}", url.path()),
                None => url.path().to_owned(),
            };
            if !robots.allows(&path) {
                return self.fail(&item, "disallowed by robots.txt", false).await;
            }
        }
        let fetched = match self.fetcher.get(url.as_str(), &Validators::default()).await {
            Ok(FetchOutcome::Fetched(f)) => f,
            Ok(FetchOutcome::NotModified { .. }) => {
                return self.fail(&item, "unexpected 304 Not Modified", true).await;
            }
            Err(e) => {
                let transient = e.is_transient();
                return self
                    .fail(&item, &format!("fetching the page: {e}"), transient)
                    .await;
            }
        };
        drop(_permit);
        let raw = RawPage {
            final_url: fetched.final_url.to_string(),
            content_type: fetched.content_type.clone().unwrap_or_default(),
            body: fetched.body,
        };
        // Extraction is CPU work: off the async threads.
        let extracted = {
            let body = raw.body.clone();
            let final_url = raw.final_url.clone();
            let content_type = fetched.content_type.clone();
            tokio::task::spawn_blocking(move || {
                newsdesk_extract::extract(&body, Some(&final_url), content_type.as_deref()).map(
                    |a| {
                        let fp = fingerprint::fingerprint(&a.text);
                        (a, fp)
                    },
                )
            })
            .await
        };
        let (article, fp) = match extracted {
            Ok(Ok(done)) => done,
            Ok(Err(e)) => {
                return self
                    .hold(&item, &format!("cannot extract: {e}"), &raw)
                    .await;
            }
            Err(e) => {
                return self
                    .fail(&item, &format!("extraction crashed: {e}"), true)
                    .await;
            }
        };
        if article.kind == newsdesk_extract::PageKind::NotArticle {
            let reason = article
                .not_article_reason
                .clone()
                .unwrap_or_else(|| "the page is not an article".into());
            return self
                .hold(&item, &format!("not an article: {reason}"), &raw)
                .await;
        }
        if fp.band_keys.is_empty() {
            return self.hold(&item, "not an article: no text", &raw).await;
        }
        let headline = article
            .title
            .clone()
            .filter(|t| !t.trim().is_empty())
            .unwrap_or_else(|| item.title.clone());
        let standfirst = article
            .description
            .clone()
            .unwrap_or_else(|| strip_tags(&item.summary));
        let body_markdown = blocks_to_markdown(&article.blocks);
        // Rendered through the site's Markdown pipeline, which sanitizes with ammonia.
        let body_html = newsdesk_core::markdown::render(&body_markdown);
        let now = Utc::now();
        let published_at = item.published_at.filter(|p| *p <= now).unwrap_or(now);
        let slug = Slug::from_title(&headline)
            .or_else(|_| Slug::parse(&format!("wire-story-{}", item.id)))
            .map_err(|e| StoreError::Corrupt(e.0))?;
        // A photo only for a story that is no copy of a stored one (a copy adds no article). A
        // story that then joins by event similarity leaves its photo unused in the library.
        let lead_photo = match (&article.lead_image, photos) {
            (Some(image), LeadPhotos::Import) => {
                let candidates = self.store.cluster_candidates(&fp.band_keys, 200).await?;
                if best_match(&fp.signature, &candidates).is_none() {
                    self.import_photo(&item, image, agency).await
                } else {
                    None
                }
            }
            _ => None,
        };
        let byline = byline(&article.authors, agency);
        let new_article = NewArticle {
            slug,
            headline: headline.clone(),
            standfirst: standfirst.clone(),
            body_markdown,
            body_html: body_html.clone(),
            status: if auto_publish {
                ArticleStatus::Published
            } else {
                ArticleStatus::Draft
            },
            published_at: auto_publish.then_some(published_at),
            canonical_url: None,
            source: None,
            author_ids: Vec::new(),
            lead_photo_id: None,
            tag_ids: Vec::new(),
            section_id: None,
            important: false,
        };
        let story = Story {
            headline,
            standfirst,
            body_text: article.text.clone(),
            body_html,
            raw,
        };
        // The source as the clustering names it: its id, stable across renames.
        let source_key = item.source_id.to_string();
        let mut events = self.placing.lock().await;
        events.warm(self.store.as_ref()).await?;
        let features = events.features(&StoryText {
            title: &story.headline,
            text: &story.body_text,
            published: Some(published_at.timestamp()),
            language: article.language.as_deref(),
            source: Some(&source_key),
        });
        let query = events.query(&features, published_at);
        let done = CompletedItem {
            item_id: item.id,
            attempt: item.attempt,
            story,
            signature: fp.signature,
            band_keys: fp.band_keys,
            // Chosen by the placer inside the store's placement transaction.
            join_cluster: None,
            article: new_article,
            important_at_sources: self.options.important_at_sources,
            byline,
            tags: item.categories.clone(),
            lead_photo,
        };
        let placer = StoryPlacer {
            features: &features,
            settings: events.settings(),
        };
        let completed = self.store.place_item(&done, &query, &placer).await;
        drop(events);
        match completed {
            Ok(outcome) => {
                if outcome.created_article {
                    self.store_quotes(outcome.article_id).await;
                }
                if outcome.created_article
                    && auto_publish
                    && let Some(hook) = &self.on_article_published
                {
                    hook(outcome.article_id).await;
                }
                Ok(ItemResult::Stored {
                    created_article: outcome.created_article,
                })
            }
            Err(StoreError::NotFound) => Ok(ItemResult::Stale),
            Err(e) => Err(e),
        }
    }

    /// Finds and stores the quotes of a wire story's new article (issue 15); a failure is
    /// logged and leaves the story stored (`newsdesk quotes --reindex` repairs it).
    async fn store_quotes(&self, article_id: Id) {
        let found = match self.store.article(article_id).await {
            Ok(Some(a)) => newsdesk_core::quotes::refresh(self.store.as_ref(), &a)
                .await
                .map(|_| ()),
            Ok(None) => Ok(()),
            Err(e) => Err(e),
        };
        if let Err(e) = found {
            tracing::warn!(article = article_id, error = %e, "storing a wire story's quotes failed");
        }
    }

    /// Fetches and imports the page's lead photo; a photo that cannot be had is left out (the
    /// story goes on without it).
    async fn import_photo(
        &self,
        item: &ClaimedItem,
        image: &newsdesk_extract::Image,
        agency: &str,
    ) -> Option<NewPhoto> {
        let media = self.options.media.clone()?;
        let url = Url::parse(&image.url).ok()?;
        let fetched = {
            let permit = self.host_permit(&url);
            let _permit = permit.acquire_owned().await;
            self.fetcher.get(url.as_str(), &Validators::default()).await
        };
        let bytes = match fetched {
            Ok(FetchOutcome::Fetched(f)) => f.body,
            Ok(FetchOutcome::NotModified { .. }) => return None,
            Err(e) => {
                tracing::debug!(item = item.id, photo = %url, error = %e, "lead photo not fetched");
                return None;
            }
        };
        let text = crate::photos::PhotoText {
            alt: image.alt.clone().unwrap_or_default(),
            caption: image.caption.clone().unwrap_or_default(),
            credit: crate::photos::credit_line(image.credit.as_deref(), agency),
        };
        // Named after the item: one file per story, and nothing the agency chose in a path.
        let stem = format!(
            "wire/{}/item-{}-{}",
            Utc::now().format("%Y"),
            item.id,
            item.attempt
        );
        let imported =
            tokio::task::spawn_blocking(move || crate::photos::import(&bytes, &stem, text)).await;
        match imported {
            Ok(Ok(imported)) => {
                let photo = imported.photo;
                match media
                    .put(&photo.file, imported.bytes, &photo.content_type)
                    .await
                {
                    Ok(()) => Some(photo),
                    Err(e) => {
                        // The media store is down: the story goes on without its photo.
                        tracing::warn!(item = item.id, error = %e, "lead photo not stored");
                        None
                    }
                }
            }
            Ok(Err(e)) => {
                tracing::debug!(item = item.id, photo = %url, error = %e, "lead photo left out");
                None
            }
            Err(e) => {
                tracing::warn!(item = item.id, error = %e, "lead photo import crashed");
                None
            }
        }
    }

    async fn fail(
        &self,
        item: &ClaimedItem,
        error: &str,
        transient: bool,
    ) -> Result<ItemResult, StoreError> {
        let retry = transient && item.attempt < self.options.max_attempts;
        let retry_at = retry.then(|| schedule::item_retry(item.attempt, Utc::now()));
        tracing::debug!(item = item.id, url = %item.url, error, retry, "item fetch failed");
        self.store
            .fail_item(item.id, item.attempt, error, retry_at)
            .await?;
        Ok(if retry {
            ItemResult::Retrying
        } else {
            ItemResult::Failed
        })
    }

    async fn hold(
        &self,
        item: &ClaimedItem,
        reason: &str,
        raw: &RawPage,
    ) -> Result<ItemResult, StoreError> {
        match self
            .store
            .hold_item(item.id, item.attempt, reason, raw)
            .await
        {
            Ok(()) => Ok(ItemResult::Held),
            Err(StoreError::NotFound) => Ok(ItemResult::Stale),
            Err(e) => Err(e),
        }
    }
}

/// How a source poll went.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PollResult {
    Fetched { new_items: u64 },
    NotModified,
    Failed,
}

struct PolledFeed {
    feed: Option<feeds::ParsedFeed>,
    validators: Validators,
    new_feed_url: Option<String>,
}

/// The cluster of the most similar candidate at or above the same-story threshold.
pub fn best_match(
    signature: &[u32],
    candidates: &[newsdesk_core::ingest::Candidate],
) -> Option<i64> {
    candidates
        .iter()
        .map(|c| {
            (
                fingerprint::similarity(signature, &c.signature),
                c.cluster_id,
            )
        })
        .filter(|(s, _)| *s >= SAME_STORY_THRESHOLD)
        .max_by(|a, b| a.0.total_cmp(&b.0))
        .map(|(_, cluster)| cluster)
}

/// The agency's authors as a byline: names only (no "By", no agency name standing in for a
/// person), each once.
fn byline(authors: &[String], agency: &str) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    for a in authors {
        let mut name = a.split_whitespace().collect::<Vec<_>>().join(" ");
        for prefix in ["By ", "by ", "BY "] {
            if let Some(rest) = name.strip_prefix(prefix) {
                name = rest.to_owned();
            }
        }
        if name.is_empty()
            || name.chars().count() > 80
            || name.eq_ignore_ascii_case(agency.trim())
            || name.contains("://")
        {
            continue;
        }
        if !out.iter().any(|o| o.eq_ignore_ascii_case(&name)) {
            out.push(name);
        }
    }
    out
}

fn strip_tags(html: &str) -> String {
    let mut out = String::with_capacity(html.len());
    let mut in_tag = false;
    for c in html.chars() {
        match c {
            '<' => in_tag = true,
            '>' if in_tag => in_tag = false,
            c if !in_tag => out.push(c),
            _ => {}
        }
    }
    out.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// Escapes text so that Markdown shows it literally.
fn md_escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len() + 8);
    for (i, c) in text.chars().enumerate() {
        let line_start_marker = i == 0 && matches!(c, '-' | '+' | '=' | '>' | '#');
        if matches!(
            c,
            '\\' | '`' | '*' | '_' | '[' | ']' | '<' | '>' | '#' | '|' | '~' | '!' | '&'
        ) || line_start_marker
        {
            out.push('\\');
        }
        // "1. " at the start would turn a paragraph into a list.
        if (c == '.' || c == ')') && out.chars().all(|d| d.is_ascii_digit()) && !out.is_empty() {
            out.push('\\');
        }
        out.push(if c == '\n' { ' ' } else { c });
    }
    out
}

/// The extracted body as Markdown (figures and players are left out: no hotlinked media).
pub fn blocks_to_markdown(blocks: &[newsdesk_extract::Block]) -> String {
    use newsdesk_extract::Block;
    let mut parts: Vec<String> = Vec::new();
    for b in blocks {
        match b {
            Block::Paragraph { text } => parts.push(md_escape(text)),
            Block::Heading { level, text } => {
                parts.push(format!(
                    "{} {}",
                    "#".repeat(usize::from((*level).clamp(2, 4))),
                    md_escape(text)
                ));
            }
            Block::List { ordered, items } => parts.push(
                items
                    .iter()
                    .enumerate()
                    .map(|(i, t)| {
                        if *ordered {
                            format!("{}. {}", i + 1, md_escape(t))
                        } else {
                            format!("- {}", md_escape(t))
                        }
                    })
                    .collect::<Vec<_>>()
                    .join("\n"),
            ),
            Block::Quote { text, attribution } => {
                let mut q = format!("> {}", md_escape(text));
                if let Some(who) = attribution {
                    q.push_str(&format!("\n>\n> — {}", md_escape(who)));
                }
                parts.push(q);
            }
            Block::Preformatted { text } => parts.push(
                text.lines()
                    .map(|l| format!("    {l}"))
                    .collect::<Vec<_>>()
                    .join("\n"),
            ),
            Block::Table { rows } => {
                for r in rows {
                    parts.push(md_escape(&r.join(" · ")));
                }
            }
            Block::Embed { text: Some(t), .. } => parts.push(md_escape(t)),
            Block::Embed { text: None, .. } | Block::Figure { .. } => {}
        }
    }
    parts.join("\n\n")
}

#[async_trait::async_trait]
impl newsdesk_core::ingest::FeedDiscovery for Pipeline {
    async fn discover(&self, url: &str) -> Result<String, String> {
        Pipeline::discover(self, url).await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn markdown_escaping_keeps_text_literal() {
        let md = md_escape("1. <script>alert(1)</script> *bold* [x](y)");
        let html = newsdesk_core::markdown::render(&md);
        assert!(!html.contains("<script"), "{html}");
        assert!(!html.contains("<ol"), "{html}");
        assert!(!html.contains("<em>"), "{html}");
        assert!(!html.contains("<a "), "{html}");
    }

    #[test]
    fn tags_are_stripped_from_feed_summaries() {
        assert_eq!(strip_tags("<p>Hello <b>there</b></p>\n x"), "Hello there x");
    }
}
