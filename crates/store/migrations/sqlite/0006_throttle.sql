-- Issue 10: failed-login audit rows are aggregated per client network and window.
ALTER TABLE audit_log ADD COLUMN group_key TEXT;
ALTER TABLE audit_log ADD COLUMN repeats INTEGER NOT NULL DEFAULT 1;
CREATE INDEX audit_log_group ON audit_log (group_key, at);
