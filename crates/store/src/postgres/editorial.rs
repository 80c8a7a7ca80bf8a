//! [`newsdesk_core::editorial::EditorialStore`] for [`PgStore`].

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use newsdesk_core::editorial::*;
use newsdesk_core::{
    Article, ArticleStatus, Author, Id, NewArticle, NewAuthor, NewTag, Photo, StoreError,
    StoreResult, Tag,
};
use sqlx::postgres::PgRow;
use sqlx::{Postgres, QueryBuilder, Row as _};

use super::{PgStore, article_row, photo_from_returning, tag_row};
use crate::rows::{self, backend, write_error};

fn revision_row(r: &PgRow) -> StoreResult<Revision> {
    Ok(Revision {
        id: r.try_get("id").map_err(backend)?,
        article_id: r.try_get("article_id").map_err(backend)?,
        editor_id: r.try_get("editor_id").map_err(backend)?,
        created_at: r.try_get("created_at").map_err(backend)?,
        headline: r.try_get("headline").map_err(backend)?,
        standfirst: r.try_get("standfirst").map_err(backend)?,
        body_markdown: r.try_get("body_markdown").map_err(backend)?,
    })
}

/// `%`, `_` and the escape character itself match literally in a LIKE pattern.
pub(crate) fn like_pattern(needle: &str) -> String {
    let mut out = String::with_capacity(needle.len() + 2);
    out.push('%');
    for c in needle.chars() {
        if matches!(c, '%' | '_' | '\\') {
            out.push('\\');
        }
        out.push(c);
    }
    out.push('%');
    out
}

#[async_trait]
impl EditorialStore for PgStore {
    async fn article(&self, id: Id) -> StoreResult<Option<Article>> {
        match self.article_by_id(id).await {
            Ok(a) => Ok(Some(a)),
            Err(StoreError::NotFound) => Ok(None),
            Err(e) => Err(e),
        }
    }

