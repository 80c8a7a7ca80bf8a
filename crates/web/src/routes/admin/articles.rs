//! The article list (`/admin`, the newsroom's home) and the editor: new, edit, preview, publish,
//! schedule, submit for review, unpublish, delete.

use askama::Template;
use axum::Router;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::Response;
use axum::routing::get;
use chrono::{DateTime, NaiveDateTime, Utc};
use newsdesk_core::accounts::{Action, Ownership};
use newsdesk_core::editorial::AdminArticleQuery;
use newsdesk_core::{Article, ArticleStatus, Author, Id, Photo, Tag};
use serde::Deserialize;

use super::{Chrome, fmt_time, page, see_other};
use crate::auth::AdminUser;
use crate::csrf::CsrfForm;
use crate::error::AppError;
use crate::newsroom::{self, ArticleInput};
use crate::state::AppState;

pub(super) fn routes() -> Router<AppState> {
    Router::new()
        .route("/admin", get(articles))
        .route("/admin/articles/new", get(new_article).post(create_article))
        .route("/admin/articles/{id}", get(edit_article).post(save_article))
}

pub struct Row {
    pub id: Id,
    pub headline: String,
    pub status: &'static str,
    pub when: String,
    pub byline: String,
    pub source: String,
    pub public_url: Option<String>,
}

impl Row {
    pub(super) fn of(a: &Article) -> Row {
        Row {
            id: a.id,
            headline: a.headline.clone(),
            status: a.status.as_str(),
            when: a
                .published_at
                .map(|t| fmt_time(&t))
                .unwrap_or_else(|| format!("edited {}", fmt_time(&a.updated_at))),
            byline: a
                .authors
                .iter()
                .map(|x| x.name.as_str())
                .collect::<Vec<_>>()
                .join(", "),
            source: a
                .source
                .as_ref()
                .map(|s| s.agency.clone())
                .unwrap_or_default(),
            public_url: a
                .is_visible_at(Utc::now())
                .then(|| crate::views::article_url(a)),
        }
    }
}

#[derive(Template)]
#[template(path = "admin/articles.html")]
struct ArticlesView {
    chrome: Chrome,
    rows: Vec<Row>,
    status: String,
    q: String,
    mine: bool,
    next: Option<String>,
}

#[derive(Deserialize, Default)]
struct ListParams {
    #[serde(default)]
    status: String,
    #[serde(default)]
    q: String,
    #[serde(default)]
    mine: Option<String>,
    #[serde(default)]
    page: u32,
}

const PER_PAGE: u32 = 30;

async fn articles(
    State(state): State<AppState>,
    who: AdminUser,
    Query(p): Query<ListParams>,
) -> Result<Response, AppError> {
    let status = ArticleStatus::parse(&p.status);
    let mine = p.mine.is_some();
    let list = state
        .store
        .admin_list_articles(&AdminArticleQuery {
            status,
            search: Some(p.q.clone()).filter(|s| !s.trim().is_empty()),
            author_id: if mine {
                Some(who.user.author_id.unwrap_or(-1))
            } else {
                None
            },
            review_queue: false,
            offset: p.page.saturating_mul(PER_PAGE),
            limit: PER_PAGE + 1,
        })
        .await?;
    let more = list.len() > PER_PAGE as usize;
    let rows = list.iter().take(PER_PAGE as usize).map(Row::of).collect();
    let next = more.then(|| {
        let mut u = url::form_urlencoded::Serializer::new(String::new());
        u.append_pair("status", &p.status)
            .append_pair("q", &p.q)
            .append_pair("page", &(p.page + 1).to_string());
        if mine {
            u.append_pair("mine", "1");
        }
        format!("/admin?{}", u.finish())
    });
    page(ArticlesView {
        chrome: Chrome::new(&state, &who, "Articles", "articles"),
        rows,
        status: status.map(|s| s.as_str().to_owned()).unwrap_or_default(),
        q: p.q,
        mine,
        next,
    })
}

pub struct Choice {
    pub id: Id,
    pub label: String,
    pub selected: bool,
}

#[derive(Template)]
#[template(path = "admin/edit.html")]
struct EditView {
    chrome: Chrome,
    article: Option<Row>,
    id: Option<Id>,
    input: ArticleInput,
    tags: Vec<Choice>,
    authors: Vec<Choice>,
    photos: Vec<Choice>,
    preview: Option<String>,
    can_publish: bool,
    can_submit: bool,
    schedule_value: String,
    is_draft: bool,
}

