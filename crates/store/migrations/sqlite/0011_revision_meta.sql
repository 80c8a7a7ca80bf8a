-- Issue 12: a revision keeps what else the article had when it was saved (section, tags, lead
-- photo, byline) as text, so the revision diff covers them too. Older revisions have none ('').
ALTER TABLE article_revisions ADD COLUMN meta TEXT NOT NULL DEFAULT '';
