-- Issue 14: no event can stop the engine.
--
-- A projector (or the scoring pass) that fails deterministically stops at the
-- event it cannot fold and says so here; /healthz, /readyz, /metrics and
-- `perfledger project --lag` read this table. A row goes when its component
-- moves past the position (or the week scores).
CREATE TABLE projector_stalls
(
    component  text PRIMARY KEY,
    -- The log position the projector stopped at (null for a scoring week).
    position   bigint,
    -- The week the scoring pass could not score (null for a projector).
    week       date,
    event_id   text,
    event_type text,
    error      text        NOT NULL,
    since      timestamptz NOT NULL DEFAULT now(),
    attempts   integer     NOT NULL DEFAULT 1
);

-- The operator's way out: `log.event_voided` events name the position of an
-- event every projector skips, on replay too. The runner reads them all at
-- the start of each catch-up, so they get a small index of their own.
CREATE INDEX events_voids ON events (global_position) WHERE event_type = 'log.event_voided';

-- Goal values follow any metric, pipeline value included: a sales rep's
-- pipeline over 10^10 overflowed numeric(12, 2) and stopped goal progress.
-- Values are still rounded to 2 decimals by the code.
ALTER TABLE agent_performance_goals
    ALTER COLUMN target_value TYPE numeric,
    ALTER COLUMN current_value TYPE numeric;

-- A half-built replay (perfledger_build) from an older build lacks
-- projector_stalls, which a build now carries and swaps in: it is dropped,
-- and the next `perfledger replay` starts at position 0.
DROP SCHEMA IF EXISTS perfledger_build CASCADE;
