//! The newsroom over real HTTP: login, sessions, CSRF, the permission matrix on the admin site
//! and the admin API, scheduling, uploads and webhooks (the OpenAPI document: `openapi.rs`).

use std::sync::Arc;
use std::time::Duration;

use chrono::Utc;
use newsdesk_core::accounts::{self, NewUser, Password, Role, User};
use newsdesk_core::*;
use reqwest::StatusCode;
use reqwest::header::{COOKIE, SET_COOKIE};

use crate::common::TestApp;

pub(crate) const PW: &str = "correct horse battery";

pub(crate) fn enc(pairs: &[(&str, &str)]) -> String {
    url::form_urlencoded::Serializer::new(String::new())
        .extend_pairs(pairs)
        .finish()
}

pub(crate) async fn user(app: &TestApp, email: &str, role: Role, author: Option<&Author>) -> User {
    let hash = tokio::task::spawn_blocking(|| {
        accounts::hash_password(&Password::parse(PW).expect("pw")).expect("hash")
    })
    .await
    .expect("join");
    app.store
        .create_user(
            &NewUser {
                email: EmailAddress::parse(email).expect("email"),
                name: email.split('@').next().unwrap_or("x").into(),
                role,
                password_hash: hash,
                author_id: author.map(|a| a.id),
            },
            Utc::now(),
        )
        .await
        .expect("user")
}

/// A signed-in browser: its session cookie and the CSRF token of its forms.
pub(crate) struct Session {
    pub(crate) cookie: String,
    pub(crate) csrf: String,
}

pub(crate) async fn login_response(
    app: &TestApp,
    email: &str,
    password: &str,
) -> reqwest::Response {
    app.client
        .post(app.url("/admin/login"))
        .header("origin", &app.base)
        .header("content-type", "application/x-www-form-urlencoded")
        .body(enc(&[("email", email), ("password", password)]))
        .send()
        .await
        .expect("login")
}

pub(crate) async fn login(app: &TestApp, email: &str) -> Session {
    let r = login_response(app, email, PW).await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER, "login of {email}");
    let set = r.headers()[SET_COOKIE].to_str().expect("cookie").to_owned();
    assert!(set.contains("HttpOnly") && set.contains("SameSite=Lax") && set.contains("Path=/"));
    assert!(!set.contains("Secure"), "plain http: no Secure flag");
    let cookie = set.split(';').next().expect("pair").to_owned();
    assert!(cookie.starts_with("newsdesk_session="));
    let page = app
        .client
        .get(app.url("/admin"))
        .header(COOKIE, &cookie)
        .send()
        .await
        .expect("admin");
    assert_eq!(page.status(), StatusCode::OK);
    let html = page.text().await.expect("body");
    let csrf = html
        .split("name=\"csrf\" value=\"")
        .nth(1)
        .and_then(|s| s.split('"').next())
        .expect("csrf token in the page")
        .to_owned();
    Session { cookie, csrf }
}

pub(crate) async fn post_form(
    app: &TestApp,
    s: &Session,
    path: &str,
    fields: &[(&str, &str)],
) -> reqwest::Response {
    let mut all: Vec<(&str, &str)> = vec![("csrf", s.csrf.as_str())];
    all.extend_from_slice(fields);
    app.client
        .post(app.url(path))
        .header(COOKIE, &s.cookie)
        .header("origin", &app.base)
        .header("content-type", "application/x-www-form-urlencoded")
        .body(enc(&all))
        .send()
        .await
        .expect("post")
}

pub(crate) async fn token(app: &TestApp, u: &User) -> (Id, String) {
    let t = accounts::new_secret_token(accounts::API_TOKEN_PREFIX);
    let rec = app
        .store
        .create_api_token(u.id, "test", &accounts::token_hash(&t), Utc::now())
        .await
        .expect("token");
    (rec.id, t)
}

pub(crate) async fn api(
    app: &TestApp,
    method: reqwest::Method,
    path: &str,
    token: &str,
    body: serde_json::Value,
) -> (StatusCode, serde_json::Value) {
    let r = app
        .client
        .request(method, app.url(path))
        .bearer_auth(token)
        .json(&body)
        .send()
        .await
        .expect("api");
    let status = r.status();
    let v = r
        .json::<serde_json::Value>()
        .await
        .unwrap_or(serde_json::Value::Null);
    (status, v)
}

