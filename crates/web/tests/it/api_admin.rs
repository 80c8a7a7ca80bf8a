//! The admin JSON API over real HTTP: the same permissions as the admin site, and bad tokens refused.

use chrono::Utc;
use reqwest::StatusCode;

use crate::admin::*;

#[tokio::test]
async fn api_enforces_the_same_permissions_and_refuses_bad_tokens() {
    let d = desk().await;
    let (_, ana_t) = token(&d.app, &d.ana).await;
    let (ben_tid, ben_t) = token(&d.app, &d.ben).await;
    let (_, ed_t) = token(&d.app, &d.eddie).await;
    let (_, admin_t) = token(&d.app, &d.admin).await;
    let _ = admin_t;

    let (s, me) = api(
        &d.app,
        reqwest::Method::GET,
        "/api/v1/me",
        &ana_t,
        serde_json::Value::Null,
    )
    .await;
    assert_eq!(s, StatusCode::OK);
    assert_eq!(
        (me["role"].as_str(), me["author_id"].as_i64()),
        (Some("author"), Some(d.ana_author.id))
    );
    let r = d
        .app
        .client
        .get(d.app.url("/api/v1/me"))
        .send()
        .await
        .expect("me");
    assert_eq!(r.status(), StatusCode::UNAUTHORIZED);
    let body: serde_json::Value = r.json().await.expect("json");
    assert_eq!(body["error"]["code"], "unauthorized");

    let (s, a) = api(
        &d.app,
        reqwest::Method::POST,
        "/api/v1/articles",
        &ana_t,
        serde_json::json!({"headline": "Tram line extended", "body_markdown": "Two new stops."}),
    )
    .await;
    assert_eq!(s, StatusCode::CREATED, "{a}");
    assert_eq!(a["status"], "draft");
    assert_eq!(a["author_ids"], serde_json::json!([d.ana_author.id]));
    let id = a["id"].as_i64().expect("id");

    let (s, e) = api(
        &d.app,
        reqwest::Method::POST,
        "/api/v1/articles",
        &ana_t,
        serde_json::json!({"headline": "Straight to print", "status": "published"}),
    )
    .await;
    assert_eq!(s, StatusCode::FORBIDDEN, "{e}");
    assert_eq!(e["error"]["code"], "forbidden");
    let (s, _) = api(
        &d.app,
        reqwest::Method::PATCH,
        &format!("/api/v1/articles/{id}"),
        &ana_t,
        serde_json::json!({"status": "published"}),
    )
    .await;
    assert_eq!(s, StatusCode::FORBIDDEN);
    let (s, _) = api(
        &d.app,
        reqwest::Method::PATCH,
        &format!("/api/v1/articles/{id}"),
        &ben_t,
        serde_json::json!({"headline": "Ben was here"}),
    )
    .await;
    assert_eq!(s, StatusCode::FORBIDDEN);
    let (s, e) = api(
        &d.app,
        reqwest::Method::POST,
        "/api/v1/articles",
        &ana_t,
        serde_json::json!({"headline": "  "}),
    )
    .await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{e}");

    let (s, a) = api(
        &d.app,
        reqwest::Method::PATCH,
        &format!("/api/v1/articles/{id}"),
        &ed_t,
        serde_json::json!({"headline": "Tram line extended to the harbour", "status": "published"}),
    )
    .await;
    assert_eq!(s, StatusCode::OK, "{a}");
    assert_eq!(a["status"], "published");
    assert!(
        a["url"]
            .as_str()
            .is_some_and(|u| u.ends_with("/articles/tram-line-extended"))
    );

    d.app
        .store
        .revoke_api_token(ben_tid, Utc::now())
        .await
        .expect("revoke");
    let (s, _) = api(
        &d.app,
        reqwest::Method::GET,
        "/api/v1/me",
        &ben_t,
        serde_json::Value::Null,
    )
    .await;
    assert_eq!(s, StatusCode::UNAUTHORIZED, "a revoked token is refused");
}
