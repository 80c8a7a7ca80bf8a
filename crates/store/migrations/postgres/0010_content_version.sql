-- The content stamp (issue 11): one row that the database bumps on every write to something a
-- public page shows, so that pages can be validated (ETag, Last-Modified) and site-wide facts
-- (the section navigation) recomputed only when content changed — by any node or any tool.
-- Statement-level triggers: a bulk write bumps it once.

CREATE TABLE content_version (
    id         SMALLINT    PRIMARY KEY CHECK (id = 1),
    version    BIGINT      NOT NULL,
    changed_at TIMESTAMPTZ NOT NULL
);
INSERT INTO content_version (id, version, changed_at) VALUES (1, 1, clock_timestamp());


CREATE FUNCTION bump_content_version() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    UPDATE content_version SET version = version + 1, changed_at = clock_timestamp();
    RETURN NULL;
END;
$$;

CREATE TRIGGER content_version_articles AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON articles
    FOR EACH STATEMENT EXECUTE FUNCTION bump_content_version();

CREATE TRIGGER content_version_article_tags AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON article_tags
    FOR EACH STATEMENT EXECUTE FUNCTION bump_content_version();

CREATE TRIGGER content_version_article_authors AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON article_authors
    FOR EACH STATEMENT EXECUTE FUNCTION bump_content_version();

CREATE TRIGGER content_version_tags AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON tags
    FOR EACH STATEMENT EXECUTE FUNCTION bump_content_version();

CREATE TRIGGER content_version_authors AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON authors
    FOR EACH STATEMENT EXECUTE FUNCTION bump_content_version();

CREATE TRIGGER content_version_photos AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON photos
    FOR EACH STATEMENT EXECUTE FUNCTION bump_content_version();

CREATE TRIGGER content_version_photo_renditions AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON photo_renditions
    FOR EACH STATEMENT EXECUTE FUNCTION bump_content_version();

CREATE TRIGGER content_version_ingest_clusters AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON ingest_clusters
    FOR EACH STATEMENT EXECUTE FUNCTION bump_content_version();

CREATE TRIGGER content_version_ingest_items AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON ingest_items
    FOR EACH STATEMENT EXECUTE FUNCTION bump_content_version();
