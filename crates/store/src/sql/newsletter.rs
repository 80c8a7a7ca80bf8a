//! [`newsdesk_core::newsletter::NewsletterStore`], written once for both backends; only the SQL
//! that claims a batch of deliveries differs (each backend's `claims.rs`). Creating an issue and
//! its send log is one transaction (`INSERT ... SELECT`, however many subscribers).

use std::collections::HashMap;

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use newsdesk_core::newsletter::{
    Audience, ClaimedDelivery, ConfirmOutcome, DeliveryCounts, DeliveryFailure, Issue, IssueKind, NewIssue,
    NewsletterStore, NewsletterSubscriber, Preferences, SignupResult,
};
use newsdesk_core::{Article, EmailAddress, Id, StoreError, StoreResult, SubscriptionStatus};
use sqlx::AssertSqlSafe;

use super::{Conn, ThisStore, id_list};
use crate::newsletter_rows::{self as nr, IssueRow, SubscriberRow};
use crate::rows::{ArticleRow, backend, email_key};
use crate::types::Time;

// Constant column lists, spliced into otherwise constant SQL (hence `AssertSqlSafe`).
const SUBSCRIBER_COLUMNS: &str =
    "id, email, status, frequency, topics, token_gen, created_at, confirmed_at";
const ISSUE_COLUMNS: &str = "id, kind, subject, created_at, since, articles, state, finished_at";

#[derive(sqlx::FromRow)]
struct CountRow {
    state: String,
    n: i64,
    next_retry: Option<Time>,
}

fn count(n: i64) -> u64 {
    u64::try_from(n).unwrap_or(0)
}

#[async_trait]
impl NewsletterStore for ThisStore {
    async fn issue_transport(&self, issue: Id, candidate: &str) -> StoreResult<String> {
        let name = format!("newsletter.issue.{issue}.transport");
        sqlx::query(
            "INSERT INTO server_secrets (name, value) VALUES ($1, $2) ON CONFLICT DO NOTHING",
        )
        .bind(&name)
        .bind(candidate)
        .execute(self.writer())
        .await
        .map_err(backend)?;
        sqlx::query_scalar("SELECT value FROM server_secrets WHERE name = $1")
            .bind(&name)
            .fetch_one(self.writer())
            .await
            .map_err(backend)
    }

    async fn newsletter_secret(&self, candidate: &[u8]) -> StoreResult<Vec<u8>> {
        sqlx::query(
            "INSERT INTO newsletter_secret (id, secret) VALUES (1, $1) ON CONFLICT DO NOTHING",
        )
        .bind(candidate)
        .execute(self.writer())
        .await
        .map_err(backend)?;
        sqlx::query_scalar("SELECT secret FROM newsletter_secret WHERE id = 1")
            .fetch_one(self.writer())
            .await
            .map_err(backend)
    }

    async fn rate_limit_hit(&self, key: &str, window_start: DateTime<Utc>) -> StoreResult<u32> {
        let mut tx = self.begin_write().await?;
        sqlx::query("DELETE FROM newsletter_rate_limits WHERE key = $1 AND window_start < $2")
            .bind(key)
            .bind(Time(window_start))
            .execute(&mut *tx)
            .await
            .map_err(backend)?;
        let n: i32 = sqlx::query_scalar(
            "INSERT INTO newsletter_rate_limits (key, window_start, count) VALUES ($1, $2, 1)
             ON CONFLICT (key, window_start)
             DO UPDATE SET count = newsletter_rate_limits.count + 1
             RETURNING count",
        )
        .bind(key)
        .bind(Time(window_start))
        .fetch_one(&mut *tx)
        .await
        .map_err(backend)?;
        tx.commit().await.map_err(backend)?;
        Ok(u32::try_from(n).unwrap_or(u32::MAX))
    }

