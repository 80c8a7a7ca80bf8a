//! The content model: what the store keeps and the site shows.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::domain::{EmailAddress, Slug};

pub type Id = i64;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum ArticleStatus {
    Draft,
    /// Published, but not visible before `published_at`.
    Scheduled,
    Published,
}

impl ArticleStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            ArticleStatus::Draft => "draft",
            ArticleStatus::Scheduled => "scheduled",
            ArticleStatus::Published => "published",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "draft" => Some(ArticleStatus::Draft),
            "scheduled" => Some(ArticleStatus::Scheduled),
            "published" => Some(ArticleStatus::Published),
            _ => None,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Link {
    pub label: String,
    pub url: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Author {
    pub id: Id,
    pub slug: Slug,
    pub name: String,
    pub bio: String,
    pub photo: Option<Photo>,
    pub links: Vec<Link>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct NewAuthor {
    pub slug: Slug,
    pub name: String,
    pub bio: String,
    pub photo_id: Option<Id>,
    pub links: Vec<Link>,
}

/// A tag. Every article may name one of its tags as its section (the primary tag).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Tag {
    pub id: Id,
    pub slug: Slug,
    pub name: String,
    pub description: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct NewTag {
    pub slug: Slug,
    pub name: String,
    pub description: String,
}

/// An image file kept under the data directory's `uploads/`, with what a reader needs to know of it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Photo {
    pub id: Id,
    /// File name relative to the uploads directory, e.g. `2026/harbour-at-dawn.svg`.
    pub file: String,
    pub content_type: String,
    pub alt: String,
    pub caption: String,
    /// Who made it and for whom, e.g. "Mara Quist / Northwind Wire".
    pub credit: String,
    pub width: u32,
    pub height: u32,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct NewPhoto {
    pub file: String,
    pub content_type: String,
    pub alt: String,
    pub caption: String,
    pub credit: String,
    pub width: u32,
    pub height: u32,
}

/// Where a republished agency story came from.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SourceRef {
    pub agency: String,
    pub original_url: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Article {
    pub id: Id,
    pub slug: Slug,
    pub headline: String,
    pub standfirst: String,
    pub body_markdown: String,
    /// `body_markdown` rendered and sanitized when the article was written; never raw input.
    pub body_html: String,
    pub status: ArticleStatus,
    pub published_at: Option<DateTime<Utc>>,
    pub updated_at: DateTime<Utc>,
    pub created_at: DateTime<Utc>,
    pub canonical_url: Option<String>,
    pub source: Option<SourceRef>,
    pub authors: Vec<Author>,
    pub lead_photo: Option<Photo>,
    /// All tags, the section first when there is one.
    pub tags: Vec<Tag>,
    pub section: Option<Tag>,
    pub important: bool,
}

impl Article {
    /// Whether a reader may see it at `now`.
    pub fn is_visible_at(&self, now: DateTime<Utc>) -> bool {
        self.status != ArticleStatus::Draft && self.published_at.is_some_and(|p| p <= now)
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct NewArticle {
    pub slug: Slug,
    pub headline: String,
    pub standfirst: String,
    pub body_markdown: String,
    /// Must come from [`crate::markdown::render`]: the store keeps it as given.
    pub body_html: String,
    pub status: ArticleStatus,
    pub published_at: Option<DateTime<Utc>>,
    pub canonical_url: Option<String>,
    pub source: Option<SourceRef>,
    pub author_ids: Vec<Id>,
    pub lead_photo_id: Option<Id>,
    pub tag_ids: Vec<Id>,
    /// One of `tag_ids`.
    pub section_id: Option<Id>,
    pub important: bool,
}

/// Position in a list ordered newest first: the last item seen.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Cursor {
    pub published_at: DateTime<Utc>,
    pub id: Id,
}

impl Cursor {
    /// An opaque, URL-safe token, e.g. for `?before=`.
    pub fn encode(&self) -> String {
        use base64::Engine as _;
        let raw = format!("{}.{}", self.published_at.timestamp_micros(), self.id);
        base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(raw)
    }

    pub fn decode(token: &str) -> Option<Cursor> {
        use base64::Engine as _;
        let raw = base64::engine::general_purpose::URL_SAFE_NO_PAD
            .decode(token)
            .ok()?;
        let raw = std::str::from_utf8(&raw).ok()?;
        let (ts, id) = raw.split_once('.')?;
        Some(Cursor {
            published_at: DateTime::from_timestamp_micros(ts.parse().ok()?)?,
            id: id.parse().ok()?,
        })
    }
}

/// Which visible articles to list, newest first.
#[derive(Debug, Clone, PartialEq)]
pub struct ArticleQuery {
    /// Only articles visible at this instant (published, or scheduled and due).
    pub visible_at: DateTime<Utc>,
    pub tag: Option<Slug>,
    pub author: Option<Slug>,
    /// Only articles published at or after this instant.
    pub since: Option<DateTime<Utc>>,
    pub important_only: bool,
    /// Continue after this item.
    pub before: Option<Cursor>,
    /// At most this many items (the store clamps it to 1..=100).
    pub limit: u32,
}

impl ArticleQuery {
    pub fn visible_at(now: DateTime<Utc>) -> Self {
        ArticleQuery {
            visible_at: now,
            tag: None,
            author: None,
            since: None,
            important_only: false,
            before: None,
            limit: 20,
        }
    }
}

/// One page of a newest-first list; `next` is set when there may be more.
#[derive(Debug, Clone, PartialEq)]
pub struct Page<T> {
    pub items: Vec<T>,
    pub next: Option<Cursor>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum SubscriptionStatus {
    /// Signed up, confirmation not yet given.
    Pending,
    Confirmed,
    Unsubscribed,
    /// A mail server refused the address for good; no more mail until they sign up again.
    Bounced,
}

impl SubscriptionStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            SubscriptionStatus::Pending => "pending",
            SubscriptionStatus::Confirmed => "confirmed",
            SubscriptionStatus::Unsubscribed => "unsubscribed",
            SubscriptionStatus::Bounced => "bounced",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "pending" => Some(SubscriptionStatus::Pending),
            "confirmed" => Some(SubscriptionStatus::Confirmed),
            "unsubscribed" => Some(SubscriptionStatus::Unsubscribed),
            "bounced" => Some(SubscriptionStatus::Bounced),
            _ => None,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Subscriber {
    pub id: Id,
    pub email: EmailAddress,
    pub status: SubscriptionStatus,
    pub created_at: DateTime<Utc>,
}

/// What signing up did: the site answers both the same way, so it never tells who is subscribed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SignupOutcome {
    Created,
    AlreadyKnown,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cursor_round_trips_and_rejects_garbage() {
        let c = Cursor {
            published_at: DateTime::from_timestamp_micros(1_790_000_000_123_456).unwrap(),
            id: 42,
        };
        assert_eq!(Cursor::decode(&c.encode()), Some(c));
        assert_eq!(Cursor::decode("not a cursor"), None);
        assert_eq!(Cursor::decode(""), None);
    }
}
