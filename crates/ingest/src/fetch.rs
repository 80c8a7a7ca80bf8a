//! The guarded HTTP client every ingest request goes through.
//!
//! Feeds and pages come from the open internet, so every fetch is bounded: body size (counted
//! after decompression, while streaming, so a gzip bomb or a 100 MB page is cut off at the cap),
//! total time, connect time, and redirects (followed by hand, so each hop is checked and loops
//! are named). The SSRF guard refuses URLs whose host is, or resolves to, a private, loopback,
//! link-local, unique-local, multicast, unspecified or other special-purpose address
//! (the registry is in `ssrf`). It sits in the DNS resolver the
//! client connects with, so the checked addresses are the ones connected to (no rebinding gap),
//! and it is applied again to literal IP hosts, which skip the resolver.

use std::collections::HashSet;
use std::net::{IpAddr, SocketAddr};
use std::sync::{Arc, Once};
use std::time::Duration;

use reqwest::dns::{Addrs, Name, Resolve, Resolving};
use reqwest::header::{
    CONTENT_LENGTH, CONTENT_TYPE, ETAG, HeaderMap, HeaderValue, IF_MODIFIED_SINCE, IF_NONE_MATCH,
    LAST_MODIFIED, LOCATION,
};
use url::{Host, Url};

/// Limits and identity of the fetcher.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FetchOptions {
    /// Allow private, loopback and link-local destinations (tests, intranet feeds).
    pub allow_private: bool,
    /// Largest body accepted, after decompression.
    pub max_bytes: u64,
    /// Whole fetch, redirects and body included.
    pub timeout: Duration,
    pub connect_timeout: Duration,
    pub max_redirects: u32,
    pub user_agent: String,
}

impl FetchOptions {
    /// The User-Agent newsdesk sends: who we are and where to complain.
    pub fn default_user_agent(site_base_url: &str) -> String {
        format!(
            "newsdesk/{} (+{})",
            env!("CARGO_PKG_VERSION"),
            site_base_url.trim_end_matches('/')
        )
    }
}

