-- Issue 17: the nodes serving one database (heartbeats) and the leases that let exactly one of
-- them start each piece of scheduled work.
CREATE TABLE nodes (
    id TEXT PRIMARY KEY,
    version TEXT NOT NULL,
    started_at TIMESTAMPTZ NOT NULL,
    last_seen TIMESTAMPTZ NOT NULL,
    leads TEXT NOT NULL DEFAULT ''
);
CREATE INDEX nodes_last_seen ON nodes (last_seen);

CREATE TABLE leases (
    name TEXT PRIMARY KEY,
    holder TEXT NOT NULL,
    expires_at TIMESTAMPTZ NOT NULL
);
