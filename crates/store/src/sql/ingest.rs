//! [`newsdesk_core::ingest::IngestStore`], written once for both backends, the cluster logic of
//! `complete_item` included. Row locks (`for_update!`) matter on PostgreSQL only: on SQLite the
//! write transaction already holds the database's one write lock.

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use newsdesk_core::ingest::{
    Candidate, ClaimedItem, ClusterMember, CompleteOutcome, CompletedItem, EventCandidate,
    EventQuery, IngestCounts, IngestStore, Item, ItemState, LeadPhotos, NewItem, NewSource,
    Placer, PlacementChoice, PollFailure, PollSuccess, RawPage, Source, SourcePatch,
};
use newsdesk_core::{Id, StoreError, StoreResult};
// Dynamic SQL here is only ever built from the column-list constants below.
use sqlx::AssertSqlSafe;

use super::{ThisStore, id_list};
use crate::ingest_rows::{cluster_slug, signature_from_bytes, signature_to_bytes};
use crate::rows::{backend, write_error};
use crate::types::{self, Time};

const SOURCE_COLUMNS: &str = "id, feed_url, site_url, name, name_from_feed, auto_publish,
    interval_seconds, current_interval_seconds, paused, etag, last_modified, next_poll_at,
    last_polled_at, last_success_at, consecutive_errors, last_error, created_at, lead_photos";

const ITEM_COLUMNS: &str = "id, source_id, guid, url, canonical_url, title, state, attempts,
    next_attempt_at, last_error, hold_reason, headline, cluster_id,
    raw_page IS NOT NULL AS has_raw_page, created_at";

#[derive(sqlx::FromRow)]
struct SourceRow {
    id: Id,
    feed_url: String,
    site_url: Option<String>,
    name: String,
    name_from_feed: bool,
    auto_publish: bool,
    interval_seconds: i64,
    current_interval_seconds: i64,
    paused: bool,
    etag: Option<String>,
    last_modified: Option<String>,
    next_poll_at: Time,
    last_polled_at: Option<Time>,
    last_success_at: Option<Time>,
    consecutive_errors: i32,
    last_error: Option<String>,
    created_at: Time,
    lead_photos: String,
}

impl From<SourceRow> for Source {
    fn from(r: SourceRow) -> Self {
        Source {
            id: r.id,
            feed_url: r.feed_url,
            site_url: r.site_url,
            name: r.name,
            name_from_feed: r.name_from_feed,
            auto_publish: r.auto_publish,
            interval_seconds: r.interval_seconds,
            current_interval_seconds: r.current_interval_seconds,
            paused: r.paused,
            etag: r.etag,
            last_modified: r.last_modified,
            next_poll_at: r.next_poll_at.0,
            last_polled_at: types::opt(r.last_polled_at),
            last_success_at: types::opt(r.last_success_at),
            consecutive_errors: r.consecutive_errors,
            last_error: r.last_error,
            created_at: r.created_at.0,
            // The column's CHECK admits only the modes `LeadPhotos::parse` reads.
            lead_photos: LeadPhotos::parse(&r.lead_photos).unwrap_or_default(),
        }
    }
}

#[derive(sqlx::FromRow)]
struct ItemRow {
    id: Id,
    source_id: Id,
    guid: String,
    url: String,
    canonical_url: String,
    title: String,
    state: String,
    attempts: i32,
    next_attempt_at: Time,
    last_error: Option<String>,
    hold_reason: Option<String>,
    headline: Option<String>,
    cluster_id: Option<Id>,
    has_raw_page: bool,
    created_at: Time,
}

impl ItemRow {
    fn into_model(self) -> StoreResult<Item> {
        let state = ItemState::parse(&self.state)
            .ok_or_else(|| StoreError::Corrupt(format!("item state {:?}", self.state)))?;
        Ok(Item {
            id: self.id,
            source_id: self.source_id,
            guid: self.guid,
            url: self.url,
            canonical_url: self.canonical_url,
            title: self.title,
            state,
            attempts: self.attempts,
            next_attempt_at: self.next_attempt_at.0,
            last_error: self.last_error,
            hold_reason: self.hold_reason,
            headline: self.headline,
            cluster_id: self.cluster_id,
            has_raw_page: self.has_raw_page,
            created_at: self.created_at.0,
        })
    }
}

