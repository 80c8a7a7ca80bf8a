//! What an attacker tried (issue 10), each pinned down over real HTTP: bounded password
//! hashing, login throttling that cannot be raced or used to lock someone out, metadata-free
//! photos, refused huge images, slow-header connections closed, and URL checks at once.

use std::time::Duration;

use newsdesk_web::server::ServerLimits;
use reqwest::StatusCode;

use crate::admin::login_response;
use crate::common::TestApp;

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_flood_of_logins_runs_at_most_one_hash_per_core_and_refuses_the_overflow_fast() {
    let app = TestApp::spawn().await;
    let flood = 20; // the per-address failure limit: the throttle alone lets all of them in
    let mut tasks = Vec::new();
    for i in 0..flood {
        let client = app.client.clone();
        let url = app.url("/admin/login");
        let base = app.base.clone();
        tasks.push(tokio::spawn(async move {
            client
                .post(url)
                .header("origin", base)
                .header("content-type", "application/x-www-form-urlencoded")
                .body(format!(
                    "email=nobody{i}%40example.org&password=xxxxxxxxxxxx"
                ))
                .send()
                .await
                .expect("login")
        }));
    }
    let mut refused = 0;
    for t in tasks {
        let r = t.await.expect("join");
        match r.status() {
            StatusCode::UNAUTHORIZED => {}
            StatusCode::TOO_MANY_REQUESTS => {
                assert_eq!(r.headers()["retry-after"], "1");
                refused += 1;
            }
            other => panic!("unexpected {other}"),
        }
    }
    let h = &app.state.hasher;
    assert!(refused > 0, "beyond the hashing queue requests are refused");
    assert!(
        h.peak_concurrent() <= h.concurrent(),
        "{} hashes ran at once, bound {}",
        h.peak_concurrent(),
        h.concurrent()
    );
    assert_eq!(h.computed() + refused, flood);
    // The server still answers a real request afterwards.
    let r = login_response(&app, "nobody@example.org", "xxxxxxxxxxxx").await;
    assert_eq!(r.status(), StatusCode::UNAUTHORIZED);
}

/// A server with explicit connection limits, on loopback port 0.
struct Limited {
    addr: std::net::SocketAddr,
    _app: TestApp,
    _stop: tokio::sync::oneshot::Sender<()>,
}

async fn limited(limits: newsdesk_web::server::ServerLimits) -> Limited {
    let app = TestApp::spawn().await;
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let addr = listener.local_addr().expect("addr");
    let (tx, rx) = tokio::sync::oneshot::channel::<()>();
    let state = app.state.clone();
    tokio::spawn(async move {
        let _ = newsdesk_web::serve_with(listener, state, limits, async {
            let _ = rx.await;
        })
        .await;
    });
    Limited {
        addr,
        _app: app,
        _stop: tx,
    }
}

/// Reads until the server closes the connection; `None` if it is still open after `patience`
/// (a bound so that a broken server fails the test instead of hanging it).
async fn read_until_closed(s: &mut tokio::net::TcpStream, patience: Duration) -> Option<Vec<u8>> {
    use tokio::io::AsyncReadExt as _;
    let mut got = Vec::new();
    let mut buf = [0u8; 4096];
    let res = tokio::time::timeout(patience, async {
        loop {
            match s.read(&mut buf).await {
                Ok(0) | Err(_) => return,
                Ok(n) => got.extend_from_slice(&buf[..n]),
            }
        }
    })
    .await;
    res.ok().map(|()| got)
}

#[tokio::test]
async fn a_client_that_never_finishes_its_headers_is_disconnected() {
    use tokio::io::AsyncWriteExt as _;
    let srv = limited(ServerLimits {
        header_read_timeout: Duration::from_millis(300),
        idle_timeout: Duration::from_secs(600),
        max_connections: 16,
    })
    .await;
    let mut s = tokio::net::TcpStream::connect(srv.addr)
        .await
        .expect("connect");
    s.write_all(b"GET / HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Slow: ")
        .await
        .expect("write");
    // A byte now and then keeps an idle timer happy; the header deadline still ends it.
    let trickle = async {
        for _ in 0..50 {
            tokio::time::sleep(Duration::from_millis(100)).await;
            if s.write_all(b"a").await.is_err() {
                break;
            }
        }
    };
    trickle.await;
    let closed = read_until_closed(&mut s, Duration::from_secs(20)).await;
    assert!(closed.is_some(), "the half-sent request is still open");
}

