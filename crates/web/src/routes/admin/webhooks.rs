//! Webhooks (admins only): adding one (its signing secret shown once), deleting one, and the
//! latest deliveries.
//!
//! Adding answers POST/redirect/GET, so a refresh cannot add the hook twice. The secret, shown
//! once, rides to the GET in a short-lived cookie scoped to this page, which that GET clears.

use askama::Template;
use axum::Router;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, HeaderValue, header};
use axum::response::Response;
use axum::routing::{get, post};
use chrono::Utc;
use newsdesk_core::Id;
use newsdesk_core::accounts::{self, Action, Ownership, Webhook, WebhookDelivery};
use serde::Deserialize;

use super::{Chrome, audited_change, page, see_other};
use crate::auth::{AdminUser, audit};
use crate::csrf::CsrfForm;
use crate::error::AppError;
use crate::state::AppState;

pub(super) fn routes() -> Router<AppState> {
    Router::new()
        .route("/admin/webhooks", get(webhooks).post(create_webhook))
        .route("/admin/webhooks/{id}/delete", post(delete_webhook))
}

#[derive(Template)]
#[template(path = "admin/webhooks.html")]
struct WebhooksView {
    chrome: Chrome,
    hooks: Vec<Webhook>,
    deliveries: Vec<WebhookDelivery>,
    new_secret: Option<String>,
}

async fn webhooks_view(state: &AppState, who: &AdminUser) -> Result<WebhooksView, AppError> {
    Ok(WebhooksView {
        chrome: Chrome::new(state, who, "Webhooks", "webhooks"),
        hooks: state.store.list_webhooks().await?,
        deliveries: state.store.list_webhook_deliveries(50).await?,
        new_secret: None,
    })
}

const SECRET_COOKIE: &str = "newsdesk_new_webhook_secret";

fn secret_cookie(state: &AppState, value: &str, max_age: u32) -> Result<HeaderValue, AppError> {
    let secure = if state.site.base_url.starts_with("https://") {
        "; Secure"
    } else {
        ""
    };
    HeaderValue::from_str(&format!(
        "{SECRET_COOKIE}={value}; Path=/admin/webhooks; HttpOnly; SameSite=Strict; Max-Age={max_age}{secure}"
    ))
    .map_err(|e| AppError::Internal(anyhow::anyhow!("cookie: {e}")))
}

async fn webhooks(
    State(state): State<AppState>,
    who: AdminUser,
    headers: HeaderMap,
) -> Result<Response, AppError> {
    who.require(Action::ManageWebhooks, Ownership::None)?;
    let new_secret = headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|c| c.trim().strip_prefix(SECRET_COOKIE)?.strip_prefix('='))
        .find(|v| {
            v.starts_with("whsec_")
                && v.bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-')
        })
        .map(str::to_owned);
    let mut v = webhooks_view(&state, &who).await?;
    let shown = new_secret.is_some();
    v.new_secret = new_secret;
    let mut r = page(v)?;
    if shown {
        r.headers_mut()
            .append(header::SET_COOKIE, secret_cookie(&state, "", 0)?);
    }
    Ok(r)
}

#[derive(Deserialize)]
struct WebhookForm {
    url: String,
}

async fn create_webhook(
    State(state): State<AppState>,
    CsrfForm { who, form: f }: CsrfForm<WebhookForm>,
) -> Result<Response, AppError> {
    who.require(Action::ManageWebhooks, Ownership::None)?;
    let url = url::Url::parse(f.url.trim())
        .ok()
        .filter(|u| matches!(u.scheme(), "http" | "https") && u.host().is_some())
        .ok_or_else(|| AppError::Unprocessable("Give an http(s) URL.".into()))?;
    crate::webhooks::check_destination(&state, &url).await?;
    let secret = accounts::new_secret_token("whsec_");
    let hook = state
        .store
        .create_webhook(url.as_str(), &secret, Utc::now())
        .await?;
    audit(
        &state,
        Some(&who.user),
        "webhook.create",
        &format!("webhook {}", hook.id),
    )
    .await;
    let mut r = see_other("/admin/webhooks");
    r.headers_mut()
        .append(header::SET_COOKIE, secret_cookie(&state, &secret, 300)?);
    Ok(r)
}

async fn delete_webhook(
    State(state): State<AppState>,
    Path(id): Path<Id>,
    CsrfForm { who, .. }: CsrfForm,
) -> Result<Response, AppError> {
    let change = async {
        state.store.delete_webhook(id).await?;
        Ok(format!("webhook {id}"))
    };
    let (needs, to) = (Some(Action::ManageWebhooks), "/admin/webhooks");
    audited_change(&state, &who, needs, "webhook.delete", to, change).await
}
