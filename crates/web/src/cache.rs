//! An in-memory cache of rendered public responses (pages, feeds, sitemaps).
//!
//! Rendering a page means several store queries and a template; serving one from here is a hash
//! lookup. Each entry carries its strong ETag and pre-compressed gzip and brotli bodies, so a hit
//! costs no hashing and no compression. Entries live for a short TTL, which bounds how stale a page
//! can be when another node (sharing PostgreSQL) changes content, and lets scheduled articles appear
//! on time; a write on this node calls [`PageCache::invalidate_all`].

use std::collections::HashMap;
use std::io::Write;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, RwLock};
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

/// How long past its TTL an entry may still be served while one request renders its successor.
const STALE_GRACE: Duration = Duration::from_secs(60);

type RenderLocks = HashMap<String, Arc<tokio::sync::Mutex<()>>>;

#[derive(Clone, Debug)]
pub struct PageCache {
    inner: Arc<RwLock<HashMap<String, Arc<CachedResponse>>>>,
    /// One render at a time per key: when a hot page expires under load, one request renders it
    /// while the others get the stale copy (or, on a cold miss, wait for the one render) instead
    /// of all of them queueing on the store at once.
    renders: Arc<Mutex<RenderLocks>>,
    /// Bumped by `invalidate_all`, so a render that started before a write is not cached after it.
    generation: Arc<AtomicU64>,
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
            renders: Arc::new(Mutex::new(HashMap::new())),
            generation: Arc::new(AtomicU64::new(0)),
            ttl,
        }
    }

    /// The cached entry for `key`, or the result of `render` (cached if it is a success).
    /// A recently expired entry is still served to everyone but the one request that re-renders
    /// it; if that render fails, the stale entry is served rather than an error.
    pub async fn get_or_render<F, Fut>(
        &self,
        key: &str,
        render: F,
    ) -> Result<Arc<CachedResponse>, AppError>
    where
        F: FnOnce() -> Fut,
        Fut: std::future::Future<Output = Result<CachedResponse, AppError>>,
    {
        if self.ttl.is_zero() {
            return Ok(Arc::new(render().await?));
        }
        let lock = match self.lookup(key) {
            Some(hit) if hit.created.elapsed() < self.ttl => return Ok(hit),
            Some(stale) if stale.created.elapsed() < self.ttl + STALE_GRACE => {
                match self.render_lock(key).try_lock_owned() {
                    Ok(guard) => {
                        let result = self.render_and_store(key, render).await;
                        drop(guard);
                        self.forget_lock(key);
                        return Ok(result.unwrap_or(stale));
                    }
                    Err(_) => return Ok(stale),
                }
            }
            _ => self.render_lock(key),
        };
        let guard = lock.lock_owned().await;
        // Whoever held the lock before us may have just rendered it.
        if let Some(hit) = self.lookup(key).filter(|h| h.created.elapsed() < self.ttl) {
            return Ok(hit);
        }
        let result = self.render_and_store(key, render).await;
        drop(guard);
        self.forget_lock(key);
        result
    }

    async fn render_and_store<F, Fut>(
        &self,
        key: &str,
        render: F,
    ) -> Result<Arc<CachedResponse>, AppError>
    where
        F: FnOnce() -> Fut,
        Fut: std::future::Future<Output = Result<CachedResponse, AppError>>,
    {
        let generation = self.generation.load(Ordering::Acquire);
        let fresh = Arc::new(render().await?);
        if let Ok(mut map) = self.inner.write()
            && self.generation.load(Ordering::Acquire) == generation
        {
            if map.len() >= MAX_ENTRIES {
                map.clear();
            }
            map.insert(key.to_owned(), fresh.clone());
        }
        Ok(fresh)
    }

    fn lookup(&self, key: &str) -> Option<Arc<CachedResponse>> {
        self.inner.read().ok()?.get(key).cloned()
    }

    fn render_lock(&self, key: &str) -> Arc<tokio::sync::Mutex<()>> {
        match self.renders.lock() {
            Ok(mut locks) => locks.entry(key.to_owned()).or_default().clone(),
            // A poisoned map only costs us the de-duplication.
            Err(_) => Arc::default(),
        }
    }

    fn forget_lock(&self, key: &str) {
        if let Ok(mut locks) = self.renders.lock() {
            locks.remove(key);
        }
    }

    /// Forgets everything; call after any write that changes what readers see.
    pub fn invalidate_all(&self) {
        self.generation.fetch_add(1, Ordering::AcqRel);
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

    fn page(body: &str) -> CachedResponse {
        CachedResponse::new(StatusCode::OK, "text/plain", "public", body.to_owned())
    }

    #[tokio::test]
    async fn concurrent_misses_render_once() {
        let cache = PageCache::new(Duration::from_secs(60));
        let renders = Arc::new(AtomicU64::new(0));
        let mut tasks = Vec::new();
        for _ in 0..16 {
            let (cache, renders) = (cache.clone(), renders.clone());
            tasks.push(tokio::spawn(async move {
                cache
                    .get_or_render("/a", || async move {
                        renders.fetch_add(1, Ordering::SeqCst);
                        tokio::time::sleep(Duration::from_millis(50)).await;
                        Ok(page("a"))
                    })
                    .await
                    .map(|p| p.identity.clone())
            }));
        }
        for t in tasks {
            assert_eq!(t.await.unwrap().unwrap(), Bytes::from("a"));
        }
        assert_eq!(renders.load(Ordering::SeqCst), 1);
    }

    #[tokio::test]
    async fn expired_entry_is_served_stale_while_one_request_renders() {
        let cache = PageCache::new(Duration::from_millis(20));
        cache
            .get_or_render("/a", || async { Ok(page("old")) })
            .await
            .unwrap();
        tokio::time::sleep(Duration::from_millis(30)).await;
        let slow = {
            let cache = cache.clone();
            tokio::spawn(async move {
                cache
                    .get_or_render("/a", || async {
                        tokio::time::sleep(Duration::from_millis(100)).await;
                        Ok(page("new"))
                    })
                    .await
                    .unwrap()
            })
        };
        tokio::time::sleep(Duration::from_millis(20)).await;
        let meanwhile = cache
            .get_or_render("/a", || async { Ok(page("should not render")) })
            .await
            .unwrap();
        assert_eq!(meanwhile.identity, Bytes::from("old"));
        assert_eq!(slow.await.unwrap().identity, Bytes::from("new"));
    }

    #[tokio::test]
    async fn failed_refresh_keeps_serving_the_stale_page_and_invalidation_drops_it() {
        let cache = PageCache::new(Duration::from_millis(10));
        cache
            .get_or_render("/a", || async { Ok(page("old")) })
            .await
            .unwrap();
        tokio::time::sleep(Duration::from_millis(20)).await;
        let got = cache
            .get_or_render("/a", || async { Err(AppError::NotFound) })
            .await
            .unwrap();
        assert_eq!(got.identity, Bytes::from("old"));
        cache.invalidate_all();
        assert!(
            cache
                .get_or_render("/a", || async { Err(AppError::NotFound) })
                .await
                .is_err()
        );
    }

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
