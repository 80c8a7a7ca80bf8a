//! Feeds (RSS, Atom, JSON Feed for the site, each tag and each author), sitemaps, the Google News
//! sitemap and robots.txt. Handlers fetch articles and hand them to [`crate::syndication`]; every
//! response goes through the page cache, so a crawler polling a feed costs a hash lookup.

use std::collections::HashMap;

use axum::Router;
use axum::extract::rejection::PathRejection;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use axum::routing::get;
use chrono::{DateTime, Duration, Utc};
use newsdesk_core::{Article, ArticleQuery, Slug};

use crate::cache::CachedResponse;
use crate::error::AppError;
use crate::state::AppState;
use crate::syndication::{self as syn, FeedEntry, FeedMeta, NewsEntry, SitemapUrl};

type SlugPath = Result<Path<String>, PathRejection>;

/// How many of the newest articles a feed carries.
const FEED_ITEMS: u32 = 30;
/// Page size when walking every article for a sitemap (the store's maximum).
const WALK_PAGE: u32 = 100;

const FEED_CACHE_CONTROL: &str = "public, max-age=300, stale-while-revalidate=600";
const ROBOTS_CACHE_CONTROL: &str = "public, max-age=3600";

pub fn router() -> Router<AppState> {
    Router::new()
        .route(
            "/feed.xml",
            get(|s: State<AppState>, h: HeaderMap| feed(s, h, Scope::Site, Format::Rss)),
        )
        .route(
            "/atom.xml",
            get(|s: State<AppState>, h: HeaderMap| feed(s, h, Scope::Site, Format::Atom)),
        )
        .route(
            "/feed.json",
            get(|s: State<AppState>, h: HeaderMap| feed(s, h, Scope::Site, Format::Json)),
        )
        .route(
            "/tags/{slug}/feed.xml",
            get(|s: State<AppState>, p: SlugPath, h: HeaderMap| {
                scoped_feed(s, p, h, Scope::Tag, Format::Rss)
            }),
        )
        .route(
            "/tags/{slug}/atom.xml",
            get(|s: State<AppState>, p: SlugPath, h: HeaderMap| {
                scoped_feed(s, p, h, Scope::Tag, Format::Atom)
            }),
        )
        .route(
            "/tags/{slug}/feed.json",
            get(|s: State<AppState>, p: SlugPath, h: HeaderMap| {
                scoped_feed(s, p, h, Scope::Tag, Format::Json)
            }),
        )
        .route(
            "/authors/{slug}/feed.xml",
            get(|s: State<AppState>, p: SlugPath, h: HeaderMap| {
                scoped_feed(s, p, h, Scope::Author, Format::Rss)
            }),
        )
        .route(
            "/authors/{slug}/atom.xml",
            get(|s: State<AppState>, p: SlugPath, h: HeaderMap| {
                scoped_feed(s, p, h, Scope::Author, Format::Atom)
            }),
        )
        .route(
            "/authors/{slug}/feed.json",
            get(|s: State<AppState>, p: SlugPath, h: HeaderMap| {
                scoped_feed(s, p, h, Scope::Author, Format::Json)
            }),
        )
        .route("/sitemap.xml", get(sitemap))
        .route("/sitemaps/{file}", get(sitemap_part))
        .route("/news-sitemap.xml", get(news_sitemap))
        .route("/robots.txt", get(robots))
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Format {
    Rss,
    Atom,
    Json,
}

impl Format {
    fn file(self) -> &'static str {
        match self {
            Format::Rss => syn::RSS_FILE,
            Format::Atom => syn::ATOM_FILE,
            Format::Json => syn::JSON_FEED_FILE,
        }
    }

    fn content_type(self) -> &'static str {
        match self {
            Format::Rss => syn::RSS_CONTENT_TYPE,
            Format::Atom => syn::ATOM_CONTENT_TYPE,
            Format::Json => syn::JSON_FEED_CONTENT_TYPE,
        }
    }
}

/// Which articles a feed follows. The unit variants double as constructors for the route table.
#[derive(Debug, Clone)]
enum Scope {
    Site,
    Tag(Slug),
    Author(Slug),
}

impl Scope {
    /// Path the feed files hang under: "" for the site, `/tags/{slug}` for a tag...
    fn base_path(&self) -> String {
        match self {
            Scope::Site => String::new(),
            Scope::Tag(s) => syn::tag_path(s.as_str()),
            Scope::Author(s) => syn::author_path(s.as_str()),
        }
    }
}

