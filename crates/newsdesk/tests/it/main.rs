//! The newsdesk binary's one integration-test binary: the real executable, real processes.

#![allow(clippy::unwrap_used)]

mod cluster_cli;
mod ingest_durability;
mod sources_cli;
mod quotes_cli;
