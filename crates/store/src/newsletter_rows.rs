//! Row helpers the two newsletter implementations share.

use chrono::{DateTime, Utc};
use newsdesk_core::newsletter::{
    Frequency, Issue, IssueArticle, IssueKind, IssueState, NewsletterSubscriber, Preferences,
};
use newsdesk_core::{EmailAddress, Id, Slug, StoreError, StoreResult, SubscriptionStatus};

pub(crate) fn topics_to_json(topics: &[Slug]) -> String {
    serde_json::Value::from(topics.iter().map(|t| t.as_str()).collect::<Vec<_>>()).to_string()
}

pub(crate) fn topics_from_json(id: Id, raw: &str) -> StoreResult<Vec<Slug>> {
    let list: Vec<String> = serde_json::from_str(raw)
        .map_err(|e| StoreError::Corrupt(format!("subscriber {id} topics: {e}")))?;
    list.into_iter()
        .map(|t| {
            Slug::parse(&t).map_err(|_| StoreError::Corrupt(format!("subscriber {id} topic {t:?}")))
        })
        .collect()
}

pub(crate) fn email(id: Id, raw: &str) -> StoreResult<EmailAddress> {
    EmailAddress::parse(raw)
        .map_err(|_| StoreError::Corrupt(format!("subscriber {id} has invalid address {raw:?}")))
}

pub(crate) struct SubscriberRow {
    pub id: Id,
    pub email: String,
    pub status: String,
    pub frequency: String,
    pub topics: String,
    pub token_gen: i64,
    pub created_at: DateTime<Utc>,
    pub confirmed_at: Option<DateTime<Utc>>,
}

impl SubscriberRow {
    pub fn into_model(self) -> StoreResult<NewsletterSubscriber> {
        let id = self.id;
        Ok(NewsletterSubscriber {
            id,
            email: email(id, &self.email)?,
            status: SubscriptionStatus::parse(&self.status).ok_or_else(|| {
                StoreError::Corrupt(format!("subscriber {id} status {:?}", self.status))
            })?,
            preferences: Preferences {
                frequency: Frequency::parse(&self.frequency).ok_or_else(|| {
                    StoreError::Corrupt(format!("subscriber {id} frequency {:?}", self.frequency))
                })?,
                topics: topics_from_json(id, &self.topics)?,
            },
            token_gen: self.token_gen,
            created_at: self.created_at,
            confirmed_at: self.confirmed_at,
        })
    }
}

pub(crate) struct IssueRow {
    pub id: Id,
    pub kind: String,
    pub subject: String,
    pub created_at: DateTime<Utc>,
    pub since: DateTime<Utc>,
    pub articles: String,
    pub state: String,
    pub finished_at: Option<DateTime<Utc>>,
}

impl IssueRow {
    pub fn into_model(self) -> StoreResult<Issue> {
        let id = self.id;
        let articles: Vec<IssueArticle> = serde_json::from_str(&self.articles)
            .map_err(|e| StoreError::Corrupt(format!("issue {id} articles: {e}")))?;
        Ok(Issue {
            id,
            kind: IssueKind::parse(&self.kind)
                .ok_or_else(|| StoreError::Corrupt(format!("issue {id} kind {:?}", self.kind)))?,
            subject: self.subject,
            created_at: self.created_at,
            since: self.since,
            articles,
            state: IssueState::parse(&self.state)
                .ok_or_else(|| StoreError::Corrupt(format!("issue {id} state {:?}", self.state)))?,
            finished_at: self.finished_at,
        })
    }
}

pub(crate) fn articles_json(articles: &[IssueArticle]) -> StoreResult<String> {
    serde_json::to_string(articles).map_err(|e| StoreError::Backend(Box::new(e)))
}

pub(crate) fn ids_json(ids: &[Id]) -> String {
    serde_json::Value::from(ids.to_vec()).to_string()
}

/// Error messages kept in the send log are for operators; bound their size.
pub(crate) fn short_error(e: &str) -> String {
    e.chars().take(500).collect()
}
