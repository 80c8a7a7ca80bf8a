//! [`newsdesk_core::ingest::IngestStore`] for [`SqliteStore`].

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use newsdesk_core::ingest::{
    Candidate, ClaimedItem, ClusterMember, CompleteOutcome, CompletedItem, IngestCounts,
    IngestStore, Item, ItemState, NewItem, NewSource, PollFailure, PollSuccess, RawPage, Source,
    SourcePatch,
};
use newsdesk_core::{Id, StoreError, StoreResult};
// Dynamic SQL here is only ever built from the column-list constants below.
use sqlx::sqlite::SqliteRow;
use sqlx::{AssertSqlSafe, Row as _};

use super::{SqliteStore, id_list_json, micros};
use crate::ingest_rows::{cluster_slug, signature_from_bytes, signature_to_bytes};
use crate::rows::{backend, micros_to_time, write_error};

const SOURCE_COLUMNS: &str = "id, feed_url, site_url, name, name_from_feed, auto_publish,
    interval_seconds, current_interval_seconds, paused, etag, last_modified, next_poll_at,
    last_polled_at, last_success_at, consecutive_errors, last_error, created_at";

const ITEM_COLUMNS: &str = "id, source_id, guid, url, canonical_url, title, state, attempts,
    next_attempt_at, last_error, hold_reason, headline, cluster_id,
    raw_page IS NOT NULL AS has_raw_page, created_at";

fn opt_time(r: &SqliteRow, col: &str) -> StoreResult<Option<DateTime<Utc>>> {
    let v: Option<i64> = r.try_get(col).map_err(backend)?;
    v.map(|v| micros_to_time(v, col)).transpose()
}

fn time(r: &SqliteRow, col: &str) -> StoreResult<DateTime<Utc>> {
    micros_to_time(r.try_get(col).map_err(backend)?, col)
}

fn source_row(r: &SqliteRow) -> StoreResult<Source> {
    let g = |c: &str| -> StoreResult<String> { r.try_get(c).map_err(backend) };
    let go = |c: &str| -> StoreResult<Option<String>> { r.try_get(c).map_err(backend) };
    let b = |c: &str| -> StoreResult<bool> { r.try_get(c).map_err(backend) };
    let i = |c: &str| -> StoreResult<i64> { r.try_get(c).map_err(backend) };
    Ok(Source {
        id: i("id")?,
        feed_url: g("feed_url")?,
        site_url: go("site_url")?,
        name: g("name")?,
        name_from_feed: b("name_from_feed")?,
        auto_publish: b("auto_publish")?,
        interval_seconds: i("interval_seconds")?,
        current_interval_seconds: i("current_interval_seconds")?,
        paused: b("paused")?,
        etag: go("etag")?,
        last_modified: go("last_modified")?,
        next_poll_at: time(r, "next_poll_at")?,
        last_polled_at: opt_time(r, "last_polled_at")?,
        last_success_at: opt_time(r, "last_success_at")?,
        consecutive_errors: r.try_get("consecutive_errors").map_err(backend)?,
        last_error: go("last_error")?,
        created_at: time(r, "created_at")?,
    })
}

fn item_row(r: &SqliteRow) -> StoreResult<Item> {
    let g = |c: &str| -> StoreResult<String> { r.try_get(c).map_err(backend) };
    let go = |c: &str| -> StoreResult<Option<String>> { r.try_get(c).map_err(backend) };
    let state = g("state")?;
    Ok(Item {
        id: r.try_get("id").map_err(backend)?,
        source_id: r.try_get("source_id").map_err(backend)?,
        guid: g("guid")?,
        url: g("url")?,
        canonical_url: g("canonical_url")?,
        title: g("title")?,
        state: ItemState::parse(&state)
            .ok_or_else(|| StoreError::Corrupt(format!("item state {state:?}")))?,
        attempts: r.try_get("attempts").map_err(backend)?,
        next_attempt_at: time(r, "next_attempt_at")?,
        last_error: go("last_error")?,
        hold_reason: go("hold_reason")?,
        headline: go("headline")?,
        cluster_id: r.try_get("cluster_id").map_err(backend)?,
        has_raw_page: r.try_get("has_raw_page").map_err(backend)?,
        created_at: time(r, "created_at")?,
    })
}

