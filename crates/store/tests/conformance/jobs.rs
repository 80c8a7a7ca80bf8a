//! The job queue's behaviour (`newsdesk_core::jobs::JobStore`), the same on both backends.

use std::collections::HashSet;
use std::sync::Arc;
use std::time::Duration as StdDuration;

use chrono::{DateTime, Duration, TimeZone as _, Utc};
use newsdesk_core::Store;
use newsdesk_core::jobs::{JobCounts, JobState, NewJob};
use serde_json::json;

const LEASE: StdDuration = StdDuration::from_secs(30);

/// A fixed "now" with a non-zero microsecond part, so precision loss shows.
fn t0() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 3, 14, 9, 26, 53).unwrap() + Duration::microseconds(589_793)
}

fn secs(n: i64) -> Duration {
    Duration::seconds(n)
}

async fn enqueue(store: &dyn Store, job: NewJob) -> i64 {
    store.enqueue(&job).await.unwrap().expect("enqueued")
}

pub async fn jobs_round_trip_with_every_field(store: Arc<dyn Store>) {
    let payload =
        json!({"url": "https://example.org/ä?x=1", "n": [1, 2.5, null], "deep": {"ok": true}});
    let before = Utc::now() - secs(1);
    let id = enqueue(
        &*store,
        NewJob::new("fetch", payload.clone())
            .run_at(t0())
            .dedupe_key("https://example.org/ä")
            .max_attempts(7),
    )
    .await;
    let job = store.job(id).await.unwrap().unwrap();
    assert_eq!(job.id, id);
    assert_eq!(job.queue, "fetch");
    assert_eq!(job.payload, payload);
    assert_eq!(job.attempts, 0);
    assert_eq!(job.max_attempts, 7);
    assert_eq!(job.run_at, t0());
    assert_eq!(job.last_error, None);
    assert_eq!(job.state, JobState::Queued);
    assert_eq!(job.dedupe_key.as_deref(), Some("https://example.org/ä"));
    assert!(job.created_at >= before && job.created_at <= Utc::now() + secs(1));

    let claimed = store
        .claim(&["fetch"], "w1", LEASE, t0())
        .await
        .unwrap()
        .unwrap();
    assert_eq!(claimed.id, id);
    assert_eq!(claimed.payload, payload);
    assert_eq!(claimed.attempts, 1);
    assert_eq!(claimed.state, JobState::Running);
    assert_eq!(store.job(id + 1000).await.unwrap(), None);
}

pub async fn jobs_are_claimed_oldest_due_first_and_only_from_the_named_queues(
    store: Arc<dyn Store>,
) {
    let b = enqueue(&*store, NewJob::new("q", json!("b")).run_at(t0() - secs(2))).await;
    let c = enqueue(&*store, NewJob::new("q", json!("c")).run_at(t0() - secs(1))).await;
    let a = enqueue(&*store, NewJob::new("q", json!("a")).run_at(t0() - secs(3))).await;
    // Same time as `c`, enqueued later: the id breaks the tie.
    let d = enqueue(&*store, NewJob::new("q", json!("d")).run_at(t0() - secs(1))).await;
    let other = enqueue(
        &*store,
        NewJob::new("other", json!("x")).run_at(t0() - secs(9)),
    )
    .await;
    let mut got = Vec::new();
    while let Some(job) = store.claim(&["q"], "w", LEASE, t0()).await.unwrap() {
        got.push(job.id);
    }
    assert_eq!(got, vec![a, b, c, d]);
    let job = store
        .claim(&["nothing", "other"], "w", LEASE, t0())
        .await
        .unwrap()
        .unwrap();
    assert_eq!(job.id, other);
    assert_eq!(store.claim(&[], "w", LEASE, t0()).await.unwrap(), None);
}

