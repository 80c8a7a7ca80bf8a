//! Feeds, sitemaps and robots.txt over HTTP: each parses back and carries exactly the visible
//! articles, newest first.

use chrono::{Duration, Utc};
use newsdesk_core::{Article, ArticleStatus, Author, Tag};
use quick_xml::events::Event;

use crate::common::{ArticleSpec, SAMPLE_SVG, TestApp};

/// `TestApp::spawn`, after installing the TLS crypto provider that reqwest (built with
/// `rustls-no-provider`) needs before any client is built, even for plain-HTTP requests.
pub async fn spawn_app() -> TestApp {
    let _ = rustls::crypto::ring::default_provider().install_default();
    TestApp::spawn().await
}

const TRICKY: &str = "Rates & <b>taxes</b> rise \"sharply\"";

struct Fixture {
    app: TestApp,
    ann: Author,
    bo: Author,
    harbour: Tag,
    weather: Tag,
    /// Visible articles, newest first.
    visible: Vec<Article>,
}

async fn fixture() -> Fixture {
    let app = spawn_app().await;
    let ann = app.author("ann-lee", "Ann Lee").await;
    let bo = app.author("bo-kim", "Bo Kim").await;
    let harbour = app.tag("harbour", "Harbour").await;
    let weather = app.tag("weather", "Weather").await;
    let photo = app
        .photo(
            "crane.svg",
            "The crane at dawn",
            "Mara Quist / Northwind Wire",
        )
        .await;
    let now = Utc::now();
    let oldest = app
        .article(ArticleSpec {
            slug: "harbour-crane-repaired",
            published_at: Some(now - Duration::hours(3)),
            authors: std::slice::from_ref(&ann),
            tags: std::slice::from_ref(&harbour),
            photo: Some(&photo),
            ..Default::default()
        })
        .await;
    let tricky = app
        .article(ArticleSpec {
            slug: "rates-and-taxes-rise",
            headline: TRICKY,
            standfirst: "Councils blame <costs> & inflation.",
            published_at: Some(now - Duration::hours(2)),
            authors: std::slice::from_ref(&bo),
            tags: std::slice::from_ref(&weather),
            ..Default::default()
        })
        .await;
    let both = [harbour.clone(), weather.clone()];
    let newest = app
        .article(ArticleSpec {
            slug: "storm-closes-harbour",
            headline: "Storm closes the harbour",
            published_at: Some(now - Duration::hours(1)),
            authors: &[ann.clone(), bo.clone()],
            tags: &both,
            ..Default::default()
        })
        .await;
    app.article(ArticleSpec {
        slug: "draft-story",
        headline: "A draft nobody may see",
        status: ArticleStatus::Draft,
        published_at: Some(now - Duration::minutes(30)),
        authors: std::slice::from_ref(&ann),
        tags: &both,
        ..Default::default()
    })
    .await;
    app.article(ArticleSpec {
        slug: "scheduled-story",
        headline: "Scheduled for tomorrow",
        status: ArticleStatus::Scheduled,
        published_at: Some(now + Duration::days(1)),
        authors: std::slice::from_ref(&ann),
        tags: &both,
        ..Default::default()
    })
    .await;
    Fixture {
        app,
        ann,
        bo,
        harbour,
        weather,
        visible: vec![newest, tricky, oldest],
    }
}

const FORMATS: [(&str, &str); 3] = [
    ("feed.xml", "application/rss+xml; charset=utf-8"),
    ("atom.xml", "application/atom+xml; charset=utf-8"),
    ("feed.json", "application/feed+json; charset=utf-8"),
];

/// Fetches a feed, checks its status and content type, and parses it with feed-rs.
async fn fetch_feed(app: &TestApp, path: &str, content_type: &str) -> feed_rs::model::Feed {
    let res = app.get(path).await;
    assert_eq!(res.status(), 200, "{path}");
    assert_eq!(res.headers()["content-type"], content_type, "{path}");
    assert!(
        res.headers()["cache-control"]
            .to_str()
            .is_ok_and(|v| v.contains("max-age=")),
        "{path} has no cache-control"
    );
    let body = res.bytes().await.expect("body");
    feed_rs::parser::parse(&body[..]).unwrap_or_else(|e| panic!("{path} does not parse: {e}"))
}

fn titles(feed: &feed_rs::model::Feed) -> Vec<String> {
    feed.entries
        .iter()
        .map(|e| {
            e.title
                .as_ref()
                .map(|t| t.content.clone())
                .unwrap_or_default()
        })
        .collect()
}

fn headlines(articles: &[&Article]) -> Vec<String> {
    articles.iter().map(|a| a.headline.clone()).collect()
}

