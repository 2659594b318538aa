//! Following the log by `global_position`: woken by LISTEN/NOTIFY, with a
//! polling fallback for a missed notification (D3). The notification is only
//! a wake-up; the position always comes from the reader's own checkpoint.

use std::time::Duration;

use perfledger_store::log::{read_after, StoredEvent};
use sqlx::postgres::PgListener;
use sqlx::PgPool;

/// The channel the log's insert trigger notifies (migrations/0001).
pub const LOG_CHANNEL: &str = "perfledger_log";

pub struct LogTail {
    pool: PgPool,
    listener: PgListener,
    position: i64,
    batch_size: i64,
    poll_interval: Duration,
}

impl LogTail {
    /// Starts following the log after `position` (0 = from the beginning).
    pub async fn new(pool: PgPool, position: i64, batch_size: i64) -> Result<Self, sqlx::Error> {
        let mut listener = PgListener::connect_with(&pool).await?;
        listener.listen(LOG_CHANNEL).await?;
        Ok(LogTail { pool, listener, position, batch_size, poll_interval: Duration::from_millis(500) })
    }

    /// Overrides how long to wait for a notification before polling anyway.
    pub fn with_poll_interval(mut self, interval: Duration) -> Self {
        self.poll_interval = interval;
        self
    }

    /// The last position handed out.
    pub fn position(&self) -> i64 {
        self.position
    }

    /// The next events after the current position, waiting until there is at least one.
    pub async fn next_batch(&mut self) -> Result<Vec<StoredEvent>, sqlx::Error> {
        loop {
            let events = read_after(&self.pool, self.position, self.batch_size).await?;
            if let Some(last) = events.last() {
                self.position = last.global_position;
                return Ok(events);
            }
            tokio::select! {
                notification = self.listener.recv() => { notification?; }
                _ = tokio::time::sleep(self.poll_interval) => {}
            }
        }
    }

    /// The next events after the current position, or none if the log has no more now.
    pub async fn poll_batch(&mut self) -> Result<Vec<StoredEvent>, sqlx::Error> {
        let events = read_after(&self.pool, self.position, self.batch_size).await?;
        if let Some(last) = events.last() {
            self.position = last.global_position;
        }
        Ok(events)
    }
}
