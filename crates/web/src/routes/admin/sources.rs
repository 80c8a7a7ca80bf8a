//! The wire desk's feeds (admins only): their health, and adding, editing (name, interval,
//! publishing policy), pausing, resuming and removing them, as the CLI (`newsdesk sources`) and
//! the JSON API (`routes/sources.rs`) can.

use askama::Template;
use axum::Router;
use axum::extract::{Path, State};
use axum::response::Response;
use axum::routing::{get, post};
use chrono::Utc;
use newsdesk_core::accounts::{Action, Ownership};
use newsdesk_core::ingest::{NewSource, SourcePatch, parse_interval};
use newsdesk_core::{Id, StoreError};
use serde::Deserialize;

use super::{Chrome, audited_change, fmt_time, page};
use crate::auth::AdminUser;
use crate::csrf::CsrfForm;
use crate::error::AppError;
use crate::state::AppState;

pub(super) fn routes() -> Router<AppState> {
    Router::new()
        .route("/admin/sources", get(sources).post(add_source))
        .route("/admin/sources/{id}", post(edit_source))
        .route("/admin/sources/{id}/pause", post(pause_source))
        .route("/admin/sources/{id}/resume", post(resume_source))
        .route("/admin/sources/{id}/delete", post(delete_source))
}

/// One feed's health, as the sources page shows it.
pub struct SourceRow {
    pub id: Id,
    pub name: String,
    pub feed_url: String,
    /// `ok`, `failing`, `paused` or `new`.
    pub health: &'static str,
    pub paused: bool,
    pub auto_publish: bool,
    pub last_success: String,
    pub errors: i32,
    pub last_error: String,
    pub next_poll: String,
    pub every: String,
    /// The interval asked for, as the edit form shows it (`15m`).
    pub interval: String,
}

#[derive(Template)]
#[template(path = "admin/sources.html")]
struct SourcesView {
    chrome: Chrome,
    sources: Vec<SourceRow>,
    /// The add form as it was sent, when it was refused.
    add: AddForm,
}

#[derive(Deserialize, Default)]
struct AddForm {
    #[serde(default)]
    url: String,
    #[serde(default)]
    name: String,
    #[serde(default)]
    interval: String,
    #[serde(default)]
    auto_publish: Option<String>,
}

fn interval_text(seconds: i64) -> String {
    if seconds % 3600 == 0 {
        format!("{}h", seconds / 3600)
    } else if seconds % 60 == 0 {
        format!("{}m", seconds / 60)
    } else {
        format!("{seconds}s")
    }
}

async fn sources_view(
    state: &AppState,
    who: &AdminUser,
    add: AddForm,
) -> Result<SourcesView, AppError> {
    let list = state.store.list_sources().await?;
    let sources = list
        .iter()
        .map(|s| SourceRow {
            id: s.id,
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
            paused: s.paused,
            auto_publish: s.auto_publish,
            last_success: s
                .last_success_at
                .map_or_else(|| "never".to_owned(), |t| fmt_time(&t)),
            errors: s.consecutive_errors,
            last_error: s.last_error.clone().unwrap_or_default(),
            next_poll: fmt_time(&s.next_poll_at),
            every: format!("{} min", s.current_interval_seconds / 60),
            interval: interval_text(s.interval_seconds),
        })
        .collect();
    Ok(SourcesView {
        chrome: Chrome::new(state, who, "Sources", "sources"),
        sources,
        add,
    })
}

async fn sources(State(state): State<AppState>, who: AdminUser) -> Result<Response, AppError> {
    who.require(Action::ManageSources, Ownership::None)?;
    page(sources_view(&state, &who, AddForm::default()).await?)
}

fn unprocessable(m: impl Into<String>) -> AppError {
    AppError::Unprocessable(m.into())
}

