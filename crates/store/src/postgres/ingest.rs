//! [`newsdesk_core::ingest::IngestStore`] for [`PgStore`].

use async_trait::async_trait;
use newsdesk_core::ingest::IngestStore;

use super::PgStore;

#[async_trait]
impl IngestStore for PgStore {}
