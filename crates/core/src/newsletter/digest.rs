//! What goes into a digest: the important stories (the editor's flag, which ingest also sets
//! for stories several agencies carry) that appeared on the site since the issue each
//! subscriber last received (a new subscriber: within the issue's lookback, a day or a week),
//! filtered per subscriber by their topics. "Appeared" is our time, not the agency's: a wire
//! story stamped before the last issue but stored after it still goes out.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use super::{Audience, Issue, IssueKind, NewIssue};
use crate::domain::Slug;
use crate::model::{Article, Id};
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
    /// When it appeared on the site (issues stored before this field: `published_at`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub appeared_at: Option<DateTime<Utc>>,
    /// The lead photo, for mails and issue pages.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub photo: Option<IssuePhoto>,
}

/// A story's lead photo as an issue shows it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct IssuePhoto {
    /// Path on the site (`/uploads/...`).
    pub path: String,
    pub alt: String,
    pub width: u32,
    pub height: u32,
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
            appeared_at: Some(appeared_at(a)?),
            photo: a.lead_photo.as_ref().map(|p| IssuePhoto {
                path: upload_path(&p.file),
                alt: p.alt.clone(),
                width: p.width,
                height: p.height,
            }),
        })
    }

    /// When the story appeared on the site.
    pub fn appeared(&self) -> DateTime<Utc> {
        self.appeared_at.unwrap_or(self.published_at)
    }

    /// Path of the story on the site.
    pub fn path(&self) -> String {
        format!("/articles/{}", self.slug)
    }
}

/// When an article appeared on the site: its publication, or its storing when that came later
/// (wire copy keeps the agency's earlier time as its publication time).
pub fn appeared_at(a: &Article) -> Option<DateTime<Utc>> {
    a.published_at.map(|p| p.max(a.created_at))
}

/// `/uploads/<file>`, percent-encoded but for `/` between segments.
fn upload_path(file: &str) -> String {
    let mut out = String::from("/uploads/");
    for b in file.trim_start_matches('/').bytes() {
        if b.is_ascii_alphanumeric() || b"-._~/".contains(&b) {
            out.push(char::from(b));
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

/// The stories of an issue for one subscriber: those on their topics (all when they chose
/// none) that appeared after the last issue they received.
pub fn select_articles<'a>(
    articles: &'a [IssueArticle],
    topics: &[Slug],
    last_received: Option<DateTime<Utc>>,
) -> Vec<&'a IssueArticle> {
    articles
        .iter()
        .filter(|a| last_received.is_none_or(|t| a.appeared() > t))
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

/// Gathers the next issue of `kind` as of `now`: the important stories that appeared since the
/// oldest "last received issue" of its audience (at most [`IssueKind::lookback`] ago: a member
/// who never received one gets the lookback), newest first. An issue counts as received only by
/// whom it was sent to, so an issue that reached nobody is no one's "since".
pub async fn next_issue(
    store: &dyn Store,
    site_title: &str,
    kind: IssueKind,
    now: DateTime<Utc>,
) -> StoreResult<NewIssue> {
    let audience = store.audience(kind).await?;
    let since = issue_since(kind, &audience, now);
    let articles: Vec<IssueArticle> = store
        .important_appeared_since(since, now, MAX_STORIES)
        .await?
        .iter()
        .filter_map(IssueArticle::from_article)
        .filter(|a| a.appeared() > since)
        .collect();
    Ok(NewIssue {
        kind,
        subject: subject(site_title, kind, &articles),
        created_at: now,
        since,
        articles,
    })
}

/// Where an issue of `kind` starts: the lookback, or later when every member of the audience
/// received an issue since.
pub fn issue_since(kind: IssueKind, audience: &Audience, now: DateTime<Utc>) -> DateTime<Utc> {
    let floor = now - kind.lookback();
    match audience.oldest_last_received {
        Some(oldest) if audience.received_before >= audience.members => oldest.max(floor),
        _ => floor,
    }
}

/// Why no issue is made now, if none should be: nobody to send to, or nothing to send.
pub fn nothing_to_send(issue: &NewIssue, audience: &Audience) -> Option<String> {
    if audience.members == 0 {
        return Some(format!(
            "no confirmed subscribers for a {} issue: no issue made",
            issue.kind.as_str()
        ));
    }
    if issue.articles.is_empty() {
        return Some(format!(
            "no important stories since {}: no issue made",
            issue.since.format("%Y-%m-%d %H:%M UTC")
        ));
    }
    None
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
            appeared_at: None,
            photo: None,
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
    fn a_wire_story_counts_from_when_it_appeared_here() {
        let mut late = story(1, 30, &[]);
        late.appeared_at = Some(Utc::now() - Duration::hours(1));
        let picked = select_articles(
            std::slice::from_ref(&late),
            &[],
            Some(Utc::now() - Duration::hours(24)),
        );
        assert_eq!(picked.len(), 1);
    }

    #[test]
    fn a_new_member_pulls_the_issue_back_to_the_lookback() {
        let now = Utc::now();
        let last = now - Duration::hours(2);
        let all_received = Audience {
            members: 2,
            received_before: 2,
            oldest_last_received: Some(last),
        };
        assert_eq!(issue_since(IssueKind::Daily, &all_received, now), last);
        let one_new = Audience {
            received_before: 1,
            ..all_received
        };
        assert_eq!(
            issue_since(IssueKind::Weekly, &one_new, now),
            now - Duration::days(7)
        );
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
