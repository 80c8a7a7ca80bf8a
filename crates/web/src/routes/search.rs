//! Reader search (issue 16): `/search` (server-rendered), `/opensearch.xml`, and the JSON
//! `GET /api/v1/search` and `GET /api/v1/search/suggest`. Queries run on this process's own
//! index, off the async threads; a bad or hostile query is a clear page, never a 500.

use std::sync::Arc;

use askama::Template;
use axum::Json;
use axum::Router;
use axum::extract::rejection::QueryRejection;
use axum::extract::{Query, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use chrono::{DateTime, NaiveDate, Utc};
use newsdesk_search::{Filters, Scope, Search, SearchError, SearchPage, SearchRequest, Sort};
use serde::{Deserialize, Serialize};

use crate::AppState;
use crate::error::{ApiError, AppError};
use crate::routes::api::ArticleDto;
use crate::views::Layout;

const PAGE_SIZE: usize = 10;
const SUGGESTIONS: usize = 8;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/search", get(search_page))
        .route("/opensearch.xml", get(opensearch))
}

/// `/search` and `/search/suggest` of the JSON API (nested under `/api/v1` with their document).
pub fn api_router() -> utoipa_axum::router::OpenApiRouter<AppState> {
    utoipa_axum::router::OpenApiRouter::new()
        .routes(utoipa_axum::routes!(api_search))
        .routes(utoipa_axum::routes!(api_suggest))
}

/// Every parameter as text: a malformed one is reported on the page, not rejected.
#[derive(Debug, Default, Deserialize)]
pub struct Params {
    #[serde(default)]
    q: String,
    section: Option<String>,
    author: Option<String>,
    agency: Option<String>,
    from: Option<String>,
    to: Option<String>,
    sort: Option<String>,
    limit: Option<String>,
    cursor: Option<String>,
}

fn nonempty(s: &Option<String>) -> Option<String> {
    s.as_deref()
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(str::to_owned)
}

/// A date (`2026-03-14`) or an RFC 3339 time; `end` takes the end of a bare date's day.
fn parse_time(s: &str, end: bool) -> Option<DateTime<Utc>> {
    if let Ok(t) = DateTime::parse_from_rfc3339(s) {
        return Some(t.with_timezone(&Utc));
    }
    let d = NaiveDate::parse_from_str(s, "%Y-%m-%d").ok()?;
    let t = if end {
        d.and_hms_micro_opt(23, 59, 59, 999_999)?
    } else {
        d.and_hms_opt(0, 0, 0)?
    };
    Some(t.and_utc())
}

/// The request, or what is wrong with the parameters (shown to the reader).
fn request(p: &Params, default_limit: usize) -> Result<SearchRequest, String> {
    let sort = match nonempty(&p.sort) {
        None => Sort::Relevance,
        Some(s) => Sort::parse(&s).ok_or("sort is \"relevance\" or \"newest\"")?,
    };
    let date = |v: &Option<String>, end: bool| match nonempty(v) {
        None => Ok(None),
        Some(s) => parse_time(&s, end)
            .map(Some)
            .ok_or("dates are written like 2026-03-14"),
    };
    let limit = match nonempty(&p.limit) {
        None => default_limit,
        Some(s) => s
            .parse::<usize>()
            .map_err(|_| "limit is a number from 1 to 50")?,
    };
    Ok(SearchRequest {
        q: p.q.clone(),
        scope: Scope::Public { at: Utc::now() },
        filters: Filters {
            section: nonempty(&p.section),
            author: nonempty(&p.author),
            agency: nonempty(&p.agency),
            from: date(&p.from, false)?,
            to: date(&p.to, true)?,
        },
        sort,
        limit: limit.clamp(1, newsdesk_search::MAX_LIMIT),
        cursor: nonempty(&p.cursor),
    })
}

enum Outcome {
    Page(SearchPage),
    /// The query could not be run as asked; the message is safe to show.
    Refused(String),
}

async fn run(search: Arc<dyn Search>, req: SearchRequest) -> Result<Outcome, AppError> {
    let res = tokio::task::spawn_blocking(move || search.search(&req))
        .await
        .map_err(|e| AppError::Internal(e.into()))?;
    match res {
        Ok(page) => Ok(Outcome::Page(page)),
        Err(e @ (SearchError::Query(_) | SearchError::BadCursor)) => {
            Ok(Outcome::Refused(capitalise(&e.to_string())))
        }
        Err(e) => Err(AppError::Internal(e.into())),
    }
}

fn capitalise(s: &str) -> String {
    let mut c = s.chars();
    match c.next() {
        Some(f) => f.to_uppercase().chain(c).collect::<String>() + ".",
        None => String::new(),
    }
}

fn unavailable() -> AppError {
    AppError::Unavailable("Search is not available right now; try again shortly.".into())
}

