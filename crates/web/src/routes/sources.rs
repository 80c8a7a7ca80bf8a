//! The wire desk's sources in the JSON API, under `/api/v1/sources`: list, add, show, edit
//! (name, policy, interval, pause/resume), remove, and a source's recent items with their state
//! and errors. Every route needs an API token whose role may manage sources.

use axum::Json;
use axum::extract::rejection::JsonRejection;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use chrono::{DateTime, Utc};
use newsdesk_core::accounts::{Action, Ownership};
use newsdesk_core::ingest::{Item, NewSource, Source, SourcePatch};
use newsdesk_core::{Id, StoreError};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::auth::ApiUser;
use crate::error::{ApiError, AppError, ErrorBody};
use crate::state::AppState;

/// Polling interval when a new source names none.
const DEFAULT_INTERVAL: &str = "15m";

/// The routes, to nest under `/api/v1` (documented in `/api/openapi.json`).
pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list, create))
        .routes(routes!(show, update, remove))
        .routes(routes!(items))
}

#[derive(Debug, Serialize, ToSchema)]
#[schema(as = FeedSource)]
struct SourceDto {
    id: Id,
    name: String,
    feed_url: String,
    site_url: Option<String>,
    auto_publish: bool,
    paused: bool,
    interval_seconds: i64,
    /// The adaptive interval in use now.
    current_interval_seconds: i64,
    next_poll_at: DateTime<Utc>,
    last_polled_at: Option<DateTime<Utc>>,
    last_success_at: Option<DateTime<Utc>>,
    consecutive_errors: i32,
    last_error: Option<String>,
    created_at: DateTime<Utc>,
}

impl From<Source> for SourceDto {
    fn from(s: Source) -> Self {
        SourceDto {
            id: s.id,
            name: s.name,
            feed_url: s.feed_url,
            site_url: s.site_url,
            auto_publish: s.auto_publish,
            paused: s.paused,
            interval_seconds: s.interval_seconds,
            current_interval_seconds: s.current_interval_seconds,
            next_poll_at: s.next_poll_at,
            last_polled_at: s.last_polled_at,
            last_success_at: s.last_success_at,
            consecutive_errors: s.consecutive_errors,
            last_error: s.last_error,
            created_at: s.created_at,
        }
    }
}

#[derive(Debug, Serialize, ToSchema)]
#[schema(as = FeedItem)]
struct ItemDto {
    id: Id,
    url: String,
    title: String,
    /// `queued`, `held`, `clustered` or `failed`.
    state: &'static str,
    attempts: i32,
    last_error: Option<String>,
    hold_reason: Option<String>,
    cluster_id: Option<Id>,
    created_at: DateTime<Utc>,
}

impl From<Item> for ItemDto {
    fn from(i: Item) -> Self {
        ItemDto {
            id: i.id,
            url: i.url,
            title: i.title,
            state: i.state.as_str(),
            attempts: i.attempts,
            last_error: i.last_error,
            hold_reason: i.hold_reason,
            cluster_id: i.cluster_id,
            created_at: i.created_at,
        }
    }
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
struct CreateSource {
    url: String,
    name: Option<String>,
    #[serde(default)]
    auto_publish: bool,
    /// e.g. `15m`, `1h`, `90s`.
    interval: Option<String>,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
struct UpdateSource {
    name: Option<String>,
    auto_publish: Option<bool>,
    interval: Option<String>,
    paused: Option<bool>,
}

fn allowed(who: &ApiUser) -> Result<(), ApiError> {
    who.require(Action::ManageSources, Ownership::None)
        .map_err(ApiError)
}

fn body<T>(input: Result<Json<T>, JsonRejection>) -> Result<T, ApiError> {
    input
        .map(|Json(v)| v)
        .map_err(|e| ApiError(AppError::BadRequest(e.body_text())))
}

fn interval(raw: &str) -> Result<i64, ApiError> {
    newsdesk_core::ingest::parse_interval(raw).map_err(|e| ApiError(AppError::Unprocessable(e)))
}

/// Every feed source with its health.
#[utoipa::path(get, path = "/sources", tag = "sources",
    responses((status = 200, body = Vec<SourceDto>), (status = 401, body = ErrorBody),
        (status = 403, body = ErrorBody)),
    security(("bearer" = [])))]
async fn list(who: ApiUser, State(state): State<AppState>) -> Result<Response, ApiError> {
    allowed(&who)?;
    let sources: Vec<SourceDto> = state
        .store
        .list_sources()
        .await?
        .into_iter()
        .map(SourceDto::from)
        .collect();
    Ok(Json(sources).into_response())
}

/// Adds a feed.
#[utoipa::path(post, path = "/sources", tag = "sources", request_body = CreateSource,
    responses((status = 201, body = SourceDto), (status = 400, body = ErrorBody),
        (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
        (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)),
    security(("bearer" = [])))]
