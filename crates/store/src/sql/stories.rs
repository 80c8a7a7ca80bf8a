//! [`newsdesk_core::stories::StoryStore`], written once for both backends: the story desk's
//! reads of clusters and members, and the editor's merge, split and lead choice. Each action is
//! one write transaction that also takes the placement lock, so that it never interleaves with a
//! story being placed against the clusters it changes.

use std::collections::HashMap;

use async_trait::async_trait;
use chrono::Utc;
use newsdesk_core::stories::{MemberText, StoryCluster, StoryMember, StoryStore, StorySummaries};
use newsdesk_core::{Id, StoreError, StoreResult};

use super::{ThisStore, id_list};
use crate::rows::backend;
use crate::types::Time;

#[derive(sqlx::FromRow)]
struct ClusterRow {
    id: Id,
    article_id: Option<Id>,
    slug: Option<String>,
    public: bool,
    created_at: Time,
    lead_item_id: Option<Id>,
}

#[derive(sqlx::FromRow)]
struct MemberRow {
    id: Id,
    cluster_id: Id,
    source_id: Id,
    name: String,
    headline: String,
    url: String,
    at: Time,
    pinned: bool,
}

const CLUSTER_SELECT: &str = "SELECT c.id, c.article_id, a.slug,
        COALESCE(a.status <> 'draft' AND a.published_at <= $1, FALSE) AS public,
        c.created_at, c.lead_item_id
    FROM ingest_clusters c LEFT JOIN articles a ON a.id = c.article_id";

type Executor<'c> = &'c mut super::Conn;

/// The clusters of `rows` with their clustered members, newest version first.
async fn with_members(conn: Executor<'_>, rows: Vec<ClusterRow>) -> StoreResult<Vec<StoryCluster>> {
    if rows.is_empty() {
        return Ok(Vec::new());
    }
    let ids: Vec<Id> = rows.iter().map(|r| r.id).collect();
    let members: Vec<MemberRow> = sqlx::query_as(concat!(
        "SELECT i.id, i.cluster_id, i.source_id, s.name,
             COALESCE(i.headline, i.title) AS headline, i.url,
             COALESCE(i.published_at, i.created_at) AS at, i.pinned
         FROM ingest_items i JOIN ingest_sources s ON s.id = i.source_id
         WHERE i.state = 'clustered' AND i.cluster_id ",
        in_list!(1),
        " ORDER BY COALESCE(i.published_at, i.created_at) DESC, i.id DESC"
    ))
    .bind(id_list(&ids))
    .fetch_all(&mut *conn)
    .await
    .map_err(backend)?;
    let mut by_cluster: HashMap<Id, Vec<StoryMember>> = HashMap::new();
    for m in members {
        by_cluster.entry(m.cluster_id).or_default().push(StoryMember {
            item_id: m.id,
            source_id: m.source_id,
            source: m.name,
            headline: m.headline,
            url: m.url,
            at: m.at.0,
            pinned: m.pinned,
        });
    }
    Ok(rows
        .into_iter()
        .map(|r| {
            let members = by_cluster.remove(&r.id).unwrap_or_default();
            // The first reporter leads unless an editor chose.
            let first = members.iter().map(|m| m.item_id).min();
            let chosen = r.lead_item_id.filter(|l| members.iter().any(|m| m.item_id == *l));
            StoryCluster {
                id: r.id,
                article_id: r.article_id,
                article_slug: r.slug,
                article_public: r.public,
                created_at: r.created_at.0,
                lead_item_id: chosen.or(first),
                lead_chosen: chosen.is_some(),
                members,
            }
        })
        .collect())
}

async fn story_in(conn: Executor<'_>, id: Id) -> StoreResult<Option<StoryCluster>> {
    let sql = format!("{CLUSTER_SELECT} WHERE c.id = $2");
    let rows: Vec<ClusterRow> = sqlx::query_as(sqlx::AssertSqlSafe(sql))
        .bind(Time(Utc::now()))
        .bind(id)
        .fetch_all(&mut *conn)
        .await
        .map_err(backend)?;
    Ok(with_members(conn, rows).await?.pop())
}

