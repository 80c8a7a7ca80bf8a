//! The review queue: drafts submitted by authors and agency copy, approved (published) or rejected.

use askama::Template;
use axum::Router;
use axum::extract::{Path, State};
use axum::response::Response;
use axum::routing::{get, post};
use newsdesk_core::accounts::{Action, Ownership};
use newsdesk_core::editorial::AdminArticleQuery;
use newsdesk_core::{ArticleStatus, Id};

use super::articles::Row;
use super::{Chrome, page, see_other};
use crate::auth::AdminUser;
use crate::csrf::CsrfForm;
use crate::error::AppError;
use crate::newsroom;
use crate::state::AppState;

pub(super) fn routes() -> Router<AppState> {
    Router::new()
        .route("/admin/review", get(review_queue))
        .route("/admin/review/{id}/reject", post(reject))
        .route("/admin/review/{id}/approve", post(approve))
}

#[derive(Template)]
#[template(path = "admin/review.html")]
struct ReviewView {
    chrome: Chrome,
    rows: Vec<Row>,
}

async fn review_queue(State(state): State<AppState>, who: AdminUser) -> Result<Response, AppError> {
    who.require(Action::Review, Ownership::None)?;
    let list = state
        .store
        .admin_list_articles(&AdminArticleQuery {
            review_queue: true,
            limit: 100,
            ..Default::default()
        })
        .await?;
    page(ReviewView {
        chrome: Chrome::new(&state, &who, "Review queue", "review"),
        rows: list.iter().map(Row::of).collect(),
    })
}

async fn reject(
    State(state): State<AppState>,
    Path(id): Path<Id>,
    CsrfForm { who, .. }: CsrfForm,
) -> Result<Response, AppError> {
    newsroom::reject(&state, &who.user, id).await?;
    Ok(see_other("/admin/review"))
}

/// Approving publishes the draft as it stands, now; to change it first, open it in the editor.
async fn approve(
    State(state): State<AppState>,
    Path(id): Path<Id>,
    CsrfForm { who, .. }: CsrfForm,
) -> Result<Response, AppError> {
    who.require(Action::Review, Ownership::None)?;
    let current = newsroom::load(&state, id).await?;
    if current.status != ArticleStatus::Draft {
        return Err(AppError::Conflict(
            "Only drafts can be approved; this one is already out.".into(),
        ));
    }
    newsroom::set_status(&state, &who.user, id, ArticleStatus::Published, None).await?;
    Ok(see_other("/admin/review"))
}
