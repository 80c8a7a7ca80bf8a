//! Photo uploads over real HTTP.

use reqwest::StatusCode;

use super::*;

#[tokio::test]
async fn uploads_accept_a_png_and_resize_it_but_refuse_html_named_png() {
    let d = desk().await;
    let (_, t) = token(&d.app, &d.ana).await;
    let meta = [
        ("alt", "A test card"),
        ("caption", "Test card"),
        ("credit", "Newsdesk tests"),
    ];
    let (ct, body) = multipart(&meta, &sample_png(1200, 600), "card.png", "image/png");
    let r = d
        .app
        .client
        .post(d.app.url("/api/v1/photos"))
        .bearer_auth(&t)
        .header("content-type", ct)
        .body(body)
        .send()
        .await
        .expect("upload");
    assert_eq!(r.status(), StatusCode::CREATED);
    let v: serde_json::Value = r.json().await.expect("json");
    assert_eq!(
        (v["width"].as_u64(), v["height"].as_u64()),
        (Some(1200), Some(600))
    );
    let srcset = v["srcset"].as_str().expect("srcset");
    assert!(
        srcset.contains(" 480w") && srcset.contains(" 960w") && !srcset.contains("1600w"),
        "{srcset}"
    );
    let id = v["id"].as_i64().expect("id");
    let rends = d.app.store.photo_renditions(id).await.expect("r");
    assert_eq!(
        rends
            .iter()
            .map(|r| (r.width, r.height))
            .collect::<Vec<_>>(),
        vec![(480, 240), (960, 480)]
    );
    for r in &rends {
        let got = d.app.get(&format!("/uploads/{}", r.file)).await;
        assert_eq!(got.status(), StatusCode::OK);
        assert_eq!(got.headers()["content-type"], "image/png");
    }

    // The article page offers the sizes to the browser.
    let (_, ed) = token(&d.app, &d.eddie).await;
    let (s, a) = api(
        &d.app,
        reqwest::Method::POST,
        "/api/v1/articles",
        &ed,
        serde_json::json!({"headline": "Test card shown", "lead_photo_id": id, "status": "published"}),
    )
    .await;
    assert_eq!(s, StatusCode::CREATED, "{a}");
    let (_, page) = d.app.get_text("/articles/test-card-shown").await;
    assert!(
        page.contains(" 480w, ") && page.contains(" 960w, ") && page.contains(" 1200w\""),
        "{page}"
    );

    let html = b"<!doctype html><script>alert(1)</script>";
    let (ct, body) = multipart(&meta, html, "evil.png", "image/png");
    let r = d
        .app
        .client
        .post(d.app.url("/api/v1/photos"))
        .bearer_auth(&t)
        .header("content-type", ct)
        .body(body)
        .send()
        .await
        .expect("upload");
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let (ct, body) = multipart(
        &[("alt", ""), ("caption", "c"), ("credit", "c")],
        &sample_png(10, 10),
        "a.png",
        "image/png",
    );
    let r = d
        .app
        .client
        .post(d.app.url("/api/v1/photos"))
        .bearer_auth(&t)
        .header("content-type", ct)
        .body(body)
        .send()
        .await
        .expect("upload");
    assert_eq!(
        r.status(),
        StatusCode::UNPROCESSABLE_ENTITY,
        "alt text is required"
    );
    assert_eq!(d.app.store.list_photos(10).await.expect("photos").len(), 1);
}
