//! [`newsdesk_core::accounts::AccountStore`], written once for both backends. Reads on the
//! request path (the session and API-token lookups among them) go to the reader pool.

use super::ThisStore;
use crate::rows::{backend, email_key, write_error};
use crate::types::{self, Time};
use async_trait::async_trait;
use chrono::{DateTime, Utc};
use newsdesk_core::accounts::*;
use newsdesk_core::{EmailAddress, Id, StoreError, StoreResult};

const USER_COLUMNS: &str = "id, email, name, role, author_id, created_at, disabled";

#[derive(sqlx::FromRow)]
pub(super) struct UserRow {
    id: Id,
    email: String,
    name: String,
    role: String,
    author_id: Option<Id>,
    created_at: Time,
    disabled: bool,
}

impl UserRow {
    pub(super) fn into_model(self) -> StoreResult<User> {
        crate::rows::user_from_parts(
            self.id,
            self.email,
            self.name,
            self.role,
            self.author_id,
            self.created_at.0,
            self.disabled,
        )
    }
}

#[derive(sqlx::FromRow)]
struct CredentialsRow {
    #[sqlx(flatten)]
    user: UserRow,
    password_hash: String,
}

#[derive(sqlx::FromRow)]
struct SessionUserRow {
    s_id: Id,
    token_hash: String,
    s_created_at: Time,
    expires_at: Time,
    #[sqlx(flatten)]
    user: UserRow,
}

#[derive(sqlx::FromRow)]
struct TokenRow {
    id: Id,
    user_id: Id,
    label: String,
    created_at: Time,
    last_used_at: Option<Time>,
    revoked_at: Option<Time>,
}

impl From<TokenRow> for ApiToken {
    fn from(r: TokenRow) -> Self {
        ApiToken {
            id: r.id,
            user_id: r.user_id,
            label: r.label,
            created_at: r.created_at.0,
            last_used_at: types::opt(r.last_used_at),
            revoked_at: types::opt(r.revoked_at),
        }
    }
}

#[derive(sqlx::FromRow)]
struct AuditRow {
    id: Id,
    at: Time,
    user_id: Option<Id>,
    actor: String,
    action: String,
    target: String,
}

impl From<AuditRow> for AuditEntry {
    fn from(r: AuditRow) -> Self {
        AuditEntry {
            id: r.id,
            at: r.at.0,
            user_id: r.user_id,
            actor: r.actor,
            action: r.action,
            target: r.target,
        }
    }
}

#[derive(sqlx::FromRow)]
struct WebhookRow {
    id: Id,
    url: String,
    secret: String,
    created_at: Time,
}

impl From<WebhookRow> for Webhook {
    fn from(r: WebhookRow) -> Self {
        Webhook {
            id: r.id,
            url: r.url,
            secret: r.secret,
            created_at: r.created_at.0,
        }
    }
}

#[derive(sqlx::FromRow)]
struct DeliveryRow {
    id: Id,
    webhook_id: Id,
    event: String,
    payload: String,
    status: String,
    attempts: i64,
    last_status: Option<i64>,
    last_error: Option<String>,
    created_at: Time,
    updated_at: Time,
}

impl From<DeliveryRow> for WebhookDelivery {
    fn from(r: DeliveryRow) -> Self {
        WebhookDelivery {
            id: r.id,
            webhook_id: r.webhook_id,
            event: r.event,
            payload: r.payload,
            status: r.status,
            attempts: u32::try_from(r.attempts).unwrap_or(u32::MAX),
            last_status: r.last_status.and_then(|s| u16::try_from(s).ok()),
            last_error: r.last_error,
            created_at: r.created_at.0,
            updated_at: r.updated_at.0,
        }
    }
}

#[async_trait]
impl AccountStore for ThisStore {
    async fn create_user(&self, new: &NewUser, now: DateTime<Utc>) -> StoreResult<User> {
        let row: UserRow = sqlx::query_as(sqlx::AssertSqlSafe(format!(
            "INSERT INTO users (email, email_key, name, role, password_hash, author_id, created_at)
             VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING {USER_COLUMNS}"
        )))
        .bind(new.email.as_str())
        .bind(email_key(&new.email))
        .bind(&new.name)
        .bind(new.role.as_str())
        .bind(&new.password_hash)
        .bind(new.author_id)
        .bind(Time(now))
        .fetch_one(self.writer())
        .await
        .map_err(|e| write_error(e, "email", "author_id"))?;
        row.into_model()
    }

