//! [`newsdesk_core::accounts::AccountStore`] for [`SqliteStore`].

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use newsdesk_core::accounts::*;
use newsdesk_core::{EmailAddress, Id, StoreError, StoreResult};
use sqlx::Row as _;
use sqlx::sqlite::SqliteRow;

use super::{SqliteStore, micros};
use crate::rows::{backend, email_key, micros_to_time, write_error};

const USER_COLUMNS: &str = "id, email, name, role, author_id, created_at, disabled";

fn time(r: &SqliteRow, col: &str) -> StoreResult<DateTime<Utc>> {
    micros_to_time(r.try_get(col).map_err(backend)?, col)
}

fn opt_time(r: &SqliteRow, col: &str) -> StoreResult<Option<DateTime<Utc>>> {
    let v: Option<i64> = r.try_get(col).map_err(backend)?;
    v.map(|m| micros_to_time(m, col)).transpose()
}

pub(super) fn user_row(r: &SqliteRow) -> StoreResult<User> {
    crate::rows::user_from_parts(
        r.try_get("id").map_err(backend)?,
        r.try_get("email").map_err(backend)?,
        r.try_get("name").map_err(backend)?,
        r.try_get("role").map_err(backend)?,
        r.try_get("author_id").map_err(backend)?,
        time(r, "created_at")?,
        r.try_get("disabled").map_err(backend)?,
    )
}

fn token_row(r: &SqliteRow) -> StoreResult<ApiToken> {
    Ok(ApiToken {
        id: r.try_get("id").map_err(backend)?,
        user_id: r.try_get("user_id").map_err(backend)?,
        label: r.try_get("label").map_err(backend)?,
        created_at: time(r, "created_at")?,
        last_used_at: opt_time(r, "last_used_at")?,
        revoked_at: opt_time(r, "revoked_at")?,
    })
}

fn audit_row(r: &SqliteRow) -> StoreResult<AuditEntry> {
    Ok(AuditEntry {
        id: r.try_get("id").map_err(backend)?,
        at: time(r, "at")?,
        user_id: r.try_get("user_id").map_err(backend)?,
        actor: r.try_get("actor").map_err(backend)?,
        action: r.try_get("action").map_err(backend)?,
        target: r.try_get("target").map_err(backend)?,
    })
}

fn webhook_row(r: &SqliteRow) -> StoreResult<Webhook> {
    Ok(Webhook {
        id: r.try_get("id").map_err(backend)?,
        url: r.try_get("url").map_err(backend)?,
        secret: r.try_get("secret").map_err(backend)?,
        created_at: time(r, "created_at")?,
    })
}

fn delivery_row(r: &SqliteRow) -> StoreResult<WebhookDelivery> {
    let attempts: i64 = r.try_get("attempts").map_err(backend)?;
    let last_status: Option<i64> = r.try_get("last_status").map_err(backend)?;
    Ok(WebhookDelivery {
        id: r.try_get("id").map_err(backend)?,
        webhook_id: r.try_get("webhook_id").map_err(backend)?,
        event: r.try_get("event").map_err(backend)?,
        payload: r.try_get("payload").map_err(backend)?,
        status: r.try_get("status").map_err(backend)?,
        attempts: u32::try_from(attempts).unwrap_or(u32::MAX),
        last_status: last_status.and_then(|s| u16::try_from(s).ok()),
        last_error: r.try_get("last_error").map_err(backend)?,
        created_at: time(r, "created_at")?,
        updated_at: time(r, "updated_at")?,
    })
}

#[async_trait]
impl AccountStore for SqliteStore {
    async fn create_user(&self, new: &NewUser, now: DateTime<Utc>) -> StoreResult<User> {
        let row = sqlx::query(sqlx::AssertSqlSafe(format!(
            "INSERT INTO users (email, email_key, name, role, password_hash, author_id, created_at)
             VALUES (?, ?, ?, ?, ?, ?, ?) RETURNING {USER_COLUMNS}"
        )))
        .bind(new.email.as_str())
        .bind(email_key(&new.email))
        .bind(&new.name)
        .bind(new.role.as_str())
        .bind(&new.password_hash)
        .bind(new.author_id)
        .bind(micros(now))
        .fetch_one(&self.writer)
        .await
        .map_err(|e| write_error(e, "email", "author_id"))?;
        user_row(&row)
    }