pub async fn claims_across_queues_take_the_oldest_due_job_of_any(store: Arc<dyn Store>) {
    let at = |s: i64| t0() - secs(100) + secs(s);
    let a1 = enqueue(&*store, NewJob::new("a", json!(1)).run_at(at(1))).await;
    let b2 = enqueue(&*store, NewJob::new("b", json!(2)).run_at(at(2))).await;
    let a3 = enqueue(&*store, NewJob::new("a", json!(3)).run_at(at(3))).await;
    let c0 = enqueue(&*store, NewJob::new("c", json!(0)).run_at(at(0))).await;
    let b4 = enqueue(&*store, NewJob::new("b", json!(4)).run_at(at(4))).await;
    // Claimed at 2 and never finished: its expired lease makes it due again, by its run_at.
    let b2_claim = store
        .claim(&["b"], "dead", LEASE, at(2))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(b2_claim.id, b2);
    let later = at(2) + secs(31);
    let mut got = Vec::new();
    while let Some(job) = store.claim(&["b", "a"], "w", LEASE, later).await.unwrap() {
        got.push(job.id);
    }
    assert_eq!(got, vec![a1, b2, a3, b4]);
    assert_eq!(
        store.job(c0).await.unwrap().unwrap().state,
        JobState::Queued
    );
}

pub async fn jobs_due_later_are_not_claimed_before_their_time(store: Arc<dyn Store>) {
    let id = enqueue(&*store, NewJob::new("q", json!(1)).run_at(t0() + secs(60))).await;
    assert_eq!(store.claim(&["q"], "w", LEASE, t0()).await.unwrap(), None);
    let almost = t0() + secs(60) - Duration::microseconds(1);
    assert_eq!(store.claim(&["q"], "w", LEASE, almost).await.unwrap(), None);
    let job = store
        .claim(&["q"], "w", LEASE, t0() + secs(60))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(job.id, id);
}

pub async fn dedupe_key_allows_one_live_job_per_queue_and_key(store: Arc<dyn Store>) {
    let job = || NewJob::new("q", json!(1)).run_at(t0()).dedupe_key("k");
    let first = store.enqueue(&job()).await.unwrap();
    assert!(first.is_some());
    assert_eq!(store.enqueue(&job()).await.unwrap(), None, "queued");
    // Another queue, or no key, is another job.
    let mut elsewhere = job();
    elsewhere.queue = "other".into();
    assert!(store.enqueue(&elsewhere).await.unwrap().is_some());
    assert!(
        store
            .enqueue(&NewJob::new("q", json!(1)).run_at(t0()))
            .await
            .unwrap()
            .is_some()
    );
    assert!(
        store
            .enqueue(&NewJob::new("q", json!(1)).run_at(t0()))
            .await
            .unwrap()
            .is_some()
    );

    let claimed = store
        .claim(&["q"], "w", LEASE, t0())
        .await
        .unwrap()
        .unwrap();
    assert_eq!(Some(claimed.id), first);
    assert_eq!(store.enqueue(&job()).await.unwrap(), None, "running");
    // Back in the queue for a retry: still live.
    assert!(store.fail(claimed.id, "w", "boom", t0()).await.unwrap());
    assert_eq!(store.enqueue(&job()).await.unwrap(), None, "retrying");
    let claimed = store
        .claim(&["q"], "w", LEASE, t0())
        .await
        .unwrap()
        .unwrap();
    assert_eq!(Some(claimed.id), first);
    assert!(store.complete(claimed.id, "w").await.unwrap());
    // Done: the key is free again.
    let again = store.enqueue(&job()).await.unwrap();
    assert!(again.is_some() && again != first);
    assert_eq!(store.job_counts("q").await.unwrap().queued, 3);
}

pub async fn expired_lease_lets_another_worker_reclaim_and_the_old_one_loses(
    store: Arc<dyn Store>,
) {
    let id = enqueue(&*store, NewJob::new("q", json!(1)).run_at(t0())).await;
    let first = store
        .claim(&["q"], "a", LEASE, t0())
        .await
        .unwrap()
        .unwrap();
    assert_eq!((first.id, first.attempts), (id, 1));
    // Still leased: nobody else gets it.
    assert_eq!(
        store
            .claim(&["q"], "b", LEASE, t0() + secs(29))
            .await
            .unwrap(),
        None
    );
    // Extending the lease keeps it.
    assert!(store.extend_lease(id, "a", t0() + secs(60)).await.unwrap());
    assert!(!store.extend_lease(id, "b", t0() + secs(90)).await.unwrap());
    assert_eq!(
        store
            .claim(&["q"], "b", LEASE, t0() + secs(59))
            .await
            .unwrap(),
        None
    );
    // `a` dies; once its lease ends, `b` takes over.
    let second = store
        .claim(&["q"], "b", LEASE, t0() + secs(60))
        .await
        .unwrap()
        .unwrap();
    assert_eq!((second.id, second.attempts), (id, 2));
    assert_eq!(second.state, JobState::Running);
    assert!(
        second
            .last_error
            .is_some_and(|e| e.contains("lease expired"))
    );
    // `a` comes back to life: it may not extend, complete or fail the job any more.
    assert!(!store.extend_lease(id, "a", t0() + secs(600)).await.unwrap());
    assert!(!store.complete(id, "a").await.unwrap());
    assert!(!store.fail(id, "a", "late", t0()).await.unwrap());
    assert!(!store.fail_permanently(id, "a", "late").await.unwrap());
    assert_eq!(
        store.job(id).await.unwrap().unwrap().state,
        JobState::Running
    );
    assert!(store.complete(id, "b").await.unwrap());
    assert!(!store.complete(id, "b").await.unwrap(), "only once");
    assert_eq!(
        store.job_counts("q").await.unwrap(),
        JobCounts {
            done: 1,
            ..JobCounts::default()
        }
    );
}

