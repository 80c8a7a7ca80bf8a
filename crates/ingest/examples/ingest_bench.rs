//! The wire desk's benchmark (run by `bench/ingest`):
//!
//! 1. end to end: N items from a loopback feed server (axum, pages generated on the fly) through
//!    the whole pipeline — feed fetch, page fetch, extraction, sanitizing, fingerprint, clustering
//!    and storage in a fresh SQLite file — and the items per second;
//! 2. clustering cost per new story through the pipeline's placement (features, event candidates
//!    from the store's inverted index, MinHash copies, the decision and the store write, in one
//!    transaction) against stores already holding 10,000 and 100,000 stories. The stories are
//!    spread at 500 a day, so a 72-hour window holds the same ~1,500 at every archive size, and
//!    their words follow a Zipf law over a 40,000-word vocabulary with names, like news text.
//!
//! ```text
//! cargo run --release -p newsdesk-ingest --example ingest_bench -- [ITEMS] [STORE_SIZES...]
//! ```

#![allow(clippy::unwrap_used)]

use std::sync::Arc;
use std::time::{Duration, Instant};

use axum::extract::Path;
use axum::response::IntoResponse;
use axum::routing::get;
use chrono::Utc;
use newsdesk_cluster::StoryText;
use newsdesk_core::ingest::{CompletedItem, NewItem, NewSource, RawPage, Story};
use newsdesk_core::{ArticleStatus, NewArticle, Slug, Store};
use newsdesk_ingest::events::{EventPlacement, StoryPlacer};
use newsdesk_ingest::fingerprint::fingerprint;
use newsdesk_ingest::{FetchOptions, Fetcher, IngestOptions, Pipeline};

const FEEDS: usize = 20;

fn page(id: u64) -> String {
    // Every page its own event, in news-like words.
    let (title, text) = news_text(id + 50_000_000, 0, 225);
    let paras: String = text
        .split(". ")
        .collect::<Vec<_>>()
        .chunks(3)
        .map(|c| format!("<p>{}.</p>\n", c.join(". ")))
        .collect();
    format!(
        "<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\"><title>Story {id}</title>\
         <meta property=\"og:type\" content=\"article\"></head><body><header><nav><a href=\"/\">Home</a>\
         <a href=\"/world\">World</a></nav></header><main><article><h1>Story {id}: {title}</h1>{paras}</article></main>\
         <footer>Wire agency</footer></body></html>"
    )
}

async fn serve(items: usize) -> String {
    let per_feed = items.div_ceil(FEEDS);
    let app = axum::Router::new()
        .route(
            "/feed/{n}",
            get(move |Path(n): Path<usize>| async move {
                let base = n * per_feed;
                let entries: String = (base..(base + per_feed).min(items))
                    .map(|i| {
                        format!(
                            "<item><title>Story {i}</title><link>/p/{i}</link><guid>s{i}</guid></item>"
                        )
                    })
                    .collect();
                (
                    [("content-type", "application/rss+xml")],
                    format!(
                        "<?xml version=\"1.0\"?><rss version=\"2.0\"><channel><title>Agency {n}</title>\
                         <link>/</link><description>d</description>{entries}</channel></rss>"
                    ),
                )
                    .into_response()
            }),
        )
        .route(
            "/p/{id}",
            get(|Path(id): Path<u64>| async move {
                ([("content-type", "text/html; charset=utf-8")], page(id)).into_response()
            }),
        );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, app).await });
    format!("http://{addr}")
}

async fn open_store(dir: &std::path::Path) -> Arc<dyn Store> {
    Arc::new(
        newsdesk_store::SqliteStore::open_file(&dir.join("bench.sqlite"))
            .await
            .unwrap(),
    )
}

