//! The audit log (admins only), newest first, a hundred entries a page.

use askama::Template;
use axum::Router;
use axum::extract::{Query, State};
use axum::response::Response;
use axum::routing::get;
use newsdesk_core::Id;
use newsdesk_core::accounts::{Action, AuditEntry, Ownership};
use serde::Deserialize;

use super::{Chrome, fmt_time, page};
use crate::auth::AdminUser;
use crate::error::AppError;
use crate::state::AppState;

pub(super) fn routes() -> Router<AppState> {
    Router::new().route("/admin/audit", get(audit_log))
}

#[derive(Template)]
#[template(path = "admin/audit.html")]
struct AuditView {
    chrome: Chrome,
    entries: Vec<(String, AuditEntry)>,
    next: Option<Id>,
}

#[derive(Deserialize)]
struct AuditParams {
    before: Option<Id>,
}

async fn audit_log(
    State(state): State<AppState>,
    who: AdminUser,
    Query(p): Query<AuditParams>,
) -> Result<Response, AppError> {
    who.require(Action::ViewAuditLog, Ownership::None)?;
    let entries = state.store.list_audit(p.before, 100).await?;
    let next = (entries.len() == 100)
        .then(|| entries.last().map(|e| e.id))
        .flatten();
    page(AuditView {
        chrome: Chrome::new(&state, &who, "Audit log", "audit"),
        entries: entries.into_iter().map(|e| (fmt_time(&e.at), e)).collect(),
        next,
    })
}