#[tokio::test]
async fn site_feeds_in_every_format_carry_visible_articles_newest_first() {
    let f = fixture().await;
    let expected: Vec<&Article> = f.visible.iter().collect();
    for (file, ct) in FORMATS {
        let feed = fetch_feed(&f.app, &format!("/{file}"), ct).await;
        assert_eq!(titles(&feed), headlines(&expected), "{file}");
        for (entry, article) in feed.entries.iter().zip(&expected) {
            let url = f.app.url(&format!("/articles/{}", article.slug));
            assert_eq!(entry.id, url, "{file}: id is the permalink");
            assert_eq!(
                entry.links.first().map(|l| l.href.as_str()),
                Some(url.as_str()),
                "{file}"
            );
            // Feeds carry whole seconds.
            assert_eq!(
                entry.published.map(|t| t.timestamp()),
                article.published_at.map(|t| t.timestamp()),
                "{file}: published"
            );
            assert!(entry.updated.is_some(), "{file}: updated");
            assert!(
                entry
                    .content
                    .as_ref()
                    .and_then(|c| c.body.as_deref())
                    .is_some_and(|b| b.contains("pier four")),
                "{file}: full content"
            );
            assert!(entry.summary.is_some(), "{file}: summary");
        }
        assert_eq!(
            feed.title.as_ref().map(|t| t.content.as_str()),
            Some("Test Desk"),
            "{file}"
        );
        assert_eq!(feed.language.as_deref(), Some("en"), "{file}");
        // JSON Feed has no feed-level date; RSS (lastBuildDate) and Atom do.
        assert!(
            feed.updated.is_some() || file == "feed.json",
            "{file}: feed updated"
        );
    }
}

#[tokio::test]
async fn headline_with_ampersand_and_angle_brackets_survives_every_format() {
    let f = fixture().await;
    for (file, ct) in FORMATS {
        let feed = fetch_feed(&f.app, &format!("/{file}"), ct).await;
        assert!(
            titles(&feed).iter().any(|t| t == TRICKY),
            "{file}: {:?}",
            titles(&feed)
        );
        let entry = feed
            .entries
            .iter()
            .find(|e| e.id.ends_with("/rates-and-taxes-rise"))
            .expect("entry");
        // RSS descriptions are HTML, so the plain-text standfirst travels entity-encoded there.
        let want = if file == "feed.xml" {
            "Councils blame &lt;costs&gt; &amp; inflation."
        } else {
            "Councils blame <costs> & inflation."
        };
        assert_eq!(
            entry.summary.as_ref().map(|s| s.content.as_str()),
            Some(want),
            "{file}"
        );
    }
}

#[tokio::test]
async fn rss_and_atom_declare_self_links_and_carry_authors_tags_and_image() {
    let f = fixture().await;
    let rss = f.app.get_text("/feed.xml").await.1;
    assert!(
        rss.contains(&format!(
            r#"<atom:link href="{}" rel="self""#,
            f.app.url("/feed.xml")
        )),
        "{rss}"
    );
    let size = SAMPLE_SVG.len();
    assert!(
        rss.contains(&format!(
            r#"<enclosure url="{}" length="{size}" type="image/svg+xml"/>"#,
            f.app.url("/uploads/crane.svg")
        )),
        "{rss}"
    );

    for (file, ct) in FORMATS {
        let feed = fetch_feed(&f.app, &format!("/{file}"), ct).await;
        let newest = &feed.entries[0];
        let names: Vec<_> = newest.authors.iter().map(|a| a.name.clone()).collect();
        assert!(
            names.iter().any(|n| n.as_deref() == Some("Ann Lee"))
                && names.iter().any(|n| n.as_deref() == Some("Bo Kim")),
            "{file}: {names:?}"
        );
        let cats: Vec<_> = newest
            .categories
            .iter()
            .map(|c| c.label.clone().unwrap_or_else(|| c.term.clone()))
            .collect();
        assert_eq!(cats, ["Harbour", "Weather"], "{file}");
        let crane = feed
            .entries
            .iter()
            .find(|e| e.id.ends_with("/harbour-crane-repaired"))
            .expect("crane");
        let image_url = f.app.url("/uploads/crane.svg");
        let has_image = crane
            .media
            .iter()
            .flat_map(|m| m.content.iter())
            .any(|c| c.url.as_ref().is_some_and(|u| u.as_str() == image_url))
            || crane
                .links
                .iter()
                .any(|l| l.rel.as_deref() == Some("enclosure") && l.href == image_url)
            || crane
                .media
                .iter()
                .flat_map(|m| m.thumbnails.iter())
                .any(|t| t.image.uri == image_url);
        // feed-rs does not read JSON Feed's `image`; that format is checked on the raw JSON below.
        assert!(
            has_image || file == "feed.json",
            "{file}: lead image missing: {:?} {:?}",
            crane.media,
            crane.links
        );
    }
    let json: serde_json::Value =
        serde_json::from_str(&f.app.get_text("/feed.json").await.1).expect("json");
    let crane = json["items"].as_array().and_then(|items| {
        items.iter().find(|i| {
            i["id"]
                .as_str()
                .is_some_and(|id| id.ends_with("/harbour-crane-repaired"))
        })
    });
    assert_eq!(
        crane.map(|c| c["image"].clone()),
        Some(serde_json::Value::String(f.app.url("/uploads/crane.svg")))
    );
}

