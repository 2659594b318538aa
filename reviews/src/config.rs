//! Which provider writes reviews, from the settings (`llm_provider`,
//! `vllm_*`) with environment overrides for deployments that keep secrets
//! out of the log:
//!
//! | Variable | Overrides |
//! |---|---|
//! | `PERFLEDGER_LLM_PROVIDER` | `llm_provider` (`openai` or `rules`; `vllm` = `openai`) |
//! | `PERFLEDGER_LLM_BASE_URL` | `vllm_base_url` |
//! | `PERFLEDGER_LLM_MODEL` | `vllm_model` |
//! | `PERFLEDGER_LLM_API_KEY` | `vllm_api_key` (never logged) |
//!
//! Setting these and `review_generation_enabled = true` is a working setup.

use std::sync::Arc;
use std::time::Duration;

use perfledger_domain::settings::Settings;
use rust_decimal::prelude::ToPrimitive;

use crate::openai::{OpenAiProvider, OpenAiSettings};
use crate::provider::ReviewProvider;
use crate::rules::RulesProvider;

pub const PROVIDER_ENV: &str = "PERFLEDGER_LLM_PROVIDER";
pub const BASE_URL_ENV: &str = "PERFLEDGER_LLM_BASE_URL";
pub const MODEL_ENV: &str = "PERFLEDGER_LLM_MODEL";
pub const API_KEY_ENV: &str = "PERFLEDGER_LLM_API_KEY";

/// The environment overrides, read once per build of a provider. Blank
/// values count as unset.
#[derive(Clone, Default, PartialEq, Eq)]
pub struct EnvOverrides {
    pub provider: Option<String>,
    pub base_url: Option<String>,
    pub model: Option<String>,
    pub api_key: Option<String>,
}

impl std::fmt::Debug for EnvOverrides {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("EnvOverrides")
            .field("provider", &self.provider)
            .field("base_url", &self.base_url)
            .field("model", &self.model)
            .field("api_key", &self.api_key.as_ref().map(|_| perfledger_domain::settings::SECRET_MASK))
            .finish()
    }
}

impl EnvOverrides {
    pub fn from_env() -> Self {
        let read = |name: &str| std::env::var(name).ok().map(|v| v.trim().to_string()).filter(|v| !v.is_empty());
        EnvOverrides {
            provider: read(PROVIDER_ENV),
            base_url: read(BASE_URL_ENV),
            model: read(MODEL_ENV),
            api_key: read(API_KEY_ENV),
        }
    }
}

/// The provider the settings and environment choose.
#[derive(Debug, Clone, PartialEq)]
pub enum ProviderChoice {
    OpenAi(OpenAiSettings),
    Rules,
}

impl ProviderChoice {
    pub fn name(&self) -> &'static str {
        match self {
            ProviderChoice::OpenAi(_) => "openai",
            ProviderChoice::Rules => "rules",
        }
    }
}

/// Resolves the provider, or says what is missing (the reason is shown to
/// admins and recorded when a run is skipped).
pub fn choose(settings: &Settings, env: &EnvOverrides) -> Result<ProviderChoice, String> {
    let provider = env.provider.clone().unwrap_or_else(|| settings.llm_provider.clone());
    match provider.trim().to_ascii_lowercase().as_str() {
        "rules" => Ok(ProviderChoice::Rules),
        "openai" | "vllm" => {
            let base_url = env.base_url.clone().or_else(|| settings.vllm_base_url.clone()).ok_or_else(|| {
                format!("llm_provider is '{provider}' but no base URL is set (vllm_base_url or {BASE_URL_ENV})")
            })?;
            if !(base_url.starts_with("http://") || base_url.starts_with("https://")) {
                return Err(format!("the provider base URL must start with http:// or https:// ({BASE_URL_ENV})"));
            }
            let model = env.model.clone().or_else(|| settings.vllm_model.clone()).ok_or_else(|| {
                format!("llm_provider is '{provider}' but no model is set (vllm_model or {MODEL_ENV})")
            })?;
            Ok(ProviderChoice::OpenAi(OpenAiSettings {
                base_url,
                model,
                api_key: env.api_key.clone().or_else(|| settings.vllm_api_key.clone()),
                timeout: Duration::from_secs(settings.vllm_timeout_seconds.max(1) as u64),
                max_tokens: u32::try_from(settings.vllm_max_tokens.max(1)).unwrap_or(u32::MAX),
                temperature: settings.vllm_temperature.to_f32().unwrap_or(0.2),
            }))
        }
        other => Err(format!("{PROVIDER_ENV} or llm_provider is '{other}'; expected 'openai' or 'rules'")),
    }
}

