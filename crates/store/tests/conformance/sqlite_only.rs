//! What only the SQLite backend promises: its file, its pragmas, its URL forms.

use newsdesk_core::{ArticleQuery, Store as _, StoreError};
use newsdesk_store::{OpenError, SqliteStore};

use crate::support::{SqliteDb, TestDb as _};

#[tokio::test]
async fn open_creates_the_file_and_its_directory_and_reopens_it() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("new").join("dir").join("news.db");
    let store = newsdesk_store::open_sqlite_file(&path).await.unwrap();
    assert!(path.exists());
    assert_eq!(store.backend(), "sqlite");
    store
        .add_subscriber(
            &newsdesk_core::EmailAddress::parse("keep@example.org").unwrap(),
            chrono::Utc::now(),
        )
        .await
        .unwrap();
    drop(store);
    // Opening again runs the (already applied) migrations and keeps the data.
    let again = newsdesk_store::open(&format!("sqlite:{}", path.display()))
        .await
        .unwrap();
    assert!(
        again
            .subscriber_by_email(&newsdesk_core::EmailAddress::parse("keep@example.org").unwrap())
            .await
            .unwrap()
            .is_some()
    );
}

#[tokio::test]
async fn connections_use_wal_foreign_keys_normal_sync_and_a_busy_timeout() {
    let dir = tempfile::tempdir().unwrap();
    let store = SqliteStore::open_file(&dir.path().join("p.db"))
        .await
        .unwrap();
    let pool = store.writer_pool();
    let text = |sql: &'static str| sqlx::query_scalar::<_, String>(sql).fetch_one(pool);
    let int = |sql: &'static str| sqlx::query_scalar::<_, i64>(sql).fetch_one(pool);
    assert_eq!(text("PRAGMA journal_mode").await.unwrap(), "wal");
    assert_eq!(int("PRAGMA foreign_keys").await.unwrap(), 1);
    assert_eq!(int("PRAGMA synchronous").await.unwrap(), 1, "NORMAL");
    assert!(int("PRAGMA busy_timeout").await.unwrap() >= 1000);
    assert_eq!(store.writer_pool().options().get_max_connections(), 1);
    store.close().await;
}

/// A store with one published article, and the time just after it was published.
async fn one_article() -> (SqliteDb, chrono::DateTime<chrono::Utc>) {
    let db = SqliteDb::new().await;
    let now = chrono::Utc::now();
    db.store()
        .create_article(&newsdesk_core::NewArticle {
            slug: newsdesk_core::Slug::parse("odd").unwrap(),
            headline: "Odd".into(),
            standfirst: String::new(),
            body_markdown: String::new(),
            body_html: String::new(),
            status: newsdesk_core::ArticleStatus::Published,
            published_at: Some(now - chrono::Duration::minutes(1)),
            canonical_url: None,
            source: None,
            author_ids: vec![],
            lead_photo_id: None,
            tag_ids: vec![],
            section_id: None,
            important: false,
        })
        .await
        .unwrap();
    (db, now)
}

#[tokio::test]
async fn unknown_status_in_a_row_is_corrupt_not_a_panic() {
    let (db, now) = one_article().await;
    db.raw("PRAGMA ignore_check_constraints = ON; UPDATE articles SET status = 'retracted'".into())
        .await;
    let err = db
        .store()
        .list_articles(&ArticleQuery::visible_at(now))
        .await
        .unwrap_err();
    assert!(
        matches!(err, StoreError::Corrupt(ref m) if m.contains("retracted")),
        "{err:?}"
    );
}

#[tokio::test]
async fn a_time_no_calendar_holds_is_corrupt_not_a_panic() {
    let (db, now) = one_article().await;
    // Microseconds past the year 262,143: an INTEGER SQLite keeps, a time chrono cannot hold.
    db.raw(format!("UPDATE articles SET updated_at = {}", i64::MAX))
        .await;
    let err = db
        .store()
        .list_articles(&ArticleQuery::visible_at(now))
        .await
        .unwrap_err();
    assert!(
        matches!(err, StoreError::Corrupt(ref m) if m.contains("updated_at")),
        "{err:?}"
    );
}

#[tokio::test]
async fn memory_url_gives_a_working_private_store() {
    let store = newsdesk_store::open("sqlite::memory:").await.unwrap();
    assert_eq!(store.count_articles().await.unwrap(), 0);
    let tag = store
        .create_tag(&newsdesk_core::NewTag {
            slug: newsdesk_core::Slug::parse("mem").unwrap(),
            name: "Mem".into(),
            description: String::new(),
        })
        .await
        .unwrap();
    assert_eq!(store.list_tags().await.unwrap(), vec![tag]);
}

