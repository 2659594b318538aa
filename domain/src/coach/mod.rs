//! The pure half of AI coaching reviews (issue 7, D12–D13): the context a
//! coach sees, the versioned prompts, strict validation of a reply, and the
//! deterministic rules coach. No I/O: the `perfledger-reviews` crate loads the
//! context, calls a provider and records the outcome.

pub mod context;
pub mod prompt;
pub mod rules;
pub mod validate;

pub use context::{prepare_sample, DomainBreakdown, MetricLine, ReviewContext, Sample, SampleKind};
pub use prompt::{
    check_prompt_budget, estimate_prompt_tokens, estimate_tokens, response_json_schema, retry_prompt, system_prompt,
    user_prompt, PromptTooLarge, PROMPT_VERSION,
};
pub use rules::{rules_review, RULES_MODEL};
pub use validate::{parse_reply, ReplyError};
