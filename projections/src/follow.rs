//! Following the log (D3): LISTEN on the channel the log's insert trigger
//! notifies, and wake on a notification or after a polling interval, so a
//! missed notification only delays a reader. The notification is only a
//! wake-up; a reader's position always comes from its own checkpoint.

use std::time::Duration;

use sqlx::postgres::PgListener;
use sqlx::PgPool;

/// The channel the log's insert trigger notifies (migrations/0001).
pub const LOG_CHANNEL: &str = "perfledger_log";

/// A connection listening on [`LOG_CHANNEL`].
pub struct LogFollower {
    listener: PgListener,
}

impl LogFollower {
    /// Connects and starts listening: every append after this wakes [`LogFollower::wait`].
    pub async fn connect(pool: &PgPool) -> Result<Self, sqlx::Error> {
        let mut listener = PgListener::connect_with(pool).await?;
        listener.listen(LOG_CHANNEL).await?;
        Ok(LogFollower { listener })
    }

    /// Waits for the log to grow: returns on a notification or after `poll`,
    /// whichever comes first.
    pub async fn wait(&mut self, poll: Duration) -> Result<(), sqlx::Error> {
        tokio::select! {
            notification = self.listener.recv() => { notification?; }
            _ = tokio::time::sleep(poll) => {}
        }
        Ok(())
    }
}
