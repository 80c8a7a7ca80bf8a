//! Accounts of the people who run the site: users, roles and what each may do, passwords,
//! sessions, API tokens, login throttling, the audit log, and admin-configured webhooks.
//!
//! Secrets never reach the store in the clear: passwords as Argon2id PHC strings, session and
//! API tokens as the hex SHA-256 of a random 256-bit value (the value itself goes to the client
//! once). Argon2 is slow on purpose: call [`hash_password`] and [`verify_password`] from
//! `spawn_blocking`, never on the async executor.

use async_trait::async_trait;
use chrono::{DateTime, Duration, Utc};
use serde::{Deserialize, Serialize};
use sha2::Digest as _;

use crate::domain::{EmailAddress, InvalidInput};
use crate::model::Id;
use crate::store::StoreResult;

// ---------------------------------------------------------------- roles and permissions

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, PartialOrd, Ord)]
#[serde(rename_all = "lowercase")]
pub enum Role {
    Author,
    Editor,
    Admin,
}

impl Role {
    pub fn as_str(self) -> &'static str {
        match self {
            Role::Admin => "admin",
            Role::Editor => "editor",
            Role::Author => "author",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        match s.trim().to_ascii_lowercase().as_str() {
            "admin" => Some(Role::Admin),
            "editor" => Some(Role::Editor),
            "author" => Some(Role::Author),
            _ => None,
        }
    }

    pub const ALL: [Role; 3] = [Role::Admin, Role::Editor, Role::Author];
}

/// Something a user may try to do.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Action {
    /// Open the admin at all.
    UseAdmin,
    CreateArticle,
    /// Change an article's text, photo, tags (not its status).
    EditArticle,
    /// Publish, schedule or unpublish.
    PublishArticle,
    DeleteArticle,
    /// Ask an editor to look at a draft.
    SubmitForReview,
    /// Approve, edit or reject agency copy and submitted drafts.
    Review,
    UploadPhoto,
    /// Create and edit tags and author profiles.
    ManageTaxonomy,
    ManageUsers,
    ManageSettings,
    ManageSources,
    ManageWebhooks,
    ViewAuditLog,
}

/// Whose article an action is about, for the actions where that matters.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Ownership {
    /// The acting user writes as one of the article's authors.
    Own,
    Others,
    /// Not about one article.
    None,
}

/// The permission model, written once: least privilege, each role a superset of the one below.
pub fn can(role: Role, action: Action, ownership: Ownership) -> bool {
    use Action::*;
    match role {
        Role::Admin => true,
        Role::Editor => !matches!(
            action,
            ManageUsers | ManageSettings | ManageSources | ManageWebhooks | ViewAuditLog
        ),
        Role::Author => match action {
            UseAdmin | CreateArticle | UploadPhoto => true,
            EditArticle | SubmitForReview => ownership == Ownership::Own,
            _ => false,
        },
    }
}

// ---------------------------------------------------------------- users

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct User {
    pub id: Id,
    pub email: EmailAddress,
    pub name: String,
    pub role: Role,
    /// The author profile this user writes as; their own articles are the ones it is on.
    pub author_id: Option<Id>,
    pub created_at: DateTime<Utc>,
    pub disabled: bool,
}

impl User {
    pub fn can(&self, action: Action, ownership: Ownership) -> bool {
        !self.disabled && can(self.role, action, ownership)
    }

