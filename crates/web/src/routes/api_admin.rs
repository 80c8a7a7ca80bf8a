//! The admin JSON API under `/api/v1`: write articles and photos with a bearer token.
//!
//! Same permissions as the admin site (both go through [`crate::newsroom`]). Errors use the
//! API's `{"error":{"code","message"}}` shape: 401 for a missing, unknown or revoked token,
//! 403 when the role does not allow the action, 422 for invalid input. The routes are
//! registered through `utoipa_axum`, so `/api/openapi.json` is generated from them.

use axum::Json;
use axum::extract::{DefaultBodyLimit, Multipart, Path, State};
use axum::http::StatusCode;
use chrono::{DateTime, Utc};
use newsdesk_core::accounts::{Action, Ownership};
use newsdesk_core::{Article, ArticleStatus, Id, Slug};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::auth::ApiUser;
use crate::error::{ApiError, AppError, ErrorBody};
use crate::newsroom::{self, ArticleInput};
use crate::state::AppState;

/// The routes, to nest under `/api/v1` (see [`crate::routes::openapi::api_v1`]).
pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(me))
        .routes(routes!(create_article))
        .routes(routes!(update_article, delete_article))
        .routes(routes!(upload_photo))
        .layer(DefaultBodyLimit::max(crate::uploads::MAX_UPLOAD_BYTES))
}

#[derive(Serialize, ToSchema)]
struct Me {
    id: Id,
    email: String,
    name: String,
    /// `admin`, `editor` or `author`.
    role: String,
    author_id: Option<Id>,
}

/// Who the token belongs to.
#[utoipa::path(get, path = "/me", tag = "admin",
    responses((status = 200, body = Me), (status = 401, body = ErrorBody)),
    security(("bearer" = [])))]
async fn me(who: ApiUser) -> Json<Me> {
    Json(Me {
        id: who.user.id,
        email: who.user.email.to_string(),
        name: who.user.name.clone(),
        role: who.user.role.as_str().to_owned(),
        author_id: who.user.author_id,
    })
}

/// An article as the admin API shows it (any status).
#[derive(Serialize, ToSchema)]
pub(crate) struct AdminArticle {
    id: Id,
    slug: String,
    headline: String,
    standfirst: String,
    body_markdown: String,
    /// `draft`, `scheduled` or `published`.
    status: String,
    published_at: Option<DateTime<Utc>>,
    updated_at: DateTime<Utc>,
    author_ids: Vec<Id>,
    tag_ids: Vec<Id>,
    section_id: Option<Id>,
    lead_photo_id: Option<Id>,
    important: bool,
    /// The public URL once visible.
    url: Option<String>,
}

impl AdminArticle {
    pub(crate) fn of(a: &Article, base: &str) -> Self {
        AdminArticle {
            id: a.id,
            slug: a.slug.to_string(),
            headline: a.headline.clone(),
            standfirst: a.standfirst.clone(),
            body_markdown: a.body_markdown.clone(),
            status: a.status.as_str().to_owned(),
            published_at: a.published_at,
            updated_at: a.updated_at,
            author_ids: a.authors.iter().map(|x| x.id).collect(),
            tag_ids: a.tags.iter().map(|t| t.id).collect(),
            section_id: a.section.as_ref().map(|t| t.id),
            lead_photo_id: a.lead_photo.as_ref().map(|p| p.id),
            important: a.important,
            url: a.is_visible_at(Utc::now()).then(|| {
                format!(
                    "{}{}",
                    base.trim_end_matches('/'),
                    crate::views::article_url(a)
                )
            }),
        }
    }
}

#[derive(Deserialize, ToSchema)]
struct CreateArticle {
    #[serde(flatten)]
    article: ArticleInput,
    /// `draft` (default), `published` (needs the right to publish) or `scheduled`.
    #[serde(default)]
    status: Option<String>,
    /// When to publish, RFC 3339 (`2026-05-01T09:00:00Z`); in the future means scheduled.
    #[serde(default)]
    #[schema(value_type = Option<String>, format = DateTime)]
    published_at: Option<String>,
}

/// `published_at` as sent; a bad value names the field and the format it should have.
fn parse_published_at(raw: Option<&str>) -> Result<Option<DateTime<Utc>>, AppError> {
    let Some(raw) = raw.map(str::trim).filter(|s| !s.is_empty()) else {
        return Ok(None);
    };
    DateTime::parse_from_rfc3339(raw)
        .map(|t| Some(t.with_timezone(&Utc)))
        .map_err(|_| {
            AppError::Unprocessable(format!(
                "published_at: {raw:?} is not an RFC 3339 date and time, e.g. 2026-05-01T09:00:00Z or 2026-05-01T12:00:00+03:00"
            ))
        })
}

