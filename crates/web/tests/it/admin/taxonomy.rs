//! Editing tags and authors in the admin over real HTTP: who may, what the public pages show
//! straight after (the page cache is dropped), and slugs that public articles link to staying put.

use newsdesk_core::ArticleStatus;
use newsdesk_core::accounts::Role;
use reqwest::StatusCode;
use reqwest::header::COOKIE;

use crate::admin::{login, post_form, user};
use crate::common::{ArticleSpec, TestApp};

async fn staff(app: &TestApp) {
    user(app, "eddie@example.org", Role::Editor, None).await;
    user(app, "ana@example.org", Role::Author, None).await;
}

#[tokio::test]
async fn an_editor_renames_a_tag_and_its_public_pages_show_it_at_once() {
    let app = TestApp::spawn().await;
    staff(&app).await;
    let tag = app.tag("harbour", "Harbour").await;
    app.article(ArticleSpec {
        tags: std::slice::from_ref(&tag),
        ..Default::default()
    })
    .await;
    // Both pages are rendered and cached before the edit.
    let (status, before) = app.get_text("/tags/harbour").await;
    assert_eq!(status, StatusCode::OK);
    assert!(before.contains("Harbour") && !before.contains("Port &amp; Harbour"));
    assert!(
        app.get_text("/articles/harbour-crane-repaired")
            .await
            .1
            .contains(">Harbour<")
    );
    let e = login(&app, "eddie@example.org").await;
    let form = app
        .client
        .get(app.url(&format!("/admin/tags/{}", tag.id)))
        .header(COOKIE, &e.cookie)
        .send()
        .await
        .expect("get");
    assert_eq!(form.status(), StatusCode::OK);
    assert!(
        form.text()
            .await
            .expect("body")
            .contains("value=\"harbour\"")
    );
    let r = post_form(
        &app,
        &e,
        &format!("/admin/tags/{}", tag.id),
        &[
            ("name", "Port & Harbour"),
            ("slug", "harbour"),
            (
                "description",
                "Ships, cranes and the people who work the quays.",
            ),
        ],
    )
    .await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let (_, page) = app.get_text("/tags/harbour").await;
    assert!(page.contains("Port &amp; Harbour"), "{page}");
    assert!(page.contains("Ships, cranes and the people who work the quays."));
    let (_, article) = app.get_text("/articles/harbour-crane-repaired").await;
    assert!(article.contains("Port &amp; Harbour"));
    let saved = app.store.list_tags().await.expect("tags");
    assert_eq!(saved[0].name, "Port & Harbour");
}

#[tokio::test]
async fn authors_may_not_edit_tags_or_author_profiles() {
    let app = TestApp::spawn().await;
    staff(&app).await;
    let tag = app.tag("harbour", "Harbour").await;
    let who = app.author("ben-okafor", "Ben Okafor").await;
    let a = login(&app, "ana@example.org").await;
    for (path, fields) in [
        (
            format!("/admin/tags/{}", tag.id),
            [("name", "Docks"), ("slug", "docks"), ("description", "")],
        ),
        (
            format!("/admin/authors/{}", who.id),
            [
                ("name", "B. Okafor"),
                ("slug", "b-okafor"),
                ("description", ""),
            ],
        ),
    ] {
        let page = app
            .client
            .get(app.url(&path))
            .header(COOKIE, &a.cookie)
            .send()
            .await
            .expect("get");
        assert_eq!(page.status(), StatusCode::FORBIDDEN, "GET {path}");
        let r = post_form(&app, &a, &path, &fields).await;
        assert_eq!(r.status(), StatusCode::FORBIDDEN, "POST {path}");
    }
    assert_eq!(
        app.store.list_tags().await.expect("tags")[0].name,
        "Harbour"
    );
    let b = app.store.list_authors().await.expect("authors");
    assert_eq!(
        (b[0].name.as_str(), b[0].slug.as_str()),
        ("Ben Okafor", "ben-okafor")
    );
}