    async fn user(&self, id: Id) -> StoreResult<Option<User>> {
        let row = sqlx::query(sqlx::AssertSqlSafe(format!(
            "SELECT {USER_COLUMNS} FROM users WHERE id = ?"
        )))
        .bind(id)
        .fetch_optional(&self.writer)
        .await
        .map_err(backend)?;
        row.map(|r| user_row(&r)).transpose()
    }

    async fn credentials_by_email(&self, email: &EmailAddress) -> StoreResult<Option<Credentials>> {
        let row = sqlx::query(sqlx::AssertSqlSafe(format!(
            "SELECT {USER_COLUMNS}, password_hash FROM users WHERE email_key = ?"
        )))
        .bind(email_key(email))
        .fetch_optional(&self.writer)
        .await
        .map_err(backend)?;
        row.map(|r| {
            Ok(Credentials {
                user: user_row(&r)?,
                password_hash: r.try_get("password_hash").map_err(backend)?,
            })
        })
        .transpose()
    }

    async fn list_users(&self) -> StoreResult<Vec<User>> {
        sqlx::query(sqlx::AssertSqlSafe(format!(
            "SELECT {USER_COLUMNS} FROM users ORDER BY email_key"
        )))
        .fetch_all(&self.writer)
        .await
        .map_err(backend)?
        .iter()
        .map(user_row)
        .collect()
    }

    async fn update_user(
        &self,
        id: Id,
        name: &str,
        role: Role,
        author_id: Option<Id>,
    ) -> StoreResult<User> {
        let row = sqlx::query(sqlx::AssertSqlSafe(format!(
            "UPDATE users SET name = ?, role = ?, author_id = ? WHERE id = ? RETURNING {USER_COLUMNS}"
        )))
        .bind(name)
        .bind(role.as_str())
        .bind(author_id)
        .bind(id)
        .fetch_optional(&self.writer)
        .await
        .map_err(|e| write_error(e, "email", "author_id"))?
        .ok_or(StoreError::NotFound)?;
        user_row(&row)
    }

    async fn set_user_disabled(&self, id: Id, disabled: bool) -> StoreResult<User> {
        let mut tx = self
            .writer
            .begin_with("BEGIN IMMEDIATE")
            .await
            .map_err(backend)?;
        let row = sqlx::query(sqlx::AssertSqlSafe(format!(
            "UPDATE users SET disabled = ? WHERE id = ? RETURNING {USER_COLUMNS}"
        )))
        .bind(disabled)
        .bind(id)
        .fetch_optional(&mut *tx)
        .await
        .map_err(backend)?
        .ok_or(StoreError::NotFound)?;
        if disabled {
            sqlx::query("DELETE FROM sessions WHERE user_id = ?")
                .bind(id)
                .execute(&mut *tx)
                .await
                .map_err(backend)?;
        }
        tx.commit().await.map_err(backend)?;
        user_row(&row)
    }

    async fn set_password_hash(
        &self,
        id: Id,
        password_hash: &str,
        keep_session: Option<&str>,
    ) -> StoreResult<u64> {
        let mut tx = self
            .writer
            .begin_with("BEGIN IMMEDIATE")
            .await
            .map_err(backend)?;
        let done = sqlx::query("UPDATE users SET password_hash = ? WHERE id = ?")
            .bind(password_hash)
            .bind(id)
            .execute(&mut *tx)
            .await
            .map_err(backend)?;
        if done.rows_affected() == 0 {
            return Err(StoreError::NotFound);
        }
        // Token hashes are never empty, so '' keeps nothing.
        let ended =
            sqlx::query("DELETE FROM sessions WHERE user_id = ? AND token_hash <> COALESCE(?, '')")
                .bind(id)
                .bind(keep_session)
                .execute(&mut *tx)
                .await
                .map_err(backend)?;
        tx.commit().await.map_err(backend)?;
        Ok(ended.rows_affected())
    }

