//! Row helpers the two newsletter implementations share.

use newsdesk_core::newsletter::{
    ClaimedDelivery, Frequency, Issue, IssueArticle, IssueKind, IssueState, NewsletterSubscriber,
    Preferences,
};
use newsdesk_core::{EmailAddress, Id, Slug, StoreError, StoreResult, SubscriptionStatus};

use crate::types::{self, Time};

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

#[derive(sqlx::FromRow)]
pub(crate) struct SubscriberRow {
    pub id: Id,
    pub email: String,
    pub status: String,
    pub frequency: String,
    pub topics: String,
    pub token_gen: i64,
    pub created_at: Time,
    pub confirmed_at: Option<Time>,
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
            created_at: self.created_at.0,
            confirmed_at: types::opt(self.confirmed_at),
        })
    }
}

#[derive(sqlx::FromRow)]
pub(crate) struct IssueRow {
    pub id: Id,
    pub kind: String,
    pub subject: String,
    pub created_at: Time,
    pub since: Time,
    pub articles: String,
    pub state: String,
    pub finished_at: Option<Time>,
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
            created_at: self.created_at.0,
            since: self.since.0,
            articles,
            state: IssueState::parse(&self.state)
                .ok_or_else(|| StoreError::Corrupt(format!("issue {id} state {:?}", self.state)))?,
            finished_at: types::opt(self.finished_at),
        })
    }
}

pub(crate) fn articles_json(articles: &[IssueArticle]) -> StoreResult<String> {
    serde_json::to_string(articles).map_err(|e| StoreError::Backend(Box::new(e)))
}

/// What the sender needs of the subscriber of a delivery just claimed.
#[derive(sqlx::FromRow)]
pub(crate) struct RecipientRow {
    pub id: Id,
    pub email: String,
    pub topics: String,
    pub last_received: Option<Time>,
}

impl RecipientRow {
    pub fn into_claimed(self, attempts: i32) -> StoreResult<ClaimedDelivery> {
        Ok(ClaimedDelivery {
            subscriber_id: self.id,
            email: email(self.id, &self.email)?,
            topics: topics_from_json(self.id, &self.topics)?,
            last_received: types::opt(self.last_received),
            attempts: u32::try_from(attempts).unwrap_or(1),
        })
    }
}

/// Error messages kept in the send log are for operators; bound their size.
pub(crate) fn short_error(e: &str) -> String {
    e.chars().take(500).collect()
}