#[derive(sqlx::FromRow)]
struct ClaimedItemRow {
    id: Id,
    source_id: Id,
    url: String,
    title: String,
    summary: String,
    published_at: Option<Time>,
    attempts: i32,
    lease_until: Time,
    categories: String,
}

#[derive(sqlx::FromRow)]
struct CandidateRow {
    id: Id,
    cluster_id: Id,
    signature: Vec<u8>,
}

#[async_trait]
impl IngestStore for ThisStore {
    async fn create_source(&self, new: &NewSource, now: DateTime<Utc>) -> StoreResult<Source> {
        let name = new.name.clone().unwrap_or_else(|| new.feed_url.clone());
        let sql = format!(
            "INSERT INTO ingest_sources (feed_url, name, name_from_feed, auto_publish,
                 interval_seconds, current_interval_seconds, next_poll_at, created_at)
             VALUES ($1, $2, $3, $4, $5, $5, $6, $6) RETURNING {SOURCE_COLUMNS}"
        );
        let row: SourceRow = sqlx::query_as(AssertSqlSafe(sql))
            .bind(&new.feed_url)
            .bind(&name)
            .bind(new.name.is_none())
            .bind(new.auto_publish)
            .bind(new.interval_seconds)
            .bind(Time(now))
            .fetch_one(self.writer())
            .await
            .map_err(|e| write_error(e, "feed_url", "source"))?;
        Ok(row.into())
    }

    async fn source(&self, id: Id) -> StoreResult<Option<Source>> {
        let sql = format!("SELECT {SOURCE_COLUMNS} FROM ingest_sources WHERE id = $1");
        let row: Option<SourceRow> = sqlx::query_as(AssertSqlSafe(sql))
            .bind(id)
            .fetch_optional(self.reader())
            .await
            .map_err(backend)?;
        Ok(row.map(Source::from))
    }

    async fn list_sources(&self) -> StoreResult<Vec<Source>> {
        let sql = format!("SELECT {SOURCE_COLUMNS} FROM ingest_sources ORDER BY id");
        let rows: Vec<SourceRow> = sqlx::query_as(AssertSqlSafe(sql))
            .fetch_all(self.reader())
            .await
            .map_err(backend)?;
        Ok(rows.into_iter().map(Source::from).collect())
    }

    async fn update_source(&self, id: Id, patch: &SourcePatch) -> StoreResult<Source> {
        let sql = format!(
            "UPDATE ingest_sources SET
                 name = COALESCE($1, name),
                 name_from_feed = CASE WHEN $1 IS NULL THEN name_from_feed ELSE FALSE END,
                 auto_publish = COALESCE($2, auto_publish),
                 interval_seconds = COALESCE($3, interval_seconds),
                 current_interval_seconds = COALESCE($3, current_interval_seconds),
                 paused = COALESCE($4, paused)
             WHERE id = $5 RETURNING {SOURCE_COLUMNS}"
        );
        let row: SourceRow = sqlx::query_as(AssertSqlSafe(sql))
            .bind(patch.name.as_deref())
            .bind(patch.auto_publish)
            .bind(patch.interval_seconds)
            .bind(patch.paused)
            .bind(id)
            .fetch_optional(self.writer())
            .await
            .map_err(backend)?
            .ok_or(StoreError::NotFound)?;
        Ok(row.into())
    }

    async fn set_source_lead_photos(&self, id: Id, mode: LeadPhotos) -> StoreResult<Source> {
        let sql = format!(
            "UPDATE ingest_sources SET lead_photos = $1 WHERE id = $2 RETURNING {SOURCE_COLUMNS}"
        );
        let row: SourceRow = sqlx::query_as(AssertSqlSafe(sql))
            .bind(mode.as_str())
            .bind(id)
            .fetch_optional(self.writer())
            .await
            .map_err(backend)?
            .ok_or(StoreError::NotFound)?;
        Ok(row.into())
    }

    async fn delete_source(&self, id: Id) -> StoreResult<()> {
        let mut tx = self.begin_write().await?;
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
        let rows: Vec<SourceRow> = sqlx::query_as(AssertSqlSafe(sql))
            .bind(Time(now))
            .bind(i64::from(limit))
            .fetch_all(self.writer())
            .await
            .map_err(backend)?;
        Ok(rows.into_iter().map(Source::from).collect())
    }

    async fn record_poll_success(&self, poll: &PollSuccess) -> StoreResult<()> {
        let done = sqlx::query(
            "UPDATE ingest_sources SET
                 last_polled_at = $1, last_success_at = $1, next_poll_at = $2,
                 current_interval_seconds = $3, consecutive_errors = 0, last_error = NULL,
                 etag = $4, last_modified = $5,
                 feed_url = COALESCE($6, feed_url),
                 name = CASE WHEN name_from_feed AND $7 IS NOT NULL THEN $7 ELSE name END,
                 site_url = COALESCE($8, site_url)
             WHERE id = $9",
        )
        .bind(Time(poll.polled_at))
        .bind(Time(poll.next_poll_at))
        .bind(poll.current_interval_seconds)
        .bind(poll.etag.as_deref())
        .bind(poll.last_modified.as_deref())
        .bind(poll.new_feed_url.as_deref())
        .bind(poll.feed_title.as_deref())
        .bind(poll.site_url.as_deref())
        .bind(poll.source_id)
        .execute(self.writer())
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
        .bind(Time(poll.polled_at))
        .bind(Time(poll.next_poll_at))
        .bind(&poll.error)
        .bind(poll.source_id)
        .execute(self.writer())
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
        let mut tx = self.begin_write().await?;
        let mut added = 0;
        for item in items {
            let done = sqlx::query(
                "INSERT INTO ingest_items (source_id, guid, url, canonical_url, title, summary,
                     published_at, state, next_attempt_at, created_at, updated_at, categories)
                 VALUES ($1, $2, $3, $4, $5, $6, $7, 'queued', $8, $8, $8, $9)
                 ON CONFLICT DO NOTHING",
            )
            .bind(item.source_id)
            .bind(&item.guid)
            .bind(&item.url)
            .bind(&item.canonical_url)
            .bind(&item.title)
            .bind(&item.summary)
            .bind(item.published_at.map(Time))
            .bind(Time(now))
            .bind(serde_json::to_string(&item.categories).map_err(|e| StoreError::Corrupt(e.to_string()))?)
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
        // SKIP LOCKED on PostgreSQL: several nodes can claim at once without waiting on each other.
        let rows: Vec<ClaimedItemRow> = sqlx::query_as(concat!(
            "UPDATE ingest_items SET lease_until = $1, attempts = attempts + 1
             WHERE id IN (SELECT id FROM ingest_items
                          WHERE state = 'queued' AND next_attempt_at <= $2
                            AND (lease_until IS NULL OR lease_until <= $2)
                          ORDER BY next_attempt_at, id LIMIT $3",
            skip_locked!(),
            ")
             RETURNING id, source_id, url, title, summary, published_at, attempts, lease_until,
                       categories"
        ))
        .bind(Time(lease_until))
        .bind(Time(now))
        .bind(i64::from(limit))
        .fetch_all(self.writer())
        .await
        .map_err(backend)?;
        let mut out: Vec<ClaimedItem> = rows
            .into_iter()
            .map(|r| ClaimedItem {
                id: r.id,
                source_id: r.source_id,
                url: r.url,
                title: r.title,
                summary: r.summary,
                published_at: types::opt(r.published_at),
                attempt: r.attempts,
                categories: serde_json::from_str(&r.categories).unwrap_or_default(),
                lease_until: r.lease_until.0,
            })
            .collect();
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
            "UPDATE ingest_items SET last_error = $1, lease_until = NULL, updated_at = $5,
                 state = CASE WHEN $2 IS NULL THEN 'failed' ELSE 'queued' END,
                 next_attempt_at = COALESCE($2, next_attempt_at)
             WHERE id = $3 AND attempts = $4 AND state = 'queued'",
        )
        .bind(error)
        .bind(retry_at.map(Time))
        .bind(item_id)
        .bind(attempt)
        .bind(Time(Utc::now()))
        .execute(self.writer())
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
                 final_url = $2, raw_content_type = $3, raw_page = $4, updated_at = $7
             WHERE id = $5 AND attempts = $6 AND state = 'queued'",
        )
        .bind(reason)
        .bind(&raw.final_url)
        .bind(&raw.content_type)
        .bind(&raw.body)
        .bind(item_id)
        .bind(attempt)
        .bind(Time(Utc::now()))
        .execute(self.writer())
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
        let rows: Vec<CandidateRow> = sqlx::query_as(concat!(
            "SELECT i.id, i.cluster_id, i.signature FROM ingest_items i
             WHERE i.id IN (SELECT DISTINCT item_id FROM ingest_lsh WHERE band_key ",
            in_list!(1),
            ")
               AND i.cluster_id IS NOT NULL AND i.signature IS NOT NULL
             ORDER BY i.id DESC LIMIT $2"
        ))
        .bind(id_list(band_keys))
        .bind(i64::from(limit))
        .fetch_all(self.writer())
        .await
        .map_err(backend)?;
        Ok(rows
            .into_iter()
            .map(|r| Candidate {
                item_id: r.id,
                cluster_id: r.cluster_id,
                signature: signature_from_bytes(&r.signature),
            })
            .collect())
    }

    async fn complete_item(&self, done: &CompletedItem) -> StoreResult<CompleteOutcome> {
        let mut tx = self.begin_write().await?;
        let outcome = complete_in(&mut tx, done, Place::Given(done.join_cluster)).await?;
        tx.commit().await.map_err(backend)?;
        Ok(outcome)
    }

    async fn place_item(
        &self,
        done: &CompletedItem,
        events: &EventQuery,
        placer: &dyn Placer,
    ) -> StoreResult<CompleteOutcome> {
        // One placement at a time across every node: on SQLite the write transaction already is
        // the database's one writer; PostgreSQL takes a transaction-scoped advisory lock.
        let mut tx = super::stories::begin_desk(self).await?;
        let outcome = complete_in(&mut tx, done, Place::Events(events, placer)).await?;
        tx.commit().await.map_err(backend)?;
        Ok(outcome)
    }

    async fn recent_story_texts(&self, limit: u32) -> StoreResult<Vec<(String, String)>> {
        let rows: Vec<(Option<String>, Option<String>)> = sqlx::query_as(
            "SELECT headline, body_text FROM ingest_items
             WHERE state = 'clustered' ORDER BY id DESC LIMIT $1",
        )
        .bind(i64::from(limit))
        .fetch_all(self.reader())
        .await
        .map_err(backend)?;
        Ok(rows
            .into_iter()
            .map(|(h, b)| (h.unwrap_or_default(), b.unwrap_or_default()))
            .collect())
    }

    async fn cluster_members_for_article(&self, article_id: Id) -> StoreResult<Vec<ClusterMember>> {
        // One line per agency: its first version of the story.
        let rows: Vec<(String, String, Id)> = sqlx::query_as(
            "SELECT s.name, i.url, c.id FROM ingest_items i
             JOIN ingest_sources s ON s.id = i.source_id
             JOIN ingest_clusters c ON c.id = i.cluster_id
             WHERE c.article_id = $1 AND i.state = 'clustered'
               AND i.id = (SELECT MIN(j.id) FROM ingest_items j
                           WHERE j.cluster_id = i.cluster_id AND j.source_id = i.source_id
                             AND j.state = 'clustered')
             ORDER BY i.id",
        )
        .bind(article_id)
        .fetch_all(self.reader())
        .await
        .map_err(backend)?;
        Ok(rows
            .into_iter()
            .map(|(agency, url, story_id)| ClusterMember {
                agency,
                url,
                story_id,
            })
            .collect())
    }

    async fn list_items(&self, source_id: Option<Id>, limit: u32) -> StoreResult<Vec<Item>> {
        let sql = format!(
            "SELECT {ITEM_COLUMNS} FROM ingest_items
             WHERE ($1 IS NULL OR source_id = $1) ORDER BY id DESC LIMIT $2"
        );
        let rows: Vec<ItemRow> = sqlx::query_as(AssertSqlSafe(sql))
            .bind(source_id)
            .bind(i64::from(limit))
            .fetch_all(self.reader())
            .await
            .map_err(backend)?;
        rows.into_iter().map(ItemRow::into_model).collect()
    }

    async fn raw_page(&self, item_id: Id) -> StoreResult<Option<RawPage>> {
        let row: Option<(Option<String>, Option<String>, Option<Vec<u8>>)> = sqlx::query_as(
            "SELECT final_url, raw_content_type, raw_page FROM ingest_items WHERE id = $1",
        )
        .bind(item_id)
        .fetch_optional(self.reader())
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
                .fetch_all(self.reader())
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
            .fetch_one(self.reader())
            .await
            .map_err(backend)?;
        c.clusters = u64::try_from(clusters).unwrap_or(0);
        Ok(c)
    }
}