struct Desk {
    app: TestApp,
    ana: User,
    ben: User,
    eddie: User,
    admin: User,
    ana_author: Author,
    ben_author: Author,
}

async fn desk() -> Desk {
    let app = TestApp::spawn().await;
    let ana_author = app.author("ana-ruiz", "Ana Ruiz").await;
    let ben_author = app.author("ben-okafor", "Ben Okafor").await;
    let ana = user(&app, "ana@example.org", Role::Author, Some(&ana_author)).await;
    let ben = user(&app, "ben@example.org", Role::Author, Some(&ben_author)).await;
    let eddie = user(&app, "eddie@example.org", Role::Editor, None).await;
    let admin = user(&app, "root@example.org", Role::Admin, None).await;
    Desk {
        app,
        ana,
        ben,
        eddie,
        admin,
        ana_author,
        ben_author,
    }
}

async fn draft_by(app: &TestApp, author: &Author, slug: &str) -> Article {
    app.article(crate::common::ArticleSpec {
        slug,
        headline: "Quay lights to be replaced",
        status: ArticleStatus::Draft,
        authors: std::slice::from_ref(author),
        ..Default::default()
    })
    .await
}

#[tokio::test]
async fn login_failure_is_identical_for_unknown_user_and_wrong_password() {
    let d = desk().await;
    let a = login_response(&d.app, "nobody@example.org", PW).await;
    let b = login_response(&d.app, "ana@example.org", "wrong password here").await;
    assert_eq!(a.status(), StatusCode::UNAUTHORIZED);
    assert_eq!(b.status(), StatusCode::UNAUTHORIZED);
    let (ta, tb) = (a.text().await.expect("a"), b.text().await.expect("b"));
    assert!(ta.contains("Wrong email or password."));
    // The pages differ only in the address echoed back into the form.
    assert_eq!(
        ta.replace("nobody@example.org", "X"),
        tb.replace("ana@example.org", "X")
    );
}

#[tokio::test]
async fn login_is_throttled_after_repeated_failures_for_one_account() {
    let d = desk().await;
    for _ in 0..accounts::MAX_FAILURES_PER_ACCOUNT {
        let r = login_response(&d.app, "ana@example.org", "not the password").await;
        assert_eq!(r.status(), StatusCode::UNAUTHORIZED);
    }
    // Even the right password is refused while the account is throttled.
    let r = login_response(&d.app, "ana@example.org", PW).await;
    assert_eq!(r.status(), StatusCode::TOO_MANY_REQUESTS);
    let retry: u64 = r.headers()["retry-after"]
        .to_str()
        .expect("h")
        .parse()
        .expect("secs");
    assert!(retry > 0 && retry <= 15 * 60, "{retry}");
    // Another account from the same address is not (yet) affected.
    login(&d.app, "ben@example.org").await;
}

#[tokio::test]
async fn admin_pages_need_a_session_and_are_never_cached() {
    let d = desk().await;
    let r = d.app.get("/admin").await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    assert_eq!(r.headers()["location"], "/admin/login");
    let s = login(&d.app, "eddie@example.org").await;
    let r = d
        .app
        .client
        .get(d.app.url("/admin/articles/new"))
        .header(COOKIE, &s.cookie)
        .send()
        .await
        .expect("get");
    assert_eq!(r.status(), StatusCode::OK);
    assert_eq!(r.headers()["cache-control"], "no-store");
    let csp = r.headers()["content-security-policy"]
        .to_str()
        .expect("csp");
    assert!(csp.contains("script-src 'self'") && !csp.contains("unsafe-inline"));
    let html = r.text().await.expect("body");
    assert!(!html.contains("<script>"), "no inline scripts");
}

#[tokio::test]
async fn logout_ends_the_session() {
    let d = desk().await;
    let s = login(&d.app, "ana@example.org").await;
    let r = post_form(&d.app, &s, "/admin/logout", &[]).await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let r = d
        .app
        .client
        .get(d.app.url("/admin"))
        .header(COOKIE, &s.cookie)
        .send()
        .await
        .expect("get");
    assert_eq!(
        r.status(),
        StatusCode::SEE_OTHER,
        "old cookie no longer works"
    );
}

