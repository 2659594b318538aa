//! One review, start to finish (seed "Flow" 3a–3e, D12): context, prompts,
//! the token budget, one provider call, strict validation with one retry
//! that feeds the validation error back, then `review.generated` or
//! `review.failed` through the Review aggregate. Neither the prompt nor the
//! reply is stored anywhere: only the validated content, the model and the
//! token counts (D12).
//!
//! Only the provider calls hold one of the worker's provider permits
//! ([`RunContext::provider_permits`]); the database work before (context)
//! and after (recording) runs outside them, overlapping other jobs' calls.

use std::sync::Arc;
use std::time::{Duration, Instant};

use chrono::Utc;
use perfledger_domain::aggregates::{review_aggregate_id, Review, ReviewCommand, ReviewCommandEnvelope};
use perfledger_domain::coach::{
    check_prompt_budget, parse_reply, response_json_schema, retry_prompt, system_prompt, user_prompt, ReplyError,
    PROMPT_VERSION,
};
use perfledger_domain::reviews::{ReviewContent, ReviewFailed, ReviewGenerated};
use perfledger_domain::settings::Settings;
use perfledger_store::commands::{execute, CommandError};
use sqlx::PgPool;
use tokio::sync::Semaphore;

use crate::context::{load_context, ContextError, LoadedContext};
use crate::jobs::{self, Job};
use crate::provider::{ProviderError, ProviderReply, ProviderRequest, ReviewProvider, ValidationRetry};
use crate::retry::RetryPolicy;

/// How a job ended this time.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    Generated,
    Failed(String),
    /// A transient provider failure: the job is queued again after `Duration`.
    Retrying(Duration),
    /// The review is no longer the pending one (superseded, or recorded by a
    /// worker that lost its lease): nothing to record.
    Stale,
}

