//! The newsletter's storage (`newsdesk_core::newsletter::NewsletterStore`), the same on both
//! backends: subscription lifecycle, rate-limit counters, issues and the exactly-once send log.

use std::collections::HashSet;
use std::sync::Arc;

use chrono::{DateTime, Duration, TimeZone as _, Utc};
use newsdesk_core::newsletter::{
    ConfirmOutcome, DeliveryFailure, Frequency, IssueArticle, IssueKind, IssueState, NewIssue,
    Preferences, SignupResult,
};
use newsdesk_core::{EmailAddress, Id, Slug, Store, SubscriptionStatus};

fn t0() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 3, 14, 9, 26, 53).unwrap() + Duration::microseconds(589_793)
}

async fn confirmed(store: &dyn Store, addr: &str) -> Id {
    let SignupResult::NeedsConfirmation(s) = store
        .request_subscription(&EmailAddress::parse(addr).unwrap(), t0())
        .await
        .unwrap()
    else {
        panic!("new address reported as confirmed");
    };
    assert_eq!(
        store
            .confirm_subscription(s.id, s.token_gen, t0())
            .await
            .unwrap(),
        ConfirmOutcome::Confirmed
    );
    s.id
}

fn new_issue(kind: IssueKind) -> NewIssue {
    NewIssue {
        kind,
        subject: "Daily briefing: the harbour wall".into(),
        created_at: t0(),
        since: t0() - Duration::days(1),
        articles: vec![IssueArticle {
            id: 7,
            slug: "harbour-wall".into(),
            headline: "The harbour wall gives way".into(),
            standfirst: "One line.".into(),
            published_at: t0() - Duration::hours(2),
            tags: vec!["local".into()],
            section: Some("Local".into()),
            appeared_at: None,
            photo: None,
        }],
    }
}

pub async fn confirmation_works_once_per_generation(store: Arc<dyn Store>) {
    let addr = EmailAddress::parse("Ann.Lee@example.org").unwrap();
    let SignupResult::NeedsConfirmation(first) =
        store.request_subscription(&addr, t0()).await.unwrap()
    else {
        panic!("expected pending");
    };
    assert_eq!(first.status, SubscriptionStatus::Pending);
    // Signing up again issues a new link; the old one stops working.
    let SignupResult::NeedsConfirmation(second) =
        store.request_subscription(&addr, t0()).await.unwrap()
    else {
        panic!("expected pending");
    };
    assert_eq!(second.id, first.id);
    assert!(second.token_gen > first.token_gen);
    let old = store
        .confirm_subscription(first.id, first.token_gen, t0())
        .await
        .unwrap();
    assert_eq!(old, ConfirmOutcome::AlreadyUsed);
    let ok = store
        .confirm_subscription(second.id, second.token_gen, t0())
        .await
        .unwrap();
    assert_eq!(ok, ConfirmOutcome::Confirmed);
    let again = store
        .confirm_subscription(second.id, second.token_gen, t0())
        .await
        .unwrap();
    assert_eq!(again, ConfirmOutcome::AlreadyUsed);
    let s = store
        .newsletter_subscriber(first.id)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(s.status, SubscriptionStatus::Confirmed);
    assert_eq!(s.confirmed_at, Some(t0()));
    // A confirmed address signing up again is left alone.
    assert!(matches!(
        store.request_subscription(&addr, t0()).await.unwrap(),
        SignupResult::AlreadyConfirmed(_)
    ));
}

pub async fn unsubscribe_then_signing_up_again_starts_over(store: Arc<dyn Store>) {
    let id = confirmed(store.as_ref(), "leaver@example.org").await;
    assert!(store.unsubscribe(id, t0()).await.unwrap());
    assert!(!store.unsubscribe(id, t0()).await.unwrap(), "already out");
    let s = store.newsletter_subscriber(id).await.unwrap().unwrap();
    assert_eq!(s.status, SubscriptionStatus::Unsubscribed);
    let again = store
        .request_subscription(&EmailAddress::parse("leaver@example.org").unwrap(), t0())
        .await
        .unwrap();
    assert!(
        matches!(again, SignupResult::NeedsConfirmation(s) if s.status == SubscriptionStatus::Pending)
    );
}

