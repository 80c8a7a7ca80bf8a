//! The read-only JSON API under `/api/v1`: articles (filtered, cursor-paginated), authors, tags.
//!
//! Responses are DTOs defined here, not the model structs, so the store can change shape without
//! breaking clients. Every failure, including a malformed query string, an unknown route or a
//! wrong method, answers with the stable `{"error": {"code", "message"}}` shape. The routes are
//! registered through `utoipa_axum`, so `/api/openapi.json` documents them.

use axum::Json;
use axum::extract::rejection::{PathRejection, QueryRejection};
use axum::extract::{Path, Query, State};
use axum::http::{HeaderValue, header};
use axum::response::{IntoResponse, Response};
use chrono::{DateTime, Utc};
use newsdesk_core::site::SiteSettings;
use newsdesk_core::{Article, ArticleQuery, Author, Cursor, Photo, Slug, Tag};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::error::{ApiError, AppError, ErrorBody};
use crate::state::AppState;
use crate::syndication as syn;

pub const DEFAULT_LIMIT: u32 = 20;
pub const MAX_LIMIT: u32 = 100;

/// The routes, to nest under `/api/v1` (see [`crate::routes::openapi::api_v1`]).
pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(index))
        .routes(routes!(list_articles))
        .routes(routes!(article))
        .routes(routes!(list_authors))
        .routes(routes!(author))
        .routes(routes!(list_tags))
}

// --- DTOs

