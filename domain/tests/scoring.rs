//! Hand-computed tests of the scoring core (events-and-metrics.md §3–4, D6–D9):
//! what each event credits, the mergeable per-day accumulators, every metric
//! of every domain, the baseline rule and its pools, and the composite under
//! each weight source. One file per concern.

mod scoring {
    pub mod common;

    mod accumulate;
    mod baselines;
    mod communication;
    mod composite;
    mod credits;
    mod data_quality;
    mod field_service;
    mod operations;
    mod performance;
    mod sales;
    mod support;
}
