//! The public pages over HTTP: every page type shows what a reader needs, lists paginate without
//! repeats, hidden articles stay hidden, markup in content is shown as text, unknown things 404.

use chrono::{Duration, Utc};
use newsdesk_core::{Article, ArticleStatus, Author, Link, NewAuthor, Slug, Tag};
use reqwest::StatusCode;

use crate::common::{ArticleSpec, TestApp};

pub async fn spawn() -> TestApp {
    // reqwest is built without a TLS provider and wants one installed even for plain HTTP.
    let _ = rustls::crypto::ring::default_provider().install_default();
    let mut app = TestApp::spawn().await;
    // Look at what the server really sent: no transparent decompression.
    app.client = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .no_gzip()
        .no_brotli()
        .build()
        .expect("client");
    app
}

const QUOTE_MD: &str = "The harbour stayed closed on Tuesday.\n\n\
> We will not reopen until the sea wall is checked.\n>\n> — Ana Ruiz, harbour master, in a statement\n\n\
> Boats are safe, crews are home.\n>\n> — Port of Tamsel, in a post on X\n";

struct Fixture {
    app: TestApp,
    ann: Author,
    harbour: Tag,
    main: Article,
    related: Article,
}

async fn fixture() -> Fixture {
    let app = spawn().await;
    let photo = app.photo("ann.svg", "Ann Lee", "Newsdesk").await;
    let ann = app
        .store
        .create_author(&NewAuthor {
            slug: Slug::parse("ann-lee").expect("slug"),
            name: "Ann Lee".into(),
            bio: "Ann Lee covers the harbour and the weather.".into(),
            photo_id: Some(photo.id),
            links: vec![
                Link {
                    label: "Mastodon".into(),
                    url: "https://social.example/@ann".into(),
                },
                Link {
                    label: "Bad".into(),
                    url: "javascript:alert(1)".into(),
                },
            ],
        })
        .await
        .expect("author");
    let bo = app.author("bo-kim", "Bo Kim").await;
    let harbour = app.tag("harbour", "Harbour").await;
    let weather = app.tag("weather", "Weather").await;
    let crane = app
        .photo(
            "crane.svg",
            "The crane at dawn",
            "Mara Quist / Northwind Wire",
        )
        .await;
    let now = Utc::now();
    let related = app
        .article(ArticleSpec {
            slug: "harbour-crane-repaired",
            published_at: Some(now - Duration::hours(5)),
            authors: std::slice::from_ref(&bo),
            tags: std::slice::from_ref(&harbour),
            photo: Some(&crane),
            ..Default::default()
        })
        .await;
    app.article(ArticleSpec {
        slug: "weather-only",
        headline: "Rain all week",
        published_at: Some(now - Duration::hours(4)),
        tags: std::slice::from_ref(&weather),
        ..Default::default()
    })
    .await;
    let main = app
        .article(ArticleSpec {
            slug: "storm-closes-harbour",
            headline: "Storm closes the harbour",
            standfirst: "Ships wait offshore as the sea wall is inspected.",
            markdown: QUOTE_MD,
            published_at: Some(now - Duration::hours(1)),
            authors: &[ann.clone(), bo.clone()],
            tags: &[harbour.clone(), weather.clone()],
            photo: Some(&crane),
            important: true,
            ..Default::default()
        })
        .await;
    Fixture {
        app,
        ann,
        harbour,
        main,
        related,
    }
}

fn ok(status: StatusCode, body: &str) {
    assert_eq!(status, StatusCode::OK, "{body}");
}

/// The JSON inside `<script type="application/ld+json">`.
fn jsonld(html: &str) -> serde_json::Value {
    let start_tag = "<script type=\"application/ld+json\">";
    let start = html.find(start_tag).expect("JSON-LD script") + start_tag.len();
    let end = start + html[start..].find("</script>").expect("end of script");
    serde_json::from_str(&html[start..end]).expect("JSON-LD parses")
}

/// The `href` of the first `<a ... rel="next">`.
fn next_link(html: &str) -> Option<String> {
    let at = html.find("\" rel=\"next\">")?;
    let start = html[..at].rfind("href=\"")? + "href=\"".len();
    Some(html[start..at].replace("&amp;", "&"))
}

/// Article paths linked from list cards, in page order.
fn card_links(html: &str) -> Vec<String> {
    html.split("class=\"card-title\"><a href=\"")
        .skip(1)
        .filter_map(|s| s.split('"').next())
        .map(str::to_owned)
        .collect()
}

