//! The performance and integration settings (seed-design.md "Settings"), as
//! events (D10): a `settings.changed` event records the actor, the changed
//! keys and `effective_from`; a period is scored with the settings in force at
//! its start.

use std::collections::BTreeMap;

use chrono::NaiveDate;
use rust_decimal::prelude::ToPrimitive;
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::catalog::TeamType;
use crate::scoring::Domain;
use crate::validate::Rejection;

/// A weight per domain. Domains missing from a map weigh 0.
pub type WeightMap = BTreeMap<Domain, Decimal>;

/// Which map a person's weights came from (D8), kept for explainability.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum WeightSource {
    Default,
    TeamType,
    SalesProfile,
}

/// Every setting, typed, with the seed's defaults.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Settings {
    pub scoring_enabled: bool,
    pub review_generation_enabled: bool,
    pub domain_weights: WeightMap,
    pub domain_weights_operations: Option<WeightMap>,
    pub domain_weights_support: Option<WeightMap>,
    pub domain_weights_field_service: Option<WeightMap>,
    pub domain_weights_sales_profile: Option<WeightMap>,
    pub sales_profile_min_ratio: Decimal,
    pub flagged_threshold: i64,
    pub peer_comparison_min_team_size: i64,
    pub review_sample_tickets: i64,
    pub review_sample_conversations: i64,
    pub review_sample_work_orders: i64,
    pub review_sample_max_chars: i64,
    pub max_reviews_per_run: i64,
    pub review_manual_daily_limit_per_manager: i64,
    pub review_cooldown_hours: i64,
    // SettingDomain.integration (D12)
    pub llm_provider: String,
    pub vllm_base_url: Option<String>,
    pub vllm_model: Option<String>,
    pub vllm_api_key: Option<String>,
    pub vllm_timeout_seconds: i64,
    pub vllm_max_retries: i64,
    pub vllm_max_tokens: i64,
    /// Sampling temperature sent to the provider (0–2).
    pub vllm_temperature: Decimal,
    /// A prompt estimated above this many tokens is never sent (issue 7).
    pub review_prompt_token_budget: i64,
    /// Generation calls in flight at once (≤ 8 to respect a shared vLLM).
    pub review_concurrency: i64,
    /// Estimated cost per 1,000 tokens in and out, in the company's currency.
    pub cost_per_1k_tokens_in: Decimal,
    pub cost_per_1k_tokens_out: Decimal,
    /// The ISO 4217 code of that currency ("USD", "NGN"), shown beside a
    /// review cost; `None` until set (issue 15).
    #[serde(default)]
    pub cost_currency: Option<String>,
}

/// Builds a weight map in the order support, operations, field_service,
/// communication, sales, data_quality.
pub fn weights(values: [i64; 6]) -> WeightMap {
    Domain::ALL.into_iter().zip(values).map(|(d, w)| (d, Decimal::from(w))).collect()
}

/// The seed's role-adaptive table (§4): the built-in column of a team type.
pub fn builtin_team_weights(team_type: TeamType) -> Option<WeightMap> {
    match team_type {
        TeamType::Operations => Some(weights([15, 25, 20, 15, 15, 10])),
        TeamType::Support => Some(weights([30, 10, 5, 30, 15, 10])),
        TeamType::FieldService => Some(weights([10, 15, 35, 10, 20, 10])),
        TeamType::Sales | TeamType::Other => None,
    }
}

impl Default for Settings {
    fn default() -> Self {
        Settings {
            scoring_enabled: true,
            review_generation_enabled: false,
            domain_weights: weights([20, 15, 15, 20, 20, 10]),
            domain_weights_operations: None,
            domain_weights_support: None,
            domain_weights_field_service: None,
            domain_weights_sales_profile: None,
            sales_profile_min_ratio: Decimal::new(5, 1),
            flagged_threshold: 70,
            peer_comparison_min_team_size: 3,
            review_sample_tickets: 3,
            review_sample_conversations: 3,
            review_sample_work_orders: 2,
            review_sample_max_chars: 600,
            max_reviews_per_run: 20,
            review_manual_daily_limit_per_manager: 25,
            review_cooldown_hours: 24,
            llm_provider: "rules".to_string(),
            vllm_base_url: None,
            vllm_model: None,
            vllm_api_key: None,
            vllm_timeout_seconds: 30,
            vllm_max_retries: 2,
            vllm_max_tokens: 2048,
            vllm_temperature: Decimal::new(2, 1),
            review_prompt_token_budget: 6_000,
            review_concurrency: 4,
            cost_per_1k_tokens_in: Decimal::ZERO,
            cost_per_1k_tokens_out: Decimal::ZERO,
            cost_currency: None,
        }
    }
}

