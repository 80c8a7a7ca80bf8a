//! Tags and authors: the lists, creating one, and editing one (a slug public pages use stays put).

use askama::Template;
use axum::Router;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::Response;
use axum::routing::get;
use chrono::{DateTime, Utc};
use newsdesk_core::accounts::{Action, Ownership};
use newsdesk_core::{Author, Id, NewAuthor, NewTag, Slug, Tag};
use serde::Deserialize;

use super::{Chrome, audited_change, page, see_other};
use crate::auth::{AdminUser, audit};
use crate::csrf::CsrfForm;
use crate::error::AppError;
use crate::state::AppState;

/// Everything on these pages needs it.
const MANAGE: Option<Action> = Some(Action::ManageTaxonomy);

pub(super) fn routes() -> Router<AppState> {
    Router::new()
        .route("/admin/tags", get(tags).post(create_tag))
        .route("/admin/tags/{id}", get(edit_tag).post(save_tag))
        .route("/admin/authors", get(authors).post(create_author))
        .route("/admin/authors/{id}", get(edit_author).post(save_author))
}

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
    name: String,
    #[serde(default)]
    slug: String,
    #[serde(default)]
    description: String,
    /// An author's portrait (a photo id; empty: none). Tags have none.
    #[serde(default)]
    photo_id: Option<String>,
    /// An author's links, one a line: `Label | https://...` (or just the URL).
    #[serde(default)]
    links: Option<String>,
}

/// A photo offered as an author's portrait.
pub struct PortraitChoice {
    pub id: Id,
    pub thumb: String,
    pub alt: String,
    pub selected: bool,
}

fn links_text(links: &[newsdesk_core::Link]) -> String {
    links
        .iter()
        .map(|l| format!("{} | {}", l.label, l.url))
        .collect::<Vec<_>>()
        .join("\n")
}

/// The links textarea, line by line; a line that is not a link is refused, naming its number.
fn parse_links(text: &str) -> Result<Vec<newsdesk_core::Link>, String> {
    let mut out = Vec::new();
    for (n, line) in text.lines().enumerate() {
        let line = line.trim();
        if line.is_empty() {
            continue;
        }
        let (label, raw) = match line.rsplit_once('|') {
            Some((l, u)) => (l.trim().to_owned(), u.trim()),
            None => (String::new(), line),
        };
        let url = url::Url::parse(raw)
            .ok()
            .filter(|u| matches!(u.scheme(), "http" | "https") && u.host_str().is_some())
            .ok_or_else(|| {
                format!(
                    "Links, line {}: {raw:?} is not an http(s) address; write `Label | https://...`.",
                    n + 1
                )
            })?;
        let label = if label.is_empty() {
            url.host_str().unwrap_or_default().to_owned()
        } else {
            label
        };
        out.push(newsdesk_core::Link {
            label,
            url: url.to_string(),
        });
    }
    Ok(out)
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
    CsrfForm { who, form: f }: CsrfForm<TaxonomyForm>,
) -> Result<Response, AppError> {
    let change = async {
        if f.name.trim().is_empty() {
            return Err(AppError::Unprocessable("A tag needs a name.".into()));
        }
        let new = NewTag {
            slug: slug_for(&f.name, &f.slug)?,
            name: f.name.trim().to_owned(),
            description: f.description.trim().to_owned(),
        };
        let t = (state.store.create_tag(&new).await)
            .map_err(|e| slug_taken(e, "Another tag has that slug."))?;
        state.cache.invalidate_all();
        Ok(format!("tag {}", t.slug))
    };
    audited_change(&state, &who, MANAGE, "tag.create", "/admin/tags", change).await
}

async fn create_author(
    State(state): State<AppState>,
    CsrfForm { who, form: f }: CsrfForm<TaxonomyForm>,
) -> Result<Response, AppError> {
    let change = async {
        if f.name.trim().is_empty() {
            return Err(AppError::Unprocessable("An author needs a name.".into()));
        }
        let new = NewAuthor {
            slug: slug_for(&f.name, &f.slug)?,
            name: f.name.trim().to_owned(),
            bio: f.description.trim().to_owned(),
            photo_id: None,
            links: vec![],
        };
        let a = (state.store.create_author(&new).await)
            .map_err(|e| slug_taken(e, "Another author has that slug."))?;
        state.cache.invalidate_all();
        Ok(format!("author {}", a.slug))
    };
    let event = "author.create";
    audited_change(&state, &who, MANAGE, event, "/admin/authors", change).await
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
    /// Authors only: the portrait picker and the links, one a line.
    photos: Vec<PortraitChoice>,
    links: String,
}

impl TaxonomyEditView {
    pub fn has_portrait(&self) -> bool {
        self.photos.iter().any(|p| p.selected)
    }
}

/// The author form's portrait picker, `selected` checked.
async fn portrait_choices(
    state: &AppState,
    selected: Option<Id>,
) -> Result<Vec<PortraitChoice>, AppError> {
    Ok(state
        .store
        .list_photos(100)
        .await?
        .iter()
        .map(|p| PortraitChoice {
            id: p.id,
            thumb: crate::views::photo_url(p),
            alt: p.alt.clone(),
            selected: selected == Some(p.id),
        })
        .collect())
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
        photos: Vec::new(),
        links: String::new(),
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
    Path(id): Path<Id>,
    CsrfForm { who, form: f }: CsrfForm<TaxonomyForm>,
) -> Result<Response, AppError> {
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
    let mut v = taxonomy_edit_view(&state, &who, "author", id, &a.slug, locked, fields);
    v.photos = portrait_choices(&state, a.photo.as_ref().map(|p| p.id)).await?;
    v.links = links_text(&a.links);
    page(v)
}

async fn save_author(
    State(state): State<AppState>,
    Path(id): Path<Id>,
    CsrfForm { who, form: f }: CsrfForm<TaxonomyForm>,
) -> Result<Response, AppError> {
    who.require(Action::ManageTaxonomy, Ownership::None)?;
    let a = find_author(&state, id).await?;
    let locked = linked_publicly(&state, None, Some(&a.slug)).await?;
    let sent = (f.name.clone(), f.slug.clone(), f.description.clone());
    let photo_id = match f.photo_id.as_deref() {
        // A form without the field (an older page): the portrait stays.
        None => a.photo.as_ref().map(|p| p.id),
        Some(v) => v.trim().parse::<Id>().ok(),
    };
    let mut view = taxonomy_edit_view(&state, &who, "author", id, &a.slug, locked, sent);
    view.photos = portrait_choices(&state, photo_id).await?;
    view.links = f.links.clone().unwrap_or_else(|| links_text(&a.links));
    let slug = match check_edit(&f, &a.slug, locked, "author") {
        Ok(s) => s,
        Err((status, msg)) => return refused(view, status, msg),
    };
    let links = match f.links.as_deref().map(parse_links) {
        None => a.links.clone(),
        Some(Ok(l)) => l,
        Some(Err(msg)) => return refused(view, StatusCode::UNPROCESSABLE_ENTITY, msg),
    };
    let edit = NewAuthor {
        slug,
        name: f.name.trim().to_owned(),
        bio: f.description.trim().to_owned(),
        photo_id,
        links,
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
