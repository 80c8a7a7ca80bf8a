//! Whole passes of the pipeline against a real server and a real SQLite store.

use std::time::Duration;

use chrono::Utc;
use newsdesk_core::ingest::{ItemState, NewSource};
use newsdesk_core::{ArticleQuery, ArticleStatus, Store};

use crate::common::*;

fn fixture(name: &str, base: &str) -> Vec<u8> {
    let path = format!("{}/tests/fixtures/feeds/{name}", env!("CARGO_MANIFEST_DIR"));
    let raw = std::fs::read(&path).unwrap();
    // Byte-level replace: some fixtures are not UTF-8 on purpose.
    let mut out = Vec::with_capacity(raw.len());
    let mut i = 0;
    while i < raw.len() {
        if raw[i..].starts_with(b"{BASE}") {
            out.extend_from_slice(base.as_bytes());
            i += 6;
        } else {
            out.push(raw[i]);
            i += 1;
        }
    }
    out
}

async fn add_source(store: &dyn Store, url: &str, auto_publish: bool) -> i64 {
    store
        .create_source(
            &NewSource {
                feed_url: url.to_owned(),
                name: None,
                auto_publish,
                interval_seconds: 900,
            },
            Utc::now(),
        )
        .await
        .unwrap()
        .id
}

fn page(server: &TestServer, path: &str, topic: &str) {
    let paras = story_paragraphs(topic);
    let refs: Vec<&str> = paras.iter().map(String::as_str).collect();
    server.route(
        path,
        Reply::html(article_page(&format!("The {topic}"), &refs)),
    );
}

#[tokio::test]
async fn every_feed_format_is_ingested_and_published() {
    let server = TestServer::start().await;
    let ts = TestStore::new().await;
    let formats = [
        (
            "/rss091.xml",
            "rss091.xml",
            "application/rss+xml",
            "/091/crane",
            "harbour crane contract",
            "Old Wire 091",
        ),
        (
            "/rss10.rdf",
            "rss10.rdf",
            "application/rdf+xml",
            "/10/orchard",
            "orchard harvest forecast",
            "RDF Wire 10",
        ),
        (
            "/rss20.xml",
            "rss20.xml",
            "application/rss+xml",
            "/20/tram?utm_source=rss&utm_medium=feed",
            "tram line extension",
            "Northwind Wire 20",
        ),
        (
            "/atom.xml",
            "atom.xml",
            "application/atom+xml",
            "/atom/library",
            "library reopening",
            "Atom Agency",
        ),
        (
            "/feed.json",
            "feed.json",
            "application/feed+json",
            "/json/market",
            "covered market roof",
            "JSON Desk",
        ),
    ];
    for (feed_path, file, ct, page_path, topic, _) in &formats {
        server.route(feed_path, Reply::ok(ct, fixture(file, &server.base)));
        page(&server, page_path, topic);
        add_source(ts.store.as_ref(), &server.url(feed_path), true).await;
    }
    let summary = pipeline(&ts).run_pass().await.unwrap();
    assert_eq!(summary.sources_polled, 5, "{summary}");
    assert_eq!(summary.sources_failed, 0, "{summary}");
    assert_eq!(summary.new_items, 5, "{summary}");
    assert_eq!(summary.stories_stored, 5, "{summary}");
    assert_eq!(summary.articles_created, 5, "{summary}");
    // Display names come from the feeds' titles.
    let names: Vec<String> = ts
        .store
        .list_sources()
        .await
        .unwrap()
        .into_iter()
        .map(|s| s.name)
        .collect();
    for (.., name) in &formats {
        assert!(names.contains(&name.to_string()), "{names:?}");
    }
    // The tracking parameters were dropped from the stored canonical URL.
    let items = ts.store.list_items(None, 100).await.unwrap();
    assert!(
        items
            .iter()
            .any(|i| i.canonical_url == server.url("/20/tram")),
        "{items:?}"
    );
    assert!(
        items
            .iter()
            .all(|i| i.state == ItemState::Clustered && i.has_raw_page)
    );
    let page = ts
        .store
        .list_articles(&ArticleQuery::visible_at(Utc::now()))
        .await
        .unwrap();
    assert_eq!(page.items.len(), 5);
    let tram = page
        .items
        .iter()
        .find(|a| a.headline.contains("tram"))
        .unwrap();
    assert_eq!(tram.source.as_ref().unwrap().agency, "Northwind Wire 20");
    assert!(tram.body_html.contains("<p>"), "{}", tram.body_html);
}

