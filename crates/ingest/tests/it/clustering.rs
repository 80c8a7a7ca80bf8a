//! Clustering on our fixture set: the same story from several agencies must merge, distinct
//! stories on the same topic must not. Pairwise precision and recall are printed.

use std::collections::{BTreeMap, HashMap};

use chrono::Utc;
use newsdesk_core::ArticleQuery;
use newsdesk_core::ingest::NewSource;

use crate::common::*;

#[path = "../../../cluster/tests/fixtures/stories.rs"]
#[allow(dead_code)]
mod stories;

struct Fixture {
    file: String,
    story: String,
    agency: String,
    title: String,
    paragraphs: Vec<String>,
}

fn fixtures() -> Vec<Fixture> {
    let dir = format!("{}/tests/fixtures/cluster", env!("CARGO_MANIFEST_DIR"));
    let mut out = Vec::new();
    let mut names: Vec<_> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().into_string().unwrap())
        .filter(|n| n.ends_with(".txt"))
        .collect();
    names.sort();
    for name in names {
        let text = std::fs::read_to_string(format!("{dir}/{name}")).unwrap();
        let mut blocks = text.split("\n\n");
        let head = blocks.next().unwrap();
        let field = |k: &str| {
            head.lines()
                .find_map(|l| l.strip_prefix(k))
                .unwrap()
                .trim()
                .to_owned()
        };
        out.push(Fixture {
            file: name.trim_end_matches(".txt").to_owned(),
            story: field("story:"),
            agency: field("agency:"),
            title: field("title:"),
            paragraphs: blocks
                .map(|b| b.trim().replace('\n', " "))
                .filter(|b| !b.is_empty())
                .collect(),
        });
    }
    out
}

#[tokio::test]
async fn fixture_stories_cluster_with_high_precision_and_recall() {
    let server = TestServer::start().await;
    let ts = TestStore::new().await;
    let fx = fixtures();
    assert!(fx.len() >= 15);
    let mut by_agency: BTreeMap<String, Vec<&Fixture>> = BTreeMap::new();
    for f in &fx {
        by_agency.entry(f.agency.clone()).or_default().push(f);
        let paras: Vec<&str> = f.paragraphs.iter().map(String::as_str).collect();
        server.route(
            &format!("/{}", f.file),
            Reply::html(article_page(&f.title, &paras)),
        );
    }
    for (agency, stories) in &by_agency {
        let links: Vec<(String, String, String)> = stories
            .iter()
            .map(|f| {
                (
                    f.title.clone(),
                    server.url(&format!("/{}", f.file)),
                    f.file.clone(),
                )
            })
            .collect();
        let refs: Vec<(&str, &str, &str)> = links
            .iter()
            .map(|(a, b, c)| (a.as_str(), b.as_str(), c.as_str()))
            .collect();
        let path = format!("/feeds/{}", agency.replace(' ', "-"));
        server.route(&path, Reply::ok("application/rss+xml", rss2(agency, &refs)));
        ts.store
            .create_source(
                &NewSource {
                    feed_url: server.url(&path),
                    name: None,
                    auto_publish: true,
                    interval_seconds: 900,
                },
                Utc::now(),
            )
            .await
            .unwrap();
    }
    // One page at a time, so that stories are placed in the feeds' order and the figures are
    // reproducible (concurrent fetches finish in any order, and online placement depends on it).
    let summary = ordered_pipeline(&ts).run_pass().await.unwrap();
    assert_eq!(summary.stories_stored as usize, fx.len(), "{summary}");

    let items = ts.store.list_items(None, 1000).await.unwrap();
    let cluster_of: HashMap<String, i64> = items
        .iter()
        .map(|i| (i.guid.clone(), i.cluster_id.unwrap()))
        .collect();
    let (mut tp, mut fp, mut fneg) = (0u32, 0u32, 0u32);
    for (i, a) in fx.iter().enumerate() {
        for b in &fx[i + 1..] {
            let truth = a.story == b.story;
            let predicted = cluster_of[&a.file] == cluster_of[&b.file];
            match (truth, predicted) {
                (true, true) => tp += 1,
                (false, true) => {
                    fp += 1;
                    eprintln!("wrongly merged: {} + {}", a.file, b.file);
                }
                (true, false) => {
                    fneg += 1;
                    eprintln!("wrongly split: {} / {}", a.file, b.file);
                }
                (false, false) => {}
            }
        }
    }
    let precision = f64::from(tp) / f64::from((tp + fp).max(1));
    let recall = f64::from(tp) / f64::from((tp + fneg).max(1));
    println!(
        "clustering: {} stories, {tp} true pairs found, {fp} false merges, {fneg} missed; precision {precision:.3}, recall {recall:.3}",
        fx.len()
    );
    assert!(precision >= 0.9, "precision {precision}");
    assert!(recall >= 0.9, "recall {recall}");

    // One article per cluster; the site's list carries each story once.
    let clusters: std::collections::HashSet<i64> = cluster_of.values().copied().collect();
    assert_eq!(
        ts.store.count_articles().await.unwrap() as usize,
        clusters.len()
    );

    // The bridge story, carried by three agencies: one important article, "also reported by" all.
    let articles = ts
        .store
        .list_articles(&ArticleQuery {
            limit: 100,
            ..ArticleQuery::visible_at(Utc::now())
        })
        .await
        .unwrap()
        .items;
    let bridge = articles
        .iter()
        .find(|a| {
            a.source.as_ref().is_some_and(|s| {
                s.original_url.ends_with("/bridge-harbour")
                    || s.original_url.ends_with("/bridge-northwind")
                    || s.original_url.ends_with("/bridge-valley")
            })
        })
        .expect("bridge article");
    assert!(bridge.important, "three agencies make it important");
    let members = ts
        .store
        .cluster_members_for_article(bridge.id)
        .await
        .unwrap();
    let mut agencies: Vec<&str> = members.iter().map(|m| m.agency.as_str()).collect();
    agencies.sort();
    assert_eq!(
        agencies,
        ["Harbour Press", "Northwind Wire", "Valley Courier"]
    );
    assert!(members.iter().all(|m| m.url.starts_with(&server.base)));
    // Two agencies only: not important.
    let rates = articles
        .iter()
        .find(|a| a.headline.to_lowercase().contains("rates") && !a.headline.contains("Eastern"))
        .unwrap();
    assert!(!rates.important);
}

