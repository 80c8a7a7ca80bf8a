//! Revisions over real HTTP: diffs and restoring old text.

use newsdesk_core::*;
use reqwest::StatusCode;
use reqwest::header::COOKIE;

use super::*;

#[tokio::test]
async fn revisions_show_a_diff_and_restore_saves_the_old_text_again() {
    let d = desk().await;
    let e = login(&d.app, "eddie@example.org").await;
    let r = post_form(
        &d.app,
        &e,
        "/admin/articles/new",
        &[
            ("headline", "Library hours"),
            ("body_markdown", "Open until six.\n"),
            ("action", "save"),
        ],
    )
    .await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let loc = r.headers()["location"].to_str().expect("loc").to_owned();
    let id: Id = loc.rsplit('/').next().expect("id").parse().expect("id");
    let r = post_form(
        &d.app,
        &e,
        &loc,
        &[
            ("headline", "Library hours extended"),
            ("body_markdown", "Open until eight.\n"),
            ("action", "save"),
        ],
    )
    .await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let r = d
        .app
        .client
        .get(d.app.url(&format!("{loc}/revisions")))
        .header(COOKIE, &e.cookie)
        .send()
        .await
        .expect("get");
    let html = r.text().await.expect("body");
    assert!(html.contains("- Open until six."), "{html}");
    assert!(html.contains("+ Open until eight."));
    let revs = d.app.store.revisions(id).await.expect("revs");
    assert_eq!(revs.len(), 2);
    let r = post_form(
        &d.app,
        &e,
        &format!("/admin/articles/{id}/restore/{}", revs[1].id),
        &[],
    )
    .await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let a = d.app.store.article(id).await.expect("a").expect("a");
    assert_eq!(
        (a.headline.as_str(), a.body_markdown.as_str()),
        ("Library hours", "Open until six.\n")
    );
    assert_eq!(d.app.store.revisions(id).await.expect("revs").len(), 3);
}
