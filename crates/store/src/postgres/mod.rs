//! The PostgreSQL backend: a connection pool, TIMESTAMPTZ times, JSONB author links.

mod accounts;
mod ingest;
mod jobs;
mod newsletter;
mod pages;

use std::str::FromStr as _;
use std::time::Duration;

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use newsdesk_core::{
    Article, ArticleQuery, Author, EmailAddress, Id, NewArticle, NewAuthor, NewPhoto, NewTag, Page,
    Photo, SignupOutcome, Slug, Store, StoreError, StoreResult, Subscriber, Tag,
};
use sqlx::postgres::{PgConnectOptions, PgPool, PgPoolOptions, PgRow};
use sqlx::{Postgres, QueryBuilder, Row as _};

use crate::rows::{
    self, ArticleAuthorRow, ArticleRow, ArticleTagRow, AuthorRow, PhotoRow, TagRow, backend,
    page_cursor, write_error,
};
use crate::{OpenError, redact_url};

/// The columns of an article and its lead photo (`a`, `p`), in the order `article_row` reads.
macro_rules! article_columns {
    () => {
        "a.id, a.slug, a.headline, a.standfirst, a.body_markdown, a.body_html, a.status,
         a.published_at, a.updated_at, a.created_at, a.canonical_url, a.source_agency,
         a.source_url, a.section_id, a.important,
         p.id AS p_id, p.file AS p_file, p.content_type AS p_content_type, p.alt AS p_alt,
         p.caption AS p_caption, p.credit AS p_credit, p.width AS p_width, p.height AS p_height"
    };
}

/// The columns of an author and their photo (`au`, `p`).
macro_rules! author_columns {
    () => {
        "au.id, au.slug, au.name, au.bio, au.links::text AS links,
         p.id AS p_id, p.file AS p_file, p.content_type AS p_content_type, p.alt AS p_alt,
         p.caption AS p_caption, p.credit AS p_credit, p.width AS p_width, p.height AS p_height"
    };
}

// After the column macros, which it uses.
mod editorial;

const MAX_CONNECTIONS: u32 = 10;

static MIGRATOR: sqlx::migrate::Migrator = sqlx::migrate!("migrations/postgres");

/// newsdesk's store in a PostgreSQL database.
#[derive(Clone)]
pub struct PgStore {
    url: String,
    pool: PgPool,
}

impl std::fmt::Debug for PgStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PgStore")
            .field("url", &redact_url(&self.url))
            .finish_non_exhaustive()
    }
}

impl PgStore {
    /// Connects to `url` (`postgres://` or `postgresql://`) and runs the migrations.
    pub async fn open(url: &str) -> Result<Self, OpenError> {
        let opts = PgConnectOptions::from_str(url).map_err(|e| OpenError::InvalidUrl {
            url: redact_url(url),
            reason: e.to_string(),
        })?;
        let pool = PgPoolOptions::new()
            .max_connections(MAX_CONNECTIONS)
            .acquire_timeout(Duration::from_secs(10))
            .connect_with(opts)
            .await
            .map_err(|e| OpenError::Connect(Box::new(e)))?;
        MIGRATOR
            .run(&pool)
            .await
            .map_err(|e| OpenError::Migrate(Box::new(e)))?;
        Ok(PgStore {
            url: url.to_owned(),
            pool,
        })
    }

    pub fn pool(&self) -> &PgPool {
        &self.pool
    }

    /// Waits for every connection to close.
    pub async fn close(&self) {
        self.pool.close().await;
    }

    async fn load_articles(&self, rows: Vec<ArticleRow>) -> StoreResult<Vec<Article>> {
        if rows.is_empty() {
            return Ok(Vec::new());
        }
        let ids: Vec<Id> = rows.iter().map(|r| r.id).collect();
        let tags = sqlx::query(
            "SELECT at.article_id, t.id, t.slug, t.name, t.description
             FROM article_tags at JOIN tags t ON t.id = at.tag_id
             WHERE at.article_id = ANY($1)
             ORDER BY at.article_id, at.position",
        )
        .bind(&ids)
        .fetch_all(&self.pool)
        .await
        .map_err(backend)?
        .iter()
        .map(|r| {
            Ok(ArticleTagRow {
                article_id: r.try_get("article_id")?,
                tag: tag_row(r)?,
            })
        })
        .collect::<Result<Vec<_>, sqlx::Error>>()
        .map_err(backend)?;
        let authors = sqlx::query(concat!(
            "SELECT aa.article_id, ",
            author_columns!(),
            " FROM article_authors aa JOIN authors au ON au.id = aa.author_id
              LEFT JOIN photos p ON p.id = au.photo_id
             WHERE aa.article_id = ANY($1)
             ORDER BY aa.article_id, aa.position"
        ))
        .bind(&ids)
        .fetch_all(&self.pool)
        .await
        .map_err(backend)?
        .iter()
        .map(|r| {
            Ok(ArticleAuthorRow {
                article_id: r.try_get("article_id").map_err(backend)?,
                author: author_row(r)?,
            })
        })
        .collect::<StoreResult<Vec<_>>>()?;
        rows::assemble_articles(rows, tags, authors)
    }