/// Whether reviews may be generated at all: `review_generation_enabled` and a
/// configured provider (seed "Data Minimization": the gate).
pub fn generation_gate(settings: &Settings, env: &EnvOverrides) -> Result<ProviderChoice, String> {
    if !settings.review_generation_enabled {
        return Err("review generation is disabled (review_generation_enabled = false)".to_string());
    }
    choose(settings, env)
}

/// Builds the provider a choice names.
pub fn build(choice: &ProviderChoice) -> Result<Arc<dyn ReviewProvider>, String> {
    Ok(match choice {
        ProviderChoice::Rules => Arc::new(RulesProvider),
        ProviderChoice::OpenAi(settings) => Arc::new(OpenAiProvider::new(settings.clone())?),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn openai_settings() -> Settings {
        Settings {
            llm_provider: "openai".into(),
            vllm_base_url: Some("http://vllm:8000/v1".into()),
            vllm_model: Some("qwen2.5-7b".into()),
            vllm_timeout_seconds: 7,
            ..Settings::default()
        }
    }

    #[test]
    fn the_default_is_the_rules_coach() {
        assert_eq!(choose(&Settings::default(), &EnvOverrides::default()), Ok(ProviderChoice::Rules));
    }

    #[test]
    fn openai_needs_a_base_url_and_a_model() {
        let mut settings = openai_settings();
        settings.vllm_model = None;
        let error = choose(&settings, &EnvOverrides::default()).unwrap_err();
        assert!(error.contains("no model") && error.contains(MODEL_ENV), "{error}");
        settings.vllm_base_url = None;
        assert!(choose(&settings, &EnvOverrides::default()).unwrap_err().contains("no base URL"));
        match choose(&openai_settings(), &EnvOverrides::default()).unwrap() {
            ProviderChoice::OpenAi(s) => {
                assert_eq!(s.model, "qwen2.5-7b");
                assert_eq!(s.timeout, Duration::from_secs(7));
            }
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn the_environment_overrides_the_settings() {
        let env = EnvOverrides {
            provider: Some("openai".into()),
            base_url: Some("https://api.deepseek.com/v1".into()),
            model: Some("deepseek-chat".into()),
            api_key: Some("sk-env".into()),
        };
        match choose(&Settings::default(), &env).unwrap() {
            ProviderChoice::OpenAi(s) => {
                assert_eq!(s.base_url, "https://api.deepseek.com/v1");
                assert_eq!(s.model, "deepseek-chat");
                assert_eq!(s.api_key.as_deref(), Some("sk-env"));
            }
            other => panic!("{other:?}"),
        }
        assert!(!format!("{env:?}").contains("sk-env"));
        let rules = EnvOverrides { provider: Some("rules".into()), ..EnvOverrides::default() };
        assert_eq!(choose(&openai_settings(), &rules), Ok(ProviderChoice::Rules));
        let bad = EnvOverrides { provider: Some("gpt".into()), ..EnvOverrides::default() };
        assert!(choose(&Settings::default(), &bad).unwrap_err().contains("expected 'openai' or 'rules'"));
    }

    #[test]
    fn generation_needs_the_toggle() {
        let error = generation_gate(&Settings::default(), &EnvOverrides::default()).unwrap_err();
        assert!(error.contains("review_generation_enabled"), "{error}");
        let enabled = Settings { review_generation_enabled: true, ..Settings::default() };
        assert_eq!(generation_gate(&enabled, &EnvOverrides::default()), Ok(ProviderChoice::Rules));
    }
}
