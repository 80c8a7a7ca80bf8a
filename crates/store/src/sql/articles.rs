//! [`newsdesk_core::Store`] (authors, tags, photos, articles, subscribers), written once and
//! compiled once per backend (see `src/sql/`).

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use newsdesk_core::{
    Article, ArticleQuery, Author, EmailAddress, Id, NewArticle, NewAuthor, NewPhoto, NewTag, Page,
    Photo, SignupOutcome, Slug, Store, StoreError, StoreResult, Subscriber, Tag,
};
use sqlx::QueryBuilder;

use super::{Db, ThisStore, id_list};
use crate::rows::{
    self, ArticleAuthorRow, ArticleRow, ArticleTagRow, AuthorRow, PhotoRow, SubscriberRow, TagRow,
    backend, page_cursor, write_error,
};
use crate::types::{JsonText, Time};

impl ThisStore {
    /// Completes article rows with their tags and authors: two queries however many rows.
    pub(super) async fn load_articles(&self, rows: Vec<ArticleRow>) -> StoreResult<Vec<Article>> {
        if rows.is_empty() {
            return Ok(Vec::new());
        }
        let ids: Vec<Id> = rows.iter().map(|r| r.id).collect();
        let tags: Vec<ArticleTagRow> = sqlx::query_as(TAGS_OF)
        .bind(id_list(&ids))
        .fetch_all(self.reader())
        .await
        .map_err(backend)?;
        let authors: Vec<ArticleAuthorRow> = sqlx::query_as(AUTHORS_OF)
        .bind(id_list(&ids))
        .fetch_all(self.reader())
        .await
        .map_err(backend)?;
        rows::assemble_articles(rows, tags, authors)
    }

    /// Reads from the writer: callers load what they have just written.
    pub(super) async fn article_by_id(&self, id: Id) -> StoreResult<Article> {
        let row: ArticleRow = sqlx::query_as(concat!(
            "SELECT ",
            article_columns!(),
            " FROM articles a LEFT JOIN photos p ON p.id = a.lead_photo_id WHERE a.id = $1"
        ))
        .bind(id)
        .fetch_optional(self.writer())
        .await
        .map_err(backend)?
        .ok_or(StoreError::NotFound)?;
        self.load_articles(vec![row])
            .await?
            .pop()
            .ok_or(StoreError::NotFound)
    }
}

