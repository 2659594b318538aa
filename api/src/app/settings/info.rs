//! What each setting means, in words (issue 16): its group on the settings
//! page (the seed's groups), label, meaning, unit, range and default, and
//! how a value reads. One table, [`SETTING_INFO`], read by the settings
//! pages and the API's descriptions, as `domain::scoring::explain` is for
//! metrics.

use serde_json::Value;

use super::is_secret;

/// The groups the pages show settings in (the seed's performance settings
/// split in three, then its integration settings).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Group {
    Scoring,
    Thresholds,
    Reviews,
    Llm,
}

impl Group {
    pub const ALL: [Group; 4] = [Group::Scoring, Group::Thresholds, Group::Reviews, Group::Llm];

    pub fn title(self) -> &'static str {
        match self {
            Group::Scoring => "Scoring and weights",
            Group::Thresholds => "Thresholds",
            Group::Reviews => "Reviews and limits",
            Group::Llm => "LLM integration",
        }
    }

    pub fn id(self) -> &'static str {
        match self {
            Group::Scoring => "scoring",
            Group::Thresholds => "thresholds",
            Group::Reviews => "reviews",
            Group::Llm => "llm",
        }
    }
}

/// How a setting is typed in a form.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    Bool,
    Integer,
    Decimal,
    /// A weight map; `optional` maps may be left empty (no override).
    Weights {
        optional: bool,
    },
    /// One of a fixed list.
    Choice(&'static [&'static str]),
    /// Text that may be left empty (`null`).
    OptionalText,
    /// Write-only text (the LLM API key).
    Secret,
}

/// A setting in words: the seed's meaning, its unit and range.
#[derive(Debug, Clone, Copy)]
pub struct SettingInfo {
    pub key: &'static str,
    pub group: Group,
    pub label: &'static str,
    pub meaning: &'static str,
    pub unit: &'static str,
    pub range: &'static str,
    pub kind: Kind,
}

macro_rules! info {
    ($key:literal, $group:ident, $label:literal, $meaning:literal, $unit:literal, $range:literal, $kind:expr) => {
        SettingInfo {
            key: $key,
            group: Group::$group,
            label: $label,
            meaning: $meaning,
            unit: $unit,
            range: $range,
            kind: $kind,
        }
    };
}

