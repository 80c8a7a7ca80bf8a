//! Sending an issue is a job; the digest schedule is a daily chain of jobs; a starting node
//! queues what it owes once, however many nodes start.

use std::sync::Arc;
use std::time::Duration;

use chrono::{DateTime, NaiveDate, TimeZone as _, Utc};
use newsdesk_core::jobs::{JobState, Worker};
use newsdesk_core::newsletter::{
    DIGEST_QUEUE, ISSUE_QUEUE, IssueKind, SignupResult, digest, issue_job,
};
use newsdesk_core::site::SiteSettings;
use newsdesk_core::{ArticleStatus, EmailAddress, NewArticle, Slug, Store, SubscriptionStatus};
use newsdesk_mail::MailConfig;
use newsdesk_mail::schedule::{
    DigestCheck, DigestHandler, Mail, Schedule, delivery_options, start,
};

/// Monday 30 November 2026, 09:00 UTC: past the send hour, on the weekly digest's day.
fn monday_9() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 11, 30, 9, 0, 0)
        .single()
        .expect("time")
}

const SCHEDULE: Schedule = Schedule {
    enabled: true,
    send_hour_utc: 7,
};

struct Desk {
    dir: tempfile::TempDir,
    store: Arc<dyn Store>,
    mail: Mail,
}

impl Desk {
    /// A store with one important story published an hour before `at` and `n` confirmed
    /// subscribers; mail goes to the outbox.
    async fn new(n: usize, at: DateTime<Utc>) -> Desk {
        let dir = tempfile::tempdir().expect("tempdir");
        let store = newsdesk_store::open(&format!(
            "sqlite://{}",
            dir.path().join("mail.sqlite").display()
        ))
        .await
        .expect("open store");
        let body = "Our own words for a test story.";
        store
            .create_article(&NewArticle {
                slug: Slug::parse("ferry-timetable-changes").expect("slug"),
                headline: "The ferry timetable changes".into(),
                standfirst: "One line.".into(),
                body_markdown: body.into(),
                body_html: newsdesk_core::markdown::render(body),
                status: ArticleStatus::Published,
                published_at: Some(at - chrono::Duration::hours(1)),
                canonical_url: None,
                source: None,
                author_ids: vec![],
                lead_photo_id: None,
                tag_ids: vec![],
                section_id: None,
                important: true,
            })
            .await
            .expect("article");
        for i in 0..n {
            let email = EmailAddress::parse(&format!("r{i}@example.org")).expect("addr");
            let SignupResult::NeedsConfirmation(s) = store
                .request_subscription(&email, Utc::now())
                .await
                .expect("sign up")
            else {
                panic!("r{i} already confirmed");
            };
            store
                .confirm_subscription(s.id, s.token_gen, Utc::now())
                .await
                .expect("confirm");
        }
        let mail = Mail::setup(
            store.as_ref(),
            &SiteSettings::default(),
            &MailConfig::default(),
            &dir.path().join("outbox"),
        )
        .await
        .expect("mail");
        Desk { dir, store, mail }
    }

    /// The worker `serve` runs, with its clock (and the digest check's) at `at`.
    fn worker(&self, schedule: Schedule, at: DateTime<Utc>) -> Worker {
        let mut opts = delivery_options(
            &MailConfig::default(),
            self.dir.path().join("mail-journal"),
            Duration::ZERO,
        );
        opts.lease = Duration::from_secs(30);
        self.mail
            .worker(self.store.clone(), "test", schedule, opts)
            .handle(
                DIGEST_QUEUE,
                Arc::new(
                    DigestHandler::new(self.store.clone(), "newsdesk".into(), schedule)
                        .clock(move || at),
                ),
            )
            .clock(move || at)
    }

    fn outbox(&self) -> usize {
        std::fs::read_dir(self.dir.path().join("outbox"))
            .map(|d| d.filter_map(Result::ok).count())
            .unwrap_or(0)
    }
}

