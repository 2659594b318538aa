//! Projections fold the log into read models (D3): a runner that tails the
//! log by `global_position` with one checkpoint per projector, the
//! projectors, the dirty-week marks they leave for the scoring pass, stalls
//! and lag. The scoring pass is `perfledger-scoring`; the rounds, the weekly
//! close and goal progress are `perfledger-scheduler`.

pub mod accumulators;
pub mod audit;
mod crash_hook;
pub mod directory;
mod dirty;
pub mod follow;
pub mod goals;
pub mod lag;
pub mod report;
pub mod reviews;
pub mod runner;
pub mod settings;
pub mod stall;

pub use follow::LogFollower;

use accumulators::AccumulatorProjector;
use audit::AuditProjector;
use directory::DirectoryProjector;
use goals::GoalsProjector;
use reviews::ReviewsProjector;
use runner::Projector;
use settings::SettingsProjector;

/// Every projector's checkpoint name, in the order they are applied.
pub const PROJECTORS: [&str; 6] =
    [directory::NAME, settings::NAME, accumulators::NAME, goals::NAME, reviews::NAME, audit::NAME];

/// Every projector, in the order of [`PROJECTORS`].
pub fn projectors() -> Vec<Box<dyn Projector>> {
    vec![
        Box::new(DirectoryProjector),
        Box::new(SettingsProjector),
        Box::new(AccumulatorProjector),
        Box::new(GoalsProjector),
        Box::new(ReviewsProjector),
        Box::new(AuditProjector),
    ]
}
