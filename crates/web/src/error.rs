//! The one place where errors become HTTP responses.
//!
//! Handlers return `Result<_, AppError>` (pages) or `Result<_, ApiError>` (JSON API). Client errors
//! carry a message that is safe to show; anything unexpected is logged with its cause chain and
//! becomes an opaque 500. Page errors are answered with an empty body plus an [`ErrorPage`]
//! extension, which `middleware::render_error_pages` turns into the site's 404/500 page (it has the
//! state that the page layout needs and `IntoResponse` does not).

use axum::Json;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use newsdesk_core::{InvalidInput, StoreError};
use serde::Serialize;
use utoipa::ToSchema;

#[derive(Debug, thiserror::Error)]
pub enum AppError {
    #[error("not found")]
    NotFound,
    #[error("{0}")]
    BadRequest(String),
    #[error("{0}")]
    Conflict(String),
    /// No valid credentials (API token or session).
    #[error("unauthorized")]
    Unauthorized,
    #[error("{0}")]
    Forbidden(String),
    /// Input that parsed but does not make sense (a form or JSON field).
    #[error("{0}")]
    Unprocessable(String),
    /// The request body is larger than the route takes; the message says what the limit is for.
    #[error("{0}")]
    PayloadTooLarge(String),
    /// Too many attempts; retry after this many seconds.
    #[error("too many requests")]
    TooManyRequests(u64),
    /// A part of the site that is not running (the message says which); 503.
    #[error("{0}")]
    Unavailable(String),
    #[error("store error")]
    Store(#[source] StoreError),
    #[error("internal error")]
    Internal(#[source] anyhow::Error),
}

impl From<StoreError> for AppError {
    fn from(e: StoreError) -> Self {
        match e {
            StoreError::NotFound => AppError::NotFound,
            StoreError::Conflict(m) => AppError::Conflict(m),
            // The client named a tag, author, photo, ... that does not exist: their input.
            StoreError::InvalidReference(m) => {
                AppError::Unprocessable(format!("Unknown reference: {m}."))
            }
            other => AppError::Store(other),
        }
    }
}

impl From<newsdesk_core::hasher::HasherError> for AppError {
    fn from(e: newsdesk_core::hasher::HasherError) -> Self {
        match e {
            // The bounded Argon2 pool is full: refuse fast, the client may retry in a second.
            newsdesk_core::hasher::HasherError::Busy => AppError::TooManyRequests(1),
            other => AppError::Internal(other.into()),
        }
    }
}

impl From<InvalidInput> for AppError {
    fn from(e: InvalidInput) -> Self {
        AppError::BadRequest(e.0)
    }
}

impl From<anyhow::Error> for AppError {
    fn from(e: anyhow::Error) -> Self {
        AppError::Internal(e)
    }
}

impl AppError {
    /// What a body over `limit` bytes is answered with; it says the limit in the units a
    /// person can act on.
    pub fn too_large(limit: usize) -> Self {
        AppError::PayloadTooLarge(format!(
            "What was sent is larger than this form takes ({} KB); nothing was saved. Go back: the editor keeps your text in this browser and offers to restore it.",
            limit / 1024
        ))
    }

    pub fn status(&self) -> StatusCode {
        match self {
            AppError::NotFound => StatusCode::NOT_FOUND,
            AppError::BadRequest(_) => StatusCode::BAD_REQUEST,
            AppError::Conflict(_) => StatusCode::CONFLICT,
            AppError::Unauthorized => StatusCode::UNAUTHORIZED,
            AppError::Forbidden(_) => StatusCode::FORBIDDEN,
            AppError::Unprocessable(_) => StatusCode::UNPROCESSABLE_ENTITY,
            AppError::PayloadTooLarge(_) => StatusCode::PAYLOAD_TOO_LARGE,
            AppError::TooManyRequests(_) => StatusCode::TOO_MANY_REQUESTS,
            AppError::Unavailable(_) => StatusCode::SERVICE_UNAVAILABLE,
            AppError::Store(_) | AppError::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    /// A stable machine-readable code for API clients.
    pub fn code(&self) -> &'static str {
        match self {
            AppError::NotFound => "not_found",
            AppError::BadRequest(_) => "bad_request",
            AppError::Conflict(_) => "conflict",
            AppError::Unauthorized => "unauthorized",
            AppError::Forbidden(_) => "forbidden",
            AppError::Unprocessable(_) => "unprocessable",
            AppError::PayloadTooLarge(_) => "payload_too_large",
            AppError::TooManyRequests(_) => "too_many_requests",
            AppError::Unavailable(_) => "unavailable",
            AppError::Store(_) | AppError::Internal(_) => "internal",
        }
    }

    /// What the client may be told; never internals.
    pub fn public_message(&self) -> String {
        match self {
            AppError::NotFound => "The page or resource you asked for does not exist.".into(),
            AppError::BadRequest(m)
            | AppError::Conflict(m)
            | AppError::Forbidden(m)
            | AppError::Unprocessable(m)
            | AppError::PayloadTooLarge(m)
            | AppError::Unavailable(m) => m.clone(),
            AppError::Unauthorized => "Sign in, or send a valid API token.".into(),
            AppError::TooManyRequests(s) => format!("Too many attempts. Try again in {s} seconds."),
            AppError::Store(_) | AppError::Internal(_) => {
                "Something went wrong on our side. Please try again later.".into()
            }
        }
    }

    fn retry_after(&self) -> Option<axum::http::HeaderValue> {
        match self {
            AppError::TooManyRequests(s) => Some(axum::http::HeaderValue::from(*s)),
            _ => None,
        }
    }

    pub(crate) fn log(&self) {
        if self.status().is_server_error() {
            let mut chain = String::new();
            let mut source = std::error::Error::source(self);
            while let Some(s) = source {
                chain.push_str(": ");
                chain.push_str(&s.to_string());
                source = s.source();
            }
            tracing::error!(error = %self, cause = %chain, "request failed");
        }
    }
}

/// Marks a response whose body the error-page middleware must render.
#[derive(Debug, Clone)]
pub struct ErrorPage {
    pub status: StatusCode,
    pub message: String,
}

impl IntoResponse for AppError {
    fn into_response(self) -> Response {
        self.log();
        let status = self.status();
        let retry = self.retry_after();
        let mut res = status.into_response();
        if let Some(v) = retry {
            res.headers_mut().insert(axum::http::header::RETRY_AFTER, v);
        }
        res.extensions_mut().insert(ErrorPage {
            status,
            message: self.public_message(),
        });
        res
    }
}

/// The JSON API's error: `{"error": {"code": "...", "message": "..."}}` with the matching status.
#[derive(Debug)]
pub struct ApiError(pub AppError);

impl<E: Into<AppError>> From<E> for ApiError {
    fn from(e: E) -> Self {
        ApiError(e.into())
    }
}

/// The body of every API error, as written here and documented in the OpenAPI document.
#[derive(Debug, Serialize, ToSchema)]
pub struct ErrorBody {
    error: ErrorDetail,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ErrorDetail {
    /// Stable and machine-readable: `bad_request`, `unauthorized`, `forbidden`, `not_found`,
    /// `method_not_allowed`, `conflict`, `unprocessable`, `payload_too_large`,
    /// `too_many_requests` or `internal`.
    code: String,
    /// Safe to show to a person.
    message: String,
}

impl ErrorBody {
    pub fn new(code: &str, message: String) -> Self {
        ErrorBody {
            error: ErrorDetail {
                code: code.to_owned(),
                message,
            },
        }
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        self.0.log();
        let body = ErrorBody::new(self.0.code(), self.0.public_message());
        let mut res = (self.0.status(), Json(body)).into_response();
        if let Some(v) = self.0.retry_after() {
            res.headers_mut().insert(axum::http::header::RETRY_AFTER, v);
        }
        res
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_invalid_reference_from_the_store_is_the_clients_422_not_a_500() {
        let e = AppError::from(StoreError::InvalidReference("tag 99".into()));
        assert_eq!(e.status(), StatusCode::UNPROCESSABLE_ENTITY);
        assert_eq!(e.public_message(), "Unknown reference: tag 99.");
        assert_eq!(e.code(), "unprocessable");
    }
}
