//! An in-memory cache of rendered public responses (pages, feeds, sitemaps), and the compression
//! and conditional-request handling of every response built from one.
//!
//! Rendering a page means store queries and a template; serving one from here is a hash lookup.
//! Bodies are compressed lazily, only in an encoding some client asked for: the first request
//! that wants gzip or brotli pays a cheap, fast compression; an entry that keeps being requested
//! is recompressed harder once, in the background, so the bytes that are served again and again
//! are the small ones. Entries live for a short TTL, which bounds how stale a page can be when
//! another node (sharing PostgreSQL) changes content, and lets scheduled articles appear on time;
//! a write on this node calls [`PageCache::invalidate_all`].

use std::cell::RefCell;
use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, AtomicU32, AtomicU64, Ordering};
use std::sync::{Arc, Mutex, OnceLock, RwLock};
use std::time::{Duration, Instant, SystemTime};

use axum::body::Body;
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use bytes::Bytes;
use sha2::{Digest, Sha256};

use crate::error::AppError;

/// Entries above this many, or above [`MAX_BYTES`] of bodies, are dropped wholesale rather than
/// tracked with an LRU: a full cache is a crawler walking every page, and a cold restart of the
/// cache is cheap.
const MAX_ENTRIES: usize = 20_000;
/// What the cached bodies may add up to, each counted twice (once for itself, once for its
/// compressed copies, at most two of a third of it each): a crawl over a large archive must
/// not make the page cache the server's biggest memory cost.
const MAX_BYTES: usize = 48 * 1024 * 1024;
/// Bodies smaller than this are sent uncompressed: the headers would outweigh the saving.
const MIN_COMPRESS: usize = 512;
/// Bodies at least this large are compressed on the blocking pool, not on an executor thread.
const COMPRESS_OFF_EXECUTOR: usize = 128 * 1024;
/// After this many compressed responses from one entry, it is recompressed at [`BR_LASTING`].
const RECOMPRESS_AFTER_HITS: u32 = 4;
/// Brotli quality for the first, on-the-fly compression: qualities 0–1 use brotli's fast path
/// with small tables (higher ones clear a megabyte of hash table per body).
const BR_QUICK: i32 = 1;
/// Brotli quality for entries that are served again and again (paid once per entry).
const BR_LASTING: i32 = 6;
const GZIP_QUICK: u32 = 1;
const GZIP_LASTING: u32 = 6;

/// One encoding of a body: filled on first demand.
#[derive(Debug, Default)]
struct Encoded {
    quick: tokio::sync::OnceCell<Option<Bytes>>,
    /// Shared with the background task that fills it.
    lasting: Arc<OnceLock<Bytes>>,
    started_lasting: AtomicBool,
}

#[derive(Debug)]
pub struct CachedResponse {
    pub status: StatusCode,
    pub content_type: &'static str,
    pub cache_control: &'static str,
    /// Quoted strong validator, e.g. `"3f2a..."`.
    pub etag: HeaderValue,
    /// When the content last changed, if the page knows (HTTP date, second precision).
    pub last_modified: Option<SystemTime>,
    pub identity: Bytes,
    gzip: Encoded,
    br: Encoded,
    hits: AtomicU32,
    created: Instant,
}

/// Which compression a response uses.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Coding {
    Br,
    Gzip,
}

impl Coding {
    fn name(self) -> &'static str {
        match self {
            Coding::Br => "br",
            Coding::Gzip => "gzip",
        }
    }

    fn compress(self, data: &[u8], lasting: bool) -> Option<Bytes> {
        match (self, lasting) {
            (Coding::Br, false) => brotli(data, BR_QUICK),
            (Coding::Br, true) => brotli(data, BR_LASTING),
            (Coding::Gzip, false) => gzip(data, GZIP_QUICK),
            (Coding::Gzip, true) => gzip(data, GZIP_LASTING),
        }
    }
}

