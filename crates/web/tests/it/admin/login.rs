//! Signing in and out over real HTTP: identical failures, throttling, sessions, and CSRF on
//! every admin form.

use newsdesk_core::accounts::{self};
use reqwest::StatusCode;
use reqwest::header::COOKIE;

use super::*;

#[tokio::test]
async fn login_failure_is_identical_for_unknown_user_and_wrong_password() {
    let d = desk().await;
    let a = login_response(&d.app, "nobody@example.org", PW).await;
    let b = login_response(&d.app, "ana@example.org", "wrong password here").await;
    assert_eq!(a.status(), StatusCode::UNAUTHORIZED);
    assert_eq!(b.status(), StatusCode::UNAUTHORIZED);
    let (ta, tb) = (a.text().await.expect("a"), b.text().await.expect("b"));
    assert!(ta.contains("Wrong email or password."));
    // The pages differ only in the address echoed back into the form.
    assert_eq!(
        ta.replace("nobody@example.org", "X"),
        tb.replace("ana@example.org", "X")
    );
}

#[tokio::test]
async fn login_is_throttled_after_repeated_failures_for_one_account() {
    let d = desk().await;
    for _ in 0..accounts::MAX_FAILURES_PER_ACCOUNT {
        let r = login_response(&d.app, "ana@example.org", "not the password").await;
        assert_eq!(r.status(), StatusCode::UNAUTHORIZED);
    }
    // Even the right password is refused while the account is throttled.
    let r = login_response(&d.app, "ana@example.org", PW).await;
    assert_eq!(r.status(), StatusCode::TOO_MANY_REQUESTS);
    let retry: u64 = r.headers()["retry-after"]
        .to_str()
        .expect("h")
        .parse()
        .expect("secs");
    assert!(retry > 0 && retry <= 15 * 60, "{retry}");
    // Another account from the same address is not (yet) affected.
    login(&d.app, "ben@example.org").await;
}

#[tokio::test]
async fn admin_pages_need_a_session_and_are_never_cached() {
    let d = desk().await;
    let r = d.app.get("/admin").await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    assert_eq!(r.headers()["location"], "/admin/login");
    let s = login(&d.app, "eddie@example.org").await;
    let r = d
        .app
        .client
        .get(d.app.url("/admin/articles/new"))
        .header(COOKIE, &s.cookie)
        .send()
        .await
        .expect("get");
    assert_eq!(r.status(), StatusCode::OK);
    assert_eq!(r.headers()["cache-control"], "no-store");
    let csp = r.headers()["content-security-policy"]
        .to_str()
        .expect("csp");
    assert!(csp.contains("script-src 'self'") && !csp.contains("unsafe-inline"));
    let html = r.text().await.expect("body");
    assert!(!html.contains("<script>"), "no inline scripts");
}

#[tokio::test]
async fn logout_ends_the_session() {
    let d = desk().await;
    let s = login(&d.app, "ana@example.org").await;
    let r = post_form(&d.app, &s, "/admin/logout", &[]).await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let r = d
        .app
        .client
        .get(d.app.url("/admin"))
        .header(COOKIE, &s.cookie)
        .send()
        .await
        .expect("get");
    assert_eq!(
        r.status(),
        StatusCode::SEE_OTHER,
        "old cookie no longer works"
    );
}

#[tokio::test]
async fn forms_without_the_right_csrf_token_or_from_another_origin_are_refused() {
    let d = desk().await;
    let s = login(&d.app, "eddie@example.org").await;
    let fields = [("name", "Weather"), ("csrf", "")];
    for (csrf, origin) in [
        (None, d.app.base.as_str()),
        (Some("0000"), d.app.base.as_str()),
        (Some(s.csrf.as_str()), "https://evil.example"),
    ] {
        let mut form: Vec<(&str, &str)> = vec![fields[0]];
        if let Some(c) = csrf {
            form.push(("csrf", c));
        }
        let r = d
            .app
            .client
            .post(d.app.url("/admin/tags"))
            .header(COOKIE, &s.cookie)
            .header("origin", origin)
            .header("content-type", "application/x-www-form-urlencoded")
            .body(enc(&form))
            .send()
            .await
            .expect("post");
        assert!(
            matches!(
                r.status(),
                StatusCode::FORBIDDEN | StatusCode::UNPROCESSABLE_ENTITY
            ),
            "{csrf:?} {origin}: {}",
            r.status()
        );
    }
    assert!(d.app.store.list_tags().await.expect("tags").is_empty());
    let r = post_form(&d.app, &s, "/admin/tags", &[("name", "Weather")]).await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    assert_eq!(d.app.store.list_tags().await.expect("tags").len(), 1);
}

/// The token is checked before the rest of the form is read, so a forged post learns nothing from
/// validation messages, whatever the form's shape (typed fields, the editor's repeated fields,
/// a form with no fields at all).
#[tokio::test]
async fn a_post_without_the_csrf_token_is_forbidden_before_its_fields_are_read() {
    let d = desk().await;
    let s = login(&d.app, "root@example.org").await;
    let victim = d.ana.id;
    for path in [
        "/admin/tags".to_owned(),
        "/admin/articles/new".to_owned(),
        format!("/admin/users/{victim}/disable"),
        "/admin/logout".to_owned(),
    ] {
        let r = d
            .app
            .client
            .post(d.app.url(&path))
            .header(COOKIE, &s.cookie)
            .header("origin", &d.app.base)
            .header("content-type", "application/x-www-form-urlencoded")
            .body("headline=Forged&action=publish")
            .send()
            .await
            .expect("post");
        assert_eq!(r.status(), StatusCode::FORBIDDEN, "{path}");
    }
    assert!(d.app.store.list_tags().await.expect("tags").is_empty());
    let ana = d.app.store.user(victim).await.expect("user").expect("ana");
    assert!(!ana.disabled, "the forged disable did nothing");
    let r = post_form(&d.app, &s, "/admin/tags", &[]).await;
    assert_eq!(
        r.status(),
        StatusCode::UNPROCESSABLE_ENTITY,
        "with the token, a missing name is the form's fault"
    );
    let page = d
        .app
        .client
        .get(d.app.url("/admin"))
        .header(COOKIE, &s.cookie)
        .send()
        .await
        .expect("admin");
    assert_eq!(
        page.status(),
        StatusCode::OK,
        "the session survived the forged logout"
    );
}
