-- Read models folded from the log by the projectors (D3). Every table here
-- can be dropped and rebuilt from the events; none is a source of truth.

-- ---------------------------------------------------------------- team directory
-- The organisation as of now (latest occurred_at), for the API and dashboards.
CREATE TABLE directory_people
(
    person_id    uuid PRIMARY KEY,
    display_name text    NOT NULL,
    title        text,
    is_active    boolean NOT NULL
);

CREATE TABLE directory_teams
(
    team_id           uuid PRIMARY KEY,
    name              text    NOT NULL,
    team_type         text    NOT NULL,
    manager_person_id uuid,
    is_active         boolean NOT NULL
);

CREATE TABLE directory_memberships
(
    team_id   uuid        NOT NULL,
    person_id uuid        NOT NULL,
    role      text        NOT NULL,
    is_active boolean     NOT NULL,
    joined_at timestamptz,
    PRIMARY KEY (team_id, person_id)
);
CREATE INDEX directory_memberships_person ON directory_memberships (person_id);

-- Each person's scoring team now (D8); absent = no scoring team.
CREATE TABLE directory_scoring_teams
(
    person_id uuid PRIMARY KEY,
    team_id   uuid NOT NULL
);

-- A person's grants in the CRM (person.permissions_set, D16).
CREATE TABLE directory_grants
(
    person_id   uuid PRIMARY KEY,
    roles       text[]      NOT NULL,
    permissions text[]      NOT NULL,
    occurred_at timestamptz NOT NULL
);

-- Every organisation event, so the scoring pass can rebuild the state as of
-- the end of any period (§3 "Organisation state for P").
CREATE TABLE directory_history
(
    global_position bigint PRIMARY KEY,
    occurred_at     timestamptz NOT NULL,
    payload         jsonb       NOT NULL
);

-- ---------------------------------------------------------------- settings (D10)
CREATE TABLE settings_history
(
    global_position bigint PRIMARY KEY,
    actor           text        NOT NULL,
    changes         jsonb       NOT NULL,
    effective_from  date        NOT NULL,
    occurred_at     timestamptz NOT NULL
);

-- ---------------------------------------------------------------- accumulators (D6)
-- Mergeable sums, counts and distinct sets per person, UTC day and domain
-- ('activity' holds the counts behind sales_activity_ratio).
CREATE TABLE metric_accumulators
(
    person_id      uuid   NOT NULL,
    day            date   NOT NULL,
    kind           text   NOT NULL,
    data           jsonb  NOT NULL,
    first_position bigint NOT NULL,
    last_position  bigint NOT NULL,
    PRIMARY KEY (day, person_id, kind)
);

-- ---------------------------------------------------------------- periods (D15)
CREATE TABLE scoring_periods
(
    period_start   timestamptz PRIMARY KEY,
    period_end     timestamptz NOT NULL,
    status         text        NOT NULL DEFAULT 'open' CHECK (status IN ('open', 'closed')),
    scored_people  integer     NOT NULL DEFAULT 0,
    last_scored_at timestamptz,
    closed_at      timestamptz,
    corrections    integer     NOT NULL DEFAULT 0
);

-- Weeks whose inputs changed since they were last scored.
-- `version` grows with every mark, so a scoring pass clears only the mark it
-- saw: a change that lands while it runs leaves the week dirty.
CREATE TABLE scoring_dirty
(
    period_start timestamptz PRIMARY KEY,
    version      bigint      NOT NULL DEFAULT 1,
    marked_at    timestamptz NOT NULL DEFAULT now()
);

-- Events that arrived after their week was closed: the week is rescored and
-- the late event is recorded here (D15).
CREATE TABLE period_corrections
(
    global_position bigint PRIMARY KEY,
    period_start    timestamptz NOT NULL,
    event_type      text        NOT NULL,
    recorded_at     timestamptz NOT NULL
);

-- Named scheduler checkpoints, e.g. last_scored_period_end.
CREATE TABLE scheduler_checkpoints
(
    name       text PRIMARY KEY,
    value      timestamptz NOT NULL,
    updated_at timestamptz NOT NULL DEFAULT now()
);

