//! The signed-in user's own account: changing their password and their API tokens.

use askama::Template;
use axum::Router;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::Response;
use axum::routing::{get, post};
use chrono::Utc;
use newsdesk_core::Id;
use newsdesk_core::accounts::{self, ApiToken, Password};
use newsdesk_core::throttle::{self, Reservation};
use serde::Deserialize;

use super::{Chrome, audited_change, fmt_time, hash_off_executor, page};
use crate::auth::{self, AdminUser, audit};
use crate::csrf::CsrfForm;
use crate::error::AppError;
use crate::state::AppState;

pub(super) fn routes() -> Router<AppState> {
    Router::new()
        .route("/admin/account", get(account))
        .route("/admin/account/password", post(change_password))
        .route("/admin/account/tokens", post(create_token))
        .route("/admin/account/tokens/{id}/revoke", post(revoke_token))
}

#[derive(Template)]
#[template(path = "admin/account.html")]
struct AccountView {
    chrome: Chrome,
    min_chars: usize,
    tokens: Vec<(ApiToken, String, String)>,
    new_token: Option<String>,
}

async fn account_view(state: &AppState, who: &AdminUser) -> Result<AccountView, AppError> {
    let tokens = state
        .store
        .list_api_tokens(who.user.id)
        .await?
        .into_iter()
        .map(|t| {
            let created = fmt_time(&t.created_at);
            let used = t
                .last_used_at
                .map_or_else(|| "never".to_owned(), |u| fmt_time(&u));
            (t, created, used)
        })
        .collect();
    Ok(AccountView {
        chrome: Chrome::new(state, who, "Your account", "account"),
        min_chars: Password::MIN_CHARS,
        tokens,
        new_token: None,
    })
}

async fn account(State(state): State<AppState>, who: AdminUser) -> Result<Response, AppError> {
    page(account_view(&state, &who).await?)
}

/// The account page again with a message; `status` says whether it is an error.
async fn account_answer(
    state: &AppState,
    who: &AdminUser,
    status: StatusCode,
    message: String,
) -> Result<Response, AppError> {
    let mut v = account_view(state, who).await?;
    if status.is_success() {
        v.chrome.flash = Some(message);
    } else {
        v.chrome.error = Some(message);
    }
    let mut r = page(v)?;
    *r.status_mut() = status;
    Ok(r)
}

#[derive(Deserialize)]
struct PasswordForm {
    #[serde(default)]
    current: String,
    #[serde(default)]
    new: String,
    #[serde(default)]
    repeat: String,
}

/// Changes the signed-in user's password. The current one is checked like a login: the
/// attempt is reserved before the hash runs (parallel guesses get at most the limit checked),
/// and wrong guesses count against this network's sign-ins too. Other people's failed logins
/// do not block the form, so nobody can stop the owner from changing a leaked password.
async fn change_password(
    State(state): State<AppState>,
    extensions: axum::http::Extensions,
    CsrfForm { who, form: f }: CsrfForm<PasswordForm>,
) -> Result<Response, AppError> {
    let now = Utc::now();
    let ip = auth::client_ip(&extensions);
    let network = ip
        .parse::<std::net::IpAddr>()
        .map_or(ip.clone(), throttle::client_network);
    let email = who.user.email.to_string();
    let ids = match state
        .store
        .reserve_attempt(
            &throttle::password_change_limits(&email, &network),
            now,
            accounts::THROTTLE_WINDOW,
        )
        .await?
    {
        Reservation::Blocked { until } => {
            let secs = u64::try_from((until - now).num_seconds())
                .unwrap_or(0)
                .max(1);
            return Err(AppError::TooManyRequests(secs));
        }
        Reservation::Reserved { ids } => ids,
    };
    let unprocessable = StatusCode::UNPROCESSABLE_ENTITY;
    let checked = async {
        let creds = state
            .store
            .credentials_by_email(&who.user.email)
            .await?
            .ok_or(AppError::NotFound)?;
        Ok::<_, AppError>(
            state
                .hasher
                .verify(creds.password_hash, f.current.clone())
                .await?,
        )
    }
    .await;
    let matches = match checked {
        Ok(m) => m,
        Err(e) => {
            // Not checked (the hasher was full, or the store failed): not a failure either.
            state.store.release_attempt(&ids).await?;
            return Err(e);
        }
    };
    if !matches {
        // The reservation stays: it is the recorded failure.
        audit(
            &state,
            Some(&who.user),
            "user.password.failed",
            &format!("user {}", who.user.email),
        )
        .await;
        let msg = "Your current password is not right; nothing was changed.".to_owned();
        return account_answer(&state, &who, unprocessable, msg).await;
    }
    state.store.release_attempt(&ids).await?;
    if f.new != f.repeat {
        let msg = "The two new passwords differ; nothing was changed.".to_owned();
        return account_answer(&state, &who, unprocessable, msg).await;
    }
    if f.new == f.current {
        let msg = "The new password is the current one; choose another.".to_owned();
        return account_answer(&state, &who, unprocessable, msg).await;
    }
    let password = match Password::parse(&f.new) {
        Ok(p) => p,
        Err(e) => {
            let msg = format!("The new password: {}.", e.0);
            return account_answer(&state, &who, unprocessable, msg).await;
        }
    };
    let hash = hash_off_executor(&state, password).await?;
    let ended = state
        .store
        .set_password_hash(who.user.id, &hash, Some(&who.session_hash))
        .await?;
    audit(
        &state,
        Some(&who.user),
        "user.password",
        &format!("user {}", who.user.email),
    )
    .await;
    let msg = match ended {
        0 => "Your password is changed.".to_owned(),
        1 => "Your password is changed, and your one other session was signed out.".to_owned(),
        n => format!("Your password is changed, and your {n} other sessions were signed out."),
    };
    account_answer(&state, &who, StatusCode::OK, msg).await
}

#[derive(Deserialize)]
struct TokenForm {
    #[serde(default)]
    label: String,
}

/// A new API token for the signed-in user, shown once (the store keeps its hash).
async fn create_token(
    State(state): State<AppState>,
    CsrfForm { who, form: f }: CsrfForm<TokenForm>,
) -> Result<Response, AppError> {
    let label = match f.label.trim() {
        "" => "admin site".to_owned(),
        l => l.chars().take(100).collect(),
    };
    let token = accounts::new_secret_token(accounts::API_TOKEN_PREFIX);
    let rec = state
        .store
        .create_api_token(
            who.user.id,
            &label,
            &accounts::token_hash(&token),
            Utc::now(),
        )
        .await?;
    audit(
        &state,
        Some(&who.user),
        "token.create",
        &format!("token {}", rec.id),
    )
    .await;
    let mut v = account_view(&state, &who).await?;
    v.new_token = Some(token);
    page(v)
}

/// Revokes one of the signed-in user's own tokens; anyone else's is not found.
async fn revoke_token(
    State(state): State<AppState>,
    Path(id): Path<Id>,
    CsrfForm { who, .. }: CsrfForm,
) -> Result<Response, AppError> {
    let change = async {
        let own = state.store.list_api_tokens(who.user.id).await?;
        if !own.iter().any(|t| t.id == id) {
            return Err(AppError::NotFound);
        }
        state.store.revoke_api_token(id, Utc::now()).await?;
        Ok(format!("token {id}"))
    };
    // Your own tokens: being signed in is enough.
    audited_change(&state, &who, None, "token.revoke", "/admin/account", change).await
}
