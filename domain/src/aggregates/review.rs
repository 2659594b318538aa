//! The review aggregate (D14): one instance per (person, period), holding
//! every generation of that person's review for that period.
//!
//! Rules: a request while a review is pending or generated is refused unless
//! an admin forces it (the seed's idempotent unique key); a forced request, or
//! a retry after a failure, names the review it supersedes. Only the current
//! pending review can be recorded as generated or failed. Only the reviewed
//! person acknowledges, only a generated review, once; a repeat is a no-op.
//!
//! Event ids are derived from the review id (`review.requested:<id>`), so a
//! command replayed after a crash conflicts on the log's unique `event_id`
//! instead of writing twice.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::event::{EventBody, LogEvent};
use crate::redaction::redact_and_truncate;
use crate::reviews::{ReviewAcknowledged, ReviewFailed, ReviewGenerated, ReviewRequested, ReviewTrigger};
use crate::validate::Rejection;

/// Longest failure reason kept in the log (provider errors can be long).
pub const MAX_FAILURE_REASON_CHARS: usize = 1_000;

/// The aggregate id of the reviews of `person_id` for the period
/// `[period_start, period_end)`.
pub fn review_aggregate_id(person_id: Uuid, period_start: DateTime<Utc>, period_end: DateTime<Utc>) -> String {
    const RFC3339_UTC: &str = "%Y-%m-%dT%H:%M:%SZ";
    format!("{person_id}:{}:{}", period_start.format(RFC3339_UTC), period_end.format(RFC3339_UTC))
}

/// A command to a review aggregate.
#[derive(Debug, Clone, PartialEq)]
pub enum ReviewCommand {
    /// Ask for a review (manual or flagged). `force` is for admins only: the
    /// caller checks the role, the aggregate the state.
    Request {
        review_id: Uuid,
        person_id: Uuid,
        period_start: DateTime<Utc>,
        period_end: DateTime<Utc>,
        trigger: ReviewTrigger,
        requested_by: Option<Uuid>,
        force: bool,
    },
    /// The worker produced a validated review.
    RecordGenerated(ReviewGenerated),
    /// The worker gave up (retries exhausted, reply never validated).
    RecordFailed(ReviewFailed),
    /// The reviewed person acknowledges; the time is the envelope's `occurred_at`.
    Acknowledge { review_id: Uuid, by_person_id: Uuid },
}

/// A command with the time of the event it becomes (the domain has no clock).
#[derive(Debug, Clone, PartialEq)]
pub struct ReviewCommandEnvelope {
    pub occurred_at: DateTime<Utc>,
    pub command: ReviewCommand,
}

/// Where the current review of the period stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ReviewStatus {
    Pending,
    Generated,
    Failed,
}

impl ReviewStatus {
    /// The value of `agent_performance_reviews.status`.
    pub fn as_str(self) -> &'static str {
        match self {
            ReviewStatus::Pending => "pending",
            ReviewStatus::Generated => "generated",
            ReviewStatus::Failed => "failed",
        }
    }
}

/// The person and period every review of this aggregate is about.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct ReviewSubject {
    pub person_id: Uuid,
    pub period_start: DateTime<Utc>,
    pub period_end: DateTime<Utc>,
}

/// The latest requested review of the period.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct CurrentReview {
    pub review_id: Uuid,
    pub status: ReviewStatus,
    pub acknowledged_at: Option<DateTime<Utc>>,
}

#[derive(Debug, Default, Clone, PartialEq, Serialize, Deserialize)]
pub struct Review {
    subject: Option<ReviewSubject>,
    current: Option<CurrentReview>,
    /// Every review id ever requested here, so none is reused.
    review_ids: Vec<Uuid>,
}

impl Review {
    /// The person and period, once a review was requested.
    pub fn subject(&self) -> Option<&ReviewSubject> {
        self.subject.as_ref()
    }

    /// The current review, once one was requested.
    pub fn current(&self) -> Option<&CurrentReview> {
        self.current.as_ref()
    }

    /// Accepts or refuses a command; on success, the event it becomes, or
    /// `None` when the command changes nothing (a repeated acknowledgement).
    pub fn decide(&self, envelope: &ReviewCommandEnvelope) -> Result<Option<LogEvent>, Rejection> {
        let Some(body) = self.decide_body(&envelope.command, envelope.occurred_at)? else {
            return Ok(None);
        };
        let review_id = match &body {
            EventBody::ReviewRequested(e) => e.review_id,
            EventBody::ReviewGenerated(e) => e.review_id,
            EventBody::ReviewFailed(e) => e.review_id,
            EventBody::ReviewAcknowledged(e) => e.review_id,
            _ => unreachable!("the review aggregate only emits review events"),
        };
        let event_id = format!("{}:{review_id}", body.type_name());
        Ok(Some(LogEvent { event_id, occurred_at: envelope.occurred_at, body }))
    }