#[tokio::test]
async fn an_issue_job_sends_every_recipient_once_and_finishes_the_issue() {
    let at = Utc::now();
    let desk = Desk::new(5, at).await;
    let new = digest::next_issue(desk.store.as_ref(), "newsdesk", IssueKind::Manual, at)
        .await
        .expect("next");
    let issue = desk.store.create_issue(&new).await.expect("issue");
    let id = desk
        .store
        .enqueue(&issue_job(issue.id, at))
        .await
        .expect("enqueue")
        .expect("queued");
    // A second request for the same issue (another node, a double click) is a no-op.
    assert_eq!(
        desk.store
            .enqueue(&issue_job(issue.id, at))
            .await
            .expect("enqueue"),
        None
    );

    let stats = desk.worker(SCHEDULE, at).drain().await.expect("drain");
    assert_eq!(stats.completed, 1, "{stats:?}");
    assert_eq!(desk.outbox(), 5);
    let job = desk.store.job(id).await.expect("job").expect("exists");
    assert_eq!(job.state, JobState::Done);
    let issue = desk
        .store
        .issue(issue.id)
        .await
        .expect("issue")
        .expect("exists");
    assert!(issue.finished_at.is_some());
    assert_eq!(
        desk.store
            .delivery_counts(issue.id)
            .await
            .expect("counts")
            .sent,
        5
    );
}

#[tokio::test]
async fn the_monday_check_makes_the_daily_and_weekly_digests_sends_them_and_queues_tuesdays_check()
{
    let at = monday_9();
    let desk = Desk::new(3, at).await;
    let email = EmailAddress::parse("weekly@example.org").expect("addr");
    let SignupResult::NeedsConfirmation(w) = desk
        .store
        .request_subscription(&email, Utc::now())
        .await
        .expect("sign up")
    else {
        panic!("already confirmed");
    };
    desk.store
        .confirm_subscription(w.id, w.token_gen, Utc::now())
        .await
        .expect("confirm");
    desk.store
        .set_preferences(
            w.id,
            &newsdesk_core::newsletter::Preferences {
                frequency: newsdesk_core::newsletter::Frequency::Weekly,
                topics: Vec::new(),
            },
        )
        .await
        .expect("weekly");
    desk.store
        .enqueue(&SCHEDULE.first_check(at).job())
        .await
        .expect("enqueue");

    let stats = desk.worker(SCHEDULE, at).drain().await.expect("drain");
    // The check, then one job per digest.
    assert_eq!(stats.completed, 3, "{stats:?}");
    let issues = desk.store.list_issues(None, 10).await.expect("issues");
    let mut kinds: Vec<_> = issues.iter().map(|i| i.kind).collect();
    kinds.sort_by_key(|k| k.as_str());
    assert_eq!(kinds, [IssueKind::Daily, IssueKind::Weekly]);
    assert!(issues.iter().all(|i| i.finished_at.is_some()));
    // New subscribers get their digest: each of the three daily ones, and the weekly one, once.
    assert_eq!(desk.outbox(), 4);
    assert_eq!(
        desk.store
            .count_subscribers(SubscriptionStatus::Confirmed)
            .await
            .expect("count"),
        4
    );
    // Tuesday's check waits in the queue, at the send hour.
    let digest = desk.store.job_counts(DIGEST_QUEUE).await.expect("counts");
    assert_eq!((digest.queued, digest.done), (1, 1), "{digest:?}");
    let tuesday = SCHEDULE.next_check(at.date_naive());
    assert_eq!(
        tuesday.at,
        Utc.with_ymd_and_hms(2026, 12, 1, 7, 0, 0)
            .single()
            .expect("time")
    );
    assert_eq!(
        desk.store.enqueue(&tuesday.job()).await.expect("enqueue"),
        None,
        "Tuesday's check is already queued"
    );
}

#[tokio::test]
async fn a_second_check_on_the_same_day_makes_no_second_digest() {
    let at = monday_9();
    let desk = Desk::new(2, at).await;
    let check = SCHEDULE.first_check(at);
    desk.store.enqueue(&check.job()).await.expect("enqueue");
    desk.worker(SCHEDULE, at).drain().await.expect("drain");
    // A restart later that day queues the day's check again (its key is free once done).
    let later = at + chrono::Duration::hours(3);
    start(desk.store.as_ref(), SCHEDULE, later)
        .await
        .expect("start");
    let stats = desk.worker(SCHEDULE, later).drain().await.expect("drain");
    assert_eq!(stats.completed, 1, "only the check ran: {stats:?}");
    assert_eq!(
        desk.store
            .list_issues(None, 10)
            .await
            .expect("issues")
            .len(),
        1,
        "the daily; no weekly issue, as no subscriber is weekly"
    );
    assert_eq!(desk.outbox(), 2);
}

