//! The public pages: home, article, author, tag, plus 404.
//!
//! Every page is validated first: its ETag comes from the site's content stamp (see
//! [`crate::facts`]), so a client whose copy is current gets a 304 before anything is looked up
//! or rendered. Then the page cache: a hit is a hash lookup and a ready body, a miss asks the
//! store and renders a template. Cache keys are built from validated input only (a parsed slug,
//! a re-encoded cursor), so junk query strings cannot multiply entries.

use std::collections::HashSet;
use std::sync::Arc;
use std::time::SystemTime;

use askama::Template;
use axum::Router;
use axum::extract::rejection::QueryRejection;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use chrono::{DateTime, Duration, Utc};
use newsdesk_core::{Article, ArticleQuery, Cursor, Id, Slug};
use serde::Deserialize;

use crate::cache::CachedResponse;
use crate::error::AppError;
use crate::facts::SiteFacts;
use crate::state::AppState;
use crate::views::*;

/// Articles per list page.
pub const PAGE_SIZE: u32 = 20;
/// Important articles shown above the latest ones on the front page.
const TOP_STORIES: u32 = 5;
/// "You may also like" entries on an article page.
const RELATED: u32 = 4;
/// An article edited within this long after publication is not shown as "updated".
const UPDATE_GRACE_MINUTES: i64 = 5;

/// The "Updated" time a reader should see: only an edit made well after the story went out. A
/// story written into the system after its publication time (backdated, imported, demo content)
/// was not updated by being created.
fn shown_update(
    published: DateTime<Utc>,
    created: DateTime<Utc>,
    updated: DateTime<Utc>,
) -> Option<DateTime<Utc>> {
    (updated > published.max(created) + Duration::minutes(UPDATE_GRACE_MINUTES)).then_some(updated)
}

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/", get(home))
        .route("/articles/{slug}", get(article))
        .route("/authors/{slug}", get(author))
        .route("/tags/{slug}", get(tag))
}

pub async fn not_found() -> AppError {
    AppError::NotFound
}

#[derive(Deserialize)]
pub(crate) struct PageParams {
    before: Option<String>,
}

/// The `?before=` cursor, if any; a malformed one is a client error, not "first page".
pub(crate) fn cursor(
    params: Result<Query<PageParams>, QueryRejection>,
) -> Result<Option<Cursor>, AppError> {
    let Ok(Query(params)) = params else {
        return Err(AppError::BadRequest(
            "That page address is not valid.".into(),
        ));
    };
    match params.before.as_deref() {
        None | Some("") => Ok(None),
        Some(token) => Cursor::decode(token)
            .map(Some)
            .ok_or_else(|| AppError::BadRequest("That page address is not valid.".into())),
    }
}

/// A slug from the URL; anything that could not be a slug names no page.
pub(crate) fn slug(raw: &str) -> Result<Slug, AppError> {
    Slug::parse(raw).map_err(|_| AppError::NotFound)
}

pub(crate) fn with_cursor(path: &str, before: Option<&Cursor>) -> String {
    match before {
        Some(c) => format!("{path}?before={}", c.encode()),
        None => path.to_owned(),
    }
}

pub(crate) fn render<T: Template>(page: &T) -> Result<String, AppError> {
    page.render().map_err(|e| AppError::Internal(e.into()))
}

/// What a render needs besides its input: the site-wide facts and the page's validator.
pub(crate) struct Ctx {
    pub(crate) facts: Arc<SiteFacts>,
    etag: HeaderValue,
}

pub(crate) fn html<T: Template>(ctx: &Ctx, page: &T) -> Result<CachedResponse, AppError> {
    Ok(CachedResponse::with_validators(
        StatusCode::OK,
        "text/html; charset=utf-8",
        PAGE_CACHE_CONTROL,
        render(page)?,
        ctx.etag.clone(),
        // The copy holds every change committed before now.
        Some(SystemTime::now()),
    ))
}