#[tokio::test]
async fn broken_xml_keeps_the_error_on_the_source_and_loses_nothing() {
    let server = TestServer::start().await;
    let ts = TestStore::new().await;
    server.route(
        "/feed",
        Reply::ok("application/rss+xml", fixture("rss20.xml", &server.base)),
    );
    page(
        &server,
        "/20/tram?utm_source=rss&utm_medium=feed",
        "tram line extension",
    );
    let id = add_source(ts.store.as_ref(), &server.url("/feed"), true).await;
    pipeline(&ts).run_pass().await.unwrap();
    server.route(
        "/feed",
        Reply::ok("application/rss+xml", fixture("broken.xml", &server.base)),
    );
    ts.make_sources_due().await;
    let before = Utc::now();
    let summary = pipeline(&ts).run_pass().await.unwrap();
    assert_eq!(summary.sources_failed, 1, "{summary}");
    let source = ts.store.source(id).await.unwrap().unwrap();
    let error = source.last_error.unwrap();
    assert!(error.contains("parsing the feed"), "{error}");
    assert_eq!(source.consecutive_errors, 1);
    assert!(source.next_poll_at >= before + chrono::Duration::seconds(800));
    // The story from the good poll is still there.
    assert_eq!(ts.store.ingest_counts().await.unwrap().clustered, 1);
    assert_eq!(ts.store.count_articles().await.unwrap(), 1);
}

#[tokio::test]
async fn windows_1252_feeds_decode_declared_or_not() {
    let server = TestServer::start().await;
    let ts = TestStore::new().await;
    server.route(
        "/declared.xml",
        Reply::ok(
            "application/rss+xml",
            fixture("cp1252-declared.xml", &server.base),
        ),
    );
    // Undeclared in the document and mislabelled as UTF-8 by the server.
    server.route(
        "/undeclared.xml",
        Reply::ok(
            "application/rss+xml; charset=utf-8",
            fixture("cp1252-undeclared.xml", &server.base),
        ),
    );
    let a = add_source(ts.store.as_ref(), &server.url("/declared.xml"), true).await;
    let b = add_source(ts.store.as_ref(), &server.url("/undeclared.xml"), true).await;
    pipeline(&ts).run_pass().await.unwrap();
    assert_eq!(
        ts.store.source(a).await.unwrap().unwrap().name,
        "Café Wire – Declared"
    );
    assert_eq!(
        ts.store.source(b).await.unwrap().unwrap().name,
        "Réseau Undeclared"
    );
    let titles: Vec<String> = ts
        .store
        .list_items(None, 10)
        .await
        .unwrap()
        .into_iter()
        .map(|i| i.title)
        .collect();
    assert!(
        titles.contains(&"Café owners “welcome” the new square".to_string()),
        "{titles:?}"
    );
    assert!(
        titles.iter().any(|t| t.starts_with("La fête du café")),
        "{titles:?}"
    );
}

#[tokio::test]
async fn not_modified_feeds_use_a_conditional_get() {
    let server = TestServer::start().await;
    let ts = TestStore::new().await;
    server.route(
        "/feed",
        Reply::WithEtag {
            etag: "\"v1\"".into(),
            reply: Box::new(Reply::ok(
                "application/rss+xml",
                fixture("rss20.xml", &server.base),
            )),
        },
    );
    page(
        &server,
        "/20/tram?utm_source=rss&utm_medium=feed",
        "tram line extension",
    );
    let id = add_source(ts.store.as_ref(), &server.url("/feed"), true).await;
    pipeline(&ts).run_pass().await.unwrap();
    assert_eq!(
        ts.store.source(id).await.unwrap().unwrap().etag.as_deref(),
        Some("\"v1\"")
    );
    ts.make_sources_due().await;
    let summary = pipeline(&ts).run_pass().await.unwrap();
    assert_eq!(summary.sources_not_modified, 1, "{summary}");
    let reqs = server.requests_to("/feed");
    assert_eq!(reqs.len(), 2);
    assert_eq!(reqs[1].get("if-none-match").unwrap(), "\"v1\"");
    let source = ts.store.source(id).await.unwrap().unwrap();
    assert_eq!(source.last_error, None);
    assert_eq!(source.etag.as_deref(), Some("\"v1\""));
}