pub async fn preferences_round_trip(store: Arc<dyn Store>) {
    let id = confirmed(store.as_ref(), "prefs@example.org").await;
    let prefs = Preferences {
        frequency: Frequency::Weekly,
        topics: vec![Slug::parse("local").unwrap(), Slug::parse("sport").unwrap()],
    };
    assert!(store.set_preferences(id, &prefs).await.unwrap());
    let s = store.newsletter_subscriber(id).await.unwrap().unwrap();
    assert_eq!(s.preferences, prefs);
    assert!(!store.set_preferences(id + 1000, &prefs).await.unwrap());
}

pub async fn signing_secret_is_made_once(store: Arc<dyn Store>) {
    let first = store.newsletter_secret(b"first candidate").await.unwrap();
    let second = store.newsletter_secret(b"second candidate").await.unwrap();
    assert_eq!(first, b"first candidate".to_vec());
    assert_eq!(second, first);
}

pub async fn rate_limit_counts_per_key_and_window(store: Arc<dyn Store>) {
    let w = t0();
    for expected in 1..=3 {
        assert_eq!(store.rate_limit_hit("ip:1", w).await.unwrap(), expected);
    }
    assert_eq!(store.rate_limit_hit("ip:2", w).await.unwrap(), 1);
    assert_eq!(
        store
            .rate_limit_hit("ip:1", w + Duration::hours(1))
            .await
            .unwrap(),
        1
    );
}

pub async fn issue_send_log_covers_its_audience_once(store: Arc<dyn Store>) {
    let daily = confirmed(store.as_ref(), "daily@example.org").await;
    let weekly = confirmed(store.as_ref(), "weekly@example.org").await;
    store
        .set_preferences(
            weekly,
            &Preferences {
                frequency: Frequency::Weekly,
                topics: vec![],
            },
        )
        .await
        .unwrap();
    store
        .request_subscription(&EmailAddress::parse("pending@example.org").unwrap(), t0())
        .await
        .unwrap();
    let issue = store
        .create_issue(&new_issue(IssueKind::Daily))
        .await
        .unwrap();
    assert_eq!(issue.state, IssueState::Sending);
    assert_eq!(store.issue(issue.id).await.unwrap().unwrap(), issue);
    let c = store.delivery_counts(issue.id).await.unwrap();
    assert_eq!(c.pending, 1, "daily audience only, confirmed only");
    let claimed = store
        .claim_deliveries(issue.id, "w1", 10, t0() + Duration::minutes(5), t0())
        .await
        .unwrap();
    assert_eq!(
        claimed.iter().map(|d| d.subscriber_id).collect::<Vec<_>>(),
        vec![daily]
    );
    assert_eq!(claimed[0].attempts, 1);
    assert_eq!(claimed[0].last_received, None);
    // Held by a live lease: nobody else gets it.
    assert!(
        store
            .claim_deliveries(issue.id, "w2", 10, t0() + Duration::minutes(5), t0())
            .await
            .unwrap()
            .is_empty()
    );
    assert_eq!(
        store.record_sent(issue.id, &[daily], t0()).await.unwrap(),
        1
    );
    assert!(store.finish_issue(issue.id, t0()).await.unwrap());
    assert_eq!(store.open_issue(None).await.unwrap(), None);

    let manual = store
        .create_issue(&new_issue(IssueKind::Manual))
        .await
        .unwrap();
    let all = store
        .claim_deliveries(manual.id, "w1", 10, t0() + Duration::minutes(5), t0())
        .await
        .unwrap();
    let ids: HashSet<Id> = all.iter().map(|d| d.subscriber_id).collect();
    assert_eq!(
        ids,
        HashSet::from([daily, weekly]),
        "manual: every confirmed"
    );
    let d = all.iter().find(|d| d.subscriber_id == daily).unwrap();
    assert_eq!(d.last_received, Some(t0()), "the daily issue was received");
}