impl Settings {
    /// The effective weight map of a person (§4, D8): the sales profile when it
    /// is set, the ratio reaches `sales_profile_min_ratio` and the team is not
    /// a sales team; else the team type's override (setting, then built-in);
    /// else `domain_weights`.
    pub fn weights_for(&self, team_type: Option<TeamType>, sales_activity_ratio: Decimal) -> (WeightMap, WeightSource) {
        if let Some(profile) = &self.domain_weights_sales_profile {
            if sales_activity_ratio >= self.sales_profile_min_ratio && team_type != Some(TeamType::Sales) {
                return (profile.clone(), WeightSource::SalesProfile);
            }
        }
        let override_setting = match team_type {
            Some(TeamType::Operations) => &self.domain_weights_operations,
            Some(TeamType::Support) => &self.domain_weights_support,
            Some(TeamType::FieldService) => &self.domain_weights_field_service,
            _ => &None,
        };
        if let Some(map) = override_setting {
            return (map.clone(), WeightSource::TeamType);
        }
        if let Some(map) = team_type.and_then(builtin_team_weights) {
            return (map, WeightSource::TeamType);
        }
        (self.domain_weights.clone(), WeightSource::Default)
    }
}

/// `settings.changed` (D10): who changed which keys, in force from the start
/// of `effective_from`'s day. Values are kept as JSON exactly as validated.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SettingsChanged {
    pub actor: String,
    pub changes: BTreeMap<String, serde_json::Value>,
    pub effective_from: NaiveDate,
    /// Why the change was made (issue 16): required from the API and the
    /// pages, optional from the CLI; absent from older events, whose stored
    /// bytes are unchanged.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
}

// ------------------------------------------------------------ keys and validation

/// Every setting key, in the seed's order (performance, then integration).
pub const SETTING_KEYS: &[&str] = &[
    "scoring_enabled",
    "review_generation_enabled",
    "domain_weights",
    "domain_weights_operations",
    "domain_weights_support",
    "domain_weights_field_service",
    "domain_weights_sales_profile",
    "sales_profile_min_ratio",
    "flagged_threshold",
    "peer_comparison_min_team_size",
    "review_sample_tickets",
    "review_sample_conversations",
    "review_sample_work_orders",
    "review_sample_max_chars",
    "max_reviews_per_run",
    "review_manual_daily_limit_per_manager",
    "review_cooldown_hours",
    "llm_provider",
    "vllm_base_url",
    "vllm_model",
    "vllm_api_key",
    "vllm_timeout_seconds",
    "vllm_max_retries",
    "vllm_max_tokens",
    "vllm_temperature",
    "review_prompt_token_budget",
    "review_concurrency",
    "cost_per_1k_tokens_in",
    "cost_per_1k_tokens_out",
    "cost_currency",
];

/// Settings whose values are never shown unless asked for, nor put in errors.
pub const SECRET_SETTING_KEYS: &[&str] = &["vllm_api_key"];

/// What a set secret is shown as.
pub const SECRET_MASK: &str = "********";

/// The providers `llm_provider` accepts (D12); `vllm` is an alias of `openai`
/// (any OpenAI-compatible endpoint).
pub const LLM_PROVIDERS: &[&str] = &["openai", "rules", "vllm"];

/// The largest weight a domain may have (weights are relative; this only
/// keeps `score × weight` far from overflow).
pub const MAX_DOMAIN_WEIGHT: i64 = 1_000_000;

pub const MAX_VLLM_MODEL_CHARS: usize = 100;
pub const MAX_VLLM_BASE_URL_CHARS: usize = 2_000;
pub const MAX_VLLM_API_KEY_CHARS: usize = 4_096;

