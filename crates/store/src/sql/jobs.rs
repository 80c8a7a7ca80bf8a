//! [`newsdesk_core::jobs::JobStore`], written once for both backends; only the claim's SQL
//! differs (each backend's `claims.rs`).

use std::time::Duration;

use super::{ThisStore, text_list};
use crate::job_rows::{self, JobRow, LEASE_EXPIRED, LEASE_EXPIRED_LAST};
use crate::rows::backend;
use crate::types::{JsonText, Time};
use async_trait::async_trait;
use chrono::{DateTime, Utc};
use newsdesk_core::jobs::{Job, JobCounts, JobStore, NewJob};
use newsdesk_core::{Id, StoreResult};

fn lease_end(now: DateTime<Utc>, lease: Duration) -> DateTime<Utc> {
    chrono::Duration::from_std(lease)
        .ok()
        .and_then(|d| now.checked_add_signed(d))
        .unwrap_or(DateTime::<Utc>::MAX_UTC)
}

#[async_trait]
impl JobStore for ThisStore {
    async fn enqueue(&self, job: &NewJob) -> StoreResult<Option<Id>> {
        // The partial unique index on (queue, dedupe_key) over live jobs is the only
        // uniqueness rule a caller can break: a conflict means "already queued".
        let id: Option<Id> = sqlx::query_scalar(
            "INSERT INTO jobs (queue, payload, max_attempts, run_at, dedupe_key, created_at)
             VALUES ($1, $2, $3, $4, $5, $6)
             ON CONFLICT DO NOTHING
             RETURNING id",
        )
        .bind(&job.queue)
        .bind(JsonText(job_rows::payload_text(&job.payload)))
        .bind(job_rows::max_attempts(job.max_attempts))
        .bind(Time(job.run_at))
        .bind(job.dedupe_key.as_deref())
        .bind(Time(Utc::now()))
        .fetch_optional(self.writer())
        .await
        .map_err(backend)?;
        Ok(id)
    }

    async fn claim(
        &self,
        queues: &[&str],
        worker: &str,
        lease: Duration,
        now: DateTime<Utc>,
    ) -> StoreResult<Option<Job>> {
        if queues.is_empty() {
            return Ok(None);
        }
        let mut tx = self.begin_write().await?;
        // A job whose worker died on its last attempt is not run again: it may be what kills
        // the workers.
        sqlx::query(concat!(
            "UPDATE jobs SET state = 'dead', finished_at = $1, lease_until = NULL, last_error = $2
             WHERE state = 'running' AND lease_until <= $1 AND attempts >= max_attempts
               AND queue ",
            in_list!(3)
        ))
        .bind(Time(now))
        .bind(LEASE_EXPIRED_LAST)
        .bind(text_list(queues))
        .execute(&mut *tx)
        .await
        .map_err(backend)?;
        let row: Option<JobRow> = sqlx::query_as(super::claims::CLAIM_JOB)
            .bind(worker)
            .bind(Time(lease_end(now, lease)))
            .bind(LEASE_EXPIRED)
            .bind(text_list(queues))
            .bind(Time(now))
            .fetch_optional(&mut *tx)
            .await
            .map_err(backend)?;
        tx.commit().await.map_err(backend)?;
        row.map(JobRow::into_job).transpose()
    }

    async fn extend_lease(&self, id: Id, worker: &str, until: DateTime<Utc>) -> StoreResult<bool> {
        let done = sqlx::query(
            "UPDATE jobs SET lease_until = $1 WHERE id = $2 AND state = 'running' AND worker = $3",
        )
        .bind(Time(until))
        .bind(id)
        .bind(worker)
        .execute(self.writer())
        .await
        .map_err(backend)?;
        Ok(done.rows_affected() == 1)
    }

    async fn complete(&self, id: Id, worker: &str) -> StoreResult<bool> {
        let done = sqlx::query(
            "UPDATE jobs SET state = 'done', lease_until = NULL, finished_at = $1
             WHERE id = $2 AND state = 'running' AND worker = $3",
        )
        .bind(Time(Utc::now()))
        .bind(id)
        .bind(worker)
        .execute(self.writer())
        .await
        .map_err(backend)?;
        Ok(done.rows_affected() == 1)
    }

