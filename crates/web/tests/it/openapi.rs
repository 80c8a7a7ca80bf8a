//! `/api/openapi.json` against the real router and server: every route served under `/api/v1`
//! is documented with the methods it answers, what an unauthenticated call really gets back is a
//! documented response (errors in the documented `{"error"}` shape, 401s under the bearer
//! scheme), the document is valid OpenAPI 3.1, and real responses match its schemas.

use std::collections::BTreeSet;

use chrono::Utc;
use newsdesk_core::accounts::Role;
use newsdesk_core::ingest::NewSource;
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

use crate::admin::{multipart, sample_png, token, user};
use crate::common::{ArticleSpec, TestApp};

/// The paths the `/api/v1` router serves, read from the router itself: axum's `Debug` output
/// lists each route's path as a quoted string. Internal catch-alls (fallbacks) are left out.
fn served_paths() -> BTreeSet<String> {
    let (router, _) = newsdesk_web::routes::openapi::api_v1().split_for_parts();
    let dump = format!("{router:?}");
    dump.split('"')
        .filter(|s| s.starts_with("/api/v1") && !s.contains("__private__"))
        .map(str::to_owned)
        .collect()
}

/// A concrete URL for a path template: every `{param}` becomes `1`.
fn concrete(path: &str) -> String {
    path.split('/')
        .map(|seg| if seg.starts_with('{') { "1" } else { seg })
        .collect::<Vec<_>>()
        .join("/")
}

async fn document(app: &TestApp) -> Value {
    let r = app.get("/api/openapi.json").await;
    assert_eq!(r.status(), StatusCode::OK);
    assert!(
        r.headers()["content-type"]
            .to_str()
            .is_ok_and(|c| c.starts_with("application/json"))
    );
    r.json().await.expect("json")
}

/// The methods `path` answers, from the `Allow` header of a 405 to a method no route uses.
async fn allowed_methods(app: &TestApp, path: &str) -> Vec<String> {
    let r = app
        .client
        .request(Method::TRACE, app.url(&concrete(path)))
        .send()
        .await
        .expect("request");
    assert_eq!(r.status(), StatusCode::METHOD_NOT_ALLOWED, "TRACE {path}");
    let allow = r
        .headers()
        .get("allow")
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_owned();
    let body: Value = r.json().await.expect("405 in JSON");
    assert_eq!(body["error"]["code"], "method_not_allowed");
    allow
        .split(',')
        .map(|m| m.trim().to_ascii_uppercase())
        .filter(|m| !m.is_empty() && m != "HEAD")
        .collect()
}

#[tokio::test]
async fn openapi_document_lists_every_route_the_api_serves_with_its_methods() {
    let app = TestApp::spawn().await;
    let doc = document(&app).await;
    let paths = doc["paths"].as_object().expect("paths");
    let served = served_paths();
    // The parse of the router found the routes (guards against a change in its Debug output).
    for known in [
        "/api/v1/articles",
        "/api/v1/articles/{slug}",
        "/api/v1/sources/{id}/items",
    ] {
        assert!(served.contains(known), "{known} not found in {served:?}");
    }
    let mut undocumented = vec![];
    let mut served_ops = BTreeSet::new();
    for path in &served {
        let methods = allowed_methods(&app, path).await;
        assert!(!methods.is_empty(), "{path} answers no method");
        for m in methods {
            let m = m.to_ascii_lowercase();
            if paths.get(path).and_then(|p| p.get(&m)).is_none() {
                undocumented.push(format!("{m} {path}"));
            }
            served_ops.insert(format!("{m} {path}"));
        }
    }
    assert!(
        undocumented.is_empty(),
        "served but not documented: {undocumented:?}"
    );
    let mut phantom = vec![];
    for (path, item) in paths {
        for m in [
            "get", "put", "post", "delete", "patch", "options", "head", "trace",
        ] {
            if item.get(m).is_some() && !served_ops.contains(&format!("{m} {path}")) {
                phantom.push(format!("{m} {path}"));
            }
        }
    }
    assert!(phantom.is_empty(), "documented but not served: {phantom:?}");
}

