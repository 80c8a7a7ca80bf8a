//! A scriptable HTTP server on 127.0.0.1:0 (axum) serving feeds and pages of our own writing,
//! a fresh SQLite store per test, and a pipeline that may fetch from loopback.

#![allow(dead_code)]

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::body::Body;
use axum::extract::{Request, State};
use axum::http::{HeaderMap, HeaderName, HeaderValue, StatusCode};
use axum::response::Response;
use newsdesk_core::Store;
use newsdesk_ingest::{FetchOptions, Fetcher, IngestOptions, Pipeline};
use newsdesk_store::SqliteStore;

/// What the server answers on one path.
#[derive(Clone)]
pub enum Reply {
    Ok {
        content_type: String,
        body: Vec<u8>,
        headers: Vec<(String, String)>,
    },
    Status(u16),
    Redirect {
        status: u16,
        to: String,
    },
    /// Waits, then answers.
    Slow(Duration, Box<Reply>),
    /// An endless body generated on the fly; the server counts what it sent.
    Endless,
    /// Answers 304 when If-None-Match matches the ETag, else the body.
    WithEtag {
        etag: String,
        reply: Box<Reply>,
    },
}

impl Reply {
    pub fn ok(content_type: &str, body: impl Into<Vec<u8>>) -> Reply {
        Reply::Ok {
            content_type: content_type.into(),
            body: body.into(),
            headers: Vec::new(),
        }
    }
    pub fn html(body: impl Into<Vec<u8>>) -> Reply {
        Reply::ok("text/html; charset=utf-8", body)
    }
}

#[derive(Default)]
pub struct ServerState {
    routes: Mutex<HashMap<String, Reply>>,
    /// (path, request headers), in order.
    pub requests: Mutex<Vec<(String, HeaderMap)>>,
    pub endless_bytes_sent: AtomicU64,
}

#[derive(Clone)]
pub struct TestServer {
    pub base: String,
    pub state: Arc<ServerState>,
}

impl TestServer {
    pub async fn start() -> TestServer {
        let state = Arc::new(ServerState::default());
        let app = axum::Router::new()
            .fallback(handle)
            .with_state(state.clone());
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind");
        let addr = listener.local_addr().expect("addr");
        tokio::spawn(async move {
            let _ = axum::serve(listener, app).await;
        });
        TestServer {
            base: format!("http://{addr}"),
            state,
        }
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{}", self.base, path)
    }

    pub fn route(&self, path: &str, reply: Reply) {
        self.state
            .routes
            .lock()
            .expect("routes")
            .insert(path.to_owned(), reply);
    }

    /// Request headers of every request to `path`.
    pub fn requests_to(&self, path: &str) -> Vec<HeaderMap> {
        self.state
            .requests
            .lock()
            .expect("requests")
            .iter()
            .filter(|(p, _)| p == path)
            .map(|(_, h)| h.clone())
            .collect()
    }
}

async fn handle(State(state): State<Arc<ServerState>>, req: Request) -> Response {
    let path = req
        .uri()
        .path_and_query()
        .map(|p| p.as_str().to_owned())
        .unwrap_or_default();
    let headers = req.headers().clone();
    state
        .requests
        .lock()
        .expect("requests")
        .push((path.clone(), headers.clone()));
    let reply = state.routes.lock().expect("routes").get(&path).cloned();
    match reply {
        Some(r) => respond(r, &headers, &state).await,
        None => status(404),
    }
}

fn status(code: u16) -> Response {
    let mut r = Response::new(Body::from(format!("status {code}")));
    *r.status_mut() = StatusCode::from_u16(code).expect("status");
    r
}

fn respond<'a>(
    reply: Reply,
    req: &'a HeaderMap,
    state: &'a Arc<ServerState>,
) -> std::pin::Pin<Box<dyn std::future::Future<Output = Response> + Send + 'a>> {
    Box::pin(async move {
        match reply {
            Reply::Ok {
                content_type,
                body,
                headers,
            } => {
                let mut r = Response::new(Body::from(body));
                r.headers_mut().insert(
                    "content-type",
                    HeaderValue::from_str(&content_type).expect("content type"),
                );
                for (k, v) in headers {
                    r.headers_mut().insert(
                        HeaderName::from_bytes(k.as_bytes()).expect("name"),
                        HeaderValue::from_str(&v).expect("value"),
                    );
                }
                r
            }
            Reply::Status(code) => status(code),
            Reply::Redirect { status: code, to } => {
                let mut r = status(code);
                r.headers_mut()
                    .insert("location", HeaderValue::from_str(&to).expect("location"));
                r
            }
            Reply::Slow(delay, then) => {
                tokio::time::sleep(delay).await;
                respond(*then, req, state).await
            }
            Reply::Endless => {
                let state = state.clone();
                let chunk = bytes::Bytes::from(vec![b'a'; 64 * 1024]);
                // 100 MB if read to the end; generated lazily, counted as it goes.
                let stream = futures::stream::iter(0..1600).map(move |_| {
                    state
                        .endless_bytes_sent
                        .fetch_add(chunk.len() as u64, Ordering::Relaxed);
                    Ok::<_, std::io::Error>(chunk.clone())
                });
                let mut r = Response::new(Body::from_stream(stream));
                r.headers_mut()
                    .insert("content-type", HeaderValue::from_static("text/html"));
                r
            }
            Reply::WithEtag { etag, reply } => {
                let matches = req
                    .get("if-none-match")
                    .and_then(|v| v.to_str().ok())
                    .is_some_and(|v| v == etag);
                if matches {
                    return status(304);
                }
                let mut r = respond(*reply, req, state).await;
                r.headers_mut()
                    .insert("etag", HeaderValue::from_str(&etag).expect("etag"));
                r
            }
        }
    })
}