async fn scoped_feed(
    state: State<AppState>,
    slug: SlugPath,
    headers: HeaderMap,
    scope: fn(Slug) -> Scope,
    format: Format,
) -> Result<Response, AppError> {
    // A malformed slug cannot name anything: it is a missing page, not a bad request.
    let Path(raw) = slug.map_err(|_| AppError::NotFound)?;
    let slug = Slug::parse(&raw).map_err(|_| AppError::NotFound)?;
    feed(state, headers, scope(slug), format).await
}

async fn feed(
    State(state): State<AppState>,
    headers: HeaderMap,
    scope: Scope,
    format: Format,
) -> Result<Response, AppError> {
    let key = format!("feed:{}/{}", scope.base_path(), format.file());
    let entry = state
        .cache
        .get_or_render(&key, || render_feed(&state, scope, format))
        .await?;
    Ok(entry.respond(&headers).await)
}

async fn render_feed(
    state: &AppState,
    scope: Scope,
    format: Format,
) -> Result<CachedResponse, AppError> {
    let site = &state.site;
    let now = Utc::now();
    let base_path = scope.base_path();
    let mut query = ArticleQuery::visible_at(now);
    query.limit = FEED_ITEMS;
    let (title, description) = match scope {
        Scope::Site => (site.title.clone(), site.description.clone()),
        Scope::Tag(slug) => {
            let tag = state
                .store
                .tag_by_slug(&slug)
                .await?
                .ok_or(AppError::NotFound)?;
            query.tag = Some(slug);
            let description = if tag.description.is_empty() {
                format!("The latest stories tagged {} on {}.", tag.name, site.title)
            } else {
                tag.description
            };
            (format!("{} — {}", tag.name, site.title), description)
        }
        Scope::Author(slug) => {
            let author = state
                .store
                .author_by_slug(&slug)
                .await?
                .ok_or(AppError::NotFound)?;
            query.author = Some(slug);
            (
                format!("{} — {}", author.name, site.title),
                format!("The latest stories by {} on {}.", author.name, site.title),
            )
        }
    };
    let articles = state.store.list_articles(&query).await?.items;
    let mut entries: Vec<FeedEntry> = articles
        .iter()
        .map(|a| FeedEntry::from_article(a, site))
        .collect();
    fill_image_lengths(&state.media, &articles, &mut entries).await;
    let meta = FeedMeta {
        title: syn::xml_safe(&title),
        description: syn::xml_safe(&description),
        home_url: site.url(if base_path.is_empty() {
            "/"
        } else {
            &base_path
        }),
        feed_base: site.url(&base_path),
        language: site.language.clone(),
        fallback_updated: now,
    };
    let publisher = syn::xml_safe(&site.publisher);
    let body = match format {
        Format::Rss => syn::rss(&meta, &entries),
        Format::Atom => syn::atom(&meta, &entries, &publisher),
        Format::Json => syn::json_feed(&meta, &entries, &publisher),
    }
    .map_err(|e| AppError::Internal(e.into()))?;
    Ok(CachedResponse::new(
        StatusCode::OK,
        format.content_type(),
        FEED_CACHE_CONTROL,
        body,
    ))
}

/// RSS enclosures should state the file's size; a look-up per image (a stat, or a HEAD on S3)
/// is cheap next to rendering, and the result is cached with the feed.
async fn fill_image_lengths(
    media: &newsdesk_media::MediaStore,
    articles: &[Article],
    entries: &mut [FeedEntry],
) {
    for (a, e) in articles.iter().zip(entries.iter_mut()) {
        let (Some(photo), Some(img)) = (&a.lead_photo, e.image.as_mut()) else {
            continue;
        };
        // Only plain relative names (the store refuses others): a stored `..` is left alone.
        if let Ok(Some(m)) = media.head(&photo.file).await {
            img.length = m.size;
        }
    }
}

// --- sitemaps

/// Walks visible articles newest first, `skip`ping some and handing at most `take` to `f`.
async fn walk_articles(
    state: &AppState,
    mut query: ArticleQuery,
    skip: usize,
    take: usize,
    mut f: impl FnMut(&Article),
) -> Result<(), AppError> {
    query.limit = WALK_PAGE;
    let mut seen = 0usize;
    loop {
        let page = state.store.list_articles(&query).await?;
        for a in &page.items {
            if seen >= skip + take {
                return Ok(());
            }
            if seen >= skip {
                f(a);
            }
            seen += 1;
        }
        match page.next {
            Some(c) if !page.items.is_empty() => query.before = Some(c),
            _ => return Ok(()),
        }
    }
}