type Tx = sqlx::Transaction<'static, super::Db>;

/// A write transaction holding the placement lock (see `IngestStore::place_item`).
pub(super) async fn begin_desk(store: &ThisStore) -> StoreResult<Tx> {
    let mut tx = store.begin_write().await?;
    // An empty lock (SQLite) costs no round trip to the database thread.
    #[allow(clippy::const_is_empty)]
    if !placement_lock!().is_empty() {
        sqlx::query(placement_lock!())
            .execute(&mut *tx)
            .await
            .map_err(backend)?;
    }
    Ok(tx)
}

async fn cluster_exists(tx: &mut Tx, id: Id) -> StoreResult<()> {
    let found: Option<Id> = sqlx::query_scalar(concat!(
        "SELECT id FROM ingest_clusters WHERE id = $1",
        for_update!()
    ))
    .bind(id)
    .fetch_optional(&mut **tx)
    .await
    .map_err(backend)?;
    found.map(|_| ()).ok_or(StoreError::NotFound)
}

/// The story's article takes the lead version's headline, standfirst and source.
async fn article_follows(tx: &mut Tx, cluster: Id, item_id: Id) -> StoreResult<()> {
    sqlx::query(
        "UPDATE articles SET
             headline = (SELECT COALESCE(i.headline, i.title) FROM ingest_items i WHERE i.id = $1),
             standfirst = COALESCE((SELECT i.standfirst FROM ingest_items i WHERE i.id = $1),
                                   standfirst),
             source_agency = (SELECT s.name FROM ingest_items i
                              JOIN ingest_sources s ON s.id = i.source_id WHERE i.id = $1),
             source_url = (SELECT i.url FROM ingest_items i WHERE i.id = $1),
             updated_at = $3
         WHERE id = (SELECT article_id FROM ingest_clusters WHERE id = $2)",
    )
    .bind(item_id)
    .bind(cluster)
    .bind(Time(Utc::now()))
    .execute(&mut **tx)
    .await
    .map_err(backend)?;
    Ok(())
}

/// Members whose text a rebuilt summary counts: the first ones, as placement's summary does.
const SUMMARY_MEMBERS: i64 = 500;

/// headline, feed title, body, time, source.
type TextRow = (Option<String>, String, Option<String>, Time, Id);

/// Rebuilds the cluster's placement summary from its members' texts.
async fn resummarize(tx: &mut Tx, cluster: Id, summaries: &dyn StorySummaries) -> StoreResult<()> {
    let rows: Vec<TextRow> = sqlx::query_as(
        "SELECT headline, title, body_text, COALESCE(event_at, published_at, created_at), source_id
         FROM ingest_items WHERE cluster_id = $1 AND state = 'clustered' ORDER BY id LIMIT $2",
    )
    .bind(cluster)
    .bind(SUMMARY_MEMBERS)
    .fetch_all(&mut **tx)
    .await
    .map_err(backend)?;
    let members: Vec<MemberText> = rows
        .into_iter()
        .map(|(headline, title, body, at, source_id)| MemberText {
            headline: headline.unwrap_or(title),
            body_text: body.unwrap_or_default(),
            at: at.0,
            source_id,
        })
        .collect();
    let Some(summary) = summaries.summarize(&members) else {
        return Ok(());
    };
    sqlx::query(
        "INSERT INTO ingest_event_clusters (cluster_id, summary, updated_at) VALUES ($1, $2, $3)
         ON CONFLICT (cluster_id) DO UPDATE SET summary = excluded.summary,
             updated_at = excluded.updated_at",
    )
    .bind(cluster)
    .bind(summary)
    .bind(Time(Utc::now()))
    .execute(&mut **tx)
    .await
    .map_err(backend)?;
    Ok(())
}

