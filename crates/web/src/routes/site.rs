//! The public pages: home, article, author, tag, plus 404.
use axum::Router;

use crate::error::AppError;
use crate::state::AppState;

pub fn router() -> Router<AppState> {
    Router::new()
}

pub async fn not_found() -> AppError {
    AppError::NotFound
}
