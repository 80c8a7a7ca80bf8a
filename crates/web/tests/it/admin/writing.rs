//! Writing as a newsroom does (issue 12): long and non-Latin stories from the editor and the
//! API, the section as its own field, scheduled articles going live through the job queue, the
//! API reading unpublished work, bylines, and the editor keeping what was typed when a request
//! fails.

use std::sync::Arc;
use std::time::Duration;

use chrono::Utc;
use newsdesk_core::*;
use reqwest::StatusCode;
use reqwest::header::COOKIE;

use super::*;
use crate::common::{ArticleSpec, TestApp};

/// About 2,000 words of Ukrainian-looking text of our own: every letter is two UTF-8 bytes,
/// six bytes once form-encoded.
fn long_cyrillic_body(words: usize) -> String {
    let vocabulary = [
        "рада",
        "ухвалила",
        "бюджет",
        "місто",
        "школа",
        "лікарня",
        "дорога",
        "міст",
        "вода",
        "тепло",
        "зима",
        "громада",
        "депутати",
        "сесія",
        "рішення",
        "кошти",
        "ремонт",
    ];
    let mut out = String::new();
    for i in 0..words {
        out.push_str(vocabulary[i % vocabulary.len()]);
        out.push(if i % 14 == 13 { '.' } else { ' ' });
        if i % 140 == 139 {
            out.push_str("\n\n");
        }
    }
    out
}

async fn stored(app: &TestApp, id: Id) -> Article {
    app.store.article(id).await.expect("read").expect("article")
}

fn id_from_location(r: &reqwest::Response) -> Id {
    r.headers()["location"]
        .to_str()
        .expect("location")
        .rsplit('/')
        .next()
        .and_then(|s| s.parse().ok())
        .expect("article id in the redirect")
}

#[tokio::test]
async fn a_long_ukrainian_article_over_64_kib_form_encoded_is_saved_from_the_editor() {
    let d = desk().await;
    let s = login(&d.app, "eddie@example.org").await;
    let body = long_cyrillic_body(2_600);
    let form_len = enc(&[("body_markdown", body.as_str())]).len();
    assert!(
        form_len > 64 * 1024,
        "the test needs a big body: {form_len}"
    );
    let r = post_form(
        &d.app,
        &s,
        "/admin/articles/new",
        &[
            ("headline", "Рада ухвалила бюджет"),
            ("body_markdown", &body),
            ("action", "save"),
        ],
    )
    .await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let a = stored(&d.app, id_from_location(&r)).await;
    assert_eq!(a.body_markdown, body);
    assert_eq!(a.slug.as_str(), "rada-ukhvalila-biudzhet");
}

#[tokio::test]
async fn a_body_past_the_request_limit_answers_413_with_a_page_that_says_what_happened() {
    let d = desk().await;
    let s = login(&d.app, "eddie@example.org").await;
    let huge = "я".repeat(newsdesk_web::newsroom::MAX_ARTICLE_REQUEST_BYTES / 4);
    let r = post_form(
        &d.app,
        &s,
        "/admin/articles/new",
        &[("headline", "Too long"), ("body_markdown", &huge)],
    )
    .await;
    assert_eq!(r.status(), StatusCode::PAYLOAD_TOO_LARGE);
    let page = r.text().await.expect("body");
    assert!(page.contains("larger than this form takes"), "{page}");
    assert!(page.contains("nothing was saved"));
}

#[tokio::test]
async fn a_body_over_the_editors_character_limit_comes_back_in_the_editor_with_the_limit() {
    let d = desk().await;
    let s = login(&d.app, "eddie@example.org").await;
    let body = "ж".repeat(newsdesk_web::newsroom::MAX_BODY + 1);
    let r = post_form(
        &d.app,
        &s,
        "/admin/articles/new",
        &[("headline", "Just over"), ("body_markdown", &body)],
    )
    .await;
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let page = r.text().await.expect("body");
    assert!(
        page.contains("the most an article can have is 200000"),
        "limit named"
    );
    assert!(page.contains(&body[..600]), "the text is kept");
}

