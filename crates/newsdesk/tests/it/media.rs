//! The media store through the real binary: a wrong S3 endpoint stops `serve` at start with a
//! clear message; `media migrate` copies the data directory to a real S3 server (moto, from
//! `NEWSDESK_TEST_MOTO`) and a node on that store serves the same bytes.

use std::net::TcpListener;
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

struct Killed(Child);

impl Drop for Killed {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

fn client() -> reqwest::Client {
    let _ = rustls::crypto::ring::default_provider().install_default();
    reqwest::Client::new()
}

fn newsdesk(data: &Path) -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_newsdesk"));
    c.arg("--data-dir")
        .arg(data)
        .env_remove("NEWSDESK_DATABASE_URL")
        .env("NEWSDESK_LOG", "warn")
        .stdin(Stdio::null());
    c
}

fn s3_env(c: &mut Command, endpoint: &str, url: Option<&str>) {
    c.env("NEWSDESK_MEDIA__ENDPOINT", endpoint)
        .env("NEWSDESK_MEDIA__REGION", "us-east-1")
        .env("NEWSDESK_MEDIA__ACCESS_KEY_ID", "testing")
        .env("NEWSDESK_MEDIA__SECRET_ACCESS_KEY", "testing")
        .env("NEWSDESK_MEDIA__ALLOW_HTTP", "true");
    if let Some(u) = url {
        c.env("NEWSDESK_MEDIA__URL", u);
    }
}

async fn serve(mut c: Command) -> (String, Killed) {
    let port = free_port();
    let child = c
        .args(["serve", "--listen", &format!("127.0.0.1:{port}")])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let child = Killed(child);
    let base = format!("http://127.0.0.1:{port}");
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        if let Ok(r) = client().get(format!("{base}/healthz")).send().await
            && r.status() == 200
        {
            return (base, child);
        }
        assert!(Instant::now() < deadline, "{base} did not come up");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

#[test]
fn serve_with_an_unreachable_s3_endpoint_fails_at_start_with_a_clear_message() {
    let dir = tempfile::tempdir().unwrap();
    let mut c = newsdesk(dir.path());
    // Nothing listens on port 9 of loopback.
    s3_env(&mut c, "http://127.0.0.1:9", Some("s3://news/media"));
    let started = Instant::now();
    let out = c
        .args(["serve", "--listen", "127.0.0.1:0"])
        .output()
        .unwrap();
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("media store s3://news/media at http://127.0.0.1:9 cannot be used"),
        "{err}"
    );
    assert!(err.contains("media.endpoint"), "{err}");
    assert!(started.elapsed() < Duration::from_secs(40), "fails fast");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn media_migrate_copies_the_data_directory_to_s3_and_a_node_serves_it_from_there() {
    let Some(bin) = std::env::var_os("NEWSDESK_TEST_MOTO") else {
        assert!(
            std::env::var("CI").as_deref() != Ok("true"),
            "NEWSDESK_TEST_MOTO is not set (scripts/test sets it up)"
        );
        eprintln!("SKIPPED: NEWSDESK_TEST_MOTO not set; run scripts/test to get moto_server");
        return;
    };
    let port = free_port();
    let _moto = Killed(
        Command::new(bin)
            .args(["-H", "127.0.0.1", "-p", &port.to_string()])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap(),
    );
    let endpoint = format!("http://127.0.0.1:{port}");
    let deadline = Instant::now() + Duration::from_secs(30);
    while client().get(&endpoint).send().await.is_err() {
        assert!(Instant::now() < deadline, "moto did not come up");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let res = client()
        .put(format!("{endpoint}/photos"))
        .send()
        .await
        .unwrap();
    assert!(res.status().is_success());

    // A first node on the data directory loads the demo and its photos there.
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let (_base, node) = serve(newsdesk(&data)).await;
    drop(node);
    let demo_dir = data.join("uploads/demo");
    let name = std::fs::read_dir(&demo_dir)
        .unwrap()
        .filter_map(|e| e.ok())
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .find(|n| n.ends_with(".svg"))
        .expect("a demo photo");
    let original = std::fs::read(demo_dir.join(&name)).unwrap();

    let migrate = |expect: &str| {
        let mut c = newsdesk(&data);
        s3_env(&mut c, &endpoint, None);
        let out = c
            .args(["media", "migrate", "--to", "s3://photos/site"])
            .output()
            .unwrap();
        let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
        assert!(
            out.status.success(),
            "{stdout}{}",
            String::from_utf8_lossy(&out.stderr)
        );
        assert!(stdout.contains(expect), "{stdout}");
        stdout
    };
    let first = migrate(" copied");
    assert!(!first.contains(": 0 copied"), "{first}");
    let again = migrate(": 0 copied");
    assert!(!again.contains(" 0 already there"), "{again}");

    // The local files are gone: only S3 can answer now.
    std::fs::remove_dir_all(data.join("uploads")).unwrap();
    let mut c = newsdesk(&data);
    s3_env(&mut c, &endpoint, Some("s3://photos/site"));
    let (base, _node) = serve(c).await;
    let res = client()
        .get(format!("{base}/uploads/demo/{name}"))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    assert_eq!(res.headers()["content-type"], "image/svg+xml");
    assert!(
        res.headers()["cache-control"]
            .to_str()
            .unwrap()
            .contains("max-age=31536000")
    );
    let etag = res.headers()["etag"].to_str().unwrap().to_owned();
    assert_eq!(res.bytes().await.unwrap().to_vec(), original);
    let again = client()
        .get(format!("{base}/uploads/demo/{name}"))
        .header("if-none-match", &etag)
        .send()
        .await
        .unwrap();
    assert_eq!(again.status(), 304);
}
