//! Reader search against a real server and a real index that follows the store's change log.

use std::path::Path;
use std::time::{Duration, Instant};

use chrono::Utc;
use newsdesk_core::ArticleStatus;

use crate::common::{ArticleSpec, TestApp};

/// A server whose index lives in `dir` and follows its store.
async fn app_with_index(dir: &Path) -> TestApp {
    let dir = dir.to_path_buf();
    TestApp::spawn_with(move |state| {
        state.search =
            newsdesk_search::follow::spawn(&dir, state.store.clone(), "en".into()).map(|s| s as _);
    })
    .await
}

/// Polls `/search?q=` until `pred` holds for the page, for at most `within`.
async fn search_until(
    app: &TestApp,
    q: &str,
    within: Duration,
    pred: impl Fn(&str) -> bool,
) -> (bool, String) {
    let start = Instant::now();
    let path = format!("/search?q={}", urlencode(q));
    loop {
        let (status, body) = app.get_text(&path).await;
        assert_eq!(status, 200, "{body}");
        if pred(&body) {
            return (true, body);
        }
        if start.elapsed() > within {
            return (false, body);
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

fn urlencode(s: &str) -> String {
    serde_urlencoded::to_string([("", s)])
        .unwrap_or_default()
        .trim_start_matches('=')
        .to_owned()
}

#[tokio::test]
async fn a_published_article_is_found_within_a_second_and_disappears_when_unpublished() {
    let idx = tempfile::tempdir().unwrap();
    let app = app_with_index(idx.path()).await;
    // Let the follower finish its first (empty) rebuild, so the timing below is the tail's.
    tokio::time::sleep(Duration::from_millis(300)).await;
    let a = app
        .article(ArticleSpec {
            slug: "lighthouse-keeper",
            headline: "Lighthouse keeper retires after forty winters",
            ..Default::default()
        })
        .await;
    let (found, body) = search_until(&app, "lighthouse", Duration::from_secs(1), |b| {
        b.contains("/articles/lighthouse-keeper")
    })
    .await;
    assert!(found, "not found within a second: {body}");
    app.store
        .set_article_status(a.id, ArticleStatus::Draft, None, Utc::now())
        .await
        .unwrap();
    let (gone, body) = search_until(&app, "lighthouse", Duration::from_secs(1), |b| {
        !b.contains("/articles/lighthouse-keeper")
    })
    .await;
    assert!(gone, "still listed after unpublishing: {body}");
}

#[tokio::test]
async fn drafts_never_reach_the_public_search() {
    let idx = tempfile::tempdir().unwrap();
    let app = app_with_index(idx.path()).await;
    app.article(ArticleSpec {
        slug: "secret-draft",
        headline: "Zeppelin mooring mast plans",
        status: ArticleStatus::Draft,
        ..Default::default()
    })
    .await;
    app.article(ArticleSpec {
        slug: "public-zeppelin",
        headline: "Zeppelin museum opens",
        ..Default::default()
    })
    .await;
    let (found, body) = search_until(&app, "zeppelin", Duration::from_secs(2), |b| {
        b.contains("/articles/public-zeppelin")
    })
    .await;
    assert!(found, "{body}");
    assert!(!body.contains("secret-draft"), "{body}");
    let api: serde_json::Value = app
        .get("/api/v1/search?q=zeppelin")
        .await
        .json()
        .await
        .unwrap();
    let slugs: Vec<&str> = api["items"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|i| i["slug"].as_str())
        .collect();
    assert_eq!(slugs, ["public-zeppelin"], "{api}");
}

#[tokio::test]
async fn api_search_answers_article_objects_with_a_snippet() {
    let idx = tempfile::tempdir().unwrap();
    let app = app_with_index(idx.path()).await;
    app.article(ArticleSpec {
        slug: "ferry-timetable",
        headline: "Winter ferry timetable announced",
        ..Default::default()
    })
    .await;
    let (found, _) = search_until(&app, "ferry", Duration::from_secs(2), |b| {
        b.contains("/articles/ferry-timetable")
    })
    .await;
    assert!(found);
    let res = app.get("/api/v1/search?q=ferry&limit=5").await;
    assert_eq!(res.status(), 200);
    let v: serde_json::Value = res.json().await.unwrap();
    let item = &v["items"][0];
    assert_eq!(item["slug"], "ferry-timetable", "{v}");
    assert_eq!(item["headline"], "Winter ferry timetable announced");
    assert!(
        item["url"]
            .as_str()
            .unwrap()
            .ends_with("/articles/ferry-timetable")
    );
    assert!(
        item["body_html"].is_string() && item["snippet"].is_string(),
        "{v}"
    );
    assert!(v.get("next_cursor").is_some(), "{v}");
    // A bad parameter is a 400 with the API's error shape, not a 500.
    let bad = app.get("/api/v1/search?q=ferry&sort=sideways").await;
    assert_eq!(bad.status(), 400);
    let doc: serde_json::Value = app.get("/api/openapi.json").await.json().await.unwrap();
    for path in ["/api/v1/search", "/api/v1/search/suggest"] {
        assert!(
            doc["paths"][path]["get"].is_object(),
            "{path} not documented"
        );
    }
    let sugg: serde_json::Value = app
        .get("/api/v1/search/suggest?q=fer")
        .await
        .json()
        .await
        .unwrap();
    assert!(sugg["items"].is_array(), "{sugg}");
}

#[tokio::test]
async fn a_script_tag_in_a_body_is_shown_as_text_in_the_snippet() {
    let idx = tempfile::tempdir().unwrap();
    let app = app_with_index(idx.path()).await;
    app.article(ArticleSpec {
        slug: "escaping",
        headline: "Quarry blasting schedule",
        markdown: "The quarry said `<script>alert(1)</script>` blasting resumes Monday.",
        ..Default::default()
    })
    .await;
    let (found, body) = search_until(&app, "quarry blasting", Duration::from_secs(2), |b| {
        b.contains("/articles/escaping")
    })
    .await;
    assert!(found, "{body}");
    assert!(!body.contains("<script>alert"), "{body}");
    assert!(
        body.contains("&lt;script&gt;") || body.contains("&lt;script"),
        "{body}"
    );
}

#[tokio::test]
async fn hostile_queries_get_a_clear_page_fast() {
    let idx = tempfile::tempdir().unwrap();
    let app = app_with_index(idx.path()).await;
    let long = "a".repeat(10_000);
    let many: String = (0..3000).map(|i| format!("w{i} ")).collect();
    for q in [
        long.as_str(),
        many.as_str(),
        "\"unbalanced quote",
        "the and of",
        "-only",
    ] {
        let start = Instant::now();
        let (status, body) = app.get_text(&format!("/search?q={}", urlencode(q))).await;
        assert_eq!(status, 200, "{q:.40}: {body}");
        assert!(body.contains("search-notice"), "{q:.40}: no notice: {body}");
        assert!(
            start.elapsed() < Duration::from_secs(2),
            "{q:.40} took {:?}",
            start.elapsed()
        );
    }
}

#[tokio::test]
async fn every_page_offers_the_search_box_and_opensearch() {
    let idx = tempfile::tempdir().unwrap();
    let app = app_with_index(idx.path()).await;
    let (_, home) = app.get_text("/").await;
    assert!(home.contains("action=\"/search\""), "{home}");
    assert!(home.contains("rel=\"search\""), "{home}");
    let res = app.get("/opensearch.xml").await;
    assert_eq!(res.status(), 200);
    let xml = res.text().await.unwrap();
    assert!(xml.contains("/search?q={searchTerms}"), "{xml}");
}

#[tokio::test]
async fn a_deleted_index_is_rebuilt_from_the_store() {
    let idx = tempfile::tempdir().unwrap();
    let app = app_with_index(&idx.path().join("first")).await;
    app.article(ArticleSpec {
        slug: "glacier",
        headline: "Glacier retreat measured",
        ..Default::default()
    })
    .await;
    // The same data with its index gone (a new, empty directory): opening rebuilds it.
    let dir = idx.path().join("second");
    let search = newsdesk_search::follow::spawn(&dir, app.store.clone(), "en".into()).unwrap();
    let start = Instant::now();
    loop {
        use newsdesk_search::Search as _;
        let page = search.search(&newsdesk_search::SearchRequest {
            q: "glacier".into(),
            scope: newsdesk_search::Scope::Public { at: Utc::now() },
            filters: Default::default(),
            sort: Default::default(),
            limit: 10,
            cursor: None,
        });
        if let Ok(p) = &page
            && p.hits.iter().any(|h| h.slug == "glacier")
        {
            break;
        }
        assert!(
            start.elapsed() < Duration::from_secs(3),
            "not rebuilt: {page:?}"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert!(dir.join("meta.json").exists());
}

#[tokio::test]
async fn you_may_also_like_comes_from_the_index_and_never_lists_the_article_itself() {
    let idx = tempfile::tempdir().unwrap();
    let dir = idx.path().to_path_buf();
    let app = TestApp::spawn_with(move |state| {
        if let Some(s) = newsdesk_search::follow::spawn(&dir, state.store.clone(), "en".into()) {
            state.related = Some(std::sync::Arc::new(newsdesk_search::follow::IndexRelated {
                search: s.clone(),
                store: state.store.clone(),
            }));
            state.search = Some(s);
        }
    })
    .await;
    // No shared tags: only the text relates them, so the tag fallback cannot be what lists it.
    app.article(ArticleSpec {
        slug: "tidal-turbine-one",
        headline: "Tidal turbine array powers the island",
        markdown: "The tidal turbine array off the island now feeds the grid. Turbine blades turn with each tide.",
        published_at: Some(Utc::now() - chrono::Duration::hours(3)),
        ..Default::default()
    })
    .await;
    app.article(ArticleSpec {
        slug: "tidal-turbine-two",
        headline: "Second tidal turbine array approved",
        markdown: "Engineers approved a second tidal turbine array; the turbine blades arrive in spring.",
        published_at: Some(Utc::now() - chrono::Duration::hours(3)),
        ..Default::default()
    })
    .await;
    // Newer and unrelated: a recency list would put it first.
    app.article(ArticleSpec {
        slug: "bakery-prize",
        headline: "Village bakery wins bread prize",
        markdown: "The bakery's rye loaf won first prize at the county show.",
        ..Default::default()
    })
    .await;
    let (found, _) = search_until(&app, "turbine", Duration::from_secs(2), |b| {
        b.contains("/articles/tidal-turbine-two") && b.contains("/articles/tidal-turbine-one")
    })
    .await;
    assert!(found);
    app.invalidate();
    let (status, page) = app.get_text("/articles/tidal-turbine-one").await;
    assert_eq!(status, 200);
    let related = page
        .split("id=\"related-heading\"")
        .nth(1)
        .unwrap_or_else(|| panic!("no related section: {page}"));
    let related = related.split("</section>").next().unwrap_or_default();
    assert!(related.contains("/articles/tidal-turbine-two"), "{related}");
    assert!(
        !related.contains("/articles/tidal-turbine-one"),
        "{related}"
    );
}

#[tokio::test]
async fn filters_sort_phrases_exclusions_and_typos_shape_the_results() {
    let idx = tempfile::tempdir().unwrap();
    let app = app_with_index(idx.path()).await;
    let sport = app.tag("sport", "Sport").await;
    let city = app.tag("city", "City").await;
    app.article(ArticleSpec {
        slug: "old-marathon",
        headline: "Marathon route through the harbour",
        markdown: "The marathon route follows the harbour wall.",
        tags: std::slice::from_ref(&sport),
        published_at: Some(Utc::now() - chrono::Duration::days(40)),
        ..Default::default()
    })
    .await;
    app.article(ArticleSpec {
        slug: "new-marathon",
        headline: "Marathon closes city roads",
        markdown: "Roads close for the marathon on Sunday; buses divert.",
        tags: std::slice::from_ref(&city),
        published_at: Some(Utc::now() - chrono::Duration::hours(2)),
        ..Default::default()
    })
    .await;
    let (found, _) = search_until(&app, "marathon", Duration::from_secs(2), |b| {
        b.contains("/articles/old-marathon") && b.contains("/articles/new-marathon")
    })
    .await;
    assert!(found);
    let slugs = |v: serde_json::Value| -> Vec<String> {
        v["items"]
            .as_array()
            .unwrap()
            .iter()
            .filter_map(|i| i["slug"].as_str().map(str::to_owned))
            .collect()
    };
    async fn api(app: &TestApp, q: &str) -> serde_json::Value {
        let url = format!("/api/v1/search?{q}");
        app.get(&url).await.json().await.unwrap()
    }
    assert_eq!(
        slugs(api(&app, "q=marathon&section=sport").await),
        ["old-marathon"]
    );
    assert_eq!(
        slugs(api(&app, "q=marathon&sort=newest").await),
        ["new-marathon", "old-marathon"]
    );
    let from = (Utc::now() - chrono::Duration::days(7)).format("%Y-%m-%d");
    assert_eq!(
        slugs(api(&app, &format!("q=marathon&from={from}")).await),
        ["new-marathon"]
    );
    assert_eq!(
        slugs(api(&app, "q=%22harbour+wall%22").await),
        ["old-marathon"]
    );
    assert_eq!(
        slugs(api(&app, "q=marathon+-buses").await),
        ["old-marathon"]
    );
    // A misspelt longer word still finds it, and the page offers the correction.
    assert!(slugs(api(&app, "q=marathn").await).contains(&"new-marathon".to_owned()));
    let (_, page) = app.get_text("/search?q=marathn").await;
    assert!(page.contains("Did you mean"), "{page}");
}