pub async fn expired_lease_is_reclaimed_and_sent_rows_never_are(store: Arc<dyn Store>) {
    let mut ids = Vec::new();
    for i in 0..5 {
        ids.push(confirmed(store.as_ref(), &format!("r{i}@example.org")).await);
    }
    let issue = store
        .create_issue(&new_issue(IssueKind::Manual))
        .await
        .unwrap();
    let lease = t0() + Duration::seconds(30);
    let first = store
        .claim_deliveries(issue.id, "dead", 3, lease, t0())
        .await
        .unwrap();
    assert_eq!(first.len(), 3);
    store
        .record_sent(issue.id, &[first[0].subscriber_id], t0())
        .await
        .unwrap();
    // The sender dies; after its lease the two unsent rows, and the two never claimed, go again.
    let later = t0() + Duration::seconds(31);
    let second = store
        .claim_deliveries(issue.id, "alive", 10, later + Duration::seconds(30), later)
        .await
        .unwrap();
    let got: HashSet<Id> = second.iter().map(|d| d.subscriber_id).collect();
    assert_eq!(got.len(), 4);
    assert!(!got.contains(&first[0].subscriber_id));
    let reclaimed = second.iter().filter(|d| d.attempts == 2).count();
    assert_eq!(reclaimed, 2);
    let all: Vec<Id> = second.iter().map(|d| d.subscriber_id).collect();
    assert_eq!(store.record_sent(issue.id, &all, later).await.unwrap(), 4);
    let c = store.delivery_counts(issue.id).await.unwrap();
    assert_eq!((c.sent, c.pending, c.sending), (5, 0, 0));
    assert!(store.finish_issue(issue.id, later).await.unwrap());
}

pub async fn a_renewed_lease_keeps_rows_from_other_senders(store: Arc<dyn Store>) {
    for i in 0..3 {
        confirmed(store.as_ref(), &format!("r{i}@example.org")).await;
    }
    let issue = store
        .create_issue(&new_issue(IssueKind::Manual))
        .await
        .unwrap();
    let first = store
        .claim_deliveries(issue.id, "slow", 2, t0() + Duration::seconds(30), t0())
        .await
        .unwrap();
    assert_eq!(first.len(), 2);
    // Another sender's rows are not touched by this one's heartbeat.
    let other = store
        .claim_deliveries(issue.id, "other", 5, t0() + Duration::seconds(30), t0())
        .await
        .unwrap();
    assert_eq!(other.len(), 1);
    let later = t0() + Duration::seconds(25);
    assert_eq!(
        store
            .renew_deliveries(issue.id, "slow", later + Duration::seconds(30))
            .await
            .unwrap(),
        2
    );
    // Past the first lease: the renewed rows stay with "slow"; "other"'s lapsed one is free.
    let after = t0() + Duration::seconds(40);
    let third = store
        .claim_deliveries(issue.id, "third", 5, after + Duration::seconds(30), after)
        .await
        .unwrap();
    let got: Vec<Id> = third.iter().map(|d| d.subscriber_id).collect();
    assert_eq!(got, vec![other[0].subscriber_id]);
    // A row recorded as sent is no longer held, so it is not renewed.
    store
        .record_sent(issue.id, &[first[0].subscriber_id], after)
        .await
        .unwrap();
    assert_eq!(
        store
            .renew_deliveries(issue.id, "slow", after + Duration::seconds(60))
            .await
            .unwrap(),
        1
    );
}

