-- Issue 14: the newsroom corrects story clusters, and its decisions are kept.

-- Moved out of its cluster by an editor: placement never puts it back by itself (its copies
-- find it through the LSH index and follow it into the story of its own).
ALTER TABLE ingest_items ADD COLUMN pinned BOOLEAN NOT NULL DEFAULT FALSE;
-- The time event placement dated the item's keys at (`ingest_event_keys.at`), so that a member
-- moved out takes its keys with it.
ALTER TABLE ingest_items ADD COLUMN event_at TIMESTAMPTZ;
-- The version the editor chose as the story's lead (NULL: the first reporter).
ALTER TABLE ingest_clusters ADD COLUMN lead_item_id BIGINT REFERENCES ingest_items (id) ON DELETE SET NULL;
