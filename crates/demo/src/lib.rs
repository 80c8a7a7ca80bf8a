//! Demo content and benchmark corpora.
//!
//! [`load`] fills an empty store with the demo set that `newsdesk serve` shows on first start:
//! three authors, a dozen fictional agency-style stories (attributed quotes, quoted social posts,
//! republished wire copy, one scheduled story and one draft), tags with sections, and photos that
//! are SVG illustrations drawn by [`art`]. Times are offsets from `now`, so the demo always looks
//! fresh. The text lives in `crates/demo/data/` (TOML manifests and Markdown with TOML front
//! matter) and is embedded at compile time.
//!
//! [`generate`] adds `n` synthetic published articles for benchmarks, deterministic from a seed.

use newsdesk_media::MediaStore;
use std::collections::HashMap;

use chrono::{DateTime, Duration, Utc};

use newsdesk_core::markdown;
use newsdesk_core::model::{Id, NewArticle, NewAuthor, NewPhoto, NewTag};
use newsdesk_core::store::{Store, StoreError};

pub mod art;
pub mod content;
mod filler;
mod rng;
mod synth;

pub use content::{DemoArticle, DemoAuthor, DemoContent, DemoPhoto, DemoTag, Timing, parse_all};
pub use filler::filler_words;

/// What was created.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct DemoSummary {
    pub authors: usize,
    pub tags: usize,
    pub photos: usize,
    pub articles: usize,
}

#[derive(Debug, thiserror::Error)]
pub enum DemoError {
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error("cannot write the demo photo {key}")]
    Media {
        key: String,
        #[source]
        source: newsdesk_media::MediaError,
    },
    /// An embedded demo file is malformed or does not fit with the others.
    #[error("demo content {file}: {message}")]
    Content { file: String, message: String },
    /// The demo is only loaded into a store without articles.
    #[error("the store already holds {0} articles; the demo is only loaded into an empty store")]
    NotEmpty(u64),
}

pub(crate) const SVG: &str = "image/svg+xml";

/// Writes `data` under `relative` in the media store.
pub(crate) async fn write_upload(
    media: &MediaStore,
    relative: &str,
    data: &str,
) -> Result<(), DemoError> {
    media
        .put(relative, data.as_bytes().to_vec(), SVG)
        .await
        .map_err(|source| DemoError::Media {
            key: relative.to_owned(),
            source,
        })
}

pub(crate) fn hours(h: f64) -> Duration {
    Duration::seconds((h * 3600.0).round() as i64)
}

/// Loads the demo content into an empty store, writing photo files to the media store.
/// Photo `file` fields are media keys (e.g. "demo/harbour.svg").
pub async fn load(
    store: &dyn Store,
    media: &MediaStore,
    now: DateTime<Utc>,
) -> Result<DemoSummary, DemoError> {
    let existing = store.count_articles().await?;
    if existing > 0 {
        return Err(DemoError::NotEmpty(existing));
    }
    let content = parse_all()?;
    let mut summary = DemoSummary::default();

    let mut photo_ids: HashMap<&str, Id> = HashMap::new();
    for p in &content.photos {
        let file = p.file();
        write_upload(media, &file, &art::draw(p.scene, p.light, p.seed)).await?;
        let (width, height) = p.scene.size();
        let photo = store
            .create_photo(&NewPhoto {
                file,
                content_type: SVG.into(),
                alt: p.alt.clone(),
                caption: p.caption.clone(),
                credit: p.credit.clone(),
                width,
                height,
            })
            .await?;
        photo_ids.insert(p.key.as_str(), photo.id);
        summary.photos += 1;
    }

    let mut tag_ids: HashMap<&str, Id> = HashMap::new();
    for t in &content.tags {
        let tag = store
            .create_tag(&NewTag {
                slug: t.slug.clone(),
                name: t.name.clone(),
                description: t.description.clone(),
            })
            .await?;
        tag_ids.insert(t.slug.as_str(), tag.id);
        summary.tags += 1;
    }

    let mut author_ids: HashMap<&str, Id> = HashMap::new();
    for a in &content.authors {
        let author = store
            .create_author(&NewAuthor {
                slug: a.slug.clone(),
                name: a.name.clone(),
                bio: a.bio.clone(),
                photo_id: a.photo.as_deref().and_then(|k| photo_ids.get(k).copied()),
                links: a.links.iter().map(Into::into).collect(),
            })
            .await?;
        author_ids.insert(a.slug.as_str(), author.id);
        summary.authors += 1;
    }

    // `parse_all` has checked every reference; a miss here would be a bug, reported as content.
    let lookup = |map: &HashMap<&str, Id>, key: &str, file: &str| {
        map.get(key).copied().ok_or_else(|| DemoError::Content {
            file: file.to_owned(),
            message: format!("unresolved reference {key:?}"),
        })
    };
    for a in &content.articles {
        let tag_ids_of = a
            .tags
            .iter()
            .map(|t| lookup(&tag_ids, t.as_str(), a.file))
            .collect::<Result<Vec<_>, _>>()?;
        let author_ids_of = a
            .authors
            .iter()
            .map(|s| lookup(&author_ids, s.as_str(), a.file))
            .collect::<Result<Vec<_>, _>>()?;
        let published_at = match a.timing {
            Timing::Published { hours_ago } => Some(now - hours(hours_ago)),
            Timing::Scheduled { due_in_hours } => Some(now + hours(due_in_hours)),
            Timing::Draft => None,
        };
        store
            .create_article(&NewArticle {
                slug: a.slug.clone(),
                headline: a.headline.clone(),
                standfirst: a.standfirst.clone(),
                body_html: markdown::render(&a.body_markdown),
                body_markdown: a.body_markdown.clone(),
                status: a.timing.status(),
                published_at,
                canonical_url: None,
                source: a.source.clone(),
                author_ids: author_ids_of,
                lead_photo_id: match &a.photo {
                    Some(k) => Some(lookup(&photo_ids, k, a.file)?),
                    None => None,
                },
                section_id: Some(lookup(&tag_ids, a.section.as_str(), a.file)?),
                tag_ids: tag_ids_of,
                important: a.important,
            })
            .await?;
        summary.articles += 1;
    }
    Ok(summary)
}

