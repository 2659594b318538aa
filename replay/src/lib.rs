//! Replaying the log for auditors and admins (issue 4). Today: what-if
//! scoring under proposed settings, which writes nothing (D10).

pub mod what_if;