#[async_trait]
impl StoryStore for ThisStore {
    async fn recent_stories(&self, limit: u32) -> StoreResult<Vec<StoryCluster>> {
        let sql = format!("{CLUSTER_SELECT} ORDER BY c.id DESC LIMIT $2");
        let mut conn = self.reader().acquire().await.map_err(backend)?;
        let rows: Vec<ClusterRow> = sqlx::query_as(sqlx::AssertSqlSafe(sql))
            .bind(Time(Utc::now()))
            .bind(i64::from(limit))
            .fetch_all(&mut *conn)
            .await
            .map_err(backend)?;
        with_members(&mut conn, rows).await
    }

    async fn story(&self, id: Id) -> StoreResult<Option<StoryCluster>> {
        let mut conn = self.reader().acquire().await.map_err(backend)?;
        story_in(&mut conn, id).await
    }

    async fn story_of_article(&self, article_id: Id) -> StoreResult<Option<Id>> {
        sqlx::query_scalar("SELECT id FROM ingest_clusters WHERE article_id = $1")
            .bind(article_id)
            .fetch_optional(self.reader())
            .await
            .map_err(backend)
    }

    async fn merge_stories(
        &self,
        into: Id,
        from: Id,
        summaries: &dyn StorySummaries,
    ) -> StoreResult<StoryCluster> {
        if into == from {
            return Err(StoreError::Conflict("story".into()));
        }
        let mut tx = begin_desk(self).await?;
        cluster_exists(&mut tx, into).await?;
        cluster_exists(&mut tx, from).await?;
        sqlx::query("UPDATE ingest_items SET cluster_id = $1 WHERE cluster_id = $2")
            .bind(into)
            .bind(from)
            .execute(&mut *tx)
            .await
            .map_err(backend)?;
        // Later reports that share the merged-away story's keys find the surviving one.
        sqlx::query(
            "INSERT INTO ingest_event_keys (key, at, cluster_id)
             SELECT key, at, $1 FROM ingest_event_keys WHERE cluster_id = $2
             ON CONFLICT DO NOTHING",
        )
        .bind(into)
        .bind(from)
        .execute(&mut *tx)
        .await
        .map_err(backend)?;
        resummarize(&mut tx, into, summaries).await?;
        // Its summary and keys go with it (ON DELETE CASCADE); its article stays.
        sqlx::query("DELETE FROM ingest_clusters WHERE id = $1")
            .bind(from)
            .execute(&mut *tx)
            .await
            .map_err(backend)?;
        let story = story_in(&mut tx, into).await?.ok_or(StoreError::NotFound)?;
        tx.commit().await.map_err(backend)?;
        Ok(story)
    }