#[tokio::test]
async fn what_an_anonymous_call_gets_is_documented_errors_included() {
    let app = TestApp::spawn().await;
    let doc = document(&app).await;
    let schemes = &doc["components"]["securitySchemes"]["bearer"];
    assert_eq!(schemes["type"], "http");
    assert_eq!(schemes["scheme"], "bearer");
    let mut wrong = vec![];
    for (path, item) in doc["paths"].as_object().expect("paths") {
        for (m, op) in item.as_object().expect("path item") {
            let method = Method::from_bytes(m.to_ascii_uppercase().as_bytes()).expect("method");
            let mut req = app.client.request(method.clone(), app.url(&concrete(path)));
            if method == Method::POST || method == Method::PATCH {
                req = req.json(&json!({}));
            }
            let r = req.send().await.expect("request");
            let status = r.status().as_u16();
            let body: Value = r.json().await.unwrap_or(Value::Null);
            let documented = &op["responses"][status.to_string()];
            if documented.is_null() {
                wrong.push(format!("{m} {path}: {status} is not documented"));
                continue;
            }
            if status >= 400 {
                let schema = &documented["content"]["application/json"]["schema"]["$ref"];
                if schema != "#/components/schemas/ErrorBody" {
                    wrong.push(format!(
                        "{m} {path}: {status} is not documented as ErrorBody"
                    ));
                }
                if !body["error"]["code"].is_string() || !body["error"]["message"].is_string() {
                    wrong.push(format!("{m} {path}: {status} body is not the error shape"));
                }
            }
            // A token is required when every security alternative names it; `{}` among them
            // makes it optional (a public read that a token widens).
            let bearer = op["security"]
                .as_array()
                .is_some_and(|s| !s.is_empty() && s.iter().all(|r| r.get("bearer").is_some()));
            if (status == 401) != bearer {
                wrong.push(format!(
                    "{m} {path}: anonymous call got {status}, bearer security documented: {bearer}"
                ));
            }
        }
    }
    assert!(wrong.is_empty(), "{wrong:#?}");
}

/// Runs scripts/openapi-check.py (openapi-spec-validator, installed by scripts/test).
fn check_with_validator(doc: &Value, cases: &[Value]) {
    let dir = tempfile::tempdir().expect("dir");
    let doc_path = dir.path().join("openapi.json");
    let cases_path = dir.path().join("cases.json");
    std::fs::write(&doc_path, doc.to_string()).expect("write doc");
    std::fs::write(&cases_path, Value::from(cases.to_vec()).to_string()).expect("write cases");
    let python =
        std::env::var("NEWSDESK_TEST_OPENAPI_PYTHON").unwrap_or_else(|_| "python3".to_owned());
    let script = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../scripts/openapi-check.py"
    );
    let out = std::process::Command::new(&python)
        .arg(script)
        .arg(&doc_path)
        .arg(&cases_path)
        .output()
        .unwrap_or_else(|e| panic!("run {python} {script}: {e}"));
    assert!(
        out.status.success(),
        "openapi-check failed (is openapi-spec-validator installed for {python}? scripts/test installs it):\n{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
}

/// One real call, recorded as a case for the validator.
async fn call(
    app: &TestApp,
    method: Method,
    template: &str,
    url: &str,
    token: Option<&str>,
    body: Option<Value>,
) -> Value {
    let mut req = app.client.request(method.clone(), app.url(url));
    if let Some(t) = token {
        req = req.bearer_auth(t);
    }
    if let Some(b) = body {
        req = req.json(&b);
    }
    let r = req.send().await.expect("request");
    let status = r.status().as_u16();
    let body: Value = r.json().await.expect("json body");
    json!({"method": method.as_str(), "path": template, "status": status, "body": body})
}

