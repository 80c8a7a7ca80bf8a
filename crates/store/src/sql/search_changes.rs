//! [`newsdesk_core::search_changes::SearchChangeStore`], written once for both backends: reads of
//! the change log the database's triggers append to (migration 0018).

use async_trait::async_trait;
use newsdesk_core::StoreResult;
use newsdesk_core::search_changes::{SearchChange, SearchChangeStore};

use super::{ThisStore, id_list};
use crate::rows::backend;

/// Gaps re-read at a time; the worker never has more than a handful.
const MAX_GAPS: usize = 1000;

#[async_trait]
impl SearchChangeStore for ThisStore {
    async fn search_changes_after(&self, after: i64, limit: u32) -> StoreResult<Vec<SearchChange>> {
        let rows: Vec<(i64, i64)> = sqlx::query_as(
            "SELECT seq, article_id FROM search_changes WHERE seq > $1 ORDER BY seq LIMIT $2",
        )
        .bind(after)
        .bind(i64::from(limit))
        .fetch_all(self.reader())
        .await
        .map_err(backend)?;
        Ok(rows
            .into_iter()
            .map(|(seq, article_id)| SearchChange { seq, article_id })
            .collect())
    }

    async fn search_changes_at(&self, seqs: &[i64]) -> StoreResult<Vec<SearchChange>> {
        if seqs.is_empty() {
            return Ok(Vec::new());
        }
        let seqs = &seqs[..seqs.len().min(MAX_GAPS)];
        let rows: Vec<(i64, i64)> = sqlx::query_as(concat!(
            "SELECT seq, article_id FROM search_changes WHERE seq ",
            in_list!(1),
            " ORDER BY seq"
        ))
        .bind(id_list(seqs))
        .fetch_all(self.reader())
        .await
        .map_err(backend)?;
        Ok(rows
            .into_iter()
            .map(|(seq, article_id)| SearchChange { seq, article_id })
            .collect())
    }

    async fn latest_search_change(&self) -> StoreResult<i64> {
        let (seq,): (Option<i64>,) = sqlx::query_as("SELECT MAX(seq) FROM search_changes")
            .fetch_one(self.reader())
            .await
            .map_err(backend)?;
        Ok(seq.unwrap_or(0))
    }
}