fn parse_status(s: &str) -> Result<ArticleStatus, AppError> {
    ArticleStatus::parse(s).ok_or_else(|| {
        AppError::Unprocessable("status must be draft, scheduled or published".into())
    })
}

/// Parses a JSON body, answering 422 (not axum's plain-text rejection) when it does not fit.
fn json<T: serde::de::DeserializeOwned>(body: &[u8]) -> Result<T, AppError> {
    serde_json::from_slice(body)
        .map_err(|e| AppError::Unprocessable(format!("Invalid JSON body: {e}")))
}

/// Creates an article (a draft unless `status` says otherwise).
#[utoipa::path(post, path = "/articles", tag = "admin", request_body = CreateArticle,
    responses((status = 201, body = AdminArticle), (status = 401, body = ErrorBody),
        (status = 403, body = ErrorBody), (status = 409, body = ErrorBody),
        (status = 422, body = ErrorBody)),
    security(("bearer" = [])))]
async fn create_article(
    State(state): State<AppState>,
    who: ApiUser,
    body: axum::body::Bytes,
) -> Result<(StatusCode, Json<AdminArticle>), ApiError> {
    let mut req: CreateArticle = json(&body)?;
    let status = req.status.as_deref().map(parse_status).transpose()?;
    let published_at = parse_published_at(req.published_at.as_deref())?;
    if req.article.section_id.is_none() {
        req.article.section_id = req.article.tag_ids.first().copied();
    }
    // Refuse before creating anything, so a forbidden publish leaves no draft behind.
    if matches!(status, Some(s) if s != ArticleStatus::Draft) {
        who.require(Action::PublishArticle, Ownership::Own)?;
    }
    let mut a = newsroom::create(&state, &who.user, &req.article).await?;
    if let Some(s) = status.filter(|s| *s != ArticleStatus::Draft) {
        a = newsroom::set_status(&state, &who.user, a.id, s, published_at).await?;
    }
    Ok((
        StatusCode::CREATED,
        Json(AdminArticle::of(&a, &state.site.base_url)),
    ))
}

#[derive(Deserialize, ToSchema, Default)]
struct PatchArticle {
    headline: Option<String>,
    standfirst: Option<String>,
    body_markdown: Option<String>,
    slug: Option<String>,
    tag_ids: Option<Vec<Id>>,
    /// The section (one of the tags; added to them when missing). `null`: no section. Left
    /// out: the current section while it stays among the tags, else the first tag.
    #[serde(default, deserialize_with = "present")]
    #[schema(value_type = Option<i64>)]
    section_id: Option<Option<Id>>,
    /// The byline. Authors may not change it (403).
    author_ids: Option<Vec<Id>>,
    /// `null` removes the lead photo.
    #[serde(default, deserialize_with = "present")]
    #[schema(value_type = Option<i64>)]
    lead_photo_id: Option<Option<Id>>,
    important: Option<bool>,
    /// `draft` unpublishes; `published`/`scheduled` publish at `published_at` (default now).
    status: Option<String>,
    /// RFC 3339, e.g. `2026-05-01T09:00:00Z`.
    #[schema(value_type = Option<String>, format = DateTime)]
    published_at: Option<String>,
}

/// A field that is present (even as `null`) is `Some`.
fn present<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Option<Option<Id>>, D::Error> {
    Option::<Id>::deserialize(d).map(Some)
}

/// Finds an article by numeric id, or a published or scheduled one by slug.
pub(crate) async fn find(state: &AppState, key: &str) -> Result<Article, AppError> {
    if let Ok(id) = key.parse::<Id>() {
        return newsroom::load(state, id).await;
    }
    let slug = Slug::parse(key).map_err(|_| AppError::NotFound)?;
    state
        .store
        .visible_article_by_slug(&slug, DateTime::<Utc>::MAX_UTC)
        .await?
        .ok_or(AppError::NotFound)
}

/// Edits fields and/or publishes, schedules or unpublishes. `{slug}` is the article's id or slug.
#[utoipa::path(patch, path = "/articles/{slug}", tag = "admin", request_body = PatchArticle,
    params(("slug" = String, Path, description = "the article's numeric id or its slug")),
    responses((status = 200, body = AdminArticle), (status = 401, body = ErrorBody),
        (status = 403, body = ErrorBody), (status = 404, body = ErrorBody),
        (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)),
    security(("bearer" = [])))]
