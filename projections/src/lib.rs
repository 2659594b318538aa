//! Projections fold the log into read models (D3): a runner that tails the
//! log by `global_position` with one checkpoint per projector, the
//! projectors, the scoring pass, the weekly close and goal progress.

pub mod accumulators;
pub mod audit;
pub mod close;
mod crash_hook;
pub mod directory;
mod dirty;
pub mod follow;
pub mod goals;
pub mod lag;
pub mod progress;
pub mod report;
pub mod reviews;
pub mod runner;
pub mod scoring;
pub mod settings;
pub mod stall;
pub mod supervise;
pub mod worker;

pub use follow::LogFollower;
