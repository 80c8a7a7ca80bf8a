//! newsdesk's domain: the content model, the `Store` port that the storage backends implement,
//! and the pure services built on them (Markdown rendering, publishing, the newsletter, ...).
//! The demo content lives in its own crate, `newsdesk-demo`.
//! Nothing here speaks HTTP or SQL: `newsdesk-web` adapts it to HTTP, `newsdesk-store` to SQL.

pub mod accounts;
pub mod domain;
pub mod editorial;
pub mod hasher;
pub mod ingest;
pub mod jobs;
pub mod markdown;
pub mod markup;
pub mod model;
pub mod net;
pub mod newsletter;
pub mod nodes;
pub mod pages;
pub mod password_reset;
pub mod publishing;
pub mod quotes;
pub mod search_changes;
pub mod site;
pub mod store;
pub mod stories;
pub mod throttle;

pub use domain::{EmailAddress, InvalidInput, Slug};
pub use model::*;
pub use store::{Store, StoreError, StoreResult};
