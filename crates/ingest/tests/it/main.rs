//! The ingest crate's one integration-test binary: a real HTTP server on loopback serving feeds
//! and pages of our own writing, a real SQLite store, the real pipeline.

#![allow(clippy::unwrap_used)]

mod clustering;
mod common;
mod fetch;
mod pipeline;