/// How `complete_in` finds the story's cluster.
enum Place<'a> {
    /// Decided by the caller (MinHash only), or a new cluster.
    Given(Option<Id>),
    /// Decided by the placer against the event index, inside the transaction.
    Events(&'a EventQuery, &'a dyn Placer),
}

type Tx = sqlx::Transaction<'static, super::Db>;

/// Stores a completed item in `tx`: the story, its cluster (joined or new), the cluster's article.
async fn complete_in(
    tx: &mut Tx,
    done: &CompletedItem,
    place: Place<'_>,
) -> StoreResult<CompleteOutcome> {
    let now = Time(Utc::now());
    let mut event_write = None;
    // The row lock makes a second completer of the same attempt wait, then find it done.
    let source: Option<(String, String)> = sqlx::query_as(concat!(
        "SELECT s.name, i.url FROM ingest_items i JOIN ingest_sources s ON s.id = i.source_id
         WHERE i.id = $1 AND i.attempts = $2 AND i.state = 'queued'",
        for_update!("i")
    ))
    .bind(done.item_id)
    .bind(done.attempt)
    .fetch_optional(&mut **tx)
    .await
    .map_err(backend)?;
    let Some((agency, original_url)) = source else {
        return Err(StoreError::NotFound);
    };
    let join_cluster = match place {
        Place::Given(c) => c,
        Place::Events(query, placer) => {
            let choice = choose_cluster(tx, done, query, placer).await?;
            event_write = Some((query, choice.summary));
            choice.join_cluster
        }
    };
    let joined: Option<(Id, Option<Id>)> = match join_cluster {
        Some(c) => sqlx::query_as(concat!(
            "SELECT id, article_id FROM ingest_clusters WHERE id = $1",
            for_update!()
        ))
        .bind(c)
        .fetch_optional(&mut **tx)
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
            .fetch_one(&mut **tx)
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
             updated_at = $10, event_at = COALESCE($12, event_at)
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
    // The story desk moves a member's keys by this time (`StoryStore::split_story`).
    .bind(event_write.as_ref().map(|(q, _)| Time(q.at)))
    .execute(&mut **tx)
    .await
    .map_err(backend)?;
    // `WHERE true` keeps SQLite from reading ON CONFLICT as a join's ON.
    sqlx::query(concat!(
        "INSERT INTO ingest_lsh (band_key, item_id)
         SELECT DISTINCT l.id, $1 FROM ",
        list_rows!(2),
        " AS l WHERE true ON CONFLICT DO NOTHING"
    ))
    .bind(done.item_id)
    .bind(id_list(&done.band_keys))
    .execute(&mut **tx)
    .await
    .map_err(backend)?;
    let sources_in_cluster: i64 = sqlx::query_scalar(
        "SELECT COUNT(DISTINCT source_id) FROM ingest_items WHERE cluster_id = $1",
    )
    .bind(cluster_id)
    .fetch_one(&mut **tx)
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
                .execute(&mut **tx)
                .await
                .map_err(backend)?;
            }
            (article_id, false)
        }
        None => {
            let a = &done.article;
            // The headline's slug as it is; a number only when another article has it.
            let taken: Option<Id> =
                sqlx::query_scalar("SELECT id FROM articles WHERE slug = $1")
                    .bind(a.slug.as_str())
                    .fetch_optional(&mut **tx)
                    .await
                    .map_err(backend)?;
            let slug = match taken {
                Some(_) => cluster_slug(&a.slug, cluster_id)?,
                None => a.slug.clone(),
            };
            let author_ids = named_rows(tx, "authors", &done.byline).await?;
            let tag_ids = named_rows(tx, "tags", &done.tags).await?;
            let photo_id: Option<Id> = match &done.lead_photo {
                Some(p) => Some(
                    sqlx::query_scalar(
                        "INSERT INTO photos (file, content_type, alt, caption, credit, width,
                             height)
                         VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING id",
                    )
                    .bind(&p.file)
                    .bind(&p.content_type)
                    .bind(&p.alt)
                    .bind(&p.caption)
                    .bind(&p.credit)
                    .bind(i64::from(p.width))
                    .bind(i64::from(p.height))
                    .fetch_one(&mut **tx)
                    .await
                    .map_err(|e| write_error(e, "file", "photo"))?,
                ),
                None => a.lead_photo_id,
            };
            let article_id: Id = sqlx::query_scalar(
                "INSERT INTO articles (slug, headline, standfirst, body_markdown, body_html,
                     status, published_at, updated_at, created_at, canonical_url,
                     source_agency, source_url, important, lead_photo_id, section_id)
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $8, $9, $10, $11, $12, $13, $14)
                 RETURNING id",
            )
            .bind(slug.as_str())
            .bind(&a.headline)
            .bind(&a.standfirst)
            .bind(&a.body_markdown)
            .bind(&a.body_html)
            .bind(a.status.as_str())
            .bind(a.published_at.map(Time))
            .bind(now)
            .bind(a.canonical_url.as_deref())
            .bind(&agency)
            .bind(&original_url)
            .bind(a.important || important)
            .bind(photo_id)
            // The feed's first category is the agency's section.
            .bind(tag_ids.first().copied())
            .fetch_one(&mut **tx)
            .await
            .map_err(|e| write_error(e, "slug", "article"))?;
            super::articles::set_links(
                tx,
                article_id,
                &author_ids,
                &tag_ids,
                "author or tag",
            )
            .await?;
            sqlx::query("UPDATE ingest_clusters SET article_id = $1 WHERE id = $2")
                .bind(article_id)
                .bind(cluster_id)
                .execute(&mut **tx)
                .await
                .map_err(|e| write_error(e, "cluster article", "article"))?;
            (article_id, true)
        }
    };
    if let Some((query, summary)) = event_write {
        write_event_index(tx, cluster_id, query, summary, now).await?;
    }
    Ok(CompleteOutcome {
        cluster_id,
        article_id,
        created_article,
        sources_in_cluster,
    })
}

