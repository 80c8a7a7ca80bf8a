//! The JSON API over HTTP: DTO shape, filters, cursor pagination, and the error shape for every
//! kind of bad request.

use std::collections::HashSet;

use chrono::{Duration, SecondsFormat, Utc};
use newsdesk_core::{ArticleStatus, SourceRef};
use serde_json::Value;

use crate::common::{ArticleSpec, TestApp};
use crate::feeds::spawn_app;

async fn get_json(app: &TestApp, path: &str) -> (u16, Value) {
    let res = app.get(path).await;
    let status = res.status().as_u16();
    assert!(
        res.headers()
            .get("content-type")
            .is_some_and(|v| v.to_str().is_ok_and(|v| v.starts_with("application/json"))),
        "{path}: not JSON: {:?}",
        res.headers().get("content-type")
    );
    (status, res.json().await.expect("JSON body"))
}

fn assert_error(status: u16, body: &Value, want_status: u16, want_code: &str) {
    assert_eq!(status, want_status, "{body}");
    assert_eq!(body["error"]["code"], want_code, "{body}");
    assert!(
        body["error"]["message"]
            .as_str()
            .is_some_and(|m| !m.is_empty()),
        "{body}"
    );
}

fn slugs(body: &Value) -> Vec<String> {
    body["items"]
        .as_array()
        .expect("items")
        .iter()
        .map(|i| i["slug"].as_str().expect("slug").to_owned())
        .collect()
}

/// `n` published articles an hour apart, newest first in the returned list, plus a draft and a
/// scheduled one; every third is tagged `harbour` and written by Bo, the rest by Ann.
async fn many(app: &TestApp, n: usize) -> Vec<String> {
    let ann = app.author("ann-lee", "Ann Lee").await;
    let bo = app.author("bo-kim", "Bo Kim").await;
    let harbour = app.tag("harbour", "Harbour").await;
    let now = Utc::now();
    let mut slugs = Vec::new();
    for i in 0..n {
        let slug = format!("story-{i:02}");
        let third = i % 3 == 0;
        app.article(ArticleSpec {
            slug: &slug,
            headline: &format!("Story {i}"),
            // Two stories share a timestamp so the cursor must break ties by id.
            published_at: Some(now - Duration::hours(if i == 1 { 1 } else { i as i64 + 1 })),
            authors: std::slice::from_ref(if third { &bo } else { &ann }),
            tags: if third {
                std::slice::from_ref(&harbour)
            } else {
                &[]
            },
            ..Default::default()
        })
        .await;
        slugs.push(slug);
    }
    app.article(ArticleSpec {
        slug: "a-draft",
        status: ArticleStatus::Draft,
        ..Default::default()
    })
    .await;
    app.article(ArticleSpec {
        slug: "tomorrow",
        status: ArticleStatus::Scheduled,
        published_at: Some(now + Duration::days(1)),
        ..Default::default()
    })
    .await;
    slugs
}

#[tokio::test]
async fn cursor_pagination_walks_every_visible_article_once_newest_first() {
    let app = spawn_app().await;
    let created = many(&app, 23).await;
    let mut seen = Vec::new();
    let mut path = "/api/v1/articles?limit=5".to_owned();
    for _ in 0..10 {
        let (status, body) = get_json(&app, &path).await;
        assert_eq!(status, 200, "{body}");
        assert!(slugs(&body).len() <= 5);
        seen.extend(slugs(&body));
        match body["next_cursor"].as_str() {
            Some(c) => path = format!("/api/v1/articles?limit=5&cursor={c}"),
            None => break,
        }
    }
    let unique: HashSet<_> = seen.iter().collect();
    assert_eq!(unique.len(), seen.len(), "duplicates: {seen:?}");
    assert_eq!(seen.len(), 23, "{seen:?}");
    let mut want = created.clone();
    // story-00 and story-01 are both an hour old; the store orders ties by id, newest id first.
    want.swap(0, 1);
    assert_eq!(seen, want);
    assert!(!seen.iter().any(|s| s == "a-draft" || s == "tomorrow"));
}

#[tokio::test]
async fn articles_filter_by_tag_author_and_since() {
    let app = spawn_app().await;
    many(&app, 9).await;
    let (_, by_tag) = get_json(&app, "/api/v1/articles?tag=harbour").await;
    assert_eq!(slugs(&by_tag), ["story-00", "story-03", "story-06"]);
    let (_, by_author) = get_json(&app, "/api/v1/articles?author=bo-kim&limit=2").await;
    assert_eq!(slugs(&by_author), ["story-00", "story-03"]);
    let since = (Utc::now() - Duration::minutes(210)).to_rfc3339_opts(SecondsFormat::Secs, true);
    let (status, recent) = get_json(
        &app,
        &format!("/api/v1/articles?since={}", since.replace('+', "%2B")),
    )
    .await;
    assert_eq!(status, 200, "{recent}");
    // story-00 and story-01 are an hour old, story-02 three hours, story-03 four.
    assert_eq!(slugs(&recent), ["story-01", "story-00", "story-02"]);
    let (_, unknown) = get_json(&app, "/api/v1/articles?tag=no-such-tag").await;
    assert_eq!(unknown["items"], serde_json::json!([]));
    assert_eq!(unknown["next_cursor"], Value::Null);
}

