//! The sources page over real HTTP.

use chrono::Utc;
use reqwest::StatusCode;
use reqwest::header::COOKIE;

use super::*;

#[tokio::test]
async fn sources_page_shows_feed_health_to_admins_only() {
    let d = desk().await;
    d.app
        .store
        .create_source(
            &newsdesk_core::ingest::NewSource {
                feed_url: "https://wire.example/feed.xml".into(),
                name: Some("Northwind Wire".into()),
                auto_publish: false,
                interval_seconds: 600,
            },
            Utc::now(),
        )
        .await
        .expect("source");
    let admin = login(&d.app, "root@example.org").await;
    let r = d
        .app
        .client
        .get(d.app.url("/admin/sources"))
        .header(COOKIE, &admin.cookie)
        .send()
        .await
        .expect("get");
    assert_eq!(r.status(), StatusCode::OK);
    let html = r.text().await.expect("body");
    assert!(html.contains("Northwind Wire") && html.contains("https://wire.example/feed.xml"));
    assert!(html.contains(">new<"), "never polled yet");
    let editor = login(&d.app, "eddie@example.org").await;
    let r = d
        .app
        .client
        .get(d.app.url("/admin/sources"))
        .header(COOKIE, &editor.cookie)
        .send()
        .await
        .expect("get");
    assert_eq!(r.status(), StatusCode::FORBIDDEN);
}

async fn sources_page(app: &crate::common::TestApp, s: &Session) -> String {
    app.client
        .get(app.url("/admin/sources"))
        .header(COOKIE, &s.cookie)
        .send()
        .await
        .expect("get")
        .text()
        .await
        .expect("body")
}

#[tokio::test]
async fn an_admin_adds_edits_pauses_resumes_and_removes_a_source_from_the_sources_page() {
    let d = desk().await;
    let admin = login(&d.app, "root@example.org").await;
    let r = post_form(
        &d.app,
        &admin,
        "/admin/sources",
        &[
            ("url", "https://wire.example/feed.xml"),
            ("name", "Northwind Wire"),
            ("interval", "30m"),
        ],
    )
    .await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let list = d.app.store.list_sources().await.expect("list");
    assert_eq!(list.len(), 1);
    let s = &list[0];
    assert_eq!(
        (s.name.as_str(), s.interval_seconds, s.auto_publish),
        ("Northwind Wire", 1800, false)
    );
    assert!(
        sources_page(&d.app, &admin)
            .await
            .contains("Northwind Wire")
    );

    let path = format!("/admin/sources/{}", s.id);
    let r = post_form(
        &d.app,
        &admin,
        &path,
        &[
            ("name", "Northwind"),
            ("interval", "1h"),
            ("auto_publish", "1"),
        ],
    )
    .await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let s = d
        .app
        .store
        .source(s.id)
        .await
        .expect("read")
        .expect("source");
    assert_eq!(
        (s.name.as_str(), s.interval_seconds, s.auto_publish),
        ("Northwind", 3600, true)
    );

    let r = post_form(&d.app, &admin, &format!("{path}/pause"), &[]).await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    assert!(
        d.app
            .store
            .source(s.id)
            .await
            .expect("r")
            .expect("s")
            .paused
    );
    assert!(sources_page(&d.app, &admin).await.contains(">Resume<"));
    let r = post_form(&d.app, &admin, &format!("{path}/resume"), &[]).await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    assert!(
        !d.app
            .store
            .source(s.id)
            .await
            .expect("r")
            .expect("s")
            .paused
    );

    let r = post_form(&d.app, &admin, &format!("{path}/delete"), &[]).await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    assert!(d.app.store.list_sources().await.expect("list").is_empty());
}

#[tokio::test]
async fn a_refused_source_comes_back_in_the_form_and_editors_cannot_add_one() {
    let d = desk().await;
    let admin = login(&d.app, "root@example.org").await;
    let r = post_form(
        &d.app,
        &admin,
        "/admin/sources",
        &[
            ("url", "https://wire.example/feed.xml"),
            ("interval", "often"),
        ],
    )
    .await;
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let page = r.text().await.expect("body");
    assert!(
        page.contains("Interval:") && page.contains("value=\"often\""),
        "{page}"
    );
    assert!(page.contains("value=\"https://wire.example/feed.xml\""));

    let editor = login(&d.app, "eddie@example.org").await;
    let r = post_form(
        &d.app,
        &editor,
        "/admin/sources",
        &[("url", "https://x.example/rss")],
    )
    .await;
    assert_eq!(r.status(), StatusCode::FORBIDDEN);
    assert!(d.app.store.list_sources().await.expect("list").is_empty());
}