    async fn user(&self, id: Id) -> StoreResult<Option<User>> {
        let row: Option<UserRow> = sqlx::query_as(sqlx::AssertSqlSafe(format!(
            "SELECT {USER_COLUMNS} FROM users WHERE id = $1"
        )))
        .bind(id)
        .fetch_optional(self.reader())
        .await
        .map_err(backend)?;
        row.map(UserRow::into_model).transpose()
    }

    async fn credentials_by_email(&self, email: &EmailAddress) -> StoreResult<Option<Credentials>> {
        let row: Option<CredentialsRow> = sqlx::query_as(sqlx::AssertSqlSafe(format!(
            "SELECT {USER_COLUMNS}, password_hash FROM users WHERE email_key = $1"
        )))
        .bind(email_key(email))
        .fetch_optional(self.reader())
        .await
        .map_err(backend)?;
        row.map(|r| {
            Ok(Credentials {
                user: r.user.into_model()?,
                password_hash: r.password_hash,
            })
        })
        .transpose()
    }

    async fn list_users(&self) -> StoreResult<Vec<User>> {
        sqlx::query_as(sqlx::AssertSqlSafe(format!(
            "SELECT {USER_COLUMNS} FROM users ORDER BY email_key"
        )))
        .fetch_all(self.reader())
        .await
        .map_err(backend)?
        .into_iter()
        .map(UserRow::into_model)
        .collect()
    }

    async fn update_user(
        &self,
        id: Id,
        name: &str,
        role: Role,
        author_id: Option<Id>,
    ) -> StoreResult<User> {
        let row: UserRow = sqlx::query_as(sqlx::AssertSqlSafe(format!(
            "UPDATE users SET name = $1, role = $2, author_id = $3 WHERE id = $4 RETURNING {USER_COLUMNS}"
        )))
        .bind(name)
        .bind(role.as_str())
        .bind(author_id)
        .bind(id)
        .fetch_optional(self.writer())
        .await
        .map_err(|e| write_error(e, "email", "author_id"))?
        .ok_or(StoreError::NotFound)?;
        row.into_model()
    }

