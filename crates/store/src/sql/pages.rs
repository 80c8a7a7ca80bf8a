//! [`PageStore`]: the public render path's own reads, written once and compiled once per
//! backend (see `src/sql/`). Each statement is a bounded index lookup or range scan whatever
//! the size of the archive; `tests/conformance/plans.rs` `EXPLAIN`s exactly these strings
//! (re-exported as [`crate::pages_sql`]) on both backends.
//!
//! Lists of an article's tags and authors come back as JSON arrays in one column each
//! (`json_agg!`/`json_row!`, the backend's JSON functions), so that a page is one statement
//! instead of a statement per kind of link.

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use newsdesk_core::pages::{ArticlePageData, ContentStamp, PageStore, RELATED_WINDOW};
use newsdesk_core::{Article, Slug, StoreResult};

use super::ThisStore;
use crate::page_rows::{ArticlePageRow, LinkedArticleRow, StampRow};
use crate::rows::{self, backend};
use crate::types::Time;

/// The content stamp: the version row, the newest visible and the next due publication time.
/// `$1` is "now". Each time is the first row of an index range (`articles_published`), not an
/// aggregate over every article.
pub const CONTENT_STAMP: &str = "SELECT v.version, v.changed_at,
       (SELECT a.published_at FROM articles a
         WHERE a.published_at <= $1 AND a.status <> 'draft'
         ORDER BY a.published_at DESC LIMIT 1) AS latest_visible,
       (SELECT a.published_at FROM articles a
         WHERE a.published_at > $1 AND a.status <> 'draft'
         ORDER BY a.published_at ASC LIMIT 1) AS next_scheduled
  FROM content_version v WHERE v.id = 1";

/// Columns that carry an article's tags and authors as JSON arrays (`tags_json`,
/// `authors_json`): [`LinkedArticleRow`].
macro_rules! article_links {
    () => {
        concat!(
            "CAST(COALESCE((SELECT ",
            json_agg!(),
            json_row!(),
            "t.id, t.slug, t.name, t.description) ORDER BY at.position)
                FROM article_tags at JOIN tags t ON t.id = at.tag_id
               WHERE at.article_id = a.id), '[]') AS TEXT) AS tags_json,
             CAST(COALESCE((SELECT ",
            json_agg!(),
            json_row!(),
            "au.id, au.slug, au.name, au.bio, ",
            links_text!(),
            ", ap.id, ap.file, ap.content_type, ap.alt, ap.caption, ap.credit, ap.width,
                 ap.height) ORDER BY aa.position)
                FROM article_authors aa JOIN authors au ON au.id = aa.author_id
                LEFT JOIN photos ap ON ap.id = au.photo_id
               WHERE aa.article_id = a.id), '[]') AS TEXT) AS authors_json"
        )
    };
}

/// The article page: `$1` slug, `$2` now. A unique-index lookup plus primary-key and index
/// lookups for its tags, authors, renditions and cluster.
pub const ARTICLE_PAGE: &str = concat!(
    "SELECT ",
    article_columns!(),
    ", ",
    article_links!(),
    ",
     CAST(COALESCE((SELECT ",
    json_agg!(),
    json_row!(),
    "r.file, r.width, r.height) ORDER BY r.width)
        FROM photo_renditions r WHERE r.photo_id = a.lead_photo_id), '[]') AS TEXT)
        AS renditions_json,
     CAST(COALESCE((SELECT ",
    json_agg!(),
    json_row!(),
    "s.name, i.url, c.id) ORDER BY i.id)
        FROM ingest_clusters c
        JOIN ingest_items i ON i.cluster_id = c.id
        JOIN ingest_sources s ON s.id = i.source_id
       WHERE c.article_id = a.id AND i.state = 'clustered'
         AND i.id = (SELECT MIN(j.id) FROM ingest_items j
                      WHERE j.cluster_id = i.cluster_id
                        AND j.source_id = i.source_id
                        AND j.state = 'clustered')), '[]') AS TEXT) AS members_json
  FROM articles a LEFT JOIN photos p ON p.id = a.lead_photo_id
 WHERE a.slug = $1 AND a.status <> 'draft' AND a.published_at <= $2"
);

/// Related articles for an article with `tags` tags: `$1` the article's id, `$2` now, `$3` the
/// limit, `$4...` the tag ids. Each tag contributes its newest [`RELATED_WINDOW`] articles (a
/// range of the `article_tags_tag` index read backwards); only that bounded set is counted and
/// sorted.
pub fn related_by_tags(tags: usize) -> String {
    let candidates: Vec<String> = (0..tags)
        .map(|i| {
            format!(
                "SELECT id FROM (SELECT at.article_id AS id FROM article_tags at
                                   WHERE at.tag_id = ${} AND at.article_id <> $1
                                   ORDER BY at.article_id DESC LIMIT {RELATED_WINDOW}) AS c{i}",
                i + 4
            )
        })
        .collect();
    format!(
        concat!(
            "SELECT ",
            article_columns!(),
            ", ",
            article_links!(),
            "
  FROM (SELECT id, COUNT(*) AS shared FROM ({}) AS cand GROUP BY id) AS rel
  JOIN articles a ON a.id = rel.id
  LEFT JOIN photos p ON p.id = a.lead_photo_id
 WHERE a.status <> 'draft' AND a.published_at <= $2
 ORDER BY rel.shared DESC, a.published_at DESC, a.id DESC
 LIMIT $3"
        ),
        candidates.join("\n UNION ALL ")
    )
}

#[async_trait]
impl PageStore for ThisStore {
    async fn content_stamp(&self, now: DateTime<Utc>) -> StoreResult<ContentStamp> {
        let row: StampRow = sqlx::query_as(CONTENT_STAMP)
            .bind(Time(now))
            .fetch_one(self.reader())
            .await
            .map_err(backend)?;
        Ok(row.into_model())
    }

    async fn article_page(
        &self,
        slug: &Slug,
        now: DateTime<Utc>,
    ) -> StoreResult<Option<ArticlePageData>> {
        let row: Option<ArticlePageRow> = sqlx::query_as(ARTICLE_PAGE)
            .bind(slug.as_str())
            .bind(Time(now))
            .fetch_optional(self.reader())
            .await
            .map_err(backend)?;
        row.map(ArticlePageRow::into_model).transpose()
    }

    async fn related_by_tags(
        &self,
        article: &Article,
        now: DateTime<Utc>,
        limit: u32,
    ) -> StoreResult<Vec<Article>> {
        let limit = rows::clamp_related_limit(limit);
        if limit == 0 || article.tags.is_empty() {
            return Ok(Vec::new());
        }
        // Built from a count and constants only: no input reaches the SQL text.
        let sql = related_by_tags(article.tags.len());
        let mut q = sqlx::query_as::<_, LinkedArticleRow>(sqlx::AssertSqlSafe(sql))
            .bind(article.id)
            .bind(Time(now))
            .bind(i64::from(limit));
        for t in &article.tags {
            q = q.bind(t.id);
        }
        q.fetch_all(self.reader())
            .await
            .map_err(backend)?
            .into_iter()
            .map(LinkedArticleRow::into_model)
            .collect()
    }
}
