//! `newsdesk newsletter ...`, and starting the newsletter's background work in `serve`. The
//! work itself (issue sending, the digest schedule, the mail worker) is in
//! `newsdesk_mail::schedule`; this file only reads the configuration into it.

use std::sync::Arc;
use std::time::Duration;

use anyhow::Context as _;
use chrono::Utc;
use clap::Subcommand;
use newsdesk_core::jobs::Backoff;
use newsdesk_core::newsletter::{Issue, IssueKind, digest};
use newsdesk_core::{Store, SubscriptionStatus};
use newsdesk_mail::delivery::{DeliveryOptions, send_issue};
use newsdesk_mail::schedule::{Mail, Schedule};

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

async fn setup(config: &Config, store: &Arc<dyn Store>) -> anyhow::Result<Mail> {
    Ok(Mail::setup(
        store.as_ref(),
        &config.site,
        &config.mail,
        &config.outbox_dir(),
    )
    .await?)
}

fn delivery_options(config: &Config, wait: Duration) -> DeliveryOptions {
    newsdesk_mail::schedule::delivery_options(
        &config.mail,
        config.data_dir.join("mail-journal"),
        wait,
    )
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
                    let audience = store.audience(kind).await?;
                    if let Some(why) = digest::nothing_to_send(&new, &audience) {
                        println!("{why}");
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

/// `serve`'s newsletter work: one worker for every mail queue, and the jobs a starting node
/// owes (the unfinished issue, the next digest check).
/// Starts the mail worker; returns the digest schedule, for the node holding the scheduler
/// lease to queue the start-up jobs with (see [`queue_startup`]).
pub async fn spawn_background(config: Config, store: Arc<dyn Store>) -> anyhow::Result<Schedule> {
    let mail = setup(&config, &store).await?;
    tracing::info!(transport = %mail.transport.describe(), "newsletter mail");
    let schedule = Schedule::from_config(&config.mail);
    let worker = mail
        .worker(
            store.clone(),
            format!("serve-{}", std::process::id()),
            schedule,
            delivery_options(&config, Duration::ZERO),
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
    Ok(schedule)
}

/// What the scheduler owes when it starts leading: the unfinished issue's job and the next
/// digest check (deduplicated in the queue, so a second leader later changes nothing).
pub async fn queue_startup(store: &dyn Store, schedule: Schedule) -> anyhow::Result<()> {
    newsdesk_mail::schedule::start(store, schedule, Utc::now())
        .await
        .context("cannot queue the newsletter's start-up jobs")
}