impl Default for FetchOptions {
    fn default() -> Self {
        FetchOptions {
            allow_private: false,
            max_bytes: 10 * 1024 * 1024,
            timeout: Duration::from_secs(30),
            connect_timeout: Duration::from_secs(10),
            max_redirects: 5,
            user_agent: FetchOptions::default_user_agent("http://127.0.0.1:8080"),
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum FetchError {
    #[error("invalid URL {0:?}")]
    InvalidUrl(String),
    #[error("refused: {0}")]
    Blocked(String),
    #[error("redirect loop at {0}")]
    RedirectLoop(String),
    #[error("more than {0} redirects")]
    TooManyRedirects(u32),
    #[error("body larger than the {0} byte limit")]
    TooLarge(u64),
    #[error("timed out after {0:?}")]
    Timeout(Duration),
    #[error("HTTP status {0}")]
    Status(u16),
    #[error("network error: {0}")]
    Network(String),
}

impl FetchError {
    /// Whether trying again later may help (a refusal or a loop will not change by itself).
    pub fn is_transient(&self) -> bool {
        match self {
            FetchError::Timeout(_) | FetchError::Network(_) => true,
            FetchError::Status(s) => *s >= 500 || *s == 429 || *s == 408,
            _ => false,
        }
    }
}

/// Validators from the last successful fetch, for a conditional GET.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Validators {
    pub etag: Option<String>,
    pub last_modified: Option<String>,
}

/// A fetched body and what the server said about it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Fetched {
    pub final_url: Url,
    pub content_type: Option<String>,
    pub validators: Validators,
    pub body: Vec<u8>,
    /// Set when every redirect followed was permanent (301/308): the new address to keep.
    pub moved_permanently_to: Option<Url>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FetchOutcome {
    /// 304: nothing new since the validators.
    NotModified {
        moved_permanently_to: Option<Url>,
    },
    Fetched(Fetched),
}

/// Installs rustls' ring provider once per process (reqwest is built without a default one).
pub fn install_crypto_provider() {
    static ONCE: Once = Once::new();
    ONCE.call_once(|| {
        // An error means another part of the process installed one first: that one is used.
        let _ = rustls::crypto::ring::default_provider().install_default();
    });
}

/// Whether connecting to `ip` could reach something on the open internet only (the complete
/// special-purpose registry lives in [`crate::ssrf`]).
pub fn is_public(ip: IpAddr) -> bool {
    crate::ssrf::is_public(ip)
}

/// Resolves names and refuses them if ANY address is not public.
#[derive(Debug)]
struct GuardedResolver {
    allow_private: bool,
}

impl Resolve for GuardedResolver {
    fn resolve(&self, name: Name) -> Resolving {
        let allow_private = self.allow_private;
        let host = name.as_str().to_owned();
        Box::pin(async move {
            let addrs: Vec<SocketAddr> =
                tokio::net::lookup_host((host.as_str(), 0)).await?.collect();
            if addrs.is_empty() {
                return Err(format!("{host} has no address").into());
            }
            if !allow_private && let Some(bad) = addrs.iter().find(|a| !is_public(a.ip())) {
                return Err(Box::new(BlockedAddress(format!(
                    "{host} resolves to non-public address {}",
                    bad.ip()
                )))
                    as Box<dyn std::error::Error + Send + Sync>);
            }
            Ok(Box::new(addrs.into_iter()) as Addrs)
        })
    }
}

#[derive(Debug)]
struct BlockedAddress(String);

impl std::fmt::Display for BlockedAddress {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for BlockedAddress {}

/// The guarded client. Cheap to clone.
#[derive(Debug, Clone)]
pub struct Fetcher {
    client: reqwest::Client,
    options: Arc<FetchOptions>,
}

impl Fetcher {
    pub fn new(options: FetchOptions) -> Result<Self, FetchError> {
        install_crypto_provider();
        let client = reqwest::Client::builder()
            .user_agent(options.user_agent.clone())
            .redirect(reqwest::redirect::Policy::none())
            // A proxy would connect on our behalf and bypass the address check.
            .no_proxy()
            .connect_timeout(options.connect_timeout)
            .timeout(options.timeout)
            .dns_resolver(GuardedResolver {
                allow_private: options.allow_private,
            })
            .build()
            .map_err(|e| FetchError::Network(error_chain(&e)))?;
        Ok(Fetcher {
            client,
            options: Arc::new(options),
        })
    }

    pub fn options(&self) -> &FetchOptions {
        &self.options
    }

    /// GETs `url`, following redirects, with a conditional GET when validators are given.
    pub async fn get(
        &self,
        url: &str,
        validators: &Validators,
    ) -> Result<FetchOutcome, FetchError> {
        let url = Url::parse(url).map_err(|_| FetchError::InvalidUrl(url.to_owned()))?;
        let timeout = self.options.timeout;
        tokio::time::timeout(timeout, self.get_inner(url, validators))
            .await
            .map_err(|_| FetchError::Timeout(timeout))?
    }

    async fn get_inner(
        &self,
        mut url: Url,
        validators: &Validators,
    ) -> Result<FetchOutcome, FetchError> {
        let mut seen: HashSet<String> = HashSet::new();
        let mut all_permanent = true;
        let mut redirects = 0u32;
        loop {
            self.check_url(&url)?;
            if !seen.insert(url.to_string()) {
                return Err(FetchError::RedirectLoop(url.to_string()));
            }
            let mut req = self.client.get(url.clone());
            if let Some(etag) = &validators.etag {
                req = req.header(IF_NONE_MATCH, etag);
            }
            if let Some(lm) = &validators.last_modified {
                req = req.header(IF_MODIFIED_SINCE, lm);
            }
            let mut resp = req.send().await.map_err(|e| self.send_error(e))?;
            let status = resp.status();
            let moved = |all_permanent: bool, redirects: u32| {
                (all_permanent && redirects > 0).then(|| url.clone())
            };
            if status.is_redirection() && status.as_u16() != 304 {
                let Some(location) = resp.headers().get(LOCATION).and_then(|l| l.to_str().ok())
                else {
                    return Err(FetchError::Status(status.as_u16()));
                };
                let next = url
                    .join(location)
                    .map_err(|_| FetchError::InvalidUrl(location.to_owned()))?;
                redirects += 1;
                if redirects > self.options.max_redirects {
                    if seen.contains(next.as_str()) {
                        return Err(FetchError::RedirectLoop(next.to_string()));
                    }
                    return Err(FetchError::TooManyRedirects(self.options.max_redirects));
                }
                all_permanent &= matches!(status.as_u16(), 301 | 308);
                url = next;
                continue;
            }
            if status.as_u16() == 304 {
                return Ok(FetchOutcome::NotModified {
                    moved_permanently_to: moved(all_permanent, redirects),
                });
            }
            if !status.is_success() {
                return Err(FetchError::Status(status.as_u16()));
            }
            let headers = resp.headers().clone();
            let limit = self.options.max_bytes;
            // The declared length is of the encoded body; a lie is caught while streaming.
            if header_u64(&headers, CONTENT_LENGTH).is_some_and(|n| n > limit)
                && !headers.contains_key(reqwest::header::CONTENT_ENCODING)
            {
                return Err(FetchError::TooLarge(limit));
            }
            let mut body = Vec::new();
            while let Some(chunk) = resp.chunk().await.map_err(|e| self.send_error(e))? {
                if body.len() as u64 + chunk.len() as u64 > limit {
                    return Err(FetchError::TooLarge(limit));
                }
                body.extend_from_slice(&chunk);
            }
            return Ok(FetchOutcome::Fetched(Fetched {
                moved_permanently_to: moved(all_permanent, redirects),
                final_url: url,
                content_type: header_string(&headers, CONTENT_TYPE),
                validators: Validators {
                    etag: header_string(&headers, ETAG),
                    last_modified: header_string(&headers, LAST_MODIFIED),
                },
                body,
            }));
        }
    }

    /// Scheme and literal-address checks; names are checked by the resolver.
    fn check_url(&self, url: &Url) -> Result<(), FetchError> {
        if !matches!(url.scheme(), "http" | "https") {
            return Err(FetchError::Blocked(format!(
                "scheme {} is not http(s)",
                url.scheme()
            )));
        }
        let ip = match url.host() {
            Some(Host::Ipv4(ip)) => IpAddr::V4(ip),
            Some(Host::Ipv6(ip)) => IpAddr::V6(ip),
            Some(Host::Domain(d)) => {
                // `localhost` never reaches the resolver on some platforms.
                if !self.options.allow_private && d.eq_ignore_ascii_case("localhost") {
                    return Err(FetchError::Blocked("localhost".into()));
                }
                return Ok(());
            }
            None => return Err(FetchError::InvalidUrl(url.to_string())),
        };
        if !self.options.allow_private && !is_public(ip) {
            return Err(FetchError::Blocked(format!("non-public address {ip}")));
        }
        Ok(())
    }

    fn send_error(&self, e: reqwest::Error) -> FetchError {
        if e.is_timeout() {
            return FetchError::Timeout(self.options.timeout);
        }
        let chain = error_chain(&e);
        if let Some(blocked) = find_source::<BlockedAddress>(&e) {
            return FetchError::Blocked(blocked.0.clone());
        }
        FetchError::Network(chain)
    }
}

fn find_source<'a, T: std::error::Error + 'static>(
    e: &'a (dyn std::error::Error + 'static),
) -> Option<&'a T> {
    let mut cur: Option<&(dyn std::error::Error + 'static)> = Some(e);
    while let Some(err) = cur {
        if let Some(t) = err.downcast_ref::<T>() {
            return Some(t);
        }
        cur = err.source();
    }
    None
}

fn error_chain(e: &(dyn std::error::Error + 'static)) -> String {
    let mut out = e.to_string();
    let mut cur = e.source();
    while let Some(err) = cur {
        out.push_str(": ");
        out.push_str(&err.to_string());
        cur = err.source();
    }
    out
}

fn header_string(h: &HeaderMap, name: reqwest::header::HeaderName) -> Option<String> {
    h.get(name)
        .and_then(|v: &HeaderValue| v.to_str().ok())
        .map(str::to_owned)
}

fn header_u64(h: &HeaderMap, name: reqwest::header::HeaderName) -> Option<u64> {
    header_string(h, name).and_then(|v| v.trim().parse().ok())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn private_loopback_link_local_and_multicast_are_not_public() {
        for ip in [
            "127.0.0.1",
            "10.1.2.3",
            "172.16.0.1",
            "192.168.1.1",
            "169.254.169.254",
            "0.0.0.0",
            "224.0.0.1",
            "100.64.0.1",
            "::1",
            "::",
            "fe80::1",
            "fd00::1",
            "ff02::1",
            "::ffff:127.0.0.1",
        ] {
            let ip: IpAddr = ip.parse().expect("test address");
            assert!(!is_public(ip), "{ip} must not be public");
        }
        for ip in ["93.184.216.34", "2a00:1450:4001:82a::200e", "1.1.1.1"] {
            let ip: IpAddr = ip.parse().expect("test address");
            assert!(is_public(ip), "{ip} is public");
        }
    }

    #[test]
    fn ipv6_loopback_is_not_public() {
        assert!(!is_public(IpAddr::V6(std::net::Ipv6Addr::LOCALHOST)));
    }
}