#[derive(Debug, Serialize, ToSchema)]
pub struct ArticleDto {
    pub id: i64,
    pub slug: String,
    pub headline: String,
    pub standfirst: String,
    /// Sanitized when the article was saved.
    pub body_html: String,
    pub published_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    /// The article's page on this site.
    pub url: String,
    /// Where search engines should look, when that is not `url` (e.g. the original of a reprint).
    pub canonical_url: Option<String>,
    pub authors: Vec<AuthorRef>,
    pub tags: Vec<TagRef>,
    pub section: Option<TagRef>,
    pub lead_image: Option<ImageDto>,
    pub source: Option<SourceDto>,
    pub important: bool,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct AuthorRef {
    pub slug: String,
    pub name: String,
    pub url: String,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct TagRef {
    pub slug: String,
    pub name: String,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ImageDto {
    pub url: String,
    pub alt: String,
    pub caption: String,
    pub credit: String,
    pub width: u32,
    pub height: u32,
}

/// Where agency copy came from.
#[derive(Debug, Serialize, ToSchema)]
#[schema(as = ArticleSource)]
pub struct SourceDto {
    pub agency: String,
    pub original_url: String,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct AuthorDto {
    pub slug: String,
    pub name: String,
    pub bio: String,
    pub url: String,
    pub photo: Option<ImageDto>,
    pub links: Vec<LinkDto>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct LinkDto {
    pub label: String,
    pub url: String,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct TagDto {
    pub slug: String,
    pub name: String,
    pub description: String,
    pub url: String,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ArticleList {
    pub items: Vec<ArticleDto>,
    /// Pass as `cursor` to get the next page; null on the last page.
    pub next_cursor: Option<String>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct AuthorList {
    pub items: Vec<AuthorDto>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct TagList {
    pub items: Vec<TagDto>,
}

/// `GET /api/v1`: where the collections are.
#[derive(Debug, Serialize, ToSchema)]
pub struct ApiIndex {
    pub articles: String,
    pub authors: String,
    pub tags: String,
}

impl ImageDto {
    fn from_photo(p: &Photo, site: &SiteSettings) -> Self {
        ImageDto {
            url: site.url(&syn::upload_path(&p.file)),
            alt: p.alt.clone(),
            caption: p.caption.clone(),
            credit: p.credit.clone(),
            width: p.width,
            height: p.height,
        }
    }
}

impl TagRef {
    fn from_tag(t: &Tag) -> Self {
        TagRef {
            slug: t.slug.to_string(),
            name: t.name.clone(),
        }
    }
}

impl ArticleDto {
    pub fn from_article(a: &Article, site: &SiteSettings) -> Self {
        ArticleDto {
            id: a.id,
            slug: a.slug.to_string(),
            headline: a.headline.clone(),
            standfirst: a.standfirst.clone(),
            body_html: a.body_html.clone(),
            // Visible articles always have one; created_at keeps the field non-null regardless.
            published_at: a.published_at.unwrap_or(a.created_at),
            updated_at: a.updated_at,
            url: site.url(&syn::article_path(a.slug.as_str())),
            canonical_url: a.canonical_url.clone(),
            authors: a
                .authors
                .iter()
                .map(|p| AuthorRef {
                    slug: p.slug.to_string(),
                    name: p.name.clone(),
                    url: site.url(&syn::author_path(p.slug.as_str())),
                })
                .collect(),
            tags: a.tags.iter().map(TagRef::from_tag).collect(),
            section: a.section.as_ref().map(TagRef::from_tag),
            lead_image: a.lead_photo.as_ref().map(|p| ImageDto::from_photo(p, site)),
            source: a.source.as_ref().map(|s| SourceDto {
                agency: s.agency.clone(),
                original_url: s.original_url.clone(),
            }),
            important: a.important,
        }
    }
}

impl AuthorDto {
    pub fn from_author(a: &Author, site: &SiteSettings) -> Self {
        AuthorDto {
            slug: a.slug.to_string(),
            name: a.name.clone(),
            bio: a.bio.clone(),
            url: site.url(&syn::author_path(a.slug.as_str())),
            photo: a.photo.as_ref().map(|p| ImageDto::from_photo(p, site)),
            links: a
                .links
                .iter()
                .map(|l| LinkDto {
                    label: l.label.clone(),
                    url: l.url.clone(),
                })
                .collect(),
        }
    }
}

impl TagDto {
    pub fn from_tag(t: &Tag, site: &SiteSettings) -> Self {
        TagDto {
            slug: t.slug.to_string(),
            name: t.name.clone(),
            description: t.description.clone(),
            url: site.url(&syn::tag_path(t.slug.as_str())),
        }
    }
}

/// A successful API answer: JSON with a short shared-cache lifetime.
pub(crate) struct ApiJson<T>(pub(crate) T);

impl<T: Serialize> IntoResponse for ApiJson<T> {
    fn into_response(self) -> Response {
        let mut res = Json(self.0).into_response();
        res.headers_mut().insert(
            header::CACHE_CONTROL,
            HeaderValue::from_static("public, max-age=30"),
        );
        res
    }
}

pub(crate) type ApiResult<T> = Result<ApiJson<T>, ApiError>;

// --- input

/// The raw query of `GET /articles`: strings only, so that every problem is reported by our own
/// parsing below with a useful message, in the API's error shape.
#[derive(Debug, Default, Deserialize)]
struct ListParams {
    tag: Option<String>,
    author: Option<String>,
    since: Option<String>,
    limit: Option<String>,
    cursor: Option<String>,
    status: Option<String>,
}

fn bad(msg: impl Into<String>) -> ApiError {
    ApiError(AppError::BadRequest(msg.into()))
}

/// An empty value (`?tag=`) means "not given": clients often template every parameter.
fn given(v: Option<String>) -> Option<String> {
    v.filter(|s| !s.is_empty())
}

/// An unencoded `+` in `since=...T12:00:00+02:00` arrives as a space; put it back, since that is
/// what the client meant and the most common way to get this parameter wrong.
fn restore_offset_plus(s: &str) -> String {
    let mut chars: Vec<char> = s.chars().collect();
    let n = chars.len();
    if n >= 6 && chars[n - 6] == ' ' && chars[n - 3] == ':' {
        chars[n - 6] = '+';
    }
    chars.into_iter().collect()
}

fn parse_list_query(p: ListParams, now: DateTime<Utc>) -> Result<ArticleQuery, ApiError> {
    let mut q = ArticleQuery::visible_at(now);
    // Asked for, a filter is applied or refused: never silently ignored.
    if let Some(s) = given(p.status)
        && s != "published"
    {
        return Err(bad(format!(
            "status: this list holds published articles only, so {s:?} cannot be listed; read a draft or scheduled article with GET /api/v1/articles/{{id}} and an editor's token"
        )));
    }
    if let Some(t) = given(p.tag) {
        q.tag = Some(Slug::parse(&t).map_err(|e| bad(format!("tag: {e}")))?);
    }
    if let Some(a) = given(p.author) {
        q.author = Some(Slug::parse(&a).map_err(|e| bad(format!("author: {e}")))?);
    }
    if let Some(s) = given(p.since) {
        let t = DateTime::parse_from_rfc3339(&restore_offset_plus(&s)).map_err(|_| {
            bad(format!(
                "since: {s:?} is not an RFC 3339 date-time, e.g. 2026-03-01T12:00:00Z"
            ))
        })?;
        q.since = Some(t.with_timezone(&Utc));
    }
    q.limit = match given(p.limit) {
        None => DEFAULT_LIMIT,
        Some(l) => l
            .parse::<u32>()
            .ok()
            .filter(|n| (1..=MAX_LIMIT).contains(n))
            .ok_or_else(|| {
                bad(format!(
                    "limit: must be a whole number from 1 to {MAX_LIMIT}"
                ))
            })?,
    };
    if let Some(c) = given(p.cursor) {
        q.before =
            Some(Cursor::decode(&c).ok_or_else(|| bad("cursor: not a cursor this API gave out"))?);
    }
    Ok(q)
}

pub(crate) fn path_slug(p: Result<Path<String>, PathRejection>) -> Result<Slug, ApiError> {
    // Whatever is not a valid slug names nothing: the resource is missing, not the request wrong.
    let Path(raw) = p.map_err(|_| ApiError(AppError::NotFound))?;
    Slug::parse(&raw).map_err(|_| ApiError(AppError::NotFound))
}

// --- handlers

/// Published articles, newest first, a page at a time.
#[utoipa::path(get, path = "/articles", tag = "public",
    params(
        ("tag" = Option<String>, Query, description = "Only articles with this tag (its slug)."),
        ("author" = Option<String>, Query, description = "Only articles by this author (their slug)."),
        ("since" = Option<String>, Query, format = DateTime,
            description = "Only articles published at or after this RFC 3339 date-time."),
        ("limit" = Option<u32>, Query, minimum = 1, maximum = 100,
            description = "Articles per page (default 20)."),
        ("cursor" = Option<String>, Query,
            description = "The `next_cursor` of the previous page."),
        ("status" = Option<String>, Query,
            description = "Only `published` is accepted (the list holds nothing else); any other value is a 400."),
    ),
    responses((status = 200, body = ArticleList), (status = 400, body = ErrorBody)))]
async fn list_articles(
    State(state): State<AppState>,
    params: Result<Query<ListParams>, QueryRejection>,
) -> ApiResult<ArticleList> {
    let Query(params) =
        params.map_err(|e| bad(format!("malformed query string: {}", e.body_text())))?;
    let query = parse_list_query(params, Utc::now())?;
    let page = state.store.list_articles(&query).await?;
    Ok(ApiJson(ArticleList {
        items: page
            .items
            .iter()
            .map(|a| ArticleDto::from_article(a, &state.site))
            .collect(),
        next_cursor: page.next.map(|c| c.encode()),
    }))
}

/// What `GET /articles/{slug}` answers: the public shape, or with a bearer token of someone who
/// may open the article, the admin shape (any status, Markdown, ids).
#[derive(Serialize, ToSchema)]
#[serde(untagged)]
enum ArticleRead {
    Admin(crate::routes::api_admin::AdminArticle),
    Public(ArticleDto),
}

/// One published article; with a bearer token, also a draft or scheduled one the token's user
/// may open, by slug or numeric id.
#[utoipa::path(get, path = "/articles/{slug}", tag = "public",
    params(("slug" = String, Path, description = "The article's slug (or, with a token, its numeric id).")),
    responses((status = 200, body = ArticleRead), (status = 401, body = ErrorBody),
        (status = 404, body = ErrorBody)),
    security((), ("bearer" = [])))]
async fn article(
    State(state): State<AppState>,
    headers: axum::http::HeaderMap,
    who: Result<crate::auth::ApiUser, ApiError>,
    slug: Result<Path<String>, PathRejection>,
) -> Result<Response, ApiError> {
    if headers.contains_key(header::AUTHORIZATION) {
        let who = who?;
        let Path(key) = slug.map_err(|_| ApiError(AppError::NotFound))?;
        let a = crate::routes::api_admin::find(&state, &key).await?;
        let may_open = who.user.can(
            newsdesk_core::accounts::Action::EditArticle,
            who.user.owns(&a),
        ) || who.user.can(
            newsdesk_core::accounts::Action::Review,
            newsdesk_core::accounts::Ownership::None,
        );
        let body = if may_open {
            ArticleRead::Admin(crate::routes::api_admin::AdminArticle::of(
                &a,
                &state.site.base_url,
            ))
        } else if a.is_visible_at(Utc::now()) {
            ArticleRead::Public(ArticleDto::from_article(&a, &state.site))
        } else {
            return Err(ApiError(AppError::NotFound));
        };
        let mut res = Json(body).into_response();
        // One user's view of unpublished work: no shared cache may keep it.
        res.headers_mut().insert(
            header::CACHE_CONTROL,
            HeaderValue::from_static("private, no-store"),
        );
        return Ok(res);
    }
    let slug = path_slug(slug)?;
    let a = state
        .store
        .visible_article_by_slug(&slug, Utc::now())
        .await?
        .ok_or(ApiError(AppError::NotFound))?;
    Ok(ApiJson(ArticleRead::Public(ArticleDto::from_article(
        &a,
        &state.site,
    )))
    .into_response())
}

/// Every author.
#[utoipa::path(get, path = "/authors", tag = "public",
    responses((status = 200, body = AuthorList)))]
async fn list_authors(State(state): State<AppState>) -> ApiResult<AuthorList> {
    let authors = state.store.list_authors().await?;
    Ok(ApiJson(AuthorList {
        items: authors
            .iter()
            .map(|a| AuthorDto::from_author(a, &state.site))
            .collect(),
    }))
}

/// One author.
#[utoipa::path(get, path = "/authors/{slug}", tag = "public",
    params(("slug" = String, Path, description = "The author's slug.")),
    responses((status = 200, body = AuthorDto), (status = 404, body = ErrorBody)))]
async fn author(
    State(state): State<AppState>,
    slug: Result<Path<String>, PathRejection>,
) -> ApiResult<AuthorDto> {
    let slug = path_slug(slug)?;
    let a = state
        .store
        .author_by_slug(&slug)
        .await?
        .ok_or(ApiError(AppError::NotFound))?;
    Ok(ApiJson(AuthorDto::from_author(&a, &state.site)))
}

/// Every tag.
#[utoipa::path(get, path = "/tags", tag = "public",
    responses((status = 200, body = TagList)))]
