//! The story desk in the JSON API, under `/api/v1/stories`: recent story clusters with their
//! members, one story, and the editor's corrections (merge another story in, move a member out
//! into a story of its own, choose the lead version). Editors and admins only. The actions are
//! shared with the admin pages (`routes/admin/stories.rs`).

use axum::Json;
use axum::extract::rejection::JsonRejection;
use axum::extract::{Path, Query, State};
use chrono::{DateTime, Utc};
use newsdesk_core::accounts::{Action, Ownership};
use newsdesk_core::stories::{RECENT_STORIES, StoryCluster, StoryMember};
use newsdesk_core::{Id, StoreError};
use newsdesk_ingest::stories::DeskSummaries;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::auth::ApiUser;
use crate::error::{ApiError, AppError, ErrorBody};
use crate::state::AppState;

/// The routes, to nest under `/api/v1` (documented in `/api/openapi.json`).
pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list_stories))
        .routes(routes!(show_story))
        .routes(routes!(merge_story))
        .routes(routes!(split_story_member))
        .routes(routes!(choose_story_lead))
}

/// Largest `limit` a listing takes.
const MAX_LIST: u32 = 200;

#[derive(Debug, Serialize, ToSchema)]
#[schema(as = StoryMember)]
struct MemberDto {
    item_id: Id,
    source_id: Id,
    /// The outlet's name.
    source: String,
    headline: String,
    /// The outlet's own page.
    url: String,
    published_at: DateTime<Utc>,
    /// Moved out of another story by an editor: placement never puts it back.
    pinned: bool,
    /// The story's lead version.
    lead: bool,
}

#[derive(Debug, Serialize, ToSchema)]
#[schema(as = Story)]
struct StoryDto {
    id: Id,
    /// Versions (feed items) in the story.
    size: usize,
    /// Distinct outlets carrying it.
    outlets: usize,
    article_id: Option<Id>,
    /// The readers' full coverage page, while the article is visible.
    coverage_url: Option<String>,
    lead_item_id: Option<Id>,
    /// Whether an editor chose the lead (else the first reporter leads).
    lead_chosen: bool,
    created_at: DateTime<Utc>,
    /// Newest first.
    members: Vec<MemberDto>,
}

fn member(m: &StoryMember, lead: Option<Id>) -> MemberDto {
    MemberDto {
        item_id: m.item_id,
        source_id: m.source_id,
        source: m.source.clone(),
        headline: m.headline.clone(),
        url: m.url.clone(),
        published_at: m.at,
        pinned: m.pinned,
        lead: Some(m.item_id) == lead,
    }
}

impl StoryDto {
    fn of(s: &StoryCluster, base: &str) -> StoryDto {
        StoryDto {
            id: s.id,
            size: s.members.len(),
            outlets: s.outlets(),
            article_id: s.article_id,
            coverage_url: s
                .article_public
                .then(|| format!("{}/stories/{}", base.trim_end_matches('/'), s.id)),
            lead_item_id: s.lead_item_id,
            lead_chosen: s.lead_chosen,
            created_at: s.created_at,
            members: s
                .members
                .iter()
                .map(|m| member(m, s.lead_item_id))
                .collect(),
        }
    }
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
struct ListParams {
    /// At most this many stories (default 50, at most 200).
    limit: Option<u32>,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
struct MergeInput {
    /// The story merged into this one (it is removed; its article stays).
    from: Id,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
struct ItemInput {
    /// A member of the story (a feed item id).
    item_id: Id,
}

fn allowed(who: &ApiUser) -> Result<(), ApiError> {
    who.require(Action::Review, Ownership::None)
        .map_err(ApiError)
}

fn body<T>(input: Result<Json<T>, JsonRejection>) -> Result<T, ApiError> {
    input
        .map(|Json(v)| v)
        .map_err(|e| ApiError(AppError::Unprocessable(e.body_text())))
}

/// What an action's store error means to the editor.
fn desk_error(e: StoreError, conflict: &str) -> AppError {
    match e {
        StoreError::Conflict(_) => AppError::Conflict(conflict.to_owned()),
        other => AppError::from(other),
    }
}

/// Merges story `from` into `into` (shared with the admin pages).
pub(crate) async fn merge_stories(
    state: &AppState,
    into: Id,
    from: Id,
) -> Result<StoryCluster, AppError> {
    let summaries = DeskSummaries::warm_default(state.store.as_ref()).await?;
    state
        .store
        .merge_stories(into, from, &summaries)
        .await
        .map_err(|e| desk_error(e, "A story cannot be merged into itself."))
}

/// Moves a member out into a story of its own; returns the new story.
pub(crate) async fn split_story(
    state: &AppState,
    story: Id,
    item_id: Id,
) -> Result<StoryCluster, AppError> {
    let summaries = DeskSummaries::warm_default(state.store.as_ref()).await?;
    state
        .store
        .split_story(story, item_id, &summaries)
        .await
        .map_err(|e| desk_error(e, "The story's only version cannot be moved out."))
}

/// Recent stories, newest first.
#[utoipa::path(get, path = "/stories", tag = "stories", params(ListParams),
    responses((status = 200, body = [StoryDto]), (status = 401, body = ErrorBody),
        (status = 403, body = ErrorBody)),
    security(("bearer" = [])))]
async fn list_stories(
    who: ApiUser,
    State(state): State<AppState>,
    params: Result<Query<ListParams>, axum::extract::rejection::QueryRejection>,
) -> Result<Json<Vec<StoryDto>>, ApiError> {
    allowed(&who)?;
    let Query(params) = params.map_err(|e| ApiError(AppError::Unprocessable(e.body_text())))?;
    let limit = params.limit.unwrap_or(RECENT_STORIES).clamp(1, MAX_LIST);
    let stories = state.store.recent_stories(limit).await?;
    Ok(Json(
        stories
            .iter()
            .map(|s| StoryDto::of(s, &state.site.base_url))
            .collect(),
    ))
}

/// One story with its members.
#[utoipa::path(get, path = "/stories/{id}", tag = "stories",
    params(("id" = i64, Path, description = "The story's id.")),
    responses((status = 200, body = StoryDto), (status = 401, body = ErrorBody),
        (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)),
    security(("bearer" = [])))]
