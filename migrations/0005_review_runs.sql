-- Flagged review runs (seed `generate_flagged_reviews`, D15): one row per
-- run chained after a weekly close, saying what it requested, what it
-- carried over to the next run, or why it was skipped (generation disabled,
-- no provider configured).
CREATE TABLE review_runs
(
    id                 bigserial PRIMARY KEY,
    started_at         timestamptz NOT NULL,
    -- The end of the newest closed week the run looked at.
    through_period_end timestamptz NOT NULL,
    status             text        NOT NULL CHECK (status IN ('completed', 'carried_over', 'skipped')),
    requested          integer     NOT NULL DEFAULT 0,
    carried_over       integer     NOT NULL DEFAULT 0,
    reason             text
);
CREATE INDEX review_runs_through ON review_runs (through_period_end);
