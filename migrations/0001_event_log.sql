-- The append-only event log (D2).
--
-- `events` and `snapshots` are postgres-es's own tables, unchanged, so that
-- cqrs-es aggregates persist and load through them. perfledger adds a global,
-- gap-free order in commit order and the time each row was recorded.

CREATE TABLE events
(
    aggregate_type  text                         NOT NULL,
    aggregate_id    text                         NOT NULL,
    sequence        bigint CHECK (sequence >= 0) NOT NULL,
    event_type      text                         NOT NULL,
    event_version   text                         NOT NULL,
    payload         json                         NOT NULL,
    metadata        json                         NOT NULL,
    global_position bigint                       NOT NULL,
    recorded_at     timestamptz                  NOT NULL DEFAULT now(),
    -- The CRM's event_id for ingested events (null for perfledger's own).
    event_id        text,
    PRIMARY KEY (aggregate_type, aggregate_id, sequence)
);

CREATE UNIQUE INDEX events_global_position ON events (global_position);

CREATE TABLE snapshots
(
    aggregate_type   text                                 NOT NULL,
    aggregate_id     text                                 NOT NULL,
    last_sequence    bigint CHECK (last_sequence >= 0)    NOT NULL,
    current_snapshot bigint CHECK (current_snapshot >= 0) NOT NULL,
    payload          json                                 NOT NULL,
    PRIMARY KEY (aggregate_type, aggregate_id, last_sequence)
);

-- The head counter: one row, bumped inside the writer's transaction. Its row
-- lock is held until commit, so positions are handed out in commit order and a
-- rolled-back writer gives its positions back: no gaps, nothing skipped.
CREATE TABLE log_head
(
    singleton boolean PRIMARY KEY DEFAULT true CHECK (singleton),
    position  bigint  NOT NULL CHECK (position >= 0)
);
INSERT INTO log_head (singleton, position) VALUES (true, 0);

-- Single-row writers (cqrs-es's own inserts) get their position here. The
-- bulk ingest path reserves a whole range with one UPDATE of log_head and
-- writes the positions itself, so the trigger does not fire for its rows.
CREATE FUNCTION log_assign_global_position() RETURNS trigger
    LANGUAGE plpgsql AS
$$
BEGIN
    UPDATE log_head SET position = position + 1 RETURNING position INTO NEW.global_position;
    RETURN NEW;
END
$$;

CREATE TRIGGER events_assign_global_position
    BEFORE INSERT ON events
    FOR EACH ROW
    WHEN (NEW.global_position IS NULL)
EXECUTE FUNCTION log_assign_global_position();

-- Projectors LISTEN on this channel. The notification carries nothing: a
-- projector always reads from its own checkpoint (D3).
CREATE FUNCTION log_notify_appended() RETURNS trigger
    LANGUAGE plpgsql AS
$$
BEGIN
    PERFORM pg_notify('perfledger_log', '');
    RETURN NULL;
END
$$;

CREATE TRIGGER events_notify_appended
    AFTER INSERT ON events
    FOR EACH STATEMENT
EXECUTE FUNCTION log_notify_appended();

-- The log is append-only: history is corrected by new events, never edited.
CREATE FUNCTION log_refuse_change() RETURNS trigger
    LANGUAGE plpgsql AS
$$
BEGIN
    RAISE EXCEPTION 'the event log is append-only: % on events is not allowed', TG_OP
        USING ERRCODE = 'insufficient_privilege';
END
$$;

CREATE TRIGGER events_append_only
    BEFORE UPDATE OR DELETE OR TRUNCATE ON events
    FOR EACH STATEMENT
EXECUTE FUNCTION log_refuse_change();

-- Ingest dedupe: a CRM event_id is accepted once; sending it again is a
-- no-op. The unique key lives on the log itself, so an accepted event and its
-- dedupe entry are one row written once (a separate table doubled the write
-- cost of every event); `ingest_dedupe` is the view auditors query.
CREATE UNIQUE INDEX events_event_id ON events (event_id) WHERE event_id IS NOT NULL;

CREATE VIEW ingest_dedupe AS
SELECT event_id, global_position, recorded_at
FROM events
WHERE event_id IS NOT NULL;

-- Each projector's position in the log, written in the same transaction as
-- its read-model rows (D3).
CREATE TABLE projector_checkpoints
(
    projector  text PRIMARY KEY,
    position   bigint      NOT NULL DEFAULT 0 CHECK (position >= 0),
    updated_at timestamptz NOT NULL DEFAULT now()
);