async fn create(
    who: ApiUser,
    State(state): State<AppState>,
    input: Result<Json<CreateSource>, JsonRejection>,
) -> Result<Response, ApiError> {
    allowed(&who)?;
    let input = body(input)?;
    let url = url::Url::parse(input.url.trim())
        .ok()
        .filter(|u| matches!(u.scheme(), "http" | "https") && u.host_str().is_some())
        .ok_or_else(|| {
            ApiError(AppError::Unprocessable(format!(
                "{:?} is not an http(s) URL",
                input.url
            )))
        })?;
    crate::webhooks::check_destination(&state, &url).await?;
    // A home page whose feed is already followed would only fail at every poll. A page that
    // cannot be fetched now is still added: its polls will say why.
    if let Some(discovery) = &state.discovery
        && let Ok(feed) = discovery.discover(url.as_str()).await
        && feed != url.as_str()
    {
        let sources = state.store.list_sources().await?;
        if let Some(other) = newsdesk_core::ingest::already_following(&sources, &feed) {
            return Err(ApiError(AppError::Conflict(
                newsdesk_core::ingest::already_followed_message(url.as_str(), &feed, other),
            )));
        }
    }
    let interval_seconds = interval(input.interval.as_deref().unwrap_or(DEFAULT_INTERVAL))?;
    let created = state
        .store
        .create_source(
            &NewSource {
                feed_url: url.to_string(),
                name: input.name.filter(|n| !n.trim().is_empty()),
                auto_publish: input.auto_publish,
                interval_seconds,
            },
            Utc::now(),
        )
        .await
        .map_err(|e| match e {
            StoreError::Conflict(_) => {
                ApiError(AppError::Conflict(format!("{url} is already a source")))
            }
            other => ApiError::from(other),
        })?;
    Ok((StatusCode::CREATED, Json(SourceDto::from(created))).into_response())
}

/// One source.
#[utoipa::path(get, path = "/sources/{id}", tag = "sources",
    params(("id" = i64, Path, description = "The source's id.")),
    responses((status = 200, body = SourceDto), (status = 401, body = ErrorBody),
        (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)),
    security(("bearer" = [])))]
async fn show(
    who: ApiUser,
    State(state): State<AppState>,
    Path(id): Path<Id>,
) -> Result<Response, ApiError> {
    allowed(&who)?;
    let s = state
        .store
        .source(id)
        .await?
        .ok_or(ApiError(AppError::NotFound))?;
    Ok(Json(SourceDto::from(s)).into_response())
}

/// Renames, changes the policy or interval, pauses or resumes a source.
#[utoipa::path(patch, path = "/sources/{id}", tag = "sources", request_body = UpdateSource,
    params(("id" = i64, Path, description = "The source's id.")),
    responses((status = 200, body = SourceDto), (status = 400, body = ErrorBody),
        (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
        (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)),
    security(("bearer" = [])))]
async fn update(
    who: ApiUser,
    State(state): State<AppState>,
    Path(id): Path<Id>,
    input: Result<Json<UpdateSource>, JsonRejection>,
) -> Result<Response, ApiError> {
    allowed(&who)?;
    let input = body(input)?;
    let patch = SourcePatch {
        name: input.name.filter(|n| !n.trim().is_empty()),
        auto_publish: input.auto_publish,
        interval_seconds: input.interval.as_deref().map(interval).transpose()?,
        paused: input.paused,
    };
    let s = state.store.update_source(id, &patch).await?;
    Ok(Json(SourceDto::from(s)).into_response())
}

/// Removes a source and its items.
#[utoipa::path(delete, path = "/sources/{id}", tag = "sources",
    params(("id" = i64, Path, description = "The source's id.")),
    responses((status = 204), (status = 401, body = ErrorBody),
        (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)),
    security(("bearer" = [])))]
async fn remove(
    who: ApiUser,
    State(state): State<AppState>,
    Path(id): Path<Id>,
) -> Result<Response, ApiError> {
    allowed(&who)?;
    state.store.delete_source(id).await?;
    Ok(StatusCode::NO_CONTENT.into_response())
}

/// A source's most recent items (up to 100) with their state and errors.
#[utoipa::path(get, path = "/sources/{id}/items", tag = "sources",
    params(("id" = i64, Path, description = "The source's id.")),
    responses((status = 200, body = Vec<ItemDto>), (status = 401, body = ErrorBody),
        (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)),
    security(("bearer" = [])))]
async fn items(
    who: ApiUser,
    State(state): State<AppState>,
    Path(id): Path<Id>,
) -> Result<Response, ApiError> {
    allowed(&who)?;
    if state.store.source(id).await?.is_none() {
        return Err(ApiError(AppError::NotFound));
    }
    let items: Vec<ItemDto> = state
        .store
        .list_items(Some(id), 100)
        .await?
        .into_iter()
        .map(ItemDto::from)
        .collect();
    Ok(Json(items).into_response())
}
