//! `llm_provider = openai` (D12): any OpenAI-compatible chat-completions
//! endpoint (vLLM, DeepSeek, OpenAI) through async-openai.
//!
//! One call is one attempt. async-openai's own transport retries 429s and
//! 5xx up to three times with its own backoff; that layer is replaced here by
//! [`StatusTransport`], which makes exactly one request and turns a 429 or a
//! 5xx into an error that keeps the status and `Retry-After`, so perfledger's
//! policy ([`crate::retry`]) is the only one in force.

use std::future::Future;
use std::pin::Pin;
use std::sync::atomic::{AtomicBool, Ordering};
use std::task::{Context, Poll};
use std::time::Duration;

use async_openai::config::OpenAIConfig;
use async_openai::error::OpenAIError;
use async_openai::middleware::{HttpRequestFactory, ReqwestService};
use async_openai::types::chat::{
    ChatCompletionRequestAssistantMessage, ChatCompletionRequestMessage, ChatCompletionRequestSystemMessage,
    ChatCompletionRequestUserMessage, CreateChatCompletionRequest, ResponseFormat, ResponseFormatJsonSchema,
};
use async_trait::async_trait;

use crate::provider::{ProviderError, ProviderReply, ProviderRequest, ReviewProvider};

/// The name under which `response_format` carries the review schema.
const SCHEMA_NAME: &str = "perfledger_review";

/// What the `openai` provider needs, from the settings and the environment
/// (see [`crate::config`]). `Debug` never prints the API key.
#[derive(Clone, PartialEq)]
pub struct OpenAiSettings {
    /// The OpenAI-compatible base, e.g. `http://vllm:8000/v1`.
    pub base_url: String,
    pub model: String,
    pub api_key: Option<String>,
    pub timeout: Duration,
    pub max_tokens: u32,
    pub temperature: f32,
}

impl std::fmt::Debug for OpenAiSettings {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("OpenAiSettings")
            .field("base_url", &self.base_url)
            .field("model", &self.model)
            .field("api_key", &self.api_key.as_ref().map(|_| perfledger_domain::settings::SECRET_MASK))
            .field("timeout", &self.timeout)
            .field("max_tokens", &self.max_tokens)
            .field("temperature", &self.temperature)
            .finish()
    }
}

pub struct OpenAiProvider {
    client: async_openai::Client<OpenAIConfig>,
    settings: OpenAiSettings,
    /// Cleared when the server refuses `json_schema` with a 400: from then on
    /// this provider asks for `json_object` (older vLLM, DeepSeek).
    json_schema: AtomicBool,
}

impl std::fmt::Debug for OpenAiProvider {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("OpenAiProvider").field("settings", &self.settings).finish_non_exhaustive()
    }
}

/// A 429 or 5xx, with the server's `Retry-After`, carried through
/// async-openai as a boxed middleware error.
#[derive(Debug, thiserror::Error)]
#[error("HTTP {status}")]
struct HttpFailure {
    status: u16,
    retry_after: Option<Duration>,
}

/// The transport: one request, no retries (module docs).
#[derive(Clone)]
struct StatusTransport {
    inner: ReqwestService,
}

type TransportFuture = Pin<Box<dyn Future<Output = Result<reqwest_openai::Response, OpenAIError>> + Send>>;

impl tower::Service<HttpRequestFactory> for StatusTransport {
    type Response = reqwest_openai::Response;
    type Error = OpenAIError;
    type Future = TransportFuture;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), OpenAIError>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, request: HttpRequestFactory) -> TransportFuture {
        let sent = self.inner.call(request);
        Box::pin(async move {
            let response = sent.await?;
            let status = response.status().as_u16();
            if status == 429 || status >= 500 {
                let retry_after =
                    response.headers().get("retry-after").and_then(|v| v.to_str().ok()).and_then(parse_retry_after);
                return Err(OpenAIError::Boxed(Box::new(HttpFailure { status, retry_after })));
            }
            Ok(response)
        })
    }
}

/// `Retry-After` is either delta-seconds or an HTTP date (RFC 9110 §10.2.3).
pub fn parse_retry_after(value: &str) -> Option<Duration> {
    let value = value.trim();
    if let Ok(seconds) = value.parse::<u64>() {
        return Some(Duration::from_secs(seconds));
    }
    let at = chrono::DateTime::parse_from_rfc2822(value).ok()?;
    let wait = at.with_timezone(&chrono::Utc) - chrono::Utc::now();
    Some(wait.to_std().unwrap_or(Duration::ZERO))
}

/// rustls needs a process-wide crypto provider; ring needs no C toolchain.
fn install_crypto_provider() {
    let _ = rustls::crypto::ring::default_provider().install_default();
}

impl OpenAiProvider {
    pub fn new(settings: OpenAiSettings) -> Result<Self, String> {
        install_crypto_provider();
        let http = reqwest_openai::Client::builder()
            .timeout(settings.timeout)
            .connect_timeout(settings.timeout)
            .build()
            .map_err(|e| format!("cannot build the HTTP client: {e}"))?;
        let config = OpenAIConfig::new()
            .with_api_base(settings.base_url.trim_end_matches('/'))
            .with_api_key(settings.api_key.clone().unwrap_or_default());
        let client = async_openai::Client::with_config(config)
            .with_http_service(StatusTransport { inner: ReqwestService::new(http) });
        Ok(OpenAiProvider { client, settings, json_schema: AtomicBool::new(true) })
    }

