//! newsdesk's search: a small interface of our own ([`Search`]) over what readers and the newsroom
//! ask of it — ranked full-text search with filters and cursors, search-as-you-type suggestions and
//! "You may also like" — and its implementation on an embedded tantivy index kept in the data
//! directory ([`TantivySearch`]).
//!
//! The index holds articles only, as [`SearchDoc`]s the caller builds from the store; the caller
//! also decides what is visible through [`Scope`]. Nothing here touches the network or the
//! database except [`feed`], which reads articles through the core `Store` port.

mod collect;
mod engine;
pub mod feed;
pub mod follow;
mod query;
mod schema;
mod snippet;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

pub use engine::{OpenOptions, Opened, TantivySearch};
pub use query::{MAX_QUERY_CHARS, MAX_QUERY_TERMS, QueryError};

/// A slug and the name shown for it (a section, tag or author).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Named {
    pub slug: String,
    pub name: String,
}

/// Where an article stands; the index keeps every status so the newsroom can search drafts.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum DocStatus {
    Draft,
    Scheduled,
    Published,
}

impl DocStatus {
    fn code(self) -> u64 {
        match self {
            DocStatus::Draft => 0,
            DocStatus::Scheduled => 1,
            DocStatus::Published => 2,
        }
    }

    fn from_code(code: u64) -> DocStatus {
        match code {
            1 => DocStatus::Scheduled,
            2 => DocStatus::Published,
            _ => DocStatus::Draft,
        }
    }
}

/// One article as the index sees it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SearchDoc {
    pub id: u64,
    pub slug: String,
    pub status: DocStatus,
    /// ISO 639-1 code (`en`, `fr`, ...); picks the stemmer and stop words. Unknown codes are indexed
    /// without stemming.
    pub language: String,
    pub headline: String,
    pub standfirst: String,
    /// The body as plain text (no markup).
    pub body: String,
    pub section: Option<Named>,
    /// All tags, the section among them or not.
    pub tags: Vec<Named>,
    pub authors: Vec<Named>,
    /// The agency a wire story came from.
    pub agency: Option<String>,
    /// People quoted in the article (who said what).
    pub people: Vec<String>,
    pub published_at: Option<DateTime<Utc>>,
    pub updated_at: DateTime<Utc>,
    /// The story cluster the article belongs to: related articles never show two of a cluster.
    pub cluster: Option<u64>,
}

/// Who is asking, which decides what may be found.
#[derive(Debug, Clone, PartialEq)]
pub enum Scope {
    /// A reader: published articles (and scheduled ones that are due) visible at `at`.
    Public { at: DateTime<Utc> },
    /// The newsroom: every status; `authors` (slugs), when set, limits results to articles with
    /// one of these bylines (an author role sees only what they may open).
    Newsroom { authors: Option<Vec<String>> },
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Sort {
    #[default]
    Relevance,
    Newest,
}

impl Sort {
    pub fn parse(s: &str) -> Option<Sort> {
        match s {
            "relevance" => Some(Sort::Relevance),
            "newest" => Some(Sort::Newest),
            _ => None,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Sort::Relevance => "relevance",
            Sort::Newest => "newest",
        }
    }
}

/// Narrowing a search: each set filter must hold.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Filters {
    /// Section slug.
    pub section: Option<String>,
    /// Author slug.
    pub author: Option<String>,
    /// Agency name (case-insensitive).
    pub agency: Option<String>,
    /// Published at or after.
    pub from: Option<DateTime<Utc>>,
    /// Published at or before.
    pub to: Option<DateTime<Utc>>,
}

impl Filters {
    pub fn is_empty(&self) -> bool {
        *self == Filters::default()
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct SearchRequest {
    pub q: String,
    pub scope: Scope,
    pub filters: Filters,
    pub sort: Sort,
    /// Clamped to 1..=[`MAX_LIMIT`].
    pub limit: usize,
    /// `next_cursor` of the previous page.
    pub cursor: Option<String>,
}

pub const MAX_LIMIT: usize = 50;

/// One result.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Hit {
    pub id: u64,
    pub slug: String,
    pub headline: String,
    pub status: DocStatus,
    pub section: Option<Named>,
    pub published_at: Option<DateTime<Utc>>,
    /// HTML: the text escaped, matched words in `<mark>`.
    pub snippet_html: String,
    pub score: f32,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct SearchPage {
    pub hits: Vec<Hit>,
    pub next_cursor: Option<String>,
    /// How many articles match (exact matches first, then those matching only some words).
    pub total: usize,
    /// The query with misspelt words corrected, when that found more than the query as typed; the
    /// hits include matches of the corrected words.
    pub did_you_mean: Option<String>,
    /// The time budget ran out: the hits are the best found in it.
    pub partial: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum SuggestionKind {
    Headline,
    Person,
    Tag,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Suggestion {
    pub kind: SuggestionKind,
    /// What to show (and search for).
    pub text: String,
    /// The article's slug for a headline, the tag's slug for a tag.
    pub slug: Option<String>,
}

#[derive(Debug, thiserror::Error)]
pub enum SearchError {
    #[error(transparent)]
    Query(#[from] QueryError),
    #[error("that page of results is no longer available; start the search again")]
    BadCursor,
    #[error("the search index is in use by another process ({0})")]
    Locked(String),
    #[error("search index: {0}")]
    Index(#[from] tantivy::TantivyError),
    #[error("search index directory: {0}")]
    Io(#[from] std::io::Error),
}

/// What the site needs of a search engine. [`TantivySearch`] is the one implementation; the trait
/// keeps handlers and the change-feed worker independent of it.
pub trait Search: Send + Sync + std::fmt::Debug {
    fn search(&self, req: &SearchRequest) -> Result<SearchPage, SearchError>;
    /// Headlines, people and tags starting with what was typed (the last word as a prefix).
    fn suggest(&self, q: &str, scope: &Scope, limit: usize)
    -> Result<Vec<Suggestion>, SearchError>;
    /// Articles like article `id`: never itself nor another of its story cluster, at most one per
    /// cluster.
    fn related(&self, id: u64, scope: &Scope, limit: usize) -> Result<Vec<Hit>, SearchError>;
    /// Adds or replaces articles and removes others, then makes the change visible and records
    /// `seq` (the store's change sequence it brings the index up to).
    fn apply(&self, upserts: Vec<SearchDoc>, deletes: &[u64], seq: i64) -> Result<(), SearchError>;
    /// The change sequence the index holds, `None` for an index never filled.
    fn applied_seq(&self) -> Result<Option<i64>, SearchError>;
    fn num_docs(&self) -> u64;
}
