//! Over real HTTP: approving agency copy from the review queue, and admins changing another
//! user's role and byline (and nobody else, and not their own).

use newsdesk_core::accounts::Role;
use newsdesk_core::{ArticleStatus, SourceRef};
use reqwest::StatusCode;
use reqwest::header::COOKIE;

use crate::admin::{login, post_form, user};
use crate::common::{ArticleSpec, TestApp};

#[tokio::test]
async fn approving_agency_copy_publishes_it_and_authors_cannot() {
    let app = TestApp::spawn().await;
    user(&app, "eddie@example.org", Role::Editor, None).await;
    user(&app, "ana@example.org", Role::Author, None).await;
    let wire = app
        .article(ArticleSpec {
            slug: "storm-warning",
            headline: "Storm warning for the coast",
            status: ArticleStatus::Draft,
            source: Some(SourceRef {
                agency: "Northwind Wire".into(),
                original_url: "https://wire.example/1".into(),
            }),
            ..Default::default()
        })
        .await;
    assert_eq!(
        app.get_text("/articles/storm-warning").await.0,
        StatusCode::NOT_FOUND
    );
    let path = format!("/admin/review/{}/approve", wire.id);
    let ana = login(&app, "ana@example.org").await;
    let r = post_form(&app, &ana, &path, &[]).await;
    assert_eq!(r.status(), StatusCode::FORBIDDEN);
    let e = login(&app, "eddie@example.org").await;
    let queue = app
        .client
        .get(app.url("/admin/review"))
        .header(COOKIE, &e.cookie)
        .send()
        .await
        .expect("queue")
        .text()
        .await
        .expect("body");
    assert!(queue.contains(&path), "the queue offers approval");
    let r = post_form(&app, &e, &path, &[]).await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let a = app
        .store
        .article(wire.id)
        .await
        .expect("load")
        .expect("kept");
    assert_eq!(a.status, ArticleStatus::Published);
    let (status, page) = app.get_text("/articles/storm-warning").await;
    assert_eq!(status, StatusCode::OK);
    assert!(page.contains("Storm warning for the coast"));
    let r = post_form(&app, &e, &path, &[]).await;
    assert_eq!(r.status(), StatusCode::CONFLICT, "already out");
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

#[tokio::test]
async fn an_author_can_neither_open_nor_preview_a_colleagues_draft() {
    let app = TestApp::spawn().await;
    let ana_profile = app.author("ana-ruiz", "Ana Ruiz").await;
    let ben_profile = app.author("ben-okafor", "Ben Okafor").await;
    user(&app, "ana@example.org", Role::Author, Some(&ana_profile)).await;
    let bens = app
        .article(ArticleSpec {
            slug: "council-budget-leak",
            headline: "Council budget leak, unconfirmed",
            status: ArticleStatus::Draft,
            authors: std::slice::from_ref(&ben_profile),
            ..Default::default()
        })
        .await;
    let ana = login(&app, "ana@example.org").await;
    let path = format!("/admin/articles/{}", bens.id);
    let r = app
        .client
        .get(app.url(&path))
        .header(COOKIE, &ana.cookie)
        .send()
        .await
        .expect("get");
    assert_eq!(r.status(), StatusCode::FORBIDDEN);
    let r = post_form(
        &app,
        &ana,
        &path,
        &[
            ("headline", "x"),
            ("body_markdown", "y"),
            ("action", "preview"),
        ],
    )
    .await;
    assert_eq!(r.status(), StatusCode::FORBIDDEN);
    assert!(
        !r.text()
            .await
            .expect("body")
            .contains("Council budget leak")
    );
}
