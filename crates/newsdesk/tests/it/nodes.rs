//! Several real `newsdesk serve` processes on one real PostgreSQL (issue 17): a change on one
//! node reaches the other's page cache, a lease moves to a survivor when its holder is killed,
//! the login throttle counts across nodes, and `/readyz` follows the database's reachability.
//!
//! Needs `NEWSDESK_TEST_DATABASE_URL` (`eval "$(scripts/pg-test-server)"`); each test makes a
//! database of its own with `psql`. Without it the tests are skipped loudly (failed under `CI`).

use std::io::Write as _;
use std::net::TcpListener;
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::time::{Duration, Instant};

use serde_json::{Value, json};

const TOKEN: &str = "metrics-secret";

struct Killed(Child);

impl Drop for Killed {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// A database of the test's own on the test server, dropped at the end.
struct PgDb {
    admin: String,
    name: String,
    url: String,
}

impl PgDb {
    fn new(case: &str) -> Option<PgDb> {
        let admin = match std::env::var("NEWSDESK_TEST_DATABASE_URL") {
            Ok(u) if !u.trim().is_empty() => u,
            _ => {
                assert!(
                    std::env::var("CI").is_err(),
                    "NEWSDESK_TEST_DATABASE_URL is not set, but CI is"
                );
                let _ = writeln!(
                    std::io::stderr(),
                    "SKIPPING nodes::{case}: NEWSDESK_TEST_DATABASE_URL is not set \
                     (eval \"$(scripts/pg-test-server)\")"
                );
                return None;
            }
        };
        let name = format!("newsdesk_nodes_{}_{case}", std::process::id());
        psql(&admin, &format!("CREATE DATABASE \"{name}\""));
        let mut url = url::Url::parse(&admin).unwrap();
        url.set_path(&format!("/{name}"));
        Some(PgDb {
            admin,
            name,
            url: url.to_string(),
        })
    }
}

impl Drop for PgDb {
    fn drop(&mut self) {
        let _ = Command::new("psql")
            .arg(&self.admin)
            .args([
                "-qc",
                &format!("DROP DATABASE IF EXISTS \"{}\" WITH (FORCE)", self.name),
            ])
            .output();
    }
}

fn psql(url: &str, sql: &str) {
    let out = Command::new("psql")
        .arg(url)
        .args(["-v", "ON_ERROR_STOP=1", "-qc", sql])
        .output()
        .expect("psql");
    assert!(
        out.status.success(),
        "{sql}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
}

fn client() -> reqwest::Client {
    let _ = rustls::crypto::ring::default_provider().install_default();
    reqwest::Client::new()
}

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

fn newsdesk(data: &Path, url: &str) -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_newsdesk"));
    c.arg("--data-dir")
        .arg(data)
        .env("NEWSDESK_DATABASE_URL", url)
        .env("NEWSDESK_LOG", "warn,newsdesk_core::nodes=info")
        .env("NEWSDESK_METRICS__TOKEN", TOKEN)
        // High on purpose: only a change notice can make node B show a new article in time.
        .env("NEWSDESK_PAGE_CACHE_SECONDS", "600")
        .stdin(Stdio::null());
    c
}

struct Node {
    base: String,
    child: Killed,
}

async fn start_node(data: &Path, url: &str) -> Node {
    let port = free_port();
    let log = std::fs::File::create(data.with_extension(format!("{port}.log"))).unwrap();
    let child = newsdesk(data, url)
        .args([
            "serve",
            "--no-demo",
            "--listen",
            &format!("127.0.0.1:{port}"),
        ])
        .stdout(Stdio::null())
        .stderr(log)
        .spawn()
        .unwrap();
    let node = Node {
        base: format!("http://127.0.0.1:{port}"),
        child: Killed(child),
    };
    let client = client();
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        if let Ok(r) = client.get(format!("{}/healthz", node.base)).send().await
            && r.status() == 200
        {
            return node;
        }
        assert!(Instant::now() < deadline, "{} did not come up", node.base);
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

fn cli(data: &Path, url: &str, args: &[&str], stdin: &str) -> String {
    let mut child = newsdesk(data, url)
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    child
        .stdin
        .take()
        .unwrap()
        .write_all(stdin.as_bytes())
        .unwrap();
    let out = child.wait_with_output().unwrap();
    assert!(
        out.status.success(),
        "{args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap()
}

async fn nodes_json(data: &Path, url: &str) -> Vec<Value> {
    let out = cli(data, url, &["nodes", "--json"], "");
    serde_json::from_str::<Vec<Value>>(&out).unwrap()
}

/// The sum of a metric's samples in a Prometheus text body.
fn metric(body: &str, name: &str) -> u64 {
    body.lines()
        .filter(|l| l.starts_with(&format!("{name}{{")))
        .filter_map(|l| l.rsplit(' ').next()?.parse::<u64>().ok())
        .sum()
}

async fn leader_of(store: &dyn newsdesk_core::Store, lease: &str) -> Option<String> {
    store.lease_holder(lease, chrono::Utc::now()).await.unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_article_published_on_one_node_is_on_the_others_cached_home_page_within_a_second() {
    let Some(db) = PgDb::new("notify") else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let (da, dbb) = (dir.path().join("a"), dir.path().join("b"));
    cli(
        &da,
        &db.url,
        &["user", "add", "ed@example.org", "--role", "admin"],
        "a long enough password\n",
    );
    let token = cli(&da, &db.url, &["user", "token", "ed@example.org"], "");
    let token = token.trim();
    let a = start_node(&da, &db.url).await;
    let b = start_node(&dbb, &db.url).await;
    let client = client();
    let home_b = || async {
        client
            .get(format!("{}/", b.base))
            .send()
            .await
            .unwrap()
            .text()
            .await
            .unwrap()
    };
    // B renders and caches its home page (twice: the second is a cache hit).
    let before = home_b().await;
    assert!(!before.contains("Harbour ferry returns"), "{before}");
    home_b().await;
    let metrics = client
        .get(format!("{}/metrics", b.base))
        .bearer_auth(TOKEN)
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(
        metric(&metrics, "newsdesk_page_cache_hits_total") >= 1,
        "{metrics}"
    );
    let res = client
        .post(format!("{}/api/v1/articles", a.base))
        .bearer_auth(token)
        .json(&json!({
            "headline": "Harbour ferry returns",
            "body_markdown": "The ferry runs again from Monday, the operator said.",
            "status": "published",
        }))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 201, "{}", res.text().await.unwrap());
    let published = Instant::now();
    loop {
        if home_b().await.contains("Harbour ferry returns") {
            break;
        }
        assert!(
            published.elapsed() < Duration::from_secs(1),
            "node B still serves its cached home page without the article"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let lag = published.elapsed();
    let _ = writeln!(std::io::stderr(), "invalidation lag across nodes: {lag:?}");
    drop(a);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_lease_is_held_by_one_node_and_taken_over_when_it_is_killed() {
    let Some(db) = PgDb::new("lease") else { return };
    let dir = tempfile::tempdir().unwrap();
    let (da, dbb) = (dir.path().join("a"), dir.path().join("b"));
    let mut a = start_node(&da, &db.url).await;
    let b = start_node(&dbb, &db.url).await;
    let store = newsdesk_store::open(&db.url).await.unwrap();
    let a_pid = a.child.0.id();
    let b_pid = b.child.0.id();
    let holder = leader_of(store.as_ref(), "scheduler").await.unwrap();
    assert!(holder.ends_with(&format!("-{a_pid}")), "{holder}");
    assert_eq!(
        leader_of(store.as_ref(), "ingest").await.as_deref(),
        Some(holder.as_str())
    );
    // `newsdesk nodes` lists both, and only A leads.
    let nodes = nodes_json(&da, &db.url).await;
    assert_eq!(nodes.len(), 2, "{nodes:?}");
    for n in &nodes {
        let id = n["id"].as_str().unwrap();
        let leads = n["leads"].as_str().unwrap();
        if id.ends_with(&format!("-{a_pid}")) {
            assert_eq!(leads, "ingest,scheduler");
        } else {
            assert!(id.ends_with(&format!("-{b_pid}")), "{id}");
            assert_eq!(leads, "");
        }
    }
    // kill -9: no lease is released; B takes over once it expires.
    a.child.0.kill().unwrap();
    a.child.0.wait().unwrap();
    let killed = Instant::now();
    loop {
        let h = leader_of(store.as_ref(), "scheduler").await;
        if h.as_deref()
            .is_some_and(|h| h.ends_with(&format!("-{b_pid}")))
        {
            break;
        }
        assert!(
            killed.elapsed() < Duration::from_secs(45),
            "B did not take the lease over: {h:?}"
        );
        tokio::time::sleep(Duration::from_millis(500)).await;
    }
    let waited = killed.elapsed();
    // Not before the dead holder's lease ran out (30 s from its last renewal, every 5 s).
    assert!(waited >= Duration::from_secs(20), "{waited:?}");
    // B's heartbeat says so within one more round.
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        let nodes = nodes_json(&dbb, &db.url).await;
        let b_row = nodes
            .iter()
            .find(|n| n["id"].as_str().unwrap().ends_with(&format!("-{b_pid}")))
            .unwrap();
        if b_row["leads"] == "ingest,scheduler" {
            break;
        }
        assert!(Instant::now() < deadline, "{nodes:?}");
        tokio::time::sleep(Duration::from_millis(500)).await;
    }
    // A clean stop (SIGTERM) gives the leases up at once, for the next node to take.
    let mut b = b;
    let status = Command::new("kill")
        .args(["-TERM", &b_pid.to_string()])
        .status()
        .unwrap();
    assert!(status.success());
    let exited = b.child.0.wait().unwrap();
    assert!(exited.success(), "{exited:?}");
    assert_eq!(leader_of(store.as_ref(), "scheduler").await, None);
    assert_eq!(leader_of(store.as_ref(), "ingest").await, None);
}

/// A TCP forwarder to PostgreSQL that the test can cut (closing every connection and refusing
/// new ones) and restore: the database "stops" without stopping the shared test server.
struct Cut {
    port: u16,
    open: Arc<std::sync::atomic::AtomicBool>,
    generation: Arc<std::sync::atomic::AtomicU64>,
}

impl Cut {
    async fn new(target: std::net::SocketAddr) -> Cut {
        use std::sync::atomic::Ordering;
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let port = listener.local_addr().unwrap().port();
        let open = Arc::new(std::sync::atomic::AtomicBool::new(true));
        let generation = Arc::new(std::sync::atomic::AtomicU64::new(0));
        let (o, g) = (open.clone(), generation.clone());
        tokio::spawn(async move {
            loop {
                let Ok((mut client, _)) = listener.accept().await else {
                    return;
                };
                if !o.load(Ordering::SeqCst) {
                    continue;
                }
                let my_gen = g.load(Ordering::SeqCst);
                let g = g.clone();
                tokio::spawn(async move {
                    let Ok(mut server) = tokio::net::TcpStream::connect(target).await else {
                        return;
                    };
                    let copy = tokio::io::copy_bidirectional(&mut client, &mut server);
                    let cut = async {
                        while g.load(Ordering::SeqCst) == my_gen {
                            tokio::time::sleep(Duration::from_millis(50)).await;
                        }
                    };
                    tokio::select! {
                        _ = copy => {}
                        _ = cut => {}
                    }
                });
            }
        });
        Cut {
            port,
            open,
            generation,
        }
    }

    fn set(&self, up: bool) {
        use std::sync::atomic::Ordering;
        self.open.store(up, Ordering::SeqCst);
        if !up {
            self.generation.fetch_add(1, Ordering::SeqCst);
        }
    }
}

async fn readyz(client: &reqwest::Client, base: &str) -> (u16, String) {
    match client
        .get(format!("{base}/readyz"))
        .timeout(Duration::from_secs(10))
        .send()
        .await
    {
        Ok(r) => (r.status().as_u16(), r.text().await.unwrap_or_default()),
        Err(e) => (0, e.to_string()),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn readyz_fails_while_the_database_is_unreachable_and_recovers() {
    let Some(db) = PgDb::new("readyz") else {
        return;
    };
    let parsed = url::Url::parse(&db.url).unwrap();
    let target = format!(
        "{}:{}",
        parsed.host_str().unwrap(),
        parsed.port().unwrap_or(5432)
    )
    .parse()
    .unwrap();
    let cut = Cut::new(target).await;
    let mut via = parsed.clone();
    via.set_port(Some(cut.port)).unwrap();
    let dir = tempfile::tempdir().unwrap();
    let node = start_node(&dir.path().join("a"), via.as_str()).await;
    let client = client();
    assert_eq!(readyz(&client, &node.base).await, (200, "ready\n".into()));
    // /healthz never asks the store.
    cut.set(false);
    let down = Instant::now();
    loop {
        let (status, body) = readyz(&client, &node.base).await;
        if status == 503 {
            assert!(body.starts_with("store: "), "{body}");
            break;
        }
        assert!(
            down.elapsed() < Duration::from_secs(15),
            "still {status} {body}"
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    let health = client
        .get(format!("{}/healthz", node.base))
        .send()
        .await
        .unwrap();
    assert_eq!(health.status(), 200);
    cut.set(true);
    let up = Instant::now();
    loop {
        let (status, body) = readyz(&client, &node.base).await;
        if status == 200 {
            break;
        }
        assert!(
            up.elapsed() < Duration::from_secs(20),
            "not back: {status} {body}"
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_login_throttle_counts_failures_on_every_node_together() {
    let Some(db) = PgDb::new("throttle") else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let (da, dbb) = (dir.path().join("a"), dir.path().join("b"));
    cli(
        &da,
        &db.url,
        &["user", "add", "ed@example.org"],
        "a long enough password\n",
    );
    let a = start_node(&da, &db.url).await;
    let b = start_node(&dbb, &db.url).await;
    let client = client();
    let attempt = |base: String| {
        let client = client.clone();
        async move {
            client
                .post(format!("{base}/admin/login"))
                .header("content-type", "application/x-www-form-urlencoded")
                .body("email=ed%40example.org&password=not+the+password")
                .send()
                .await
                .unwrap()
                .status()
                .as_u16()
        }
    };
    // The limit is 5 failures per account and network: three on A and two on B use it up,
    // where per-node counting would allow five on each.
    let mut seen = Vec::new();
    for base in [&a.base, &a.base, &a.base, &b.base, &b.base] {
        seen.push(attempt(base.clone()).await);
    }
    assert_eq!(seen, [401; 5]);
    assert_eq!(attempt(a.base.clone()).await, 429);
    assert_eq!(attempt(b.base.clone()).await, 429);
}

fn run_plain(data: &Path, args: &[&str]) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_newsdesk"))
        .arg("--data-dir")
        .arg(data)
        .args(args)
        .env_remove("NEWSDESK_DATABASE_URL")
        .env("NEWSDESK_LOG", "warn")
        .stdin(Stdio::null())
        .output()
        .unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn backup_writes_a_sqlite_copy_and_never_overwrites_or_touches_postgres() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    // A store with one tag in it.
    {
        let store = newsdesk_store::open(&format!(
            "sqlite://{}",
            data.join("newsdesk.sqlite").display()
        ))
        .await
        .unwrap();
        store
            .create_tag(&newsdesk_core::NewTag {
                slug: newsdesk_core::Slug::parse("harbour").unwrap(),
                name: "Harbour".into(),
                description: String::new(),
            })
            .await
            .unwrap();
    }
    let copy = dir.path().join("copy.sqlite");
    let out = run_plain(&data, &["backup", copy.to_str().unwrap()]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let restored = newsdesk_store::open(&format!("sqlite://{}", copy.display()))
        .await
        .unwrap();
    let tags = restored.list_tags().await.unwrap();
    assert_eq!(tags.len(), 1);
    assert_eq!(tags[0].name, "Harbour");

    let out = run_plain(&data, &["backup", copy.to_str().unwrap()]);
    assert!(!out.status.success());
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("already exists"),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );

    let out = run_plain(
        &data,
        &[
            "backup",
            dir.path().join("pg.dump").to_str().unwrap(),
            "--database-url",
            "postgres://news@127.0.0.1:1/newsdesk",
        ],
    );
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("pg_dump"), "{err}");
    assert!(!dir.path().join("pg.dump").exists());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn serve_refuses_a_schema_newer_than_it_knows() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let db = data.join("newsdesk.sqlite");
    let known = {
        let store = newsdesk_store::open(&format!("sqlite://{}", db.display()))
            .await
            .unwrap();
        store.known_schema_version()
    };
    let out = Command::new("sqlite3").arg(&db).arg(
        "INSERT INTO _sqlx_migrations (version, description, success, checksum, execution_time) \
         VALUES (99999, 'from the future', 1, X'00', 0)",
    ).output();
    let Ok(out) = out else {
        let _ = writeln!(std::io::stderr(), "SKIPPING: no sqlite3 command");
        return;
    };
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let out = run_plain(&data, &["serve", "--no-demo", "--listen", "127.0.0.1:0"]);
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains(&format!(
            "the database schema is at version 99999, newer than this newsdesk knows ({known}): upgrade newsdesk"
        )),
        "{err}"
    );
}

/// Every `.eml` file's `To:` address under the outboxes given.
fn outbox_recipients(outboxes: &[&Path]) -> Vec<String> {
    let mut to = Vec::new();
    for dir in outboxes {
        for e in std::fs::read_dir(dir).into_iter().flatten().flatten() {
            if !e.file_name().to_string_lossy().ends_with(".eml") {
                continue;
            }
            let raw = std::fs::read(e.path()).unwrap();
            let m = mail_parser::MessageParser::default().parse(&raw).unwrap();
            to.push(
                m.to()
                    .and_then(|a| a.first())
                    .and_then(|a| a.address())
                    .unwrap_or_default()
                    .to_owned(),
            );
        }
    }
    to.sort();
    to
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn with_two_nodes_running_the_daily_digest_is_made_and_sent_once() {
    use newsdesk_core::newsletter::{IssueKind, SignupResult};
    let Some(db) = PgDb::new("digest") else {
        return;
    };
    let store = newsdesk_store::open(&db.url).await.unwrap();
    let body = "Our own words for a test story.";
    store
        .create_article(&newsdesk_core::NewArticle {
            slug: newsdesk_core::Slug::parse("harbour-wall-gives-way").unwrap(),
            headline: "The harbour wall gives way".into(),
            standfirst: "What happened, in one line.".into(),
            body_markdown: body.into(),
            body_html: newsdesk_core::markdown::render(body),
            status: newsdesk_core::ArticleStatus::Published,
            published_at: Some(chrono::Utc::now() - chrono::Duration::seconds(1)),
            canonical_url: None,
            source: None,
            author_ids: vec![],
            lead_photo_id: None,
            tag_ids: vec![],
            section_id: None,
            important: true,
        })
        .await
        .unwrap();
    let mut addrs = Vec::new();
    for i in 0..20 {
        let addr = format!("reader{i:02}@example.org");
        let email = newsdesk_core::EmailAddress::parse(&addr).unwrap();
        let SignupResult::NeedsConfirmation(s) = store
            .request_subscription(&email, chrono::Utc::now())
            .await
            .unwrap()
        else {
            panic!("{addr}");
        };
        store
            .confirm_subscription(s.id, s.token_gen, chrono::Utc::now())
            .await
            .unwrap();
        addrs.push(addr);
    }
    let dir = tempfile::tempdir().unwrap();
    let (da, dbb) = (dir.path().join("a"), dir.path().join("b"));
    for d in [&da, &dbb] {
        std::fs::create_dir_all(d).unwrap();
        // Past the send hour: the node leading the scheduler makes today's digest at once.
        std::fs::write(
            d.join("newsdesk.toml"),
            "[mail]\nschedule = true\nsend_hour_utc = 0\n",
        )
        .unwrap();
    }
    let _a = start_node(&da, &db.url).await;
    let _b = start_node(&dbb, &db.url).await;
    let outboxes = [da.join("outbox"), dbb.join("outbox")];
    let outboxes: Vec<&Path> = outboxes.iter().map(|p| p.as_path()).collect();
    let deadline = Instant::now() + Duration::from_secs(60);
    while outbox_recipients(&outboxes).len() < addrs.len() {
        assert!(
            Instant::now() < deadline,
            "digest not delivered: {:?}",
            outbox_recipients(&outboxes)
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    // Give a second (wrong) digest every chance to appear.
    tokio::time::sleep(Duration::from_secs(3)).await;
    let daily = store.list_issues(Some(IssueKind::Daily), 10).await.unwrap();
    assert_eq!(daily.len(), 1, "{daily:?}");
    assert_eq!(outbox_recipients(&outboxes), addrs, "one copy per reader");
}

/// A multipart body by hand (reqwest is built without its multipart feature).
fn photo_form(png: &[u8]) -> (String, Vec<u8>) {
    let boundary = "newsdesk-test-boundary";
    let mut body = Vec::new();
    for (name, value) in [
        ("alt", "A red square"),
        ("caption", "Red"),
        ("credit", "Test"),
    ] {
        body.extend_from_slice(
            format!(
                "--{boundary}\r\nContent-Disposition: form-data; name=\"{name}\"\r\n\r\n{value}\r\n"
            )
            .as_bytes(),
        );
    }
    body.extend_from_slice(
        format!(
            "--{boundary}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"r.png\"\r\nContent-Type: image/png\r\n\r\n"
        )
        .as_bytes(),
    );
    body.extend_from_slice(png);
    body.extend_from_slice(format!("\r\n--{boundary}--\r\n").as_bytes());
    (format!("multipart/form-data; boundary={boundary}"), body)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_photo_uploaded_through_node_a_is_served_by_node_b_from_s3() {
    let Some(db) = PgDb::new("media") else {
        return;
    };
    let Some(moto_bin) = std::env::var_os("NEWSDESK_TEST_MOTO") else {
        assert!(
            std::env::var("CI").as_deref() != Ok("true"),
            "NEWSDESK_TEST_MOTO is not set (scripts/test sets it up)"
        );
        eprintln!("SKIPPED: NEWSDESK_TEST_MOTO not set; run scripts/test to get moto_server");
        return;
    };
    let moto_port = free_port();
    let _moto = Killed(
        Command::new(moto_bin)
            .args(["-H", "127.0.0.1", "-p", &moto_port.to_string()])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap(),
    );
    let endpoint = format!("http://127.0.0.1:{moto_port}");
    let http = client();
    let deadline = Instant::now() + Duration::from_secs(30);
    while http.get(&endpoint).send().await.is_err() {
        assert!(Instant::now() < deadline, "moto did not come up");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let res = http.put(format!("{endpoint}/shared")).send().await.unwrap();
    assert!(res.status().is_success());
    let dir = tempfile::tempdir().unwrap();
    let (da, dbb) = (dir.path().join("a"), dir.path().join("b"));
    cli(
        &da,
        &db.url,
        &["user", "add", "ed@example.org", "--role", "admin"],
        "a long enough password\n",
    );
    let token = cli(&da, &db.url, &["user", "token", "ed@example.org"], "");
    let token = token.trim();
    let start = |data: std::path::PathBuf| {
        let endpoint = endpoint.clone();
        let url = db.url.clone();
        async move {
            let port = free_port();
            let child = newsdesk(&data, &url)
                .env("NEWSDESK_MEDIA__URL", "s3://shared/media")
                .env("NEWSDESK_MEDIA__ENDPOINT", &endpoint)
                .env("NEWSDESK_MEDIA__REGION", "us-east-1")
                .env("NEWSDESK_MEDIA__ACCESS_KEY_ID", "testing")
                .env("NEWSDESK_MEDIA__SECRET_ACCESS_KEY", "testing")
                .env("NEWSDESK_MEDIA__ALLOW_HTTP", "true")
                .args([
                    "serve",
                    "--no-demo",
                    "--listen",
                    &format!("127.0.0.1:{port}"),
                ])
                .stdout(Stdio::null())
                .stderr(Stdio::null())
                .spawn()
                .unwrap();
            let node = Node {
                base: format!("http://127.0.0.1:{port}"),
                child: Killed(child),
            };
            let deadline = Instant::now() + Duration::from_secs(60);
            loop {
                if let Ok(r) = client().get(format!("{}/healthz", node.base)).send().await
                    && r.status() == 200
                {
                    return node;
                }
                assert!(Instant::now() < deadline, "{} did not come up", node.base);
                tokio::time::sleep(Duration::from_millis(100)).await;
            }
        }
    };
    let a = start(da.clone()).await;
    let b = start(dbb.clone()).await;
    let mut png = std::io::Cursor::new(Vec::new());
    image::DynamicImage::ImageRgb8(image::RgbImage::from_pixel(
        1200,
        800,
        image::Rgb([200, 20, 20]),
    ))
    .write_to(&mut png, image::ImageFormat::Png)
    .unwrap();
    let (ct, body) = photo_form(png.get_ref());
    let res = http
        .post(format!("{}/api/v1/photos", a.base))
        .bearer_auth(token)
        .header("content-type", ct)
        .body(body)
        .send()
        .await
        .unwrap();
    assert_eq!(
        res.status(),
        201,
        "{}",
        res.text().await.unwrap_or_default()
    );
    let out: Value = res.json().await.unwrap();
    let url = out["url"].as_str().unwrap();
    let path = url.strip_prefix(&a.base).unwrap_or(url).to_owned();
    let from_a = http.get(format!("{}{path}", a.base)).send().await.unwrap();
    assert_eq!(from_a.status(), 200);
    let bytes_a = from_a.bytes().await.unwrap();
    let from_b = http.get(format!("{}{path}", b.base)).send().await.unwrap();
    assert_eq!(from_b.status(), 200, "node B serves node A's upload");
    assert_eq!(from_b.headers()["content-type"], "image/png");
    assert_eq!(from_b.bytes().await.unwrap(), bytes_a, "the same bytes");
    // Neither node kept the photo in its own data directory.
    assert!(std::fs::read_dir(da.join("uploads")).map_or(true, |mut d| d.next().is_none()));
    // A rendition too.
    let srcset = out["srcset"].as_str().unwrap();
    let first = srcset.split_whitespace().next().unwrap();
    let r = http.get(format!("{}{first}", b.base)).send().await.unwrap();
    assert_eq!(r.status(), 200, "{first}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_nodes_on_one_postgresql_each_find_a_new_article_in_their_own_index() {
    let Some(db) = PgDb::new("search_nodes") else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let (da, dbb) = (dir.path().join("a"), dir.path().join("b"));
    cli(
        &da,
        &db.url,
        &["user", "add", "ed@example.org", "--role", "admin"],
        "a long enough password\n",
    );
    let token = cli(&da, &db.url, &["user", "token", "ed@example.org"], "");
    let token = token.trim();
    let a = start_node(&da, &db.url).await;
    let b = start_node(&dbb, &db.url).await;
    let client = client();
    // Let both finish building their (empty) indexes.
    tokio::time::sleep(Duration::from_millis(500)).await;
    let res = client
        .post(format!("{}/api/v1/articles", a.base))
        .bearer_auth(token)
        .json(&json!({
            "headline": "Lighthouse keeper retires",
            "body_markdown": "The lighthouse keeper hands over the lamp after forty winters.",
            "status": "published",
        }))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 201, "{}", res.text().await.unwrap());
    let published = Instant::now();
    for node in [&a, &b] {
        loop {
            let body = client
                .get(format!("{}/search?q=lighthouse", node.base))
                .send()
                .await
                .unwrap()
                .text()
                .await
                .unwrap();
            if body.contains("Lighthouse keeper retires") {
                break;
            }
            assert!(
                published.elapsed() < Duration::from_secs(1),
                "{} does not find the article a second after it was published: {body}",
                node.base
            );
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }
    // Each node keeps its own index in its own data directory.
    assert!(da.join("search").join("meta.json").exists());
    assert!(dbb.join("search").join("meta.json").exists());
}