/// Checks that every change names a known setting with a valid value.
pub fn validate_changes(changes: &BTreeMap<String, serde_json::Value>) -> Result<(), Rejection> {
    Settings::default().apply(changes)
}

impl Settings {
    /// Applies `changes`, all or nothing: on the first invalid change, `self`
    /// is left untouched. Unknown keys are refused before any value is read.
    pub fn apply(&mut self, changes: &BTreeMap<String, serde_json::Value>) -> Result<(), Rejection> {
        if let Some(key) = changes.keys().find(|k| !SETTING_KEYS.contains(&k.as_str())) {
            return Err(unknown_setting(key));
        }
        let mut next = self.clone();
        for (key, value) in changes {
            next.set(key, value)?;
        }
        *self = next;
        Ok(())
    }

    fn set(&mut self, key: &str, v: &Value) -> Result<(), Rejection> {
        match key {
            "scoring_enabled" => self.scoring_enabled = boolean(key, v)?,
            "review_generation_enabled" => self.review_generation_enabled = boolean(key, v)?,
            "domain_weights" => self.domain_weights = weight_map(key, v)?,
            "domain_weights_operations" => self.domain_weights_operations = optional_weight_map(key, v)?,
            "domain_weights_support" => self.domain_weights_support = optional_weight_map(key, v)?,
            "domain_weights_field_service" => self.domain_weights_field_service = optional_weight_map(key, v)?,
            "domain_weights_sales_profile" => self.domain_weights_sales_profile = optional_weight_map(key, v)?,
            "sales_profile_min_ratio" => self.sales_profile_min_ratio = ratio(key, v)?,
            "flagged_threshold" => self.flagged_threshold = integer(key, v, 0, 100)?,
            "peer_comparison_min_team_size" => self.peer_comparison_min_team_size = integer(key, v, 1, 1000)?,
            "review_sample_tickets" => self.review_sample_tickets = integer(key, v, 0, 20)?,
            "review_sample_conversations" => self.review_sample_conversations = integer(key, v, 0, 20)?,
            "review_sample_work_orders" => self.review_sample_work_orders = integer(key, v, 0, 20)?,
            "review_sample_max_chars" => self.review_sample_max_chars = integer(key, v, 50, 10_000)?,
            "max_reviews_per_run" => self.max_reviews_per_run = integer(key, v, 0, 10_000)?,
            "review_manual_daily_limit_per_manager" => {
                self.review_manual_daily_limit_per_manager = integer(key, v, 0, 10_000)?
            }
            "review_cooldown_hours" => self.review_cooldown_hours = integer(key, v, 0, 8_760)?,
            "llm_provider" => self.llm_provider = llm_provider(key, v)?,
            "vllm_base_url" => self.vllm_base_url = base_url(key, v)?,
            "vllm_model" => self.vllm_model = model(key, v)?,
            "vllm_api_key" => self.vllm_api_key = secret(key, v)?,
            "vllm_timeout_seconds" => self.vllm_timeout_seconds = integer(key, v, 1, 600)?,
            "vllm_max_retries" => self.vllm_max_retries = integer(key, v, 0, 10)?,
            "vllm_max_tokens" => self.vllm_max_tokens = integer(key, v, 1, 100_000)?,
            "vllm_temperature" => self.vllm_temperature = bounded_decimal(key, v, Decimal::ZERO, Decimal::TWO)?,
            "review_prompt_token_budget" => self.review_prompt_token_budget = integer(key, v, 500, 200_000)?,
            "review_concurrency" => self.review_concurrency = integer(key, v, 1, 8)?,
            "cost_per_1k_tokens_in" => {
                self.cost_per_1k_tokens_in = bounded_decimal(key, v, Decimal::ZERO, Decimal::from(1_000))?
            }
            "cost_per_1k_tokens_out" => {
                self.cost_per_1k_tokens_out = bounded_decimal(key, v, Decimal::ZERO, Decimal::from(1_000))?
            }
            "cost_currency" => self.cost_currency = currency(key, v)?,
            _ => return Err(unknown_setting(key)),
        }
        Ok(())
    }

