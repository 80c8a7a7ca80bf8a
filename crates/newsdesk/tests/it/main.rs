//! The newsdesk binary's one integration-test binary: the real executable, real processes.

#![allow(clippy::unwrap_used)]

mod cluster_cli;
mod ingest_durability;
mod media;
mod nodes;
mod quotes_cli;
mod sources_cli;
