//! Relevance on real reporting (bench/search runs this): every article of a set of events, each
//! covered by several outlets in their own words, is indexed; each article's headline is then
//! searched for, and we score how well the other reports of the same event come back. The same
//! articles and queries go to SQLite FTS5 ranked with bm25() in the same run.
//!
//! Usage: relevance PATH.jsonl   (one {"id","date","title","text","cluster"} per line)
//!
//! - recall@10: of the other reports of the event, the share found in the top 10 (the queried
//!   article itself removed from the list).
//! - MRR@10: 1/rank of the first other report in that list, 0 when none is in it.
//! - precision@5 of "You may also like": of the first 5 related articles, the share that report
//!   the same event. The set has no tags or sections, so same event is the only thing that counts
//!   (the best possible with 2 other reports per event is 0.4). The peer for related articles is
//!   FTS5 queried with the article's headline (what a SQLite site would do), judged the same way.
//!
//! Queries are the headline's words (double quotes and leading dashes removed so a headline is
//! never read as a phrase or exclusion, at most 16 words); FTS5 gets the same words OR-ed (its
//! default AND finds only the article itself) with the headline column weighted 3 as ours is.

use std::collections::HashMap;

use chrono::{NaiveDate, TimeZone, Utc};
use newsdesk_search::{
    DocStatus, Filters, OpenOptions, Scope, Search, SearchDoc, SearchRequest, Sort, TantivySearch,
};
use sqlx::Row;

#[derive(serde::Deserialize)]
struct Item {
    id: String,
    date: String,
    title: String,
    text: String,
    cluster: String,
}

#[derive(Default)]
struct Score {
    recall: f64,
    mrr: f64,
    p5: f64,
    n: usize,
}

impl Score {
    fn add(&mut self, ranked: &[usize], me: usize, gold: &[usize]) {
        let list: Vec<usize> = ranked
            .iter()
            .copied()
            .filter(|&i| i != me)
            .take(10)
            .collect();
        let others: Vec<usize> = gold.iter().copied().filter(|&i| i != me).collect();
        if others.is_empty() {
            return;
        }
        let found = list.iter().filter(|i| others.contains(i)).count();
        self.recall += found as f64 / others.len() as f64;
        if let Some(rank) = list.iter().position(|i| others.contains(i)) {
            self.mrr += 1.0 / (rank + 1) as f64;
        }
        self.n += 1;
    }

    fn add_related(&mut self, related: &[usize], me: usize, gold: &[usize]) {
        let top: Vec<usize> = related
            .iter()
            .copied()
            .filter(|&i| i != me)
            .take(5)
            .collect();
        let hits = top.iter().filter(|i| gold.contains(i)).count();
        self.p5 += hits as f64 / 5.0;
    }
}

fn query_words(title: &str) -> Vec<String> {
    title
        .split_whitespace()
        .map(|w| w.replace('"', "").trim_start_matches('-').to_string())
        .filter(|w| w.chars().any(char::is_alphanumeric))
        .take(16)
        .collect()
}