/// Answers a page request: 304 from the content stamp alone when the client's copy is current,
/// else the cached or freshly rendered page.
pub(crate) async fn page<F, Fut>(
    state: &AppState,
    key: &str,
    headers: &HeaderMap,
    render: F,
) -> Result<Response, AppError>
where
    F: FnOnce(Ctx) -> Fut,
    Fut: std::future::Future<Output = Result<CachedResponse, AppError>>,
{
    let facts = state
        .facts
        .get(state.store.as_ref(), &state.site, state.cache.generation())
        .await?;
    let etag = facts.etag(key);
    if client_copy_is_current(headers, &etag, &facts) {
        let mut res = StatusCode::NOT_MODIFIED.into_response();
        let h = res.headers_mut();
        h.insert(header::ETAG, etag);
        h.insert(
            header::CACHE_CONTROL,
            HeaderValue::from_static(PAGE_CACHE_CONTROL),
        );
        h.insert(header::VARY, HeaderValue::from_static("accept-encoding"));
        return Ok(res);
    }
    let entry = state
        .cache
        .get_or_render(key, || render(Ctx { facts, etag }))
        .await?;
    Ok(entry.respond(headers).await)
}

/// Only ETags we handed out count here: `If-None-Match: *` is no evidence that the page exists,
/// so it waits for the page itself (whose cache entry then checks it). A date is taken at its
/// word: clients only send back one that we gave them.
fn client_copy_is_current(headers: &HeaderMap, etag: &HeaderValue, facts: &SiteFacts) -> bool {
    if let Some(inm) = headers
        .get(header::IF_NONE_MATCH)
        .and_then(|v| v.to_str().ok())
    {
        let ours = etag.to_str().unwrap_or("");
        return inm
            .split(',')
            .map(str::trim)
            .any(|t| t == ours || t.strip_prefix("W/") == Some(ours));
    }
    headers
        .get(header::IF_MODIFIED_SINCE)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| DateTime::parse_from_rfc2822(v).ok())
        .is_some_and(|since| facts.unchanged_since(since.with_timezone(&Utc).into()))
}

async fn home(
    State(state): State<AppState>,
    params: Result<Query<PageParams>, QueryRejection>,
    headers: HeaderMap,
) -> Result<Response, AppError> {
    let before = cursor(params)?;
    let key = with_cursor("/", before.as_ref());
    page(&state, &key, &headers, |ctx| {
        render_home(&state, ctx, before)
    })
    .await
}

async fn render_home(
    state: &AppState,
    ctx: Ctx,
    before: Option<Cursor>,
) -> Result<CachedResponse, AppError> {
    let now = Utc::now();
    let store = &state.store;
    let site = &state.site;
    let tags = &ctx.facts.sections;
    let first_page = before.is_none();
    let top = if first_page {
        let mut q = ArticleQuery::visible_at(now);
        q.important_only = true;
        q.limit = TOP_STORIES;
        store.list_articles(&q).await?.items
    } else {
        Vec::new()
    };
    let mut q = ArticleQuery::visible_at(now);
    q.before = before;
    q.limit = PAGE_SIZE;
    let latest = store.list_articles(&q).await?;
    // A top story is not repeated under "Latest"; pagination still follows the full list.
    let top_ids: HashSet<Id> = top.iter().map(|a| a.id).collect();
    let next_url = latest.next.map(|c| with_cursor("/", Some(&c)));
    let path = with_cursor("/", before.as_ref());
    let mut layout = Layout::new(site, if first_page { "" } else { "Older stories" }, &path)
        .with_nav(tags, None);
    layout.next_url = next_url.clone();
    let page = HomePage {
        layout,
        heading: format!("{}: {}", site.title, site.description),
        top: top.iter().map(Card::of).collect(),
        latest: latest
            .items
            .iter()
            .filter(|a| !top_ids.contains(&a.id))
            .map(Card::of)
            .collect(),
        first_page,
        next_url,
        newsletter: NewsletterForm::default(),
    };
    html(&ctx, &page)
}

async fn article(
    State(state): State<AppState>,
    Path(raw): Path<String>,
    headers: HeaderMap,
) -> Result<Response, AppError> {
    let slug = slug(&raw)?;
    let key = format!("/articles/{slug}");
    page(&state, &key, &headers, |ctx| {
        render_article(&state, ctx, slug)
    })
    .await
}