    async fn create_session(
        &self,
        user_id: Id,
        token_hash: &str,
        now: DateTime<Utc>,
        expires_at: DateTime<Utc>,
    ) -> StoreResult<Session> {
        // Expired sessions are swept here: logins are rare, so this costs nothing noticeable.
        sqlx::query("DELETE FROM sessions WHERE expires_at <= ?")
            .bind(micros(now))
            .execute(&self.writer)
            .await
            .map_err(backend)?;
        let row = sqlx::query(
            "INSERT INTO sessions (user_id, token_hash, created_at, expires_at) VALUES (?, ?, ?, ?)
             RETURNING id",
        )
        .bind(user_id)
        .bind(token_hash)
        .bind(micros(now))
        .bind(micros(expires_at))
        .fetch_one(&self.writer)
        .await
        .map_err(|e| write_error(e, "token", "user_id"))?;
        Ok(Session {
            id: row.try_get("id").map_err(backend)?,
            user_id,
            token_hash: token_hash.to_owned(),
            created_at: crate::rows::truncate_to_micros(now),
            expires_at: crate::rows::truncate_to_micros(expires_at),
        })
    }

    async fn session_user(
        &self,
        token_hash: &str,
        now: DateTime<Utc>,
    ) -> StoreResult<Option<(Session, User)>> {
        let row = sqlx::query(
            "SELECT s.id AS s_id, s.token_hash, s.created_at AS s_created_at, s.expires_at,
                    u.id, u.email, u.name, u.role, u.author_id, u.created_at, u.disabled
             FROM sessions s JOIN users u ON u.id = s.user_id
             WHERE s.token_hash = ? AND s.expires_at > ? AND u.disabled = 0",
        )
        .bind(token_hash)
        .bind(micros(now))
        .fetch_optional(&self.writer)
        .await
        .map_err(backend)?;
        let Some(r) = row else { return Ok(None) };
        let user = user_row(&r)?;
        Ok(Some((
            Session {
                id: r.try_get("s_id").map_err(backend)?,
                user_id: user.id,
                token_hash: r.try_get("token_hash").map_err(backend)?,
                created_at: time(&r, "s_created_at")?,
                expires_at: time(&r, "expires_at")?,
            },
            user,
        )))
    }

    async fn delete_session(&self, token_hash: &str) -> StoreResult<()> {
        sqlx::query("DELETE FROM sessions WHERE token_hash = ?")
            .bind(token_hash)
            .execute(&self.writer)
            .await
            .map_err(backend)?;
        Ok(())
    }

    async fn create_api_token(
        &self,
        user_id: Id,
        label: &str,
        token_hash: &str,
        now: DateTime<Utc>,
    ) -> StoreResult<ApiToken> {
        let row = sqlx::query(
            "INSERT INTO api_tokens (user_id, label, token_hash, created_at) VALUES (?, ?, ?, ?)
             RETURNING id, user_id, label, created_at, last_used_at, revoked_at",
        )
        .bind(user_id)
        .bind(label)
        .bind(token_hash)
        .bind(micros(now))
        .fetch_one(&self.writer)
        .await
        .map_err(|e| write_error(e, "token", "user_id"))?;
        token_row(&row)
    }

    async fn use_api_token(
        &self,
        token_hash: &str,
        now: DateTime<Utc>,
    ) -> StoreResult<Option<(ApiToken, User)>> {
        let row = sqlx::query(
            "UPDATE api_tokens SET last_used_at = ?
             WHERE token_hash = ? AND revoked_at IS NULL
               AND user_id IN (SELECT id FROM users WHERE disabled = 0)
             RETURNING id, user_id, label, created_at, last_used_at, revoked_at",
        )
        .bind(micros(now))
        .bind(token_hash)
        .fetch_optional(&self.writer)
        .await
        .map_err(backend)?;
        let Some(r) = row else { return Ok(None) };
        let token = token_row(&r)?;
        let user = self
            .user(token.user_id)
            .await?
            .ok_or(StoreError::NotFound)?;
        Ok(Some((token, user)))
    }

