//! The wire desk: agency sources, their feed items, the fetch queue, and story clusters.

use async_trait::async_trait;

/// Storage for this area; part of [`crate::Store`].
#[async_trait]
pub trait IngestStore: Send + Sync {}
