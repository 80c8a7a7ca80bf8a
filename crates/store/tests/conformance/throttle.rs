//! Conformance cases for login throttling (issue 10): the attempt is reserved atomically
//! before the password check, and failed-login audit rows are aggregated.

use std::sync::Arc;

use chrono::{Duration, Utc};
use newsdesk_core::Store;
use newsdesk_core::accounts::{NewAuditEntry, THROTTLE_WINDOW};
use newsdesk_core::throttle::{Limit, Reservation};

pub async fn parallel_reservations_never_pass_the_limit(store: Arc<dyn Store>) {
    let now = Utc::now();
    let limits = vec![
        Limit {
            key: "acctnet:a@example.org|192.0.2.1".into(),
            max: 5,
        },
        Limit {
            key: "account:a@example.org".into(),
            max: u32::MAX,
        },
    ];
    // Three failures already.
    for _ in 0..3 {
        let r = store
            .reserve_attempt(&limits, now, THROTTLE_WINDOW)
            .await
            .unwrap();
        assert!(matches!(r, Reservation::Reserved { .. }));
    }
    let mut tasks = Vec::new();
    for _ in 0..40 {
        let s = store.clone();
        let l = limits.clone();
        tasks.push(tokio::spawn(async move {
            s.reserve_attempt(&l, now, THROTTLE_WINDOW).await.unwrap()
        }));
    }
    let mut reserved = Vec::new();
    let mut blocked = 0;
    for t in tasks {
        match t.await.unwrap() {
            Reservation::Reserved { ids } => reserved.push(ids),
            Reservation::Blocked { until } => {
                assert!(until > now && until <= now + THROTTLE_WINDOW);
                blocked += 1;
            }
        }
    }
    assert_eq!(reserved.len(), 2, "3 earlier + 2 = the limit of 5");
    assert_eq!(blocked, 38);
    let n = store
        .login_failures_since(&limits[0].key, now - THROTTLE_WINDOW)
        .await
        .unwrap();
    assert_eq!(n.count, 5);
    // The uncapped key counts every reserved attempt, blocked ones not.
    let all = store
        .login_failures_since(&limits[1].key, now - THROTTLE_WINDOW)
        .await
        .unwrap();
    assert_eq!(all.count, 5);
    // Releasing a reservation (a right password) gives its place back.
    store.release_attempt(&reserved[0]).await.unwrap();
    let r = store
        .reserve_attempt(&limits, now, THROTTLE_WINDOW)
        .await
        .unwrap();
    assert!(matches!(r, Reservation::Reserved { .. }));
    // Outside the window nothing counts.
    let later = now + THROTTLE_WINDOW + Duration::seconds(1);
    let r = store
        .reserve_attempt(&limits, later, THROTTLE_WINDOW)
        .await
        .unwrap();
    assert!(matches!(r, Reservation::Reserved { .. }));
}

pub async fn failed_login_audit_rows_are_one_per_group_and_window(store: Arc<dyn Store>) {
    let t0 = Utc::now() - Duration::hours(1);
    let entry = |at, target: &str| NewAuditEntry {
        at,
        user_id: None,
        actor: "anonymous".into(),
        action: "login.failed".into(),
        target: target.into(),
    };
    for i in 0..30 {
        let at = t0 + Duration::seconds(i);
        let n = store
            .append_grouped_audit(
                "login.failed|192.0.2.1",
                &entry(at, &format!("address n{i}@example.org from 192.0.2.1")),
                at - THROTTLE_WINDOW,
            )
            .await
            .unwrap();
        assert_eq!(n, u32::try_from(i + 1).unwrap());
    }
    // Another network, and the same network in a later window: rows of their own.
    let other = t0 + Duration::seconds(40);
    store
        .append_grouped_audit(
            "login.failed|198.51.100.0",
            &entry(other, "x"),
            other - THROTTLE_WINDOW,
        )
        .await
        .unwrap();
    let later = t0 + THROTTLE_WINDOW + Duration::minutes(1);
    store
        .append_grouped_audit(
            "login.failed|192.0.2.1",
            &entry(later, "y"),
            later - THROTTLE_WINDOW,
        )
        .await
        .unwrap();
    let rows = store.list_audit(None, 100).await.unwrap();
    assert_eq!(rows.len(), 3, "{rows:?}");
    let first = rows.iter().find(|r| r.target.contains("n29@")).unwrap();
    assert!(
        first.target.ends_with("(30 attempts in this window)"),
        "{}",
        first.target
    );
}
