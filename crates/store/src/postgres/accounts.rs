//! [`newsdesk_core::accounts::AccountStore`] for [`PgStore`].

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use newsdesk_core::accounts::*;
use newsdesk_core::{EmailAddress, Id, StoreError, StoreResult};
use sqlx::Row as _;
use sqlx::postgres::PgRow;

use super::PgStore;
use crate::rows::{backend, email_key, write_error};

const USER_COLUMNS: &str = "id, email, name, role, author_id, created_at, disabled";

fn time(r: &PgRow, col: &str) -> StoreResult<DateTime<Utc>> {
    r.try_get(col).map_err(backend)
}

fn opt_time(r: &PgRow, col: &str) -> StoreResult<Option<DateTime<Utc>>> {
    r.try_get(col).map_err(backend)
}

pub(super) fn user_row(r: &PgRow) -> StoreResult<User> {
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

fn token_row(r: &PgRow) -> StoreResult<ApiToken> {
    Ok(ApiToken {
        id: r.try_get("id").map_err(backend)?,
        user_id: r.try_get("user_id").map_err(backend)?,
        label: r.try_get("label").map_err(backend)?,
        created_at: time(r, "created_at")?,
        last_used_at: opt_time(r, "last_used_at")?,
        revoked_at: opt_time(r, "revoked_at")?,
    })
}

fn audit_row(r: &PgRow) -> StoreResult<AuditEntry> {
    Ok(AuditEntry {
        id: r.try_get("id").map_err(backend)?,
        at: time(r, "at")?,
        user_id: r.try_get("user_id").map_err(backend)?,
        actor: r.try_get("actor").map_err(backend)?,
        action: r.try_get("action").map_err(backend)?,
        target: r.try_get("target").map_err(backend)?,
    })
}

fn webhook_row(r: &PgRow) -> StoreResult<Webhook> {
    Ok(Webhook {
        id: r.try_get("id").map_err(backend)?,
        url: r.try_get("url").map_err(backend)?,
        secret: r.try_get("secret").map_err(backend)?,
        created_at: time(r, "created_at")?,
    })
}

fn delivery_row(r: &PgRow) -> StoreResult<WebhookDelivery> {
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
impl AccountStore for PgStore {
    async fn create_user(&self, new: &NewUser, now: DateTime<Utc>) -> StoreResult<User> {
        let row = sqlx::query(sqlx::AssertSqlSafe(format!(
            "INSERT INTO users (email, email_key, name, role, password_hash, author_id, created_at)
             VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING {USER_COLUMNS}"
        )))
        .bind(new.email.as_str())
        .bind(email_key(&new.email))
        .bind(&new.name)
        .bind(new.role.as_str())
        .bind(&new.password_hash)
        .bind(new.author_id)
        .bind(now)
        .fetch_one(&self.pool)
        .await
        .map_err(|e| write_error(e, "email", "author_id"))?;
        user_row(&row)
    }

    async fn user(&self, id: Id) -> StoreResult<Option<User>> {
        let row = sqlx::query(sqlx::AssertSqlSafe(format!(
            "SELECT {USER_COLUMNS} FROM users WHERE id = $1"
        )))
        .bind(id)
        .fetch_optional(&self.pool)
        .await
        .map_err(backend)?;
        row.map(|r| user_row(&r)).transpose()
    }

    async fn credentials_by_email(&self, email: &EmailAddress) -> StoreResult<Option<Credentials>> {
        let row = sqlx::query(sqlx::AssertSqlSafe(format!(
            "SELECT {USER_COLUMNS}, password_hash FROM users WHERE email_key = $1"
        )))
        .bind(email_key(email))
        .fetch_optional(&self.pool)
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
        .fetch_all(&self.pool)
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
            "UPDATE users SET name = $1, role = $2, author_id = $3 WHERE id = $4 RETURNING {USER_COLUMNS}"
        )))
        .bind(name)
        .bind(role.as_str())
        .bind(author_id)
        .bind(id)
        .fetch_optional(&self.pool)
        .await
        .map_err(|e| write_error(e, "email", "author_id"))?
        .ok_or(StoreError::NotFound)?;
        user_row(&row)
    }

    async fn set_user_disabled(&self, id: Id, disabled: bool) -> StoreResult<User> {
        let mut tx = self.pool.begin().await.map_err(backend)?;
        let row = sqlx::query(sqlx::AssertSqlSafe(format!(
            "UPDATE users SET disabled = $1 WHERE id = $2 RETURNING {USER_COLUMNS}"
        )))
        .bind(disabled)
        .bind(id)
        .fetch_optional(&mut *tx)
        .await
        .map_err(backend)?
        .ok_or(StoreError::NotFound)?;
        if disabled {
            sqlx::query("DELETE FROM sessions WHERE user_id = $1")
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
        let mut tx = self.pool.begin().await.map_err(backend)?;
        let done = sqlx::query("UPDATE users SET password_hash = $1 WHERE id = $2")
            .bind(password_hash)
            .bind(id)
            .execute(&mut *tx)
            .await
            .map_err(backend)?;
        if done.rows_affected() == 0 {
            return Err(StoreError::NotFound);
        }
        // Token hashes are never empty, so '' keeps nothing.
        let ended = sqlx::query(
            "DELETE FROM sessions WHERE user_id = $1 AND token_hash <> COALESCE($2::text, '')",
        )
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
        sqlx::query("DELETE FROM sessions WHERE expires_at <= $1")
            .bind(now)
            .execute(&self.pool)
            .await
            .map_err(backend)?;
        let row = sqlx::query(
            "INSERT INTO sessions (user_id, token_hash, created_at, expires_at) VALUES ($1, $2, $3, $4)
             RETURNING id",
        )
        .bind(user_id)
        .bind(token_hash)
        .bind(now)
        .bind(expires_at)
        .fetch_one(&self.pool)
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
             WHERE s.token_hash = $1 AND s.expires_at > $2 AND NOT u.disabled",
        )
        .bind(token_hash)
        .bind(now)
        .fetch_optional(&self.pool)
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
        sqlx::query("DELETE FROM sessions WHERE token_hash = $1")
            .bind(token_hash)
            .execute(&self.pool)
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
            "INSERT INTO api_tokens (user_id, label, token_hash, created_at) VALUES ($1, $2, $3, $4)
             RETURNING id, user_id, label, created_at, last_used_at, revoked_at",
        )
        .bind(user_id)
        .bind(label)
        .bind(token_hash)
        .bind(now)
        .fetch_one(&self.pool)
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
            "UPDATE api_tokens SET last_used_at = $1
             WHERE token_hash = $2 AND revoked_at IS NULL
               AND user_id IN (SELECT id FROM users WHERE NOT disabled)
             RETURNING id, user_id, label, created_at, last_used_at, revoked_at",
        )
        .bind(now)
        .bind(token_hash)
        .fetch_optional(&self.pool)
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
             WHERE user_id = $1 ORDER BY id DESC",
        )
        .bind(user_id)
        .fetch_all(&self.pool)
        .await
        .map_err(backend)?
        .iter()
        .map(token_row)
        .collect()
    }

    async fn revoke_api_token(&self, id: Id, now: DateTime<Utc>) -> StoreResult<()> {
        let done = sqlx::query(
            "UPDATE api_tokens SET revoked_at = coalesce(revoked_at, $1) WHERE id = $2",
        )
        .bind(now)
        .bind(id)
        .execute(&self.pool)
        .await
        .map_err(backend)?;
        if done.rows_affected() == 0 {
            return Err(StoreError::NotFound);
        }
        Ok(())
    }

    async fn record_login_failure(&self, key: &str, now: DateTime<Utc>) -> StoreResult<()> {
        // Rows older than the window are never read again; drop them as we go.
        sqlx::query("DELETE FROM login_failures WHERE key = $1 AND at < $2")
            .bind(key)
            .bind(now - THROTTLE_WINDOW)
            .execute(&self.pool)
            .await
            .map_err(backend)?;
        sqlx::query("INSERT INTO login_failures (key, at) VALUES ($1, $2)")
            .bind(key)
            .bind(now)
            .execute(&self.pool)
            .await
            .map_err(backend)?;
        Ok(())
    }

    async fn login_failures_since(
        &self,
        key: &str,
        since: DateTime<Utc>,
    ) -> StoreResult<FailureCount> {
        let r = sqlx::query("SELECT count(*) AS n, min(at) AS oldest FROM login_failures WHERE key = $1 AND at >= $2")
            .bind(key)
            .bind(since)
            .fetch_one(&self.pool)
            .await
            .map_err(backend)?;
        let n: i64 = r.try_get("n").map_err(backend)?;
        Ok(FailureCount {
            count: u32::try_from(n).unwrap_or(u32::MAX),
            oldest: opt_time(&r, "oldest")?,
        })
    }

    async fn clear_login_failures(&self, key: &str) -> StoreResult<()> {
        sqlx::query("DELETE FROM login_failures WHERE key = $1")
            .bind(key)
            .execute(&self.pool)
            .await
            .map_err(backend)?;
        Ok(())
    }

    async fn append_audit(&self, e: &NewAuditEntry) -> StoreResult<AuditEntry> {
        let row = sqlx::query(
            "INSERT INTO audit_log (at, user_id, actor, action, target) VALUES ($1, $2, $3, $4, $5)
             RETURNING id, at, user_id, actor, action, target",
        )
        .bind(e.at)
        .bind(e.user_id)
        .bind(&e.actor)
        .bind(&e.action)
        .bind(&e.target)
        .fetch_one(&self.pool)
        .await
        .map_err(|err| write_error(err, "audit", "user_id"))?;
        audit_row(&row)
    }

    async fn list_audit(&self, before: Option<Id>, limit: u32) -> StoreResult<Vec<AuditEntry>> {
        sqlx::query(
            "SELECT id, at, user_id, actor, action, target FROM audit_log
             WHERE id < $1 ORDER BY id DESC LIMIT $2",
        )
        .bind(before.unwrap_or(Id::MAX))
        .bind(i64::from(limit.clamp(1, 500)))
        .fetch_all(&self.pool)
        .await
        .map_err(backend)?
        .iter()
        .map(audit_row)
        .collect()
    }

    async fn server_secret(&self, name: &str, candidate: &str) -> StoreResult<String> {
        sqlx::query(
            "INSERT INTO server_secrets (name, value) VALUES ($1, $2) ON CONFLICT DO NOTHING",
        )
        .bind(name)
        .bind(candidate)
        .execute(&self.pool)
        .await
        .map_err(backend)?;
        sqlx::query_scalar("SELECT value FROM server_secrets WHERE name = $1")
            .bind(name)
            .fetch_one(&self.pool)
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
            "INSERT INTO webhooks (url, secret, created_at) VALUES ($1, $2, $3)
             RETURNING id, url, secret, created_at",
        )
        .bind(url)
        .bind(secret)
        .bind(now)
        .fetch_one(&self.pool)
        .await
        .map_err(backend)?;
        webhook_row(&row)
    }

    async fn list_webhooks(&self) -> StoreResult<Vec<Webhook>> {
        sqlx::query("SELECT id, url, secret, created_at FROM webhooks ORDER BY id")
            .fetch_all(&self.pool)
            .await
            .map_err(backend)?
            .iter()
            .map(webhook_row)
            .collect()
    }

    async fn webhook(&self, id: Id) -> StoreResult<Option<Webhook>> {
        let row = sqlx::query("SELECT id, url, secret, created_at FROM webhooks WHERE id = $1")
            .bind(id)
            .fetch_optional(&self.pool)
            .await
            .map_err(backend)?;
        row.map(|r| webhook_row(&r)).transpose()
    }

    async fn delete_webhook(&self, id: Id) -> StoreResult<()> {
        let done = sqlx::query("DELETE FROM webhooks WHERE id = $1")
            .bind(id)
            .execute(&self.pool)
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
             VALUES ($1, $2, $3, 'pending', $4, $5) RETURNING *",
        )
        .bind(webhook_id)
        .bind(event)
        .bind(payload)
        .bind(now)
        .bind(now)
        .fetch_one(&self.pool)
        .await
        .map_err(|e| write_error(e, "delivery", "webhook_id"))?;
        delivery_row(&row)
    }

    async fn webhook_delivery(&self, id: Id) -> StoreResult<Option<WebhookDelivery>> {
        let row = sqlx::query("SELECT * FROM webhook_deliveries WHERE id = $1")
            .bind(id)
            .fetch_optional(&self.pool)
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
             SET status = $1, attempts = attempts + 1, last_status = $2, last_error = $3, updated_at = $4
             WHERE id = $5",
        )
        .bind(status)
        .bind(http_status.map(i64::from))
        .bind(error)
        .bind(now)
        .bind(id)
        .execute(&self.pool)
        .await
        .map_err(backend)?;
        if done.rows_affected() == 0 {
            return Err(StoreError::NotFound);
        }
        Ok(())
    }

    async fn list_webhook_deliveries(&self, limit: u32) -> StoreResult<Vec<WebhookDelivery>> {
        sqlx::query("SELECT * FROM webhook_deliveries ORDER BY id DESC LIMIT $1")
            .bind(i64::from(limit.clamp(1, 500)))
            .fetch_all(&self.pool)
            .await
            .map_err(backend)?
            .iter()
            .map(delivery_row)
            .collect()
    }
}
