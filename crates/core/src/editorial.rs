//! What the newsroom needs of the content store beyond what the public site reads: articles in
//! any status, edits with revision history, status changes, the review queue, photo renditions,
//! and editing tags and authors.

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::model::*;
use crate::store::StoreResult;

/// One saved version of an article's text.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Revision {
    pub id: Id,
    pub article_id: Id,
    /// The user who saved it (none for imports and the CLI).
    pub editor_id: Option<Id>,
    pub created_at: DateTime<Utc>,
    pub headline: String,
    pub standfirst: String,
    pub body_markdown: String,
    /// What else the article had then, as [`revision_meta`] writes it (empty for revisions
    /// saved before it was kept).
    pub meta: String,
}

/// An article's section, tags, lead photo and byline as lines of text, kept with each revision
/// so that a diff between revisions shows them changing.
pub fn revision_meta(a: &Article) -> String {
    let names = |v: Vec<&str>| {
        if v.is_empty() {
            "none".to_owned()
        } else {
            v.join(", ")
        }
    };
    format!(
        "Section: {}\nTags: {}\nLead photo: {}\nByline: {}\n",
        a.section.as_ref().map_or("none", |t| t.name.as_str()),
        names(a.tags.iter().map(|t| t.name.as_str()).collect()),
        a.lead_photo
            .as_ref()
            .map_or_else(|| "none".to_owned(), |p| format!("#{} {}", p.id, p.caption)),
        names(a.authors.iter().map(|x| x.name.as_str()).collect()),
    )
}

/// The admin's article list: every status, newest first by the date it shows (publish time, or
/// the last edit of an article never published).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct AdminArticleQuery {
    pub status: Option<ArticleStatus>,
    /// Headline contains this (case-insensitive for ASCII).
    pub search: Option<String>,
    /// Only articles with this author on the byline.
    pub author_id: Option<Id>,
    /// Drafts only when this author is on their byline (what an author may see of colleagues'
    /// work is what is public or scheduled).
    pub drafts_of: Option<Id>,
    /// Only drafts waiting for review: agency copy (`source` set) or submitted by an author.
    pub review_queue: bool,
    pub offset: u32,
    /// At most this many (clamped to 1..=100).
    pub limit: u32,
}

/// One resized copy of a photo, for `srcset`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PhotoRendition {
    /// Relative to the uploads directory.
    pub file: String,
    pub width: u32,
    pub height: u32,
}

/// The common responsive widths uploads are resized to (never enlarged).
pub const RENDITION_WIDTHS: [u32; 3] = [480, 960, 1600];

/// `srcset` for a photo's renditions, e.g. `/uploads/a-480.jpg 480w, ...`.
pub fn srcset(renditions: &[PhotoRendition]) -> String {
    renditions
        .iter()
        .map(|r| format!("/uploads/{} {}w", r.file, r.width))
        .collect::<Vec<_>>()
        .join(", ")
}

#[async_trait]
pub trait EditorialStore: Send + Sync {
    /// The article with this id, in any status.
    async fn article(&self, id: Id) -> StoreResult<Option<Article>>;
    /// Replaces every field of the article and stores a revision of the saved text by `editor`,
    /// in one transaction. `updated_at` becomes `now`.
    async fn update_article(
        &self,
        id: Id,
        edit: &NewArticle,
        editor: Option<Id>,
        now: DateTime<Utc>,
    ) -> StoreResult<Article>;
    /// Stores the article's current text as a revision (after creating it, say).
    async fn record_revision(
        &self,
        article_id: Id,
        editor: Option<Id>,
        now: DateTime<Utc>,
    ) -> StoreResult<Revision>;
    /// Newest first.
    async fn revisions(&self, article_id: Id) -> StoreResult<Vec<Revision>>;
    async fn revision(&self, id: Id) -> StoreResult<Option<Revision>>;
    /// Publishes, schedules or unpublishes; leaves the text alone. Publishing takes the article
    /// out of the review queue.
    async fn set_article_status(
        &self,
        id: Id,
        status: ArticleStatus,
        published_at: Option<DateTime<Utc>>,
        now: DateTime<Utc>,
    ) -> StoreResult<Article>;
    async fn delete_article(&self, id: Id) -> StoreResult<()>;
    async fn admin_list_articles(&self, query: &AdminArticleQuery) -> StoreResult<Vec<Article>>;
    /// Puts a draft in the review queue (idempotent).
    async fn request_review(
        &self,
        article_id: Id,
        user_id: Id,
        now: DateTime<Utc>,
    ) -> StoreResult<()>;
    /// Takes an article out of the review queue without deleting it.
    async fn clear_review_request(&self, article_id: Id) -> StoreResult<()>;

    /// Newest first.
    async fn list_photos(&self, limit: u32) -> StoreResult<Vec<Photo>>;
    async fn add_photo_renditions(
        &self,
        photo_id: Id,
        renditions: &[PhotoRendition],
    ) -> StoreResult<()>;
    /// Narrowest first.
    async fn photo_renditions(&self, photo_id: Id) -> StoreResult<Vec<PhotoRendition>>;

    async fn update_tag(&self, id: Id, edit: &NewTag) -> StoreResult<Tag>;
    async fn update_author(&self, id: Id, edit: &NewAuthor) -> StoreResult<Author>;
}
