//! `kill -9` during `newsdesk ingest --once`, then a rerun: every item is stored once and every
//! story cluster's article is published exactly once.
//!
//! The real binary runs against a slow feed-and-page server on loopback (plain std threads, so
//! the test needs no runtime of its own for serving).

use std::io::{BufRead as _, BufReader, Write as _};
use std::net::{TcpListener, TcpStream};
use std::process::{Command, Stdio};
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use newsdesk_core::Store;
use newsdesk_core::ingest::ItemState;

const AGENCIES: [&str; 3] = ["Northwind Wire", "Harbour Press", "Valley Courier"];
const STORIES: usize = 10;
const PAGE_DELAY: Duration = Duration::from_millis(250);

/// The body of story `n`: the same wire copy for every agency, plus one sentence of its own.
fn story_page(n: usize, agency: &str) -> String {
    let mut paras = Vec::new();
    for p in 0..4u64 {
        let words = newsdesk_demo::filler_words((n as u64) << 8 | p, 40);
        paras.push(format!("<p>Story {n}, part {p}: {words}.</p>"));
    }
    paras.push(format!("<p>This report was filed by {agency} staff.</p>"));
    format!(
        "<!doctype html><html><head><title>Story {n}</title><meta property=\"og:type\" content=\"article\"></head>\
         <body><nav><a href=\"/\">Home</a></nav><main><article><h1>Story number {n}</h1>{}</article></main></body></html>",
        paras.join("\n")
    )
}

fn feed(base: &str, agency_index: usize) -> String {
    let agency = AGENCIES[agency_index];
    let items: String = (0..STORIES)
        .map(|n| {
            format!(
                "<item><title>Story {n}</title><link>{base}/a{agency_index}/s{n}</link><guid>a{agency_index}-s{n}</guid></item>"
            )
        })
        .collect();
    format!(
        "<?xml version=\"1.0\"?><rss version=\"2.0\"><channel><title>{agency}</title><link>{base}/</link><description>d</description>{items}</channel></rss>"
    )
}

fn serve(listener: TcpListener, base: String, page_hits: Arc<AtomicUsize>) {
    for stream in listener.incoming().flatten() {
        let base = base.clone();
        let hits = page_hits.clone();
        std::thread::spawn(move || handle(stream, &base, &hits));
    }
}

fn handle(mut stream: TcpStream, base: &str, hits: &AtomicUsize) {
    let mut reader = BufReader::new(match stream.try_clone() {
        Ok(s) => s,
        Err(_) => return,
    });
    let mut line = String::new();
    if reader.read_line(&mut line).is_err() {
        return;
    }
    // Drain the headers.
    loop {
        let mut h = String::new();
        if reader.read_line(&mut h).map(|n| n == 0).unwrap_or(true) || h == "\r\n" {
            break;
        }
    }
    let path = line.split_whitespace().nth(1).unwrap_or("/").to_owned();
    let parts: Vec<&str> = path.trim_start_matches('/').split('/').collect();
    let (status, ctype, body) = match parts.as_slice() {
        ["feed", i] => match i.parse::<usize>() {
            Ok(i) if i < AGENCIES.len() => ("200 OK", "application/rss+xml", feed(base, i)),
            _ => ("404 Not Found", "text/plain", String::new()),
        },
        [a, s] if a.starts_with('a') && s.starts_with('s') => {
            hits.fetch_add(1, Ordering::SeqCst);
            std::thread::sleep(PAGE_DELAY);
            let agency = a[1..].parse::<usize>().ok().and_then(|i| AGENCIES.get(i));
            match (agency, s[1..].parse::<usize>()) {
                (Some(agency), Ok(n)) => {
                    ("200 OK", "text/html; charset=utf-8", story_page(n, agency))
                }
                _ => ("404 Not Found", "text/plain", String::new()),
            }
        }
        _ => ("404 Not Found", "text/plain", String::new()),
    };
    let _ = write!(
        stream,
        "HTTP/1.1 {status}\r\nContent-Type: {ctype}\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    );
}

fn newsdesk(data: &std::path::Path) -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_newsdesk"));
    c.arg("--data-dir")
        .arg(data)
        .env("NEWSDESK_FETCH_ALLOW_PRIVATE", "true")
        // Short leases so that the rerun may take back what the killed process held.
        .env("NEWSDESK_INGEST__LEASE_SECONDS", "2")
        .env("NEWSDESK_LOG", "warn")
        .stdin(Stdio::null());
    c
}

