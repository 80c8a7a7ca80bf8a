//! The job worker against the real SQLite store: outcomes, back-off, crashes, leases, shutdown.

#![allow(clippy::unwrap_used)]

use std::collections::HashMap;
use std::sync::atomic::{AtomicI64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration as StdDuration;

use async_trait::async_trait;
use chrono::{DateTime, Duration, Utc};
use newsdesk_core::Store;
use newsdesk_core::jobs::{Job, JobCounts, JobError, JobHandler, JobState, NewJob, Worker};
use serde_json::json;

struct Db {
    _dir: tempfile::TempDir,
    store: Arc<dyn Store>,
}

async fn db() -> Db {
    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite://{}", dir.path().join("jobs.db").display());
    let store = newsdesk_store::open(&url).await.unwrap();
    Db { _dir: dir, store }
}

/// A clock the test moves by hand.
#[derive(Clone)]
struct Clock(Arc<AtomicI64>);

impl Clock {
    fn new() -> Self {
        Clock(Arc::new(AtomicI64::new(Utc::now().timestamp_micros())))
    }
    fn now(&self) -> DateTime<Utc> {
        DateTime::from_timestamp_micros(self.0.load(Ordering::SeqCst)).unwrap()
    }
    fn advance(&self, by: Duration) {
        self.0
            .fetch_add(by.num_microseconds().unwrap(), Ordering::SeqCst);
    }
    fn install(&self, worker: Worker) -> Worker {
        let me = self.clone();
        worker.clock(move || me.now())
    }
}

/// Does what `script` says for each attempt of a job (by payload), then succeeds; records runs.
#[derive(Default)]
struct Scripted {
    script: HashMap<String, Vec<Result<(), JobError>>>,
    runs: Mutex<Vec<(String, u32)>>,
    delay: Option<StdDuration>,
    in_flight: AtomicUsize,
    max_in_flight: AtomicUsize,
}

impl Scripted {
    fn with(mut self, key: &str, outcomes: Vec<Result<(), JobError>>) -> Self {
        self.script.insert(key.into(), outcomes);
        self
    }
    fn runs_of(&self, key: &str) -> usize {
        self.runs
            .lock()
            .unwrap()
            .iter()
            .filter(|(k, _)| k == key)
            .count()
    }
    fn total_runs(&self) -> usize {
        self.runs.lock().unwrap().len()
    }
}

#[async_trait]
impl JobHandler for Scripted {
    async fn run(&self, job: &Job) -> Result<(), JobError> {
        let key = job.payload.as_str().unwrap_or_default().to_owned();
        let now = self.in_flight.fetch_add(1, Ordering::SeqCst) + 1;
        self.max_in_flight.fetch_max(now, Ordering::SeqCst);
        if let Some(delay) = self.delay {
            tokio::time::sleep(delay).await;
        }
        self.in_flight.fetch_sub(1, Ordering::SeqCst);
        self.runs.lock().unwrap().push((key.clone(), job.attempts));
        let attempt = job.attempts as usize;
        match self.script.get(&key).and_then(|s| s.get(attempt - 1)) {
            Some(outcome) => outcome.clone(),
            None => Ok(()),
        }
    }
}

async fn enqueue(store: &dyn Store, queue: &str, key: &str, at: DateTime<Utc>) -> i64 {
    store
        .enqueue(&NewJob::new(queue, json!(key)).run_at(at))
        .await
        .unwrap()
        .unwrap()
}

#[tokio::test]
async fn handler_success_completes_every_due_job() {
    let db = db().await;
    let clock = Clock::new();
    let handler = Arc::new(Scripted::default());
    for n in 0..5 {
        enqueue(&*db.store, "mail", &format!("j{n}"), clock.now()).await;
    }
    // Not due yet, and another queue: both left alone.
    enqueue(
        &*db.store,
        "mail",
        "later",
        clock.now() + Duration::hours(1),
    )
    .await;
    enqueue(&*db.store, "other", "x", clock.now()).await;
    let worker = clock.install(
        Worker::new(db.store.clone(), "test")
            .handle("mail", handler.clone())
            .concurrency(2),
    );
    let stats = worker.drain().await.unwrap();
    assert_eq!(stats.completed, 5);
    assert_eq!(stats.total(), 5);
    assert_eq!(handler.total_runs(), 5);
    assert_eq!(
        db.store.job_counts("mail").await.unwrap(),
        JobCounts {
            queued: 1,
            done: 5,
            ..JobCounts::default()
        }
    );
    assert_eq!(db.store.job_counts("other").await.unwrap().queued, 1);
    // Nothing more is due: a second pass does nothing.
    assert_eq!(worker.run_once().await.unwrap().total(), 0);
}

#[tokio::test]
async fn retryable_failure_is_retried_after_backoff() {
    let db = db().await;
    let clock = Clock::new();
    let handler = Arc::new(Scripted::default().with(
        "flaky",
        vec![Err(JobError::Retry("503 from upstream".into()))],
    ));
    let id = enqueue(&*db.store, "fetch", "flaky", clock.now()).await;
    let worker =
        clock.install(Worker::new(db.store.clone(), "test").handle("fetch", handler.clone()));

    let stats = worker.drain().await.unwrap();
    assert_eq!((stats.retried, stats.completed), (1, 0));
    let job = db.store.job(id).await.unwrap().unwrap();
    assert_eq!(job.state, JobState::Queued);
    assert_eq!(job.last_error.as_deref(), Some("503 from upstream"));
    // The first retry comes about 30 s later (with jitter).
    let wait = job.run_at - clock.now();
    assert!(
        wait >= Duration::milliseconds(22_500) && wait <= Duration::milliseconds(37_500),
        "{wait}"
    );

    // Not before its time...
    clock.advance(Duration::seconds(20));
    assert_eq!(worker.drain().await.unwrap().total(), 0);
    // ...but after it.
    clock.advance(Duration::seconds(20));
    let stats = worker.drain().await.unwrap();
    assert_eq!(stats.completed, 1);
    let job = db.store.job(id).await.unwrap().unwrap();
    assert_eq!((job.state, job.attempts), (JobState::Done, 2));
    assert_eq!(handler.runs_of("flaky"), 2);
}

#[tokio::test]
async fn retries_stop_after_max_attempts_and_the_job_is_dead() {
    let db = db().await;
    let clock = Clock::new();
    let fail = || Err(JobError::Retry("timeout".into()));
    let handler = Arc::new(Scripted::default().with("doomed", vec![fail(), fail(), fail()]));
    let id = db
        .store
        .enqueue(
            &NewJob::new("fetch", json!("doomed"))
                .run_at(clock.now())
                .max_attempts(3),
        )
        .await
        .unwrap()
        .unwrap();
    let worker =
        clock.install(Worker::new(db.store.clone(), "test").handle("fetch", handler.clone()));
    let mut outcomes = Vec::new();
    for _ in 0..5 {
        let stats = worker.drain().await.unwrap();
        outcomes.push((stats.retried, stats.dead));
        clock.advance(Duration::hours(7));
    }
    assert_eq!(outcomes, vec![(1, 0), (1, 0), (0, 1), (0, 0), (0, 0)]);
    assert_eq!(handler.runs_of("doomed"), 3);
    let dead = db.store.dead_jobs("fetch", 10).await.unwrap();
    assert_eq!(dead.len(), 1);
    assert_eq!((dead[0].id, dead[0].attempts), (id, 3));
    assert_eq!(dead[0].last_error.as_deref(), Some("timeout"));
}

#[tokio::test]
async fn permanent_failure_goes_straight_to_dead() {
    let db = db().await;
    let clock = Clock::new();
    let handler = Arc::new(Scripted::default().with(
        "bad",
        vec![Err(JobError::Permanent("payload has no url".into()))],
    ));
    let id = enqueue(&*db.store, "fetch", "bad", clock.now()).await;
    let worker =
        clock.install(Worker::new(db.store.clone(), "test").handle("fetch", handler.clone()));
    let stats = worker.drain().await.unwrap();
    assert_eq!((stats.dead, stats.retried, stats.completed), (1, 0, 0));
    let job = db.store.job(id).await.unwrap().unwrap();
    assert_eq!((job.state, job.attempts), (JobState::Dead, 1));
    assert_eq!(job.last_error.as_deref(), Some("payload has no url"));
    clock.advance(Duration::days(1));
    assert_eq!(worker.drain().await.unwrap().total(), 0);
    assert_eq!(handler.runs_of("bad"), 1);
}

#[tokio::test]
async fn crashed_job_is_rerun_exactly_once_after_its_lease_expires() {
    let db = db().await;
    let clock = Clock::new();
    let id = enqueue(&*db.store, "mail", "send", clock.now()).await;
    let other = enqueue(&*db.store, "mail", "untouched", clock.now()).await;
    // A worker claims the job and dies (kill -9): no completion, no failure, no renewal.
    let lease = StdDuration::from_secs(60);
    let claimed = db
        .store
        .claim(&["mail"], "crashed#0", lease, clock.now())
        .await
        .unwrap()
        .unwrap();
    assert_eq!(claimed.id, id);

    let handler = Arc::new(Scripted::default());
    let worker = clock.install(
        Worker::new(db.store.clone(), "restarted")
            .handle("mail", handler.clone())
            .lease(lease),
    );
    // Before the lease ends, only the other job runs.
    let stats = worker.drain().await.unwrap();
    assert_eq!(stats.completed, 1);
    assert_eq!(
        (handler.runs_of("send"), handler.runs_of("untouched")),
        (0, 1)
    );
    assert_eq!(
        db.store.job(other).await.unwrap().unwrap().state,
        JobState::Done
    );

    clock.advance(Duration::seconds(61));
    let stats = worker.drain().await.unwrap();
    assert_eq!(stats.completed, 1);
    assert_eq!(handler.runs_of("send"), 1);
    let job = db.store.job(id).await.unwrap().unwrap();
    assert_eq!((job.state, job.attempts), (JobState::Done, 2));
    // The crashed worker, were it to come back, cannot complete it again...
    assert!(!db.store.complete(id, "crashed#0").await.unwrap());
    // ...and the job never runs a third time.
    clock.advance(Duration::days(1));
    assert_eq!(worker.drain().await.unwrap().total(), 0);
    assert_eq!(handler.runs_of("send"), 1);
}

#[tokio::test]
async fn handler_panic_is_a_retryable_failure() {
    struct Panics;
    #[async_trait]
    impl JobHandler for Panics {
        async fn run(&self, _job: &Job) -> Result<(), JobError> {
            panic!("handler bug");
        }
    }
    let db = db().await;
    let clock = Clock::new();
    let id = enqueue(&*db.store, "q", "p", clock.now()).await;
    let worker = clock.install(Worker::new(db.store.clone(), "test").handle("q", Arc::new(Panics)));
    let stats = worker.drain().await.unwrap();
    assert_eq!(stats.retried, 1);
    let job = db.store.job(id).await.unwrap().unwrap();
    assert_eq!(job.state, JobState::Queued);
    assert!(job.last_error.is_some_and(|e| e.contains("panicked")));
}

#[tokio::test]
async fn concurrency_bounds_the_jobs_running_at_once() {
    let db = db().await;
    let clock = Clock::new();
    let handler = Arc::new(Scripted {
        delay: Some(StdDuration::from_millis(100)),
        ..Scripted::default()
    });
    for n in 0..12 {
        enqueue(&*db.store, "q", &format!("j{n}"), clock.now()).await;
    }
    let worker = clock.install(
        Worker::new(db.store.clone(), "test")
            .handle("q", handler.clone())
            .concurrency(4),
    );
    let stats = worker.drain().await.unwrap();
    assert_eq!(stats.completed, 12);
    // Counted, not timed: more than one ran at once (the jobs overlapped), never more than 4.
    let max = handler.max_in_flight.load(Ordering::SeqCst);
    assert!((2..=4).contains(&max), "max in flight {max}");
    assert_eq!(handler.total_runs(), 12);
}

#[tokio::test]
async fn long_job_keeps_its_lease_while_it_runs() {
    let db = db().await;
    let handler = Arc::new(Scripted {
        delay: Some(StdDuration::from_millis(900)),
        ..Scripted::default()
    });
    let id = enqueue(&*db.store, "q", "slow", Utc::now()).await;
    // Real time: a 300 ms lease, renewed every 100 ms, outlives the 900 ms job.
    let worker = Worker::new(db.store.clone(), "slow-worker")
        .handle("q", handler.clone())
        .lease(StdDuration::from_millis(300));
    let run = tokio::spawn(async move { worker.drain().await });
    let mut stolen = 0;
    for _ in 0..8 {
        tokio::time::sleep(StdDuration::from_millis(100)).await;
        if let Some(job) = db
            .store
            .claim(&["q"], "thief", StdDuration::from_secs(60), Utc::now())
            .await
            .unwrap()
        {
            stolen += 1;
            assert!(db.store.complete(job.id, "thief").await.unwrap());
        }
    }
    let stats = run.await.unwrap().unwrap();
    assert_eq!(stolen, 0, "the lease expired while the job was running");
    assert_eq!(stats.completed, 1);
    let job = db.store.job(id).await.unwrap().unwrap();
    assert_eq!((job.state, job.attempts), (JobState::Done, 1));
}

#[tokio::test]
async fn run_until_processes_jobs_as_they_arrive_and_stops_on_shutdown() {
    let db = db().await;
    let handler = Arc::new(Scripted::default());
    let worker = Worker::new(db.store.clone(), "daemon")
        .handle("q", handler.clone())
        .concurrency(3)
        .poll_interval(StdDuration::from_millis(20));
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let run = tokio::spawn(async move {
        worker
            .run_until(async {
                let _ = stopped.await;
            })
            .await
    });
    for n in 0..10 {
        enqueue(&*db.store, "q", &format!("j{n}"), Utc::now()).await;
        tokio::time::sleep(StdDuration::from_millis(5)).await;
    }
    let deadline = std::time::Instant::now() + StdDuration::from_secs(10);
    while db.store.job_counts("q").await.unwrap().done < 10 {
        assert!(std::time::Instant::now() < deadline, "jobs not processed");
        tokio::time::sleep(StdDuration::from_millis(20)).await;
    }
    stop.send(()).unwrap();
    let stats = tokio::time::timeout(StdDuration::from_secs(5), run)
        .await
        .expect("worker stops on shutdown")
        .unwrap();
    assert_eq!(stats.completed, 10);
    assert_eq!(handler.total_runs(), 10);
}

#[tokio::test]
async fn shutdown_waits_for_running_jobs_to_finish() {
    let db = db().await;
    let handler = Arc::new(Scripted {
        delay: Some(StdDuration::from_millis(300)),
        ..Scripted::default()
    });
    let id = enqueue(&*db.store, "q", "j", Utc::now()).await;
    let worker = Worker::new(db.store.clone(), "daemon")
        .handle("q", handler.clone())
        .poll_interval(StdDuration::from_millis(10));
    let stats = worker
        .run_until(tokio::time::sleep(StdDuration::from_millis(100)))
        .await;
    assert_eq!(stats.completed, 1);
    assert_eq!(
        db.store.job(id).await.unwrap().unwrap().state,
        JobState::Done
    );
}

#[tokio::test]
async fn abandoned_worker_stops_its_handlers_and_another_reruns_the_job_once() {
    struct Hangs {
        started: tokio::sync::Notify,
        dropped: Arc<AtomicUsize>,
    }
    struct Flag(Arc<AtomicUsize>);
    impl Drop for Flag {
        fn drop(&mut self) {
            self.0.fetch_add(1, Ordering::SeqCst);
        }
    }
    #[async_trait]
    impl JobHandler for Hangs {
        async fn run(&self, _job: &Job) -> Result<(), JobError> {
            let _flag = Flag(self.dropped.clone());
            self.started.notify_one();
            std::future::pending::<()>().await;
            Ok(())
        }
    }
    let db = db().await;
    let id = enqueue(&*db.store, "q", "j", Utc::now()).await;
    let hangs = Arc::new(Hangs {
        started: tokio::sync::Notify::new(),
        dropped: Arc::new(AtomicUsize::new(0)),
    });
    let lease = StdDuration::from_millis(200);
    let first = Worker::new(db.store.clone(), "first")
        .handle("q", hangs.clone())
        .lease(lease);
    let run = tokio::spawn(async move { first.run_until(std::future::pending()).await });
    hangs.started.notified().await;
    // The process dies mid-job: its run is dropped, nothing is recorded.
    run.abort();
    let _ = run.await;
    tokio::time::sleep(StdDuration::from_millis(50)).await;
    assert_eq!(
        hangs.dropped.load(Ordering::SeqCst),
        1,
        "handler still running"
    );
    assert_eq!(
        db.store.job(id).await.unwrap().unwrap().state,
        JobState::Running
    );

    let handler = Arc::new(Scripted::default());
    let second = Worker::new(db.store.clone(), "second")
        .handle("q", handler.clone())
        .lease(lease);
    // Until the lease ends, nobody takes the job over.
    assert_eq!(second.drain().await.unwrap().total(), 0);
    tokio::time::sleep(lease).await;
    assert_eq!(second.drain().await.unwrap().completed, 1);
    assert_eq!(second.drain().await.unwrap().total(), 0);
    assert_eq!(handler.runs_of("j"), 1);
    let job = db.store.job(id).await.unwrap().unwrap();
    assert_eq!((job.state, job.attempts), (JobState::Done, 2));
}

/// `cargo test -p newsdesk-core --release --test jobs -- --ignored --nocapture`
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "timing; run by hand"]
async fn ten_thousand_jobs_throughput() {
    let db = db().await;
    let started = std::time::Instant::now();
    for n in 0..10_000 {
        enqueue(&*db.store, "q", &format!("j{n}"), Utc::now()).await;
    }
    let enqueued = started.elapsed();
    let handler = Arc::new(Scripted::default());
    let worker = Worker::new(db.store.clone(), "bench")
        .handle("q", handler.clone())
        .concurrency(8);
    let started = std::time::Instant::now();
    let stats = worker.drain().await.unwrap();
    let ran = started.elapsed();
    assert_eq!(stats.completed, 10_000);
    println!(
        "sqlite: enqueue {:.0} jobs/s, claim+run+complete {:.0} jobs/s",
        10_000.0 / enqueued.as_secs_f64(),
        10_000.0 / ran.as_secs_f64()
    );
}
