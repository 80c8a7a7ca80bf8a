//! SQL storage for newsdesk: [`newsdesk_core::Store`] over SQLite (default) and PostgreSQL.
//!
//! [`open`] picks the backend from the database URL, connects and runs that backend's
//! migrations (embedded at compile time from `migrations/sqlite` or `migrations/postgres`).
//! Both pass one conformance suite (`tests/conformance`).
//!
//! The SQL is written once, in `src/sql/` (one file per area), where the dialects agree: `$N`
//! placeholders, the [`types`] that store times and JSON in each backend's own format, and the
//! `FromRow` structs of [`rows`]. Each file there is compiled twice, once inside `sqlite` and
//! once inside `postgres` (`#[path]` modules declared by `sql_modules!`, as vaultwarden's
//! `db_run!` expands one body per backend), and names its backend only through `super::`: `Db`,
//! `Conn`, `ThisStore`, the `reader()`/`writer()` pools, `begin_write()`, the list binders
//! `id_list`/`text_list`, the claims' SQL in `claims` and the dialect macros `in_list!`,
//! `list_rows!`, `ilike!`, `for_update!`, `skip_locked!` and the JSON builders `json_agg!`,
//! `json_row!` and `links_text!`. What really differs (the claims'
//! SQL, `VACUUM INTO`, connection set-up) stays in the backend folders.
//!
//! Choices both backends share:
//! - times are kept to the microsecond (SQLite: INTEGER microseconds since the epoch; PostgreSQL:
//!   TIMESTAMPTZ), so a value written reads back equal and SQL orders it exactly;
//! - lists are keyset-paginated on `(published_at DESC, id DESC)` over one index, and a page of
//!   articles costs three queries (rows with lead photos, then all their tags, then all their
//!   authors), however long the page;
//! - subscribers are one per address regardless of case (a lower-cased key column is unique);
//!   the address is kept as first given;
//! - `related_articles` is exact: it counts shared tags over every article sharing one, so its
//!   cost grows with the size of the subject's tags (a few ms at 10,000 articles); the public
//!   pages use `PageStore::related_by_tags` instead, bounded to each tag's newest articles;
//! - the render path's reads (`src/sql/pages.rs`: content stamp, article page, related) are one
//!   statement each, and the content stamp is a row the database's own triggers bump on every
//!   content write (migration 0010).

use std::path::{Path, PathBuf};
use std::sync::Arc;

use newsdesk_core::Store;

/// Declares, inside a backend module, the modules of `src/sql/`: each backend compiles the same
/// files, on purpose (hence `duplicate_mod`).
macro_rules! sql_modules {
    () => {
        #[allow(clippy::duplicate_mod)]
        #[path = "../sql/accounts.rs"]
        mod accounts;
        #[allow(clippy::duplicate_mod)]
        #[path = "../sql/articles.rs"]
        mod articles;
        #[allow(clippy::duplicate_mod)]
        #[path = "../sql/editorial.rs"]
        mod editorial;
        #[allow(clippy::duplicate_mod)]
        #[path = "../sql/ingest.rs"]
        mod ingest;
        #[allow(clippy::duplicate_mod)]
        #[path = "../sql/jobs.rs"]
        mod jobs;
        #[allow(clippy::duplicate_mod)]
        #[path = "../sql/newsletter.rs"]
        mod newsletter;
        #[allow(clippy::duplicate_mod)]
        #[path = "../sql/nodes.rs"]
        mod nodes;
        #[allow(clippy::duplicate_mod)]
        #[path = "../sql/pages.rs"]
        mod pages;
        #[allow(clippy::duplicate_mod)]
        #[path = "../sql/quotes.rs"]
        mod quotes;
        #[allow(clippy::duplicate_mod)]
        #[path = "../sql/search_changes.rs"]
        mod search_changes;
        #[allow(clippy::duplicate_mod)]
        #[path = "../sql/stories.rs"]
        mod stories;
        #[allow(clippy::duplicate_mod)]
        #[path = "../sql/throttle.rs"]
        mod throttle;
    };
}

#[macro_use]
mod columns;
pub mod changes;
mod ingest_rows;
mod job_rows;
mod newsletter_rows;
mod page_rows;
mod postgres;
mod rows;
mod sqlite;
mod types;

pub use postgres::PgStore;

/// The render path's statements as each backend runs them, for the store tests' `EXPLAIN`
/// checks (see `src/sql/pages.rs`).
pub mod pages_sql {
    /// SQLite's.
    pub mod sqlite {
        pub use crate::sqlite::pages_sql::*;
    }
    /// PostgreSQL's.
    pub mod postgres {
        pub use crate::postgres::pages_sql::*;
    }
}
pub use sqlite::{SqliteLocation, SqliteStore};

/// The URL forms [`open`] accepts, for error messages and help texts.
pub const ACCEPTED_SCHEMES: &str =
    "sqlite://PATH, sqlite:PATH, sqlite::memory:, postgres://... or postgresql://...";