/// Every setting, in [`SETTING_KEYS`] order (a unit test checks).
pub const SETTING_INFO: &[SettingInfo] = &[
    info!(
        "scoring_enabled",
        Scoring,
        "Scoring on",
        "Master switch: weeks are scored only while it is on.",
        "",
        "on or off",
        Kind::Bool
    ),
    info!(
        "review_generation_enabled",
        Reviews,
        "Reviews generated",
        "Writes a review for every flagged person after the weekly close.",
        "",
        "on or off",
        Kind::Bool
    ),
    info!(
        "domain_weights",
        Scoring,
        "Default weights",
        "The weight of each domain in the composite, for people without a team-type override.",
        "relative weights",
        "0 to 1,000,000 each; sum above 0",
        Kind::Weights { optional: false }
    ),
    info!(
        "domain_weights_operations",
        Scoring,
        "Operations teams",
        "Weights for people on operations teams (empty: the built-in column).",
        "relative weights",
        "0 to 1,000,000 each; sum above 0; or empty",
        Kind::Weights { optional: true }
    ),
    info!(
        "domain_weights_support",
        Scoring,
        "Support teams",
        "Weights for people on support teams (empty: the built-in column).",
        "relative weights",
        "0 to 1,000,000 each; sum above 0; or empty",
        Kind::Weights { optional: true }
    ),
    info!(
        "domain_weights_field_service",
        Scoring,
        "Field service teams",
        "Weights for people on field service teams (empty: the built-in column).",
        "relative weights",
        "0 to 1,000,000 each; sum above 0; or empty",
        Kind::Weights { optional: true }
    ),
    info!(
        "domain_weights_sales_profile",
        Scoring,
        "Sales profile",
        "Weights for sales-heavy people outside sales teams (empty: no sales profile).",
        "relative weights",
        "0 to 1,000,000 each; sum above 0; or empty",
        Kind::Weights { optional: true }
    ),
    info!(
        "sales_profile_min_ratio",
        Scoring,
        "Sales profile ratio",
        "The share of a person's activity that must be sales for the sales profile to apply.",
        "ratio",
        "0 to 1",
        Kind::Decimal
    ),
    info!(
        "flagged_threshold",
        Thresholds,
        "Flag threshold",
        "A composite below it is flagged \u{201c}needs coaching\u{201d} and triggers a review.",
        "score points",
        "0 to 100",
        Kind::Integer
    ),
    info!(
        "peer_comparison_min_team_size",
        Thresholds,
        "Peer comparison minimum",
        "Teams smaller than this show no peer comparison (privacy).",
        "people",
        "1 to 1,000",
        Kind::Integer
    ),
    info!(
        "review_sample_tickets",
        Reviews,
        "Tickets sampled",
        "Tickets quoted to the reviewer, after redaction.",
        "tickets",
        "0 to 20",
        Kind::Integer
    ),
    info!(
        "review_sample_conversations",
        Reviews,
        "Conversations sampled",
        "Conversations quoted to the reviewer.",
        "conversations",
        "0 to 20",
        Kind::Integer
    ),
    info!(
        "review_sample_work_orders",
        Reviews,
        "Work orders sampled",
        "Work orders quoted to the reviewer.",
        "work orders",
        "0 to 20",
        Kind::Integer
    ),
    info!(
        "review_sample_max_chars",
        Reviews,
        "Sample length",
        "The longest a sampled activity may be after redaction.",
        "characters",
        "50 to 10,000",
        Kind::Integer
    ),
    info!(
        "max_reviews_per_run",
        Reviews,
        "Reviews per run",
        "The most reviews one scheduled run writes; the rest wait for the next.",
        "reviews",
        "0 to 10,000",
        Kind::Integer
    ),
    info!(
        "review_manual_daily_limit_per_manager",
        Reviews,
        "Manual reviews per manager",
        "How many reviews one manager may request in a day.",
        "reviews a day",
        "0 to 10,000",
        Kind::Integer
    ),
    info!(
        "review_cooldown_hours",
        Reviews,
        "Review cooldown",
        "The least time between two reviews of the same person and period, unless an admin forces one.",
        "hours",
        "0 to 8,760",
        Kind::Integer
    ),
    info!(
        "llm_provider",
        Llm,
        "Provider",
        "Who writes reviews: an OpenAI-compatible endpoint (openai, vllm) or the offline rules coach.",
        "",
        "openai, rules or vllm",
        Kind::Choice(&["openai", "rules", "vllm"])
    ),
    info!(
        "vllm_base_url",
        Llm,
        "Base URL",
        "The OpenAI-compatible endpoint, e.g. http://vllm:8000/v1.",
        "URL",
        "http:// or https://; or empty",
        Kind::OptionalText
    ),
    info!(
        "vllm_model",
        Llm,
        "Model",
        "The model id the endpoint serves.",
        "",
        "1 to 100 characters; or empty",
        Kind::OptionalText
    ),
    info!(
        "vllm_api_key",
        Llm,
        "API key",
        "The key the endpoint requires, if any. Write-only: it is never shown.",
        "",
        "up to 4,096 characters",
        Kind::Secret
    ),
    info!("vllm_timeout_seconds", Llm, "Timeout", "How long one call may take.", "seconds", "1 to 600", Kind::Integer),
    info!(
        "vllm_max_retries",
        Llm,
        "Retries",
        "Retries of a call that failed for a passing reason.",
        "retries",
        "0 to 10",
        Kind::Integer
    ),
    info!(
        "vllm_max_tokens",
        Llm,
        "Max completion tokens",
        "The longest reply asked for.",
        "tokens",
        "1 to 100,000",
        Kind::Integer
    ),
    info!(
        "vllm_temperature",
        Llm,
        "Temperature",
        "Sampling temperature sent to the provider.",
        "",
        "0 to 2",
        Kind::Decimal
    ),
    info!(
        "review_prompt_token_budget",
        Llm,
        "Prompt budget",
        "A prompt estimated above this is never sent.",
        "tokens",
        "500 to 200,000",
        Kind::Integer
    ),
    info!(
        "review_concurrency",
        Llm,
        "Calls at once",
        "Generation calls in flight at once.",
        "calls",
        "1 to 8",
        Kind::Integer
    ),
    info!(
        "cost_per_1k_tokens_in",
        Llm,
        "Cost per 1,000 tokens in",
        "Estimated cost of prompt tokens, for review costs.",
        "currency",
        "0 to 1,000",
        Kind::Decimal
    ),
    info!(
        "cost_per_1k_tokens_out",
        Llm,
        "Cost per 1,000 tokens out",
        "Estimated cost of completion tokens.",
        "currency",
        "0 to 1,000",
        Kind::Decimal
    ),
    info!(
        "cost_currency",
        Llm,
        "Currency",
        "The ISO 4217 code of those costs.",
        "",
        "three capital letters, e.g. USD; or empty",
        Kind::OptionalText
    ),
];

pub fn info_of(key: &str) -> Option<&'static SettingInfo> {
    SETTING_INFO.iter().find(|i| i.key == key)
}

/// A setting's value in words for a page ("on", "70", "none", "set").
pub fn value_words(key: &str, value: &Value) -> String {
    use perfledger_domain::scoring::Domain;
    if is_secret(key) {
        return if value.is_null() { "not set".into() } else { "set".into() };
    }
    match value {
        Value::Null if key == "domain_weights_sales_profile" => "not set".into(),
        Value::Null if key.starts_with("domain_weights_") => "no override (the built-in column)".into(),
        Value::Null => "none".into(),
        Value::Bool(true) => "on".into(),
        Value::Bool(false) => "off".into(),
        Value::String(s) => s.clone(),
        Value::Number(n) => n.to_string(),
        // Weights in the domains' order; a domain left out weighs 0.
        Value::Object(map) => Domain::ALL
            .into_iter()
            .filter_map(|d| map.get(d.as_str()).map(|w| (d, w)))
            .map(|(d, w)| {
                let w = match w {
                    Value::String(s) => s.clone(),
                    other => other.to_string(),
                };
                format!("{} {w}", d.label())
            })
            .collect::<Vec<_>>()
            .join(", "),
        Value::Array(_) => "a list".into(),
    }
}
