//! The durable job queue: background work (feed polls, article fetches, webhook deliveries,
//! newsletter sends) kept in the database, so that a crash or a `kill -9` loses nothing.
//!
//! A job is *claimed* with a lease rather than inside a transaction: the claim is one short write
//! that marks the job running until `lease_until`; the work happens outside any transaction; a
//! second short write completes or fails it. A worker that dies simply stops renewing its lease,
//! and once the lease has expired the job is claimed again by whoever asks next. Work is
//! therefore *at least once*: handlers must be idempotent (or keep their own send log).
//!
//! [`JobStore`] is the storage port (implemented by both backends in `newsdesk-store`);
//! [`Worker`] runs handlers for some queues against it.

use std::time::Duration;

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::model::Id;
use crate::store::StoreResult;

mod worker;

pub use worker::{RunStats, Worker};

/// The attempts a job gets unless told otherwise.
pub const DEFAULT_MAX_ATTEMPTS: u32 = 10;

/// A job to enqueue.
#[derive(Debug, Clone, PartialEq)]
pub struct NewJob {
    pub queue: String,
    pub payload: serde_json::Value,
    /// Not claimed before this time.
    pub run_at: DateTime<Utc>,
    /// While a job of the same queue with this key is queued or running, enqueueing another is a
    /// no-op (`enqueue` returns `Ok(None)`). Once it is done or dead, the key is free again.
    pub dedupe_key: Option<String>,
    /// Attempts (claims) before the job is dead; at least 1.
    pub max_attempts: u32,
}

impl NewJob {
    /// A job to run now, with [`DEFAULT_MAX_ATTEMPTS`] attempts and no dedupe key.
    pub fn new(queue: &str, payload: serde_json::Value) -> Self {
        NewJob {
            queue: queue.to_owned(),
            payload,
            run_at: Utc::now(),
            dedupe_key: None,
            max_attempts: DEFAULT_MAX_ATTEMPTS,
        }
    }

    pub fn run_at(mut self, at: DateTime<Utc>) -> Self {
        self.run_at = at;
        self
    }

    pub fn dedupe_key(mut self, key: impl Into<String>) -> Self {
        self.dedupe_key = Some(key.into());
        self
    }

    pub fn max_attempts(mut self, n: u32) -> Self {
        self.max_attempts = n;
        self
    }
}

/// Where a job is in its life.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum JobState {
    /// Waiting for `run_at` (or for a worker).
    Queued,
    /// Claimed by a worker whose lease has not been released (it may have expired).
    Running,
    Done,
    /// Out of attempts, or failed permanently; kept for the operator.
    Dead,
}

impl JobState {
    pub fn as_str(self) -> &'static str {
        match self {
            JobState::Queued => "queued",
            JobState::Running => "running",
            JobState::Done => "done",
            JobState::Dead => "dead",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        Some(match s {
            "queued" => JobState::Queued,
            "running" => JobState::Running,
            "done" => JobState::Done,
            "dead" => JobState::Dead,
            _ => return None,
        })
    }
}

impl std::fmt::Display for JobState {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A stored job.
#[derive(Debug, Clone, PartialEq)]
pub struct Job {
    pub id: Id,
    pub queue: String,
    pub payload: serde_json::Value,
    /// Claims so far, including the current one: 1 during the first run.
    pub attempts: u32,
    pub max_attempts: u32,
    /// When the job was (or is) due.
    pub run_at: DateTime<Utc>,
    /// The error of the latest failed attempt (also set when a lease expired).
    pub last_error: Option<String>,
    pub created_at: DateTime<Utc>,
    pub state: JobState,
    pub dedupe_key: Option<String>,
}

/// How many jobs of a queue are in each state.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct JobCounts {
    /// Including those not yet due.
    pub queued: u64,
    /// Including those whose lease has expired but that nobody has reclaimed yet.
    pub running: u64,
    pub done: u64,
    pub dead: u64,
}

/// Storage for the job queue; part of [`crate::Store`].
///
/// `worker` names the lease holder. It should be unique per claim, not just per process, so that
/// a worker whose lease expired cannot complete a job that it (or a sibling task with the same
/// name) has since claimed again; [`Worker`] appends a claim counter to its id for this reason.
#[async_trait]
pub trait JobStore: Send + Sync {
    /// Enqueues; with a dedupe_key, returns Ok(None) if a job with that key (same queue) is
    /// queued or running.
    async fn enqueue(&self, job: &NewJob) -> StoreResult<Option<Id>>;

    /// Atomically claims the oldest due job (by `run_at`, then id) of these queues: queued with
    /// `run_at <= now`, or running whose lease expired by `now` (its worker died). Sets it
    /// running, `lease_until = now + lease`, `attempts += 1`. A job whose lease expired on its
    /// last attempt is marked dead instead of being claimed again.
    async fn claim(
        &self,
        queues: &[&str],
        worker: &str,
        lease: Duration,
        now: DateTime<Utc>,
    ) -> StoreResult<Option<Job>>;

    /// Moves the lease of a job this worker holds to `until`; false if the lease was lost.
    async fn extend_lease(&self, id: Id, worker: &str, until: DateTime<Utc>) -> StoreResult<bool>;

    /// Done. Only the worker holding the lease may complete (returns false if the lease was
    /// lost). A worker whose lease expired but that nobody has reclaimed still holds it.
    async fn complete(&self, id: Id, worker: &str) -> StoreResult<bool>;