async fn edit_view(
    state: &AppState,
    who: &AdminUser,
    article: Option<&Article>,
    input: ArticleInput,
) -> Result<EditView, AppError> {
    let tags = state.store.list_tags().await?;
    let authors = state.store.list_authors().await?;
    let photos = state.store.list_photos(100).await?;
    let own = article.map_or(Ownership::Own, |a| who.user.owns(a));
    let author_sel = input.author_ids.clone().unwrap_or_default();
    Ok(EditView {
        chrome: Chrome::new(
            state,
            who,
            if article.is_some() {
                "Edit article"
            } else {
                "New article"
            },
            "articles",
        ),
        article: article.map(Row::of),
        id: article.map(|a| a.id),
        tags: tags
            .iter()
            .map(|t: &Tag| Choice {
                id: t.id,
                label: t.name.clone(),
                selected: input.tag_ids.contains(&t.id),
            })
            .collect(),
        authors: authors
            .iter()
            .map(|a: &Author| Choice {
                id: a.id,
                label: a.name.clone(),
                selected: author_sel.contains(&a.id),
            })
            .collect(),
        photos: photos
            .iter()
            .map(|p: &Photo| Choice {
                id: p.id,
                label: format!("#{} {}", p.id, p.caption),
                selected: input.lead_photo_id == Some(p.id),
            })
            .collect(),
        input,
        preview: None,
        can_publish: who.user.can(Action::PublishArticle, own),
        can_submit: article.is_some() && who.user.can(Action::SubmitForReview, own),
        schedule_value: article
            .and_then(|a| a.published_at)
            .filter(|t| *t > Utc::now())
            .map(|t| t.format("%Y-%m-%dT%H:%M").to_string())
            .unwrap_or_default(),
        is_draft: article.is_none_or(|a| a.status == ArticleStatus::Draft),
    })
}

fn input_of(a: &Article) -> ArticleInput {
    ArticleInput {
        headline: a.headline.clone(),
        standfirst: a.standfirst.clone(),
        body_markdown: a.body_markdown.clone(),
        slug: Some(a.slug.to_string()),
        tag_ids: a.tags.iter().map(|t| t.id).collect(),
        author_ids: Some(a.authors.iter().map(|x| x.id).collect()),
        lead_photo_id: a.lead_photo.as_ref().map(|p| p.id),
        important: a.important,
    }
}

async fn new_article(State(state): State<AppState>, who: AdminUser) -> Result<Response, AppError> {
    who.require(Action::CreateArticle, Ownership::None)?;
    let input = ArticleInput {
        author_ids: Some(who.user.author_id.into_iter().collect()),
        ..Default::default()
    };
    page(edit_view(&state, &who, None, input).await?)
}

/// The editor form, read from its fields in order: repeated `tag`/`author` fields and an
/// `action` button.
struct EditForm {
    action: String,
    publish_at: String,
    input: ArticleInput,
}

fn parse_edit_form(fields: Vec<(String, String)>) -> EditForm {
    let mut f = EditForm {
        action: String::new(),
        publish_at: String::new(),
        input: ArticleInput {
            author_ids: Some(vec![]),
            ..Default::default()
        },
    };
    for (k, v) in fields {
        match k.as_str() {
            "action" => f.action = v,
            "publish_at" => f.publish_at = v,
            "headline" => f.input.headline = v,
            "standfirst" => f.input.standfirst = v,
            // Browsers send CRLF line ends from textareas; Markdown and diffs want LF.
            "body_markdown" => f.input.body_markdown = v.replace("\r\n", "\n"),
            "slug" => f.input.slug = Some(v),
            "important" => f.input.important = true,
            "tag" => f.input.tag_ids.extend(v.parse::<Id>().ok()),
            "author" => {
                if let (Some(list), Ok(id)) = (f.input.author_ids.as_mut(), v.parse::<Id>()) {
                    list.push(id);
                }
            }
            "lead_photo_id" => f.input.lead_photo_id = v.parse::<Id>().ok(),
            _ => {}
        }
    }
    f
}