    async fn request_subscription(
        &self,
        email: &EmailAddress,
        now: DateTime<Utc>,
    ) -> StoreResult<SignupResult> {
        let sql = format!(
            "INSERT INTO subscribers (email, email_key, status, created_at, token_gen)
             VALUES ($1, $2, 'pending', $3, 1)
             ON CONFLICT (email_key) DO UPDATE SET
                token_gen = CASE WHEN subscribers.status = 'confirmed'
                                 THEN subscribers.token_gen ELSE subscribers.token_gen + 1 END,
                status = CASE WHEN subscribers.status = 'confirmed'
                              THEN 'confirmed' ELSE 'pending' END
             RETURNING {SUBSCRIBER_COLUMNS}"
        );
        let row: SubscriberRow = sqlx::query_as(AssertSqlSafe(sql))
            .bind(email.as_str())
            .bind(email_key(email))
            .bind(Time(now))
            .fetch_one(self.writer())
            .await
            .map_err(backend)?;
        let s = row.into_model()?;
        Ok(if s.status == SubscriptionStatus::Confirmed {
            SignupResult::AlreadyConfirmed(s)
        } else {
            SignupResult::NeedsConfirmation(s)
        })
    }

    async fn newsletter_subscriber(&self, id: Id) -> StoreResult<Option<NewsletterSubscriber>> {
        let sql = format!("SELECT {SUBSCRIBER_COLUMNS} FROM subscribers WHERE id = $1");
        let row: Option<SubscriberRow> = sqlx::query_as(AssertSqlSafe(sql))
            .bind(id)
            .fetch_optional(self.reader())
            .await
            .map_err(backend)?;
        row.map(SubscriberRow::into_model).transpose()
    }

    async fn confirm_subscription(
        &self,
        id: Id,
        token_gen: i64,
        now: DateTime<Utc>,
    ) -> StoreResult<ConfirmOutcome> {
        let done = sqlx::query(
            "UPDATE subscribers
             SET status = 'confirmed', confirmed_at = $1, token_gen = token_gen + 1
             WHERE id = $2 AND status = 'pending' AND token_gen = $3",
        )
        .bind(Time(now))
        .bind(id)
        .bind(token_gen)
        .execute(self.writer())
        .await
        .map_err(backend)?
        .rows_affected();
        Ok(if done == 1 {
            ConfirmOutcome::Confirmed
        } else {
            ConfirmOutcome::AlreadyUsed
        })
    }

    async fn unsubscribe(&self, id: Id, now: DateTime<Utc>) -> StoreResult<bool> {
        let mut tx = self.begin_write().await?;
        let n = sqlx::query(
            "UPDATE subscribers SET status = 'unsubscribed', unsubscribed_at = $1
             WHERE id = $2 AND status IN ('pending', 'confirmed')",
        )
        .bind(Time(now))
        .bind(id)
        .execute(&mut *tx)
        .await
        .map_err(backend)?
        .rows_affected();
        skip_unsent(&mut tx, id).await?;
        tx.commit().await.map_err(backend)?;
        Ok(n == 1)
    }

    async fn set_preferences(&self, id: Id, prefs: &Preferences) -> StoreResult<bool> {
        let n = sqlx::query("UPDATE subscribers SET frequency = $1, topics = $2 WHERE id = $3")
            .bind(prefs.frequency.as_str())
            .bind(nr::topics_to_json(&prefs.topics))
            .bind(id)
            .execute(self.writer())
            .await
            .map_err(backend)?
            .rows_affected();
        Ok(n == 1)
    }

    async fn mark_bounced(&self, id: Id, reason: &str, now: DateTime<Utc>) -> StoreResult<bool> {
        let mut tx = self.begin_write().await?;
        let n = mark_bounced(&mut tx, id, reason, now).await?;
        tx.commit().await.map_err(backend)?;
        Ok(n)
    }

    async fn count_subscribers(&self, status: SubscriptionStatus) -> StoreResult<u64> {
        let n: i64 = sqlx::query_scalar("SELECT count(*) FROM subscribers WHERE status = $1")
            .bind(status.as_str())
            .fetch_one(self.reader())
            .await
            .map_err(backend)?;
        Ok(count(n))
    }