    async fn article_by_id(&self, id: Id) -> StoreResult<Article> {
        let row = sqlx::query(concat!(
            "SELECT ",
            article_columns!(),
            " FROM articles a LEFT JOIN photos p ON p.id = a.lead_photo_id WHERE a.id = $1"
        ))
        .bind(id)
        .fetch_optional(&self.pool)
        .await
        .map_err(backend)?
        .ok_or(StoreError::NotFound)?;
        let row = article_row(&row)?;
        self.load_articles(vec![row])
            .await?
            .pop()
            .ok_or(StoreError::NotFound)
    }
}

fn photo_row(r: &PgRow, prefix: &str) -> StoreResult<Option<PhotoRow>> {
    let col = |c: &str| format!("{prefix}{c}");
    let id: Option<Id> = r.try_get(col("id").as_str()).map_err(backend)?;
    let Some(id) = id else { return Ok(None) };
    let get = |c: &str| -> StoreResult<String> { r.try_get(col(c).as_str()).map_err(backend) };
    Ok(Some(PhotoRow {
        id,
        file: get("file")?,
        content_type: get("content_type")?,
        alt: get("alt")?,
        caption: get("caption")?,
        credit: get("credit")?,
        width: r.try_get(col("width").as_str()).map_err(backend)?,
        height: r.try_get(col("height").as_str()).map_err(backend)?,
    }))
}

fn tag_row(r: &PgRow) -> Result<TagRow, sqlx::Error> {
    Ok(TagRow {
        id: r.try_get("id")?,
        slug: r.try_get("slug")?,
        name: r.try_get("name")?,
        description: r.try_get("description")?,
    })
}

fn author_row(r: &PgRow) -> StoreResult<AuthorRow> {
    Ok(AuthorRow {
        id: r.try_get("id").map_err(backend)?,
        slug: r.try_get("slug").map_err(backend)?,
        name: r.try_get("name").map_err(backend)?,
        bio: r.try_get("bio").map_err(backend)?,
        links_json: r.try_get("links").map_err(backend)?,
        photo: photo_row(r, "p_")?,
    })
}

fn article_row(r: &PgRow) -> StoreResult<ArticleRow> {
    Ok(ArticleRow {
        id: r.try_get("id").map_err(backend)?,
        slug: r.try_get("slug").map_err(backend)?,
        headline: r.try_get("headline").map_err(backend)?,
        standfirst: r.try_get("standfirst").map_err(backend)?,
        body_markdown: r.try_get("body_markdown").map_err(backend)?,
        body_html: r.try_get("body_html").map_err(backend)?,
        status: r.try_get("status").map_err(backend)?,
        published_at: r.try_get("published_at").map_err(backend)?,
        updated_at: r.try_get("updated_at").map_err(backend)?,
        created_at: r.try_get("created_at").map_err(backend)?,
        canonical_url: r.try_get("canonical_url").map_err(backend)?,
        source_agency: r.try_get("source_agency").map_err(backend)?,
        source_url: r.try_get("source_url").map_err(backend)?,
        section_id: r.try_get("section_id").map_err(backend)?,
        important: r.try_get("important").map_err(backend)?,
        lead_photo: photo_row(r, "p_")?,
    })
}

fn photo_from_returning(r: &PgRow) -> StoreResult<Photo> {
    photo_row(r, "")?
        .ok_or_else(|| StoreError::Corrupt("photo without id".into()))?
        .into_model()
}

