//! Goals (seed `AgentPerformanceGoal`, D14): created, updated, canceled,
//! achieved or missed. Only an active goal changes; every rejection names
//! its field.

use chrono::{DateTime, NaiveDate, Utc};
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::event::{EventBody, LogEvent};
use crate::goals::{
    settle, settled_value, validate_deadline, validate_label, validate_metric_key, validate_target_value, Comparison,
    GoalCanceled, GoalCreated, GoalSettled, GoalStatus, GoalUpdated,
};
use crate::scoring::Domain;
use crate::validate::Rejection;

/// A command to the goal `goal_id`, with the id and time of the event it
/// becomes.
#[derive(Debug, Clone, PartialEq)]
pub struct GoalCommandEnvelope {
    pub goal_id: Uuid,
    pub event_id: String,
    pub occurred_at: DateTime<Utc>,
    pub command: GoalCommand,
}

#[derive(Debug, Clone, PartialEq)]
pub enum GoalCommand {
    /// `today` is the creator's date: the deadline may not be before it.
    Create {
        person_id: Uuid,
        domain: Domain,
        metric_key: String,
        label: String,
        target_value: Decimal,
        comparison: Comparison,
        deadline: NaiveDate,
        created_by_person_id: Option<Uuid>,
        today: NaiveDate,
    },
    /// Fields left `None`, or equal to the current value, do not change.
    Update {
        actor_person_id: Option<Uuid>,
        label: Option<String>,
        target_value: Option<Decimal>,
        comparison: Option<Comparison>,
        deadline: Option<NaiveDate>,
        today: NaiveDate,
    },
    Cancel {
        actor_person_id: Option<Uuid>,
    },
    /// The goal is met by `current_value` (rounded to 2 decimals).
    Achieve {
        current_value: Option<Decimal>,
    },
    /// The deadline has passed (before `occurred_at`'s date) and
    /// `current_value` does not meet the goal.
    Miss {
        current_value: Option<Decimal>,
    },
}

impl GoalCommand {
    fn verb(&self) -> &'static str {
        match self {
            GoalCommand::Create { .. } => "created",
            GoalCommand::Update { .. } => "updated",
            GoalCommand::Cancel { .. } => "canceled",
            GoalCommand::Achieve { .. } => "achieved",
            GoalCommand::Miss { .. } => "missed",
        }
    }
}

/// A created goal as its events left it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct GoalState {
    pub goal_id: Uuid,
    pub person_id: Uuid,
    pub domain: Domain,
    pub metric_key: String,
    pub label: String,
    pub target_value: Decimal,
    pub comparison: Comparison,
    pub deadline: NaiveDate,
    pub status: GoalStatus,
    /// The value it was settled on, once achieved or missed.
    pub current_value: Option<Decimal>,
}

#[derive(Debug, Default, Clone, PartialEq, Serialize, Deserialize)]
pub struct Goal {
    state: Option<GoalState>,
}

fn goal_rejection(field: &str, goal_id: Uuid, what: &str) -> Rejection {
    Rejection::new(field, format!("goal '{goal_id}' {what}"))
}

impl Goal {
    /// The goal, once created.
    pub fn state(&self) -> Option<&GoalState> {
        self.state.as_ref()
    }

    /// Accepts or refuses a command; on success, the event it becomes.
    pub fn decide(&self, envelope: &GoalCommandEnvelope) -> Result<LogEvent, Rejection> {
        let body = self.decide_body(envelope)?;
        Ok(LogEvent { event_id: envelope.event_id.clone(), occurred_at: envelope.occurred_at, body })
    }