async fn open(data: &std::path::Path) -> Arc<dyn Store> {
    newsdesk_store::open(&format!(
        "sqlite://{}",
        data.join("newsdesk.sqlite").display()
    ))
    .await
    .expect("open store")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn kill_9_mid_pass_then_rerun_loses_nothing_and_publishes_each_cluster_once() {
    let dir = tempfile::tempdir().expect("temp dir");
    let data = dir.path().join("data");
    let listener = TcpListener::bind("127.0.0.1:0").expect("bind");
    let base = format!("http://{}", listener.local_addr().expect("addr"));
    let hits = Arc::new(AtomicUsize::new(0));
    {
        let (base, hits) = (base.clone(), hits.clone());
        std::thread::spawn(move || serve(listener, base, hits));
    }
    for i in 0..AGENCIES.len() {
        let out = newsdesk(&data)
            .args([
                "sources",
                "add",
                &format!("{base}/feed/{i}"),
                "--auto-publish",
            ])
            .output()
            .expect("run newsdesk sources add");
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
    }

    let mut child = newsdesk(&data)
        .args(["ingest", "--once"])
        .stdout(Stdio::null())
        .spawn()
        .expect("spawn ingest");
    let started = Instant::now();
    while hits.load(Ordering::SeqCst) < 8 {
        assert!(
            started.elapsed() < Duration::from_secs(60),
            "ingest never fetched pages"
        );
        assert!(
            child.try_wait().expect("wait").is_none(),
            "ingest ended before the kill"
        );
        std::thread::sleep(Duration::from_millis(20));
    }
    child.kill().expect("SIGKILL"); // std's kill is SIGKILL on Unix
    child.wait().expect("reap");

    let store = open(&data).await;
    let counts = store.ingest_counts().await.expect("counts");
    let total = (AGENCIES.len() * STORIES) as u64;
    assert!(
        counts.clustered < total,
        "the kill must land mid-pass: {counts:?}"
    );
    assert_eq!(counts.queued + counts.clustered, total, "{counts:?}");
    drop(store);

    // Leases of the killed process run out, then the rerun finishes the work.
    std::thread::sleep(Duration::from_millis(2500));
    let out = newsdesk(&data)
        .args(["ingest", "--once"])
        .output()
        .expect("rerun ingest");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );

    let store = open(&data).await;
    let items = store.list_items(None, 1000).await.expect("items");
    assert_eq!(items.len() as u64, total, "every item stored once");
    let mut guids: Vec<&str> = items.iter().map(|i| i.guid.as_str()).collect();
    guids.sort();
    guids.dedup();
    assert_eq!(guids.len() as u64, total);
    assert!(
        items.iter().all(|i| i.state == ItemState::Clustered),
        "{items:?}"
    );
    let counts = store.ingest_counts().await.expect("counts");
    assert_eq!(counts.clusters, STORIES as u64, "{counts:?}");
    assert_eq!(store.count_articles().await.expect("count"), STORIES as u64);
    let articles = store
        .list_articles(&newsdesk_core::ArticleQuery {
            limit: 100,
            ..newsdesk_core::ArticleQuery::visible_at(chrono::Utc::now())
        })
        .await
        .expect("articles")
        .items;
    assert_eq!(articles.len(), STORIES);
    for a in &articles {
        let members = store
            .cluster_members_for_article(a.id)
            .await
            .expect("members");
        assert_eq!(members.len(), AGENCIES.len(), "{}: {members:?}", a.headline);
        assert!(a.important, "carried by three agencies");
    }
}
