//! [`newsdesk_core::nodes::NodeStore`], written once for both backends (issue 17): heartbeats
//! and leader leases.

use std::time::Duration;

use super::ThisStore;
use crate::rows::backend;
use crate::types::Time;
use async_trait::async_trait;
use chrono::{DateTime, Utc};
use newsdesk_core::StoreResult;
use newsdesk_core::nodes::{NodeBeat, NodeInfo, NodeStore};

/// How long a silent node stays in the registry.
const NODE_RETENTION_DAYS: i64 = 7;

type NodeRow = (String, String, Time, Time, String);

#[async_trait]
impl NodeStore for ThisStore {
    async fn heartbeat(&self, beat: &NodeBeat, now: DateTime<Utc>) -> StoreResult<()> {
        sqlx::query(
            "INSERT INTO nodes (id, version, started_at, last_seen, leads)
             VALUES ($1, $2, $3, $4, $5)
             ON CONFLICT (id) DO UPDATE SET version = excluded.version,
                 started_at = excluded.started_at, last_seen = excluded.last_seen,
                 leads = excluded.leads",
        )
        .bind(&beat.id)
        .bind(&beat.version)
        .bind(Time(beat.started_at))
        .bind(Time(now))
        .bind(&beat.leads)
        .execute(self.writer())
        .await
        .map_err(backend)?;
        // Every restart is a new id (hostname-pid): forget nodes long gone, so the table stays
        // the size of the recent fleet.
        sqlx::query("DELETE FROM nodes WHERE last_seen < $1")
            .bind(Time(now - chrono::Duration::days(NODE_RETENTION_DAYS)))
            .execute(self.writer())
            .await
            .map_err(backend)?;
        Ok(())
    }

    async fn recent_nodes(&self, since: DateTime<Utc>) -> StoreResult<Vec<NodeInfo>> {
        let rows: Vec<NodeRow> = sqlx::query_as(
            "SELECT id, version, started_at, last_seen, leads FROM nodes
             WHERE last_seen >= $1 ORDER BY last_seen DESC, id LIMIT 1000",
        )
        .bind(Time(since))
        .fetch_all(self.reader())
        .await
        .map_err(backend)?;
        Ok(rows
            .into_iter()
            .map(|(id, version, started_at, last_seen, leads)| NodeInfo {
                id,
                version,
                started_at: started_at.0,
                last_seen: last_seen.0,
                leads,
            })
            .collect())
    }

    async fn acquire_lease(
        &self,
        name: &str,
        holder: &str,
        now: DateTime<Utc>,
        ttl: Duration,
    ) -> StoreResult<bool> {
        let until = chrono::Duration::from_std(ttl)
            .ok()
            .and_then(|d| now.checked_add_signed(d))
            .unwrap_or(DateTime::<Utc>::MAX_UTC);
        // One statement: the row is taken only if it is missing, expired or ours, so two nodes
        // racing for it cannot both win (the conflict makes the loser's update see the winner's row).
        let got: Option<String> = sqlx::query_scalar(
            "INSERT INTO leases (name, holder, expires_at) VALUES ($1, $2, $3)
             ON CONFLICT (name) DO UPDATE SET holder = excluded.holder,
                 expires_at = excluded.expires_at
             WHERE leases.expires_at < $4 OR leases.holder = excluded.holder
             RETURNING holder",
        )
        .bind(name)
        .bind(holder)
        .bind(Time(until))
        .bind(Time(now))
        .fetch_optional(self.writer())
        .await
        .map_err(backend)?;
        Ok(got.as_deref() == Some(holder))
    }

    async fn release_lease(&self, name: &str, holder: &str) -> StoreResult<()> {
        sqlx::query("DELETE FROM leases WHERE name = $1 AND holder = $2")
            .bind(name)
            .bind(holder)
            .execute(self.writer())
            .await
            .map_err(backend)?;
        Ok(())
    }

    async fn lease_holder(&self, name: &str, now: DateTime<Utc>) -> StoreResult<Option<String>> {
        sqlx::query_scalar("SELECT holder FROM leases WHERE name = $1 AND expires_at >= $2")
            .bind(name)
            .bind(Time(now))
            .fetch_optional(self.reader())
            .await
            .map_err(backend)
    }

    async fn ping(&self) -> StoreResult<()> {
        sqlx::query("SELECT 1")
            .execute(self.reader())
            .await
            .map_err(backend)?;
        Ok(())
    }

    async fn schema_version(&self) -> StoreResult<Option<i64>> {
        sqlx::query_scalar("SELECT max(version) FROM _sqlx_migrations WHERE success")
            .fetch_one(self.reader())
            .await
            .map_err(backend)
    }

    fn known_schema_version(&self) -> i64 {
        super::known_schema_version()
    }
}
