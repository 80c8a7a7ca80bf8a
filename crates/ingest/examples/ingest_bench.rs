//! The wire desk's benchmark (run by `bench/ingest`):
//!
//! 1. end to end: N items from a loopback feed server (axum, pages generated on the fly) through
//!    the whole pipeline — feed fetch, page fetch, extraction, sanitizing, fingerprint, clustering
//!    and storage in a fresh SQLite file — and the items per second;
//! 2. clustering cost per new story (LSH candidate lookup, similarity check, storing the story in
//!    its cluster) against stores already holding 10,000 and 100,000 stories.
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
use newsdesk_core::ingest::{CompletedItem, NewItem, NewSource, RawPage, Story};
use newsdesk_core::{ArticleStatus, NewArticle, Slug, Store};
use newsdesk_ingest::fingerprint::fingerprint;
use newsdesk_ingest::pipeline::best_match;
use newsdesk_ingest::{FetchOptions, Fetcher, IngestOptions, Pipeline};

const FEEDS: usize = 20;

fn words(seed: u64, n: usize) -> String {
    newsdesk_demo::filler_words(seed, n)
}

fn page(id: u64) -> String {
    let paras: String = (0..5)
        .map(|p| format!("<p>{}.</p>\n", words(id * 8 + p, 45)))
        .collect();
    format!(
        "<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\"><title>Story {id}</title>\
         <meta property=\"og:type\" content=\"article\"></head><body><header><nav><a href=\"/\">Home</a>\
         <a href=\"/world\">World</a></nav></header><main><article><h1>Story {id}: {}</h1>{paras}</article></main>\
         <footer>Wire agency</footer></body></html>",
        words(id, 6)
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

/// Adds stories `from..to` the way the pipeline does (lookup, place, store), timing it.
async fn place_stories(store: &dyn Store, source_id: i64, from: u64, to: u64) -> Duration {
    let now = Utc::now();
    let new: Vec<NewItem> = (from..to)
        .map(|i| NewItem {
            source_id,
            guid: format!("g{i}"),
            url: format!("http://bench.invalid/{i}"),
            canonical_url: format!("http://bench.invalid/{i}"),
            title: String::new(),
            summary: String::new(),
            published_at: None,
            categories: Vec::new(),
        })
        .collect();
    for chunk in new.chunks(1000) {
        store.add_items(chunk, now).await.unwrap();
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
            // Every 5th story is a rewrite of the one before it: real clusters, not only singles.
            let seed = if id % 5 == 4 { id - 1 } else { id };
            let mut text = words(seed, 220);
            if seed != id {
                text.push_str(" filed by another agency with a new closing line");
            }
            let fp = fingerprint(&text);
            let t = Instant::now();
            let cands = store.cluster_candidates(&fp.band_keys, 200).await.unwrap();
            let join = best_match(&fp.signature, &cands);
            store
                .complete_item(&completed(c.id, &text, join, fp.signature, fp.band_keys))
                .await
                .unwrap();
            spent += t.elapsed();
        }
    }
}

async fn clustering(sizes: &[u64]) {
    let dir = tempfile::tempdir().unwrap();
    let store = open_store(dir.path()).await;
    let source_id = store
        .create_source(
            &NewSource {
                feed_url: "http://bench.invalid/feed".into(),
                name: Some("Bench".into()),
                auto_publish: true,
                interval_seconds: 900,
            },
            Utc::now(),
        )
        .await
        .unwrap()
        .id;
    let probe = 1000;
    let mut have = 0u64;
    for &size in sizes {
        let fill = Instant::now();
        place_stories(store.as_ref(), source_id, have, size).await;
        eprintln!(
            "  filled to {size} stories in {:.1}s",
            fill.elapsed().as_secs_f64()
        );
        // Probe with new stories beyond everything already stored.
        let spent = place_stories(
            store.as_ref(),
            source_id,
            10_000_000 + size,
            10_000_000 + size + probe,
        )
        .await;
        have = size;
        println!(
            "clustering: {:.3} ms per new story against {size} stories (lookup + place + store, mean of {probe})",
            spent.as_secs_f64() * 1000.0 / probe as f64
        );
    }
}

#[tokio::main]
async fn main() {
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
