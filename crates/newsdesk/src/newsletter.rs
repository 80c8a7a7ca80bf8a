//! `newsdesk newsletter ...`, and the newsletter's background work in `serve`: the
//! confirmation-mail worker, scheduled daily/weekly digests, and resuming unfinished issues.

use std::sync::Arc;
use std::time::Duration;

use anyhow::Context as _;
use chrono::{DateTime, Datelike as _, Timelike as _, Utc};
use clap::Subcommand;
use newsdesk_core::jobs::{Backoff, Worker};
use newsdesk_core::newsletter::{
    CONFIRM_QUEUE, Issue, IssueKind, TEST_SEND_QUEUE, TokenKey, digest,
};
use newsdesk_core::{Store, SubscriptionStatus};
use newsdesk_mail::confirm::ConfirmHandler;
use newsdesk_mail::delivery::{DeliveryOptions, send_issue};
use newsdesk_mail::test_send::TestSendHandler;
use newsdesk_mail::{Composer, Transport};

use crate::config::Config;

#[derive(Subcommand, Debug)]
pub enum NewsletterCommand {
    /// Send the next digest to every confirmed subscriber now. An issue left unfinished (a crash,
    /// retries pending) is resumed instead of starting a new one.
    Send {
        /// Which digest: manual (everyone confirmed), daily or weekly (that frequency only).
        #[arg(long, default_value = "manual", value_parser = parse_kind)]
        kind: IssueKind,
        /// Wait for temporary failures' retries due within this many seconds.
        #[arg(long, default_value_t = 300)]
        wait: u64,
    },
    /// Subscribers by status, and the latest issues' delivery counts.
    Status,
    /// Print the next digest (plain text) without sending or recording anything.
    Preview {
        #[arg(long, default_value = "manual", value_parser = parse_kind)]
        kind: IssueKind,
    },
    /// Send the next digest to one address only (not recorded; no subscriber needed).
    TestSend {
        #[arg(long, value_name = "ADDRESS")]
        to: String,
    },
    /// Handle one e-mail sent back to newsdesk, as an MTA pipes it in: a bounce or abuse report at
    /// `bounces+TOKEN@…`, or a mail to the `unsubscribe+TOKEN@…` address. Exits 0 when handled or
    /// ignored, 75 (EX_TEMPFAIL, the MTA retries) when the database cannot be reached.
    Inbound {
        /// The address the message was delivered to. Default: $ORIGINAL_RECIPIENT (set by
        /// Postfix for pipe deliveries), else the X-Original-To or Delivered-To header.
        #[arg(long, value_name = "ADDRESS")]
        recipient: Option<String>,
        /// The message file (`-` or nothing: standard input).
        #[arg(value_name = "FILE")]
        file: Option<std::path::PathBuf>,
    },
}

fn parse_kind(s: &str) -> Result<IssueKind, String> {
    IssueKind::parse(s).ok_or_else(|| format!("expected manual, daily or weekly, not {s:?}"))
}

/// What sending needs: the transport and the composer (which holds the link-signing key).
pub struct Mail {
    pub transport: Arc<Transport>,
    pub composer: Arc<Composer>,
}

/// Loads (or, on first start, makes) the signing secret and sets up transport and composer.
pub async fn setup(config: &Config, store: &Arc<dyn Store>) -> anyhow::Result<Mail> {
    let secret = store
        .newsletter_secret(&TokenKey::generate_secret())
        .await
        .context("cannot load the newsletter signing secret")?;
    let composer = Composer::new(config.site.clone(), &config.mail, TokenKey::new(secret))?;
    let hello = url::Url::parse(&config.site.base_url)
        .ok()
        .and_then(|u| u.host_str().map(str::to_owned))
        .unwrap_or_else(|| "localhost".into());
    let transport = Transport::new(
        &config.mail.servers(),
        config.mail.connections,
        &hello,
        &config.outbox_dir(),
    )?;
    Ok(Mail {
        transport: Arc::new(transport),
        composer: Arc::new(composer),
    })
}