async fn end_to_end(items: usize) {
    let dir = tempfile::tempdir().unwrap();
    let store = open_store(dir.path()).await;
    let base = serve(items).await;
    for n in 0..FEEDS {
        store
            .create_source(
                &NewSource {
                    feed_url: format!("{base}/feed/{n}"),
                    name: None,
                    auto_publish: true,
                    interval_seconds: 900,
                },
                Utc::now(),
            )
            .await
            .unwrap();
    }
    let fetcher = Fetcher::new(FetchOptions {
        allow_private: true,
        ..FetchOptions::default()
    })
    .unwrap();
    let pipeline = Pipeline::new(
        store.clone(),
        fetcher,
        IngestOptions {
            concurrency: 16,
            per_host_concurrency: 16,
            ..IngestOptions::default()
        },
    );
    let started = Instant::now();
    let summary = pipeline.run_pass().await.unwrap();
    let secs = started.elapsed().as_secs_f64();
    println!(
        "end to end: {items} items in {secs:.2}s = {:.0} items/s (SQLite; {summary})",
        summary.stories_stored as f64 / secs
    );
}

fn completed(
    item_id: i64,
    text: &str,
    join: Option<i64>,
    sig: Vec<u32>,
    keys: Vec<i64>,
) -> CompletedItem {
    let html = format!("<p>{text}</p>");
    CompletedItem {
        item_id,
        attempt: 1,
        story: Story {
            headline: "Story".into(),
            standfirst: String::new(),
            body_text: text.to_owned(),
            body_html: html.clone(),
            raw: RawPage {
                final_url: "http://bench.invalid/".into(),
                content_type: "text/html".into(),
                body: html.clone().into_bytes(),
            },
        },
        signature: sig,
        band_keys: keys,
        join_cluster: join,
        article: NewArticle {
            slug: Slug::parse("story").unwrap(),
            headline: "Story".into(),
            standfirst: String::new(),
            body_markdown: text.to_owned(),
            body_html: html,
            status: ArticleStatus::Published,
            published_at: Some(Utc::now()),
            canonical_url: None,
            source: None,
            author_ids: Vec::new(),
            lead_photo_id: None,
            tag_ids: Vec::new(),
            section_id: None,
            important: false,
        },
        important_at_sources: 3,
        byline: Vec::new(),
        tags: Vec::new(),
        lead_photo: None,
    }
}

/// A pseudo-word of rank `r`: distinct syllable strings, so the vocabulary has `VOCAB` words.
fn word(r: u64) -> String {
    const SYL: [&str; 20] = [
        "ka", "lo", "mi", "ne", "su", "ta", "ri", "vo", "de", "pa", "go", "hu", "ze", "bi", "fa",
        "no", "we", "ly", "ro", "sa",
    ];
    let mut r = r + 1;
    let mut w = String::new();
    while r > 0 {
        w.push_str(SYL[(r % 20) as usize]);
        r /= 20;
    }
    w
}

const VOCAB: u64 = 40_000;

/// `n` words of news-like text for event `seed`: Zipf-distributed vocabulary (the few common
/// words of every story and the rare ones of this event), capitalised names every ~12 words.
fn news_text(seed: u64, variant: u64, n: usize) -> (String, String) {
    let mut x = seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) ^ variant;
    let mut next = move || {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        x
    };
    // The event's own rare words, which every outlet's version uses.
    // Hashed, so that nearby events do not share their words.
    let event: Vec<u64> = (0..12u64)
        .map(|i| {
            let h = (seed ^ (i << 48)).wrapping_mul(0x9E37_79B9_7F4A_7C15);
            2_000 + (h ^ (h >> 29)) % (VOCAB - 2_000)
        })
        .collect();
    let mut out = String::with_capacity(n * 8);
    for i in 0..n {
        let u = (next() % 1_000_000) as f64 / 1_000_000.0;
        let r = if next() % 4 == 0 {
            event[(next() % 12) as usize]
        } else {
            // Zipf(1) by inverse transform over ranks 1..VOCAB.
            ((VOCAB as f64).powf(u) as u64).saturating_sub(1)
        };
        let mut w = word(r);
        if i % 12 == 5
            && let Some(first) = w.get(..1)
        {
            w = first.to_uppercase() + &w[1..];
        }
        out.push_str(&w);
        out.push(if i % 17 == 16 { '.' } else { ' ' });
        if i % 17 == 16 {
            out.push(' ');
        }
    }
    let title = (0..8)
        .map(|i| word(event[(i + variant as usize) % 12]))
        .collect::<Vec<_>>()
        .join(" ");
    (title, out)
}

