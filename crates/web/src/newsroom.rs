//! The newsroom's write operations, shared by the admin site and the admin API so that both
//! check the same permissions, validate the same way, keep revisions, write the audit log,
//! refresh the page cache and fire webhooks.

use chrono::{DateTime, Utc};
use newsdesk_core::accounts::{Action, Ownership, User};
use newsdesk_core::editorial::Revision;
use newsdesk_core::{Article, ArticleStatus, Id, NewArticle, Slug};
use serde::Deserialize;

use crate::auth::audit;
use crate::error::AppError;
use crate::state::AppState;

/// What an editor sends: every field of the text, plus tags, photo and flags.
#[derive(Debug, Clone, Default, Deserialize, utoipa::ToSchema)]
pub struct ArticleInput {
    pub headline: String,
    #[serde(default)]
    pub standfirst: String,
    #[serde(default)]
    pub body_markdown: String,
    /// Derived from the headline when empty.
    #[serde(default)]
    pub slug: Option<String>,
    #[serde(default)]
    pub tag_ids: Vec<Id>,
    /// Byline; authors can only write as themselves (ignored for them).
    #[serde(default)]
    pub author_ids: Option<Vec<Id>>,
    #[serde(default)]
    pub lead_photo_id: Option<Id>,
    #[serde(default)]
    pub important: bool,
}

const MAX_HEADLINE: usize = 300;
const MAX_STANDFIRST: usize = 1_000;
const MAX_BODY: usize = 200_000;

fn unprocessable(m: impl Into<String>) -> AppError {
    AppError::Unprocessable(m.into())
}

fn validate(input: &ArticleInput) -> Result<Slug, AppError> {
    let headline = input.headline.trim();
    if headline.is_empty() {
        return Err(unprocessable("The headline is required."));
    }
    if headline.chars().count() > MAX_HEADLINE {
        return Err(unprocessable(format!(
            "The headline must have at most {MAX_HEADLINE} characters."
        )));
    }
    if input.standfirst.chars().count() > MAX_STANDFIRST {
        return Err(unprocessable(format!(
            "The standfirst must have at most {MAX_STANDFIRST} characters."
        )));
    }
    if input.body_markdown.len() > MAX_BODY {
        return Err(unprocessable("The body is too long."));
    }
    match input
        .slug
        .as_deref()
        .map(str::trim)
        .filter(|s| !s.is_empty())
    {
        Some(s) => Slug::parse(s).map_err(|e| unprocessable(format!("Slug: {}", e.0))),
        None => Slug::from_title(headline).map_err(|e| unprocessable(format!("Slug: {}", e.0))),
    }
}

fn forbidden() -> AppError {
    AppError::Forbidden("Your role does not allow this.".into())
}

fn require(user: &User, action: Action, ownership: Ownership) -> Result<(), AppError> {
    if user.can(action, ownership) {
        Ok(())
    } else {
        Err(forbidden())
    }
}

fn to_new(
    input: &ArticleInput,
    slug: Slug,
    author_ids: Vec<Id>,
    keep: Option<&Article>,
) -> NewArticle {
    let section_id = input.tag_ids.first().copied();
    NewArticle {
        slug,
        headline: input.headline.trim().to_owned(),
        standfirst: input.standfirst.trim().to_owned(),
        body_html: newsdesk_core::markdown::render(&input.body_markdown),
        body_markdown: input.body_markdown.clone(),
        status: keep.map_or(ArticleStatus::Draft, |a| a.status),
        published_at: keep.and_then(|a| a.published_at),
        canonical_url: keep.and_then(|a| a.canonical_url.clone()),
        source: keep.and_then(|a| a.source.clone()),
        author_ids,
        lead_photo_id: input.lead_photo_id,
        tag_ids: input.tag_ids.clone(),
        section_id,
        important: input.important,
    }
}

fn store_err(e: newsdesk_core::StoreError) -> AppError {
    match e {
        newsdesk_core::StoreError::Conflict(f) => {
            AppError::Conflict(format!("That {f} is already in use."))
        }
        other => other.into(),
    }
}

/// A new draft. Authors are put on the byline as themselves.
pub async fn create(
    state: &AppState,
    user: &User,
    input: &ArticleInput,
) -> Result<Article, AppError> {
    require(user, Action::CreateArticle, Ownership::None)?;
    let slug = validate(input)?;
    let author_ids = if user.role == newsdesk_core::accounts::Role::Author {
        vec![user.author_id.ok_or_else(|| {
            unprocessable("Your account has no author profile to write as; ask an admin.")
        })?]
    } else {
        input
            .author_ids
            .clone()
            .unwrap_or_else(|| user.author_id.into_iter().collect())
    };
    let new = to_new(input, slug, author_ids, None);
    let article = state.store.create_article(&new).await.map_err(store_err)?;
    state
        .store
        .record_revision(article.id, Some(user.id), Utc::now())
        .await?;
    audit(
        state,
        Some(user),
        "article.create",
        &format!("article {}", article.id),
    )
    .await;
    Ok(article)
}

pub async fn load(state: &AppState, id: Id) -> Result<Article, AppError> {
    state.store.article(id).await?.ok_or(AppError::NotFound)
}

