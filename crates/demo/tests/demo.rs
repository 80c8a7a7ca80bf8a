//! The demo loader and the benchmark generator against a real SQLite store.

use std::sync::Arc;
use std::time::Instant;

use chrono::{DateTime, Duration, Utc};
use newsdesk_core::{ArticleQuery, ArticleStatus, Slug, Store};
use newsdesk_demo::{self as demo, DemoError};

async fn sqlite_store(dir: &tempfile::TempDir) -> Arc<dyn Store> {
    let url = format!("sqlite://{}", dir.path().join("news.db").display());
    newsdesk_store::open(&url).await.expect("open sqlite store")
}

fn now() -> DateTime<Utc> {
    DateTime::parse_from_rfc3339("2026-05-04T09:30:00Z")
        .expect("valid time")
        .with_timezone(&Utc)
}

/// All visible articles, following cursors.
async fn all_visible(store: &dyn Store, at: DateTime<Utc>) -> Vec<newsdesk_core::Article> {
    let mut out = Vec::new();
    let mut q = ArticleQuery::visible_at(at);
    q.limit = 100;
    loop {
        let page = store.list_articles(&q).await.expect("list articles");
        out.extend(page.items);
        match page.next {
            Some(c) => q.before = Some(c),
            None => return out,
        }
    }
}

#[tokio::test]
async fn demo_loads_into_sqlite_with_ten_visible_articles() {
    let dir = tempfile::tempdir().expect("tempdir");
    let store = sqlite_store(&dir).await;
    let uploads =
        newsdesk_media::MediaStore::local(&dir.path().join("uploads")).expect("media store");
    let now = now();

    let summary = demo::load(store.as_ref(), &uploads, now)
        .await
        .expect("demo loads");
    assert_eq!(summary.authors, 3);
    assert_eq!(summary.articles, 12);
    assert!(summary.tags >= 20, "{summary:?}");
    assert!(summary.photos >= 12, "{summary:?}");
    assert_eq!(store.count_articles().await.expect("count"), 12);
    assert_eq!(store.list_authors().await.expect("authors").len(), 3);
    assert_eq!(store.list_tags().await.expect("tags").len(), summary.tags);

    let visible = all_visible(store.as_ref(), now).await;
    assert_eq!(visible.len(), 10, "draft and scheduled are not listed");
    assert!(visible.iter().all(|a| a.status == ArticleStatus::Published));
    assert!(
        visible
            .windows(2)
            .all(|w| w[0].published_at >= w[1].published_at),
        "newest first"
    );
    assert_eq!(visible.iter().filter(|a| a.important).count(), 4);
    assert!(visible.iter().filter(|a| a.source.is_some()).count() >= 2);
    for a in &visible {
        assert!(a.section.is_some(), "{} has a section", a.slug);
        assert!(a.body_html.contains("<figure class=\"quote"), "{}", a.slug);
        assert_eq!(a.authors.len(), 1);
        if let Some(p) = &a.lead_photo {
            // The local store keeps today's layout: one file per photo under uploads/.
            let file = dir.path().join("uploads").join(&p.file);
            let svg = std::fs::read_to_string(&file).expect("photo file written");
            assert!(svg.starts_with("<svg"), "{}", file.display());
            assert!(p.file.starts_with("demo/") && p.content_type == "image/svg+xml");
            assert!(!p.alt.is_empty() && !p.caption.is_empty() && p.credit.contains(" / "));
        }
    }
    let author = store
        .author_by_slug(&Slug::parse("elena-marsh").expect("slug"))
        .await
        .expect("author");
    assert!(author.is_some_and(|a| a.photo.is_some() && !a.links.is_empty()));

    // The scheduled story appears once it is due; the draft never does.
    let later = all_visible(store.as_ref(), now + Duration::hours(3)).await;
    assert_eq!(later.len(), 11);
    assert!(later.iter().any(|a| a.status == ArticleStatus::Scheduled));

    // Related stories share tags.
    let first = &visible[0];
    let related = store
        .related_articles(first, now, 4)
        .await
        .expect("related");
    assert!(!related.is_empty(), "{} has related stories", first.slug);

    // A second load refuses to run over existing content.
    let again = demo::load(store.as_ref(), &uploads, now).await;
    assert!(matches!(again, Err(DemoError::NotEmpty(12))), "{again:?}");
}

#[tokio::test]
async fn generate_adds_the_requested_number_of_visible_articles() {
    let dir = tempfile::tempdir().expect("tempdir");
    let store = sqlite_store(&dir).await;
    let uploads =
        newsdesk_media::MediaStore::local(&dir.path().join("uploads")).expect("media store");
    let now = now();

    let summary = demo::generate(store.as_ref(), &uploads, 200, 7, now)
        .await
        .expect("generate");
    assert_eq!(summary.articles, 200);
    assert!(summary.authors > 0 && summary.tags > 0 && summary.photos > 0);
    let visible = all_visible(store.as_ref(), now).await;
    assert_eq!(visible.len(), 200);
    let important = visible.iter().filter(|a| a.important).count();
    assert!(
        (1..=30).contains(&important),
        "{important} important of 200"
    );
    let oldest = visible.last().and_then(|a| a.published_at).expect("dated");
    assert!(
        oldest < now - Duration::days(365),
        "spread over years, oldest {oldest}"
    );

    // On top of the demo, a second seed reuses the tags and authors it finds.
    let more = demo::generate(store.as_ref(), &uploads, 10, 8, now)
        .await
        .expect("generate again");
    assert_eq!((more.articles, more.authors, more.tags), (10, 0, 0));
    assert_eq!(store.count_articles().await.expect("count"), 210);
}

/// `cargo test -p newsdesk-demo --release --test demo -- --ignored --nocapture`
#[tokio::test]
#[ignore = "benchmark: run on demand with --release"]
async fn generate_10k_timing() {
    let dir = tempfile::tempdir().expect("tempdir");
    let store = sqlite_store(&dir).await;
    let n = std::env::var("DEMO_N")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(10_000);
    let started = Instant::now();
    let summary = demo::generate(
        store.as_ref(),
        &newsdesk_media::MediaStore::local(&dir.path().join("uploads")).expect("media store"),
        n,
        1,
        now(),
    )
    .await
    .expect("generate");
    let took = started.elapsed();
    println!(
        "generate({n}) on SQLite: {took:?} ({:.0} articles/s)",
        n as f64 / took.as_secs_f64()
    );
    assert_eq!(summary.articles, n);
}