#[tokio::test]
async fn tag_feeds_carry_only_that_tags_articles() {
    let f = fixture().await;
    for (tag, want) in [
        (
            &f.harbour,
            [
                "Storm closes the harbour",
                "Harbour crane repaired after storm",
            ]
            .as_slice(),
        ),
        (&f.weather, ["Storm closes the harbour", TRICKY].as_slice()),
    ] {
        for (file, ct) in FORMATS {
            let feed = fetch_feed(&f.app, &format!("/tags/{}/{file}", tag.slug), ct).await;
            assert_eq!(titles(&feed), want, "{} {file}", tag.slug);
            assert!(
                feed.title
                    .as_ref()
                    .is_some_and(|t| t.content.contains(&tag.name)),
                "{file}"
            );
        }
    }
}

#[tokio::test]
async fn author_feeds_carry_only_that_authors_articles() {
    let f = fixture().await;
    for (author, want) in [
        (
            &f.ann,
            [
                "Storm closes the harbour",
                "Harbour crane repaired after storm",
            ]
            .as_slice(),
        ),
        (&f.bo, ["Storm closes the harbour", TRICKY].as_slice()),
    ] {
        for (file, ct) in FORMATS {
            let feed = fetch_feed(&f.app, &format!("/authors/{}/{file}", author.slug), ct).await;
            assert_eq!(titles(&feed), want, "{} {file}", author.slug);
        }
    }
}

#[tokio::test]
async fn feeds_of_unknown_tags_and_authors_are_404() {
    let f = fixture().await;
    for path in [
        "/tags/no-such-tag/feed.xml",
        "/tags/no-such-tag/atom.xml",
        "/tags/no-such-tag/feed.json",
        "/authors/nobody/feed.xml",
        "/authors/nobody/feed.json",
        "/tags/Not%20A%20Slug/feed.xml",
    ] {
        assert_eq!(f.app.get(path).await.status(), 404, "{path}");
    }
}

#[tokio::test]
async fn feed_answers_304_to_its_own_etag() {
    let f = fixture().await;
    let first = f.app.get("/feed.xml").await;
    let etag = first.headers()["etag"].clone();
    let again = f
        .app
        .client
        .get(f.app.url("/feed.xml"))
        .header("if-none-match", etag)
        .send()
        .await
        .expect("request");
    assert_eq!(again.status(), 304);
}

/// Every element's text content, entities resolved, in document order; panics on malformed XML.
fn element_texts(xml: &str) -> Vec<(String, String)> {
    let mut reader = quick_xml::Reader::from_str(xml);
    let mut stack: Vec<String> = Vec::new();
    let mut text = String::new();
    let mut out = Vec::new();
    loop {
        match reader.read_event().expect("well-formed XML") {
            Event::Start(e) => {
                stack.push(String::from_utf8_lossy(e.name().as_ref()).into_owned());
                text.clear();
            }
            Event::Text(t) => text.push_str(&t.decode().expect("utf-8")),
            Event::GeneralRef(r) => match r.resolve_char_ref().expect("char ref") {
                Some(c) => text.push(c),
                None => {
                    let name = r.decode().expect("utf-8");
                    text.push_str(
                        quick_xml::escape::resolve_predefined_entity(&name)
                            .expect("predefined entity"),
                    );
                }
            },
            Event::End(_) => {
                let name = stack.pop().expect("balanced");
                out.push((name, std::mem::take(&mut text).trim().to_owned()));
            }
            Event::Eof => break,
            _ => {}
        }
    }
    out
}

fn texts_of(xml: &str, name: &str) -> Vec<String> {
    element_texts(xml)
        .into_iter()
        .filter(|(n, _)| n == name)
        .map(|(_, t)| t)
        .collect()
}

