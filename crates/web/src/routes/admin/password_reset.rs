//! "Forgot your password?" for the newsroom: `/admin/forgot` asks for an address and queues the
//! e-mail (the `accounts.password_reset` job; the answer is the same whether or not an account
//! uses the address), `/admin/reset?token=` sets a new password with the mailed link.
//!
//! Forms here have no session, so no synchronizer token: the same-origin check stops cross-site
//! posts, as on the login form. Requests are limited per client address and per account address.

use std::net::SocketAddr;

use askama::Template;
use axum::Router;
use axum::extract::{ConnectInfo, Query, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{Html, IntoResponse, Response};
use axum::routing::get;
use chrono::{Duration, Utc};
use newsdesk_core::EmailAddress;
use newsdesk_core::accounts::{self, Password};
use newsdesk_core::jobs::NewJob;
use newsdesk_core::newsletter::RateLimit;
use newsdesk_core::password_reset::{
    self as reset, PASSWORD_RESET_QUEUE, PasswordResetJob, ResetTokenError,
};
use serde::Deserialize;

use super::Chrome;
use crate::error::AppError;
use crate::state::AppState;

/// Links mailed per account address, and requests per client address, per hour.
const PER_ADDRESS_PER_HOUR: u32 = 3;
const PER_IP_PER_HOUR: u32 = 20;

pub(super) fn routes() -> Router<AppState> {
    Router::new()
        .route("/admin/forgot", get(forgot_page).post(forgot))
        .route("/admin/reset", get(reset_page).post(reset))
}

#[derive(Template)]
#[template(path = "admin/forgot.html")]
struct ForgotView {
    chrome: Chrome,
    sent: bool,
    minutes: i64,
}

#[derive(Template)]
#[template(path = "admin/reset.html")]
struct ResetView {
    chrome: Chrome,
    token: Option<String>,
    done: bool,
    min_chars: usize,
}

fn chrome(state: &AppState, title: &str, error: Option<String>) -> Chrome {
    Chrome {
        title: title.into(),
        site_title: state.site.title.clone(),
        user: None,
        csrf: String::new(),
        css_url: crate::routes::assets::css_url(),
        flash: None,
        error,
        current: "",
    }
}

fn respond(status: StatusCode, t: impl Template) -> Result<Response, AppError> {
    let html = t
        .render()
        .map_err(|e| AppError::Internal(anyhow::anyhow!("template: {e}")))?;
    let mut r = (status, Html(html)).into_response();
    // Reset links sit in the query string: keep them out of caches and Referer headers.
    r.headers_mut()
        .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    r.headers_mut().insert(
        header::REFERRER_POLICY,
        HeaderValue::from_static("no-referrer"),
    );
    Ok(r)
}

fn forgot_view(state: &AppState, sent: bool, error: Option<String>) -> ForgotView {
    ForgotView {
        chrome: chrome(state, "Forgot your password?", error),
        sent,
        minutes: reset::VALID_FOR.num_minutes(),
    }
}

async fn forgot_page(State(state): State<AppState>) -> Result<Response, AppError> {
    respond(StatusCode::OK, forgot_view(&state, false, None))
}

#[derive(Deserialize)]
struct ForgotForm {
    #[serde(default)]
    email: String,
}

/// Over `limit` hits on `key` this hour?
async fn over_limit(state: &AppState, key: &str, limit: u32) -> Result<bool, AppError> {
    let hour = RateLimit {
        limit,
        window: Duration::hours(1),
    };
    let hits = state
        .store
        .rate_limit_hit(key, hour.window_start(Utc::now()))
        .await?;
    Ok(hits > hour.limit)
}

async fn forgot(
    State(state): State<AppState>,
    extensions: axum::http::Extensions,
    headers: HeaderMap,
    axum::Form(f): axum::Form<ForgotForm>,
) -> Result<Response, AppError> {
    if !crate::csrf::is_same_origin(&headers, &state.site.base_url) {
        return Err(AppError::Forbidden(
            "This form can only be sent from this site.".into(),
        ));
    }
    let ip = extensions
        .get::<ConnectInfo<SocketAddr>>()
        .map_or_else(|| "unknown".into(), |c| c.0.ip().to_string());
    if over_limit(&state, &format!("pwreset-ip:{ip}"), PER_IP_PER_HOUR).await? {
        return Err(AppError::TooManyRequests(3600));
    }
    let email = match EmailAddress::parse(&f.email) {
        Ok(e) => e,
        Err(e) => {
            return respond(
                StatusCode::UNPROCESSABLE_ENTITY,
                forgot_view(&state, false, Some(e.0)),
            );
        }
    };
    // The same answer whatever happens next: whether an account uses the address is not told.
    let addr_key = format!("pwreset-addr:{}", email.as_str().to_lowercase());
    if !over_limit(&state, &addr_key, PER_ADDRESS_PER_HOUR).await?
        && let Some(creds) = state.store.credentials_by_email(&email).await?
        && !creds.user.disabled
    {
        let payload = serde_json::to_value(PasswordResetJob {
            user_id: creds.user.id,
        })
        .map_err(|e| AppError::Internal(e.into()))?;
        state
            .store
            .enqueue(&NewJob::new(PASSWORD_RESET_QUEUE, payload))
            .await?;
        crate::auth::audit(
            &state,
            Some(&creds.user),
            "user.password.reset_requested",
            &format!("from {ip}"),
        )
        .await;
    }
    respond(StatusCode::OK, forgot_view(&state, true, None))
}

#[derive(Deserialize)]
struct TokenQuery {
    #[serde(default)]
    token: String,
}

/// The user a token is for, if it is valid now; else the page that says why.
async fn check(
    state: &AppState,
    token: &str,
) -> Result<Result<accounts::Credentials, Response>, AppError> {
    let refuse = |status: StatusCode, e: ResetTokenError| {
        let msg = format!("{}. Ask for a new one below.", capitalise(&e.to_string()));
        respond(
            status,
            ResetView {
                chrome: chrome(state, "Choose a new password", Some(msg)),
                token: None,
                done: false,
                min_chars: Password::MIN_CHARS,
            },
        )
    };
    let invalid = || refuse(StatusCode::BAD_REQUEST, ResetTokenError::Invalid);
    let Some(user_id) = reset::user_of(token) else {
        return invalid().map(Err);
    };
    let Some(user) = state.store.user(user_id).await? else {
        return invalid().map(Err);
    };
    let Some(creds) = state.store.credentials_by_email(&user.email).await? else {
        return invalid().map(Err);
    };
    if creds.user.disabled {
        return invalid().map(Err);
    }
    let secret = state
        .store
        .server_secret(reset::SECRET_NAME, &accounts::new_secret_token(""))
        .await?;
    match reset::verify(&secret, token, &creds.password_hash, Utc::now()) {
        Ok(_) => Ok(Ok(creds)),
        Err(e @ ResetTokenError::Expired) => refuse(StatusCode::GONE, e).map(Err),
        Err(e) => refuse(StatusCode::BAD_REQUEST, e).map(Err),
    }
}

fn capitalise(s: &str) -> String {
    let mut c = s.chars();
    c.next()
        .map(|f| f.to_uppercase().chain(c).collect())
        .unwrap_or_default()
}

async fn reset_page(
    State(state): State<AppState>,
    Query(q): Query<TokenQuery>,
) -> Result<Response, AppError> {
    if let Err(page) = check(&state, &q.token).await? {
        return Ok(page);
    }
    respond(
        StatusCode::OK,
        ResetView {
            chrome: chrome(&state, "Choose a new password", None),
            token: Some(q.token.trim().to_owned()),
            done: false,
            min_chars: Password::MIN_CHARS,
        },
    )
}

#[derive(Deserialize)]
struct ResetForm {
    #[serde(default)]
    token: String,
    #[serde(default)]
    new: String,
    #[serde(default)]
    repeat: String,
}

async fn reset(
    State(state): State<AppState>,
    headers: HeaderMap,
    axum::Form(f): axum::Form<ResetForm>,
) -> Result<Response, AppError> {
    if !crate::csrf::is_same_origin(&headers, &state.site.base_url) {
        return Err(AppError::Forbidden(
            "This form can only be sent from this site.".into(),
        ));
    }
    let creds = match check(&state, &f.token).await? {
        Ok(c) => c,
        Err(page) => return Ok(page),
    };
    let again = |msg: String| {
        respond(
            StatusCode::UNPROCESSABLE_ENTITY,
            ResetView {
                chrome: chrome(&state, "Choose a new password", Some(msg)),
                token: Some(f.token.trim().to_owned()),
                done: false,
                min_chars: Password::MIN_CHARS,
            },
        )
    };
    if f.new != f.repeat {
        return again("The two passwords differ; nothing was changed.".into());
    }
    let password = match Password::parse(&f.new) {
        Ok(p) => p,
        Err(e) => return again(format!("The new password: {}.", e.0)),
    };
    let hash = state.hasher.hash(password).await?;
    // Every session ends: whoever had the old password is signed out.
    state
        .store
        .set_password_hash(creds.user.id, &hash, None)
        .await?;
    state
        .store
        .clear_login_failures(&accounts::throttle_key_account(
            &creds.user.email.to_string(),
        ))
        .await?;
    crate::auth::audit(
        &state,
        Some(&creds.user),
        "user.password.reset",
        &format!("user {}", creds.user.email),
    )
    .await;
    respond(
        StatusCode::OK,
        ResetView {
            chrome: chrome(&state, "Password changed", None),
            token: None,
            done: true,
            min_chars: Password::MIN_CHARS,
        },
    )
}
