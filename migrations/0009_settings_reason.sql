-- Issue 16: a settings change carries the reason it was made (the
-- `reason` of `settings.changed`; older events have none).
ALTER TABLE settings_history ADD COLUMN reason text;