    /// The value of one setting as JSON, `None` for an unknown key. Secrets
    /// are returned in clear: use [`Settings::to_json_map`] to show settings.
    pub fn get(&self, key: &str) -> Option<Value> {
        self.value_of(key, true)
    }

    /// Every setting as JSON, keyed by name. A set secret is shown as
    /// [`SECRET_MASK`] unless `reveal_secrets`; an unset one is `null`.
    /// With `reveal_secrets`, the map fed back to [`Settings::apply`] yields
    /// the same settings.
    pub fn to_json_map(&self, reveal_secrets: bool) -> BTreeMap<String, Value> {
        SETTING_KEYS.iter().filter_map(|key| self.value_of(key, reveal_secrets).map(|v| (key.to_string(), v))).collect()
    }

    fn value_of(&self, key: &str, reveal_secrets: bool) -> Option<Value> {
        let int = |n: i64| Some(Value::from(n));
        let opt_str = |s: &Option<String>| Some(s.as_ref().map_or(Value::Null, |s| Value::String(s.clone())));
        let opt_map = |m: &Option<WeightMap>| Some(m.as_ref().map_or(Value::Null, weight_map_json));
        match key {
            "scoring_enabled" => Some(Value::Bool(self.scoring_enabled)),
            "review_generation_enabled" => Some(Value::Bool(self.review_generation_enabled)),
            "domain_weights" => Some(weight_map_json(&self.domain_weights)),
            "domain_weights_operations" => opt_map(&self.domain_weights_operations),
            "domain_weights_support" => opt_map(&self.domain_weights_support),
            "domain_weights_field_service" => opt_map(&self.domain_weights_field_service),
            "domain_weights_sales_profile" => opt_map(&self.domain_weights_sales_profile),
            "sales_profile_min_ratio" => Some(decimal_json(self.sales_profile_min_ratio)),
            "flagged_threshold" => int(self.flagged_threshold),
            "peer_comparison_min_team_size" => int(self.peer_comparison_min_team_size),
            "review_sample_tickets" => int(self.review_sample_tickets),
            "review_sample_conversations" => int(self.review_sample_conversations),
            "review_sample_work_orders" => int(self.review_sample_work_orders),
            "review_sample_max_chars" => int(self.review_sample_max_chars),
            "max_reviews_per_run" => int(self.max_reviews_per_run),
            "review_manual_daily_limit_per_manager" => int(self.review_manual_daily_limit_per_manager),
            "review_cooldown_hours" => int(self.review_cooldown_hours),
            "llm_provider" => Some(Value::String(self.llm_provider.clone())),
            "vllm_base_url" => opt_str(&self.vllm_base_url),
            "vllm_model" => opt_str(&self.vllm_model),
            "vllm_api_key" => match &self.vllm_api_key {
                Some(_) if !reveal_secrets => Some(Value::String(SECRET_MASK.to_string())),
                other => opt_str(other),
            },
            "vllm_timeout_seconds" => int(self.vllm_timeout_seconds),
            "vllm_max_retries" => int(self.vllm_max_retries),
            "vllm_max_tokens" => int(self.vllm_max_tokens),
            "vllm_temperature" => Some(decimal_json(self.vllm_temperature)),
            "review_prompt_token_budget" => int(self.review_prompt_token_budget),
            "review_concurrency" => int(self.review_concurrency),
            "cost_currency" => opt_str(&self.cost_currency),
            "cost_per_1k_tokens_in" => Some(decimal_json(self.cost_per_1k_tokens_in)),
            "cost_per_1k_tokens_out" => Some(decimal_json(self.cost_per_1k_tokens_out)),
            _ => None,
        }
    }
}

/// A decimal as a JSON number when that number reads back as exactly the
/// same decimal, else as a decimal string.
fn decimal_json(d: Decimal) -> Value {
    let d = d.normalize();
    if d.scale() == 0 {
        if let Ok(n) = i64::try_from(d) {
            return Value::from(n);
        }
    }
    if let Some(n) = d.to_f64().and_then(serde_json::Number::from_f64) {
        if number_decimal(&n) == Some(d) {
            return Value::Number(n);
        }
    }
    Value::String(d.to_string())
}

