//! The SQLite backend: one file, WAL, one writer connection and a small pool of readers.
//!
//! SQLite allows one writer at a time; funnelling every write through a pool of size one makes
//! writers queue in-process instead of failing with `SQLITE_BUSY`, while WAL lets the readers
//! carry on during a write. `busy_timeout` covers a second process (the CLI while `serve` runs).
//!
//! The SQL itself lives in `src/sql/`, compiled here with this module's `Db`, pools and the
//! few dialect pieces below; this folder keeps only what SQLite does differently.

use std::path::{Path, PathBuf};
use std::str::FromStr as _;
use std::sync::Arc;
use std::time::Duration;

use newsdesk_core::{ArticleQuery, Id, StoreError, StoreResult};
use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePoolOptions, SqliteSynchronous};
use sqlx::{Sqlite, SqlitePool};

use crate::OpenError;
use crate::rows::backend;

/// `IN (...)` over the id list bound at `$n` (see [`id_list`]).
macro_rules! in_list {
    ($n:literal) => {
        concat!("IN (SELECT value FROM json_each($", $n, "))")
    };
}

/// The rows `(id, pos)` of the id list bound at `$n`, `pos` counting from 0 in list order.
macro_rules! list_rows {
    ($n:literal) => {
        concat!("(SELECT value AS id, key AS pos FROM json_each($", $n, "))")
    };
}

/// Case-insensitive `LIKE` (SQLite's `LIKE` already is, for ASCII).
macro_rules! ilike {
    () => {
        " LIKE "
    };
}

/// Row locks: none needed, `BEGIN IMMEDIATE` already holds the database's one write lock.
macro_rules! for_update {
    ($($of:literal)?) => {
        ""
    };
}

/// Skips rows other claimers hold: nothing to skip, claims already run one at a time.
macro_rules! skip_locked {
    () => {
        ""
    };
}

/// Opens a JSON array aggregate: `json_agg!()` then `json_row!()` ... `) ORDER BY ...)`.
macro_rules! json_agg {
    () => {
        "json_group_array("
    };
}

/// Opens a JSON array of the values listed after it (one element of `json_agg!`).
macro_rules! json_row {
    () => {
        "json_array("
    };
}

/// An author's links (`au.links`) as JSON text inside `json_row!`.
macro_rules! links_text {
    () => {
        "au.links"
    };
}

mod claims;
/// Serialises story placement across every writer (issue 14: two nodes never start two clusters
/// for one event).
macro_rules! placement_lock {
    () => {
        // The write transaction (BEGIN IMMEDIATE) already is the one writer: no statement.
        ""
    };
}

sql_modules!();

/// The render path's statements as this backend runs them (see [`crate::pages_sql`]).
pub(crate) mod pages_sql {
    pub use super::pages::{ARTICLE_PAGE, CONTENT_STAMP, related_by_tags};
}

type Db = Sqlite;
type Conn = sqlx::SqliteConnection;
type ThisStore = SqliteStore;
const NAME: &str = "sqlite";

/// An id list to bind where `in_list!` or `list_rows!` stands: a JSON array for `json_each`.
fn id_list(ids: &[Id]) -> String {
    let parts: Vec<String> = ids.iter().map(|id| id.to_string()).collect();
    format!("[{}]", parts.join(","))
}

/// A list of strings to bind where `in_list!` stands.
fn text_list(items: &[&str]) -> String {
    serde_json::Value::from(items.to_vec()).to_string()
}

const READERS: u32 = 4;
/// Each connection's own page cache (negative: KiB). Reads of the main file go through the
/// shared memory map instead, so this holds mostly the write-ahead log's pages and b-tree
/// headers; five connections of 8 MiB bound the private memory at 40 MiB.
const CACHE_SIZE_KIB: i64 = 8 * 1024;
/// The memory map covers at least this much, and twice the file as found at start-up, so that an
/// archive's reads are memory reads from the kernel's shared page cache, not a `pread` and a copy
/// into each connection's cache.
const MMAP_MIN: u64 = 256 * 1024 * 1024;
const MMAP_MAX: u64 = 16 * 1024 * 1024 * 1024;

fn mmap_size(path: &Path) -> u64 {
    let len = std::fs::metadata(path).map(|m| m.len()).unwrap_or(0);
    len.saturating_mul(2).clamp(MMAP_MIN, MMAP_MAX)
}
const BUSY_TIMEOUT: Duration = Duration::from_secs(10);

static MIGRATOR: sqlx::migrate::Migrator = sqlx::migrate!("migrations/sqlite");

