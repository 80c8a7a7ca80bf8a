//! Who is asking: session cookies for the admin site, bearer tokens for the API, CSRF tokens
//! for admin forms, and login with throttling.
//!
//! Sessions and tokens are random 256-bit values; the store keeps only their SHA-256. A form's
//! CSRF token is an HMAC of the session's token hash under a server secret kept in the database
//! (created on first use, shared by every node), so it needs no storage of its own and dies
//! with the session.

use std::net::SocketAddr;

use axum::extract::{ConnectInfo, FromRequestParts};
use axum::http::request::Parts;
use axum::http::{HeaderMap, HeaderValue, header};
use axum::response::{IntoResponse, Redirect, Response};
use chrono::{DateTime, Utc};
use hmac::{Hmac, Mac as _};
use newsdesk_core::accounts::{
    self, Action, NewAuditEntry, Ownership, SESSION_LIFETIME, SESSION_PREFIX, User,
};
use newsdesk_core::{EmailAddress, Store};
use sha2::Sha256;
use tokio::sync::OnceCell;

use crate::error::AppError;
use crate::state::AppState;

/// Newsroom settings and keys that live as long as the server.
#[derive(Debug, Default)]
pub struct Newsroom {
    csrf_secret: OnceCell<String>,
    /// Webhooks may target loopback and private networks (tests, intranets).
    pub allow_private_webhooks: bool,
}

impl Newsroom {
    pub fn new(allow_private_webhooks: bool) -> Self {
        Newsroom {
            csrf_secret: OnceCell::new(),
            allow_private_webhooks,
        }
    }

    async fn csrf_secret(&self, store: &dyn Store) -> Result<&str, AppError> {
        self.csrf_secret
            .get_or_try_init(|| async {
                let candidate = accounts::new_secret_token("");
                store.server_secret("csrf", &candidate).await
            })
            .await
            .map(String::as_str)
            .map_err(AppError::from)
    }
}

/// `__Host-` makes browsers refuse the cookie unless it is Secure, host-only and `Path=/`;
/// only possible over https, so plain-http deployments (and tests) use the bare name.
pub fn cookie_name(state: &AppState) -> &'static str {
    if is_https(state) {
        "__Host-newsdesk_session"
    } else {
        "newsdesk_session"
    }
}

fn is_https(state: &AppState) -> bool {
    state.site.base_url.starts_with("https://")
}

pub fn session_cookie(state: &AppState, token: &str, expires: DateTime<Utc>) -> HeaderValue {
    let secure = if is_https(state) { "; Secure" } else { "" };
    let max_age = (expires - Utc::now()).num_seconds().max(0);
    let v = format!(
        "{}={token}; Path=/; HttpOnly; SameSite=Lax; Max-Age={max_age}{secure}",
        cookie_name(state)
    );
    HeaderValue::from_str(&v).unwrap_or_else(|_| HeaderValue::from_static(""))
}

pub fn clear_cookie(state: &AppState) -> HeaderValue {
    let secure = if is_https(state) { "; Secure" } else { "" };
    let v = format!(
        "{}=; Path=/; HttpOnly; SameSite=Lax; Max-Age=0{secure}",
        cookie_name(state)
    );
    HeaderValue::from_str(&v).unwrap_or_else(|_| HeaderValue::from_static(""))
}

fn cookie_value<'a>(headers: &'a HeaderMap, name: &str) -> Option<&'a str> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|kv| kv.trim().split_once('='))
        .find(|(k, _)| *k == name)
        .map(|(_, v)| v)
}

/// A signed-in user of the admin site (session cookie).
#[derive(Debug, Clone)]
pub struct AdminUser {
    pub user: User,
    pub session_hash: String,
    /// The token admin forms must send back.
    pub csrf: String,
}

impl AdminUser {
    /// `Forbidden` unless the user may do `action`.
    pub fn require(&self, action: Action, ownership: Ownership) -> Result<(), AppError> {
        if self.user.can(action, ownership) {
            Ok(())
        } else {
            Err(AppError::Forbidden("Your role does not allow this.".into()))
        }
    }

