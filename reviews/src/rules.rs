//! `llm_provider = rules` (D12): the deterministic, offline coach. No HTTP,
//! no tokens; the review is written from the metrics alone by
//! [`perfledger_domain::coach::rules_review`] and goes through the same
//! validation as a model's reply.

use async_trait::async_trait;
use perfledger_domain::coach::{rules_review, RULES_MODEL};

use crate::provider::{ProviderError, ProviderReply, ProviderRequest, ReviewProvider};

#[derive(Debug, Default, Clone, Copy)]
pub struct RulesProvider;

#[async_trait]
impl ReviewProvider for RulesProvider {
    fn name(&self) -> &'static str {
        "rules"
    }

    fn model(&self) -> String {
        RULES_MODEL.to_string()
    }

    async fn generate(&self, request: ProviderRequest<'_>) -> Result<ProviderReply, ProviderError> {
        let content = serde_json::to_string(&rules_review(request.context))
            .map_err(|e| ProviderError::BadReply(format!("the rules review does not serialize: {e}")))?;
        Ok(ProviderReply { content, tokens_in: 0, tokens_out: 0, model: RULES_MODEL.to_string() })
    }
}
