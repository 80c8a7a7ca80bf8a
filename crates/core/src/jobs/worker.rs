//! The worker loop: claims due jobs of the queues it has handlers for, runs up to `concurrency`
//! of them at once, keeps their leases alive while they run, and records the outcome.

use std::collections::HashMap;
use std::future::Future;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use chrono::{DateTime, Utc};
use tokio::task::JoinSet;

use super::{Backoff, Job, JobError, JobHandler, JobStore, error_chain};
use crate::store::StoreError;

type Clock = Arc<dyn Fn() -> DateTime<Utc> + Send + Sync>;

/// What a run did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct RunStats {
    pub completed: u64,
    /// Failed attempts sent back to the queue for a later retry.
    pub retried: u64,
    /// Jobs that ended dead (out of attempts, or a permanent failure).
    pub dead: u64,
    /// Jobs whose lease was lost before their outcome could be recorded (another worker took
    /// over after the lease expired).
    pub lost: u64,
}

impl RunStats {
    fn add(&mut self, outcome: Outcome) {
        match outcome {
            Outcome::Completed => self.completed += 1,
            Outcome::Retried => self.retried += 1,
            Outcome::Dead => self.dead += 1,
            Outcome::Lost => self.lost += 1,
        }
    }

    /// Jobs run to an outcome of any kind.
    pub fn total(&self) -> u64 {
        self.completed + self.retried + self.dead + self.lost
    }
}

#[derive(Debug, Clone, Copy)]
enum Outcome {
    Completed,
    Retried,
    Dead,
    Lost,
}

/// Runs job handlers against a [`JobStore`].
///
/// ```ignore
/// Worker::new(store, "ingest-1")
///     .handle("fetch", Arc::new(FetchArticle { .. }))
///     .concurrency(4)
///     .run_until(shutdown_signal())
///     .await?;
/// ```
#[derive(Clone)]
pub struct Worker {
    store: Arc<dyn JobStore>,
    id: String,
    handlers: HashMap<String, Arc<dyn JobHandler>>,
    concurrency: usize,
    lease: Duration,
    poll_interval: Duration,
    backoff: Backoff,
    clock: Clock,
    claims: Arc<AtomicU64>,
}

impl std::fmt::Debug for Worker {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let mut queues: Vec<&String> = self.handlers.keys().collect();
        queues.sort();
        f.debug_struct("Worker")
            .field("id", &self.id)
            .field("queues", &queues)
            .field("concurrency", &self.concurrency)
            .field("lease", &self.lease)
            .finish_non_exhaustive()
    }
}

impl Worker {
    /// A worker with no queues yet, concurrency 1, a 5-minute lease, polling every 200 ms.
    /// `id` should name this process (host and pid, say): it is shown on running jobs.
    pub fn new(store: Arc<dyn JobStore>, id: impl Into<String>) -> Self {
        Worker {
            store,
            id: id.into(),
            handlers: HashMap::new(),
            concurrency: 1,
            lease: Duration::from_secs(300),
            poll_interval: Duration::from_millis(200),
            backoff: Backoff::default(),
            clock: Arc::new(Utc::now),
            claims: Arc::new(AtomicU64::new(0)),
        }
    }

    /// Runs the jobs of `queue` with `handler`.
    pub fn handle(mut self, queue: &str, handler: Arc<dyn JobHandler>) -> Self {
        self.handlers.insert(queue.to_owned(), handler);
        self
    }

    /// How many jobs may run at once (at least 1).
    pub fn concurrency(mut self, n: usize) -> Self {
        self.concurrency = n.max(1);
        self
    }

    /// How long a claim lasts without renewal; renewed every third of it while a job runs, so
    /// a job is taken over about this long after its worker died.
    pub fn lease(mut self, lease: Duration) -> Self {
        self.lease = lease.max(Duration::from_millis(30));
        self
    }

    /// How long to sleep when no job is due.
    pub fn poll_interval(mut self, every: Duration) -> Self {
        self.poll_interval = every;
        self
    }

    pub fn backoff(mut self, backoff: Backoff) -> Self {
        self.backoff = backoff;
        self
    }

    /// The time source for claims, leases and retry times (tests move it forward).
    pub fn clock(mut self, clock: impl Fn() -> DateTime<Utc> + Send + Sync + 'static) -> Self {
        self.clock = Arc::new(clock);
        self
    }