async fn update_article(
    State(state): State<AppState>,
    who: ApiUser,
    Path(key): Path<String>,
    body: axum::body::Bytes,
) -> Result<Json<AdminArticle>, ApiError> {
    let p: PatchArticle = json(&body)?;
    let current = find(&state, &key).await?;
    let status = p.status.as_deref().map(parse_status).transpose()?;
    let published_at = parse_published_at(p.published_at.as_deref())?;
    let own = who.user.owns(&current);
    if status.is_some() {
        who.require(Action::PublishArticle, own)?;
    }
    let edits_text = p.headline.is_some()
        || p.standfirst.is_some()
        || p.body_markdown.is_some()
        || p.slug.is_some()
        || p.tag_ids.is_some()
        || p.section_id.is_some()
        || p.author_ids.is_some()
        || p.lead_photo_id.is_some()
        || p.important.is_some();
    let mut a = current.clone();
    if edits_text {
        let tag_ids = p
            .tag_ids
            .unwrap_or_else(|| current.tags.iter().map(|t| t.id).collect());
        let section_id = match p.section_id {
            Some(s) => s,
            None => current
                .section
                .as_ref()
                .map(|t| t.id)
                .filter(|id| tag_ids.contains(id))
                .or_else(|| tag_ids.first().copied()),
        };
        let input = ArticleInput {
            headline: p.headline.unwrap_or_else(|| current.headline.clone()),
            standfirst: p.standfirst.unwrap_or_else(|| current.standfirst.clone()),
            body_markdown: p
                .body_markdown
                .unwrap_or_else(|| current.body_markdown.clone()),
            slug: Some(p.slug.unwrap_or_else(|| current.slug.to_string())),
            tag_ids,
            section_id,
            // Left out: unchanged (and no byline check for authors).
            author_ids: p.author_ids,
            lead_photo_id: p
                .lead_photo_id
                .unwrap_or_else(|| current.lead_photo.as_ref().map(|x| x.id)),
            important: p.important.unwrap_or(current.important),
        };
        a = newsroom::edit(&state, &who.user, current.id, &input).await?;
    }
    if let Some(s) = status {
        a = newsroom::set_status(&state, &who.user, current.id, s, published_at).await?;
    }
    Ok(Json(AdminArticle::of(&a, &state.site.base_url)))
}

/// Deletes an article (editors and admins).
#[utoipa::path(delete, path = "/articles/{slug}", tag = "admin",
    params(("slug" = String, Path, description = "the article's numeric id or its slug")),
    responses((status = 204), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
        (status = 404, body = ErrorBody)),
    security(("bearer" = [])))]
async fn delete_article(
    State(state): State<AppState>,
    who: ApiUser,
    Path(key): Path<String>,
) -> Result<StatusCode, ApiError> {
    let current = find(&state, &key).await?;
    newsroom::delete(&state, &who.user, current.id).await?;
    Ok(StatusCode::NO_CONTENT)
}

#[derive(Serialize, ToSchema)]
struct PhotoOut {
    id: Id,
    url: String,
    width: u32,
    height: u32,
    /// `srcset` of the resized copies.
    srcset: String,
}

/// Uploads a photo: multipart fields `file`, `alt`, `caption`, `credit` (all required).
#[utoipa::path(post, path = "/photos", tag = "admin",
    request_body(content_type = "multipart/form-data", description = "file, alt, caption, credit"),
    responses((status = 201, body = PhotoOut), (status = 401, body = ErrorBody),
        (status = 403, body = ErrorBody), (status = 422, body = ErrorBody)),
    security(("bearer" = [])))]
async fn upload_photo(
    State(state): State<AppState>,
    who: ApiUser,
    multipart: Multipart,
) -> Result<(StatusCode, Json<PhotoOut>), ApiError> {
    who.require(Action::UploadPhoto, Ownership::None)?;
    let form = crate::uploads::read_form(multipart).await?;
    let p = crate::uploads::store_photo(&state, &who.user, &form).await?;
    let rends = state.store.photo_renditions(p.id).await?;
    Ok((
        StatusCode::CREATED,
        Json(PhotoOut {
            id: p.id,
            url: crate::views::photo_url(&p),
            width: p.width,
            height: p.height,
            srcset: newsdesk_core::editorial::srcset(&rends),
        }),
    ))
}
