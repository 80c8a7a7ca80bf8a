//! [`newsdesk_core::jobs::JobStore`] for [`SqliteStore`].
//!
//! Every write goes through the one writer connection, so a claim cannot race another claim of
//! this process; `BEGIN IMMEDIATE` takes the database's write lock up front, so it cannot race a
//! second process (the CLI while `serve` runs) either.

use std::time::Duration;

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use newsdesk_core::jobs::{Job, JobCounts, JobStore, NewJob};
use newsdesk_core::{Id, StoreResult};
use sqlx::Row as _;
use sqlx::sqlite::SqliteRow;

use super::{SqliteStore, micros};
use crate::job_rows::{self, JobRow, LEASE_EXPIRED, LEASE_EXPIRED_LAST};
use crate::rows::{backend, micros_to_time};

/// The columns `job_row` reads.
macro_rules! job_columns {
    () => {
        "id, queue, payload, state, attempts, max_attempts, run_at, last_error, created_at, dedupe_key"
    };
}

fn job_row(r: &SqliteRow) -> StoreResult<Job> {
    let time = |c: &str| -> StoreResult<DateTime<Utc>> {
        micros_to_time(r.try_get(c).map_err(backend)?, c)
    };
    JobRow {
        id: r.try_get("id").map_err(backend)?,
        queue: r.try_get("queue").map_err(backend)?,
        payload: r.try_get("payload").map_err(backend)?,
        state: r.try_get("state").map_err(backend)?,
        attempts: r.try_get("attempts").map_err(backend)?,
        max_attempts: r.try_get("max_attempts").map_err(backend)?,
        run_at: time("run_at")?,
        last_error: r.try_get("last_error").map_err(backend)?,
        created_at: time("created_at")?,
        dedupe_key: r.try_get("dedupe_key").map_err(backend)?,
    }
    .into_job()
}

fn queue_list(queues: &[&str]) -> String {
    serde_json::Value::from(queues.to_vec()).to_string()
}

fn lease_end(now: DateTime<Utc>, lease: Duration) -> i64 {
    let lease = i64::try_from(lease.as_micros()).unwrap_or(i64::MAX);
    micros(now).saturating_add(lease)
}

#[async_trait]
impl JobStore for SqliteStore {
    async fn enqueue(&self, job: &NewJob) -> StoreResult<Option<Id>> {
        // The partial unique index on (queue, dedupe_key) over live jobs is the only
        // uniqueness rule a caller can break: a conflict means "already queued".
        let id: Option<Id> = sqlx::query_scalar(
            "INSERT INTO jobs (queue, payload, max_attempts, run_at, dedupe_key, created_at)
             VALUES (?, ?, ?, ?, ?, ?)
             ON CONFLICT DO NOTHING
             RETURNING id",
        )
        .bind(&job.queue)
        .bind(job_rows::payload_text(&job.payload))
        .bind(job_rows::max_attempts(job.max_attempts))
        .bind(micros(job.run_at))
        .bind(job.dedupe_key.as_deref())
        .bind(micros(Utc::now()))
        .fetch_optional(&self.writer)
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
        let queues = queue_list(queues);
        let now_us = micros(now);
        let mut tx = self
            .writer
            .begin_with("BEGIN IMMEDIATE")
            .await
            .map_err(backend)?;
        // A job whose worker died on its last attempt is not run again: it may be what kills
        // the workers.
        sqlx::query(
            "UPDATE jobs SET state = 'dead', finished_at = ?1, lease_until = NULL, last_error = ?2
             WHERE state = 'running' AND lease_until <= ?1 AND attempts >= max_attempts
               AND queue IN (SELECT value FROM json_each(?3))",
        )
        .bind(now_us)
        .bind(LEASE_EXPIRED_LAST)
        .bind(&queues)
        .execute(&mut *tx)
        .await
        .map_err(backend)?;
        let row = sqlx::query(concat!(
            "UPDATE jobs SET state = 'running', worker = ?1, lease_until = ?2,
                 attempts = attempts + 1,
                 last_error = CASE WHEN state = 'running' THEN ?3 ELSE last_error END
             WHERE id = (
                 SELECT c.id FROM jobs c
                 WHERE c.id IN (
                     -- Per queue, the head of the due index: a backlog costs nothing...
                     SELECT (SELECT id FROM jobs
                             WHERE state = 'queued' AND queue = q.value AND run_at <= ?5
                             ORDER BY run_at, id LIMIT 1)
                     FROM json_each(?4) q
                     UNION ALL
                     -- ...and expired leases are few.
                     SELECT id FROM jobs
                     WHERE state = 'running' AND lease_until <= ?5
                       AND queue IN (SELECT value FROM json_each(?4)))
                 ORDER BY c.run_at, c.id
                 LIMIT 1)
             RETURNING ",
            job_columns!()
        ))
        .bind(worker)
        .bind(lease_end(now, lease))
        .bind(LEASE_EXPIRED)
        .bind(&queues)
        .bind(now_us)
        .fetch_optional(&mut *tx)
        .await
        .map_err(backend)?;
        tx.commit().await.map_err(backend)?;
        row.as_ref().map(job_row).transpose()
    }

