//! The newsletter's orchestration on the job queue: sending an issue is a job
//! ([`ISSUE_QUEUE`], retried until every delivery is final), and the digest schedule is a chain
//! of daily jobs ([`DIGEST_QUEUE`], one per day at the send hour) that make the day's digests and
//! queue them. [`Mail::setup`] builds the transport and composer from the configuration, and
//! [`Mail::worker`] wires every mail queue (confirmations, password resets, test copies, issues,
//! the schedule) into one [`Worker`]; [`start`] queues what a starting node owes: the unfinished
//! issue and the next digest check.
//!
//! Nothing here polls: a node that starts, or an editor who presses "send", enqueues a job, and
//! the deduplication keys (per issue, per schedule day) keep several nodes from doubling up.

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;
use chrono::{DateTime, Datelike as _, NaiveDate, Timelike as _, Utc};
use newsdesk_core::jobs::{Backoff, Job, JobError, JobHandler, NewJob, Worker, error_chain};
use newsdesk_core::newsletter::{
    CONFIRM_QUEUE, DIGEST_QUEUE, ISSUE_QUEUE, IssueJob, IssueKind, TEST_SEND_QUEUE, TokenKey,
    digest, issue_job,
};
use newsdesk_core::site::SiteSettings;
use newsdesk_core::{Store, StoreError};
use serde::{Deserialize, Serialize};

use crate::confirm::ConfirmHandler;
use crate::delivery::{DeliveryOptions, send_issue};
use crate::password_reset::PasswordResetHandler;
use crate::test_send::TestSendHandler;
use crate::{Composer, MailConfig, Transport};

type Clock = Arc<dyn Fn() -> DateTime<Utc> + Send + Sync>;