    fn decide_body(&self, envelope: &GoalCommandEnvelope) -> Result<EventBody, Rejection> {
        let goal_id = envelope.goal_id;
        if let GoalCommand::Create {
            person_id,
            domain,
            metric_key,
            label,
            target_value,
            comparison,
            deadline,
            created_by_person_id,
            today,
        } = &envelope.command
        {
            if self.state.is_some() {
                return Err(goal_rejection("goal_id", goal_id, "was already created"));
            }
            validate_label(label)?;
            validate_metric_key(*domain, metric_key)?;
            validate_target_value(*target_value)?;
            validate_deadline(*deadline, *today)?;
            return Ok(EventBody::GoalCreated(GoalCreated {
                goal_id,
                person_id: *person_id,
                domain: *domain,
                metric_key: metric_key.clone(),
                label: label.clone(),
                target_value: *target_value,
                comparison: *comparison,
                deadline: *deadline,
                created_by_person_id: *created_by_person_id,
            }));
        }

        let goal = self.state.as_ref().ok_or_else(|| goal_rejection("goal_id", goal_id, "does not exist"))?;
        if goal.goal_id != goal_id {
            return Err(goal_rejection("goal_id", goal_id, &format!("is not goal '{}'", goal.goal_id)));
        }
        if goal.status != GoalStatus::Active {
            return Err(goal_rejection(
                "status",
                goal_id,
                &format!("is {}; only an active goal can be {}", goal.status.as_str(), envelope.command.verb()),
            ));
        }

        match &envelope.command {
            GoalCommand::Create { .. } => unreachable!("handled above"),
            GoalCommand::Update { actor_person_id, label, target_value, comparison, deadline, today } => {
                let label = label.as_ref().filter(|l| **l != goal.label);
                let target_value = target_value.filter(|t| *t != goal.target_value);
                let comparison = comparison.filter(|c| *c != goal.comparison);
                let deadline = deadline.filter(|d| *d != goal.deadline);
                if let Some(label) = label {
                    validate_label(label)?;
                }
                if let Some(target_value) = target_value {
                    validate_target_value(target_value)?;
                }
                if let Some(deadline) = deadline {
                    validate_deadline(deadline, *today)?;
                }
                if label.is_none() && target_value.is_none() && comparison.is_none() && deadline.is_none() {
                    return Err(goal_rejection(
                        "goal_id",
                        goal_id,
                        "would not change: give a label, target_value, comparison or deadline that differs from the \
                         current one",
                    ));
                }
                Ok(EventBody::GoalUpdated(GoalUpdated {
                    goal_id,
                    actor_person_id: *actor_person_id,
                    label: label.cloned(),
                    target_value,
                    comparison,
                    deadline,
                }))
            }
            GoalCommand::Cancel { actor_person_id } => {
                Ok(EventBody::GoalCanceled(GoalCanceled { goal_id, actor_person_id: *actor_person_id }))
            }
            GoalCommand::Achieve { current_value } => {
                let current_value = settled_value(*current_value)?;
                if !settle(goal.comparison, goal.target_value, current_value) {
                    return Err(goal_rejection(
                        "current_value",
                        goal_id,
                        &format!("is not met: {}", outcome(goal, current_value)),
                    ));
                }
                Ok(EventBody::GoalAchieved(GoalSettled { goal_id, current_value }))
            }
            GoalCommand::Miss { current_value } => {
                let current_value = settled_value(*current_value)?;
                let on = envelope.occurred_at.date_naive();
                if on <= goal.deadline {
                    return Err(goal_rejection(
                        "deadline",
                        goal_id,
                        &format!("cannot be missed on {on}: its deadline {} has not passed", goal.deadline),
                    ));
                }
                if settle(goal.comparison, goal.target_value, current_value) {
                    return Err(goal_rejection(
                        "current_value",
                        goal_id,
                        &format!("is met, so it cannot be missed: {}", outcome(goal, current_value)),
                    ));
                }
                Ok(EventBody::GoalMissed(GoalSettled { goal_id, current_value }))
            }
        }
    }

    /// Folds an accepted event into the state.
    pub fn evolve(&mut self, event: &LogEvent) {
        match &event.body {
            EventBody::GoalCreated(created) => {
                self.state = Some(GoalState {
                    goal_id: created.goal_id,
                    person_id: created.person_id,
                    domain: created.domain,
                    metric_key: created.metric_key.clone(),
                    label: created.label.clone(),
                    target_value: created.target_value,
                    comparison: created.comparison,
                    deadline: created.deadline,
                    status: GoalStatus::Active,
                    current_value: None,
                });
            }
            EventBody::GoalUpdated(updated) => {
                if let Some(goal) = &mut self.state {
                    if let Some(label) = &updated.label {
                        goal.label = label.clone();
                    }
                    if let Some(target_value) = updated.target_value {
                        goal.target_value = target_value;
                    }
                    if let Some(comparison) = updated.comparison {
                        goal.comparison = comparison;
                    }
                    if let Some(deadline) = updated.deadline {
                        goal.deadline = deadline;
                    }
                }
            }
            EventBody::GoalCanceled(_) => self.set_status(GoalStatus::Canceled, None),
            EventBody::GoalAchieved(settled) => self.set_status(GoalStatus::Achieved, settled.current_value),
            EventBody::GoalMissed(settled) => self.set_status(GoalStatus::Missed, settled.current_value),
            _ => {}
        }
    }

    fn set_status(&mut self, status: GoalStatus, current_value: Option<Decimal>) {
        if let Some(goal) = &mut self.state {
            goal.status = status;
            if status != GoalStatus::Canceled {
                goal.current_value = current_value;
            }
        }
    }
}

/// "current value 12.50 is not <= target 10" for messages.
fn outcome(goal: &GoalState, current_value: Option<Decimal>) -> String {
    let (op, not_op) = match goal.comparison {
        Comparison::Lte => ("<=", "is not <="),
        Comparison::Gte => (">=", "is not >="),
    };
    match current_value {
        None => format!("there is no current value to compare with the target {}", goal.target_value),
        Some(v) if settle(goal.comparison, goal.target_value, Some(v)) => {
            format!("current value {v} {op} target {}", goal.target_value)
        }
        Some(v) => format!("current value {v} {not_op} target {}", goal.target_value),
    }
}