pub async fn failures_retry_later_or_bounce_the_address(store: Arc<dyn Store>) {
    let later_id = confirmed(store.as_ref(), "later@example.org").await;
    let gone_id = confirmed(store.as_ref(), "gone@example.org").await;
    let issue = store
        .create_issue(&new_issue(IssueKind::Manual))
        .await
        .unwrap();
    store
        .claim_deliveries(issue.id, "w", 10, t0() + Duration::minutes(5), t0())
        .await
        .unwrap();
    let retry_at = t0() + Duration::minutes(1);
    store
        .record_failure(
            issue.id,
            later_id,
            &DeliveryFailure::Temporary {
                error: "451 try later".into(),
                retry_at,
            },
            t0(),
        )
        .await
        .unwrap();
    store
        .record_failure(
            issue.id,
            gone_id,
            &DeliveryFailure::Permanent {
                error: "550 no such user".into(),
            },
            t0(),
        )
        .await
        .unwrap();
    let c = store.delivery_counts(issue.id).await.unwrap();
    assert_eq!((c.failed_temp, c.failed_perm), (1, 1));
    assert_eq!(c.next_retry, Some(retry_at));
    assert!(!store.finish_issue(issue.id, t0()).await.unwrap());
    let gone = store.newsletter_subscriber(gone_id).await.unwrap().unwrap();
    assert_eq!(gone.status, SubscriptionStatus::Bounced);
    // Not before its time; then it comes back with its attempts counted.
    assert!(
        store
            .claim_deliveries(issue.id, "w", 10, t0() + Duration::minutes(5), t0())
            .await
            .unwrap()
            .is_empty()
    );
    let again = store
        .claim_deliveries(issue.id, "w", 10, retry_at + Duration::minutes(5), retry_at)
        .await
        .unwrap();
    assert_eq!(again.len(), 1);
    assert_eq!((again[0].subscriber_id, again[0].attempts), (later_id, 2));
}

pub async fn unsubscribing_skips_unsent_deliveries(store: Arc<dyn Store>) {
    let stay = confirmed(store.as_ref(), "stay@example.org").await;
    let leave = confirmed(store.as_ref(), "leave@example.org").await;
    let issue = store
        .create_issue(&new_issue(IssueKind::Manual))
        .await
        .unwrap();
    store.unsubscribe(leave, t0()).await.unwrap();
    let claimed = store
        .claim_deliveries(issue.id, "w", 10, t0() + Duration::minutes(5), t0())
        .await
        .unwrap();
    assert_eq!(
        claimed.iter().map(|d| d.subscriber_id).collect::<Vec<_>>(),
        vec![stay]
    );
    let c = store.delivery_counts(issue.id).await.unwrap();
    assert_eq!(c.skipped, 1);
}

pub async fn subscribers_are_counted_by_status(store: Arc<dyn Store>) {
    for status in [
        SubscriptionStatus::Pending,
        SubscriptionStatus::Confirmed,
        SubscriptionStatus::Unsubscribed,
        SubscriptionStatus::Bounced,
    ] {
        assert_eq!(store.count_subscribers(status).await.unwrap(), 0);
    }
    let a = confirmed(store.as_ref(), "a@example.org").await;
    confirmed(store.as_ref(), "b@example.org").await;
    let c = confirmed(store.as_ref(), "c@example.org").await;
    store
        .request_subscription(&EmailAddress::parse("d@example.org").unwrap(), t0())
        .await
        .unwrap();
    assert!(store.unsubscribe(a, t0()).await.unwrap());
    assert!(
        store
            .mark_bounced(c, "550 no such user", t0())
            .await
            .unwrap()
    );
    let count = |s| {
        let store = store.clone();
        async move { store.count_subscribers(s).await.unwrap() }
    };
    assert_eq!(count(SubscriptionStatus::Pending).await, 1);
    assert_eq!(count(SubscriptionStatus::Confirmed).await, 1);
    assert_eq!(count(SubscriptionStatus::Unsubscribed).await, 1);
    assert_eq!(count(SubscriptionStatus::Bounced).await, 1);
}