pub(crate) fn known_schema_version() -> i64 {
    crate::latest(&MIGRATOR)
}

/// Refuses a schema newer than this build, then migrates (see [`crate::check_schema`]).
async fn migrate(pool: &SqlitePool) -> Result<(), OpenError> {
    // No table yet (a fresh file) reads as "no migration applied".
    let applied: Option<i64> =
        sqlx::query_scalar("SELECT max(version) FROM _sqlx_migrations WHERE success")
            .fetch_one(pool)
            .await
            .unwrap_or(None);
    crate::check_schema(applied, &MIGRATOR)?;
    MIGRATOR.run(pool).await.map_err(OpenError::migrate)
}

/// Where a SQLite database lives.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SqliteLocation {
    File(PathBuf),
    /// A private in-memory database (for tests): one connection does both reading and writing.
    Memory,
}

/// newsdesk's store in a SQLite database.
#[derive(Clone)]
pub struct SqliteStore {
    location: SqliteLocation,
    writer: SqlitePool,
    readers: SqlitePool,
    /// Stops the background checkpointer when the last clone of the store goes.
    checkpointer: Option<Arc<Checkpointer>>,
}

/// How often the background checkpointer copies the WAL into the database file.
const CHECKPOINT_EVERY: Duration = Duration::from_millis(250);

/// The WAL size (pages) at which the writer checkpoints itself, only if the background
/// checkpointer falls behind.
const WRITER_AUTOCHECKPOINT_PAGES: u32 = 16_384;

/// A task that checkpoints the WAL on its own connection, so a writer's commit never pays for
/// copying pages into the database file (with the default autocheckpoint every ~15th placement
/// commit took ~20 ms, measured with `ingest_bench`).
struct Checkpointer {
    task: tokio::task::AbortHandle,
    pool: SqlitePool,
}

impl Drop for Checkpointer {
    fn drop(&mut self) {
        self.task.abort();
    }
}

impl Checkpointer {
    async fn start(opts: SqliteConnectOptions) -> Result<Self, OpenError> {
        let pool = SqlitePoolOptions::new()
            .max_connections(1)
            .connect_with(opts)
            .await
            .map_err(OpenError::connect)?;
        let conn = pool.clone();
        let task = tokio::spawn(async move {
            let mut tick = tokio::time::interval(CHECKPOINT_EVERY);
            tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
            loop {
                tick.tick().await;
                // PASSIVE never waits for readers or the writer; what it cannot copy now it
                // copies next time.
                if let Err(e) = sqlx::query("PRAGMA wal_checkpoint(PASSIVE)")
                    .execute(&conn)
                    .await
                {
                    tracing::warn!(error = %e, "WAL checkpoint failed");
                }
            }
        });
        Ok(Checkpointer {
            task: task.abort_handle(),
            pool,
        })
    }
}

impl std::fmt::Debug for SqliteStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SqliteStore")
            .field("location", &self.location)
            .finish_non_exhaustive()
    }
}