#[tokio::test]
async fn server_errors_back_off_exponentially_and_are_recorded() {
    let server = TestServer::start().await;
    let ts = TestStore::new().await;
    server.route("/feed", Reply::Status(500));
    let id = add_source(ts.store.as_ref(), &server.url("/feed"), true).await;
    let t0 = Utc::now();
    pipeline(&ts).run_pass().await.unwrap();
    let s1 = ts.store.source(id).await.unwrap().unwrap();
    assert_eq!(s1.consecutive_errors, 1);
    assert!(
        s1.last_error
            .as_deref()
            .unwrap()
            .contains("HTTP status 500"),
        "{:?}",
        s1.last_error
    );
    let wait1 = s1.next_poll_at - t0;
    ts.make_sources_due().await;
    let t1 = Utc::now();
    pipeline(&ts).run_pass().await.unwrap();
    let s2 = ts.store.source(id).await.unwrap().unwrap();
    assert_eq!(s2.consecutive_errors, 2);
    let wait2 = s2.next_poll_at - t1;
    assert!(
        wait2 >= wait1 + wait1 - chrono::Duration::seconds(5),
        "{wait1} then {wait2}"
    );
    // A good poll clears the error.
    server.route(
        "/feed",
        Reply::ok("application/rss+xml", rss2("Recovered", &[])),
    );
    ts.make_sources_due().await;
    pipeline(&ts).run_pass().await.unwrap();
    let s3 = ts.store.source(id).await.unwrap().unwrap();
    assert_eq!((s3.consecutive_errors, s3.last_error), (0, None));
}

#[tokio::test]
async fn a_feed_that_times_out_backs_off() {
    let server = TestServer::start().await;
    let ts = TestStore::new().await;
    server.route(
        "/feed",
        Reply::Slow(Duration::from_secs(10), Box::new(Reply::Status(200))),
    );
    let id = add_source(ts.store.as_ref(), &server.url("/feed"), true).await;
    pipeline(&ts).run_pass().await.unwrap();
    let s = ts.store.source(id).await.unwrap().unwrap();
    assert_eq!(s.consecutive_errors, 1);
    assert!(
        s.last_error.as_deref().unwrap().contains("timed out"),
        "{:?}",
        s.last_error
    );
}

#[tokio::test]
async fn a_failed_page_fetch_stays_queued_with_its_reason() {
    let server = TestServer::start().await;
    let ts = TestStore::new().await;
    let link = server.url("/story");
    server.route(
        "/feed",
        Reply::ok(
            "application/rss+xml",
            rss2("W", &[("A story", &link, "g1")]),
        ),
    );
    server.route("/story", Reply::Status(503));
    add_source(ts.store.as_ref(), &server.url("/feed"), true).await;
    let summary = pipeline(&ts).run_pass().await.unwrap();
    assert_eq!(summary.items_retrying, 1, "{summary}");
    let item = &ts.store.list_items(None, 10).await.unwrap()[0];
    assert_eq!(item.state, ItemState::Queued);
    assert!(
        item.last_error.as_deref().unwrap().contains("503"),
        "{:?}",
        item.last_error
    );
    assert!(item.next_attempt_at > Utc::now());
    // Once the page is back, the retry stores it.
    page(&server, "/story", "delayed story");
    ts.make_items_due().await;
    let summary = pipeline(&ts).run_pass().await.unwrap();
    assert_eq!(summary.stories_stored, 1, "{summary}");
}