/// MinHash copies and event candidates of the story, read inside the placement transaction, and
/// the placer's choice among them.
async fn choose_cluster(
    tx: &mut Tx,
    done: &CompletedItem,
    query: &EventQuery,
    placer: &dyn Placer,
) -> StoreResult<PlacementChoice> {
    let copies: Vec<Candidate> = if done.band_keys.is_empty() {
        Vec::new()
    } else {
        let rows: Vec<CandidateRow> = sqlx::query_as(concat!(
            "SELECT i.id, i.cluster_id, i.signature FROM ingest_items i
             WHERE i.id IN (SELECT DISTINCT item_id FROM ingest_lsh WHERE band_key ",
            in_list!(1),
            ")
               AND i.cluster_id IS NOT NULL AND i.signature IS NOT NULL
             ORDER BY i.id DESC LIMIT $2"
        ))
        .bind(id_list(&done.band_keys))
        .bind(COPY_CANDIDATES)
        .fetch_all(&mut **tx)
        .await
        .map_err(backend)?;
        rows.into_iter()
            .map(|r| Candidate {
                item_id: r.id,
                cluster_id: r.cluster_id,
                signature: signature_from_bytes(&r.signature),
            })
            .collect()
    };
    let (keys, weights): (Vec<i64>, Vec<i64>) = query.keys.iter().copied().unzip();
    let lo = Time(query.at - chrono::Duration::seconds(query.window_seconds));
    let hi = Time(query.at + chrono::Duration::seconds(query.window_seconds));
    let mut copy_clusters: Vec<Id> = Vec::new();
    for c in &copies {
        if !copy_clusters.contains(&c.cluster_id) {
            copy_clusters.push(c.cluster_id);
        }
    }
    let events: Vec<EventCandidate> = if keys.is_empty() && copy_clusters.is_empty() {
        Vec::new()
    } else {
        // One statement (each is a round trip to the database): each key's postings within the
        // window weighted by the key's idf, the best clusters ranked, with their summaries; then
        // the copies' clusters, unranked.
        let rows: Vec<(Id, Vec<u8>, Option<i64>)> = sqlx::query_as(concat!(
            "WITH r AS (
                 SELECT k.cluster_id,
                        ROW_NUMBER() OVER (ORDER BY SUM(w.id) DESC, k.cluster_id) AS ord
                 FROM ingest_event_keys k
                 JOIN ",
            list_rows!(1),
            " AS q ON q.id = k.key
                 JOIN ",
            list_rows!(2),
            " AS w ON w.pos = q.pos
                 WHERE k.at >= $3 AND k.at <= $4
                 GROUP BY k.cluster_id
                 ORDER BY ord
                 LIMIT $5)
             SELECT c.cluster_id, c.summary, r.ord
             FROM r JOIN ingest_event_clusters c ON c.cluster_id = r.cluster_id
             UNION ALL
             SELECT c.cluster_id, c.summary, NULL FROM ingest_event_clusters c
             WHERE c.cluster_id ",
            in_list!(6)
        ))
        .bind(id_list(&keys))
        .bind(id_list(&weights))
        .bind(lo)
        .bind(hi)
        .bind(i64::from(query.limit))
        .bind(id_list(&copy_clusters))
        .fetch_all(&mut **tx)
        .await
        .map_err(backend)?;
        let (mut ranked, unranked): (Vec<_>, Vec<_>) =
            rows.into_iter().partition(|(_, _, ord)| ord.is_some());
        ranked.sort_by_key(|(_, _, ord)| *ord);
        let mut by_id: std::collections::HashMap<Id, Vec<u8>> = unranked
            .into_iter()
            .map(|(id, summary, _)| (id, summary))
            .collect();
        let mut events: Vec<EventCandidate> = ranked
            .into_iter()
            .map(|(cluster_id, summary, _)| {
                by_id.remove(&cluster_id);
                EventCandidate {
                    cluster_id,
                    summary,
                }
            })
            .collect();
        // The copies' clusters the keys did not rank, in the copies' order (newest first).
        events.extend(copy_clusters.iter().filter_map(|id| {
            by_id.remove(id).map(|summary| EventCandidate {
                cluster_id: *id,
                summary,
            })
        }));
        events
    };
    Ok(placer.place(&copies, &events))
}

