//! Everything under `/api/v1` as one router, and its OpenAPI document at `/api/openapi.json`.
//!
//! Every `/api/v1` route is registered through `utoipa_axum` (`routes!` over handlers annotated
//! with `#[utoipa::path]`), so the document is generated from the router and cannot drift from
//! it; `tests/it/openapi.rs` checks that against the running server.

use std::sync::OnceLock;

use axum::http::{HeaderValue, Method, StatusCode, header};
use axum::response::{IntoResponse, Response};
use utoipa::OpenApi;
use utoipa_axum::router::OpenApiRouter;

use crate::error::{ApiError, AppError, ErrorBody, ErrorDetail};
use crate::state::AppState;

#[derive(OpenApi)]
#[openapi(
    info(
        title = "newsdesk API",
        description = "Read published articles, authors and tags (no credentials), and write articles, photos and feed sources with `Authorization: Bearer <token>` (`newsdesk user token EMAIL`). Every error answers `{\"error\": {\"code\", \"message\"}}`."
    ),
    components(schemas(ErrorBody, ErrorDetail)),
    modifiers(&BearerAuth),
    tags(
        (name = "public", description = "Published content; no credentials needed."),
        (name = "admin", description = "The newsroom's writes; same permissions as the admin site."),
        (name = "sources", description = "The wire desk's feeds; admins only."),
        (name = "stories", description = "Story clusters and their corrections; editors and admins.")
    )
)]
struct ApiDoc;

struct BearerAuth;

impl utoipa::Modify for BearerAuth {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "bearer",
            SecurityScheme::Http(HttpBuilder::new().scheme(HttpAuthScheme::Bearer).build()),
        );
    }
}

/// Every route under `/api/v1`, with its document (paths include the `/api/v1` prefix).
pub fn api_v1() -> OpenApiRouter<AppState> {
    let (router, doc) = crate::routes::api::router()
        .merge(crate::routes::api_admin::router())
        .merge(crate::routes::sources::router())
        .merge(crate::routes::stories::router())
        .merge(crate::routes::people::router())
        .merge(crate::routes::search::api_router())
        .split_for_parts();
    // A wrong method or an unknown path answers in the API's JSON shape too; axum adds `Allow`.
    let router = router
        .method_not_allowed_fallback(method_not_allowed)
        .fallback(not_found);
    let mut v1 = OpenApiRouter::from(router);
    *v1.get_openapi_mut() = doc;
    OpenApiRouter::with_openapi(ApiDoc::openapi()).nest("/api/v1", v1)
}

/// The document as JSON, built once.
pub fn document_json() -> &'static str {
    static JSON: OnceLock<String> = OnceLock::new();
    JSON.get_or_init(|| {
        let (_, doc) = api_v1().split_for_parts();
        // Serializing plain data structures cannot fail; an empty document would show it did.
        doc.to_pretty_json().unwrap_or_else(|e| {
            tracing::error!(error = %e, "could not serialize the OpenAPI document");
            String::new()
        })
    })
}

/// `GET /api/openapi.json`.
pub async fn openapi_json() -> Response {
    match document_json() {
        "" => ApiError(AppError::Internal(anyhow::anyhow!("no OpenAPI document"))).into_response(),
        json => (
            [
                (
                    header::CONTENT_TYPE,
                    HeaderValue::from_static("application/json"),
                ),
                (
                    header::CACHE_CONTROL,
                    HeaderValue::from_static("public, max-age=300"),
                ),
            ],
            json,
        )
            .into_response(),
    }
}

async fn not_found() -> ApiError {
    ApiError(AppError::NotFound)
}

/// AppError has no 405; the body is the same [`ErrorBody`] all API errors have.
async fn method_not_allowed(method: Method) -> Response {
    let body = ErrorBody::new(
        "method_not_allowed",
        format!("This address does not answer {method}; the Allow header lists what it does."),
    );
    (StatusCode::METHOD_NOT_ALLOWED, axum::Json(body)).into_response()
}