pub struct HitView {
    slug: String,
    headline: String,
    date: Option<(String, String)>,
    section: Option<(String, String)>,
    snippet_html: String,
}

#[derive(Template)]
#[template(path = "search.html")]
pub struct SearchView {
    layout: Layout,
    q: String,
    sort: &'static str,
    section: String,
    author: String,
    agency: String,
    from: String,
    to: String,
    notice: Option<String>,
    did_you_mean: Option<(String, String)>,
    hits: Vec<HitView>,
    next_url: Option<String>,
}

fn url_with(p: &Params, q: &str, cursor: Option<&str>) -> String {
    let mut pairs: Vec<(&str, String)> = vec![("q", q.to_owned())];
    for (k, v) in [
        ("section", &p.section),
        ("author", &p.author),
        ("agency", &p.agency),
        ("from", &p.from),
        ("to", &p.to),
        ("sort", &p.sort),
    ] {
        if let Some(v) = nonempty(v) {
            pairs.push((k, v));
        }
    }
    if let Some(c) = cursor {
        pairs.push(("cursor", c.to_owned()));
    }
    format!(
        "/search?{}",
        serde_urlencoded::to_string(&pairs).unwrap_or_default()
    )
}

async fn search_page(
    State(state): State<AppState>,
    params: Result<Query<Params>, QueryRejection>,
) -> Result<Response, AppError> {
    let p = params.map(|Query(p)| p).unwrap_or_default();
    let search = state.search.clone().ok_or_else(unavailable)?;
    let mut layout = Layout::new(&state.site, "Search", "/search");
    // Result pages are not for search engines to index.
    layout.noindex = true;
    let mut view = SearchView {
        layout,
        q: p.q.chars().take(500).collect(),
        sort: "relevance",
        section: nonempty(&p.section).unwrap_or_default(),
        author: nonempty(&p.author).unwrap_or_default(),
        agency: nonempty(&p.agency).unwrap_or_default(),
        from: nonempty(&p.from).unwrap_or_default(),
        to: nonempty(&p.to).unwrap_or_default(),
        notice: None,
        did_you_mean: None,
        hits: Vec::new(),
        next_url: None,
    };
    if p.q.trim().is_empty() && p.cursor.is_none() {
        view.notice = Some("Type a word or two to search for.".into());
    } else {
        match request(&p, PAGE_SIZE) {
            Err(m) => view.notice = Some(capitalise(&m)),
            Ok(req) => {
                view.sort = req.sort.as_str();
                match run(search, req).await? {
                    Outcome::Refused(m) => view.notice = Some(m),
                    Outcome::Page(page) => {
                        if page.hits.is_empty() {
                            view.notice = Some(format!(
                                "No articles match “{}”. Try fewer or different words.",
                                view.q
                            ));
                        }
                        view.did_you_mean = page
                            .did_you_mean
                            .as_ref()
                            .map(|d| (d.clone(), url_with(&p, d, None)));
                        view.next_url = page
                            .next_cursor
                            .as_deref()
                            .map(|c| url_with(&p, &p.q, Some(c)));
                        view.hits = page
                            .hits
                            .into_iter()
                            .map(|h| HitView {
                                slug: h.slug,
                                headline: h.headline,
                                date: h.published_at.map(|t| {
                                    (crate::views::iso(t), t.format("%-d %B %Y").to_string())
                                }),
                                section: h.section.map(|s| (s.slug, s.name)),
                                snippet_html: h.snippet_html,
                            })
                            .collect();
                    }
                }
            }
        }
    }
    let html = crate::routes::site::render(&view)?;
    Ok((
        StatusCode::OK,
        [
            (header::CONTENT_TYPE, "text/html; charset=utf-8"),
            (header::CACHE_CONTROL, "no-cache"),
        ],
        html,
    )
        .into_response())
}

async fn opensearch(State(state): State<AppState>) -> Response {
    let base = state.site.base_url.trim_end_matches('/');
    let esc = |s: &str| {
        s.replace('&', "&amp;")
            .replace('<', "&lt;")
            .replace('>', "&gt;")
            .replace('"', "&quot;")
    };
    let title: String = state.site.title.chars().take(16).collect();
    let body = format!(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n\
<OpenSearchDescription xmlns=\"http://a9.com/-/spec/opensearch/1.1/\">\n\
<ShortName>{}</ShortName>\n<Description>Search {}</Description>\n<InputEncoding>UTF-8</InputEncoding>\n\
<Url type=\"text/html\" method=\"get\" template=\"{}/search?q={{searchTerms}}\"/>\n\
<Url type=\"application/x-suggestions+json\" template=\"{}/api/v1/search/suggest?q={{searchTerms}}\"/>\n\
</OpenSearchDescription>\n",
        esc(&title),
        esc(&state.site.title),
        esc(base),
        esc(base)
    );
    (
        [(
            header::CONTENT_TYPE,
            "application/opensearchdescription+xml; charset=utf-8",
        )],
        body,
    )
        .into_response()
}