    async fn audience(&self, kind: IssueKind) -> StoreResult<Audience> {
        let (members, received, oldest): (i64, i64, Option<Time>) = sqlx::query_as(
            "SELECT count(*), count(t.last_received), min(t.last_received) FROM (
                 SELECT (SELECT max(i.created_at) FROM newsletter_deliveries d
                         JOIN newsletter_issues i ON i.id = d.issue_id
                         WHERE d.subscriber_id = s.id AND d.state = 'sent') AS last_received
                 FROM subscribers s
                 WHERE s.status = 'confirmed' AND ($1 IS NULL OR s.frequency = $1)
             ) t",
        )
        .bind(kind.audience().map(|f| f.as_str()))
        .fetch_one(self.reader())
        .await
        .map_err(backend)?;
        Ok(Audience {
            members: count(members),
            received_before: count(received),
            oldest_last_received: oldest.map(|t| t.0),
        })
    }

    async fn important_appeared_since(
        &self,
        since: DateTime<Utc>,
        now: DateTime<Utc>,
        limit: u32,
    ) -> StoreResult<Vec<Article>> {
        let rows: Vec<ArticleRow> = sqlx::query_as(concat!(
            "SELECT ",
            article_columns!(),
            " FROM articles a LEFT JOIN photos p ON p.id = a.lead_photo_id
             WHERE a.important AND a.status <> 'draft' AND a.published_at <= $1
               AND (a.published_at > $2 OR a.created_at > $2)
             ORDER BY a.published_at DESC, a.id DESC LIMIT $3"
        ))
        .bind(Time(now))
        .bind(Time(since))
        .bind(i64::from(limit.clamp(1, 100)))
        .fetch_all(self.reader())
        .await
        .map_err(backend)?;
        self.load_articles(rows).await
    }

    async fn create_issue(&self, new: &NewIssue) -> StoreResult<Issue> {
        let mut tx = self.begin_write().await?;
        let sql = format!(
            "INSERT INTO newsletter_issues (kind, subject, created_at, since, articles, state)
             VALUES ($1, $2, $3, $4, $5, 'sending')
             RETURNING {ISSUE_COLUMNS}"
        );
        let row: IssueRow = sqlx::query_as(AssertSqlSafe(sql))
            .bind(new.kind.as_str())
            .bind(&new.subject)
            .bind(Time(new.created_at))
            .bind(Time(new.since))
            .bind(nr::articles_json(&new.articles)?)
            .fetch_one(&mut *tx)
            .await
            .map_err(backend)?;
        let created = row.into_model()?;
        sqlx::query(
            "INSERT INTO newsletter_deliveries (issue_id, subscriber_id, state)
             SELECT $1, id, 'pending' FROM subscribers
             WHERE status = 'confirmed' AND ($2 IS NULL OR frequency = $2)",
        )
        .bind(created.id)
        .bind(new.kind.audience().map(|f| f.as_str()))
        .execute(&mut *tx)
        .await
        .map_err(backend)?;
        tx.commit().await.map_err(backend)?;
        Ok(created)
    }

    async fn issue(&self, id: Id) -> StoreResult<Option<Issue>> {
        let sql = format!("SELECT {ISSUE_COLUMNS} FROM newsletter_issues WHERE id = $1");
        let row: Option<IssueRow> = sqlx::query_as(AssertSqlSafe(sql))
            .bind(id)
            .fetch_optional(self.reader())
            .await
            .map_err(backend)?;
        row.map(IssueRow::into_model).transpose()
    }

    async fn open_issue(&self, kind: Option<IssueKind>) -> StoreResult<Option<Issue>> {
        let sql = format!(
            "SELECT {ISSUE_COLUMNS} FROM newsletter_issues
             WHERE state = 'sending' AND ($1 IS NULL OR kind = $1) ORDER BY id LIMIT 1"
        );
        let row: Option<IssueRow> = sqlx::query_as(AssertSqlSafe(sql))
            .bind(kind.map(|k| k.as_str()))
            .fetch_optional(self.writer())
            .await
            .map_err(backend)?;
        row.map(IssueRow::into_model).transpose()
    }

    async fn list_issues(&self, kind: Option<IssueKind>, limit: u32) -> StoreResult<Vec<Issue>> {
        let sql = format!(
            "SELECT {ISSUE_COLUMNS} FROM newsletter_issues
             WHERE ($1 IS NULL OR kind = $1) ORDER BY id DESC LIMIT $2"
        );
        let rows: Vec<IssueRow> = sqlx::query_as(AssertSqlSafe(sql))
            .bind(kind.map(|k| k.as_str()))
            .bind(i64::from(limit.min(1000)))
            .fetch_all(self.reader())
            .await
            .map_err(backend)?;
        rows.into_iter().map(IssueRow::into_model).collect()
    }

    async fn claim_deliveries(
        &self,
        issue_id: Id,
        worker: &str,
        limit: u32,
        lease_until: DateTime<Utc>,
        now: DateTime<Utc>,
    ) -> StoreResult<Vec<ClaimedDelivery>> {
        let mut tx = self.begin_write().await?;
        // Recipients who left (or bounced) since the issue was made get nothing.
        sqlx::query(
            "UPDATE newsletter_deliveries SET state = 'skipped', lease_until = NULL
             WHERE issue_id = $1 AND state IN ('pending', 'failed_temp')
               AND subscriber_id IN (SELECT id FROM subscribers WHERE status <> 'confirmed')",
        )
        .bind(issue_id)
        .execute(&mut *tx)
        .await
        .map_err(backend)?;
        let claimed: Vec<(Id, i32)> = sqlx::query_as(super::claims::CLAIM_DELIVERIES)
            .bind(Time(lease_until))
            .bind(worker)
            .bind(issue_id)
            .bind(Time(now))
            .bind(i64::from(limit))
            .fetch_all(&mut *tx)
            .await
            .map_err(backend)?;
        let attempts: HashMap<Id, i32> = claimed.into_iter().collect();
        let ids: Vec<Id> = attempts.keys().copied().collect();
        let rows: Vec<nr::RecipientRow> = sqlx::query_as(concat!(
            "SELECT s.id, s.email, s.topics,
                    (SELECT max(i.created_at) FROM newsletter_deliveries d
                     JOIN newsletter_issues i ON i.id = d.issue_id
                     WHERE d.subscriber_id = s.id AND d.state = 'sent' AND d.issue_id <> $1)
                    AS last_received
             FROM subscribers s WHERE s.id ",
            in_list!(2),
            " ORDER BY s.id"
        ))
        .bind(issue_id)
        .bind(id_list(&ids))
        .fetch_all(&mut *tx)
        .await
        .map_err(backend)?;
        tx.commit().await.map_err(backend)?;
        rows.into_iter()
            .map(|r| {
                let n = attempts.get(&r.id).copied().unwrap_or(1);
                r.into_claimed(n)
            })
            .collect()
    }

    async fn record_sent(
        &self,
        issue_id: Id,
        subscriber_ids: &[Id],
        now: DateTime<Utc>,
    ) -> StoreResult<u64> {
        if subscriber_ids.is_empty() {
            return Ok(0);
        }
        let n = sqlx::query(concat!(
            "UPDATE newsletter_deliveries
             SET state = 'sent', sent_at = $1, lease_until = NULL, retry_at = NULL
             WHERE issue_id = $2 AND subscriber_id ",
            in_list!(3),
            " AND state <> 'sent'"
        ))
        .bind(Time(now))
        .bind(issue_id)
        .bind(id_list(subscriber_ids))
        .execute(self.writer())
        .await
        .map_err(backend)?
        .rows_affected();
        Ok(n)
    }

    async fn renew_deliveries(
        &self,
        issue_id: Id,
        worker: &str,
        lease_until: DateTime<Utc>,
    ) -> StoreResult<u64> {
        let n = sqlx::query(
            "UPDATE newsletter_deliveries SET lease_until = $1
             WHERE issue_id = $2 AND state = 'sending' AND worker = $3",
        )
        .bind(Time(lease_until))
        .bind(issue_id)
        .bind(worker)
        .execute(self.writer())
        .await
        .map_err(backend)?
        .rows_affected();
        Ok(n)
    }

    async fn record_skipped(&self, issue_id: Id, subscriber_ids: &[Id]) -> StoreResult<u64> {
        if subscriber_ids.is_empty() {
            return Ok(0);
        }
        let n = sqlx::query(concat!(
            "UPDATE newsletter_deliveries SET state = 'skipped', lease_until = NULL
             WHERE issue_id = $1 AND subscriber_id ",
            in_list!(2),
            " AND state <> 'sent'"
        ))
        .bind(issue_id)
        .bind(id_list(subscriber_ids))
        .execute(self.writer())
        .await
        .map_err(backend)?
        .rows_affected();
        Ok(n)
    }

    async fn record_failure(
        &self,
        issue_id: Id,
        subscriber_id: Id,
        failure: &DeliveryFailure,
        now: DateTime<Utc>,
    ) -> StoreResult<bool> {
        let mut tx = self.begin_write().await?;
        let n = match failure {
            DeliveryFailure::Temporary { error, retry_at } => sqlx::query(
                "UPDATE newsletter_deliveries
                 SET state = 'failed_temp', retry_at = $1, last_error = $2, lease_until = NULL
                 WHERE issue_id = $3 AND subscriber_id = $4 AND state = 'sending'",
            )
            .bind(Time(*retry_at))
            .bind(nr::short_error(error))
            .bind(issue_id)
            .bind(subscriber_id)
            .execute(&mut *tx)
            .await
            .map_err(backend)?
            .rows_affected(),
            DeliveryFailure::Permanent { error } => {
                let n = sqlx::query(
                    "UPDATE newsletter_deliveries
                     SET state = 'failed_perm', last_error = $1, lease_until = NULL
                     WHERE issue_id = $2 AND subscriber_id = $3 AND state = 'sending'",
                )
                .bind(nr::short_error(error))
                .bind(issue_id)
                .bind(subscriber_id)
                .execute(&mut *tx)
                .await
                .map_err(backend)?
                .rows_affected();
                mark_bounced(&mut tx, subscriber_id, error, now).await?;
                n
            }
        };
        tx.commit().await.map_err(backend)?;
        Ok(n == 1)
    }

    async fn delivery_counts(&self, issue_id: Id) -> StoreResult<DeliveryCounts> {
        let rows: Vec<CountRow> = sqlx::query_as(
            "SELECT state, count(*) AS n, min(retry_at) AS next_retry
             FROM newsletter_deliveries WHERE issue_id = $1 GROUP BY state",
        )
        .bind(issue_id)
        .fetch_all(self.writer())
        .await
        .map_err(backend)?;
        let mut c = DeliveryCounts::default();
        for r in rows {
            let n = count(r.n);
            match r.state.as_str() {
                "pending" => c.pending = n,
                "sending" => c.sending = n,
                "sent" => c.sent = n,
                "failed_temp" => {
                    c.failed_temp = n;
                    c.next_retry = crate::types::opt(r.next_retry);
                }
                "failed_perm" => c.failed_perm = n,
                "skipped" => c.skipped = n,
                other => {
                    return Err(StoreError::Corrupt(format!("delivery state {other:?}")));
                }
            }
        }
        Ok(c)
    }

    async fn finish_issue(&self, issue_id: Id, now: DateTime<Utc>) -> StoreResult<bool> {
        sqlx::query(
            "UPDATE newsletter_issues SET state = 'done', finished_at = $1
             WHERE id = $2 AND state = 'sending' AND NOT EXISTS (
                SELECT 1 FROM newsletter_deliveries
                WHERE issue_id = $2 AND state IN ('pending', 'sending', 'failed_temp'))",
        )
        .bind(Time(now))
        .bind(issue_id)
        .execute(self.writer())
        .await
        .map_err(backend)?;
        let state: Option<String> =
            sqlx::query_scalar("SELECT state FROM newsletter_issues WHERE id = $1")
                .bind(issue_id)
                .fetch_optional(self.writer())
                .await
                .map_err(backend)?;
        match state {
            None => Err(StoreError::NotFound),
            Some(s) => Ok(s == "done"),
        }
    }
}

async fn skip_unsent(tx: &mut Conn, subscriber_id: Id) -> StoreResult<()> {
    sqlx::query(
        "UPDATE newsletter_deliveries SET state = 'skipped', lease_until = NULL
         WHERE subscriber_id = $1 AND state IN ('pending', 'failed_temp')",
    )
    .bind(subscriber_id)
    .execute(&mut *tx)
    .await
    .map_err(backend)?;
    Ok(())
}

async fn mark_bounced(
    tx: &mut Conn,
    id: Id,
    reason: &str,
    now: DateTime<Utc>,
) -> StoreResult<bool> {
    let n = sqlx::query(
        "UPDATE subscribers SET status = 'bounced', bounced_at = $1, bounce_reason = $2
         WHERE id = $3 AND status <> 'bounced'",
    )
    .bind(Time(now))
    .bind(nr::short_error(reason))
    .bind(id)
    .execute(&mut *tx)
    .await
    .map_err(backend)?
    .rows_affected();
    skip_unsent(tx, id).await?;
    Ok(n == 1)
}
