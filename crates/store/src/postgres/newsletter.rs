//! [`newsdesk_core::newsletter::NewsletterStore`] for [`PgStore`].

use async_trait::async_trait;
use newsdesk_core::newsletter::NewsletterStore;

use super::PgStore;

#[async_trait]
impl NewsletterStore for PgStore {}
