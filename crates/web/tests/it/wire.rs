//! Wire-desk stories on the site: an article made from a story cluster names the other agencies
//! that carried it, with links to their versions.

#![allow(clippy::unwrap_used)]

use chrono::Utc;
use newsdesk_core::ingest::{CompletedItem, NewItem, NewSource, RawPage, Story};
use newsdesk_core::{ArticleStatus, NewArticle, Slug, Store};

use crate::common::TestApp;

async fn wire_story(store: &dyn Store, agency: &str, url: &str, join: Option<i64>) -> (i64, i64) {
    wire_story_titled(store, agency, url, "Ferry crews strike", join).await
}

/// A story stored by `agency` with this headline, in cluster `join` or a new one: (cluster,
/// article).
pub(crate) async fn wire_story_titled(
    store: &dyn Store,
    agency: &str,
    url: &str,
    headline: &str,
    join: Option<i64>,
) -> (i64, i64) {
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
                categories: Vec::new(),
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
                headline: headline.to_owned(),
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
            byline: Vec::new(),
            tags: Vec::new(),
            lead_photo: None,
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
    // The headline's slug as it is: a number only on a clash.
    let slug = "ferry-crews-strike";
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

pub(crate) mod api {
    use chrono::Utc;
    use newsdesk_core::EmailAddress;
    use newsdesk_core::accounts::{self, NewUser, Role};
    use reqwest::StatusCode;
    use serde_json::{Value, json};

    use crate::common::TestApp;

    pub(crate) async fn token_for(app: &TestApp, email: &str, role: Role) -> String {
        let user = app
            .store
            .create_user(
                &NewUser {
                    email: EmailAddress::parse(email).unwrap(),
                    name: "Desk".into(),
                    role,
                    // Never used to log in: the tests speak with API tokens only.
                    password_hash: "$argon2id$v=19$m=19456,t=2,p=1$c2FsdHNhbHQ$aGFzaA".into(),
                    author_id: None,
                },
                Utc::now(),
            )
            .await
            .unwrap();
        let t = accounts::new_secret_token(accounts::API_TOKEN_PREFIX);
        app.store
            .create_api_token(user.id, "test", &accounts::token_hash(&t), Utc::now())
            .await
            .unwrap();
        t
    }

    pub(crate) async fn call(
        app: &TestApp,
        method: reqwest::Method,
        path: &str,
        token: Option<&str>,
        body: Option<Value>,
    ) -> (StatusCode, Value) {
        let mut req = app.client.request(method, app.url(path));
        if let Some(t) = token {
            req = req.bearer_auth(t);
        }
        if let Some(b) = body {
            req = req.json(&b);
        }
        let r = req.send().await.unwrap();
        let status = r.status();
        let text = r.text().await.unwrap();
        (status, serde_json::from_str(&text).unwrap_or(Value::Null))
    }

    #[tokio::test]
    async fn sources_api_adds_lists_pauses_and_removes_for_admins_only() {
        let app = TestApp::spawn().await;
        let admin = token_for(&app, "admin@desk.test", Role::Admin).await;
        let author = token_for(&app, "author@desk.test", Role::Author).await;
        use reqwest::Method as M;

        let (s, _) = call(&app, M::GET, "/api/v1/sources", None, None).await;
        assert_eq!(s, StatusCode::UNAUTHORIZED);
        let (s, b) = call(&app, M::GET, "/api/v1/sources", Some(&author), None).await;
        assert_eq!(s, StatusCode::FORBIDDEN);
        assert_eq!(b["error"]["code"], "forbidden");

        let (s, b) = call(
            &app,
            M::POST,
            "/api/v1/sources",
            Some(&admin),
            Some(json!({"url": "https://wire.example/feed.xml", "auto_publish": true, "interval": "30m", "name": "Wire"})),
        )
        .await;
        assert_eq!(s, StatusCode::CREATED, "{b}");
        let id = b["id"].as_i64().unwrap();
        assert_eq!(b["interval_seconds"], 1800);
        assert_eq!(b["auto_publish"], true);

        let (s, b) = call(
            &app,
            M::POST,
            "/api/v1/sources",
            Some(&admin),
            Some(json!({"url": "https://wire.example/feed.xml"})),
        )
        .await;
        assert_eq!(s, StatusCode::CONFLICT, "{b}");
        let (s, b) = call(
            &app,
            M::POST,
            "/api/v1/sources",
            Some(&admin),
            Some(json!({"url": "file:///etc/passwd"})),
        )
        .await;
        assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{b}");
        assert!(b["error"]["message"].as_str().unwrap().contains("http(s)"));
        let (s, b) = call(
            &app,
            M::POST,
            "/api/v1/sources",
            Some(&admin),
            Some(json!({"url": "https://x.example/", "interval": "soon"})),
        )
        .await;
        assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{b}");

        let (s, b) = call(
            &app,
            M::PATCH,
            &format!("/api/v1/sources/{id}"),
            Some(&admin),
            Some(json!({"paused": true})),
        )
        .await;
        assert_eq!(s, StatusCode::OK, "{b}");
        assert_eq!(b["paused"], true);
        let (s, b) = call(&app, M::GET, "/api/v1/sources", Some(&admin), None).await;
        assert_eq!(s, StatusCode::OK);
        assert_eq!(b.as_array().unwrap().len(), 1);
        let (s, b) = call(
            &app,
            M::GET,
            &format!("/api/v1/sources/{id}/items"),
            Some(&admin),
            None,
        )
        .await;
        assert_eq!((s, b), (StatusCode::OK, json!([])));

        let (s, _) = call(
            &app,
            M::DELETE,
            &format!("/api/v1/sources/{id}"),
            Some(&admin),
            None,
        )
        .await;
        assert_eq!(s, StatusCode::NO_CONTENT);
        let (s, b) = call(
            &app,
            M::GET,
            &format!("/api/v1/sources/{id}"),
            Some(&admin),
            None,
        )
        .await;
        assert_eq!(s, StatusCode::NOT_FOUND);
        assert_eq!(b["error"]["code"], "not_found");
    }
}
