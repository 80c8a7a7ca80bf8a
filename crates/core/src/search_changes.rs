//! The search change log (issue 16): the store appends an article's id on every write that
//! changes what a search index holds of it (publish, update, unpublish, delete, tags, bylines),
//! and each process tails the log by sequence number to keep its own index current.

use async_trait::async_trait;

use crate::store::StoreResult;

/// One entry of the log: article `article_id` changed (or was deleted) at position `seq`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SearchChange {
    pub seq: i64,
    pub article_id: crate::Id,
}

#[async_trait]
pub trait SearchChangeStore: Send + Sync {
    /// Up to `limit` changes with `seq > after`, in `seq` order.
    async fn search_changes_after(&self, after: i64, limit: u32) -> StoreResult<Vec<SearchChange>>;
    /// The changes whose `seq` is one of `seqs` (re-reading gaps left by transactions that had
    /// not committed yet), in `seq` order.
    async fn search_changes_at(&self, seqs: &[i64]) -> StoreResult<Vec<SearchChange>>;
    /// The highest `seq` written so far (0: none).
    async fn latest_search_change(&self) -> StoreResult<i64>;
}
