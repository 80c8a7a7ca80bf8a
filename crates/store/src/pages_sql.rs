//! The SQL of the public render path's own reads ([`newsdesk_core::pages::PageStore`]), written
//! once for both backends (`$N` placeholders; only the bound time types differ). Public so that
//! the store tests can `EXPLAIN` exactly these statements and check that each is a bounded index
//! lookup or range scan, never a walk over the archive.

/// The content stamp: the version row, the newest visible and the next due publication time.
/// `$1` is "now". Each time is the first row of an index range (`articles_published`), not an
/// aggregate over every article.
pub const CONTENT_STAMP: &str = "SELECT v.version, v.changed_at,
       (SELECT a.published_at FROM articles a
         WHERE a.published_at <= $1 AND a.status <> 'draft'
         ORDER BY a.published_at DESC LIMIT 1) AS latest_visible,
       (SELECT a.published_at FROM articles a
         WHERE a.published_at > $1 AND a.status <> 'draft'
         ORDER BY a.published_at ASC LIMIT 1) AS next_scheduled
  FROM content_version v WHERE v.id = 1";

/// The SQL dialect a statement is written out for: the only differences are the names of the
/// JSON functions and how author links (TEXT in SQLite, JSONB in PostgreSQL) become text.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Dialect {
    Sqlite,
    Postgres,
}

impl Dialect {
    fn write(self, sql: &str) -> String {
        let (agg, row, links) = match self {
            Dialect::Sqlite => ("json_group_array(", "json_array(", "au.links"),
            Dialect::Postgres => ("json_agg(", "json_build_array(", "au.links::text"),
        };
        sql.replace("JSON_AGG(", agg)
            .replace("JSON_ROW(", row)
            .replace("AU_LINKS", links)
    }
}

/// Columns that carry an article's tags and authors as JSON arrays (`tags_json`, `authors_json`),
/// so that a list of articles is one statement instead of three.
const ARTICLE_LINKS: &str = "
       CAST(COALESCE((SELECT JSON_AGG(JSON_ROW(t.id, t.slug, t.name, t.description)
                                     ORDER BY at.position)
                        FROM article_tags at JOIN tags t ON t.id = at.tag_id
                       WHERE at.article_id = a.id), '[]') AS TEXT) AS tags_json,
       CAST(COALESCE((SELECT JSON_AGG(JSON_ROW(au.id, au.slug, au.name, au.bio, AU_LINKS,
                                               ap.id, ap.file, ap.content_type, ap.alt,
                                               ap.caption, ap.credit, ap.width, ap.height)
                                     ORDER BY aa.position)
                        FROM article_authors aa JOIN authors au ON au.id = aa.author_id
                        LEFT JOIN photos ap ON ap.id = au.photo_id
                       WHERE aa.article_id = a.id), '[]') AS TEXT) AS authors_json";

/// The columns of an article and its lead photo (`a`, `p`), as the backends' `article_row` read.
const ARTICLE_COLUMNS: &str = "a.id, a.slug, a.headline, a.standfirst, a.body_markdown,
       a.body_html, a.status, a.published_at, a.updated_at, a.created_at, a.canonical_url,
       a.source_agency, a.source_url, a.section_id, a.important,
       p.id AS p_id, p.file AS p_file, p.content_type AS p_content_type, p.alt AS p_alt,
       p.caption AS p_caption, p.credit AS p_credit, p.width AS p_width, p.height AS p_height";

/// The article page: `$1` slug, `$2` now. A unique-index lookup plus primary-key and index
/// lookups for its tags, authors, renditions and cluster.
pub fn article_page(d: Dialect) -> String {
    d.write(&format!(
        "SELECT {ARTICLE_COLUMNS},{ARTICLE_LINKS},
       CAST(COALESCE((SELECT JSON_AGG(JSON_ROW(r.file, r.width, r.height) ORDER BY r.width)
                        FROM photo_renditions r WHERE r.photo_id = a.lead_photo_id), '[]')
            AS TEXT) AS renditions_json,
       CAST(COALESCE((SELECT JSON_AGG(JSON_ROW(s.name, i.url) ORDER BY i.id)
                        FROM ingest_clusters c
                        JOIN ingest_items i ON i.cluster_id = c.id
                        JOIN ingest_sources s ON s.id = i.source_id
                       WHERE c.article_id = a.id AND i.state = 'clustered'
                         AND i.id = (SELECT MIN(j.id) FROM ingest_items j
                                      WHERE j.cluster_id = i.cluster_id
                                        AND j.source_id = i.source_id
                                        AND j.state = 'clustered')), '[]')
            AS TEXT) AS members_json
  FROM articles a LEFT JOIN photos p ON p.id = a.lead_photo_id
 WHERE a.slug = $1 AND a.status <> 'draft' AND a.published_at <= $2"
    ))
}

/// Related articles for an article with `tags` tags: `$1` the article's id, `$2` now, `$3` the
/// limit, `$4...` the tag ids. Each tag contributes its newest [`RELATED_WINDOW`] articles (a
/// range of the `article_tags_tag` index read backwards); only that bounded set is counted and
/// sorted.
///
/// [`RELATED_WINDOW`]: newsdesk_core::pages::RELATED_WINDOW
pub fn related_by_tags(d: Dialect, tags: usize) -> String {
    let window = newsdesk_core::pages::RELATED_WINDOW;
    let candidates: Vec<String> = (0..tags)
        .map(|i| {
            format!(
                "SELECT id FROM (SELECT at.article_id AS id FROM article_tags at
                                   WHERE at.tag_id = ${} AND at.article_id <> $1
                                   ORDER BY at.article_id DESC LIMIT {window}) AS c{i}",
                i + 4
            )
        })
        .collect();
    d.write(&format!(
        "SELECT {ARTICLE_COLUMNS},{ARTICLE_LINKS}
  FROM (SELECT id, COUNT(*) AS shared FROM ({}) AS cand GROUP BY id) AS rel
  JOIN articles a ON a.id = rel.id
  LEFT JOIN photos p ON p.id = a.lead_photo_id
 WHERE a.status <> 'draft' AND a.published_at <= $2
 ORDER BY rel.shared DESC, a.published_at DESC, a.id DESC
 LIMIT $3",
        candidates.join("\n UNION ALL ")
    ))
}
