//! Test databases: a fresh SQLite file per test, or a fresh PostgreSQL database per test on the
//! server named by `NEWSDESK_TEST_DATABASE_URL` (dropped again when the test ends, pass or fail).

use std::io::Write as _;
use std::path::PathBuf;
use std::str::FromStr as _;
use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::{Arc, Once};

use newsdesk_core::Store;
use sqlx::{AssertSqlSafe, Connection as _};

pub const PG_URL_VAR: &str = "NEWSDESK_TEST_DATABASE_URL";

/// A store under test plus a back door for putting the database into states the store would
/// never produce (to check that it reports them instead of panicking).
pub trait TestDb: Send + Sync {
    fn store(&self) -> Arc<dyn Store>;
    /// The database URL, to open a second store on the same database.
    fn url(&self) -> String;
    /// Runs one statement directly on the database, bypassing the store.
    fn raw(&self, sql: String) -> std::pin::Pin<Box<dyn Future<Output = ()> + Send + '_>>;
}

pub struct SqliteDb {
    // Kept so the directory outlives the store.
    _dir: tempfile::TempDir,
    pub path: PathBuf,
    store: Arc<dyn Store>,
}

impl SqliteDb {
    pub async fn new() -> SqliteDb {
        let dir = tempfile::tempdir().expect("temp dir");
        let path = dir.path().join("data").join("newsdesk.db");
        let store = newsdesk_store::open(&format!("sqlite://{}", path.display()))
            .await
            .expect("open sqlite store");
        SqliteDb {
            _dir: dir,
            path,
            store,
        }
    }
}

impl TestDb for SqliteDb {
    fn store(&self) -> Arc<dyn Store> {
        self.store.clone()
    }

    fn url(&self) -> String {
        format!("sqlite://{}", self.path.display())
    }

    fn raw(&self, sql: String) -> std::pin::Pin<Box<dyn Future<Output = ()> + Send + '_>> {
        Box::pin(async move {
            let opts = sqlx::sqlite::SqliteConnectOptions::new()
                .filename(&self.path)
                .busy_timeout(std::time::Duration::from_secs(10));
            let mut conn = sqlx::SqliteConnection::connect_with(&opts)
                .await
                .expect("raw sqlite connection");
            sqlx::raw_sql(AssertSqlSafe(sql))
                .execute(&mut conn)
                .await
                .expect("raw sqlite statement");
            conn.close().await.expect("close raw connection");
        })
    }
}

pub struct PgDb {
    admin_url: String,
    name: String,
    url: String,
    /// None for a database left empty ([`PgDb::empty`]).
    store: Option<Arc<dyn Store>>,
}

fn in_ci() -> bool {
    std::env::var("CI").is_ok_and(|v| !v.is_empty() && v != "0" && v != "false")
}

/// The server for PostgreSQL tests, or `None` (after a loud notice) when a developer has none.
/// In CI a missing server fails the test: CI must never silently skip half the suite.
fn pg_admin_url(case: &str) -> Option<String> {
    match std::env::var(PG_URL_VAR) {
        Ok(url) if !url.trim().is_empty() => Some(url),
        _ => {
            assert!(
                !in_ci(),
                "{PG_URL_VAR} is not set, but CI is: the PostgreSQL half of the store conformance \
                 suite must run in CI. Start a server with eval \"$(scripts/pg-test-server)\"."
            );
            static NOTICE: Once = Once::new();
            NOTICE.call_once(|| {
                // Straight to the stderr handle: the test harness captures eprintln!.
                let _ = writeln!(
                    std::io::stderr(),
                    "\n\
                     ************************************************************************\n\
                     * SKIPPING the PostgreSQL store conformance tests: {PG_URL_VAR}\n\
                     * is not set. Run them with:  eval \"$(scripts/pg-test-server)\"\n\
                     ************************************************************************"
                );
            });
            let _ = writeln!(std::io::stderr(), "skipped: postgres::{case}");
            None
        }
    }
}

impl PgDb {
    /// The test database's URL, for statements the store does not offer (EXPLAIN).
    pub fn url(&self) -> &str {
        &self.url
    }

    pub async fn new(case: &str) -> Option<PgDb> {
        Self::create(case, true).await
    }

    /// A fresh database no store has opened (and so migrated) yet.
    pub async fn empty(case: &str) -> Option<PgDb> {
        Self::create(case, false).await
    }

    async fn create(case: &str, open: bool) -> Option<PgDb> {
        let admin_url = pg_admin_url(case)?;
        static SEQ: AtomicU32 = AtomicU32::new(0);
        let nanos = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.subsec_nanos())
            .unwrap_or(0);
        let mut name = format!(
            "newsdesk_test_{}_{}_{nanos}_{case}",
            std::process::id(),
            SEQ.fetch_add(1, Ordering::Relaxed)
        );
        name.truncate(63);
        let mut admin = connect_admin(&admin_url).await;
        sqlx::raw_sql(AssertSqlSafe(format!("CREATE DATABASE \"{name}\"")))
            .execute(&mut admin)
            .await
            .expect("create test database");
        admin.close().await.ok();
        let mut url = url::Url::parse(&admin_url).expect("NEWSDESK_TEST_DATABASE_URL is a URL");
        url.set_path(&format!("/{name}"));
        let url = url.to_string();
        let store = if open {
            Some(
                newsdesk_store::open(&url)
                    .await
                    .expect("open postgres store"),
            )
        } else {
            None
        };
        Some(PgDb {
            admin_url,
            name,
            url,
            store,
        })
    }
}

async fn connect_admin(url: &str) -> sqlx::PgConnection {
    let opts = sqlx::postgres::PgConnectOptions::from_str(url).expect("valid postgres URL");
    sqlx::PgConnection::connect_with(&opts)
        .await
        .unwrap_or_else(|e| {
            panic!(
                "cannot connect to {} ({PG_URL_VAR}): {e}",
                newsdesk_store::redact_url(url)
            )
        })
}

impl Drop for PgDb {
    /// Drops the test database even when the test panicked. Drop cannot await, and we may be
    /// inside a runtime, so a helper thread with its own runtime does it.
    fn drop(&mut self) {
        let admin_url = self.admin_url.clone();
        let name = self.name.clone();
        let done = std::thread::spawn(move || {
            let rt = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .expect("runtime");
            rt.block_on(async {
                let mut admin = connect_admin(&admin_url).await;
                let _ = sqlx::raw_sql(AssertSqlSafe(format!(
                    "DROP DATABASE IF EXISTS \"{name}\" WITH (FORCE)"
                )))
                .execute(&mut admin)
                .await;
                admin.close().await.ok();
            });
        })
        .join();
        if done.is_err() {
            let _ = writeln!(
                std::io::stderr(),
                "could not drop test database {}",
                self.name
            );
        }
    }
}

impl TestDb for PgDb {
    fn store(&self) -> Arc<dyn Store> {
        self.store.clone().expect("an opened test database")
    }

    fn url(&self) -> String {
        self.url.clone()
    }

    fn raw(&self, sql: String) -> std::pin::Pin<Box<dyn Future<Output = ()> + Send + '_>> {
        Box::pin(async move {
            let mut conn = connect_admin(&self.url).await;
            sqlx::raw_sql(AssertSqlSafe(sql))
                .execute(&mut conn)
                .await
                .expect("raw postgres statement");
            conn.close().await.ok();
        })
    }
}