async fn render_article(
    state: &AppState,
    ctx: Ctx,
    slug: Slug,
) -> Result<CachedResponse, AppError> {
    let now = Utc::now();
    // Two round trips: the article with everything it shows, then "You may also like".
    let data = state
        .store
        .article_page(&slug, now)
        .await?
        .ok_or(AppError::NotFound)?;
    let a = &data.article;
    let related = match &state.related {
        Some(source) => source.related(a, now, RELATED).await?,
        None => state.store.related_by_tags(a, now, RELATED).await?,
    };
    let mut page = article_page(state, a, &related, &ctx.facts.sections);
    // Uploaded photos have resized copies: let the browser pick one.
    if let (Some(fig), Some(p)) = (page.figure.as_mut(), a.lead_photo.as_ref())
        && !data.renditions.is_empty()
    {
        fig.img.srcset = format!(
            "{}, {} {}w",
            newsdesk_core::editorial::srcset(&data.renditions),
            fig.img.src,
            p.width
        );
    }
    page.also_reported_by = also_reported_by(a, &data.cluster_members);
    page.quoted = crate::routes::people::quoted_in(state, a.id).await?;
    page.coverage_href = data
        .cluster_members
        .first()
        .map(|m| format!("/stories/{}", m.story_id));
    html(&ctx, &page)
}

/// The cluster's agencies other than the one the article credits, each linking to its version.
fn also_reported_by(
    a: &Article,
    members: &[newsdesk_core::ingest::ClusterMember],
) -> Vec<LinkView> {
    members
        .iter()
        .filter(|m| {
            a.source
                .as_ref()
                .is_none_or(|s| s.agency != m.agency && s.original_url != m.url)
        })
        .map(|m| LinkView {
            name: m.agency.clone(),
            href: if is_safe_link(&m.url) {
                m.url.clone()
            } else {
                String::new()
            },
        })
        .collect()
}

fn article_page(
    state: &AppState,
    a: &Article,
    related: &[Article],
    nav_tags: &[newsdesk_core::Tag],
) -> ArticlePage {
    let site = &state.site;
    let path = article_url(a);
    let canonical = a
        .canonical_url
        .clone()
        .filter(|u| is_safe_link(u) && !u.starts_with("mailto:"))
        .unwrap_or_else(|| site.url(&path));
    let published = a.published_at.unwrap_or(a.created_at);
    let updated = shown_update(published, a.created_at, a.updated_at);
    let mut layout = Layout::new(site, &a.headline, &path)
        .with_nav(nav_tags, a.section.as_ref().map(|t| t.slug.as_str()))
        .with_description(&a.standfirst);
    layout.canonical = canonical.clone();
    layout.og_type = "article";
    layout.og_image = a.lead_photo.as_ref().map(|p| site.url(&photo_url(p)));
    layout.og_image_alt = a.lead_photo.as_ref().map(|p| p.alt.clone());
    layout.jsonld = Some(news_article_jsonld(site, a, &canonical));
    layout.article = Some(ArticleMeta {
        published_time: iso(published),
        modified_time: iso(a.updated_at.max(published)),
        section: a.section.as_ref().map(|t| t.name.clone()),
        tags: a.tags.iter().map(|t| t.name.clone()).collect(),
        authors: a
            .authors
            .iter()
            .map(|au| site.url(&author_url(au)))
            .collect(),
    });
    ArticlePage {
        layout,
        headline: a.headline.clone(),
        standfirst: a.standfirst.clone(),
        section: a.section.as_ref().map(|t| LinkView {
            name: t.name.clone(),
            href: tag_url(t),
        }),
        authors: a
            .authors
            .iter()
            .map(|au| LinkView {
                name: au.name.clone(),
                href: author_url(au),
            })
            .collect(),
        published: a.published_at.map(TimeView::of),
        updated: updated.map(TimeView::of),
        figure: a.lead_photo.as_ref().map(|p| Figure {
            img: Img::of(p),
            caption: p.caption.clone(),
            credit: p.credit.clone(),
        }),
        body_html: a.body_html.clone(),
        source: a.source.as_ref().map(|s| LinkView {
            name: s.agency.clone(),
            href: if is_safe_link(&s.original_url) {
                s.original_url.clone()
            } else {
                String::new()
            },
        }),
        tags: a
            .tags
            .iter()
            .map(|t| LinkView {
                name: t.name.clone(),
                href: tag_url(t),
            })
            .collect(),
        also_reported_by: Vec::new(),
        coverage_href: None,
        related: related.iter().map(Card::of).collect(),
        author_boxes: a.authors.iter().map(AuthorBox::of).collect(),
        newsletter: NewsletterForm::default(),
        quoted: Vec::new(),
    }
}

async fn author(
    State(state): State<AppState>,
    Path(raw): Path<String>,
    params: Result<Query<PageParams>, QueryRejection>,
    headers: HeaderMap,
) -> Result<Response, AppError> {
    let slug = slug(&raw)?;
    let before = cursor(params)?;
    let key = with_cursor(&format!("/authors/{slug}"), before.as_ref());
    page(&state, &key, &headers, |ctx| {
        render_author(&state, ctx, slug, before)
    })
    .await
}