#[tokio::test]
async fn an_idle_keep_alive_connection_is_closed_after_the_idle_timeout() {
    use tokio::io::AsyncWriteExt as _;
    let srv = limited(ServerLimits {
        header_read_timeout: Duration::from_secs(600),
        idle_timeout: Duration::from_millis(300),
        max_connections: 16,
    })
    .await;
    let mut s = tokio::net::TcpStream::connect(srv.addr)
        .await
        .expect("connect");
    s.write_all(b"GET /robots.txt HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n")
        .await
        .expect("write");
    let got = read_until_closed(&mut s, Duration::from_secs(20))
        .await
        .expect("the idle connection is still open");
    assert!(
        got.starts_with(b"HTTP/1.1 "),
        "the request was answered first"
    );
}

#[tokio::test]
async fn connections_beyond_the_bound_wait_until_one_closes() {
    use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};
    let srv = limited(ServerLimits {
        header_read_timeout: Duration::from_secs(600),
        idle_timeout: Duration::from_secs(600),
        max_connections: 1,
    })
    .await;
    let first = tokio::net::TcpStream::connect(srv.addr)
        .await
        .expect("connect");
    // Let the server accept the first one, so it holds the only slot.
    tokio::time::sleep(Duration::from_millis(200)).await;
    let mut second = tokio::net::TcpStream::connect(srv.addr)
        .await
        .expect("connect");
    second
        .write_all(b"GET /robots.txt HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n")
        .await
        .expect("write");
    let mut byte = [0u8; 1];
    let early = tokio::time::timeout(Duration::from_millis(500), second.read(&mut byte)).await;
    assert!(
        early.is_err(),
        "a second connection was served past the bound"
    );
    drop(first);
    let got = read_until_closed(&mut second, Duration::from_secs(20))
        .await
        .expect("answered once the slot is free");
    assert!(
        got.starts_with(b"HTTP/1.1 "),
        "answered once the slot is free"
    );
}

/// A CRC-32 (PNG's), so the test can write a well-formed metadata chunk of its own.
fn crc32(bytes: &[u8]) -> u32 {
    let mut c = 0xFFFF_FFFFu32;
    for &b in bytes {
        c ^= u32::from(b);
        for _ in 0..8 {
            c = if c & 1 == 1 {
                (c >> 1) ^ 0xEDB8_8320
            } else {
                c >> 1
            };
        }
    }
    !c
}

const SECRET_ARTIST: &str = "Jane Whistleblower-Photographer";
const SECRET_CAMERA: &str = "SecretCam 3000";

/// An Exif APP1 segment: orientation 6 (turn 90 degrees clockwise), artist and camera make.
fn exif_app1() -> Vec<u8> {
    let artist = format!("{SECRET_ARTIST}\0");
    let make = format!("{SECRET_CAMERA}\0");
    let mut tiff = Vec::new();
    tiff.extend_from_slice(b"II\x2a\x00\x08\x00\x00\x00");
    let data_at = 8 + 2 + 12 * 3 + 4;
    tiff.extend_from_slice(&3u16.to_le_bytes());
    let entry = |tag: u16, kind: u16, count: u32, value: u32| {
        let mut e = Vec::new();
        e.extend_from_slice(&tag.to_le_bytes());
        e.extend_from_slice(&kind.to_le_bytes());
        e.extend_from_slice(&count.to_le_bytes());
        e.extend_from_slice(&value.to_le_bytes());
        e
    };
    tiff.extend(entry(0x010F, 2, make.len() as u32, data_at as u32));
    tiff.extend(entry(0x0112, 3, 1, 6));
    tiff.extend(entry(
        0x013B,
        2,
        artist.len() as u32,
        (data_at + make.len()) as u32,
    ));
    tiff.extend_from_slice(&0u32.to_le_bytes());
    tiff.extend_from_slice(make.as_bytes());
    tiff.extend_from_slice(artist.as_bytes());
    let mut seg = vec![0xFF, 0xE1];
    seg.extend_from_slice(&((2 + 6 + tiff.len()) as u16).to_be_bytes());
    seg.extend_from_slice(b"Exif\0\0");
    seg.extend(tiff);
    seg
}