#[tokio::test]
async fn forms_without_the_right_csrf_token_or_from_another_origin_are_refused() {
    let d = desk().await;
    let s = login(&d.app, "eddie@example.org").await;
    let fields = [("name", "Weather"), ("csrf", "")];
    for (csrf, origin) in [
        (None, d.app.base.as_str()),
        (Some("0000"), d.app.base.as_str()),
        (Some(s.csrf.as_str()), "https://evil.example"),
    ] {
        let mut form: Vec<(&str, &str)> = vec![fields[0]];
        if let Some(c) = csrf {
            form.push(("csrf", c));
        }
        let r = d
            .app
            .client
            .post(d.app.url("/admin/tags"))
            .header(COOKIE, &s.cookie)
            .header("origin", origin)
            .header("content-type", "application/x-www-form-urlencoded")
            .body(enc(&form))
            .send()
            .await
            .expect("post");
        assert!(
            matches!(
                r.status(),
                StatusCode::FORBIDDEN | StatusCode::UNPROCESSABLE_ENTITY
            ),
            "{csrf:?} {origin}: {}",
            r.status()
        );
    }
    assert!(d.app.store.list_tags().await.expect("tags").is_empty());
    let r = post_form(&d.app, &s, "/admin/tags", &[("name", "Weather")]).await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    assert_eq!(d.app.store.list_tags().await.expect("tags").len(), 1);
}

#[tokio::test]
async fn author_cannot_publish_or_edit_another_authors_article_on_the_site_but_an_editor_can() {
    let d = desk().await;
    let own = draft_by(&d.app, &d.ana_author, "anas-draft").await;
    let other = draft_by(&d.app, &d.ben_author, "bens-draft").await;
    let s = login(&d.app, "ana@example.org").await;
    let edit = |h: &'static str| {
        vec![
            ("headline", h),
            ("standfirst", "s"),
            ("body_markdown", "Body."),
        ]
    };

    let mut f = edit("Ana edits her own");
    f.push(("action", "save"));
    let r = post_form(&d.app, &s, &format!("/admin/articles/{}", own.id), &f).await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    assert_eq!(
        d.app
            .store
            .article(own.id)
            .await
            .expect("a")
            .expect("a")
            .headline,
        "Ana edits her own"
    );

    let mut f = edit("Ana publishes");
    f.push(("action", "publish"));
    let r = post_form(&d.app, &s, &format!("/admin/articles/{}", own.id), &f).await;
    assert_eq!(r.status(), StatusCode::FORBIDDEN);
    assert_eq!(
        d.app
            .store
            .article(own.id)
            .await
            .expect("a")
            .expect("a")
            .status,
        ArticleStatus::Draft
    );

    let mut f = edit("Ana rewrites Ben");
    f.push(("action", "save"));
    let r = post_form(&d.app, &s, &format!("/admin/articles/{}", other.id), &f).await;
    assert_eq!(r.status(), StatusCode::FORBIDDEN);
    assert_eq!(
        d.app
            .store
            .article(other.id)
            .await
            .expect("a")
            .expect("a")
            .headline,
        other.headline
    );
    let r = d
        .app
        .client
        .get(d.app.url("/admin/users"))
        .header(COOKIE, &s.cookie)
        .send()
        .await
        .expect("get");
    assert_eq!(r.status(), StatusCode::FORBIDDEN);

    let e = login(&d.app, "eddie@example.org").await;
    let mut f = edit("Editor publishes Ben");
    f.push(("action", "publish"));
    let r = post_form(&d.app, &e, &format!("/admin/articles/{}", other.id), &f).await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let a = d.app.store.article(other.id).await.expect("a").expect("a");
    assert_eq!(
        (a.status, a.headline.as_str()),
        (ArticleStatus::Published, "Editor publishes Ben")
    );
    let (status, page) = d.app.get_text(&format!("/articles/{}", a.slug)).await;
    assert_eq!(status, StatusCode::OK);
    assert!(page.contains("Editor publishes Ben"));
    let revs = d.app.store.revisions(other.id).await.expect("revs");
    assert_eq!(revs[0].editor_id, Some(d.eddie.id));
}

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