    async fn split_story(
        &self,
        cluster: Id,
        item_id: Id,
        summaries: &dyn StorySummaries,
    ) -> StoreResult<StoryCluster> {
        let mut tx = begin_desk(self).await?;
        cluster_exists(&mut tx, cluster).await?;
        let member: Option<(Option<Time>, String)> = sqlx::query_as(concat!(
            "SELECT event_at, url FROM ingest_items
             WHERE id = $1 AND cluster_id = $2 AND state = 'clustered'",
            for_update!()
        ))
        .bind(item_id)
        .bind(cluster)
        .fetch_optional(&mut *tx)
        .await
        .map_err(backend)?;
        let Some((event_at, url)) = member else {
            return Err(StoreError::NotFound);
        };
        let others: i64 = sqlx::query_scalar(
            "SELECT COUNT(*) FROM ingest_items
             WHERE cluster_id = $1 AND state = 'clustered' AND id <> $2",
        )
        .bind(cluster)
        .bind(item_id)
        .fetch_one(&mut *tx)
        .await
        .map_err(backend)?;
        if others == 0 {
            return Err(StoreError::Conflict("story".into()));
        }
        let now = Time(Utc::now());
        let new_id: Id =
            sqlx::query_scalar("INSERT INTO ingest_clusters (created_at) VALUES ($1) RETURNING id")
                .bind(now)
                .fetch_one(&mut *tx)
                .await
                .map_err(backend)?;
        sqlx::query("UPDATE ingest_items SET cluster_id = $1, pinned = TRUE WHERE id = $2")
            .bind(new_id)
            .bind(item_id)
            .execute(&mut *tx)
            .await
            .map_err(backend)?;
        // The member's keys are the old cluster's keys dated at its time: they move with it, and
        // stay behind only where another member shares that time (and so, maybe, the key).
        if let Some(at) = event_at {
            sqlx::query(
                "INSERT INTO ingest_event_keys (key, at, cluster_id)
                 SELECT key, at, $1 FROM ingest_event_keys WHERE cluster_id = $2 AND at = $3
                 ON CONFLICT DO NOTHING",
            )
            .bind(new_id)
            .bind(cluster)
            .bind(at)
            .execute(&mut *tx)
            .await
            .map_err(backend)?;
            sqlx::query(
                "DELETE FROM ingest_event_keys WHERE cluster_id = $1 AND at = $2
                   AND NOT EXISTS (SELECT 1 FROM ingest_items
                                   WHERE cluster_id = $1 AND event_at = $2)",
            )
            .bind(cluster)
            .bind(at)
            .execute(&mut *tx)
            .await
            .map_err(backend)?;
        }
        // The old story's article was this version's: it follows the remaining lead instead.
        let lead: Option<(Option<Id>, Option<String>)> = sqlx::query_as(
            "SELECT c.lead_item_id, a.source_url FROM ingest_clusters c
             LEFT JOIN articles a ON a.id = c.article_id WHERE c.id = $1",
        )
        .bind(cluster)
        .fetch_optional(&mut *tx)
        .await
        .map_err(backend)?;
        if let Some((lead_item, source_url)) = lead
            && (lead_item == Some(item_id) || source_url.as_deref() == Some(url.as_str()))
        {
            let next: Option<Id> = sqlx::query_scalar(
                "SELECT MIN(id) FROM ingest_items WHERE cluster_id = $1 AND state = 'clustered'",
            )
            .bind(cluster)
            .fetch_one(&mut *tx)
            .await
            .map_err(backend)?;
            sqlx::query("UPDATE ingest_clusters SET lead_item_id = NULL WHERE id = $1")
                .bind(cluster)
                .execute(&mut *tx)
                .await
                .map_err(backend)?;
            if let Some(next) = next {
                article_follows(&mut tx, cluster, next).await?;
            }
        }
        resummarize(&mut tx, cluster, summaries).await?;
        resummarize(&mut tx, new_id, summaries).await?;
        let story = story_in(&mut tx, new_id).await?.ok_or(StoreError::NotFound)?;
        tx.commit().await.map_err(backend)?;
        Ok(story)
    }

    async fn set_story_lead(&self, cluster: Id, item_id: Id) -> StoreResult<StoryCluster> {
        let mut tx = begin_desk(self).await?;
        let done = sqlx::query(
            "UPDATE ingest_clusters SET lead_item_id = $1
             WHERE id = $2 AND EXISTS (SELECT 1 FROM ingest_items
                 WHERE id = $1 AND cluster_id = $2 AND state = 'clustered')",
        )
        .bind(item_id)
        .bind(cluster)
        .execute(&mut *tx)
        .await
        .map_err(backend)?;
        if done.rows_affected() == 0 {
            return Err(StoreError::NotFound);
        }
        article_follows(&mut tx, cluster, item_id).await?;
        let story = story_in(&mut tx, cluster).await?.ok_or(StoreError::NotFound)?;
        tx.commit().await.map_err(backend)?;
        Ok(story)
    }
}