/// Saves new text (a revision is kept). Authors may only edit their own articles, and only
/// while they are drafts: a published article is an editor's.
pub async fn edit(
    state: &AppState,
    user: &User,
    id: Id,
    input: &ArticleInput,
) -> Result<Article, AppError> {
    let current = load(state, id).await?;
    require(user, Action::EditArticle, user.owns(&current))?;
    if current.status != ArticleStatus::Draft
        && !user.can(Action::PublishArticle, user.owns(&current))
    {
        return Err(forbidden());
    }
    let slug = validate(input)?;
    // The site keeps no redirects: a public article's address is what readers, feeds and
    // search engines have, so it stays until the article is taken back to draft.
    if current.status != ArticleStatus::Draft && slug != current.slug {
        return Err(AppError::Conflict(format!(
            "The slug stays \"{0}\": the article is public at /articles/{0} and the site keeps no redirects, so links to it would break. Unpublish it first to change the slug.",
            current.slug
        )));
    }
    let author_ids = match (&input.author_ids, user.role) {
        (Some(ids), r) if r != newsdesk_core::accounts::Role::Author => ids.clone(),
        _ => current.authors.iter().map(|a| a.id).collect(),
    };
    let new = to_new(input, slug, author_ids, Some(&current));
    let saved = state
        .store
        .update_article(id, &new, Some(user.id), Utc::now())
        .await
        .map_err(store_err)?;
    audit(state, Some(user), "article.edit", &format!("article {id}")).await;
    if saved.status != ArticleStatus::Draft {
        state.cache.invalidate_all();
        crate::webhooks::notify(state, "article.updated", &saved).await;
    }
    Ok(saved)
}

/// Publish now (`at` none or past), schedule (`at` in the future), or back to draft.
pub async fn set_status(
    state: &AppState,
    user: &User,
    id: Id,
    status: ArticleStatus,
    at: Option<DateTime<Utc>>,
) -> Result<Article, AppError> {
    let current = load(state, id).await?;
    require(user, Action::PublishArticle, user.owns(&current))?;
    let now = Utc::now();
    let (status, published_at, event, action) = match status {
        ArticleStatus::Draft => (
            ArticleStatus::Draft,
            current.published_at,
            "article.unpublished",
            "article.unpublish",
        ),
        ArticleStatus::Published | ArticleStatus::Scheduled => {
            let when = at.unwrap_or(now);
            if when > now {
                (
                    ArticleStatus::Scheduled,
                    Some(when),
                    "article.published",
                    "article.schedule",
                )
            } else {
                (
                    ArticleStatus::Published,
                    Some(when),
                    "article.published",
                    "article.publish",
                )
            }
        }
    };
    let saved = state
        .store
        .set_article_status(id, status, published_at, now)
        .await?;
    audit(state, Some(user), action, &format!("article {id}")).await;
    state.cache.invalidate_all();
    let was_public = current.status != ArticleStatus::Draft;
    if status != ArticleStatus::Draft || was_public {
        crate::webhooks::notify(state, event, &saved).await;
    }
    Ok(saved)
}

pub async fn submit_for_review(state: &AppState, user: &User, id: Id) -> Result<(), AppError> {
    let current = load(state, id).await?;
    require(user, Action::SubmitForReview, user.owns(&current))?;
    state.store.request_review(id, user.id, Utc::now()).await?;
    audit(
        state,
        Some(user),
        "article.submit",
        &format!("article {id}"),
    )
    .await;
    Ok(())
}

/// Rejecting agency copy deletes the draft; rejecting a colleague's draft sends it back.
pub async fn reject(state: &AppState, user: &User, id: Id) -> Result<(), AppError> {
    require(user, Action::Review, Ownership::None)?;
    let current = load(state, id).await?;
    if current.status != ArticleStatus::Draft {
        return Err(AppError::Conflict("Only drafts can be rejected.".into()));
    }
    if current.source.is_some() {
        state.store.delete_article(id).await?;
    } else {
        state.store.clear_review_request(id).await?;
    }
    audit(
        state,
        Some(user),
        "article.reject",
        &format!("article {id}"),
    )
    .await;
    Ok(())
}

pub async fn delete(state: &AppState, user: &User, id: Id) -> Result<(), AppError> {
    let current = load(state, id).await?;
    require(user, Action::DeleteArticle, user.owns(&current))?;
    state.store.delete_article(id).await?;
    audit(
        state,
        Some(user),
        "article.delete",
        &format!("article {id}"),
    )
    .await;
    if current.status != ArticleStatus::Draft {
        state.cache.invalidate_all();
        crate::webhooks::notify(state, "article.unpublished", &current).await;
    }
    Ok(())
}

/// Saves an old revision's text as the newest revision.
pub async fn restore(
    state: &AppState,
    user: &User,
    id: Id,
    revision: &Revision,
) -> Result<Article, AppError> {
    if revision.article_id != id {
        return Err(AppError::NotFound);
    }
    let current = load(state, id).await?;
    let input = ArticleInput {
        headline: revision.headline.clone(),
        standfirst: revision.standfirst.clone(),
        body_markdown: revision.body_markdown.clone(),
        slug: Some(current.slug.to_string()),
        tag_ids: current.tags.iter().map(|t| t.id).collect(),
        author_ids: Some(current.authors.iter().map(|a| a.id).collect()),
        lead_photo_id: current.lead_photo.as_ref().map(|p| p.id),
        important: current.important,
    };
    edit(state, user, id, &input).await
}

/// Line diff between two texts, as (kind, line) pairs: kind is ' ', '+' or '-'.
pub fn line_diff(old: &str, new: &str) -> Vec<(char, String)> {
    similar::TextDiff::from_lines(old, new)
        .iter_all_changes()
        .map(|c| {
            let kind = match c.tag() {
                similar::ChangeTag::Equal => ' ',
                similar::ChangeTag::Insert => '+',
                similar::ChangeTag::Delete => '-',
            };
            (kind, c.value().trim_end_matches('\n').to_owned())
        })
        .collect()
}

/// The text of a revision as one document, for diffing.
pub fn revision_text(r: &Revision) -> String {
    format!(
        "# {}\n\n{}\n\n{}\n",
        r.headline, r.standfirst, r.body_markdown
    )
}
