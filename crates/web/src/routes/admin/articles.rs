//! The article list (`/admin`, the newsroom's home) and the editor: new, edit, preview, publish,
//! schedule, submit for review, unpublish, delete, and uploading a lead photo from inside the
//! editor. Whatever goes wrong with a POST, the editor comes back with the text as it was sent
//! and says what happened: nothing typed is lost to an error page.

use askama::Template;
use axum::Router;
use axum::extract::{DefaultBodyLimit, Multipart, Path, Query, State};
use axum::http::HeaderMap;
use axum::response::Response;
use axum::routing::{get, post};
use chrono::{DateTime, Utc};
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
        .layer(DefaultBodyLimit::max(newsroom::MAX_ARTICLE_REQUEST_BYTES))
        .route(
            PHOTO_UPLOAD_PATH,
            post(upload_from_editor).layer(DefaultBodyLimit::max(crate::uploads::MAX_UPLOAD_BYTES)),
        )
}

/// Where the editor's "Upload and use" button sends the whole form, text and file together.
pub const PHOTO_UPLOAD_PATH: &str = "/admin/articles/photo";

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
            drafts_of: (who.user.role == newsdesk_core::accounts::Role::Author)
                .then(|| who.user.author_id.unwrap_or(-1)),
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

/// A photo in the lead-photo picker.
pub struct PhotoChoice {
    pub id: Id,
    pub thumb: String,
    pub alt: String,
    pub caption: String,
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
    /// The section select: every tag, the article's section selected.
    sections: Vec<Choice>,
    authors: Vec<Choice>,
    photos: Vec<PhotoChoice>,
    preview: Option<String>,
    can_publish: bool,
    can_submit: bool,
    can_upload: bool,
    schedule_value: String,
    /// The site's time zone, in which publish-at is shown and read.
    timezone: String,
    /// Who the article goes out under when the byline is empty.
    publisher: String,
    max_body: usize,
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
        sections: tags
            .iter()
            .map(|t: &Tag| Choice {
                id: t.id,
                label: t.name.clone(),
                selected: input.section_id == Some(t.id),
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
            .map(|p: &Photo| PhotoChoice {
                id: p.id,
                thumb: crate::views::photo_url(p),
                alt: p.alt.clone(),
                caption: if p.caption.is_empty() {
                    format!("Photo {}", p.id)
                } else {
                    p.caption.clone()
                },
                selected: input.lead_photo_id == Some(p.id),
            })
            .collect(),
        input,
        preview: None,
        can_publish: who.user.can(Action::PublishArticle, own),
        can_submit: article.is_some() && who.user.can(Action::SubmitForReview, own),
        can_upload: who.user.can(Action::UploadPhoto, Ownership::None),
        schedule_value: article
            .and_then(|a| a.published_at)
            .filter(|t| *t > Utc::now())
            .map(|t| state.site.to_local_input(&t))
            .unwrap_or_default(),
        timezone: state.site.timezone.clone(),
        publisher: state.site.publisher.clone(),
        max_body: newsroom::MAX_BODY,
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
        section_id: a.section.as_ref().map(|t| t.id),
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
            "section" => f.input.section_id = v.parse::<Id>().ok(),
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

/// A `datetime-local` value, in the site's time zone.
fn parse_local(state: &AppState, s: &str) -> Result<Option<DateTime<Utc>>, AppError> {
    let s = s.trim();
    if s.is_empty() {
        return Ok(None);
    }
    state.site.from_local_input(s).map(Some).ok_or_else(|| {
        AppError::Unprocessable(format!(
            "Publish at: {s:?} is not a date and time; write it as YYYY-MM-DDTHH:MM ({}).",
            state.site.timezone
        ))
    })
}

/// The editor's form as the admin site reads it. Authors' forms show no byline fields, so an
/// author's byline is left as it is rather than read as empty.
fn read_edit_form(who: &AdminUser, fields: Vec<(String, String)>) -> EditForm {
    let mut form = parse_edit_form(fields);
    if who.user.role == newsdesk_core::accounts::Role::Author {
        form.input.author_ids = None;
    }
    form
}

/// The editor again, with what was sent and why it was not done, under the error's status.
/// Only when even that page cannot be made (the store is down) does the error page answer.
async fn editor_with_error(
    state: &AppState,
    who: &AdminUser,
    article: Option<&Article>,
    input: ArticleInput,
    e: AppError,
) -> Result<Response, AppError> {
    e.log();
    let status = e.status();
    let message = e.public_message();
    let Ok(mut v) = edit_view(state, who, article, input).await else {
        return Err(e);
    };
    v.chrome.error = Some(message);
    let mut r = page(v)?;
    *r.status_mut() = status;
    Ok(r)
}

async fn create_article(
    State(state): State<AppState>,
    CsrfForm { who, form }: CsrfForm<Vec<(String, String)>>,
) -> Result<Response, AppError> {
    let form = read_edit_form(&who, form);
    if form.action == "preview" {
        let mut v = edit_view(&state, &who, None, form.input.clone()).await?;
        v.preview = Some(newsdesk_core::markdown::render(&form.input.body_markdown));
        return page(v);
    }
    let result = async {
        let at = parse_local(&state, &form.publish_at)?;
        let a = newsroom::create(&state, &who.user, &form.input).await?;
        if matches!(form.action.as_str(), "publish" | "schedule") {
            newsroom::set_status(&state, &who.user, a.id, ArticleStatus::Published, at).await?;
        }
        Ok::<_, AppError>(a)
    }
    .await;
    match result {
        Ok(a) => Ok(see_other(&format!("/admin/articles/{}", a.id))),
        Err(e) => editor_with_error(&state, &who, None, form.input, e).await,
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
    let form = read_edit_form(&who, form);
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
        "delete" => match newsroom::delete(&state, &who.user, id).await {
            Ok(()) => return Ok(see_other("/admin")),
            Err(e) => Err(e),
        },
        action => {
            async {
                let at = parse_local(&state, &form.publish_at)?;
                newsroom::edit(&state, &who.user, id, &form.input).await?;
                match action {
                    "publish" | "schedule" => {
                        newsroom::set_status(&state, &who.user, id, ArticleStatus::Published, at)
                            .await
                            .map(|_| ())
                    }
                    "submit" => newsroom::submit_for_review(&state, &who.user, id).await,
                    _ => Ok(()),
                }
            }
            .await
        }
    };
    match result {
        Ok(()) => Ok(see_other(&format!("/admin/articles/{id}"))),
        Err(e) => editor_with_error(&state, &who, Some(&current), form.input, e).await,
    }
}

/// "Upload and use": the editor's whole form arrives as multipart with a photo. The photo is
/// stored and the editor comes back with the text as sent and the new photo picked; nothing is
/// saved to the article until the editor presses Save.
async fn upload_from_editor(
    State(state): State<AppState>,
    who: AdminUser,
    headers: HeaderMap,
    multipart: Multipart,
) -> Result<Response, AppError> {
    let upload = crate::uploads::read_form(multipart).await?;
    who.verify_form(&state, &headers, upload.field("csrf"))?;
    let article = match upload.field("article_id").parse::<Id>() {
        Ok(id) => {
            let a = newsroom::load(&state, id).await?;
            may_open(&who, &a)?;
            Some(a)
        }
        Err(_) => None,
    };
    let mut input = read_edit_form(&who, upload.pairs.clone()).input;
    if who.user.role == newsdesk_core::accounts::Role::Author {
        input.author_ids = Some(article.as_ref().map_or_else(
            || who.user.author_id.into_iter().collect(),
            |a| a.authors.iter().map(|x| x.id).collect(),
        ));
    }
    let stored = async {
        who.require(Action::UploadPhoto, Ownership::None)?;
        crate::uploads::store_photo(&state, &who.user, &upload).await
    }
    .await;
    match stored {
        Ok(photo) => {
            input.lead_photo_id = Some(photo.id);
            let mut v = edit_view(&state, &who, article.as_ref(), input).await?;
            v.chrome.flash =
                Some("Photo uploaded and picked as the lead photo; save to keep it.".into());
            page(v)
        }
        Err(e) => editor_with_error(&state, &who, article.as_ref(), input, e).await,
    }
}