-- ---------------------------------------------------------------- scores (seed "Data Model")
-- Ids are UUIDv5 of the unique key, so a rebuild from the log produces the
-- same ids; a rescore keeps id and created_at.
CREATE TABLE agent_performance_scores
(
    id                 uuid PRIMARY KEY,
    person_id          uuid          NOT NULL,
    score_period_start timestamptz   NOT NULL,
    score_period_end   timestamptz   NOT NULL,
    domain             text          NOT NULL CHECK (domain IN
        ('support', 'operations', 'field_service', 'communication', 'sales', 'data_quality')),
    raw_score          numeric(5, 2) NOT NULL,
    weighted_score     numeric(5, 2) NOT NULL,
    metrics_json       jsonb         NOT NULL,
    formula_version    integer       NOT NULL,
    first_position     bigint        NOT NULL,
    last_position      bigint        NOT NULL,
    created_at         timestamptz   NOT NULL DEFAULT now(),
    updated_at         timestamptz   NOT NULL DEFAULT now(),
    UNIQUE (person_id, score_period_start, domain)
);
CREATE INDEX agent_performance_scores_person_period ON agent_performance_scores (person_id, score_period_start);
CREATE INDEX agent_performance_scores_domain ON agent_performance_scores (domain);
CREATE INDEX agent_performance_scores_period ON agent_performance_scores (score_period_start);

CREATE TABLE agent_performance_snapshots
(
    id                   uuid PRIMARY KEY,
    person_id            uuid          NOT NULL,
    score_period_start   timestamptz   NOT NULL,
    score_period_end     timestamptz   NOT NULL,
    composite_score      numeric(5, 2) NOT NULL,
    domain_scores_json   jsonb         NOT NULL,
    weights_json         jsonb         NOT NULL,
    team_id              uuid,
    team_type            varchar(40),
    sales_activity_ratio numeric(8, 4),
    weight_source        text          NOT NULL,
    is_flagged           boolean       NOT NULL,
    formula_version      integer       NOT NULL,
    first_position       bigint        NOT NULL,
    last_position        bigint        NOT NULL,
    created_at           timestamptz   NOT NULL DEFAULT now(),
    updated_at           timestamptz   NOT NULL DEFAULT now(),
    UNIQUE (person_id, score_period_start, score_period_end)
);
CREATE INDEX agent_performance_snapshots_period ON agent_performance_snapshots (score_period_start);
CREATE INDEX agent_performance_snapshots_composite ON agent_performance_snapshots (composite_score);
CREATE INDEX agent_performance_snapshots_team ON agent_performance_snapshots (team_id, score_period_start);

-- ---------------------------------------------------------------- goals (D14)
CREATE TABLE agent_performance_goals
(
    id                   uuid PRIMARY KEY,
    person_id            uuid           NOT NULL,
    domain               text           NOT NULL,
    metric_key           varchar(80)    NOT NULL,
    label                varchar(200)   NOT NULL,
    target_value         numeric(12, 2) NOT NULL,
    current_value        numeric(12, 2),
    comparison           varchar(10)    NOT NULL CHECK (comparison IN ('lte', 'gte')),
    deadline             date           NOT NULL,
    status               text           NOT NULL CHECK (status IN ('active', 'achieved', 'missed', 'canceled')),
    created_by_person_id uuid,
    created_at           timestamptz    NOT NULL,
    updated_at           timestamptz    NOT NULL
);
CREATE INDEX agent_performance_goals_person_status ON agent_performance_goals (person_id, status);
CREATE INDEX agent_performance_goals_deadline ON agent_performance_goals (deadline);

-- ---------------------------------------------------------------- audit (D14)
-- Who did what to which target, from perfledger's own commands. No prompts.
CREATE TABLE audit_log
(
    global_position bigint PRIMARY KEY,
    occurred_at     timestamptz NOT NULL,
    actor           text,
    action          text        NOT NULL,
    target          text        NOT NULL,
    model           text,
    details         jsonb       NOT NULL
);
CREATE INDEX audit_log_target ON audit_log (target);