/// Fills the store with `n` synthetic published articles (for benchmarks): deterministic from
/// `seed`, ~400–800 words each, spread over a handful of tags and authors (created if missing),
/// published over the past three years, ~5% important. Slugs end in `-{seed:x}-{index}`, so a
/// second run with another seed adds to the corpus and the same seed again is a conflict.
pub async fn generate(
    store: &dyn Store,
    media: &MediaStore,
    n: usize,
    seed: u64,
    now: DateTime<Utc>,
) -> Result<DemoSummary, DemoError> {
    synth::generate(store, media, n, seed, now).await
}

#[cfg(test)]
mod tests {
    use super::*;
    use newsdesk_core::model::ArticleStatus;
    use std::collections::HashSet;

    fn content() -> DemoContent {
        match parse_all() {
            Ok(c) => c,
            Err(e) => panic!("demo content does not parse: {e}"),
        }
    }

    #[test]
    fn all_embedded_demo_files_parse_and_fit_together() {
        let c = content();
        assert_eq!(c.authors.len(), 3);
        assert_eq!(c.articles.len(), 12);
        let slugs: HashSet<&str> = c.articles.iter().map(|a| a.slug.as_str()).collect();
        assert_eq!(slugs.len(), c.articles.len(), "article slugs are unique");
    }

    #[test]
    fn every_article_has_an_attributed_quote_and_some_quote_social_posts() {
        let mut social = 0;
        for a in content().articles {
            let html = markdown::render(&a.body_markdown);
            assert!(
                html.contains("<figure class=\"quote"),
                "{} has no attributed quote",
                a.file
            );
            social += html.matches("<figure class=\"quote quote-social\"").count();
            let words = markdown::plain_text(&a.body_markdown)
                .split_whitespace()
                .count();
            assert!((300..=700).contains(&words), "{} has {words} words", a.file);
        }
        assert!(social >= 2, "only {social} quoted social posts");
    }

    #[test]
    fn the_set_has_the_promised_mix() {
        let c = content();
        let count = |f: &dyn Fn(&DemoArticle) -> bool| c.articles.iter().filter(|a| f(a)).count();
        assert!((3..=4).contains(&count(&|a| a.important)));
        assert!((2..=3).contains(&count(&|a| a.source.is_some())));
        assert_eq!(count(&|a| a.timing.status() == ArticleStatus::Scheduled), 1);
        assert_eq!(count(&|a| a.timing.status() == ArticleStatus::Draft), 1);
        assert!(count(&|a| a.photo.is_some()) >= 9);
        assert!(c.articles.iter().all(|a| a.tags.len() >= 2));
        let sections: HashSet<&str> = c.articles.iter().map(|a| a.section.as_str()).collect();
        assert!(sections.len() >= 6, "{sections:?}");
        // Each visible article shares a non-section tag with at least one other visible one.
        let visible: Vec<&DemoArticle> = c
            .articles
            .iter()
            .filter(|a| a.timing.status() == ArticleStatus::Published)
            .collect();
        for a in &visible {
            let shares = visible
                .iter()
                .any(|b| b.slug != a.slug && a.tags[1..].iter().any(|t| b.tags[1..].contains(t)));
            assert!(shares, "{} shares no topic with another story", a.file);
        }
    }

    #[test]
    fn every_photo_has_alt_caption_credit_and_a_small_svg() {
        for p in content().photos {
            assert!(
                !p.alt.trim().is_empty() && !p.caption.trim().is_empty(),
                "{}",
                p.key
            );
            assert!(p.credit.contains(" / "), "{}", p.key);
            let svg = art::draw(p.scene, p.light, p.seed);
            assert!(svg.len() < 10 * 1024, "{} is {} bytes", p.key, svg.len());
        }
    }
}
