-- The DotMac CRM pull connector's state (docs/connectors/dotmac.md).
-- Not read models: nothing here is rebuilt from the log.

-- Per source table: the (timestamp, row id) of the last row read.
CREATE TABLE dotmac_watermarks (
    source_table text PRIMARY KEY,
    read_until   timestamptz NOT NULL,
    last_id      text NOT NULL,
    updated_at   timestamptz NOT NULL DEFAULT now()
);

-- Per DotMac entity: the last state seen (status, assignee, tags, hashes of diff-only facts).
CREATE TABLE dotmac_shadow (
    kind  text NOT NULL,
    id    text NOT NULL,
    state jsonb NOT NULL,
    PRIMARY KEY (kind, id)
);

-- Events whose entity perfledger has not seen created yet (causal hold-back).
CREATE TABLE dotmac_held (
    event_id    text PRIMARY KEY,
    kind        text NOT NULL,
    entity_id   text NOT NULL,
    envelope    text NOT NULL,
    source_table text NOT NULL,
    row_id      text NOT NULL,
    held_at     timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX dotmac_held_entity ON dotmac_held (kind, entity_id);

-- Source rows that could not become events, with why.
CREATE TABLE dotmac_skips (
    source_table text NOT NULL,
    row_id       text NOT NULL,
    reason       text NOT NULL,
    first_seen   timestamptz NOT NULL DEFAULT now(),
    last_seen    timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (source_table, row_id, reason)
);

-- Webhook bodies, once per DotMac event_id (the receiver answers 2xx once stored).
CREATE TABLE dotmac_webhook_inbox (
    event_id    text PRIMARY KEY,
    event_type  text NOT NULL,
    delivery_id text,
    body        jsonb NOT NULL,
    received_at timestamptz NOT NULL DEFAULT now()
);