#[tokio::test]
async fn a_refused_publish_or_a_bad_publish_time_re_renders_the_editor_with_the_text() {
    let d = desk().await;
    let own = draft_by(&d.app, &d.ana_author, "anas-draft").await;
    let ana = login(&d.app, "ana@example.org").await;
    let path = format!("/admin/articles/{}", own.id);
    let text = "Paragraph the author typed and must not lose.";
    let r = post_form(
        &d.app,
        &ana,
        &path,
        &[
            ("headline", "Ana tries to publish"),
            ("body_markdown", text),
            ("action", "publish"),
        ],
    )
    .await;
    assert_eq!(r.status(), StatusCode::FORBIDDEN);
    let page = r.text().await.expect("body");
    assert!(
        page.contains(text) && page.contains("does not allow"),
        "{page}"
    );
    assert!(
        page.contains("class=\"editor\""),
        "the editor, not an error page"
    );

    let eddie = login(&d.app, "eddie@example.org").await;
    let r = post_form(
        &d.app,
        &eddie,
        &path,
        &[
            ("headline", "Eddie schedules"),
            ("body_markdown", text),
            ("publish_at", "next tuesday"),
            ("action", "publish"),
        ],
    )
    .await;
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let page = r.text().await.expect("body");
    assert!(page.contains(text) && page.contains("Publish at"), "{page}");
    assert!(page.contains("YYYY-MM-DDTHH:MM"));
    assert_eq!(stored(&d.app, own.id).await.status, ArticleStatus::Draft);
}

#[tokio::test]
async fn non_latin_and_punctuation_only_headlines_get_a_slug_in_form_and_api() {
    let d = desk().await;
    let (_, t) = token(&d.app, &d.eddie).await;
    let (s, a) = api(
        &d.app,
        reqwest::Method::POST,
        "/api/v1/articles",
        &t,
        serde_json::json!({"headline": "Η Αθήνα ψηφίζει", "body_markdown": "Κείμενο."}),
    )
    .await;
    assert_eq!(s, StatusCode::CREATED, "{a}");
    assert_eq!(a["slug"], "e-athena-psephizei");

    let (s, a) = api(
        &d.app,
        reqwest::Method::POST,
        "/api/v1/articles",
        &t,
        serde_json::json!({"headline": "!!! ???", "body_markdown": "Only punctuation."}),
    )
    .await;
    assert_eq!(s, StatusCode::CREATED, "{a}");
    assert_eq!(a["slug"], format!("article-{}", a["id"]));

    let e = login(&d.app, "eddie@example.org").await;
    let r = post_form(
        &d.app,
        &e,
        "/admin/articles/new",
        &[
            ("headline", "Łódź: Straße über Ærø"),
            ("slug", "Київ вночі"),
            ("action", "save"),
        ],
    )
    .await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    assert_eq!(
        stored(&d.app, id_from_location(&r)).await.slug.as_str(),
        "kiyiv-vnochi"
    );
}

#[tokio::test]
async fn the_section_is_the_one_chosen_in_its_field_not_the_first_tag() {
    let d = desk().await;
    let arts = d.app.tag("arts", "Arts").await;
    let zoning = d.app.tag("zoning", "Zoning").await;
    let e = login(&d.app, "eddie@example.org").await;
    let (a, z) = (arts.id.to_string(), zoning.id.to_string());
    let r = post_form(
        &d.app,
        &e,
        "/admin/articles/new",
        &[
            ("headline", "Gallery wins a planning appeal"),
            ("section", &z),
            ("tag", &a),
            ("tag", &z),
            ("action", "save"),
        ],
    )
    .await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let id = id_from_location(&r);
    assert_eq!(
        stored(&d.app, id).await.section.map(|t| t.id),
        Some(zoning.id)
    );
    let page = d
        .app
        .client
        .get(d.app.url(&format!("/admin/articles/{id}")))
        .header(COOKIE, &e.cookie)
        .send()
        .await
        .expect("get")
        .text()
        .await
        .expect("body");
    assert!(page.contains(&format!("<option value=\"{z}\" selected>Zoning</option>")));

    let (_, t) = token(&d.app, &d.eddie).await;
    let (s, v) = api(
        &d.app,
        reqwest::Method::PATCH,
        &format!("/api/v1/articles/{id}"),
        &t,
        serde_json::json!({"section_id": arts.id}),
    )
    .await;
    assert_eq!(s, StatusCode::OK, "{v}");
    assert_eq!(v["section_id"], arts.id);
    assert_eq!(
        stored(&d.app, id).await.section.map(|t| t.id),
        Some(arts.id)
    );
}

