//! The newsletter's web side without SMTP: sign-up limits, tokens and the pages they open.

use newsdesk_core::newsletter::{CONFIRM_QUEUE, SignupResult, TokenKey, TokenPurpose};
use newsdesk_core::{EmailAddress, SubscriptionStatus};
use reqwest::StatusCode;

use crate::common::TestApp;

async fn sign_up(app: &TestApp, addr: &str) -> (StatusCode, String) {
    let res = app
        .client
        .post(app.url("/newsletter"))
        .header("content-type", "application/x-www-form-urlencoded")
        .body(format!("email={}", addr.replace('@', "%40")))
        .send()
        .await
        .expect("request");
    let status = res.status();
    (status, res.text().await.expect("body"))
}

#[tokio::test]
async fn repeated_sign_ups_answer_the_same_but_mail_an_address_at_most_three_times_an_hour() {
    let app = TestApp::spawn().await;
    let mut answers = Vec::new();
    for _ in 0..5 {
        answers.push(sign_up(&app, "repeat@example.org").await);
    }
    assert!(
        answers.iter().all(|a| a == &answers[0]),
        "identical answers"
    );
    assert_eq!(answers[0].0, StatusCode::OK);
    let queued = app.store.job_counts(CONFIRM_QUEUE).await.expect("counts");
    assert_eq!(queued.queued, 3, "{queued:?}");
}

#[tokio::test]
async fn one_client_address_is_limited_to_twenty_sign_ups_an_hour() {
    let app = TestApp::spawn().await;
    for i in 0..20 {
        let (status, _) = sign_up(&app, &format!("n{i}@example.org")).await;
        assert_eq!(status, StatusCode::OK);
    }
    let (status, _) = sign_up(&app, "n20@example.org").await;
    assert_eq!(status, StatusCode::TOO_MANY_REQUESTS);
    assert!(
        app.store
            .subscriber_by_email(&EmailAddress::parse("n20@example.org").expect("addr"))
            .await
            .expect("store")
            .is_none()
    );
}

#[tokio::test]
async fn unsubscribe_get_changes_nothing_and_the_post_unsubscribes() {
    let app = TestApp::spawn().await;
    let addr = EmailAddress::parse("leaving@example.org").expect("addr");
    let SignupResult::NeedsConfirmation(s) = app
        .store
        .request_subscription(&addr, chrono::Utc::now())
        .await
        .expect("signup")
    else {
        panic!("new address");
    };
    let secret = app
        .store
        .newsletter_secret(b"unused")
        .await
        .expect("secret");
    let token = TokenKey::new(secret).sign(TokenPurpose::Unsubscribe, s.id, 0, None);
    let page = app
        .get(&format!("/newsletter/unsubscribe?token={token}"))
        .await;
    assert_eq!(page.status(), StatusCode::OK);
    assert!(
        page.text()
            .await
            .expect("body")
            .contains("<form method=\"post\"")
    );
    let status = |app: &TestApp| {
        let store = app.store.clone();
        let addr = addr.clone();
        async move {
            store
                .subscriber_by_email(&addr)
                .await
                .expect("store")
                .expect("row")
                .status
        }
    };
    assert_eq!(status(&app).await, SubscriptionStatus::Pending);
    let res = app
        .client
        .post(app.url(&format!("/newsletter/unsubscribe?token={token}")))
        .header("content-type", "application/x-www-form-urlencoded")
        .body("List-Unsubscribe=One-Click")
        .send()
        .await
        .expect("post");
    assert_eq!(res.status(), StatusCode::OK);
    assert_eq!(status(&app).await, SubscriptionStatus::Unsubscribed);
    let forged = app
        .client
        .post(app.url(&format!(
            "/newsletter/unsubscribe?token={}x",
            &token[..token.len() - 1]
        )))
        .send()
        .await
        .expect("post");
    assert_eq!(forged.status(), StatusCode::BAD_REQUEST);
}

#[tokio::test]
async fn an_issue_page_shows_each_storys_photo() {
    let app = crate::feeds::spawn_app().await;
    let photo = app
        .photo("quay.svg", "The quay at dawn", "Desk photo")
        .await;
    app.article(crate::common::ArticleSpec {
        slug: "quay-reopens",
        headline: "The quay reopens",
        photo: Some(&photo),
        important: true,
        ..crate::common::ArticleSpec::default()
    })
    .await;
    let now = chrono::Utc::now();
    let new = newsdesk_core::newsletter::digest::next_issue(
        app.store.as_ref(),
        "newsdesk",
        newsdesk_core::newsletter::IssueKind::Manual,
        now,
    )
    .await
    .unwrap();
    assert_eq!(new.articles.len(), 1);
    let issue = app.store.create_issue(&new).await.unwrap();
    let (status, page) = app
        .get_text(&format!("/newsletter/issues/{}", issue.id))
        .await;
    assert_eq!(status, 200);
    assert!(page.contains("src=\"/uploads/quay.svg\""), "{page}");
    assert!(
        page.contains("alt=\"Illustration: The quay at dawn\""),
        "{page}"
    );
}

#[tokio::test]
async fn get_newsletter_is_a_page_with_the_sign_up_form() {
    let app = crate::feeds::spawn_app().await;
    let (status, page) = app.get_text("/newsletter").await;
    assert_eq!(status, 200);
    assert!(
        page.contains("<form method=\"post\" action=\"/newsletter\""),
        "{page}"
    );
    assert!(page.contains("name=\"email\""), "{page}");
}