fn meta(html: &str, property: &str) -> Option<String> {
    let needle = format!("property=\"{property}\" content=\"");
    let start = html.find(&needle)? + needle.len();
    Some(html[start..].split('"').next()?.to_owned())
}

#[tokio::test]
async fn home_shows_top_stories_then_latest_with_feed_links() {
    let f = fixture().await;
    let (status, html) = f.app.get_text("/").await;
    ok(status, &html);
    assert!(html.starts_with("<!doctype html>"));
    assert!(html.contains("<html lang=\"en\">"));
    let top = html.find("Top stories").expect("top stories section");
    let latest = html.find("id=\"latest-heading\"").expect("latest section");
    assert!(top < latest);
    let main_link = html
        .find("/articles/storm-closes-harbour")
        .expect("important story linked");
    assert!(
        main_link > top && main_link < latest,
        "the important story is a top story"
    );
    // Listed once: a top story is not repeated under Latest.
    assert_eq!(
        card_links(&html)
            .iter()
            .filter(|l| *l == "/articles/storm-closes-harbour")
            .count(),
        1
    );
    assert!(card_links(&html).contains(&"/articles/harbour-crane-repaired".to_owned()));
    assert!(html.contains("<link rel=\"alternate\" type=\"application/rss+xml\""));
    for feed in ["/feed.xml", "/atom.xml", "/feed.json"] {
        assert!(
            html.contains(&format!("href=\"{feed}\">")),
            "{feed} linked from head"
        );
    }
    assert!(html.contains(&format!(
        "<link rel=\"canonical\" href=\"{}/\">",
        f.app.base
    )));
    assert!(html.contains("<main id=\"main\""));
    assert!(html.contains("<nav aria-label=\"Sections\">"));
    assert!(html.contains("href=\"#main\""), "skip link");
    assert!(html.contains("loading=\"lazy\""), "list images load lazily");
    assert!(html.contains("action=\"/newsletter\""), "newsletter box");
    assert_eq!(html.matches("<h1").count(), 1);
}

#[tokio::test]
async fn article_page_shows_story_photo_quotes_related_newsletter_and_author_box() {
    let f = fixture().await;
    let (status, html) = f.app.get_text("/articles/storm-closes-harbour").await;
    ok(status, &html);
    assert_eq!(html.matches("<h1").count(), 1);
    assert!(html.contains("<h1>Storm closes the harbour</h1>"));
    assert!(html.contains("Ships wait offshore as the sea wall is inspected."));
    // Byline links to each author page.
    assert!(html.contains("<a href=\"/authors/ann-lee\" rel=\"author\">Ann Lee</a>"));
    assert!(html.contains("<a href=\"/authors/bo-kim\" rel=\"author\">Bo Kim</a>"));
    // Dates as machine-readable <time>.
    let published = f.main.published_at.expect("published");
    let iso = published.to_rfc3339_opts(chrono::SecondsFormat::Secs, true);
    assert!(
        html.contains(&format!("<time datetime=\"{iso}\">")),
        "published time"
    );
    // Lead photo: figure with caption and credit, eager, with dimensions.
    let fig_start = html
        .find("<figure class=\"lead-photo\">")
        .expect("lead figure");
    let fig =
        &html[fig_start..fig_start + html[fig_start..].find("</figure>").expect("figure end")];
    assert!(fig.contains("src=\"/uploads/crane.svg\""));
    assert!(fig.contains("alt=\"Illustration: The crane at dawn\""));
    assert!(fig.contains("width=\"1200\" height=\"800\""));
    assert!(
        !fig.contains("loading=\"lazy\""),
        "the lead photo is not lazy"
    );
    assert!(fig.contains("<figcaption>"));
    assert!(fig.contains("The crane at dawn"));
    assert!(fig.contains("<span class=\"credit\">Mara Quist / Northwind Wire</span>"));
    // Attributed quotes as figures with <cite>.
    assert!(html.contains("<figure class=\"quote\">"), "{html}");
    assert!(html.contains("<cite>Ana Ruiz</cite>"));
    assert!(
        html.contains("quote-social"),
        "a post on X is a social quote"
    );
    // Tags, related, newsletter, author box.
    assert!(html.contains("<a href=\"/tags/harbour\" rel=\"tag\">Harbour</a>"));
    let related = html.find("You may also like").expect("related section");
    let related_html = &html[related..];
    assert!(related_html.contains("/articles/harbour-crane-repaired"));
    assert!(!card_links(related_html).contains(&"/articles/storm-closes-harbour".to_owned()));
    assert!(html.contains("<form method=\"post\" action=\"/newsletter\""));
    assert!(html.contains("<label for=\"newsletter-email\">"));
    assert!(html.contains("About the authors"));
    assert!(html.contains("Ann Lee covers the harbour and the weather."));
    assert!(html.contains("href=\"https://social.example/@ann\""));
    assert!(
        !html.contains("javascript:"),
        "unsafe author links are dropped"
    );
}

