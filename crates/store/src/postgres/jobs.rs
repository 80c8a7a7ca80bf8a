//! [`newsdesk_core::jobs::JobStore`] for [`PgStore`].
//!
//! Claims pick their row with `FOR UPDATE SKIP LOCKED`, so concurrent claimers (threads or
//! processes) each take a different job without waiting on one another.

use std::time::Duration;

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use newsdesk_core::jobs::{Job, JobCounts, JobStore, NewJob};
use newsdesk_core::{Id, StoreResult};
use sqlx::Row as _;
use sqlx::postgres::PgRow;

use super::PgStore;
use crate::job_rows::{self, JobRow, LEASE_EXPIRED, LEASE_EXPIRED_LAST};
use crate::rows::backend;

/// The columns `job_row` reads.
macro_rules! job_columns {
    () => {
        "id, queue, payload::text AS payload, state, attempts, max_attempts, run_at, last_error,
         created_at, dedupe_key"
    };
}

fn job_row(r: &PgRow) -> StoreResult<Job> {
    JobRow {
        id: r.try_get("id").map_err(backend)?,
        queue: r.try_get("queue").map_err(backend)?,
        payload: r.try_get("payload").map_err(backend)?,
        state: r.try_get("state").map_err(backend)?,
        attempts: r.try_get("attempts").map_err(backend)?,
        max_attempts: r.try_get("max_attempts").map_err(backend)?,
        run_at: r.try_get("run_at").map_err(backend)?,
        last_error: r.try_get("last_error").map_err(backend)?,
        created_at: r.try_get("created_at").map_err(backend)?,
        dedupe_key: r.try_get("dedupe_key").map_err(backend)?,
    }
    .into_job()
}

fn lease_end(now: DateTime<Utc>, lease: Duration) -> DateTime<Utc> {
    chrono::Duration::from_std(lease)
        .ok()
        .and_then(|d| now.checked_add_signed(d))
        .unwrap_or(DateTime::<Utc>::MAX_UTC)
}

