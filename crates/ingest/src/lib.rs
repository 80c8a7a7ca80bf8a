//! The wire desk: follows agency feeds, fetches each item's page, extracts and sanitizes the
//! story, and clusters the same story told by several agencies into one site article.
//!
//! - [`fetch`]: the guarded HTTP client (size, time and redirect bounds, SSRF guard, conditional GET);
//! - [`feeds`]: feed parsing (RSS 0.9x/1.0/2.0, Atom, JSON Feed), charsets, discovery from HTML;
//! - [`canon`]: URL canonicalisation for exact duplicates;
//! - [`config`]: the `[fetch]` and `[ingest]` configuration tables;
//! - [`events`]: event placement of independently written reports, against the store's clusters;
//! - [`fingerprint`]: MinHash signatures and LSH band keys for near-duplicates;
//! - [`robots`]: robots.txt rules for article fetches;
//! - [`schedule`]: adaptive polling intervals and back-off;
//! - [`pipeline`]: one pass over due sources and queued items, built on the store's lease queue.

pub mod canon;
pub mod config;
pub mod events;
pub mod feeds;
pub mod fetch;
pub mod photos;
pub mod pipeline;
pub mod robots;
pub mod schedule;
pub mod stories;
// The special-purpose address registry lives in core, which the webhook sender shares.
pub use newsdesk_core::net as ssrf;

/// MinHash near-duplicates live with the event clustering in `newsdesk-cluster`.
pub use newsdesk_cluster::fingerprint;

pub use fetch::{FetchError, FetchOptions, Fetcher};
pub use pipeline::{IngestOptions, PassSummary, Pipeline};
pub use url::Url;