    /// Whether `article` is this user's own: their author profile is on its byline.
    pub fn owns(&self, article: &crate::model::Article) -> Ownership {
        match self.author_id {
            Some(a) if article.authors.iter().any(|x| x.id == a) => Ownership::Own,
            _ => Ownership::Others,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewUser {
    pub email: EmailAddress,
    pub name: String,
    pub role: Role,
    /// An Argon2id PHC string from [`hash_password`].
    pub password_hash: String,
    pub author_id: Option<Id>,
}

/// A user and what their password must match.
#[derive(Debug, Clone)]
pub struct Credentials {
    pub user: User,
    pub password_hash: String,
}

// ---------------------------------------------------------------- passwords

/// A password that meets the rules; kept out of `Debug` output.
pub struct Password(String);

impl std::fmt::Debug for Password {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Password(REDACTED)")
    }
}

impl Password {
    pub const MIN_CHARS: usize = 10;
    /// Argon2 hashes anything, but a megabyte "password" is an attack on the CPU.
    pub const MAX_BYTES: usize = 1024;

    pub fn parse(raw: &str) -> Result<Self, InvalidInput> {
        if raw.chars().count() < Self::MIN_CHARS {
            return Err(InvalidInput(format!(
                "the password must have at least {} characters",
                Self::MIN_CHARS
            )));
        }
        if raw.len() > Self::MAX_BYTES {
            return Err(InvalidInput(format!(
                "the password must have at most {} bytes",
                Self::MAX_BYTES
            )));
        }
        Ok(Password(raw.to_owned()))
    }

    pub fn expose(&self) -> &str {
        &self.0
    }
}

#[derive(Debug, thiserror::Error)]
#[error("password hashing failed: {0}")]
pub struct HashError(String);

/// An Argon2id PHC string (salted; the parameters are kept in the string). CPU-heavy.
pub fn hash_password(password: &Password) -> Result<String, HashError> {
    use argon2::password_hash::{PasswordHasher as _, SaltString, rand_core::OsRng};
    let salt = SaltString::generate(&mut OsRng);
    argon2::Argon2::default()
        .hash_password(password.0.as_bytes(), &salt)
        .map(|h| h.to_string())
        .map_err(|e| HashError(e.to_string()))
}

/// Whether `password` matches `phc`; a malformed hash never matches. CPU-heavy.
pub fn verify_password(phc: &str, password: &str) -> bool {
    use argon2::password_hash::{PasswordHash, PasswordVerifier as _};
    let Ok(parsed) = PasswordHash::new(phc) else {
        return false;
    };
    argon2::Argon2::default()
        .verify_password(password.as_bytes(), &parsed)
        .is_ok()
}

/// A hash to check an unknown user's password against, so that a login attempt for an
/// address nobody has takes as long as one with a wrong password (no user enumeration).
pub fn dummy_password_hash() -> &'static str {
    static DUMMY: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    DUMMY.get_or_init(|| {
        hash_password(&Password("not the password of anyone".into())).unwrap_or_default()
    })
}

// ---------------------------------------------------------------- tokens

/// A fresh random 256-bit secret, URL-safe base64, with a prefix saying what it is for
/// (`nds_` sessions, `ndt_` API tokens) so a leaked one is recognisable.
pub fn new_secret_token(prefix: &str) -> String {
    use base64::Engine as _;
    let bytes: [u8; 32] = rand::random();
    format!(
        "{prefix}{}",
        base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes)
    )
}

/// What the store keeps of a token: hex SHA-256. A database leak does not leak live tokens.
pub fn token_hash(token: &str) -> String {
    hex::encode(sha2::Sha256::digest(token.as_bytes()))
}

pub const SESSION_PREFIX: &str = "nds_";
pub const API_TOKEN_PREFIX: &str = "ndt_";

/// How long a session lasts after login.
pub const SESSION_LIFETIME: Duration = Duration::days(7);

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Session {
    pub id: Id,
    pub user_id: Id,
    pub token_hash: String,
    pub created_at: DateTime<Utc>,
    pub expires_at: DateTime<Utc>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ApiToken {
    pub id: Id,
    pub user_id: Id,
    pub label: String,
    pub created_at: DateTime<Utc>,
    pub last_used_at: Option<DateTime<Utc>>,
    pub revoked_at: Option<DateTime<Utc>>,
}

// ---------------------------------------------------------------- throttling

/// Failed logins allowed per account, and per client address, within [`THROTTLE_WINDOW`].
pub const MAX_FAILURES_PER_ACCOUNT: u32 = 5;
pub const MAX_FAILURES_PER_IP: u32 = 20;
pub const THROTTLE_WINDOW: Duration = Duration::minutes(15);

/// The key failed attempts are counted under. Accounts are keyed by the lower-cased address
/// given (known or not, so throttling does not reveal which exist).
pub fn throttle_key_account(email: &str) -> String {
    format!("account:{}", email.trim().to_lowercase())
}

pub fn throttle_key_ip(ip: &str) -> String {
    format!("ip:{ip}")
}

/// Recent failures under one key.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct FailureCount {
    pub count: u32,
    pub oldest: Option<DateTime<Utc>>,
}

