//! Several nodes on one database (issue 17): the heartbeat-and-leases loop `serve` runs,
//! `newsdesk nodes` (who is serving, and what each leads) and `newsdesk backup`.

use std::path::PathBuf;
use std::sync::Arc;

use chrono::{DateTime, Utc};
use clap::Args;
use newsdesk_core::Store;
use newsdesk_core::nodes::{HEARTBEAT_EVERY, Leadership, OnAcquire, node_round};

use crate::config::Config;

/// This build's version, as heartbeats and `newsdesk nodes` show it.
pub const VERSION: &str = env!("CARGO_PKG_VERSION");

/// The heartbeat loop of a serving node; [`Node::stop`] gives its leases up.
pub struct Node {
    pub id: String,
    store: Arc<dyn Store>,
    leadership: Leadership,
    task: tokio::task::JoinHandle<()>,
}

impl Node {
    /// Heartbeats once (taking the leases named in `leadership` if free) before returning, so
    /// scheduled work starts with the node, then keeps doing so every few seconds.
    pub async fn start(
        store: Arc<dyn Store>,
        id: String,
        leadership: Leadership,
        on_acquire: OnAcquire,
    ) -> Node {
        let started_at = Utc::now();
        if let Err(e) = node_round(
            store.as_ref(),
            &id,
            VERSION,
            started_at,
            &leadership,
            Some(&on_acquire),
        )
        .await
        {
            tracing::warn!(error = %e, "first heartbeat failed");
        }
        let task = {
            let store = store.clone();
            let id = id.clone();
            let leadership = leadership.clone();
            tokio::spawn(async move {
                let mut tick = tokio::time::interval(HEARTBEAT_EVERY);
                tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
                tick.tick().await;
                loop {
                    tick.tick().await;
                    if let Err(e) = node_round(
                        store.as_ref(),
                        &id,
                        VERSION,
                        started_at,
                        &leadership,
                        Some(&on_acquire),
                    )
                    .await
                    {
                        tracing::warn!(error = %e, "heartbeat failed");
                    }
                }
            })
        };
        Node {
            id,
            store,
            leadership,
            task,
        }
    }

    pub fn leads(&self) -> String {
        self.leadership.describe()
    }

    /// Stops heartbeating and releases the leases, so another node takes over at its next round
    /// instead of after the expiry.
    pub async fn stop(self) {
        self.task.abort();
        for name in [
            newsdesk_core::nodes::LEASE_INGEST,
            newsdesk_core::nodes::LEASE_SCHEDULER,
        ] {
            if self.leadership.leads(name)
                && let Err(e) = self.store.release_lease(name, &self.id).await
            {
                tracing::warn!(error = %e, lease = name, "lease not released");
            }
        }
    }
}

#[derive(Args, Debug)]
pub struct NodesArgs {
    /// Show nodes heard from in the last N minutes.
    #[arg(long, default_value_t = 5, value_name = "N")]
    minutes: u32,
    /// Print JSON instead of a table.
    #[arg(long)]
    json: bool,
    #[arg(long, env = "NEWSDESK_DATABASE_URL", value_name = "URL")]
    pub database_url: Option<String>,
}

pub async fn list(args: NodesArgs, config: Config) -> anyhow::Result<()> {
    let store = crate::open_store(&config).await?;
    let now = Utc::now();
    let since = now - chrono::Duration::minutes(i64::from(args.minutes.clamp(1, 60 * 24 * 30)));
    let nodes = store.recent_nodes(since).await?;
    if args.json {
        println!("{}", serde_json::to_string_pretty(&nodes)?);
        return Ok(());
    }
    if nodes.is_empty() {
        println!("no node heard from in the last {} minutes", args.minutes);
        return Ok(());
    }
    let w = nodes.iter().map(|n| n.id.len()).max().unwrap_or(2).max(2);
    println!(
        "{:<w$}  {:<10}  {:<20}  LEADS",
        "ID", "VERSION", "LAST HEARTBEAT"
    );
    for n in &nodes {
        println!(
            "{:<w$}  {:<10}  {:<20}  {}",
            n.id,
            n.version,
            ago(n.last_seen, now),
            if n.leads.is_empty() { "-" } else { &n.leads }
        );
    }
    Ok(())
}

fn ago(t: DateTime<Utc>, now: DateTime<Utc>) -> String {
    let s = (now - t).num_seconds().max(0);
    if s < 120 {
        format!("{s}s ago")
    } else {
        format!("{}m ago", s / 60)
    }
}

#[derive(Args, Debug)]
pub struct BackupArgs {
    /// Where to write the copy (must not exist).
    path: PathBuf,
    #[arg(long, env = "NEWSDESK_DATABASE_URL", value_name = "URL")]
    pub database_url: Option<String>,
}

/// A consistent copy of a SQLite database with `VACUUM INTO`, while `serve` goes on.
pub async fn backup(args: BackupArgs, config: Config) -> anyhow::Result<()> {
    let url = config.database_url();
    let location = match newsdesk_store::DatabaseUrl::parse(&url)? {
        newsdesk_store::DatabaseUrl::Sqlite(loc) => loc,
        newsdesk_store::DatabaseUrl::Postgres(_) => anyhow::bail!(
            "newsdesk backup copies a SQLite database; for PostgreSQL use pg_dump \
             (e.g. pg_dump --format=custom --file=newsdesk.dump \"$NEWSDESK_DATABASE_URL\")"
        ),
    };
    anyhow::ensure!(
        !args.path.exists(),
        "{} already exists: a backup never overwrites a file",
        args.path.display()
    );
    let store = newsdesk_store::SqliteStore::open(location).await?;
    let started = std::time::Instant::now();
    store.backup_into(&args.path).await?;
    store.close().await;
    let size = std::fs::metadata(&args.path).map(|m| m.len()).unwrap_or(0);
    println!(
        "backup written to {} ({} KiB in {:.1}s)",
        args.path.display(),
        size / 1024,
        started.elapsed().as_secs_f64()
    );
    Ok(())
}