#[tokio::test]
async fn a_page_that_is_not_an_article_is_held_with_the_reason() {
    let server = TestServer::start().await;
    let ts = TestStore::new().await;
    let link = server.url("/gallery");
    server.route(
        "/feed",
        Reply::ok(
            "application/rss+xml",
            rss2("W", &[("Pictures of the week", &link, "g1")]),
        ),
    );
    let links: String = (0..40)
        .map(|i| format!("<li><a href=\"/s/{i}\">Story number {i}</a></li>"))
        .collect();
    server.route(
        "/gallery",
        Reply::html(format!("<!doctype html><html><head><title>Index</title></head><body><nav><ul>{links}</ul></nav></body></html>")),
    );
    add_source(ts.store.as_ref(), &server.url("/feed"), true).await;
    let summary = pipeline(&ts).run_pass().await.unwrap();
    assert_eq!(summary.items_held, 1, "{summary}");
    let item = &ts.store.list_items(None, 10).await.unwrap()[0];
    assert_eq!(item.state, ItemState::Held);
    assert!(
        item.hold_reason
            .as_deref()
            .unwrap()
            .starts_with("not an article"),
        "{:?}",
        item.hold_reason
    );
    // The page is kept for a later re-extraction, and nothing was published.
    assert!(ts.store.raw_page(item.id).await.unwrap().is_some());
    assert_eq!(ts.store.count_articles().await.unwrap(), 0);
}

#[tokio::test]
async fn a_feed_that_moves_permanently_is_followed_from_then_on() {
    let server = TestServer::start().await;
    let ts = TestStore::new().await;
    server.route(
        "/old-feed",
        Reply::Redirect {
            status: 301,
            to: "/new-feed".into(),
        },
    );
    server.route(
        "/new-feed",
        Reply::ok("application/rss+xml", rss2("Moved Wire", &[])),
    );
    let id = add_source(ts.store.as_ref(), &server.url("/old-feed"), true).await;
    pipeline(&ts).run_pass().await.unwrap();
    let s = ts.store.source(id).await.unwrap().unwrap();
    assert_eq!(s.feed_url, server.url("/new-feed"));
    assert_eq!(s.last_error, None);
}

#[tokio::test]
async fn a_temporary_redirect_does_not_change_the_feed_url() {
    let server = TestServer::start().await;
    let ts = TestStore::new().await;
    server.route(
        "/feed",
        Reply::Redirect {
            status: 302,
            to: "/elsewhere".into(),
        },
    );
    server.route(
        "/elsewhere",
        Reply::ok("application/rss+xml", rss2("W", &[])),
    );
    let id = add_source(ts.store.as_ref(), &server.url("/feed"), true).await;
    pipeline(&ts).run_pass().await.unwrap();
    assert_eq!(
        ts.store.source(id).await.unwrap().unwrap().feed_url,
        server.url("/feed")
    );
}