async fn show_story(
    who: ApiUser,
    State(state): State<AppState>,
    Path(id): Path<Id>,
) -> Result<Json<StoryDto>, ApiError> {
    allowed(&who)?;
    let story = state.store.story(id).await?.ok_or(AppError::NotFound)?;
    Ok(Json(StoryDto::of(&story, &state.site.base_url)))
}

/// Merges another story into this one: its members, and where later reports of it go.
#[utoipa::path(post, path = "/stories/{id}/merge", tag = "stories", request_body = MergeInput,
    params(("id" = i64, Path, description = "The story that remains.")),
    responses((status = 200, body = StoryDto), (status = 401, body = ErrorBody),
        (status = 403, body = ErrorBody), (status = 404, body = ErrorBody),
        (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)),
    security(("bearer" = [])))]
async fn merge_story(
    who: ApiUser,
    State(state): State<AppState>,
    Path(id): Path<Id>,
    input: Result<Json<MergeInput>, JsonRejection>,
) -> Result<Json<StoryDto>, ApiError> {
    allowed(&who)?;
    let input = body(input)?;
    let story = merge_stories(&state, id, input.from).await?;
    tracing::info!(
        user = who.user.id,
        into = id,
        from = input.from,
        "stories merged"
    );
    Ok(Json(StoryDto::of(&story, &state.site.base_url)))
}

/// Moves a member out into a story of its own (answers with the new story); it never rejoins
/// by itself.
#[utoipa::path(post, path = "/stories/{id}/split", tag = "stories", request_body = ItemInput,
    params(("id" = i64, Path, description = "The story the member leaves.")),
    responses((status = 200, body = StoryDto), (status = 401, body = ErrorBody),
        (status = 403, body = ErrorBody), (status = 404, body = ErrorBody),
        (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)),
    security(("bearer" = [])))]
async fn split_story_member(
    who: ApiUser,
    State(state): State<AppState>,
    Path(id): Path<Id>,
    input: Result<Json<ItemInput>, JsonRejection>,
) -> Result<Json<StoryDto>, ApiError> {
    allowed(&who)?;
    let input = body(input)?;
    let story = split_story(&state, id, input.item_id).await?;
    tracing::info!(
        user = who.user.id,
        from = id,
        item = input.item_id,
        "story member moved out"
    );
    Ok(Json(StoryDto::of(&story, &state.site.base_url)))
}

/// Makes a member the lead version: the story's article takes its headline and source.
#[utoipa::path(post, path = "/stories/{id}/lead", tag = "stories", request_body = ItemInput,
    params(("id" = i64, Path, description = "The story's id.")),
    responses((status = 200, body = StoryDto), (status = 401, body = ErrorBody),
        (status = 403, body = ErrorBody), (status = 404, body = ErrorBody),
        (status = 422, body = ErrorBody)),
    security(("bearer" = [])))]
async fn choose_story_lead(
    who: ApiUser,
    State(state): State<AppState>,
    Path(id): Path<Id>,
    input: Result<Json<ItemInput>, JsonRejection>,
) -> Result<Json<StoryDto>, ApiError> {
    allowed(&who)?;
    let input = body(input)?;
    let story = state.store.set_story_lead(id, input.item_id).await?;
    tracing::info!(
        user = who.user.id,
        story = id,
        item = input.item_id,
        "story lead chosen"
    );
    Ok(Json(StoryDto::of(&story, &state.site.base_url)))
}
