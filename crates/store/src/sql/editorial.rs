//! [`newsdesk_core::editorial::EditorialStore`], written once for both backends.

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use newsdesk_core::editorial::*;
use newsdesk_core::{
    Article, ArticleStatus, Author, Id, NewArticle, NewAuthor, NewTag, Photo, StoreError,
    StoreResult, Tag,
};
use sqlx::QueryBuilder;

use super::articles::set_links;
use super::{Db, ThisStore};
use crate::rows::{self, ArticleRow, PhotoRow, TagRow, backend, write_error};
use crate::types::{JsonText, Time};

#[derive(sqlx::FromRow)]
struct RevisionRow {
    id: Id,
    article_id: Id,
    editor_id: Option<Id>,
    created_at: Time,
    headline: String,
    standfirst: String,
    body_markdown: String,
    meta: String,
}

impl From<RevisionRow> for Revision {
    fn from(r: RevisionRow) -> Self {
        Revision {
            id: r.id,
            article_id: r.article_id,
            editor_id: r.editor_id,
            created_at: r.created_at.0,
            headline: r.headline,
            standfirst: r.standfirst,
            body_markdown: r.body_markdown,
            meta: r.meta,
        }
    }
}

impl ThisStore {
    /// Writes the article's section, tags, photo and byline onto its newest revision (just
    /// recorded by the caller); returns the text written.
    async fn set_latest_revision_meta(&self, a: &Article) -> StoreResult<String> {
        let meta = revision_meta(a);
        sqlx::query(
            "UPDATE article_revisions SET meta = $1 WHERE id =
                 (SELECT MAX(id) FROM article_revisions WHERE article_id = $2)",
        )
        .bind(&meta)
        .bind(a.id)
        .execute(self.writer())
        .await
        .map_err(backend)?;
        Ok(meta)
    }
}

