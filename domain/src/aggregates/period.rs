//! A scoring period (D15): closing a week is an event, `period.closed`, that
//! later work hangs on (flagged reviews). A week closes once; the id is its
//! ISO label, so two schedulers racing to close it conflict on the log.

use chrono::{DateTime, Days, NaiveDate, Utc};
use serde::{Deserialize, Serialize};

use crate::event::{EventBody, LogEvent};
use crate::period::{iso_week_label, week_start_of_day, PeriodClosed};
use crate::validate::Rejection;

#[derive(Debug, Default, Clone, PartialEq, Serialize, Deserialize)]
pub struct Period {
    closed: bool,
}

/// Close the week starting `period_start`.
#[derive(Debug, Clone, PartialEq)]
pub struct ClosePeriod {
    pub period_start: NaiveDate,
    pub scored_people: u32,
    pub occurred_at: DateTime<Utc>,
}

impl Period {
    pub fn evolve(&mut self, event: &LogEvent) {
        if let EventBody::PeriodClosed(_) = event.body {
            self.closed = true;
        }
    }

    pub fn decide(&self, command: &ClosePeriod) -> Result<LogEvent, Rejection> {
        let label = iso_week_label(command.period_start);
        if week_start_of_day(command.period_start) != command.period_start {
            return Err(Rejection::new("period_start", format!("{} is not a Monday", command.period_start)));
        }
        let period_end = command.period_start + Days::new(7);
        if command.occurred_at.date_naive() < period_end {
            return Err(Rejection::new("period_start", format!("week {label} has not ended yet")));
        }
        if self.closed {
            return Err(Rejection::new("period_start", format!("week {label} is already closed")));
        }
        Ok(LogEvent {
            event_id: format!("period.closed:{label}"),
            occurred_at: command.occurred_at,
            body: EventBody::PeriodClosed(PeriodClosed {
                period_start: command.period_start,
                period_end,
                scored_people: command.scored_people,
            }),
        })
    }
}