/// `datetime-local` input values are in UTC here (the form says so).
fn parse_local(s: &str) -> Result<Option<DateTime<Utc>>, AppError> {
    let s = s.trim();
    if s.is_empty() {
        return Ok(None);
    }
    NaiveDateTime::parse_from_str(s, "%Y-%m-%dT%H:%M")
        .or_else(|_| NaiveDateTime::parse_from_str(s, "%Y-%m-%dT%H:%M:%S"))
        .map(|n| Some(n.and_utc()))
        .map_err(|_| AppError::Unprocessable("The publish time is not a date and time.".into()))
}

async fn create_article(
    State(state): State<AppState>,
    CsrfForm { who, form }: CsrfForm<Vec<(String, String)>>,
) -> Result<Response, AppError> {
    let form = parse_edit_form(form);
    if form.action == "preview" {
        let mut v = edit_view(&state, &who, None, form.input.clone()).await?;
        v.preview = Some(newsdesk_core::markdown::render(&form.input.body_markdown));
        return page(v);
    }
    match newsroom::create(&state, &who.user, &form.input).await {
        Ok(a) => {
            if matches!(form.action.as_str(), "publish" | "schedule") {
                let at = parse_local(&form.publish_at)?;
                newsroom::set_status(&state, &who.user, a.id, ArticleStatus::Published, at).await?;
            }
            Ok(see_other(&format!("/admin/articles/{}", a.id)))
        }
        Err(e @ (AppError::Unprocessable(_) | AppError::Conflict(_))) => {
            let mut v = edit_view(&state, &who, None, form.input).await?;
            v.chrome.error = Some(e.public_message());
            let mut r = page(v)?;
            *r.status_mut() = StatusCode::UNPROCESSABLE_ENTITY;
            Ok(r)
        }
        Err(e) => Err(e),
    }
}

async fn edit_article(
    State(state): State<AppState>,
    who: AdminUser,
    Path(id): Path<Id>,
) -> Result<Response, AppError> {
    let a = newsroom::load(&state, id).await?;
    may_open(&who, &a)?;
    page(edit_view(&state, &who, Some(&a), input_of(&a)).await?)
}

/// Who may see an article in the editor: whoever may edit it, and reviewers.
fn may_open(who: &AdminUser, a: &Article) -> Result<(), AppError> {
    if who.user.can(Action::EditArticle, who.user.owns(a))
        || who.user.can(Action::Review, Ownership::None)
    {
        Ok(())
    } else {
        Err(AppError::Forbidden("Your role does not allow this.".into()))
    }
}

async fn save_article(
    State(state): State<AppState>,
    Path(id): Path<Id>,
    CsrfForm { who, form }: CsrfForm<Vec<(String, String)>>,
) -> Result<Response, AppError> {
    let form = parse_edit_form(form);
    let current = newsroom::load(&state, id).await?;
    // Every action below checks its own permission; this keeps a preview from showing an
    // article the user may not open.
    may_open(&who, &current)?;
    let result = match form.action.as_str() {
        "preview" => {
            let mut v = edit_view(&state, &who, Some(&current), form.input.clone()).await?;
            v.preview = Some(newsdesk_core::markdown::render(&form.input.body_markdown));
            return page(v);
        }
        "unpublish" => newsroom::set_status(&state, &who.user, id, ArticleStatus::Draft, None)
            .await
            .map(|_| ()),
        "delete" => {
            newsroom::delete(&state, &who.user, id).await?;
            return Ok(see_other("/admin"));
        }
        action => {
            let saved = newsroom::edit(&state, &who.user, id, &form.input).await;
            match (saved, action) {
                (Ok(_), "publish" | "schedule") => {
                    let at = parse_local(&form.publish_at)?;
                    newsroom::set_status(&state, &who.user, id, ArticleStatus::Published, at)
                        .await
                        .map(|_| ())
                }
                (Ok(_), "submit") => newsroom::submit_for_review(&state, &who.user, id).await,
                (r, _) => r.map(|_| ()),
            }
        }
    };
    match result {
        Ok(()) => Ok(see_other(&format!("/admin/articles/{id}"))),
        Err(e @ (AppError::Unprocessable(_) | AppError::Conflict(_))) => {
            let mut v = edit_view(&state, &who, Some(&current), form.input).await?;
            v.chrome.error = Some(e.public_message());
            let mut r = page(v)?;
            *r.status_mut() = StatusCode::UNPROCESSABLE_ENTITY;
            Ok(r)
        }
        Err(e) => Err(e),
    }
}