#[derive(Debug, thiserror::Error)]
pub enum PipelineError {
    #[error("database: {0}")]
    Database(#[from] sqlx::Error),
    #[error("the event store failed: {0}")]
    Store(String),
}

/// Everything a job run needs besides the job.
#[derive(Clone)]
pub struct RunContext {
    pub pool: PgPool,
    pub settings: Arc<Settings>,
    pub provider: Arc<dyn ReviewProvider>,
    /// One permit per provider call allowed in flight (`review_concurrency`):
    /// a run holds one from its first call through its validation retry.
    pub provider_permits: Arc<Semaphore>,
}

/// What the calls of one run used.
#[derive(Debug, Default, Clone, Copy)]
struct Usage {
    calls: i32,
    tokens_in: i64,
    tokens_out: i64,
    latency: Duration,
}

impl Usage {
    fn add(&mut self, reply: &ProviderReply) {
        self.tokens_in += reply.tokens_in;
        self.tokens_out += reply.tokens_out;
    }
}

/// Why one run produced no content.
enum RunError {
    /// Final: recorded as failed with this reason.
    Final(String),
    /// Transient provider failure: retried later if the budget allows.
    Transient(ProviderError),
}

/// Runs one claimed job and records its outcome.
pub async fn run_job(ctx: &RunContext, job: &Job) -> Result<Outcome, PipelineError> {
    let mut usage = Usage { calls: job.attempts, ..Usage::default() };
    let loaded = match load_context(&ctx.pool, &ctx.settings, job.person_id, job.period_start, job.period_end).await {
        Ok(loaded) => Some(loaded),
        Err(ContextError::Database(e)) => return Err(e.into()),
        Err(e @ ContextError::NoSnapshot(_)) => {
            return record_failed(ctx, job, &usage, &ctx.provider.model(), e.to_string()).await;
        }
    };
    let loaded = loaded.expect("handled above");
    let mut model = ctx.provider.model();
    match generate(ctx, &loaded, &mut usage, &mut model).await {
        Ok(content) => record_generated(ctx, job, &loaded, &usage, &model, content).await,
        Err(RunError::Final(reason)) => record_failed(ctx, job, &usage, &model, reason).await,
        Err(RunError::Transient(error)) => {
            let policy = RetryPolicy::from_settings(&ctx.settings);
            let calls = u32::try_from(usage.calls).unwrap_or(u32::MAX);
            if policy.may_retry(calls) {
                let delay = policy.delay(calls, error.retry_after(), &mut rand::thread_rng());
                jobs::reschedule(&ctx.pool, job.review_id, usage.calls, delay, &error.to_string()).await?;
                Ok(Outcome::Retrying(delay))
            } else {
                let reason = format!("gave up after {} provider calls: {error}", usage.calls);
                record_failed(ctx, job, &usage, &model, reason).await
            }
        }
    }
}

/// The calls of one run: the prompt, and one retry with the validation error
/// when the first reply does not validate.
async fn generate(
    ctx: &RunContext,
    loaded: &LoadedContext,
    usage: &mut Usage,
    model: &mut String,
) -> Result<ReviewContent, RunError> {
    let system = system_prompt();
    let user = user_prompt(&loaded.context);
    let schema = response_json_schema();
    let budget = u32::try_from(ctx.settings.review_prompt_token_budget.max(0)).unwrap_or(u32::MAX);
    check_prompt_budget(&[&system, &user], budget).map_err(|e| RunError::Final(e.to_string()))?;
    let references = loaded.context.references();
    let request =
        ProviderRequest { system: &system, user: &user, retry: None, json_schema: &schema, context: &loaded.context };
    // Held until this function returns: the calls are the only part of a run
    // the provider's concurrency bound applies to.
    let _permit = ctx.provider_permits.acquire().await.expect("the provider permits are never closed");
    let first = call(ctx, request, usage, model).await?;
    let error: ReplyError = match parse_reply(&first.content, &references, &loaded.context.samples) {
        Ok(content) => return Ok(content),
        Err(e) => e,
    };
    tracing::info!(reason = %error, "the reply did not validate; retrying once with the error as feedback");
    let feedback = retry_prompt(&error);
    check_prompt_budget(&[&system, &user, &first.content, &feedback], budget).map_err(|e| {
        RunError::Final(format!("the reply did not validate ({error}) and the retry would be too large: {e}"))
    })?;
    let retry = ProviderRequest {
        retry: Some(ValidationRetry { previous_reply: &first.content, feedback: &feedback }),
        ..request
    };
    let second = call(ctx, retry, usage, model).await?;
    parse_reply(&second.content, &references, &loaded.context.samples)
        .map_err(|e| RunError::Final(format!("the reply failed validation twice; last: {e}")))
}

async fn call(
    ctx: &RunContext,
    request: ProviderRequest<'_>,
    usage: &mut Usage,
    model: &mut String,
) -> Result<ProviderReply, RunError> {
    let started = Instant::now();
    usage.calls += 1;
    let result = ctx.provider.generate(request).await;
    usage.latency += started.elapsed();
    match result {
        Ok(reply) => {
            usage.add(&reply);
            if !reply.model.trim().is_empty() {
                model.clone_from(&reply.model);
            }
            Ok(reply)
        }
        Err(e) if e.is_retryable() => Err(RunError::Transient(e)),
        Err(e) => Err(RunError::Final(e.to_string())),
    }
}

async fn record_generated(
    ctx: &RunContext,
    job: &Job,
    loaded: &LoadedContext,
    usage: &Usage,
    model: &str,
    content: ReviewContent,
) -> Result<Outcome, PipelineError> {
    let generated = ReviewGenerated {
        review_id: job.review_id,
        person_id: job.person_id,
        content,
        composite_score: loaded.composite,
        domain_scores: loaded.domain_scores.clone(),
        provider: ctx.provider.name().to_string(),
        model: model.to_string(),
        prompt_version: PROMPT_VERSION.to_string(),
        tokens_in: usage.tokens_in,
        tokens_out: usage.tokens_out,
        latency_ms: i64::try_from(usage.latency.as_millis()).unwrap_or(i64::MAX),
        attempts: usage.calls,
    };
    let outcome = record(ctx, job, ReviewCommand::RecordGenerated(generated), Outcome::Generated).await?;
    jobs::finish(&ctx.pool, job.review_id, "done", usage.calls, None).await?;
    Ok(outcome)
}

async fn record_failed(
    ctx: &RunContext,
    job: &Job,
    usage: &Usage,
    model: &str,
    reason: String,
) -> Result<Outcome, PipelineError> {
    tracing::warn!(review_id = %job.review_id, %reason, "review failed");
    let failed = ReviewFailed {
        review_id: job.review_id,
        person_id: job.person_id,
        reason: reason.clone(),
        // At least one: a review that failed before any call (no scores,
        // prompt over budget) still had one generation attempt.
        attempts: usage.calls.max(1),
        provider: ctx.provider.name().to_string(),
        model: model.to_string(),
        tokens_in: usage.tokens_in,
        tokens_out: usage.tokens_out,
    };
    let outcome = record(ctx, job, ReviewCommand::RecordFailed(failed), Outcome::Failed(reason.clone())).await?;
    let status = if outcome == Outcome::Stale { "done" } else { "failed" };
    jobs::finish(&ctx.pool, job.review_id, status, usage.calls, Some(&reason)).await?;
    Ok(outcome)
}

async fn record(ctx: &RunContext, job: &Job, command: ReviewCommand, done: Outcome) -> Result<Outcome, PipelineError> {
    let id = review_aggregate_id(job.person_id, job.period_start, job.period_end);
    let envelope = ReviewCommandEnvelope { occurred_at: Utc::now(), command };
    match execute::<Review>(&ctx.pool, &id, envelope).await {
        Ok(()) => Ok(done),
        Err(CommandError::Rejected(r)) => {
            tracing::info!(review_id = %job.review_id, reason = %r, "the review is no longer pending; outcome dropped");
            Ok(Outcome::Stale)
        }
        Err(CommandError::Store(e)) => Err(PipelineError::Store(e)),
    }
}