    async fn list_api_tokens(&self, user_id: Id) -> StoreResult<Vec<ApiToken>> {
        sqlx::query(
            "SELECT id, user_id, label, created_at, last_used_at, revoked_at FROM api_tokens
             WHERE user_id = ? ORDER BY id DESC",
        )
        .bind(user_id)
        .fetch_all(&self.writer)
        .await
        .map_err(backend)?
        .iter()
        .map(token_row)
        .collect()
    }

    async fn revoke_api_token(&self, id: Id, now: DateTime<Utc>) -> StoreResult<()> {
        let done =
            sqlx::query("UPDATE api_tokens SET revoked_at = coalesce(revoked_at, ?) WHERE id = ?")
                .bind(micros(now))
                .bind(id)
                .execute(&self.writer)
                .await
                .map_err(backend)?;
        if done.rows_affected() == 0 {
            return Err(StoreError::NotFound);
        }
        Ok(())
    }

    async fn record_login_failure(&self, key: &str, now: DateTime<Utc>) -> StoreResult<()> {
        // Rows older than the window are never read again; drop them as we go.
        sqlx::query("DELETE FROM login_failures WHERE key = ? AND at < ?")
            .bind(key)
            .bind(micros(now - THROTTLE_WINDOW))
            .execute(&self.writer)
            .await
            .map_err(backend)?;
        sqlx::query("INSERT INTO login_failures (key, at) VALUES (?, ?)")
            .bind(key)
            .bind(micros(now))
            .execute(&self.writer)
            .await
            .map_err(backend)?;
        Ok(())
    }

    async fn login_failures_since(
        &self,
        key: &str,
        since: DateTime<Utc>,
    ) -> StoreResult<FailureCount> {
        let r = sqlx::query(
            "SELECT count(*) AS n, min(at) AS oldest FROM login_failures WHERE key = ? AND at >= ?",
        )
        .bind(key)
        .bind(micros(since))
        .fetch_one(&self.writer)
        .await
        .map_err(backend)?;
        let n: i64 = r.try_get("n").map_err(backend)?;
        Ok(FailureCount {
            count: u32::try_from(n).unwrap_or(u32::MAX),
            oldest: opt_time(&r, "oldest")?,
        })
    }

    async fn clear_login_failures(&self, key: &str) -> StoreResult<()> {
        sqlx::query("DELETE FROM login_failures WHERE key = ?")
            .bind(key)
            .execute(&self.writer)
            .await
            .map_err(backend)?;
        Ok(())
    }

    async fn append_audit(&self, e: &NewAuditEntry) -> StoreResult<AuditEntry> {
        let row = sqlx::query(
            "INSERT INTO audit_log (at, user_id, actor, action, target) VALUES (?, ?, ?, ?, ?)
             RETURNING id, at, user_id, actor, action, target",
        )
        .bind(micros(e.at))
        .bind(e.user_id)
        .bind(&e.actor)
        .bind(&e.action)
        .bind(&e.target)
        .fetch_one(&self.writer)
        .await
        .map_err(|err| write_error(err, "audit", "user_id"))?;
        audit_row(&row)
    }

    async fn list_audit(&self, before: Option<Id>, limit: u32) -> StoreResult<Vec<AuditEntry>> {
        sqlx::query(
            "SELECT id, at, user_id, actor, action, target FROM audit_log
             WHERE id < ? ORDER BY id DESC LIMIT ?",
        )
        .bind(before.unwrap_or(Id::MAX))
        .bind(i64::from(limit.clamp(1, 500)))
        .fetch_all(&self.writer)
        .await
        .map_err(backend)?
        .iter()
        .map(audit_row)
        .collect()
    }

    async fn server_secret(&self, name: &str, candidate: &str) -> StoreResult<String> {
        sqlx::query(
            "INSERT INTO server_secrets (name, value) VALUES (?, ?) ON CONFLICT DO NOTHING",
        )
        .bind(name)
        .bind(candidate)
        .execute(&self.writer)
        .await
        .map_err(backend)?;
        sqlx::query_scalar("SELECT value FROM server_secrets WHERE name = ?")
            .bind(name)
            .fetch_one(&self.writer)
            .await
            .map_err(backend)
    }

