//! The story desk over HTTP: the readers' full coverage page, its link from the article, and the
//! admin API's listing and corrections of story clusters.

#![allow(clippy::unwrap_used)]

use newsdesk_core::accounts::Role;
use reqwest::Method as M;
use reqwest::StatusCode;
use serde_json::json;

use crate::common::TestApp;
use crate::wire::api::{call, token_for};
use crate::wire::wire_story_titled;

/// One story carried by three outlets (the second with a headline that needs escaping), and a
/// story of its own: (story, other story).
async fn desk(app: &TestApp) -> (i64, i64) {
    let store = app.store.as_ref();
    let (story, _) = wire_story_titled(
        store,
        "Northwind Wire",
        "https://northwind.example/s/1",
        "Ferry crews strike",
        None,
    )
    .await;
    wire_story_titled(
        store,
        "Harbour Press",
        "https://harbour.example/s/9",
        "Crews walk out <at dawn> & ferries stop",
        Some(story),
    )
    .await;
    wire_story_titled(
        store,
        "Coast Daily",
        "https://coast.example/news/3",
        "Ferries idle as strike begins",
        Some(story),
    )
    .await;
    let (other, _) = wire_story_titled(
        store,
        "Valley Times",
        "https://valley.example/a/5",
        "Ferry strike talks resume",
        None,
    )
    .await;
    (story, other)
}

