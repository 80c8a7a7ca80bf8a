-- newsdesk schema for PostgreSQL.

CREATE TABLE photos (
    id           BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    file         TEXT   NOT NULL,
    content_type TEXT   NOT NULL,
    alt          TEXT   NOT NULL,
    caption      TEXT   NOT NULL,
    credit       TEXT   NOT NULL,
    width        BIGINT NOT NULL CHECK (width BETWEEN 0 AND 4294967295),
    height       BIGINT NOT NULL CHECK (height BETWEEN 0 AND 4294967295)
);

CREATE TABLE authors (
    id       BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    slug     TEXT   NOT NULL UNIQUE,
    name     TEXT   NOT NULL,
    bio      TEXT   NOT NULL,
    photo_id BIGINT REFERENCES photos (id),
    -- Array of {"label", "url"} objects.
    links    JSONB  NOT NULL DEFAULT '[]'
);
CREATE INDEX authors_name ON authors (name, id);
CREATE INDEX authors_photo ON authors (photo_id);

CREATE TABLE tags (
    id          BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    slug        TEXT NOT NULL UNIQUE,
    name        TEXT NOT NULL,
    description TEXT NOT NULL
);
CREATE INDEX tags_name ON tags (name, id);

CREATE TABLE articles (
    id            BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    slug          TEXT        NOT NULL UNIQUE,
    headline      TEXT        NOT NULL,
    standfirst    TEXT        NOT NULL,
    body_markdown TEXT        NOT NULL,
    body_html     TEXT        NOT NULL,
    status        TEXT        NOT NULL CHECK (status IN ('draft', 'scheduled', 'published')),
    published_at  TIMESTAMPTZ,
    updated_at    TIMESTAMPTZ NOT NULL,
    created_at    TIMESTAMPTZ NOT NULL,
    canonical_url TEXT,
    source_agency TEXT,
    source_url    TEXT,
    lead_photo_id BIGINT REFERENCES photos (id),
    section_id    BIGINT REFERENCES tags (id),
    important     BOOLEAN     NOT NULL DEFAULT FALSE
);
-- Every public list walks this index newest first and stops after one page.
CREATE INDEX articles_published ON articles (published_at DESC, id DESC);
CREATE INDEX articles_important ON articles (published_at DESC, id DESC) WHERE important;
CREATE INDEX articles_lead_photo ON articles (lead_photo_id);
CREATE INDEX articles_section ON articles (section_id);

CREATE TABLE article_tags (
    article_id BIGINT  NOT NULL REFERENCES articles (id) ON DELETE CASCADE,
    tag_id     BIGINT  NOT NULL REFERENCES tags (id),
    -- Order the tags were given in; the section is shown first regardless.
    position   INTEGER NOT NULL,
    PRIMARY KEY (article_id, tag_id)
);
CREATE INDEX article_tags_tag ON article_tags (tag_id, article_id);

CREATE TABLE article_authors (
    article_id BIGINT  NOT NULL REFERENCES articles (id) ON DELETE CASCADE,
    author_id  BIGINT  NOT NULL REFERENCES authors (id),
    position   INTEGER NOT NULL,
    PRIMARY KEY (article_id, author_id)
);
CREATE INDEX article_authors_author ON article_authors (author_id, article_id);

CREATE TABLE subscribers (
    id         BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    -- The address as first given.
    email      TEXT        NOT NULL,
    -- The address lower-cased: one subscriber however the address is capitalised.
    email_key  TEXT        NOT NULL UNIQUE,
    status     TEXT        NOT NULL CHECK (status IN ('pending', 'confirmed', 'unsubscribed')),
    created_at TIMESTAMPTZ NOT NULL
);
