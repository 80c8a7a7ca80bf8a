//! HTTP behaviour over a real connection: validators and 304s, precompressed and compressed
//! bodies, security headers, static assets, uploads, the newsletter form, and the 500 page.

use std::io::Read as _;
use std::sync::Arc;

use newsdesk_core::site::SiteSettings;
use newsdesk_core::*;
use newsdesk_web::AppState;
use reqwest::StatusCode;
use reqwest::header::{self, HeaderMap};
use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};

use crate::common::{ArticleSpec, TestApp};
use crate::site::spawn;

async fn app_with_article() -> TestApp {
    let app = spawn().await;
    let ann = app.author("ann-lee", "Ann Lee").await;
    let photo = app
        .photo(
            "crane.svg",
            "The crane at dawn",
            "Mara Quist / Northwind Wire",
        )
        .await;
    app.article(ArticleSpec {
        authors: std::slice::from_ref(&ann),
        photo: Some(&photo),
        ..Default::default()
    })
    .await;
    app
}

const ARTICLE: &str = "/articles/harbour-crane-repaired";

fn assert_security_headers(h: &HeaderMap, what: &str) {
    let csp = h
        .get(header::CONTENT_SECURITY_POLICY)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    assert!(csp.contains("default-src 'self'"), "{what}: CSP {csp:?}");
    assert!(csp.contains("frame-ancestors 'none'"), "{what}");
    assert!(csp.contains("object-src 'none'"), "{what}");
    assert_eq!(h[header::X_CONTENT_TYPE_OPTIONS], "nosniff", "{what}");
    assert_eq!(
        h[header::REFERRER_POLICY],
        "strict-origin-when-cross-origin",
        "{what}"
    );
    assert_eq!(h[header::X_FRAME_OPTIONS], "DENY", "{what}");
}

#[tokio::test]
async fn matching_if_none_match_gives_304_and_other_gives_200() {
    let app = app_with_article().await;
    let first = app.get(ARTICLE).await;
    assert_eq!(first.status(), StatusCode::OK);
    let etag = first.headers()[header::ETAG].clone();
    let cache_control = first.headers()[header::CACHE_CONTROL]
        .to_str()
        .expect("ascii")
        .to_owned();
    assert!(cache_control.contains("public") && cache_control.contains("stale-while-revalidate"));

    let again = app
        .client
        .get(app.url(ARTICLE))
        .header(header::IF_NONE_MATCH, etag.clone())
        .send()
        .await
        .expect("request");
    assert_eq!(again.status(), StatusCode::NOT_MODIFIED);
    assert_eq!(again.headers()[header::ETAG], etag);
    assert!(again.bytes().await.expect("body").is_empty());

    let other = app
        .client
        .get(app.url(ARTICLE))
        .header(header::IF_NONE_MATCH, "\"something-else\"")
        .send()
        .await
        .expect("request");
    assert_eq!(other.status(), StatusCode::OK);
    assert!(
        other
            .text()
            .await
            .expect("body")
            .contains("Harbour crane repaired")
    );
}

#[tokio::test]
async fn brotli_and_gzip_bodies_decompress_to_the_page() {
    let app = app_with_article().await;
    let plain = app.get(ARTICLE).await.text().await.expect("body");
    assert!(plain.contains("<h1>Harbour crane repaired after storm</h1>"));

    let br = app
        .client
        .get(app.url(ARTICLE))
        .header(header::ACCEPT_ENCODING, "br")
        .send()
        .await
        .expect("request");
    assert_eq!(br.headers()[header::CONTENT_ENCODING], "br");
    assert!(
        br.headers()[header::VARY]
            .to_str()
            .expect("ascii")
            .contains("accept-encoding")
    );
    let bytes = br.bytes().await.expect("body");
    let mut out = Vec::new();
    brotli::BrotliDecompress(&mut &bytes[..], &mut out).expect("valid brotli");
    assert_eq!(String::from_utf8(out).expect("utf-8"), plain);

    let gz = app
        .client
        .get(app.url(ARTICLE))
        .header(header::ACCEPT_ENCODING, "gzip")
        .send()
        .await
        .expect("request");
    assert_eq!(gz.headers()[header::CONTENT_ENCODING], "gzip");
    let bytes = gz.bytes().await.expect("body");
    let mut out = String::new();
    flate2::read::GzDecoder::new(&bytes[..])
        .read_to_string(&mut out)
        .expect("valid gzip");
    assert_eq!(out, plain);
}

