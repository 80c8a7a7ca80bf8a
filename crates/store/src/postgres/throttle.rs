//! [`newsdesk_core::throttle::ThrottleStore`] for [`PgStore`]: count-and-insert in one
//! transaction under per-key advisory locks (taken in key order, so two attempts never wait
//! on each other crosswise), so nodes sharing the database cannot race past a limit.

use async_trait::async_trait;
use chrono::{DateTime, Duration, Utc};
use newsdesk_core::accounts::NewAuditEntry;
use newsdesk_core::throttle::{Limit, Reservation, ThrottleStore};
use newsdesk_core::{Id, StoreResult};
use sqlx::Row as _;

use super::PgStore;
use crate::rows::{backend, grouped_target};

#[async_trait]
impl ThrottleStore for PgStore {
    async fn reserve_attempt(
        &self,
        limits: &[Limit],
        now: DateTime<Utc>,
        window: Duration,
    ) -> StoreResult<Reservation> {
        let since = now - window;
        let mut tx = self.pool.begin().await.map_err(backend)?;
        let mut keys: Vec<&str> = limits.iter().map(|l| l.key.as_str()).collect();
        keys.sort_unstable();
        keys.dedup();
        for k in keys {
            sqlx::query("SELECT pg_advisory_xact_lock(hashtextextended($1, 10))")
                .bind(k)
                .execute(&mut *tx)
                .await
                .map_err(backend)?;
        }
        let mut blocked: Option<DateTime<Utc>> = None;
        for l in limits {
            sqlx::query("DELETE FROM login_failures WHERE key = $1 AND at < $2")
                .bind(&l.key)
                .bind(since)
                .execute(&mut *tx)
                .await
                .map_err(backend)?;
            if l.max == u32::MAX {
                continue;
            }
            let r = sqlx::query(
                "SELECT count(*) AS n, min(at) AS oldest FROM login_failures WHERE key = $1 AND at >= $2",
            )
            .bind(&l.key)
            .bind(since)
            .fetch_one(&mut *tx)
            .await
            .map_err(backend)?;
            let n: i64 = r.try_get("n").map_err(backend)?;
            if n >= i64::from(l.max) {
                let oldest: Option<DateTime<Utc>> = r.try_get("oldest").map_err(backend)?;
                let until = oldest.unwrap_or(now) + window;
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
                "INSERT INTO login_failures (key, at) VALUES ($1, $2) RETURNING id",
            )
            .bind(&l.key)
            .bind(now)
            .fetch_one(&mut *tx)
            .await
            .map_err(backend)?;
            ids.push(id);
        }
        tx.commit().await.map_err(backend)?;
        Ok(Reservation::Reserved { ids })
    }

    async fn release_attempt(&self, ids: &[Id]) -> StoreResult<()> {
        sqlx::query("DELETE FROM login_failures WHERE id = ANY($1)")
            .bind(ids)
            .execute(&self.pool)
            .await
            .map_err(backend)?;
        Ok(())
    }

    async fn append_grouped_audit(
        &self,
        group: &str,
        entry: &NewAuditEntry,
        since: DateTime<Utc>,
    ) -> StoreResult<u32> {
        let mut tx = self.pool.begin().await.map_err(backend)?;
        sqlx::query("SELECT pg_advisory_xact_lock(hashtextextended($1, 11))")
            .bind(group)
            .execute(&mut *tx)
            .await
            .map_err(backend)?;
        let found = sqlx::query(
            "SELECT id, repeats FROM audit_log WHERE group_key = $1 AND at >= $2 ORDER BY id DESC LIMIT 1",
        )
        .bind(group)
        .bind(since)
        .fetch_optional(&mut *tx)
        .await
        .map_err(backend)?;
        let repeats: i64 = match found {
            Some(r) => {
                let id: Id = r.try_get("id").map_err(backend)?;
                let n: i32 = r.try_get("repeats").map_err(backend)?;
                let n = n.saturating_add(1);
                sqlx::query("UPDATE audit_log SET repeats = $1, target = $2 WHERE id = $3")
                    .bind(n)
                    .bind(grouped_target(&entry.target, i64::from(n)))
                    .bind(id)
                    .execute(&mut *tx)
                    .await
                    .map_err(backend)?;
                i64::from(n)
            }
            None => {
                sqlx::query(
                    "INSERT INTO audit_log (at, user_id, actor, action, target, group_key, repeats)
                     VALUES ($1, $2, $3, $4, $5, $6, 1)",
                )
                .bind(entry.at)
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
