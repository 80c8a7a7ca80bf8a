//! The admin newsletter page over real HTTP: previewing, sending now and test copies.

use newsdesk_core::*;
use reqwest::StatusCode;

use crate::common::TestApp;

async fn signed_in(app: &TestApp, email: &str, role: newsdesk_core::accounts::Role) -> String {
    use newsdesk_core::accounts::{self, NewUser, Password};
    let hash = tokio::task::spawn_blocking(|| {
        accounts::hash_password(&Password::parse("correct horse battery").expect("pw"))
            .expect("hash")
    })
    .await
    .expect("join");
    app.store
        .create_user(
            &NewUser {
                email: EmailAddress::parse(email).expect("email"),
                name: "Ed".into(),
                role,
                password_hash: hash,
                author_id: None,
            },
            chrono::Utc::now(),
        )
        .await
        .expect("user");
    let r = app
        .client
        .post(app.url("/admin/login"))
        .header("origin", &app.base)
        .header("content-type", "application/x-www-form-urlencoded")
        .body(format!(
            "email={}&password=correct+horse+battery",
            email.replace('@', "%40")
        ))
        .send()
        .await
        .expect("login");
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    r.headers()["set-cookie"]
        .to_str()
        .expect("cookie")
        .split(';')
        .next()
        .expect("pair")
        .to_owned()
}

#[tokio::test]
async fn an_editor_previews_the_next_digest_and_sends_it_now_but_an_author_cannot() {
    use newsdesk_core::accounts::Role;
    let app = TestApp::spawn().await;
    app.article(crate::common::ArticleSpec {
        slug: "quay-fire-contained",
        headline: "The quay fire is contained",
        published_at: Some(chrono::Utc::now() - chrono::Duration::minutes(5)),
        important: true,
        ..crate::common::ArticleSpec::default()
    })
    .await;
    let author = signed_in(&app, "author@example.org", Role::Author).await;
    let res = app
        .client
        .get(app.url("/admin/newsletter"))
        .header("cookie", &author)
        .send()
        .await
        .expect("get");
    assert_eq!(res.status(), StatusCode::FORBIDDEN);

    let editor = signed_in(&app, "editor@example.org", Role::Editor).await;
    let page = app
        .client
        .get(app.url("/admin/newsletter"))
        .header("cookie", &editor)
        .send()
        .await
        .expect("get");
    assert_eq!(page.status(), StatusCode::OK);
    let html = page.text().await.expect("body");
    assert!(html.contains("The quay fire is contained"), "{html}");
    let csrf = html
        .split("name=\"csrf\" value=\"")
        .nth(1)
        .and_then(|s| s.split('"').next())
        .expect("send form")
        .to_owned();
    // An issue needs someone to go to.
    let reader = EmailAddress::parse("reader@example.org").unwrap();
    if let newsdesk_core::newsletter::SignupResult::NeedsConfirmation(s) = app
        .store
        .request_subscription(&reader, chrono::Utc::now())
        .await
        .unwrap()
    {
        app.store
            .confirm_subscription(s.id, s.token_gen, chrono::Utc::now())
            .await
            .unwrap();
    }
    let sent = app
        .client
        .post(app.url("/admin/newsletter/send"))
        .header("cookie", &editor)
        .header("origin", &app.base)
        .header("content-type", "application/x-www-form-urlencoded")
        .body(format!("csrf={csrf}"))
        .send()
        .await
        .expect("post");
    assert_eq!(sent.status(), StatusCode::SEE_OTHER);
    let open = app
        .store
        .open_issue(None)
        .await
        .expect("store")
        .expect("issue");
    assert_eq!(open.articles[0].headline, "The quay fire is contained");
    // Sending is a job on the queue, not left for a poll to find.
    let jobs = app
        .store
        .job_counts(newsdesk_core::newsletter::ISSUE_QUEUE)
        .await
        .expect("counts");
    assert_eq!(jobs.queued, 1, "{jobs:?}");
}

#[tokio::test]
async fn editors_queue_a_test_copy_from_the_admin_and_authors_cannot() {
    use newsdesk_core::accounts::Role;
    use newsdesk_core::newsletter::{TEST_SEND_QUEUE, TestSendJob};
    let app = TestApp::spawn().await;
    let editor = signed_in(&app, "editor@example.org", Role::Editor).await;
    let html = app
        .client
        .get(app.url("/admin/newsletter"))
        .header("cookie", &editor)
        .send()
        .await
        .expect("get")
        .text()
        .await
        .expect("body");
    assert!(html.contains("/admin/newsletter/test-send"), "{html}");
    let csrf = html
        .split("name=\"csrf\" value=\"")
        .nth(1)
        .and_then(|s| s.split('"').next())
        .expect("a form")
        .to_owned();
    let post = |cookie: String, body: String| {
        let app = &app;
        async move {
            app.client
                .post(app.url("/admin/newsletter/test-send"))
                .header("cookie", cookie)
                .header("origin", &app.base)
                .header("content-type", "application/x-www-form-urlencoded")
                .body(body)
                .send()
                .await
                .expect("post")
        }
    };
    let bad = post(editor.clone(), format!("csrf={csrf}&to=not-an-address")).await;
    assert_eq!(bad.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let no_csrf = post(editor.clone(), "csrf=forged&to=me%40example.org".into()).await;
    assert_eq!(no_csrf.status(), StatusCode::FORBIDDEN);
    let author = signed_in(&app, "author@example.org", Role::Author).await;
    let denied = post(author, format!("csrf={csrf}&to=me%40example.org")).await;
    assert_eq!(denied.status(), StatusCode::FORBIDDEN);
    assert_eq!(
        app.store
            .job_counts(TEST_SEND_QUEUE)
            .await
            .expect("counts")
            .queued,
        0
    );

    let ok = post(editor, format!("csrf={csrf}&to=Me%40Example.org")).await;
    assert_eq!(ok.status(), StatusCode::OK);
    let now = chrono::Utc::now();
    let job = app
        .store
        .claim(
            &[TEST_SEND_QUEUE],
            "test",
            std::time::Duration::from_secs(30),
            now,
        )
        .await
        .expect("claim")
        .expect("one queued job");
    let payload: TestSendJob = serde_json::from_value(job.payload).expect("payload");
    assert_eq!(payload.to.as_str(), "Me@example.org");
}
