//! The newsletter: double opt-in subscriptions with preferences, signed links, digest issues of
//! the important stories, and the per-recipient send log that makes delivery exactly-once.
//!
//! Life of a subscription: `pending` (signed up, confirmation e-mail sent) → `confirmed` (the
//! link was followed; receives digests) → `unsubscribed` (one click, effective at once) or
//! `bounced` (a mail server refused the address for good). Signing up again from `unsubscribed`
//! or `bounced` starts over at `pending`.
//!
//! Delivery: an [`Issue`] is made together with one send-log row per recipient (in one write).
//! Senders claim rows in batches with a lease, send outside any transaction, and record `sent`
//! right after the SMTP server accepts; rows whose lease expired (a crashed sender) are claimed
//! again. See [`NewsletterStore::claim_deliveries`] for the window that remains.

pub mod digest;
pub mod token;

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::domain::{EmailAddress, Slug};
use crate::model::{Id, SubscriptionStatus};
use crate::store::StoreResult;

pub use digest::{IssueArticle, select_articles};
pub use token::{TokenError, TokenKey, TokenPurpose, VerifiedToken};

/// The job queue that sends confirmation e-mails (payload: [`ConfirmJob`]).
pub const CONFIRM_QUEUE: &str = "newsletter.confirm";

/// Payload of a [`CONFIRM_QUEUE`] job.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ConfirmJob {
    pub subscriber_id: Id,
    /// The confirmation generation the link is made for; the e-mail is not sent if a newer
    /// sign-up has superseded it.
    pub token_gen: i64,
}

/// The job queue that sends an editor's test copy of the next digest (payload: [`TestSendJob`]).
pub const TEST_SEND_QUEUE: &str = "newsletter.test_send";

/// Payload of a [`TEST_SEND_QUEUE`] job.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TestSendJob {
    pub to: EmailAddress,
}

/// The job queue that sends one issue to its recipients (payload: [`IssueJob`]); the job is
/// retried until every recipient's delivery is final. Enqueue it with [`issue_job`].
pub const ISSUE_QUEUE: &str = "newsletter.issue";

/// Payload of an [`ISSUE_QUEUE`] job.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct IssueJob {
    pub issue_id: Id,
}

/// The job that sends `issue_id`, due at `at`. Deduplicated by issue: while one is queued or
/// running, enqueueing another is a no-op, so every node may ask for an open issue to be sent.
pub fn issue_job(issue_id: Id, at: DateTime<Utc>) -> crate::jobs::NewJob {
    crate::jobs::NewJob::new(ISSUE_QUEUE, serde_json::json!(IssueJob { issue_id }))
        .run_at(at)
        .dedupe_key(format!("issue-{issue_id}"))
        // Each attempt sends what is due; retries of temporary failures can stretch over hours.
        .max_attempts(100)
}

/// The job queue of the digest schedule: one job per day at the send hour makes that day's
/// daily (and on Mondays weekly) issue and queues it on [`ISSUE_QUEUE`].
pub const DIGEST_QUEUE: &str = "newsletter.digest";

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Frequency {
    Daily,
    Weekly,
}

impl Frequency {
    pub fn as_str(self) -> &'static str {
        match self {
            Frequency::Daily => "daily",
            Frequency::Weekly => "weekly",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "daily" => Some(Frequency::Daily),
            "weekly" => Some(Frequency::Weekly),
            _ => None,
        }
    }
}

/// What a subscriber chose on the preferences page.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Preferences {
    pub frequency: Frequency,
    /// Tag slugs; empty means every topic.
    pub topics: Vec<Slug>,
}

impl Default for Preferences {
    fn default() -> Self {
        Preferences {
            frequency: Frequency::Daily,
            topics: Vec::new(),
        }
    }
}

