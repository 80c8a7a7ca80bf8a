-- Issue 14: event clustering of independently written reports, kept in the store so that every
-- node (and a restarted one) places new stories against the same clusters.

-- A cluster's centroid and time span, encoded by newsdesk-cluster (ClusterSummary::to_bytes).
CREATE TABLE ingest_event_clusters (
    cluster_id INTEGER PRIMARY KEY REFERENCES ingest_clusters (id) ON DELETE CASCADE,
    summary    BLOB    NOT NULL,
    updated_at INTEGER NOT NULL
);

-- The inverted index of rare keys (hashed headline terms, names, numbers, a story's heaviest
-- body terms): one row per (key, member time, cluster). Candidates are read as a range of
-- (key, at) within the story's window, so the cost follows the stream's rate, not the archive.
CREATE TABLE ingest_event_keys (
    key        INTEGER NOT NULL,
    at         INTEGER NOT NULL,
    cluster_id INTEGER NOT NULL REFERENCES ingest_clusters (id) ON DELETE CASCADE,
    PRIMARY KEY (key, at, cluster_id)
) WITHOUT ROWID;
CREATE INDEX ingest_event_keys_cluster ON ingest_event_keys (cluster_id);
