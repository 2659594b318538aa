-- Every scoring of a week draws a new generation from one sequence, in the
-- transaction that writes the week's snapshot rows (projections::scoring).
-- So a (week, generation) pair names exactly one state of that week's
-- agent_performance_snapshots, and the API can keep a week's rows in memory
-- and know from one primary-key read whether they are still current
-- (api::queries::score_cache). A sequence rather than a per-row counter: a
-- table rebuilt by `replay` (created LIKE this one, so with this default)
-- draws from the same sequence and never repeats a value.
CREATE SEQUENCE scoring_generation;
ALTER TABLE scoring_periods ADD COLUMN generation bigint NOT NULL DEFAULT nextval('scoring_generation');
