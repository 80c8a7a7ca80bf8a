//! [`newsdesk_core::ingest::IngestStore`] for [`SqliteStore`].

use async_trait::async_trait;
use newsdesk_core::ingest::IngestStore;

use super::SqliteStore;

#[async_trait]
impl IngestStore for SqliteStore {}