#[tokio::test]
async fn uncached_responses_are_compressed_too() {
    let app = spawn().await;
    let res = app
        .client
        .get(app.url("/no-such-page"))
        .header(header::ACCEPT_ENCODING, "gzip")
        .send()
        .await
        .expect("request");
    assert_eq!(res.status(), StatusCode::NOT_FOUND);
    assert_eq!(res.headers()[header::CONTENT_ENCODING], "gzip");
    let bytes = res.bytes().await.expect("body");
    let mut out = String::new();
    flate2::read::GzDecoder::new(&bytes[..])
        .read_to_string(&mut out)
        .expect("valid gzip");
    assert!(out.contains("Page not found"));
}

#[tokio::test]
async fn security_headers_are_on_pages_errors_assets_and_304s() {
    let app = app_with_article().await;
    let page = app.get(ARTICLE).await;
    assert_security_headers(page.headers(), "page");
    let etag = page.headers()[header::ETAG].clone();
    let not_modified = app
        .client
        .get(app.url(ARTICLE))
        .header(header::IF_NONE_MATCH, etag)
        .send()
        .await
        .expect("request");
    assert_security_headers(not_modified.headers(), "304");
    assert_security_headers(app.get("/nope").await.headers(), "404");
    let html = app.get("/").await.text().await.expect("body");
    let css = stylesheet_url(&html);
    assert_security_headers(app.get(&css).await.headers(), "css");
}

fn stylesheet_url(html: &str) -> String {
    let start = html
        .find("<link rel=\"stylesheet\" href=\"")
        .expect("stylesheet link")
        + 29;
    html[start..].split('"').next().expect("href").to_owned()
}

#[tokio::test]
async fn stylesheet_is_fingerprinted_immutable_and_matches_the_page() {
    let app = spawn().await;
    let html = app.get("/").await.text().await.expect("body");
    let css = stylesheet_url(&html);
    assert!(
        css.starts_with("/static/site.") && css.ends_with(".css"),
        "{css}"
    );
    let res = app.get(&css).await;
    assert_eq!(res.status(), StatusCode::OK);
    assert_eq!(
        res.headers()[header::CONTENT_TYPE],
        "text/css; charset=utf-8"
    );
    let cc = res.headers()[header::CACHE_CONTROL]
        .to_str()
        .expect("ascii");
    assert!(
        cc.contains("immutable") && cc.contains("max-age=31536000"),
        "{cc}"
    );
    assert!(
        res.text().await.expect("body").contains(":focus-visible"),
        "visible focus styles"
    );
}

#[tokio::test]
async fn uploads_are_served_as_images_with_nosniff_and_a_locked_down_svg() {
    let app = app_with_article().await;
    let res = app.get("/uploads/crane.svg").await;
    assert_eq!(res.status(), StatusCode::OK);
    assert_eq!(res.headers()[header::CONTENT_TYPE], "image/svg+xml");
    assert_eq!(res.headers()[header::X_CONTENT_TYPE_OPTIONS], "nosniff");
    let csp = res.headers()[header::CONTENT_SECURITY_POLICY]
        .to_str()
        .expect("ascii")
        .to_owned();
    assert!(
        csp.contains("default-src 'none'") && csp.contains("sandbox"),
        "{csp}"
    );
    assert!(res.text().await.expect("body").starts_with("<svg"));

    // Anything that is not an image we publish is not served, whatever is in the directory.
    std::fs::write(app.uploads.join("page.html"), "<script>alert(1)</script>").expect("write");
    assert_eq!(
        app.get("/uploads/page.html").await.status(),
        StatusCode::NOT_FOUND
    );
    assert_eq!(
        app.get("/uploads/missing.png").await.status(),
        StatusCode::NOT_FOUND
    );
}