/// Why a store could not be opened.
#[derive(Debug, thiserror::Error)]
pub enum OpenError {
    #[error("unsupported database URL {url:?}: expected {ACCEPTED_SCHEMES}")]
    UnknownScheme {
        /// The URL with any password redacted.
        url: String,
    },
    #[error("invalid database URL {url:?}: {reason}")]
    InvalidUrl { url: String, reason: String },
    // The causes below are part of the message (not only `source()`): callers often print
    // just `{err}`, and an operator needs to know *why* the database would not open.
    #[error("cannot create {}: {cause}", path.display())]
    Io {
        path: PathBuf,
        cause: std::io::Error,
    },
    #[error("cannot connect to the database: {0}")]
    Connect(Box<dyn std::error::Error + Send + Sync>),
    #[error("cannot migrate the database: {0}")]
    Migrate(Box<dyn std::error::Error + Send + Sync>),
    #[error(
        "the database schema is at version {found}, newer than this newsdesk knows ({known}): upgrade newsdesk"
    )]
    SchemaTooNew { found: i64, known: i64 },
}

impl OpenError {
    fn connect(e: sqlx::Error) -> Self {
        OpenError::Connect(Box::new(e))
    }

    fn migrate(e: sqlx::migrate::MigrateError) -> Self {
        OpenError::Migrate(Box::new(e))
    }
}

/// Refuses a database migrated by a newer newsdesk (issue 17): running old code on a newer
/// schema would write rows the newer nodes do not expect. `applied` is the newest applied
/// migration (None: a fresh database).
fn check_schema(applied: Option<i64>, migrator: &sqlx::migrate::Migrator) -> Result<(), OpenError> {
    let known = latest(migrator);
    match applied {
        Some(found) if found > known => Err(OpenError::SchemaTooNew { found, known }),
        _ => Ok(()),
    }
}

fn latest(migrator: &sqlx::migrate::Migrator) -> i64 {
    migrator.iter().map(|m| m.version).max().unwrap_or(0)
}

/// Which backend a database URL names, and where.
#[derive(Clone, PartialEq, Eq)]
pub enum DatabaseUrl {
    Sqlite(SqliteLocation),
    /// The full URL, as given (it may hold a password: see the `Debug` impl).
    Postgres(String),
}

impl std::fmt::Debug for DatabaseUrl {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            DatabaseUrl::Sqlite(loc) => f.debug_tuple("Sqlite").field(loc).finish(),
            DatabaseUrl::Postgres(url) => {
                f.debug_tuple("Postgres").field(&redact_url(url)).finish()
            }
        }
    }
}

impl DatabaseUrl {
    /// Reads `sqlite://path`, `sqlite:path`, `sqlite::memory:`, `postgres://...` and
    /// `postgresql://...`; anything else is refused with the list of accepted forms.
    ///
    /// For SQLite, `sqlite://data/news.db` is the relative path `data/news.db` and
    /// `sqlite:///var/lib/news.db` the absolute `/var/lib/news.db`; a `?query` is ignored
    /// because the store sets its own pragmas.
    pub fn parse(url: &str) -> Result<Self, OpenError> {
        let lower = url.trim_start().to_ascii_lowercase();
        if lower.starts_with("postgres://") || lower.starts_with("postgresql://") {
            return Ok(DatabaseUrl::Postgres(url.trim().to_owned()));
        }
        if let Some(rest) = strip_prefix_ignore_case(url.trim(), "sqlite:") {
            let rest = rest.strip_prefix("//").unwrap_or(rest);
            let path = rest.split_once('?').map_or(rest, |(p, _)| p);
            if path == ":memory:" {
                return Ok(DatabaseUrl::Sqlite(SqliteLocation::Memory));
            }
            if path.is_empty() {
                return Err(OpenError::InvalidUrl {
                    url: url.to_owned(),
                    reason: "no file path after sqlite:".into(),
                });
            }
            return Ok(DatabaseUrl::Sqlite(SqliteLocation::File(PathBuf::from(
                path,
            ))));
        }
        Err(OpenError::UnknownScheme {
            url: redact_url(url),
        })
    }
}

fn strip_prefix_ignore_case<'a>(s: &'a str, prefix: &str) -> Option<&'a str> {
    let head = s.get(..prefix.len())?;
    head.eq_ignore_ascii_case(prefix)
        .then(|| &s[prefix.len()..])
}

/// Opens the store the URL names (see [`DatabaseUrl::parse`]) and brings its schema up to date.
pub async fn open(url: &str) -> Result<Arc<dyn Store>, OpenError> {
    Ok(match DatabaseUrl::parse(url)? {
        DatabaseUrl::Sqlite(location) => Arc::new(SqliteStore::open(location).await?),
        DatabaseUrl::Postgres(url) => Arc::new(PgStore::open(&url).await?),
    })
}

/// Opens (creating it if missing) the SQLite database file at `path`.
pub async fn open_sqlite_file(path: &Path) -> Result<Arc<dyn Store>, OpenError> {
    Ok(Arc::new(SqliteStore::open_file(path).await?))
}