#[tokio::test]
async fn a_slug_that_published_articles_link_to_stays_but_an_unused_one_can_change() {
    let app = TestApp::spawn().await;
    staff(&app).await;
    let used = app.tag("harbour", "Harbour").await;
    let unused = app.tag("ferris", "Ferris").await;
    app.article(ArticleSpec {
        tags: std::slice::from_ref(&used),
        ..Default::default()
    })
    .await;
    // A draft is not public: it does not pin the slug.
    app.article(ArticleSpec {
        slug: "ferry-draft",
        status: ArticleStatus::Draft,
        tags: std::slice::from_ref(&unused),
        ..Default::default()
    })
    .await;
    let e = login(&app, "eddie@example.org").await;
    let r = post_form(
        &app,
        &e,
        &format!("/admin/tags/{}", used.id),
        &[
            ("name", "Harbour news"),
            ("slug", "harbour-news"),
            ("description", ""),
        ],
    )
    .await;
    assert_eq!(r.status(), StatusCode::CONFLICT);
    let html = r.text().await.expect("body");
    assert!(
        html.contains("published articles link to /tags/harbour"),
        "{html}"
    );
    assert!(
        html.contains("value=\"Harbour news\""),
        "what was typed is kept"
    );
    assert_eq!(app.get_text("/tags/harbour").await.0, StatusCode::OK);
    let tags = app.store.list_tags().await.expect("tags");
    assert!(
        tags.iter()
            .any(|t| t.slug.as_str() == "harbour" && t.name == "Harbour"),
        "nothing changed"
    );

    let r = post_form(
        &app,
        &e,
        &format!("/admin/tags/{}", unused.id),
        &[
            ("name", "Ferries"),
            ("slug", "ferries"),
            ("description", ""),
        ],
    )
    .await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let tags = app.store.list_tags().await.expect("tags");
    assert!(
        tags.iter()
            .any(|t| t.slug.as_str() == "ferries" && t.name == "Ferries")
    );
    assert_eq!(app.get_text("/tags/ferries").await.0, StatusCode::OK);
    assert_eq!(app.get_text("/tags/ferris").await.0, StatusCode::NOT_FOUND);

    // Another tag's slug is refused with the form again.
    let r = post_form(
        &app,
        &e,
        &format!("/admin/tags/{}", unused.id),
        &[
            ("name", "Ferries"),
            ("slug", "harbour"),
            ("description", ""),
        ],
    )
    .await;
    assert_eq!(r.status(), StatusCode::CONFLICT);
    assert!(
        r.text()
            .await
            .expect("body")
            .contains("Another tag has that slug")
    );
}

#[tokio::test]
async fn an_editor_updates_an_authors_name_and_bio_on_their_public_page() {
    let app = TestApp::spawn().await;
    staff(&app).await;
    let ben = app.author("ben-okafor", "Ben Okafor").await;
    app.article(ArticleSpec {
        authors: std::slice::from_ref(&ben),
        ..Default::default()
    })
    .await;
    assert!(
        app.get_text("/authors/ben-okafor")
            .await
            .1
            .contains("Ben Okafor covers the city")
    );
    let e = login(&app, "eddie@example.org").await;
    let path = format!("/admin/authors/{}", ben.id);
    let r = post_form(
        &app,
        &e,
        &path,
        &[
            ("name", "Benedict Okafor"),
            ("slug", "ben-okafor"),
            ("description", "Benedict reports on transport and the port."),
        ],
    )
    .await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let (status, page) = app.get_text("/authors/ben-okafor").await;
    assert_eq!(status, StatusCode::OK);
    assert!(
        page.contains("Benedict Okafor")
            && page.contains("Benedict reports on transport and the port.")
    );
    assert!(!page.contains("covers the city"));
    // Bylined on a published article: the slug stays.
    let r = post_form(
        &app,
        &e,
        &path,
        &[
            ("name", "Benedict Okafor"),
            ("slug", "benedict-okafor"),
            ("description", ""),
        ],
    )
    .await;
    assert_eq!(r.status(), StatusCode::CONFLICT);
    let r = post_form(
        &app,
        &e,
        &path,
        &[("name", "  "), ("slug", ""), ("description", "")],
    )
    .await;
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let saved = app
        .store
        .author_by_slug(&ben.slug)
        .await
        .expect("load")
        .expect("still there");
    assert_eq!(saved.name, "Benedict Okafor");
    assert_eq!(saved.bio, "Benedict reports on transport and the port.");
}

