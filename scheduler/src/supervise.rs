//! Background tasks that never die silently (issue 14). `serve` runs the
//! projection worker (projectors, scoring, weekly close, goal progress) and
//! the review worker under [`supervise`]: a panic or an error that ends a
//! task is caught, logged with the task's name, shown on `/healthz`
//! ([`tasks`]) and the task starts again after a backoff.

use std::collections::BTreeMap;
use std::fmt::Display;
use std::future::Future;
use std::sync::{Mutex, OnceLock};
use std::time::{Duration, Instant};

use chrono::{DateTime, Utc};
use serde::Serialize;
use tokio::sync::watch;

/// What a supervised task is doing.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum TaskState {
    Running,
    /// It failed and waits for its backoff before it starts again.
    Restarting,
    /// It ended with the process's shutdown.
    Stopped,
}

/// One supervised task as `/healthz` shows it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct TaskHealth {
    pub task: &'static str,
    pub state: TaskState,
    /// How often it has been started again since the process started.
    pub restarts: u64,
    pub last_error: Option<String>,
    pub last_error_at: Option<DateTime<Utc>>,
}

/// The first wait before a failed task starts again, the longest, and how
/// long a task must have run for the wait to start over from the first.
const BACKOFF_FIRST: Duration = Duration::from_secs(1);
const BACKOFF_MAX: Duration = Duration::from_secs(60);
const HEALTHY_AFTER: Duration = Duration::from_secs(300);

/// Per process: the tasks are this process's own.
fn registry() -> &'static Mutex<BTreeMap<&'static str, TaskHealth>> {
    static REGISTRY: OnceLock<Mutex<BTreeMap<&'static str, TaskHealth>>> = OnceLock::new();
    REGISTRY.get_or_init(Default::default)
}

fn update(task: &'static str, change: impl FnOnce(&mut TaskHealth)) {
    // A poisoned lock only means a panic elsewhere while it was held; the map is still usable.
    let mut tasks = registry().lock().unwrap_or_else(|poisoned| poisoned.into_inner());
    let health = tasks.entry(task).or_insert(TaskHealth {
        task,
        state: TaskState::Running,
        restarts: 0,
        last_error: None,
        last_error_at: None,
    });
    change(health);
}

/// Every supervised task of this process, by name.
pub fn tasks() -> Vec<TaskHealth> {
    registry().lock().unwrap_or_else(|poisoned| poisoned.into_inner()).values().cloned().collect()
}

/// The message of a panic caught by a join.
fn panic_message(error: tokio::task::JoinError) -> String {
    match error.try_into_panic() {
        Ok(payload) => format!("panicked: {}", perfledger_projections::runner::panic_message(&*payload)),
        Err(error) => error.to_string(),
    }
}

/// Runs the task `start` makes until `stopped` turns true, starting it
/// again (with a backoff that doubles up to a minute) whenever it panics,
/// fails or ends on its own. `start` gets the stop signal to pass on.
pub async fn supervise<E, Fut>(
    task: &'static str,
    stopped: watch::Receiver<bool>,
    mut start: impl FnMut(watch::Receiver<bool>) -> Fut,
) where
    E: Display + Send + 'static,
    Fut: Future<Output = Result<(), E>> + Send + 'static,
{
    let mut backoff = BACKOFF_FIRST;
    loop {
        update(task, |h| h.state = TaskState::Running);
        let started = Instant::now();
        let outcome = tokio::spawn(start(stopped.clone())).await;
        if *stopped.borrow() {
            update(task, |h| h.state = TaskState::Stopped);
            return;
        }
        let error = match outcome {
            Ok(Ok(())) => "it ended before the process stopped".to_string(),
            Ok(Err(e)) => e.to_string(),
            Err(join) => panic_message(join),
        };
        if started.elapsed() >= HEALTHY_AFTER {
            backoff = BACKOFF_FIRST;
        }
        tracing::error!(
            task,
            error,
            restart_in_ms = backoff.as_millis() as u64,
            "a background task failed; restarting it"
        );
        update(task, |h| {
            h.state = TaskState::Restarting;
            h.restarts += 1;
            h.last_error = Some(error);
            h.last_error_at = Some(Utc::now());
        });
        let mut stop = stopped.clone();
        tokio::select! {
            _ = tokio::time::sleep(backoff) => {}
            _ = stop.wait_for(|s| *s) => {
                update(task, |h| h.state = TaskState::Stopped);
                return;
            }
        }
        backoff = (backoff * 2).min(BACKOFF_MAX);
    }
}

#[cfg(test)]
mod tests {
    use std::sync::atomic::{AtomicU32, Ordering};
    use std::sync::Arc;

    use super::*;

    #[tokio::test(start_paused = true)]
    async fn a_panicking_task_is_reported_and_started_again_until_the_stop() {
        let (stop, stopped) = watch::channel(false);
        let runs = Arc::new(AtomicU32::new(0));
        let counted = runs.clone();
        let supervisor = tokio::spawn(supervise("test-panics", stopped, move |mut rx| {
            let run = counted.fetch_add(1, Ordering::SeqCst);
            async move {
                if run < 2 {
                    panic!("boom {run}");
                }
                let _ = rx.wait_for(|s| *s).await;
                Ok::<(), String>(())
            }
        }));
        // Two failures: 1 s and 2 s of backoff (the clock is paused, so this is instant).
        tokio::time::sleep(Duration::from_secs(5)).await;
        assert_eq!(runs.load(Ordering::SeqCst), 3, "started again after each panic");
        let health = tasks().into_iter().find(|t| t.task == "test-panics").expect("the task is registered");
        assert_eq!(health.state, TaskState::Running);
        assert_eq!(health.restarts, 2);
        assert_eq!(health.last_error.as_deref(), Some("panicked: boom 1"));
        stop.send(true).unwrap();
        supervisor.await.unwrap();
        let health = tasks().into_iter().find(|t| t.task == "test-panics").unwrap();
        assert_eq!(health.state, TaskState::Stopped);
    }

    #[tokio::test(start_paused = true)]
    async fn an_error_is_reported_with_its_text() {
        let (stop, stopped) = watch::channel(false);
        let supervisor = tokio::spawn(supervise("test-errors", stopped, |_| async { Err::<(), _>("database gone") }));
        tokio::time::sleep(Duration::from_millis(1_500)).await;
        let health = tasks().into_iter().find(|t| t.task == "test-errors").unwrap();
        assert_eq!(health.state, TaskState::Restarting);
        assert!(health.restarts >= 1);
        assert_eq!(health.last_error.as_deref(), Some("database gone"));
        stop.send(true).unwrap();
        supervisor.await.unwrap();
    }
}
