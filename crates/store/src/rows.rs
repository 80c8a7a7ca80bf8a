//! Backend-neutral rows: what each backend reads out of its tables, and the one place that turns
//! them into the core model. Everything read from a database is checked here; a value that does
//! not fit the model becomes `StoreError::Corrupt`, never a panic.

use std::collections::HashMap;

use chrono::{DateTime, Utc};
use newsdesk_core::{
    Article, ArticleStatus, Author, Cursor, EmailAddress, Id, Link, NewArticle, Photo, Slug,
    SourceRef, StoreError, StoreResult, Subscriber, SubscriptionStatus, Tag,
};

/// The most items one page may hold.
pub(crate) const MAX_PAGE: u32 = 100;

pub(crate) fn clamp_page_limit(limit: u32) -> u32 {
    limit.clamp(1, MAX_PAGE)
}

pub(crate) fn clamp_related_limit(limit: u32) -> u32 {
    limit.min(MAX_PAGE)
}

/// Maps an sqlx error from a write: `conflict_field` names what a unique violation is about
/// (each write has one uniqueness rule a caller can break), `reference` what a missing
/// foreign key could be.
pub(crate) fn write_error(err: sqlx::Error, conflict_field: &str, reference: &str) -> StoreError {
    if let sqlx::Error::Database(db) = &err {
        match db.kind() {
            sqlx::error::ErrorKind::UniqueViolation => {
                return StoreError::Conflict(conflict_field.to_owned());
            }
            sqlx::error::ErrorKind::ForeignKeyViolation => {
                return StoreError::InvalidReference(reference.to_owned());
            }
            _ => {}
        }
    }
    backend(err)
}

pub(crate) fn backend(err: sqlx::Error) -> StoreError {
    StoreError::Backend(Box::new(err))
}

/// Checks what SQL cannot: the section must be one of the tags. Also drops repeated ids, keeping
/// the first, so that a list like `[a, b, a]` is not a conflict on the join table.
pub(crate) fn checked_links(new: &NewArticle) -> StoreResult<(Vec<Id>, Vec<Id>)> {
    if let Some(section) = new.section_id
        && !new.tag_ids.contains(&section)
    {
        return Err(StoreError::InvalidReference(format!(
            "section {section} is not one of the article's tags"
        )));
    }
    Ok((dedup(&new.author_ids), dedup(&new.tag_ids)))
}

fn dedup(ids: &[Id]) -> Vec<Id> {
    let mut out: Vec<Id> = Vec::with_capacity(ids.len());
    for id in ids {
        if !out.contains(id) {
            out.push(*id);
        }
    }
    out
}

pub(crate) fn slug(raw: String, what: &str) -> StoreResult<Slug> {
    Slug::parse(&raw).map_err(|_| StoreError::Corrupt(format!("{what} has invalid slug {raw:?}")))
}

pub(crate) fn dimension(raw: i64, what: &str) -> StoreResult<u32> {
    u32::try_from(raw).map_err(|_| StoreError::Corrupt(format!("photo {what} {raw} out of range")))
}

pub(crate) fn links_from_json(raw: &str) -> StoreResult<Vec<Link>> {
    #[derive(serde::Deserialize)]
    struct L {
        label: String,
        url: String,
    }
    let parsed: Vec<L> = serde_json::from_str(raw)
        .map_err(|e| StoreError::Corrupt(format!("author links are not valid JSON: {e}")))?;
    Ok(parsed
        .into_iter()
        .map(|l| Link {
            label: l.label,
            url: l.url,
        })
        .collect())
}

pub(crate) fn links_to_json(links: &[Link]) -> String {
    let v: Vec<serde_json::Value> = links
        .iter()
        .map(|l| serde_json::json!({ "label": l.label, "url": l.url }))
        .collect();
    serde_json::Value::Array(v).to_string()
}

