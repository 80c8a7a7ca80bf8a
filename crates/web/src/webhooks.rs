//! Webhooks: admin-configured URLs told when an article is published, updated or unpublished.
//!
//! Each event becomes one delivery row per webhook (the exact body, so retries send the same
//! bytes) and one job on the shared queue "webhook"; [`WebhookHandler`] POSTs it, and the job
//! queue retries failures with back-off. Receivers verify
//! `X-Newsdesk-Signature: sha256=<hex HMAC-SHA256(secret, "<timestamp>.<body>")>` and reject an
//! `X-Newsdesk-Timestamp` (Unix seconds) older than a few minutes, which stops replays.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;
use chrono::Utc;
use hmac::{Hmac, Mac as _};
use newsdesk_core::accounts::AccountStore;
use newsdesk_core::jobs::{Job, JobError, JobHandler};
use newsdesk_core::{Article, Store};
use sha2::Sha256;

use crate::error::AppError;
use crate::state::AppState;

pub const QUEUE: &str = newsdesk_core::publishing::WEBHOOK_QUEUE;

/// `sha256=<hex>` over `"<timestamp>.<body>"`.
pub fn signature(secret: &str, timestamp: i64, body: &[u8]) -> String {
    // HMAC accepts keys of any length, so this cannot fail.
    let mut mac = match Hmac::<Sha256>::new_from_slice(secret.as_bytes()) {
        Ok(m) => m,
        Err(_) => return String::new(),
    };
    mac.update(timestamp.to_string().as_bytes());
    mac.update(b".");
    mac.update(body);
    format!("sha256={}", hex::encode(mac.finalize().into_bytes()))
}

/// Records and enqueues a delivery of `event` to every webhook. Failures are logged: the
/// editor's action has happened whether or not a webhook could be queued.
pub async fn notify(state: &AppState, event: &str, article: &Article) {
    if let Err(e) = try_notify(state.store.as_ref(), &state.site.base_url, event, article).await {
        tracing::error!(error = %e, event, article = article.id, "could not queue webhooks");
    }
}

/// [`notify`] for callers without an [`AppState`] (the ingest pipeline's auto-published
/// articles): the same deliveries, the same payload.
pub async fn notify_from(store: &dyn Store, base_url: &str, event: &str, article: &Article) {
    if let Err(e) = try_notify(store, base_url, event, article).await {
        tracing::error!(error = %e, event, article = article.id, "could not queue webhooks");
    }
}

async fn try_notify(
    store: &dyn Store,
    base_url: &str,
    event: &str,
    a: &Article,
) -> Result<(), newsdesk_core::StoreError> {
    newsdesk_core::publishing::enqueue_article_event(store, base_url, event, a)
        .await
        .map(|_| ())
}

/// Delivers one webhook job.
pub struct WebhookHandler {
    store: Arc<dyn AccountStore>,
    client: reqwest::Client,
    allow_private: bool,
}

impl WebhookHandler {
    /// A client with short timeouts, no redirects, no proxy, and (unless `allow_private`)
    /// a resolver that refuses non-public addresses.
    pub fn new(store: Arc<dyn AccountStore>, allow_private: bool) -> Result<Self, reqwest::Error> {
        let _ = rustls::crypto::ring::default_provider().install_default();
        let client = reqwest::Client::builder()
            .user_agent(concat!("newsdesk-webhooks/", env!("CARGO_PKG_VERSION")))
            .redirect(reqwest::redirect::Policy::none())
            .no_proxy()
            .connect_timeout(Duration::from_secs(5))
            .timeout(Duration::from_secs(15))
            .dns_resolver(Arc::new(GuardedResolver { allow_private }))
            .build()?;
        Ok(WebhookHandler {
            store,
            client,
            allow_private,
        })
    }
}

