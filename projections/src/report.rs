//! What long projection jobs (catch-up, `replay`, `verify`, `project --once`)
//! report as they go, for progress bars and logs. The reporter is a plain
//! callback so the library stays free of terminal concerns: the CLI turns
//! these steps into bars (or periodic lines when stderr is not a terminal).

/// One step of a projection job.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Step {
    /// A catch-up starts: `projector` is at `checkpoint` and will be brought
    /// to `head` (the log head when the catch-up started).
    CatchUpStarted { projector: &'static str, checkpoint: i64, head: i64 },
    /// `projector` committed a batch: its checkpoint is now `position`,
    /// `applied` events after the previous one (0 when it already had them).
    Advanced { projector: &'static str, position: i64, applied: usize },
    /// Every projector has the batch that ends at `position` (`events` read).
    BatchDone { position: i64, events: usize },
    /// The scoring pass: `done` of `total` weeks scored.
    WeeksScored { done: usize, total: usize },
    /// A named step without a count starts (`compare`, `switch`).
    PhaseStarted { phase: &'static str },
    /// That step is over.
    PhaseDone { phase: &'static str },
}

/// The callback a job reports its steps to.
pub type Report<'a> = &'a mut (dyn FnMut(Step) + Send);

/// A reporter that ignores every step.
pub fn ignore(_: Step) {}
