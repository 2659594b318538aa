//! The scoring pass (§3–4, D6–D11): a week's accumulators, the organisation
//! as of its end and the settings in force at its start go through the pure
//! formulas (`domain::scoring::formulas`) into `agent_performance_scores`
//! and `agent_performance_snapshots`; any other range is scored on read
//! ([`pass::compute_range`]). [`rows`] owns the stored form of the score
//! rows: their one writer and their readers. Reads the projections' read
//! models; writes no events.

pub mod pass;
pub mod rows;
