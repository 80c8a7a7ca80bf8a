//! [`newsdesk_core::ingest::IngestStore`] for [`PgStore`].

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use newsdesk_core::ingest::{
    Candidate, ClaimedItem, ClusterMember, CompleteOutcome, CompletedItem, IngestCounts,
    IngestStore, Item, ItemState, NewItem, NewSource, PollFailure, PollSuccess, RawPage, Source,
    SourcePatch,
};
use newsdesk_core::{Id, StoreError, StoreResult};
// Dynamic SQL here is only ever built from the column-list constants below.
use sqlx::postgres::PgRow;
use sqlx::{AssertSqlSafe, Row as _};

use super::PgStore;
use crate::ingest_rows::{cluster_slug, signature_from_bytes, signature_to_bytes};
use crate::rows::{backend, write_error};

const SOURCE_COLUMNS: &str = "id, feed_url, site_url, name, name_from_feed, auto_publish,
    interval_seconds, current_interval_seconds, paused, etag, last_modified, next_poll_at,
    last_polled_at, last_success_at, consecutive_errors, last_error, created_at";

const ITEM_COLUMNS: &str = "id, source_id, guid, url, canonical_url, title, state, attempts,
    next_attempt_at, last_error, hold_reason, headline, cluster_id,
    raw_page IS NOT NULL AS has_raw_page, created_at";

fn source_row(r: &PgRow) -> StoreResult<Source> {
    let t = |e| backend(e);
    Ok(Source {
        id: r.try_get("id").map_err(t)?,
        feed_url: r.try_get("feed_url").map_err(t)?,
        site_url: r.try_get("site_url").map_err(t)?,
        name: r.try_get("name").map_err(t)?,
        name_from_feed: r.try_get("name_from_feed").map_err(t)?,
        auto_publish: r.try_get("auto_publish").map_err(t)?,
        interval_seconds: r.try_get("interval_seconds").map_err(t)?,
        current_interval_seconds: r.try_get("current_interval_seconds").map_err(t)?,
        paused: r.try_get("paused").map_err(t)?,
        etag: r.try_get("etag").map_err(t)?,
        last_modified: r.try_get("last_modified").map_err(t)?,
        next_poll_at: r.try_get("next_poll_at").map_err(t)?,
        last_polled_at: r.try_get("last_polled_at").map_err(t)?,
        last_success_at: r.try_get("last_success_at").map_err(t)?,
        consecutive_errors: r.try_get("consecutive_errors").map_err(t)?,
        last_error: r.try_get("last_error").map_err(t)?,
        created_at: r.try_get("created_at").map_err(t)?,
    })
}

fn item_row(r: &PgRow) -> StoreResult<Item> {
    let t = |e| backend(e);
    let state: String = r.try_get("state").map_err(t)?;
    Ok(Item {
        id: r.try_get("id").map_err(t)?,
        source_id: r.try_get("source_id").map_err(t)?,
        guid: r.try_get("guid").map_err(t)?,
        url: r.try_get("url").map_err(t)?,
        canonical_url: r.try_get("canonical_url").map_err(t)?,
        title: r.try_get("title").map_err(t)?,
        state: ItemState::parse(&state)
            .ok_or_else(|| StoreError::Corrupt(format!("item state {state:?}")))?,
        attempts: r.try_get("attempts").map_err(t)?,
        next_attempt_at: r.try_get("next_attempt_at").map_err(t)?,
        last_error: r.try_get("last_error").map_err(t)?,
        hold_reason: r.try_get("hold_reason").map_err(t)?,
        headline: r.try_get("headline").map_err(t)?,
        cluster_id: r.try_get("cluster_id").map_err(t)?,
        has_raw_page: r.try_get("has_raw_page").map_err(t)?,
        created_at: r.try_get("created_at").map_err(t)?,
    })
}