#[tokio::test]
async fn unknown_schemes_are_refused_naming_the_accepted_ones() {
    for url in [
        "mysql://root:hunter2@localhost/news",
        "news.db",
        "file:///tmp/x.db",
    ] {
        let err = newsdesk_store::open(url).await.unwrap_err();
        assert!(
            matches!(err, OpenError::UnknownScheme { .. }),
            "{url}: {err:?}"
        );
        let msg = err.to_string();
        assert!(
            msg.contains("sqlite://") && msg.contains("postgres://"),
            "{msg}"
        );
        assert!(!msg.contains("hunter2"), "password leaked: {msg}");
    }
}

#[tokio::test]
async fn a_bad_postgres_url_is_refused_without_echoing_its_password() {
    let url = "postgres://news:hunter2@127.0.0.1:5432/news?sslmode=bogus";
    let err = newsdesk_store::open(url).await.unwrap_err();
    assert!(matches!(err, OpenError::InvalidUrl { .. }), "{err:?}");
    assert!(!format!("{err:?}").contains("hunter2"), "{err:?}");
    assert!(!format!("{err}").contains("hunter2"), "{err}");
}

/// No query behind a public page scans a table, whatever the archive holds (10,000 articles
/// here): the unfiltered lists walk the `published_at` index and stop after a page, without a
/// sort; lists by tag or author reach their rows through that tag's or author's index (they sort
/// that tag's articles, not the archive); a page's tags and authors are read by article id; the
/// "related" box goes through the subject's tags (its cost grows with them: see the crate docs).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn page_queries_use_indexes_with_ten_thousand_articles() {
    let db = SqliteDb::new().await;
    let store = db.store();
    // Bulk-fill through the back door: 20 tags, 10 authors, 10,000 articles with 3 tags and
    // 1 author each, one a minute back from 2026-01-01.
    db.raw(
        "INSERT INTO tags (slug, name, description)
           WITH RECURSIVE n(i) AS (SELECT 0 UNION ALL SELECT i + 1 FROM n WHERE i < 19)
           SELECT 'tag-' || i, 'Tag ' || i, '' FROM n;
         INSERT INTO authors (slug, name, bio)
           WITH RECURSIVE n(i) AS (SELECT 0 UNION ALL SELECT i + 1 FROM n WHERE i < 9)
           SELECT 'author-' || i, 'Author ' || i, '' FROM n;
         INSERT INTO articles (slug, headline, standfirst, body_markdown, body_html, status,
                               published_at, updated_at, created_at, section_id, important)
           WITH RECURSIVE n(i) AS (SELECT 0 UNION ALL SELECT i + 1 FROM n WHERE i < 9999)
           SELECT 'article-' || i, 'Headline ' || i, 'Standfirst', 'Body', '<p>Body</p>',
                  CASE WHEN i % 50 = 0 THEN 'draft' ELSE 'published' END,
                  1767225600000000 - i * 60000000, 1767225600000000, 1767225600000000,
                  (i % 20) + 1, i % 7 = 0
           FROM n;
         INSERT INTO article_tags (article_id, tag_id, position)
           SELECT id, ((id + k) % 20) + 1, k FROM articles, (SELECT 0 AS k UNION ALL SELECT 7 UNION ALL SELECT 13)
           WHERE ((id + k) % 20) + 1 IS NOT NULL;
         UPDATE articles SET section_id = ((id + 0) % 20) + 1;
         INSERT INTO article_authors (article_id, author_id, position)
           SELECT id, (id % 10) + 1, 0 FROM articles;
         ANALYZE;"
            .into(),
    )
    .await;
    assert_eq!(store.count_articles().await.unwrap(), 10_000);
    let at = chrono::DateTime::from_timestamp_micros(1_767_225_600_000_000).unwrap();
    let slug = |s: &str| newsdesk_core::Slug::parse(s).unwrap();
    let queries = [
        ArticleQuery::visible_at(at),
        ArticleQuery {
            tag: Some(slug("tag-3")),
            ..ArticleQuery::visible_at(at)
        },
        ArticleQuery {
            author: Some(slug("author-4")),
            ..ArticleQuery::visible_at(at)
        },
        ArticleQuery {
            important_only: true,
            ..ArticleQuery::visible_at(at)
        },
        ArticleQuery {
            before: Some(newsdesk_core::Cursor {
                published_at: at - chrono::Duration::days(5),
                id: 1,
            }),
            ..ArticleQuery::visible_at(at)
        },
    ];
    let article = store
        .visible_article_by_slug(&slug("article-1"), at)
        .await
        .unwrap()
        .unwrap();
    let plans_of = SqliteStore::open_file(&db.path).await.unwrap();
    for q in queries {
        let page = store.list_articles(&q).await.unwrap();
        assert_eq!(page.items.len(), 20, "{q:?}");
        assert!(
            page.items
                .iter()
                .all(|a| a.tags.len() == 3 && a.authors.len() == 1)
        );
        let filtered = q.tag.is_some() || q.author.is_some();
        for (what, plan) in plans_of.page_query_plans(&q, article.id).await.unwrap() {
            let scans: Vec<&String> = plan
                .iter()
                .filter(|line| {
                    line.starts_with("SCAN ")
                        && !line.contains(" USING ")
                        && !line.starts_with("SCAN json_each")
                        && line.as_str() != "SCAN rel"
                })
                .collect();
            assert!(scans.is_empty(), "{what} for {q:?} scans a table: {plan:?}");
            match what {
                // Tag and author pages too walk the archive newest first and stop after a
                // page, probing each row's links, instead of sorting all of the tag's articles.
                "list_articles" => {
                    assert!(
                        plan.iter()
                            .any(|l| l.contains("USING INDEX articles_published")
                                || l.contains("USING INDEX articles_important")),
                        "{q:?}: {plan:?}"
                    );
                    assert!(
                        !plan.iter().any(|l| l.contains("TEMP B-TREE")),
                        "{q:?} sorts the archive: {plan:?}"
                    );
                    if filtered {
                        assert!(
                            // A point probe: both columns of a link index bound.
                            plan.iter().any(|l| {
                                l.contains("article_id=?")
                                    && (l.contains("tag_id=?") || l.contains("author_id=?"))
                            }),
                            "{q:?}: {plan:?}"
                        );
                    }
                }
                "tags of a page" | "authors of a page" => assert!(
                    plan.iter()
                        .any(|l| l.contains("PRIMARY KEY (article_id=?)")),
                    "{what}: {plan:?}"
                ),
                _ => assert!(
                    plan.iter()
                        .any(|l| l.contains("USING COVERING INDEX article_tags_tag (tag_id=?)")),
                    "{what}: {plan:?}"
                ),
            }
        }
    }
    let related = store.related_articles(&article, at, 5).await.unwrap();
    assert_eq!(related.len(), 5);
}

