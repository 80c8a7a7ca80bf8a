//! The account page over real HTTP: changing your own password (current one checked, CSRF,
//! other sessions signed out), an admin setting someone else's, and self-service API tokens.

use newsdesk_core::accounts::Role;
use reqwest::StatusCode;
use reqwest::header::COOKIE;

use crate::admin::{PW, Session, login, login_response, post_form, user};
use crate::common::TestApp;

const NEW_PW: &str = "staple battery horse";

async fn page_status(app: &TestApp, s: &Session, path: &str) -> StatusCode {
    app.client
        .get(app.url(path))
        .header(COOKIE, &s.cookie)
        .send()
        .await
        .expect("get")
        .status()
}

async fn change(
    app: &TestApp,
    s: &Session,
    current: &str,
    new: &str,
    repeat: &str,
) -> (StatusCode, String) {
    let r = post_form(
        app,
        s,
        "/admin/account/password",
        &[("current", current), ("new", new), ("repeat", repeat)],
    )
    .await;
    let status = r.status();
    (status, r.text().await.expect("body"))
}

#[tokio::test]
async fn a_wrong_current_password_is_refused_and_changes_nothing() {
    let app = TestApp::spawn().await;
    user(&app, "ana@example.org", Role::Author, None).await;
    let s = login(&app, "ana@example.org").await;
    let other = login(&app, "ana@example.org").await;
    let (status, html) = change(&app, &s, "not my password", NEW_PW, NEW_PW).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(html.contains("current password is not right"), "{html}");
    assert_eq!(
        page_status(&app, &other, "/admin").await,
        StatusCode::OK,
        "no session ended"
    );
    assert_eq!(
        login_response(&app, "ana@example.org", NEW_PW)
            .await
            .status(),
        StatusCode::UNAUTHORIZED
    );
    assert_eq!(
        login_response(&app, "ana@example.org", PW).await.status(),
        StatusCode::SEE_OTHER
    );
}

#[tokio::test]
async fn new_passwords_that_differ_are_too_short_or_unchanged_are_refused() {
    let app = TestApp::spawn().await;
    user(&app, "ana@example.org", Role::Author, None).await;
    let s = login(&app, "ana@example.org").await;
    for (new, repeat, says) in [
        (NEW_PW, "staple battery horses", "differ"),
        ("short", "short", "at least 10 characters"),
        (PW, PW, "is the current one"),
    ] {
        let (status, html) = change(&app, &s, PW, new, repeat).await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{new}/{repeat}");
        assert!(html.contains(says), "{says}: {html}");
    }
    assert_eq!(
        login_response(&app, "ana@example.org", PW).await.status(),
        StatusCode::SEE_OTHER
    );
}

#[tokio::test]
async fn changing_the_password_needs_the_forms_csrf_token() {
    let app = TestApp::spawn().await;
    user(&app, "ana@example.org", Role::Author, None).await;
    let s = login(&app, "ana@example.org").await;
    let forged = Session {
        cookie: s.cookie.clone(),
        csrf: "0".repeat(64),
    };
    let (status, _) = change(&app, &forged, PW, NEW_PW, NEW_PW).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    assert_eq!(
        login_response(&app, "ana@example.org", PW).await.status(),
        StatusCode::SEE_OTHER
    );
}

#[tokio::test]
async fn a_changed_password_signs_out_other_sessions_and_the_old_one_stops_working() {
    let app = TestApp::spawn().await;
    user(&app, "ana@example.org", Role::Author, None).await;
    let here = login(&app, "ana@example.org").await;
    let laptop = login(&app, "ana@example.org").await;
    let phone = login(&app, "ana@example.org").await;
    let (status, html) = change(&app, &here, PW, NEW_PW, NEW_PW).await;
    assert_eq!(status, StatusCode::OK);
    assert!(html.contains("2 other sessions were signed out"), "{html}");
    assert_eq!(
        page_status(&app, &here, "/admin").await,
        StatusCode::OK,
        "this session goes on"
    );
    for s in [&laptop, &phone] {
        assert_eq!(
            page_status(&app, s, "/admin").await,
            StatusCode::SEE_OTHER,
            "sent to login"
        );
    }
    assert_eq!(
        login_response(&app, "ana@example.org", PW).await.status(),
        StatusCode::UNAUTHORIZED
    );
    assert_eq!(
        login_response(&app, "ana@example.org", NEW_PW)
            .await
            .status(),
        StatusCode::SEE_OTHER
    );
    let audit = app.store.list_audit(None, 50).await.expect("audit");
    assert!(
        audit
            .iter()
            .any(|e| e.action == "user.password" && e.actor == "ana@example.org")
    );
}