    /// Checks a POSTed form: it must come from our origin and carry this session's CSRF token.
    pub fn verify_form(
        &self,
        state: &AppState,
        headers: &HeaderMap,
        token: &str,
    ) -> Result<(), AppError> {
        let origin_ok = crate::csrf::is_same_origin(headers, &state.site.base_url);
        if !origin_ok || !constant_time_eq(token.as_bytes(), self.csrf.as_bytes()) {
            return Err(AppError::Forbidden(
                "The form has expired or did not come from this site. Reload the page and try again."
                    .into(),
            ));
        }
        Ok(())
    }
}

fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

async fn csrf_for(state: &AppState, session_hash: &str) -> Result<String, AppError> {
    let secret = state.newsroom.csrf_secret(state.store.as_ref()).await?;
    let mut mac = Hmac::<Sha256>::new_from_slice(secret.as_bytes())
        .map_err(|e| AppError::Internal(anyhow::anyhow!("hmac key: {e}")))?;
    mac.update(b"csrf:");
    mac.update(session_hash.as_bytes());
    Ok(hex::encode(mac.finalize().into_bytes()))
}

/// Anyone not signed in is sent to the login page.
pub struct LoginRedirect;

impl IntoResponse for LoginRedirect {
    fn into_response(self) -> Response {
        let mut r = Redirect::to("/admin/login").into_response();
        r.headers_mut()
            .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
        r
    }
}

pub enum AdminRejection {
    Login(LoginRedirect),
    Error(AppError),
}

impl IntoResponse for AdminRejection {
    fn into_response(self) -> Response {
        match self {
            AdminRejection::Login(r) => r.into_response(),
            AdminRejection::Error(e) => e.into_response(),
        }
    }
}

impl FromRequestParts<AppState> for AdminUser {
    type Rejection = AdminRejection;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &AppState,
    ) -> Result<Self, Self::Rejection> {
        let token = cookie_value(&parts.headers, cookie_name(state))
            .filter(|t| t.starts_with(SESSION_PREFIX))
            .ok_or(AdminRejection::Login(LoginRedirect))?;
        let hash = accounts::token_hash(token);
        let found = state
            .store
            .session_user(&hash, Utc::now())
            .await
            .map_err(|e| AdminRejection::Error(e.into()))?;
        let Some((_, user)) = found else {
            return Err(AdminRejection::Login(LoginRedirect));
        };
        if !user.can(Action::UseAdmin, Ownership::None) {
            return Err(AdminRejection::Error(AppError::Forbidden(
                "Your account cannot use the newsroom.".into(),
            )));
        }
        let csrf = csrf_for(state, &hash)
            .await
            .map_err(AdminRejection::Error)?;
        Ok(AdminUser {
            user,
            session_hash: hash,
            csrf,
        })
    }
}

/// A caller of the admin API: `Authorization: Bearer <token>` of an enabled user.
#[derive(Debug, Clone)]
pub struct ApiUser {
    pub user: User,
}

impl ApiUser {
    pub fn require(&self, action: Action, ownership: Ownership) -> Result<(), AppError> {
        if self.user.can(action, ownership) {
            Ok(())
        } else {
            Err(AppError::Forbidden("Your role does not allow this.".into()))
        }
    }
}

impl FromRequestParts<AppState> for ApiUser {
    type Rejection = crate::error::ApiError;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &AppState,
    ) -> Result<Self, Self::Rejection> {
        let token = parts
            .headers
            .get(header::AUTHORIZATION)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| {
                let (scheme, rest) = v.split_once(' ')?;
                scheme.eq_ignore_ascii_case("bearer").then(|| rest.trim())
            })
            .ok_or(AppError::Unauthorized)?;
        let found = state
            .store
            .use_api_token(&accounts::token_hash(token), Utc::now())
            .await?;
        let (_, user) = found.ok_or(AppError::Unauthorized)?;
        Ok(ApiUser { user })
    }
}

/// The client's address, for per-IP throttling (the socket peer; a reverse proxy in front
/// makes every client count as one, which errs on the safe side).
pub fn client_ip(parts_ext: &axum::http::Extensions) -> String {
    parts_ext
        .get::<ConnectInfo<SocketAddr>>()
        .map(|c| c.0.ip().to_string())
        .unwrap_or_else(|| "unknown".into())
}

/// What a login attempt came to.
pub enum LoginOutcome {
    /// The new session's token (for the cookie) and its expiry.
    Ok {
        user: User,
        token: String,
        expires: DateTime<Utc>,
    },
    /// Same answer for an unknown address, a wrong password and a disabled account.
    Invalid,
    Throttled {
        retry_after_secs: u64,
    },
}

