//! Static assets (CSS, icons) compiled into the binary, and uploaded photos from the data directory.
use axum::Router;

use crate::state::AppState;

pub fn router(_state: &AppState) -> Router<AppState> {
    Router::new()
}