#[async_trait]
impl Store for ThisStore {
    fn backend(&self) -> &'static str {
        super::NAME
    }

    async fn create_author(&self, new: &NewAuthor) -> StoreResult<Author> {
        let id: Id = sqlx::query_scalar(
            "INSERT INTO authors (slug, name, bio, photo_id, links) VALUES ($1, $2, $3, $4, $5)
             RETURNING id",
        )
        .bind(new.slug.as_str())
        .bind(&new.name)
        .bind(&new.bio)
        .bind(new.photo_id)
        .bind(JsonText(rows::links_to_json(&new.links)))
        .fetch_one(self.writer())
        .await
        .map_err(|e| write_error(e, "slug", "photo_id"))?;
        let photo = match new.photo_id {
            Some(pid) => self.photo(pid).await?,
            None => None,
        };
        Ok(Author {
            id,
            slug: new.slug.clone(),
            name: new.name.clone(),
            bio: new.bio.clone(),
            photo,
            links: new.links.clone(),
        })
    }

    async fn author_by_slug(&self, slug: &Slug) -> StoreResult<Option<Author>> {
        let row: Option<AuthorRow> = sqlx::query_as(concat!(
            "SELECT ",
            author_columns!(),
            " FROM authors au LEFT JOIN photos p ON p.id = au.photo_id WHERE au.slug = $1"
        ))
        .bind(slug.as_str())
        .fetch_optional(self.reader())
        .await
        .map_err(backend)?;
        row.map(AuthorRow::into_model).transpose()
    }

    async fn list_authors(&self) -> StoreResult<Vec<Author>> {
        sqlx::query_as(concat!(
            "SELECT ",
            author_columns!(),
            " FROM authors au LEFT JOIN photos p ON p.id = au.photo_id ORDER BY au.name, au.id"
        ))
        .fetch_all(self.reader())
        .await
        .map_err(backend)?
        .into_iter()
        .map(AuthorRow::into_model)
        .collect()
    }

    async fn create_tag(&self, new: &NewTag) -> StoreResult<Tag> {
        let row: TagRow = sqlx::query_as(
            "INSERT INTO tags (slug, name, description) VALUES ($1, $2, $3)
             RETURNING id, slug, name, description",
        )
        .bind(new.slug.as_str())
        .bind(&new.name)
        .bind(&new.description)
        .fetch_one(self.writer())
        .await
        .map_err(|e| write_error(e, "slug", "tag"))?;
        row.into_model()
    }

    async fn tag_by_slug(&self, slug: &Slug) -> StoreResult<Option<Tag>> {
        let row: Option<TagRow> =
            sqlx::query_as("SELECT id, slug, name, description FROM tags WHERE slug = $1")
                .bind(slug.as_str())
                .fetch_optional(self.reader())
                .await
                .map_err(backend)?;
        row.map(TagRow::into_model).transpose()
    }

    async fn list_tags(&self) -> StoreResult<Vec<Tag>> {
        sqlx::query_as("SELECT id, slug, name, description FROM tags ORDER BY name, id")
            .fetch_all(self.reader())
            .await
            .map_err(backend)?
            .into_iter()
            .map(TagRow::into_model)
            .collect()
    }

    async fn list_sections(&self, now: DateTime<Utc>, limit: u32) -> StoreResult<Vec<Tag>> {
        sqlx::query_as(
            "SELECT t.id, t.slug, t.name, t.description FROM tags t
             JOIN articles a ON a.section_id = t.id
             WHERE a.status <> 'draft' AND a.published_at <= $1
             GROUP BY t.id ORDER BY count(*) DESC, t.name, t.id LIMIT $2",
        )
        .bind(Time(now))
        .bind(i64::from(limit))
        .fetch_all(self.reader())
        .await
        .map_err(backend)?
        .into_iter()
        .map(TagRow::into_model)
        .collect()
    }

    async fn create_photo(&self, new: &NewPhoto) -> StoreResult<Photo> {
        let row: PhotoRow = sqlx::query_as(
            "INSERT INTO photos (file, content_type, alt, caption, credit, width, height)
             VALUES ($1, $2, $3, $4, $5, $6, $7)
             RETURNING id, file, content_type, alt, caption, credit, width, height",
        )
        .bind(&new.file)
        .bind(&new.content_type)
        .bind(&new.alt)
        .bind(&new.caption)
        .bind(&new.credit)
        .bind(i64::from(new.width))
        .bind(i64::from(new.height))
        .fetch_one(self.writer())
        .await
        .map_err(|e| write_error(e, "file", "photo"))?;
        row.into_model()
    }

    async fn photo(&self, id: Id) -> StoreResult<Option<Photo>> {
        let row: Option<PhotoRow> = sqlx::query_as(
            "SELECT id, file, content_type, alt, caption, credit, width, height
             FROM photos WHERE id = $1",
        )
        .bind(id)
        .fetch_optional(self.reader())
        .await
        .map_err(backend)?;
        row.map(PhotoRow::into_model).transpose()
    }

    async fn create_article(&self, new: &NewArticle) -> StoreResult<Article> {
        let (author_ids, tag_ids) = rows::checked_links(new)?;
        let now = Time(rows::truncate_to_micros(Utc::now()));
        let refs = "author, tag or photo id";
        let mut tx = self.begin_write().await?;
        let id: Id = sqlx::query_scalar(
            "INSERT INTO articles (slug, headline, standfirst, body_markdown, body_html, status,
                 published_at, updated_at, created_at, canonical_url, source_agency, source_url,
                 lead_photo_id, section_id, important)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $8, $9, $10, $11, $12, $13, $14)
             RETURNING id",
        )
        .bind(new.slug.as_str())
        .bind(&new.headline)
        .bind(&new.standfirst)
        .bind(&new.body_markdown)
        .bind(&new.body_html)
        .bind(new.status.as_str())
        .bind(new.published_at.map(Time))
        .bind(now)
        .bind(new.canonical_url.as_deref())
        .bind(new.source.as_ref().map(|s| s.agency.as_str()))
        .bind(new.source.as_ref().map(|s| s.original_url.as_str()))
        .bind(new.lead_photo_id)
        .bind(new.section_id)
        .bind(new.important)
        .fetch_one(&mut *tx)
        .await
        .map_err(|e| write_error(e, "slug", refs))?;
        set_links(&mut tx, id, &author_ids, &tag_ids, refs).await?;
        tx.commit()
            .await
            .map_err(|e| write_error(e, "slug", refs))?;
        self.article_by_id(id).await
    }

    async fn visible_article_by_slug(
        &self,
        slug: &Slug,
        visible_at: DateTime<Utc>,
    ) -> StoreResult<Option<Article>> {
        let row: Option<ArticleRow> = sqlx::query_as(concat!(
            "SELECT ",
            article_columns!(),
            " FROM articles a LEFT JOIN photos p ON p.id = a.lead_photo_id
             WHERE a.slug = $1 AND a.status <> 'draft' AND a.published_at <= $2"
        ))
        .bind(slug.as_str())
        .bind(Time(visible_at))
        .fetch_optional(self.reader())
        .await
        .map_err(backend)?;
        let Some(row) = row else { return Ok(None) };
        Ok(self.load_articles(vec![row]).await?.pop())
    }

    async fn list_articles(&self, query: &ArticleQuery) -> StoreResult<Page<Article>> {
        let limit = rows::clamp_page_limit(query.limit);
        let mut qb = list_query("", query, limit);
        let mut rows: Vec<ArticleRow> = qb
            .build_query_as()
            .fetch_all(self.reader())
            .await
            .map_err(backend)?;
        let more = rows.len() > limit as usize;
        rows.truncate(limit as usize);
        let items = self.load_articles(rows).await?;
        let next = if more { page_cursor(&items)? } else { None };
        Ok(Page { items, next })
    }

    async fn related_articles(
        &self,
        article: &Article,
        visible_at: DateTime<Utc>,
        limit: u32,
    ) -> StoreResult<Vec<Article>> {
        let limit = rows::clamp_related_limit(limit);
        if limit == 0 {
            return Ok(Vec::new());
        }
        let rows: Vec<ArticleRow> = sqlx::query_as(RELATED)
        .bind(article.id)
        .bind(Time(visible_at))
        .bind(i64::from(limit))
        .fetch_all(self.reader())
        .await
        .map_err(backend)?;
        self.load_articles(rows).await
    }

    async fn count_articles(&self) -> StoreResult<u64> {
        let n: i64 = sqlx::query_scalar("SELECT count(*) FROM articles")
            .fetch_one(self.reader())
            .await
            .map_err(backend)?;
        u64::try_from(n).map_err(|_| StoreError::Corrupt(format!("negative count {n}")))
    }

    async fn add_subscriber(
        &self,
        email: &EmailAddress,
        now: DateTime<Utc>,
    ) -> StoreResult<SignupOutcome> {
        let row: Option<Id> = sqlx::query_scalar(
            "INSERT INTO subscribers (email, email_key, status, created_at)
             VALUES ($1, $2, 'pending', $3)
             ON CONFLICT DO NOTHING
             RETURNING id",
        )
        .bind(email.as_str())
        .bind(rows::email_key(email))
        .bind(Time(now))
        .fetch_optional(self.writer())
        .await
        .map_err(|e| write_error(e, "email", "subscriber"))?;
        Ok(match row {
            Some(_) => SignupOutcome::Created,
            None => SignupOutcome::AlreadyKnown,
        })
    }

    async fn subscriber_by_email(&self, email: &EmailAddress) -> StoreResult<Option<Subscriber>> {
        let row: Option<SubscriberRow> = sqlx::query_as(
            "SELECT id, email, status, created_at FROM subscribers WHERE email_key = $1",
        )
        .bind(rows::email_key(email))
        .fetch_optional(self.reader())
        .await
        .map_err(backend)?;
        row.map(SubscriberRow::into_model).transpose()
    }
}

