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