#[tokio::test]
async fn a_scheduled_article_is_published_by_the_job_queue_and_fires_article_published_then() {
    let d = desk().await;
    d.app
        .store
        .create_webhook("http://127.0.0.1:9/hook", "whsec_test", Utc::now())
        .await
        .expect("hook");
    let (_, t) = token(&d.app, &d.eddie).await;
    let at = Utc::now() + chrono::Duration::seconds(2);
    let (s, a) = api(
        &d.app,
        reqwest::Method::POST,
        "/api/v1/articles",
        &t,
        serde_json::json!({
            "headline": "Ferry timetable changes", "body_markdown": "From Monday.",
            "status": "published", "published_at": at.to_rfc3339(),
        }),
    )
    .await;
    assert_eq!(s, StatusCode::CREATED, "{a}");
    assert_eq!(a["status"], "scheduled");
    let id = a["id"].as_i64().expect("id");
    assert!(
        d.app
            .store
            .list_webhook_deliveries(10)
            .await
            .expect("d")
            .is_empty(),
        "nothing fires at scheduling time"
    );

    let jobs: Arc<dyn newsdesk_core::jobs::JobStore> = d.app.store.clone();
    let cache = d.app.state.cache.clone();
    let publisher = newsdesk_core::publishing::ScheduledPublisher::new(
        d.app.store.clone(),
        d.app.base.clone(),
        Arc::new(move || cache.invalidate_all()),
    );
    let worker = newsdesk_core::jobs::Worker::new(jobs, "scheduler-test")
        .handle(newsdesk_core::publishing::QUEUE, Arc::new(publisher));
    worker.run_once().await.expect("run");
    assert_eq!(
        stored(&d.app, id).await.status,
        ArticleStatus::Scheduled,
        "not before its time"
    );
    let deadline = std::time::Instant::now() + Duration::from_secs(20);
    while stored(&d.app, id).await.status != ArticleStatus::Published {
        assert!(std::time::Instant::now() < deadline, "never published");
        tokio::time::sleep(Duration::from_millis(200)).await;
        worker.run_once().await.expect("run");
    }
    assert!(Utc::now() >= at);
    let ds = d.app.store.list_webhook_deliveries(10).await.expect("d");
    assert_eq!(ds.len(), 1, "one event, at go-live");
    assert_eq!(ds[0].event, "article.published");
    let payload: serde_json::Value = serde_json::from_str(&ds[0].payload).expect("json");
    assert_eq!(payload["article"]["status"], "published");
    let (s, v) = api(
        &d.app,
        reqwest::Method::GET,
        &format!("/api/v1/articles/{id}"),
        &t,
        serde_json::Value::Null,
    )
    .await;
    assert_eq!(
        (s, v["status"].as_str()),
        (StatusCode::OK, Some("published"))
    );
}

#[tokio::test]
async fn an_editor_token_reads_drafts_and_a_status_filter_is_refused_not_ignored() {
    let d = desk().await;
    let draft = draft_by(&d.app, &d.ben_author, "bens-draft").await;
    let (_, t) = token(&d.app, &d.eddie).await;
    let path = format!("/api/v1/articles/{}", draft.id);
    let (s, v) = api(
        &d.app,
        reqwest::Method::GET,
        &path,
        &t,
        serde_json::Value::Null,
    )
    .await;
    assert_eq!(s, StatusCode::OK, "{v}");
    assert_eq!(
        (v["status"].as_str(), v["id"].as_i64()),
        (Some("draft"), Some(draft.id))
    );
    let anonymous = d.app.get("/api/v1/articles/bens-draft").await;
    assert_eq!(anonymous.status(), StatusCode::NOT_FOUND);

    let (_, ana_t) = token(&d.app, &d.ana).await;
    let (s, _) = api(
        &d.app,
        reqwest::Method::GET,
        &path,
        &ana_t,
        serde_json::Value::Null,
    )
    .await;
    assert_eq!(
        s,
        StatusCode::NOT_FOUND,
        "a colleague's draft stays closed to an author"
    );

    let r = d.app.get("/api/v1/articles?status=draft").await;
    assert_eq!(r.status(), StatusCode::BAD_REQUEST);
    let v: serde_json::Value = r.json().await.expect("json");
    assert!(
        v["error"]["message"]
            .as_str()
            .unwrap_or("")
            .starts_with("status:")
    );
    assert_eq!(
        d.app
            .get("/api/v1/articles?status=published")
            .await
            .status(),
        StatusCode::OK
    );
}

