//! [`newsdesk_core::quotes::QuoteStore`], written once for both backends (issue 15): articles'
//! quotations, the people who said them and their aliases. Every write is one short write
//! transaction; speakers are resolved to people inside it, so two saves naming one new person
//! cannot make two.

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use newsdesk_core::quotes::{
    ArticleQuote, NewQuote, Person, PersonQuote, PersonSummary, QuoteKind, QuoteStore,
    fuller_name, name_keys, pick_person, same_words,
};
use newsdesk_core::{Cursor, Id, Page, Slug, StoreError, StoreResult};

use super::ThisStore;
use crate::rows::{backend, clamp_page_limit, slug};
use crate::types::Time;

type Tx = sqlx::Transaction<'static, super::Db>;

#[derive(sqlx::FromRow)]
struct QuoteRow {
    id: Id,
    article_id: Id,
    position: i64,
    speaker: Option<String>,
    person_id: Option<Id>,
    person_slug: Option<String>,
    person_name: Option<String>,
    text: String,
    role: Option<String>,
    channel: Option<String>,
    kind: String,
    start_offset: i64,
    end_offset: i64,
    editor_fixed: bool,
    dropped: bool,
}

const QUOTE_SELECT: &str = "SELECT q.id, q.article_id, q.position, q.speaker, q.person_id,
        p.slug AS person_slug, p.name AS person_name, q.text, q.role, q.channel, q.kind,
        q.start_offset, q.end_offset, q.editor_fixed, q.dropped
    FROM article_quotes q LEFT JOIN people p ON p.id = q.person_id";

fn kind_str(k: QuoteKind) -> &'static str {
    match k {
        QuoteKind::Full => "full",
        QuoteKind::Partial => "partial",
    }
}

impl QuoteRow {
    fn into_quote(self) -> StoreResult<ArticleQuote> {
        let kind = match self.kind.as_str() {
            "full" => QuoteKind::Full,
            "partial" => QuoteKind::Partial,
            other => {
                return Err(StoreError::Corrupt(format!(
                    "quote {} has kind {other:?}",
                    self.id
                )));
            }
        };
        let person = match (self.person_id, self.person_slug, self.person_name) {
            (Some(id), Some(s), Some(name)) => Some(Person {
                id,
                slug: slug(s, "person")?,
                name,
            }),
            _ => None,
        };
        Ok(ArticleQuote {
            id: self.id,
            article_id: self.article_id,
            position: self.position,
            speaker: self.speaker,
            person,
            text: self.text,
            role: self.role,
            channel: self.channel,
            kind,
            start: self.start_offset,
            end: self.end_offset,
            editor_fixed: self.editor_fixed,
            dropped: self.dropped,
        })
    }
}

#[derive(sqlx::FromRow)]
struct PersonRow {
    id: Id,
    slug: String,
    name: String,
}

impl PersonRow {
    fn into_person(self) -> StoreResult<Person> {
        Ok(Person {
            id: self.id,
            slug: slug(self.slug, "person")?,
            name: self.name,
        })
    }
}

fn offset(n: usize) -> i64 {
    i64::try_from(n).unwrap_or(i64::MAX)
}

/// The person `speaker` names, made when nobody yet may be them; `None` for a name with no
/// letters or a bare surname two people share.
async fn resolve_person(tx: &mut Tx, speaker: &str, now: DateTime<Utc>) -> StoreResult<Option<Id>> {
    let Some((display, key, surname)) = name_keys(speaker) else {
        return Ok(None);
    };
    let known: Option<(Id, String)> = sqlx::query_as(
        "SELECT a.person_id, p.name FROM person_aliases a JOIN people p ON p.id = a.person_id
         WHERE a.key = $1",
    )
    .bind(&key)
    .fetch_optional(&mut **tx)
    .await
    .map_err(backend)?;
    if let Some((id, name)) = known {
        upgrade_name(tx, id, &name, &display).await?;
        return Ok(Some(id));
    }
    let candidates: Vec<(Id, String)> = sqlx::query_as(
        "SELECT person_id, alias FROM person_aliases WHERE surname = $1 ORDER BY person_id",
    )
    .bind(&surname)
    .fetch_all(&mut **tx)
    .await
    .map_err(backend)?;
    let shares_surname = !candidates.is_empty();
    let id = match pick_person(speaker, &candidates) {
        Some(id) => {
            let name: String = sqlx::query_scalar("SELECT name FROM people WHERE id = $1")
                .bind(id)
                .fetch_one(&mut **tx)
                .await
                .map_err(backend)?;
            upgrade_name(tx, id, &name, &display).await?;
            id
        }
        // A bare surname that more than one person has: nobody, rather than a guess.
        None if shares_surname && !key.contains(' ') => return Ok(None),
        None => create_person(tx, &display, now).await?,
    };
    sqlx::query(
        "INSERT INTO person_aliases (key, person_id, alias, surname) VALUES ($1, $2, $3, $4)
         ON CONFLICT (key) DO NOTHING",
    )
    .bind(&key)
    .bind(id)
    .bind(&display)
    .bind(&surname)
    .execute(&mut **tx)
    .await
    .map_err(backend)?;
    Ok(Some(id))
}

