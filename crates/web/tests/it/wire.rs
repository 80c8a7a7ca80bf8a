//! Wire-desk stories on the site: an article made from a story cluster names the other agencies
//! that carried it, with links to their versions.

#![allow(clippy::unwrap_used)]

use chrono::Utc;
use newsdesk_core::ingest::{CompletedItem, NewItem, NewSource, RawPage, Story};
use newsdesk_core::{ArticleStatus, NewArticle, Slug, Store};

use crate::common::TestApp;

async fn wire_story(store: &dyn Store, agency: &str, url: &str, join: Option<i64>) -> (i64, i64) {
    let now = Utc::now();
    let source = store
        .create_source(
            &NewSource {
                feed_url: format!(
                    "https://{}.example/feed",
                    agency.to_lowercase().replace(' ', "-")
                ),
                name: Some(agency.to_owned()),
                auto_publish: true,
                interval_seconds: 900,
            },
            now,
        )
        .await
        .unwrap();
    store
        .add_items(
            &[NewItem {
                source_id: source.id,
                guid: url.to_owned(),
                url: url.to_owned(),
                canonical_url: url.to_owned(),
                title: "Ferry strike".into(),
                summary: String::new(),
                published_at: None,
            }],
            now,
        )
        .await
        .unwrap();
    let claimed = store
        .claim_items(now, now + chrono::Duration::minutes(5), 10)
        .await
        .unwrap()
        .pop()
        .unwrap();
    let body_html = newsdesk_core::markdown::render("Crews walked out on Monday.");
    let outcome = store
        .complete_item(&CompletedItem {
            item_id: claimed.id,
            attempt: claimed.attempt,
            story: Story {
                headline: "Ferry crews strike".into(),
                standfirst: "Crossings cancelled.".into(),
                body_text: "Crews walked out on Monday.".into(),
                body_html: body_html.clone(),
                raw: RawPage {
                    final_url: url.to_owned(),
                    content_type: "text/html".into(),
                    body: b"<p>Crews walked out on Monday.</p>".to_vec(),
                },
            },
            signature: vec![1, 2, 3, 4],
            band_keys: vec![42],
            join_cluster: join,
            article: NewArticle {
                slug: Slug::parse("ferry-crews-strike").unwrap(),
                headline: "Ferry crews strike".into(),
                standfirst: "Crossings cancelled.".into(),
                body_markdown: "Crews walked out on Monday.".into(),
                body_html,
                status: ArticleStatus::Published,
                published_at: Some(now - chrono::Duration::minutes(1)),
                canonical_url: None,
                source: None,
                author_ids: Vec::new(),
                lead_photo_id: None,
                tag_ids: Vec::new(),
                section_id: None,
                important: false,
            },
            important_at_sources: 3,
        })
        .await
        .unwrap();
    (outcome.cluster_id, outcome.article_id)
}

#[tokio::test]
async fn article_from_a_story_cluster_shows_also_reported_by_with_links() {
    let app = TestApp::spawn().await;
    let store = app.store.as_ref();
    let (cluster, article_id) = wire_story(
        store,
        "Northwind Wire",
        "https://northwind.example/s/1",
        None,
    )
    .await;
    let (same, same_article) = wire_story(
        store,
        "Harbour <Press>",
        "https://harbour.example/s/9",
        Some(cluster),
    )
    .await;
    assert_eq!(
        (same, same_article),
        (cluster, article_id),
        "one article per cluster"
    );
    let slug = format!("ferry-crews-strike-{cluster}");
    let html = app
        .client
        .get(app.url(&format!("/articles/{slug}")))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(html.contains("Originally published by"), "{html}");
    assert!(html.contains("https://northwind.example/s/1"), "{html}");
    assert!(html.contains("Also reported by"), "{html}");
    // The agency name is escaped; its link is its own version of the story.
    assert!(html.contains("<a href=\"https://harbour.example/s/9\" rel=\"nofollow noopener\">Harbour &lt;Press&gt;</a>"), "{html}");
    assert_eq!(store.count_articles().await.unwrap(), 1);
}