pub async fn failed_jobs_retry_at_their_time_then_die_after_max_attempts(store: Arc<dyn Store>) {
    let id = enqueue(
        &*store,
        NewJob::new("q", json!(1)).run_at(t0()).max_attempts(3),
    )
    .await;
    let mut now = t0();
    for attempt in 1..=3u32 {
        let job = store.claim(&["q"], "w", LEASE, now).await.unwrap().unwrap();
        assert_eq!((job.id, job.attempts), (id, attempt));
        if attempt > 1 {
            assert_eq!(
                job.last_error.as_deref(),
                Some(&*format!("boom {}", attempt - 1))
            );
            assert_eq!(job.run_at, now);
        }
        let retry_at = now + secs(30 * i64::from(attempt));
        assert!(
            store
                .fail(id, "w", &format!("boom {attempt}"), retry_at)
                .await
                .unwrap()
        );
        let stored = store.job(id).await.unwrap().unwrap();
        assert_eq!(
            stored.last_error.as_deref(),
            Some(&*format!("boom {attempt}"))
        );
        if attempt < 3 {
            assert_eq!(stored.state, JobState::Queued);
            assert_eq!(stored.run_at, retry_at);
            // Not before its retry time.
            let early = retry_at - Duration::microseconds(1);
            assert_eq!(store.claim(&["q"], "w", LEASE, early).await.unwrap(), None);
            now = retry_at;
        } else {
            assert_eq!(stored.state, JobState::Dead);
        }
    }
    assert_eq!(
        store
            .claim(&["q"], "w", LEASE, now + secs(86_400))
            .await
            .unwrap(),
        None
    );
    let counts = store.job_counts("q").await.unwrap();
    assert_eq!(
        counts,
        JobCounts {
            dead: 1,
            ..JobCounts::default()
        }
    );
    let dead = store.dead_jobs("q", 10).await.unwrap();
    assert_eq!(dead.len(), 1);
    assert_eq!(dead[0].id, id);
    assert_eq!(dead[0].attempts, 3);
    assert_eq!(dead[0].last_error.as_deref(), Some("boom 3"));
    assert!(store.dead_jobs("other", 10).await.unwrap().is_empty());
}

pub async fn permanent_failure_is_dead_at_once(store: Arc<dyn Store>) {
    let id = enqueue(&*store, NewJob::new("q", json!(1)).run_at(t0())).await;
    store
        .claim(&["q"], "w", LEASE, t0())
        .await
        .unwrap()
        .unwrap();
    assert!(!store.fail_permanently(id, "other", "no").await.unwrap());
    assert!(
        store
            .fail_permanently(id, "w", "404 Not Found")
            .await
            .unwrap()
    );
    let job = store.job(id).await.unwrap().unwrap();
    assert_eq!(job.state, JobState::Dead);
    assert_eq!(job.attempts, 1);
    assert_eq!(job.last_error.as_deref(), Some("404 Not Found"));
    assert_eq!(
        store
            .claim(&["q"], "w", LEASE, t0() + secs(86_400))
            .await
            .unwrap(),
        None
    );
}

