//! [`newsdesk_core::throttle::ThrottleStore`], written once for both backends (issue 10).
//!
//! Count-and-insert runs in one write transaction: on SQLite `BEGIN IMMEDIATE` on the one
//! writer connection already serialises it; on PostgreSQL per-key advisory locks (taken in
//! key order, so two attempts never wait on each other crosswise) stop nodes sharing the
//! database from racing past a limit.

use super::{NAME, ThisStore};
use crate::rows::{backend, grouped_target};
use crate::types::Time;
use async_trait::async_trait;
use chrono::{DateTime, Duration, Utc};
use newsdesk_core::accounts::NewAuditEntry;
use newsdesk_core::throttle::{Limit, Reservation, ThrottleStore};
use newsdesk_core::{Id, StoreResult};

#[async_trait]
impl ThrottleStore for ThisStore {
    async fn reserve_attempt(
        &self,
        limits: &[Limit],
        now: DateTime<Utc>,
        window: Duration,
    ) -> StoreResult<Reservation> {
        let since = now - window;
        let mut tx = self.begin_write().await?;
        if NAME == "postgres" {
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
        }
        let mut blocked: Option<DateTime<Utc>> = None;
        for l in limits {
            // Rows older than the window are never read again; drop them as we go.
            sqlx::query("DELETE FROM login_failures WHERE key = $1 AND at < $2")
                .bind(&l.key)
                .bind(Time(since))
                .execute(&mut *tx)
                .await
                .map_err(backend)?;
            if l.max == u32::MAX {
                continue;
            }
            let (n, oldest): (i64, Option<Time>) = sqlx::query_as(
                "SELECT count(*), min(at) FROM login_failures WHERE key = $1 AND at >= $2",
            )
            .bind(&l.key)
            .bind(Time(since))
            .fetch_one(&mut *tx)
            .await
            .map_err(backend)?;
            if n >= i64::from(l.max) {
                let until = oldest.map_or(now, |t| t.0) + window;
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
            .bind(Time(now))
            .fetch_one(&mut *tx)
            .await
            .map_err(backend)?;
            ids.push(id);
        }
        tx.commit().await.map_err(backend)?;
        Ok(Reservation::Reserved { ids })
    }

    async fn release_attempt(&self, ids: &[Id]) -> StoreResult<()> {
        sqlx::query(concat!("DELETE FROM login_failures WHERE id ", in_list!(1)))
            .bind(super::id_list(ids))
            .execute(self.writer())
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
        let mut tx = self.begin_write().await?;
        if NAME == "postgres" {
            sqlx::query("SELECT pg_advisory_xact_lock(hashtextextended($1, 11))")
                .bind(group)
                .execute(&mut *tx)
                .await
                .map_err(backend)?;
        }
        let found: Option<(Id, i32)> = sqlx::query_as(
            "SELECT id, repeats FROM audit_log WHERE group_key = $1 AND at >= $2
             ORDER BY id DESC LIMIT 1",
        )
        .bind(group)
        .bind(Time(since))
        .fetch_optional(&mut *tx)
        .await
        .map_err(backend)?;
        let repeats = match found {
            Some((id, n)) => {
                let n = n.saturating_add(1);
                sqlx::query("UPDATE audit_log SET repeats = $1, target = $2 WHERE id = $3")
                    .bind(n)
                    .bind(grouped_target(&entry.target, i64::from(n)))
                    .bind(id)
                    .execute(&mut *tx)
                    .await
                    .map_err(backend)?;
                n
            }
            None => {
                sqlx::query(
                    "INSERT INTO audit_log (at, user_id, actor, action, target, group_key, repeats)
                     VALUES ($1, $2, $3, $4, $5, $6, 1)",
                )
                .bind(Time(entry.at))
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
