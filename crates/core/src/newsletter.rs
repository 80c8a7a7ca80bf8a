//! The newsletter: subscriptions, digests and the delivery log.

use async_trait::async_trait;

/// Storage for this area; part of [`crate::Store`].
#[async_trait]
pub trait NewsletterStore: Send + Sync {}