/// A 1200 x 800 JPEG as a phone writes it: pixels stored sideways plus an Exif orientation.
fn jpeg_with_exif() -> Vec<u8> {
    let img = image::RgbImage::from_fn(1200, 800, |x, y| {
        image::Rgb([(x % 256) as u8, (y % 256) as u8, 90])
    });
    let mut out = std::io::Cursor::new(Vec::new());
    image::DynamicImage::ImageRgb8(img)
        .write_to(&mut out, image::ImageFormat::Jpeg)
        .expect("jpeg");
    let plain = out.into_inner();
    let mut with = plain[..2].to_vec();
    with.extend(exif_app1());
    with.extend_from_slice(&plain[2..]);
    with
}

/// A PNG with a text chunk naming the artist, placed before the image data.
fn png_with_text() -> Vec<u8> {
    let plain = crate::admin::sample_png(1000, 500);
    let idat = plain.windows(4).position(|w| w == b"IDAT").expect("IDAT") - 4;
    let mut data = b"tEXt".to_vec();
    data.extend_from_slice(format!("Artist\0{SECRET_ARTIST}").as_bytes());
    let mut chunk = ((data.len() - 4) as u32).to_be_bytes().to_vec();
    chunk.extend_from_slice(&data);
    chunk.extend_from_slice(&crc32(&data).to_be_bytes());
    let mut with = plain[..idat].to_vec();
    with.extend(chunk);
    with.extend_from_slice(&plain[idat..]);
    with
}

fn leaks(bytes: &[u8]) -> Vec<&'static str> {
    let hay = String::from_utf8_lossy(bytes);
    ["Exif", SECRET_ARTIST, SECRET_CAMERA, "tEXt"]
        .into_iter()
        .filter(|n| hay.contains(n))
        .collect()
}

/// Every served file of a photo: the original and each rendition.
async fn served_files(app: &TestApp, id: i64) -> Vec<(String, Vec<u8>)> {
    let photo = app.store.photo(id).await.expect("photo").expect("exists");
    let mut files = vec![photo.file.clone()];
    for r in app.store.photo_renditions(id).await.expect("renditions") {
        files.push(r.file);
    }
    let mut out = Vec::new();
    for f in files {
        let r = app.get(&format!("/uploads/{f}")).await;
        assert_eq!(r.status(), StatusCode::OK, "{f}");
        out.push((f, r.bytes().await.expect("bytes").to_vec()));
    }
    out
}

#[tokio::test]
async fn uploaded_photos_are_served_without_exif_or_text_metadata_and_upright() {
    use newsdesk_core::accounts::Role;
    let app = TestApp::spawn().await;
    let author = app.author("ana", "Ana Author").await;
    let ana = crate::admin::user(&app, "ana@example.org", Role::Author, Some(&author)).await;
    let meta = [
        ("alt", "A test card"),
        ("caption", "Test card"),
        ("credit", "Newsdesk tests"),
    ];
    let original = jpeg_with_exif();
    assert_eq!(
        leaks(&original),
        vec!["Exif", SECRET_ARTIST, SECRET_CAMERA],
        "the fixture carries metadata"
    );

    // Through the API.
    let (_, token) = crate::admin::token(&app, &ana).await;
    let (ct, body) = crate::admin::multipart(&meta, &original, "phone.jpg", "image/jpeg");
    let r = app
        .client
        .post(app.url("/api/v1/photos"))
        .bearer_auth(&token)
        .header("content-type", ct)
        .body(body)
        .send()
        .await
        .expect("upload");
    assert_eq!(r.status(), StatusCode::CREATED);
    let v: serde_json::Value = r.json().await.expect("json");
    // Orientation 6: the 1200 x 800 pixels are shown turned, 800 x 1200.
    assert_eq!(
        (v["width"].as_u64(), v["height"].as_u64()),
        (Some(800), Some(1200))
    );
    let id = v["id"].as_i64().expect("id");
    let files = served_files(&app, id).await;
    let names: Vec<&str> = files.iter().map(|(f, _)| f.as_str()).collect();
    assert!(files.len() >= 2, "original and renditions: {names:?}");
    for (f, bytes) in &files {
        assert!(leaks(bytes).is_empty(), "{f} leaks {:?}", leaks(bytes));
        let img = image::load_from_memory(bytes).expect("served bytes decode");
        assert!(img.height() > img.width(), "{f} is upright");
    }

    // Through the admin site's form.
    let s = crate::admin::login(&app, "ana@example.org").await;
    let png = png_with_text();
    assert_eq!(leaks(&png), vec![SECRET_ARTIST, "tEXt"]);
    let mut fields = meta.to_vec();
    fields.push(("csrf", &s.csrf));
    let (ct, body) = crate::admin::multipart(&fields, &png, "card.png", "image/png");
    let r = app
        .client
        .post(app.url("/admin/photos"))
        .header("cookie", &s.cookie)
        .header("origin", &app.base)
        .header("content-type", ct)
        .body(body)
        .send()
        .await
        .expect("upload");
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let newest = app.store.list_photos(1).await.expect("photos");
    let files = served_files(&app, newest[0].id).await;
    for (f, bytes) in &files {
        assert!(leaks(bytes).is_empty(), "{f} leaks {:?}", leaks(bytes));
    }
}

