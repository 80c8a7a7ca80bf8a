//! Webhooks (admins only): adding one (its signing secret shown once), deleting one, and the
//! latest deliveries.

use askama::Template;
use axum::Router;
use axum::extract::{Path, State};
use axum::response::Response;
use axum::routing::{get, post};
use chrono::Utc;
use newsdesk_core::Id;
use newsdesk_core::accounts::{self, Action, Ownership, Webhook, WebhookDelivery};
use serde::Deserialize;

use super::{Chrome, audited_change, page};
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

async fn webhooks(State(state): State<AppState>, who: AdminUser) -> Result<Response, AppError> {
    who.require(Action::ManageWebhooks, Ownership::None)?;
    page(webhooks_view(&state, &who).await?)
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
    let mut v = webhooks_view(&state, &who).await?;
    v.new_secret = Some(secret);
    page(v)
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
