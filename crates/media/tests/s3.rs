//! The S3 backend against a real S3-compatible server process: moto (`moto_server`, from
//! PyPI: pure pip, no Docker, no npm). `NEWSDESK_TEST_MOTO` names the binary (scripts/test
//! sets it); without it the tests skip, or fail when `CI=true`.

use std::net::TcpListener;
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use newsdesk_media::{MediaConfig, MediaStore, migrate};

struct Moto {
    child: Child,
    endpoint: String,
}

impl Drop for Moto {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

async fn moto() -> Option<Moto> {
    // reqwest is built without a bundled TLS provider (to avoid aws-lc); pick ring once.
    let _ = rustls::crypto::ring::default_provider().install_default();
    let Some(bin) = std::env::var_os("NEWSDESK_TEST_MOTO") else {
        assert!(
            std::env::var("CI").as_deref() != Ok("true"),
            "NEWSDESK_TEST_MOTO is not set (scripts/test sets it up)"
        );
        eprintln!("SKIPPED: NEWSDESK_TEST_MOTO not set; run scripts/test to get moto_server");
        return None;
    };
    let port = TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .expect("free port")
        .port();
    let child = Command::new(bin)
        .args(["-H", "127.0.0.1", "-p", &port.to_string()])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("start moto_server");
    let endpoint = format!("http://127.0.0.1:{port}");
    let moto = Moto { child, endpoint };
    let client = reqwest::Client::new();
    for _ in 0..100 {
        if client.get(&moto.endpoint).send().await.is_ok() {
            return Some(moto);
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("moto_server did not answer on {}", moto.endpoint);
}

async fn bucket(moto: &Moto, name: &str) {
    // moto takes an unsigned CreateBucket.
    let res = reqwest::Client::new()
        .put(format!("{}/{name}", moto.endpoint))
        .send()
        .await
        .expect("create bucket");
    assert!(res.status().is_success(), "{}", res.status());
}

fn config(moto: &Moto, url: &str) -> MediaConfig {
    MediaConfig {
        url: url.into(),
        endpoint: moto.endpoint.clone(),
        region: "us-east-1".into(),
        access_key_id: "testing".into(),
        secret_access_key: "testing".into(),
        allow_http: true,
    }
}

#[tokio::test]
async fn a_photo_put_through_one_handle_is_read_by_another_with_its_type() {
    let Some(moto) = moto().await else { return };
    bucket(&moto, "news").await;
    let dir = tempfile::tempdir().expect("dir");
    let a = MediaStore::open(&config(&moto, "s3://news/media"), dir.path()).expect("a");
    let b = MediaStore::open(&config(&moto, "s3://news/media"), dir.path()).expect("b");
    a.check().await.expect("store answers");
    a.put("2026/x.jpg", b"jpeg bytes".to_vec(), "image/jpeg")
        .await
        .expect("put");
    let got = b.get("2026/x.jpg").await.expect("get").expect("found");
    assert_eq!(&got.bytes[..], b"jpeg bytes");
    assert_eq!(got.content_type, "image/jpeg");
    assert!(got.meta.etag.is_some());
    assert!(b.get("2026/missing.jpg").await.expect("get").is_none());
    let keys: Vec<_> = b
        .list()
        .await
        .expect("list")
        .into_iter()
        .map(|m| m.key)
        .collect();
    assert_eq!(keys, ["2026/x.jpg"], "listed without the prefix");
    b.delete("2026/x.jpg").await.expect("delete");
    assert!(a.get("2026/x.jpg").await.expect("get").is_none());
}

#[tokio::test]
async fn migrating_the_data_directory_to_s3_copies_each_file_once() {
    let Some(moto) = moto().await else { return };
    bucket(&moto, "moved").await;
    let dir = tempfile::tempdir().expect("dir");
    let local = MediaStore::local(&dir.path().join("uploads")).expect("local");
    local
        .put("demo/a.svg", b"<svg/>".to_vec(), "image/svg+xml")
        .await
        .expect("put");
    local
        .put("2026/b.png", b"png".to_vec(), "image/png")
        .await
        .expect("put");
    let s3 = MediaStore::open(&config(&moto, "s3://moved"), dir.path()).expect("s3");
    let first = migrate(&local, &s3).await.expect("migrate");
    assert_eq!((first.copied, first.skipped), (2, 0));
    let again = migrate(&local, &s3).await.expect("migrate again");
    assert_eq!((again.copied, again.skipped), (0, 2), "idempotent");
    let svg = s3.get("demo/a.svg").await.expect("get").expect("found");
    assert_eq!(svg.content_type, "image/svg+xml");
}

#[tokio::test]
async fn a_wrong_bucket_or_endpoint_fails_the_check_clearly() {
    let Some(moto) = moto().await else { return };
    let dir = tempfile::tempdir().expect("dir");
    let missing = MediaStore::open(&config(&moto, "s3://no-such-bucket"), dir.path()).expect("s3");
    let err = missing.check().await.expect_err("no bucket").to_string();
    assert!(err.contains("s3://no-such-bucket"), "{err}");
    let mut dead = config(&moto, "s3://news");
    // Nothing listens on port 9 of loopback.
    dead.endpoint = "http://127.0.0.1:9".into();
    let dead = MediaStore::open(&dead, dir.path()).expect("s3");
    let started = std::time::Instant::now();
    let err = dead.check().await.expect_err("dead endpoint").to_string();
    assert!(err.contains("127.0.0.1:9"), "{err}");
    assert!(started.elapsed() < Duration::from_secs(30), "fails fast");
}