impl SqliteStore {
    /// Opens (creating it and its directory if missing) and migrates the database.
    pub async fn open(location: SqliteLocation) -> Result<Self, OpenError> {
        let base = SqliteConnectOptions::new()
            .foreign_keys(true)
            .busy_timeout(BUSY_TIMEOUT)
            .synchronous(SqliteSynchronous::Normal);
        let (writer, readers) = match &location {
            SqliteLocation::Memory => {
                let opts = SqliteConnectOptions::from_str("sqlite::memory:")
                    .map_err(OpenError::connect)?
                    .foreign_keys(true);
                // The database lives as long as its one connection: never let it go.
                let pool = SqlitePoolOptions::new()
                    .max_connections(1)
                    .min_connections(1)
                    .idle_timeout(None)
                    .max_lifetime(None)
                    .connect_with(opts)
                    .await
                    .map_err(OpenError::connect)?;
                (pool.clone(), pool)
            }
            SqliteLocation::File(path) => {
                if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
                    std::fs::create_dir_all(dir).map_err(|e| OpenError::Io {
                        path: dir.to_owned(),
                        cause: e,
                    })?;
                }
                let opts = base
                    .filename(path)
                    .journal_mode(SqliteJournalMode::Wal)
                    .create_if_missing(true)
                    .pragma("cache_size", format!("-{CACHE_SIZE_KIB}"))
                    .pragma("mmap_size", mmap_size(path).to_string());
                let writer = SqlitePoolOptions::new()
                    .max_connections(1)
                    .acquire_timeout(Duration::from_secs(60))
                    .connect_with(opts.clone().pragma(
                        "wal_autocheckpoint",
                        WRITER_AUTOCHECKPOINT_PAGES.to_string(),
                    ))
                    .await
                    .map_err(OpenError::connect)?;
                // Migrate before any reader exists, so readers see the final schema.
                migrate(&writer).await?;
                let readers = SqlitePoolOptions::new()
                    .max_connections(READERS)
                    .connect_with(opts.clone().read_only(true))
                    .await
                    .map_err(OpenError::connect)?;
                let checkpointer = Checkpointer::start(opts).await?;
                return Ok(SqliteStore {
                    location,
                    writer,
                    readers,
                    checkpointer: Some(Arc::new(checkpointer)),
                });
            }
        };
        migrate(&writer).await?;
        Ok(SqliteStore {
            location,
            writer,
            readers,
            checkpointer: None,
        })
    }

    /// Opens the database file at `path`, creating it if missing.
    pub async fn open_file(path: &Path) -> Result<Self, OpenError> {
        Self::open(SqliteLocation::File(path.to_owned())).await
    }

    pub fn location(&self) -> &SqliteLocation {
        &self.location
    }

    /// The pool of the one writer connection, e.g. for `VACUUM INTO` backups.
    pub fn writer_pool(&self) -> &SqlitePool {
        &self.writer
    }

    /// Writes a consistent, compacted copy of the database to `dest` (which must not exist)
    /// with `VACUUM INTO`, while readers and the site carry on.
    pub async fn backup_into(&self, dest: &Path) -> StoreResult<()> {
        let dest = dest.to_str().ok_or_else(|| {
            StoreError::Backend(format!("backup path {} is not UTF-8", dest.display()).into())
        })?;
        sqlx::query("VACUUM INTO ?")
            .bind(dest)
            .execute(&self.writer)
            .await
            .map_err(backend)?;
        Ok(())
    }

    /// Waits for every connection to close (checkpointing the WAL).
    pub async fn close(&self) {
        if let Some(c) = &self.checkpointer {
            c.task.abort();
            c.pool.close().await;
        }
        self.readers.close().await;
        self.writer.close().await;
    }

    /// The plans SQLite picks (`EXPLAIN QUERY PLAN` details, one list per query) for the
    /// queries behind a public list page (`query`) and an article's "related" box: what the
    /// store tests check to keep those pages from growing with the archive.
    #[doc(hidden)]
    pub async fn page_query_plans(
        &self,
        query: &ArticleQuery,
        article_id: Id,
    ) -> StoreResult<Vec<(&'static str, Vec<String>)>> {
        type PlanRow = (i64, i64, i64, String);
        let details = |rows: Vec<PlanRow>| rows.into_iter().map(|r| r.3).collect::<Vec<_>>();
        let limit = crate::rows::clamp_page_limit(query.limit);
        let list: Vec<PlanRow> = articles::list_query("EXPLAIN QUERY PLAN ", query, limit)
            .build_query_as()
            .fetch_all(&self.readers)
            .await
            .map_err(backend)?;
        let ids = id_list(&[article_id]);
        let mut plans = vec![("list_articles", details(list))];
        for (what, sql) in [
            ("tags of a page", articles::TAGS_OF),
            ("authors of a page", articles::AUTHORS_OF),
        ] {
            let rows: Vec<PlanRow> =
                sqlx::query_as(sqlx::AssertSqlSafe(format!("EXPLAIN QUERY PLAN {sql}")))
                    .bind(&ids)
                    .fetch_all(&self.readers)
                    .await
                    .map_err(backend)?;
            plans.push((what, details(rows)));
        }
        let related: Vec<PlanRow> = sqlx::query_as(sqlx::AssertSqlSafe(format!(
            "EXPLAIN QUERY PLAN {}",
            articles::RELATED
        )))
        .bind(article_id)
        .bind(crate::types::Time(query.visible_at))
        .bind(5_i64)
        .fetch_all(&self.readers)
        .await
        .map_err(backend)?;
        plans.push(("related_articles", details(related)));
        Ok(plans)
    }

    fn reader(&self) -> &SqlitePool {
        &self.readers
    }

    fn writer(&self) -> &SqlitePool {
        &self.writer
    }

    /// A write transaction that takes the database's write lock up front, so it cannot fail
    /// half-way on a lock held by another process.
    async fn begin_write(&self) -> StoreResult<sqlx::Transaction<'static, Sqlite>> {
        self.writer
            .begin_with("BEGIN IMMEDIATE")
            .await
            .map_err(backend)
    }
}
