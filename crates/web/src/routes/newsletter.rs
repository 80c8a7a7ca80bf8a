//! The newsletter's public pages (the admin page is `routes/admin/newsletter.rs`): sign-up (`POST /newsletter`), confirmation, one-click unsubscribe,
//! preferences, and each issue as a web page.
//!
//! Sign-up never says whether an address was already subscribed; a bot that fills the hidden
//! `website` field gets the same answer with nothing stored; sign-ups are rate-limited per client
//! address and per e-mail address (counters in the database, so they hold across nodes). The
//! confirmation e-mail goes out from the job queue, so the request never waits for SMTP.
//!
//! The links in e-mails carry signed tokens (see `newsdesk_core::newsletter::token`): they are
//! the only credential, so the unsubscribe POST (RFC 8058 one-click, sent by mail providers
//! without any cookie or CSRF token) needs nothing else. GET pages never change anything, except
//! the confirmation link, which works once.

use std::net::SocketAddr;

use axum::Router;
use axum::extract::rejection::FormRejection;
use axum::extract::{ConnectInfo, DefaultBodyLimit, Form, Path, Query, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use chrono::{DateTime, Duration, Utc};
use newsdesk_core::jobs::NewJob;
use newsdesk_core::newsletter::{
    CONFIRM_QUEUE, ConfirmJob, ConfirmOutcome, Frequency, IssueArticle, Preferences, RateLimit,
    SignupResult, TokenError, TokenKey, TokenPurpose, VerifiedToken,
};
use newsdesk_core::{EmailAddress, Slug, SubscriptionStatus};
use serde::Deserialize;

use crate::error::{AppError, ErrorPage};
use crate::routes::site::render;
use crate::state::AppState;
use crate::views::{Layout, NewsletterForm, NewsletterPage};

/// A sign-up form is two short fields; anything bigger is not from our form.
pub(crate) const MAX_FORM_BYTES: usize = 4 * 1024;
/// How much of a refused address is echoed back into the form.
const MAX_ECHO_CHARS: usize = 254;
/// Sign-ups from one client address.
const PER_IP: RateLimit = RateLimit {
    limit: 20,
    window: Duration::hours(1),
};
/// Confirmation e-mails to one address: enough for "I did not get it", too few to mail-bomb.
const PER_ADDRESS: RateLimit = RateLimit {
    limit: 3,
    window: Duration::hours(1),
};

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/newsletter", get(newsletter_page).post(sign_up))
        .route("/newsletter/confirm", get(confirm_page).post(confirm))
        .route(
            "/newsletter/unsubscribe",
            get(unsubscribe_page).post(unsubscribe),
        )
        .route(
            "/newsletter/preferences",
            get(preferences_page).post(save_preferences),
        )
        .route("/newsletter/issues/{id}", get(issue_page))
        .layer(DefaultBodyLimit::max(MAX_FORM_BYTES))
}

#[derive(Deserialize)]
pub struct SignupForm {
    #[serde(default)]
    email: String,
    /// The honeypot: hidden from people, tempting to form-filling bots.
    #[serde(default)]
    website: String,
}

#[derive(Deserialize)]
pub struct TokenQuery {
    #[serde(default)]
    token: String,
}

/// An error page response for statuses `AppError` has no variant for (403, 410, 413, 415).
fn error_page(status: StatusCode, message: &str) -> Response {
    let mut res = status.into_response();
    res.extensions_mut().insert(ErrorPage {
        status,
        message: message.to_owned(),
    });
    res
}

/// The link-signing key, loaded from the store once (made there on first use).
async fn key(state: &AppState) -> Result<&TokenKey, AppError> {
    state
        .newsletter_key
        .get_or_try_init(|| async {
            let secret = state
                .store
                .newsletter_secret(&TokenKey::generate_secret())
                .await?;
            Ok::<_, AppError>(TokenKey::new(secret))
        })
        .await
}