#[tokio::test]
async fn a_check_while_an_issue_is_still_sending_queues_that_issue_and_is_retried() {
    let at = monday_9();
    let desk = Desk::new(2, at).await;
    let new = digest::next_issue(desk.store.as_ref(), "newsdesk", IssueKind::Manual, at)
        .await
        .expect("next");
    let open = desk.store.create_issue(&new).await.expect("issue");
    desk.store
        .enqueue(&SCHEDULE.first_check(at).job())
        .await
        .expect("enqueue");
    // Only the schedule's queue: the open issue's job stays queued, so the issue stays open.
    let worker = Worker::new(desk.store.clone(), "check-only")
        .handle(
            DIGEST_QUEUE,
            Arc::new(
                DigestHandler::new(desk.store.clone(), "newsdesk".into(), SCHEDULE)
                    .clock(move || at),
            ),
        )
        .clock(move || at);
    let stats = worker.drain().await.expect("drain");
    assert_eq!((stats.completed, stats.retried), (0, 1), "{stats:?}");
    let issues = desk.store.job_counts(ISSUE_QUEUE).await.expect("counts");
    assert_eq!(issues.queued, 1, "the open issue was queued: {issues:?}");
    assert_eq!(
        desk.store
            .list_issues(None, 10)
            .await
            .expect("issues")
            .len(),
        1,
        "no digest made while {} is open",
        open.id
    );
}

#[tokio::test]
async fn nodes_starting_together_queue_the_open_issue_and_the_check_once() {
    let at = Utc
        .with_ymd_and_hms(2026, 12, 2, 5, 30, 0)
        .single()
        .expect("time");
    let desk = Desk::new(1, at).await;
    let new = digest::next_issue(desk.store.as_ref(), "newsdesk", IssueKind::Manual, at)
        .await
        .expect("next");
    desk.store.create_issue(&new).await.expect("issue");
    for _ in 0..3 {
        start(desk.store.as_ref(), SCHEDULE, at)
            .await
            .expect("start");
    }
    assert_eq!(
        desk.store.job_counts(ISSUE_QUEUE).await.expect("c").queued,
        1
    );
    assert_eq!(
        desk.store.job_counts(DIGEST_QUEUE).await.expect("c").queued,
        1
    );
    // Before the send hour, the day's check waits for it.
    let check = SCHEDULE.first_check(at);
    assert_eq!(
        check,
        DigestCheck {
            day: NaiveDate::from_ymd_opt(2026, 12, 2).expect("day"),
            at: Utc
                .with_ymd_and_hms(2026, 12, 2, 7, 0, 0)
                .single()
                .expect("time"),
        }
    );
    // With the schedule off, only the open issue is owed.
    let off = Schedule {
        enabled: false,
        ..SCHEDULE
    };
    let desk = Desk::new(1, at).await;
    start(desk.store.as_ref(), off, at).await.expect("start");
    assert_eq!(
        desk.store.job_counts(DIGEST_QUEUE).await.expect("c").queued,
        0
    );
}

/// An important story as wire copy stores it: the agency's publication time, earlier than
/// when it reached us (now).
async fn wire_story(store: &Arc<dyn Store>, slug: &str, agency_time: DateTime<Utc>) {
    let body = "Our own words for a wire story.";
    store
        .create_article(&NewArticle {
            slug: Slug::parse(slug).expect("slug"),
            headline: format!("Wire story {slug}"),
            standfirst: "One line.".into(),
            body_markdown: body.into(),
            body_html: newsdesk_core::markdown::render(body),
            status: ArticleStatus::Published,
            published_at: Some(agency_time),
            canonical_url: None,
            source: None,
            author_ids: vec![],
            lead_photo_id: None,
            tag_ids: vec![],
            section_id: None,
            important: true,
        })
        .await
        .expect("article");
}

