//! The story desk (editors and admins): recent story clusters with their sizes and members
//! (outlet, headline, time, original link) and the lead version; merge another story in, move
//! a member out into a story of its own, choose the lead. Every correction is audited and kept
//! where placement reads it (see `newsdesk_core::stories`).

use askama::Template;
use axum::Router;
use axum::extract::{Path, State};
use axum::response::Response;
use axum::routing::{get, post};
use newsdesk_core::Id;
use newsdesk_core::accounts::{Action, Ownership};
use newsdesk_core::stories::RECENT_STORIES;
use serde::Deserialize;

use super::{Chrome, audited_change, fmt_time, page};
use crate::auth::AdminUser;
use crate::csrf::CsrfForm;
use crate::error::AppError;
use crate::state::AppState;
use crate::views::is_safe_link;

pub(super) fn routes() -> Router<AppState> {
    Router::new()
        .route("/admin/stories", get(stories))
        .route("/admin/stories/{id}/merge", post(merge))
        .route("/admin/stories/{id}/split", post(split))
        .route("/admin/stories/{id}/lead", post(lead))
}

pub struct MemberRow {
    pub item_id: Id,
    pub source: String,
    pub headline: String,
    /// Empty when the link is not one to follow.
    pub href: String,
    pub time: String,
    pub lead: bool,
    pub pinned: bool,
}

pub struct StoryRow {
    pub id: Id,
    pub size: usize,
    pub outlets: usize,
    pub lead_chosen: bool,
    /// The readers' full coverage page, while the story's article is visible.
    pub coverage: Option<String>,
    pub members: Vec<MemberRow>,
}

#[derive(Template)]
#[template(path = "admin/stories.html")]
struct StoriesView {
    chrome: Chrome,
    stories: Vec<StoryRow>,
}

async fn stories(State(state): State<AppState>, who: AdminUser) -> Result<Response, AppError> {
    who.require(Action::Review, Ownership::None)?;
    let list = state.store.recent_stories(RECENT_STORIES).await?;
    let stories = list
        .iter()
        .map(|s| StoryRow {
            id: s.id,
            size: s.members.len(),
            outlets: s.outlets(),
            lead_chosen: s.lead_chosen,
            coverage: s.article_public.then(|| format!("/stories/{}", s.id)),
            members: s
                .members
                .iter()
                .map(|m| MemberRow {
                    item_id: m.item_id,
                    source: m.source.clone(),
                    headline: m.headline.clone(),
                    href: if is_safe_link(&m.url) {
                        m.url.clone()
                    } else {
                        String::new()
                    },
                    time: fmt_time(&m.at),
                    lead: s.lead_item_id == Some(m.item_id),
                    pinned: m.pinned,
                })
                .collect(),
        })
        .collect();
    page(StoriesView {
        chrome: Chrome::new(&state, &who, "Stories", "stories"),
        stories,
    })
}

#[derive(Deserialize)]
struct MergeForm {
    from: Id,
}

#[derive(Deserialize)]
struct ItemForm {
    item_id: Id,
}

const BACK: &str = "/admin/stories";

async fn merge(
    State(state): State<AppState>,
    Path(id): Path<Id>,
    CsrfForm { who, form }: CsrfForm<MergeForm>,
) -> Result<Response, AppError> {
    let change = async {
        crate::routes::stories::merge_stories(&state, id, form.from).await?;
        Ok(format!("story {} merged into story {id}", form.from))
    };
    audited_change(
        &state,
        &who,
        Some(Action::Review),
        "story.merge",
        BACK,
        change,
    )
    .await
}

async fn split(
    State(state): State<AppState>,
    Path(id): Path<Id>,
    CsrfForm { who, form }: CsrfForm<ItemForm>,
) -> Result<Response, AppError> {
    let change = async {
        let own = crate::routes::stories::split_story(&state, id, form.item_id).await?;
        Ok(format!(
            "item {} moved out of story {id} into story {}",
            form.item_id, own.id
        ))
    };
    audited_change(
        &state,
        &who,
        Some(Action::Review),
        "story.split",
        BACK,
        change,
    )
    .await
}

async fn lead(
    State(state): State<AppState>,
    Path(id): Path<Id>,
    CsrfForm { who, form }: CsrfForm<ItemForm>,
) -> Result<Response, AppError> {
    let change = async {
        state.store.set_story_lead(id, form.item_id).await?;
        Ok(format!("item {} leads story {id}", form.item_id))
    };
    audited_change(
        &state,
        &who,
        Some(Action::Review),
        "story.lead",
        BACK,
        change,
    )
    .await
}
