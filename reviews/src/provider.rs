//! The one seam between the pipeline and whoever writes the review (D12):
//! an OpenAI-compatible endpoint ([`crate::openai`]) or the offline rules
//! coach ([`crate::rules`]). The pipeline builds the prompts, validates the
//! reply and owns the retry policy; a provider makes exactly one attempt.

use std::time::Duration;

use async_trait::async_trait;
use perfledger_domain::coach::ReviewContext;

/// What one attempt sends. The rules provider reads `context`; the HTTP
/// provider sends only the prompts, which were built from the same context.
#[derive(Debug, Clone, Copy)]
pub struct ProviderRequest<'a> {
    pub system: &'a str,
    pub user: &'a str,
    /// Set on the one validation retry: the rejected reply and the feedback.
    pub retry: Option<ValidationRetry<'a>>,
    pub json_schema: &'a serde_json::Value,
    pub context: &'a ReviewContext,
}

/// The second turn after a reply failed validation: the conversation goes
/// on with the rejected reply as the assistant's turn and the feedback.
#[derive(Debug, Clone, Copy)]
pub struct ValidationRetry<'a> {
    pub previous_reply: &'a str,
    pub feedback: &'a str,
}

/// The raw reply of one attempt; the pipeline validates `content`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProviderReply {
    pub content: String,
    pub tokens_in: i64,
    pub tokens_out: i64,
    /// The model that answered, as the server names it.
    pub model: String,
}

/// Why an attempt produced no reply.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ProviderError {
    #[error("the provider did not answer within {0:?}")]
    Timeout(Duration),
    #[error("the provider is rate limiting (429){}", retry_after.map(|d| format!(", retry after {}s", d.as_secs())).unwrap_or_default())]
    RateLimited { retry_after: Option<Duration> },
    #[error("the provider answered HTTP {0}")]
    Server(u16),
    #[error("the provider could not be reached: {0}")]
    Transport(String),
    #[error("the provider's reply is unusable: {0}")]
    BadReply(String),
}

impl ProviderError {
    /// Transient failures are retried with backoff; the others are final.
    pub fn is_retryable(&self) -> bool {
        match self {
            ProviderError::Timeout(_) | ProviderError::RateLimited { .. } | ProviderError::Transport(_) => true,
            ProviderError::Server(status) => *status >= 500 || *status == 408,
            ProviderError::BadReply(_) => false,
        }
    }

    /// The wait the server asked for, if any (`Retry-After`).
    pub fn retry_after(&self) -> Option<Duration> {
        match self {
            ProviderError::RateLimited { retry_after } => *retry_after,
            _ => None,
        }
    }
}

#[async_trait]
pub trait ReviewProvider: Send + Sync {
    /// `openai` or `rules`: stored with every review.
    fn name(&self) -> &'static str;
    /// The configured model (`rules-v1` for the rules coach).
    fn model(&self) -> String;
    /// One attempt, no retries.
    async fn generate(&self, request: ProviderRequest<'_>) -> Result<ProviderReply, ProviderError>;
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_transient_failures_are_retried() {
        assert!(ProviderError::Timeout(Duration::from_secs(1)).is_retryable());
        assert!(ProviderError::RateLimited { retry_after: None }.is_retryable());
        assert!(ProviderError::Server(503).is_retryable());
        assert!(ProviderError::Transport("refused".into()).is_retryable());
        assert!(!ProviderError::Server(400).is_retryable());
        assert!(!ProviderError::Server(401).is_retryable());
        assert!(!ProviderError::BadReply("no choices".into()).is_retryable());
    }

    #[test]
    fn retry_after_is_reported_only_for_rate_limits() {
        let limited = ProviderError::RateLimited { retry_after: Some(Duration::from_secs(2)) };
        assert_eq!(limited.retry_after(), Some(Duration::from_secs(2)));
        assert!(limited.to_string().contains("retry after 2s"), "{limited}");
        assert_eq!(ProviderError::Server(500).retry_after(), None);
    }
}
