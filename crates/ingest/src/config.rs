//! The `[fetch]` and `[ingest]` configuration tables, beside the code they configure: serde
//! structs with the defaults of [`FetchOptions`] and [`IngestOptions`], and their conversion
//! into those options.

use std::time::Duration;

use serde::{Deserialize, Serialize};

use crate::{FetchOptions, IngestOptions};

/// `[fetch]`: limits for every feed, robots.txt and page fetch.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct FetchConfig {
    /// Allow private, loopback and link-local destinations (env NEWSDESK_FETCH_ALLOW_PRIVATE).
    pub allow_private: bool,
    /// Largest body accepted, after decompression.
    pub max_bytes: u64,
    pub timeout_seconds: u64,
    pub connect_timeout_seconds: u64,
    pub max_redirects: u32,
    /// Empty: `newsdesk/<version> (+<site.base_url>)`.
    pub user_agent: String,
}

impl Default for FetchConfig {
    fn default() -> Self {
        let d = FetchOptions::default();
        FetchConfig {
            allow_private: d.allow_private,
            max_bytes: d.max_bytes,
            timeout_seconds: d.timeout.as_secs(),
            connect_timeout_seconds: d.connect_timeout.as_secs(),
            max_redirects: d.max_redirects,
            user_agent: String::new(),
        }
    }
}

/// `[ingest]`: the background loop and the pipeline's defaults.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct IngestConfig {
    /// Run the ingest loop inside `serve`.
    pub enabled: bool,
    /// Polling interval for sources added without `--interval` (e.g. `15m`).
    pub default_interval: String,
    /// Seconds between passes of the background loop.
    pub tick_seconds: u64,
    /// Page fetches in flight at once, overall and per host.
    pub concurrency: usize,
    pub per_host_concurrency: usize,
    /// How long a claimed item is leased before another pass may take it again.
    pub lease_seconds: u64,
    /// Clusters carried by this many sources make their article important.
    pub important_at_sources: u32,
    pub respect_robots: bool,
    /// A story joins only story clusters with a member within this many hours of it.
    pub cluster_window_hours: i64,
}

impl Default for IngestConfig {
    fn default() -> Self {
        let d = IngestOptions::default();
        IngestConfig {
            enabled: true,
            default_interval: "15m".into(),
            tick_seconds: 30,
            concurrency: d.concurrency,
            per_host_concurrency: d.per_host_concurrency,
            lease_seconds: d.lease.as_secs(),
            important_at_sources: d.important_at_sources,
            respect_robots: d.respect_robots,
            cluster_window_hours: newsdesk_cluster::Settings::default().window_hours,
        }
    }
}

impl FetchConfig {
    /// The fetcher's options; an empty `user_agent` becomes newsdesk's own, naming the site.
    pub fn options(&self, site_base_url: &str) -> FetchOptions {
        FetchOptions {
            allow_private: self.allow_private,
            max_bytes: self.max_bytes,
            timeout: Duration::from_secs(self.timeout_seconds.max(1)),
            connect_timeout: Duration::from_secs(self.connect_timeout_seconds.max(1)),
            max_redirects: self.max_redirects,
            user_agent: if self.user_agent.is_empty() {
                FetchOptions::default_user_agent(site_base_url)
            } else {
                self.user_agent.clone()
            },
        }
    }
}

impl IngestConfig {
    /// The story clustering settings: ingest and `newsdesk cluster` share them.
    pub fn clustering(&self) -> newsdesk_cluster::Settings {
        newsdesk_cluster::Settings {
            window_hours: self.cluster_window_hours.max(1),
            ..newsdesk_cluster::Settings::default()
        }
    }

    /// The pipeline's options (the loop's own settings, `enabled` and `tick_seconds`, stay with
    /// whoever runs the loop).
    pub fn options(&self) -> IngestOptions {
        IngestOptions {
            concurrency: self.concurrency.max(1),
            per_host_concurrency: self.per_host_concurrency.max(1),
            lease: Duration::from_secs(self.lease_seconds.max(1)),
            important_at_sources: self.important_at_sources.max(1),
            respect_robots: self.respect_robots,
            clustering: self.clustering(),
            ..IngestOptions::default()
        }
    }
}
