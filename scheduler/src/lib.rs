//! The scheduler: the projection worker's rounds (catch up every projector,
//! score the dirty weeks, close the weeks that ended, settle goal progress),
//! the leader lock that gives the schedule one leader per database (D15),
//! and the supervisor that restarts background tasks. The weekly close and
//! goal outcomes are events it writes through the aggregates.

pub mod close;
pub mod progress;
pub mod supervise;
pub mod worker;