/// A PNG header that claims `w` x `h` pixels, with a tiny (broken) body: what matters is that
/// it is refused from the header, never decoded.
fn png_claiming(w: u32, h: u32) -> Vec<u8> {
    let mut ihdr = b"IHDR".to_vec();
    ihdr.extend_from_slice(&w.to_be_bytes());
    ihdr.extend_from_slice(&h.to_be_bytes());
    ihdr.extend_from_slice(&[8, 2, 0, 0, 0]);
    let mut png = b"\x89PNG\r\n\x1a\n".to_vec();
    png.extend_from_slice(&13u32.to_be_bytes());
    png.extend_from_slice(&ihdr);
    png.extend_from_slice(&crc32(&ihdr).to_be_bytes());
    // An empty zlib stream: far fewer bytes than the header promises.
    let idat = b"IDAT\x78\x9c\x03\x00\x00\x00\x00\x01";
    png.extend_from_slice(&8u32.to_be_bytes());
    png.extend_from_slice(idat);
    png.extend_from_slice(&crc32(idat).to_be_bytes());
    png.extend_from_slice(&0u32.to_be_bytes());
    png.extend_from_slice(b"IEND");
    png.extend_from_slice(&crc32(b"IEND").to_be_bytes());
    png
}

#[tokio::test]
async fn an_image_above_the_pixel_budget_is_refused_from_its_header() {
    use newsdesk_core::accounts::Role;
    let app = TestApp::spawn().await;
    let author = app.author("ana", "Ana Author").await;
    let ana = crate::admin::user(&app, "ana@example.org", Role::Author, Some(&author)).await;
    let (_, token) = crate::admin::token(&app, &ana).await;
    let meta = [("alt", "Big"), ("caption", "Big"), ("credit", "Tests")];
    // 12,000 x 12,000 was accepted (and decoded: 3 s, 754 MB) before the budget.
    for (w, h) in [(12_000, 12_000), (9_000, 5_000), (20_000, 100)] {
        let (ct, body) =
            crate::admin::multipart(&meta, &png_claiming(w, h), "big.png", "image/png");
        let r = app
            .client
            .post(app.url("/api/v1/photos"))
            .bearer_auth(&token)
            .header("content-type", ct)
            .body(body)
            .send()
            .await
            .expect("upload");
        assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY, "{w}x{h}");
        let text = r.text().await.expect("body");
        assert!(text.contains("megapixels"), "{w}x{h}: {text}");
    }
    // Parallel uploads are decoded at most one per core at a time.
    let png = crate::admin::sample_png(800, 600);
    let mut tasks = Vec::new();
    for _ in 0..4 {
        let (ct, body) = crate::admin::multipart(&meta, &png, "p.png", "image/png");
        let req = app
            .client
            .post(app.url("/api/v1/photos"))
            .bearer_auth(&token)
            .header("content-type", ct)
            .body(body);
        tasks.push(tokio::spawn(
            async move { req.send().await.expect("upload") },
        ));
    }
    for t in tasks {
        assert_eq!(t.await.expect("join").status(), StatusCode::CREATED);
    }
    let peak = newsdesk_web::uploads::peak_concurrent_decodes();
    assert!((1..=num_cores()).contains(&peak), "{peak} decodes at once");
}

fn num_cores() -> usize {
    std::thread::available_parallelism().map_or(1, |n| n.get())
}