fn weight_map_json(map: &WeightMap) -> Value {
    Value::Object(map.iter().map(|(domain, w)| (domain.as_str().to_string(), decimal_json(*w))).collect())
}

// ------------------------------------------------------------ value readers

/// What was given, for an error message: the value itself when short.
fn given(v: &Value) -> String {
    match v {
        Value::Null => "null".to_string(),
        Value::Bool(b) => b.to_string(),
        Value::Number(n) => format!("the number {n}"),
        Value::String(s) if s.chars().count() <= 40 => format!("the string {}", Value::String(s.clone())),
        Value::String(s) => {
            let head: String = s.chars().take(40).collect();
            format!("the string {}… ({} characters)", Value::String(head), s.chars().count())
        }
        Value::Array(_) => "an array".to_string(),
        Value::Object(_) => "an object".to_string(),
    }
}

/// What kind of value was given, never the value (secrets, URLs).
fn given_kind(v: &Value) -> String {
    match v {
        Value::Null => "null".to_string(),
        Value::Bool(_) => "a boolean".to_string(),
        Value::Number(_) => "a number".to_string(),
        Value::String(s) => format!("a string of {} characters", s.chars().count()),
        Value::Array(_) => "an array".to_string(),
        Value::Object(_) => "an object".to_string(),
    }
}

fn unknown_setting(key: &str) -> Rejection {
    rejection(key, format!("is not a setting; known settings are {}", SETTING_KEYS.join(", ")))
}

fn rejection(key: &str, reason: String) -> Rejection {
    Rejection::new(format!("settings.{key}"), reason)
}

fn boolean(key: &str, v: &Value) -> Result<bool, Rejection> {
    v.as_bool().ok_or_else(|| rejection(key, format!("expected true or false; got {}", given(v))))
}

fn integer(key: &str, v: &Value, min: i64, max: i64) -> Result<i64, Rejection> {
    let expected = format!("expected an integer from {min} to {max}");
    let n = match v {
        Value::Number(n) if n.is_i64() || n.is_u64() => n.as_i64(),
        _ => return Err(rejection(key, format!("{expected}; got {}", given(v)))),
    };
    match n {
        Some(n) if (min..=max).contains(&n) => Ok(n),
        _ => Err(rejection(key, format!("{expected}; got {}", given(v)))),
    }
}

/// A JSON number's exact decimal, `None` when it has none (too large).
fn number_decimal(n: &serde_json::Number) -> Option<Decimal> {
    if let Some(i) = n.as_i64() {
        return Some(Decimal::from(i));
    }
    if let Some(u) = n.as_u64() {
        return Some(Decimal::from(u));
    }
    let text = n.to_string();
    Decimal::from_str_exact(&text).or_else(|_| Decimal::from_scientific(&text)).ok().map(|d| d.normalize())
}

/// A plain decimal string: optional minus sign, digits, optional fraction.
fn string_decimal(s: &str) -> Option<Decimal> {
    let all_digits = |part: &str| !part.is_empty() && part.bytes().all(|b| b.is_ascii_digit());
    let unsigned = s.strip_prefix('-').unwrap_or(s);
    let plain = match unsigned.split_once('.') {
        Some((int, frac)) => all_digits(int) && all_digits(frac),
        None => all_digits(unsigned),
    };
    if !plain {
        return None;
    }
    Decimal::from_str_exact(s).ok().map(|d| d.normalize())
}

/// A number or a decimal string.
fn decimal(key: &str, v: &Value, expected: &str) -> Result<Decimal, Rejection> {
    let d = match v {
        Value::Number(n) => number_decimal(n),
        Value::String(s) => string_decimal(s),
        _ => None,
    };
    d.ok_or_else(|| rejection(key, format!("{expected}; got {}", given(v))))
}

fn ratio(key: &str, v: &Value) -> Result<Decimal, Rejection> {
    let expected = "expected a decimal from 0 to 1 (a number or a decimal string)";
    let d = decimal(key, v, expected)?;
    if d < Decimal::ZERO || d > Decimal::ONE {
        return Err(rejection(key, format!("{expected}; got {}", given(v))));
    }
    Ok(d)
}