#[tokio::test]
async fn article_head_has_canonical_open_graph_twitter_and_news_article_jsonld() {
    let f = fixture().await;
    let (status, html) = f.app.get_text("/articles/storm-closes-harbour").await;
    ok(status, &html);
    let canonical = f.app.url("/articles/storm-closes-harbour");
    assert!(html.contains(&format!("<link rel=\"canonical\" href=\"{canonical}\">")));
    assert_eq!(meta(&html, "og:type").as_deref(), Some("article"));
    assert_eq!(
        meta(&html, "og:title").as_deref(),
        Some("Storm closes the harbour")
    );
    assert_eq!(meta(&html, "og:url").as_deref(), Some(canonical.as_str()));
    assert_eq!(
        meta(&html, "og:image"),
        Some(f.app.url("/uploads/crane.svg"))
    );
    assert!(meta(&html, "og:description").is_some());
    assert!(meta(&html, "article:published_time").is_some());
    assert!(html.contains("<meta name=\"twitter:card\" content=\"summary_large_image\">"));

    let ld = jsonld(&html);
    assert_eq!(ld["@context"], "https://schema.org");
    assert_eq!(ld["@type"], "NewsArticle");
    assert_eq!(ld["headline"], "Storm closes the harbour");
    assert_eq!(ld["image"][0], f.app.url("/uploads/crane.svg"));
    let published = f.main.published_at.expect("published");
    let parsed =
        chrono::DateTime::parse_from_rfc3339(ld["datePublished"].as_str().expect("datePublished"))
            .expect("RFC 3339");
    assert_eq!(parsed.timestamp(), published.timestamp());
    assert!(ld["dateModified"].as_str().is_some());
    assert_eq!(ld["author"][0]["@type"], "Person");
    assert_eq!(ld["author"][0]["name"], "Ann Lee");
    assert_eq!(ld["author"][0]["url"], f.app.url("/authors/ann-lee"));
    assert_eq!(ld["author"][1]["name"], "Bo Kim");
    assert_eq!(ld["publisher"]["@type"], "Organization");
    assert_eq!(ld["publisher"]["name"], f.app.state.site.publisher.as_str());
    assert_eq!(ld["mainEntityOfPage"]["@id"], canonical.as_str());
}

#[tokio::test]
async fn author_page_shows_profile_feeds_and_their_articles() {
    let f = fixture().await;
    let (status, html) = f.app.get_text("/authors/ann-lee").await;
    ok(status, &html);
    assert!(html.contains("<h1>Ann Lee</h1>"));
    let main = &html[html.find("<main").unwrap_or(0)..];
    let main = &main[..main.find("</main>").unwrap_or(main.len())];
    assert_eq!(
        main.matches(">Ann Lee<").count(),
        1,
        "the name once, in the heading: {main}"
    );
    assert!(
        !html.contains("<nav class=\"pager\""),
        "no pager when there is no other page"
    );
    assert!(html.contains("Ann Lee covers the harbour and the weather."));
    assert!(html.contains("src=\"/uploads/ann.svg\""), "author photo");
    for feed in [
        "/authors/ann-lee/feed.xml",
        "/authors/ann-lee/atom.xml",
        "/authors/ann-lee/feed.json",
    ] {
        assert!(html.contains(&format!("href=\"{feed}\">")), "{feed}");
    }
    let links = card_links(&html);
    assert_eq!(
        links,
        vec!["/articles/storm-closes-harbour".to_owned()],
        "only Ann's articles"
    );
    assert_eq!(f.ann.slug.as_str(), "ann-lee");
}

