//! [`newsdesk_core::newsletter::NewsletterStore`] for [`SqliteStore`].

use async_trait::async_trait;
use newsdesk_core::newsletter::NewsletterStore;

use super::SqliteStore;

#[async_trait]
impl NewsletterStore for SqliteStore {}
