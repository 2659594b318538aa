//! Field-service work orders (§2 Field service).

use chrono::{DateTime, Utc};
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use super::task::accuracy;
use super::{entity_rejection, foreign, redacted, refuse_recreate, require_created, Entity};
use crate::catalog::{ActivityData, EntityKind};
use crate::event::{self, Activity, EventBody, LogEvent};
use crate::time::minutes_between;
use crate::validate::Rejection;

#[derive(Debug, Default, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
enum Status {
    #[default]
    Open,
    Completed,
    Canceled,
}

#[derive(Debug, Default, Clone, PartialEq, Serialize, Deserialize)]
pub struct WorkOrder {
    created_at: Option<DateTime<Utc>>,
    reference: Option<String>,
    assignee: Option<Uuid>,
    scheduled_end: Option<DateTime<Utc>>,
    estimated_duration_minutes: Option<Decimal>,
    /// The first `work_order.started`; a repeated start keeps the first.
    started_at: Option<DateTime<Utc>>,
    has_notes: bool,
    status: Status,
}

impl Entity for WorkOrder {
    const KIND: EntityKind = EntityKind::WorkOrder;

    fn decide(&self, activity: &Activity) -> Result<EventBody, Rejection> {
        if let ActivityData::WorkOrderCreated(data) = &activity.data {
            refuse_recreate(self.created_at, activity, "created")?;
            return Ok(EventBody::WorkOrderCreated(data.clone()));
        }
        require_created(self.created_at, activity, "created")?;
        match self.status {
            Status::Completed => {
                return Err(entity_rejection(activity, "is completed; no further events are accepted"))
            }
            Status::Canceled => return Err(entity_rejection(activity, "is canceled; no further events are accepted")),
            Status::Open => {}
        }
        let status_changed = |id: &String| event::WorkOrderStatusChanged {
            work_order_id: id.clone(),
            assignee_person_id: self.assignee,
        };
        match &activity.data {
            ActivityData::WorkOrderAssigned(data) => Ok(EventBody::WorkOrderAssigned(data.clone())),
            ActivityData::WorkOrderStarted(data) => {
                Ok(EventBody::WorkOrderStarted(status_changed(&data.work_order_id)))
            }
            ActivityData::WorkOrderCanceled(data) => {
                Ok(EventBody::WorkOrderCanceled(status_changed(&data.work_order_id)))
            }
            ActivityData::WorkOrderNoteAdded(data) => Ok(EventBody::WorkOrderNoteAdded(data.clone())),
            ActivityData::WorkOrderCompleted(data) => {
                let now = activity.occurred_at;
                let actual = self.started_at.map(|started| minutes_between(started, now));
                Ok(EventBody::WorkOrderCompleted(event::WorkOrderCompleted {
                    work_order_id: data.work_order_id.clone(),
                    summary: redacted(&data.summary),
                    completer_person_id: self.assignee,
                    delay_minutes: self.scheduled_end.map(|end| minutes_between(end, now).max(Decimal::ZERO)),
                    duration_accuracy: accuracy(actual, self.estimated_duration_minutes),
                    has_notes: self.has_notes,
                    reference: self.reference.clone(),
                }))
            }
            _ => Err(foreign(activity, Self::KIND)),
        }
    }

    fn evolve(&mut self, event: &LogEvent) {
        match &event.body {
            EventBody::WorkOrderCreated(d) => {
                self.created_at = Some(event.occurred_at);
                self.reference = d.reference.clone();
                self.assignee = d.assignee_person_id;
                self.scheduled_end = d.scheduled_end;
                self.estimated_duration_minutes = d.estimated_duration_minutes;
            }
            EventBody::WorkOrderAssigned(d) => self.assignee = Some(d.person_id),
            EventBody::WorkOrderStarted(_) => {
                self.started_at.get_or_insert(event.occurred_at);
            }
            EventBody::WorkOrderNoteAdded(_) => self.has_notes = true,
            EventBody::WorkOrderCompleted(_) => self.status = Status::Completed,
            EventBody::WorkOrderCanceled(_) => self.status = Status::Canceled,
            _ => {}
        }
    }
}