#[derive(Debug, thiserror::Error)]
pub enum SetupError {
    #[error("cannot load the newsletter signing secret")]
    Secret(#[source] StoreError),
    #[error(transparent)]
    Compose(#[from] crate::ComposeError),
    #[error(transparent)]
    Transport(#[from] crate::transport::TransportError),
}

/// What sending needs: the transport and the composer (which holds the link-signing key).
#[derive(Clone)]
pub struct Mail {
    pub transport: Arc<Transport>,
    pub composer: Arc<Composer>,
}

impl Mail {
    /// Loads (or, on first start, makes) the signing secret and sets up transport and composer.
    pub async fn setup(
        store: &dyn Store,
        site: &SiteSettings,
        config: &MailConfig,
        outbox_dir: &Path,
    ) -> Result<Mail, SetupError> {
        let secret = store
            .newsletter_secret(&TokenKey::generate_secret())
            .await
            .map_err(SetupError::Secret)?;
        let composer = Composer::new(site.clone(), config, TokenKey::new(secret))?;
        let hello = url::Url::parse(&site.base_url)
            .ok()
            .and_then(|u| u.host_str().map(str::to_owned))
            .unwrap_or_else(|| "localhost".into());
        let transport = Transport::new(&config.servers(), config.connections, &hello, outbox_dir)?;
        Ok(Mail {
            transport: Arc::new(transport),
            composer: Arc::new(composer),
        })
    }

    /// A worker that runs every mail queue. `schedule` decides whether the digest chain runs;
    /// `options` are the delivery options of issue jobs (their `wait_for_retries` should be zero:
    /// a retry not yet due is the job queue's to wait for, not a sleeping handler's).
    pub fn worker(
        &self,
        store: Arc<dyn Store>,
        id: impl Into<String>,
        schedule: Schedule,
        options: DeliveryOptions,
    ) -> Worker {
        let job_store: Arc<dyn newsdesk_core::jobs::JobStore> = store.clone();
        Worker::new(job_store, id)
            .handle(
                CONFIRM_QUEUE,
                Arc::new(ConfirmHandler {
                    store: store.clone(),
                    transport: self.transport.clone(),
                    composer: self.composer.clone(),
                }),
            )
            .handle(
                newsdesk_core::password_reset::PASSWORD_RESET_QUEUE,
                Arc::new(PasswordResetHandler {
                    store: store.clone(),
                    transport: self.transport.clone(),
                    composer: self.composer.clone(),
                }),
            )
            .handle(
                TEST_SEND_QUEUE,
                Arc::new(TestSendHandler {
                    store: store.clone(),
                    transport: self.transport.clone(),
                    composer: self.composer.clone(),
                }),
            )
            .handle(
                ISSUE_QUEUE,
                Arc::new(IssueSendHandler {
                    store: store.clone(),
                    mail: self.clone(),
                    options,
                }),
            )
            .handle(
                DIGEST_QUEUE,
                Arc::new(DigestHandler::new(
                    store,
                    self.composer.site().title.clone(),
                    schedule,
                )),
            )
    }
}

/// The delivery options the configuration asks for; the dot journal lives in `journal_dir`.
pub fn delivery_options(
    config: &MailConfig,
    journal_dir: PathBuf,
    wait: Duration,
) -> DeliveryOptions {
    DeliveryOptions {
        concurrency: config.concurrency.max(1) as usize,
        retry: Backoff {
            base: Duration::from_secs(config.retry_base_seconds.max(1)),
            cap: Duration::from_secs(6 * 3600),
        },
        max_attempts: config.max_attempts.max(1),
        wait_for_retries: wait,
        lease: Duration::from_secs(config.lease_seconds.max(1)),
        journal_dir: Some(journal_dir),
        ..DeliveryOptions::default()
    }
}

/// When scheduled digests go out.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Schedule {
    /// Whether daily and weekly digests are made at all (`mail.schedule`).
    pub enabled: bool,
    /// The hour (UTC) from which the day's digests are made (`mail.send_hour_utc`).
    pub send_hour_utc: u32,
}

impl Schedule {
    pub fn from_config(config: &MailConfig) -> Self {
        Schedule {
            enabled: config.schedule,
            send_hour_utc: config.send_hour_utc.min(23),
        }
    }

    fn at(&self, day: NaiveDate) -> DateTime<Utc> {
        day.and_hms_opt(self.send_hour_utc, 0, 0)
            .unwrap_or_else(|| day.and_time(chrono::NaiveTime::MIN))
            .and_utc()
    }

    /// The check a node starting at `now` owes: today's, at once when the send hour has passed
    /// (a late start still sends the day's digest), else at the send hour.
    pub fn first_check(&self, now: DateTime<Utc>) -> DigestCheck {
        let day = now.date_naive();
        let at = if now.hour() >= self.send_hour_utc {
            now
        } else {
            self.at(day)
        };
        DigestCheck { day, at }
    }

    /// The check after the one for `day`: the next day's, at the send hour.
    pub fn next_check(&self, day: NaiveDate) -> DigestCheck {
        let next = day.succ_opt().unwrap_or(day);
        DigestCheck {
            day: next,
            at: self.at(next),
        }
    }
}

/// One day's digest check: the payload of a [`DIGEST_QUEUE`] job.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct DigestCheck {
    pub day: NaiveDate,
    pub at: DateTime<Utc>,
}

impl DigestCheck {
    /// The job; keyed by day, so each day has one live check however many nodes ask.
    pub fn job(&self) -> NewJob {
        NewJob::new(DIGEST_QUEUE, serde_json::json!(self))
            .run_at(self.at)
            .dedupe_key(format!("digest-{}", self.day))
    }
}

/// What a node owes the queue when it starts: a job for the issue left unfinished (a crash,
/// retries pending), and, with the schedule on, the next digest check.
pub async fn start(
    store: &dyn Store,
    schedule: Schedule,
    now: DateTime<Utc>,
) -> Result<(), StoreError> {
    if let Some(open) = store.open_issue(None).await? {
        store.enqueue(&issue_job(open.id, now)).await?;
    }
    if schedule.enabled {
        store.enqueue(&schedule.first_check(now).job()).await?;
    }
    Ok(())
}

/// Sends one issue: what is due now; an issue with retries still to come (or rows another
/// node holds) fails the attempt as retryable, so the queue runs it again later.
pub struct IssueSendHandler {
    pub store: Arc<dyn Store>,
    pub mail: Mail,
    pub options: DeliveryOptions,
}

#[async_trait]
impl JobHandler for IssueSendHandler {
    async fn run(&self, job: &Job) -> Result<(), JobError> {
        let payload: IssueJob =
            serde_json::from_value(job.payload.clone()).map_err(JobError::permanent)?;
        let Some(issue) = self.store.issue(payload.issue_id).await? else {
            return Err(JobError::permanent(format!(
                "no issue {}",
                payload.issue_id
            )));
        };
        if issue.finished_at.is_some() {
            return Ok(());
        }
        let report = send_issue(
            self.store.clone(),
            self.mail.transport.clone(),
            self.mail.composer.clone(),
            &issue,
            &self.options,
        )
        .await
        .map_err(|e| JobError::Retry(error_chain(&e)))?;
        tracing::info!(
            issue = issue.id,
            sent = report.sent,
            skipped = report.skipped,
            failed = report.failed,
            finished = report.finished,
            "newsletter issue"
        );
        if report.finished {
            Ok(())
        } else {
            Err(JobError::Retry(format!(
                "issue {} not finished: retries not yet due, or rows held by another sender",
                issue.id
            )))
        }
    }
}

/// One day's digest check: queues the next day's check first (so the chain survives whatever
/// happens next), then makes the day's due digests and queues them for sending. While an issue
/// is still sending, the check fails as retryable and runs again later: two issues are never
/// sent at once.
pub struct DigestHandler {
    store: Arc<dyn Store>,
    site_title: String,
    schedule: Schedule,
    clock: Clock,
}

impl DigestHandler {
    pub fn new(store: Arc<dyn Store>, site_title: String, schedule: Schedule) -> Self {
        DigestHandler {
            store,
            site_title,
            schedule,
            clock: Arc::new(Utc::now),
        }
    }

