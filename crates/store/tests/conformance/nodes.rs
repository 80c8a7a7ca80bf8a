//! Conformance cases for the node registry and leader leases (issue 17).

use std::sync::Arc;
use std::time::Duration;

use chrono::Utc;
use newsdesk_core::Store;
use newsdesk_core::nodes::NodeBeat;

use crate::support::TestDb;

fn beat(id: &str, leads: &str) -> NodeBeat {
    NodeBeat {
        id: id.into(),
        version: "0.1.0".into(),
        started_at: Utc::now() - chrono::Duration::minutes(3),
        leads: leads.into(),
    }
}

pub async fn heartbeats_keep_one_row_per_node_and_list_the_recent_ones(store: Arc<dyn Store>) {
    let now = Utc::now();
    store
        .heartbeat(&beat("old-1", ""), now - chrono::Duration::minutes(30))
        .await
        .unwrap();
    store
        .heartbeat(&beat("gone-1", ""), now - chrono::Duration::days(8))
        .await
        .unwrap();
    store.heartbeat(&beat("a-1", ""), now).await.unwrap();
    store
        .heartbeat(&beat("b-2", "ingest"), now - chrono::Duration::seconds(2))
        .await
        .unwrap();
    // A second beat of a-1 updates its row, and what it leads.
    let later = now + chrono::Duration::seconds(1);
    store
        .heartbeat(&beat("a-1", "ingest,scheduler"), later)
        .await
        .unwrap();
    let nodes = store
        .recent_nodes(now - chrono::Duration::minutes(5))
        .await
        .unwrap();
    let ids: Vec<&str> = nodes.iter().map(|n| n.id.as_str()).collect();
    assert_eq!(ids, ["a-1", "b-2"]);
    // A node silent for over a week is dropped by the next heartbeat; one silent for half an
    // hour is kept (just not listed as recent).
    let all: Vec<String> = store
        .recent_nodes(now - chrono::Duration::days(30))
        .await
        .unwrap()
        .into_iter()
        .map(|n| n.id)
        .collect();
    assert_eq!(all, ["a-1", "b-2", "old-1"]);
    assert_eq!(nodes[0].leads, "ingest,scheduler");
    assert_eq!(
        nodes[0].last_seen.timestamp_micros(),
        later.timestamp_micros()
    );
    assert_eq!(nodes[1].leads, "ingest");
}

pub async fn a_lease_has_one_holder_until_it_expires(store: Arc<dyn Store>) {
    let now = Utc::now();
    let ttl = Duration::from_secs(30);
    assert!(store.acquire_lease("digest", "a", now, ttl).await.unwrap());
    assert!(!store.acquire_lease("digest", "b", now, ttl).await.unwrap());
    // Renewal by the holder works and moves the expiry on.
    let t1 = now + chrono::Duration::seconds(20);
    assert!(store.acquire_lease("digest", "a", t1, ttl).await.unwrap());
    // 40 s after the first take, the original lease would be over, the renewed one is not.
    let t2 = now + chrono::Duration::seconds(40);
    assert!(!store.acquire_lease("digest", "b", t2, ttl).await.unwrap());
    assert_eq!(
        store.lease_holder("digest", t2).await.unwrap().as_deref(),
        Some("a")
    );
    // a stops renewing; past its expiry b takes over, and a cannot take it back.
    let t3 = now + chrono::Duration::seconds(51);
    assert!(store.acquire_lease("digest", "b", t3, ttl).await.unwrap());
    assert!(!store.acquire_lease("digest", "a", t3, ttl).await.unwrap());
    assert_eq!(
        store.lease_holder("digest", t3).await.unwrap().as_deref(),
        Some("b")
    );
    // Other leases are independent.
    assert!(store.acquire_lease("ingest", "a", t3, ttl).await.unwrap());
    // Releasing frees it at once, but only for its holder.
    store.release_lease("digest", "a").await.unwrap();
    assert_eq!(
        store.lease_holder("digest", t3).await.unwrap().as_deref(),
        Some("b")
    );
    store.release_lease("digest", "b").await.unwrap();
    assert_eq!(store.lease_holder("digest", t3).await.unwrap(), None);
    assert!(store.acquire_lease("digest", "c", t3, ttl).await.unwrap());
}

pub async fn racing_nodes_never_both_take_a_lease(store: Arc<dyn Store>) {
    for round in 0..20 {
        let name = format!("race-{round}");
        let now = Utc::now();
        let tasks: Vec<_> = (0..8)
            .map(|i| {
                let store = store.clone();
                let name = name.clone();
                tokio::spawn(async move {
                    store
                        .acquire_lease(&name, &format!("node-{i}"), now, Duration::from_secs(30))
                        .await
                        .unwrap()
                })
            })
            .collect();
        let mut winners = 0;
        for t in tasks {
            if t.await.unwrap() {
                winners += 1;
            }
        }
        assert_eq!(winners, 1, "round {round}");
    }
}