fn bounded_decimal(key: &str, v: &Value, min: Decimal, max: Decimal) -> Result<Decimal, Rejection> {
    let expected = format!("expected a decimal from {min} to {max} (a number or a decimal string)");
    let d = decimal(key, v, &expected)?;
    if d < min || d > max {
        return Err(rejection(key, format!("{expected}; got {}", given(v))));
    }
    Ok(d)
}

fn weight_map(key: &str, v: &Value) -> Result<WeightMap, Rejection> {
    let domains = Domain::ALL.map(Domain::as_str).join(", ");
    let Value::Object(object) = v else {
        return Err(rejection(key, format!("expected an object of weights by domain ({domains}); got {}", given(v))));
    };
    let mut map = WeightMap::new();
    let mut total = Decimal::ZERO;
    for (name, weight) in object {
        let domain: Domain = name.parse().map_err(|reason: String| rejection(key, reason))?;
        let expected = format!(
            "expected the weight of {domain} to be a number from 0 to {MAX_DOMAIN_WEIGHT} (or a decimal string)"
        );
        let w = decimal(key, weight, &expected)?;
        if w < Decimal::ZERO || w > Decimal::from(MAX_DOMAIN_WEIGHT) {
            return Err(rejection(key, format!("{expected}; got {}", given(weight))));
        }
        total += w;
        map.insert(domain, w);
    }
    if total <= Decimal::ZERO {
        return Err(rejection(
            key,
            format!(
                "expected weights whose sum is greater than 0; got {} (domains missing from the map weigh 0)",
                if object.is_empty() { "an empty object".to_string() } else { "weights summing to 0".to_string() }
            ),
        ));
    }
    Ok(map)
}

fn optional_weight_map(key: &str, v: &Value) -> Result<Option<WeightMap>, Rejection> {
    match v {
        Value::Null => Ok(None),
        _ => weight_map(key, v).map(Some).map_err(|mut r| {
            if !matches!(v, Value::Object(_)) {
                r.reason = format!(
                    "expected null (no override) or an object of weights by domain ({}); got {}",
                    Domain::ALL.map(Domain::as_str).join(", "),
                    given(v)
                );
            }
            r
        }),
    }
}

fn llm_provider(key: &str, v: &Value) -> Result<String, Rejection> {
    match v {
        Value::String(s) if LLM_PROVIDERS.contains(&s.as_str()) => Ok(s.clone()),
        _ => Err(rejection(
            key,
            format!("expected one of openai, rules, vllm (vllm: an OpenAI-compatible endpoint); got {}", given(v)),
        )),
    }
}

/// `null` or an `http://`/`https://` URL with a host. The value is never
/// echoed: a URL may carry credentials.
fn base_url(key: &str, v: &Value) -> Result<Option<String>, Rejection> {
    let expected = "expected null or an http:// or https:// URL such as http://vllm:8000/v1";
    let url = match v {
        Value::Null => return Ok(None),
        Value::String(s) => s,
        _ => return Err(rejection(key, format!("{expected}; got {}", given_kind(v)))),
    };
    let n = url.chars().count();
    if n > MAX_VLLM_BASE_URL_CHARS {
        return Err(rejection(
            key,
            format!("{expected}; got a string of {n} characters (at most {MAX_VLLM_BASE_URL_CHARS} are allowed)"),
        ));
    }
    let lower = url.to_ascii_lowercase();
    let Some(rest) = lower.strip_prefix("http://").or_else(|| lower.strip_prefix("https://")) else {
        return Err(rejection(key, format!("{expected}; got a string without an http:// or https:// scheme")));
    };
    if url.chars().any(|c| c.is_whitespace() || c.is_control()) {
        return Err(rejection(key, format!("{expected}; got a string containing whitespace")));
    }
    let authority = rest.split(['/', '?', '#']).next().unwrap_or("");
    let host_port = authority.rsplit('@').next().unwrap_or("");
    let host = if host_port.starts_with('[') {
        host_port.split(']').next().unwrap_or("").trim_start_matches('[')
    } else {
        host_port.split(':').next().unwrap_or("")
    };
    if host.is_empty() {
        return Err(rejection(key, format!("{expected}; got a URL without a host")));
    }
    Ok(Some(url.clone()))
}