/// A person first met as "Blinken" takes the name "Antony Blinken" when an article gives it
/// (the slug stays: it is the page's address).
async fn upgrade_name(tx: &mut Tx, id: Id, current: &str, display: &str) -> StoreResult<()> {
    if fuller_name(current, display) {
        sqlx::query("UPDATE people SET name = $1 WHERE id = $2")
            .bind(display)
            .bind(id)
            .execute(&mut **tx)
            .await
            .map_err(backend)?;
    }
    Ok(())
}

async fn create_person(tx: &mut Tx, name: &str, now: DateTime<Utc>) -> StoreResult<Id> {
    let base = Slug::from_title(name).unwrap_or_else(|_| Slug::fallback("person", 0));
    let taken: Vec<String> =
        sqlx::query_scalar("SELECT slug FROM people WHERE slug = $1 OR slug LIKE $2")
            .bind(base.as_str())
            .bind(format!("{}-%", base.as_str()))
            .fetch_all(&mut **tx)
            .await
            .map_err(backend)?;
    let mut candidate = base.as_str().to_string();
    let mut n = 2;
    while taken.contains(&candidate) {
        candidate = format!("{}-{n}", base.as_str());
        n += 1;
    }
    sqlx::query_scalar(
        "INSERT INTO people (slug, name, created_at) VALUES ($1, $2, $3) RETURNING id",
    )
    .bind(&candidate)
    .bind(name)
    .bind(Time(now))
    .fetch_one(&mut **tx)
    .await
    .map_err(backend)
}

async fn quote_in(conn: &mut super::Conn, id: Id) -> StoreResult<Option<ArticleQuote>> {
    let row: Option<QuoteRow> =
        sqlx::query_as(sqlx::AssertSqlSafe(format!("{QUOTE_SELECT} WHERE q.id = $1")))
            .bind(id)
            .fetch_optional(&mut *conn)
            .await
            .map_err(backend)?;
    row.map(QuoteRow::into_quote).transpose()
}

#[derive(sqlx::FromRow)]
struct KeptRow {
    id: Id,
    text: String,
}

