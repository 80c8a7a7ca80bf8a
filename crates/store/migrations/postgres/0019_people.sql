-- Issue 15: who said what. Speakers become people; every name an article used for one is an
-- alias (merged under its `person_key`); each article's quotations are kept in text order.
CREATE TABLE people (
    id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    slug TEXT NOT NULL UNIQUE,
    name TEXT NOT NULL,
    created_at TIMESTAMPTZ NOT NULL
);

-- `key` is `newsdesk_quotes::names::person_key` of the alias; `surname` finds the people a bare
-- surname or an initial may be ("Blinken", "A. Blinken").
CREATE TABLE person_aliases (
    key TEXT PRIMARY KEY,
    person_id BIGINT NOT NULL REFERENCES people (id) ON DELETE CASCADE,
    alias TEXT NOT NULL,
    surname TEXT NOT NULL
);
CREATE INDEX person_aliases_surname ON person_aliases (surname);
CREATE INDEX person_aliases_person ON person_aliases (person_id);

-- `start_offset`/`end_offset` are character offsets into the article's plain text. An editor's
-- fix (`editor_fixed`: the speaker was set by hand) and drop (`dropped`: not a quote) survive
-- re-extraction.
CREATE TABLE article_quotes (
    id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    article_id BIGINT NOT NULL REFERENCES articles (id) ON DELETE CASCADE,
    position BIGINT NOT NULL,
    person_id BIGINT REFERENCES people (id) ON DELETE SET NULL,
    speaker TEXT,
    text TEXT NOT NULL,
    role TEXT,
    channel TEXT,
    kind TEXT NOT NULL CHECK (kind IN ('full', 'partial')),
    start_offset BIGINT NOT NULL,
    end_offset BIGINT NOT NULL,
    editor_fixed BOOLEAN NOT NULL DEFAULT FALSE,
    dropped BOOLEAN NOT NULL DEFAULT FALSE
);
CREATE INDEX article_quotes_article ON article_quotes (article_id, position);
CREATE INDEX article_quotes_person ON article_quotes (person_id, article_id);