pub async fn bouncing_an_address_skips_its_unsent_deliveries_once(store: Arc<dyn Store>) {
    let bounced = confirmed(store.as_ref(), "gone@example.org").await;
    let kept = confirmed(store.as_ref(), "kept@example.org").await;
    let issue = store
        .create_issue(&new_issue(IssueKind::Manual))
        .await
        .unwrap();
    assert!(
        store
            .mark_bounced(bounced, "550 mailbox unavailable", t0())
            .await
            .unwrap()
    );
    let s = store.newsletter_subscriber(bounced).await.unwrap().unwrap();
    assert_eq!(s.status, SubscriptionStatus::Bounced);
    assert!(
        !store.mark_bounced(bounced, "again", t0()).await.unwrap(),
        "an address bounces once"
    );
    assert!(
        !store.mark_bounced(9_999_999, "nobody", t0()).await.unwrap(),
        "no such subscriber"
    );
    let c = store.delivery_counts(issue.id).await.unwrap();
    assert_eq!((c.pending, c.skipped), (1, 1));
    let claimed = store
        .claim_deliveries(issue.id, "w1", 10, t0() + Duration::minutes(5), t0())
        .await
        .unwrap();
    assert_eq!(
        claimed.iter().map(|d| d.subscriber_id).collect::<Vec<_>>(),
        vec![kept]
    );
}

pub async fn skipped_recipients_are_never_claimed_and_sent_rows_stay_sent(store: Arc<dyn Store>) {
    let a = confirmed(store.as_ref(), "a@example.org").await;
    let b = confirmed(store.as_ref(), "b@example.org").await;
    let c = confirmed(store.as_ref(), "c@example.org").await;
    let issue = store
        .create_issue(&new_issue(IssueKind::Manual))
        .await
        .unwrap();
    assert_eq!(store.record_skipped(issue.id, &[]).await.unwrap(), 0);
    let claimed = store
        .claim_deliveries(issue.id, "w1", 10, t0() + Duration::minutes(5), t0())
        .await
        .unwrap();
    assert_eq!(claimed.len(), 3);
    assert_eq!(store.record_sent(issue.id, &[a], t0()).await.unwrap(), 1);
    // `a` was sent already: only `b` and `c` become skipped.
    assert_eq!(store.record_skipped(issue.id, &[a, b, c]).await.unwrap(), 2);
    assert_eq!(store.record_skipped(issue.id, &[b]).await.unwrap(), 1);
    let counts = store.delivery_counts(issue.id).await.unwrap();
    assert_eq!((counts.sent, counts.skipped, counts.sending), (1, 2, 0));
    // Nothing is left to claim, even once the lease is long gone.
    assert!(
        store
            .claim_deliveries(
                issue.id,
                "w2",
                10,
                t0() + Duration::hours(2),
                t0() + Duration::hours(1)
            )
            .await
            .unwrap()
            .is_empty()
    );
    assert!(store.finish_issue(issue.id, t0()).await.unwrap());
}

pub async fn issues_are_listed_newest_first_by_kind(store: Arc<dyn Store>) {
    assert!(store.list_issues(None, 10).await.unwrap().is_empty());
    let daily = store
        .create_issue(&new_issue(IssueKind::Daily))
        .await
        .unwrap();
    let weekly = store
        .create_issue(&new_issue(IssueKind::Weekly))
        .await
        .unwrap();
    let daily2 = store
        .create_issue(&new_issue(IssueKind::Daily))
        .await
        .unwrap();
    let ids = |issues: Vec<newsdesk_core::newsletter::Issue>| {
        issues.into_iter().map(|i| i.id).collect::<Vec<_>>()
    };
    assert_eq!(
        ids(store.list_issues(None, 10).await.unwrap()),
        vec![daily2.id, weekly.id, daily.id]
    );
    assert_eq!(
        ids(store.list_issues(Some(IssueKind::Daily), 10).await.unwrap()),
        vec![daily2.id, daily.id]
    );
    assert_eq!(
        ids(store
            .list_issues(Some(IssueKind::Manual), 10)
            .await
            .unwrap()),
        Vec::<Id>::new()
    );
    assert_eq!(
        ids(store.list_issues(None, 2).await.unwrap()),
        vec![daily2.id, weekly.id]
    );
    let listed = store.list_issues(Some(IssueKind::Weekly), 1).await.unwrap();
    assert_eq!(listed, vec![weekly], "every field as created");
}