#[async_trait]
impl Store for PgStore {
    fn backend(&self) -> &'static str {
        "postgres"
    }

    async fn create_author(&self, new: &NewAuthor) -> StoreResult<Author> {
        let row = sqlx::query(
            "INSERT INTO authors (slug, name, bio, photo_id, links)
             VALUES ($1, $2, $3, $4, $5::jsonb)
             RETURNING id",
        )
        .bind(new.slug.as_str())
        .bind(&new.name)
        .bind(&new.bio)
        .bind(new.photo_id)
        .bind(rows::links_to_json(&new.links))
        .fetch_one(&self.pool)
        .await
        .map_err(|e| write_error(e, "slug", "photo_id"))?;
        let id: Id = row.try_get("id").map_err(backend)?;
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
        let row = sqlx::query(concat!(
            "SELECT ",
            author_columns!(),
            " FROM authors au LEFT JOIN photos p ON p.id = au.photo_id WHERE au.slug = $1"
        ))
        .bind(slug.as_str())
        .fetch_optional(&self.pool)
        .await
        .map_err(backend)?;
        row.map(|r| author_row(&r)?.into_model()).transpose()
    }

    async fn list_authors(&self) -> StoreResult<Vec<Author>> {
        sqlx::query(concat!(
            "SELECT ",
            author_columns!(),
            " FROM authors au LEFT JOIN photos p ON p.id = au.photo_id ORDER BY au.name, au.id"
        ))
        .fetch_all(&self.pool)
        .await
        .map_err(backend)?
        .iter()
        .map(|r| author_row(r)?.into_model())
        .collect()
    }

    async fn create_tag(&self, new: &NewTag) -> StoreResult<Tag> {
        let row = sqlx::query(
            "INSERT INTO tags (slug, name, description) VALUES ($1, $2, $3)
             RETURNING id, slug, name, description",
        )
        .bind(new.slug.as_str())
        .bind(&new.name)
        .bind(&new.description)
        .fetch_one(&self.pool)
        .await
        .map_err(|e| write_error(e, "slug", "tag"))?;
        tag_row(&row).map_err(backend)?.into_model()
    }

    async fn tag_by_slug(&self, slug: &Slug) -> StoreResult<Option<Tag>> {
        let row = sqlx::query("SELECT id, slug, name, description FROM tags WHERE slug = $1")
            .bind(slug.as_str())
            .fetch_optional(&self.pool)
            .await
            .map_err(backend)?;
        row.map(|r| tag_row(&r).map_err(backend)?.into_model())
            .transpose()
    }

    async fn list_tags(&self) -> StoreResult<Vec<Tag>> {
        sqlx::query("SELECT id, slug, name, description FROM tags ORDER BY name, id")
            .fetch_all(&self.pool)
            .await
            .map_err(backend)?
            .iter()
            .map(|r| tag_row(r).map_err(backend)?.into_model())
            .collect()
    }

    async fn list_sections(&self, now: DateTime<Utc>, limit: u32) -> StoreResult<Vec<Tag>> {
        sqlx::query(
            "SELECT t.id, t.slug, t.name, t.description FROM tags t
             JOIN articles a ON a.section_id = t.id
             WHERE a.status <> 'draft' AND a.published_at <= $1
             GROUP BY t.id, t.slug, t.name, t.description ORDER BY count(*) DESC, t.name, t.id LIMIT $2",
        )
        .bind(now)
        .bind(i64::from(limit))
        .fetch_all(&self.pool)
        .await
        .map_err(backend)?
        .iter()
        .map(|r| tag_row(r).map_err(backend)?.into_model())
        .collect()
    }

    async fn create_photo(&self, new: &NewPhoto) -> StoreResult<Photo> {
        let row = sqlx::query(
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
        .fetch_one(&self.pool)
        .await
        .map_err(|e| write_error(e, "file", "photo"))?;
        photo_from_returning(&row)
    }

    async fn photo(&self, id: Id) -> StoreResult<Option<Photo>> {
        let row = sqlx::query(
            "SELECT id, file, content_type, alt, caption, credit, width, height
             FROM photos WHERE id = $1",
        )
        .bind(id)
        .fetch_optional(&self.pool)
        .await
        .map_err(backend)?;
        row.map(|r| photo_from_returning(&r)).transpose()
    }

    async fn create_article(&self, new: &NewArticle) -> StoreResult<Article> {
        let (author_ids, tag_ids) = rows::checked_links(new)?;
        let now = rows::truncate_to_micros(Utc::now());
        let refs = "author, tag or photo id";
        let mut tx = self.pool.begin().await.map_err(backend)?;
        let row = sqlx::query(
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
        .bind(new.published_at)
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
        let id: Id = row.try_get("id").map_err(backend)?;
        // ORDINALITY numbers the array from 1: the byline and tag order as given.
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
        let row = sqlx::query(concat!(
            "SELECT ",
            article_columns!(),
            " FROM articles a LEFT JOIN photos p ON p.id = a.lead_photo_id
             WHERE a.slug = $1 AND a.status <> 'draft' AND a.published_at <= $2"
        ))
        .bind(slug.as_str())
        .bind(visible_at)
        .fetch_optional(&self.pool)
        .await
        .map_err(backend)?;
        let Some(row) = row else { return Ok(None) };
        let row = article_row(&row)?;
        Ok(self.load_articles(vec![row]).await?.pop())
    }

    async fn list_articles(&self, query: &ArticleQuery) -> StoreResult<Page<Article>> {
        let limit = rows::clamp_page_limit(query.limit);
        let mut qb: QueryBuilder<Postgres> = QueryBuilder::new(concat!(
            "SELECT ",
            article_columns!(),
            " FROM articles a LEFT JOIN photos p ON p.id = a.lead_photo_id
             WHERE a.status <> 'draft' AND a.published_at <= "
        ));
        qb.push_bind(query.visible_at);
        if let Some(tag) = &query.tag {
            qb.push(
                " AND a.id IN (SELECT at.article_id FROM article_tags at
                   JOIN tags t ON t.id = at.tag_id WHERE t.slug = ",
            )
            .push_bind(tag.as_str().to_owned())
            .push(")");
        }
        if let Some(author) = &query.author {
            qb.push(
                " AND a.id IN (SELECT aa.article_id FROM article_authors aa
                   JOIN authors au ON au.id = aa.author_id WHERE au.slug = ",
            )
            .push_bind(author.as_str().to_owned())
            .push(")");
        }
        if let Some(since) = query.since {
            qb.push(" AND a.published_at >= ").push_bind(since);
        }
        if query.important_only {
            qb.push(" AND a.important");
        }
        if let Some(before) = query.before {
            qb.push(" AND (a.published_at, a.id) < (")
                .push_bind(before.published_at)
                .push(", ")
                .push_bind(before.id)
                .push(")");
        }
        qb.push(" ORDER BY a.published_at DESC, a.id DESC LIMIT ")
            .push_bind(i64::from(limit) + 1);
        let mut rows = qb
            .build()
            .fetch_all(&self.pool)
            .await
            .map_err(backend)?
            .iter()
            .map(article_row)
            .collect::<StoreResult<Vec<_>>>()?;
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
        let rows = sqlx::query(concat!(
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
        ))
        .bind(article.id)
        .bind(visible_at)
        .bind(i64::from(limit))
        .fetch_all(&self.pool)
        .await
        .map_err(backend)?
        .iter()
        .map(article_row)
        .collect::<StoreResult<Vec<_>>>()?;
        self.load_articles(rows).await
    }

    async fn count_articles(&self) -> StoreResult<u64> {
        let n: i64 = sqlx::query_scalar("SELECT count(*) FROM articles")
            .fetch_one(&self.pool)
            .await
            .map_err(backend)?;
        u64::try_from(n).map_err(|_| StoreError::Corrupt(format!("negative count {n}")))
    }

    async fn add_subscriber(
        &self,
        email: &EmailAddress,
        now: DateTime<Utc>,
    ) -> StoreResult<SignupOutcome> {
        let row = sqlx::query(
            "INSERT INTO subscribers (email, email_key, status, created_at)
             VALUES ($1, $2, 'pending', $3)
             ON CONFLICT DO NOTHING
             RETURNING id",
        )
        .bind(email.as_str())
        .bind(rows::email_key(email))
        .bind(now)
        .fetch_optional(&self.pool)
        .await
        .map_err(|e| write_error(e, "email", "subscriber"))?;
        Ok(match row {
            Some(_) => SignupOutcome::Created,
            None => SignupOutcome::AlreadyKnown,
        })
    }

    async fn subscriber_by_email(&self, email: &EmailAddress) -> StoreResult<Option<Subscriber>> {
        let row = sqlx::query(
            "SELECT id, email, status, created_at FROM subscribers WHERE email_key = $1",
        )
        .bind(rows::email_key(email))
        .fetch_optional(&self.pool)
        .await
        .map_err(backend)?;
        let Some(r) = row else { return Ok(None) };
        rows::subscriber_from_row(
            r.try_get("id").map_err(backend)?,
            r.try_get("email").map_err(backend)?,
            r.try_get("status").map_err(backend)?,
            r.try_get("created_at").map_err(backend)?,
        )
        .map(Some)
    }
}