#[tokio::test]
async fn backup_into_writes_a_copy_that_opens_as_a_store() {
    let dir = tempfile::tempdir().unwrap();
    let store = SqliteStore::open_file(&dir.path().join("live.db"))
        .await
        .unwrap();
    store
        .create_tag(&newsdesk_core::NewTag {
            slug: newsdesk_core::Slug::parse("kept").unwrap(),
            name: "Kept".into(),
            description: String::new(),
        })
        .await
        .unwrap();
    let copy = dir.path().join("backup.db");
    store.backup_into(&copy).await.unwrap();
    let restored = newsdesk_store::open_sqlite_file(&copy).await.unwrap();
    assert_eq!(restored.list_tags().await.unwrap().len(), 1);
    assert!(
        store.backup_into(&copy).await.is_err(),
        "never overwrites an existing file"
    );
}

#[tokio::test]
async fn a_background_checkpointer_copies_commits_into_the_database_file() {
    // The writer itself checkpoints only past 16,384 WAL pages; these few hundred commits reach
    // the main file only if the background checkpointer copies them.
    let dir = tempfile::tempdir().unwrap();
    let live = dir.path().join("live.db");
    let store = SqliteStore::open_file(&live).await.unwrap();
    let now = chrono::Utc::now();
    for n in 0..300 {
        let email = newsdesk_core::EmailAddress::parse(&format!("r{n}@example.org")).unwrap();
        store.add_subscriber(&email, now).await.unwrap();
    }
    let copy = dir.path().join("copy.db");
    let mut seen = 0;
    for _ in 0..50 {
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
        // The main file alone, without its WAL: what a checkpoint has written.
        let _ = std::fs::remove_file(&copy);
        std::fs::copy(&live, &copy).unwrap();
        let Ok(c) = SqliteStore::open_file(&copy).await else {
            continue;
        };
        seen = newsdesk_core::newsletter::NewsletterStore::count_subscribers(
            &c,
            newsdesk_core::SubscriptionStatus::Pending,
        )
        .await
        .unwrap_or(0);
        c.close().await;
        for side in ["copy.db-wal", "copy.db-shm"] {
            let _ = std::fs::remove_file(dir.path().join(side));
        }
        if seen == 300 {
            break;
        }
    }
    assert_eq!(seen, 300, "the main file holds every commit");
}
