//! Projections fold the log into read models. This crate starts with the
//! piece every projector stands on: following the log in global order (D3).

pub mod tail;

pub use tail::LogTail;