    async fn set_user_disabled(&self, id: Id, disabled: bool) -> StoreResult<User> {
        let mut tx = self.begin_write().await?;
        let row: UserRow = sqlx::query_as(sqlx::AssertSqlSafe(format!(
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
        row.into_model()
    }

    async fn set_password_hash(
        &self,
        id: Id,
        password_hash: &str,
        keep_session: Option<&str>,
    ) -> StoreResult<u64> {
        let mut tx = self.begin_write().await?;
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
            "DELETE FROM sessions WHERE user_id = $1 AND token_hash <> COALESCE($2, '')",
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
            .bind(Time(now))
            .execute(self.writer())
            .await
            .map_err(backend)?;
        let id: Id = sqlx::query_scalar(
            "INSERT INTO sessions (user_id, token_hash, created_at, expires_at) VALUES ($1, $2, $3, $4)
             RETURNING id",
        )
        .bind(user_id)
        .bind(token_hash)
        .bind(Time(now))
        .bind(Time(expires_at))
        .fetch_one(self.writer())
        .await
        .map_err(|e| write_error(e, "token", "user_id"))?;
        Ok(Session {
            id,
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
        // Every request of a signed-in editor asks this: the reader pool, never the writer.
        let row: Option<SessionUserRow> = sqlx::query_as(
            "SELECT s.id AS s_id, s.token_hash, s.created_at AS s_created_at, s.expires_at,
                    u.id, u.email, u.name, u.role, u.author_id, u.created_at, u.disabled
             FROM sessions s JOIN users u ON u.id = s.user_id
             WHERE s.token_hash = $1 AND s.expires_at > $2 AND NOT u.disabled",
        )
        .bind(token_hash)
        .bind(Time(now))
        .fetch_optional(self.reader())
        .await
        .map_err(backend)?;
        let Some(r) = row else { return Ok(None) };
        let user = r.user.into_model()?;
        Ok(Some((
            Session {
                id: r.s_id,
                user_id: user.id,
                token_hash: r.token_hash,
                created_at: r.s_created_at.0,
                expires_at: r.expires_at.0,
            },
            user,
        )))
    }

    async fn delete_session(&self, token_hash: &str) -> StoreResult<()> {
        sqlx::query("DELETE FROM sessions WHERE token_hash = $1")
            .bind(token_hash)
            .execute(self.writer())
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
        let row: TokenRow = sqlx::query_as(
            "INSERT INTO api_tokens (user_id, label, token_hash, created_at) VALUES ($1, $2, $3, $4)
             RETURNING id, user_id, label, created_at, last_used_at, revoked_at",
        )
        .bind(user_id)
        .bind(label)
        .bind(token_hash)
        .bind(Time(now))
        .fetch_one(self.writer())
        .await
        .map_err(|e| write_error(e, "token", "user_id"))?;
        Ok(row.into())
    }

    async fn use_api_token(
        &self,
        token_hash: &str,
        now: DateTime<Utc>,
    ) -> StoreResult<Option<(ApiToken, User)>> {
        let row: Option<TokenRow> = sqlx::query_as(
            "UPDATE api_tokens SET last_used_at = $1
             WHERE token_hash = $2 AND revoked_at IS NULL
               AND user_id IN (SELECT id FROM users WHERE NOT disabled)
             RETURNING id, user_id, label, created_at, last_used_at, revoked_at",
        )
        .bind(Time(now))
        .bind(token_hash)
        .fetch_optional(self.writer())
        .await
        .map_err(backend)?;
        let Some(r) = row else { return Ok(None) };
        let token = ApiToken::from(r);
        let user = self
            .user(token.user_id)
            .await?
            .ok_or(StoreError::NotFound)?;
        Ok(Some((token, user)))
    }

    async fn list_api_tokens(&self, user_id: Id) -> StoreResult<Vec<ApiToken>> {
        let rows: Vec<TokenRow> = sqlx::query_as(
            "SELECT id, user_id, label, created_at, last_used_at, revoked_at FROM api_tokens
             WHERE user_id = $1 ORDER BY id DESC",
        )
        .bind(user_id)
        .fetch_all(self.reader())
        .await
        .map_err(backend)?;
        Ok(rows.into_iter().map(ApiToken::from).collect())
    }

    async fn revoke_api_token(&self, id: Id, now: DateTime<Utc>) -> StoreResult<()> {
        let done = sqlx::query(
            "UPDATE api_tokens SET revoked_at = coalesce(revoked_at, $1) WHERE id = $2",
        )
        .bind(Time(now))
        .bind(id)
        .execute(self.writer())
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
            .bind(Time(now - THROTTLE_WINDOW))
            .execute(self.writer())
            .await
            .map_err(backend)?;
        sqlx::query("INSERT INTO login_failures (key, at) VALUES ($1, $2)")
            .bind(key)
            .bind(Time(now))
            .execute(self.writer())
            .await
            .map_err(backend)?;
        Ok(())
    }

    async fn login_failures_since(
        &self,
        key: &str,
        since: DateTime<Utc>,
    ) -> StoreResult<FailureCount> {
        let (n, oldest): (i64, Option<Time>) = sqlx::query_as(
            "SELECT count(*), min(at) FROM login_failures WHERE key = $1 AND at >= $2",
        )
        .bind(key)
        .bind(Time(since))
        .fetch_one(self.reader())
        .await
        .map_err(backend)?;
        Ok(FailureCount {
            count: u32::try_from(n).unwrap_or(u32::MAX),
            oldest: types::opt(oldest),
        })
    }

    async fn clear_login_failures(&self, key: &str) -> StoreResult<()> {
        sqlx::query("DELETE FROM login_failures WHERE key = $1")
            .bind(key)
            .execute(self.writer())
            .await
            .map_err(backend)?;
        Ok(())
    }

    async fn append_audit(&self, e: &NewAuditEntry) -> StoreResult<AuditEntry> {
        let row: AuditRow = sqlx::query_as(
            "INSERT INTO audit_log (at, user_id, actor, action, target) VALUES ($1, $2, $3, $4, $5)
             RETURNING id, at, user_id, actor, action, target",
        )
        .bind(Time(e.at))
        .bind(e.user_id)
        .bind(&e.actor)
        .bind(&e.action)
        .bind(&e.target)
        .fetch_one(self.writer())
        .await
        .map_err(|err| write_error(err, "audit", "user_id"))?;
        Ok(row.into())
    }

    async fn list_audit(&self, before: Option<Id>, limit: u32) -> StoreResult<Vec<AuditEntry>> {
        let rows: Vec<AuditRow> = sqlx::query_as(
            "SELECT id, at, user_id, actor, action, target FROM audit_log
             WHERE id < $1 ORDER BY id DESC LIMIT $2",
        )
        .bind(before.unwrap_or(Id::MAX))
        .bind(i64::from(limit.clamp(1, 500)))
        .fetch_all(self.reader())
        .await
        .map_err(backend)?;
        Ok(rows.into_iter().map(AuditEntry::from).collect())
    }

    async fn server_secret(&self, name: &str, candidate: &str) -> StoreResult<String> {
        sqlx::query(
            "INSERT INTO server_secrets (name, value) VALUES ($1, $2) ON CONFLICT DO NOTHING",
        )
        .bind(name)
        .bind(candidate)
        .execute(self.writer())
        .await
        .map_err(backend)?;
        sqlx::query_scalar("SELECT value FROM server_secrets WHERE name = $1")
            .bind(name)
            .fetch_one(self.writer())
            .await
            .map_err(backend)
    }

    async fn create_webhook(
        &self,
        url: &str,
        secret: &str,
        now: DateTime<Utc>,
    ) -> StoreResult<Webhook> {
        let row: WebhookRow = sqlx::query_as(
            "INSERT INTO webhooks (url, secret, created_at) VALUES ($1, $2, $3)
             RETURNING id, url, secret, created_at",
        )
        .bind(url)
        .bind(secret)
        .bind(Time(now))
        .fetch_one(self.writer())
        .await
        .map_err(backend)?;
        Ok(row.into())
    }

    async fn list_webhooks(&self) -> StoreResult<Vec<Webhook>> {
        let rows: Vec<WebhookRow> =
            sqlx::query_as("SELECT id, url, secret, created_at FROM webhooks ORDER BY id")
                .fetch_all(self.reader())
                .await
                .map_err(backend)?;
        Ok(rows.into_iter().map(Webhook::from).collect())
    }

    async fn webhook(&self, id: Id) -> StoreResult<Option<Webhook>> {
        let row: Option<WebhookRow> =
            sqlx::query_as("SELECT id, url, secret, created_at FROM webhooks WHERE id = $1")
                .bind(id)
                .fetch_optional(self.reader())
                .await
                .map_err(backend)?;
        Ok(row.map(Webhook::from))
    }

    async fn delete_webhook(&self, id: Id) -> StoreResult<()> {
        let done = sqlx::query("DELETE FROM webhooks WHERE id = $1")
            .bind(id)
            .execute(self.writer())
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
        let row: DeliveryRow = sqlx::query_as(
            "INSERT INTO webhook_deliveries (webhook_id, event, payload, status, created_at, updated_at)
             VALUES ($1, $2, $3, 'pending', $4, $5) RETURNING *",
        )
        .bind(webhook_id)
        .bind(event)
        .bind(payload)
        .bind(Time(now))
        .bind(Time(now))
        .fetch_one(self.writer())
        .await
        .map_err(|e| write_error(e, "delivery", "webhook_id"))?;
        Ok(row.into())
    }

    async fn webhook_delivery(&self, id: Id) -> StoreResult<Option<WebhookDelivery>> {
        let row: Option<DeliveryRow> =
            sqlx::query_as("SELECT * FROM webhook_deliveries WHERE id = $1")
                .bind(id)
                .fetch_optional(self.reader())
                .await
                .map_err(backend)?;
        Ok(row.map(WebhookDelivery::from))
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
        .bind(Time(now))
        .bind(id)
        .execute(self.writer())
        .await
        .map_err(backend)?;
        if done.rows_affected() == 0 {
            return Err(StoreError::NotFound);
        }
        Ok(())
    }

    async fn list_webhook_deliveries(&self, limit: u32) -> StoreResult<Vec<WebhookDelivery>> {
        let rows: Vec<DeliveryRow> =
            sqlx::query_as("SELECT * FROM webhook_deliveries ORDER BY id DESC LIMIT $1")
                .bind(i64::from(limit.clamp(1, 500)))
                .fetch_all(self.reader())
                .await
                .map_err(backend)?;
        Ok(rows.into_iter().map(WebhookDelivery::from).collect())
    }
}