#[tokio::test]
async fn full_coverage_lists_every_outlet_newest_first_escaped_and_is_linked_from_the_article() {
    let app = TestApp::spawn().await;
    let (story, _) = desk(&app).await;
    let (status, html) = app.get_text(&format!("/stories/{story}")).await;
    assert_eq!(status, StatusCode::OK, "{html}");
    assert!(html.contains("Full coverage"), "{html}");
    assert!(html.contains("<main"), "in the site layout: {html}");
    assert!(html.contains("Reported by 3 outlets"), "{html}");
    // Newest first (equal feed times: the later stored version first).
    let coast = html.find("https://coast.example/news/3").unwrap();
    let harbour = html.find("https://harbour.example/s/9").unwrap();
    let northwind = html.find("https://northwind.example/s/1").unwrap();
    assert!(coast < harbour && harbour < northwind, "{html}");
    assert!(
        html.contains("Crews walk out &lt;at dawn&gt; &amp; ferries stop"),
        "{html}"
    );
    assert!(!html.contains("<at dawn>"), "{html}");
    assert!(html.contains("<time datetime="), "{html}");
    let slug = app
        .store
        .story(story)
        .await
        .unwrap()
        .unwrap()
        .article_slug
        .unwrap();
    let (_, article) = app.get_text(&format!("/articles/{slug}")).await;
    assert!(article.contains("Also reported by"), "{article}");
    assert!(
        article.contains(&format!("<a href=\"/stories/{story}\">Full coverage</a>")),
        "{article}"
    );
    let (status, _) = app.get_text(&format!("/stories/{}", story + 1000)).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let (status, _) = app.get_text("/stories/not-a-number").await;
    assert_eq!(status, StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn stories_api_lists_and_corrects_clusters_for_editors_only() {
    let app = TestApp::spawn().await;
    let (story, other) = desk(&app).await;
    let editor = token_for(&app, "editor@desk.test", Role::Editor).await;
    let author = token_for(&app, "author@desk.test", Role::Author).await;

    let (s, _) = call(&app, M::GET, "/api/v1/stories", None, None).await;
    assert_eq!(s, StatusCode::UNAUTHORIZED);
    let (s, b) = call(&app, M::GET, "/api/v1/stories", Some(&author), None).await;
    assert_eq!(s, StatusCode::FORBIDDEN, "{b}");
    let (s, b) = call(
        &app,
        M::POST,
        &format!("/api/v1/stories/{story}/merge"),
        Some(&author),
        Some(json!({"from": other})),
    )
    .await;
    assert_eq!(s, StatusCode::FORBIDDEN, "{b}");

    let (s, b) = call(&app, M::GET, "/api/v1/stories", Some(&editor), None).await;
    assert_eq!(s, StatusCode::OK, "{b}");
    let list = b.as_array().unwrap();
    assert_eq!(list.len(), 2);
    assert_eq!(list[0]["id"], other);
    assert_eq!(list[1]["size"], 3);
    assert_eq!(list[1]["outlets"], 3);
    let members = list[1]["members"].as_array().unwrap();
    assert_eq!(members[0]["source"], "Coast Daily");
    assert_eq!(members[0]["url"], "https://coast.example/news/3");
    assert_eq!(members[2]["lead"], true);
    assert!(
        list[1]["coverage_url"]
            .as_str()
            .unwrap()
            .ends_with(&format!("/stories/{story}"))
    );

    // Merge the other story in.
    let (s, b) = call(
        &app,
        M::POST,
        &format!("/api/v1/stories/{story}/merge"),
        Some(&editor),
        Some(json!({"from": other})),
    )
    .await;
    assert_eq!(s, StatusCode::OK, "{b}");
    assert_eq!(b["size"], 4);
    let (s, _) = call(
        &app,
        M::GET,
        &format!("/api/v1/stories/{other}"),
        Some(&editor),
        None,
    )
    .await;
    assert_eq!(s, StatusCode::NOT_FOUND);
    let (s, b) = call(
        &app,
        M::POST,
        &format!("/api/v1/stories/{story}/merge"),
        Some(&editor),
        Some(json!({"from": story})),
    )
    .await;
    assert_eq!(s, StatusCode::CONFLICT, "{b}");
    let (s, b) = call(
        &app,
        M::POST,
        &format!("/api/v1/stories/{story}/merge"),
        Some(&editor),
        Some(json!({"form": other})),
    )
    .await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{b}");

    // Choose the Coast Daily version as lead: the article follows it.
    let (_, b) = call(
        &app,
        M::GET,
        &format!("/api/v1/stories/{story}"),
        Some(&editor),
        None,
    )
    .await;
    let coast = b["members"]
        .as_array()
        .unwrap()
        .iter()
        .find(|m| m["source"] == "Coast Daily")
        .unwrap()["item_id"]
        .as_i64()
        .unwrap();
    let valley = b["members"]
        .as_array()
        .unwrap()
        .iter()
        .find(|m| m["source"] == "Valley Times")
        .unwrap()["item_id"]
        .as_i64()
        .unwrap();
    let (s, b) = call(
        &app,
        M::POST,
        &format!("/api/v1/stories/{story}/lead"),
        Some(&editor),
        Some(json!({"item_id": coast})),
    )
    .await;
    assert_eq!(s, StatusCode::OK, "{b}");
    assert_eq!(b["lead_item_id"], coast);
    assert_eq!(b["lead_chosen"], true);
    let slug = app
        .store
        .story(story)
        .await
        .unwrap()
        .unwrap()
        .article_slug
        .unwrap();
    app.invalidate();
    let (_, article) = app.get_text(&format!("/articles/{slug}")).await;
    assert!(
        article.contains("Ferries idle as strike begins"),
        "{article}"
    );

    // Move the Valley Times version back out: a story of its own, pinned there.
    let (s, b) = call(
        &app,
        M::POST,
        &format!("/api/v1/stories/{story}/split"),
        Some(&editor),
        Some(json!({"item_id": valley})),
    )
    .await;
    assert_eq!(s, StatusCode::OK, "{b}");
    assert_ne!(b["id"], story);
    assert_eq!(b["size"], 1);
    assert_eq!(b["members"][0]["pinned"], true);
    let own = b["id"].as_i64().unwrap();
    let (s, b) = call(
        &app,
        M::POST,
        &format!("/api/v1/stories/{own}/split"),
        Some(&editor),
        Some(json!({"item_id": valley})),
    )
    .await;
    assert_eq!(s, StatusCode::CONFLICT, "{b}");
    let (s, b) = call(
        &app,
        M::POST,
        &format!("/api/v1/stories/{story}/lead"),
        Some(&editor),
        Some(json!({"item_id": valley})),
    )
    .await;
    assert_eq!(s, StatusCode::NOT_FOUND, "{b}");
    let (_, b) = call(
        &app,
        M::GET,
        &format!("/api/v1/stories/{story}"),
        Some(&editor),
        None,
    )
    .await;
    assert_eq!(b["size"], 3);
}