    async fn create_webhook(
        &self,
        url: &str,
        secret: &str,
        now: DateTime<Utc>,
    ) -> StoreResult<Webhook> {
        let row = sqlx::query(
            "INSERT INTO webhooks (url, secret, created_at) VALUES (?, ?, ?)
             RETURNING id, url, secret, created_at",
        )
        .bind(url)
        .bind(secret)
        .bind(micros(now))
        .fetch_one(&self.writer)
        .await
        .map_err(backend)?;
        webhook_row(&row)
    }

    async fn list_webhooks(&self) -> StoreResult<Vec<Webhook>> {
        sqlx::query("SELECT id, url, secret, created_at FROM webhooks ORDER BY id")
            .fetch_all(&self.writer)
            .await
            .map_err(backend)?
            .iter()
            .map(webhook_row)
            .collect()
    }

    async fn webhook(&self, id: Id) -> StoreResult<Option<Webhook>> {
        let row = sqlx::query("SELECT id, url, secret, created_at FROM webhooks WHERE id = ?")
            .bind(id)
            .fetch_optional(&self.writer)
            .await
            .map_err(backend)?;
        row.map(|r| webhook_row(&r)).transpose()
    }

    async fn delete_webhook(&self, id: Id) -> StoreResult<()> {
        let done = sqlx::query("DELETE FROM webhooks WHERE id = ?")
            .bind(id)
            .execute(&self.writer)
            .await
            .map_err(backend)?;
        if done.rows_affected() == 0 {
            return Err(StoreError::NotFound);
        }
        Ok(())
    }

    async fn create_webhook_delivery(
        &self,
        webhook_id: Id,
        event: &str,
        payload: &str,
        now: DateTime<Utc>,
    ) -> StoreResult<WebhookDelivery> {
        let row = sqlx::query(
            "INSERT INTO webhook_deliveries (webhook_id, event, payload, status, created_at, updated_at)
             VALUES (?, ?, ?, 'pending', ?, ?) RETURNING *",
        )
        .bind(webhook_id)
        .bind(event)
        .bind(payload)
        .bind(micros(now))
        .bind(micros(now))
        .fetch_one(&self.writer)
        .await
        .map_err(|e| write_error(e, "delivery", "webhook_id"))?;
        delivery_row(&row)
    }

    async fn webhook_delivery(&self, id: Id) -> StoreResult<Option<WebhookDelivery>> {
        let row = sqlx::query("SELECT * FROM webhook_deliveries WHERE id = ?")
            .bind(id)
            .fetch_optional(&self.writer)
            .await
            .map_err(backend)?;
        row.map(|r| delivery_row(&r)).transpose()
    }

    async fn record_webhook_attempt(
        &self,
        id: Id,
        status: &str,
        http_status: Option<u16>,
        error: Option<&str>,
        now: DateTime<Utc>,
    ) -> StoreResult<()> {
        let done = sqlx::query(
            "UPDATE webhook_deliveries
             SET status = ?, attempts = attempts + 1, last_status = ?, last_error = ?, updated_at = ?
             WHERE id = ?",
        )
        .bind(status)
        .bind(http_status.map(i64::from))
        .bind(error)
        .bind(micros(now))
        .bind(id)
        .execute(&self.writer)
        .await
        .map_err(backend)?;
        if done.rows_affected() == 0 {
            return Err(StoreError::NotFound);
        }
        Ok(())
    }

    async fn list_webhook_deliveries(&self, limit: u32) -> StoreResult<Vec<WebhookDelivery>> {
        sqlx::query("SELECT * FROM webhook_deliveries ORDER BY id DESC LIMIT ?")
            .bind(i64::from(limit.clamp(1, 500)))
            .fetch_all(&self.writer)
            .await
            .map_err(backend)?
            .iter()
            .map(delivery_row)
            .collect()
    }
}
