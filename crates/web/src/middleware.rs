//! Cross-cutting HTTP behaviour: security headers, compression of uncached responses, the access
//! log, error pages, panics as 500s, a request body limit.
//!
//! Layers, outermost first: access log → security headers → compression → error pages → catch
//! panic → body limit → router. Error pages sit inside compression so they are compressed too, and outside
//! catch-panic so a panic's 500 gets the site's 500 page.

use std::any::Any;
use std::sync::Arc;
use std::time::Instant;

use axum::Router;
use axum::body::Body;
use axum::extract::State;
use axum::http::{HeaderValue, Response, StatusCode, header};
use axum::response::IntoResponse;
use newsdesk_core::site::SiteSettings;
use tower::ServiceBuilder;
use tower_http::CompressionLevel;
use tower_http::catch_panic::CatchPanicLayer;
use tower_http::compression::CompressionLayer;
use tower_http::set_header::SetResponseHeaderLayer;

use crate::error::ErrorPage;
use crate::state::AppState;
use crate::views::{ErrorPageView, Layout};

/// Nothing newsdesk accepts from the public is larger than this; the newsletter form sets less.
const MAX_REQUEST_BODY: usize = 64 * 1024;

const CSP: &str = "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; \
                   object-src 'none'; base-uri 'self'; form-action 'self'; frame-ancestors 'none'";

pub fn apply(app: Router, state: &AppState) -> Router {
    layers(app, state.site.clone(), state.access_log)
}

/// The tracing target of access-log lines (filter them with `NEWSDESK_LOG=...,access=off`).
pub const ACCESS_TARGET: &str = "access";

/// One compact line per request: method, path and query, status, microseconds to the response
/// head. No span per request and no per-request allocation beyond the line itself: with a
/// buffered, non-blocking writer (see the binary's logging set-up) this costs a few percent of
/// the hot page's throughput, where the span-per-request trace layer cost a third.
async fn access_log(req: axum::extract::Request, next: axum::middleware::Next) -> Response<Body> {
    if !tracing::enabled!(target: ACCESS_TARGET, tracing::Level::INFO) {
        return next.run(req).await;
    }
    let start = Instant::now();
    let method = req.method().clone();
    let uri = req.uri().clone();
    let res = next.run(req).await;
    let path = uri.path_and_query().map_or("/", |p| p.as_str());
    tracing::info!(
        target: ACCESS_TARGET,
        "{method} {path} {} {}us",
        res.status().as_u16(),
        start.elapsed().as_micros()
    );
    res
}

fn layers(app: Router, site: Arc<SiteSettings>, log_requests: bool) -> Router {
    let app = app.layer(
        ServiceBuilder::new()
            // `if_not_present`: uploads set a stricter CSP of their own for SVG files.
            .layer(SetResponseHeaderLayer::if_not_present(
                header::CONTENT_SECURITY_POLICY,
                HeaderValue::from_static(CSP),
            ))
            .layer(SetResponseHeaderLayer::overriding(
                header::X_CONTENT_TYPE_OPTIONS,
                HeaderValue::from_static("nosniff"),
            ))
            .layer(SetResponseHeaderLayer::if_not_present(
                header::REFERRER_POLICY,
                HeaderValue::from_static("strict-origin-when-cross-origin"),
            ))
            .layer(SetResponseHeaderLayer::if_not_present(
                header::X_FRAME_OPTIONS,
                HeaderValue::from_static("DENY"),
            ))
            // Cached pages arrive with Content-Encoding already set; this layer leaves them alone.
            // The rest is compressed as it streams, once per response: cheaply.
            .layer(CompressionLayer::new().quality(CompressionLevel::Fastest))
            .layer(axum::middleware::map_response_with_state(
                site,
                render_error_pages,
            ))
            .layer(CatchPanicLayer::custom(panic_response))
            .layer(axum::middleware::from_fn(limit_body)),
    );
    if log_requests {
        app.layer(axum::middleware::from_fn(access_log))
    } else {
        app
    }
}