fn client_ip(req_ip: Option<SocketAddr>) -> String {
    req_ip.map_or_else(|| "unknown".into(), |a| a.ip().to_string())
}

/// `GET /newsletter`: the sign-up form on a page of its own (links and bookmarks land here).
async fn newsletter_page(State(state): State<AppState>) -> Result<Response, AppError> {
    signup_page(&state, StatusCode::OK, false, NewsletterForm::default())
}

async fn sign_up(
    State(state): State<AppState>,
    extensions: axum::http::Extensions,
    headers: HeaderMap,
    form: Result<Form<SignupForm>, FormRejection>,
) -> Result<Response, AppError> {
    let peer = extensions.get::<ConnectInfo<SocketAddr>>().map(|c| c.0);
    if !crate::csrf::is_same_origin(&headers, &state.site.base_url) {
        tracing::info!("refused a cross-site newsletter sign-up");
        return Ok(error_page(
            StatusCode::FORBIDDEN,
            "This form can only be sent from our own site. Please sign up from one of our pages.",
        ));
    }
    let form = match form {
        Ok(Form(form)) => form,
        Err(rejection) => {
            return Ok(error_page(
                rejection.status(),
                "We could not read that form. Please try again from one of our pages.",
            ));
        }
    };
    if !form.website.is_empty() {
        tracing::info!("newsletter honeypot filled; nothing stored");
        return signup_page(&state, StatusCode::OK, true, NewsletterForm::default());
    }
    let email = match EmailAddress::parse(&form.email) {
        Ok(email) => email,
        Err(invalid) => {
            let value: String = form.email.trim().chars().take(MAX_ECHO_CHARS).collect();
            return signup_page(
                &state,
                StatusCode::UNPROCESSABLE_ENTITY,
                false,
                NewsletterForm {
                    value,
                    error: Some(invalid.0),
                },
            );
        }
    };
    let now = Utc::now();
    let ip_key = format!("signup-ip:{}", client_ip(peer));
    if state
        .store
        .rate_limit_hit(&ip_key, PER_IP.window_start(now))
        .await?
        > PER_IP.limit
    {
        let next = PER_IP.window_start(now) + PER_IP.window;
        return Err(AppError::TooManyRequests(
            u64::try_from((next - now).num_seconds())
                .unwrap_or(60)
                .max(1),
        ));
    }
    let addr_key = format!("signup-addr:{}", email.as_str().to_lowercase());
    let addr_hits = state
        .store
        .rate_limit_hit(&addr_key, PER_ADDRESS.window_start(now))
        .await?;
    if addr_hits > PER_ADDRESS.limit {
        // The same answer as always: the limit must not tell anything about the address.
        tracing::info!("newsletter sign-up over the per-address limit; nothing sent");
        return signup_page(&state, StatusCode::OK, true, NewsletterForm::default());
    }
    let sub = match state.store.request_subscription(&email, now).await? {
        SignupResult::NeedsConfirmation(s) | SignupResult::AlreadyConfirmed(s) => s,
    };
    let payload = serde_json::to_value(ConfirmJob {
        subscriber_id: sub.id,
        token_gen: sub.token_gen,
    })
    .map_err(|e| AppError::Internal(e.into()))?;
    state
        .store
        .enqueue(
            &NewJob::new(CONFIRM_QUEUE, payload)
                .dedupe_key(format!("confirm:{}:{}:{addr_hits}", sub.id, sub.token_gen)),
        )
        .await?;
    signup_page(&state, StatusCode::OK, true, NewsletterForm::default())
}

fn signup_page(
    state: &AppState,
    status: StatusCode,
    done: bool,
    newsletter: NewsletterForm,
) -> Result<Response, AppError> {
    let heading = if done {
        "Check your inbox to confirm"
    } else {
        "Sign up for our newsletter"
    };
    let mut layout = Layout::new(&state.site, heading, "/newsletter");
    layout.noindex = true;
    let view = NewsletterPage {
        layout,
        heading: heading.to_owned(),
        done,
        newsletter,
    };
    Ok((status, private_headers(), render(&view)?).into_response())
}

