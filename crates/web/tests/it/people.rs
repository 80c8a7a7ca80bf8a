//! Who said what over HTTP (issue 15): quotes stored when articles are saved through the admin
//! API, one person across two articles, the people pages, the article's "Who is quoted" block
//! and the JSON API, all from the real server.

#![allow(clippy::unwrap_used)]

use newsdesk_core::accounts::Role;
use reqwest::Method as M;
use reqwest::StatusCode;
use serde_json::json;

use crate::common::TestApp;
use crate::wire::api::{call, token_for};

/// Two published articles of our own writing that quote one person under three names.
async fn two_articles(app: &TestApp) -> String {
    let token = token_for(app, "desk@example.com", Role::Editor).await;
    for (headline, body) in [
        (
            "Ferry talks resume",
            "Talks on the ferry line resumed on Monday.\n\n\
             \u{201c}We will reopen the line in spring,\u{201d} said Antony Blinken, the \
             secretary of state.",
        ),
        (
            "Ferry deal <signed> & sealed",
            "The deal was signed on Friday.\n\n\
             \u{201c}The talks were useful,\u{201d} said Blinken.\n\n\
             > Crossings start in April.\n>\n> \u{2014} Secretary of State Antony Blinken, in a statement",
        ),
    ] {
        let (status, body) = call(
            app,
            M::POST,
            "/api/v1/articles",
            Some(&token),
            Some(json!({"headline": headline, "body_markdown": body, "status": "published"})),
        )
        .await;
        assert_eq!(status, StatusCode::CREATED, "{body}");
    }
    token
}

#[tokio::test]
async fn one_person_is_quoted_across_two_articles_in_the_api() {
    let app = TestApp::spawn().await;
    two_articles(&app).await;
    let (status, people) = call(&app, M::GET, "/api/v1/people", None, None).await;
    assert_eq!(status, StatusCode::OK);
    let items = people["items"].as_array().unwrap();
    assert_eq!(items.len(), 1, "{people}");
    assert_eq!(items[0]["name"], "Antony Blinken");
    assert_eq!(items[0]["quotes"], 3, "{people}");
    let slug = items[0]["slug"].as_str().unwrap().to_string();
    let (status, person) = call(&app, M::GET, &format!("/api/v1/people/{slug}"), None, None).await;
    assert_eq!(status, StatusCode::OK);
    let quotes = person["quotes"].as_array().unwrap();
    assert_eq!(quotes.len(), 3);
    // Newest article first.
    assert_eq!(quotes[0]["article_slug"], "ferry-deal-signed-sealed");
    let texts: Vec<_> = quotes.iter().map(|q| q["text"].as_str().unwrap()).collect();
    assert!(texts.contains(&"Crossings start in April."), "{texts:?}");
    let (status, qs) = call(
        &app,
        M::GET,
        "/api/v1/articles/ferry-deal-signed-sealed/quotes",
        None,
        None,
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    let items = qs["items"].as_array().unwrap();
    assert_eq!(items.len(), 2, "{qs}");
    assert_eq!(items[1]["channel"], "statement");
    assert_eq!(items[1]["person"]["slug"], slug.as_str());
    let (status, _) = call(&app, M::GET, "/api/v1/people/nobody-here", None, None).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn people_pages_and_the_article_block_link_the_speaker() {
    let app = TestApp::spawn().await;
    two_articles(&app).await;
    let (status, list) = app.get_text("/people").await;
    assert_eq!(status, StatusCode::OK);
    assert!(list.contains("Antony Blinken"), "{list}");
    let (_, people) = call(&app, M::GET, "/api/v1/people", None, None).await;
    let slug = people["items"][0]["slug"].as_str().unwrap().to_string();
    let href = format!("/people/{slug}");
    assert!(list.contains(&format!("href=\"{href}\"")));
    let (status, page) = app.get_text(&href).await;
    assert_eq!(status, StatusCode::OK);
    assert!(
        page.contains("We will reopen the line in spring,"),
        "{page}"
    );
    assert!(page.contains("href=\"/articles/ferry-talks-resume\""));
    // The headline is escaped, not markup.
    assert!(
        page.contains("Ferry deal &lt;signed&gt; &amp; sealed"),
        "{page}"
    );
    let (status, article) = app.get_text("/articles/ferry-talks-resume").await;
    assert_eq!(status, StatusCode::OK);
    assert!(article.contains("Who is quoted"));
    assert!(article.contains(&format!("href=\"{href}\"")));
    let (status, _) = app.get_text("/people/nobody-here").await;
    assert_eq!(status, StatusCode::NOT_FOUND);
}