/// The articles sharing most tags with `$1`, visible at `$2`, at most `$3`.
pub(super) const RELATED: &str = concat!(
    "WITH rel AS (
         SELECT other.article_id AS id, count(*) AS shared
         FROM article_tags mine
         JOIN article_tags other
           ON other.tag_id = mine.tag_id AND other.article_id <> mine.article_id
         WHERE mine.article_id = $1
         GROUP BY other.article_id
     )
     SELECT ",
    article_columns!(),
    " FROM rel JOIN articles a ON a.id = rel.id
      LEFT JOIN photos p ON p.id = a.lead_photo_id
     WHERE a.status <> 'draft' AND a.published_at <= $2
     ORDER BY rel.shared DESC, a.published_at DESC, a.id DESC
     LIMIT $3"
);

/// The tags of the articles in the id list `$1`, in each article's order.
pub(super) const TAGS_OF: &str = concat!(
    "SELECT at.article_id, t.id, t.slug, t.name, t.description
     FROM article_tags at JOIN tags t ON t.id = at.tag_id
     WHERE at.article_id ",
    in_list!(1),
    " ORDER BY at.article_id, at.position"
);

/// The authors of the articles in the id list `$1`, in byline order.
pub(super) const AUTHORS_OF: &str = concat!(
    "SELECT aa.article_id, ",
    author_columns!(),
    " FROM article_authors aa JOIN authors au ON au.id = aa.author_id
      LEFT JOIN photos p ON p.id = au.photo_id
     WHERE aa.article_id ",
    in_list!(1),
    " ORDER BY aa.article_id, aa.position"
);

