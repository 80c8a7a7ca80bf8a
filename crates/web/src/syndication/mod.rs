//! What machines read: RSS 2.0, Atom 1.0 and JSON Feed 1.1 feeds, XML sitemaps (plain, index and
//! Google News) and robots.txt, built by pure functions from plain values.
//!
//! Nothing here touches HTTP or the store, so every format is unit-testable; `routes::feeds`
//! fetches the articles, calls these builders and caches the output.

mod feeds;
mod sitemap;
mod xml;

pub use feeds::{atom, json_feed, rss};
pub use sitemap::{
    NewsEntry, SitemapUrl, news_sitemap, news_sitemap_language, robots_txt, sitemap_index, urlset,
};
pub use xml::{escape, xml_safe};

use chrono::{DateTime, Utc};
use newsdesk_core::Article;
use newsdesk_core::site::SiteSettings;

/// Google's limit on URLs per sitemap file (and on sitemaps per index).
pub const SITEMAP_MAX_URLS: usize = 50_000;
/// Google News reads at most this many URLs from one news sitemap.
pub const NEWS_SITEMAP_MAX_URLS: usize = 1_000;

/// The file names a feed has under its base path (`/`, `/tags/{slug}/`, `/authors/{slug}/`).
pub const RSS_FILE: &str = "feed.xml";
pub const ATOM_FILE: &str = "atom.xml";
pub const JSON_FEED_FILE: &str = "feed.json";

pub const RSS_CONTENT_TYPE: &str = "application/rss+xml; charset=utf-8";
pub const ATOM_CONTENT_TYPE: &str = "application/atom+xml; charset=utf-8";
pub const JSON_FEED_CONTENT_TYPE: &str = "application/feed+json; charset=utf-8";
pub const XML_CONTENT_TYPE: &str = "application/xml; charset=utf-8";

/// The page articles live at; feeds, sitemaps and the API all link here.
pub fn article_path(slug: &str) -> String {
    format!("/articles/{slug}")
}

pub fn tag_path(slug: &str) -> String {
    format!("/tags/{slug}")
}

pub fn author_path(slug: &str) -> String {
    format!("/authors/{slug}")
}

/// Public URL path of an uploaded file such as `2026/harbour at dawn.svg`.
pub fn upload_path(file: &str) -> String {
    let mut out = String::from("/uploads/");
    for seg in file
        .split('/')
        .filter(|s| !s.is_empty() && *s != "." && *s != "..")
    {
        if !out.ends_with('/') {
            out.push('/');
        }
        // Uploads are named by us, but a space or `#` in a name must not break the URL.
        for b in seg.bytes() {
            if b.is_ascii_alphanumeric() || b"-._~".contains(&b) {
                out.push(b as char);
            } else {
                out.push_str(&format!("%{b:02X}"));
            }
        }
    }
    out
}

/// Feed-level facts, the same for all three formats.
#[derive(Debug, Clone)]
pub struct FeedMeta {
    pub title: String,
    pub description: String,
    /// The HTML page this feed mirrors: the home page, a tag page or an author page.
    pub home_url: String,
    /// Absolute URL the feed files hang under, without a trailing slash: the site's base URL,
    /// or e.g. `https://example.org/tags/harbour`. Each format's self link is `{feed_base}/{file}`.
    pub feed_base: String,
    pub language: String,
    /// When anything in the feed last changed; used when the feed has no entries.
    pub fallback_updated: DateTime<Utc>,
}

impl FeedMeta {
    pub fn self_url(&self, file: &str) -> String {
        format!("{}/{file}", self.feed_base)
    }

    fn updated(&self, entries: &[FeedEntry]) -> DateTime<Utc> {
        entries
            .iter()
            .map(|e| e.updated)
            .max()
            .unwrap_or(self.fallback_updated)
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct FeedPerson {
    pub name: String,
    pub url: String,
}

#[derive(Debug, Clone, PartialEq)]
pub struct FeedCategory {
    /// The tag's slug: stable even when its display name changes.
    pub term: String,
    pub label: String,
    pub url: String,
}

#[derive(Debug, Clone, PartialEq)]
pub struct FeedImage {
    pub url: String,
    pub content_type: String,
    pub alt: String,
    pub caption: String,
    pub credit: String,
    pub width: u32,
    pub height: u32,
    /// Size in bytes for the RSS enclosure, 0 when unknown (the file is not read here).
    pub length: u64,
}

/// One article as every feed format sees it.
#[derive(Debug, Clone, PartialEq)]
pub struct FeedEntry {
    pub title: String,
    /// Absolute URL of the article page; also the entry's permanent id.
    pub url: String,
    pub published: DateTime<Utc>,
    pub updated: DateTime<Utc>,
    pub authors: Vec<FeedPerson>,
    pub categories: Vec<FeedCategory>,
    /// Plain text (the standfirst).
    pub summary: String,
    /// Sanitized HTML of the body.
    pub content_html: String,
    pub image: Option<FeedImage>,
}

impl FeedEntry {
    pub fn from_article(a: &Article, site: &SiteSettings) -> FeedEntry {
        // A visible article always has `published_at`; created_at keeps the type total.
        let published = a.published_at.unwrap_or(a.created_at);
        FeedEntry {
            title: xml_safe(&a.headline),
            url: site.url(&article_path(a.slug.as_str())),
            published,
            // An article published after its last edit (scheduled) was "updated" when it appeared.
            updated: a.updated_at.max(published),
            authors: a
                .authors
                .iter()
                .map(|p| FeedPerson {
                    name: xml_safe(&p.name),
                    url: site.url(&author_path(p.slug.as_str())),
                })
                .collect(),
            categories: a
                .tags
                .iter()
                .map(|t| FeedCategory {
                    term: t.slug.to_string(),
                    label: xml_safe(&t.name),
                    url: site.url(&tag_path(t.slug.as_str())),
                })
                .collect(),
            summary: xml_safe(&a.standfirst),
            content_html: xml_safe(&a.body_html),
            image: a.lead_photo.as_ref().map(|p| FeedImage {
                url: site.url(&upload_path(&p.file)),
                content_type: p.content_type.clone(),
                alt: xml_safe(&p.alt),
                caption: xml_safe(&p.caption),
                credit: xml_safe(&p.credit),
                width: p.width,
                height: p.height,
                length: 0,
            }),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn upload_path_encodes_odd_characters_and_drops_dot_segments() {
        assert_eq!(
            upload_path("2026/harbour at dawn#1.svg"),
            "/uploads/2026/harbour%20at%20dawn%231.svg"
        );
        assert_eq!(upload_path("../etc/passwd"), "/uploads/etc/passwd");
        assert_eq!(upload_path("a.jpg"), "/uploads/a.jpg");
    }
}