#[async_trait]
impl IngestStore for PgStore {
    async fn create_source(&self, new: &NewSource, now: DateTime<Utc>) -> StoreResult<Source> {
        let name = new.name.clone().unwrap_or_else(|| new.feed_url.clone());
        let sql = format!(
            "INSERT INTO ingest_sources (feed_url, name, name_from_feed, auto_publish,
                 interval_seconds, current_interval_seconds, next_poll_at, created_at)
             VALUES ($1, $2, $3, $4, $5, $5, $6, $6) RETURNING {SOURCE_COLUMNS}"
        );
        let row = sqlx::query(AssertSqlSafe(sql))
            .bind(&new.feed_url)
            .bind(&name)
            .bind(new.name.is_none())
            .bind(new.auto_publish)
            .bind(new.interval_seconds)
            .bind(now)
            .fetch_one(&self.pool)
            .await
            .map_err(|e| write_error(e, "feed_url", "source"))?;
        source_row(&row)
    }

    async fn source(&self, id: Id) -> StoreResult<Option<Source>> {
        let sql = format!("SELECT {SOURCE_COLUMNS} FROM ingest_sources WHERE id = $1");
        let row = sqlx::query(AssertSqlSafe(sql))
            .bind(id)
            .fetch_optional(&self.pool)
            .await
            .map_err(backend)?;
        row.as_ref().map(source_row).transpose()
    }

    async fn list_sources(&self) -> StoreResult<Vec<Source>> {
        let sql = format!("SELECT {SOURCE_COLUMNS} FROM ingest_sources ORDER BY id");
        sqlx::query(AssertSqlSafe(sql))
            .fetch_all(&self.pool)
            .await
            .map_err(backend)?
            .iter()
            .map(source_row)
            .collect()
    }

    async fn update_source(&self, id: Id, patch: &SourcePatch) -> StoreResult<Source> {
        let sql = format!(
            "UPDATE ingest_sources SET
                 name = COALESCE($1, name),
                 name_from_feed = CASE WHEN $1::text IS NULL THEN name_from_feed ELSE FALSE END,
                 auto_publish = COALESCE($2, auto_publish),
                 interval_seconds = COALESCE($3, interval_seconds),
                 current_interval_seconds = COALESCE($3, current_interval_seconds),
                 paused = COALESCE($4, paused)
             WHERE id = $5 RETURNING {SOURCE_COLUMNS}"
        );
        let row = sqlx::query(AssertSqlSafe(sql))
            .bind(patch.name.as_deref())
            .bind(patch.auto_publish)
            .bind(patch.interval_seconds)
            .bind(patch.paused)
            .bind(id)
            .fetch_optional(&self.pool)
            .await
            .map_err(backend)?
            .ok_or(StoreError::NotFound)?;
        source_row(&row)
    }

    async fn delete_source(&self, id: Id) -> StoreResult<()> {
        let mut tx = self.pool.begin().await.map_err(backend)?;
        sqlx::query(
            "DELETE FROM ingest_lsh WHERE item_id IN (SELECT id FROM ingest_items WHERE source_id = $1)",
        )
        .bind(id)
        .execute(&mut *tx)
        .await
        .map_err(backend)?;
        let done = sqlx::query("DELETE FROM ingest_sources WHERE id = $1")
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
             WHERE NOT paused AND next_poll_at <= $1 ORDER BY next_poll_at, id LIMIT $2"
        );
        sqlx::query(AssertSqlSafe(sql))
            .bind(now)
            .bind(i64::from(limit))
            .fetch_all(&self.pool)
            .await
            .map_err(backend)?
            .iter()
            .map(source_row)
            .collect()
    }

    async fn record_poll_success(&self, poll: &PollSuccess) -> StoreResult<()> {
        let done = sqlx::query(
            "UPDATE ingest_sources SET
                 last_polled_at = $1, last_success_at = $1, next_poll_at = $2,
                 current_interval_seconds = $3, consecutive_errors = 0, last_error = NULL,
                 etag = $4, last_modified = $5,
                 feed_url = COALESCE($6, feed_url),
                 name = CASE WHEN name_from_feed AND $7::text IS NOT NULL THEN $7 ELSE name END,
                 site_url = COALESCE($8, site_url)
             WHERE id = $9",
        )
        .bind(poll.polled_at)
        .bind(poll.next_poll_at)
        .bind(poll.current_interval_seconds)
        .bind(poll.etag.as_deref())
        .bind(poll.last_modified.as_deref())
        .bind(poll.new_feed_url.as_deref())
        .bind(poll.feed_title.as_deref())
        .bind(poll.site_url.as_deref())
        .bind(poll.source_id)
        .execute(&self.pool)
        .await
        .map_err(|e| write_error(e, "feed_url", "source"))?;
        if done.rows_affected() == 0 {
            return Err(StoreError::NotFound);
        }
        Ok(())
    }

    async fn record_poll_failure(&self, poll: &PollFailure) -> StoreResult<()> {
        let done = sqlx::query(
            "UPDATE ingest_sources SET last_polled_at = $1, next_poll_at = $2,
                 consecutive_errors = consecutive_errors + 1, last_error = $3
             WHERE id = $4",
        )
        .bind(poll.polled_at)
        .bind(poll.next_poll_at)
        .bind(&poll.error)
        .bind(poll.source_id)
        .execute(&self.pool)
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
        let mut tx = self.pool.begin().await.map_err(backend)?;
        let mut added = 0;
        for item in items {
            let done = sqlx::query(
                "INSERT INTO ingest_items (source_id, guid, url, canonical_url, title, summary,
                     published_at, state, next_attempt_at, created_at, updated_at)
                 VALUES ($1, $2, $3, $4, $5, $6, $7, 'queued', $8, $8, $8)
                 ON CONFLICT DO NOTHING",
            )
            .bind(item.source_id)
            .bind(&item.guid)
            .bind(&item.url)
            .bind(&item.canonical_url)
            .bind(&item.title)
            .bind(&item.summary)
            .bind(item.published_at)
            .bind(now)
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
        // SKIP LOCKED: several nodes can claim at once without waiting on each other.
        let rows = sqlx::query(
            "UPDATE ingest_items SET lease_until = $1, attempts = attempts + 1
             WHERE id IN (SELECT id FROM ingest_items
                          WHERE state = 'queued' AND next_attempt_at <= $2
                            AND (lease_until IS NULL OR lease_until <= $2)
                          ORDER BY next_attempt_at, id LIMIT $3
                          FOR UPDATE SKIP LOCKED)
             RETURNING id, source_id, url, title, summary, published_at, attempts, lease_until",
        )
        .bind(lease_until)
        .bind(now)
        .bind(i64::from(limit))
        .fetch_all(&self.pool)
        .await
        .map_err(backend)?;
        let mut out = rows
            .iter()
            .map(|r| {
                Ok(ClaimedItem {
                    id: r.try_get("id")?,
                    source_id: r.try_get("source_id")?,
                    url: r.try_get("url")?,
                    title: r.try_get("title")?,
                    summary: r.try_get("summary")?,
                    published_at: r.try_get("published_at")?,
                    attempt: r.try_get("attempts")?,
                    lease_until: r.try_get("lease_until")?,
                })
            })
            .collect::<Result<Vec<_>, sqlx::Error>>()
            .map_err(backend)?;
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
        sqlx::query(
            "UPDATE ingest_items SET last_error = $1, lease_until = NULL, updated_at = now(),
                 state = CASE WHEN $2::timestamptz IS NULL THEN 'failed' ELSE 'queued' END,
                 next_attempt_at = COALESCE($2, next_attempt_at)
             WHERE id = $3 AND attempts = $4 AND state = 'queued'",
        )
        .bind(error)
        .bind(retry_at)
        .bind(item_id)
        .bind(attempt)
        .execute(&self.pool)
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
            "UPDATE ingest_items SET state = 'held', hold_reason = $1, lease_until = NULL,
                 final_url = $2, raw_content_type = $3, raw_page = $4, updated_at = now()
             WHERE id = $5 AND attempts = $6 AND state = 'queued'",
        )
        .bind(reason)
        .bind(&raw.final_url)
        .bind(&raw.content_type)
        .bind(&raw.body)
        .bind(item_id)
        .bind(attempt)
        .execute(&self.pool)
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
        let rows = sqlx::query(
            "SELECT i.id, i.cluster_id, i.signature FROM ingest_items i
             WHERE i.id IN (SELECT item_id FROM ingest_lsh WHERE band_key = ANY($1))
               AND i.cluster_id IS NOT NULL AND i.signature IS NOT NULL
             ORDER BY i.id DESC LIMIT $2",
        )
        .bind(band_keys)
        .bind(i64::from(limit))
        .fetch_all(&self.pool)
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
        let now = Utc::now();
        let mut tx = self.pool.begin().await.map_err(backend)?;
        // The row lock makes a second completer of the same attempt wait, then find it done.
        let source: Option<(String, String)> = sqlx::query_as(
            "SELECT s.name, i.url FROM ingest_items i JOIN ingest_sources s ON s.id = i.source_id
             WHERE i.id = $1 AND i.attempts = $2 AND i.state = 'queued' FOR UPDATE OF i",
        )
        .bind(done.item_id)
        .bind(done.attempt)
        .fetch_optional(&mut *tx)
        .await
        .map_err(backend)?;
        let Some((agency, original_url)) = source else {
            return Err(StoreError::NotFound);
        };
        let joined: Option<(Id, Option<Id>)> = match done.join_cluster {
            Some(c) => sqlx::query_as(
                "SELECT id, article_id FROM ingest_clusters WHERE id = $1 FOR UPDATE",
            )
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
                    "INSERT INTO ingest_clusters (created_at) VALUES ($1) RETURNING id",
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
                 headline = $1, standfirst = $2, body_text = $3, body_html = $4, final_url = $5,
                 raw_content_type = $6, raw_page = $7, signature = $8, cluster_id = $9,
                 updated_at = $10
             WHERE id = $11",
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
             SELECT DISTINCT k, $1 FROM UNNEST($2::bigint[]) AS k ON CONFLICT DO NOTHING",
        )
        .bind(done.item_id)
        .bind(&done.band_keys)
        .execute(&mut *tx)
        .await
        .map_err(backend)?;
        let sources_in_cluster: i64 = sqlx::query_scalar(
            "SELECT COUNT(DISTINCT source_id) FROM ingest_items WHERE cluster_id = $1",
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
                        "UPDATE articles SET important = TRUE, updated_at = $1
                         WHERE id = $2 AND NOT important",
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
                     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $8, $9, $10, $11, $12) RETURNING id",
                )
                .bind(slug.as_str())
                .bind(&a.headline)
                .bind(&a.standfirst)
                .bind(&a.body_markdown)
                .bind(&a.body_html)
                .bind(a.status.as_str())
                .bind(a.published_at)
                .bind(now)
                .bind(a.canonical_url.as_deref())
                .bind(&agency)
                .bind(&original_url)
                .bind(a.important || important)
                .fetch_one(&mut *tx)
                .await
                .map_err(|e| write_error(e, "slug", "article"))?;
                sqlx::query("UPDATE ingest_clusters SET article_id = $1 WHERE id = $2")
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
        let rows: Vec<(String, String)> = sqlx::query_as(
            "SELECT name, url FROM (
                 SELECT DISTINCT ON (i.source_id) s.name, i.url, i.id
                 FROM ingest_items i
                 JOIN ingest_sources s ON s.id = i.source_id
                 JOIN ingest_clusters c ON c.id = i.cluster_id
                 WHERE c.article_id = $1 AND i.state = 'clustered'
                 ORDER BY i.source_id, i.id) AS firsts
             ORDER BY id",
        )
        .bind(article_id)
        .fetch_all(&self.pool)
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
             WHERE ($1::bigint IS NULL OR source_id = $1) ORDER BY id DESC LIMIT $2"
        );
        sqlx::query(AssertSqlSafe(sql))
            .bind(source_id)
            .bind(i64::from(limit))
            .fetch_all(&self.pool)
            .await
            .map_err(backend)?
            .iter()
            .map(item_row)
            .collect()
    }

    async fn raw_page(&self, item_id: Id) -> StoreResult<Option<RawPage>> {
        let row: Option<(Option<String>, Option<String>, Option<Vec<u8>>)> = sqlx::query_as(
            "SELECT final_url, raw_content_type, raw_page FROM ingest_items WHERE id = $1",
        )
        .bind(item_id)
        .fetch_optional(&self.pool)
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
                .fetch_all(&self.pool)
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
            .fetch_one(&self.pool)
            .await
            .map_err(backend)?;
        c.clusters = u64::try_from(clusters).unwrap_or(0);
        Ok(c)
    }
}
