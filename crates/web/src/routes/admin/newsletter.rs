//! `/admin/newsletter`: the next digest as it would go out, subscriber and delivery counts,
//! "send now" and "send a test copy", in the newsroom's layout.

use askama::Template;
use axum::Router;
use axum::extract::{DefaultBodyLimit, State};
use axum::response::Response;
use axum::routing::{get, post};
use chrono::Utc;
use newsdesk_core::accounts::{Action, Ownership};
use newsdesk_core::jobs::NewJob;
use newsdesk_core::{EmailAddress, SubscriptionStatus};
use serde::Deserialize;

use super::{Chrome, audited_change, page};
use crate::auth::AdminUser;
use crate::csrf::CsrfForm;
use crate::error::AppError;
use crate::routes::newsletter::{IssueView, MAX_FORM_BYTES};
use crate::state::AppState;

pub(super) fn routes() -> Router<AppState> {
    Router::new()
        .route("/admin/newsletter", get(admin_page))
        .route("/admin/newsletter/send", post(admin_send))
        .route("/admin/newsletter/test-send", post(admin_test_send))
        .layer(DefaultBodyLimit::max(MAX_FORM_BYTES))
}

#[derive(Template)]
#[template(path = "admin/newsletter.html")]
struct NewsletterView {
    chrome: Chrome,
    paragraphs: Vec<String>,
    issue: Option<IssueView>,
    can_send: bool,
}

/// `/admin/newsletter` (editors and admins): the next digest as it would go out now, subscriber
/// counts, the latest issues' delivery counts, and "send now". Sending is done by `serve`'s
/// background loop, which picks the new issue up within a minute (the request never waits for
/// SMTP); a test copy goes out the same way, through the `newsletter.test_send` job.
async fn admin_page(State(state): State<AppState>, who: AdminUser) -> Result<Response, AppError> {
    who.require(Action::Review, Ownership::None)?;
    let now = Utc::now();
    let next = newsdesk_core::newsletter::digest::next_issue(
        state.store.as_ref(),
        &state.site.title,
        newsdesk_core::newsletter::IssueKind::Manual,
        now,
    )
    .await?;
    let mut view = NewsletterView {
        chrome: Chrome::new(&state, &who, "Newsletter", "newsletter"),
        paragraphs: Vec::new(),
        issue: None,
        can_send: false,
    };
    let mut counts = Vec::new();
    for s in [
        SubscriptionStatus::Confirmed,
        SubscriptionStatus::Pending,
        SubscriptionStatus::Unsubscribed,
        SubscriptionStatus::Bounced,
    ] {
        counts.push(format!(
            "{} {}",
            state.store.count_subscribers(s).await?,
            s.as_str()
        ));
    }
    view.paragraphs
        .push(format!("Subscribers: {}.", counts.join(", ")));
    for issue in state.store.list_issues(None, 5).await? {
        let c = state.store.delivery_counts(issue.id).await?;
        view.paragraphs.push(format!(
            "Issue {} ({}, {}): sent {}, skipped {}, to send {}, retrying {}, failed {}.",
            issue.id,
            issue.kind.as_str(),
            issue.state.as_str(),
            c.sent,
            c.skipped,
            c.pending + c.sending,
            c.failed_temp,
            c.failed_perm
        ));
    }
    if next.articles.is_empty() {
        view.paragraphs
            .push("No important stories since the last issue: there is nothing to send.".into());
    } else {
        view.paragraphs
            .push(format!("Next digest: {}", next.subject));
        view.can_send = true;
    }
    view.issue = Some(IssueView {
        date: now.format("%-d %B %Y").to_string(),
        articles: next.articles,
    });
    page(view)
}

async fn admin_send(
    State(state): State<AppState>,
    CsrfForm { who, .. }: CsrfForm,
) -> Result<Response, AppError> {
    let queue = async {
        if state.store.open_issue(None).await?.is_some() {
            return Err(AppError::Conflict(
                "An issue is still being sent; wait for it to finish.".into(),
            ));
        }
        let next = newsdesk_core::newsletter::digest::next_issue(
            state.store.as_ref(),
            &state.site.title,
            newsdesk_core::newsletter::IssueKind::Manual,
            Utc::now(),
        )
        .await?;
        let audience = state
            .store
            .audience(newsdesk_core::newsletter::IssueKind::Manual)
            .await?;
        if let Some(why) = newsdesk_core::newsletter::digest::nothing_to_send(&next, &audience) {
            return Err(AppError::Conflict(format!(
                "There is nothing to send: {why}."
            )));
        }
        let issue = state.store.create_issue(&next).await?;
        // Sent by the mail worker; were this enqueue lost, the next start or digest check resumes it.
        state
            .store
            .enqueue(&newsdesk_core::newsletter::issue_job(issue.id, Utc::now()))
            .await?;
        Ok(issue.id.to_string())
    };
    let review = Some(Action::Review);
    audited_change(
        &state,
        &who,
        review,
        "newsletter.send",
        "/admin/newsletter",
        queue,
    )
    .await
}

#[derive(Deserialize)]
pub struct TestSendForm {
    #[serde(default)]
    to: String,
}

/// Queues a test copy of the next digest to one address (the job sends it; nothing is recorded).
async fn admin_test_send(
    State(state): State<AppState>,
    CsrfForm { who, form }: CsrfForm<TestSendForm>,
) -> Result<Response, AppError> {
    use newsdesk_core::newsletter::{TEST_SEND_QUEUE, TestSendJob};
    who.require(Action::Review, Ownership::None)?;
    let to = EmailAddress::parse(form.to.trim()).map_err(|e| AppError::Unprocessable(e.0))?;
    let payload = serde_json::to_value(TestSendJob { to: to.clone() })
        .map_err(|e| AppError::Internal(e.into()))?;
    state
        .store
        .enqueue(&NewJob::new(TEST_SEND_QUEUE, payload))
        .await?;
    crate::auth::audit(&state, Some(&who.user), "newsletter.test_send", to.as_str()).await;
    let view = NewsletterView {
        chrome: Chrome::new(&state, &who, "Test copy on its way", "newsletter"),
        paragraphs: vec![format!(
            "A test copy of the next digest is being sent to {}. It is not recorded as an issue.",
            to.as_str()
        )],
        issue: None,
        can_send: false,
    };
    page(view)
}
