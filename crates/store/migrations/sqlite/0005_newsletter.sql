-- The newsletter: subscriber preferences and states, the server's signing secret, digest issues,
-- the per-recipient send log that makes delivery exactly-once, and sign-up rate-limit counters.

-- SQLite cannot alter a CHECK constraint, so the subscribers table is rebuilt with the new status
-- ('bounced') and the preference columns. Nothing references it yet.
CREATE TABLE subscribers_new (
    id              INTEGER PRIMARY KEY,
    email           TEXT    NOT NULL,
    email_key       TEXT    NOT NULL UNIQUE,
    status          TEXT    NOT NULL
        CHECK (status IN ('pending', 'confirmed', 'unsubscribed', 'bounced')),
    created_at      INTEGER NOT NULL,
    frequency       TEXT    NOT NULL DEFAULT 'daily' CHECK (frequency IN ('daily', 'weekly')),
    -- JSON array of tag slugs; empty means every topic.
    topics          TEXT    NOT NULL DEFAULT '[]',
    -- Bumped whenever a new confirmation link is issued or one is used: a confirmation token
    -- carries the generation it was made for, so each link works once.
    token_gen       INTEGER NOT NULL DEFAULT 0,
    confirmed_at    INTEGER,
    unsubscribed_at INTEGER,
    bounced_at      INTEGER,
    bounce_reason   TEXT
);
INSERT INTO subscribers_new (id, email, email_key, status, created_at)
    SELECT id, email, email_key, status, created_at FROM subscribers;
DROP TABLE subscribers;
ALTER TABLE subscribers_new RENAME TO subscribers;
CREATE INDEX subscribers_status ON subscribers (status, frequency, id);

-- One row: the HMAC key for confirm/unsubscribe/preferences links, made on first start.
CREATE TABLE newsletter_secret (
    id     INTEGER PRIMARY KEY CHECK (id = 1),
    secret BLOB    NOT NULL
);

CREATE TABLE newsletter_issues (
    id           INTEGER PRIMARY KEY,
    kind         TEXT    NOT NULL CHECK (kind IN ('daily', 'weekly', 'manual')),
    subject      TEXT    NOT NULL,
    created_at   INTEGER NOT NULL,
    -- Stories published after this instant are candidates.
    since        INTEGER NOT NULL,
    -- JSON array of the stories as they were when the issue was made (an issue never changes).
    articles     TEXT    NOT NULL,
    state        TEXT    NOT NULL CHECK (state IN ('sending', 'done')),
    finished_at  INTEGER
);
CREATE INDEX newsletter_issues_state ON newsletter_issues (state, id);

-- The send log: one row per (issue, subscriber), made with the issue.
CREATE TABLE newsletter_deliveries (
    issue_id      INTEGER NOT NULL REFERENCES newsletter_issues (id) ON DELETE CASCADE,
    subscriber_id INTEGER NOT NULL REFERENCES subscribers (id) ON DELETE CASCADE,
    state         TEXT    NOT NULL
        CHECK (state IN ('pending', 'sending', 'sent', 'failed_temp', 'failed_perm', 'skipped')),
    attempts      INTEGER NOT NULL DEFAULT 0,
    lease_until   INTEGER,
    worker        TEXT,
    retry_at      INTEGER,
    sent_at       INTEGER,
    last_error    TEXT,
    PRIMARY KEY (issue_id, subscriber_id)
) WITHOUT ROWID;
CREATE INDEX newsletter_deliveries_todo ON newsletter_deliveries (issue_id, state, subscriber_id);
CREATE INDEX newsletter_deliveries_subscriber ON newsletter_deliveries (subscriber_id, state);

-- Sign-up counters per key (an IP or an address) and fixed window.
CREATE TABLE newsletter_rate_limits (
    key          TEXT    NOT NULL,
    window_start INTEGER NOT NULL,
    count        INTEGER NOT NULL,
    PRIMARY KEY (key, window_start)
) WITHOUT ROWID;
