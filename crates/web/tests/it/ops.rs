//! `/healthz`, `/readyz` and `/metrics` (issue 17) on a real server over a real SQLite file.

use std::sync::Arc;

use crate::common::{ArticleSpec, TestApp};

#[tokio::test]
async fn healthz_and_readyz_answer_ok_and_are_never_cached() {
    let app = TestApp::spawn().await;
    let r = app.get("/healthz").await;
    assert_eq!(r.status(), 200);
    assert_eq!(r.headers()["cache-control"], "no-store");
    assert_eq!(r.text().await.unwrap(), "ok\n");
    let (status, body) = app.get_text("/readyz").await;
    assert_eq!((status.as_u16(), body.as_str()), (200, "ready\n"));
}

#[tokio::test]
async fn metrics_are_off_without_a_token() {
    let app = TestApp::spawn().await;
    let (status, body) = app.get_text("/metrics").await;
    assert_eq!(status, 404);
    assert!(!body.contains("newsdesk_"), "{body}");
}

#[tokio::test]
async fn metrics_need_the_bearer_token_and_count_requests_by_route_and_cache_hits() {
    let app = TestApp::spawn_with(|s| {
        s.ops = Arc::new(newsdesk_web::ops::Ops::new("node-7", Some("s3cret".into())));
    })
    .await;
    app.article(ArticleSpec {
        slug: "ferry",
        headline: "Ferry returns",
        ..ArticleSpec::default()
    })
    .await;
    app.invalidate();
    for _ in 0..3 {
        assert_eq!(app.get("/").await.status(), 200);
    }
    assert_eq!(app.get("/articles/ferry").await.status(), 200);
    assert_eq!(app.get("/articles/no-such").await.status(), 404);
    for auth in [None, Some("Bearer wrong"), Some("s3cret")] {
        let mut req = app.client.get(app.url("/metrics"));
        if let Some(a) = auth {
            req = req.header("authorization", a);
        }
        let r = req.send().await.unwrap();
        assert_eq!(r.status(), 401, "{auth:?}");
        assert!(!r.text().await.unwrap().contains("newsdesk_"));
    }
    let r = app
        .client
        .get(app.url("/metrics"))
        .bearer_auth("s3cret")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    assert!(
        r.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("text/plain; version=0.0.4")
    );
    let body = r.text().await.unwrap();
    let line = |prefix: &str| {
        body.lines()
            .find(|l| l.starts_with(prefix))
            .unwrap_or_else(|| panic!("no {prefix} in\n{body}"))
            .rsplit(' ')
            .next()
            .unwrap()
            .to_owned()
    };
    assert_eq!(
        line(r#"newsdesk_http_requests_total{node="node-7",route="/",status="2xx"}"#),
        "3"
    );
    assert_eq!(
        line(
            r#"newsdesk_http_requests_total{node="node-7",route="/articles/{slug}",status="2xx"}"#
        ),
        "1"
    );
    assert_eq!(
        line(
            r#"newsdesk_http_requests_total{node="node-7",route="/articles/{slug}",status="4xx"}"#
        ),
        "1"
    );
    assert_eq!(
        line(r#"newsdesk_http_request_duration_seconds_count{node="node-7",route="/"}"#),
        "3"
    );
    assert_eq!(
        line(r#"newsdesk_http_request_duration_seconds_bucket{node="node-7",route="/",le="+Inf"}"#),
        "3"
    );
    // The home page rendered once and was then served from the cache twice.
    assert_eq!(
        line(r#"newsdesk_page_cache_hits_total{node="node-7"}"#),
        "2"
    );
    // Rendered: the home page once, each article page once (the missing one too).
    assert_eq!(
        line(r#"newsdesk_page_cache_misses_total{node="node-7"}"#),
        "3"
    );
    assert!(
        body.contains(r#"newsdesk_jobs{node="node-7",queue="webhook",state="queued"}"#),
        "{body}"
    );
    // Every sample line is `name{labels} value`.
    for l in body.lines().filter(|l| !l.starts_with('#')) {
        let (_, v) = l.rsplit_once(' ').unwrap();
        assert!(v.parse::<f64>().is_ok(), "{l}");
    }
}
