//! The guarded fetcher against a real server.

use std::io::Write as _;
use std::sync::atomic::Ordering;
use std::time::Duration;

use newsdesk_ingest::fetch::{FetchOutcome, Validators};
use newsdesk_ingest::{FetchError, Fetcher};

use crate::common::*;

#[tokio::test]
async fn ssrf_guard_refuses_loopback_unless_allowed() {
    let server = TestServer::start().await;
    server.route("/feed", Reply::ok("application/rss+xml", rss2("x", &[])));
    let guarded = Fetcher::new(newsdesk_ingest::FetchOptions {
        allow_private: false,
        ..fetch_options()
    })
    .unwrap();
    let err = guarded
        .get(&server.url("/feed"), &Validators::default())
        .await
        .unwrap_err();
    assert!(matches!(err, FetchError::Blocked(_)), "{err:?}");
    // Names are checked on the addresses they resolve to.
    let by_name = server.url("/feed").replace("127.0.0.1", "localhost");
    let err = guarded
        .get(&by_name, &Validators::default())
        .await
        .unwrap_err();
    assert!(matches!(err, FetchError::Blocked(_)), "{err:?}");
    assert!(
        server.requests_to("/feed").is_empty(),
        "nothing reached the server"
    );
    // With allow_private (as in these tests) the same URL is fetched.
    let allowed = Fetcher::new(fetch_options()).unwrap();
    assert!(matches!(
        allowed
            .get(&server.url("/feed"), &Validators::default())
            .await,
        Ok(FetchOutcome::Fetched(_))
    ));
}

#[tokio::test]
async fn link_local_metadata_address_is_refused() {
    let guarded = Fetcher::new(newsdesk_ingest::FetchOptions {
        allow_private: false,
        ..fetch_options()
    })
    .unwrap();
    for url in [
        "http://169.254.169.254/latest/meta-data/",
        "http://[::1]/",
        "http://10.0.0.1/",
    ] {
        let err = guarded.get(url, &Validators::default()).await.unwrap_err();
        assert!(matches!(err, FetchError::Blocked(_)), "{url}: {err:?}");
    }
}

#[tokio::test]
async fn redirect_loop_is_refused_with_a_clear_error() {
    let server = TestServer::start().await;
    server.route(
        "/a",
        Reply::Redirect {
            status: 302,
            to: "/b".into(),
        },
    );
    server.route(
        "/b",
        Reply::Redirect {
            status: 302,
            to: "/a".into(),
        },
    );
    let err = Fetcher::new(fetch_options())
        .unwrap()
        .get(&server.url("/a"), &Validators::default())
        .await
        .unwrap_err();
    assert!(matches!(err, FetchError::RedirectLoop(_)), "{err:?}");
    assert!(err.to_string().contains("redirect loop"), "{err}");
}

#[tokio::test]
async fn too_many_redirects_are_refused() {
    let server = TestServer::start().await;
    for i in 0..10 {
        server.route(
            &format!("/r{i}"),
            Reply::Redirect {
                status: 302,
                to: format!("/r{}", i + 1),
            },
        );
    }
    let err = Fetcher::new(fetch_options())
        .unwrap()
        .get(&server.url("/r0"), &Validators::default())
        .await
        .unwrap_err();
    assert_eq!(err, FetchError::TooManyRedirects(5));
}

#[tokio::test]
async fn gzip_bomb_is_refused_at_the_decoded_cap() {
    let server = TestServer::start().await;
    // 50 MB of zeros compress to about 50 KB.
    let mut enc = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::best());
    let zeros = vec![0u8; 1024 * 1024];
    for _ in 0..50 {
        enc.write_all(&zeros).unwrap();
    }
    let bomb = enc.finish().unwrap();
    assert!(bomb.len() < 200 * 1024);
    server.route(
        "/bomb",
        Reply::Ok {
            content_type: "text/html".into(),
            body: bomb,
            headers: vec![("content-encoding".into(), "gzip".into())],
        },
    );
    let err = Fetcher::new(fetch_options())
        .unwrap()
        .get(&server.url("/bomb"), &Validators::default())
        .await
        .unwrap_err();
    assert_eq!(err, FetchError::TooLarge(1024 * 1024));
}

#[tokio::test]
async fn hundred_megabyte_page_is_refused_without_reading_it_all() {
    let server = TestServer::start().await;
    server.route("/huge", Reply::Endless);
    let err = Fetcher::new(fetch_options())
        .unwrap()
        .get(&server.url("/huge"), &Validators::default())
        .await
        .unwrap_err();
    assert_eq!(err, FetchError::TooLarge(1024 * 1024));
    tokio::time::sleep(Duration::from_millis(200)).await;
    let sent = server.state.endless_bytes_sent.load(Ordering::Relaxed);
    // The server generates until its socket buffers fill: far less than the 100 MB.
    assert!(sent < 20 * 1024 * 1024, "server sent {sent} bytes");
}

#[tokio::test]
async fn slow_server_times_out() {
    let server = TestServer::start().await;
    server.route(
        "/slow",
        Reply::Slow(Duration::from_secs(10), Box::new(Reply::html("late"))),
    );
    let started = std::time::Instant::now();
    let err = Fetcher::new(fetch_options())
        .unwrap()
        .get(&server.url("/slow"), &Validators::default())
        .await
        .unwrap_err();
    assert!(matches!(err, FetchError::Timeout(_)), "{err:?}");
    assert!(started.elapsed() < Duration::from_secs(8));
}

#[tokio::test]
async fn user_agent_is_honest() {
    let server = TestServer::start().await;
    server.route("/p", Reply::html("<p>x</p>"));
    Fetcher::new(fetch_options())
        .unwrap()
        .get(&server.url("/p"), &Validators::default())
        .await
        .unwrap();
    let ua = server.requests_to("/p")[0]
        .get("user-agent")
        .unwrap()
        .to_str()
        .unwrap()
        .to_owned();
    assert!(ua.starts_with("newsdesk/"), "{ua}");
    assert!(ua.contains("(+http://news.test)"), "{ua}");
}