/// Paths that take photo uploads: their handlers set a larger limit of their own.
const MAX_UPLOAD_BODY_PATHS: [&str; 3] = [
    "/admin/photos",
    "/api/v1/photos",
    crate::routes::admin::EDITOR_PHOTO_UPLOAD_PATH,
];

/// The largest body a request to `path` may have; `None`: its handler sets the limit.
fn body_limit(path: &str) -> Option<usize> {
    if MAX_UPLOAD_BODY_PATHS.contains(&path) {
        return None;
    }
    // The article editor and the articles API take the editor's own limit, whatever the script.
    let article_write = path == "/admin/articles/new"
        || path
            .strip_prefix("/admin/articles/")
            .is_some_and(|id| !id.is_empty() && id.bytes().all(|b| b.is_ascii_digit()))
        || path == "/api/v1/articles"
        || path
            .strip_prefix("/api/v1/articles/")
            .is_some_and(|rest| !rest.is_empty() && !rest.contains('/'));
    Some(if article_write {
        crate::newsroom::MAX_ARTICLE_REQUEST_BYTES
    } else {
        MAX_REQUEST_BODY
    })
}

/// [`body_limit`] for every request; past it, a 413 with a page (or JSON) that says so.
async fn limit_body(req: axum::extract::Request, next: axum::middleware::Next) -> Response<Body> {
    let Some(limit) = body_limit(req.uri().path()) else {
        return next.run(req).await;
    };
    let too_long = req
        .headers()
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<usize>().ok())
        .is_some_and(|n| n > limit);
    if too_long {
        let e = crate::error::AppError::too_large(limit);
        return if req.uri().path().starts_with("/api/") {
            crate::error::ApiError(e).into_response()
        } else {
            e.into_response()
        };
    }
    let (parts, body) = req.into_parts();
    let body = Body::new(http_body_util::Limited::new(body, limit));
    next.run(axum::extract::Request::from_parts(parts, body))
        .await
}

/// Replaces the empty body of an [`ErrorPage`] response with the site's error page.
async fn render_error_pages<B>(
    State(site): State<Arc<SiteSettings>>,
    res: Response<B>,
) -> Response<Body>
where
    B: axum::body::HttpBody<Data = bytes::Bytes> + Send + 'static,
    B::Error: Into<axum::BoxError>,
{
    let Some(page) = res.extensions().get::<ErrorPage>().cloned() else {
        return res.map(Body::new);
    };
    let heading = match page.status {
        StatusCode::NOT_FOUND => "Page not found",
        StatusCode::FORBIDDEN => "Not allowed",
        s if s.is_server_error() => "Something went wrong",
        _ => "That request could not be handled",
    };
    let mut layout = Layout::new(&site, heading, "/");
    layout.noindex = true;
    // An error is not a page of its own: no canonical address for it.
    layout.canonical.clear();
    let view = ErrorPageView {
        layout,
        status: page.status.as_u16(),
        heading: heading.to_owned(),
        message: page.message,
    };
    let body = match askama::Template::render(&view) {
        Ok(html) => html,
        Err(e) => {
            tracing::error!(error = %e, "rendering the error page failed");
            format!(
                "<!doctype html><title>Error {}</title><h1>Error {}</h1>",
                page.status.as_u16(),
                page.status.as_u16()
            )
        }
    };
    // A missing page may be cached briefly (crawlers hammer them); failures never are.
    let cache_control = if page.status == StatusCode::NOT_FOUND {
        "public, max-age=60"
    } else {
        "no-store"
    };
    let mut out = (
        page.status,
        [
            (
                header::CONTENT_TYPE,
                HeaderValue::from_static("text/html; charset=utf-8"),
            ),
            (
                header::CACHE_CONTROL,
                HeaderValue::from_static(cache_control),
            ),
        ],
        body,
    )
        .into_response();
    if let Some(allow) = res.headers().get(header::ALLOW) {
        out.headers_mut().insert(header::ALLOW, allow.clone());
    }
    if let Some(retry) = res.headers().get(header::RETRY_AFTER) {
        out.headers_mut().insert(header::RETRY_AFTER, retry.clone());
    }
    out
}