impl SqliteStore {
    async fn source_by_id(&self, id: Id, from_writer: bool) -> StoreResult<Option<Source>> {
        let sql = format!("SELECT {SOURCE_COLUMNS} FROM ingest_sources WHERE id = ?");
        let q = sqlx::query(AssertSqlSafe(sql)).bind(id);
        let row = if from_writer {
            q.fetch_optional(&self.writer).await
        } else {
            q.fetch_optional(&self.readers).await
        }
        .map_err(backend)?;
        row.as_ref().map(source_row).transpose()
    }
}

#[async_trait]
impl IngestStore for SqliteStore {
    async fn create_source(&self, new: &NewSource, now: DateTime<Utc>) -> StoreResult<Source> {
        let name = new.name.clone().unwrap_or_else(|| new.feed_url.clone());
        let sql = format!(
            "INSERT INTO ingest_sources (feed_url, name, name_from_feed, auto_publish,
                 interval_seconds, current_interval_seconds, next_poll_at, created_at)
             VALUES (?, ?, ?, ?, ?, ?, ?, ?) RETURNING {SOURCE_COLUMNS}"
        );
        let row = sqlx::query(AssertSqlSafe(sql))
            .bind(&new.feed_url)
            .bind(&name)
            .bind(new.name.is_none())
            .bind(new.auto_publish)
            .bind(new.interval_seconds)
            .bind(new.interval_seconds)
            .bind(micros(now))
            .bind(micros(now))
            .fetch_one(&self.writer)
            .await
            .map_err(|e| write_error(e, "feed_url", "source"))?;
        source_row(&row)
    }

    async fn source(&self, id: Id) -> StoreResult<Option<Source>> {
        self.source_by_id(id, false).await
    }

    async fn list_sources(&self) -> StoreResult<Vec<Source>> {
        let sql = format!("SELECT {SOURCE_COLUMNS} FROM ingest_sources ORDER BY id");
        sqlx::query(AssertSqlSafe(sql))
            .fetch_all(&self.readers)
            .await
            .map_err(backend)?
            .iter()
            .map(source_row)
            .collect()
    }

    async fn update_source(&self, id: Id, patch: &SourcePatch) -> StoreResult<Source> {
        let sql = format!(
            "UPDATE ingest_sources SET
                 name = COALESCE(?, name),
                 name_from_feed = CASE WHEN ? IS NULL THEN name_from_feed ELSE 0 END,
                 auto_publish = COALESCE(?, auto_publish),
                 interval_seconds = COALESCE(?, interval_seconds),
                 current_interval_seconds = COALESCE(?, current_interval_seconds),
                 paused = COALESCE(?, paused)
             WHERE id = ? RETURNING {SOURCE_COLUMNS}"
        );
        let row = sqlx::query(AssertSqlSafe(sql))
            .bind(patch.name.as_deref())
            .bind(patch.name.as_deref())
            .bind(patch.auto_publish)
            .bind(patch.interval_seconds)
            .bind(patch.interval_seconds)
            .bind(patch.paused)
            .bind(id)
            .fetch_optional(&self.writer)
            .await
            .map_err(backend)?
            .ok_or(StoreError::NotFound)?;
        source_row(&row)
    }

    async fn delete_source(&self, id: Id) -> StoreResult<()> {
        let mut tx = self
            .writer
            .begin_with("BEGIN IMMEDIATE")
            .await
            .map_err(backend)?;
        sqlx::query(
            "DELETE FROM ingest_lsh WHERE item_id IN (SELECT id FROM ingest_items WHERE source_id = ?)",
        )
        .bind(id)
        .execute(&mut *tx)
        .await
        .map_err(backend)?;
        let done = sqlx::query("DELETE FROM ingest_sources WHERE id = ?")
            .bind(id)
            .execute(&mut *tx)
            .await
            .map_err(backend)?;
        if done.rows_affected() == 0 {
            return Err(StoreError::NotFound);
        }
        tx.commit().await.map_err(backend)
    }

    async fn due_sources(&self, now: DateTime<Utc>, limit: u32) -> StoreResult<Vec<Source>> {
        let sql = format!(
            "SELECT {SOURCE_COLUMNS} FROM ingest_sources
             WHERE paused = 0 AND next_poll_at <= ? ORDER BY next_poll_at, id LIMIT ?"
        );
        sqlx::query(AssertSqlSafe(sql))
            .bind(micros(now))
            .bind(i64::from(limit))
            .fetch_all(&self.writer)
            .await
            .map_err(backend)?
            .iter()
            .map(source_row)
            .collect()
    }

    async fn record_poll_success(&self, poll: &PollSuccess) -> StoreResult<()> {
        let done = sqlx::query(
            "UPDATE ingest_sources SET
                 last_polled_at = ?, last_success_at = ?, next_poll_at = ?,
                 current_interval_seconds = ?, consecutive_errors = 0, last_error = NULL,
                 etag = ?, last_modified = ?,
                 feed_url = COALESCE(?, feed_url),
                 name = CASE WHEN name_from_feed = 1 AND ? IS NOT NULL THEN ? ELSE name END,
                 site_url = COALESCE(?, site_url)
             WHERE id = ?",
        )
        .bind(micros(poll.polled_at))
        .bind(micros(poll.polled_at))
        .bind(micros(poll.next_poll_at))
        .bind(poll.current_interval_seconds)
        .bind(poll.etag.as_deref())
        .bind(poll.last_modified.as_deref())
        .bind(poll.new_feed_url.as_deref())
        .bind(poll.feed_title.as_deref())
        .bind(poll.feed_title.as_deref())
        .bind(poll.site_url.as_deref())
        .bind(poll.source_id)
        .execute(&self.writer)
        .await
        .map_err(|e| write_error(e, "feed_url", "source"))?;
        if done.rows_affected() == 0 {
            return Err(StoreError::NotFound);
        }
        Ok(())
    }

    async fn record_poll_failure(&self, poll: &PollFailure) -> StoreResult<()> {
        let done = sqlx::query(
            "UPDATE ingest_sources SET last_polled_at = ?, next_poll_at = ?,
                 consecutive_errors = consecutive_errors + 1, last_error = ?
             WHERE id = ?",
        )
        .bind(micros(poll.polled_at))
        .bind(micros(poll.next_poll_at))
        .bind(&poll.error)
        .bind(poll.source_id)
        .execute(&self.writer)
        .await
        .map_err(backend)?;
        if done.rows_affected() == 0 {
            return Err(StoreError::NotFound);
        }
        Ok(())
    }

    async fn add_items(&self, items: &[NewItem], now: DateTime<Utc>) -> StoreResult<u64> {
        if items.is_empty() {
            return Ok(0);
        }
        let mut tx = self
            .writer
            .begin_with("BEGIN IMMEDIATE")
            .await
            .map_err(backend)?;
        let mut added = 0;
        for item in items {
            // Either unique key (source+GUID, canonical URL) makes it an exact duplicate.
            let done = sqlx::query(
                "INSERT INTO ingest_items (source_id, guid, url, canonical_url, title, summary,
                     published_at, state, next_attempt_at, created_at, updated_at)
                 VALUES (?, ?, ?, ?, ?, ?, ?, 'queued', ?, ?, ?)
                 ON CONFLICT DO NOTHING",
            )
            .bind(item.source_id)
            .bind(&item.guid)
            .bind(&item.url)
            .bind(&item.canonical_url)
            .bind(&item.title)
            .bind(&item.summary)
            .bind(item.published_at.map(micros))
            .bind(micros(now))
            .bind(micros(now))
            .bind(micros(now))
            .execute(&mut *tx)
            .await
            .map_err(|e| write_error(e, "item", "source"))?;
            added += done.rows_affected();
        }
        tx.commit().await.map_err(backend)?;
        Ok(added)
    }

    async fn claim_items(
        &self,
        now: DateTime<Utc>,
        lease_until: DateTime<Utc>,
        limit: u32,
    ) -> StoreResult<Vec<ClaimedItem>> {
        let rows = sqlx::query(
            "UPDATE ingest_items SET lease_until = ?, attempts = attempts + 1
             WHERE id IN (SELECT id FROM ingest_items
                          WHERE state = 'queued' AND next_attempt_at <= ?
                            AND (lease_until IS NULL OR lease_until <= ?)
                          ORDER BY next_attempt_at, id LIMIT ?)
             RETURNING id, source_id, url, title, summary, published_at, attempts, lease_until",
        )
        .bind(micros(lease_until))
        .bind(micros(now))
        .bind(micros(now))
        .bind(i64::from(limit))
        .fetch_all(&self.writer)
        .await
        .map_err(backend)?;
        let mut out = rows
            .iter()
            .map(|r| {
                Ok(ClaimedItem {
                    id: r.try_get("id").map_err(backend)?,
                    source_id: r.try_get("source_id").map_err(backend)?,
                    url: r.try_get("url").map_err(backend)?,
                    title: r.try_get("title").map_err(backend)?,
                    summary: r.try_get("summary").map_err(backend)?,
                    published_at: opt_time(r, "published_at")?,
                    attempt: r.try_get("attempts").map_err(backend)?,
                    lease_until: time(r, "lease_until")?,
                })
            })
            .collect::<StoreResult<Vec<_>>>()?;
        out.sort_by_key(|c| c.id);
        Ok(out)
    }

    async fn fail_item(
        &self,
        item_id: Id,
        attempt: i32,
        error: &str,
        retry_at: Option<DateTime<Utc>>,
    ) -> StoreResult<()> {
        let now = micros(Utc::now());
        sqlx::query(
            "UPDATE ingest_items SET last_error = ?, lease_until = NULL, updated_at = ?,
                 state = CASE WHEN ? IS NULL THEN 'failed' ELSE 'queued' END,
                 next_attempt_at = COALESCE(?, next_attempt_at)
             WHERE id = ? AND attempts = ? AND state = 'queued'",
        )
        .bind(error)
        .bind(now)
        .bind(retry_at.map(micros))
        .bind(retry_at.map(micros))
        .bind(item_id)
        .bind(attempt)
        .execute(&self.writer)
        .await
        .map_err(backend)?;
        Ok(())
    }

    async fn hold_item(
        &self,
        item_id: Id,
        attempt: i32,
        reason: &str,
        raw: &RawPage,
    ) -> StoreResult<()> {
        let done = sqlx::query(
            "UPDATE ingest_items SET state = 'held', hold_reason = ?, lease_until = NULL,
                 final_url = ?, raw_content_type = ?, raw_page = ?, updated_at = ?
             WHERE id = ? AND attempts = ? AND state = 'queued'",
        )
        .bind(reason)
        .bind(&raw.final_url)
        .bind(&raw.content_type)
        .bind(&raw.body)
        .bind(micros(Utc::now()))
        .bind(item_id)
        .bind(attempt)
        .execute(&self.writer)
        .await
        .map_err(backend)?;
        if done.rows_affected() == 0 {
            return Err(StoreError::NotFound);
        }
        Ok(())
    }

    async fn cluster_candidates(
        &self,
        band_keys: &[i64],
        limit: u32,
    ) -> StoreResult<Vec<Candidate>> {
        if band_keys.is_empty() {
            return Ok(Vec::new());
        }
        // Reads go to the writer: the caller places the story right after, and must see the
        // stories placed just before it.
        let rows = sqlx::query(
            "SELECT i.id, i.cluster_id, i.signature FROM ingest_items i
             WHERE i.id IN (SELECT DISTINCT item_id FROM ingest_lsh
                            WHERE band_key IN (SELECT value FROM json_each(?)))
               AND i.cluster_id IS NOT NULL AND i.signature IS NOT NULL
             ORDER BY i.id DESC LIMIT ?",
        )
        .bind(id_list_json(band_keys.iter().copied()))
        .bind(i64::from(limit))
        .fetch_all(&self.writer)
        .await
        .map_err(backend)?;
        rows.iter()
            .map(|r| {
                let sig: Vec<u8> = r.try_get("signature").map_err(backend)?;
                Ok(Candidate {
                    item_id: r.try_get("id").map_err(backend)?,
                    cluster_id: r.try_get("cluster_id").map_err(backend)?,
                    signature: signature_from_bytes(&sig),
                })
            })
            .collect()
    }

    async fn complete_item(&self, done: &CompletedItem) -> StoreResult<CompleteOutcome> {
        let now = micros(Utc::now());
        let mut tx = self
            .writer
            .begin_with("BEGIN IMMEDIATE")
            .await
            .map_err(backend)?;
        let source: Option<(i64, String, String)> = sqlx::query_as(
            "SELECT s.id, s.name, i.url FROM ingest_items i JOIN ingest_sources s ON s.id = i.source_id
             WHERE i.id = ? AND i.attempts = ? AND i.state = 'queued'",
        )
        .bind(done.item_id)
        .bind(done.attempt)
        .fetch_optional(&mut *tx)
        .await
        .map_err(backend)?;
        let Some((_, agency, original_url)) = source else {
            return Err(StoreError::NotFound);
        };
        let joined: Option<(Id, Option<Id>)> = match done.join_cluster {
            Some(c) => sqlx::query_as("SELECT id, article_id FROM ingest_clusters WHERE id = ?")
                .bind(c)
                .fetch_optional(&mut *tx)
                .await
                .map_err(backend)?,
            None => None,
        };
        let (cluster_id, existing_article) = match joined {
            Some(found) => found,
            None => {
                let id: Id = sqlx::query_scalar(
                    "INSERT INTO ingest_clusters (created_at) VALUES (?) RETURNING id",
                )
                .bind(now)
                .fetch_one(&mut *tx)
                .await
                .map_err(backend)?;
                (id, None)
            }
        };
        let s = &done.story;
        sqlx::query(
            "UPDATE ingest_items SET state = 'clustered', lease_until = NULL, last_error = NULL,
                 headline = ?, standfirst = ?, body_text = ?, body_html = ?, final_url = ?,
                 raw_content_type = ?, raw_page = ?, signature = ?, cluster_id = ?, updated_at = ?
             WHERE id = ?",
        )
        .bind(&s.headline)
        .bind(&s.standfirst)
        .bind(&s.body_text)
        .bind(&s.body_html)
        .bind(&s.raw.final_url)
        .bind(&s.raw.content_type)
        .bind(&s.raw.body)
        .bind(signature_to_bytes(&done.signature))
        .bind(cluster_id)
        .bind(now)
        .bind(done.item_id)
        .execute(&mut *tx)
        .await
        .map_err(backend)?;
        sqlx::query(
            "INSERT INTO ingest_lsh (band_key, item_id)
             SELECT value, ? FROM json_each(?) WHERE true ON CONFLICT DO NOTHING",
        )
        .bind(done.item_id)
        .bind(id_list_json(done.band_keys.iter().copied()))
        .execute(&mut *tx)
        .await
        .map_err(backend)?;
        let sources_in_cluster: i64 = sqlx::query_scalar(
            "SELECT COUNT(DISTINCT source_id) FROM ingest_items WHERE cluster_id = ?",
        )
        .bind(cluster_id)
        .fetch_one(&mut *tx)
        .await
        .map_err(backend)?;
        let sources_in_cluster = u32::try_from(sources_in_cluster).unwrap_or(u32::MAX);
        let important = sources_in_cluster >= done.important_at_sources;
        let (article_id, created_article) = match existing_article {
            Some(article_id) => {
                if important {
                    sqlx::query(
                        "UPDATE articles SET important = 1, updated_at = ?
                         WHERE id = ? AND important = 0",
                    )
                    .bind(now)
                    .bind(article_id)
                    .execute(&mut *tx)
                    .await
                    .map_err(backend)?;
                }
                (article_id, false)
            }
            None => {
                let a = &done.article;
                let slug = cluster_slug(&a.slug, cluster_id)?;
                let article_id: Id = sqlx::query_scalar(
                    "INSERT INTO articles (slug, headline, standfirst, body_markdown, body_html,
                         status, published_at, updated_at, created_at, canonical_url,
                         source_agency, source_url, important)
                     VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING id",
                )
                .bind(slug.as_str())
                .bind(&a.headline)
                .bind(&a.standfirst)
                .bind(&a.body_markdown)
                .bind(&a.body_html)
                .bind(a.status.as_str())
                .bind(a.published_at.map(micros))
                .bind(now)
                .bind(now)
                .bind(a.canonical_url.as_deref())
                .bind(&agency)
                .bind(&original_url)
                .bind(a.important || important)
                .fetch_one(&mut *tx)
                .await
                .map_err(|e| write_error(e, "slug", "article"))?;
                sqlx::query("UPDATE ingest_clusters SET article_id = ? WHERE id = ?")
                    .bind(article_id)
                    .bind(cluster_id)
                    .execute(&mut *tx)
                    .await
                    .map_err(|e| write_error(e, "cluster article", "article"))?;
                (article_id, true)
            }
        };
        tx.commit().await.map_err(backend)?;
        Ok(CompleteOutcome {
            cluster_id,
            article_id,
            created_article,
            sources_in_cluster,
        })
    }

    async fn cluster_members_for_article(&self, article_id: Id) -> StoreResult<Vec<ClusterMember>> {
        // One line per agency: its first version of the story.
        let rows: Vec<(String, String)> = sqlx::query_as(
            "SELECT s.name, i.url FROM ingest_items i
             JOIN ingest_sources s ON s.id = i.source_id
             JOIN ingest_clusters c ON c.id = i.cluster_id
             WHERE c.article_id = ? AND i.state = 'clustered'
               AND i.id = (SELECT MIN(j.id) FROM ingest_items j
                           WHERE j.cluster_id = i.cluster_id AND j.source_id = i.source_id
                             AND j.state = 'clustered')
             ORDER BY i.id",
        )
        .bind(article_id)
        .fetch_all(&self.readers)
        .await
        .map_err(backend)?;
        Ok(rows
            .into_iter()
            .map(|(agency, url)| ClusterMember { agency, url })
            .collect())
    }

    async fn list_items(&self, source_id: Option<Id>, limit: u32) -> StoreResult<Vec<Item>> {
        let sql = format!(
            "SELECT {ITEM_COLUMNS} FROM ingest_items
             WHERE (? IS NULL OR source_id = ?) ORDER BY id DESC LIMIT ?"
        );
        sqlx::query(AssertSqlSafe(sql))
            .bind(source_id)
            .bind(source_id)
            .bind(i64::from(limit))
            .fetch_all(&self.readers)
            .await
            .map_err(backend)?
            .iter()
            .map(item_row)
            .collect()
    }

    async fn raw_page(&self, item_id: Id) -> StoreResult<Option<RawPage>> {
        let row: Option<(Option<String>, Option<String>, Option<Vec<u8>>)> = sqlx::query_as(
            "SELECT final_url, raw_content_type, raw_page FROM ingest_items WHERE id = ?",
        )
        .bind(item_id)
        .fetch_optional(&self.readers)
        .await
        .map_err(backend)?;
        Ok(match row {
            Some((Some(final_url), Some(content_type), Some(body))) => Some(RawPage {
                final_url,
                content_type,
                body,
            }),
            _ => None,
        })
    }

    async fn ingest_counts(&self) -> StoreResult<IngestCounts> {
        let rows: Vec<(String, i64)> =
            sqlx::query_as("SELECT state, COUNT(*) FROM ingest_items GROUP BY state")
                .fetch_all(&self.readers)
                .await
                .map_err(backend)?;
        let mut c = IngestCounts::default();
        for (state, n) in rows {
            let n = u64::try_from(n).unwrap_or(0);
            match ItemState::parse(&state) {
                Some(ItemState::Queued) => c.queued = n,
                Some(ItemState::Held) => c.held = n,
                Some(ItemState::Clustered) => c.clustered = n,
                Some(ItemState::Failed) => c.failed = n,
                None => return Err(StoreError::Corrupt(format!("item state {state:?}"))),
            }
        }
        let clusters: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM ingest_clusters")
            .fetch_one(&self.readers)
            .await
            .map_err(backend)?;
        c.clusters = u64::try_from(clusters).unwrap_or(0);
        Ok(c)
    }
}