#[tokio::test]
async fn an_author_changing_the_byline_through_the_api_gets_403_and_nothing_changes() {
    let d = desk().await;
    let own = draft_by(&d.app, &d.ana_author, "anas-draft").await;
    let (_, t) = token(&d.app, &d.ana).await;
    let (s, v) = api(
        &d.app,
        reqwest::Method::PATCH,
        &format!("/api/v1/articles/{}", own.id),
        &t,
        serde_json::json!({"author_ids": [d.ben_author.id], "headline": "Changed"}),
    )
    .await;
    assert_eq!(s, StatusCode::FORBIDDEN, "{v}");
    let a = stored(&d.app, own.id).await;
    assert_eq!(a.headline, own.headline);
    assert_eq!(a.authors[0].id, d.ana_author.id);
    let (s, _) = api(
        &d.app,
        reqwest::Method::PATCH,
        &format!("/api/v1/articles/{}", own.id),
        &t,
        serde_json::json!({"author_ids": [d.ana_author.id], "headline": "Her own byline"}),
    )
    .await;
    assert_eq!(s, StatusCode::OK);
}

#[tokio::test]
async fn a_bad_publish_date_in_the_api_names_the_field_and_the_format() {
    let d = desk().await;
    let (_, t) = token(&d.app, &d.eddie).await;
    let (s, v) = api(
        &d.app,
        reqwest::Method::POST,
        "/api/v1/articles",
        &t,
        serde_json::json!({"headline": "Dated", "status": "published", "published_at": "01/05/2026 9am"}),
    )
    .await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{v}");
    let m = v["error"]["message"].as_str().unwrap_or("");
    assert!(
        m.starts_with("published_at:") && m.contains("RFC 3339"),
        "{m}"
    );
    assert_eq!(
        d.app.store.count_articles().await.expect("n"),
        0,
        "nothing created"
    );
}

#[tokio::test]
async fn an_article_with_no_byline_goes_out_under_the_sites_publisher() {
    let d = desk().await;
    let (_, t) = token(&d.app, &d.eddie).await;
    let (s, _) = api(
        &d.app,
        reqwest::Method::POST,
        "/api/v1/articles",
        &t,
        serde_json::json!({"headline": "Nobody signed this", "status": "published"}),
    )
    .await;
    assert_eq!(s, StatusCode::CREATED);
    let (s, page) = d.app.get_text("/articles/nobody-signed-this").await;
    assert_eq!(s, StatusCode::OK);
    assert!(!page.contains("\"author\":[]"), "{page}");
    assert!(
        page.contains("\"author\":[{\"@type\":\"Organization\""),
        "{page}"
    );
    let publisher = d.app.state.site.publisher.clone();
    assert!(page.contains(&format!("By {publisher}</p>")));
}

#[tokio::test]
async fn authors_see_colleagues_published_work_but_not_their_draft_headlines() {
    let d = desk().await;
    draft_by(&d.app, &d.ana_author, "anas-draft").await;
    d.app
        .article(ArticleSpec {
            slug: "bens-secret-draft",
            headline: "Ben's unannounced scoop",
            status: ArticleStatus::Draft,
            authors: std::slice::from_ref(&d.ben_author),
            ..Default::default()
        })
        .await;
    d.app
        .article(ArticleSpec {
            slug: "bens-published",
            headline: "Ben's published piece",
            authors: std::slice::from_ref(&d.ben_author),
            ..Default::default()
        })
        .await;
    let list = |s: Session| {
        let app = &d.app;
        async move {
            app.client
                .get(app.url("/admin"))
                .header(COOKIE, &s.cookie)
                .send()
                .await
                .expect("get")
                .text()
                .await
                .expect("body")
        }
    };
    let ana = list(login(&d.app, "ana@example.org").await).await;
    assert!(!ana.contains("unannounced scoop"));
    assert!(ana.contains("Ben&#39;s published piece") || ana.contains("Ben's published piece"));
    assert!(ana.contains("Quay lights to be replaced"), "her own draft");
    let eddie = list(login(&d.app, "eddie@example.org").await).await;
    assert!(
        eddie.contains("unannounced scoop"),
        "editors see every draft"
    );
}