pub async fn schema_is_at_the_version_this_build_knows(store: Arc<dyn Store>) {
    store.ping().await.unwrap();
    let known = store.known_schema_version();
    assert!(known >= 17, "{known}");
    assert_eq!(store.schema_version().await.unwrap(), Some(known));
}

pub async fn a_schema_newer_than_this_build_is_refused_with_a_clear_message(db: &dyn TestDb) {
    let store = db.store();
    let known = store.known_schema_version();
    let checksum = if store.backend() == "sqlite" {
        "X'00'"
    } else {
        "'\\x00'::bytea"
    };
    db.raw(format!(
        "INSERT INTO _sqlx_migrations (version, description, success, checksum, execution_time)
         VALUES (99999, 'from the future', TRUE, {checksum}, 0)"
    ))
    .await;
    let err = newsdesk_store::open(&db.url())
        .await
        .unwrap_err()
        .to_string();
    assert_eq!(
        err,
        format!(
            "the database schema is at version 99999, newer than this newsdesk knows ({known}): \
             upgrade newsdesk"
        )
    );
}

/// Several nodes starting at once on a fresh PostgreSQL: sqlx's Migrator serialises them on an
/// advisory lock, and each comes up on the finished schema.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn nodes_migrating_a_fresh_postgres_at_once_all_come_up() {
    let Some(db) = crate::support::PgDb::empty("migrate_at_once").await else {
        return;
    };
    let url = crate::support::TestDb::url(&db);
    let opens: Vec<_> = (0..4)
        .map(|_| {
            let url = url.clone();
            tokio::spawn(async move { newsdesk_store::open(&url).await })
        })
        .collect();
    for o in opens {
        let store = o.await.unwrap().unwrap();
        assert_eq!(
            store.schema_version().await.unwrap(),
            Some(store.known_schema_version())
        );
    }
}

/// Records every run of a job by its payload's `n`.
struct Tally(std::sync::Mutex<Vec<u64>>);

#[async_trait::async_trait]
impl newsdesk_core::jobs::JobHandler for Tally {
    async fn run(
        &self,
        job: &newsdesk_core::jobs::Job,
    ) -> Result<(), newsdesk_core::jobs::JobError> {
        let n = job.payload["n"].as_u64().unwrap();
        self.0.lock().unwrap().push(n);
        Ok(())
    }
}

/// Two nodes (two pools on one PostgreSQL, each with its own worker loop) run 1,000 jobs
/// between them, each exactly once.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn two_nodes_run_each_of_1000_jobs_exactly_once() {
    use newsdesk_core::jobs::{JobStore, NewJob, Worker};
    let Some(db) = crate::support::PgDb::new("thousand_jobs").await else {
        return;
    };
    let a = db.store();
    let b = newsdesk_store::open(&crate::support::TestDb::url(&db))
        .await
        .unwrap();
    for n in 0..1000u64 {
        a.enqueue(&NewJob::new("nodes.test", serde_json::json!({ "n": n })))
            .await
            .unwrap();
    }
    let tally = Arc::new(Tally(std::sync::Mutex::new(Vec::new())));
    let (stop_tx, stop_rx) = tokio::sync::watch::channel(false);
    let mut runs = Vec::new();
    for (name, store) in [("node-a", a.clone()), ("node-b", b.clone())] {
        let jobs: Arc<dyn JobStore> = store;
        let worker = Worker::new(jobs, name)
            .handle("nodes.test", tally.clone())
            .concurrency(4)
            .poll_interval(Duration::from_millis(20));
        let mut rx = stop_rx.clone();
        runs.push(tokio::spawn(async move {
            worker
                .run_until(async move {
                    let _ = rx.wait_for(|s| *s).await;
                })
                .await
        }));
    }
    let deadline = std::time::Instant::now() + Duration::from_secs(120);
    loop {
        let c = a.job_counts("nodes.test").await.unwrap();
        if c.done == 1000 {
            break;
        }
        assert!(std::time::Instant::now() < deadline, "not done: {c:?}");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    stop_tx.send(true).unwrap();
    let mut completed = Vec::new();
    for r in runs {
        completed.push(r.await.unwrap().completed);
    }
    let mut seen = tally.0.lock().unwrap().clone();
    assert_eq!(seen.len(), 1000, "runs in all");
    seen.sort_unstable();
    seen.dedup();
    assert_eq!(seen.len(), 1000, "a job ran twice");
    // Both nodes took part (otherwise this says nothing about two nodes).
    assert!(completed.iter().all(|c| *c > 0), "{completed:?}");
}
