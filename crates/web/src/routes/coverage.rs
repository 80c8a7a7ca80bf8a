//! A story's "Full coverage" page for readers, `/stories/{id}`: every outlet carrying the story
//! (its cluster), each version's headline, time and link, newest first. Shown only while the
//! story's article is visible to readers; linked from the article's "Also reported by" line.

use askama::Template;
use axum::Router;
use axum::extract::{Path, State};
use axum::http::{HeaderValue, header};
use axum::response::{Html, IntoResponse, Response};
use axum::routing::get;
use newsdesk_core::Id;

use crate::error::AppError;
use crate::state::AppState;
use crate::views::{Layout, TimeView, is_safe_link};

pub fn router() -> Router<AppState> {
    Router::new().route("/stories/{id}", get(coverage))
}

/// One outlet's version.
pub struct CoverageItem {
    pub outlet: String,
    pub headline: String,
    /// Empty when the outlet's link is not one we would send a reader to.
    pub href: String,
    pub time: TimeView,
}

#[derive(Template)]
#[template(path = "coverage.html")]
struct CoveragePage {
    layout: Layout,
    headline: String,
    article_href: String,
    outlets: usize,
    items: Vec<CoverageItem>,
}

async fn coverage(
    State(state): State<AppState>,
    Path(raw): Path<String>,
) -> Result<Response, AppError> {
    let id: Id = raw.parse().map_err(|_| AppError::NotFound)?;
    let story = state.store.story(id).await?.ok_or(AppError::NotFound)?;
    let Some(slug) = story
        .article_slug
        .as_deref()
        .filter(|_| story.article_public)
    else {
        return Err(AppError::NotFound);
    };
    let headline = story.lead().map(|m| m.headline.clone()).unwrap_or_default();
    let facts = state
        .facts
        .get(state.store.as_ref(), &state.site, state.cache.generation())
        .await?;
    let path = format!("/stories/{id}");
    let layout = Layout::new(&state.site, &format!("Full coverage: {headline}"), &path)
        .with_nav(&facts.sections, None)
        .with_description(&format!(
            "{headline}, as {} outlets report it.",
            story.outlets()
        ));
    let items = story
        .members
        .iter()
        .map(|m| CoverageItem {
            outlet: m.source.clone(),
            headline: m.headline.clone(),
            href: if is_safe_link(&m.url) {
                m.url.clone()
            } else {
                String::new()
            },
            time: TimeView::of(m.at),
        })
        .collect();
    let page = CoveragePage {
        layout,
        headline,
        article_href: format!("/articles/{slug}"),
        outlets: story.outlets(),
        items,
    };
    let body = page.render().map_err(|e| AppError::Internal(e.into()))?;
    let mut res = Html(body).into_response();
    // Members join as the wire desk works: a short shared cache only.
    res.headers_mut().insert(
        header::CACHE_CONTROL,
        HeaderValue::from_static("public, max-age=60"),
    );
    Ok(res)
}
