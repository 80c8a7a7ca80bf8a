//! What goes into a digest: the important stories (the editor's flag, which ingest also sets
//! for stories several agencies carry) published since the last issue, filtered per subscriber
//! by their topics and by what they already received.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use super::{Issue, IssueKind, NewIssue};
use crate::domain::Slug;
use crate::model::{Article, ArticleQuery, Id};
use crate::store::{Store, StoreResult};

/// Most stories an issue carries: a digest, not a feed.
pub const MAX_STORIES: u32 = 25;

/// A story as an issue keeps it: a snapshot, so the issue reads the same later.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct IssueArticle {
    pub id: Id,
    pub slug: String,
    pub headline: String,
    pub standfirst: String,
    pub published_at: DateTime<Utc>,
    /// Tag slugs.
    pub tags: Vec<String>,
    /// The section's name, if any.
    pub section: Option<String>,
}

impl IssueArticle {
    pub fn from_article(a: &Article) -> Option<Self> {
        Some(IssueArticle {
            id: a.id,
            slug: a.slug.as_str().to_owned(),
            headline: a.headline.clone(),
            standfirst: a.standfirst.clone(),
            published_at: a.published_at?,
            tags: a.tags.iter().map(|t| t.slug.as_str().to_owned()).collect(),
            section: a.section.as_ref().map(|t| t.name.clone()),
        })
    }

    /// Path of the story on the site.
    pub fn path(&self) -> String {
        format!("/articles/{}", self.slug)
    }
}

/// The stories of an issue for one subscriber: those on their topics (all when they chose
/// none) published after the last issue they received.
pub fn select_articles<'a>(
    articles: &'a [IssueArticle],
    topics: &[Slug],
    last_received: Option<DateTime<Utc>>,
) -> Vec<&'a IssueArticle> {
    articles
        .iter()
        .filter(|a| last_received.is_none_or(|t| a.published_at > t))
        .filter(|a| {
            topics.is_empty()
                || a.tags
                    .iter()
                    .any(|tag| topics.iter().any(|t| t.as_str() == tag))
        })
        .collect()
}

/// The subject line: the top story, and how many more.
pub fn subject(site_title: &str, kind: IssueKind, articles: &[IssueArticle]) -> String {
    let label = match kind {
        IssueKind::Daily => "Daily briefing",
        IssueKind::Weekly => "The week",
        IssueKind::Manual => "Briefing",
    };
    match articles {
        [] => format!("{site_title} — {label}"),
        [one] => format!("{site_title} — {label}: {}", one.headline),
        [first, rest @ ..] => format!(
            "{site_title} — {label}: {} and {} more",
            first.headline,
            rest.len()
        ),
    }
}

/// Gathers the next issue of `kind` as of `now`: the important stories published since the
/// latest issue (at most [`IssueKind::lookback`] ago), newest first.
pub async fn next_issue(
    store: &dyn Store,
    site_title: &str,
    kind: IssueKind,
    now: DateTime<Utc>,
) -> StoreResult<NewIssue> {
    let floor = now - kind.lookback();
    let previous = store
        .list_issues(kind.audience().map(|_| kind), 1)
        .await?
        .into_iter()
        .next()
        .map(|i| i.created_at);
    let since = previous.map_or(floor, |p| p.max(floor));
    let mut query = ArticleQuery::visible_at(now);
    query.important_only = true;
    query.since = Some(since);
    query.limit = MAX_STORIES;
    let page = store.list_articles(&query).await?;
    let articles: Vec<IssueArticle> = page
        .items
        .iter()
        .filter(|a| a.published_at.is_some_and(|p| p > since))
        .filter_map(IssueArticle::from_article)
        .collect();
    Ok(NewIssue {
        kind,
        subject: subject(site_title, kind, &articles),
        created_at: now,
        since,
        articles,
    })
}

impl NewIssue {
    /// The issue as it would go out, unstored (previews and test sends): id 0.
    pub fn into_preview(self) -> Issue {
        Issue {
            id: 0,
            kind: self.kind,
            subject: self.subject,
            created_at: self.created_at,
            since: self.since,
            articles: self.articles,
            state: super::IssueState::Sending,
            finished_at: None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::Duration;

    fn story(id: Id, hours_ago: i64, tags: &[&str]) -> IssueArticle {
        IssueArticle {
            id,
            slug: format!("story-{id}"),
            headline: format!("Story {id}"),
            standfirst: String::new(),
            published_at: Utc::now() - Duration::hours(hours_ago),
            tags: tags.iter().map(|t| (*t).to_owned()).collect(),
            section: None,
        }
    }

    #[test]
    fn no_topics_means_every_story() {
        let all = [story(1, 1, &["politics"]), story(2, 2, &["sport"])];
        assert_eq!(select_articles(&all, &[], None).len(), 2);
    }

    #[test]
    fn topics_filter_by_tag_slug() {
        let all = [story(1, 1, &["politics"]), story(2, 2, &["sport", "local"])];
        let picked = select_articles(&all, &[Slug::parse("local").expect("slug")], None);
        assert_eq!(picked.iter().map(|a| a.id).collect::<Vec<_>>(), vec![2]);
    }

    #[test]
    fn stories_already_received_are_left_out() {
        let all = [story(1, 1, &[]), story(2, 30, &[])];
        let picked = select_articles(&all, &[], Some(Utc::now() - Duration::hours(24)));
        assert_eq!(picked.iter().map(|a| a.id).collect::<Vec<_>>(), vec![1]);
    }

    #[test]
    fn subject_names_the_top_story_and_counts_the_rest() {
        let all = [story(1, 1, &[]), story(2, 2, &[]), story(3, 3, &[])];
        assert_eq!(
            subject("Desk", IssueKind::Daily, &all),
            "Desk — Daily briefing: Story 1 and 2 more"
        );
        assert_eq!(subject("Desk", IssueKind::Weekly, &[]), "Desk — The week");
    }
}