/// Checks a password through the bounded hasher, after reserving the attempt (see
/// `newsdesk_core::throttle` for the policy); unknown users get a dummy hash checked so both
/// failures take as long.
pub async fn login(
    state: &AppState,
    email: &str,
    password: &str,
    ip: &str,
) -> Result<LoginOutcome, AppError> {
    use newsdesk_core::throttle::{self, Reservation};
    let store = state.store.as_ref();
    let now = Utc::now();
    let since = now - accounts::THROTTLE_WINDOW;
    let network = ip
        .parse::<std::net::IpAddr>()
        .map(throttle::client_network)
        .unwrap_or_else(|_| ip.to_owned());
    let throttled = |until: DateTime<Utc>| LoginOutcome::Throttled {
        retry_after_secs: u64::try_from((until - now).num_seconds())
            .unwrap_or(0)
            .max(1),
    };
    // Over the account's ceiling (failures from many networks), only networks that have not
    // failed on it are still checked, and slowly: the real user can still sign in.
    let on_account = store
        .login_failures_since(&throttle::key_account(email), since)
        .await?;
    if on_account.count >= throttle::ACCOUNT_CEILING {
        let mine = store
            .login_failures_since(&throttle::key_account_network(email, &network), since)
            .await?;
        if mine.count > 0 {
            let until = mine.oldest.unwrap_or(now) + accounts::THROTTLE_WINDOW;
            return Ok(throttled(until));
        }
        tokio::time::sleep(throttle::CEILING_DELAY).await;
    }
    let ids = match store
        .reserve_attempt(
            &throttle::login_limits(email, &network),
            now,
            accounts::THROTTLE_WINDOW,
        )
        .await?
    {
        Reservation::Blocked { until } => return Ok(throttled(until)),
        Reservation::Reserved { ids } => ids,
    };
    let checked = async {
        let creds = match EmailAddress::parse(email) {
            Ok(e) => store.credentials_by_email(&e).await?,
            Err(_) => None,
        };
        let hash = creds.as_ref().map(|c| c.password_hash.clone());
        let matches = state
            .hasher
            .verify_or_dummy(hash, password.to_owned())
            .await?;
        Ok::<_, AppError>((creds, matches))
    }
    .await;
    let (creds, matches) = match checked {
        Ok(x) => x,
        Err(e) => {
            // Not checked (the hasher was full, or the store failed): not a failure either.
            store.release_attempt(&ids).await?;
            return Err(e);
        }
    };
    match creds {
        Some(c) if matches && !c.user.disabled => {
            store.release_attempt(&ids).await?;
            store
                .clear_login_failures(&throttle::key_account_network(email, &network))
                .await?;
            let token = accounts::new_secret_token(SESSION_PREFIX);
            let expires = now + SESSION_LIFETIME;
            store
                .create_session(c.user.id, &accounts::token_hash(&token), now, expires)
                .await?;
            audit(
                state,
                Some(&c.user),
                "login",
                &format!("user {}", c.user.email),
            )
            .await;
            Ok(LoginOutcome::Ok {
                user: c.user,
                token,
                expires,
            })
        }
        _ => {
            // The reservation stays: it is the recorded failure. One audit row per network
            // and window, however many guesses it stands for.
            let entry = NewAuditEntry {
                at: now,
                user_id: None,
                actor: "anonymous".to_owned(),
                action: "login.failed".to_owned(),
                target: format!("address {email:.100} from {ip}"),
            };
            if let Err(e) = store
                .append_grouped_audit(
                    &throttle::failed_login_group(&network),
                    &entry,
                    throttle::audit_window_start(now),
                )
                .await
            {
                tracing::error!(error = %e, "could not write the audit log");
            }
            Ok(LoginOutcome::Invalid)
        }
    }
}

/// Appends to the audit log; a failure to record is logged, never shown to the user as a
/// failure of what they did (which has happened).
pub async fn audit(state: &AppState, user: Option<&User>, action: &str, target: &str) {
    let entry = NewAuditEntry {
        at: Utc::now(),
        user_id: user.map(|u| u.id),
        actor: user.map_or_else(|| "anonymous".to_owned(), |u| u.email.to_string()),
        action: action.to_owned(),
        target: target.to_owned(),
    };
    if let Err(e) = state.store.append_audit(&entry).await {
        tracing::error!(error = %e, action, "could not write the audit log");
    }
}
