-- The content stamp (issue 11): one row that the database bumps on every write to something a
-- public page shows, so that pages can be validated (ETag, Last-Modified) and site-wide facts
-- (the section navigation) recomputed only when content changed — by any node or any tool.
-- Times are INTEGER microseconds since the Unix epoch, like every other time here.

CREATE TABLE content_version (
    id         INTEGER PRIMARY KEY CHECK (id = 1),
    version    INTEGER NOT NULL,
    changed_at INTEGER NOT NULL
);
INSERT INTO content_version (id, version, changed_at)
VALUES (1, 1, CAST((julianday('now') - 2440587.5) * 86400000000 AS INTEGER));


CREATE TRIGGER content_version_articles_insert AFTER INSERT ON articles
BEGIN
    UPDATE content_version SET version = version + 1,
        changed_at = CAST((julianday('now') - 2440587.5) * 86400000000 AS INTEGER);
END;

CREATE TRIGGER content_version_articles_update AFTER UPDATE ON articles
BEGIN
    UPDATE content_version SET version = version + 1,
        changed_at = CAST((julianday('now') - 2440587.5) * 86400000000 AS INTEGER);
END;

CREATE TRIGGER content_version_articles_delete AFTER DELETE ON articles
BEGIN
    UPDATE content_version SET version = version + 1,
        changed_at = CAST((julianday('now') - 2440587.5) * 86400000000 AS INTEGER);
END;

CREATE TRIGGER content_version_article_tags_insert AFTER INSERT ON article_tags
BEGIN
    UPDATE content_version SET version = version + 1,
        changed_at = CAST((julianday('now') - 2440587.5) * 86400000000 AS INTEGER);
END;

CREATE TRIGGER content_version_article_tags_update AFTER UPDATE ON article_tags
BEGIN
    UPDATE content_version SET version = version + 1,
        changed_at = CAST((julianday('now') - 2440587.5) * 86400000000 AS INTEGER);
END;

CREATE TRIGGER content_version_article_tags_delete AFTER DELETE ON article_tags
BEGIN
    UPDATE content_version SET version = version + 1,
        changed_at = CAST((julianday('now') - 2440587.5) * 86400000000 AS INTEGER);
END;

CREATE TRIGGER content_version_article_authors_insert AFTER INSERT ON article_authors
BEGIN
    UPDATE content_version SET version = version + 1,
        changed_at = CAST((julianday('now') - 2440587.5) * 86400000000 AS INTEGER);
END;

CREATE TRIGGER content_version_article_authors_update AFTER UPDATE ON article_authors
BEGIN
    UPDATE content_version SET version = version + 1,
        changed_at = CAST((julianday('now') - 2440587.5) * 86400000000 AS INTEGER);
END;

CREATE TRIGGER content_version_article_authors_delete AFTER DELETE ON article_authors
BEGIN
    UPDATE content_version SET version = version + 1,
        changed_at = CAST((julianday('now') - 2440587.5) * 86400000000 AS INTEGER);
END;

CREATE TRIGGER content_version_tags_insert AFTER INSERT ON tags
BEGIN
    UPDATE content_version SET version = version + 1,
        changed_at = CAST((julianday('now') - 2440587.5) * 86400000000 AS INTEGER);
END;

CREATE TRIGGER content_version_tags_update AFTER UPDATE ON tags
BEGIN
    UPDATE content_version SET version = version + 1,
        changed_at = CAST((julianday('now') - 2440587.5) * 86400000000 AS INTEGER);
END;

CREATE TRIGGER content_version_tags_delete AFTER DELETE ON tags
BEGIN
    UPDATE content_version SET version = version + 1,
        changed_at = CAST((julianday('now') - 2440587.5) * 86400000000 AS INTEGER);
END;

CREATE TRIGGER content_version_authors_insert AFTER INSERT ON authors
BEGIN
    UPDATE content_version SET version = version + 1,
        changed_at = CAST((julianday('now') - 2440587.5) * 86400000000 AS INTEGER);
END;

CREATE TRIGGER content_version_authors_update AFTER UPDATE ON authors
BEGIN
    UPDATE content_version SET version = version + 1,
        changed_at = CAST((julianday('now') - 2440587.5) * 86400000000 AS INTEGER);
END;

CREATE TRIGGER content_version_authors_delete AFTER DELETE ON authors
BEGIN
    UPDATE content_version SET version = version + 1,
        changed_at = CAST((julianday('now') - 2440587.5) * 86400000000 AS INTEGER);
END;

CREATE TRIGGER content_version_photos_insert AFTER INSERT ON photos
BEGIN
    UPDATE content_version SET version = version + 1,
        changed_at = CAST((julianday('now') - 2440587.5) * 86400000000 AS INTEGER);
END;

CREATE TRIGGER content_version_photos_update AFTER UPDATE ON photos
BEGIN
    UPDATE content_version SET version = version + 1,
        changed_at = CAST((julianday('now') - 2440587.5) * 86400000000 AS INTEGER);
END;

CREATE TRIGGER content_version_photos_delete AFTER DELETE ON photos
BEGIN
    UPDATE content_version SET version = version + 1,
        changed_at = CAST((julianday('now') - 2440587.5) * 86400000000 AS INTEGER);
END;

CREATE TRIGGER content_version_photo_renditions_insert AFTER INSERT ON photo_renditions
BEGIN
    UPDATE content_version SET version = version + 1,
        changed_at = CAST((julianday('now') - 2440587.5) * 86400000000 AS INTEGER);
END;

CREATE TRIGGER content_version_photo_renditions_update AFTER UPDATE ON photo_renditions
BEGIN
    UPDATE content_version SET version = version + 1,
        changed_at = CAST((julianday('now') - 2440587.5) * 86400000000 AS INTEGER);
END;

CREATE TRIGGER content_version_photo_renditions_delete AFTER DELETE ON photo_renditions
BEGIN
    UPDATE content_version SET version = version + 1,
        changed_at = CAST((julianday('now') - 2440587.5) * 86400000000 AS INTEGER);
END;

CREATE TRIGGER content_version_ingest_clusters_insert AFTER INSERT ON ingest_clusters
BEGIN
    UPDATE content_version SET version = version + 1,
        changed_at = CAST((julianday('now') - 2440587.5) * 86400000000 AS INTEGER);
END;

CREATE TRIGGER content_version_ingest_clusters_update AFTER UPDATE ON ingest_clusters
BEGIN
    UPDATE content_version SET version = version + 1,
        changed_at = CAST((julianday('now') - 2440587.5) * 86400000000 AS INTEGER);
END;

CREATE TRIGGER content_version_ingest_clusters_delete AFTER DELETE ON ingest_clusters
BEGIN
    UPDATE content_version SET version = version + 1,
        changed_at = CAST((julianday('now') - 2440587.5) * 86400000000 AS INTEGER);
END;

CREATE TRIGGER content_version_ingest_items_insert AFTER INSERT ON ingest_items
BEGIN
    UPDATE content_version SET version = version + 1,
        changed_at = CAST((julianday('now') - 2440587.5) * 86400000000 AS INTEGER);
END;

CREATE TRIGGER content_version_ingest_items_update AFTER UPDATE ON ingest_items
BEGIN
    UPDATE content_version SET version = version + 1,
        changed_at = CAST((julianday('now') - 2440587.5) * 86400000000 AS INTEGER);
END;

CREATE TRIGGER content_version_ingest_items_delete AFTER DELETE ON ingest_items
BEGIN
    UPDATE content_version SET version = version + 1,
        changed_at = CAST((julianday('now') - 2440587.5) * 86400000000 AS INTEGER);
END;
