//! Cross-site request checks for our form POSTs: the origin check every POST gets, and the
//! [`CsrfForm`] extractor that admin forms use to also check the session's synchronizer token.
//!
//! Public pages are cached and shared by everyone, so they cannot carry per-visitor CSRF tokens.
//! Instead a POST must come from our own origin, as browsers report it: `Sec-Fetch-Site`, then
//! `Origin` or, when a browser leaves that out, `Referer`. Browsers send at least one of these on
//! every cross-site form post; a request with none of them is from a non-browser client, which a
//! CSRF attack cannot use, so it is allowed.

use axum::body::Bytes;
use axum::extract::{FromRequest, FromRequestParts, Request};
use axum::http::{HeaderMap, header};
use axum::response::{IntoResponse, Response};
use serde::Deserialize;
use serde::de::DeserializeOwned;

use crate::auth::AdminUser;
use crate::error::AppError;
use crate::state::AppState;

/// An admin form POST that passed the CSRF check: a signed-in [`AdminUser`], a request from our
/// own origin, and a `csrf` field equal to the session's token; `form` is the rest of the
/// urlencoded body (its `csrf` field is ignored by `T`). Putting the check in the type means a
/// handler cannot read a form it forgot to verify. `T` defaults to a form with no other fields.
pub struct CsrfForm<T = NoFields> {
    pub who: AdminUser,
    pub form: T,
}

/// The form of a POST whose only field is the CSRF token (logout, reject, delete, ...).
#[derive(Debug, Deserialize)]
pub struct NoFields {}

impl<T: DeserializeOwned> FromRequest<AppState> for CsrfForm<T> {
    type Rejection = Response;

    async fn from_request(req: Request, state: &AppState) -> Result<Self, Self::Rejection> {
        let (mut parts, body) = req.into_parts();
        let who = AdminUser::from_request_parts(&mut parts, state)
            .await
            .map_err(IntoResponse::into_response)?;
        let headers = parts.headers.clone();
        // Through `Bytes`, so the route's body limit still applies (413 past it).
        let bytes = Bytes::from_request(Request::from_parts(parts, body), state)
            .await
            .map_err(|e| {
                if e.status() == axum::http::StatusCode::PAYLOAD_TOO_LARGE {
                    AppError::PayloadTooLarge(
                        "What was sent is larger than this form takes; nothing was saved.".into(),
                    )
                    .into_response()
                } else {
                    e.into_response()
                }
            })?;
        let token = url::form_urlencoded::parse(&bytes)
            .find(|(k, _)| k == "csrf")
            .map(|(_, v)| v.into_owned())
            .unwrap_or_default();
        who.verify_form(state, &headers, &token)
            .map_err(IntoResponse::into_response)?;
        let form = serde_urlencoded::from_bytes(&bytes).map_err(|_| {
            AppError::Unprocessable("The form is missing a field or one is not right.".into())
                .into_response()
        })?;
        Ok(CsrfForm { who, form })
    }
}

/// Whether a state-changing request with these headers comes from our own site. `base_url` is the
/// configured public address; the request's `Host` also counts, so a site reached at another name
/// (a LAN address, a reverse proxy without configuration) keeps working.
pub fn is_same_origin(headers: &HeaderMap, base_url: &str) -> bool {
    if let Some(site) = header_str(headers, "sec-fetch-site") {
        // "none": the user typed or bookmarked it; "same-site" is a sibling subdomain, not us.
        if !matches!(site, "same-origin" | "none") {
            return false;
        }
    }
    let host = header_str(headers, header::HOST.as_str());
    if let Some(origin) = header_str(headers, header::ORIGIN.as_str()) {
        return origin_matches(origin, base_url, host);
    }
    if let Some(referer) = header_str(headers, header::REFERER.as_str()) {
        return origin_matches(origin_of(referer), base_url, host);
    }
    true
}

fn header_str<'a>(headers: &'a HeaderMap, name: &str) -> Option<&'a str> {
    headers
        .get(name)
        .and_then(|v| v.to_str().ok())
        .map(str::trim)
}

/// `scheme://host[:port]` of an absolute URL (the part an `Origin` header carries).
fn origin_of(url: &str) -> &str {
    let Some(scheme_end) = url.find("://") else {
        return url;
    };
    let rest = &url[scheme_end + 3..];
    let end = rest
        .find(['/', '?', '#'])
        .map_or(url.len(), |i| scheme_end + 3 + i);
    &url[..end]
}

fn origin_matches(origin: &str, base_url: &str, host: Option<&str>) -> bool {
    // `Origin: null` (sandboxed frames, file: pages) is never us.
    if origin.eq_ignore_ascii_case("null") || origin.is_empty() {
        return false;
    }
    if origin.eq_ignore_ascii_case(origin_of(base_url.trim_end_matches('/'))) {
        return true;
    }
    let Some((scheme, authority)) = origin.split_once("://") else {
        return false;
    };
    matches!(scheme.to_ascii_lowercase().as_str(), "http" | "https")
        && host.is_some_and(|h| !h.is_empty() && authority.eq_ignore_ascii_case(h))
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::http::HeaderValue;

    fn headers(pairs: &[(&'static str, &'static str)]) -> HeaderMap {
        let mut h = HeaderMap::new();
        for (k, v) in pairs {
            h.insert(*k, HeaderValue::from_static(v));
        }
        h
    }

    const BASE: &str = "https://news.example.org";

    #[test]
    fn own_origin_is_accepted() {
        assert!(is_same_origin(
            &headers(&[("origin", "https://news.example.org")]),
            BASE
        ));
        assert!(is_same_origin(
            &headers(&[
                ("origin", "http://127.0.0.1:8080"),
                ("host", "127.0.0.1:8080")
            ]),
            BASE
        ));
        assert!(is_same_origin(
            &headers(&[("referer", "https://news.example.org/articles/x?y#z")]),
            BASE
        ));
        assert!(is_same_origin(
            &headers(&[("sec-fetch-site", "same-origin")]),
            BASE
        ));
        assert!(is_same_origin(&headers(&[]), BASE));
    }

    #[test]
    fn other_origins_are_refused() {
        assert!(!is_same_origin(
            &headers(&[("origin", "https://evil.example")]),
            BASE
        ));
        assert!(!is_same_origin(&headers(&[("origin", "null")]), BASE));
        assert!(!is_same_origin(
            &headers(&[("origin", "https://news.example.org.evil.example")]),
            BASE
        ));
        assert!(!is_same_origin(
            &headers(&[("referer", "https://evil.example/news.example.org")]),
            BASE
        ));
        assert!(!is_same_origin(
            &headers(&[("sec-fetch-site", "cross-site")]),
            BASE
        ));
        assert!(!is_same_origin(
            &headers(&[
                ("sec-fetch-site", "same-site"),
                ("origin", "https://news.example.org")
            ]),
            BASE
        ));
        assert!(!is_same_origin(
            &headers(&[
                ("origin", "https://evil.example"),
                ("host", "news.example.org")
            ]),
            BASE
        ));
    }
}
