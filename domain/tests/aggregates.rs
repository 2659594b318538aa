//! Given/when/then tests of every catalog aggregate with cqrs-es's
//! `TestFramework`: one test per causal-order rule, rejection and enrichment
//! of events-and-metrics.md §1–2. One file per aggregate.

mod aggregates {
    pub mod support;

    mod contact;
    mod conversation;
    mod lead;
    mod organization;
    mod person;
    mod quote;
    mod task;
    mod team;
    mod ticket;
    mod work_order;
}