pub async fn job_whose_lease_expires_on_its_last_attempt_is_dead(store: Arc<dyn Store>) {
    let id = enqueue(
        &*store,
        NewJob::new("q", json!(1)).run_at(t0()).max_attempts(2),
    )
    .await;
    let mut now = t0();
    for attempt in 1..=2 {
        let job = store.claim(&["q"], "w", LEASE, now).await.unwrap().unwrap();
        assert_eq!(job.attempts, attempt);
        now += secs(31);
    }
    assert_eq!(store.claim(&["q"], "w", LEASE, now).await.unwrap(), None);
    let job = store.job(id).await.unwrap().unwrap();
    assert_eq!(job.state, JobState::Dead);
    assert!(job.last_error.is_some_and(|e| e.contains("last attempt")));
    assert!(!store.complete(id, "w").await.unwrap());
}

pub async fn dead_jobs_are_listed_newest_first_and_can_be_requeued(store: Arc<dyn Store>) {
    let mut ids = Vec::new();
    for n in 0..3 {
        let id = enqueue(
            &*store,
            NewJob::new("q", json!(n))
                .run_at(t0())
                .max_attempts(1)
                .dedupe_key(format!("k{n}")),
        )
        .await;
        store
            .claim(&["q"], "w", LEASE, t0())
            .await
            .unwrap()
            .unwrap();
        assert!(store.fail(id, "w", "gone", t0()).await.unwrap());
        ids.push(id);
        // Distinct finishing times.
        tokio::time::sleep(StdDuration::from_millis(2)).await;
    }
    let dead: Vec<i64> = store
        .dead_jobs("q", 2)
        .await
        .unwrap()
        .iter()
        .map(|j| j.id)
        .collect();
    assert_eq!(dead, vec![ids[2], ids[1]]);

    assert!(store.requeue_dead(ids[0], t0() + secs(5)).await.unwrap());
    assert!(
        !store.requeue_dead(ids[0], t0()).await.unwrap(),
        "not dead any more"
    );
    let job = store.job(ids[0]).await.unwrap().unwrap();
    assert_eq!(
        (job.state, job.run_at, job.attempts, job.max_attempts),
        (JobState::Queued, t0() + secs(5), 1, 2)
    );
    // Its dedupe key is live again.
    assert_eq!(
        store
            .enqueue(&NewJob::new("q", json!(0)).dedupe_key("k0"))
            .await
            .unwrap(),
        None
    );
    // A dead job whose key a newer live job holds stays dead.
    assert!(
        store
            .enqueue(
                &NewJob::new("q", json!(1))
                    .run_at(t0() + secs(60))
                    .dedupe_key("k1")
            )
            .await
            .unwrap()
            .is_some()
    );
    assert!(!store.requeue_dead(ids[1], t0()).await.unwrap());
    assert_eq!(
        store.job(ids[1]).await.unwrap().unwrap().state,
        JobState::Dead
    );

    let job = store
        .claim(&["q"], "w", LEASE, t0() + secs(5))
        .await
        .unwrap()
        .unwrap();
    assert_eq!((job.id, job.attempts), (ids[0], 2));
    assert!(store.complete(job.id, "w").await.unwrap());
}

pub async fn job_counts_are_per_queue_and_state(store: Arc<dyn Store>) {
    for n in 0..4 {
        enqueue(&*store, NewJob::new("q", json!(n)).run_at(t0())).await;
    }
    enqueue(
        &*store,
        NewJob::new("q", json!(9)).run_at(t0() + secs(3600)),
    )
    .await;
    enqueue(&*store, NewJob::new("other", json!(0)).run_at(t0())).await;
    let done = store
        .claim(&["q"], "w", LEASE, t0())
        .await
        .unwrap()
        .unwrap();
    assert!(store.complete(done.id, "w").await.unwrap());
    let dead = store
        .claim(&["q"], "w", LEASE, t0())
        .await
        .unwrap()
        .unwrap();
    assert!(store.fail_permanently(dead.id, "w", "x").await.unwrap());
    store
        .claim(&["q"], "w", LEASE, t0())
        .await
        .unwrap()
        .unwrap();
    assert_eq!(
        store.job_counts("q").await.unwrap(),
        JobCounts {
            queued: 2,
            running: 1,
            done: 1,
            dead: 1
        }
    );
    assert_eq!(
        store.job_counts("other").await.unwrap(),
        JobCounts {
            queued: 1,
            ..JobCounts::default()
        }
    );
    assert_eq!(
        store.job_counts("none").await.unwrap(),
        JobCounts::default()
    );
}