#[tokio::test]
async fn webhooks_and_sources_with_a_special_purpose_address_are_refused_at_once() {
    use newsdesk_core::accounts::Role;
    let app = TestApp::spawn().await;
    let admin = crate::admin::user(&app, "root@example.org", Role::Admin, None).await;
    let s = crate::admin::login(&app, "root@example.org").await;
    for bad in ["http://[::127.0.0.1]/hook", "http://192.0.0.1/hook"] {
        let r = crate::admin::post_form(&app, &s, "/admin/webhooks", &[("url", bad)]).await;
        assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY, "{bad}");
        let page = r.text().await.expect("page");
        assert!(page.contains("not a public address"), "{bad}");
    }
    assert!(app.store.list_webhooks().await.expect("hooks").is_empty());

    let (_, token) = crate::admin::token(&app, &admin).await;
    for bad in [
        "http://[::127.0.0.1]:8765/index.html",
        "http://198.18.0.7/feed.xml",
        "http://[64:ff9b::7f00:1]/rss",
    ] {
        let (st, body) = crate::admin::api(
            &app,
            reqwest::Method::POST,
            "/api/v1/sources",
            &token,
            serde_json::json!({ "url": bad }),
        )
        .await;
        assert_eq!(st, StatusCode::UNPROCESSABLE_ENTITY, "{bad}: {body}");
        let msg = body["error"]["message"].as_str().unwrap_or_default();
        assert!(msg.contains("not a public address"), "{bad}: {msg}");
    }
    assert!(app.store.list_sources().await.expect("sources").is_empty());
}

/// A client whose connections come from `ip` (any 127.0.0.0/8 address is loopback), so the
/// server sees another network.
fn client_from(ip: &str) -> reqwest::Client {
    reqwest::Client::builder()
        .local_address(ip.parse::<std::net::IpAddr>().expect("ip"))
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .expect("client")
}