#[tokio::test]
async fn tag_page_lists_the_section_with_its_feeds() {
    let f = fixture().await;
    let (status, html) = f.app.get_text("/tags/harbour").await;
    ok(status, &html);
    assert!(html.contains("<h1>Harbour</h1>"));
    assert!(
        html.contains("aria-current=\"page\""),
        "current section marked in nav"
    );
    for feed in [
        "/tags/harbour/feed.xml",
        "/tags/harbour/atom.xml",
        "/tags/harbour/feed.json",
    ] {
        assert!(html.contains(&format!("href=\"{feed}\">")), "{feed}");
    }
    assert_eq!(
        card_links(&html),
        vec![
            format!("/articles/{}", f.main.slug),
            format!("/articles/{}", f.related.slug)
        ],
        "newest first, only tagged articles"
    );
    assert_eq!(f.harbour.slug.as_str(), "harbour");
}

/// Follows `rel="next"` links from `start` and returns every article path seen, page by page.
async fn walk(app: &TestApp, start: &str) -> Vec<Vec<String>> {
    let mut pages = Vec::new();
    let mut next = Some(start.to_owned());
    while let Some(path) = next {
        let (status, html) = app.get_text(&path).await;
        ok(status, &html);
        pages.push(card_links(&html));
        next = next_link(&html);
        assert!(pages.len() < 10, "pagination does not end");
    }
    pages
}

#[tokio::test]
async fn home_tag_and_author_lists_paginate_without_repeats() {
    let app = spawn().await;
    let ann = app.author("ann-lee", "Ann Lee").await;
    let tag = app.tag("city", "City").await;
    let now = Utc::now();
    let mut slugs = Vec::new();
    for i in 0..25 {
        let slug = format!("story-{i:02}");
        let headline = format!("Story number {i}");
        app.article(ArticleSpec {
            slug: &slug,
            headline: &headline,
            published_at: Some(now - Duration::minutes(10 + i)),
            authors: std::slice::from_ref(&ann),
            tags: std::slice::from_ref(&tag),
            ..Default::default()
        })
        .await;
        slugs.push(format!("/articles/{slug}"));
    }
    for start in ["/", "/tags/city", "/authors/ann-lee"] {
        let pages = walk(&app, start).await;
        assert_eq!(pages.len(), 2, "{start}: 25 articles make two pages");
        assert_eq!(pages[0].len(), 20, "{start}");
        let all: Vec<String> = pages.concat();
        assert_eq!(
            all, slugs,
            "{start}: newest first, every article once, second page older"
        );
    }
    // The second page links back to the first and is itself a different page.
    let (_, first) = app.get_text("/").await;
    let second_url = next_link(&first).expect("next link");
    assert!(second_url.starts_with("/?before="));
    let (_, second) = app.get_text(&second_url).await;
    assert!(second.contains("Older stories"));
    assert!(second.contains("<a href=\"/\">Newest stories</a>"));
}

#[tokio::test]
async fn malformed_page_cursor_is_a_client_error() {
    let app = spawn().await;
    let (status, html) = app.get_text("/?before=not-a-cursor").await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert!(
        html.contains("<main id=\"main\""),
        "rendered as an error page"
    );
}

#[tokio::test]
async fn unknown_slugs_and_routes_give_the_404_page() {
    let f = fixture().await;
    for path in [
        "/articles/no-such-story",
        "/authors/nobody",
        "/tags/nothing",
        "/articles/Not_A_Slug",
        "/no/such/route",
        "/static/site.css",
    ] {
        let (status, html) = f.app.get_text(path).await;
        assert_eq!(status, StatusCode::NOT_FOUND, "{path}");
        assert!(html.contains("<h1>Page not found</h1>"), "{path}: {html}");
        assert!(html.contains("<meta name=\"robots\" content=\"noindex\">"));
        assert!(
            !html.contains("rel=\"canonical\""),
            "{path}: an error page has no canonical URL"
        );
        assert!(html.contains("<main id=\"main\""));
    }
}

#[tokio::test]
async fn markup_in_headline_standfirst_and_author_name_is_shown_as_text() {
    let app = spawn().await;
    let evil = app
        .author("evil-author", "<script>alert(1)</script> Eve")
        .await;
    let tag = app
        .tag("politics", "<script>alert(1)</script> Politics")
        .await;
    app.article(ArticleSpec {
        slug: "evil-story",
        headline: "<script>alert(1)</script> Mayor resigns",
        standfirst: "<script>alert(1)</script> \"quoted\" & more",
        markdown: "Body text.\n\n<script>alert(1)</script>\n",
        authors: std::slice::from_ref(&evil),
        tags: std::slice::from_ref(&tag),
        ..Default::default()
    })
    .await;
    for path in [
        "/articles/evil-story",
        "/",
        "/authors/evil-author",
        "/tags/politics",
    ] {
        let (status, html) = app.get_text(path).await;
        ok(status, &html);
        assert!(
            html.contains("&lt;script&gt;alert(1)&lt;/script&gt;"),
            "{path}: escaped text present"
        );
        assert!(!html.contains("<script>alert"), "{path}: no raw script");
    }
    let (_, html) = app.get_text("/articles/evil-story").await;
    let ld = jsonld(&html);
    assert_eq!(
        ld["headline"], "<script>alert(1)</script> Mayor resigns",
        "JSON-LD keeps the text"
    );
    assert_eq!(ld["author"][0]["name"], "<script>alert(1)</script> Eve");
}

