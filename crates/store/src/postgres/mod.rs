//! The PostgreSQL backend: a connection pool, TIMESTAMPTZ times, JSONB where JSON is kept.
//!
//! The SQL itself lives in `src/sql/`, compiled here with this module's `Db`, pool and the
//! few dialect pieces below; this folder keeps only what PostgreSQL does differently (claims
//! with `FOR UPDATE SKIP LOCKED`, arrays for lists).

use std::str::FromStr as _;
use std::time::Duration;

use newsdesk_core::{Id, StoreResult};
use sqlx::Postgres;
use sqlx::postgres::{PgConnectOptions, PgPool, PgPoolOptions};

use crate::rows::backend;
use crate::{OpenError, redact_url};

/// `= ANY(...)` over the id list bound at `$n` (see [`id_list`]).
macro_rules! in_list {
    ($n:literal) => {
        concat!("= ANY($", $n, ")")
    };
}

/// The rows `(id, pos)` of the id list bound at `$n`, `pos` counting from 1 in list order.
macro_rules! list_rows {
    ($n:literal) => {
        concat!(
            "(SELECT id, pos FROM unnest($",
            $n,
            ") WITH ORDINALITY AS l(id, pos))"
        )
    };
}

/// Case-insensitive `LIKE`.
macro_rules! ilike {
    () => {
        " ILIKE "
    };
}

/// Locks the rows read until the transaction ends (`OF` names which table's rows in a join).
macro_rules! for_update {
    () => {
        " FOR UPDATE"
    };
    ($of:literal) => {
        concat!(" FOR UPDATE OF ", $of)
    };
}

/// Locks the rows a claim picks and passes over those another claimer holds.
macro_rules! skip_locked {
    () => {
        " FOR UPDATE SKIP LOCKED"
    };
}

/// Opens a JSON array aggregate: `json_agg!()` then `json_row!()` ... `) ORDER BY ...)`.
macro_rules! json_agg {
    () => {
        "json_agg("
    };
}

/// Opens a JSON array of the values listed after it (one element of `json_agg!`).
macro_rules! json_row {
    () => {
        "json_build_array("
    };
}

/// An author's links (`au.links`) as JSON text inside `json_row!`.
macro_rules! links_text {
    () => {
        "au.links::text"
    };
}

mod claims;
/// Serialises story placement across every writer (issue 14: two nodes never start two clusters
/// for one event).
macro_rules! placement_lock {
    () => {
        "SELECT pg_advisory_xact_lock(1414)"
    };
}

sql_modules!();

/// The render path's statements as this backend runs them (see [`crate::pages_sql`]).
pub(crate) mod pages_sql {
    pub use super::pages::{ARTICLE_PAGE, CONTENT_STAMP, related_by_tags};
}

type Db = Postgres;
type Conn = sqlx::PgConnection;
type ThisStore = PgStore;
const NAME: &str = "postgres";

/// An id list to bind where `in_list!` or `list_rows!` stands: a `bigint[]`.
fn id_list(ids: &[Id]) -> Vec<Id> {
    ids.to_vec()
}

/// A list of strings to bind where `in_list!` stands: a `text[]`.
fn text_list(items: &[&str]) -> Vec<String> {
    items.iter().map(|s| (*s).to_owned()).collect()
}

const MAX_CONNECTIONS: u32 = 10;

static MIGRATOR: sqlx::migrate::Migrator = sqlx::migrate!("migrations/postgres");

pub(crate) fn known_schema_version() -> i64 {
    crate::latest(&MIGRATOR)
}

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
            .map_err(OpenError::connect)?;
        // No table yet (a fresh database) reads as "no migration applied". Checked before the
        // Migrator's advisory lock: a node that must refuse should not queue behind a migration.
        let applied: Option<i64> = match sqlx::query_scalar::<_, Option<String>>(
            "SELECT to_regclass('_sqlx_migrations')::text",
        )
        .fetch_one(&pool)
        .await
        .map_err(OpenError::connect)?
        {
            Some(_) => {
                sqlx::query_scalar("SELECT max(version) FROM _sqlx_migrations WHERE success")
                    .fetch_one(&pool)
                    .await
                    .map_err(OpenError::connect)?
            }
            None => None,
        };
        crate::check_schema(applied, &MIGRATOR)?;
        MIGRATOR.run(&pool).await.map_err(OpenError::migrate)?;
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

    fn reader(&self) -> &PgPool {
        &self.pool
    }

    fn writer(&self) -> &PgPool {
        &self.pool
    }

    async fn begin_write(&self) -> StoreResult<sqlx::Transaction<'static, Postgres>> {
        self.pool.begin().await.map_err(backend)
    }
}