/// SQLite keeps times as microseconds since the epoch.
pub(crate) fn micros_to_time(raw: i64, what: &str) -> StoreResult<DateTime<Utc>> {
    DateTime::from_timestamp_micros(raw)
        .ok_or_else(|| StoreError::Corrupt(format!("{what} {raw} is not a valid time")))
}

/// Drops what the databases cannot keep, so a value written compares equal once read back.
pub(crate) fn truncate_to_micros(t: DateTime<Utc>) -> DateTime<Utc> {
    DateTime::from_timestamp_micros(t.timestamp_micros()).unwrap_or(t)
}

/// Subscribers are one per address however it is capitalised.
pub(crate) fn email_key(email: &EmailAddress) -> String {
    email.as_str().to_lowercase()
}

pub(crate) struct PhotoRow {
    pub id: Id,
    pub file: String,
    pub content_type: String,
    pub alt: String,
    pub caption: String,
    pub credit: String,
    pub width: i64,
    pub height: i64,
}

impl PhotoRow {
    pub fn into_model(self) -> StoreResult<Photo> {
        Ok(Photo {
            id: self.id,
            file: self.file,
            content_type: self.content_type,
            alt: self.alt,
            caption: self.caption,
            credit: self.credit,
            width: dimension(self.width, "width")?,
            height: dimension(self.height, "height")?,
        })
    }
}

pub(crate) struct AuthorRow {
    pub id: Id,
    pub slug: String,
    pub name: String,
    pub bio: String,
    pub links_json: String,
    pub photo: Option<PhotoRow>,
}

impl AuthorRow {
    pub fn into_model(self) -> StoreResult<Author> {
        Ok(Author {
            id: self.id,
            slug: slug(self.slug, "author")?,
            name: self.name,
            bio: self.bio,
            photo: self.photo.map(PhotoRow::into_model).transpose()?,
            links: links_from_json(&self.links_json)?,
        })
    }
}

pub(crate) struct TagRow {
    pub id: Id,
    pub slug: String,
    pub name: String,
    pub description: String,
}

impl TagRow {
    pub fn into_model(self) -> StoreResult<Tag> {
        Ok(Tag {
            id: self.id,
            slug: slug(self.slug, "tag")?,
            name: self.name,
            description: self.description,
        })
    }
}

pub(crate) struct ArticleRow {
    pub id: Id,
    pub slug: String,
    pub headline: String,
    pub standfirst: String,
    pub body_markdown: String,
    pub body_html: String,
    pub status: String,
    pub published_at: Option<DateTime<Utc>>,
    pub updated_at: DateTime<Utc>,
    pub created_at: DateTime<Utc>,
    pub canonical_url: Option<String>,
    pub source_agency: Option<String>,
    pub source_url: Option<String>,
    pub section_id: Option<Id>,
    pub important: bool,
    pub lead_photo: Option<PhotoRow>,
}

/// A tag of some article, in the order the article lists it.
pub(crate) struct ArticleTagRow {
    pub article_id: Id,
    pub tag: TagRow,
}

/// An author of some article, in byline order.
pub(crate) struct ArticleAuthorRow {
    pub article_id: Id,
    pub author: AuthorRow,
}

/// Puts a page of articles together from its rows and the tags and authors of all of them
/// (each list already in per-article order), keeping the order of `rows`.
pub(crate) fn assemble_articles(
    rows: Vec<ArticleRow>,
    tags: Vec<ArticleTagRow>,
    authors: Vec<ArticleAuthorRow>,
) -> StoreResult<Vec<Article>> {
    let mut tags_of: HashMap<Id, Vec<Tag>> = HashMap::new();
    for t in tags {
        tags_of
            .entry(t.article_id)
            .or_default()
            .push(t.tag.into_model()?);
    }
    let mut authors_of: HashMap<Id, Vec<Author>> = HashMap::new();
    for a in authors {
        authors_of
            .entry(a.article_id)
            .or_default()
            .push(a.author.into_model()?);
    }
    rows.into_iter()
        .map(|row| {
            let tags = tags_of.remove(&row.id).unwrap_or_default();
            let authors = authors_of.remove(&row.id).unwrap_or_default();
            article_from_row(row, tags, authors)
        })
        .collect()
}

