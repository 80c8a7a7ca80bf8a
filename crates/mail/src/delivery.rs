//! Sending an issue to its recipients exactly once, through the send log.
//!
//! Rows are claimed in batches with a lease; each message is composed and handed to the
//! transport outside any transaction; as soon as the server accepts it, its row is marked
//! `sent`. Marks are group-committed: messages accepted while one write is in progress go
//! together in the next, and a message's slot is not reused before its mark is durable, so at
//! most `concurrency` messages are ever accepted-but-unrecorded.
//!
//! Those few are what the dot [`journal`](crate::journal) covers: each message is noted there
//! the moment its final dot is written, and a sender resuming the issue on the same machine
//! records a dead sender's noted messages as sent before it claims anything. A crash then
//! resends nobody, except a message whose dot was written in the instant before its journal
//! line (a few instructions). Without a journal directory, or for a sender that died on another
//! machine, the bound is the older one: at most `concurrency` resent, with the same Message-ID.

use newsdesk_core::nodes::{COUNTERS, count};
use std::sync::Arc;
use std::time::Duration;

use chrono::{DateTime, Utc};
use futures::StreamExt as _;
use newsdesk_core::jobs::Backoff;
use newsdesk_core::newsletter::{
    ClaimedDelivery, DeliveryFailure, Issue, NewsletterStore, select_articles,
};
use newsdesk_core::{Id, StoreError};
use tokio::sync::{mpsc, oneshot};

use crate::compose::Composer;
use crate::journal::{self, Journal};
use crate::transport::{HandOver, Handed, SendError, Transport};

#[derive(Debug, Clone)]
pub struct DeliveryOptions {
    /// Messages in flight at once.
    pub concurrency: usize,
    /// Rows claimed per claim.
    pub batch: u32,
    /// How long a claim holds its rows without renewal; a live sender renews it every third of
    /// this, a sender that dies loses its rows after it.
    pub lease: Duration,
    pub retry: Backoff,
    /// Attempts before a recipient who keeps failing temporarily is given up on.
    pub max_attempts: u32,
    /// Wait for temporary failures' retries when the next one is due within this long;
    /// otherwise return and leave them to a later run.
    pub wait_for_retries: Duration,
    /// Names this sender in the send log's lease column.
    pub worker: String,
    /// Where the dot journals live (`<data_dir>/mail-journal`); `None`: no journal.
    pub journal_dir: Option<std::path::PathBuf>,
}

impl Default for DeliveryOptions {
    fn default() -> Self {
        DeliveryOptions {
            concurrency: 16,
            batch: 256,
            lease: Duration::from_secs(60),
            retry: Backoff {
                base: Duration::from_secs(60),
                cap: Duration::from_secs(6 * 3600),
            },
            max_attempts: 8,
            wait_for_retries: Duration::from_secs(0),
            worker: worker_name(),
            journal_dir: None,
        }
    }
}

/// `pid-random`: unique per process run.
pub fn worker_name() -> String {
    format!("{}-{:08x}", std::process::id(), rand::random::<u32>())
}

/// What a run did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct DeliveryReport {
    pub sent: u64,
    pub skipped: u64,
    pub retried: u64,
    pub failed: u64,
    /// Rows this run claimed whose previous lease had expired (a sender died holding them).
    pub reclaimed: u64,
    /// Rows a dead sender's journal showed handed over, recorded sent without resending.
    pub recovered: u64,
    /// Whether the issue is finished (every row final).
    pub finished: bool,
}

#[derive(Debug, thiserror::Error)]
pub enum DeliveryError {
    #[error("store error: {0}")]
    Store(#[from] StoreError),
    /// The issue was started with another transport; sending it through this one could put
    /// mail where nobody collects it (an outbox) while the log records it as sent.
    #[error(
        "issue {issue} was started with {started_with}, but this process sends via {this}; refusing to resume it (run `newsdesk newsletter send` with the same mail settings)"
    )]
    WrongTransport {
        issue: Id,
        started_with: String,
        this: String,
    },
}

enum Outcome {
    Sent,
    Skipped,
    Retried,
    Failed,
}