fn lastmod(a: &Article) -> DateTime<Utc> {
    let published = a.published_at.unwrap_or(a.created_at);
    a.updated_at.max(published)
}

/// Newest change per tag slug, per author slug, and overall, gathered while walking articles.
#[derive(Default)]
struct LastMods {
    tags: HashMap<String, DateTime<Utc>>,
    authors: HashMap<String, DateTime<Utc>>,
    newest: Option<DateTime<Utc>>,
}

impl LastMods {
    fn add(&mut self, a: &Article) {
        let t = lastmod(a);
        let bump = |m: &mut HashMap<String, DateTime<Utc>>, k: &str| {
            let e = m.entry(k.to_owned()).or_insert(t);
            *e = (*e).max(t);
        };
        for tag in &a.tags {
            bump(&mut self.tags, tag.slug.as_str());
        }
        for author in &a.authors {
            bump(&mut self.authors, author.slug.as_str());
        }
        self.newest = Some(self.newest.map_or(t, |n| n.max(t)));
    }
}

fn article_url(state: &AppState, a: &Article) -> SitemapUrl {
    SitemapUrl {
        loc: state.site.url(&syn::article_path(a.slug.as_str())),
        lastmod: Some(lastmod(a)),
    }
}

/// The home page, every tag page and every author page.
async fn page_urls(state: &AppState, mods: &LastMods) -> Result<Vec<SitemapUrl>, AppError> {
    let site = &state.site;
    let mut urls = vec![SitemapUrl {
        loc: site.url("/"),
        lastmod: mods.newest,
    }];
    for t in state.store.list_tags().await? {
        urls.push(SitemapUrl {
            loc: site.url(&syn::tag_path(t.slug.as_str())),
            lastmod: mods.tags.get(t.slug.as_str()).copied(),
        });
    }
    for a in state.store.list_authors().await? {
        urls.push(SitemapUrl {
            loc: site.url(&syn::author_path(a.slug.as_str())),
            lastmod: mods.authors.get(a.slug.as_str()).copied(),
        });
    }
    Ok(urls)
}

/// How the sitemap is split: one file while everything fits, else an index of
/// `/sitemaps/pages.xml` and `/sitemaps/articles-{n}.xml`, each under the URL limit.
fn article_files(article_count: usize, other_urls: usize, per_file: usize) -> Option<usize> {
    if article_count + other_urls <= per_file {
        None
    } else {
        Some(article_count.div_ceil(per_file).max(1))
    }
}

async fn sitemap(State(state): State<AppState>, headers: HeaderMap) -> Result<Response, AppError> {
    let entry = state
        .cache
        .get_or_render("sitemap:/sitemap.xml", || async {
            let now = Utc::now();
            // Counts every status, so it over-estimates visible articles: at worst an index appears
            // a little early, never a file over the limit.
            let count = usize::try_from(state.store.count_articles().await?).unwrap_or(usize::MAX);
            let others =
                1 + state.store.list_tags().await?.len() + state.store.list_authors().await?.len();
            let body = match article_files(count, others, syn::SITEMAP_MAX_URLS) {
                None => {
                    let mut mods = LastMods::default();
                    let mut articles = Vec::new();
                    walk_articles(
                        &state,
                        ArticleQuery::visible_at(now),
                        0,
                        syn::SITEMAP_MAX_URLS,
                        |a| {
                            mods.add(a);
                            articles.push(article_url(&state, a));
                        },
                    )
                    .await?;
                    let mut urls = page_urls(&state, &mods).await?;
                    urls.extend(articles);
                    syn::urlset(&urls)
                }
                Some(files) => {
                    let mut parts = vec![SitemapUrl {
                        loc: state.site.url("/sitemaps/pages.xml"),
                        lastmod: None,
                    }];
                    parts.extend((1..=files).map(|n| SitemapUrl {
                        loc: state.site.url(&format!("/sitemaps/articles-{n}.xml")),
                        lastmod: None,
                    }));
                    syn::sitemap_index(&parts)
                }
            };
            Ok(CachedResponse::new(
                StatusCode::OK,
                syn::XML_CONTENT_TYPE,
                FEED_CACHE_CONTROL,
                body,
            ))
        })
        .await?;
    Ok(entry.respond(&headers).await)
}

