-- The wire desk: sources, feed items (also the article-fetch work queue), clusters and the
-- LSH index that finds near-duplicate stories without comparing all pairs.

CREATE TABLE ingest_sources (
    id                       INTEGER PRIMARY KEY,
    feed_url                 TEXT    NOT NULL UNIQUE,
    site_url                 TEXT,
    name                     TEXT    NOT NULL,
    name_from_feed           INTEGER NOT NULL CHECK (name_from_feed IN (0, 1)),
    auto_publish             INTEGER NOT NULL CHECK (auto_publish IN (0, 1)),
    interval_seconds         INTEGER NOT NULL CHECK (interval_seconds > 0),
    current_interval_seconds INTEGER NOT NULL CHECK (current_interval_seconds > 0),
    paused                   INTEGER NOT NULL DEFAULT 0 CHECK (paused IN (0, 1)),
    etag                     TEXT,
    last_modified            TEXT,
    next_poll_at             INTEGER NOT NULL,
    last_polled_at           INTEGER,
    last_success_at          INTEGER,
    consecutive_errors       INTEGER NOT NULL DEFAULT 0,
    last_error               TEXT,
    created_at               INTEGER NOT NULL
);
CREATE INDEX ingest_sources_due ON ingest_sources (next_poll_at) WHERE paused = 0;

CREATE TABLE ingest_clusters (
    id         INTEGER PRIMARY KEY,
    -- One article per cluster: publishing twice is a unique violation, never a second article.
    article_id INTEGER UNIQUE REFERENCES articles (id) ON DELETE SET NULL,
    created_at INTEGER NOT NULL
);

CREATE TABLE ingest_items (
    id               INTEGER PRIMARY KEY,
    source_id        INTEGER NOT NULL REFERENCES ingest_sources (id) ON DELETE CASCADE,
    guid             TEXT    NOT NULL,
    url              TEXT    NOT NULL,
    canonical_url    TEXT    NOT NULL UNIQUE,
    title            TEXT    NOT NULL,
    summary          TEXT    NOT NULL,
    published_at     INTEGER,
    state            TEXT    NOT NULL CHECK (state IN ('queued', 'held', 'clustered', 'failed')),
    attempts         INTEGER NOT NULL DEFAULT 0,
    next_attempt_at  INTEGER NOT NULL,
    lease_until      INTEGER,
    last_error       TEXT,
    hold_reason      TEXT,
    headline         TEXT,
    standfirst       TEXT,
    body_text        TEXT,
    body_html        TEXT,
    final_url        TEXT,
    raw_content_type TEXT,
    -- The page as fetched, for re-extraction.
    raw_page         BLOB,
    -- MinHash signature: little-endian u32s.
    signature        BLOB,
    cluster_id       INTEGER REFERENCES ingest_clusters (id),
    created_at       INTEGER NOT NULL,
    updated_at       INTEGER NOT NULL,
    UNIQUE (source_id, guid)
);
CREATE INDEX ingest_items_queue ON ingest_items (next_attempt_at) WHERE state = 'queued';
CREATE INDEX ingest_items_cluster ON ingest_items (cluster_id, id);
CREATE INDEX ingest_items_source ON ingest_items (source_id, id);

-- One row per (band key, story): a lookup by band key costs the same at 10k or 1M stories.
CREATE TABLE ingest_lsh (
    band_key INTEGER NOT NULL,
    item_id  INTEGER NOT NULL,
    PRIMARY KEY (band_key, item_id)
) WITHOUT ROWID;