/// The cluster's new summary and the story's keys, dated at the story's time.
async fn write_event_index(
    tx: &mut Tx,
    cluster_id: Id,
    query: &EventQuery,
    summary: Vec<u8>,
    now: Time,
) -> StoreResult<()> {
    sqlx::query(
        "INSERT INTO ingest_event_clusters (cluster_id, summary, updated_at) VALUES ($1, $2, $3)
         ON CONFLICT (cluster_id) DO UPDATE SET summary = excluded.summary,
             updated_at = excluded.updated_at",
    )
    .bind(cluster_id)
    .bind(summary)
    .bind(now)
    .execute(&mut **tx)
    .await
    .map_err(backend)?;
    let keys: Vec<i64> = query.keys.iter().map(|k| k.0).collect();
    if !keys.is_empty() {
        sqlx::query(concat!(
            "INSERT INTO ingest_event_keys (key, at, cluster_id)
             SELECT DISTINCT l.id, $2, $3 FROM ",
            list_rows!(1),
            " AS l WHERE true ON CONFLICT DO NOTHING"
        ))
        .bind(id_list(&keys))
        .bind(Time(query.at))
        .bind(cluster_id)
        .execute(&mut **tx)
        .await
        .map_err(backend)?;
    }
    Ok(())
}

/// Stored stories compared as possible copies.
const COPY_CANDIDATES: i64 = 200;