/// A panicking handler becomes a logged, opaque 500 with the site's error page.
fn panic_response(err: Box<dyn Any + Send + 'static>) -> Response<Body> {
    let detail = err
        .downcast_ref::<&str>()
        .map(|s| (*s).to_owned())
        .or_else(|| err.downcast_ref::<String>().cloned())
        .unwrap_or_else(|| "unknown panic".to_owned());
    tracing::error!(panic = %detail, "handler panicked");
    let e = crate::error::AppError::Internal(anyhow::anyhow!("handler panicked"));
    let mut res = StatusCode::INTERNAL_SERVER_ERROR.into_response();
    res.extensions_mut().insert(ErrorPage {
        status: StatusCode::INTERNAL_SERVER_ERROR,
        message: e.public_message(),
    });
    res
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::routing::get;
    use tower::ServiceExt as _;

    fn app() -> Router {
        let r = Router::new()
            .route(
                "/internal",
                get(|| async {
                    crate::error::AppError::Internal(anyhow::anyhow!("db on fire: secret detail"))
                }),
            )
            .route(
                "/panic",
                get(|| async {
                    if true {
                        panic!("secret panic detail");
                    }
                    "unreachable"
                }),
            )
            .route("/ok", get(|| async { "fine" }))
            .fallback(crate::routes::site::not_found);
        layers(r, Arc::new(SiteSettings::default()), true)
    }

    async fn get_page(path: &str) -> (StatusCode, axum::http::HeaderMap, String) {
        let req = axum::http::Request::get(path)
            .body(Body::empty())
            .expect("request");
        let res = app().oneshot(req).await.expect("response");
        let status = res.status();
        let headers = res.headers().clone();
        let bytes = axum::body::to_bytes(res.into_body(), 1 << 20)
            .await
            .expect("body");
        (
            status,
            headers,
            String::from_utf8_lossy(&bytes).into_owned(),
        )
    }

    #[tokio::test]
    async fn internal_error_renders_the_500_page_without_internals() {
        let (status, headers, body) = get_page("/internal").await;
        assert_eq!(status, StatusCode::INTERNAL_SERVER_ERROR);
        assert!(body.contains("<h1>Something went wrong</h1>"), "{body}");
        assert!(!body.contains("secret detail"));
        assert_eq!(headers[header::CACHE_CONTROL], "no-store");
        assert!(
            headers[header::CONTENT_TYPE]
                .to_str()
                .unwrap_or("")
                .starts_with("text/html")
        );
    }

    #[tokio::test]
    async fn panic_renders_the_500_page() {
        let (status, _, body) = get_page("/panic").await;
        assert_eq!(status, StatusCode::INTERNAL_SERVER_ERROR);
        assert!(body.contains("Something went wrong"));
        assert!(!body.contains("secret panic detail"));
    }

    #[tokio::test]
    async fn unknown_route_renders_the_404_page() {
        let (status, _, body) = get_page("/nope").await;
        assert_eq!(status, StatusCode::NOT_FOUND);
        assert!(body.contains("Page not found"));
        assert!(body.contains("<main id=\"main\""));
    }

    #[tokio::test]
    async fn security_headers_are_on_every_response() {
        for path in ["/ok", "/nope", "/internal"] {
            let (_, h, _) = get_page(path).await;
            assert_eq!(h[header::CONTENT_SECURITY_POLICY], CSP, "{path}");
            assert_eq!(h[header::X_CONTENT_TYPE_OPTIONS], "nosniff");
            assert_eq!(
                h[header::REFERRER_POLICY],
                "strict-origin-when-cross-origin"
            );
            assert_eq!(h[header::X_FRAME_OPTIONS], "DENY");
        }
    }
}
