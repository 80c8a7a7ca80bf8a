//! The newsroom site over real HTTP, one file per area as in `src/routes/admin/` (the admin API:
//! `api_admin.rs`, the OpenAPI document: `openapi.rs`). This file holds the helpers they share:
//! users, signing in, posting forms with the CSRF token, API calls and uploads.

use chrono::Utc;
use newsdesk_core::accounts::{self, NewUser, Password, Role, User};
use newsdesk_core::*;
use reqwest::StatusCode;
use reqwest::header::{COOKIE, SET_COOKIE};

use crate::common::TestApp;

mod account;
mod articles;
mod login;
mod newsletter;
mod password_reset;
mod photos;
mod review;
mod revisions;
mod sources;
mod stories;
mod taxonomy;
mod users;
mod webhooks;
mod writing;

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

pub(crate) struct Desk {
    pub(crate) app: TestApp,
    pub(crate) ana: User,
    pub(crate) ben: User,
    pub(crate) eddie: User,
    pub(crate) admin: User,
    pub(crate) ana_author: Author,
    pub(crate) ben_author: Author,
}

pub(crate) async fn desk() -> Desk {
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

pub(crate) async fn draft_by(app: &TestApp, author: &Author, slug: &str) -> Article {
    app.article(crate::common::ArticleSpec {
        slug,
        headline: "Quay lights to be replaced",
        status: ArticleStatus::Draft,
        authors: std::slice::from_ref(author),
        ..Default::default()
    })
    .await
}
