//! Static assets (CSS, icon) compiled into the binary, and uploaded photos from the data directory.
//!
//! Assets are served under a fingerprinted name (`/static/site.<hash>.css`), so they can be cached
//! for a year: a changed file gets a new URL. Uploads are read from the media store (the data
//! directory or S3) only, by a relative path of plain segments, and only image types are served.

use std::path::{Component, Path, PathBuf};
use std::sync::LazyLock;

use axum::Router;
use axum::extract::{Path as UrlPath, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use sha2::{Digest, Sha256};

use crate::cache::CachedResponse;
use crate::error::AppError;
use crate::state::AppState;

const IMMUTABLE: &str = "public, max-age=31536000, immutable";
/// Upload keys are random and never rewritten (a new photo gets a new name), so a year is safe.
const UPLOAD_CACHE_CONTROL: &str = "public, max-age=31536000, immutable";
/// Uploaded SVGs may contain scripts; this makes a browser opening one directly run nothing.
const SVG_CSP: &str = "default-src 'none'; style-src 'unsafe-inline'; sandbox";

const SITE_CSS: &str = include_str!("../../static/site.css");
const ICON_SVG: &str = include_str!("../../static/icon.svg");

struct Asset {
    url: String,
    response: CachedResponse,
}

impl Asset {
    fn new(stem: &str, ext: &str, content_type: &'static str, body: &'static str) -> Asset {
        let hash = Sha256::digest(body.as_bytes());
        let short: String = hash.iter().take(5).map(|b| format!("{b:02x}")).collect();
        Asset {
            url: format!("/static/{stem}.{short}.{ext}"),
            response: CachedResponse::new(StatusCode::OK, content_type, IMMUTABLE, body),
        }
    }
}

static CSS: LazyLock<Asset> =
    LazyLock::new(|| Asset::new("site", "css", "text/css; charset=utf-8", SITE_CSS));
static ICON: LazyLock<Asset> =
    LazyLock::new(|| Asset::new("icon", "svg", "image/svg+xml", ICON_SVG));

/// The stylesheet's fingerprinted URL, for `<link rel="stylesheet">`.
pub fn css_url() -> &'static str {
    &CSS.url
}

pub fn icon_url() -> &'static str {
    &ICON.url
}

pub fn router(_state: &AppState) -> Router<AppState> {
    Router::new()
        .route("/static/{file}", get(static_asset))
        .route("/uploads/{*path}", get(upload))
}

async fn static_asset(
    UrlPath(file): UrlPath<String>,
    headers: HeaderMap,
) -> Result<Response, AppError> {
    let requested = format!("/static/{file}");
    for asset in [&*CSS, &*ICON] {
        if asset.url == requested {
            return Ok(asset.response.respond(&headers).await);
        }
    }
    Err(AppError::NotFound)
}

/// The content type for an upload, by extension; `None` for anything that is not an image we
/// publish, so nothing executable or sniffable is ever served from the data directory.
fn image_type(path: &Path) -> Option<&'static str> {
    let ext = path.extension()?.to_str()?.to_ascii_lowercase();
    Some(match ext.as_str() {
        "jpg" | "jpeg" => "image/jpeg",
        "png" => "image/png",
        "gif" => "image/gif",
        "webp" => "image/webp",
        "avif" => "image/avif",
        "svg" => "image/svg+xml",
        _ => return None,
    })
}

/// A path relative to the uploads directory made only of normal segments: no `..`, no root, no
/// drive prefix, no hidden files, no backslashes (which some systems treat as separators).
pub(crate) fn safe_relative(raw: &str) -> Option<PathBuf> {
    if raw.is_empty() || raw.len() > 512 || raw.contains('\\') || raw.contains('\0') {
        return None;
    }
    let mut out = PathBuf::new();
    for segment in raw.split('/') {
        if segment.is_empty() || segment.starts_with('.') || segment.contains(':') {
            return None;
        }
        let mut comps = Path::new(segment).components();
        match (comps.next(), comps.next()) {
            (Some(Component::Normal(c)), None) => out.push(c),
            _ => return None,
        }
    }
    Some(out)
}

