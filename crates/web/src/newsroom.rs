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
    /// The section (primary tag); it is added to the tags when missing. The API defaults it to
    /// the first of `tag_ids`; the editor form has its own field.
    #[serde(default)]
    pub section_id: Option<Id>,
    /// Byline. Authors write as themselves: a byline other than their own is refused (403).
    /// An article with no byline goes out under the site's publisher.
    #[serde(default)]
    pub author_ids: Option<Vec<Id>>,
    #[serde(default)]
    pub lead_photo_id: Option<Id>,
    #[serde(default)]
    pub important: bool,
}

pub const MAX_HEADLINE: usize = 300;
pub const MAX_STANDFIRST: usize = 1_000;
/// The editor's limit, in characters (what the form's counter and the error message speak of).
pub const MAX_BODY: usize = 200_000;

/// The request body an article write may need: every text field at its limit with every
/// character at its longest encoding (a 4-byte UTF-8 character is 12 bytes percent-encoded in a
/// form, or two `\uXXXX` escapes in JSON), plus room for the other fields. Uploads have a limit
/// of their own.
pub const MAX_ARTICLE_REQUEST_BYTES: usize =
    (MAX_HEADLINE + MAX_STANDFIRST + MAX_BODY) * 12 + 64 * 1024;

fn unprocessable(m: impl Into<String>) -> AppError {
    AppError::Unprocessable(m.into())
}

/// Checks the text and finds the slug: the one given (transliterated when it is not a slug
/// yet), else one made from the headline. `None`: there is nothing to make a slug from (a
/// headline of punctuation only); the caller falls back to an id-based one.
fn validate(input: &ArticleInput) -> Result<Option<Slug>, AppError> {
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
    let body_chars = input.body_markdown.chars().count();
    if body_chars > MAX_BODY {
        return Err(unprocessable(format!(
            "The body has {body_chars} characters; the most an article can have is {MAX_BODY}."
        )));
    }
    let given = input
        .slug
        .as_deref()
        .map(str::trim)
        .filter(|s| !s.is_empty());
    Ok(match given {
        Some(s) => Slug::parse(s).or_else(|_| Slug::from_title(s)).ok(),
        None => None,
    }
    .or_else(|| Slug::from_title(headline).ok()))
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
    let mut tag_ids = input.tag_ids.clone();
    if let Some(section) = input.section_id
        && !tag_ids.contains(&section)
    {
        tag_ids.insert(0, section);
    }
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
        tag_ids,
        section_id: input.section_id,
        important: input.important,
    }
}

/// Authors write as themselves: a byline other than their own (or the one the article has) is
/// refused rather than silently replaced.
fn check_author_byline(
    user: &User,
    ids: Option<&Vec<Id>>,
    current: Option<&Article>,
) -> Result<(), AppError> {
    if user.role != newsdesk_core::accounts::Role::Author {
        return Ok(());
    }
    let Some(ids) = ids else { return Ok(()) };
    let mut asked: Vec<Id> = ids.clone();
    asked.sort_unstable();
    asked.dedup();
    let mut kept: Vec<Id> =
        current.map_or_else(Vec::new, |a| a.authors.iter().map(|x| x.id).collect());
    kept.sort_unstable();
    let own: Vec<Id> = user.author_id.into_iter().collect();
    if asked == own || (current.is_some() && asked == kept) {
        Ok(())
    } else {
        Err(AppError::Forbidden(
            "Authors cannot change the byline; ask an editor.".into(),
        ))
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
    check_author_byline(user, input.author_ids.as_ref(), None)?;
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
    let needs_id_slug = slug.is_none();
    // Unique until the id is known and the article renamed after it.
    let slug = slug.unwrap_or_else(|| {
        Slug::fallback(
            "article-new",
            Utc::now().timestamp_nanos_opt().unwrap_or_default().abs(),
        )
    });
    let new = to_new(input, slug, author_ids, None);
    let mut article = state.store.create_article(&new).await.map_err(store_err)?;
    if needs_id_slug {
        let renamed = NewArticle {
            slug: Slug::fallback("article", article.id),
            ..new
        };
        article = state
            .store
            .update_article(article.id, &renamed, Some(user.id), Utc::now())
            .await
            .map_err(store_err)?;
    } else {
        state
            .store
            .record_revision(article.id, Some(user.id), Utc::now())
            .await?;
    }
    audit(
        state,
        Some(user),
        "article.create",
        &format!("article {}", article.id),
    )
    .await;
    refresh_quotes(state, &article).await;
    Ok(article)
}

/// Finds and stores the article's quotes (issue 15). The text is already saved: a failure here
/// is logged, not the save's, and `newsdesk quotes --reindex` repairs it.
pub async fn refresh_quotes(state: &AppState, article: &Article) {
    if let Err(e) = newsdesk_core::quotes::refresh(state.store.as_ref(), article).await {
        tracing::warn!(article = article.id, error = %e, "storing the article's quotes failed");
    }
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
    check_author_byline(user, input.author_ids.as_ref(), Some(&current))?;
    let slug = validate(input)?.unwrap_or_else(|| current.slug.clone());
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
    refresh_quotes(state, &saved).await;
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
    let (status, published_at, action) = match status {
        ArticleStatus::Draft => (
            ArticleStatus::Draft,
            current.published_at,
            "article.unpublish",
        ),
        ArticleStatus::Published | ArticleStatus::Scheduled => {
            let when = at.unwrap_or(now);
            if when > now {
                (ArticleStatus::Scheduled, Some(when), "article.schedule")
            } else {
                (ArticleStatus::Published, Some(when), "article.publish")
            }
        }
    };
    let saved = state
        .store
        .set_article_status(id, status, published_at, now)
        .await?;
    if let (ArticleStatus::Scheduled, Some(when)) = (status, published_at) {
        // Goes live through the job queue, which also fires `article.published` then.
        newsdesk_core::publishing::schedule(state.store.as_ref(), id, when).await?;
    }
    audit(state, Some(user), action, &format!("article {id}")).await;
    state.cache.invalidate_all();
    let was_visible = current.is_visible_at(now);
    if status == ArticleStatus::Published {
        crate::webhooks::notify(state, "article.published", &saved).await;
    } else if was_visible {
        crate::webhooks::notify(state, "article.unpublished", &saved).await;
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
        section_id: current.section.as_ref().map(|t| t.id),
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

/// A revision as one document, for diffing: the text, then its section, tags, lead photo and
/// byline.
pub fn revision_text(r: &Revision) -> String {
    format!(
        "# {}\n\n{}\n\n{}\n\n{}",
        r.headline, r.standfirst, r.body_markdown, r.meta
    )
}