    fn decide_body(&self, command: &ReviewCommand, at: DateTime<Utc>) -> Result<Option<EventBody>, Rejection> {
        match command {
            ReviewCommand::Request { review_id, person_id, period_start, period_end, trigger, requested_by, force } => {
                let subject =
                    ReviewSubject { person_id: *person_id, period_start: *period_start, period_end: *period_end };
                self.check_request(*review_id, &subject, *force)?;
                let supersedes = self.current.map(|c| c.review_id);
                Ok(Some(EventBody::ReviewRequested(ReviewRequested {
                    review_id: *review_id,
                    person_id: *person_id,
                    period_start: *period_start,
                    period_end: *period_end,
                    trigger: *trigger,
                    requested_by: *requested_by,
                    force: *force,
                    supersedes,
                })))
            }
            ReviewCommand::RecordGenerated(generated) => {
                self.check_pending(generated.review_id, generated.person_id, "generated")?;
                check_provider(&generated.provider, &generated.model)?;
                check_usage(generated.tokens_in, generated.tokens_out, generated.attempts)?;
                if generated.latency_ms < 0 {
                    return Err(Rejection::new(
                        "latency_ms",
                        format!("must not be negative (got {})", generated.latency_ms),
                    ));
                }
                if generated.prompt_version.trim().is_empty() {
                    return Err(Rejection::new("prompt_version", "must name the prompt template version"));
                }
                Ok(Some(EventBody::ReviewGenerated(generated.clone())))
            }
            ReviewCommand::RecordFailed(failed) => {
                self.check_pending(failed.review_id, failed.person_id, "failed")?;
                check_provider(&failed.provider, &failed.model)?;
                check_usage(failed.tokens_in, failed.tokens_out, failed.attempts)?;
                // Provider errors may echo input: the log never holds raw free text (D13).
                let reason = redact_and_truncate(failed.reason.trim(), MAX_FAILURE_REASON_CHARS);
                if reason.is_empty() {
                    return Err(Rejection::new("reason", "must say why the review failed"));
                }
                Ok(Some(EventBody::ReviewFailed(ReviewFailed { reason, ..failed.clone() })))
            }
            ReviewCommand::Acknowledge { review_id, by_person_id } => {
                let current = self.current_named(*review_id)?;
                let subject = self.subject.expect("a current review has a subject");
                if *by_person_id != subject.person_id {
                    return Err(Rejection::new(
                        "by_person_id",
                        format!("only the reviewed person can acknowledge review '{review_id}'"),
                    ));
                }
                if current.status != ReviewStatus::Generated {
                    return Err(Rejection::new(
                        "review_id",
                        format!(
                            "review '{review_id}' is {}; only a generated review can be acknowledged",
                            current.status.as_str()
                        ),
                    ));
                }
                if current.acknowledged_at.is_some() {
                    return Ok(None);
                }
                Ok(Some(EventBody::ReviewAcknowledged(ReviewAcknowledged {
                    review_id: *review_id,
                    person_id: subject.person_id,
                    acknowledged_at: at,
                })))
            }
        }
    }

    fn check_request(&self, review_id: Uuid, subject: &ReviewSubject, force: bool) -> Result<(), Rejection> {
        if subject.period_end <= subject.period_start {
            return Err(Rejection::new(
                "period_end",
                format!(
                    "{} must be after period_start {}",
                    subject.period_end.to_rfc3339(),
                    subject.period_start.to_rfc3339()
                ),
            ));
        }
        if let Some(known) = &self.subject {
            if known.person_id != subject.person_id {
                return Err(Rejection::new(
                    "person_id",
                    format!(
                        "this review aggregate belongs to person '{}', not '{}'",
                        known.person_id, subject.person_id
                    ),
                ));
            }
            if known.period_start != subject.period_start || known.period_end != subject.period_end {
                return Err(Rejection::new(
                    "period_start",
                    format!(
                        "this review aggregate is for the period {} to {}",
                        known.period_start.to_rfc3339(),
                        known.period_end.to_rfc3339()
                    ),
                ));
            }
        }
        if self.review_ids.contains(&review_id) {
            return Err(Rejection::new("review_id", format!("review '{review_id}' was already requested")));
        }
        if let Some(current) = &self.current {
            if current.status != ReviewStatus::Failed && !force {
                return Err(Rejection::new(
                    "period",
                    format!(
                        "a review of this person for this period is already {} (review '{}'); only an admin can force \
                         a new one",
                        current.status.as_str(),
                        current.review_id
                    ),
                ));
            }
        }
        Ok(())
    }

