//! The newsroom site under `/admin`: server-rendered forms that work without JavaScript.
//!
//! Every handler takes an [`AdminUser`] (signed in, enabled) and checks the action's permission
//! itself; every POST checks the CSRF token and origin first. Responses are never cached.

use askama::Template;
use axum::Router;
use axum::extract::{DefaultBodyLimit, Multipart, Path, Query, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{Html, IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use chrono::{DateTime, NaiveDateTime, Utc};
use newsdesk_core::accounts::{
    self, Action, ApiToken, AuditEntry, NewUser, Ownership, Password, Role, User, Webhook,
    WebhookDelivery,
};
use newsdesk_core::editorial::{AdminArticleQuery, Revision};
use newsdesk_core::{
    Article, ArticleStatus, Author, EmailAddress, Id, NewAuthor, NewTag, Photo, Slug, Tag,
};
use serde::Deserialize;

use crate::auth::{self, AdminUser, LoginOutcome, audit};
use crate::error::AppError;
use crate::newsroom::{self, ArticleInput};
use crate::state::AppState;
use crate::uploads;

const ADMIN_CSS: &str = include_str!("../../static/admin.css");
const ADMIN_JS: &str = include_str!("../../static/admin.js");

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/admin", get(articles))
        .route("/admin/", get(|| async { Redirect::to("/admin") }))
        .route("/admin/login", get(login_page).post(login_submit))
        .route("/admin/logout", post(logout))
        .route("/admin/static/admin.css", get(css))
        .route("/admin/static/admin.js", get(js))
        .route("/admin/articles/new", get(new_article).post(create_article))
        .route("/admin/articles/{id}", get(edit_article).post(save_article))
        .route("/admin/articles/{id}/revisions", get(revisions))
        .route("/admin/articles/{id}/restore/{rev}", post(restore))
        .route("/admin/review", get(review_queue))
        .route("/admin/review/{id}/reject", post(reject))
        .route("/admin/review/{id}/approve", post(approve))
        .route(
            "/admin/photos",
            get(photos)
                .post(upload_photo)
                .layer(DefaultBodyLimit::max(uploads::MAX_UPLOAD_BYTES)),
        )
        .route("/admin/tags", get(tags).post(create_tag))
        .route("/admin/tags/{id}", get(edit_tag).post(save_tag))
        .route("/admin/authors", get(authors).post(create_author))
        .route("/admin/authors/{id}", get(edit_author).post(save_author))
        .route("/admin/users", get(users).post(create_user))
        .route("/admin/users/{id}/disable", post(disable_user))
        .route("/admin/users/{id}/enable", post(enable_user))
        .route("/admin/users/{id}/password", post(reset_password))
        .route("/admin/users/{id}/role", post(change_role))
        .route("/admin/account", get(account))
        .route("/admin/account/password", post(change_password))
        .route("/admin/account/tokens", post(create_token))
        .route("/admin/account/tokens/{id}/revoke", post(revoke_token))
        .route("/admin/webhooks", get(webhooks).post(create_webhook))
        .route("/admin/webhooks/{id}/delete", post(delete_webhook))
        .route("/admin/sources", get(sources))
        .route("/admin/audit", get(audit_log))
}

// ---------------------------------------------------------------- plumbing

/// Admin pages are private to one user: never stored by a cache, never indexed.
fn page(t: impl Template) -> Result<Response, AppError> {
    let html = t
        .render()
        .map_err(|e| AppError::Internal(anyhow::anyhow!("template: {e}")))?;
    Ok(private(Html(html).into_response()))
}

fn private(mut r: Response) -> Response {
    r.headers_mut()
        .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    r.headers_mut()
        .insert("x-robots-tag", HeaderValue::from_static("noindex"));
    r
}

fn see_other(to: &str) -> Response {
    private(Redirect::to(to).into_response())
}

async fn css() -> Response {
    (
        [
            (header::CONTENT_TYPE, "text/css; charset=utf-8"),
            (header::CACHE_CONTROL, "public, max-age=300"),
        ],
        ADMIN_CSS,
    )
        .into_response()
}

async fn js() -> Response {
    (
        [
            (header::CONTENT_TYPE, "text/javascript; charset=utf-8"),
            (header::CACHE_CONTROL, "public, max-age=300"),
        ],
        ADMIN_JS,
    )
        .into_response()
}

/// What every admin page's layout needs.
pub struct Chrome {
    pub title: String,
    pub site_title: String,
    pub user: Option<User>,
    pub csrf: String,
    pub css_url: &'static str,
    pub flash: Option<String>,
    pub error: Option<String>,
    pub current: &'static str,
}

impl Chrome {
    fn new(state: &AppState, who: &AdminUser, title: &str, current: &'static str) -> Chrome {
        Chrome {
            title: title.to_owned(),
            site_title: state.site.title.clone(),
            user: Some(who.user.clone()),
            csrf: who.csrf.clone(),
            css_url: crate::routes::assets::css_url(),
            flash: None,
            error: None,
            current,
        }
    }

    /// Whether `id` is the signed-in user.
    pub fn is_me(&self, id: &Id) -> bool {
        self.user.as_ref().is_some_and(|u| u.id == *id)
    }

    pub fn can(&self, what: &str) -> bool {
        let Some(u) = &self.user else { return false };
        let action = match what {
            "users" => Action::ManageUsers,
            "sources" => Action::ManageSources,
            "webhooks" => Action::ManageWebhooks,
            "audit" => Action::ViewAuditLog,
            "review" => Action::Review,
            "taxonomy" => Action::ManageTaxonomy,
            "publish" => Action::PublishArticle,
            _ => return false,
        };
        u.can(action, Ownership::None)
    }
}

fn fmt_time(t: &DateTime<Utc>) -> String {
    t.format("%Y-%m-%d %H:%M UTC").to_string()
}

// ---------------------------------------------------------------- login

#[derive(Template)]
#[template(path = "admin/login.html")]
struct LoginView {
    chrome: Chrome,
    email: String,
}

fn login_view(state: &AppState, email: &str, error: Option<String>) -> LoginView {
    LoginView {
        chrome: Chrome {
            title: "Sign in".into(),
            site_title: state.site.title.clone(),
            user: None,
            csrf: String::new(),
            css_url: crate::routes::assets::css_url(),
            flash: None,
            error,
            current: "",
        },
        email: email.to_owned(),
    }
}

async fn login_page(State(state): State<AppState>) -> Result<Response, AppError> {
    page(login_view(&state, "", None))
}

#[derive(Deserialize)]
struct LoginForm {
    email: String,
    password: String,
}

async fn login_submit(
    State(state): State<AppState>,
    headers: HeaderMap,
    req: axum::extract::Request,
) -> Result<Response, AppError> {
    // No session yet, so no synchronizer token: the origin check stops cross-site logins.
    if !crate::csrf::is_same_origin(&headers, &state.site.base_url) {
        return Err(AppError::Forbidden(
            "The form did not come from this site.".into(),
        ));
    }
    let ip = auth::client_ip(req.extensions());
    let axum::Form(form): axum::Form<LoginForm> = axum::Form::from_request(req, &state)
        .await
        .map_err(|_| AppError::BadRequest("Send an email and a password.".into()))?;
    match auth::login(&state, form.email.trim(), &form.password, &ip).await? {
        LoginOutcome::Ok { token, expires, .. } => {
            let mut r = see_other("/admin");
            r.headers_mut().insert(
                header::SET_COOKIE,
                auth::session_cookie(&state, &token, expires),
            );
            Ok(r)
        }
        LoginOutcome::Invalid => {
            let mut r = page(login_view(
                &state,
                form.email.trim(),
                Some("Wrong email or password.".into()),
            ))?;
            *r.status_mut() = StatusCode::UNAUTHORIZED;
            Ok(r)
        }
        LoginOutcome::Throttled { retry_after_secs } => {
            Err(AppError::TooManyRequests(retry_after_secs))
        }
    }
}

use axum::extract::FromRequest as _;

#[derive(Deserialize)]
struct CsrfForm {
    csrf: String,
}

async fn logout(
    State(state): State<AppState>,
    who: AdminUser,
    headers: HeaderMap,
    axum::Form(form): axum::Form<CsrfForm>,
) -> Result<Response, AppError> {
    who.verify_form(&state, &headers, &form.csrf)?;
    state.store.delete_session(&who.session_hash).await?;
    audit(
        &state,
        Some(&who.user),
        "logout",
        &format!("user {}", who.user.email),
    )
    .await;
    let mut r = see_other("/admin/login");
    r.headers_mut()
        .insert(header::SET_COOKIE, auth::clear_cookie(&state));
    Ok(r)
}

// ---------------------------------------------------------------- articles

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
    fn of(a: &Article) -> Row {
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

/// The editor form, parsed by hand: repeated `tag`/`author` fields and an `action` button.
struct EditForm {
    csrf: String,
    action: String,
    publish_at: String,
    input: ArticleInput,
}

fn parse_edit_form(body: &[u8]) -> EditForm {
    let mut f = EditForm {
        csrf: String::new(),
        action: String::new(),
        publish_at: String::new(),
        input: ArticleInput {
            author_ids: Some(vec![]),
            ..Default::default()
        },
    };
    for (k, v) in url::form_urlencoded::parse(body) {
        match k.as_ref() {
            "csrf" => f.csrf = v.into_owned(),
            "action" => f.action = v.into_owned(),
            "publish_at" => f.publish_at = v.into_owned(),
            "headline" => f.input.headline = v.into_owned(),
            "standfirst" => f.input.standfirst = v.into_owned(),
            // Browsers send CRLF line ends from textareas; Markdown and diffs want LF.
            "body_markdown" => f.input.body_markdown = v.replace("\r\n", "\n"),
            "slug" => f.input.slug = Some(v.into_owned()),
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
    who: AdminUser,
    headers: HeaderMap,
    body: axum::body::Bytes,
) -> Result<Response, AppError> {
    let form = parse_edit_form(&body);
    who.verify_form(&state, &headers, &form.csrf)?;
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
    who: AdminUser,
    Path(id): Path<Id>,
    headers: HeaderMap,
    body: axum::body::Bytes,
) -> Result<Response, AppError> {
    let form = parse_edit_form(&body);
    who.verify_form(&state, &headers, &form.csrf)?;
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

// ---------------------------------------------------------------- revisions

pub struct RevisionRow {
    pub id: Id,
    pub when: String,
    pub editor: String,
    pub headline: String,
}

#[derive(Template)]
#[template(path = "admin/revisions.html")]
struct RevisionsView {
    chrome: Chrome,
    article: Row,
    revisions: Vec<RevisionRow>,
    from: Id,
    to: Id,
    diff: Vec<(char, String)>,
}

#[derive(Deserialize)]
struct DiffParams {
    from: Option<Id>,
    to: Option<Id>,
}

async fn revisions(
    State(state): State<AppState>,
    who: AdminUser,
    Path(id): Path<Id>,
    Query(p): Query<DiffParams>,
) -> Result<Response, AppError> {
    let a = newsroom::load(&state, id).await?;
    who.require(Action::EditArticle, who.user.owns(&a))?;
    let revs: Vec<Revision> = state.store.revisions(id).await?;
    let users = state.store.list_users().await?;
    let name = |uid: Option<Id>| {
        uid.and_then(|u| users.iter().find(|x| x.id == u))
            .map_or_else(|| "—".to_owned(), |u| u.name.clone())
    };
    let to = p.to.or(revs.first().map(|r| r.id)).unwrap_or(0);
    let from = p.from.or(revs.get(1).map(|r| r.id)).unwrap_or(to);
    let find = |rid: Id| revs.iter().find(|r| r.id == rid);
    let diff = match (find(from), find(to)) {
        (Some(f), Some(t)) => {
            newsroom::line_diff(&newsroom::revision_text(f), &newsroom::revision_text(t))
        }
        _ => Vec::new(),
    };
    page(RevisionsView {
        chrome: Chrome::new(&state, &who, "Revisions", "articles"),
        article: Row::of(&a),
        revisions: revs
            .iter()
            .map(|r| RevisionRow {
                id: r.id,
                when: fmt_time(&r.created_at),
                editor: name(r.editor_id),
                headline: r.headline.clone(),
            })
            .collect(),
        from,
        to,
        diff,
    })
}

async fn restore(
    State(state): State<AppState>,
    who: AdminUser,
    Path((id, rev)): Path<(Id, Id)>,
    headers: HeaderMap,
    axum::Form(form): axum::Form<CsrfForm>,
) -> Result<Response, AppError> {
    who.verify_form(&state, &headers, &form.csrf)?;
    let r = state.store.revision(rev).await?.ok_or(AppError::NotFound)?;
    newsroom::restore(&state, &who.user, id, &r).await?;
    Ok(see_other(&format!("/admin/articles/{id}/revisions")))
}

// ---------------------------------------------------------------- review queue

#[derive(Template)]
#[template(path = "admin/review.html")]
struct ReviewView {
    chrome: Chrome,
    rows: Vec<Row>,
}

async fn review_queue(State(state): State<AppState>, who: AdminUser) -> Result<Response, AppError> {
    who.require(Action::Review, Ownership::None)?;
    let list = state
        .store
        .admin_list_articles(&AdminArticleQuery {
            review_queue: true,
            limit: 100,
            ..Default::default()
        })
        .await?;
    page(ReviewView {
        chrome: Chrome::new(&state, &who, "Review queue", "review"),
        rows: list.iter().map(Row::of).collect(),
    })
}

async fn reject(
    State(state): State<AppState>,
    who: AdminUser,
    Path(id): Path<Id>,
    headers: HeaderMap,
    axum::Form(form): axum::Form<CsrfForm>,
) -> Result<Response, AppError> {
    who.verify_form(&state, &headers, &form.csrf)?;
    newsroom::reject(&state, &who.user, id).await?;
    Ok(see_other("/admin/review"))
}

/// Approving publishes the draft as it stands, now; to change it first, open it in the editor.
async fn approve(
    State(state): State<AppState>,
    who: AdminUser,
    Path(id): Path<Id>,
    headers: HeaderMap,
    axum::Form(form): axum::Form<CsrfForm>,
) -> Result<Response, AppError> {
    who.verify_form(&state, &headers, &form.csrf)?;
    who.require(Action::Review, Ownership::None)?;
    let current = newsroom::load(&state, id).await?;
    if current.status != ArticleStatus::Draft {
        return Err(AppError::Conflict(
            "Only drafts can be approved; this one is already out.".into(),
        ));
    }
    newsroom::set_status(&state, &who.user, id, ArticleStatus::Published, None).await?;
    Ok(see_other("/admin/review"))
}

// ---------------------------------------------------------------- photos

pub struct PhotoRow {
    pub id: Id,
    pub url: String,
    pub alt: String,
    pub caption: String,
    pub credit: String,
    pub size: String,
}

#[derive(Template)]
#[template(path = "admin/photos.html")]
struct PhotosView {
    chrome: Chrome,
    photos: Vec<PhotoRow>,
}

async fn photos_view(state: &AppState, who: &AdminUser) -> Result<PhotosView, AppError> {
    let list = state.store.list_photos(60).await?;
    Ok(PhotosView {
        chrome: Chrome::new(state, who, "Photos", "photos"),
        photos: list
            .iter()
            .map(|p| PhotoRow {
                id: p.id,
                url: crate::views::photo_url(p),
                alt: p.alt.clone(),
                caption: p.caption.clone(),
                credit: p.credit.clone(),
                size: format!("{}×{}", p.width, p.height),
            })
            .collect(),
    })
}

async fn photos(State(state): State<AppState>, who: AdminUser) -> Result<Response, AppError> {
    who.require(Action::UploadPhoto, Ownership::None)?;
    page(photos_view(&state, &who).await?)
}

async fn upload_photo(
    State(state): State<AppState>,
    who: AdminUser,
    headers: HeaderMap,
    multipart: Multipart,
) -> Result<Response, AppError> {
    who.require(Action::UploadPhoto, Ownership::None)?;
    let form = uploads::read_form(multipart).await?;
    who.verify_form(&state, &headers, form.field("csrf"))?;
    match uploads::store_photo(&state, &who.user, &form).await {
        Ok(_) => Ok(see_other("/admin/photos")),
        Err(AppError::Unprocessable(m)) => {
            let mut v = photos_view(&state, &who).await?;
            v.chrome.error = Some(m);
            let mut r = page(v)?;
            *r.status_mut() = StatusCode::UNPROCESSABLE_ENTITY;
            Ok(r)
        }
        Err(e) => Err(e),
    }
}

// ---------------------------------------------------------------- tags and authors

/// A tag or an author in the list.
pub struct TaxRow {
    pub id: Id,
    pub name: String,
    pub slug: String,
    pub text: String,
}

#[derive(Template)]
#[template(path = "admin/taxonomy.html")]
struct TaxonomyView {
    chrome: Chrome,
    kind: &'static str,
    items: Vec<TaxRow>,
}

async fn tags(State(state): State<AppState>, who: AdminUser) -> Result<Response, AppError> {
    who.require(Action::ManageTaxonomy, Ownership::None)?;
    let items = state
        .store
        .list_tags()
        .await?
        .into_iter()
        .map(|t| TaxRow {
            id: t.id,
            name: t.name,
            slug: t.slug.to_string(),
            text: t.description,
        })
        .collect();
    page(TaxonomyView {
        chrome: Chrome::new(&state, &who, "Tags", "tags"),
        kind: "tag",
        items,
    })
}

async fn authors(State(state): State<AppState>, who: AdminUser) -> Result<Response, AppError> {
    who.require(Action::ManageTaxonomy, Ownership::None)?;
    let items = state
        .store
        .list_authors()
        .await?
        .into_iter()
        .map(|a| TaxRow {
            id: a.id,
            name: a.name,
            slug: a.slug.to_string(),
            text: a.bio,
        })
        .collect();
    page(TaxonomyView {
        chrome: Chrome::new(&state, &who, "Authors", "authors"),
        kind: "author",
        items,
    })
}

#[derive(Deserialize)]
struct TaxonomyForm {
    csrf: String,
    name: String,
    #[serde(default)]
    slug: String,
    #[serde(default)]
    description: String,
}

/// The store names the field a conflict is on; a person needs a sentence.
fn slug_taken(e: newsdesk_core::StoreError, msg: &str) -> AppError {
    match e {
        newsdesk_core::StoreError::Conflict(_) => AppError::Conflict(msg.to_owned()),
        other => other.into(),
    }
}

fn slug_for(name: &str, slug: &str) -> Result<Slug, AppError> {
    let r = if slug.trim().is_empty() {
        Slug::from_title(name.trim())
    } else {
        Slug::parse(slug.trim())
    };
    r.map_err(|e| AppError::Unprocessable(e.0))
}

async fn create_tag(
    State(state): State<AppState>,
    who: AdminUser,
    headers: HeaderMap,
    axum::Form(f): axum::Form<TaxonomyForm>,
) -> Result<Response, AppError> {
    who.verify_form(&state, &headers, &f.csrf)?;
    who.require(Action::ManageTaxonomy, Ownership::None)?;
    if f.name.trim().is_empty() {
        return Err(AppError::Unprocessable("A tag needs a name.".into()));
    }
    let t = state
        .store
        .create_tag(&NewTag {
            slug: slug_for(&f.name, &f.slug)?,
            name: f.name.trim().to_owned(),
            description: f.description.trim().to_owned(),
        })
        .await
        .map_err(|e| slug_taken(e, "Another tag has that slug."))?;
    audit(
        &state,
        Some(&who.user),
        "tag.create",
        &format!("tag {}", t.slug),
    )
    .await;
    state.cache.invalidate_all();
    Ok(see_other("/admin/tags"))
}

async fn create_author(
    State(state): State<AppState>,
    who: AdminUser,
    headers: HeaderMap,
    axum::Form(f): axum::Form<TaxonomyForm>,
) -> Result<Response, AppError> {
    who.verify_form(&state, &headers, &f.csrf)?;
    who.require(Action::ManageTaxonomy, Ownership::None)?;
    if f.name.trim().is_empty() {
        return Err(AppError::Unprocessable("An author needs a name.".into()));
    }
    let a = state
        .store
        .create_author(&NewAuthor {
            slug: slug_for(&f.name, &f.slug)?,
            name: f.name.trim().to_owned(),
            bio: f.description.trim().to_owned(),
            photo_id: None,
            links: vec![],
        })
        .await
        .map_err(|e| slug_taken(e, "Another author has that slug."))?;
    audit(
        &state,
        Some(&who.user),
        "author.create",
        &format!("author {}", a.slug),
    )
    .await;
    state.cache.invalidate_all();
    Ok(see_other("/admin/authors"))
}

// ---------------------------------------------------------------- editing a tag or an author

/// The site keeps no redirects from old slugs, so a page that published articles link to
/// (and readers, feeds and search engines have found) keeps its address: only the name and
/// the text change. A slug nothing public uses yet may still change.
#[derive(Template)]
#[template(path = "admin/taxonomy_edit.html")]
struct TaxonomyEditView {
    chrome: Chrome,
    kind: &'static str,
    id: Id,
    name: String,
    slug: String,
    text: String,
    /// The slug in use now (the public page's address).
    current_slug: String,
    /// Published or scheduled articles link to the page, so the slug cannot change.
    locked: bool,
}

/// Whether a published or scheduled article links to this tag's or author's page.
async fn linked_publicly(
    state: &AppState,
    tag: Option<&Slug>,
    author: Option<&Slug>,
) -> Result<bool, AppError> {
    let mut q = newsdesk_core::ArticleQuery::visible_at(DateTime::<Utc>::MAX_UTC);
    q.tag = tag.cloned();
    q.author = author.cloned();
    q.limit = 1;
    Ok(!state.store.list_articles(&q).await?.items.is_empty())
}

async fn find_tag(state: &AppState, id: Id) -> Result<Tag, AppError> {
    state
        .store
        .list_tags()
        .await?
        .into_iter()
        .find(|t| t.id == id)
        .ok_or(AppError::NotFound)
}

async fn find_author(state: &AppState, id: Id) -> Result<Author, AppError> {
    state
        .store
        .list_authors()
        .await?
        .into_iter()
        .find(|a| a.id == id)
        .ok_or(AppError::NotFound)
}

fn taxonomy_edit_view(
    state: &AppState,
    who: &AdminUser,
    kind: &'static str,
    id: Id,
    current_slug: &Slug,
    locked: bool,
    (name, slug, text): (String, String, String),
) -> TaxonomyEditView {
    let (title, current) = if kind == "tag" {
        ("Edit tag", "tags")
    } else {
        ("Edit author", "authors")
    };
    TaxonomyEditView {
        chrome: Chrome::new(state, who, title, current),
        kind,
        id,
        name,
        slug,
        text,
        current_slug: current_slug.to_string(),
        locked,
    }
}

/// The form again, with what was sent and why it was refused.
fn refused(mut v: TaxonomyEditView, status: StatusCode, msg: String) -> Result<Response, AppError> {
    v.chrome.error = Some(msg);
    let mut r = page(v)?;
    *r.status_mut() = status;
    Ok(r)
}

/// Checks an edit: a name, a valid slug (empty keeps the current one), and no new slug for a
/// page that public articles link to.
fn check_edit(
    f: &TaxonomyForm,
    current: &Slug,
    locked: bool,
    kind: &str,
) -> Result<Slug, (StatusCode, String)> {
    let invalid = |m: String| (StatusCode::UNPROCESSABLE_ENTITY, m);
    if f.name.trim().is_empty() {
        return Err(invalid(format!("A {kind} needs a name.")));
    }
    let slug = match f.slug.trim() {
        "" => current.clone(),
        s => Slug::parse(s).map_err(|e| invalid(format!("Slug: {}", e.0)))?,
    };
    if slug != *current && locked {
        return Err((
            StatusCode::CONFLICT,
            format!(
                "The slug stays \"{current}\": published articles link to /{kind}s/{current}, and the site keeps no redirects, so old links would break. The name and the text can change."
            ),
        ));
    }
    Ok(slug)
}

async fn edit_tag(
    State(state): State<AppState>,
    who: AdminUser,
    Path(id): Path<Id>,
) -> Result<Response, AppError> {
    who.require(Action::ManageTaxonomy, Ownership::None)?;
    let t = find_tag(&state, id).await?;
    let locked = linked_publicly(&state, Some(&t.slug), None).await?;
    let fields = (t.name.clone(), t.slug.to_string(), t.description.clone());
    page(taxonomy_edit_view(
        &state, &who, "tag", id, &t.slug, locked, fields,
    ))
}

async fn save_tag(
    State(state): State<AppState>,
    who: AdminUser,
    Path(id): Path<Id>,
    headers: HeaderMap,
    axum::Form(f): axum::Form<TaxonomyForm>,
) -> Result<Response, AppError> {
    who.verify_form(&state, &headers, &f.csrf)?;
    who.require(Action::ManageTaxonomy, Ownership::None)?;
    let t = find_tag(&state, id).await?;
    let locked = linked_publicly(&state, Some(&t.slug), None).await?;
    let sent = (f.name.clone(), f.slug.clone(), f.description.clone());
    let view = taxonomy_edit_view(&state, &who, "tag", id, &t.slug, locked, sent);
    let slug = match check_edit(&f, &t.slug, locked, "tag") {
        Ok(s) => s,
        Err((status, msg)) => return refused(view, status, msg),
    };
    let edit = NewTag {
        slug,
        name: f.name.trim().to_owned(),
        description: f.description.trim().to_owned(),
    };
    match state.store.update_tag(id, &edit).await {
        Ok(saved) => {
            audit(
                &state,
                Some(&who.user),
                "tag.edit",
                &format!("tag {}", saved.slug),
            )
            .await;
            state.cache.invalidate_all();
            Ok(see_other("/admin/tags"))
        }
        Err(newsdesk_core::StoreError::Conflict(_)) => refused(
            view,
            StatusCode::CONFLICT,
            "Another tag has that slug.".into(),
        ),
        Err(e) => Err(e.into()),
    }
}

async fn edit_author(
    State(state): State<AppState>,
    who: AdminUser,
    Path(id): Path<Id>,
) -> Result<Response, AppError> {
    who.require(Action::ManageTaxonomy, Ownership::None)?;
    let a = find_author(&state, id).await?;
    let locked = linked_publicly(&state, None, Some(&a.slug)).await?;
    let fields = (a.name.clone(), a.slug.to_string(), a.bio.clone());
    page(taxonomy_edit_view(
        &state, &who, "author", id, &a.slug, locked, fields,
    ))
}

async fn save_author(
    State(state): State<AppState>,
    who: AdminUser,
    Path(id): Path<Id>,
    headers: HeaderMap,
    axum::Form(f): axum::Form<TaxonomyForm>,
) -> Result<Response, AppError> {
    who.verify_form(&state, &headers, &f.csrf)?;
    who.require(Action::ManageTaxonomy, Ownership::None)?;
    let a = find_author(&state, id).await?;
    let locked = linked_publicly(&state, None, Some(&a.slug)).await?;
    let sent = (f.name.clone(), f.slug.clone(), f.description.clone());
    let view = taxonomy_edit_view(&state, &who, "author", id, &a.slug, locked, sent);
    let slug = match check_edit(&f, &a.slug, locked, "author") {
        Ok(s) => s,
        Err((status, msg)) => return refused(view, status, msg),
    };
    let edit = NewAuthor {
        slug,
        name: f.name.trim().to_owned(),
        bio: f.description.trim().to_owned(),
        // Not on this form: kept as they are.
        photo_id: a.photo.as_ref().map(|p| p.id),
        links: a.links.clone(),
    };
    match state.store.update_author(id, &edit).await {
        Ok(saved) => {
            audit(
                &state,
                Some(&who.user),
                "author.edit",
                &format!("author {}", saved.slug),
            )
            .await;
            state.cache.invalidate_all();
            Ok(see_other("/admin/authors"))
        }
        Err(newsdesk_core::StoreError::Conflict(_)) => refused(
            view,
            StatusCode::CONFLICT,
            "Another author has that slug.".into(),
        ),
        Err(e) => Err(e.into()),
    }
}

// ---------------------------------------------------------------- users

#[derive(Template)]
#[template(path = "admin/users.html")]
struct UsersView {
    chrome: Chrome,
    /// Each user with the slug of the author profile they write as ("" for none).
    users: Vec<(User, String)>,
    roles: [Role; 3],
}

async fn users(State(state): State<AppState>, who: AdminUser) -> Result<Response, AppError> {
    who.require(Action::ManageUsers, Ownership::None)?;
    let authors = state.store.list_authors().await?;
    let users = state
        .store
        .list_users()
        .await?
        .into_iter()
        .map(|u| {
            let slug = authors
                .iter()
                .find(|a| Some(a.id) == u.author_id)
                .map(|a| a.slug.to_string())
                .unwrap_or_default();
            (u, slug)
        })
        .collect();
    page(UsersView {
        chrome: Chrome::new(&state, &who, "Users", "users"),
        users,
        roles: Role::ALL,
    })
}

/// The author profile named by a form's slug field; empty means none.
async fn author_for_slug(state: &AppState, raw: &str) -> Result<Option<Id>, AppError> {
    match raw.trim() {
        "" => Ok(None),
        s => {
            let slug = Slug::parse(s).map_err(|e| AppError::Unprocessable(e.0))?;
            Ok(Some(
                state
                    .store
                    .author_by_slug(&slug)
                    .await?
                    .ok_or_else(|| AppError::Unprocessable("No author with that slug.".into()))?
                    .id,
            ))
        }
    }
}

#[derive(Deserialize)]
struct RoleForm {
    csrf: String,
    role: String,
    #[serde(default)]
    author_slug: String,
}

/// Changes another user's role and the author profile they write as. Not your own: an admin
/// demoting themselves could leave the site with no admin.
async fn change_role(
    State(state): State<AppState>,
    who: AdminUser,
    Path(id): Path<Id>,
    headers: HeaderMap,
    axum::Form(f): axum::Form<RoleForm>,
) -> Result<Response, AppError> {
    who.verify_form(&state, &headers, &f.csrf)?;
    who.require(Action::ManageUsers, Ownership::None)?;
    if id == who.user.id {
        return Err(AppError::Conflict(
            "You cannot change your own role; another admin can.".into(),
        ));
    }
    let target = state.store.user(id).await?.ok_or(AppError::NotFound)?;
    let role =
        Role::parse(&f.role).ok_or_else(|| AppError::Unprocessable("Unknown role.".into()))?;
    let author_id = author_for_slug(&state, &f.author_slug).await?;
    let saved = state
        .store
        .update_user(id, &target.name, role, author_id)
        .await?;
    audit(
        &state,
        Some(&who.user),
        "user.role",
        &format!(
            "user {}: {} -> {}",
            saved.email,
            target.role.as_str(),
            saved.role.as_str()
        ),
    )
    .await;
    Ok(see_other("/admin/users"))
}

#[derive(Deserialize)]
struct UserForm {
    csrf: String,
    email: String,
    name: String,
    role: String,
    password: String,
    #[serde(default)]
    author_slug: String,
}

async fn create_user(
    State(state): State<AppState>,
    who: AdminUser,
    headers: HeaderMap,
    axum::Form(f): axum::Form<UserForm>,
) -> Result<Response, AppError> {
    who.verify_form(&state, &headers, &f.csrf)?;
    who.require(Action::ManageUsers, Ownership::None)?;
    let email = EmailAddress::parse(&f.email).map_err(|e| AppError::Unprocessable(e.0))?;
    let role =
        Role::parse(&f.role).ok_or_else(|| AppError::Unprocessable("Unknown role.".into()))?;
    let password = Password::parse(&f.password).map_err(|e| AppError::Unprocessable(e.0))?;
    let author_id = author_for_slug(&state, &f.author_slug).await?;
    let hash = hash_off_executor(&state, password).await?;
    let u = state
        .store
        .create_user(
            &NewUser {
                email,
                name: f.name.trim().to_owned(),
                role,
                password_hash: hash,
                author_id,
            },
            Utc::now(),
        )
        .await?;
    audit(
        &state,
        Some(&who.user),
        "user.add",
        &format!("user {}", u.email),
    )
    .await;
    Ok(see_other("/admin/users"))
}

async fn set_disabled(
    state: AppState,
    who: AdminUser,
    id: Id,
    headers: HeaderMap,
    csrf: &str,
    disabled: bool,
) -> Result<Response, AppError> {
    who.verify_form(&state, &headers, csrf)?;
    who.require(Action::ManageUsers, Ownership::None)?;
    if id == who.user.id && disabled {
        return Err(AppError::Conflict("You cannot disable yourself.".into()));
    }
    let u = state.store.set_user_disabled(id, disabled).await?;
    let action = if disabled {
        "user.disable"
    } else {
        "user.enable"
    };
    audit(
        &state,
        Some(&who.user),
        action,
        &format!("user {}", u.email),
    )
    .await;
    Ok(see_other("/admin/users"))
}

async fn disable_user(
    State(state): State<AppState>,
    who: AdminUser,
    Path(id): Path<Id>,
    headers: HeaderMap,
    axum::Form(f): axum::Form<CsrfForm>,
) -> Result<Response, AppError> {
    set_disabled(state, who, id, headers, &f.csrf, true).await
}

async fn enable_user(
    State(state): State<AppState>,
    who: AdminUser,
    Path(id): Path<Id>,
    headers: HeaderMap,
    axum::Form(f): axum::Form<CsrfForm>,
) -> Result<Response, AppError> {
    set_disabled(state, who, id, headers, &f.csrf, false).await
}

async fn reset_password(
    State(state): State<AppState>,
    who: AdminUser,
    Path(id): Path<Id>,
    headers: HeaderMap,
    axum::Form(f): axum::Form<ResetForm>,
) -> Result<Response, AppError> {
    who.verify_form(&state, &headers, &f.csrf)?;
    who.require(Action::ManageUsers, Ownership::None)?;
    if id == who.user.id {
        // Your own goes through the account page, which asks for the current password.
        return Err(AppError::Conflict(
            "Change your own password on your account page.".into(),
        ));
    }
    let target = state.store.user(id).await?.ok_or(AppError::NotFound)?;
    let password = Password::parse(&f.password)
        .map_err(|e| AppError::Unprocessable(format!("The new password: {}.", e.0)))?;
    let hash = hash_off_executor(&state, password).await?;
    // Every session of theirs ends: whoever had one must sign in with the new password.
    state.store.set_password_hash(id, &hash, None).await?;
    audit(
        &state,
        Some(&who.user),
        "user.password.reset",
        &format!("user {}", target.email),
    )
    .await;
    Ok(see_other("/admin/users"))
}

#[derive(Deserialize)]
struct ResetForm {
    csrf: String,
    #[serde(default)]
    password: String,
}

async fn hash_off_executor(state: &AppState, password: Password) -> Result<String, AppError> {
    Ok(state.hasher.hash(password).await?)
}

// ---------------------------------------------------------------- your account

#[derive(Template)]
#[template(path = "admin/account.html")]
struct AccountView {
    chrome: Chrome,
    min_chars: usize,
    tokens: Vec<(ApiToken, String, String)>,
    new_token: Option<String>,
}

async fn account_view(state: &AppState, who: &AdminUser) -> Result<AccountView, AppError> {
    let tokens = state
        .store
        .list_api_tokens(who.user.id)
        .await?
        .into_iter()
        .map(|t| {
            let created = fmt_time(&t.created_at);
            let used = t
                .last_used_at
                .map_or_else(|| "never".to_owned(), |u| fmt_time(&u));
            (t, created, used)
        })
        .collect();
    Ok(AccountView {
        chrome: Chrome::new(state, who, "Your account", "account"),
        min_chars: Password::MIN_CHARS,
        tokens,
        new_token: None,
    })
}

async fn account(State(state): State<AppState>, who: AdminUser) -> Result<Response, AppError> {
    page(account_view(&state, &who).await?)
}

/// The account page again with a message; `status` says whether it is an error.
async fn account_answer(
    state: &AppState,
    who: &AdminUser,
    status: StatusCode,
    message: String,
) -> Result<Response, AppError> {
    let mut v = account_view(state, who).await?;
    if status.is_success() {
        v.chrome.flash = Some(message);
    } else {
        v.chrome.error = Some(message);
    }
    let mut r = page(v)?;
    *r.status_mut() = status;
    Ok(r)
}

#[derive(Deserialize)]
struct PasswordForm {
    csrf: String,
    #[serde(default)]
    current: String,
    #[serde(default)]
    new: String,
    #[serde(default)]
    repeat: String,
}

/// Changes the signed-in user's password. The current one is checked like a login (and wrong
/// guesses count towards the same throttle), so a borrowed session cannot lock its owner out.
async fn change_password(
    State(state): State<AppState>,
    who: AdminUser,
    headers: HeaderMap,
    axum::Form(f): axum::Form<PasswordForm>,
) -> Result<Response, AppError> {
    who.verify_form(&state, &headers, &f.csrf)?;
    let now = Utc::now();
    let key = accounts::throttle_key_account(&who.user.email.to_string());
    let failures = state
        .store
        .login_failures_since(&key, now - accounts::THROTTLE_WINDOW)
        .await?;
    if let Some(until) = failures.blocked_until(accounts::MAX_FAILURES_PER_ACCOUNT) {
        let secs = u64::try_from((until - now).num_seconds())
            .unwrap_or(0)
            .max(1);
        return Err(AppError::TooManyRequests(secs));
    }
    let unprocessable = StatusCode::UNPROCESSABLE_ENTITY;
    let creds = state
        .store
        .credentials_by_email(&who.user.email)
        .await?
        .ok_or(AppError::NotFound)?;
    let matches = state
        .hasher
        .verify(creds.password_hash, f.current.clone())
        .await?;
    if !matches {
        state.store.record_login_failure(&key, now).await?;
        audit(
            &state,
            Some(&who.user),
            "user.password.failed",
            &format!("user {}", who.user.email),
        )
        .await;
        let msg = "Your current password is not right; nothing was changed.".to_owned();
        return account_answer(&state, &who, unprocessable, msg).await;
    }
    if f.new != f.repeat {
        let msg = "The two new passwords differ; nothing was changed.".to_owned();
        return account_answer(&state, &who, unprocessable, msg).await;
    }
    if f.new == f.current {
        let msg = "The new password is the current one; choose another.".to_owned();
        return account_answer(&state, &who, unprocessable, msg).await;
    }
    let password = match Password::parse(&f.new) {
        Ok(p) => p,
        Err(e) => {
            let msg = format!("The new password: {}.", e.0);
            return account_answer(&state, &who, unprocessable, msg).await;
        }
    };
    let hash = hash_off_executor(&state, password).await?;
    let ended = state
        .store
        .set_password_hash(who.user.id, &hash, Some(&who.session_hash))
        .await?;
    audit(
        &state,
        Some(&who.user),
        "user.password",
        &format!("user {}", who.user.email),
    )
    .await;
    let msg = match ended {
        0 => "Your password is changed.".to_owned(),
        1 => "Your password is changed, and your one other session was signed out.".to_owned(),
        n => format!("Your password is changed, and your {n} other sessions were signed out."),
    };
    account_answer(&state, &who, StatusCode::OK, msg).await
}

#[derive(Deserialize)]
struct TokenForm {
    csrf: String,
    #[serde(default)]
    label: String,
}

/// A new API token for the signed-in user, shown once (the store keeps its hash).
async fn create_token(
    State(state): State<AppState>,
    who: AdminUser,
    headers: HeaderMap,
    axum::Form(f): axum::Form<TokenForm>,
) -> Result<Response, AppError> {
    who.verify_form(&state, &headers, &f.csrf)?;
    let label = match f.label.trim() {
        "" => "admin site".to_owned(),
        l => l.chars().take(100).collect(),
    };
    let token = accounts::new_secret_token(accounts::API_TOKEN_PREFIX);
    let rec = state
        .store
        .create_api_token(
            who.user.id,
            &label,
            &accounts::token_hash(&token),
            Utc::now(),
        )
        .await?;
    audit(
        &state,
        Some(&who.user),
        "token.create",
        &format!("token {}", rec.id),
    )
    .await;
    let mut v = account_view(&state, &who).await?;
    v.new_token = Some(token);
    page(v)
}

/// Revokes one of the signed-in user's own tokens; anyone else's is not found.
async fn revoke_token(
    State(state): State<AppState>,
    who: AdminUser,
    Path(id): Path<Id>,
    headers: HeaderMap,
    axum::Form(f): axum::Form<CsrfForm>,
) -> Result<Response, AppError> {
    who.verify_form(&state, &headers, &f.csrf)?;
    let own = state.store.list_api_tokens(who.user.id).await?;
    if !own.iter().any(|t| t.id == id) {
        return Err(AppError::NotFound);
    }
    state.store.revoke_api_token(id, Utc::now()).await?;
    audit(
        &state,
        Some(&who.user),
        "token.revoke",
        &format!("token {id}"),
    )
    .await;
    Ok(see_other("/admin/account"))
}

// ---------------------------------------------------------------- webhooks

#[derive(Template)]
#[template(path = "admin/webhooks.html")]
struct WebhooksView {
    chrome: Chrome,
    hooks: Vec<Webhook>,
    deliveries: Vec<WebhookDelivery>,
    new_secret: Option<String>,
}

async fn webhooks_view(state: &AppState, who: &AdminUser) -> Result<WebhooksView, AppError> {
    Ok(WebhooksView {
        chrome: Chrome::new(state, who, "Webhooks", "webhooks"),
        hooks: state.store.list_webhooks().await?,
        deliveries: state.store.list_webhook_deliveries(50).await?,
        new_secret: None,
    })
}

async fn webhooks(State(state): State<AppState>, who: AdminUser) -> Result<Response, AppError> {
    who.require(Action::ManageWebhooks, Ownership::None)?;
    page(webhooks_view(&state, &who).await?)
}

#[derive(Deserialize)]
struct WebhookForm {
    csrf: String,
    url: String,
}

async fn create_webhook(
    State(state): State<AppState>,
    who: AdminUser,
    headers: HeaderMap,
    axum::Form(f): axum::Form<WebhookForm>,
) -> Result<Response, AppError> {
    who.verify_form(&state, &headers, &f.csrf)?;
    who.require(Action::ManageWebhooks, Ownership::None)?;
    let url = url::Url::parse(f.url.trim())
        .ok()
        .filter(|u| matches!(u.scheme(), "http" | "https") && u.host().is_some())
        .ok_or_else(|| AppError::Unprocessable("Give an http(s) URL.".into()))?;
    crate::webhooks::check_destination(&state, &url).await?;
    let secret = accounts::new_secret_token("whsec_");
    let hook = state
        .store
        .create_webhook(url.as_str(), &secret, Utc::now())
        .await?;
    audit(
        &state,
        Some(&who.user),
        "webhook.create",
        &format!("webhook {}", hook.id),
    )
    .await;
    let mut v = webhooks_view(&state, &who).await?;
    v.new_secret = Some(secret);
    page(v)
}

async fn delete_webhook(
    State(state): State<AppState>,
    who: AdminUser,
    Path(id): Path<Id>,
    headers: HeaderMap,
    axum::Form(f): axum::Form<CsrfForm>,
) -> Result<Response, AppError> {
    who.verify_form(&state, &headers, &f.csrf)?;
    who.require(Action::ManageWebhooks, Ownership::None)?;
    state.store.delete_webhook(id).await?;
    audit(
        &state,
        Some(&who.user),
        "webhook.delete",
        &format!("webhook {id}"),
    )
    .await;
    Ok(see_other("/admin/webhooks"))
}

// ---------------------------------------------------------------- sources, audit

/// One feed's health, as the sources page shows it.
pub struct SourceRow {
    pub name: String,
    pub feed_url: String,
    /// `ok`, `failing`, `paused` or `new`.
    pub health: &'static str,
    pub last_success: String,
    pub errors: i32,
    pub last_error: String,
    pub next_poll: String,
    pub every: String,
}

#[derive(Template)]
#[template(path = "admin/sources.html")]
struct SourcesView {
    chrome: Chrome,
    sources: Vec<SourceRow>,
}

async fn sources(State(state): State<AppState>, who: AdminUser) -> Result<Response, AppError> {
    who.require(Action::ManageSources, Ownership::None)?;
    let list = state.store.list_sources().await?;
    let sources = list
        .iter()
        .map(|s| SourceRow {
            name: s.name.clone(),
            feed_url: s.feed_url.clone(),
            health: if s.paused {
                "paused"
            } else if s.consecutive_errors > 0 {
                "failing"
            } else if s.last_success_at.is_some() {
                "ok"
            } else {
                "new"
            },
            last_success: s
                .last_success_at
                .map_or_else(|| "never".to_owned(), |t| fmt_time(&t)),
            errors: s.consecutive_errors,
            last_error: s.last_error.clone().unwrap_or_default(),
            next_poll: fmt_time(&s.next_poll_at),
            every: format!("{} min", s.current_interval_seconds / 60),
        })
        .collect();
    page(SourcesView {
        chrome: Chrome::new(&state, &who, "Sources", "sources"),
        sources,
    })
}

#[derive(Template)]
#[template(path = "admin/audit.html")]
struct AuditView {
    chrome: Chrome,
    entries: Vec<(String, AuditEntry)>,
    next: Option<Id>,
}

#[derive(Deserialize)]
struct AuditParams {
    before: Option<Id>,
}

async fn audit_log(
    State(state): State<AppState>,
    who: AdminUser,
    Query(p): Query<AuditParams>,
) -> Result<Response, AppError> {
    who.require(Action::ViewAuditLog, Ownership::None)?;
    let entries = state.store.list_audit(p.before, 100).await?;
    let next = (entries.len() == 100)
        .then(|| entries.last().map(|e| e.id))
        .flatten();
    page(AuditView {
        chrome: Chrome::new(&state, &who, "Audit log", "audit"),
        entries: entries.into_iter().map(|e| (fmt_time(&e.at), e)).collect(),
        next,
    })
}