/// Writes an article's byline and tags, each in the order given (an article being created, or
/// one whose old links were just deleted).
pub(super) async fn set_links(
    tx: &mut super::Conn,
    article_id: Id,
    author_ids: &[Id],
    tag_ids: &[Id],
    refs: &str,
) -> StoreResult<()> {
    sqlx::query(concat!(
        "INSERT INTO article_authors (article_id, author_id, position)
         SELECT $1, l.id, l.pos FROM ",
        list_rows!(2),
        " AS l"
    ))
    .bind(article_id)
    .bind(id_list(author_ids))
    .execute(&mut *tx)
    .await
    .map_err(|e| write_error(e, "author_ids", refs))?;
    sqlx::query(concat!(
        "INSERT INTO article_tags (article_id, tag_id, position)
         SELECT $1, l.id, l.pos FROM ",
        list_rows!(2),
        " AS l"
    ))
    .bind(article_id)
    .bind(id_list(tag_ids))
    .execute(&mut *tx)
    .await
    .map_err(|e| write_error(e, "tag_ids", refs))?;
    Ok(())
}

/// The query behind `list_articles` (one row more than `limit`, to know whether a next page
/// exists), after `head`: empty, or `EXPLAIN QUERY PLAN ` for the plan checks.
pub(super) fn list_query(head: &str, query: &ArticleQuery, limit: u32) -> QueryBuilder<Db> {
    let mut qb: QueryBuilder<Db> = QueryBuilder::new(head);
    qb.push(concat!(
        "SELECT ",
        article_columns!(),
        " FROM articles a LEFT JOIN photos p ON p.id = a.lead_photo_id
         WHERE a.status <> 'draft' AND a.published_at <= "
    ));
    qb.push_bind(Time(query.visible_at));
    if let Some(tag) = &query.tag {
        // A membership probe per row of the newest-first walk, which stops after one page:
        // `a.id IN (the tag's articles)` let SQLite fetch and sort every article of the tag
        // (~120 ms for a tag of 14,000 at 100,000 articles, against ~1 ms this way).
        qb.push(
            " AND EXISTS (SELECT 1 FROM article_tags at WHERE at.article_id = a.id
               AND at.tag_id = (SELECT t.id FROM tags t WHERE t.slug = ",
        )
        .push_bind(tag.as_str().to_owned())
        .push("))");
    }
    if let Some(author) = &query.author {
        qb.push(
            " AND EXISTS (SELECT 1 FROM article_authors aa WHERE aa.article_id = a.id
               AND aa.author_id = (SELECT au.id FROM authors au WHERE au.slug = ",
        )
        .push_bind(author.as_str().to_owned())
        .push("))");
    }
    if let Some(since) = query.since {
        qb.push(" AND a.published_at >= ").push_bind(Time(since));
    }
    if query.important_only {
        qb.push(" AND a.important");
    }
    if let Some(before) = query.before {
        qb.push(" AND (a.published_at, a.id) < (")
            .push_bind(Time(before.published_at))
            .push(", ")
            .push_bind(before.id)
            .push(")");
    }
    qb.push(" ORDER BY a.published_at DESC, a.id DESC LIMIT ")
        .push_bind(i64::from(limit) + 1);
    qb
}
