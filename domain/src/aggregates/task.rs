//! Project tasks (§2 Operations).

use chrono::{DateTime, Utc};
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use super::{entity_rejection, foreign, refuse_recreate, require_created, Entity};
use crate::catalog::{ActivityData, EntityKind};
use crate::event::{self, Activity, EventBody, LogEvent};
use crate::validate::Rejection;

#[derive(Debug, Default, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
enum Status {
    #[default]
    Open,
    Completed,
    Canceled,
}

#[derive(Debug, Default, Clone, PartialEq, Serialize, Deserialize)]
pub struct Task {
    created_at: Option<DateTime<Utc>>,
    assignee: Option<Uuid>,
    due_at: Option<DateTime<Utc>>,
    estimate_hours: Option<Decimal>,
    status: Status,
}

/// max(0, 1 − |actual − estimate| / estimate); null unless both are set and
/// the estimate is positive (§2 `task.completed`, `work_order.completed`).
pub(crate) fn accuracy(actual: Option<Decimal>, estimate: Option<Decimal>) -> Option<Decimal> {
    match (actual, estimate) {
        (Some(actual), Some(estimate)) if estimate > Decimal::ZERO => {
            // Checked: a tiny estimate and a huge actual from an older log
            // (before the input ranges) would overflow. A ratio too large to
            // represent is far above 1, so the accuracy is 0.
            let ratio = actual.checked_sub(estimate).and_then(|d| d.abs().checked_div(estimate));
            Some(ratio.map_or(Decimal::ZERO, |r| (Decimal::ONE - r).max(Decimal::ZERO)))
        }
        _ => None,
    }
}

impl Entity for Task {
    const KIND: EntityKind = EntityKind::Task;

    fn decide(&self, activity: &Activity) -> Result<EventBody, Rejection> {
        if let ActivityData::TaskCreated(data) = &activity.data {
            refuse_recreate(self.created_at, activity, "created")?;
            return Ok(EventBody::TaskCreated(data.clone()));
        }
        require_created(self.created_at, activity, "created")?;
        match self.status {
            Status::Completed => {
                return Err(entity_rejection(activity, "is completed; no further events are accepted"))
            }
            Status::Canceled => return Err(entity_rejection(activity, "is canceled; no further events are accepted")),
            Status::Open => {}
        }
        let status_changed =
            |task_id: &String| event::TaskStatusChanged { task_id: task_id.clone(), assignee_person_id: self.assignee };
        match &activity.data {
            ActivityData::TaskAssigned(data) => Ok(EventBody::TaskAssigned(data.clone())),
            ActivityData::TaskBlocked(data) => Ok(EventBody::TaskBlocked(status_changed(&data.task_id))),
            ActivityData::TaskUnblocked(data) => Ok(EventBody::TaskUnblocked(status_changed(&data.task_id))),
            ActivityData::TaskCanceled(data) => Ok(EventBody::TaskCanceled(status_changed(&data.task_id))),
            ActivityData::TaskCompleted(data) => Ok(EventBody::TaskCompleted(event::TaskCompleted {
                task_id: data.task_id.clone(),
                actual_hours: data.actual_hours,
                completer_person_id: self.assignee,
                on_time: self.due_at.map(|due| activity.occurred_at <= due),
                effort_accuracy: accuracy(data.actual_hours, self.estimate_hours),
            })),
            _ => Err(foreign(activity, Self::KIND)),
        }
    }

    fn evolve(&mut self, event: &LogEvent) {
        match &event.body {
            EventBody::TaskCreated(d) => {
                self.created_at = Some(event.occurred_at);
                self.assignee = d.assignee_person_id;
                self.due_at = d.due_at;
                self.estimate_hours = d.estimate_hours;
            }
            EventBody::TaskAssigned(d) => self.assignee = Some(d.person_id),
            EventBody::TaskCompleted(_) => self.status = Status::Completed,
            EventBody::TaskCanceled(_) => self.status = Status::Canceled,
            _ => {}
        }
    }
}