#[tokio::test]
async fn sitemap_lists_home_tags_authors_and_only_visible_articles() {
    let f = fixture().await;
    let res = f.app.get("/sitemap.xml").await;
    assert_eq!(res.status(), 200);
    assert_eq!(
        res.headers()["content-type"],
        "application/xml; charset=utf-8"
    );
    let xml = res.text().await.expect("body");
    let locs = texts_of(&xml, "loc");
    let mut want: Vec<String> = [
        "/",
        "/tags/harbour",
        "/tags/weather",
        "/authors/ann-lee",
        "/authors/bo-kim",
    ]
    .iter()
    .map(|p| f.app.url(p))
    .collect();
    want.extend(
        f.visible
            .iter()
            .map(|a| f.app.url(&format!("/articles/{}", a.slug))),
    );
    let mut got = locs.clone();
    got.sort();
    want.sort();
    assert_eq!(got, want);
    assert_eq!(
        texts_of(&xml, "lastmod").len(),
        locs.len(),
        "every URL has a lastmod here"
    );
}

#[tokio::test]
async fn split_sitemap_files_exist_and_bad_names_are_404() {
    let f = fixture().await;
    let (status, pages) = f.app.get_text("/sitemaps/pages.xml").await;
    assert_eq!(status, 200);
    assert!(texts_of(&pages, "loc").contains(&f.app.url("/tags/harbour")));
    let (status, articles) = f.app.get_text("/sitemaps/articles-1.xml").await;
    assert_eq!(status, 200);
    assert_eq!(texts_of(&articles, "loc").len(), 3);
    for bad in [
        "/sitemaps/articles-0.xml",
        "/sitemaps/articles-2.xml",
        "/sitemaps/articles-x.xml",
        "/sitemaps/other.xml",
    ] {
        assert_eq!(f.app.get(bad).await.status(), 404, "{bad}");
    }
}

#[tokio::test]
async fn news_sitemap_has_articles_of_the_last_two_days_only() {
    let f = fixture().await;
    f.app
        .article(ArticleSpec {
            slug: "three-days-old",
            headline: "Old news",
            published_at: Some(Utc::now() - Duration::days(3)),
            ..Default::default()
        })
        .await;
    f.app.invalidate();
    let (status, xml) = f.app.get_text("/news-sitemap.xml").await;
    assert_eq!(status, 200);
    let locs = texts_of(&xml, "loc");
    assert!(
        locs.contains(&f.app.url("/articles/storm-closes-harbour")),
        "{xml}"
    );
    assert!(
        !locs.contains(&f.app.url("/articles/three-days-old")),
        "{xml}"
    );
    assert!(
        !locs
            .iter()
            .any(|l| l.contains("draft-story") || l.contains("scheduled-story"))
    );
    assert_eq!(locs.len(), 3);
    assert!(texts_of(&xml, "news:title").contains(&TRICKY.to_owned()));
    assert!(texts_of(&xml, "news:name").iter().all(|n| n == "Test Desk"));
    assert!(texts_of(&xml, "news:language").iter().all(|n| n == "en"));
    assert_eq!(texts_of(&xml, "news:publication_date").len(), 3);
}

#[tokio::test]
async fn robots_txt_allows_all_but_the_api_and_names_the_sitemaps() {
    let app = spawn_app().await;
    let res = app.get("/robots.txt").await;
    assert_eq!(res.status(), 200);
    assert_eq!(res.headers()["content-type"], "text/plain; charset=utf-8");
    let body = res.text().await.expect("body");
    assert!(
        body.contains("User-agent: *\nAllow: /\nDisallow: /api/\n"),
        "{body}"
    );
    assert!(body.contains(&format!("Sitemap: {}\n", app.url("/sitemap.xml"))));
    assert!(body.contains(&format!("Sitemap: {}\n", app.url("/news-sitemap.xml"))));
}

#[tokio::test]
async fn a_tracking_pixel_reaches_neither_page_nor_feeds_and_footnotes_jump() {
    let app = spawn_app().await;
    let a = app
        .article(ArticleSpec {
            slug: "pixel-story",
            markdown: "The council met.[^minutes] ![](https://tracker.example/open.gif)\n\n<img src=\"https://tracker.example/p.png\" width=\"1\" height=\"1\">\n\n[^minutes]: The minutes of the meeting.\n",
            ..ArticleSpec::default()
        })
        .await;
    let (status, page) = app.get_text(&format!("/articles/{}", a.slug)).await;
    assert_eq!(status, 200);
    assert!(!page.contains("tracker.example"), "page");
    assert!(page.contains("href=\"#fn-minutes\""), "{page}");
    assert!(page.contains("id=\"fn-minutes\""), "{page}");
    for (file, _) in FORMATS {
        let (status, feed) = app.get_text(&format!("/{file}")).await;
        assert_eq!(status, 200, "{file}");
        assert!(
            feed.contains("council met"),
            "{file}: the body is in the feed"
        );
        assert!(!feed.contains("tracker.example"), "{file}: {feed}");
    }
}