#[derive(sqlx::FromRow)]
struct RenditionRow {
    file: String,
    width: i64,
    height: i64,
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
impl EditorialStore for ThisStore {
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
        let mut tx = self.begin_write().await?;
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
        .bind(edit.published_at.map(Time))
        .bind(Time(now))
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
        set_links(&mut tx, id, &author_ids, &tag_ids, refs).await?;
        sqlx::query(
            "INSERT INTO article_revisions (article_id, editor_id, created_at, headline, standfirst,
                 body_markdown) VALUES ($1, $2, $3, $4, $5, $6)",
        )
        .bind(id)
        .bind(editor)
        .bind(Time(now))
        .bind(&edit.headline)
        .bind(&edit.standfirst)
        .bind(&edit.body_markdown)
        .execute(&mut *tx)
        .await
        .map_err(|e| write_error(e, "revision", "editor id"))?;
        tx.commit()
            .await
            .map_err(|e| write_error(e, "slug", refs))?;
        let saved = self.article_by_id(id).await?;
        self.set_latest_revision_meta(&saved).await?;
        Ok(saved)
    }

    async fn record_revision(
        &self,
        article_id: Id,
        editor: Option<Id>,
        now: DateTime<Utc>,
    ) -> StoreResult<Revision> {
        let row: RevisionRow = sqlx::query_as(
            "INSERT INTO article_revisions (article_id, editor_id, created_at, headline, standfirst,
                 body_markdown)
             SELECT id, $1, $2, headline, standfirst, body_markdown FROM articles WHERE id = $3
             RETURNING *",
        )
        .bind(editor)
        .bind(Time(now))
        .bind(article_id)
        .fetch_optional(self.writer())
        .await
        .map_err(|e| write_error(e, "revision", "editor id"))?
        .ok_or(StoreError::NotFound)?;
        let mut rev = Revision::from(row);
        let article = self.article_by_id(article_id).await?;
        rev.meta = self.set_latest_revision_meta(&article).await?;
        Ok(rev)
    }

    async fn revisions(&self, article_id: Id) -> StoreResult<Vec<Revision>> {
        let rows: Vec<RevisionRow> = sqlx::query_as(
            "SELECT * FROM article_revisions WHERE article_id = $1 ORDER BY id DESC",
        )
        .bind(article_id)
        .fetch_all(self.writer())
        .await
        .map_err(backend)?;
        Ok(rows.into_iter().map(Revision::from).collect())
    }

    async fn revision(&self, id: Id) -> StoreResult<Option<Revision>> {
        let row: Option<RevisionRow> =
            sqlx::query_as("SELECT * FROM article_revisions WHERE id = $1")
                .bind(id)
                .fetch_optional(self.writer())
                .await
                .map_err(backend)?;
        Ok(row.map(Revision::from))
    }

    async fn set_article_status(
        &self,
        id: Id,
        status: ArticleStatus,
        published_at: Option<DateTime<Utc>>,
        now: DateTime<Utc>,
    ) -> StoreResult<Article> {
        let mut tx = self.begin_write().await?;
        let done = sqlx::query(
            "UPDATE articles SET status = $1, published_at = $2, updated_at = $3 WHERE id = $4",
        )
        .bind(status.as_str())
        .bind(published_at.map(Time))
        .bind(Time(now))
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
            .execute(self.writer())
            .await
            .map_err(backend)?;
        if done.rows_affected() == 0 {
            return Err(StoreError::NotFound);
        }
        Ok(())
    }

    async fn admin_list_articles(&self, q: &AdminArticleQuery) -> StoreResult<Vec<Article>> {
        let mut qb: QueryBuilder<Db> = QueryBuilder::new(concat!(
            "SELECT ",
            article_columns!(),
            " FROM articles a LEFT JOIN photos p ON p.id = a.lead_photo_id WHERE 1 = 1"
        ));
        if let Some(status) = q.status {
            qb.push(" AND a.status = ").push_bind(status.as_str());
        }
        if let Some(search) = q.search.as_deref().map(str::trim).filter(|s| !s.is_empty()) {
            qb.push(concat!(" AND a.headline", ilike!()))
                .push_bind(like_pattern(search))
                .push(" ESCAPE '\\'");
        }
        if let Some(author) = q.author_id {
            qb.push(" AND a.id IN (SELECT article_id FROM article_authors WHERE author_id = ")
                .push_bind(author)
                .push(")");
        }
        if let Some(author) = q.drafts_of {
            qb.push(
                " AND (a.status <> 'draft' OR a.id IN (SELECT article_id FROM article_authors WHERE author_id = ",
            )
            .push_bind(author)
            .push("))");
        }
        if q.review_queue {
            qb.push(
                " AND a.status = 'draft' AND (a.source_url IS NOT NULL
                   OR a.id IN (SELECT article_id FROM review_requests))",
            );
        }
        qb.push(" ORDER BY COALESCE(a.published_at, a.updated_at) DESC, a.id DESC LIMIT ")
            .push_bind(i64::from(rows::clamp_page_limit(q.limit)))
            .push(" OFFSET ")
            .push_bind(i64::from(q.offset));
        let rows: Vec<ArticleRow> = qb
            .build_query_as()
            .fetch_all(self.writer())
            .await
            .map_err(backend)?;
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
        .bind(Time(now))
        .execute(self.writer())
        .await
        .map_err(|e| write_error(e, "review", "article or user id"))?;
        Ok(())
    }

    async fn clear_review_request(&self, article_id: Id) -> StoreResult<()> {
        sqlx::query("DELETE FROM review_requests WHERE article_id = $1")
            .bind(article_id)
            .execute(self.writer())
            .await
            .map_err(backend)?;
        Ok(())
    }

    async fn list_photos(&self, limit: u32) -> StoreResult<Vec<Photo>> {
        sqlx::query_as(
            "SELECT id, file, content_type, alt, caption, credit, width, height
             FROM photos ORDER BY id DESC LIMIT $1",
        )
        .bind(i64::from(limit.clamp(1, 500)))
        .fetch_all(self.reader())
        .await
        .map_err(backend)?
        .into_iter()
        .map(PhotoRow::into_model)
        .collect()
    }

    async fn add_photo_renditions(
        &self,
        photo_id: Id,
        renditions: &[PhotoRendition],
    ) -> StoreResult<()> {
        let mut tx = self.begin_write().await?;
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
        let rows: Vec<RenditionRow> = sqlx::query_as(
            "SELECT file, width, height FROM photo_renditions WHERE photo_id = $1 ORDER BY width",
        )
        .bind(photo_id)
        .fetch_all(self.reader())
        .await
        .map_err(backend)?;
        rows.into_iter()
            .map(|r| {
                Ok(PhotoRendition {
                    file: r.file,
                    width: rows::dimension(r.width, "width")?,
                    height: rows::dimension(r.height, "height")?,
                })
            })
            .collect()
    }

    async fn update_tag(&self, id: Id, edit: &NewTag) -> StoreResult<Tag> {
        let row: TagRow = sqlx::query_as(
            "UPDATE tags SET slug = $1, name = $2, description = $3 WHERE id = $4
             RETURNING id, slug, name, description",
        )
        .bind(edit.slug.as_str())
        .bind(&edit.name)
        .bind(&edit.description)
        .bind(id)
        .fetch_optional(self.writer())
        .await
        .map_err(|e| write_error(e, "slug", "tag"))?
        .ok_or(StoreError::NotFound)?;
        row.into_model()
    }

    async fn update_author(&self, id: Id, edit: &NewAuthor) -> StoreResult<Author> {
        let done = sqlx::query(
            "UPDATE authors SET slug = $1, name = $2, bio = $3, photo_id = $4, links = $5
             WHERE id = $6",
        )
        .bind(edit.slug.as_str())
        .bind(&edit.name)
        .bind(&edit.bio)
        .bind(edit.photo_id)
        .bind(JsonText(rows::links_to_json(&edit.links)))
        .bind(id)
        .execute(self.writer())
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
