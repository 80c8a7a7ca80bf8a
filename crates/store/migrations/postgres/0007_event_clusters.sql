-- Issue 14: event clustering of independently written reports, kept in the store so that every
-- node (and a restarted one) places new stories against the same clusters.

-- A cluster's centroid and time span, encoded by newsdesk-cluster (ClusterSummary::to_bytes).
CREATE TABLE ingest_event_clusters (
    cluster_id BIGINT      PRIMARY KEY REFERENCES ingest_clusters (id) ON DELETE CASCADE,
    summary    BYTEA       NOT NULL,
    updated_at TIMESTAMPTZ NOT NULL
);

-- The inverted index of rare keys: one row per (key, member time, cluster), read as a range of
-- (key, at) within the story's window.
CREATE TABLE ingest_event_keys (
    key        BIGINT      NOT NULL,
    at         TIMESTAMPTZ NOT NULL,
    cluster_id BIGINT      NOT NULL REFERENCES ingest_clusters (id) ON DELETE CASCADE,
    PRIMARY KEY (key, at, cluster_id)
);
CREATE INDEX ingest_event_keys_cluster ON ingest_event_keys (cluster_id);