    /// Processes jobs until no due job remains and none is running, then returns. For `--once`
    /// CLI modes and tests: retries scheduled for later are left queued.
    pub async fn drain(&self) -> Result<RunStats, StoreError> {
        self.run(None::<std::future::Pending<()>>).await
    }

    /// Same as [`Worker::drain`].
    pub async fn run_once(&self) -> Result<RunStats, StoreError> {
        self.drain().await
    }

    /// Polls and runs jobs until `shutdown` resolves, then stops claiming and waits for the jobs
    /// already running to finish. Store errors while polling are logged and retried, so this
    /// only returns when asked to. (Dropping the returned future instead abandons running jobs;
    /// their leases expire and other workers take them over.)
    pub async fn run_until(&self, shutdown: impl Future<Output = ()> + Send) -> RunStats {
        // `run` with a shutdown future never gives up on store errors, so this is always Ok.
        self.run(Some(shutdown)).await.unwrap_or_default()
    }

    async fn run<F: Future<Output = ()> + Send>(
        &self,
        shutdown: Option<F>,
    ) -> Result<RunStats, StoreError> {
        let draining = shutdown.is_none();
        let mut queues: Vec<&str> = self.handlers.keys().map(String::as_str).collect();
        queues.sort_unstable();
        let mut stats = RunStats::default();
        let mut running: JoinSet<Outcome> = JoinSet::new();
        let shutdown = async move {
            match shutdown {
                Some(f) => f.await,
                None => std::future::pending().await,
            }
        };
        tokio::pin!(shutdown);
        let mut stopping = false;
        let mut errors_in_a_row: u32 = 0;
        loop {
            // Fill every free slot with a due job.
            let mut idle = queues.is_empty();
            while !stopping && !idle && running.len() < self.concurrency {
                match self.claim_one(&queues).await {
                    Ok(Some((job, holder))) => {
                        errors_in_a_row = 0;
                        let this = self.clone();
                        running.spawn(async move { this.process(job, holder).await });
                    }
                    Ok(None) => {
                        errors_in_a_row = 0;
                        idle = true;
                    }
                    Err(err) => {
                        if draining {
                            // Let the jobs already claimed finish before reporting.
                            while let Some(done) = running.join_next().await {
                                stats.add(joined(done));
                            }
                            return Err(err);
                        }
                        errors_in_a_row = errors_in_a_row.saturating_add(1);
                        tracing::warn!(
                            worker = %self.id,
                            error = %error_chain(&err),
                            "cannot claim a job; retrying"
                        );
                        idle = true;
                    }
                }
            }
            if draining && idle && running.is_empty() {
                return Ok(stats);
            }
            if stopping && running.is_empty() {
                return Ok(stats);
            }
            // Wait for a slot to free up, for the next poll, or for shutdown.
            let pause = if errors_in_a_row > 0 {
                (self.poll_interval * errors_in_a_row.min(25)).max(Duration::from_millis(200))
            } else {
                self.poll_interval
            };
            let full = running.len() >= self.concurrency;
            tokio::select! {
                Some(done) = running.join_next(), if !running.is_empty() => {
                    stats.add(joined(done));
                }
                () = tokio::time::sleep(pause), if !full && !draining && !stopping => {}
                () = &mut shutdown, if !stopping => {
                    stopping = true;
                }
            }
        }
    }

    async fn claim_one(&self, queues: &[&str]) -> Result<Option<(Job, String)>, StoreError> {
        let n = self.claims.fetch_add(1, Ordering::Relaxed);
        // A holder name per claim: see `JobStore`'s note on `worker`.
        let holder = format!("{}#{n}", self.id);
        let job = self
            .store
            .claim(queues, &holder, self.lease, (self.clock)())
            .await?;
        Ok(job.map(|job| (job, holder)))
    }