fn model(key: &str, v: &Value) -> Result<Option<String>, Rejection> {
    let expected = format!("expected null or a model id of 1 to {MAX_VLLM_MODEL_CHARS} characters");
    match v {
        Value::Null => Ok(None),
        Value::String(s) if s.chars().any(char::is_control) => {
            Err(rejection(key, format!("{expected}; got a string containing control characters")))
        }
        Value::String(s) if !s.trim().is_empty() && s.chars().count() <= MAX_VLLM_MODEL_CHARS => Ok(Some(s.clone())),
        Value::String(s) if s.trim().is_empty() => Err(rejection(key, format!("{expected}; got a blank string"))),
        _ => Err(rejection(key, format!("{expected}; got {}", given_kind(v)))),
    }
}

/// `null` or an ISO 4217 currency code: three upper-case letters.
fn currency(key: &str, v: &Value) -> Result<Option<String>, Rejection> {
    let expected = "expected null or a three-letter ISO 4217 currency code such as USD, EUR or NGN";
    match v {
        Value::Null => Ok(None),
        Value::String(s) if s.len() == 3 && s.bytes().all(|b| b.is_ascii_uppercase()) => Ok(Some(s.clone())),
        Value::String(s) if s.chars().any(char::is_control) => {
            Err(rejection(key, format!("{expected}; got a string containing control characters")))
        }
        Value::String(s) if s.chars().count() <= 10 => Err(rejection(key, format!("{expected}; got '{s}'"))),
        _ => Err(rejection(key, format!("{expected}; got {}", given_kind(v)))),
    }
}

/// A secret: `null` or a non-empty string. Its value never enters a message.
fn secret(key: &str, v: &Value) -> Result<Option<String>, Rejection> {
    let expected =
        format!("expected null (no key) or a non-empty string of at most {MAX_VLLM_API_KEY_CHARS} characters");
    match v {
        Value::Null => Ok(None),
        Value::String(s) if s.chars().any(char::is_control) => {
            Err(rejection(key, format!("{expected}; got a string containing control characters (value not shown)")))
        }
        Value::String(s) if !s.is_empty() && s.chars().count() <= MAX_VLLM_API_KEY_CHARS => Ok(Some(s.clone())),
        _ => Err(rejection(key, format!("{expected}; got {} (value not shown)", given_kind(v)))),
    }
}

// ------------------------------------------------------------ history (D10)

/// Every `settings.changed` of the log with its `global_position`, in
/// position order.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct SettingsHistory {
    changes: Vec<(i64, SettingsChanged)>,
}

impl SettingsHistory {
    pub fn new() -> Self {
        Self::default()
    }

    /// Records a change read from the log. Kept in position order whatever
    /// the order of calls; a position seen before is replaced.
    pub fn push(&mut self, global_position: i64, change: SettingsChanged) {
        match self.changes.binary_search_by_key(&global_position, |(p, _)| *p) {
            Ok(i) => self.changes[i].1 = change,
            Err(i) => self.changes.insert(i, (global_position, change)),
        }
    }

    /// The recorded changes, in position order.
    pub fn changes(&self) -> &[(i64, SettingsChanged)] {
        &self.changes
    }

    pub fn is_empty(&self) -> bool {
        self.changes.is_empty()
    }

    pub fn len(&self) -> usize {
        self.changes.len()
    }

    /// The settings in force on `date` (D10): the defaults, with every change
    /// whose `effective_from` is on or before `date` applied in log order, so
    /// a later-recorded change wins over an earlier one whatever their dates.
    /// A change that no longer validates (impossible: the log only holds
    /// validated changes) is skipped whole.
    pub fn in_force_at(&self, date: NaiveDate) -> Settings {
        let mut settings = Settings::default();
        for (_, change) in self.changes.iter().filter(|(_, c)| c.effective_from <= date) {
            let _ = settings.apply(&change.changes);
        }
        settings
    }
}

impl FromIterator<(i64, SettingsChanged)> for SettingsHistory {
    fn from_iter<I: IntoIterator<Item = (i64, SettingsChanged)>>(iter: I) -> Self {
        let mut history = SettingsHistory::new();
        for (position, change) in iter {
            history.push(position, change);
        }
        history
    }
}