impl CachedResponse {
    /// Builds an entry from a rendered body; its ETag is a hash of the body.
    pub fn new(
        status: StatusCode,
        content_type: &'static str,
        cache_control: &'static str,
        body: impl Into<Bytes>,
    ) -> Self {
        let identity: Bytes = body.into();
        let digest = Sha256::digest(&identity);
        let etag = HeaderValue::from_str(&format!("\"{}\"", hex_prefix(&digest, 16)))
            .unwrap_or_else(|_| HeaderValue::from_static("\"0\""));
        Self::with_validators(status, content_type, cache_control, identity, etag, None)
    }

    /// Builds an entry whose validators were derived from the content's version (so that a
    /// conditional request can be answered before anything is rendered).
    pub fn with_validators(
        status: StatusCode,
        content_type: &'static str,
        cache_control: &'static str,
        body: impl Into<Bytes>,
        etag: HeaderValue,
        last_modified: Option<SystemTime>,
    ) -> Self {
        CachedResponse {
            status,
            content_type,
            cache_control,
            etag,
            last_modified,
            identity: body.into(),
            gzip: Encoded::default(),
            br: Encoded::default(),
            hits: AtomicU32::new(0),
            created: Instant::now(),
        }
    }

    fn compressible(&self) -> bool {
        self.identity.len() >= MIN_COMPRESS && is_compressible(self.content_type)
    }

    /// The response for a request with these headers: 304 when the validators match, else the
    /// best encoding the client accepts, compressed now if no earlier request needed it.
    pub async fn respond(&self, request_headers: &HeaderMap) -> Response {
        let mut headers = HeaderMap::with_capacity(7);
        headers.insert(header::ETAG, self.etag.clone());
        headers.insert(
            header::CACHE_CONTROL,
            HeaderValue::from_static(self.cache_control),
        );
        headers.insert(header::VARY, HeaderValue::from_static("accept-encoding"));
        if let Some(lm) = self.last_modified.and_then(http_date) {
            headers.insert(header::LAST_MODIFIED, lm);
        }
        if self.status == StatusCode::OK
            && not_modified(request_headers, &self.etag, self.last_modified)
        {
            return (StatusCode::NOT_MODIFIED, headers).into_response();
        }
        headers.insert(
            header::CONTENT_TYPE,
            HeaderValue::from_static(self.content_type),
        );
        let body = match self.chosen_coding(request_headers) {
            Some(coding) => match self.encoded(coding).await {
                Some(bytes) => {
                    headers.insert(
                        header::CONTENT_ENCODING,
                        HeaderValue::from_static(coding.name()),
                    );
                    bytes
                }
                None => self.identity.clone(),
            },
            None => self.identity.clone(),
        };
        (self.status, headers, Body::from(body)).into_response()
    }

    fn chosen_coding(&self, request_headers: &HeaderMap) -> Option<Coding> {
        if !self.compressible() {
            return None;
        }
        let accept = request_headers
            .get(header::ACCEPT_ENCODING)
            .and_then(|v| v.to_str().ok())?;
        if accepts(accept, "br") {
            Some(Coding::Br)
        } else if accepts(accept, "gzip") {
            Some(Coding::Gzip)
        } else {
            None
        }
    }

    fn slot(&self, coding: Coding) -> &Encoded {
        match coding {
            Coding::Br => &self.br,
            Coding::Gzip => &self.gzip,
        }
    }

    /// The body in `coding`: the lasting (harder) compression once there is one, else the quick
    /// one, made on first demand. Frequently served entries get their lasting copy made in the
    /// background.
    async fn encoded(&self, coding: Coding) -> Option<Bytes> {
        let slot = self.slot(coding);
        if let Some(best) = slot.lasting.get() {
            return Some(best.clone());
        }
        let quick = slot
            .quick
            .get_or_init(|| compress_maybe_blocking(coding, self.identity.clone(), false))
            .await
            .clone();
        if self.hits.fetch_add(1, Ordering::Relaxed) + 1 >= RECOMPRESS_AFTER_HITS
            && !slot.started_lasting.swap(true, Ordering::AcqRel)
        {
            let (data, lasting) = (self.identity.clone(), slot.lasting.clone());
            // Not awaited: this request is served the quick copy meanwhile.
            drop(tokio::task::spawn_blocking(move || {
                if let Some(best) = coding.compress(&data, true) {
                    let _ = lasting.set(best);
                }
            }));
        }
        quick
    }
}

