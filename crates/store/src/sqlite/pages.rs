//! [`PageStore`] for SQLite.

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use std::sync::LazyLock;

use newsdesk_core::pages::{ArticlePageData, ContentStamp, PageStore};
use newsdesk_core::{Article, Slug, StoreResult};
use sqlx::Row as _;
use sqlx::sqlite::SqliteRow;

use super::{SqliteStore, article_row, micros};
use crate::pages_sql::{self, Dialect};
use crate::rows::{backend, micros_to_time};
use crate::{page_rows, rows};

static ARTICLE_PAGE: LazyLock<String> = LazyLock::new(|| pages_sql::article_page(Dialect::Sqlite));

/// An article with its tags and authors from one row of a [`pages_sql`] statement.
fn article_with_links(r: &SqliteRow) -> StoreResult<Article> {
    let row = article_row(r)?;
    let tags: String = r.try_get("tags_json").map_err(backend)?;
    let authors: String = r.try_get("authors_json").map_err(backend)?;
    let (tags, authors) = (
        page_rows::tags(row.id, &tags)?,
        page_rows::authors(row.id, &authors)?,
    );
    rows::assemble_articles(vec![row], tags, authors)?
        .pop()
        .ok_or(newsdesk_core::StoreError::NotFound)
}

#[async_trait]
impl PageStore for SqliteStore {
    async fn content_stamp(&self, now: DateTime<Utc>) -> StoreResult<ContentStamp> {
        let row = sqlx::query(pages_sql::CONTENT_STAMP)
            .bind(micros(now))
            .fetch_one(&self.readers)
            .await
            .map_err(backend)?;
        let time = |col: &str| -> StoreResult<Option<DateTime<Utc>>> {
            row.try_get::<Option<i64>, _>(col)
                .map_err(backend)?
                .map(|t| micros_to_time(t, col))
                .transpose()
        };
        Ok(ContentStamp {
            version: row.try_get("version").map_err(backend)?,
            changed_at: micros_to_time(row.try_get("changed_at").map_err(backend)?, "changed_at")?,
            latest_visible: time("latest_visible")?,
            next_scheduled: time("next_scheduled")?,
        })
    }

    async fn article_page(
        &self,
        slug: &Slug,
        now: DateTime<Utc>,
    ) -> StoreResult<Option<ArticlePageData>> {
        let Some(r) = sqlx::query(ARTICLE_PAGE.as_str())
            .bind(slug.as_str())
            .bind(micros(now))
            .fetch_optional(&self.readers)
            .await
            .map_err(backend)?
        else {
            return Ok(None);
        };
        let renditions: String = r.try_get("renditions_json").map_err(backend)?;
        let members: String = r.try_get("members_json").map_err(backend)?;
        Ok(Some(ArticlePageData {
            article: article_with_links(&r)?,
            renditions: page_rows::renditions(&renditions)?,
            cluster_members: page_rows::cluster_members(&members)?,
        }))
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
        let sql = pages_sql::related_by_tags(Dialect::Sqlite, article.tags.len());
        let mut q = sqlx::query(sqlx::AssertSqlSafe(sql))
            .bind(article.id)
            .bind(micros(now))
            .bind(i64::from(limit));
        for t in &article.tags {
            q = q.bind(t.id);
        }
        q.fetch_all(&self.readers)
            .await
            .map_err(backend)?
            .iter()
            .map(article_with_links)
            .collect()
    }
}