pub fn delivery_options(config: &Config, wait: Duration) -> DeliveryOptions {
    DeliveryOptions {
        concurrency: config.mail.concurrency.max(1) as usize,
        retry: Backoff {
            base: Duration::from_secs(config.mail.retry_base_seconds.max(1)),
            cap: Duration::from_secs(6 * 3600),
        },
        max_attempts: config.mail.max_attempts.max(1),
        wait_for_retries: wait,
        lease: Duration::from_secs(config.mail.lease_seconds.max(1)),
        journal_dir: Some(config.data_dir.join("mail-journal")),
        ..DeliveryOptions::default()
    }
}

pub async fn run(cmd: NewsletterCommand, config: Config) -> anyhow::Result<()> {
    let store = crate::open_store(&config).await?;
    match cmd {
        NewsletterCommand::Send { kind, wait } => {
            let mail = setup(&config, &store).await?;
            let issue = match store.open_issue(None).await? {
                Some(open) => {
                    println!("resuming issue {} ({})", open.id, open.subject);
                    open
                }
                None => {
                    let new =
                        digest::next_issue(store.as_ref(), &config.site.title, kind, Utc::now())
                            .await?;
                    if new.articles.is_empty() {
                        println!(
                            "no important stories since {}: no issue made",
                            new.since.format("%Y-%m-%d %H:%M UTC")
                        );
                        return Ok(());
                    }
                    let issue = store.create_issue(&new).await?;
                    println!(
                        "issue {}: {} ({} stories)",
                        issue.id,
                        issue.subject,
                        issue.articles.len()
                    );
                    issue
                }
            };
            send(&config, &store, &mail, &issue, Duration::from_secs(wait)).await
        }
        NewsletterCommand::Status => {
            for s in [
                SubscriptionStatus::Confirmed,
                SubscriptionStatus::Pending,
                SubscriptionStatus::Unsubscribed,
                SubscriptionStatus::Bounced,
            ] {
                println!("{:>13} {}", s.as_str(), store.count_subscribers(s).await?);
            }
            for issue in store.list_issues(None, 10).await? {
                let c = store.delivery_counts(issue.id).await?;
                println!(
                    "issue {} [{} {}] {}: sent {}, skipped {}, to send {}, retrying {}, failed {}",
                    issue.id,
                    issue.kind.as_str(),
                    issue.state.as_str(),
                    issue.subject,
                    c.sent,
                    c.skipped,
                    c.pending + c.sending,
                    c.failed_temp,
                    c.failed_perm
                );
            }
            Ok(())
        }
        NewsletterCommand::Inbound { recipient, file } => {
            inbound(&config, &store, recipient, file).await
        }
        NewsletterCommand::Preview { kind } => {
            let mail = setup(&config, &store).await?;
            let new =
                digest::next_issue(store.as_ref(), &config.site.title, kind, Utc::now()).await?;
            let issue = new.into_preview();
            let all: Vec<_> = issue.articles.iter().collect();
            println!("Subject: {}\n", issue.subject);
            print!("{}", mail.composer.digest_text(&issue, &all, None)?);
            Ok(())
        }
        NewsletterCommand::TestSend { to } => {
            let mail = setup(&config, &store).await?;
            let n = newsdesk_mail::test_send::send_test_digest(
                store.as_ref(),
                &mail.transport,
                &mail.composer,
                to.trim(),
            )
            .await?;
            println!(
                "sent a test digest ({n} stories) to {} via {}",
                to.trim(),
                mail.transport.describe()
            );
            Ok(())
        }
    }
}

/// `sysexits.h` EX_TEMPFAIL: an MTA keeps the message and tries again later.
const EX_TEMPFAIL: i32 = 75;