    /// The time source (tests set the day and hour).
    pub fn clock(mut self, clock: impl Fn() -> DateTime<Utc> + Send + Sync + 'static) -> Self {
        self.clock = Arc::new(clock);
        self
    }
}

#[async_trait]
impl JobHandler for DigestHandler {
    async fn run(&self, job: &Job) -> Result<(), JobError> {
        let check: DigestCheck =
            serde_json::from_value(job.payload.clone()).map_err(JobError::permanent)?;
        let now = (self.clock)();
        if self.schedule.enabled {
            self.store
                .enqueue(&self.schedule.next_check(check.day).job())
                .await?;
        }
        if let Some(open) = self.store.open_issue(None).await? {
            self.store.enqueue(&issue_job(open.id, now)).await?;
            return Err(JobError::Retry(format!(
                "issue {} is still sending; the digests of {} wait for it",
                open.id, check.day
            )));
        }
        if !self.schedule.enabled || now.hour() < self.schedule.send_hour_utc {
            return Ok(());
        }
        let today = now.date_naive();
        let mut due = vec![IssueKind::Daily];
        if now.weekday() == chrono::Weekday::Mon {
            due.push(IssueKind::Weekly);
        }
        for kind in due {
            let last = self
                .store
                .list_issues(Some(kind), 1)
                .await?
                .into_iter()
                .next();
            if last.is_some_and(|i| i.created_at.date_naive() == today) {
                continue;
            }
            let new = digest::next_issue(self.store.as_ref(), &self.site_title, kind, now).await?;
            // No recipients: no issue (it would become nobody's "since" and hold nothing back).
            let audience = self.store.audience(kind).await?;
            if let Some(why) = digest::nothing_to_send(&new, &audience) {
                tracing::info!(kind = kind.as_str(), "{why}");
                continue;
            }
            let issue = self.store.create_issue(&new).await?;
            tracing::info!(issue = issue.id, kind = kind.as_str(), "scheduled digest");
            self.store.enqueue(&issue_job(issue.id, now)).await?;
        }
        Ok(())
    }
}
