-- The job queue (newsdesk_core::jobs). A job is claimed with a lease (state 'running' until
-- lease_until), never inside a long transaction; see crates/core/src/jobs.rs.

CREATE TABLE jobs (
    id           BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    queue        TEXT        NOT NULL,
    payload      JSONB       NOT NULL,
    state        TEXT        NOT NULL DEFAULT 'queued'
                 CHECK (state IN ('queued', 'running', 'done', 'dead')),
    attempts     BIGINT      NOT NULL DEFAULT 0 CHECK (attempts >= 0),
    max_attempts BIGINT      NOT NULL CHECK (max_attempts BETWEEN 1 AND 4294967295),
    run_at       TIMESTAMPTZ NOT NULL,
    -- The lease holder while running; the last holder afterwards.
    worker       TEXT,
    lease_until  TIMESTAMPTZ,
    last_error   TEXT,
    dedupe_key   TEXT,
    created_at   TIMESTAMPTZ NOT NULL,
    -- When the job became done or dead.
    finished_at  TIMESTAMPTZ
);

-- Due queued jobs, oldest first.
CREATE INDEX jobs_due ON jobs (state, queue, run_at, id);
-- Expired leases.
CREATE INDEX jobs_leases ON jobs (lease_until) WHERE state = 'running';
-- Pruning and the dead-letter list.
CREATE INDEX jobs_finished ON jobs (state, queue, finished_at);
-- At most one live (queued or running) job per queue and dedupe key.
CREATE UNIQUE INDEX jobs_dedupe ON jobs (queue, dedupe_key)
    WHERE dedupe_key IS NOT NULL AND state IN ('queued', 'running');