/// A subscriber as the newsletter sees them.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct NewsletterSubscriber {
    pub id: Id,
    pub email: EmailAddress,
    pub status: SubscriptionStatus,
    pub preferences: Preferences,
    /// The confirmation generation: a confirm link works only for the current one.
    pub token_gen: i64,
    pub created_at: DateTime<Utc>,
    pub confirmed_at: Option<DateTime<Utc>>,
}

/// What a sign-up did. The site answers every case the same way.
#[derive(Debug, Clone, PartialEq)]
pub enum SignupResult {
    /// New, or pending/unsubscribed/bounced before: now pending with a fresh confirmation
    /// generation; a confirmation e-mail should go out.
    NeedsConfirmation(NewsletterSubscriber),
    /// Already confirmed: nothing changed.
    AlreadyConfirmed(NewsletterSubscriber),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ConfirmOutcome {
    Confirmed,
    /// The link was used before, superseded by a newer one, or the subscriber is gone.
    AlreadyUsed,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum IssueKind {
    /// For daily subscribers.
    Daily,
    /// For weekly subscribers.
    Weekly,
    /// Sent by an editor or `newsdesk newsletter send`: for every confirmed subscriber.
    Manual,
}

impl IssueKind {
    pub fn as_str(self) -> &'static str {
        match self {
            IssueKind::Daily => "daily",
            IssueKind::Weekly => "weekly",
            IssueKind::Manual => "manual",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "daily" => Some(IssueKind::Daily),
            "weekly" => Some(IssueKind::Weekly),
            "manual" => Some(IssueKind::Manual),
            _ => None,
        }
    }

    /// The subscribers an issue of this kind goes to; `None` is everyone confirmed.
    pub fn audience(self) -> Option<Frequency> {
        match self {
            IssueKind::Daily => Some(Frequency::Daily),
            IssueKind::Weekly => Some(Frequency::Weekly),
            IssueKind::Manual => None,
        }
    }

    /// How far back an issue of this kind looks for stories at most.
    pub fn lookback(self) -> chrono::Duration {
        match self {
            IssueKind::Daily => chrono::Duration::days(1),
            IssueKind::Weekly | IssueKind::Manual => chrono::Duration::days(7),
        }
    }
}

/// The confirmed subscribers an issue would go to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Audience {
    pub members: u64,
    /// Members who have received an issue before.
    pub received_before: u64,
    /// The oldest of those members' latest received issues (its creation time).
    pub oldest_last_received: Option<DateTime<Utc>>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum IssueState {
    /// Some recipients are still to be sent (or retried).
    Sending,
    /// Every recipient's row is final (sent, failed for good, or skipped).
    Done,
}

impl IssueState {
    pub fn as_str(self) -> &'static str {
        match self {
            IssueState::Sending => "sending",
            IssueState::Done => "done",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "sending" => Some(IssueState::Sending),
            "done" => Some(IssueState::Done),
            _ => None,
        }
    }
}

/// An issue to create: a campaign with the stories as they were when it was made.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct NewIssue {
    pub kind: IssueKind,
    pub subject: String,
    pub created_at: DateTime<Utc>,
    /// Stories published after this instant were candidates.
    pub since: DateTime<Utc>,
    pub articles: Vec<IssueArticle>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Issue {
    pub id: Id,
    pub kind: IssueKind,
    pub subject: String,
    pub created_at: DateTime<Utc>,
    pub since: DateTime<Utc>,
    pub articles: Vec<IssueArticle>,
    pub state: IssueState,
    pub finished_at: Option<DateTime<Utc>>,
}

/// A send-log row claimed for sending, with what is needed to write the e-mail.
#[derive(Debug, Clone, PartialEq)]
pub struct ClaimedDelivery {
    pub subscriber_id: Id,
    pub email: EmailAddress,
    pub topics: Vec<Slug>,
    /// When the latest issue this subscriber was sent (other than this one) was made.
    pub last_received: Option<DateTime<Utc>>,
    /// Claims so far, this one included.
    pub attempts: u32,
}

