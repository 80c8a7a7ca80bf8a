//! The wire desk's feeds and their health (admins only; they are managed through the CLI and
//! the JSON API, `routes/sources.rs`).

use askama::Template;
use axum::Router;
use axum::extract::State;
use axum::response::Response;
use axum::routing::get;
use newsdesk_core::accounts::{Action, Ownership};

use super::{Chrome, fmt_time, page};
use crate::auth::AdminUser;
use crate::error::AppError;
use crate::state::AppState;

pub(super) fn routes() -> Router<AppState> {
    Router::new().route("/admin/sources", get(sources))
}

/// One feed's health, as the sources page shows it.
pub struct SourceRow {
    pub name: String,
    pub feed_url: String,
    /// `ok`, `failing`, `paused` or `new`.
    pub health: &'static str,
    pub last_success: String,
    pub errors: i32,
    pub last_error: String,
    pub next_poll: String,
    pub every: String,
}

#[derive(Template)]
#[template(path = "admin/sources.html")]
struct SourcesView {
    chrome: Chrome,
    sources: Vec<SourceRow>,
}

async fn sources(State(state): State<AppState>, who: AdminUser) -> Result<Response, AppError> {
    who.require(Action::ManageSources, Ownership::None)?;
    let list = state.store.list_sources().await?;
    let sources = list
        .iter()
        .map(|s| SourceRow {
            name: s.name.clone(),
            feed_url: s.feed_url.clone(),
            health: if s.paused {
                "paused"
            } else if s.consecutive_errors > 0 {
                "failing"
            } else if s.last_success_at.is_some() {
                "ok"
            } else {
                "new"
            },
            last_success: s
                .last_success_at
                .map_or_else(|| "never".to_owned(), |t| fmt_time(&t)),
            errors: s.consecutive_errors,
            last_error: s.last_error.clone().unwrap_or_default(),
            next_poll: fmt_time(&s.next_poll_at),
            every: format!("{} min", s.current_interval_seconds / 60),
        })
        .collect();
    page(SourcesView {
        chrome: Chrome::new(&state, &who, "Sources", "sources"),
        sources,
    })
}