async fn inbound(
    config: &Config,
    store: &Arc<dyn Store>,
    recipient: Option<String>,
    file: Option<std::path::PathBuf>,
) -> anyhow::Result<()> {
    use newsdesk_mail::inbound::{Inbound, classify};
    use std::io::Read as _;

    // Mail is untrusted input: read at most 10 MB, which any bounce fits in.
    const LIMIT: u64 = 10 << 20;
    let mut raw = Vec::new();
    match file.as_deref() {
        None => std::io::stdin().take(LIMIT).read_to_end(&mut raw),
        Some(p) if p.as_os_str() == "-" => std::io::stdin().take(LIMIT).read_to_end(&mut raw),
        Some(p) => std::fs::File::open(p)
            .with_context(|| format!("cannot open {}", p.display()))?
            .take(LIMIT)
            .read_to_end(&mut raw),
    }
    .context("cannot read the message")?;
    let recipient = recipient
        .or_else(|| std::env::var("ORIGINAL_RECIPIENT").ok())
        .or_else(|| delivered_to(&raw))
        .context("no recipient: pass --recipient (or set ORIGINAL_RECIPIENT)")?;
    let mail = setup(config, store).await?;
    let now = Utc::now();
    let verdict = classify(mail.composer.key(), &recipient, &raw, now);
    let applied = match &verdict {
        Inbound::HardBounce {
            subscriber_id,
            status,
            diagnostic,
        } => {
            let reason = format!("bounce {status}: {diagnostic}");
            store.mark_bounced(*subscriber_id, &reason, now).await
        }
        Inbound::Complaint { subscriber_id } | Inbound::Unsubscribe { subscriber_id } => {
            store.unsubscribe(*subscriber_id, now).await
        }
        Inbound::SoftBounce { .. } | Inbound::Ignored { .. } => Ok(false),
    };
    let changed = match applied {
        Ok(changed) => changed,
        Err(e) => {
            eprintln!("newsdesk newsletter inbound: cannot record it now: {e}");
            std::process::exit(EX_TEMPFAIL);
        }
    };
    tracing::info!(?verdict, changed, "inbound mail");
    match verdict {
        Inbound::HardBounce {
            subscriber_id,
            status,
            ..
        } => println!("subscriber {subscriber_id}: hard bounce ({status}); marked bounced"),
        Inbound::SoftBounce {
            subscriber_id,
            status,
        } => println!("subscriber {subscriber_id}: temporary failure ({status}); nothing changed"),
        Inbound::Complaint { subscriber_id } => {
            println!("subscriber {subscriber_id}: spam complaint; unsubscribed")
        }
        Inbound::Unsubscribe { subscriber_id } => {
            println!("subscriber {subscriber_id}: unsubscribed by e-mail")
        }
        Inbound::Ignored { reason } => println!("ignored: {reason}"),
    }
    Ok(())
}

/// The delivery address an MTA recorded in the headers.
fn delivered_to(raw: &[u8]) -> Option<String> {
    let m = mail_parser::MessageParser::default().parse_headers(raw)?;
    ["X-Original-To", "Delivered-To"]
        .into_iter()
        .find_map(|h| m.header_raw(h).map(|v| v.trim().to_owned()))
}

async fn send(
    config: &Config,
    store: &Arc<dyn Store>,
    mail: &Mail,
    issue: &Issue,
    wait: Duration,
) -> anyhow::Result<()> {
    let started = std::time::Instant::now();
    let report = send_issue(
        store.clone(),
        mail.transport.clone(),
        mail.composer.clone(),
        issue,
        &delivery_options(config, wait),
    )
    .await?;
    let secs = started.elapsed().as_secs_f64();
    println!(
        "issue {}: sent {} in {:.1}s ({:.0}/s) via {}; skipped {}; failed {}; {} re-claimed after a lost lease; {} recorded from a dead sender's journal",
        issue.id,
        report.sent,
        secs,
        report.sent as f64 / secs.max(1e-6),
        mail.transport.describe(),
        report.skipped,
        report.failed,
        report.reclaimed,
        report.recovered
    );
    if !report.finished {
        let c = store.delivery_counts(issue.id).await?;
        println!(
            "issue {} is not finished: {} to retry (next at {}), {} held by another sender; run `newsdesk newsletter send` again or leave it to `serve`",
            issue.id,
            c.failed_temp,
            c.next_retry
                .map_or("-".into(), |t| t.format("%H:%M:%S UTC").to_string()),
            c.pending + c.sending
        );
    }
    Ok(())
}