/// The ids of the authors or tags (`table`) with these names, made when missing: found by the
/// slug of the name, in the order given, each once. Names that make no slug are left out.
async fn named_rows(
    tx: &mut super::Conn,
    table: &'static str,
    names: &[String],
) -> StoreResult<Vec<Id>> {
    let mut ids = Vec::new();
    for name in names {
        let name = name.split_whitespace().collect::<Vec<_>>().join(" ");
        let Ok(slug) = newsdesk_core::Slug::from_title(&name) else {
            continue;
        };
        let insert = match table {
            "authors" => {
                "INSERT INTO authors (slug, name, bio, links) VALUES ($1, $2, '', '[]')
                 ON CONFLICT (slug) DO NOTHING"
            }
            _ => {
                "INSERT INTO tags (slug, name, description) VALUES ($1, $2, '')
                 ON CONFLICT (slug) DO NOTHING"
            }
        };
        sqlx::query(insert)
            .bind(slug.as_str())
            .bind(&name)
            .execute(&mut *tx)
            .await
            .map_err(backend)?;
        let select = match table {
            "authors" => "SELECT id FROM authors WHERE slug = $1",
            _ => "SELECT id FROM tags WHERE slug = $1",
        };
        let id: Id = sqlx::query_scalar(select)
            .bind(slug.as_str())
            .fetch_one(&mut *tx)
            .await
            .map_err(backend)?;
        if !ids.contains(&id) {
            ids.push(id);
        }
    }
    Ok(ids)
}
