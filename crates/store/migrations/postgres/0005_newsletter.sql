-- The newsletter: subscriber preferences and states, the server's signing secret, digest issues,
-- the per-recipient send log that makes delivery exactly-once, and sign-up rate-limit counters.

ALTER TABLE subscribers DROP CONSTRAINT IF EXISTS subscribers_status_check;
ALTER TABLE subscribers ADD CONSTRAINT subscribers_status_check
    CHECK (status IN ('pending', 'confirmed', 'unsubscribed', 'bounced'));
ALTER TABLE subscribers
    ADD COLUMN frequency       TEXT NOT NULL DEFAULT 'daily' CHECK (frequency IN ('daily', 'weekly')),
    -- JSON array of tag slugs; empty means every topic.
    ADD COLUMN topics          TEXT NOT NULL DEFAULT '[]',
    -- Bumped whenever a new confirmation link is issued or one is used (links work once).
    ADD COLUMN token_gen       BIGINT NOT NULL DEFAULT 0,
    ADD COLUMN confirmed_at    TIMESTAMPTZ,
    ADD COLUMN unsubscribed_at TIMESTAMPTZ,
    ADD COLUMN bounced_at      TIMESTAMPTZ,
    ADD COLUMN bounce_reason   TEXT;
CREATE INDEX subscribers_status ON subscribers (status, frequency, id);

CREATE TABLE newsletter_secret (
    id     INTEGER PRIMARY KEY CHECK (id = 1),
    secret BYTEA   NOT NULL
);

CREATE TABLE newsletter_issues (
    id          BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    kind        TEXT        NOT NULL CHECK (kind IN ('daily', 'weekly', 'manual')),
    subject     TEXT        NOT NULL,
    created_at  TIMESTAMPTZ NOT NULL,
    since       TIMESTAMPTZ NOT NULL,
    articles    TEXT        NOT NULL,
    state       TEXT        NOT NULL CHECK (state IN ('sending', 'done')),
    finished_at TIMESTAMPTZ
);
CREATE INDEX newsletter_issues_state ON newsletter_issues (state, id);

CREATE TABLE newsletter_deliveries (
    issue_id      BIGINT      NOT NULL REFERENCES newsletter_issues (id) ON DELETE CASCADE,
    subscriber_id BIGINT      NOT NULL REFERENCES subscribers (id) ON DELETE CASCADE,
    state         TEXT        NOT NULL
        CHECK (state IN ('pending', 'sending', 'sent', 'failed_temp', 'failed_perm', 'skipped')),
    attempts      INTEGER     NOT NULL DEFAULT 0,
    lease_until   TIMESTAMPTZ,
    worker        TEXT,
    retry_at      TIMESTAMPTZ,
    sent_at       TIMESTAMPTZ,
    last_error    TEXT,
    PRIMARY KEY (issue_id, subscriber_id)
);
CREATE INDEX newsletter_deliveries_todo ON newsletter_deliveries (issue_id, state, subscriber_id);
CREATE INDEX newsletter_deliveries_subscriber ON newsletter_deliveries (subscriber_id, state);

CREATE TABLE newsletter_rate_limits (
    key          TEXT        NOT NULL,
    window_start TIMESTAMPTZ NOT NULL,
    count        INTEGER     NOT NULL,
    PRIMARY KEY (key, window_start)
);
