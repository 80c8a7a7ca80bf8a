//! The storage port: everything newsdesk keeps goes through [`Store`]. `newsdesk-store` implements
//! it for SQLite and PostgreSQL; both pass one conformance suite.

use async_trait::async_trait;
use chrono::{DateTime, Utc};

use crate::domain::{EmailAddress, Slug};
use crate::model::*;

#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("not found")]
    NotFound,
    /// A uniqueness rule was broken, e.g. a slug already in use; the message names the field.
    #[error("conflict: {0}")]
    Conflict(String),
    /// The input refers to something that does not exist (an unknown tag id, say).
    #[error("invalid reference: {0}")]
    InvalidReference(String),
    #[error("database error")]
    Backend(#[source] Box<dyn std::error::Error + Send + Sync>),
    /// The stored data could not be read back into the model (a bug or a hand-edited database).
    #[error("corrupt row: {0}")]
    Corrupt(String),
}

pub type StoreResult<T> = Result<T, StoreError>;

#[async_trait]
/// Everything newsdesk keeps. Content (authors, tags, photos, articles) is declared here; each
/// other area has its own trait, in the module named after it, that every backend also implements.
/// Their methods need the area's trait in scope, e.g. `use newsdesk_core::accounts::AccountStore`.
pub trait Store:
    crate::accounts::AccountStore
    + crate::editorial::EditorialStore
    + crate::ingest::IngestStore
    + crate::jobs::JobStore
    + crate::newsletter::NewsletterStore
    + crate::nodes::NodeStore
    + crate::pages::PageStore
    + crate::search_changes::SearchChangeStore
    + crate::quotes::QuoteStore
    + crate::stories::StoryStore
    + crate::throttle::ThrottleStore
    + Send
    + Sync
    + std::fmt::Debug
    + 'static
{
    /// "sqlite" or "postgres".
    fn backend(&self) -> &'static str;

    // --- authors
    async fn create_author(&self, new: &NewAuthor) -> StoreResult<Author>;
    async fn author_by_slug(&self, slug: &Slug) -> StoreResult<Option<Author>>;
    /// All authors, by name.
    async fn list_authors(&self) -> StoreResult<Vec<Author>>;

    // --- tags
    async fn create_tag(&self, new: &NewTag) -> StoreResult<Tag>;
    async fn tag_by_slug(&self, slug: &Slug) -> StoreResult<Option<Tag>>;
    /// All tags, by name.
    async fn list_tags(&self) -> StoreResult<Vec<Tag>>;
    /// The site's sections: tags that are the section of an article visible at `now`, the most
    /// used first (then by name); at most `limit`.
    async fn list_sections(&self, now: DateTime<Utc>, limit: u32) -> StoreResult<Vec<Tag>>;

    // --- photos
    async fn create_photo(&self, new: &NewPhoto) -> StoreResult<Photo>;
    async fn photo(&self, id: Id) -> StoreResult<Option<Photo>>;

    // --- articles
    async fn create_article(&self, new: &NewArticle) -> StoreResult<Article>;
    /// The article with this slug if a reader may see it at `visible_at`.
    async fn visible_article_by_slug(
        &self,
        slug: &Slug,
        visible_at: DateTime<Utc>,
    ) -> StoreResult<Option<Article>>;
    /// Visible articles, newest first (by `published_at`, then id), keyset-paginated.
    async fn list_articles(&self, query: &ArticleQuery) -> StoreResult<Page<Article>>;
    /// Visible articles other than `article` that share tags with it, most shared tags first,
    /// then newest.
    async fn related_articles(
        &self,
        article: &Article,
        visible_at: DateTime<Utc>,
        limit: u32,
    ) -> StoreResult<Vec<Article>>;
    /// Number of articles in any status.
    async fn count_articles(&self) -> StoreResult<u64>;

    // --- newsletter subscribers
    /// Records a pending subscription; an address already known is left as it is.
    async fn add_subscriber(
        &self,
        email: &EmailAddress,
        now: DateTime<Utc>,
    ) -> StoreResult<SignupOutcome>;
    async fn subscriber_by_email(&self, email: &EmailAddress) -> StoreResult<Option<Subscriber>>;
}
