//! Signing in and out of the newsroom (the password-reset pages are in `password_reset.rs`).

use askama::Template;
use axum::Router;
use axum::extract::{FromRequest as _, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::Response;
use axum::routing::{get, post};
use serde::Deserialize;

use super::{Chrome, page, see_other};
use crate::auth::{self, LoginOutcome, audit};
use crate::csrf::CsrfForm;
use crate::error::AppError;
use crate::state::AppState;

pub(super) fn routes() -> Router<AppState> {
    Router::new()
        .route("/admin/login", get(login_page).post(login_submit))
        .route("/admin/logout", post(logout))
}

#[derive(Template)]
#[template(path = "admin/login.html")]
struct LoginView {
    chrome: Chrome,
    email: String,
}

fn login_view(state: &AppState, email: &str, error: Option<String>) -> LoginView {
    LoginView {
        chrome: Chrome {
            title: "Sign in".into(),
            site_title: state.site.title.clone(),
            user: None,
            csrf: String::new(),
            css_url: crate::routes::assets::css_url(),
            flash: None,
            error,
            current: "",
        },
        email: email.to_owned(),
    }
}

async fn login_page(State(state): State<AppState>) -> Result<Response, AppError> {
    page(login_view(&state, "", None))
}

#[derive(Deserialize)]
struct LoginForm {
    email: String,
    password: String,
}

async fn login_submit(
    State(state): State<AppState>,
    headers: HeaderMap,
    req: axum::extract::Request,
) -> Result<Response, AppError> {
    // No session yet, so no synchronizer token: the origin check stops cross-site logins.
    if !crate::csrf::is_same_origin(&headers, &state.site.base_url) {
        return Err(AppError::Forbidden(
            "The form did not come from this site.".into(),
        ));
    }
    let ip = auth::client_ip(req.extensions());
    let axum::Form(form): axum::Form<LoginForm> = axum::Form::from_request(req, &state)
        .await
        .map_err(|_| AppError::BadRequest("Send an email and a password.".into()))?;
    match auth::login(&state, form.email.trim(), &form.password, &ip).await? {
        LoginOutcome::Ok { token, expires, .. } => {
            let mut r = see_other("/admin");
            r.headers_mut().insert(
                header::SET_COOKIE,
                auth::session_cookie(&state, &token, expires),
            );
            Ok(r)
        }
        LoginOutcome::Invalid => {
            let mut r = page(login_view(
                &state,
                form.email.trim(),
                Some("Wrong email or password.".into()),
            ))?;
            *r.status_mut() = StatusCode::UNAUTHORIZED;
            Ok(r)
        }
        LoginOutcome::Throttled { retry_after_secs } => {
            Err(AppError::TooManyRequests(retry_after_secs))
        }
    }
}

async fn logout(
    State(state): State<AppState>,
    CsrfForm { who, .. }: CsrfForm,
) -> Result<Response, AppError> {
    state.store.delete_session(&who.session_hash).await?;
    audit(
        &state,
        Some(&who.user),
        "logout",
        &format!("user {}", who.user.email),
    )
    .await;
    let mut r = see_other("/admin/login");
    r.headers_mut()
        .insert(header::SET_COOKIE, auth::clear_cookie(&state));
    Ok(r)
}