async fn render_author(
    state: &AppState,
    ctx: Ctx,
    slug: Slug,
    before: Option<Cursor>,
) -> Result<CachedResponse, AppError> {
    let now = Utc::now();
    let store = &state.store;
    let site = &state.site;
    let author = store
        .author_by_slug(&slug)
        .await?
        .ok_or(AppError::NotFound)?;
    let tags = &ctx.facts.sections;
    let mut q = ArticleQuery::visible_at(now);
    q.author = Some(slug);
    q.before = before;
    q.limit = PAGE_SIZE;
    let list = store.list_articles(&q).await?;
    let base = author_url(&author);
    let next_url = list.next.map(|c| with_cursor(&base, Some(&c)));
    let mut layout = Layout::new(site, &author.name, &with_cursor(&base, before.as_ref()))
        .with_nav(tags, None)
        .with_description(&author.bio);
    layout.og_type = "profile";
    layout.og_image = author.photo.as_ref().map(|p| site.url(&photo_url(p)));
    layout.og_image_alt = author.photo.as_ref().map(|p| p.alt.clone());
    let mut feeds = feeds_for(&format!("{} — {}", author.name, site.title), &base);
    feeds.append(&mut layout.feeds);
    layout.feeds = feeds;
    layout.next_url = next_url.clone();
    let page = ListPage {
        layout,
        kind: "Author",
        heading: author.name.clone(),
        intro: String::new(),
        profile: Some(AuthorBox::of(&author)),
        items: list.items.iter().map(Card::of).collect(),
        first_page: before.is_none(),
        first_url: base,
        next_url,
    };
    html(&ctx, &page)
}

async fn tag(
    State(state): State<AppState>,
    Path(raw): Path<String>,
    params: Result<Query<PageParams>, QueryRejection>,
    headers: HeaderMap,
) -> Result<Response, AppError> {
    let slug = slug(&raw)?;
    let before = cursor(params)?;
    let key = with_cursor(&format!("/tags/{slug}"), before.as_ref());
    page(&state, &key, &headers, |ctx| {
        render_tag(&state, ctx, slug, before)
    })
    .await
}

async fn render_tag(
    state: &AppState,
    ctx: Ctx,
    slug: Slug,
    before: Option<Cursor>,
) -> Result<CachedResponse, AppError> {
    let now = Utc::now();
    let store = &state.store;
    let site = &state.site;
    let tag = store.tag_by_slug(&slug).await?.ok_or(AppError::NotFound)?;
    let tags = &ctx.facts.sections;
    let mut q = ArticleQuery::visible_at(now);
    q.tag = Some(slug);
    q.before = before;
    q.limit = PAGE_SIZE;
    let list = store.list_articles(&q).await?;
    let base = tag_url(&tag);
    let next_url = list.next.map(|c| with_cursor(&base, Some(&c)));
    let mut layout = Layout::new(site, &tag.name, &with_cursor(&base, before.as_ref()))
        .with_nav(tags, Some(tag.slug.as_str()))
        .with_description(&tag.description);
    let mut feeds = feeds_for(&format!("{} — {}", tag.name, site.title), &base);
    feeds.append(&mut layout.feeds);
    layout.feeds = feeds;
    layout.next_url = next_url.clone();
    let page = ListPage {
        layout,
        kind: "Section",
        heading: tag.name.clone(),
        intro: tag.description.clone(),
        profile: None,
        items: list.items.iter().map(Card::of).collect(),
        first_page: before.is_none(),
        first_url: base,
        next_url,
    };
    html(&ctx, &page)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_an_edit_well_after_publication_and_creation_shows_as_updated() {
        let t = |m: i64| DateTime::<Utc>::UNIX_EPOCH + Duration::minutes(m);
        // Backdated on creation (published 3 h before it was entered), never edited.
        assert_eq!(shown_update(t(0), t(180), t(180)), None);
        // A typo fixed a minute after publishing.
        assert_eq!(shown_update(t(100), t(90), t(101)), None);
        // A real update an hour after publishing, and after a backdated creation.
        assert_eq!(shown_update(t(100), t(90), t(160)), Some(t(160)));
        assert_eq!(shown_update(t(0), t(180), t(240)), Some(t(240)));
    }
}
