//! What a load balancer and an operator ask a node (issue 17): `GET /healthz` (the process
//! answers), `GET /readyz` (the store answers and its schema is this build's) and `GET /metrics`
//! (Prometheus text, off unless `metrics.token` is set, then behind `Authorization: Bearer`).
//!
//! Request counting is a route layer on the matched route: atomics only, and an allocation only
//! the first time a route is seen (the set of routes is the router's, so it stays bounded).

use std::collections::HashMap;
use std::fmt::Write as _;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, RwLock};
use std::time::{Duration, Instant};

use axum::Router;
use axum::extract::{MatchedPath, Request, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use newsdesk_core::nodes::COUNTERS;

use crate::state::AppState;

/// Upper bounds (seconds) of the latency histogram's buckets.
const BUCKETS: [f64; 12] = [
    0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 10.0,
];
/// How long `/readyz` waits for the store before calling it unreachable.
const READY_TIMEOUT: Duration = Duration::from_secs(2);
/// The job queues whose depth `/metrics` reports.
const QUEUES: [&str; 7] = [
    newsdesk_core::publishing::QUEUE,
    newsdesk_core::publishing::WEBHOOK_QUEUE,
    newsdesk_core::newsletter::CONFIRM_QUEUE,
    newsdesk_core::newsletter::TEST_SEND_QUEUE,
    newsdesk_core::newsletter::ISSUE_QUEUE,
    newsdesk_core::newsletter::DIGEST_QUEUE,
    newsdesk_core::password_reset::PASSWORD_RESET_QUEUE,
];

#[derive(Debug, Default)]
struct RouteStats {
    /// By status class: 1xx .. 5xx.
    by_class: [AtomicU64; 5],
    /// Non-cumulative counts per bucket; the last slot is "above every bound".
    buckets: [AtomicU64; BUCKETS.len() + 1],
    sum_micros: AtomicU64,
}

/// This node's operations settings and request statistics.
#[derive(Debug)]
pub struct Ops {
    /// Labels every metric (`node="..."`).
    pub node: String,
    /// `/metrics` is served only when set, and only to `Authorization: Bearer <token>`.
    pub metrics_token: Option<String>,
    routes: RwLock<HashMap<String, Arc<RouteStats>>>,
}

impl Default for Ops {
    fn default() -> Self {
        Ops::new("local", None)
    }
}

impl Ops {
    pub fn new(node: impl Into<String>, metrics_token: Option<String>) -> Self {
        Ops {
            node: node.into(),
            metrics_token: metrics_token.filter(|t| !t.is_empty()),
            routes: RwLock::default(),
        }
    }

    fn stats(&self, route: &str) -> Option<Arc<RouteStats>> {
        if let Some(s) = self.routes.read().ok()?.get(route) {
            return Some(s.clone());
        }
        let mut routes = self.routes.write().ok()?;
        Some(routes.entry(route.to_owned()).or_default().clone())
    }

    fn record(&self, route: &str, status: StatusCode, elapsed: Duration) {
        let Some(stats) = self.stats(route) else {
            return;
        };
        let class = usize::from(status.as_u16() / 100).clamp(1, 5) - 1;
        stats.by_class[class].fetch_add(1, Ordering::Relaxed);
        let secs = elapsed.as_secs_f64();
        let slot = BUCKETS
            .iter()
            .position(|b| secs <= *b)
            .unwrap_or(BUCKETS.len());
        stats.buckets[slot].fetch_add(1, Ordering::Relaxed);
        let micros = u64::try_from(elapsed.as_micros()).unwrap_or(u64::MAX);
        stats.sum_micros.fetch_add(micros, Ordering::Relaxed);
    }
}

/// `/healthz`, `/readyz`, `/metrics`.
pub fn router() -> Router<AppState> {
    Router::new()
        .route("/healthz", get(healthz))
        .route("/readyz", get(readyz))
        .route("/metrics", get(metrics))
}

/// Counts the request under its matched route (a route layer: unmatched paths are not counted).
pub async fn track(State(state): State<AppState>, req: Request, next: Next) -> Response {
    let start = Instant::now();
    let route = req.extensions().get::<MatchedPath>().cloned();
    let res = next.run(req).await;
    if let Some(route) = route {
        state
            .ops
            .record(route.as_str(), res.status(), start.elapsed());
    }
    res
}

fn plain(status: StatusCode, body: impl Into<String>) -> Response {
    (
        status,
        [
            (header::CONTENT_TYPE, "text/plain; charset=utf-8"),
            (header::CACHE_CONTROL, "no-store"),
        ],
        body.into(),
    )
        .into_response()
}

async fn healthz() -> Response {
    plain(StatusCode::OK, "ok\n")
}

async fn readyz(State(state): State<AppState>) -> Response {
    let store = state.store.clone();
    let check = async move {
        store.ping().await?;
        store.schema_version().await
    };
    match tokio::time::timeout(READY_TIMEOUT, check).await {
        Err(_) => plain(StatusCode::SERVICE_UNAVAILABLE, "store: no answer in 2s\n"),
        Ok(Err(e)) => {
            tracing::warn!(error = %e, "readyz: store unreachable");
            plain(StatusCode::SERVICE_UNAVAILABLE, "store: unreachable\n")
        }
        Ok(Ok(version)) => {
            let known = state.store.known_schema_version();
            match version {
                Some(v) if v == known => plain(StatusCode::OK, "ready\n"),
                v => plain(
                    StatusCode::SERVICE_UNAVAILABLE,
                    format!(
                        "schema: at version {}, this newsdesk expects {known}\n",
                        v.unwrap_or(0)
                    ),
                ),
            }
        }
    }
}

fn bearer(headers: &HeaderMap) -> Option<&str> {
    headers
        .get(header::AUTHORIZATION)?
        .to_str()
        .ok()?
        .strip_prefix("Bearer ")
        .map(str::trim)
}

/// Compares in time independent of where the strings differ.
fn same(a: &str, b: &str) -> bool {
    a.len() == b.len()
        && a.bytes()
            .zip(b.bytes())
            .fold(0u8, |acc, (x, y)| acc | (x ^ y))
            == 0
}

async fn metrics(State(state): State<AppState>, headers: HeaderMap) -> Response {
    let Some(token) = state.ops.metrics_token.as_deref() else {
        return plain(
            StatusCode::NOT_FOUND,
            "metrics are off (set metrics.token)\n",
        );
    };
    if !bearer(&headers).is_some_and(|given| same(given, token)) {
        return (
            StatusCode::UNAUTHORIZED,
            [(header::WWW_AUTHENTICATE, "Bearer")],
            "a bearer token is required\n",
        )
            .into_response();
    }
    let mut jobs = Vec::with_capacity(QUEUES.len());
    for q in QUEUES {
        match state.store.job_counts(q).await {
            Ok(c) => jobs.push((q, c)),
            Err(e) => tracing::warn!(error = %e, queue = q, "metrics: job counts"),
        }
    }
    let body = render(&state, &jobs);
    (
        StatusCode::OK,
        [
            (
                header::CONTENT_TYPE,
                "text/plain; version=0.0.4; charset=utf-8",
            ),
            (header::CACHE_CONTROL, "no-store"),
        ],
        body,
    )
        .into_response()
}

/// A label value with `\`, `"` and newlines escaped, as the text format wants.
fn esc(v: &str) -> String {
    v.replace('\\', "\\\\")
        .replace('"', "\\\"")
        .replace('\n', "\\n")
}

fn render(state: &AppState, jobs: &[(&str, newsdesk_core::jobs::JobCounts)]) -> String {
    let node = esc(&state.ops.node);
    let mut out = String::with_capacity(8 * 1024);
    let routes: Vec<(String, Arc<RouteStats>)> = state
        .ops
        .routes
        .read()
        .map(|m| m.iter().map(|(k, v)| (k.clone(), v.clone())).collect())
        .unwrap_or_default();
    let mut routes = routes;
    routes.sort_by(|a, b| a.0.cmp(&b.0));

    out.push_str("# HELP newsdesk_http_requests_total HTTP requests by route and status class.\n");
    out.push_str("# TYPE newsdesk_http_requests_total counter\n");
    for (route, s) in &routes {
        let route = esc(route);
        for (i, c) in s.by_class.iter().enumerate() {
            let n = c.load(Ordering::Relaxed);
            if n > 0 {
                let _ = writeln!(
                    out,
                    "newsdesk_http_requests_total{{node=\"{node}\",route=\"{route}\",status=\"{}xx\"}} {n}",
                    i + 1
                );
            }
        }
    }
    out.push_str(
        "# HELP newsdesk_http_request_duration_seconds Time to the response head, by route.\n",
    );
    out.push_str("# TYPE newsdesk_http_request_duration_seconds histogram\n");
    for (route, s) in &routes {
        let route = esc(route);
        let mut cumulative = 0u64;
        for (i, b) in BUCKETS.iter().enumerate() {
            cumulative += s.buckets[i].load(Ordering::Relaxed);
            let _ = writeln!(
                out,
                "newsdesk_http_request_duration_seconds_bucket{{node=\"{node}\",route=\"{route}\",le=\"{b}\"}} {cumulative}"
            );
        }
        cumulative += s.buckets[BUCKETS.len()].load(Ordering::Relaxed);
        let _ = writeln!(
            out,
            "newsdesk_http_request_duration_seconds_bucket{{node=\"{node}\",route=\"{route}\",le=\"+Inf\"}} {cumulative}"
        );
        let sum = s.sum_micros.load(Ordering::Relaxed) as f64 / 1e6;
        let _ = writeln!(
            out,
            "newsdesk_http_request_duration_seconds_sum{{node=\"{node}\",route=\"{route}\"}} {sum}"
        );
        let _ = writeln!(
            out,
            "newsdesk_http_request_duration_seconds_count{{node=\"{node}\",route=\"{route}\"}} {cumulative}"
        );
    }

    let (hits, misses) = state.cache.stats();
    counter(
        &mut out,
        "newsdesk_page_cache_hits_total",
        "Pages served from the page cache.",
        &node,
        hits,
    );
    counter(
        &mut out,
        "newsdesk_page_cache_misses_total",
        "Pages rendered for the page cache.",
        &node,
        misses,
    );

    out.push_str("# HELP newsdesk_jobs Jobs in the shared queue by queue and state (dead: failed for good).\n");
    out.push_str("# TYPE newsdesk_jobs gauge\n");
    for (q, c) in jobs {
        for (st, n) in [
            ("queued", c.queued),
            ("running", c.running),
            ("dead", c.dead),
        ] {
            let _ = writeln!(
                out,
                "newsdesk_jobs{{node=\"{node}\",queue=\"{}\",state=\"{st}\"}} {n}",
                esc(q)
            );
        }
    }
    let load = |c: &AtomicU64| c.load(Ordering::Relaxed);
    counter(
        &mut out,
        "newsdesk_job_failures_total",
        "Job runs that failed on this node.",
        &node,
        load(&COUNTERS.jobs_failed),
    );
    counter(
        &mut out,
        "newsdesk_ingest_items_total",
        "Wire items stored by this node's ingest passes.",
        &node,
        load(&COUNTERS.ingest_items),
    );
    counter(
        &mut out,
        "newsdesk_mails_sent_total",
        "Newsletter mails accepted by the mail server.",
        &node,
        load(&COUNTERS.mails_sent),
    );
    counter(
        &mut out,
        "newsdesk_mails_failed_total",
        "Newsletter mails that failed (to be retried or bounced).",
        &node,
        load(&COUNTERS.mails_failed),
    );
    out
}

fn counter(out: &mut String, name: &str, help: &str, node: &str, value: u64) {
    let _ = writeln!(out, "# HELP {name} {help}");
    let _ = writeln!(out, "# TYPE {name} counter");
    let _ = writeln!(out, "{name}{{node=\"{node}\"}} {value}");
}