/// An answer to one visitor (it may hold their token): never cached, never indexed.
fn private_headers() -> [(header::HeaderName, HeaderValue); 2] {
    [
        (
            header::CONTENT_TYPE,
            HeaderValue::from_static("text/html; charset=utf-8"),
        ),
        (header::CACHE_CONTROL, HeaderValue::from_static("no-store")),
    ]
}

pub struct TopicChoice {
    pub slug: String,
    pub name: String,
    pub checked: bool,
}

pub struct PrefsForm {
    pub action: String,
    pub daily: bool,
    pub topics: Vec<TopicChoice>,
}

pub struct IssueView {
    pub date: String,
    pub articles: Vec<IssueArticle>,
}

#[derive(askama::Template)]
#[template(path = "subscription.html")]
pub struct SubscriptionPage {
    pub layout: Layout,
    pub heading: String,
    pub paragraphs: Vec<String>,
    pub unsubscribe_action: Option<String>,
    pub confirm_action: Option<String>,
    pub prefs: Option<PrefsForm>,
    pub issue: Option<IssueView>,
    pub links: Vec<(String, String)>,
    /// The admin page's "send now" form: its CSRF token.
    pub admin_send: Option<String>,
    /// The admin page's "send a test copy" form: its CSRF token.
    pub admin_test_send: Option<String>,
}

impl SubscriptionPage {
    pub(crate) fn new(state: &AppState, heading: &str, path: &str) -> Self {
        let mut layout = Layout::new(&state.site, heading, path);
        layout.noindex = true;
        SubscriptionPage {
            layout,
            heading: heading.to_owned(),
            paragraphs: Vec::new(),
            unsubscribe_action: None,
            confirm_action: None,
            prefs: None,
            issue: None,
            links: Vec::new(),
            admin_send: None,
            admin_test_send: None,
        }
    }

    pub(crate) fn say(mut self, p: &str) -> Self {
        self.paragraphs.push(p.to_owned());
        self
    }

    pub(crate) fn link(mut self, href: &str, label: &str) -> Self {
        self.links.push((href.to_owned(), label.to_owned()));
        self
    }

    pub(crate) fn respond(self, status: StatusCode) -> Result<Response, AppError> {
        Ok((status, private_headers(), render(&self)?).into_response())
    }
}

async fn verify(
    state: &AppState,
    token: &str,
    purpose: TokenPurpose,
    now: DateTime<Utc>,
) -> Result<Result<VerifiedToken, Response>, AppError> {
    Ok(match key(state).await?.verify(token, purpose, now) {
        Ok(v) => Ok(v),
        Err(TokenError::Expired) => Err(error_page(
            StatusCode::GONE,
            "This link has expired. Sign up again from any of our pages to get a new one.",
        )),
        Err(TokenError::Invalid) => Err(error_page(
            StatusCode::BAD_REQUEST,
            "This link is not valid. Please use the link from your e-mail exactly as it is.",
        )),
    })
}

/// The link in the confirmation e-mail opens a page with a button: mail security scanners fetch
/// every link in a message, and must not confirm (or burn the link) on the reader's behalf.
async fn confirm_page(
    State(state): State<AppState>,
    Query(q): Query<TokenQuery>,
) -> Result<Response, AppError> {
    if let Err(page) = verify(&state, &q.token, TokenPurpose::Confirm, Utc::now()).await? {
        return Ok(page);
    }
    let mut page =
        SubscriptionPage::new(&state, "Confirm your subscription", "/newsletter/confirm").say(
            "One more step: press the button to start getting the important stories by e-mail.",
        );
    page.confirm_action = Some(format!("/newsletter/confirm?token={}", q.token.trim()));
    page.respond(StatusCode::OK)
}

