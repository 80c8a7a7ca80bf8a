//! The render path's statements are bounded: `EXPLAIN QUERY PLAN` (SQLite) and `EXPLAIN` with
//! sequential scans disabled (PostgreSQL) must show index lookups and index range scans only,
//! never a scan over a table, whose cost would grow with the archive. The statements checked are
//! the very strings the store runs (`newsdesk_store::pages_sql::{sqlite,postgres}`).

use std::str::FromStr as _;

use chrono::Utc;
use newsdesk_store::pages_sql;
use sqlx::{AssertSqlSafe, Connection as _, Row as _};

use crate::support::{PgDb, SqliteDb};

/// Derived tables of the statements (bounded by construction: each is a LIMITed index range).
const DERIVED: &[&str] = &["rel", "cand", "c0", "c1", "c2"];

/// Each backend's statements, with how many parameters each takes.
macro_rules! statements {
    ($backend:ident) => {
        vec![
            (
                "content stamp",
                pages_sql::$backend::CONTENT_STAMP.to_owned(),
                1,
            ),
            (
                "article page",
                pages_sql::$backend::ARTICLE_PAGE.to_owned(),
                2,
            ),
            (
                "related by three tags",
                pages_sql::$backend::related_by_tags(3),
                6,
            ),
        ]
    };
}

#[tokio::test]
async fn sqlite_render_path_statements_use_indexes_only() {
    let db = SqliteDb::new().await;
    let opts = sqlx::sqlite::SqliteConnectOptions::new().filename(&db.path);
    let mut conn = sqlx::SqliteConnection::connect_with(&opts)
        .await
        .expect("connect");
    for (name, sql, params) in statements!(sqlite) {
        let mut q = sqlx::query(AssertSqlSafe(format!("EXPLAIN QUERY PLAN {sql}")));
        for i in 0..params {
            q = q.bind(i as i64 + 1);
        }
        let plan: Vec<String> = q
            .fetch_all(&mut conn)
            .await
            .unwrap_or_else(|e| panic!("{name}: {e}"))
            .iter()
            .map(|r| r.get::<String, _>("detail"))
            .collect();
        let text = plan.join("\n");
        for line in &plan {
            let Some(rest) = line.strip_prefix("SCAN ") else {
                continue;
            };
            let table = rest.split_whitespace().next().unwrap_or("");
            assert!(
                line.contains(" USING ") || DERIVED.contains(&table),
                "{name}: a table scan in the plan:\n{text}"
            );
        }
        assert!(
            text.contains("SEARCH"),
            "{name}: no index lookup at all:\n{text}"
        );
    }
}

#[tokio::test]
async fn postgres_render_path_statements_use_indexes_only() {
    let Some(db) = PgDb::new("render_path_plans").await else {
        return;
    };
    let opts = sqlx::postgres::PgConnectOptions::from_str(db.url()).expect("url");
    let mut conn = sqlx::PgConnection::connect_with(&opts)
        .await
        .expect("connect");
    // With sequential scans priced out, a Seq Scan left in a plan means no index can serve it.
    sqlx::raw_sql("SET enable_seqscan = off")
        .execute(&mut conn)
        .await
        .expect("set");
    for (name, sql, params) in statements!(postgres) {
        let mut q = sqlx::query(AssertSqlSafe(format!("EXPLAIN {sql}")));
        // Parameter types as the store binds them.
        match name {
            "content stamp" => q = q.bind(Utc::now()),
            "article page" => q = q.bind("a-slug").bind(Utc::now()),
            _ => {
                q = q.bind(1_i64).bind(Utc::now()).bind(4_i64);
                for i in 3..params {
                    q = q.bind(i as i64);
                }
            }
        }
        let plan: Vec<String> = q
            .fetch_all(&mut conn)
            .await
            .unwrap_or_else(|e| panic!("{name}: {e}"))
            .iter()
            .map(|r| r.get::<String, _>(0))
            .collect();
        let text = plan.join("\n");
        assert!(
            !text.contains("Seq Scan"),
            "{name}: a table scan in the plan:\n{text}"
        );
        assert!(
            text.contains("Index"),
            "{name}: no index in the plan:\n{text}"
        );
    }
}
