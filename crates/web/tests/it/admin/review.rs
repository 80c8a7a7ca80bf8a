//! The review queue over real HTTP: agency drafts listed, rejected, approved (and authors
//! cannot approve).

use newsdesk_core::accounts::Role;
use newsdesk_core::*;
use reqwest::StatusCode;
use reqwest::header::COOKIE;

use super::*;
use crate::common::{ArticleSpec, TestApp};

#[tokio::test]
async fn review_queue_lists_agency_drafts_and_reject_removes_them() {
    let d = desk().await;
    let wire = d
        .app
        .article(crate::common::ArticleSpec {
            slug: "wire-storm-warning",
            headline: "Storm warning for the coast",
            status: ArticleStatus::Draft,
            source: Some(SourceRef {
                agency: "Northwind Wire".into(),
                original_url: "https://wire.example/1".into(),
            }),
            ..Default::default()
        })
        .await;
    let ana = login(&d.app, "ana@example.org").await;
    let r = d
        .app
        .client
        .get(d.app.url("/admin/review"))
        .header(COOKIE, &ana.cookie)
        .send()
        .await
        .expect("get");
    assert_eq!(r.status(), StatusCode::FORBIDDEN, "authors do not review");
    let e = login(&d.app, "eddie@example.org").await;
    let r = d
        .app
        .client
        .get(d.app.url("/admin/review"))
        .header(COOKIE, &e.cookie)
        .send()
        .await
        .expect("get");
    let html = r.text().await.expect("body");
    assert!(html.contains("Storm warning for the coast") && html.contains("Northwind Wire"));
    let r = post_form(
        &d.app,
        &e,
        &format!("/admin/review/{}/reject", wire.id),
        &[],
    )
    .await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    assert!(d.app.store.article(wire.id).await.expect("a").is_none());
    let log = d.app.store.list_audit(None, 10).await.expect("audit");
    assert!(
        log.iter()
            .any(|l| l.action == "article.reject" && l.actor == "eddie@example.org")
    );
}

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
