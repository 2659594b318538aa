//! Replaying the log for auditors and admins (issue 4): what-if scoring
//! under proposed settings, which writes nothing (D10), targeted rescoring
//! (backfill, a range of weeks), and the blue-green rebuild (`replay`) and
//! `verify`, both on one build of every read model into a schema of its
//! own ([`build`]).

pub mod build;
pub mod rebuild;
pub mod rescore;
pub mod verify;
pub mod what_if;