    async fn update_article(
        &self,
        id: Id,
        edit: &NewArticle,
        editor: Option<Id>,
        now: DateTime<Utc>,
    ) -> StoreResult<Article> {
        let (author_ids, tag_ids) = rows::checked_links(edit)?;
        let refs = "author, tag or photo id";
        let mut tx = self.pool.begin().await.map_err(backend)?;
        let done = sqlx::query(
            "UPDATE articles SET slug = $1, headline = $2, standfirst = $3, body_markdown = $4,
                 body_html = $5, status = $6, published_at = $7, updated_at = $8, canonical_url = $9,
                 source_agency = $10, source_url = $11, lead_photo_id = $12, section_id = $13, important = $14
             WHERE id = $15",
        )
        .bind(edit.slug.as_str())
        .bind(&edit.headline)
        .bind(&edit.standfirst)
        .bind(&edit.body_markdown)
        .bind(&edit.body_html)
        .bind(edit.status.as_str())
        .bind(edit.published_at)
        .bind(now)
        .bind(edit.canonical_url.as_deref())
        .bind(edit.source.as_ref().map(|s| s.agency.as_str()))
        .bind(edit.source.as_ref().map(|s| s.original_url.as_str()))
        .bind(edit.lead_photo_id)
        .bind(edit.section_id)
        .bind(edit.important)
        .bind(id)
        .execute(&mut *tx)
        .await
        .map_err(|e| write_error(e, "slug", refs))?;
        if done.rows_affected() == 0 {
            return Err(StoreError::NotFound);
        }
        for table in ["article_authors", "article_tags"] {
            sqlx::query(sqlx::AssertSqlSafe(format!(
                "DELETE FROM {table} WHERE article_id = $1"
            )))
            .bind(id)
            .execute(&mut *tx)
            .await
            .map_err(backend)?;
        }
        sqlx::query(
            "INSERT INTO article_authors (article_id, author_id, position)
             SELECT $1, t.id, t.ord::int FROM unnest($2::bigint[]) WITH ORDINALITY AS t(id, ord)",
        )
        .bind(id)
        .bind(&author_ids)
        .execute(&mut *tx)
        .await
        .map_err(|e| write_error(e, "author_ids", refs))?;
        sqlx::query(
            "INSERT INTO article_tags (article_id, tag_id, position)
             SELECT $1, t.id, t.ord::int FROM unnest($2::bigint[]) WITH ORDINALITY AS t(id, ord)",
        )
        .bind(id)
        .bind(&tag_ids)
        .execute(&mut *tx)
        .await
        .map_err(|e| write_error(e, "tag_ids", refs))?;
        sqlx::query(
            "INSERT INTO article_revisions (article_id, editor_id, created_at, headline, standfirst,
                 body_markdown) VALUES ($1, $2, $3, $4, $5, $6)",
        )
        .bind(id)
        .bind(editor)
        .bind(now)
        .bind(&edit.headline)
        .bind(&edit.standfirst)
        .bind(&edit.body_markdown)
        .execute(&mut *tx)
        .await
        .map_err(|e| write_error(e, "revision", "editor id"))?;
        tx.commit()
            .await
            .map_err(|e| write_error(e, "slug", refs))?;
        self.article_by_id(id).await
    }

    async fn record_revision(
        &self,
        article_id: Id,
        editor: Option<Id>,
        now: DateTime<Utc>,
    ) -> StoreResult<Revision> {
        let row = sqlx::query(
            "INSERT INTO article_revisions (article_id, editor_id, created_at, headline, standfirst,
                 body_markdown)
             SELECT id, $1::bigint, $2::timestamptz, headline, standfirst, body_markdown FROM articles WHERE id = $3
             RETURNING *",
        )
        .bind(editor)
        .bind(now)
        .bind(article_id)
        .fetch_optional(&self.pool)
        .await
        .map_err(|e| write_error(e, "revision", "editor id"))?
        .ok_or(StoreError::NotFound)?;
        revision_row(&row)
    }

    async fn revisions(&self, article_id: Id) -> StoreResult<Vec<Revision>> {
        sqlx::query("SELECT * FROM article_revisions WHERE article_id = $1 ORDER BY id DESC")
            .bind(article_id)
            .fetch_all(&self.pool)
            .await
            .map_err(backend)?
            .iter()
            .map(revision_row)
            .collect()
    }

    async fn revision(&self, id: Id) -> StoreResult<Option<Revision>> {
        let row = sqlx::query("SELECT * FROM article_revisions WHERE id = $1")
            .bind(id)
            .fetch_optional(&self.pool)
            .await
            .map_err(backend)?;
        row.map(|r| revision_row(&r)).transpose()
    }

    async fn set_article_status(
        &self,
        id: Id,
        status: ArticleStatus,
        published_at: Option<DateTime<Utc>>,
        now: DateTime<Utc>,
    ) -> StoreResult<Article> {
        let mut tx = self.pool.begin().await.map_err(backend)?;
        let done = sqlx::query(
            "UPDATE articles SET status = $1, published_at = $2, updated_at = $3 WHERE id = $4",
        )
        .bind(status.as_str())
        .bind(published_at)
        .bind(now)
        .bind(id)
        .execute(&mut *tx)
        .await
        .map_err(backend)?;
        if done.rows_affected() == 0 {
            return Err(StoreError::NotFound);
        }
        if status != ArticleStatus::Draft {
            sqlx::query("DELETE FROM review_requests WHERE article_id = $1")
                .bind(id)
                .execute(&mut *tx)
                .await
                .map_err(backend)?;
        }
        tx.commit().await.map_err(backend)?;
        self.article_by_id(id).await
    }

    async fn delete_article(&self, id: Id) -> StoreResult<()> {
        let done = sqlx::query("DELETE FROM articles WHERE id = $1")
            .bind(id)
            .execute(&self.pool)
            .await
            .map_err(backend)?;
        if done.rows_affected() == 0 {
            return Err(StoreError::NotFound);
        }
        Ok(())
    }

    async fn admin_list_articles(&self, q: &AdminArticleQuery) -> StoreResult<Vec<Article>> {
        let mut qb: QueryBuilder<Postgres> = QueryBuilder::new(concat!(
            "SELECT ",
            article_columns!(),
            " FROM articles a LEFT JOIN photos p ON p.id = a.lead_photo_id WHERE 1 = 1"
        ));
        if let Some(status) = q.status {
            qb.push(" AND a.status = ").push_bind(status.as_str());
        }
        if let Some(search) = q.search.as_deref().map(str::trim).filter(|s| !s.is_empty()) {
            qb.push(" AND a.headline ILIKE ")
                .push_bind(like_pattern(search))
                .push(" ESCAPE '\\'");
        }
        if let Some(author) = q.author_id {
            qb.push(" AND a.id IN (SELECT article_id FROM article_authors WHERE author_id = ")
                .push_bind(author)
                .push(")");
        }
        if q.review_queue {
            qb.push(
                " AND a.status = 'draft' AND (a.source_url IS NOT NULL
                   OR a.id IN (SELECT article_id FROM review_requests))",
            );
        }
        qb.push(" ORDER BY a.updated_at DESC, a.id DESC LIMIT ")
            .push_bind(i64::from(rows::clamp_page_limit(q.limit)))
            .push(" OFFSET ")
            .push_bind(i64::from(q.offset));
        let rows = qb
            .build()
            .fetch_all(&self.pool)
            .await
            .map_err(backend)?
            .iter()
            .map(article_row)
            .collect::<StoreResult<Vec<_>>>()?;
        self.load_articles(rows).await
    }

    async fn request_review(
        &self,
        article_id: Id,
        user_id: Id,
        now: DateTime<Utc>,
    ) -> StoreResult<()> {
        sqlx::query(
            "INSERT INTO review_requests (article_id, user_id, requested_at) VALUES ($1, $2, $3)
             ON CONFLICT (article_id) DO NOTHING",
        )
        .bind(article_id)
        .bind(user_id)
        .bind(now)
        .execute(&self.pool)
        .await
        .map_err(|e| write_error(e, "review", "article or user id"))?;
        Ok(())
    }

    async fn clear_review_request(&self, article_id: Id) -> StoreResult<()> {
        sqlx::query("DELETE FROM review_requests WHERE article_id = $1")
            .bind(article_id)
            .execute(&self.pool)
            .await
            .map_err(backend)?;
        Ok(())
    }

    async fn list_photos(&self, limit: u32) -> StoreResult<Vec<Photo>> {
        sqlx::query(
            "SELECT id, file, content_type, alt, caption, credit, width, height
             FROM photos ORDER BY id DESC LIMIT $1",
        )
        .bind(i64::from(limit.clamp(1, 500)))
        .fetch_all(&self.pool)
        .await
        .map_err(backend)?
        .iter()
        .map(photo_from_returning)
        .collect()
    }

    async fn add_photo_renditions(
        &self,
        photo_id: Id,
        renditions: &[PhotoRendition],
    ) -> StoreResult<()> {
        let mut tx = self.pool.begin().await.map_err(backend)?;
        for r in renditions {
            sqlx::query(
                "INSERT INTO photo_renditions (photo_id, width, height, file) VALUES ($1, $2, $3, $4)",
            )
            .bind(photo_id)
            .bind(i64::from(r.width))
            .bind(i64::from(r.height))
            .bind(&r.file)
            .execute(&mut *tx)
            .await
            .map_err(|e| write_error(e, "width", "photo id"))?;
        }
        tx.commit().await.map_err(backend)?;
        Ok(())
    }

    async fn photo_renditions(&self, photo_id: Id) -> StoreResult<Vec<PhotoRendition>> {
        sqlx::query(
            "SELECT file, width, height FROM photo_renditions WHERE photo_id = $1 ORDER BY width",
        )
        .bind(photo_id)
        .fetch_all(&self.pool)
        .await
        .map_err(backend)?
        .iter()
        .map(|r| {
            Ok(PhotoRendition {
                file: r.try_get("file").map_err(backend)?,
                width: rows::dimension(r.try_get("width").map_err(backend)?, "width")?,
                height: rows::dimension(r.try_get("height").map_err(backend)?, "height")?,
            })
        })
        .collect()
    }

    async fn update_tag(&self, id: Id, edit: &NewTag) -> StoreResult<Tag> {
        let row = sqlx::query(
            "UPDATE tags SET slug = $1, name = $2, description = $3 WHERE id = $4
             RETURNING id, slug, name, description",
        )
        .bind(edit.slug.as_str())
        .bind(&edit.name)
        .bind(&edit.description)
        .bind(id)
        .fetch_optional(&self.pool)
        .await
        .map_err(|e| write_error(e, "slug", "tag"))?
        .ok_or(StoreError::NotFound)?;
        tag_row(&row).map_err(backend)?.into_model()
    }

    async fn update_author(&self, id: Id, edit: &NewAuthor) -> StoreResult<Author> {
        let done = sqlx::query(
            "UPDATE authors SET slug = $1, name = $2, bio = $3, photo_id = $4, links = $5::jsonb WHERE id = $6",
        )
        .bind(edit.slug.as_str())
        .bind(&edit.name)
        .bind(&edit.bio)
        .bind(edit.photo_id)
        .bind(rows::links_to_json(&edit.links))
        .bind(id)
        .execute(&self.pool)
        .await
        .map_err(|e| write_error(e, "slug", "photo_id"))?;
        if done.rows_affected() == 0 {
            return Err(StoreError::NotFound);
        }
        let photo = match edit.photo_id {
            Some(pid) => newsdesk_core::Store::photo(self, pid).await?,
            None => None,
        };
        Ok(Author {
            id,
            slug: edit.slug.clone(),
            name: edit.name.clone(),
            bio: edit.bio.clone(),
            photo,
            links: edit.links.clone(),
        })
    }
}
