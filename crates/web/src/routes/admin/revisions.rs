//! An article's revisions: the list, a line diff between two, and restoring an old one.

use askama::Template;
use axum::Router;
use axum::extract::{Path, Query, State};
use axum::response::Response;
use axum::routing::{get, post};
use newsdesk_core::Id;
use newsdesk_core::accounts::Action;
use newsdesk_core::editorial::Revision;
use serde::Deserialize;

use super::articles::Row;
use super::{Chrome, fmt_time, page, see_other};
use crate::auth::AdminUser;
use crate::csrf::CsrfForm;
use crate::error::AppError;
use crate::newsroom;
use crate::state::AppState;

pub(super) fn routes() -> Router<AppState> {
    Router::new()
        .route("/admin/articles/{id}/revisions", get(revisions))
        .route("/admin/articles/{id}/restore/{rev}", post(restore))
}

pub struct RevisionRow {
    pub id: Id,
    /// 1 for the article's first revision, counting up (ids are shared by every article).
    pub number: usize,
    pub when: String,
    pub editor: String,
    pub headline: String,
}

#[derive(Template)]
#[template(path = "admin/revisions.html")]
struct RevisionsView {
    chrome: Chrome,
    article: Row,
    revisions: Vec<RevisionRow>,
    to: Id,
    from_number: usize,
    to_number: usize,
    diff: Vec<(char, String)>,
}

#[derive(Deserialize)]
struct DiffParams {
    from: Option<Id>,
    to: Option<Id>,
}

async fn revisions(
    State(state): State<AppState>,
    who: AdminUser,
    Path(id): Path<Id>,
    Query(p): Query<DiffParams>,
) -> Result<Response, AppError> {
    let a = newsroom::load(&state, id).await?;
    who.require(Action::EditArticle, who.user.owns(&a))?;
    let revs: Vec<Revision> = state.store.revisions(id).await?;
    let users = state.store.list_users().await?;
    let name = |uid: Option<Id>| {
        uid.and_then(|u| users.iter().find(|x| x.id == u))
            .map_or_else(|| "—".to_owned(), |u| u.name.clone())
    };
    let to = p.to.or(revs.first().map(|r| r.id)).unwrap_or(0);
    let from = p.from.or(revs.get(1).map(|r| r.id)).unwrap_or(to);
    let find = |rid: Id| revs.iter().find(|r| r.id == rid);
    let diff = match (find(from), find(to)) {
        (Some(f), Some(t)) => {
            newsroom::line_diff(&newsroom::revision_text(f), &newsroom::revision_text(t))
        }
        _ => Vec::new(),
    };
    // Newest first, so the newest is number `len`.
    let number = |rid: Id| {
        revs.iter()
            .position(|r| r.id == rid)
            .map_or(0, |i| revs.len() - i)
    };
    page(RevisionsView {
        chrome: Chrome::new(&state, &who, "Revisions", "articles"),
        article: Row::of(&a),
        from_number: number(from),
        to_number: number(to),
        revisions: revs
            .iter()
            .map(|r| RevisionRow {
                id: r.id,
                number: number(r.id),
                when: fmt_time(&r.created_at),
                editor: name(r.editor_id),
                headline: r.headline.clone(),
            })
            .collect(),
        to,
        diff,
    })
}

async fn restore(
    State(state): State<AppState>,
    Path((id, rev)): Path<(Id, Id)>,
    CsrfForm { who, .. }: CsrfForm,
) -> Result<Response, AppError> {
    let r = state.store.revision(rev).await?.ok_or(AppError::NotFound)?;
    newsroom::restore(&state, &who.user, id, &r).await?;
    Ok(see_other(&format!("/admin/articles/{id}/revisions")))
}
