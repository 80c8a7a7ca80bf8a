-- newsdesk schema for SQLite.
-- Times are INTEGER microseconds since the Unix epoch (UTC), so that SQL ordering and comparison
-- are exact and match PostgreSQL's TIMESTAMPTZ precision.

CREATE TABLE photos (
    id           INTEGER PRIMARY KEY,
    file         TEXT    NOT NULL,
    content_type TEXT    NOT NULL,
    alt          TEXT    NOT NULL,
    caption      TEXT    NOT NULL,
    credit       TEXT    NOT NULL,
    width        INTEGER NOT NULL CHECK (width BETWEEN 0 AND 4294967295),
    height       INTEGER NOT NULL CHECK (height BETWEEN 0 AND 4294967295)
);

CREATE TABLE authors (
    id       INTEGER PRIMARY KEY,
    slug     TEXT    NOT NULL UNIQUE,
    name     TEXT    NOT NULL,
    bio      TEXT    NOT NULL,
    photo_id INTEGER REFERENCES photos (id),
    -- JSON array of {"label", "url"} objects.
    links    TEXT    NOT NULL DEFAULT '[]'
);
CREATE INDEX authors_name ON authors (name, id);

CREATE TABLE tags (
    id          INTEGER PRIMARY KEY,
    slug        TEXT NOT NULL UNIQUE,
    name        TEXT NOT NULL,
    description TEXT NOT NULL
);
CREATE INDEX tags_name ON tags (name, id);

CREATE TABLE articles (
    id            INTEGER PRIMARY KEY,
    slug          TEXT    NOT NULL UNIQUE,
    headline      TEXT    NOT NULL,
    standfirst    TEXT    NOT NULL,
    body_markdown TEXT    NOT NULL,
    body_html     TEXT    NOT NULL,
    status        TEXT    NOT NULL CHECK (status IN ('draft', 'scheduled', 'published')),
    published_at  INTEGER,
    updated_at    INTEGER NOT NULL,
    created_at    INTEGER NOT NULL,
    canonical_url TEXT,
    source_agency TEXT,
    source_url    TEXT,
    lead_photo_id INTEGER REFERENCES photos (id),
    section_id    INTEGER REFERENCES tags (id),
    important     INTEGER NOT NULL DEFAULT 0 CHECK (important IN (0, 1))
);
-- Every public list walks this index newest first and stops after one page.
CREATE INDEX articles_published ON articles (published_at DESC, id DESC);
CREATE INDEX articles_important ON articles (important, published_at DESC, id DESC) WHERE important = 1;

CREATE TABLE article_tags (
    article_id INTEGER NOT NULL REFERENCES articles (id) ON DELETE CASCADE,
    tag_id     INTEGER NOT NULL REFERENCES tags (id),
    -- Order the tags were given in; the section is shown first regardless.
    position   INTEGER NOT NULL,
    PRIMARY KEY (article_id, tag_id)
) WITHOUT ROWID;
CREATE INDEX article_tags_tag ON article_tags (tag_id, article_id);

CREATE TABLE article_authors (
    article_id INTEGER NOT NULL REFERENCES articles (id) ON DELETE CASCADE,
    author_id  INTEGER NOT NULL REFERENCES authors (id),
    position   INTEGER NOT NULL,
    PRIMARY KEY (article_id, author_id)
) WITHOUT ROWID;
CREATE INDEX article_authors_author ON article_authors (author_id, article_id);

CREATE TABLE subscribers (
    id         INTEGER PRIMARY KEY,
    -- The address as first given.
    email      TEXT    NOT NULL,
    -- The address lower-cased: one subscriber however the address is capitalised.
    email_key  TEXT    NOT NULL UNIQUE,
    status     TEXT    NOT NULL CHECK (status IN ('pending', 'confirmed', 'unsubscribed')),
    created_at INTEGER NOT NULL
);
