-- Issue 12: wire copy keeps what the feed and the extractor found.
-- The feed entry's categories (a JSON array of names): they become the article's tags.
ALTER TABLE ingest_items ADD COLUMN categories TEXT NOT NULL DEFAULT '[]';
-- What becomes of a wire story's lead photo: a copy imported into our uploads, or left out.
ALTER TABLE ingest_sources ADD COLUMN lead_photos TEXT NOT NULL DEFAULT 'import'
    CHECK (lead_photos IN ('import', 'off'));