    async fn extend_lease(&self, id: Id, worker: &str, until: DateTime<Utc>) -> StoreResult<bool> {
        let done = sqlx::query(
            "UPDATE jobs SET lease_until = ? WHERE id = ? AND state = 'running' AND worker = ?",
        )
        .bind(micros(until))
        .bind(id)
        .bind(worker)
        .execute(&self.writer)
        .await
        .map_err(backend)?;
        Ok(done.rows_affected() == 1)
    }

    async fn complete(&self, id: Id, worker: &str) -> StoreResult<bool> {
        let done = sqlx::query(
            "UPDATE jobs SET state = 'done', lease_until = NULL, finished_at = ?
             WHERE id = ? AND state = 'running' AND worker = ?",
        )
        .bind(micros(Utc::now()))
        .bind(id)
        .bind(worker)
        .execute(&self.writer)
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
                 finished_at = CASE WHEN attempts >= max_attempts THEN ?1 ELSE NULL END,
                 run_at = CASE WHEN attempts >= max_attempts THEN run_at ELSE ?2 END,
                 lease_until = NULL, last_error = ?3
             WHERE id = ?4 AND state = 'running' AND worker = ?5",
        )
        .bind(micros(Utc::now()))
        .bind(micros(retry_at))
        .bind(error)
        .bind(id)
        .bind(worker)
        .execute(&self.writer)
        .await
        .map_err(backend)?;
        Ok(done.rows_affected() == 1)
    }

    async fn fail_permanently(&self, id: Id, worker: &str, error: &str) -> StoreResult<bool> {
        let done = sqlx::query(
            "UPDATE jobs SET state = 'dead', finished_at = ?, lease_until = NULL, last_error = ?
             WHERE id = ? AND state = 'running' AND worker = ?",
        )
        .bind(micros(Utc::now()))
        .bind(error)
        .bind(id)
        .bind(worker)
        .execute(&self.writer)
        .await
        .map_err(backend)?;
        Ok(done.rows_affected() == 1)
    }

    async fn job(&self, id: Id) -> StoreResult<Option<Job>> {
        let row = sqlx::query(concat!(
            "SELECT ",
            job_columns!(),
            " FROM jobs WHERE id = ?"
        ))
        .bind(id)
        .fetch_optional(&self.readers)
        .await
        .map_err(backend)?;
        row.as_ref().map(job_row).transpose()
    }

    async fn job_counts(&self, queue: &str) -> StoreResult<JobCounts> {
        let rows: Vec<(String, i64)> =
            sqlx::query_as("SELECT state, count(*) FROM jobs WHERE queue = ? GROUP BY state")
                .bind(queue)
                .fetch_all(&self.readers)
                .await
                .map_err(backend)?;
        job_rows::counts(rows)
    }

    async fn dead_jobs(&self, queue: &str, limit: u32) -> StoreResult<Vec<Job>> {
        sqlx::query(concat!(
            "SELECT ",
            job_columns!(),
            " FROM jobs WHERE state = 'dead' AND queue = ?
             ORDER BY finished_at DESC, id DESC LIMIT ?"
        ))
        .bind(queue)
        .bind(i64::from(limit))
        .fetch_all(&self.readers)
        .await
        .map_err(backend)?
        .iter()
        .map(job_row)
        .collect()
    }

    async fn requeue_dead(&self, id: Id, run_at: DateTime<Utc>) -> StoreResult<bool> {
        let done = sqlx::query(
            "UPDATE OR IGNORE jobs SET state = 'queued', run_at = ?, finished_at = NULL,
                 max_attempts = min(attempts + max_attempts, 4294967295)
             WHERE id = ? AND state = 'dead'",
        )
        .bind(micros(run_at))
        .bind(id)
        .execute(&self.writer)
        .await
        .map_err(backend)?;
        Ok(done.rows_affected() == 1)
    }

    async fn prune_done(&self, older_than: DateTime<Utc>) -> StoreResult<u64> {
        let done = sqlx::query("DELETE FROM jobs WHERE state = 'done' AND finished_at < ?")
            .bind(micros(older_than))
            .execute(&self.writer)
            .await
            .map_err(backend)?;
        Ok(done.rows_affected())
    }
}