#[async_trait]
impl JobStore for PgStore {
    async fn enqueue(&self, job: &NewJob) -> StoreResult<Option<Id>> {
        // The partial unique index on (queue, dedupe_key) over live jobs is the only
        // uniqueness rule a caller can break: a conflict means "already queued".
        let id: Option<Id> = sqlx::query_scalar(
            "INSERT INTO jobs (queue, payload, max_attempts, run_at, dedupe_key, created_at)
             VALUES ($1, $2::jsonb, $3, $4, $5, $6)
             ON CONFLICT DO NOTHING
             RETURNING id",
        )
        .bind(&job.queue)
        .bind(job_rows::payload_text(&job.payload))
        .bind(job_rows::max_attempts(job.max_attempts))
        .bind(job.run_at)
        .bind(job.dedupe_key.as_deref())
        .bind(Utc::now())
        .fetch_optional(&self.pool)
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
        let queues: Vec<String> = queues.iter().map(|q| (*q).to_owned()).collect();
        // A job whose worker died on its last attempt is not run again: it may be what kills
        // the workers.
        sqlx::query(
            "UPDATE jobs SET state = 'dead', finished_at = $1, lease_until = NULL, last_error = $2
             WHERE state = 'running' AND lease_until <= $1 AND attempts >= max_attempts
               AND queue = ANY($3)",
        )
        .bind(now)
        .bind(LEASE_EXPIRED_LAST)
        .bind(&queues)
        .execute(&self.pool)
        .await
        .map_err(backend)?;
        // One candidate per queue from the head of the due index (so a backlog costs nothing)
        // plus the oldest expired lease, each locked with SKIP LOCKED so that concurrent
        // claimers pass over one another's; the oldest candidate is taken. The others stay
        // locked only until this statement ends.
        let row = sqlx::query(concat!(
            "WITH candidates AS (
                 SELECT l.id, l.run_at FROM (
                     SELECT id, run_at FROM jobs
                     WHERE state = 'running' AND lease_until <= $5 AND queue = ANY($4)
                     ORDER BY run_at, id LIMIT 1
                     FOR UPDATE SKIP LOCKED) l
                 UNION ALL
                 SELECT d.id, d.run_at FROM unnest($4::text[]) q (name) CROSS JOIN LATERAL (
                     SELECT id, run_at FROM jobs
                     WHERE state = 'queued' AND queue = q.name AND run_at <= $5
                     ORDER BY run_at, id LIMIT 1
                     FOR UPDATE SKIP LOCKED) d
             )
             UPDATE jobs SET state = 'running', worker = $1, lease_until = $2,
                 attempts = attempts + 1,
                 last_error = CASE WHEN state = 'running' THEN $3 ELSE last_error END
             WHERE id = (SELECT id FROM candidates ORDER BY run_at, id LIMIT 1)
             RETURNING ",
            job_columns!()
        ))
        .bind(worker)
        .bind(lease_end(now, lease))
        .bind(LEASE_EXPIRED)
        .bind(&queues)
        .bind(now)
        .fetch_optional(&self.pool)
        .await
        .map_err(backend)?;
        row.as_ref().map(job_row).transpose()
    }

    async fn extend_lease(&self, id: Id, worker: &str, until: DateTime<Utc>) -> StoreResult<bool> {
        let done = sqlx::query(
            "UPDATE jobs SET lease_until = $1 WHERE id = $2 AND state = 'running' AND worker = $3",
        )
        .bind(until)
        .bind(id)
        .bind(worker)
        .execute(&self.pool)
        .await
        .map_err(backend)?;
        Ok(done.rows_affected() == 1)
    }

    async fn complete(&self, id: Id, worker: &str) -> StoreResult<bool> {
        let done = sqlx::query(
            "UPDATE jobs SET state = 'done', lease_until = NULL, finished_at = $1
             WHERE id = $2 AND state = 'running' AND worker = $3",
        )
        .bind(Utc::now())
        .bind(id)
        .bind(worker)
        .execute(&self.pool)
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
        .bind(Utc::now())
        .bind(retry_at)
        .bind(error)
        .bind(id)
        .bind(worker)
        .execute(&self.pool)
        .await
        .map_err(backend)?;
        Ok(done.rows_affected() == 1)
    }

    async fn fail_permanently(&self, id: Id, worker: &str, error: &str) -> StoreResult<bool> {
        let done = sqlx::query(
            "UPDATE jobs SET state = 'dead', finished_at = $1, lease_until = NULL, last_error = $2
             WHERE id = $3 AND state = 'running' AND worker = $4",
        )
        .bind(Utc::now())
        .bind(error)
        .bind(id)
        .bind(worker)
        .execute(&self.pool)
        .await
        .map_err(backend)?;
        Ok(done.rows_affected() == 1)
    }

    async fn job(&self, id: Id) -> StoreResult<Option<Job>> {
        let row = sqlx::query(concat!(
            "SELECT ",
            job_columns!(),
            " FROM jobs WHERE id = $1"
        ))
        .bind(id)
        .fetch_optional(&self.pool)
        .await
        .map_err(backend)?;
        row.as_ref().map(job_row).transpose()
    }

    async fn job_counts(&self, queue: &str) -> StoreResult<JobCounts> {
        let rows: Vec<(String, i64)> =
            sqlx::query_as("SELECT state, count(*) FROM jobs WHERE queue = $1 GROUP BY state")
                .bind(queue)
                .fetch_all(&self.pool)
                .await
                .map_err(backend)?;
        job_rows::counts(rows)
    }

    async fn dead_jobs(&self, queue: &str, limit: u32) -> StoreResult<Vec<Job>> {
        sqlx::query(concat!(
            "SELECT ",
            job_columns!(),
            " FROM jobs WHERE state = 'dead' AND queue = $1
             ORDER BY finished_at DESC, id DESC LIMIT $2"
        ))
        .bind(queue)
        .bind(i64::from(limit))
        .fetch_all(&self.pool)
        .await
        .map_err(backend)?
        .iter()
        .map(job_row)
        .collect()
    }

    async fn requeue_dead(&self, id: Id, run_at: DateTime<Utc>) -> StoreResult<bool> {
        // A live job with the same dedupe key makes this a no-op rather than a conflict.
        let done = sqlx::query(
            "UPDATE jobs j SET state = 'queued', run_at = $1, finished_at = NULL,
                 max_attempts = least(j.attempts + j.max_attempts, 4294967295)
             WHERE j.id = $2 AND j.state = 'dead'
               AND NOT EXISTS (
                   SELECT 1 FROM jobs o
                   WHERE j.dedupe_key IS NOT NULL AND o.queue = j.queue
                     AND o.dedupe_key = j.dedupe_key AND o.state IN ('queued', 'running'))",
        )
        .bind(run_at)
        .bind(id)
        .execute(&self.pool)
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
            .bind(older_than)
            .execute(&self.pool)
            .await
            .map_err(backend)?;
        Ok(done.rows_affected())
    }
}