#[async_trait]
impl JobHandler for WebhookHandler {
    async fn run(&self, job: &Job) -> Result<(), JobError> {
        let id = job
            .payload
            .get("delivery_id")
            .and_then(serde_json::Value::as_i64)
            .ok_or_else(|| JobError::permanent("job has no delivery_id"))?;
        let Some(d) = self.store.webhook_delivery(id).await? else {
            return Err(JobError::permanent(format!("delivery {id} is gone")));
        };
        let Some(hook) = self.store.webhook(d.webhook_id).await? else {
            return Err(JobError::permanent("the webhook was deleted"));
        };
        let url = reqwest::Url::parse(&hook.url)
            .map_err(|e| JobError::permanent(format!("bad URL: {e}")))?;
        if let Some(url::Host::Ipv4(_) | url::Host::Ipv6(_)) = url.host()
            && !self.allows_literal(&url)
        {
            let msg = "the URL's address is not public (set fetch.allow_private to allow it)";
            self.store
                .record_webhook_attempt(id, "failed", None, Some(msg), Utc::now())
                .await?;
            return Err(JobError::permanent(msg));
        }
        let ts = Utc::now().timestamp();
        let res = self
            .client
            .post(url)
            .header("content-type", "application/json")
            .header("x-newsdesk-event", &d.event)
            .header("x-newsdesk-delivery", d.id.to_string())
            .header("x-newsdesk-timestamp", ts.to_string())
            .header(
                "x-newsdesk-signature",
                signature(&hook.secret, ts, d.payload.as_bytes()),
            )
            .body(d.payload.clone())
            .send()
            .await;
        let last_try = job.attempts + 1 >= job.max_attempts;
        let (code, err) = match res {
            Ok(r) if r.status().is_success() => {
                self.store
                    .record_webhook_attempt(
                        id,
                        "delivered",
                        Some(r.status().as_u16()),
                        None,
                        Utc::now(),
                    )
                    .await?;
                return Ok(());
            }
            Ok(r) => (
                Some(r.status().as_u16()),
                format!("HTTP {}", r.status().as_u16()),
            ),
            Err(e) => (None, newsdesk_core::jobs::error_chain(&e)),
        };
        let status = if last_try { "failed" } else { "pending" };
        self.store
            .record_webhook_attempt(id, status, code, Some(&err), Utc::now())
            .await?;
        Err(JobError::retry(err))
    }
}

impl WebhookHandler {
    fn allows_literal(&self, url: &reqwest::Url) -> bool {
        match url.host() {
            Some(url::Host::Ipv4(ip)) => {
                self.allow_private || newsdesk_core::net::is_public(ip.into())
            }
            Some(url::Host::Ipv6(ip)) => {
                self.allow_private || newsdesk_core::net::is_public(ip.into())
            }
            _ => true,
        }
    }
}

/// Checks a URL an admin just gave (a webhook, a source) against the SSRF guard at once, so a
/// loopback or private target is refused with a clear 422 instead of failing at delivery.
pub async fn check_destination(state: &AppState, url: &url::Url) -> Result<(), AppError> {
    newsdesk_core::net::check_destination(url, state.newsroom.allow_private_webhooks)
        .await
        .map_err(|e| AppError::Unprocessable(format!("{e}.")))
}

/// Resolves names and refuses any that has a non-public address (unless allowed), so the
/// checked addresses are the ones connected to.
#[derive(Debug)]
struct GuardedResolver {
    allow_private: bool,
}

impl reqwest::dns::Resolve for GuardedResolver {
    fn resolve(&self, name: reqwest::dns::Name) -> reqwest::dns::Resolving {
        let allow_private = self.allow_private;
        let host = name.as_str().to_owned();
        Box::pin(async move {
            let addrs: Vec<SocketAddr> =
                tokio::net::lookup_host((host.as_str(), 0)).await?.collect();
            if !allow_private
                && let Some(bad) = addrs
                    .iter()
                    .find(|a| !newsdesk_core::net::is_public(a.ip()))
            {
                return Err(format!("{host} resolves to non-public address {}", bad.ip()).into());
            }
            Ok(Box::new(addrs.into_iter()) as reqwest::dns::Addrs)
        })
    }
}
