//! The newsroom site under `/admin`: server-rendered forms that work without JavaScript, one
//! file per area (login, articles, revisions, review, photos, taxonomy, users, account,
//! webhooks, sources, stories, audit, newsletter, password reset). This file holds the router and what
//! every page shares: the layout's [`Chrome`] and the never-cached responses.
//!
//! Every handler takes an [`AdminUser`] (signed in, enabled) and checks the action's permission
//! itself; every POST takes a [`crate::csrf::CsrfForm`], which checks the CSRF token and origin
//! before the handler runs (uploads, being multipart, call `AdminUser::verify_form`). Responses
//! are never cached.

mod account;
mod articles;
mod audit;
mod login;
mod newsletter;
mod password_reset;
mod photos;
mod review;
mod revisions;
mod sources;
mod stories;
mod taxonomy;
mod users;
mod webhooks;

use askama::Template;
use axum::Router;
use axum::http::{HeaderValue, header};
use axum::response::{Html, IntoResponse, Redirect, Response};
use axum::routing::get;
use chrono::{DateTime, Utc};
use newsdesk_core::Id;
use newsdesk_core::accounts::{Action, Ownership, Password, User};

use crate::auth::{AdminUser, audit};
use crate::error::AppError;
use crate::state::AppState;

/// The editor's photo upload takes multipart bodies up to the upload limit.
pub const EDITOR_PHOTO_UPLOAD_PATH: &str = articles::PHOTO_UPLOAD_PATH;

const ADMIN_CSS: &str = include_str!("../../../static/admin.css");
const ADMIN_JS: &str = include_str!("../../../static/admin.js");

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/admin/", get(|| async { Redirect::to("/admin") }))
        .route("/admin/static/admin.css", get(css))
        .route("/admin/static/admin.js", get(js))
        .merge(login::routes())
        .merge(password_reset::routes())
        .merge(articles::routes())
        .merge(revisions::routes())
        .merge(review::routes())
        .merge(photos::routes())
        .merge(taxonomy::routes())
        .merge(users::routes())
        .merge(account::routes())
        .merge(webhooks::routes())
        .merge(sources::routes())
        .merge(stories::routes())
        .merge(audit::routes())
        .merge(newsletter::routes())
}

// ---------------------------------------------------------------- plumbing

/// Admin pages are private to one user: never stored by a cache, never indexed.
pub(super) fn page(t: impl Template) -> Result<Response, AppError> {
    let html = t
        .render()
        .map_err(|e| AppError::Internal(anyhow::anyhow!("template: {e}")))?;
    Ok(private(Html(html).into_response()))
}

pub(super) fn private(mut r: Response) -> Response {
    r.headers_mut()
        .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    r.headers_mut()
        .insert("x-robots-tag", HeaderValue::from_static("noindex"));
    r
}

pub(super) fn see_other(to: &str) -> Response {
    private(Redirect::to(to).into_response())
}

async fn css() -> Response {
    (
        [
            (header::CONTENT_TYPE, "text/css; charset=utf-8"),
            (header::CACHE_CONTROL, "public, max-age=300"),
        ],
        ADMIN_CSS,
    )
        .into_response()
}

async fn js() -> Response {
    (
        [
            (header::CONTENT_TYPE, "text/javascript; charset=utf-8"),
            (header::CACHE_CONTROL, "public, max-age=300"),
        ],
        ADMIN_JS,
    )
        .into_response()
}

/// What every admin page's layout needs.
pub struct Chrome {
    pub title: String,
    pub site_title: String,
    pub user: Option<User>,
    pub csrf: String,
    pub css_url: &'static str,
    pub flash: Option<String>,
    pub error: Option<String>,
    pub current: &'static str,
}

impl Chrome {
    pub(super) fn new(
        state: &AppState,
        who: &AdminUser,
        title: &str,
        current: &'static str,
    ) -> Chrome {
        Chrome {
            title: title.to_owned(),
            site_title: state.site.title.clone(),
            user: Some(who.user.clone()),
            csrf: who.csrf.clone(),
            css_url: crate::routes::assets::css_url(),
            flash: None,
            error: None,
            current,
        }
    }

    /// Whether `id` is the signed-in user.
    pub fn is_me(&self, id: &Id) -> bool {
        self.user.as_ref().is_some_and(|u| u.id == *id)
    }

    pub fn can(&self, what: &str) -> bool {
        let Some(u) = &self.user else { return false };
        let action = match what {
            "users" => Action::ManageUsers,
            "sources" => Action::ManageSources,
            "webhooks" => Action::ManageWebhooks,
            "audit" => Action::ViewAuditLog,
            "review" => Action::Review,
            "taxonomy" => Action::ManageTaxonomy,
            "publish" => Action::PublishArticle,
            _ => return false,
        };
        u.can(action, Ownership::None)
    }
}

pub(super) fn fmt_time(t: &DateTime<Utc>) -> String {
    t.format("%Y-%m-%d %H:%M UTC").to_string()
}

/// The common shape of an admin POST once [`crate::csrf::CsrfForm`] has checked it: the user must
/// be allowed `needs` (`None`: anyone signed in, acting on their own account), `change` runs, the
/// audit log records `event` with the detail `change` returns, and the browser is sent to `to`
/// (POST, redirect, GET). `change` is lazy, so nothing happens when the permission is missing.
pub(super) async fn audited_change(
    state: &AppState,
    who: &AdminUser,
    needs: Option<Action>,
    event: &str,
    to: &str,
    change: impl Future<Output = Result<String, AppError>>,
) -> Result<Response, AppError> {
    if let Some(action) = needs {
        who.require(action, Ownership::None)?;
    }
    let detail = change.await?;
    audit(state, Some(&who.user), event, &detail).await;
    Ok(see_other(to))
}

/// Through the bounded Argon2 pool (see `newsdesk_core::hasher`).
pub(super) async fn hash_off_executor(
    state: &AppState,
    password: Password,
) -> Result<String, AppError> {
    Ok(state.hasher.hash(password).await?)
}
