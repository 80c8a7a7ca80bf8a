//! The story desk page over real HTTP: editors see the clusters and correct them.

use reqwest::StatusCode;
use reqwest::header::COOKIE;

use super::*;
use crate::wire::wire_story_titled;

#[tokio::test]
async fn stories_page_lists_clusters_and_editors_merge_move_out_and_choose_the_lead() {
    let d = desk().await;
    let store = d.app.store.as_ref();
    let (story, _) = wire_story_titled(
        store,
        "Northwind Wire",
        "https://northwind.example/s/1",
        "Ferry crews strike",
        None,
    )
    .await;
    let (other, _) = wire_story_titled(
        store,
        "Harbour <Press>",
        "https://harbour.example/s/9",
        "Crews walk out",
        None,
    )
    .await;
    let author = login(&d.app, "ana@example.org").await;
    let r = d
        .app
        .client
        .get(d.app.url("/admin/stories"))
        .header(COOKIE, &author.cookie)
        .send()
        .await
        .expect("get");
    assert_eq!(r.status(), StatusCode::FORBIDDEN);
    let r = post_form(
        &d.app,
        &author,
        &format!("/admin/stories/{story}/merge"),
        &[("from", &other.to_string())],
    )
    .await;
    assert_eq!(r.status(), StatusCode::FORBIDDEN);

    let editor = login(&d.app, "eddie@example.org").await;
    let r = d
        .app
        .client
        .get(d.app.url("/admin/stories"))
        .header(COOKIE, &editor.cookie)
        .send()
        .await
        .expect("get");
    assert_eq!(r.status(), StatusCode::OK);
    let html = r.text().await.expect("body");
    assert!(html.contains("aria-current=\"page\">Stories</a>"), "{html}");
    assert!(html.contains("Harbour &lt;Press&gt;"), "{html}");
    assert!(html.contains("https://northwind.example/s/1"), "{html}");
    assert!(
        html.contains(&format!("/admin/stories/{story}/merge")),
        "{html}"
    );

    // A form without the CSRF token changes nothing.
    let r = d
        .app
        .client
        .post(d.app.url(&format!("/admin/stories/{story}/merge")))
        .header(COOKIE, &editor.cookie)
        .header("origin", &d.app.base)
        .header("content-type", "application/x-www-form-urlencoded")
        .body(enc(&[("from", &other.to_string())]))
        .send()
        .await
        .expect("post");
    assert!(r.status().is_client_error());
    assert!(store.story(other).await.expect("story").is_some());

    let r = post_form(
        &d.app,
        &editor,
        &format!("/admin/stories/{story}/merge"),
        &[("from", &other.to_string())],
    )
    .await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let merged = store.story(story).await.expect("story").expect("kept");
    assert_eq!(merged.members.len(), 2);
    assert!(store.story(other).await.expect("story").is_none());
    let harbour = merged
        .members
        .iter()
        .find(|m| m.source == "Harbour <Press>")
        .expect("member")
        .item_id;

    let r = post_form(
        &d.app,
        &editor,
        &format!("/admin/stories/{story}/lead"),
        &[("item_id", &harbour.to_string())],
    )
    .await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let led = store.story(story).await.expect("story").expect("kept");
    assert_eq!(led.lead_item_id, Some(harbour));

    let r = post_form(
        &d.app,
        &editor,
        &format!("/admin/stories/{story}/split"),
        &[("item_id", &harbour.to_string())],
    )
    .await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let rest = store.story(story).await.expect("story").expect("kept");
    assert_eq!(rest.members.len(), 1);
    let audit = store.list_audit(None, 20).await.expect("audit");
    let events: Vec<&str> = audit.iter().map(|a| a.action.as_str()).collect();
    for e in ["story.merge", "story.lead", "story.split"] {
        assert!(events.contains(&e), "{events:?}");
    }
}
