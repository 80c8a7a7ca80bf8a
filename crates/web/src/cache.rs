//! An in-memory cache of rendered public responses (pages, feeds, sitemaps).
//!
//! Rendering a page means several store queries and a template; serving one from here is a hash
//! lookup. Each entry carries its strong ETag and pre-compressed gzip and brotli bodies, so a hit
//! costs no hashing and no compression. Entries live for a short TTL, which bounds how stale a page
//! can be when another node (sharing PostgreSQL) changes content, and lets scheduled articles appear
//! on time; a write on this node calls [`PageCache::invalidate_all`].

use std::collections::HashMap;
use std::io::Write;
use std::sync::{Arc, RwLock};
use std::time::{Duration, Instant};

use axum::body::Body;
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use bytes::Bytes;
use sha2::{Digest, Sha256};

use crate::error::AppError;

/// Entries above this many are dropped wholesale rather than tracked with an LRU: a full cache
/// is a crawler walking every page, and a cold restart of the cache is cheap.
const MAX_ENTRIES: usize = 20_000;
/// Bodies smaller than this are sent uncompressed: the headers would outweigh the saving.
const MIN_COMPRESS: usize = 512;

#[derive(Debug)]
pub struct CachedResponse {
    pub status: StatusCode,
    pub content_type: &'static str,
    pub cache_control: &'static str,
    /// Quoted strong validator, e.g. `"3f2a..."`.
    pub etag: HeaderValue,
    pub identity: Bytes,
    pub gzip: Option<Bytes>,
    pub br: Option<Bytes>,
    created: Instant,
}

impl CachedResponse {
    /// Builds an entry from a rendered body: hashes it and compresses it once.
    pub fn new(
        status: StatusCode,
        content_type: &'static str,
        cache_control: &'static str,
        body: impl Into<Bytes>,
    ) -> Self {
        let identity: Bytes = body.into();
        let digest = Sha256::digest(&identity);
        let etag = format!("\"{}\"", hex_prefix(&digest, 16));
        let etag =
            HeaderValue::from_str(&etag).unwrap_or_else(|_| HeaderValue::from_static("\"0\""));
        let (gzip, br) = if identity.len() >= MIN_COMPRESS && is_compressible(content_type) {
            (gzip(&identity), brotli(&identity))
        } else {
            (None, None)
        };
        CachedResponse {
            status,
            content_type,
            cache_control,
            etag,
            identity,
            gzip,
            br,
            created: Instant::now(),
        }
    }

    /// The response for a request with these headers: 304 when `If-None-Match` matches, else the
    /// best encoding the client accepts.
    pub fn respond(&self, request_headers: &HeaderMap) -> Response {
        let mut headers = HeaderMap::with_capacity(6);
        headers.insert(header::ETAG, self.etag.clone());
        headers.insert(
            header::CACHE_CONTROL,
            HeaderValue::from_static(self.cache_control),
        );
        headers.insert(header::VARY, HeaderValue::from_static("accept-encoding"));
        if self.status == StatusCode::OK && if_none_match(request_headers, &self.etag) {
            return (StatusCode::NOT_MODIFIED, headers).into_response();
        }
        headers.insert(
            header::CONTENT_TYPE,
            HeaderValue::from_static(self.content_type),
        );
        let accept = request_headers
            .get(header::ACCEPT_ENCODING)
            .and_then(|v| v.to_str().ok())
            .unwrap_or("");
        let body = match (&self.br, &self.gzip) {
            (Some(br), _) if accepts(accept, "br") => {
                headers.insert(header::CONTENT_ENCODING, HeaderValue::from_static("br"));
                br.clone()
            }
            (_, Some(gz)) if accepts(accept, "gzip") => {
                headers.insert(header::CONTENT_ENCODING, HeaderValue::from_static("gzip"));
                gz.clone()
            }
            _ => self.identity.clone(),
        };
        (self.status, headers, Body::from(body)).into_response()
    }
}

#[derive(Clone, Debug)]
pub struct PageCache {
    inner: Arc<RwLock<HashMap<String, Arc<CachedResponse>>>>,
    ttl: Duration,
}

impl Default for PageCache {
    fn default() -> Self {
        PageCache::new(Duration::from_secs(10))
    }
}

impl PageCache {
    /// A zero `ttl` turns caching off (every request renders).
    pub fn new(ttl: Duration) -> Self {
        PageCache {
            inner: Arc::new(RwLock::new(HashMap::new())),
            ttl,
        }
    }