/// The URL with any password replaced by `REDACTED`, fit for logs and `--print-config`.
/// Covers `user:password@` and a `password=` query parameter; a string that does not parse
/// as a URL but looks like it holds credentials is redacted wholesale after the scheme.
pub fn redact_url(url: &str) -> String {
    const MASK: &str = "REDACTED";
    match url::Url::parse(url) {
        Ok(mut parsed) if parsed.has_host() || parsed.password().is_some() => {
            if parsed.password().is_some() {
                // Only fails for URLs that cannot have a password, which this one has.
                let _ = parsed.set_password(Some(MASK));
            }
            let has_secret_param = parsed
                .query_pairs()
                .any(|(k, _)| k.eq_ignore_ascii_case("password"));
            if has_secret_param {
                let pairs: Vec<(String, String)> = parsed
                    .query_pairs()
                    .map(|(k, v)| {
                        if k.eq_ignore_ascii_case("password") {
                            (k.into_owned(), MASK.to_owned())
                        } else {
                            (k.into_owned(), v.into_owned())
                        }
                    })
                    .collect();
                parsed.query_pairs_mut().clear().extend_pairs(pairs);
            }
            parsed.to_string()
        }
        // sqlite:path and friends: nothing secret, and keep them exactly as written.
        Ok(_) => url.to_owned(),
        Err(_) => match url.split_once("://") {
            Some((scheme, rest)) if rest.contains('@') || rest.contains("password") => {
                format!("{scheme}://{MASK}")
            }
            _ if url.contains('@') || url.contains("password") => MASK.to_owned(),
            _ => url.to_owned(),
        },
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn redact_url_hides_the_password_and_keeps_the_rest() {
        assert_eq!(
            redact_url("postgres://news:s3cret@db.example.org:5432/newsdesk"),
            "postgres://news:REDACTED@db.example.org:5432/newsdesk"
        );
        assert_eq!(
            redact_url("postgresql://news:p%40ss@localhost/newsdesk?sslmode=require"),
            "postgresql://news:REDACTED@localhost/newsdesk?sslmode=require"
        );
    }

    #[test]
    fn redact_url_hides_a_password_query_parameter() {
        let r = redact_url("postgres://localhost/newsdesk?user=news&password=s3cret");
        assert!(!r.contains("s3cret"), "{r}");
        assert!(r.contains("user=news"), "{r}");
    }

    #[test]
    fn redact_url_leaves_urls_without_secrets_alone() {
        for url in [
            "postgres://news@localhost/newsdesk",
            "postgres://localhost:54329/postgres",
            "sqlite://newsdesk-data/newsdesk.db",
            "sqlite:newsdesk.db",
            "sqlite::memory:",
        ] {
            assert_eq!(redact_url(url), url);
        }
    }

    #[test]
    fn redact_url_never_echoes_an_unparsable_secret() {
        let r = redact_url("postgres://news:s3cret@[bad");
        assert!(!r.contains("s3cret"), "{r}");
    }

    #[test]
    fn database_url_accepts_both_sqlite_forms_and_postgres() {
        let file = |p: &str| DatabaseUrl::Sqlite(SqliteLocation::File(PathBuf::from(p)));
        assert_eq!(
            DatabaseUrl::parse("sqlite://data/n.db").unwrap(),
            file("data/n.db")
        );
        assert_eq!(
            DatabaseUrl::parse("sqlite:///var/n.db").unwrap(),
            file("/var/n.db")
        );
        assert_eq!(DatabaseUrl::parse("sqlite:n.db").unwrap(), file("n.db"));
        assert_eq!(
            DatabaseUrl::parse("sqlite:n.db?mode=rwc").unwrap(),
            file("n.db")
        );
        assert_eq!(
            DatabaseUrl::parse("sqlite::memory:").unwrap(),
            DatabaseUrl::Sqlite(SqliteLocation::Memory)
        );
        for pg in ["postgres://u@h/db", "postgresql://u@h/db"] {
            assert_eq!(
                DatabaseUrl::parse(pg).unwrap(),
                DatabaseUrl::Postgres(pg.to_owned())
            );
        }
    }

    #[test]
    fn database_url_refuses_unknown_schemes_naming_the_accepted_ones() {
        for bad in ["mysql://u:pw@h/db", "newsdesk.db", "", "sqlite:"] {
            let err = DatabaseUrl::parse(bad).unwrap_err().to_string();
            assert!(err.contains("sqlite"), "{bad}: {err}");
            assert!(!err.contains("pw@"), "password leaked: {err}");
        }
        let err = DatabaseUrl::parse("mysql://u:pw@h/db")
            .unwrap_err()
            .to_string();
        assert!(err.contains("postgres://"), "{err}");
    }

    #[test]
    fn postgres_url_debug_is_redacted() {
        let u = DatabaseUrl::parse("postgres://news:s3cret@localhost/db").unwrap();
        assert!(!format!("{u:?}").contains("s3cret"));
    }
}