/// Sends `issue` to every recipient still to be sent, then retries temporary failures while
/// their retry is due within `opts.wait_for_retries`; finishes the issue when every row is final.
pub async fn send_issue(
    store: Arc<dyn NewsletterStore>,
    transport: Arc<Transport>,
    composer: Arc<Composer>,
    issue: &Issue,
    opts: &DeliveryOptions,
) -> Result<DeliveryReport, DeliveryError> {
    bind_transport(store.as_ref(), issue.id, &transport).await?;
    let mut report = DeliveryReport::default();
    let journal = match &opts.journal_dir {
        Some(dir) => {
            report.recovered = recover_orphans(store.as_ref(), dir, issue.id).await?;
            match Journal::create(dir, issue.id, &opts.worker) {
                Ok(j) => Some(Arc::new(j)),
                Err(e) => {
                    tracing::warn!(error = %e, dir = %dir.display(), "no send journal: a crash may resend up to `concurrency` messages");
                    None
                }
            }
        }
        None => None,
    };
    let (marks_tx, marks_rx) = mpsc::unbounded_channel::<(Id, oneshot::Sender<()>)>();
    let committer = tokio::spawn(commit_marks(store.clone(), issue.id, marks_rx));
    let heartbeat = tokio::spawn(renew_leases(
        store.clone(),
        issue.id,
        opts.worker.clone(),
        opts.lease,
    ));
    let result = async {
        loop {
            let pass = Pass {
                store: &store,
                transport: &transport,
                composer: &composer,
                issue,
                opts,
                marks: &marks_tx,
                journal: journal.as_ref(),
            };
            pass.run(&mut report).await?;
            let counts = store.delivery_counts(issue.id).await?;
            if counts.pending > 0 || counts.sending > 0 && counts.failed_temp == 0 {
                // Rows held by another sender's live lease: theirs to finish.
                break;
            }
            match counts.next_retry {
                Some(at) if counts.failed_temp > 0 => {
                    let wait = (at - Utc::now()).to_std().unwrap_or(Duration::ZERO);
                    if wait > opts.wait_for_retries {
                        break;
                    }
                    tokio::time::sleep(wait).await;
                }
                _ => break,
            }
        }
        report.finished = store.finish_issue(issue.id, Utc::now()).await?;
        Ok::<_, DeliveryError>(())
    }
    .await;
    heartbeat.abort();
    drop(marks_tx);
    let _ = committer.await;
    // Every mark is durable now; on an error return the journal stays for the next run.
    if result.is_ok()
        && let Some(j) = &journal
    {
        j.remove();
    }
    result.map(|()| report)
}

/// An issue is delivered by the transport it was started with: the first sender records its
/// transport (atomically, first writer wins, on every node sharing the database) and any
/// process configured otherwise refuses to resume the issue.
async fn bind_transport(
    store: &dyn NewsletterStore,
    issue: Id,
    transport: &Transport,
) -> Result<(), DeliveryError> {
    let this = transport.describe();
    let started_with = store.issue_transport(issue, &this).await?;
    if started_with != this {
        tracing::error!(issue, %started_with, %this, "refusing to resume an issue with another transport");
        return Err(DeliveryError::WrongTransport {
            issue,
            started_with,
            this,
        });
    }
    Ok(())
}

/// Records as sent what dead senders' journals for this issue show handed over.
async fn recover_orphans(
    store: &dyn NewsletterStore,
    dir: &std::path::Path,
    issue_id: Id,
) -> Result<u64, DeliveryError> {
    let orphans = match journal::orphans(dir, issue_id) {
        Ok(o) => o,
        Err(e) => {
            tracing::warn!(error = %e, dir = %dir.display(), "cannot read send journals");
            return Ok(0);
        }
    };
    let mut recovered = 0;
    for orphan in orphans {
        let n = store
            .record_sent(issue_id, &orphan.handed_over, Utc::now())
            .await?;
        tracing::info!(
            journal = %orphan.path.display(),
            handed_over = orphan.handed_over.len(),
            recorded = n,
            "a dead sender's messages recorded as sent"
        );
        recovered += n;
        if let Err(e) = orphan.settle() {
            tracing::warn!(error = %e, "cannot remove a settled send journal");
        }
    }
    Ok(recovered)
}

/// What one pass over the issue's claimable rows works with.
struct Pass<'a> {
    store: &'a Arc<dyn NewsletterStore>,
    transport: &'a Arc<Transport>,
    composer: &'a Arc<Composer>,
    issue: &'a Issue,
    opts: &'a DeliveryOptions,
    marks: &'a mpsc::UnboundedSender<(Id, oneshot::Sender<()>)>,
    journal: Option<&'a Arc<Journal>>,
}

