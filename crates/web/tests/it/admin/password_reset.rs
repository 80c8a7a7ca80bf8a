//! "Forgot your password?" over real HTTP: the same answer for known and unknown addresses, a
//! queued e-mail only for a real account, and a link that sets a new password once, signs every
//! session out, and is refused when expired, edited or reused.

use chrono::Utc;
use newsdesk_core::accounts::Role;
use newsdesk_core::password_reset::{self as reset, PASSWORD_RESET_QUEUE, PasswordResetJob};
use reqwest::StatusCode;
use reqwest::header::COOKIE;

use crate::admin::{PW, enc, login, login_response, user};
use crate::common::TestApp;

const NEW_PW: &str = "a brand new passphrase";

async fn ask(app: &TestApp, email: &str) -> (StatusCode, String) {
    let r = app
        .client
        .post(app.url("/admin/forgot"))
        .header("origin", &app.base)
        .header("content-type", "application/x-www-form-urlencoded")
        .body(enc(&[("email", email)]))
        .send()
        .await
        .expect("post");
    let status = r.status();
    (status, r.text().await.expect("body"))
}

async fn set(app: &TestApp, token: &str, new: &str, repeat: &str) -> (StatusCode, String) {
    let r = app
        .client
        .post(app.url("/admin/reset"))
        .header("origin", &app.base)
        .header("content-type", "application/x-www-form-urlencoded")
        .body(enc(&[("token", token), ("new", new), ("repeat", repeat)]))
        .send()
        .await
        .expect("post");
    let status = r.status();
    (status, r.text().await.expect("body"))
}

/// The token the queued job's e-mail would carry (the job makes it the same way).
async fn token_for(app: &TestApp, email: &str, expires: chrono::DateTime<Utc>) -> String {
    let creds = app
        .store
        .credentials_by_email(&newsdesk_core::EmailAddress::parse(email).expect("addr"))
        .await
        .expect("store")
        .expect("user");
    let secret = app
        .store
        .server_secret(
            reset::SECRET_NAME,
            &newsdesk_core::accounts::new_secret_token(""),
        )
        .await
        .expect("secret");
    reset::sign(&secret, creds.user.id, &creds.password_hash, expires)
}

#[tokio::test]
async fn known_and_unknown_addresses_get_the_same_answer_and_only_an_account_gets_mail() {
    let app = TestApp::spawn().await;
    let ed = user(&app, "ed@example.org", Role::Editor, None).await;
    let known = ask(&app, "ed@example.org").await;
    let unknown = ask(&app, "nobody@example.org").await;
    assert_eq!(known, unknown);
    assert_eq!(known.0, StatusCode::OK);
    assert!(known.1.contains("If a newsroom account uses that address"));
    let counts = app.store.job_counts(PASSWORD_RESET_QUEUE).await.expect("c");
    assert_eq!(counts.queued, 1, "{counts:?}");
    let job = app
        .store
        .claim(
            &[PASSWORD_RESET_QUEUE],
            "t",
            std::time::Duration::from_secs(30),
            Utc::now(),
        )
        .await
        .expect("claim")
        .expect("job");
    let payload: PasswordResetJob = serde_json::from_value(job.payload).expect("payload");
    assert_eq!(payload.user_id, ed.id);

    // More than three in an hour for one address: still the same answer, but no more mail.
    for _ in 0..4 {
        assert_eq!(ask(&app, "ed@example.org").await, unknown);
    }
    let counts = app.store.job_counts(PASSWORD_RESET_QUEUE).await.expect("c");
    assert_eq!(counts.queued, 2, "three per hour in all: {counts:?}");

    // A cross-site post is refused.
    let r = app
        .client
        .post(app.url("/admin/forgot"))
        .header("origin", "https://elsewhere.example")
        .header("content-type", "application/x-www-form-urlencoded")
        .body("email=ed%40example.org")
        .send()
        .await
        .expect("post");
    assert_eq!(r.status(), StatusCode::FORBIDDEN);
}

#[tokio::test]
async fn the_link_sets_a_new_password_once_and_signs_every_session_out() {
    let app = TestApp::spawn().await;
    user(&app, "ed@example.org", Role::Editor, None).await;
    let session = login(&app, "ed@example.org").await;
    let token = token_for(&app, "ed@example.org", Utc::now() + reset::VALID_FOR).await;

    let page = app.get(&format!("/admin/reset?token={token}")).await;
    assert_eq!(page.status(), StatusCode::OK);
    assert_eq!(page.headers()["referrer-policy"], "no-referrer");
    assert!(page.text().await.expect("body").contains("name=\"new\""));

    let (status, body) = set(&app, &token, NEW_PW, "something else entirely").await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    let (status, body) = set(&app, &token, "short", "short").await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    let (status, body) = set(&app, &token, NEW_PW, NEW_PW).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert!(body.contains("Your password is changed"));

    // The old session is gone, the old password fails, the new one works.
    let r = app
        .client
        .get(app.url("/admin"))
        .header(COOKIE, &session.cookie)
        .send()
        .await
        .expect("get");
    assert_ne!(
        r.status(),
        StatusCode::OK,
        "the old session must be signed out"
    );
    assert_ne!(
        login_response(&app, "ed@example.org", PW).await.status(),
        StatusCode::SEE_OTHER
    );
    assert_eq!(
        login_response(&app, "ed@example.org", NEW_PW)
            .await
            .status(),
        StatusCode::SEE_OTHER
    );

    // Used once: the same link is refused now.
    let (status, body) = set(
        &app,
        &token,
        "yet another passphrase",
        "yet another passphrase",
    )
    .await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{body}");
    assert_eq!(
        app.get(&format!("/admin/reset?token={token}"))
            .await
            .status(),
        StatusCode::BAD_REQUEST
    );
}

#[tokio::test]
async fn expired_and_edited_links_are_refused_and_change_nothing() {
    let app = TestApp::spawn().await;
    user(&app, "ed@example.org", Role::Editor, None).await;
    let expired = token_for(
        &app,
        "ed@example.org",
        Utc::now() - chrono::Duration::seconds(1),
    )
    .await;
    let (status, _) = set(&app, &expired, NEW_PW, NEW_PW).await;
    assert_eq!(status, StatusCode::GONE);
    let good = token_for(&app, "ed@example.org", Utc::now() + reset::VALID_FOR).await;
    let (body, _) = good.rsplit_once('.').expect("dots");
    let forged = format!("{body}.AAAAAAAAAAAAAAAAAAAAAA");
    let (status, _) = set(&app, &forged, NEW_PW, NEW_PW).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    let (status, _) = set(&app, "", NEW_PW, NEW_PW).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(
        login_response(&app, "ed@example.org", PW).await.status(),
        StatusCode::SEE_OTHER,
        "the password is unchanged"
    );
}
