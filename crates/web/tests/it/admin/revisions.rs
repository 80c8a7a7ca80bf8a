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

#[tokio::test]
async fn revisions_are_numbered_per_article_and_the_diff_covers_tags_photo_and_byline() {
    let d = desk().await;
    let harbour = d.app.tag("harbour", "Harbour").await;
    let photo = d
        .app
        .photo("quay.svg", "The quay at night", "Desk photo")
        .await;
    // Another article's revision first, so global ids and per-article numbers differ.
    let other = draft_by(&d.app, &d.ben_author, "other-draft").await;
    d.app
        .store
        .record_revision(other.id, None, chrono::Utc::now())
        .await
        .expect("rev");
    let e = login(&d.app, "eddie@example.org").await;
    let r = post_form(
        &d.app,
        &e,
        "/admin/articles/new",
        &[
            ("headline", "Quay lights"),
            ("body_markdown", "Same text."),
            ("action", "save"),
        ],
    )
    .await;
    let path = r.headers()["location"].to_str().expect("loc").to_owned();
    let (t, p, a) = (
        harbour.id.to_string(),
        photo.id.to_string(),
        d.ana_author.id.to_string(),
    );
    let r = post_form(
        &d.app,
        &e,
        &path,
        &[
            ("headline", "Quay lights"),
            ("body_markdown", "Same text."),
            ("section", &t),
            ("tag", &t),
            ("lead_photo_id", &p),
            ("author", &a),
            ("action", "save"),
        ],
    )
    .await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let html = d
        .app
        .client
        .get(d.app.url(&format!("{path}/revisions")))
        .header(COOKIE, &e.cookie)
        .send()
        .await
        .expect("get")
        .text()
        .await
        .expect("body");
    assert!(html.contains("Changes from #1 to #2"), "{html}");
    assert!(
        html.contains("- Tags: none") && html.contains("+ Tags: Harbour"),
        "{html}"
    );
    assert!(html.contains("+ Section: Harbour"));
    assert!(html.contains(&format!("+ Lead photo: #{} The quay at night", photo.id)));
    assert!(html.contains("- Byline: none") && html.contains("+ Byline: Ana Ruiz"));
}