/// Places stories `from..to` through the pipeline's placement, timing only the placement.
async fn place_stories(
    store: &dyn Store,
    events: &mut EventPlacement,
    sources: &[i64],
    from: u64,
    to: u64,
) -> Duration {
    let start = Utc::now() - chrono::Duration::days(400);
    let new: Vec<NewItem> = (from..to)
        .map(|i| NewItem {
            source_id: sources[(i % sources.len() as u64) as usize],
            guid: format!("g{i}"),
            url: format!("http://bench.invalid/{i}"),
            canonical_url: format!("http://bench.invalid/{i}"),
            title: String::new(),
            summary: String::new(),
            published_at: Some(start + chrono::Duration::seconds((i % 10_000_000) as i64 * 172)),
            categories: Vec::new(),
        })
        .collect();
    for chunk in new.chunks(1000) {
        store.add_items(chunk, Utc::now()).await.unwrap();
    }
    let mut spent = Duration::ZERO;
    loop {
        let claimed = store
            .claim_items(Utc::now(), Utc::now() + chrono::Duration::minutes(10), 500)
            .await
            .unwrap();
        if claimed.is_empty() {
            return spent;
        }
        for c in claimed {
            let id: u64 = c.url.rsplit('/').next().unwrap().parse().unwrap();
            // Three outlets' own versions of each event, one after another.
            let (title, text) = news_text(id / 3, id % 3, 300);
            let fp = fingerprint(&text);
            let at = c.published_at.unwrap_or_else(Utc::now);
            let t = Instant::now();
            let source_key = c.source_id.to_string();
            let features = events.features(&StoryText {
                title: &title,
                text: &text,
                published: Some(at.timestamp()),
                language: Some("en"),
                source: Some(&source_key),
            });
            let query = events.query(&features, at);
            let placer = StoryPlacer {
                features: &features,
                settings: events.settings(),
            };
            store
                .place_item(
                    &completed(c.id, &text, None, fp.signature, fp.band_keys),
                    &query,
                    &placer,
                )
                .await
                .unwrap();
            spent += t.elapsed();
        }
    }
}

async fn clustering(sizes: &[u64]) {
    let dir = tempfile::tempdir().unwrap();
    let store = open_store(dir.path()).await;
    let mut sources = Vec::new();
    for n in 0..3 {
        sources.push(
            store
                .create_source(
                    &NewSource {
                        feed_url: format!("http://bench.invalid/feed/{n}"),
                        name: Some(format!("Bench {n}")),
                        auto_publish: true,
                        interval_seconds: 900,
                    },
                    Utc::now(),
                )
                .await
                .unwrap()
                .id,
        );
    }
    let mut events = EventPlacement::new(newsdesk_cluster::Settings::default());
    let probe = 999;
    let mut have = 0u64;
    for &size in sizes {
        let fill = Instant::now();
        place_stories(store.as_ref(), &mut events, &sources, have, size).await;
        eprintln!(
            "  filled to {size} stories in {:.1}s",
            fill.elapsed().as_secs_f64()
        );
        // Probe with new stories beyond everything already stored.
        // The next stories of the stream, after everything already stored.
        let spent = place_stories(store.as_ref(), &mut events, &sources, size, size + probe).await;
        have = size + probe;
        println!(
            "clustering: {:.3} ms per new story against {size} stories (features + candidates + decision + store, mean of {probe})",
            spent.as_secs_f64() * 1000.0 / probe as f64
        );
    }
}

#[tokio::main]
async fn main() {
    // `RUST_LOG=sqlx=debug` shows each statement and its time, for finding where placement goes.
    if std::env::var_os("RUST_LOG").is_some() {
        tracing_subscriber::fmt()
            .with_env_filter(tracing_subscriber::EnvFilter::from_default_env())
            .with_writer(std::io::stderr)
            .init();
    }
    let args: Vec<u64> = std::env::args()
        .skip(1)
        .filter_map(|a| a.parse().ok())
        .collect();
    let items = args.first().copied().unwrap_or(10_000) as usize;
    let sizes: Vec<u64> = if args.len() > 1 {
        args[1..].to_vec()
    } else {
        vec![10_000, 100_000]
    };
    end_to_end(items).await;
    clustering(&sizes).await;
}