impl Pass<'_> {
    async fn run(&self, report: &mut DeliveryReport) -> Result<(), DeliveryError> {
        let Pass {
            store, issue, opts, ..
        } = *self;
        loop {
            let now = Utc::now();
            let lease_until = now + chrono::Duration::from_std(opts.lease).unwrap_or_default();
            let batch = store
                .claim_deliveries(issue.id, &opts.worker, opts.batch, lease_until, now)
                .await?;
            if batch.is_empty() {
                return Ok(());
            }
            report.reclaimed += batch.iter().filter(|d| d.attempts > 1).count() as u64;
            let outcomes: Vec<Result<Outcome, DeliveryError>> = futures::stream::iter(batch)
                .map(|d| self.deliver_one(d))
                .buffer_unordered(opts.concurrency.max(1))
                .collect()
                .await;
            for o in outcomes {
                match o? {
                    Outcome::Sent => {
                        report.sent += 1;
                        count(&COUNTERS.mails_sent, 1);
                    }
                    Outcome::Skipped => report.skipped += 1,
                    Outcome::Retried => {
                        report.retried += 1;
                        count(&COUNTERS.mails_failed, 1);
                    }
                    Outcome::Failed => {
                        report.failed += 1;
                        count(&COUNTERS.mails_failed, 1);
                    }
                }
            }
        }
    }

    async fn deliver_one(&self, d: ClaimedDelivery) -> Result<Outcome, DeliveryError> {
        let Pass {
            store,
            transport,
            composer,
            issue,
            opts,
            marks,
            journal,
        } = *self;
        let articles = select_articles(&issue.articles, &d.topics, d.last_received);
        if articles.is_empty() {
            store.record_skipped(issue.id, &[d.subscriber_id]).await?;
            return Ok(Outcome::Skipped);
        }
        let composed = match composer.digest(issue, d.subscriber_id, d.email.as_str(), &articles) {
            Ok(c) => c,
            Err(e) => {
                let failure = DeliveryFailure::Permanent {
                    error: e.to_string(),
                };
                store
                    .record_failure(issue.id, d.subscriber_id, &failure, Utc::now())
                    .await?;
                return Ok(Outcome::Failed);
            }
        };
        let handed_over = journal.map(|j| {
            let j = j.clone();
            let id = d.subscriber_id;
            Arc::new(move |h: Handed| match h {
                Handed::Out => j.handed_over(id),
                Handed::Back => j.voided(id),
            }) as HandOver
        });
        match transport
            .send_watched(
                &composed.envelope,
                &composed.raw,
                &composed.message_id,
                handed_over,
            )
            .await
        {
            Ok(()) => {
                let (done_tx, done_rx) = oneshot::channel();
                if marks.send((d.subscriber_id, done_tx)).is_ok() {
                    // Hold this slot until the mark is durable: bounds the unrecorded window.
                    let _ = done_rx.await;
                }
                Ok(Outcome::Sent)
            }
            Err(SendError::Permanent(error)) => {
                tracing::info!(subscriber = d.subscriber_id, %error, "address refused; marked bounced");
                store
                    .record_failure(
                        issue.id,
                        d.subscriber_id,
                        &DeliveryFailure::Permanent { error },
                        Utc::now(),
                    )
                    .await?;
                Ok(Outcome::Failed)
            }
            Err(SendError::Temporary(error)) => {
                let now = Utc::now();
                let failure = if d.attempts >= opts.max_attempts {
                    DeliveryFailure::Permanent {
                        error: format!("gave up after {} attempts: {error}", d.attempts),
                    }
                } else {
                    DeliveryFailure::Temporary {
                        error,
                        retry_at: retry_at(now, &opts.retry, d.attempts),
                    }
                };
                let gave_up = matches!(failure, DeliveryFailure::Permanent { .. });
                store
                    .record_failure(issue.id, d.subscriber_id, &failure, now)
                    .await?;
                Ok(if gave_up {
                    Outcome::Failed
                } else {
                    Outcome::Retried
                })
            }
        }
    }
}

fn retry_at(now: DateTime<Utc>, backoff: &Backoff, attempts: u32) -> DateTime<Utc> {
    now + chrono::Duration::from_std(backoff.delay(attempts)).unwrap_or_default()
}

/// Keeps this sender's claims alive: every third of the lease, extends it for the rows still
/// held. The lease can then be short (a dead sender's rows are free again within it) and still
/// cover a batch held up by a slow or rate-limited server.
async fn renew_leases(
    store: Arc<dyn NewsletterStore>,
    issue_id: Id,
    worker: String,
    lease: Duration,
) {
    let every = (lease / 3).max(Duration::from_millis(100));
    loop {
        tokio::time::sleep(every).await;
        let until = Utc::now() + chrono::Duration::from_std(lease).unwrap_or_default();
        if let Err(e) = store.renew_deliveries(issue_id, &worker, until).await {
            tracing::warn!(error = %e, "cannot renew the send lease");
        }
    }
}

/// Group commit of `sent` marks: takes every mark waiting, writes them in one statement, then
/// releases their senders. A failed write is retried: the messages did go out.
async fn commit_marks(
    store: Arc<dyn NewsletterStore>,
    issue_id: Id,
    mut rx: mpsc::UnboundedReceiver<(Id, oneshot::Sender<()>)>,
) {
    let mut ids = Vec::new();
    let mut waiters = Vec::new();
    while let Some((id, w)) = rx.recv().await {
        ids.push(id);
        waiters.push(w);
        while let Ok((id, w)) = rx.try_recv() {
            ids.push(id);
            waiters.push(w);
        }
        let mut delay = Duration::from_millis(50);
        loop {
            match store.record_sent(issue_id, &ids, Utc::now()).await {
                Ok(_) => break,
                Err(e) => {
                    tracing::warn!(error = %e, n = ids.len(), "cannot record sent messages yet; retrying");
                    tokio::time::sleep(delay).await;
                    delay = (delay * 2).min(Duration::from_secs(5));
                }
            }
        }
        ids.clear();
        for w in waiters.drain(..) {
            let _ = w.send(());
        }
    }
}