/// One search result: the article as in `/api/v1/articles`, plus its highlighted snippet.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct SearchItem {
    #[serde(flatten)]
    pub article: ArticleDto,
    /// HTML: the text escaped, matched words in `<mark>`.
    pub snippet: String,
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct SearchList {
    pub items: Vec<SearchItem>,
    pub next_cursor: Option<String>,
}

#[utoipa::path(get, path = "/search", tag = "public",
    params(
        ("q" = String, Query, description = "Words, \"a phrase\", -excluded (at most 256 characters, 16 terms)."),
        ("section" = Option<String>, Query, description = "Only this section (its slug)."),
        ("author" = Option<String>, Query, description = "Only this author (their slug)."),
        ("agency" = Option<String>, Query, description = "Only copy from this agency."),
        ("from" = Option<String>, Query, description = "Published on or after (2026-03-14 or RFC 3339)."),
        ("to" = Option<String>, Query, description = "Published on or before (2026-03-14 or RFC 3339)."),
        ("sort" = Option<String>, Query, description = "`relevance` (default) or `newest`."),
        ("limit" = Option<u32>, Query, minimum = 1, maximum = 50, description = "Results per page (default 20)."),
        ("cursor" = Option<String>, Query, description = "The `next_cursor` of the previous page."),
    ),
    responses((status = 200, body = SearchList), (status = 400, body = crate::error::ErrorBody),
        (status = 503, body = crate::error::ErrorBody)))]
async fn api_search(
    State(state): State<AppState>,
    params: Result<Query<Params>, QueryRejection>,
) -> Result<Json<SearchList>, ApiError> {
    let Ok(Query(p)) = params else {
        return Err(AppError::BadRequest("invalid search parameters".into()).into());
    };
    let search = state.search.clone().ok_or_else(unavailable)?;
    let req = request(&p, 20).map_err(AppError::BadRequest)?;
    let at = Utc::now();
    let page = match run(search, req).await? {
        Outcome::Refused(m) => return Err(AppError::BadRequest(m).into()),
        Outcome::Page(page) => page,
    };
    let mut items = Vec::with_capacity(page.hits.len());
    for h in page.hits {
        let Ok(id) = i64::try_from(h.id) else {
            continue;
        };
        // The index may be a moment behind: only what the store shows as visible now is listed.
        if let Some(a) = state.store.article(id).await?
            && a.is_visible_at(at)
        {
            items.push(SearchItem {
                article: ArticleDto::from_article(&a, &state.site),
                snippet: h.snippet_html,
            });
        }
    }
    Ok(Json(SearchList {
        items,
        next_cursor: page.next_cursor,
    }))
}

#[derive(Debug, Deserialize)]
pub struct SuggestParams {
    #[serde(default)]
    q: String,
}

/// A completion: a headline, a person or a tag starting with what was typed.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct SuggestionDto {
    /// `headline`, `person` or `tag`.
    pub kind: String,
    pub text: String,
    /// The article's slug for a headline, the tag's for a tag.
    pub slug: Option<String>,
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct SuggestList {
    pub items: Vec<SuggestionDto>,
}

#[utoipa::path(get, path = "/search/suggest", tag = "public",
    params(("q" = String, Query, description = "What was typed so far; the last word is a prefix.")),
    responses((status = 200, body = SuggestList), (status = 503, body = crate::error::ErrorBody)))]
async fn api_suggest(
    State(state): State<AppState>,
    params: Result<Query<SuggestParams>, QueryRejection>,
) -> Result<Json<SuggestList>, ApiError> {
    let q = params.map(|Query(p)| p.q).unwrap_or_default();
    let search = state.search.clone().ok_or_else(unavailable)?;
    let q: String = q.chars().take(newsdesk_search::MAX_QUERY_CHARS).collect();
    let items = tokio::task::spawn_blocking(move || {
        search.suggest(&q, &Scope::Public { at: Utc::now() }, SUGGESTIONS)
    })
    .await
    .map_err(|e| AppError::Internal(e.into()))?
    .unwrap_or_default()
    .into_iter()
    .map(|s| SuggestionDto {
        kind: match s.kind {
            newsdesk_search::SuggestionKind::Headline => "headline",
            newsdesk_search::SuggestionKind::Person => "person",
            newsdesk_search::SuggestionKind::Tag => "tag",
        }
        .to_owned(),
        text: s.text,
        slug: s.slug,
    })
    .collect();
    Ok(Json(SuggestList { items }))
}