/// Why a delivery failed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DeliveryFailure {
    /// Worth retrying (SMTP 4xx, connection trouble): back to the queue at `retry_at`.
    Temporary {
        error: String,
        retry_at: DateTime<Utc>,
    },
    /// The server refused the address for good (SMTP 5xx): the subscriber is marked bounced.
    Permanent { error: String },
}

/// The send log of one issue, by state.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct DeliveryCounts {
    pub pending: u64,
    /// Claimed; some may have expired leases (their sender died).
    pub sending: u64,
    pub sent: u64,
    pub failed_temp: u64,
    pub failed_perm: u64,
    /// Nothing to send them (no story matched their topics) or they left before their turn.
    pub skipped: u64,
    /// The earliest retry among `failed_temp` rows.
    pub next_retry: Option<DateTime<Utc>>,
}

impl DeliveryCounts {
    pub fn total(&self) -> u64 {
        self.pending + self.sending + self.sent + self.failed_temp + self.failed_perm + self.skipped
    }

    /// Every row is final.
    pub fn is_finished(&self) -> bool {
        self.pending == 0 && self.sending == 0 && self.failed_temp == 0
    }
}

/// How a sign-up rate limit counts: at most `limit` hits per `key` in each fixed window.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RateLimit {
    pub limit: u32,
    pub window: chrono::Duration,
}

impl RateLimit {
    /// The start of the window `now` falls in.
    pub fn window_start(&self, now: DateTime<Utc>) -> DateTime<Utc> {
        let w = self.window.num_seconds().max(1);
        let start = now.timestamp().div_euclid(w) * w;
        DateTime::from_timestamp(start, 0).unwrap_or(now)
    }
}

/// Storage for the newsletter; part of [`crate::Store`].
#[async_trait]
pub trait NewsletterStore: Send + Sync {
    /// The link-signing secret: `candidate` is stored if none exists yet; the stored one is
    /// returned (so every node of a cluster, and every restart, signs with the same key).
    async fn newsletter_secret(&self, candidate: &[u8]) -> StoreResult<Vec<u8>>;

    /// The transport issue `issue` is delivered by: `candidate` is recorded if none is yet
    /// (the first sender wins, on every node); the recorded one is returned.
    async fn issue_transport(&self, issue: Id, candidate: &str) -> StoreResult<String>;

    /// Counts one hit for `key` in the window starting at `window_start` and returns the count
    /// so far (this hit included). Windows older than `window_start` are forgotten.
    async fn rate_limit_hit(&self, key: &str, window_start: DateTime<Utc>) -> StoreResult<u32>;

    /// Signs `email` up: new, pending, unsubscribed or bounced addresses become pending with a
    /// new confirmation generation; a confirmed address is left as it is.
    async fn request_subscription(
        &self,
        email: &EmailAddress,
        now: DateTime<Utc>,
    ) -> StoreResult<SignupResult>;

    async fn newsletter_subscriber(&self, id: Id) -> StoreResult<Option<NewsletterSubscriber>>;

    /// Confirms a pending subscription if `token_gen` is its current generation; the
    /// generation then moves on, so the same link cannot confirm twice.
    async fn confirm_subscription(
        &self,
        id: Id,
        token_gen: i64,
        now: DateTime<Utc>,
    ) -> StoreResult<ConfirmOutcome>;

    /// Unsubscribes now and skips the subscriber's unsent deliveries. False if they were not
    /// pending or confirmed.
    async fn unsubscribe(&self, id: Id, now: DateTime<Utc>) -> StoreResult<bool>;

    /// False if there is no such subscriber.
    async fn set_preferences(&self, id: Id, prefs: &Preferences) -> StoreResult<bool>;

    /// Marks the address bounced (a permanent failure) and skips its unsent deliveries.
    async fn mark_bounced(&self, id: Id, reason: &str, now: DateTime<Utc>) -> StoreResult<bool>;

