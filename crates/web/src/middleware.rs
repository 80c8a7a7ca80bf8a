//! Cross-cutting HTTP behaviour: security headers, compression of uncached responses, request
//! logs, error pages, panics as 500s.

use axum::Router;

use crate::state::AppState;

pub fn apply(app: Router, _state: &AppState) -> Router {
    app
}