async fn patch(
    app: &TestApp,
    token: &str,
    id: i64,
    body: serde_json::Value,
) -> (StatusCode, serde_json::Value) {
    let path = format!("/api/v1/articles/{id}");
    crate::admin::api(app, reqwest::Method::PATCH, &path, token, body).await
}

#[tokio::test]
async fn a_public_articles_slug_stays_but_a_drafts_can_change() {
    let app = TestApp::spawn().await;
    let editor = user(&app, "eddie@example.org", Role::Editor, None).await;
    let (_, t) = crate::admin::token(&app, &editor).await;
    let public = app.article(ArticleSpec::default()).await;
    let draft = app
        .article(ArticleSpec {
            slug: "ferry-draft",
            status: ArticleStatus::Draft,
            ..Default::default()
        })
        .await;
    let (status, v) = patch(
        &app,
        &t,
        public.id,
        serde_json::json!({"slug": "crane-fixed"}),
    )
    .await;
    assert_eq!(status, StatusCode::CONFLICT);
    assert!(
        v["error"]["message"]
            .as_str()
            .is_some_and(|m| m.contains("/articles/harbour-crane-repaired")),
        "{v}"
    );
    assert_eq!(
        app.get_text("/articles/harbour-crane-repaired").await.0,
        StatusCode::OK
    );
    // Other edits to a public article go through; so does a slug change once it is a draft.
    let (status, _) = patch(
        &app,
        &t,
        public.id,
        serde_json::json!({"headline": "Crane fixed"}),
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    let (status, v) = patch(
        &app,
        &t,
        draft.id,
        serde_json::json!({"slug": "ferry-timetable"}),
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(v["slug"], "ferry-timetable");
    let (status, _) = patch(&app, &t, public.id, serde_json::json!({"status": "draft"})).await;
    assert_eq!(status, StatusCode::OK);
    let (status, v) = patch(
        &app,
        &t,
        public.id,
        serde_json::json!({"slug": "crane-fixed"}),
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(v["slug"], "crane-fixed");
}

#[tokio::test]
async fn the_author_form_sets_a_portrait_and_links_and_refuses_a_line_that_is_no_link() {
    let d = crate::admin::desk().await;
    let photo = d.app.photo("ana.svg", "Ana Ruiz", "Desk photo").await;
    let s = crate::admin::login(&d.app, "root@example.org").await;
    let path = format!("/admin/authors/{}", d.ana_author.id);
    let pid = photo.id.to_string();
    let r = crate::admin::post_form(
        &d.app,
        &s,
        &path,
        &[
            ("name", "Ana Ruiz"),
            ("description", "Covers the port."),
            ("photo_id", &pid),
            (
                "links",
                "Mastodon | https://social.example/@ana\nhttps://ana.example/",
            ),
        ],
    )
    .await;
    assert_eq!(r.status(), reqwest::StatusCode::SEE_OTHER);
    let a = d
        .app
        .store
        .author_by_slug(&d.ana_author.slug)
        .await
        .expect("read")
        .expect("author");
    assert_eq!(a.photo.map(|p| p.id), Some(photo.id));
    let links: Vec<(&str, &str)> = a
        .links
        .iter()
        .map(|l| (l.label.as_str(), l.url.as_str()))
        .collect();
    assert_eq!(
        links,
        [
            ("Mastodon", "https://social.example/@ana"),
            ("ana.example", "https://ana.example/")
        ]
    );
    let r = crate::admin::post_form(
        &d.app,
        &s,
        &path,
        &[
            ("name", "Ana Ruiz"),
            ("photo_id", &pid),
            ("links", "my blog"),
        ],
    )
    .await;
    assert_eq!(r.status(), reqwest::StatusCode::UNPROCESSABLE_ENTITY);
    let page = r.text().await.expect("body");
    assert!(
        page.contains("Links, line 1") && page.contains(">my blog</textarea>"),
        "{page}"
    );
}
