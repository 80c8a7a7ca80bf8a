-- Issue 16: the search change log. Every write that changes what the index holds of an article
-- (the article row, its tags and bylines, a tag or author renamed) appends the article's id here,
-- from the database's own triggers, so writes by any node or tool are seen. Each process tails
-- it by `seq` to keep its own index current. A sequence value is taken before its transaction
-- commits, so readers may briefly see a gap: the tailing worker re-reads gaps for a while.
CREATE TABLE search_changes (
    seq        BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    article_id BIGINT      NOT NULL,
    changed_at TIMESTAMPTZ NOT NULL
);

CREATE FUNCTION search_change_article() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'DELETE' THEN
        INSERT INTO search_changes (article_id, changed_at) VALUES (OLD.id, clock_timestamp());
    ELSE
        INSERT INTO search_changes (article_id, changed_at) VALUES (NEW.id, clock_timestamp());
    END IF;
    RETURN NULL;
END;
$$;

CREATE FUNCTION search_change_article_link() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'DELETE' THEN
        INSERT INTO search_changes (article_id, changed_at) VALUES (OLD.article_id, clock_timestamp());
    ELSE
        INSERT INTO search_changes (article_id, changed_at) VALUES (NEW.article_id, clock_timestamp());
    END IF;
    RETURN NULL;
END;
$$;

CREATE FUNCTION search_change_tag() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO search_changes (article_id, changed_at)
    SELECT article_id, clock_timestamp() FROM article_tags WHERE tag_id = NEW.id;
    RETURN NULL;
END;
$$;

CREATE FUNCTION search_change_author() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO search_changes (article_id, changed_at)
    SELECT article_id, clock_timestamp() FROM article_authors WHERE author_id = NEW.id;
    RETURN NULL;
END;
$$;

CREATE TRIGGER search_changes_articles AFTER INSERT OR UPDATE OR DELETE ON articles
    FOR EACH ROW EXECUTE FUNCTION search_change_article();
CREATE TRIGGER search_changes_article_tags AFTER INSERT OR DELETE ON article_tags
    FOR EACH ROW EXECUTE FUNCTION search_change_article_link();
CREATE TRIGGER search_changes_article_authors AFTER INSERT OR DELETE ON article_authors
    FOR EACH ROW EXECUTE FUNCTION search_change_article_link();
CREATE TRIGGER search_changes_tags AFTER UPDATE OF name, slug ON tags
    FOR EACH ROW EXECUTE FUNCTION search_change_tag();
CREATE TRIGGER search_changes_authors AFTER UPDATE OF name, slug ON authors
    FOR EACH ROW EXECUTE FUNCTION search_change_author();