#[tokio::test]
async fn openapi_document_is_valid_openapi_3_1_and_real_responses_match_its_schemas() {
    let app = TestApp::spawn().await;
    let author = app.author("ana-ruiz", "Ana Ruiz").await;
    let tag = app.tag("harbour", "Harbour").await;
    let photo = app
        .photo("crane.svg", "The crane at pier four", "Desk photo")
        .await;
    app.article(ArticleSpec {
        authors: std::slice::from_ref(&author),
        tags: std::slice::from_ref(&tag),
        photo: Some(&photo),
        source: Some(newsdesk_core::SourceRef {
            agency: "Northwind Wire".into(),
            original_url: "https://wire.example/crane".into(),
        }),
        ..Default::default()
    })
    .await;
    let admin = user(&app, "root@example.org", Role::Admin, None).await;
    let (_, secret) = token(&app, &admin).await;
    let source = app
        .store
        .create_source(
            &NewSource {
                feed_url: "https://wire.example/feed.xml".into(),
                name: Some("Northwind Wire".into()),
                auto_publish: false,
                interval_seconds: 900,
            },
            Utc::now(),
        )
        .await
        .expect("source");
    let src = format!("/api/v1/sources/{}", source.id);
    let t = Some(secret.as_str());
    let mut cases = vec![
        call(&app, Method::GET, "/api/v1", "/api/v1", None, None).await,
        call(
            &app,
            Method::GET,
            "/api/v1/articles",
            "/api/v1/articles",
            None,
            None,
        )
        .await,
        call(
            &app,
            Method::GET,
            "/api/v1/articles",
            "/api/v1/articles?limit=0",
            None,
            None,
        )
        .await,
        call(
            &app,
            Method::GET,
            "/api/v1/articles/{slug}",
            "/api/v1/articles/harbour-crane-repaired",
            None,
            None,
        )
        .await,
        call(
            &app,
            Method::GET,
            "/api/v1/articles/{slug}",
            "/api/v1/articles/no-such-story",
            None,
            None,
        )
        .await,
        call(
            &app,
            Method::GET,
            "/api/v1/authors",
            "/api/v1/authors",
            None,
            None,
        )
        .await,
        call(
            &app,
            Method::GET,
            "/api/v1/authors/{slug}",
            "/api/v1/authors/ana-ruiz",
            None,
            None,
        )
        .await,
        call(
            &app,
            Method::GET,
            "/api/v1/tags",
            "/api/v1/tags",
            None,
            None,
        )
        .await,
        call(&app, Method::GET, "/api/v1/me", "/api/v1/me", t, None).await,
        call(&app, Method::GET, "/api/v1/me", "/api/v1/me", None, None).await,
        call(
            &app,
            Method::POST,
            "/api/v1/articles",
            "/api/v1/articles",
            t,
            Some(json!({"headline": "Ferry timetable changes", "body_markdown": "From *Monday*."})),
        )
        .await,
        call(
            &app,
            Method::POST,
            "/api/v1/articles",
            "/api/v1/articles",
            t,
            Some(json!({"headline": ""})),
        )
        .await,
        call(
            &app,
            Method::PATCH,
            "/api/v1/articles/{slug}",
            "/api/v1/articles/harbour-crane-repaired",
            t,
            Some(json!({"important": true})),
        )
        .await,
        // With a token: the admin shape, which the document gives as the other alternative.
        call(
            &app,
            Method::GET,
            "/api/v1/articles/{slug}",
            "/api/v1/articles/harbour-crane-repaired",
            t,
            None,
        )
        .await,
        call(
            &app,
            Method::GET,
            "/api/v1/sources",
            "/api/v1/sources",
            t,
            None,
        )
        .await,
        call(&app, Method::GET, "/api/v1/sources/{id}", &src, t, None).await,
        call(
            &app,
            Method::PATCH,
            "/api/v1/sources/{id}",
            &src,
            t,
            Some(json!({"paused": true})),
        )
        .await,
        call(
            &app,
            Method::GET,
            "/api/v1/sources/{id}/items",
            &format!("{src}/items"),
            t,
            None,
        )
        .await,
        call(
            &app,
            Method::POST,
            "/api/v1/sources",
            "/api/v1/sources",
            t,
            Some(json!({"url": "https://other.example/rss", "interval": "30m"})),
        )
        .await,
    ];
    let meta = [
        ("alt", "A test card"),
        ("caption", "Test card"),
        ("credit", "Newsdesk tests"),
    ];
    let (ct, body) = multipart(&meta, &sample_png(64, 48), "card.png", "image/png");
    let r = app
        .client
        .post(app.url("/api/v1/photos"))
        .bearer_auth(&secret)
        .header("content-type", ct)
        .body(body)
        .send()
        .await
        .expect("upload");
    let status = r.status().as_u16();
    cases.push(
        json!({"method": "POST", "path": "/api/v1/photos", "status": status,
        "body": r.json::<Value>().await.expect("json")}),
    );
    // The calls did what they should, so the schemas are checked against real successes and errors.
    let statuses: Vec<u64> = cases.iter().filter_map(|c| c["status"].as_u64()).collect();
    assert_eq!(
        statuses,
        [
            200, 200, 400, 200, 404, 200, 200, 200, 200, 401, 201, 422, 200, 200, 200, 200, 200,
            200, 201, 201
        ]
    );
    let doc = document(&app).await;
    check_with_validator(&doc, &cases);
}