use futures::StreamExt as _;

pub struct TestStore {
    pub store: Arc<dyn Store>,
    pub sqlite: SqliteStore,
    _dir: tempfile::TempDir,
}

impl TestStore {
    pub async fn new() -> TestStore {
        let dir = tempfile::tempdir().expect("temp dir");
        let sqlite = SqliteStore::open_file(&dir.path().join("t.sqlite"))
            .await
            .expect("open store");
        TestStore {
            store: Arc::new(sqlite.clone()),
            sqlite,
            _dir: dir,
        }
    }

    /// Makes every source due now (tests do not wait for intervals).
    pub async fn make_sources_due(&self) {
        sqlx_exec(&self.sqlite, "UPDATE ingest_sources SET next_poll_at = 0").await;
    }

    /// Makes every queued item due now and drops leases (as if time had passed).
    pub async fn make_items_due(&self) {
        sqlx_exec(
            &self.sqlite,
            "UPDATE ingest_items SET next_attempt_at = 0, lease_until = NULL WHERE state = 'queued'",
        )
        .await;
    }
}

/// Test back door: runs SQL on the store's writer connection.
pub async fn sqlx_exec(store: &SqliteStore, sql: &'static str) {
    sqlx::query(sql)
        .execute(store.writer_pool())
        .await
        .expect("test SQL");
}

pub fn fetch_options() -> FetchOptions {
    FetchOptions {
        // Loopback is where the test server lives: allowed explicitly.
        allow_private: true,
        max_bytes: 1024 * 1024,
        timeout: Duration::from_secs(3),
        connect_timeout: Duration::from_secs(2),
        max_redirects: 5,
        user_agent: FetchOptions::default_user_agent("http://news.test"),
    }
}

pub fn pipeline(store: &TestStore) -> Pipeline {
    pipeline_with(store, fetch_options())
}

pub fn pipeline_with(store: &TestStore, fetch: FetchOptions) -> Pipeline {
    Pipeline::new(
        store.store.clone(),
        Fetcher::new(fetch).expect("fetcher"),
        IngestOptions::default(),
    )
}

/// An article page of ours in the usual news-site shape.
pub fn article_page(title: &str, paragraphs: &[&str]) -> String {
    let body: String = paragraphs
        .iter()
        .map(|p| format!("<p>{}</p>\n", html_escape(p)))
        .collect();
    format!(
        r#"<!doctype html><html lang="en"><head><meta charset="utf-8"><title>{t} | Wire</title>
<meta property="og:type" content="article"><meta property="og:title" content="{t}">
<meta name="description" content="{d}"></head>
<body><header><nav><a href="/">Home</a> <a href="/world">World</a> <a href="/sport">Sport</a></nav></header>
<main><article><h1>{t}</h1><p class="byline">By Staff Reporter</p>
<time datetime="2026-11-20T08:00:00Z">20 November 2026</time>
{body}</article></main>
<footer><p>Copyright Wire Agency. All rights reserved.</p></footer></body></html>"#,
        t = html_escape(title),
        d = html_escape(paragraphs.first().copied().unwrap_or_default()),
    )
}

pub fn html_escape(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

/// Paragraphs long enough for the extractor to see an article, different for every topic
/// (words dealt from a small vocabulary by a generator seeded with the topic).
pub fn story_paragraphs(topic: &str) -> Vec<String> {
    let seed = topic.bytes().fold(0xcbf2_9ce4_8422_2325u64, |h, b| {
        (h ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3)
    });
    (0..4u64)
        .map(|p| {
            let text = newsdesk_demo::filler_words(seed ^ p, 40);
            format!("The {topic} story, part {p}: {text}.")
        })
        .collect()
}

/// An RSS 2.0 feed of (title, link, guid) items.
pub fn rss2(title: &str, items: &[(&str, &str, &str)]) -> String {
    let items: String = items
        .iter()
        .map(|(t, link, guid)| {
            format!(
                "<item><title>{}</title><link>{}</link><guid>{}</guid><description>A summary.</description><pubDate>Fri, 20 Nov 2026 08:00:00 GMT</pubDate></item>",
                html_escape(t),
                html_escape(link),
                html_escape(guid)
            )
        })
        .collect();
    format!(
        r#"<?xml version="1.0" encoding="UTF-8"?><rss version="2.0"><channel><title>{}</title><link>http://agency.test/</link><description>d</description>{items}</channel></rss>"#,
        html_escape(title)
    )
}