#[tokio::test]
async fn a_disabled_users_session_and_tokens_stop_working() {
    let d = desk().await;
    let s = login(&d.app, "ben@example.org").await;
    let (_, t) = token(&d.app, &d.ben).await;
    d.app
        .store
        .set_user_disabled(d.ben.id, true)
        .await
        .expect("disable");
    let r = d
        .app
        .client
        .get(d.app.url("/admin"))
        .header(COOKIE, &s.cookie)
        .send()
        .await
        .expect("get");
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let (st, _) = api(
        &d.app,
        reqwest::Method::GET,
        "/api/v1/me",
        &t,
        serde_json::Value::Null,
    )
    .await;
    assert_eq!(st, StatusCode::UNAUTHORIZED);
    let r = login_response(&d.app, "ben@example.org", PW).await;
    assert_eq!(r.status(), StatusCode::UNAUTHORIZED);
}

#[tokio::test]
async fn a_scheduled_article_appears_at_its_time_and_not_before() {
    let d = desk().await;
    let (_, t) = token(&d.app, &d.eddie).await;
    let at = Utc::now() + chrono::Duration::seconds(3);
    let (s, a) = api(
        &d.app,
        reqwest::Method::POST,
        "/api/v1/articles",
        &t,
        serde_json::json!({
            "headline": "Ferry timetable changes", "body_markdown": "From Monday.",
            "status": "published", "published_at": at.to_rfc3339(),
        }),
    )
    .await;
    assert_eq!(s, StatusCode::CREATED, "{a}");
    assert_eq!(a["status"], "scheduled");
    let path = "/articles/ferry-timetable-changes";
    let (s, _) = d.app.get_text(path).await;
    assert_eq!(s, StatusCode::NOT_FOUND, "not before its time");
    let deadline = std::time::Instant::now() + Duration::from_secs(20);
    loop {
        let (s, body) = d.app.get_text(path).await;
        if s == StatusCode::OK {
            assert!(Utc::now() >= at, "appeared early");
            assert!(body.contains("Ferry timetable changes"));
            break;
        }
        assert!(std::time::Instant::now() < deadline, "never appeared");
        tokio::time::sleep(Duration::from_millis(250)).await;
    }
}

pub(crate) fn multipart(
    fields: &[(&str, &str)],
    file: &[u8],
    file_name: &str,
    content_type: &str,
) -> (String, Vec<u8>) {
    let boundary = "newsdesk-test-boundary-7d1f";
    let mut body = Vec::new();
    for (k, v) in fields {
        body.extend_from_slice(
            format!("--{boundary}\r\nContent-Disposition: form-data; name=\"{k}\"\r\n\r\n{v}\r\n")
                .as_bytes(),
        );
    }
    body.extend_from_slice(format!("--{boundary}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"{file_name}\"\r\nContent-Type: {content_type}\r\n\r\n").as_bytes());
    body.extend_from_slice(file);
    body.extend_from_slice(format!("\r\n--{boundary}--\r\n").as_bytes());
    (format!("multipart/form-data; boundary={boundary}"), body)
}

pub fn sample_png(w: u32, h: u32) -> Vec<u8> {
    let img = image::RgbImage::from_fn(w, h, |x, y| {
        image::Rgb([(x % 256) as u8, (y % 256) as u8, 120])
    });
    let mut out = std::io::Cursor::new(Vec::new());
    image::DynamicImage::ImageRgb8(img)
        .write_to(&mut out, image::ImageFormat::Png)
        .expect("png");
    out.into_inner()
}