    /// The current review if it is `review_id`; otherwise why not.
    fn current_named(&self, review_id: Uuid) -> Result<CurrentReview, Rejection> {
        match self.current {
            Some(current) if current.review_id == review_id => Ok(current),
            Some(current) if self.review_ids.contains(&review_id) => Err(Rejection::new(
                "review_id",
                format!("review '{review_id}' was superseded by review '{}'", current.review_id),
            )),
            _ => Err(Rejection::new("review_id", format!("review '{review_id}' does not exist"))),
        }
    }

    /// Generated/failed are recorded once, for the current pending review only.
    fn check_pending(&self, review_id: Uuid, person_id: Uuid, outcome: &str) -> Result<(), Rejection> {
        let current = self.current_named(review_id)?;
        let subject = self.subject.expect("a current review has a subject");
        if person_id != subject.person_id {
            return Err(Rejection::new(
                "person_id",
                format!("review '{review_id}' is of person '{}', not '{person_id}'", subject.person_id),
            ));
        }
        if current.status != ReviewStatus::Pending {
            return Err(Rejection::new(
                "review_id",
                format!(
                    "review '{review_id}' is already {}; only a pending review can be recorded as {outcome}",
                    current.status.as_str()
                ),
            ));
        }
        Ok(())
    }

    /// Folds an accepted event into the state.
    pub fn evolve(&mut self, event: &LogEvent) {
        match &event.body {
            EventBody::ReviewRequested(requested) => {
                self.subject.get_or_insert(ReviewSubject {
                    person_id: requested.person_id,
                    period_start: requested.period_start,
                    period_end: requested.period_end,
                });
                self.review_ids.push(requested.review_id);
                self.current = Some(CurrentReview {
                    review_id: requested.review_id,
                    status: ReviewStatus::Pending,
                    acknowledged_at: None,
                });
            }
            EventBody::ReviewGenerated(generated) => self.set_status(generated.review_id, ReviewStatus::Generated),
            EventBody::ReviewFailed(failed) => self.set_status(failed.review_id, ReviewStatus::Failed),
            EventBody::ReviewAcknowledged(acknowledged) => {
                if let Some(current) = self.current.as_mut().filter(|c| c.review_id == acknowledged.review_id) {
                    current.acknowledged_at = Some(acknowledged.acknowledged_at);
                }
            }
            _ => {}
        }
    }

    fn set_status(&mut self, review_id: Uuid, status: ReviewStatus) {
        if let Some(current) = self.current.as_mut().filter(|c| c.review_id == review_id) {
            current.status = status;
        }
    }
}

fn check_provider(provider: &str, model: &str) -> Result<(), Rejection> {
    if provider.trim().is_empty() || provider.chars().count() > 40 {
        return Err(Rejection::new("provider", "must name the provider in 1 to 40 characters"));
    }
    if model.trim().is_empty() || model.chars().count() > 100 {
        return Err(Rejection::new("model", "must name the model in 1 to 100 characters"));
    }
    Ok(())
}

fn check_usage(tokens_in: i64, tokens_out: i64, attempts: i32) -> Result<(), Rejection> {
    for (field, value) in [("tokens_in", tokens_in), ("tokens_out", tokens_out)] {
        if !(0..=i64::from(i32::MAX)).contains(&value) {
            return Err(Rejection::new(field, format!("must be between 0 and {} (got {value})", i32::MAX)));
        }
    }
    if attempts < 1 {
        return Err(Rejection::new("attempts", format!("must be at least 1 (got {attempts})")));
    }
    Ok(())
}

/// cqrs-es: written by hand rather than with `own_aggregate!` because a
/// repeated acknowledgement is accepted without an event.
impl cqrs_es::Aggregate for Review {
    const TYPE: &'static str = "review";
    type Command = ReviewCommandEnvelope;
    type Event = LogEvent;
    type Error = Rejection;
    type Services = ();

    async fn handle(
        &mut self,
        command: ReviewCommandEnvelope,
        _services: &(),
        sink: &cqrs_es::event_sink::EventSink<Self>,
    ) -> Result<(), Rejection> {
        if let Some(event) = self.decide(&command)? {
            sink.write(event, self).await;
        }
        Ok(())
    }

    fn apply(&mut self, event: LogEvent) {
        self.evolve(&event);
    }
}
