//! End to end in a real headless Chromium: the real `newsdesk` binary serving a fresh data
//! directory, Debian's chromedriver driven over WebDriver (plain HTTP + JSON, W3C protocol).
//! An admin logs in, uploads a photo, writes and publishes an article with it, sees it on the
//! public site, and logs out. Screenshots go to `target/e2e-artifacts/`.
//!
//! Needs `chromium` and `chromium-driver` (scripts/test installs them). Without them the test
//! is skipped loudly, or fails when `CI` is set.

#![allow(clippy::unwrap_used)]

use std::io::Write as _;
use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use serde_json::{Value, json};

const PASSWORD: &str = "e2e password long enough";

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

fn find(bin: &[&str]) -> Option<PathBuf> {
    bin.iter().map(PathBuf::from).find(|p| p.exists())
}

fn artifacts_dir() -> PathBuf {
    // CARGO_TARGET_DIR when set, else the workspace's target/.
    let target = std::env::var_os("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| Path::new(env!("CARGO_MANIFEST_DIR")).join("../../target"));
    let dir = target.join("e2e-artifacts");
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

async fn wait_http(client: &reqwest::Client, url: &str) {
    let deadline = Instant::now() + Duration::from_secs(30);
    while Instant::now() < deadline {
        if client.get(url).send().await.is_ok() {
            return;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("{url} did not come up");
}

/// A minimal W3C WebDriver client.
struct Driver {
    http: reqwest::Client,
    base: String,
}

impl Driver {
    async fn call(&self, method: reqwest::Method, path: &str, body: Value) -> Value {
        let req = self
            .http
            .request(method.clone(), format!("{}{path}", self.base));
        let req = if method == reqwest::Method::GET {
            req
        } else {
            req.json(&body)
        };
        let res = req.send().await.unwrap();
        let status = res.status();
        let v: Value = res.json().await.unwrap();
        assert!(status.is_success(), "{method} {path}: {status} {v}");
        v["value"].clone()
    }

    async fn goto(&self, url: &str) {
        self.call(reqwest::Method::POST, "/url", json!({ "url": url }))
            .await;
    }

    async fn find(&self, css: &str) -> String {
        let v = self
            .call(
                reqwest::Method::POST,
                "/element",
                json!({ "using": "css selector", "value": css }),
            )
            .await;
        v.as_object()
            .and_then(|o| o.values().next())
            .and_then(Value::as_str)
            .unwrap_or_else(|| panic!("no element {css}"))
            .to_owned()
    }

    async fn type_into(&self, css: &str, text: &str) {
        let el = self.find(css).await;
        self.call(
            reqwest::Method::POST,
            &format!("/element/{el}/value"),
            json!({ "text": text }),
        )
        .await;
    }

    async fn click(&self, css: &str) {
        let el = self.find(css).await;
        self.call(
            reqwest::Method::POST,
            &format!("/element/{el}/click"),
            json!({}),
        )
        .await;
    }

    async fn title(&self) -> String {
        self.call(reqwest::Method::GET, "/title", Value::Null)
            .await
            .as_str()
            .unwrap_or_default()
            .to_owned()
    }

    async fn url(&self) -> String {
        self.call(reqwest::Method::GET, "/url", Value::Null)
            .await
            .as_str()
            .unwrap_or_default()
            .to_owned()
    }

    async fn source(&self) -> String {
        self.call(reqwest::Method::GET, "/source", Value::Null)
            .await
            .as_str()
            .unwrap_or_default()
            .to_owned()
    }

    /// The page source once it contains `needle` (a form post may still be loading).
    async fn wait_for(&self, needle: &str) -> String {
        let deadline = Instant::now() + Duration::from_secs(15);
        loop {
            let src = self.source().await;
            if src.contains(needle) {
                return src;
            }
            if Instant::now() > deadline {
                self.screenshot("failure").await;
                panic!("page never showed {needle:?}: {src}");
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }

    /// The current URL once it ends with `suffix`.
    async fn wait_url(&self, suffix: &str) {
        let deadline = Instant::now() + Duration::from_secs(15);
        loop {
            let url = self.url().await;
            if url.ends_with(suffix) {
                return;
            }
            assert!(
                Instant::now() < deadline,
                "URL stayed {url}, expected …{suffix}"
            );
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }

    async fn screenshot(&self, name: &str) {
        use base64::Engine as _;
        let v = self
            .call(reqwest::Method::GET, "/screenshot", Value::Null)
            .await;
        let png = base64::engine::general_purpose::STANDARD
            .decode(v.as_str().unwrap())
            .unwrap();
        std::fs::write(artifacts_dir().join(format!("{name}.png")), png).unwrap();
    }
}

fn sample_png(path: &Path) {
    let img = image::RgbImage::from_fn(1600, 900, |x, y| {
        let sky = y < 540;
        if sky {
            image::Rgb([40 + (y / 6) as u8, 90 + (y / 8) as u8, 160])
        } else {
            image::Rgb([20, 60 + (x % 80) as u8, 90])
        }
    });
    image::DynamicImage::ImageRgb8(img).save(path).unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn admin_writes_and_publishes_an_article_with_a_photo_in_chromium() {
    let (Some(chromium), Some(chromedriver)) = (
        find(&["/usr/bin/chromium", "/usr/bin/chromium-browser"]),
        find(&["/usr/bin/chromedriver", "/usr/lib/chromium/chromedriver"]),
    ) else {
        if std::env::var_os("CI").is_some() {
            panic!(
                "chromium and chromium-driver are required in CI (apt-get install chromium chromium-driver)"
            );
        }
        eprintln!(
            "SKIPPED e2e: chromium or chromedriver missing (apt-get install chromium chromium-driver)"
        );
        return;
    };
    let _ = rustls::crypto::ring::default_provider().install_default();
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let bin = env!("CARGO_BIN_EXE_newsdesk");

    // The first admin, with the password on stdin (never argv).
    let mut add = Command::new(bin)
        .args(["--data-dir"])
        .arg(&data)
        .args([
            "user",
            "add",
            "--role",
            "admin",
            "--name",
            "Edda Admin",
            "edda@example.org",
        ])
        .stdin(Stdio::piped())
        .stdout(Stdio::null())
        .spawn()
        .unwrap();
    writeln!(add.stdin.take().unwrap(), "{PASSWORD}").unwrap();
    assert!(add.wait().unwrap().success());

    let port = free_port();
    let base = format!("http://127.0.0.1:{port}");
    let _server = Killed(
        Command::new(bin)
            .arg("--data-dir")
            .arg(&data)
            .args([
                "serve",
                "--no-demo",
                "--listen",
                &format!("127.0.0.1:{port}"),
            ])
            .env("NEWSDESK_SITE__BASE_URL", &base)
            .env("NEWSDESK_PAGE_CACHE_SECONDS", "0")
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap(),
    );
    let dport = free_port();
    let _driver = Killed(
        Command::new(&chromedriver)
            .arg(format!("--port={dport}"))
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap(),
    );
    let http = reqwest::Client::new();
    wait_http(&http, &format!("{base}/")).await;
    wait_http(&http, &format!("http://127.0.0.1:{dport}/status")).await;

    let profile = dir.path().join("chromium-profile");
    let session: Value = http
        .post(format!("http://127.0.0.1:{dport}/session"))
        .json(&json!({"capabilities": {"alwaysMatch": {
            "browserName": "chrome",
            "goog:chromeOptions": {
                "binary": chromium,
                "args": ["--headless", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                    "--disable-quic", "--no-first-run", "--disable-background-networking",
                    "--disable-component-update", "--disable-sync", "--window-size=1280,1000",
                    format!("--user-data-dir={}", profile.display())]
            }
        }}}))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let sid = session["value"]["sessionId"]
        .as_str()
        .unwrap_or_else(|| panic!("no WebDriver session: {session}"))
        .to_owned();
    let d = Driver {
        http: http.clone(),
        base: format!("http://127.0.0.1:{dport}/session/{sid}"),
    };

    // Log in.
    d.goto(&format!("{base}/admin")).await;
    assert!(d.url().await.ends_with("/admin/login"));
    d.screenshot("01-login").await;
    d.type_into("#email", "edda@example.org").await;
    d.type_into("#password", PASSWORD).await;
    d.click("form button[type=submit]").await;
    d.wait_url("/admin").await;

    // A tag and an author profile to write under.
    d.goto(&format!("{base}/admin/tags")).await;
    d.type_into("#name", "Harbour").await;
    d.click("form.narrow button[type=submit]").await;
    d.wait_for("/tags/harbour").await;

    // Upload a photo through the file input.
    let png = dir.path().join("harbour-dawn.png");
    sample_png(&png);
    d.goto(&format!("{base}/admin/photos")).await;
    d.type_into("#file", png.to_str().unwrap()).await;
    d.type_into("#alt", "Boats moored in the harbour at dawn")
        .await;
    d.type_into("#caption", "The harbour at dawn").await;
    d.type_into("#credit", "Newsdesk end-to-end test").await;
    d.click("form.upload button[type=submit]").await;
    d.wait_for("The harbour at dawn").await;
    d.screenshot("02-photos").await;

    // Write, preview and publish.
    d.goto(&format!("{base}/admin/articles/new")).await;
    d.type_into("#headline", "Night ferry returns to the harbour")
        .await;
    d.type_into(
        "#standfirst",
        "The overnight crossing runs again from Friday.",
    )
    .await;
    d.type_into(
        "#body_markdown",
        "The night ferry sails again from Friday after a winter refit.\n\n> We missed the late boats.\n>\n> — Ola Berg, harbour master\n",
    )
    .await;
    d.click("input[name=tag]").await;
    d.click("#section option:nth-child(2)").await;
    // The picker shows thumbnails; the photo just uploaded is the first after "None".
    d.click(".photo-choice input[name=lead_photo_id]").await;
    d.click("button[value=preview]").await;
    let preview = d.wait_for("class=\"preview\"").await;
    assert!(
        preview.contains("Ola Berg</cite>"),
        "quote rendered server-side"
    );
    d.screenshot("03-editor-preview").await;
    d.click("#publish").await;
    d.wait_for("status-published").await;
    d.screenshot("04-published").await;

    // The public site shows it, with the photo.
    d.goto(&format!(
        "{base}/articles/night-ferry-returns-to-the-harbour"
    ))
    .await;
    assert!(
        d.title()
            .await
            .contains("Night ferry returns to the harbour")
    );
    let page = d.source().await;
    assert!(page.contains("The harbour at dawn"), "caption on the page");
    assert!(page.contains("/uploads/"), "photo on the page");
    assert!(
        page.contains("480w") && page.contains("1600w"),
        "srcset of the sizes"
    );
    d.screenshot("05-public-article").await;

    // Log out: the admin asks for a login again.
    d.goto(&format!("{base}/admin")).await;
    d.click(".logout button").await;
    d.wait_url("/admin/login").await;
    d.goto(&format!("{base}/admin")).await;
    assert!(d.url().await.ends_with("/admin/login"));
    d.screenshot("06-logged-out").await;

    let _ = http
        .delete(format!("http://127.0.0.1:{dport}/session/{sid}"))
        .send()
        .await;
}
