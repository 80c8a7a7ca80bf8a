//! newsdesk's HTTP face: the public site, feeds, sitemaps and the JSON API, as one axum router.
//! Handlers stay thin: parse the request, ask the store or a core service, render a response.

pub mod auth;
pub mod cache;
pub mod csrf;
pub mod error;
pub mod facts;
pub mod middleware;
pub mod newsroom;
pub mod ops;
pub mod routes;
pub mod server;
pub mod state;
pub mod syndication;
pub mod uploads;
pub mod views;
pub mod webhooks;

use axum::Router;
use std::future::Future;
use tokio::net::TcpListener;

pub use error::AppError;
pub use newsdesk_media::MediaStore;
pub use state::AppState;

/// The whole site: public pages, feeds, API, static assets and uploads.
pub fn router(state: AppState) -> Router {
    let app = Router::new()
        .merge(routes::site::router())
        .merge(routes::people::pages())
        .merge(routes::coverage::router())
        .merge(routes::search::router())
        .merge(routes::feeds::router())
        .merge(routes::newsletter::router())
        .merge(routes::openapi::api_v1().split_for_parts().0)
        .route(
            "/api/openapi.json",
            axum::routing::get(routes::openapi::openapi_json),
        )
        .merge(routes::admin::router())
        .merge(routes::assets::router(&state))
        .merge(ops::router())
        .route_layer(axum::middleware::from_fn_with_state(
            state.clone(),
            ops::track,
        ))
        .fallback(routes::site::not_found)
        .with_state(state.clone());
    middleware::apply(app, &state)
}

/// Serves `router(state)` on `listener` until `shutdown` resolves, then finishes in-flight
/// requests; with the default [`server::ServerLimits`].
pub async fn serve(
    listener: TcpListener,
    state: AppState,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    serve_with(listener, state, server::ServerLimits::default(), shutdown).await
}

/// [`serve`] with explicit header, idle and connection limits.
pub async fn serve_with(
    listener: TcpListener,
    state: AppState,
    limits: server::ServerLimits,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    server::serve_with_limits(listener, router(state), limits, shutdown).await
}