#[tokio::test]
async fn drafts_and_scheduled_articles_are_404_and_absent_from_lists() {
    let app = spawn().await;
    let ann = app.author("ann-lee", "Ann Lee").await;
    let tag = app.tag("city", "City").await;
    let now = Utc::now();
    app.article(ArticleSpec {
        slug: "visible-story",
        headline: "Visible story",
        authors: std::slice::from_ref(&ann),
        tags: std::slice::from_ref(&tag),
        ..Default::default()
    })
    .await;
    app.article(ArticleSpec {
        slug: "draft-story",
        headline: "Secret draft",
        status: ArticleStatus::Draft,
        published_at: Some(now - Duration::minutes(5)),
        authors: std::slice::from_ref(&ann),
        tags: std::slice::from_ref(&tag),
        important: true,
        ..Default::default()
    })
    .await;
    app.article(ArticleSpec {
        slug: "future-story",
        headline: "Embargoed story",
        status: ArticleStatus::Scheduled,
        published_at: Some(now + Duration::days(1)),
        authors: std::slice::from_ref(&ann),
        tags: std::slice::from_ref(&tag),
        important: true,
        ..Default::default()
    })
    .await;
    for path in ["/articles/draft-story", "/articles/future-story"] {
        let (status, html) = app.get_text(path).await;
        assert_eq!(status, StatusCode::NOT_FOUND, "{path}");
        assert!(html.contains("Page not found"));
    }
    for path in [
        "/",
        "/tags/city",
        "/authors/ann-lee",
        "/articles/visible-story",
    ] {
        let (status, html) = app.get_text(path).await;
        ok(status, &html);
        assert!(
            !html.contains("Secret draft") && !html.contains("Embargoed story"),
            "{path}"
        );
        assert!(
            !html.contains("draft-story") && !html.contains("future-story"),
            "{path}"
        );
    }
}

#[tokio::test]
async fn navigation_lists_sections_most_used_first_not_every_tag() {
    let app = TestApp::spawn().await;
    // "Aardvarks" sorts first by name but is never a section; "Weather" heads one story,
    // "Harbour" two; "Zoning" only a draft.
    let aardvarks = app.tag("aardvarks", "Aardvarks").await;
    let harbour = app.tag("harbour", "Harbour").await;
    let weather = app.tag("weather", "Weather").await;
    let zoning = app.tag("zoning", "Zoning").await;
    let now = Utc::now();
    for (slug, tags, status) in [
        (
            "h1",
            vec![harbour.clone(), aardvarks.clone()],
            ArticleStatus::Published,
        ),
        ("h2", vec![harbour.clone()], ArticleStatus::Published),
        (
            "w1",
            vec![weather.clone(), aardvarks.clone()],
            ArticleStatus::Published,
        ),
        ("z1", vec![zoning.clone()], ArticleStatus::Draft),
    ] {
        app.article(ArticleSpec {
            slug,
            published_at: Some(now - Duration::hours(1)),
            tags: &tags,
            status,
            ..Default::default()
        })
        .await;
    }
    let (status, html) = app.get_text("/").await;
    ok(status, &html);
    let nav = html
        .split("<nav aria-label=\"Sections\">")
        .nth(1)
        .and_then(|s| s.split("</nav>").next())
        .expect("the sections nav");
    let order: Vec<&str> = ["/tags/harbour", "/tags/weather"]
        .into_iter()
        .filter(|href| nav.contains(href))
        .collect();
    assert_eq!(order, ["/tags/harbour", "/tags/weather"], "{nav}");
    assert!(
        nav.find("/tags/harbour") < nav.find("/tags/weather"),
        "most used first: {nav}"
    );
    assert!(!nav.contains("/tags/aardvarks"), "not a section: {nav}");
    assert!(!nav.contains("/tags/zoning"), "only a draft: {nav}");
}
