-- The wire desk: sources, feed items (also the article-fetch work queue), clusters and the
-- LSH index that finds near-duplicate stories without comparing all pairs.

CREATE TABLE ingest_sources (
    id                       BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    feed_url                 TEXT        NOT NULL UNIQUE,
    site_url                 TEXT,
    name                     TEXT        NOT NULL,
    name_from_feed           BOOLEAN     NOT NULL,
    auto_publish             BOOLEAN     NOT NULL,
    interval_seconds         BIGINT      NOT NULL CHECK (interval_seconds > 0),
    current_interval_seconds BIGINT      NOT NULL CHECK (current_interval_seconds > 0),
    paused                   BOOLEAN     NOT NULL DEFAULT FALSE,
    etag                     TEXT,
    last_modified            TEXT,
    next_poll_at             TIMESTAMPTZ NOT NULL,
    last_polled_at           TIMESTAMPTZ,
    last_success_at          TIMESTAMPTZ,
    consecutive_errors       INTEGER     NOT NULL DEFAULT 0,
    last_error               TEXT,
    created_at               TIMESTAMPTZ NOT NULL
);
CREATE INDEX ingest_sources_due ON ingest_sources (next_poll_at) WHERE NOT paused;

CREATE TABLE ingest_clusters (
    id         BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    -- One article per cluster: publishing twice is a unique violation, never a second article.
    article_id BIGINT UNIQUE REFERENCES articles (id) ON DELETE SET NULL,
    created_at TIMESTAMPTZ NOT NULL
);

CREATE TABLE ingest_items (
    id               BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    source_id        BIGINT      NOT NULL REFERENCES ingest_sources (id) ON DELETE CASCADE,
    guid             TEXT        NOT NULL,
    url              TEXT        NOT NULL,
    canonical_url    TEXT        NOT NULL UNIQUE,
    title            TEXT        NOT NULL,
    summary          TEXT        NOT NULL,
    published_at     TIMESTAMPTZ,
    state            TEXT        NOT NULL CHECK (state IN ('queued', 'held', 'clustered', 'failed')),
    attempts         INTEGER     NOT NULL DEFAULT 0,
    next_attempt_at  TIMESTAMPTZ NOT NULL,
    lease_until      TIMESTAMPTZ,
    last_error       TEXT,
    hold_reason      TEXT,
    headline         TEXT,
    standfirst       TEXT,
    body_text        TEXT,
    body_html        TEXT,
    final_url        TEXT,
    raw_content_type TEXT,
    -- The page as fetched, for re-extraction.
    raw_page         BYTEA,
    -- MinHash signature: little-endian u32s.
    signature        BYTEA,
    cluster_id       BIGINT REFERENCES ingest_clusters (id),
    created_at       TIMESTAMPTZ NOT NULL,
    updated_at       TIMESTAMPTZ NOT NULL,
    UNIQUE (source_id, guid)
);
CREATE INDEX ingest_items_queue ON ingest_items (next_attempt_at) WHERE state = 'queued';
CREATE INDEX ingest_items_cluster ON ingest_items (cluster_id, id);
CREATE INDEX ingest_items_source ON ingest_items (source_id, id);

-- One row per (band key, story): a lookup by band key costs the same at 10k or 1M stories.
CREATE TABLE ingest_lsh (
    band_key BIGINT NOT NULL,
    item_id  BIGINT NOT NULL,
    PRIMARY KEY (band_key, item_id)
);