    /// The cached entry for `key`, or the result of `render` (which is then cached if it is a
    /// success). Concurrent misses may render twice; that is cheaper than a lock held across I/O.
    pub async fn get_or_render<F, Fut>(
        &self,
        key: &str,
        render: F,
    ) -> Result<Arc<CachedResponse>, AppError>
    where
        F: FnOnce() -> Fut,
        Fut: std::future::Future<Output = Result<CachedResponse, AppError>>,
    {
        if let Some(hit) = self.get(key) {
            return Ok(hit);
        }
        let fresh = Arc::new(render().await?);
        if !self.ttl.is_zero()
            && let Ok(mut map) = self.inner.write()
        {
            if map.len() >= MAX_ENTRIES {
                map.clear();
            }
            map.insert(key.to_owned(), fresh.clone());
        }
        Ok(fresh)
    }

    fn get(&self, key: &str) -> Option<Arc<CachedResponse>> {
        let map = self.inner.read().ok()?;
        let hit = map.get(key)?;
        (hit.created.elapsed() < self.ttl).then(|| hit.clone())
    }

    /// Forgets everything; call after any write that changes what readers see.
    pub fn invalidate_all(&self) {
        if let Ok(mut map) = self.inner.write() {
            map.clear();
        }
    }
}

fn hex_prefix(bytes: &[u8], n: usize) -> String {
    bytes.iter().take(n).map(|b| format!("{b:02x}")).collect()
}

fn is_compressible(content_type: &str) -> bool {
    content_type.starts_with("text/")
        || content_type.contains("json")
        || content_type.contains("xml")
        || content_type.contains("javascript")
        || content_type.contains("svg")
}

fn gzip(data: &[u8]) -> Option<Bytes> {
    let mut enc = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::new(6));
    enc.write_all(data).ok()?;
    enc.finish().ok().map(Bytes::from)
}

fn brotli(data: &[u8]) -> Option<Bytes> {
    let mut out = Vec::new();
    let params = brotli::enc::BrotliEncoderParams {
        quality: 5,
        ..Default::default()
    };
    brotli::BrotliCompress(&mut &data[..], &mut out, &params).ok()?;
    Some(Bytes::from(out))
}

/// Whether an Accept-Encoding value allows `coding` (a `q=0` refuses it).
fn accepts(accept: &str, coding: &str) -> bool {
    accept.split(',').any(|part| {
        let mut it = part.split(';');
        let name = it.next().unwrap_or("").trim();
        let refused = it.any(|p| {
            let p = p.trim();
            p == "q=0" || p == "q=0.0" || p == "q=0.00" || p == "q=0.000"
        });
        (name.eq_ignore_ascii_case(coding) || name == "*") && !refused
    })
}

fn if_none_match(headers: &HeaderMap, etag: &HeaderValue) -> bool {
    let Some(inm) = headers
        .get(header::IF_NONE_MATCH)
        .and_then(|v| v.to_str().ok())
    else {
        return false;
    };
    let ours = etag.to_str().unwrap_or("");
    inm.split(',')
        .map(str::trim)
        .any(|t| t == "*" || t == ours || t.strip_prefix("W/") == Some(ours))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accept_encoding_respects_q_zero() {
        assert!(accepts("gzip, deflate, br", "br"));
        assert!(!accepts("gzip, br;q=0", "br"));
        assert!(accepts("*", "gzip"));
        assert!(!accepts("identity", "gzip"));
    }

    #[test]
    fn matching_etag_gives_304_and_other_gives_body() {
        let page = CachedResponse::new(
            StatusCode::OK,
            "text/html; charset=utf-8",
            "public, max-age=60",
            "x".repeat(2000),
        );
        let mut h = HeaderMap::new();
        h.insert(header::IF_NONE_MATCH, page.etag.clone());
        assert_eq!(page.respond(&h).status(), StatusCode::NOT_MODIFIED);
        h.insert(header::IF_NONE_MATCH, HeaderValue::from_static("\"other\""));
        assert_eq!(page.respond(&h).status(), StatusCode::OK);
    }

    #[test]
    fn brotli_preferred_when_accepted() {
        let page = CachedResponse::new(
            StatusCode::OK,
            "text/html; charset=utf-8",
            "public",
            "hello world ".repeat(200),
        );
        let mut h = HeaderMap::new();
        h.insert(
            header::ACCEPT_ENCODING,
            HeaderValue::from_static("gzip, br"),
        );
        let r = page.respond(&h);
        assert_eq!(r.headers()[header::CONTENT_ENCODING], "br");
        h.insert(header::ACCEPT_ENCODING, HeaderValue::from_static("gzip"));
        assert_eq!(page.respond(&h).headers()[header::CONTENT_ENCODING], "gzip");
    }
}
