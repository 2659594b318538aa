//! AI coaching reviews, the I/O half (issue 7, D12–D15). The pure half —
//! context shape, prompts, validation, the rules coach and the Review
//! aggregate — lives in `perfledger_domain::coach` and `::aggregates`.
//!
//! - [`provider`]: the one trait both providers implement; [`openai`] (any
//!   OpenAI-compatible endpoint through async-openai) and [`rules`] (offline);
//!   [`config`] chooses from the settings and `PERFLEDGER_LLM_*`.
//! - [`context`]: what the coach sees, loaded from PostgreSQL.
//! - [`jobs`], [`retry`], [`pipeline`], [`worker`]: the durable queue, the
//!   retry policy, one review end to end, and the worker that runs them.
//! - [`flagged`]: the run chained after the weekly close.

pub mod config;
pub mod context;
pub mod flagged;
pub mod jobs;
pub mod openai;
pub mod pipeline;
pub mod provider;
pub mod retry;
pub mod rules;
pub mod worker;

/// The attribute [`ReviewProvider`] implementations need (the trait is an
/// `async_trait`), for implementations outside this crate such as tests'.
pub use async_trait::async_trait;
pub use provider::{ProviderError, ProviderReply, ProviderRequest, ReviewProvider};
