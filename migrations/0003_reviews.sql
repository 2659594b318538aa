-- AI coaching reviews (seed `AgentPerformanceReview`, D12-D15).
-- Both tables are projections of the `review` aggregate's events
-- (review.requested / generated / failed / acknowledged); the job queue is
-- filled by the same projector, so a request is never lost between the log
-- and the queue.

-- The current review of a person for a period (the seed's unique key). A
-- forced regeneration replaces the row; the replaced one moves to
-- agent_performance_review_history.
CREATE TABLE agent_performance_reviews
(
    id                   uuid PRIMARY KEY,
    person_id            uuid          NOT NULL,
    review_period_start  timestamptz   NOT NULL,
    review_period_end    timestamptz   NOT NULL,
    status               text          NOT NULL CHECK (status IN ('pending', 'generated', 'failed')),
    trigger              text          NOT NULL CHECK (trigger IN ('manual', 'flagged')),
    requested_by         uuid,
    composite_score      numeric(5, 2),
    domain_scores_json   jsonb,
    summary_text         text,
    strengths_json       jsonb,
    improvements_json    jsonb,
    recommendations_json jsonb,
    callouts_json        jsonb,
    llm_provider         varchar(40),
    llm_model            varchar(100),
    prompt_version       varchar(40),
    llm_tokens_in        integer,
    llm_tokens_out       integer,
    latency_ms           integer,
    attempts             integer       NOT NULL DEFAULT 0,
    failure_reason       text,
    is_acknowledged      boolean       NOT NULL DEFAULT false,
    acknowledged_at      timestamptz,
    created_at           timestamptz   NOT NULL,
    updated_at           timestamptz   NOT NULL,
    UNIQUE (person_id, review_period_start, review_period_end)
);
CREATE INDEX agent_performance_reviews_person_start ON agent_performance_reviews (person_id, review_period_start);
CREATE INDEX agent_performance_reviews_is_acknowledged ON agent_performance_reviews (is_acknowledged);

-- Superseded reviews (a forced admin regeneration keeps history).
CREATE TABLE agent_performance_review_history
(
    LIKE agent_performance_reviews,
    superseded_by uuid        NOT NULL,
    superseded_at timestamptz NOT NULL,
    PRIMARY KEY (id)
);
CREATE INDEX agent_performance_review_history_person ON agent_performance_review_history (person_id, review_period_start);

-- Durable generation jobs (D15): claimed with FOR UPDATE SKIP LOCKED.
CREATE TABLE review_jobs
(
    review_id    uuid PRIMARY KEY,
    person_id    uuid        NOT NULL,
    period_start timestamptz NOT NULL,
    period_end   timestamptz NOT NULL,
    status       text        NOT NULL CHECK (status IN ('queued', 'running', 'done', 'failed')),
    attempts     integer     NOT NULL DEFAULT 0,
    run_after    timestamptz NOT NULL,
    locked_until timestamptz,
    last_error   text,
    created_at   timestamptz NOT NULL,
    updated_at   timestamptz NOT NULL
);
CREATE INDEX review_jobs_due ON review_jobs (run_after) WHERE status = 'queued';