    async fn fail(
        &self,
        id: Id,
        worker: &str,
        error: &str,
        retry_at: DateTime<Utc>,
    ) -> StoreResult<bool> {
        let done = sqlx::query(
            "UPDATE jobs SET
                 state = CASE WHEN attempts >= max_attempts THEN 'dead' ELSE 'queued' END,
                 finished_at = CASE WHEN attempts >= max_attempts THEN $1 ELSE NULL END,
                 run_at = CASE WHEN attempts >= max_attempts THEN run_at ELSE $2 END,
                 lease_until = NULL, last_error = $3
             WHERE id = $4 AND state = 'running' AND worker = $5",
        )
        .bind(Time(Utc::now()))
        .bind(Time(retry_at))
        .bind(error)
        .bind(id)
        .bind(worker)
        .execute(self.writer())
        .await
        .map_err(backend)?;
        Ok(done.rows_affected() == 1)
    }

    async fn fail_permanently(&self, id: Id, worker: &str, error: &str) -> StoreResult<bool> {
        let done = sqlx::query(
            "UPDATE jobs SET state = 'dead', finished_at = $1, lease_until = NULL, last_error = $2
             WHERE id = $3 AND state = 'running' AND worker = $4",
        )
        .bind(Time(Utc::now()))
        .bind(error)
        .bind(id)
        .bind(worker)
        .execute(self.writer())
        .await
        .map_err(backend)?;
        Ok(done.rows_affected() == 1)
    }

    async fn job(&self, id: Id) -> StoreResult<Option<Job>> {
        let row: Option<JobRow> = sqlx::query_as(concat!(
            "SELECT ",
            job_columns!(),
            " FROM jobs WHERE id = $1"
        ))
        .bind(id)
        .fetch_optional(self.reader())
        .await
        .map_err(backend)?;
        row.map(JobRow::into_job).transpose()
    }

    async fn job_counts(&self, queue: &str) -> StoreResult<JobCounts> {
        let rows: Vec<(String, i64)> =
            sqlx::query_as("SELECT state, count(*) FROM jobs WHERE queue = $1 GROUP BY state")
                .bind(queue)
                .fetch_all(self.reader())
                .await
                .map_err(backend)?;
        job_rows::counts(rows)
    }

    async fn dead_jobs(&self, queue: &str, limit: u32) -> StoreResult<Vec<Job>> {
        sqlx::query_as(concat!(
            "SELECT ",
            job_columns!(),
            " FROM jobs WHERE state = 'dead' AND queue = $1
             ORDER BY finished_at DESC, id DESC LIMIT $2"
        ))
        .bind(queue)
        .bind(i64::from(limit))
        .fetch_all(self.reader())
        .await
        .map_err(backend)?
        .into_iter()
        .map(JobRow::into_job)
        .collect()
    }

    async fn requeue_dead(&self, id: Id, run_at: DateTime<Utc>) -> StoreResult<bool> {
        // A live job with the same dedupe key makes this a no-op rather than a conflict.
        let done = sqlx::query(
            "UPDATE jobs SET state = 'queued', run_at = $1, finished_at = NULL,
                 max_attempts = CASE WHEN attempts + max_attempts > 4294967295 THEN 4294967295
                                     ELSE attempts + max_attempts END
             WHERE id = $2 AND state = 'dead'
               AND NOT EXISTS (
                   SELECT 1 FROM jobs o
                   WHERE jobs.dedupe_key IS NOT NULL AND o.queue = jobs.queue
                     AND o.dedupe_key = jobs.dedupe_key AND o.state IN ('queued', 'running'))",
        )
        .bind(Time(run_at))
        .bind(id)
        .execute(self.writer())
        .await;
        match done {
            Ok(done) => Ok(done.rows_affected() == 1),
            // A job with the same key was enqueued between the check and the update.
            Err(sqlx::Error::Database(db))
                if db.kind() == sqlx::error::ErrorKind::UniqueViolation =>
            {
                Ok(false)
            }
            Err(err) => Err(backend(err)),
        }
    }

    async fn prune_done(&self, older_than: DateTime<Utc>) -> StoreResult<u64> {
        let done = sqlx::query("DELETE FROM jobs WHERE state = 'done' AND finished_at < $1")
            .bind(Time(older_than))
            .execute(self.writer())
            .await
            .map_err(backend)?;
        Ok(done.rows_affected())
    }
}
