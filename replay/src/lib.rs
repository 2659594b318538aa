//! Replaying the log for auditors and admins (issue 4): what-if scoring
//! under proposed settings, which writes nothing (D10), and targeted
//! rescoring (backfill, a range of weeks). The blue-green rebuild and
//! verify grow here.

pub mod rebuild;
pub mod rescore;
pub mod verify;
pub mod what_if;