async fn add_source(
    State(state): State<AppState>,
    CsrfForm { who, form }: CsrfForm<AddForm>,
) -> Result<Response, AppError> {
    who.require(Action::ManageSources, Ownership::None)?;
    let added = async {
        let url = url::Url::parse(form.url.trim())
            .ok()
            .filter(|u| matches!(u.scheme(), "http" | "https") && u.host_str().is_some())
            .ok_or_else(|| unprocessable(format!("{:?} is not an http(s) URL.", form.url)))?;
        crate::webhooks::check_destination(&state, &url).await?;
        let interval = match form.interval.trim() {
            "" => "15m",
            i => i,
        };
        let interval_seconds =
            parse_interval(interval).map_err(|e| unprocessable(format!("Interval: {e}")))?;
        let created = state
            .store
            .create_source(
                &NewSource {
                    feed_url: url.to_string(),
                    name: Some(form.name.trim().to_owned()).filter(|n| !n.is_empty()),
                    auto_publish: form.auto_publish.is_some(),
                    interval_seconds,
                },
                Utc::now(),
            )
            .await
            .map_err(|e| match e {
                StoreError::Conflict(_) => {
                    AppError::Conflict(format!("{url} is already a source."))
                }
                other => other.into(),
            })?;
        Ok::<_, AppError>(format!("source {}", created.id))
    }
    .await;
    match added {
        Ok(detail) => {
            let done = async { Ok(detail) };
            audited_change(&state, &who, None, "source.create", "/admin/sources", done).await
        }
        Err(e) => {
            e.log();
            let status = e.status();
            let mut v = sources_view(&state, &who, form).await?;
            v.chrome.error = Some(e.public_message());
            let mut r = page(v)?;
            *r.status_mut() = status;
            Ok(r)
        }
    }
}

#[derive(Deserialize)]
struct EditForm {
    #[serde(default)]
    name: String,
    #[serde(default)]
    interval: String,
    #[serde(default)]
    auto_publish: Option<String>,
}

async fn patch(state: &AppState, id: Id, patch: SourcePatch) -> Result<String, AppError> {
    state.store.update_source(id, &patch).await?;
    Ok(format!("source {id}"))
}

async fn edit_source(
    State(state): State<AppState>,
    Path(id): Path<Id>,
    CsrfForm { who, form }: CsrfForm<EditForm>,
) -> Result<Response, AppError> {
    let change = async {
        let interval_seconds = match form.interval.trim() {
            "" => None,
            i => Some(parse_interval(i).map_err(|e| unprocessable(format!("Interval: {e}")))?),
        };
        let p = SourcePatch {
            name: Some(form.name.trim().to_owned()).filter(|n| !n.is_empty()),
            auto_publish: Some(form.auto_publish.is_some()),
            interval_seconds,
            paused: None,
        };
        patch(&state, id, p).await
    };
    let needs = Some(Action::ManageSources);
    audited_change(&state, &who, needs, "source.edit", "/admin/sources", change).await
}

async fn pause_source(
    State(state): State<AppState>,
    Path(id): Path<Id>,
    CsrfForm { who, .. }: CsrfForm,
) -> Result<Response, AppError> {
    let p = SourcePatch {
        paused: Some(true),
        ..Default::default()
    };
    let needs = Some(Action::ManageSources);
    let change = patch(&state, id, p);
    audited_change(
        &state,
        &who,
        needs,
        "source.pause",
        "/admin/sources",
        change,
    )
    .await
}

async fn resume_source(
    State(state): State<AppState>,
    Path(id): Path<Id>,
    CsrfForm { who, .. }: CsrfForm,
) -> Result<Response, AppError> {
    let p = SourcePatch {
        paused: Some(false),
        ..Default::default()
    };
    let needs = Some(Action::ManageSources);
    let change = patch(&state, id, p);
    audited_change(
        &state,
        &who,
        needs,
        "source.resume",
        "/admin/sources",
        change,
    )
    .await
}

async fn delete_source(
    State(state): State<AppState>,
    Path(id): Path<Id>,
    CsrfForm { who, .. }: CsrfForm,
) -> Result<Response, AppError> {
    let change = async {
        state.store.delete_source(id).await?;
        Ok(format!("source {id}"))
    };
    let needs = Some(Action::ManageSources);
    audited_change(
        &state,
        &who,
        needs,
        "source.delete",
        "/admin/sources",
        change,
    )
    .await
}