async fn confirm(
    State(state): State<AppState>,
    Query(q): Query<TokenQuery>,
) -> Result<Response, AppError> {
    let now = Utc::now();
    let v = match verify(&state, &q.token, TokenPurpose::Confirm, now).await? {
        Ok(v) => v,
        Err(page) => return Ok(page),
    };
    match state
        .store
        .confirm_subscription(v.subscriber_id, v.token_gen, now)
        .await?
    {
        ConfirmOutcome::Confirmed => {
            let prefs =
                key(&state)
                    .await?
                    .sign(TokenPurpose::Preferences, v.subscriber_id, 0, None);
            SubscriptionPage::new(&state, "You are subscribed", "/newsletter/confirm")
                .say("Thank you. You will get the important stories by e-mail; every e-mail has a one-click unsubscribe link.")
                .link(
                    &format!("/newsletter/preferences?token={prefs}"),
                    "Choose how often, and which topics",
                )
                .link("/", "Back to the front page")
                .respond(StatusCode::OK)
        }
        ConfirmOutcome::AlreadyUsed => Ok(error_page(
            StatusCode::GONE,
            "This confirmation link has already been used or replaced by a newer one. If you are not subscribed yet, sign up again from any of our pages.",
        )),
    }
}

async fn unsubscribe_page(
    State(state): State<AppState>,
    Query(q): Query<TokenQuery>,
) -> Result<Response, AppError> {
    if let Err(page) = verify(&state, &q.token, TokenPurpose::Unsubscribe, Utc::now()).await? {
        return Ok(page);
    }
    // A page with a button: link scanners follow GET links, and must not unsubscribe anyone.
    let mut page = SubscriptionPage::new(&state, "Unsubscribe", "/newsletter/unsubscribe")
        .say("Press the button to stop the newsletter. It takes effect at once.");
    page.unsubscribe_action = Some(format!("/newsletter/unsubscribe?token={}", q.token.trim()));
    page.respond(StatusCode::OK)
}

/// RFC 8058 one-click (`List-Unsubscribe=One-Click` from a mail provider) or the page's button.
async fn unsubscribe(
    State(state): State<AppState>,
    Query(q): Query<TokenQuery>,
) -> Result<Response, AppError> {
    let now = Utc::now();
    let v = match verify(&state, &q.token, TokenPurpose::Unsubscribe, now).await? {
        Ok(v) => v,
        Err(page) => return Ok(page),
    };
    state.store.unsubscribe(v.subscriber_id, now).await?;
    SubscriptionPage::new(&state, "You are unsubscribed", "/newsletter/unsubscribe")
        .say("You will get no more newsletters from us. If this was a mistake, sign up again from any of our pages.")
        .link("/", "Back to the front page")
        .respond(StatusCode::OK)
}

async fn preferences_page(
    State(state): State<AppState>,
    Query(q): Query<TokenQuery>,
) -> Result<Response, AppError> {
    let v = match verify(&state, &q.token, TokenPurpose::Preferences, Utc::now()).await? {
        Ok(v) => v,
        Err(page) => return Ok(page),
    };
    let Some(sub) = state.store.newsletter_subscriber(v.subscriber_id).await? else {
        return Err(AppError::NotFound);
    };
    prefs_page(&state, &q.token, &sub.preferences, sub.status, None).await
}

async fn prefs_page(
    state: &AppState,
    token: &str,
    prefs: &Preferences,
    status: SubscriptionStatus,
    saved: Option<&str>,
) -> Result<Response, AppError> {
    let tags = state.store.list_tags().await?;
    let mut page = SubscriptionPage::new(state, "Your newsletter", "/newsletter/preferences");
    if let Some(s) = saved {
        page = page.say(s);
    }
    if status != SubscriptionStatus::Confirmed {
        page = page.say(
            "This address does not receive the newsletter at the moment; sign up again to start.",
        );
    }
    page.prefs = Some(PrefsForm {
        action: format!("/newsletter/preferences?token={}", token.trim()),
        daily: prefs.frequency == Frequency::Daily,
        topics: tags
            .into_iter()
            .map(|t| TopicChoice {
                checked: prefs.topics.contains(&t.slug),
                slug: t.slug.as_str().to_owned(),
                name: t.name,
            })
            .collect(),
    });
    page.respond(StatusCode::OK)
}