async fn list_tags(State(state): State<AppState>) -> ApiResult<TagList> {
    let tags = state.store.list_tags().await?;
    Ok(ApiJson(TagList {
        items: tags
            .iter()
            .map(|t| TagDto::from_tag(t, &state.site))
            .collect(),
    }))
}

/// Where the collections are, so a client can start from the root.
#[utoipa::path(get, path = "", tag = "public", responses((status = 200, body = ApiIndex)))]
async fn index(State(state): State<AppState>) -> ApiJson<ApiIndex> {
    let site = &state.site;
    ApiJson(ApiIndex {
        articles: site.url("/api/v1/articles"),
        authors: site.url("/api/v1/authors"),
        tags: site.url("/api/v1/tags"),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn params(f: impl FnOnce(&mut ListParams)) -> ListParams {
        let mut p = ListParams::default();
        f(&mut p);
        p
    }

    #[test]
    fn list_query_defaults_and_treats_empty_as_absent() {
        let now = Utc::now();
        let q = parse_list_query(params(|p| p.tag = Some(String::new())), now).expect("ok");
        assert_eq!(q.limit, DEFAULT_LIMIT);
        assert_eq!(q.tag, None);
        assert_eq!(q.visible_at, now);
    }

    #[test]
    fn list_query_rejects_bad_values() {
        let now = Utc::now();
        for p in [
            params(|p| p.limit = Some("0".into())),
            params(|p| p.limit = Some("101".into())),
            params(|p| p.limit = Some("ten".into())),
            params(|p| p.since = Some("yesterday".into())),
            params(|p| p.cursor = Some("nope".into())),
            params(|p| p.tag = Some("Not A Slug".into())),
        ] {
            assert!(parse_list_query(p, now).is_err());
        }
    }

    #[test]
    fn list_query_parses_good_values() {
        let c = Cursor {
            published_at: Utc::now(),
            id: 7,
        };
        let q = parse_list_query(
            params(|p| {
                p.limit = Some("100".into());
                p.since = Some("2026-03-01T12:00:00+02:00".into());
                p.cursor = Some(c.encode());
                p.author = Some("ann-lee".into());
            }),
            Utc::now(),
        )
        .expect("ok");
        assert_eq!(q.limit, 100);
        assert_eq!(
            q.since.map(|s| s.to_rfc3339()),
            Some("2026-03-01T10:00:00+00:00".into())
        );
        assert_eq!(q.before.map(|b| b.id), Some(7));
        assert_eq!(q.author.map(|a| a.to_string()), Some("ann-lee".into()));
        let q = parse_list_query(
            params(|p| p.since = Some("2026-03-01T12:00:00 02:00".into())),
            Utc::now(),
        )
        .expect("unencoded plus is accepted");
        assert_eq!(
            q.since.map(|s| s.to_rfc3339()),
            Some("2026-03-01T10:00:00+00:00".into())
        );
    }
}
