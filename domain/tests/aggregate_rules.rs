//! Given/when/then tests of every catalog aggregate with cqrs-es's
//! `TestFramework`: one test per causal rule, rejection and enrichment of
//! events-and-metrics.md §1–2.

mod aggregate_rules {
    pub mod conversation;
    pub mod lead;
    pub mod organisation;
    pub mod quote;
    pub mod record;
    pub mod support;
    pub mod task;
    pub mod ticket;
    pub mod work_order;
}
