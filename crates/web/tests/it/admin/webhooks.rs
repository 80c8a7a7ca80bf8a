//! Webhooks over real HTTP: signed deliveries to a real receiver.

use std::sync::Arc;
use std::time::Duration;

use chrono::Utc;
use reqwest::StatusCode;

use super::*;

#[tokio::test]
async fn webhooks_are_signed_and_delivered_to_a_real_receiver() {
    use axum::routing::post;
    let d = desk().await;
    let (tx, mut rx) =
        tokio::sync::mpsc::unbounded_channel::<(axum::http::HeaderMap, bytes::Bytes)>();
    let recv = axum::Router::new().route(
        "/hook",
        post(move |h: axum::http::HeaderMap, b: bytes::Bytes| {
            let tx = tx.clone();
            async move {
                let _ = tx.send((h, b));
                "ok"
            }
        }),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let addr = listener.local_addr().expect("addr");
    tokio::spawn(async move {
        let _ = axum::serve(listener, recv).await;
    });
    let hook = d
        .app
        .store
        .create_webhook(&format!("http://{addr}/hook"), "whsec_test", Utc::now())
        .await
        .expect("hook");
    let (_, t) = token(&d.app, &d.eddie).await;
    let (s, _) = api(
        &d.app,
        reqwest::Method::POST,
        "/api/v1/articles",
        &t,
        serde_json::json!({"headline": "Bridge reopens", "status": "published"}),
    )
    .await;
    assert_eq!(s, StatusCode::CREATED);

    let store: Arc<dyn newsdesk_core::jobs::JobStore> = d.app.store.clone();
    // A guarded handler refuses loopback: the delivery fails for good and says why.
    let guarded =
        newsdesk_web::webhooks::WebhookHandler::new(d.app.store.clone(), false).expect("h");
    let w =
        newsdesk_core::jobs::Worker::new(store.clone(), "t1").handle("webhook", Arc::new(guarded));
    w.run_once().await.expect("run");
    let first = d.app.store.list_webhook_deliveries(10).await.expect("d");
    assert_eq!(first[0].status, "failed");
    assert!(
        first[0]
            .last_error
            .as_deref()
            .unwrap_or("")
            .contains("not public")
    );

    let (s, _) = api(
        &d.app,
        reqwest::Method::PATCH,
        "/api/v1/articles/bridge-reopens",
        &t,
        serde_json::json!({"standfirst": "Two weeks early."}),
    )
    .await;
    assert_eq!(s, StatusCode::OK);
    let open = newsdesk_web::webhooks::WebhookHandler::new(d.app.store.clone(), true).expect("h");
    let w = newsdesk_core::jobs::Worker::new(store, "t2").handle("webhook", Arc::new(open));
    w.run_once().await.expect("run");
    let (h, body) = tokio::time::timeout(Duration::from_secs(10), rx.recv())
        .await
        .expect("delivered")
        .expect("msg");
    let ts: i64 = h["x-newsdesk-timestamp"]
        .to_str()
        .expect("ts")
        .parse()
        .expect("int");
    assert!((Utc::now().timestamp() - ts).abs() < 60);
    let expected = newsdesk_web::webhooks::signature("whsec_test", ts, &body);
    assert_eq!(h["x-newsdesk-signature"].to_str().expect("sig"), expected);
    assert_ne!(
        newsdesk_web::webhooks::signature("other", ts, &body),
        expected
    );
    let v: serde_json::Value = serde_json::from_slice(&body).expect("json");
    assert_eq!(v["event"], "article.updated");
    assert_eq!(v["article"]["slug"], "bridge-reopens");
    let ds = d.app.store.list_webhook_deliveries(10).await.expect("d");
    assert_eq!(
        (ds[0].status.as_str(), ds[0].last_status, ds[0].webhook_id),
        ("delivered", Some(200), hook.id)
    );
}

#[tokio::test]
async fn adding_a_webhook_redirects_and_the_secret_is_shown_once_on_the_next_page() {
    use reqwest::header::{COOKIE, SET_COOKIE};
    let d = desk().await;
    let admin = login(&d.app, "root@example.org").await;
    let r = post_form(
        &d.app,
        &admin,
        "/admin/webhooks",
        &[("url", "https://hooks.example/newsdesk")],
    )
    .await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER, "POST, redirect, GET");
    assert_eq!(r.headers()["location"], "/admin/webhooks");
    let flash = r.headers()[SET_COOKIE]
        .to_str()
        .expect("cookie")
        .split(';')
        .next()
        .expect("pair")
        .to_owned();
    let secret = flash.split('=').nth(1).expect("value").to_owned();
    assert!(secret.starts_with("whsec_"));
    let r = d
        .app
        .client
        .get(d.app.url("/admin/webhooks"))
        .header(COOKIE, format!("{}; {flash}", admin.cookie))
        .send()
        .await
        .expect("get");
    assert!(
        r.headers()
            .get_all(SET_COOKIE)
            .iter()
            .any(|v| v.to_str().unwrap_or("").contains("Max-Age=0")),
        "the GET clears the one-time cookie"
    );
    assert!(r.text().await.expect("body").contains(&secret));
    assert_eq!(d.app.store.list_webhooks().await.expect("hooks").len(), 1);
    let r = d
        .app
        .client
        .get(d.app.url("/admin/webhooks"))
        .header(COOKIE, &admin.cookie)
        .send()
        .await
        .expect("get");
    assert!(
        !r.text().await.expect("body").contains(&secret),
        "shown once"
    );
}