#[tokio::test]
async fn a_wire_story_stamped_before_the_last_issue_but_stored_after_it_goes_out_next() {
    let desk = Desk::new(2, Utc::now()).await;
    let first_at = Utc::now();
    let new = digest::next_issue(desk.store.as_ref(), "newsdesk", IssueKind::Manual, first_at)
        .await
        .expect("next");
    let issue = desk.store.create_issue(&new).await.expect("issue");
    desk.store
        .enqueue(&issue_job(issue.id, first_at))
        .await
        .expect("enqueue");
    desk.worker(SCHEDULE, first_at)
        .drain()
        .await
        .expect("drain");
    assert_eq!(desk.outbox(), 2);
    // The agency says two hours ago; it reached the site after the first issue.
    tokio::time::sleep(Duration::from_millis(5)).await;
    wire_story(
        &desk.store,
        "late-wire",
        first_at - chrono::Duration::hours(2),
    )
    .await;
    let at = Utc::now();
    let next = digest::next_issue(desk.store.as_ref(), "newsdesk", IssueKind::Manual, at)
        .await
        .expect("next");
    let slugs: Vec<&str> = next.articles.iter().map(|a| a.slug.as_str()).collect();
    assert_eq!(slugs, ["late-wire"], "by when it appeared here");
    let issue = desk.store.create_issue(&next).await.expect("issue");
    desk.store
        .enqueue(&issue_job(issue.id, at))
        .await
        .expect("enqueue");
    desk.worker(SCHEDULE, at).drain().await.expect("drain");
    assert_eq!(desk.outbox(), 4, "both subscribers got the wire story");
}

#[tokio::test]
async fn a_check_with_no_subscribers_makes_no_issue_and_the_first_subscriber_gets_the_days_stories()
{
    let at = Utc::now();
    let desk = Desk::new(0, at).await;
    let schedule = Schedule {
        enabled: true,
        send_hour_utc: 0,
    };
    desk.store
        .enqueue(&schedule.first_check(at).job())
        .await
        .expect("enqueue");
    desk.worker(schedule, at).drain().await.expect("drain");
    assert!(
        desk.store
            .list_issues(None, 10)
            .await
            .expect("issues")
            .is_empty(),
        "an issue for nobody is not an issue"
    );
    // A subscriber arrives; an earlier issue another reader got does not hold theirs back.
    let email = EmailAddress::parse("first@example.org").expect("addr");
    let SignupResult::NeedsConfirmation(s) = desk
        .store
        .request_subscription(&email, at)
        .await
        .expect("sign up")
    else {
        panic!("already confirmed");
    };
    desk.store
        .confirm_subscription(s.id, s.token_gen, at)
        .await
        .expect("confirm");
    let later = Utc::now();
    let new = digest::next_issue(desk.store.as_ref(), "newsdesk", IssueKind::Daily, later)
        .await
        .expect("next");
    assert_eq!(new.articles.len(), 1, "the last day's important story");
    assert_eq!(new.since, later - chrono::Duration::days(1));
}

#[tokio::test]
async fn a_digest_mail_shows_each_storys_photo() {
    let desk = Desk::new(0, Utc::now()).await;
    let photo = desk
        .store
        .create_photo(&newsdesk_core::NewPhoto {
            file: "2026/quay.jpg".into(),
            content_type: "image/jpeg".into(),
            alt: "The quay at dawn".into(),
            caption: "The quay at dawn".into(),
            credit: "Desk".into(),
            width: 1200,
            height: 800,
        })
        .await
        .expect("photo");
    let body = "Our own words.";
    desk.store
        .create_article(&NewArticle {
            slug: Slug::parse("quay-reopens").expect("slug"),
            headline: "The quay reopens".into(),
            standfirst: "One line.".into(),
            body_markdown: body.into(),
            body_html: newsdesk_core::markdown::render(body),
            status: ArticleStatus::Published,
            published_at: Some(Utc::now()),
            canonical_url: None,
            source: None,
            author_ids: vec![],
            lead_photo_id: Some(photo.id),
            tag_ids: vec![],
            section_id: None,
            important: true,
        })
        .await
        .expect("article");
    let issue = digest::next_issue(
        desk.store.as_ref(),
        "newsdesk",
        IssueKind::Manual,
        Utc::now(),
    )
    .await
    .expect("next")
    .into_preview();
    let all: Vec<_> = issue.articles.iter().collect();
    let html = desk
        .mail
        .composer
        .digest_html(&issue, &all, None)
        .expect("html");
    assert!(
        html.contains("src=\"http://127.0.0.1:8080/uploads/2026/quay.jpg\""),
        "{html}"
    );
    assert!(html.contains("alt=\"The quay at dawn\""), "{html}");
}