    fn request(&self, request: &ProviderRequest<'_>, json_schema: bool) -> CreateChatCompletionRequest {
        let mut messages = vec![ChatCompletionRequestMessage::System(ChatCompletionRequestSystemMessage::from(
            request.system.to_string(),
        ))];
        messages.push(ChatCompletionRequestMessage::User(ChatCompletionRequestUserMessage::from(request.user)));
        // On the validation retry: the rejected reply, then the feedback.
        if let Some(retry) = request.retry {
            messages.push(ChatCompletionRequestMessage::Assistant(ChatCompletionRequestAssistantMessage::from(
                retry.previous_reply.to_string(),
            )));
            messages.push(ChatCompletionRequestMessage::User(ChatCompletionRequestUserMessage::from(retry.feedback)));
        }
        let response_format = if json_schema {
            ResponseFormat::JsonSchema {
                json_schema: ResponseFormatJsonSchema {
                    description: Some("A coaching review of one person for one period".to_string()),
                    name: SCHEMA_NAME.to_string(),
                    schema: request.json_schema.clone(),
                    strict: None,
                },
            }
        } else {
            ResponseFormat::JsonObject
        };
        // `max_tokens` rather than `max_completion_tokens`: every
        // OpenAI-compatible server (vLLM, DeepSeek) reads it.
        #[allow(deprecated)]
        CreateChatCompletionRequest {
            messages,
            model: self.settings.model.clone(),
            max_tokens: Some(self.settings.max_tokens),
            temperature: Some(self.settings.temperature),
            response_format: Some(response_format),
            ..Default::default()
        }
    }

    async fn attempt(&self, request: &ProviderRequest<'_>, json_schema: bool) -> Result<ProviderReply, OpenAIError> {
        let response = self.client.chat().create(self.request(request, json_schema)).await?;
        let content = response
            .choices
            .into_iter()
            .next()
            .and_then(|choice| choice.message.content)
            .ok_or_else(|| OpenAIError::InvalidArgument("the reply has no message content".to_string()))?;
        let (tokens_in, tokens_out) =
            response.usage.map(|u| (i64::from(u.prompt_tokens), i64::from(u.completion_tokens))).unwrap_or((0, 0));
        Ok(ProviderReply { content, tokens_in, tokens_out, model: response.model })
    }
}

/// Is this the server refusing `response_format.json_schema`?
fn refused_json_schema(error: &OpenAIError) -> bool {
    matches!(error, OpenAIError::ApiError(e) if e.status_code.as_u16() == 400)
}

fn classify(error: OpenAIError, timeout: Duration) -> ProviderError {
    match error {
        OpenAIError::Boxed(boxed) => match boxed.downcast::<HttpFailure>() {
            Ok(failure) if failure.status == 429 => ProviderError::RateLimited { retry_after: failure.retry_after },
            Ok(failure) => ProviderError::Server(failure.status),
            Err(other) => classify_transport(&*other, timeout),
        },
        OpenAIError::Reqwest(e) if e.is_timeout() => ProviderError::Timeout(timeout),
        OpenAIError::Reqwest(e) => ProviderError::Transport(e.without_url().to_string()),
        OpenAIError::ApiError(e) if e.status_code.as_u16() == 429 => ProviderError::RateLimited { retry_after: None },
        OpenAIError::ApiError(e) => ProviderError::Server(e.status_code.as_u16()),
        OpenAIError::JSONDeserialize(e, _) => ProviderError::BadReply(format!("not a chat completion: {e}")),
        OpenAIError::InvalidArgument(reason) => ProviderError::BadReply(reason),
        other => ProviderError::Transport(other.to_string()),
    }
}

fn classify_transport(error: &(dyn std::error::Error + Send + Sync + 'static), timeout: Duration) -> ProviderError {
    if let Some(OpenAIError::Reqwest(e)) = error.downcast_ref::<OpenAIError>() {
        if e.is_timeout() {
            return ProviderError::Timeout(timeout);
        }
    }
    ProviderError::Transport(error.to_string())
}

#[async_trait]
impl ReviewProvider for OpenAiProvider {
    fn name(&self) -> &'static str {
        "openai"
    }

    fn model(&self) -> String {
        self.settings.model.clone()
    }

    async fn generate(&self, request: ProviderRequest<'_>) -> Result<ProviderReply, ProviderError> {
        let timeout = self.settings.timeout;
        let call = async {
            let json_schema = self.json_schema.load(Ordering::Relaxed);
            match self.attempt(&request, json_schema).await {
                Err(e) if json_schema && refused_json_schema(&e) => {
                    tracing::info!(model = %self.settings.model, "the server refused response_format json_schema; using json_object");
                    self.json_schema.store(false, Ordering::Relaxed);
                    self.attempt(&request, false).await
                }
                other => other,
            }
        };
        match tokio::time::timeout(timeout, call).await {
            Err(_) => Err(ProviderError::Timeout(timeout)),
            Ok(result) => result.map_err(|e| classify(e, timeout)),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn debug_never_prints_the_api_key() {
        let settings = OpenAiSettings {
            base_url: "http://vllm:8000/v1".into(),
            model: "qwen".into(),
            api_key: Some("sk-very-secret".into()),
            timeout: Duration::from_secs(3),
            max_tokens: 100,
            temperature: 0.2,
        };
        let printed = format!("{settings:?}");
        assert!(!printed.contains("sk-very-secret"), "{printed}");
        assert!(printed.contains("qwen"), "{printed}");
        let provider = OpenAiProvider::new(settings).unwrap();
        assert!(!format!("{provider:?}").contains("sk-very-secret"));
    }

    #[test]
    fn retry_after_reads_seconds_and_dates() {
        assert_eq!(parse_retry_after("2"), Some(Duration::from_secs(2)));
        assert_eq!(parse_retry_after(" 0 "), Some(Duration::ZERO));
        assert_eq!(parse_retry_after("Wed, 21 Oct 2015 07:28:00 GMT"), Some(Duration::ZERO));
        assert_eq!(parse_retry_after("soon"), None);
    }
}
