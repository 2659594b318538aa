-- The audit page and API (issue 16) filter the audit log by actor, action
-- and date, newest first, a page at a time.
CREATE INDEX audit_log_actor ON audit_log (actor, global_position);
CREATE INDEX audit_log_action ON audit_log (action, global_position);
CREATE INDEX audit_log_occurred_at ON audit_log (occurred_at);

-- The audit projector now records what a goal.updated changed. Rows written
-- before had none: the projector folds the log again from position 0 (its
-- rows and its checkpoint go together, D3), so no database holds a mix.
DELETE FROM audit_log;
UPDATE projector_checkpoints SET position = 0, updated_at = now() WHERE projector = 'audit';
