//! [`newsdesk_core::accounts::AccountStore`] for [`PgStore`].

use async_trait::async_trait;
use newsdesk_core::accounts::AccountStore;

use super::PgStore;

#[async_trait]
impl AccountStore for PgStore {}