#[tokio::test]
async fn a_home_page_leads_to_its_advertised_feed() {
    let server = TestServer::start().await;
    let ts = TestStore::new().await;
    server.route(
        "/",
        Reply::html(r#"<!doctype html><html><head><title>Agency</title><link rel="alternate" type="application/atom+xml" title="News" href="/atom.xml"></head><body>Hi</body></html>"#),
    );
    server.route(
        "/atom.xml",
        Reply::ok("application/atom+xml", fixture("atom.xml", &server.base)),
    );
    page(&server, "/atom/library", "library reopening");
    let id = add_source(ts.store.as_ref(), &server.url("/"), true).await;
    let summary = pipeline(&ts).run_pass().await.unwrap();
    assert_eq!(summary.new_items, 1, "{summary}");
    let s = ts.store.source(id).await.unwrap().unwrap();
    assert_eq!(s.feed_url, server.url("/atom.xml"));
    assert_eq!(s.name, "Atom Agency");
}

#[tokio::test]
async fn exact_duplicates_by_guid_and_canonical_url_are_stored_once() {
    let server = TestServer::start().await;
    let ts = TestStore::new().await;
    let a = server.url("/story?id=1&utm_source=a");
    let b = server.url("/story?id=1&fbclid=zzz");
    server.route(
        "/feed",
        Reply::ok(
            "application/rss+xml",
            rss2(
                "W",
                &[
                    ("One", &a, "g1"),
                    ("One again", &a, "g1"),
                    ("One by another link", &b, "g2"),
                ],
            ),
        ),
    );
    page(&server, "/story?id=1&utm_source=a", "single story");
    add_source(ts.store.as_ref(), &server.url("/feed"), true).await;
    let summary = pipeline(&ts).run_pass().await.unwrap();
    assert_eq!(summary.new_items, 1, "{summary}");
    // Polling again adds nothing.
    ts.make_sources_due().await;
    let summary = pipeline(&ts).run_pass().await.unwrap();
    assert_eq!(summary.new_items, 0, "{summary}");
    assert_eq!(ts.store.list_items(None, 10).await.unwrap().len(), 1);
}

#[tokio::test]
async fn a_review_source_creates_a_draft_not_a_public_article() {
    let server = TestServer::start().await;
    let ts = TestStore::new().await;
    let link = server.url("/s");
    server.route(
        "/feed",
        Reply::ok("application/rss+xml", rss2("W", &[("S", &link, "g")])),
    );
    page(&server, "/s", "reviewed story");
    add_source(ts.store.as_ref(), &server.url("/feed"), false).await;
    let summary = pipeline(&ts).run_pass().await.unwrap();
    assert_eq!(summary.articles_created, 1, "{summary}");
    assert_eq!(ts.store.count_articles().await.unwrap(), 1);
    let visible = ts
        .store
        .list_articles(&ArticleQuery::visible_at(Utc::now()))
        .await
        .unwrap();
    assert!(visible.items.is_empty(), "held for review");
    let _ = ArticleStatus::Draft;
}

#[tokio::test]
async fn robots_txt_disallowing_a_page_is_honoured() {
    let server = TestServer::start().await;
    let ts = TestStore::new().await;
    let link = server.url("/private/s");
    server.route(
        "/robots.txt",
        Reply::ok("text/plain", "User-agent: *\nDisallow: /private/\n"),
    );
    server.route(
        "/feed",
        Reply::ok("application/rss+xml", rss2("W", &[("S", &link, "g")])),
    );
    page(&server, "/private/s", "private story");
    add_source(ts.store.as_ref(), &server.url("/feed"), true).await;
    let summary = pipeline(&ts).run_pass().await.unwrap();
    assert_eq!(summary.items_failed, 1, "{summary}");
    assert!(
        server.requests_to("/private/s").is_empty(),
        "the page was not fetched"
    );
    let item = &ts.store.list_items(None, 10).await.unwrap()[0];
    assert_eq!(item.state, ItemState::Failed);
    assert_eq!(item.last_error.as_deref(), Some("disallowed by robots.txt"));
}

#[tokio::test]
async fn a_paused_source_is_not_polled() {
    let server = TestServer::start().await;
    let ts = TestStore::new().await;
    server.route("/feed", Reply::ok("application/rss+xml", rss2("W", &[])));
    let id = add_source(ts.store.as_ref(), &server.url("/feed"), true).await;
    ts.store
        .update_source(
            id,
            &newsdesk_core::ingest::SourcePatch {
                paused: Some(true),
                ..Default::default()
            },
        )
        .await
        .unwrap();
    let summary = pipeline(&ts).run_pass().await.unwrap();
    assert_eq!(summary.sources_polled, 0);
    assert!(server.requests_to("/feed").is_empty());
}

/// Issue 10, item 10: a home page whose advertised feed is already followed made every later
/// pass fail (`conflict: feed_url`) for every source. Now it is that source's error, shown on
/// it, and the pass goes on for the others.
#[tokio::test]
async fn a_home_page_whose_feed_is_already_followed_fails_alone_and_the_pass_goes_on() {
    let server = TestServer::start().await;
    let ts = TestStore::new().await;
    server.route(
        "/index.html",
        Reply::html(r#"<!doctype html><html><head><title>Agency</title><link rel="alternate" type="application/atom+xml" title="News" href="/atom.xml"></head><body>Hi</body></html>"#),
    );
    server.route(
        "/atom.xml",
        Reply::ok("application/atom+xml", fixture("atom.xml", &server.base)),
    );
    page(&server, "/atom/library", "library reopening");
    let followed = add_source(ts.store.as_ref(), &server.url("/atom.xml"), true).await;
    let home = add_source(ts.store.as_ref(), &server.url("/index.html"), true).await;
    let p = pipeline(&ts);
    for pass in 0..2 {
        let summary = p.run_pass().await.expect("the pass does not fail");
        assert_eq!(summary.sources_failed, 1, "pass {pass}: {summary}");
        ts.make_sources_due().await;
    }
    let h = ts.store.source(home).await.unwrap().unwrap();
    assert_eq!(h.feed_url, server.url("/index.html"), "not rewritten");
    let err = h.last_error.unwrap_or_default();
    assert!(
        err.contains("already followed by source") && err.contains(&server.url("/atom.xml")),
        "{err}"
    );
    let f = ts.store.source(followed).await.unwrap().unwrap();
    assert!(f.last_error.is_none(), "{:?}", f.last_error);
    assert_eq!(f.consecutive_errors, 0);
    // And `discover` names the feed so `sources add` can refuse such a page up front.
    assert_eq!(
        p.discover(&server.url("/index.html")).await.unwrap(),
        server.url("/atom.xml")
    );
}

/// A PNG of our own making, big enough to be a lead photo.
fn lead_png() -> Vec<u8> {
    let img = image::RgbImage::from_fn(480, 270, |x, y| {
        image::Rgb([(x % 256) as u8, (y % 256) as u8, 128])
    });
    let mut out = std::io::Cursor::new(Vec::new());
    image::DynamicImage::ImageRgb8(img)
        .write_to(&mut out, image::ImageFormat::Png)
        .unwrap();
    out.into_inner()
}

fn page_with_byline_and_photo(server: &TestServer, path: &str, headline: &str, topic: &str) {
    let paras = story_paragraphs(topic);
    let body: String = paras
        .iter()
        .map(|p| format!("<p>{}</p>\n", html_escape(p)))
        .collect();
    let ld = serde_json::json!({
        "@context": "https://schema.org",
        "@type": "NewsArticle",
        "headline": headline,
        "author": [
            {"@type": "Person", "name": "Ana Reyes"},
            {"@type": "Person", "name": "Tom Okafor"}
        ],
        "image": {
            "@type": "ImageObject",
            "url": server.url("/img/lead.png"),
            "caption": "Waves over the sea wall on Monday",
            "creditText": "Jo Lens"
        }
    });
    server.route(
        path,
        Reply::html(format!(
            r#"<!doctype html><html lang="en"><head><meta charset="utf-8"><title>{t}</title>
<meta property="og:type" content="article"><meta property="og:title" content="{t}">
<script type="application/ld+json">{ld}</script></head>
<body><main><article><h1>{t}</h1>{body}</article></main></body></html>"#,
            t = html_escape(headline),
        )),
    );
}

#[tokio::test]
async fn wire_articles_carry_byline_photo_and_categories_and_announce_publication() {
    let server = TestServer::start().await;
    let ts = TestStore::new().await;
    let uploads = tempfile::tempdir().unwrap();
    server.route("/img/lead.png", Reply::ok("image/png", lead_png()));
    page_with_byline_and_photo(
        &server,
        "/storm",
        "Storm closes the coast road",
        "coast road storm",
    );
    server.route(
        "/feed.xml",
        Reply::ok(
            "application/rss+xml",
            format!(
                r#"<?xml version="1.0"?><rss version="2.0"><channel><title>Coast Wire</title>
<link>{b}/</link><description>d</description>
<item><title>Storm closes the coast road</title><link>{b}/storm</link><guid>storm</guid>
<category>Weather</category><category>Transport</category></item>
</channel></rss>"#,
                b = server.base
            ),
        ),
    );
    add_source(ts.store.as_ref(), &server.url("/feed.xml"), true).await;
    let announced = std::sync::Arc::new(std::sync::Mutex::new(Vec::new()));
    let seen = announced.clone();
    let hook: newsdesk_ingest::pipeline::PublishedHook = std::sync::Arc::new(move |id| {
        let seen = seen.clone();
        Box::pin(async move { seen.lock().unwrap().push(id) })
    });
    let options = newsdesk_ingest::IngestOptions {
        media: Some(newsdesk_media::MediaStore::local(uploads.path()).unwrap()),
        ..Default::default()
    };
    let p = newsdesk_ingest::Pipeline::new(
        ts.store.clone(),
        newsdesk_ingest::Fetcher::new(fetch_options()).unwrap(),
        options,
    )
    .on_article_published(hook);
    let summary = p.run_pass().await.unwrap();
    assert_eq!(summary.articles_created, 1, "{summary}");
    let a = ts
        .store
        .list_articles(&ArticleQuery::visible_at(Utc::now()))
        .await
        .unwrap()
        .items
        .pop()
        .unwrap();
    assert_eq!(
        a.slug.as_str(),
        "storm-closes-the-coast-road",
        "no number without a clash"
    );
    let names: Vec<&str> = a.authors.iter().map(|x| x.name.as_str()).collect();
    assert_eq!(names, ["Ana Reyes", "Tom Okafor"]);
    let tags: Vec<&str> = a.tags.iter().map(|t| t.name.as_str()).collect();
    assert_eq!(tags, ["Weather", "Transport"]);
    let photo = a.lead_photo.clone().expect("the lead photo was imported");
    assert_eq!(photo.caption, "Waves over the sea wall on Monday");
    assert_eq!(
        photo.credit, "Jo Lens / Coast Wire",
        "the agency is credited"
    );
    assert_eq!((photo.width, photo.height), (480, 270));
    let file = uploads.path().join(&photo.file);
    let copy = std::fs::read(&file).unwrap();
    assert_eq!(image::guess_format(&copy).unwrap(), image::ImageFormat::Png);
    assert!(
        !photo.file.contains("lead.png"),
        "no agency name in our path: {}",
        photo.file
    );
    assert_eq!(
        *announced.lock().unwrap(),
        vec![a.id],
        "article.published is fired"
    );
}

#[tokio::test]
async fn a_review_source_announces_nothing_and_photos_can_be_turned_off() {
    let server = TestServer::start().await;
    let ts = TestStore::new().await;
    let uploads = tempfile::tempdir().unwrap();
    server.route("/img/lead.png", Reply::ok("image/png", lead_png()));
    page_with_byline_and_photo(
        &server,
        "/storm",
        "Storm closes the coast road",
        "coast road storm",
    );
    server.route(
        "/feed.xml",
        Reply::ok(
            "application/rss+xml",
            rss2(
                "Coast Wire",
                &[(
                    "Storm closes the coast road",
                    &server.url("/storm"),
                    "storm",
                )],
            ),
        ),
    );
    let id = add_source(ts.store.as_ref(), &server.url("/feed.xml"), false).await;
    ts.store
        .set_source_lead_photos(id, newsdesk_core::ingest::LeadPhotos::Off)
        .await
        .unwrap();
    let announced = std::sync::Arc::new(std::sync::Mutex::new(Vec::new()));
    let seen = announced.clone();
    let options = newsdesk_ingest::IngestOptions {
        media: Some(newsdesk_media::MediaStore::local(uploads.path()).unwrap()),
        ..Default::default()
    };
    let p = newsdesk_ingest::Pipeline::new(
        ts.store.clone(),
        newsdesk_ingest::Fetcher::new(fetch_options()).unwrap(),
        options,
    )
    .on_article_published(std::sync::Arc::new(move |id| {
        let seen = seen.clone();
        Box::pin(async move { seen.lock().unwrap().push(id) })
    }));
    let summary = p.run_pass().await.unwrap();
    assert_eq!(summary.articles_created, 1, "{summary}");
    assert!(
        announced.lock().unwrap().is_empty(),
        "a draft is not published"
    );
    assert!(
        server.requests_to("/img/lead.png").is_empty(),
        "photos off: not fetched"
    );
}