async fn login_from(
    app: &TestApp,
    client: &reqwest::Client,
    email: &str,
    password: &str,
) -> reqwest::Response {
    client
        .post(app.url("/admin/login"))
        .header("origin", &app.base)
        .header("content-type", "application/x-www-form-urlencoded")
        .body(crate::admin::enc(&[
            ("email", email),
            ("password", password),
        ]))
        .send()
        .await
        .expect("login")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn parallel_guesses_get_at_most_the_limit_of_password_checks() {
    use newsdesk_core::accounts::Role;
    let app = TestApp::spawn().await;
    crate::admin::user(&app, "ana@example.org", Role::Author, None).await;
    for _ in 0..3 {
        let r = login_response(&app, "ana@example.org", "not the password").await;
        assert_eq!(r.status(), StatusCode::UNAUTHORIZED);
    }
    let before = app.state.hasher.computed();
    let mut tasks = Vec::new();
    for _ in 0..60 {
        let client = app.client.clone();
        let url = app.url("/admin/login");
        let base = app.base.clone();
        tasks.push(tokio::spawn(async move {
            client
                .post(url)
                .header("origin", base)
                .header("content-type", "application/x-www-form-urlencoded")
                .body("email=ana%40example.org&password=guess+guess+guess")
                .send()
                .await
                .expect("login")
                .status()
        }));
    }
    let mut unauthorized = 0;
    for t in tasks {
        match t.await.expect("join") {
            StatusCode::UNAUTHORIZED => unauthorized += 1,
            StatusCode::TOO_MANY_REQUESTS => {}
            other => panic!("unexpected {other}"),
        }
    }
    let checked = app.state.hasher.computed() - before;
    // 3 earlier failures and a limit of 5: two more checks, whatever the parallelism.
    assert!(checked <= 2, "{checked} passwords checked");
    assert_eq!(unauthorized, checked);
}

#[tokio::test]
async fn failures_from_one_network_do_not_lock_the_account_out_of_another() {
    use newsdesk_core::accounts::Role;
    let app = TestApp::spawn().await;
    crate::admin::user(&app, "ana@example.org", Role::Author, None).await;
    let attacker = client_from("127.0.0.2");
    for _ in 0..newsdesk_core::throttle::MAX_PER_ACCOUNT_NETWORK {
        let r = login_from(&app, &attacker, "ana@example.org", "not the password").await;
        assert_eq!(r.status(), StatusCode::UNAUTHORIZED);
    }
    let r = login_from(&app, &attacker, "ana@example.org", crate::admin::PW).await;
    assert_eq!(
        r.status(),
        StatusCode::TOO_MANY_REQUESTS,
        "the guessing network"
    );
    // The real user, elsewhere, signs in.
    let user = client_from("127.0.0.3");
    let r = login_from(&app, &user, "ana@example.org", crate::admin::PW).await;
    assert_eq!(
        r.status(),
        StatusCode::SEE_OTHER,
        "the real user is not locked out"
    );
}

#[tokio::test]
async fn over_the_account_ceiling_only_networks_that_failed_are_refused() {
    use newsdesk_core::accounts::Role;
    use newsdesk_core::throttle::{ACCOUNT_CEILING, MAX_PER_ACCOUNT_NETWORK};
    let app = TestApp::spawn().await;
    crate::admin::user(&app, "ana@example.org", Role::Author, None).await;
    let networks = ACCOUNT_CEILING.div_ceil(MAX_PER_ACCOUNT_NETWORK);
    for n in 0..networks {
        let c = client_from(&format!("127.0.1.{}", n + 1));
        for _ in 0..MAX_PER_ACCOUNT_NETWORK {
            let r = login_from(&app, &c, "ana@example.org", "not the password").await;
            assert_eq!(r.status(), StatusCode::UNAUTHORIZED);
        }
    }
    let failed = client_from("127.0.1.1");
    let r = login_from(&app, &failed, "ana@example.org", crate::admin::PW).await;
    assert_eq!(r.status(), StatusCode::TOO_MANY_REQUESTS);
    // A network that has not failed proves itself with the right password (slowed, not blocked).
    let clean = client_from("127.0.2.1");
    let r = login_from(&app, &clean, "ana@example.org", crate::admin::PW).await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    // A wrong password from a clean network is still checked, and fails normally.
    let other = client_from("127.0.2.2");
    let r = login_from(&app, &other, "ana@example.org", "still not it").await;
    assert_eq!(r.status(), StatusCode::UNAUTHORIZED);
}

#[tokio::test]
async fn failed_logins_from_one_network_make_one_audit_row_per_window() {
    use newsdesk_core::accounts::Role;
    let app = TestApp::spawn().await;
    crate::admin::user(&app, "ana@example.org", Role::Author, None).await;
    let guesser = client_from("127.0.0.9");
    for i in 0..30 {
        let email = format!("nobody{i}@example.org");
        let _ = login_from(&app, &guesser, &email, "xxxxxxxxxxxx").await;
    }
    crate::admin::login(&app, "ana@example.org").await;
    crate::admin::login(&app, "ana@example.org").await;
    let rows = app.store.list_audit(None, 500).await.expect("audit");
    let failed: Vec<_> = rows.iter().filter(|r| r.action == "login.failed").collect();
    assert_eq!(failed.len(), 1, "{failed:?}");
    // 20 were checked (the network's limit); the rest were throttled before any check.
    assert!(
        failed[0].target.contains("(20 attempts"),
        "{}",
        failed[0].target
    );
    let signed_in = rows.iter().filter(|r| r.action == "login").count();
    assert_eq!(signed_in, 2, "every successful sign-in keeps its row");
}

async fn change_password_wrongly(
    client: &reqwest::Client,
    app: &TestApp,
    s: &crate::admin::Session,
) -> StatusCode {
    client
        .post(app.url("/admin/account/password"))
        .header(reqwest::header::COOKIE, &s.cookie)
        .header("origin", &app.base)
        .header("content-type", "application/x-www-form-urlencoded")
        .body(crate::admin::enc(&[
            ("csrf", s.csrf.as_str()),
            ("current", "guess guess guess"),
            ("new", "staple battery horse"),
            ("repeat", "staple battery horse"),
        ]))
        .send()
        .await
        .expect("change password")
        .status()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn parallel_wrong_current_passwords_get_at_most_the_limit_of_checks() {
    use newsdesk_core::accounts::Role;
    use newsdesk_core::throttle::MAX_PER_ACCOUNT_NETWORK;
    let app = std::sync::Arc::new(TestApp::spawn().await);
    crate::admin::user(&app, "ana@example.org", Role::Author, None).await;
    let s = std::sync::Arc::new(crate::admin::login(&app, "ana@example.org").await);
    for _ in 0..3 {
        let status = change_password_wrongly(&app.client, &app, &s).await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    }
    let before = app.state.hasher.computed();
    let mut tasks = Vec::new();
    for _ in 0..60 {
        let (app, s) = (app.clone(), s.clone());
        tasks.push(tokio::spawn(async move {
            change_password_wrongly(&app.client, &app, &s).await
        }));
    }
    let mut refused = 0;
    for t in tasks {
        match t.await.expect("join") {
            StatusCode::UNPROCESSABLE_ENTITY => refused += 1,
            StatusCode::TOO_MANY_REQUESTS => {}
            other => panic!("unexpected {other}"),
        }
    }
    let checked = app.state.hasher.computed() - before;
    // 3 earlier failures and a limit of 5: two more checks, whatever the parallelism.
    assert!(
        checked <= u64::from(MAX_PER_ACCOUNT_NETWORK - 3),
        "{checked} passwords checked"
    );
    assert_eq!(refused, checked);
}

#[tokio::test]
async fn failed_logins_of_others_do_not_stop_the_owner_changing_the_password() {
    use newsdesk_core::accounts::Role;
    use newsdesk_core::throttle::MAX_PER_ACCOUNT_NETWORK;
    let app = TestApp::spawn().await;
    crate::admin::user(&app, "ana@example.org", Role::Author, None).await;
    let s = crate::admin::login(&app, "ana@example.org").await;
    let attacker = client_from("127.0.0.2");
    for _ in 0..MAX_PER_ACCOUNT_NETWORK + 2 {
        let _ = login_from(&app, &attacker, "ana@example.org", "not the password").await;
    }
    let r = crate::admin::post_form(
        &app,
        &s,
        "/admin/account/password",
        &[
            ("current", crate::admin::PW),
            ("new", "staple battery horse"),
            ("repeat", "staple battery horse"),
        ],
    )
    .await;
    assert_eq!(
        r.status(),
        StatusCode::OK,
        "the owner changes a leaked password"
    );
    let r = login_response(&app, "ana@example.org", "staple battery horse").await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
}

/// A wire agency on loopback: a home page advertising `/feed.xml`, and that feed.
async fn agency() -> String {
    use axum::routing::get;
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let base = format!("http://{}", listener.local_addr().expect("addr"));
    let feed = format!("{base}/feed.xml");
    let page = format!(
        r#"<!doctype html><html><head><title>Wire</title><link rel="alternate" type="application/rss+xml" href="{feed}"></head><body>Our wire.</body></html>"#
    );
    let rss = r#"<?xml version="1.0"?><rss version="2.0"><channel><title>Wire</title><link>http://wire.test/</link><description>d</description></channel></rss>"#;
    let app = axum::Router::new()
        .route(
            "/index.html",
            get(move || async move { ([("content-type", "text/html")], page) }),
        )
        .route(
            "/feed.xml",
            get(move || async move { ([("content-type", "application/rss+xml")], rss) }),
        );
    tokio::spawn(async move {
        let _ = axum::serve(listener, app).await;
    });
    base
}

#[tokio::test]
async fn the_api_refuses_a_home_page_whose_feed_is_already_followed() {
    use newsdesk_core::accounts::Role;
    use newsdesk_ingest::{FetchOptions, Fetcher, IngestOptions, Pipeline};
    let base = agency().await;
    let app = TestApp::spawn_with(|state| {
        state.newsroom = std::sync::Arc::new(newsdesk_web::auth::Newsroom::new(true));
        let fetcher = Fetcher::new(FetchOptions {
            allow_private: true,
            ..FetchOptions::default()
        })
        .expect("fetcher");
        let pipeline = Pipeline::new(state.store.clone(), fetcher, IngestOptions::default());
        state.discovery = Some(std::sync::Arc::new(pipeline));
    })
    .await;
    let admin = crate::admin::user(&app, "root@example.org", Role::Admin, None).await;
    let (_, token) = crate::admin::token(&app, &admin).await;
    let add = |url: String| {
        let (app, token) = (&app, &token);
        async move {
            crate::admin::api(
                app,
                reqwest::Method::POST,
                "/api/v1/sources",
                token,
                serde_json::json!({ "url": url }),
            )
            .await
        }
    };
    let (st, body) = add(format!("{base}/feed.xml")).await;
    assert_eq!(st, StatusCode::CREATED, "{body}");
    let (st, body) = add(format!("{base}/index.html")).await;
    assert_eq!(st, StatusCode::CONFLICT, "{body}");
    let msg = body["error"]["message"].as_str().unwrap_or_default();
    assert!(
        msg.contains("already followed as source") && msg.contains(&format!("{base}/feed.xml")),
        "{msg}"
    );
    let (st, body) = add(format!("{base}/feed.xml")).await;
    assert_eq!(st, StatusCode::CONFLICT, "the feed itself twice: {body}");
    assert_eq!(app.store.list_sources().await.expect("sources").len(), 1);
}