fn article_from_row(
    row: ArticleRow,
    mut tags: Vec<Tag>,
    authors: Vec<Author>,
) -> StoreResult<Article> {
    let status = ArticleStatus::parse(&row.status).ok_or_else(|| {
        StoreError::Corrupt(format!(
            "article {} has unknown status {:?}",
            row.id, row.status
        ))
    })?;
    let section = match row.section_id {
        Some(section_id) => {
            let pos = tags
                .iter()
                .position(|t| t.id == section_id)
                .ok_or_else(|| {
                    StoreError::Corrupt(format!(
                        "article {}'s section {section_id} is not among its tags",
                        row.id
                    ))
                })?;
            let section = tags.remove(pos);
            tags.insert(0, section.clone());
            Some(section)
        }
        None => None,
    };
    let source = match (row.source_agency, row.source_url) {
        (Some(agency), Some(original_url)) => Some(SourceRef {
            agency,
            original_url,
        }),
        (None, None) => None,
        _ => {
            return Err(StoreError::Corrupt(format!(
                "article {} has half a source reference",
                row.id
            )));
        }
    };
    Ok(Article {
        id: row.id,
        slug: slug(row.slug, "article")?,
        headline: row.headline,
        standfirst: row.standfirst,
        body_markdown: row.body_markdown,
        body_html: row.body_html,
        status,
        published_at: row.published_at,
        updated_at: row.updated_at,
        created_at: row.created_at,
        canonical_url: row.canonical_url,
        source,
        authors,
        lead_photo: row.lead_photo.map(PhotoRow::into_model).transpose()?,
        tags,
        section,
        important: row.important,
    })
}

pub(crate) fn subscriber_from_row(
    id: Id,
    email: String,
    status: String,
    created_at: DateTime<Utc>,
) -> StoreResult<Subscriber> {
    Ok(Subscriber {
        id,
        email: EmailAddress::parse(&email).map_err(|_| {
            StoreError::Corrupt(format!("subscriber {id} has invalid address {email:?}"))
        })?,
        status: SubscriptionStatus::parse(&status).ok_or_else(|| {
            StoreError::Corrupt(format!("subscriber {id} has unknown status {status:?}"))
        })?,
        created_at,
    })
}

/// The cursor after the last item of a full page.
pub(crate) fn page_cursor(items: &[Article]) -> StoreResult<Option<Cursor>> {
    let Some(last) = items.last() else {
        return Ok(None);
    };
    let published_at = last.published_at.ok_or_else(|| {
        StoreError::Corrupt(format!("visible article {} has no published_at", last.id))
    })?;
    Ok(Some(Cursor {
        published_at,
        id: last.id,
    }))
}

/// A user as read from either backend.
pub(crate) fn user_from_parts(
    id: Id,
    email: String,
    name: String,
    role: String,
    author_id: Option<Id>,
    created_at: DateTime<Utc>,
    disabled: bool,
) -> StoreResult<newsdesk_core::accounts::User> {
    Ok(newsdesk_core::accounts::User {
        id,
        email: EmailAddress::parse(&email)
            .map_err(|_| StoreError::Corrupt(format!("user {id} has invalid email {email:?}")))?,
        name,
        role: newsdesk_core::accounts::Role::parse(&role)
            .ok_or_else(|| StoreError::Corrupt(format!("user {id} has unknown role {role:?}")))?,
        author_id,
        created_at,
        disabled,
    })
}

/// The target of an aggregated audit row: the latest attempt's, with the count (issue 10).
pub(crate) fn grouped_target(latest: &str, n: i64) -> String {
    format!("{latest} ({n} attempts in this window)")
}
