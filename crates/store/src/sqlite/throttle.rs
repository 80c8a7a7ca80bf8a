//! [`newsdesk_core::throttle::ThrottleStore`] for [`SqliteStore`]: one `BEGIN IMMEDIATE`
//! transaction on the single writer connection makes count-and-insert atomic.

use async_trait::async_trait;
use chrono::{DateTime, Duration, Utc};
use newsdesk_core::accounts::NewAuditEntry;
use newsdesk_core::throttle::{Limit, Reservation, ThrottleStore};
use newsdesk_core::{Id, StoreResult};
use sqlx::Row as _;

use super::{SqliteStore, micros};
use crate::rows::{backend, grouped_target, micros_to_time};

#[async_trait]
impl ThrottleStore for SqliteStore {
    async fn reserve_attempt(
        &self,
        limits: &[Limit],
        now: DateTime<Utc>,
        window: Duration,
    ) -> StoreResult<Reservation> {
        let since = micros(now - window);
        let mut tx = self
            .writer
            .begin_with("BEGIN IMMEDIATE")
            .await
            .map_err(backend)?;
        let mut blocked: Option<DateTime<Utc>> = None;
        for l in limits {
            // Rows older than the window are never read again; drop them as we go.
            sqlx::query("DELETE FROM login_failures WHERE key = ? AND at < ?")
                .bind(&l.key)
                .bind(since)
                .execute(&mut *tx)
                .await
                .map_err(backend)?;
            if l.max == u32::MAX {
                continue;
            }
            let r = sqlx::query(
                "SELECT count(*) AS n, min(at) AS oldest FROM login_failures WHERE key = ? AND at >= ?",
            )
            .bind(&l.key)
            .bind(since)
            .fetch_one(&mut *tx)
            .await
            .map_err(backend)?;
            let n: i64 = r.try_get("n").map_err(backend)?;
            if n >= i64::from(l.max) {
                let oldest: Option<i64> = r.try_get("oldest").map_err(backend)?;
                let until = match oldest {
                    Some(m) => micros_to_time(m, "oldest")? + window,
                    None => now + window,
                };
                blocked = Some(blocked.map_or(until, |b| b.max(until)));
            }
        }
        if let Some(until) = blocked {
            tx.rollback().await.map_err(backend)?;
            return Ok(Reservation::Blocked { until });
        }
        let mut ids = Vec::with_capacity(limits.len());
        for l in limits {
            let id: Id = sqlx::query_scalar(
                "INSERT INTO login_failures (key, at) VALUES (?, ?) RETURNING id",
            )
            .bind(&l.key)
            .bind(micros(now))
            .fetch_one(&mut *tx)
            .await
            .map_err(backend)?;
            ids.push(id);
        }
        tx.commit().await.map_err(backend)?;
        Ok(Reservation::Reserved { ids })
    }

    async fn release_attempt(&self, ids: &[Id]) -> StoreResult<()> {
        for id in ids {
            sqlx::query("DELETE FROM login_failures WHERE id = ?")
                .bind(id)
                .execute(&self.writer)
                .await
                .map_err(backend)?;
        }
        Ok(())
    }

    async fn append_grouped_audit(
        &self,
        group: &str,
        entry: &NewAuditEntry,
        since: DateTime<Utc>,
    ) -> StoreResult<u32> {
        let mut tx = self
            .writer
            .begin_with("BEGIN IMMEDIATE")
            .await
            .map_err(backend)?;
        let found = sqlx::query(
            "SELECT id, repeats FROM audit_log WHERE group_key = ? AND at >= ? ORDER BY id DESC LIMIT 1",
        )
        .bind(group)
        .bind(micros(since))
        .fetch_optional(&mut *tx)
        .await
        .map_err(backend)?;
        let repeats = match found {
            Some(r) => {
                let id: Id = r.try_get("id").map_err(backend)?;
                let n: i64 = r.try_get("repeats").map_err(backend)?;
                let n = n.saturating_add(1);
                sqlx::query("UPDATE audit_log SET repeats = ?, target = ? WHERE id = ?")
                    .bind(n)
                    .bind(grouped_target(&entry.target, n))
                    .bind(id)
                    .execute(&mut *tx)
                    .await
                    .map_err(backend)?;
                n
            }
            None => {
                sqlx::query(
                    "INSERT INTO audit_log (at, user_id, actor, action, target, group_key, repeats)
                     VALUES (?, ?, ?, ?, ?, ?, 1)",
                )
                .bind(micros(entry.at))
                .bind(entry.user_id)
                .bind(&entry.actor)
                .bind(&entry.action)
                .bind(&entry.target)
                .bind(group)
                .execute(&mut *tx)
                .await
                .map_err(backend)?;
                1
            }
        };
        tx.commit().await.map_err(backend)?;
        Ok(u32::try_from(repeats).unwrap_or(u32::MAX))
    }
}