fn ordered_pipeline(ts: &TestStore) -> newsdesk_ingest::Pipeline {
    newsdesk_ingest::Pipeline::new(
        ts.store.clone(),
        newsdesk_ingest::Fetcher::new(fetch_options()).unwrap(),
        newsdesk_ingest::IngestOptions {
            concurrency: 1,
            ..newsdesk_ingest::IngestOptions::default()
        },
    )
}

/// Serves `stories` as one outlet's feed and article pages; returns the feed URL.
fn outlet(server: &TestServer, name: &str, stories: &[&stories::Fixture]) -> String {
    let links: Vec<(String, String, String)> = stories
        .iter()
        .map(|f| {
            let path = format!("/{name}/{}", f.id);
            server.route(&path, Reply::html(article_page(f.title, &[f.text])));
            (f.title.to_owned(), server.url(&path), f.id.to_owned())
        })
        .collect();
    let refs: Vec<(&str, &str, &str)> = links
        .iter()
        .map(|(a, b, c)| (a.as_str(), b.as_str(), c.as_str()))
        .collect();
    let feed = format!("/{name}/feed.xml");
    server.route(&feed, Reply::ok("application/rss+xml", rss2(name, &refs)));
    server.url(&feed)
}

async fn follow(ts: &TestStore, feed_url: String) {
    ts.store
        .create_source(
            &NewSource {
                feed_url,
                name: None,
                auto_publish: true,
                interval_seconds: 900,
            },
            Utc::now(),
        )
        .await
        .unwrap();
}

fn cluster_by_guid(items: &[newsdesk_core::ingest::Item]) -> HashMap<String, i64> {
    items
        .iter()
        .map(|i| (i.guid.clone(), i.cluster_id.unwrap()))
        .collect()
}

#[tokio::test]
async fn reports_in_different_words_join_through_ingest_and_after_a_restart() {
    let server = TestServer::start().await;
    let ts = TestStore::new().await;
    // A desk that has seen a morning's unrelated news, then two outlets' own reports of a vote.
    let mut first: Vec<&stories::Fixture> = stories::BACKGROUND.iter().collect();
    first.push(&stories::BRIDGE_VOTE[0]);
    follow(&ts, outlet(&server, "wire", &first)).await;
    follow(&ts, outlet(&server, "daily", &[&stories::BRIDGE_VOTE[1]])).await;
    let summary = ordered_pipeline(&ts).run_pass().await.unwrap();
    assert_eq!(summary.stories_stored, 10, "{summary}");
    let c = cluster_by_guid(&ts.store.list_items(None, 100).await.unwrap());
    assert_eq!(c["bridge-daily"], c["bridge-wire"], "{c:?}");
    let clusters: std::collections::HashSet<i64> = c.values().copied().collect();
    assert_eq!(clusters.len(), 9, "the background stays apart: {c:?}");

    // A new process (a restart, or another node): the clusters are the store's, so the third
    // outlet's report still finds the vote.
    follow(&ts, outlet(&server, "local", &[&stories::BRIDGE_VOTE[2]])).await;
    let summary = ordered_pipeline(&ts).run_pass().await.unwrap();
    assert_eq!(summary.stories_stored, 1, "{summary}");
    let c = cluster_by_guid(&ts.store.list_items(None, 100).await.unwrap());
    assert_eq!(c["bridge-local"], c["bridge-wire"], "{c:?}");
}