/// `serve`'s newsletter work: the confirmation-mail worker and the digest loop.
pub async fn spawn_background(config: Config, store: Arc<dyn Store>) -> anyhow::Result<()> {
    let mail = setup(&config, &store).await?;
    tracing::info!(transport = %mail.transport.describe(), "newsletter mail");
    let handler = Arc::new(ConfirmHandler {
        store: store.clone(),
        transport: mail.transport.clone(),
        composer: mail.composer.clone(),
    });
    let job_store: Arc<dyn newsdesk_core::jobs::JobStore> = store.clone();
    let worker = Worker::new(job_store, format!("serve-{}", std::process::id()))
        .handle(CONFIRM_QUEUE, handler)
        .handle(
            newsdesk_core::password_reset::PASSWORD_RESET_QUEUE,
            Arc::new(newsdesk_mail::password_reset::PasswordResetHandler {
                store: store.clone(),
                transport: mail.transport.clone(),
                composer: mail.composer.clone(),
            }),
        )
        .handle(
            TEST_SEND_QUEUE,
            Arc::new(TestSendHandler {
                store: store.clone(),
                transport: mail.transport.clone(),
                composer: mail.composer.clone(),
            }),
        )
        .concurrency(4)
        .poll_interval(Duration::from_millis(500))
        .backoff(Backoff {
            base: Duration::from_secs(config.mail.retry_base_seconds.max(1)),
            cap: Duration::from_secs(3600),
        });
    tokio::spawn(async move {
        worker.run_until(std::future::pending::<()>()).await;
    });
    tokio::spawn(async move {
        loop {
            if let Err(e) = digest_tick(&config, &store, &mail, Utc::now()).await {
                tracing::warn!(error = format!("{e:#}"), "newsletter digest loop");
            }
            tokio::time::sleep(Duration::from_secs(60)).await;
        }
    });
    Ok(())
}

/// One pass of the digest loop: finish open issues, then make today's scheduled ones.
async fn digest_tick(
    config: &Config,
    store: &Arc<dyn Store>,
    mail: &Mail,
    now: DateTime<Utc>,
) -> anyhow::Result<()> {
    while let Some(open) = store.open_issue(None).await? {
        let report = send_issue(
            store.clone(),
            mail.transport.clone(),
            mail.composer.clone(),
            &open,
            &delivery_options(config, Duration::ZERO),
        )
        .await?;
        if !report.finished {
            // Retries not yet due, or another node sending: next tick.
            return Ok(());
        }
    }
    if !config.mail.schedule || now.hour() < config.mail.send_hour_utc {
        return Ok(());
    }
    let today = now.date_naive();
    let mut due = vec![IssueKind::Daily];
    if now.weekday() == chrono::Weekday::Mon {
        due.push(IssueKind::Weekly);
    }
    for kind in due {
        let last = store.list_issues(Some(kind), 1).await?.into_iter().next();
        if last.is_some_and(|i| i.created_at.date_naive() == today) {
            continue;
        }
        let new = digest::next_issue(store.as_ref(), &config.site.title, kind, now).await?;
        if new.articles.is_empty() {
            continue;
        }
        let issue = store.create_issue(&new).await?;
        tracing::info!(issue = issue.id, kind = kind.as_str(), "scheduled digest");
        send_issue(
            store.clone(),
            mail.transport.clone(),
            mail.composer.clone(),
            &issue,
            &delivery_options(config, Duration::ZERO),
        )
        .await?;
    }
    Ok(())
}
