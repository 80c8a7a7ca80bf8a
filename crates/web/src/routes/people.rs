//! Who said what in the JSON API (issue 15): `/api/v1/people` (the most quoted),
//! `/api/v1/people/{slug}` (a person with their quotes, newest first, cursor-paginated) and
//! `/api/v1/articles/{slug}/quotes`. Only what readers may see: visible articles, no dropped
//! quotes.

use axum::extract::rejection::{PathRejection, QueryRejection};
use axum::extract::{Path, Query, State};
use chrono::{DateTime, Utc};
use newsdesk_core::Cursor;
use newsdesk_core::quotes::{ArticleQuote, MOST_QUOTED, Person, QuoteKind};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::error::{ApiError, AppError, ErrorBody};
use crate::routes::api::{ApiJson, ApiResult, path_slug};
use crate::state::AppState;

/// Quotes per page of a person.
pub const QUOTES_PER_PAGE: u32 = 20;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list_people))
        .routes(routes!(person))
        .routes(routes!(article_quotes))
}

/// The public path of a person's page.
pub fn person_path(slug: &str) -> String {
    format!("/people/{slug}")
}

#[derive(Debug, Serialize, ToSchema)]
struct PersonDto {
    slug: String,
    name: String,
    /// Their page on this site.
    url: String,
}

impl PersonDto {
    fn of(p: &Person, state: &AppState) -> Self {
        PersonDto {
            slug: p.slug.to_string(),
            name: p.name.clone(),
            url: state.site.url(&person_path(p.slug.as_str())),
        }
    }
}

#[derive(Debug, Serialize, ToSchema)]
struct PersonCount {
    #[serde(flatten)]
    person: PersonDto,
    /// Their quotes in published articles.
    quotes: u64,
}

#[derive(Debug, Serialize, ToSchema)]
struct PeopleList {
    items: Vec<PersonCount>,
}

#[derive(Debug, Serialize, ToSchema)]
struct QuoteDto {
    text: String,
    /// The speaker as the article names them (`null`: no speaker found).
    speaker: Option<String>,
    person: Option<PersonDto>,
    role: Option<String>,
    channel: Option<String>,
    /// `full` or `partial`.
    kind: String,
}

impl QuoteDto {
    fn of(q: &ArticleQuote, state: &AppState) -> Self {
        QuoteDto {
            text: q.text.clone(),
            speaker: q.speaker.clone(),
            person: q.person.as_ref().map(|p| PersonDto::of(p, state)),
            role: q.role.clone(),
            channel: q.channel.clone(),
            kind: match q.kind {
                QuoteKind::Full => "full",
                QuoteKind::Partial => "partial",
            }
            .into(),
        }
    }
}

#[derive(Debug, Serialize, ToSchema)]
struct PersonQuoteDto {
    #[serde(flatten)]
    quote: QuoteDto,
    article_slug: String,
    article_headline: String,
    article_url: String,
    published_at: DateTime<Utc>,
}

#[derive(Debug, Serialize, ToSchema)]
struct PersonPage {
    #[serde(flatten)]
    person: PersonDto,
    /// Newest first.
    quotes: Vec<PersonQuoteDto>,
    /// Pass as `cursor` for the next page; `null` on the last.
    next_cursor: Option<String>,
}

#[derive(Debug, Serialize, ToSchema)]
struct QuoteList {
    items: Vec<QuoteDto>,
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
struct PageParams {
    /// The `next_cursor` of the previous page.
    cursor: Option<String>,
}

fn bad(m: &str) -> ApiError {
    ApiError(AppError::BadRequest(m.into()))
}

/// The most quoted people, most quotes first.
#[utoipa::path(get, path = "/people", tag = "public",
    responses((status = 200, body = PeopleList)))]
async fn list_people(State(state): State<AppState>) -> ApiResult<PeopleList> {
    let people = state.store.list_people(Utc::now(), MOST_QUOTED).await?;
    Ok(ApiJson(PeopleList {
        items: people
            .iter()
            .map(|p| PersonCount {
                person: PersonDto::of(&p.person, &state),
                quotes: p.quotes,
            })
            .collect(),
    }))
}

/// One person and their quotes in published articles, newest first, a page at a time.
#[utoipa::path(get, path = "/people/{slug}", tag = "public",
    params(("slug" = String, Path, description = "The person's slug."), PageParams),
    responses((status = 200, body = PersonPage), (status = 400, body = ErrorBody),
        (status = 404, body = ErrorBody)))]
async fn person(
    State(state): State<AppState>,
    slug: Result<Path<String>, PathRejection>,
    params: Result<Query<PageParams>, QueryRejection>,
) -> ApiResult<PersonPage> {
    let slug = path_slug(slug)?;
    let Query(params) = params.map_err(|_| bad("malformed query string"))?;
    let before = match params.cursor.as_deref().filter(|c| !c.is_empty()) {
        Some(c) => {
            Some(Cursor::decode(c).ok_or_else(|| bad("cursor: not a cursor this API gave out"))?)
        }
        None => None,
    };
    let p = state
        .store
        .person_by_slug(&slug)
        .await?
        .ok_or(ApiError(AppError::NotFound))?;
    let page = state
        .store
        .person_quotes(p.id, Utc::now(), before, QUOTES_PER_PAGE)
        .await?;
    Ok(ApiJson(PersonPage {
        person: PersonDto::of(&p, &state),
        quotes: page
            .items
            .iter()
            .map(|q| PersonQuoteDto {
                quote: QuoteDto::of(&q.quote, &state),
                article_slug: q.article_slug.to_string(),
                article_headline: q.headline.clone(),
                article_url: state
                    .site
                    .url(&format!("/articles/{}", q.article_slug.as_str())),
                published_at: q.published_at,
            })
            .collect(),
        next_cursor: page.next.map(|c| c.encode()),
    }))
}

