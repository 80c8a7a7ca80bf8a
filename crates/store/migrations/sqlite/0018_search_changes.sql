-- Issue 16: the search change log. Every write that changes what the index holds of an article
-- (the article row, its tags and bylines, a tag or author renamed) appends the article's id here,
-- from the database's own triggers, so writes by any node or tool are seen. Each process tails
-- it by `seq` to keep its own index current. Times are INTEGER microseconds since the epoch.
CREATE TABLE search_changes (
    seq        INTEGER PRIMARY KEY AUTOINCREMENT,
    article_id INTEGER NOT NULL,
    changed_at INTEGER NOT NULL
);

CREATE TRIGGER search_changes_articles_insert AFTER INSERT ON articles
BEGIN
    INSERT INTO search_changes (article_id, changed_at)
    VALUES (NEW.id, CAST((julianday('now') - 2440587.5) * 86400000000 AS INTEGER));
END;

CREATE TRIGGER search_changes_articles_update AFTER UPDATE ON articles
BEGIN
    INSERT INTO search_changes (article_id, changed_at)
    VALUES (NEW.id, CAST((julianday('now') - 2440587.5) * 86400000000 AS INTEGER));
END;

CREATE TRIGGER search_changes_articles_delete AFTER DELETE ON articles
BEGIN
    INSERT INTO search_changes (article_id, changed_at)
    VALUES (OLD.id, CAST((julianday('now') - 2440587.5) * 86400000000 AS INTEGER));
END;

CREATE TRIGGER search_changes_article_tags_insert AFTER INSERT ON article_tags
BEGIN
    INSERT INTO search_changes (article_id, changed_at)
    VALUES (NEW.article_id, CAST((julianday('now') - 2440587.5) * 86400000000 AS INTEGER));
END;

CREATE TRIGGER search_changes_article_tags_delete AFTER DELETE ON article_tags
BEGIN
    INSERT INTO search_changes (article_id, changed_at)
    VALUES (OLD.article_id, CAST((julianday('now') - 2440587.5) * 86400000000 AS INTEGER));
END;

CREATE TRIGGER search_changes_article_authors_insert AFTER INSERT ON article_authors
BEGIN
    INSERT INTO search_changes (article_id, changed_at)
    VALUES (NEW.article_id, CAST((julianday('now') - 2440587.5) * 86400000000 AS INTEGER));
END;

CREATE TRIGGER search_changes_article_authors_delete AFTER DELETE ON article_authors
BEGIN
    INSERT INTO search_changes (article_id, changed_at)
    VALUES (OLD.article_id, CAST((julianday('now') - 2440587.5) * 86400000000 AS INTEGER));
END;

-- A renamed tag or author changes the text of every article carrying it.
CREATE TRIGGER search_changes_tags_update AFTER UPDATE OF name, slug ON tags
BEGIN
    INSERT INTO search_changes (article_id, changed_at)
    SELECT article_id, CAST((julianday('now') - 2440587.5) * 86400000000 AS INTEGER)
    FROM article_tags WHERE tag_id = NEW.id;
END;

CREATE TRIGGER search_changes_authors_update AFTER UPDATE OF name, slug ON authors
BEGIN
    INSERT INTO search_changes (article_id, changed_at)
    SELECT article_id, CAST((julianday('now') - 2440587.5) * 86400000000 AS INTEGER)
    FROM article_authors WHERE author_id = NEW.id;
END;