/// Sends `path` exactly as written (HTTP clients normalise `..` away before sending).
async fn raw_get(app: &TestApp, path: &str) -> String {
    let addr = app.base.trim_start_matches("http://");
    let mut stream = tokio::net::TcpStream::connect(addr).await.expect("connect");
    let req = format!("GET {path} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n\r\n");
    stream.write_all(req.as_bytes()).await.expect("write");
    let mut out = Vec::new();
    stream.read_to_end(&mut out).await.expect("read");
    String::from_utf8_lossy(&out).into_owned()
}

#[tokio::test]
async fn uploads_refuse_paths_that_leave_the_directory() {
    let app = app_with_article().await;
    // The SQLite file sits next to uploads/ in the test's data directory.
    std::fs::write(app.uploads.join("..").join("secret.png"), "not for you").expect("write");
    for path in [
        "/uploads/../secret.png",
        "/uploads/../newsdesk.sqlite",
        "/uploads/..%2fsecret.png",
        "/uploads/%2e%2e/secret.png",
        "/uploads//etc/passwd",
        "/uploads/.%2e/secret.png",
    ] {
        let res = raw_get(&app, path).await;
        let status_line = res.lines().next().unwrap_or("");
        assert!(status_line.contains(" 404 "), "{path}: {status_line}");
        assert!(
            !res.contains("not for you") && !res.contains("SQLite format"),
            "{path}"
        );
    }
    let res = app.get("/uploads/..%2fsecret.png").await;
    assert_eq!(res.status(), StatusCode::NOT_FOUND);
}

async fn post_form(app: &TestApp, body: &str, extra: &[(&str, &str)]) -> (StatusCode, String) {
    let mut req = app
        .client
        .post(app.url("/newsletter"))
        .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
        .body(body.to_owned());
    for (k, v) in extra {
        req = req.header(*k, *v);
    }
    let res = req.send().await.expect("request");
    let status = res.status();
    (status, res.text().await.expect("body"))
}

fn email(s: &str) -> EmailAddress {
    EmailAddress::parse(s).expect("valid address")
}