async fn upload(
    State(state): State<AppState>,
    UrlPath(raw): UrlPath<String>,
    headers: HeaderMap,
) -> Result<Response, AppError> {
    let rel = safe_relative(&raw).ok_or(AppError::NotFound)?;
    let content_type = image_type(&rel).ok_or(AppError::NotFound)?;
    // `safe_relative` admitted plain segments only, so this is the key as stored.
    let key = rel
        .iter()
        .map(|c| c.to_str())
        .collect::<Option<Vec<_>>>()
        .ok_or(AppError::NotFound)?
        .join("/");
    let obj = match state.media.get(&key).await {
        Ok(Some(obj)) => obj,
        Ok(None) | Err(newsdesk_media::MediaError::InvalidKey(_)) => {
            return Err(AppError::NotFound);
        }
        Err(e) => return Err(AppError::Internal(e.into())),
    };
    // The backend's ETag (S3's, or inode/size/time locally), quoted as HTTP wants it.
    let etag = obj.meta.etag.as_deref().map(|t| {
        if t.starts_with('"') || t.starts_with("W/") {
            t.to_owned()
        } else {
            format!("\"{t}\"")
        }
    });
    let not_modified = match (&etag, headers.get(header::IF_NONE_MATCH)) {
        (Some(tag), Some(inm)) => inm
            .to_str()
            .is_ok_and(|v| v.split(',').any(|c| c.trim() == tag || c.trim() == "*")),
        _ => false,
    };
    let mut res = if not_modified {
        StatusCode::NOT_MODIFIED.into_response()
    } else {
        (StatusCode::OK, obj.bytes).into_response()
    };
    let h = res.headers_mut();
    h.insert(header::CONTENT_TYPE, HeaderValue::from_static(content_type));
    h.insert(
        header::CACHE_CONTROL,
        HeaderValue::from_static(UPLOAD_CACHE_CONTROL),
    );
    if let Some(v) = etag.and_then(|t| HeaderValue::from_str(&t).ok()) {
        h.insert(header::ETAG, v);
    }
    let modified = obj
        .meta
        .last_modified
        .format("%a, %d %b %Y %H:%M:%S GMT")
        .to_string();
    if let Ok(v) = HeaderValue::from_str(&modified) {
        h.insert(header::LAST_MODIFIED, v);
    }
    h.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    if content_type == "image/svg+xml" {
        h.insert(
            header::CONTENT_SECURITY_POLICY,
            HeaderValue::from_static(SVG_CSP),
        );
    }
    Ok(res)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_plain_relative_paths_are_accepted() {
        assert_eq!(
            safe_relative("2026/a.svg"),
            Some(PathBuf::from("2026/a.svg"))
        );
        for bad in [
            "../x",
            "a/../b",
            "/etc/passwd",
            "a//b",
            ".env",
            "a/.hidden",
            "c:/x",
            "a\\..\\b",
            "",
        ] {
            assert_eq!(safe_relative(bad), None, "{bad} accepted");
        }
    }

    #[test]
    fn only_image_types_are_served() {
        assert_eq!(image_type(Path::new("a.JPG")), Some("image/jpeg"));
        assert_eq!(image_type(Path::new("a.svg")), Some("image/svg+xml"));
        assert_eq!(image_type(Path::new("a.html")), None);
        assert_eq!(image_type(Path::new("a.sqlite")), None);
        assert_eq!(image_type(Path::new("noext")), None);
    }

    #[test]
    fn asset_urls_are_fingerprinted() {
        assert!(css_url().starts_with("/static/site.") && css_url().ends_with(".css"));
        assert_ne!(css_url(), "/static/site.css");
    }
}
