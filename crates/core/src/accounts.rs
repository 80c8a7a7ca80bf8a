//! Accounts of the people who run the site: users, roles, sessions, API tokens, and the audit log.

use async_trait::async_trait;

/// Storage for this area; part of [`crate::Store`].
#[async_trait]
pub trait AccountStore: Send + Sync {}
