//! Backend-neutral rows: what each backend reads out of its tables, and the one place that turns
//! them into the core model. Everything read from a database is checked here; a value that does
//! not fit the model becomes `StoreError::Corrupt`, never a panic.

use std::collections::HashMap;

use chrono::{DateTime, Utc};
use newsdesk_core::{
    Article, ArticleStatus, Author, Cursor, EmailAddress, Id, Link, NewArticle, Photo, Slug,
    SourceRef, StoreError, StoreResult, Subscriber, SubscriptionStatus, Tag,
};

use crate::types::{self, JsonText, Time};

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
    match err {
        // A value that does not fit its column's type (a time no calendar holds, say) is a
        // broken row, not a broken database.
        sqlx::Error::ColumnDecode { .. } => StoreError::Corrupt(err.to_string()),
        _ => StoreError::Backend(Box::new(err)),
    }
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

/// Drops what the databases cannot keep, so a value written compares equal once read back.
pub(crate) fn truncate_to_micros(t: DateTime<Utc>) -> DateTime<Utc> {
    DateTime::from_timestamp_micros(t.timestamp_micros()).unwrap_or(t)
}

/// Subscribers are one per address however it is capitalised.
pub(crate) fn email_key(email: &EmailAddress) -> String {
    email.as_str().to_lowercase()
}

/// A photo as `SELECT id, file, ... FROM photos` (or `RETURNING`) reads it.
#[derive(sqlx::FromRow)]
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

/// A photo LEFT JOINed as `p` with `p_`-prefixed columns (see `photo_columns!`): all NULL when
/// there is none.
#[derive(sqlx::FromRow)]
pub(crate) struct JoinedPhotoRow {
    pub p_id: Option<Id>,
    pub p_file: Option<String>,
    pub p_content_type: Option<String>,
    pub p_alt: Option<String>,
    pub p_caption: Option<String>,
    pub p_credit: Option<String>,
    pub p_width: Option<i64>,
    pub p_height: Option<i64>,
}

impl JoinedPhotoRow {
    pub fn into_model(self) -> StoreResult<Option<Photo>> {
        let Some(id) = self.p_id else {
            return Ok(None);
        };
        let missing = || StoreError::Corrupt(format!("photo {id} has a NULL column"));
        PhotoRow {
            id,
            file: self.p_file.ok_or_else(missing)?,
            content_type: self.p_content_type.ok_or_else(missing)?,
            alt: self.p_alt.ok_or_else(missing)?,
            caption: self.p_caption.ok_or_else(missing)?,
            credit: self.p_credit.ok_or_else(missing)?,
            width: self.p_width.ok_or_else(missing)?,
            height: self.p_height.ok_or_else(missing)?,
        }
        .into_model()
        .map(Some)
    }
}

#[derive(sqlx::FromRow)]
pub(crate) struct AuthorRow {
    pub id: Id,
    pub slug: String,
    pub name: String,
    pub bio: String,
    pub links: JsonText,
    #[sqlx(flatten)]
    pub photo: JoinedPhotoRow,
}

impl AuthorRow {
    pub fn into_model(self) -> StoreResult<Author> {
        Ok(Author {
            id: self.id,
            slug: slug(self.slug, "author")?,
            name: self.name,
            bio: self.bio,
            photo: self.photo.into_model()?,
            links: links_from_json(&self.links.0)?,
        })
    }
}

#[derive(sqlx::FromRow)]
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

#[derive(sqlx::FromRow)]
pub(crate) struct ArticleRow {
    pub id: Id,
    pub slug: String,
    pub headline: String,
    pub standfirst: String,
    pub body_markdown: String,
    pub body_html: String,
    pub status: String,
    pub published_at: Option<Time>,
    pub updated_at: Time,
    pub created_at: Time,
    pub canonical_url: Option<String>,
    pub source_agency: Option<String>,
    pub source_url: Option<String>,
    pub section_id: Option<Id>,
    pub important: bool,
    #[sqlx(flatten)]
    pub lead_photo: JoinedPhotoRow,
}

/// A tag of some article, in the order the article lists it.
#[derive(sqlx::FromRow)]
pub(crate) struct ArticleTagRow {
    pub article_id: Id,
    #[sqlx(flatten)]
    pub tag: TagRow,
}

/// An author of some article, in byline order.
#[derive(sqlx::FromRow)]
pub(crate) struct ArticleAuthorRow {
    pub article_id: Id,
    #[sqlx(flatten)]
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
        published_at: types::opt(row.published_at),
        updated_at: row.updated_at.0,
        created_at: row.created_at.0,
        canonical_url: row.canonical_url,
        source,
        authors,
        lead_photo: row.lead_photo.into_model()?,
        tags,
        section,
        important: row.important,
    })
}

/// A subscriber as the core `Store` sees one.
#[derive(sqlx::FromRow)]
pub(crate) struct SubscriberRow {
    pub id: Id,
    pub email: String,
    pub status: String,
    pub created_at: Time,
}

impl SubscriberRow {
    pub fn into_model(self) -> StoreResult<Subscriber> {
        let SubscriberRow {
            id,
            email,
            status,
            created_at,
        } = self;
        Ok(Subscriber {
            id,
            email: EmailAddress::parse(&email).map_err(|_| {
                StoreError::Corrupt(format!("subscriber {id} has invalid address {email:?}"))
            })?,
            status: SubscriptionStatus::parse(&status).ok_or_else(|| {
                StoreError::Corrupt(format!("subscriber {id} has unknown status {status:?}"))
            })?,
            created_at: created_at.0,
        })
    }
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
