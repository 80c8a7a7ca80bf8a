//! Several interchangeable `newsdesk serve` processes on one database (issue 17): the node
//! registry (heartbeats), leader leases for scheduled work, the port through which a node tells
//! the others that content changed, and the process-wide counters behind `/metrics`.
//!
//! A lease is a row `(name, holder, expires_at)`: a node takes it when it has expired or is
//! already its own, in one statement, and renews it well before it runs out. A node that dies
//! stops renewing, and another takes over once the lease expires ([`LEASE_TTL`]).

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use serde::Serialize;

use crate::store::StoreResult;

/// How long a lease lasts without renewal: the longest scheduled work waits after its leader died.
pub const LEASE_TTL: Duration = Duration::from_secs(30);
/// How often a node heartbeats and renews (or tries to take) its leases.
pub const HEARTBEAT_EVERY: Duration = Duration::from_secs(5);

/// The lease of the ingest loop (source polling).
pub const LEASE_INGEST: &str = "ingest";
/// The lease of the scheduler: digest scheduling and scheduled-publish enqueueing.
pub const LEASE_SCHEDULER: &str = "scheduler";

/// One node's heartbeat.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NodeBeat {
    pub id: String,
    pub version: String,
    pub started_at: DateTime<Utc>,
    /// The leases it holds, comma-separated (empty: none).
    pub leads: String,
}

/// A node as the registry last heard of it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct NodeInfo {
    pub id: String,
    pub version: String,
    pub started_at: DateTime<Utc>,
    pub last_seen: DateTime<Utc>,
    pub leads: String,
}

#[async_trait]
pub trait NodeStore: Send + Sync {
    /// Records (or refreshes) the node's row with `last_seen = now`.
    async fn heartbeat(&self, beat: &NodeBeat, now: DateTime<Utc>) -> StoreResult<()>;
    /// Nodes heard from at or after `since`, the most recently seen first.
    async fn recent_nodes(&self, since: DateTime<Utc>) -> StoreResult<Vec<NodeInfo>>;
    /// Takes or renews the lease `name` for `holder` until `now + ttl` if it is free, expired or
    /// already `holder`'s, in one atomic statement; true when `holder` holds it afterwards.
    async fn acquire_lease(
        &self,
        name: &str,
        holder: &str,
        now: DateTime<Utc>,
        ttl: Duration,
    ) -> StoreResult<bool>;
    /// Gives the lease up (if `holder` has it), so another node need not wait for the expiry.
    async fn release_lease(&self, name: &str, holder: &str) -> StoreResult<()>;
    /// Who holds `name` at `now`, if anyone.
    async fn lease_holder(&self, name: &str, now: DateTime<Utc>) -> StoreResult<Option<String>>;
    /// A cheap round trip to the database, for `/readyz`.
    async fn ping(&self) -> StoreResult<()>;
    /// The newest migration applied to the database (None: none yet).
    async fn schema_version(&self) -> StoreResult<Option<i64>>;
    /// The newest migration this build knows.
    fn known_schema_version(&self) -> i64;
}

/// This process's node id: `hostname-pid`, unique among live processes on one database.
pub fn node_id() -> String {
    let host = std::fs::read_to_string("/proc/sys/kernel/hostname")
        .or_else(|_| std::fs::read_to_string("/etc/hostname"))
        .ok()
        .map(|h| h.trim().to_owned())
        .filter(|h| !h.is_empty())
        .or_else(|| std::env::var("HOSTNAME").ok())
        .unwrap_or_else(|| "node".to_owned());
    format!("{host}-{}", std::process::id())
}

/// Which leases this node holds, as its loops consult them. Cheap to clone and to ask.
#[derive(Clone, Default, Debug)]
pub struct Leadership {
    held: Arc<Mutex<BTreeMap<&'static str, Arc<AtomicBool>>>>,
}

impl Leadership {
    /// The flag of lease `name` (false until [`run_node`] takes it).
    pub fn flag(&self, name: &'static str) -> Arc<AtomicBool> {
        match self.held.lock() {
            Ok(mut m) => m.entry(name).or_default().clone(),
            Err(_) => Arc::default(),
        }
    }

    pub fn leads(&self, name: &'static str) -> bool {
        self.flag(name).load(Ordering::Acquire)
    }

    /// The held leases, comma-separated, for the heartbeat.
    pub fn describe(&self) -> String {
        match self.held.lock() {
            Ok(m) => m
                .iter()
                .filter(|(_, f)| f.load(Ordering::Acquire))
                .map(|(n, _)| *n)
                .collect::<Vec<_>>()
                .join(","),
            Err(_) => String::new(),
        }
    }

    fn names(&self) -> Vec<&'static str> {
        self.held
            .lock()
            .map(|m| m.keys().copied().collect())
            .unwrap_or_default()
    }
}

/// Called when this node takes a lease it did not hold (e.g. the scheduler queues its start-up jobs).
pub type OnAcquire = Arc<dyn Fn(&'static str) + Send + Sync>;

/// One heartbeat-and-leases round: renews or takes every lease in `leadership`, then heartbeats
/// with what the node now leads. A store error counts as losing the lease: better no leader for
/// a few seconds than two.
pub async fn node_round(
    store: &dyn NodeStore,
    id: &str,
    version: &str,
    started_at: DateTime<Utc>,
    leadership: &Leadership,
    on_acquire: Option<&OnAcquire>,
) -> StoreResult<()> {
    for name in leadership.names() {
        let flag = leadership.flag(name);
        let held = store
            .acquire_lease(name, id, Utc::now(), LEASE_TTL)
            .await
            .unwrap_or_else(|e| {
                tracing::warn!(error = %e, lease = name, "lease renewal failed");
                false
            });
        let was = flag.swap(held, Ordering::AcqRel);
        if held && !was {
            tracing::info!(lease = name, node = id, "this node now leads");
            if let Some(f) = on_acquire {
                f(name);
            }
        } else if was && !held {
            tracing::warn!(lease = name, node = id, "this node no longer leads");
        }
    }
    store
        .heartbeat(
            &NodeBeat {
                id: id.to_owned(),
                version: version.to_owned(),
                started_at,
                leads: leadership.describe(),
            },
            Utc::now(),
        )
        .await
}

/// Tells the other nodes that content changed, so they drop cached pages. `what` names what
/// changed; `"all"` drops everything.
pub trait ChangeBroadcast: Send + Sync + std::fmt::Debug {
    fn changed(&self, what: &str);
}

/// Process-wide counters for `/metrics`, bumped where the work happens (atomics: no lock, no
/// allocation).
#[derive(Debug, Default)]
pub struct Counters {
    pub ingest_items: AtomicU64,
    pub mails_sent: AtomicU64,
    pub mails_failed: AtomicU64,
    pub jobs_failed: AtomicU64,
    pub jobs_done: AtomicU64,
}

/// The one set of [`Counters`] of this process.
pub static COUNTERS: Counters = Counters {
    ingest_items: AtomicU64::new(0),
    mails_sent: AtomicU64::new(0),
    mails_failed: AtomicU64::new(0),
    jobs_failed: AtomicU64::new(0),
    jobs_done: AtomicU64::new(0),
};

/// Adds `n` to a counter.
pub fn count(counter: &AtomicU64, n: u64) {
    counter.fetch_add(n, Ordering::Relaxed);
}