#[tokio::test]
async fn newsletter_valid_address_is_stored_pending_once_with_the_same_answer() {
    let app = spawn().await;
    let origin = app.base.clone();
    let (status, first) = post_form(
        &app,
        "email=Ann.Lee%40Example.ORG&website=",
        &[("origin", &origin)],
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{first}");
    assert!(first.contains("check your inbox to confirm"));
    let stored = app
        .store
        .subscriber_by_email(&email("Ann.Lee@example.org"))
        .await
        .expect("store")
        .expect("stored");
    assert_eq!(stored.status, SubscriptionStatus::Pending);

    // The same address again (differently cased domain): one row, and an identical answer.
    let (status, second) = post_form(
        &app,
        "email=Ann.Lee%40example.org",
        &[("sec-fetch-site", "same-origin")],
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(
        first, second,
        "the answer does not reveal who is subscribed"
    );
    let again = app
        .store
        .subscriber_by_email(&email("Ann.Lee@example.org"))
        .await
        .expect("store")
        .expect("stored");
    assert_eq!(again.id, stored.id, "no duplicate row");
}

#[tokio::test]
async fn newsletter_invalid_address_is_422_with_the_form_message_and_value() {
    let app = spawn().await;
    let (status, html) = post_form(&app, "email=ann%40example&website=", &[]).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        html.contains("Please enter a valid e-mail address"),
        "{html}"
    );
    assert!(html.contains("value=\"ann@example\""), "typed value kept");
    assert!(html.contains("aria-invalid=\"true\" aria-describedby=\"newsletter-email-error\""));
    assert!(html.contains("id=\"newsletter-email-error\""));
    assert_eq!(html.matches("<h1").count(), 1);

    // The echoed value is escaped like any other text.
    let (status, html) =
        post_form(&app, "email=%22%3E%3Cscript%3Ealert(1)%3C%2Fscript%3E", &[]).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(!html.contains("<script>alert"));
    assert!(html.contains("&lt;script&gt;"));
}

#[tokio::test]
async fn newsletter_cross_site_posts_are_refused_with_403_and_store_nothing() {
    let app = spawn().await;
    let cases: [&[(&str, &str)]; 4] = [
        &[("origin", "https://evil.example")],
        &[("origin", "null")],
        &[("referer", "https://evil.example/page")],
        &[("sec-fetch-site", "cross-site")],
    ];
    for headers in cases {
        let (status, html) = post_form(&app, "email=victim%40example.org", headers).await;
        assert_eq!(status, StatusCode::FORBIDDEN, "{headers:?}");
        assert!(html.contains("<main id=\"main\""), "403 is an error page");
    }
    assert!(
        app.store
            .subscriber_by_email(&email("victim@example.org"))
            .await
            .expect("store")
            .is_none()
    );
}

#[tokio::test]
async fn newsletter_honeypot_gets_the_success_page_and_stores_nothing() {
    let app = spawn().await;
    let (status, html) = post_form(
        &app,
        "email=bot%40example.org&website=http%3A%2F%2Fspam.example",
        &[],
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    assert!(html.contains("check your inbox to confirm"));
    assert!(
        app.store
            .subscriber_by_email(&email("bot@example.org"))
            .await
            .expect("store")
            .is_none()
    );
}

#[tokio::test]
async fn newsletter_oversized_or_unreadable_forms_are_refused() {
    let app = spawn().await;
    let huge = format!("email={}%40example.org", "a".repeat(10_000));
    let (status, _) = post_form(&app, &huge, &[]).await;
    assert_eq!(status, StatusCode::PAYLOAD_TOO_LARGE);
    let res = app
        .client
        .post(app.url("/newsletter"))
        .header(header::CONTENT_TYPE, "application/json")
        .body("{\"email\":\"a@example.org\"}")
        .send()
        .await
        .expect("request");
    assert_eq!(res.status(), StatusCode::UNSUPPORTED_MEDIA_TYPE);
    assert!(
        app.store
            .subscriber_by_email(&email("a@example.org"))
            .await
            .expect("store")
            .is_none()
    );
}

#[tokio::test]
async fn store_failure_gives_the_500_page_without_internals() {
    let _ = rustls::crypto::ring::default_provider().install_default();
    let dir = tempfile::tempdir().expect("temp dir");
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let base = format!("http://{}", listener.local_addr().expect("addr"));
    let site = SiteSettings {
        base_url: base.clone(),
        ..SiteSettings::default()
    };
    // A real SQLite store whose connections are gone: every query fails as on a lost database.
    let store = Arc::new(
        newsdesk_store::SqliteStore::open_file(&dir.path().join("newsdesk.sqlite"))
            .await
            .expect("open sqlite"),
    );
    store.close().await;
    let media = newsdesk_web::MediaStore::local(&dir.path().join("uploads")).expect("media");
    let state = AppState::new(store, site, media);
    let (tx, rx) = tokio::sync::oneshot::channel::<()>();
    let server = tokio::spawn(newsdesk_web::serve(listener, state, async {
        let _ = rx.await;
    }));
    let client = reqwest::Client::new();
    for path in ["/", "/articles/anything", "/tags/x", "/authors/y"] {
        let res = client
            .get(format!("{base}{path}"))
            .send()
            .await
            .expect("request");
        assert_eq!(res.status(), StatusCode::INTERNAL_SERVER_ERROR, "{path}");
        assert_eq!(res.headers()[header::CACHE_CONTROL], "no-store");
        assert_security_headers(res.headers(), path);
        let html = res.text().await.expect("body");
        assert!(
            html.contains("<h1>Something went wrong</h1>"),
            "{path}: {html}"
        );
        assert!(
            !html.contains("closed") && !html.contains("sqlx") && !html.contains("pool"),
            "no internals: {html}"
        );
    }
    let res = client
        .post(format!("{base}/newsletter"))
        .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
        .body("email=ann%40example.org")
        .send()
        .await
        .expect("request");
    assert_eq!(res.status(), StatusCode::INTERNAL_SERVER_ERROR);
    let _ = tx.send(());
    let _ = server.await;
}

/// Counts renders of article pages through the related-articles seam (every render asks it).
#[derive(Debug, Default)]
struct CountingRelated(std::sync::atomic::AtomicUsize);

#[async_trait::async_trait]
impl newsdesk_core::pages::RelatedSource for CountingRelated {
    async fn related(
        &self,
        _: &Article,
        _: chrono::DateTime<chrono::Utc>,
        _: u32,
    ) -> StoreResult<Vec<Article>> {
        self.0.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
        Ok(Vec::new())
    }
}

#[tokio::test]
async fn conditional_requests_are_answered_without_rendering_until_content_changes() {
    let related = Arc::new(CountingRelated::default());
    let seam = related.clone();
    let app = TestApp::spawn_with(move |s| {
        // No page cache: only the validators can spare a render.
        s.cache = newsdesk_web::cache::PageCache::new(std::time::Duration::ZERO);
        s.related = Some(seam);
    })
    .await;
    let ann = app.author("ann-lee", "Ann Lee").await;
    app.article(ArticleSpec {
        authors: std::slice::from_ref(&ann),
        ..Default::default()
    })
    .await;
    let renders = || related.0.load(std::sync::atomic::Ordering::SeqCst);
    let first = app.get(ARTICLE).await;
    assert_eq!(first.status(), StatusCode::OK);
    assert_eq!(renders(), 1);
    let etag = first.headers()[header::ETAG].clone();
    assert!(first.headers().contains_key(header::LAST_MODIFIED));

    let conditional = |h: header::HeaderName, v: header::HeaderValue| {
        app.client.get(app.url(ARTICLE)).header(h, v).send()
    };
    let again = conditional(header::IF_NONE_MATCH, etag.clone())
        .await
        .expect("request");
    assert_eq!(again.status(), StatusCode::NOT_MODIFIED);
    assert_eq!(again.headers()[header::ETAG], etag);
    let later = chrono::Utc::now() + chrono::Duration::hours(1);
    let since =
        header::HeaderValue::from_str(&later.format("%a, %d %b %Y %H:%M:%S GMT").to_string())
            .expect("date");
    let again = conditional(header::IF_MODIFIED_SINCE, since)
        .await
        .expect("request");
    assert_eq!(again.status(), StatusCode::NOT_MODIFIED);
    assert_eq!(renders(), 1, "neither 304 rendered the page");

    // A wildcard is no proof the page exists: it is rendered (and then matches).
    let star = conditional(header::IF_NONE_MATCH, header::HeaderValue::from_static("*"))
        .await
        .expect("request");
    assert_eq!(star.status(), StatusCode::NOT_MODIFIED);
    assert_eq!(renders(), 2);

    // Any content write moves the stamp: the old validator no longer matches.
    app.tag("weather", "Weather").await;
    app.invalidate();
    let changed = conditional(header::IF_NONE_MATCH, etag.clone())
        .await
        .expect("request");
    assert_eq!(changed.status(), StatusCode::OK);
    assert_ne!(changed.headers()[header::ETAG], etag);
    assert_eq!(renders(), 3);
    // An unknown page is never a 304, whatever validator comes with it.
    let missing = app
        .client
        .get(app.url("/articles/no-such-story"))
        .header(header::IF_NONE_MATCH, etag)
        .send()
        .await
        .expect("request");
    assert_eq!(missing.status(), StatusCode::NOT_FOUND);
}