#[tokio::test]
async fn newsdesk_cluster_offline_draws_the_clusters_ingest_drew() {
    let server = TestServer::start().await;
    let ts = TestStore::new().await;
    let mut wire: Vec<&stories::Fixture> = stories::BACKGROUND.iter().collect();
    wire.extend([&stories::BRIDGE_VOTE[0], &stories::LIBRARY_VOTE]);
    follow(&ts, outlet(&server, "wire", &wire)).await;
    follow(
        &ts,
        outlet(
            &server,
            "daily",
            &[&stories::BRIDGE_VOTE[1], &stories::STORM_NORVIK],
        ),
    )
    .await;
    follow(
        &ts,
        outlet(
            &server,
            "local",
            &[&stories::BRIDGE_VOTE[2], &stories::STORM_ARDMORE],
        ),
    )
    .await;
    ordered_pipeline(&ts).run_pass().await.unwrap();
    let mut items = ts.store.list_items(None, 100).await.unwrap();
    items.sort_by_key(|i| i.id);
    // The stored stories, in the order they were placed, through the offline command's code.
    let texts = ts.store.recent_story_texts(100).await.unwrap();
    assert_eq!(texts.len(), items.len());
    let mut run =
        newsdesk_cluster::offline::OfflineRun::new(newsdesk_cluster::Settings::default(), false);
    let mut offline: HashMap<String, String> = HashMap::new();
    for (item, (title, text)) in items.iter().zip(texts.iter().rev()) {
        let line = serde_json::json!({
            "id": item.guid,
            "title": title,
            "text": text,
            "published": "2026-11-20T08:00:00Z",
            "source": item.source_id.to_string(),
        });
        let out: serde_json::Value =
            serde_json::from_str(&run.line(&line.to_string()).unwrap()).unwrap();
        offline.insert(item.guid.clone(), out["cluster"].to_string());
    }
    let online = cluster_by_guid(&items);
    // Same partition: two stories share an offline label exactly when they share a cluster.
    for a in &items {
        for b in &items {
            assert_eq!(
                offline[&a.guid] == offline[&b.guid],
                online[&a.guid] == online[&b.guid],
                "{} / {}",
                a.guid,
                b.guid
            );
        }
    }
    assert_eq!(online["bridge-daily"], online["bridge-wire"]);
    assert_eq!(online["bridge-local"], online["bridge-wire"]);
    assert_ne!(online["storm-norvik"], online["storm-ardmore"]);
}

#[tokio::test]
async fn a_version_an_editor_moved_out_stays_out_and_later_reports_still_find_the_event() {
    let server = TestServer::start().await;
    let ts = TestStore::new().await;
    let mut first: Vec<&stories::Fixture> = stories::BACKGROUND.iter().collect();
    first.push(&stories::BRIDGE_VOTE[0]);
    follow(&ts, outlet(&server, "wire", &first)).await;
    follow(&ts, outlet(&server, "daily", &[&stories::BRIDGE_VOTE[1]])).await;
    ordered_pipeline(&ts).run_pass().await.unwrap();
    let items = ts.store.list_items(None, 100).await.unwrap();
    let c = cluster_by_guid(&items);
    assert_eq!(c["bridge-daily"], c["bridge-wire"], "{c:?}");
    let daily = items.iter().find(|i| i.guid == "bridge-daily").unwrap().id;
    let summaries = newsdesk_ingest::stories::DeskSummaries::warm_default(ts.store.as_ref())
        .await
        .unwrap();
    let own = ts
        .store
        .split_story(c["bridge-wire"], daily, &summaries)
        .await
        .unwrap();
    assert!(own.members[0].pinned);

    // The third outlet's report of the vote finds one of the two vote stories (both keep a
    // rebuilt summary and their own keys), and the moved version stays where the editor put it.
    follow(&ts, outlet(&server, "local", &[&stories::BRIDGE_VOTE[2]])).await;
    let summary = ordered_pipeline(&ts).run_pass().await.unwrap();
    assert_eq!(summary.stories_stored, 1, "{summary}");
    let c = cluster_by_guid(&ts.store.list_items(None, 100).await.unwrap());
    assert_eq!(c["bridge-daily"], own.id, "{c:?}");
    assert_ne!(c["bridge-daily"], c["bridge-wire"], "{c:?}");
    assert!(
        c["bridge-local"] == c["bridge-wire"] || c["bridge-local"] == own.id,
        "{c:?}"
    );
}
