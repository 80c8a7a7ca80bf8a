//! The article editor over real HTTP: who may publish or edit what, scheduling, and colleagues'
//! drafts staying closed to authors.

use std::time::Duration;

use chrono::Utc;
use newsdesk_core::accounts::Role;
use newsdesk_core::*;
use reqwest::StatusCode;
use reqwest::header::COOKIE;

use super::*;
use crate::common::{ArticleSpec, TestApp};

#[tokio::test]
async fn author_cannot_publish_or_edit_another_authors_article_on_the_site_but_an_editor_can() {
    let d = desk().await;
    let own = draft_by(&d.app, &d.ana_author, "anas-draft").await;
    let other = draft_by(&d.app, &d.ben_author, "bens-draft").await;
    let s = login(&d.app, "ana@example.org").await;
    let edit = |h: &'static str| {
        vec![
            ("headline", h),
            ("standfirst", "s"),
            ("body_markdown", "Body."),
        ]
    };

    let mut f = edit("Ana edits her own");
    f.push(("action", "save"));
    let r = post_form(&d.app, &s, &format!("/admin/articles/{}", own.id), &f).await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    assert_eq!(
        d.app
            .store
            .article(own.id)
            .await
            .expect("a")
            .expect("a")
            .headline,
        "Ana edits her own"
    );

    let mut f = edit("Ana publishes");
    f.push(("action", "publish"));
    let r = post_form(&d.app, &s, &format!("/admin/articles/{}", own.id), &f).await;
    assert_eq!(r.status(), StatusCode::FORBIDDEN);
    assert_eq!(
        d.app
            .store
            .article(own.id)
            .await
            .expect("a")
            .expect("a")
            .status,
        ArticleStatus::Draft
    );

    let mut f = edit("Ana rewrites Ben");
    f.push(("action", "save"));
    let r = post_form(&d.app, &s, &format!("/admin/articles/{}", other.id), &f).await;
    assert_eq!(r.status(), StatusCode::FORBIDDEN);
    assert_eq!(
        d.app
            .store
            .article(other.id)
            .await
            .expect("a")
            .expect("a")
            .headline,
        other.headline
    );
    let r = d
        .app
        .client
        .get(d.app.url("/admin/users"))
        .header(COOKIE, &s.cookie)
        .send()
        .await
        .expect("get");
    assert_eq!(r.status(), StatusCode::FORBIDDEN);

    let e = login(&d.app, "eddie@example.org").await;
    let mut f = edit("Editor publishes Ben");
    f.push(("action", "publish"));
    let r = post_form(&d.app, &e, &format!("/admin/articles/{}", other.id), &f).await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let a = d.app.store.article(other.id).await.expect("a").expect("a");
    assert_eq!(
        (a.status, a.headline.as_str()),
        (ArticleStatus::Published, "Editor publishes Ben")
    );
    let (status, page) = d.app.get_text(&format!("/articles/{}", a.slug)).await;
    assert_eq!(status, StatusCode::OK);
    assert!(page.contains("Editor publishes Ben"));
    let revs = d.app.store.revisions(other.id).await.expect("revs");
    assert_eq!(revs[0].editor_id, Some(d.eddie.id));
}

#[tokio::test]
async fn a_scheduled_article_appears_at_its_time_and_not_before() {
    let d = desk().await;
    let (_, t) = token(&d.app, &d.eddie).await;
    let at = Utc::now() + chrono::Duration::seconds(3);
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
    let path = "/articles/ferry-timetable-changes";
    let (s, _) = d.app.get_text(path).await;
    assert_eq!(s, StatusCode::NOT_FOUND, "not before its time");
    let deadline = std::time::Instant::now() + Duration::from_secs(20);
    loop {
        let (s, body) = d.app.get_text(path).await;
        if s == StatusCode::OK {
            assert!(Utc::now() >= at, "appeared early");
            assert!(body.contains("Ferry timetable changes"));
            break;
        }
        assert!(std::time::Instant::now() < deadline, "never appeared");
        tokio::time::sleep(Duration::from_millis(250)).await;
    }
}

#[tokio::test]
async fn an_author_can_neither_open_nor_preview_a_colleagues_draft() {
    let app = TestApp::spawn().await;
    let ana_profile = app.author("ana-ruiz", "Ana Ruiz").await;
    let ben_profile = app.author("ben-okafor", "Ben Okafor").await;
    user(&app, "ana@example.org", Role::Author, Some(&ana_profile)).await;
    let bens = app
        .article(ArticleSpec {
            slug: "council-budget-leak",
            headline: "Council budget leak, unconfirmed",
            status: ArticleStatus::Draft,
            authors: std::slice::from_ref(&ben_profile),
            ..Default::default()
        })
        .await;
    let ana = login(&app, "ana@example.org").await;
    let path = format!("/admin/articles/{}", bens.id);
    let r = app
        .client
        .get(app.url(&path))
        .header(COOKIE, &ana.cookie)
        .send()
        .await
        .expect("get");
    assert_eq!(r.status(), StatusCode::FORBIDDEN);
    let r = post_form(
        &app,
        &ana,
        &path,
        &[
            ("headline", "x"),
            ("body_markdown", "y"),
            ("action", "preview"),
        ],
    )
    .await;
    assert_eq!(r.status(), StatusCode::FORBIDDEN);
    assert!(
        !r.text()
            .await
            .expect("body")
            .contains("Council budget leak")
    );
}
