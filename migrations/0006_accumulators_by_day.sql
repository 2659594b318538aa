-- metric_accumulators: one row per (person, day) whose `data` is text
-- holding one JSON object keyed by kind ('support', …, 'activity'), instead
-- of one jsonb row per kind (issue 4). Only perfledger reads these rows, and
-- always a whole day at a time; a year's replay writes about 700,000 kind
-- rows. As jsonb, PostgreSQL parsed each on the way in and printed it back
-- on every read (the merge of a batch, the scoring of a week); and a third
-- as many, larger rows cost it far less per byte to insert and update.
-- Inspect a day with `data::jsonb`.
CREATE TABLE metric_accumulators_by_day
(
    person_id      uuid   NOT NULL,
    day            date   NOT NULL,
    data           text   NOT NULL,
    first_position bigint NOT NULL,
    last_position  bigint NOT NULL,
    PRIMARY KEY (day, person_id)
);

INSERT INTO metric_accumulators_by_day (person_id, day, data, first_position, last_position)
SELECT person_id, day, jsonb_object_agg(kind, data)::text, min(first_position), max(last_position)
FROM metric_accumulators
GROUP BY person_id, day;

DROP TABLE metric_accumulators;
ALTER TABLE metric_accumulators_by_day RENAME TO metric_accumulators;
ALTER INDEX metric_accumulators_by_day_pkey RENAME TO metric_accumulators_pkey;

-- A replay interrupted before this migration built its tables in the old
-- shape and cannot be resumed into them. It is scratch (the serving tables
-- are untouched until the switch), so it is dropped; the next replay starts
-- from position 0.
DROP SCHEMA IF EXISTS perfledger_build CASCADE;
