//! The job queue's rows, shared by both backends: what each reads out of `jobs`, checked into
//! [`newsdesk_core::jobs::Job`] (a value that does not fit becomes `StoreError::Corrupt`).

use newsdesk_core::jobs::{Job, JobCounts, JobState};
use newsdesk_core::{Id, StoreError, StoreResult};

use crate::types::{JsonText, Time};

/// Error text kept on a job whose worker stopped renewing its lease.
pub(crate) const LEASE_EXPIRED: &str = "lease expired: the worker stopped before finishing";
/// Error text kept on a job that was claimed for the last time and never finished.
pub(crate) const LEASE_EXPIRED_LAST: &str =
    "lease expired on the last attempt: the worker stopped before finishing";

#[derive(sqlx::FromRow)]
pub(crate) struct JobRow {
    pub id: Id,
    pub queue: String,
    pub payload: JsonText,
    pub state: String,
    pub attempts: i64,
    pub max_attempts: i64,
    pub run_at: Time,
    pub last_error: Option<String>,
    pub created_at: Time,
    pub dedupe_key: Option<String>,
}

impl JobRow {
    pub fn into_job(self) -> StoreResult<Job> {
        let id = self.id;
        let corrupt = |what: &str| StoreError::Corrupt(format!("job {id}: {what}"));
        Ok(Job {
            id,
            payload: serde_json::from_str(&self.payload.0)
                .map_err(|e| corrupt(&format!("payload is not JSON: {e}")))?,
            state: JobState::parse(&self.state)
                .ok_or_else(|| corrupt(&format!("unknown state {:?}", self.state)))?,
            attempts: u32::try_from(self.attempts)
                .map_err(|_| corrupt(&format!("attempts {}", self.attempts)))?,
            max_attempts: u32::try_from(self.max_attempts)
                .map_err(|_| corrupt(&format!("max_attempts {}", self.max_attempts)))?,
            queue: self.queue,
            run_at: self.run_at.0,
            last_error: self.last_error,
            created_at: self.created_at.0,
            dedupe_key: self.dedupe_key,
        })
    }
}

/// The counts from `SELECT state, count(*) ... GROUP BY state`.
pub(crate) fn counts(rows: impl IntoIterator<Item = (String, i64)>) -> StoreResult<JobCounts> {
    let mut counts = JobCounts::default();
    for (state, n) in rows {
        let n = u64::try_from(n).map_err(|_| StoreError::Corrupt(format!("negative count {n}")))?;
        match JobState::parse(&state) {
            Some(JobState::Queued) => counts.queued = n,
            Some(JobState::Running) => counts.running = n,
            Some(JobState::Done) => counts.done = n,
            Some(JobState::Dead) => counts.dead = n,
            None => return Err(StoreError::Corrupt(format!("unknown job state {state:?}"))),
        }
    }
    Ok(counts)
}

/// At least one attempt, whatever was asked.
pub(crate) fn max_attempts(n: u32) -> i64 {
    i64::from(n.max(1))
}

pub(crate) fn payload_text(payload: &serde_json::Value) -> String {
    // Serialising a `Value` cannot fail: its keys are strings.
    serde_json::to_string(payload).unwrap_or_else(|_| "null".into())
}