#[tokio::test]
async fn article_by_slug_has_the_documented_shape() {
    let app = spawn_app().await;
    let ann = app.author("ann-lee", "Ann Lee").await;
    let harbour = app.tag("harbour", "Harbour").await;
    let photo = app
        .photo(
            "crane.svg",
            "The crane at dawn",
            "Mara Quist / Northwind Wire",
        )
        .await;
    let a = app
        .article(ArticleSpec {
            authors: std::slice::from_ref(&ann),
            tags: std::slice::from_ref(&harbour),
            photo: Some(&photo),
            important: true,
            source: Some(SourceRef {
                agency: "Northwind Wire".into(),
                original_url: "https://wire.example/1".into(),
            }),
            ..Default::default()
        })
        .await;
    let res = app.get("/api/v1/articles/harbour-crane-repaired").await;
    assert_eq!(res.status(), 200);
    assert_eq!(res.headers()["cache-control"], "public, max-age=30");
    let v: Value = res.json().await.expect("json");
    assert_eq!(v["id"], a.id);
    assert_eq!(v["slug"], "harbour-crane-repaired");
    assert_eq!(v["headline"], a.headline);
    assert_eq!(v["standfirst"], a.standfirst);
    assert_eq!(v["body_html"], a.body_html);
    assert_eq!(v["url"], app.url("/articles/harbour-crane-repaired"));
    assert!(
        v["published_at"]
            .as_str()
            .is_some_and(|s| chrono::DateTime::parse_from_rfc3339(s).is_ok())
    );
    assert!(
        v["updated_at"]
            .as_str()
            .is_some_and(|s| chrono::DateTime::parse_from_rfc3339(s).is_ok())
    );
    assert_eq!(
        v["authors"],
        serde_json::json!([{"slug": "ann-lee", "name": "Ann Lee", "url": app.url("/authors/ann-lee")}])
    );
    assert_eq!(
        v["tags"],
        serde_json::json!([{"slug": "harbour", "name": "Harbour"}])
    );
    assert_eq!(
        v["section"],
        serde_json::json!({"slug": "harbour", "name": "Harbour"})
    );
    assert_eq!(
        v["lead_image"],
        serde_json::json!({
            "url": app.url("/uploads/crane.svg"), "alt": "Illustration: The crane at dawn",
            "caption": "The crane at dawn", "credit": "Mara Quist / Northwind Wire", "width": 1200, "height": 800
        })
    );
    assert_eq!(
        v["source"],
        serde_json::json!({"agency": "Northwind Wire", "original_url": "https://wire.example/1"})
    );
    assert_eq!(v["important"], true);
    assert!(
        v.get("body_markdown").is_none() && v.get("status").is_none(),
        "model fields leaked: {v}"
    );
}

#[tokio::test]
async fn drafts_and_scheduled_articles_are_invisible_and_missing_ones_404() {
    let app = spawn_app().await;
    many(&app, 2).await;
    for slug in ["a-draft", "tomorrow", "no-such-story", "Not-A-Slug"] {
        let (status, body) = get_json(&app, &format!("/api/v1/articles/{slug}")).await;
        assert_error(status, &body, 404, "not_found");
    }
    let (_, list) = get_json(&app, "/api/v1/articles").await;
    assert_eq!(slugs(&list), ["story-01", "story-00"]);
}

#[tokio::test]
async fn bad_query_parameters_are_400_with_the_json_error_shape() {
    let app = spawn_app().await;
    for q in [
        "cursor=not-a-cursor",
        "cursor=%FF%FE",
        "since=yesterday",
        "since=2026-13-01T00:00:00Z",
        "limit=0",
        "limit=101",
        "limit=-3",
        "limit=ten",
        "tag=Not%20A%20Slug",
        "author=UPPER",
        "limit=5&limit=6",
    ] {
        let (status, body) = get_json(&app, &format!("/api/v1/articles?{q}")).await;
        assert_error(status, &body, 400, "bad_request");
    }
}

#[tokio::test]
async fn unknown_routes_and_methods_answer_in_json() {
    let app = spawn_app().await;
    for path in [
        "/api/v1/nothing",
        "/api/v1/articles/a/b",
        "/api/v1/authors/",
        "/api/v1/v2/tags",
    ] {
        let (status, body) = get_json(&app, path).await;
        assert_error(status, &body, 404, "not_found");
    }
    let (status, root) = get_json(&app, "/api/v1").await;
    assert_eq!(status, 200);
    assert_eq!(root["articles"], app.url("/api/v1/articles"));
    let res = app
        .client
        .put(app.url("/api/v1/articles"))
        .send()
        .await
        .expect("request");
    assert_eq!(res.status(), 405);
    let body: Value = res.json().await.expect("json");
    assert_eq!(body["error"]["code"], "method_not_allowed");
}

#[tokio::test]
async fn authors_and_tags_are_listed_and_authors_found_by_slug() {
    let app = spawn_app().await;
    app.author("bo-kim", "Bo Kim").await;
    app.author("ann-lee", "Ann Lee").await;
    app.tag("weather", "Weather").await;
    app.tag("harbour", "Harbour").await;
    let (status, authors) = get_json(&app, "/api/v1/authors").await;
    assert_eq!(status, 200);
    assert_eq!(slugs(&authors), ["ann-lee", "bo-kim"]);
    assert_eq!(authors["items"][0]["url"], app.url("/authors/ann-lee"));
    assert!(
        authors["items"][0]["bio"]
            .as_str()
            .is_some_and(|b| b.contains("Ann Lee"))
    );
    let (status, tags) = get_json(&app, "/api/v1/tags").await;
    assert_eq!(status, 200);
    assert_eq!(slugs(&tags), ["harbour", "weather"]);
    assert_eq!(tags["items"][1]["url"], app.url("/tags/weather"));
    let (status, one) = get_json(&app, "/api/v1/authors/bo-kim").await;
    assert_eq!(status, 200);
    assert_eq!(one["name"], "Bo Kim");
    let (status, body) = get_json(&app, "/api/v1/authors/nobody").await;
    assert_error(status, &body, 404, "not_found");
}