impl FailureCount {
    /// When more attempts are allowed again, if `max` is reached.
    pub fn blocked_until(&self, max: u32) -> Option<DateTime<Utc>> {
        if self.count >= max {
            self.oldest.map(|o| o + THROTTLE_WINDOW)
        } else {
            None
        }
    }
}

// ---------------------------------------------------------------- audit log

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AuditEntry {
    pub id: Id,
    pub at: DateTime<Utc>,
    pub user_id: Option<Id>,
    /// Who, as they were known then (kept even if the user is renamed).
    pub actor: String,
    /// e.g. `article.publish`, `user.add`, `login.failed`.
    pub action: String,
    /// e.g. `article 12`.
    pub target: String,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewAuditEntry {
    pub at: DateTime<Utc>,
    pub user_id: Option<Id>,
    pub actor: String,
    pub action: String,
    pub target: String,
}

// ---------------------------------------------------------------- webhooks

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Webhook {
    pub id: Id,
    pub url: String,
    /// The HMAC key deliveries are signed with; shown to the admin once, when created.
    #[serde(skip_serializing)]
    pub secret: String,
    pub created_at: DateTime<Utc>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct WebhookDelivery {
    pub id: Id,
    pub webhook_id: Id,
    pub event: String,
    /// The exact bytes sent, so every retry is signed over the same body.
    pub payload: String,
    /// `pending`, `delivered` or `failed` (given up).
    pub status: String,
    pub attempts: u32,
    pub last_status: Option<u16>,
    pub last_error: Option<String>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

// ---------------------------------------------------------------- the store

/// Storage for this area; part of [`crate::Store`].
#[async_trait]
pub trait AccountStore: Send + Sync {
    // --- users
    /// A new user; `Conflict("email")` if the address (in any case) is taken.
    async fn create_user(&self, new: &NewUser, now: DateTime<Utc>) -> StoreResult<User>;
    async fn user(&self, id: Id) -> StoreResult<Option<User>>;
    /// The user with this address (in any case) and their password hash.
    async fn credentials_by_email(&self, email: &EmailAddress) -> StoreResult<Option<Credentials>>;
    /// All users, by e-mail address.
    async fn list_users(&self) -> StoreResult<Vec<User>>;
    async fn update_user(
        &self,
        id: Id,
        name: &str,
        role: Role,
        author_id: Option<Id>,
    ) -> StoreResult<User>;
    /// Disabling also ends the user's sessions.
    async fn set_user_disabled(&self, id: Id, disabled: bool) -> StoreResult<User>;
    /// Sets a new password hash and, in the same transaction, ends the user's sessions except
    /// `keep_session` (the token hash of the session that made the change, if any), so that a
    /// stolen session dies with the old password. Returns how many sessions ended.
    async fn set_password_hash(
        &self,
        id: Id,
        password_hash: &str,
        keep_session: Option<&str>,
    ) -> StoreResult<u64>;

    // --- sessions
    async fn create_session(
        &self,
        user_id: Id,
        token_hash: &str,
        now: DateTime<Utc>,
        expires_at: DateTime<Utc>,
    ) -> StoreResult<Session>;
    /// The live session with this token hash and its user, if neither expired nor disabled.
    async fn session_user(
        &self,
        token_hash: &str,
        now: DateTime<Utc>,
    ) -> StoreResult<Option<(Session, User)>>;
    async fn delete_session(&self, token_hash: &str) -> StoreResult<()>;

    // --- API tokens
    async fn create_api_token(
        &self,
        user_id: Id,
        label: &str,
        token_hash: &str,
        now: DateTime<Utc>,
    ) -> StoreResult<ApiToken>;
    /// The unrevoked token with this hash and its enabled user; records `last_used_at = now`.
    async fn use_api_token(
        &self,
        token_hash: &str,
        now: DateTime<Utc>,
    ) -> StoreResult<Option<(ApiToken, User)>>;
    /// A user's tokens, newest first, revoked ones included.
    async fn list_api_tokens(&self, user_id: Id) -> StoreResult<Vec<ApiToken>>;
    async fn revoke_api_token(&self, id: Id, now: DateTime<Utc>) -> StoreResult<()>;

    // --- login throttling (in the database, so every node sees the same counts)
    async fn record_login_failure(&self, key: &str, now: DateTime<Utc>) -> StoreResult<()>;
    async fn login_failures_since(
        &self,
        key: &str,
        since: DateTime<Utc>,
    ) -> StoreResult<FailureCount>;
    async fn clear_login_failures(&self, key: &str) -> StoreResult<()>;

    // --- audit log
    async fn append_audit(&self, entry: &NewAuditEntry) -> StoreResult<AuditEntry>;
    /// Newest first; `before` continues after the entry with that id.
    async fn list_audit(&self, before: Option<Id>, limit: u32) -> StoreResult<Vec<AuditEntry>>;

    // --- server secrets
    /// The secret stored under `name`, storing `candidate` first if there is none. Every node
    /// sharing the database ends up with the same value.
    async fn server_secret(&self, name: &str, candidate: &str) -> StoreResult<String>;

    // --- webhooks
    async fn create_webhook(
        &self,
        url: &str,
        secret: &str,
        now: DateTime<Utc>,
    ) -> StoreResult<Webhook>;
    async fn list_webhooks(&self) -> StoreResult<Vec<Webhook>>;
    async fn webhook(&self, id: Id) -> StoreResult<Option<Webhook>>;
    async fn delete_webhook(&self, id: Id) -> StoreResult<()>;
    async fn create_webhook_delivery(
        &self,
        webhook_id: Id,
        event: &str,
        payload: &str,
        now: DateTime<Utc>,
    ) -> StoreResult<WebhookDelivery>;
    async fn webhook_delivery(&self, id: Id) -> StoreResult<Option<WebhookDelivery>>;
    /// Records one attempt: its HTTP status or error, and the new status.
    async fn record_webhook_attempt(
        &self,
        id: Id,
        status: &str,
        http_status: Option<u16>,
        error: Option<&str>,
        now: DateTime<Utc>,
    ) -> StoreResult<()>;
    /// Newest first.
    async fn list_webhook_deliveries(&self, limit: u32) -> StoreResult<Vec<WebhookDelivery>>;
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn authors_edit_only_their_own_articles_and_never_publish() {
        assert!(can(Role::Author, Action::EditArticle, Ownership::Own));
        assert!(!can(Role::Author, Action::EditArticle, Ownership::Others));
        assert!(!can(Role::Author, Action::PublishArticle, Ownership::Own));
        assert!(can(Role::Author, Action::SubmitForReview, Ownership::Own));
        assert!(!can(Role::Author, Action::Review, Ownership::None));
        assert!(!can(Role::Author, Action::ManageUsers, Ownership::None));
    }

    #[test]
    fn editors_handle_every_article_but_not_users_or_sources() {
        for o in [Ownership::Own, Ownership::Others] {
            assert!(can(Role::Editor, Action::EditArticle, o));
            assert!(can(Role::Editor, Action::PublishArticle, o));
        }
        assert!(can(Role::Editor, Action::Review, Ownership::None));
        assert!(!can(Role::Editor, Action::ManageUsers, Ownership::None));
        assert!(!can(Role::Editor, Action::ManageSources, Ownership::None));
        assert!(can(Role::Admin, Action::ManageUsers, Ownership::None));
    }

    #[test]
    fn short_passwords_are_refused_and_hashes_verify() {
        assert!(Password::parse("short").is_err());
        let pw = Password::parse("correct horse battery").unwrap();
        let phc = hash_password(&pw).unwrap();
        assert!(phc.starts_with("$argon2id$"));
        assert!(verify_password(&phc, "correct horse battery"));
        assert!(!verify_password(&phc, "wrong horse battery"));
        assert!(!verify_password("not a hash", "correct horse battery"));
        assert!(!format!("{pw:?}").contains("horse"));
    }

    #[test]
    fn tokens_are_random_and_only_their_hash_is_kept() {
        let a = new_secret_token(API_TOKEN_PREFIX);
        let b = new_secret_token(API_TOKEN_PREFIX);
        assert_ne!(a, b);
        assert!(a.starts_with("ndt_") && a.len() > 40);
        assert_eq!(token_hash(&a).len(), 64);
        assert_ne!(token_hash(&a), token_hash(&b));
    }

    #[test]
    fn throttle_blocks_until_the_oldest_failure_leaves_the_window() {
        let t = Utc::now();
        let f = FailureCount {
            count: 5,
            oldest: Some(t),
        };
        assert_eq!(f.blocked_until(5), Some(t + THROTTLE_WINDOW));
        assert_eq!(f.blocked_until(6), None);
    }
}