#[tokio::test]
async fn uploads_accept_a_png_and_resize_it_but_refuse_html_named_png() {
    let d = desk().await;
    let (_, t) = token(&d.app, &d.ana).await;
    let meta = [
        ("alt", "A test card"),
        ("caption", "Test card"),
        ("credit", "Newsdesk tests"),
    ];
    let (ct, body) = multipart(&meta, &sample_png(1200, 600), "card.png", "image/png");
    let r = d
        .app
        .client
        .post(d.app.url("/api/v1/photos"))
        .bearer_auth(&t)
        .header("content-type", ct)
        .body(body)
        .send()
        .await
        .expect("upload");
    assert_eq!(r.status(), StatusCode::CREATED);
    let v: serde_json::Value = r.json().await.expect("json");
    assert_eq!(
        (v["width"].as_u64(), v["height"].as_u64()),
        (Some(1200), Some(600))
    );
    let srcset = v["srcset"].as_str().expect("srcset");
    assert!(
        srcset.contains(" 480w") && srcset.contains(" 960w") && !srcset.contains("1600w"),
        "{srcset}"
    );
    let id = v["id"].as_i64().expect("id");
    let rends = d.app.store.photo_renditions(id).await.expect("r");
    assert_eq!(
        rends
            .iter()
            .map(|r| (r.width, r.height))
            .collect::<Vec<_>>(),
        vec![(480, 240), (960, 480)]
    );
    for r in &rends {
        let got = d.app.get(&format!("/uploads/{}", r.file)).await;
        assert_eq!(got.status(), StatusCode::OK);
        assert_eq!(got.headers()["content-type"], "image/png");
    }

    // The article page offers the sizes to the browser.
    let (_, ed) = token(&d.app, &d.eddie).await;
    let (s, a) = api(
        &d.app,
        reqwest::Method::POST,
        "/api/v1/articles",
        &ed,
        serde_json::json!({"headline": "Test card shown", "lead_photo_id": id, "status": "published"}),
    )
    .await;
    assert_eq!(s, StatusCode::CREATED, "{a}");
    let (_, page) = d.app.get_text("/articles/test-card-shown").await;
    assert!(
        page.contains(" 480w, ") && page.contains(" 960w, ") && page.contains(" 1200w\""),
        "{page}"
    );

    let html = b"<!doctype html><script>alert(1)</script>";
    let (ct, body) = multipart(&meta, html, "evil.png", "image/png");
    let r = d
        .app
        .client
        .post(d.app.url("/api/v1/photos"))
        .bearer_auth(&t)
        .header("content-type", ct)
        .body(body)
        .send()
        .await
        .expect("upload");
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let (ct, body) = multipart(
        &[("alt", ""), ("caption", "c"), ("credit", "c")],
        &sample_png(10, 10),
        "a.png",
        "image/png",
    );
    let r = d
        .app
        .client
        .post(d.app.url("/api/v1/photos"))
        .bearer_auth(&t)
        .header("content-type", ct)
        .body(body)
        .send()
        .await
        .expect("upload");
    assert_eq!(
        r.status(),
        StatusCode::UNPROCESSABLE_ENTITY,
        "alt text is required"
    );
    assert_eq!(d.app.store.list_photos(10).await.expect("photos").len(), 1);
}

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

#[tokio::test]
async fn revisions_show_a_diff_and_restore_saves_the_old_text_again() {
    let d = desk().await;
    let e = login(&d.app, "eddie@example.org").await;
    let r = post_form(
        &d.app,
        &e,
        "/admin/articles/new",
        &[
            ("headline", "Library hours"),
            ("body_markdown", "Open until six.\n"),
            ("action", "save"),
        ],
    )
    .await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let loc = r.headers()["location"].to_str().expect("loc").to_owned();
    let id: Id = loc.rsplit('/').next().expect("id").parse().expect("id");
    let r = post_form(
        &d.app,
        &e,
        &loc,
        &[
            ("headline", "Library hours extended"),
            ("body_markdown", "Open until eight.\n"),
            ("action", "save"),
        ],
    )
    .await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let r = d
        .app
        .client
        .get(d.app.url(&format!("{loc}/revisions")))
        .header(COOKIE, &e.cookie)
        .send()
        .await
        .expect("get");
    let html = r.text().await.expect("body");
    assert!(html.contains("- Open until six."), "{html}");
    assert!(html.contains("+ Open until eight."));
    let revs = d.app.store.revisions(id).await.expect("revs");
    assert_eq!(revs.len(), 2);
    let r = post_form(
        &d.app,
        &e,
        &format!("/admin/articles/{id}/restore/{}", revs[1].id),
        &[],
    )
    .await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let a = d.app.store.article(id).await.expect("a").expect("a");
    assert_eq!(
        (a.headline.as_str(), a.body_markdown.as_str()),
        ("Library hours", "Open until six.\n")
    );
    assert_eq!(d.app.store.revisions(id).await.expect("revs").len(), 3);
}

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