#[tokio::main(flavor = "current_thread")]
async fn main() -> anyhow::Result<()> {
    let path = std::env::args()
        .nth(1)
        .ok_or_else(|| anyhow::anyhow!("usage: relevance PATH.jsonl"))?;
    let mut items = Vec::new();
    for line in std::fs::read_to_string(&path)?.lines() {
        if !line.trim().is_empty() {
            items.push(serde_json::from_str::<Item>(line)?);
        }
    }
    let mut events: HashMap<&str, Vec<usize>> = HashMap::new();
    for (i, it) in items.iter().enumerate() {
        events.entry(it.cluster.as_str()).or_default().push(i);
    }
    let body_of = |it: &Item| {
        let t = it.text.trim_start();
        t.strip_prefix(it.title.as_str())
            .unwrap_or(t)
            .trim()
            .to_string()
    };

    for with_dates in [true, false] {
        // newsdesk
        let dir = tempfile::tempdir()?;
        let (search, _) = TantivySearch::open(dir.path(), &OpenOptions::default())?;
        let fixed = Utc.with_ymd_and_hms(2020, 1, 1, 12, 0, 0).single();
        let docs: Vec<SearchDoc> = items
            .iter()
            .enumerate()
            .map(|(i, it)| {
                let date = NaiveDate::parse_from_str(&it.date, "%Y-%m-%d")
                    .ok()
                    .and_then(|d| d.and_hms_opt(12, 0, 0))
                    .map(|d| Utc.from_utc_datetime(&d));
                let published = if with_dates { date.or(fixed) } else { fixed };
                SearchDoc {
                    id: i as u64 + 1,
                    slug: it.id.clone(),
                    status: DocStatus::Published,
                    language: "en".into(),
                    headline: it.title.clone(),
                    standfirst: String::new(),
                    body: body_of(it),
                    section: None,
                    tags: Vec::new(),
                    authors: Vec::new(),
                    agency: None,
                    people: Vec::new(),
                    published_at: published,
                    updated_at: published.unwrap_or_else(Utc::now),
                    // The gold event is what is measured, so the index is not told it.
                    cluster: None,
                }
            })
            .collect();
        search.apply(docs, &[], 1)?;
        let scope = Scope::Public { at: Utc::now() };
        let mut ours = Score::default();
        for (i, it) in items.iter().enumerate() {
            let req = SearchRequest {
                q: query_words(&it.title).join(" "),
                scope: scope.clone(),
                filters: Filters::default(),
                sort: Sort::Relevance,
                limit: 11,
                cursor: None,
            };
            let ranked: Vec<usize> = match search.search(&req) {
                Ok(page) => page.hits.iter().map(|h| h.id as usize - 1).collect(),
                Err(_) => Vec::new(),
            };
            let gold = &events[it.cluster.as_str()];
            ours.add(&ranked, i, gold);
            let related: Vec<usize> = search
                .related(i as u64 + 1, &scope, 5)?
                .iter()
                .map(|h| h.id as usize - 1)
                .collect();
            ours.add_related(&related, i, gold);
        }

        // FTS5
        let pool = sqlx::sqlite::SqlitePoolOptions::new()
            .max_connections(1)
            .connect("sqlite::memory:")
            .await?;
        sqlx::query(
            "CREATE VIRTUAL TABLE docs USING fts5(headline, body, tokenize = 'porter unicode61')",
        )
        .execute(&pool)
        .await?;
        for (i, it) in items.iter().enumerate() {
            sqlx::query("INSERT INTO docs (rowid, headline, body) VALUES (?, ?, ?)")
                .bind(i as i64 + 1)
                .bind(&it.title)
                .bind(body_of(it))
                .execute(&pool)
                .await?;
        }
        let mut fts = Score::default();
        for (i, it) in items.iter().enumerate() {
            // Each run of letters and digits as an FTS5 string, so no headline is FTS5 syntax.
            let q = query_words(&it.title)
                .iter()
                .flat_map(|w| {
                    w.split(|c: char| !c.is_alphanumeric())
                        .filter(|p| !p.is_empty())
                        .map(|p| format!("\"{p}\""))
                        .collect::<Vec<_>>()
                })
                .collect::<Vec<_>>()
                .join(" OR ");
            if q.is_empty() {
                fts.add(&[], i, &events[it.cluster.as_str()]);
                continue;
            }
            let rows = sqlx::query(
                "SELECT rowid FROM docs WHERE docs MATCH ? ORDER BY bm25(docs, 3.0, 1.0) LIMIT 11",
            )
            .bind(&q)
            .fetch_all(&pool)
            .await?;
            let ranked: Vec<usize> = rows
                .iter()
                .map(|r| r.get::<i64, _>(0) as usize - 1)
                .collect();
            let gold = &events[it.cluster.as_str()];
            fts.add(&ranked, i, gold);
            fts.add_related(&ranked, i, gold);
        }

        let label = if with_dates {
            "with dates"
        } else {
            "dates removed"
        };
        for (name, s) in [("newsdesk", &ours), ("sqlite-fts5", &fts)] {
            let n = s.n.max(1) as f64;
            println!(
                "{{\"set\":\"{}\",\"dates\":\"{label}\",\"engine\":\"{name}\",\"queries\":{},\"recall_at_10\":{:.3},\"mrr_at_10\":{:.3},\"related_precision_at_5\":{:.3}}}",
                std::path::Path::new(&path)
                    .file_name()
                    .and_then(|f| f.to_str())
                    .unwrap_or("?"),
                s.n,
                s.recall / n,
                s.mrr / n,
                s.p5 / n
            );
        }
    }
    Ok(())
}