/// The quotes of one published article, in text order.
#[utoipa::path(get, path = "/articles/{slug}/quotes", tag = "public",
    params(("slug" = String, Path, description = "The article's slug.")),
    responses((status = 200, body = QuoteList), (status = 404, body = ErrorBody)))]
async fn article_quotes(
    State(state): State<AppState>,
    slug: Result<Path<String>, PathRejection>,
) -> ApiResult<QuoteList> {
    let slug = path_slug(slug)?;
    let a = state
        .store
        .visible_article_by_slug(&slug, Utc::now())
        .await?
        .ok_or(ApiError(AppError::NotFound))?;
    let quotes = state.store.article_quotes(a.id).await?;
    Ok(ApiJson(QuoteList {
        items: quotes
            .iter()
            .filter(|q| !q.dropped)
            .map(|q| QuoteDto::of(q, &state))
            .collect(),
    }))
}

// --- reader pages: `/people` and `/people/{slug}` (page-cached like the other public pages)

/// The reader pages' routes.
pub fn pages() -> axum::Router<AppState> {
    axum::Router::new()
        .route("/people", axum::routing::get(people_page))
        .route("/people/{slug}", axum::routing::get(person_page))
}

/// The article page's "Who is quoted": each person once, in order of appearance.
pub(crate) async fn quoted_in(
    state: &AppState,
    article_id: newsdesk_core::Id,
) -> Result<Vec<crate::views::LinkView>, AppError> {
    let quotes = state.store.article_quotes(article_id).await?;
    let mut out: Vec<crate::views::LinkView> = Vec::new();
    for p in quotes
        .iter()
        .filter(|q| !q.dropped)
        .filter_map(|q| q.person.as_ref())
    {
        let href = person_path(p.slug.as_str());
        if !out.iter().any(|l| l.href == href) {
            out.push(crate::views::LinkView {
                name: p.name.clone(),
                href,
            });
        }
    }
    Ok(out)
}

async fn people_page(
    State(state): State<AppState>,
    headers: axum::http::HeaderMap,
) -> Result<axum::response::Response, AppError> {
    crate::routes::site::page(&state, "/people", &headers, |ctx| {
        render_people(&state, ctx)
    })
    .await
}

async fn render_people(
    state: &AppState,
    ctx: crate::routes::site::Ctx,
) -> Result<crate::cache::CachedResponse, AppError> {
    {
        let people = state.store.list_people(Utc::now(), MOST_QUOTED).await?;
        let layout = crate::views::Layout::new(&state.site, "Who said what", "/people")
            .with_nav(&ctx.facts.sections, None);
        let view = crate::views::PeoplePage {
            layout,
            people: people
                .iter()
                .map(|p| {
                    (
                        crate::views::LinkView {
                            name: p.person.name.clone(),
                            href: person_path(p.person.slug.as_str()),
                        },
                        p.quotes,
                    )
                })
                .collect(),
        };
        crate::routes::site::html(&ctx, &view)
    }
}

async fn person_page(
    State(state): State<AppState>,
    Path(raw): Path<String>,
    params: Result<Query<crate::routes::site::PageParams>, QueryRejection>,
    headers: axum::http::HeaderMap,
) -> Result<axum::response::Response, AppError> {
    use crate::routes::site::{cursor, page, slug, with_cursor};
    let slug = slug(&raw)?;
    let before = cursor(params)?;
    let key = with_cursor(&person_path(slug.as_str()), before.as_ref());
    page(&state, &key, &headers, |ctx| {
        render_person(&state, ctx, slug, before)
    })
    .await
}

async fn render_person(
    state: &AppState,
    ctx: crate::routes::site::Ctx,
    slug: newsdesk_core::Slug,
    before: Option<Cursor>,
) -> Result<crate::cache::CachedResponse, AppError> {
    use crate::routes::site::{html, with_cursor};
    let base = person_path(slug.as_str());
    {
        let p = state
            .store
            .person_by_slug(&slug)
            .await?
            .ok_or(AppError::NotFound)?;
        let list = state
            .store
            .person_quotes(p.id, Utc::now(), before, QUOTES_PER_PAGE)
            .await?;
        let next_url = list.next.map(|c| with_cursor(&base, Some(&c)));
        let mut layout =
            crate::views::Layout::new(&state.site, &p.name, &with_cursor(&base, before.as_ref()))
                .with_nav(&ctx.facts.sections, None);
        layout.next_url = next_url.clone();
        let view = crate::views::PersonPage {
            layout,
            name: p.name.clone(),
            quotes: list
                .items
                .iter()
                .map(|q| crate::views::PersonQuoteView {
                    text: q.quote.text.clone(),
                    article: crate::views::LinkView {
                        name: q.headline.clone(),
                        href: format!("/articles/{}", q.article_slug.as_str()),
                    },
                    published: crate::views::TimeView::of(q.published_at),
                    channel: q.quote.channel.clone(),
                    role: q.quote.role.clone(),
                })
                .collect(),
            first_page: before.is_none(),
            first_url: base.clone(),
            next_url,
        };
        html(&ctx, &view)
    }
}