    /// Failed this attempt: back to queued at `retry_at`, or Dead when attempts >= max_attempts.
    /// Keeps the error. False if the lease was lost.
    async fn fail(
        &self,
        id: Id,
        worker: &str,
        error: &str,
        retry_at: DateTime<Utc>,
    ) -> StoreResult<bool>;

    /// Failed for good (retrying cannot help): Dead now, whatever attempts remain. False if the
    /// lease was lost.
    async fn fail_permanently(&self, id: Id, worker: &str, error: &str) -> StoreResult<bool>;

    /// One job by id, in any state.
    async fn job(&self, id: Id) -> StoreResult<Option<Job>>;

    async fn job_counts(&self, queue: &str) -> StoreResult<JobCounts>;

    /// Dead jobs of a queue, most recently buried first.
    async fn dead_jobs(&self, queue: &str, limit: u32) -> StoreResult<Vec<Job>>;

    /// Gives a dead job `max_attempts` more attempts, due at `run_at`. False if the job is not
    /// dead, or if a live job with its dedupe key exists.
    async fn requeue_dead(&self, id: Id, run_at: DateTime<Utc>) -> StoreResult<bool>;

    /// Deletes done jobs finished before `older_than`; returns how many.
    async fn prune_done(&self, older_than: DateTime<Utc>) -> StoreResult<u64>;
}

/// Exponential back-off with jitter: `base * 2^(attempt-1)` scaled by a random factor in
/// [0.75, 1.25), capped at `cap`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Backoff {
    pub base: Duration,
    pub cap: Duration,
}

impl Default for Backoff {
    fn default() -> Self {
        Backoff {
            base: Duration::from_secs(30),
            cap: Duration::from_secs(6 * 3600),
        }
    }
}

impl Backoff {
    /// The delay before the retry that follows failed attempt number `attempt` (1-based).
    pub fn delay(&self, attempt: u32) -> Duration {
        let exp = attempt.saturating_sub(1).min(32);
        let raw = self
            .base
            .checked_mul(1u32 << exp.min(31))
            .unwrap_or(self.cap)
            .min(self.cap);
        // Spread retries so that jobs which failed together (a feed host down) do not all come
        // back in the same instant.
        let factor = 0.75 + 0.5 * unit_random();
        raw.mul_f64(factor).min(self.cap)
    }
}

/// [`Backoff::default`]'s delay: 1st retry ~30 s, doubling, capped at 6 h.
pub fn backoff(attempt: u32) -> Duration {
    Backoff::default().delay(attempt)
}

/// A number in [0, 1) that differs from call to call; good enough for jitter, no dependency.
fn unit_random() -> f64 {
    use std::hash::{BuildHasher as _, Hasher as _};
    let bits = std::collections::hash_map::RandomState::new()
        .build_hasher()
        .finish();
    (bits >> 11) as f64 / (1u64 << 53) as f64
}

/// Why a job's attempt failed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum JobError {
    /// Worth trying again later (a timeout, a 5xx, a database hiccup): retried with back-off.
    #[error("{0}")]
    Retry(String),
    /// Trying again cannot help (a malformed payload, a 404): the job goes straight to Dead.
    #[error("{0}")]
    Permanent(String),
}

impl JobError {
    /// A retryable failure, with the error's cause chain in the message.
    pub fn retry(err: impl std::fmt::Display) -> Self {
        JobError::Retry(err.to_string())
    }

    pub fn permanent(err: impl std::fmt::Display) -> Self {
        JobError::Permanent(err.to_string())
    }
}

impl From<crate::StoreError> for JobError {
    fn from(err: crate::StoreError) -> Self {
        JobError::Retry(error_chain(&err))
    }
}

/// `err: cause: cause...`, for messages kept in `last_error`.
pub fn error_chain(err: &(dyn std::error::Error + 'static)) -> String {
    let mut out = err.to_string();
    let mut source = err.source();
    while let Some(cause) = source {
        out.push_str(": ");
        out.push_str(&cause.to_string());
        source = cause.source();
    }
    out
}

/// Runs the jobs of one queue.
#[async_trait]
pub trait JobHandler: Send + Sync {
    async fn run(&self, job: &Job) -> Result<(), JobError>;
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_starts_near_30s_doubles_and_caps_at_6h() {
        for _ in 0..100 {
            let first = backoff(1);
            assert!(first >= Duration::from_millis(22_500) && first < Duration::from_secs(38));
            let third = backoff(3);
            assert!(third >= Duration::from_secs(90) && third < Duration::from_secs(150));
            assert!(backoff(20) <= Duration::from_secs(6 * 3600));
            assert!(backoff(u32::MAX) <= Duration::from_secs(6 * 3600));
            assert!(backoff(0) < Duration::from_secs(38));
        }
    }

    #[test]
    fn backoff_is_jittered() {
        let delays: std::collections::HashSet<Duration> = (0..20).map(|_| backoff(2)).collect();
        assert!(delays.len() > 1);
    }

    #[test]
    fn job_states_round_trip_through_their_names() {
        for s in [
            JobState::Queued,
            JobState::Running,
            JobState::Done,
            JobState::Dead,
        ] {
            assert_eq!(JobState::parse(s.as_str()), Some(s));
        }
        assert_eq!(JobState::parse("zombie"), None);
    }
}