/// One file of a split sitemap: `pages.xml` or `articles-{n}.xml` (n from 1). They are served at
/// any size so that links from a cached index stay valid while the site grows or shrinks.
async fn sitemap_part(
    State(state): State<AppState>,
    file: Result<Path<String>, PathRejection>,
    headers: HeaderMap,
) -> Result<Response, AppError> {
    let Path(file) = file.map_err(|_| AppError::NotFound)?;
    let part = if file == "pages.xml" {
        None
    } else {
        let n = file
            .strip_prefix("articles-")
            .and_then(|r| r.strip_suffix(".xml"))
            .and_then(|n| n.parse::<usize>().ok())
            .filter(|n| *n >= 1)
            .ok_or(AppError::NotFound)?;
        Some(n)
    };
    let key = format!("sitemap:/sitemaps/{file}");
    let entry = state
        .cache
        .get_or_render(&key, || async {
            let now = Utc::now();
            let body = match part {
                None => {
                    // Tag and author dates would need a walk of every article; the pages file
                    // exists only for large sites, so it gives the home page's date alone.
                    let mut mods = LastMods::default();
                    walk_articles(&state, ArticleQuery::visible_at(now), 0, 1, |a| mods.add(a))
                        .await?;
                    mods.tags.clear();
                    mods.authors.clear();
                    syn::urlset(&page_urls(&state, &mods).await?)
                }
                Some(n) => {
                    let per = syn::SITEMAP_MAX_URLS;
                    let skip = (n - 1).saturating_mul(per);
                    let mut urls = Vec::new();
                    walk_articles(&state, ArticleQuery::visible_at(now), skip, per, |a| {
                        urls.push(article_url(&state, a))
                    })
                    .await?;
                    if urls.is_empty() && n > 1 {
                        return Err(AppError::NotFound);
                    }
                    syn::urlset(&urls)
                }
            };
            Ok(CachedResponse::new(
                StatusCode::OK,
                syn::XML_CONTENT_TYPE,
                FEED_CACHE_CONTROL,
                body,
            ))
        })
        .await?;
    Ok(entry.respond(&headers).await)
}

async fn news_sitemap(
    State(state): State<AppState>,
    headers: HeaderMap,
) -> Result<Response, AppError> {
    let entry = state
        .cache
        .get_or_render("sitemap:/news-sitemap.xml", || async {
            let now = Utc::now();
            let mut query = ArticleQuery::visible_at(now);
            // Google News only wants articles from the last two days.
            query.since = Some(now - Duration::days(2));
            let mut entries = Vec::new();
            walk_articles(&state, query, 0, syn::NEWS_SITEMAP_MAX_URLS, |a| {
                entries.push(NewsEntry {
                    url: state.site.url(&syn::article_path(a.slug.as_str())),
                    title: a.headline.clone(),
                    published: a.published_at.unwrap_or(a.created_at),
                })
            })
            .await?;
            let body = syn::news_sitemap(
                &state.site.title,
                &syn::news_sitemap_language(&state.site.language),
                &entries,
            );
            Ok(CachedResponse::new(
                StatusCode::OK,
                syn::XML_CONTENT_TYPE,
                FEED_CACHE_CONTROL,
                body,
            ))
        })
        .await?;
    Ok(entry.respond(&headers).await)
}

async fn robots(State(state): State<AppState>, headers: HeaderMap) -> Result<Response, AppError> {
    let entry = state
        .cache
        .get_or_render("robots:/robots.txt", || async {
            let body = syn::robots_txt(&[
                state.site.url("/sitemap.xml"),
                state.site.url("/news-sitemap.xml"),
            ]);
            Ok(CachedResponse::new(
                StatusCode::OK,
                "text/plain; charset=utf-8",
                ROBOTS_CACHE_CONTROL,
                body,
            ))
        })
        .await?;
    Ok(entry.respond(&headers).await)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sitemap_splits_only_past_the_limit() {
        assert_eq!(article_files(10, 5, 50_000), None);
        assert_eq!(article_files(49_990, 10, 50_000), None);
        assert_eq!(article_files(49_990, 11, 50_000), Some(1));
        assert_eq!(article_files(120_000, 3, 50_000), Some(3));
    }
}