async fn compress_maybe_blocking(coding: Coding, data: Bytes, lasting: bool) -> Option<Bytes> {
    if data.len() < COMPRESS_OFF_EXECUTOR {
        return coding.compress(&data, lasting);
    }
    tokio::task::spawn_blocking(move || coding.compress(&data, lasting))
        .await
        .ok()
        .flatten()
}

/// How long past its TTL an entry may still be served while one request renders its successor.
const STALE_GRACE: Duration = Duration::from_secs(60);

type RenderLocks = HashMap<String, Arc<tokio::sync::Mutex<()>>>;

#[derive(Debug, Default)]
struct Entries {
    map: HashMap<String, Arc<CachedResponse>>,
    /// The weight of what `map` holds (see [`MAX_BYTES`]).
    bytes: usize,
}

fn weight(entry: &CachedResponse) -> usize {
    entry.identity.len().saturating_mul(2)
}

#[derive(Clone, Debug)]
pub struct PageCache {
    inner: Arc<RwLock<Entries>>,
    /// One render at a time per key: when a hot page expires under load, one request renders it
    /// while the others get the stale copy (or, on a cold miss, wait for the one render) instead
    /// of all of them queueing on the store at once.
    renders: Arc<Mutex<RenderLocks>>,
    /// Bumped by `invalidate_all`, so a render that started before a write is not cached after it.
    generation: Arc<AtomicU64>,
    ttl: Duration,
    /// Requests answered from the cache (fresh or stale) and rendered, for `/metrics`.
    hits: Arc<AtomicU64>,
    misses: Arc<AtomicU64>,
    /// The other nodes on the same database, told of every [`PageCache::invalidate_all`]
    /// (issue 17); `None` on a single node.
    peers: Option<Arc<dyn newsdesk_core::nodes::ChangeBroadcast>>,
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
            inner: Arc::new(RwLock::new(Entries::default())),
            renders: Arc::new(Mutex::new(HashMap::new())),
            generation: Arc::new(AtomicU64::new(0)),
            ttl,
            hits: Arc::default(),
            misses: Arc::default(),
            peers: None,
        }
    }

    /// The same cache, also telling `peers` of every invalidation.
    pub fn with_peers(mut self, peers: Arc<dyn newsdesk_core::nodes::ChangeBroadcast>) -> Self {
        self.peers = Some(peers);
        self
    }

    /// (hits, misses) since start.
    pub fn stats(&self) -> (u64, u64) {
        (
            self.hits.load(Ordering::Relaxed),
            self.misses.load(Ordering::Relaxed),
        )
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
            self.misses.fetch_add(1, Ordering::Relaxed);
            return Ok(Arc::new(render().await?));
        }
        let lock = match self.lookup(key) {
            Some(hit) if hit.created.elapsed() < self.ttl => {
                self.hits.fetch_add(1, Ordering::Relaxed);
                return Ok(hit);
            }
            Some(stale) if stale.created.elapsed() < self.ttl + STALE_GRACE => {
                match self.render_lock(key).try_lock_owned() {
                    Ok(guard) => {
                        self.misses.fetch_add(1, Ordering::Relaxed);
                        let result = self.render_and_store(key, render).await;
                        drop(guard);
                        self.forget_lock(key);
                        return Ok(result.unwrap_or(stale));
                    }
                    Err(_) => {
                        self.hits.fetch_add(1, Ordering::Relaxed);
                        return Ok(stale);
                    }
                }
            }
            _ => self.render_lock(key),
        };
        let guard = lock.lock_owned().await;
        // Whoever held the lock before us may have just rendered it.
        if let Some(hit) = self.lookup(key).filter(|h| h.created.elapsed() < self.ttl) {
            self.hits.fetch_add(1, Ordering::Relaxed);
            return Ok(hit);
        }
        self.misses.fetch_add(1, Ordering::Relaxed);
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
        if let Ok(mut entries) = self.inner.write()
            && self.generation.load(Ordering::Acquire) == generation
        {
            let added = weight(&fresh);
            if entries.map.len() >= MAX_ENTRIES || entries.bytes + added > MAX_BYTES {
                entries.map = HashMap::new();
                entries.bytes = 0;
            }
            entries.bytes += added;
            if let Some(old) = entries.map.insert(key.to_owned(), fresh.clone()) {
                entries.bytes = entries.bytes.saturating_sub(weight(&old));
            }
        }
        Ok(fresh)
    }

    fn lookup(&self, key: &str) -> Option<Arc<CachedResponse>> {
        self.inner.read().ok()?.map.get(key).cloned()
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

    /// Bumped by every [`PageCache::invalidate_all`].
    pub fn generation(&self) -> u64 {
        self.generation.load(Ordering::Acquire)
    }

    /// Forgets everything, here and (through the peers) on every other node; call after any
    /// write that changes what readers see.
    pub fn invalidate_all(&self) {
        self.invalidate_local();
        if let Some(peers) = &self.peers {
            peers.changed("all");
        }
    }

    /// Forgets everything on this node only: what a change notice from another node does.
    pub fn invalidate_local(&self) {
        self.generation.fetch_add(1, Ordering::AcqRel);
        if let Ok(mut entries) = self.inner.write() {
            *entries = Entries::default();
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

thread_local! {
    /// Each thread keeps its deflate state (tens of kilobytes of tables) and resets it between
    /// bodies instead of allocating and clearing a new one per response.
    static DEFLATE: RefCell<Option<(u32, flate2::Compress)>> = const { RefCell::new(None) };
}

/// gzip framing (RFC 1952) around raw deflate from the thread's reused compressor.
fn gzip(data: &[u8], level: u32) -> Option<Bytes> {
    DEFLATE.with(|cell| {
        let mut cell = cell.try_borrow_mut().ok()?;
        let enc = match &mut *cell {
            Some((l, enc)) if *l == level => {
                enc.reset();
                enc
            }
            slot => {
                let (_, enc) = slot.insert((
                    level,
                    flate2::Compress::new(flate2::Compression::new(level), false),
                ));
                enc
            }
        };
        let mut out = Vec::with_capacity(data.len() / 3 + 64);
        // Magic, deflate, no flags, no mtime, no extra flags, OS unknown.
        out.extend_from_slice(&[0x1f, 0x8b, 8, 0, 0, 0, 0, 0, 0, 0xff]);
        loop {
            let consumed = usize::try_from(enc.total_in()).ok()?;
            let status = enc
                .compress_vec(&data[consumed..], &mut out, flate2::FlushCompress::Finish)
                .ok()?;
            if status == flate2::Status::StreamEnd {
                break;
            }
            out.reserve(out.capacity().max(4096));
        }
        let mut crc = flate2::Crc::new();
        crc.update(data);
        out.extend_from_slice(&crc.sum().to_le_bytes());
        // ISIZE is the length modulo 2^32 by definition.
        out.extend_from_slice(&(data.len() as u32).to_le_bytes());
        Some(Bytes::from(out))
    })
}

fn brotli(data: &[u8], quality: i32) -> Option<Bytes> {
    let mut out = Vec::with_capacity(data.len() / 3 + 64);
    // A window no larger than the body keeps the ring buffer and hash tables small.
    let fits = usize::BITS - data.len().max(1).leading_zeros();
    let params = brotli::enc::BrotliEncoderParams {
        quality,
        lgwin: i32::try_from(fits).unwrap_or(22).clamp(10, 22),
        size_hint: data.len(),
        mode: brotli::enc::backward_references::BrotliEncoderMode::BROTLI_MODE_TEXT,
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

/// An HTTP date (IMF-fixdate) header value.
pub fn http_date(t: SystemTime) -> Option<HeaderValue> {
    let t: chrono::DateTime<chrono::Utc> = t.into();
    HeaderValue::from_str(&t.format("%a, %d %b %Y %H:%M:%S GMT").to_string()).ok()
}

/// Whether a request's validators say the client's copy is current (RFC 9110 §13.2.2: when
/// `If-None-Match` is present, `If-Modified-Since` is ignored).
pub fn not_modified(
    request_headers: &HeaderMap,
    etag: &HeaderValue,
    last_modified: Option<SystemTime>,
) -> bool {
    if let Some(inm) = request_headers
        .get(header::IF_NONE_MATCH)
        .and_then(|v| v.to_str().ok())
    {
        let ours = etag.to_str().unwrap_or("");
        return inm
            .split(',')
            .map(str::trim)
            .any(|t| t == "*" || t == ours || t.strip_prefix("W/") == Some(ours));
    }
    let (Some(lm), Some(ims)) = (
        last_modified,
        request_headers
            .get(header::IF_MODIFIED_SINCE)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| chrono::DateTime::parse_from_rfc2822(v).ok()),
    ) else {
        return false;
    };
    let lm: chrono::DateTime<chrono::Utc> = lm.into();
    // HTTP dates have whole seconds.
    lm.timestamp() <= ims.timestamp()
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
    async fn cached_bodies_stay_within_the_byte_budget_and_the_newest_is_kept() {
        let cache = PageCache::new(Duration::from_secs(60));
        let big = "x".repeat(1024 * 1024);
        // 1 MiB bodies weigh 2 MiB each: the budget fills after 24 and the cache starts over.
        for i in 0..60 {
            let body = big.clone();
            cache
                .get_or_render(&format!("/p{i}"), || async move { Ok(page(&body)) })
                .await
                .unwrap();
            let entries = cache.inner.read().unwrap();
            let counted: usize = entries.map.values().map(|e| weight(e)).sum();
            assert_eq!(entries.bytes, counted);
            assert!(entries.bytes <= MAX_BYTES, "{} bytes cached", entries.bytes);
        }
        assert!(cache.lookup("/p59").is_some());
        let before = cache.inner.read().unwrap().bytes;
        cache.invalidate_all();
        assert_eq!(cache.inner.read().unwrap().bytes, 0);
        assert!(before > 0);
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

    #[tokio::test]
    async fn matching_etag_gives_304_and_other_gives_body() {
        let page = CachedResponse::new(
            StatusCode::OK,
            "text/html; charset=utf-8",
            "public, max-age=60",
            "x".repeat(2000),
        );
        let mut h = HeaderMap::new();
        h.insert(header::IF_NONE_MATCH, page.etag.clone());
        assert_eq!(page.respond(&h).await.status(), StatusCode::NOT_MODIFIED);
        h.insert(header::IF_NONE_MATCH, HeaderValue::from_static("\"other\""));
        assert_eq!(page.respond(&h).await.status(), StatusCode::OK);
    }

    #[tokio::test]
    async fn if_modified_since_gives_304_unless_if_none_match_disagrees() {
        let changed = SystemTime::UNIX_EPOCH + Duration::from_secs(1_700_000_000);
        let page = CachedResponse::with_validators(
            StatusCode::OK,
            "text/html; charset=utf-8",
            "public",
            "body",
            HeaderValue::from_static("\"v1\""),
            Some(changed),
        );
        let at = |t: SystemTime| http_date(t).expect("date");
        let mut h = HeaderMap::new();
        h.insert(header::IF_MODIFIED_SINCE, at(changed));
        let r = page.respond(&h).await;
        assert_eq!(r.status(), StatusCode::NOT_MODIFIED);
        assert_eq!(r.headers()[header::LAST_MODIFIED], at(changed));
        h.insert(
            header::IF_MODIFIED_SINCE,
            at(changed - Duration::from_secs(1)),
        );
        assert_eq!(page.respond(&h).await.status(), StatusCode::OK);
        h.insert(header::IF_MODIFIED_SINCE, at(changed));
        h.insert(header::IF_NONE_MATCH, HeaderValue::from_static("\"v0\""));
        assert_eq!(page.respond(&h).await.status(), StatusCode::OK);
    }

    fn decode(coding: &str, body: &[u8]) -> Vec<u8> {
        use std::io::Read;
        let mut out = Vec::new();
        match coding {
            "gzip" => {
                flate2::read::GzDecoder::new(body)
                    .read_to_end(&mut out)
                    .expect("gunzip");
            }
            "br" => {
                brotli::Decompressor::new(body, 4096)
                    .read_to_end(&mut out)
                    .expect("unbrotli");
            }
            other => panic!("unexpected coding {other}"),
        }
        out
    }

    async fn fetch(page: &CachedResponse, accept: &'static str) -> (Option<String>, Vec<u8>) {
        let mut h = HeaderMap::new();
        h.insert(header::ACCEPT_ENCODING, HeaderValue::from_static(accept));
        let r = page.respond(&h).await;
        let coding = r
            .headers()
            .get(header::CONTENT_ENCODING)
            .map(|v| v.to_str().unwrap_or("").to_owned());
        let body = axum::body::to_bytes(r.into_body(), 1 << 24)
            .await
            .expect("body");
        (coding, body.to_vec())
    }

    #[tokio::test]
    async fn brotli_preferred_when_accepted_and_every_encoding_round_trips() {
        let text = "hello world, a page of news ".repeat(400);
        let page = CachedResponse::new(
            StatusCode::OK,
            "text/html; charset=utf-8",
            "public",
            text.clone(),
        );
        for _ in 0..RECOMPRESS_AFTER_HITS + 2 {
            let (coding, body) = fetch(&page, "gzip, br").await;
            assert_eq!(coding.as_deref(), Some("br"));
            assert_eq!(decode("br", &body), text.as_bytes());
            let (coding, body) = fetch(&page, "gzip").await;
            assert_eq!(coding.as_deref(), Some("gzip"));
            assert!(body.len() < text.len() / 4);
            assert_eq!(decode("gzip", &body), text.as_bytes());
            tokio::task::yield_now().await;
        }
        let (coding, body) = fetch(&page, "identity").await;
        assert_eq!(coding, None);
        assert_eq!(body, text.as_bytes());
    }

    #[tokio::test]
    async fn nothing_is_compressed_before_a_client_asks_for_it() {
        let page = CachedResponse::new(StatusCode::OK, "text/html", "public", "y".repeat(4000));
        fetch(&page, "identity").await;
        assert!(page.br.quick.get().is_none() && page.gzip.quick.get().is_none());
        fetch(&page, "gzip").await;
        assert!(page.br.quick.get().is_none() && page.gzip.quick.get().is_some());
    }

    #[tokio::test]
    async fn large_bodies_compress_correctly_off_the_executor() {
        // Not random, but not trivially repetitive either: exercises more than one deflate block.
        let text: String = (0..60_000u32)
            .map(|i| format!("{} ", i.wrapping_mul(2_654_435_761) % 1000))
            .collect();
        assert!(text.len() > COMPRESS_OFF_EXECUTOR);
        let page = CachedResponse::new(StatusCode::OK, "application/json", "public", text.clone());
        for accept in ["gzip", "br"] {
            let (coding, body) = fetch(&page, accept).await;
            assert_eq!(coding.as_deref(), Some(accept));
            assert_eq!(decode(accept, &body), text.as_bytes());
        }
    }

    #[test]
    fn the_reused_deflate_state_gives_the_same_bytes_every_time() {
        let a = "first body ".repeat(100);
        let b = "second body, longer and different ".repeat(300);
        let once = gzip(b.as_bytes(), GZIP_QUICK);
        gzip(a.as_bytes(), GZIP_QUICK);
        assert_eq!(gzip(b.as_bytes(), GZIP_QUICK), once);
        gzip(a.as_bytes(), GZIP_LASTING);
        assert_eq!(gzip(b.as_bytes(), GZIP_QUICK), once);
    }
}