async fn save_preferences(
    State(state): State<AppState>,
    Query(q): Query<TokenQuery>,
    headers: HeaderMap,
    body: String,
) -> Result<Response, AppError> {
    // The token proves who; the Origin check proves the form was sent from our page.
    if !crate::csrf::is_same_origin(&headers, &state.site.base_url) {
        return Ok(error_page(
            StatusCode::FORBIDDEN,
            "This form can only be sent from our own site.",
        ));
    }
    let v = match verify(&state, &q.token, TokenPurpose::Preferences, Utc::now()).await? {
        Ok(v) => v,
        Err(page) => return Ok(page),
    };
    let prefs = parse_preferences(&body)?;
    let known = state.store.list_tags().await?;
    if let Some(unknown) = prefs
        .topics
        .iter()
        .find(|t| !known.iter().any(|k| &k.slug == *t))
    {
        return Err(AppError::BadRequest(format!(
            "There is no topic called {unknown}."
        )));
    }
    if !state.store.set_preferences(v.subscriber_id, &prefs).await? {
        return Err(AppError::NotFound);
    }
    let status = state
        .store
        .newsletter_subscriber(v.subscriber_id)
        .await?
        .map_or(SubscriptionStatus::Unsubscribed, |s| s.status);
    prefs_page(&state, &q.token, &prefs, status, Some("Saved.")).await
}

/// `frequency=daily|weekly&topics=a&topics=b` (repeated keys, which serde's form reader does
/// not take). Slugs and the two words need no percent-decoding; anything else is refused.
fn parse_preferences(body: &str) -> Result<Preferences, AppError> {
    let mut prefs = Preferences::default();
    for pair in body.split('&').filter(|p| !p.is_empty()) {
        let (k, v) = pair.split_once('=').unwrap_or((pair, ""));
        match k {
            "frequency" => {
                prefs.frequency = Frequency::parse(v)
                    .ok_or_else(|| AppError::BadRequest("Choose daily or weekly.".into()))?;
            }
            "topics" => {
                let slug =
                    Slug::parse(v).map_err(|_| AppError::BadRequest("Unknown topic.".into()))?;
                if !prefs.topics.contains(&slug) {
                    prefs.topics.push(slug);
                }
            }
            _ => {}
        }
    }
    Ok(prefs)
}

async fn issue_page(
    State(state): State<AppState>,
    Path(id): Path<String>,
) -> Result<Response, AppError> {
    let id: i64 = id.parse().map_err(|_| AppError::NotFound)?;
    let Some(issue) = state.store.issue(id).await? else {
        return Err(AppError::NotFound);
    };
    let mut page =
        SubscriptionPage::new(&state, &issue.subject, &format!("/newsletter/issues/{id}"));
    page.layout.noindex = false;
    page.issue = Some(IssueView {
        date: issue.created_at.format("%-d %B %Y").to_string(),
        articles: issue.articles,
    });
    let html = render(&page)?;
    Ok((
        StatusCode::OK,
        [
            (
                header::CONTENT_TYPE,
                HeaderValue::from_static("text/html; charset=utf-8"),
            ),
            (
                header::CACHE_CONTROL,
                HeaderValue::from_static("public, max-age=300"),
            ),
        ],
        html,
    )
        .into_response())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn preferences_form_reads_repeated_topics_and_refuses_junk() {
        let p = parse_preferences("frequency=weekly&topics=politics&topics=sport&topics=sport")
            .expect("valid");
        assert_eq!(p.frequency, Frequency::Weekly);
        assert_eq!(p.topics.len(), 2);
        assert!(parse_preferences("frequency=hourly").is_err());
        assert!(parse_preferences("topics=%3Cscript%3E").is_err());
        assert_eq!(
            parse_preferences("").expect("empty"),
            Preferences::default()
        );
    }
}