#[async_trait]
impl QuoteStore for ThisStore {
    async fn replace_article_quotes(
        &self,
        article_id: Id,
        quotes: &[NewQuote],
        now: DateTime<Utc>,
    ) -> StoreResult<()> {
        let mut tx = self.begin_write().await?;
        sqlx::query("DELETE FROM article_quotes WHERE article_id = $1 AND NOT editor_fixed AND NOT dropped")
            .bind(article_id)
            .execute(&mut *tx)
            .await
            .map_err(backend)?;
        let kept: Vec<KeptRow> = sqlx::query_as(
            "SELECT id, text FROM article_quotes WHERE article_id = $1 ORDER BY position, id",
        )
        .bind(article_id)
        .fetch_all(&mut *tx)
        .await
        .map_err(backend)?;
        let mut matched = vec![false; kept.len()];
        for (pos, q) in quotes.iter().enumerate() {
            let pos = offset(pos);
            // The editor's row stands for this quote: it moves to the quote's place.
            if let Some(i) = kept
                .iter()
                .enumerate()
                .position(|(i, k)| !matched[i] && same_words(&k.text, &q.text))
            {
                matched[i] = true;
                sqlx::query(
                    "UPDATE article_quotes SET position = $1, start_offset = $2, end_offset = $3
                     WHERE id = $4",
                )
                .bind(pos)
                .bind(offset(q.start))
                .bind(offset(q.end))
                .bind(kept[i].id)
                .execute(&mut *tx)
                .await
                .map_err(backend)?;
                continue;
            }
            let person = match q.speaker.as_deref() {
                Some(s) => resolve_person(&mut tx, s, now).await?,
                None => None,
            };
            sqlx::query(
                "INSERT INTO article_quotes (article_id, position, person_id, speaker, text, role,
                     channel, kind, start_offset, end_offset)
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)",
            )
            .bind(article_id)
            .bind(pos)
            .bind(person)
            .bind(q.speaker.as_deref())
            .bind(&q.text)
            .bind(q.role.as_deref())
            .bind(q.channel.as_deref())
            .bind(kind_str(q.kind))
            .bind(offset(q.start))
            .bind(offset(q.end))
            .execute(&mut *tx)
            .await
            .map_err(|e| crate::rows::write_error(e, "quote", "article"))?;
        }
        // An editor's decision about words the article no longer has is moot.
        for (k, _) in kept.iter().zip(&matched).filter(|(_, m)| !**m) {
            sqlx::query("DELETE FROM article_quotes WHERE id = $1")
                .bind(k.id)
                .execute(&mut *tx)
                .await
                .map_err(backend)?;
        }
        tx.commit().await.map_err(backend)
    }

    async fn article_quotes(&self, article_id: Id) -> StoreResult<Vec<ArticleQuote>> {
        let rows: Vec<QuoteRow> = sqlx::query_as(sqlx::AssertSqlSafe(format!(
            "{QUOTE_SELECT} WHERE q.article_id = $1 ORDER BY q.position, q.id"
        )))
        .bind(article_id)
        .fetch_all(self.reader())
        .await
        .map_err(backend)?;
        rows.into_iter().map(QuoteRow::into_quote).collect()
    }

    async fn quote(&self, id: Id) -> StoreResult<Option<ArticleQuote>> {
        let mut conn = self.reader().acquire().await.map_err(backend)?;
        quote_in(&mut conn, id).await
    }

    async fn fix_quote_speaker(
        &self,
        quote_id: Id,
        speaker: Option<&str>,
        now: DateTime<Utc>,
    ) -> StoreResult<ArticleQuote> {
        let speaker = speaker.map(str::trim).filter(|s| !s.is_empty());
        let mut tx = self.begin_write().await?;
        let person = match speaker {
            Some(s) => resolve_person(&mut tx, s, now).await?,
            None => None,
        };
        let done = sqlx::query(
            "UPDATE article_quotes SET speaker = $1, person_id = $2, editor_fixed = TRUE
             WHERE id = $3",
        )
        .bind(speaker)
        .bind(person)
        .bind(quote_id)
        .execute(&mut *tx)
        .await
        .map_err(backend)?;
        if done.rows_affected() == 0 {
            return Err(StoreError::NotFound);
        }
        let q = quote_in(&mut tx, quote_id)
            .await?
            .ok_or(StoreError::NotFound)?;
        tx.commit().await.map_err(backend)?;
        Ok(q)
    }

    async fn set_quote_dropped(&self, quote_id: Id, dropped: bool) -> StoreResult<ArticleQuote> {
        let mut tx = self.begin_write().await?;
        let done = sqlx::query("UPDATE article_quotes SET dropped = $1 WHERE id = $2")
            .bind(dropped)
            .bind(quote_id)
            .execute(&mut *tx)
            .await
            .map_err(backend)?;
        if done.rows_affected() == 0 {
            return Err(StoreError::NotFound);
        }
        let q = quote_in(&mut tx, quote_id)
            .await?
            .ok_or(StoreError::NotFound)?;
        tx.commit().await.map_err(backend)?;
        Ok(q)
    }

    async fn list_people(
        &self,
        visible_at: DateTime<Utc>,
        limit: u32,
    ) -> StoreResult<Vec<PersonSummary>> {
        let rows: Vec<(Id, String, String, i64)> = sqlx::query_as(
            "SELECT p.id, p.slug, p.name, COUNT(*) AS n
             FROM article_quotes q
             JOIN people p ON p.id = q.person_id
             JOIN articles a ON a.id = q.article_id
             WHERE NOT q.dropped AND a.status <> 'draft' AND a.published_at <= $1
             GROUP BY p.id, p.slug, p.name
             ORDER BY n DESC, p.name, p.id
             LIMIT $2",
        )
        .bind(Time(visible_at))
        .bind(i64::from(limit.clamp(1, 1000)))
        .fetch_all(self.reader())
        .await
        .map_err(backend)?;
        rows.into_iter()
            .map(|(id, s, name, n)| {
                Ok(PersonSummary {
                    person: Person {
                        id,
                        slug: slug(s, "person")?,
                        name,
                    },
                    quotes: u64::try_from(n).unwrap_or(0),
                })
            })
            .collect()
    }

    async fn person_by_slug(&self, s: &Slug) -> StoreResult<Option<Person>> {
        let row: Option<PersonRow> =
            sqlx::query_as("SELECT id, slug, name FROM people WHERE slug = $1")
                .bind(s.as_str())
                .fetch_optional(self.reader())
                .await
                .map_err(backend)?;
        row.map(PersonRow::into_person).transpose()
    }

    async fn person(&self, id: Id) -> StoreResult<Option<Person>> {
        let row: Option<PersonRow> =
            sqlx::query_as("SELECT id, slug, name FROM people WHERE id = $1")
                .bind(id)
                .fetch_optional(self.reader())
                .await
                .map_err(backend)?;
        row.map(PersonRow::into_person).transpose()
    }

    async fn person_quotes(
        &self,
        person_id: Id,
        visible_at: DateTime<Utc>,
        before: Option<Cursor>,
        limit: u32,
    ) -> StoreResult<Page<PersonQuote>> {
        #[derive(sqlx::FromRow)]
        struct Row {
            #[sqlx(flatten)]
            quote: QuoteRow,
            article_slug: String,
            headline: String,
            published_at: Time,
        }
        let limit = clamp_page_limit(limit);
        // One more than asked tells whether there is a next page.
        let (cursor_at, cursor_id) = match before {
            Some(c) => (c.published_at, c.id),
            None => (DateTime::<Utc>::MAX_UTC, Id::MAX),
        };
        let rows: Vec<Row> = sqlx::query_as(
            "SELECT q.id, q.article_id, q.position, q.speaker, q.person_id,
                 p.slug AS person_slug, p.name AS person_name, q.text, q.role, q.channel, q.kind,
                 q.start_offset, q.end_offset, q.editor_fixed, q.dropped,
                 a.slug AS article_slug, a.headline, a.published_at
             FROM article_quotes q
             JOIN people p ON p.id = q.person_id
             JOIN articles a ON a.id = q.article_id
             WHERE q.person_id = $1 AND NOT q.dropped AND a.status <> 'draft'
                 AND a.published_at <= $2
                 AND (a.published_at < $3 OR (a.published_at = $3 AND q.id < $4))
             ORDER BY a.published_at DESC, q.id DESC
             LIMIT $5",
        )
        .bind(person_id)
        .bind(Time(visible_at))
        .bind(Time(cursor_at))
        .bind(cursor_id)
        .bind(i64::from(limit) + 1)
        .fetch_all(self.reader())
        .await
        .map_err(backend)?;
        let more = rows.len() > limit as usize;
        let mut items = Vec::with_capacity(rows.len().min(limit as usize));
        for r in rows.into_iter().take(limit as usize) {
            items.push(PersonQuote {
                quote: r.quote.into_quote()?,
                article_slug: slug(r.article_slug, "article")?,
                headline: r.headline,
                published_at: r.published_at.0,
            });
        }
        let next = if more {
            items.last().map(|q| Cursor {
                published_at: q.published_at,
                id: q.quote.id,
            })
        } else {
            None
        };
        Ok(Page { items, next })
    }

    async fn merge_people(&self, keep: Id, gone: Id) -> StoreResult<Person> {
        if keep == gone {
            return Err(StoreError::Conflict("person".into()));
        }
        let mut tx = self.begin_write().await?;
        for id in [keep, gone] {
            let exists: Option<Id> = sqlx::query_scalar("SELECT id FROM people WHERE id = $1")
                .bind(id)
                .fetch_optional(&mut *tx)
                .await
                .map_err(backend)?;
            if exists.is_none() {
                return Err(StoreError::NotFound);
            }
        }
        for sql in [
            "UPDATE article_quotes SET person_id = $1 WHERE person_id = $2",
            "UPDATE person_aliases SET person_id = $1 WHERE person_id = $2",
        ] {
            sqlx::query(sql)
                .bind(keep)
                .bind(gone)
                .execute(&mut *tx)
                .await
                .map_err(backend)?;
        }
        sqlx::query("DELETE FROM people WHERE id = $1")
            .bind(gone)
            .execute(&mut *tx)
            .await
            .map_err(backend)?;
        let row: PersonRow = sqlx::query_as("SELECT id, slug, name FROM people WHERE id = $1")
            .bind(keep)
            .fetch_one(&mut *tx)
            .await
            .map_err(backend)?;
        tx.commit().await.map_err(backend)?;
        row.into_person()
    }

    async fn article_ids_after(&self, after: Id, limit: u32) -> StoreResult<Vec<Id>> {
        sqlx::query_scalar("SELECT id FROM articles WHERE id > $1 ORDER BY id LIMIT $2")
            .bind(after)
            .bind(i64::from(limit.clamp(1, 10_000)))
            .fetch_all(self.reader())
            .await
            .map_err(backend)
    }
}