    /// Runs one claimed job to its outcome, renewing the lease while the handler works.
    async fn process(&self, job: Job, holder: String) -> Outcome {
        let Some(handler) = self.handlers.get(&job.queue).cloned() else {
            // Cannot happen: only queues with handlers are claimed. Hand the job back.
            let _ = self
                .store
                .fail(job.id, &holder, "no handler for this queue", (self.clock)())
                .await;
            return Outcome::Retried;
        };
        let shared = Arc::new(job);
        let task_job = shared.clone();
        // A task of its own, so that a panicking handler is a failed attempt, not a dead worker.
        // Aborted if this future is dropped (the worker's run was abandoned), so that a handler
        // never outlives the lease renewal that protects it.
        let mut task = AbortOnDrop(tokio::spawn(async move { handler.run(&task_job).await }));
        let renew_every = self.lease / 3;
        let result = loop {
            tokio::select! {
                res = &mut task.0 => break res,
                () = tokio::time::sleep(renew_every) => {
                    let until = later((self.clock)(), self.lease);
                    match self.store.extend_lease(shared.id, &holder, until).await {
                        Ok(true) => {}
                        Ok(false) => tracing::warn!(
                            job = shared.id, queue = %shared.queue, worker = %holder,
                            "lease lost while the job was running; its outcome will be ignored"
                        ),
                        Err(err) => tracing::warn!(
                            job = shared.id, worker = %holder, error = %error_chain(&err),
                            "cannot extend lease"
                        ),
                    }
                }
            }
        };
        let job = &*shared;
        let result = match result {
            Ok(r) => r,
            Err(join) if join.is_panic() => Err(JobError::Retry("the handler panicked".into())),
            Err(_) => Err(JobError::Retry("the handler was cancelled".into())),
        };
        // Recording the outcome is retried a few times: giving up would leave the job to be run
        // again once its lease expires, which is safe but wasteful.
        if result.is_err() {
            crate::nodes::count(&crate::nodes::COUNTERS.jobs_failed, 1);
        }
        let mut tries = 0;
        loop {
            let recorded = match &result {
                Ok(()) => self
                    .store
                    .complete(job.id, &holder)
                    .await
                    .map(|ok| ok.then_some(Outcome::Completed)),
                Err(JobError::Retry(msg)) => {
                    let out_of_attempts = job.attempts >= job.max_attempts;
                    let retry_at = later((self.clock)(), self.backoff.delay(job.attempts));
                    self.store
                        .fail(job.id, &holder, msg, retry_at)
                        .await
                        .map(|ok| {
                            ok.then_some(if out_of_attempts {
                                Outcome::Dead
                            } else {
                                Outcome::Retried
                            })
                        })
                }
                Err(JobError::Permanent(msg)) => self
                    .store
                    .fail_permanently(job.id, &holder, msg)
                    .await
                    .map(|ok| ok.then_some(Outcome::Dead)),
            };
            match recorded {
                Ok(Some(outcome)) => {
                    log_outcome(job, &holder, outcome, &result);
                    return outcome;
                }
                Ok(None) => {
                    tracing::warn!(
                        job = job.id, queue = %job.queue, worker = %holder,
                        "lease lost before the outcome was recorded; another worker owns the job"
                    );
                    return Outcome::Lost;
                }
                Err(err) if tries < 3 => {
                    tries += 1;
                    tracing::warn!(
                        job = job.id, worker = %holder, error = %error_chain(&err),
                        "cannot record the job's outcome; trying again"
                    );
                    tokio::time::sleep(Duration::from_millis(250 * tries)).await;
                }
                Err(err) => {
                    tracing::error!(
                        job = job.id, worker = %holder, error = %error_chain(&err),
                        "cannot record the job's outcome; it will run again after its lease"
                    );
                    return Outcome::Lost;
                }
            }
        }
    }
}

fn log_outcome(job: &Job, holder: &str, outcome: Outcome, result: &Result<(), JobError>) {
    match (outcome, result) {
        (Outcome::Completed, _) => {
            tracing::debug!(job = job.id, queue = %job.queue, worker = %holder, "job done");
        }
        (_, Err(err)) => tracing::warn!(
            job = job.id, queue = %job.queue, worker = %holder, attempt = job.attempts,
            dead = matches!(outcome, Outcome::Dead), error = %err, "job failed"
        ),
        _ => {}
    }
}

struct AbortOnDrop<T>(tokio::task::JoinHandle<T>);

impl<T> Drop for AbortOnDrop<T> {
    fn drop(&mut self) {
        self.0.abort();
    }
}

fn joined(done: Result<Outcome, tokio::task::JoinError>) -> Outcome {
    // `process` catches the handler's panics; if it panicked itself, the job's lease will
    // expire and the job will run again.
    done.unwrap_or(Outcome::Lost)
}

/// `now + d`, saturating instead of panicking.
pub(crate) fn later(now: DateTime<Utc>, d: Duration) -> DateTime<Utc> {
    chrono::Duration::from_std(d)
        .ok()
        .and_then(|d| now.checked_add_signed(d))
        .unwrap_or(DateTime::<Utc>::MAX_UTC)
}