#[tokio::test]
async fn the_article_list_is_sorted_by_the_date_it_shows() {
    let d = desk().await;
    let now = Utc::now();
    for (slug, headline, hours) in [
        ("middle", "Middle story", 5),
        ("oldest", "Oldest story", 48),
        ("newest", "Newest story", 1),
    ] {
        let a = d
            .app
            .article(ArticleSpec {
                slug,
                headline,
                published_at: Some(now - chrono::Duration::hours(hours)),
                ..Default::default()
            })
            .await;
        // Touch the oldest last, so an order by last edit would put it first.
        let _ = a;
    }
    let oldest = d
        .app
        .store
        .visible_article_by_slug(&Slug::parse("oldest").expect("slug"), now)
        .await
        .expect("read")
        .expect("article");
    d.app
        .store
        .set_article_status(
            oldest.id,
            ArticleStatus::Published,
            oldest.published_at,
            now,
        )
        .await
        .expect("touch");
    let s = login(&d.app, "eddie@example.org").await;
    let page = d
        .app
        .client
        .get(d.app.url("/admin"))
        .header(COOKIE, &s.cookie)
        .send()
        .await
        .expect("get")
        .text()
        .await
        .expect("body");
    let at = |h: &str| page.find(h).unwrap_or_else(|| panic!("{h} listed"));
    assert!(at("Newest story") < at("Middle story"));
    assert!(at("Middle story") < at("Oldest story"));
}

#[tokio::test]
async fn publish_at_is_shown_and_read_in_the_sites_time_zone() {
    let app = TestApp::spawn_with(|state| {
        let mut site = (*state.site).clone();
        site.timezone = "Europe/Kyiv".into();
        state.site = std::sync::Arc::new(site);
    })
    .await;
    user(&app, "eddie@example.org", Role::Editor, None).await;
    let e = login(&app, "eddie@example.org").await;
    let r = post_form(
        &app,
        &e,
        "/admin/articles/new",
        &[
            ("headline", "Budget vote next summer"),
            ("publish_at", "2099-07-01T09:30"),
            ("action", "publish"),
        ],
    )
    .await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let id = id_from_location(&r);
    let a = stored(&app, id).await;
    assert_eq!(a.status, ArticleStatus::Scheduled);
    assert_eq!(
        a.published_at.map(|t| t.to_rfc3339()).as_deref(),
        Some("2099-07-01T06:30:00+00:00")
    );
    let page = app
        .client
        .get(app.url(&format!("/admin/articles/{id}")))
        .header(COOKIE, &e.cookie)
        .send()
        .await
        .expect("get")
        .text()
        .await
        .expect("body");
    assert!(
        page.contains("value=\"2099-07-01T09:30\""),
        "shown in Kyiv time"
    );
    assert!(page.contains("Publish at (Europe/Kyiv"));
}

#[tokio::test]
async fn a_photo_uploaded_from_inside_the_editor_is_picked_and_the_text_is_kept() {
    let d = desk().await;
    let e = login(&d.app, "eddie@example.org").await;
    let text = "Text typed before the photo was chosen.";
    let fields = [
        ("csrf", e.csrf.as_str()),
        ("headline", "Harbour at dawn"),
        ("body_markdown", text),
        ("alt", "Cranes against a pale sky"),
        ("caption", "The harbour at dawn"),
        ("credit", "Desk photo"),
        ("action", "upload"),
    ];
    let (ct, body) = multipart(&fields, &sample_png(320, 200), "dawn.png", "image/png");
    let r = d
        .app
        .client
        .post(d.app.url("/admin/articles/photo"))
        .header(COOKIE, &e.cookie)
        .header("origin", &d.app.base)
        .header("content-type", ct)
        .body(body)
        .send()
        .await
        .expect("upload");
    assert_eq!(r.status(), StatusCode::OK);
    let page = r.text().await.expect("body");
    assert!(page.contains(text), "the text is kept");
    let photo = d.app.store.list_photos(1).await.expect("photos").remove(0);
    assert_eq!(photo.caption, "The harbour at dawn");
    assert!(page.contains(&format!(
        "name=\"lead_photo_id\" value=\"{}\" checked",
        photo.id
    )));
    assert_eq!(
        d.app.store.count_articles().await.expect("n"),
        0,
        "nothing saved yet"
    );
}