    /// Subscribers by status.
    async fn count_subscribers(&self, status: SubscriptionStatus) -> StoreResult<u64>;

    /// Who an issue of `kind` would go to now, and the latest issue each of them received.
    async fn audience(&self, kind: IssueKind) -> StoreResult<Audience>;

    /// Important stories visible at `now` that appeared on the site after `since` (published
    /// then, or stored then with an earlier agency time), newest first.
    async fn important_appeared_since(
        &self,
        since: DateTime<Utc>,
        now: DateTime<Utc>,
        limit: u32,
    ) -> StoreResult<Vec<crate::model::Article>>;

    /// Creates the issue and, in the same write, a pending send-log row for each confirmed
    /// subscriber in its audience.
    async fn create_issue(&self, new: &NewIssue) -> StoreResult<Issue>;

    async fn issue(&self, id: Id) -> StoreResult<Option<Issue>>;

    /// The oldest issue still sending, if any (of `kind` when given).
    async fn open_issue(&self, kind: Option<IssueKind>) -> StoreResult<Option<Issue>>;

    /// Latest issues first (of `kind` when given).
    async fn list_issues(&self, kind: Option<IssueKind>, limit: u32) -> StoreResult<Vec<Issue>>;

    /// Claims up to `limit` rows of the issue to send: pending ones, failed ones whose retry is
    /// due, and ones whose lease expired (their sender died). Each becomes `sending` with
    /// `lease_until` and `worker`, and its attempts go up by one. Rows whose subscriber is no
    /// longer confirmed are skipped instead of claimed.
    ///
    /// The remaining window: a sender that dies after the SMTP server accepted a message but
    /// before [`record_sent`](Self::record_sent) committed leaves the row `sending`; once the
    /// lease expires it is sent again (with the same Message-ID). The window is one short write
    /// per message, for at most as many messages as were in flight.
    async fn claim_deliveries(
        &self,
        issue_id: Id,
        worker: &str,
        limit: u32,
        lease_until: DateTime<Utc>,
        now: DateTime<Utc>,
    ) -> StoreResult<Vec<ClaimedDelivery>>;

    /// Records that these recipients' messages were accepted by the SMTP server; returns how
    /// many rows changed.
    async fn record_sent(
        &self,
        issue_id: Id,
        subscriber_ids: &[Id],
        now: DateTime<Utc>,
    ) -> StoreResult<u64>;

    /// Extends the lease of every row `worker` holds in `sending` to `lease_until` (a live
    /// sender's heartbeat, so that a short lease still covers a slow, rate-limited batch);
    /// returns how many rows it holds.
    async fn renew_deliveries(
        &self,
        issue_id: Id,
        worker: &str,
        lease_until: DateTime<Utc>,
    ) -> StoreResult<u64>;

    /// Records that these recipients get nothing from this issue (no story for them).
    async fn record_skipped(&self, issue_id: Id, subscriber_ids: &[Id]) -> StoreResult<u64>;

    /// Records a failed attempt; a permanent failure also marks the subscriber bounced.
    async fn record_failure(
        &self,
        issue_id: Id,
        subscriber_id: Id,
        failure: &DeliveryFailure,
        now: DateTime<Utc>,
    ) -> StoreResult<bool>;

    async fn delivery_counts(&self, issue_id: Id) -> StoreResult<DeliveryCounts>;

    /// Marks the issue done if every row is final; returns whether it is done.
    async fn finish_issue(&self, issue_id: Id, now: DateTime<Utc>) -> StoreResult<bool>;
}

/// The Message-ID of an issue's e-mail to one subscriber: the same on every attempt, so a
/// duplicate after a crash is recognisable (and collapsed by providers that dedupe on it).
pub fn message_id(issue_id: Id, subscriber_id: Id, domain: &str) -> String {
    format!("<issue-{issue_id}.sub-{subscriber_id}@{domain}>")
}