#[tokio::test]
async fn only_an_admin_sets_another_users_password_and_that_signs_them_out() {
    let app = TestApp::spawn().await;
    let ana = user(&app, "ana@example.org", Role::Author, None).await;
    let root = user(&app, "root@example.org", Role::Admin, None).await;
    user(&app, "eddie@example.org", Role::Editor, None).await;
    let ana_s = login(&app, "ana@example.org").await;
    let editor = login(&app, "eddie@example.org").await;
    let admin = login(&app, "root@example.org").await;
    let path = format!("/admin/users/{}/password", ana.id);
    let r = post_form(&app, &editor, &path, &[("password", NEW_PW)]).await;
    assert_eq!(r.status(), StatusCode::FORBIDDEN, "editors cannot");
    let r = post_form(
        &app,
        &ana_s,
        &format!("/admin/users/{}/password", root.id),
        &[("password", NEW_PW)],
    )
    .await;
    assert_eq!(r.status(), StatusCode::FORBIDDEN, "authors cannot");
    assert_eq!(
        login_response(&app, "root@example.org", PW).await.status(),
        StatusCode::SEE_OTHER
    );
    let r = post_form(&app, &admin, &path, &[("password", "short")]).await;
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(
        page_status(&app, &ana_s, "/admin").await,
        StatusCode::OK,
        "refusals end nothing"
    );
    let own = format!("/admin/users/{}/password", root.id);
    let r = post_form(&app, &admin, &own, &[("password", NEW_PW)]).await;
    assert_eq!(
        r.status(),
        StatusCode::CONFLICT,
        "your own needs the current password"
    );
    let r = post_form(&app, &admin, &path, &[("password", NEW_PW)]).await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    assert_eq!(
        page_status(&app, &ana_s, "/admin").await,
        StatusCode::SEE_OTHER,
        "signed out"
    );
    assert_eq!(
        login_response(&app, "ana@example.org", PW).await.status(),
        StatusCode::UNAUTHORIZED
    );
    assert_eq!(
        login_response(&app, "ana@example.org", NEW_PW)
            .await
            .status(),
        StatusCode::SEE_OTHER
    );
    assert_eq!(page_status(&app, &admin, "/admin").await, StatusCode::OK);
}

#[tokio::test]
async fn api_tokens_made_on_the_account_page_work_until_revoked_and_only_by_their_owner() {
    let app = TestApp::spawn().await;
    user(&app, "ana@example.org", Role::Author, None).await;
    user(&app, "ben@example.org", Role::Author, None).await;
    let ana = login(&app, "ana@example.org").await;
    let ben = login(&app, "ben@example.org").await;
    let r = post_form(
        &app,
        &ana,
        "/admin/account/tokens",
        &[("label", "laptop script")],
    )
    .await;
    assert_eq!(r.status(), StatusCode::OK);
    let html = r.text().await.expect("body");
    let token = html
        .split("<code>ndt_")
        .nth(1)
        .and_then(|s| s.split('<').next())
        .map(|s| format!("ndt_{s}"))
        .expect("the new token is shown once");
    let me = |t: String| {
        let app = &app;
        async move {
            app.client
                .get(app.url("/api/v1/me"))
                .bearer_auth(t)
                .send()
                .await
                .expect("me")
                .status()
        }
    };
    assert_eq!(me(token.clone()).await, StatusCode::OK);
    let page = app
        .client
        .get(app.url("/admin/account"))
        .header(COOKIE, &ana.cookie)
        .send()
        .await
        .expect("account")
        .text()
        .await
        .expect("body");
    assert!(
        page.contains("laptop script") && !page.contains(&token),
        "listed, never shown again"
    );
    let id = page
        .split("/admin/account/tokens/")
        .nth(1)
        .and_then(|s| s.split('/').next())
        .expect("revoke form")
        .to_owned();
    let r = post_form(
        &app,
        &ben,
        &format!("/admin/account/tokens/{id}/revoke"),
        &[],
    )
    .await;
    assert_eq!(r.status(), StatusCode::NOT_FOUND, "not ben's token");
    assert_eq!(me(token.clone()).await, StatusCode::OK);
    let r = post_form(
        &app,
        &ana,
        &format!("/admin/account/tokens/{id}/revoke"),
        &[],
    )
    .await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    assert_eq!(me(token).await, StatusCode::UNAUTHORIZED);
}
