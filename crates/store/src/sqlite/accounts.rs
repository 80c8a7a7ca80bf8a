//! [`newsdesk_core::accounts::AccountStore`] for [`SqliteStore`].

use async_trait::async_trait;
use newsdesk_core::accounts::AccountStore;

use super::SqliteStore;

#[async_trait]
impl AccountStore for SqliteStore {}
