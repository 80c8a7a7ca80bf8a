//! [`PageStore`] for PostgreSQL.

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use std::sync::LazyLock;

use newsdesk_core::pages::{ArticlePageData, ContentStamp, PageStore};
use newsdesk_core::{Article, Slug, StoreResult};
use sqlx::Row as _;
use sqlx::postgres::PgRow;

use super::{PgStore, article_row};
use crate::pages_sql::{self, Dialect};
use crate::rows::backend;
use crate::{page_rows, rows};

static ARTICLE_PAGE: LazyLock<String> =
    LazyLock::new(|| pages_sql::article_page(Dialect::Postgres));

/// An article with its tags and authors from one row of a [`pages_sql`] statement.
fn article_with_links(r: &PgRow) -> StoreResult<Article> {
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
impl PageStore for PgStore {
    async fn content_stamp(&self, now: DateTime<Utc>) -> StoreResult<ContentStamp> {
        let row = sqlx::query(pages_sql::CONTENT_STAMP)
            .bind(now)
            .fetch_one(&self.pool)
            .await
            .map_err(backend)?;
        Ok(ContentStamp {
            version: row.try_get("version").map_err(backend)?,
            changed_at: row.try_get("changed_at").map_err(backend)?,
            latest_visible: row.try_get("latest_visible").map_err(backend)?,
            next_scheduled: row.try_get("next_scheduled").map_err(backend)?,
        })
    }

    async fn article_page(
        &self,
        slug: &Slug,
        now: DateTime<Utc>,
    ) -> StoreResult<Option<ArticlePageData>> {
        let Some(r) = sqlx::query(ARTICLE_PAGE.as_str())
            .bind(slug.as_str())
            .bind(now)
            .fetch_optional(&self.pool)
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
        let sql = pages_sql::related_by_tags(Dialect::Postgres, article.tags.len());
        let mut q = sqlx::query(sqlx::AssertSqlSafe(sql))
            .bind(article.id)
            .bind(now)
            .bind(i64::from(limit));
        for t in &article.tags {
            q = q.bind(t.id);
        }
        q.fetch_all(&self.pool)
            .await
            .map_err(backend)?
            .iter()
            .map(article_with_links)
            .collect()
    }
}
