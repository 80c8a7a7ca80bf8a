//! Feeding the index from the store: an article as a [`SearchDoc`], and a full rebuild that pages
//! through every article (any status) and reports its progress.

use std::time::Instant;

use newsdesk_core::Store;
use newsdesk_core::editorial::AdminArticleQuery;
use newsdesk_core::markdown;
use newsdesk_core::model::{Article, ArticleQuery, ArticleStatus};

use crate::{DocStatus, Named, SearchDoc, SearchError, TantivySearch};

/// Articles shorter than this are too short for language detection to be trusted.
const DETECT_MIN_CHARS: usize = 200;
/// Documents handed to the writer at a time during a rebuild.
const BATCH: usize = 500;

#[derive(Debug, thiserror::Error)]
pub enum FeedError {
    #[error(transparent)]
    Search(#[from] SearchError),
    #[error("reading articles: {0}")]
    Store(#[from] newsdesk_core::StoreError),
}

/// The article's language: detected from its text when that is reliable, else the site's.
pub fn language_of(text: &str, site_language: &str) -> String {
    if text.len() >= DETECT_MIN_CHARS {
        let sample: String = text.chars().take(1000).collect();
        if let Some(info) = whatlang::detect(&sample)
            && info.is_reliable()
        {
            use whatlang::Lang::*;
            let code = match info.lang() {
                Eng => "en",
                Fra => "fr",
                Deu => "de",
                Spa => "es",
                Ita => "it",
                Por => "pt",
                Nld => "nl",
                other => other.code(),
            };
            return code.to_string();
        }
    }
    site_language.to_string()
}

pub fn doc_from_article(a: &Article, site_language: &str) -> SearchDoc {
    let body = markdown::plain_text(&a.body_markdown);
    let language = language_of(&body, site_language);
    let named = |slug: &str, name: &str| Named {
        slug: slug.to_string(),
        name: name.to_string(),
    };
    SearchDoc {
        id: a.id.max(0) as u64,
        slug: a.slug.as_str().to_string(),
        status: match a.status {
            ArticleStatus::Draft => DocStatus::Draft,
            ArticleStatus::Scheduled => DocStatus::Scheduled,
            ArticleStatus::Published => DocStatus::Published,
        },
        language,
        headline: a.headline.clone(),
        standfirst: a.standfirst.clone(),
        body,
        section: a.section.as_ref().map(|t| named(t.slug.as_str(), &t.name)),
        tags: a
            .tags
            .iter()
            .map(|t| named(t.slug.as_str(), &t.name))
            .collect(),
        authors: a
            .authors
            .iter()
            .map(|p| named(p.slug.as_str(), &p.name))
            .collect(),
        agency: a.source.as_ref().map(|s| s.agency.clone()),
        people: Vec::new(),
        published_at: a.published_at,
        updated_at: a.updated_at,
        cluster: None,
    }
}

/// Progress of a rebuild: articles indexed so far and the total expected.
pub trait Progress {
    fn update(&mut self, done: u64, total: u64);
}

impl<F: FnMut(u64, u64)> Progress for F {
    fn update(&mut self, done: u64, total: u64) {
        self(done, total)
    }
}

#[derive(Debug, Clone, Copy, PartialEq)]
pub struct RebuildReport {
    pub articles: u64,
    /// Time spent reading articles from the store.
    pub read_secs: f64,
    /// Time spent turning them into documents and indexing them, commit included.
    pub index_secs: f64,
}

/// Empties the index and fills it with every article in the store, then records `seq`.
pub async fn rebuild(
    store: &dyn Store,
    search: &TantivySearch,
    site_language: &str,
    seq: Option<i64>,
    progress: &mut (dyn Progress + Send),
) -> Result<RebuildReport, FeedError> {
    let total = store.count_articles().await?;
    search.clear()?;
    let mut report = RebuildReport {
        articles: 0,
        read_secs: 0.0,
        index_secs: 0.0,
    };
    progress.update(0, total);
    // Published and scheduled articles, newest first by keyset (any visible_at in the far future
    // lists scheduled ones too), then drafts.
    let far = chrono::DateTime::<chrono::Utc>::MAX_UTC;
    let mut query = ArticleQuery::visible_at(far);
    query.limit = 100;
    let mut batch = Vec::with_capacity(BATCH);
    loop {
        let t = Instant::now();
        let page = store.list_articles(&query).await?;
        report.read_secs += t.elapsed().as_secs_f64();
        let t = Instant::now();
        for a in &page.items {
            let mut doc = doc_from_article(a, site_language);
            doc.cluster = store.story_of_article(a.id).await?.map(|c| c.max(0) as u64);
            batch.push(doc);
        }
        if batch.len() >= BATCH || page.next.is_none() {
            search.add(&batch)?;
            report.articles += batch.len() as u64;
            batch.clear();
            progress.update(report.articles, total);
        }
        report.index_secs += t.elapsed().as_secs_f64();
        match page.next {
            Some(next) => query.before = Some(next),
            None => break,
        }
    }
    let mut offset = 0;
    loop {
        let t = Instant::now();
        let drafts = store
            .admin_list_articles(&AdminArticleQuery {
                status: Some(ArticleStatus::Draft),
                search: None,
                author_id: None,
                drafts_of: None,
                review_queue: false,
                offset,
                limit: 100,
            })
            .await?;
        report.read_secs += t.elapsed().as_secs_f64();
        if drafts.is_empty() {
            break;
        }
        let t = Instant::now();
        let docs: Vec<SearchDoc> = drafts
            .iter()
            .map(|a| doc_from_article(a, site_language))
            .collect();
        search.add(&docs)?;
        report.articles += docs.len() as u64;
        report.index_secs += t.elapsed().as_secs_f64();
        progress.update(report.articles, total);
        offset += drafts.len() as u32;
    }
    let t = Instant::now();
    search.commit(seq)?;
    report.index_secs += t.elapsed().as_secs_f64();
    Ok(report)
}

/// How long a gap in the change log is re-read before it is taken for a rolled-back write (a
/// PostgreSQL sequence number is taken before its transaction commits, so a later one can be
/// seen first).
const GAP_PATIENCE: std::time::Duration = std::time::Duration::from_secs(10);
/// Changes read per round.
const TAIL_BATCH: u32 = 1000;

/// Follows the store's search change log into an index: each [`Follower::step`] applies what
/// changed since the last one.
#[derive(Debug)]
pub struct Follower {
    /// The highest seq seen.
    high: i64,
    /// Seqs below `high` not seen yet, with when they were first missed.
    gaps: std::collections::BTreeMap<i64, Instant>,
    site_language: String,
}

impl Follower {
    /// Opens onto `search`: an index never filled (or `rebuild`) is rebuilt from the store
    /// first; otherwise it resumes from the seq the index recorded.
    pub async fn start(
        store: &dyn Store,
        search: &TantivySearch,
        site_language: &str,
        rebuild_first: bool,
    ) -> Result<Follower, FeedError> {
        use crate::Search as _;
        let latest = store.latest_search_change().await?;
        let high = match search.applied_seq()? {
            // An index ahead of the log belongs to another database: rebuild it.
            Some(seq) if !rebuild_first && seq <= latest => seq,
            _ => {
                // The seq is read before the articles, so writes during the rebuild are replayed.
                let seq = latest;
                let report =
                    rebuild(store, search, site_language, Some(seq), &mut |_, _| {}).await?;
                tracing::info!(articles = report.articles, seq, "search index rebuilt");
                seq
            }
        };
        Ok(Follower {
            high,
            gaps: Default::default(),
            site_language: site_language.to_string(),
        })
    }

    /// The seq up to which every change is in the index.
    pub fn applied(&self) -> i64 {
        match self.gaps.keys().next() {
            Some(first) => first - 1,
            None => self.high,
        }
    }

    /// Applies the changes since the last step; returns how many articles changed.
    pub async fn step(
        &mut self,
        store: &dyn Store,
        search: &TantivySearch,
    ) -> Result<usize, FeedError> {
        use crate::Search as _;
        let now = Instant::now();
        let mut changes = store.search_changes_after(self.high, TAIL_BATCH).await?;
        if !self.gaps.is_empty() {
            let gaps: Vec<i64> = self.gaps.keys().copied().collect();
            let late = store.search_changes_at(&gaps).await?;
            for c in &late {
                self.gaps.remove(&c.seq);
            }
            changes.extend(late);
        }
        for c in &changes {
            if c.seq <= self.high {
                continue;
            }
            for missing in self.high + 1..c.seq {
                self.gaps.entry(missing).or_insert(now);
            }
            self.high = c.seq;
        }
        self.gaps
            .retain(|_, first| now.duration_since(*first) < GAP_PATIENCE);
        let mut ids: Vec<i64> = changes.iter().map(|c| c.article_id).collect();
        ids.sort_unstable();
        ids.dedup();
        if ids.is_empty() {
            return Ok(0);
        }
        let mut upserts = Vec::with_capacity(ids.len());
        let mut deletes = Vec::new();
        for id in &ids {
            match store.article(*id).await? {
                Some(a) => {
                    let mut doc = doc_from_article(&a, &self.site_language);
                    doc.cluster = store.story_of_article(a.id).await?.map(|c| c.max(0) as u64);
                    upserts.push(doc);
                }
                None => deletes.push(id.max(&0).unsigned_abs()),
            }
        }
        search.apply(upserts, &deletes, self.applied())?;
        Ok(ids.len())
    }
}
