//! Managing newsroom users over real HTTP: disabling ends sessions and tokens; admins change
//! another user's role and byline (and nobody else, and not their own).

use newsdesk_core::accounts::Role;
use reqwest::StatusCode;
use reqwest::header::COOKIE;

use super::*;
use crate::common::TestApp;

#[tokio::test]
async fn a_disabled_users_session_and_tokens_stop_working() {
    let d = desk().await;
    let s = login(&d.app, "ben@example.org").await;
    let (_, t) = token(&d.app, &d.ben).await;
    d.app
        .store
        .set_user_disabled(d.ben.id, true)
        .await
        .expect("disable");
    let r = d
        .app
        .client
        .get(d.app.url("/admin"))
        .header(COOKIE, &s.cookie)
        .send()
        .await
        .expect("get");
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let (st, _) = api(
        &d.app,
        reqwest::Method::GET,
        "/api/v1/me",
        &t,
        serde_json::Value::Null,
    )
    .await;
    assert_eq!(st, StatusCode::UNAUTHORIZED);
    let r = login_response(&d.app, "ben@example.org", PW).await;
    assert_eq!(r.status(), StatusCode::UNAUTHORIZED);
}

#[tokio::test]
async fn an_admin_changes_another_users_role_and_byline_and_it_takes_effect() {
    let app = TestApp::spawn().await;
    let ana_profile = app.author("ana-ruiz", "Ana Ruiz").await;
    let ana = user(&app, "ana@example.org", Role::Author, Some(&ana_profile)).await;
    let root = user(&app, "root@example.org", Role::Admin, None).await;
    user(&app, "eddie@example.org", Role::Editor, None).await;
    let admin = login(&app, "root@example.org").await;
    let editor = login(&app, "eddie@example.org").await;
    let ana_s = login(&app, "ana@example.org").await;
    let review = |s: String| {
        let app = &app;
        async move {
            app.client
                .get(app.url("/admin/review"))
                .header(COOKIE, s)
                .send()
                .await
                .expect("get")
                .status()
        }
    };
    assert_eq!(review(ana_s.cookie.clone()).await, StatusCode::FORBIDDEN);
    let path = format!("/admin/users/{}/role", ana.id);
    let promote = [("role", "editor"), ("author_slug", "ana-ruiz")];
    let r = post_form(&app, &editor, &path, &promote).await;
    assert_eq!(
        r.status(),
        StatusCode::FORBIDDEN,
        "editors do not manage users"
    );
    let r = post_form(
        &app,
        &admin,
        &path,
        &[("role", "owner"), ("author_slug", "")],
    )
    .await;
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let r = post_form(
        &app,
        &admin,
        &path,
        &[("role", "editor"), ("author_slug", "nobody")],
    )
    .await;
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let r = post_form(&app, &admin, &path, &promote).await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let saved = app.store.user(ana.id).await.expect("load").expect("user");
    assert_eq!(
        (saved.role, saved.author_id),
        (Role::Editor, Some(ana_profile.id))
    );
    assert_eq!(
        review(ana_s.cookie.clone()).await,
        StatusCode::OK,
        "her session has the new role"
    );
    let own = format!("/admin/users/{}/role", root.id);
    let r = post_form(
        &app,
        &admin,
        &own,
        &[("role", "author"), ("author_slug", "")],
    )
    .await;
    assert_eq!(r.status(), StatusCode::CONFLICT);
    assert_eq!(
        app.store
            .user(root.id)
            .await
            .expect("load")
            .expect("user")
            .role,
        Role::Admin
    );
    let log = app.store.list_audit(None, 20).await.expect("audit");
    assert!(
        log.iter()
            .any(|l| l.action == "user.role" && l.target.contains("author -> editor"))
    );
}
