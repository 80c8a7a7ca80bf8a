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
    progress: &mut dyn Progress,
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
        batch.extend(
            page.items
                .iter()
                .map(|a| doc_from_article(a, site_language)),
        );
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
