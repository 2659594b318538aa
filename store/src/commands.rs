//! perfledger's own commands (settings, goals, periods; D10, D14, D15) go
//! through cqrs-es and postgres-es: the framework loads the aggregate, runs
//! its `handle`, and inserts the event into the same `events` table, where
//! the `BEFORE INSERT` trigger numbers it in the global order.

use cqrs_es::{Aggregate, AggregateError};
use sqlx::PgPool;

/// Why a command was not recorded.
#[derive(Debug, thiserror::Error)]
pub enum CommandError<E: std::error::Error> {
    /// The aggregate refused it (bad input or a state rule).
    #[error("{0}")]
    Rejected(E),
    #[error("the event store failed: {0}")]
    Store(String),
}

/// Runs `command` on aggregate `id`, retrying once when a concurrent writer
/// took the same sequence number.
pub async fn execute<A>(pool: &PgPool, id: &str, command: A::Command) -> Result<(), CommandError<A::Error>>
where
    A: Aggregate<Services = ()>,
    A::Command: Clone,
{
    let cqrs = postgres_es::postgres_cqrs::<A>(pool.clone(), vec![], ());
    let mut attempts = 0;
    loop {
        attempts += 1;
        match cqrs.execute(id, command.clone()).await {
            Ok(()) => return Ok(()),
            Err(AggregateError::UserError(e)) => return Err(CommandError::Rejected(e)),
            Err(AggregateError::AggregateConflict) if attempts < 3 => continue,
            Err(other) => return Err(CommandError::Store(other.to_string())),
        }
    }
}