pub async fn prune_done_deletes_only_done_jobs_finished_before_the_cutoff(store: Arc<dyn Store>) {
    let mut ids = Vec::new();
    for n in 0..3 {
        ids.push(enqueue(&*store, NewJob::new("q", json!(n)).run_at(t0())).await);
    }
    for _ in 0..2 {
        let job = store
            .claim(&["q"], "w", LEASE, t0())
            .await
            .unwrap()
            .unwrap();
        assert!(store.complete(job.id, "w").await.unwrap());
    }
    let job = store
        .claim(&["q"], "w", LEASE, t0())
        .await
        .unwrap()
        .unwrap();
    assert!(store.fail_permanently(job.id, "w", "x").await.unwrap());
    assert_eq!(
        store.prune_done(Utc::now() - secs(3600)).await.unwrap(),
        0,
        "finished too recently"
    );
    assert_eq!(store.prune_done(Utc::now() + secs(1)).await.unwrap(), 2);
    assert_eq!(store.job(ids[0]).await.unwrap(), None);
    assert_eq!(
        store.job_counts("q").await.unwrap(),
        JobCounts {
            dead: 1,
            ..JobCounts::default()
        }
    );
    // Ids are not reused after pruning.
    let next = enqueue(&*store, NewJob::new("q", json!(3)).run_at(t0())).await;
    assert!(next > ids[2]);
}

pub async fn concurrent_claimers_never_share_a_job_and_together_claim_all(store: Arc<dyn Store>) {
    const JOBS: i64 = 200;
    let mut all = HashSet::new();
    for n in 0..JOBS {
        all.insert(enqueue(&*store, NewJob::new("q", json!(n)).run_at(t0())).await);
    }
    let mut tasks = tokio::task::JoinSet::new();
    for w in 0..8 {
        let store = store.clone();
        tasks.spawn(async move {
            let worker = format!("w{w}");
            let mut mine = Vec::new();
            while let Some(job) = store.claim(&["q"], &worker, LEASE, t0()).await.unwrap() {
                assert_eq!(job.attempts, 1, "claimed twice: {job:?}");
                assert!(store.complete(job.id, &worker).await.unwrap());
                mine.push(job.id);
            }
            mine
        });
    }
    let mut seen = HashSet::new();
    let mut busy_workers = 0;
    while let Some(mine) = tasks.join_next().await {
        let mine = mine.unwrap();
        busy_workers += usize::from(!mine.is_empty());
        for id in mine {
            assert!(seen.insert(id), "job {id} claimed twice");
        }
    }
    assert_eq!(seen, all);
    assert!(busy_workers >= 1);
    assert_eq!(
        store.job_counts("q").await.unwrap(),
        JobCounts {
            done: JOBS as u64,
            ..JobCounts::default()
        }
    );
}

/// Two processes on one SQLite file (the CLI's `--once` while `serve` runs) each have their own
/// writer connection: `BEGIN IMMEDIATE` and the busy timeout keep their claims apart.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn two_sqlite_stores_on_one_file_never_claim_the_same_job() {
    let db = crate::support::SqliteDb::new().await;
    let url = format!("sqlite://{}", db.path.display());
    let stores = [
        crate::support::TestDb::store(&db),
        newsdesk_store::open(&url).await.unwrap(),
    ];
    const JOBS: usize = 300;
    for n in 0..JOBS {
        enqueue(&*stores[0], NewJob::new("q", json!(n)).run_at(t0())).await;
    }
    let mut tasks = tokio::task::JoinSet::new();
    for w in 0..6 {
        let store = stores[w % 2].clone();
        tasks.spawn(async move {
            let worker = format!("w{w}");
            let mut mine = Vec::new();
            while let Some(job) = store.claim(&["q"], &worker, LEASE, t0()).await.unwrap() {
                assert!(store.complete(job.id, &worker).await.unwrap());
                mine.push(job.id);
            }
            mine
        });
    }
    let mut seen = HashSet::new();
    while let Some(mine) = tasks.join_next().await {
        for id in mine.unwrap() {
            assert!(seen.insert(id), "job {id} claimed twice");
        }
    }
    assert_eq!(seen.len(), JOBS);
}
